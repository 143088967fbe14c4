import { expect } from "chai";
import { ACTORS, DEPOSIT_SIZE, type ChainState, type ProtocolModel, type World, max, sum } from "./fuzz-model";
import { min } from "./withdrawal-report-helpers";

/**
 * The whole-protocol fuzzer's checks, run after every command. Numbers are those of
 * docs/invariants.md (section "Stateful fuzzing" maps them to these checks):
 *
 * - model: every share, wtpETH and ETH balance of every tracked account (actors' ETH plus the gas
 *   they paid), the totals, the beacon stats, the vaults, the queue (requests, statuses, owners, NFT
 *   balances, checkpoints, locked ETH), the pool's reserve for the queue, the instant-redemption frame
 *   (day, redeemed, starting liquidity), pause flags, bunker mode and every governance parameter
 *   equal the model's, to the wei;
 * - 1: Σ sharesOf(actors, outsider, wrapper, queue, registry, treasury, insurance, 0x…dEaD, pool, zero)
 *   == totalShares; 6: wrapper.totalSupply == sharesOf(wrapper) == Σ wtpETH balances;
 * - 8: the pool's reserve (the high half of the queue's shares word) == unfinalizedEther, and
 *   instantLiquidity == max(0, bufferedEther − unfinalizedEther);
 * - 2: totalPooledEther == bufferedEther + clBalance + 32 ETH × (deposited − clValidators) == totalSupply;
 * - 16: queue ETH ≥ lockedEther ≥ Σ claimable of unclaimed finalized requests; sharesOf(queue) ≥ queued shares;
 * - 17: pool ETH ≥ bufferedEther; vaults and deposit contract hold exactly what the model expects;
 *   wrapper, registry and insurance fund hold no ETH;
 * - 3: outside reports the rate P/S never falls and rises only by the bound of the step kind
 *   (`RateStep`); 20: in a report, by the sanity limits (`checkReportRate`, called by the report command);
 * - 4: no actor's value grows except by the rate or what others sent it (`checkValues`);
 * - 18: every finalized request's getClaimableEther and checkpoint hint equal the model's (claims
 *   then pay exactly that: the recipient's ETH is compared with the model to the wei).
 * - 22: wtpETH locked in the bridge adapter == L2 + L3 OFT supply; every actor's remote wtpETH equals
 *   the model's (conserved over the three chains except what the commands move).
 * Fee exactness (19) is checked by the report command on the report's events.
 */

/**
 * What a step may do to the share rate, compared as P1·S0 − P0·S1 ("drift", the rate change times
 * S0·S1):
 * - `none`: transfers, wraps, requests, NFT moves, pauses, parameters, deposits: drift == 0;
 * - `stake`: floor(a·S0/P0) shares: 0 ≤ drift = (a·S0) mod P0 < P0 (under one share's worth);
 * - `redeem` with a fee: burns ceil(a·S0/P0) shares, pays a − fee: 0 ≤ drift = sh·P0 − a·S0 + fee·S0 <
 *   P0 + fee·S0 (the fee, which stays in the pool by design, plus under one share's worth);
 * - `claim` returning `excess` to the pool: drift == excess·S0 exactly (P rises by the excess);
 * - `report`: bounded by the sanity limits, checked by the report command.
 */
export type RateStep =
  | { kind: "none" }
  | { kind: "stake" }
  | { kind: "redeem"; fee: bigint }
  | { kind: "claim"; excess: bigint }
  | { kind: "report" };

/** An actor's holdings, as the model had them after the previous step (invariant 4). */
interface Holdings {
  eth: bigint;
  units: bigint;
  requests: { amountOfEther: bigint; shares: bigint; claimable: bigint | null }[];
}

const holdingsAfterLastStep = new WeakMap<ProtocolModel, Holdings[]>();

function holdingsOf(m: ProtocolModel): Holdings[] {
  return Array.from({ length: ACTORS }, (_, i) => ({
    eth: m.eth[i],
    units: m.shares[i] + m.wtp[i] + m.remote[0][i] + m.remote[1][i],
    requests: m.requests
      .map((r, k) => ({ r, id: k + 1 }))
      .filter(({ r }) => r.owner === i && !r.claimed)
      .map(({ r, id }) => ({
        amountOfEther: r.amountOfEther,
        shares: r.shares,
        claimable: r.checkpoint === 0 ? null : m.claimableOf(id),
      })),
  }));
}

