import type { NodeOperatorRegistry } from "../../typechain-types";

/** ETH per validator, in wei. */
export const DEPOSIT_SIZE_WEI = 32n * 10n ** 18n;

/** One operator's validators as the exit planner sees them. */
export interface OperatorValidators {
  operatorId: bigint;
  /** Keys deposited so far (indices 0 … depositedKeys − 1, in deposit order). */
  depositedKeys: bigint;
  /** Keys recorded as exited (the oldest ones: exits are requested oldest first). */
  exitedKeys: bigint;
}

/** A validator to exit: its operator and key index in the registry (the report's exit arrays). */
export interface ExitRequest {
  operatorId: bigint;
  keyIndex: bigint;
}

/**
 * How many validators must exit so the queue can be paid: the unfinalized requests' ETH beyond the
 * buffer and the ETH already on its way (validators asked to exit earlier, vault ETH deferred by
 * smoothing), in 32 ETH validators, rounded up. The oracle contract accepts at most the same count
 * computed without the inflows, so this never asks for more than it allows.
 */
export function exitsNeeded(unfinalizedWei: bigint, bufferWei: bigint, expectedInflowWei: bigint): bigint {
  const shortfall = unfinalizedWei - bufferWei - expectedInflowWei;
  return shortfall <= 0n ? 0n : (shortfall + DEPOSIT_SIZE_WEI - 1n) / DEPOSIT_SIZE_WEI;
}

/**
 * Chooses `count` validators to exit (docs/protocol.md §4): spread across operators — each pick takes
 * from the operator with the most validators still running (ties: lowest id), so stake stays
 * balanced — and, within an operator, its oldest deposit not yet exited or already asked to exit.
 * `pending` lists requests made in earlier reports whose exits are not recorded yet.
 */
export function planExits(
  operators: readonly OperatorValidators[],
  count: bigint,
  pending: readonly ExitRequest[] = [],
): ExitRequest[] {
  const state = operators.map((op) => {
    const asked = pending.filter((p) => p.operatorId === op.operatorId && p.keyIndex >= op.exitedKeys);
    const next = asked.reduce((max, p) => (p.keyIndex >= max ? p.keyIndex + 1n : max), op.exitedKeys);
    return {
      operatorId: op.operatorId,
      next,
      running: op.depositedKeys - op.exitedKeys - BigInt(asked.length),
      end: op.depositedKeys,
    };
  });
  const plan: ExitRequest[] = [];
  for (let i = 0n; i < count; i++) {
    let pick: (typeof state)[number] | undefined;
    for (const s of state) {
      if (s.next >= s.end) continue;
      if (!pick || s.running > pick.running || (s.running === pick.running && s.operatorId < pick.operatorId)) pick = s;
    }
    if (!pick) break; // every deposited validator is exiting already
    plan.push({ operatorId: pick.operatorId, keyIndex: pick.next });
    pick.next++;
    pick.running--;
  }
  return plan;
}

/** Reads every operator's deposited and exited keys from the registry. */
export async function readOperatorValidators(registry: NodeOperatorRegistry): Promise<OperatorValidators[]> {
  const count = await registry.getNodeOperatorsCount();
  const out: OperatorValidators[] = [];
  for (let id = 0n; id < count; id++) {
    const op = await registry.getNodeOperator(id);
    out.push({ operatorId: id, depositedKeys: op.depositedKeys, exitedKeys: op.exitedKeys });
  }
  return out;
}
