import { expect } from "chai";
import fc from "fast-check";
import hre from "hardhat";
import { ZeroAddress, type ContractTransactionReceipt } from "ethers";
import { currentAttestation, signAttestation } from "../../offchain/guardians/attestations";
import { buildReport, exitedKeysEntry, keyLossEntry, type ReportFields } from "../../sdk/src/report";
import { advanceFrames, submitUntilApplied } from "../../offchain/oracle/devchain";
import { exitsNeeded } from "../../offchain/oracle/exits";
import { PERMIT_VRS, signPermit } from "../../sdk/src/permit";
import { type Failure, type Sent, expectReceipt, failure, mined, record, setCurrentCommand } from "./property-harness";
import { type AmountSpec, amountSpecArb, describeAmount, resolveAmount } from "./property-token-commands";
import {
  ACTORS,
  CAP_DEPOSITS,
  CAP_INSTANT_REDEEM,
  CAP_STAKING,
  DEPOSIT_SIZE,
  ETH,
  FACT_EXITED,
  FACT_SLASHED,
  GWEI,
  INSTANT_REDEEM_FRAME_SECONDS,
  MAX_WITHDRAWAL,
  MIN_WITHDRAWAL,
  OPERATOR_ID,
  PPM,
  SECONDS_PER_SLOT,
  SECONDS_PER_YEAR,
  BRIDGE_EIDS,
  oftOf,
  type ProtocolModel,
  type ReportOutcome,
  type Who,
  type World,
  max,
  sum,
} from "./fuzz-model";
import { type RateStep, checkReportRate, checkStep } from "./fuzz-invariants";
import { RAY, TOTAL_BP, ceilDiv, min, rateRayOf } from "./withdrawal-report-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import {
  SMALL_VALIDATOR_COUNT,
  currentSlot,
  exitedBefore,
  keyId,
  publishKeysState,
  slashedAt,
  type Mutations,
  type PlantedKey,
  type PublishedState,
} from "./facts-fixtures";
import { electraLayout, type StateLayout } from "../../offchain/prover/proofs";
import { sendParam } from "./bridge-fixtures";

/**
 * fast-check commands of the whole-protocol fuzzer. Every command runs unconditionally (`check` is
 * always true): when a precondition does not hold, it asserts the exact custom error and arguments
 * the model predicts instead of being skipped; then the model moves and `checkStep` compares it with
 * the chain and checks every invariant (../helpers/fuzz-invariants.ts).
 */

const MAX_UINT256 = (1n << 256n) - 1n;

// ──────────────────────────────── Sending ────────────────────────────────

/** Charges a successful transaction's gas to actor `i` (non-actors' gas is not tracked). */
function chargeGas(m: ProtocolModel, i: number, receipt: ContractTransactionReceipt | null): void {
  if (receipt !== null && i < ACTORS) m.gas[i] += receipt.fee;
}

/** The last block mined before the current command started (set by `FuzzCommand.run`). */
let stepStartBlock = 0;
/** Reverted transactions whose gas the current command has charged already. */
const chargedReverts = new Set<string>();

/**
 * Sends a transaction of actor `i` that the model says ends as `failures` predicts; charges its gas.
 * The in-process network mines reverting transactions too (they pay gas): those are found in the
 * blocks mined since the command started and charged once each. The scan starts there, not when
 * `send` is called: the caller has already sent `tx`, which may be mined by then.
 */
async function send(
  m: ProtocolModel,
  i: number,
  tx: Promise<Sent>,
  failures: Failure[],
): Promise<ContractTransactionReceipt | null> {
  const provider = hre.ethers.provider;
  const receipt = await expectReceipt(tx, failures);
  if (receipt !== null) {
    chargeGas(m, i, receipt);
    return receipt;
  }
  if (i >= ACTORS) return null;
  const address = m.world.addresses[i].toLowerCase();
  for (let n = stepStartBlock + 1; n <= (await provider.getBlockNumber()); n++) {
    const block = await provider.getBlock(n, true);
    for (const t of block?.prefetchedTransactions ?? []) {
      if (t.from.toLowerCase() !== address || chargedReverts.has(t.hash)) continue;
      const reverted = await provider.getTransactionReceipt(t.hash);
      if (reverted === null || reverted.status !== 0) continue; // successful ones are charged from their receipts
      chargedReverts.add(t.hash);
      m.gas[i] += reverted.fee;
    }
  }
  return null;
}

/** Sends a transaction of actor `i` that must succeed; charges its gas. */
async function sendOk(m: ProtocolModel, i: number, tx: Promise<Sent>): Promise<ContractTransactionReceipt> {
  const receipt = await mined(tx);
  chargeGas(m, i, receipt);
  return receipt;
}

async function blockTime(receipt: ContractTransactionReceipt): Promise<bigint> {
  const block = await hre.ethers.provider.getBlock(receipt.blockNumber);
  if (block === null) throw new Error(`no block ${receipt.blockNumber}`);
  return BigInt(block.timestamp);
}

async function latestBlock(): Promise<{ number: bigint; timestamp: bigint }> {
  const block = await hre.ethers.provider.getBlock("latest");
  if (block === null) throw new Error("no latest block");
  return { number: BigInt(block.number), timestamp: BigInt(block.timestamp) };
}

const label = (who: Who): string => (typeof who === "number" ? `actor${who}` : who);

// ──────────────────────────────── Base ────────────────────────────────

export abstract class FuzzCommand implements fc.AsyncCommand<ProtocolModel, World> {
  check(): boolean {
    return true;
  }
  abstract toString(): string;
  protected abstract exec(m: ProtocolModel, r: World): Promise<void>;
  /** The key under which `outcomes` counts this command's results. */
  protected coverageKey(): string {
    return this.constructor.name;
  }
  async run(m: ProtocolModel, r: World): Promise<void> {
    const step = m.steps + 1;
    setCurrentCommand(this.coverageKey());
    stepStartBlock = await hre.ethers.provider.getBlockNumber();
    chargedReverts.clear();
    try {
      await this.exec(m, r);
    } catch (e) {
      if (e instanceof Error) e.message = `[step ${step}: ${this.toString()}] ${e.message}`;
      throw e;
    }
  }
}

/** An actor, or "the k-th current holder of X" resolved against the model when the command runs. */
export type ActorRef = number | { holderOf: "tpETH" | "wtpETH" | "request"; k: number };

function resolveActor(m: ProtocolModel, ref: ActorRef): number {
  if (typeof ref === "number") return ref;
  const holders = Array.from({ length: ACTORS }, (_, i) => i).filter((i) => {
    if (ref.holderOf === "tpETH") return m.shares[i] > 0n;
    if (ref.holderOf === "wtpETH") return m.wtp[i] > 0n;
    return m.requests.some((q) => q.owner === i && !q.claimed);
  });
  return holders.length === 0 ? ref.k % ACTORS : holders[ref.k % holders.length];
}

const refLabel = (ref: ActorRef): string => (typeof ref === "number" ? label(ref) : `${ref.holderOf} holder #${ref.k}`);

// ──────────────────────────────── Failures the model predicts ────────────────────────────────

/** Failing preconditions of a stake of `amount` (the pool's checks, in its order). */
async function stakeFailures(m: ProtocolModel, r: World, amount: bigint): Promise<Failure[]> {
  const pool = r.f.pool;
  if (amount === 0n) return [failure(pool, "StakeZeroAmount")];
  if ((m.pausedCapabilities & CAP_STAKING) !== 0) return [failure(pool, "StakingPaused")];
  const limit = m.stakeLimitAt((await latestBlock()).number + 1n);
  if (amount > limit) return [failure(pool, "StakeLimitExceeded", amount, limit)];
  if (m.toSharesDown(amount) === 0n) return [failure(pool, "StakeTooSmall", amount)];
  return [];
}

/** Failing preconditions of a user-facing pool move of `shares` (exact) or `amount` (rounded up) to `to`. */
function poolMoveFailures(
  m: ProtocolModel,
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
  } else if (move.amount > m.totalPooledEther || m.toSharesUp(move.amount) > held) {
    failures.push(failure(r.f.pool, "ERC20InsufficientBalance", r.addresses[from], m.balanceOf(from), move.amount));
  }
  return failures;
}

/** A stake of `amount` mined in `receipt`'s block uses up that much of the stake limit (when one is set). */
function spendStakeLimit(m: ProtocolModel, receipt: ContractTransactionReceipt, amount: bigint): void {
  if (m.stakeLimit.max === 0n) return;
  const block = BigInt(receipt.blockNumber);
  m.stakeLimit.prevLimit = m.stakeLimitAt(block) - amount;
  m.stakeLimit.prevBlock = block;
}

// ──────────────────────────────── Token commands ────────────────────────────────

export type StakeRoute = "stake" | "plain ETH" | "ETH to the wrapper";

export class StakeCommand extends FuzzCommand {
  constructor(
    readonly actor: number,
    readonly amount: bigint,
    readonly route: StakeRoute,
  ) {
    super();
  }
  toString(): string {
    return `${label(this.actor)} stakes ${this.amount} wei (${this.route})`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const signer = r.actors[this.actor];
    const failures = await stakeFailures(m, r, this.amount);
    const tx =
      this.route === "stake"
        ? r.f.pool.connect(signer).stake(ZeroAddress, { value: this.amount })
        : signer.sendTransaction({
            to: this.route === "plain ETH" ? r.f.poolAddress : r.f.wrapperAddress,
            value: this.amount,
          });
    const receipt = await send(m, this.actor, tx, failures);
    if (receipt !== null) {
      spendStakeLimit(m, receipt, this.amount);
      const wrapped = this.route === "ETH to the wrapper";
      const shares = m.stake(this.actor, wrapped ? m.idx("wrapper") : this.actor, this.amount);
      if (wrapped) m.wtp[this.actor] += shares;
    }
    await checkStep(m, r, receipt === null ? { kind: "none" } : { kind: "stake" }, this.toString());
  }
}

/** transfer (amount, rounded up to shares) or transferShares (exact). */
export class TransferCommand extends FuzzCommand {
  constructor(
    readonly from: ActorRef,
    readonly to: Who,
    readonly amount: AmountSpec,
    readonly byShares: boolean,
  ) {
    super();
  }
  toString(): string {
    const what = this.byShares ? "shares (transferShares)" : "tpETH (transfer)";
    return `${refLabel(this.from)} sends ${describeAmount(this.amount)} ${what} to ${label(this.to)}`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const from = resolveActor(m, this.from);
    const to = r.index(this.to);
    const pool = r.f.pool.connect(r.actors[from]);
    const value = resolveAmount(this.amount, this.byShares ? m.shares[from] : m.balanceOf(from));
    const failures = poolMoveFailures(m, r, from, to, this.byShares ? { shares: value } : { amount: value });
    const shares = this.byShares ? value : failures.length === 0 ? m.toSharesUp(value) : 0n;
    const tx = this.byShares ? pool.transferShares(r.addresses[to], value) : pool.transfer(r.addresses[to], value);
    const receipt = await send(m, from, tx, failures);
    if (receipt !== null) m.moveShares(from, to, shares);
    await checkStep(m, r, { kind: "none" }, this.toString());
  }
}

export class WrapCommand extends FuzzCommand {
  constructor(
    readonly actor: ActorRef,
    readonly amount: AmountSpec,
    readonly unwrap: boolean,
  ) {
    super();
  }
  toString(): string {
    return this.unwrap
      ? `${refLabel(this.actor)} unwraps ${describeAmount(this.amount)} wtpETH`
      : `${refLabel(this.actor)} wraps ${describeAmount(this.amount)} tpETH`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const a = resolveActor(m, this.actor);
    const signer = r.actors[a];
    const { wrapper, pool } = r.f;
    const failures: Failure[] = [];
    let shares: bigint;
    let tx: Promise<Sent>;
    if (this.unwrap) {
      shares = resolveAmount(this.amount, m.wtp[a]);
      if (shares === 0n) failures.push(failure(wrapper, "ZeroShares"));
      if (shares > m.wtp[a])
        failures.push(failure(wrapper, "ERC20InsufficientBalance", signer.address, m.wtp[a], shares));
      tx = wrapper.connect(signer).unwrap(shares);
    } else {
      const amount = resolveAmount(this.amount, m.balanceOf(a));
      shares = m.toSharesDown(amount);
      if (shares === 0n) failures.push(failure(wrapper, "ZeroShares"));
      if (shares > m.shares[a]) failures.push(failure(pool, "InsufficientShares", signer.address, m.shares[a], shares));
      tx = wrapper.connect(signer).wrap(amount);
    }
    const receipt = await send(m, a, tx, failures);
    if (receipt !== null) {
      if (this.unwrap) m.unwrap(a, shares);
      else m.wrap(a, shares);
    }
    await checkStep(m, r, { kind: "none" }, this.toString());
  }
}

export class WtpTransferCommand extends FuzzCommand {
  constructor(
    readonly from: ActorRef,
    readonly to: Who,
    readonly amount: AmountSpec,
  ) {
    super();
  }
  toString(): string {
    return `${refLabel(this.from)} transfers ${describeAmount(this.amount)} wtpETH to ${label(this.to)}`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const from = resolveActor(m, this.from);
    const signer = r.actors[from];
    const to = r.index(this.to);
    const value = resolveAmount(this.amount, m.wtp[from]);
    const failures: Failure[] = [];
    if (r.isInvalidWrapperReceiver(to)) failures.push(failure(r.f.wrapper, "ERC20InvalidReceiver", r.addresses[to]));
    if (value > m.wtp[from])
      failures.push(failure(r.f.wrapper, "ERC20InsufficientBalance", signer.address, m.wtp[from], value));
    const receipt = await send(m, from, r.f.wrapper.connect(signer).transfer(r.addresses[to], value), failures);
    if (receipt !== null) m.moveWtp(from, to, value);
    await checkStep(m, r, { kind: "none" }, this.toString());
  }
}

/**
 * EIP-2612: `owner` signs a permit for `spender` (tpETH or wtpETH), the spender submits it (expired:
 * must revert ERC2612ExpiredSignature) and then moves the amount with transferFrom.
 */
