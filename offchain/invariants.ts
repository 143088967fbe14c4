/**
 * The protocol's invariants as a running deployment shows them, and the summary of a played run:
 * shared by the simulated month (scripts/demo.ts, in-process) and the devnet (scripts/devnet.ts,
 * separate processes on Anvil), so that both end with the same checks and the same figures.
 *
 * Reads only: the contracts and the provider they are connected to, and the pool's validators as the
 * beacon chain's state at the report's reference slot shows them (however the caller reads that state:
 * the local chain's object in-process, or its Beacon API).
 */
import type { Provider } from "ethers";
import { eth } from "../sdk/src/format";
import type {
  AccountingOracle,
  InsuranceFund,
  NodeOperatorRegistry,
  StakingPool,
  WithdrawalQueue,
  WrappedTpEth,
} from "../typechain-types";

/** The contracts the invariants read. */
export interface InvariantContracts {
  pool: StakingPool;
  wrapper: WrappedTpEth;
  registry: NodeOperatorRegistry;
  insuranceFund: InsuranceFund;
  withdrawalQueue: WithdrawalQueue;
  treasury: { address: string };
}

/** One of the pool's validators in the beacon state at a reference slot. */
export interface ValidatorBalance {
  balanceGwei: bigint;
}

/** The invariants {@link checkInvariants} checks, in words, for the closing line of a run. */
export const INVARIANTS_CHECKED =
  "Σ shares = totalShares, supply = pooled ETH, wtpETH = wrapper shares, pool ETH ≥ buffer, " +
  "queue ETH = locked ETH, reported CL = beacon state";

/**
 * Checks the invariants after a report: every share is held by a known account (`accounts` plus the
 * protocol's own holders), supply equals pooled ETH, the wrapper holds its supply in shares, the pool
 * holds at least its buffer, the queue exactly its locked ETH, and the pool's beacon figures are the
 * beacon state's (`ours`: the pool's validators at the reference slot). Returns every broken one, in
 * one sentence each; none when all hold.
 */
export async function checkInvariants(
  t: InvariantContracts,
  provider: Provider,
  accounts: readonly string[],
  ours: readonly ValidatorBalance[],
): Promise<string[]> {
  const { pool, wrapper, withdrawalQueue: q } = t;
  const wrapperAddress = await wrapper.getAddress();
  const poolAddress = await pool.getAddress();
  const holders = [
    ...accounts,
    wrapperAddress,
    await pool.BOOTSTRAP_SHARES_HOLDER(),
    await t.registry.getAddress(),
    t.treasury.address,
    await t.insuranceFund.getAddress(),
    await q.getAddress(),
  ];
  let sum = 0n;
  for (const a of new Set(holders)) sum += await pool.sharesOf(a);
  const problems: string[] = [];
  const totalShares = await pool.totalShares();
  if (sum !== totalShares) problems.push(`Σ shares ${sum} ≠ totalShares ${totalShares}`);
  if ((await pool.totalSupply()) !== (await pool.totalPooledEther())) problems.push("totalSupply ≠ totalPooledEther");
  if ((await wrapper.totalSupply()) !== (await pool.sharesOf(wrapperAddress)))
    problems.push("wtpETH supply ≠ wrapper's shares");
  if ((await provider.getBalance(poolAddress)) < (await pool.bufferedEther())) problems.push("pool ETH < buffer");
  if ((await provider.getBalance(await q.getAddress())) !== (await q.lockedEther()))
    problems.push("queue ETH ≠ locked ETH");
  const [, clValidators, clBalance] = await pool.getBeaconStat();
  const beaconGwei = ours.reduce((s, v) => s + v.balanceGwei, 0n);
  if (clValidators !== BigInt(ours.length) || clBalance !== beaconGwei * 10n ** 9n) {
    problems.push(`pool CL (${clValidators}, ${clBalance}) ≠ beacon state (${ours.length}, ${beaconGwei} gwei)`);
  }
  return problems;
}

