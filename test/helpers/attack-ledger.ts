/**
 * Helpers for the attack suite (test/attacks): an attacker's books kept to the wei, and a check that
 * the protocol's totals still add up after an attack.
 *
 * An attacker's value is ETH (plus the gas it paid, so that gas is accounted explicitly and left out
 * of the profit) plus the pool shares it holds directly or as wtpETH (one wtpETH is one pool share),
 * valued at the pool's rate P / S. Profit is compared exactly, as a fraction, never through
 * rounded-down balances.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import type { TransactionResponse } from "ethers";
import type { TidepoolFixture } from "./fixtures";

/** The bootstrap holder (StakingPool.BOOTSTRAP_SHARES_HOLDER). */
export const DEAD = "0x000000000000000000000000000000000000dEaD";
/** ETH per validator. */
export const DEPOSIT_SIZE = 32n * 10n ** 18n;

/** ceil(a / b) for positive b. */
export const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/** What a set of accounts holds at one moment, with the pool's rate at that moment. */
export interface Holdings {
  /** ETH balances plus the gas the ledger has seen them pay. */
  eth: bigint;
  /** Pool shares held directly plus wtpETH held (one wtpETH = one pool share). */
  shares: bigint;
  /** The pool's totalPooledEther and totalShares. */
  P: bigint;
  S: bigint;
}

/** The exact value of `h` minus its rounding: eth + ⌊shares × P / S⌋ (for messages and bounds). */
export function valueDown(h: Holdings): bigint {
  return h.eth + (h.shares * h.P) / h.S;
}

/**
 * The exact profit `after − before` as a fraction `num / den` (den > 0): ETH difference plus
 * shares × P / S after, minus the same before.
 */
export function profitFraction(before: Holdings, after: Holdings): { num: bigint; den: bigint } {
  const den = before.S * after.S;
  const num = (after.eth - before.eth) * den + after.shares * after.P * before.S - before.shares * before.P * after.S;
  return { num, den };
}

/** The exact profit rounded towards minus infinity, in wei. */
export function profitWei(before: Holdings, after: Holdings): bigint {
  const { num, den } = profitFraction(before, after);
  return num >= 0n ? num / den : -ceilDiv(-num, den);
}

/** Asserts that `after` is worth at most `before`, exactly (no rounding in the comparison). */
export function expectNoProfit(before: Holdings, after: Holdings, what = "attacker"): void {
  const { num } = profitFraction(before, after);
  expect(num <= 0n, `${what} profit ${profitWei(before, after)} wei must be ≤ 0`).to.equal(true);
}

/**
 * A set of accounts (an attacker's EOAs and contracts, or a victim's) and the gas their EOAs paid
 * since the ledger was opened. Gas is read from every block mined since then (reverted transactions
 * are mined on Hardhat and pay gas too) and added back to `eth`, so profits are measured without it.
 */
export class Ledger {
  private constructor(
    private readonly f: TidepoolFixture,
    readonly accounts: string[],
    private readonly fromBlock: number,
  ) {}

  /** Opens a ledger: gas is counted from the next block on. */
  static async open(f: TidepoolFixture, accounts: string[]): Promise<Ledger> {
    return new Ledger(f, accounts, (await ethers.provider.getBlockNumber()) + 1);
  }

  /** Sends a transaction and waits for it to be mined (a convenience: gas is found in the blocks). */
  async send<T extends TransactionResponse>(promise: Promise<T>): Promise<T> {
    const tx = await promise;
    await tx.wait();
    return tx;
  }

  /** The gas the accounts paid since the ledger was opened, in wei. */
  async gasPaid(): Promise<bigint> {
    const mine = new Set(this.accounts.map((a) => a.toLowerCase()));
    const last = await ethers.provider.getBlockNumber();
    let gas = 0n;
    for (let n = this.fromBlock; n <= last; n++) {
      const block = await ethers.provider.getBlock(n, true);
      for (const tx of block?.prefetchedTransactions ?? []) {
        if (!mine.has(tx.from.toLowerCase())) continue;
        const receipt = await ethers.provider.getTransactionReceipt(tx.hash);
        gas += receipt!.fee;
      }
    }
    return gas;
  }