export class PermitTransferCommand extends FuzzCommand {
  constructor(
    readonly token: "tpETH" | "wtpETH",
    readonly owner: ActorRef,
    readonly spender: number,
    readonly to: Who,
    readonly amount: AmountSpec,
    readonly expired: boolean,
  ) {
    super();
  }
  toString(): string {
    const state = this.expired ? "an expired" : "a";
    return `${refLabel(this.owner)} signs ${state} ${this.token} permit for ${label(this.spender)}, who moves ${describeAmount(this.amount)} to ${label(this.to)}`;
  }
  protected coverageKey(): string {
    return `PermitTransferCommand(${this.token})`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const o = resolveActor(m, this.owner);
    const owner = r.actors[o];
    const spender = r.actors[this.spender];
    const to = r.index(this.to);
    const tp = this.token === "tpETH";
    const token = tp ? r.f.pool : r.f.wrapper;
    const kind = tp ? "tp" : "wtp";
    const value = resolveAmount(this.amount, tp ? m.balanceOf(o) : m.wtp[o]);
    const now = (await latestBlock()).timestamp;
    const deadline = this.expired ? now - 1n : now + 3600n;
    const sig = await signPermit(token, owner, spender.address, value, deadline);
    const permitted = await send(
      m,
      this.spender,
      token.connect(spender)[PERMIT_VRS](owner.address, spender.address, value, deadline, sig.v, sig.r, sig.s),
      this.expired ? [failure(token, "ERC2612ExpiredSignature", deadline)] : [],
    );
    if (permitted !== null) m.setAllowance(kind, o, this.spender, value);
    await checkStep(m, r, { kind: "none" }, `${this.toString()}: permit`);

    const allowance = m.allowance(kind, o, this.spender);
    expect(await token.allowance(owner.address, spender.address), "allowance vs model").to.equal(allowance);
    const failures: Failure[] = [];
    if (allowance !== MAX_UINT256 && allowance < value) {
      failures.push(failure(token, "ERC20InsufficientAllowance", spender.address, allowance, value));
    }
    let shares = value;
    if (tp) {
      failures.push(...poolMoveFailures(m, r, o, to, { amount: value }));
      if (failures.length === 0) shares = m.toSharesUp(value);
    } else {
      if (r.isInvalidWrapperReceiver(to)) failures.push(failure(token, "ERC20InvalidReceiver", r.addresses[to]));
      if (value > m.wtp[o]) failures.push(failure(token, "ERC20InsufficientBalance", owner.address, m.wtp[o], value));
    }
    const moved = await send(
      m,
      this.spender,
      token.connect(spender).transferFrom(owner.address, r.addresses[to], value),
      failures,
    );
    if (moved !== null) {
      m.spendAllowance(kind, o, this.spender, value);
      if (tp) m.moveShares(o, to, shares);
      else m.moveWtp(o, to, value);
    }
    await checkStep(m, r, { kind: "none" }, `${this.toString()}: transferFrom`);
  }
}

// ──────────────────────────────── Withdrawal queue commands ────────────────────────────────

export type RequestApproval = "exact" | "short by 1" | "permit" | "expired permit";

/** requestWithdrawals(…WithPermit) in tpETH, or requestWithdrawalsWrapped(…WithPermit) in wtpETH. */
export class RequestCommand extends FuzzCommand {
  constructor(
    readonly actor: ActorRef,
    readonly wrapped: boolean,
    readonly amounts: AmountSpec[],
    readonly owner: Who | null,
    readonly approval: RequestApproval,
  ) {
    super();
  }
  toString(): string {
    const what = this.wrapped ? "wtpETH" : "tpETH";
    const owner = this.owner === null ? "" : ` for ${label(this.owner)}`;
    return `${refLabel(this.actor)} requests withdrawals of [${this.amounts.map(describeAmount).join(", ")}] ${what}${owner} (${this.approval})`;
  }
  protected coverageKey(): string {
    return `RequestCommand(${this.wrapped ? "wtpETH" : "tpETH"}, ${this.approval})`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const a = resolveActor(m, this.actor);
    const signer = r.actors[a];
    const { queue, queueAddress, pool, wrapper } = r.f;
    const q = m.idx("queue");
    const token = this.wrapped ? wrapper : pool;
    const kind = this.wrapped ? "wtp" : "tp";
    const n = BigInt(this.amounts.length);
    const base = this.wrapped ? m.wtp[a] : m.balanceOf(a);
    const amounts = this.amounts.map((spec) => resolveAmount(spec, base / n));
    const total = sum(amounts);
    const owner = this.owner === null ? a : r.index(this.owner);

    // Approval: an exact approve, one wei short, or a permit (valid, or expired with no allowance left).
    let permit = { value: 0n, deadline: 0n, v: 0, r: ZeroAddress.padEnd(66, "0"), s: ZeroAddress.padEnd(66, "0") };
    if (this.approval === "exact" || this.approval === "short by 1") {
      const value = this.approval === "exact" ? total : max(0n, total - 1n);
      await sendOk(m, a, token.connect(signer).approve(queueAddress, value));
      m.setAllowance(kind, a, q, value);
    } else {
      const now = (await latestBlock()).timestamp;
      const deadline = this.approval === "permit" ? now + 3600n : now - 1n;
      const sig = await signPermit(token, signer, queueAddress, total, deadline);
      permit = { value: total, deadline, v: sig.v, r: sig.r, s: sig.s };
    }

    // Simulate the requests one by one, in the queue's order of checks; the first failure is the revert.
    const expected: Failure[] = [];
    const sim = {
      shares: m.shares[a],
      wtp: m.wtp[a],
      allowance: m.allowance(kind, a, q),
    };
    if (this.approval === "permit") sim.allowance = total;
    if (this.approval === "expired permit" && sim.allowance < total) {
      expected.push(failure(queue, "PermitFailedAndAllowanceTooLow", sim.allowance, total));
    }
    if (this.owner !== null && r.isProtocolContract(owner)) {
      expected.push(failure(queue, "ProtocolContractRefused", r.addresses[owner]));
    }
    const planned: { ether: bigint; shares: bigint }[] = [];
    for (const amount of amounts) {
      if (expected.length > 0) break;
      if (this.wrapped) {
        const ether = m.toEthDown(amount);
        if (ether < MIN_WITHDRAWAL) expected.push(failure(queue, "RequestAmountTooSmall", ether, MIN_WITHDRAWAL));
        else if (ether > MAX_WITHDRAWAL) expected.push(failure(queue, "RequestAmountTooLarge", ether, MAX_WITHDRAWAL));
        else if (sim.allowance !== MAX_UINT256 && sim.allowance < amount) {
          expected.push(failure(wrapper, "ERC20InsufficientAllowance", queueAddress, sim.allowance, amount));
        } else if (sim.wtp < amount) {
          expected.push(failure(wrapper, "ERC20InsufficientBalance", signer.address, sim.wtp, amount));
        } else if (m.queuePaused) expected.push(failure(queue, "WithdrawalsPaused"));
        else {
          sim.allowance -= sim.allowance === MAX_UINT256 ? 0n : amount;
          sim.wtp -= amount;
          planned.push({ ether, shares: amount });
        }
      } else {
        const shares = amount > m.totalPooledEther ? MAX_UINT256 : m.toSharesUp(amount);
        if (amount < MIN_WITHDRAWAL) expected.push(failure(queue, "RequestAmountTooSmall", amount, MIN_WITHDRAWAL));
        else if (amount > MAX_WITHDRAWAL)
          expected.push(failure(queue, "RequestAmountTooLarge", amount, MAX_WITHDRAWAL));
        else if (sim.allowance !== MAX_UINT256 && sim.allowance < amount) {
          expected.push(failure(pool, "ERC20InsufficientAllowance", queueAddress, sim.allowance, amount));
        } else if (shares > sim.shares) {
          const balance = m.toEthDown(sim.shares);
          expected.push(failure(pool, "ERC20InsufficientBalance", signer.address, balance, amount));
        } else if (m.queuePaused) expected.push(failure(queue, "WithdrawalsPaused"));
        else {
          sim.allowance -= sim.allowance === MAX_UINT256 ? 0n : amount;
          sim.shares -= shares;
          planned.push({ ether: amount, shares });
        }
      }
    }

    const ownerAddress = this.owner === null ? ZeroAddress : r.addresses[owner];
    const c = queue.connect(signer);
    let tx: Promise<Sent>;
    if (this.approval === "permit" || this.approval === "expired permit") {
      tx = this.wrapped
        ? c.requestWithdrawalsWrappedWithPermit(amounts, ownerAddress, permit)
        : c.requestWithdrawalsWithPermit(amounts, ownerAddress, permit);
    } else {
      tx = this.wrapped
        ? c.requestWithdrawalsWrapped(amounts, ownerAddress)
        : c.requestWithdrawals(amounts, ownerAddress);
    }
    const receipt = await send(m, a, tx, expected.slice(0, 1));
    if (receipt !== null) {
      const timestamp = await blockTime(receipt);
      if (this.approval === "permit") m.setAllowance(kind, a, q, total);
      for (const p of planned) {
        m.spendAllowance(kind, a, q, this.wrapped ? p.shares : p.ether);
        if (this.wrapped) {
          m.wtp[a] -= p.shares;
          m.shares[m.idx("wrapper")] -= p.shares;
        } else {
          m.shares[a] -= p.shares;
        }
        m.shares[q] += p.shares;
        m.reserve += p.ether;
        const id = m.enqueue(owner, p.ether, p.shares, timestamp);
        if (owner !== a) m.inflows.push({ to: owner, requestId: id });
      }
    }
    expect(await token.allowance(signer.address, queueAddress), "allowance to the queue vs model").to.equal(
      m.allowance(kind, a, q),
    );
    await checkStep(m, r, { kind: "none" }, this.toString());
  }
}

/**
 * A run on the queue: every actor requests a large part of its tpETH (or wtpETH) at once, so that the
 * queue's demand exceeds the buffer and reports must ask for validator exits.
 */
export class BankRunCommand extends FuzzCommand {
  constructor(
    readonly ppm: number,
    readonly wrapped: boolean,
  ) {
    super();
  }
  toString(): string {
    return `every holder requests ${this.ppm / 1e4}% of its ${this.wrapped ? "wtpETH" : "tpETH"} (a run on the queue)`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    // The holders only: an actor without any has nothing to request.
    const holders = Array.from({ length: ACTORS }, (_, a) => a).filter((a) =>
      this.wrapped ? m.wtp[a] > 0n : m.shares[a] > 0n,
    );
    for (const a of holders) {
      const spec: AmountSpec = { kind: "fraction", ppm: this.ppm };
      await new RequestCommand(a, this.wrapped, [spec], null, "exact").run(m, r);
    }
    setCurrentCommand(this.coverageKey());
    record(m.unfinalizedEther() > m.bufferedEther() ? "demand beyond the buffer" : "demand within the buffer");
  }
}

/** An ERC-721 transferFrom of a request NFT (by its owner, or by someone not approved). */
export class NftTransferCommand extends FuzzCommand {
  constructor(
    readonly k: number,
    readonly to: Who,
    readonly byOwner: boolean,
  ) {
    super();
  }
  toString(): string {
    return `request #${this.k} (mod count) moves to ${label(this.to)} ${this.byOwner ? "by its owner" : "by another actor"}`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    if (m.requests.length === 0) {
      record("no request yet");
      await checkStep(m, r, { kind: "none" }, this.toString());
      return;
    }
    const id = (this.k % m.requests.length) + 1;
    const req = m.requests[id - 1];
    const owner = req.owner;
    const caller = this.byOwner ? owner : (owner + 1 + (this.k % (ACTORS - 1))) % ACTORS;
    const queue = r.f.queue;
    const to = r.index(this.to);
    const failures: Failure[] = [];
    if (req.claimed) failures.push(failure(queue, "ERC721NonexistentToken", BigInt(id)));
    else if (caller !== owner || owner >= ACTORS) {
      failures.push(failure(queue, "ERC721InsufficientApproval", r.addresses[caller], BigInt(id)));
    } else if (r.isProtocolContract(to)) failures.push(failure(queue, "ProtocolContractRefused", r.addresses[to]));
    const receipt = await send(
      m,
      caller,
      queue.connect(r.actors[caller]).transferFrom(r.addresses[owner], r.addresses[to], id),
      failures,
    );
    if (receipt !== null) {
      req.owner = to;
      if (to !== owner) m.inflows.push({ to, requestId: id });
    }
    await checkStep(m, r, { kind: "none" }, this.toString());
  }
}

export type ClaimMode = "single" | "batch" | "to recipient";

/** claimWithdrawal(id), claimWithdrawals(ids, hints) or claimWithdrawalsTo(ids, hints, recipient). */
export class ClaimCommand extends FuzzCommand {
  constructor(
    readonly mode: ClaimMode,
    readonly ks: number[],
    readonly byOwner: boolean,
    readonly recipient: Who,
    readonly claimable: boolean,
  ) {
    super();
  }
  toString(): string {
    const to = this.mode === "to recipient" ? ` to ${label(this.recipient)}` : "";
    const which = this.claimable ? "claimable requests" : "requests";
    return `claim (${this.mode}) of ${which} #[${this.ks.join(", ")}] (mod count) ${this.byOwner ? "by the owner" : "by another actor"}${to}`;
  }
  protected coverageKey(): string {
    return `ClaimCommand(${this.mode})`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    if (m.requests.length === 0) {
      record("no request yet");
      await checkStep(m, r, { kind: "none" }, this.toString());
      return;
    }
    const queue = r.f.queue;
    // Mostly requests that can be claimed (finalized, unclaimed), when there are any; otherwise any request.
    const open = m.requests
      .map((q, k) => k + 1)
      .filter((id) => m.requests[id - 1].checkpoint !== 0 && !m.requests[id - 1].claimed);
    const pick = (k: number): number =>
      this.claimable && open.length > 0 ? open[k % open.length] : (k % m.requests.length) + 1;
    const ids = (this.mode === "single" ? this.ks.slice(0, 1) : this.ks).map(pick);
    const first = m.requests[ids[0] - 1].owner;
    const caller = this.byOwner ? first : (first + 1) % ACTORS;
    const recipient = this.mode === "to recipient" ? r.index(this.recipient) : caller;

    // The queue's checks, request by request in order; the first failure is the revert.
    const failures: Failure[] = [];
    if (this.mode === "to recipient" && recipient === r.index("zero")) failures.push(failure(queue, "ZeroRecipient"));
    else if (this.mode === "to recipient" && r.isProtocolContract(recipient)) {
      failures.push(failure(queue, "ProtocolContractRefused", r.addresses[recipient]));
    }
    if (m.queuePaused) failures.push(failure(queue, "WithdrawalsPaused"));
    const claimed = new Set<number>();
    let paid = 0n;
    let released = 0n;
    for (const id of ids) {
      if (failures.length > 0) break;
      const q = m.requests[id - 1];
      if (q.claimed || claimed.has(id)) failures.push(failure(queue, "RequestAlreadyClaimed", BigInt(id)));
      else if (q.owner !== caller) {
        failures.push(failure(queue, "NotRequestOwner", BigInt(id), r.addresses[caller], r.addresses[q.owner]));
      } else if (q.checkpoint === 0) failures.push(failure(queue, "RequestNotFinalized", BigInt(id)));
      else {
        claimed.add(id);
        paid += m.claimableOf(id);
        released += m.lockedFor(id);
      }
    }
    const hints = ids.map((id) => BigInt(m.requests[id - 1].checkpoint));
    const c = queue.connect(r.actors[caller]);
    const tx =
      this.mode === "single"
        ? c.claimWithdrawal(ids[0])
        : this.mode === "batch"
          ? c.claimWithdrawals(ids, hints)
          : c.claimWithdrawalsTo(ids, hints, r.addresses[recipient]);
    const receipt = await send(m, caller, tx, failures);
    let excess = 0n;
    if (receipt !== null) {
      excess = released - paid;
      for (const id of claimed) m.requests[id - 1].claimed = true;
      m.lockedEther -= released;
      m.eth[m.idx("queue")] -= released;
      m.eth[m.idx("pool")] += excess;
      m.totalPooledEther += excess;
      m.eth[recipient] += paid;
      if (recipient !== caller) m.inflows.push({ to: recipient, eth: paid });
      record(excess > 0n ? "claim returned excess to the pool" : "claim at exactly the lock");
    }
    await checkStep(m, r, receipt === null ? { kind: "none" } : { kind: "claim", excess }, this.toString());
  }
}

