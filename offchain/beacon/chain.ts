/**
 * A local beacon chain for development: validator records made from the execution chain's deposits,
 * balances that grow at a configurable APR, injected slashings and exits, and the withdrawals the
 * chain would pay (skimmed rewards, exited balances). It is a model of the consensus rules the
 * oracle depends on, not a consensus client: there are no blocks, attestations or committees.
 *
 * Time is the beacon chain's (slots of `secondsPerSlot`, 12 s by default, and 32-slot epochs). Balances change at epoch transitions; the
 * state of slot `s` is the state after the transition into `epoch(s)`. Every epoch's state is kept for
 * `historyEpochs`, so the oracle can read the state of its reference slot and of the previous one.
 */
import { getBytes, hexlify } from "ethers";
import { verifyDepositSignature } from "../keys/bls";
import { DEPOSIT_AMOUNT_GWEI } from "../keys/deposit";

/** Mainnet's seconds per slot: the default of `BeaconChainConfig.secondsPerSlot`. */
export const MAINNET_SECONDS_PER_SLOT = 12n;
export const SLOTS_PER_EPOCH = 32n;
/** FAR_FUTURE_EPOCH (consensus specs): 2^64 − 1. */
export const FAR_FUTURE_EPOCH = 2n ** 64n - 1n;
/** MAX_EFFECTIVE_BALANCE for 0x01 credentials, in gwei. */
export const MAX_EFFECTIVE_BALANCE_GWEI = DEPOSIT_AMOUNT_GWEI;
const SECONDS_PER_YEAR = 365n * 24n * 3600n;
const GWEI_PER_ETH = 1_000_000_000n;

/** The status names of the Beacon API (validator status specification). */
export type ValidatorStatus =
  | "pending_initialized"
  | "pending_queued"
  | "active_ongoing"
  | "active_exiting"
  | "active_slashed"
  | "exited_unslashed"
  | "exited_slashed"
  | "withdrawal_possible"
  | "withdrawal_done";

export interface BeaconChainConfig {
  genesisTime: bigint;
  /** SECONDS_PER_SLOT: 12 on mainnet; a devnet following the wall clock uses 1 or 2. */
  secondsPerSlot: bigint;
  /** GENESIS_FORK_VERSION: deposits must be signed for it (0x00000000 as on mainnet by default). */
  genesisForkVersion: string;
  /**
   * CAPELLA_FORK_VERSION: voluntary exits are signed for it since Deneb (EIP-7044), with the genesis
   * validators root the Beacon API serves (zero: the model has no genesis state).
   */
  capellaForkVersion: string;
  /** Consensus-layer reward rate of an active validator, in basis points a year. */
  rewardAprBP: bigint;
  /** Epochs from a deposit's inclusion to activation (the real chain: eligibility + churn queue). */
  activationDelayEpochs: bigint;
  /** SHARD_COMMITTEE_PERIOD: epochs a validator must have been active before it may exit (256). */
  shardCommitteePeriodEpochs: bigint;
  /** Epochs from a voluntary exit or a slashing to the exit epoch (MAX_SEED_LOOKAHEAD + 1 = 5). */
  exitDelayEpochs: bigint;
  /** MIN_VALIDATOR_WITHDRAWABILITY_DELAY: epochs from exit to withdrawable (256). */
  withdrawabilityDelayEpochs: bigint;
  /** EPOCHS_PER_SLASHINGS_VECTOR (8192): a slashed validator is withdrawable that long after it. */
  epochsPerSlashingsVector: bigint;
  /** MIN_SLASHING_PENALTY_QUOTIENT (Electra: 4096): the initial penalty is effective / this. */
  minSlashingPenaltyQuotient: bigint;
  /** How often the withdrawal sweep pays excess and withdrawable balances, in epochs. */
  sweepIntervalEpochs: bigint;
  /** Epoch states kept for queries about the past. */
  historyEpochs: bigint;
}

export const DEFAULT_BEACON_CONFIG: Omit<BeaconChainConfig, "genesisTime"> = {
  secondsPerSlot: MAINNET_SECONDS_PER_SLOT,
  genesisForkVersion: "0x00000000",
  capellaForkVersion: "0x03000000",
  rewardAprBP: 300n,
  activationDelayEpochs: 5n,
  shardCommitteePeriodEpochs: 256n,
  exitDelayEpochs: 5n,
  withdrawabilityDelayEpochs: 256n,
  epochsPerSlashingsVector: 8192n,
  minSlashingPenaltyQuotient: 4096n,
  sweepIntervalEpochs: 75n,
  historyEpochs: 2048n,
};

