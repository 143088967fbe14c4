import { ceilDiv } from "./withdrawal-report-helpers";

/**
 * The pool's two totals and its conversions, with the rounding the pool documents: the base of the
 * property suites' and the fuzzer's models, which move the totals themselves.
 */
export class ShareRateModel {
  totalShares = 0n;
  totalPooledEther = 0n;
  /** Shares held by each tracked address (by index). */
  shares: bigint[] = [];

  /** `floor(amount · S / P)`: what a stake mints, what an amount is worth in shares rounded down. */
  toSharesDown(amount: bigint): bigint {
    return (amount * this.totalShares) / this.totalPooledEther;
  }
  /** `ceil(amount · S / P)`: what a transfer, a request or a redemption of `amount` takes. */
  toSharesUp(amount: bigint): bigint {
    return ceilDiv(amount * this.totalShares, this.totalPooledEther);
  }
  /** `floor(shares · P / S)`: a balance, a value paid out. */
  toEthDown(shares: bigint): bigint {
    return (shares * this.totalPooledEther) / this.totalShares;
  }
  /** `ceil(shares · P / S)`: a value charged to an allowance. */
  toEthUp(shares: bigint): bigint {
    return ceilDiv(shares * this.totalPooledEther, this.totalShares);
  }
  /** tpETH balance of tracked address `i`. */
  balanceOf(i: number): bigint {
    return this.toEthDown(this.shares[i]);
  }
}
