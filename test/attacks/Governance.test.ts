/**
 * Attack class: governance. A stranger (and every role holder outside its own role) calls each
 * privileged function of each contract, enumerated from the compiled ABI so that a new function
 * cannot slip through unclassified; upgrades every UUPS proxy; initialises every implementation;
 * manipulates the oracle's quorum; replays stale reports. Each attempt must revert with its exact
 * custom error, move nothing (to the wei) and leave the attacker no profit.
 */
import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { impersonateAccount, loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  ZeroAddress,
  ZeroHash,
  id,
  parseEther,
  type BaseContract,
  type FunctionFragment,
  type ParamType,
} from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployWithTimelock, type TidepoolFixture } from "../helpers/fixtures";
import { advanceFrames, buildReport, reportHash, toGwei } from "../helpers/oracle-fixtures";
import { deployWithQueue, type WithdrawalFixture } from "../helpers/withdrawal-fixtures";
import { protocolState, plain } from "../helpers/withdrawal-report-helpers";
import { Ledger, holdingsOf } from "../helpers/attack-ledger";
import { currentAttestation } from "../../offchain/guardians/attestations";
import { registerOperator } from "../../offchain/operators/register";
import { frameTiming, slotTime } from "../../sdk/src/report";
import { deployPoolLibraries, poolPeers } from "../../deploy/protocol";
import type { TidepoolTimelock } from "../../typechain-types";

const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";
const ADMIN = ZeroHash;
const ROLE = {
  pause: id("PAUSE_ROLE"),
  resume: id("RESUME_ROLE"),
  stakeLimit: id("STAKE_LIMIT_ROLE"),
  instantRedeemParams: id("INSTANT_REDEEM_PARAMS_ROLE"),
  operatorManager: id("OPERATOR_MANAGER_ROLE"),
  bondManager: id("BOND_MANAGER_ROLE"),
  accounting: id("ACCOUNTING_ROLE"),
  manageMembers: id("MANAGE_MEMBERS_ROLE"),
  feeManager: id("FEE_MANAGER_ROLE"),
  sanityLimits: id("SANITY_LIMITS_ROLE"),
  exitRequester: id("EXIT_REQUESTER_ROLE"),
  forkSchedule: id("FORK_SCHEDULE_ROLE"),
  exitSettings: id("EXIT_SETTINGS_ROLE"),
  forceExit: id("FORCE_EXIT_ROLE"),
  proposer: id("PROPOSER_ROLE"),
  canceller: id("CANCELLER_ROLE"),
};

async function implementationOf(proxy: string): Promise<string> {
  return ethers.getAddress("0x" + (await ethers.provider.getStorage(proxy, IMPLEMENTATION_SLOT)).slice(26));
}

// ──────────────────────────────── The world an attacker finds ────────────────────────────────

interface World extends TidepoolFixture {
  queue: TidepoolFixture["withdrawalQueue"];
  queueAddress: string;
  stranger: HardhatEthersSigner; // holds 2 ETH of tpETH and nothing else
  victim: HardhatEthersSigner; // holds tpETH, wtpETH and a pending withdrawal request
  victimRequestId: bigint;
  operatorId: bigint; // operator 0; its reward address is `operatorSigner`
  operatorSigner: HardhatEthersSigner;
  timelock?: TidepoolTimelock;
}

/** What every refused call must leave exactly as it was. */
async function worldState(w: World): Promise<unknown> {
  const { pool, registry, dsm, oracle, depositContract } = w;
  const contracts = [
    w.poolAddress,
    w.wrapperAddress,
    await w.withdrawalQueue.getAddress(),
    await registry.getAddress(),
    await dsm.getAddress(),
    await oracle.getAddress(),
    await w.insuranceFund.getAddress(),
    await w.withdrawalVault.getAddress(),
    await w.elRewardsVault.getAddress(),
    await depositContract.getAddress(),
    await w.facts.getAddress(),
  ];
  const proxies = [w.poolAddress, ...contracts.slice(2, 4), await oracle.getAddress(), contracts[7]];
  return plain([
    await protocolState(w as unknown as WithdrawalFixture),
    await Promise.all(contracts.map((c) => ethers.provider.getBalance(c))),
    await Promise.all(proxies.map(implementationOf)),
    await holdingsOf(w, w.victim.address).then(Object.values),
    await pool.allowance(w.victim.address, w.stranger.address),
    await pool.pausedCapabilities(),
    await pool.getStakeLimitParams(),
    await pool.getInstantRedeemParams(),
    await registry.getNodeOperator(w.operatorId),
    await registry.pendingOperatorRewards(w.operatorId),
    await registry.keysNonce(),
    await registry.bondPerValidator(),
    await dsm.getGuardians(),
    await dsm.quorum(),
    await dsm.maxAttestationAgeBlocks(),
    await oracle.getMembers(),
    await oracle.quorum(),
    await oracle.getFrameConfig(),
    await oracle.getFeeConfig(),
    await oracle.getSanityLimits(),
    await oracle.reportsPaused(),
    await depositContract.get_deposit_root(),
    await w.facts.exitSettings(),
    await w.facts.forkSchedule(),
    await w.facts.slashingCreditGwei((await oracle.getCurrentFrame())[0]),
    await w.facts.slashingHoldFromTimestamp(),
    await w.facts.operatorFacts(w.operatorId),
    await registry.operatorDepositsHeld(w.operatorId),
    await w.withdrawalQueue.withdrawalsPaused(),
    await w.withdrawalQueue.ownerOf(w.victimRequestId),
  ]);
}

/** Local deployment (account 0 governs) with holders, an operator, a validator set and a pending request. */
async function localWorld(): Promise<World> {
  const f = await loadFixture(deployWithQueue);
  const victim = f.holders[0];
  const stranger = f.users[10];
  await (await f.pool.connect(stranger).stake(ZeroAddress, { value: parseEther("2") })).wait();
  await (await f.wrapper.connect(victim).wrap(parseEther("1"))).wait();
  const [victimRequestId] = await f.request(victim, [parseEther("1")]);
  return { ...f, stranger, victim, victimRequestId, operatorSigner: f.operator };
}

