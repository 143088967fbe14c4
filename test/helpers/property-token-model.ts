import { expect } from "chai";
import { ZeroAddress, getAddress } from "ethers";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployTidepoolUnlimited, type TidepoolFixture } from "./fixtures";
import { ShareRateModel } from "./share-rate-model";

/**
 * Off-chain BigInt model of the token layer (tpETH shares + wtpETH balances) and the on-chain
 * invariant checks run after every step of the model-based property tests.
 */

/** The pool's locked bootstrap holder (`StakingPool.BOOTSTRAP_SHARES_HOLDER`). */
export const BOOTSTRAP_HOLDER = getAddress("0x000000000000000000000000000000000000dEaD");
/** An address no test controls, used as a plain recipient ("any other holder"). */
export const OUTSIDER = getAddress("0x00000000000000000000000000000000c0ffee00");
export const MAX_UINT256 = (1n << 256n) - 1n;

/** Who a command addresses: an actor by index, or one of the fixed non-actor addresses. */
export type Who = number | "outsider" | "wrapper" | "dead" | "pool" | "zero";

/** What a step may do to the share rate (invariant 4) and to balances (invariant 5). */
export type StepKind = "stake" | "rebase" | "force" | "other";

/** Everything the invariants read from the chain, for every tracked address. */
export interface ChainState {
  totalShares: bigint;
  totalPooledEther: bigint;
  totalSupply: bigint;
  bufferedEther: bigint;
  poolEth: bigint;
  wrapperEth: bigint;
  wrapperSupply: bigint;
  /** pool.sharesOf, by tracked index. */
  shares: bigint[];
  /** pool.balanceOf (tpETH), by tracked index. */
  balances: bigint[];
  /** wrapper.balanceOf (wtpETH), by tracked index. */
  wtp: bigint[];
}

/** The system under test, as the commands see it. */
export class World {
  /** Tracked addresses: the actors, then outsider, wrapper, bootstrap holder, pool, zero. */
  readonly addresses: string[];
  readonly labels: string[];
  /** The chain state after the previous step (the "before" of the next one). */
  last!: ChainState;

  constructor(
    readonly f: TidepoolFixture,
    readonly actors: HardhatEthersSigner[],
  ) {
    this.addresses = [
      ...actors.map((a) => a.address),
      OUTSIDER,
      f.wrapperAddress,
      BOOTSTRAP_HOLDER,
      f.poolAddress,
      ZeroAddress,
    ];
    this.labels = [...actors.map((_, i) => `user${i}`), "outsider", "wrapper", "dead", "pool", "zero"];
  }

  get n(): number {
    return this.actors.length;
  }
  get wrapperIndex(): number {
    return this.n + 1;
  }
  get deadIndex(): number {
    return this.n + 2;
  }
  get poolIndex(): number {
    return this.n + 3;
  }
  get zeroIndex(): number {
    return this.n + 4;
  }

  index(who: Who): number {
    if (typeof who === "number") {
      if (who < 0 || who >= this.n) throw new RangeError(`no actor ${who}`);
      return who;
    }
    switch (who) {
      case "outsider":
        return this.n;
      case "wrapper":
        return this.wrapperIndex;
      case "dead":
        return this.deadIndex;
      case "pool":
        return this.poolIndex;
      case "zero":
        return this.zeroIndex;
    }
  }

  address(who: Who): string {
    return this.addresses[this.index(who)];
  }

  /** Receivers the pool refuses for user-facing share moves (ERC20InvalidReceiver). */
  isInvalidPoolReceiver(i: number): boolean {
    return i === this.zeroIndex || i === this.poolIndex || i === this.wrapperIndex;
  }

  /** Receivers the wrapper refuses for wtpETH transfers (ERC20InvalidReceiver). */
  isInvalidWrapperReceiver(i: number): boolean {
    return i === this.zeroIndex || i === this.wrapperIndex;
  }

  async read(): Promise<ChainState> {
    const { pool, wrapper, poolAddress, wrapperAddress } = this.f;
    const provider = ethers.provider;
    const shares: bigint[] = [];
    const balances: bigint[] = [];
    const wtp: bigint[] = [];
    for (const a of this.addresses) {
      shares.push(await pool.sharesOf(a));
      balances.push(await pool.balanceOf(a));
      wtp.push(await wrapper.balanceOf(a));
    }
    return {
      totalShares: await pool.totalShares(),
      totalPooledEther: await pool.totalPooledEther(),
      totalSupply: await pool.totalSupply(),
      bufferedEther: await pool.bufferedEther(),
      poolEth: await provider.getBalance(poolAddress),
      wrapperEth: await provider.getBalance(wrapperAddress),
      wrapperSupply: await wrapper.totalSupply(),
      shares,
      balances,
      wtp,
    };
  }
}

