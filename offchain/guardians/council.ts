/**
 * The guardian council daemon (docs/guardians.md): with a quorum above one, each guardian runs one,
 * and together they attest and deposit without anyone passing signatures around by hand.
 *
 * Each pass a daemon:
 *
 * 1. reads the chain: the guardians and quorum of the deposit security module, the deposit root and
 *    the registry's key nonce now, and the latest block;
 * 2. polls its peers' `GET /attestation` (short timeouts) and keeps the signed attestations it can
 *    verify as the module would: the signer recovered from the EIP-712 digest is the guardian the
 *    peer names and a guardian of the module now, the attested deposit root and key nonce are
 *    today's, the attested block is on this chain and young enough to be submitted;
 * 3. chooses what to sign: the attestation of the lowest block among its own previous one and its
 *    peers' that still hold, else a new one of the latest block's parent — so guardians that started
 *    apart converge on one attestation within a pass;
 * 4. refuses to sign, loudly, while a key the pool may deposit to next already has a deposit the
 *    pool did not make (findEarlierDeposits: the deposit contract's logs and, with a Beacon API, the
 *    beacon chain's validators), or while that cannot be checked;
 * 5. signs, serves the signed attestation at `GET /attestation` (and its state at `GET /health`);
 * 6. with a quorum of signatures over that same attestation, ETH to deposit and an operator with
 *    keys ready, submits `depositBufferedEther`. Guardians that reach the quorum together race: one
 *    deposit lands, and the others' calls revert (the deposit root moved) — a line of the log, not a
 *    failure.
 *
 * One line per pass (UTC time, amounts in ETH), plus a line when a peer's state changes (down, back,
 * serving a signature that does not count).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  Signature,
  TypedDataEncoder,
  getAddress,
  hexlify,
  isHexString,
  parseEther,
  recoverAddress,
  type Signer,
  type TypedDataDomain,
} from "ethers";
import type { DepositContract, DepositSecurityModule, NodeOperatorRegistry, StakingPool } from "../../typechain-types";
import { describeError } from "../../sdk/src/errors";
import { eth } from "../../sdk/src/format";
import { INTERFACES } from "../../sdk/src/protocol";
import { parseRevert } from "../../sdk/src/revert";
import { sendTransaction, type SendOptions } from "../tx";
import {
  ATTESTATION_TYPES,
  BeaconApiError,
  KeysChangedError,
  earlierDepositsRefusal,
  findEarlierDeposits,
  parentBlockAttestation,
  signAttestationIn,
  type Attestation,
  type BlockSource,
  type EarlierDepositCheck,
  type GuardianSignature,
} from "./attestations";

/** ETH per validator. */
const DEPOSIT_SIZE = parseEther("32");
/** How long a peer has to answer, by default. */
export const DEFAULT_PEER_TIMEOUT_MS = 2_000;
/** The order of secp256k1, halved: a larger `s` is malleable, and OpenZeppelin's ECDSA refuses it. */
const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
/** The errors that say another submission used the attestation first, or it aged out. */
const LOST_RACE = new Set(["DepositRootChanged", "KeysNonceChanged", "StaleAttestation"]);

/** An attestation with every field as text (JSON has no bigint). */
export interface AttestationJson {
  depositRoot: string;
  keysNonce: string;
  blockNumber: string;
  blockHash: string;
}

/** What `GET /attestation` serves, and what `guardian-attest` prints. */
export interface SignedAttestationJson {
  chainId: string;
  depositSecurityModule: string;
  guardian: string;
  attestation: AttestationJson;
  digest: string;
  signature: { r: string; vs: string };
}

/** The EIP-712 domain of a deposit security module, and its chain. */
export interface ModuleDomain extends TypedDataDomain {
  chainId: bigint;
  verifyingContract: string;
}

/** The module's EIP-712 domain, as it reports it. */
export async function moduleDomain(dsm: DepositSecurityModule): Promise<ModuleDomain> {
  const [, name, version, chainId, verifyingContract] = await dsm.eip712Domain();
  return { name, version, chainId, verifyingContract: getAddress(verifyingContract) };
}

