/**
 * The oracle's view of a beacon node, through Lodestar's maintained Beacon API client. Only standard
 * endpoints are used, so the same code reads the local beacon chain and a real node on Hoodi or
 * mainnet. Lodestar's packages are ECMAScript modules; this CommonJS project loads them with
 * `import()` (module node16 keeps it).
 */
import type { ApiClient } from "@lodestar/api" with { "resolution-mode": "import" };
import { mapLimit } from "./reads";

/** A validator as the oracle needs it (balances and amounts in gwei). */
export interface BeaconValidator {
  index: number;
  pubkey: string; // 0x…, lower case
  withdrawalCredentials: string;
  balanceGwei: bigint;
  status: string;
  slashed: boolean;
  exitEpoch: bigint;
  withdrawableEpoch: bigint;
}

export interface BeaconSpec {
  secondsPerSlot: bigint;
  slotsPerEpoch: bigint;
  epochsPerSlashingsVector: bigint;
}

export interface BeaconReader {
  genesisTime(): Promise<bigint>;
  spec(): Promise<BeaconSpec>;
  /** The finalized epoch as the head state sees it. */
  finalizedEpoch(): Promise<bigint>;
  /** The slot of the head block (the daemon's lag metric; optional for readers that have no head). */
  headSlot?(): Promise<bigint>;
  /** The slot of the last block at or before `slot` (a reference slot may have no block). */
  blockSlotAtOrBefore(slot: bigint): Promise<bigint>;
  /**
   * The validators with these ids — validator indices (numbers) or 0x pubkeys — in the state of `slot`
   * (unknown ones are not returned), or undefined if the node does not have that state (too old for a
   * pruning node, or before it started).
   */
  validators(slot: bigint, ids: readonly (number | string)[]): Promise<BeaconValidator[] | undefined>;
}

/** How the reader talks to the node: timeouts, retries, and requests in flight at once. */
export interface BeaconReadPolicy {
  /** A request that has not answered after this long is abandoned (and retried), in milliseconds. */
  timeoutMs: number;
  /** Attempts after the first, for a failed request (a timeout, a dropped connection, an error status). */
  retries: number;
  /** Delay between attempts, in milliseconds. */
  retryDelayMs: number;
  /** Validator requests in flight at once. */
  concurrency: number;
}

export const DEFAULT_BEACON_READ_POLICY: BeaconReadPolicy = {
  timeoutMs: 30_000,
  retries: 3,
  retryDelayMs: 500,
  concurrency: 4,
};

/** Pubkeys per request: a POST body of 1,000 keys is ~100 kB, well within what nodes accept. */
const PUBKEYS_PER_REQUEST = 1_000;
/** Validator indices per request: 10,000 indices are ~80 kB. */
const INDICES_PER_REQUEST = 10_000;
/** How far back to look for a block before a slot with none (a run of missed slots). */
const MAX_MISSED_SLOTS = 64n;

function farFuture(epoch: number): bigint {
  return Number.isFinite(epoch) ? BigInt(epoch) : 2n ** 64n - 1n;
}

/** `request` again after a thrown error or a 429/5xx status, as `policy` says; other answers are returned. */
async function retryFailures<R extends { status: number }>(
  policy: BeaconReadPolicy,
  request: () => Promise<R>,
): Promise<R> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await request();
      if ((res.status !== 429 && res.status < 500) || attempt >= policy.retries) return res;
    } catch (e) {
      if (attempt >= policy.retries) throw e;
    }
    await new Promise((resolve) => setTimeout(resolve, policy.retryDelayMs));
  }
}

function hex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes).toString("hex");
}

/**
 * A reader for the Beacon API at `baseUrl`: every request times out and is retried as `policy` says
 * (Lodestar's client does both), and validators are read a few requests at a time.
 */
export async function connectBeacon(
  baseUrl: string,
  policy: BeaconReadPolicy = DEFAULT_BEACON_READ_POLICY,
): Promise<BeaconReader> {
  const { getClient } = await import("@lodestar/api");
  const { createChainForkConfig } = await import("@lodestar/config");
  const { config: defaultConfig } = await import("@lodestar/config/default");
  const globalInit = { timeoutMs: policy.timeoutMs, retries: policy.retries, retryDelay: policy.retryDelayMs };
  const api: ApiClient = getClient({ baseUrl, globalInit }, { config: createChainForkConfig(defaultConfig) });
  return {
    async genesisTime() {
      return BigInt((await api.beacon.getGenesis()).value().genesisTime);
    },
    async spec() {
      const s = (await api.config.getSpec()).value();
      const get = (key: string) => {
        const v = s[key];
        if (typeof v !== "string") throw new Error(`the beacon node's spec has no ${key}`);
        return BigInt(v);
      };
      return {
        secondsPerSlot: get("SECONDS_PER_SLOT"),
        slotsPerEpoch: get("SLOTS_PER_EPOCH"),
        epochsPerSlashingsVector: get("EPOCHS_PER_SLASHINGS_VECTOR"),
      };
    },
    async finalizedEpoch() {
      return BigInt((await api.beacon.getStateFinalityCheckpoints({ stateId: "head" })).value().finalized.epoch);
    },
    async headSlot() {
      return BigInt((await api.beacon.getBlockHeader({ blockId: "head" })).value().header.message.slot);
    },
    async blockSlotAtOrBefore(slot) {
      for (let s = slot; s >= 0n && slot - s <= MAX_MISSED_SLOTS; s--) {
        // A missed slot answers 404: an answer, not a failure, so only failures are retried here.
        const res = await retryFailures(policy, () =>
          api.beacon.getBlockHeader({ blockId: Number(s) }, { retries: 0 }),
        );
        if (res.ok) return BigInt(res.value().header.message.slot);
        if (res.status !== 404) res.assertOk();
      }
      throw new Error(`no block in the ${MAX_MISSED_SLOTS} slots up to ${slot}`);
    },
    async validators(slot, ids) {
      // Indices in large requests, pubkeys in smaller ones (each is 98 characters).
      const indices = ids.filter((id) => typeof id === "number");
      const pubkeys = ids.filter((id) => typeof id === "string");
      const batches: (number | string)[][] = [];
      for (let i = 0; i < indices.length; i += INDICES_PER_REQUEST) {
        batches.push(indices.slice(i, i + INDICES_PER_REQUEST));
      }
      for (let i = 0; i < pubkeys.length; i += PUBKEYS_PER_REQUEST) {
        batches.push(pubkeys.slice(i, i + PUBKEYS_PER_REQUEST));
      }
      let missing = false;
      const parts = await mapLimit(batches, policy.concurrency, async (validatorIds) => {
        if (missing) return [];
        const res = await api.beacon.postStateValidators({ stateId: Number(slot), validatorIds });
        if (res.status === 404) {
          missing = true;
          return [];
        }
        return res.value().map((v): BeaconValidator => ({
          index: v.index,
          pubkey: hex(v.validator.pubkey),
          withdrawalCredentials: hex(v.validator.withdrawalCredentials),
          balanceGwei: BigInt(v.balance),
          status: v.status,
          slashed: v.validator.slashed,
          exitEpoch: farFuture(v.validator.exitEpoch),
          withdrawableEpoch: farFuture(v.validator.withdrawableEpoch),
        }));
      });
      return missing ? undefined : parts.flat();
    },
  };
}
