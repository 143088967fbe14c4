/**
 * The oracle member's key index: what it has learnt that can never change once known, kept on disk
 * so that a restart (or the one-shot `oracle-report` task) reads only what is new.
 *
 * - **Deposited keys**, per operator in deposit order: a deposited key can no longer be removed or
 *   replaced in the registry, so its pubkey, once read, is read for good.
 * - **Validator indices** of those keys: a validator's index is fixed once its record is in a
 *   finalized state, and the index only records indices found in the reference slot's state, which
 *   is final when a report is built. Validators are then queried by index (a few bytes each) rather
 *   than by pubkey (98 characters each).
 * - **Exit requests** (`ValidatorExitRequested` logs) with the block each was made in, and the block
 *   the logs have been read up to. Logs are only read up to a report's reference block, which is final,
 *   so a reorganisation cannot change what the index holds; a report only counts requests made at or
 *   before its own reference block, so an index read further ahead gives the same report.
 *
 * Nothing in the index is an opinion of the node that served it: every entry is a finalized fact, so
 * members with different indices (cold or warm, written by different nodes) build the same report.
 * Two checks keep a stale index from being trusted: the index remembers the hash of the last block it
 * read up to (its anchor), and a chain where that block's hash differs (a development chain restarted
 * at the same addresses) empties it; and a validator read by its index number is accepted only if the
 * record's pubkey is the key's (the report reads the key by pubkey otherwise).
 * One file per chain and oracle contract (`<chainId>-<oracle>.json` in the member's data directory),
 * written atomically (a temporary file renamed over the old one), shared by the task and the daemon.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

/** The index format's version: a file of another version is read as empty (and rewritten). */
const FORMAT_VERSION = 1;

/** A deposited key: its pubkey, and its validator's index once a finalized state showed it. */
export interface IndexedKey {
  pubkey: string; // 0x…, lower case
  validatorIndex?: number;
}

/** An exit request the oracle made: the key and the block of the report that asked for it. */
export interface IndexedExitRequest {
  operatorId: bigint;
  keyIndex: bigint;
  block: number;
}

/** Which deployment an index belongs to. */
export interface IndexScope {
  chainId: bigint;
  oracle: string;
}

interface IndexFile {
  version: number;
  chainId: string;
  oracle: string;
  /** Operator id → its deposited keys, in order: [pubkey, validator index or -1]. */
  operators: Record<string, [string, number][]>;
  /** The last block whose exit-request logs have been read (-1: none). */
  exitLogsReadTo: number;
  /** [operator id, key index, block]. */
  exitRequests: [string, string, number][];
  /** The last block read up to and its hash (null: none yet). */
  anchor: { block: number; hash: string } | null;
}

/** The index file of `scope` in `dir`. */
export function indexFile(dir: string, scope: IndexScope): string {
  return path.join(dir, `${scope.chainId}-${scope.oracle.toLowerCase()}.json`);
}

export class KeyIndex {
  private readonly operators = new Map<bigint, IndexedKey[]>();
  private requests: IndexedExitRequest[] = [];
  /** The last block whose exit-request logs are in the index (-1: none read yet). */
  private logsReadTo = -1;
  private anchor?: { block: number; hash: string };

  /** An empty index; with `file`, `save` writes it there. */
  constructor(
    readonly file?: string,
    private readonly scope?: IndexScope,
  ) {}

