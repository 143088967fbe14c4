import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, getBytes, hexlify, id, parseEther } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployTidepoolUnlimited, type TidepoolFixture } from "../helpers/fixtures";
import {
  CAPABILITY_DEPOSITS,
  DEPOSIT_SIZE,
  MAX_DEPOSITS_PER_CALL,
  activeValidators,
  attest,
  guardedDeposit,
  liquidityReserve,
  protocolSnapshot,
} from "../helpers/validators-fixtures";
import { allDepositEvents, depositEventsIn, depositTreeRoot } from "../helpers/validators-deposit-tree";
import { registerOperator } from "../../offchain/operators/register";
import {
  GENESIS_FORK_VERSIONS,
  depositSigningRoot,
  testKeyBatch,
  testSecretKey,
  verifyDepositSignature,
} from "../../offchain/keys/bls";
import {
  DEPOSIT_AMOUNT_GWEI,
  computeDepositDataRoot,
  littleEndian64,
  withdrawalCredentialsFor,
} from "../../offchain/keys/deposit";

// ──────────────────────────────── Constants ────────────────────────────────

const STAKE = parseEther("1000");
const KEYS = 12;
const BOND = parseEther("24"); // covers 12 validators at 2 ETH
const A = 0n;
const B = 1n;
const C = 2n;
const RESUME_ROLE = id("RESUME_ROLE");
/** The root of the empty deposit tree (mainnet deposit contract at genesis). */
const EMPTY_DEPOSIT_ROOT = "0xd70a234731285c6804c2a4f56711ddb8c82c99740f207854891028af34e27e5e";

// ──────────────────────────────── Fixtures ────────────────────────────────

interface DepositsFixture extends TidepoolFixture {
  alice: HardhatEthersSigner; // operator A (op-a)
  bob: HardhatEthersSigner; // operator B (op-b)
  carol: HardhatEthersSigner; // operator C (op-c)
  staker: HardhatEthersSigner; // staked STAKE
  stranger: HardhatEthersSigner; // submits guarded deposits; no role
  mallory: HardhatEthersSigner; // a malicious operator
}

async function actorsFixture(): Promise<DepositsFixture> {
  const f = await loadFixture(deployTidepoolUnlimited);
  const [alice, bob, carol, staker, stranger, mallory] = f.users;
  return { ...f, alice, bob, carol, staker, stranger, mallory };
}

/** 1,000 ETH staked; operators A, B, C with 12 vetted keys and a 24 ETH bond each (TVL 1,072.001 ETH). */
async function depositsFixture(): Promise<DepositsFixture> {
  const f = await actorsFixture();
  await f.pool.connect(f.staker).stake(ZeroAddress, { value: STAKE });
  for (const [name, signer] of [
    ["op-a", f.alice],
    ["op-b", f.bob],
    ["op-c", f.carol],
  ] as const) {
    await registerOperator(f.registry, f.pool, f.admin, { name, rewardAddress: signer, keys: KEYS, bondWei: BOND });
  }
  return f;
}

/** 200 ETH staked; the only operator is Mallory (op-mallory, id 0): 4 vetted keys, 8 ETH bond. */
async function malloryFixture(): Promise<DepositsFixture> {
  const f = await actorsFixture();
  await f.pool.connect(f.staker).stake(ZeroAddress, { value: parseEther("200") });
  await registerOperator(f.registry, f.pool, f.admin, {
    name: "op-mallory",
    rewardAddress: f.mallory,
    keys: 4,
    bondWei: parseEther("8"),
  });
  return f;
}

/**
 * The TVL at which the depositable ether is exactly 32 ETH: T − ceil(T / 100) = 32 ETH, i.e.
 * T = 32 ETH + ceil(32 ETH / 99).
 */
const BOUNDARY_TVL = DEPOSIT_SIZE + (DEPOSIT_SIZE + 98n) / 99n;

/** Operator A (1 key, 2 ETH bond), and a TVL one wei short of BOUNDARY_TVL. */
async function reserveBoundaryFixture(): Promise<DepositsFixture> {
  const f = await actorsFixture();
  await registerOperator(f.registry, f.pool, f.admin, {
    name: "op-a",
    rewardAddress: f.alice,
    keys: 1,
    bondWei: parseEther("2"),
  });
  const missing = BOUNDARY_TVL - (await f.pool.totalPooledEther());
  await f.pool.connect(f.staker).stake(ZeroAddress, { value: missing - 1n });
  return f;
}

