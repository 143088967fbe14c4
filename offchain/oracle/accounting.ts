/**
 * What a report would do to the pool, computed off chain with the contracts' own rules
 * (AccountingOracle._applyReport and StakingPool.applyReport), so the oracle can ask the withdrawal
 * queue how far the buffer after the report finalizes at the rate after the report. Integer
 * arithmetic and rounding follow the contracts exactly; `test/oracle-service` checks them against
 * a real report.
 */

export const WEI_PER_GWEI = 1_000_000_000n;
export const DEPOSIT_SIZE_WEI = 32n * 10n ** 18n;
const PPB = 1_000_000_000n;
const TOTAL_BP = 10_000n;
/** AccountingOracle.SECONDS_PER_YEAR. */
const SECONDS_PER_YEAR = 365n * 24n * 3600n;

/** The on-chain state a report starts from (read at the reference slot's block). */
export interface PoolSnapshot {
  totalPooledEther: bigint;
  totalShares: bigint;
  bufferedEther: bigint;
  depositedValidators: bigint;
  clValidators: bigint;
  clBalanceWei: bigint;
  insuranceFundShares: bigint;
  /** Bond shares per operator id, for operators the report attributes losses to. */
  bondShares: Map<bigint, bigint>;
  maxPositiveRebasePPB: bigint;
  treasuryFeeBP: bigint;
  operatorsFeeBP: bigint;
  insuranceFeeBP: bigint;
}

/** The fields of a report the outcome depends on. */
export interface ReportInputs {
  numValidators: bigint;
  clBalanceGwei: bigint;
  withdrawalVaultBalance: bigint;
  elRewardsVaultBalance: bigint;
  operatorIdsWithLosses: readonly bigint[];
  operatorLossesGwei: readonly bigint[];
}

export interface ReportOutcome {
  /** preCL: the last CL balance plus 32 ETH per newly visible validator. */
  preClWei: bigint;
  /** Vault ETH the report moves into the buffer (the rest waits: smoothing). */
  withdrawalVaultWei: bigint;
  elRewardsVaultWei: bigint;
  /** Losses covered by bonds, in wei, and the bond shares burned. */
  bondCoveredWei: bigint;
  bondSharesBurned: bigint;
  insuranceSharesBurned: bigint;
  feeShares: bigint;
  /** The pool's totals after the report, before finalization: the rate finalization uses. */
  postTotalEther: bigint;
  postTotalShares: bigint;
  /** The buffer after the report's vault ETH: what finalization may lock. */
  availableEther: bigint;
}

function mulDiv(a: bigint, b: bigint, d: bigint, roundUp = false): bigint {
  const p = a * b;
  return roundUp ? (p + d - 1n) / d : p / d;
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const saturatingSub = (a: bigint, b: bigint) => (a > b ? a - b : 0n);

/** The outcome of applying `report` to `pool`, exactly as the contracts compute it. */
export function simulateReport(pool: PoolSnapshot, report: ReportInputs): ReportOutcome {
  const P = pool.totalPooledEther;
  const S = pool.totalShares;
  const clBalance = report.clBalanceGwei * WEI_PER_GWEI;
  const preCL = pool.clBalanceWei + (report.numValidators - pool.clValidators) * DEPOSIT_SIZE_WEI;

  // Tranche 1: bonds, at the pre-report rate, rounded up (the bond pays the dust).
  let covered = 0n;
  let bondBurned = 0n;
  report.operatorIdsWithLosses.forEach((id, i) => {
    const loss = report.operatorLossesGwei[i] * WEI_PER_GWEI;
    const wanted = mulDiv(loss, S, P, true);
    const burned = min(wanted, pool.bondShares.get(id) ?? 0n);
    covered += burned === wanted ? loss : mulDiv(burned, P, S);
    bondBurned += burned;
  });

  // Smoothing: vault ETH up to the positive-rebase limit, withdrawal vault first.
  let credit = clBalance + covered;
  const room = saturatingSub(preCL + (P * pool.maxPositiveRebasePPB) / PPB, credit);
  const withdrawalVaultWei = min(report.withdrawalVaultBalance, room);
  const elRewardsVaultWei = min(report.elRewardsVaultBalance, room - withdrawalVaultWei);
  credit += withdrawalVaultWei + elRewardsVaultWei;
  const oracleTotal = P + credit - covered - preCL;

  let feeShares = 0n;
  let insuranceBurned = 0n;
  if (credit >= preCL) {
    const rewards = credit - preCL;
    const parts = [pool.treasuryFeeBP, pool.operatorsFeeBP, pool.insuranceFeeBP].map((bp) => (rewards * bp) / TOTAL_BP);
    const fee = parts.reduce((a, b) => a + b, 0n);
    if (fee !== 0n) {
      for (const part of parts) feeShares += mulDiv(part, S - bondBurned, oracleTotal - fee);
    }
  } else {
    // Tranches 2 and 3: the insurance fund (rounded up), then everyone.
    const loss = preCL - credit;
    const fundWei = mulDiv(pool.insuranceFundShares, P, S);
    insuranceBurned = loss < fundWei ? mulDiv(loss, S, P, true) : pool.insuranceFundShares;
  }

  // StakingPool.applyReport: totals from the buffer, the CL balance and deposits not yet visible.
  const availableEther = pool.bufferedEther + withdrawalVaultWei + elRewardsVaultWei;
  const postTotalEther =
    availableEther + clBalance + (pool.depositedValidators - report.numValidators) * DEPOSIT_SIZE_WEI;
  return {
    preClWei: preCL,
    withdrawalVaultWei,
    elRewardsVaultWei,
    bondCoveredWei: covered,
    bondSharesBurned: bondBurned,
    insuranceSharesBurned: insuranceBurned,
    feeShares,
    postTotalEther,
    postTotalShares: S - bondBurned - insuranceBurned + feeShares,
    availableEther,
  };
}

/**
 * The most withdrawal-vault ETH a report can name without failing the annual-APR check: the CL
 * balance plus it may exceed preCL by at most ⌊limit × preCL × elapsed / (year × 10,000)⌋. ETH in the
 * vault beyond that (sent there by anyone) waits for later reports instead of stalling this one.
 */
export function withdrawalVaultRoom(
  pool: Pick<PoolSnapshot, "clBalanceWei" | "clValidators">,
  numValidators: bigint,
  clBalanceGwei: bigint,
  elapsedSeconds: bigint,
  annualAprLimitBP: bigint,
): bigint {
  const preCL = pool.clBalanceWei + (numValidators - pool.clValidators) * DEPOSIT_SIZE_WEI;
  const allowedGain = (annualAprLimitBP * preCL * elapsedSeconds) / (SECONDS_PER_YEAR * TOTAL_BP);
  return saturatingSub(preCL + allowedGain, clBalanceGwei * WEI_PER_GWEI);
}
