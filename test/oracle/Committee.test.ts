import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, keccak256, parseEther } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  DEFAULT_FEES,
  SLOTS_PER_FRAME,
  advanceFrames,
  buildReport,
  deployWithValidators,
  reportHash,
  toGwei,
  type OracleFixture,
  type ReportData,
} from "../helpers/oracle-fixtures";
import { SECONDS_PER_SLOT, frameTiming, slotTime } from "../../sdk/src/report";
import { mineAt } from "../../offchain/oracle/devchain";

// The committee of the real AccountingOracle, deployed by Ignition: accounts 1–3 members, quorum 2,
// frames of 7200 slots aligned to Unix time 0, reports accepted until refSlot + 3600.

const DEADLINE_SLOTS = 3600n;
/** The fixture's CL balance: three validators at exactly 32 ETH, reported in the frame before. */
const CL_BALANCE = parseEther("96");
/** Report A: 0.01 ETH of CL rewards over one day (~3.8% APR, inside the 10% limit). */
const REWARDS_A = parseEther("0.01");
/** Report B: 0.02 ETH of CL rewards (a different hash, also valid). */
const REWARDS_B = parseEther("0.02");

function reportA(refSlot: bigint): ReportData {
  return buildReport(refSlot, { numValidators: 3n, clBalanceGwei: toGwei(CL_BALANCE + REWARDS_A) });
}

function reportB(refSlot: bigint): ReportData {
  return buildReport(refSlot, { numValidators: 3n, clBalanceGwei: toGwei(CL_BALANCE + REWARDS_B) });
}

async function variants(f: OracleFixture) {
  const [refSlot, hashes, support] = await f.oracle.getReportVariants();
  return { refSlot, hashes: [...hashes], support: [...support] };
}

/** Everything a refused submission must leave untouched. */
async function oracleState(f: OracleFixture) {
  const { pool, oracle } = f;
  return {
    totalPooledEther: await pool.totalPooledEther(),
    totalShares: await pool.totalShares(),
    bufferedEther: await pool.bufferedEther(),
    beacon: [...(await pool.getBeaconStat())],
    lastProcessedRefSlot: await oracle.getLastProcessedRefSlot(),
    lastReport: [...(await oracle.getLastReport())],
    variants: await variants(f),
  };
}

/**
 * ReportApplied's arguments for CL rewards `rewards` and no other change, from the pool's totals
 * before: fee m_x = F_x × S / (P + rewards − F) per recipient, rounded down (no bond burns).
 */
function expectedApplied(refSlot: bigint, preEther: bigint, preShares: bigint, rewards: bigint) {
  const parts = [DEFAULT_FEES.treasuryFeeBP, DEFAULT_FEES.operatorsFeeBP, DEFAULT_FEES.insuranceFeeBP].map(
    (bp) => (rewards * bp) / 10_000n,
  );
  const fee = parts.reduce((a, b) => a + b, 0n);
  const postEther = preEther + rewards;
  const minted = parts.map((part) => (part * preShares) / (postEther - fee)).reduce((a, b) => a + b, 0n);
  return [refSlot, preEther, postEther, preShares, preShares + minted, minted] as const;
}

async function poolTotals(f: OracleFixture) {
  return { ether: await f.pool.totalPooledEther(), shares: await f.pool.totalShares() };
}

