/**
 * Operators' exits: voluntary exits signed from the operator's EIP-2335 keystores and submitted to a
 * Beacon API (`POST /eth/v1/beacon/pool/voluntary_exits`), as `ethdo validator exit` does: the fork
 * (Capella fork version, genesis validators root) and the current epoch come from the node, the exit
 * is signed for them (offchain/keys/exit.ts), and the node checks and gossips it (the local beacon
 * chain checks and applies it).
 *
 * The exits bot (`ExitsBot`) does it when asked: each `tick()` reads the oracle's
 * `ValidatorExitRequested` events for its operator and submits a signed exit for each requested key
 * it holds a keystore for, once per key. One log line per action, with a UTC timestamp.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { SecretKey } from "@chainsafe/blst";
import { hexlify } from "ethers";
import type { AccountingOracle } from "../../typechain-types";
import { signVoluntaryExit, type ExitFork, type SignedVoluntaryExitJson } from "../keys/exit";
import { decryptKeystore } from "../keys/keystore";

const SLOTS_PER_EPOCH = 32n;
/** Blocks per log query: public nodes refuse ranges much wider. */
const LOG_RANGE = 5_000;

/** A validator signing key read from a keystore. */
export interface HeldKey {
  pubkey: string; // 0x…, lower case
  secretKey: Uint8Array;
  file: string;
}

/** Keys by lower-case pubkey. */
export type HeldKeys = Map<string, HeldKey>;

/** A one-sentence failure of an exit (the sentence is the message). */
export class ExitFailure extends Error {}

/**
 * The keys of every EIP-2335 keystore (`*.json` with `crypto`) in `dir`, decrypted with `password`;
 * other files (deposit data) are skipped. The pubkey is the secret key's: a keystore whose own
 * `pubkey` field says otherwise is refused.
 */
export async function loadKeystores(dir: string, password: string): Promise<HeldKeys> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch {
    throw new ExitFailure(`cannot read the keystore folder ${dir}`);
  }
  const keys: HeldKeys = new Map();
  for (const name of names.sort()) {
    const file = join(dir, name);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      continue; // not JSON: not a keystore
    }
    if (json === null || typeof json !== "object" || !("crypto" in json)) continue;
    let secretKey: Uint8Array;
    try {
      secretKey = await decryptKeystore(json, password);
    } catch {
      throw new ExitFailure(`cannot decrypt ${name}: wrong password or not an EIP-2335 keystore`);
    }
    const pubkey = hexlify(SecretKey.fromBytes(secretKey).toPublicKey().toBytes());
    const stated = (json as { pubkey?: unknown }).pubkey;
    if (typeof stated === "string" && stated !== "" && `0x${stated.replace(/^0x/, "")}`.toLowerCase() !== pubkey) {
      throw new ExitFailure(`${name} holds the key of ${pubkey}, not of the pubkey it states`);
    }
    keys.set(pubkey, { pubkey, secretKey, file });
  }
  if (keys.size === 0) throw new ExitFailure(`no EIP-2335 keystore in ${dir}`);
  return keys;
}

async function getJson(beaconUrl: string, path: string): Promise<{ data: unknown }> {
  let res: Response;
  try {
    res = await fetch(`${beaconUrl}${path}`);
  } catch {
    throw new ExitFailure(`cannot reach the Beacon API at ${beaconUrl}`);
  }
  const body = (await res.json().catch(() => ({}))) as { data?: unknown; message?: unknown };
  if (!res.ok) {
    throw new ExitFailure(`the Beacon API answered ${res.status} to GET ${path}: ${String(body.message ?? "")}`);
  }
  return { data: body.data };
}

/** The fork a voluntary exit is signed for on the node's chain: its Capella fork version and genesis validators root. */
export async function exitForkOf(beaconUrl: string): Promise<ExitFork> {
  const spec = (await getJson(beaconUrl, "/eth/v1/config/spec")).data as Record<string, string>;
  const genesis = (await getJson(beaconUrl, "/eth/v1/beacon/genesis")).data as Record<string, string>;
  if (typeof spec?.CAPELLA_FORK_VERSION !== "string") {
    throw new ExitFailure("the Beacon API's spec has no CAPELLA_FORK_VERSION");
  }
  return { capellaForkVersion: spec.CAPELLA_FORK_VERSION, genesisValidatorsRoot: genesis.genesis_validators_root };
}