/** A validator as the beacon state holds it, plus the simulator's bookkeeping. */
export interface Validator {
  index: number;
  pubkey: string; // 0x…, 48 bytes, lower case
  withdrawalCredentials: string; // 0x…, 32 bytes
  effectiveBalanceGwei: bigint;
  balanceGwei: bigint;
  slashed: boolean;
  activationEligibilityEpoch: bigint;
  activationEpoch: bigint;
  exitEpoch: bigint;
  withdrawableEpoch: bigint;
  /** Correlation penalty still to apply at the middle of the slashings vector (simulator-only). */
  pendingCorrelationPenaltyGwei: bigint;
}

/** One deposit as the deposit contract's `DepositEvent` carries it. */
export interface DepositEventData {
  pubkey: string;
  withdrawalCredentials: string;
  amountGwei: bigint;
  signature: string;
}

/** ETH the consensus layer pays to an execution-layer address (EIP-4895 withdrawals), in gwei. */
export interface Withdrawal {
  epoch: bigint;
  validatorIndex: number;
  address: string; // checksum-free lower case
  amountGwei: bigint;
}

/** An EIP-7002 withdrawal request as the execution payload carries it (a dequeued request). */
export interface WithdrawalRequest {
  sourceAddress: string; // 0x…, 20 bytes: the caller of the EIP-7002 predeploy
  pubkey: string; // 0x…, 48 bytes
  amountGwei: bigint; // 0: a full exit
}

/**
 * What `applyWithdrawalRequests` did with a request. The consensus layer ignores a request that fails
 * a check without a trace; the reason is the simulator's, for logs and tests.
 */
export type WithdrawalRequestOutcome =
  | "exit_initiated"
  | "partial_ignored" // amount > 0: partial withdrawals are not modelled
  | "unknown_pubkey"
  | "wrong_credentials" // not 0x01/0x02, or another address than the request's source
  | "not_active"
  | "already_exiting"
  | "too_young"; // active for less than SHARD_COMMITTEE_PERIOD

export interface EpochState {
  epoch: bigint;
  validators: readonly Validator[];
}

/** The status of `v` at `epoch` (Beacon API validator status specification). */
export function validatorStatus(v: Validator, epoch: bigint): ValidatorStatus {
  if (v.activationEpoch > epoch) {
    return v.activationEligibilityEpoch === FAR_FUTURE_EPOCH ? "pending_initialized" : "pending_queued";
  }
  if (epoch < v.exitEpoch) {
    if (v.exitEpoch === FAR_FUTURE_EPOCH) return "active_ongoing";
    return v.slashed ? "active_slashed" : "active_exiting";
  }
  if (epoch < v.withdrawableEpoch) return v.slashed ? "exited_slashed" : "exited_unslashed";
  return v.balanceGwei > 0n ? "withdrawal_possible" : "withdrawal_done";
}

/** The execution address 0x01 credentials pay to, or undefined for BLS (0x00) credentials. */
export function withdrawalAddress(credentials: string): string | undefined {
  const bytes = getBytes(credentials);
  return bytes[0] === 1 ? hexlify(bytes.slice(12)) : undefined;
}

export class BeaconChain {
  readonly config: BeaconChainConfig;
  private readonly validators: Validator[] = [];
  private readonly byPubkey = new Map<string, Validator>();
  private readonly history: EpochState[] = [];
  private epochNow = 0n;
  private headSlotNow = 0n;
  /** Epochs in 365 days at the configured slot time: rewards per epoch follow the slot time. */
  private readonly epochsPerYear: bigint;

  /**
   * A chain at `genesisTime`, already at `startSlot` with no validators (a development chain joins
   * at its current time without replaying empty epochs since genesis).
   */
  constructor(config: Partial<BeaconChainConfig> & { genesisTime: bigint }, startSlot = 0n) {
    this.config = { ...DEFAULT_BEACON_CONFIG, ...config };
    if (this.config.secondsPerSlot <= 0n) throw new Error("secondsPerSlot must be at least 1");
    this.epochsPerYear = SECONDS_PER_YEAR / (this.config.secondsPerSlot * SLOTS_PER_EPOCH);
    this.epochNow = startSlot / SLOTS_PER_EPOCH;
    this.headSlotNow = startSlot;
    this.snapshot();
  }

  /** The current epoch: every transition up to its start has been processed. */
  get epoch(): bigint {
    return this.epochNow;
  }

  /** The latest slot the chain has reached (its state is the current epoch's). */
  get headSlot(): bigint {
    return this.headSlotNow;
  }

