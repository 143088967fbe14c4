import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, setBalance } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash, getBytes, hexlify, id, parseEther, toBeHex, type BytesLike } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { computeDepositDataRoot, littleEndian64, withdrawalCredentialsFor } from "../../offchain/keys/deposit";
import { GENESIS_FORK_VERSIONS, testSecretKey, type SignedDeposit } from "../../offchain/keys/bls";
import { sszDepositTreeRoot } from "../helpers/beacon-ssz";
import { BeaconRandom, GWEI, signDepositOfAmount } from "../helpers/beacon-deposits";
import type { DepositContract } from "../../typechain-types";

const ONE_ETH_GWEI = 1_000_000_000n;
const U64_MAX = (1n << 64n) - 1n;
/** The root of an empty deposit tree: the mainnet contract's root before its first deposit. */
const EMPTY_DEPOSIT_ROOT = "0xd70a234731285c6804c2a4f56711ddb8c82c99740f207854891028af34e27e5e";
/** The storage slot of the deposit count: after `_branch[32]` and `_zeroHashes[32]`. */
const DEPOSIT_COUNT_SLOT = 64n;

/** ERC-165 id of an interface: the XOR of its functions' selectors. */
function interfaceId(signatures: string[]): string {
  const x = signatures.reduce((acc, s) => acc ^ BigInt(id(s).slice(0, 10)), 0n);
  return toBeHex(x, 4);
}

/** `n` bytes of 0xab. */
function filler(n: number): string {
  return hexlify(new Uint8Array(n).fill(0xab));
}

/** 8-byte little-endian hex, as the contract emits and returns. */
function le64(value: bigint): string {
  return hexlify(littleEndian64(value));
}

async function deployDepositContract() {
  const [deployer, depositor, other] = await ethers.getSigners();
  const depositContract = await (await ethers.getContractFactory("DepositContract")).connect(deployer).deploy();
  const credentials = withdrawalCredentialsFor(other.address);
  const key = testSecretKey("DepositContract.test", 0);
  const oneEth = signDepositOfAmount(key, credentials, ONE_ETH_GWEI, GENESIS_FORK_VERSIONS.mainnet);
  const thirtyTwoEth = signDepositOfAmount(key, credentials, 32n * ONE_ETH_GWEI, GENESIS_FORK_VERSIONS.mainnet);
  return { depositContract, depositor, other, credentials, oneEth, thirtyTwoEth };
}

/** Sends `d` with `value` wei (by default its amount) and `root` (by default its deposit_data_root). */
function sendDeposit(
  depositContract: DepositContract,
  from: HardhatEthersSigner,
  d: SignedDeposit,
  overrides: { pubkey?: BytesLike; credentials?: BytesLike; signature?: BytesLike; root?: string; value?: bigint } = {},
) {
  return depositContract
    .connect(from)
    .deposit(
      overrides.pubkey ?? d.pubkey,
      overrides.credentials ?? d.withdrawalCredentials,
      overrides.signature ?? d.signature,
      overrides.root ?? d.depositDataRoot,
      { value: overrides.value ?? d.amountGwei * GWEI },
    );
}