/**
 * Value × S1 of holdings at the rate P1/S1: ETH + (shares + wtpETH) at the rate + claimable requests
 * + unfinalized requests at their nominal amount capped at their shares' value.
 */
function valueTimesS(h: Holdings, p1: bigint, s1: bigint): bigint {
  let v = h.eth * s1 + h.units * p1;
  for (const r of h.requests) v += r.claimable === null ? min(r.amountOfEther * s1, r.shares * p1) : r.claimable * s1;
  return v;
}

/**
 * Invariant 4: valued at the rate after the step, every actor's holdings are worth at most what
 * they held before plus what others sent it in the step (shares and wtpETH at the rate, ETH, request
 * NFTs at their value). Rate changes (rewards, losses, others' fees and rounding) are what value the
 * holdings before the step at the new rate; everything else an actor does may only lose value.
 */
function checkValues(m: ProtocolModel, at: string): void {
  const before = holdingsAfterLastStep.get(m);
  const after = holdingsOf(m);
  if (before !== undefined) {
    const [p1, s1] = [m.totalPooledEther, m.totalShares];
    const afterAll = holdingsOf(m);
    for (let i = 0; i < ACTORS; i++) {
      let received = 0n;
      for (const flow of m.inflows.filter((x) => x.to === i)) {
        received += (flow.shares ?? 0n) * p1 + (flow.eth ?? 0n) * s1;
        if (flow.requestId !== undefined) {
          const r = m.requests[flow.requestId - 1];
          const claimable = r.checkpoint === 0 ? null : m.claimableOf(flow.requestId);
          received += valueTimesS(
            { eth: 0n, units: 0n, requests: [{ amountOfEther: r.amountOfEther, shares: r.shares, claimable }] },
            p1,
            s1,
          );
        }
      }
      const v0 = valueTimesS(before[i], p1, s1);
      const v1 = valueTimesS(afterAll[i], p1, s1);
      expect(
        v1 <= v0 + received,
        `${at}: invariant 4: ${m.world.labels[i]}'s value×S ${v1} ≤ before ${v0} + received ${received} (rate ${p1}/${s1})`,
      ).to.be.true;
    }
  }
  holdingsAfterLastStep.set(m, after);
  m.inflows = [];
}

/** Forgets the previous step's holdings (a new run starts). */
export function resetValueLedger(m: ProtocolModel): void {
  holdingsAfterLastStep.delete(m);
  checkValues(m, "setup");
}

/** Invariant 3 outside reports: the bound of the step kind on P1·S0 − P0·S1. */
function checkRate(before: ChainState, after: ChainState, step: RateStep, at: string): void {
  const [p0, s0, p1, s1] = [before.totalPooledEther, before.totalShares, after.totalPooledEther, after.totalShares];
  const drift = p1 * s0 - p0 * s1;
  const what = `${at}: invariant 3: rate ${p0}/${s0} → ${p1}/${s1} (drift ${drift})`;
  switch (step.kind) {
    case "none":
      expect(drift, `${what}: unchanged`).to.equal(0n);
      break;
    case "stake":
      expect(drift >= 0n && drift < p0, `${what}: 0 ≤ drift < P0`).to.be.true;
      break;
    case "redeem":
      expect(drift >= 0n && drift < p0 + step.fee * s0, `${what}: 0 ≤ drift < P0 + fee·S0 (fee ${step.fee})`).to.be
        .true;
      break;
    case "claim":
      expect(drift, `${what}: drift == excess·S0 (excess ${step.excess})`).to.equal(step.excess * s0);
      break;
    case "report":
      break;
  }
}

/**
 * Reads the chain after a step, checks it against the model and the invariants listed above, and
 * records it as `real.last`.
 */