/** Public-network deployment: governance handed to the timelock; the deployer (account 0) is the stranger. */
async function timelockWorld(): Promise<World> {
  const f = await deployWithTimelock();
  const [victim, operatorSigner] = [f.users[2], f.users[1]];
  // Governance (the timelock, impersonated here instead of waiting out its delay) admits an operator.
  const tl = await f.timelock.getAddress();
  await impersonateAccount(tl);
  await setBalance(tl, parseEther("10"));
  const governance = await ethers.getSigner(tl);
  const operatorId = await registerOperator(f.registry, f.pool, governance, {
    name: "op-0",
    rewardAddress: operatorSigner,
    keys: 2,
    bondWei: parseEther("4"),
  });
  await (await f.pool.connect(victim).stake(ZeroAddress, { value: parseEther("20") })).wait();
  await (await f.pool.connect(f.deployer).stake(ZeroAddress, { value: parseEther("2") })).wait();
  await (await f.wrapper.connect(victim).wrap(parseEther("1"))).wait();
  const queue = await f.withdrawalQueue.getAddress();
  await (await f.pool.connect(victim).approve(queue, parseEther("1"))).wait();
  await (await f.withdrawalQueue.connect(victim).requestWithdrawals([parseEther("1")], ZeroAddress)).wait();
  return {
    ...f,
    queue: f.withdrawalQueue,
    queueAddress: queue,
    stranger: f.deployer,
    victim,
    victimRequestId: 1n,
    operatorId,
    operatorSigner,
  };
}

// ──────────────────────────────── Classification of every state-changing function ────────────────────────────────

type Args = (w: World) => Promise<unknown[]> | unknown[];
/** A function anyone may call (it acts on the caller's own assets, or is a public duty); the reason says why. */
interface Open {
  open: string;
}
/** A privileged function: the stranger gets AccessControlUnauthorizedAccount(stranger, role). */
interface RoleGated {
  role: string;
  args?: Args;
}
/** A guarded function: the stranger gets `error(...errorArgs)`. */
interface Guarded {
  error: string;
  errorArgs: (w: World) => Promise<unknown[]> | unknown[];
  args?: Args;
}
type Classification = Open | RoleGated | Guarded;
type Spec = Record<string, Classification>;

/** Governance: the timelock on the public-network deployment, account 0 locally. */
const governance = async (w: World) => (w.timelock ? await w.timelock.getAddress() : w.admin.address);
const roleAdmin = async (w: World) => [ADMIN, await governance(w)];
const RENOUNCE: Guarded = { error: "AccessControlBadConfirmation", errorArgs: () => [], args: roleAdmin };
const GRANT: RoleGated = { role: ADMIN, args: (w) => [ADMIN, w.stranger.address] };
const REVOKE: RoleGated = { role: ADMIN, args: roleAdmin };
const INITIALIZED: Guarded = { error: "InvalidInitialization", errorArgs: () => [] };
const caller = (w: World) => [w.stranger.address];

const POOL_SPEC: Spec = {
  "applyReport((uint256,uint256,uint256,uint256,uint256,uint256,address,uint256,uint256,uint256,bool,uint256[],uint256))":
    { error: "CallerNotOracle", errorArgs: caller },
  "approve(address,uint256)": { open: "sets the caller's own allowance" },
  "bringIntoWithdrawalQueue(address,uint256)": {
    error: "CallerNotWithdrawalQueue",
    errorArgs: caller,
    args: (w) => [w.victim.address, parseEther("1")],
  },
  "depositBufferedEther(uint256,uint256)": { error: "CallerNotDepositSecurityModule", errorArgs: caller },
  "grantRole(bytes32,address)": GRANT,
  "initialize(address)": INITIALIZED,
  "instantRedeem(uint256,uint256,address)": { open: "burns the caller's own tpETH (Reentrancy, Paused)" },
  "pause(uint8)": { role: ROLE.pause },
  "permit(address,address,uint256,uint256,bytes)": { open: "signature-gated (Signatures)" },
  "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)": { open: "signature-gated (Signatures)" },
  "receiveVaultEther()": { error: "CallerNotVault", errorArgs: caller },
  "recordQueuedEther(uint256)": { error: "CallerNotWithdrawalQueue", errorArgs: caller, args: () => [parseEther("1")] },
  "renounceRole(bytes32,address)": RENOUNCE,
  "resume(uint8)": { role: ROLE.resume },
  "returnWithdrawalExcess()": { error: "CallerNotWithdrawalQueue", errorArgs: caller },
  "revokeRole(bytes32,address)": REVOKE,
  "setInstantLiquidityTarget(uint256)": { role: ROLE.instantRedeemParams },
  "setInstantRedeemParams(uint256,uint256,uint256)": { role: ROLE.instantRedeemParams },
  "setStakeLimit(uint256,uint256)": { role: ROLE.stakeLimit },
  "stake(address)": { open: "stakes the caller's own ETH" },
  "transfer(address,uint256)": { open: "moves the caller's own tpETH" },
  "transferFrom(address,address,uint256)": {
    error: "ERC20InsufficientAllowance",
    errorArgs: (w) => [w.stranger.address, 0n, parseEther("1")],
    args: (w) => [w.victim.address, w.stranger.address, parseEther("1")],
  },
  "transferShares(address,uint256)": { open: "moves the caller's own shares" },
  "transferSharesFrom(address,address,uint256)": {
    error: "ERC20InsufficientAllowance",
    errorArgs: async (w) => [w.stranger.address, 0n, await w.pool.getPooledEthBySharesRoundUp(parseEther("1"))],
    args: (w) => [w.victim.address, w.stranger.address, parseEther("1")],
  },
  "transferSharesToWrapper(address,uint256)": {
    error: "CallerNotWrapper",
    errorArgs: caller,
    args: (w) => [w.victim.address, parseEther("1")],
  },
  "upgradeToAndCall(address,bytes)": { role: ADMIN, args: async (w) => [await implementationOf(w.poolAddress), "0x"] },
  "recordProvenFact(bool,uint256,uint256)": { error: "CallerNotBeaconFacts", errorArgs: caller },
  "receive()": { open: "stakes the sender's own ETH" },
};

const WRAPPER_SPEC: Spec = {
  "approve(address,uint256)": { open: "sets the caller's own allowance" },
  "deposit(uint256,address)": { open: "wraps the caller's own shares" },
  "mint(uint256,address)": { open: "wraps the caller's own shares" },
  "permit(address,address,uint256,uint256,bytes)": { open: "signature-gated (Signatures)" },
  "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)": { open: "signature-gated (Signatures)" },
  "redeem(uint256,address,address)": {
    error: "ERC20InsufficientAllowance",
    errorArgs: (w) => [w.stranger.address, 0n, parseEther("0.1")],
    args: (w) => [parseEther("0.1"), w.stranger.address, w.victim.address],
  },
  "stakeAndWrap(address)": { open: "stakes the caller's own ETH" },
  "transfer(address,uint256)": { open: "moves the caller's own wtpETH" },
  "transferFrom(address,address,uint256)": {
    error: "ERC20InsufficientAllowance",
    errorArgs: (w) => [w.stranger.address, 0n, parseEther("0.1")],
    args: (w) => [w.victim.address, w.stranger.address, parseEther("0.1")],
  },
  "unwrap(uint256)": { open: "unwraps the caller's own wtpETH" },
  "withdraw(uint256,address,address)": {
    error: "ERC20InsufficientAllowance",
    errorArgs: async (w) => [w.stranger.address, 0n, await w.pool.getSharesByPooledEthRoundUp(parseEther("0.1"))],
    args: (w) => [parseEther("0.1"), w.stranger.address, w.victim.address],
  },
  "wrap(uint256)": { open: "wraps the caller's own tpETH" },
  "receive()": { open: "stakes and wraps the sender's own ETH" },
};

