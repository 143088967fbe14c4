import hre from "hardhat";
import { ZeroAddress, parseEther } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Tidepool } from "../deploy/protocol";
import { dailyReport, reportingDeployment } from "./reports";
import { gasOf, type Gas } from "./measure";
import { signPermit } from "../sdk/src/permit";

/** Requests per transaction when filling the queue (each ~70 k gas; a transaction may use 2^24). */
const FILL_BATCH = 150;

/** Approves exactly `amount` (as a wallet does), then requests it: the gas of the request alone. */
async function request(t: Tidepool, holder: HardhatEthersSigner, amount: bigint, key: string): Promise<number> {
  await (await t.pool.connect(holder).approve(await t.withdrawalQueue.getAddress(), amount)).wait();
  return gasOf(key, t.withdrawalQueue.connect(holder).requestWithdrawals([amount], ZeroAddress));
}

/** `count` minimum-size (100 wei) requests by `spammer`, in batches. */
async function fillQueue(t: Tidepool, spammer: HardhatEthersSigner, count: number): Promise<void> {
  const queue = t.withdrawalQueue;
  await (await t.pool.connect(spammer).approve(await queue.getAddress(), BigInt(count) * 100n)).wait();
  for (let done = 0; done < count; done += FILL_BATCH) {
    const amounts = Array<bigint>(Math.min(FILL_BATCH, count - done)).fill(100n);
    await (await queue.connect(spammer).requestWithdrawals(amounts, ZeroAddress)).wait();
  }
}

/** The hint of one finalized request. */
async function hintOf(t: Tidepool, id: bigint): Promise<bigint> {
  const last = await t.withdrawalQueue.getLastCheckpointIndex();
  const [hint] = await t.withdrawalQueue.findCheckpointHints([id], 1n, last);
  if (hint === 0n) throw new Error(`request ${id} is not finalized`);
  return hint;
}

/**
 * The queue in the reporting deployment of the daily-report benchmark (validators deposited, 40 ETH
 * in the buffer), with `spam` minimum-size requests queued before the measured ones. A warm-up
 * request (finalized by an earlier report) puts the queue in a steady state. Requests: a
 * holder's first and second (after approving exactly the amount), a wrapped one and one with a
 * permit; then the daily report that finalizes all of them; then claims: a holder's only request
 * with a hint, the older of a holder's two, and one without a hint (binary search).
 */
async function queueScenario(gas: Gas, spam: number, suffix: string): Promise<void> {
  const t = await reportingDeployment();
  const [, alice, bob, carol, dave, erin, spammer] = t.users;
  const queue = t.withdrawalQueue;
  // A live queue: some request exists already, so the queue holds pool shares.
  await request(t, erin, parseEther("0.5"), "warm-up");
  if (spam > 0) await fillQueue(t, spammer, spam);

  gas[`withdrawal.request.firstForOwner${suffix}`] = await request(t, alice, parseEther("1"), "first");
  gas[`withdrawal.request.subsequent${suffix}`] = await request(t, alice, parseEther("1"), "subsequent");
  await request(t, bob, parseEther("2"), "bob");
  if (suffix === "") {
    await (await t.wrapper.connect(carol).wrap(parseEther("3"))).wait();
    await (await t.wrapper.connect(carol).approve(await queue.getAddress(), parseEther("1"))).wait();
    gas["withdrawal.request.wrapped.firstForOwner"] = await gasOf(
      "wrapped",
      queue.connect(carol).requestWithdrawalsWrapped([parseEther("1")], ZeroAddress),
    );
    const deadline = 2n ** 40n;
    const p = await signPermit(t.pool, dave, await queue.getAddress(), parseEther("1"), deadline);
    gas["withdrawal.request.withPermit.firstForOwner"] = await gasOf(
      "permit",
      queue.connect(dave).requestWithdrawalsWithPermit([parseEther("1")], ZeroAddress, {
        value: parseEther("1"),
        deadline,
        v: p.v,
        r: p.r,
        s: p.s,
      }),
    );
  }
  // The measured report finalizes 10 requests (5 above and 5 more), or the 10,000 of spam and 3 more.
  if (spam === 0) for (let i = 0; i < 5; i++) await request(t, erin, parseEther("0.1"), "top-up");
  const lastId = await queue.getLastRequestId();
  await dailyReport(t, gas, suffix === "" ? "report.quorum.finalize10" : "report.quorum.finalize10000", {
    warmUp: 1n,
    measured: lastId,
  });
  if ((await queue.getLastFinalizedRequestId()) !== lastId) throw new Error("not finalized");

  const [aliceOlder] = await queue.getWithdrawalRequests(alice.address);
  const [bobOnly] = await queue.getWithdrawalRequests(bob.address);
  gas[`withdrawal.claim.withHint${suffix}`] = await gasOf(
    "claim",
    queue.connect(bob).claimWithdrawals([bobOnly], [await hintOf(t, bobOnly)]),
  );
  gas[`withdrawal.claim.withHint.olderOfTwo${suffix}`] = await gasOf(
    "claim older",
    queue.connect(alice).claimWithdrawals([aliceOlder], [await hintOf(t, aliceOlder)]),
  );
  const [aliceNewer] = await queue.getWithdrawalRequests(alice.address);
  gas[`withdrawal.claim.noHint${suffix}`] = await gasOf(
    "claim no hint",
    queue.connect(alice).claimWithdrawal(aliceNewer),
  );
}

/**
 * Withdrawal queue benchmarks: a queue of about 10 requests and one with 10,000 minimum-size
 * requests ahead of the measured ones; requests, finalization and claims must cost the same in both.
 * Instant redemption is measured by the main benchmark (it reads the queue's demand too).
 */
export async function withdrawalBenchmarks(gas: Gas): Promise<void> {
  await queueScenario(gas, 0, "");
  await queueScenario(gas, 10_000, ".queue10000");
  if (hre.network.name !== "hardhat") throw new Error("benchmarks run on the in-process network");
}