// ──────────────────────────────── Instant redemption ────────────────────────────────

export type Slippage = "exact" | "one wei more" | "none";

/**
 * instantRedeem of an amount, in one call or split into `parts` back-to-back calls in the same frame
 * (the fee integrates the frame's cumulative use: the parts pay at least what one call would).
 */
export class InstantRedeemCommand extends FuzzCommand {
  constructor(
    readonly actor: ActorRef,
    readonly amount: AmountSpec,
    readonly recipient: Who,
    readonly slippage: Slippage,
    readonly parts: number = 1,
  ) {
    super();
  }
  toString(): string {
    const split = this.parts > 1 ? ` in ${this.parts} parts` : "";
    return `${refLabel(this.actor)} redeems ${describeAmount(this.amount)} tpETH instantly${split} to ${label(this.recipient)} (min out: ${this.slippage})`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const a = resolveActor(m, this.actor);
    // Liquidity and the frame's cap are usually small next to balances: amounts are relative to the
    // most that can go through (all of it: exactly at a bound; all plus one: just past it).
    const now = (await latestBlock()).timestamp + 1n;
    const used = m.instantFee(0n, now).frame.redeemedInFrame;
    const capLeft = max(0n, (m.totalPooledEther * m.instant.frameCapBP) / TOTAL_BP - used);
    const available = m.instantLiquidity();
    const bound = min(min(m.balanceOf(a), capLeft), available);
    const total = resolveAmount(this.amount, bound > 0n ? bound : m.balanceOf(a));
    const part = total / BigInt(this.parts);
    // What one call would pay for the whole amount in this frame (the next block's).
    const oneCall = m.instantFee(total, now);
    const fees: bigint[] = [];
    for (let i = 0; i < this.parts; i++) {
      const amount = i < this.parts - 1 ? part : total - part * BigInt(this.parts - 1);
      const fee = await this.redeem(
        m,
        r,
        a,
        amount,
        this.parts > 1 ? `${this.toString()}: part ${i + 1}` : this.toString(),
      );
      if (fee !== null) fees.push(fee);
    }
    if (this.parts > 1 && fees.length === this.parts && m.redeemFrame.frameIndex === oneCall.frame.frameIndex) {
      expect(
        sum(fees) >= oneCall.fee,
        `${this.toString()}: the parts' fees ${fees.join(" + ")} ≥ one call's ${oneCall.fee}`,
      ).to.be.true;
      record("split redemption paid at least one call's fee");
    }
  }
  /** One redemption; returns its fee, or null when it reverted (as the model predicts). */
  private async redeem(m: ProtocolModel, r: World, a: number, amount: bigint, at: string): Promise<bigint | null> {
    const signer = r.actors[a];
    const pool = r.f.pool;
    const to = r.index(this.recipient);
    // Pin the block time so that the model knows the frame of the redemption cap.
    const now = (await latestBlock()).timestamp + 1n;
    await hre.network.provider.send("evm_setNextBlockTimestamp", [Number(now)]);

    const failures: Failure[] = [];
    const liquidity = m.instantLiquidity();
    let ethOut = 0n;
    let fee = 0n;
    const { fee: quoted, frame } = m.instantFee(amount, now);
    const used = frame.redeemedInFrame;
    const cap = (m.totalPooledEther * m.instant.frameCapBP) / TOTAL_BP;
    if (amount === 0n) failures.push(failure(pool, "InstantRedeemZeroAmount"));
    else if (to === r.index("zero")) failures.push(failure(pool, "ZeroAddress", "recipient"));
    else if (r.isProtocolContract(to)) failures.push(failure(pool, "ProtocolContractRefused", r.addresses[to]));
    else if ((m.pausedCapabilities & CAP_INSTANT_REDEEM) !== 0) failures.push(failure(pool, "InstantRedeemPaused"));
    else if (m.bunker) failures.push(failure(pool, "InstantRedeemBunkerMode"));
    else if (amount > liquidity) failures.push(failure(pool, "InsufficientInstantLiquidity", amount, liquidity));
    else {
      fee = quoted;
      ethOut = amount - fee;
      const minOut = this.slippage === "one wei more" ? ethOut + 1n : 0n;
      if (ethOut < minOut) failures.push(failure(pool, "SlippageExceeded", ethOut, minOut));
      else if (used + amount > cap) {
        failures.push(failure(pool, "InstantRedeemFrameCapExceeded", amount, used < cap ? cap - used : 0n));
      } else if (amount > m.totalPooledEther || m.toSharesUp(amount) > m.shares[a]) {
        failures.push(failure(pool, "ERC20InsufficientBalance", signer.address, m.balanceOf(a), amount));
      }
    }
    const minEthOut = this.slippage === "exact" ? ethOut : this.slippage === "one wei more" ? ethOut + 1n : 0n;
    // The preview prices at the frame of the call's block: compared only when that is the redemption's frame.
    const sameFrame = (now - 1n) / INSTANT_REDEEM_FRAME_SECONDS === frame.frameIndex;
    const preview = failures.length === 0 && sameFrame ? await pool.previewInstantRedeem(amount) : null;
    const receipt = await send(m, a, pool.connect(signer).instantRedeem(amount, minEthOut, r.addresses[to]), failures);
    if (receipt !== null) {
      if (preview !== null) {
        expect([preview[0], preview[1]], "previewInstantRedeem vs model").to.deep.equal([ethOut, fee]);
      }
      expect(await blockTime(receipt), "the pinned block time").to.equal(now);
      const shares = m.toSharesUp(amount);
      m.shares[a] -= shares;
      m.totalShares -= shares;
      m.totalPooledEther -= ethOut;
      m.eth[m.idx("pool")] -= ethOut;
      m.eth[to] += ethOut;
      if (to !== a) m.inflows.push({ to, eth: ethOut });
      m.redeemFrame = { ...frame, redeemedInFrame: used + amount };
      record(
        frame.frameLiquidityGwei === 0n
          ? "redeemed (frame without liquidity)"
          : used > 0n
            ? "redeemed (frame in use)"
            : "redeemed (frame's first)",
      );
    }
    await checkStep(m, r, receipt === null ? { kind: "none" } : { kind: "redeem", fee }, at);
    return receipt === null ? null : fee;
  }
}

// ──────────────────────────────── Validators and vaults ────────────────────────────────

/** Deposits through the guardians' attestation and the deposit security module. */
export class DepositCommand extends FuzzCommand {
  /** @param count Validators to deposit; "max": as many as the depositable ETH allows (at least one). */
  constructor(readonly count: bigint | "max") {
    super();
  }
  toString(): string {
    return `deposit ${this.count === "max" ? "as many as possible" : this.count} validator(s) of operator 0`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const { f } = r;
    // The registry's side (keys, bond cover at its own last rate) is read from the chain: not modelled.
    const op = await f.registry.getNodeOperator(OPERATOR_ID);
    const active = op.depositedKeys - op.exitedKeys;
    let count = this.count === "max" ? m.depositableEther() / DEPOSIT_SIZE : this.count;
    if (this.count === "max") {
      count = min(
        min(count, op.vettedKeys - op.depositedKeys),
        op.bondCoveredValidators - min(active, op.bondCoveredValidators),
      );
      count = max(1n, count);
    }
    const amount = count * DEPOSIT_SIZE;
    const failures: Failure[] = [];
    if ((m.pausedCapabilities & CAP_DEPOSITS) !== 0) failures.push(failure(f.pool, "DepositsPaused"));
    else if (amount > m.depositableEther()) {
      failures.push(failure(f.pool, "NotEnoughBufferedEther", amount, m.depositableEther()));
    } else if (op.vettedKeys === op.depositedKeys || op.bondCoveredValidators <= active) {
      failures.push(failure(f.registry, "OperatorNotDepositable", OPERATOR_ID));
    } else if (count > op.vettedKeys - op.depositedKeys) {
      failures.push(failure(f.registry, "NotEnoughVettedKeys", OPERATOR_ID, count, op.vettedKeys - op.depositedKeys));
    } else if (active + count > op.bondCoveredValidators) {
      failures.push(failure(f.registry, "BondTooSmall", OPERATOR_ID, active + count, op.bondCoveredValidators));
    }
    const attestation = await currentAttestation(f.depositContract, f.registry, hre.ethers.provider);
    const signatures = await signAttestation(f.dsm, attestation, [f.guardian]);
    const receipt = await expectReceipt(
      f.dsm.depositBufferedEther(OPERATOR_ID, count, attestation, signatures),
      failures,
    );
    if (receipt !== null) {
      m.depositKeys(count);
      m.eth[m.idx("pool")] -= amount;
      m.depositContractEth += amount;
    }
    await checkStep(m, r, { kind: "none" }, this.toString());
  }
}

export type VaultKind = "withdrawal" | "elRewards";

/** ETH arriving in a vault (EL rewards, skimmed CL rewards), from an untracked donor. */
export class VaultDonationCommand extends FuzzCommand {
  constructor(
    readonly vault: VaultKind,
    readonly amount: bigint,
  ) {
    super();
  }
  toString(): string {
    return `${this.amount} wei arrive in the ${this.vault} vault`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const target = this.vault === "withdrawal" ? r.f.withdrawalVault : r.f.elRewardsVault;
    await mined(r.donor.sendTransaction({ to: await target.getAddress(), value: this.amount }));
    if (this.vault === "withdrawal") m.withdrawalVaultEth += this.amount;
    else m.elRewardsVaultEth += this.amount;
    record("ok");
    await checkStep(m, r, { kind: "none" }, this.toString());
  }
}

/** depositBond(operator 0) by an actor: the registry stakes it and books the shares as the operator's bond. */
export class BondDepositCommand extends FuzzCommand {
  constructor(
    readonly actor: number,
    readonly amount: bigint,
  ) {
    super();
  }
  toString(): string {
    return `${label(this.actor)} deposits ${this.amount} wei of bond for operator 0`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const failures = this.amount === 0n ? [failure(r.f.registry, "ZeroBond")] : await stakeFailures(m, r, this.amount);
    const tx = r.f.registry.connect(r.actors[this.actor]).depositBond(OPERATOR_ID, { value: this.amount });
    const receipt = await send(m, this.actor, tx, failures);
    if (receipt !== null) {
      spendStakeLimit(m, receipt, this.amount);
      m.bondShares += m.stake(this.actor, m.idx("registry"), this.amount);
    }
    await checkStep(m, r, receipt === null ? { kind: "none" } : { kind: "stake" }, this.toString());
  }
}

// ──────────────────────────────── Beacon facts ────────────────────────────────

/** Operator 0's registry keys (planted in every published state), by world. */
const plantedKeys = new WeakMap<World, Promise<PlantedKey[]>>();
let stateLayout: Promise<StateLayout> | undefined;

/** Publishes a beacon state at the current slot with operator 0's keys (fields changed by `mutations`). */
async function publishOperatorState(r: World, mutations: Mutations): Promise<PublishedState & { slot: bigint }> {
  const { registry, pool } = r.f;
  let keys = plantedKeys.get(r);
  if (keys === undefined) {
    keys = (async () => {
      const total = (await registry.getNodeOperator(OPERATOR_ID)).totalKeys;
      const out: PlantedKey[] = [];
      for (let keyIndex = 0n; keyIndex < total; keyIndex++) {
        out.push({
          operatorId: OPERATOR_ID,
          keyIndex,
          pubkey: (await registry.getKeyPubkey(OPERATOR_ID, keyIndex))[0],
        });
      }
      return out;
    })();
    plantedKeys.set(r, keys);
  }
  stateLayout ??= electraLayout();
  const slot = await currentSlot(r.f);
  const credentials = (await pool.withdrawalCredentials()).toLowerCase();
  const state = await publishKeysState(await keys, credentials, await stateLayout, mutations, {
    validatorCount: SMALL_VALIDATOR_COUNT,
    slot,
  });
  return { ...state, slot };
}

/** The `k`-th (mod count) deposited key of operator 0 without fact `bit` (null: none). */
function keyWithout(m: ProtocolModel, bit: bigint, k: number): bigint | null {
  const keys: bigint[] = [];
  for (let i = 0n; i < m.depositedValidators; i++) if (((m.keyFacts.get(i) ?? 0n) & bit) === 0n) keys.push(i);
  return keys.length === 0 ? null : keys[k % keys.length];
}

async function checkFacts(m: ProtocolModel, r: World, keyIndex: bigint, at: string): Promise<void> {
  expect(await r.f.facts.keyFacts(OPERATOR_ID, keyIndex), `${at}: keyFacts(0, ${keyIndex}) vs model`).to.equal(
    m.keyFacts.get(keyIndex) ?? 0n,
  );
  expect((await r.f.facts.operatorFacts(OPERATOR_ID))[0], `${at}: provenExitedKeys(0) vs model`).to.equal(
    m.provenExitedKeys,
  );
  expect(await r.f.facts.slashingHoldFromTimestamp(), `${at}: slashingHoldFromTimestamp vs model`).to.equal(
    m.slashingHoldFrom,
  );
}

/** Anyone proves one of operator 0's deposited validators slashed: bunker mode and the hold at once, the rate unchanged. */
export class ProveSlashedCommand extends FuzzCommand {
  constructor(
    readonly k: number,
    readonly effectiveBalanceGwei: bigint,
  ) {
    super();
  }
  toString(): string {
    return `prove deposited key #${this.k} slashed (effective balance ${this.effectiveBalanceGwei} gwei)`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const keyIndex = keyWithout(m, FACT_SLASHED, this.k);
    if (keyIndex === null) return record("no deposited key left to prove slashed");
    const slot = await currentSlot(r.f);
    const s = await publishOperatorState(r, {
      [keyId(OPERATOR_ID, keyIndex)]: slashedAt(slot, this.effectiveBalanceGwei),
    });
    const before = r.last;
    const receipt = await mined(r.f.facts.connect(r.donor).proveSlashed(await s.factFor(OPERATOR_ID, keyIndex)));
    m.proveSlashed(keyIndex, s.slot, await m.slotTimestamp(s.slot), this.effectiveBalanceGwei);
    const proven = receipt.logs
      .map((l) => (l.address === r.f.facts.target ? r.f.facts.interface.parseLog(l) : null))
      .find((l) => l?.name === "SlashingProven");
    expect(proven?.args.creditGwei, "SlashingProven: the credit vs model").to.equal(m.slashingCreditAt(s.slot));
    const after = await checkStep(m, r, { kind: "none" }, this.toString());
    expect([after.totalPooledEther, after.totalShares], "proveSlashed leaves the share rate as it was").to.deep.equal([
      before.totalPooledEther,
      before.totalShares,
    ]);
    await checkFacts(m, r, keyIndex, this.toString());
    if ((m.pausedCapabilities & CAP_INSTANT_REDEEM) === 0) {
      const actor = r.actors[0];
      await expect(r.f.pool.connect(actor).instantRedeem.staticCall(1n, 0n, actor.address))
        .to.be.revertedWithCustomError(r.f.pool, "InstantRedeemBunkerMode")
        .withArgs();
    }
    record(before.bunker ? "proven slashed (bunker already on)" : "proven slashed: bunker on");
  }
}