  slotAt(timestamp: bigint): bigint {
    return timestamp < this.config.genesisTime
      ? 0n
      : (timestamp - this.config.genesisTime) / this.config.secondsPerSlot;
  }

  slotTime(slot: bigint): bigint {
    return this.config.genesisTime + slot * this.config.secondsPerSlot;
  }

  /**
   * Adds deposits included now: a new pubkey with a valid proof-of-possession signature becomes a
   * validator (an invalid one is ignored, as on the real chain); a known pubkey is topped up.
   */
  applyDeposits(deposits: readonly DepositEventData[]): void {
    for (const d of deposits) {
      const pubkey = d.pubkey.toLowerCase();
      const known = this.byPubkey.get(pubkey);
      if (known) {
        known.balanceGwei += d.amountGwei;
        continue;
      }
      const valid = verifyDepositSignature(
        { pubkey, withdrawalCredentials: d.withdrawalCredentials, amountGwei: d.amountGwei, signature: d.signature },
        this.config.genesisForkVersion,
      );
      if (!valid) continue;
      const eligible = d.amountGwei >= MAX_EFFECTIVE_BALANCE_GWEI;
      const v: Validator = {
        index: this.validators.length,
        pubkey,
        withdrawalCredentials: d.withdrawalCredentials.toLowerCase(),
        effectiveBalanceGwei: effectiveBalance(d.amountGwei),
        balanceGwei: d.amountGwei,
        slashed: false,
        activationEligibilityEpoch: eligible ? this.epochNow : FAR_FUTURE_EPOCH,
        activationEpoch: eligible ? this.epochNow + this.config.activationDelayEpochs : FAR_FUTURE_EPOCH,
        exitEpoch: FAR_FUTURE_EPOCH,
        withdrawableEpoch: FAR_FUTURE_EPOCH,
        pendingCorrelationPenaltyGwei: 0n,
      };
      this.validators.push(v);
      this.byPubkey.set(pubkey, v);
    }
    this.replaceSnapshot();
  }

  /**
   * Why the consensus spec's `process_voluntary_exit` would refuse an exit of validator
   * `validatorIndex` signed for `epoch` (all but the signature, which the Beacon API server checks
   * against the validator's pubkey): unknown index, not active, already exiting, an epoch still to
   * come, or active for less than SHARD_COMMITTEE_PERIOD epochs. Undefined: it may exit now.
   */
  voluntaryExitRefusal(validatorIndex: number, epoch: bigint): string | undefined {
    const v = this.validators[validatorIndex];
    if (v === undefined) return `validator ${validatorIndex} is unknown`;
    const e = this.epochNow;
    const status = validatorStatus(v, e);
    if (!(v.activationEpoch <= e && e < v.exitEpoch)) return `validator ${validatorIndex} is ${status}, not active`;
    if (v.exitEpoch !== FAR_FUTURE_EPOCH) return `validator ${validatorIndex} is already exiting (${status})`;
    if (epoch > e) return `the exit's epoch ${epoch} is after the current epoch ${e}`;
    const eligible = v.activationEpoch + this.config.shardCommitteePeriodEpochs;
    if (e < eligible) {
      return `validator ${validatorIndex} has been active for less than SHARD_COMMITTEE_PERIOD (${this.config.shardCommitteePeriodEpochs} epochs): it may exit from epoch ${eligible}`;
    }
    return undefined;
  }

  /** The validator at `index`, as it is now. */
  validatorAt(index: number): Validator | undefined {
    const v = this.validators[index];
    return v && { ...v };
  }

  /** Starts a voluntary exit (what an operator does when the oracle asks). */
  exit(pubkey: string): void {
    const v = this.active(pubkey, "exit");
    v.exitEpoch = this.epochNow + this.config.exitDelayEpochs;
    v.withdrawableEpoch = v.exitEpoch + this.config.withdrawabilityDelayEpochs;
    this.replaceSnapshot();
  }

  /**
   * Applies EIP-7002 withdrawal requests included now, as the consensus spec's (Electra)
   * `process_withdrawal_request` does for a full exit (amount 0): the pubkey must be a validator's,
   * with execution credentials (0x01 or 0x02) whose address is the request's source, active, not
   * exiting, and active for at least SHARD_COMMITTEE_PERIOD epochs; then its exit starts as a
   * voluntary exit's does (`exitDelayEpochs`; the model has no exit churn). The model has no pending
   * partial withdrawals, so the spec's "no pending balance to withdraw" condition always holds. A
   * request failing a check is ignored, as on the real chain. Partial withdrawals (amount > 0) are
   * ignored too: the spec queues them for 0x02 (compounding) validators only, and the model has
   * neither the queue nor compounding balances (Tidepool's validators are 0x01, for which the spec
   * ignores them as well). Returns each request's outcome, in order.
   */
  applyWithdrawalRequests(requests: readonly WithdrawalRequest[]): WithdrawalRequestOutcome[] {
    const outcomes = requests.map((r) => this.withdrawalRequestOutcome(r));
    this.replaceSnapshot();
    return outcomes;
  }

