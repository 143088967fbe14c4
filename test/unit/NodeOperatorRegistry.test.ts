import { expect } from "chai";
import { ethers, network } from "hardhat";
import { impersonateAccount, loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  ZeroAddress,
  ZeroHash,
  concat,
  dataSlice,
  getAddress,
  hexlify,
  id,
  parseEther,
  type BaseContract,
  type ContractTransactionResponse,
  type FunctionFragment,
} from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  TIMELOCK_MIN_DELAY,
  deployTidepoolUnlimited,
  deployWithTimelock,
  type TidepoolFixture,
} from "../helpers/fixtures";
import { rebasePool } from "../helpers/pool-storage";
import {
  DEFAULT_BOND_PER_VALIDATOR,
  DEPOSIT_SIZE,
  ERC1967_IMPLEMENTATION_SLOT,
  MAX_KEYS_PER_CALL,
  depositAsPool,
  mulDivUp,
  operatorState,
  poolSigner,
  protocolSnapshot,
  setRegistryOperatorsCount,
  type OperatorState,
} from "../helpers/validators-fixtures";
import { testKeyBatch } from "../../offchain/keys/bls";
import { registerOperator } from "../../offchain/operators/register";

// ──────────────────────────────── Constants ────────────────────────────────

const OPERATOR_MANAGER_ROLE = id("OPERATOR_MANAGER_ROLE");
const BOND_MANAGER_ROLE = id("BOND_MANAGER_ROLE");
const ACCOUNTING_ROLE = id("ACCOUNTING_ROLE");
/** The role that once let a single key report exits; the registry no longer knows it. */
const RETIRED_EXITS_REPORTER_ROLE = id("EXITS_REPORTER_ROLE");
const MAX_OPERATORS = 65_535n;
const MAX_VALIDATORS_PER_OPERATOR = 65_535n;
const MAX_BOND_PER_VALIDATOR = parseEther("32");
const UINT32_MAX = 2n ** 32n - 1n;
const STAKED = parseEther("100");

// ──────────────────────────────── Fixtures ────────────────────────────────

interface RegistryFixture extends TidepoolFixture {
  alice: HardhatEthersSigner; // reward address of operator 0 (op-a)
  bob: HardhatEthersSigner; // reward address of operator 1 (op-b)
  carol: HardhatEthersSigner; // reward address of operator 2 (op-c)
  staker: HardhatEthersSigner; // staked STAKED
  stranger: HardhatEthersSigner; // no role, no operator
  reporter: HardhatEthersSigner; // ACCOUNTING_ROLE: stands in for the accounting oracle
  recipient: HardhatEthersSigner; // receives withdrawn bond
  credentials: string; // the pool's withdrawal credentials
}

/** Unlimited staking, one staker, an ACCOUNTING_ROLE signer in the oracle's place; no operators. */
async function registryFixture(): Promise<RegistryFixture> {
  const f = await loadFixture(deployTidepoolUnlimited);
  const [alice, bob, carol, staker, stranger, reporter, recipient] = f.users;
  await f.pool.connect(staker).stake(ZeroAddress, { value: STAKED });
  await f.registry.connect(f.admin).grantRole(ACCOUNTING_ROLE, reporter.address);
  await poolSigner(f); // the pool, impersonated, funded once so that balance checks see only the deposits
  return {
    ...f,
    alice,
    bob,
    carol,
    staker,
    stranger,
    reporter,
    recipient,
    credentials: await f.pool.withdrawalCredentials(),
  };
}

/** Operator 0 "op-a" (alice) and operator 1 "op-b" (bob), no keys and no bond. */
async function twoBareOperatorsFixture(): Promise<RegistryFixture> {
  const f = await registryFixture();
  await f.registry.connect(f.admin).addNodeOperator("op-a", f.alice.address);
  await f.registry.connect(f.admin).addNodeOperator("op-b", f.bob.address);
  return f;
}

/** Operator 0 "op-a" (alice) with 5 uploaded keys, none vetted, no bond. */
async function fiveKeysFixture(): Promise<RegistryFixture> {
  const f = await twoBareOperatorsFixture();
  const batch = testKeyBatch("op-a", 0, 5, f.credentials);
  await f.registry.connect(f.alice).addSigningKeys(0, 5, batch.pubkeys, batch.signatures);
  return f;
}

/** Operators A=0 (alice), B=1 (bob), C=2 (carol): 10 vetted keys and a 20 ETH bond (cover 10) each. */
async function threeOperatorsFixture(): Promise<RegistryFixture> {
  const f = await registryFixture();
  for (const [name, signer] of [
    ["op-a", f.alice],
    ["op-b", f.bob],
    ["op-c", f.carol],
  ] as const) {
    await registerOperator(f.registry, f.pool, f.admin, {
      name,
      rewardAddress: signer,
      keys: 10,
      bondWei: parseEther("20"),
    });
  }
  return f;
}

const A = 0n;
const B = 1n;
const C = 2n;

// ──────────────────────────────── Helpers ────────────────────────────────

/** The args of every `name` event `contract` emitted in `tx`, in order. */
async function eventArgs(tx: ContractTransactionResponse, contract: BaseContract, name: string): Promise<unknown[][]> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("no receipt");
  const address = (await contract.getAddress()).toLowerCase();
  const out: unknown[][] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== address) continue;
    const parsed = contract.interface.parseLog({ topics: [...log.topics], data: log.data });
    if (parsed !== null && parsed.name === name) out.push(parsed.args.toArray());
  }
  return out;
}

/** The i-th 48-byte pubkey and 96-byte signature of a concatenated batch. */
function keyAt(batch: { pubkeys: string; signatures: string }, i: number): { pubkey: string; signature: string } {
  return {
    pubkey: dataSlice(batch.pubkeys, i * 48, (i + 1) * 48),
    signature: dataSlice(batch.signatures, i * 96, (i + 1) * 96),
  };
}

async function signingKey(f: TidepoolFixture, operatorId: bigint, index: bigint): Promise<[string, string, boolean]> {
  const [pubkey, signature, deposited] = await f.registry.getSigningKey(operatorId, index);
  return [pubkey, signature, deposited];
}

async function lowest(f: TidepoolFixture): Promise<[boolean, bigint]> {
  const [found, level] = await f.registry.lowestActiveValidators();
  return [found, level];
}

async function depositable(f: TidepoolFixture, ids: bigint[]): Promise<bigint[]> {
  return Promise.all(ids.map((operatorId) => f.registry.depositableKeys(operatorId)));
}

/** Shares worth `amount` at the pool's rate, rounded down (independent math). */
async function sharesFor(f: TidepoolFixture, amount: bigint): Promise<bigint> {
  return (amount * (await f.pool.totalShares())) / (await f.pool.totalPooledEther());
}

/** ETH worth `shares` at the pool's rate, rounded down (independent math). */
async function etherFor(f: TidepoolFixture, shares: bigint): Promise<bigint> {
  return (shares * (await f.pool.totalPooledEther())) / (await f.pool.totalShares());
}

/** Governance vets the operator's first `vettedKeys` keys as they are now (its current keys nonce). */
async function vet(f: TidepoolFixture, operatorId: bigint, vettedKeys: bigint | number) {
  const keysNonce = await f.registry.operatorKeysNonce(operatorId);
  return f.registry.connect(f.admin).setVettedKeys(operatorId, vettedKeys, keysNonce);
}

/** The deployment's accounting oracle (it holds ACCOUNTING_ROLE on the registry), impersonated. */
async function oracleSigner(f: TidepoolFixture): Promise<HardhatEthersSigner> {
  const oracle = await f.oracle.getAddress();
  await impersonateAccount(oracle);
  await setBalance(oracle, parseEther("1"));
  return ethers.getSigner(oracle);
}

function emptyOperator(name: string, rewardAddress: string): OperatorState {
  return {
    active: true,
    totalKeys: 0n,
    vettedKeys: 0n,
    depositedKeys: 0n,
    exitedKeys: 0n,
    bondCoveredValidators: 0n,
    bondShares: 0n,
    rewardAddress,
    name,
  };
}

// ──────────────────────────────── Tests ────────────────────────────────

