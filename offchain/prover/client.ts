/**
 * The prover's data side: from any Beacon API (the local one or a real node, through standard
 * endpoints only), the block header, the state as SSZ (streamed, with progress), and validator or
 * balance proofs built by `./proofs` and checked locally before they are returned.
 *
 * What a proof needs from the execution layer is left to the caller: the EIP-4788 contract keys a
 * block root by the timestamp of the execution block whose `parent_beacon_block_root` it is, i.e. the
 * execution payload of the next beacon block (the child of `header`). On the local chains that is
 * what `BeaconStateMirror.publishRoot` returns; on a real chain, the timestamp of the execution block
 * whose `parentBeaconBlockRoot` equals `headerRoot` (about 12 s after `header.slot`'s time, later after
 * missed slots), which the 4788 ring buffer keeps for 8,191 blocks (~27 hours).
 *
 * Errors name the endpoint path relative to the base URL (never the base URL itself, which may carry
 * a provider's key) and the HTTP status.
 *
 * `@lodestar/*` packages are ESM-only; this project compiles to CommonJS, which keeps the dynamic
 * `import()`.
 */
import { hexlify } from "ethers";
import type { Node } from "@chainsafe/persistent-merkle-tree" with { "resolution-mode": "import" };
import type { ssz as SszTypes } from "@lodestar/types" with { "resolution-mode": "import" };
import {
  buildBalanceProof,
  buildValidatorProof,
  headerRoot,
  verifyBalanceLocally,
  verifyLocally,
  type BalanceProof,
  type BeaconBlockHeader,
  type StateLayout,
  type ValidatorProof,
} from "./proofs";

/** The forks whose state layout the prover knows (the same generalized indices, note 60). */
export const KNOWN_FORKS = ["electra", "fulu"] as const;
export type KnownFork = (typeof KNOWN_FORKS)[number];

/** Default time for one request, download included: a mainnet state is ~300 MB. */
export const DEFAULT_TIMEOUT_MS = 300_000;

type Ssz = typeof SszTypes;
export type BeaconStateView =
  | ReturnType<Ssz["electra"]["BeaconState"]["deserializeToViewDU"]>
  | ReturnType<Ssz["fulu"]["BeaconState"]["deserializeToViewDU"]>;

/** A header as the node served it, with its root (checked against the header's own hash). */
export interface FetchedHeader {
  header: BeaconBlockHeader;
  root: string;
}

/** A state as the node served it: a tree-backed view, its fork, slot and root. */
export interface FetchedState {
  fork: KnownFork;
  slot: bigint;
  /** hash_tree_root of the state. */
  root: string;
  /** The state's tree (what `./proofs` builds from). */
  node: Node;
  view: BeaconStateView;
  /** Bytes downloaded. */
  size: number;
}

export interface FetchOptions {
  /** Called after each chunk with the bytes received so far and Content-Length, when the node gave one. */
  onProgress?(receivedBytes: number, totalBytes: number | undefined): void;
  /** For the whole request, body included (default `DEFAULT_TIMEOUT_MS`). */
  timeoutMs?: number;
}

export interface ProveOptions extends FetchOptions {
  /** head, finalized, a slot or a block root. */
  blockId: string;
  validatorIndex: bigint;
}

/** Everything `verifyValidator` takes but the execution-layer timestamp (see the file's comment). */
export interface ClientValidatorProof extends ValidatorProof {
  header: BeaconBlockHeader;
  /** The header's root: the parent beacon block root of the execution block whose timestamp is needed. */
  headerRoot: string;
  fork: KnownFork;
}

/** Everything `verifyBalance` takes but the execution-layer timestamp (see the file's comment). */
export interface ClientBalanceProof extends BalanceProof {
  header: BeaconBlockHeader;
  headerRoot: string;
  fork: KnownFork;
}

function trimBase(beaconUrl: string): string {
  return beaconUrl.replace(/\/+$/, "");
}

function isKnownFork(fork: string): fork is KnownFork {
  return (KNOWN_FORKS as readonly string[]).includes(fork);
}

