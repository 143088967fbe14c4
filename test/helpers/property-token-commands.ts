import { expect } from "chai";
import fc from "fast-check";
import { ZeroAddress } from "ethers";
import { EtherForcer__Mock__factory } from "../../typechain-types";
import { rebase, rebasedPooledEther, type RebaseSpec } from "./property-rebase";
import { type Failure, type Sent, expectOutcome, failure, mined, record, setCurrentCommand } from "./property-harness";
import { MAX_UINT256, checkStep, type TokenModel, type Who, type World } from "./property-token-model";

/**
 * fast-check commands for the token-layer model run. Every command runs unconditionally (`check` is
 * always true): when a precondition does not hold, it asserts the exact custom error and arguments
 * instead of being skipped (when several fail at once, those of any one of them; see `expectOutcome`).
 */

export const ETH = 10n ** 18n;

// ──────────────────────────────── Amounts ────────────────────────────────

/** An amount chosen relative to a base (a balance, a share count) resolved against the model at run time. */
export type AmountSpec =
  | { kind: "zero" }
  | { kind: "one" }
  | { kind: "all" }
  | { kind: "allPlusOne" }
  | { kind: "fraction"; ppm: number }
  | { kind: "above"; extra: bigint }
  | { kind: "wei"; value: bigint };

export function resolveAmount(spec: AmountSpec, base: bigint): bigint {
  switch (spec.kind) {
    case "zero":
      return 0n;
    case "one":
      return 1n;
    case "all":
      return base;
    case "allPlusOne":
      return base + 1n;
    case "fraction":
      return (base * BigInt(spec.ppm)) / 1_000_000n;
    case "above":
      return base + spec.extra;
    case "wei":
      return spec.value;
  }
}

export function describeAmount(spec: AmountSpec): string {
  switch (spec.kind) {
    case "fraction":
      return `${spec.ppm / 10_000}% of`;
    case "above":
      return `${spec.extra} wei above`;
    case "wei":
      return `${spec.value} wei of`;
    default:
      return spec.kind;
  }
}

export const amountSpecArb: fc.Arbitrary<AmountSpec> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<AmountSpec>({ kind: "zero" }) },
  { weight: 1, arbitrary: fc.constant<AmountSpec>({ kind: "one" }) },
  { weight: 3, arbitrary: fc.constant<AmountSpec>({ kind: "all" }) },
  { weight: 1, arbitrary: fc.constant<AmountSpec>({ kind: "allPlusOne" }) },
  {
    weight: 5,
    arbitrary: fc.integer({ min: 0, max: 1_000_000 }).map((ppm): AmountSpec => ({ kind: "fraction", ppm })),
  },
  { weight: 1, arbitrary: fc.bigInt(1n, 10n * ETH).map((extra): AmountSpec => ({ kind: "above", extra })) },
  { weight: 1, arbitrary: fc.bigInt(0n, 100n * ETH).map((value): AmountSpec => ({ kind: "wei", value })) },
);

/** Stake amounts: 0 (must revert), 1–3 wei, tiny, small and up to 50 ETH. */
export const stakeAmountArb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0n) },
  { weight: 2, arbitrary: fc.constantFrom(1n, 2n, 3n) },
  { weight: 2, arbitrary: fc.bigInt(1n, 1_000_000n) },
  { weight: 2, arbitrary: fc.bigInt(1n, 10n ** 12n) },
  { weight: 7, arbitrary: fc.bigInt(1n, 50n * ETH) },
);

function rebaseArb(up: boolean, maxPpm: number): fc.Arbitrary<RebaseSpec> {
  return fc.record({
    up: fc.constant(up),
    ppm: fc.integer({ min: 0, max: maxPpm }),
    jitterWei: fc.bigInt(0n, 10n ** 6n),
  });
}

