/**
 * Bookkeeping for the attack suite (test/attacks): what accounts hold, what it is worth and the gas
 * they paid, so that each attack can assert the attacker's profit (≤ 0, gas left out) and the
 * victims' holdings (to the wei); and a check that the protocol's totals still add up after it.
 *
 * One `Ledger`, opened before an attack over the accounts it watches, gives two measures:
 * - per account, what it holds (`Holdings`: ETH, pool shares, wtpETH, unclaimed requests) and the
 *   change in what that is worth as the protocol would pay it, each term rounded down (`profit`);
 * - over a set of accounts, their value as an exact fraction (`valuation`, `profitFraction`,
 *   `expectNoProfit`): ETH plus shares at the pool's rate P / S, never through rounded balances, for
 *   the attacks that play on rounding.
 * Gas is read from every block mined since the ledger was opened (reverted transactions are mined on
 * Hardhat and pay gas too) and added back to ETH, so that profits are measured without it.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import type { TransactionResponse } from "ethers";
import type { TidepoolFixture } from "./fixtures";
import { ceilDiv } from "./withdrawal-report-helpers";
import { DEPOSIT_SIZE } from "./validators-fixtures";
import { checkpointHints } from "../../sdk/src/withdrawals";

export { ceilDiv, DEPOSIT_SIZE };

/** The bootstrap holder (StakingPool.BOOTSTRAP_SHARES_HOLDER). */
export const DEAD = "0x000000000000000000000000000000000000dEaD";

/** Requests per view call when valuing an account's requests. */
const CHUNK = 500;

/** Everything of value an account can hold in Tidepool, in raw units. */
export interface Holdings {
  /** ETH, in wei. */
  eth: bigint;
  /** tpETH pool shares. */
  shares: bigint;
  /** wtpETH (one wtpETH is one pool share). */
  wrapped: bigint;
  /** The ETH its unclaimed withdrawal requests are worth (claimable, or min(requested, shares × rate)). */
  requests: bigint;
}

/** The pool's rate as a pair: totalPooledEther and totalShares. */
export interface Rate {
  P: bigint;
  S: bigint;
}

/** What a set of accounts holds at one moment, with the pool's rate at that moment, for exact values. */
export interface Valuation extends Rate {
  /** ETH balances, the ETH their unclaimed requests are worth, plus the gas the ledger has seen them pay. */
  eth: bigint;
  /** Pool shares held directly plus wtpETH held (one wtpETH = one pool share). */
  shares: bigint;
}

/** The account's holdings now. */
export async function holdingsOf(f: TidepoolFixture, account: string): Promise<Holdings> {
  return {
    eth: await ethers.provider.getBalance(account),
    shares: await f.pool.sharesOf(account),
    wrapped: await f.wrapper.balanceOf(account),
    requests: await requestsWorth(f, account),
  };
}

/**
 * What the account's unclaimed requests are worth: finalized ones what a claim pays now, pending
 * ones min(requested ETH, their shares at the current rate) — the most finalization could pay.
 */
export async function requestsWorth(f: TidepoolFixture, account: string): Promise<bigint> {
  const queue = f.withdrawalQueue;
  if ((await queue.balanceOf(account)) === 0n) return 0n;
  const ids = [...(await queue.getWithdrawalRequests(account))];
  const { P, S } = await rateOf(f);
  let worth = 0n;
  // In chunks: a view call over thousands of requests would exceed the call gas limit.
  for (let from = 0; from < ids.length; from += CHUNK) {
    const chunk = ids.slice(from, from + CHUNK);
    const statuses = await queue.getWithdrawalStatus(chunk);
    const finalized: bigint[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const s = statuses[i];
      if (s.isFinalized) {
        finalized.push(chunk[i]);
      } else {
        const byShares = (s.amountOfShares * P) / S; // the pool's getPooledEthByShares
        worth += byShares < s.amountOfEther ? byShares : s.amountOfEther;
      }
    }
    if (finalized.length > 0) {
      const hints = await checkpointHints(queue, finalized);
      for (const claimable of await queue.getClaimableEther(finalized, hints)) worth += claimable;
    }
  }
  return worth;
}

/** ETH value of holdings at the pool's current share rate (each term rounded down, as the pool pays). */
export async function worthOf(f: TidepoolFixture, h: Holdings): Promise<bigint> {
  return (
    h.eth + (await f.pool.getPooledEthByShares(h.shares)) + (await f.pool.getPooledEthByShares(h.wrapped)) + h.requests
  );
}

/** The ETH `accounts` paid for gas in blocks `fromBlock + 1 … latest` (reverted transactions included). */
export async function gasPaidSince(accounts: readonly string[], fromBlock: number): Promise<bigint> {
  const who = new Set(accounts.map((a) => a.toLowerCase()));
  const latest = await ethers.provider.getBlockNumber();
  let paid = 0n;
  for (let n = fromBlock + 1; n <= latest; n++) {
    const block = await ethers.provider.getBlock(n, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (!who.has(tx.from.toLowerCase())) continue;
      const receipt = await ethers.provider.getTransactionReceipt(tx.hash);
      if (receipt) paid += receipt.fee;
    }
  }
  return paid;
}