/** `attestation` and `signature` by `guardian` as served and printed. */
export function signedAttestationJson(
  domain: ModuleDomain,
  guardian: string,
  attestation: Attestation,
  signature: GuardianSignature,
): SignedAttestationJson {
  return {
    chainId: domain.chainId.toString(),
    depositSecurityModule: domain.verifyingContract,
    guardian: getAddress(guardian),
    attestation: {
      depositRoot: hexlify(attestation.depositRoot),
      keysNonce: BigInt(attestation.keysNonce).toString(),
      blockNumber: BigInt(attestation.blockNumber).toString(),
      blockHash: hexlify(attestation.blockHash),
    },
    digest: TypedDataEncoder.hash(domain, ATTESTATION_TYPES, attestation),
    signature: { r: hexlify(signature.r), vs: hexlify(signature.vs) },
  };
}

/** A signed attestation whose signer has been recovered. */
export interface VerifiedSignature {
  attestation: Attestation;
  signer: string;
  signature: GuardianSignature;
}

/**
 * The signer of a served attestation, checked as the module's `_checkSignatures` would: the JSON
 * well formed, for this chain and module, the signature canonical (low `s`), recovering to the
 * guardian it names, who is one of `guardians`. Otherwise the reason it does not count.
 */
export function verifySignedAttestation(
  body: unknown,
  domain: ModuleDomain,
  guardians: ReadonlySet<string>,
): VerifiedSignature | { invalid: string } {
  const b = body as Partial<SignedAttestationJson> | null;
  const a = b?.attestation;
  const hex32 = (v: unknown): v is string => typeof v === "string" && isHexString(v, 32);
  const uint = (v: unknown): v is string => typeof v === "string" && /^[0-9]{1,78}$/.test(v);
  if (
    typeof b !== "object" ||
    b === null ||
    typeof b.guardian !== "string" ||
    typeof a !== "object" ||
    a === null ||
    !hex32(a.depositRoot) ||
    !uint(a.keysNonce) ||
    !uint(a.blockNumber) ||
    !hex32(a.blockHash) ||
    !hex32(b.signature?.r) ||
    !hex32(b.signature?.vs)
  ) {
    return { invalid: "not a signed attestation" };
  }
  if (
    b.chainId !== domain.chainId.toString() ||
    b.depositSecurityModule?.toLowerCase() !== domain.verifyingContract.toLowerCase()
  ) {
    return {
      invalid: `an attestation for another module (chain ${String(b.chainId)}, ${String(b.depositSecurityModule)})`,
    };
  }
  const attestation: Attestation = {
    depositRoot: a.depositRoot.toLowerCase(),
    keysNonce: BigInt(a.keysNonce),
    blockNumber: BigInt(a.blockNumber),
    blockHash: a.blockHash.toLowerCase(),
  };
  const signature = { r: b.signature!.r.toLowerCase(), vs: b.signature!.vs.toLowerCase() };
  let signer: string;
  try {
    if ((BigInt(signature.vs) & ((1n << 255n) - 1n)) > HALF_ORDER) return { invalid: "a malleable signature" };
    const digest = TypedDataEncoder.hash(domain, ATTESTATION_TYPES, attestation);
    signer = recoverAddress(digest, Signature.from({ r: signature.r, yParityAndS: signature.vs }));
  } catch {
    return { invalid: "a signature that recovers no signer" };
  }
  let named: string;
  try {
    named = getAddress(b.guardian);
  } catch {
    return { invalid: `a guardian that is not an address (${b.guardian})` };
  }
  if (signer !== named) return { invalid: `a signature by ${signer}, not by ${named} as it says` };
  if (!guardians.has(signer)) return { invalid: `a signature by ${signer}, who is not a guardian` };
  return { attestation, signer, signature };
}

/** Two attestations of the same block and state. */
export function sameAttestation(a: Attestation, b: Attestation): boolean {
  return (
    hexlify(a.depositRoot).toLowerCase() === hexlify(b.depositRoot).toLowerCase() &&
    BigInt(a.keysNonce) === BigInt(b.keysNonce) &&
    BigInt(a.blockNumber) === BigInt(b.blockNumber) &&
    hexlify(a.blockHash).toLowerCase() === hexlify(b.blockHash).toLowerCase()
  );
}

