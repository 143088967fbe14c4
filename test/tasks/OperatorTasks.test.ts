import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, ZeroAddress, parseEther } from "ethers";
import { deployTidepool, type TidepoolFixture } from "../helpers/fixtures";
import { deployWithValidators, toGwei } from "../helpers/oracle-fixtures";
import { GENESIS_FORK_VERSIONS, testKeyBatch, verifyDepositSignature } from "../../offchain/keys/bls";
import { withdrawalCredentialsFor } from "../../offchain/keys/deposit";
import { eth } from "../../sdk/src/format";
import {
  depositDataEntry,
  deriveValidatorKeys,
  type DepositDataJson,
  type KeyToolNetwork,
} from "../../offchain/keys/keystore";
import { keyNetworkForChain, parseOperatorId } from "../../tasks/operators";
import { runTask, taskError } from "../helpers/tasks";

/** A public test mnemonic: these validator keys are for tests only. */
const MNEMONIC = "test test test test test test test test test test test junk";

/** Writes a staking-deposit-cli deposit_data file for keys [start, start + count) of MNEMONIC. */
function writeDepositData(
  dir: string,
  start: number,
  count: number,
  credentials: string,
  network: KeyToolNetwork = "mainnet",
): { file: string; entries: DepositDataJson[] } {
  const entries = deriveValidatorKeys(MNEMONIC, start, count).map((k) =>
    depositDataEntry(k.secretKey, credentials, network),
  );
  const file = path.join(dir, `deposit_data-${start}-${count}-${network}.json`);
  fs.writeFileSync(file, JSON.stringify(entries));
  return { file, entries };
}