/** The exact value of `v` minus its rounding: eth + ⌊shares × P / S⌋ (for messages and bounds). */
export function valueDown(v: Valuation): bigint {
  return v.eth + (v.shares * v.P) / v.S;
}

/**
 * The exact profit `after − before` as a fraction `num / den` (den > 0): ETH difference plus
 * shares × P / S after, minus the same before.
 */
export function profitFraction(before: Valuation, after: Valuation): { num: bigint; den: bigint } {
  const den = before.S * after.S;
  const num = (after.eth - before.eth) * den + after.shares * after.P * before.S - before.shares * before.P * after.S;
  return { num, den };
}

/** The exact profit rounded towards minus infinity, in wei. */
export function profitWei(before: Valuation, after: Valuation): bigint {
  const { num, den } = profitFraction(before, after);
  return num >= 0n ? num / den : -ceilDiv(-num, den);
}

/** Asserts that `after` is worth at most `before`, exactly (no rounding in the comparison). */
export function expectNoProfit(before: Valuation, after: Valuation, what = "attacker"): void {
  const { num } = profitFraction(before, after);
  expect(num <= 0n, `${what} profit ${profitWei(before, after)} wei must be ≤ 0`).to.equal(true);
}

/**
 * A ledger opened before an attack over the accounts it watches (an attacker's EOAs and contracts,
 * victims): their holdings and worth then, and the gas their EOAs paid since.
 */
export class Ledger {
  private constructor(
    private readonly f: TidepoolFixture,
    /** The accounts watched, as given to `open`. */
    readonly accounts: readonly string[],
    private readonly block: number,
    private readonly before: Map<string, { holdings: Holdings; worth: bigint }>,
  ) {}

  /** Records the holdings and worth of `accounts` now; gas is counted from the next block on. */
  static async open(f: TidepoolFixture, accounts: string[]): Promise<Ledger> {
    const block = await ethers.provider.getBlockNumber();
    const before = new Map<string, { holdings: Holdings; worth: bigint }>();
    for (const a of accounts) {
      const holdings = await holdingsOf(f, a);
      before.set(a.toLowerCase(), { holdings, worth: await worthOf(f, holdings) });
    }
    return new Ledger(f, [...accounts], block, before);
  }

  /** Sends a transaction and waits for it to be mined (a convenience: gas is found in the blocks). */
  async send<T extends TransactionResponse>(promise: Promise<T>): Promise<T> {
    const tx = await promise;
    await tx.wait();
    return tx;
  }

  private entry(account: string): { holdings: Holdings; worth: bigint } {
    const e = this.before.get(account.toLowerCase());
    if (!e) throw new Error(`${account} is not on the ledger`);
    return e;
  }

  /** The gas `accounts` (by default every account on the ledger) paid since it was opened, in wei. */
  gasPaid(...accounts: string[]): Promise<bigint> {
    const who = accounts.length > 0 ? accounts : this.accounts;
    for (const a of who) this.entry(a);
    return gasPaidSince(who, this.block);
  }

  /** The account's holdings when the ledger was opened. */
  holdingsBefore(account: string): Holdings {
    return this.entry(account).holdings;
  }

  /** The account's holdings now, with the gas it paid since the ledger was opened added back to its ETH. */
  async holdingsGasBack(account: string): Promise<Holdings> {
    const h = await holdingsOf(this.f, account);
    return { ...h, eth: h.eth + (await this.gasPaid(account)) };
  }

  /**
   * Worth now + gas paid since − worth then, summed over `accounts` (one attacker may use several),
   * each holding valued as the protocol pays it (rounded down).
   */
  async profit(...accounts: string[]): Promise<bigint> {
    let total = 0n;
    for (const a of accounts) {
      const now = await worthOf(this.f, await holdingsOf(this.f, a));
      total += now + (await this.gasPaid(a)) - this.entry(a).worth;
    }
    return total;
  }

  /**
   * The exact value of `accounts` (by default every account on the ledger) now: their ETH, requests
   * and gas paid since the ledger was opened, their shares and wtpETH, and the pool's rate.
   */
  async valuation(...accounts: string[]): Promise<Valuation> {
    const who = accounts.length > 0 ? accounts : this.accounts;
    let eth = await this.gasPaid(...who);
    let shares = 0n;
    for (const a of who) {
      const h = await holdingsOf(this.f, a);
      eth += h.eth + h.requests;
      shares += h.shares + h.wrapped;
    }
    return { eth, shares, ...(await rateOf(this.f)) };
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

/** The pool's rate now. */
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
