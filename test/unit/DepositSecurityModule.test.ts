import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import {
  MaxUint256,
  TypedDataEncoder,
  ZeroAddress,
  ZeroHash,
  getAddress,
  id,
  parseEther,
  toBeHex,
  toUtf8Bytes,
  keccak256,
} from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployTidepoolUnlimited, type TidepoolFixture } from "../helpers/fixtures";
import {
  ATTESTATION_TYPES,
  DEFAULT_MAX_ATTESTATION_AGE,
  DEPOSIT_SIZE,
  attest,
  attestationHash,
  dsmDomain,
  protocolSnapshot,
  recoverCompact,
  signAttestationIn,
  type Eip712Domain,
} from "../helpers/validators-fixtures";
import { registerOperator } from "../../offchain/operators/register";
import { signAttestation, type Attestation, type GuardianSignature } from "../../offchain/guardians/attestations";
import { GENESIS_FORK_VERSIONS, signDeposit, testSecretKey } from "../../offchain/keys/bls";
import { withdrawalCredentialsFor } from "../../offchain/keys/deposit";
import type { DepositSecurityModule } from "../../typechain-types";

// ──────────────────────────────── Constants ────────────────────────────────

const MAX_GUARDIANS = 16n;
const ATTESTATION_TYPE =
  "DepositAttestation(bytes32 depositRoot,uint256 keysNonce,uint256 blockNumber,bytes32 blockHash)";
/** secp256k1 group order. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

// ──────────────────────────────── Fixtures ────────────────────────────────

interface DsmFixture extends TidepoolFixture {
  alice: HardhatEthersSigner; // operator A = 0 (op-a): 8 vetted keys, 16 ETH bond
  bob: HardhatEthersSigner; // operator B = 1 (op-b): 4 vetted keys, 8 ETH bond
  staker: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  guardian2: HardhatEthersSigner; // a guardian candidate
  guardian3: HardhatEthersSigner; // a guardian candidate
}

const A = 0n;
const B = 1n;

/** Unlimited staking, 300 ETH staked, two operators ready for deposits; the deployment's one guardian. */
async function dsmFixture(): Promise<DsmFixture> {
  const f = await loadFixture(deployTidepoolUnlimited);
  const [alice, bob, staker, stranger, guardian2, guardian3] = f.users;
  await f.pool.connect(staker).stake(ZeroAddress, { value: parseEther("300") });
  await registerOperator(f.registry, f.pool, f.admin, {
    name: "op-a",
    rewardAddress: alice,
    keys: 8,
    bondWei: parseEther("16"),
  });
  await registerOperator(f.registry, f.pool, f.admin, {
    name: "op-b",
    rewardAddress: bob,
    keys: 4,
    bondWei: parseEther("8"),
  });
  return { ...f, alice, bob, staker, stranger, guardian2, guardian3 };
}

/** As {dsmFixture} with three guardians and a quorum of 2. */
async function threeGuardiansFixture(): Promise<DsmFixture> {
  const f = await dsmFixture();
  await f.dsm.connect(f.admin).addGuardian(f.guardian2.address, 2);
  await f.dsm.connect(f.admin).addGuardian(f.guardian3.address, 2);
  return f;
}

// ──────────────────────────────── Helpers ────────────────────────────────

/** `signers` sorted by address, ascending (the order the module requires). */
function sortedByAddress(signers: HardhatEthersSigner[]): HardhatEthersSigner[] {
  return [...signers].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
}

/** The guardian's signature over `attestation` under the module's own domain. */
async function signedBy(
  f: DsmFixture,
  attestation: Attestation,
  signer: HardhatEthersSigner,
): Promise<GuardianSignature> {
  return signAttestationIn(await dsmDomain(f), attestation, signer);
}

/** An attestation of the latest block with its fields overridden. */
async function attestationWith(f: DsmFixture, overrides: Partial<Attestation>): Promise<Attestation> {
  const { attestation } = await attest(f, []);
  return { ...attestation, ...overrides };
}

