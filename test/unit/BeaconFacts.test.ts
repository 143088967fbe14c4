import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash, getBytes, parseEther, parseUnits } from "ethers";
import {
  EPOCHS_PER_SLASHINGS_VECTOR,
  FACT,
  FAR_FUTURE_EPOCH,
  LARGE_VALIDATOR_COUNT,
  LATE_EXIT_DEADLINE_SECONDS,
  LATE_EXIT_PENALTY_WEI,
  MAX_FORCED_EXITS_PER_DAY,
  SECONDS_PER_SLOT,
  SLOTS_PER_EPOCH,
  deployFacts,
  exitLeaf,
  exitRequestsTree,
  type FactsFixture,
  type KeyMutation,
  type PublishedState,
} from "../helpers/facts-fixtures";
import { advanceFrames, buildReport, submitUntilApplied, toGwei, type ReportFields } from "../helpers/oracle-fixtures";
import { depositAsPool, operatorState } from "../helpers/validators-fixtures";
import { dequeueWithdrawalRequests, readFee } from "../../offchain/beacon/withdrawal-requests";

const GWEI = parseUnits("1", "gwei");
const FOREIGN_CREDENTIALS = "0x01" + "00".repeat(11) + "cc".repeat(20);
const DROP_LIMIT_BP = 500n;

/** Fields of a slashed validator whose penalties are still ahead at `slot`. */
export function slashedAt(slot: bigint, effectiveBalanceGwei = 32_000_000_000n): KeyMutation {
  const epoch = slot / SLOTS_PER_EPOCH;
  return { slashed: true, effectiveBalanceGwei, exitEpoch: epoch + 100n, withdrawableEpoch: epoch + EPOCHS_PER_SLASHINGS_VECTOR };
}

/** Fields of a validator that exited before `slot`. */
export function exitedBefore(slot: bigint): KeyMutation {
  const epoch = slot / SLOTS_PER_EPOCH;
  return { exitEpoch: epoch - 10n, withdrawableEpoch: epoch + 246n };
}

/** The slot the next published state will have (the next block is mined 1 s later at least). */
async function slotNow(): Promise<bigint> {
  return BigInt(await time.latest()) / SECONDS_PER_SLOT;
}

/** The pool's totals and beacon stat, the registry's operators, the facts' own state. */
async function worldState(f: FactsFixture) {
  const keys: bigint[] = [];
  for (const op of [0n, 1n]) for (let k = 0n; k < 7n; k++) keys.push(await f.facts.keyFacts(op, k));
  return {
    totalPooledEther: await f.pool.totalPooledEther(),
    totalShares: await f.pool.totalShares(),
    beaconStat: await f.pool.getBeaconStat(),
    bunker: await f.pool.isBunkerModeActive(),
    op0: await operatorState(f.registry, 0n),
    op1: await operatorState(f.registry, 1n),
    held: [await f.registry.depositsHeld(0n), await f.registry.depositsHeld(1n)],
    keys,
    operatorFacts: [await f.facts.operatorFacts(0n), await f.facts.operatorFacts(1n)],
    credit: await f.facts.slashingCreditGwei(0n),
    holdFrom: await f.facts.slashingHoldFromTimestamp(),
    insurance: await f.pool.sharesOf(await f.insuranceFund.getAddress()),
  };
}

/** A report through the committee for the next frame (no validator newly visible: 3 at 96 ETH unless given). */
async function nextReport(f: FactsFixture, fields: Partial<ReportFields> = {}) {
  const refSlot = await advanceFrames(hre.network.provider, f.oracle, 1n);
  return { refSlot, data: buildReport(refSlot, { numValidators: 3n, clBalanceGwei: toGwei(parseEther("96")), ...fields }) };
}

