import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { toGwei } from "../helpers/oracle-fixtures";
import { deployWithQueue, type WithdrawalFixture } from "../helpers/withdrawal-fixtures";
import {
  TOTAL_BP,
  allowClDrop,
  blockTimestamp,
  ceilDiv,
  feeSharesOf,
  lastClWei,
  lockOf,
  openReport,
  payoutOf,
  poolTotals,
  protocolState,
  rateRayOf,
  reportTx,
  valueAt,
  sent,
} from "../helpers/withdrawal-report-helpers";

// ──────────────────────────────── Local helpers ────────────────────────────────

const REQUESTED = parseEther("10");

/** Claims `requestId` (its only checkpoint so far is the last one) and returns the ETH the owner received. */
async function claimedEth(f: WithdrawalFixture, owner: HardhatEthersSigner, requestId: bigint): Promise<bigint> {
  const before = await ethers.provider.getBalance(owner.address);
  const { gas } = await sent(f.queue.connect(owner).claimWithdrawal(requestId));
  return (await ethers.provider.getBalance(owner.address)) - before + gas;
}

/** Moves the CL balance by `delta` wei from the last report. */
async function clMovedBy(f: WithdrawalFixture, delta: bigint): Promise<bigint> {
  return toGwei((await lastClWei(f)) + delta);
}

/**
 * Alice (holders[0]) requests 10 ETH at 1 share = 1 wei: exactly 10e18 shares, worth exactly 10 ETH
 * when made. Bob (holders[1]) keeps his 20 ETH staked.
 */
async function withTenEthRequest() {
  const f = await loadFixture(deployWithQueue);
  const [alice, bob] = f.holders;
  const t0 = await poolTotals(f);
  await f.request(alice, [REQUESTED]);
  const shares = ceilDiv(REQUESTED * t0.shares, t0.ether);
  return { f, alice, bob, t0, shares };
}

