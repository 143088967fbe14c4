/**
 * BeaconFacts in a full deployment: two operators with deposited keys, unfinalized withdrawal
 * requests (exit requests are bounded by them), the EIP-7002 predeploy installed, and a beacon state
 * (mainnet-shaped lists, {@link mainnetShapedState}) holding every registry key at a random index,
 * published through EIP-4788 at the current slot. The state is built after the test's mutations:
 * `publishState(mutations)` plants the keys with their fields, writes the header's root and returns
 * the builder of `IBeaconFacts.ValidatorFactStruct`s for it.
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, ZeroAddress, getBytes, hexlify, keccak256, parseEther, toUtf8Bytes } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Node } from "@chainsafe/persistent-merkle-tree" with { "resolution-mode": "import" };
import { deployWithQueue, type WithdrawalFixture } from "./withdrawal-fixtures";
import { advanceFrames, buildReport, depositValidators, submitUntilApplied, toGwei } from "./oracle-fixtures";
import type { ReportFields } from "../../sdk/src/report";
import { FAR_FUTURE_EPOCH, GWEI_32_ETH, mainnetShapedState } from "./beacon-state";
import { registerOperator } from "../../offchain/operators/register";
import { installWithdrawalRequestPredeploy } from "../../offchain/beacon/withdrawal-requests";
import {
  buildValidatorProof,
  electraLayout,
  headerFor,
  headerRoot,
  type BeaconBlockHeader,
  type StateLayout,
  type ValidatorRecord,
} from "../../offchain/prover/proofs";
import type { IBeaconFacts } from "../../typechain-types";

export { FAR_FUTURE_EPOCH } from "./beacon-state";

const BEACON_ROOTS = "0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02";
const SYSTEM_ADDRESS = "0xfffffffffffffffffffffffffffffffffffffffe";
export const SECONDS_PER_SLOT = 12n;
export const SLOTS_PER_EPOCH = 32n;
/** EPOCHS_PER_SLASHINGS_VECTOR: a slashed validator is withdrawable this long after its slashing. */
export const EPOCHS_PER_SLASHINGS_VECTOR = 8192n;
/** Validators in the state where the test is not about scale (a multiple of 4). */
export const SMALL_VALIDATOR_COUNT = 5_000;
/** More than 2^20 validators, a multiple of 4: the mainnet scale. */
export const LARGE_VALIDATOR_COUNT = 2 ** 20 + 1_236;
/** The deployment's exit settings (deploy/modules/Tidepool.ts). */
export const LATE_EXIT_DEADLINE_SECONDS = 4n * 24n * 3600n;
export const LATE_EXIT_PENALTY_WEI = parseEther("0.1");
export const MAX_FORCED_EXITS_PER_DAY = 10n;
/** Fact bits (IBeaconFacts.keyFacts). */
export const FACT = { slashed: 1n, exited: 2n, late: 4n, foreign: 8n, forced: 16n } as const;

/** A registry key's validator fields that differ from an active validator with the pool's credentials. */
export type KeyMutation = Partial<Omit<ValidatorRecord, "pubkey">>;
/** Mutations by `"operatorId:keyIndex"` (see {@link keyId}). */
export type Mutations = Record<string, KeyMutation>;
export const keyId = (operatorId: bigint, keyIndex: bigint): string => `${operatorId}:${keyIndex}`;

/** A published state: its header, the EIP-4788 timestamp of its root, and proofs of our keys. */
export interface PublishedState {
  header: BeaconBlockHeader;
  blockTimestamp: bigint;
  /** Each planted key's validator index. */
  indices: Map<string, bigint>;
  /** The fact for a key as planted (or with `change` applied after the proof: a tampered fact). */
  factFor: (operatorId: bigint, keyIndex: bigint, change?: KeyMutation) => Promise<IBeaconFacts.ValidatorFactStruct>;
}

export interface FactsFixture extends WithdrawalFixture {
  /** Operator 1's reward address (operator 0's is `operator`). */
  operator1: HardhatEthersSigner;
  operator1Id: bigint;
  /** Staked 200 ETH; holds tpETH. */
  funder: HardhatEthersSigner;
  /** The withdrawal request ids (unfinalized): 70 ETH, so reports may ask for up to 3 exits. */
  requestIds: bigint[];
  withdrawalCredentials: string;
  layout: StateLayout;
  /** Plants every registry key (with `mutations`) in a state at the current slot and publishes its root. */
  publishState: (mutations?: Mutations, opts?: { validatorCount?: number; slot?: bigint }) => Promise<PublishedState>;
}

