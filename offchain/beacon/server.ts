/**
 * The standard Beacon API endpoints the oracle needs, served over HTTP from the local beacon chain:
 * genesis, spec, node version/syncing/health, finality checkpoints, block headers, and validators
 * (by index or pubkey, filtered by status, GET and POST) with their balances and statuses, and the
 * voluntary-exit pool (`POST /eth/v1/beacon/pool/voluntary_exits`: signed exits verified and applied). Numbers are
 * decimal strings and bytes 0x-hex, as the Beacon API specifies, so any client (Lodestar's included)
 * reads it as it would a real beacon node.
 *
 * With a `BeaconStateMirror` (offchain/beacon/state.ts) the server also serves the real Electra state
 * (`GET /eth/v2/debug/beacon/states/{state_id}`) and the headers of the mirror's produced blocks
 * (`GET /eth/v1/beacon/headers/{block_id}`) instead of synthetic ones. Without it, headers are
 * synthetic (one per slot) and the debug route answers 404.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { keccak256, toUtf8Bytes, ZeroHash } from "ethers";
import {
  BeaconChain,
  SLOTS_PER_EPOCH,
  validatorStatus,
  type EpochState,
  type Validator,
  type ValidatorStatus,
} from "./chain";
import type { BeaconStateMirror, ProducedBlock } from "./state";
import { parseSignedVoluntaryExit, verifyVoluntaryExit } from "../keys/exit";

/** The general statuses a filter may name for a group of precise ones. */
const STATUS_GROUPS: Record<string, ValidatorStatus[]> = {
  pending: ["pending_initialized", "pending_queued"],
  active: ["active_ongoing", "active_exiting", "active_slashed"],
  exited: ["exited_unslashed", "exited_slashed"],
  withdrawal: ["withdrawal_possible", "withdrawal_done"],
};

const KNOWN_STATUSES = new Set<string>(Object.values(STATUS_GROUPS).flat());

class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** A synthetic but stable root for the block or state at `slot`. */
export function syntheticRoot(kind: "block" | "state", slot: bigint): string {
  return keccak256(toUtf8Bytes(`tidepool-local-beacon:${kind}:${slot}`));
}

/** A response that is not JSON: bytes with their headers. */
class RawResponse {
  constructor(
    readonly body: Uint8Array,
    readonly headers: Record<string, string>,
  ) {}
}

