/**
 * The local end-to-end demo (until the full simulated month lands): deploys Tidepool on the
 * in-process network with the real Ignition module, lets a few holders stake, wrap, transfer and
 * unwrap, deposits validators, runs a week of oracle reports (rewards, fees, an operator's claim),
 * a penalty covered by the operator's bond, and withdrawals (requests, finalization in a report, a
 * claim), and prints balances, rates and totals as it goes. Exits non-zero if the pool's accounting
 * invariants break.
 */
import hre from "hardhat";
import { ZeroAddress, parseEther } from "ethers";
import { deployTidepool, type Tidepool } from "./lib/protocol";
import { eth, markdownTable, ratio } from "./lib/format";
import { registerOperator } from "./lib/operators";
import { currentAttestation, signAttestation } from "./lib/guardians";
import { advanceFrames, buildReport, submitUntilApplied, type ReportFields } from "./lib/oracle";

const GWEI = 10n ** 9n;

/** Moves to the next frame and reports `fields` through the committee's quorum. */
async function report(t: Tidepool, fields: Partial<ReportFields>, frames = 1n): Promise<bigint> {
  const refSlot = await advanceFrames(hre.network.provider, t.oracle, frames);
  const receipts = await submitUntilApplied(t.oracle, t.oracleMembers, buildReport(refSlot, fields));
  return receipts[receipts.length - 1].gasUsed;
}

async function printState(t: Tidepool, title: string, holders: { name: string; address: string }[]): Promise<void> {
  const { pool, wrapper } = t;
  const rows = await Promise.all(
    holders.map(async (h) => {
      const wtp = await wrapper.balanceOf(h.address);
      return [
        h.name,
        eth(await pool.balanceOf(h.address), 6, "tpETH"),
        eth(wtp, 6, "wtpETH"),
        eth(await pool.getPooledEthByShares(wtp), 6, "tpETH"),
        (await pool.sharesOf(h.address)).toString(),
      ];
    }),
  );
  console.log(`\n## ${title}\n`);
  console.log(markdownTable(["holder", "tpETH", "wtpETH", "wtpETH value", "pool shares"], rows));
  const [pooled, shares] = [await t.pool.totalPooledEther(), await t.pool.totalShares()];
  console.log(
    `\nTVL ${eth(pooled)} · buffer ${eth(await pool.bufferedEther())} · total shares ${shares}` +
      ` · share rate ${ratio(pooled, shares, 18)} ETH/share · tpEthPerToken ${eth(await wrapper.tpEthPerToken(), 18, "tpETH")}` +
      ` · stake limit left ${eth(await pool.getCurrentStakeLimit(), 2)}`,
  );
}

/** The invariants the demo can check with the token layer alone (docs/design.md lists them). */
async function checkInvariants(t: Tidepool, accounts: string[]): Promise<void> {
  const { pool, wrapper } = t;
  // Every share holder: the demo's accounts, the wrapper, the bootstrap shares, the registry (bonds and
  // operators' fees), the treasury and the insurance fund.
  const holders = [
    ...accounts,
    t.wrapperAddress,
    await pool.BOOTSTRAP_SHARES_HOLDER(),
    await t.registry.getAddress(),
    t.treasury.address,
    await t.insuranceFund.getAddress(),
    await t.withdrawalQueue.getAddress(),
  ];
  let sum = 0n;
  for (const a of holders) sum += await pool.sharesOf(a);
  const problems: string[] = [];
  if (sum !== (await pool.totalShares())) problems.push(`Σ shares ${sum} ≠ totalShares`);
  if ((await pool.totalSupply()) !== (await pool.totalPooledEther())) problems.push("totalSupply ≠ totalPooledEther");
  if ((await wrapper.totalSupply()) !== (await pool.sharesOf(t.wrapperAddress)))
    problems.push("wtpETH supply ≠ wrapper's pool shares");
  if ((await hre.ethers.provider.getBalance(t.poolAddress)) < (await pool.bufferedEther()))
    problems.push("pool holds less ETH than its buffer");
  if (problems.length > 0) throw new Error(`invariant broken: ${problems.join("; ")}`);
  console.log("\nInvariants hold: Σ shares = totalShares, supply = pooled ETH, wtpETH = wrapper shares, ETH ≥ buffer.");
}