/** What one peer served this pass. */
export type PeerVerdict =
  | { kind: "down"; reason: string }
  | { kind: "silent"; reason: string } // up, signing nothing (starting, or refusing)
  | { kind: "invalid"; reason: string } // a signature that does not count
  | { kind: "stale"; reason: string } // a valid signature over a state or block that no longer holds
  | { kind: "signed"; signed: VerifiedSignature };

/** The contracts a guardian reads and deposits through. */
export interface CouncilContracts {
  pool: StakingPool;
  registry: NodeOperatorRegistry;
  dsm: DepositSecurityModule;
  depositContract: DepositContract;
}

export interface CouncilOptions {
  contracts: CouncilContracts;
  /** The execution chain (reads blocks). */
  provider: BlockSource;
  /** The guardian's key: it signs attestations and sends deposits. */
  guardian: Signer;
  /** How to look for deposits to pending keys (logs, and a Beacon API if given). */
  check: EarlierDepositCheck;
  /** Peers' base URLs (`http://host:port`): their `GET /attestation` is polled. */
  peers: readonly string[];
  /** Where to serve `GET /attestation` and `GET /health`: port (0: any free one) and host. */
  port: number;
  host?: string;
  peerTimeoutMs?: number;
  /** Where lines go (default console.log). */
  log?: (line: string) => void;
  /** The clock of the log lines (tests fix it). */
  now?: () => Date;
  /** How deposits are sent: confirmations, rebroadcasts (offchain/tx.ts; default: its defaults). */
  send?: SendOptions;
}

/** How a pass ended. */
export type PassOutcome =
  | { status: "not-guardian" }
  | { status: "refused"; reason: string }
  | { status: "keys-changed"; reason: string }
  | {
      status: "signed";
      attestation: Attestation;
      signers: string[];
      quorum: bigint;
      peers: Map<string, PeerVerdict>;
      deposit:
        | { status: "waiting" }
        | { status: "nothing"; reason: string }
        | { status: "deposited"; operatorId: bigint; count: bigint; tx: string }
        | { status: "lost-race"; error: string }
        | { status: "failed"; error: string };
    };

/** The guardian's state as `GET /health` serves it. */
interface Health {
  guardian: string;
  status: "starting" | "signing" | "refusing" | "not-guardian";
  lastPass?: string;
  block?: number;
  reason?: string;
}