/** Anyone proves one of operator 0's deposited validators exited: the registry's count is max(count, proven). */
export class ProveExitedCommand extends FuzzCommand {
  constructor(readonly k: number) {
    super();
  }
  toString(): string {
    return `prove deposited key #${this.k} exited`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const keyIndex = keyWithout(m, FACT_EXITED, this.k);
    if (keyIndex === null) return record("no deposited key left to prove exited");
    const slot = await currentSlot(r.f);
    const s = await publishOperatorState(r, { [keyId(OPERATOR_ID, keyIndex)]: exitedBefore(slot) });
    const exitedBeforeProof = m.exitedKeys;
    await mined(r.f.facts.connect(r.donor).proveExited(await s.factFor(OPERATOR_ID, keyIndex)));
    m.proveExited(keyIndex);
    expect(m.exitedKeys, "exitedKeys = max(previous, proven)").to.equal(max(exitedBeforeProof, m.provenExitedKeys));
    await checkStep(m, r, { kind: "none" }, this.toString());
    await checkFacts(m, r, keyIndex, this.toString());
    await checkFreeBond(m, r, this.toString());
    record(m.exitedKeys > exitedBeforeProof ? "proven exited: count raised" : "proven exited: count already there");
  }
}

/** A proof that must fail: a tampered record, another key's pubkey, a wrong index, an undeposited key, or a replay. */
export type ForgedProof = "tampered" | "otherPubkey" | "wrongIndex" | "notDeposited" | "replaySlashed" | "replayExited";

export class ForgedProofCommand extends FuzzCommand {
  constructor(
    readonly kind: ForgedProof,
    readonly k: number,
  ) {
    super();
  }
  toString(): string {
    return `forged proof (${this.kind}) for key #${this.k}`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const { facts } = r.f;
    const deposited = m.depositedValidators;
    const slot = await currentSlot(r.f);
    const replayBit = this.kind === "replaySlashed" ? FACT_SLASHED : FACT_EXITED;
    let keyIndex: bigint;
    if (this.kind === "replaySlashed" || this.kind === "replayExited") {
      const proven = [...m.keyFacts].filter(([, bits]) => (bits & replayBit) !== 0n).map(([i]) => i);
      if (proven.length === 0) return record("nothing proven to replay");
      keyIndex = proven[this.k % proven.length];
    } else if (this.kind === "notDeposited") {
      const total = (await r.f.registry.getNodeOperator(OPERATOR_ID)).totalKeys;
      if (total <= deposited) return record("no undeposited key");
      keyIndex = deposited + (BigInt(this.k) % (total - deposited));
    } else {
      // A key not proven slashed yet: the replay check comes before the proof's.
      const fresh = keyWithout(m, FACT_SLASHED, this.k);
      if (deposited < 2n || fresh === null) return record("no two deposited keys, one not proven slashed");
      keyIndex = fresh;
    }
    const other = (keyIndex + 1n) % max(deposited, 1n);
    const id = keyId(OPERATOR_ID, keyIndex);
    const s = await publishOperatorState(r, {
      [id]: this.kind === "replayExited" ? exitedBefore(slot) : slashedAt(slot),
    });
    const fact = await s.factFor(OPERATOR_ID, keyIndex);
    let tx: Promise<Sent>;
    const prove = (f: typeof fact): Promise<Sent> =>
      this.kind === "replayExited" ? facts.connect(r.donor).proveExited(f) : facts.connect(r.donor).proveSlashed(f);
    switch (this.kind) {
      case "tampered":
        tx = prove({ ...fact, validator: { ...fact.validator, effectiveBalanceGwei: 31_000_000_000n } });
        await expect(tx)
          .to.be.revertedWithCustomError(facts, "BeaconProofInvalid")
          .withArgs(anyValue, s.header.stateRoot);
        break;
      case "otherPubkey": {
        const otherFact = await s.factFor(OPERATOR_ID, other);
        tx = prove({ ...fact, validator: { ...fact.validator, pubkey: otherFact.validator.pubkey } });
        await expect(tx).to.be.revertedWithCustomError(facts, "PubkeyMismatch").withArgs(OPERATOR_ID, keyIndex);
        break;
      }
      case "wrongIndex":
        tx = prove({ ...fact, validatorIndex: s.indices.get(keyId(OPERATOR_ID, other))! });
        await expect(tx)
          .to.be.revertedWithCustomError(facts, "BeaconProofInvalid")
          .withArgs(anyValue, s.header.stateRoot);
        break;
      case "notDeposited":
        tx = prove(fact);
        await expect(tx).to.be.revertedWithCustomError(facts, "KeyNotDeposited").withArgs(OPERATOR_ID, keyIndex);
        break;
      default:
        tx = prove(fact);
        await expect(tx)
          .to.be.revertedWithCustomError(facts, "FactAlreadyProven")
          .withArgs(OPERATOR_ID, keyIndex, replayBit);
    }
    record(`${this.kind} → reverted`);
    await checkStep(m, r, { kind: "none" }, this.toString());
    await checkFacts(m, r, keyIndex, this.toString());
  }
}

// ──────────────────────────────── Oracle reports ────────────────────────────────

/** Where the report's CL balance lands: inside the limits, or past one (asserted to revert, then clamped). */
export type ClSpec =
  | { kind: "inRange"; ppm: bigint }
  /** Between flat and the APR limit (rewards). */
  | { kind: "gain"; ppm: bigint }
  /** A penalty: `ppm` millionths of the way from flat down to the drop limit. */
  | { kind: "penalty"; ppm: bigint }
  | { kind: "flat" }
  | { kind: "aboveApr"; extraGwei: bigint }
  | { kind: "belowDrop"; extraGwei: bigint };

/** Which requests the report finalizes. */
export type FinalizeSpec = { kind: "none" } | { kind: "max" } | { kind: "some"; ppm: bigint };

/**
 * How the finalized range is split: where requests change side of the report's rate, as an honest
 * oracle does (each batch then locks exactly its payouts), or as one batch over the whole range
 * (`finalizationBatches = [last]`: a mixed range locks more than it pays, returned at claim time).
 */
export type Batching = "honest" | "single";

/** Invalid `finalizationBatches`, asserted to revert with the exact error. */
export type BatchProbe = "mismatch" | "tooMany" | "notAscending";

/**
 * A loss attributed to operator 0, a fraction `ppm` of the CL drop: per key (`keyLosses`, each key's
 * loss to date from `firstKey` on, as the oracle charges them; `staleKey` adds a key that owes
 * nothing more), or as the operator's total only (`perKey` false: allowed for losses not tied to a key).
 */
export interface LossSpec {
  ppm: bigint;
  perKey: boolean;
  firstKey: number;
  staleKey: boolean;
}

/** `keyLosses` breaking a rule, asserted to revert with the exact error. */
export type LossProbe = "mismatch" | "unlisted" | "notAscending" | "notDeposited" | "tooLarge";

export interface ReportSpec {
  frames: bigint;
  visiblePpm: bigint;
  cl: ClSpec;
  /** A validator exit: up to 32 ETH move from the CL balance to the withdrawal vault before the report. */
  exit: boolean;
  withdrawalPpm: bigint;
  elPpm: bigint;
  loss: LossSpec | null;
  bunker: boolean;
  /** Declare bunker mode when the report lowers the share rate, as an honest oracle does. */
  bunkerOnLoss: boolean;
  finalize: FinalizeSpec;
  batching: Batching;
  /** Also try to finalize one request too many (asserted to revert with the queue's exact error). */
  probeFinalize: boolean;
  batchProbe: BatchProbe | null;
  lossProbe: LossProbe | null;
  /** Also try one exit request more than the queue's demand allows (asserted to revert). */
  probeExits: boolean;
  /** Operator 0's exited count raised by up to this many keys (capped at its deposited keys); 0: no entry. */
  exitedKeys: bigint;
  exitedProbe: ExitedProbe | null;
}

/** `exitedKeys` breaking a rule, asserted to revert with the exact error. */
export type ExitedProbe = "notAscending" | "belowRecorded" | "aboveDeposited";

function describeReport(s: ReportSpec): string {
  const cl =
    s.cl.kind === "inRange" || s.cl.kind === "gain" || s.cl.kind === "penalty"
      ? `${s.cl.kind} ${Number(s.cl.ppm) / 1e4}%`
      : s.cl.kind === "flat"
        ? "flat"
        : `${s.cl.kind} by ${s.cl.extraGwei} gwei`;
  const parts = [
    `+${s.frames} frame(s)`,
    `visible ${Number(s.visiblePpm) / 1e4}%`,
    `CL ${cl}`,
    `withdrawal vault ${Number(s.withdrawalPpm) / 1e4}%`,
    `EL vault ${Number(s.elPpm) / 1e4}%`,
    `finalize ${s.finalize.kind === "some" ? `${Number(s.finalize.ppm) / 1e4}%` : s.finalize.kind} (${s.batching} batches)`,
  ];
  if (s.exit) parts.push("a validator exits");
  if (s.loss !== null) {
    const how = s.loss.perKey
      ? `per key from #${s.loss.firstKey}${s.loss.staleKey ? " + a stale key" : ""}`
      : "operator total";
    parts.push(`slashing ${Number(s.loss.ppm) / 1e4}% of the drop (${how})`);
  }
  if (s.bunker) parts.push("bunker");
  if (!s.bunkerOnLoss) parts.push("no bunker on a loss");
  if (s.probeFinalize) parts.push("probe finalization");
  if (s.batchProbe !== null) parts.push(`probe batches (${s.batchProbe})`);
  if (s.lossProbe !== null) parts.push(`probe key losses (${s.lossProbe})`);
  if (s.probeExits) parts.push("probe exit demand");
  if (s.exitedKeys > 0n) parts.push(`up to ${s.exitedKeys} key(s) reported exited`);
  if (s.exitedProbe !== null) parts.push(`probe exited keys (${s.exitedProbe})`);
  return `report(${parts.join(", ")})`;
}

/** AccountingOracle.MAX_FINALIZATION_BATCHES. */
const MAX_FINALIZATION_BATCHES = 32;
/** 32 ETH in gwei: the most a key can lose. */
const DEPOSIT_SIZE_GWEI = DEPOSIT_SIZE / GWEI;

/**
 * The honest oracle's batches (offchain/oracle/report.ts): the requests after the last finalized one
 * up to `lastId`, split where they change side of the rate (nominal iff ETH ≤ ⌊shares × rateRay / 1e27⌋);
 * at most 32 batches, the range ending early if it has more runs.
 */
export function honestBatches(m: ProtocolModel, lastId: number, rateEther: bigint, rateShares: bigint): number[] {
  const rateRay = rateRayOf(rateEther, rateShares);
  const ends: number[] = [];
  let side: boolean | null = null;
  for (let id = m.lastFinalizedId + 1; id <= lastId; id++) {
    const q = m.requests[id - 1];
    const nominal = q.amountOfEther <= (q.shares * rateRay) / RAY;
    if (nominal === side) ends[ends.length - 1] = id;
    else {
      if (ends.length === MAX_FINALIZATION_BATCHES) break;
      ends.push(id);
      side = nominal;
    }
  }
  return ends;
}

/** Operator 0's losses as a report names them: its total (operatorLossesGwei) and its keys' losses to date. */
interface LossPlan {
  lossGwei: bigint;
  keyLosses: { keyIndex: bigint; lossToDateGwei: bigint }[];
}

/**
 * Attributes `wantedGwei` to operator 0 as an honest oracle would: per key, each key taking what it
 * can still lose (32 ETH less what it was charged) from `firstKey` on, the operator's total being what
 * its keys owe; or as the total alone.
 */
function planLosses(m: ProtocolModel, wantedGwei: bigint, spec: LossSpec | null): LossPlan {
  if (spec === null || wantedGwei === 0n) return { lossGwei: 0n, keyLosses: [] };
  if (!spec.perKey || m.depositedValidators === 0n) return { lossGwei: wantedGwei, keyLosses: [] };
  const n = m.depositedValidators;
  const keyLosses: LossPlan["keyLosses"] = [];
  let left = wantedGwei;
  for (let i = 0n; i < n && left > 0n; i++) {
    const keyIndex = (BigInt(spec.firstKey) + i) % n;
    const charged = m.keyCharged.get(keyIndex) ?? 0n;
    const take = min(DEPOSIT_SIZE_GWEI - charged, left);
    if (take === 0n) continue;
    keyLosses.push({ keyIndex, lossToDateGwei: charged + take });
    left -= take;
  }
  if (spec.staleKey) {
    // A key charged before whose loss to date is now no higher (a top-up): it owes nothing.
    const stale = [...m.keyCharged.entries()].find(([k, c]) => c > 0n && !keyLosses.some((x) => x.keyIndex === k));
    if (stale !== undefined) keyLosses.push({ keyIndex: stale[0], lossToDateGwei: stale[1] - stale[1] / 3n });
  }
  keyLosses.sort((x, y) => (x.keyIndex < y.keyIndex ? -1 : 1));
  return { lossGwei: wantedGwei - left, keyLosses };
}

/**
 * The first error AccountingOracle._chargeKeyLosses raises for these fields (operator 0 only), or
 * null: entries strictly ascending, keys deposited, losses ≤ 32 ETH, and the operator's listed loss
 * (0: not listed) equal to Σ max(0, lossToDate − charged).
 */
function keyLossError(
  m: ProtocolModel,
  entries: bigint[],
  operatorIds: bigint[],
  lossesGwei: bigint[],
): { error: string; args: unknown[] } | null {
  let owed = 0n;
  for (let i = 0; i < entries.length; i++) {
    const key = entries[i] >> 64n;
    if (i !== 0 && key <= entries[i - 1] >> 64n) return { error: "KeyLossesNotAscending", args: [BigInt(i)] };
    const [keyIndex, loss] = [key & ((1n << 128n) - 1n), entries[i] & ((1n << 64n) - 1n)];
    if (keyIndex >= m.depositedValidators) return { error: "LossKeyNotDeposited", args: [OPERATOR_ID, keyIndex] };
    if (loss > DEPOSIT_SIZE_GWEI) return { error: "KeyLossTooLarge", args: [OPERATOR_ID, keyIndex, loss] };
    owed += max(0n, loss - (m.keyCharged.get(keyIndex) ?? 0n));
  }
  if (entries.length === 0) return null;
  const listed = operatorIds.indexOf(OPERATOR_ID);
  const reported = listed === -1 ? 0n : lossesGwei[listed];
  return reported === owed ? null : { error: "OperatorLossMismatch", args: [OPERATOR_ID, reported, owed] };
}

/**
 * `exitedKeys` of the report: operators whose count of exited validators grew, here operator 0's
 * raised by up to `more` keys, at most to its deposited keys (none when it cannot grow).
 */
function exitedKeysEntries(m: ProtocolModel, more: bigint): { entries: bigint[]; exitedKeys: bigint } {
  const exitedKeys = min(m.exitedKeys + more, m.depositedValidators);
  return exitedKeys > m.exitedKeys
    ? { entries: [exitedKeysEntry(OPERATOR_ID, exitedKeys)], exitedKeys }
    : { entries: [], exitedKeys: m.exitedKeys };
}

/**
 * After keys exited, their bond is free: withdrawBond lets operator 0 take exactly the bond shares
 * above ⌈bondPerValidator × active validators⌉ at the current rate (bondPerValidator read from the
 * chain, like the rest of the registry's bond side). Static calls: nothing changes.
 */
