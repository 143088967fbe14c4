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
  /** Registry pubkeys by "operator:index", kept between reports (deposited keys never change). */
  pubkeyCache?: Map<string, string>;
}

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

/** The last execution block with a timestamp at or before `timestamp` (binary search). */
export async function blockAtOrBefore(provider: Provider, timestamp: bigint): Promise<number> {
  let lo = 0;
  let hi = await provider.getBlockNumber();
  const time = async (n: number) => BigInt((await provider.getBlock(n))!.timestamp);
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

/**
 * Every deposited key of every operator, from the registry at `blockTag`: only the keys `cache` does
 * not hold yet are read, `keysPerCall` per `pubkeys` call (at most the registry's MAX_KEYS_PER_VIEW).
 */
export async function depositedKeys(
  c: Pick<OracleContracts, "registry">,
  blockTag: number,
  cache: Map<string, string>,
  keysPerCall = KEYS_PER_VIEW,
): Promise<{ operators: OperatorValidators[]; keys: { operatorId: bigint; keyIndex: bigint; pubkey: string }[] }> {
  const operators: OperatorValidators[] = [];
  const keys: { operatorId: bigint; keyIndex: bigint; pubkey: string }[] = [];
  const count = await c.registry.getNodeOperatorsCount({ blockTag });
  for (let id = 0n; id < count; id++) {
    const op = await c.registry.getNodeOperator(id, { blockTag });
    operators.push({ operatorId: id, depositedKeys: op.depositedKeys, exitedKeys: op.exitedKeys });
    // The keys not cached yet, from the first one missing, MAX_KEYS_PER_VIEW per call.
    let next = 0n;
    while (next < op.depositedKeys && cache.has(`${id}:${next}`)) next++;
    while (next < op.depositedKeys) {
      const limit = op.depositedKeys - next < keysPerCall ? op.depositedKeys - next : keysPerCall;
      const [packed] = await c.registry.pubkeys(id, next, limit, { blockTag });
      for (let j = 0n; j < limit; j++) {
        const at = 2 + Number(j) * 96;
        cache.set(`${id}:${next + j}`, "0x" + packed.slice(at, at + 96).toLowerCase());
      }
      next += limit;
    }
    for (let i = 0n; i < op.depositedKeys; i++) {
      keys.push({ operatorId: id, keyIndex: i, pubkey: cache.get(`${id}:${i}`)! });
    }
  }
  return { operators, keys };
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
): Promise<{ batches: Batch[]; lockedWei: bigint; nominalWei: bigint }> {
  const rateRay = (rateEther * RAY) / rateShares;
  const first = (await queue.getLastFinalizedRequestId({ blockTag })) + 1n;
  const batches: Batch[] = [];
  const CHUNK = 500n;
  scan: for (let from = first; from <= lastId; from += CHUNK) {
    const ids: bigint[] = [];
    for (let id = from; id <= lastId && id < from + CHUNK; id++) ids.push(id);
    const statuses = await queue.getWithdrawalStatus(ids, { blockTag });
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
): Promise<PoolSnapshot> {
  const at = { blockTag };
  const [depositedValidators, clValidators, clBalanceWei] = await c.pool.getBeaconStat(at);
  const limits = await c.oracle.getSanityLimits(at);
  const fees = await c.oracle.getFeeConfig(at);
  const insuranceFund = await c.pool.INSURANCE_FUND();
  const bondShares = new Map<bigint, bigint>();
  for (const id of lossOperators) bondShares.set(id, (await c.registry.getNodeOperator(id, at)).bondShares);
  return {
    totalPooledEther: await c.pool.totalPooledEther(at),
    totalShares: await c.pool.totalShares(at),
    bufferedEther: await c.pool.bufferedEther(at),
    depositedValidators,
    clValidators,
    clBalanceWei,
    insuranceFundShares: await c.pool.sharesOf(insuranceFund, at),
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
  const [refSlot] = await c.oracle.getCurrentFrame();
  if ((await c.oracle.getLastProcessedRefSlot()) >= refSlot) return undefined;
  const [genesisTime, spec] = await Promise.all([beacon.genesisTime(), beacon.spec()]);

  const stateSlot = await beacon.blockSlotAtOrBefore(refSlot);
  const blockTag = await blockAtOrBefore(provider, genesisTime + refSlot * spec.secondsPerSlot);
  const at = { blockTag };

  // Our validators: deposited registry keys present in the state with our withdrawal credentials.
  const credentials = (await c.pool.withdrawalCredentials(at)).toLowerCase();
  const { operators, keys } = await depositedKeys(c, blockTag, ctx.pubkeyCache ?? new Map());
  const inState = await beacon.validatorsByPubkey(
    stateSlot,
    keys.map((k) => k.pubkey),
  );
  if (!inState) throw new Error(`the beacon node has no state for slot ${stateSlot}`);
  const found = new Map(inState.map((v) => [v.pubkey, v] as const));
  const validators: OwnValidator[] = [];
  const foreign: OwnValidator[] = [];
  for (const k of keys) {
    const v = found.get(k.pubkey);
    if (!v) continue;
    const own = { ...v, operatorId: k.operatorId, keyIndex: k.keyIndex };
    (v.withdrawalCredentials === credentials ? validators : foreign).push(own);
  }
  // A key with foreign credentials is written off on chain by a proof (BeaconFacts
  // .proveForeignCredentials: out of the ETH in transit, through the tranches), so the report leaves it
  // out of the count and charges it nothing. Only a key an oracle charged before those proofs existed
  // (counted as visible then, its 32 ETH a key loss) stays counted, so the count never goes down.
  const chargedForeign: OwnValidator[] = [];
  for (const v of foreign) {
    if ((await c.oracle.keyLossChargedGwei(v.operatorId, v.keyIndex, at)) > 0n) chargedForeign.push(v);
  }
  const numValidators = BigInt(validators.length + chargedForeign.length);
  const clBalanceGwei = validators.reduce((sum, v) => sum + v.balanceGwei, 0n);

  // Losses per key: its loss to date less what the oracle contract has charged it already.
  const last = await c.oracle.getLastReport(at);
  const keyLosses: KeyLoss[] = [];
  for (const k of lossesToDate(validators, chargedForeign)) {
    const charged = await c.oracle.keyLossChargedGwei(k.operatorId, k.keyIndex, at);
    if (k.lossToDateGwei > charged) keyLosses.push({ ...k, owedGwei: k.lossToDateGwei - charged });
  }
  const limits = await c.oracle.getSanityLimits(at);
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
  const vaultWei = await provider.getBalance(await c.pool.WITHDRAWAL_VAULT(), blockTag);
  const withdrawalVaultBalance = vaultWei < vaultRoom ? vaultWei : vaultRoom;
  const elRewardsVaultBalance = await provider.getBalance(await c.pool.EL_REWARDS_VAULT(), blockTag);
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
  if (!isBunkerMode && (await q.getLastRequestId(at)) > (await q.getLastFinalizedRequestId(at))) {
    const [maxId] = await q.findMaxRequestIdToFinalize(
      outcome.availableEther,
      outcome.postTotalEther,
      outcome.postTotalShares,
      genesisTime + refSlot * spec.secondsPerSlot,
      at,
    );
    if (maxId !== 0n) {
      const split = await finalizationBatches(q, maxId, outcome.postTotalEther, outcome.postTotalShares, blockTag);
      lastRequestIdToFinalize = split.batches[split.batches.length - 1].end;
      [lockedWei, finalizedNominalWei] = [split.lockedWei, split.nominalWei];
      if (split.batches.length > 1) batchEnds = split.batches.map((b) => b.end);
    }
  }

  // Exits: the shortfall after the report, less what is already coming (exits asked for earlier and
  // validators leaving anyway, vault ETH the report leaves for later).
  const requested = await c.oracle.queryFilter(c.oracle.filters.ValidatorExitRequested(), ctx.fromBlock ?? 0, blockTag);
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
  for (const e of requested) {
    const req = { operatorId: e.args.operatorId, keyIndex: e.args.keyIndex };
    if (req.keyIndex >= (exitedKeys.get(req.operatorId) ?? 0n)) pendingExits.push(req);
  }
  let inflowWei = vaultWei - outcome.withdrawalVaultWei + (elRewardsVaultBalance - outcome.elRewardsVaultWei);
  const pendingKeys = new Set(pendingExits.map((p) => `${p.operatorId}:${p.keyIndex}`));
  for (const v of validators) {
    const leaving = v.exitEpoch !== 2n ** 64n - 1n && v.status !== "withdrawal_done";
    if (leaving || (pendingKeys.has(`${v.operatorId}:${v.keyIndex}`) && v.status !== "withdrawal_done")) {
      inflowWei += v.balanceGwei * WEI_PER_GWEI;
    }
  }
  for (const p of pendingExits) if (!byKey.has(`${p.operatorId}:${p.keyIndex}`)) inflowWei += DEPOSIT_SIZE_WEI;
  const unfinalizedAfter = (await q.unfinalizedEther(at)) - finalizedNominalWei;
  const bufferAfter = outcome.availableEther - lockedWei;
  let count = exitsNeeded(unfinalizedAfter, bufferAfter, inflowWei);
  if (count > limits.maxExitRequestsPerReport) count = limits.maxExitRequestsPerReport;
  const exits = planExits(operators, count, pendingExits);

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
