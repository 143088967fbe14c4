/**
 * Submitting beacon facts to `BeaconFacts` (contracts/beacon/): from any Beacon API and a deployment,
 * find a registry key's validator (by pubkey) in a state whose block root the EIP-4788 contract
 * holds, build the `ValidatorFact` (proof from `./proofs`, checked with `verifyLocally`), check the
 * fact the contract will check, and send `proveSlashed`, `proveExited`, `proveLateExit` or
 * `proveForeignCredentials`.
 *
 * The anchor (note 65): the 4788 contract keys a beacon block root by the timestamp of the
 * execution block whose `parent_beacon_block_root` it is, the payload of the block's child. So the
 * head block's own root is not on chain until its child is; the prover tries the head, then its
 * parent (whose root the head's payload carries), and for each looks for the child slot's timestamp
 * `genesis + secondsPerSlot × slot'` (slot' = slot + 1, or later after missed slots) at which `eth_call` to 4788
 * returns that root, up to the execution chain's latest block.
 *
 * Late exits: the accounting oracle records per report a Merkle root of its exit requests (leaves
 * `keccak256(abi.encode(operatorId, keyIndex))` in the report's order, sorted-pair keccak, an odd
 * node carried up unpaired), with `ExitRequestsRecorded(root, count)` in the transaction that emits
 * the `ValidatorExitRequested` events; the prover rebuilds the tree from those logs.
 *
 * Failures are one sentence each, in the SDK's words for the contracts' custom errors (checked here
 * before anything is sent, or decoded from a revert).
 */
import {
  AbiCoder,
  ZeroHash,
  concat,
  hexlify,
  isError,
  keccak256,
  toBeHex,
  zeroPadValue,
  type ContractTransaction,
  type Interface,
  type Provider,
  type Signer,
  type TransactionReceipt,
} from "ethers";
import type { AccountingOracle, BeaconFacts, NodeOperatorRegistry } from "../../typechain-types";
import { BeaconFacts__factory } from "../../typechain-types/factories/contracts/beacon/BeaconFacts__factory";
import { StakingPool__factory } from "../../sdk/src/contracts";
import { describeCustomError, describeError } from "../../sdk/src/errors";
import { eth } from "../../sdk/src/format";
import { INTERFACES } from "../../sdk/src/protocol";
import { sendTransaction } from "../tx";
import { fetchHeader, fetchStateSsz, layoutOf, type FetchedState } from "./client";
import {
  buildValidatorProof,
  validatorRecordFromSsz,
  verifyLocally,
  type BeaconBlockHeader,
  type StateLayout,
  type ValidatorRecord,
} from "./proofs";

/** The EIP-4788 beacon roots contract. */
export const BEACON_ROOTS = "0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02";
/** A validator's exit epoch while it has not started to exit. */
export const FAR_FUTURE_EPOCH = 2n ** 64n - 1n;
const SLOTS_PER_EPOCH = 32n;
/** Child slots searched for a block root's 4788 timestamp (missed slots in a row, at most). */
export const MAX_CHILD_SLOTS = 64n;

/** BeaconFacts' fact bits. */
export const FACT = { slashed: 1n, exited: 2n, late: 4n, foreign: 8n, forced: 16n } as const;
export type FactKind = "slashed" | "exited" | "late" | "foreign";

/** The interfaces a revert of a proof may come from: the SDK's and BeaconFacts'. */
export const FACT_INTERFACES: readonly Interface[] = [...INTERFACES, BeaconFacts__factory.createInterface()];

/** What the prover needs of a deployment. */
export interface FactsContracts {
  facts: BeaconFacts;
  registry: NodeOperatorRegistry;
  oracle: AccountingOracle;
}

export interface FactsContext {
  /** Beacon API base URL. */
  beaconUrl: string;
  provider: Provider;
  contracts: FactsContracts;
  /** Where to look for the oracle's exit-request logs from (its deployment block; default 0). */
  fromBlock?: number;
}

/**
 * Loads the ESM-only Beacon API and SSZ packages the prover uses (seconds on a cold start), so a
 * caller can do it before talking to a node whose idle keep-alive connections would close meanwhile.
 */