  /**
   * The index of `scope` in `dir` (an empty one if the file does not exist yet). A file that cannot be
   * read as an index (corrupt, another format version) is an error that names it, unless it is of an
   * older format version, which is read as empty: the index only ever saves reads, so starting afresh
   * is always correct.
   */
  static async open(dir: string, scope: IndexScope): Promise<KeyIndex> {
    const file = indexFile(dir, scope);
    const index = new KeyIndex(file, scope);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return index;
      throw e;
    }
    let parsed: IndexFile;
    try {
      parsed = JSON.parse(text) as IndexFile;
    } catch {
      throw new Error(`the oracle's key index ${file} is not valid JSON: delete it and the next run rebuilds it`);
    }
    if (parsed.version !== FORMAT_VERSION) return index;
    if (BigInt(parsed.chainId) !== scope.chainId || parsed.oracle.toLowerCase() !== scope.oracle.toLowerCase()) {
      throw new Error(
        `the oracle's key index ${file} belongs to chain ${parsed.chainId}'s oracle ${parsed.oracle}, not this one: delete it`,
      );
    }
    for (const [id, keys] of Object.entries(parsed.operators)) {
      index.operators.set(
        BigInt(id),
        keys.map(([pubkey, validatorIndex]) => (validatorIndex >= 0 ? { pubkey, validatorIndex } : { pubkey })),
      );
    }
    index.logsReadTo = parsed.exitLogsReadTo;
    index.anchor = parsed.anchor ?? undefined;
    index.requests = parsed.exitRequests.map(([op, key, block]) => ({
      operatorId: BigInt(op),
      keyIndex: BigInt(key),
      block,
    }));
    return index;
  }

  /**
   * Empties the index if the chain no longer has its anchor block (`hashOf` gives the chain's hash of a
   * block, undefined if it has none): a development chain restarted at the same addresses. Returns
   * whether it was emptied.
   */
  async checkAnchor(hashOf: (block: number) => Promise<string | undefined>): Promise<boolean> {
    if (this.anchor === undefined || (await hashOf(this.anchor.block)) === this.anchor.hash) return false;
    this.operators.clear();
    this.requests = [];
    this.logsReadTo = -1;
    this.anchor = undefined;
    return true;
  }

  /** Records that the index has read up to `block`, whose hash is `hash` (a final block). */
  setAnchor(block: number, hash: string): void {
    this.anchor = { block, hash };
  }

  /** The deposited keys of `operatorId` known so far (a prefix of its deposited keys). */
  keys(operatorId: bigint): readonly IndexedKey[] {
    return this.operators.get(operatorId) ?? [];
  }

  /** Appends `pubkeys` as `operatorId`'s keys from `from` on, which must be the count known so far. */
  appendKeys(operatorId: bigint, from: bigint, pubkeys: readonly string[]): void {
    const keys = this.operators.get(operatorId) ?? [];
    if (BigInt(keys.length) !== from) {
      throw new Error(`key index: operator ${operatorId} has ${keys.length} keys indexed, not ${from}`);
    }
    for (const pubkey of pubkeys) keys.push({ pubkey: pubkey.toLowerCase() });
    this.operators.set(operatorId, keys);
  }

  /** Records the validator index of `operatorId`'s key `keyIndex`, as a finalized state showed it. */
  setValidatorIndex(operatorId: bigint, keyIndex: bigint, validatorIndex: number): void {
    const key = this.operators.get(operatorId)?.[Number(keyIndex)];
    if (!key) throw new Error(`key index: operator ${operatorId} has no key ${keyIndex} indexed`);
    key.validatorIndex = validatorIndex;
  }

  /** The last block whose exit-request logs are in the index (-1: none). */
  get exitLogsReadTo(): number {
    return this.logsReadTo;
  }

  /** Adds the exit requests read from the logs of the blocks after `exitLogsReadTo` up to `toBlock`. */
  addExitRequests(toBlock: number, requests: readonly IndexedExitRequest[]): void {
    if (toBlock <= this.logsReadTo) return;
    for (const r of requests) if (r.block > this.logsReadTo && r.block <= toBlock) this.requests.push(r);
    this.logsReadTo = toBlock;
  }

  /** The exit requests made at or before `block`. */
  exitRequests(block: number): IndexedExitRequest[] {
    return this.requests.filter((r) => r.block <= block);
  }

  /**
   * Forgets exit requests of keys every later report will see as exited (key index below the
   * operator's exited count at a final block, which never goes down): the index stays as small as the
   * requests still pending.
   */
  forgetExited(exitedKeys: ReadonlyMap<bigint, bigint>): void {
    this.requests = this.requests.filter((r) => r.keyIndex >= (exitedKeys.get(r.operatorId) ?? 0n));
  }

  /** Writes the index to its file (atomically: a temporary file renamed over it); in memory, nothing. */
  async save(): Promise<void> {
    if (this.file === undefined || this.scope === undefined) return;
    const data: IndexFile = {
      version: FORMAT_VERSION,
      chainId: this.scope.chainId.toString(),
      oracle: this.scope.oracle.toLowerCase(),
      operators: Object.fromEntries(
        [...this.operators].map(([id, keys]) => [id.toString(), keys.map((k) => [k.pubkey, k.validatorIndex ?? -1])]),
      ),
      exitLogsReadTo: this.logsReadTo,
      exitRequests: this.requests.map((r) => [r.operatorId.toString(), r.keyIndex.toString(), r.block]),
      anchor: this.anchor ?? null,
    };
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(data));
    await rename(tmp, this.file);
  }
}
