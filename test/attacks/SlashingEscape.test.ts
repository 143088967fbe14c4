import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, parseEther } from "ethers";
import { toGwei } from "../helpers/oracle-fixtures";
import { deployWithQueue, type WithdrawalFixture } from "../helpers/withdrawal-fixtures";
import {
  RAY,
  allowClDrop,
  blockTimestamp,
  clDropBP,
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
  type Rate,
} from "../helpers/attack-ledger";

/**
 * Escaping a slashing. Holders who know that validators were slashed try to leave before the loss
 * reaches them: by queueing before the report that declares it (or while bunker mode lasts), by
 * passing the request's NFT on, through wtpETH, by asking for finalization in a bunker-mode report,
 * or by redeeming instantly in bunker mode. Requests made before or during the loss are paid
 * min(requested, shares × the realising report's rate); bunker-mode reports cannot finalize; instant
 * redemption is off in bunker mode. Leavers and stayers lose the same percentage (to the rounding of
 * one payout and one balance), checked against the reports' arithmetic to the wei.
 */

const CAPABILITY_INSTANT_REDEEM = 2;

/** ⌊shares × P / S⌋ */
const worth = (shares: bigint, t: Rate): bigint => (shares * t.P) / t.S;
/** A request's payout at a finalization rate: min(ETH, ⌊shares × ⌊P·1e27/S⌋ / 1e27⌋). */
function payoutAt(eth: bigint, shares: bigint, t: Rate): bigint {
  const byShares = (shares * ((t.P * RAY) / t.S)) / RAY;
  return eth < byShares ? eth : byShares;
}

/**
 * Two losses are the same percentage of their bases, to `tolWei` wei of rounding on either side:
 * |lossA / baseA − lossB / baseB| ≤ tolWei / min(baseA, baseB).
 */
function expectSamePercentage(lossA: bigint, baseA: bigint, lossB: bigint, baseB: bigint, tolWei = 2n): void {
  const diff = lossA * baseB - lossB * baseA;
  const abs = diff < 0n ? -diff : diff;
  const bound = tolWei * (baseA > baseB ? baseA : baseB);
  expect(abs <= bound, `loss ${lossA}/${baseA} vs ${lossB}/${baseB}`).to.equal(true);
  expect(lossA > 0n && lossB > 0n).to.equal(true);
}

/** {deployWithQueue}, plus a wtpETH holder who stays (users[13], 10 ETH wrapped). */
async function withWrappedStayer(): Promise<WithdrawalFixture> {
  const f = await loadFixture(deployWithQueue);
  const holder = f.users[13];
  await (await f.pool.connect(holder).stake(ZeroAddress, { value: parseEther("10") })).wait();
  await (await f.wrapper.connect(holder).wrap(parseEther("10"))).wait();
  return f;
}

async function requestAs(
  f: WithdrawalFixture,
  ledger: Ledger,
  holder: WithdrawalFixture["staker"],
  amount: bigint,
): Promise<bigint> {
  await ledger.send(f.pool.connect(holder).approve(f.queueAddress, amount));
  const [id] = await f.queue.connect(holder).requestWithdrawals.staticCall([amount], ZeroAddress);
  await ledger.send(f.queue.connect(holder).requestWithdrawals([amount], ZeroAddress));
  return id;
}