/**
 * A rebase of +0..+0.1% (one report's rewards), +0..+10% (many reports' rewards at once, so that rates
 * above 1 — where tiny stakes and wraps round to zero — are common) or −0..−5% (a loss), plus up to
 * 10^6 wei in the same direction so that the rate is an irregular fraction.
 */
export const rebaseSpecArb: fc.Arbitrary<RebaseSpec> = fc.oneof(
  { weight: 2, arbitrary: rebaseArb(true, 1_000) },
  { weight: 1, arbitrary: rebaseArb(true, 100_000) },
  { weight: 2, arbitrary: rebaseArb(false, 50_000) },
);

/** Oracle-like rebases anywhere from −50% to +200%, for properties that need a general rate. */
export const broadRebaseSpecArb: fc.Arbitrary<RebaseSpec> = fc.oneof(
  rebaseArb(true, 2_000_000),
  rebaseArb(false, 500_000),
);

const label = (who: Who): string => (typeof who === "number" ? `user${who}` : who);

/**
 * The actor a spending command acts for: a fixed actor, or "the k-th current holder" of tpETH or
 * wtpETH, resolved against the model when the command runs (so that spending commands mostly hit
 * accounts that hold something, without skipping the empty-account cases).
 */
export type ActorRef = number | { holderOf: "tpETH" | "wtpETH"; k: number };

const refLabel = (ref: ActorRef): string =>
  typeof ref === "number" ? label(ref) : `the ${ref.holderOf} holder #${ref.k}`;

export function actorRefArb(n: number, holderOf: "tpETH" | "wtpETH"): fc.Arbitrary<ActorRef> {
  return fc.oneof(
    { weight: 1, arbitrary: actorArb(n).map((i): ActorRef => i) },
    { weight: 2, arbitrary: actorArb(n).map((k): ActorRef => ({ holderOf, k })) },
  );
}

export function actorArb(n: number): fc.Arbitrary<number> {
  return fc.integer({ min: 0, max: n - 1 });
}

/** Mostly actors; sometimes an outsider, the bootstrap holder, or an address the token must refuse. */
export function receiverArb(n: number): fc.Arbitrary<Who> {
  return fc.oneof(
    { weight: 12, arbitrary: actorArb(n).map((i): Who => i) },
    { weight: 4, arbitrary: fc.constantFrom<Who>("outsider", "wrapper", "pool", "zero", "dead") },
  );
}

// ──────────────────────────────── Transactions ────────────────────────────────

export { outcomes } from "./property-harness";

/** Checks the shares a successful stake minted: floor(a·S0/P0), worth no more than the ETH staked. */
async function checkMinted(real: World, amount: bigint, shares: bigint, p0: bigint, s0: bigint): Promise<void> {
  expect(shares > 0n, "a successful stake mints shares").to.equal(true);
  expect(shares * p0 <= amount * s0, "invariant 6: shares minted are worth ≤ the ETH staked (pre-stake rate)").to.equal(
    true,
  );
  expect(
    await real.f.pool.getPooledEthByShares(shares),
    "invariant 6: shares minted are worth ≤ the ETH staked (post-stake rate)",
  ).to.be.lte(amount);
}

/** Failing preconditions of a stake of `amount` (the pool's errors, also when staked through the wrapper). */
function stakeFailures(m: TokenModel, r: World, amount: bigint): Failure[] {
  if (amount === 0n) return [failure(r.f.pool, "StakeZeroAmount")];
  if (m.sharesForStake(amount) === 0n) return [failure(r.f.pool, "StakeTooSmall", amount)];
  return [];
}

