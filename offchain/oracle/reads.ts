/**
 * How the oracle reads a node: a few calls at a time, each with a timeout, retried when the failure is
 * transient (a timeout, a dropped connection, a rate limit, a server error), never when it is an
 * answer (a revert, a bad argument) — and a node that lacks the history a report needs is an error
 * that says which node the member must run, never a silent fallback (docs/oracle.md, "Nodes").
 */
import { isError } from "ethers";

export interface ReadPolicy {
  /** Calls in flight at once. */
  concurrency: number;
  /** A call that has not answered after this long is abandoned and retried, in milliseconds. */
  timeoutMs: number;
  /** Attempts after the first, for transient failures. */
  retries: number;
  /** Delay before the first retry, doubled for each next one, in milliseconds. */
  retryDelayMs: number;
}

export const DEFAULT_READ_POLICY: ReadPolicy = { concurrency: 8, timeoutMs: 30_000, retries: 3, retryDelayMs: 500 };

/** A node cannot serve the history a report needs (a pruned state or block). Never retried. */
export class MissingHistoryError extends Error {}

/** What pruned execution nodes answer for state they no longer keep (geth, reth, Nethermind, Besu, Erigon). */
const MISSING_STATE =
  /missing trie node|header not found|historical state|state histor|is pruned|pruned state|state (is )?not available|world state (is )?unavailable|distance to target block exceeds/i;

class TimeoutError extends Error {}

function message(e: unknown): string {
  if (isError(e, "CALL_EXCEPTION") || isError(e, "SERVER_ERROR") || isError(e, "UNKNOWN_ERROR")) {
    const inner = (e as { info?: { error?: { message?: string } } }).info?.error?.message;
    if (inner) return inner;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Whether `e` is an answer rather than a failure to get one: retrying cannot change it. */
function isAnswer(e: unknown): boolean {
  return (
    isError(e, "CALL_EXCEPTION") ||
    isError(e, "INVALID_ARGUMENT") ||
    isError(e, "BAD_DATA") ||
    e instanceof MissingHistoryError
  );
}

/** Runs `fn` with at most `limit` of the `items` in flight at once; results in the items' order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * The execution-layer reads of one report: each call through `read` waits for one of `concurrency`
 * slots, times out after `timeoutMs` and is retried on a transient failure. A read pinned to a block
 * (`block`) that the node no longer has state for throws `MissingHistoryError` naming that block.
 */
export class ExecutionReads {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Calls made (attempts, retries included). */
  calls = 0;

  constructor(readonly policy: ReadPolicy = DEFAULT_READ_POLICY) {}

  async read<T>(what: string, block: number | undefined, fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          this.calls++;
          return await withTimeout(fn(), this.policy.timeoutMs, what);
        } catch (e) {
          if (block !== undefined && MISSING_STATE.test(message(e))) {
            throw new MissingHistoryError(
              `the execution node has no state at block ${block} (${what}: ${message(e).split("\n")[0]}): an oracle ` +
                `member needs an execution node that keeps the state of at least the last frame's blocks — an archive ` +
                `node, or a full node whose state history covers them (docs/oracle.md, "Nodes")`,
            );
          }
          if (isAnswer(e) || attempt >= this.policy.retries) {
            if (isAnswer(e)) throw e;
            throw new Error(
              `the execution node failed to answer ${what} after ${attempt + 1} attempts: ${message(e).split("\n")[0]}`,
            );
          }
          await sleep(this.policy.retryDelayMs * 2 ** attempt);
        }
      }
    } finally {
      this.release();
    }
  }

  /** `fn` over `items`, all started at once: the reads inside wait for the policy's slots. */
  all<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
    return Promise.all(items.map((item) => fn(item)));
  }

  private async acquire(): Promise<void> {
    if (this.active < this.policy.concurrency) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} timed out after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