export async function checkStep(m: ProtocolModel, real: World, step: RateStep, at: string): Promise<ChainState> {
  const before = real.last;
  const c = await real.read();
  const labels = real.labels;

  // The chain agrees with the model, account by account.
  real.addresses.forEach((_, i) => {
    expect(c.shares[i], `${at}: sharesOf(${labels[i]}) vs model`).to.equal(m.shares[i]);
    expect(c.wtp[i], `${at}: wtpETH balanceOf(${labels[i]}) vs model`).to.equal(m.wtp[i]);
    const gas = i < ACTORS ? m.gas[i] : 0n;
    expect(c.eth[i] + gas, `${at}: ETH of ${labels[i]} (+ gas paid ${gas}) vs model`).to.equal(m.eth[i]);
  });
  const nftBalances = real.addresses.map((_, i) =>
    BigInt(m.requests.filter((r) => r.owner === i && !r.claimed).length),
  );
  nftBalances[real.index("zero")] = 0n;
  const actual = {
    totalShares: c.totalShares,
    totalPooledEther: c.totalPooledEther,
    bufferedEther: c.bufferedEther,
    depositedValidators: c.depositedValidators,
    clValidators: c.clValidators,
    clBalance: c.clBalance,
    instantLiquidity: c.instantLiquidity,
    depositableEther: c.depositableEther,
    withdrawalVaultEth: c.withdrawalVaultEth,
    elRewardsVaultEth: c.elRewardsVaultEth,
    depositContractEth: c.depositContractEth,
    lastRequestId: c.lastRequestId,
    lastFinalizedId: c.lastFinalizedId,
    lastCheckpointIndex: c.lastCheckpointIndex,
    lockedEther: c.lockedEther,
    unfinalizedEther: c.unfinalizedEther,
    nftBalances: c.nftBalances,
    pausedCapabilities: c.pausedCapabilities,
    bunker: c.bunker,
    queuePaused: c.queuePaused,
    fees: c.fees,
    instant: c.instant,
    liquidityTargetBP: c.liquidityTargetBP,
    bondShares: c.bondShares,
    operator: c.operator,
    lastProcessedRefSlot: c.lastProcessedRefSlot,
    queueReserve: c.queueReserve,
    redeemFrame: c.redeemFrame,
  };
  const expected = {
    totalShares: m.totalShares,
    totalPooledEther: m.totalPooledEther,
    bufferedEther: m.bufferedEther(),
    depositedValidators: m.depositedValidators,
    clValidators: m.clValidators,
    clBalance: m.clBalance,
    instantLiquidity: m.instantLiquidity(),
    depositableEther: m.depositableEther(),
    withdrawalVaultEth: m.withdrawalVaultEth,
    elRewardsVaultEth: m.elRewardsVaultEth,
    depositContractEth: m.depositContractEth,
    lastRequestId: BigInt(m.requests.length),
    lastFinalizedId: BigInt(m.lastFinalizedId),
    lastCheckpointIndex: BigInt(m.checkpoints.length - 1),
    lockedEther: m.lockedEther,
    unfinalizedEther: m.unfinalizedEther(),
    nftBalances,
    pausedCapabilities: m.pausedCapabilities,
    bunker: m.bunker,
    queuePaused: m.queuePaused,
    fees: m.fees,
    instant: m.instant,
    liquidityTargetBP: m.liquidityTargetBP,
    bondShares: m.bondShares,
    operator: {
      depositedKeys: m.depositedValidators,
      exitedKeys: m.exitedKeys,
      totalActiveValidators: m.activeValidators(),
      pendingRewards: m.pendingOperatorRewards(),
    },
    lastProcessedRefSlot: m.lastRefSlot,
    queueReserve: m.reserve,
    redeemFrame: m.redeemFrame,
  };
  expect(actual, `${at}: pool, queue, vault, registry and governance state vs model`).to.deep.equal(expected);
  expect(
    {
      max: c.stakeLimit.max,
      perBlock: c.stakeLimit.perBlock,
      prevLimit: c.stakeLimit.prevLimit,
      prevBlock: c.stakeLimit.prevBlock,
    },
    `${at}: stake limit vs model`,
  ).to.deep.equal({
    max: m.stakeLimit.max,
    perBlock: m.stakeLimit.growthBlocks === 0n ? 0n : m.stakeLimit.max / m.stakeLimit.growthBlocks,
    prevLimit: m.stakeLimit.prevLimit,
    prevBlock: m.stakeLimit.prevBlock,
  });
  // Requests: amounts, owners, timestamps, statuses.
  const requests = m.requests.map((r) => ({
    amountOfEther: r.amountOfEther,
    amountOfShares: r.shares,
    owner: real.addresses[r.owner],
    timestamp: r.timestamp,
    isFinalized: r.checkpoint !== 0,
    isClaimed: r.claimed,
  }));
  expect(c.requests, `${at}: withdrawal request statuses vs model`).to.deep.equal(requests);

  // 1, 6. Shares sum to the total; wtpETH is exactly the wrapper's shares.
  expect(sum(c.shares), `${at}: invariant 1: Σ sharesOf(every holder) == totalShares`).to.equal(c.totalShares);
  expect(c.wrapperSupply, `${at}: invariant 6: wrapper.totalSupply == sharesOf(wrapper)`).to.equal(
    c.shares[real.index("wrapper")],
  );
  expect(sum(c.wtp), `${at}: invariant 6: Σ wtpETH balances == wrapper.totalSupply`).to.equal(c.wrapperSupply);

  // 22. The bridge: every actor's wtpETH on L2 and L3 and the pause flags equal the model's (so each
  // holder's wtpETH over the three chains moves only as the model's commands move it), the remote
  // supplies are the actors' balances, and the wtpETH locked at home is exactly L2's plus L3's supply.
  for (const [k, chain] of ["L2", "L3"].entries()) {
    for (let i = 0; i < ACTORS; i++) {
      expect(c.remote[k][i], `${at}: ${chain} wtpETH balanceOf(${labels[i]}) vs model`).to.equal(m.remote[k][i]);
    }
    expect(c.remoteSupply[k], `${at}: invariant 22: ${chain} totalSupply == Σ actors' ${chain} balances`).to.equal(
      sum(m.remote[k]),
    );
  }
  expect(c.bridgePaused, `${at}: bridge pause flags (home, L2, L3) vs model`).to.deep.equal(m.bridgePaused);
  expect(
    c.wtp[real.index("adapter")],
    `${at}: invariant 22: wtpETH locked in the adapter == L2 totalSupply + L3 totalSupply`,
  ).to.equal(c.remoteSupply[0] + c.remoteSupply[1]);

  // 2. Pooled ETH is the buffer, the CL balance and the not-yet-visible deposits.
  expect(
    c.totalPooledEther,
    `${at}: invariant 2: totalPooledEther == buffered + clBalance + (deposited − clValidators) × 32 ETH`,
  ).to.equal(c.bufferedEther + c.clBalance + (c.depositedValidators - c.clValidators) * DEPOSIT_SIZE);
  expect(c.totalSupply, `${at}: invariant 2: totalSupply == totalPooledEther`).to.equal(c.totalPooledEther);

  // 8. The pool reserves exactly the ETH the unfinalized requests asked for; instant liquidity is the rest of the buffer.
  expect(
    c.queueReserve,
    `${at}: invariant 8: the pool's reserve (high half of the queue's shares word) == queue.unfinalizedEther()`,
  ).to.equal(c.unfinalizedEther);
  expect(
    c.instantLiquidity,
    `${at}: invariant 8: instantLiquidity == max(0, bufferedEther − unfinalizedEther)`,
  ).to.equal(max(0n, c.bufferedEther - c.unfinalizedEther));

  // 16, 17. Every contract holds the ETH accounted to it; the queue can pay every finalized request.
  const poolEth = c.eth[real.index("pool")];
  const queueEth = c.eth[real.index("queue")];
  expect(poolEth >= c.bufferedEther, `${at}: invariant 17: pool ETH ${poolEth} ≥ buffered ${c.bufferedEther}`).to.be
    .true;
  expect(queueEth >= c.lockedEther, `${at}: invariant 16: queue ETH ${queueEth} ≥ locked ${c.lockedEther}`).to.be.true;
  const owed = sum(c.claimable);
  expect(owed <= c.lockedEther, `${at}: invariant 16: Σ claimable ${owed} ≤ locked ${c.lockedEther}`).to.be.true;
  expect(c.eth[real.index("wrapper")], `${at}: invariant 17: the wrapper holds no ETH`).to.equal(0n);
  expect(
    [c.registryEth, c.insuranceFundEth],
    `${at}: invariant 17: registry and insurance fund hold no ETH`,
  ).to.deep.equal([0n, 0n]);
  // The registry's shares cover the bond and the operator rewards it has booked (never over-promised).
  const registryShares = c.shares[real.index("registry")];
  expect(
    registryShares >= c.bondShares + c.operator.pendingRewards,
    `${at}: the registry's shares ${registryShares} ≥ bond ${c.bondShares} + pending operator rewards ${c.operator.pendingRewards}`,
  ).to.be.true;
  // Unfinalized demand is backed by the queue's shares: Σ min(nominal, shares at the rate) ≤ their value.
  // ≥, not ==: the pool accepts plain tpETH transfers to the queue, whose shares then sit there unqueued.
  expect(
    c.shares[real.index("queue")] >= c.queuedShares,
    `${at}: invariant 16: sharesOf(queue) ${c.shares[real.index("queue")]} ≥ queued shares ${c.queuedShares}`,
  ).to.be.true;

  // 3. The share rate outside reports.
  checkRate(before, c, step, at);

  // 18. Every finalized, unclaimed request is claimable for exactly the model's amount, with its checkpoint as hint.
  const claimable = m.requests.map((_, k) => m.claimableOf(k + 1));
  const hints = m.requests.map((r) => BigInt(r.checkpoint));
  expect(c.claimable, `${at}: invariant 18: getClaimableEther of every request vs model`).to.deep.equal(claimable);
  expect(c.hints, `${at}: invariant 18: findCheckpointHints vs the model's checkpoints`).to.deep.equal(hints);

  // 4. Values.
  checkValues(m, at);

  m.steps += 1;
  real.last = c;
  return c;
}

