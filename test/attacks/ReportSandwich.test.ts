import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, parseEther } from "ethers";
import { toGwei } from "../helpers/oracle-fixtures";
import { deployWithQueue, type WithdrawalFixture } from "../helpers/withdrawal-fixtures";
import {
  RAY,
  TOTAL_BP,
  allowClDrop,
  blockTimestamp,
  clDropBP,
  feeSharesOf,
  lastClWei,
  openReport,
  protocolState,
  reportTx,
} from "../helpers/withdrawal-report-helpers";
import {
  Ledger,
  ceilDiv,
  expectNoProfit,
  expectTotalsConsistent,
  instantRedeemOf,
  profitFraction,
  profitWei,
  rateOf,
  type Valuation,
  type Rate,
} from "../helpers/attack-ledger";

/**
 * Oracle-report sandwiches. The attacker sees the deciding vote of a report coming (or knows what
 * the beacon chain will make it say) and acts right before and right after it:
 * - positive report: stake before, redeem instantly after — the minimum fee (0.25% by default, never
 *   below 0.1%) exceeds the largest rebase one report can make (0.075%), also inside one block;
 * - positive report: request a withdrawal right before it — the request earns nothing after it is
 *   made (paid its nominal ETH), the rewards go to those who stayed;
 * - positive report: stake before, queue after — one report's rebase for at least one frame in the
 *   queue, never more than an honest holder earns over the same reports;
 * - negative report: redeem instantly right before a slashing is reported — bounded by the frame cap,
 *   then bunker mode turns instant redemption off; request right before it — bunker mode holds
 *   finalization back and the request is paid at the lower rate, the same percentage as a stayer.
 * Attacker and honest stayer are compared to the wei against a model of the report's arithmetic.
 */

const PPB = 1_000_000_000n;
const TIPS = parseEther("2");
/** Instant redemption capability bit. */
const CAPABILITY_INSTANT_REDEEM = 2;

/** {deployWithQueue} with 2 ETH of EL tips waiting in the vault: every report can take its rebase limit. */
async function withTips(): Promise<WithdrawalFixture> {
  const f = await loadFixture(deployWithQueue);
  await (await f.users[9].sendTransaction({ to: await f.elRewardsVault.getAddress(), value: TIPS })).wait();
  return f;
}

async function elVaultBalance(f: WithdrawalFixture): Promise<bigint> {
  return ethers.provider.getBalance(await f.elRewardsVault.getAddress());
}

/** The totals after a report with the CL unchanged and `el` wei in the EL vault (smoothed). */
async function afterTipsReport(f: WithdrawalFixture, t: Rate, el: bigint): Promise<Rate & { taken: bigint }> {
  const limit = (await f.oracle.getSanityLimits()).maxPositiveRebasePPB;
  const room = (t.P * limit) / PPB;
  const taken = el < room ? el : room;
  const P = t.P + taken;
  return { P, S: t.S + feeSharesOf(taken, await f.oracle.getFeeConfig(), t.S, P), taken };
}

/** The exact value of `shares` at `t`, as a fraction over t.S. */
const worth = (shares: bigint, t: Rate): bigint => (shares * t.P) / t.S;

/** Instant liquidity at totals `t`: buffer − ⌈queued shares × P / S⌉. */
async function liquidityAt(f: WithdrawalFixture, _t: Rate): Promise<bigint> {
  // The buffer less the ETH the unfinalized requests asked for (the queue's reserve).
  const buffered = await f.pool.bufferedEther();
  const reserved = await f.queue.unfinalizedEther();
  return buffered > reserved ? buffered - reserved : 0n;
}