describe("DepositContract", function () {
  describe("checks of a deposit (as the canonical contract, with custom errors)", function () {
    it("rejects a public key that is not 48 bytes, with its length", async function () {
      const { depositContract, depositor, oneEth } = await loadFixture(deployDepositContract);
      for (const length of [0, 32, 47, 49, 96]) {
        await expect(sendDeposit(depositContract, depositor, oneEth, { pubkey: filler(length) }))
          .to.be.revertedWithCustomError(depositContract, "InvalidPubkeyLength")
          .withArgs(length);
      }
    });

    it("rejects withdrawal credentials that are not 32 bytes, with their length", async function () {
      const { depositContract, depositor, oneEth } = await loadFixture(deployDepositContract);
      for (const length of [0, 20, 31, 33, 64]) {
        await expect(sendDeposit(depositContract, depositor, oneEth, { credentials: filler(length) }))
          .to.be.revertedWithCustomError(depositContract, "InvalidWithdrawalCredentialsLength")
          .withArgs(length);
      }
    });

    it("rejects a signature that is not 96 bytes, with its length", async function () {
      const { depositContract, depositor, oneEth } = await loadFixture(deployDepositContract);
      for (const length of [0, 48, 95, 97, 192]) {
        await expect(sendDeposit(depositContract, depositor, oneEth, { signature: filler(length) }))
          .to.be.revertedWithCustomError(depositContract, "InvalidSignatureLength")
          .withArgs(length);
      }
    });

    it("rejects less than 1 ETH, with the value", async function () {
      const { depositContract, depositor, oneEth } = await loadFixture(deployDepositContract);
      for (const value of [0n, 1n, GWEI, parseEther("1") - GWEI, parseEther("1") - 1n]) {
        await expect(sendDeposit(depositContract, depositor, oneEth, { value }))
          .to.be.revertedWithCustomError(depositContract, "DepositValueTooLow")
          .withArgs(value);
      }
    });

    it("rejects a value that is not a whole number of gwei, with the value", async function () {
      const { depositContract, depositor, oneEth } = await loadFixture(deployDepositContract);
      for (const value of [parseEther("1") + 1n, parseEther("1") + GWEI - 1n, parseEther("32") + 123_456_789n]) {
        await expect(sendDeposit(depositContract, depositor, oneEth, { value }))
          .to.be.revertedWithCustomError(depositContract, "DepositValueNotMultipleOfGwei")
          .withArgs(value);
      }
    });

    it("rejects a value above 2^64 − 1 gwei, with the value", async function () {
      const { depositContract, depositor, oneEth } = await loadFixture(deployDepositContract);
      const value = (U64_MAX + 1n) * GWEI;
      await setBalance(depositor.address, value + parseEther("1"));
      await expect(sendDeposit(depositContract, depositor, oneEth, { value }))
        .to.be.revertedWithCustomError(depositContract, "DepositValueTooHigh")
        .withArgs(value);
    });

    it("checks the lengths before the value, as the canonical contract does", async function () {
      const { depositContract, depositor, oneEth } = await loadFixture(deployDepositContract);
      await expect(sendDeposit(depositContract, depositor, oneEth, { pubkey: "0x", credentials: "0x", value: 0n }))
        .to.be.revertedWithCustomError(depositContract, "InvalidPubkeyLength")
        .withArgs(0);
      await expect(sendDeposit(depositContract, depositor, oneEth, { credentials: "0x", signature: "0x", value: 0n }))
        .to.be.revertedWithCustomError(depositContract, "InvalidWithdrawalCredentialsLength")
        .withArgs(0);
      await expect(sendDeposit(depositContract, depositor, oneEth, { signature: "0x", value: 0n }))
        .to.be.revertedWithCustomError(depositContract, "InvalidSignatureLength")
        .withArgs(0);
    });

    it("rejects a wrong deposit_data_root, with the given and the computed root", async function () {
      const { depositContract, depositor, oneEth } = await loadFixture(deployDepositContract);
      const flipped = hexlify(getBytes(oneEth.depositDataRoot).map((b, i) => (i === 31 ? b ^ 1 : b)));
      for (const given of [ZeroHash, flipped]) {
        await expect(sendDeposit(depositContract, depositor, oneEth, { root: given }))
          .to.be.revertedWithCustomError(depositContract, "DepositDataRootMismatch")
          .withArgs(given, oneEth.depositDataRoot);
      }
    });

    it("rejects a root signed for another amount than the value sent", async function () {
      const { depositContract, depositor, oneEth } = await loadFixture(deployDepositContract);
      const value = parseEther("2");
      const computed = computeDepositDataRoot({ ...oneEth, amountGwei: value / GWEI });
      await expect(sendDeposit(depositContract, depositor, oneEth, { value }))
        .to.be.revertedWithCustomError(depositContract, "DepositDataRootMismatch")
        .withArgs(oneEth.depositDataRoot, computed);
    });

    it("rejects a root whose signature or credentials differ from the ones sent", async function () {
      const { depositContract, depositor, oneEth } = await loadFixture(deployDepositContract);
      const otherCredentials = withdrawalCredentialsFor(depositor.address);
      await expect(sendDeposit(depositContract, depositor, oneEth, { credentials: otherCredentials }))
        .to.be.revertedWithCustomError(depositContract, "DepositDataRootMismatch")
        .withArgs(
          oneEth.depositDataRoot,
          computeDepositDataRoot({ ...oneEth, withdrawalCredentials: otherCredentials }),
        );
      const otherSignature = filler(96);
      await expect(sendDeposit(depositContract, depositor, oneEth, { signature: otherSignature }))
        .to.be.revertedWithCustomError(depositContract, "DepositDataRootMismatch")
        .withArgs(oneEth.depositDataRoot, computeDepositDataRoot({ ...oneEth, signature: otherSignature }));
    });
  });

  describe("a valid deposit", function () {
    it("of 1 ETH succeeds, keeps the ETH and emits DepositEvent with little-endian amount and index", async function () {
      const { depositContract, depositor, oneEth } = await loadFixture(deployDepositContract);
      const tx = sendDeposit(depositContract, depositor, oneEth);
      await expect(tx)
        .to.emit(depositContract, "DepositEvent")
        .withArgs(
          oneEth.pubkey,
          oneEth.withdrawalCredentials,
          "0x00ca9a3b00000000",
          oneEth.signature,
          "0x0000000000000000",
        );
      await expect(tx).to.changeEtherBalances([depositor, depositContract], [-parseEther("1"), parseEther("1")]);
      expect(await depositContract.get_deposit_count()).to.equal("0x0100000000000000");
    });

    it("of 32 ETH succeeds and emits DepositEvent with the next index", async function () {
      const { depositContract, depositor, oneEth, thirtyTwoEth } = await loadFixture(deployDepositContract);
      await sendDeposit(depositContract, depositor, oneEth);
      const tx = sendDeposit(depositContract, depositor, thirtyTwoEth);
      await expect(tx)
        .to.emit(depositContract, "DepositEvent")
        .withArgs(
          thirtyTwoEth.pubkey,
          thirtyTwoEth.withdrawalCredentials,
          "0x0040597307000000",
          thirtyTwoEth.signature,
          "0x0100000000000000",
        );
      await expect(tx).to.changeEtherBalances([depositor, depositContract], [-parseEther("32"), parseEther("32")]);
      expect(await depositContract.get_deposit_count()).to.equal("0x0200000000000000");
      expect(await ethers.provider.getBalance(depositContract)).to.equal(parseEther("33"));
    });

    it("emits exactly one log, whose raw data decodes to the deposit", async function () {
      const { depositContract, depositor, thirtyTwoEth } = await loadFixture(deployDepositContract);
      const receipt = await (await sendDeposit(depositContract, depositor, thirtyTwoEth)).wait();
      expect(receipt?.logs.length).to.equal(1);
      const log = receipt!.logs[0];
      expect(log.topics).to.deep.equal([id("DepositEvent(bytes,bytes,bytes,bytes,bytes)")]);
      const decoded = ethers.AbiCoder.defaultAbiCoder().decode(["bytes", "bytes", "bytes", "bytes", "bytes"], log.data);
      expect(decoded.toArray()).to.deep.equal([
        thirtyTwoEth.pubkey,
        thirtyTwoEth.withdrawalCredentials,
        "0x0040597307000000",
        thirtyTwoEth.signature,
        "0x0000000000000000",
      ]);
    });

    it("of the largest amount, 2^64 − 1 gwei, succeeds with amount 0xff…ff", async function () {
      const { depositContract, depositor, credentials } = await loadFixture(deployDepositContract);
      const d = signDepositOfAmount(
        testSecretKey("DepositContract.test", 1),
        credentials,
        U64_MAX,
        GENESIS_FORK_VERSIONS.mainnet,
      );
      await setBalance(depositor.address, U64_MAX * GWEI + parseEther("1"));
      await expect(sendDeposit(depositContract, depositor, d))
        .to.emit(depositContract, "DepositEvent")
        .withArgs(d.pubkey, d.withdrawalCredentials, "0xffffffffffffffff", d.signature, "0x0000000000000000");
      expect(await depositContract.get_deposit_root()).to.equal(await sszDepositTreeRoot([d]));
    });
  });

  describe("the deposit tree", function () {
    it("starts empty: count 0 and the SSZ root of an empty List[DepositData, 2^32]", async function () {
      const { depositContract } = await loadFixture(deployDepositContract);
      expect(await depositContract.get_deposit_count()).to.equal("0x0000000000000000");
      const root = await depositContract.get_deposit_root();
      expect(root).to.equal(await sszDepositTreeRoot([]));
      expect(root).to.equal(EMPTY_DEPOSIT_ROOT);
    });

    it("has the SSZ root of List[DepositData, 2^32] after each of 70 deposits of mixed amounts", async function () {
      const { depositContract, depositor } = await loadFixture(deployDepositContract);
      const rng = new BeaconRandom("DepositContract.test tree");
      const deposited: SignedDeposit[] = [];
      // 70 crosses the subtree boundaries at 32 and 64 leaves.
      for (let i = 0; i < 70; i++) {
        // 1 ETH, 32 ETH and odd whole-gwei amounts, each signed by a real test key.
        const amountGwei = [ONE_ETH_GWEI, 32n * ONE_ETH_GWEI, ONE_ETH_GWEI + 1n + rng.bigint(35)][i % 3];
        const d = signDepositOfAmount(
          testSecretKey("DepositContract.test tree", i),
          rng.bytes(32),
          amountGwei,
          GENESIS_FORK_VERSIONS.mainnet,
        );
        await expect(sendDeposit(depositContract, depositor, d))
          .to.emit(depositContract, "DepositEvent")
          .withArgs(d.pubkey, d.withdrawalCredentials, le64(amountGwei), d.signature, le64(BigInt(i)));
        deposited.push(d);

        expect(await depositContract.get_deposit_count(), `count after ${i + 1}`).to.equal(le64(BigInt(i + 1)));
        expect(await depositContract.get_deposit_root(), `root after ${i + 1}`).to.equal(
          await sszDepositTreeRoot(deposited),
        );
      }
      const total = deposited.reduce((sum, d) => sum + d.amountGwei * GWEI, 0n);
      expect(await ethers.provider.getBalance(depositContract)).to.equal(total);
    });

    it("is order-sensitive: the same deposits in another order give another root", async function () {
      const { depositContract, depositor, oneEth, thirtyTwoEth } = await loadFixture(deployDepositContract);
      await sendDeposit(depositContract, depositor, thirtyTwoEth);
      await sendDeposit(depositContract, depositor, oneEth);
      const root = await depositContract.get_deposit_root();
      expect(root).to.equal(await sszDepositTreeRoot([thirtyTwoEth, oneEth]));
      expect(root).to.not.equal(await sszDepositTreeRoot([oneEth, thirtyTwoEth]));
    });

    it("holds at most 2^32 − 1 deposits, then reverts MerkleTreeFull", async function () {
      const { depositContract, depositor, oneEth, thirtyTwoEth } = await loadFixture(deployDepositContract);
      const address = await depositContract.getAddress();
      const maxCount = (1n << 32n) - 1n;
      await ethers.provider.send("hardhat_setStorageAt", [
        address,
        toBeHex(DEPOSIT_COUNT_SLOT),
        toBeHex(maxCount - 1n, 32),
      ]);
      expect(await depositContract.get_deposit_count()).to.equal(le64(maxCount - 1n)); // the slot is the count

      await expect(sendDeposit(depositContract, depositor, oneEth))
        .to.emit(depositContract, "DepositEvent")
        .withArgs(
          oneEth.pubkey,
          oneEth.withdrawalCredentials,
          le64(ONE_ETH_GWEI),
          oneEth.signature,
          le64(maxCount - 1n),
        );
      expect(await depositContract.get_deposit_count()).to.equal(le64(maxCount));

      await expect(sendDeposit(depositContract, depositor, thirtyTwoEth)).to.be.revertedWithCustomError(
        depositContract,
        "MerkleTreeFull",
      );
      expect(await depositContract.get_deposit_count()).to.equal(le64(maxCount));
    });
  });

  describe("supportsInterface", function () {
    it("supports IERC165 and IDepositContract, and not 0xffffffff or others", async function () {
      const { depositContract } = await loadFixture(deployDepositContract);
      const depositInterface = interfaceId([
        "deposit(bytes,bytes,bytes,bytes32)",
        "get_deposit_root()",
        "get_deposit_count()",
      ]);
      expect(depositInterface).to.equal("0x85640907"); // the canonical contract's
      expect(interfaceId(["supportsInterface(bytes4)"])).to.equal("0x01ffc9a7");

      expect(await depositContract.supportsInterface("0x01ffc9a7")).to.equal(true);
      expect(await depositContract.supportsInterface(depositInterface)).to.equal(true);
      expect(await depositContract.supportsInterface("0xffffffff")).to.equal(false);
      expect(await depositContract.supportsInterface("0x00000000")).to.equal(false);
      expect(await depositContract.supportsInterface("0x36372b07")).to.equal(false); // ERC-20
    });
  });
});
