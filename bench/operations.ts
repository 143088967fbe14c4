import hre from "hardhat";
import { ZeroAddress, id, parseEther } from "ethers";
import { deployTidepool, type Tidepool } from "../deploy/protocol";
import {
  DAILY_EL_REWARDS,
  DAILY_SKIM,
  afterADay,
  dailyReport,
  fundVaultsForADay,
  reportingDeployment,
} from "./reports";
import { gasOf, type Gas } from "./measure";
import { buildReport, type ReportFields } from "../sdk/src/report";
import { advanceFrames, submitUntilApplied } from "../offchain/oracle/devchain";
import { PERMIT_VRS, signPermit } from "../sdk/src/permit";

const GWEI = 10n ** 9n;
/** Far enough in the future for any permit the benchmark signs. */
const DEADLINE = 2n ** 40n;

/**
 * The reporting deployment after its warm-up reports (validators visible, fees minted, vaults warm),
 * so that every operation below runs in a live protocol's storage state.
 */
export async function liveDeployment(): Promise<Tidepool> {
  const t = await reportingDeployment();
  await dailyReport(t, {}, "warm-up");
  return t;
}

/**
 * A report applied by the quorum (the second member's vote) on top of the last one: the CL balance
 * grows by about 3% APR over a day unless `fields` says otherwise. Returns the quorum vote's gas.
 */
export async function nextReport(t: Tidepool, key: string, fields: Partial<ReportFields>): Promise<number> {
  const [, validators, clBalanceWei] = await t.pool.getBeaconStat();
  const clGwei = clBalanceWei / GWEI;
  const refSlot = await advanceFrames(hre.network.provider, t.oracle);
  const data = buildReport(refSlot, {
    numValidators: validators,
    clBalanceGwei: afterADay(clGwei),
    ...fields,
  });
  const receipts = await submitUntilApplied(t.oracle, t.oracleMembers, data);
  const quorum = receipts[receipts.length - 1];
  if (receipts.length < 2) throw new Error(`${key}: the second member should complete the quorum`);
  return Number(quorum.gasUsed);
}

/**
 * The holder operations the main benchmark leaves out: share allowances, wtpETH permits and
 * allowances, the ERC-4626 entry points, a wrapped request with a permit, moving a request's NFT,
 * and claims in a batch of ten and to another recipient.
 */
