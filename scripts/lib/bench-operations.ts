import hre from "hardhat";
import { ZeroAddress, id, parseEther } from "ethers";
import type { Tidepool } from "./protocol";
import { dailyReport, reportingDeployment } from "./bench-reports";
import { gasOf } from "./bench-withdrawals";
import { advanceFrames, buildReport, submitUntilApplied, type ReportFields } from "./oracle";
import { PERMIT_VRS, signPermit } from "./permit";

type Gas = Record<string, number>;

const GWEI = 10n ** 9n;
/** Far enough in the future for any permit the benchmark signs. */
const DEADLINE = 2n ** 40n;

/**
 * The reporting deployment after its warm-up reports (validators visible, fees minted, vaults warm),
 * so that every operation below runs in a live protocol's storage state.
 */
async function liveDeployment(): Promise<Tidepool> {
  const t = await reportingDeployment();
  await dailyReport(t, {}, "warm-up");
  return t;
}

/**
 * A report applied by the quorum (the second member's vote) on top of the last one: the CL balance
 * grows by about 3% APR over a day unless `fields` says otherwise. Returns the quorum vote's gas.
 */
async function nextReport(t: Tidepool, key: string, fields: Partial<ReportFields>): Promise<number> {
  const [, validators, clBalanceWei] = await t.pool.getBeaconStat();
  const clGwei = clBalanceWei / GWEI;
  const refSlot = await advanceFrames(hre.network.provider, t.oracle);
  const data = buildReport(refSlot, {
    numValidators: validators,
    clBalanceGwei: clGwei + (clGwei * 3n) / 100n / 365n,
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
 * address (governance), claiming rewards, an exit reported by the exits reporter and the bond it
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
  await (await registry.connect(t.admin).grantRole(id("EXITS_REPORTER_ROLE"), t.admin.address)).wait();
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
