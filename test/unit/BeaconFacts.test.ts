import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { getBytes, parseEther } from "ethers";
import {
  EXITS,
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
  exitedBefore,
  nextReport,
  requestExits,
  slashedAt,
  slotNow,
  type FactsFixture,
  type PublishedState,
} from "../helpers/facts-fixtures";
import { buildReport, submitUntilApplied, toGwei } from "../helpers/oracle-fixtures";
import { depositAsPool, operatorState } from "../helpers/validators-fixtures";
import {
  WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
  dequeueWithdrawalRequests,
  readFee,
} from "../../offchain/beacon/withdrawal-requests";

const FOREIGN_CREDENTIALS = "0x01" + "00".repeat(11) + "cc".repeat(20);
const DROP_LIMIT_BP = 500n;
/** Epochs after activation before the consensus layer accepts a validator's exit. */
const SHARD_COMMITTEE_PERIOD = 256n;

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
    held: [await f.registry.operatorDepositsHeld(0n), await f.registry.operatorDepositsHeld(1n)],
    keys,
    operatorFacts: [await f.facts.operatorFacts(0n), await f.facts.operatorFacts(1n)],
    credit: await f.facts.slashingCreditGwei(0n),
    holdFrom: await f.facts.slashingHoldFromTimestamp(),
    insurance: await f.pool.sharesOf(await f.insuranceFund.getAddress()),
  };
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
      expect(await f.oracle.BEACON_FACTS()).to.equal(await f.facts.getAddress());
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
      const s = await f.publishState(
        { "0:1": { slashed: true, exitEpoch: epoch - 9000n, withdrawableEpoch: epoch } },
        { slot },
      );
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
        const required = await f.pool.getSharesByPooledEthRoundUp(
          bondPerValidator * (op.depositedKeys - op.exitedKeys),
        );
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
      const reported = last.logs
        .filter((l) => l.address === f.registry.target)
        .map((l) => f.registry.interface.parseLog(l)?.name);
      expect(reported).to.not.include("ExitedKeysReported");
      expect((await operatorState(f.registry, 0n)).exitedKeys).to.equal(1n);
    });

    it("keeps the larger of the committee's count and the proven count: proofs behind the committee change nothing until they catch up", async function () {
      const f = await loadFixture(deployFacts);
      // The committee saw key 0:0 exit and counted it: operator 0 has 1 exited validator.
      const { data } = await nextReport(f, { exitedKeys: [(0n << 128n) | 1n] });
      await submitUntilApplied(f.oracle, f.oracleMembers, data);
      expect((await operatorState(f.registry, 0n)).exitedKeys).to.equal(1n);
      // Key 0:1 exits next; anyone proves it before the committee's next report. The registry only
      // learns a count (1 proven), not which keys the committee counted: max(1, 1) stays 1.
      const slot = await slotNow();
      const s = await f.publishState({ "0:0": exitedBefore(slot), "0:1": exitedBefore(slot) }, { slot });
      await expect(f.facts.proveExited(await s.factFor(0n, 1n)))
        .to.emit(f.facts, "ExitProven")
        .withArgs(0n, 1n, s.indices.get("0:1")!, 1n);
      expect((await operatorState(f.registry, 0n)).exitedKeys).to.equal(1n);
      // Proving the exit the committee had counted too brings the count to what is true (the
      // watcher proves every exit it sees, so the proven count catches up at once).
      await expect(f.facts.proveExited(await s.factFor(0n, 0n)))
        .to.emit(f.registry, "ExitedKeysReported")
        .withArgs(0n, 2n);
      expect((await operatorState(f.registry, 0n)).exitedKeys).to.equal(2n);
      expect(await f.facts.operatorFacts(0n)).to.deep.equal([2n, 0n]);
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
      await expect(f.facts.proveExited(fact))
        .to.emit(f.facts, "ExitProven")
        .withArgs(1n, 2n, s.indices.get("1:2")!, 1n);
    });
  });
  describe("proveLateExit", function () {
    it("forces a late validator out through EIP-7002, refunds the fee from the bond, charges the penalty and holds deposits until it exits", async function () {
      const f = await loadFixture(deployFacts);
      const r = await requestExits(f, EXITS);
      expect(r.proofs[2]).to.have.length(1, "the odd third leaf is carried up unpaired");
      await time.increase(LATE_EXIT_DEADLINE_SECONDS + 60n);
      // Bond for more validators: operator 0 could take deposits but for the hold.
      await (await f.registry.connect(f.operator).depositBond(0n, { value: parseEther("4") })).wait();
      const slot = await slotNow();
      const s = await f.publishState({}, { slot });
      const fact = await s.factFor(0n, 1n);
      const prover = f.users[9];
      const insurance = await f.insuranceFund.getAddress();
      const fee = await readFee(hre.network.provider);
      expect(fee).to.equal(await f.facts.exitRequestFee());
      const feeShares = await f.pool.getSharesByPooledEthRoundUp(fee);
      const penaltyShares = await f.pool.getSharesByPooledEthRoundUp(LATE_EXIT_PENALTY_WEI);
      const [proverShares, insuranceShares, bondShares] = [
        await f.pool.sharesOf(prover.address),
        await f.pool.sharesOf(insurance),
        (await operatorState(f.registry, 0n)).bondShares,
      ];
      const pubkey = (await f.registry.getSigningKey(0n, 1n)).pubkey;
      const request = { requestsRoot: r.root, siblings: r.proofs[2] };
      const tx = await f.facts.connect(prover).proveLateExit(fact, request, { value: fee + parseEther("0.5") });
      await expect(tx)
        .to.emit(f.facts, "LateExitProven")
        .withArgs(0n, 1n, s.indices.get("0:1")!, prover.address, fee, feeShares, penaltyShares)
        .and.to.emit(f.withdrawalVault, "FullExitRequested")
        .withArgs(pubkey, fee)
        .and.to.emit(f.registry, "DepositsHeld")
        .withArgs(0n, true);
      await expect(tx).to.changeEtherBalances(
        [
          prover.address,
          WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
          await f.facts.getAddress(),
          await f.withdrawalVault.getAddress(),
        ],
        [-fee, fee, 0n, 0n],
      );
      expect(await f.pool.sharesOf(prover.address)).to.equal(proverShares + feeShares);
      expect(await f.pool.sharesOf(insurance)).to.equal(insuranceShares + penaltyShares);
      expect((await operatorState(f.registry, 0n)).bondShares).to.equal(bondShares - feeShares - penaltyShares);
      expect(await f.registry.operatorDepositsHeld(0n)).to.equal(true);
      expect(await f.facts.operatorFacts(0n)).to.deep.equal([0n, 1n]);
      expect(await f.facts.keyFacts(0n, 1n)).to.equal(FACT.late);
      await expect(depositAsPool(f, 0n, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotDepositable")
        .withArgs(0n);
      // The predeploy's queue holds the request, from the withdrawal vault, for the whole balance.
      const queued = await dequeueWithdrawalRequests(hre.network.provider);
      expect(queued).to.deep.equal([
        {
          sourceAddress: (await f.withdrawalVault.getAddress()).toLowerCase(),
          pubkey: pubkey.toLowerCase(),
          amountGwei: 0n,
        },
      ]);
      // Once only.
      await expect(f.facts.connect(prover).proveLateExit(fact, request, { value: fee }))
        .to.be.revertedWithCustomError(f.facts, "FactAlreadyProven")
        .withArgs(0n, 1n, FACT.late);
      // Neither a bond top-up nor a refresh of its cover lists the held operator again.
      await (await f.registry.connect(f.operator).depositBond(0n, { value: parseEther("8") })).wait();
      await (await f.registry.refreshOperator(0n)).wait();
      expect(await f.registry.depositableKeys(0n)).to.equal(0n);
      await expect(depositAsPool(f, 0n, 1n))
        .to.be.revertedWithCustomError(f.registry, "OperatorNotDepositable")
        .withArgs(0n);

      // The validator exits: proving it releases the hold.
      const later = await slotNow();
      const s2 = await f.publishState({ "0:1": exitedBefore(later) }, { slot: later });
      await expect(f.facts.proveExited(await s2.factFor(0n, 1n)))
        .to.emit(f.registry, "DepositsHeld")
        .withArgs(0n, false);
      expect(await f.registry.operatorDepositsHeld(0n)).to.equal(false);
      expect(await f.facts.operatorFacts(0n)).to.deep.equal([1n, 0n]);
      expect(await f.facts.keyFacts(0n, 1n)).to.equal(FACT.late | FACT.exited);
      expect(await f.registry.depositableKeys(0n)).to.be.greaterThan(0n);
    });

    it("refuses an exit not late (before the deadline, or started), a key not requested, an unknown root and a fee not covered", async function () {
      const f = await loadFixture(deployFacts);
      const r = await requestExits(f, EXITS);
      const deadline = r.appliedAt + LATE_EXIT_DEADLINE_SECONDS;
      const early = await slotNow();
      const s1 = await f.publishState({}, { slot: early });
      const request = (i: number) => ({ requestsRoot: r.root, siblings: r.proofs[i] });
      const before = await worldState(f);
      await expect(f.facts.proveLateExit(await s1.factFor(0n, 0n), request(0), { value: 1n }))
        .to.be.revertedWithCustomError(f.facts, "ExitNotLate")
        .withArgs(FAR_FUTURE_EPOCH, early * SECONDS_PER_SLOT, deadline);

      await time.increase(LATE_EXIT_DEADLINE_SECONDS + 60n);
      const slot = await slotNow();
      const epoch = slot / SLOTS_PER_EPOCH;
      const s = await f.publishState({ "0:0": { exitEpoch: epoch + 5n, withdrawableEpoch: epoch + 261n } }, { slot });
      await expect(f.facts.proveLateExit(await s.factFor(0n, 0n), request(0), { value: 1n }))
        .to.be.revertedWithCustomError(f.facts, "ExitNotLate")
        .withArgs(epoch + 5n, slot * SECONDS_PER_SLOT, deadline);
      await expect(f.facts.proveLateExit(await s.factFor(1n, 1n), request(1), { value: 1n }))
        .to.be.revertedWithCustomError(f.facts, "KeyNotRequestedToExit")
        .withArgs(1n, 1n);
      const unknown = exitLeaf(7n, 7n);
      await expect(
        f.facts.proveLateExit(await s.factFor(1n, 0n), { requestsRoot: unknown, siblings: [] }, { value: 1n }),
      )
        .to.be.revertedWithCustomError(f.facts, "UnknownExitRequests")
        .withArgs(unknown);
      await expect(f.facts.proveLateExit(await s.factFor(1n, 0n), request(1), { value: 0n }))
        .to.be.revertedWithCustomError(f.facts, "ExitFeeNotCovered")
        .withArgs(0n, 1n);
      expect(await worldState(f)).to.deep.equal(before);
      expect(await dequeueWithdrawalRequests(hre.network.provider)).to.deep.equal([]);
    });

    it("runs the deadline from SHARD_COMMITTEE_PERIOD after activation when that is later than the request; never for a validator not active", async function () {
      const f = await loadFixture(deployFacts);
      const r = await requestExits(f, EXITS);
      const request = (i: number) => ({ requestsRoot: r.root, siblings: r.proofs[i] });
      // Key 1:0 was activated in the request's epoch: the consensus layer ignores its exit for 256
      // epochs, so its deadline runs from the epoch it could first exit. Key 0:0 was never activated.
      const activationEpoch = r.appliedAt / (SLOTS_PER_EPOCH * SECONDS_PER_SLOT);
      const exitableFrom = (activationEpoch + SHARD_COMMITTEE_PERIOD) * SLOTS_PER_EPOCH * SECONDS_PER_SLOT;
      expect(exitableFrom).to.be.greaterThan(r.appliedAt);
      const deadline = exitableFrom + LATE_EXIT_DEADLINE_SECONDS;
      expect(await f.facts.SHARD_COMMITTEE_PERIOD()).to.equal(SHARD_COMMITTEE_PERIOD);
      const recent = { activationEligibilityEpoch: activationEpoch - 1n, activationEpoch };
      const inactive = { activationEligibilityEpoch: FAR_FUTURE_EPOCH, activationEpoch: FAR_FUTURE_EPOCH };
      const mutations = { "1:0": recent, "0:0": inactive };
      const never = 2n ** 64n - 1n + LATE_EXIT_DEADLINE_SECONDS;
      const before = await worldState(f);

      // Past the request's own deadline (a validator long active would be late now), not past its own.
      await time.increaseTo(r.appliedAt + LATE_EXIT_DEADLINE_SECONDS + 60n);
      const s1Slot = await slotNow();
      const s1 = await f.publishState(mutations, { slot: s1Slot });
      await expect(f.facts.proveLateExit(await s1.factFor(1n, 0n), request(1), { value: 1n }))
        .to.be.revertedWithCustomError(f.facts, "ExitNotLate")
        .withArgs(FAR_FUTURE_EPOCH, s1Slot * SECONDS_PER_SLOT, deadline);
      // A header exactly at the deadline is not past it.
      await time.increaseTo(deadline + 60n);
      const atDeadline = deadline / SECONDS_PER_SLOT;
      expect(atDeadline * SECONDS_PER_SLOT).to.equal(deadline);
      const s2 = await f.publishState(mutations, { slot: atDeadline });
      await expect(f.facts.proveLateExit(await s2.factFor(1n, 0n), request(1), { value: 1n }))
        .to.be.revertedWithCustomError(f.facts, "ExitNotLate")
        .withArgs(FAR_FUTURE_EPOCH, deadline, deadline);
      // The never-active validator is not late either: its deadline never comes.
      for (const s of [s1, s2]) {
        await expect(f.facts.proveLateExit(await s.factFor(0n, 0n), request(0), { value: 1n }))
          .to.be.revertedWithCustomError(f.facts, "ExitNotLate")
          .withArgs(FAR_FUTURE_EPOCH, s.header.slot * SECONDS_PER_SLOT, never);
      }
      expect(await worldState(f)).to.deep.equal(before);

      // One slot past the deadline: late.
      const s3 = await f.publishState(mutations, { slot: atDeadline + 1n });
      await expect(f.facts.connect(f.users[9]).proveLateExit(await s3.factFor(1n, 0n), request(1), { value: 1n }))
        .to.emit(f.facts, "LateExitProven")
        .withArgs(1n, 0n, s3.indices.get("1:0"), f.users[9].address, 1n, anyValue, anyValue);
      expect(await f.facts.keyFacts(1n, 0n)).to.equal(FACT.late);
      expect(await f.facts.operatorFacts(1n)).to.deep.equal([0n, 1n]);
      // Long after, the never-active validator still is not late.
      await time.increase(365n * 24n * 3600n);
      const later = await slotNow();
      const s4 = await f.publishState(mutations, { slot: later });
      await expect(f.facts.proveLateExit(await s4.factFor(0n, 0n), request(0), { value: 1n }))
        .to.be.revertedWithCustomError(f.facts, "ExitNotLate")
        .withArgs(FAR_FUTURE_EPOCH, later * SECONDS_PER_SLOT, never);
      expect(await f.facts.keyFacts(0n, 0n)).to.equal(0n);
    });
  });

  describe("forceExit", function () {
    it("lets governance force deposited validators out, at most maxForcedExitsPerDay a day, each once", async function () {
      const f = await loadFixture(deployFacts);
      const settings = {
        lateExitDeadlineSeconds: LATE_EXIT_DEADLINE_SECONDS,
        lateExitPenaltyWei: LATE_EXIT_PENALTY_WEI,
        maxForcedExitsPerDay: 2n,
      };
      await expect(f.facts.connect(f.admin).setExitSettings(settings)).to.emit(f.facts, "ExitSettingsSet");
      // Start of a UTC day, so the three calls fall in one day.
      const day = BigInt(await time.latest()) / 86_400n + 1n;
      await time.setNextBlockTimestamp(day * 86_400n);
      const pubkeys = [0n, 1n, 2n].map(async (k) => (await f.registry.getSigningKey(1n, k)).pubkey);
      const tx = await f.facts.connect(f.admin).forceExit(1n, 0n, { value: 1_000n });
      await expect(tx)
        .to.emit(f.facts, "ForcedExit")
        .withArgs(1n, 0n, 1n)
        .and.to.emit(f.withdrawalVault, "FullExitRequested")
        .withArgs(await pubkeys[0], 1n);
      await expect(tx).to.changeEtherBalances([f.admin, WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS], [-1n, 1n]);
      await expect(f.facts.connect(f.admin).forceExit(1n, 0n, { value: 1n }))
        .to.be.revertedWithCustomError(f.facts, "FactAlreadyProven")
        .withArgs(1n, 0n, FACT.forced);
      await (await f.facts.connect(f.admin).forceExit(1n, 1n, { value: 1n })).wait();
      await expect(f.facts.connect(f.admin).forceExit(1n, 2n, { value: 1n }))
        .to.be.revertedWithCustomError(f.facts, "ForcedExitLimitReached")
        .withArgs(2n);
      const vault = (await f.withdrawalVault.getAddress()).toLowerCase();
      expect(await dequeueWithdrawalRequests(hre.network.provider)).to.deep.equal([
        { sourceAddress: vault, pubkey: (await pubkeys[0]).toLowerCase(), amountGwei: 0n },
        { sourceAddress: vault, pubkey: (await pubkeys[1]).toLowerCase(), amountGwei: 0n },
      ]);
      expect(BigInt(await time.latest()) / 86_400n).to.equal(day);
      await time.setNextBlockTimestamp((day + 1n) * 86_400n);
      await expect(f.facts.connect(f.admin).forceExit(1n, 2n, { value: 1n }))
        .to.emit(f.facts, "ForcedExit")
        .withArgs(1n, 2n, 1n);
      expect(await f.facts.keyFacts(1n, 2n)).to.equal(FACT.forced);
    });

    it("refuses a stranger (AccessControl) and an undeposited key (KeyNotDeposited)", async function () {
      const f = await loadFixture(deployFacts);
      const stranger = f.users[9];
      await expect(f.facts.connect(stranger).forceExit(1n, 0n, { value: 1n }))
        .to.be.revertedWithCustomError(f.facts, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, await f.facts.FORCE_EXIT_ROLE());
      await expect(f.facts.connect(f.admin).forceExit(0n, 6n, { value: 1n }))
        .to.be.revertedWithCustomError(f.facts, "KeyNotDeposited")
        .withArgs(0n, 6n);
      await expect(f.facts.connect(f.admin).forceExit(0n, 0n, { value: 0n }))
        .to.be.revertedWithCustomError(f.facts, "ExitFeeNotCovered")
        .withArgs(0n, 1n);
      expect(await f.facts.keyFacts(0n, 0n)).to.equal(0n);
      expect(await dequeueWithdrawalRequests(hre.network.provider)).to.deep.equal([]);
    });
  });

  describe("proveForeignCredentials", function () {
    /** totalPooledEther and totalShares. */
    const totals = async (f: FactsFixture) => [await f.pool.totalPooledEther(), await f.pool.totalShares()] as const;

    it("writes a deposited key's 32 ETH off against its operator's bond, at a share rate no lower, and freezes its keys", async function () {
      const f = await loadFixture(deployFacts);
      const s = await f.publishState({ "1:0": { withdrawalCredentials: FOREIGN_CREDENTIALS } });
      const fact = await s.factFor(1n, 0n);
      const [T, S] = await totals(f);
      const [deposited, clValidators] = await f.pool.getBeaconStat();
      const wanted = await f.pool.getSharesByPooledEthRoundUp(parseEther("32"));
      const op = await operatorState(f.registry, 1n);
      expect(op.bondShares).to.be.greaterThan(wanted);
      await expect(f.facts.connect(f.users[9]).proveForeignCredentials(fact))
        .to.emit(f.facts, "ForeignCredentialsProven")
        .withArgs(1n, 0n, FOREIGN_CREDENTIALS, parseEther("32"), wanted, 0n)
        .and.to.emit(f.registry, "VettedKeysSet")
        .withArgs(1n, 3n);
      const [T2, S2] = await totals(f);
      expect(T2).to.equal(T - parseEther("32"));
      expect(S2).to.equal(S - wanted);
      expect(T2 * S).to.be.greaterThanOrEqual(T * S2, "the share rate did not fall");
      expect((await f.pool.getBeaconStat()).slice(0, 2)).to.deep.equal([deposited - 1n, clValidators]);
      const after = await operatorState(f.registry, 1n);
      expect(after.bondShares).to.equal(op.bondShares - wanted);
      expect(after.vettedKeys).to.equal(after.depositedKeys);
      expect(await f.facts.keyFacts(1n, 0n)).to.equal(FACT.foreign);
      await expect(f.facts.proveForeignCredentials(fact))
        .to.be.revertedWithCustomError(f.facts, "FactAlreadyProven")
        .withArgs(1n, 0n, FACT.foreign);
    });

    it("burns the insurance fund's shares for what a too-small bond does not cover", async function () {
      const f = await loadFixture(deployFacts);
      const insurance = await f.insuranceFund.getAddress();
      await (await f.pool.connect(f.funder).transfer(insurance, parseEther("50"))).wait();
      const s = await f.publishState({ "0:3": { withdrawalCredentials: FOREIGN_CREDENTIALS } });
      const [T, S] = await totals(f);
      const bond = (await operatorState(f.registry, 0n)).bondShares;
      const insuranceShares = await f.pool.sharesOf(insurance);
      const rest = parseEther("32") - (await f.pool.getPooledEthByShares(bond));
      const insuranceBurned = await f.pool.getSharesByPooledEthRoundUp(rest);
      expect(insuranceBurned).to.be.lessThan(insuranceShares);
      await expect(f.facts.proveForeignCredentials(await s.factFor(0n, 3n)))
        .to.emit(f.facts, "ForeignCredentialsProven")
        .withArgs(0n, 3n, FOREIGN_CREDENTIALS, parseEther("32"), bond, insuranceBurned);
      const [T2, S2] = await totals(f);
      expect(T2).to.equal(T - parseEther("32"));
      expect(S2).to.equal(S - bond - insuranceBurned);
      expect(T2 * S).to.be.greaterThanOrEqual(T * S2, "the share rate did not fall");
      expect((await operatorState(f.registry, 0n)).bondShares).to.equal(0n);
      expect(await f.pool.sharesOf(insurance)).to.equal(insuranceShares - insuranceBurned);
    });

    it("for an undeposited key, freezes the operator's vetted keys and writes nothing off", async function () {
      const f = await loadFixture(deployFacts);
      const s = await f.publishState({ "0:6": { withdrawalCredentials: FOREIGN_CREDENTIALS } });
      const [T, S] = await totals(f);
      const stat = await f.pool.getBeaconStat();
      await expect(f.facts.proveForeignCredentials(await s.factFor(0n, 6n)))
        .to.emit(f.facts, "ForeignCredentialsProven")
        .withArgs(0n, 6n, FOREIGN_CREDENTIALS, 0n, 0n, 0n)
        .and.to.emit(f.registry, "VettedKeysSet")
        .withArgs(0n, 4n);
      expect(await totals(f)).to.deep.equal([T, S]);
      expect(await f.pool.getBeaconStat()).to.deep.equal(stat);
      const op = await operatorState(f.registry, 0n);
      expect([op.vettedKeys, op.depositedKeys]).to.deep.equal([4n, 4n]);
    });

    it("records the fact with the key: it moves with the key when the operator's list is rearranged", async function () {
      const f = await loadFixture(deployFacts);
      const s = await f.publishState({ "0:7": { withdrawalCredentials: FOREIGN_CREDENTIALS } });
      const pubkey7 = (await f.registry.getSigningKey(0n, 7n)).pubkey;
      await (await f.facts.proveForeignCredentials(await s.factFor(0n, 7n))).wait();
      expect(await f.facts.keyFacts(0n, 7n)).to.equal(FACT.foreign);
      // The operator removes its undeposited key 5: its last key, 7, fills the hole, with its fact.
      await (await f.registry.connect(f.operator).removeSigningKeys(0n, 5n, 1n)).wait();
      expect((await f.registry.getSigningKey(0n, 5n)).pubkey).to.equal(pubkey7);
      expect(await f.facts.keyFacts(0n, 5n)).to.equal(FACT.foreign);
      expect(await f.facts.keyFacts(0n, 7n)).to.equal(0n);
      // Proven again at its new index: the same fact, refused.
      const s2 = await f.publishState({ "0:7": { withdrawalCredentials: FOREIGN_CREDENTIALS } });
      const moved = { ...(await s2.factFor(0n, 7n)), keyIndex: 5n };
      await expect(f.facts.proveForeignCredentials(moved))
        .to.be.revertedWithCustomError(f.facts, "FactAlreadyProven")
        .withArgs(0n, 5n, FACT.foreign);
    });

    it("refuses the pool's own credentials (WrongWithdrawalCredentials)", async function () {
      const f = await loadFixture(deployFacts);
      const s = await f.publishState();
      const before = await worldState(f);
      await expect(f.facts.proveForeignCredentials(await s.factFor(1n, 0n)))
        .to.be.revertedWithCustomError(f.facts, "WrongWithdrawalCredentials")
        .withArgs(f.withdrawalCredentials);
      expect(await worldState(f)).to.deep.equal(before);
    });
  });

  describe("refusals", function () {
    async function published() {
      const f = await loadFixture(deployFacts);
      const slot = await slotNow();
      const s: PublishedState = await f.publishState(
        { "0:1": exitedBefore(slot), "1:1": slashedAt(slot), "1:2": { withdrawalCredentials: FOREIGN_CREDENTIALS } },
        { slot },
      );
      return { f, s, slot };
    }

    it("refuses every fact a second time (FactAlreadyProven), leaving everything as it was", async function () {
      const { f, s } = await loadFixture(published);
      const cases = [
        ["proveSlashed", 1n, 1n, FACT.slashed],
        ["proveExited", 0n, 1n, FACT.exited],
        ["proveForeignCredentials", 1n, 2n, FACT.foreign],
      ] as const;
      for (const [fn, op, key, bit] of cases) {
        const fact = await s.factFor(op, key);
        await (await f.facts[fn](fact)).wait();
        const before = await worldState(f);
        await expect(f.facts[fn](fact))
          .to.be.revertedWithCustomError(f.facts, "FactAlreadyProven")
          .withArgs(op, key, bit);
        expect(await worldState(f)).to.deep.equal(before);
      }
    });

    it("refuses another key's pubkey, a wrong index, a tampered field or header, and a root not in EIP-4788", async function () {
      const { f, s } = await loadFixture(published);
      const before = await worldState(f);
      const exited = await s.factFor(0n, 1n);
      for (const fn of ["proveSlashed", "proveExited", "proveForeignCredentials"] as const) {
        await expect(f.facts[fn]({ ...exited, keyIndex: 2n }))
          .to.be.revertedWithCustomError(f.facts, "PubkeyMismatch")
          .withArgs(0n, 2n);
      }
      await expect(
        f.facts.proveExited({ ...exited, validatorIndex: BigInt(exited.validatorIndex) ^ 1n }),
      ).to.be.revertedWithCustomError(f.facts, "BeaconProofInvalid");
      await expect(
        f.facts.proveExited(await s.factFor(0n, 1n, { effectiveBalanceGwei: 31_000_000_000n })),
      ).to.be.revertedWithCustomError(f.facts, "BeaconProofInvalid");
      // Claiming a slashing the state does not hold.
      await expect(
        f.facts.proveSlashed(await s.factFor(0n, 0n, slashedAt(s.header.slot))),
      ).to.be.revertedWithCustomError(f.facts, "BeaconProofInvalid");
      // Claiming an exit the state does not hold.
      await expect(
        f.facts.proveExited(await s.factFor(0n, 0n, exitedBefore(s.header.slot))),
      ).to.be.revertedWithCustomError(f.facts, "BeaconProofInvalid");
      await expect(
        f.facts.proveExited({ ...exited, header: { ...s.header, slot: s.header.slot + 1n } }),
      ).to.be.revertedWithCustomError(f.facts, "BeaconHeaderMismatch");
      const never = s.blockTimestamp + 1_000_000n;
      await expect(f.facts.proveExited({ ...exited, blockTimestamp: never }))
        .to.be.revertedWithCustomError(f.facts, "BeaconRootNotFound")
        .withArgs(never);
      expect(await worldState(f)).to.deep.equal(before);
    });

    it("lets only the oracle draw slashing credit and only the facts contract hold or write off the pool", async function () {
      const { f, s } = await loadFixture(published);
      await (await f.facts.proveSlashed(await s.factFor(1n, 1n))).wait();
      const stranger = f.users[9];
      const before = await worldState(f);
      await expect(f.facts.connect(stranger).useSlashingCredit(0n, 1n))
        .to.be.revertedWithCustomError(f.facts, "CallerNotOracle")
        .withArgs(stranger.address);
      await expect(f.pool.connect(stranger).recordProvenFact(true, 0n, 0n))
        .to.be.revertedWithCustomError(f.pool, "CallerNotBeaconFacts")
        .withArgs(stranger.address);
      await expect(f.pool.connect(stranger).recordProvenFact(false, 0n, 0n))
        .to.be.revertedWithCustomError(f.pool, "CallerNotBeaconFacts")
        .withArgs(stranger.address);
      expect(await worldState(f)).to.deep.equal(before);
    });

    it("bounds the exit settings (ExitSettingOutOfRange) and lets only EXIT_SETTINGS_ROLE set them", async function () {
      const f = await loadFixture(deployFacts);
      const ok = {
        lateExitDeadlineSeconds: 30n * 86_400n,
        lateExitPenaltyWei: parseEther("32"),
        maxForcedExitsPerDay: 1_000n,
      };
      const cases = [
        [
          "lateExitDeadlineSeconds",
          { ...ok, lateExitDeadlineSeconds: ok.lateExitDeadlineSeconds + 1n },
          ok.lateExitDeadlineSeconds,
        ],
        ["lateExitPenaltyWei", { ...ok, lateExitPenaltyWei: ok.lateExitPenaltyWei + 1n }, ok.lateExitPenaltyWei],
        ["maxForcedExitsPerDay", { ...ok, maxForcedExitsPerDay: 1_001n }, 1_000n],
      ] as const;
      const before = await f.facts.exitSettings();
      for (const [name, settings, max] of cases) {
        await expect(f.facts.connect(f.admin).setExitSettings(settings))
          .to.be.revertedWithCustomError(f.facts, "ExitSettingOutOfRange")
          .withArgs(name, settings[name], max);
      }
      const stranger = f.users[9];
      await expect(f.facts.connect(stranger).setExitSettings(ok))
        .to.be.revertedWithCustomError(f.facts, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, await f.facts.EXIT_SETTINGS_ROLE());
      expect(await f.facts.exitSettings()).to.deep.equal(before);
      await expect(f.facts.connect(f.admin).setExitSettings(ok))
        .to.emit(f.facts, "ExitSettingsSet")
        .withArgs([ok.lateExitDeadlineSeconds, ok.lateExitPenaltyWei, ok.maxForcedExitsPerDay]);
    });
  });
});