export async function holderOperationBenchmarks(gas: Gas): Promise<void> {
  const t = await liveDeployment();
  const [, alice, bob, carol, dave] = t.users;
  const { pool, wrapper, withdrawalQueue: queue } = t;
  const queueAddress = await queue.getAddress();

  // tpETH: a share allowance spent by transferSharesFrom (existing holders on both sides).
  await (await pool.connect(alice).approve(bob.address, parseEther("2"))).wait();
  gas["tpETH.transferSharesFrom.existingHolder"] = await gasOf(
    "transferSharesFrom",
    pool.connect(bob).transferSharesFrom(alice.address, carol.address, 10n ** 17n),
  );

  // wtpETH: permit, then the allowance spent; the ERC-4626 entry points.
  await (await wrapper.connect(alice).wrap(parseEther("10"))).wait();
  await (await wrapper.connect(carol).wrap(parseEther("1"))).wait();
  const p = await signPermit(wrapper, alice, bob.address, parseEther("1"), DEADLINE);
  gas["wtpETH.permit.newAllowance"] = await gasOf(
    "wtpETH permit",
    wrapper.connect(bob)[PERMIT_VRS](p.owner, bob.address, parseEther("1"), DEADLINE, p.v, p.r, p.s),
  );
  gas["wtpETH.transferFrom.existingHolder"] = await gasOf(
    "wtpETH transferFrom",
    wrapper.connect(bob).transferFrom(alice.address, carol.address, parseEther("0.5")),
  );
  gas["wtpETH.erc4626.deposit"] = await gasOf("deposit", wrapper.connect(alice).deposit(parseEther("1"), alice));
  gas["wtpETH.erc4626.mint"] = await gasOf("mint", wrapper.connect(alice).mint(parseEther("1"), alice));
  gas["wtpETH.erc4626.withdraw"] = await gasOf(
    "withdraw",
    wrapper.connect(alice).withdraw(parseEther("1"), alice, alice),
  );
  gas["wtpETH.erc4626.redeem"] = await gasOf("redeem", wrapper.connect(alice).redeem(parseEther("1"), alice, alice));

  // A wrapped request with a wtpETH permit (nothing approved before).
  const wp = await signPermit(wrapper, carol, queueAddress, parseEther("1"), DEADLINE);
  gas["withdrawal.request.wrapped.withPermit.firstForOwner"] = await gasOf(
    "wrapped permit",
    queue.connect(carol).requestWithdrawalsWrappedWithPermit([parseEther("1")], ZeroAddress, {
      value: parseEther("1"),
      deadline: DEADLINE,
      v: wp.v,
      r: wp.r,
      s: wp.s,
    }),
  );

  // Ten requests by one holder in one transaction, and the NFT of one given to someone else.
  const ten = Array<bigint>(10).fill(parseEther("0.2"));
  await (await pool.connect(dave).approve(queueAddress, parseEther("2.2"))).wait();
  gas["withdrawal.request.batch10.perRequest"] = await gasOf(
    "batch request",
    queue.connect(dave).requestWithdrawals(ten, ZeroAddress),
    10,
  );
  await (await queue.connect(dave).requestWithdrawals([parseEther("0.2")], ZeroAddress)).wait();
  const daveIds = [...(await queue.getWithdrawalRequests(dave.address))].sort((a, b) => (a < b ? -1 : 1));
  const given = daveIds[daveIds.length - 1];
  gas["tpWR.transferFrom.newOwner"] = await gasOf(
    "NFT transfer",
    queue.connect(dave).transferFrom(dave.address, bob.address, given),
  );

  // A report finalizes them all; then a batch claim of ten and a claim paid to another address.
  await nextReport(t, "finalize", { lastRequestIdToFinalize: await queue.getLastRequestId() });
  const batch = daveIds.slice(0, 10);
  const last = await queue.getLastCheckpointIndex();
  const hints = await queue.findCheckpointHints(batch, 1n, last);
  gas["withdrawal.claim.batch10.perRequest"] = await gasOf(
    "batch claim",
    queue.connect(dave).claimWithdrawals(batch, [...hints]),
    10,
  );
  const [givenHint] = await queue.findCheckpointHints([given], 1n, last);
  gas["withdrawal.claimTo.withHint"] = await gasOf(
    "claim to",
    queue.connect(bob).claimWithdrawalsTo([given], [givenHint], carol.address),
  );
}

/**
 * The operator life cycle the deposit benchmark leaves out, in a live deployment whose operator
 * (id 0, ten validators) has earned rewards: registering an operator and changing its reward
 * address (governance), claiming rewards, an exit recorded by the accounting oracle (its quorum's report) and the bond it
 * frees withdrawn.
 */
export async function operatorOperationBenchmarks(gas: Gas): Promise<void> {
  const t = await liveDeployment();
  const [operator, , , , , , , newcomer] = t.users;
  const { registry, pool } = t;
  gas["registry.addNodeOperator"] = await gasOf(
    "addNodeOperator",
    registry.connect(t.admin).addNodeOperator("bench-newcomer", newcomer.address),
  );
  gas["registry.setNodeOperatorRewardAddress"] = await gasOf(
    "setNodeOperatorRewardAddress",
    registry.connect(t.admin).setNodeOperatorRewardAddress(1n, operator.address),
  );
  gas["registry.claimOperatorRewards"] = await gasOf(
    "claimOperatorRewards",
    registry.connect(operator).claimOperatorRewards(0n),
  );
  // The admin stands in for the accounting oracle, which reports exits from its committee's reports.
  await (await registry.connect(t.admin).grantRole(id("ACCOUNTING_ROLE"), t.admin.address)).wait();
  gas["registry.reportExitedKeys"] = await gasOf(
    "reportExitedKeys",
    registry.connect(t.admin).reportExitedKeys(0n, 1n),
  );
  const freed = await pool.getSharesByPooledEth(parseEther("1"));
  gas["registry.withdrawBond"] = await gasOf(
    "withdrawBond",
    registry.connect(operator).withdrawBond(0n, freed, operator.address),
  );
}

/**
 * Reports that do more than the daily one: one that asks the operator to exit a validator for a
 * withdrawal the buffer cannot pay, and one that realises a slashing (a loss attributed to the
 * operator's bond, bunker mode on).
 */
