import { expect } from "chai";
import { ethers } from "hardhat";
import { impersonateAccount, loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, id as keccakId, parseEther } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { WithdrawalClaimer__Mock__factory, type WithdrawalClaimer__Mock } from "../../typechain-types";
import { SLOTS_PER_FRAME, depositValidators, toGwei } from "../helpers/oracle-fixtures";
import { deployWithQueue, type WithdrawalFixture } from "../helpers/withdrawal-fixtures";
import {
  TOTAL_BP,
  ceilDiv,
  blockTimestamp,
  feeSharesOf,
  finalizationIn,
  lastClWei,
  lockOf,
  openReport,
  payoutOf,
  plain,
  poolTotals,
  protocolState,
  rateRayOf,
  reportTx,
  valueAt,
  sent,
} from "../helpers/withdrawal-report-helpers";

const SECONDS_PER_SLOT = 12n;
const DEPOSIT_SIZE = parseEther("32");

// ──────────────────────────────── Local helpers ────────────────────────────────

const balanceOf = (address: string): Promise<bigint> => ethers.provider.getBalance(address);

/** The request's ETH and shares as the queue recorded them. */
async function requestOf(f: WithdrawalFixture, requestId: bigint): Promise<{ amount: bigint; shares: bigint }> {
  const [status] = await f.queue.getWithdrawalStatus([requestId]);
  return { amount: status.amountOfEther, shares: status.amountOfShares };
}

/**
 * Two more validators of operator 0 deposited (its bond first raised by 4 ETH to cover five): 64 ETH
 * leave the buffer for the deposit contract, and keys 0–4 are deposited.
 */
async function depositTwoMore(f: WithdrawalFixture): Promise<void> {
  await (await f.registry.connect(f.operator).depositBond(f.operatorId, { value: parseEther("4") })).wait();
  await depositValidators(f, f.operatorId, 2);
}

/** deployWithQueue, then a report with 0.02 ETH of CL rewards: the share rate is no longer 1 and fees round. */
async function withOddRate(): Promise<WithdrawalFixture> {
  const f = await loadFixture(deployWithQueue);
  await reportTx(f, { clBalanceGwei: toGwei(parseEther("96.02")) });
  return f;
}

// ──────────────────────────────── Claims fixture ────────────────────────────────

interface ModelRequest {
  id: bigint;
  owner: HardhatEthersSigner;
  amount: bigint;
  shares: bigint;
}

interface ModelCheckpoint {
  fromId: bigint;
  toId: bigint;
  rateRay: bigint;
  nominal: boolean;
}

interface ClaimsFixture {
  f: WithdrawalFixture;
  requests: ModelRequest[]; // index i: request i + 1
  checkpoints: ModelCheckpoint[]; // index i: checkpoint i + 1
  dave: HardhatEthersSigner; // holds nothing; receives NFTs and ETH
}

/**
 * Seven requests (alice 1, 2, 5; bob 3, 6; carol 4, 7) and three finalizing reports:
 * checkpoint 1 = requests 1–2 with 0.02 ETH of rewards, checkpoint 2 = 3–4 with no change,
 * checkpoint 3 = 5–6 after a 0.5 ETH loss (paid by shares × rate). Request 7 stays unfinalized.
 */
async function withCheckpoints(): Promise<ClaimsFixture> {
  const f = await loadFixture(deployWithQueue);
  const [alice, bob, carol] = f.holders;
  const dave = f.users[5];
  const plan: [HardhatEthersSigner, bigint][] = [
    [alice, parseEther("1")],
    [alice, parseEther("2")],
    [bob, parseEther("3")],
    [carol, parseEther("4")],
    [alice, parseEther("0.5")],
    [bob, parseEther("1.25")],
    [carol, parseEther("2")],
  ];
  const requests: ModelRequest[] = [];
  for (const [owner, amount] of plan) {
    const { ether, shares } = await poolTotals(f);
    const [id] = await f.request(owner, [amount]);
    requests.push({ id, owner, amount, shares: ceilDiv(amount * shares, ether) });
  }
  const checkpoints: ModelCheckpoint[] = [];
  const cl = await lastClWei(f);
  for (const [lastId, clWei] of [
    [2n, cl + parseEther("0.02")],
    [4n, cl + parseEther("0.02")],
    [6n, cl + parseEther("0.02") - parseEther("0.5")],
  ]) {
    const { receipt } = await reportTx(f, { clBalanceGwei: toGwei(clWei), lastRequestIdToFinalize: lastId });
    const fin = await finalizationIn(f, receipt);
    if (!fin) throw new Error("not finalized");
    const batch = requests.filter((r) => r.id >= fin.fromId && r.id <= fin.toId);
    const nominal = batch.reduce((a, r) => a + r.amount, 0n);
    const shares = batch.reduce((a, r) => a + r.shares, 0n);
    checkpoints.push({
      fromId: fin.fromId,
      toId: fin.toId,
      rateRay: fin.rateRay,
      nominal: lockOf(nominal, shares, fin.rateRay) === nominal,
    });
  }
  return { f, requests, checkpoints, dave };
}

/** The model's checkpoint index of a request (0: not finalized). */
function hintOf(m: ClaimsFixture, requestId: bigint): bigint {
  const index = m.checkpoints.findIndex((c) => requestId >= c.fromId && requestId <= c.toId);
  return BigInt(index + 1);
}

/** What a claim of the request pays and releases of its batch's lock, per the model. */
function claimOf(m: ClaimsFixture, requestId: bigint): { payout: bigint; released: bigint } {
  const r = m.requests[Number(requestId) - 1];
  const c = m.checkpoints[Number(hintOf(m, requestId)) - 1];
  const payout = payoutOf(r.amount, r.shares, c.rateRay);
  return { payout, released: c.nominal ? r.amount : valueAt(r.shares, c.rateRay) };
}

/** Queue views a failed claim must leave alone, and the ETH of dave (a recipient; he sends nothing in these tests). */
async function claimState(m: ClaimsFixture): Promise<unknown> {
  const { f } = m;
  const owners = [...f.holders, m.dave].map((h) => h.address);
  const lists = await Promise.all(owners.map((o) => f.queue.getWithdrawalRequests(o)));
  const ids = m.requests.map((r) => r.id);
  return plain([
    await protocolState(f),
    await f.queue.getClaimableEther(
      ids,
      ids.map((i) => hintOf(m, i)),
    ),
    lists,
    await balanceOf(m.dave.address),
  ]);
}