/** The head's epoch. */
export async function headEpoch(beaconUrl: string): Promise<bigint> {
  const data = (await getJson(beaconUrl, "/eth/v1/beacon/headers/head")).data as {
    header: { message: { slot: string } };
  };
  return BigInt(data.header.message.slot) / SLOTS_PER_EPOCH;
}

/** A validator as the exit needs it. */
export interface ValidatorOnChain {
  index: number;
  pubkey: string;
  status: string;
}

/** The validator with index or pubkey `id` in the head state, or undefined if the node knows none. */
export async function validatorOnChain(beaconUrl: string, id: string): Promise<ValidatorOnChain | undefined> {
  let res: Response;
  try {
    res = await fetch(`${beaconUrl}/eth/v1/beacon/states/head/validators/${id}`);
  } catch {
    throw new ExitFailure(`cannot reach the Beacon API at ${beaconUrl}`);
  }
  if (res.status === 404) return undefined;
  const body = (await res.json().catch(() => ({}))) as {
    data?: { index: string; status: string; validator: { pubkey: string } };
    message?: unknown;
  };
  if (!res.ok || !body.data) {
    throw new ExitFailure(`the Beacon API answered ${res.status} for validator ${id}: ${String(body.message ?? "")}`);
  }
  return { index: Number(body.data.index), pubkey: body.data.validator.pubkey.toLowerCase(), status: body.data.status };
}

/** Submits a signed exit to the node's pool; a refusal is an {ExitFailure} with the node's reason. */
export async function submitVoluntaryExit(beaconUrl: string, signed: SignedVoluntaryExitJson): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`${beaconUrl}/eth/v1/beacon/pool/voluntary_exits`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(signed),
    });
  } catch {
    throw new ExitFailure(`cannot reach the Beacon API at ${beaconUrl}`);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { message?: unknown };
    throw new ExitFailure(
      `the Beacon API refused the exit (${res.status}): ${String(body.message ?? "no reason given")}`,
    );
  }
}

/** What `exitValidator` submitted. */
export interface SubmittedExit {
  validatorIndex: number;
  pubkey: string;
  epoch: bigint;
  signed: SignedVoluntaryExitJson;
}

/**
 * Signs the voluntary exit of validator `id` (an index or a pubkey) with its key in `keys`, for the
 * node's current epoch and fork, and submits it. Refuses a validator the node does not know, one
 * whose key is not held, and one that is not active_ongoing.
 */
export async function exitValidator(beaconUrl: string, keys: HeldKeys, id: string): Promise<SubmittedExit> {
  const v = await validatorOnChain(beaconUrl, id.toLowerCase());
  if (v === undefined) throw new ExitFailure(`the Beacon API knows no validator ${id}`);
  const key = keys.get(v.pubkey);
  if (key === undefined) throw new ExitFailure(`no keystore for validator ${v.index} (${v.pubkey})`);
  if (v.status !== "active_ongoing") {
    throw new ExitFailure(`validator ${v.index} is ${v.status}: only an active validator that is not exiting can exit`);
  }
  const [fork, epoch] = await Promise.all([exitForkOf(beaconUrl), headEpoch(beaconUrl)]);
  const signed = await signVoluntaryExit(key.secretKey, { epoch, validatorIndex: v.index }, fork);
  await submitVoluntaryExit(beaconUrl, signed);
  return { validatorIndex: v.index, pubkey: v.pubkey, epoch, signed };
}

/** `pubkey` shortened for a log line. */
function short(pubkey: string): string {
  return `${pubkey.slice(0, 10)}…${pubkey.slice(-4)}`;
}

