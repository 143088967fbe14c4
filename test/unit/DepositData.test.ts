import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { concat, getBytes, hexlify, sha256 } from "ethers";
import { PublicKey, Signature } from "@chainsafe/blst";
import { computeDepositDataRoot, littleEndian64, type DepositData } from "../../offchain/keys/deposit";
import {
  GENESIS_FORK_VERSIONS,
  depositDomain,
  depositMessageRoot,
  depositSigningRoot,
  testKeyBatch,
  testSecretKey,
  verifyDepositSignature,
} from "../../offchain/keys/bls";
import { beaconSsz, sszDepositDataRoot, toSszDepositData } from "../helpers/beacon-ssz";
import { DEPOSIT_DOMAINS, MAINNET_DEPOSIT_VECTOR as V } from "../helpers/beacon-vectors";
import { BeaconRandom, signDepositOfAmount } from "../helpers/beacon-deposits";

const U64_MAX = (1n << 64n) - 1n;

/** `bytes` with one bit of byte `index` flipped. */
function flipByte(bytes: string, index: number): string {
  const b = getBytes(bytes).slice();
  b[index] ^= 0x01;
  return hexlify(b);
}

async function deployHarness() {
  const harness = await (await ethers.getContractFactory("DepositDataRoot__Harness")).deploy();
  return { harness };
}

/** The harness's root of a deposit (pubkey and signature as bytes, amount in gwei). */
async function onChainRoot(
  harness: Awaited<ReturnType<typeof deployHarness>>["harness"],
  d: DepositData,
): Promise<string> {
  return harness.compute(d.pubkey, d.withdrawalCredentials, d.amountGwei, d.signature);
}