  /**
   * Slashes a validator now: the initial penalty (effective / MIN_SLASHING_PENALTY_QUOTIENT unless
   * given), a forced exit, withdrawability after the slashings vector, and `correlationPenaltyGwei`
   * charged half-way there (the real chain's proportional penalty depends on all slashings at once).
   */
  slash(pubkey: string, penalties: { initialPenaltyGwei?: bigint; correlationPenaltyGwei?: bigint } = {}): void {
    const v = this.active(pubkey, "slash");
    const initial = penalties.initialPenaltyGwei ?? v.effectiveBalanceGwei / this.config.minSlashingPenaltyQuotient;
    v.slashed = true;
    v.balanceGwei -= min(initial, v.balanceGwei);
    if (v.exitEpoch === FAR_FUTURE_EPOCH) v.exitEpoch = this.epochNow + this.config.exitDelayEpochs;
    v.withdrawableEpoch = this.epochNow + this.config.epochsPerSlashingsVector;
    v.pendingCorrelationPenaltyGwei = penalties.correlationPenaltyGwei ?? 0n;
    this.replaceSnapshot();
  }

  /** Processes epoch transitions until `epoch` starts. Returns the withdrawals paid on the way. */
  advanceToEpoch(epoch: bigint): Withdrawal[] {
    const paid: Withdrawal[] = [];
    while (this.epochNow < epoch) {
      this.epochNow++;
      this.processEpoch(paid);
      this.snapshot();
    }
    const first = epoch * SLOTS_PER_EPOCH;
    if (first > this.headSlotNow) this.headSlotNow = first;
    return paid;
  }

  /** Processes transitions up to the epoch of `slot`, which becomes the head. */
  advanceToSlot(slot: bigint): Withdrawal[] {
    const paid = this.advanceToEpoch(slot / SLOTS_PER_EPOCH);
    if (slot > this.headSlotNow) this.headSlotNow = slot;
    return paid;
  }

  /** Whether `pubkey` is an active validator that has not started to exit. */
  canExit(pubkey: string): boolean {
    const v = this.byPubkey.get(pubkey.toLowerCase());
    return v !== undefined && validatorStatus(v, this.epochNow) === "active_ongoing";
  }

  /** The validator with `pubkey`, as it is now. */
  validator(pubkey: string): Validator | undefined {
    const v = this.byPubkey.get(pubkey.toLowerCase());
    return v && { ...v };
  }

  /** The state at the start of `epoch` (kept for `historyEpochs`), or undefined if unknown. */
  stateAtEpoch(epoch: bigint): EpochState | undefined {
    if (epoch > this.epochNow) return undefined;
    const first = this.history[0].epoch;
    if (epoch < first) return undefined;
    return this.history[Number(epoch - first)];
  }

  /** The state of `slot`: that of its epoch. */
  stateAtSlot(slot: bigint): EpochState | undefined {
    return this.stateAtEpoch(slot / SLOTS_PER_EPOCH);
  }

  /** The current state. */
  head(): EpochState {
    return this.history[this.history.length - 1];
  }

  private withdrawalRequestOutcome(request: WithdrawalRequest): WithdrawalRequestOutcome {
    if (request.amountGwei !== 0n) return "partial_ignored";
    const v = this.byPubkey.get(request.pubkey.toLowerCase());
    if (!v) return "unknown_pubkey";
    const credentials = getBytes(v.withdrawalCredentials);
    const executionCredentials = credentials[0] === 1 || credentials[0] === 2;
    if (!executionCredentials || hexlify(credentials.slice(12)) !== request.sourceAddress.toLowerCase()) {
      return "wrong_credentials";
    }
    const e = this.epochNow;
    if (!(v.activationEpoch <= e && e < v.exitEpoch)) return "not_active";
    if (v.exitEpoch !== FAR_FUTURE_EPOCH) return "already_exiting";
    if (e < v.activationEpoch + this.config.shardCommitteePeriodEpochs) return "too_young";
    v.exitEpoch = e + this.config.exitDelayEpochs;
    v.withdrawableEpoch = v.exitEpoch + this.config.withdrawabilityDelayEpochs;
    return "exit_initiated";
  }