// ──────────────────────────────── Tests ────────────────────────────────

describe("Deposits (guarded, end to end)", function () {
  describe("a guarded deposit", function () {
    it("moves n × 32 ETH from the buffer to the deposit contract and leaves the pool's totals unchanged", async function () {
      const f = await loadFixture(depositsFixture);
      const n = 3n;
      const amount = n * DEPOSIT_SIZE;
      const before = await protocolSnapshot(f);
      const stakerBalance = await f.pool.balanceOf(f.staker.address);
      const depositContract = await f.depositContract.getAddress();
      const { attestation, signatures } = await attest(f);

      const tx = f.dsm.connect(f.stranger).depositBufferedEther(A, n, attestation, signatures);
      await expect(tx).to.emit(f.pool, "ValidatorsDeposited").withArgs(A, n, amount);
      await expect(tx).to.emit(f.registry, "KeysDeposited").withArgs(A, 0, n);
      await expect(tx)
        .to.emit(f.registry, "KeysNonceChanged")
        .withArgs(before.keysNonce + 1n);
      await expect(tx).to.changeEtherBalances(
        [f.poolAddress, depositContract, await f.registry.getAddress(), await f.dsm.getAddress()],
        [-amount, amount, 0n, 0n],
      );

      const after = await protocolSnapshot(f);
      expect(after.totalPooledEther).to.equal(before.totalPooledEther);
      expect(after.totalShares).to.equal(before.totalShares);
      expect(after.bufferedEther).to.equal(before.bufferedEther - amount);
      expect(after.beaconStat).to.deep.equal([before.beaconStat[0] + n, 0n, 0n]);
      expect(after.depositCount).to.equal(hexlify(littleEndian64(n)));
      expect(after.depositContractBalance).to.equal(before.depositContractBalance + amount);
      expect(after.depositableEther).to.equal(after.bufferedEther - liquidityReserve(after.totalPooledEther));
      expect(after.operators[Number(A)].depositedKeys).to.equal(n);
      expect(after.operators[Number(B)]).to.deep.equal(before.operators[Number(B)]);
      expect(await f.pool.balanceOf(f.staker.address)).to.equal(stakerBalance);
      for (let i = 0n; i < BigInt(KEYS); ++i) {
        expect((await f.registry.getSigningKey(A, i)).deposited).to.equal(i < n);
      }
    });

    it("sends each registered key with its signature, the pool's credentials and 32 ETH, under the roots recomputed off chain", async function () {
      const f = await loadFixture(depositsFixture);
      expect(await f.depositContract.get_deposit_root()).to.equal(EMPTY_DEPOSIT_ROOT);
      expect(depositTreeRoot([])).to.equal(EMPTY_DEPOSIT_ROOT);
      const credentials = await f.pool.withdrawalCredentials();
      expect(credentials).to.equal(withdrawalCredentialsFor(await f.withdrawalVault.getAddress()));

      const leaves: string[] = [];
      for (const [operatorId, name, count] of [
        [A, "op-a", 3n],
        [B, "op-b", 2n],
      ] as const) {
        const receipt = await (await guardedDeposit(f, operatorId, count)).wait();
        if (receipt === null) throw new Error("no receipt");
        const events = await depositEventsIn(f.depositContract, receipt);
        expect(events).to.have.lengthOf(Number(count));
        const registered = testKeyBatch(name, 0, Number(count), credentials);
        for (let i = 0; i < events.length; ++i) {
          const e = events[i];
          const [pubkey, signature, deposited] = await f.registry.getSigningKey(operatorId, i);
          expect(deposited).to.equal(true);
          expect(e.pubkey).to.equal(pubkey);
          expect(e.pubkey).to.equal(registered.deposits[i].pubkey);
          expect(e.signature).to.equal(signature);
          expect(e.withdrawalCredentials).to.equal(credentials);
          expect(e.amount).to.equal("0x0040597307000000"); // 32,000,000,000 gwei, little-endian
          expect(e.amountGwei).to.equal(DEPOSIT_AMOUNT_GWEI);
          expect(e.depositIndex).to.equal(BigInt(leaves.length));
          const data = {
            pubkey: e.pubkey,
            withdrawalCredentials: e.withdrawalCredentials,
            amountGwei: e.amountGwei,
            signature: e.signature,
          };
          expect(verifyDepositSignature(data, GENESIS_FORK_VERSIONS.mainnet)).to.equal(true);
          const root = computeDepositDataRoot(data);
          expect(root).to.equal(registered.deposits[i].depositDataRoot);
          leaves.push(root);
        }
        // The contract inserted exactly these leaves: its root is the tree over the recomputed roots.
        expect(await f.depositContract.get_deposit_root()).to.equal(depositTreeRoot(leaves));
      }
      expect((await allDepositEvents(f.depositContract)).map((e) => computeDepositDataRoot(e))).to.deep.equal(leaves);
    });

    it("rolls everything back when the registry refuses the operator or the count", async function () {
      const f = await loadFixture(depositsFixture);
      await guardedDeposit(f, A, 2n);
      const before = await protocolSnapshot(f);
      await expect(guardedDeposit(f, A, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotNext")
        .withArgs(A, 2, 0);
      await expect(guardedDeposit(f, B, 13n))
        .to.be.revertedWithCustomError(f.registry, "NotEnoughVettedKeys")
        .withArgs(B, 13, 12);
      expect(await protocolSnapshot(f)).to.deep.equal(before);
    });
  });

  describe("the instant-liquidity reserve", function () {
    it("stays in the buffer: asking for more than buffer − 1% of TVL reverts NotEnoughBufferedEther", async function () {
      const f = await loadFixture(depositsFixture);
      const tvl = await f.pool.totalPooledEther();
      expect(tvl).to.equal(STAKE + 3n * BOND + parseEther("0.001"));
      const depositable = await f.pool.depositableEther();
      expect(depositable).to.equal((await f.pool.bufferedEther()) - liquidityReserve(tvl));
      const most = depositable / DEPOSIT_SIZE; // 33 validators
      expect(most).to.equal(33n);

      const before = await protocolSnapshot(f);
      await expect(guardedDeposit(f, A, most + 1n))
        .to.be.revertedWithCustomError(f.pool, "NotEnoughBufferedEther")
        .withArgs((most + 1n) * DEPOSIT_SIZE, depositable);
      expect(await protocolSnapshot(f)).to.deep.equal(before);

      await guardedDeposit(f, A, 12n);
      await guardedDeposit(f, B, 12n);
      await guardedDeposit(f, C, 9n);
      const left = await f.pool.depositableEther();
      expect(left).to.equal(depositable - most * DEPOSIT_SIZE);
      await expect(guardedDeposit(f, C, 1n))
        .to.be.revertedWithCustomError(f.pool, "NotEnoughBufferedEther")
        .withArgs(DEPOSIT_SIZE, left);
      expect(await f.pool.bufferedEther()).to.be.greaterThanOrEqual(liquidityReserve(tvl));
      expect(await f.pool.totalPooledEther()).to.equal(tvl);
    });

    it("lets deposits go exactly down to the reserve and not one wei below it", async function () {
      const f = await loadFixture(reserveBoundaryFixture);
      expect(BOUNDARY_TVL - liquidityReserve(BOUNDARY_TVL)).to.equal(DEPOSIT_SIZE);
      expect(await f.pool.totalPooledEther()).to.equal(BOUNDARY_TVL - 1n);
      expect(await f.pool.depositableEther()).to.equal(DEPOSIT_SIZE - 1n);
      await expect(guardedDeposit(f, A, 1n))
        .to.be.revertedWithCustomError(f.pool, "NotEnoughBufferedEther")
        .withArgs(DEPOSIT_SIZE, DEPOSIT_SIZE - 1n);

      await f.pool.connect(f.staker).stake(ZeroAddress, { value: 1n });
      expect(await f.pool.depositableEther()).to.equal(DEPOSIT_SIZE);
      await expect(guardedDeposit(f, A, 1n))
        .to.emit(f.pool, "ValidatorsDeposited")
        .withArgs(A, 1, DEPOSIT_SIZE);
      expect(await f.pool.bufferedEther()).to.equal(liquidityReserve(BOUNDARY_TVL));
      expect(await f.pool.depositableEther()).to.equal(0n);
    });
  });

  describe("the pool's guards", function () {
    it("rejects a count of 0 or above 64 and changes nothing", async function () {
      const f = await loadFixture(depositsFixture);
      const before = await protocolSnapshot(f);
      for (const count of [0n, MAX_DEPOSITS_PER_CALL + 1n]) {
        await expect(guardedDeposit(f, A, count))
          .to.be.revertedWithCustomError(f.pool, "InvalidDepositCount")
          .withArgs(count, MAX_DEPOSITS_PER_CALL);
      }
      // 64 passes the count check and meets the buffer check.
      await expect(guardedDeposit(f, A, MAX_DEPOSITS_PER_CALL))
        .to.be.revertedWithCustomError(f.pool, "NotEnoughBufferedEther")
        .withArgs(MAX_DEPOSITS_PER_CALL * DEPOSIT_SIZE, before.depositableEther);
      expect(await protocolSnapshot(f)).to.deep.equal(before);
    });

    it("stops deposits while the pauser has paused them, until the admin resumes them", async function () {
      const f = await loadFixture(depositsFixture);
      await expect(f.pool.connect(f.pauser).pause(CAPABILITY_DEPOSITS))
        .to.emit(f.pool, "CapabilitiesPaused")
        .withArgs(f.pauser.address, CAPABILITY_DEPOSITS);
      expect(await f.pool.pausedCapabilities()).to.equal(CAPABILITY_DEPOSITS);

      const before = await protocolSnapshot(f);
      await expect(guardedDeposit(f, A, 1n)).to.be.revertedWithCustomError(f.pool, "DepositsPaused");
      expect(await protocolSnapshot(f)).to.deep.equal(before);
      // Only deposits are paused: staking goes on.
      await f.pool.connect(f.stranger).stake(ZeroAddress, { value: parseEther("1") });

      await expect(f.pool.connect(f.pauser).resume(CAPABILITY_DEPOSITS))
        .to.be.revertedWithCustomError(f.pool, "AccessControlUnauthorizedAccount")
        .withArgs(f.pauser.address, RESUME_ROLE);
      await expect(f.pool.connect(f.admin).resume(CAPABILITY_DEPOSITS))
        .to.emit(f.pool, "CapabilitiesResumed")
        .withArgs(f.admin.address, CAPABILITY_DEPOSITS);
      await expect(guardedDeposit(f, A, 1n))
        .to.emit(f.pool, "ValidatorsDeposited")
        .withArgs(A, 1, DEPOSIT_SIZE);
    });

    it("takes deposits from the deposit security module only", async function () {
      const f = await loadFixture(depositsFixture);
      for (const caller of [f.stranger, f.admin, f.guardian, f.alice]) {
        await expect(f.pool.connect(caller).depositBufferedEther(A, 1))
          .to.be.revertedWithCustomError(f.pool, "CallerNotDepositSecurityModule")
          .withArgs(caller.address);
      }
    });
  });

  describe("the front-running attack", function () {
    it("fails: a 1 ETH deposit by the operator for its own key with its own credentials voids the guardians' attestation", async function () {
      const f = await loadFixture(malloryFixture);
      const M = 0n;
      const poolCredentials = await f.pool.withdrawalCredentials();
      const bufferBefore = await f.pool.bufferedEther();
      const { attestation, signatures } = await attest(f);

      // Without the front-run the attestation is good: the pool would deposit 32 ETH on key 0.
      const untouched = await takeSnapshot();
      await expect(f.dsm.depositBufferedEther(M, 1, attestation, signatures))
        .to.emit(f.registry, "KeysDeposited")
        .withArgs(M, 0, 1);
      await untouched.restore();

      // Mallory front-runs with key 0 (the next to be deposited), 1 ETH and her own credentials.
      const secretKey = testSecretKey("op-mallory", 0);
      const [registeredPubkey] = await f.registry.getSigningKey(M, 0);
      const pubkey = hexlify(secretKey.toPublicKey().toBytes());
      expect(pubkey).to.equal(registeredPubkey);
      const malloryCredentials = withdrawalCredentialsFor(f.mallory.address);
      expect(malloryCredentials).to.not.equal(poolCredentials);
      const message = { pubkey, withdrawalCredentials: malloryCredentials, amountGwei: 1_000_000_000n };
      const signature = hexlify(
        secretKey.sign(getBytes(depositSigningRoot(message, GENESIS_FORK_VERSIONS.mainnet))).toBytes(),
      );
      const frontRun = { ...message, signature };
      expect(verifyDepositSignature(frontRun, GENESIS_FORK_VERSIONS.mainnet)).to.equal(true);
      const frontRunTx = await f.depositContract
        .connect(f.mallory)
        .deposit(pubkey, malloryCredentials, signature, computeDepositDataRoot(frontRun), { value: parseEther("1") });
      const frontRunReceipt = await frontRunTx.wait();
      if (frontRunReceipt === null) throw new Error("no receipt");
      const [event] = await depositEventsIn(f.depositContract, frontRunReceipt);
      expect([event.pubkey, event.withdrawalCredentials, event.amountGwei]).to.deep.equal([
        pubkey,
        malloryCredentials,
        1_000_000_000n,
      ]);

      // The pool's deposit with the old attestation reverts, and nothing of the pool moves.
      const before = await protocolSnapshot(f);
      const root = await f.depositContract.get_deposit_root();
      await expect(f.dsm.connect(f.stranger).depositBufferedEther(M, 1, attestation, signatures))
        .to.be.revertedWithCustomError(f.dsm, "DepositRootChanged")
        .withArgs(attestation.depositRoot, root);
      expect(await protocolSnapshot(f)).to.deep.equal(before);
      expect(await f.pool.bufferedEther()).to.equal(bufferBefore);
      expect((await f.pool.getBeaconStat())[0]).to.equal(0n);
      expect((await f.registry.getSigningKey(M, 0)).deposited).to.equal(false);
      expect((await f.registry.getNodeOperator(M)).depositedKeys).to.equal(0n);
      expect(await f.registry.keysNonce()).to.equal(attestation.keysNonce);
      expect(await f.depositContract.get_deposit_count()).to.equal(hexlify(littleEndian64(1n)));
      expect(await ethers.provider.getBalance(await f.depositContract.getAddress())).to.equal(parseEther("1"));
    });
  });

  describe("allocation fairness", function () {
    it("sends every guarded deposit to an operator at the lowest active count, keeping counts within one batch", async function () {
      const f = await loadFixture(depositsFixture);
      const ids = [A, B, C];
      const batch = 3n;
      let total = 0n;
      let refused = 0;
      for (let round = 0; round < 10; ++round) {
        const actives = await Promise.all(ids.map((op) => activeValidators(f.registry, op)));
        const [found, lowest] = await f.registry.lowestActiveValidators();
        expect(found).to.equal(true);
        expect(lowest).to.equal(actives.reduce((a, b) => (a < b ? a : b)));
        for (const [i, op] of ids.entries()) {
          const keys = await f.registry.depositableKeys(op);
          if (actives[i] === lowest) expect(keys).to.be.greaterThan(0n);
          else expect(keys).to.equal(0n);
        }

        // Operators above the lowest count are refused, with a valid attestation.
        const ahead = ids.find((_, i) => actives[i] > lowest);
        if (ahead !== undefined) {
          await expect(guardedDeposit(f, ahead, 1n))
            .to.be.revertedWithCustomError(f.registry, "OperatorNotNext")
            .withArgs(ahead, actives[Number(ahead)], lowest);
          ++refused;
        }

        const next = ids.filter((_, i) => actives[i] === lowest);
        const pick = next[round % next.length];
        const count = 1n + BigInt((round * 2) % Number(batch)); // 1, 3, 2, 1, 3, …
        await expect(guardedDeposit(f, pick, count))
          .to.emit(f.pool, "ValidatorsDeposited")
          .withArgs(pick, count, count * DEPOSIT_SIZE);
        total += count;

        const after = await Promise.all(ids.map((op) => activeValidators(f.registry, op)));
        const max = after.reduce((a, b) => (a > b ? a : b));
        const min = after.reduce((a, b) => (a < b ? a : b));
        expect(max - min).to.be.lessThanOrEqual(batch);
      }
      expect(refused).to.be.greaterThan(5);
      expect((await f.pool.getBeaconStat())[0]).to.equal(total);
      expect(await f.depositContract.get_deposit_count()).to.equal(hexlify(littleEndian64(total)));
      const final = await Promise.all(ids.map((op) => activeValidators(f.registry, op)));
      expect(final.reduce((a, b) => a + b)).to.equal(total);
    });
  });
});