describe("WithdrawalQueue fairness", function () {
  it("a request earns nothing after it is made: it pays its nominal ETH and the rewards go to those who stayed", async function () {
    const { f, alice, bob, t0, shares: q } = await loadFixture(withTenEthRequest);
    const { pool, queue, oracle } = f;
    const [status] = await queue.getWithdrawalStatus([1n]);
    expect([status.amountOfEther, status.amountOfShares]).to.deep.equal([REQUESTED, q]);
    expect(q * t0.ether).to.equal(REQUESTED * t0.shares); // worth exactly 10 ETH when made
    const b = await pool.sharesOf(bob.address);
    const bobBefore = await pool.balanceOf(bob.address);
    expect(bobBefore).to.equal((b * t0.ether) / t0.shares);

    // +0.05 ETH on the CL over two frames (~9.5% APR on 96 ETH, within the 10% limit).
    const rewards = parseEther("0.05");
    const fees = await oracle.getFeeConfig();
    const p1 = t0.ether + rewards;
    const m = feeSharesOf(rewards, fees, t0.shares, p1);
    const s1 = t0.shares + m;
    await reportTx(f, { clBalanceGwei: await clMovedBy(f, rewards) }, 2n);
    expect(await poolTotals(f)).to.deep.equal({ ether: p1, shares: s1 });
    const rate1 = rateRayOf(p1, s1);
    expect(valueAt(q, rate1)).to.be.greaterThan(REQUESTED); // its shares now carry rewards…

    // …which finalization does not pay: min(10 ETH, shares × rate) = 10 ETH.
    const { tx, receipt } = await reportTx(f, { lastRequestIdToFinalize: 1n });
    expect(lockOf(REQUESTED, q, rate1)).to.equal(REQUESTED);
    await expect(tx)
      .to.emit(queue, "WithdrawalsFinalized")
      .withArgs(1n, 1n, REQUESTED, q, await blockTimestamp(receipt.blockNumber));
    const p2 = p1 - REQUESTED;
    const s2 = s1 - q;
    expect(await poolTotals(f)).to.deep.equal({ ether: p2, shares: s2 });
    expect(await claimedEth(f, alice, 1n)).to.equal(REQUESTED);
    expect(await poolTotals(f)).to.deep.equal({ ether: p2, shares: s2 });

    // Everyone who stayed (holders and fee recipients) was worth P0 − 10 ETH and is now worth P0 − 10 ETH + rewards.
    expect(p2 - (t0.ether - REQUESTED)).to.equal(rewards);
    // The fee was charged once, on the rewards: the fee shares were worth it (to rounding) when minted.
    const feeWei = [fees.treasuryFeeBP, fees.operatorsFeeBP, fees.insuranceFeeBP].reduce(
      (a, bp) => a + (rewards * bp) / TOTAL_BP,
      0n,
    );
    expect(feeWei).to.equal((rewards * 1000n) / TOTAL_BP);
    expect((m * p1) / s1).to.be.closeTo(feeWei, 3n);
    // The share rate rose once with the rewards, and again when the request left without its part of them.
    expect(p1 * t0.shares).to.be.greaterThan(t0.ether * s1);
    expect(p2 * s1).to.be.greaterThan(p1 * s2);

    // Bob gets his pro-rata part of what holders (everyone but the queue and the fee shares) gained:
    // rewards − the fee shares' value now, over the S0 − q shares that were there and stayed.
    const bobAfter = await pool.balanceOf(bob.address);
    expect(bobAfter).to.equal((b * p2) / s2);
    const holdersGainNumerator = rewards * s2 - m * p2; // (rewards − m × P2 / S2) × S2
    const expectedBobGain = (b * holdersGainNumerator) / ((t0.shares - q) * s2);
    expect(bobAfter - bobBefore).to.be.closeTo(expectedBobGain, 1n); // bobAfter is rounded down
    // Had the request kept earning, Bob's part would have been smaller: b × (rewards − fee) / S0 < his gain.
    expect(bobAfter - bobBefore).to.be.greaterThan((b * (rewards - feeWei)) / t0.shares);
  });

  it("a request made before a loss bears it: paid shares × the report's rate, the same percentage as a holder who stayed", async function () {
    const { f, alice, bob, t0, shares: q } = await loadFixture(withTenEthRequest);
    const { pool, queue, oracle } = f;
    const bobBefore = await pool.balanceOf(bob.address);
    expect(bobBefore).to.equal(2n * REQUESTED); // 20 ETH, twice the request

    // −2 ETH on the CL (2.1%, within the 5% limit). No insurance shares yet: all of it is socialised.
    const loss = parseEther("2");
    const { tx: lossTx } = await reportTx(f, { clBalanceGwei: await clMovedBy(f, -loss) });
    await expect(lossTx).to.emit(oracle, "LossSocialized").withArgs(loss);
    const after = await poolTotals(f); // the report applied, nothing finalized
    expect(after).to.deep.equal({ ether: t0.ether - loss, shares: t0.shares });
    const rateRay = rateRayOf(after.ether, after.shares);

    const { tx, receipt } = await reportTx(f, { lastRequestIdToFinalize: 1n });
    const payout = payoutOf(REQUESTED, q, rateRay);
    expect(payout).to.equal(valueAt(q, rateRay));
    expect(payout).to.be.lessThan(REQUESTED);
    await expect(tx)
      .to.emit(queue, "WithdrawalsFinalized")
      .withArgs(1n, 1n, payout, q, await blockTimestamp(receipt.blockNumber));
    expect(await queue.getClaimableEther([1n], [1n])).to.deep.equal([payout]);
    expect(await claimedEth(f, alice, 1n)).to.equal(payout);

    // Same percentage: Bob holds twice Alice's request, so he loses twice her loss. Tolerance 2 wei:
    // her payout is rounded down (< 1 wei, doubled by the factor 2, and the wei it keeps stays in the
    // pool for Bob too), and his balance is rounded down (< 1 wei).
    const aliceLoss = REQUESTED - payout;
    const bobLoss = bobBefore - (await pool.balanceOf(bob.address));
    expect(bobLoss).to.be.closeTo((aliceLoss * bobBefore) / REQUESTED, 2n);
    // Both lost loss / P0 of their value (to rounding).
    expect(aliceLoss).to.be.closeTo((REQUESTED * loss) / t0.ether, 1n);
  });

  it("slashing: a bunker-mode report cannot finalize; a later report realising the rest does, and leavers and stayers lose alike", async function () {
    const { f, alice, bob, t0, shares: q } = await loadFixture(withTenEthRequest);
    const { pool, queue, oracle } = f;
    const bobBefore = await pool.balanceOf(bob.address);
    const preCl = await lastClWei(f);

    // −8 ETH (8.3%): beyond the 5% one-off limit, with or without bunker mode declared…
    const slashed = parseEther("8");
    const dropBP = ceilDiv(slashed * TOTAL_BP, preCl);
    let open = await openReport(f, { clBalanceGwei: toGwei(preCl - slashed) });
    const before = await protocolState(f);
    await expect(open.submit())
      .to.be.revertedWithCustomError(oracle, "ClBalanceDropLimitExceeded")
      .withArgs(dropBP, 500n);
    open = await openReport(f, { clBalanceGwei: toGwei(preCl - slashed), isBunkerMode: true }, 0n);
    await expect(open.submit())
      .to.be.revertedWithCustomError(oracle, "ClBalanceDropLimitExceeded")
      .withArgs(dropBP, 500n);
    // …so, with no slashing proven on chain here, governance raises the limit; the drop is then
    // legal, and a bunker-mode report still cannot finalize.
    await allowClDrop(oracle, f.admin, dropBP);
    open = await openReport(
      f,
      { clBalanceGwei: toGwei(preCl - slashed), isBunkerMode: true, lastRequestIdToFinalize: 1n },
      0n,
    );
    await expect(open.submit()).to.be.revertedWithCustomError(oracle, "FinalizationInBunkerMode").withArgs(1n);
    expect(await protocolState(f)).to.deep.equal(before);

    await reportTx(f, { clBalanceGwei: toGwei(preCl - slashed), isBunkerMode: true }, 0n);
    expect(await oracle.isBunkerModeActive()).to.equal(true);
    expect(await pool.isBunkerModeActive()).to.equal(true);
    expect(await poolTotals(f)).to.deep.equal({ ether: t0.ether - slashed, shares: t0.shares });
    expect(await queue.getLastFinalizedRequestId()).to.equal(0n);
    const rateInBunker = rateRayOf(t0.ether - slashed, t0.shares);

    // The rest of the loss (−2 ETH, 2.3%) is realised by a normal report, which finalizes.
    const rest = parseEther("2");
    const { tx, receipt } = await reportTx(f, {
      clBalanceGwei: toGwei(preCl - slashed - rest),
      lastRequestIdToFinalize: 1n,
    });
    expect(await oracle.isBunkerModeActive()).to.equal(false);
    const rateRay = rateRayOf(t0.ether - slashed - rest, t0.shares);
    const payout = payoutOf(REQUESTED, q, rateRay);
    await expect(tx)
      .to.emit(queue, "WithdrawalsFinalized")
      .withArgs(1n, 1n, payout, q, await blockTimestamp(receipt.blockNumber));
    // Finalized at the bunker report's rate, Alice would have left the last 2 ETH of the loss to Bob.
    expect(payout).to.be.lessThan(valueAt(q, rateInBunker));
    expect(await claimedEth(f, alice, 1n)).to.equal(payout);

    // Same percentage (tolerance 2 wei, as for any loss: two roundings down, one doubled).
    const aliceLoss = REQUESTED - payout;
    const bobLoss = bobBefore - (await pool.balanceOf(bob.address));
    expect(bobLoss).to.be.closeTo((aliceLoss * bobBefore) / REQUESTED, 2n);
    expect(aliceLoss).to.be.closeTo((REQUESTED * (slashed + rest)) / t0.ether, 1n);
  });

  it("a request before a loss and one after it, finalized together: each paid min(requested, shares × rate), the excess lock returned at claim", async function () {
    const { f, alice, bob, t0, shares: qA } = await loadFixture(withTenEthRequest);
    const { pool, queue, oracle, queueAddress } = f;
    const [, , carol] = f.holders;

    const loss = parseEther("2");
    await reportTx(f, { clBalanceGwei: await clMovedBy(f, -loss) });
    const t1 = await poolTotals(f);
    expect(t1).to.deep.equal({ ether: t0.ether - loss, shares: t0.shares });
    await f.request(bob, [REQUESTED]); // 2: after the loss, more shares for the same 10 ETH
    const qB = ceilDiv(REQUESTED * t1.shares, t1.ether);
    expect((await queue.getWithdrawalStatus([2n]))[0].amountOfShares).to.equal(qB);

    // One report with rewards (+0.02 ETH, ~7.8% APR) finalizes both.
    const rewards = parseEther("0.02");
    const rateEther = t1.ether + rewards;
    const rateShares = t1.shares + feeSharesOf(rewards, await oracle.getFeeConfig(), t1.shares, rateEther);
    const rateRay = rateRayOf(rateEther, rateShares);
    const lock = lockOf(2n * REQUESTED, qA + qB, rateRay);
    expect(lock).to.equal(valueAt(qA + qB, rateRay)); // priced by shares: less than 20 ETH
    expect(lock).to.be.lessThan(2n * REQUESTED);
    const { tx, receipt } = await reportTx(f, {
      clBalanceGwei: await clMovedBy(f, rewards),
      lastRequestIdToFinalize: 2n,
    });
    await expect(tx)
      .to.emit(queue, "WithdrawalsFinalized")
      .withArgs(1n, 2n, lock, qA + qB, await blockTimestamp(receipt.blockNumber));
    expect(await poolTotals(f)).to.deep.equal({ ether: rateEther - lock, shares: rateShares - qA - qB });

    const payoutA = payoutOf(REQUESTED, qA, rateRay);
    const payoutB = payoutOf(REQUESTED, qB, rateRay);
    expect(payoutA).to.equal(valueAt(qA, rateRay)); // bears the loss
    expect(payoutA).to.be.lessThan(REQUESTED);
    expect(payoutB).to.equal(REQUESTED); // made after it: nominal
    const excessB = valueAt(qB, rateRay) - REQUESTED; // locked for B (its shares × rate) but not owed
    expect(excessB).to.be.greaterThan(0n);
    // Solvent: the lock covers every payout and every excess.
    expect(lock - (payoutA + payoutB + excessB)).to.be.oneOf([0n, 1n]);
    expect(await queue.getClaimableEther([1n, 2n], [1n, 1n])).to.deep.equal([payoutA, payoutB]);

    // Alice's claim: her lock is exactly her payout; nothing to return.
    let totals = await poolTotals(f);
    let locked = await queue.lockedEther();
    const aliceEth = await ethers.provider.getBalance(alice.address);
    let claim = await sent(queue.connect(alice).claimWithdrawal(1n));
    await expect(claim.tx).to.emit(queue, "WithdrawalClaimed").withArgs(1n, alice.address, alice.address, payoutA);
    await expect(claim.tx).not.to.emit(queue, "ExcessReturnedToPool");
    expect(await ethers.provider.getBalance(alice.address)).to.equal(aliceEth + payoutA - claim.gas);
    expect(await poolTotals(f)).to.deep.equal(totals);
    expect(await queue.lockedEther()).to.equal(locked - payoutA);
    expect(await ethers.provider.getBalance(queueAddress)).to.equal(locked - payoutA);

    // Bob's claim, to a contract wallet: 10 ETH to it, the excess back to the pool, for everyone who
    // stayed — before the wallet's code runs, so its `receive` already sees the excess in the pool.
    totals = await poolTotals(f);
    locked = await queue.lockedEther();
    const buffered = await pool.bufferedEther();
    const carolBefore = await pool.balanceOf(carol.address);
    const wallet = await ethers.deployContract("AttackWallet__Mock", [bob.address]);
    const walletAddress = await wallet.getAddress();
    await wallet.setHook(
      await pool.getAddress(),
      pool.interface.encodeFunctionData("totalPooledEther"),
      0n,
      true,
      false,
    );
    claim = await sent(queue.connect(bob).claimWithdrawalsTo([2n], [1n], walletAddress));
    await expect(claim.tx).to.emit(queue, "WithdrawalClaimed").withArgs(2n, bob.address, walletAddress, REQUESTED);
    await expect(claim.tx).to.emit(queue, "ExcessReturnedToPool").withArgs(2n, excessB);
    expect(await ethers.provider.getBalance(walletAddress)).to.equal(REQUESTED);
    const [seenInReceive] = pool.interface.decodeFunctionResult("totalPooledEther", await wallet.lastHookReturnData());
    expect(seenInReceive).to.equal(totals.ether + excessB);
    expect(await poolTotals(f)).to.deep.equal({ ether: totals.ether + excessB, shares: totals.shares });
    expect(await pool.bufferedEther()).to.equal(buffered + excessB);
    expect(await pool.balanceOf(carol.address)).to.be.greaterThan(carolBefore);
    expect(await queue.lockedEther()).to.equal(locked - REQUESTED - excessB);
    expect(await ethers.provider.getBalance(queueAddress)).to.equal(locked - REQUESTED - excessB);
    // Everything claimed: at most the batch's rounding dust is left, still backed by ETH.
    expect(await queue.lockedEther()).to.equal(lock - payoutA - payoutB - excessB);
    expect(await ethers.provider.getBalance(queueAddress)).to.equal(await queue.lockedEther());
  });
});
