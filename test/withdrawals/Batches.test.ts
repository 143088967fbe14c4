import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther, type ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { toGwei } from "../helpers/oracle-fixtures";
import { deployWithQueue, type WithdrawalFixture } from "../helpers/withdrawal-fixtures";
import {
  blockTimestamp,
  ceilDiv,
  feeSharesOf,
  lastClWei,
  lockOf,
  openReport,
  poolTotals,
  protocolState,
  rateRayOf,
  reportTx,
  valueAt,
  type PoolTotals,
} from "../helpers/withdrawal-report-helpers";

/**
 * Finalization in batches (review 4.2). A report that finalizes requests made before a loss (paid
 * shares × rate, below what they asked for) together with requests made after it (paid their
 * nominal ETH) names the batch ends where they change side of its rate: each batch gets its own
 * checkpoint and locks exactly what its claims will pay, so totalPooledEther drops by the payouts
 * and nothing waits in the queue for claims to release it. The single batch of the same range
 * locks min(Σ ETH, Σ shares × rate) — more than it pays — and returns the excess only as each
 * request is claimed.
 */

const balanceOf = (address: string): Promise<bigint> => ethers.provider.getBalance(address);

interface Req {
  id: bigint;
  owner: HardhatEthersSigner;
  amount: bigint;
  shares: bigint;
}

interface Batches {
  f: WithdrawalFixture;
  /** Requests 1–3, made before the loss. */
  pre: Req[];
  /** Requests 4–6, made after it. */
  post: Req[];
  /** The finalizing report's CL balance (0.02 ETH of rewards) and its rate (the pool's totals after its rewards). */
  clWei: bigint;
  rate: PoolTotals;
  /** The pool's totals before that report. */
  start: PoolTotals;
}

/** Requests `amount` as `owner`, checking the shares the queue took: ⌈amount × S / P⌉. */
async function requestOf(f: WithdrawalFixture, owner: HardhatEthersSigner, amount: bigint): Promise<Req> {
  const { ether, shares } = await poolTotals(f);
  const [id] = await f.request(owner, [amount]);
  const [status] = await f.queue.getWithdrawalStatus([id]);
  const req = { id, owner, amount, shares: ceilDiv(amount * shares, ether) };
  expect([status.amountOfEther, status.amountOfShares]).to.deep.equal([req.amount, req.shares]);
  return req;
}

/**
 * {deployWithQueue}, a report with 0.02 ETH of rewards (an odd rate), requests 1–3 (alice 1.5,
 * bob 2.25, carol 3 ETH), a 2 ETH CL loss (bunker mode: nothing covers it, the rate falls), then
 * requests 4–6 (alice 1, bob 0.5, carol 2 ETH) at the lower rate. The next report, with 0.02 ETH of
 * rewards, has a rate between the two: requests 1–3 are paid by shares, 4–6 nominal.
 */
async function withPreAndPostLoss(): Promise<Batches> {
  const f = await loadFixture(deployWithQueue);
  const [alice, bob, carol] = f.holders;
  const cl0 = await lastClWei(f);
  await reportTx(f, { clBalanceGwei: toGwei(cl0 + parseEther("0.02")) });
  const pre: Req[] = [];
  for (const [owner, amount] of [
    [alice, parseEther("1.5")],
    [bob, parseEther("2.25")],
    [carol, parseEther("3")],
  ] as const) {
    pre.push(await requestOf(f, owner, amount));
  }
  const before = await poolTotals(f);
  const lossCl = cl0 + parseEther("0.02") - parseEther("2");
  await reportTx(f, { clBalanceGwei: toGwei(lossCl), isBunkerMode: true });
  const after = await poolTotals(f);
  expect(after.ether * before.shares).to.be.lessThan(before.ether * after.shares); // the rate fell
  const post: Req[] = [];
  for (const [owner, amount] of [
    [alice, parseEther("1")],
    [bob, parseEther("0.5")],
    [carol, parseEther("2")],
  ] as const) {
    post.push(await requestOf(f, owner, amount));
  }
  const rewards = parseEther("0.02");
  const ether = after.ether + rewards;
  const shares = after.shares + feeSharesOf(rewards, await f.oracle.getFeeConfig(), after.shares, ether);
  return { f, pre, post, clWei: lossCl + rewards, rate: { ether, shares }, start: after };
}