/**
 * Expects `depositBufferedEther(A, 1, …)` to revert with `error(args)` from the module and to change
 * nothing in the pool, the deposit contract or the registry.
 */
async function expectRejected(
  f: DsmFixture,
  attestation: Attestation,
  signatures: GuardianSignature[],
  error: string,
  args: unknown[],
  dsm: DepositSecurityModule = f.dsm,
): Promise<void> {
  const before = await protocolSnapshot(f);
  await expect(dsm.connect(f.stranger).depositBufferedEther(A, 1, attestation, signatures))
    .to.be.revertedWithCustomError(dsm, error)
    .withArgs(...args);
  expect(await protocolSnapshot(f)).to.deep.equal(before);
}

/** A direct 1 ETH deposit to the deposit contract for a key no operator registered. */
async function outsiderDeposit(f: DsmFixture): Promise<void> {
  const signed = signDeposit(
    testSecretKey("outsider", 0),
    withdrawalCredentialsFor(f.stranger.address),
    GENESIS_FORK_VERSIONS.mainnet,
  );
  await f.depositContract
    .connect(f.stranger)
    .deposit(signed.pubkey, signed.withdrawalCredentials, signed.signature, signed.depositDataRoot, {
      value: DEPOSIT_SIZE,
    });
}

// ──────────────────────────────── Tests ────────────────────────────────

