import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, getAddress, id } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { OracleCommittee__Harness } from "../../typechain-types";

// ──────────────────────────────── Constants ────────────────────────────────

const SECONDS_PER_SLOT = 12n;
const SLOTS_PER_EPOCH = 32n;
const MAX_MEMBERS = 64n;
const MANAGE_MEMBERS_ROLE = id("MANAGE_MEMBERS_ROLE");

/** Small frames for speed: one epoch (32 slots = 384 s); reports accepted for 24 slots after the refSlot. */
const EPOCHS_PER_FRAME = 1n;
const SLOTS_PER_FRAME = EPOCHS_PER_FRAME * SLOTS_PER_EPOCH;
const DEADLINE_SLOTS = 24n;

/** Frame k starts at slot 32k: its refSlot is 32k − 1, its deadline 32k + 23. */
const FRAME_1_REF = SLOTS_PER_FRAME - 1n; // 31
const FRAME_1_START = SLOTS_PER_FRAME; // 32
const FRAME_1_DEADLINE = FRAME_1_REF + DEADLINE_SLOTS; // 55
const FRAME_2_REF = 2n * SLOTS_PER_FRAME - 1n; // 63
const FRAME_2_START = 2n * SLOTS_PER_FRAME; // 64
const FRAME_2_DEADLINE = FRAME_2_REF + DEADLINE_SLOTS; // 87
const FRAME_3_REF = 3n * SLOTS_PER_FRAME - 1n; // 95

/** Genesis lies this far ahead of the deployment block, so "before genesis" is reachable. */
const GENESIS_DELAY = 1_000n;

const A = id("report A");
const B = id("report B");
const C = id("report C");

// ──────────────────────────────── Helpers ────────────────────────────────

/** Beacon time of a committee with genesis `genesis`. */
function beaconClock(genesis: bigint) {
  const slotTime = (slot: bigint) => genesis + slot * SECONDS_PER_SLOT;
  return {
    slotTime,
    /** Mines a block at the first second of `slot`; views then see `slot`, and the next few transactions too. */
    goToSlot: (slot: bigint) => time.increaseTo(slotTime(slot)),
    /** The next transaction is mined at `second` seconds (0–11) into `slot`. */
    nextTxAt: (slot: bigint, second = 0n) => time.setNextBlockTimestamp(slotTime(slot) + second),
  };
}

async function reportVariants(committee: OracleCommittee__Harness) {
  const [refSlot, hashes, support] = await committee.getReportVariants();
  return { refSlot, hashes: [...hashes], support: [...support] };
}

/** Everything a failed call must leave untouched. */
async function committeeState(committee: OracleCommittee__Harness) {
  return {
    appliedCount: await committee.appliedCount(),
    lastProcessedRefSlot: await committee.getLastProcessedRefSlot(),
    quorum: await committee.quorum(),
    members: [...(await committee.getMembers())],
    variants: await reportVariants(committee),
  };
}

/** Distinct non-zero addresses that are not signers. */
function syntheticAddress(i: number): string {
  return getAddress("0x" + (0xc0ffee0000n + BigInt(i)).toString(16).padStart(40, "0"));
}

// ──────────────────────────────── Fixtures ────────────────────────────────

async function deployCommittee() {
  const signers = await ethers.getSigners();
  const [admin, m0, m1, m2, m3, m4, outsider] = signers;
  const genesis = BigInt(await time.latest()) + GENESIS_DELAY;
  const committee = await ethers.deployContract("OracleCommittee__Harness", [SECONDS_PER_SLOT]);
  await committee.initialize(admin.address, genesis, EPOCHS_PER_FRAME, DEADLINE_SLOTS);
  const members: HardhatEthersSigner[] = [m0, m1, m2, m3, m4];
  return { committee, admin, members, outsider, genesis, clock: beaconClock(genesis) };
}

/** Five members, quorum 3, the chain at the first slot of frame 1 (refSlot 31, deadline 55). */
async function committeeOfFive() {
  const fixture = await deployCommittee();
  const { committee, members, clock } = fixture;
  const quorums = [1n, 2n, 2n, 3n, 3n];
  for (let i = 0; i < members.length; i++) await committee.addMember(members[i].address, quorums[i]);
  await clock.goToSlot(FRAME_1_START);
  return fixture;
}

/** The default day frame: 225 epochs = 7,200 slots = 86,400 s; one member, quorum 1. */
async function dayFrameCommittee() {
  const [admin, member] = await ethers.getSigners();
  const genesis = BigInt(await time.latest()) + GENESIS_DELAY;
  const committee = await ethers.deployContract("OracleCommittee__Harness", [SECONDS_PER_SLOT]);
  await committee.initialize(admin.address, genesis, 225n, 7_200n);
  await committee.addMember(member.address, 1n);
  return { committee, member, genesis };
}

// ──────────────────────────────── Tests ────────────────────────────────