const sum = (xs: bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);

/** What each request is paid at `rateRay`: min(ETH asked, ⌊shares × rate⌋). */
function payoutsAt(reqs: Req[], rateRay: bigint): bigint[] {
  return reqs.map((r) => (r.amount < valueAt(r.shares, rateRay) ? r.amount : valueAt(r.shares, rateRay)));
}

/** Claims `req` as its owner; checks the payout and the ETH it returns to the pool, if any; returns the tx. */
async function claim(
  b: Batches,
  req: Req,
  payout: bigint,
  excess: bigint,
): Promise<{ tx: ContractTransactionResponse; totals: PoolTotals }> {
  const { queue } = b.f;
  const before = await poolTotals(b.f);
  const locked = await queue.lockedEther();
  const tx = await queue.connect(req.owner).claimWithdrawal(req.id);
  await tx.wait();
  await expect(tx).to.emit(queue, "WithdrawalClaimed").withArgs(req.id, req.owner.address, req.owner.address, payout);
  if (excess === 0n) await expect(tx).not.to.emit(queue, "ExcessReturnedToPool");
  else await expect(tx).to.emit(queue, "ExcessReturnedToPool").withArgs(req.id, excess);
  const totals = await poolTotals(b.f);
  expect(totals).to.deep.equal({ ether: before.ether + excess, shares: before.shares });
  expect(await queue.lockedEther()).to.equal(locked - payout - excess);
  expect(await balanceOf(b.f.queueAddress)).to.equal(await queue.lockedEther());
  return { tx, totals };
}