/** Failing preconditions of a user-facing pool move of `shares` (exact) or `amount` (rounded up) to `to`. */
function poolMoveFailures(
  m: TokenModel,
  r: World,
  from: number,
  to: number,
  move: { shares: bigint } | { amount: bigint },
): Failure[] {
  const failures: Failure[] = [];
  if (r.isInvalidPoolReceiver(to)) failures.push(failure(r.f.pool, "ERC20InvalidReceiver", r.addresses[to]));
  const held = m.shares[from];
  if ("shares" in move) {
    if (move.shares > held)
      failures.push(failure(r.f.pool, "InsufficientShares", r.addresses[from], held, move.shares));
  } else if (m.toSharesUp(move.amount) > held) {
    // ceil(amount·S/P) > shares ⇔ amount > balanceOf: reported in tpETH, as ERC-6093 has it.
    failures.push(failure(r.f.pool, "ERC20InsufficientBalance", r.addresses[from], m.balanceOf(from), move.amount));
  }
  return failures;
}

// ──────────────────────────────── Commands ────────────────────────────────

export abstract class TokenCommand implements fc.AsyncCommand<TokenModel, World> {
  check(): boolean {
    return true;
  }

  abstract toString(): string;

  /** The key under which `outcomes` counts this command's results. */
  protected coverageKey(): string {
    return this.constructor.name;
  }

  protected abstract exec(m: TokenModel, r: World): Promise<void>;

  /** How this run resolved its holder references, for error messages. */
  private resolved: string[] = [];

  /** Resolves an actor reference against the model (the k-th holder, or actor k when nobody holds). */
  protected resolve(m: TokenModel, r: World, ref: ActorRef): number {
    if (typeof ref === "number") return ref;
    const holders = r.actors.map((_, i) => i).filter((i) => (ref.holderOf === "tpETH" ? m.shares[i] : m.wtp[i]) > 0n);
    const i = holders.length === 0 ? ref.k % r.n : holders[ref.k % holders.length];
    this.resolved.push(`${refLabel(ref)} = ${label(i)}`);
    return i;
  }

  async run(m: TokenModel, r: World): Promise<void> {
    const step = m.steps + 1;
    setCurrentCommand(this.coverageKey());
    this.resolved = [];
    try {
      await this.exec(m, r);
    } catch (e) {
      const where = this.resolved.length === 0 ? "" : ` (${this.resolved.join(", ")})`;
      if (e instanceof Error) e.message = `[step ${step}: ${this.toString()}${where}] ${e.message}`;
      throw e;
    }
  }
}

/** stake(referral) or plain ETH to the pool. */
export class StakeCommand extends TokenCommand {
  constructor(
    readonly actor: number,
    readonly amount: bigint,
    readonly plain: boolean,
  ) {
    super();
  }
  toString(): string {
    return `${label(this.actor)} ${this.plain ? "sends plain ETH" : "stakes"} ${this.amount} wei`;
  }
  protected async exec(m: TokenModel, r: World): Promise<void> {
    const signer = r.actors[this.actor];
    const [p0, s0] = [m.totalPooledEther, m.totalShares];
    const shares = m.sharesForStake(this.amount);
    const failures = stakeFailures(m, r, this.amount);
    const tx = this.plain
      ? signer.sendTransaction({ to: r.f.poolAddress, value: this.amount })
      : r.f.pool.connect(signer).stake(ZeroAddress, { value: this.amount });
    const ok = await expectOutcome(tx, failures);
    if (ok) m.stake(this.actor, this.actor, this.amount, shares);
    await checkStep(m, r, "stake");
    if (ok) await checkMinted(r, this.amount, shares, p0, s0);
  }
}

