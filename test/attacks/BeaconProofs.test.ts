import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";
import {
  FACT,
  LATE_EXIT_DEADLINE_SECONDS,
  SECONDS_PER_SLOT,
  EXITS,
  deployFacts,
  exitedBefore,
  requestExits,
  slashedAt,
  slotNow,
  type FactsFixture,
} from "../helpers/facts-fixtures";
import { advanceFrames, buildReport, submitUntilApplied, toGwei } from "../helpers/oracle-fixtures";
import { operatorState } from "../helpers/validators-fixtures";
import {
  WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
  dequeueWithdrawalRequests,
  readFee,
  withdrawalRequestCalldata,
} from "../../offchain/beacon/withdrawal-requests";
import { keyLossEntry } from "../../sdk/src/report";

/**
 * Attacks on beacon-state proofs: replaying a fact, moving the share rate or blocking a report with
 * a slashing proof, manipulating the EIP-7002 fee a late-exit prover pays, forcing out validators
 * that are not late, and claiming foreign credentials for our own validators.
 */

const FOREIGN_CREDENTIALS = "0x01" + "00".repeat(11) + "dd".repeat(20);

/** What a proof could change, as plain values. */
async function snapshot(f: FactsFixture) {
  return {
    totalPooledEther: await f.pool.totalPooledEther(),
    totalShares: await f.pool.totalShares(),
    beaconStat: await f.pool.getBeaconStat(),
    bunker: await f.pool.isBunkerModeActive(),
    ops: [await operatorState(f.registry, 0n), await operatorState(f.registry, 1n)],
    facts: [await f.facts.keyFacts(0n, 0n), await f.facts.keyFacts(0n, 1n), await f.facts.keyFacts(1n, 0n)],
    operatorFacts: [await f.facts.operatorFacts(0n), await f.facts.operatorFacts(1n)],
    credit: await f.facts.slashingCreditGwei(0n),
    holdFrom: await f.facts.slashingHoldFromTimestamp(),
  };
}