/** A UTC timestamp to the second. */
export function utc(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function min(...values: bigint[]): bigint {
  return values.reduce((a, b) => (b < a ? b : a));
}

/** A deposit security module guardian that signs, serves, polls and deposits (see the file comment). */
export class GuardianCouncilDaemon {
  /** The signed attestation served now, if any. */
  private served?: { json: SignedAttestationJson; verified: VerifiedSignature };
  private health: Health;
  private readonly peerKinds = new Map<string, string>();
  private readonly log: (line: string) => void;
  private readonly now: () => Date;

  private constructor(
    private readonly options: CouncilOptions,
    readonly address: string,
    readonly domain: ModuleDomain,
    private readonly server: http.Server,
  ) {
    this.log = options.log ?? console.log;
    this.now = options.now ?? (() => new Date());
    this.health = { guardian: address, status: "starting" };
    server.on("request", (req, res) => this.answer(req, res));
  }

  /** Starts serving on the configured port; passes run with `pass()` or `run()`. */
  static async start(options: CouncilOptions): Promise<GuardianCouncilDaemon> {
    const address = getAddress(await options.guardian.getAddress());
    const domain = await moduleDomain(options.contracts.dsm);
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    return new GuardianCouncilDaemon(options, address, domain, server);
  }

  /** Where this guardian serves: `http://host:port`. */
  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address.includes(":") ? `[${address}]` : address}:${port}`;
  }

  /** Stops serving. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "GET") return send(405, { error: "only GET" });
    if (path === "/health") return send(200, this.health);
    if (path === "/attestation") {
      if (this.served) return send(200, this.served.json);
      return send(503, { error: this.health.reason ?? "no signed attestation yet" });
    }
    send(404, { error: "GET /attestation or /health" });
  }

  /** Passes every `intervalMs` until `signal` aborts; a pass that fails is logged, the next one runs. */
  async run(options: { intervalMs: number; signal?: AbortSignal }): Promise<void> {
    while (!options.signal?.aborted) {
      try {
        await this.pass();
      } catch (error) {
        this.log(`${utc(this.now())} pass failed: ${describeError(error, INTERFACES)}`);
      }
      // One listener per wait, removed after it: a daemon runs for weeks.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          options.signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, options.intervalMs);
        options.signal?.addEventListener("abort", done, { once: true });
      });
    }
  }

  /** One pass (see the file comment); logs its line and returns how it ended. */
  async pass(): Promise<PassOutcome> {
    const { pool, registry, dsm, depositContract } = this.options.contracts;
    const provider = this.options.provider;
    const latest = await provider.getBlockNumber();
    const at = `${utc(this.now())} block ${latest}:`;
    const [guardianList, quorum, maxAge] = await Promise.all([
      dsm.getGuardians(),
      dsm.quorum(),
      dsm.maxAttestationAgeBlocks(),
    ]);
    const guardians = new Set(guardianList.map((g) => getAddress(g)));
    this.health = { ...this.health, lastPass: utc(this.now()), block: latest };
    if (!guardians.has(this.address)) {
      this.served = undefined;
      const reason = `${this.address} is not a guardian of the deposit security module ${this.domain.verifyingContract}`;
      this.health = { ...this.health, status: "not-guardian", reason };
      this.log(`${at} ${reason}: signing nothing`);
      return { status: "not-guardian" };
    }

    // What holds now, and the attestations that still hold (a previous own one, the peers').
    const fresh = await parentBlockAttestation(depositContract, registry, provider);
    const holds = async (a: Attestation): Promise<string | undefined> => {
      if (hexlify(a.depositRoot).toLowerCase() !== hexlify(fresh.depositRoot).toLowerCase())
        return "its deposit root is not the deposit contract's now";
      if (BigInt(a.keysNonce) !== BigInt(fresh.keysNonce))
        return `its key nonce ${a.keysNonce} is not the registry's now (${fresh.keysNonce})`;
      const number = Number(a.blockNumber);
      // Half the module's window left, for gathering the quorum and submitting.
      if (number >= latest || BigInt(latest - number) > maxAge / 2n)
        return `block ${number} is too old to submit (latest ${latest}, at most ${maxAge} blocks old)`;
      const block = await provider.getBlock(number);
      if (block?.hash?.toLowerCase() !== hexlify(a.blockHash).toLowerCase())
        return `block ${number} of this chain has another hash`;
      return undefined;
    };
    const peers = await this.pollPeers(guardians, holds);
    const candidates: Attestation[] = [fresh];
    if (this.served && (await holds(this.served.verified.attestation)) === undefined)
      candidates.push(this.served.verified.attestation);
    for (const v of peers.values()) if (v.kind === "signed") candidates.push(v.signed.attestation);
    const chosen = candidates.reduce((a, b) => {
      const [x, y] = [BigInt(a.blockNumber), BigInt(b.blockNumber)];
      if (x !== y) return x < y ? a : b;
      return hexlify(a.blockHash) <= hexlify(b.blockHash) ? a : b;
    });

    // The guardian's own check of the keys the deposit may use.
    try {
      const found = await findEarlierDeposits(registry, provider, chosen, this.options.check);
      if (found.length > 0) {
        const reason = earlierDepositsRefusal(found);
        this.refuse(reason);
        this.log(`${at} WARNING ${reason}; serving no attestation`);
        return { status: "refused", reason };
      }
    } catch (error) {
      if (error instanceof KeysChangedError) {
        this.log(`${at} ${error.message}: checking again next pass`);
        return { status: "keys-changed", reason: error.message };
      }
      const reason =
        error instanceof BeaconApiError
          ? error.message
          : `cannot search for earlier deposits to the pending keys: ${describeError(error, INTERFACES)}`;
      this.refuse(reason);
      this.log(`${at} WARNING ${reason}; nothing was signed`);
      return { status: "refused", reason };
    }

    const signature = await signAttestationIn(this.domain, chosen, this.options.guardian);
    const own: VerifiedSignature = { attestation: chosen, signer: this.address, signature };
    this.served = { json: signedAttestationJson(this.domain, this.address, chosen, signature), verified: own };
    this.health = { guardian: this.address, status: "signing", lastPass: this.health.lastPass, block: latest };

    const bySigner = new Map<string, VerifiedSignature>([[this.address, own]]);
    for (const v of peers.values())
      if (v.kind === "signed" && sameAttestation(v.signed.attestation, chosen)) bySigner.set(v.signed.signer, v.signed);
    const signed = [...bySigner.values()].sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1));
    const peerCounts = (["signed", "stale", "invalid", "silent", "down"] as const)
      .map((kind) => [kind, [...peers.values()].filter((v) => v.kind === kind).length] as const)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${n} ${kind}`);
    const summary =
      `${at} signed block ${chosen.blockNumber} (key nonce ${chosen.keysNonce}),` +
      ` ${signed.length} of ${quorum} signatures` +
      (this.options.peers.length > 0 ? ` (peers: ${peerCounts.join(", ")})` : "");
    const outcome = (deposit: Extract<PassOutcome, { status: "signed" }>["deposit"]): PassOutcome => ({
      status: "signed",
      attestation: chosen,
      signers: signed.map((s) => s.signer),
      quorum,
      peers,
      deposit,
    });

    if (BigInt(signed.length) < quorum) {
      this.log(`${summary}; waiting for ${quorum - BigInt(signed.length)} more`);
      return outcome({ status: "waiting" });
    }
    const nothing = (reason: string) => {
      this.log(`${summary}; nothing to deposit: ${reason}`);
      return outcome({ status: "nothing", reason });
    };
    if (((await pool.pausedCapabilities()) & (await pool.CAPABILITY_DEPOSITS())) !== 0n)
      return nothing("deposits are paused on the pool");
    const depositable = await pool.depositableEther();
    const byBuffer = depositable / DEPOSIT_SIZE;
    if (byBuffer === 0n) return nothing(`${eth(depositable)} depositable, 32 ETH per validator`);
    const next = await this.nextOperator();
    if (next === undefined) return nothing("no operator has vetted, bond-covered keys ready");
    const count = min(next.keys, byBuffer, await pool.MAX_DEPOSITS_PER_CALL());
    const signatures = signed.slice(0, Number(quorum)).map((s) => s.signature);
    const sender = dsm.connect(this.options.guardian);
    const validators = `${count} validator${count === 1n ? "" : "s"} (${eth(count * DEPOSIT_SIZE)}) of operator ${next.id}`;
    try {
      await sender.depositBufferedEther.staticCall(next.id, count, chosen, signatures); // a revert costs no gas
      // As on a real network (offchain/tx.ts): estimated, confirmed, sent again if not mined in time.
      const request = await sender.depositBufferedEther.populateTransaction(next.id, count, chosen, signatures);
      const tx = (await sendTransaction(this.options.guardian, request, this.options.send)).hash;
      this.log(`${summary}; deposited ${validators}, tx ${tx}; buffer now ${eth(await pool.bufferedEther())}`);
      return outcome({ status: "deposited", operatorId: next.id, count, tx });
    } catch (error) {
      // A revert decoded (the preflight, or a gas estimate against the pending block), or a
      // transaction mined after another guardian's (no revert data): either way the attested state
      // moved on, which the chain now shows.
      const revert = parseRevert(error, INTERFACES);
      const moved =
        revert !== undefined && LOST_RACE.has(revert.name) ? revert.name : await this.movedOn(chosen, maxAge);
      if (moved !== undefined) {
        const why = `another guardian deposited first or the attestation aged out (${moved})`;
        this.log(`${summary}; not deposited: ${why}`);
        return outcome({ status: "lost-race", error: moved });
      }
      const sentence = describeError(error, INTERFACES);
      this.log(`${summary}; deposit of ${validators} failed: ${sentence}`);
      return outcome({ status: "failed", error: sentence });
    }
  }

  /** The module's error for `attestation` if submitted now, when the chain moved past it. */
  private async movedOn(attestation: Attestation, maxAge: bigint): Promise<string | undefined> {
    const { registry, depositContract } = this.options.contracts;
    const [root, nonce, latest] = await Promise.all([
      depositContract.get_deposit_root(),
      registry.keysNonce(),
      this.options.provider.getBlockNumber(),
    ]);
    if (BigInt(latest) + 1n - BigInt(attestation.blockNumber) > maxAge) return "StaleAttestation";
    if (root.toLowerCase() !== hexlify(attestation.depositRoot).toLowerCase()) return "DepositRootChanged";
    if (nonce !== BigInt(attestation.keysNonce)) return "KeysNonceChanged";
    return undefined;
  }

  /** Stops serving a signature, for `reason`. */
  private refuse(reason: string): void {
    this.served = undefined;
    this.health = { ...this.health, status: "refusing", reason };
  }

  /** The first operator that can take a deposit now, and how many keys (registry.depositableKeys). */
  private async nextOperator(): Promise<{ id: bigint; keys: bigint } | undefined> {
    const registry = this.options.contracts.registry;
    const count = await registry.getNodeOperatorsCount();
    for (let id = 0n; id < count; id++) {
      const keys = await registry.depositableKeys(id);
      if (keys > 0n) return { id, keys };
    }
    return undefined;
  }

  /** Every peer's attestation, judged; a line for each peer whose state changed since the last pass. */
  private async pollPeers(
    guardians: ReadonlySet<string>,
    holds: (a: Attestation) => Promise<string | undefined>,
  ): Promise<Map<string, PeerVerdict>> {
    const verdicts = new Map<string, PeerVerdict>();
    await Promise.all(
      this.options.peers.map(async (peer) => {
        verdicts.set(peer, await this.judge(peer, guardians, holds));
      }),
    );
    for (const peer of this.options.peers) {
      const v = verdicts.get(peer)!;
      // "stale" and "signed" are the same state of the peer: up and signing. Otherwise a new reason
      // is a new state (a peer that serves another bad signature is said again).
      const kind = v.kind === "stale" || v.kind === "signed" ? "up" : `${v.kind}: ${v.reason}`;
      const previous = this.peerKinds.get(peer);
      this.peerKinds.set(peer, kind);
      if (previous === kind || (previous === undefined && kind === "up")) continue;
      const line =
        v.kind === "down"
          ? `peer ${peer} is down (${v.reason})`
          : v.kind === "silent"
            ? `peer ${peer} signs nothing (${v.reason})`
            : v.kind === "invalid"
              ? `peer ${peer} serves a signature that does not count: ${v.reason}`
              : `peer ${peer} is up and signing`;
      this.log(`${utc(this.now())} ${line}`);
    }
    return verdicts;
  }

  private async judge(
    peer: string,
    guardians: ReadonlySet<string>,
    holds: (a: Attestation) => Promise<string | undefined>,
  ): Promise<PeerVerdict> {
    let status: number;
    let body: unknown;
    try {
      const res = await fetch(`${peer}/attestation`, {
        signal: AbortSignal.timeout(this.options.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS),
      });
      status = res.status;
      body = await res.json();
    } catch (error) {
      const e = error as { cause?: { code?: unknown }; name?: unknown; message?: unknown };
      const reason =
        typeof e?.cause?.code === "string"
          ? e.cause.code
          : e?.name === "TimeoutError"
            ? "no answer in time"
            : String(e?.message ?? error).split("\n")[0];
      return { kind: "down", reason };
    }
    if (status === 503) {
      const error = (body as { error?: unknown } | null)?.error;
      return { kind: "silent", reason: typeof error === "string" ? error : "no attestation" };
    }
    if (status !== 200) return { kind: "down", reason: `HTTP ${status}` };
    const verified = verifySignedAttestation(body, this.domain, guardians);
    if ("invalid" in verified) return { kind: "invalid", reason: verified.invalid };
    if (verified.signer === this.address) return { kind: "invalid", reason: `a signature by this guardian` };
    const stale = await holds(verified.attestation);
    if (stale !== undefined) return { kind: "stale", reason: stale };
    return { kind: "signed", signed: verified };
  }
}
