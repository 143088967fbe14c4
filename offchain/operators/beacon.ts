/**
 * What an operator's tasks ask a Beacon API about its keys: each validator's activation and exit
 * epochs, status and withdrawal credentials, at the head, by pubkey, through the standard
 * `POST /eth/v1/beacon/states/head/validators` endpoint (Lodestar's client; every beacon node and
 * hosted Beacon API serves it, unlike the debug state the prover downloads: a few hundred bytes per
 * key rather than the whole state). Errors name the endpoint path, never the base URL (it may carry
 * a provider's key).
 */
import { FAR_FUTURE_EPOCH } from "../prover/facts";

/** A registry key's validator on the beacon chain. */
export interface KeyValidator {
  index: number;
  /** 0x…, lower case. */
  pubkey: string;
  withdrawalCredentials: string;
  /** FAR_FUTURE_EPOCH while not active yet. */
  activationEpoch: bigint;
  /** FAR_FUTURE_EPOCH while it has not started to exit. */
  exitEpoch: bigint;
  /** The Beacon API's status: pending_queued, active_ongoing, active_exiting, exited_unslashed, … */
  status: string;
}

/** Pubkeys per request (a POST body of 1,000 keys is ~100 kB, well within what nodes accept). */
const PUBKEYS_PER_REQUEST = 1_000;
const PATH = "POST /eth/v1/beacon/states/head/validators";

const epoch = (value: number): bigint => (Number.isFinite(value) ? BigInt(value) : FAR_FUTURE_EPOCH);
const hex = (bytes: Uint8Array): string => "0x" + Buffer.from(bytes).toString("hex");

/**
 * The validators with these pubkeys in the head state of the Beacon API at `beaconUrl`, by lower-case
 * pubkey (a pubkey with no validator is absent). Throws one line naming the endpoint on failure.
 */
export async function validatorsByPubkey(
  beaconUrl: string,
  pubkeys: readonly string[],
): Promise<Map<string, KeyValidator>> {
  const out = new Map<string, KeyValidator>();
  if (pubkeys.length === 0) return out;
  const { getClient } = await import("@lodestar/api");
  const { createChainForkConfig } = await import("@lodestar/config");
  const { config: defaultConfig } = await import("@lodestar/config/default");
  const api = getClient({ baseUrl: beaconUrl.replace(/\/+$/, "") }, { config: createChainForkConfig(defaultConfig) });
  for (let i = 0; i < pubkeys.length; i += PUBKEYS_PER_REQUEST) {
    let res;
    try {
      res = await api.beacon.postStateValidators(
        { stateId: "head", validatorIds: pubkeys.slice(i, i + PUBKEYS_PER_REQUEST).map((p) => p.toLowerCase()) },
        { retries: 0 },
      );
    } catch (e) {
      const cause = e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : "";
      throw new Error(`the Beacon API did not answer ${PATH}: ${e instanceof Error ? e.message : String(e)}${cause}`);
    }
    if (!res.ok) throw new Error(`the Beacon API answered ${PATH} with ${res.status}`);
    for (const v of res.value()) {
      const pubkey = hex(v.validator.pubkey);
      out.set(pubkey, {
        index: v.index,
        pubkey,
        withdrawalCredentials: hex(v.validator.withdrawalCredentials),
        activationEpoch: epoch(v.validator.activationEpoch),
        exitEpoch: epoch(v.validator.exitEpoch),
        status: v.status,
      });
    }
  }
  return out;
}