export async function loadProverModules(): Promise<void> {
  await Promise.all([
    import("@lodestar/api"),
    import("@lodestar/config"),
    import("@lodestar/config/default"),
    import("@lodestar/types"),
    import("@chainsafe/persistent-merkle-tree"),
  ]);
}

/** A one-sentence failure of the prover (the sentence is the message). */
export class ProofFailure extends Error {}

/** Throws a {ProofFailure} with the SDK's sentence for BeaconFacts' custom error `name`. */
function refuse(name: string, args: readonly unknown[]): never {
  throw new ProofFailure(describeCustomError(name, args, FACT_INTERFACES));
}

/** A beacon state whose block root EIP-4788 holds, and the execution timestamp it holds it for. */
export interface AnchoredState {
  header: BeaconBlockHeader;
  root: string;
  blockTimestamp: bigint;
  state: FetchedState;
  layout: StateLayout;
  /** Validator index by lower-case pubkey. */
  indexByPubkey: Map<string, number>;
}

/** The root 4788 holds for `timestamp`, or undefined (none, or the contract reverts). */
export async function beaconRootAt(provider: Provider, timestamp: bigint): Promise<string | undefined> {
  try {
    const root = await provider.call({ to: BEACON_ROOTS, data: zeroPadValue(toBeHex(timestamp), 32) });
    return root === "0x" || root === ZeroHash ? undefined : root.toLowerCase();
  } catch (error) {
    // The contract reverts for a timestamp it does not hold; anything else (the node) is a failure.
    // (Hardhat's in-process provider reports that revert as a plain "reverted" error, not as
    // ethers' CALL_EXCEPTION.)
    if (isError(error, "CALL_EXCEPTION")) return undefined;
    if (error instanceof Error && /\breverted\b/i.test(error.message)) return undefined;
    throw error;
  }
}

/**
 * The execution timestamp under which 4788 holds `root`, the root of the block at `slot`: the time
 * of a child slot (the next, or a later one after missed slots) up to the execution head, checked by
 * `eth_call`; undefined if none holds it (yet).
 */
export async function findBlockTimestamp(
  provider: Provider,
  time: BeaconTime,
  slot: bigint,
  root: string,
): Promise<bigint | undefined> {
  const latest = BigInt((await provider.getBlock("latest"))!.timestamp);
  for (let child = slot + 1n; child <= slot + MAX_CHILD_SLOTS; child++) {
    const timestamp = time.genesisTime + child * time.secondsPerSlot;
    if (timestamp > latest) break;
    const held = await beaconRootAt(provider, timestamp);
    if (held === root.toLowerCase()) return timestamp;
    // Another root at the child slot's time: the child was found and names another parent.
    if (held !== undefined) return undefined;
  }
  return undefined;
}

/**
 * The newest state whose block root is on chain in 4788: the head's, else its parent's (the head's
 * payload carries the parent's root). Throws a sentence when neither is (yet).
 */
export async function anchoredState(ctx: FactsContext): Promise<AnchoredState> {
  const time = await beaconTime(ctx.contracts.facts);
  const head = await fetchHeader(ctx.beaconUrl, "head");
  let anchor = head;
  let blockTimestamp = await findBlockTimestamp(ctx.provider, time, head.header.slot, head.root);
  if (blockTimestamp === undefined && head.header.parentRoot !== ZeroHash) {
    anchor = await fetchHeader(ctx.beaconUrl, head.header.parentRoot);
    blockTimestamp = await findBlockTimestamp(ctx.provider, time, anchor.header.slot, anchor.root);
  }
  if (blockTimestamp === undefined) {
    throw new ProofFailure(
      `No EIP-4788 root on the execution chain yet for the beacon head (slot ${head.header.slot}) or its parent: try again after the next block.`,
    );
  }
  const state = await fetchStateSsz(ctx.beaconUrl, anchor.header.slot.toString());
  if (state.root !== anchor.header.stateRoot) {
    throw new ProofFailure(
      `The state served for slot ${anchor.header.slot} is not the one of block ${anchor.root} (a reorg?): try again.`,
    );
  }
  const indexByPubkey = new Map<string, number>();
  state.view.validators.getAllReadonlyValues().forEach((v, i) => indexByPubkey.set(hexlify(v.pubkey), i));
  return {
    header: anchor.header,
    root: anchor.root,
    blockTimestamp,
    state,
    layout: await layoutOf(state.fork),
    indexByPubkey,
  };
}