async function checkFreeBond(m: ProtocolModel, r: World, at: string): Promise<void> {
  const { registry, operator } = r.f;
  const required = m.toSharesUp((await registry.bondPerValidator()) * m.activeValidators());
  const free = m.bondShares > required ? m.bondShares - required : 0n;
  const withdraw = registry.connect(operator).withdrawBond;
  await expect(withdraw.staticCall(OPERATOR_ID, free + 1n, operator.address), `${at}: bond past the free part`)
    .to.be.revertedWithCustomError(registry, "BondLocked")
    .withArgs(OPERATOR_ID, free + 1n, free);
  if (free > 0n) await withdraw.staticCall(OPERATOR_ID, free, operator.address);
  record(free > 0n ? "exited keys' bond free" : "exited keys, no bond free");
}

/** The first line of an error's message (the decoded revert reason, for hardhat). */
function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

/**
 * An oracle report by the quorum, as an honest oracle computes it from the state at the reference slot
 * (rewards and vaults within the limits, losses per key, finalization as far as the buffer covers at
 * the post-report rate in batches, exits for the queue's shortfall up to the cap). Reports past a limit
 * or with invalid batches, key losses or exit counts are first asserted to revert with the exact
 * error. Then the first member votes, `actions` run (any user action: stakes, requests, claims,
 * instant redemptions, deposits, bond, vault ETH…), and the deciding vote must apply the report
 * (report liveness): the model applies it at that live state, as the contracts do.
 */
export class ReportCommand extends FuzzCommand {
  constructor(
    readonly spec: ReportSpec,
    readonly actions: FuzzCommand[] = [],
  ) {
    super();
  }
  toString(): string {
    const between = this.actions.length === 0 ? "" : ` with [${this.actions.map(String).join("; ")}] between the votes`;
    return `${describeReport(this.spec)}${between}`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const { f } = r;
    const s = this.spec;
    const limits = await f.oracle.getSanityLimits();

    // A validator exit: its balance leaves the CL side and arrives in the withdrawal vault.
    let exited = 0n;
    if (s.exit && m.clBalance > 0n) {
      exited = min(DEPOSIT_SIZE, m.clBalance);
      await mined(r.donor.sendTransaction({ to: await f.withdrawalVault.getAddress(), value: exited }));
      m.withdrawalVaultEth += exited;
    }
    const refSlot = await advanceFrames(hre.network.provider, f.oracle, s.frames);
    const refTime = await m.slotTimestamp(refSlot);
    if (exited > 0n) await checkStep(m, r, { kind: "none" }, `${this.toString()}: a validator exited`);

    // Fields inside the limits, from the state at the reference slot (now).
    const invisible = m.depositedValidators - m.clValidators;
    const numValidators = m.clValidators + (invisible * s.visiblePpm) / PPM;
    const preCL = m.clBalance + (numValidators - m.clValidators) * DEPOSIT_SIZE;
    const elapsed = (refSlot - m.lastRefSlot) * SECONDS_PER_SLOT;
    const maxGain = (limits.annualAprLimitBP * preCL * elapsed) / (SECONDS_PER_YEAR * TOTAL_BP);
    // The one-off drop limit holds whatever the report declares: bunker mode does not lift it (only
    // the credit of slashings proven on chain does; honest reports here stay within the limit).
    const maxDrop = (limits.clBalanceDropLimitBP * preCL) / TOTAL_BP;
    const withdrawalWanted = exited + ((m.withdrawalVaultEth - exited) * s.withdrawalPpm) / PPM;
    // The withdrawal vault counts with the CL balance in the APR check: at most preCL + maxGain of it.
    const withdrawal = min(min(withdrawalWanted, m.withdrawalVaultEth), preCL + maxGain);
    const el = (m.elRewardsVaultEth * s.elPpm) / PPM;
    const hiCl = preCL + maxGain - min(withdrawal, preCL + maxGain);
    const loCl = max(0n, preCL - maxDrop - min(withdrawal, preCL));
    const lo = ceilDiv(loCl, GWEI);
    const hi = hiCl / GWEI;
    const clamp = (g: bigint): bigint => max(lo, min(hi, g));
    let clGwei: bigint;
    switch (s.cl.kind) {
      case "inRange":
        clGwei = lo + ((hi - lo) * s.cl.ppm) / PPM;
        break;
      case "gain": {
        const flat = clamp((preCL - min(withdrawal, preCL)) / GWEI);
        clGwei = flat + ((max(hi, flat) - flat) * s.cl.ppm) / PPM;
        break;
      }
      case "penalty": {
        const flat = clamp((preCL - min(withdrawal, preCL)) / GWEI);
        clGwei = flat - ((flat - min(lo, flat)) * s.cl.ppm) / PPM;
        break;
      }
      default:
        clGwei = clamp((preCL - min(withdrawal, preCL)) / GWEI);
    }
    if (lo > hi) clGwei = lo; // an empty range (deep losses): asserted below like any report
    const clDropGwei = max(0n, preCL / GWEI - clGwei);
    const wantedLossGwei = s.loss === null || clDropGwei === 0n ? 0n : max(1n, (clDropGwei * s.loss.ppm) / PPM);
    const losses = planLosses(m, wantedLossGwei, s.loss);
    const fields: Partial<ReportFields> = {
      numValidators,
      clBalanceGwei: clGwei,
      withdrawalVaultBalance: withdrawal,
      elRewardsVaultBalance: el,
      isBunkerMode: s.bunker,
      operatorIdsWithLosses: losses.lossGwei > 0n ? [OPERATOR_ID] : [],
      operatorLossesGwei: losses.lossGwei > 0n ? [losses.lossGwei] : [],
      keyLosses: losses.keyLosses.map((k) => keyLossEntry(OPERATOR_ID, k.keyIndex, k.lossToDateGwei)),
    };
    let exitedReport = exitedKeysEntries(m, s.exitedKeys);
    if (s.exitedProbe === "belowRecorded" && m.exitedKeys > 0n) {
      // A count below the recorded one is no error but a no-op (a proof may have raised the count
      // ahead of the committee): the report carries it, applies, and the model's count stays.
      exitedReport = { entries: [exitedKeysEntry(OPERATOR_ID, m.exitedKeys - 1n)], exitedKeys: m.exitedKeys - 1n };
      record("exited keys below the recorded count (no-op)");
    }
    fields.exitedKeys = exitedReport.entries;
    if (exitedReport.entries.length > 0 && exitedReport.exitedKeys > m.exitedKeys)
      record(exitedReport.exitedKeys === m.depositedValidators ? "every key exited" : "keys exited");
    if (s.exitedProbe !== null) await this.probeExitedKeys(m, r, refSlot, fields, s.exitedProbe);
    if (losses.keyLosses.length > 0) record("losses per key");

    // Probes past the CL limits: the exact error, then the clamped report below.
    if (s.cl.kind === "aboveApr") {
      const g = hi + 1n + s.cl.extraGwei;
      const gain = g * GWEI + withdrawal - preCL;
      const apr = preCL * elapsed === 0n ? MAX_UINT256 : (gain * SECONDS_PER_YEAR * TOTAL_BP) / (preCL * elapsed);
      await this.probe(r, refSlot, { ...fields, clBalanceGwei: g }, "AnnualAprLimitExceeded", [
        apr,
        limits.annualAprLimitBP,
      ]);
    }
    // Below the drop limit: refused with or without bunker mode declared (the probe keeps the spec's flag).
    // With slashing credit from a proof (BeaconFacts.useSlashingCredit), a drop whose excess over the
    // limit exceeds the credit is refused with ClBalanceDropExceedsProvenSlashings (nothing drawn):
    // the probe drops lower until it does, or is skipped when no such CL balance exists.
    const credit = m.slashingCreditAt(refSlot);
    if (s.cl.kind === "belowDrop" && lo > 0n) {
      let g = lo - 1n - min(s.cl.extraGwei, lo - 1n);
      const excessOf = (gwei: bigint): bigint =>
        ceilDiv((preCL - (gwei * GWEI + withdrawal)) * TOTAL_BP - limits.clBalanceDropLimitBP * preCL, TOTAL_BP * GWEI);
      if (credit > 0n && excessOf(g) <= credit) g -= credit - excessOf(g) + 1n;
      const drop = preCL - (g * GWEI + withdrawal);
      const dropBP = ceilDiv(drop * TOTAL_BP, preCL);
      const probeFields = {
        ...fields,
        clBalanceGwei: g,
        operatorIdsWithLosses: [],
        operatorLossesGwei: [],
        keyLosses: [],
      };
      if (credit === 0n) {
        await this.probe(r, refSlot, probeFields, "ClBalanceDropLimitExceeded", [dropBP, limits.clBalanceDropLimitBP]);
      } else if (g >= 0n) {
        await this.probe(r, refSlot, probeFields, "ClBalanceDropExceedsProvenSlashings", [excessOf(g), credit]);
      }
    }

    // Finalization: the requests made by the reference slot whose lock (as one batch, as the queue's
    // findMaxRequestIdToFinalize prices it) the buffer covers after the report, at its rate.
    let bunker = s.bunker;
    const reportWith = (ends: number[]): ReportOutcome =>
      m.computeReport(
        refSlot,
        numValidators,
        clGwei,
        withdrawal,
        el,
        losses.lossGwei,
        losses.keyLosses,
        bunker,
        ends,
        limits.maxPositiveRebasePPB,
      );
    const base = reportWith([]);
    // An honest oracle also declares bunker mode when the report lowers the share rate (a loss the
    // bonds and the insurance fund do not cover), not only for a slashing whose penalty is ahead.
    const rateFalls = base.postTotalEther * base.preTotalShares < base.preTotalEther * base.postTotalShares;
    if (s.bunkerOnLoss && rateFalls && !bunker) {
      bunker = true;
      fields.isBunkerMode = true;
      record("bunker: the rate falls");
    }
    const eligible = m.requests.filter((q, k) => k >= m.lastFinalizedId && q.timestamp <= refTime).length;
    let maxId = m.lastFinalizedId;
    for (let id = m.lastFinalizedId + 1; id <= m.lastFinalizedId + eligible; id++) {
      if (m.previewFinalization(id, base.postTotalEther, base.postTotalShares) > base.available) break;
      maxId = id;
    }
    let lastId = 0;
    if (s.finalize.kind === "max") lastId = maxId;
    if (s.finalize.kind === "some") {
      lastId = m.lastFinalizedId + Number((BigInt(maxId - m.lastFinalizedId) * s.finalize.ppm) / PPM);
    }
    if (lastId === m.lastFinalizedId) lastId = 0;
    if (s.probeFinalize && !bunker && !this.held(m, refTime)) {
      await this.probeFinalization(m, r, refSlot, refTime, fields, base, maxId);
    }
    // A slashing proven after the reference slot holds finalization (the pool's check, after the oracle's).
    if (!bunker && lastId !== 0 && this.held(m, refTime)) {
      await this.probe(
        r,
        refSlot,
        { ...fields, lastRequestIdToFinalize: BigInt(lastId) },
        "FinalizationHeldBySlashingProof",
        [refTime, m.slashingHoldFrom],
        "pool",
      );
      lastId = 0;
    }
    if (bunker && lastId !== 0) {
      await this.probe(r, refSlot, { ...fields, lastRequestIdToFinalize: BigInt(lastId) }, "FinalizationInBunkerMode", [
        BigInt(lastId),
      ]);
      lastId = 0;
    }
    if (m.queuePaused && lastId !== 0) {
      await this.probe(
        r,
        refSlot,
        { ...fields, lastRequestIdToFinalize: BigInt(lastId) },
        "WithdrawalsPaused",
        [],
        "queue",
      );
      lastId = 0;
    }
    let ends: number[] = [];
    if (lastId !== 0) {
      const honest = honestBatches(m, lastId, base.postTotalEther, base.postTotalShares);
      if (s.batching === "honest") {
        ends = honest;
        lastId = ends[ends.length - 1];
        fields.finalizationBatches = ends.length > 1 ? ends.map(BigInt) : [];
        record(ends.length > 1 ? "honest batches (several)" : "honest batches (one)");
      } else {
        ends = [lastId];
        fields.finalizationBatches = [BigInt(lastId)];
        if (honest.length > 1) record("one batch over a mixed range");
      }
    }
    fields.lastRequestIdToFinalize = BigInt(lastId);
    if (s.batchProbe !== null) await this.probeBatches(m, r, refSlot, fields, s.batchProbe);
    if (s.lossProbe !== null) await this.probeLosses(m, r, refSlot, fields, s.lossProbe);

    // Exits: what the queue's shortfall after the report needs, net of the vault ETH it leaves for
    // later, up to the cap (offchain/oracle/exits.ts); the oracle allows up to its demand, ⌈unfinalized / 32 ETH⌉.
    const atRef = reportWith(ends);
    const unfinalizedAfter = m.unfinalizedEther() - atRef.finalizedNominal;
    const inflow = m.withdrawalVaultEth - atRef.withdrawalTaken + (m.elRewardsVaultEth - atRef.elTaken);
    const needed = exitsNeeded(unfinalizedAfter, atRef.available - atRef.lock, inflow);
    const exits = min(needed, limits.maxExitRequestsPerReport);
    const keys = (n: bigint): bigint[] =>
      Array.from({ length: Number(n) }, (_, i) => BigInt(i) % max(1n, m.depositedValidators));
    if (s.probeExits && m.depositedValidators > 0n) {
      const maxExits = ceilDiv(unfinalizedAfter, DEPOSIT_SIZE);
      const tooMany = maxExits + 1n;
      const probe = { ...fields, exitOperatorIds: keys(tooMany).map(() => OPERATOR_ID), exitKeyIndices: keys(tooMany) };
      if (tooMany > limits.maxExitRequestsPerReport) {
        await this.probe(r, refSlot, probe, "TooManyExitRequests", [tooMany, limits.maxExitRequestsPerReport]);
      } else await this.probe(r, refSlot, probe, "ExitRequestsExceedDemand", [tooMany, maxExits]);
    }
    if (m.depositedValidators > 0n) {
      fields.exitOperatorIds = keys(exits).map(() => OPERATOR_ID);
      fields.exitKeyIndices = keys(exits);
      if (exits > 0n) record("exit requests");
    }

    // The first vote, user actions, then the deciding vote: an honest report must apply.
    let data = buildReport(refSlot, fields);
    await mined(f.oracle.connect(f.oracleMembers[0]).submitReport(data));
    const bufferAtRef = m.bufferedEther();
    for (const action of this.actions) await action.run(m, r);
    setCurrentCommand(this.coverageKey());
    record(`${this.actions.length} action(s) between the votes`);
    if (exits > 0n && m.bufferedEther() > bufferAtRef) record("exit requests, the buffer grown between the votes");
    let voter = 1;
    if (ends.length > 0 && this.held(m, refTime)) {
      // A slashing proven between the votes, after the reference slot: the deciding vote's
      // finalization is held; the committee then agrees on the report without it.
      await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(data))
        .to.be.revertedWithCustomError(f.pool, "FinalizationHeldBySlashingProof")
        .withArgs(refTime, m.slashingHoldFrom);
      record("deciding vote → FinalizationHeldBySlashingProof, report voted again without finalization");
      ends = [];
      fields.lastRequestIdToFinalize = 0n;
      fields.finalizationBatches = [];
      data = buildReport(refSlot, fields);
      await mined(f.oracle.connect(f.oracleMembers[0]).submitReport(data));
      voter = 1;
    }
    const o = reportWith(ends);
    const before = r.last;
    let receipt: ContractTransactionReceipt;
    try {
      receipt = await mined(f.oracle.connect(f.oracleMembers[voter]).submitReport(data));
    } catch (e) {
      const actions = this.actions.length === 0 ? "none" : this.actions.map(String).join("; ");
      throw new Error(
        `report liveness: the honest report for slot ${refSlot} reverted at the deciding vote; actions between the votes: [${actions}]; ${firstLine(e)}`,
      );
    }
    expect(await f.oracle.getLastProcessedRefSlot(), "report liveness: the deciding vote applied the report").to.equal(
      refSlot,
    );
    const exitedBefore = m.exitedKeys;
    m.applyReport(o);
    if (m.slashingHold) record(this.held(m, refTime) ? "slashing hold: bunker kept on" : "slashing hold ended");
    m.applySlashingHold(refTime);
    if (exitedReport.entries.length > 0) m.reportExitedKeys(exitedReport.exitedKeys);
    const exitedEvents = receipt.logs.filter(
      (log) =>
        log.address.toLowerCase() === String(r.f.registry.target).toLowerCase() &&
        r.f.registry.interface.parseLog(log)?.name === "ExitedKeysReported",
    );
    expect(exitedEvents.length, "ExitedKeysReported only when the count rises").to.equal(
      m.exitedKeys > exitedBefore ? 1 : 0,
    );
    const after = await checkStep(
      m,
      r,
      { kind: "report" },
      `${this.toString()}: applied ${JSON.stringify(fields, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`,
    );
    for (const k of o.keyLosses) {
      expect(
        await f.oracle.keyLossChargedGwei(OPERATOR_ID, k.keyIndex),
        `keyLossChargedGwei(0, ${k.keyIndex}) vs model`,
      ).to.equal(m.keyCharged.get(k.keyIndex) ?? 0n);
    }

