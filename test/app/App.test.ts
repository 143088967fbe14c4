import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { parseEther } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { chromium, type Browser, type Page } from "playwright-core";
import {
  applySeedReport,
  buildApp,
  dailyRewards,
  deployRecorded,
  seedLocal,
  serveDirectory,
  startRpcServer,
  type RpcServer,
} from "../../app/server/dev";
import { eth } from "../../sdk/src/format";
import { checkpointHints } from "../../sdk/src/withdrawals";
import type { Tidepool } from "../../deploy/protocol";
import { installTestWallet, type TestWalletState } from "./test-wallet";

/**
 * A Chromium or Chrome binary: `CHROMIUM_PATH` if set, else the usual install locations (Debian's
 * `chromium`, which `.ci/run` installs; other Linux packages; Chrome and Chromium on macOS).
 */
const CHROMIUM_CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/snap/bin/chromium",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
];
const CHROMIUM =
  process.env.CHROMIUM_PATH ?? CHROMIUM_CANDIDATES.find((p) => fs.existsSync(p)) ?? CHROMIUM_CANDIDATES[0];
const RESULTS = path.join(__dirname, "..", "..", "test-results");
/** The wallet's account: no role, untouched by the seed (as in `npm run app`). */
const WALLET_ACCOUNT_INDEX = 20;