/** A registry key as the prover needs it. */
export interface RegistryKey {
  operatorId: bigint;
  keyIndex: bigint;
  pubkey: string;
  deposited: boolean;
}

/** Registry key `(operatorId, keyIndex)`; a missing operator or key fails with the registry's sentence. */
export async function registryKey(
  registry: NodeOperatorRegistry,
  operatorId: bigint,
  keyIndex: bigint,
): Promise<RegistryKey> {
  try {
    const [pubkey, , deposited] = await registry.getSigningKey(operatorId, keyIndex);
    return { operatorId, keyIndex, pubkey: pubkey.toLowerCase(), deposited };
  } catch (error) {
    throw new ProofFailure(describeError(error, FACT_INTERFACES));
  }
}

/** The `ValidatorFact` struct BeaconFacts takes. */
export interface ValidatorFact {
  operatorId: bigint;
  keyIndex: bigint;
  blockTimestamp: bigint;
  header: BeaconBlockHeader;
  validatorIndex: bigint;
  validator: ValidatorRecord;
  proof: string;
}

/** The record of `key`'s validator in the anchored state, or undefined if the state has none. */
export function validatorOf(anchored: AnchoredState, key: RegistryKey): ValidatorRecord | undefined {
  const index = anchored.indexByPubkey.get(key.pubkey);
  if (index === undefined) return undefined;
  return validatorRecordFromSsz(anchored.state.view.validators.getReadonly(index).toValue());
}

/** The proof of `key`'s validator in the anchored state, checked locally. */
export async function buildFact(anchored: AnchoredState, key: RegistryKey): Promise<ValidatorFact> {
  const index = anchored.indexByPubkey.get(key.pubkey);
  if (index === undefined) {
    throw new ProofFailure(
      `Key #${key.keyIndex} of operator #${key.operatorId} (${key.pubkey.slice(0, 10)}…) has no validator in the beacon state of slot ${anchored.header.slot}.`,
    );
  }
  const proof = await buildValidatorProof(anchored.state.node, anchored.layout, BigInt(index));
  const failure = verifyLocally(anchored.root, anchored.header, anchored.layout, proof);
  if (failure) {
    throw new ProofFailure(
      `The proof of validator ${index} at slot ${anchored.header.slot} fails locally (${failure}); nothing was sent.`,
    );
  }
  return {
    operatorId: key.operatorId,
    keyIndex: key.keyIndex,
    blockTimestamp: anchored.blockTimestamp,
    header: anchored.header,
    validatorIndex: proof.validatorIndex,
    validator: proof.validator,
    proof: proof.proof,
  };
}

// ──────────────────────────────── Exit requests ────────────────────────────────

/** Sorted-pair keccak (OpenZeppelin's `Hashes.commutativeKeccak256`). */
function hashPair(a: string, b: string): string {
  return BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

/** The leaf of exit request `(operatorId, keyIndex)`. */
export function exitRequestLeaf(operatorId: bigint, keyIndex: bigint): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [operatorId, keyIndex]));
}

/** The root of `leaves` as the accounting oracle computes it, and the siblings of leaf `index`. */
export function exitRequestsTree(leaves: readonly string[], index: number): { root: string; siblings: string[] } {
  if (leaves.length === 0) throw new Error("no exit requests");
  let level = [...leaves];
  let i = index;
  const siblings: string[] = [];
  while (level.length > 1) {
    const sibling = i ^ 1;
    if (sibling < level.length) siblings.push(level[sibling]); // else: the odd last node goes up unpaired
    const next: string[] = [];
    for (let k = 0; k + 1 < level.length; k += 2) next.push(hashPair(level[k], level[k + 1]));
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
    i >>= 1;
  }
  return { root: level[0], siblings };
}