const notOwner = (w: World) => [w.victimRequestId, w.stranger.address, w.victim.address];
const QUEUE_SPEC: Spec = {
  "approve(address,uint256)": {
    error: "ERC721InvalidApprover",
    errorArgs: caller,
    args: (w) => [w.stranger.address, w.victimRequestId],
  },
  "claimWithdrawal(uint256)": { error: "NotRequestOwner", errorArgs: notOwner, args: (w) => [w.victimRequestId] },
  "claimWithdrawals(uint256[],uint256[])": {
    error: "NotRequestOwner",
    errorArgs: notOwner,
    args: (w) => [[w.victimRequestId], [0n]],
  },
  "claimWithdrawalsTo(uint256[],uint256[],address)": {
    error: "NotRequestOwner",
    errorArgs: notOwner,
    args: (w) => [[w.victimRequestId], [0n], w.stranger.address],
  },
  "finalize(uint256[],uint256,uint256,uint256,uint256)": { error: "CallerNotPool", errorArgs: caller },
  "fundFinalizedPayouts()": { error: "CallerNotPool", errorArgs: caller },
  "grantRole(bytes32,address)": GRANT,
  "initialize(address,address)": INITIALIZED,
  "pause()": { role: ROLE.pause },
  "renounceRole(bytes32,address)": RENOUNCE,
  "requestWithdrawals(uint256[],address)": { open: "locks the caller's own tpETH" },
  "requestWithdrawalsWithPermit(uint256[],address,(uint256,uint256,uint8,bytes32,bytes32))": {
    open: "permit of the caller's own tpETH (Signatures)",
  },
  "requestWithdrawalsWrapped(uint256[],address)": { open: "locks the caller's own wtpETH" },
  "requestWithdrawalsWrappedWithPermit(uint256[],address,(uint256,uint256,uint8,bytes32,bytes32))": {
    open: "permit of the caller's own wtpETH (Signatures)",
  },
  "requestWithdrawalsWithPermitAsBytes(uint256[],address,(uint256,uint256,bytes))": {
    open: "permit of the caller's own tpETH (Signatures)",
  },
  "requestWithdrawalsWrappedWithPermitAsBytes(uint256[],address,(uint256,uint256,bytes))": {
    open: "permit of the caller's own wtpETH (Signatures)",
  },
  "resume()": { role: ROLE.resume },
  "revokeRole(bytes32,address)": REVOKE,
  "safeTransferFrom(address,address,uint256)": {
    error: "ERC721InsufficientApproval",
    errorArgs: (w) => [w.stranger.address, w.victimRequestId],
    args: (w) => [w.victim.address, w.stranger.address, w.victimRequestId],
  },
  "safeTransferFrom(address,address,uint256,bytes)": {
    error: "ERC721InsufficientApproval",
    errorArgs: (w) => [w.stranger.address, w.victimRequestId],
    args: (w) => [w.victim.address, w.stranger.address, w.victimRequestId, "0x"],
  },
  "setApprovalForAll(address,bool)": { open: "approves operators of the caller's own requests" },
  "transferFrom(address,address,uint256)": {
    error: "ERC721InsufficientApproval",
    errorArgs: (w) => [w.stranger.address, w.victimRequestId],
    args: (w) => [w.victim.address, w.stranger.address, w.victimRequestId],
  },
  "upgradeToAndCall(address,bytes)": {
    role: ADMIN,
    args: async (w) => [await implementationOf(await w.withdrawalQueue.getAddress()), "0x"],
  },
};

const notOperator = (w: World) => [w.stranger.address, w.operatorId];
const REGISTRY_SPEC: Spec = {
  "addNodeOperator(string,address)": { role: ROLE.operatorManager },
  "addSigningKeys(uint256,uint256,bytes,bytes)": {
    error: "CallerNotOperator",
    errorArgs: notOperator,
    args: (w) => [w.operatorId, 1n, "0x", "0x"],
  },
  "burnBondShares(uint256,uint256)": { role: ROLE.accounting },
  "claimOperatorRewards(uint256)": { error: "CallerNotOperator", errorArgs: notOperator, args: (w) => [w.operatorId] },
  "depositBond(uint256)": { open: "anyone may post an operator's bond (with their own ETH)" },
  "depositKeys(uint256,uint256,bytes32)": { error: "CallerNotPool", errorArgs: caller },
  "distributeOperatorRewards(uint256)": { role: ROLE.accounting },
  "grantRole(bytes32,address)": GRANT,
  "initialize(address,uint256)": INITIALIZED,
  "recordKeyFact(uint256,uint256,uint256)": { role: ROLE.accounting },
  "refreshOperator(uint256)": { open: "recomputes an operator's bond cover at the current rate (a public duty)" },
  "removeSigningKeys(uint256,uint256,uint256)": {
    error: "CallerNotOperator",
    errorArgs: notOperator,
    args: (w) => [w.operatorId, 0n, 1n],
  },
  "renounceRole(bytes32,address)": RENOUNCE,
  "reportExitedKeys(uint256,uint256)": { role: ROLE.accounting },
  "revokeRole(bytes32,address)": REVOKE,
  "setBondPerValidator(uint256)": { role: ROLE.bondManager },
  "setNodeOperatorActive(uint256,bool)": { role: ROLE.operatorManager },
  "setNodeOperatorRewardAddress(uint256,address)": { role: ROLE.operatorManager },
  "setVettedKeys(uint256,uint256,uint256)": { role: ROLE.operatorManager },
  "takeBondShares(uint256,uint256,address)": {
    role: ROLE.accounting,
    args: (w) => [w.operatorId, 1n, w.stranger.address],
  },
  "upgradeToAndCall(address,bytes)": {
    role: ADMIN,
    args: async (w) => [await implementationOf(await w.registry.getAddress()), "0x"],
  },
  "withdrawBond(uint256,uint256,address)": {
    error: "CallerNotOperator",
    errorArgs: notOperator,
    args: (w) => [w.operatorId, 1n, w.stranger.address],
  },
};