/** ETH → wtpETH: plain ETH to the wrapper, or stakeAndWrap. */
export class StakeAndWrapCommand extends TokenCommand {
  constructor(
    readonly actor: number,
    readonly amount: bigint,
    readonly plain: boolean,
  ) {
    super();
  }
  toString(): string {
    const how = this.plain ? "sends plain ETH to the wrapper" : "calls stakeAndWrap with";
    return `${label(this.actor)} ${how} ${this.amount} wei`;
  }
  protected async exec(m: TokenModel, r: World): Promise<void> {
    const signer = r.actors[this.actor];
    const [p0, s0] = [m.totalPooledEther, m.totalShares];
    const shares = m.sharesForStake(this.amount);
    const failures = stakeFailures(m, r, this.amount);
    const tx = this.plain
      ? signer.sendTransaction({ to: r.f.wrapperAddress, value: this.amount })
      : r.f.wrapper.connect(signer).stakeAndWrap(ZeroAddress, { value: this.amount });
    const ok = await expectOutcome(tx, failures);
    if (ok) {
      // The wrapper stakes: the pool mints to the wrapper, which mints as many wtpETH to the sender.
      m.stake(this.actor, r.wrapperIndex, this.amount, shares);
      m.wtp[this.actor] += shares;
    }
    await checkStep(m, r, "stake");
    if (ok) await checkMinted(r, this.amount, shares, p0, s0);
  }
}

/** tpETH transfer(to, amount): moves ceil(amount·S/P) shares. */
export class TransferCommand extends TokenCommand {
  constructor(
    readonly fromRef: ActorRef,
    readonly to: Who,
    readonly amount: AmountSpec,
  ) {
    super();
  }
  toString(): string {
    return `${refLabel(this.fromRef)} transfers ${describeAmount(this.amount)} balance (tpETH) to ${label(this.to)}`;
  }
  protected async exec(m: TokenModel, r: World): Promise<void> {
    const from = this.resolve(m, r, this.fromRef);
    const to = r.index(this.to);
    const amount = resolveAmount(this.amount, m.balanceOf(from));
    const shares = m.toSharesUp(amount);
    const failures = poolMoveFailures(m, r, from, to, { amount });
    const ok = await expectOutcome(r.f.pool.connect(r.actors[from]).transfer(r.addresses[to], amount), failures);
    if (ok) m.transferShares(from, to, shares);
    const before = r.last;
    const after = await checkStep(m, r, "other");
    if (ok) {
      expectExactMove(before.shares, after.shares, from, to, shares);
      // Documented: the recipient's balance rises by at least `amount` (the rate is unchanged).
      if (to !== from) {
        expect(after.balances[to] - before.balances[to], "the recipient's balance rises by ≥ amount").to.be.gte(amount);
      }
    }
  }
}

/** approve (optionally) then transferFrom(amount) or transferSharesFrom(shares) by a spender. */
export type ApproveSpec =
  { kind: "keep" } | { kind: "exact" } | { kind: "less" } | { kind: "more"; extra: bigint } | { kind: "max" };

export const approveSpecArb: fc.Arbitrary<ApproveSpec> = fc.oneof(
  fc.constant<ApproveSpec>({ kind: "keep" }),
  fc.constant<ApproveSpec>({ kind: "exact" }),
  fc.constant<ApproveSpec>({ kind: "less" }),
  fc.bigInt(1n, 10n * ETH).map((extra): ApproveSpec => ({ kind: "more", extra })),
  fc.constant<ApproveSpec>({ kind: "max" }),
);

function allowanceFor(spec: ApproveSpec, needed: bigint): bigint {
  switch (spec.kind) {
    case "keep":
      throw new Error("no approval");
    case "exact":
      return needed;
    case "less":
      return needed > 0n ? needed - 1n : 0n;
    case "more":
      return needed + spec.extra;
    case "max":
      return MAX_UINT256;
  }
}

