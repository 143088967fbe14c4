/**
 * Builds the `ReportData` for the current frame from a Beacon API and the execution chain
 * (docs/protocol.md §4; the rules are in docs/oracle.md):
 *
 * - validators: the registry's deposited keys found in the beacon state of the reference slot — their
 *   count, and the total balance of those with our withdrawal credentials. A key found with foreign
 *   credentials (someone deposited to it first, so our 32 ETH went to their validator) is left out:
 *   a proof on chain writes its 32 ETH off (the prover's watcher makes it); only a key an earlier
 *   oracle already charged stays counted, as visible with no balance;
 * - vault balances at the reference slot's execution block;
 * - operator losses, per key (`keyLosses`): each slashed validator not yet withdrawn has lost
 *   32 ETH − min(balance, 32 ETH) to date; it owes that less what the oracle contract has already
 *   charged it (`keyLossChargedGwei`, read at the reference block), summed per operator. Nothing is
 *   measured against an earlier state, so members whose nodes keep different history agree;
 * - exited validators per operator (`exitedKeys`), where the count grew;
 * - bunker mode: a slashed validator whose correlation penalty is still ahead, or a report that
 *   would lower the share rate (a loss beyond what bonds and the insurance fund cover);
 * - finalization: unless in bunker mode, the last request the buffer after the simulated report
 *   covers at the rate after it (the queue's `findMaxRequestIdToFinalize`), split into batches where
 *   requests change side of that rate, so that each batch locks exactly what it will pay;
 * - exits: enough validators, oldest first and spread across operators, for the queue's shortfall
 *   after the report, net of ETH already on its way.
 *
 * Everything is read at the reference slot (beacon state) or its execution block, so every member
 * computes the same report whenever it runs.
 */
import type { Provider } from "ethers";
import type { Tidepool } from "../../deploy/protocol";
import { buildReport, exitedKeysEntry, keyLossEntry, type ReportData } from "../../sdk/src/report";
import { exitsNeeded, planExits, type ExitRequest, type OperatorValidators } from "./exits";
import type { BeaconReader, BeaconValidator } from "./beacon";
import { KeyIndex, type IndexedExitRequest } from "./key-index";
import { ExecutionReads, type ReadPolicy } from "./reads";
import {
  simulateReport,
  withdrawalVaultRoom,
  DEPOSIT_SIZE_WEI,
  WEI_PER_GWEI,
  type PoolSnapshot,
  type ReportOutcome,
} from "./accounting";

export type OracleContracts = Pick<Tidepool, "pool" | "oracle" | "registry" | "withdrawalQueue">;

/** Statuses a validator has once it has left the active set. */
const EXITED = new Set(["exited_unslashed", "exited_slashed", "withdrawal_possible", "withdrawal_done"]);
/** Finalization batches per report, at most (AccountingOracle.MAX_FINALIZATION_BATCHES). */
export const MAX_FINALIZATION_BATCHES = 32;
const RAY = 10n ** 27n;

export interface ReportContext {
  beacon: BeaconReader;
  provider: Provider;
  contracts: OracleContracts;
  /** Where to start looking for earlier exit requests (the oracle's deployment block). */
  fromBlock?: number;
  /**
   * What this member has learnt for good (deposited keys, validator indices, exit requests), kept
   * between reports and on disk (offchain/oracle/key-index.ts); without it, an index for this report only.
   */
  index?: KeyIndex;
  /** Timeouts, retries and calls in flight of the execution-layer reads (default: DEFAULT_READ_POLICY). */
  readPolicy?: ReadPolicy;
  /** Blocks per `eth_getLogs` request (default: LOG_RANGE_BLOCKS). */
  logRangeBlocks?: number;
}

/** Blocks per `eth_getLogs` request by default: what hosted providers commonly accept. */
export const LOG_RANGE_BLOCKS = 10_000;

/** One of our validators: its registry position and its beacon-chain record. */
export interface OwnValidator extends BeaconValidator {
  operatorId: bigint;
  keyIndex: bigint;
}