describe("Web app (headless Chromium, injected EIP-6963 test wallet)", function () {
  let t: Tidepool;
  let user: HardhatEthersSigner;
  let rpc: RpcServer;
  let web: RpcServer;
  let browser: Browser;
  let page: Page;
  let snapshotId: string;
  const temp: string[] = [];
  const consoleErrors: string[] = [];

  const wallet = (): Promise<TestWalletState> =>
    page.evaluate(() => (window as unknown as { __testWallet: TestWalletState }).__testWallet);

  /** Gas paid by the transactions the wallet sent after the first `from` of them. */
  async function gasSince(from: number): Promise<{ gas: bigint; count: number; hashes: string[] }> {
    const hashes = (await wallet()).sent.slice(from);
    let gas = 0n;
    for (const hash of hashes) {
      const receipt = await hre.ethers.provider.getTransactionReceipt(hash);
      expect(receipt, hash).to.not.equal(null);
      expect(receipt!.status).to.equal(1);
      gas += receipt!.gasUsed * receipt!.gasPrice;
    }
    return { gas, count: hashes.length, hashes };
  }

  async function balances() {
    const a = user.address;
    return {
      eth: await hre.ethers.provider.getBalance(a),
      shares: await t.pool.sharesOf(a),
      wtpEth: await t.wrapper.balanceOf(a),
      sent: (await wallet()).sent.length,
      block: await hre.ethers.provider.getBlockNumber(),
    };
  }

  /** Waits for the status line `id` to reach a final state and expects `state`. */
  async function settled(id: string, state: string): Promise<string> {
    const locator = page.locator(
      `#${id}:is([data-tx-state="confirmed"],[data-tx-state="failed"],[data-tx-state="invalid"],[data-tx-state="rejected"])`,
    );
    await locator.waitFor({ timeout: 30_000 });
    const text = (await locator.textContent()) ?? "";
    expect(await locator.getAttribute("data-tx-state"), text).to.equal(state);
    return text;
  }

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(
        `no Chromium found (${CHROMIUM} is missing): install Chromium or Chrome (on Debian: apt-get install -y chromium, as .ci/run does), or set CHROMIUM_PATH to its binary`,
      );
    }
    snapshotId = (await hre.network.provider.send("evm_snapshot", [])) as string;
    user = (await hre.ethers.getSigners())[WALLET_ACCOUNT_INDEX];
    // Ignition records the deployment in a temporary directory: never deploy/deployments/chain-31337.
    const ignitionDir = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-app-ignition-"));
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-app-dist-"));
    temp.push(ignitionDir, outDir);
    t = await deployRecorded(hre, ignitionDir);
    await seedLocal(hre, t);
    rpc = await startRpcServer(hre, 0);
    await buildApp({ ignitionDir, outDir });
    web = await serveDirectory(outDir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
    await page.addInitScript(installTestWallet, { rpcUrl: rpc.url, account: user.address });
    fs.mkdirSync(RESULTS, { recursive: true });
  });

  after(async function () {
    await browser?.close();
    await web?.close();
    await rpc?.close();
    for (const dir of temp) fs.rmSync(dir, { recursive: true, force: true });
    if (snapshotId !== undefined) await hre.network.provider.send("evm_revert", [snapshotId]);
  });

  it("discovers the wallet (EIP-6963), connects and shows the network, the account and the protocol", async function () {
    await page.goto(web.url);
    await page.locator('body[data-ready="true"]').waitFor();
    expect(await page.getByLabel("Network").textContent()).to.equal("Local Hardhat (31337)");
    await page.getByRole("button", { name: "Connect wallet" }).click();
    // The account pill appears once the wallet has answered; its title is the full address.
    const account = page.getByLabel("Account");
    await account.waitFor();
    expect(await account.getAttribute("title")).to.equal(user.address);
    expect(await account.textContent()).to.equal(`${user.address.slice(0, 6)}…${user.address.slice(-4)}`);
    expect(await page.locator("#stat-tvl").textContent()).to.equal(eth(await t.pool.totalPooledEther(), 6));
    expect(await page.locator("#stat-apr").textContent()).to.match(/^[0-9.]+%$/);
    // One point per seeded report, from the oracle's ReportApplied events.
    expect(await page.locator("#chart svg circle").count()).to.equal(3);
    await page.locator("#bal-eth", { hasText: / ETH$/ }).waitFor();
    await page.screenshot({ path: path.join(RESULTS, "app-desktop-connected.png"), fullPage: true });
  });

  it("adds tpETH and wtpETH to the wallet (wallet_watchAsset)", async function () {
    await page.getByRole("button", { name: "Add tpETH to wallet" }).click();
    await settled("watch-status", "confirmed");
    await page.getByRole("button", { name: "Add wtpETH to wallet" }).click();
    await settled("watch-status", "confirmed");
    const watched = (await wallet()).watched as { type: string; options: { address: string; symbol: string } }[];
    expect(watched.map((w) => [w.type, w.options.symbol, w.options.address])).to.deep.equal([
      ["ERC20", "tpETH", t.poolAddress],
      ["ERC20", "wtpETH", t.wrapperAddress],
    ]);
  });

  it("stakes ETH: the shares shown in the preview are minted, ETH spent is the amount plus gas", async function () {
    const amount = parseEther("5");
    const expectedShares = await t.pool.getSharesByPooledEth(amount);
    const before = await balances();
    await page.getByLabel("Amount to stake (ETH)").fill("5");
    await page.locator("#stake-preview", { hasText: `(${expectedShares} shares)` }).waitFor();
    await page.getByRole("button", { name: "Stake", exact: true }).click();
    const text = await settled("stake-status", "confirmed");
    expect(text).to.include(`${expectedShares} shares`);
    const after = await balances();
    const { gas, count } = await gasSince(before.sent);
    expect(count).to.equal(1);
    expect(after.shares - before.shares).to.equal(expectedShares);
    expect(before.eth - after.eth).to.equal(amount + gas);
  });

  it("wraps tpETH into wtpETH and unwraps part of it back, to the share", async function () {
    const amount = parseEther("2");
    const wrapped = await t.pool.getSharesByPooledEth(amount);
    let before = await balances();
    await page.getByLabel("Amount to wrap (tpETH)").fill("2");
    await page.getByRole("button", { name: "Wrap", exact: true }).click();
    await settled("wrap-status", "confirmed");
    let after = await balances();
    let spent = await gasSince(before.sent);
    expect(after.wtpEth - before.wtpEth).to.equal(wrapped);
    expect(before.shares - after.shares).to.equal(wrapped);
    expect(before.eth - after.eth).to.equal(spent.gas);

    before = after;
    await page.getByLabel("Unwrap wtpETH → tpETH").check();
    await page.getByLabel("Amount to unwrap (wtpETH)").fill("0.5");
    await page.getByRole("button", { name: "Unwrap", exact: true }).click();
    await settled("wrap-status", "confirmed");
    after = await balances();
    spent = await gasSince(before.sent);
    expect(before.wtpEth - after.wtpEth).to.equal(parseEther("0.5"));
    expect(after.shares - before.shares).to.equal(parseEther("0.5")); // one wtpETH is one share
    expect(before.eth - after.eth).to.equal(spent.gas);
    await page.getByLabel("Wrap tpETH → wtpETH").check();
  });

  it("requests a tpETH withdrawal with a permit: one signature, one transaction, no allowance left", async function () {
    const amount = parseEther("1.5");
    const before = await balances();
    const callsBefore = (await wallet()).calls.length;
    const idsBefore = await t.withdrawalQueue.getWithdrawalRequests(user.address);
    await page.getByLabel("Amount to withdraw (tpETH)").fill("1.5");
    expect(await page.getByLabel("Sign a permit (no separate approval transaction)").isChecked()).to.equal(true);
    await page.getByRole("button", { name: "Request withdrawal" }).click();
    const text = await settled("withdraw-status", "confirmed");
    const calls = (await wallet()).calls.slice(callsBefore);
    expect(calls.filter((m) => m === "eth_signTypedData_v4")).to.have.length(1);
    expect(calls.filter((m) => m === "eth_sendTransaction")).to.have.length(1);
    const after = await balances();
    const spent = await gasSince(before.sent);
    const ids = await t.withdrawalQueue.getWithdrawalRequests(user.address);
    expect(ids).to.have.length(idsBefore.length + 1);
    const id = ids[ids.length - 1];
    expect(text).to.include(`Request #${id} created for 1.5 ETH`);
    expect(await t.withdrawalQueue.ownerOf(id)).to.equal(user.address);
    const [status] = await t.withdrawalQueue.getWithdrawalStatus([id]);
    expect(status.amountOfEther).to.equal(amount);
    expect(before.shares - after.shares).to.equal(status.amountOfShares);
    expect(await t.pool.allowance(user.address, await t.withdrawalQueue.getAddress())).to.equal(0n);
    expect(before.eth - after.eth).to.equal(spent.gas);
  });

  it("requests a wtpETH withdrawal with an exact approval when permit is off", async function () {
    const amount = parseEther("1");
    const queue = await t.withdrawalQueue.getAddress();
    const before = await balances();
    await page.getByLabel("wtpETH", { exact: true }).check();
    await page.getByLabel("Sign a permit (no separate approval transaction)").uncheck();
    await page.getByLabel("Amount to withdraw (wtpETH)").fill("1");
    await page.getByRole("button", { name: "Request withdrawal" }).click();
    await settled("withdraw-status", "confirmed");
    const after = await balances();
    const spent = await gasSince(before.sent);
    expect(spent.count).to.equal(2);
    // The approval is for exactly the amount, never unlimited, and is used up.
    const approve = await hre.ethers.provider.getTransaction(spent.hashes[0]);
    const parsed = t.wrapper.interface.parseTransaction({ data: approve!.data });
    expect(parsed?.name).to.equal("approve");
    expect(parsed?.args[0]).to.equal(queue);
    expect(parsed?.args[1]).to.equal(amount);
    expect(await t.wrapper.allowance(user.address, queue)).to.equal(0n);
    const ids = await t.withdrawalQueue.getWithdrawalRequests(user.address);
    const id = ids[ids.length - 1];
    expect(await t.withdrawalQueue.ownerOf(id)).to.equal(user.address);
    const [status] = await t.withdrawalQueue.getWithdrawalStatus([id]);
    expect(status.amountOfShares).to.equal(amount);
    expect(before.wtpEth - after.wtpEth).to.equal(amount);
    expect(after.shares).to.equal(before.shares);
    expect(before.eth - after.eth).to.equal(spent.gas);
    await page.getByLabel("tpETH", { exact: true }).check();
    await page.getByLabel("Sign a permit (no separate approval transaction)").check();
  });

  it("lists the requests, and claims them with hints once a report finalizes them", async function () {
    const rows = page.locator("#requests tbody tr");
    expect(await rows.count()).to.equal(2);
    expect(await page.locator("#requests tbody", { hasText: "Waiting for finalization" }).count()).to.equal(1);
    // The committee's report (sdk/src/report.ts) finalizes everything queued.
    await applySeedReport(hre, t, {
      elRewardsWei: dailyRewards(await t.pool.totalPooledEther()),
      lastRequestIdToFinalize: await t.withdrawalQueue.getLastRequestId(),
    });
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor();
    await page
      .getByRole("button", { name: /^Claim request #/ })
      .first()
      .waitFor();
    expect(await page.getByRole("button", { name: /^Claim request #/ }).count()).to.equal(2);
    expect(await page.locator("#chart svg circle").count()).to.equal(4);

    const ids = [...(await t.withdrawalQueue.getWithdrawalRequests(user.address))];
    const hints = await checkpointHints(t.withdrawalQueue, ids);
    const claimable = (await t.withdrawalQueue.getClaimableEther(ids, hints)).reduce((a, b) => a + b, 0n);
    expect(claimable > 0n).to.equal(true);
    const before = await balances();
    await page.getByRole("button", { name: "Claim all ready" }).click();
    const text = await settled("claim-status", "confirmed");
    expect(text).to.include(eth(claimable, 6));
    const after = await balances();
    const spent = await gasSince(before.sent);
    expect(spent.count).to.equal(1);
    expect(after.eth - before.eth).to.equal(claimable - spent.gas);
    for (const s of await t.withdrawalQueue.getWithdrawalStatus(ids)) expect(s.isClaimed).to.equal(true);
    expect(await page.locator("#requests tbody td.status-claimed").count()).to.equal(2);
  });

  it("redeems instantly: the fee is shown before signing and the ETH received matches it to the wei", async function () {
    const amount = parseEther("1");
    const [ethOut, fee] = await t.pool.previewInstantRedeem(amount);
    expect(fee > 0n).to.equal(true);
    const before = await balances();
    await page.getByLabel("Amount to redeem (tpETH)").fill("1");
    await page.locator("#instant-preview", { hasText: `fee ${eth(fee, 6)}` }).waitFor();
    expect(await page.locator("#instant-preview").textContent()).to.include(`You receive ${eth(ethOut, 6)}`);
    await page.getByRole("button", { name: "Redeem instantly" }).click();
    await settled("instant-status", "confirmed");
    const after = await balances();
    const spent = await gasSince(before.sent);
    expect(spent.count).to.equal(1);
    const [log] = await t.pool.queryFilter(t.pool.filters.InstantRedeemed(user.address), after.block, after.block);
    expect(log.args.ethOut).to.equal(ethOut);
    expect(log.args.fee).to.equal(fee);
    expect(after.eth - before.eth).to.equal(ethOut - spent.gas);
    expect(before.shares - after.shares).to.equal(log.args.shares);
  });

  it("refuses an amount above the balance before anything is sent", async function () {
    const before = await balances();
    const callsBefore = (await wallet()).calls.length;
    await page.getByLabel("Amount to stake (ETH)").fill("1000000");
    await page.getByRole("button", { name: "Stake", exact: true }).click();
    expect(await settled("stake-status", "invalid")).to.include("is more than your ETH balance");
    await page.getByLabel("Amount to withdraw (tpETH)").fill("999");
    await page.getByRole("button", { name: "Request withdrawal" }).click();
    expect(await settled("withdraw-status", "invalid")).to.include("is more than your tpETH balance");
    const calls = (await wallet()).calls.slice(callsBefore);
    expect(calls).to.not.include("eth_sendTransaction");
    expect(calls).to.not.include("eth_estimateGas");
    expect(calls).to.not.include("eth_signTypedData_v4");
    expect(await balances()).to.deep.equal(before);
  });

  it("shows a rejected signature as rejected, and nothing changes", async function () {
    const before = await balances();
    await page.evaluate(() => {
      (window as unknown as { __testWallet: TestWalletState }).__testWallet.rejectNext = true;
    });
    await page.getByLabel("Amount to stake (ETH)").fill("1");
    await page.getByRole("button", { name: "Stake", exact: true }).click();
    expect(await settled("stake-status", "rejected")).to.include("You rejected the request in your wallet");
    // A rejected permit signature: the same, before any transaction.
    await page.evaluate(() => {
      (window as unknown as { __testWallet: TestWalletState }).__testWallet.rejectNext = true;
    });
    await page.getByLabel("Amount to withdraw (tpETH)").fill("0.5");
    await page.getByRole("button", { name: "Request withdrawal" }).click();
    expect(await settled("withdraw-status", "rejected")).to.include("nothing was sent");
    expect(await balances()).to.deep.equal(before);
  });

  it("shows a revert's custom error in words (instant redemption paused)", async function () {
    const capability = await t.pool.CAPABILITY_INSTANT_REDEEM();
    await (await t.pool.connect(t.pauser).pause(capability)).wait();
    const before = await balances();
    // Within every limit the page checks (balance, liquidity, today's cap): only the pause is left.
    const [, , , remainingInFrame] = await t.pool.getInstantRedeemParams();
    await page.getByLabel("Amount to redeem (tpETH)").fill(eth(remainingInFrame / 2n, 18, ""));
    await page.getByRole("button", { name: "Redeem instantly" }).click();
    const text = await settled("instant-status", "failed");
    expect(text).to.equal(
      "Failed: Instant redemption is paused right now. You can still request a withdrawal. (InstantRedeemPaused)",
    );
    expect(await balances()).to.deep.equal(before);
    await (await t.pool.connect(t.admin).resume(capability)).wait();
  });

  it("fits a 390-px phone screen and a desktop, with screenshots and no console errors", async function () {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: path.join(RESULTS, "app-desktop.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor();
    await page.getByLabel("Account").waitFor();
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, document.body.scrollWidth]);
    expect(widths[0]).to.be.at.most(390);
    expect(widths[1]).to.be.at.most(390);
    await page.screenshot({ path: path.join(RESULTS, "app-phone.png"), fullPage: true });
    expect(consoleErrors).to.deep.equal([]);
  });
});