/** What the holders did during a run, as {@link summaryRows} reports it. */
export interface HolderStats {
  staked: bigint;
  requests: number;
  claimed: bigint;
  claims: number;
  instant: number;
  instantFees: bigint;
  wraps: number;
  transfers: number;
}

/** Zero of everything. */
export function emptyHolderStats(): HolderStats {
  return { staked: 0n, requests: 0, claimed: 0n, claims: 0, instant: 0, instantFees: 0n, wraps: 0, transfers: 0 };
}

/** The share rate and APR at the run's first and last record. */
export interface RatePoint {
  /** ETH per share. */
  rate: number;
  /** The last report's APR, in basis points. */
  aprBP: bigint;
  validators: bigint;
}

/** The protocol's figures {@link summaryRows} reads besides the contracts (the SDK's status). */
export interface SummaryStatus {
  totalEther: bigint;
  bufferedEther: bigint;
  lastFinalizedRequestId: bigint;
  lastRequestId: bigint;
  unfinalizedEther: bigint;
}

/**
 * The summary rows a run ends with (label, value): share rate and APR over `period` (e.g. "30 days"),
 * `periodDays` long for the annualised figure; TVL, holders, withdrawal queue, instant redemptions,
 * fees and the losses covered (from the oracle's events).
 */
export async function summaryRows(
  t: InvariantContracts & { oracle: AccountingOracle },
  run: {
    first: RatePoint;
    last: RatePoint;
    period: string;
    periodDays: number;
    holders: number;
    stats: HolderStats;
    status: SummaryStatus;
    operators: number;
  },
): Promise<[string, string][]> {
  const { first, last, stats, status } = run;
  const sum = async (name: "OperatorLossCovered" | "InsuranceLossCovered" | "LossSocialized", arg: number) =>
    (await t.oracle.queryFilter(t.oracle.filters[name]())).reduce((s, e) => s + BigInt(e.args[arg]), 0n);
  const bondCovered = await sum("OperatorLossCovered", 2);
  const insuranceCovered = await sum("InsuranceLossCovered", 0);
  const socialized = await sum("LossSocialized", 0);
  let operatorRewards = 0n;
  for (let id = 0n; id < BigInt(run.operators); id++) operatorRewards += await t.registry.pendingOperatorRewards(id);
  const growth = first.rate === 0 ? 1 : last.rate / first.rate;
  const apr = run.periodDays > 0 ? `${((growth ** (365 / run.periodDays) - 1) * 100).toFixed(2)}%` : "n/a";
  return [
    [
      "share rate",
      `${first.rate.toFixed(8)} → ${last.rate.toFixed(8)} ETH per share (${((growth - 1) * 100).toFixed(4)}% in ${run.period})`,
    ],
    ["APR", `${apr} over the run; last report ${Number(last.aprBP) / 100}%`],
    ["TVL", `${eth(status.totalEther, 3)} (buffer ${eth(status.bufferedEther, 3)}, ${last.validators} validators)`],
    ["holders", `${run.holders} staked ${eth(stats.staked, 3)}; ${stats.wraps} wraps, ${stats.transfers} transfers`],
    [
      "withdrawal queue",
      `${stats.requests} requests; finalized to #${status.lastFinalizedRequestId} of ${status.lastRequestId}; ` +
        `${stats.claims} claimed (${eth(stats.claimed, 3)}); ${eth(status.unfinalizedEther, 3)} waiting`,
    ],
    ["instant redemptions", `${stats.instant}, fees ${eth(stats.instantFees, 6)} kept for the holders who stayed`],
    [
      "fees",
      `treasury ${eth(await t.pool.balanceOf(t.treasury.address), 6, "tpETH")}, insurance fund ` +
        `${eth(await t.pool.balanceOf(await t.insuranceFund.getAddress()), 6, "tpETH")}, operators ` +
        `${eth(await t.pool.getPooledEthByShares(operatorRewards), 6, "tpETH")} to claim`,
    ],
    [
      "losses covered",
      `bonds ${eth(bondCovered, 6)}, insurance fund ${eth(insuranceCovered, 6)}, holders ${eth(socialized, 6)}`,
    ],
  ];
}