describe("WithdrawalQueue finalization and claims", function () {
  // ──────────────────────────────── 1. Finalization by a report ────────────────────────────────

  describe("finalization by an oracle report", function () {
    it("a report finalizing 1..3 locks min(Σ ETH, Σ shares × rate), burns the shares and moves exactly that ETH", async function () {
      const f = await loadFixture(withOddRate);
      const { queue, pool, queueAddress, poolAddress } = f;
      const [alice, bob] = f.holders;
      const pre = await poolTotals(f);
      expect(pre.ether).to.not.equal(pre.shares);
      const plan: [HardhatEthersSigner, bigint][] = [
        [alice, parseEther("1.5")],
        [alice, parseEther("2.25")],
        [bob, parseEther("3")],
      ];
      for (const [holder, amount] of plan) await f.request(holder, [amount]);
      const expectedShares = plan.map(([, amount]) => ceilDiv(amount * pre.shares, pre.ether));
      for (let i = 0; i < plan.length; ++i) {
        expect(await requestOf(f, BigInt(i + 1))).to.deep.equal({ amount: plan[i][1], shares: expectedShares[i] });
      }
      expect(await poolTotals(f)).to.deep.equal(pre); // requests move tpETH, not totals
      const nominal = plan.reduce((a, [, amount]) => a + amount, 0n);
      const sharesToBurn = expectedShares.reduce((a, b) => a + b, 0n);
      expect(await queue.unfinalizedEther()).to.equal(nominal);
      expect(await queue.queuedShares()).to.equal(sharesToBurn);
      expect(await pool.sharesOf(queueAddress)).to.equal(sharesToBurn);
      expect(await queue.getLastCheckpointIndex()).to.equal(0n);
      const queueEth = await balanceOf(queueAddress);
      const poolEth = await balanceOf(poolAddress);
      const buffered = await pool.bufferedEther();

      // A report with no rewards: on its own it changes no total, so the rate is the pool's now.
      const etherLocked = lockOf(nominal, sharesToBurn, rateRayOf(pre.ether, pre.shares));
      const { data, tx, receipt } = await reportTx(f, { lastRequestIdToFinalize: 3n });
      const timestamp = await blockTimestamp(receipt.blockNumber);

      await expect(tx).to.emit(queue, "WithdrawalsFinalized").withArgs(1n, 3n, etherLocked, sharesToBurn, timestamp);
      await expect(tx).to.emit(pool, "TransferShares").withArgs(queueAddress, ZeroAddress, sharesToBurn);
      await expect(tx)
        .to.emit(f.oracle, "ReportApplied")
        .withArgs(data.refSlot, pre.ether, pre.ether - etherLocked, pre.shares, pre.shares - sharesToBurn, 0n);
      expect(await poolTotals(f)).to.deep.equal({ ether: pre.ether - etherLocked, shares: pre.shares - sharesToBurn });
      expect(await pool.bufferedEther()).to.equal(buffered - etherLocked);
      expect(await balanceOf(queueAddress)).to.equal(queueEth + etherLocked);
      expect(await balanceOf(poolAddress)).to.equal(poolEth - etherLocked);
      expect(await pool.sharesOf(queueAddress)).to.equal(0n);
      expect(await queue.getLastFinalizedRequestId()).to.equal(3n);
      expect(await queue.getLastCheckpointIndex()).to.equal(1n);
      expect(await queue.lockedEther()).to.equal(etherLocked);
      expect(await queue.unfinalizedEther()).to.equal(0n);
      expect(await queue.queuedShares()).to.equal(0n);
      const statuses = await queue.getWithdrawalStatus([1n, 2n, 3n]);
      expect(statuses.map((s) => [s.isFinalized, s.isClaimed])).to.deep.equal([
        [true, false],
        [true, false],
        [true, false],
      ]);
    });

    it("with rewards in the same report, the totals are the report's own minus the lock and the burned shares", async function () {
      const f = await loadFixture(withOddRate);
      const { queue, pool, queueAddress } = f;
      const [alice, bob] = f.holders;
      await f.request(alice, [parseEther("4")]);
      await f.request(bob, [parseEther("0.7")]);
      const [r1, r2] = [await requestOf(f, 1n), await requestOf(f, 2n)];
      const pre = await poolTotals(f);
      const rewards = parseEther("0.02");
      const fees = await f.oracle.getFeeConfig();
      // What the report alone does: +rewards to P, fee shares to S.
      const reportEther = pre.ether + rewards;
      const reportShares = pre.shares + feeSharesOf(rewards, fees, pre.shares, reportEther);
      const etherLocked = lockOf(r1.amount + r2.amount, r1.shares + r2.shares, rateRayOf(reportEther, reportShares));
      expect(etherLocked).to.equal(r1.amount + r2.amount); // the rate rose: nominal

      const { tx, receipt } = await reportTx(f, {
        clBalanceGwei: toGwei((await lastClWei(f)) + rewards),
        lastRequestIdToFinalize: 2n,
      });
      await expect(tx)
        .to.emit(queue, "WithdrawalsFinalized")
        .withArgs(1n, 2n, etherLocked, r1.shares + r2.shares, await blockTimestamp(receipt.blockNumber));
      expect(await poolTotals(f)).to.deep.equal({
        ether: reportEther - etherLocked,
        shares: reportShares - r1.shares - r2.shares,
      });
      expect(await balanceOf(queueAddress)).to.equal(etherLocked);
      expect(await pool.sharesOf(queueAddress)).to.equal(0n);
      expect(await queue.lockedEther()).to.equal(etherLocked);
    });

    it("each finalizing report adds one checkpoint; reports that finalize nothing add none", async function () {
      const f = await loadFixture(deployWithQueue);
      const { queue } = f;
      const [alice, bob, carol] = f.holders;
      await f.request(alice, [parseEther("1"), parseEther("2")]);
      await f.request(bob, [parseEther("3")]);
      await f.request(carol, [parseEther("4")]);
      const amounts = [1n, 2n, 3n, 4n].map((n) => parseEther(n.toString()));

      await reportTx(f, {}); // no finalization
      expect(await queue.getLastCheckpointIndex()).to.equal(0n);
      expect(await queue.getLastFinalizedRequestId()).to.equal(0n);
      expect(await queue.unfinalizedEther()).to.equal(parseEther("10"));

      let locked = 0n;
      let unfinalized = parseEther("10");
      for (const [lastId, index] of [
        [1n, 1n],
        [3n, 2n],
        [4n, 3n],
      ]) {
        const fromId = (await queue.getLastFinalizedRequestId()) + 1n;
        const nominal = amounts.slice(Number(fromId) - 1, Number(lastId)).reduce((a, b) => a + b, 0n);
        const { tx, receipt } = await reportTx(f, { lastRequestIdToFinalize: lastId });
        // At 1 share = 1 wei and no rewards, every lock is nominal.
        await expect(tx)
          .to.emit(queue, "WithdrawalsFinalized")
          .withArgs(fromId, lastId, nominal, nominal, await blockTimestamp(receipt.blockNumber));
        locked += nominal;
        unfinalized -= nominal;
        expect(await queue.getLastCheckpointIndex()).to.equal(index);
        expect(await queue.getLastFinalizedRequestId()).to.equal(lastId);
        expect(await queue.lockedEther()).to.equal(locked);
        expect(await queue.unfinalizedEther()).to.equal(unfinalized);
        await reportTx(f, {}); // and one that finalizes nothing
        expect(await queue.getLastCheckpointIndex()).to.equal(index);
      }
      const statuses = await queue.getWithdrawalStatus([1n, 2n, 3n, 4n]);
      expect(statuses.map((s) => s.isFinalized)).to.deep.equal([true, true, true, true]);
    });
  });

  // ──────────────────────────────── 2. Oracle-side rules ────────────────────────────────

  describe("the oracle's finalization rules", function () {
    it("lastRequestIdToFinalize beyond the last request or not after the last finalized one: InvalidRequestIdToFinalize", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice] = f.holders;
      await f.request(alice, [parseEther("1"), parseEther("1"), parseEther("1")]);
      await reportTx(f, { lastRequestIdToFinalize: 1n });

      for (const bad of [4n, 1n]) {
        const { submit } = await openReport(f, { lastRequestIdToFinalize: bad }, bad === 4n ? 1n : 0n);
        const before = await protocolState(f);
        await expect(submit())
          .to.be.revertedWithCustomError(f.queue, "InvalidRequestIdToFinalize")
          .withArgs(bad, 1n, 3n);
        expect(await protocolState(f)).to.deep.equal(before);
      }
      // The same frame can still be reported with a valid bound.
      const { tx } = await reportTx(f, { lastRequestIdToFinalize: 3n }, 0n);
      await expect(tx).to.emit(f.queue, "WithdrawalsFinalized");
      expect(await f.queue.getLastFinalizedRequestId()).to.equal(3n);
    });

    it("a request made after the reference slot waits: RequestAfterRefSlot(id, requestTime, refSlotTime)", async function () {
      const f = await loadFixture(deployWithQueue);
      const { queue, pool, oracle, queueAddress } = f;
      const [alice, bob] = f.holders;
      const [genesisTime] = await oracle.getFrameConfig();
      const [currentRefSlot] = await oracle.getCurrentFrame();
      const nextRefSlot = currentRefSlot + SLOTS_PER_FRAME;
      const refSlotTime = genesisTime + nextRefSlot * SECONDS_PER_SLOT;
      // Request 1 at exactly the next reference slot's time; request 2 a little after it.
      await (await pool.connect(alice).approve(queueAddress, parseEther("1"))).wait();
      await (await pool.connect(bob).approve(queueAddress, parseEther("2"))).wait();
      await time.setNextBlockTimestamp(refSlotTime);
      await (await queue.connect(alice).requestWithdrawals([parseEther("1")], ZeroAddress)).wait();
      await (await queue.connect(bob).requestWithdrawals([parseEther("2")], ZeroAddress)).wait();
      const [s1, s2] = await queue.getWithdrawalStatus([1n, 2n]);
      expect(s1.timestamp).to.equal(refSlotTime);
      expect(s2.timestamp).to.be.greaterThan(refSlotTime);

      const { data, submit } = await openReport(f, { lastRequestIdToFinalize: 2n });
      expect(data.refSlot).to.equal(nextRefSlot);
      expect((await oracle.getCurrentFrame())[0]).to.equal(nextRefSlot);
      const before = await protocolState(f);
      await expect(submit())
        .to.be.revertedWithCustomError(f.queue, "RequestAfterRefSlot")
        .withArgs(2n, s2.timestamp, refSlotTime);
      expect(await protocolState(f)).to.deep.equal(before);

      // Request 1, made at the reference slot's time, is finalizable in this frame.
      const { tx } = await reportTx(f, { lastRequestIdToFinalize: 1n }, 0n);
      await expect(tx).to.emit(queue, "WithdrawalsFinalized");
      expect(await queue.getLastFinalizedRequestId()).to.equal(1n);
    });

    it("finalizes only with ETH in the buffer, not with ETH already locked: FinalizationExceedsBuffer", async function () {
      const f = await loadFixture(deployWithQueue);
      const { queue, pool, staker } = f;
      const buffered = await pool.bufferedEther();
      expect(buffered).to.equal(parseEther("70.001")); // 4.001 left by deposits + 6 of bond + 60 of holders
      const first = parseEther("30");
      const second = buffered - first + 1n; // together one wei more than the buffer
      await f.request(staker, [first, second]);

      let open = await openReport(f, { lastRequestIdToFinalize: 2n });
      let before = await protocolState(f);
      // 1 share = 1 wei: the lock is nominal.
      await expect(open.submit())
        .to.be.revertedWithCustomError(f.queue, "FinalizationExceedsBuffer")
        .withArgs(buffered + 1n, buffered);
      expect(await protocolState(f)).to.deep.equal(before);
      await reportTx(f, { lastRequestIdToFinalize: 1n }, 0n);
      expect(await pool.bufferedEther()).to.equal(buffered - first);

      // The locked 30 ETH left the buffer: request 2 alone is one wei too much for what is left.
      open = await openReport(f, { lastRequestIdToFinalize: 2n });
      before = await protocolState(f);
      await expect(open.submit())
        .to.be.revertedWithCustomError(f.queue, "FinalizationExceedsBuffer")
        .withArgs(second, second - 1n);
      expect(await protocolState(f)).to.deep.equal(before);

      // One more wei staked: it fits exactly and empties the buffer.
      await (await pool.connect(f.users[5]).stake(ZeroAddress, { value: 1n })).wait();
      await reportTx(f, { lastRequestIdToFinalize: 2n }, 0n);
      expect(await queue.getLastFinalizedRequestId()).to.equal(2n);
      expect(await pool.bufferedEther()).to.equal(0n);
      expect(await queue.lockedEther()).to.equal(buffered + 1n);
    });

    it("ETH deposited to validators is not in the buffer: FinalizationExceedsBuffer after a deposit", async function () {
      const f = await loadFixture(deployWithQueue);
      const { pool } = f;
      const start = await pool.bufferedEther();
      await depositTwoMore(f);
      const buffered = await pool.bufferedEther();
      expect(buffered).to.equal(start + parseEther("4") - 2n * DEPOSIT_SIZE);
      expect(buffered).to.equal(parseEther("10.001"));
      const [alice, bob] = f.holders;
      await f.request(alice, [parseEther("5")]);
      await f.request(bob, [parseEther("6")]);

      const { submit } = await openReport(f, { lastRequestIdToFinalize: 2n });
      const before = await protocolState(f);
      await expect(submit())
        .to.be.revertedWithCustomError(f.queue, "FinalizationExceedsBuffer")
        .withArgs(parseEther("11"), buffered);
      expect(await protocolState(f)).to.deep.equal(before);
      await reportTx(f, { lastRequestIdToFinalize: 1n }, 0n);
      expect(await pool.bufferedEther()).to.equal(buffered - parseEther("5"));
    });

    it("a bunker-mode report cannot finalize: FinalizationInBunkerMode", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice] = f.holders;
      await f.request(alice, [parseEther("1")]);
      const { submit } = await openReport(f, { isBunkerMode: true, lastRequestIdToFinalize: 1n });
      const before = await protocolState(f);
      await expect(submit()).to.be.revertedWithCustomError(f.oracle, "FinalizationInBunkerMode").withArgs(1n);
      expect(await protocolState(f)).to.deep.equal(before);

      await reportTx(f, { isBunkerMode: true }, 0n); // the same report without finalization applies
      expect(await f.oracle.isBunkerModeActive()).to.equal(true);
      expect(await f.queue.getLastFinalizedRequestId()).to.equal(0n);
      await reportTx(f, { lastRequestIdToFinalize: 1n });
      expect(await f.oracle.isBunkerModeActive()).to.equal(false);
      expect(await f.queue.getLastFinalizedRequestId()).to.equal(1n);
    });

    it("only the pool may call finalize: CallerNotPool", async function () {
      const f = await loadFixture(deployWithQueue);
      const { queue, oracle, pool } = f;
      const [alice] = f.holders;
      await f.request(alice, [parseEther("1")]);
      const { ether, shares } = await poolTotals(f);
      const oracleAddress = await oracle.getAddress();
      await impersonateAccount(oracleAddress);
      await setBalance(oracleAddress, parseEther("10"));
      const oracleSigner = await ethers.getSigner(oracleAddress);
      const before = await protocolState(f);
      for (const caller of [alice, f.admin, oracleSigner]) {
        await expect(queue.connect(caller).finalize([1n], ether, shares, 2n ** 40n, parseEther("100")))
          .to.be.revertedWithCustomError(queue, "CallerNotPool")
          .withArgs(caller.address);
        await expect(queue.connect(caller).fundFinalizedPayouts({ value: parseEther("1") }))
          .to.be.revertedWithCustomError(queue, "CallerNotPool")
          .withArgs(caller.address);
      }
      expect(await protocolState(f)).to.deep.equal(before);
      expect(await pool.sharesOf(f.queueAddress)).to.equal(parseEther("1"));
    });

    it("a paused queue cannot be finalized: the report reverts with WithdrawalsPaused", async function () {
      const f = await loadFixture(deployWithQueue);
      const { queue } = f;
      const [alice] = f.holders;
      await f.request(alice, [parseEther("1")]);
      await (await queue.connect(f.pauser).pause()).wait();
      expect(await queue.withdrawalsPaused()).to.equal(true);

      const { submit } = await openReport(f, { lastRequestIdToFinalize: 1n });
      const before = await protocolState(f);
      await expect(submit()).to.be.revertedWithCustomError(queue, "WithdrawalsPaused");
      expect(await protocolState(f)).to.deep.equal(before);
      await reportTx(f, {}, 0n); // a report that finalizes nothing still applies

      await (await queue.connect(f.admin).resume()).wait();
      await reportTx(f, { lastRequestIdToFinalize: 1n });
      expect(await queue.getLastFinalizedRequestId()).to.equal(1n);
    });
  });

  // ──────────────────────────────── 3. Previews ────────────────────────────────

  describe("simulateFinalization and findMaxRequestIdToFinalize", function () {
    async function withFourRequests() {
      const f = await withOddRate();
      const [alice, bob, carol] = f.holders;
      const plan: [HardhatEthersSigner, bigint][] = [
        [alice, parseEther("1")],
        [bob, parseEther("2")],
        [carol, parseEther("3")],
        [alice, parseEther("0.5")],
      ];
      const { ether, shares } = await poolTotals(f);
      for (const [holder, amount] of plan) await f.request(holder, [amount]); // one block each
      const statuses = await f.queue.getWithdrawalStatus([1n, 2n, 3n, 4n]);
      const requests = statuses.map((s, i) => ({
        amount: plan[i][1],
        shares: ceilDiv(plan[i][1] * shares, ether),
        timestamp: s.timestamp,
      }));
      requests.forEach((r, i) => {
        expect([statuses[i].amountOfEther, statuses[i].amountOfShares]).to.deep.equal([r.amount, r.shares]);
      });
      return { f, requests, ether, shares };
    }

    type Req = { amount: bigint; shares: bigint; timestamp: bigint };

    /** Finalizing requests (fromId, lastId] at rateEther / rateShares, per the rules. */
    function preview(requests: Req[], fromId: number, lastId: number, rateEther: bigint, rateShares: bigint) {
      const batch = requests.slice(fromId, lastId);
      const nominal = batch.reduce((a, r) => a + r.amount, 0n);
      const shares = batch.reduce((a, r) => a + r.shares, 0n);
      return [
        lockOf(nominal, shares, rateRayOf(rateEther, rateShares)),
        shares,
        nominal,
        batch[batch.length - 1].timestamp,
      ];
    }

    /** The largest id whose batch fits `available` and was requested by `maxTimestamp`, by scanning. */
    function scan(
      requests: Req[],
      fromId: number,
      available: bigint,
      rateEther: bigint,
      rateShares: bigint,
      maxTs: bigint,
    ) {
      let found: [bigint, bigint] = [0n, 0n];
      for (let last = fromId + 1; last <= requests.length; ++last) {
        const [lock, , , ts] = preview(requests, fromId, last, rateEther, rateShares);
        if (lock <= available && ts <= maxTs) found = [BigInt(last), lock];
      }
      return found;
    }

    it("simulateFinalization returns min(Σ ETH, Σ shares × rate), Σ shares, Σ ETH and the last request's time", async function () {
      const { f, requests, ether, shares } = await loadFixture(withFourRequests);
      const rates: [bigint, bigint][] = [
        [ether, shares], // the current rate
        [(ether * 9n) / 10n, shares], // after a 10% loss: paid by shares
        [(ether * 11n) / 10n, shares], // after a 10% gain: paid nominal
      ];
      for (const [rateEther, rateShares] of rates) {
        for (let last = 1; last <= 4; ++last) {
          const expected = preview(requests, 0, last, rateEther, rateShares);
          expect(plain(await f.queue.simulateFinalization(BigInt(last), rateEther, rateShares))).to.deep.equal(
            expected,
          );
        }
      }
      const [lossLock, , lossNominal] = preview(requests, 0, 4, (ether * 9n) / 10n, shares);
      expect(lossLock).to.be.lessThan(lossNominal);
      const [gainLock, , gainNominal] = preview(requests, 0, 4, (ether * 11n) / 10n, shares);
      expect(gainLock).to.equal(gainNominal);
      await expect(f.queue.simulateFinalization(5n, ether, shares))
        .to.be.revertedWithCustomError(f.queue, "InvalidRequestIdToFinalize")
        .withArgs(5n, 0n, 4n);
      await expect(f.queue.simulateFinalization(0n, ether, shares))
        .to.be.revertedWithCustomError(f.queue, "InvalidRequestIdToFinalize")
        .withArgs(0n, 0n, 4n);
    });

    it("findMaxRequestIdToFinalize stops at the ETH available (exact fit vs 1 wei short) and at the time cut-off", async function () {
      const { f, requests } = await loadFixture(withFourRequests);
      const { queue } = f;
      const ts = requests.map((r) => r.timestamp);
      expect(new Set(ts).size).to.equal(4); // one block each: the cut-off can fall between any two
      const lossEther = parseEther("150");
      const lossShares = parseEther("166");
      for (const [rateEther, rateShares] of [
        [await f.pool.totalPooledEther(), await f.pool.totalShares()],
        [lossEther, lossShares],
      ]) {
        const lock = (last: number) => preview(requests, 0, last, rateEther, rateShares)[0] as bigint;
        const cases: [bigint, bigint, [bigint, bigint]][] = [
          [lock(4), ts[3], [4n, lock(4)]], // everything fits exactly
          [lock(4) + parseEther("100"), ts[3] + 1000n, [4n, lock(4)]],
          [lock(3), ts[3], [3n, lock(3)]], // exactly fits up to 3
          [lock(3) - 1n, ts[3], [2n, lock(2)]], // 1 wei short for 3
          [lock(1), ts[3], [1n, lock(1)]],
          [lock(1) - 1n, ts[3], [0n, 0n]], // nothing fits
          [0n, ts[3], [0n, 0n]],
          [lock(4), ts[2], [3n, lock(3)]], // request 4 made after the cut-off
          [lock(4), ts[2] - 1n, [2n, lock(2)]],
          [lock(4), ts[0], [1n, lock(1)]],
          [lock(4), ts[0] - 1n, [0n, 0n]], // every request after the cut-off
        ];
        for (const [available, maxTs, expected] of cases) {
          expect(scan(requests, 0, available, rateEther, rateShares, maxTs)).to.deep.equal(expected);
          expect(plain(await queue.findMaxRequestIdToFinalize(available, rateEther, rateShares, maxTs))).to.deep.equal(
            expected,
          );
        }
      }
    });

    it("both count only from the last finalized request on", async function () {
      const { f, requests } = await loadFixture(withFourRequests);
      const { queue } = f;
      await reportTx(f, { lastRequestIdToFinalize: 2n });
      const { ether, shares } = await poolTotals(f);
      expect(plain(await queue.simulateFinalization(3n, ether, shares))).to.deep.equal(
        preview(requests, 2, 3, ether, shares),
      );
      expect(plain(await queue.simulateFinalization(4n, ether, shares))).to.deep.equal(
        preview(requests, 2, 4, ether, shares),
      );
      await expect(queue.simulateFinalization(2n, ether, shares))
        .to.be.revertedWithCustomError(queue, "InvalidRequestIdToFinalize")
        .withArgs(2n, 2n, 4n);
      const lock4 = preview(requests, 2, 4, ether, shares)[0] as bigint;
      const lock3 = preview(requests, 2, 3, ether, shares)[0] as bigint;
      const maxTs = requests[3].timestamp;
      for (const [available, expected] of [
        [lock4, [4n, lock4]],
        [lock4 - 1n, [3n, lock3]],
        [lock3 - 1n, [0n, 0n]],
      ] as [bigint, [bigint, bigint]][]) {
        expect(scan(requests, 2, available, ether, shares, maxTs)).to.deep.equal(expected);
        expect(plain(await queue.findMaxRequestIdToFinalize(available, ether, shares, maxTs))).to.deep.equal(expected);
      }
      // Everything finalized: nothing left to find.
      await reportTx(f, { lastRequestIdToFinalize: 4n });
      expect(plain(await queue.findMaxRequestIdToFinalize(parseEther("1000"), ether, shares, maxTs))).to.deep.equal([
        0n,
        0n,
      ]);
    });

    it("a zero term of the share rate reverts with ZeroShareRate", async function () {
      const { f, requests, ether, shares } = await loadFixture(withFourRequests);
      const { queue } = f;
      const maxTs = requests[3].timestamp;
      for (const [rateEther, rateShares] of [
        [0n, shares],
        [ether, 0n],
        [0n, 0n],
      ]) {
        await expect(queue.simulateFinalization(1n, rateEther, rateShares)).to.be.revertedWithCustomError(
          queue,
          "ZeroShareRate",
        );
        await expect(
          queue.findMaxRequestIdToFinalize(parseEther("10"), rateEther, rateShares, maxTs),
        ).to.be.revertedWithCustomError(queue, "ZeroShareRate");
      }
    });
  });

  // ──────────────────────────────── 4. Claims ────────────────────────────────

  describe("claims", function () {
    it("the fixture's three checkpoints: nominal, nominal, and by shares × rate after the loss", async function () {
      const m = await loadFixture(withCheckpoints);
      const { queue } = m.f;
      expect(await queue.getLastCheckpointIndex()).to.equal(3n);
      expect(await queue.getLastFinalizedRequestId()).to.equal(6n);
      expect(m.checkpoints.map((c) => [c.fromId, c.toId, c.nominal])).to.deep.equal([
        [1n, 2n, true],
        [3n, 4n, true],
        [5n, 6n, false],
      ]);
      const locked = [1n, 2n, 3n, 4n, 5n, 6n].reduce((a, i) => a + claimOf(m, i).released, 0n);
      // The shares-priced batch locked ⌊Σ shares × rate⌋ ≥ Σ ⌊shares × rate⌋: at most 1 wei of dust.
      expect((await queue.lockedEther()) - locked).to.be.oneOf([0n, 1n]);
      expect(await balanceOf(m.f.queueAddress)).to.equal(await queue.lockedEther());
      for (const i of [5n, 6n]) expect(claimOf(m, i).payout).to.be.lessThan(m.requests[Number(i) - 1].amount);
    });

    it("claimWithdrawal(id) without a hint pays the owner exactly, burns the NFT and emits WithdrawalClaimed", async function () {
      const m = await loadFixture(withCheckpoints);
      const { queue, queueAddress } = m.f;
      const [alice] = m.f.holders;
      for (const requestId of [1n, 5n]) {
        const { payout, released } = claimOf(m, requestId);
        const aliceEth = await balanceOf(alice.address);
        const locked = await queue.lockedEther();
        const queueEth = await balanceOf(queueAddress);
        const nfts = await queue.balanceOf(alice.address);
        const { tx, gas } = await sent(queue.connect(alice).claimWithdrawal(requestId));
        await expect(tx).to.emit(queue, "WithdrawalClaimed").withArgs(requestId, alice.address, alice.address, payout);
        await expect(tx).to.emit(queue, "Transfer").withArgs(alice.address, ZeroAddress, requestId);
        await expect(tx).not.to.emit(queue, "ExcessReturnedToPool"); // single-side batches: nothing to return
        expect(released).to.equal(payout);
        expect(await balanceOf(alice.address)).to.equal(aliceEth + payout - gas);
        expect(await queue.lockedEther()).to.equal(locked - payout);
        expect(await balanceOf(queueAddress)).to.equal(queueEth - payout);
        expect(await queue.balanceOf(alice.address)).to.equal(nfts - 1n);
        const [status] = await queue.getWithdrawalStatus([requestId]);
        expect([status.owner, status.isFinalized, status.isClaimed]).to.deep.equal([alice.address, true, true]);
        await expect(queue.ownerOf(requestId))
          .to.be.revertedWithCustomError(queue, "ERC721NonexistentToken")
          .withArgs(requestId);
      }
      expect(await queue.getWithdrawalRequests(alice.address)).to.deep.equal([2n]);
    });

    it("claimWithdrawals(ids, hints) pays the sum of the requests in one transfer, in any order", async function () {
      const m = await loadFixture(withCheckpoints);
      const { queue, queueAddress } = m.f;
      const [, bob] = m.f.holders;
      const ids = [6n, 3n];
      const hints = ids.map((i) => hintOf(m, i));
      expect(hints).to.deep.equal([3n, 2n]);
      const claims = ids.map((i) => claimOf(m, i));
      const total = claims.reduce((a, c) => a + c.payout, 0n);
      const bobEth = await balanceOf(bob.address);
      const locked = await queue.lockedEther();
      const { tx, gas } = await sent(queue.connect(bob).claimWithdrawals(ids, hints));
      for (let i = 0; i < ids.length; ++i) {
        await expect(tx)
          .to.emit(queue, "WithdrawalClaimed")
          .withArgs(ids[i], bob.address, bob.address, claims[i].payout);
        await expect(tx).to.emit(queue, "Transfer").withArgs(bob.address, ZeroAddress, ids[i]);
      }
      expect(await balanceOf(bob.address)).to.equal(bobEth + total - gas);
      expect(await queue.lockedEther()).to.equal(locked - total);
      expect(await balanceOf(queueAddress)).to.equal(await queue.lockedEther());
      expect(await queue.getWithdrawalRequests(bob.address)).to.deep.equal([]);
      expect(await queue.balanceOf(bob.address)).to.equal(0n);
    });

    it("claimWithdrawalsTo(ids, hints, recipient) pays the recipient; the owner pays only gas", async function () {
      const m = await loadFixture(withCheckpoints);
      const { queue } = m.f;
      const [alice] = m.f.holders;
      const ids = [2n, 5n];
      const claims = ids.map((i) => claimOf(m, i));
      const total = claims.reduce((a, c) => a + c.payout, 0n);
      const aliceEth = await balanceOf(alice.address);
      const daveEth = await balanceOf(m.dave.address);
      const { tx, gas } = await sent(
        queue.connect(alice).claimWithdrawalsTo(
          ids,
          ids.map((i) => hintOf(m, i)),
          m.dave.address,
        ),
      );
      for (let i = 0; i < ids.length; ++i) {
        await expect(tx)
          .to.emit(queue, "WithdrawalClaimed")
          .withArgs(ids[i], alice.address, m.dave.address, claims[i].payout);
        await expect(tx).to.emit(queue, "Transfer").withArgs(alice.address, ZeroAddress, ids[i]);
      }
      expect(await balanceOf(m.dave.address)).to.equal(daveEth + total);
      expect(await balanceOf(alice.address)).to.equal(aliceEth - gas);
      expect(await queue.getWithdrawalRequests(alice.address)).to.deep.equal([1n]);
    });

    it("pays exactly once: a second claim reverts with RequestAlreadyClaimed and changes nothing", async function () {
      const m = await loadFixture(withCheckpoints);
      const { queue } = m.f;
      const [alice] = m.f.holders;
      await (await queue.connect(alice).claimWithdrawal(1n)).wait();
      const before = await claimState(m);
      await expect(queue.connect(alice).claimWithdrawal(1n))
        .to.be.revertedWithCustomError(queue, "RequestAlreadyClaimed")
        .withArgs(1n);
      await expect(queue.connect(alice).claimWithdrawals([1n], [1n]))
        .to.be.revertedWithCustomError(queue, "RequestAlreadyClaimed")
        .withArgs(1n);
      // In a batch the whole claim reverts: request 2 stays claimable.
      await expect(queue.connect(alice).claimWithdrawalsTo([2n, 1n], [1n, 1n], m.dave.address))
        .to.be.revertedWithCustomError(queue, "RequestAlreadyClaimed")
        .withArgs(1n);
      await expect(queue.connect(alice).claimWithdrawals([2n, 2n], [1n, 1n]))
        .to.be.revertedWithCustomError(queue, "RequestAlreadyClaimed")
        .withArgs(2n);
      expect(await claimState(m)).to.deep.equal(before);
      expect(await queue.getClaimableEther([1n, 2n], [1n, 1n])).to.deep.equal([0n, claimOf(m, 2n).payout]);
    });

    it("rejects claims of unfinalized, someone else's and unknown requests, and changes nothing", async function () {
      const m = await loadFixture(withCheckpoints);
      const { queue } = m.f;
      const [alice, bob, carol] = m.f.holders;
      const before = await claimState(m);
      await expect(queue.connect(carol).claimWithdrawal(7n))
        .to.be.revertedWithCustomError(queue, "RequestNotFinalized")
        .withArgs(7n);
      await expect(queue.connect(carol).claimWithdrawals([7n], [0n]))
        .to.be.revertedWithCustomError(queue, "RequestNotFinalized")
        .withArgs(7n);
      await expect(queue.connect(carol).claimWithdrawals([4n, 7n], [2n, 3n]))
        .to.be.revertedWithCustomError(queue, "RequestNotFinalized")
        .withArgs(7n);
      await expect(queue.connect(bob).claimWithdrawal(1n))
        .to.be.revertedWithCustomError(queue, "NotRequestOwner")
        .withArgs(1n, bob.address, alice.address);
      await expect(queue.connect(bob).claimWithdrawalsTo([3n, 1n], [2n, 1n], bob.address))
        .to.be.revertedWithCustomError(queue, "NotRequestOwner")
        .withArgs(1n, bob.address, alice.address);
      const eve = m.f.users[6];
      await expect(queue.connect(eve).claimWithdrawals([7n], [0n]))
        .to.be.revertedWithCustomError(queue, "NotRequestOwner")
        .withArgs(7n, eve.address, carol.address);
      for (const unknown of [0n, 8n, 99n]) {
        await expect(queue.connect(alice).claimWithdrawal(unknown))
          .to.be.revertedWithCustomError(queue, "UnknownRequest")
          .withArgs(unknown);
        await expect(queue.connect(alice).claimWithdrawals([unknown], [1n]))
          .to.be.revertedWithCustomError(queue, "UnknownRequest")
          .withArgs(unknown);
      }
      expect(await claimState(m)).to.deep.equal(before);
    });

    it("a hint that is not the request's checkpoint reverts with InvalidHint (another one, 0, beyond the last)", async function () {
      const m = await loadFixture(withCheckpoints);
      const { queue } = m.f;
      const [alice] = m.f.holders;
      const before = await claimState(m);
      for (const [requestId, hint] of [
        [1n, 2n], // exists, covers 3–4
        [1n, 3n],
        [5n, 1n],
        [5n, 2n],
        [1n, 0n], // no checkpoint 0
        [5n, 0n],
        [1n, 4n], // beyond the last checkpoint
        [5n, 99n],
      ]) {
        await expect(queue.connect(alice).claimWithdrawals([requestId], [hint]))
          .to.be.revertedWithCustomError(queue, "InvalidHint")
          .withArgs(requestId, hint);
        await expect(queue.getClaimableEther([requestId], [hint]))
          .to.be.revertedWithCustomError(queue, "InvalidHint")
          .withArgs(requestId, hint);
      }
      await expect(queue.connect(alice).claimWithdrawalsTo([2n, 5n], [1n, 2n], m.dave.address))
        .to.be.revertedWithCustomError(queue, "InvalidHint")
        .withArgs(5n, 2n);
      expect(await claimState(m)).to.deep.equal(before);
    });

    it("rejects a zero recipient, mismatched arrays and empty lists", async function () {
      const m = await loadFixture(withCheckpoints);
      const { queue } = m.f;
      const [alice] = m.f.holders;
      const before = await claimState(m);
      await expect(queue.connect(alice).claimWithdrawalsTo([1n], [1n], ZeroAddress)).to.be.revertedWithCustomError(
        queue,
        "ZeroRecipient",
      );
      await expect(queue.connect(alice).claimWithdrawals([1n, 2n], [1n]))
        .to.be.revertedWithCustomError(queue, "ArrayLengthMismatch")
        .withArgs(2n, 1n);
      await expect(queue.connect(alice).claimWithdrawalsTo([1n], [1n, 1n], alice.address))
        .to.be.revertedWithCustomError(queue, "ArrayLengthMismatch")
        .withArgs(1n, 2n);
      await expect(queue.getClaimableEther([1n, 2n], [1n]))
        .to.be.revertedWithCustomError(queue, "ArrayLengthMismatch")
        .withArgs(2n, 1n);
      await expect(queue.connect(alice).claimWithdrawals([], [])).to.be.revertedWithCustomError(
        queue,
        "EmptyRequestList",
      );
      await expect(queue.connect(alice).claimWithdrawalsTo([], [], alice.address)).to.be.revertedWithCustomError(
        queue,
        "EmptyRequestList",
      );
      expect(await claimState(m)).to.deep.equal(before);
    });

    it("after an NFT transfer the new owner claims and the old one cannot", async function () {
      const m = await loadFixture(withCheckpoints);
      const { queue } = m.f;
      const [alice] = m.f.holders;
      const { dave } = m;
      await expect(queue.connect(alice).transferFrom(alice.address, dave.address, 5n))
        .to.emit(queue, "Transfer")
        .withArgs(alice.address, dave.address, 5n);
      expect(await queue.ownerOf(5n)).to.equal(dave.address);
      expect(await queue.getWithdrawalRequests(alice.address)).to.deep.equal([1n, 2n]);
      expect(await queue.getWithdrawalRequests(dave.address)).to.deep.equal([5n]);

      const before = await claimState(m);
      await expect(queue.connect(alice).claimWithdrawal(5n))
        .to.be.revertedWithCustomError(queue, "NotRequestOwner")
        .withArgs(5n, alice.address, dave.address);
      await expect(queue.connect(alice).claimWithdrawalsTo([5n], [3n], alice.address))
        .to.be.revertedWithCustomError(queue, "NotRequestOwner")
        .withArgs(5n, alice.address, dave.address);
      expect(await claimState(m)).to.deep.equal(before);

      const { payout } = claimOf(m, 5n);
      const daveEth = await balanceOf(dave.address);
      const { tx, gas } = await sent(queue.connect(dave).claimWithdrawals([5n], [3n]));
      await expect(tx).to.emit(queue, "WithdrawalClaimed").withArgs(5n, dave.address, dave.address, payout);
      await expect(tx).to.emit(queue, "Transfer").withArgs(dave.address, ZeroAddress, 5n);
      expect(await balanceOf(dave.address)).to.equal(daveEth + payout - gas);
      const [status] = await queue.getWithdrawalStatus([5n]);
      expect([status.owner, status.isClaimed]).to.deep.equal([dave.address, true]);
      expect(await queue.getWithdrawalRequests(dave.address)).to.deep.equal([]);
    });

    it("findCheckpointHints returns each request's checkpoint (0 for unfinalized) and checks its range", async function () {
      const m = await loadFixture(withCheckpoints);
      const { queue } = m.f;
      const ids = [1n, 2n, 3n, 4n, 5n, 6n, 7n, 0n, 99n];
      expect(await queue.findCheckpointHints(ids, 1n, 3n)).to.deep.equal([1n, 1n, 2n, 2n, 3n, 3n, 0n, 0n, 0n]);
      expect(ids.slice(0, 7).map((i) => hintOf(m, i))).to.deep.equal([1n, 1n, 2n, 2n, 3n, 3n, 0n]);
      // Only the range searched counts.
      expect(await queue.findCheckpointHints(ids, 2n, 3n)).to.deep.equal([0n, 0n, 2n, 2n, 3n, 3n, 0n, 0n, 0n]);
      expect(await queue.findCheckpointHints(ids, 1n, 1n)).to.deep.equal([1n, 1n, 0n, 0n, 0n, 0n, 0n, 0n, 0n]);
      expect(await queue.findCheckpointHints(ids, 2n, 2n)).to.deep.equal([0n, 0n, 2n, 2n, 0n, 0n, 0n, 0n, 0n]);
      expect(await queue.findCheckpointHints([6n, 1n], 1n, 3n)).to.deep.equal([3n, 1n]);
      for (const [first, last] of [
        [0n, 3n],
        [0n, 0n],
        [1n, 4n],
        [2n, 5n],
      ]) {
        await expect(queue.findCheckpointHints([1n], first, last))
          .to.be.revertedWithCustomError(queue, "InvalidHintRange")
          .withArgs(first, last);
      }
    });

    it("getClaimableEther is exact for finalized requests and 0 for unfinalized or claimed ones", async function () {
      const m = await loadFixture(withCheckpoints);
      const { queue } = m.f;
      const [alice] = m.f.holders;
      const ids = [1n, 2n, 3n, 4n, 5n, 6n, 7n];
      const hints = [...(await queue.findCheckpointHints(ids, 1n, 3n))];
      const expected = ids.map((i) => (i <= 6n ? claimOf(m, i).payout : 0n));
      expect(await queue.getClaimableEther(ids, hints)).to.deep.equal(expected);
      expect(expected[0]).to.equal(m.requests[0].amount); // nominal checkpoint
      expect(expected[4]).to.equal(valueAt(m.requests[4].shares, m.checkpoints[2].rateRay)); // by shares
      await expect(queue.getClaimableEther([99n], [0n]))
        .to.be.revertedWithCustomError(queue, "UnknownRequest")
        .withArgs(99n);

      await (await queue.connect(alice).claimWithdrawals([1n, 5n], [1n, 3n])).wait();
      expect(await queue.getClaimableEther(ids, hints)).to.deep.equal(
        expected.map((e, i) => (i === 0 || i === 4 ? 0n : e)),
      );
    });
  });

  // ──────────────────────────────── 5. Contract wallets ────────────────────────────────

  describe("a contract wallet as owner", function () {
    async function withClaimer() {
      const f = await loadFixture(deployWithQueue);
      const claimer = await new WithdrawalClaimer__Mock__factory(f.users[5]).deploy(f.queueAddress, f.poolAddress);
      const claimerAddress = await claimer.getAddress();
      await (await claimer.stake({ value: parseEther("10") })).wait();
      await (await claimer.request([parseEther("1"), parseEther("2"), parseEther("3")])).wait();
      await reportTx(f, { lastRequestIdToFinalize: 3n }); // 1 share = 1 wei: every payout is nominal
      return { f, claimer, claimerAddress };
    }

    async function walletState(f: WithdrawalFixture, claimer: WithdrawalClaimer__Mock): Promise<unknown> {
      const claimerAddress = await claimer.getAddress();
      return plain([
        await protocolState(f),
        await balanceOf(claimerAddress),
        await claimer.receivedWei(),
        await claimer.receiveCount(),
        await f.queue.getWithdrawalRequests(claimerAddress),
        await f.queue.getClaimableEther([1n, 2n, 3n], [1n, 1n, 1n]),
      ]);
    }

    it("owns requests it made itself and claims to its expensive receive (far above 2,300 gas)", async function () {
      const { f, claimer, claimerAddress } = await loadFixture(withClaimer);
      const { queue } = f;
      expect(await queue.getWithdrawalRequests(claimerAddress)).to.deep.equal([1n, 2n, 3n]);
      // Its receive writes storage: a plain transfer to it needs far more than the 2,300-gas stipend.
      const receiveGas =
        (await ethers.provider.estimateGas({ from: f.users[6].address, to: claimerAddress, value: 1n })) - 21_000n;
      expect(receiveGas).to.be.greaterThan(20_000n);

      const eth = await balanceOf(claimerAddress);
      await expect(claimer.claim([1n], [1n]))
        .to.emit(queue, "WithdrawalClaimed")
        .withArgs(1n, claimerAddress, claimerAddress, parseEther("1"));
      await expect(claimer.claimOne(2n))
        .to.emit(queue, "WithdrawalClaimed")
        .withArgs(2n, claimerAddress, claimerAddress, parseEther("2"));
      expect(await claimer.receivedWei()).to.equal(parseEther("3"));
      expect(await claimer.receiveCount()).to.equal(2n);
      expect([await claimer.receipts(0n), await claimer.receipts(1n)]).to.deep.equal([
        parseEther("1"),
        parseEther("2"),
      ]);
      expect(await balanceOf(claimerAddress)).to.equal(eth + parseEther("3"));
      expect(await queue.lockedEther()).to.equal(parseEther("3"));
      expect(await balanceOf(f.queueAddress)).to.equal(parseEther("3"));
    });

    it("a re-entrant claim from its receive fails with ReentrancyGuardReentrantCall; the outer claim succeeds", async function () {
      const { f, claimer, claimerAddress } = await loadFixture(withClaimer);
      const { queue } = f;
      const selector = keccakId("ReentrancyGuardReentrantCall()").slice(0, 10);
      expect(selector).to.equal("0x3ee5aeb5");
      await (await claimer.setReentry([2n], [1n])).wait();
      await (await claimer.setMode(1)).wait(); // Reenter

      const tx = await claimer.claim([1n], [1n]);
      await expect(tx)
        .to.emit(queue, "WithdrawalClaimed")
        .withArgs(1n, claimerAddress, claimerAddress, parseEther("1"));
      expect(await claimer.innerRevertData()).to.equal(selector);
      expect(await claimer.receivedWei()).to.equal(parseEther("1"));
      const [s1, s2] = await queue.getWithdrawalStatus([1n, 2n]);
      expect([s1.isClaimed, s2.isClaimed]).to.deep.equal([true, false]);
      expect(await queue.lockedEther()).to.equal(parseEther("5"));
      expect(await balanceOf(f.queueAddress)).to.equal(parseEther("5"));

      await (await claimer.setMode(0)).wait(); // Accept
      await expect(claimer.claim([2n], [1n]))
        .to.emit(queue, "WithdrawalClaimed")
        .withArgs(2n, claimerAddress, claimerAddress, parseEther("2"));
      expect(await claimer.receivedWei()).to.equal(parseEther("3"));
    });

    it("a wallet refusing ETH makes the claim revert with EthTransferFailed and nothing changes", async function () {
      const { f, claimer, claimerAddress } = await loadFixture(withClaimer);
      const { queue } = f;
      await (await claimer.setMode(2)).wait(); // Reject
      const before = await walletState(f, claimer);
      await expect(claimer.claim([1n, 3n], [1n, 1n]))
        .to.be.revertedWithCustomError(queue, "EthTransferFailed")
        .withArgs(claimerAddress, parseEther("4"));
      await expect(claimer.claimOne(2n))
        .to.be.revertedWithCustomError(queue, "EthTransferFailed")
        .withArgs(claimerAddress, parseEther("2"));
      expect(await walletState(f, claimer)).to.deep.equal(before);

      await (await claimer.setMode(0)).wait(); // Accept
      await expect(claimer.claim([1n, 3n], [1n, 1n]))
        .to.emit(queue, "WithdrawalClaimed")
        .withArgs(3n, claimerAddress, claimerAddress, parseEther("3"));
      expect(await claimer.receivedWei()).to.equal(parseEther("4"));
      expect(await queue.lockedEther()).to.equal(parseEther("2"));
    });
  });

  // ──────────────────────────────── 6. Invariant ────────────────────────────────

  describe("solvency invariant", function () {
    it("after every step, the queue's balance = lockedEther = Σ locked − Σ released and its shares = queuedShares", async function () {
      const f = await loadFixture(deployWithQueue);
      const { queue, pool, queueAddress } = f;
      const [alice, bob, carol] = f.holders;
      const dave = f.users[5];
      const requests = new Map<
        bigint,
        { amount: bigint; shares: bigint; owner: HardhatEthersSigner; claimed: boolean }
      >();
      const get = (requestId: bigint) => {
        const r = requests.get(requestId);
        if (!r) throw new Error(`no request ${requestId}`);
        return r;
      };
      const checkpoints: ModelCheckpoint[] = [];
      let lockedTotal = 0n;
      let releasedTotal = 0n;
      let steps = 0;

      const check = async () => {
        ++steps;
        const lastFinalized = await queue.getLastFinalizedRequestId();
        let queuedShares = 0n;
        let unfinalizedEther = 0n;
        for (const [requestId, r] of requests) {
          if (requestId > lastFinalized) {
            queuedShares += r.shares;
            unfinalizedEther += r.amount;
          }
          const [status] = await queue.getWithdrawalStatus([requestId]);
          expect([status.owner, status.isClaimed]).to.deep.equal([r.owner.address, r.claimed]);
        }
        const locked = await queue.lockedEther();
        expect(await ethers.provider.getBalance(queueAddress)).to.equal(locked);
        expect(locked).to.equal(lockedTotal - releasedTotal);
        expect(await pool.sharesOf(queueAddress)).to.equal(await queue.queuedShares());
        expect(await queue.queuedShares()).to.equal(queuedShares);
        expect(await queue.unfinalizedEther()).to.equal(unfinalizedEther);
      };
      const request = async (holder: HardhatEthersSigner, amounts: bigint[]) => {
        for (const amount of amounts) {
          const { ether, shares } = await poolTotals(f);
          const [requestId] = await f.request(holder, [amount]);
          requests.set(requestId, { amount, shares: ceilDiv(amount * shares, ether), owner: holder, claimed: false });
        }
        await check();
      };
      const finalize = async (lastId: bigint, clDelta: bigint) => {
        const fromId = (await queue.getLastFinalizedRequestId()) + 1n;
        const { receipt } = await reportTx(f, {
          clBalanceGwei: toGwei((await lastClWei(f)) + clDelta),
          lastRequestIdToFinalize: lastId,
        });
        const fin = await finalizationIn(f, receipt);
        if (!fin) throw new Error("not finalized");
        let nominal = 0n;
        let shares = 0n;
        for (let i = fromId; i <= lastId; ++i) {
          nominal += get(i).amount;
          shares += get(i).shares;
        }
        const lock = lockOf(nominal, shares, fin.rateRay);
        expect([fin.fromId, fin.toId, fin.etherLocked, fin.sharesBurned]).to.deep.equal([fromId, lastId, lock, shares]);
        checkpoints.push({ fromId, toId: lastId, rateRay: fin.rateRay, nominal: lock === nominal });
        lockedTotal += lock;
        await check();
      };
      const claim = async (
        caller: HardhatEthersSigner,
        ids: bigint[],
        how: "one" | "hints" | "to",
        recipient: HardhatEthersSigner = caller,
      ) => {
        let paid = 0n;
        let released = 0n;
        for (const requestId of ids) {
          const r = get(requestId);
          const c = checkpoints.find((cp) => requestId >= cp.fromId && requestId <= cp.toId);
          if (!c) throw new Error(`request ${requestId} not finalized`);
          paid += payoutOf(r.amount, r.shares, c.rateRay);
          released += c.nominal ? r.amount : valueAt(r.shares, c.rateRay);
        }
        const hints = [...(await queue.findCheckpointHints(ids, 1n, await queue.getLastCheckpointIndex()))];
        const recipientEth = await balanceOf(recipient.address);
        const totals = await poolTotals(f);
        const { gas } = await sent(
          how === "one"
            ? queue.connect(caller).claimWithdrawal(ids[0])
            : how === "hints"
              ? queue.connect(caller).claimWithdrawals(ids, hints)
              : queue.connect(caller).claimWithdrawalsTo(ids, hints, recipient.address),
        );
        expect(await balanceOf(recipient.address)).to.equal(
          recipientEth + paid - (recipient.address === caller.address ? gas : 0n),
        );
        // Whatever a claim releases beyond its payout goes back to the pool.
        expect(await poolTotals(f)).to.deep.equal({ ether: totals.ether + released - paid, shares: totals.shares });
        releasedTotal += released;
        for (const requestId of ids) get(requestId).claimed = true;
        await check();
      };
      const transfer = async (from: HardhatEthersSigner, to: HardhatEthersSigner, requestId: bigint) => {
        await (
          await queue.connect(from)["safeTransferFrom(address,address,uint256)"](from.address, to.address, requestId)
        ).wait();
        get(requestId).owner = to;
        await check();
      };

      await check();
      await request(alice, [parseEther("1"), parseEther("2.5")]); // 1, 2
      await request(bob, [parseEther("3")]); // 3
      await finalize(2n, parseEther("0.02")); // rewards
      await request(carol, [parseEther("4"), parseEther("0.75")]); // 4, 5
      await claim(alice, [2n], "one");
      await transfer(alice, dave, 1n);
      await finalize(4n, 0n);
      await request(bob, [parseEther("2")]); // 6
      await finalize(6n, -parseEther("1")); // a loss: batch 5–6 paid by shares × rate
      await request(alice, [parseEther("1.5")]); // 7, after the loss
      await claim(dave, [1n], "to", carol);
      await claim(carol, [5n, 4n], "hints");
      await transfer(bob, carol, 6n);
      await finalize(7n, parseEther("0.02"));
      await claim(carol, [6n], "one");
      await claim(bob, [3n], "to", dave);
      await claim(alice, [7n], "hints");
      expect(steps).to.equal(18);
      expect(await queue.getLastFinalizedRequestId()).to.equal(7n);
      expect((await queue.getWithdrawalStatus([1n, 2n, 3n, 4n, 5n, 6n, 7n])).every((s) => s.isClaimed)).to.equal(true);
      expect(checkpoints.map((c) => c.nominal)).to.deep.equal([true, true, false, true]);
      // Everything claimed: what is left locked is rounding dust of the shares-priced batch, and it is still there.
      expect(await queue.lockedEther()).to.be.oneOf([0n, 1n]);
    });
  });

  // ──────────────────────────────── 7. Instant redemption ────────────────────────────────

  describe("instant redemption next to the queue", function () {
    it("instantLiquidity = buffer − the ETH the unfinalized requests asked for (floor 0), and depositableEther = that − reserve, through requests, rewards and finalization", async function () {
      const f = await loadFixture(deployWithQueue);
      const { pool, queue, staker } = f;
      const [alice, bob] = f.holders;
      const expectViews = async () => {
        const buffered = await pool.bufferedEther();
        const unfinalized = await queue.unfinalizedEther();
        // The most any finalization can lock for them: min(Σ ETH, Σ shares × rate) ≤ Σ ETH.
        const liquidity = buffered > unfinalized ? buffered - unfinalized : 0n;
        const reserve = ceilDiv((await pool.totalPooledEther()) * (await pool.instantLiquidityTargetBP()), TOTAL_BP);
        expect(await pool.instantLiquidity()).to.equal(liquidity);
        expect(await pool.depositableEther()).to.equal(liquidity > reserve ? liquidity - reserve : 0n);
        return { buffered, unfinalized, liquidity, reserve };
      };

      const start = await expectViews();
      expect(start.liquidity).to.equal(start.buffered);
      expect(start.unfinalized).to.equal(0n);

      await f.request(alice, [parseEther("10")]);
      const afterRequest = await expectViews();
      expect(afterRequest.buffered).to.equal(start.buffered); // a request moves no ETH
      expect(afterRequest.liquidity).to.equal(start.liquidity - parseEther("10"));
      expect(await pool.depositableEther()).to.equal(start.buffered - parseEther("10") - afterRequest.reserve);

      await f.request(staker, [parseEther("59")]);
      const nearlyAll = await expectViews();
      expect(nearlyAll.liquidity).to.equal(start.buffered - parseEther("69"));
      expect(nearlyAll.liquidity).to.be.lessThan(nearlyAll.reserve); // nothing depositable
      expect(await pool.depositableEther()).to.equal(0n);

      // More than the instant liquidity, though the buffer alone would cover it.
      const amount = nearlyAll.liquidity + 1n;
      expect(amount).to.be.lessThan(nearlyAll.buffered);
      const before = plain([await protocolState(f), await pool.sharesOf(bob.address)]);
      await expect(pool.previewInstantRedeem(amount))
        .to.be.revertedWithCustomError(pool, "InsufficientInstantLiquidity")
        .withArgs(amount, nearlyAll.liquidity);
      await expect(pool.connect(bob).instantRedeem(amount, 0n, bob.address))
        .to.be.revertedWithCustomError(pool, "InsufficientInstantLiquidity")
        .withArgs(amount, nearlyAll.liquidity);
      expect(plain([await protocolState(f), await pool.sharesOf(bob.address)])).to.deep.equal(before);

      // Finalization at a nominal lock takes as much from the buffer as from the queue's needs.
      await reportTx(f, { lastRequestIdToFinalize: 2n });
      const afterFinalization = await expectViews();
      expect(afterFinalization.buffered).to.equal(start.buffered - parseEther("69"));
      expect(afterFinalization.unfinalized).to.equal(0n);
      expect(afterFinalization.liquidity).to.equal(nearlyAll.liquidity);

      // After rewards, the queue's shares are worth more than the ETH requested, but a request is
      // never paid more than it asked for: the reserve stays the ETH requested.
      await f.request(alice, [parseEther("0.5")]);
      const [, , clBalance] = await pool.getBeaconStat();
      await reportTx(f, { clBalanceGwei: toGwei(clBalance + parseEther("0.02")) });
      const rewarded = await expectViews();
      const { ether, shares } = await poolTotals(f);
      expect(((await pool.sharesOf(f.queueAddress)) * ether) / shares).to.be.greaterThan(rewarded.unfinalized);
      expect(rewarded.liquidity).to.equal(rewarded.buffered - rewarded.unfinalized);

      // Demand beyond the buffer: the liquidity saturates at 0.
      await f.request(staker, [parseEther("30")]);
      const short = await expectViews();
      expect(short.unfinalized).to.be.greaterThan(short.buffered);
      expect(short.liquidity).to.equal(0n);
      await expect(pool.connect(bob).instantRedeem(1n, 0n, bob.address))
        .to.be.revertedWithCustomError(pool, "InsufficientInstantLiquidity")
        .withArgs(1n, 0n);
    });
  });

  // ──────────────────────────────── 8. Exit requests ────────────────────────────────

  describe("exit requests bounded by the queue's demand", function () {
    /** Two more validators deposited: the buffer keeps 10.001 ETH; keys 0–4 of operator 0 are deposited. */
    async function withDrainedBuffer() {
      const f = await loadFixture(deployWithQueue);
      await depositTwoMore(f);
      return f;
    }

    it("with no unfinalized request, any exit request reverts with ExitRequestsExceedDemand(count, 0); a 5 ETH request allows one", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice] = f.holders;
      expect(await f.queue.unfinalizedEther()).to.equal(0n);
      let { submit } = await openReport(f, { exitOperatorIds: [0n], exitKeyIndices: [0n] });
      const before = await protocolState(f);
      await expect(submit()).to.be.revertedWithCustomError(f.oracle, "ExitRequestsExceedDemand").withArgs(1n, 0n);
      expect(await protocolState(f)).to.deep.equal(before);
      await reportTx(f, {}, 0n);

      // The buffer is not subtracted (it moves with every stake after the reference slot): 5 ETH
      // waiting justifies ceil(5 / 32) = 1 exit, even though the buffer could pay it.
      await f.request(alice, [parseEther("5")]);
      expect(await f.queue.unfinalizedEther()).to.be.lessThanOrEqual(await f.pool.bufferedEther());
      ({ submit } = await openReport(f, { exitOperatorIds: [0n, 0n], exitKeyIndices: [0n, 1n] }));
      await expect(submit()).to.be.revertedWithCustomError(f.oracle, "ExitRequestsExceedDemand").withArgs(2n, 1n);
      await reportTx(f, {}, 0n);
      // Finalizing in the same report leaves no demand.
      ({ submit } = await openReport(f, {
        lastRequestIdToFinalize: 1n,
        exitOperatorIds: [0n, 0n],
        exitKeyIndices: [0n, 1n],
      }));
      const beforeFinalizing = await protocolState(f);
      await expect(submit()).to.be.revertedWithCustomError(f.oracle, "ExitRequestsExceedDemand").withArgs(2n, 0n);
      expect(await protocolState(f)).to.deep.equal(beforeFinalizing);
      await reportTx(f, { lastRequestIdToFinalize: 1n }, 0n); // without the exits it applies
      expect(await f.queue.getLastFinalizedRequestId()).to.equal(1n);
    });

    it("a 40 ETH shortfall allows ceil(40 / 32) = 2 exits, which are emitted; 3 revert", async function () {
      const f = await loadFixture(withDrainedBuffer);
      const { pool, queue, oracle, registry } = f;
      const [alice, bob, carol] = f.holders;
      const buffered = await pool.bufferedEther();
      expect(buffered).to.equal(parseEther("10.001"));
      await f.request(carol, [buffered]); // 1: exactly the buffer
      await f.request(alice, [parseEther("20")]); // 2
      await f.request(bob, [parseEther("20")]); // 3
      const ceil32 = (wei: bigint) => ceilDiv(wei, DEPOSIT_SIZE);

      // Without finalization: unfinalized 50.001 − buffer 10.001 = 40 ETH short.
      const shortfall = (await queue.unfinalizedEther()) - buffered;
      expect(shortfall).to.equal(parseEther("40"));
      expect(ceil32(shortfall)).to.equal(2n);
      let open = await openReport(f, { exitOperatorIds: [0n, 0n, 0n], exitKeyIndices: [0n, 1n, 3n] });
      let before = await protocolState(f);
      await expect(open.submit())
        .to.be.revertedWithCustomError(oracle, "ExitRequestsExceedDemand")
        .withArgs(3n, ceil32(shortfall));
      expect(await protocolState(f)).to.deep.equal(before);

      // Finalizing request 1 in the same report: 40 ETH left to pay, nothing left in the buffer — still 2.
      open = await openReport(
        f,
        { lastRequestIdToFinalize: 1n, exitOperatorIds: [0n, 0n, 0n], exitKeyIndices: [0n, 1n, 3n] },
        0n,
      );
      before = await protocolState(f);
      await expect(open.submit()).to.be.revertedWithCustomError(oracle, "ExitRequestsExceedDemand").withArgs(3n, 2n);
      expect(await protocolState(f)).to.deep.equal(before);

      const { tx } = await reportTx(
        f,
        { lastRequestIdToFinalize: 1n, exitOperatorIds: [0n, 0n], exitKeyIndices: [1n, 3n] },
        0n,
      );
      for (const keyIndex of [1n, 3n]) {
        const [pubkey, , deposited] = await registry.getSigningKey(0n, keyIndex);
        expect(deposited).to.equal(true);
        await expect(tx).to.emit(oracle, "ValidatorExitRequested").withArgs(0n, keyIndex, pubkey);
      }
      await expect(tx).to.emit(queue, "WithdrawalsFinalized");
      expect(await pool.bufferedEther()).to.equal(0n);
      expect(await queue.unfinalizedEther()).to.equal(parseEther("40"));
    });
  });
});