/** The node's error message from a JSON error body ({code, message}), if there is one. */
function nodeMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // not JSON
  }
  return body.slice(0, 200);
}

/** The header of `blockId` (head, finalized, a slot, a block root) via `GET /eth/v1/beacon/headers/{block_id}`. */
export async function fetchHeader(
  beaconUrl: string,
  blockId: string,
  opts: { timeoutMs?: number } = {},
): Promise<FetchedHeader> {
  const { getClient } = await import("@lodestar/api");
  const { createChainForkConfig } = await import("@lodestar/config");
  const { config: defaultConfig } = await import("@lodestar/config/default");
  const api = getClient({ baseUrl: trimBase(beaconUrl) }, { config: createChainForkConfig(defaultConfig) });
  const path = `/eth/v1/beacon/headers/${blockId}`;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let res;
  try {
    res = await api.beacon.getBlockHeader({ blockId }, { timeoutMs, retries: 0 });
  } catch (e) {
    if (e instanceof Error && e.name === "TimeoutError") throw new Error(`GET ${path} timed out after ${timeoutMs} ms`);
    throw new Error(`GET ${path} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (res.status === 404) {
    throw new Error(
      `GET ${path} returned 404: the node has no block ${blockId} (a skipped slot, or a root it does not know)`,
    );
  }
  if (!res.ok) throw new Error(`GET ${path} returned ${res.status}: ${nodeMessage(await res.errorBody())}`);
  const data = res.value();
  const m = data.header.message;
  const header: BeaconBlockHeader = {
    slot: BigInt(m.slot),
    proposerIndex: BigInt(m.proposerIndex),
    parentRoot: hexlify(m.parentRoot),
    stateRoot: hexlify(m.stateRoot),
    bodyRoot: hexlify(m.bodyRoot),
  };
  const root = headerRoot(header);
  if (root !== hexlify(data.root)) {
    throw new Error(`GET ${path} returned a header whose root is ${root}, not the ${hexlify(data.root)} it names`);
  }
  return { header, root };
}

/**
 * The state `stateId` (head, finalized, a slot, a state root) as SSZ via
 * `GET /eth/v2/debug/beacon/states/{state_id}`, streamed with progress, deserialized into a
 * tree-backed view of the fork the node names in `Eth-Consensus-Version`.
 */
export async function fetchStateSsz(
  beaconUrl: string,
  stateId: string,
  opts: FetchOptions = {},
): Promise<FetchedState> {
  const path = `/eth/v2/debug/beacon/states/${stateId}`;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  let received = 0;
  let total: number | undefined;
  const timeoutError = () =>
    new Error(
      `GET ${path} timed out after ${timeoutMs} ms (${received}${total === undefined ? "" : ` of ${total}`} bytes received)`,
    );
  try {
    let res: Response;
    try {
      res = await fetch(trimBase(beaconUrl) + path, {
        headers: { accept: "application/octet-stream" },
        signal: controller.signal,
      });
    } catch (e) {
      if (timedOut) throw timeoutError();
      const cause = e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : "";
      throw new Error(`GET ${path} failed: ${e instanceof Error ? e.message : String(e)}${cause}`);
    }
    if (res.status === 404) {
      await res.body?.cancel();
      throw new Error(
        `GET ${path} returned 404: the node has no state for ${stateId}: it may be pruned; an archive node is needed for old states`,
      );
    }
    if (!res.ok) throw new Error(`GET ${path} returned ${res.status}: ${nodeMessage(await res.text())}`);
    const version = res.headers.get("eth-consensus-version");
    if (version === null || !isKnownFork(version)) {
      await res.body?.cancel();
      throw new Error(
        `GET ${path} returned ${version === null ? "no Eth-Consensus-Version" : `a ${version} state`}; the prover knows ${KNOWN_FORKS.join(" and ")}`,
      );
    }
    const type = res.headers.get("content-type") ?? "";
    if (!type.startsWith("application/octet-stream")) {
      await res.body?.cancel();
      throw new Error(`GET ${path} returned ${type || "no content type"}, not SSZ (application/octet-stream)`);
    }
    const length = res.headers.get("content-length");
    total = length === null ? undefined : Number(length);
    const chunks: Uint8Array[] = [];
    try {
      if (res.body) {
        for await (const chunk of res.body) {
          chunks.push(chunk);
          received += chunk.length;
          opts.onProgress?.(received, total);
        }
      }
    } catch (e) {
      if (timedOut) throw timeoutError();
      throw new Error(`GET ${path} failed after ${received} bytes: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (total !== undefined && received !== total) {
      throw new Error(`GET ${path} ended after ${received} of ${total} bytes`);
    }
    const bytes = Buffer.concat(chunks);
    const { ssz } = await import("@lodestar/types");
    let view: BeaconStateView;
    try {
      view = ssz[version].BeaconState.deserializeToViewDU(bytes);
    } catch (e) {
      throw new Error(
        `GET ${path} returned ${received} bytes that are not a ${version} BeaconState: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    return {
      fork: version,
      slot: BigInt(view.slot),
      root: hexlify(view.hashTreeRoot()),
      node: view.node,
      view,
      size: received,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Where the lists sit in `fork`'s state, read from Lodestar's types (the contract's ForkLayout). */
export async function layoutOf(fork: KnownFork): Promise<StateLayout> {
  const { ssz } = await import("@lodestar/types");
  const state = ssz[fork].BeaconState;
  return {
    validatorsGIndex: BigInt(state.getPathInfo(["validators"]).gindex),
    balancesGIndex: BigInt(state.getPathInfo(["balances"]).gindex),
    validatorsLimitDepth: Math.log2(state.fields.validators.limit),
  };
}

/** The header of `blockId` and its post-state (fetched by slot), checked to be that header's state. */
async function headerAndState(beaconUrl: string, opts: ProveOptions) {
  const { header, root } = await fetchHeader(beaconUrl, opts.blockId, opts);
  const state = await fetchStateSsz(beaconUrl, header.slot.toString(), opts);
  if (state.root !== header.stateRoot) {
    throw new Error(
      `the state served for slot ${header.slot} has root ${state.root}, not the header's state_root ${header.stateRoot} (a reorg between the two requests?)`,
    );
  }
  const count = BigInt(state.view.validators.length);
  if (opts.validatorIndex < 0n || opts.validatorIndex >= count) {
    throw new Error(
      `validator ${opts.validatorIndex} is not in the state at slot ${header.slot} (${count} validators)`,
    );
  }
  return { header, root, state, layout: await layoutOf(state.fork) };
}

/** A proof of `state.validators[validatorIndex]` at `blockId`, verified locally. */
export async function proveValidator(beaconUrl: string, opts: ProveOptions): Promise<ClientValidatorProof> {
  const { header, root, state, layout } = await headerAndState(beaconUrl, opts);
  const proof = await buildValidatorProof(state.node, layout, opts.validatorIndex);
  const failure = verifyLocally(root, header, layout, proof);
  if (failure)
    throw new Error(`the proof of validator ${opts.validatorIndex} at slot ${header.slot} fails locally: ${failure}`);
  return { ...proof, header, headerRoot: root, fork: state.fork };
}

/** A proof of the balances chunk holding validator `validatorIndex`'s balance at `blockId`, verified locally. */
export async function proveBalance(beaconUrl: string, opts: ProveOptions): Promise<ClientBalanceProof> {
  const { header, root, state, layout } = await headerAndState(beaconUrl, opts);
  const proof = await buildBalanceProof(state.node, layout, opts.validatorIndex);
  const failure = verifyBalanceLocally(root, header, layout, proof);
  if (failure) {
    throw new Error(
      `the balance proof of validator ${opts.validatorIndex} at slot ${header.slot} fails locally: ${failure}`,
    );
  }
  return { ...proof, header, headerRoot: root, fork: state.fork };
}