describe("OracleCommittee", function () {
  describe("initialisation", function () {
    it("stores the beacon genesis and frame configuration and exposes the beacon constants", async function () {
      const { committee, genesis } = await loadFixture(deployCommittee);
      expect(await committee.getFrameConfig()).to.deep.equal([genesis, EPOCHS_PER_FRAME, DEADLINE_SLOTS]);
      expect(await committee.SECONDS_PER_SLOT()).to.equal(SECONDS_PER_SLOT);
      expect(await committee.SLOTS_PER_EPOCH()).to.equal(SLOTS_PER_EPOCH);
      expect(await committee.MAX_MEMBERS()).to.equal(MAX_MEMBERS);
      expect(await committee.MANAGE_MEMBERS_ROLE()).to.equal(MANAGE_MEMBERS_ROLE);
    });

    it("starts with no members, no processed frame and no report variants", async function () {
      const { committee } = await loadFixture(deployCommittee);
      expect(await committee.getMembers()).to.deep.equal([]);
      expect(await committee.quorum()).to.equal(0n);
      expect(await committee.getLastProcessedRefSlot()).to.equal(0n);
      expect(await committee.appliedCount()).to.equal(0n);
      expect(await reportVariants(committee)).to.deep.equal({ refSlot: 0n, hashes: [], support: [] });
    });

    it("emits FrameConfigSet on initialisation and refuses an invalid initial frame configuration", async function () {
      const [admin] = await ethers.getSigners();
      const genesis = BigInt(await time.latest()) + GENESIS_DELAY;
      const valid = await ethers.deployContract("OracleCommittee__Harness", [SECONDS_PER_SLOT]);
      await expect(valid.initialize(admin.address, genesis, 3n, 50n))
        .to.emit(valid, "FrameConfigSet")
        .withArgs(3n, 50n);
      const invalid = await ethers.deployContract("OracleCommittee__Harness", [SECONDS_PER_SLOT]);
      await expect(invalid.initialize(admin.address, genesis, 0n, 1n))
        .to.be.revertedWithCustomError(invalid, "InvalidFrameConfig")
        .withArgs(0n, 1n);
    });

    it("cannot be initialised twice", async function () {
      const { committee, admin, genesis } = await loadFixture(deployCommittee);
      await expect(
        committee.initialize(admin.address, genesis, EPOCHS_PER_FRAME, DEADLINE_SLOTS),
      ).to.be.revertedWithCustomError(committee, "InvalidInitialization");
    });
  });

  describe("frames", function () {
    it("reports NoFrameYet(0) before genesis and at genesis", async function () {
      const { committee, genesis } = await loadFixture(deployCommittee);
      expect(BigInt(await time.latest())).to.be.lessThan(genesis);
      await expect(committee.getCurrentFrame()).to.be.revertedWithCustomError(committee, "NoFrameYet").withArgs(0n);
      await time.increaseTo(genesis - 1n);
      await expect(committee.getCurrentFrame()).to.be.revertedWithCustomError(committee, "NoFrameYet").withArgs(0n);
      await time.increaseTo(genesis);
      await expect(committee.getCurrentFrame()).to.be.revertedWithCustomError(committee, "NoFrameYet").withArgs(0n);
    });

    it("reports NoFrameYet(currentSlot) during frame 0, up to its very last second", async function () {
      const { committee, clock } = await loadFixture(deployCommittee);
      await clock.goToSlot(1n);
      await expect(committee.getCurrentFrame()).to.be.revertedWithCustomError(committee, "NoFrameYet").withArgs(1n);
      await clock.goToSlot(17n);
      await expect(committee.getCurrentFrame()).to.be.revertedWithCustomError(committee, "NoFrameYet").withArgs(17n);
      await time.increaseTo(clock.slotTime(FRAME_1_START) - 1n); // last second of slot 31
      await expect(committee.getCurrentFrame())
        .to.be.revertedWithCustomError(committee, "NoFrameYet")
        .withArgs(FRAME_1_REF);
    });

    it("switches the refSlot exactly at the frame boundary, not one second earlier", async function () {
      const { committee, clock } = await loadFixture(deployCommittee);
      await clock.goToSlot(FRAME_1_START); // first second of slot 32
      expect(await committee.getCurrentFrame()).to.deep.equal([FRAME_1_REF, FRAME_1_DEADLINE]);
      await clock.goToSlot(FRAME_1_DEADLINE + 1n); // past the deadline, still frame 1
      expect(await committee.getCurrentFrame()).to.deep.equal([FRAME_1_REF, FRAME_1_DEADLINE]);
      await clock.goToSlot(FRAME_2_REF); // first second of the frame's last slot (63)
      expect(await committee.getCurrentFrame()).to.deep.equal([FRAME_1_REF, FRAME_1_DEADLINE]);
      await time.increaseTo(clock.slotTime(FRAME_2_START) - 1n); // last second of slot 63
      expect(await committee.getCurrentFrame()).to.deep.equal([FRAME_1_REF, FRAME_1_DEADLINE]);
      await clock.goToSlot(FRAME_2_START); // first second of slot 64
      expect(await committee.getCurrentFrame()).to.deep.equal([FRAME_2_REF, FRAME_2_DEADLINE]);
    });

    it("computes later frames from the slot alone", async function () {
      const { committee, clock } = await loadFixture(deployCommittee);
      await clock.goToSlot(10n * SLOTS_PER_FRAME + 5n); // slot 325, frame 10
      expect(await committee.getCurrentFrame()).to.deep.equal([319n, 343n]);
      await time.increaseTo(clock.slotTime(11n * SLOTS_PER_FRAME) - 1n); // last second of slot 351
      expect(await committee.getCurrentFrame()).to.deep.equal([319n, 343n]);
      await time.increaseTo(clock.slotTime(11n * SLOTS_PER_FRAME)); // slot 352, frame 11
      expect(await committee.getCurrentFrame()).to.deep.equal([351n, 375n]);
    });

    it("uses the default day frame of 225 epochs: a frame every 86,400 seconds", async function () {
      const { committee, member, genesis } = await loadFixture(dayFrameCommittee);
      const day = 86_400n;
      expect(await committee.getFrameConfig()).to.deep.equal([genesis, 225n, 7_200n]);
      await time.increaseTo(genesis + day - 1n);
      await expect(committee.getCurrentFrame()).to.be.revertedWithCustomError(committee, "NoFrameYet").withArgs(7_199n);
      await time.increaseTo(genesis + day);
      expect(await committee.getCurrentFrame()).to.deep.equal([7_199n, 14_399n]);
      await time.increaseTo(genesis + 2n * day - 12n); // slot 14,399: the frame's last slot and its deadline
      expect(await committee.getCurrentFrame()).to.deep.equal([7_199n, 14_399n]);
      await time.setNextBlockTimestamp(genesis + 2n * day - 1n); // last second of the deadline slot
      await expect(committee.connect(member).submitReport(7_199n, A))
        .to.emit(committee, "ConsensusReached")
        .withArgs(7_199n, A, 1n);
      await time.increaseTo(genesis + 2n * day);
      expect(await committee.getCurrentFrame()).to.deep.equal([14_399n, 21_599n]);
      await time.increaseTo(genesis + 30n * day + 3_600n); // slot 216,300, frame 30
      expect(await committee.getCurrentFrame()).to.deep.equal([215_999n, 223_199n]);
    });

    it("counts frames in 2-second slots when constructed with secondsPerSlot = 2 (a devnet)", async function () {
      const [admin, member] = await ethers.getSigners();
      const genesis = BigInt(await time.latest()) + GENESIS_DELAY;
      const committee = await ethers.deployContract("OracleCommittee__Harness", [2n]);
      await committee.initialize(admin.address, genesis, EPOCHS_PER_FRAME, DEADLINE_SLOTS);
      await committee.addMember(member.address, 1n);
      expect(await committee.SECONDS_PER_SLOT()).to.equal(2n);
      // Frame 1 starts at slot 32 = genesis + 64 s (not 384 s); its deadline slot 55 ends at genesis + 112 s.
      await time.increaseTo(genesis + 63n); // last second of slot 31
      await expect(committee.getCurrentFrame())
        .to.be.revertedWithCustomError(committee, "NoFrameYet")
        .withArgs(FRAME_1_REF);
      await time.increaseTo(genesis + 64n);
      expect(await committee.getCurrentFrame()).to.deep.equal([FRAME_1_REF, FRAME_1_DEADLINE]);
      await time.increaseTo(genesis + 2n * 64n); // slot 64: frame 2
      expect(await committee.getCurrentFrame()).to.deep.equal([FRAME_2_REF, FRAME_2_DEADLINE]);
      await time.setNextBlockTimestamp(genesis + 2n * (FRAME_2_DEADLINE + 1n)); // first second after the deadline
      await expect(committee.connect(member).submitReport(FRAME_2_REF, A))
        .to.be.revertedWithCustomError(committee, "ReportDeadlinePassed")
        .withArgs(FRAME_2_REF, FRAME_2_DEADLINE, FRAME_2_DEADLINE + 1n);
    });

    it("refuses zero seconds per slot at construction with ZeroSecondsPerSlot", async function () {
      const factory = await ethers.getContractFactory("OracleCommittee__Harness");
      await expect(factory.deploy(0n)).to.be.revertedWithCustomError(factory, "ZeroSecondsPerSlot");
    });

    it("lets a manager change the frame configuration, which moves the current frame", async function () {
      const { committee, admin, genesis, clock } = await loadFixture(deployCommittee);
      await clock.goToSlot(100n);
      expect(await committee.getCurrentFrame()).to.deep.equal([95n, 119n]);
      await expect(committee.connect(admin).setFrameConfig(2n, 10n))
        .to.emit(committee, "FrameConfigSet")
        .withArgs(2n, 10n);
      expect(await committee.getFrameConfig()).to.deep.equal([genesis, 2n, 10n]);
      expect(await committee.getCurrentFrame()).to.deep.equal([63n, 73n]); // slot 100 is in frame [64, 128)
    });

    it("accepts the frame configuration bounds: 1 to 10,000 epochs, deadline 1 to one whole frame", async function () {
      const { committee, genesis } = await loadFixture(deployCommittee);
      await expect(committee.setFrameConfig(1n, 1n)).to.emit(committee, "FrameConfigSet").withArgs(1n, 1n);
      await expect(committee.setFrameConfig(1n, 32n)).to.emit(committee, "FrameConfigSet").withArgs(1n, 32n);
      await expect(committee.setFrameConfig(10_000n, 320_000n))
        .to.emit(committee, "FrameConfigSet")
        .withArgs(10_000n, 320_000n);
      expect(await committee.getFrameConfig()).to.deep.equal([genesis, 10_000n, 320_000n]);
    });

    for (const [epochs, deadline, why] of [
      [0n, 1n, "zero epochs"],
      [10_001n, 32n, "more than 10,000 epochs"],
      [1n, 0n, "a zero deadline"],
      [1n, 33n, "a deadline beyond one frame"],
      [225n, 7_201n, "a deadline beyond one day frame"],
      [10_000n, 320_001n, "a deadline beyond the largest frame"],
    ] as const) {
      it(`refuses a frame configuration with ${why} with InvalidFrameConfig(${epochs}, ${deadline})`, async function () {
        const { committee, genesis } = await loadFixture(deployCommittee);
        await expect(committee.setFrameConfig(epochs, deadline))
          .to.be.revertedWithCustomError(committee, "InvalidFrameConfig")
          .withArgs(epochs, deadline);
        expect(await committee.getFrameConfig()).to.deep.equal([genesis, EPOCHS_PER_FRAME, DEADLINE_SLOTS]);
      });
    }

    it("lets only MANAGE_MEMBERS_ROLE change the frame configuration", async function () {
      const { committee, admin, members, outsider, genesis } = await loadFixture(deployCommittee);
      await committee.connect(admin).addMember(members[0].address, 1n);
      for (const caller of [outsider, members[0]]) {
        await expect(committee.connect(caller).setFrameConfig(2n, 10n))
          .to.be.revertedWithCustomError(committee, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, MANAGE_MEMBERS_ROLE);
      }
      expect(await committee.getFrameConfig()).to.deep.equal([genesis, EPOCHS_PER_FRAME, DEADLINE_SLOTS]);
      await committee.connect(admin).grantRole(MANAGE_MEMBERS_ROLE, outsider.address);
      await expect(committee.connect(outsider).setFrameConfig(2n, 10n))
        .to.emit(committee, "FrameConfigSet")
        .withArgs(2n, 10n);
    });
  });

  describe("members", function () {
    it("adds members with MemberAdded(member, members, quorum)", async function () {
      const { committee, members } = await loadFixture(deployCommittee);
      const [m0, m1, m2] = members;
      await expect(committee.addMember(m0.address, 1n)).to.emit(committee, "MemberAdded").withArgs(m0.address, 1n, 1n);
      expect(await committee.quorum()).to.equal(1n);
      await expect(committee.addMember(m1.address, 2n)).to.emit(committee, "MemberAdded").withArgs(m1.address, 2n, 2n);
      await expect(committee.addMember(m2.address, 2n)).to.emit(committee, "MemberAdded").withArgs(m2.address, 3n, 2n);
      expect(await committee.getMembers()).to.deep.equal([m0.address, m1.address, m2.address]);
      expect(await committee.quorum()).to.equal(2n);
      for (const m of [m0, m1, m2]) expect(await committee.isMember(m.address)).to.equal(true);
      expect(await committee.isMember(members[3].address)).to.equal(false);
      expect(await committee.isMember(ZeroAddress)).to.equal(false);
    });

    it("accepts a single member with quorum 1", async function () {
      const { committee, members } = await loadFixture(deployCommittee);
      await expect(committee.addMember(members[0].address, 1n))
        .to.emit(committee, "MemberAdded")
        .withArgs(members[0].address, 1n, 1n);
      expect(await committee.quorum()).to.equal(1n);
    });

    it("refuses a quorum of half the members or fewer, or above the member count", async function () {
      const { committee, members } = await loadFixture(deployCommittee);
      await expect(committee.addMember(members[0].address, 0n))
        .to.be.revertedWithCustomError(committee, "InvalidQuorum")
        .withArgs(0n, 1n);
      await expect(committee.addMember(members[0].address, 2n))
        .to.be.revertedWithCustomError(committee, "InvalidQuorum")
        .withArgs(2n, 1n);
      expect(await committee.isMember(members[0].address)).to.equal(false);
      expect(await committee.getMembers()).to.deep.equal([]);

      await committee.addMember(members[0].address, 1n);
      await committee.addMember(members[1].address, 2n);
      await committee.addMember(members[2].address, 2n);
      // 4 members: quorum 2 is exactly half, so invalid; 3 and 4 are valid.
      await expect(committee.addMember(members[3].address, 2n))
        .to.be.revertedWithCustomError(committee, "InvalidQuorum")
        .withArgs(2n, 4n);
      expect(await committee.isMember(members[3].address)).to.equal(false);
      await expect(committee.addMember(members[3].address, 5n))
        .to.be.revertedWithCustomError(committee, "InvalidQuorum")
        .withArgs(5n, 4n);
      await expect(committee.addMember(members[3].address, 3n))
        .to.emit(committee, "MemberAdded")
        .withArgs(members[3].address, 4n, 3n);

      for (const bad of [0n, 1n, 2n, 5n]) {
        await expect(committee.setQuorum(bad))
          .to.be.revertedWithCustomError(committee, "InvalidQuorum")
          .withArgs(bad, 4n);
        expect(await committee.quorum()).to.equal(3n);
      }
      await committee.setQuorum(4n);
      expect(await committee.quorum()).to.equal(4n);
      await committee.setQuorum(3n);
      expect(await committee.quorum()).to.equal(3n);
    });

    it("refuses a duplicate member with DuplicateMember(member)", async function () {
      const { committee, members } = await loadFixture(deployCommittee);
      await committee.addMember(members[0].address, 1n);
      await expect(committee.addMember(members[0].address, 1n))
        .to.be.revertedWithCustomError(committee, "DuplicateMember")
        .withArgs(members[0].address);
      expect(await committee.getMembers()).to.deep.equal([members[0].address]);
    });

    it('refuses the zero address with CommitteeZeroAddress("member")', async function () {
      const { committee } = await loadFixture(deployCommittee);
      await expect(committee.addMember(ZeroAddress, 1n))
        .to.be.revertedWithCustomError(committee, "CommitteeZeroAddress")
        .withArgs("member");
      expect(await committee.getMembers()).to.deep.equal([]);
    });

    it("holds at most 64 members and refuses the 65th with TooManyMembers(64)", async function () {
      const { committee } = await loadFixture(deployCommittee);
      for (let i = 0; i < Number(MAX_MEMBERS); i++) {
        await committee.addMember(syntheticAddress(i), BigInt(i + 1) / 2n + 1n);
      }
      expect(await committee.getMembers()).to.have.lengthOf(64);
      expect(await committee.quorum()).to.equal(33n);
      await expect(committee.addMember(syntheticAddress(64), 33n))
        .to.be.revertedWithCustomError(committee, "TooManyMembers")
        .withArgs(MAX_MEMBERS);
      expect(await committee.isMember(syntheticAddress(64))).to.equal(false);
      // A removal makes room again.
      await committee.removeMember(syntheticAddress(0), 33n);
      await expect(committee.addMember(syntheticAddress(64), 33n))
        .to.emit(committee, "MemberAdded")
        .withArgs(syntheticAddress(64), 64n, 33n);
    });

    it("removes members with MemberRemoved(member, members, quorum), moving the last member into the gap", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      const [m0, m1, m2, m3, m4] = members;
      expect(await committee.getMembers()).to.deep.equal(members.map((m) => m.address));

      await expect(committee.removeMember(m1.address, 3n))
        .to.emit(committee, "MemberRemoved")
        .withArgs(m1.address, 4n, 3n);
      expect(await committee.getMembers()).to.deep.equal([m0.address, m4.address, m2.address, m3.address]);
      expect(await committee.isMember(m1.address)).to.equal(false);

      // Removing the last entry needs no move.
      await expect(committee.removeMember(m3.address, 2n))
        .to.emit(committee, "MemberRemoved")
        .withArgs(m3.address, 3n, 2n);
      expect(await committee.getMembers()).to.deep.equal([m0.address, m4.address, m2.address]);

      // The moved member's index was updated: removing it takes the right entry.
      await expect(committee.removeMember(m4.address, 2n))
        .to.emit(committee, "MemberRemoved")
        .withArgs(m4.address, 2n, 2n);
      expect(await committee.getMembers()).to.deep.equal([m0.address, m2.address]);
      expect(await committee.quorum()).to.equal(2n);
      for (const m of [m1, m3, m4]) expect(await committee.isMember(m.address)).to.equal(false);
      for (const m of [m0, m2]) expect(await committee.isMember(m.address)).to.equal(true);

      // Removing the first entry moves the last one to the front.
      await committee.addMember(m1.address, 2n);
      await committee.removeMember(m0.address, 2n);
      expect(await committee.getMembers()).to.deep.equal([m1.address, m2.address]);
    });

    it("lets a removed member be added again", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      await committee.removeMember(members[2].address, 3n);
      await expect(committee.addMember(members[2].address, 3n))
        .to.emit(committee, "MemberAdded")
        .withArgs(members[2].address, 5n, 3n);
      expect(await committee.isMember(members[2].address)).to.equal(true);
      expect(await committee.getMembers()).to.deep.equal([
        members[0].address,
        members[1].address,
        members[4].address,
        members[3].address,
        members[2].address,
      ]);
    });

    it("refuses to remove a non-member with NotMember(account)", async function () {
      const { committee, members, outsider } = await loadFixture(committeeOfFive);
      const before = await committeeState(committee);
      await expect(committee.removeMember(outsider.address, 3n))
        .to.be.revertedWithCustomError(committee, "NotMember")
        .withArgs(outsider.address);
      await expect(committee.removeMember(ZeroAddress, 3n))
        .to.be.revertedWithCustomError(committee, "NotMember")
        .withArgs(ZeroAddress);
      expect(await committeeState(committee)).to.deep.equal(before);
      await committee.removeMember(members[0].address, 3n);
      await expect(committee.removeMember(members[0].address, 3n))
        .to.be.revertedWithCustomError(committee, "NotMember")
        .withArgs(members[0].address);
    });

    it("refuses a removal whose new quorum is invalid for the members left, keeping the member", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      const before = await committeeState(committee);
      await expect(committee.removeMember(members[0].address, 2n))
        .to.be.revertedWithCustomError(committee, "InvalidQuorum")
        .withArgs(2n, 4n);
      await expect(committee.removeMember(members[0].address, 5n))
        .to.be.revertedWithCustomError(committee, "InvalidQuorum")
        .withArgs(5n, 4n);
      expect(await committeeState(committee)).to.deep.equal(before);
      expect(await committee.isMember(members[0].address)).to.equal(true);
      await expect(committee.removeMember(members[0].address, 4n))
        .to.emit(committee, "MemberRemoved")
        .withArgs(members[0].address, 4n, 4n);
    });

    it("cannot remove the last member, since no quorum is valid for an empty committee", async function () {
      const { committee, members } = await loadFixture(deployCommittee);
      await committee.addMember(members[0].address, 1n);
      await expect(committee.removeMember(members[0].address, 0n))
        .to.be.revertedWithCustomError(committee, "InvalidQuorum")
        .withArgs(0n, 0n);
      expect(await committee.isMember(members[0].address)).to.equal(true);
    });

    it("lets only MANAGE_MEMBERS_ROLE add and remove members and set the quorum", async function () {
      const { committee, members, outsider } = await loadFixture(committeeOfFive);
      const before = await committeeState(committee);
      for (const caller of [outsider, members[0]]) {
        await expect(committee.connect(caller).addMember(syntheticAddress(0), 3n))
          .to.be.revertedWithCustomError(committee, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, MANAGE_MEMBERS_ROLE);
        await expect(committee.connect(caller).removeMember(members[1].address, 3n))
          .to.be.revertedWithCustomError(committee, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, MANAGE_MEMBERS_ROLE);
        await expect(committee.connect(caller).setQuorum(4n))
          .to.be.revertedWithCustomError(committee, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, MANAGE_MEMBERS_ROLE);
      }
      expect(await committeeState(committee)).to.deep.equal(before);
    });
  });

  describe("voting", function () {
    it("records a vote with ReportSubmitted(refSlot, member, hash) and shows it in the report variants", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      await expect(committee.connect(members[0]).submitReport(FRAME_1_REF, A))
        .to.emit(committee, "ReportSubmitted")
        .withArgs(FRAME_1_REF, members[0].address, A)
        .and.not.to.emit(committee, "ConsensusReached");
      await committee.connect(members[1]).submitReport(FRAME_1_REF, B);
      await committee.connect(members[2]).submitReport(FRAME_1_REF, A);
      expect(await reportVariants(committee)).to.deep.equal({
        refSlot: FRAME_1_REF,
        hashes: [A, B],
        support: [2n, 1n],
      });
      expect(await committee.appliedCount()).to.equal(0n);
      expect(await committee.getLastProcessedRefSlot()).to.equal(0n);
    });

    it("reaches consensus when quorum members agree, applying the report in the same transaction", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      await committee.connect(members[0]).submitReport(FRAME_1_REF, A);
      await committee.connect(members[1]).submitReport(FRAME_1_REF, B);
      await committee.connect(members[2]).submitReport(FRAME_1_REF, A);
      expect(await committee.getLastProcessedRefSlot()).to.equal(0n);
      const tx = committee.connect(members[3]).submitReport(FRAME_1_REF, A);
      await expect(tx).to.emit(committee, "ReportSubmitted").withArgs(FRAME_1_REF, members[3].address, A);
      await expect(tx).to.emit(committee, "ConsensusReached").withArgs(FRAME_1_REF, A, 3n);
      await expect(tx).to.emit(committee, "Applied").withArgs(FRAME_1_REF, A);
      expect(await committee.appliedCount()).to.equal(1n);
      expect(await committee.getLastProcessedRefSlot()).to.equal(FRAME_1_REF);
      expect(await reportVariants(committee)).to.deep.equal({
        refSlot: FRAME_1_REF,
        hashes: [A, B],
        support: [3n, 1n],
      });
    });

    it("never counts the same member twice for the same hash", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      for (let i = 0; i < 3; i++) {
        await expect(committee.connect(members[0]).submitReport(FRAME_1_REF, A))
          .to.emit(committee, "ReportSubmitted")
          .withArgs(FRAME_1_REF, members[0].address, A)
          .and.not.to.emit(committee, "ConsensusReached");
        expect(await reportVariants(committee)).to.deep.equal({ refSlot: FRAME_1_REF, hashes: [A], support: [1n] });
      }
      await committee.connect(members[1]).submitReport(FRAME_1_REF, A);
      await expect(committee.connect(members[1]).submitReport(FRAME_1_REF, A)).not.to.emit(
        committee,
        "ConsensusReached",
      );
      expect(await reportVariants(committee)).to.deep.equal({ refSlot: FRAME_1_REF, hashes: [A], support: [2n] });
      expect(await committee.appliedCount()).to.equal(0n);
      expect(await committee.getLastProcessedRefSlot()).to.equal(0n);
    });

    it("moves a member's support when it changes its vote, and back again", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      const [m0, m1, m2] = members;
      await committee.connect(m0).submitReport(FRAME_1_REF, A);
      await committee.connect(m1).submitReport(FRAME_1_REF, A);
      expect(await reportVariants(committee)).to.deep.equal({ refSlot: FRAME_1_REF, hashes: [A], support: [2n] });

      await expect(committee.connect(m0).submitReport(FRAME_1_REF, B))
        .to.emit(committee, "ReportSubmitted")
        .withArgs(FRAME_1_REF, m0.address, B);
      expect(await reportVariants(committee)).to.deep.equal({
        refSlot: FRAME_1_REF,
        hashes: [A, B],
        support: [1n, 1n],
      });

      await committee.connect(m0).submitReport(FRAME_1_REF, A);
      expect(await reportVariants(committee)).to.deep.equal({
        refSlot: FRAME_1_REF,
        hashes: [A, B],
        support: [2n, 0n],
      });

      // A — 1 (m1), C — 1 (m0): B keeps its (empty) entry.
      await committee.connect(m0).submitReport(FRAME_1_REF, C);
      expect(await reportVariants(committee)).to.deep.equal({
        refSlot: FRAME_1_REF,
        hashes: [A, B, C],
        support: [1n, 0n, 1n],
      });
      await committee.connect(m0).submitReport(FRAME_1_REF, A);
      expect(await committee.appliedCount()).to.equal(0n);

      await expect(committee.connect(m2).submitReport(FRAME_1_REF, A))
        .to.emit(committee, "ConsensusReached")
        .withArgs(FRAME_1_REF, A, 3n);
      expect(await committee.appliedCount()).to.equal(1n);
    });

    it("lets a changed vote bring the new hash to consensus", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      const [m0, m1, m2, m3] = members;
      await committee.connect(m0).submitReport(FRAME_1_REF, A);
      await committee.connect(m1).submitReport(FRAME_1_REF, A);
      await committee.connect(m2).submitReport(FRAME_1_REF, B);
      await committee.connect(m3).submitReport(FRAME_1_REF, B);
      const tx = committee.connect(m0).submitReport(FRAME_1_REF, B);
      await expect(tx).to.emit(committee, "ConsensusReached").withArgs(FRAME_1_REF, B, 3n);
      await expect(tx).to.emit(committee, "Applied").withArgs(FRAME_1_REF, B);
      expect(await reportVariants(committee)).to.deep.equal({
        refSlot: FRAME_1_REF,
        hashes: [A, B],
        support: [1n, 3n],
      });
    });

    it("never counts votes of one frame in another, and starts fresh report variants each frame", async function () {
      const { committee, members, clock } = await loadFixture(committeeOfFive);
      const [m0, m1, m2] = members;
      await committee.connect(m0).submitReport(FRAME_1_REF, A);
      await committee.connect(m1).submitReport(FRAME_1_REF, A);
      await committee.connect(m2).submitReport(FRAME_1_REF, B);
      expect(await reportVariants(committee)).to.deep.equal({
        refSlot: FRAME_1_REF,
        hashes: [A, B],
        support: [2n, 1n],
      });
      expect(await committee.appliedCount()).to.equal(0n);

      await clock.goToSlot(FRAME_2_START);
      // The variants still describe frame 1 until someone votes in frame 2.
      expect((await reportVariants(committee)).refSlot).to.equal(FRAME_1_REF);

      await expect(committee.connect(m2).submitReport(FRAME_2_REF, A))
        .to.emit(committee, "ReportSubmitted")
        .withArgs(FRAME_2_REF, m2.address, A)
        .and.not.to.emit(committee, "ConsensusReached");
      expect(await reportVariants(committee)).to.deep.equal({ refSlot: FRAME_2_REF, hashes: [A], support: [1n] });

      // m0's vote for A in frame 1 neither counts nor is withdrawn here: its frame-2 vote adds one.
      await expect(committee.connect(m0).submitReport(FRAME_2_REF, A)).not.to.emit(committee, "ConsensusReached");
      expect(await reportVariants(committee)).to.deep.equal({ refSlot: FRAME_2_REF, hashes: [A], support: [2n] });
      expect(await committee.appliedCount()).to.equal(0n);

      const tx = committee.connect(m1).submitReport(FRAME_2_REF, A);
      await expect(tx).to.emit(committee, "ConsensusReached").withArgs(FRAME_2_REF, A, 3n);
      await expect(tx).to.emit(committee, "Applied").withArgs(FRAME_2_REF, A);
      expect(await committee.getLastProcessedRefSlot()).to.equal(FRAME_2_REF);
      expect(await committee.appliedCount()).to.equal(1n);
    });

    it("resets reused variant entries in a new frame, whatever hash lands in them", async function () {
      const { committee, members, clock } = await loadFixture(committeeOfFive);
      const [m0, m1, m2, m3] = members;
      await committee.connect(m0).submitReport(FRAME_1_REF, A);
      await committee.connect(m1).submitReport(FRAME_1_REF, A);
      await committee.connect(m2).submitReport(FRAME_1_REF, B);

      await clock.goToSlot(FRAME_2_START);
      // B now takes entry 0 (held A with support 2), A takes entry 1 (held B with support 1).
      await committee.connect(m3).submitReport(FRAME_2_REF, B);
      expect(await reportVariants(committee)).to.deep.equal({ refSlot: FRAME_2_REF, hashes: [B], support: [1n] });
      await committee.connect(m2).submitReport(FRAME_2_REF, A);
      expect(await reportVariants(committee)).to.deep.equal({
        refSlot: FRAME_2_REF,
        hashes: [B, A],
        support: [1n, 1n],
      });
      // A third entry is new storage.
      await committee.connect(m0).submitReport(FRAME_2_REF, C);
      expect(await reportVariants(committee)).to.deep.equal({
        refSlot: FRAME_2_REF,
        hashes: [B, A, C],
        support: [1n, 1n, 1n],
      });
      expect(await committee.appliedCount()).to.equal(0n);
    });

    it("processes each frame once and continues normally in later frames, including after a skipped frame", async function () {
      const { committee, members, clock } = await loadFixture(committeeOfFive);
      const [m0, m1, m2, m3] = members;
      for (const m of [m0, m1, m2]) await committee.connect(m).submitReport(FRAME_1_REF, A);
      expect(await committee.getLastProcessedRefSlot()).to.equal(FRAME_1_REF);

      await clock.goToSlot(FRAME_2_START);
      expect(await committee.getCurrentFrame()).to.deep.equal([FRAME_2_REF, FRAME_2_DEADLINE]);
      await committee.connect(m3).submitReport(FRAME_2_REF, B);
      expect(await reportVariants(committee)).to.deep.equal({ refSlot: FRAME_2_REF, hashes: [B], support: [1n] });
      await committee.connect(m1).submitReport(FRAME_2_REF, B);
      const tx = committee.connect(m2).submitReport(FRAME_2_REF, B);
      await expect(tx).to.emit(committee, "ConsensusReached").withArgs(FRAME_2_REF, B, 3n);
      await expect(tx).to.emit(committee, "Applied").withArgs(FRAME_2_REF, B);
      expect(await committee.appliedCount()).to.equal(2n);
      expect(await committee.getLastProcessedRefSlot()).to.equal(FRAME_2_REF);

      // Frame 3 passes without a report; frame 4 is processed normally.
      const frame4Ref = 4n * SLOTS_PER_FRAME - 1n;
      await clock.goToSlot(4n * SLOTS_PER_FRAME + 3n);
      for (const m of [m0, m1]) await committee.connect(m).submitReport(frame4Ref, C);
      await expect(committee.connect(m3).submitReport(frame4Ref, C))
        .to.emit(committee, "ConsensusReached")
        .withArgs(frame4Ref, C, 3n);
      expect(await committee.appliedCount()).to.equal(3n);
      expect(await committee.getLastProcessedRefSlot()).to.equal(frame4Ref);
    });
  });

  describe("report variants stay bounded", function () {
    /** A distinct hash for each number: what a member changing its vote again and again sends. */
    const junk = (i: number) => id(`junk report ${i}`);

    it("keeps one variant for a member that changes its vote 200 times, so an honest vote scans at most one per member", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      const [m0, m1, m2, , m4] = members;
      await committee.connect(m0).submitReport(FRAME_1_REF, A);
      for (let i = 1; i <= 200; i++) await committee.connect(m4).submitReport(FRAME_1_REF, junk(i));

      // Each change left the previous hash without support: the new hash took its entry.
      expect(await reportVariants(committee)).to.deep.equal({
        refSlot: FRAME_1_REF,
        hashes: [A, junk(200)],
        support: [1n, 1n],
      });
      // The next vote scans every entry: at most one per member, not one per change.
      const scanned = (await reportVariants(committee)).hashes.length;
      expect(scanned).to.be.at.most(members.length);

      await expect(committee.connect(m1).submitReport(FRAME_1_REF, A)).not.to.emit(committee, "ConsensusReached");
      await expect(committee.connect(m2).submitReport(FRAME_1_REF, A))
        .to.emit(committee, "ConsensusReached")
        .withArgs(FRAME_1_REF, A, 3n);
      expect(await committee.appliedCount()).to.equal(1n);
      expect(await reportVariants(committee)).to.deep.equal({
        refSlot: FRAME_1_REF,
        hashes: [A, junk(200)],
        support: [3n, 1n],
      });
    });

    it("never holds more variants than members when a member alternates between new hashes and another member's", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      const [m0, m1, m2, , m4] = members;
      await committee.connect(m0).submitReport(FRAME_1_REF, A);
      let most = 0;
      for (let i = 1; i <= 100; i++) {
        // Moving to A leaves the junk hash without support but finds A: nothing is reused then.
        await committee.connect(m4).submitReport(FRAME_1_REF, junk(i));
        await committee.connect(m4).submitReport(FRAME_1_REF, A);
        most = Math.max(most, (await reportVariants(committee)).hashes.length);
      }
      expect(most).to.equal(members.length);
      const { hashes, support } = await reportVariants(committee);
      expect(hashes).to.have.lengthOf(members.length);
      expect(hashes[0]).to.equal(A);
      expect(support).to.deep.equal([2n, 0n, 0n, 0n, 0n]);

      await expect(committee.connect(m1).submitReport(FRAME_1_REF, A))
        .to.emit(committee, "ConsensusReached")
        .withArgs(FRAME_1_REF, A, 3n);
      expect(await committee.appliedCount()).to.equal(1n);
      expect((await reportVariants(committee)).hashes).to.have.lengthOf(members.length);
      await expect(committee.connect(m2).submitReport(FRAME_1_REF, A))
        .to.be.revertedWithCustomError(committee, "FrameAlreadyProcessed")
        .withArgs(FRAME_1_REF);
    });

    it("adds no variant while there are as many as members: a new hash takes one without support, even after members left", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      const [m0, m1, m2, m3, m4] = members;
      const [D, E, F] = [id("report D"), id("report E"), id("report F")];
      const hashes = [A, B, C, D, E];
      for (const [i, m] of members.entries()) await committee.connect(m).submitReport(FRAME_1_REF, hashes[i]);
      await committee.removeMember(m3.address, 3n);
      await committee.removeMember(m4.address, 3n);
      expect(await reportVariants(committee)).to.deep.equal({
        refSlot: FRAME_1_REF,
        hashes,
        support: [1n, 1n, 1n, 0n, 0n],
      });

      // m0 moves to B, leaving A without support; m1 then moves from B (still backed by m0) to a new
      // hash, which takes A's entry instead of a sixth one.
      await committee.connect(m0).submitReport(FRAME_1_REF, B);
      await expect(committee.connect(m1).submitReport(FRAME_1_REF, F))
        .to.emit(committee, "ReportSubmitted")
        .withArgs(FRAME_1_REF, m1.address, F)
        .and.not.to.emit(committee, "ConsensusReached");
      expect(await reportVariants(committee)).to.deep.equal({
        refSlot: FRAME_1_REF,
        hashes: [F, B, C, D, E],
        support: [1n, 1n, 1n, 0n, 0n],
      });

      // Support still moves with votes: m2 and then m1 join m0 on B, the quorum of 3.
      await expect(committee.connect(m2).submitReport(FRAME_1_REF, B)).not.to.emit(committee, "ConsensusReached");
      await expect(committee.connect(m1).submitReport(FRAME_1_REF, B))
        .to.emit(committee, "ConsensusReached")
        .withArgs(FRAME_1_REF, B, 3n);
      expect(await reportVariants(committee)).to.deep.equal({
        refSlot: FRAME_1_REF,
        hashes: [F, B, C, D, E],
        support: [0n, 3n, 0n, 0n, 0n],
      });
    });
  });

  describe("membership changes during a frame", function () {
    it("reaches consensus after removing a member that did not vote for the hash (the issue's scenario)", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      const [m0, m1, m2, , m4] = members;
      await committee.connect(m0).submitReport(FRAME_1_REF, A);
      await committee.connect(m1).submitReport(FRAME_1_REF, A);
      await expect(committee.removeMember(m4.address, 3n))
        .to.emit(committee, "MemberRemoved")
        .withArgs(m4.address, 4n, 3n);
      expect(await committee.quorum()).to.equal(3n);
      expect(await reportVariants(committee)).to.deep.equal({ refSlot: FRAME_1_REF, hashes: [A], support: [2n] });

      const tx = committee.connect(m2).submitReport(FRAME_1_REF, A);
      await expect(tx).to.emit(committee, "ConsensusReached").withArgs(FRAME_1_REF, A, 3n);
      await expect(tx).to.emit(committee, "Applied").withArgs(FRAME_1_REF, A);
      expect(await committee.appliedCount()).to.equal(1n);
      expect(await committee.getLastProcessedRefSlot()).to.equal(FRAME_1_REF);
    });

    it("reaches consensus after removing a member that voted for another hash, withdrawing only that vote", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      const [m0, m1, m2, , m4] = members;
      await committee.connect(m0).submitReport(FRAME_1_REF, A);
      await committee.connect(m4).submitReport(FRAME_1_REF, B);
      await committee.connect(m1).submitReport(FRAME_1_REF, A);
      await committee.removeMember(m4.address, 3n);
      expect(await reportVariants(committee)).to.deep.equal({
        refSlot: FRAME_1_REF,
        hashes: [A, B],
        support: [2n, 0n],
      });
      const tx = committee.connect(m2).submitReport(FRAME_1_REF, A);
      await expect(tx).to.emit(committee, "ConsensusReached").withArgs(FRAME_1_REF, A, 3n);
      await expect(tx).to.emit(committee, "Applied").withArgs(FRAME_1_REF, A);
      expect(await committee.appliedCount()).to.equal(1n);
    });

    it("reaches consensus after removing a member whose only vote was in an earlier, unprocessed frame", async function () {
      const { committee, members, clock } = await loadFixture(committeeOfFive);
      const [m0, m1, m2, , m4] = members;
      await committee.connect(m4).submitReport(FRAME_1_REF, A); // entry 0 of frame 1
      await clock.goToSlot(FRAME_2_START);
      await committee.connect(m0).submitReport(FRAME_2_REF, A); // entry 0 of frame 2
      await committee.connect(m1).submitReport(FRAME_2_REF, A);
      await committee.removeMember(m4.address, 3n);
      expect(await reportVariants(committee)).to.deep.equal({ refSlot: FRAME_2_REF, hashes: [A], support: [2n] });
      await expect(committee.connect(m2).submitReport(FRAME_2_REF, A))
        .to.emit(committee, "ConsensusReached")
        .withArgs(FRAME_2_REF, A, 3n);
      expect(await committee.appliedCount()).to.equal(1n);
    });

    it("withdraws the vote of a removed member that voted for the hash, so the next vote does not reach consensus", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      const [m0, m1, m2, m3] = members;
      await committee.connect(m0).submitReport(FRAME_1_REF, A);
      await committee.connect(m1).submitReport(FRAME_1_REF, A);
      await expect(committee.removeMember(m1.address, 3n))
        .to.emit(committee, "MemberRemoved")
        .withArgs(m1.address, 4n, 3n);
      expect(await reportVariants(committee)).to.deep.equal({ refSlot: FRAME_1_REF, hashes: [A], support: [1n] });

      await expect(committee.connect(m2).submitReport(FRAME_1_REF, A))
        .to.emit(committee, "ReportSubmitted")
        .withArgs(FRAME_1_REF, m2.address, A)
        .and.not.to.emit(committee, "ConsensusReached");
      expect(await reportVariants(committee)).to.deep.equal({ refSlot: FRAME_1_REF, hashes: [A], support: [2n] });
      expect(await committee.appliedCount()).to.equal(0n);
      expect(await committee.getLastProcessedRefSlot()).to.equal(0n);

      await expect(committee.connect(m1).submitReport(FRAME_1_REF, A))
        .to.be.revertedWithCustomError(committee, "NotMember")
        .withArgs(m1.address);

      await expect(committee.connect(m3).submitReport(FRAME_1_REF, A))
        .to.emit(committee, "ConsensusReached")
        .withArgs(FRAME_1_REF, A, 3n);
      expect(await committee.appliedCount()).to.equal(1n);
    });

    it("counts a removed and re-added member once when it votes again in the same frame", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      const [m0, m1, m2] = members;
      await committee.connect(m0).submitReport(FRAME_1_REF, A);
      await committee.connect(m1).submitReport(FRAME_1_REF, A);
      await committee.removeMember(m1.address, 3n);
      await committee.addMember(m1.address, 3n);
      expect(await reportVariants(committee)).to.deep.equal({ refSlot: FRAME_1_REF, hashes: [A], support: [1n] });
      await expect(committee.connect(m1).submitReport(FRAME_1_REF, A)).not.to.emit(committee, "ConsensusReached");
      expect(await reportVariants(committee)).to.deep.equal({ refSlot: FRAME_1_REF, hashes: [A], support: [2n] });
      await expect(committee.connect(m2).submitReport(FRAME_1_REF, A))
        .to.emit(committee, "ConsensusReached")
        .withArgs(FRAME_1_REF, A, 3n);
    });

    it("reaches consensus at the next submission once a lowered quorum is met by existing support", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      const [m0, m1, m2, m3] = members;
      await committee.setQuorum(4n);
      for (const m of [m0, m1, m2]) await committee.connect(m).submitReport(FRAME_1_REF, A);
      expect(await committee.appliedCount()).to.equal(0n);

      await committee.setQuorum(3n);
      // Lowering the quorum alone processes nothing.
      expect(await committee.getLastProcessedRefSlot()).to.equal(0n);
      expect(await committee.appliedCount()).to.equal(0n);

      const tx = committee.connect(m3).submitReport(FRAME_1_REF, A);
      await expect(tx).to.emit(committee, "ConsensusReached").withArgs(FRAME_1_REF, A, 4n);
      await expect(tx).to.emit(committee, "Applied").withArgs(FRAME_1_REF, A);
      expect(await committee.appliedCount()).to.equal(1n);
      expect(await committee.getLastProcessedRefSlot()).to.equal(FRAME_1_REF);
    });

    it("reaches consensus when a member that already voted repeats its vote after the quorum is lowered", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      const [m0, m1, m2] = members;
      await committee.setQuorum(4n);
      for (const m of [m0, m1, m2]) await committee.connect(m).submitReport(FRAME_1_REF, A);
      await committee.setQuorum(3n);
      const tx = committee.connect(m0).submitReport(FRAME_1_REF, A);
      await expect(tx).to.emit(committee, "ReportSubmitted").withArgs(FRAME_1_REF, m0.address, A);
      await expect(tx).to.emit(committee, "ConsensusReached").withArgs(FRAME_1_REF, A, 3n);
      await expect(tx).to.emit(committee, "Applied").withArgs(FRAME_1_REF, A);
      expect(await committee.appliedCount()).to.equal(1n);
      expect(await reportVariants(committee)).to.deep.equal({ refSlot: FRAME_1_REF, hashes: [A], support: [3n] });
    });

    it("reaches consensus at the next submission when a removal lowers the quorum to the existing support", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      const [m0, m1, m2, m3, m4] = members;
      await committee.setQuorum(4n);
      for (const m of [m0, m1, m2]) await committee.connect(m).submitReport(FRAME_1_REF, A);
      await committee.removeMember(m4.address, 3n);
      expect(await committee.appliedCount()).to.equal(0n);
      await expect(committee.connect(m3).submitReport(FRAME_1_REF, B))
        .to.emit(committee, "ReportSubmitted")
        .withArgs(FRAME_1_REF, m3.address, B)
        .and.not.to.emit(committee, "ConsensusReached");
      await expect(committee.connect(m2).submitReport(FRAME_1_REF, A))
        .to.emit(committee, "ConsensusReached")
        .withArgs(FRAME_1_REF, A, 3n);
      expect(await committee.appliedCount()).to.equal(1n);
    });
  });

  describe("frame configuration changes", function () {
    it("does not let a vote from an earlier frame with the same refSlot withdraw another member's vote", async function () {
      // 3 members, quorum 2, one-epoch frames with a whole-frame deadline.
      const { committee, members, clock } = await loadFixture(deployCommittee);
      const [m0, m1, m2] = members;
      await committee.addMember(m0.address, 1n);
      await committee.addMember(m1.address, 2n);
      await committee.addMember(m2.address, 2n);
      await committee.setFrameConfig(1n, SLOTS_PER_FRAME);

      // One-epoch frame [64, 96), refSlot 63: m0 votes B (variant entry 0); no consensus.
      await clock.goToSlot(FRAME_2_START);
      await committee.connect(m0).submitReport(FRAME_2_REF, B);
      // One-epoch frame [96, 128), refSlot 95: a vote there starts fresh variants.
      await clock.goToSlot(3n * SLOTS_PER_FRAME);
      await committee.connect(m1).submitReport(FRAME_3_REF, C);
      expect(await reportVariants(committee)).to.deep.equal({ refSlot: FRAME_3_REF, hashes: [C], support: [1n] });

      // Two-epoch frames: slot 96 lies in frame [64, 128), whose refSlot is 63 again.
      await committee.setFrameConfig(2n, 2n * SLOTS_PER_FRAME);
      expect(await committee.getCurrentFrame()).to.deep.equal([FRAME_2_REF, FRAME_2_REF + 2n * SLOTS_PER_FRAME]);
      await committee.connect(m2).submitReport(FRAME_2_REF, A); // fresh variants: A is entry 0
      expect(await reportVariants(committee)).to.deep.equal({ refSlot: FRAME_2_REF, hashes: [A], support: [1n] });

      // m0's vote record still says (refSlot 63, entry 0): its new vote must not take support from m2's A.
      await committee.connect(m0).submitReport(FRAME_2_REF, C);
      expect(await reportVariants(committee)).to.deep.equal({
        refSlot: FRAME_2_REF,
        hashes: [A, C],
        support: [1n, 1n],
      });
      const tx = committee.connect(m1).submitReport(FRAME_2_REF, A);
      await expect(tx).to.emit(committee, "ConsensusReached").withArgs(FRAME_2_REF, A, 2n);
      await expect(tx).to.emit(committee, "Applied").withArgs(FRAME_2_REF, A);
    });
  });

  describe("refused reports", function () {
    it("refuses a non-member with NotMember(account), changing nothing", async function () {
      const { committee, members, outsider } = await loadFixture(committeeOfFive);
      await committee.connect(members[0]).submitReport(FRAME_1_REF, A);
      const before = await committeeState(committee);
      await expect(committee.connect(outsider).submitReport(FRAME_1_REF, A))
        .to.be.revertedWithCustomError(committee, "NotMember")
        .withArgs(outsider.address);
      expect(await committeeState(committee)).to.deep.equal(before);
    });

    it("refuses reports before the first frame with NoFrameYet(currentSlot)", async function () {
      const { committee, members, clock } = await loadFixture(deployCommittee);
      await committee.addMember(members[0].address, 1n);
      await expect(committee.connect(members[0]).submitReport(0n, A))
        .to.be.revertedWithCustomError(committee, "NoFrameYet")
        .withArgs(0n);
      await clock.nextTxAt(FRAME_1_REF, 11n);
      await expect(committee.connect(members[0]).submitReport(0n, A))
        .to.be.revertedWithCustomError(committee, "NoFrameYet")
        .withArgs(FRAME_1_REF);
      expect(await committee.appliedCount()).to.equal(0n);
      expect(await reportVariants(committee)).to.deep.equal({ refSlot: 0n, hashes: [], support: [] });
    });

    it("refuses a stale report for the previous frame with UnexpectedRefSlot(refSlot, currentRefSlot)", async function () {
      const { committee, members, clock } = await loadFixture(committeeOfFive);
      await committee.connect(members[0]).submitReport(FRAME_1_REF, A);
      await committee.connect(members[1]).submitReport(FRAME_1_REF, A);
      await clock.nextTxAt(FRAME_2_START);
      const before = await committeeState(committee);
      await expect(committee.connect(members[2]).submitReport(FRAME_1_REF, A))
        .to.be.revertedWithCustomError(committee, "UnexpectedRefSlot")
        .withArgs(FRAME_1_REF, FRAME_2_REF);
      expect(await committeeState(committee)).to.deep.equal(before);
    });

    it("refuses a report for a future or otherwise wrong refSlot with UnexpectedRefSlot", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      await committee.connect(members[0]).submitReport(FRAME_1_REF, A);
      const before = await committeeState(committee);
      for (const refSlot of [FRAME_2_REF, FRAME_3_REF, FRAME_1_REF + 1n, FRAME_1_REF - 1n, 0n]) {
        await expect(committee.connect(members[1]).submitReport(refSlot, A))
          .to.be.revertedWithCustomError(committee, "UnexpectedRefSlot")
          .withArgs(refSlot, FRAME_1_REF);
      }
      expect(await committeeState(committee)).to.deep.equal(before);
    });

    it("accepts a report in the last second of the deadline slot", async function () {
      const { committee, members, clock } = await loadFixture(committeeOfFive);
      await committee.connect(members[0]).submitReport(FRAME_1_REF, A);
      await committee.connect(members[1]).submitReport(FRAME_1_REF, A);
      await clock.nextTxAt(FRAME_1_DEADLINE, 11n);
      const tx = committee.connect(members[2]).submitReport(FRAME_1_REF, A);
      await expect(tx).to.emit(committee, "ConsensusReached").withArgs(FRAME_1_REF, A, 3n);
      await expect(tx).to.emit(committee, "Applied").withArgs(FRAME_1_REF, A);
      expect(await committee.appliedCount()).to.equal(1n);
    });

    it("refuses a report after the deadline within the frame with ReportDeadlinePassed(refSlot, deadline, slot)", async function () {
      const { committee, members, clock } = await loadFixture(committeeOfFive);
      await committee.connect(members[0]).submitReport(FRAME_1_REF, A);
      await committee.connect(members[1]).submitReport(FRAME_1_REF, A);
      const before = await committeeState(committee);
      await clock.nextTxAt(FRAME_1_DEADLINE + 1n);
      await expect(committee.connect(members[2]).submitReport(FRAME_1_REF, A))
        .to.be.revertedWithCustomError(committee, "ReportDeadlinePassed")
        .withArgs(FRAME_1_REF, FRAME_1_DEADLINE, FRAME_1_DEADLINE + 1n);
      // A changed vote is refused too, up to the frame's last second.
      await clock.nextTxAt(FRAME_2_REF, 11n);
      await expect(committee.connect(members[0]).submitReport(FRAME_1_REF, B))
        .to.be.revertedWithCustomError(committee, "ReportDeadlinePassed")
        .withArgs(FRAME_1_REF, FRAME_1_DEADLINE, FRAME_2_REF);
      expect(await committeeState(committee)).to.deep.equal(before);
    });

    it("accepts reports up to the frame's last slot when the deadline spans the whole frame", async function () {
      const { committee, members, clock } = await loadFixture(committeeOfFive);
      await committee.setFrameConfig(EPOCHS_PER_FRAME, SLOTS_PER_FRAME);
      expect(await committee.getCurrentFrame()).to.deep.equal([FRAME_1_REF, FRAME_2_REF]);
      await committee.connect(members[0]).submitReport(FRAME_1_REF, A);
      await committee.connect(members[1]).submitReport(FRAME_1_REF, A);
      await clock.nextTxAt(FRAME_2_REF, 11n);
      await expect(committee.connect(members[2]).submitReport(FRAME_1_REF, A))
        .to.emit(committee, "ConsensusReached")
        .withArgs(FRAME_1_REF, A, 3n);
    });

    it("refuses every further report for a processed frame with FrameAlreadyProcessed(refSlot), changing nothing", async function () {
      const { committee, members } = await loadFixture(committeeOfFive);
      const [m0, m1, m2] = members;
      for (const m of [m0, m1, m2]) await committee.connect(m).submitReport(FRAME_1_REF, A);
      const before = await committeeState(committee);
      expect(before.appliedCount).to.equal(1n);
      expect(before.lastProcessedRefSlot).to.equal(FRAME_1_REF);
      for (const m of members) {
        for (const hash of [A, B]) {
          await expect(committee.connect(m).submitReport(FRAME_1_REF, hash))
            .to.be.revertedWithCustomError(committee, "FrameAlreadyProcessed")
            .withArgs(FRAME_1_REF);
        }
      }
      expect(await committeeState(committee)).to.deep.equal(before);
    });

    it("keeps a processed frame processed when the quorum or membership changes afterwards", async function () {
      const { committee, members, outsider } = await loadFixture(committeeOfFive);
      const [m0, m1, m2, m3] = members;
      for (const m of [m0, m1, m2]) await committee.connect(m).submitReport(FRAME_1_REF, A);
      await committee.setQuorum(5n);
      await committee.addMember(outsider.address, 4n);
      await expect(committee.connect(outsider).submitReport(FRAME_1_REF, B))
        .to.be.revertedWithCustomError(committee, "FrameAlreadyProcessed")
        .withArgs(FRAME_1_REF);
      await expect(committee.connect(m3).submitReport(FRAME_1_REF, A))
        .to.be.revertedWithCustomError(committee, "FrameAlreadyProcessed")
        .withArgs(FRAME_1_REF);
      expect(await committee.appliedCount()).to.equal(1n);
      expect(await committee.getLastProcessedRefSlot()).to.equal(FRAME_1_REF);
    });
  });
});