describe("Attack: beacon-state proofs", function () {
  it("griefing by replay: every fact is acted on once, a replay reverts and changes nothing", async function () {
    const f = await loadFixture(deployFacts);
    const slot = await slotNow();
    const s = await f.publishState({ "0:0": slashedAt(slot), "0:1": exitedBefore(slot) }, { slot });
    const griefer = f.users[9];
    const slashed = await s.factFor(0n, 0n);
    const exited = await s.factFor(0n, 1n);
    await (await f.facts.connect(griefer).proveSlashed(slashed)).wait();
    await (await f.facts.connect(griefer).proveExited(exited)).wait();
    const before = await snapshot(f);
    // The same fact, and the same fact from a later state (a fresh header): both refused.
    const s2 = await f.publishState({ "0:0": slashedAt(slot), "0:1": exitedBefore(slot) }, { slot: slot + 5n });
    for (const fact of [slashed, await s2.factFor(0n, 0n)]) {
      await expect(f.facts.connect(griefer).proveSlashed(fact))
        .to.be.revertedWithCustomError(f.facts, "FactAlreadyProven")
        .withArgs(0n, 0n, FACT.slashed);
    }
    for (const fact of [exited, await s2.factFor(0n, 1n)]) {
      await expect(f.facts.connect(griefer).proveExited(fact))
        .to.be.revertedWithCustomError(f.facts, "FactAlreadyProven")
        .withArgs(0n, 1n, FACT.exited);
    }
    expect(await snapshot(f)).to.deep.equal(before);
    // The credit was counted once: 32 ETH, not 64.
    expect(before.credit).to.equal(32_000_000_000n);
    expect(before.operatorFacts[0]).to.deep.equal([1n, 0n]);
  });

  it("a slashing proved just before a report does not move the share rate", async function () {
    const f = await loadFixture(deployFacts);
    const refSlot = await advanceFrames(hre.network.provider, f.oracle, 1n);
    const slot = await slotNow();
    const s = await f.publishState({ "1:2": slashedAt(slot) }, { slot });
    const rate = async () => [
      await f.pool.totalPooledEther(),
      await f.pool.totalShares(),
      await f.pool.getPooledEthByShares(parseEther("1")),
      await f.pool.getSharesByPooledEth(parseEther("1")),
    ];
    const before = await rate();
    await (await f.facts.proveSlashed(await s.factFor(1n, 2n))).wait();
    expect(await rate()).to.deep.equal(before);
    // The committee's report (no loss yet on the beacon chain) applies at the same rate.
    const data = buildReport(refSlot, {
      numValidators: 3n,
      clBalanceGwei: toGwei(parseEther("96")),
      isBunkerMode: true,
    });
    await submitUntilApplied(f.oracle, f.oracleMembers, data);
    expect((await rate())[2]).to.be.greaterThanOrEqual(before[2]);
  });

  it("front-running a finalizing report with a slashing proof: the pending report reverts, the committee's bunker report applies", async function () {
    const f = await loadFixture(deployFacts);
    const refSlot = await advanceFrames(hre.network.provider, f.oracle, 1n);
    const finalizing = buildReport(refSlot, {
      numValidators: 3n,
      clBalanceGwei: toGwei(parseEther("96")),
      lastRequestIdToFinalize: f.requestIds[0],
    });
    await (await f.oracle.connect(f.oracleMembers[0]).submitReport(finalizing)).wait();
    // The attacker sees the deciding vote in the mempool and proves a slashing first.
    const slot = await slotNow();
    const s = await f.publishState({ "1:0": slashedAt(slot) }, { slot });
    await (await f.facts.connect(f.users[9]).proveSlashed(await s.factFor(1n, 0n))).wait();
    await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(finalizing))
      .to.be.revertedWithCustomError(f.pool, "FinalizationHeldBySlashingProof")
      .withArgs(refSlot * SECONDS_PER_SLOT, slot * SECONDS_PER_SLOT);
    const bunker = buildReport(refSlot, {
      numValidators: 3n,
      clBalanceGwei: toGwei(parseEther("96")),
      isBunkerMode: true,
    });
    await submitUntilApplied(f.oracle, [f.oracleMembers[1], f.oracleMembers[2]], bunker);
    expect(await f.oracle.getLastProcessedRefSlot()).to.equal(refSlot);
    expect(await f.pool.isBunkerModeActive()).to.equal(true);
    expect(await f.withdrawalQueue.getLastFinalizedRequestId()).to.equal(0n);
  });

  describe("the EIP-7002 fee", function () {
    async function lateKey() {
      const f = await loadFixture(deployFacts);
      const r = await requestExits(f, EXITS);
      await time.increase(LATE_EXIT_DEADLINE_SECONDS + 60n);
      const s = await f.publishState();
      const fact = await s.factFor(1n, 0n);
      return { f, r, fact, request: { requestsRoot: r.root, siblings: r.proofs[1] } };
    }

    it("others' requests raise the fee; it is read at call time: the old fee reverts ExitFeeNotCovered, the excess is returned", async function () {
      const { f, fact, request } = await loadFixture(lateKey);
      const oldFee = await f.facts.exitRequestFee();
      expect(oldFee).to.equal(1n);
      // An attacker floods the predeploy in one block; the system call at its end raises the excess.
      const attacker = f.users[8];
      await hre.network.provider.send("evm_setAutomine", [false]);
      try {
        for (let i = 0; i < 40; i++) {
          await attacker.sendTransaction({
            to: WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
            data: withdrawalRequestCalldata("0x" + (i + 1).toString(16).padStart(96, "0")),
            value: oldFee,
            gasLimit: 200_000n,
          });
        }
        await hre.network.provider.send("evm_mine", []);
      } finally {
        await hre.network.provider.send("evm_setAutomine", [true]);
      }
      // Within that block the fee did not move (EIP-7002: it follows the excess, updated at block end).
      expect(await readFee(hre.network.provider)).to.equal(oldFee);
      await dequeueWithdrawalRequests(hre.network.provider);
      const fee = await f.facts.exitRequestFee();
      expect(fee).to.equal(await readFee(hre.network.provider));
      expect(fee).to.be.greaterThan(oldFee);
      const prover = f.users[9];
      const before = await snapshot(f);
      await expect(f.facts.connect(prover).proveLateExit(fact, request, { value: oldFee }))
        .to.be.revertedWithCustomError(f.facts, "ExitFeeNotCovered")
        .withArgs(oldFee, fee);
      expect(await snapshot(f)).to.deep.equal(before);
      const feeShares = await f.pool.getSharesByPooledEthRoundUp(fee);
      const proverShares = await f.pool.sharesOf(prover.address);
      const tx = await f.facts.connect(prover).proveLateExit(fact, request, { value: parseEther("1") });
      await expect(tx).to.changeEtherBalances([prover.address, WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS], [-fee, fee]);
      await expect(tx).to.emit(f.facts, "LateExitProven");
      expect(await f.pool.sharesOf(prover.address)).to.equal(proverShares + feeShares);
      expect(await hre.ethers.provider.getBalance(await f.facts.getAddress())).to.equal(0n);
    });

    it("a prover sending the fee read in the same block as others' requests is not priced out", async function () {
      const { f, fact, request } = await loadFixture(lateKey);
      const fee = await f.facts.exitRequestFee();
      const attacker = f.users[8];
      const prover = f.users[9];
      await hre.network.provider.send("evm_setAutomine", [false]);
      let proveHash: string;
      try {
        for (let i = 0; i < 20; i++) {
          await attacker.sendTransaction({
            to: WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
            data: withdrawalRequestCalldata("0x" + (i + 1).toString(16).padStart(96, "0")),
            value: fee,
            gasLimit: 200_000n,
          });
        }
        const sent = await f.facts.connect(prover).proveLateExit(fact, request, { value: fee, gasLimit: 3_000_000n });
        proveHash = sent.hash;
        await hre.network.provider.send("evm_mine", []);
      } finally {
        await hre.network.provider.send("evm_setAutomine", [true]);
      }
      const receipt = await hre.ethers.provider.getTransactionReceipt(proveHash);
      expect(receipt!.status).to.equal(1);
      // The queue pops 16 requests a block: drain it.
      const requests = [];
      for (let batch = await dequeueWithdrawalRequests(hre.network.provider); batch.length > 0;) {
        requests.push(...batch);
        batch = await dequeueWithdrawalRequests(hre.network.provider);
      }
      expect(requests).to.have.length(21);
      const pubkey = (await f.registry.getSigningKey(1n, 0n)).pubkey.toLowerCase();
      expect(requests.map((r) => r.pubkey)).to.include(pubkey);
      expect(requests.find((r) => r.pubkey === pubkey)!.sourceAddress).to.equal(
        (await f.withdrawalVault.getAddress()).toLowerCase(),
      );
    });
  });

  it("forcing out validators that are not late: before the deadline, or already exiting, refused (ExitNotLate)", async function () {
    const f = await loadFixture(deployFacts);
    const r = await requestExits(f, EXITS);
    const deadline = r.appliedAt + LATE_EXIT_DEADLINE_SECONDS;
    const attacker = f.users[9];
    const before = await snapshot(f);
    // Just before the deadline: the header's time is not past it.
    await time.increaseTo(deadline - 12n);
    const early = await slotNow();
    const s = await f.publishState({}, { slot: early });
    for (const [i, [op, key]] of EXITS.entries()) {
      await expect(
        f.facts
          .connect(attacker)
          .proveLateExit(await s.factFor(op, key), { requestsRoot: r.root, siblings: r.proofs[i] }, { value: 1n }),
      )
        .to.be.revertedWithCustomError(f.facts, "ExitNotLate")
        .withArgs(2n ** 64n - 1n, early * SECONDS_PER_SLOT, deadline);
    }
    // After it, validators that started to exit in time are not late either.
    await time.increase(3_600n);
    const slot = await slotNow();
    const epoch = slot / 32n;
    const exiting = { exitEpoch: epoch + 3n, withdrawableEpoch: epoch + 259n };
    const s2 = await f.publishState({ "0:0": exiting, "1:0": exiting, "0:1": exiting }, { slot });
    for (const [i, [op, key]] of EXITS.entries()) {
      await expect(
        f.facts
          .connect(attacker)
          .proveLateExit(await s2.factFor(op, key), { requestsRoot: r.root, siblings: r.proofs[i] }, { value: 1n }),
      )
        .to.be.revertedWithCustomError(f.facts, "ExitNotLate")
        .withArgs(epoch + 3n, slot * SECONDS_PER_SLOT, deadline);
    }
    expect(await snapshot(f)).to.deep.equal(before);
    expect(await dequeueWithdrawalRequests(hre.network.provider)).to.deep.equal([]);
  });

  it("a late exit proven with an older header after the exit itself was proven cannot hold deposits for ever", async function () {
    const f = await loadFixture(deployFacts);
    const r = await requestExits(f, EXITS);
    await time.increase(LATE_EXIT_DEADLINE_SECONDS + 60n);
    // Past the deadline the validator has not started to exit (it is late)...
    const late = await f.publishState();
    const lateFact = await late.factFor(1n, 0n);
    // ...then exits; two hours later anyone proves the exit (the older root is still in EIP-4788's buffer).
    await time.increase(7_200n);
    const slot = await slotNow();
    const exited = await f.publishState({ "1:0": exitedBefore(slot) }, { slot });
    await (await f.facts.proveExited(await exited.factFor(1n, 0n))).wait();
    expect(await f.facts.operatorFacts(1n)).to.deep.equal([1n, 0n]);
    // Now the late exit, with the older header: a request for a validator already out.
    await f.facts
      .connect(f.users[9])
      .proveLateExit(lateFact, { requestsRoot: r.root, siblings: r.proofs[1] }, { value: 1n })
      .catch(() => undefined);
    // Nothing can release a hold now: the exit of 1:0 is proven already.
    await expect(f.facts.proveExited(await exited.factFor(1n, 0n)))
      .to.be.revertedWithCustomError(f.facts, "FactAlreadyProven")
      .withArgs(1n, 0n, FACT.exited);
    expect(await f.registry.operatorDepositsHeld(1n)).to.equal(
      false,
      "operator 1's deposits are held for ever: lateExits counts a key whose exit was proven before",
    );
    expect((await f.facts.operatorFacts(1n))[1]).to.equal(0n);
  });

  it("a second report asking the same exits does not push the first request's deadline back", async function () {
    const f = await loadFixture(deployFacts);
    const keys = [[1n, 0n]] as const;
    const first = await requestExits(f, keys);
    await time.increase(LATE_EXIT_DEADLINE_SECONDS + 60n);
    // The validator is late; before anyone proves it, the committee asks for the same exit again.
    const s = await f.publishState();
    const fact = await s.factFor(1n, 0n);
    const again = await requestExits(f, keys);
    expect(again.root).to.equal(first.root);
    expect(await f.oracle.exitRequestsAppliedAt(first.root)).to.equal(
      first.appliedAt,
      "exitRequestsAppliedAt was overwritten by the later report: the deadline moved",
    );
    // The late validator stays late against the first request's deadline.
    await expect(
      f.facts.proveLateExit(fact, { requestsRoot: first.root, siblings: [] }, { value: 1n }),
    ).to.not.be.revertedWithCustomError(f.facts, "ExitNotLate");
  });

  it("a foreign-credentials proof for another key does not lift an open late exit's hold on deposits", async function () {
    const f = await loadFixture(deployFacts);
    const r = await requestExits(f, EXITS);
    await time.increase(LATE_EXIT_DEADLINE_SECONDS + 60n);
    const s = await f.publishState({ "0:6": { withdrawalCredentials: FOREIGN_CREDENTIALS } });
    await (
      await f.facts.proveLateExit(
        await s.factFor(0n, 1n),
        { requestsRoot: r.root, siblings: r.proofs[2] },
        { value: 1n },
      )
    ).wait();
    expect(await f.registry.operatorDepositsHeld(0n)).to.equal(true);
    // Operator 0 (or anyone) proves that its undeposited key 6 has foreign credentials.
    await (await f.facts.proveForeignCredentials(await s.factFor(0n, 6n))).wait();
    expect(await f.facts.operatorFacts(0n)).to.deep.equal([0n, 1n]);
    expect(await f.registry.operatorDepositsHeld(0n)).to.equal(
      true,
      "the foreign-credentials fact released the late exit's hold while the exit is still late",
    );
  });

  it("claiming foreign credentials for our own validator is refused, with the true record or a forged one", async function () {
    const f = await loadFixture(deployFacts);
    const s = await f.publishState();
    const before = await snapshot(f);
    await expect(f.facts.connect(f.users[9]).proveForeignCredentials(await s.factFor(1n, 0n)))
      .to.be.revertedWithCustomError(f.facts, "WrongWithdrawalCredentials")
      .withArgs(f.withdrawalCredentials);
    await expect(
      f.facts
        .connect(f.users[9])
        .proveForeignCredentials(await s.factFor(1n, 0n, { withdrawalCredentials: FOREIGN_CREDENTIALS })),
    ).to.be.revertedWithCustomError(f.facts, "BeaconProofInvalid");
    expect(await snapshot(f)).to.deep.equal(before);
  });

  describe("foreign credentials and the committee's own accounting of the same key", function () {
    /**
     * The honest oracle (offchain/oracle/report.ts) counts a deposited key found with foreign
     * credentials as visible with no balance and charges its operator the 32 ETH (keyLosses). A
     * 32 ETH loss is within the one-off drop limit of a large pool; the limit is raised here to stand
     * for one.
     */
    async function committeeChargedForeignKey() {
      const f = await loadFixture(deployFacts);
      const limits = await f.oracle.getSanityLimits();
      const raised = {
        annualAprLimitBP: limits.annualAprLimitBP,
        clBalanceDropLimitBP: 30_00n,
        maxPositiveRebasePPB: limits.maxPositiveRebasePPB,
        maxExitRequestsPerReport: limits.maxExitRequestsPerReport,
        maxOperatorsWithLossesPerReport: limits.maxOperatorsWithLossesPerReport,
      };
      await (await f.oracle.connect(f.admin).setSanityLimits(raised)).wait();
      const insurance = await f.insuranceFund.getAddress();
      await (await f.pool.connect(f.funder).transfer(insurance, parseEther("50"))).wait();
      // Key 0:3 (in transit) was front-run: the committee sees it with foreign credentials, 0 balance.
      const refSlot = await advanceFrames(hre.network.provider, f.oracle, 1n);
      const gwei32 = 32_000_000_000n;
      const data = buildReport(refSlot, {
        numValidators: 4n,
        clBalanceGwei: toGwei(parseEther("96")),
        operatorIdsWithLosses: [0n],
        operatorLossesGwei: [gwei32],
        keyLosses: [keyLossEntry(0n, 3n, gwei32)],
      });
      await submitUntilApplied(f.oracle, f.oracleMembers, data);
      expect(await f.oracle.keyLossChargedGwei(0n, 3n)).to.equal(gwei32);
      const s = await f.publishState({ "0:3": { withdrawalCredentials: FOREIGN_CREDENTIALS } });
      return { f, s };
    }

    it("a proof after the committee charged the key writes the 32 ETH off no second time", async function () {
      const { f, s } = await loadFixture(committeeChargedForeignKey);
      const totalPooledEther = await f.pool.totalPooledEther();
      const [deposited] = await f.pool.getBeaconStat();
      await f.facts.proveForeignCredentials(await s.factFor(0n, 3n)).catch(() => undefined);
      // The loss is already in totalPooledEther (the report's CL balance left it out).
      expect(await f.pool.totalPooledEther()).to.equal(
        totalPooledEther,
        "the deposit was written off twice: once by the committee's report, once by the proof",
      );
      expect((await f.pool.getBeaconStat())[0]).to.equal(deposited);
    });

    it("after such a proof, the committee can still report the deposits in transit", async function () {
      const { f, s } = await loadFixture(committeeChargedForeignKey);
      await f.facts.proveForeignCredentials(await s.factFor(0n, 3n)).catch(() => undefined);
      // Operator 1's three deposits arrive: 7 validators visible (0:3 still counted, with no balance).
      const refSlot = await advanceFrames(hre.network.provider, f.oracle, 1n);
      const data = buildReport(refSlot, { numValidators: 7n, clBalanceGwei: toGwei(parseEther("192")) });
      await (await f.oracle.connect(f.oracleMembers[0]).submitReport(data)).wait();
      // Fails today with NumValidatorsExceedDeposited(7, 6): the proof took a deposit off the count
      // that the committee had already counted as visible, so the committee can never again report
      // every validator it sees (the oracle is stuck until governance intervenes).
      await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(data)).to.not.be.revertedWithCustomError(
        f.oracle,
        "NumValidatorsExceedDeposited",
      );
      expect(await f.oracle.getLastProcessedRefSlot()).to.equal(refSlot);
    });
  });
});