/** Blocks per log query. */
export const LOG_RANGE = 10_000;

/** One report's exit requests, as recorded. */
export interface RecordedExitRequests {
  root: string;
  /** Block time the report was applied (the contract's `exitRequestsAppliedAt`). */
  appliedAt: bigint;
  blockNumber: number;
  requests: { operatorId: bigint; keyIndex: bigint; pubkey: string }[];
}

/**
 * Every report's exit requests from `fromBlock` to `toBlock`: each `ExitRequestsRecorded` with the
 * `ValidatorExitRequested` events of its transaction, in log order; the rebuilt root must be the
 * recorded one.
 */
export async function recordedExitRequests(
  oracle: AccountingOracle,
  fromBlock = 0,
  toBlock: number | "latest" = "latest",
): Promise<RecordedExitRequests[]> {
  let last = toBlock;
  if (last === "latest") {
    const provider = oracle.runner?.provider;
    if (!provider) throw new Error("the oracle contract has no provider to read logs with");
    last = await provider.getBlockNumber();
  }
  // In ranges: public nodes refuse log queries over too many blocks.
  const recorded = [];
  for (let from = fromBlock; from <= last; from += LOG_RANGE) {
    const to = Math.min(last, from + LOG_RANGE - 1);
    recorded.push(...(await oracle.queryFilter(oracle.filters.ExitRequestsRecorded(), from, to)));
  }
  const out: RecordedExitRequests[] = [];
  for (const log of recorded) {
    const requested = (
      await oracle.queryFilter(oracle.filters.ValidatorExitRequested(), log.blockNumber, log.blockNumber)
    )
      .filter((r) => r.transactionHash === log.transactionHash && r.index < log.index)
      .sort((a, b) => a.index - b.index);
    const requests = requested.map((r) => ({
      operatorId: r.args.operatorId,
      keyIndex: r.args.keyIndex,
      pubkey: r.args.pubkey.toLowerCase(),
    }));
    const root = log.args.root;
    const rebuilt = exitRequestsTree(
      requests.map((r) => exitRequestLeaf(r.operatorId, r.keyIndex)),
      0,
    ).root;
    if (rebuilt !== root || BigInt(requests.length) !== log.args.count) {
      throw new ProofFailure(
        `The exit requests logged in transaction ${log.transactionHash} do not rebuild their recorded root ${root}.`,
      );
    }
    out.push({ root, appliedAt: await oracle.exitRequestsAppliedAt(root), blockNumber: log.blockNumber, requests });
  }
  return out;
}

/** The earliest recorded report that asked `key` to exit, with the Merkle proof of it. */
export function exitRequestProofFor(
  recorded: readonly RecordedExitRequests[],
  key: { operatorId: bigint; keyIndex: bigint },
): { record: RecordedExitRequests; requestsRoot: string; siblings: string[] } | undefined {
  for (const record of recorded) {
    const at = record.requests.findIndex((r) => r.operatorId === key.operatorId && r.keyIndex === key.keyIndex);
    if (at < 0) continue;
    const leaves = record.requests.map((r) => exitRequestLeaf(r.operatorId, r.keyIndex));
    const { siblings } = exitRequestsTree(leaves, at);
    return { record, requestsRoot: record.root, siblings };
  }
  return undefined;
}

// ──────────────────────────────── Checks and submission ────────────────────────────────

/** The beacon chain's clock as BeaconFacts holds it: slot 0's Unix time and the slot length. */
export interface BeaconTime {
  genesisTime: bigint;
  /** 12 on mainnet; a devnet's short slots otherwise (BeaconFacts.SECONDS_PER_SLOT). */
  secondsPerSlot: bigint;
}

/** The deployment's beacon clock, read from BeaconFacts' immutables. */
export async function beaconTime(
  facts: Pick<BeaconFacts, "genesisTimestamp" | "SECONDS_PER_SLOT">,
): Promise<BeaconTime> {
  const [genesisTime, secondsPerSlot] = await Promise.all([facts.genesisTimestamp(), facts.SECONDS_PER_SLOT()]);
  return { genesisTime, secondsPerSlot };
}