export async function reportVariantBenchmarks(gas: Gas): Promise<void> {
  const t = await liveDeployment();
  const [, alice, bob] = t.users;
  const queue = t.withdrawalQueue;
  // 70 ETH asked against a 40 ETH buffer: one 32 ETH exit is due.
  for (const holder of [alice, bob]) {
    await (await t.pool.connect(holder).approve(await queue.getAddress(), parseEther("35"))).wait();
    await (await queue.connect(holder).requestWithdrawals([parseEther("35")], ZeroAddress)).wait();
  }
  gas["report.quorum.exitRequest"] = await nextReport(t, "exit", {
    exitOperatorIds: [0n],
    exitKeyIndices: [0n],
  });

  const [, , clBalanceWei] = await t.pool.getBeaconStat();
  gas["report.quorum.slashing"] = await nextReport(t, "slashing", {
    clBalanceGwei: clBalanceWei / GWEI - GWEI,
    isBunkerMode: true,
    operatorIdsWithLosses: [0n],
    operatorLossesGwei: [GWEI],
  });
}

/**
 * A member's vote in a frame where another member has already changed its vote 200 times, each time
 * to a new hash (`report.vote.after200Changes`, to compare with `report.vote`: the same daily report),
 * and the vote that then completes the quorum (`report.quorum.after200Changes`, to compare with
 * `report.quorum.daily`). Every vote scans the frame's report variants, so what the churning member
 * leaves behind is what honest members pay for. The committee has split once before (a frame with two
 * hashes), so a second variant entry exists, as in any committee that ever disagreed; the first split
 * ever allocates it once (about 40,000 gas more).
 */
export async function reportVoteChurnBenchmarks(gas: Gas): Promise<void> {
  const t = await liveDeployment();
  const [first, second, churner] = t.oracleMembers;
  /** The next frame's daily report (as in {dailyReport}); `extraGwei` on the CL balance makes another hash. */
  const nextFrame = async () => {
    const [, validators, clBalanceWei] = await t.pool.getBeaconStat();
    const clGwei = clBalanceWei / GWEI;
    await fundVaultsForADay(t);
    const refSlot = await advanceFrames(hre.network.provider, t.oracle);
    return (extraGwei: bigint) =>
      buildReport(refSlot, {
        numValidators: validators,
        clBalanceGwei: afterADay(clGwei) + extraGwei,
        withdrawalVaultBalance: DAILY_SKIM,
        elRewardsVaultBalance: DAILY_EL_REWARDS,
      });
  };

  let report = await nextFrame();
  await (await t.oracle.connect(churner).submitReport(report(1n))).wait();
  await submitUntilApplied(t.oracle, [first, second], report(0n));

  report = await nextFrame();
  for (let i = 1n; i <= 200n; i++) await (await t.oracle.connect(churner).submitReport(report(i))).wait();
  gas["report.vote.after200Changes"] = await gasOf("vote", t.oracle.connect(first).submitReport(report(0n)));
  gas["report.quorum.after200Changes"] = await gasOf("quorum", t.oracle.connect(second).submitReport(report(0n)));
  if ((await t.oracle.getLastProcessedRefSlot()) !== report(0n).refSlot) throw new Error("the frame was not applied");
}

/**
 * Exit requests in one report, in a registry whose operators run one validator each (the
 * 1,000-operator registry of {dailyReportOps1000}): every request names another operator's key, so
 * each reads cold storage, the dearest case. The whale's withdrawal requests leave the queue short of
 * the ETH of every exit measured. Records the quorum vote with 100 exits
 * (`report.quorum.exitRequests100`), the gas one more exit adds (`report.quorum.exitRequest.marginal`,
 * against the same report without exits) and the report at MAX_EXIT_REQUESTS_CAP exits
 * (`report.quorum.exitRequestsAtCap`), which must fit comfortably in a block.
 */