describe("NodeOperatorRegistry", function () {
  describe("deployment", function () {
    it("starts with no operators, nonce 0, an empty index and a 2 ETH bond per validator", async function () {
      const f = await loadFixture(registryFixture);
      expect(await f.registry.getNodeOperatorsCount()).to.equal(0n);
      expect(await f.registry.keysNonce()).to.equal(0n);
      expect(await lowest(f)).to.deep.equal([false, 0n]);
      expect(await f.registry.bondPerValidator()).to.equal(DEFAULT_BOND_PER_VALIDATOR);
      expect(await f.registry.POOL()).to.equal(f.poolAddress);
      expect(await f.registry.DEPOSIT_CONTRACT()).to.equal(await f.depositContract.getAddress());
      expect(await f.registry.MAX_KEYS_PER_CALL()).to.equal(MAX_KEYS_PER_CALL);
      expect(await f.registry.MAX_OPERATORS()).to.equal(MAX_OPERATORS);
      expect(await f.registry.MAX_VALIDATORS_PER_OPERATOR()).to.equal(MAX_VALIDATORS_PER_OPERATOR);
      expect(await f.registry.MAX_BOND_PER_VALIDATOR()).to.equal(MAX_BOND_PER_VALIDATOR);
      expect(await f.registry.OPERATOR_MANAGER_ROLE()).to.equal(OPERATOR_MANAGER_ROLE);
      expect(await f.registry.BOND_MANAGER_ROLE()).to.equal(BOND_MANAGER_ROLE);
      expect(await f.registry.ACCOUNTING_ROLE()).to.equal(ACCOUNTING_ROLE);
      expect(await f.registry.hasRole(ZeroHash, f.admin.address)).to.equal(true);
      expect(await f.registry.hasRole(OPERATOR_MANAGER_ROLE, f.admin.address)).to.equal(true);
      expect(await f.registry.hasRole(BOND_MANAGER_ROLE, f.admin.address)).to.equal(true);
      // Exits come from the oracle committee's quorum: the accounting oracle holds ACCOUNTING_ROLE,
      // governance does not, and no separate exits-reporter role exists.
      expect(await f.registry.hasRole(ACCOUNTING_ROLE, await f.oracle.getAddress())).to.equal(true);
      expect(await f.registry.hasRole(ACCOUNTING_ROLE, f.admin.address)).to.equal(false);
      const functions = f.registry.interface.fragments.filter((x) => x.type === "function") as FunctionFragment[];
      expect(functions.map((fn) => fn.name)).to.not.include("EXITS_REPORTER_ROLE");
    });

    it("reverts OperatorNotFound for every per-operator view of an unknown id", async function () {
      const f = await loadFixture(twoBareOperatorsFixture);
      await expect(f.registry.getNodeOperator(2))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotFound")
        .withArgs(2);
      await expect(f.registry.getSigningKey(2, 0))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotFound")
        .withArgs(2);
      await expect(f.registry.depositableKeys(2))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotFound")
        .withArgs(2);
    });
  });

  describe("addNodeOperator", function () {
    it("admits operators with sequential ids, active, with no keys and no bond", async function () {
      const f = await loadFixture(registryFixture);
      expect(await f.registry.connect(f.admin).addNodeOperator.staticCall("op-a", f.alice.address)).to.equal(0n);
      await expect(f.registry.connect(f.admin).addNodeOperator("op-a", f.alice.address))
        .to.emit(f.registry, "NodeOperatorAdded")
        .withArgs(0, "op-a", f.alice.address)
        .and.to.emit(f.registry, "NodeOperatorActiveSet")
        .withArgs(0, true);
      expect(await f.registry.connect(f.admin).addNodeOperator.staticCall("op-b", f.bob.address)).to.equal(1n);
      await expect(f.registry.connect(f.admin).addNodeOperator("op-b", f.bob.address))
        .to.emit(f.registry, "NodeOperatorAdded")
        .withArgs(1, "op-b", f.bob.address);

      expect(await f.registry.getNodeOperatorsCount()).to.equal(2n);
      expect(await operatorState(f.registry, 0n)).to.deep.equal(emptyOperator("op-a", f.alice.address));
      expect(await operatorState(f.registry, 1n)).to.deep.equal(emptyOperator("op-b", f.bob.address));
      // No keys: nobody can take a deposit, and no key set changed.
      expect(await lowest(f)).to.deep.equal([false, 0n]);
      expect(await f.registry.depositableKeys(0)).to.equal(0n);
      expect(await f.registry.keysNonce()).to.equal(0n);
    });

    it("accepts a name of 1 to 64 bytes and rejects an empty one or one of 65 bytes", async function () {
      const f = await loadFixture(registryFixture);
      await f.registry.connect(f.admin).addNodeOperator("x", f.alice.address);
      await f.registry.connect(f.admin).addNodeOperator("n".repeat(64), f.bob.address);
      expect((await f.registry.getNodeOperator(1)).name).to.equal("n".repeat(64));
      await expect(f.registry.connect(f.admin).addNodeOperator("", f.carol.address))
        .to.be.revertedWithCustomError(f.registry, "InvalidOperatorName")
        .withArgs(0);
      await expect(f.registry.connect(f.admin).addNodeOperator("n".repeat(65), f.carol.address))
        .to.be.revertedWithCustomError(f.registry, "InvalidOperatorName")
        .withArgs(65);
      // Bytes, not characters: 33 two-byte characters are 66 bytes.
      await expect(f.registry.connect(f.admin).addNodeOperator("é".repeat(33), f.carol.address))
        .to.be.revertedWithCustomError(f.registry, "InvalidOperatorName")
        .withArgs(66);
      expect(await f.registry.getNodeOperatorsCount()).to.equal(2n);
    });

    it("rejects the zero reward address", async function () {
      const f = await loadFixture(registryFixture);
      await expect(f.registry.connect(f.admin).addNodeOperator("op-a", ZeroAddress))
        .to.be.revertedWithCustomError(f.registry, "ZeroAddress")
        .withArgs("rewardAddress");
    });

    it("requires OPERATOR_MANAGER_ROLE", async function () {
      const f = await loadFixture(twoBareOperatorsFixture);
      for (const caller of [f.stranger, f.alice]) {
        await expect(f.registry.connect(caller).addNodeOperator("op-x", caller.address))
          .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, OPERATOR_MANAGER_ROLE);
      }
    });

    it("admits operators up to MAX_OPERATORS and then reverts TooManyOperators", async function () {
      const f = await loadFixture(registryFixture);
      await setRegistryOperatorsCount(f.registry, MAX_OPERATORS - 1n);
      await expect(f.registry.connect(f.admin).addNodeOperator("last", f.alice.address))
        .to.emit(f.registry, "NodeOperatorAdded")
        .withArgs(MAX_OPERATORS - 1n, "last", f.alice.address);
      expect(await f.registry.getNodeOperatorsCount()).to.equal(MAX_OPERATORS);
      await expect(f.registry.connect(f.admin).addNodeOperator("one too many", f.bob.address))
        .to.be.revertedWithCustomError(f.registry, "TooManyOperators")
        .withArgs(MAX_OPERATORS);
    });
  });

  describe("setNodeOperatorActive", function () {
    it("deactivates an operator out of the deposit line and reactivates it back in", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      await depositAsPool(f, A, 2n);
      await depositAsPool(f, B, 1n);
      expect(await lowest(f)).to.deep.equal([true, 0n]); // C

      await expect(f.registry.connect(f.admin).setNodeOperatorActive(C, false))
        .to.emit(f.registry, "NodeOperatorActiveSet")
        .withArgs(C, false);
      expect((await f.registry.getNodeOperator(C)).active).to.equal(false);
      expect(await lowest(f)).to.deep.equal([true, 1n]); // B now leads
      expect(await depositable(f, [A, B, C])).to.deep.equal([0n, 9n, 0n]);
      await expect(depositAsPool(f, C, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorInactive")
        .withArgs(C);
      await depositAsPool(f, B, 1n); // C no longer blocks B

      await expect(f.registry.connect(f.admin).setNodeOperatorActive(C, true))
        .to.emit(f.registry, "NodeOperatorActiveSet")
        .withArgs(C, true);
      expect(await lowest(f)).to.deep.equal([true, 0n]);
      await expect(depositAsPool(f, B, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotNext")
        .withArgs(B, 2, 0);
    });

    it("refuses new keys from a deactivated operator but keeps its keys and bond manageable", async function () {
      const f = await loadFixture(fiveKeysFixture);
      await f.registry.connect(f.admin).setNodeOperatorActive(A, false);
      const batch = testKeyBatch("op-a", 5, 1, f.credentials);
      await expect(f.registry.connect(f.alice).addSigningKeys(A, 1, batch.pubkeys, batch.signatures))
        .to.be.revertedWithCustomError(f.registry, "OperatorInactive")
        .withArgs(A);
      await f.registry.connect(f.alice).removeSigningKeys(A, 4, 1);
      await f.registry.connect(f.alice).depositBond(A, { value: parseEther("2") });
      await vet(f, A, 4);
      const state = await operatorState(f.registry, A);
      expect([state.active, state.totalKeys, state.vettedKeys, state.bondCoveredValidators]).to.deep.equal([
        false,
        4n,
        4n,
        1n,
      ]);
      expect(await lowest(f)).to.deep.equal([false, 0n]);
    });

    it("reverts OperatorNotFound for an unknown id and requires OPERATOR_MANAGER_ROLE", async function () {
      const f = await loadFixture(twoBareOperatorsFixture);
      await expect(f.registry.connect(f.admin).setNodeOperatorActive(2, false))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotFound")
        .withArgs(2);
      await expect(f.registry.connect(f.alice).setNodeOperatorActive(A, false))
        .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
        .withArgs(f.alice.address, OPERATOR_MANAGER_ROLE);
    });
  });

  describe("setNodeOperatorRewardAddress", function () {
    it("hands key and bond management to the new address and away from the old one", async function () {
      const f = await loadFixture(fiveKeysFixture);
      await expect(f.registry.connect(f.admin).setNodeOperatorRewardAddress(A, f.carol.address))
        .to.emit(f.registry, "NodeOperatorRewardAddressSet")
        .withArgs(A, f.carol.address);
      expect((await f.registry.getNodeOperator(A)).rewardAddress).to.equal(f.carol.address);

      await expect(f.registry.connect(f.alice).removeSigningKeys(A, 4, 1))
        .to.be.revertedWithCustomError(f.registry, "CallerNotOperator")
        .withArgs(f.alice.address, A);
      await expect(f.registry.connect(f.carol).removeSigningKeys(A, 4, 1))
        .to.emit(f.registry, "SigningKeyRemoved")
        .withArgs(A, 4, keyAt(testKeyBatch("op-a", 0, 5, f.credentials), 4).pubkey);
    });

    it("rejects the zero address and an unknown id, and requires OPERATOR_MANAGER_ROLE", async function () {
      const f = await loadFixture(twoBareOperatorsFixture);
      await expect(f.registry.connect(f.admin).setNodeOperatorRewardAddress(A, ZeroAddress))
        .to.be.revertedWithCustomError(f.registry, "ZeroAddress")
        .withArgs("rewardAddress");
      await expect(f.registry.connect(f.admin).setNodeOperatorRewardAddress(2, f.carol.address))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotFound")
        .withArgs(2);
      await expect(f.registry.connect(f.alice).setNodeOperatorRewardAddress(A, f.carol.address))
        .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
        .withArgs(f.alice.address, OPERATOR_MANAGER_ROLE);
    });
  });

  describe("setVettedKeys", function () {
    it("vets keys, capped at the uploaded keys, and bumps the nonce each time", async function () {
      const f = await loadFixture(fiveKeysFixture);
      const nonce = await f.registry.keysNonce();
      await expect(vet(f, A, 3))
        .to.emit(f.registry, "VettedKeysSet")
        .withArgs(A, 3)
        .and.to.emit(f.registry, "KeysNonceChanged")
        .withArgs(nonce + 1n);
      expect((await f.registry.getNodeOperator(A)).vettedKeys).to.equal(3n);
      await expect(vet(f, A, 100))
        .to.emit(f.registry, "VettedKeysSet")
        .withArgs(A, 5)
        .and.to.emit(f.registry, "KeysNonceChanged")
        .withArgs(nonce + 2n);
      expect((await f.registry.getNodeOperator(A)).vettedKeys).to.equal(5n);
      expect(await f.registry.keysNonce()).to.equal(nonce + 2n);
    });

    it("lists a bonded operator once it has vetted keys", async function () {
      const f = await loadFixture(fiveKeysFixture);
      await f.registry.connect(f.alice).depositBond(A, { value: parseEther("6") }); // cover 3
      expect(await lowest(f)).to.deep.equal([false, 0n]);
      await vet(f, A, 5);
      expect(await lowest(f)).to.deep.equal([true, 0n]);
      expect(await f.registry.depositableKeys(A)).to.equal(3n); // bond-limited
      await vet(f, A, 2);
      expect(await f.registry.depositableKeys(A)).to.equal(2n); // key-limited
    });

    it("never lowers the vetted keys below the deposited keys", async function () {
      const f = await loadFixture(fiveKeysFixture);
      await vet(f, A, 5);
      await f.registry.connect(f.alice).depositBond(A, { value: parseEther("10") });
      await depositAsPool(f, A, 2n);
      await expect(vet(f, A, 0))
        .to.emit(f.registry, "VettedKeysSet")
        .withArgs(A, 2);
      expect((await f.registry.getNodeOperator(A)).vettedKeys).to.equal(2n);
      expect(await lowest(f)).to.deep.equal([false, 0n]); // no vetted key left to deposit
    });

    it("reverts OperatorNotFound for an unknown id and requires OPERATOR_MANAGER_ROLE", async function () {
      const f = await loadFixture(fiveKeysFixture);
      await expect(f.registry.connect(f.admin).setVettedKeys(2, 1, 0))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotFound")
        .withArgs(2);
      await expect(f.registry.connect(f.alice).setVettedKeys(A, 5, 1))
        .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
        .withArgs(f.alice.address, OPERATOR_MANAGER_ROLE);
    });

    it("vets only the keys as reviewed: after any upload or removal, OperatorKeysChanged names both nonces and nothing is vetted", async function () {
      const f = await loadFixture(fiveKeysFixture);
      const reviewed = await f.registry.operatorKeysNonce(A);
      expect(reviewed).to.equal(1n); // one upload
      // The operator swaps key 4 for another one: still five keys, but not the five reviewed.
      await f.registry.connect(f.alice).removeSigningKeys(A, 4, 1);
      const other = testKeyBatch("op-a-other", 0, 1, f.credentials);
      await f.registry.connect(f.alice).addSigningKeys(A, 1, other.pubkeys, other.signatures);
      expect((await f.registry.getNodeOperator(A)).totalKeys).to.equal(5n);
      const before = await protocolSnapshot(f);

      for (const vettedKeys of [5n, 4n, 1n]) {
        await expect(f.registry.connect(f.admin).setVettedKeys(A, vettedKeys, reviewed))
          .to.be.revertedWithCustomError(f.registry, "OperatorKeysChanged")
          .withArgs(A, reviewed, reviewed + 2n);
      }
      expect(await protocolSnapshot(f)).to.deep.equal(before);

      // Reviewed again at the current nonce, the same call vets.
      await expect(f.registry.connect(f.admin).setVettedKeys(A, 5, reviewed + 2n))
        .to.emit(f.registry, "VettedKeysSet")
        .withArgs(A, 5);
      expect((await f.registry.getNodeOperator(A)).vettedKeys).to.equal(5n);
    });

    it("lowers the vetted keys whatever the keys nonce: nothing new is vetted", async function () {
      const f = await loadFixture(fiveKeysFixture);
      await vet(f, A, 5);
      const batch = testKeyBatch("op-a", 5, 1, f.credentials);
      await f.registry.connect(f.alice).addSigningKeys(A, 1, batch.pubkeys, batch.signatures); // nonce 2
      await expect(f.registry.connect(f.admin).setVettedKeys(A, 3, 0))
        .to.emit(f.registry, "VettedKeysSet")
        .withArgs(A, 3);
      await expect(f.registry.connect(f.admin).setVettedKeys(A, 3, 0))
        .to.emit(f.registry, "VettedKeysSet")
        .withArgs(A, 3);
      // Raising again needs the current nonce: the sixth key was never reviewed.
      await expect(f.registry.connect(f.admin).setVettedKeys(A, 6, 1))
        .to.be.revertedWithCustomError(f.registry, "OperatorKeysChanged")
        .withArgs(A, 1, 2);
      expect((await f.registry.getNodeOperator(A)).vettedKeys).to.equal(3n);
    });

    it("counts each upload and removal of the operator's own keys in its keys nonce, and nothing else", async function () {
      const f = await loadFixture(twoBareOperatorsFixture);
      expect([await f.registry.operatorKeysNonce(A), await f.registry.operatorKeysNonce(B)]).to.deep.equal([0n, 0n]);
      const batch = testKeyBatch("op-a", 0, 3, f.credentials);
      await f.registry.connect(f.alice).addSigningKeys(A, 3, batch.pubkeys, batch.signatures);
      await f.registry.connect(f.alice).removeSigningKeys(A, 2, 1);
      const bobs = testKeyBatch("op-b", 0, 1, f.credentials);
      await f.registry.connect(f.bob).addSigningKeys(B, 1, bobs.pubkeys, bobs.signatures);
      expect([await f.registry.operatorKeysNonce(A), await f.registry.operatorKeysNonce(B)]).to.deep.equal([2n, 1n]);
      // Vetting, bond, deposits, exits and activity leave it alone.
      await vet(f, A, 2);
      await f.registry.connect(f.alice).depositBond(A, { value: parseEther("4") });
      await depositAsPool(f, A, 1n);
      await f.registry.connect(f.reporter).reportExitedKeys(A, 1);
      await f.registry.connect(f.admin).setNodeOperatorActive(A, false);
      expect(await f.registry.operatorKeysNonce(A)).to.equal(2n);
      await expect(f.registry.operatorKeysNonce(2))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotFound")
        .withArgs(2);
    });

    it("through the timelock: keys swapped during the delay make the delayed call revert, and nothing is vetted", async function () {
      const f = await loadFixture(deployWithTimelock);
      const [alice] = f.users;
      const credentials = await f.pool.withdrawalCredentials();
      const registry = await f.registry.getAddress();
      const admit = f.registry.interface.encodeFunctionData("addNodeOperator", ["op-a", alice.address]);
      await f.timelock.connect(f.proposer).schedule(registry, 0n, admit, ZeroHash, id("admit"), TIMELOCK_MIN_DELAY);
      await time.increase(TIMELOCK_MIN_DELAY);
      await f.timelock.execute(registry, 0n, admit, ZeroHash, id("admit"));
      const reviewedKeys = testKeyBatch("op-a", 0, 3, credentials);
      await f.registry.connect(alice).addSigningKeys(A, 3, reviewedKeys.pubkeys, reviewedKeys.signatures);

      // Governance reviews the three keys and schedules their vetting, bound to what it reviewed.
      const reviewed = await f.registry.operatorKeysNonce(A);
      const data = f.registry.interface.encodeFunctionData("setVettedKeys", [A, 3n, reviewed]);
      const s = id("vet op-a");
      await f.timelock.connect(f.proposer).schedule(registry, 0n, data, ZeroHash, s, TIMELOCK_MIN_DELAY);

      // During the delay the operator removes the reviewed keys and uploads three others.
      await f.registry.connect(alice).removeSigningKeys(A, 0, 3);
      const swapped = testKeyBatch("op-a-unreviewed", 0, 3, credentials);
      await f.registry.connect(alice).addSigningKeys(A, 3, swapped.pubkeys, swapped.signatures);
      expect((await f.registry.getNodeOperator(A)).totalKeys).to.equal(3n);
      const nonceBefore = await f.registry.keysNonce();

      await time.increase(TIMELOCK_MIN_DELAY);
      await expect(f.timelock.execute(registry, 0n, data, ZeroHash, s))
        .to.be.revertedWithCustomError(f.registry, "OperatorKeysChanged")
        .withArgs(A, reviewed, reviewed + 2n);
      const state = await operatorState(f.registry, A);
      expect([state.totalKeys, state.vettedKeys, state.depositedKeys]).to.deep.equal([3n, 0n, 0n]);
      expect(await f.registry.depositableKeys(A)).to.equal(0n);
      expect(await f.registry.keysNonce()).to.equal(nonceBefore);
      expect(
        await f.timelock.isOperationReady(await f.timelock.hashOperation(registry, 0n, data, ZeroHash, s)),
      ).to.equal(true); // not executed
    });
  });

  describe("addSigningKeys", function () {
    it("stores each key with its signature, emits SigningKeyAdded per key and counts each call in the operator's keys nonce", async function () {
      const f = await loadFixture(twoBareOperatorsFixture);
      const batch = testKeyBatch("op-a", 0, 5, f.credentials);
      const first = {
        pubkeys: dataSlice(batch.pubkeys, 0, 3 * 48),
        signatures: dataSlice(batch.signatures, 0, 3 * 96),
      };
      const second = { pubkeys: dataSlice(batch.pubkeys, 3 * 48), signatures: dataSlice(batch.signatures, 3 * 96) };

      const tx1 = await f.registry.connect(f.alice).addSigningKeys(A, 3, first.pubkeys, first.signatures);
      expect(await eventArgs(tx1, f.registry, "SigningKeyAdded")).to.deep.equal(
        [0, 1, 2].map((i) => [A, BigInt(i), keyAt(batch, i).pubkey]),
      );
      // New keys are unvetted: what guardians attest (keysNonce) does not change.
      expect(await eventArgs(tx1, f.registry, "KeysNonceChanged")).to.deep.equal([]);
      expect(await f.registry.operatorKeysNonce(A)).to.equal(1n);

      const tx2 = await f.registry.connect(f.alice).addSigningKeys(A, 2, second.pubkeys, second.signatures);
      expect(await eventArgs(tx2, f.registry, "SigningKeyAdded")).to.deep.equal(
        [3, 4].map((i) => [A, BigInt(i), keyAt(batch, i).pubkey]),
      );
      expect(await eventArgs(tx2, f.registry, "KeysNonceChanged")).to.deep.equal([]);
      expect(await f.registry.keysNonce()).to.equal(0n);
      expect(await f.registry.operatorKeysNonce(A)).to.equal(2n);
      expect(await f.registry.operatorKeysNonce(B)).to.equal(0n);

      for (let i = 0; i < 5; ++i) {
        const { pubkey, signature } = keyAt(batch, i);
        expect(await signingKey(f, A, BigInt(i))).to.deep.equal([pubkey, signature, false]);
        expect(pubkey).to.equal(batch.deposits[i].pubkey);
      }
      const state = await operatorState(f.registry, A);
      expect([state.totalKeys, state.vettedKeys, state.depositedKeys]).to.deep.equal([5n, 0n, 0n]);
      expect((await operatorState(f.registry, B)).totalKeys).to.equal(0n);
    });

    it("accepts exactly MAX_KEYS_PER_CALL keys and rejects a count of 0 or 101", async function () {
      const f = await loadFixture(twoBareOperatorsFixture);
      await expect(f.registry.connect(f.alice).addSigningKeys(A, 0, "0x", "0x"))
        .to.be.revertedWithCustomError(f.registry, "InvalidKeysCount")
        .withArgs(0, MAX_KEYS_PER_CALL);
      const batch = testKeyBatch("op-a", 0, 101, f.credentials);
      await expect(f.registry.connect(f.alice).addSigningKeys(A, 101, batch.pubkeys, batch.signatures))
        .to.be.revertedWithCustomError(f.registry, "InvalidKeysCount")
        .withArgs(101, MAX_KEYS_PER_CALL);
      await expect(
        f.registry
          .connect(f.alice)
          .addSigningKeys(A, 100, dataSlice(batch.pubkeys, 0, 4800), dataSlice(batch.signatures, 0, 9600)),
      )
        .to.emit(f.registry, "SigningKeyAdded")
        .withArgs(A, 99, keyAt(batch, 99).pubkey);
      expect((await f.registry.getNodeOperator(A)).totalKeys).to.equal(100n);
    });

    it("rejects pubkeys that are not 48 bytes per key and signatures that are not 96 bytes per key", async function () {
      const f = await loadFixture(twoBareOperatorsFixture);
      const batch = testKeyBatch("op-a", 0, 2, f.credentials);
      const oneKey = keyAt(batch, 0);
      await expect(f.registry.connect(f.alice).addSigningKeys(A, 2, oneKey.pubkey, batch.signatures))
        .to.be.revertedWithCustomError(f.registry, "InvalidPubkeysLength")
        .withArgs(48, 96);
      await expect(f.registry.connect(f.alice).addSigningKeys(A, 2, concat([batch.pubkeys, "0x00"]), batch.signatures))
        .to.be.revertedWithCustomError(f.registry, "InvalidPubkeysLength")
        .withArgs(97, 96);
      await expect(f.registry.connect(f.alice).addSigningKeys(A, 2, batch.pubkeys, oneKey.signature))
        .to.be.revertedWithCustomError(f.registry, "InvalidSignaturesLength")
        .withArgs(96, 192);
      await expect(f.registry.connect(f.alice).addSigningKeys(A, 2, batch.pubkeys, dataSlice(batch.signatures, 0, 191)))
        .to.be.revertedWithCustomError(f.registry, "InvalidSignaturesLength")
        .withArgs(191, 192);
    });

    it("only lets the operator's reward address upload, and only for an existing operator", async function () {
      const f = await loadFixture(twoBareOperatorsFixture);
      const batch = testKeyBatch("op-a", 0, 1, f.credentials);
      for (const caller of [f.admin, f.bob, f.stranger]) {
        await expect(f.registry.connect(caller).addSigningKeys(A, 1, batch.pubkeys, batch.signatures))
          .to.be.revertedWithCustomError(f.registry, "CallerNotOperator")
          .withArgs(caller.address, A);
      }
      await expect(f.registry.connect(f.alice).addSigningKeys(2, 1, batch.pubkeys, batch.signatures))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotFound")
        .withArgs(2);
      expect(await f.registry.keysNonce()).to.equal(0n);
    });

    it("rejects a pubkey repeated within one batch and stores nothing of that batch", async function () {
      const f = await loadFixture(twoBareOperatorsFixture);
      const batch = testKeyBatch("op-a", 0, 2, f.credentials);
      const k0 = keyAt(batch, 0);
      const k1 = keyAt(batch, 1);
      await expect(
        f.registry
          .connect(f.alice)
          .addSigningKeys(
            A,
            3,
            concat([k0.pubkey, k1.pubkey, k0.pubkey]),
            concat([k0.signature, k1.signature, k0.signature]),
          ),
      )
        .to.be.revertedWithCustomError(f.registry, "DuplicatePubkey")
        .withArgs(k0.pubkey);
      expect((await f.registry.getNodeOperator(A)).totalKeys).to.equal(0n);
      expect(await f.registry.keysNonce()).to.equal(0n);
      // Nothing of the failed batch was registered: the same keys upload fine.
      await f.registry.connect(f.alice).addSigningKeys(A, 2, batch.pubkeys, batch.signatures);
    });

    it("rejects a pubkey another operator registered", async function () {
      const f = await loadFixture(twoBareOperatorsFixture);
      const alices = testKeyBatch("op-a", 0, 1, f.credentials);
      const bobs = testKeyBatch("op-b", 0, 1, f.credentials);
      await f.registry.connect(f.alice).addSigningKeys(A, 1, alices.pubkeys, alices.signatures);
      await expect(
        f.registry
          .connect(f.bob)
          .addSigningKeys(B, 2, concat([bobs.pubkeys, alices.pubkeys]), concat([bobs.signatures, alices.signatures])),
      )
        .to.be.revertedWithCustomError(f.registry, "DuplicatePubkey")
        .withArgs(alices.pubkeys);
      expect((await f.registry.getNodeOperator(B)).totalKeys).to.equal(0n);
    });

    it("rejects a pubkey that was registered once and removed since, for every operator", async function () {
      const f = await loadFixture(fiveKeysFixture);
      const removed = keyAt(testKeyBatch("op-a", 0, 5, f.credentials), 2);
      await f.registry.connect(f.alice).removeSigningKeys(A, 2, 1);
      await expect(f.registry.connect(f.alice).addSigningKeys(A, 1, removed.pubkey, removed.signature))
        .to.be.revertedWithCustomError(f.registry, "DuplicatePubkey")
        .withArgs(removed.pubkey);
      await expect(f.registry.connect(f.bob).addSigningKeys(B, 1, removed.pubkey, removed.signature))
        .to.be.revertedWithCustomError(f.registry, "DuplicatePubkey")
        .withArgs(removed.pubkey);
    });
  });

  describe("removeSigningKeys", function () {
    it("removes one key by moving the last key into its place and drops the vetted keys to its index", async function () {
      const f = await loadFixture(fiveKeysFixture);
      const batch = testKeyBatch("op-a", 0, 5, f.credentials);
      await vet(f, A, 5);
      const nonce = await f.registry.keysNonce();
      const operatorNonce = await f.registry.operatorKeysNonce(A);

      const tx = await f.registry.connect(f.alice).removeSigningKeys(A, 1, 1);
      expect(await eventArgs(tx, f.registry, "SigningKeyRemoved")).to.deep.equal([[A, 1n, keyAt(batch, 1).pubkey]]);
      expect(await eventArgs(tx, f.registry, "VettedKeysSet")).to.deep.equal([[A, 1n]]);
      // The vetted keys only shrank (to key 0, unchanged): guardians' attestations stay true.
      expect(await eventArgs(tx, f.registry, "KeysNonceChanged")).to.deep.equal([]);
      expect(await f.registry.keysNonce()).to.equal(nonce);
      expect(await f.registry.operatorKeysNonce(A)).to.equal(operatorNonce + 1n);

      const expected = [0, 4, 2, 3].map((i) => keyAt(batch, i));
      for (let i = 0; i < 4; ++i) {
        expect(await signingKey(f, A, BigInt(i))).to.deep.equal([expected[i].pubkey, expected[i].signature, false]);
      }
      await expect(f.registry.getSigningKey(A, 4))
        .to.be.revertedWithCustomError(f.registry, "InvalidKeyRange")
        .withArgs(A, 4, 1, 0, 4);
      const state = await operatorState(f.registry, A);
      expect([state.totalKeys, state.vettedKeys]).to.deep.equal([4n, 1n]);
    });

    it("removes a range from the top down, each hole filled by the current last key", async function () {
      const f = await loadFixture(fiveKeysFixture);
      const batch = testKeyBatch("op-a", 0, 5, f.credentials);
      const tx = await f.registry.connect(f.alice).removeSigningKeys(A, 1, 2);
      expect(await eventArgs(tx, f.registry, "SigningKeyRemoved")).to.deep.equal([
        [A, 2n, keyAt(batch, 2).pubkey],
        [A, 1n, keyAt(batch, 1).pubkey],
      ]);
      const expected = [0, 3, 4].map((i) => keyAt(batch, i));
      for (let i = 0; i < 3; ++i) {
        expect(await signingKey(f, A, BigInt(i))).to.deep.equal([expected[i].pubkey, expected[i].signature, false]);
      }
      expect((await f.registry.getNodeOperator(A)).totalKeys).to.equal(3n);
    });

    it("removes a range reaching the last key without moving anything", async function () {
      const f = await loadFixture(fiveKeysFixture);
      const batch = testKeyBatch("op-a", 0, 5, f.credentials);
      await vet(f, A, 2);
      const tx = await f.registry.connect(f.alice).removeSigningKeys(A, 3, 2);
      expect(await eventArgs(tx, f.registry, "SigningKeyRemoved")).to.deep.equal([
        [A, 4n, keyAt(batch, 4).pubkey],
        [A, 3n, keyAt(batch, 3).pubkey],
      ]);
      for (let i = 0; i < 3; ++i) {
        const k = keyAt(batch, i);
        expect(await signingKey(f, A, BigInt(i))).to.deep.equal([k.pubkey, k.signature, false]);
      }
      // Vetted keys below the range stay vetted.
      const state = await operatorState(f.registry, A);
      expect([state.totalKeys, state.vettedKeys]).to.deep.equal([3n, 2n]);
    });

    it("cannot remove deposited keys or keys past the last one", async function () {
      const f = await loadFixture(fiveKeysFixture);
      await vet(f, A, 5);
      await f.registry.connect(f.alice).depositBond(A, { value: parseEther("10") });
      await depositAsPool(f, A, 2n);
      for (const [from, count] of [
        [1n, 1n],
        [0n, 5n],
        [1n, 2n],
        [4n, 2n],
        [5n, 1n],
      ]) {
        await expect(f.registry.connect(f.alice).removeSigningKeys(A, from, count))
          .to.be.revertedWithCustomError(f.registry, "InvalidKeyRange")
          .withArgs(A, from, count, 2, 5);
      }
      // Every undeposited key can go; the vetted keys drop to the deposited ones.
      await expect(f.registry.connect(f.alice).removeSigningKeys(A, 2, 3))
        .to.emit(f.registry, "VettedKeysSet")
        .withArgs(A, 2);
      const state = await operatorState(f.registry, A);
      expect([state.totalKeys, state.vettedKeys, state.depositedKeys]).to.deep.equal([2n, 2n, 2n]);
      expect((await f.registry.getSigningKey(A, 1)).deposited).to.equal(true);
    });

    it("rejects a count of 0 or 101, callers other than the operator, and unknown operators", async function () {
      const f = await loadFixture(fiveKeysFixture);
      await expect(f.registry.connect(f.alice).removeSigningKeys(A, 0, 0))
        .to.be.revertedWithCustomError(f.registry, "InvalidKeysCount")
        .withArgs(0, MAX_KEYS_PER_CALL);
      await expect(f.registry.connect(f.alice).removeSigningKeys(A, 0, 101))
        .to.be.revertedWithCustomError(f.registry, "InvalidKeysCount")
        .withArgs(101, MAX_KEYS_PER_CALL);
      for (const caller of [f.admin, f.bob]) {
        await expect(f.registry.connect(caller).removeSigningKeys(A, 0, 1))
          .to.be.revertedWithCustomError(f.registry, "CallerNotOperator")
          .withArgs(caller.address, A);
      }
      await expect(f.registry.connect(f.alice).removeSigningKeys(2, 0, 1))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotFound")
        .withArgs(2);
      expect((await f.registry.getNodeOperator(A)).totalKeys).to.equal(5n);
    });
  });

  describe("depositBond", function () {
    it("stakes the bond in the pool and credits the operator with exactly the shares minted", async function () {
      const f = await loadFixture(fiveKeysFixture);
      // A share rate other than 1 (simulated rebase: +10% on the pooled ether).
      await rebasePool(f.pool, ((await f.pool.totalPooledEther()) * 11n) / 10n);
      const amount = parseEther("5");
      const shares = await sharesFor(f, amount);
      expect(shares).to.be.lessThan(amount);
      const registryShares = await f.pool.sharesOf(await f.registry.getAddress());
      const pooled = await f.pool.totalPooledEther();

      // Anyone may post for an operator.
      const tx = f.registry.connect(f.stranger).depositBond(A, { value: amount });
      await expect(tx).to.emit(f.registry, "BondDeposited").withArgs(A, f.stranger.address, amount, shares);
      await expect(tx).to.changeEtherBalances([f.stranger, f.pool], [-amount, amount]);
      expect(await f.pool.sharesOf(await f.registry.getAddress())).to.equal(registryShares + shares);
      expect(await f.pool.totalPooledEther()).to.equal(pooled + amount);
      const cover = (await etherFor(f, shares)) / DEFAULT_BOND_PER_VALIDATOR;
      expect(cover).to.equal(2n);
      await expect(tx).to.emit(f.registry, "BondCoverUpdated").withArgs(A, cover);
      const state = await operatorState(f.registry, A);
      expect([state.bondShares, state.bondCoveredValidators]).to.deep.equal([shares, cover]);
    });

    it("covers floor(bond / bond per validator) validators as the bond accumulates", async function () {
      const f = await loadFixture(fiveKeysFixture);
      let previous = 0n;
      for (const [amount, cover] of [
        [parseEther("1.5"), 0n],
        [parseEther("0.5"), 1n],
        [parseEther("4") - 1n, 2n],
        [1n, 3n],
      ]) {
        const tx = f.registry.connect(f.alice).depositBond(A, { value: amount });
        await expect(tx).to.emit(f.registry, "BondDeposited").withArgs(A, f.alice.address, amount, amount); // 1:1
        // BondCoverUpdated reports changes only.
        if (cover !== previous) await expect(tx).to.emit(f.registry, "BondCoverUpdated").withArgs(A, cover);
        else await expect(tx).not.to.emit(f.registry, "BondCoverUpdated");
        expect((await f.registry.getNodeOperator(A)).bondCoveredValidators).to.equal(cover);
        previous = cover;
      }
      expect((await f.registry.getNodeOperator(A)).bondShares).to.equal(parseEther("6"));
      expect(await f.pool.sharesOf(await f.registry.getAddress())).to.equal(parseEther("6"));
    });

    it("rejects an empty bond and an unknown operator", async function () {
      const f = await loadFixture(twoBareOperatorsFixture);
      await expect(f.registry.connect(f.alice).depositBond(A)).to.be.revertedWithCustomError(f.registry, "ZeroBond");
      await expect(f.registry.connect(f.alice).depositBond(2, { value: parseEther("2") }))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotFound")
        .withArgs(2);
    });

    it("never credits an operator with fewer bond shares than the registry received (packed uint80 share count)", async function () {
      const f = await loadFixture(twoBareOperatorsFixture);
      const huge = 2n ** 80n; // 1,208,925.8 ETH: the packed bondShares field cannot hold it
      await setBalance(f.stranger.address, huge * 2n);
      const registry = await f.registry.getAddress();
      const tx = f.registry.connect(f.stranger).depositBond(A, { value: huge });
      // Either the registry refuses the bond, or it records every share it received.
      await tx.then(
        (sent) => sent.wait(),
        () => null,
      );
      expect((await f.registry.getNodeOperator(A)).bondShares).to.equal(await f.pool.sharesOf(registry));
    });
  });

  describe("withdrawBond", function () {
    /** A with 3 active validators and a 20 ETH bond, at a share rate of 1.1. */
    async function bondedAtRateFixture(): Promise<RegistryFixture> {
      const f = await threeOperatorsFixture();
      await depositAsPool(f, A, 3n);
      await rebasePool(f.pool, ((await f.pool.totalPooledEther()) * 11n) / 10n);
      return f;
    }

    it("frees only the bond not backing active validators, and sends exactly those shares", async function () {
      const f = await loadFixture(bondedAtRateFixture);
      const registry = await f.registry.getAddress();
      const bondShares = (await f.registry.getNodeOperator(A)).bondShares;
      expect(bondShares).to.equal(parseEther("20"));
      const required = mulDivUp(
        3n * DEFAULT_BOND_PER_VALIDATOR,
        await f.pool.totalShares(),
        await f.pool.totalPooledEther(),
      );
      const free = bondShares - required;

      await expect(f.registry.connect(f.alice).withdrawBond(A, free + 1n, f.recipient.address))
        .to.be.revertedWithCustomError(f.registry, "BondLocked")
        .withArgs(A, free + 1n, free);
      await expect(f.registry.connect(f.alice).withdrawBond(A, 0, f.recipient.address))
        .to.be.revertedWithCustomError(f.registry, "BondLocked")
        .withArgs(A, 0, free);

      const amount = await etherFor(f, free);
      const registrySharesBefore = await f.pool.sharesOf(registry);
      const tx = f.registry.connect(f.alice).withdrawBond(A, free, f.recipient.address);
      await expect(tx).to.emit(f.registry, "BondWithdrawn").withArgs(A, f.recipient.address, free, amount);
      await expect(tx).to.emit(f.registry, "BondCoverUpdated").withArgs(A, 3);
      await expect(tx).to.emit(f.pool, "TransferShares").withArgs(registry, f.recipient.address, free);
      expect(await f.pool.sharesOf(f.recipient.address)).to.equal(free);
      expect(await f.pool.sharesOf(registry)).to.equal(registrySharesBefore - free);
      const state = await operatorState(f.registry, A);
      expect([state.bondShares, state.bondCoveredValidators]).to.deep.equal([required, 3n]);
      // What is left backs exactly the active validators.
      expect(await etherFor(f, required)).to.be.greaterThanOrEqual(3n * DEFAULT_BOND_PER_VALIDATOR);
      await expect(f.registry.connect(f.alice).withdrawBond(A, 1, f.recipient.address))
        .to.be.revertedWithCustomError(f.registry, "BondLocked")
        .withArgs(A, 1, 0);
    });

    it("frees the bond of validators reported exited", async function () {
      const f = await loadFixture(bondedAtRateFixture);
      const bondShares = (await f.registry.getNodeOperator(A)).bondShares;
      const required = mulDivUp(
        3n * DEFAULT_BOND_PER_VALIDATOR,
        await f.pool.totalShares(),
        await f.pool.totalPooledEther(),
      );
      await f.registry.connect(f.alice).withdrawBond(A, 1, f.recipient.address);
      await expect(f.registry.connect(f.alice).withdrawBond(A, bondShares - 1n, f.recipient.address))
        .to.be.revertedWithCustomError(f.registry, "BondLocked")
        .withArgs(A, bondShares - 1n, bondShares - 1n - required);

      await f.registry.connect(f.reporter).reportExitedKeys(A, 3);
      await expect(f.registry.connect(f.alice).withdrawBond(A, bondShares, f.recipient.address))
        .to.be.revertedWithCustomError(f.registry, "BondLocked")
        .withArgs(A, bondShares, bondShares - 1n);
      await expect(f.registry.connect(f.alice).withdrawBond(A, bondShares - 1n, f.recipient.address))
        .to.emit(f.registry, "BondWithdrawn")
        .withArgs(A, f.recipient.address, bondShares - 1n, await etherFor(f, bondShares - 1n))
        .and.to.emit(f.registry, "BondCoverUpdated")
        .withArgs(A, 0);
      expect(await f.pool.sharesOf(f.recipient.address)).to.equal(bondShares);
      const state = await operatorState(f.registry, A);
      expect([state.bondShares, state.bondCoveredValidators]).to.deep.equal([0n, 0n]);
    });

    it("rejects the zero recipient, callers other than the operator, and unknown operators", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      await expect(f.registry.connect(f.alice).withdrawBond(A, 1, ZeroAddress))
        .to.be.revertedWithCustomError(f.registry, "ZeroAddress")
        .withArgs("recipient");
      for (const caller of [f.bob, f.admin]) {
        await expect(f.registry.connect(caller).withdrawBond(A, 1, caller.address))
          .to.be.revertedWithCustomError(f.registry, "CallerNotOperator")
          .withArgs(caller.address, A);
      }
      await expect(f.registry.connect(f.alice).withdrawBond(3, 1, f.alice.address))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotFound")
        .withArgs(3);
      expect((await f.registry.getNodeOperator(A)).bondShares).to.equal(parseEther("20"));
    });

    it("refuses recipients where the shares would be lost: the pool, the wrapper, the withdrawal queue, the registry", async function () {
      const f = await loadFixture(bondedAtRateFixture);
      const registry = await f.registry.getAddress();
      const queue = await f.withdrawalQueue.getAddress();
      const sinks = [f.poolAddress, f.wrapperAddress, queue, registry];
      const sharesOf = () => Promise.all([...sinks, f.alice.address].map((a) => f.pool.sharesOf(a)));
      const before = [await operatorState(f.registry, A), await sharesOf(), await f.withdrawalQueue.queuedShares()];
      for (const recipient of sinks) {
        await expect(f.registry.connect(f.alice).withdrawBond(A, parseEther("1"), recipient))
          .to.be.revertedWithCustomError(f.registry, "InvalidRecipient")
          .withArgs(recipient);
      }
      expect([
        await operatorState(f.registry, A),
        await sharesOf(),
        await f.withdrawalQueue.queuedShares(),
      ]).to.deep.equal(before);
      // The operator's own address takes them.
      await expect(f.registry.connect(f.alice).withdrawBond(A, parseEther("1"), f.alice.address))
        .to.emit(f.pool, "TransferShares")
        .withArgs(registry, f.alice.address, parseEther("1"));
    });
  });

  describe("refreshOperator", function () {
    it("recomputes the bond cover at the current share rate, for anyone, and re-indexes the operator", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      await depositAsPool(f, A, 2n);
      await depositAsPool(f, B, 2n);
      await depositAsPool(f, C, 2n);
      // Simulated loss: the share rate falls to 0.125, so 20 ETH of bond shares are worth 2.5 ETH.
      const pooled = await f.pool.totalPooledEther();
      await rebasePool(f.pool, pooled / 8n);
      const real = (await etherFor(f, parseEther("20"))) / DEFAULT_BOND_PER_VALIDATOR;
      expect(real).to.equal(1n);
      expect((await f.registry.getNodeOperator(A)).bondCoveredValidators).to.equal(10n); // stale until a sync

      await expect(f.registry.connect(f.stranger).refreshOperator(A))
        .to.emit(f.registry, "BondCoverUpdated")
        .withArgs(A, real);
      expect((await f.registry.getNodeOperator(A)).bondCoveredValidators).to.equal(real);
      // Cover 1 < 2 active: A leaves the line and cannot take a deposit.
      expect(await depositable(f, [A, B, C])).to.deep.equal([0n, 8n, 8n]);
      await expect(depositAsPool(f, A, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotDepositable")
        .withArgs(A);

      // The rate recovers: a refresh puts A back.
      await rebasePool(f.pool, pooled);
      await expect(f.registry.refreshOperator(A)).to.emit(f.registry, "BondCoverUpdated").withArgs(A, 10);
      expect(await depositable(f, [A, B, C])).to.deep.equal([8n, 8n, 8n]);
    });

    it("reverts OperatorNotFound for an unknown id", async function () {
      const f = await loadFixture(twoBareOperatorsFixture);
      await expect(f.registry.refreshOperator(2))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotFound")
        .withArgs(2);
    });
  });

  describe("setBondPerValidator", function () {
    it("sets the bond per validator up to 32 ETH, applied to each operator at its next sync", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      await expect(f.registry.connect(f.admin).setBondPerValidator(parseEther("4")))
        .to.emit(f.registry, "BondPerValidatorSet")
        .withArgs(parseEther("4"));
      expect(await f.registry.bondPerValidator()).to.equal(parseEther("4"));
      expect((await f.registry.getNodeOperator(A)).bondCoveredValidators).to.equal(10n);
      await f.registry.refreshOperator(A);
      expect((await f.registry.getNodeOperator(A)).bondCoveredValidators).to.equal(5n);
      expect(await f.registry.depositableKeys(A)).to.equal(5n);

      await f.registry.connect(f.admin).setBondPerValidator(MAX_BOND_PER_VALIDATOR);
      await f.registry.refreshOperator(B);
      expect((await f.registry.getNodeOperator(B)).bondCoveredValidators).to.equal(0n);
      await expect(f.registry.connect(f.admin).setBondPerValidator(MAX_BOND_PER_VALIDATOR + 1n))
        .to.be.revertedWithCustomError(f.registry, "BondPerValidatorTooHigh")
        .withArgs(MAX_BOND_PER_VALIDATOR + 1n, MAX_BOND_PER_VALIDATOR);
      expect(await f.registry.bondPerValidator()).to.equal(MAX_BOND_PER_VALIDATOR);
    });

    it("with no bond required, covers any number of validators", async function () {
      const f = await loadFixture(fiveKeysFixture);
      await vet(f, A, 5);
      expect(await lowest(f)).to.deep.equal([false, 0n]); // no bond yet
      await f.registry.connect(f.admin).setBondPerValidator(0);
      await expect(f.registry.refreshOperator(A)).to.emit(f.registry, "BondCoverUpdated").withArgs(A, UINT32_MAX);
      expect(await f.registry.depositableKeys(A)).to.equal(5n);
      await depositAsPool(f, A, 5n);
      expect((await f.registry.getNodeOperator(A)).depositedKeys).to.equal(5n);
    });

    it("requires BOND_MANAGER_ROLE", async function () {
      const f = await loadFixture(twoBareOperatorsFixture);
      for (const caller of [f.stranger, f.alice]) {
        await expect(f.registry.connect(caller).setBondPerValidator(parseEther("1")))
          .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, BOND_MANAGER_ROLE);
      }
    });
  });

  describe("bond cover sync on key, exit and activity changes (INodeOperatorRegistry trust assumption 3)", function () {
    /** A: 10 keys, 20 ETH bond (cover 10), 2 active; then the share rate falls to 0.125 (real cover 1). */
    async function staleCoverFixture(): Promise<RegistryFixture> {
      const f = await threeOperatorsFixture();
      await depositAsPool(f, A, 2n);
      await rebasePool(f.pool, (await f.pool.totalPooledEther()) / 8n);
      return f;
    }

    it("recomputes the bond cover when the operator uploads keys", async function () {
      const f = await loadFixture(staleCoverFixture);
      const batch = testKeyBatch("op-a", 10, 1, f.credentials);
      await f.registry.connect(f.alice).addSigningKeys(A, 1, batch.pubkeys, batch.signatures);
      expect((await f.registry.getNodeOperator(A)).bondCoveredValidators).to.equal(1n);
    });

    it("recomputes the bond cover when exits are reported", async function () {
      const f = await loadFixture(staleCoverFixture);
      await f.registry.connect(f.reporter).reportExitedKeys(A, 1);
      expect((await f.registry.getNodeOperator(A)).bondCoveredValidators).to.equal(1n);
    });

    it("recomputes the bond cover when the operator is reactivated", async function () {
      const f = await loadFixture(staleCoverFixture);
      await f.registry.connect(f.admin).setNodeOperatorActive(A, false);
      await f.registry.connect(f.admin).setNodeOperatorActive(A, true);
      expect((await f.registry.getNodeOperator(A)).bondCoveredValidators).to.equal(1n);
      expect(await f.registry.depositableKeys(A)).to.equal(0n);
    });
  });

  describe("reportExitedKeys", function () {
    it("records exits that never decrease (a count at or below the recorded one changes nothing) and never exceed the deposited keys", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      await depositAsPool(f, A, 3n);
      const nonce = await f.registry.keysNonce();
      await expect(f.registry.connect(f.reporter).reportExitedKeys(A, 1))
        .to.emit(f.registry, "ExitedKeysReported")
        .withArgs(A, 1);
      expect((await f.registry.getNodeOperator(A)).exitedKeys).to.equal(1n);
      // The same or a lower count is a no-op, not an error: a proof (BeaconFacts) may have raised the
      // count ahead of the committee's report. Nothing changes and no event is emitted.
      const recorded = [...(await f.registry.getNodeOperator(A))];
      for (const count of [1, 0]) {
        await expect(f.registry.connect(f.reporter).reportExitedKeys(A, count)).not.to.emit(
          f.registry,
          "ExitedKeysReported",
        );
        expect([...(await f.registry.getNodeOperator(A))]).to.deep.equal(recorded);
      }
      await expect(f.registry.connect(f.reporter).reportExitedKeys(A, 4))
        .to.be.revertedWithCustomError(f.registry, "InvalidExitedKeys")
        .withArgs(A, 4, 1, 3);
      await expect(f.registry.connect(f.reporter).reportExitedKeys(B, 1))
        .to.be.revertedWithCustomError(f.registry, "InvalidExitedKeys")
        .withArgs(B, 1, 0, 0);
      await f.registry.connect(f.reporter).reportExitedKeys(A, 3);
      expect((await f.registry.getNodeOperator(A)).exitedKeys).to.equal(3n);
      expect(await f.registry.keysNonce()).to.equal(nonce);
    });

    it("moves the operator down to its new active count in the deposit line", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      await depositAsPool(f, A, 3n);
      await depositAsPool(f, B, 3n);
      await depositAsPool(f, C, 3n);
      expect(await lowest(f)).to.deep.equal([true, 3n]);
      await f.registry.connect(f.reporter).reportExitedKeys(B, 2);
      expect(await lowest(f)).to.deep.equal([true, 1n]);
      expect(await depositable(f, [A, B, C])).to.deep.equal([0n, 7n, 0n]);
      await expect(depositAsPool(f, A, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotNext")
        .withArgs(A, 3, 1);
      await expect(depositAsPool(f, B, 2n))
        .to.emit(f.registry, "KeysDeposited")
        .withArgs(B, 3, 2);
      expect(await lowest(f)).to.deep.equal([true, 3n]);
    });

    it("requires ACCOUNTING_ROLE and an existing operator", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      for (const caller of [f.admin, f.alice]) {
        await expect(f.registry.connect(caller).reportExitedKeys(A, 0))
          .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, ACCOUNTING_ROLE);
      }
      await expect(f.registry.connect(f.reporter).reportExitedKeys(3, 0))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotFound")
        .withArgs(3);
    });

    it("takes exits only from the accounting oracle: no other role, not even governance's, can mark keys exited or free bond", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      await depositAsPool(f, A, 3n);
      const registry = await f.registry.getAddress();
      // A holder of the retired exits-reporter role id (any admin can still grant an arbitrary id).
      const former = f.users[7];
      await f.registry.connect(f.admin).grantRole(RETIRED_EXITS_REPORTER_ROLE, former.address);
      // The admin holds DEFAULT_ADMIN_ROLE, OPERATOR_MANAGER_ROLE and BOND_MANAGER_ROLE.
      const callers = [f.admin, former, f.alice, f.stranger, await poolSigner(f)];
      const bond = parseEther("20");
      const free = bond - 3n * DEFAULT_BOND_PER_VALIDATOR; // share rate 1
      const state = async () => [
        await operatorState(f.registry, A),
        await f.registry.totalActiveValidators(),
        await f.registry.pendingOperatorRewards(A),
        await f.pool.sharesOf(registry),
        await f.pool.sharesOf(f.alice.address),
      ];
      const before = await state();
      for (const caller of callers) {
        for (const exited of [1n, 3n]) {
          await expect(f.registry.connect(caller).reportExitedKeys(A, exited))
            .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
            .withArgs(caller.address, ACCOUNTING_ROLE);
        }
      }
      await expect(f.registry.connect(f.alice).withdrawBond(A, free + 1n, f.alice.address))
        .to.be.revertedWithCustomError(f.registry, "BondLocked")
        .withArgs(A, free + 1n, free);
      expect(await state()).to.deep.equal(before);

      // The accounting oracle (the committee's quorum) records them, and the bond of exited validators frees up.
      const oracle = await oracleSigner(f);
      await expect(f.registry.connect(oracle).reportExitedKeys(A, 3))
        .to.emit(f.registry, "ExitedKeysReported")
        .withArgs(A, 3);
      expect(await f.registry.totalActiveValidators()).to.equal(0n);
      await expect(f.registry.connect(f.alice).withdrawBond(A, bond, f.alice.address))
        .to.emit(f.registry, "BondWithdrawn")
        .withArgs(A, f.alice.address, bond, bond);
      expect(await f.pool.sharesOf(f.alice.address)).to.equal(bond);
      expect((await operatorState(f.registry, A)).bondShares).to.equal(0n);
    });
  });

  describe("views", function () {
    it("report every field of an operator with deposited, exited and unvetted keys", async function () {
      const f = await loadFixture(fiveKeysFixture);
      const batch = testKeyBatch("op-a", 5, 1, f.credentials);
      await f.registry.connect(f.alice).addSigningKeys(A, 1, batch.pubkeys, batch.signatures);
      await vet(f, A, 5);
      await f.registry.connect(f.alice).depositBond(A, { value: parseEther("9") });
      await depositAsPool(f, A, 3n);
      await f.registry.connect(f.reporter).reportExitedKeys(A, 1);

      expect(await operatorState(f.registry, A)).to.deep.equal({
        active: true,
        totalKeys: 6n,
        vettedKeys: 5n,
        depositedKeys: 3n,
        exitedKeys: 1n,
        bondCoveredValidators: 4n,
        bondShares: parseEther("9"),
        rewardAddress: f.alice.address,
        name: "op-a",
      });
      // min(vetted − deposited = 2, cover − active = 2)
      expect(await f.registry.depositableKeys(A)).to.equal(2n);
      expect(await lowest(f)).to.deep.equal([true, 2n]);
      const all = testKeyBatch("op-a", 0, 6, f.credentials);
      for (let i = 0; i < 6; ++i) {
        const k = keyAt(all, i);
        expect(await signingKey(f, A, BigInt(i))).to.deep.equal([k.pubkey, k.signature, i < 3]);
      }
      await expect(f.registry.getSigningKey(A, 6))
        .to.be.revertedWithCustomError(f.registry, "InvalidKeyRange")
        .withArgs(A, 6, 1, 3, 6);
    });

    it("pubkeys: consecutive keys' public keys in one call, clamped at the operator's last key", async function () {
      const f = await loadFixture(fiveKeysFixture);
      const batch = testKeyBatch("op-a", 5, 1, f.credentials);
      await f.registry.connect(f.alice).addSigningKeys(A, 1, batch.pubkeys, batch.signatures);
      await vet(f, A, 5);
      await f.registry.connect(f.alice).depositBond(A, { value: parseEther("9") });
      await depositAsPool(f, A, 3n);
      const all = testKeyBatch("op-a", 0, 6, f.credentials);
      const concat = (from: number, to: number) =>
        "0x" + [...Array(to - from).keys()].map((i) => keyAt(all, from + i).pubkey.slice(2)).join("");
      // One key, an odd and an even number of keys (the last one's padding), and a range clamped at 6.
      expect(await f.registry.pubkeys(A, 2, 1)).to.deep.equal([concat(2, 3), 3n]);
      expect(await f.registry.pubkeys(A, 0, 3)).to.deep.equal([concat(0, 3), 3n]);
      expect(await f.registry.pubkeys(A, 1, 4)).to.deep.equal([concat(1, 5), 3n]);
      expect(await f.registry.pubkeys(A, 3, 1000)).to.deep.equal([concat(3, 6), 3n]);
      expect(await f.registry.pubkeys(A, 6, 10)).to.deep.equal(["0x", 3n]);
      await expect(f.registry.pubkeys(A, 7, 1))
        .to.be.revertedWithCustomError(f.registry, "InvalidKeyRange")
        .withArgs(A, 7, 1, 3, 6);
      for (const limit of [0n, 1001n]) {
        await expect(f.registry.pubkeys(A, 0, limit))
          .to.be.revertedWithCustomError(f.registry, "InvalidKeysCount")
          .withArgs(limit, 1000n);
      }
      await expect(f.registry.pubkeys(99, 0, 1))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotFound")
        .withArgs(99);
    });

    it("count depositable keys as the smallest of vetted keys left and bond cover left, and 0 off the lowest level", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      await vet(f, A, 4); // key-limited: 4
      await f.registry.connect(f.bob).withdrawBond(B, parseEther("14"), f.bob.address); // bond-limited: 3
      expect(await depositable(f, [A, B, C])).to.deep.equal([4n, 3n, 10n]);
      await depositAsPool(f, C, 1n);
      expect(await depositable(f, [A, B, C])).to.deep.equal([4n, 3n, 0n]);
    });
  });

  describe("depositKeys", function () {
    it("deposits the operator's next keys with 32 ETH each and marks them deposited", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      const depositContract = await f.depositContract.getAddress();
      const nonce = await f.registry.keysNonce();
      const tx = depositAsPool(f, A, 2n);
      await expect(tx).to.emit(f.registry, "KeysDeposited").withArgs(A, 0, 2);
      await expect(tx)
        .to.emit(f.registry, "KeysNonceChanged")
        .withArgs(nonce + 1n);
      await expect(tx).to.changeEtherBalances(
        [f.poolAddress, depositContract, await f.registry.getAddress()],
        [-2n * DEPOSIT_SIZE, 2n * DEPOSIT_SIZE, 0n],
      );
      await expect(tx).to.emit(f.depositContract, "DepositEvent");
      expect(await f.depositContract.get_deposit_count()).to.equal("0x0200000000000000");
      expect((await f.registry.getSigningKey(A, 1)).deposited).to.equal(true);
      expect((await f.registry.getSigningKey(A, 2)).deposited).to.equal(false);
      expect((await f.registry.getNodeOperator(A)).depositedKeys).to.equal(2n);

      // The next deposit continues from key 2.
      await depositAsPool(f, B, 2n);
      await depositAsPool(f, C, 2n);
      await expect(depositAsPool(f, A, 3n))
        .to.emit(f.registry, "KeysDeposited")
        .withArgs(A, 2, 3);
    });

    it("only takes calls from the pool", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      for (const caller of [f.admin, f.alice, f.stranger]) {
        await expect(f.registry.connect(caller).depositKeys(A, 1, f.credentials, { value: DEPOSIT_SIZE }))
          .to.be.revertedWithCustomError(f.registry, "CallerNotPool")
          .withArgs(caller.address);
      }
    });

    it("only takes exactly 32 ETH per key", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      for (const value of [DEPOSIT_SIZE, 2n * DEPOSIT_SIZE + 1n, 0n]) {
        await expect(depositAsPool(f, A, 2n, value))
          .to.be.revertedWithCustomError(f.registry, "WrongDepositValue")
          .withArgs(value, 2n * DEPOSIT_SIZE);
      }
    });

    it("rejects an unknown operator and operators that cannot take a deposit", async function () {
      const f = await loadFixture(fiveKeysFixture);
      await expect(depositAsPool(f, 2n, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotFound")
        .withArgs(2);
      // Keys but none vetted, no bond.
      await expect(depositAsPool(f, A, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotDepositable")
        .withArgs(A);
      // Vetted keys, still no bond.
      await vet(f, A, 5);
      await expect(depositAsPool(f, A, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotDepositable")
        .withArgs(A);
      // Bond and keys, but deactivated.
      await f.registry.connect(f.alice).depositBond(A, { value: parseEther("10") });
      await f.registry.connect(f.admin).setNodeOperatorActive(A, false);
      await expect(depositAsPool(f, A, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorInactive")
        .withArgs(A);
      await f.registry.connect(f.admin).setNodeOperatorActive(A, true);
      await depositAsPool(f, A, 1n);
    });

    it("rejects more keys than are vetted and left", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      await expect(depositAsPool(f, A, 11n))
        .to.be.revertedWithCustomError(f.registry, "NotEnoughVettedKeys")
        .withArgs(A, 11, 10);
      await vet(f, A, 4);
      await expect(depositAsPool(f, A, 5n))
        .to.be.revertedWithCustomError(f.registry, "NotEnoughVettedKeys")
        .withArgs(A, 5, 4);
      await depositAsPool(f, A, 4n);
    });

    it("rejects more validators than the bond covers", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      await f.registry.connect(f.alice).withdrawBond(A, parseEther("14"), f.alice.address); // cover 3
      await expect(depositAsPool(f, A, 4n))
        .to.be.revertedWithCustomError(f.registry, "BondTooSmall")
        .withArgs(A, 4, 3);
      await depositAsPool(f, A, 2n);
      await depositAsPool(f, B, 2n);
      await depositAsPool(f, C, 2n);
      await expect(depositAsPool(f, A, 2n))
        .to.be.revertedWithCustomError(f.registry, "BondTooSmall")
        .withArgs(A, 4, 3);
      await depositAsPool(f, A, 1n);
    });
  });

  describe("min-level allocation", function () {
    it("lets only the operators at the lowest active count take a deposit", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      expect(await lowest(f)).to.deep.equal([true, 0n]);
      expect(await depositable(f, [A, B, C])).to.deep.equal([10n, 10n, 10n]);

      await depositAsPool(f, A, 2n); // A 2, B 0, C 0
      expect(await lowest(f)).to.deep.equal([true, 0n]);
      expect(await depositable(f, [A, B, C])).to.deep.equal([0n, 10n, 10n]);
      await expect(depositAsPool(f, A, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotNext")
        .withArgs(A, 2, 0);

      await depositAsPool(f, B, 1n); // A 2, B 1, C 0
      await expect(depositAsPool(f, B, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotNext")
        .withArgs(B, 1, 0);
      await expect(depositAsPool(f, A, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotNext")
        .withArgs(A, 2, 0);

      await depositAsPool(f, C, 3n); // A 2, B 1, C 3
      expect(await lowest(f)).to.deep.equal([true, 1n]);
      expect(await depositable(f, [A, B, C])).to.deep.equal([0n, 9n, 0n]);
      await expect(depositAsPool(f, A, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotNext")
        .withArgs(A, 2, 1);
      await expect(depositAsPool(f, C, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotNext")
        .withArgs(C, 3, 1);

      await depositAsPool(f, B, 1n); // A 2, B 2, C 3: A and B share the lowest level
      expect(await lowest(f)).to.deep.equal([true, 2n]);
      expect(await depositable(f, [A, B, C])).to.deep.equal([8n, 8n, 0n]);
      await depositAsPool(f, B, 1n);
      await depositAsPool(f, A, 1n);
      expect(await lowest(f)).to.deep.equal([true, 3n]);
      expect(await depositable(f, [A, B, C])).to.deep.equal([7n, 7n, 7n]);
    });

    it("drops an operator out of vetted keys from the line so it no longer blocks others", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      await vet(f, A, 1);
      await depositAsPool(f, A, 1n); // A: 1 active, no vetted key left
      await depositAsPool(f, B, 2n);
      await depositAsPool(f, C, 2n);
      // A sits at 1 < 2 but is out of the line.
      expect(await lowest(f)).to.deep.equal([true, 2n]);
      await expect(depositAsPool(f, A, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotDepositable")
        .withArgs(A);
      await depositAsPool(f, B, 1n);

      // Vetting more keys puts A back at level 1, where it leads.
      await vet(f, A, 10);
      expect(await lowest(f)).to.deep.equal([true, 1n]);
      await expect(depositAsPool(f, C, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotNext")
        .withArgs(C, 2, 1);
    });

    it("drops an operator out of bond cover from the line so it no longer blocks others", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      await f.registry.connect(f.alice).withdrawBond(A, parseEther("18"), f.alice.address); // cover 1
      await depositAsPool(f, A, 1n);
      await expect(depositAsPool(f, A, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotDepositable")
        .withArgs(A);
      await depositAsPool(f, B, 3n);
      await depositAsPool(f, C, 3n);
      expect(await lowest(f)).to.deep.equal([true, 3n]);

      // More bond puts A back at level 1.
      await f.registry.connect(f.alice).depositBond(A, { value: parseEther("2") });
      expect(await lowest(f)).to.deep.equal([true, 1n]);
      expect(await depositable(f, [A, B, C])).to.deep.equal([1n, 0n, 0n]);
    });

    it("drops a deactivated operator from the line so it no longer blocks others", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      await depositAsPool(f, A, 1n);
      await depositAsPool(f, B, 1n);
      await f.registry.connect(f.admin).setNodeOperatorActive(C, false); // C at 0
      expect(await lowest(f)).to.deep.equal([true, 1n]);
      await depositAsPool(f, A, 1n);
      await depositAsPool(f, B, 1n);
      expect(await lowest(f)).to.deep.equal([true, 2n]);
    });

    it("has no lowest level when nobody can take a deposit", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      for (const op of [A, B, C]) await f.registry.connect(f.admin).setNodeOperatorActive(op, false);
      expect(await lowest(f)).to.deep.equal([false, 0n]);
      expect(await depositable(f, [A, B, C])).to.deep.equal([0n, 0n, 0n]);
    });
  });

  describe("roles", function () {
    it("never grants a role to the zero address", async function () {
      const f = await loadFixture(registryFixture);
      for (const role of [ZeroHash, OPERATOR_MANAGER_ROLE, BOND_MANAGER_ROLE, ACCOUNTING_ROLE]) {
        await expect(f.registry.connect(f.admin).grantRole(role, ZeroAddress))
          .to.be.revertedWithCustomError(f.registry, "RoleGrantToZeroAddress")
          .withArgs(role);
      }
    });

    it("lets only the admin grant roles", async function () {
      const f = await loadFixture(registryFixture);
      await expect(f.registry.connect(f.reporter).grantRole(ACCOUNTING_ROLE, f.stranger.address))
        .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
        .withArgs(f.reporter.address, ZeroHash);
    });
  });

  describe("upgrades (UUPS)", function () {
    async function implementationOf(proxy: string): Promise<string> {
      const raw = (await network.provider.send("eth_getStorageAt", [
        proxy,
        ERC1967_IMPLEMENTATION_SLOT,
        "latest",
      ])) as string;
      return getAddress(dataSlice(hexlify(raw), 12));
    }

    it("cannot initialise the implementation or re-initialise the proxy", async function () {
      const f = await loadFixture(registryFixture);
      const implementation = await ethers.getContractAt(
        "NodeOperatorRegistry",
        await implementationOf(await f.registry.getAddress()),
      );
      expect(await implementation.POOL()).to.equal(f.poolAddress);
      await expect(
        implementation.initialize(f.stranger.address, DEFAULT_BOND_PER_VALIDATOR),
      ).to.be.revertedWithCustomError(implementation, "InvalidInitialization");
      await expect(f.registry.initialize(f.stranger.address, DEFAULT_BOND_PER_VALIDATOR)).to.be.revertedWithCustomError(
        f.registry,
        "InvalidInitialization",
      );
    });

    it("lets only the admin upgrade, and keeps the state", async function () {
      const f = await loadFixture(threeOperatorsFixture);
      const proxy = await f.registry.getAddress();
      const next = await (
        await ethers.getContractFactory("NodeOperatorRegistry")
      ).deploy(f.poolAddress, await f.depositContract.getAddress());
      const nextAddress = await next.getAddress();
      for (const caller of [f.stranger, f.alice]) {
        await expect(f.registry.connect(caller).upgradeToAndCall(nextAddress, "0x"))
          .to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, ZeroHash);
      }
      // Not a UUPS implementation.
      const notUups = await f.depositContract.getAddress();
      await expect(f.registry.connect(f.admin).upgradeToAndCall(notUups, "0x"))
        .to.be.revertedWithCustomError(f.registry, "ERC1967InvalidImplementation")
        .withArgs(notUups);

      const before = await operatorState(f.registry, B);
      const nonce = await f.registry.keysNonce();
      await expect(f.registry.connect(f.admin).upgradeToAndCall(nextAddress, "0x"))
        .to.emit(f.registry, "Upgraded")
        .withArgs(nextAddress);
      expect(await implementationOf(proxy)).to.equal(nextAddress);
      expect(await operatorState(f.registry, B)).to.deep.equal(before);
      expect(await f.registry.keysNonce()).to.equal(nonce);
      expect(await f.registry.getNodeOperatorsCount()).to.equal(3n);
      await depositAsPool(f, B, 1n);
    });
  });
});
