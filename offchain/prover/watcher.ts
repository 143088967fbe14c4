/**
 * The prover watcher: each `tick()` reads the newest beacon state whose block root the EIP-4788
 * contract holds (`anchoredState`: the head's or its parent's), finds the protocol's registry keys
 * in it by pubkey, and proves at once, one transaction each:
 *
 * - a deposited key's validator slashed (in its penalty window) and not yet proven slashed;
 * - a deposited key's validator exited and not yet proven exited;
 * - a key asked to exit by a report, still not exiting (exit epoch FAR_FUTURE) at a slot past the
 *   deadline, not yet proven late (this forces its exit through EIP-7002);
 * - a key whose validator has withdrawal credentials other than the pool's, not yet proven.
 *
 * A tick that finds no anchored state (no 4788 root yet) does nothing. A proof that fails is logged
 * and retried on the next tick; the others go ahead. `run()` repeats `tick()` every interval until
 * its signal aborts.
 */
import type { Signer } from "ethers";
import {
  FACT,
  FAR_FUTURE_EPOCH,
  anchoredState,
  beaconTime,
  describeProof,
  exitRequestProofFor,
  factHolds,
  headerTime,
  lateExitDeadline,
  proveKeyFact,
  recordedExitRequests,
  validatorOf,
  type AnchoredState,
  type FactKind,
  type FactsContext,
  type ProofResult,
  type RecordedExitRequests,
  type RegistryKey,
} from "./facts";

export interface WatcherOptions {
  /** One line per proof (with gas) and per failure; default console.log. */
  log?: (line: string) => void;
}

export class ProofWatcher {
  private readonly keys = new Map<string, RegistryKey>();
  private recorded: RecordedExitRequests[] = [];
  private nextLogBlock: number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly ctx: FactsContext,
    private readonly signer: Signer,
    options: WatcherOptions = {},
  ) {
    this.log = options.log ?? console.log;
    this.nextLogBlock = ctx.fromBlock ?? 0;
  }

  /** One pass: the proofs sent (failures are logged, not thrown, but for reading the chain itself). */
  async tick(): Promise<ProofResult[]> {
    let anchored: AnchoredState;
    try {
      anchored = await anchoredState(this.ctx);
    } catch (error) {
      this.log(`prover: ${firstLine(error)}`);
      return [];
    }
    await this.refreshKeys();
    await this.refreshExitRequests();
    const { facts } = this.ctx.contracts;
    const credentials = (await facts.WITHDRAWAL_CREDENTIALS()).toLowerCase();
    const [clock, settings] = await Promise.all([beaconTime(facts), facts.exitSettings()]);
    const time = headerTime(clock, anchored.header);

    const todo: { key: RegistryKey; kind: FactKind }[] = [];
    for (const key of this.keys.values()) {
      const v = validatorOf(anchored, key);
      if (v === undefined) continue;
      const proven = await facts.keyFacts(key.operatorId, key.keyIndex);
      const open = (kind: FactKind) => (proven & FACT[kind]) === 0n;
      if (v.withdrawalCredentials.toLowerCase() !== credentials) {
        if (open("foreign")) todo.push({ key, kind: "foreign" });
        continue;
      }
      if (!key.deposited) continue;
      if (open("slashed") && factHolds("slashed", v, anchored)) todo.push({ key, kind: "slashed" });
      if (open("exited") && factHolds("exited", v, anchored)) todo.push({ key, kind: "exited" });
      if (open("late") && v.exitEpoch === FAR_FUTURE_EPOCH) {
        const found = exitRequestProofFor(this.recorded, key);
        if (found) {
          const { appliedAt } = found.record;
          const deadline = lateExitDeadline(clock, appliedAt, v.activationEpoch, settings.lateExitDeadlineSeconds);
          if (time > deadline) todo.push({ key, kind: "late" });
        }
      }
    }

    const results: ProofResult[] = [];
    for (const { key, kind } of todo) {
      try {
        const r = await proveKeyFact(this.ctx, this.signer, kind, key.operatorId, key.keyIndex, {
          anchored,
          recorded: this.recorded,
          key,
        });
        this.log(`prover: slot ${anchored.header.slot}: ${describeProof(r)}`);
        results.push(r);
      } catch (error) {
        this.log(
          `prover: slot ${anchored.header.slot}: proving operator ${key.operatorId} key ${key.keyIndex} ${kind} failed: ${firstLine(error)}`,
        );
      }
    }
    return results;
  }

  /** Runs `tick()` every `intervalMs` until `signal` aborts. */
  async run(options: { intervalMs: number; signal?: AbortSignal }): Promise<void> {
    while (!options.signal?.aborted) {
      try {
        await this.tick();
      } catch (error) {
        this.log(`prover: tick failed: ${firstLine(error)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.intervalMs);
        options.signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Every operator's keys (deposited ones cached; undeposited ones re-read, as they may be removed). */
  private async refreshKeys(): Promise<void> {
    const { registry } = this.ctx.contracts;
    const count = await registry.getNodeOperatorsCount();
    for (let id = 0n; id < count; id++) {
      const op = await registry.getNodeOperator(id);
      for (let i = 0n; i < op.totalKeys; i++) {
        const at = `${id}:${i}`;
        if (this.keys.get(at)?.deposited) continue; // a deposited key never changes
        const [pubkey, , deposited] = await registry.getSigningKey(id, i);
        this.keys.set(at, { operatorId: id, keyIndex: i, pubkey: pubkey.toLowerCase(), deposited });
      }
      for (let i = op.totalKeys; this.keys.delete(`${id}:${i}`); i++); // removed undeposited keys
    }
  }

  /** The reports' exit requests, read from where the last tick stopped. */
  private async refreshExitRequests(): Promise<void> {
    const latest = await this.ctx.provider.getBlockNumber();
    if (latest < this.nextLogBlock) return;
    const found = await recordedExitRequests(this.ctx.contracts.oracle, this.nextLogBlock, latest);
    this.recorded.push(...found);
    this.nextLogBlock = latest + 1;
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}
