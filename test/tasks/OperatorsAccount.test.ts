/**
 * The operator's own tasks in tasks/operators.ts (docs/operators.md): operator-rewards (view,
 * --claim), operator-bond (view, --withdraw), operator-keys --remove, and governance's operator-vet
 * without a Beacon API (test/tasks/OperatorsBeacon.test.ts has it with one, and operator-exits).
 * Each success is checked to the wei or the key; each refusal is one sentence that sends nothing.
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, parseEther } from "ethers";
import { deployTidepool, type TidepoolFixture } from "../helpers/fixtures";
import { deployWithValidators, toGwei, type OracleFixture } from "../helpers/oracle-fixtures";
import { GENESIS_FORK_VERSIONS, testKeyBatch } from "../../offchain/keys/bls";
import { eth } from "../../sdk/src/format";
import { runTask, taskError } from "../helpers/tasks";

const TX = /\(tx (0x[0-9a-f]{64})\)$/;

/** The transaction hash a task's line ends with. */
function txOf(line: string): string {
  const hash = TX.exec(line)?.[1];
  if (hash === undefined) throw new Error(`no tx in "${line}"`);
  return hash;
}

describe("Operator tasks: rewards, bond, key removal, vetting", function () {
  this.timeout(120_000);

  /** deployWithValidators, then a report with 0.02 ETH of rewards: operator 0 has fee rewards pending. */
  async function withRewards(): Promise<OracleFixture> {
    const f = await loadFixture(deployWithValidators);
    await f.report({ numValidators: 3n, clBalanceGwei: toGwei(parseEther("96.02")) });
    return f;
  }

  /** An operator whose reward address is no account of this network. */
  async function addRemote(f: TidepoolFixture): Promise<bigint> {
    const id = await f.registry.getNodeOperatorsCount();
    await (await f.registry.connect(f.admin).addNodeOperator("Remote", Wallet.createRandom().address)).wait();
    return id;
  }

  describe("operator-rewards", function () {
    it("shows the pending fee rewards in tpETH, ETH and shares; --claim pays them to the reward address, to the share", async function () {
      const f = await loadFixture(withRewards);
      const pool = f.poolAddress;
      const pending = await f.registry.pendingOperatorRewards(0n);
      expect(pending).to.be.gt(0n);
      const value = await f.pool.getPooledEthByShares(pending);
      expect(await runTask("operator-rewards", { operator: "0", pool })).to.equal(
        `Operator 0 ("op-0"): ${eth(value, 6, "tpETH")} of fee rewards pending (worth ${eth(value)}; ${pending} shares),` +
          ` claimable by its reward address ${f.operator.address}`,
      );

      const before = await f.pool.sharesOf(f.operator.address);
      const out = await runTask("operator-rewards", { operator: "0", claim: true, pool });
      expect(await f.pool.sharesOf(f.operator.address)).to.equal(before + pending);
      expect(await f.registry.pendingOperatorRewards(0n)).to.equal(0n);
      const receipt = await hre.ethers.provider.getTransactionReceipt(txOf(out));
      const claimed = receipt!.logs
        .map((l) => f.registry.interface.parseLog(l))
        .find((e) => e?.name === "OperatorRewardsClaimed");
      expect(claimed?.args.toArray()).to.deep.equal([0n, f.operator.address, pending, value]);
      expect(out).to.equal(
        `Claimed ${eth(value, 6, "tpETH")} (worth ${eth(value)}; ${pending} shares) of operator 0's fee rewards` +
          ` to ${f.operator.address} (tx ${receipt!.hash})`,
      );

      expect(await runTask("operator-rewards", { operator: "0", claim: true, pool })).to.equal(
        "Nothing to claim: operator 0 has no pending fee rewards.",
      );
    });

    it("refuses in one sentence, sending nothing: no such operator, a reward address it cannot sign for", async function () {
      const f = await loadFixture(withRewards);
      const pool = f.poolAddress;
      const remote = await addRemote(f);
      const rewardAddress = (await f.registry.getNodeOperator(remote)).rewardAddress;
      const block = await hre.ethers.provider.getBlockNumber();
      expect(await taskError("operator-rewards", { operator: "x", pool })).to.equal(
        '--operator must be an operator id (a non-negative integer), got "x"',
      );
      expect(await taskError("operator-rewards", { operator: "5", claim: true, pool })).to.equal(
        "operator 5 does not exist (the registry has 2 operators)",
      );
      expect(await taskError("operator-rewards", { operator: String(remote), claim: true, pool })).to.equal(
        `operator ${remote}'s reward address ${rewardAddress} is not one of network "hardhat"'s accounts: only it can claim its rewards`,
      );
      expect(await hre.ethers.provider.getBlockNumber()).to.equal(block);
    });
  });

  describe("operator-bond", function () {
    it("shows the bond: total, locked for the active validators, free", async function () {
      const f = await loadFixture(deployWithValidators);
      const op = await f.registry.getNodeOperator(0n);
      const total = await f.pool.getPooledEthByShares(op.bondShares);
      const required = await f.pool.getSharesByPooledEthRoundUp(parseEther("6"));
      expect(op.bondShares).to.be.lte(required); // 6 ETH posted, 6 ETH locked: nothing free
      expect(await runTask("operator-bond", { operator: "0", pool: f.poolAddress })).to.equal(
        `Operator 0 ("op-0") bond: ${eth(total)}; 6 ETH locked for 3 active validators (2 ETH each); 0 ETH free to withdraw`,
      );
    });

    it("--withdraw takes free bond back as tpETH to the reward address, shares rounded down; all takes the rest", async function () {
      const f = await loadFixture(deployWithValidators);
      const pool = f.poolAddress;
      await (await f.registry.connect(f.staker).depositBond(0n, { value: parseEther("3") })).wait();
      const op = await f.registry.getNodeOperator(0n);
      const required = await f.pool.getSharesByPooledEthRoundUp(parseEther("6"));
      const free = op.bondShares - required;
      const freeWei = await f.pool.getPooledEthByShares(free);
      const shares = await f.pool.getSharesByPooledEth(parseEther("1.5"));
      const before = await f.pool.sharesOf(f.operator.address);

      const out = (await runTask("operator-bond", { operator: "0", withdraw: "1.5", pool })).split("\n");
      expect(await f.pool.sharesOf(f.operator.address)).to.equal(before + shares);
      expect((await f.registry.getNodeOperator(0n)).bondShares).to.equal(op.bondShares - shares);
      const paid = await f.pool.getPooledEthByShares(shares);
      const leftWei = await f.pool.getPooledEthByShares(free - shares);
      expect(out).to.deep.equal([
        `Operator 0 ("op-0") bond: ${eth(await f.pool.getPooledEthByShares(op.bondShares))}; 6 ETH locked for 3 active validators (2 ETH each); ${eth(freeWei)} free to withdraw`,
        `Withdrew ${eth(paid, 18, "tpETH")} of bond (${shares} shares) to ${f.operator.address}; free bond now ${eth(leftWei)} (tx ${txOf(out[1])})`,
      ]);

      const all = (await runTask("operator-bond", { operator: "0", withdraw: "all", pool })).split("\n");
      expect(await f.pool.sharesOf(f.operator.address)).to.equal(before + free);
      expect((await f.registry.getNodeOperator(0n)).bondShares).to.equal(required);
      expect(all[1]).to.equal(
        `Withdrew ${eth(await f.pool.getPooledEthByShares(free - shares), 18, "tpETH")} of bond (${free - shares} shares) to ${f.operator.address}; free bond now 0 ETH (tx ${txOf(all[1])})`,
      );
    });

    it("refuses more than the free bond naming both amounts, and bad arguments, in one sentence, changing nothing", async function () {
      const f = await loadFixture(deployWithValidators);
      const pool = f.poolAddress;
      const remote = await addRemote(f);
      const bondShares = (await f.registry.getNodeOperator(0n)).bondShares;
      expect(await taskError("operator-bond", { operator: "0", withdraw: "all", pool })).to.equal(
        `operator 0 has no free bond to withdraw: 6 ETH backs its 3 active validators (bond ${eth(await f.pool.getPooledEthByShares(bondShares))})`,
      );
      await (await f.registry.connect(f.staker).depositBond(0n, { value: parseEther("1.25") })).wait();
      const block = await hre.ethers.provider.getBlockNumber();
      expect(await taskError("operator-bond", { operator: "0", withdraw: "2", pool })).to.equal(
        "--withdraw 2 ETH is more than operator 0's free bond of 1.25 ETH (6 ETH backs its 3 active validators)",
      );
      expect(await taskError("operator-bond", { operator: "0", withdraw: "abc", pool })).to.equal(
        '--withdraw must be a positive decimal amount of ETH (at most 18 decimals), got "abc"',
      );
      expect(await taskError("operator-bond", { operator: "0", withdraw: "1", amount: "1", pool })).to.equal(
        "give --amount (to post bond) or --withdraw (to take free bond back), not both",
      );
      expect(await taskError("operator-bond", { operator: "0", withdraw: "1", from: "8", pool })).to.equal(
        "--withdraw is signed by the operator's reward address: leave --from out",
      );
      expect(await taskError("operator-bond", { operator: "0", from: "8", pool })).to.equal(
        "--from goes with --amount (who posts the bond)",
      );
      const rewardAddress = (await f.registry.getNodeOperator(remote)).rewardAddress;
      expect(await taskError("operator-bond", { operator: String(remote), withdraw: "1", pool })).to.equal(
        `operator ${remote}'s reward address ${rewardAddress} is not one of network "hardhat"'s accounts: only it can withdraw its bond`,
      );
      expect(await hre.ethers.provider.getBlockNumber()).to.equal(block);
    });
  });

  describe("operator-keys --remove", function () {
    it("removes undeposited keys: the last keys fill the gap, vetting drops to the first removed", async function () {
      const f = await loadFixture(deployWithValidators);
      const pool = f.poolAddress;
      const pubkeys: string[] = [];
      for (let i = 0n; i < 8n; i++) pubkeys.push((await f.registry.getSigningKey(0n, i)).pubkey);
      const nonce = await f.registry.operatorKeysNonce(0n);
      const remove = async (from: string, count: string) =>
        (await runTask("operator-keys", { operator: "0", remove: true, from, count, pool })).split("\n");
      const keys = async () => {
        const op = await f.registry.getNodeOperator(0n);
        const list: string[] = [];
        for (let i = 0n; i < op.totalKeys; i++) list.push((await f.registry.getSigningKey(0n, i)).pubkey);
        return { total: op.totalKeys, vetted: op.vettedKeys, deposited: op.depositedKeys, list };
      };

      // The last key, vetted: nothing moves, the keys left stay vetted.
      const last = await remove("7", "1");
      expect(last).to.deep.equal([
        `removed key #7 ${pubkeys[7]}`,
        `Operator 0 ("op-0") now has 7 keys, 7 vetted (tx ${txOf(last[1])})`,
      ]);
      expect(await keys()).to.deep.equal({ total: 7n, vetted: 7n, deposited: 3n, list: pubkeys.slice(0, 7) });

      // Two from the first undeposited key: the last two fill the gap and lose their vetting.
      const two = await remove("3", "2");
      expect(two).to.deep.equal([
        `removed key #3 ${pubkeys[3]}`,
        `removed key #4 ${pubkeys[4]}`,
        `Operator 0 ("op-0") now has 5 keys, 3 vetted; its last 2 keys moved to #3–#4; keys from #3 on need vetting again (operator-vet) (tx ${txOf(two[2])})`,
      ]);
      expect(await keys()).to.deep.equal({
        total: 5n,
        vetted: 3n,
        deposited: 3n,
        list: [...pubkeys.slice(0, 3), pubkeys[5], pubkeys[6]],
      });
      expect(await f.registry.operatorKeysNonce(0n)).to.equal(nonce + 2n);

      // One of two unvetted keys: the last one moves into its place.
      const one = await remove("3", "1");
      expect(one).to.deep.equal([
        `removed key #3 ${pubkeys[5]}`,
        `Operator 0 ("op-0") now has 4 keys, 3 vetted; its last 1 key moved to #3 (tx ${txOf(one[1])})`,
      ]);
      expect(await keys()).to.deep.equal({
        total: 4n,
        vetted: 3n,
        deposited: 3n,
        list: [...pubkeys.slice(0, 3), pubkeys[6]],
      });
    });

    it("refuses deposited keys, ranges past the last key and bad arguments in one sentence, removing nothing", async function () {
      const f = await loadFixture(deployWithValidators);
      const pool = f.poolAddress;
      const remote = await addRemote(f);
      const block = await hre.ethers.provider.getBlockNumber();
      const remove = (from: string, count: string, extra: Record<string, unknown> = {}) =>
        taskError("operator-keys", { operator: "0", remove: true, from, count, pool, ...extra });
      expect(await remove("2", "2")).to.equal(
        "--from 2: operator 0's keys #0–#2 are deposited (validators run on them) and cannot be removed: only keys from #3 on can",
      );
      expect(await remove("7", "2")).to.equal(
        "operator 0 has 8 keys (#0–#7): --from 7 --count 2 reaches past the last",
      );
      expect(await remove("3", "0")).to.equal('--count must be an integer from 1 to 100, got "0"');
      expect(await remove("3", "101")).to.equal('--count must be an integer from 1 to 100, got "101"');
      expect(await remove("x", "1")).to.equal('--from must be an integer of at least 0, got "x"');
      expect(await remove("3", "1", { file: "keys.json" })).to.equal(
        "--remove takes --from and --count only (not --file, --batch or --vet)",
      );
      expect(await taskError("operator-keys", { operator: "0", remove: true, from: "3", pool })).to.equal(
        "--remove needs --from <index> and --count <n>",
      );
      expect(await taskError("operator-keys", { operator: "0", from: "3", count: "1", pool })).to.equal(
        "--from and --count go with --remove",
      );
      expect(await taskError("operator-keys", { operator: "0", pool })).to.equal(
        "give --file <deposit data> to upload keys, or --remove --from <index> --count <n>",
      );
      expect(
        await taskError("operator-keys", { operator: String(remote), remove: true, from: "0", count: "1", pool }),
      ).to.equal(`operator ${remote} has no keys to remove`);
      expect(await hre.ethers.provider.getBlockNumber()).to.equal(block);
      expect((await f.registry.getNodeOperator(0n)).totalKeys).to.equal(8n);
    });
  });

  describe("operator-vet", function () {
    /** Operator 0 ("Alpha", users[0]) with 4 keys signed for mainnet and the pool, and a 5th signed for Hoodi: none vetted. */
    async function withUnvetted(): Promise<TidepoolFixture> {
      const f = await loadFixture(deployTidepool);
      const operator = f.users[0];
      await (await f.registry.connect(f.admin).addNodeOperator("Alpha", operator.address)).wait();
      const credentials = await f.pool.withdrawalCredentials();
      const good = testKeyBatch("Alpha", 0, 4, credentials);
      await (await f.registry.connect(operator).addSigningKeys(0n, 4n, good.pubkeys, good.signatures)).wait();
      const hoodi = testKeyBatch("Alpha", 4, 1, credentials, GENESIS_FORK_VERSIONS.hoodi);
      await (await f.registry.connect(operator).addSigningKeys(0n, 1n, hoodi.pubkeys, hoodi.signatures)).wait();
      return f;
    }

    it("checks the next keys and prints the call it would send; --yes sends it with the keys nonce of the checked block", async function () {
      const f = await loadFixture(withUnvetted);
      const pool = f.poolAddress;
      const credentials = await f.pool.withdrawalCredentials();
      const nonce = await f.registry.operatorKeysNonce(0n);
      const block = await hre.ethers.provider.getBlockNumber();
      const registry = await f.registry.getAddress();
      const checked = [
        `Operator 0 ("Alpha"): keys #0–#3 checked at block ${block}:`,
        `  deposit signatures: all 4 verify for mainnet and the pool's withdrawal credentials ${credentials}`,
        "  pubkeys: no repeats",
        "  beacon chain: not checked (give --beacon <url> to check for validators with other credentials)",
      ];
      const calldata = f.registry.interface.encodeFunctionData("setVettedKeys", [0n, 4n, nonce]);
      expect((await runTask("operator-vet", { operator: "0", keys: "4", pool })).split("\n")).to.deep.equal([
        ...checked,
        `Would send setVettedKeys(0, 4, ${nonce}) to the registry ${registry} (calldata ${calldata}); run again with --yes to send it` +
          " (where governance is a timelock, schedule this call through it); it reverts if the operator's keys change first",
      ]);
      expect(await hre.ethers.provider.getBlockNumber()).to.equal(block);
      expect((await f.registry.getNodeOperator(0n)).vettedKeys).to.equal(0n);

      const out = (await runTask("operator-vet", { operator: "0", keys: "4", yes: true, pool })).split("\n");
      expect(out.slice(0, 4)).to.deep.equal(checked);
      expect(out[4]).to.equal(
        `Vetted: setVettedKeys(0, 4, ${nonce}) from ${f.admin.address}; operator 0 has 4 vetted keys (tx ${txOf(out[4])})`,
      );
      const receipt = await hre.ethers.provider.getTransactionReceipt(txOf(out[4]));
      expect(receipt!.from).to.equal(f.admin.address);
      const vetted = receipt!.logs
        .map((l) => f.registry.interface.parseLog(l))
        .find((e) => e?.name === "VettedKeysSet");
      expect(vetted?.args.toArray()).to.deep.equal([0n, 4n]);
    });

    it("refuses a key whose signature does not verify, and bad arguments, in one sentence, vetting nothing", async function () {
      const f = await loadFixture(withUnvetted);
      const pool = f.poolAddress;
      const block = await hre.ethers.provider.getBlockNumber();
      expect(await taskError("operator-vet", { operator: "0", keys: "all", yes: true, pool })).to.equal(
        "keys #0–#4 of operator 0 cannot be vetted: key #4: its deposit signature does not verify for mainnet and the pool's withdrawal credentials; nothing sent",
      );
      expect(await taskError("operator-vet", { operator: "0", keys: "6", pool })).to.equal(
        "operator 0 has 5 unvetted keys (#0–#4), fewer than the 6 asked for",
      );
      expect(await taskError("operator-vet", { operator: "0", keys: "0", pool })).to.equal(
        '--keys must be an integer of at least 1, got "0"',
      );
      expect(await taskError("operator-vet", { operator: "0", keys: "2", from: "0", pool })).to.equal(
        "--from names who signs: it goes with --yes",
      );
      expect(await taskError("operator-vet", { operator: "0", keys: "2", yes: true, from: "7", pool })).to.equal(
        `account 7 (${f.users[0].address}) is not a holder of OPERATOR_MANAGER_ROLE`,
      );
      expect(await taskError("operator-vet", { operator: "0", keys: "2", beacon: "ftp://x", pool })).to.equal(
        '--beacon must be an http(s) URL, got "ftp://x"',
      );
      expect(await taskError("operator-vet", { operator: "3", keys: "2", pool })).to.equal(
        "operator 3 does not exist (the registry has 1 operator)",
      );
      expect(await hre.ethers.provider.getBlockNumber()).to.equal(block);
      expect((await f.registry.getNodeOperator(0n)).vettedKeys).to.equal(0n);

      await runTask("operator-vet", { operator: "0", keys: "4", yes: true, pool });
      await (await f.registry.connect(f.users[0]).removeSigningKeys(0n, 4n, 1n)).wait();
      expect(await taskError("operator-vet", { operator: "0", keys: "all", pool })).to.equal(
        "operator 0 has no unvetted keys (4 keys, all vetted)",
      );
    });
  });
});