describe("WithdrawalQueue finalization in batches", function () {
  describe("requests from before and after a loss in one report", function () {
    it("the fixture: requests 1–3 are underwater at the report's rate, 4–6 above it", async function () {
      const b = await loadFixture(withPreAndPostLoss);
      const rateRay = rateRayOf(b.rate.ether, b.rate.shares);
      for (const r of b.pre) expect(valueAt(r.shares, rateRay)).to.be.lessThan(r.amount);
      for (const r of b.post) expect(valueAt(r.shares, rateRay)).to.be.greaterThan(r.amount);
    });

    it("batches [3, 6]: two checkpoints, each locking exactly its payouts; totalPooledEther drops by the payouts (and < 1 wei of dust per discounted request)", async function () {
      const b = await loadFixture(withPreAndPostLoss);
      const { queue, oracle } = b.f;
      const all = [...b.pre, ...b.post];
      const ids = all.map((r) => r.id);
      const rateRay = rateRayOf(b.rate.ether, b.rate.shares);
      const payouts = payoutsAt(all, rateRay);
      const prePayouts = payouts.slice(0, 3);
      const postPayouts = payouts.slice(3);
      expect(postPayouts).to.deep.equal(b.post.map((r) => r.amount));
      // Batch 1 (by shares) locks ⌊Σ shares × rate⌋, batch 2 (nominal) Σ ETH.
      const lock1 = lockOf(sum(b.pre.map((r) => r.amount)), sum(b.pre.map((r) => r.shares)), rateRay);
      expect(lock1).to.equal(valueAt(sum(b.pre.map((r) => r.shares)), rateRay));
      const lock2 = lockOf(sum(b.post.map((r) => r.amount)), sum(b.post.map((r) => r.shares)), rateRay);
      expect(lock2).to.equal(sum(postPayouts));
      const lock = lock1 + lock2;
      const dust = lock1 - sum(prePayouts); // ⌊Σ x⌋ − Σ ⌊x⌋ over three requests
      expect(dust >= 0n && dust < BigInt(b.pre.length)).to.equal(true);
      const sharesBurned = sum(all.map((r) => r.shares));
      const checkpoints = await queue.getLastCheckpointIndex();

      const { data, tx, receipt } = await reportTx(b.f, {
        clBalanceGwei: toGwei(b.clWei),
        lastRequestIdToFinalize: 6n,
        finalizationBatches: [3n, 6n],
      });
      await expect(tx)
        .to.emit(queue, "WithdrawalsFinalized")
        .withArgs(1n, 6n, lock, sharesBurned, await blockTimestamp(receipt.blockNumber));
      await expect(tx)
        .to.emit(oracle, "ReportApplied")
        .withArgs(
          data.refSlot,
          b.start.ether,
          b.rate.ether - lock,
          b.start.shares,
          b.rate.shares - sharesBurned,
          b.rate.shares - b.start.shares,
        );
      expect(await queue.getLastCheckpointIndex()).to.equal(checkpoints + 2n);
      expect(await queue.findCheckpointHints(ids, 1n, checkpoints + 2n)).to.deep.equal([
        ...b.pre.map(() => checkpoints + 1n),
        ...b.post.map(() => checkpoints + 2n),
      ]);
      const hints = [...(await queue.findCheckpointHints(ids, 1n, checkpoints + 2n))];
      expect(await queue.getClaimableEther(ids, hints)).to.deep.equal(payouts);
      expect(await queue.lockedEther()).to.equal(sum(payouts) + dust);
      // Nothing withheld: the pool's total is the report's less exactly the payouts (and the dust).
      expect(await poolTotals(b.f)).to.deep.equal({
        ether: b.rate.ether - sum(payouts) - dust,
        shares: b.rate.shares - sharesBurned,
      });
      expect(await queue.unfinalizedEther()).to.equal(0n);
    });

    it("claims under batches [3, 6] pay exactly, return nothing to the pool and leave totalPooledEther unchanged; an unclaimed request leaves only its own payout locked", async function () {
      const b = await loadFixture(withPreAndPostLoss);
      const { queue } = b.f;
      const all = [...b.pre, ...b.post];
      const rateRay = rateRayOf(b.rate.ether, b.rate.shares);
      const payouts = payoutsAt(all, rateRay);
      const dust = valueAt(sum(b.pre.map((r) => r.shares)), rateRay) - sum(payouts.slice(0, 3));
      await reportTx(b.f, {
        clBalanceGwei: toGwei(b.clWei),
        lastRequestIdToFinalize: 6n,
        finalizationBatches: [3n, 6n],
      });
      const afterReport = await poolTotals(b.f);

      // Claim all but requests 3 (by shares) and 6 (nominal): no excess, the pool's totals do not move.
      for (const i of [0, 1, 3, 4]) {
        const { totals } = await claim(b, all[i], payouts[i], 0n);
        expect(totals).to.deep.equal(afterReport);
      }
      // Nothing is stranded with the unclaimed ones: only what they will be paid (and the dust) is locked.
      expect(await queue.lockedEther()).to.equal(payouts[2] + payouts[5] + dust);
      for (const i of [2, 5]) await claim(b, all[i], payouts[i], 0n);
      expect(await queue.lockedEther()).to.equal(dust);
      expect(await balanceOf(b.f.queueAddress)).to.equal(dust);
      expect(await poolTotals(b.f)).to.deep.equal(afterReport);
    });

    it("the single batch of the same range (finalizationBatches = []) locks more than it pays and returns the excess only as each request is claimed", async function () {
      const b = await loadFixture(withPreAndPostLoss);
      const { queue } = b.f;
      const all = [...b.pre, ...b.post];
      const rateRay = rateRayOf(b.rate.ether, b.rate.shares);
      const payouts = payoutsAt(all, rateRay);
      const nominal = sum(all.map((r) => r.amount));
      const sharesBurned = sum(all.map((r) => r.shares));
      // One batch: min(Σ ETH, ⌊Σ shares × rate⌋) — here by shares, so each claim releases ⌊shares × rate⌋.
      const lock = lockOf(nominal, sharesBurned, rateRay);
      expect(lock).to.equal(valueAt(sharesBurned, rateRay));
      expect(lock).to.be.lessThan(nominal);
      const released = all.map((r) => valueAt(r.shares, rateRay));
      const excess = released.map((x, i) => x - payouts[i]);
      expect(excess.slice(0, 3)).to.deep.equal([0n, 0n, 0n]); // underwater: paid what they release
      for (const e of excess.slice(3)) expect(e).to.be.greaterThan(0n); // nominal: paid less than they release
      const dust = lock - sum(released);
      expect(dust >= 0n && dust < BigInt(all.length)).to.equal(true);
      // More than the payouts and any rounding: the excess of requests 4–6.
      expect(lock - sum(payouts)).to.equal(sum(excess) + dust);
      expect(sum(excess)).to.be.greaterThan(BigInt(all.length));
      const checkpoints = await queue.getLastCheckpointIndex();

      const { tx, receipt } = await reportTx(b.f, { clBalanceGwei: toGwei(b.clWei), lastRequestIdToFinalize: 6n });
      await expect(tx)
        .to.emit(queue, "WithdrawalsFinalized")
        .withArgs(1n, 6n, lock, sharesBurned, await blockTimestamp(receipt.blockNumber));
      expect(await queue.getLastCheckpointIndex()).to.equal(checkpoints + 1n);
      // The pool's total is understated by the excess until the claims release it.
      expect(await poolTotals(b.f)).to.deep.equal({ ether: b.rate.ether - lock, shares: b.rate.shares - sharesBurned });
      const hints = all.map(() => checkpoints + 1n);
      expect(
        await queue.getClaimableEther(
          all.map((r) => r.id),
          hints,
        ),
      ).to.deep.equal(payouts);

      // Claims of 1–5: those of 4 and 5 return their excess to the pool (a jump of the rate).
      for (let i = 0; i < 5; i++) await claim(b, all[i], payouts[i], excess[i]);
      // Request 6 unclaimed: its excess stays stranded in the queue, out of totalPooledEther.
      expect(await queue.lockedEther()).to.equal(payouts[5] + excess[5] + dust);
      expect(await poolTotals(b.f)).to.deep.equal({
        ether: b.rate.ether - lock + excess[3] + excess[4],
        shares: b.rate.shares - sharesBurned,
      });
      await claim(b, all[5], payouts[5], excess[5]);
      expect(await queue.lockedEther()).to.equal(dust);
      expect(await poolTotals(b.f)).to.deep.equal({
        ether: b.rate.ether - sum(payouts) - dust,
        shares: b.rate.shares - sharesBurned,
      });
    });
  });

  describe("the report's batch list", function () {
    /** Opens a report with the fixture's rewards and `fields` (a new frame for the first one), checks it reverts as `expectRevert` says and changes nothing. */
    async function refused(
      b: Batches,
      fields: { lastRequestIdToFinalize: bigint; finalizationBatches: bigint[] },
      frames: bigint,
      expectRevert: (submit: Promise<ContractTransactionResponse>) => Promise<void>,
    ): Promise<void> {
      const { submit } = await openReport(b.f, { clBalanceGwei: toGwei(b.clWei), ...fields }, frames);
      const before = await protocolState(b.f);
      await expectRevert(submit());
      expect(await protocolState(b.f)).to.deep.equal(before);
    }

    it("a last batch end other than lastRequestIdToFinalize, or batches with nothing to finalize: FinalizationBatchesMismatch(lastBatchEnd, lastRequestIdToFinalize)", async function () {
      const b = await loadFixture(withPreAndPostLoss);
      const { oracle } = b.f;
      const cases: [bigint[], bigint][] = [
        [[3n, 5n], 6n],
        [[3n, 6n], 5n],
        [[6n], 3n],
        [[2n], 0n],
        [[3n, 6n], 0n],
      ];
      for (const [i, [finalizationBatches, lastRequestIdToFinalize]] of cases.entries()) {
        await refused(b, { lastRequestIdToFinalize, finalizationBatches }, i === 0 ? 1n : 0n, (submit) =>
          expect(submit)
            .to.be.revertedWithCustomError(oracle, "FinalizationBatchesMismatch")
            .withArgs(finalizationBatches[finalizationBatches.length - 1], lastRequestIdToFinalize),
        );
      }
      // The same frame still applies with a consistent list.
      await reportTx(
        b.f,
        { clBalanceGwei: toGwei(b.clWei), lastRequestIdToFinalize: 6n, finalizationBatches: [3n, 6n] },
        0n,
      );
      expect(await b.f.queue.getLastFinalizedRequestId()).to.equal(6n);
    });

    it("batch ends not ascending past the last finalized request are refused by the queue: InvalidRequestIdToFinalize(end, previous end, last request)", async function () {
      const b = await loadFixture(withPreAndPostLoss);
      const { queue } = b.f;
      // Each case: the batch ends, and the queue's error arguments (the end refused, the last request
      // finalized before it, the last request made).
      const cases: { ends: bigint[]; args: [bigint, bigint, bigint] }[] = [
        { ends: [4n, 2n, 6n], args: [2n, 4n, 6n] }, // descending
        { ends: [3n, 3n, 6n], args: [3n, 3n, 6n] }, // repeated
        { ends: [0n, 6n], args: [0n, 0n, 6n] }, // an empty first batch
        { ends: [3n, 7n], args: [7n, 3n, 6n] }, // beyond the last request
        // One empty batch and nothing to finalize: its end is lastRequestIdToFinalize (0), so the
        // oracle's check passes it; the queue refuses it.
        { ends: [0n], args: [0n, 0n, 6n] },
      ];
      for (const [i, { ends, args }] of cases.entries()) {
        const lastRequestIdToFinalize = ends[ends.length - 1];
        await refused(b, { lastRequestIdToFinalize, finalizationBatches: ends }, i === 0 ? 1n : 0n, (submit) =>
          expect(submit)
            .to.be.revertedWithCustomError(queue, "InvalidRequestIdToFinalize")
            .withArgs(...args),
        );
      }
      await reportTx(
        b.f,
        { clBalanceGwei: toGwei(b.clWei), lastRequestIdToFinalize: 6n, finalizationBatches: [3n, 6n] },
        0n,
      );
      expect(await queue.getLastFinalizedRequestId()).to.equal(6n);
    });

    it("33 batches: TooManyFinalizationBatches(33, 32); 32 batches apply, one checkpoint each", async function () {
      const f = await loadFixture(deployWithQueue);
      const { queue, oracle } = f;
      const [alice] = f.holders;
      const amount = parseEther("0.1");
      await f.request(
        alice,
        Array.from({ length: 33 }, () => amount),
      );
      const ends = Array.from({ length: 33 }, (_, i) => BigInt(i + 1));

      const { submit } = await openReport(f, { lastRequestIdToFinalize: 33n, finalizationBatches: ends });
      const before = await protocolState(f);
      await expect(submit()).to.be.revertedWithCustomError(oracle, "TooManyFinalizationBatches").withArgs(33n, 32n);
      expect(await protocolState(f)).to.deep.equal(before);

      // At a rate of 1 with no rewards every request is nominal: 32 checkpoints of one request each.
      const { tx, receipt } = await reportTx(
        f,
        { lastRequestIdToFinalize: 32n, finalizationBatches: ends.slice(0, 32) },
        0n,
      );
      await expect(tx)
        .to.emit(queue, "WithdrawalsFinalized")
        .withArgs(1n, 32n, 32n * amount, 32n * amount, await blockTimestamp(receipt.blockNumber));
      expect(await queue.getLastCheckpointIndex()).to.equal(32n);
      expect(await queue.findCheckpointHints(ends, 1n, 32n)).to.deep.equal([...ends.slice(0, 32), 0n]);
      expect(await queue.lockedEther()).to.equal(32n * amount);
      expect(await queue.unfinalizedEther()).to.equal(amount);
    });
  });
});
