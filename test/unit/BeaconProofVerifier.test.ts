import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { getBytes, hexlify, toBeHex } from "ethers";
import type { BeaconProofVerifier } from "../../typechain-types";
import {
  buildBalanceProof,
  buildValidatorProof,
  electraLayout,
  headerFor,
  headerRoot,
  headerStateRootBranch,
  verifyBalanceLocally,
  verifyLocally,
  type BeaconBlockHeader,
  type StateLayout,
  type ValidatorProof,
} from "../../offchain/prover/proofs";
import { mainnetShapedState, shiftedStateType } from "../helpers/beacon-state";

const BEACON_ROOTS = "0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02";
const SYSTEM_ADDRESS = "0xfffffffffffffffffffffffffffffffffffffffe";
const HISTORY_BUFFER_LENGTH = 8191;
/** More than 2^20 validators, a multiple of 4 (whole balance chunks), not a power of two. */
const VALIDATOR_COUNT = 1_234_568;
const ELECTRA_FROM_SLOT = 10_000_000n;
const HEADER_SLOT = 11_000_000n;
/** A fork 100 slots ahead of "now" that inserts one field before `validators` and grows the state to depth 7. */
const SHIFTED_LAYOUT_GINDEX = { validatorsGIndex: 128n + 12n, balancesGIndex: 128n + 13n };

/** Writes `root` into the EIP-4788 contract as the consensus client does; returns the block timestamp. */
async function writeBeaconRoot(root: string, timestamp?: number): Promise<number> {
  const { ethers, network } = hre;
  await network.provider.request({ method: "hardhat_impersonateAccount", params: [SYSTEM_ADDRESS] });
  await network.provider.request({ method: "hardhat_setBalance", params: [SYSTEM_ADDRESS, "0xde0b6b3a7640000"] });
  if (timestamp !== undefined)
    await network.provider.request({ method: "evm_setNextBlockTimestamp", params: [timestamp] });
  const system = await ethers.getSigner(SYSTEM_ADDRESS);
  const receipt = await (await system.sendTransaction({ to: BEACON_ROOTS, data: root })).wait();
  const block = await ethers.provider.getBlock(receipt!.blockNumber);
  return block!.timestamp;
}

function asValidator(p: ValidatorProof["validator"]) {
  return { ...p };
}

