/**
 * An operator's exit requests (docs/operators.md "Exit requests"): the accounting oracle's reports
 * carry them as `ValidatorExitRequested` events beside each report's `ExitRequestsRecorded(root,
 * count)` (read and checked against the root by the prover's `recordedExitRequests`, in 10,000-block
 * log ranges), each with the time its report was applied. For each of the operator's keys asked to
 * exit: the deadline BeaconFacts applies (the prover's `lateExitDeadline`, from the validator's
 * activation epoch on the beacon chain) and what is known of it, proven facts first.
 */
import type { Provider } from "ethers";
import type { AccountingOracle, BeaconFacts } from "../../typechain-types";
import { FACT, FAR_FUTURE_EPOCH, beaconTime, lateExitDeadline, recordedExitRequests } from "../prover/facts";
import { validatorsByPubkey, type KeyValidator } from "./beacon";

/** What is known of a requested exit, the strongest fact first. */
export type ExitStatus =
  | "proven exited"
  | "proven late and forced"
  | "forced by governance"
  | "exited"
  | "exiting"
  | "late: may be proven"
  | "requested";

/** One of the operator's keys asked to exit. */
export interface OperatorExit {
  keyIndex: bigint;
  /** 0x…, lower case. */
  pubkey: string;
  /** When the first report that asked for it was applied (unix seconds). */
  requestedAt: bigint;
  /** Its block. */
  blockNumber: number;
  /** When the exit becomes late (unix seconds); undefined while the validator is not active. */
  deadline: bigint | undefined;
  /** The validator on the beacon chain, if the Beacon API has it. */
  validator: KeyValidator | undefined;
  /** BeaconFacts' fact bits for the key. */
  facts: bigint;
  status: ExitStatus;
}

export interface OperatorExits {
  exits: OperatorExit[];
  /** BeaconFacts' exit settings. */
  deadlineSeconds: bigint;
  penaltyWei: bigint;
  /** The latest block's time: what "late" is judged against. */
  now: bigint;
  /** The blocks read. */
  fromBlock: number;
  toBlock: number;
}

export interface ExitsContext {
  provider: Provider;
  oracle: AccountingOracle;
  facts: BeaconFacts;
  beaconUrl: string;
  /** First block to read the oracle's logs from (its deployment block; default 0). */
  fromBlock?: number;
}

/** A key's status from its proven facts, then the beacon chain, then the clock. */
export function exitStatus(
  facts: bigint,
  validator: Pick<KeyValidator, "exitEpoch" | "status"> | undefined,
  deadline: bigint | undefined,
  now: bigint,
): ExitStatus {
  if ((facts & FACT.exited) !== 0n) return "proven exited";
  if ((facts & FACT.late) !== 0n) return "proven late and forced";
  if ((facts & FACT.forced) !== 0n) return "forced by governance";
  if (validator !== undefined && validator.exitEpoch !== FAR_FUTURE_EPOCH) {
    return /^(exited|withdrawal)_/.test(validator.status) ? "exited" : "exiting";
  }
  if (deadline !== undefined && now > deadline) return "late: may be proven";
  return "requested";
}

/** Operator `operatorId`'s exit requests, oldest first, one per key (its first request sets its deadline). */
export async function readOperatorExits(ctx: ExitsContext, operatorId: bigint): Promise<OperatorExits> {
  const latest = await ctx.provider.getBlock("latest");
  if (latest === null) throw new Error("the node has no latest block");
  const fromBlock = ctx.fromBlock ?? 0;
  const toBlock = latest.number;
  const recorded = await recordedExitRequests(ctx.oracle, fromBlock, toBlock);
  const first = new Map<bigint, { pubkey: string; appliedAt: bigint; blockNumber: number }>();
  for (const record of recorded) {
    for (const r of record.requests) {
      if (r.operatorId !== operatorId || first.has(r.keyIndex)) continue;
      first.set(r.keyIndex, { pubkey: r.pubkey, appliedAt: record.appliedAt, blockNumber: record.blockNumber });
    }
  }
  const [{ lateExitDeadlineSeconds, lateExitPenaltyWei }, clock] = await Promise.all([
    ctx.facts.exitSettings(),
    beaconTime(ctx.facts),
  ]);
  const now = BigInt(latest.timestamp);
  const validators = await validatorsByPubkey(
    ctx.beaconUrl,
    [...first.values()].map((r) => r.pubkey),
  );
  const exits: OperatorExit[] = [];
  for (const [keyIndex, r] of first) {
    const validator = validators.get(r.pubkey);
    const activation = validator?.activationEpoch ?? FAR_FUTURE_EPOCH;
    const deadline =
      activation === FAR_FUTURE_EPOCH
        ? undefined
        : lateExitDeadline(clock, r.appliedAt, activation, lateExitDeadlineSeconds);
    const facts = await ctx.facts.keyFacts(operatorId, keyIndex);
    exits.push({
      keyIndex,
      pubkey: r.pubkey,
      requestedAt: r.appliedAt,
      blockNumber: r.blockNumber,
      deadline,
      validator,
      facts,
      status: exitStatus(facts, validator, deadline, now),
    });
  }
  return {
    exits,
    deadlineSeconds: lateExitDeadlineSeconds,
    penaltyWei: lateExitPenaltyWei,
    now,
    fromBlock,
    toBlock,
  };
}