/** A key's loss to charge: its loss to date and what it still owes, in gwei. */
export interface KeyLoss {
  operatorId: bigint;
  keyIndex: bigint;
  lossToDateGwei: bigint;
  owedGwei: bigint;
}

/** The report and what it was computed from, for logs and checks. */
export interface BuiltReport {
  data: ReportData;
  refSlot: bigint;
  /** The beacon block slot whose state was read (the reference slot or the last block before it). */
  stateSlot: bigint;
  executionBlock: number;
  validators: OwnValidator[];
  /** Deposited keys whose validator has foreign withdrawal credentials (front-run deposits). */
  foreign: OwnValidator[];
  keyLosses: KeyLoss[];
  outcome: ReportOutcome;
  /** CL result against the last report: balances + withdrawal vault − preCL, in wei. */
  clResultWei: bigint;
  pendingExits: ExitRequest[];
}

const GWEI_32 = DEPOSIT_SIZE_WEI / WEI_PER_GWEI;

/** The last execution block with a timestamp at or before `timestamp` (binary search over headers). */
export async function blockAtOrBefore(
  provider: Provider,
  timestamp: bigint,
  reads = new ExecutionReads(),
): Promise<number> {
  let lo = 0;
  let hi = await reads.read("the head block number", undefined, () => provider.getBlockNumber());
  const time = async (n: number) =>
    BigInt((await reads.read(`block ${n}`, undefined, () => provider.getBlock(n)))!.timestamp);
  if ((await time(hi)) <= timestamp) return hi;
  if ((await time(0)) > timestamp) {
    throw new Error(
      `the execution chain has no block at or before ${timestamp}: it started later; report the next frame`,
    );
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await time(mid)) <= timestamp) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The registry's MAX_KEYS_PER_VIEW: keys per `pubkeys` call. */
const KEYS_PER_VIEW = 1_000n;

/** A deposited key: its registry position, pubkey, and validator index once a finalized state showed it. */
export interface DepositedKey {
  operatorId: bigint;
  keyIndex: bigint;
  pubkey: string;
  validatorIndex?: number;
}

/**
 * Every deposited key of every operator, from the registry at `blockTag`: only the keys `index` does
 * not hold yet are read (and added to it), `keysPerCall` per `pubkeys` call (at most the registry's
 * MAX_KEYS_PER_VIEW), as many calls at once as `reads` allows.
 */
export async function depositedKeys(
  c: Pick<OracleContracts, "registry">,
  blockTag: number,
  index: KeyIndex,
  reads = new ExecutionReads(),
  keysPerCall = KEYS_PER_VIEW,
): Promise<{ operators: OperatorValidators[]; keys: DepositedKey[] }> {
  const at = { blockTag };
  const count = await reads.read("the registry's operator count", blockTag, () => c.registry.getNodeOperatorsCount(at));
  const ids = Array.from({ length: Number(count) }, (_, i) => BigInt(i));
  const ops = await reads.all(ids, (id) =>
    reads.read(`operator ${id}`, blockTag, () => c.registry.getNodeOperator(id, at)),
  );
  const operators = ids.map((id, i) => ({
    operatorId: id,
    depositedKeys: ops[i].depositedKeys,
    exitedKeys: ops[i].exitedKeys,
  }));
  // The keys not indexed yet, in ranges of keysPerCall, read at once; appended in order.
  const ranges: { operatorId: bigint; from: bigint; limit: bigint }[] = [];
  for (const op of operators) {
    for (let from = BigInt(index.keys(op.operatorId).length); from < op.depositedKeys; from += keysPerCall) {
      const left = op.depositedKeys - from;
      ranges.push({ operatorId: op.operatorId, from, limit: left < keysPerCall ? left : keysPerCall });
    }
  }
  const packed = await reads.all(ranges, (r) =>
    reads.read(`operator ${r.operatorId}'s keys from ${r.from}`, blockTag, () =>
      c.registry.pubkeys(r.operatorId, r.from, r.limit, at),
    ),
  );
  ranges.forEach((r, i) => {
    const hex = packed[i][0];
    const pubkeys = Array.from({ length: Number(r.limit) }, (_, j) => "0x" + hex.slice(2 + j * 96, 2 + (j + 1) * 96));
    index.appendKeys(r.operatorId, r.from, pubkeys);
  });
  // An index read at a later block may know more keys: only those deposited at blockTag count.
  const keys: DepositedKey[] = [];
  for (const op of operators) {
    index
      .keys(op.operatorId)
      .slice(0, Number(op.depositedKeys))
      .forEach((k, i) => keys.push({ operatorId: op.operatorId, keyIndex: BigInt(i), ...k }));
  }
  return { operators, keys };
}