/** The current slot (genesis is 0 locally... or whatever the oracle's frame config says). */
export async function currentSlot(f: WithdrawalFixture): Promise<bigint> {
  const [genesisTime] = await f.oracle.getFrameConfig();
  const latest = await hre.ethers.provider.getBlock("latest");
  return (BigInt(latest!.timestamp) - genesisTime) / SECONDS_PER_SLOT;
}

/** Writes `root` into the EIP-4788 contract as the consensus client does; returns the block timestamp. */
export async function writeBeaconRoot(root: string): Promise<bigint> {
  const { ethers, network } = hre;
  await network.provider.request({ method: "hardhat_impersonateAccount", params: [SYSTEM_ADDRESS] });
  await network.provider.request({ method: "hardhat_setBalance", params: [SYSTEM_ADDRESS, "0xde0b6b3a7640000"] });
  const system = await ethers.getSigner(SYSTEM_ADDRESS);
  const receipt = await (await system.sendTransaction({ to: BEACON_ROOTS, data: root })).wait();
  await network.provider.request({ method: "hardhat_stopImpersonatingAccount", params: [SYSTEM_ADDRESS] });
  const block = await ethers.provider.getBlock(receipt!.blockNumber);
  return BigInt(block!.timestamp);
}

/** Base states (filler validators only) by validator count: built once per process. */
const baseStates = new Map<number, Promise<Node>>();
function baseState(validatorCount: number): Promise<Node> {
  let s = baseStates.get(validatorCount);
  if (!s) {
    s = mainnetShapedState({ validatorCount, ours: 0, seed: "tidepool-facts", slot: 0 }).then((r) => r.state);
    baseStates.set(validatorCount, s);
  }
  return s;
}

/** An epoch as the SSZ tree takes it: FAR_FUTURE_EPOCH (2^64 − 1) as Infinity. */
const epochValue = (epoch: bigint): number => (epoch === FAR_FUTURE_EPOCH ? Infinity : Number(epoch));

/** Distinct deterministic indices in [0, n). */
function randomIndices(count: number, n: number, seed: string): bigint[] {
  const used = new Set<bigint>();
  for (let k = 0; used.size < count; k++) {
    used.add(BigInt(keccak256(toUtf8Bytes(`${seed}/${k}`)).slice(0, 18)) % BigInt(n));
  }
  return [...used];
}

/**
 * {deployWithQueue} (operator 0: 8 keys, 3 deposited and reported at 96 ETH; three 20 ETH holders)
 * plus: a 200 ETH staker; operator 1 (6 keys, 40 ETH bond: it covers a 32 ETH write-off) with 3
 * keys deposited; operator 0 bonded for a 4th key, deposited. Those 4 deposits are in transit (no
 * report counted them). The staker then asks to withdraw 70 ETH (request 1, unfinalized). The
 * EIP-7002 predeploy is installed and active (fee 1 wei).
 */
export async function deployFacts(): Promise<FactsFixture> {
  const f = await loadFixture(deployWithQueue);
  const [funder, operator1] = f.users.slice(5, 7);
  await (await f.pool.connect(funder).stake(ZeroAddress, { value: parseEther("200") })).wait();
  const operator1Id = await registerOperator(f.registry, f.pool, f.admin, {
    name: "op-1",
    rewardAddress: operator1,
    keys: 6,
    bondWei: parseEther("40"),
  });
  await depositValidators(f, operator1Id, 3);
  await (await f.registry.connect(f.operator).depositBond(f.operatorId, { value: parseEther("2") })).wait();
  await depositValidators(f, f.operatorId, 1);
  const requestIds = await f.request(f.staker, [parseEther("70")]);
  await installWithdrawalRequestPredeploy(hre.network.provider);

  const withdrawalCredentials = (await f.pool.withdrawalCredentials()).toLowerCase();
  const layout = await electraLayout();
  const keys: { operatorId: bigint; keyIndex: bigint; pubkey: string }[] = [];
  for (const operatorId of [f.operatorId, operator1Id]) {
    const total = (await f.registry.getNodeOperator(operatorId)).totalKeys;
    for (let keyIndex = 0n; keyIndex < total; keyIndex++) {
      keys.push({ operatorId, keyIndex, pubkey: (await f.registry.getSigningKey(operatorId, keyIndex)).pubkey });
    }
  }

  const fixture: FactsFixture = {
    ...f,
    operator1,
    operator1Id,
    funder,
    requestIds,
    withdrawalCredentials,
    layout,
    publishState: async (mutations = {}, opts = {}) => {
      const validatorCount = opts.validatorCount ?? SMALL_VALIDATOR_COUNT;
      const slot = opts.slot ?? (await currentSlot(f));
      return publishKeysState(keys, withdrawalCredentials, layout, mutations, { validatorCount, slot });
    },
  };
  return fixture;
}