describe("Attack: oracle-report sandwiches", function () {
  describe("a positive report", function () {
    it("stake right before the deciding vote, redeem instantly right after: the fee exceeds the rebase; the stayer gains, to the wei", async function () {
      const f = await loadFixture(withTips);
      const { pool, oracle } = f;
      const attacker = f.users[10];
      const stayer = f.holders[1];
      const ledger = await Ledger.open(f, [attacker.address]);
      const before = await ledger.valuation();
      const stayerShares = await pool.sharesOf(stayer.address);

      const open = await openReport(f, { elRewardsVaultBalance: await elVaultBalance(f) });
      const t0 = await rateOf(f);
      const stake = parseEther("1");
      await ledger.send(pool.connect(attacker).stake(ZeroAddress, { value: stake }));
      const a = (stake * t0.S) / t0.P;
      const tStaked = { P: t0.P + stake, S: t0.S + a };
      expect(await rateOf(f)).to.deep.equal(tStaked);

      await (await open.submit()).wait();
      const t1 = await afterTipsReport(f, tStaked, TIPS);
      expect(await rateOf(f)).to.deep.equal({ P: t1.P, S: t1.S });
      // The rebase is at most 0.075%: (P1/S1) / (P/S) − 1 ≤ 750,000 ppb.
      const limit = (await oracle.getSanityLimits()).maxPositiveRebasePPB;
      expect(t1.P * tStaked.S * PPB <= tStaked.P * t1.S * (PPB + limit)).to.equal(true);

      // Redeem the whole balance at once.
      const b = worth(a, t1);
      expect(await pool.balanceOf(attacker.address)).to.equal(b);
      const [minBP, maxBP] = await pool.getInstantRedeemParams();
      const [ethOut, fee] = instantRedeemOf(b, await liquidityAt(f, t1), minBP, maxBP);
      const burned = ceilDiv(b * t1.S, t1.P);
      await expect(ledger.send(pool.connect(attacker).instantRedeem(b, 0n, attacker.address)))
        .to.emit(pool, "InstantRedeemed")
        .withArgs(attacker.address, attacker.address, b, burned, ethOut, fee);
      const t2 = { P: t1.P - ethOut, S: t1.S - burned };
      expect(await rateOf(f)).to.deep.equal(t2);

      // What the report gave the attacker (b − stake) is less than the fee it paid.
      expect(b - stake < fee).to.equal(true);
      expect(fee * TOTAL_BP >= b * minBP).to.equal(true);
      const after = await ledger.valuation();
      expectNoProfit(before, after);
      // Exact profit: ETH out − stake + the dust shares left, at the final rate.
      const left = a - burned;
      expect(after.shares).to.equal(left);
      const num = (ethOut - stake) * t2.S + left * t2.P;
      expect(profitWei(before, after)).to.equal(num >= 0n ? num / t2.S : -ceilDiv(-num, t2.S));

      // The honest stayer: its 20 ETH now worth ⌊h·P2/S2⌋ — the rebase and the attacker's fee.
      expect(await pool.balanceOf(stayer.address)).to.equal(worth(stayerShares, t2));
      expect(stayerShares * t2.P * t0.S > stayerShares * t0.P * t2.S).to.equal(true);
      await expectTotalsConsistent(f);
    });

    it("the same sandwich inside one block (automine off: stake, deciding vote, redeem): the attacker still loses", async function () {
      const f = await loadFixture(withTips);
      const { pool, oracle } = f;
      const attacker = f.users[10];
      const ledger = await Ledger.open(f, [attacker.address]);
      const before = await ledger.valuation();

      const open = await openReport(f, { elRewardsVaultBalance: await elVaultBalance(f) });
      const t0 = await rateOf(f);
      const stake = parseEther("1.5");
      const a = (stake * t0.S) / t0.P;
      const tStaked = { P: t0.P + stake, S: t0.S + a };
      const t1 = await afterTipsReport(f, tStaked, TIPS);
      const b = worth(a, t1); // the attacker predicts its balance after the report
      const [minBP, maxBP] = await pool.getInstantRedeemParams();
      const buffered = (await pool.bufferedEther()) + stake + t1.taken;
      const [ethOut] = instantRedeemOf(b, buffered, minBP, maxBP);

      const quorum = Number(await oracle.quorum());
      const decider = f.oracleMembers[quorum - 1];
      const fees = { maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n };
      await network.provider.send("evm_setAutomine", [false]);
      try {
        const txs = [
          await pool.connect(attacker).stake(ZeroAddress, { value: stake, gasLimit: 300_000n, ...fees }),
          await oracle.connect(decider).submitReport(open.data, { gasLimit: 5_000_000n, ...fees }),
          await pool.connect(attacker).instantRedeem(b, 0n, attacker.address, { gasLimit: 300_000n, ...fees }),
        ];
        await network.provider.send("evm_mine", []);
        const receipts = await Promise.all(txs.map(async (tx) => (await tx.wait())!));
        expect(receipts.map((r) => r.blockNumber)).to.deep.equal(Array(3).fill(receipts[0].blockNumber));
        expect(receipts.map((r) => r.index)).to.deep.equal([0, 1, 2]);
        expect(receipts.map((r) => r.status)).to.deep.equal([1, 1, 1]);
      } finally {
        await network.provider.send("evm_setAutomine", [true]);
      }
      expect(await oracle.getLastProcessedRefSlot()).to.equal(open.data.refSlot);

      const burned = ceilDiv(b * t1.S, t1.P);
      expect(await rateOf(f)).to.deep.equal({ P: t1.P - ethOut, S: t1.S - burned });
      const after = await ledger.valuation();
      expectNoProfit(before, after);
      expect(after.eth - before.eth).to.equal(ethOut - stake);
      expect(ethOut < stake).to.equal(true);
      await expectTotalsConsistent(f);
    });

    it("request a withdrawal right before the deciding vote: it cannot be finalized by that report, earns nothing after it is made, and the stayer gets the rewards — to the wei", async function () {
      const f = await loadFixture(withTips);
      const { pool, queue } = f;
      const [attacker, stayer] = f.holders;
      const ledger = await Ledger.open(f, [attacker.address]);
      const before = await ledger.valuation();
      const h = await pool.sharesOf(stayer.address);
      expect(await pool.sharesOf(attacker.address)).to.equal(h); // both staked 20 ETH at the same rate

      const el = await elVaultBalance(f);
      let open = await openReport(f, { elRewardsVaultBalance: el });
      const t0 = await rateOf(f);
      const requested = await pool.balanceOf(attacker.address);
      await ledger.send(pool.connect(attacker).approve(f.queueAddress, requested));
      await ledger.send(queue.connect(attacker).requestWithdrawals([requested], ZeroAddress));
      const q = ceilDiv(requested * t0.S, t0.P);
      const [status] = await queue.getWithdrawalStatus([1n]);
      expect([status.amountOfEther, status.amountOfShares]).to.deep.equal([requested, q]);

      // A report variant that finalizes it is refused: the request was made after the reference slot.
      const [refSlot] = await f.oracle.getCurrentFrame();
      const [genesisTime] = await f.oracle.getFrameConfig();
      const stateBefore = await protocolState(f);
      const finalizing = await openReport(f, { elRewardsVaultBalance: el, lastRequestIdToFinalize: 1n }, 0n);
      await expect(finalizing.submit())
        .to.be.revertedWithCustomError(queue, "RequestAfterRefSlot")
        .withArgs(1n, status.timestamp, genesisTime + 12n * refSlot);
      expect(await protocolState(f)).to.deep.equal(stateBefore);

      // The report without it applies the rewards; the queued shares carry them, the request will not.
      open = await openReport(f, { elRewardsVaultBalance: el }, 0n);
      await (await open.submit()).wait();
      const t1 = await afterTipsReport(f, t0, el);
      expect(await rateOf(f)).to.deep.equal({ P: t1.P, S: t1.S });
      expect(worth(q, t1) > requested).to.equal(true);

      // The next report (another rebase) finalizes it: min(requested, shares × rate) = requested.
      const el2 = await elVaultBalance(f);
      const t2 = await afterTipsReport(f, t1, el2);
      const { tx, receipt } = await reportTx(f, { elRewardsVaultBalance: el2, lastRequestIdToFinalize: 1n });
      await expect(tx)
        .to.emit(queue, "WithdrawalsFinalized")
        .withArgs(1n, 1n, requested, q, await blockTimestamp(receipt.blockNumber));
      const t3 = { P: t2.P - requested, S: t2.S - q };
      expect(await rateOf(f)).to.deep.equal(t3);
      await ledger.send(queue.connect(attacker).claimWithdrawal(1n));

      // Attacker: exactly its balance when it requested — nothing from either report.
      const after = await ledger.valuation();
      expectNoProfit(before, after);
      expect(after.eth - before.eth).to.equal(requested);
      expect(after.shares).to.equal(h - q);
      // Stayer (same shares, same start): both rebases, on its own shares and on the attacker's.
      const stayerNow = await pool.balanceOf(stayer.address);
      expect(stayerNow).to.equal(worth(h, t3));
      expect(stayerNow - requested).to.be.greaterThan(0n);
      // More than its own shares would have earned had the request kept earning (h × rate at t2).
      expect(h * t3.P * t2.S > h * t2.P * t3.S).to.equal(true);
      await expectTotalsConsistent(f);
    });

    it("stake right before the deciding vote, queue right after: one report's rebase for a frame in the queue — never more than the stayer earns on the same ETH", async function () {
      const f = await loadFixture(withTips);
      const { pool, queue } = f;
      const attacker = f.users[10];
      const stayer = f.holders[1];
      const ledger = await Ledger.open(f, [attacker.address]);
      const before = await ledger.valuation();
      const h = await pool.sharesOf(stayer.address);

      const el = await elVaultBalance(f);
      const open = await openReport(f, { elRewardsVaultBalance: el });
      const t0 = await rateOf(f);
      const stake = parseEther("20");
      await ledger.send(pool.connect(attacker).stake(ZeroAddress, { value: stake }));
      const a = (stake * t0.S) / t0.P;
      const tStaked = { P: t0.P + stake, S: t0.S + a };
      await (await open.submit()).wait();
      const t1 = await afterTipsReport(f, tStaked, el);
      expect(await rateOf(f)).to.deep.equal({ P: t1.P, S: t1.S });

      const requested = await pool.balanceOf(attacker.address);
      expect(requested).to.equal(worth(a, t1));
      await ledger.send(pool.connect(attacker).approve(f.queueAddress, requested));
      await ledger.send(queue.connect(attacker).requestWithdrawals([requested], ZeroAddress));
      const q = ceilDiv(requested * t1.S, t1.P);

      const el2 = await elVaultBalance(f);
      const t2 = await afterTipsReport(f, t1, el2);
      await reportTx(f, { elRewardsVaultBalance: el2, lastRequestIdToFinalize: 1n });
      expect(await rateOf(f)).to.deep.equal({ P: t2.P - requested, S: t2.S - q });
      await ledger.send(queue.connect(attacker).claimWithdrawal(1n));
      const after = await ledger.valuation();
      expect(after.eth - before.eth).to.equal(requested - stake);
      expect(after.shares).to.equal(a - q);

      // The attacker's gain is one report's rebase on its stake (after the fee), at most 0.075%…
      const gain = profitFraction(before, after);
      const limit = (await f.oracle.getSanityLimits()).maxPositiveRebasePPB;
      expect(gain.num * PPB <= stake * limit * gain.den).to.equal(true);
      // …and, per ETH, no more than the stayer's over the same two reports (which also carry the
      // rebase the queued shares left behind): gain / stake ≤ stayerGain / stayerStart.
      const tEnd = await rateOf(f);
      const stayerStart: Valuation = { eth: 0n, shares: h, P: t0.P, S: t0.S };
      const stayerEnd: Valuation = { eth: 0n, shares: h, P: tEnd.P, S: tEnd.S };
      const stayerGain = profitFraction(stayerStart, stayerEnd);
      // gain.num / gain.den / stake ≤ stayerGain.num / stayerGain.den / (h·P0/S0)
      expect(gain.num * stayerGain.den * h * t0.P <= stayerGain.num * gain.den * stake * t0.S).to.equal(true);
      expect(await pool.balanceOf(stayer.address)).to.equal(worth(h, tEnd));
      // Against an honest holder of the same 20 ETH over the same window, the sandwich's profit is ≤ 0.
      const honestGain = (stayerGain.num * stake * t0.S) / (stayerGain.den * h * t0.P);
      expect(profitWei(before, after) - honestGain <= 0n).to.equal(true);
      await expectTotalsConsistent(f);
    });
  });

  describe("a negative report (a slashing the attacker knows of before the oracle reports it)", function () {
    it("redeem instantly right before the bunker report: at most the frame cap leaves, for a fee; then instant redemption is off — the escape is bounded to the wei", async function () {
      const f = await loadFixture(deployWithQueue);
      const { pool } = f;
      const [attacker, stayer, attacker2] = f.holders;
      const ledger = await Ledger.open(f, [attacker.address]);
      const ledger2 = await Ledger.open(f, [attacker2.address]);
      const before = await ledger.valuation();
      const h = await pool.sharesOf(stayer.address);
      const t0 = await rateOf(f);

      // The frame cap (1% of TVL) is what can leave before the report.
      const [minBP, maxBP, capBP, remaining] = await pool.getInstantRedeemParams();
      expect(remaining).to.equal((t0.P * capBP) / TOTAL_BP);
      const [ethOut, fee] = instantRedeemOf(remaining, await liquidityAt(f, t0), minBP, maxBP);
      const burned = ceilDiv(remaining * t0.S, t0.P);
      await expect(ledger.send(pool.connect(attacker).instantRedeem(remaining, 0n, attacker.address)))
        .to.emit(pool, "InstantRedeemed")
        .withArgs(attacker.address, attacker.address, remaining, burned, ethOut, fee);
      const t1 = { P: t0.P - ethOut, S: t0.S - burned };

      // Not one more wei this frame, from any account.
      const second = await ledger2.valuation();
      const attackerShares = await pool.sharesOf(attacker.address);
      await expect(pool.connect(attacker).instantRedeem(1n, 0n, attacker.address))
        .to.be.revertedWithCustomError(pool, "InstantRedeemFrameCapExceeded")
        .withArgs(1n, 0n);
      await expect(pool.connect(attacker2).instantRedeem(parseEther("1"), 0n, attacker2.address))
        .to.be.revertedWithCustomError(pool, "InstantRedeemFrameCapExceeded")
        .withArgs(parseEther("1"), 0n);
      expect(await ledger2.valuation()).to.deep.equal(second);
      expect(await pool.sharesOf(attacker.address)).to.equal(attackerShares);
      expect(await rateOf(f)).to.deep.equal(t1);

      // The slashing: −8 ETH (8.3% of the CL), beyond the one-off drop limit (5%); the report declares
      // bunker mode. Bunker mode no longer lifts the limit, so the report reverts as it stands; with no
      // slashing proven on chain here, governance raises the limit and the same report applies.
      const slashed = parseEther("8");
      const cl = await lastClWei(f);
      const slashing = await openReport(f, { clBalanceGwei: toGwei(cl - slashed), isBunkerMode: true });
      await expect(slashing.submit())
        .to.be.revertedWithCustomError(f.oracle, "ClBalanceDropLimitExceeded")
        .withArgs(clDropBP(slashed, cl), 500n);
      expect(await rateOf(f)).to.deep.equal(t1);
      await allowClDrop(f.oracle, f.admin, clDropBP(slashed, cl));
      await (await slashing.submit()).wait();
      const t2 = { P: t1.P - slashed, S: t1.S };
      expect(await rateOf(f)).to.deep.equal(t2);
      expect(await pool.isBunkerModeActive()).to.equal(true);
      // Now instant redemption is off, even after the frame rolls over and even if governance resumes it.
      await reportTx(f, { clBalanceGwei: toGwei(cl - slashed), isBunkerMode: true }); // a day later
      await (await pool.connect(f.pauser).pause(CAPABILITY_INSTANT_REDEEM)).wait();
      await (await pool.connect(f.admin).resume(CAPABILITY_INSTANT_REDEEM)).wait();
      expect(await pool.pausedCapabilities()).to.equal(0n);
      const sharesNow = await pool.sharesOf(attacker.address);
      await expect(pool.connect(attacker).instantRedeem(parseEther("1"), 0n, attacker.address))
        .to.be.revertedWithCustomError(pool, "InstantRedeemBunkerMode")
        .withArgs();
      expect(await pool.sharesOf(attacker.address)).to.equal(sharesNow);
      expect(await rateOf(f)).to.deep.equal(t2);

      // Attacker: lost the fee on what left and the slashing on the rest. Stayer: the slashing on all.
      const after = await ledger.valuation();
      expectNoProfit(before, after);
      expect(after.shares).to.equal(h - burned);
      expect(await pool.balanceOf(stayer.address)).to.equal(worth(h, t2));
      const attackerLoss = -profitFraction(before, after).num; // over t0.S × t2.S
      const stayerStart: Valuation = { eth: 0n, shares: h, P: t0.P, S: t0.S };
      const stayerEnd: Valuation = { eth: 0n, shares: h, P: t2.P, S: t2.S };
      const stayerLoss = -profitFraction(stayerStart, stayerEnd).num; // over t0.S × t2.S
      expect(stayerLoss > attackerLoss).to.equal(true);
      // What the attacker escaped is at most the redeemed amount's part of the slashing (less the fee):
      // escaped ≤ remaining × slashed / P0, the bound the frame cap sets.
      const escaped = stayerLoss - attackerLoss;
      expect(escaped * t0.P <= remaining * slashed * t0.S * t2.S).to.equal(true);
      await expectTotalsConsistent(f);
    });

    it("request right before the bunker report: that report cannot finalize it; the next one pays it at the lower rate — the leaver loses the stayer's percentage", async function () {
      const f = await loadFixture(deployWithQueue);
      const { pool, queue, oracle } = f;
      const [attacker, stayer] = f.holders;
      const ledger = await Ledger.open(f, [attacker.address]);
      const before = await ledger.valuation();
      const h = await pool.sharesOf(stayer.address);
      const cl = await lastClWei(f);
      const slashed = parseEther("8");
      // An 8.3% drop: the one-off limit (5%) holds even in bunker mode and no slashing is proven on
      // chain here, so governance has raised it; the report is legal and only bunker mode stops it
      // from finalizing.
      await allowClDrop(oracle, f.admin, clDropBP(slashed, cl));

      // Deciding vote on its way; the attacker requests everything right before it.
      const bunker = { clBalanceGwei: toGwei(cl - slashed), isBunkerMode: true };
      let open = await openReport(f, bunker);
      const t0 = await rateOf(f);
      const requested = await pool.balanceOf(attacker.address);
      await ledger.send(pool.connect(attacker).approve(f.queueAddress, requested));
      await ledger.send(queue.connect(attacker).requestWithdrawals([requested], ZeroAddress));
      const q = ceilDiv(requested * t0.S, t0.P);

      // A bunker-mode report cannot finalize anything.
      const stateBefore = await protocolState(f);
      const finalizing = await openReport(f, { ...bunker, lastRequestIdToFinalize: 1n }, 0n);
      await expect(finalizing.submit()).to.be.revertedWithCustomError(oracle, "FinalizationInBunkerMode").withArgs(1n);
      expect(await protocolState(f)).to.deep.equal(stateBefore);
      open = await openReport(f, bunker, 0n);
      await (await open.submit()).wait();
      const t1 = { P: t0.P - slashed, S: t0.S };
      expect(await rateOf(f)).to.deep.equal(t1);
      expect(await queue.getLastFinalizedRequestId()).to.equal(0n);

      // The loss is realised (nothing more lost): a normal report finalizes at the lower rate.
      const rateRay = (t1.P * RAY) / t1.S;
      const payout = (q * rateRay) / RAY;
      expect(payout < requested).to.equal(true);
      const { tx, receipt } = await reportTx(f, { clBalanceGwei: toGwei(cl - slashed), lastRequestIdToFinalize: 1n });
      await expect(tx)
        .to.emit(queue, "WithdrawalsFinalized")
        .withArgs(1n, 1n, payout, q, await blockTimestamp(receipt.blockNumber));
      await ledger.send(queue.connect(attacker).claimWithdrawal(1n));
      const t2 = { P: t1.P - payout, S: t1.S - q };
      expect(await rateOf(f)).to.deep.equal(t2);

      const after = await ledger.valuation();
      expectNoProfit(before, after);
      expect(after.eth - before.eth).to.equal(payout);
      // Same percentage: the attacker's 20 ETH and the stayer's 20 ETH (same shares) lose alike, to
      // the rounding of one payout and one balance (2 wei).
      const stayerNow = await pool.balanceOf(stayer.address);
      expect(stayerNow).to.equal(worth(h, t2));
      const attackerLoss = worth(h, t0) - payout;
      const stayerLoss = worth(h, t0) - stayerNow;
      expect(attackerLoss).to.be.closeTo(stayerLoss, 2n);
      expect(attackerLoss).to.be.closeTo((requested * slashed) / t0.P, 1n);
      await expectTotalsConsistent(f);
    });
  });
});