describe("Operator tasks", function () {
  let dir: string;
  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-operator-tasks-"));
  });
  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The local deployment; its operator-to-be is users[0] (account 7, no role). */
  async function deployed(): Promise<TidepoolFixture> {
    return deployTidepool();
  }

  /** deployed() with operator 0 ("Alpha", reward address users[0]) admitted. */
  async function withOperator(): Promise<TidepoolFixture> {
    const f = await loadFixture(deployTidepool);
    await (await f.registry.connect(f.admin).addNodeOperator("Alpha", f.users[0].address)).wait();
    return f;
  }

  /** What a refused upload must leave as it was. */
  async function keyState(f: TidepoolFixture) {
    const count = await f.registry.getNodeOperatorsCount();
    const totals = [];
    for (let id = 0n; id < count; id++) totals.push((await f.registry.getNodeOperator(id)).totalKeys);
    return { totals, nonce: await f.registry.keysNonce(), block: await hre.ethers.provider.getBlockNumber() };
  }

  describe("keyNetworkForChain", function () {
    it("maps mainnet, Hoodi and the local chain to the fork version their deposits are signed for", function () {
      expect(keyNetworkForChain(1n)).to.equal("mainnet");
      expect(keyNetworkForChain(560048n)).to.equal("hoodi");
      expect(keyNetworkForChain(31337n)).to.equal("mainnet");
      expect(keyNetworkForChain(17000n)).to.equal(undefined);
      expect(keyNetworkForChain(11155111n)).to.equal(undefined);
      expect(keyNetworkForChain(5n)).to.equal(undefined);
    });

    it("gives the local chain the fork version the local deployment's test keys are signed with", function () {
      const network = keyNetworkForChain(31337n);
      if (network === undefined) throw new Error("no network for 31337");
      const wc = withdrawalCredentialsFor(Wallet.createRandom().address);
      const [deposit] = testKeyBatch("fork-check", 0, 1, wc).deposits;
      expect(verifyDepositSignature(deposit, GENESIS_FORK_VERSIONS[network])).to.equal(true);
      expect(verifyDepositSignature(deposit, GENESIS_FORK_VERSIONS.hoodi)).to.equal(false);
    });

    it("parseOperatorId accepts non-negative integers only", function () {
      expect(parseOperatorId("0")).to.equal(0n);
      expect(parseOperatorId(" 12 ")).to.equal(12n);
      for (const bad of ["-1", "1.5", "01", "x", ""]) {
        expect(() => parseOperatorId(bad)).to.throw(`--operator must be an operator id (a non-negative integer)`);
      }
    });
  });

  describe("operator-add", function () {
    it("admits the operator as governance and prints its id", async function () {
      const f = await loadFixture(deployed);
      const reward = f.users[0].address;
      const out = await runTask("operator-add", { name: "Alpha", rewardAddress: reward, pool: f.poolAddress });
      expect(out).to.include(`Added operator 0: "Alpha", reward address ${reward}`);
      const out2 = await runTask("operator-add", {
        name: "Beta",
        rewardAddress: f.users[1].address,
        pool: f.poolAddress,
      });
      expect(out2).to.include(`Added operator 1: "Beta"`);
      expect(await f.registry.getNodeOperatorsCount()).to.equal(2n);
      const op = await f.registry.getNodeOperator(0n);
      expect([op.name, op.rewardAddress, op.active, op.totalKeys, op.bondShares]).to.deep.equal([
        "Alpha",
        reward,
        true,
        0n,
        0n,
      ]);
    });

    it("rejects bad arguments and a signer without the role in one line, admitting no one", async function () {
      const f = await loadFixture(deployed);
      const pool = f.poolAddress;
      const reward = f.users[0].address;
      expect(await taskError("operator-add", { name: "", rewardAddress: reward, pool })).to.equal(
        "--name must be 1 to 64 bytes, got 0",
      );
      expect(await taskError("operator-add", { name: "x".repeat(65), rewardAddress: reward, pool })).to.equal(
        "--name must be 1 to 64 bytes, got 65",
      );
      expect(await taskError("operator-add", { name: "A", rewardAddress: "0x12", pool })).to.equal(
        '--reward-address is not a valid address: "0x12"',
      );
      expect(await taskError("operator-add", { name: "A", rewardAddress: ZeroAddress, pool })).to.equal(
        "--reward-address cannot be the zero address",
      );
      expect(await taskError("operator-add", { name: "A", rewardAddress: reward, from: "40", pool })).to.equal(
        '--from 40: network "hardhat" has 40 accounts (indices 0 to 39)',
      );
      // --from an account without the role (users[0], account 7).
      expect(await taskError("operator-add", { name: "A", rewardAddress: reward, from: "7", pool })).to.equal(
        `${f.users[0].address} does not hold OPERATOR_MANAGER_ROLE on the registry ${await f.registry.getAddress()}` +
          " (where governance is a timelock, schedule addNodeOperator through it)",
      );
      const role = await f.registry.OPERATOR_MANAGER_ROLE();
      await (await f.registry.connect(f.admin).revokeRole(role, f.admin.address)).wait();
      expect(await taskError("operator-add", { name: "A", rewardAddress: reward, pool })).to.equal(
        `${f.admin.address} does not hold OPERATOR_MANAGER_ROLE on the registry ${await f.registry.getAddress()}` +
          " (where governance is a timelock, schedule addNodeOperator through it)",
      );
      expect(await f.registry.getNodeOperatorsCount()).to.equal(0n);
    });
  });

  describe("operator-keys", function () {
    it("validates the file, uploads it in batches with progress and leaves vetting to governance", async function () {
      const f = await loadFixture(withOperator);
      const credentials = await f.pool.withdrawalCredentials();
      const { file, entries } = writeDepositData(dir, 0, 5, credentials);
      const block = await hre.ethers.provider.getBlockNumber();
      const out = await runTask("operator-keys", { operator: "0", file, batch: "2", pool: f.poolAddress });

      expect(await hre.ethers.provider.getBlockNumber()).to.equal(block + 3); // 2 + 2 + 1 keys
      const lines = out.split("\n");
      expect(lines[0]).to.match(/^uploaded 2\/5 keys \(tx 0x[0-9a-f]{64}\)$/);
      expect(lines[1]).to.match(/^uploaded 4\/5 keys /);
      expect(lines[2]).to.match(/^uploaded 5\/5 keys /);
      expect(out).to.include('Operator 0 ("Alpha") now has 5 keys, 0 vetted.');
      // Three uploads: the printed call is bound to keys nonce 3, and vets exactly these keys.
      expect(await f.registry.operatorKeysNonce(0n)).to.equal(3n);
      const calldata = f.registry.interface.encodeFunctionData("setVettedKeys", [0n, 5n, 3n]);
      expect(out).to.include(
        `Next: governance (OPERATOR_MANAGER_ROLE) reviews keys 0–4 of operator 0 and vets them with setVettedKeys(0, 5, 3)` +
          ` on the registry ${await f.registry.getAddress()} (calldata ${calldata}); it reverts if the operator's keys change first`,
      );

      const op = await f.registry.getNodeOperator(0n);
      expect([op.totalKeys, op.vettedKeys, op.depositedKeys]).to.deep.equal([5n, 0n, 0n]);
      for (const [i, e] of entries.entries()) {
        const [pubkey, signature, deposited] = await f.registry.getSigningKey(0n, i);
        expect([pubkey, signature, deposited]).to.deep.equal([`0x${e.pubkey}`, `0x${e.signature}`, false]);
      }

      // The operator swaps a key before governance's call lands: the printed call vets nothing.
      await (await f.registry.connect(f.users[0]).removeSigningKeys(0n, 4n, 1n)).wait();
      const { file: other } = writeDepositData(dir, 5, 1, credentials);
      await runTask("operator-keys", { operator: "0", file: other, pool: f.poolAddress });
      const registry = await f.registry.getAddress();
      await expect(f.admin.sendTransaction({ to: registry, data: calldata }))
        .to.be.revertedWithCustomError(f.registry, "OperatorKeysChanged")
        .withArgs(0n, 3n, 5n);
      expect((await f.registry.getNodeOperator(0n)).vettedKeys).to.equal(0n);
    });

    it("vets the keys too with --vet when the reward address holds OPERATOR_MANAGER_ROLE", async function () {
      const f = await loadFixture(withOperator);
      await (await f.registry.connect(f.admin).addNodeOperator("Governed", f.admin.address)).wait();
      const { file } = writeDepositData(dir, 10, 3, await f.pool.withdrawalCredentials());
      const out = await runTask("operator-keys", { operator: "1", file, vet: true, pool: f.poolAddress });
      expect(out).to.match(/^uploaded 3\/3 keys \(tx 0x[0-9a-f]{64}\)$/m);
      expect(out).to.match(/^Vetted: operator 1 has 3 vetted keys \(tx 0x[0-9a-f]{64}\)$/m);
      const op = await f.registry.getNodeOperator(1n);
      expect([op.totalKeys, op.vettedKeys]).to.deep.equal([3n, 3n]);
      expect((await f.registry.getNodeOperator(0n)).totalKeys).to.equal(0n);
    });

    it("refuses a file signed for another fork version before any transaction", async function () {
      const f = await loadFixture(withOperator);
      const credentials = await f.pool.withdrawalCredentials();
      const { file } = writeDepositData(dir, 20, 2, credentials, "hoodi");
      const before = await keyState(f);
      const message = await taskError("operator-keys", { operator: "0", file, pool: f.poolAddress });
      expect(message).to.match(
        new RegExp(
          `^--file ${file} is not valid deposit data for mainnet and this pool \\(withdrawal credentials ${credentials}\\): `,
        ),
      );
      expect(message).to.include("entry 0: fork_version 10000910 is not mainnet's genesis fork version 00000000");
      expect(message).to.include("entry 0: network_name hoodi is not mainnet");
      expect(message).to.match(/\(\+\d+ more\)$/);
      expect(await keyState(f)).to.deep.equal(before);
    });

    it("refuses a file with other withdrawal credentials before any transaction", async function () {
      const f = await loadFixture(withOperator);
      const credentials = await f.pool.withdrawalCredentials();
      const foreign = withdrawalCredentialsFor(Wallet.createRandom().address);
      const { file } = writeDepositData(dir, 30, 2, foreign);
      const before = await keyState(f);
      const message = await taskError("operator-keys", { operator: "0", file, pool: f.poolAddress });
      expect(message).to.include(
        `entry 0: withdrawal_credentials ${foreign.slice(2)} are not the expected ${credentials.slice(2)}`,
      );
      expect(message).to.include(
        `entry 1: withdrawal_credentials ${foreign.slice(2)} are not the expected ${credentials.slice(2)}`,
      );
      expect(message).to.not.include("signature does not verify"); // signed correctly, for the wrong credentials
      expect(await keyState(f)).to.deep.equal(before);
    });

    it("refuses keys the registry already holds, naming the entry, before uploading any of the file", async function () {
      const f = await loadFixture(withOperator);
      const credentials = await f.pool.withdrawalCredentials();
      const first = writeDepositData(dir, 40, 2, credentials);
      await runTask("operator-keys", { operator: "0", file: first.file, pool: f.poolAddress });
      // Two new keys (one batch), then one already registered (the next batch).
      const mixed = writeDepositData(dir, 38, 3, credentials); // keys 38, 39, 40
      const before = await keyState(f);
      expect(before.totals).to.deep.equal([2n]);
      expect(
        await taskError("operator-keys", { operator: "0", file: mixed.file, batch: "2", pool: f.poolAddress }),
      ).to.equal(`entry 2 of --file ${mixed.file}: pubkey 0x${mixed.entries[2].pubkey} is already in the registry`);
      expect(await taskError("operator-keys", { operator: "0", file: first.file, pool: f.poolAddress })).to.equal(
        `entry 0 of --file ${first.file}: pubkey 0x${first.entries[0].pubkey} is already in the registry`,
      );
      expect(await keyState(f)).to.deep.equal(before);
    });

    it("rejects bad arguments, unreadable files and operators it cannot sign for, changing nothing", async function () {
      const f = await loadFixture(withOperator);
      const pool = f.poolAddress;
      const { file } = writeDepositData(dir, 50, 1, await f.pool.withdrawalCredentials());
      const before = await keyState(f);

      expect(await taskError("operator-keys", { operator: "x", file, pool })).to.equal(
        '--operator must be an operator id (a non-negative integer), got "x"',
      );
      expect(await taskError("operator-keys", { operator: "0", file, batch: "0", pool })).to.equal(
        '--batch must be an integer from 1 to 100, got "0"',
      );
      expect(await taskError("operator-keys", { operator: "0", file, batch: "101", pool })).to.equal(
        '--batch must be an integer from 1 to 100, got "101"',
      );
      const missing = path.join(dir, "nope.json");
      expect(await taskError("operator-keys", { operator: "0", file: missing, pool })).to.equal(
        `cannot read --file ${missing}: ENOENT: no such file or directory, open '${missing}'`,
      );
      const notArray = path.join(dir, "object.json");
      fs.writeFileSync(notArray, JSON.stringify({ pubkey: "00" }));
      expect(await taskError("operator-keys", { operator: "0", file: notArray, pool })).to.equal(
        `--file ${notArray} is not staking-deposit-cli deposit data: deposit data file must hold a JSON array`,
      );
      const empty = path.join(dir, "empty.json");
      fs.writeFileSync(empty, "[]");
      expect(await taskError("operator-keys", { operator: "0", file: empty, pool })).to.match(
        /is not valid deposit data for mainnet and this pool \(withdrawal credentials 0x[0-9a-f]{64}\): no deposit entries$/,
      );

      expect(await taskError("operator-keys", { operator: "3", file, pool })).to.equal(
        "operator 3 does not exist (the registry has 1 operator)",
      );
      expect(await taskError("operator-keys", { operator: "0", file, vet: true, pool })).to.equal(
        `--vet: ${f.users[0].address} does not hold OPERATOR_MANAGER_ROLE; upload without --vet and have governance vet`,
      );
      const stranger = Wallet.createRandom().address;
      await (await f.registry.connect(f.admin).addNodeOperator("Remote", stranger)).wait();
      expect(await taskError("operator-keys", { operator: "1", file, pool })).to.equal(
        `operator 1's reward address ${stranger} is not one of network "hardhat"'s accounts: it must sign the upload`,
      );
      await (await f.registry.connect(f.admin).setNodeOperatorActive(0n, false)).wait();
      expect(await taskError("operator-keys", { operator: "0", file, pool })).to.equal(
        "operator 0 is inactive: it cannot take keys",
      );

      const after = await keyState(f);
      expect(after.totals).to.deep.equal([...before.totals, 0n]);
      expect((await f.registry.getNodeOperator(0n)).totalKeys).to.equal(0n);
    });
  });

  describe("operator-bond", function () {
    it("posts the bond as pool shares, to the wei, and reports the cover", async function () {
      const f = await loadFixture(withOperator);
      const amount = parseEther("4.5");
      const shares = await f.pool.getSharesByPooledEth(amount);
      const registryShares = await f.pool.sharesOf(await f.registry.getAddress());
      const out = await runTask("operator-bond", { operator: "0", amount: "4.5", pool: f.poolAddress });
      const op = await f.registry.getNodeOperator(0n);
      expect(op.bondShares).to.equal(shares);
      expect(await f.pool.sharesOf(await f.registry.getAddress())).to.equal(registryShares + shares);
      expect(op.bondCoveredValidators).to.equal(2n); // 4.5 ETH at 2 ETH per validator
      expect(out.split("\n")[0]).to.equal(
        `Bond for operator 0 from ${f.admin.address}: +4.5 ETH; now ${eth(await f.pool.getPooledEthByShares(shares))}, covering 2 validators`,
      );
    });

    it("posts from the account --from names", async function () {
      const f = await loadFixture(withOperator);
      const payer = f.users[3]; // account 10
      const before = await hre.ethers.provider.getBalance(payer.address);
      const out = await runTask("operator-bond", { operator: "0", amount: "2", from: "10", pool: f.poolAddress });
      expect(out.split("\n")[0]).to.equal(
        `Bond for operator 0 from ${payer.address}: +2 ETH; now 2 ETH, covering 1 validators`,
      );
      const receipt = await hre.ethers.provider.getTransactionReceipt(/tx (0x[0-9a-f]{64})/.exec(out)?.[1] ?? "");
      if (!receipt) throw new Error("no receipt");
      expect(await hre.ethers.provider.getBalance(payer.address)).to.equal(
        before - parseEther("2") - receipt.gasUsed * receipt.gasPrice,
      );
    });

    it("rejects bad arguments and unknown operators in one line, posting nothing", async function () {
      const f = await loadFixture(withOperator);
      const pool = f.poolAddress;
      expect(await taskError("operator-bond", { operator: "0", amount: "0", pool })).to.equal(
        '--amount must be greater than zero, got "0"',
      );
      expect(await taskError("operator-bond", { operator: "0", amount: "two", pool })).to.equal(
        '--amount must be a positive decimal amount of ETH (at most 18 decimals), got "two"',
      );
      expect(await taskError("operator-bond", { operator: "-1", amount: "1", pool })).to.equal(
        '--operator must be an operator id (a non-negative integer), got "-1"',
      );
      expect(await taskError("operator-bond", { operator: "7", amount: "1", pool })).to.equal(
        "operator 7 does not exist (the registry has 1 operator)",
      );
      expect((await f.registry.getNodeOperator(0n)).bondShares).to.equal(0n);
    });
  });

  describe("operators", function () {
    it("says when there are none", async function () {
      const f = await loadFixture(deployed);
      expect(await runTask("operators", { pool: f.poolAddress })).to.equal(
        `No operators yet (registry ${await f.registry.getAddress()}).`,
      );
    });

    it("lists each operator's keys, bond and pending rewards as the registry has them", async function () {
      const f = await loadFixture(deployWithValidators);
      await (await f.registry.connect(f.admin).addNodeOperator("Beta", f.users[5].address)).wait();
      // Rewards: the CL balance grows by 0.02 ETH (a ~7.6% APR, within the sanity limit); the operators' fee goes to operator 0's validators.
      await f.report({ numValidators: 3n, clBalanceGwei: toGwei(parseEther("96.02")) });
      const pending = await f.registry.pendingOperatorRewards(0n);
      expect(pending).to.be.gt(0n);

      const out = await runTask("operators", { pool: f.poolAddress });
      const op = await f.registry.getNodeOperator(0n);
      const bond = await f.pool.getPooledEthByShares(op.bondShares);
      const rewards = await f.pool.getPooledEthByShares(pending);
      expect(out).to.include(
        "| id | name | active | keys total/vetted/deposited/exited | bond | bond covers | pending rewards | reward address |",
      );
      expect(out).to.include(
        `| 0 | op-0 | yes | 8/8/3/0 | ${eth(bond)} | ${op.bondCoveredValidators} | ${eth(rewards, 6, "tpETH")} | ${f.operator.address} |`,
      );
      expect(out).to.include(`| 1 | Beta | yes | 0/0/0/0 | 0 ETH | 0 | 0 tpETH | ${f.users[5].address} |`);
      expect(out).to.include("2 operators, 3 active validators; bond per validator 2 ETH");
    });
  });
});