/**
 * Invariant 20 in a report: the rate may rise by at most what the sanity limits let in and may fall
 * by at most the CL drop limit, bunker mode or not (the limit holds whatever a report declares; only
 * slashings proven on chain stretch it, and the fuzzer's honest reports never draw on their credit: its
 * deeper drops are probes asserted to revert). With P0, S0 before the report and P', S' after
 * it but before finalization (finalization only burns shares worth at least the ETH it locks):
 * P' ≤ P0 + max(maxGain, budget) where maxGain = ⌊aprBP·preCL·elapsed / (year·10,000)⌋ and
 * budget = ⌊P0·maxPositiveRebasePPB / 1e9⌋, and S' ≥ S0 − bondBurned, so
 * P'·(S0 − bondBurned) ≤ (P0 + max(maxGain, budget))·S'; and P' ≥ P0 − maxDrop with
 * maxDrop = ⌊dropBP·preCL / 10,000⌋, and a loss mints no fee, so P'·S0 ≥ (P0 − maxDrop)·S'.
 * Finalization then never lowers the rate: P1·S' ≥ P'·S1.
 */
export function checkReportRate(
  at: string,
  p0: bigint,
  s0: bigint,
  pPost: bigint,
  sPost: bigint,
  p1: bigint,
  s1: bigint,
  bound: { maxGain: bigint; budget: bigint; maxDrop: bigint; bondBurned: bigint },
): void {
  const up = max(bound.maxGain, bound.budget);
  expect(
    pPost * (s0 - bound.bondBurned) <= (p0 + up) * sPost,
    `${at}: invariant 20: report rate ${p0}/${s0} → ${pPost}/${sPost} rises at most by the limits (+${up} wei on P0, bond burned ${bound.bondBurned})`,
  ).to.be.true;
  expect(
    pPost * s0 >= (p0 - bound.maxDrop) * sPost,
    `${at}: invariant 20: report rate ${p0}/${s0} → ${pPost}/${sPost} falls at most by the CL drop limit (${bound.maxDrop} wei)`,
  ).to.be.true;
  expect(p1 * sPost >= pPost * s1, `${at}: invariant 20: finalization never lowers the rate`).to.be.true;
}