/**
 * The oracle's exit requests (`ValidatorExitRequested`) made at or before `toBlock`: the index's, plus
 * the logs after the last block it has read, in ranges of `rangeBlocks` (hosted providers refuse wide
 * ones), which it then keeps.
 */
export async function exitRequestsUpTo(
  c: Pick<OracleContracts, "oracle">,
  index: KeyIndex,
  fromBlock: number,
  toBlock: number,
  reads = new ExecutionReads(),
  rangeBlocks = LOG_RANGE_BLOCKS,
): Promise<IndexedExitRequest[]> {
  const start = Math.max(index.exitLogsReadTo + 1, fromBlock);
  const ranges: [number, number][] = [];
  for (let from = start; from <= toBlock; from += rangeBlocks)
    ranges.push([from, Math.min(from + rangeBlocks - 1, toBlock)]);
  const filter = c.oracle.filters.ValidatorExitRequested();
  const logs = await reads.all(ranges, ([from, to]) =>
    reads.read(`exit requests in blocks ${from}–${to}`, to, () => c.oracle.queryFilter(filter, from, to)),
  );
  index.addExitRequests(
    toBlock,
    logs.flat().map((e) => ({ operatorId: e.args.operatorId, keyIndex: e.args.keyIndex, block: e.blockNumber })),
  );
  return index.exitRequests(toBlock);
}

/**
 * Each key's loss to date: for a slashed validator not yet withdrawn, 32 ETH − min(balance, 32 ETH);
 * for a key whose validator has foreign credentials, the whole 32 ETH we deposited.
 */
export function lossesToDate(
  own: readonly OwnValidator[],
  foreign: readonly OwnValidator[],
): Omit<KeyLoss, "owedGwei">[] {
  const losses: Omit<KeyLoss, "owedGwei">[] = [];
  for (const v of own) {
    if (!v.slashed || v.status === "withdrawal_done" || v.balanceGwei >= GWEI_32) continue;
    losses.push({ operatorId: v.operatorId, keyIndex: v.keyIndex, lossToDateGwei: GWEI_32 - v.balanceGwei });
  }
  for (const v of foreign) losses.push({ operatorId: v.operatorId, keyIndex: v.keyIndex, lossToDateGwei: GWEI_32 });
  return losses.sort((a, b) =>
    a.operatorId !== b.operatorId ? (a.operatorId < b.operatorId ? -1 : 1) : a.keyIndex < b.keyIndex ? -1 : 1,
  );
}

/** Operator losses: per operator, Σ of what its keys owe (loss to date − charged before), if any. */
export function operatorLosses(keyLosses: readonly KeyLoss[]): Map<bigint, bigint> {
  const losses = new Map<bigint, bigint>();
  for (const k of keyLosses) losses.set(k.operatorId, (losses.get(k.operatorId) ?? 0n) + k.owedGwei);
  return losses;
}

/** A run of requests on one side of the rate: paid nominal, or by shares. */
interface Batch {
  end: bigint;
  nominal: boolean;
  ether: bigint;
  shares: bigint;
}

/**
 * Splits the requests after the last finalized one up to `lastId` where they change side of the rate
 * (`rateEther / rateShares`, as the queue prices it): each batch then locks exactly its payouts. At
 * most `MAX_FINALIZATION_BATCHES` batches: the range ends early if it has more runs.
 */
