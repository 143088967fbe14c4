/**
 * The oracle's view of a beacon node, through Lodestar's maintained Beacon API client. Only standard
 * endpoints are used, so the same code reads the local beacon chain and a real node on Hoodi or
 * mainnet. Lodestar's packages are ECMAScript modules; this CommonJS project loads them with
 * `import()` (module node16 keeps it).
 */
import type { ApiClient } from "@lodestar/api" with { "resolution-mode": "import" };

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
   * The validators with these pubkeys in the state of `slot` (missing ones are not returned), or
   * undefined if the node does not have that state (too old for a pruning node, or before it started).
   */
  validatorsByPubkey(slot: bigint, pubkeys: readonly string[]): Promise<BeaconValidator[] | undefined>;
}

/** Pubkeys per request: a POST body of 1,000 keys is ~100 kB, well within what nodes accept. */
const PUBKEYS_PER_REQUEST = 1_000;
/** How far back to look for a block before a slot with none (a run of missed slots). */
const MAX_MISSED_SLOTS = 64n;

function farFuture(epoch: number): bigint {
  return Number.isFinite(epoch) ? BigInt(epoch) : 2n ** 64n - 1n;
}

function hex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes).toString("hex");
}

/** A reader for the Beacon API at `baseUrl`. */
export async function connectBeacon(baseUrl: string): Promise<BeaconReader> {
  const { getClient } = await import("@lodestar/api");
  const { createChainForkConfig } = await import("@lodestar/config");
  const { config: defaultConfig } = await import("@lodestar/config/default");
  const api: ApiClient = getClient({ baseUrl }, { config: createChainForkConfig(defaultConfig) });
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
        const res = await api.beacon.getBlockHeader({ blockId: Number(s) });
        if (res.ok) return BigInt(res.value().header.message.slot);
        if (res.status !== 404) res.assertOk();
      }
      throw new Error(`no block in the ${MAX_MISSED_SLOTS} slots up to ${slot}`);
    },
    async validatorsByPubkey(slot, pubkeys) {
      const out: BeaconValidator[] = [];
      for (let i = 0; i < pubkeys.length; i += PUBKEYS_PER_REQUEST) {
        const res = await api.beacon.postStateValidators({
          stateId: Number(slot),
          validatorIds: pubkeys.slice(i, i + PUBKEYS_PER_REQUEST) as string[],
        });
        if (res.status === 404) return undefined;
        for (const v of res.value()) {
          out.push({
            index: v.index,
            pubkey: hex(v.validator.pubkey),
            withdrawalCredentials: hex(v.validator.withdrawalCredentials),
            balanceGwei: BigInt(v.balance),
            status: v.status,
            slashed: v.validator.slashed,
            exitEpoch: farFuture(v.validator.exitEpoch),
            withdrawableEpoch: farFuture(v.validator.withdrawableEpoch),
          });
        }
      }
      return out;
    },
  };
}