async function main(): Promise<void> {
  console.log("# Tidepool local demo\n\nDeploying with deploy/modules/Tidepool.ts on the in-process network…");
  const t = await deployTidepool(hre);
  const [alice, bob, carol] = t.users;
  const holders = [
    { name: "alice", address: alice.address },
    { name: "bob", address: bob.address },
    { name: "carol", address: carol.address },
  ];
  console.log(`pool (tpETH) ${t.poolAddress}\nwrapper (wtpETH) ${t.wrapperAddress}`);

  await (await t.pool.connect(alice).stake(ZeroAddress, { value: parseEther("32") })).wait();
  await (await bob.sendTransaction({ to: t.poolAddress, value: parseEther("5.5") })).wait();
  await printState(t, "alice stakes 32 ETH, bob sends 5.5 ETH to the pool", holders);

  await (await t.wrapper.connect(alice).wrap(parseEther("10"))).wait();
  await (await carol.sendTransaction({ to: t.wrapperAddress, value: parseEther("2") })).wait();
  await printState(t, "alice wraps 10 tpETH (no approval needed); carol sends 2 ETH to wtpETH", holders);

  await (await t.pool.connect(alice).transfer(bob.address, parseEther("1.25"))).wait();
  await (await t.wrapper.connect(carol).transfer(bob.address, parseEther("0.5"))).wait();
  await (await t.wrapper.connect(alice).unwrap(parseEther("4"))).wait();
  await printState(t, "alice sends bob 1.25 tpETH, carol sends bob 0.5 wtpETH, alice unwraps 4 wtpETH", holders);

  // Validators: two operators with real BLS test keys and bond; the guardian attests; the buffer
  // above the 1% instant-liquidity reserve goes to the operator with the fewest validators.
  const [, , , opA, opB] = t.users;
  await (await t.pool.connect(alice).stake(ZeroAddress, { value: parseEther("100") })).wait();
  const a = await registerOperator(t.registry, t.pool, t.admin, {
    name: "Anchor Staking",
    rewardAddress: opA,
    keys: 4,
    bondWei: parseEther("8"),
  });
  await registerOperator(t.registry, t.pool, t.admin, {
    name: "Breakwater Nodes",
    rewardAddress: opB,
    keys: 4,
    bondWei: parseEther("8"),
  });
  const attestation = await currentAttestation(t.depositContract, t.registry, hre.ethers.provider);
  const signatures = await signAttestation(t.dsm, attestation, [t.guardian]);
  await (await t.dsm.depositBufferedEther(a, 3, attestation, signatures)).wait();
  const [deposited] = await t.pool.getBeaconStat();
  console.log(
    `\n## Guarded deposit\n\nThe guardian attested the deposit root and key nonce; ${deposited} validators of ` +
      `"Anchor Staking" were deposited (32 ETH each, credentials ${await t.pool.withdrawalCredentials()}). ` +
      `TVL stays ${eth(await t.pool.totalPooledEther())}; buffer ${eth(await t.pool.bufferedEther())}; ` +
      `deposit contract holds ${eth(await hre.ethers.provider.getBalance(await t.depositContract.getAddress()))}.`,
  );

  // Oracle: the committee (accounts 1–3, quorum 2) reports once per beacon-chain day.
  const clStart = deposited * 32n * GWEI;
  await report(t, { numValidators: deposited, clBalanceGwei: clStart });
  console.log(`\n## Oracle\n\nDay 1: the ${deposited} validators are visible at 96 ETH: no rewards, no fee.`);
  let clGwei = clStart;
  let gas = 0n;
  for (let day = 2; day <= 8; day++) {
    clGwei += (clGwei * 350n) / 10_000n / 365n; // ≈ 3.5% CL APR
    await (
      await t.admin.sendTransaction({ to: await t.elRewardsVault.getAddress(), value: parseEther("0.004") })
    ).wait();
    gas = await report(t, {
      numValidators: deposited,
      clBalanceGwei: clGwei,
      elRewardsVaultBalance: parseEther("0.004"),
    });
  }
  await printState(t, "a week of daily reports: CL rewards and EL tips, 10% fee", [...holders]);
  const opRewards = await t.registry.pendingOperatorRewards(a);
  console.log(
    `\nLast report's APR ${Number(await t.oracle.lastReportAprBP()) / 100}% · quorum vote gas ${gas} · ` +
      `treasury ${eth(await t.pool.balanceOf(t.treasury.address), 6, "tpETH")} · insurance fund ` +
      `${eth(await t.pool.balanceOf(await t.insuranceFund.getAddress()), 6, "tpETH")} · "Anchor Staking" can claim ` +
      `${eth(await t.pool.getPooledEthByShares(opRewards), 6, "tpETH")}.`,
  );
  await (await t.registry.connect(opA).claimOperatorRewards(a)).wait();

  // A 0.5 ETH penalty attributed to "Anchor Staking": its bond pays, holders keep their rate.
  const rateBefore = await t.pool.getPooledEthByShares(parseEther("1"));
  const bondBefore = (await t.registry.getNodeOperator(a)).bondShares;
  clGwei -= parseEther("0.5") / GWEI;
  await report(t, {
    numValidators: deposited,
    clBalanceGwei: clGwei,
    operatorIdsWithLosses: [a],
    operatorLossesGwei: [parseEther("0.5") / GWEI],
  });
  const bondAfter = (await t.registry.getNodeOperator(a)).bondShares;
  console.log(
    `\nDay 9: a 0.5 ETH penalty attributed to "Anchor Staking" burned ${eth(bondBefore - bondAfter, 6, "shares")} of its bond; ` +
      `the share rate went from ${eth(rateBefore, 9)} to ${eth(await t.pool.getPooledEthByShares(parseEther("1")), 9)} per share.`,
  );

  // Withdrawals: bob queues 2 tpETH, carol 1 wtpETH; the next report finalizes both; bob claims.
  const queue = t.withdrawalQueue;
  const queueAddress = await queue.getAddress();
  await (await t.pool.connect(bob).approve(queueAddress, parseEther("2"))).wait();
  await (await queue.connect(bob).requestWithdrawals([parseEther("2")], ZeroAddress)).wait();
  await (await t.wrapper.connect(carol).approve(queueAddress, parseEther("1"))).wait();
  await (await queue.connect(carol).requestWithdrawalsWrapped([parseEther("1")], ZeroAddress)).wait();
  const lastId = await queue.getLastRequestId();
  console.log(
    `\n## Withdrawals\n\nbob requested 2 tpETH and carol 1 wtpETH (requests 1–${lastId}, two NFTs); ` +
      `${eth(await queue.unfinalizedEther())} waits; instant liquidity is now ${eth(await t.pool.instantLiquidity())}.`,
  );
  await report(t, { numValidators: deposited, clBalanceGwei: clGwei, lastRequestIdToFinalize: lastId });
  const ids = [...(await queue.getWithdrawalRequests(bob.address))];
  const hints = [...(await queue.findCheckpointHints(ids, 1n, await queue.getLastCheckpointIndex()))];
  const [claimable] = await queue.getClaimableEther(ids, hints);
  const bobBefore = await hre.ethers.provider.getBalance(bob.address);
  const receipt = await (await queue.connect(bob).claimWithdrawals(ids, hints)).wait();
  if (!receipt) throw new Error("claim failed");
  const received = (await hre.ethers.provider.getBalance(bob.address)) - bobBefore + receipt.gasUsed * receipt.gasPrice;
  if (received !== claimable) throw new Error(`bob received ${received}, expected ${claimable}`);
  const locked = await queue.lockedEther();
  if ((await hre.ethers.provider.getBalance(queueAddress)) !== locked) throw new Error("queue balance ≠ locked ETH");
  console.log(
    `Day 10: the report finalized both at the day's rate; bob claimed ${eth(received)} (claim gas ${receipt.gasUsed}); ` +
      `the queue still holds ${eth(locked)} for carol's request, exactly its balance.`,
  );
  await checkInvariants(t, [...holders.map((h) => h.address), opA.address]);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