export class TransferFromCommand extends TokenCommand {
  constructor(
    readonly ownerRef: ActorRef,
    readonly spender: number,
    readonly to: Who,
    readonly approve: ApproveSpec,
    readonly amount: AmountSpec,
    readonly byShares: boolean,
  ) {
    super();
  }
  toString(): string {
    const approval = this.approve.kind === "more" ? `more (+${this.approve.extra})` : this.approve.kind;
    const what = this.byShares ? "shares (transferSharesFrom)" : "balance (transferFrom)";
    const owner = refLabel(this.ownerRef);
    return `${owner} approves ${label(this.spender)} [${approval}], who moves ${describeAmount(this.amount)} ${owner}'s ${what} to ${label(this.to)}`;
  }
  protected async exec(m: TokenModel, r: World): Promise<void> {
    const o = this.resolve(m, r, this.ownerRef);
    const owner = r.actors[o];
    const spender = r.actors[this.spender];
    const to = r.index(this.to);
    const value = resolveAmount(this.amount, this.byShares ? m.shares[o] : m.balanceOf(o));
    // Allowance spent: the amount, or the shares' value rounded up. Shares moved: exact, or the amount rounded up.
    const spent = this.byShares ? m.toEthUp(value) : value;
    const shares = this.byShares ? value : m.toSharesUp(value);

    if (this.approve.kind !== "keep") {
      const allowance = allowanceFor(this.approve, spent);
      await mined(r.f.pool.connect(owner).approve(spender.address, allowance));
      m.setAllowance(o, this.spender, allowance);
    }
    const current = m.allowance(o, this.spender);
    const failures = poolMoveFailures(m, r, o, to, this.byShares ? { shares: value } : { amount: value });
    if (current !== MAX_UINT256 && current < spent) {
      failures.push(failure(r.f.pool, "ERC20InsufficientAllowance", spender.address, current, spent));
    }
    const pool = r.f.pool.connect(spender);
    const tx = this.byShares
      ? pool.transferSharesFrom(owner.address, r.addresses[to], value)
      : pool.transferFrom(owner.address, r.addresses[to], value);
    const ok = await expectOutcome(tx, failures);
    if (ok) {
      if (current !== MAX_UINT256) m.setAllowance(o, this.spender, current - spent);
      m.transferShares(o, to, shares);
    }
    expect(await r.f.pool.allowance(owner.address, spender.address), "allowance vs model").to.equal(
      m.allowance(o, this.spender),
    );
    const before = r.last;
    const after = await checkStep(m, r, "other");
    if (ok) expectExactMove(before.shares, after.shares, o, to, shares);
  }
}

/** transferShares(to, shares): exact. */
export class TransferSharesCommand extends TokenCommand {
  constructor(
    readonly fromRef: ActorRef,
    readonly to: Who,
    readonly amount: AmountSpec,
  ) {
    super();
  }
  toString(): string {
    return `${refLabel(this.fromRef)} transferShares ${describeAmount(this.amount)} shares to ${label(this.to)}`;
  }
  protected async exec(m: TokenModel, r: World): Promise<void> {
    const from = this.resolve(m, r, this.fromRef);
    const to = r.index(this.to);
    const shares = resolveAmount(this.amount, m.shares[from]);
    const failures = poolMoveFailures(m, r, from, to, { shares });
    const ok = await expectOutcome(r.f.pool.connect(r.actors[from]).transferShares(r.addresses[to], shares), failures);
    if (ok) m.transferShares(from, to, shares);
    const before = r.last;
    const after = await checkStep(m, r, "other");
    if (ok) expectExactMove(before.shares, after.shares, from, to, shares);
  }
}

/** wrap(tpEthAmount): mints floor(amount·S/P) wtpETH, moving as many shares into the wrapper. */
export class WrapCommand extends TokenCommand {
  constructor(
    readonly actorRef: ActorRef,
    readonly amount: AmountSpec,
  ) {
    super();
  }
  toString(): string {
    return `${refLabel(this.actorRef)} wraps ${describeAmount(this.amount)} tpETH balance`;
  }
  protected async exec(m: TokenModel, r: World): Promise<void> {
    const actor = this.resolve(m, r, this.actorRef);
    const signer = r.actors[actor];
    const amount = resolveAmount(this.amount, m.balanceOf(actor));
    const minted = m.toSharesDown(amount);
    const held = m.shares[actor];
    const failures: Failure[] = [];
    if (minted === 0n) failures.push(failure(r.f.wrapper, "ZeroShares"));
    if (minted > held) failures.push(failure(r.f.pool, "InsufficientShares", signer.address, held, minted));
    const ok = await expectOutcome(r.f.wrapper.connect(signer).wrap(amount), failures);
    if (ok) m.wrap(actor, r.wrapperIndex, minted);
    const before = r.last;
    const after = await checkStep(m, r, "other");
    if (ok) {
      expectExactMove(before.shares, after.shares, actor, r.wrapperIndex, minted);
      // Documented: the caller's tpETH balance drops by at most the amount asked for.
      expect(before.balances[actor] - after.balances[actor], "wrap takes ≤ the amount").to.be.lte(amount);
    }
  }
}