    if (exitedReport.entries.length > 0) await checkFreeBond(m, r, this.toString());
    this.checkEvents(m, r, receipt, o);
    checkReportRate(
      this.toString(),
      before.totalPooledEther,
      before.totalShares,
      o.postTotalEther,
      o.postTotalShares,
      after.totalPooledEther,
      after.totalShares,
      {
        maxGain,
        budget: (o.preTotalEther * limits.maxPositiveRebasePPB) / 1_000_000_000n,
        maxDrop,
        bondBurned: o.bondBurned,
      },
    );
    record(o.rewards > 0n ? "rewards" : o.postTotalEther < o.preTotalEther ? "loss" : "flat");
    for (const b of o.batches) record(b.nominal ? "batch finalized at nominal" : "batch finalized at the rate");
    if (o.bondBurned > 0n) record("bond burned");
    if (o.insuranceBurned > 0n) record("insurance burned");
    if (bunker) record("bunker");
  }

  /** Whether a proven slashing holds a report with reference slot time `refTime` (bunker on, no finalization). */
  private held(m: ProtocolModel, refTime: bigint): boolean {
    return m.slashingHold && refTime < m.slashingHoldFrom;
  }

  /**
   * Votes for `fields` with the quorum and asserts that the applying vote reverts with `error(args)`
   * (of the oracle, or of the queue); the chain must be unchanged.
   */
  private async probe(
    r: World,
    refSlot: bigint,
    fields: Partial<ReportFields>,
    error: string,
    args: unknown[],
    from: "oracle" | "queue" | "registry" | "pool" = "oracle",
  ): Promise<void> {
    const { f } = r;
    const data = buildReport(refSlot, fields);
    await mined(f.oracle.connect(f.oracleMembers[0]).submitReport(data));
    const contract = { oracle: f.oracle, queue: f.queue, registry: f.registry, pool: f.pool }[from];
    await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(data))
      .to.be.revertedWithCustomError(contract, error)
      .withArgs(...args);
    record(`probe → ${error}`);
  }

  /**
   * `exitedKeys` that break a rule: operator 0 twice (the oracle's ExitedKeysNotAscending at the
   * second entry), or a count above its deposited keys (the registry's InvalidExitedKeys). A count
   * below the recorded one is no error (the report itself carries it, see exec); with nothing recorded
   * yet that probe goes above instead.
   */
  private async probeExitedKeys(
    m: ProtocolModel,
    r: World,
    refSlot: bigint,
    fields: Partial<ReportFields>,
    kind: ExitedProbe,
  ): Promise<void> {
    const [exited, deposited] = [m.exitedKeys, m.depositedValidators];
    if (kind === "notAscending") {
      const entries = [exitedKeysEntry(OPERATOR_ID, exited), exitedKeysEntry(OPERATOR_ID, deposited)];
      await this.probe(r, refSlot, { ...fields, exitedKeys: entries }, "ExitedKeysNotAscending", [1n, OPERATOR_ID]);
      return;
    }
    if (kind === "belowRecorded" && exited > 0n) return; // a no-op, carried by the report itself
    const count = deposited + 1n;
    await this.probe(
      r,
      refSlot,
      { ...fields, exitedKeys: [exitedKeysEntry(OPERATOR_ID, count)] },
      "InvalidExitedKeys",
      [OPERATOR_ID, count, exited, deposited],
      "registry",
    );
  }

  /** One request past what can be finalized: the queue's exact error for why. */
  private async probeFinalization(
    m: ProtocolModel,
    r: World,
    refSlot: bigint,
    refTime: bigint,
    fields: Partial<ReportFields>,
    base: ReportOutcome,
    maxId: number,
  ): Promise<void> {
    const id = maxId + 1;
    const probe = { ...fields, lastRequestIdToFinalize: BigInt(id) };
    if (m.queuePaused) {
      await this.probe(r, refSlot, probe, "WithdrawalsPaused", [], "queue");
    } else if (id > m.requests.length) {
      const args = [BigInt(id), BigInt(m.lastFinalizedId), BigInt(m.requests.length)];
      await this.probe(r, refSlot, probe, "InvalidRequestIdToFinalize", args, "queue");
    } else if (m.requests[id - 1].timestamp > refTime) {
      await this.probe(
        r,
        refSlot,
        probe,
        "RequestAfterRefSlot",
        [BigInt(id), m.requests[id - 1].timestamp, refTime],
        "queue",
      );
    } else {
      const lock = m.previewFinalization(id, base.postTotalEther, base.postTotalShares);
      await this.probe(r, refSlot, probe, "FinalizationExceedsBuffer", [lock, base.available], "queue");
    }
  }

  /** `finalizationBatches` that break a rule: too many, not ending at the last request, or not ascending. */
  private async probeBatches(
    m: ProtocolModel,
    r: World,
    refSlot: bigint,
    fields: Partial<ReportFields>,
    kind: BatchProbe,
  ): Promise<void> {
    const lastId = fields.lastRequestIdToFinalize ?? 0n;
    const ends = fields.finalizationBatches ?? [];
    if (kind === "tooMany") {
      const batches = Array.from({ length: MAX_FINALIZATION_BATCHES + 1 }, (_, i) => BigInt(i + 1));
      await this.probe(r, refSlot, { ...fields, finalizationBatches: batches }, "TooManyFinalizationBatches", [
        BigInt(MAX_FINALIZATION_BATCHES + 1),
        BigInt(MAX_FINALIZATION_BATCHES),
      ]);
    } else if (kind === "mismatch") {
      // Last batch past the request named (with no finalization: batches without a request to finalize).
      const batches = [...ends.slice(0, -1), lastId === 0n ? BigInt(m.lastFinalizedId + 1) : lastId + 1n];
      const last = batches[batches.length - 1];
      await this.probe(r, refSlot, { ...fields, finalizationBatches: batches }, "FinalizationBatchesMismatch", [
        last,
        lastId,
      ]);
    } else if (lastId === 0n) {
      record("batch probe: nothing finalized");
    } else {
      // A batch end repeated: the queue refuses the second as not past the first.
      const dup = ends.length > 0 ? ends[0] : lastId;
      const batches = dup === lastId ? [lastId, lastId] : [dup, dup, lastId];
      await this.probe(
        r,
        refSlot,
        { ...fields, finalizationBatches: batches },
        "InvalidRequestIdToFinalize",
        [dup, dup, BigInt(m.requests.length)],
        "queue",
      );
    }
  }

  /** `keyLosses` that break a rule (or an operator loss that is not what its keys owe): the oracle's exact error. */
  private async probeLosses(
    m: ProtocolModel,
    r: World,
    refSlot: bigint,
    fields: Partial<ReportFields>,
    kind: LossProbe,
  ): Promise<void> {
    let entries = [...(fields.keyLosses ?? [])];
    let ids = [...(fields.operatorIdsWithLosses ?? [])];
    let lossesGwei = [...(fields.operatorLossesGwei ?? [])];
    if (entries.length === 0) {
      // No key loss in the report: name one key that owes 1 gwei more.
      const key = Array.from({ length: Number(m.depositedValidators) }, (_, i) => BigInt(i)).find(
        (k) => (m.keyCharged.get(k) ?? 0n) < DEPOSIT_SIZE_GWEI,
      );
      if (key === undefined) {
        record("loss probe: no key to name");
        return;
      }
      entries = [keyLossEntry(OPERATOR_ID, key, (m.keyCharged.get(key) ?? 0n) + 1n)];
    }
    const owed = (list: bigint[]): bigint =>
      sum(
        list.map((e) => max(0n, (e & ((1n << 64n) - 1n)) - (m.keyCharged.get((e >> 64n) & ((1n << 128n) - 1n)) ?? 0n))),
      );
    switch (kind) {
      case "mismatch":
        [ids, lossesGwei] = [[OPERATOR_ID], [owed(entries) + 1n]];
        break;
      case "unlisted":
        [ids, lossesGwei] = [[], []];
        break;
      case "notAscending":
        entries = [entries[0], ...entries];
        break;
      case "notDeposited":
        entries = [...entries, keyLossEntry(OPERATOR_ID, m.depositedValidators, 1n)];
        break;
      case "tooLarge": {
        const last = entries[entries.length - 1] >> 64n;
        entries = [...entries.slice(0, -1), (last << 64n) | (DEPOSIT_SIZE_GWEI + 1n)];
        break;
      }
    }
    const expected = keyLossError(m, entries, ids, lossesGwei);
    if (expected === null) {
      record(`loss probe (${kind}): nothing broken`);
      return;
    }
    const probe = { ...fields, keyLosses: entries, operatorIdsWithLosses: ids, operatorLossesGwei: lossesGwei };
    await this.probe(r, refSlot, probe, expected.error, expected.args);
  }

  /**
   * The report's events against the model: ReportApplied, WithdrawalsFinalized, KeyLossCharged, and
   * invariant 19: the fee shares are worth exactly feeBP of the rewards.
   */
  private checkEvents(m: ProtocolModel, r: World, receipt: ContractTransactionReceipt, o: ReportOutcome): void {
    const { pool, oracle, queue } = r.f;
    const minted = new Map<string, bigint>();
    let applied: unknown[] | null = null;
    let finalized: unknown[] | null = null;
    const charged: unknown[][] = [];
    for (const log of receipt.logs) {
      const address = log.address.toLowerCase();
      if (address === r.f.poolAddress.toLowerCase()) {
        const parsed = pool.interface.parseLog(log);
        if (parsed?.name === "TransferShares" && parsed.args[0] === ZeroAddress) {
          const to = String(parsed.args[1]);
          minted.set(to, (minted.get(to) ?? 0n) + BigInt(parsed.args[2] as bigint));
        }
      } else if (address === String(oracle.target).toLowerCase()) {
        const parsed = oracle.interface.parseLog(log);
        if (parsed?.name === "ReportApplied") applied = parsed.args.toArray();
        if (parsed?.name === "KeyLossCharged") charged.push(parsed.args.toArray());
      } else if (address === r.f.queueAddress.toLowerCase()) {
        const parsed = queue.interface.parseLog(log);
        if (parsed?.name === "WithdrawalsFinalized") finalized = parsed.args.toArray();
      }
    }
    const feeTotal = o.feeShares.treasury + o.feeShares.operators + o.feeShares.insurance;
    expect(applied, "ReportApplied vs model").to.deep.equal([
      o.refSlot,
      o.preTotalEther,
      o.finalTotalEther,
      o.preTotalShares,
      o.finalTotalShares,
      feeTotal,
    ]);
    if (o.batches.length === 0) expect(finalized, "no WithdrawalsFinalized").to.equal(null);
    else {
      const args = finalized as unknown[] | null;
      expect(args?.slice(0, 4), "WithdrawalsFinalized vs model").to.deep.equal([
        BigInt(o.batches[0].fromId),
        BigInt(o.batches[o.batches.length - 1].toId),
        o.lock,
        o.burn,
      ]);
    }
    expect(charged, "KeyLossCharged events vs model").to.deep.equal(
      o.keyLosses.filter((k) => k.owedGwei > 0n).map((k) => [OPERATOR_ID, k.keyIndex, k.lossToDateGwei, k.owedGwei]),
    );

    // 19. Fee shares minted to each recipient, exactly; their value at the post-report rate is the fee.
    const feeOf = (who: "treasury" | "registry" | "insurance"): bigint => minted.get(r.address(who)) ?? 0n;
    expect(
      [feeOf("treasury"), feeOf("registry"), feeOf("insurance")],
      "invariant 19: fee shares minted to treasury, operators (registry) and insurance fund vs model",
    ).to.deep.equal([o.feeShares.treasury, o.feeShares.operators, o.feeShares.insurance]);
    const feeWei = o.feeWei.treasury + o.feeWei.operators + o.feeWei.insurance;
    const expectedFee = (o.rewards * (m.fees.treasuryFeeBP + m.fees.operatorsFeeBP + m.fees.insuranceFeeBP)) / TOTAL_BP;
    expect(
      feeWei <= expectedFee && expectedFee - feeWei < 3n,
      `invariant 19: Σ fee parts ${feeWei} ≈ feeBP × rewards ${expectedFee} (< 3 wei of flooring)`,
    ).to.be.true;
    // F·S' − M·P' ∈ [0, 3·P'): the minted shares are worth the fee, less under one share per recipient.
    const gap = feeWei * o.postTotalShares - feeTotal * o.postTotalEther;
    expect(
      gap >= 0n && gap < 3n * o.postTotalEther,
      `invariant 19: fee shares ${feeTotal} worth ${feeWei} wei at ${o.postTotalEther}/${o.postTotalShares} (gap ${gap})`,
    ).to.be.true;
  }
}

// ──────────────────────────────── Governance ────────────────────────────────

export type PauseTarget = "pool" | "queue";

