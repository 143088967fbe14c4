import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, parseEther } from "ethers";
import { duration, eth, ethAtMost } from "../../sdk/src/format";
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

/** What a preview says of a new request that the buffer covers: the next frame's report, to the minute. */
async function nextReportWait(f: WithdrawalFixture): Promise<string> {
  // The fixture's frame has its report: the next is the next frame's, due one slot after its reference slot.
  const [refSlot] = await f.oracle.getCurrentFrame();
  const [genesisTime, epochsPerFrame] = await f.oracle.getFrameConfig();
  const due = genesisTime + (refSlot + epochsPerFrame * 32n + 1n) * 12n;
  const seconds = due - BigInt((await hre.ethers.provider.getBlock("latest"))!.timestamp);
  expect(seconds).to.be.gt(3600n);
  return `the next oracle report, in ~${duration(seconds - (seconds % 60n))}`;
}

/** The line request-withdrawal prints after the preview. */
const requestLine = (id: bigint, ether: string, owner: string, locked = ""): string =>
  `Request #${id}: ${ether} for ${owner}${locked}; no fee: up to that much ETH to claim once a report finalizes it (less only if the protocol realises a loss first).`;

describe("Withdrawal tasks", function () {
  it("request-withdrawal previews (no fee, the expected wait), then requests with a permit: one transaction, nothing left approved", async function () {
    const f = await loadFixture(deployed);
    const me = f.admin.address;
    const shares = await f.pool.getSharesByPooledEthRoundUp(parseEther("1.5"));
    const sharesBefore = await f.pool.sharesOf(me);
    const wait = await nextReportWait(f);
    const block = await hre.ethers.provider.getBlockNumber();
    const out = await runTask("request-withdrawal", { amount: "1.5", pool: f.poolAddress });
    const lines = out.split("\n");
    expect(lines.slice(0, 2)).to.deep.equal([
      `Withdrawal request of 1.5 tpETH from ${me}: no fee; expected wait: ${wait}.`,
      requestLine(1n, "1.5 ETH", me),
    ]);
    expect(await f.pool.sharesOf(me)).to.equal(sharesBefore - shares);
    expect(await f.pool.allowance(me, f.queueAddress)).to.equal(0n);
    expect(await hre.ethers.provider.getBlockNumber()).to.equal(block + 1); // no approval
    const tx = await hre.ethers.provider.getTransaction(/^tx (0x[0-9a-f]{64})$/.exec(lines[2])?.[1] ?? "");
    expect(tx?.data.slice(0, 10)).to.equal(f.queue.interface.getFunction("requestWithdrawalsWithPermit").selector);
    const [status] = await f.queue.getWithdrawalStatus([1n]);
    expect([status.amountOfEther, status.amountOfShares, status.owner]).to.deep.equal([parseEther("1.5"), shares, me]);
  });

  it("request-withdrawal --wrapped withdraws wtpETH; --owner gives the request to someone else", async function () {
    const f = await loadFixture(deployed);
    const [alice] = f.holders;
    const wtpBefore = await f.wrapper.balanceOf(f.admin.address);
    const value = await f.pool.getPooledEthByShares(parseEther("0.5"));
    const wait = await nextReportWait(f);
    const out = await runTask("request-withdrawal", {
      amount: "0.5",
      wrapped: true,
      owner: alice.address,
      raw: true,
      pool: f.poolAddress,
    });
    expect(out.split("\n").slice(0, 2)).to.deep.equal([
      `Withdrawal request of 0.5 wtpETH (worth ${eth(value)}) from ${f.admin.address}: no fee; expected wait: ${wait}.`,
      requestLine(1n, eth(value), alice.address, ` (${parseEther("0.5")} shares locked)`),
    ]);
    expect(await f.wrapper.balanceOf(f.admin.address)).to.equal(wtpBefore - parseEther("0.5"));
    expect([...(await f.queue.getWithdrawalRequests(alice.address))]).to.deep.equal([1n]);
  });

  it("request-withdrawal refuses --owner 0x0 (the zero address in any form) rather than giving the request to the signer", async function () {
    const f = await loadFixture(deployed);
    const block = await hre.ethers.provider.getBlockNumber();
    for (const owner of ["0x0", "0", ZeroAddress, "0x" + "0".repeat(40).toUpperCase()]) {
      expect(await taskError("request-withdrawal", { amount: "1", owner, pool: f.poolAddress })).to.equal(
        "--owner cannot be the zero address: leave --owner out to own the request yourself",
      );
    }
    expect(await f.queue.getLastRequestId()).to.equal(0n);
    expect(await hre.ethers.provider.getBlockNumber()).to.equal(block); // no approval either
  });

  it("request-withdrawal and claim-withdrawals sign with --from", async function () {
    const f = await loadFixture(deployed);
    const [alice] = f.holders; // account 9, 20 tpETH
    const before = await f.pool.sharesOf(alice.address);
    const out = await runTask("request-withdrawal", { amount: "2", from: alice.address, pool: f.poolAddress });
    expect(out.split("\n")[1]).to.equal(requestLine(1n, "2 ETH", alice.address));
    expect(before - (await f.pool.sharesOf(alice.address))).to.equal(
      await f.pool.getSharesByPooledEthRoundUp(parseEther("2")),
    );
    expect([...(await f.queue.getWithdrawalRequests(alice.address))]).to.deep.equal([1n]);
    expect(await runTask("claim-withdrawals", { from: "9", pool: f.poolAddress })).to.equal(
      `Nothing to claim: ${alice.address} has no finalized withdrawal request (1 pending: see npx hardhat withdrawals).`,
    );
    await f.finalize(1n);
    const [claimable] = await f.queue.getClaimableEther([1n], [1n]);
    const ethBefore = await hre.ethers.provider.getBalance(alice.address);
    const claimed = await runTask("claim-withdrawals", { from: "9", pool: f.poolAddress });
    expect(claimed.split("\n")[0]).to.equal(`Claimed #1: ${eth(claimable)} sent to ${alice.address}`);
    const receipt = await hre.ethers.provider.getTransactionReceipt(/tx (0x[0-9a-f]{64})/.exec(claimed)?.[1] ?? "");
    if (!receipt) throw new Error("no receipt");
    expect(await hre.ethers.provider.getBalance(alice.address)).to.equal(
      ethBefore + claimable - receipt.gasUsed * receipt.gasPrice,
    );
    const listed = await runTask("withdrawals", { from: "9", pool: f.poolAddress });
    expect(listed).to.equal(`${alice.address} has no unclaimed withdrawal requests.`);
  });

  it("withdrawals lists pending requests, then finalized ones with their claimable ETH", async function () {
    const f = await loadFixture(deployed);
    expect(await runTask("withdrawals", { pool: f.poolAddress })).to.equal(
      `${f.admin.address} has no unclaimed withdrawal requests.`,
    );
    await runTask("request-withdrawal", { amount: "1", pool: f.poolAddress });
    await runTask("request-withdrawal", { amount: "2", pool: f.poolAddress });
    const pending = await runTask("withdrawals", { pool: f.poolAddress });
    expect(pending).to.include("| #1 | 1 ETH | pending | 0 ETH |");
    expect(pending).to.include("| #2 | 2 ETH | pending | 0 ETH |");
    await f.finalize(1n);
    const listed = await runTask("withdrawals", { pool: f.poolAddress });
    const [claimable] = await f.queue.getClaimableEther([1n], [1n]);
    expect(listed).to.include(`| #1 | 1 ETH | claimable | ${eth(claimable)} |`);
    expect(listed).to.include("| #2 | 2 ETH | pending | 0 ETH |");
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
    expect(out.split("\n")[0]).to.equal(`Claimed #1, #2: ${eth(total)} sent to ${f.admin.address}`);
    const hash = /tx (0x[0-9a-f]{64})/.exec(out)?.[1];
    const receipt = await hre.ethers.provider.getTransactionReceipt(hash ?? "");
    if (!receipt) throw new Error("no receipt");
    expect(await hre.ethers.provider.getBalance(f.admin.address)).to.equal(
      before + total - receipt.gasUsed * receipt.gasPrice,
    );
    expect([...(await f.queue.getWithdrawalRequests(f.admin.address))]).to.deep.equal([3n]);
    // Nothing left to claim is not a failure: a sentence, no error.
    expect(await runTask("claim-withdrawals", { pool: f.poolAddress })).to.equal(
      `Nothing to claim: ${f.admin.address} has no finalized withdrawal request (1 pending: see npx hardhat withdrawals).`,
    );
  });

  it("claim-withdrawals --ids --recipient pays the named recipient", async function () {
    const f = await loadFixture(deployed);
    const [alice] = f.holders;
    await runTask("request-withdrawal", { amount: "1.25", pool: f.poolAddress });
    await f.finalize(1n);
    const before = await hre.ethers.provider.getBalance(alice.address);
    const out = await runTask("claim-withdrawals", { ids: "1", recipient: alice.address, pool: f.poolAddress });
    expect(out.split("\n")[0]).to.equal(`Claimed #1: 1.25 ETH sent to ${alice.address}`);
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
      `${f.admin.address} holds ${ethAtMost(await f.pool.balanceOf(f.admin.address), 6, "tpETH")}, less than the 1001 tpETH to withdraw.`,
    );
    expect(await taskError("request-withdrawal", { amount: "2.5", wrapped: true, pool: f.poolAddress })).to.equal(
      `${f.admin.address} holds 2 wtpETH, less than the 2.5 wtpETH to withdraw.`,
    );
    expect(await taskError("request-withdrawal", { amount: "0.00000000000000005", pool: f.poolAddress })).to.equal(
      "A withdrawal request must be worth at least 0.0000000000000001 ETH; this one is 0.00000000000000005 ETH. (RequestAmountTooSmall)",
    );
    expect(await taskError("claim-withdrawals", { ids: "1,x", pool: f.poolAddress })).to.equal(
      '--ids must be a comma-separated list of request ids (positive integers), got "1,x"',
    );
    expect(await taskError("claim-withdrawals", { ids: "1", pool: f.poolAddress })).to.equal(
      "Withdrawal request #1 is not ready to claim yet. (RequestNotFinalized)",
    );
    expect(await taskError("claim-withdrawals", { ids: "9", pool: f.poolAddress })).to.equal(
      "Withdrawal request #9 does not exist. (UnknownRequest)",
    );
    expect(await taskError("claim-withdrawals", { recipient: "0x0", pool: f.poolAddress })).to.equal(
      "--recipient cannot be the zero address: leave --recipient out to receive the ETH yourself",
    );
    expect(await taskError("withdrawals", { account: "0x00", pool: f.poolAddress })).to.equal(
      "--account cannot be the zero address",
    );
    // Every refusal came before anything was sent: no approval, request or claim was mined.
    expect(await f.queue.getLastRequestId()).to.equal(1n);
    expect(await hre.ethers.provider.getBlockNumber()).to.equal(block);
  });

  it("parseIds reads comma-separated positive ids", function () {
    expect(parseIds("1, 2,10")).to.deep.equal([1n, 2n, 10n]);
  });
});
