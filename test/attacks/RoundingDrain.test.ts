import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, parseEther, type ContractTransactionResponse } from "ethers";
import { toGwei } from "../helpers/oracle-fixtures";
import { deployWithQueue, type WithdrawalFixture } from "../helpers/withdrawal-fixtures";
import { RAY, allowClDrop, blockTimestamp, clDropBP, reportTx } from "../helpers/withdrawal-report-helpers";
import {
  Ledger,
  ceilDiv,
  expectNoProfit,
  expectTotalsConsistent,
  profitFraction,
  profitWei,
  rateAtLeast,
  rateOf,
  type Rate,
} from "../helpers/attack-ledger";
import type { RoundingAttacker__Mock } from "../../typechain-types";

/**
 * Rounding drains. The attacker repeats the smallest operations hundreds of times — 1-wei transfers,
 * 1-share transfers, wrap/unwrap and ERC-4626 round trips of dust, dust stakes, tiny instant
 * redemptions, 100-wei withdrawal requests — from an attacker contract that loops inside one
 * transaction (RoundingAttacker__Mock) and from its EOAs, at two share rates reached through real
 * oracle reports: ≈1.10 (two years of rewards in one report) and ≈0.76 (after a slashing). Every
 * step is checked against an independent model of the pool's rounding, to the wei; the attacker's
 * exact value (ETH + gas it paid + its shares and wtpETH at the rate) never rises, the holders it
 * did not deal with keep every share, and the totals stay consistent.
 */

const N = 300n;
const HALF = N / 2n;
/** A gas limit for the loops, under the transaction gas cap (EIP-7825): skips gas estimation. */
const LOOP = { gasLimit: 16_000_000n };
/** Requests per transaction (each request is a fresh NFT and two storage words). */
const REQUEST_BATCH = 100;

/** ⌊x·S/P⌋ and ⌈x·S/P⌉: tpETH → shares. */
const sharesDown = (x: bigint, t: Rate): bigint => (x * t.S) / t.P;
const sharesUp = (x: bigint, t: Rate): bigint => ceilDiv(x * t.S, t.P);
/** ⌊s·P/S⌋: shares → tpETH. */
const ethDown = (s: bigint, t: Rate): bigint => (s * t.P) / t.S;

interface AttackFixture extends WithdrawalFixture {
  bot: RoundingAttacker__Mock;
  botAddress: string;
  attacker: WithdrawalFixture["staker"];
  attacker2: WithdrawalFixture["staker"];
  /** The holders the attacker does not deal with (their shares must not move). */
  bystanders: string[];
}

/** The attacker stakes 3 ETH, gives its contract 1 ETH of tpETH and wraps 0.5 ETH. */
async function withAttacker(f: WithdrawalFixture): Promise<AttackFixture> {
  const [attacker, attacker2] = f.users.slice(10, 12);
  const bot = await ethers.deployContract("RoundingAttacker__Mock", [f.poolAddress, f.wrapperAddress], attacker);
  const botAddress = await bot.getAddress();
  await (await f.pool.connect(attacker).stake(ZeroAddress, { value: parseEther("3") })).wait();
  await (await f.pool.connect(attacker).transfer(botAddress, parseEther("1"))).wait();
  await (await f.wrapper.connect(attacker).wrap(parseEther("0.5"))).wait();
  const bystanders = [f.staker.address, ...f.holders.map((h) => h.address), await f.registry.getAddress()];
  return { ...f, bot, botAddress, attacker, attacker2, bystanders };
}

/** Two years in one report: CL +19.12 ETH on 96 ETH (9.96% a year, under the 10% limit). Rate ≈ 1.10. */
async function atRateAboveOne(): Promise<AttackFixture> {
  const f = await loadFixture(deployWithQueue);
  const gain = parseEther("19") + 123_456_789n * 10n ** 9n;
  await reportTx(f, { clBalanceGwei: toGwei(parseEther("96") + gain) }, 730n);
  return withAttacker(f);
}

/** A slashing of 40 ETH (bunker mode), then a normal report with a little CL growth. Rate ≈ 0.76. */
async function atRateBelowOne(): Promise<AttackFixture> {
  const f = await loadFixture(deployWithQueue);
  // A 41.67% drop: the one-off drop limit (5%) holds even in bunker mode, and no slashing is proven
  // on chain here, so governance raises the limit to let this loss in (the subject is the rate).
  await allowClDrop(f.oracle, f.admin, clDropBP(parseEther("40"), parseEther("96")));
  await reportTx(f, { clBalanceGwei: toGwei(parseEther("56")), isBunkerMode: true });
  await reportTx(f, { clBalanceGwei: toGwei(parseEther("56.01") + 987_654n * 10n ** 9n) });
  return withAttacker(f);
}