/** pause / resume by the pauser (pause) or governance (resume); sometimes by an actor without the role. */
export class PauseCommand extends FuzzCommand {
  constructor(
    readonly target: PauseTarget,
    readonly resume: boolean,
    readonly capabilities: number,
    readonly unauthorized: boolean,
  ) {
    super();
  }
  toString(): string {
    const what = this.target === "pool" ? `pool capabilities ${this.capabilities}` : "the queue";
    return `${this.resume ? "resume" : "pause"} ${what}${this.unauthorized ? " (by an actor without the role)" : ""}`;
  }
  protected coverageKey(): string {
    return `PauseCommand(${this.target}, ${this.resume ? "resume" : "pause"})`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const { f } = r;
    const signer = this.unauthorized ? r.actors[0] : this.resume ? f.admin : f.pauser;
    const failures: Failure[] = [];
    if (this.target === "pool") {
      const pool = f.pool;
      if (this.unauthorized) {
        const role = this.resume ? await pool.RESUME_ROLE() : await pool.PAUSE_ROLE();
        failures.push(failure(pool, "AccessControlUnauthorizedAccount", signer.address, role));
      } else if (this.capabilities === 0 || (this.capabilities & ~7) !== 0) {
        failures.push(failure(pool, "InvalidCapabilities", this.capabilities));
      }
      const tx = this.resume
        ? pool.connect(signer).resume(this.capabilities)
        : pool.connect(signer).pause(this.capabilities);
      const receipt = await send(m, this.unauthorized ? 0 : ACTORS, tx, failures);
      if (receipt !== null) {
        m.pausedCapabilities = this.resume
          ? m.pausedCapabilities & ~this.capabilities
          : m.pausedCapabilities | this.capabilities;
      }
    } else {
      const queue = f.queue;
      if (this.unauthorized) {
        const role = this.resume ? await queue.RESUME_ROLE() : await queue.PAUSE_ROLE();
        failures.push(failure(queue, "AccessControlUnauthorizedAccount", signer.address, role));
      }
      const tx = this.resume ? queue.connect(signer).resume() : queue.connect(signer).pause();
      const receipt = await send(m, this.unauthorized ? 0 : ACTORS, tx, failures);
      if (receipt !== null) m.queuePaused = !this.resume;
    }
    await checkStep(m, r, { kind: "none" }, this.toString());
  }
}

/** A governance parameter change (valid or out of its bounds, asserted to revert). */
export type ParamChange =
  | { kind: "fees"; treasuryBP: bigint; operatorsBP: bigint; insuranceBP: bigint }
  | { kind: "instant"; minFeeBP: bigint; maxFeeBP: bigint; frameCapBP: bigint }
  | { kind: "target"; targetBP: bigint }
  | { kind: "stakeLimit"; max: bigint; perBlock: bigint };

export class ParamsCommand extends FuzzCommand {
  constructor(readonly change: ParamChange) {
    super();
  }
  toString(): string {
    const c = this.change;
    switch (c.kind) {
      case "fees":
        return `setFees(${c.treasuryBP}, ${c.operatorsBP}, ${c.insuranceBP})`;
      case "instant":
        return `setInstantRedeemParams(${c.minFeeBP}, ${c.maxFeeBP}, ${c.frameCapBP})`;
      case "target":
        return `setInstantLiquidityTarget(${c.targetBP})`;
      case "stakeLimit":
        return `setStakeLimit(${c.max}, ${c.perBlock})`;
    }
  }
  protected coverageKey(): string {
    return `ParamsCommand(${this.change.kind})`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const { f } = r;
    const c = this.change;
    const failures: Failure[] = [];
    let tx: Promise<Sent>;
    switch (c.kind) {
      case "fees": {
        const total = c.treasuryBP + c.operatorsBP + c.insuranceBP;
        if (total > 2000n) failures.push(failure(f.oracle, "FeeTooHigh", total, 2000n));
        tx = f.oracle.connect(f.admin).setFees(c.treasuryBP, c.operatorsBP, c.insuranceBP);
        break;
      }
      case "instant":
        if (
          c.minFeeBP < 10n ||
          c.minFeeBP > c.maxFeeBP ||
          c.maxFeeBP > 1000n ||
          c.frameCapBP === 0n ||
          c.frameCapBP > 1000n
        ) {
          failures.push(failure(f.pool, "InvalidInstantRedeemParams", c.minFeeBP, c.maxFeeBP, c.frameCapBP));
        }
        tx = f.pool.connect(f.admin).setInstantRedeemParams(c.minFeeBP, c.maxFeeBP, c.frameCapBP);
        break;
      case "target":
        if (c.targetBP > 2000n) failures.push(failure(f.pool, "InvalidInstantLiquidityTarget", c.targetBP));
        tx = f.pool.connect(f.admin).setInstantLiquidityTarget(c.targetBP);
        break;
      case "stakeLimit": {
        const growth = c.perBlock === 0n ? 0n : c.max / c.perBlock;
        if (c.max > 10_000_000n * ETH || c.perBlock > c.max || growth > (1n << 24n) - 1n) {
          failures.push(failure(f.pool, "InvalidStakeLimit", c.max, c.perBlock));
        }
        tx = f.pool.connect(f.admin).setStakeLimit(c.max, c.perBlock);
        break;
      }
    }
    const block = (await latestBlock()).number + 1n;
    const receipt = await expectReceipt(tx, failures);
    if (receipt !== null) {
      switch (c.kind) {
        case "fees":
          m.fees = { treasuryFeeBP: c.treasuryBP, operatorsFeeBP: c.operatorsBP, insuranceFeeBP: c.insuranceBP };
          break;
        case "instant":
          m.instant = { minFeeBP: c.minFeeBP, maxFeeBP: c.maxFeeBP, frameCapBP: c.frameCapBP };
          break;
        case "target":
          m.liquidityTargetBP = c.targetBP;
          break;
        case "stakeLimit": {
          expect(BigInt(receipt.blockNumber), "block of the stake limit change").to.equal(block);
          const left = m.stakeLimit.max === 0n ? c.max : min(m.stakeLimitAt(block), c.max);
          m.stakeLimit = {
            max: c.max,
            growthBlocks: c.perBlock === 0n ? 0n : c.max / c.perBlock,
            prevLimit: left,
            prevBlock: block,
          };
          break;
        }
      }
    }
    await checkStep(m, r, { kind: "none" }, this.toString());
  }
}

// ──────────────────────────────── The wtpETH bridge ────────────────────────────────

/** The bridge's chains by index (BRIDGE_EIDS): 0 home, 1 L2, 2 L3. */
const CHAIN_NAMES = ["home", "L2", "L3"];
/** The OFTs' shared decimals are 6: amounts are sent in multiples of 10^12 wei, the rest (dust) stays. */
const DUST = 10n ** 12n;

/** The minimum received a bridge send asks for: none, exactly what is sent after dust, or one wei more. */
export type BridgeSlippage = "none" | "exact" | "one wei more";

/**
 * A wtpETH send over the bridge (issue 20) by the k-th holder on chain `src` (an actor; home: of
 * wtpETH, remote: of that chain's OFT) to actor `to` on chain `dst`, delivered by the endpoint mocks in
 * the same transaction: locked in the adapter or burnt at the source, unlocked or minted at the
 * destination. Amounts carry random dust below 10^12 wei, which stays with the sender. Refusals are
 * asserted in the contracts' order: no peer (a send to its own chain), slippage, pause, zero after
 * dust, the path's rate limit (the model decays it with the block time, pinned), then the balance.
 * A send to a paused chain would leave the message undelivered at the endpoint (the mock keeps it for
 * a retry): that command only checks the quote (fee and amount) and sends nothing.
 */
export class BridgeSendCommand extends FuzzCommand {
  constructor(
    readonly k: number,
    readonly src: number,
    readonly dst: number,
    readonly to: number,
    readonly amount: AmountSpec,
    readonly dust: bigint,
    readonly slippage: BridgeSlippage,
  ) {
    super();
  }
  toString(): string {
    const dust = this.dust === 0n ? "" : ` + ${this.dust} wei`;
    return `holder #${this.k} on ${CHAIN_NAMES[this.src]} bridges ${describeAmount(this.amount)}${dust} wtpETH to ${label(this.to)} on ${CHAIN_NAMES[this.dst]} (min received: ${this.slippage})`;
  }
  protected coverageKey(): string {
    return `BridgeSendCommand(${CHAIN_NAMES[this.src]}→${CHAIN_NAMES[this.dst]})`;
  }
  /** The actor's wtpETH on chain `c`, as the model has it. */
  private static balanceOn(m: ProtocolModel, c: number, i: number): bigint {
    return c === 0 ? m.wtp[i] : m.remote[c - 1][i];
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const holders = Array.from({ length: ACTORS }, (_, i) => i).filter(
      (i) => BridgeSendCommand.balanceOn(m, this.src, i) > 0n,
    );
    const from = holders.length === 0 ? this.k % ACTORS : holders[this.k % holders.length];
    const signer = r.actors[from];
    const oft = oftOf(r.f, this.src);
    const balance = BridgeSendCommand.balanceOn(m, this.src, from);
    const wanted = resolveAmount(this.amount, balance) + this.dust;
    const sent = (wanted / DUST) * DUST;
    const minAmount = this.slippage === "none" ? 0n : this.slippage === "exact" ? sent : sent + 1n;
    const param = sendParam(BRIDGE_EIDS[this.dst], r.addresses[this.to], wanted, minAmount);
    const fee = r.bridgeFees[this.src][this.dst];
    if (this.src === 0) {
      // The adapter pulls the wtpETH: approve it first (the model tracks the allowance).
      const adapter = r.index("adapter");
      if (m.allowance("wtp", from, adapter) < sent) {
        await sendOk(m, from, r.f.wrapper.connect(signer).approve(r.addresses[adapter], sent));
        m.setAllowance("wtp", from, adapter, sent);
      }
    }
    // Pin the block time so that the model knows how much of the path's limit has come back.
    const now = (await latestBlock()).timestamp + 1n;
    await hre.network.provider.send("evm_setNextBlockTimestamp", [Number(now)]);
    const { available } = m.pathAvailable(this.src, this.dst, now);

    const failures: Failure[] = [];
    if (this.src === this.dst) failures.push(failure(oft, "NoPeer", BRIDGE_EIDS[this.dst]));
    else if (sent < minAmount) failures.push(failure(oft, "SlippageExceeded", sent, minAmount));
    else if (m.bridgePaused[this.src]) failures.push(failure(oft, "EnforcedPause"));
    else if (sent === 0n) failures.push(failure(oft, "ZeroAmount"));
    else if (sent > available) failures.push(failure(oft, "RateLimitExceeded", BRIDGE_EIDS[this.dst], sent, available));
    else if (sent > balance) {
      const token = this.src === 0 ? r.f.wrapper : oft;
      failures.push(failure(token, "ERC20InsufficientBalance", signer.address, balance, sent));
    }
    if (failures.length === 0 && m.bridgePaused[this.dst]) {
      // Undeliverable while the destination is paused: the quote only (the block time pin is unused).
      const quote = await oft.quoteSend(param, false);
      expect(quote.nativeFee, `${this.toString()}: the quoted fee`).to.equal(fee);
      const [, , receipt] = await oft.quoteOFT(param);
      expect(receipt.amountSentLD, `${this.toString()}: the quoted amount sent (dust removed)`).to.equal(sent);
      expect(receipt.amountReceivedLD, `${this.toString()}: the quoted amount received`).to.equal(sent);
      record("destination paused: quoted only");
    } else {
      const tx = oft.connect(signer).send(param, { nativeFee: fee, lzTokenFee: 0n }, signer.address, { value: fee });
      const receipt = await send(m, from, tx, failures);
      if (receipt !== null) {
        expect(await blockTime(receipt), `${this.toString()}: the pinned block time`).to.equal(now);
        m.eth[from] -= fee;
        m.bridgeSend(from, this.src, this.to, this.dst, sent, now);
        if (this.src === 0) m.spendAllowance("wtp", from, r.index("adapter"), sent);
      }
    }
    await checkStep(m, r, { kind: "none" }, this.toString());
  }
}

/**
 * Pauses (the pauser) or unpauses (the owner) the bridge on one chain; sometimes an actor without the
 * role tries (NotPauser / OwnableUnauthorizedAccount). Pausing a paused chain or unpausing a running
 * one reverts (EnforcedPause / ExpectedPause).
 */
export class BridgePauseCommand extends FuzzCommand {
  constructor(
    readonly chain: number,
    readonly resume: boolean,
    readonly unauthorized: boolean,
  ) {
    super();
  }
  toString(): string {
    const who = this.unauthorized ? " (by an actor without the role)" : "";
    return `${this.resume ? "unpause" : "pause"} the bridge on ${CHAIN_NAMES[this.chain]}${who}`;
  }
  protected coverageKey(): string {
    return `BridgePauseCommand(${this.resume ? "unpause" : "pause"})`;
  }
  protected async exec(m: ProtocolModel, r: World): Promise<void> {
    const oft = oftOf(r.f, this.chain);
    const signer = this.unauthorized ? r.actors[0] : this.resume ? r.f.admin : r.f.pauser;
    const failures: Failure[] = [];
    if (this.unauthorized && this.resume) failures.push(failure(oft, "OwnableUnauthorizedAccount", signer.address));
    else if (this.unauthorized) failures.push(failure(oft, "NotPauser", signer.address));
    else if (this.resume && !m.bridgePaused[this.chain]) failures.push(failure(oft, "ExpectedPause"));
    else if (!this.resume && m.bridgePaused[this.chain]) failures.push(failure(oft, "EnforcedPause"));
    const tx = this.resume ? oft.connect(signer).unpause() : oft.connect(signer).pause();
    const receipt = await send(m, this.unauthorized ? 0 : ACTORS, tx, failures);
    if (receipt !== null) m.bridgePaused[this.chain] = !this.resume;
    await checkStep(m, r, { kind: "none" }, this.toString());
  }
}

// ──────────────────────────────── Arbitraries ────────────────────────────────

const ppmArb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0n) },
  { weight: 1, arbitrary: fc.constant(PPM) },
  { weight: 4, arbitrary: fc.bigInt(0n, PPM) },
);

const actorArb = fc.integer({ min: 0, max: ACTORS - 1 });

function actorRefArb(holderOf: "tpETH" | "wtpETH" | "request"): fc.Arbitrary<ActorRef> {
  return fc.oneof(
    { weight: 1, arbitrary: actorArb.map((i): ActorRef => i) },
    { weight: 3, arbitrary: fc.nat(20).map((k): ActorRef => ({ holderOf, k })) },
  );
}

/** Mostly actors; sometimes the outsider, the bootstrap holder or an address the tokens refuse. */
const receiverArb: fc.Arbitrary<Who> = fc.oneof(
  { weight: 12, arbitrary: actorArb.map((i): Who => i) },
  { weight: 3, arbitrary: fc.constantFrom<Who>("outsider", "wrapper", "pool", "zero", "dead", "queue") },
);

/**
 * Request amounts: mostly a real part of the holding (1–100%, or all of it) so that requests go
 * through and reach finalization and claims; a fifth of the time any amount spec, edge cases included.
 */
const requestAmountArb: fc.Arbitrary<AmountSpec> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.integer({ min: 10_000, max: 1_000_000 }).map((ppm): AmountSpec => ({ kind: "fraction", ppm })),
  },
  { weight: 2, arbitrary: fc.constant<AmountSpec>({ kind: "all" }) },
  { weight: 2, arbitrary: amountSpecArb },
);

/** Stake amounts: 0 and dust (must revert or mint little), small, and up to 40 ETH. */
const stakeAmountArb: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(0n, 1n) },
  { weight: 1, arbitrary: fc.bigInt(1n, 10n ** 12n) },
  { weight: 6, arbitrary: fc.bigInt(1n, 40n * ETH) },
);