/** unwrap(wtpEthAmount): burns wtpETH and moves exactly as many shares back. */
export class UnwrapCommand extends TokenCommand {
  constructor(
    readonly actorRef: ActorRef,
    readonly amount: AmountSpec,
  ) {
    super();
  }
  toString(): string {
    return `${refLabel(this.actorRef)} unwraps ${describeAmount(this.amount)} wtpETH balance`;
  }
  protected async exec(m: TokenModel, r: World): Promise<void> {
    const actor = this.resolve(m, r, this.actorRef);
    const signer = r.actors[actor];
    const held = m.wtp[actor];
    const w = resolveAmount(this.amount, held);
    const failures: Failure[] = [];
    if (w === 0n) failures.push(failure(r.f.wrapper, "ZeroShares"));
    if (w > held) failures.push(failure(r.f.wrapper, "ERC20InsufficientBalance", signer.address, held, w));
    const ok = await expectOutcome(r.f.wrapper.connect(signer).unwrap(w), failures);
    if (ok) m.unwrap(actor, r.wrapperIndex, w);
    const before = r.last;
    const after = await checkStep(m, r, "other");
    if (ok) expectExactMove(before.shares, after.shares, r.wrapperIndex, actor, w);
  }
}

/** wtpETH transfer(to, value). */
export class WtpTransferCommand extends TokenCommand {
  constructor(
    readonly fromRef: ActorRef,
    readonly to: Who,
    readonly amount: AmountSpec,
  ) {
    super();
  }
  toString(): string {
    return `${refLabel(this.fromRef)} transfers ${describeAmount(this.amount)} wtpETH balance to ${label(this.to)}`;
  }
  protected async exec(m: TokenModel, r: World): Promise<void> {
    const from = this.resolve(m, r, this.fromRef);
    const signer = r.actors[from];
    const to = r.index(this.to);
    const held = m.wtp[from];
    const value = resolveAmount(this.amount, held);
    const failures: Failure[] = [];
    if (r.isInvalidWrapperReceiver(to)) failures.push(failure(r.f.wrapper, "ERC20InvalidReceiver", r.addresses[to]));
    if (value > held) failures.push(failure(r.f.wrapper, "ERC20InsufficientBalance", signer.address, held, value));
    const ok = await expectOutcome(r.f.wrapper.connect(signer).transfer(r.addresses[to], value), failures);
    if (ok) m.transferWtp(from, to, value);
    await checkStep(m, r, "other");
  }
}

/** Attempts to donate to the pool or the wrapper, and ETH forced in by selfdestruct. */
export type DonationKind =
  | "tpETH transfer to wrapper"
  | "tpETH transfer to pool"
  | "transferShares to wrapper"
  | "transferShares to pool"
  | "transferFrom to wrapper"
  | "direct transferSharesToWrapper"
  | "wtpETH transfer to wrapper"
  | "force ETH into pool"
  | "force ETH into wrapper";

export const DONATION_KINDS: readonly DonationKind[] = [
  "tpETH transfer to wrapper",
  "tpETH transfer to pool",
  "transferShares to wrapper",
  "transferShares to pool",
  "transferFrom to wrapper",
  "direct transferSharesToWrapper",
  "wtpETH transfer to wrapper",
  "force ETH into pool",
  "force ETH into wrapper",
];

