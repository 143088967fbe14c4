/**
 * Bookkeeping for the attack suite (test/attacks): what an account holds, what it is worth, and
 * the gas it paid, so that each attack can assert the attacker's profit (≤ 0) and the victims'
 * holdings (to the wei).
 */
import { ethers } from "hardhat";
import type { TidepoolFixture } from "./fixtures";

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
  const [pooled, shares] = [await f.pool.totalPooledEther(), await f.pool.totalShares()];
  const lastCheckpoint = await queue.getLastCheckpointIndex();
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
        const byShares = (s.amountOfShares * pooled) / shares; // the pool's getPooledEthByShares
        worth += byShares < s.amountOfEther ? byShares : s.amountOfEther;
      }
    }
    if (finalized.length > 0) {
      const hints = await queue.findCheckpointHints(finalized, 1n, lastCheckpoint);
      for (const claimable of await queue.getClaimableEther(finalized, [...hints])) worth += claimable;
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

/** The ETH `account` paid for gas in blocks `fromBlock + 1 … latest` (reverted transactions included). */
export async function gasPaidSince(account: string, fromBlock: number): Promise<bigint> {
  const latest = await ethers.provider.getBlockNumber();
  const who = account.toLowerCase();
  let paid = 0n;
  for (let n = fromBlock + 1; n <= latest; n++) {
    const block = await ethers.provider.getBlock(n, true);
    for (const tx of block?.prefetchedTransactions ?? []) {
      if (tx.from.toLowerCase() !== who) continue;
      const receipt = await ethers.provider.getTransactionReceipt(tx.hash);
      if (receipt) paid += receipt.fee;
    }
  }
  return paid;
}

/**
 * A ledger opened before an attack: `profit` is the change in an account's worth since then with
 * the gas it paid added back (gas excluded), `holdings` the account's holdings then.
 */
export class Ledger {
  private constructor(
    private readonly f: TidepoolFixture,
    private readonly block: number,
    private readonly before: Map<string, { holdings: Holdings; worth: bigint }>,
  ) {}

  /** Records the holdings and worth of `accounts` now. */
  static async open(f: TidepoolFixture, accounts: string[]): Promise<Ledger> {
    const block = await ethers.provider.getBlockNumber();
    const before = new Map<string, { holdings: Holdings; worth: bigint }>();
    for (const a of accounts) {
      const holdings = await holdingsOf(f, a);
      before.set(a.toLowerCase(), { holdings, worth: await worthOf(f, holdings) });
    }
    return new Ledger(f, block, before);
  }

  private entry(account: string): { holdings: Holdings; worth: bigint } {
    const e = this.before.get(account.toLowerCase());
    if (!e) throw new Error(`${account} is not on the ledger`);
    return e;
  }

  /** The account's holdings when the ledger was opened. */
  holdingsBefore(account: string): Holdings {
    return this.entry(account).holdings;
  }

  /** The gas `account` paid since the ledger was opened, in wei. */
  gas(account: string): Promise<bigint> {
    return gasPaidSince(account, this.block);
  }

  /** Worth now + gas paid since − worth then, summed over `accounts` (one attacker may use several). */
  async profit(...accounts: string[]): Promise<bigint> {
    let total = 0n;
    for (const a of accounts) {
      const now = await worthOf(this.f, await holdingsOf(this.f, a));
      total += now + (await this.gas(a)) - this.entry(a).worth;
    }
    return total;
  }

  /** The account's holdings now, with the gas it paid since the ledger was opened added back to its ETH. */
  async holdingsGasBack(account: string): Promise<Holdings> {
    const h = await holdingsOf(this.f, account);
    return { ...h, eth: h.eth + (await this.gas(account)) };
  }
}