export async function exitRequestBenchmarks(t: Tidepool, whale: Tidepool["users"][number], gas: Gas): Promise<void> {
  const cap = Number(await t.oracle.MAX_EXIT_REQUESTS_CAP());
  const operators = Number(await t.registry.getNodeOperatorsCount());
  if (operators < 100 + cap) throw new Error(`exit benchmark: ${operators} operators, ${100 + cap} needed`);
  const queue = t.withdrawalQueue;
  const amount = (await t.pool.bufferedEther()) + BigInt(100 + cap + 1) * parseEther("32");
  const most = await queue.MAX_WITHDRAWAL_AMOUNT();
  const amounts: bigint[] = [];
  for (let left = amount; left > 0n; left -= most) amounts.push(left < most ? left : most);
  await (await t.pool.connect(whale).approve(await queue.getAddress(), amount)).wait();
  await (await queue.connect(whale).requestWithdrawals(amounts, ZeroAddress)).wait();
  const limits = await t.oracle.getSanityLimits();
  await (
    await t.oracle.connect(t.admin).setSanityLimits({
      annualAprLimitBP: limits.annualAprLimitBP,
      clBalanceDropLimitBP: limits.clBalanceDropLimitBP,
      maxPositiveRebasePPB: limits.maxPositiveRebasePPB,
      maxExitRequestsPerReport: cap,
      maxOperatorsWithLossesPerReport: limits.maxOperatorsWithLossesPerReport,
    })
  ).wait();
  /** Exits of key 0 of operators `from` to `from + count − 1`. */
  const exits = (from: number, count: number): Partial<ReportFields> => ({
    exitOperatorIds: Array.from({ length: count }, (_, i) => BigInt(from + i)),
    exitKeyIndices: Array<bigint>(count).fill(0n),
  });
  const none = await nextReport(t, "no exits", {});
  const hundred = await nextReport(t, "100 exits", exits(0, 100));
  gas["report.quorum.exitRequests100"] = hundred;
  gas["report.quorum.exitRequest.marginal"] = Math.round((hundred - none) / 100);
  gas["report.quorum.exitRequestsAtCap"] = await nextReport(t, "exits at the cap", exits(100, cap));
}

/**
 * The everyday operations, each once in a fresh deployment where someone else has already staked and
 * wrapped (the wrapper's pool balance is warm, as on a live network): staking, tpETH transfers,
 * allowances and a permit, an instant redemption, wrapping and unwrapping, and the wrapper's ETH
 * entry points.
 */
export async function userOperationBenchmarks(gas: Gas): Promise<void> {
  const { pool, wrapper, poolAddress, wrapperAddress, users } = await deployTidepool(hre);
  const [alice, bob, carol, dave, erin, frank, grace] = users;
  const measure = async (key: string, tx: Parameters<typeof gasOf>[1]): Promise<void> => {
    gas[key] = await gasOf(key, tx);
  };

  // Someone else has already wrapped, so the wrapper's pool balance is warm, as on a live network.
  await pool.connect(dave).stake(ZeroAddress, { value: parseEther("5") });
  await wrapper.connect(dave).wrap(parseEther("1"));

  // Staking
  await measure("stake.newHolder", pool.connect(alice).stake(ZeroAddress, { value: parseEther("10") }));
  await measure("stake.repeatHolder", pool.connect(alice).stake(ZeroAddress, { value: parseEther("1") }));
  await measure("stake.plainEth.newHolder", bob.sendTransaction({ to: poolAddress, value: parseEther("3") }));

  // tpETH transfers
  await measure("tpETH.transfer.newHolder", pool.connect(alice).transfer(carol.address, parseEther("1")));
  await measure("tpETH.transfer.existingHolder", pool.connect(alice).transfer(carol.address, parseEther("1")));
  await measure("tpETH.transferShares.existingHolder", pool.connect(alice).transferShares(carol.address, 10n ** 17n));
  await measure("tpETH.approve.newAllowance", pool.connect(alice).approve(bob.address, parseEther("2")));
  await measure(
    "tpETH.transferFrom.existingHolder",
    pool.connect(bob).transferFrom(alice.address, carol.address, parseEther("1")),
  );
  const p = await signPermit(pool, carol, bob.address, parseEther("1"), DEADLINE);
  await measure(
    "tpETH.permit.newAllowance",
    pool.connect(bob)[PERMIT_VRS](p.owner, bob.address, parseEther("1"), DEADLINE, p.v, p.r, p.s),
  );

  // Instant redemption: a holder redeems 0.1 ETH to itself (the frame cap is 1% of TVL)
  await measure("instantRedeem", pool.connect(carol).instantRedeem(parseEther("0.1"), 0n, carol.address));

  // Wrapper
  await measure("wrap.newHolder", wrapper.connect(alice).wrap(parseEther("2")));
  await measure("wrap.repeatHolder", wrapper.connect(alice).wrap(parseEther("1")));
  await measure("unwrap", wrapper.connect(alice).unwrap(parseEther("1")));
  await measure("unwrap.wholeBalance", wrapper.connect(alice).unwrap(await wrapper.balanceOf(alice.address)));
  await measure("ethToWtpETH.newHolder", erin.sendTransaction({ to: wrapperAddress, value: parseEther("1") }));
  await measure("stakeAndWrap.newHolder", wrapper.connect(frank).stakeAndWrap(ZeroAddress, { value: parseEther("1") }));
  await measure("wtpETH.transfer.newHolder", wrapper.connect(erin).transfer(grace.address, parseEther("0.5")));
}