export interface BeaconApi {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * Serves `chain` on `host:port` (port 0: any free port); with `mirror`, also its real SSZ state and
 * the headers of its produced blocks.
 */
export async function startBeaconApi(
  chain: BeaconChain,
  port = 0,
  host = "127.0.0.1",
  mirror?: BeaconStateMirror,
): Promise<BeaconApi> {
  const server = createServer((req, res) => {
    handle(chain, req, mirror)
      .then((body) => (body instanceof RawResponse ? sendRaw(res, body) : send(res, 200, body)))
      .catch((e: unknown) => {
        const code = e instanceof ApiError ? e.code : 500;
        send(res, code, { code, message: e instanceof Error ? e.message : String(e) });
      });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    server,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendRaw(res: ServerResponse, raw: RawResponse): void {
  res.writeHead(200, { ...raw.headers, "content-length": raw.body.length });
  res.end(raw.body);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (text === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, "request body is not JSON");
  }
}

async function handle(chain: BeaconChain, req: IncomingMessage, mirror?: BeaconStateMirror): Promise<unknown> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const path = url.pathname.replace(/\/+$/, "");
  const method = req.method ?? "GET";
  const parts = path.split("/").filter(Boolean);
  const route = `${method} /${parts.map((p, i) => (isParam(parts, i) ? "{}" : p)).join("/")}`;
  switch (route) {
    case "GET /eth/v1/node/version":
      return { data: { version: "tidepool-local-beacon/1.0" } };
    case "GET /eth/v1/node/health":
      return {};
    case "GET /eth/v1/node/syncing":
      return {
        data: {
          head_slot: chain.headSlot.toString(),
          sync_distance: "0",
          is_syncing: false,
          is_optimistic: false,
          el_offline: false,
        },
      };
    case "GET /eth/v1/beacon/genesis":
      return {
        data: {
          genesis_time: chain.config.genesisTime.toString(),
          genesis_validators_root: ZeroHash,
          genesis_fork_version: chain.config.genesisForkVersion,
        },
      };
    case "GET /eth/v1/config/spec":
      return { data: spec(chain) };
    case "GET /eth/v1/beacon/headers/{}":
      return mirror ? mirrorHeader(chain, mirror, parts[4]) : header(chain, parts[4]);
    case "GET /eth/v2/debug/beacon/states/{}":
      return debugState(chain, mirror, parts[5], req.headers.accept ?? "");
    case "GET /eth/v1/beacon/states/{}/finality_checkpoints": {
      const { state, slot } = resolveState(chain, parts[4]);
      return withMeta(chain, slot, finality(state.epoch));
    }
    case "GET /eth/v1/beacon/states/{}/validators": {
      const ids = url.searchParams.getAll("id").flatMap((v) => v.split(","));
      const statuses = url.searchParams.getAll("status").flatMap((v) => v.split(","));
      return validators(chain, parts[4], ids, statuses);
    }
    case "POST /eth/v1/beacon/states/{}/validators": {
      const body = await readBody(req);
      if (body === null || typeof body !== "object" || Array.isArray(body)) {
        throw new ApiError(400, "request body must be a JSON object");
      }
      const { ids, statuses } = body as { ids?: unknown; statuses?: unknown };
      return validators(chain, parts[4], stringList(ids, "ids"), stringList(statuses, "statuses"));
    }
    case "POST /eth/v1/beacon/pool/voluntary_exits":
      return submitVoluntaryExit(chain, await readBody(req));
    case "GET /eth/v1/beacon/states/{}/validators/{}": {
      checkValidatorIds([parts[6]]);
      const { state, slot } = resolveState(chain, parts[4]);
      const found = select(state, [parts[6]], []);
      if (found.length === 0) throw new ApiError(404, `validator ${parts[6]} not found`);
      return withMeta(chain, slot, validatorJson(found[0], state.epoch));
    }
    default:
      throw new ApiError(404, `no route ${method} ${path}`);
  }
}

/**
 * `POST /eth/v1/beacon/pool/voluntary_exits`: a `SignedVoluntaryExit` checked as the consensus spec's
 * `process_voluntary_exit` does (the chain's `voluntaryExitRefusal`, then the BLS signature against the
 * validator's pubkey in the state, for the Capella fork version and the genesis validators root this
 * node serves, EIP-7044), then applied at once: the validator's exit starts as `exit(pubkey)` starts it
 * (the model has no blocks to include it in). A refusal is HTTP 400 with the reason, as a beacon node
 * answers an invalid exit.
 */
async function submitVoluntaryExit(chain: BeaconChain, body: unknown): Promise<unknown> {
  let parsed: Awaited<ReturnType<typeof parseSignedVoluntaryExit>>;
  try {
    parsed = await parseSignedVoluntaryExit(body);
  } catch (e) {
    throw new ApiError(400, `Invalid voluntary exit: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
  const { exit, signature } = parsed;
  const refusal = chain.voluntaryExitRefusal(exit.validatorIndex, exit.epoch);
  if (refusal !== undefined) throw new ApiError(400, `Invalid voluntary exit: ${refusal}`);
  const v = chain.validatorAt(exit.validatorIndex)!;
  const fork = { capellaForkVersion: chain.config.capellaForkVersion, genesisValidatorsRoot: ZeroHash };
  if (!(await verifyVoluntaryExit(v.pubkey, exit, signature, fork))) {
    throw new ApiError(
      400,
      `Invalid voluntary exit: the signature is not validator ${exit.validatorIndex}'s over this exit (domain: Capella fork version ${fork.capellaForkVersion}, genesis validators root ${ZeroHash})`,
    );
  }
  chain.exit(v.pubkey);
  return {};
}

/** Which path segments are parameters: state and block ids, validator ids. */
function isParam(parts: string[], i: number): boolean {
  if (parts[2] === "debug") return parts[3] === "beacon" && parts[4] === "states" && i === 5;
  return (parts[2] === "beacon" && (parts[3] === "states" || parts[3] === "headers") && i === 4) || i === 6;
}

function stringList(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new ApiError(400, `${name} must be an array of strings`);
  }
  return value as string[];
}

function spec(chain: BeaconChain): Record<string, string> {
  const c = chain.config;
  return {
    CONFIG_NAME: "tidepool-local",
    PRESET_BASE: "mainnet",
    SECONDS_PER_SLOT: c.secondsPerSlot.toString(),
    SLOTS_PER_EPOCH: SLOTS_PER_EPOCH.toString(),
    GENESIS_FORK_VERSION: c.genesisForkVersion,
    CAPELLA_FORK_VERSION: c.capellaForkVersion,
    SHARD_COMMITTEE_PERIOD: c.shardCommitteePeriodEpochs.toString(),
    MIN_GENESIS_TIME: c.genesisTime.toString(),
    MAX_EFFECTIVE_BALANCE: "32000000000",
    EPOCHS_PER_SLASHINGS_VECTOR: c.epochsPerSlashingsVector.toString(),
    MIN_VALIDATOR_WITHDRAWABILITY_DELAY: c.withdrawabilityDelayEpochs.toString(),
    MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA: c.minSlashingPenaltyQuotient.toString(),
    MAX_SEED_LOOKAHEAD: (c.exitDelayEpochs - 1n).toString(),
  };
}

/** Finality two epochs behind the head, as on a healthy chain. */
function finality(epoch: bigint): unknown {
  const checkpoint = (e: bigint) => ({
    epoch: e.toString(),
    root: e === 0n ? ZeroHash : syntheticRoot("block", e * SLOTS_PER_EPOCH),
  });
  const minus = (n: bigint) => (epoch > n ? epoch - n : 0n);
  return {
    previous_justified: checkpoint(minus(2n)),
    current_justified: checkpoint(minus(1n)),
    finalized: checkpoint(minus(2n)),
  };
}

function finalizedSlot(chain: BeaconChain): bigint {
  const epoch = chain.headSlot / SLOTS_PER_EPOCH;
  return epoch > 2n ? (epoch - 2n) * SLOTS_PER_EPOCH : 0n;
}

function withMeta(chain: BeaconChain, slot: bigint, data: unknown): unknown {
  return { execution_optimistic: false, finalized: slot <= finalizedSlot(chain), data };
}

/** A slot from a state or block id: head, genesis, finalized, justified, a slot number or a root. */
function resolveSlot(chain: BeaconChain, id: string, kind: "block" | "state"): bigint {
  switch (id) {
    case "head":
      return chain.headSlot;
    case "genesis":
      return 0n;
    case "finalized":
      return finalizedSlot(chain);
    case "justified":
      return (chain.headSlot / SLOTS_PER_EPOCH > 1n ? chain.headSlot / SLOTS_PER_EPOCH - 1n : 0n) * SLOTS_PER_EPOCH;
  }
  if (/^\d+$/.test(id)) {
    const slot = BigInt(id);
    if (slot > chain.headSlot)
      throw new ApiError(404, `${kind} for slot ${slot} not found (head is ${chain.headSlot})`);
    return slot;
  }
  if (/^0x[0-9a-fA-F]{64}$/.test(id)) {
    // Roots are synthetic and unique per slot: search the kept history.
    for (let slot = chain.headSlot; slot >= 0n && chain.stateAtSlot(slot); slot--) {
      if (syntheticRoot(kind, slot) === id.toLowerCase()) return slot;
    }
    throw new ApiError(404, `${kind} ${id} not found`);
  }
  throw new ApiError(400, `invalid ${kind} id: ${id}`);
}

function resolveState(chain: BeaconChain, id: string): { state: EpochState; slot: bigint } {
  const slot = resolveSlot(chain, id, "state");
  const state = chain.stateAtSlot(slot);
  if (!state) throw new ApiError(404, `state for slot ${slot} is no longer kept`);
  return { state, slot };
}

function header(chain: BeaconChain, id: string): unknown {
  const slot = resolveSlot(chain, id, "block");
  return withMeta(chain, slot, {
    root: syntheticRoot("block", slot),
    canonical: true,
    header: {
      message: {
        slot: slot.toString(),
        proposer_index: "0",
        parent_root: slot === 0n ? ZeroHash : syntheticRoot("block", slot - 1n),
        state_root: syntheticRoot("state", slot),
        body_root: ZeroHash,
      },
      signature: "0x" + "00".repeat(96),
    },
  });
}

/**
 * The mirror's block for a block or state id: head (the latest produced block), genesis, finalized and
 * justified (the latest block at or before that slot), a slot number (a block at exactly that slot;
 * 404 for a slot without one, as for a skipped slot), or a block root (headers) / state root (states).
 */
function resolveBlock(
  chain: BeaconChain,
  mirror: BeaconStateMirror,
  id: string,
  kind: "block" | "state",
): ProducedBlock {
  let block: ProducedBlock | undefined;
  if (id === "head") block = mirror.head;
  else if (/^0x[0-9a-fA-F]{64}$/.test(id)) block = mirror.blockByRoot(id, kind);
  else if (/^\d+$/.test(id)) block = mirror.blockAtSlot(BigInt(id));
  else block = mirror.blockAtOrBefore(resolveSlot(chain, id, kind));
  if (!block) throw new ApiError(404, `${kind} ${id} not found`);
  return block;
}

function mirrorHeader(chain: BeaconChain, mirror: BeaconStateMirror, id: string): unknown {
  const { root, header: h } = resolveBlock(chain, mirror, id, "block");
  return withMeta(chain, h.slot, {
    root,
    canonical: true,
    header: {
      message: {
        slot: h.slot.toString(),
        proposer_index: h.proposerIndex.toString(),
        parent_root: h.parentRoot,
        state_root: h.stateRoot,
        body_root: h.bodyRoot,
      },
      signature: "0x" + "00".repeat(96),
    },
  });
}

/** The state as SSZ bytes when `Accept` names application/octet-stream, JSON otherwise. */
function debugState(chain: BeaconChain, mirror: BeaconStateMirror | undefined, id: string, accept: string): unknown {
  if (!mirror) throw new ApiError(404, "this node keeps no SSZ state (started without a BeaconStateMirror)");
  const block = resolveBlock(chain, mirror, id, "state");
  const finalized = block.header.slot <= finalizedSlot(chain);
  const headers = {
    "eth-consensus-version": "electra",
    "eth-execution-optimistic": "false",
    "eth-consensus-finalized": String(finalized),
  };
  if (accept.includes("application/octet-stream")) {
    return new RawResponse(mirror.serialize(block), { ...headers, "content-type": "application/octet-stream" });
  }
  const json = { version: "electra", execution_optimistic: false, finalized, data: mirror.toJson(block) };
  return new RawResponse(Buffer.from(JSON.stringify(json)), { ...headers, "content-type": "application/json" });
}

function select(state: EpochState, ids: string[], statuses: string[]): Validator[] {
  let list: readonly Validator[] = state.validators;
  if (ids.length > 0) {
    const wanted = new Set(ids.map((id) => id.toLowerCase()));
    list = list.filter((v) => wanted.has(v.index.toString()) || wanted.has(v.pubkey));
  }
  if (statuses.length > 0) {
    const allowed = new Set(statuses.flatMap((s) => STATUS_GROUPS[s] ?? [s]));
    list = list.filter((v) => allowed.has(validatorStatus(v, state.epoch)));
  }
  return [...list];
}

function validators(chain: BeaconChain, stateId: string, ids: string[], statuses: string[]): unknown {
  checkValidatorIds(ids);
  for (const s of statuses) {
    if (!(s in STATUS_GROUPS) && !KNOWN_STATUSES.has(s)) throw new ApiError(400, `invalid validator status: ${s}`);
  }
  const { state, slot } = resolveState(chain, stateId);
  return withMeta(
    chain,
    slot,
    select(state, ids, statuses).map((v) => validatorJson(v, state.epoch)),
  );
}

/** A validator id is an index or a 48-byte 0x-hex pubkey. */
function checkValidatorIds(ids: string[]): void {
  for (const id of ids) {
    if (!/^\d+$/.test(id) && !/^0x[0-9a-fA-F]{96}$/.test(id)) throw new ApiError(400, `invalid validator id: ${id}`);
  }
}

function validatorJson(v: Validator, epoch: bigint): unknown {
  return {
    index: v.index.toString(),
    balance: v.balanceGwei.toString(),
    status: validatorStatus(v, epoch),
    validator: {
      pubkey: v.pubkey,
      withdrawal_credentials: v.withdrawalCredentials,
      effective_balance: v.effectiveBalanceGwei.toString(),
      slashed: v.slashed,
      activation_eligibility_epoch: v.activationEligibilityEpoch.toString(),
      activation_epoch: v.activationEpoch.toString(),
      exit_epoch: v.exitEpoch.toString(),
      withdrawable_epoch: v.withdrawableEpoch.toString(),
    },
  };
}