/** A registry key to plant in a published state. */
export interface PlantedKey {
  operatorId: bigint;
  keyIndex: bigint;
  pubkey: string;
}

/**
 * Plants `keys` (active validators with `withdrawalCredentials`, fields changed by `mutations`) at
 * deterministic random indices of a mainnet-shaped state of `validatorCount` validators at `slot`,
 * publishes its header's root through EIP-4788 and returns the builder of facts for it.
 */
export async function publishKeysState(
  keys: readonly PlantedKey[],
  withdrawalCredentials: string,
  layout: StateLayout,
  mutations: Mutations,
  opts: { validatorCount: number; slot: bigint },
): Promise<PublishedState> {
  const { validatorCount, slot } = opts;
  const { ssz } = await import("@lodestar/types");
  const tree = await import("@chainsafe/persistent-merkle-tree");
  const indexList = randomIndices(keys.length, validatorCount, `facts/${validatorCount}`);
  const records = new Map<string, ValidatorRecord>();
  const indices = new Map<string, bigint>();
  let state = await baseState(validatorCount);
  keys.forEach((k, i) => {
    const id = keyId(k.operatorId, k.keyIndex);
    const v: ValidatorRecord = {
      pubkey: k.pubkey.toLowerCase(),
      withdrawalCredentials: withdrawalCredentials,
      effectiveBalanceGwei: GWEI_32_ETH,
      slashed: false,
      // Long active (fixed epochs, whatever the slot): the consensus layer would accept their exit,
      // so the late-exit deadline runs from the request.
      activationEligibilityEpoch: 10n,
      activationEpoch: 20n,
      exitEpoch: FAR_FUTURE_EPOCH,
      withdrawableEpoch: FAR_FUTURE_EPOCH,
      ...mutations[id],
    };
    const node = ssz.phase0.Validator.value_toTree({
      pubkey: getBytes(v.pubkey),
      withdrawalCredentials: getBytes(v.withdrawalCredentials),
      effectiveBalance: Number(v.effectiveBalanceGwei),
      slashed: v.slashed,
      activationEligibilityEpoch: epochValue(v.activationEligibilityEpoch),
      activationEpoch: epochValue(v.activationEpoch),
      exitEpoch: epochValue(v.exitEpoch),
      withdrawableEpoch: epochValue(v.withdrawableEpoch),
    });
    const gindex = ((layout.validatorsGIndex * 2n) << BigInt(layout.validatorsLimitDepth)) + indexList[i];
    state = tree.setNode(state, gindex, node);
    records.set(id, v);
    indices.set(id, indexList[i]);
  });
  const header = headerFor(state, {
    slot,
    proposerIndex: 4242n,
    parentRoot: hexlify(new Uint8Array(32).fill(0x11)),
    bodyRoot: hexlify(new Uint8Array(32).fill(0x22)),
  });
  const blockTimestamp = await writeBeaconRoot(headerRoot(header));
  const finalState = state;
  return {
    header,
    blockTimestamp,
    indices,
    factFor: async (operatorId, keyIndex, change) => {
      const id = keyId(operatorId, keyIndex);
      const index = indices.get(id);
      if (index === undefined) throw new Error(`key ${id} is not planted`);
      const p = await buildValidatorProof(finalState, layout, index);
      if (p.validator.pubkey.toLowerCase() !== records.get(id)!.pubkey) throw new Error("planted record lost");
      return {
        operatorId,
        keyIndex,
        blockTimestamp,
        header,
        validatorIndex: index,
        validator: { ...p.validator, ...change },
        proof: p.proof,
      };
    },
  };
}

// ──────────────────────────────── Validator fields and reports ────────────────────────────────