/** The header slot's time. */
export function headerTime(time: BeaconTime, header: BeaconBlockHeader): bigint {
  return time.genesisTime + header.slot * time.secondsPerSlot;
}

/** Epochs a validator must be active before the consensus layer processes its exit. */
export const SHARD_COMMITTEE_PERIOD = 256n;

/**
 * When a requested exit becomes late, as `BeaconFacts.proveLateExit` computes it: the deadline runs
 * from the request, or from the first epoch the validator may exit (activation + 256) if later;
 * never, while it is not active.
 */
export function lateExitDeadline(
  time: BeaconTime,
  appliedAt: bigint,
  activationEpoch: bigint,
  deadlineSeconds: bigint,
): bigint {
  const exitableFrom =
    activationEpoch >= FAR_FUTURE_EPOCH - SHARD_COMMITTEE_PERIOD
      ? FAR_FUTURE_EPOCH
      : time.genesisTime + (activationEpoch + SHARD_COMMITTEE_PERIOD) * SLOTS_PER_EPOCH * time.secondsPerSlot;
  return (appliedAt > exitableFrom ? appliedAt : exitableFrom) + deadlineSeconds;
}

/** What a proof changed, for one line of output. */
export interface ProofResult {
  kind: FactKind | "forced";
  operatorId: bigint;
  keyIndex: bigint;
  receipt: TransactionReceipt;
  gasUsed: bigint;
  /** The sentence after "Proven: " (or "Forced exit: "), without gas. */
  summary: string;
}

/**
 * Sends the transaction `populate()` builds as `signer` would on a real network (offchain/tx.ts:
 * estimated first, confirmed, sent again with higher fees if not mined); a revert becomes the SDK's
 * sentence.
 */
async function submit(signer: Signer, populate: () => Promise<ContractTransaction>): Promise<TransactionReceipt> {
  try {
    return await sendTransaction(signer, await populate());
  } catch (error) {
    throw new ProofFailure(describeError(error, FACT_INTERFACES));
  }
}

/** The value sent with an exit request: the predeploy's fee now plus 10% (rounded up); the excess comes back. */
export async function exitRequestValue(facts: BeaconFacts): Promise<bigint> {
  let fee: bigint;
  try {
    fee = await facts.exitRequestFee();
  } catch (error) {
    throw new ProofFailure(describeError(error, FACT_INTERFACES));
  }
  return fee + (fee + 9n) / 10n;
}

/** The pool's withdrawal credentials (0x01 ‖ 11 zero bytes ‖ the withdrawal vault). */
async function poolCredentials(facts: BeaconFacts): Promise<string> {
  return (await facts.WITHDRAWAL_CREDENTIALS()).toLowerCase();
}

/**
 * Checks, before anything is sent, what BeaconFacts will check for `kind` on `key` in the anchored
 * state, as the contract's sentences; returns the exit-request proof for a late exit.
 */