const clSpecArb: fc.Arbitrary<ClSpec> = fc.oneof(
  { weight: 2, arbitrary: fc.bigInt(0n, PPM).map((ppm): ClSpec => ({ kind: "inRange", ppm })) },
  { weight: 5, arbitrary: fc.bigInt(0n, PPM).map((ppm): ClSpec => ({ kind: "gain", ppm })) },
  { weight: 2, arbitrary: fc.bigInt(0n, PPM / 20n).map((ppm): ClSpec => ({ kind: "penalty", ppm })) },
  // Deeper drops, up to the limit: beyond what the insurance fund covers, the rate falls (bunker mode
  // for an honest oracle), and requests made before it are later paid by their shares.
  { weight: 3, arbitrary: fc.bigInt(0n, PPM).map((ppm): ClSpec => ({ kind: "penalty", ppm })) },
  { weight: 2, arbitrary: fc.constant<ClSpec>({ kind: "flat" }) },
  { weight: 1, arbitrary: fc.bigInt(0n, 10n ** 9n).map((extraGwei): ClSpec => ({ kind: "aboveApr", extraGwei })) },
  { weight: 1, arbitrary: fc.bigInt(0n, 10n ** 9n).map((extraGwei): ClSpec => ({ kind: "belowDrop", extraGwei })) },
);

const finalizeArb: fc.Arbitrary<FinalizeSpec> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<FinalizeSpec>({ kind: "none" }) },
  { weight: 3, arbitrary: fc.constant<FinalizeSpec>({ kind: "max" }) },
  { weight: 2, arbitrary: fc.bigInt(0n, PPM).map((ppm): FinalizeSpec => ({ kind: "some", ppm })) },
);

const lossSpecArb: fc.Arbitrary<LossSpec> = fc.record({
  ppm: fc.oneof(fc.bigInt(1n, PPM), fc.constant(PPM)),
  perKey: fc.integer({ min: 0, max: 3 }).map((n) => n !== 0),
  firstKey: fc.nat(40),
  staleKey: fc.boolean(),
});

/** One probe in a few reports; none in most. */
function rarely<T>(arb: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });
}

export const reportSpecArb: fc.Arbitrary<ReportSpec> = fc.record({
  frames: fc.bigInt(1n, 2n),
  visiblePpm: fc.oneof({ weight: 3, arbitrary: fc.constant(PPM) }, { weight: 1, arbitrary: ppmArb }),
  cl: clSpecArb,
  exit: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  withdrawalPpm: ppmArb,
  elPpm: ppmArb,
  loss: rarely(lossSpecArb, 4),
  bunker: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
  bunkerOnLoss: fc.integer({ min: 0, max: 3 }).map((n) => n !== 0),
  finalize: finalizeArb,
  batching: fc.constantFrom<Batching>("honest", "single"),
  probeFinalize: fc.integer({ min: 0, max: 2 }).map((n) => n === 0),
  batchProbe: rarely(fc.constantFrom<BatchProbe>("mismatch", "tooMany", "notAscending"), 6),
  lossProbe: rarely(
    fc.constantFrom<LossProbe>("mismatch", "mismatch", "unlisted", "notAscending", "notDeposited", "tooLarge"),
    6,
  ),
  probeExits: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  exitedKeys: fc.oneof({ weight: 3, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.bigInt(1n, 3n) }),
  exitedProbe: rarely(fc.constantFrom<ExitedProbe>("notAscending", "belowRecorded", "aboveDeposited"), 6),
});

const paramChangeArb: fc.Arbitrary<ParamChange> = fc.oneof(
  fc
    .tuple(fc.bigInt(0n, 1000n), fc.bigInt(0n, 800n), fc.bigInt(0n, 500n))
    .map(([t, o, i]): ParamChange => ({ kind: "fees", treasuryBP: t, operatorsBP: o, insuranceBP: i })),
  fc
    .tuple(fc.bigInt(0n, 400n), fc.bigInt(0n, 1100n), fc.bigInt(0n, 1100n))
    .map(([a, b, cap]): ParamChange => ({ kind: "instant", minFeeBP: a, maxFeeBP: a + b, frameCapBP: cap })),
  fc.bigInt(0n, 2100n).map((targetBP): ParamChange => ({ kind: "target", targetBP })),
  fc.oneof(
    fc.constant<ParamChange>({ kind: "stakeLimit", max: 0n, perBlock: 0n }),
    fc
      .tuple(fc.bigInt(1n, 200n), fc.bigInt(0n, 100n))
      .map(([maxEth, per]): ParamChange => ({ kind: "stakeLimit", max: maxEth * ETH, perBlock: (per * ETH) / 10n })),
  ),
);

/** The protocol's own contracts, which refuse to receive redemptions, claims and requests. */
const protocolArb = fc.constantFrom<Who>("pool", "wrapper", "queue");

/** Claim and instant-redemption recipients: mostly actors; sometimes the outsider, zero or a protocol contract. */
const ethRecipientArb: fc.Arbitrary<Who> = fc.oneof(
  { weight: 12, arbitrary: actorArb.map((i): Who => i) },
  { weight: 2, arbitrary: fc.constant<Who>("outsider") },
  { weight: 1, arbitrary: fc.constant<Who>("zero") },
  { weight: 2, arbitrary: protocolArb },
);

/** Request owners and NFT targets: mostly actors, sometimes a protocol contract (refused). */
const requestOwnerArb: fc.Arbitrary<Who> = fc.oneof(
  { weight: 8, arbitrary: actorArb.map((i): Who => i) },
  { weight: 1, arbitrary: protocolArb },
);

/**
 * The user actions: what anyone may do at any time, between a report's votes too; `weight` as a
 * command of its own, `between` among the actions between a report's votes (where what moves the
 * buffer, the queue and the vaults matters most).
 */
function userActionArbs(): { weight: number; between: number; arbitrary: fc.Arbitrary<FuzzCommand> }[] {
  const keyArb = fc.nat({ max: 15 });
  const proveSlashed = fc
    .tuple(keyArb, fc.constantFrom(32_000_000_000n, 31_250_000_000n, 16_000_000_000n))
    .map(([k, eb]): FuzzCommand => new ProveSlashedCommand(k, eb));
  const proveExited = keyArb.map((k): FuzzCommand => new ProveExitedCommand(k));
  const forged = fc
    .tuple(
      fc.constantFrom<ForgedProof>(
        "tampered",
        "otherPubkey",
        "wrongIndex",
        "notDeposited",
        "replaySlashed",
        "replayExited",
      ),
      keyArb,
    )
    .map(([kind, k]): FuzzCommand => new ForgedProofCommand(kind, k));
  const tp = actorRefArb("tpETH");
  const wtp = actorRefArb("wtpETH");
  const stake = fc
    .tuple(actorArb, stakeAmountArb, fc.constantFrom<StakeRoute>("stake", "plain ETH", "ETH to the wrapper"))
    .map(([a, amount, route]): FuzzCommand => new StakeCommand(a, amount, route));
  const bond = fc
    .tuple(
      actorArb,
      fc.oneof({ weight: 1, arbitrary: fc.constant(0n) }, { weight: 5, arbitrary: fc.bigInt(1n, 8n * ETH) }),
    )
    .map(([a, amount]): FuzzCommand => new BondDepositCommand(a, amount));
  const transfer = fc
    .tuple(tp, receiverArb, amountSpecArb, fc.boolean())
    .map(([a, to, amount, byShares]): FuzzCommand => new TransferCommand(a, to, amount, byShares));
  const wrap = fc.tuple(tp, amountSpecArb).map(([a, amount]): FuzzCommand => new WrapCommand(a, amount, false));
  const unwrap = fc.tuple(wtp, amountSpecArb).map(([a, amount]): FuzzCommand => new WrapCommand(a, amount, true));
  const wtpTransfer = fc
    .tuple(wtp, receiverArb, amountSpecArb)
    .map(([a, to, amount]): FuzzCommand => new WtpTransferCommand(a, to, amount));
  const permit = fc
    .tuple(fc.constantFrom<"tpETH" | "wtpETH">("tpETH", "wtpETH"), tp, actorArb, receiverArb, amountSpecArb)
    .chain(([token, o, s, to, amount]) =>
      fc
        .integer({ min: 0, max: 4 })
        .map(
          (n): FuzzCommand =>
            new PermitTransferCommand(
              token,
              token === "wtpETH" && typeof o !== "number" ? { holderOf: "wtpETH", k: o.k } : o,
              s,
              to,
              amount,
              n === 0,
            ),
        ),
    );
  const request = fc
    .tuple(
      fc.boolean(),
      fc.nat(20),
      fc.array(requestAmountArb, { minLength: 1, maxLength: 3 }),
      fc.option(requestOwnerArb, { freq: 4 }),
      fc.constantFrom<RequestApproval>("exact", "exact", "exact", "short by 1", "permit", "permit", "expired permit"),
    )
    .map(
      ([wrapped, k, amounts, owner, approval]): FuzzCommand =>
        new RequestCommand({ holderOf: wrapped ? "wtpETH" : "tpETH", k }, wrapped, amounts, owner, approval),
    );
  const bankRun = fc
    .tuple(fc.integer({ min: 300_000, max: 1_000_000 }), fc.integer({ min: 0, max: 3 }))
    .map(([ppm, n]): FuzzCommand => new BankRunCommand(ppm, n === 0));
  const nft = fc
    .tuple(fc.nat(50), requestOwnerArb, fc.integer({ min: 0, max: 4 }))
    .map(([k, to, n]): FuzzCommand => new NftTransferCommand(k, to, n !== 0));
  const claim = fc
    .tuple(
      fc.constantFrom<ClaimMode>("single", "batch", "to recipient"),
      fc.array(fc.nat(50), { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 0, max: 5 }),
      ethRecipientArb,
      fc.integer({ min: 0, max: 3 }),
    )
    .map(([mode, ks, n, to, c]): FuzzCommand => new ClaimCommand(mode, ks, n !== 0, to, c !== 0));
  const redeem = fc
    .tuple(
      tp,
      amountSpecArb,
      ethRecipientArb,
      fc.constantFrom<Slippage>("exact", "exact", "none", "one wei more"),
      fc.constantFrom(1, 1, 1, 2, 3),
    )
    .map(([a, amount, to, slip, parts]): FuzzCommand => new InstantRedeemCommand(a, amount, to, slip, parts));
  const deposit = fc.oneof(fc.bigInt(1n, 3n), fc.constant<"max">("max")).map((n): FuzzCommand => new DepositCommand(n));
  const donation = fc
    .tuple(
      fc.constantFrom<VaultKind>("withdrawal", "elRewards"),
      fc.oneof(fc.bigInt(GWEI, ETH / 100n), fc.bigInt(GWEI, ETH)),
    )
    .map(([vault, amount]): FuzzCommand => new VaultDonationCommand(vault, amount));
  // Bridge sends start at home most often (remote balances come from there); now and then to the
  // sending chain itself (NoPeer).
  const chainArb = fc.constantFrom(0, 0, 0, 1, 1, 2);
  const bridgeSend = fc
    .tuple(
      fc.nat(20),
      chainArb,
      fc.integer({ min: 0, max: 9 }),
      actorArb,
      requestAmountArb,
      fc.oneof(fc.constant(0n), fc.bigInt(1n, 10n ** 12n - 1n)),
      fc.constantFrom<BridgeSlippage>("none", "none", "none", "exact", "exact", "one wei more"),
    )
    .map(([k, src, d, to, amount, dust, slippage]): FuzzCommand => {
      const dst = d === 0 ? src : (src + 1 + (d % 2)) % 3;
      return new BridgeSendCommand(k, src, dst, to, amount, dust, slippage);
    });
  // Unpauses outnumber pauses two to one, so that the bridge mostly runs.
  const bridgePause = fc
    .tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 5 }))
    .map(([chain, resume, n]): FuzzCommand => new BridgePauseCommand(chain, resume !== 0, n === 0));
  return [
    { weight: 2, between: 4, arbitrary: stake },
    { weight: 1, between: 1, arbitrary: transfer },
    { weight: 1, between: 1, arbitrary: wrap },
    { weight: 1, between: 1, arbitrary: unwrap },
    { weight: 1, between: 1, arbitrary: wtpTransfer },
    { weight: 1, between: 1, arbitrary: permit },
    { weight: 3, between: 3, arbitrary: request },
    { weight: 1, between: 1, arbitrary: bankRun },
    { weight: 1, between: 1, arbitrary: nft },
    { weight: 2, between: 2, arbitrary: claim },
    { weight: 1, between: 2, arbitrary: redeem },
    { weight: 2, between: 2, arbitrary: deposit },
    { weight: 1, between: 2, arbitrary: donation },
    { weight: 1, between: 2, arbitrary: bond },
    { weight: 1, between: 2, arbitrary: proveSlashed },
    { weight: 1, between: 1, arbitrary: proveExited },
    { weight: 1, between: 1, arbitrary: forged },
    { weight: 2, between: 1, arbitrary: bridgeSend },
    { weight: 1, between: 1, arbitrary: bridgePause },
  ];
}

/** Up to this many user actions run between a report's first and deciding votes. */
const MAX_ACTIONS_BETWEEN_VOTES = 6;

/**
 * The command arbitraries (fc.commands picks uniformly among them: each user action is listed as
 * often as its weight; reports carry 0–6 user actions of their own, run between their votes).
 */
export function fuzzCommandArbs(): fc.Arbitrary<fc.AsyncCommand<ProtocolModel, World>>[] {
  const actions = userActionArbs();
  const report = fc
    .tuple(
      reportSpecArb,
      // Mostly a few: each one costs a full step; now and then the most.
      fc
        .oneof(
          { weight: 3, arbitrary: fc.integer({ min: 0, max: 2 }) },
          { weight: 1, arbitrary: fc.integer({ min: 3, max: MAX_ACTIONS_BETWEEN_VOTES }) },
        )
        .chain((n) =>
          fc.array(fc.oneof(...actions.map(({ between, arbitrary }) => ({ weight: between, arbitrary }))), {
            minLength: n,
            maxLength: n,
          }),
        ),
    )
    .map(([spec, between]) => new ReportCommand(spec, between));
  // Resumes outnumber pauses two to one and mostly resume everything, so that a run spends most of
  // its steps unpaused (a paused protocol only exercises the refusals).
  const pause = fc
    .tuple(
      fc.constantFrom<PauseTarget>("pool", "pool", "queue"),
      fc.integer({ min: 0, max: 2 }).map((n) => n !== 0),
      fc.integer({ min: 0, max: 8 }),
      fc.integer({ min: 0, max: 5 }),
    )
    .map(([target, resume, caps, n]) => new PauseCommand(target, resume, resume && caps % 3 !== 0 ? 7 : caps, n === 0));
  const params = paramChangeArb.map((c) => new ParamsCommand(c));
  return [
    ...actions.flatMap(({ weight, arbitrary }) => Array<fc.Arbitrary<FuzzCommand>>(weight).fill(arbitrary)),
    report,
    report,
    report,
    report,
    pause,
    params,
  ];
}

export { CAP_STAKING, CAP_INSTANT_REDEEM, CAP_DEPOSITS };