describe("Attack: escaping a slashing", function () {
  it("requests made before the slashing, in its report's frame (wtpETH) and during bunker mode, one NFT passed on: no bunker report can finalize them; the realising report pays all at the lower rate and leavers lose what stayers lose", async function () {
    const f = await loadFixture(withWrappedStayer);
    const { pool, wrapper, queue, oracle, staker } = f;
    const [alice, bob, carol] = f.holders; // carol stays (tpETH)
    const [alice2, erin] = [f.users[12], f.users[13]]; // erin stays (wtpETH)
    const aliceBooks = await Ledger.open(f, [alice.address, alice2.address]);
    const bobBooks = await Ledger.open(f, [bob.address]);
    const daveBooks = await Ledger.open(f, [staker.address]);
    const [aliceBefore, bobBefore] = [await aliceBooks.valuation(), await bobBooks.valuation()];
    const t0 = await rateOf(f);
    const carolShares = await pool.sharesOf(carol.address);
    const erinW = await wrapper.balanceOf(erin.address);
    const cl = await lastClWei(f);

    // 1. Alice queues 10 ETH well before the slashing is reported.
    const tenEth = parseEther("10");
    const idA = await requestAs(f, aliceBooks, alice, tenEth);
    const qA = ceilDiv(tenEth * t0.S, t0.P);

    // 2. −8 ETH (8.3% of the CL) is on its way; in that report's frame, before the deciding vote,
    // Bob wraps 10 ETH and queues the wtpETH.
    const slashed = parseEther("8");
    // The one-off drop limit (5%) holds even in bunker mode and no slashing is proven on chain here:
    // governance raises it, so the report is legal and only bunker mode keeps it from finalizing.
    await allowClDrop(oracle, f.admin, clDropBP(slashed, cl));
    const bunker1 = { clBalanceGwei: toGwei(cl - slashed), isBunkerMode: true };
    await openReport(f, bunker1);
    await bobBooks.send(wrapper.connect(bob).wrap(tenEth));
    const w = await wrapper.balanceOf(bob.address);
    await bobBooks.send(wrapper.connect(bob).approve(f.queueAddress, w));
    const [idB] = await queue.connect(bob).requestWithdrawalsWrapped.staticCall([w], ZeroAddress);
    await bobBooks.send(queue.connect(bob).requestWithdrawalsWrapped([w], ZeroAddress));
    const ethB = worth(w, t0);

    // 3. A colluding quorum asks the bunker report to finalize Alice's request: refused, nothing moves.
    const state = await protocolState(f);
    const withFinalization = await openReport(f, { ...bunker1, lastRequestIdToFinalize: idA }, 0n);
    await expect(withFinalization.submit())
      .to.be.revertedWithCustomError(oracle, "FinalizationInBunkerMode")
      .withArgs(idA);
    expect(await protocolState(f)).to.deep.equal(state);
    await (await (await openReport(f, bunker1, 0n)).submit()).wait();
    const t1 = { P: t0.P - slashed, S: t0.S };
    expect(await rateOf(f)).to.deep.equal(t1);
    expect(await pool.isBunkerModeActive()).to.equal(true);

    // 4. Alice passes her NFT to another account of hers; Dave (the 100 ETH staker) queues in bunker mode.
    await aliceBooks.send(queue.connect(alice).transferFrom(alice.address, alice2.address, idA));
    const daveBefore = await daveBooks.valuation();
    const idD = await requestAs(f, daveBooks, staker, tenEth);
    const qD = ceilDiv(tenEth * t1.S, t1.P);

    // 5. The next report is still in bunker mode (−2 ETH more): it cannot finalize either.
    const more = parseEther("2");
    const bunker2 = { clBalanceGwei: toGwei(cl - slashed - more), isBunkerMode: true };
    const stuck = await openReport(f, { ...bunker2, lastRequestIdToFinalize: idD });
    const stateInBunker = await protocolState(f);
    await expect(stuck.submit()).to.be.revertedWithCustomError(oracle, "FinalizationInBunkerMode").withArgs(idD);
    expect(await protocolState(f)).to.deep.equal(stateInBunker);
    await (await (await openReport(f, bunker2, 0n)).submit()).wait();
    const t2 = { P: t1.P - more, S: t1.S };
    expect(await rateOf(f)).to.deep.equal(t2);
    expect(await queue.getLastFinalizedRequestId()).to.equal(0n);

    // 6. The loss is realised (nothing more): a normal report finalizes all three at the lower rate.
    const payA = payoutAt(tenEth, qA, t2);
    const payB = payoutAt(ethB, w, t2);
    const payD = payoutAt(tenEth, qD, t2);
    expect([payA < tenEth, payB < ethB, payD < tenEth]).to.deep.equal([true, true, true]);
    const lock = payoutAt(2n * tenEth + ethB, qA + w + qD, t2);
    const { tx, receipt } = await reportTx(f, { clBalanceGwei: bunker2.clBalanceGwei, lastRequestIdToFinalize: idD });
    await expect(tx)
      .to.emit(queue, "WithdrawalsFinalized")
      .withArgs(idA, idD, lock, qA + w + qD, await blockTimestamp(receipt.blockNumber));
    expect(await queue.getClaimableEther([idA, idB, idD], [1n, 1n, 1n])).to.deep.equal([payA, payB, payD]);

    // Alice's old account cannot claim; her new one can.
    await expect(queue.connect(alice).claimWithdrawal(idA))
      .to.be.revertedWithCustomError(queue, "NotRequestOwner")
      .withArgs(idA, alice.address, alice2.address);
    await aliceBooks.send(queue.connect(alice2).claimWithdrawal(idA));
    await bobBooks.send(queue.connect(bob).claimWithdrawal(idB));
    await daveBooks.send(queue.connect(staker).claimWithdrawal(idD));
    const t3 = { P: t2.P - lock, S: t2.S - qA - w - qD };
    expect(await rateOf(f)).to.deep.equal(t3);

    // Every leaver lost money, and the same percentage as the stayers, from when it was exposed.
    const [aliceAfter, bobAfter, daveAfter] = [
      await aliceBooks.valuation(),
      await bobBooks.valuation(),
      await daveBooks.valuation(),
    ];
    expectNoProfit(aliceBefore, aliceAfter, "alice");
    expectNoProfit(bobBefore, bobAfter, "bob");
    expectNoProfit(daveBefore, daveAfter, "dave");
    expect(aliceAfter.eth - aliceBefore.eth).to.equal(payA);
    expect(bobAfter.eth - bobBefore.eth).to.equal(payB);

    const carolStart = worth(carolShares, t0);
    const carolEnd = await pool.balanceOf(carol.address);
    expect(carolEnd).to.equal(worth(carolShares, t3));
    const erinStart = worth(erinW, t0);
    const erinEnd = await wrapper.previewRedeem(erinW);
    expect(erinEnd).to.equal(worth(erinW, t3));
    // Alice and Bob were exposed to the whole loss (8 + 2 ETH), like Carol and Erin.
    expectSamePercentage(tenEth - payA, tenEth, carolStart - carolEnd, carolStart);
    expectSamePercentage(ethB - payB, ethB, carolStart - carolEnd, carolStart);
    expectSamePercentage(erinStart - erinEnd, erinStart, carolStart - carolEnd, carolStart);
    // Dave queued in bunker mode, after the first 8 ETH: he bears the 2 ETH that came after, like Carol.
    const carolInBunker = worth(carolShares, t1);
    expectSamePercentage(tenEth - payD, tenEth, carolInBunker - carolEnd, carolInBunker);
    // Alice's remaining tpETH lost the same as her request.
    expect(await pool.balanceOf(alice.address)).to.equal(worth(await pool.sharesOf(alice.address), t3));
    await expectTotalsConsistent(f);
  });

  it("instant redemption in bunker mode is off for every amount and recipient, and resuming the capability does not turn it on; once the loss is realised a redemption is priced at the lower rate", async function () {
    const f = await loadFixture(deployWithQueue);
    const { pool, staker } = f;
    const [attacker, stayer] = f.holders;
    const ledger = await Ledger.open(f, [attacker.address]);
    const before = await ledger.valuation();
    const h = await pool.sharesOf(stayer.address);
    const t0 = await rateOf(f);
    const cl = await lastClWei(f);
    const slashed = parseEther("8");

    // 8.3% is above the one-off drop limit (5%), which bunker mode no longer lifts; with no slashing
    // proven on chain here, governance raises it.
    await allowClDrop(f.oracle, f.admin, clDropBP(slashed, cl));
    await reportTx(f, { clBalanceGwei: toGwei(cl - slashed), isBunkerMode: true });
    const t1 = { P: t0.P - slashed, S: t0.S };
    expect(await rateOf(f)).to.deep.equal(t1);

    const frozen = await ledger.valuation();
    for (const [amount, recipient] of [
      [1n, attacker.address],
      [parseEther("1"), attacker.address],
      [parseEther("1"), staker.address],
      [await pool.balanceOf(attacker.address), attacker.address],
    ] as [bigint, string][]) {
      await expect(pool.connect(attacker).instantRedeem(amount, 0n, recipient))
        .to.be.revertedWithCustomError(pool, "InstantRedeemBunkerMode")
        .withArgs();
    }
    // Pausing and resuming the capability does not lift bunker mode.
    await (await pool.connect(f.pauser).pause(CAPABILITY_INSTANT_REDEEM)).wait();
    await expect(pool.connect(attacker).instantRedeem(1n, 0n, attacker.address))
      .to.be.revertedWithCustomError(pool, "InstantRedeemPaused")
      .withArgs();
    await (await pool.connect(f.admin).resume(CAPABILITY_INSTANT_REDEEM)).wait();
    await expect(pool.connect(attacker).instantRedeem(1n, 0n, attacker.address))
      .to.be.revertedWithCustomError(pool, "InstantRedeemBunkerMode")
      .withArgs();
    // Nothing moved but gas (added back by the ledger): same shares, same ETH, same rate.
    expect(await ledger.valuation()).to.deep.equal(frozen);
    expect(await rateOf(f)).to.deep.equal(t1);

    // The next report (no more loss, bunker mode over) turns it back on, at the realised rate.
    await reportTx(f, { clBalanceGwei: toGwei(cl - slashed) });
    expect(await pool.isBunkerModeActive()).to.equal(false);
    const [minBP, maxBP, , remaining] = await pool.getInstantRedeemParams();
    const amount = remaining < parseEther("1") ? remaining : parseEther("1");
    const [ethOut, fee] = instantRedeemOf(amount, await pool.instantLiquidity(), minBP, maxBP);
    const burned = ceilDiv(amount * t1.S, t1.P);
    await expect(ledger.send(pool.connect(attacker).instantRedeem(amount, 0n, attacker.address)))
      .to.emit(pool, "InstantRedeemed")
      .withArgs(attacker.address, attacker.address, amount, burned, ethOut, fee);
    const t2 = { P: t1.P - ethOut, S: t1.S - burned };
    expect(await rateOf(f)).to.deep.equal(t2);

    // The attacker lost the slashing on everything and a fee on what left; the stayer the slashing.
    const after = await ledger.valuation();
    expectNoProfit(before, after);
    // Same shares at the start (20 ETH each): the attacker ends with ethOut + (h − burned) shares, the
    // stayer with h shares, at the same rate — the attacker is worse off by the fee (less the part of
    // it that its remaining shares got back): ethOut ≤ burned × P2 / S2.
    expect(await pool.sharesOf(attacker.address)).to.equal(h - burned);
    expect(ethOut * t2.S <= burned * t2.P).to.equal(true);
    expect(profitFraction(before, after)).to.deep.equal({
      num: ethOut * t0.S * t2.S + (h - burned) * t2.P * t0.S - h * t0.P * t2.S,
      den: t0.S * t2.S,
    });
    expect(profitWei(before, after)).to.be.lessThan(-(worth(h, t0) - worth(h, t1)));
    expect(await pool.balanceOf(stayer.address)).to.equal(worth(h, t2));
    await expectTotalsConsistent(f);
  });

  it("the tranches cover first (slashed operator's bond, then the insurance fund): a request made before the loss bears only the socialised rest, exactly like a stayer", async function () {
    const f = await loadFixture(deployWithQueue);
    const { pool, queue, oracle, registry, insuranceFund, operatorId } = f;
    const [attacker, stayer] = f.holders;
    const fund = await insuranceFund.getAddress();
    const registryAddress = await registry.getAddress();
    // Governance tops the insurance fund up with 1 ETH of tpETH.
    await (await pool.connect(f.admin).stake(ZeroAddress, { value: parseEther("1") })).wait();
    await (await pool.connect(f.admin).transfer(fund, parseEther("1"))).wait();

    const ledger = await Ledger.open(f, [attacker.address]);
    const before = await ledger.valuation();
    const t0 = await rateOf(f);
    const h = await pool.sharesOf(stayer.address);
    const requested = parseEther("10");
    const id = await requestAs(f, ledger, attacker, requested);
    const q = ceilDiv(requested * t0.S, t0.P);

    // −8 ETH on the CL; 5 ETH attributed to operator 0 (its 6 ETH bond covers it), the insurance
    // fund's 1 ETH next, 2 ETH socialised.
    const cl = await lastClWei(f);
    const slashed = parseEther("8");
    const opLoss = parseEther("5");
    const bondShares = ceilDiv(opLoss * t0.S, t0.P);
    const fundShares = await pool.sharesOf(fund);
    const fundWei = worth(fundShares, t0);
    const registrySharesBefore = await pool.sharesOf(registryAddress);
    // 8.3% is above the one-off drop limit (5%), which bunker mode no longer lifts; with no slashing
    // proven on chain here, governance raises it.
    await allowClDrop(oracle, f.admin, clDropBP(slashed, cl));
    const { tx } = await reportTx(f, {
      clBalanceGwei: toGwei(cl - slashed),
      isBunkerMode: true,
      operatorIdsWithLosses: [operatorId],
      operatorLossesGwei: [toGwei(opLoss)],
    });
    await expect(tx).to.emit(oracle, "OperatorLossCovered").withArgs(operatorId, opLoss, opLoss, bondShares);
    await expect(tx).to.emit(oracle, "InsuranceLossCovered").withArgs(fundWei, fundShares);
    await expect(tx)
      .to.emit(oracle, "LossSocialized")
      .withArgs(slashed - opLoss - fundWei);
    const t1 = { P: t0.P - slashed, S: t0.S - bondShares - fundShares };
    expect(await rateOf(f)).to.deep.equal(t1);
    expect(await pool.sharesOf(registryAddress)).to.equal(registrySharesBefore - bondShares);
    expect(await pool.sharesOf(fund)).to.equal(0n);

    // Realised: finalized at the lower rate.
    const pay = payoutAt(requested, q, t1);
    await reportTx(f, { clBalanceGwei: toGwei(cl - slashed), lastRequestIdToFinalize: id });
    await ledger.send(queue.connect(attacker).claimWithdrawal(id));
    const t2 = { P: t1.P - pay, S: t1.S - q };
    expect(await rateOf(f)).to.deep.equal(t2);

    const after = await ledger.valuation();
    expectNoProfit(before, after);
    expect(after.eth - before.eth).to.equal(pay);
    // The socialised part, as a share of everyone's value: (slashed − covered) / (P0 − covered).
    const stayerStart = worth(h, t0);
    const stayerEnd = await pool.balanceOf(stayer.address);
    expect(stayerEnd).to.equal(worth(h, t2));
    expectSamePercentage(requested - pay, requested, stayerStart - stayerEnd, stayerStart);
    const socialised = slashed - opLoss - fundWei;
    expect(requested - pay).to.be.closeTo((requested * socialised) / (t0.P - opLoss - fundWei), 2n);
    await expectTotalsConsistent(f);
  });

  it("without bunker mode (a loss within the drop limit) the report that states the loss may finalize the requests made before it — at the post-loss rate", async function () {
    const f = await loadFixture(deployWithQueue);
    const { pool, queue } = f;
    const [attacker, stayer] = f.holders;
    const ledger = await Ledger.open(f, [attacker.address]);
    const before = await ledger.valuation();
    const t0 = await rateOf(f);
    const h = await pool.sharesOf(stayer.address);
    const requested = await pool.balanceOf(attacker.address); // everything
    const id = await requestAs(f, ledger, attacker, requested);
    const q = ceilDiv(requested * t0.S, t0.P);

    // −4 ETH (4.2%): under the 5% drop limit, so no bunker mode — and the same report finalizes.
    const cl = await lastClWei(f);
    const loss = parseEther("4");
    const t1 = { P: t0.P - loss, S: t0.S };
    const pay = payoutAt(requested, q, t1);
    const { tx, receipt } = await reportTx(f, { clBalanceGwei: toGwei(cl - loss), lastRequestIdToFinalize: id });
    await expect(tx)
      .to.emit(queue, "WithdrawalsFinalized")
      .withArgs(id, id, pay, q, await blockTimestamp(receipt.blockNumber));
    await ledger.send(queue.connect(attacker).claimWithdrawal(id));
    const t2 = { P: t1.P - pay, S: t1.S - q };
    expect(await rateOf(f)).to.deep.equal(t2);

    const after = await ledger.valuation();
    expectNoProfit(before, after);
    expect(after.eth - before.eth).to.equal(pay);
    const stayerStart = worth(h, t0);
    const stayerEnd = await pool.balanceOf(stayer.address);
    expect(stayerEnd).to.equal(worth(h, t2));
    expectSamePercentage(requested - pay, requested, stayerStart - stayerEnd, stayerStart);
    expect(await ethers.provider.getBalance(f.queueAddress)).to.equal(await queue.lockedEther());
    await expectTotalsConsistent(f);
  });
});