describe("BeaconProofVerifier", function () {
  async function deployed() {
    const [admin, stranger] = await hre.ethers.getSigners();
    const latest = await hre.ethers.provider.getBlock("latest");
    // "Now" is slot 11,000,010: the test headers are recent, the schedule's next entry is ahead.
    const genesisTimestamp = BigInt(latest!.timestamp) - 12n * (HEADER_SLOT + 10n);
    const verifier = (await hre.ethers.deployContract("BeaconProofVerifier", [
      admin.address,
      genesisTimestamp,
      12,
      ELECTRA_FROM_SLOT,
    ])) as unknown as BeaconProofVerifier;
    const layout = await electraLayout();
    const { state, planted } = await mainnetShapedState({
      validatorCount: VALIDATOR_COUNT,
      ours: 6,
      seed: "tidepool-electra",
      slot: Number(HEADER_SLOT),
    });
    const header = headerFor(state, {
      slot: HEADER_SLOT,
      proposerIndex: 424_242n,
      parentRoot: hexlify(getBytes("0x" + "11".repeat(32))),
      bodyRoot: hexlify(getBytes("0x" + "22".repeat(32))),
    });
    const timestamp = await writeBeaconRoot(headerRoot(header));
    return { verifier, admin, stranger, layout, state, planted, header, timestamp, genesisTimestamp };
  }

  describe("layout", function () {
    it("has Electra's generalized indices, read from Lodestar's types", async function () {
      const { verifier, layout } = await loadFixture(deployed);
      expect(await verifier.ELECTRA_VALIDATORS_GINDEX()).to.equal(layout.validatorsGIndex);
      expect(await verifier.ELECTRA_BALANCES_GINDEX()).to.equal(layout.balancesGIndex);
      expect(await verifier.VALIDATOR_REGISTRY_LIMIT_DEPTH()).to.equal(layout.validatorsLimitDepth);
      const { ssz } = await import("@lodestar/types");
      for (const fork of ["electra", "fulu"] as const) {
        const type = ssz[fork].BeaconState;
        const i = 1_234_567n;
        expect(BigInt(type.getPathInfo(["validators", Number(i)]).gindex)).to.equal(((75n * 2n) << 40n) + i);
        expect(BigInt(type.getPathInfo(["balances", Number(i)]).gindex)).to.equal(((76n * 2n) << 38n) + i / 4n);
      }
      const [entry] = await verifier.forkSchedule();
      expect(entry.fromSlot).to.equal(ELECTRA_FROM_SLOT);
    });

    it("hashes a header as Lodestar does, and its state root branch has 3 siblings", async function () {
      const { header } = await loadFixture(deployed);
      const { ssz } = await import("@lodestar/types");
      const value = {
        slot: Number(header.slot),
        proposerIndex: Number(header.proposerIndex),
        parentRoot: getBytes(header.parentRoot),
        stateRoot: getBytes(header.stateRoot),
        bodyRoot: getBytes(header.bodyRoot),
      };
      expect(hexlify(ssz.phase0.BeaconBlockHeader.hashTreeRoot(value))).to.equal(headerRoot(header));
      expect(await headerStateRootBranch(header)).to.have.length(3);
    });
  });

  describe("valid proofs from a mainnet-shaped state", function () {
    it("verifies every planted validator record, field by field, with compact proofs", async function () {
      const { verifier, layout, state, planted, header, timestamp } = await loadFixture(deployed);
      for (const v of planted) {
        const p = await buildValidatorProof(state, layout, v.index);
        const { balanceGwei: _b, index: _i, ...fields } = v;
        expect(p.validator).to.deep.equal(fields);
        expect(verifyLocally(headerRoot(header), header, layout, p)).to.equal(undefined);
        // 8-byte count, 21 list siblings (1,234,568 < 2^21), 6 state siblings.
        expect(getBytes(p.proof).length).to.equal(8 + 32 * (21 + 6));
        await verifier.verifyValidator(timestamp, header, v.index, asValidator(p.validator), p.proof);
      }
    });

    it("returns the exact balance of each planted validator from its chunk", async function () {
      const { verifier, layout, state, planted, header, timestamp } = await loadFixture(deployed);
      for (const v of planted) {
        const p = await buildBalanceProof(state, layout, v.index);
        expect(p.balanceGwei).to.equal(v.balanceGwei);
        expect(verifyBalanceLocally(headerRoot(header), header, layout, p)).to.equal(undefined);
        expect(await verifier.verifyBalance(timestamp, header, v.index, p.balancesChunk, p.proof)).to.equal(
          v.balanceGwei,
        );
      }
    });
  });

  describe("tampered proofs", function () {
    async function oneProof() {
      const f = await loadFixture(deployed);
      const v = f.planted[0];
      const p = await buildValidatorProof(f.state, f.layout, v.index);
      return { ...f, v, p };
    }

    it("reverts BeaconProofInvalid for each tampered validator field", async function () {
      const { verifier, header, timestamp, p, v } = await oneProof();
      const tampered: Partial<ValidatorProof["validator"]>[] = [
        { pubkey: hexlify(getBytes(p.validator.pubkey).map((b, i) => (i === 47 ? b ^ 1 : b))) },
        { withdrawalCredentials: "0x01" + p.validator.withdrawalCredentials.slice(4) },
        { effectiveBalanceGwei: p.validator.effectiveBalanceGwei + 1n },
        { slashed: !p.validator.slashed },
        { activationEligibilityEpoch: p.validator.activationEligibilityEpoch + 1n },
        { activationEpoch: p.validator.activationEpoch - 1n },
        { exitEpoch: 12345n },
        { withdrawableEpoch: 12345n },
      ];
      for (const change of tampered) {
        await expect(
          verifier.verifyValidator(timestamp, header, v.index, { ...p.validator, ...change }, p.proof),
        ).to.be.revertedWithCustomError(verifier, "BeaconProofInvalid");
      }
    });

    it("rejects an ABI word with high bits set in a uint64 or bool field, as Solidity's decoder does", async function () {
      const { verifier, header, timestamp, p, v } = await oneProof();
      const data = getBytes(
        verifier.interface.encodeFunctionData("verifyValidator", [timestamp, header, v.index, p.validator, p.proof]),
      );
      const call = (bytes: Uint8Array) => hre.ethers.provider.call({ to: verifier.target, data: hexlify(bytes) });
      await call(data); // the clean encoding verifies
      // Head: selector, timestamp, header (5 words), index, validator offset, proof offset.
      const validatorAt = 4 + Number(BigInt(hexlify(data.slice(4 + 32 * 7, 4 + 32 * 8))));
      const words = {
        "header.proposerIndex": 4 + 32 * 2,
        "validator.effectiveBalanceGwei": validatorAt + 32 * 2,
        "validator.slashed": validatorAt + 32 * 3,
        "validator.activationEligibilityEpoch": validatorAt + 32 * 4,
        "validator.activationEpoch": validatorAt + 32 * 5,
        "validator.exitEpoch": validatorAt + 32 * 6,
        "validator.withdrawableEpoch": validatorAt + 32 * 7,
      };
      for (const [field, at] of Object.entries(words)) {
        const dirty = Uint8Array.from(data);
        dirty[at + (field === "validator.slashed" ? 31 : 23)] |= 0x02; // bit 1 of a bool, bit 65 of a uint64
        await expect(call(dirty), field).to.be.revertedWithoutReason();
      }
    });

    it("reverts BeaconPubkeyLengthInvalid for a pubkey that is not 48 bytes", async function () {
      const { verifier, header, timestamp, p, v } = await oneProof();
      const pubkey = p.validator.pubkey.slice(0, -2);
      await expect(verifier.verifyValidator(timestamp, header, v.index, { ...p.validator, pubkey }, p.proof))
        .to.be.revertedWithCustomError(verifier, "BeaconPubkeyLengthInvalid")
        .withArgs(47);
    });

    it("reverts for a wrong index: another index, one beyond the count, one beyond the proof's depth", async function () {
      const { verifier, header, timestamp, p, v } = await oneProof();
      await expect(
        verifier.verifyValidator(timestamp, header, v.index ^ 1n, p.validator, p.proof),
      ).to.be.revertedWithCustomError(verifier, "BeaconProofInvalid");
      await expect(verifier.verifyValidator(timestamp, header, VALIDATOR_COUNT, p.validator, p.proof))
        .to.be.revertedWithCustomError(verifier, "BeaconValidatorIndexBeyondCount")
        .withArgs(VALIDATOR_COUNT, VALIDATOR_COUNT);
      await expect(verifier.verifyValidator(timestamp, header, 2n ** 21n, p.validator, p.proof))
        .to.be.revertedWithCustomError(verifier, "BeaconIndexOutOfRangeForDepth")
        .withArgs(2n ** 21n, 21);
    });

    it("reverts BeaconProofInvalid for a tampered sibling or count", async function () {
      const { verifier, header, timestamp, p, v } = await oneProof();
      const bytes = getBytes(p.proof);
      for (const at of [8, 8 + 32 * 20 + 5, bytes.length - 1]) {
        const bad = Uint8Array.from(bytes);
        bad[at] ^= 0x80;
        await expect(
          verifier.verifyValidator(timestamp, header, v.index, p.validator, bad),
        ).to.be.revertedWithCustomError(verifier, "BeaconProofInvalid");
      }
      const moreValidators = Uint8Array.from(bytes);
      moreValidators.set(getBytes(toBeHex(VALIDATOR_COUNT + 1, 8)), 0);
      await expect(
        verifier.verifyValidator(timestamp, header, v.index, p.validator, moreValidators),
      ).to.be.revertedWithCustomError(verifier, "BeaconProofInvalid");
    });

    it("reverts for a wrong generalized index or proof length", async function () {
      const { verifier, layout, state, header, timestamp, p, v } = await oneProof();
      // The balance chunk's proof (gindex 76, 2 levels shallower) offered for the validator.
      const balance = await buildBalanceProof(state, layout, v.index);
      await expect(
        verifier.verifyValidator(timestamp, header, v.index, p.validator, balance.proof),
      ).to.be.revertedWithCustomError(verifier, "BeaconProofInvalid");
      // A validator proof at another gindex (the list's root one level up: a sibling fewer).
      await expect(
        verifier.verifyValidator(timestamp, header, v.index, p.validator, hexlify(getBytes(p.proof).slice(0, -32))),
      ).to.be.revertedWithCustomError(verifier, "BeaconProofInvalid");
      const min = 8 + 32 * 6;
      const max = min + 32 * 40;
      for (const bad of [getBytes(p.proof).slice(0, -1), new Uint8Array(min - 32), new Uint8Array(max + 32)]) {
        await expect(verifier.verifyValidator(timestamp, header, v.index, p.validator, bad))
          .to.be.revertedWithCustomError(verifier, "BeaconProofLengthInvalid")
          .withArgs(bad.length, min, max);
      }
      await expect(
        verifier.verifyBalance(timestamp, header, v.index, balance.balancesChunk, p.proof),
      ).to.be.revertedWithCustomError(verifier, "BeaconProofInvalid");
      await expect(verifier.verifyBalance(timestamp, header, VALIDATOR_COUNT, balance.balancesChunk, balance.proof))
        .to.be.revertedWithCustomError(verifier, "BeaconValidatorIndexBeyondCount")
        .withArgs(VALIDATOR_COUNT, VALIDATOR_COUNT);
    });
  });

  describe("the header and the EIP-4788 root", function () {
    it("reverts BeaconHeaderMismatch for each tampered header field", async function () {
      const { verifier, header, timestamp, planted, state, layout } = await loadFixture(deployed);
      const p = await buildValidatorProof(state, layout, planted[1].index);
      const root = headerRoot(header);
      const changes: Partial<BeaconBlockHeader>[] = [
        { slot: header.slot + 1n },
        { proposerIndex: 1n },
        { parentRoot: hexlify(new Uint8Array(32)) },
        { stateRoot: hexlify(new Uint8Array(32).fill(3)) },
        { bodyRoot: hexlify(new Uint8Array(32)) },
      ];
      for (const change of changes) {
        const bad = { ...header, ...change };
        await expect(verifier.verifyValidator(timestamp, bad, p.validatorIndex, p.validator, p.proof))
          .to.be.revertedWithCustomError(verifier, "BeaconHeaderMismatch")
          .withArgs(headerRoot(bad), root);
      }
    });

    it("reverts BeaconRootNotFound for a timestamp never written, overwritten in the ring buffer, or zero", async function () {
      const { verifier, header, timestamp, planted, state, layout } = await loadFixture(deployed);
      const p = await buildValidatorProof(state, layout, planted[2].index);
      const b = await buildBalanceProof(state, layout, planted[2].index);
      for (const t of [timestamp + 1_000_000, 0]) {
        await expect(verifier.verifyValidator(t, header, p.validatorIndex, p.validator, p.proof))
          .to.be.revertedWithCustomError(verifier, "BeaconRootNotFound")
          .withArgs(t);
      }
      // A root for timestamp + 8191 takes the same ring-buffer slot.
      await writeBeaconRoot(hexlify(new Uint8Array(32).fill(9)), timestamp + HISTORY_BUFFER_LENGTH);
      await expect(verifier.verifyValidator(timestamp, header, p.validatorIndex, p.validator, p.proof))
        .to.be.revertedWithCustomError(verifier, "BeaconRootNotFound")
        .withArgs(timestamp);
      await expect(verifier.verifyBalance(timestamp, header, b.validatorIndex, b.balancesChunk, b.proof))
        .to.be.revertedWithCustomError(verifier, "BeaconRootNotFound")
        .withArgs(timestamp);
      const zeroAt = await writeBeaconRoot(hexlify(new Uint8Array(32)));
      await expect(verifier.verifyValidator(zeroAt, header, p.validatorIndex, p.validator, p.proof))
        .to.be.revertedWithCustomError(verifier, "BeaconRootNotFound")
        .withArgs(zeroAt);
    });

    it("reverts BeaconRootNotFound where no EIP-4788 contract exists", async function () {
      const { verifier, header, timestamp, planted, state, layout } = await loadFixture(deployed);
      const p = await buildValidatorProof(state, layout, planted[0].index);
      const code = await hre.ethers.provider.getCode(BEACON_ROOTS);
      await hre.network.provider.request({ method: "hardhat_setCode", params: [BEACON_ROOTS, "0x"] });
      await expect(verifier.verifyValidator(timestamp, header, p.validatorIndex, p.validator, p.proof))
        .to.be.revertedWithCustomError(verifier, "BeaconRootNotFound")
        .withArgs(timestamp);
      await hre.network.provider.request({ method: "hardhat_setCode", params: [BEACON_ROOTS, code] });
    });
  });

  describe("fork schedule", function () {
    it("reverts BeaconNoForkLayoutForSlot for a header before the first entry", async function () {
      const { verifier, state, layout, planted } = await loadFixture(deployed);
      const early = headerFor(state, {
        slot: ELECTRA_FROM_SLOT - 1n,
        proposerIndex: 1n,
        parentRoot: hexlify(new Uint8Array(32)),
        bodyRoot: hexlify(new Uint8Array(32)),
      });
      const t = await writeBeaconRoot(headerRoot(early));
      const p = await buildValidatorProof(state, layout, planted[0].index);
      await expect(verifier.verifyValidator(t, early, p.validatorIndex, p.validator, p.proof))
        .to.be.revertedWithCustomError(verifier, "BeaconNoForkLayoutForSlot")
        .withArgs(ELECTRA_FROM_SLOT - 1n);
      await expect(verifier.forkLayoutForSlot(0)).to.be.revertedWithCustomError(verifier, "BeaconNoForkLayoutForSlot");
    });

    it("verifies proofs on both sides of a change of generalized indices, each only with its own layout", async function () {
      const { verifier, admin, layout, state: before, planted: plantedBefore } = await loadFixture(deployed);
      const forkSlot = (await verifier.currentSlot()) + 100n;
      const shifted: StateLayout = { ...SHIFTED_LAYOUT_GINDEX, validatorsLimitDepth: 40 };
      await expect(verifier.connect(admin).addForkLayout({ fromSlot: forkSlot, ...shifted }))
        .to.emit(verifier, "ForkLayoutAdded")
        .withArgs(1, forkSlot, shifted.validatorsGIndex, shifted.balancesGIndex, 40);

      const stateType = await shiftedStateType(1, 30);
      expect(BigInt(stateType.getPathInfo(["validators"]).gindex)).to.equal(shifted.validatorsGIndex);
      const { state: after, planted: plantedAfter } = await mainnetShapedState({
        validatorCount: VALIDATOR_COUNT,
        ours: 2,
        seed: "tidepool-next-fork",
        slot: Number(forkSlot),
        stateType,
      });
      const fields = {
        proposerIndex: 7n,
        parentRoot: hexlify(new Uint8Array(32)),
        bodyRoot: hexlify(new Uint8Array(32)),
      };
      const lastOld = headerFor(before, { slot: forkSlot - 1n, ...fields });
      const firstNew = headerFor(after, { slot: forkSlot, ...fields });
      const tOld = await writeBeaconRoot(headerRoot(lastOld));
      const tNew = await writeBeaconRoot(headerRoot(firstNew));

      const oldProof = await buildValidatorProof(before, layout, plantedBefore[0].index);
      const newProof = await buildValidatorProof(after, shifted, plantedAfter[0].index);
      await verifier.verifyValidator(tOld, lastOld, oldProof.validatorIndex, oldProof.validator, oldProof.proof);
      await verifier.verifyValidator(tNew, firstNew, newProof.validatorIndex, newProof.validator, newProof.proof);
      const newBalance = await buildBalanceProof(after, shifted, plantedAfter[1].index);
      expect(
        await verifier.verifyBalance(
          tNew,
          firstNew,
          newBalance.validatorIndex,
          newBalance.balancesChunk,
          newBalance.proof,
        ),
      ).to.equal(plantedAfter[1].balanceGwei);

      // The old layout's proof for the new slot's state, and the new one's for the old slot: both fail.
      const wrongForNew = await buildValidatorProof(after, layout, plantedAfter[0].index).catch(() => undefined);
      expect(wrongForNew).to.equal(undefined, "the old layout does not even navigate the new state");
      // Read with depth 7 at the state level, the old proof has one list sibling fewer (20).
      const oldAtNew = verifier.verifyValidator(
        tNew,
        firstNew,
        oldProof.validatorIndex,
        oldProof.validator,
        oldProof.proof,
      );
      if (oldProof.validatorIndex >= 2n ** 20n) {
        await expect(oldAtNew)
          .to.be.revertedWithCustomError(verifier, "BeaconIndexOutOfRangeForDepth")
          .withArgs(oldProof.validatorIndex, 20);
      } else {
        await expect(oldAtNew).to.be.revertedWithCustomError(verifier, "BeaconProofInvalid");
      }
      await expect(
        verifier.verifyValidator(tOld, lastOld, newProof.validatorIndex, newProof.validator, newProof.proof),
      ).to.be.revertedWithCustomError(verifier, "BeaconProofInvalid");

      expect((await verifier.forkLayoutForSlot(forkSlot - 1n)).validatorsGIndex).to.equal(75n);
      expect((await verifier.forkLayoutForSlot(forkSlot)).validatorsGIndex).to.equal(140n);
      expect((await verifier.forkLayoutForSlot(ELECTRA_FROM_SLOT)).validatorsGIndex).to.equal(75n);
    });

    it("lets only FORK_SCHEDULE_ROLE append, ascending and in the future, within bounds", async function () {
      const { verifier, admin, stranger, genesisTimestamp } = await loadFixture(deployed);
      const now = await verifier.currentSlot();
      const entry = { fromSlot: now + 10n, validatorsGIndex: 75n, balancesGIndex: 76n, validatorsLimitDepth: 40 };
      const before = await verifier.forkSchedule();
      await expect(verifier.connect(stranger).addForkLayout(entry))
        .to.be.revertedWithCustomError(verifier, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, await verifier.FORK_SCHEDULE_ROLE());
      await expect(verifier.connect(admin).addForkLayout({ ...entry, fromSlot: ELECTRA_FROM_SLOT }))
        .to.be.revertedWithCustomError(verifier, "ForkScheduleNotAscending")
        .withArgs(ELECTRA_FROM_SLOT, ELECTRA_FROM_SLOT);
      // The current slot of the block that mines the call: its timestamp is pinned, as a slow run
      // (coverage) would otherwise cross a slot boundary between reading the slot and mining.
      const minedAt = (await time.latest()) + 1;
      const slotThen = (BigInt(minedAt) - genesisTimestamp) / 12n;
      await time.setNextBlockTimestamp(minedAt);
      await expect(verifier.connect(admin).addForkLayout({ ...entry, fromSlot: slotThen }))
        .to.be.revertedWithCustomError(verifier, "ForkScheduleNotInFuture")
        .withArgs(slotThen, slotThen);
      for (const bad of [
        { validatorsGIndex: 1n },
        { validatorsGIndex: 2n ** 32n },
        { balancesGIndex: 1n },
        { balancesGIndex: 2n ** 32n },
        { validatorsLimitDepth: 1 },
        { validatorsLimitDepth: 49 },
      ]) {
        const e = { ...entry, ...bad };
        await expect(verifier.connect(admin).addForkLayout(e))
          .to.be.revertedWithCustomError(verifier, "ForkLayoutInvalid")
          .withArgs(e.validatorsGIndex, e.balancesGIndex, e.validatorsLimitDepth);
      }
      expect(await verifier.forkSchedule()).to.deep.equal(before);
      await expect(verifier.connect(admin).addForkLayout(entry)).to.emit(verifier, "ForkLayoutAdded");
      await expect(verifier.connect(admin).addForkLayout(entry))
        .to.be.revertedWithCustomError(verifier, "ForkScheduleNotAscending")
        .withArgs(entry.fromSlot, entry.fromSlot);
      expect(await verifier.forkSchedule()).to.have.length(2);
    });

    it("counts slot 0 until genesis", async function () {
      const [admin] = await hre.ethers.getSigners();
      const latest = await hre.ethers.provider.getBlock("latest");
      const future = await hre.ethers.deployContract("BeaconProofVerifier", [
        admin.address,
        latest!.timestamp + 1000,
        12,
        0,
      ]);
      expect(await future.currentSlot()).to.equal(0n);
    });

    it("counts slots of the length it was built with (2 s on a devnet), and refuses zero with ZeroSecondsPerSlot", async function () {
      const [admin] = await hre.ethers.getSigners();
      const genesis = (await time.latest()) + 1000;
      const devnet = await hre.ethers.deployContract("BeaconProofVerifier", [admin.address, genesis, 2, 0]);
      expect(await devnet.SECONDS_PER_SLOT()).to.equal(2n);
      await time.increaseTo(genesis + 65);
      expect(await devnet.currentSlot()).to.equal(32n);
      const factory = await hre.ethers.getContractFactory("BeaconProofVerifier");
      await expect(factory.deploy(admin.address, genesis, 0, 0)).to.be.revertedWithCustomError(
        factory,
        "ZeroSecondsPerSlot",
      );
    });
  });

  it("is a view: a consumer that acts on a proof must refuse replays itself", async function () {
    const { verifier } = await loadFixture(deployed);
    const fragment = verifier.interface.getFunction("verifyValidator");
    expect(fragment.stateMutability).to.equal("view");
  });
});