/** Per-address share accounting for invariant 6 (pool shares + wtpETH count as holdings). */
export interface Ledger {
  /** Shares minted to this address by its own stakes (directly or through the wrapper). */
  minted: bigint;
  /** Shares (or wtpETH) received from someone else. */
  received: bigint;
  /** Shares (or wtpETH) sent to someone else. */
  sent: bigint;
  /** ETH this address staked, in wei. */
  ethStaked: bigint;
}

/** The expected state, kept in BigInt and updated by the commands from the pool's documented rounding rules. */
export class TokenModel extends ShareRateModel {
  wtp: bigint[];
  ledgers: Ledger[];
  poolEth: bigint;
  wrapperEth: bigint;
  /** tpETH allowances, key `${owner}>${spender}` (tracked indices). */
  allowances = new Map<string, bigint>();
  rebases = 0;
  steps = 0;

  constructor(world: World, initial: ChainState) {
    super();
    const size = world.addresses.length;
    this.totalShares = initial.totalShares;
    this.totalPooledEther = initial.totalPooledEther;
    this.shares = Array<bigint>(size).fill(0n);
    this.wtp = Array<bigint>(size).fill(0n);
    this.ledgers = Array.from({ length: size }, () => ({ minted: 0n, received: 0n, sent: 0n, ethStaked: 0n }));
    this.shares[world.deadIndex] = initial.totalShares;
    this.ledgers[world.deadIndex].minted = initial.totalShares;
    this.ledgers[world.deadIndex].ethStaked = initial.totalPooledEther;
    this.poolEth = initial.poolEth;
    this.wrapperEth = initial.wrapperEth;
  }

  sharesForStake(amount: bigint): bigint {
    return (amount * this.totalShares) / this.totalPooledEther;
  }

  allowance(owner: number, spender: number): bigint {
    return this.allowances.get(`${owner}>${spender}`) ?? 0n;
  }
  setAllowance(owner: number, spender: number, value: bigint): void {
    this.allowances.set(`${owner}>${spender}`, value);
  }

  /** A stake of `amount` minting `shares` to `holder` on behalf of `staker` (the wrapper for ETH→wtpETH). */
  stake(staker: number, holder: number, amount: bigint, shares: bigint): void {
    this.totalShares += shares;
    this.totalPooledEther += amount;
    this.shares[holder] += shares;
    this.ledgers[staker].minted += shares;
    this.ledgers[staker].ethStaked += amount;
    this.poolEth += amount;
  }

  /** A user-facing share move between two holders (ledgered as sent/received). */
  transferShares(from: number, to: number, shares: bigint): void {
    this.shares[from] -= shares;
    this.shares[to] += shares;
    this.ledgers[from].sent += shares;
    this.ledgers[to].received += shares;
  }

  /** A wtpETH transfer (ledgered like a share transfer: one wtpETH is one share). */
  transferWtp(from: number, to: number, value: bigint): void {
    this.wtp[from] -= value;
    this.wtp[to] += value;
    this.ledgers[from].sent += value;
    this.ledgers[to].received += value;
  }

  /** wrap / unwrap: shares move between `holder` and the wrapper, wtpETH is minted / burned; holdings unchanged. */
  wrap(holder: number, wrapperIndex: number, shares: bigint): void {
    this.shares[holder] -= shares;
    this.shares[wrapperIndex] += shares;
    this.wtp[holder] += shares;
  }
  unwrap(holder: number, wrapperIndex: number, shares: bigint): void {
    this.shares[wrapperIndex] -= shares;
    this.shares[holder] += shares;
    this.wtp[holder] -= shares;
  }
}

const sum = (xs: bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);

/** Deploys (first call) or reverts to the fixture snapshot, and builds a fresh model of it. */
export async function setupWorld(actorCount: number): Promise<{ model: TokenModel; real: World }> {
  const f = await loadFixture(deployTidepoolUnlimited);
  const real = new World(f, f.users.slice(0, actorCount));
  const initial = await real.read();
  // The fixture's starting point: only the locked bootstrap shares exist, at a rate of exactly 1.
  expect(initial.totalShares, "fixture: bootstrap shares").to.equal(initial.shares[real.deadIndex]);
  expect(initial.totalPooledEther, "fixture: rate 1").to.equal(initial.totalShares);
  expect(sum(initial.wtp), "fixture: no wtpETH").to.equal(0n);
  real.last = initial;
  return { model: new TokenModel(real, initial), real };
}

/**
 * Reads the chain after a step and checks it against the model and the invariants of the brief:
 * 1. Σ sharesOf(tracked) == totalShares (tracked = actors, outsider, wrapper, 0xdEaD, pool, zero);
 * 2. wrapper.totalSupply == sharesOf(wrapper) == Σ wtpETH balances;
 * 3. totalSupply == totalPooledEther == bufferedEther, and the pool holds at least that much ETH;
 * 4. the share rate changes only in a rebase; a stake may raise it by rounding dust only;
 * 5. forced ETH changes nothing but the target's ETH balance;
 * 6. shares are conserved per holder (minted + received − sent), and before any rebase the rate is 1
 *    so every holder's value equals ETH staked + received − sent.
 */