describe("BeaconFacts", function () {
  describe("deployment", function () {
    it("has the deployment's exit settings, credentials and roles", async function () {
      const f = await loadFixture(deployFacts);
      const s = await f.facts.exitSettings();
      expect([s.lateExitDeadlineSeconds, s.lateExitPenaltyWei, s.maxForcedExitsPerDay]).to.deep.equal([
        LATE_EXIT_DEADLINE_SECONDS,
        LATE_EXIT_PENALTY_WEI,
        MAX_FORCED_EXITS_PER_DAY,
      ]);
      expect((await f.facts.WITHDRAWAL_CREDENTIALS()).toLowerCase()).to.equal(f.withdrawalCredentials);
      expect(f.withdrawalCredentials).to.equal(
        "0x01" + "00".repeat(11) + (await f.withdrawalVault.getAddress()).slice(2).toLowerCase(),
      );
      expect(await f.pool.BEACON_FACTS()).to.equal(await f.facts.getAddress());
      expect(await f.registry.hasRole(await f.registry.ACCOUNTING_ROLE(), await f.facts.getAddress())).to.equal(true);
      expect(await f.facts.exitRequestFee()).to.equal(1n);
    });
  });

  describe("proveSlashed", function () {
    it("starts bunker mode at once, credits the effective balance and turns instant redemption off", async function () {
      const f = await loadFixture(deployFacts);
      expect(await f.pool.isBunkerModeActive()).to.equal(false);
      const slot = await slotNow();
      const s = await f.publishState({ "1:0": slashedAt(slot, 31_500_000_000n) }, { slot });
      const fact = await s.factFor(1n, 0n);
      await expect(f.facts.connect(f.users[9]).proveSlashed(fact))
        .to.emit(f.facts, "SlashingProven")
        .withArgs(1n, 0n, s.indices.get("1:0")!, slot, 31_500_000_000n);
      expect(await f.pool.isBunkerModeActive()).to.equal(true);
      expect(await f.facts.slashingCreditGwei(slot)).to.equal(31_500_000_000n);
      expect(await f.facts.slashingHoldFromTimestamp()).to.equal(slot * SECONDS_PER_SLOT);
      expect(await f.facts.keyFacts(1n, 0n)).to.equal(FACT.slashed);
      await expect(
        f.pool.connect(f.funder).instantRedeem(parseEther("1"), 0n, f.funder.address),
      ).to.be.revertedWithCustomError(f.pool, "InstantRedeemBunkerMode");
      // A second slashing adds its effective balance to the credit.
      const s2 = await f.publishState({ "1:0": slashedAt(slot), "0:2": slashedAt(slot) }, { slot: slot + 1n });
      await expect(f.facts.proveSlashed(await s2.factFor(0n, 2n)))
        .to.emit(f.facts, "SlashingProven")
        .withArgs(0n, 2n, s2.indices.get("0:2")!, slot + 1n, 63_500_000_000n);
      expect(await f.facts.slashingHoldFromTimestamp()).to.equal((slot + 1n) * SECONDS_PER_SLOT);
    });

    it("reverts NotSlashed for a validator not slashed, or slashed and already withdrawable", async function () {
      const f = await loadFixture(deployFacts);
      const slot = await slotNow();
      const epoch = slot / SLOTS_PER_EPOCH;
      const s = await f.publishState({ "0:1": { slashed: true, exitEpoch: epoch - 9000n, withdrawableEpoch: epoch } }, { slot });
      const before = await worldState(f);
      await expect(f.facts.proveSlashed(await s.factFor(0n, 0n)))
        .to.be.revertedWithCustomError(f.facts, "NotSlashed")
        .withArgs(false, FAR_FUTURE_EPOCH, epoch);
      await expect(f.facts.proveSlashed(await s.factFor(0n, 1n)))
        .to.be.revertedWithCustomError(f.facts, "NotSlashed")
        .withArgs(true, epoch, epoch);
      expect(await worldState(f)).to.deep.equal(before);
    });

    it("without a proof, a drop above the one-off limit reverts ClBalanceDropLimitExceeded", async function () {
      const f = await loadFixture(deployFacts);
      const { data } = await nextReport(f, { clBalanceGwei: toGwei(parseEther("86")) });
      await (await f.oracle.connect(f.oracleMembers[0]).submitReport(data)).wait();
      // 10 ETH of 96 ETH: 1,041.67 BP, rounded up.
      await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(data))
        .to.be.revertedWithCustomError(f.oracle, "ClBalanceDropLimitExceeded")
        .withArgs(1042n, DROP_LIMIT_BP);
    });

    it("declaring bunker mode does not lift the one-off limit", async function () {
      const f = await loadFixture(deployFacts);
      const { data } = await nextReport(f, { clBalanceGwei: toGwei(parseEther("86")), isBunkerMode: true });
      await (await f.oracle.connect(f.oracleMembers[0]).submitReport(data)).wait();
      await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(data))
        .to.be.revertedWithCustomError(f.oracle, "ClBalanceDropLimitExceeded")
        .withArgs(1042n, DROP_LIMIT_BP);
      expect(await f.pool.isBunkerModeActive()).to.equal(false);
    });

    it("with a proof, a drop above the limit applies up to the credit, drawing the excess (gwei, rounded up)", async function () {
      const f = await loadFixture(deployFacts);
      const { refSlot, data } = await nextReport(f, { clBalanceGwei: toGwei(parseEther("86")), isBunkerMode: true });
      const slot = await slotNow();
      const s = await f.publishState({ "0:0": slashedAt(slot) }, { slot });
      await (await f.facts.proveSlashed(await s.factFor(0n, 0n))).wait();
      // Excess: 10 ETH − 5 % of 96 ETH = 5.2 ETH.
      const excess = 5_200_000_000n;
      await (await f.oracle.connect(f.oracleMembers[0]).submitReport(data)).wait();
      await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(data))
        .to.emit(f.facts, "SlashingCreditUsed")
        .withArgs(refSlot, excess, 32_000_000_000n - excess);
      expect((await f.pool.getBeaconStat())[2]).to.equal(parseEther("86"));
      expect(await f.facts.slashingCreditGwei(refSlot)).to.equal(32_000_000_000n - excess);
      expect(await f.pool.isBunkerModeActive()).to.equal(true);
    });

    it("a drop beyond the credit reverts ClBalanceDropExceedsProvenSlashings(excess, credit) and draws nothing", async function () {
      const f = await loadFixture(deployFacts);
      const { refSlot, data } = await nextReport(f, { clBalanceGwei: toGwei(parseEther("56")), isBunkerMode: true });
      const slot = await slotNow();
      const s = await f.publishState({ "0:0": slashedAt(slot) }, { slot });
      await (await f.facts.proveSlashed(await s.factFor(0n, 0n))).wait();
      await (await f.oracle.connect(f.oracleMembers[0]).submitReport(data)).wait();
      // Excess: 40 ETH − 4.8 ETH = 35.2 ETH > 32 ETH of credit.
      await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(data))
        .to.be.revertedWithCustomError(f.oracle, "ClBalanceDropExceedsProvenSlashings")
        .withArgs(35_200_000_000n, 32_000_000_000n);
      expect(await f.facts.slashingCreditGwei(refSlot)).to.equal(32_000_000_000n);
      // One gwei within the credit applies: a drop of exactly 4.8 ETH + 32 ETH.
      const fits = buildReport(refSlot, {
        numValidators: 3n,
        clBalanceGwei: toGwei(parseEther("96") - parseEther("4.8") - parseEther("32")),
        isBunkerMode: true,
      });
      await expect(submitUntilApplied(f.oracle, [f.oracleMembers[1], f.oracleMembers[2]], fits)).to.not.be.reverted;
      expect(await f.facts.slashingCreditGwei(refSlot)).to.equal(0n);
    });

    it("holds finalization and bunker mode until a report whose refSlot is at or after the proof's slot", async function () {
      const f = await loadFixture(deployFacts);
      const lastId = f.requestIds[0];
      const { refSlot, data } = await nextReport(f, { lastRequestIdToFinalize: lastId });
      const slot = await slotNow();
      expect(slot).to.be.greaterThan(refSlot);
      const s = await f.publishState({ "1:1": slashedAt(slot) }, { slot });
      await (await f.facts.proveSlashed(await s.factFor(1n, 1n))).wait();
      await (await f.oracle.connect(f.oracleMembers[0]).submitReport(data)).wait();
      await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(data))
        .to.be.revertedWithCustomError(f.pool, "FinalizationHeldBySlashingProof")
        .withArgs(refSlot * SECONDS_PER_SLOT, slot * SECONDS_PER_SLOT);
      // The same frame without finalization, saying bunker = false: applies, bunker mode stays.
      const noFinalization = buildReport(refSlot, { numValidators: 3n, clBalanceGwei: toGwei(parseEther("96")) });
      await submitUntilApplied(f.oracle, [f.oracleMembers[1], f.oracleMembers[2]], noFinalization);
      expect(await f.pool.isBunkerModeActive()).to.equal(true);
      expect(await f.withdrawalQueue.getLastFinalizedRequestId()).to.equal(0n);
      // The next frame's reference slot is after the proof's: bunker ends, the request finalizes.
      const next = await nextReport(f, { lastRequestIdToFinalize: lastId });
      expect(next.refSlot).to.be.greaterThanOrEqual(slot);
      await submitUntilApplied(f.oracle, f.oracleMembers, next.data);
      expect(await f.pool.isBunkerModeActive()).to.equal(false);
      expect(await f.withdrawalQueue.getLastFinalizedRequestId()).to.equal(lastId);
    });
  });

  describe("proveExited", function () {
    it("counts the exit for the operator at once and frees its bond; a lagging committee count changes nothing", async function () {
      const f = await loadFixture(deployFacts);
      const bondPerValidator = await f.registry.bondPerValidator();
      const free = async () => {
        const op = await operatorState(f.registry, 0n);
        const required = await f.pool.getSharesByPooledEthRoundUp(bondPerValidator * (op.depositedKeys - op.exitedKeys));
        return op.bondShares > required ? op.bondShares - required : 0n;
      };
      const freedByOneExit = await f.pool.getSharesByPooledEth(bondPerValidator);
      const freeBefore = await free();
      await expect(
        f.registry.connect(f.operator).withdrawBond(0n, freeBefore + freedByOneExit - 1n, f.operator.address),
      ).to.be.revertedWithCustomError(f.registry, "BondLocked");

      const slot = await slotNow();
      const s = await f.publishState({ "0:1": exitedBefore(slot) }, { slot });
      await expect(f.facts.connect(f.users[9]).proveExited(await s.factFor(0n, 1n)))
        .to.emit(f.facts, "ExitProven")
        .withArgs(0n, 1n, s.indices.get("0:1")!, 1n)
        .and.to.emit(f.registry, "ExitedKeysReported")
        .withArgs(0n, 1n);
      expect((await operatorState(f.registry, 0n)).exitedKeys).to.equal(1n);
      expect(await f.facts.operatorFacts(0n)).to.deep.equal([1n, 0n]);
      expect(await f.facts.keyFacts(0n, 1n)).to.equal(FACT.exited);

      const freeAfter = await free();
      expect(freeAfter).to.be.greaterThanOrEqual(freeBefore + freedByOneExit - 1n);
      const sharesBefore = await f.pool.sharesOf(f.operator.address);
      await expect(f.registry.connect(f.operator).withdrawBond(0n, freeAfter, f.operator.address)).to.emit(
        f.registry,
        "BondWithdrawn",
      );
      expect(await f.pool.sharesOf(f.operator.address)).to.equal(sharesBefore + freeAfter);

      // The committee has not seen the exit yet: its count 0 for operator 0 is a no-op.
      const { data } = await nextReport(f, { exitedKeys: [(0n << 128n) | 0n] });
      const receipts = await submitUntilApplied(f.oracle, f.oracleMembers, data);
      const last = receipts[receipts.length - 1];
      const reported = last.logs.filter((l) => l.address === f.registry.target).map((l) => f.registry.interface.parseLog(l)?.name);
      expect(reported).to.not.include("ExitedKeysReported");
      expect((await operatorState(f.registry, 0n)).exitedKeys).to.equal(1n);
    });

    it("reverts NotExited for a validator not exited, or exiting after the header's epoch", async function () {
      const f = await loadFixture(deployFacts);
      const slot = await slotNow();
      const epoch = slot / SLOTS_PER_EPOCH;
      const s = await f.publishState({ "1:2": { exitEpoch: epoch + 1n, withdrawableEpoch: epoch + 257n } }, { slot });
      const before = await worldState(f);
      await expect(f.facts.proveExited(await s.factFor(1n, 1n)))
        .to.be.revertedWithCustomError(f.facts, "NotExited")
        .withArgs(FAR_FUTURE_EPOCH, epoch);
      await expect(f.facts.proveExited(await s.factFor(1n, 2n)))
        .to.be.revertedWithCustomError(f.facts, "NotExited")
        .withArgs(epoch + 1n, epoch);
      expect(await worldState(f)).to.deep.equal(before);
    });

    it("reverts KeyNotDeposited for a key the pool never deposited", async function () {
      const f = await loadFixture(deployFacts);
      const slot = await slotNow();
      const s = await f.publishState({ "0:5": exitedBefore(slot) }, { slot });
      await expect(f.facts.proveExited(await s.factFor(0n, 5n)))
        .to.be.revertedWithCustomError(f.facts, "KeyNotDeposited")
        .withArgs(0n, 5n);
    });

    it("verifies a proof over a state of more than 2^20 validators", async function () {
      const f = await loadFixture(deployFacts);
      const slot = await slotNow();
      const s = await f.publishState({ "1:2": exitedBefore(slot) }, { slot, validatorCount: LARGE_VALIDATOR_COUNT });
      const fact = await s.factFor(1n, 2n);
      // 8-byte count, 21 list siblings (2^20 < count < 2^21), 6 state siblings.
      expect(getBytes(fact.proof as string).length).to.equal(8 + 32 * (21 + 6));
      expect(getBytes(fact.proof as string).slice(0, 8)).to.not.deep.equal(new Uint8Array(8));
      await expect(f.facts.proveExited(fact)).to.emit(f.facts, "ExitProven").withArgs(1n, 2n, s.indices.get("1:2")!, 1n);
    });
  });
});