  private active(pubkey: string, what: string): Validator {
    const v = this.byPubkey.get(pubkey.toLowerCase());
    if (!v) throw new Error(`cannot ${what} ${pubkey}: no such validator`);
    const status = validatorStatus(v, this.epochNow);
    if (status !== "active_ongoing" && !(what === "slash" && status === "active_exiting")) {
      throw new Error(`cannot ${what} validator ${v.index}: it is ${status}`);
    }
    return v;
  }

  /** One epoch transition: rewards and penalties, the correlation penalty, effective balances, sweep. */
  private processEpoch(paid: Withdrawal[]): void {
    const e = this.epochNow;
    const c = this.config;
    for (const v of this.validators) {
      // Attestation duties in the previous epoch: rewarded while active and not slashed; a slashed
      // validator misses them until it is withdrawable and is penalised as much.
      const wasActive = v.activationEpoch <= e - 1n && e - 1n < v.exitEpoch;
      const perEpoch = (v.effectiveBalanceGwei * c.rewardAprBP) / 10_000n / this.epochsPerYear;
      if (wasActive && !v.slashed) v.balanceGwei += perEpoch;
      if (v.slashed && e <= v.withdrawableEpoch) v.balanceGwei -= min(perEpoch, v.balanceGwei);
      if (v.slashed && e === v.withdrawableEpoch - c.epochsPerSlashingsVector / 2n) {
        v.balanceGwei -= min(v.pendingCorrelationPenaltyGwei, v.balanceGwei);
        v.pendingCorrelationPenaltyGwei = 0n;
      }
      v.effectiveBalanceGwei = updatedEffectiveBalance(v.effectiveBalanceGwei, v.balanceGwei);
      // process_registry_updates: a validator topped up to the maximum becomes eligible, then active.
      if (v.activationEligibilityEpoch === FAR_FUTURE_EPOCH && v.effectiveBalanceGwei === MAX_EFFECTIVE_BALANCE_GWEI) {
        v.activationEligibilityEpoch = e;
        v.activationEpoch = e + c.activationDelayEpochs;
      }
    }
    if (e % c.sweepIntervalEpochs === 0n) this.sweep(paid);
  }

  /**
   * The withdrawal sweep (EIP-4895 with 0x01 credentials): a withdrawable validator's whole balance,
   * an active one's balance above 32 ETH.
   */
  private sweep(paid: Withdrawal[]): void {
    for (const v of this.validators) {
      const address = withdrawalAddress(v.withdrawalCredentials);
      if (!address) continue;
      let amount = 0n;
      if (this.epochNow >= v.withdrawableEpoch) amount = v.balanceGwei;
      else if (v.effectiveBalanceGwei === MAX_EFFECTIVE_BALANCE_GWEI && v.balanceGwei > MAX_EFFECTIVE_BALANCE_GWEI) {
        amount = v.balanceGwei - MAX_EFFECTIVE_BALANCE_GWEI;
      }
      if (amount === 0n) continue;
      v.balanceGwei -= amount;
      paid.push({ epoch: this.epochNow, validatorIndex: v.index, address, amountGwei: amount });
    }
  }

  private copy(): EpochState {
    return { epoch: this.epochNow, validators: this.validators.map((v) => ({ ...v })) };
  }

  private snapshot(): void {
    this.history.push(this.copy());
    const excess = this.history.length - Number(this.config.historyEpochs);
    if (excess > 0) this.history.splice(0, excess);
  }

  /** Injected events land in the current epoch's state. */
  private replaceSnapshot(): void {
    this.history[this.history.length - 1] = this.copy();
  }
}

/** Whole ETH, capped at 32: a new validator's effective balance. */
function effectiveBalance(balanceGwei: bigint): bigint {
  const whole = (balanceGwei / GWEI_PER_ETH) * GWEI_PER_ETH;
  return whole > MAX_EFFECTIVE_BALANCE_GWEI ? MAX_EFFECTIVE_BALANCE_GWEI : whole;
}

/**
 * process_effective_balance_updates: the effective balance moves only when the balance leaves the
 * band [effective − 0.25 ETH, effective + 1.25 ETH] (HYSTERESIS_QUOTIENT 4, multipliers 1 and 5).
 */
function updatedEffectiveBalance(effectiveGwei: bigint, balanceGwei: bigint): bigint {
  const increment = GWEI_PER_ETH / 4n;
  if (balanceGwei + increment < effectiveGwei || effectiveGwei + 5n * increment < balanceGwei) {
    return effectiveBalance(balanceGwei);
  }
  return effectiveGwei;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