describe("AccountingOracle: committee quorum on the deployed oracle", function () {
  /** The default committee, in a fresh frame nobody has voted in yet. */
  async function inOpenFrame() {
    const f = await loadFixture(deployWithValidators);
    const refSlot = await advanceFrames(hre.network.provider, f.oracle);
    const [m1, m2, m3] = f.oracleMembers;
    return { ...f, refSlot, m1, m2, m3 };
  }

  describe("five members, quorum 3", function () {
    /** Accounts 7 and 8 join: members 1, 2, 3, 7, 8 with quorum 3, in a fresh frame. */
    async function withFiveMembers() {
      const f = await loadFixture(deployWithValidators);
      const [m7, m8] = f.users;
      await (await f.oracle.connect(f.admin).addMember(m7.address, 3n)).wait();
      await (await f.oracle.connect(f.admin).addMember(m8.address, 3n)).wait();
      await (await f.oracle.connect(f.admin).setQuorum(3n)).wait();
      const refSlot = await advanceFrames(hre.network.provider, f.oracle);
      const members: HardhatEthersSigner[] = [...f.oracleMembers, m7, m8];
      return { ...f, refSlot, members };
    }

    it("has the five members and quorum 3 after addMember(…, 3) twice and setQuorum(3)", async function () {
      const f = await loadFixture(withFiveMembers);
      expect(await f.oracle.getMembers()).to.deep.equal(f.members.map((m) => m.address));
      expect(await f.oracle.quorum()).to.equal(3n);
      for (const m of f.members) expect(await f.oracle.isMember(m.address)).to.equal(true);
    });

    it("removing a member that did not vote for A keeps A's two votes, and the next A vote reaches consensus and applies the report in the same transaction", async function () {
      const f = await loadFixture(withFiveMembers);
      const [m1, m2, m3, m7] = f.members;
      const data = reportA(f.refSlot);
      const hashA = reportHash(data);
      await (await f.oracle.connect(m1).submitReport(data)).wait();
      await (await f.oracle.connect(m2).submitReport(data)).wait();
      expect(await variants(f)).to.deep.equal({ refSlot: f.refSlot, hashes: [hashA], support: [2n] });

      await expect(f.oracle.connect(f.admin).removeMember(m3.address, 3n))
        .to.emit(f.oracle, "MemberRemoved")
        .withArgs(m3.address, 4n, 3n);
      expect(await f.oracle.isMember(m3.address)).to.equal(false);
      expect([...(await f.oracle.getMembers())]).to.have.members([m1, m2, m7, f.members[4]].map((m) => m.address));
      expect(await variants(f)).to.deep.equal({ refSlot: f.refSlot, hashes: [hashA], support: [2n] });
      expect(await f.oracle.getLastProcessedRefSlot()).to.equal(f.refSlot - SLOTS_PER_FRAME);

      // The removed member can no longer vote.
      const before = await oracleState(f);
      await expect(f.oracle.connect(m3).submitReport(data))
        .to.be.revertedWithCustomError(f.oracle, "NotMember")
        .withArgs(m3.address);
      expect(await oracleState(f)).to.deep.equal(before);

      const pre = await poolTotals(f);
      await expect(f.oracle.connect(m7).submitReport(data))
        .to.emit(f.oracle, "ReportSubmitted")
        .withArgs(f.refSlot, m7.address, hashA)
        .and.to.emit(f.oracle, "ConsensusReached")
        .withArgs(f.refSlot, hashA, 3n)
        .and.to.emit(f.oracle, "ReportApplied")
        .withArgs(...expectedApplied(f.refSlot, pre.ether, pre.shares, REWARDS_A));
      expect(await f.oracle.getLastProcessedRefSlot()).to.equal(f.refSlot);
      expect(await f.pool.totalPooledEther()).to.equal(pre.ether + REWARDS_A);
      expect((await f.oracle.getLastReport()).refSlot).to.equal(f.refSlot);
    });

    it("removing a member that voted for A withdraws its vote: A's support drops and consensus needs another vote", async function () {
      const f = await loadFixture(withFiveMembers);
      const [m1, m2, m3, m7] = f.members;
      const data = reportA(f.refSlot);
      const hashA = reportHash(data);
      await (await f.oracle.connect(m1).submitReport(data)).wait();
      await (await f.oracle.connect(m2).submitReport(data)).wait();
      expect(await variants(f)).to.deep.equal({ refSlot: f.refSlot, hashes: [hashA], support: [2n] });

      await expect(f.oracle.connect(f.admin).removeMember(m1.address, 3n))
        .to.emit(f.oracle, "MemberRemoved")
        .withArgs(m1.address, 4n, 3n);
      expect(await variants(f)).to.deep.equal({ refSlot: f.refSlot, hashes: [hashA], support: [1n] });

      // With m1's vote gone, m3's vote brings A to 2 of the 3 needed: nothing is applied.
      const pre = await poolTotals(f);
      await expect(f.oracle.connect(m3).submitReport(data))
        .to.emit(f.oracle, "ReportSubmitted")
        .withArgs(f.refSlot, m3.address, hashA)
        .and.not.to.emit(f.oracle, "ConsensusReached");
      expect(await variants(f)).to.deep.equal({ refSlot: f.refSlot, hashes: [hashA], support: [2n] });
      expect(await f.oracle.getLastProcessedRefSlot()).to.equal(f.refSlot - SLOTS_PER_FRAME);
      expect(await poolTotals(f)).to.deep.equal(pre);

      await expect(f.oracle.connect(m7).submitReport(data))
        .to.emit(f.oracle, "ConsensusReached")
        .withArgs(f.refSlot, hashA, 3n)
        .and.to.emit(f.oracle, "ReportApplied")
        .withArgs(...expectedApplied(f.refSlot, pre.ether, pre.shares, REWARDS_A));
      expect(await f.oracle.getLastProcessedRefSlot()).to.equal(f.refSlot);
    });
  });

  describe("one vote per member", function () {
    it("counts a member voting twice for the same report once: support stays 1 and the quorum of 2 is not reached", async function () {
      const f = await loadFixture(inOpenFrame);
      const data = reportA(f.refSlot);
      const hashA = reportHash(data);
      const pre = await poolTotals(f);
      for (let i = 0; i < 2; i++) {
        await expect(f.oracle.connect(f.m1).submitReport(data))
          .to.emit(f.oracle, "ReportSubmitted")
          .withArgs(f.refSlot, f.m1.address, hashA)
          .and.not.to.emit(f.oracle, "ConsensusReached");
        expect(await variants(f)).to.deep.equal({ refSlot: f.refSlot, hashes: [hashA], support: [1n] });
      }
      expect(await f.oracle.getLastProcessedRefSlot()).to.equal(f.refSlot - SLOTS_PER_FRAME);
      expect(await poolTotals(f)).to.deep.equal(pre);

      // A second member's vote is what reaches the quorum.
      await expect(f.oracle.connect(f.m2).submitReport(data))
        .to.emit(f.oracle, "ConsensusReached")
        .withArgs(f.refSlot, hashA, 2n)
        .and.to.emit(f.oracle, "ReportApplied")
        .withArgs(...expectedApplied(f.refSlot, pre.ether, pre.shares, REWARDS_A));
    });

    it("lets a member move its vote from B to A before the quorum: B's support moves to A", async function () {
      const f = await loadFixture(inOpenFrame);
      const [a, b] = [reportA(f.refSlot), reportB(f.refSlot)];
      const [hashA, hashB] = [reportHash(a), reportHash(b)];
      await (await f.oracle.connect(f.m1).submitReport(b)).wait();
      expect(await variants(f)).to.deep.equal({ refSlot: f.refSlot, hashes: [hashB], support: [1n] });

      await expect(f.oracle.connect(f.m1).submitReport(a))
        .to.emit(f.oracle, "ReportSubmitted")
        .withArgs(f.refSlot, f.m1.address, hashA)
        .and.not.to.emit(f.oracle, "ConsensusReached");
      // B lost its only supporter, so A took its entry.
      expect(await variants(f)).to.deep.equal({ refSlot: f.refSlot, hashes: [hashA], support: [1n] });

      // m1's B vote no longer counts: m2's B vote leaves B at 1, below the quorum.
      const pre = await poolTotals(f);
      await expect(f.oracle.connect(f.m2).submitReport(b)).not.to.emit(f.oracle, "ConsensusReached");
      expect(await variants(f)).to.deep.equal({ refSlot: f.refSlot, hashes: [hashA, hashB], support: [1n, 1n] });
      expect(await f.oracle.getLastProcessedRefSlot()).to.equal(f.refSlot - SLOTS_PER_FRAME);

      await expect(f.oracle.connect(f.m3).submitReport(a))
        .to.emit(f.oracle, "ConsensusReached")
        .withArgs(f.refSlot, hashA, 2n)
        .and.to.emit(f.oracle, "ReportApplied")
        .withArgs(...expectedApplied(f.refSlot, pre.ether, pre.shares, REWARDS_A));
      expect(await f.pool.totalPooledEther()).to.equal(pre.ether + REWARDS_A);
    });

    it("keeps the variants at most one per member while a member changes its vote 200 times, and the honest quorum still applies its report", async function () {
      const f = await loadFixture(inOpenFrame);
      const data = reportA(f.refSlot);
      const hashA = reportHash(data);
      const junk = (i: bigint) =>
        buildReport(f.refSlot, { numValidators: 3n, clBalanceGwei: toGwei(CL_BALANCE + REWARDS_A) + i });
      for (let i = 1n; i <= 200n; i++) await (await f.oracle.connect(f.m3).submitReport(junk(i))).wait();
      // Each change took the entry its previous hash left without support.
      expect(await variants(f)).to.deep.equal({ refSlot: f.refSlot, hashes: [reportHash(junk(200n))], support: [1n] });

      const pre = await poolTotals(f);
      await expect(f.oracle.connect(f.m1).submitReport(data)).not.to.emit(f.oracle, "ConsensusReached");
      // What the quorum vote scans: at most one entry per member.
      const { hashes } = await variants(f);
      expect(hashes.length).to.be.at.most((await f.oracle.getMembers()).length);
      await expect(f.oracle.connect(f.m2).submitReport(data))
        .to.emit(f.oracle, "ConsensusReached")
        .withArgs(f.refSlot, hashA, 2n)
        .and.to.emit(f.oracle, "ReportApplied")
        .withArgs(...expectedApplied(f.refSlot, pre.ether, pre.shares, REWARDS_A));
      expect(await variants(f)).to.deep.equal({
        refSlot: f.refSlot,
        hashes: [reportHash(junk(200n)), hashA],
        support: [1n, 2n],
      });
    });
  });

  describe("frames", function () {
    it("never counts a frame's votes in the next frame: the variants restart and one vote does not reach the quorum", async function () {
      const f = await loadFixture(inOpenFrame);
      const refK = f.refSlot;
      await (await f.oracle.connect(f.m1).submitReport(reportA(refK))).wait();
      await (await f.oracle.connect(f.m2).submitReport(reportB(refK))).wait();
      expect(await variants(f)).to.deep.equal({
        refSlot: refK,
        hashes: [reportHash(reportA(refK)), reportHash(reportB(refK))],
        support: [1n, 1n],
      });

      // Frame k passes without a quorum.
      const refK1 = await advanceFrames(hre.network.provider, f.oracle);
      expect(refK1).to.equal(refK + SLOTS_PER_FRAME);
      const next = reportA(refK1);
      const pre = await poolTotals(f);
      await expect(f.oracle.connect(f.m1).submitReport(next))
        .to.emit(f.oracle, "ReportSubmitted")
        .withArgs(refK1, f.m1.address, reportHash(next))
        .and.not.to.emit(f.oracle, "ConsensusReached");
      expect(await variants(f)).to.deep.equal({ refSlot: refK1, hashes: [reportHash(next)], support: [1n] });
      expect(await f.oracle.getLastProcessedRefSlot()).to.equal(refK - SLOTS_PER_FRAME);
      expect(await poolTotals(f)).to.deep.equal(pre);

      // Frame k's report can no longer be voted for, so m2's old vote cannot be completed either.
      const before = await oracleState(f);
      await expect(f.oracle.connect(f.m3).submitReport(reportB(refK)))
        .to.be.revertedWithCustomError(f.oracle, "UnexpectedRefSlot")
        .withArgs(refK, refK1);
      expect(await oracleState(f)).to.deep.equal(before);

      // The second vote in frame k+1 applies the report, annualised over both frames since the last one.
      await expect(f.oracle.connect(f.m2).submitReport(next))
        .to.emit(f.oracle, "ConsensusReached")
        .withArgs(refK1, reportHash(next), 2n)
        .and.to.emit(f.oracle, "ReportApplied")
        .withArgs(...expectedApplied(refK1, pre.ether, pre.shares, REWARDS_A));
      const last = await f.oracle.getLastReport();
      expect(last.refSlot).to.equal(refK1);
      expect(last.timeElapsedSeconds).to.equal(2n * SLOTS_PER_FRAME * SECONDS_PER_SLOT);
    });

    it("getCurrentFrame() returns (refSlot, refSlot + 3600) for the frame advanceFrames moved to, throughout the frame", async function () {
      const f = await loadFixture(inOpenFrame);
      const timing = await frameTiming(f.oracle);
      expect(timing).to.deep.equal({
        genesisTime: 0n,
        secondsPerSlot: SECONDS_PER_SLOT,
        slotsPerFrame: SLOTS_PER_FRAME,
        deadlineSlots: DEADLINE_SLOTS,
      });
      expect([...(await f.oracle.getCurrentFrame())]).to.deep.equal([f.refSlot, f.refSlot + DEADLINE_SLOTS]);
      // advanceFrames mined the frame's first slot, one after the refSlot, at a frame boundary.
      const block = await hre.ethers.provider.getBlock("latest");
      if (block === null) throw new Error("no block");
      expect(BigInt(block.timestamp) / SECONDS_PER_SLOT).to.equal(f.refSlot + 1n);
      expect((f.refSlot + 1n) % SLOTS_PER_FRAME).to.equal(0n);

      // Still the same frame in its last slot.
      await mineAt(hre.network.provider, slotTime(timing, f.refSlot + SLOTS_PER_FRAME));
      expect([...(await f.oracle.getCurrentFrame())]).to.deep.equal([f.refSlot, f.refSlot + DEADLINE_SLOTS]);

      const later = await advanceFrames(hre.network.provider, f.oracle, 3n);
      expect(later).to.equal(f.refSlot + 3n * SLOTS_PER_FRAME);
      expect([...(await f.oracle.getCurrentFrame())]).to.deep.equal([later, later + DEADLINE_SLOTS]);
    });
  });

  describe("refused reports change nothing", function () {
    /** m1 has voted A in the open frame, so a vote in progress is part of the state too. */
    async function withOneVote() {
      const f = await inOpenFrame();
      await (await f.oracle.connect(f.m1).submitReport(reportA(f.refSlot))).wait();
      return f;
    }

    it("refuses a stale report for the previous frame's refSlot with UnexpectedRefSlot(refSlot, current)", async function () {
      const f = await loadFixture(withOneVote);
      const before = await oracleState(f);
      const stale = f.refSlot - SLOTS_PER_FRAME;
      await expect(f.oracle.connect(f.m2).submitReport(reportA(stale)))
        .to.be.revertedWithCustomError(f.oracle, "UnexpectedRefSlot")
        .withArgs(stale, f.refSlot);
      expect(await oracleState(f)).to.deep.equal(before);
    });

    it("refuses a report for a future frame's refSlot with UnexpectedRefSlot(refSlot, current)", async function () {
      const f = await loadFixture(withOneVote);
      const before = await oracleState(f);
      for (const future of [f.refSlot + 1n, f.refSlot + SLOTS_PER_FRAME]) {
        await expect(f.oracle.connect(f.m2).submitReport(reportA(future)))
          .to.be.revertedWithCustomError(f.oracle, "UnexpectedRefSlot")
          .withArgs(future, f.refSlot);
      }
      expect(await oracleState(f)).to.deep.equal(before);
    });

    it("accepts a vote in the deadline slot refSlot + 3600 itself", async function () {
      const f = await loadFixture(withOneVote);
      const timing = await frameTiming(f.oracle);
      await mineAt(hre.network.provider, slotTime(timing, f.refSlot + DEADLINE_SLOTS));
      const data = reportA(f.refSlot);
      await expect(f.oracle.connect(f.m2).submitReport(data))
        .to.emit(f.oracle, "ConsensusReached")
        .withArgs(f.refSlot, reportHash(data), 2n);
      expect(await f.oracle.getLastProcessedRefSlot()).to.equal(f.refSlot);
    });

    it("refuses a report after the deadline with ReportDeadlinePassed(refSlot, refSlot + 3600, currentSlot)", async function () {
      const f = await loadFixture(withOneVote);
      const timing = await frameTiming(f.oracle);
      const lateSlot = f.refSlot + DEADLINE_SLOTS + 1n;
      await mineAt(hre.network.provider, slotTime(timing, lateSlot));
      expect([...(await f.oracle.getCurrentFrame())]).to.deep.equal([f.refSlot, f.refSlot + DEADLINE_SLOTS]);
      const before = await oracleState(f);
      await expect(f.oracle.connect(f.m2).submitReport(reportA(f.refSlot)))
        .to.be.revertedWithCustomError(f.oracle, "ReportDeadlinePassed")
        .withArgs(f.refSlot, f.refSlot + DEADLINE_SLOTS, lateSlot);
      expect(await oracleState(f)).to.deep.equal(before);
    });

    it("refuses a third member's vote after consensus with FrameAlreadyProcessed(refSlot), for the same or another report", async function () {
      const f = await loadFixture(withOneVote);
      await (await f.oracle.connect(f.m2).submitReport(reportA(f.refSlot))).wait();
      expect(await f.oracle.getLastProcessedRefSlot()).to.equal(f.refSlot);
      const before = await oracleState(f);
      for (const data of [reportA(f.refSlot), reportB(f.refSlot)]) {
        await expect(f.oracle.connect(f.m3).submitReport(data))
          .to.be.revertedWithCustomError(f.oracle, "FrameAlreadyProcessed")
          .withArgs(f.refSlot);
      }
      expect(await oracleState(f)).to.deep.equal(before);
    });

    it("refuses a non-member with NotMember(address)", async function () {
      const f = await loadFixture(withOneVote);
      const before = await oracleState(f);
      for (const stranger of [f.admin, f.pauser, f.treasury, f.users[5]]) {
        await expect(f.oracle.connect(stranger).submitReport(reportA(f.refSlot)))
          .to.be.revertedWithCustomError(f.oracle, "NotMember")
          .withArgs(stranger.address);
      }
      expect(await oracleState(f)).to.deep.equal(before);
    });

    it("refuses every vote while reports are paused with ReportsPaused, and counts votes again once governance resumes", async function () {
      const f = await loadFixture(withOneVote);
      await expect(f.oracle.connect(f.pauser).pauseReports())
        .to.emit(f.oracle, "ReportsPausedSet")
        .withArgs(f.pauser.address, true);
      expect(await f.oracle.reportsPaused()).to.equal(true);
      const before = await oracleState(f);
      for (const member of [f.m1, f.m2, f.m3]) {
        await expect(f.oracle.connect(member).submitReport(reportA(f.refSlot))).to.be.revertedWithCustomError(
          f.oracle,
          "ReportsPaused",
        );
      }
      expect(await oracleState(f)).to.deep.equal(before);

      await expect(f.oracle.connect(f.admin).resumeReports())
        .to.emit(f.oracle, "ReportsPausedSet")
        .withArgs(f.admin.address, false);
      const data = reportA(f.refSlot);
      await expect(f.oracle.connect(f.m2).submitReport(data))
        .to.emit(f.oracle, "ConsensusReached")
        .withArgs(f.refSlot, reportHash(data), 2n);
    });
  });

  describe("events", function () {
    it("emits ReportSubmitted(refSlot, member, keccak256(abi.encode(report))) on each vote and ConsensusReached with the same hash", async function () {
      const f = await loadFixture(inOpenFrame);
      const data = reportA(f.refSlot);
      // The hash members vote on, from the oracle's own ABI for submitReport's parameter.
      const param = f.oracle.interface.getFunction("submitReport").inputs[0];
      const hash = keccak256(AbiCoder.defaultAbiCoder().encode([param], [data]));
      expect(reportHash(data)).to.equal(hash);
      expect(reportHash(reportB(f.refSlot))).to.not.equal(hash);

      await expect(f.oracle.connect(f.m2).submitReport(data))
        .to.emit(f.oracle, "ReportSubmitted")
        .withArgs(f.refSlot, f.m2.address, hash);
      await expect(f.oracle.connect(f.m3).submitReport(data))
        .to.emit(f.oracle, "ReportSubmitted")
        .withArgs(f.refSlot, f.m3.address, hash)
        .and.to.emit(f.oracle, "ConsensusReached")
        .withArgs(f.refSlot, hash, 2n);
    });
  });
});