async function sharesOfAll(f: AttackFixture, accounts: string[]): Promise<bigint[]> {
  return Promise.all(accounts.map((a) => f.pool.sharesOf(a)));
}

const SCENARIOS: { label: string; fixture: () => Promise<AttackFixture>; above: boolean }[] = [
  { label: "at a share rate ≈ 1.10 (after two years of rewards)", fixture: atRateAboveOne, above: true },
  { label: "at a share rate ≈ 0.76 (after a slashing)", fixture: atRateBelowOne, above: false },
];

describe("Attack: rounding drains", function () {
  for (const scenario of SCENARIOS) {
    describe(scenario.label, function () {
      it("the fixture's rate is where rounding bites", async function () {
        const f = await loadFixture(scenario.fixture);
        const t = await rateOf(f);
        expect(t.P > t.S).to.equal(scenario.above);
        expect(t.P % t.S).to.not.equal(0n);
        expect(await f.pool.isBunkerModeActive()).to.equal(false);
        await expectTotalsConsistent(f, [f.botAddress]);
      });

      it(`${N} 1-wei transfers, 1-share transfers and wrap/unwrap round trips, ${HALF} mint/withdraw and deposit/redeem round trips (and 100 1-wei EOA transfers): value only moves between the attacker's accounts, exactly`, async function () {
        const f = await loadFixture(scenario.fixture);
        const { pool, bot, botAddress, attacker, attacker2 } = f;
        const ledger = await Ledger.open(f, [attacker.address, attacker2.address, botAddress]);
        const before = await ledger.valuation();
        const bystanders = await sharesOfAll(f, f.bystanders);
        const t = await rateOf(f);
        const botShares = await pool.sharesOf(botAddress);

        // Each loop runs N times (the ERC-4626 round trips, two calls each, N/2 times) in chunks of N/2 (one transaction each, under the transaction gas cap).
        const looped = async (
          op: string,
          call: (count: bigint) => Promise<ContractTransactionResponse>,
          eachReturns: bigint,
          times = N,
        ): Promise<void> => {
          for (let done = 0n; done < times; done += HALF) {
            await expect(call(HALF))
              .to.emit(bot, "Looped")
              .withArgs(op, HALF, HALF * eachReturns);
          }
        };

        // 1-wei transfers move ⌈S/P⌉ shares each: the recipient gets ≥ 1 wei, the sender pays it.
        const perWei = sharesUp(1n, t);
        await looped("transfer", (n) => bot.transferMany(attacker2.address, 1n, n, LOOP), 1n);
        expect(await pool.sharesOf(botAddress)).to.equal(botShares - N * perWei);
        expect(await pool.sharesOf(attacker2.address)).to.equal(N * perWei);
        expect(await pool.balanceOf(attacker2.address)).to.be.greaterThanOrEqual(N);

        // 1-share transfers are exact; each reports its value rounded down.
        await looped("transferShares", (n) => bot.transferSharesMany(attacker2.address, 1n, n, LOOP), ethDown(1n, t));

        // The smallest wrap that mints a share, wrapped and unwrapped N times: exactly as many shares.
        const wrapAmount = ceilDiv(t.P, t.S);
        expect(sharesDown(wrapAmount, t)).to.equal(1n);
        if (wrapAmount > 1n) {
          await expect(bot.wrapUnwrapMany(1n, 1n, LOOP))
            .to.be.revertedWithCustomError(f.wrapper, "ZeroShares")
            .withArgs();
        }
        await looped("wrapUnwrap", (n) => bot.wrapUnwrapMany(wrapAmount, n, LOOP), 1n);

        // mint(3 shares) then withdraw(previewRedeem(3)), which burns ⌈⌊3·P/S⌋·S/P⌉ ≤ 3 shares.
        const burned = sharesUp(ethDown(3n, t), t);
        expect(burned <= 3n).to.equal(true);
        await looped("mintWithdraw", (n) => bot.mintWithdrawMany(3n, n, LOOP), burned, HALF);
        expect(await f.wrapper.balanceOf(botAddress)).to.equal(HALF * (3n - burned));

        // deposit(2 × the smallest wrap) then redeem what it minted.
        const minted = sharesDown(2n * wrapAmount, t);
        await looped("depositRedeem", (n) => bot.depositRedeemMany(2n * wrapAmount, n, LOOP), ethDown(minted, t), HALF);

        // And from an EOA, one transaction each: 100 transfers of 1 wei.
        const a2 = await pool.sharesOf(attacker2.address);
        for (let i = 0; i < 100; i++) {
          await ledger.send(pool.connect(attacker2).transfer(attacker.address, 1n, { gasLimit: 100_000n }));
        }
        expect(await pool.sharesOf(attacker2.address)).to.equal(a2 - 100n * perWei);

        // Nothing was created or destroyed: same shares, same rate, bystanders untouched, profit exactly 0.
        const after = await ledger.valuation();
        expect(after.shares).to.equal(before.shares);
        expect(await rateOf(f)).to.deep.equal(t);
        expect(profitFraction(before, after).num).to.equal(0n);
        expectNoProfit(before, after);
        expect(await sharesOfAll(f, f.bystanders)).to.deep.equal(bystanders);
        await expectTotalsConsistent(f, [botAddress]);
      });

      it(`${N} dust stakes: each mints ⌊x·S/P⌋ shares, the attacker loses the rounding and the holders keep it`, async function () {
        const f = await loadFixture(scenario.fixture);
        const { pool, bot, botAddress, attacker, staker } = f;
        const ledger = await Ledger.open(f, [attacker.address, botAddress]);
        const before = await ledger.valuation();
        const bystanders = await sharesOfAll(f, f.bystanders);
        const t0 = await rateOf(f);
        const stakerValue0 = ethDown(await pool.sharesOf(staker.address), t0);

        // Above a rate of 1, 1 wei cannot mint a share: the stake reverts (and the whole loop with it).
        if (scenario.above) {
          await expect(bot.stakeMany(1n, N, { value: N }))
            .to.be.revertedWithCustomError(pool, "StakeTooSmall")
            .withArgs(1n);
        }

        const model = { ...t0 };
        for (const amount of [ceilDiv(t0.P, t0.S), 10n ** 9n + 3n]) {
          let minted = 0n;
          for (let i = 0n; i < HALF; i++) {
            const s = sharesDown(amount, model);
            expect(s > 0n).to.equal(true);
            minted += s;
            model.S += s;
            model.P += amount;
          }
          await expect(bot.stakeMany(amount, HALF, { value: amount * HALF, ...LOOP }))
            .to.emit(bot, "Looped")
            .withArgs("stake", HALF, minted);
          expect(await rateOf(f)).to.deep.equal(model);
        }

        // The rate only rose; every holder kept its shares and gained the attacker's rounding.
        expect(rateAtLeast(model, t0)).to.equal(true);
        expect(model.P * t0.S > t0.P * model.S).to.equal(true);
        expect(await sharesOfAll(f, f.bystanders)).to.deep.equal(bystanders);
        expect(await pool.balanceOf(staker.address)).to.be.greaterThanOrEqual(stakerValue0);

        const after = await ledger.valuation();
        expectNoProfit(before, after);
        expect(profitWei(before, after) < 0n).to.equal(true);
        await expectTotalsConsistent(f, [botAddress]);
      });

      it(`${N} tiny instant redemptions (1 wei and 1,000 wei): fee and burned shares rounded up, the attacker only loses`, async function () {
        const f = await loadFixture(scenario.fixture);
        const { pool, bot, botAddress, attacker, queueAddress } = f;
        const ledger = await Ledger.open(f, [attacker.address, botAddress]);
        const before = await ledger.valuation();
        const bystanders = await sharesOfAll(f, f.bystanders);
        const t0 = await rateOf(f);
        const [minBP, maxBP] = await pool.getInstantRedeemParams();
        const queued = await pool.sharesOf(queueAddress);

        const model = { ...t0 };
        let buffer = await pool.bufferedEther();
        let botEth = await ethers.provider.getBalance(botAddress);
        for (const amount of [1n, 1000n]) {
          let paid = 0n;
          for (let i = 0n; i < HALF; i++) {
            const liquidity = buffer - ceilDiv(queued * model.P, model.S);
            const fee = ceilDiv(amount * (minBP * liquidity + (maxBP - minBP) * amount), 10_000n * liquidity);
            const ethOut = amount - fee;
            paid += ethOut;
            model.S -= sharesUp(amount, model);
            model.P -= ethOut;
            buffer -= ethOut;
          }
          expect(await pool.instantLiquidity()).to.be.greaterThan(amount * HALF);
          await expect(bot.instantRedeemMany(amount, HALF, LOOP))
            .to.emit(bot, "Looped")
            .withArgs("instantRedeem", HALF, paid);
          if (amount === 1n) expect(paid).to.equal(0n); // a 1-wei redemption pays its whole self as fee
          botEth += paid;
          expect(await rateOf(f)).to.deep.equal(model);
          expect(await pool.bufferedEther()).to.equal(buffer);
          expect(await ethers.provider.getBalance(botAddress)).to.equal(botEth);
        }

        expect(model.P * t0.S > t0.P * model.S).to.equal(true); // the rate rose
        expect(await sharesOfAll(f, f.bystanders)).to.deep.equal(bystanders);
        const after = await ledger.valuation();
        expectNoProfit(before, after);
        expect(profitWei(before, after) < 0n).to.equal(true);
        await expectTotalsConsistent(f, [botAddress]);
      });

      it(`${N} withdrawal requests of 100 wei (tpETH and wtpETH), finalized and claimed: each paid at most its ETH and its shares' worth; the queue stays solvent`, async function () {
        const f = await loadFixture(scenario.fixture);
        const { pool, wrapper, queue, queueAddress, attacker } = f;
        const ledger = await Ledger.open(f, [attacker.address]);
        const before = await ledger.valuation();
        const bystanders = await sharesOfAll(f, f.bystanders);
        const t = await rateOf(f);
        const MIN = await queue.MIN_WITHDRAWAL_AMOUNT();
        expect(MIN).to.equal(100n);

        // 99 wei is refused.
        await ledger.send(pool.connect(attacker).approve(queueAddress, MIN * 2n * BigInt(REQUEST_BATCH)));
        await expect(queue.connect(attacker).requestWithdrawals([MIN - 1n], ZeroAddress))
          .to.be.revertedWithCustomError(queue, "RequestAmountTooSmall")
          .withArgs(MIN - 1n, MIN);

        // 200 tpETH requests of 100 wei: ⌈100·S/P⌉ shares each; 100 wtpETH requests of the fewest
        // shares worth 100 wei.
        const tpShares = sharesUp(MIN, t);
        const wShares = sharesUp(MIN, t);
        const wEth = ethDown(wShares, t);
        expect(wEth >= MIN).to.equal(true);
        const ids: bigint[] = [];
        for (let b = 0; b < 2; b++) {
          const amounts = Array<bigint>(REQUEST_BATCH).fill(MIN);
          ids.push(...(await queue.connect(attacker).requestWithdrawals.staticCall(amounts, ZeroAddress)));
          await ledger.send(queue.connect(attacker).requestWithdrawals(amounts, ZeroAddress, LOOP));
        }
        const wAmounts = Array<bigint>(REQUEST_BATCH).fill(wShares);
        await ledger.send(wrapper.connect(attacker).approve(queueAddress, 100n * wShares));
        ids.push(...(await queue.connect(attacker).requestWithdrawalsWrapped.staticCall(wAmounts, ZeroAddress)));
        await ledger.send(queue.connect(attacker).requestWithdrawalsWrapped(wAmounts, ZeroAddress, LOOP));
        expect(ids.length).to.equal(Number(N));
        const statuses = await queue.getWithdrawalStatus(ids);
        for (const [i, s] of statuses.entries()) {
          const wrapped = i >= 2 * REQUEST_BATCH;
          expect([s.amountOfEther, s.amountOfShares]).to.deep.equal(wrapped ? [wEth, wShares] : [MIN, tpShares]);
        }
        expect(await pool.sharesOf(queueAddress)).to.equal(200n * tpShares + 100n * wShares);
        expect(await rateOf(f)).to.deep.equal(t); // requests move shares, not the rate

        // A report with no rewards finalizes all 300 at the unchanged rate.
        const nominal = 200n * MIN + 100n * wEth;
        const sharesToBurn = 200n * tpShares + 100n * wShares;
        const rateRay = (t.P * RAY) / t.S;
        const byShares = (s: bigint): bigint => (s * rateRay) / RAY;
        const lock = nominal < byShares(sharesToBurn) ? nominal : byShares(sharesToBurn);
        const { tx, receipt } = await reportTx(f, { lastRequestIdToFinalize: ids[ids.length - 1] });
        await expect(tx)
          .to.emit(queue, "WithdrawalsFinalized")
          .withArgs(ids[0], ids[ids.length - 1], lock, sharesToBurn, await blockTimestamp(receipt.blockNumber));

        // Each claim: min(its ETH, ⌊its shares × rate⌋) — never above 100 wei (or its wtpETH's worth).
        const payTp = MIN < byShares(tpShares) ? MIN : byShares(tpShares);
        const payW = wEth < byShares(wShares) ? wEth : byShares(wShares);
        const claimable = await queue.getClaimableEther(ids, Array<bigint>(ids.length).fill(1n));
        expect(claimable).to.deep.equal(ids.map((_, i) => (i >= 2 * REQUEST_BATCH ? payW : payTp)));
        const paid = 200n * payTp + 100n * payW;
        expect(paid <= lock).to.equal(true);

        const eth = await ethers.provider.getBalance(attacker.address);
        let gas = 0n;
        for (let b = 0; b < ids.length; b += REQUEST_BATCH) {
          const batch = ids.slice(b, b + REQUEST_BATCH);
          const r = await (
            await queue.connect(attacker).claimWithdrawals(batch, Array(batch.length).fill(1n), LOOP)
          ).wait();
          gas += r!.fee;
        }
        expect(await ethers.provider.getBalance(attacker.address)).to.equal(eth + paid - gas);
        // The queue keeps exactly the lock less what it paid and returned: ≥ 0, backed by ETH.
        expect(await queue.lockedEther()).to.be.lessThanOrEqual(lock - paid);
        expect(await ethers.provider.getBalance(queueAddress)).to.equal(await queue.lockedEther());
        expect(await pool.sharesOf(queueAddress)).to.equal(0n);

        expect(await sharesOfAll(f, f.bystanders)).to.deep.equal(bystanders);
        expect(rateAtLeast(await rateOf(f), t)).to.equal(true);
        const after = await ledger.valuation();
        expectNoProfit(before, after);
        expect(profitWei(before, after) < 0n).to.equal(true);
        expect(await wrapper.balanceOf(attacker.address)).to.be.greaterThan(0n);
        await expectTotalsConsistent(f, [f.botAddress]);
      });

      it(`a spender pulling 1 wei ${N} times on a ${N}-wei allowance moves ⌈S/P⌉ shares a call — under one share more than asked per call, far below the gas — and nothing beyond the allowance`, async function () {
        const f = await loadFixture(scenario.fixture);
        const { pool, bot, botAddress, attacker, attacker2 } = f;
        const [victim] = f.holders;
        const others = f.bystanders.filter((a) => a !== victim.address);
        const othersBefore = await sharesOfAll(f, others);
        await (await pool.connect(victim).approve(botAddress, N)).wait();
        const ledger = await Ledger.open(f, [attacker.address, attacker2.address, botAddress]);
        const before = await ledger.valuation();
        const t = await rateOf(f);
        const victimShares = await pool.sharesOf(victim.address);

        await expect(bot.connect(attacker).transferFromMany(victim.address, attacker2.address, 1n, N, LOOP))
          .to.emit(bot, "Looped")
          .withArgs("transferFrom", N, N);
        const perCall = sharesUp(1n, t);
        expect(await pool.allowance(victim.address, botAddress)).to.equal(0n);
        await expect(bot.connect(attacker).transferFromMany(victim.address, attacker2.address, 1n, 1n))
          .to.be.revertedWithCustomError(pool, "ERC20InsufficientAllowance")
          .withArgs(botAddress, 0n, 1n);
        expect(await pool.sharesOf(victim.address)).to.equal(victimShares - N * perCall);
        expect(await pool.sharesOf(attacker2.address)).to.equal(N * perCall);

        // Per call, the victim paid ⌈S/P⌉ shares for 1 wei: worth less than 1 wei plus one share.
        expect(perCall * t.P < t.S + t.P).to.equal(true);
        expect(await rateOf(f)).to.deep.equal(t);
        expect(await sharesOfAll(f, others)).to.deep.equal(othersBefore);

        // What the attacker received beyond the allowance, exactly: N·⌈S/P⌉·P/S − N (< N shares' worth),
        // against the gas of N calls (accounted explicitly here): the drain never pays.
        const after = await ledger.valuation();
        const { num, den } = profitFraction(before, after);
        expect(num).to.equal(N * perCall * t.P * t.S);
        expect(den).to.equal(t.S * t.S);
        const excessNum = N * perCall * t.P - N * t.S; // × 1/S: value received − allowance
        expect(excessNum < N * t.P).to.equal(true);
        const gas = await ledger.gasPaid();
        expect(gas > 0n).to.equal(true);
        // Profit net of the allowance and of gas: (excess − gas) ≤ 0.
        expect(excessNum - gas * t.S <= 0n).to.equal(true);
        const withoutGas = { ...after, eth: after.eth - gas - N };
        expectNoProfit(before, withoutGas, "attacker (net of the allowance and gas)");
        await expectTotalsConsistent(f, [botAddress]);
      });
    });
  }
});