export async function checkFact(
  ctx: FactsContext,
  anchored: AnchoredState,
  key: RegistryKey,
  kind: FactKind,
  recorded?: readonly RecordedExitRequests[],
): Promise<{ requestsRoot: string; siblings: string[] } | undefined> {
  const { facts } = ctx.contracts;
  if (kind !== "foreign" && !key.deposited) refuse("KeyNotDeposited", [key.operatorId, key.keyIndex]);
  const bit = FACT[kind];
  if (((await facts.keyFacts(key.operatorId, key.keyIndex)) & bit) !== 0n) {
    refuse("FactAlreadyProven", [key.operatorId, key.keyIndex, bit]);
  }
  const v = validatorOf(anchored, key);
  if (v === undefined) {
    throw new ProofFailure(
      `Key #${key.keyIndex} of operator #${key.operatorId} (${key.pubkey.slice(0, 10)}…) has no validator in the beacon state of slot ${anchored.header.slot}.`,
    );
  }
  const ours = v.withdrawalCredentials.toLowerCase() === (await poolCredentials(facts));
  if (kind === "foreign") {
    if (ours) refuse("WrongWithdrawalCredentials", [v.withdrawalCredentials]);
    return undefined;
  }
  if (!ours) refuse("WrongWithdrawalCredentials", [v.withdrawalCredentials]);
  const epoch = anchored.header.slot / SLOTS_PER_EPOCH;
  if (kind === "slashed" && (!v.slashed || v.withdrawableEpoch <= epoch)) {
    refuse("NotSlashed", [v.slashed, v.withdrawableEpoch, epoch]);
  }
  if (kind === "exited" && v.exitEpoch > epoch) refuse("NotExited", [v.exitEpoch, epoch]);
  if (kind !== "late") return undefined;
  const records = recorded ?? (await recordedExitRequests(ctx.contracts.oracle, ctx.fromBlock ?? 0));
  const found = exitRequestProofFor(records, key);
  if (!found) refuse("KeyNotRequestedToExit", [key.operatorId, key.keyIndex]);
  const clock = await beaconTime(facts);
  const { lateExitDeadlineSeconds } = await facts.exitSettings();
  const deadline = lateExitDeadline(clock, found.record.appliedAt, v.activationEpoch, lateExitDeadlineSeconds);
  const time = headerTime(clock, anchored.header);
  if (v.exitEpoch !== FAR_FUTURE_EPOCH || time <= deadline) refuse("ExitNotLate", [v.exitEpoch, time, deadline]);
  return { requestsRoot: found.requestsRoot, siblings: found.siblings };
}

/** Whether `kind` holds for `v` at the anchored state (what the watcher looks for; late exits aside). */
export function factHolds(kind: "slashed" | "exited", v: ValidatorRecord, anchored: AnchoredState): boolean {
  const epoch = anchored.header.slot / SLOTS_PER_EPOCH;
  return kind === "slashed" ? v.slashed && v.withdrawableEpoch > epoch : v.exitEpoch <= epoch;
}

const gwei = (n: bigint): bigint => n * 1_000_000_000n;
const ethText = (wei: bigint): string => eth(wei, 18);

/**
 * Proves `kind` for registry key `(operatorId, keyIndex)` as `signer`: anchors at the newest state
 * 4788 holds, checks, builds and sends. Returns what changed.
 */
export async function proveKeyFact(
  ctx: FactsContext,
  signer: Signer,
  kind: FactKind,
  operatorId: bigint,
  keyIndex: bigint,
  prepared?: { anchored?: AnchoredState; recorded?: readonly RecordedExitRequests[]; key?: RegistryKey },
): Promise<ProofResult> {
  const key = prepared?.key ?? (await registryKey(ctx.contracts.registry, operatorId, keyIndex));
  if (kind !== "foreign" && !key.deposited) refuse("KeyNotDeposited", [operatorId, keyIndex]);
  const anchored = prepared?.anchored ?? (await anchoredState(ctx));
  const request = await checkFact(ctx, anchored, key, kind, prepared?.recorded);
  const fact = await buildFact(anchored, key);
  const facts = ctx.contracts.facts.connect(signer);
  const iface = facts.interface;
  const events = (receipt: TransactionReceipt) =>
    receipt.logs
      .filter((l) => l.address.toLowerCase() === facts.target.toString().toLowerCase())
      .map((l) => iface.parseLog(l))
      .filter((l) => l !== null);
  const who = `operator ${operatorId} key ${keyIndex}`;
  switch (kind) {
    case "slashed": {
      const receipt = await submit(signer, () => facts.proveSlashed.populateTransaction(fact));
      const ev = events(receipt).find((e) => e.name === "SlashingProven")!;
      const on = await (await poolOf(ctx)).isBunkerModeActive();
      return result(kind, operatorId, keyIndex, receipt, [
        `${who} slashed`,
        `bunker mode ${on ? "on" : "off"}`,
        `slashing credit ${ethText(gwei(ev.args.creditGwei as bigint))}`,
      ]);
    }
    case "exited": {
      const receipt = await submit(signer, () => facts.proveExited.populateTransaction(fact));
      const ev = events(receipt).find((e) => e.name === "ExitProven")!;
      return result(kind, operatorId, keyIndex, receipt, [
        `${who} exited`,
        `operator ${operatorId} has ${ev.args.provenExitedKeys as bigint} proven exits`,
      ]);
    }
    case "late": {
      const value = await exitRequestValue(ctx.contracts.facts);
      const receipt = await submit(signer, () => facts.proveLateExit.populateTransaction(fact, request!, { value }));
      const ev = events(receipt).find((e) => e.name === "LateExitProven")!;
      const fee = ev.args.feeWei as bigint;
      const penalty = await sharesToEth(ctx, ev.args.penaltyShares as bigint);
      return result(kind, operatorId, keyIndex, receipt, [
        `${who} late to exit`,
        `EIP-7002 exit requested (fee ${ethText(fee)}, refunded from the bond)`,
        `penalty ${ethText(penalty)} from the bond to the insurance fund`,
        "operator's deposits held",
      ]);
    }
    case "foreign": {
      const receipt = await submit(signer, () => facts.proveForeignCredentials.populateTransaction(fact));
      const ev = events(receipt).find((e) => e.name === "ForeignCredentialsProven")!;
      const written = ev.args.writtenOffWei as bigint;
      return result(kind, operatorId, keyIndex, receipt, [
        `${who} has foreign withdrawal credentials ${String(ev.args.withdrawalCredentials)}`,
        "operator's undeposited keys frozen",
        written === 0n ? "nothing written off (never deposited by the pool)" : `${ethText(written)} written off`,
      ]);
    }
  }
}