/** Fields of a slashed validator whose penalties are still ahead at `slot`. */
export function slashedAt(slot: bigint, effectiveBalanceGwei = 32_000_000_000n): KeyMutation {
  const epoch = slot / SLOTS_PER_EPOCH;
  return {
    slashed: true,
    effectiveBalanceGwei,
    exitEpoch: epoch + 100n,
    withdrawableEpoch: epoch + EPOCHS_PER_SLASHINGS_VECTOR,
  };
}

/** Fields of a validator that exited before `slot`. */
export function exitedBefore(slot: bigint): KeyMutation {
  const epoch = slot / SLOTS_PER_EPOCH;
  return { exitEpoch: epoch - 10n, withdrawableEpoch: epoch + 246n };
}

/** The slot of the latest block (the next published state's, by default). */
export async function slotNow(): Promise<bigint> {
  return BigInt(await time.latest()) / SECONDS_PER_SLOT;
}

/** The next frame's report (no validator newly visible: 3 at 96 ETH unless given), not submitted. */
export async function nextReport(f: FactsFixture, fields: Partial<ReportFields> = {}) {
  const refSlot = await advanceFrames(hre.network.provider, f.oracle, 1n);
  return {
    refSlot,
    data: buildReport(refSlot, { numValidators: 3n, clBalanceGwei: toGwei(parseEther("96")), ...fields }),
  };
}

/** Keys the late-exit tests ask to exit: three, so that one leaf is carried up unpaired. */
export const EXITS: readonly (readonly [bigint, bigint])[] = [
  [0n, 0n],
  [1n, 0n],
  [0n, 1n],
];

/**
 * A report asking `keys` to exit, applied through the committee; checks the recorded root against
 * {@link exitRequestsTree} and returns it, each key's Merkle proof and when the report was applied.
 */
export async function requestExits(f: FactsFixture, keys: readonly (readonly [bigint, bigint])[]) {
  const { data } = await nextReport(f, {
    exitOperatorIds: keys.map((k) => k[0]),
    exitKeyIndices: keys.map((k) => k[1]),
  });
  const tree = exitRequestsTree(keys.map(([o, k]) => exitLeaf(o, k)));
  const receipts = await submitUntilApplied(f.oracle, f.oracleMembers, data);
  const receipt = receipts[receipts.length - 1];
  const recorded = receipt.logs
    .filter((l) => l.address === f.oracle.target)
    .map((l) => f.oracle.interface.parseLog(l))
    .filter((l) => l?.name === "ExitRequestsRecorded")
    .map((l) => [l!.args[0], l!.args[1]]);
  expect(recorded).to.deep.equal([[tree.root, BigInt(keys.length)]]);
  // The first report with these requests set the time; a repeat leaves it.
  const appliedAt = await f.oracle.exitRequestsAppliedAt(tree.root);
  expect(appliedAt).to.be.greaterThan(0n);
  expect(appliedAt).to.be.at.most(BigInt((await receipt.getBlock()).timestamp));
  return { ...tree, appliedAt };
}

// ──────────────────────────────── Exit requests' Merkle tree ────────────────────────────────

/** A leaf of a report's exit requests: keccak256(abi.encode(operatorId, keyIndex)). */
export function exitLeaf(operatorId: bigint, keyIndex: bigint): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [operatorId, keyIndex]));
}

/** keccak of the sorted pair (OpenZeppelin's Hashes.commutativeKeccak256). */
function hashSorted(a: string, b: string): string {
  const [x, y] = BigInt(a) < BigInt(b) ? [a, b] : [b, a];
  return keccak256(new Uint8Array([...getBytes(x), ...getBytes(y)]));
}

/**
 * The tree AccountingOracle._merkleRoot builds over `leaves` (report order): pairs hashed sorted,
 * an odd node at a level's end carried up. Returns the root and each leaf's siblings.
 */
export function exitRequestsTree(leaves: readonly string[]): { root: string; proofs: string[][] } {
  if (leaves.length === 0) throw new Error("no exit requests");
  let level = leaves.map((l, i) => ({ hash: l, members: [i] }));
  const proofs: string[][] = leaves.map(() => []);
  while (level.length > 1) {
    const next: typeof level = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      const [a, b] = [level[i], level[i + 1]];
      for (const m of a.members) proofs[m].push(b.hash);
      for (const m of b.members) proofs[m].push(a.hash);
      next.push({ hash: hashSorted(a.hash, b.hash), members: [...a.members, ...b.members] });
    }
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
  }
  return { root: level[0].hash, proofs };
}