const DSM_SPEC: Spec = {
  "addGuardian(address,uint256)": { role: ADMIN, args: (w) => [w.stranger.address, 1n] },
  "depositBufferedEther(uint256,uint256,(bytes32,uint256,uint256,bytes32),(bytes32,bytes32)[])": {
    error: "NotEnoughSignatures",
    errorArgs: () => [0n, 1n],
    args: async (w) => [w.operatorId, 1n, await currentAttestation(w.depositContract, w.registry, ethers.provider), []],
  },
  "grantRole(bytes32,address)": GRANT,
  "removeGuardian(address,uint256)": { role: ADMIN, args: (w) => [w.guardian.address, 1n] },
  "renounceRole(bytes32,address)": RENOUNCE,
  "revokeRole(bytes32,address)": REVOKE,
  "setMaxAttestationAge(uint256)": { role: ADMIN, args: () => [256n] },
  "setQuorum(uint256)": { role: ADMIN },
};

const ORACLE_SPEC: Spec = {
  "addMember(address,uint256)": { role: ROLE.manageMembers, args: (w) => [w.stranger.address, 1n] },
  "grantRole(bytes32,address)": GRANT,
  "initialize(address,address,uint256,uint256,uint256,address[],uint256)": INITIALIZED,
  "pauseReports()": { role: ROLE.pause },
  "removeMember(address,uint256)": {
    role: ROLE.manageMembers,
    args: (w) => [w.oracleMembers[0].address, 1n],
  },
  "renounceRole(bytes32,address)": RENOUNCE,
  "resumeReports()": { role: ROLE.resume },
  "revokeRole(bytes32,address)": REVOKE,
  "setFees(uint256,uint256,uint256)": { role: ROLE.feeManager },
  "setFrameConfig(uint256,uint256)": { role: ROLE.manageMembers },
  "setQuorum(uint256)": { role: ROLE.manageMembers },
  "setSanityLimits((uint16,uint16,uint32,uint16,uint16))": { role: ROLE.sanityLimits },
  "setTreasury(address)": { role: ROLE.feeManager },
  "submitReport((uint256,uint256,uint256,uint256,uint256,uint256,bool,uint256[],uint256[],uint256[],uint256[],uint256[],uint256[],uint256[]))":
    {
      error: "NotMember",
      errorArgs: caller,
      args: async (w) => [buildReport((await w.oracle.getCurrentFrame())[0], { numValidators: 1000n })],
    },
  "upgradeToAndCall(address,bytes)": {
    role: ADMIN,
    args: async (w) => [await implementationOf(await w.oracle.getAddress()), "0x"],
  },
};

const INSURANCE_SPEC: Spec = {
  "grantRole(bytes32,address)": GRANT,
  "payOut(address,uint256)": { role: ADMIN },
  "renounceRole(bytes32,address)": RENOUNCE,
  "revokeRole(bytes32,address)": REVOKE,
};

const WITHDRAWAL_VAULT_SPEC: Spec = {
  "grantRole(bytes32,address)": GRANT,
  "initialize(address)": INITIALIZED,
  "renounceRole(bytes32,address)": RENOUNCE,
  "requestFullExit(bytes)": { role: ROLE.exitRequester, args: () => [ethers.zeroPadValue("0x01", 48)] },
  "revokeRole(bytes32,address)": REVOKE,
  "transferToPool(uint256)": { error: "CallerNotPool", errorArgs: caller },
  "upgradeToAndCall(address,bytes)": {
    role: ADMIN,
    args: async (w) => [await implementationOf(await w.withdrawalVault.getAddress()), "0x"],
  },
  "receive()": { open: "accepts withdrawals and donations" },
};

/** Proofs are open (checked against the EIP-4788 root); governance's settings and forced exits are not. */
const VALIDATOR_FACT =
  "(uint256,uint256,uint256,(uint64,uint64,bytes32,bytes32,bytes32),uint64,(bytes,bytes32,uint64,bool,uint64,uint64,uint64,uint64),bytes)";
const PROOF =
  "anyone proves a beacon-state fact against the EIP-4788 root; the contract acts only on a valid proof, once per key";
const FACTS_SPEC: Spec = {
  "addForkLayout((uint64,uint64,uint64,uint8))": { role: ROLE.forkSchedule },
  "forceExit(uint256,uint256)": { role: ROLE.forceExit, args: (w) => [w.operatorId, 0n] },
  "grantRole(bytes32,address)": GRANT,
  [`proveExited(${VALIDATOR_FACT})`]: { open: PROOF },
  [`proveForeignCredentials(${VALIDATOR_FACT})`]: { open: PROOF },
  [`proveLateExit(${VALIDATOR_FACT},(bytes32,bytes32[]))`]: {
    open: `${PROOF}; the late-exit fee is the caller's own ETH, refunded from the bond`,
  },
  [`proveSlashed(${VALIDATOR_FACT})`]: { open: PROOF },
  "renounceRole(bytes32,address)": RENOUNCE,
  "revokeRole(bytes32,address)": REVOKE,
  "setExitSettings((uint64,uint96,uint16))": { role: ROLE.exitSettings },
  "useSlashingCredit(uint256,uint256)": { error: "CallerNotOracle", errorArgs: caller },
};

const EL_VAULT_SPEC: Spec = {
  "transferToPool(uint256)": { error: "CallerNotPool", errorArgs: caller },
  "receive()": { open: "accepts priority fees, MEV and donations" },
};

const DEPOSIT_CONTRACT_SPEC: Spec = {
  "deposit(bytes,bytes,bytes,bytes32)": { open: "the beacon deposit contract is permissionless by design" },
};

/** The timelock's own roles: PROPOSER/CANCELLER to account 1, EXECUTOR to anyone, admin to itself. */
const TIMELOCK_SPEC: Spec = {
  "cancel(bytes32)": { role: ROLE.canceller },
  // Executing an upgrade nobody scheduled: anyone may execute, but only a Ready operation.
  "execute(address,uint256,bytes,bytes32,bytes32)": {
    error: "TimelockUnexpectedOperationState",
    errorArgs: async (w) => [await w.timelock!.hashOperation(...(await upgradeCall(w))), 1n << 2n],
    args: upgradeCall,
  },
  "executeBatch(address[],uint256[],bytes[],bytes32,bytes32)": {
    error: "TimelockUnexpectedOperationState",
    errorArgs: async (w) => [await w.timelock!.hashOperationBatch(...(await upgradeBatch(w))), 1n << 2n],
    args: upgradeBatch,
  },
  "grantRole(bytes32,address)": GRANT,
  "onERC1155BatchReceived(address,address,uint256[],uint256[],bytes)": { open: "token receiver hook" },
  "onERC1155Received(address,address,uint256,uint256,bytes)": { open: "token receiver hook" },
  "onERC721Received(address,address,uint256,bytes)": { open: "token receiver hook" },
  "renounceRole(bytes32,address)": {
    error: "AccessControlBadConfirmation",
    errorArgs: () => [],
    args: async (w) => [ADMIN, await w.timelock!.getAddress()],
  },
  "revokeRole(bytes32,address)": {
    role: ADMIN,
    args: async () => [ROLE.proposer, (await ethers.getSigners())[1].address],
  },
  "schedule(address,uint256,bytes,bytes32,bytes32,uint256)": {
    role: ROLE.proposer,
    args: async (w) => [...(await upgradeCall(w)), 0n],
  },
  "scheduleBatch(address[],uint256[],bytes[],bytes32,bytes32,uint256)": {
    role: ROLE.proposer,
    args: async (w) => [...(await upgradeBatch(w)), 0n],
  },
  "updateDelay(uint256)": { error: "TimelockUnauthorizedCaller", errorArgs: caller, args: () => [0n] },
  "receive()": { open: "accepts ETH" },
};