export interface ExitsBotOptions {
  oracle: AccountingOracle;
  beaconUrl: string;
  operatorId: bigint;
  keys: HeldKeys;
  /** Block to read the oracle's exit requests from (its deployment block; default 0). */
  fromBlock?: number;
  /** One line per action; default console.log. */
  log?: (line: string) => void;
  /** The time for log lines; default now. */
  now?: () => Date;
}

/** What a tick did with one requested key. */
export interface BotAction {
  keyIndex: bigint;
  pubkey: string;
  outcome: "submitted" | "no_keystore" | "not_active" | "failed";
  line: string;
}

/**
 * Watches the oracle's exit requests for one operator and exits the requested keys it holds: once per
 * key (a key already exiting, or without a keystore here, is logged once and left; a refused or failed
 * submission is logged and retried on the next tick).
 */
export class ExitsBot {
  private nextBlock: number;
  private readonly pending = new Map<string, bigint>(); // pubkey → key index, requested and not yet done
  private readonly done = new Set<string>();
  private readonly log: (line: string) => void;
  private readonly now: () => Date;

  constructor(private readonly options: ExitsBotOptions) {
    this.nextBlock = options.fromBlock ?? 0;
    this.log = options.log ?? console.log;
    this.now = options.now ?? (() => new Date());
  }

  /** Stops exiting `pubkey` (the demo's operator that ignores a request; a key handed over elsewhere). */
  forget(pubkey: string): void {
    this.options.keys.delete(pubkey.toLowerCase());
  }

  /** One pass: new requests read, and every requested key not done yet handled. */
  async tick(): Promise<BotAction[]> {
    const { oracle, operatorId } = this.options;
    const provider = oracle.runner?.provider;
    if (!provider) throw new Error("the oracle contract has no provider to read logs with");
    const head = await provider.getBlockNumber();
    for (let from = this.nextBlock; from <= head; from += LOG_RANGE) {
      const to = Math.min(head, from + LOG_RANGE - 1);
      const events = await oracle.queryFilter(oracle.filters.ValidatorExitRequested(operatorId), from, to);
      for (const e of events) {
        const pubkey = e.args.pubkey.toLowerCase();
        if (!this.done.has(pubkey)) this.pending.set(pubkey, e.args.keyIndex);
      }
      this.nextBlock = to + 1;
    }
    const actions: BotAction[] = [];
    for (const [pubkey, keyIndex] of this.pending) {
      const action = await this.handle(pubkey, keyIndex);
      this.log(action.line);
      actions.push(action);
      if (action.outcome !== "failed") {
        this.pending.delete(pubkey);
        this.done.add(pubkey);
      }
    }
    return actions;
  }

  /** Repeats `tick()` every `intervalMs` until `signal` aborts; a failed tick is logged and retried. */
  async run({ intervalMs, signal }: { intervalMs: number; signal: AbortSignal }): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.tick();
      } catch (error) {
        this.log(this.line(`tick failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`));
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }

  private line(text: string): string {
    return `${this.now().toISOString()} operator ${this.options.operatorId}: ${text}`;
  }

  private async handle(pubkey: string, keyIndex: bigint): Promise<BotAction> {
    const key = `key ${keyIndex} (${short(pubkey)})`;
    const action = (outcome: BotAction["outcome"], text: string): BotAction => ({
      keyIndex,
      pubkey,
      outcome,
      line: this.line(text),
    });
    if (!this.options.keys.has(pubkey))
      return action("no_keystore", `exit requested for ${key}: no keystore here, not exited`);
    try {
      const v = await validatorOnChain(this.options.beaconUrl, pubkey);
      if (v !== undefined && v.status !== "active_ongoing") {
        return action("not_active", `exit requested for ${key}: validator ${v.index} is ${v.status}, nothing to do`);
      }
      const s = await exitValidator(this.options.beaconUrl, this.options.keys, pubkey);
      return action(
        "submitted",
        `exit requested for ${key}: signed exit of validator ${s.validatorIndex} at epoch ${s.epoch} submitted`,
      );
    } catch (error) {
      const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
      return action("failed", `exit requested for ${key}: ${reason}; retrying next pass`);
    }
  }
}