export async function checkStep(model: TokenModel, real: World, kind: StepKind): Promise<ChainState> {
  model.steps += 1;
  const before = real.last;
  const after = await real.read();
  // Messages name the invariant; TokenCommand.run prefixes them with the step number and command.

  // The chain agrees with the model, holder by holder.
  expect(after.totalShares, "totalShares vs model").to.equal(model.totalShares);
  expect(after.totalPooledEther, "totalPooledEther vs model").to.equal(model.totalPooledEther);
  expect(after.poolEth, "pool ETH balance vs model").to.equal(model.poolEth);
  expect(after.wrapperEth, "wrapper ETH balance vs model").to.equal(model.wrapperEth);
  real.addresses.forEach((_, i) => {
    const who = real.labels[i];
    expect(after.shares[i], `sharesOf(${who}) vs model`).to.equal(model.shares[i]);
    expect(after.wtp[i], `wtpETH balanceOf(${who}) vs model`).to.equal(model.wtp[i]);
    expect(after.balances[i], `tpETH balanceOf(${who}) = floor(shares × P / S)`).to.equal(model.balanceOf(i));
  });
  expect(after.shares[real.poolIndex], "the pool holds no shares").to.equal(0n);
  expect(after.shares[real.zeroIndex], "address zero holds no shares").to.equal(0n);

  // 1. Shares sum to the total.
  expect(sum(after.shares), "invariant 1: Σ sharesOf == totalShares").to.equal(after.totalShares);

  // 2. The wrapper's supply is its pool shares and the sum of its balances.
  expect(after.wrapperSupply, "invariant 2: wrapper.totalSupply == sharesOf(wrapper)").to.equal(
    after.shares[real.wrapperIndex],
  );
  expect(sum(after.wtp), "invariant 2: Σ wtpETH balances == wrapper.totalSupply").to.equal(after.wrapperSupply);

  // 3. Supply and buffer are the pooled ETH, which the pool actually holds.
  expect(after.totalSupply, "invariant 3: totalSupply == totalPooledEther").to.equal(after.totalPooledEther);
  expect(after.bufferedEther, "invariant 3: bufferedEther == totalPooledEther").to.equal(after.totalPooledEther);
  expect(after.poolEth >= after.totalPooledEther, "invariant 3: pool ETH balance >= totalPooledEther").to.equal(true);
  expect(sum(after.balances) <= after.totalSupply, "invariant 3: Σ balances <= totalSupply").to.equal(true);

  // 4. The share rate P/S, compared as cross-multiplied fractions.
  const [p0, s0, p1, s1] = [before.totalPooledEther, before.totalShares, after.totalPooledEther, after.totalShares];
  if (kind === "rebase") {
    expect(s1, "invariant 4: a rebase leaves totalShares alone").to.equal(s0);
  } else if (kind === "stake") {
    const drift = p1 * s0 - p0 * s1; // (P1/S1 − P0/S0) × S0 × S1
    expect(drift >= 0n, `invariant 4: a stake never lowers the rate (P1·S0 − P0·S1 = ${drift})`).to.equal(true);
    // For a stake a minting floor(a·S0/P0): P1·S0 − P0·S1 = (a·S0) mod P0 < P0, i.e. rounding dust only.
    expect(drift < p0, `invariant 4: a stake raises the rate by rounding dust only (${drift} < ${p0})`).to.equal(true);
  } else {
    expect([p1, s1], "invariant 4: the rate (P, S) does not change").to.deep.equal([p0, s0]);
  }

  // 5. Forced ETH is ignored by the accounting.
  if (kind === "force") {
    const strip = (c: ChainState): ChainState => ({ ...c, poolEth: 0n, wrapperEth: 0n });
    expect(strip(after), "invariant 5: forced ETH changes no total or balance").to.deep.equal(strip(before));
  }

  // 6. No value is created: per holder, holdings = minted + received − sent (wrapper excluded: its shares
  //    are its holders' wtpETH), and all minted shares are all the shares.
  let minted = 0n;
  real.addresses.forEach((_, i) => {
    if (i === real.wrapperIndex) return;
    const l = model.ledgers[i];
    minted += l.minted;
    const holdings = after.shares[i] + after.wtp[i];
    expect(holdings, `invariant 6: ${real.labels[i]} holds minted + received − sent shares`).to.equal(
      l.minted + l.received - l.sent,
    );
    if (model.rebases === 0) {
      // Rate exactly 1 before any rebase: value (tpETH + wtpETH at the pool rate) is ETH in + in − out.
      const value = after.balances[i] + (after.wtp[i] * p1) / s1;
      expect(value, `invariant 6: ${real.labels[i]}'s value == staked + received − sent (rate 1)`).to.equal(
        l.ethStaked + l.received - l.sent,
      );
    }
  });
  expect(minted, "invariant 6: Σ minted == totalShares").to.equal(after.totalShares);
  if (model.rebases === 0) expect(p1, "no rebase yet: the rate is exactly 1").to.equal(s1);

  real.last = after;
  return after;
}