describe("DepositSecurityModule", function () {
  describe("deployment", function () {
    it("is wired to the pool, the deposit contract and the registry, with one guardian and quorum 1", async function () {
      const f = await loadFixture(dsmFixture);
      expect(await f.dsm.POOL()).to.equal(f.poolAddress);
      expect(await f.dsm.DEPOSIT_CONTRACT()).to.equal(await f.depositContract.getAddress());
      expect(await f.dsm.REGISTRY()).to.equal(await f.registry.getAddress());
      expect(await f.pool.DEPOSIT_SECURITY_MODULE()).to.equal(await f.dsm.getAddress());
      expect(await f.dsm.getGuardians()).to.deep.equal([f.guardian.address]);
      expect(await f.dsm.isGuardian(f.guardian.address)).to.equal(true);
      expect(await f.dsm.isGuardian(f.stranger.address)).to.equal(false);
      expect(await f.dsm.quorum()).to.equal(1n);
      expect(await f.dsm.maxAttestationAgeBlocks()).to.equal(DEFAULT_MAX_ATTESTATION_AGE);
      expect(await f.dsm.MAX_GUARDIANS()).to.equal(MAX_GUARDIANS);
      expect(await f.dsm.ATTESTATION_TYPEHASH()).to.equal(keccak256(toUtf8Bytes(ATTESTATION_TYPE)));
      expect(await f.dsm.hasRole(ZeroHash, f.admin.address)).to.equal(true);
    });

    it("rejects a zero admin and an attestation age limit outside 1 to 256 at construction", async function () {
      const f = await loadFixture(dsmFixture);
      const factory = await ethers.getContractFactory("DepositSecurityModule");
      const peers = [f.poolAddress, await f.depositContract.getAddress(), await f.registry.getAddress()] as const;
      await expect(factory.deploy(...peers, ZeroAddress, 25))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("admin");
      await expect(factory.deploy(...peers, f.admin.address, 0))
        .to.be.revertedWithCustomError(factory, "InvalidMaxAttestationAge")
        .withArgs(0);
      await expect(factory.deploy(...peers, f.admin.address, 257))
        .to.be.revertedWithCustomError(factory, "InvalidMaxAttestationAge")
        .withArgs(257);
    });
  });

  describe("guardian management", function () {
    it("adds guardians and sets the quorum", async function () {
      const f = await loadFixture(dsmFixture);
      await expect(f.dsm.connect(f.admin).addGuardian(f.guardian2.address, 2))
        .to.emit(f.dsm, "GuardianAdded")
        .withArgs(f.guardian2.address)
        .and.to.emit(f.dsm, "QuorumSet")
        .withArgs(2);
      await expect(f.dsm.connect(f.admin).addGuardian(f.guardian3.address, 1))
        .to.emit(f.dsm, "GuardianAdded")
        .withArgs(f.guardian3.address)
        .and.to.emit(f.dsm, "QuorumSet")
        .withArgs(1);
      expect(await f.dsm.getGuardians()).to.deep.equal([f.guardian.address, f.guardian2.address, f.guardian3.address]);
      expect(await f.dsm.isGuardian(f.guardian3.address)).to.equal(true);
      expect(await f.dsm.quorum()).to.equal(1n);
    });

    it("rejects a zero, duplicate or over-quorum guardian addition and keeps the set", async function () {
      const f = await loadFixture(dsmFixture);
      await expect(f.dsm.connect(f.admin).addGuardian(ZeroAddress, 1))
        .to.be.revertedWithCustomError(f.dsm, "ZeroAddress")
        .withArgs("guardian");
      await expect(f.dsm.connect(f.admin).addGuardian(f.guardian.address, 1))
        .to.be.revertedWithCustomError(f.dsm, "DuplicateGuardian")
        .withArgs(f.guardian.address);
      await expect(f.dsm.connect(f.admin).addGuardian(f.guardian2.address, 0))
        .to.be.revertedWithCustomError(f.dsm, "InvalidQuorum")
        .withArgs(0, 2);
      await expect(f.dsm.connect(f.admin).addGuardian(f.guardian2.address, 3))
        .to.be.revertedWithCustomError(f.dsm, "InvalidQuorum")
        .withArgs(3, 2);
      expect(await f.dsm.getGuardians()).to.deep.equal([f.guardian.address]);
      expect(await f.dsm.isGuardian(f.guardian2.address)).to.equal(false);
      expect(await f.dsm.quorum()).to.equal(1n);
    });

    it("holds at most 16 guardians", async function () {
      const f = await loadFixture(dsmFixture);
      const extra = Array.from({ length: 15 }, (_, i) => getAddress(toBeHex(0x1000n + BigInt(i), 20)));
      for (const g of extra) await f.dsm.connect(f.admin).addGuardian(g, 1);
      expect(await f.dsm.getGuardians()).to.have.lengthOf(16);
      const seventeenth = getAddress(toBeHex(0x2000n, 20));
      await expect(f.dsm.connect(f.admin).addGuardian(seventeenth, 1))
        .to.be.revertedWithCustomError(f.dsm, "TooManyGuardians")
        .withArgs(MAX_GUARDIANS);
      await f.dsm.connect(f.admin).setQuorum(16); // a quorum of all 16 is valid
    });

    it("removes a guardian by moving the last one into its place and sets the quorum", async function () {
      const f = await loadFixture(threeGuardiansFixture);
      await expect(f.dsm.connect(f.admin).removeGuardian(f.guardian.address, 1))
        .to.emit(f.dsm, "GuardianRemoved")
        .withArgs(f.guardian.address)
        .and.to.emit(f.dsm, "QuorumSet")
        .withArgs(1);
      expect(await f.dsm.getGuardians()).to.deep.equal([f.guardian3.address, f.guardian2.address]);
      expect(await f.dsm.isGuardian(f.guardian.address)).to.equal(false);
      expect(await f.dsm.quorum()).to.equal(1n);
      // A removed guardian can be added back.
      await f.dsm.connect(f.admin).addGuardian(f.guardian.address, 3);
      expect(await f.dsm.getGuardians()).to.deep.equal([f.guardian3.address, f.guardian2.address, f.guardian.address]);
    });

    it("rejects removing a non-guardian, a quorum above the guardians left, and removing the last guardian", async function () {
      const f = await loadFixture(threeGuardiansFixture);
      await expect(f.dsm.connect(f.admin).removeGuardian(f.stranger.address, 1))
        .to.be.revertedWithCustomError(f.dsm, "NotGuardian")
        .withArgs(f.stranger.address);
      await expect(f.dsm.connect(f.admin).removeGuardian(f.guardian2.address, 3))
        .to.be.revertedWithCustomError(f.dsm, "InvalidQuorum")
        .withArgs(3, 2);
      await expect(f.dsm.connect(f.admin).removeGuardian(f.guardian2.address, 0))
        .to.be.revertedWithCustomError(f.dsm, "InvalidQuorum")
        .withArgs(0, 2);
      await f.dsm.connect(f.admin).removeGuardian(f.guardian2.address, 1);
      await f.dsm.connect(f.admin).removeGuardian(f.guardian3.address, 1);
      await expect(f.dsm.connect(f.admin).removeGuardian(f.guardian.address, 1))
        .to.be.revertedWithCustomError(f.dsm, "InvalidQuorum")
        .withArgs(1, 0);
      expect(await f.dsm.getGuardians()).to.deep.equal([f.guardian.address]);
    });

    it("sets the quorum between 1 and the number of guardians", async function () {
      const f = await loadFixture(threeGuardiansFixture);
      await expect(f.dsm.connect(f.admin).setQuorum(3)).to.emit(f.dsm, "QuorumSet").withArgs(3);
      expect(await f.dsm.quorum()).to.equal(3n);
      await expect(f.dsm.connect(f.admin).setQuorum(0))
        .to.be.revertedWithCustomError(f.dsm, "InvalidQuorum")
        .withArgs(0, 3);
      await expect(f.dsm.connect(f.admin).setQuorum(4))
        .to.be.revertedWithCustomError(f.dsm, "InvalidQuorum")
        .withArgs(4, 3);
      expect(await f.dsm.quorum()).to.equal(3n);
    });

    it("sets the attestation age limit between 1 and 256 blocks", async function () {
      const f = await loadFixture(dsmFixture);
      for (const blocks of [1n, 256n]) {
        await expect(f.dsm.connect(f.admin).setMaxAttestationAge(blocks))
          .to.emit(f.dsm, "MaxAttestationAgeSet")
          .withArgs(blocks);
        expect(await f.dsm.maxAttestationAgeBlocks()).to.equal(blocks);
      }
      for (const blocks of [0n, 257n]) {
        await expect(f.dsm.connect(f.admin).setMaxAttestationAge(blocks))
          .to.be.revertedWithCustomError(f.dsm, "InvalidMaxAttestationAge")
          .withArgs(blocks);
      }
      expect(await f.dsm.maxAttestationAgeBlocks()).to.equal(256n);
    });

    it("leaves every setting to the admin alone", async function () {
      const f = await loadFixture(dsmFixture);
      for (const caller of [f.guardian, f.pauser, f.stranger]) {
        const dsm = f.dsm.connect(caller);
        const calls = [
          () => dsm.addGuardian(f.guardian2.address, 1),
          () => dsm.removeGuardian(f.guardian.address, 1),
          () => dsm.setQuorum(1),
          () => dsm.setMaxAttestationAge(10),
        ];
        for (const call of calls) {
          await expect(call())
            .to.be.revertedWithCustomError(f.dsm, "AccessControlUnauthorizedAccount")
            .withArgs(caller.address, ZeroHash);
        }
      }
    });
  });

  describe("attestationDigest", function () {
    it("is the EIP-712 hash of the attestation under the module's domain", async function () {
      const f = await loadFixture(dsmFixture);
      const domain = await dsmDomain(f);
      const { chainId } = await ethers.provider.getNetwork();
      expect(domain).to.deep.equal({
        name: "Tidepool Deposit Security",
        version: "1",
        chainId,
        verifyingContract: await f.dsm.getAddress(),
      });
      const { attestation } = await attest(f, []);
      const samples: Attestation[] = [
        attestation,
        { depositRoot: id("root"), keysNonce: MaxUint256, blockNumber: 0n, blockHash: ZeroHash },
        { depositRoot: ZeroHash, keysNonce: 7n, blockNumber: 123_456n, blockHash: id("hash") },
      ];
      for (const a of samples) {
        expect(await f.dsm.attestationDigest(a)).to.equal(TypedDataEncoder.hash(domain, ATTESTATION_TYPES, a));
      }
      // Every field is bound.
      const digests = new Set([
        await f.dsm.attestationDigest(attestation),
        await f.dsm.attestationDigest({ ...attestation, depositRoot: id("other") }),
        await f.dsm.attestationDigest({ ...attestation, keysNonce: BigInt(attestation.keysNonce) + 1n }),
        await f.dsm.attestationDigest({ ...attestation, blockNumber: BigInt(attestation.blockNumber) - 1n }),
        await f.dsm.attestationDigest({ ...attestation, blockHash: id("other") }),
      ]);
      expect(digests.size).to.equal(5);
    });
  });

  describe("depositBufferedEther", function () {
    it("deposits with a fresh attestation signed by the guardian, whoever submits it", async function () {
      const f = await loadFixture(dsmFixture);
      const { attestation, signatures } = await attest(f);
      await expect(f.dsm.connect(f.stranger).depositBufferedEther(A, 2, attestation, signatures))
        .to.emit(f.pool, "ValidatorsDeposited")
        .withArgs(A, 2, 2n * DEPOSIT_SIZE)
        .and.to.emit(f.registry, "KeysDeposited")
        .withArgs(A, 0, 2);
    });

    describe("signatures", function () {
      it("rejects fewer signatures than the quorum", async function () {
        const f = await loadFixture(threeGuardiansFixture);
        const { attestation, signatures } = await attest(f, [f.guardian2]);
        await expectRejected(f, attestation, [], "NotEnoughSignatures", [0, 2]);
        await expectRejected(f, attestation, signatures, "NotEnoughSignatures", [1, 2]);
      });

      it("rejects an empty signature list with quorum 1", async function () {
        const f = await loadFixture(dsmFixture);
        const { attestation } = await attest(f, []);
        await expectRejected(f, attestation, [], "NotEnoughSignatures", [0, 1]);
      });

      it("rejects a signature by a non-guardian, alone or next to a guardian's", async function () {
        const f = await loadFixture(dsmFixture);
        const { attestation } = await attest(f, []);
        const strangers = await signedBy(f, attestation, f.stranger);
        await expectRejected(f, attestation, [strangers], "NotGuardian", [f.stranger.address]);
        const both = await signAttestation(f.dsm, attestation, [f.guardian, f.stranger]);
        await expectRejected(f, attestation, both, "NotGuardian", [f.stranger.address]);
      });

      it("rejects the signature of a removed guardian", async function () {
        const f = await loadFixture(threeGuardiansFixture);
        await f.dsm.connect(f.admin).removeGuardian(f.guardian.address, 1);
        const { attestation, signatures } = await attest(f, [f.guardian]);
        await expectRejected(f, attestation, signatures, "NotGuardian", [f.guardian.address]);
      });

      it("rejects a duplicated signature", async function () {
        const f = await loadFixture(dsmFixture);
        const { attestation, signatures } = await attest(f);
        await expectRejected(f, attestation, [signatures[0], signatures[0]], "SignersNotSorted", [
          f.guardian.address,
          f.guardian.address,
        ]);
      });

      it("rejects signatures not sorted by signer", async function () {
        const f = await loadFixture(threeGuardiansFixture);
        const { attestation, signatures } = await attest(f, [f.guardian2, f.guardian3]);
        const [low, high] = sortedByAddress([f.guardian2, f.guardian3]);
        await expectRejected(f, attestation, [signatures[1], signatures[0]], "SignersNotSorted", [
          high.address,
          low.address,
        ]);
      });

      it("accepts 2 of 3 guardians, sorted, with quorum 2 (and all 3)", async function () {
        const f = await loadFixture(threeGuardiansFixture);
        for (const pair of [
          [f.guardian2, f.guardian3],
          [f.guardian, f.guardian3],
        ]) {
          const { attestation, signatures } = await attest(f, pair);
          expect(signatures).to.have.lengthOf(2);
          const operatorId = (await f.registry.depositableKeys(A)) > 0n ? A : B;
          await expect(f.dsm.depositBufferedEther(operatorId, 1, attestation, signatures))
            .to.emit(f.pool, "ValidatorsDeposited")
            .withArgs(operatorId, 1, DEPOSIT_SIZE);
        }
        const { attestation, signatures } = await attest(f, [f.guardian, f.guardian2, f.guardian3]);
        await expect(f.dsm.depositBufferedEther(B, 1, attestation, signatures)).to.emit(f.pool, "ValidatorsDeposited");
        expect((await f.pool.getBeaconStat())[0]).to.equal(3n);
      });

      it("rejects an attestation signed for another chain id, recovering another signer", async function () {
        const f = await loadFixture(dsmFixture);
        const domain = await dsmDomain(f);
        const { attestation } = await attest(f, []);
        const foreign: Eip712Domain = { ...domain, chainId: 1n };
        const signature = await signAttestationIn(foreign, attestation, f.guardian);
        const recovered = recoverCompact(attestationHash(domain, attestation), signature);
        expect(recovered).to.not.equal(f.guardian.address);
        // It is the guardian's signature, for the other chain.
        expect(recoverCompact(attestationHash(foreign, attestation), signature)).to.equal(f.guardian.address);
        await expectRejected(f, attestation, [signature], "NotGuardian", [recovered]);
      });

      it("rejects an attestation signed for another module, recovering another signer", async function () {
        const f = await loadFixture(dsmFixture);
        const other = await (
          await ethers.getContractFactory("DepositSecurityModule")
        ).deploy(
          f.poolAddress,
          await f.depositContract.getAddress(),
          await f.registry.getAddress(),
          f.admin.address,
          25,
        );
        await other.connect(f.admin).addGuardian(f.guardian.address, 1);
        const { attestation } = await attest(f, []);
        const signatures = await signAttestation(other, attestation, [f.guardian]);
        const recovered = recoverCompact(attestationHash(await dsmDomain(f), attestation), signatures[0]);
        expect(recovered).to.not.equal(f.guardian.address);
        await expectRejected(f, attestation, signatures, "NotGuardian", [recovered]);
        // On the module it was signed for, the signature passes, and the pool refuses that module.
        await expect(other.depositBufferedEther(A, 1, attestation, signatures))
          .to.be.revertedWithCustomError(f.pool, "CallerNotDepositSecurityModule")
          .withArgs(await other.getAddress());
      });

      it("rejects a zero signature and one whose s lies in the upper half of the curve order", async function () {
        const f = await loadFixture(dsmFixture);
        const { attestation, signatures } = await attest(f);
        const before = await protocolSnapshot(f);
        await expect(
          f.dsm.depositBufferedEther(A, 1, attestation, [{ r: ZeroHash, vs: ZeroHash }]),
        ).to.be.revertedWithCustomError(f.dsm, "ECDSAInvalidSignature");
        const highS = SECP256K1_N / 2n + 1n; // below 2^255, so a compact signature can carry it
        await expect(f.dsm.depositBufferedEther(A, 1, attestation, [{ r: signatures[0].r, vs: toBeHex(highS, 32) }]))
          .to.be.revertedWithCustomError(f.dsm, "ECDSAInvalidSignatureS")
          .withArgs(toBeHex(highS, 32));
        expect(await protocolSnapshot(f)).to.deep.equal(before);
        await f.dsm.depositBufferedEther(A, 1, attestation, signatures);
      });
    });

    describe("attested block", function () {
      it("accepts an attestation exactly maxAttestationAgeBlocks old", async function () {
        const f = await loadFixture(dsmFixture);
        const { attestation, signatures } = await attest(f);
        await mine(DEFAULT_MAX_ATTESTATION_AGE - 1n); // the deposit lands 25 blocks after the attested one
        const tx = await f.dsm.depositBufferedEther(A, 1, attestation, signatures);
        const receipt = await tx.wait();
        expect(BigInt(receipt?.blockNumber ?? 0)).to.equal(
          BigInt(attestation.blockNumber) + DEFAULT_MAX_ATTESTATION_AGE,
        );
        await expect(tx).to.emit(f.pool, "ValidatorsDeposited").withArgs(A, 1, DEPOSIT_SIZE);
      });

      it("rejects an attestation one block older than maxAttestationAgeBlocks", async function () {
        const f = await loadFixture(dsmFixture);
        const { attestation, signatures } = await attest(f);
        await mine(DEFAULT_MAX_ATTESTATION_AGE);
        await expectRejected(f, attestation, signatures, "StaleAttestation", [
          attestation.blockNumber,
          attestation.blockHash,
        ]);
      });

      it("follows a changed age limit", async function () {
        const f = await loadFixture(dsmFixture);
        await f.dsm.connect(f.admin).setMaxAttestationAge(1);
        const { attestation, signatures } = await attest(f);
        await mine(1);
        await expectRejected(f, attestation, signatures, "StaleAttestation", [
          attestation.blockNumber,
          attestation.blockHash,
        ]);
      });

      it("rejects a wrong hash for the attested block, and another block's hash", async function () {
        const f = await loadFixture(dsmFixture);
        const fake = await attestationWith(f, { blockHash: id("not this block") });
        await expectRejected(f, fake, [await signedBy(f, fake, f.guardian)], "StaleAttestation", [
          fake.blockNumber,
          fake.blockHash,
        ]);
        const latest = await ethers.provider.getBlock("latest");
        const parent = latest?.parentHash ?? ZeroHash;
        const wrong = await attestationWith(f, { blockHash: parent });
        await expectRejected(f, wrong, [await signedBy(f, wrong, f.guardian)], "StaleAttestation", [
          wrong.blockNumber,
          parent,
        ]);
      });

      it("rejects an attestation of the current block, whose hash is not known yet", async function () {
        const f = await loadFixture(dsmFixture);
        const current = BigInt(await ethers.provider.getBlockNumber()) + 1n; // the block the deposit lands in
        for (const blockHash of [ZeroHash, id("guess")]) {
          const a = await attestationWith(f, { blockNumber: current, blockHash });
          await expectRejected(f, a, [await signedBy(f, a, f.guardian)], "StaleAttestation", [current, blockHash]);
        }
      });

      it("rejects an attestation of a future block", async function () {
        const f = await loadFixture(dsmFixture);
        const future = BigInt(await ethers.provider.getBlockNumber()) + 10n;
        const a = await attestationWith(f, { blockNumber: future, blockHash: ZeroHash });
        await expectRejected(f, a, [await signedBy(f, a, f.guardian)], "StaleAttestation", [future, ZeroHash]);
      });

      it("rejects as stale an attestation of an impossible block number", async function () {
        const f = await loadFixture(dsmFixture);
        const a = await attestationWith(f, { blockNumber: MaxUint256, blockHash: id("far future") });
        await expectRejected(f, a, [await signedBy(f, a, f.guardian)], "StaleAttestation", [
          MaxUint256,
          id("far future"),
        ]);
      });
    });

    describe("deposit root and keys nonce", function () {
      it("rejects an attestation once any deposit reached the deposit contract", async function () {
        const f = await loadFixture(dsmFixture);
        const { attestation, signatures } = await attest(f);
        await outsiderDeposit(f);
        const current = await f.depositContract.get_deposit_root();
        expect(current).to.not.equal(attestation.depositRoot);
        await expectRejected(f, attestation, signatures, "DepositRootChanged", [attestation.depositRoot, current]);
      });

      it("rejects a replayed attestation: the first deposit moved the root", async function () {
        const f = await loadFixture(dsmFixture);
        const { attestation, signatures } = await attest(f);
        await f.dsm.depositBufferedEther(A, 1, attestation, signatures);
        const current = await f.depositContract.get_deposit_root();
        const before = await protocolSnapshot(f);
        await expect(f.dsm.depositBufferedEther(B, 1, attestation, signatures))
          .to.be.revertedWithCustomError(f.dsm, "DepositRootChanged")
          .withArgs(attestation.depositRoot, current);
        expect(await protocolSnapshot(f)).to.deep.equal(before);
      });

      /** Deposits one validator to A through the module and checks where the 32 ETH went, to the wei. */
      async function expectDepositToA(f: DsmFixture, attestation: Attestation, signatures: GuardianSignature[]) {
        const buffered = await f.pool.bufferedEther();
        const tx = f.dsm.connect(f.stranger).depositBufferedEther(A, 1, attestation, signatures);
        await expect(tx).to.emit(f.registry, "KeysDeposited").withArgs(A, 0, 1);
        await expect(tx).to.changeEtherBalances([f.poolAddress, f.depositContract], [-DEPOSIT_SIZE, DEPOSIT_SIZE]);
        expect(await f.pool.bufferedEther()).to.equal(buffered - DEPOSIT_SIZE);
        expect((await f.registry.getNodeOperator(A)).depositedKeys).to.equal(1n);
      }

      it("keeps an attestation valid when another operator uploads or removes keys: neither adds a vetted key", async function () {
        const f = await loadFixture(dsmFixture);
        const { attestation, signatures } = await attest(f);
        const signed = signDeposit(
          testSecretKey("op-b", 4),
          await f.pool.withdrawalCredentials(),
          GENESIS_FORK_VERSIONS.mainnet,
        );
        await f.registry.connect(f.bob).addSigningKeys(B, 1, signed.pubkey, signed.signature); // unvetted
        await f.registry.connect(f.bob).removeSigningKeys(B, 1, 2); // vetted keys shrink to key 0
        expect(await f.registry.keysNonce()).to.equal(attestation.keysNonce);
        expect((await f.registry.getNodeOperator(B)).vettedKeys).to.equal(1n);
        await expectDepositToA(f, attestation, signatures);
      });

      it("keeps an attestation valid when a deactivated operator removes its keys: the deposit to another operator goes through", async function () {
        const f = await loadFixture(dsmFixture);
        await f.registry.connect(f.admin).setNodeOperatorActive(B, false);
        const { attestation, signatures } = await attest(f);
        // B, out of the line, removes its keys one call at a time, as fast as it likes.
        for (const from of [3n, 2n, 1n, 0n]) await f.registry.connect(f.bob).removeSigningKeys(B, from, 1);
        const b = await f.registry.getNodeOperator(B);
        expect([b.active, b.totalKeys, b.vettedKeys]).to.deep.equal([false, 0n, 0n]);
        expect(await f.registry.keysNonce()).to.equal(attestation.keysNonce);
        await expectDepositToA(f, attestation, signatures);
      });

      it("rejects an attestation once governance changed an operator's vetted keys", async function () {
        const f = await loadFixture(dsmFixture);
        const { attestation, signatures } = await attest(f);
        await f.registry.connect(f.admin).setVettedKeys(B, 2, await f.registry.operatorKeysNonce(B));
        const nonce = BigInt(attestation.keysNonce);
        await expectRejected(f, attestation, signatures, "KeysNonceChanged", [nonce, nonce + 1n]);
      });
    });
  });
});