export async function finalizationBatches(
  queue: OracleContracts["withdrawalQueue"],
  lastId: bigint,
  rateEther: bigint,
  rateShares: bigint,
  blockTag: number,
  reads = new ExecutionReads(),
): Promise<{ batches: Batch[]; lockedWei: bigint; nominalWei: bigint }> {
  const rateRay = (rateEther * RAY) / rateShares;
  const first =
    (await reads.read("the last finalized request", blockTag, () => queue.getLastFinalizedRequestId({ blockTag }))) +
    1n;
  const batches: Batch[] = [];
  const CHUNK = 500n;
  scan: for (let from = first; from <= lastId; from += CHUNK) {
    const ids: bigint[] = [];
    for (let id = from; id <= lastId && id < from + CHUNK; id++) ids.push(id);
    const statuses = await reads.read(`requests ${from}…`, blockTag, () =>
      queue.getWithdrawalStatus(ids, { blockTag }),
    );
    for (let i = 0; i < ids.length; i++) {
      const { amountOfEther, amountOfShares } = statuses[i];
      const nominal = amountOfEther <= (amountOfShares * rateRay) / RAY;
      const last = batches[batches.length - 1];
      if (last && last.nominal === nominal) {
        last.end = ids[i];
        last.ether += amountOfEther;
        last.shares += amountOfShares;
      } else {
        if (batches.length === MAX_FINALIZATION_BATCHES) break scan;
        batches.push({ end: ids[i], nominal, ether: amountOfEther, shares: amountOfShares });
      }
    }
  }
  let lockedWei = 0n;
  let nominalWei = 0n;
  for (const b of batches) {
    const byShares = (b.shares * rateRay) / RAY;
    lockedWei += b.ether < byShares ? b.ether : byShares;
    nominalWei += b.ether;
  }
  return { batches, lockedWei, nominalWei };
}

/**
 * The pool as `simulateReport` reads it at `blockTag` (a block number, or "latest"): its totals, buffer
 * and beacon stats, the insurance fund's shares, the fee and rebase limits, and the bond shares of
 * `lossOperators` (the operators the report charges a loss to).
 */
export async function poolSnapshot(
  c: OracleContracts,
  blockTag: number | string,
  lossOperators: readonly bigint[] = [],
  reads = new ExecutionReads(),
): Promise<PoolSnapshot> {
  const at = { blockTag };
  const pinned = typeof blockTag === "number" ? blockTag : undefined;
  const read = <T>(what: string, fn: () => Promise<T>) => reads.read(what, pinned, fn);
  const [[depositedValidators, clValidators, clBalanceWei], limits, fees, insuranceFund, bonds, totals] =
    await Promise.all([
      read("the pool's beacon stats", () => c.pool.getBeaconStat(at)),
      read("the sanity limits", () => c.oracle.getSanityLimits(at)),
      read("the fee configuration", () => c.oracle.getFeeConfig(at)),
      read("the insurance fund's address", () => c.pool.INSURANCE_FUND()),
      reads.all(lossOperators, (id) => read(`operator ${id}`, () => c.registry.getNodeOperator(id, at))),
      Promise.all([
        read("the pool's total ether", () => c.pool.totalPooledEther(at)),
        read("the pool's total shares", () => c.pool.totalShares(at)),
        read("the pool's buffer", () => c.pool.bufferedEther(at)),
      ]),
    ]);
  const bondShares = new Map(lossOperators.map((id, i) => [id, bonds[i].bondShares] as const));
  return {
    totalPooledEther: totals[0],
    totalShares: totals[1],
    bufferedEther: totals[2],
    depositedValidators,
    clValidators,
    clBalanceWei,
    insuranceFundShares: await read("the insurance fund's shares", () => c.pool.sharesOf(insuranceFund, at)),
    bondShares,
    maxPositiveRebasePPB: limits.maxPositiveRebasePPB,
    treasuryFeeBP: fees.treasuryFeeBP,
    operatorsFeeBP: fees.operatorsFeeBP,
    insuranceFeeBP: fees.insuranceFeeBP,
  };
}