export class DonationCommand extends TokenCommand {
  constructor(
    readonly attacker: number,
    readonly victim: number,
    readonly kind: DonationKind,
    readonly amount: AmountSpec,
    readonly forcedWei: bigint,
  ) {
    super();
  }
  toString(): string {
    if (this.kind.startsWith("force")) return `${label(this.attacker)}: ${this.kind} (${this.forcedWei} wei)`;
    const whose = this.kind === "direct transferSharesToWrapper" || this.kind === "transferFrom to wrapper";
    const holding = whose ? `${label(this.victim)}'s` : "own";
    return `${label(this.attacker)}: ${this.kind} (${describeAmount(this.amount)} ${holding} holding)`;
  }
  protected coverageKey(): string {
    return `DonationCommand(${this.kind})`;
  }
  protected async exec(m: TokenModel, r: World): Promise<void> {
    const kind = await this.donate(m, r);
    await checkStep(m, r, kind);
  }

  /** Performs the attempt and updates the model; returns the step kind for the invariant checks. */
  private async donate(m: TokenModel, r: World): Promise<"force" | "other"> {
    const [a, v] = [this.attacker, this.victim];
    const attacker = r.actors[a];
    const victim = r.actors[v];
    const { pool, wrapper, poolAddress, wrapperAddress } = r.f;
    const [toWrapper, toPool] = [r.wrapperIndex, r.poolIndex];
    let failures: Failure[];
    let tx: Promise<Sent>;
    switch (this.kind) {
      case "tpETH transfer to wrapper":
      case "tpETH transfer to pool": {
        const to = this.kind === "tpETH transfer to wrapper" ? toWrapper : toPool;
        const amount = resolveAmount(this.amount, m.balanceOf(a));
        failures = poolMoveFailures(m, r, a, to, { amount });
        tx = pool.connect(attacker).transfer(r.addresses[to], amount);
        break;
      }
      case "transferShares to wrapper":
      case "transferShares to pool": {
        const to = this.kind === "transferShares to wrapper" ? toWrapper : toPool;
        const shares = resolveAmount(this.amount, m.shares[a]);
        failures = poolMoveFailures(m, r, a, to, { shares });
        tx = pool.connect(attacker).transferShares(r.addresses[to], shares);
        break;
      }
      case "transferFrom to wrapper": {
        // Even with an unlimited allowance from the victim, the wrapper is refused as a receiver.
        await mined(pool.connect(victim).approve(attacker.address, MAX_UINT256));
        m.setAllowance(v, a, MAX_UINT256);
        const amount = resolveAmount(this.amount, m.balanceOf(v));
        failures = poolMoveFailures(m, r, v, toWrapper, { amount });
        tx = pool.connect(attacker).transferFrom(victim.address, wrapperAddress, amount);
        break;
      }
      case "direct transferSharesToWrapper": {
        const shares = resolveAmount(this.amount, m.shares[v]);
        failures = [failure(pool, "CallerNotWrapper", attacker.address)];
        tx = pool.connect(attacker).transferSharesToWrapper(victim.address, shares);
        break;
      }
      case "wtpETH transfer to wrapper": {
        const value = resolveAmount(this.amount, m.wtp[a]);
        failures = [failure(wrapper, "ERC20InvalidReceiver", wrapperAddress)];
        if (value > m.wtp[a])
          failures.push(failure(wrapper, "ERC20InsufficientBalance", attacker.address, m.wtp[a], value));
        tx = wrapper.connect(attacker).transfer(wrapperAddress, value);
        break;
      }
      case "force ETH into pool":
      case "force ETH into wrapper": {
        const intoPool = this.kind === "force ETH into pool";
        const forcer = await new EtherForcer__Mock__factory(attacker).deploy({ value: this.forcedWei });
        await forcer.waitForDeployment();
        await mined(forcer.force(intoPool ? poolAddress : wrapperAddress));
        if (intoPool) m.poolEth += this.forcedWei;
        else m.wrapperEth += this.forcedWei;
        record("forced");
        return "force";
      }
    }
    const ok = await expectOutcome(tx, failures);
    expect(ok, "a donation attempt must revert").to.equal(false);
    return "other";
  }
}