/** An upgrade of the pool to the stranger's implementation (a V2 whose `setAnswer` it could then call). */
async function upgradeCall(w: World): Promise<[string, bigint, string, string, string]> {
  const data = w.pool.interface.encodeFunctionData("upgradeToAndCall", [w.stranger.address, "0x"]);
  return [w.poolAddress, 0n, data, ZeroHash, id("stranger-upgrade")];
}
async function upgradeBatch(w: World): Promise<[string[], bigint[], string[], string, string]> {
  const [target, value, data, predecessor, salt] = await upgradeCall(w);
  return [[target], [value], [data], predecessor, salt];
}

/** Every contract, its classification, and which deployments it exists in. */
function targets(w: World): [string, BaseContract, Spec][] {
  const list: [string, BaseContract, Spec][] = [
    ["StakingPool", w.pool, POOL_SPEC],
    ["WrappedTpEth", w.wrapper, WRAPPER_SPEC],
    ["WithdrawalQueue", w.withdrawalQueue, QUEUE_SPEC],
    ["NodeOperatorRegistry", w.registry, REGISTRY_SPEC],
    ["DepositSecurityModule", w.dsm, DSM_SPEC],
    ["AccountingOracle", w.oracle, ORACLE_SPEC],
    ["InsuranceFund", w.insuranceFund, INSURANCE_SPEC],
    ["WithdrawalVault", w.withdrawalVault, WITHDRAWAL_VAULT_SPEC],
    ["BeaconFacts", w.facts, FACTS_SPEC],
    ["ExecutionLayerRewardsVault", w.elRewardsVault, EL_VAULT_SPEC],
    ["DepositContract", w.depositContract, DEPOSIT_CONTRACT_SPEC],
  ];
  if (w.timelock) list.push(["TidepoolTimelock", w.timelock, TIMELOCK_SPEC]);
  return list;
}

/** The ABI's state-changing entry points: functions that are neither view nor pure, and `receive()`. */
function stateChanging(contract: BaseContract): string[] {
  const sigs: string[] = [];
  contract.interface.forEachFunction((fn: FunctionFragment) => {
    if (!fn.constant) sigs.push(fn.format("sighash"));
  });
  if (contract.interface.receive) sigs.push("receive()");
  return sigs.sort();
}

/** A well-formed argument of each ABI type (the access check comes first, so values barely matter). */
function defaultArg(p: ParamType, w: World): unknown {
  if (p.isArray()) return [];
  if (p.isTuple()) return p.components.map((c) => defaultArg(c, w));
  if (p.baseType === "address") return w.stranger.address;
  if (p.baseType === "bool") return true;
  if (p.baseType === "string") return "attack";
  if (p.baseType === "bytes") return "0x";
  if (p.baseType.startsWith("bytes")) return ethers.zeroPadValue("0x01", Number(p.baseType.slice(5)));
  return 1n; // uint*, int*
}

/**
 * Calls every privileged entry point of every contract as `attacker` and expects its exact error.
 * Returns how many were refused.
 */
async function attackEverything(w: World, attacker: HardhatEthersSigner): Promise<number> {
  let refused = 0;
  for (const [name, contract, spec] of targets(w)) {
    for (const sig of stateChanging(contract)) {
      const c = spec[sig];
      if (!c || "open" in c) continue;
      const fn = contract.interface.getFunction(sig)!;
      const args = c.args ? await c.args(w) : fn.inputs.map((p) => defaultArg(p, w));
      const call = (contract.connect(attacker) as BaseContract).getFunction(sig)(...args);
      const errorName = "role" in c ? "AccessControlUnauthorizedAccount" : c.error;
      const errorArgs = "role" in c ? [attacker.address, c.role] : await c.errorArgs(w);
      await expect(call, `${name}.${sig}`)
        .to.be.revertedWithCustomError(contract, errorName)
        .withArgs(...errorArgs);
      refused++;
    }
  }
  return refused;
}

