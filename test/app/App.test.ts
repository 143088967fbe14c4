import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { ZeroAddress, parseEther, toQuantity } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import {
  applySeedReport,
  buildApp,
  dailyRewards,
  deployRecorded,
  pushLocalRate,
  seedLocal,
  serveDirectory,
  startRpcServer,
  type RpcServer,
} from "../../app/server/dev";
import { LOCAL_L2_CHAIN_ID, deployLocalBridge, type LocalBridge } from "../../deploy/local-bridge";
import { startAnvil, type AnvilNode } from "../../offchain/anvil";
import { duration, eth, percentBP } from "../../sdk/src/format";
import { oftSendParam, peerBytes32 } from "../../sdk/src/bridge";
import { frameTiming } from "../../sdk/src/report";
import { readProtocolStatus, shareRateText } from "../../sdk/src/status";
import { checkpointHints, expectedWait } from "../../sdk/src/withdrawals";
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
/** The account of the wallet that starts on the wrong chain: no role, untouched by the seed either. */
const OTHER_ACCOUNT_INDEX = 21;
/** The node's chain (Hardhat's 31337) and the one the other wallet starts on (Ethereum). */
const NODE_CHAIN = "0x7a69";
const WRONG_CHAIN = "0x1";
/** The bridge's local L2 (31339), which the wallet of `page` has a node for too. */
const L2_CHAIN_HEX = "0x7a6b";
/** The two screens the first screen must work on. */
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** What the page says without a wallet when staking. */
const NO_WALLET = "No wallet found. Install a browser wallet (any EIP-6963 wallet, e.g. MetaMask) and reload.";

/** "1234.5 ETH" → "1,234.5 ETH", as the page groups thousands. */
function grouped(text: string): string {
  const [num, unit] = text.split(" ");
  const [whole, frac] = num.split(".");
  return `${whole.replace(/\B(?=(\d{3})+$)/g, ",")}${frac === undefined ? "" : `.${frac}`} ${unit}`;
}
/** The most that can be done, as the page shows it: rounded down to 6 decimals (never more than can be done). */
const floor6 = (wei: bigint, unit: string): string => grouped(eth(wei - (wei % 10n ** 12n), 6, unit));

/** LayerZero's SendParam of a plain send of `amount` wtpETH to `recipient` on the local L2. */
const bridgeParam = (recipient: string, amount: bigint) => oftSendParam(LOCAL_L2_CHAIN_ID, recipient, amount);

/** A status line's colour, as the browser paints it. */
const colorOf = (page: Page, selector: string): Promise<string> =>
  page.locator(selector).evaluate((el) => getComputedStyle(el).color);
/** The colours of style.css: muted text and failures. */
const MUTED = "rgb(91, 107, 128)";
const BAD = "rgb(180, 35, 24)";

