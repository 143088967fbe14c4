import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther, Wallet } from "ethers";
import { deployTidepool, type TidepoolFixture } from "../helpers/fixtures";
import { buildReport } from "../../sdk/src/report";
import { advanceFrames, submitUntilApplied } from "../../offchain/oracle/devchain";
import { eth, ratio } from "../../sdk/src/format";
import { percentBP } from "../../tasks/lib";
import { runTask, taskError } from "../helpers/tasks";

describe("Holder tasks", function () {
  /** 300 ETH staked by three other holders: buffer, hence instant liquidity, and a frame cap of ~3 ETH. */
  async function deployed(): Promise<TidepoolFixture> {
    const f = await loadFixture(deployTidepool);
    for (const [i, value] of [parseEther("100"), parseEther("150"), parseEther("50")].entries()) {
      await f.pool.connect(f.users[i]).stake(hre.ethers.ZeroAddress, { value });
    }
    return f;
  }

  /** What the tasks sign with: the network's first account (the admin here). */
  async function holder() {
    return (await hre.ethers.getSigners())[0];
  }

  /** Everything a failed or preview-only task must leave as it was. */
  async function snapshot(f: TidepoolFixture, who: string) {
    return {
      eth: await hre.ethers.provider.getBalance(who),
      tpEth: await f.pool.balanceOf(who),
      shares: await f.pool.sharesOf(who),
      wtpEth: await f.wrapper.balanceOf(who),
      totalEther: await f.pool.totalPooledEther(),
      totalShares: await f.pool.totalShares(),
      block: await hre.ethers.provider.getBlockNumber(),
    };
  }

  describe("stake", function () {
    it("stakes the exact amount and mints the shares it is worth", async function () {
      const f = await loadFixture(deployed);
      const me = await holder();
      const amount = parseEther("1.5");
      const expectedShares = await f.pool.getSharesByPooledEth(amount);
      const before = await snapshot(f, me.address);
      const out = await runTask("stake", { amount: "1.5", pool: f.poolAddress });
      const after = await snapshot(f, me.address);
      expect(after.shares - before.shares).to.equal(expectedShares);
      expect(after.tpEth - before.tpEth).to.equal(await f.pool.getPooledEthByShares(expectedShares));
      expect(after.totalEther - before.totalEther).to.equal(amount);
      expect(before.eth - after.eth).to.be.gte(amount); // plus gas
      expect(out).to.include(`Staked 1.5 ETH from ${me.address}`);
      expect(out).to.include(`(${expectedShares} shares)`);
    });

    it("logs the referral", async function () {
      const f = await loadFixture(deployed);
      const referral = Wallet.createRandom().address;
      const block = await hre.ethers.provider.getBlockNumber();
      await runTask("stake", { amount: "0.25", referral, pool: f.poolAddress });
      const events = await f.pool.queryFilter(f.pool.filters.Staked(), block + 1);
      expect(events).to.have.length(1);
      expect(events[0].args.referral).to.equal(referral);
      expect(events[0].args.amount).to.equal(parseEther("0.25"));
    });

    it("rejects bad arguments in one line and changes nothing", async function () {
      const f = await loadFixture(deployed);
      const me = await holder();
      const before = await snapshot(f, me.address);
      const pool = f.poolAddress;
      expect(await taskError("stake", { amount: "abc", pool })).to.equal(
        '--amount must be a positive decimal amount of ETH (at most 18 decimals), got "abc"',
      );
      expect(await taskError("stake", { amount: "-1", pool })).to.equal(
        '--amount must be a positive decimal amount of ETH (at most 18 decimals), got "-1"',
      );
      expect(await taskError("stake", { amount: "0", pool })).to.equal('--amount must be greater than zero, got "0"');
      expect(await taskError("stake", { amount: "0.0000000000000000001", pool })).to.include("at most 18 decimals");
      expect(await taskError("stake", { amount: "1", referral: "0x1234", pool })).to.equal(
        '--referral is not a valid address: "0x1234"',
      );
      expect(await taskError("stake", { amount: "1", pool: "nope" })).to.equal('--pool is not a valid address: "nope"');
      const empty = Wallet.createRandom().address;
      expect(await taskError("stake", { amount: "1", pool: empty })).to.equal(`no contract at pool address ${empty}`);
      expect(await snapshot(f, me.address)).to.deep.equal(before);
    });

    it("reports a revert by its custom error name", async function () {
      const f = await loadFixture(deployed);
      const me = await holder();
      await f.pool.connect(f.pauser).pause(1); // staking
      const before = await snapshot(f, me.address);
      expect(await taskError("stake", { amount: "1", pool: f.poolAddress })).to.equal(
        "stake reverted: StakingPaused()",
      );
      expect(await snapshot(f, me.address)).to.deep.equal(before);
    });

    it("fails in one line without --pool when this chain has no recorded deployment", async function () {
      await loadFixture(deployed);
      // An empty Ignition directory: a localhost deployment in this checkout (chain 31337 too) must
      // not count.
      const original = hre.config.paths.ignition;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-tasks-"));
      hre.config.paths.ignition = dir;
      try {
        const message = await taskError("stake", { amount: "1" });
        expect(message).to.match(/^no --pool given and no Ignition deployment found for chain 31337 \(.*chain-31337/);
      } finally {
        hre.config.paths.ignition = original;
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("reads the pool from the Ignition deployment file when --pool is omitted", async function () {
      const f = await loadFixture(deployed);
      const me = await holder();
      const original = hre.config.paths.ignition;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-tasks-"));
      fs.mkdirSync(path.join(dir, "deployments", "chain-31337"), { recursive: true });
      fs.writeFileSync(
        path.join(dir, "deployments", "chain-31337", "deployed_addresses.json"),
        JSON.stringify({ "Tidepool#StakingPoolProxy": f.poolAddress }),
      );
      hre.config.paths.ignition = dir;
      try {
        const before = await f.pool.sharesOf(me.address);
        await runTask("stake", { amount: "0.5" });
        expect((await f.pool.sharesOf(me.address)) - before).to.equal(parseEther("0.5"));
      } finally {
        hre.config.paths.ignition = original;
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("wrap and unwrap", function () {
    it("wraps tpETH into the shares it is worth and unwraps them back, to the wei", async function () {
      const f = await loadFixture(deployed);
      const me = await holder();
      await f.pool.connect(me).stake(hre.ethers.ZeroAddress, { value: parseEther("10") });

      const amount = parseEther("3.3");
      const wtp = await f.pool.getSharesByPooledEth(amount);
      const before = await snapshot(f, me.address);
      const out = await runTask("wrap", { amount: "3.3", pool: f.poolAddress });
      const wrapped = await snapshot(f, me.address);
      expect(wrapped.wtpEth - before.wtpEth).to.equal(wtp);
      expect(before.shares - wrapped.shares).to.equal(wtp);
      expect(before.tpEth - wrapped.tpEth).to.equal(amount); // share rate is 1: no rounding loss
      expect(out).to.include(`Wrapped 3.3 tpETH into ${eth(wtp, 18, "wtpETH")}`);

      const back = await f.pool.getPooledEthByShares(parseEther("1.1"));
      const out2 = await runTask("unwrap", { amount: "1.1", pool: f.poolAddress });
      const unwrapped = await snapshot(f, me.address);
      expect(wrapped.wtpEth - unwrapped.wtpEth).to.equal(parseEther("1.1"));
      expect(unwrapped.shares - wrapped.shares).to.equal(parseEther("1.1"));
      expect(unwrapped.tpEth - wrapped.tpEth).to.equal(back);
      expect(out2).to.include(`Unwrapped 1.1 wtpETH into ${eth(back, 18, "tpETH")}`);
    });

    it("decodes reverts and rejects bad amounts, changing nothing", async function () {
      const f = await loadFixture(deployed);
      const me = await holder();
      const before = await snapshot(f, me.address);
      const wrapError = await taskError("wrap", { amount: "1000", pool: f.poolAddress });
      expect(wrapError).to.match(/^wrap reverted: InsufficientShares\(0x[0-9a-fA-F]{40}, \d+, \d+\)$/);
      expect(await taskError("unwrap", { amount: "1", pool: f.poolAddress })).to.match(
        /^unwrap reverted: ERC20InsufficientBalance\(/,
      );
      expect(await taskError("unwrap", { amount: "1.2.3", pool: f.poolAddress })).to.equal(
        '--amount must be a positive decimal amount of ETH (at most 18 decimals), got "1.2.3"',
      );
      expect(await taskError("wrap", { amount: "0.0", pool: f.poolAddress })).to.equal(
        '--amount must be greater than zero, got "0.0"',
      );
      expect(await snapshot(f, me.address)).to.deep.equal(before);
    });
  });

  describe("instant-redeem", function () {
    async function withBalance() {
      const f = await loadFixture(deployed);
      const me = await holder();
      await f.pool.connect(me).stake(hre.ethers.ZeroAddress, { value: parseEther("5") });
      return { f, me };
    }

    it("only previews without --yes", async function () {
      const { f, me } = await withBalance();
      const [ethOut, fee] = await f.pool.previewInstantRedeem(parseEther("2"));
      expect(fee).to.be.gt(0n);
      const before = await snapshot(f, me.address);
      const out = await runTask("instant-redeem", { amount: "2", pool: f.poolAddress });
      expect(await snapshot(f, me.address)).to.deep.equal(before);
      expect(out).to.include(`Instant redeem of 2 tpETH: ${eth(ethOut, 18)} out, fee ${eth(fee, 18)}`);
      expect(out).to.include("Preview only");
    });

    it("redeems with --yes: burns the amount and pays the previewed ETH, to the wei", async function () {
      const { f, me } = await withBalance();
      const amount = parseEther("2");
      const [ethOut, fee] = await f.pool.previewInstantRedeem(amount);
      const burned = await f.pool.getSharesByPooledEthRoundUp(amount);
      const before = await snapshot(f, me.address);
      const block = await hre.ethers.provider.getBlockNumber();
      const out = await runTask("instant-redeem", { amount: "2", yes: true, pool: f.poolAddress });
      const after = await snapshot(f, me.address);

      const receipts = await Promise.all(
        (await f.pool.queryFilter(f.pool.filters.InstantRedeemed(), block + 1)).map((e) => e.getTransactionReceipt()),
      );
      expect(receipts).to.have.length(1);
      const gas = receipts[0].gasUsed * receipts[0].gasPrice;
      expect(after.eth - before.eth + gas).to.equal(ethOut);
      expect(before.shares - after.shares).to.equal(burned);
      expect(after.totalShares).to.equal(before.totalShares - burned);
      expect(after.totalEther).to.equal(before.totalEther - ethOut);
      expect(out).to.include(`${eth(ethOut, 18)} out, fee ${eth(fee, 18)}`);
      expect(out).to.include(`Redeemed: ${eth(ethOut, 18)} sent to ${me.address}`);
    });

    it("accepts --min-out at or below the preview and refuses it above", async function () {
      const { f, me } = await withBalance();
      const [ethOut] = await f.pool.previewInstantRedeem(parseEther("1"));
      const before = await snapshot(f, me.address);
      expect(await taskError("instant-redeem", { amount: "1", minOut: "1", yes: true, pool: f.poolAddress })).to.equal(
        `--min-out 1 ETH is above the previewed ${eth(ethOut, 18)}`,
      );
      expect(await taskError("instant-redeem", { amount: "1", minOut: "x", yes: true, pool: f.poolAddress })).to.equal(
        '--min-out must be a positive decimal amount of ETH (at most 18 decimals), got "x"',
      );
      expect(await snapshot(f, me.address)).to.deep.equal(before);
      await runTask("instant-redeem", { amount: "1", minOut: "0.9", yes: true, pool: f.poolAddress });
      expect(await f.pool.sharesOf(me.address)).to.be.lt(before.shares);
    });

    it("reports the frame cap and missing liquidity by their custom errors, changing nothing", async function () {
      const { f, me } = await withBalance();
      const before = await snapshot(f, me.address);
      // 1% of ~305 ETH per frame: 4 ETH is within the liquidity but over the cap.
      expect(await taskError("instant-redeem", { amount: "4", yes: true, pool: f.poolAddress })).to.match(
        /^instantRedeem reverted: InstantRedeemFrameCapExceeded\(\d+, \d+\)$/,
      );
      const liquidity = await f.pool.instantLiquidity();
      const tooMuch = eth(liquidity + parseEther("1"), 18, "");
      expect(await taskError("instant-redeem", { amount: tooMuch, pool: f.poolAddress })).to.equal(
        `previewInstantRedeem reverted: InsufficientInstantLiquidity(${liquidity + parseEther("1")}, ${liquidity})`,
      );
      expect(await snapshot(f, me.address)).to.deep.equal(before);
    });
  });

  describe("status", function () {
    it("prints the pool's figures and the account's balances", async function () {
      const f = await loadFixture(deployed);
      const me = await holder();
      await f.pool.connect(me).stake(hre.ethers.ZeroAddress, { value: parseEther("4") });
      await f.wrapper.connect(me).wrap(parseEther("1"));

      // A report with EL rewards, so that the share rate, APR and last report are not trivial.
      await me.sendTransaction({ to: await f.elRewardsVault.getAddress(), value: parseEther("0.01") });
      const refSlot = await advanceFrames(hre.network.provider, f.oracle);
      await submitUntilApplied(
        f.oracle,
        f.oracleMembers,
        buildReport(refSlot, { elRewardsVaultBalance: parseEther("0.01") }),
      );

      const out = await runTask("status", { pool: f.poolAddress });
      const totalEther = await f.pool.totalPooledEther();
      const totalShares = await f.pool.totalShares();
      const report = await f.oracle.getLastReport();
      const apr = await f.oracle.lastReportAprBP();
      expect(report.refSlot).to.equal(refSlot);
      expect(apr).to.be.gt(0n);
      const line = (label: string, value: string) => expect(out).to.include(`| ${label} | ${value} |`);
      line("share rate (ETH per share)", ratio(totalEther, totalShares, 18));
      line("TVL (total pooled ether)", eth(totalEther, 18));
      line("buffered ether", eth(await f.pool.bufferedEther(), 18));
      line("instant liquidity", eth(await f.pool.instantLiquidity(), 18));
      line("total shares", totalShares.toString());
      line("deposited validators", "0");
      line("visible validators", "0");
      line("CL balance", "0 ETH");
      line("validators per operator", "no operators yet");
      line("last report refSlot", refSlot.toString());
      line("last report APR", percentBP(apr));
      line("bunker mode", "off");
      expect(out).to.match(/\| protocol fee \| 10% \(treasury [\d.]+%, operators [\d.]+%, insurance [\d.]+%\) \|/);
      line("account", me.address);
      line(
        "tpETH balance",
        `${eth(await f.pool.balanceOf(me.address), 18, "tpETH")} (${await f.pool.sharesOf(me.address)} shares)`,
      );
      const w = await f.wrapper.balanceOf(me.address);
      expect(w).to.equal(parseEther("1")); // wrapped at a share rate of 1, before the report
      line(
        "wtpETH balance",
        `${eth(w, 18, "wtpETH")} (worth ${eth(await f.pool.getPooledEthByShares(w), 18, "tpETH")})`,
      );
    });

    it("shows another account's balances with --account, and rejects a bad one", async function () {
      const f = await loadFixture(deployed);
      const alice = f.users[0];
      const out = await runTask("status", { account: alice.address, pool: f.poolAddress });
      expect(out).to.include(`| account | ${alice.address} |`);
      expect(out).to.include(`| tpETH balance | ${eth(await f.pool.balanceOf(alice.address), 18, "tpETH")} (`);
      expect(out).to.include("| wtpETH balance | 0 wtpETH (worth 0 tpETH) |");
      expect(out).to.include("| last report refSlot | none yet");
      expect(await taskError("status", { account: "0xabc", pool: f.poolAddress })).to.equal(
        '--account is not a valid address: "0xabc"',
      );
    });
  });
});