/** Builds the report for the current frame, or returns undefined if that frame has been processed. */
export async function buildFrameReport(ctx: ReportContext): Promise<BuiltReport | undefined> {
  const { beacon, provider, contracts: c } = ctx;
  const index = ctx.index ?? new KeyIndex();
  const reads = new ExecutionReads(ctx.readPolicy);
  const [refSlot] = await c.oracle.getCurrentFrame();
  if ((await c.oracle.getLastProcessedRefSlot()) >= refSlot) return undefined;
  const [genesisTime, spec] = await Promise.all([beacon.genesisTime(), beacon.spec()]);

  const stateSlot = await beacon.blockSlotAtOrBefore(refSlot);
  const blockTag = await blockAtOrBefore(provider, genesisTime + refSlot * spec.secondsPerSlot, reads);
  const at = { blockTag };
  /** One execution-layer read at the reference block (timeouts, retries, a missing state named). */
  const read = <T>(what: string, fn: () => Promise<T>) => reads.read(what, blockTag, fn);

  // Our validators: deposited registry keys present in the state with our withdrawal credentials.
  // Keys whose validator index is known are read by index; the others by pubkey (not yet on the
  // beacon chain, or not yet in the index).
  const credentials = (
    await read("the pool's withdrawal credentials", () => c.pool.withdrawalCredentials(at))
  ).toLowerCase();
  const hashOf = async (n: number) => (await read(`block ${n}`, () => provider.getBlock(n)))?.hash ?? undefined;
  await index.checkAnchor(hashOf);
  const { operators, keys } = await depositedKeys(c, blockTag, index, reads);
  let inState = await beacon.validators(
    stateSlot,
    keys.map((k) => k.validatorIndex ?? k.pubkey),
  );
  // A key read by index whose record is another's (an index from another chain): read it by pubkey.
  const returned = new Set(inState?.map((v) => v.pubkey));
  const misread = keys.filter((k) => k.validatorIndex !== undefined && !returned.has(k.pubkey));
  if (inState && misread.length > 0) {
    const again = await beacon.validators(
      stateSlot,
      misread.map((k) => k.pubkey),
    );
    inState = again && [...inState, ...again]; // a record of another pubkey is matched to its own key or none
    for (const k of misread) delete k.validatorIndex;
  }
  if (!inState) {
    throw new Error(
      `the beacon node has no state for slot ${stateSlot} (the reference slot's, finalized): an oracle member needs a ` +
        `beacon node that keeps the finalized states of at least the last frame (docs/oracle.md, "Nodes")`,
    );
  }
  const found = new Map(inState.map((v) => [v.pubkey, v] as const));
  const validators: OwnValidator[] = [];
  const foreign: OwnValidator[] = [];
  for (const k of keys) {
    const v = found.get(k.pubkey);
    if (!v) continue;
    if (k.validatorIndex !== v.index) index.setValidatorIndex(k.operatorId, k.keyIndex, v.index);
    const own = { ...v, operatorId: k.operatorId, keyIndex: k.keyIndex };
    (v.withdrawalCredentials === credentials ? validators : foreign).push(own);
  }
  // A key with foreign credentials is written off on chain by a proof (BeaconFacts
  // .proveForeignCredentials: out of the ETH in transit, through the tranches), so the report leaves it
  // out of the count and charges it nothing. Only a key an oracle charged before those proofs existed
  // (counted as visible then, its 32 ETH a key loss) stays counted, so the count never goes down.
  const keyLossCharged = (k: { operatorId: bigint; keyIndex: bigint }) =>
    read(`the loss charged to key ${k.operatorId}/${k.keyIndex}`, () =>
      c.oracle.keyLossChargedGwei(k.operatorId, k.keyIndex, at),
    );
  const foreignCharged = await reads.all(foreign, keyLossCharged);
  const chargedForeign = foreign.filter((_, i) => foreignCharged[i] > 0n);
  const numValidators = BigInt(validators.length + chargedForeign.length);
  const clBalanceGwei = validators.reduce((sum, v) => sum + v.balanceGwei, 0n);

  // Losses per key: its loss to date less what the oracle contract has charged it already.
  const last = await read("the last report", () => c.oracle.getLastReport(at));
  const toDate = lossesToDate(validators, chargedForeign);
  const charged = await reads.all(toDate, keyLossCharged);
  const keyLosses: KeyLoss[] = [];
  toDate.forEach((k, i) => {
    if (k.lossToDateGwei > charged[i]) keyLosses.push({ ...k, owedGwei: k.lossToDateGwei - charged[i] });
  });
  const limits = await read("the sanity limits", () => c.oracle.getSanityLimits(at));
  const lossList = [...operatorLosses(keyLosses)]
    .sort((a, b) => (a[1] > b[1] ? -1 : a[1] < b[1] ? 1 : 0))
    .slice(0, Number(limits.maxOperatorsWithLossesPerReport))
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const charging = new Set(lossList.map(([id]) => id));
  const keyLossesCharged = keyLosses.filter((k) => charging.has(k.operatorId));

  // The pool as it was at the reference slot's block.
  const snapshot = await poolSnapshot(
    c,
    blockTag,
    lossList.map(([id]) => id),
    reads,
  );
  // The withdrawal vault up to what the APR check allows: ETH sent there beyond it waits.
  const elapsedSeconds = (refSlot > last.refSlot ? refSlot - last.refSlot : 0n) * spec.secondsPerSlot;
  const vaultRoom = withdrawalVaultRoom(
    snapshot,
    numValidators,
    clBalanceGwei,
    elapsedSeconds,
    limits.annualAprLimitBP,
  );
  const [withdrawalVault, elRewardsVault] = await Promise.all([
    read("the withdrawal vault's address", () => c.pool.WITHDRAWAL_VAULT()),
    read("the EL rewards vault's address", () => c.pool.EL_REWARDS_VAULT()),
  ]);
  const [vaultWei, elRewardsVaultBalance] = await Promise.all([
    read("the withdrawal vault's balance", () => provider.getBalance(withdrawalVault, blockTag)),
    read("the EL rewards vault's balance", () => provider.getBalance(elRewardsVault, blockTag)),
  ]);
  const withdrawalVaultBalance = vaultWei < vaultRoom ? vaultWei : vaultRoom;
  const inputs = {
    numValidators,
    clBalanceGwei,
    withdrawalVaultBalance,
    elRewardsVaultBalance,
    operatorIdsWithLosses: lossList.map(([id]) => id),
    operatorLossesGwei: lossList.map(([, loss]) => loss),
  };
  const outcome = simulateReport(snapshot, inputs);

  // Bunker mode: a slashing whose correlation penalty is still ahead, or a loss the bonds do not
  // cover (the share rate would fall).
  const refEpoch = refSlot / spec.slotsPerEpoch;
  const penaltyAhead = validators.some(
    (v) => v.slashed && refEpoch < v.withdrawableEpoch - spec.epochsPerSlashingsVector / 2n,
  );
  const rateFalls = outcome.postTotalEther * snapshot.totalShares < snapshot.totalPooledEther * outcome.postTotalShares;
  const isBunkerMode = penaltyAhead || rateFalls;
  const clResultWei = clBalanceGwei * WEI_PER_GWEI + withdrawalVaultBalance - outcome.preClWei;

  // Finalization: as far as the buffer after the report reaches, at the rate after it, in batches
  // on one side of the rate each (one batch locks at most what the whole range would: Σ min ≤ min Σ).
  const q = c.withdrawalQueue;
  let lastRequestIdToFinalize = 0n;
  let lockedWei = 0n;
  let finalizedNominalWei = 0n;
  let batchEnds: bigint[] = [];
  const [lastRequestId, lastFinalizedId, unfinalizedEther] = await Promise.all([
    read("the last request", () => q.getLastRequestId(at)),
    read("the last finalized request", () => q.getLastFinalizedRequestId(at)),
    read("the unfinalized ether", () => q.unfinalizedEther(at)),
  ]);
  if (!isBunkerMode && lastRequestId > lastFinalizedId) {
    const [maxId] = await read("the last request the buffer can finalize", () =>
      q.findMaxRequestIdToFinalize(
        outcome.availableEther,
        outcome.postTotalEther,
        outcome.postTotalShares,
        genesisTime + refSlot * spec.secondsPerSlot,
        at,
      ),
    );
    if (maxId !== 0n) {
      const split = await finalizationBatches(
        q,
        maxId,
        outcome.postTotalEther,
        outcome.postTotalShares,
        blockTag,
        reads,
      );
      lastRequestIdToFinalize = split.batches[split.batches.length - 1].end;
      [lockedWei, finalizedNominalWei] = [split.lockedWei, split.nominalWei];
      if (split.batches.length > 1) batchEnds = split.batches.map((b) => b.end);
    }
  }

  // Exits: the shortfall after the report, less what is already coming (exits asked for earlier and
  // validators leaving anyway, vault ETH the report leaves for later).
  const requested = await exitRequestsUpTo(c, index, ctx.fromBlock ?? 0, blockTag, reads, ctx.logRangeBlocks);
  const byKey = new Map(validators.map((v) => [`${v.operatorId}:${v.keyIndex}`, v]));
  const exitedKeys = new Map(operators.map((o) => [o.operatorId, o.exitedKeys]));
  // Exited validators per operator, where the count grew: the report tells the registry.
  const exitedNow = new Map<bigint, bigint>();
  for (const v of validators) {
    if (EXITED.has(v.status)) exitedNow.set(v.operatorId, (exitedNow.get(v.operatorId) ?? 0n) + 1n);
  }
  const exitedEntries = [...exitedNow]
    .filter(([id, count]) => count > (exitedKeys.get(id) ?? 0n))
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([id, count]) => exitedKeysEntry(id, count));
  const pendingExits: ExitRequest[] = [];
  for (const { operatorId, keyIndex } of requested) {
    if (keyIndex >= (exitedKeys.get(operatorId) ?? 0n)) pendingExits.push({ operatorId, keyIndex });
  }
  index.forgetExited(exitedKeys);
  let inflowWei = vaultWei - outcome.withdrawalVaultWei + (elRewardsVaultBalance - outcome.elRewardsVaultWei);
  const pendingKeys = new Set(pendingExits.map((p) => `${p.operatorId}:${p.keyIndex}`));
  for (const v of validators) {
    const leaving = v.exitEpoch !== 2n ** 64n - 1n && v.status !== "withdrawal_done";
    if (leaving || (pendingKeys.has(`${v.operatorId}:${v.keyIndex}`) && v.status !== "withdrawal_done")) {
      inflowWei += v.balanceGwei * WEI_PER_GWEI;
    }
  }
  for (const p of pendingExits) if (!byKey.has(`${p.operatorId}:${p.keyIndex}`)) inflowWei += DEPOSIT_SIZE_WEI;
  const unfinalizedAfter = unfinalizedEther - finalizedNominalWei;
  const bufferAfter = outcome.availableEther - lockedWei;
  let count = exitsNeeded(unfinalizedAfter, bufferAfter, inflowWei);
  if (count > limits.maxExitRequestsPerReport) count = limits.maxExitRequestsPerReport;
  const exits = planExits(operators, count, pendingExits);

  index.setAnchor(blockTag, (await hashOf(blockTag))!);

  const data = buildReport(refSlot, {
    ...inputs,
    lastRequestIdToFinalize,
    isBunkerMode,
    exitOperatorIds: exits.map((e) => e.operatorId),
    exitKeyIndices: exits.map((e) => e.keyIndex),
    finalizationBatches: batchEnds,
    exitedKeys: exitedEntries,
    keyLosses: keyLossesCharged.map((k) => keyLossEntry(k.operatorId, k.keyIndex, k.lossToDateGwei)),
  });
  return {
    data,
    refSlot,
    stateSlot,
    executionBlock: blockTag,
    validators,
    foreign,
    keyLosses: keyLossesCharged,
    outcome,
    clResultWei,
    pendingExits,
  };
}
