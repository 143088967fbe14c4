import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, parseEther } from "ethers";
import { eth } from "../../sdk/src/format";
import { parseIds } from "../../tasks/withdrawals";
import { runTask, taskError } from "../helpers/tasks";
import { deployWithQueue, type WithdrawalFixture } from "../helpers/withdrawal-fixtures";

/** deployWithQueue, and the tasks' signer (account 0, the admin) holding 10 tpETH and 2 wtpETH. */
async function deployed(): Promise<WithdrawalFixture> {
  const f = await loadFixture(deployWithQueue);
  await (await f.pool.connect(f.admin).stake(ZeroAddress, { value: parseEther("12") })).wait();
  await (await f.wrapper.connect(f.admin).wrap(parseEther("2"))).wait();
  return f;
}

describe("Withdrawal tasks", function () {
  it("request-withdrawal approves exactly what is missing, requests, and prints the request", async function () {
    const f = await loadFixture(deployed);
    const me = f.admin.address;
    const shares = await f.pool.getSharesByPooledEthRoundUp(parseEther("1.5"));
    const sharesBefore = await f.pool.sharesOf(me);
    const out = await runTask("request-withdrawal", { amount: "1.5", pool: f.poolAddress });
    expect(out).to.include(`Request #1: ${eth(parseEther("1.5"), 18)} for ${me} (${shares} shares locked)`);
    expect(await f.pool.sharesOf(me)).to.equal(sharesBefore - shares);
    expect(await f.pool.allowance(me, f.queueAddress)).to.equal(0n);
    const [status] = await f.queue.getWithdrawalStatus([1n]);
    expect([status.amountOfEther, status.amountOfShares, status.owner]).to.deep.equal([parseEther("1.5"), shares, me]);
  });

  it("request-withdrawal --wrapped withdraws wtpETH; --owner gives the request to someone else", async function () {
    const f = await loadFixture(deployed);
    const [alice] = f.holders;
    const wtpBefore = await f.wrapper.balanceOf(f.admin.address);
    const value = await f.pool.getPooledEthByShares(parseEther("0.5"));
    const out = await runTask("request-withdrawal", {
      amount: "0.5",
      wrapped: true,
      owner: alice.address,
      pool: f.poolAddress,
    });
    expect(out).to.include(`Request #1: ${eth(value, 18)} for ${alice.address} (${parseEther("0.5")} shares locked)`);
    expect(await f.wrapper.balanceOf(f.admin.address)).to.equal(wtpBefore - parseEther("0.5"));
    expect([...(await f.queue.getWithdrawalRequests(alice.address))]).to.deep.equal([1n]);
  });

  it("withdrawals lists pending requests, then finalized ones with their claimable ETH", async function () {
    const f = await loadFixture(deployed);
    expect(await runTask("withdrawals", { pool: f.poolAddress })).to.equal(
      `${f.admin.address} has no unclaimed withdrawal requests.`,
    );
    await runTask("request-withdrawal", { amount: "1", pool: f.poolAddress });
    await runTask("request-withdrawal", { amount: "2", pool: f.poolAddress });
    const pending = await runTask("withdrawals", { pool: f.poolAddress });
    expect(pending).to.match(/#1 \| 1(\.0+)? ETH \| pending \| 0(\.0+)? ETH/);
    expect(pending).to.match(/#2 \| 2(\.0+)? ETH \| pending/);
    await f.finalize(1n);
    const listed = await runTask("withdrawals", { pool: f.poolAddress });
    const [claimable] = await f.queue.getClaimableEther([1n], [1n]);
    expect(listed).to.include(`| #1 | ${eth(parseEther("1"), 18)} | finalized | ${eth(claimable, 18)} |`);
    expect(listed).to.include(`| #2 | ${eth(parseEther("2"), 18)} | pending | ${eth(0n, 18)} |`);
  });

  it("claim-withdrawals claims every finalized request of the signer with hints found for it, exactly once", async function () {
    const f = await loadFixture(deployed);
    for (const amount of ["1", "2", "3"]) await runTask("request-withdrawal", { amount, pool: f.poolAddress });
    await f.finalize(1n);
    await f.finalize(2n); // two checkpoints: the hints differ
    const claimable = await f.queue.getClaimableEther([1n, 2n], [1n, 2n]);
    const before = await hre.ethers.provider.getBalance(f.admin.address);
    const out = await runTask("claim-withdrawals", { pool: f.poolAddress });
    const total = claimable[0] + claimable[1];
    expect(out).to.include(`Claimed #1, #2: ${eth(total, 18)} sent to ${f.admin.address}`);
    const hash = /tx (0x[0-9a-f]{64})/.exec(out)?.[1];
    const receipt = await hre.ethers.provider.getTransactionReceipt(hash ?? "");
    if (!receipt) throw new Error("no receipt");
    expect(await hre.ethers.provider.getBalance(f.admin.address)).to.equal(
      before + total - receipt.gasUsed * receipt.gasPrice,
    );
    expect([...(await f.queue.getWithdrawalRequests(f.admin.address))]).to.deep.equal([3n]);
    expect(await taskError("claim-withdrawals", { pool: f.poolAddress })).to.equal(
      `${f.admin.address} has no finalized request to claim`,
    );
  });

  it("claim-withdrawals --ids --recipient pays the named recipient", async function () {
    const f = await loadFixture(deployed);
    const [alice] = f.holders;
    await runTask("request-withdrawal", { amount: "1.25", pool: f.poolAddress });
    await f.finalize(1n);
    const before = await hre.ethers.provider.getBalance(alice.address);
    const out = await runTask("claim-withdrawals", { ids: "1", recipient: alice.address, pool: f.poolAddress });
    expect(out).to.include(`Claimed #1: ${eth(parseEther("1.25"), 18)} sent to ${alice.address}`);
    expect(await hre.ethers.provider.getBalance(alice.address)).to.equal(before + parseEther("1.25"));
  });

  it("turns bad arguments and reverts into one-line errors, changing nothing", async function () {
    const f = await loadFixture(deployed);
    await runTask("request-withdrawal", { amount: "1", pool: f.poolAddress });
    const block = await hre.ethers.provider.getBlockNumber();
    expect(await taskError("request-withdrawal", { amount: "0", pool: f.poolAddress })).to.equal(
      '--amount must be greater than zero, got "0"',
    );
    expect(await taskError("request-withdrawal", { amount: "1", owner: "bob", pool: f.poolAddress })).to.equal(
      '--owner is not a valid address: "bob"',
    );
    expect(await taskError("request-withdrawal", { amount: "1001", pool: f.poolAddress })).to.equal(
      `--amount ${eth(parseEther("1001"), 18, "tpETH")} is more than the balance, ${eth(await f.pool.balanceOf(f.admin.address), 18, "tpETH")}`,
    );
    expect(await taskError("request-withdrawal", { amount: "0.00000000000000005", pool: f.poolAddress })).to.equal(
      "request reverted: RequestAmountTooSmall(50, 100)",
    );
    expect(await taskError("claim-withdrawals", { ids: "1,x", pool: f.poolAddress })).to.equal(
      '--ids must be a comma-separated list of request ids (positive integers), got "1,x"',
    );
    expect(await taskError("claim-withdrawals", { ids: "1", pool: f.poolAddress })).to.equal(
      "claim reverted: RequestNotFinalized(1)",
    );
    expect(await taskError("claim-withdrawals", { ids: "9", pool: f.poolAddress })).to.equal(
      "claim reverted: UnknownRequest(9)",
    );
    // Only the approval of the too-small request was mined; no request or claim went through.
    expect(await f.queue.getLastRequestId()).to.equal(1n);
    expect(await hre.ethers.provider.getBlockNumber()).to.equal(block + 1);
  });

  it("parseIds reads comma-separated positive ids", function () {
    expect(parseIds("1, 2,10")).to.deep.equal([1n, 2n, 10n]);
  });
});