describe("Web app (headless Chromium, injected EIP-6963 test wallet)", function () {
  let t: Tidepool;
  let user: HardhatEthersSigner;
  let rpc: RpcServer;
  let web: RpcServer;
  /** The bridge's local L2 (Anvil) and the bridge to it, deployed and recorded like `npm run app`'s. */
  let l2: AnvilNode;
  let bridge: LocalBridge;
  let browser: Browser;
  let page: Page;
  let snapshotId: string;
  const temp: string[] = [];
  const consoleErrors: string[] = [];

  const wallet = (on: Page = page): Promise<TestWalletState> =>
    on.evaluate(() => (window as unknown as { __testWallet: TestWalletState }).__testWallet);

  /** A new browser context (its own storage) with a page that reports console errors. */
  async function newPage(viewport: {
    width: number;
    height: number;
  }): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport });
    const opened = await context.newPage();
    opened.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    opened.on("pageerror", (error) => consoleErrors.push(error.message));
    return { context, page: opened };
  }

  /** The figures the page shows, as the chain has them now. */
  async function expectedFigures() {
    const status = await readProtocolStatus({ pool: t.pool, oracle: t.oracle, withdrawalQueue: t.withdrawalQueue });
    const timing = await frameTiming(t.oracle);
    const [currentRefSlot] = await t.oracle.getCurrentFrame();
    const block = await hre.ethers.provider.getBlock("latest");
    const wait = expectedWait({
      unfinalizedEther: status.unfinalizedEther,
      bufferedEther: status.bufferedEther,
      amount: 0n,
      bunkerMode: status.bunkerMode,
      timing,
      currentRefSlot,
      lastProcessedRefSlot: await t.oracle.getLastProcessedRefSlot(),
      now: BigInt(block!.timestamp),
    });
    expect(wait.reason).to.equal("next-report");
    const seconds = wait.seconds!;
    const waiting = status.lastRequestId - status.lastFinalizedRequestId;
    return {
      status,
      tvl: eth(status.totalEther, 6),
      rate: `${shareRateText(status.totalEther, status.totalShares, 9)} ETH per share`,
      apr: percentBP(status.aprBP),
      queue: `${waiting} request${waiting === 1n ? "" : "s"} · ${eth(status.unfinalizedEther, 6)} waiting`,
      wait: `the next oracle report, in ~${duration(seconds - (seconds % 60n))}`,
      redeemable: floor6(status.redeemableNow, "tpETH"),
      reports: (await t.oracle.queryFilter(t.oracle.filters.ReportApplied(), 0)).length,
    };
  }

  /** Expects the protocol's figures on `on`, as the chain has them. */
  async function expectFigures(on: Page): Promise<void> {
    const f = await expectedFigures();
    expect(f.status.hasReport).to.equal(true);
    await on.locator("#stat-tvl", { hasText: f.tvl }).waitFor();
    expect(await on.locator("#stat-tvl").textContent()).to.equal(f.tvl);
    expect(await on.locator("#stat-apr").textContent()).to.equal(f.apr);
    expect(await on.locator("#stat-rate").textContent()).to.equal(f.rate);
    expect(await on.locator("#stat-queue").textContent()).to.equal(f.queue);
    expect(await on.locator("#stat-wait").textContent()).to.equal(f.wait);
    expect(await on.locator("#stat-redeemable").textContent()).to.equal(f.redeemable);
    // One point per report applied, from the oracle's ReportApplied events.
    await on.locator("#chart svg").waitFor();
    expect(await on.locator("#chart svg circle").count()).to.equal(f.reports);
  }

  /** Expects the amount input and the Stake button of the stake form within the first screen (no scrolling). */
  async function expectStakeOnFirstScreen(on: Page, viewport: { width: number; height: number }): Promise<void> {
    await on.evaluate(() => window.scrollTo(0, 0));
    expect(await on.evaluate(() => window.scrollY)).to.equal(0);
    for (const locator of [
      on.getByLabel("Amount to stake (ETH)"),
      on.getByRole("button", { name: "Stake", exact: true }),
    ]) {
      const box = await locator.boundingBox();
      expect(box).to.not.equal(null);
      expect(box!.y).to.be.at.least(0);
      expect(box!.x).to.be.at.least(0);
      expect(box!.x + box!.width).to.be.at.most(viewport.width);
      expect(box!.y + box!.height).to.be.at.most(viewport.height);
    }
  }

  /**
   * Expects the chart's labels at 11 CSS pixels or more, the chart within the screen's width and at
   * least `minWidth` wide.
   */
  async function expectReadableChart(on: Page, viewportWidth: number, minWidth: number): Promise<void> {
    const chart = await on.evaluate(() => {
      const svg = document.querySelector<SVGSVGElement>("#chart svg")!;
      const scale = svg.getScreenCTM()!.a;
      const box = svg.getBoundingClientRect();
      const sizes = [...svg.querySelectorAll("text")].map((t) => Number(t.getAttribute("font-size")) * scale);
      return { left: box.left, right: box.right, width: box.width, sizes };
    });
    expect(chart.sizes).to.have.length(5); // three rates, two dates
    for (const px of chart.sizes) expect(px).to.be.at.least(11);
    expect(chart.left).to.be.at.least(0);
    expect(chart.right).to.be.at.most(viewportWidth);
    expect(chart.width).to.be.at.least(minWidth); // it uses the width it has
  }

  /** Holders read amounts in ETH and tokens: no wei, no raw share counts. */
  async function expectPlainWords(on: Page): Promise<void> {
    const text = await on.evaluate(() => document.body.innerText);
    expect(text).to.not.match(/\bwei\b/i);
    expect(text).to.not.match(/\d\s*shares?\b/i);
  }

  /** Stakes `value` ETH from the first screen of `on` and checks the result to the wei. */
  async function stakeFromFirstScreen(on: Page, holder: HardhatEthersSigner, value: string): Promise<void> {
    const amount = parseEther(value);
    const expectedShares = await t.pool.getSharesByPooledEth(amount);
    const tpEth = await t.pool.getPooledEthByShares(expectedShares);
    const ethBefore = await hre.ethers.provider.getBalance(holder.address);
    const sharesBefore = await t.pool.sharesOf(holder.address);
    const sentBefore = (await wallet(on)).sent.length;
    await on.getByLabel("Amount to stake (ETH)").fill(value);
    const preview = on.locator(`#stake-preview[data-shares="${expectedShares}"]`);
    await preview.waitFor();
    expect(await preview.textContent()).to.satisfy((text: string) =>
      text.startsWith(`You will receive ${eth(tpEth, 6, "tpETH")}. `),
    );
    await on.getByRole("button", { name: "Stake", exact: true }).click();
    const text = await settled("stake-status", "confirmed", on);
    expect(text).to.include(`Staked ${value} ETH: received ${eth(tpEth, 6, "tpETH")}.`);
    const hashes = (await wallet(on)).sent.slice(sentBefore);
    expect(hashes).to.have.length(1);
    const receipt = await hre.ethers.provider.getTransactionReceipt(hashes[0]);
    expect(receipt!.status).to.equal(1);
    expect(receipt!.from).to.equal(holder.address);
    expect((await t.pool.sharesOf(holder.address)) - sharesBefore).to.equal(expectedShares);
    expect(ethBefore - (await hre.ethers.provider.getBalance(holder.address))).to.equal(
      amount + receipt!.gasUsed * receipt!.gasPrice,
    );
  }

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
  async function settled(id: string, state: string, on: Page = page): Promise<string> {
    const locator = on.locator(
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
    l2 = await startAnvil({ chainId: LOCAL_L2_CHAIN_ID });
    bridge = await deployLocalBridge(hre, t, l2, { ignitionDir });
    await pushLocalRate(bridge);
    // Each node is its chain's read RPC: the page reads through them without a wallet.
    await buildApp({ ignitionDir, outDir, rpcUrls: { "31337": rpc.url, [String(LOCAL_L2_CHAIN_ID)]: l2.url } });
    web = await serveDirectory(outDir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    page = await browser.newPage({ viewport: DESKTOP });
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
    await page.addInitScript(installTestWallet, {
      rpcUrl: rpc.url,
      account: user.address,
      nodeChainId: NODE_CHAIN,
      nodes: { [L2_CHAIN_HEX]: l2.url },
    });
    fs.mkdirSync(RESULTS, { recursive: true });
  });

  after(async function () {
    await browser?.close();
    await web?.close();
    await rpc?.close();
    await l2?.stop();
    for (const dir of temp) fs.rmSync(dir, { recursive: true, force: true });
    if (snapshotId !== undefined) await hre.network.provider.send("evm_revert", [snapshotId]);
  });

  it("shows the protocol without a wallet, read-only: every figure and the chart, and the stake form on the first screen", async function () {
    const { context, page: bare } = await newPage(DESKTOP);
    try {
      await bare.goto(web.url);
      await bare.locator('body[data-ready="true"]').waitFor();
      expect(await bare.getByLabel("Network").textContent()).to.equal("Local Hardhat (31337) · read-only");
      expect(await bare.locator("#notice-text").textContent()).to.equal(
        "No wallet found: the figures are read from Local Hardhat (31337). To stake, install a browser wallet (any EIP-6963 wallet, e.g. MetaMask) and reload.",
      );
      await expectFigures(bare);
      expect(await bare.locator("#chart").getAttribute("aria-label")).to.match(
        /^Share rate after each of 3 oracle reports, latest [0-9.]+ ETH per share$/,
      );
      await expectStakeOnFirstScreen(bare, DESKTOP);
      // The preview works read-only; staking needs a wallet and says so (nothing to send it with).
      const shares = await t.pool.getSharesByPooledEth(parseEther("1"));
      await bare.getByLabel("Amount to stake (ETH)").fill("1");
      await bare.locator(`#stake-preview[data-shares="${shares}"]`).waitFor();
      await bare.getByRole("button", { name: "Stake", exact: true }).click();
      expect(await settled("stake-status", "invalid", bare)).to.equal(NO_WALLET);
      expect(await bare.locator("#bal-eth").textContent()).to.equal("–");
      await expectPlainWords(bare);
      await bare.screenshot({ path: path.join(RESULTS, "app-desktop-no-wallet.png") });
    } finally {
      await context.close();
    }
  });

  it("on the wrong chain, reads through the read-only provider, switches the wallet (EIP-3326, EIP-3085) and stakes from a phone's first screen", async function () {
    const other = (await hre.ethers.getSigners())[OTHER_ACCOUNT_INDEX];
    const { context, page: phone } = await newPage(PHONE);
    try {
      await context.addInitScript(installTestWallet, {
        rpcUrl: rpc.url,
        account: other.address,
        nodeChainId: NODE_CHAIN,
        chainId: WRONG_CHAIN,
      });
      await phone.goto(web.url);
      await phone.locator('body[data-ready="true"]').waitFor();
      expect(await phone.getByLabel("Network").textContent()).to.equal("Local Hardhat (31337) · read-only");
      expect(await phone.locator("#notice-text").textContent()).to.equal(
        "Your wallet is on Ethereum (1). Tidepool here runs on Local Hardhat (31337): the figures are read from it. Switch your wallet's network to stake.",
      );
      await expectFigures(phone);
      await expectReadableChart(phone, PHONE.width, 320);
      // Nothing was read through the wallet (it has no node for chain 1): only its chain and accounts.
      expect([...new Set((await wallet(phone)).calls)].sort()).to.deep.equal(["eth_accounts", "eth_chainId"]);
      // Staking on the wrong chain is refused before the wallet is asked for anything.
      await phone.getByLabel("Amount to stake (ETH)").fill("2");
      await phone.getByRole("button", { name: "Stake", exact: true }).click();
      expect(await settled("stake-status", "invalid", phone)).to.equal(
        "Your wallet is on Ethereum (1): switch it to Local Hardhat (31337) first (Switch network, above).",
      );
      await phone.screenshot({ path: path.join(RESULTS, "app-phone-wrong-chain.png") });

      const callsBefore = (await wallet(phone)).calls.length;
      await phone.getByRole("button", { name: "Switch network" }).click();
      expect(await settled("wallet-status", "confirmed", phone)).to.equal(
        "Your wallet is on Local Hardhat (31337) now.",
      );
      expect(await phone.getByLabel("Network").textContent()).to.equal("Local Hardhat (31337)");
      expect(await phone.locator("#notice").isHidden()).to.equal(true);
      const state = await wallet(phone);
      expect(state.chainId).to.equal(NODE_CHAIN);
      // Unknown to the wallet (4902): added with the chain's parameters, then switched to.
      expect(state.calls.slice(callsBefore).filter((m) => m.startsWith("wallet_"))).to.deep.equal([
        "wallet_switchEthereumChain",
        "wallet_addEthereumChain",
        "wallet_switchEthereumChain",
      ]);
      expect(state.addedChains).to.deep.equal([
        {
          chainId: NODE_CHAIN,
          chainName: "Local Hardhat",
          nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
          rpcUrls: [rpc.url],
        },
      ]);

      await phone.getByRole("button", { name: "Connect wallet" }).click();
      await phone.getByLabel("Account").waitFor();
      expect(await phone.getByLabel("Account").getAttribute("title")).to.equal(other.address);
      await expectStakeOnFirstScreen(phone, PHONE);
      await stakeFromFirstScreen(phone, other, "2");
      await expectPlainWords(phone);
    } finally {
      await context.close();
    }
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
    await expectFigures(page);
    expect(await page.locator("#chart svg circle").count()).to.equal(3);
    await page.locator("#bal-eth", { hasText: / ETH$/ }).waitFor();
    await expectReadableChart(page, DESKTOP.width, 700);
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

  it("stakes ETH from the first screen of a desktop: the shares of the preview are minted, ETH spent is the amount plus gas", async function () {
    await expectStakeOnFirstScreen(page, DESKTOP);
    await stakeFromFirstScreen(page, user, "5");
    await expectPlainWords(page);
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

  it("shows one 'redeemable now' figure: the stats, the form and the preview agree, and one wei more is refused as the user types", async function () {
    const status = await readProtocolStatus({ pool: t.pool, oracle: t.oracle, withdrawalQueue: t.withdrawalQueue });
    const redeemable = status.redeemableNow;
    // The holder holds more than can be redeemed now: the protocol's figure is the holder's too.
    expect((await t.pool.balanceOf(user.address)) > redeemable).to.equal(true);
    expect(redeemable > 0n).to.equal(true);
    const figure = floor6(redeemable, "tpETH");
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor();
    await page.locator("#stat-redeemable", { hasText: figure }).waitFor();
    expect(await page.locator("#stat-redeemable").textContent()).to.equal(figure);
    expect(await page.locator("#instant-redeemable").textContent()).to.equal(figure);
    const callsBefore = (await wallet()).calls.length;

    // Max fills in exactly the figure; the preview quotes it.
    await page.getByRole("button", { name: "Use maximum to redeem" }).click();
    expect(await page.getByLabel("Amount to redeem (tpETH)").inputValue()).to.equal(eth(redeemable, 18, ""));
    const [ethOut, fee] = await t.pool.previewInstantRedeem(redeemable);
    const preview = page.locator("#instant-preview");
    await page
      .locator('#instant-preview[data-state="ok"]', { hasText: `You receive ${eth(ethOut, 6)} · fee ${eth(fee, 6)}` })
      .waitFor();
    // The figure as shown (rounded down) can be done too.
    const [shownOut] = await t.pool.previewInstantRedeem(parseEther(figure.split(" ")[0]));
    await page.getByLabel("Amount to redeem (tpETH)").fill(figure.split(" ")[0]);
    await page.locator('#instant-preview[data-state="ok"]', { hasText: `You receive ${eth(shownOut, 6)} ·` }).waitFor();

    // One wei more: refused as the user types, in words naming the same figure, with no quote.
    const liquidityBound = redeemable === status.instantLiquidity;
    const refusal =
      `At most ${figure} can be redeemed instantly right now: ` +
      (liquidityBound
        ? "that is the ETH the pool holds for instant redemptions."
        : "that is what is left of today's limit, which renews at 00:00 UTC.");
    await page.getByLabel("Amount to redeem (tpETH)").fill(eth(redeemable + 1n, 18, ""));
    await page.locator('#instant-preview[data-state="invalid"]').waitFor();
    expect(await preview.textContent()).to.equal(refusal);
    // Typing asked the wallet for nothing; the click refuses with the same sentence, before any wallet call.
    expect((await wallet()).calls.slice(callsBefore)).to.deep.equal([]);
    const before = await balances();
    await page.getByRole("button", { name: "Redeem instantly" }).click();
    expect(await settled("instant-status", "invalid")).to.equal(refusal);
    const calls = (await wallet()).calls.slice(callsBefore);
    expect(calls).to.not.include("eth_estimateGas");
    expect(calls).to.not.include("eth_sendTransaction");
    expect(await balances()).to.deep.equal(before);
    expect(await page.locator("#instant-status").evaluate((el) => getComputedStyle(el).color)).to.equal(BAD);
    await page.getByLabel("Amount to redeem (tpETH)").fill("");
    await expectPlainWords(page);
  });

  it("refuses an amount above the balance as the user types, and again on click before anything is sent", async function () {
    const before = await balances();
    const callsBefore = (await wallet()).calls.length;
    const ethBalance = await hre.ethers.provider.getBalance(user.address);
    const stakeRefusal = `1,000,000 ETH is more than your ETH balance (${floor6(ethBalance, "ETH")}).`;
    await page.getByLabel("Amount to stake (ETH)").fill("1000000");
    await page.locator('#stake-preview[data-state="invalid"]').waitFor();
    expect(await page.locator("#stake-preview").textContent()).to.equal(stakeRefusal);
    await page.getByRole("button", { name: "Stake", exact: true }).click();
    expect(await settled("stake-status", "invalid")).to.equal(stakeRefusal);

    const tpBalance = await t.pool.balanceOf(user.address);
    const withdrawRefusal = `999 tpETH is more than your tpETH balance (${floor6(tpBalance, "tpETH")}).`;
    await page.getByLabel("Amount to withdraw (tpETH)").fill("999");
    await page.locator('#withdraw-preview[data-state="invalid"]').waitFor();
    expect(await page.locator("#withdraw-preview").textContent()).to.equal(withdrawRefusal);
    await page.getByRole("button", { name: "Request withdrawal" }).click();
    expect(await settled("withdraw-status", "invalid")).to.equal(withdrawRefusal);
    const calls = (await wallet()).calls.slice(callsBefore);
    expect(calls).to.not.include("eth_sendTransaction");
    expect(calls).to.not.include("eth_estimateGas");
    expect(calls).to.not.include("eth_signTypedData_v4");
    expect(await balances()).to.deep.equal(before);
    await expectPlainWords(page);
  });

  it("shows a rejected signature as rejected, in a neutral colour (not a failure's red), and nothing changes", async function () {
    const before = await balances();
    await page.evaluate(() => {
      (window as unknown as { __testWallet: TestWalletState }).__testWallet.rejectNext = true;
    });
    await page.getByLabel("Amount to stake (ETH)").fill("1");
    await page.getByRole("button", { name: "Stake", exact: true }).click();
    expect(await settled("stake-status", "rejected")).to.equal(
      "You rejected the request in your wallet: nothing was sent.",
    );
    expect(await colorOf(page, "#stake-status")).to.equal(MUTED);
    // A rejected permit signature: the same, before any transaction.
    await page.evaluate(() => {
      (window as unknown as { __testWallet: TestWalletState }).__testWallet.rejectNext = true;
    });
    await page.getByLabel("Amount to withdraw (tpETH)").fill("0.5");
    await page.getByRole("button", { name: "Request withdrawal" }).click();
    expect(await settled("withdraw-status", "rejected")).to.include("nothing was sent");
    expect(await colorOf(page, "#withdraw-status")).to.equal(MUTED);
    expect(await balances()).to.deep.equal(before);
  });

  it("shows a revert's custom error in words (instant redemption paused between the checks and the transaction), then refuses while paused", async function () {
    const capability = await t.pool.CAPABILITY_INSTANT_REDEEM();
    const { redeemableNow } = await readProtocolStatus({
      pool: t.pool,
      oracle: t.oracle,
      withdrawalQueue: t.withdrawalQueue,
    });
    const before = await balances();
    // The pauser pauses just as the wallet estimates the page's transaction: every check passed before.
    const pause = {
      from: t.pauser.address,
      to: t.poolAddress,
      data: t.pool.interface.encodeFunctionData("pause", [capability]),
    };
    await page.evaluate((tx) => {
      (window as unknown as { __testWallet: TestWalletState }).__testWallet.beforeNext = {
        method: "eth_estimateGas",
        tx,
      };
    }, pause);
    await page.getByLabel("Amount to redeem (tpETH)").fill(eth(redeemableNow / 2n, 18, ""));
    await page.locator('#instant-preview[data-state="ok"]', { hasText: "You receive" }).waitFor();
    await page.getByRole("button", { name: "Redeem instantly" }).click();
    const text = await settled("instant-status", "failed");
    expect(text).to.equal(
      "Failed: Instant redemption is paused right now. You can still request a withdrawal. (InstantRedeemPaused)",
    );
    expect(await colorOf(page, "#instant-status")).to.equal(BAD);
    expect(await t.pool.pausedCapabilities()).to.equal(capability);
    const after = await balances();
    expect({ ...after, block: 0 }).to.deep.equal({ ...before, block: 0 });

    // Now the page knows: nothing is redeemable, the preview says why as the user types, and the click refuses.
    const paused = "Instant redemption is paused right now. You can still request a withdrawal.";
    expect(await page.locator("#stat-redeemable").textContent()).to.equal("0 tpETH");
    expect(await page.locator("#instant-redeemable").textContent()).to.equal("0 tpETH");
    await page.getByLabel("Amount to redeem (tpETH)").fill("0.1");
    await page.locator('#instant-preview[data-state="invalid"]').waitFor();
    expect(await page.locator("#instant-preview").textContent()).to.equal(paused);
    const callsBefore = (await wallet()).calls.length;
    await page.getByRole("button", { name: "Redeem instantly" }).click();
    expect(await settled("instant-status", "invalid")).to.equal(paused);
    expect((await wallet()).calls.slice(callsBefore)).to.not.include("eth_estimateGas");
    await (await t.pool.connect(t.admin).resume(capability)).wait();
    await page.getByLabel("Amount to redeem (tpETH)").fill("");
  });

  it("shows wtpETH on both chains and the L2's rate with its age, quotes a send (dust, fee, the path's limit) and refuses a dust-only amount in one sentence", async function () {
    // Setup, not through the page: the holder wraps tpETH at home, so there is wtpETH to send.
    await (await t.pool.connect(user).stake(ZeroAddress, { value: parseEther("3") })).wait();
    await (await t.wrapper.connect(user).wrap(parseEther("2"))).wait();
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor();
    await page.getByLabel("Account").waitFor();
    const home = await t.wrapper.balanceOf(user.address);
    expect(home).to.be.greaterThan(parseEther("1.5"));
    const homeRow = page.locator('#bridge-chains tr[data-chain-id="31337"]');
    const l2Row = page.locator(`#bridge-chains tr[data-chain-id="${LOCAL_L2_CHAIN_ID}"]`);
    await homeRow.locator(".balance", { hasText: grouped(eth(home, 6, "wtpETH")) }).waitFor();
    expect(await homeRow.locator(".balance").textContent()).to.equal(grouped(eth(home, 6, "wtpETH")));
    expect(await homeRow.locator("th").textContent()).to.equal("Local Hardhat (31337) · home");
    expect(await homeRow.getAttribute("data-state")).to.equal("home");
    expect(await l2Row.locator("th").textContent()).to.equal("Local L2 (31339)");
    expect(await l2Row.locator(".balance").textContent()).to.equal("0 wtpETH");
    expect(await l2Row.getAttribute("data-state")).to.equal("connected");
    expect(await l2Row.locator(".bridge-state").textContent()).to.equal("Connected");
    // The L2's rate as its RateOracle keeps it, aged to the L2's latest block (no block is mined there meanwhile).
    const round = await bridge.rateOracle.latest();
    expect(round.rate).to.be.greaterThan(0n);
    const l2Now = BigInt((await l2.provider.getBlock("latest"))!.timestamp);
    const age = l2Now - round.refTime;
    expect(await bridge.rateOracle.isStale()).to.equal(false);
    const ago = age < 60n ? "less than a minute" : duration(age - (age % 60n));
    expect(await l2Row.locator(".rate").textContent()).to.equal(
      `1 wtpETH = ${eth(round.rate, 9, "tpETH")} · as of ${ago} ago`,
    );
    expect(await l2Row.locator(".rate").getAttribute("class")).to.equal("rate");
    expect(await page.locator("#bridge-from").textContent()).to.equal("Local Hardhat (31337)");
    expect(await page.getByLabel("Destination chain", { exact: true }).inputValue()).to.equal(
      String(LOCAL_L2_CHAIN_ID),
    );

    // The quote: what arrives (the 100 wei below 6 decimals stay), LayerZero's fee, what the path can take.
    const amount = parseEther("1.5") + 100n;
    const fee = (await bridge.adapter.quoteSend(bridgeParam(user.address, amount), false)).nativeFee;
    const [, available] = await bridge.adapter.amountCanBeSent(bridge.remoteEid);
    expect(fee).to.be.greaterThan(0n);
    const callsBefore = (await wallet()).calls.length;
    const expectedQuote =
      `1.5 wtpETH arrives on Local L2 (31339) (0.0000000000000001 wtpETH below the bridge's 6 decimals stays with you) · ` +
      `LayerZero fee ${eth(fee, 18)} · this path can take ${floor6(available, "wtpETH")} more right now.`;
    await page.getByLabel("Amount to send (wtpETH)").fill("1.5000000000000001");
    await page.locator('#bridge-preview[data-state="ok"]', { hasText: expectedQuote }).waitFor();
    expect(await page.locator("#bridge-preview").textContent()).to.equal(expectedQuote);
    expect(amount).to.equal(parseEther("1.5000000000000001"));

    // Less than the bridge's smallest unit: refused as the user types and on click, nothing asked of the wallet.
    const refusal =
      "0.0000009 wtpETH is less than the bridge's smallest amount (0.000001 wtpETH): nothing would arrive.";
    await page.getByLabel("Amount to send (wtpETH)").fill("0.0000009");
    await page.locator('#bridge-preview[data-state="invalid"]').waitFor();
    expect(await page.locator("#bridge-preview").textContent()).to.equal(refusal);
    const before = await balances();
    await page.getByRole("button", { name: "Send wtpETH" }).click();
    expect(await settled("bridge-status", "invalid")).to.equal(refusal);
    const calls = (await wallet()).calls.slice(callsBefore);
    expect(calls).to.not.include("eth_estimateGas");
    expect(calls).to.not.include("eth_sendTransaction");
    expect(await balances()).to.deep.equal(before);
    await expectPlainWords(page);
  });

  it("sends wtpETH home → L2 through the states: an approval of exactly what leaves, the send for the quoted fee, in flight until the relayer delivers it", async function () {
    const amount = parseEther("1.5") + 100n;
    const sent = parseEther("1.5");
    const adapterAddress = await bridge.adapter.getAddress();
    const fee = (await bridge.adapter.quoteSend(bridgeParam(user.address, amount), false)).nativeFee;
    const homeBefore = await t.wrapper.balanceOf(user.address);
    const lockedBefore = await t.wrapper.balanceOf(adapterAddress);
    const ethBefore = await hre.ethers.provider.getBalance(user.address);
    const sentBefore = (await wallet()).sent.length;
    await page.getByLabel("Amount to send (wtpETH)").fill("1.5000000000000001");
    await page.locator('#bridge-preview[data-state="ok"]', { hasText: "arrives" }).waitFor();
    // Every state the status line goes through.
    await page.evaluate(() => {
      const el = document.getElementById("bridge-status")!;
      const seen: string[] = [];
      (window as unknown as { __bridgeStates: string[] }).__bridgeStates = seen;
      new MutationObserver(() => {
        const state = el.dataset.txState ?? "";
        if (seen[seen.length - 1] !== state) seen.push(state);
      }).observe(el, { attributes: true, attributeFilter: ["data-tx-state"] });
    });
    await page.getByRole("button", { name: "Send wtpETH" }).click();
    const text = await settled("bridge-status", "confirmed");
    const { gas, hashes } = await gasSince(sentBefore);
    expect(hashes).to.have.length(2);
    const [approval, send] = await Promise.all(hashes.map((h) => hre.ethers.provider.getTransaction(h)));
    // The approval: exactly what leaves (the dust stays), to the adapter.
    expect(approval!.to).to.equal(t.wrapperAddress);
    expect([...t.wrapper.interface.decodeFunctionData("approve", approval!.data)]).to.deep.equal([
      adapterAddress,
      sent,
    ]);
    // The send: the quoted fee as value, the quoted amount as the minimum, to the user on the L2.
    expect(send!.to).to.equal(adapterAddress);
    expect(send!.value).to.equal(fee);
    const [param, messagingFee, refund] = bridge.adapter.interface.decodeFunctionData("send", send!.data);
    expect([param.dstEid, param.to, param.amountLD, param.minAmountLD]).to.deep.equal([
      BigInt(bridge.remoteEid),
      peerBytes32(user.address).toLowerCase(),
      amount,
      sent,
    ]);
    expect([messagingFee.nativeFee, messagingFee.lzTokenFee, refund]).to.deep.equal([fee, 0n, user.address]);
    const receipt = await hre.ethers.provider.getTransactionReceipt(hashes[1]);
    expect(text).to.equal(
      `Sent 1.5 wtpETH from Local Hardhat (31337): 1.5 wtpETH arrives on Local L2 (31339) once LayerZero delivers it (fee ${eth(fee, 18)}). Confirmed in block ${receipt!.blockNumber}.`,
    );
    const states = await page.evaluate(() => (window as unknown as { __bridgeStates: string[] }).__bridgeStates);
    expect(states).to.deep.equal(["checking", "signing", "pending", "signing", "pending", "confirmed"]);
    expect(homeBefore - (await t.wrapper.balanceOf(user.address))).to.equal(sent);
    expect((await t.wrapper.balanceOf(adapterAddress)) - lockedBefore).to.equal(sent);
    expect(await t.wrapper.allowance(user.address, adapterAddress)).to.equal(0n);
    expect(ethBefore - (await hre.ethers.provider.getBalance(user.address))).to.equal(fee + gas);

    // In flight until LayerZero (the local relayer) delivers it; the page polls the L2 balance.
    const item = page.locator("#bridge-transfers li").first();
    expect(await item.getAttribute("data-state")).to.equal("in-flight");
    expect(await item.textContent()).to.equal(
      "1.5 wtpETH to Local L2 (31339): in flight, waiting for LayerZero to deliver it (usually a few minutes).",
    );
    expect(await bridge.oft.balanceOf(user.address)).to.equal(0n);
    // A reload goes on following it (kept in localStorage).
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor();
    await item.waitFor();
    expect(await item.getAttribute("data-state")).to.equal("in-flight");
    expect(await item.textContent()).to.equal(
      "1.5 wtpETH to Local L2 (31339): in flight, waiting for LayerZero to deliver it (usually a few minutes).",
    );
    expect((await bridge.relay()).map((d) => d.status)).to.deep.equal(["delivered"]);
    expect(await bridge.oft.balanceOf(user.address)).to.equal(sent);
    await page.locator('#bridge-transfers li[data-state="arrived"]').waitFor({ timeout: 15_000 });
    expect(await item.textContent()).to.equal("1.5 wtpETH to Local L2 (31339): arrived.");
    const l2Row = page.locator(`#bridge-chains tr[data-chain-id="${LOCAL_L2_CHAIN_ID}"]`);
    await l2Row.locator(".balance", { hasText: "1.5 wtpETH" }).waitFor();
    expect(await l2Row.locator(".balance").textContent()).to.equal("1.5 wtpETH");
    await page.screenshot({ path: path.join(RESULTS, "app-desktop-bridge.png"), fullPage: true });
    await expectPlainWords(page);
  });

  it("reads a bridge revert in words (the adapter paused between the checks and the send), then refuses while paused", async function () {
    const adapterAddress = await bridge.adapter.getAddress();
    const homeBefore = await t.wrapper.balanceOf(user.address);
    const pause = {
      from: t.pauser.address,
      to: adapterAddress,
      data: bridge.adapter.interface.encodeFunctionData("pause"),
    };
    await page.getByLabel("Amount to send (wtpETH)").fill("0.5");
    await page.locator('#bridge-preview[data-state="ok"]', { hasText: "arrives" }).waitFor();
    // The pauser pauses as the wallet estimates the page's first transaction: every check passed before.
    await page.evaluate((tx) => {
      (window as unknown as { __testWallet: TestWalletState }).__testWallet.beforeNext = {
        method: "eth_estimateGas",
        tx,
      };
    }, pause);
    await page.getByRole("button", { name: "Send wtpETH" }).click();
    expect(await settled("bridge-status", "failed")).to.equal(
      "Failed: The bridge is paused on this chain. (EnforcedPause)",
    );
    expect(await colorOf(page, "#bridge-status")).to.equal(BAD);
    expect(await bridge.adapter.paused()).to.equal(true);
    expect(await t.wrapper.balanceOf(user.address)).to.equal(homeBefore);
    // Now the page knows: the table says so, and the preview and the click refuse in one sentence.
    const homeRow = page.locator('#bridge-chains tr[data-chain-id="31337"]');
    await homeRow.locator(".bridge-state", { hasText: "Paused" }).waitFor();
    const paused = "The bridge is paused on Local Hardhat (31337) right now. Please try again later.";
    await page.getByLabel("Amount to send (wtpETH)").fill("0.4");
    await page.locator('#bridge-preview[data-state="invalid"]', { hasText: paused }).waitFor();
    const callsBefore = (await wallet()).calls.length;
    await page.getByRole("button", { name: "Send wtpETH" }).click();
    expect(await settled("bridge-status", "invalid")).to.equal(paused);
    expect((await wallet()).calls.slice(callsBefore)).to.not.include("eth_estimateGas");
    await (await bridge.adapter.connect(t.admin).unpause()).wait();
    await page.getByLabel("Amount to send (wtpETH)").fill("");
  });

  it("sends wtpETH back home from the L2 with the wallet there: read-only at home, no approval (the OFT burns), arrives at home", async function () {
    // The L2 (Anvil) unlocks the wallet's account and gives it ETH for gas and LayerZero's fee.
    await l2.provider.send("anvil_impersonateAccount", [user.address]);
    await l2.provider.send("anvil_setBalance", [user.address, toQuantity(parseEther("10"))]);
    const switchWallet = (chainId: string) =>
      page.evaluate(async (id) => {
        const provider = await new Promise<{ request(a: { method: string; params: unknown[] }): Promise<unknown> }>(
          (resolve) => {
            window.addEventListener("eip6963:announceProvider", (e) => resolve((e as CustomEvent).detail.provider), {
              once: true,
            });
            window.dispatchEvent(new Event("eip6963:requestProvider"));
          },
        );
        await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId: id }] });
      }, chainId);
    await switchWallet(L2_CHAIN_HEX);
    await page.locator("#bridge-from", { hasText: "Local L2 (31339)" }).waitFor();
    expect(await page.getByLabel("Network").textContent()).to.equal("Local Hardhat (31337) · read-only");
    expect(await page.locator("#notice-text").textContent()).to.equal(
      "Your wallet is on Local L2 (31339). Tidepool here runs on Local Hardhat (31337): the figures are read from it. " +
        "Switch your wallet's network to stake. Your wtpETH on this chain can be sent from \u201cwtpETH on other chains\u201d, below.",
    );
    expect(await page.getByLabel("Destination chain", { exact: true }).inputValue()).to.equal("31337");

    const amount = parseEther("1");
    const oftAddress = await bridge.oft.getAddress();
    const param = { ...bridgeParam(user.address, amount), dstEid: bridge.homeEid };
    const fee = (await bridge.oft.quoteSend(param, false)).nativeFee;
    const [, available] = await bridge.oft.amountCanBeSent(bridge.homeEid);
    const quote =
      `1 wtpETH arrives on Local Hardhat (31337) · LayerZero fee ${eth(fee, 18)} · ` +
      `this path can take ${floor6(available, "wtpETH")} more right now.`;
    await page.getByLabel("Amount to send (wtpETH)").fill("1");
    await page.locator('#bridge-preview[data-state="ok"]', { hasText: quote }).waitFor();
    expect(await page.locator("#bridge-preview").textContent()).to.equal(quote);
    const l2Before = await bridge.oft.balanceOf(user.address);
    const supplyBefore = await bridge.oft.totalSupply();
    const homeBefore = await t.wrapper.balanceOf(user.address);
    const sentBefore = (await wallet()).sent.length;
    await page.getByRole("button", { name: "Send wtpETH" }).click();
    const text = await settled("bridge-status", "confirmed");
    const hashes = (await wallet()).sent.slice(sentBefore);
    expect(hashes).to.have.length(1); // no approval: the OFT burns its own token
    const tx = await l2.provider.getTransaction(hashes[0]);
    const receipt = await l2.provider.getTransactionReceipt(hashes[0]);
    expect(receipt!.status).to.equal(1);
    expect([tx!.to, tx!.from, tx!.value]).to.deep.equal([oftAddress, user.address, fee]);
    expect(text).to.equal(
      `Sent 1 wtpETH from Local L2 (31339): 1 wtpETH arrives on Local Hardhat (31337) once LayerZero delivers it (fee ${eth(fee, 18)}). Confirmed in block ${receipt!.blockNumber}.`,
    );
    expect(l2Before - (await bridge.oft.balanceOf(user.address))).to.equal(amount);
    expect(supplyBefore - (await bridge.oft.totalSupply())).to.equal(amount);
    const item = page.locator("#bridge-transfers li").first();
    expect(await item.textContent()).to.equal(
      "1 wtpETH to Local Hardhat (31337): in flight, waiting for LayerZero to deliver it (usually a few minutes).",
    );
    expect((await bridge.relay()).map((d) => d.status)).to.deep.equal(["delivered"]);
    expect((await t.wrapper.balanceOf(user.address)) - homeBefore).to.equal(amount);
    await page.locator('#bridge-transfers li[data-state="arrived"]', { hasText: "Local Hardhat" }).waitFor({
      timeout: 15_000,
    });
    expect(await item.textContent()).to.equal("1 wtpETH to Local Hardhat (31337): arrived.");
    // The adapter holds exactly what is on the L2 again: nothing in flight.
    expect(await t.wrapper.balanceOf(await bridge.adapter.getAddress())).to.equal(await bridge.oft.totalSupply());

    // Back home for the tests that follow.
    await switchWallet(NODE_CHAIN);
    await page.locator("#network", { hasText: /^Local Hardhat \(31337\)$/ }).waitFor();
    await l2.provider.send("anvil_stopImpersonatingAccount", [user.address]);
  });

  it("fits a 390-px phone screen and a desktop, with screenshots and no console errors", async function () {
    await page.setViewportSize(DESKTOP);
    await page.screenshot({ path: path.join(RESULTS, "app-desktop.png"), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.reload();
    await page.locator('body[data-ready="true"]').waitFor();
    await page.getByLabel("Account").waitFor();
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, document.body.scrollWidth]);
    expect(widths[0]).to.be.at.most(PHONE.width);
    expect(widths[1]).to.be.at.most(PHONE.width);
    await expectStakeOnFirstScreen(page, PHONE);
    await expectReadableChart(page, PHONE.width, 320);
    await expectPlainWords(page);
    await page.screenshot({ path: path.join(RESULTS, "app-phone-first-screen.png") });
    await page.screenshot({ path: path.join(RESULTS, "app-phone.png"), fullPage: true });
    expect(consoleErrors).to.deep.equal([]);
  });
});
