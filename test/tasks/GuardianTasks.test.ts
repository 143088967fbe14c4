import net from "node:net";
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { Signature, Wallet, ZeroAddress, parseEther, recoverAddress } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployTidepool, deployWithTwoBondedOperators, type TidepoolFixture } from "../helpers/fixtures";
import { eth } from "../../sdk/src/format";
import {
  GENESIS_FORK_VERSIONS,
  signDeposit,
  testKeyBatch,
  testSecretKey,
  type SignedDeposit,
} from "../../offchain/keys/bls";
import { withdrawalCredentialsFor } from "../../offchain/keys/deposit";
import { parentBlockAttestation, signAttestation } from "../../offchain/guardians/attestations";
import { startLocalBeacon } from "../../offchain/beacon/local";
import { runTask, taskError } from "../helpers/tasks";
import { portIsFree } from "../../tasks/lib";

const DEPOSIT = parseEther("32");
const GWEI = 10n ** 9n;

/** Everything a refused deposit must leave as it was. */
async function depositState(f: TidepoolFixture) {
  const [deposited] = await f.pool.getBeaconStat();
  return {
    deposited,
    buffered: await f.pool.bufferedEther(),
    root: await f.depositContract.get_deposit_root(),
    nonce: await f.registry.keysNonce(),
    keys: [(await f.registry.getNodeOperator(0n)).depositedKeys, (await f.registry.getNodeOperator(1n)).depositedKeys],
    block: await hre.ethers.provider.getBlockNumber(),
  };
}

/**
 * `signer` deposits `amount` to test key `label`/`index` through the deposit contract, with its own
 * withdrawal credentials: an operator front-running the pool on one of its own keys.
 */
async function depositToKey(
  f: TidepoolFixture,
  signer: HardhatEthersSigner,
  label: string,
  index: number,
  amount = parseEther("1"),
): Promise<SignedDeposit & { blockNumber: number }> {
  const credentials = withdrawalCredentialsFor(signer.address);
  const d = signDeposit(testSecretKey(label, index), credentials, GENESIS_FORK_VERSIONS.mainnet, amount / GWEI);
  const tx = await f.depositContract
    .connect(signer)
    .deposit(d.pubkey, d.withdrawalCredentials, d.signature, d.depositDataRoot, { value: amount });
  const receipt = await tx.wait();
  if (!receipt) throw new Error("no receipt");
  return { ...d, blockNumber: receipt.blockNumber };
}

/** What a refusal must leave as it was: the deposit state, both balances and the guardian's nonce. */
async function untouched(f: TidepoolFixture) {
  const provider = hre.ethers.provider;
  return {
    ...(await depositState(f)),
    poolBalance: await provider.getBalance(f.poolAddress),
    depositContractBalance: await provider.getBalance(await f.depositContract.getAddress()),
    guardianNonce: await provider.getTransactionCount(f.guardian.address),
  };
}

/** The refusal for one front-run key found in the deposit contract's logs. */
function refusal(operator: number, key: number, d: SignedDeposit & { blockNumber: number }): string {
  return (
    `refusing to sign: key ${key} of operator ${operator} is vetted but already has a deposit the pool did not make` +
    ` (pubkey ${d.pubkey}, ${eth(d.amountGwei * GWEI, 9)} to withdrawal credentials ${d.withdrawalCredentials},` +
    ` deposit contract block ${d.blockNumber}), and the pool's 32 ETH would join a validator those credentials own;` +
    ` governance must unvet key ${key} of operator ${operator} before deposits resume`
  );
}

/** Runs `action` while recording the block ranges of every eth_getLogs request the tasks send. */
async function recordingLogRanges<T>(action: () => Promise<T>): Promise<{ result: T; ranges: [number, number][] }> {
  const provider = hre.network.provider; // what hre.ethers' provider sends through
  const original = provider.send.bind(provider);
  const ranges: [number, number][] = [];
  provider.send = async (method: string, params?: unknown[]) => {
    if (method === "eth_getLogs") {
      const [filter] = params as [{ fromBlock: string; toBlock: string }];
      ranges.push([Number(filter.fromBlock), Number(filter.toBlock)]);
    }
    return original(method, params);
  };
  try {
    return { result: await action(), ranges };
  } finally {
    provider.send = original;
  }
}

