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
import { duration, ethAtMost, IN_PROCESS_NO_DEPLOYMENT, percentBP } from "../../tasks/lib";
import { runTask, taskError } from "../helpers/tasks";

/** `fee` as a percentage of `amount`, in basis points rounded half up: what the preview states. */
const feePercent = (fee: bigint, amount: bigint): string => percentBP((2n * fee * 10_000n + amount) / (2n * amount));

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
      expect(out.split("\n")[0]).to.equal(
        `Staked 1.5 ETH from ${me.address}: +${eth(after.tpEth - before.tpEth, 6, "tpETH")}`,
      );
      expect(out).to.not.include("shares"); // raw shares only with --raw
      const raw = await runTask("stake", { amount: "1.5", raw: true, pool: f.poolAddress });
      expect(raw.split("\n")[0]).to.equal(
        `Staked 1.5 ETH from ${me.address}: +${eth(amount, 6, "tpETH")} (${expectedShares} shares)`,
      );
    });

    it("signs with --from, an account index or the address of one of the network's accounts", async function () {
      const f = await loadFixture(deployed);
      const [, , , , , , , , , , , , bob] = await hre.ethers.getSigners(); // account 12, no role
      const before = await f.pool.sharesOf(bob.address);
      const byIndex = await runTask("stake", { amount: "2", from: "12", pool: f.poolAddress });
      expect(byIndex.split("\n")[0]).to.equal(`Staked 2 ETH from ${bob.address}: +2 tpETH`);
      const byAddress = await runTask("stake", { amount: "0.5", from: bob.address.toLowerCase(), pool: f.poolAddress });
      expect(byAddress.split("\n")[0]).to.equal(`Staked 0.5 ETH from ${bob.address}: +0.5 tpETH`);
      expect((await f.pool.sharesOf(bob.address)) - before).to.equal(parseEther("2.5")); // share rate 1
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
      expect(await taskError("stake", { amount: "1", pool: empty })).to.equal(IN_PROCESS_NO_DEPLOYMENT);
      expect(await taskError("stake", { amount: "1", from: "40", pool })).to.equal(
        '--from 40: network "hardhat" has 40 accounts (indices 0 to 39)',
      );
      expect(await taskError("stake", { amount: "1", from: "me", pool })).to.equal(
        '--from must be an account index (0 to 39) or an address, got "me"',
      );
      const stranger = Wallet.createRandom().address;
      expect(await taskError("stake", { amount: "1", from: stranger, pool })).to.equal(
        `--from ${stranger} is not one of network "hardhat"'s 40 accounts, the only ones it can sign with`,
      );
      expect(await taskError("stake", { amount: "1", from: "0x0", pool })).to.equal(
        "--from cannot be the zero address",
      );
      const funds = await hre.ethers.provider.getBalance(me.address);
      expect(await taskError("stake", { amount: "100000000", pool })).to.equal(
        `${me.address} holds ${ethAtMost(funds)}, less than the 100000000 ETH to stake (and gas).`,
      );
      expect(await snapshot(f, me.address)).to.deep.equal(before);
    });

    it("reports a revert in the SDK's words, naming the custom error", async function () {
      const f = await loadFixture(deployed);
      const me = await holder();
      await f.pool.connect(f.pauser).pause(1); // staking
      const before = await snapshot(f, me.address);
      expect(await taskError("stake", { amount: "1", pool: f.poolAddress })).to.equal(
        "Staking is paused right now. Please try again later. (StakingPaused)",
      );
      expect(await snapshot(f, me.address)).to.deep.equal(before);
    });

    it("says to pass --network when the in-process network has no deployment recorded", async function () {
      await loadFixture(deployed);
      // An empty Ignition directory: a localhost deployment in this checkout (chain 31337 too) must
      // not count.
      const original = hre.config.paths.ignition;
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-tasks-"));
      hre.config.paths.ignition = dir;
      try {
        expect(await taskError("stake", { amount: "1" })).to.equal(
          'No Tidepool deployment on the in-process "hardhat" network: pass --network localhost (a node started with "npx hardhat node" and deployed) or --network hoodi, or --pool <address>.',
        );
        // A record whose address has no code here (a localhost node's, say) says the same.
        fs.mkdirSync(path.join(dir, "deployments", "chain-31337"), { recursive: true });
        fs.writeFileSync(
          path.join(dir, "deployments", "chain-31337", "deployed_addresses.json"),
          JSON.stringify({ "Tidepool#StakingPoolProxy": Wallet.createRandom().address }),
        );
        expect(await taskError("status", {})).to.equal(IN_PROCESS_NO_DEPLOYMENT);
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
      expect(out.split("\n")[0]).to.equal(`Wrapped 3.3 tpETH into ${eth(wtp, 6, "wtpETH")} for ${me.address}`);

      const back = await f.pool.getPooledEthByShares(parseEther("1.1"));
      const out2 = await runTask("unwrap", { amount: "1.1", pool: f.poolAddress });
      const unwrapped = await snapshot(f, me.address);
      expect(wrapped.wtpEth - unwrapped.wtpEth).to.equal(parseEther("1.1"));
      expect(unwrapped.shares - wrapped.shares).to.equal(parseEther("1.1"));
      expect(unwrapped.tpEth - wrapped.tpEth).to.equal(back);
      expect(out2.split("\n")[0]).to.equal(`Unwrapped 1.1 wtpETH into ${eth(back, 6, "tpETH")} for ${me.address}`);
    });

    it("refuses more than the balance and bad amounts, changing nothing", async function () {
      const f = await loadFixture(deployed);
      const me = await holder();
      const before = await snapshot(f, me.address);
      expect(await taskError("wrap", { amount: "1000", pool: f.poolAddress })).to.equal(
        `${me.address} holds 0 tpETH, less than the 1000 tpETH to wrap.`,
      );
      expect(await taskError("unwrap", { amount: "1", pool: f.poolAddress })).to.equal(
        `${me.address} holds 0 wtpETH, less than the 1 wtpETH to unwrap.`,
      );
      // users[0] holds 100 tpETH: wrapping from it by --from moves its balance, not account 0's.
      const alice = f.users[0];
      expect(await taskError("wrap", { amount: "100.000001", from: alice.address, pool: f.poolAddress })).to.equal(
        `${alice.address} holds 100 tpETH, less than the 100.000001 tpETH to wrap.`,
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

    it("only previews without --yes: the fee in percent, the minimum received and what is redeemable now", async function () {
      const { f, me } = await withBalance();
      const amount = parseEther("2");
      const [ethOut, fee] = await f.pool.previewInstantRedeem(amount);
      expect(fee).to.be.gt(0n);
      const liquidity = await f.pool.instantLiquidity();
      const [, , , remaining] = await f.pool.getInstantRedeemParams();
      expect(remaining).to.be.lt(liquidity); // the day's cap binds: 1% of TVL
      const before = await snapshot(f, me.address);
      const out = await runTask("instant-redeem", { amount: "2", pool: f.poolAddress });
      expect(await snapshot(f, me.address)).to.deep.equal(before);
      expect(out.split("\n")).to.deep.equal([
        `Instant redeem of 2 tpETH from ${me.address}: you receive ${eth(ethOut)}, fee ${eth(fee)} (${feePercent(fee, amount)}).`,
        `Minimum received: ${ethAtMost(ethOut)} (the preview; --min-out to accept less).`,
        `Redeemable now: ${ethAtMost(remaining, 6, "tpETH")} (instant liquidity ${ethAtMost(liquidity)}, today's cap ${ethAtMost(remaining, 6, "tpETH")} left).`,
        "Preview only: nothing sent. Re-run with --yes to redeem.",
      ]);
      const withMin = await runTask("instant-redeem", { amount: "2", minOut: "1.9", pool: f.poolAddress });
      expect(withMin.split("\n")[1]).to.equal("Minimum received: 1.9 ETH (--min-out).");
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
      expect(out.split("\n")[0]).to.equal(
        `Instant redeem of 2 tpETH from ${me.address}: you receive ${eth(ethOut)}, fee ${eth(fee)} (${feePercent(fee, amount)}).`,
      );
      expect(out.split("\n")[3]).to.equal(`Redeemed: ${eth(ethOut)} sent to ${me.address} (gas ${eth(gas)})`);
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

    it("refuses to quote what cannot be done: over today's cap, paused, more than the balance", async function () {
      const { f, me } = await withBalance();
      const [, , , , , , , , , , , , bob] = await hre.ethers.getSigners(); // account 12, no role
      await f.pool.connect(bob).stake(hre.ethers.ZeroAddress, { value: parseEther("0.5") });
      const before = await snapshot(f, me.address);
      // 1% of ~305 ETH per day: 4 tpETH is within the liquidity but over the cap, preview or not.
      const liquidity = await f.pool.instantLiquidity();
      const [, , , remaining] = await f.pool.getInstantRedeemParams();
      expect(remaining).to.be.lt(liquidity);
      const overCap = `Instant redemptions are capped for today: ${eth(remaining, 18, "tpETH")} left, you asked for 4 tpETH. (InstantRedeemFrameCapExceeded)`;
      expect(await taskError("instant-redeem", { amount: "4", pool: f.poolAddress })).to.equal(overCap);
      expect(await taskError("instant-redeem", { amount: "4", yes: true, pool: f.poolAddress })).to.equal(overCap);
      // Within today's cap, beyond the balance of the account that signs.
      expect(await taskError("instant-redeem", { amount: "1", from: "12", pool: f.poolAddress })).to.equal(
        `${bob.address} holds 0.5 tpETH, less than the 1 tpETH to redeem.`,
      );
      await (await f.pool.connect(f.pauser).pause(2)).wait(); // instant redemption
      const paused = await snapshot(f, me.address);
      expect(await taskError("instant-redeem", { amount: "1", pool: f.poolAddress })).to.equal(
        "Instant redemption is paused right now. You can still request a withdrawal. (InstantRedeemPaused)",
      );
      expect(await snapshot(f, me.address)).to.deep.equal(paused);
      expect({ ...paused, block: before.block }).to.deep.equal(before); // only the pause was mined
    });
  });

  describe("status", function () {
    it("prints the pool's figures rounded and the account's balances; raw shares with --raw", async function () {
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
      const [genesisTime] = await f.oracle.getFrameConfig();
      const latest = await hre.ethers.provider.getBlock("latest");
      const age = BigInt(latest!.timestamp) - (genesisTime + refSlot * 12n);
      const liquidity = await f.pool.instantLiquidity();
      const [, , , remaining] = await f.pool.getInstantRedeemParams();
      expect(report.refSlot).to.equal(refSlot);
      expect(apr).to.be.gt(0n);
      expect(ratio(totalEther, totalShares, 18)).to.not.equal(ratio(totalEther, totalShares, 9) + "000000000");
      const line = (text: string, label: string, value: string) => expect(text).to.include(`| ${label} | ${value} |`);
      line(out, "share rate (ETH per share)", ratio(totalEther, totalShares, 9));
      line(out, "TVL (total pooled ether)", eth(totalEther));
      line(out, "buffered ether", eth(await f.pool.bufferedEther()));
      line(out, "instant liquidity", eth(liquidity));
      const capped = remaining < liquidity ? remaining : liquidity;
      line(
        out,
        "redeemable now",
        `${ethAtMost(capped, 6, "tpETH")} (instant liquidity ${ethAtMost(liquidity)}, today's cap ${ethAtMost(remaining, 6, "tpETH")} left)`,
      );
      line(out, "deposited validators", "0");
      line(out, "visible validators", "0");
      line(out, "CL balance", "0 ETH");
      line(out, "validators per operator", "no operators yet");
      line(
        out,
        "last report",
        `ref slot ${refSlot}, ${duration(age)} ago, covering ${duration(report.timeElapsedSeconds)}`,
      );
      line(out, "APR (last report)", percentBP(apr));
      line(out, "bunker mode", "off");
      line(out, "paused", "nothing");
      expect(out).to.match(/\| protocol fee \| 10% \(treasury [\d.]+%, operators [\d.]+%, insurance [\d.]+%\) \|/);
      line(out, "account", me.address);
      line(out, "tpETH balance", eth(await f.pool.balanceOf(me.address), 6, "tpETH"));
      const w = await f.wrapper.balanceOf(me.address);
      expect(w).to.equal(parseEther("1")); // wrapped at a share rate of 1, before the report
      line(
        out,
        "wtpETH balance",
        `${eth(w, 6, "wtpETH")} (worth ${eth(await f.pool.getPooledEthByShares(w), 6, "tpETH")})`,
      );
      expect(out).to.not.include("shares");

      const raw = await runTask("status", { raw: true, pool: f.poolAddress });
      line(raw, "share rate (ETH per share)", ratio(totalEther, totalShares, 18));
      line(raw, "total shares", totalShares.toString());
      line(
        raw,
        "tpETH balance",
        `${eth(await f.pool.balanceOf(me.address), 6, "tpETH")} (${await f.pool.sharesOf(me.address)} shares)`,
      );
    });

    it('says "no report yet" before the first report, not an APR of 0%', async function () {
      const f = await loadFixture(deployed);
      const out = await runTask("status", { pool: f.poolAddress });
      expect(out).to.include("| last report | no report yet |");
      expect(out).to.include("| APR (last report) | no report yet |");
      expect(out).to.not.match(/APR.*\| 0% \|/);
    });

    it("shows what pauses and bunker mode leave redeemable, and instant-redeem refuses in bunker mode", async function () {
      const f = await loadFixture(deployed);
      await (await f.pool.connect(f.pauser).pause(3)).wait(); // staking and instant redemption
      const out = await runTask("status", { pool: f.poolAddress });
      expect(out).to.include("| redeemable now | 0 tpETH (instant redemption is paused) |");
      expect(out).to.include("| paused | staking, instant redemption |");

      await (await f.pool.connect(f.admin).resume(3)).wait();
      const refSlot = await advanceFrames(hre.network.provider, f.oracle);
      await submitUntilApplied(f.oracle, f.oracleMembers, buildReport(refSlot, { isBunkerMode: true }));
      expect(await f.pool.isBunkerModeActive()).to.equal(true);
      const bunker = await runTask("status", { pool: f.poolAddress });
      expect(bunker).to.include("| redeemable now | 0 tpETH (bunker mode) |");
      expect(bunker).to.include("| bunker mode | ACTIVE |");
      expect(bunker).to.include("| paused | nothing |");
      await f.pool.connect(f.users[0]).transfer((await holder()).address, parseEther("1"));
      expect(await taskError("instant-redeem", { amount: "1", pool: f.poolAddress })).to.equal(
        "Instant redemption is off while the protocol realises a loss (bunker mode). You can request a withdrawal. (InstantRedeemBunkerMode)",
      );
    });

    it("shows another account's balances with --from or --account, and rejects bad ones", async function () {
      const f = await loadFixture(deployed);
      const alice = f.users[0]; // account 7
      const balance = eth(await f.pool.balanceOf(alice.address), 6, "tpETH");
      for (const args of [{ account: alice.address }, { from: "7" }, { from: alice.address }]) {
        const out = await runTask("status", { ...args, pool: f.poolAddress });
        expect(out).to.include(`| account | ${alice.address} |`);
        expect(out).to.include(`| tpETH balance | ${balance} |`);
        expect(out).to.include("| wtpETH balance | 0 wtpETH (worth 0 tpETH) |");
      }
      const pool = f.poolAddress;
      expect(await taskError("status", { account: "0xabc", pool })).to.equal(
        '--account is not a valid address: "0xabc"',
      );
      expect(await taskError("status", { account: "0x0", pool })).to.equal("--account cannot be the zero address");
      expect(await taskError("status", { from: "7", account: alice.address, pool })).to.equal(
        "give --from (one of this network's accounts) or --account (any address), not both",
      );
      const stranger = Wallet.createRandom().address;
      expect(await taskError("status", { from: stranger, pool })).to.equal(
        `--from ${stranger} is not one of network "hardhat"'s 40 accounts, the only ones it can sign with`,
      );
    });
  });

  describe("formatting helpers", function () {
    it("ethAtMost rounds down, so that a limit is never overstated", function () {
      expect(ethAtMost(parseEther("3.0500009"))).to.equal("3.05 ETH");
      expect(ethAtMost(parseEther("3.0500009"), 6, "tpETH")).to.equal("3.05 tpETH");
      expect(ethAtMost(parseEther("2.9999999"))).to.equal("2.999999 ETH");
      expect(ethAtMost(1n)).to.equal("0 ETH");
      expect(ethAtMost(parseEther("1"), 18)).to.equal("1 ETH");
    });
  });
});