describe("Attack: governance — privileged functions, upgrades, initialisers, quorum, stale reports", function () {
  describe("every state-changing function, enumerated from the ABI", function () {
    it("a stranger holding tpETH calls each of the 101 guarded functions: each reverts with its exact error; nothing moves", async function () {
      const w = await loadFixture(localWorld);
      const before = await worldState(w);
      const ledger = await Ledger.open(w, [w.stranger.address, w.victim.address]);

      expect(await attackEverything(w, w.stranger)).to.equal(101);

      expect(await worldState(w)).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      const profit = await ledger.profit(w.stranger.address);
      expect(profit).to.be.lte(0n);
      expect(profit).to.equal(0n); // gas excluded: not a wei gained
    });

    it("each role holder outside its own role is a stranger too (pauser, oracle member, guardian, treasury, operator)", async function () {
      const w = await loadFixture(localWorld);
      const before = await worldState(w);
      const insiders = [w.pauser, w.oracleMembers[0], w.guardian, w.treasury, w.operatorSigner];
      const ledger = await Ledger.open(
        w,
        insiders.map((s) => s.address),
      );
      // Each insider may call what its own role allows; everything else is refused exactly as for a stranger.
      const own: Record<string, Set<string>> = {
        [w.pauser.address]: new Set(["pause(uint8)", "pause()", "pauseReports()"]),
        [w.oracleMembers[0].address]: new Set([
          "submitReport((uint256,uint256,uint256,uint256,uint256,uint256,bool,uint256[],uint256[],uint256[],uint256[],uint256[],uint256[],uint256[]))",
        ]),
        [w.operatorSigner.address]: new Set([
          "addSigningKeys(uint256,uint256,bytes,bytes)",
          "claimOperatorRewards(uint256)",
          "removeSigningKeys(uint256,uint256,uint256)",
          "withdrawBond(uint256,uint256,address)",
        ]),
      };
      let refused = 0;
      for (const insider of insiders) {
        const skip = own[insider.address] ?? new Set<string>();
        const asInsider: World = { ...w, stranger: insider };
        for (const [name, contract, spec] of targets(asInsider)) {
          for (const sig of stateChanging(contract)) {
            const c = spec[sig];
            if (!c || "open" in c || skip.has(sig)) continue;
            const fn = contract.interface.getFunction(sig)!;
            const args = c.args ? await c.args(asInsider) : fn.inputs.map((p) => defaultArg(p, asInsider));
            const call = (contract.connect(insider) as BaseContract).getFunction(sig)(...args);
            const errorName = "role" in c ? "AccessControlUnauthorizedAccount" : c.error;
            const errorArgs = "role" in c ? [insider.address, c.role] : await c.errorArgs(asInsider);
            await expect(call, `${name}.${sig} as ${insider.address}`)
              .to.be.revertedWithCustomError(contract, errorName)
              .withArgs(...errorArgs);
            refused++;
          }
        }
      }
      expect(refused).to.equal(101 * 5 - 3 - 1 - 4);
      expect(await worldState(w)).to.deep.equal(before);
      for (const s of insiders) expect(await ledger.profit(s.address)).to.equal(0n);
    });

    it("public-network deployment: every function is classified, and the deployer kept no power — all 110 guarded ones refuse it", async function () {
      const w = await loadFixture(timelockWorld);
      // The spec lists exactly the ABI's state-changing functions of each contract: a function added
      // later fails here until it is classified (and, if guarded, attacked).
      let guarded = 0;
      for (const [name, contract, spec] of targets(w)) {
        expect(stateChanging(contract), name).to.deep.equal(Object.keys(spec).sort());
        guarded += Object.values(spec).filter((c) => !("open" in c)).length;
      }
      expect(guarded).to.equal(110);

      const before = await worldState(w);
      const ledger = await Ledger.open(w, [w.stranger.address, w.victim.address]);
      expect(await attackEverything(w, w.stranger)).to.equal(110); // the stranger here is the deployer

      expect(await worldState(w)).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      expect(await ledger.profit(w.stranger.address)).to.equal(0n);
    });

    it("public-network deployment: even the proposer cannot shorten the delay or execute early", async function () {
      const w = await loadFixture(timelockWorld);
      const timelock = w.timelock!;
      const proposer = (await ethers.getSigners())[1];
      const v2 = await (
        await ethers.getContractFactory("StakingPool__V2Mock", { libraries: await deployPoolLibraries(hre) })
      ).deploy(await poolPeers(w.pool));
      const data = w.pool.interface.encodeFunctionData("upgradeToAndCall", [await v2.getAddress(), "0x"]);
      const salt = id("rushed");
      const minDelay = await timelock.getMinDelay();
      const before = await worldState(w);
      const ledger = await Ledger.open(w, [proposer.address, w.stranger.address, w.victim.address]);
      await expect(timelock.connect(proposer).schedule(w.poolAddress, 0n, data, ZeroHash, salt, minDelay - 1n))
        .to.be.revertedWithCustomError(timelock, "TimelockInsufficientDelay")
        .withArgs(minDelay - 1n, minDelay);
      await (await timelock.connect(proposer).schedule(w.poolAddress, 0n, data, ZeroHash, salt, minDelay)).wait();
      const opId = await timelock.hashOperation(w.poolAddress, 0n, data, ZeroHash, salt);
      await time.increase(minDelay - 10n);
      await expect(timelock.connect(w.stranger).execute(w.poolAddress, 0n, data, ZeroHash, salt))
        .to.be.revertedWithCustomError(timelock, "TimelockUnexpectedOperationState")
        .withArgs(opId, 1n << 2n);
      // The delay also cannot be changed except by the timelock itself (through the same delay).
      await expect(timelock.connect(proposer).updateDelay(0n))
        .to.be.revertedWithCustomError(timelock, "TimelockUnauthorizedCaller")
        .withArgs(proposer.address);
      expect(await worldState(w)).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      expect(await ledger.profit(proposer.address, w.stranger.address)).to.equal(0n);
    });
  });

  describe("upgrades and initialisers", function () {
    /** Each UUPS proxy of the deployment with its implementation. */
    async function proxies(w: World) {
      const list: [string, BaseContract][] = [
        ["StakingPool", w.pool],
        ["WithdrawalQueue", w.withdrawalQueue],
        ["NodeOperatorRegistry", w.registry],
        ["AccountingOracle", w.oracle],
        ["WithdrawalVault", w.withdrawalVault],
      ];
      return Promise.all(
        list.map(async ([name, proxy]) => {
          const address = await proxy.getAddress();
          return { name, proxy, address, implementation: await implementationOf(address) };
        }),
      );
    }

    it("no stranger or role holder can upgrade any of the five UUPS proxies to a hostile implementation", async function () {
      const w = await loadFixture(localWorld);
      // The attacker's implementation: a pool V2 (UUPS-compatible) with an extra admin-only setter.
      const hostile = await (
        await ethers.getContractFactory("StakingPool__V2Mock", { libraries: await deployPoolLibraries(hre) })
      ).deploy({
        wrapper: w.stranger.address,
        depositContract: w.stranger.address,
        registry: w.stranger.address,
        depositSecurityModule: w.stranger.address,
        withdrawalVault: w.stranger.address,
        elRewardsVault: w.stranger.address,
        oracle: w.stranger.address,
        insuranceFund: w.stranger.address,
        withdrawalQueue: w.stranger.address,
        beaconFacts: w.stranger.address,
      });
      const init = hostile.interface.encodeFunctionData("initializeV2", [1n]);
      const before = await worldState(w);
      const attackers = [w.stranger, w.pauser, w.oracleMembers[0], w.guardian, w.operatorSigner];
      const ledger = await Ledger.open(
        w,
        attackers.map((a) => a.address),
      );
      for (const p of await proxies(w)) {
        for (const attacker of attackers) {
          await expect(
            (p.proxy.connect(attacker) as BaseContract).getFunction("upgradeToAndCall")(
              await hostile.getAddress(),
              init,
            ),
            `${p.name} by ${attacker.address}`,
          )
            .to.be.revertedWithCustomError(p.proxy, "AccessControlUnauthorizedAccount")
            .withArgs(attacker.address, ADMIN);
        }
        expect(await implementationOf(p.address)).to.equal(p.implementation);
      }
      expect(await worldState(w)).to.deep.equal(before);
      for (const a of attackers) expect(await ledger.profit(a.address)).to.equal(0n);
    });

    it("no implementation (the pool's bootstrap one included) can be initialised, upgraded or taken over directly", async function () {
      const w = await loadFixture(localWorld);
      const s = w.stranger;
      const poolImpls = (await w.pool.queryFilter(w.pool.filters.Upgraded())).map((e) => e.args.implementation);
      expect(poolImpls).to.have.length(2); // bootstrap (all peers zero), then the real implementation
      const at = (name: string, address: string) => ethers.getContractAt(name, address);
      const impls: [string, BaseContract, unknown[], bigint][] = [
        ["bootstrap pool", await at("StakingPool", poolImpls[0]), [s.address], parseEther("1")],
        ["pool", await at("StakingPool", poolImpls[1]), [s.address], parseEther("1")],
        [
          "queue",
          await at("WithdrawalQueue", await implementationOf(await w.withdrawalQueue.getAddress())),
          [s.address, s.address],
          0n,
        ],
        [
          "registry",
          await at("NodeOperatorRegistry", await implementationOf(await w.registry.getAddress())),
          [s.address, 0n],
          0n,
        ],
        [
          "oracle",
          await at("AccountingOracle", await implementationOf(await w.oracle.getAddress())),
          [s.address, s.address, 0n, 225n, 3600n, [s.address], 1n],
          0n,
        ],
        [
          "withdrawal vault",
          await at("WithdrawalVault", await implementationOf(await w.withdrawalVault.getAddress())),
          [s.address],
          0n,
        ],
      ];
      const ledger = await Ledger.open(w, [s.address]);
      for (const [name, impl, args, value] of impls) {
        const asStranger = impl.connect(s) as BaseContract;
        await expect(asStranger.getFunction("initialize")(...args, { value }), `${name}.initialize`)
          .to.be.revertedWithCustomError(impl, "InvalidInitialization")
          .withArgs();
        // An implementation refuses upgradeToAndCall outside a proxy: it can never be pointed at a
        // self-destructing contract through its own code.
        await expect(asStranger.getFunction("upgradeToAndCall")(s.address, "0x"), `${name}.upgradeToAndCall`)
          .to.be.revertedWithCustomError(impl, "UUPSUnauthorizedCallContext")
          .withArgs();
        expect(await asStranger.getFunction("hasRole")(ADMIN, s.address)).to.equal(false);
        expect(await ethers.provider.getCode(await impl.getAddress())).to.not.equal("0x");
      }
      // The stranger got nothing back: the ETH sent with the pool initialisers returned with the revert.
      expect(await ledger.profit(s.address)).to.equal(0n);
    });
  });

  describe("oracle quorum manipulation", function () {
    /** The local world (its one deployment, restored), moved to a fresh frame nobody voted in. */
    async function openFrame() {
      const w = await loadFixture(localWorld);
      const refSlot = await advanceFrames(hre.network.provider, w.oracle);
      const [, , clBalance] = await w.pool.getBeaconStat();
      // A report inflating the CL balance by 0.01 ETH (~3.8% APR, inside every sanity limit): the
      // colluding member's bid to raise the share rate for the tpETH it holds.
      const inflated = buildReport(refSlot, {
        numValidators: 3n,
        clBalanceGwei: toGwei(clBalance + parseEther("0.01")),
      });
      return { w, refSlot, inflated };
    }

    it("members, the pauser and strangers cannot add or remove members or move the quorum", async function () {
      const { w } = await openFrame();
      const before = await worldState(w);
      const attackers = [w.stranger, w.pauser, ...w.oracleMembers];
      const ledger = await Ledger.open(w, [...attackers.map((a) => a.address), w.victim.address]);
      for (const a of attackers) {
        await expect(w.oracle.connect(a).addMember(w.stranger.address, 3n))
          .to.be.revertedWithCustomError(w.oracle, "AccessControlUnauthorizedAccount")
          .withArgs(a.address, ROLE.manageMembers);
        await expect(w.oracle.connect(a).removeMember(w.oracleMembers[2].address, 2n))
          .to.be.revertedWithCustomError(w.oracle, "AccessControlUnauthorizedAccount")
          .withArgs(a.address, ROLE.manageMembers);
        await expect(w.oracle.connect(a).setQuorum(1n))
          .to.be.revertedWithCustomError(w.oracle, "AccessControlUnauthorizedAccount")
          .withArgs(a.address, ROLE.manageMembers);
      }
      expect(await worldState(w)).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      for (const a of attackers) expect(await ledger.profit(a.address)).to.equal(0n);
    });

    it("a colluding member voting the inflated report again and again (or flip-flopping) never counts twice", async function () {
      const { w, refSlot, inflated } = await openFrame();
      const [m1] = w.oracleMembers;
      const other = buildReport(refSlot, { numValidators: 3n, clBalanceGwei: toGwei(parseEther("96")) });
      const ledger = await Ledger.open(w, [m1.address, w.victim.address]);
      const before = await worldState(w);
      for (const report of [inflated, inflated, other, inflated, inflated]) {
        await expect(w.oracle.connect(m1).submitReport(report)).not.to.emit(w.oracle, "ConsensusReached");
      }
      const [slot, hashes, support] = await w.oracle.getReportVariants();
      expect(slot).to.equal(refSlot);
      // Each switch to a new hash took the entry its previous one had left without support.
      expect(plain(hashes)).to.deep.equal([reportHash(inflated)]);
      expect(plain(support)).to.deep.equal([1n]);
      expect(await w.oracle.getLastProcessedRefSlot()).to.be.lt(refSlot);
      // Totals, balances and the victim's holdings are as before; only the variants list changed.
      expect(await worldState(w)).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      expect(await ledger.profit(m1.address)).to.equal(0n);
    });

    it("a member removed and re-added cannot carry its old vote over: its new vote is its only one", async function () {
      const { w, refSlot, inflated } = await openFrame();
      const [m1, m2, m3] = w.oracleMembers;
      const ledger = await Ledger.open(w, [m1.address, w.victim.address]);
      await (await w.oracle.connect(m1).submitReport(inflated)).wait();
      // Governance rotates m1 out and back in (say, a key change); the vote it cast must not survive.
      await (await w.oracle.connect(w.admin).removeMember(m1.address, 2n)).wait();
      expect(plain((await w.oracle.getReportVariants())[2])).to.deep.equal([0n]);
      await (await w.oracle.connect(w.admin).addMember(m1.address, 2n)).wait();
      await expect(w.oracle.connect(m1).submitReport(inflated)).not.to.emit(w.oracle, "ConsensusReached");
      expect(plain((await w.oracle.getReportVariants())[2])).to.deep.equal([1n]);
      expect(await w.oracle.getLastProcessedRefSlot()).to.be.lt(refSlot);
      // The honest members still decide the frame with the true report.
      const honest = buildReport(refSlot, { numValidators: 3n, clBalanceGwei: toGwei(parseEther("96")) });
      await (await w.oracle.connect(m2).submitReport(honest)).wait();
      await expect(w.oracle.connect(m3).submitReport(honest)).to.emit(w.oracle, "ConsensusReached");
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      expect(await ledger.profit(m1.address)).to.equal(0n);
    });

    it("a removed member cannot vote; the quorum can never fall to half the members or below", async function () {
      const { w, inflated } = await openFrame();
      const [m1, m2] = w.oracleMembers;
      await (await w.oracle.connect(w.admin).removeMember(m1.address, 2n)).wait();
      const before = await worldState(w);
      const ledger = await Ledger.open(w, [m1.address, w.victim.address]);
      await expect(w.oracle.connect(m1).submitReport(inflated))
        .to.be.revertedWithCustomError(w.oracle, "NotMember")
        .withArgs(m1.address);
      // Two members left: a quorum of 1 would let one member decide alone.
      await expect(w.oracle.connect(w.admin).setQuorum(1n))
        .to.be.revertedWithCustomError(w.oracle, "InvalidQuorum")
        .withArgs(1n, 2n);
      // Packing the committee without raising the quorum: 4 members, quorum 2.
      await (await w.oracle.connect(w.admin).addMember(m1.address, 2n)).wait();
      await expect(w.oracle.connect(w.admin).addMember(w.stranger.address, 2n))
        .to.be.revertedWithCustomError(w.oracle, "InvalidQuorum")
        .withArgs(2n, 4n);
      await expect(w.oracle.connect(w.admin).removeMember(m2.address, 1n))
        .to.be.revertedWithCustomError(w.oracle, "InvalidQuorum")
        .withArgs(1n, 2n);
      expect(plain(await w.oracle.getMembers())).to.have.length(3);
      expect(await w.oracle.quorum()).to.equal(2n);
      const after = (await worldState(w)) as unknown[];
      expect(after[0]).to.deep.equal((before as unknown[])[0]); // no report applied, no value moved
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      expect(await ledger.profit(m1.address)).to.equal(0n);
    });
  });

  describe("stale and replayed reports", function () {
    /** The local world (restored) with a rewards report (+0.01 ETH) applied in a fresh frame by members 1 and 2. */
    async function applied() {
      const w = await loadFixture(localWorld);
      const refSlot = await advanceFrames(hre.network.provider, w.oracle);
      const [, , clBalance] = await w.pool.getBeaconStat();
      const report = buildReport(refSlot, { numValidators: 3n, clBalanceGwei: toGwei(clBalance + parseEther("0.01")) });
      await (await w.oracle.connect(w.oracleMembers[0]).submitReport(report)).wait();
      await (await w.oracle.connect(w.oracleMembers[1]).submitReport(report)).wait();
      expect(await w.oracle.getLastProcessedRefSlot()).to.equal(refSlot);
      return { w, refSlot, report };
    }

    it("replaying the applied rewards report in its own frame: FrameAlreadyProcessed; no second rebase", async function () {
      const { w, refSlot, report } = await applied();
      const m3 = w.oracleMembers[2];
      const before = await worldState(w);
      const ledger = await Ledger.open(w, [m3.address, w.stranger.address, w.victim.address]);
      for (const member of w.oracleMembers) {
        await expect(w.oracle.connect(member).submitReport(report))
          .to.be.revertedWithCustomError(w.oracle, "FrameAlreadyProcessed")
          .withArgs(refSlot);
      }
      expect(await worldState(w)).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      expect(await ledger.profit(w.stranger.address, m3.address)).to.equal(0n);
    });

    it("replaying it in the next frame, or voting for a future frame: UnexpectedRefSlot(refSlot, current)", async function () {
      const { w, refSlot, report } = await applied();
      const next = await advanceFrames(hre.network.provider, w.oracle);
      const before = await worldState(w);
      const ledger = await Ledger.open(w, [w.stranger.address, w.victim.address]);
      for (const member of w.oracleMembers) {
        await expect(w.oracle.connect(member).submitReport(report))
          .to.be.revertedWithCustomError(w.oracle, "UnexpectedRefSlot")
          .withArgs(refSlot, next);
      }
      const future = { ...report, refSlot: next + 7200n };
      await expect(w.oracle.connect(w.oracleMembers[0]).submitReport(future))
        .to.be.revertedWithCustomError(w.oracle, "UnexpectedRefSlot")
        .withArgs(next + 7200n, next);
      expect(await worldState(w)).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      expect(await ledger.profit(w.stranger.address)).to.equal(0n);
    });

    it("a late report (after the frame's deadline): ReportDeadlinePassed(refSlot, deadline, currentSlot)", async function () {
      const { w } = await applied();
      const next = await advanceFrames(hre.network.provider, w.oracle);
      const [, deadline] = await w.oracle.getCurrentFrame();
      const [, , clBalance] = await w.pool.getBeaconStat();
      const late = buildReport(next, { numValidators: 3n, clBalanceGwei: toGwei(clBalance + parseEther("0.01")) });
      await (await w.oracle.connect(w.oracleMembers[0]).submitReport(late)).wait();
      const timing = await frameTiming(w.oracle);
      await time.setNextBlockTimestamp(slotTime(timing, deadline + 1n));
      const before = await worldState(w);
      const ledger = await Ledger.open(w, [w.stranger.address, w.victim.address]);
      await expect(w.oracle.connect(w.oracleMembers[1]).submitReport(late))
        .to.be.revertedWithCustomError(w.oracle, "ReportDeadlinePassed")
        .withArgs(next, deadline, deadline + 1n);
      expect(await worldState(w)).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      expect(await ledger.profit(w.stranger.address)).to.equal(0n);
    });

    it("a vote cast in one frame does not count in the next: a single new vote stays short of the quorum", async function () {
      const { w } = await applied();
      const [m1, m2, m3] = w.oracleMembers;
      const frameA = await advanceFrames(hre.network.provider, w.oracle);
      const [, , clBalance] = await w.pool.getBeaconStat();
      const cl = toGwei(clBalance + parseEther("0.01"));
      await (
        await w.oracle.connect(m1).submitReport(buildReport(frameA, { numValidators: 3n, clBalanceGwei: cl }))
      ).wait();
      // Frame A passes without consensus; in frame B the same figures (new refSlot) get one vote.
      const frameB = await advanceFrames(hre.network.provider, w.oracle);
      const before = await worldState(w);
      const ledger = await Ledger.open(w, [m1.address, m2.address, w.stranger.address, w.victim.address]);
      const reportB = buildReport(frameB, { numValidators: 3n, clBalanceGwei: cl });
      await expect(w.oracle.connect(m2).submitReport(reportB)).not.to.emit(w.oracle, "ConsensusReached");
      expect(plain((await w.oracle.getReportVariants())[2])).to.deep.equal([1n]);
      expect(((await worldState(w)) as unknown[])[0]).to.deep.equal((before as unknown[])[0]);
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      expect(await ledger.profit(m1.address, m2.address, w.stranger.address)).to.equal(0n);
      // Only a second vote in frame B decides it.
      await expect(w.oracle.connect(m3).submitReport(reportB)).to.emit(w.oracle, "ConsensusReached");
    });
  });
});