/** Governance's direct forced exit (FORCE_EXIT_ROLE) of `(operatorId, keyIndex)`. */
export async function forceExit(
  ctx: FactsContext,
  admin: Signer,
  operatorId: bigint,
  keyIndex: bigint,
): Promise<ProofResult> {
  const facts = ctx.contracts.facts.connect(admin);
  const key = await registryKey(ctx.contracts.registry, operatorId, keyIndex);
  if (!key.deposited) refuse("KeyNotDeposited", [operatorId, keyIndex]);
  if (((await facts.keyFacts(operatorId, keyIndex)) & FACT.forced) !== 0n) {
    refuse("FactAlreadyProven", [operatorId, keyIndex, FACT.forced]);
  }
  const value = await exitRequestValue(ctx.contracts.facts);
  const receipt = await submit(admin, () => facts.forceExit.populateTransaction(operatorId, keyIndex, { value }));
  const log = receipt.logs
    .filter((l) => l.address.toLowerCase() === facts.target.toString().toLowerCase())
    .map((l) => facts.interface.parseLog(l))
    .find((l) => l !== null && l.name === "ForcedExit");
  const fee = (log?.args.feeWei as bigint | undefined) ?? 0n;
  return result("forced", operatorId, keyIndex, receipt, [
    `operator ${operatorId} key ${keyIndex} asked to exit through EIP-7002 (fee ${ethText(fee)})`,
  ]);
}

/** The pool BeaconFacts names, read through the context's provider. */
async function poolOf(ctx: FactsContext) {
  return StakingPool__factory.connect(await ctx.contracts.facts.POOL(), ctx.provider);
}

async function sharesToEth(ctx: FactsContext, shares: bigint): Promise<bigint> {
  return (await poolOf(ctx)).getPooledEthByShares(shares);
}

function result(
  kind: ProofResult["kind"],
  operatorId: bigint,
  keyIndex: bigint,
  receipt: TransactionReceipt,
  parts: string[],
): ProofResult {
  return { kind, operatorId, keyIndex, receipt, gasUsed: receipt.gasUsed, summary: parts.join("; ") };
}

/** "Proven: <summary>; gas 112,345" (or "Forced exit: …"). */
export function describeProof(r: ProofResult): string {
  const head = r.kind === "forced" ? "Forced exit" : "Proven";
  return `${head}: ${r.summary}; gas ${r.gasUsed.toLocaleString("en-US")}`;
}