describe("Guardian tasks", function () {
  describe("refusing to sign over a key deposited outside the pool", function () {
    it("refuses to attest or deposit once an operator deposited 1 ETH to its own vetted key with its own credentials, signing and sending nothing", async function () {
      const f = await loadFixture(deployWithTwoBondedOperators);
      const alpha = f.users[1]; // operator 0's reward address
      const frontRun = await depositToKey(f, alpha, "Alpha", 0);
      const before = await untouched(f);
      expect(await f.pool.depositableEther()).to.be.gte(6n * DEPOSIT); // the guardian would deposit otherwise

      expect(await taskError("guardian-attest", { pool: f.poolAddress })).to.equal(refusal(0, 0, frontRun));
      expect(await taskError("guardian-deposit", { pool: f.poolAddress })).to.equal(refusal(0, 0, frontRun));
      expect(await untouched(f)).to.deep.equal(before);

      // Signed blind, the same attestation passes the module, and the pool's 32 ETH would go to key 0:
      // the check before signing is what stops it.
      const attestation = await parentBlockAttestation(f.depositContract, f.registry, hre.ethers.provider);
      const signatures = await signAttestation(f.dsm, attestation, [f.guardian]);
      await f.dsm.depositBufferedEther.staticCall(0n, 1n, attestation, signatures);
      expect(await untouched(f)).to.deep.equal(before);
    });

    it("names every front-run key of any operator, not only the next in line", async function () {
      const f = await loadFixture(deployWithTwoBondedOperators);
      const alpha = await depositToKey(f, f.users[1], "Alpha", 2, parseEther("1.5"));
      const beta = await depositToKey(f, f.users[2], "Beta", 3);
      const before = await untouched(f);
      const detail = (operator: number, key: number, d: SignedDeposit & { blockNumber: number }) =>
        `key ${key} of operator ${operator}: pubkey ${d.pubkey}, ${eth(d.amountGwei * GWEI, 9)} to withdrawal credentials` +
        ` ${d.withdrawalCredentials}, deposit contract block ${d.blockNumber}`;
      const expected =
        `refusing to sign: 2 vetted keys already have a deposit the pool did not make (${detail(0, 2, alpha)};` +
        ` ${detail(1, 3, beta)}), and the pool's 32 ETH would join a validator those credentials own;` +
        ` governance must unvet key 2 of operator 0 and key 3 of operator 1 before deposits resume`;
      expect(await taskError("guardian-deposit", { pool: f.poolAddress, max: "1" })).to.equal(expected);
      expect(await untouched(f)).to.deep.equal(before);
    });

    it("still signs when the deposits on record are the pool's own, an unvetted key's or a key outside the registry", async function () {
      const f = await loadFixture(deployWithTwoBondedOperators);
      await runTask("guardian-deposit", { pool: f.poolAddress, max: "2" }); // the pool's own deposits: keys 0 and 1 of Alpha
      const credentials = await f.pool.withdrawalCredentials();
      const extra = testKeyBatch("Alpha", 4, 1, credentials); // uploaded, never vetted
      await (await f.registry.connect(f.users[1]).addSigningKeys(0n, 1n, extra.pubkeys, extra.signatures)).wait();
      expect((await f.registry.getNodeOperator(0n)).vettedKeys).to.equal(4n);
      await depositToKey(f, f.users[1], "Alpha", 4);
      await depositToKey(f, f.users[8], "Stranger", 0);

      const printed = JSON.parse(await runTask("guardian-attest", { pool: f.poolAddress })) as { guardian: string };
      expect(printed.guardian).to.equal(f.guardian.address);
      const out = await runTask("guardian-deposit", { pool: f.poolAddress });
      expect(out).to.include("Deposited 4 validators (128 ETH)");
      const deposited = await Promise.all(
        [0n, 1n].map(async (id) => (await f.registry.getNodeOperator(id)).depositedKeys),
      );
      expect(deposited).to.deep.equal([2n, 4n]); // operator 1 was behind
    });

    it("reads the deposit contract's logs in ranges of --log-range blocks from --deposits-from-block", async function () {
      const f = await loadFixture(deployWithTwoBondedOperators);
      const frontRun = await depositToKey(f, f.users[1], "Alpha", 1);
      const latest = await hre.ethers.provider.getBlockNumber();
      expect(frontRun.blockNumber).to.be.greaterThan(8); // beyond the first ranges

      const { result, ranges } = await recordingLogRanges(() =>
        taskError("guardian-attest", { pool: f.poolAddress, logRange: "4" }),
      );
      expect(result).to.equal(refusal(0, 1, frontRun));
      expect(ranges.length).to.be.greaterThan(1);
      expect(ranges[0][0]).to.equal(0); // a local network starts at block 0
      for (const [i, [from, to]] of ranges.entries()) {
        expect(to - from + 1, `range ${i}`).to.be.at.most(4);
        if (i > 0) expect(from, `range ${i}`).to.equal(ranges[i - 1][1] + 1);
      }
      expect(ranges[ranges.length - 1][1]).to.be.at.least(latest);

      // Logs from a block after the front-run do not show it: the start block must precede every
      // deposit the beacon node cannot vouch for (next test).
      await mine(3);
      const later = await recordingLogRanges(() =>
        runTask("guardian-attest", { pool: f.poolAddress, depositsFromBlock: String(frontRun.blockNumber + 1) }),
      );
      expect(later.ranges[0][0]).to.equal(frontRun.blockNumber + 1);
      expect(JSON.parse(later.result)).to.have.property("signature");
      expect(await taskError("guardian-attest", { pool: f.poolAddress, logRange: "0" })).to.equal(
        '--log-range must be an integer of at least 1, got "0"',
      );
      expect(await taskError("guardian-deposit", { pool: f.poolAddress, depositsFromBlock: "-1" })).to.equal(
        '--deposits-from-block must be an integer of at least 0, got "-1"',
      );
      expect(await taskError("guardian-deposit", { pool: f.poolAddress, beaconUrl: "127.0.0.1:5052" })).to.equal(
        '--beacon-url must be an http(s) URL, got "127.0.0.1:5052"',
      );
    });

    it("asks the beacon node by pubkey with --beacon-url, finding a deposit older than the logs it reads", async function () {
      const f = await loadFixture(deployWithTwoBondedOperators);
      const frontRun = await depositToKey(f, f.users[1], "Alpha", 0);
      const local = await startLocalBeacon(f, hre.network.provider);
      try {
        await local.bridge.sync(); // the beacon chain takes in the deposit
        const validator = local.chain.head().validators.find((v) => v.pubkey === frontRun.pubkey);
        expect(validator?.balanceGwei).to.equal(frontRun.amountGwei);
        const before = await untouched(f);
        const from = String((await hre.ethers.provider.getBlockNumber()) + 1); // no log shows it
        const args = { pool: f.poolAddress, depositsFromBlock: from, beaconUrl: local.api.url };
        const expected =
          `refusing to sign: key 0 of operator 0 is vetted but already has a deposit the pool did not make` +
          ` (pubkey ${frontRun.pubkey}, 1 ETH to withdrawal credentials ${frontRun.withdrawalCredentials},` +
          ` validator ${validator?.index} on the beacon chain), and the pool's 32 ETH would join a validator those` +
          ` credentials own; governance must unvet key 0 of operator 0 before deposits resume`;
        expect(await taskError("guardian-attest", args)).to.equal(expected);
        expect(await taskError("guardian-deposit", args)).to.equal(expected);
        expect(await untouched(f)).to.deep.equal(before);

        const down = "http://127.0.0.1:9";
        const error = await taskError("guardian-attest", { pool: f.poolAddress, beaconUrl: down });
        expect(error).to.match(/^cannot read the Beacon API at http:\/\/127\.0\.0\.1:9: .+; nothing was signed$/);
        expect(await untouched(f)).to.deep.equal(before);
      } finally {
        await local.close();
      }
    });
  });

  describe("guardian-deposit", function () {
    it("deposits as many validators as the buffer allows, spread across operators, with fresh attestations", async function () {
      const f = await loadFixture(deployWithTwoBondedOperators);
      const before = await depositState(f);
      const depositable = await f.pool.depositableEther();
      expect(depositable / DEPOSIT).to.equal(6n);
      const depositContractBalance = await hre.ethers.provider.getBalance(await f.depositContract.getAddress());

      const out = await runTask("guardian-deposit", { pool: f.poolAddress });
      const after = await depositState(f);
      expect(after.deposited - before.deposited).to.equal(6n);
      expect(after.keys).to.deep.equal([4n, 2n]); // operator 0 first, then the one with fewer validators
      expect(before.buffered - after.buffered).to.equal(6n * DEPOSIT);
      expect(await hre.ethers.provider.getBalance(await f.depositContract.getAddress())).to.equal(
        depositContractBalance + 6n * DEPOSIT,
      );
      expect(after.root).to.not.equal(before.root);

      const lines = out.split("\n");
      expect(lines[0]).to.match(/^deposited 4 validators of operator 0 \(tx 0x[0-9a-f]{64}\)$/);
      expect(lines[1]).to.match(/^deposited 2 validators of operator 1 \(tx 0x[0-9a-f]{64}\)$/);
      expect(lines[2]).to.equal(
        `Deposited 6 validators (192 ETH) as guardian ${f.guardian.address};` +
          ` buffer now ${eth(after.buffered)} (${eth(await f.pool.depositableEther())} depositable)`,
      );
    });

    it("stops at --max and signs with the account --guardian names", async function () {
      const f = await loadFixture(deployWithTwoBondedOperators);
      const index = (await hre.ethers.getSigners()).findIndex((s) => s.address === f.guardian.address);
      expect(index).to.equal(4);
      const out = await runTask("guardian-deposit", { max: "3", guardian: "4", pool: f.poolAddress });
      const [deposited] = await f.pool.getBeaconStat();
      expect(deposited).to.equal(3n);
      expect((await f.registry.getNodeOperator(0n)).depositedKeys).to.equal(3n);
      expect(out).to.match(/^deposited 3 validators of operator 0 /);
      expect(out).to.include("Deposited 3 validators (96 ETH)");
      // The next run carries on where the buffer and the spread allow: operator 1 is now behind.
      const out2 = await runTask("guardian-deposit", { max: "1", pool: f.poolAddress });
      expect(out2).to.match(/^deposited 1 validator of operator 1 /);
      expect((await f.registry.getNodeOperator(1n)).depositedKeys).to.equal(1n);
    });

    it("refuses when the signer is not a guardian, naming the account", async function () {
      const f = await loadFixture(deployWithTwoBondedOperators);
      const before = await depositState(f);
      const dsm = await f.dsm.getAddress();
      const accounts = await hre.ethers.getSigners();
      expect(await taskError("guardian-deposit", { guardian: "0", pool: f.poolAddress })).to.equal(
        `account 0 (${accounts[0].address}) is not a guardian of the deposit security module ${dsm}`,
      );
      expect(await taskError("guardian-deposit", { guardian: "40", pool: f.poolAddress })).to.equal(
        '--guardian 40: network "hardhat" has 40 accounts (indices 0 to 39)',
      );
      // No account of this network is a guardian any more.
      await (await f.dsm.connect(f.admin).addGuardian(f.users[9].address, 1)).wait();
      await (await f.dsm.connect(f.admin).removeGuardian(f.guardian.address, 1)).wait();
      await (await f.dsm.connect(f.admin).addGuardian(Wallet.createRandom().address, 1)).wait();
      await (await f.dsm.connect(f.admin).removeGuardian(f.users[9].address, 1)).wait();
      expect(await taskError("guardian-deposit", { pool: f.poolAddress })).to.equal(
        `none of network "hardhat"'s 40 accounts is a guardian of the deposit security module ${dsm}`,
      );
      const after = await depositState(f);
      expect([after.deposited, after.buffered, after.root, after.keys]).to.deep.equal([
        before.deposited,
        before.buffered,
        before.root,
        before.keys,
      ]);
    });

    it("refuses when deposits are paused, when a quorum needs more guardians, and on bad --max", async function () {
      const f = await loadFixture(deployWithTwoBondedOperators);
      const before = await depositState(f);
      const pool = f.poolAddress;
      expect(await taskError("guardian-deposit", { max: "0", pool })).to.equal(
        '--max must be an integer of at least 1, got "0"',
      );
      expect(await taskError("guardian-deposit", { max: "two", pool })).to.equal(
        '--max must be an integer of at least 1, got "two"',
      );
      await (await f.pool.connect(f.pauser).pause(4)).wait(); // deposits
      expect(await taskError("guardian-deposit", { pool })).to.equal(
        "deposits are paused on the pool (governance resumes them)",
      );
      await (await f.pool.connect(f.admin).resume(4)).wait();
      await (await f.dsm.connect(f.admin).addGuardian(f.users[9].address, 2)).wait();
      expect(await taskError("guardian-deposit", { pool })).to.equal(
        "the deposit security module needs 2 guardian signatures and this task signs with one:" +
          " run guardian-daemon on each guardian (docs/guardians.md), or gather guardian-attest signatures and submit depositBufferedEther with all of them",
      );
      const after = await depositState(f);
      expect([after.deposited, after.buffered, after.keys]).to.deep.equal([
        before.deposited,
        before.buffered,
        before.keys,
      ]);
    });

    it("says when there is nothing to deposit, no buffer or no keys ready, without failing", async function () {
      const f = await loadFixture(deployWithTwoBondedOperators);
      await runTask("guardian-deposit", { pool: f.poolAddress }); // six validators: the buffer is spent
      const depositable = await f.pool.depositableEther();
      expect(depositable).to.be.lt(DEPOSIT);
      const block = await hre.ethers.provider.getBlockNumber();
      expect(await runTask("guardian-deposit", { pool: f.poolAddress })).to.equal(
        `Nothing to deposit: ${eth(depositable)} of the buffer may go to validators, 32 ETH needed per validator.`,
      );
      expect(await hre.ethers.provider.getBlockNumber()).to.equal(block);

      const g = await deployTidepool(); // a fresh deployment: a buffer, but no operator
      await (await g.pool.connect(g.users[0]).stake(ZeroAddress, { value: parseEther("100") })).wait();
      expect(await runTask("guardian-deposit", { pool: g.poolAddress })).to.equal(
        "Nothing to deposit: no operator has vetted, bond-covered keys ready (see npx hardhat operators).",
      );
      const [deposited] = await g.pool.getBeaconStat();
      expect(deposited).to.equal(0n);
    });
  });

  describe("guardian-attest", function () {
    it("prints the attestation and a signature by the guardian that others can submit", async function () {
      const f = await loadFixture(deployWithTwoBondedOperators);
      const out = await runTask("guardian-attest", { pool: f.poolAddress });
      const printed = JSON.parse(out) as {
        chainId: string;
        depositSecurityModule: string;
        guardian: string;
        attestation: { depositRoot: string; keysNonce: string; blockNumber: string; blockHash: string };
        digest: string;
        signature: { r: string; vs: string };
      };
      // The parent of the latest block: a preflight call runs in the latest block, where its own hash is 0.
      const parent = await hre.ethers.provider.getBlock((await hre.ethers.provider.getBlockNumber()) - 1);
      expect(printed.chainId).to.equal("31337");
      expect(printed.depositSecurityModule).to.equal(await f.dsm.getAddress());
      expect(printed.guardian).to.equal(f.guardian.address);
      expect(printed.attestation).to.deep.equal({
        depositRoot: await f.depositContract.get_deposit_root(),
        keysNonce: (await f.registry.keysNonce()).toString(),
        blockNumber: parent?.number.toString(),
        blockHash: parent?.hash,
      });
      const attestation = {
        ...printed.attestation,
        keysNonce: BigInt(printed.attestation.keysNonce),
        blockNumber: BigInt(printed.attestation.blockNumber),
      };
      expect(printed.digest).to.equal(await f.dsm.attestationDigest(attestation));
      const sig = Signature.from({ r: printed.signature.r, yParityAndS: printed.signature.vs });
      expect(recoverAddress(printed.digest, sig)).to.equal(f.guardian.address);

      // Someone with no role submits it a few blocks later: the deposit goes through.
      await mine(3);
      await (await f.dsm.connect(f.users[8]).depositBufferedEther(0n, 2n, attestation, [printed.signature])).wait();
      expect((await f.registry.getNodeOperator(0n)).depositedKeys).to.equal(2n);
    });

    it("refuses an account that is not a guardian", async function () {
      const f = await loadFixture(deployWithTwoBondedOperators);
      const accounts = await hre.ethers.getSigners();
      expect(await taskError("guardian-attest", { guardian: "7", pool: f.poolAddress })).to.equal(
        `account 7 (${accounts[7].address}) is not a guardian of the deposit security module ${await f.dsm.getAddress()}`,
      );
      expect(await taskError("guardian-attest", { guardian: "-1", pool: f.poolAddress })).to.equal(
        '--guardian must be an integer of at least 0, got "-1"',
      );
    });
  });

  describe("guardian-daemon", function () {
    /** A port nothing listens on: bound, then released. */
    async function closedPort(): Promise<number> {
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const { port } = server.address() as net.AddressInfo;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }

    it("--once: one pass that signs and, with a quorum of one, deposits; a peer down is said", async function () {
      const f = await loadFixture(deployWithTwoBondedOperators);
      const [port, peer] = [await closedPort(), await closedPort()];
      const block = await hre.ethers.provider.getBlockNumber();
      const nonce = await f.registry.keysNonce();
      const before = await depositState(f);
      const out = await runTask("guardian-daemon", {
        pool: f.poolAddress,
        port: String(port),
        peers: `http://127.0.0.1:${peer}/`,
        once: true,
      });
      const after = await depositState(f);
      const lines = out.split("\n");
      const at = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`;
      expect(lines).to.have.length(2);
      expect(lines[0]).to.match(new RegExp(`^${at} peer http://127\\.0\\.0\\.1:${peer} is down \\(ECONNREFUSED\\)$`));
      const deposit = new RegExp(
        `^${at} block ${block}: signed block ${block - 1} \\(key nonce ${nonce}\\), 1 of 1 signatures \\(peers: 1 down\\);` +
          ` deposited 4 validators \\(128 ETH\\) of operator 0, tx 0x[0-9a-f]{64}; buffer now ${eth(after.buffered).replace(".", "\\.")}$`,
      );
      expect(lines[1]).to.match(deposit);
      expect(after.deposited - before.deposited).to.equal(4n);
      expect(before.buffered - after.buffered).to.equal(4n * DEPOSIT);
      expect(after.keys).to.deep.equal([4n, 0n]);
      expect(await portIsFree(port)).to.equal(true); // the server closed
    });

    it("refuses bad arguments, a port in use and an account that is not a guardian, changing nothing", async function () {
      const f = await loadFixture(deployWithTwoBondedOperators);
      const before = await depositState(f);
      const pool = f.poolAddress;
      const port = String(await closedPort());
      const accounts = await hre.ethers.getSigners();
      expect(await taskError("guardian-daemon", { pool, port: "0" })).to.equal(
        '--port must be an integer of at least 1, got "0"',
      );
      expect(await taskError("guardian-daemon", { pool, port: "70000" })).to.equal(
        '--port must be a port number (1 to 65535), got "70000"',
      );
      expect(await taskError("guardian-daemon", { pool, port: "http" })).to.equal(
        '--port must be an integer of at least 1, got "http"',
      );
      expect(
        await taskError("guardian-daemon", { pool, port, peers: "http://127.0.0.1:7001,127.0.0.1:7002" }),
      ).to.equal(`--peers must be comma-separated http(s) URLs of the other guardians' daemons, got "127.0.0.1:7002"`);
      expect(
        await taskError("guardian-daemon", { pool, port, peers: "http://127.0.0.1:7001,http://127.0.0.1:7001/" }),
      ).to.equal("--peers names http://127.0.0.1:7001 twice");
      expect(await taskError("guardian-daemon", { pool, port, interval: "0" })).to.equal(
        '--interval must be an integer of at least 1, got "0"',
      );
      expect(await taskError("guardian-daemon", { pool, port, guardian: "0" })).to.equal(
        `account 0 (${accounts[0].address}) is not a guardian of the deposit security module ${await f.dsm.getAddress()}`,
      );
      const busy = net.createServer();
      await new Promise<void>((resolve) => busy.listen(Number(port), "127.0.0.1", resolve));
      try {
        expect(await taskError("guardian-daemon", { pool, port, once: true })).to.equal(
          `port ${port} on 127.0.0.1 is in use: choose another --port`,
        );
      } finally {
        await new Promise<void>((resolve) => busy.close(() => resolve()));
      }
      expect(await depositState(f)).to.deep.equal(before);
    });
  });
});