  async holdings(): Promise<Holdings> {
    const { pool, wrapper } = this.f;
    let eth = await this.gasPaid();
    let shares = 0n;
    for (const a of this.accounts) {
      eth += await ethers.provider.getBalance(a);
      shares += (await pool.sharesOf(a)) + (await wrapper.balanceOf(a));
    }
    return { eth, shares, P: await pool.totalPooledEther(), S: await pool.totalShares() };
  }
}

/**
 * Every address that can hold pool shares in these tests: the bootstrap holder, every signer, the
 * protocol's contracts and any extra ones (attacker contracts).
 */
export async function shareHolders(f: TidepoolFixture, extra: string[] = []): Promise<string[]> {
  const signers = await ethers.getSigners();
  return [
    DEAD,
    ...signers.map((s) => s.address),
    f.wrapperAddress,
    await f.registry.getAddress(),
    await f.insuranceFund.getAddress(),
    await f.withdrawalQueue.getAddress(),
    ...extra,
  ];
}

/**
 * The totals add up: Σ shares of every holder = totalShares; wtpETH supply = the wrapper's pool
 * shares = Σ wtpETH balances; totalPooledEther = buffer + CL balance + deposits not yet visible,
 * the pool holds at least its buffer; the queue holds exactly its locked ETH.
 */
export async function expectTotalsConsistent(f: TidepoolFixture, extra: string[] = []): Promise<void> {
  const { pool, wrapper, withdrawalQueue } = f;
  const holders = await shareHolders(f, extra);
  let shares = 0n;
  let wrapped = 0n;
  for (const h of holders) {
    shares += await pool.sharesOf(h);
    wrapped += await wrapper.balanceOf(h);
  }
  expect(shares, "Σ sharesOf = totalShares").to.equal(await pool.totalShares());
  expect(await wrapper.totalSupply(), "wtpETH supply = the wrapper's shares").to.equal(
    await pool.sharesOf(f.wrapperAddress),
  );
  expect(wrapped, "Σ wtpETH balances = supply").to.equal(await wrapper.totalSupply());
  const [deposited, clValidators, clBalance] = await pool.getBeaconStat();
  const buffered = await pool.bufferedEther();
  expect(await pool.totalPooledEther(), "P = buffer + CL + in transit").to.equal(
    buffered + clBalance + (deposited - clValidators) * DEPOSIT_SIZE,
  );
  expect(await ethers.provider.getBalance(f.poolAddress)).to.be.greaterThanOrEqual(buffered);
  expect(await ethers.provider.getBalance(await withdrawalQueue.getAddress()), "queue ETH = locked").to.equal(
    await withdrawalQueue.lockedEther(),
  );
}

/** The pool's rate as a pair, and whether one rate is at least another (exactly). */
export interface Rate {
  P: bigint;
  S: bigint;
}

export async function rateOf(f: TidepoolFixture): Promise<Rate> {
  return { P: await f.pool.totalPooledEther(), S: await f.pool.totalShares() };
}

/** a ≥ b as rates P / S. */
export function rateAtLeast(a: Rate, b: Rate): boolean {
  return a.P * b.S >= b.P * a.S;
}

/**
 * The instant-redemption fee (StakingPool._previewInstantRedeem): linear in the share of the
 * liquidity consumed, rounded up. Returns [ethOut, fee].
 */
export function instantRedeemOf(amount: bigint, liquidity: bigint, minBP: bigint, maxBP: bigint): [bigint, bigint] {
  // The frame's first redemption, against the liquidity before it in whole gwei (StakingPool rounds it down).
  const start = (liquidity / 1_000_000_000n) * 1_000_000_000n;
  const fee = ceilDiv(amount * (minBP * start + (maxBP - minBP) * amount), 10_000n * start);
  return [amount - fee, fee];
}