/** Rewrites totalPooledEther (see property-rebase.ts). */
export class RebaseCommand extends TokenCommand {
  constructor(readonly spec: RebaseSpec) {
    super();
  }
  toString(): string {
    const sign = this.spec.up ? "+" : "−";
    return `rebase ${sign}${this.spec.ppm} ppm ${sign}${this.spec.jitterWei} wei`;
  }
  protected async exec(m: TokenModel, r: World): Promise<void> {
    const next = rebasedPooledEther(m.totalPooledEther, this.spec);
    const done = await rebase(r.f.poolAddress, this.spec);
    expect(done.totalPooledEther, "rebase helper vs model").to.equal(next);
    if (next > m.totalPooledEther) m.poolEth += next - m.totalPooledEther;
    if (m.poolEth < next) m.poolEth = next;
    m.totalPooledEther = next;
    m.rebases += 1;
    record(this.spec.up ? "up" : "down");
    await checkStep(m, r, "rebase");
  }
}

/** Asserts that exactly `shares` moved from `from` to `to` and no other tracked holder changed. */
export function expectExactMove(before: bigint[], after: bigint[], from: number, to: number, shares: bigint): void {
  const expected = [...before];
  expected[from] -= shares;
  expected[to] += shares;
  expect(after, `exactly ${shares} shares move, the receiver gains what the sender loses`).to.deep.equal(expected);
}

// ──────────────────────────────── The command arbitrary ────────────────────────────────

export function tokenCommandArbs(n: number): fc.Arbitrary<fc.AsyncCommand<TokenModel, World>>[] {
  const actor = actorArb(n);
  const tpHolder = actorRefArb(n, "tpETH");
  const wtpHolder = actorRefArb(n, "wtpETH");
  const receiver = receiverArb(n);
  const stake = fc
    .tuple(actor, stakeAmountArb, fc.boolean())
    .map(([a, amount, plain]) => new StakeCommand(a, amount, plain));
  // fc.commands picks uniformly among the arbitraries: staking is listed twice so that holders have funds.
  return [
    stake,
    stake,
    fc
      .tuple(actor, stakeAmountArb, fc.boolean())
      .map(([a, amount, plain]) => new StakeAndWrapCommand(a, amount, plain)),
    fc.tuple(tpHolder, receiver, amountSpecArb).map(([a, to, amount]) => new TransferCommand(a, to, amount)),
    fc
      .tuple(tpHolder, actor, receiver, approveSpecArb, amountSpecArb, fc.boolean())
      .map(([o, s, to, ap, amount, byShares]) => new TransferFromCommand(o, s, to, ap, amount, byShares)),
    fc.tuple(tpHolder, receiver, amountSpecArb).map(([a, to, amount]) => new TransferSharesCommand(a, to, amount)),
    fc.tuple(tpHolder, amountSpecArb).map(([a, amount]) => new WrapCommand(a, amount)),
    fc.tuple(wtpHolder, amountSpecArb).map(([a, amount]) => new UnwrapCommand(a, amount)),
    fc.tuple(wtpHolder, receiver, amountSpecArb).map(([a, to, amount]) => new WtpTransferCommand(a, to, amount)),
    fc
      .tuple(actor, actor, fc.constantFrom(...DONATION_KINDS), amountSpecArb, fc.bigInt(1n, 100n * ETH))
      .map(([a, v, kind, amount, wei]) => new DonationCommand(a, v, kind, amount, wei)),
    rebaseSpecArb.map((spec) => new RebaseCommand(spec)),
  ];
}