describe("Deposit data (SSZ roots, BLS signatures)", function () {
  describe("the real mainnet deposit vector", function () {
    it("has the CLI's deposit_data_root on chain, in TypeScript and in @chainsafe/ssz", async function () {
      const { harness } = await loadFixture(deployHarness);
      const onChain = await onChainRoot(harness, V);
      const typescript = computeDepositDataRoot(V);
      const ssz = await sszDepositDataRoot(V);

      expect(onChain).to.equal(V.depositDataRoot);
      expect(typescript).to.equal(V.depositDataRoot);
      expect(ssz).to.equal(V.depositDataRoot);
    });

    it("has the CLI's deposit_message_root in TypeScript and in @chainsafe/ssz", async function () {
      const { DepositMessage } = await beaconSsz();
      const { pubkey, withdrawalCredentials, amount } = toSszDepositData(V);
      const message = { pubkey, withdrawalCredentials, amount };

      expect(depositMessageRoot(V)).to.equal(V.depositMessageRoot);
      expect(hexlify(DepositMessage.hashTreeRoot(message))).to.equal(V.depositMessageRoot);
    });

    it("changes its root when any field changes", async function () {
      const { harness } = await loadFixture(deployHarness);
      const variants: DepositData[] = [
        { ...V, pubkey: flipByte(V.pubkey, 47) },
        { ...V, withdrawalCredentials: flipByte(V.withdrawalCredentials, 31) },
        { ...V, amountGwei: V.amountGwei + 1n },
        { ...V, signature: flipByte(V.signature, 95) },
      ];
      for (const d of variants) {
        const ssz = await sszDepositDataRoot(d);
        expect(ssz).to.not.equal(V.depositDataRoot);
        expect(await onChainRoot(harness, d)).to.equal(ssz);
        expect(computeDepositDataRoot(d)).to.equal(ssz);
      }
    });

    it("carries a BLS signature that verifies for mainnet's genesis fork version", function () {
      expect(verifyDepositSignature(V, GENESIS_FORK_VERSIONS.mainnet)).to.equal(true);
    });

    it("carries a signature that does not verify for Hoodi's fork version", function () {
      expect(verifyDepositSignature(V, GENESIS_FORK_VERSIONS.hoodi)).to.equal(false);
    });

    it("fails verification when one byte of the signature or of the message is flipped", function () {
      // A flipped signature byte (usually not even a curve point) and a flipped message byte.
      for (const index of [0, 1, 47, 48, 95]) {
        expect(verifyDepositSignature({ ...V, signature: flipByte(V.signature, index) }, V.forkVersion)).to.equal(
          false,
        );
      }
      expect(verifyDepositSignature({ ...V, pubkey: flipByte(V.pubkey, 47) }, V.forkVersion)).to.equal(false);
      expect(
        verifyDepositSignature({ ...V, withdrawalCredentials: flipByte(V.withdrawalCredentials, 31) }, V.forkVersion),
      ).to.equal(false);
      expect(verifyDepositSignature({ ...V, amountGwei: V.amountGwei - 1n }, V.forkVersion)).to.equal(false);
    });
  });

  describe("the deposit signing domain", function () {
    it("is mainnet's and Hoodi's published DOMAIN_DEPOSIT", function () {
      expect(depositDomain(GENESIS_FORK_VERSIONS.mainnet)).to.equal(DEPOSIT_DOMAINS.mainnet);
      expect(depositDomain(GENESIS_FORK_VERSIONS.hoodi)).to.equal(DEPOSIT_DOMAINS.hoodi);
    });

    it("is DOMAIN_DEPOSIT followed by 28 bytes of the SSZ ForkData root, for every known network", async function () {
      const { ForkData } = await beaconSsz();
      for (const [network, version] of Object.entries(GENESIS_FORK_VERSIONS)) {
        const forkDataRoot = ForkData.hashTreeRoot({
          currentVersion: getBytes(version),
          genesisValidatorsRoot: new Uint8Array(32),
        });
        const expected = hexlify(concat(["0x03000000", forkDataRoot.slice(0, 28)]));
        expect(depositDomain(version), network).to.equal(expected);
      }
    });

    it("gives the signing root of SSZ SigningData(message root, domain)", async function () {
      const { SigningData } = await beaconSsz();
      const expected = hexlify(
        SigningData.hashTreeRoot({
          objectRoot: getBytes(V.depositMessageRoot),
          domain: getBytes(DEPOSIT_DOMAINS.mainnet),
        }),
      );
      expect(depositSigningRoot(V, GENESIS_FORK_VERSIONS.mainnet)).to.equal(expected);
    });
  });

  describe("toLittleEndian64", function () {
    const values: bigint[] = [
      0n,
      1n,
      0xffn,
      0x100n,
      1_000_000_000n,
      32_000_000_000n,
      0x0102030405060708n,
      1n << 32n,
      (1n << 63n) + 1n,
      U64_MAX - 1n,
      U64_MAX,
    ];

    it("equals the TypeScript littleEndian64 and SSZ's uint64 serialisation", async function () {
      const { harness } = await loadFixture(deployHarness);
      const { Uint64 } = await beaconSsz();
      for (const value of values) {
        const onChain = await harness.toLittleEndian64(value);
        expect(onChain, `value ${value}`).to.equal(hexlify(littleEndian64(value)));
        expect(onChain, `value ${value}`).to.equal(hexlify(Uint64.serialize(value)));
      }
    });

    it("puts the least significant byte first", async function () {
      const { harness } = await loadFixture(deployHarness);
      expect(await harness.toLittleEndian64(0n)).to.equal("0x0000000000000000");
      expect(await harness.toLittleEndian64(1n)).to.equal("0x0100000000000000");
      expect(await harness.toLittleEndian64(32_000_000_000n)).to.equal("0x0040597307000000");
      expect(await harness.toLittleEndian64(0x0102030405060708n)).to.equal("0x0807060504030201");
      expect(await harness.toLittleEndian64(U64_MAX)).to.equal("0xffffffffffffffff");
    });

    it("agrees with TypeScript for random 64-bit values", async function () {
      const { harness } = await loadFixture(deployHarness);
      const rng = new BeaconRandom("DepositData.test toLittleEndian64");
      for (let i = 0; i < 20; i++) {
        const value = rng.bigint(64);
        expect(await harness.toLittleEndian64(value), `value ${value}`).to.equal(hexlify(littleEndian64(value)));
      }
    });
  });

  describe("test keys", function () {
    const credentials = "0x010000000000000000000000" + "ab".repeat(20);

    it("are deterministic, distinct and valid BLS public keys", function () {
      const batch = testKeyBatch("DepositData.test", 0, 8, credentials);
      const again = testKeyBatch("DepositData.test", 0, 8, credentials);
      expect(again.pubkeys).to.equal(batch.pubkeys);
      expect(new Set(batch.deposits.map((d) => d.pubkey)).size).to.equal(8);
      expect(getBytes(batch.pubkeys).length).to.equal(8 * 48);
      expect(getBytes(batch.signatures).length).to.equal(8 * 96);
      for (const d of batch.deposits) {
        // fromBytes(…, true) checks the encoding, that the point is not infinity and is in the subgroup.
        const pk = PublicKey.fromBytes(getBytes(d.pubkey), true);
        expect(hexlify(pk.toBytes())).to.equal(d.pubkey);
        expect(() => Signature.fromBytes(getBytes(d.signature), true)).to.not.throw();
        expect(d.withdrawalCredentials).to.equal(credentials);
        expect(d.amountGwei).to.equal(32_000_000_000n);
      }
    });

    it("sign deposits that verify for the fork they were signed for and not for another", function () {
      const mainnet = testKeyBatch("DepositData.test", 0, 4, credentials, GENESIS_FORK_VERSIONS.mainnet);
      const hoodi = testKeyBatch("DepositData.test", 0, 4, credentials, GENESIS_FORK_VERSIONS.hoodi);
      for (let i = 0; i < 4; i++) {
        expect(hoodi.deposits[i].pubkey).to.equal(mainnet.deposits[i].pubkey);
        expect(hoodi.deposits[i].signature).to.not.equal(mainnet.deposits[i].signature);

        expect(verifyDepositSignature(mainnet.deposits[i], GENESIS_FORK_VERSIONS.mainnet)).to.equal(true);
        expect(verifyDepositSignature(mainnet.deposits[i], GENESIS_FORK_VERSIONS.hoodi)).to.equal(false);
        expect(verifyDepositSignature(hoodi.deposits[i], GENESIS_FORK_VERSIONS.hoodi)).to.equal(true);
        expect(verifyDepositSignature(hoodi.deposits[i], GENESIS_FORK_VERSIONS.mainnet)).to.equal(false);
        expect(verifyDepositSignature(hoodi.deposits[i], GENESIS_FORK_VERSIONS.holesky)).to.equal(false);
      }
    });

    it("do not verify under another key's public key", function () {
      const [a, b] = testKeyBatch("DepositData.test", 0, 2, credentials).deposits;
      expect(verifyDepositSignature({ ...a, pubkey: b.pubkey }, GENESIS_FORK_VERSIONS.mainnet)).to.equal(false);
    });

    it("carry a deposit_data_root equal to the on-chain and SSZ roots", async function () {
      const { harness } = await loadFixture(deployHarness);
      for (const d of testKeyBatch("DepositData.test", 100, 3, credentials).deposits) {
        const ssz = await sszDepositDataRoot(d);
        expect(d.depositDataRoot).to.equal(ssz);
        expect(await onChainRoot(harness, d)).to.equal(ssz);
      }
    });
  });

  describe("the on-chain root", function () {
    it("equals the TypeScript and SSZ roots for 20 random test keys, credentials and amounts", async function () {
      const { harness } = await loadFixture(deployHarness);
      const rng = new BeaconRandom("DepositData.test random deposits");
      for (let i = 0; i < 20; i++) {
        const secretKey = testSecretKey("DepositData.test random", rng.index(1_000_000));
        const credentials = rng.bytes(32);
        // Mostly arbitrary uint64 amounts, with the edges and 32 ETH mixed in.
        const amountGwei = [0n, U64_MAX, 32_000_000_000n][i] ?? rng.bigint(64);
        const d = signDepositOfAmount(secretKey, credentials, amountGwei, GENESIS_FORK_VERSIONS.mainnet);
        expect(verifyDepositSignature(d, GENESIS_FORK_VERSIONS.mainnet)).to.equal(true);

        const ssz = await sszDepositDataRoot(d);
        expect(computeDepositDataRoot(d), `deposit ${i}`).to.equal(ssz);
        expect(await onChainRoot(harness, d), `deposit ${i}`).to.equal(ssz);
      }
    });

    it("equals the TypeScript root for random bytes that are not keys at all", async function () {
      const { harness } = await loadFixture(deployHarness);
      const rng = new BeaconRandom("DepositData.test random bytes");
      for (let i = 0; i < 10; i++) {
        const d: DepositData = {
          pubkey: hexlify(rng.bytes(48)),
          withdrawalCredentials: hexlify(rng.bytes(32)),
          amountGwei: rng.bigint(64),
          signature: hexlify(rng.bytes(96)),
        };
        expect(await onChainRoot(harness, d), `deposit ${i}`).to.equal(computeDepositDataRoot(d));
        expect(computeDepositDataRoot(d), `deposit ${i}`).to.equal(await sszDepositDataRoot(d));
      }
    });

    it("is sha256 of the two SSZ subtrees, as the spec lays them out", function () {
      // One level spelled out by hand, independent of both implementations' helpers.
      const pubkeyRoot = sha256(concat([V.pubkey, new Uint8Array(16)]));
      const sig = getBytes(V.signature);
      const signatureRoot = sha256(
        concat([sha256(sig.slice(0, 64)), sha256(concat([sig.slice(64, 96), new Uint8Array(32)]))]),
      );
      const amountChunk = concat(["0x0040597307000000", new Uint8Array(24)]);
      const root = sha256(
        concat([sha256(concat([pubkeyRoot, V.withdrawalCredentials])), sha256(concat([amountChunk, signatureRoot]))]),
      );
      expect(root).to.equal(V.depositDataRoot);
    });
  });
});
