/**
 * Tidepool's web app: see the protocol (with or without a wallet), stake, wrap/unwrap, request
 * withdrawals (with a permit where the wallet signs typed data), claim them, redeem instantly, add
 * the tokens to the wallet, see wtpETH on the bridge's other chains and send it there (./bridge.ts).
 * Design notes: docs/app.md.
 *
 * Reads go through a read-only JSON-RPC provider for the chain shown (./network.ts), whether or not a
 * wallet is connected and whichever chain it is on; the wallet's provider is used to sign, and to
 * read only for a chain this build has no RPC URL for.
 *
 * Every action runs through {runFlow}: inputs are checked against fresh on-chain values before
 * anything is sent (with the same sentences the previews show as the user types, ./checks.ts), and
 * its status line (`data-tx-state`) goes through signing → pending → confirmed, or ends as invalid /
 * rejected / failed with the decoded custom error in words.
 */
import {
  BrowserProvider,
  Signature,
  ZeroAddress,
  getAddress,
  isAddress,
  type ContractTransactionResponse,
  type JsonRpcSigner,
  type Provider,
  type TransactionReceipt,
} from "ethers";
import { eth, percentBP, ratio } from "../../sdk/src/format";
import { PERMIT_TYPES, permitDomain } from "../../sdk/src/permit";
import { frameTiming, slotTime, type FrameTiming } from "../../sdk/src/report";
import { readProtocolStatus, shareRateText, type ProtocolStatus } from "../../sdk/src/status";
import {
  checkpointHints,
  expectedWait,
  expectedWaitText,
  requestState,
  type ExpectedWait,
} from "../../sdk/src/withdrawals";
import { describeError } from "../../sdk/src/errors";
import { connectProtocol, INTERFACES, type Protocol } from "./contracts";
import { discoverWallets, isUnsupportedMethod, isUserRejection, type WalletChoice } from "./wallet";
import {
  UnknownChainError,
  bridgeOf,
  chainLabel,
  chainOf,
  defaultChain,
  readProvider,
  switchWalletTo,
  type AppChain,
} from "./network";
import {
  ZERO_AMOUNT,
  amountText,
  instantLimit,
  instantProblem,
  limitText,
  parseAmountInput,
  aboveLimit,
  stakeProblem,
  withdrawBoundsText,
  withdrawProblem,
} from "./checks";
import { rateChartSvg, type RatePoint } from "./chart";
import {
  bridgeContract,
  feeProblem,
  hasArrived,
  inFlightText,
  quoteBridgeSend,
  quoteText as bridgeQuoteText,
  rateText as remoteRateText,
  readBridgeEnd,
  readPath,
  peerMatches,
  sendProblem,
  type BridgeConfig,
  type BridgeEnd,
  type BridgeEndConfig,
  type BridgeQuote,
  type InFlight,
} from "./bridge";
import { WtpEthOFT__factory } from "../../sdk/src/contracts";
import { oftSendParam } from "../../sdk/src/bridge";

// ──────────────────────────────── Page helpers ────────────────────────────────

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

const shortAddress = (a: string): string => `${a.slice(0, 6)}…${a.slice(-4)}`;

/** A wrong input: shown in the status line; nothing is sent. */
class InputError extends Error {}

type TxState = "idle" | "checking" | "invalid" | "signing" | "pending" | "confirmed" | "failed" | "rejected";

function setStatus(el: HTMLElement, state: TxState, text: string): void {
  el.dataset.txState = state;
  el.textContent = text;
}

/** A preview line: a figure, or (as the user types) why the action cannot be done. */
function setPreview(el: HTMLElement, text: string, invalid = false): void {
  el.dataset.state = invalid ? "invalid" : "ok";
  el.textContent = text;
}

const NO_WALLET = "No wallet found. Install a browser wallet (any EIP-6963 wallet, e.g. MetaMask) and reload.";

// ──────────────────────────────── Session ────────────────────────────────

interface Snapshot {
  status: ProtocolStatus;
  timing: FrameTiming;
  currentRefSlot: bigint;
  lastProcessedRefSlot: bigint;
  now: bigint;
  stakeLimit: bigint;
  minWithdrawal: bigint;
  maxWithdrawal: bigint;
  withdrawalsPaused: boolean;
  ethBalance: bigint;
  tpBalance: bigint;
  wBalance: bigint;
}

/** What the page shows and through what. */
interface Session {
  /** The deployment shown: the wallet's chain when it has one, else the default chain. */
  chain?: AppChain;
  /** Reads of `chain`. */
  reader?: Provider;
  protocol?: Protocol;
  wallet?: WalletChoice;
  walletProvider?: BrowserProvider;
  walletChainId?: bigint;
  account?: string;
  /** Only while the wallet is on `chain`. */
  signer?: JsonRpcSigner;
  snapshot?: Snapshot;
  /** The wtpETH bridge of `chain`, when the build records one. */
  bridge?: BridgeState;
}

let session: Session = {};
/** Counts {start} calls: a start overtaken by a newer one (a chain change) stops. */
let startSeq = 0;
let wallets: WalletChoice[] = [];

function notice(text: string | undefined, offerSwitch = false): void {
  $("notice").hidden = text === undefined;
  $("notice-text").textContent = text ?? "";
  $("switch-network").hidden = !offerSwitch;
}

function signerOrFail(): { signer: JsonRpcSigner; account: string; p: Protocol } {
  const s = session;
  if (!s.protocol || !s.chain) throw new InputError("Tidepool is not deployed on this network.");
  if (!s.wallet) throw new InputError(NO_WALLET);
  if (s.walletChainId !== s.chain.chainId) {
    throw new InputError(
      `Your wallet is on ${chainLabel(s.walletChainId ?? 0n)}: switch it to ${chainLabel(s.chain.chainId)} first (Switch network, above).`,
    );
  }
  if (!s.signer || !s.account) throw new InputError("Connect your wallet first.");
  return { signer: s.signer, account: s.account, p: s.protocol };
}

/** Parses an amount input for sending; throws {InputError} in words when it is not a positive amount. */
function readAmount(inputId: string, unit: string): bigint {
  const input = parseAmountInput($<HTMLInputElement>(inputId).value, unit);
  if (input.kind === "empty") throw new InputError(`Enter an amount of ${unit}.`);
  if (input.kind === "zero") throw new InputError(ZERO_AMOUNT);
  if (input.kind === "problem") throw new InputError(input.text);
  return input.wei;
}

/** Throws {InputError} with `problem`, if there is one. */
function refuse(problem: string | undefined): void {
  if (problem !== undefined) throw new InputError(problem);
}

// ──────────────────────────────── Reading ────────────────────────────────

async function readSnapshot(p: Protocol, reader: Provider, account?: string): Promise<Snapshot> {
  const [status, timing, frame, lastProcessedRefSlot, block, stakeLimit, minW, maxW, withdrawalsPaused] =
    await Promise.all([
      readProtocolStatus({ pool: p.pool, oracle: p.oracle, withdrawalQueue: p.queue }),
      frameTiming(p.oracle),
      p.oracle.getCurrentFrame(),
      p.oracle.getLastProcessedRefSlot(),
      reader.getBlock("latest"),
      p.pool.getCurrentStakeLimit(),
      p.queue.MIN_WITHDRAWAL_AMOUNT(),
      p.queue.MAX_WITHDRAWAL_AMOUNT(),
      p.queue.withdrawalsPaused(),
    ]);
  const [ethBalance, tpBalance, wBalance] = account
    ? await Promise.all([reader.getBalance(account), p.pool.balanceOf(account), p.wrapper.balanceOf(account)])
    : [0n, 0n, 0n];
  return {
    status,
    timing,
    currentRefSlot: frame[0],
    lastProcessedRefSlot,
    now: BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000)),
    stakeLimit,
    minWithdrawal: minW,
    maxWithdrawal: maxW,
    withdrawalsPaused,
    ethBalance,
    tpBalance,
    wBalance,
  };
}

/** Reads everything again (for an action's checks), shows it and returns it. */
async function freshSnapshot(): Promise<Snapshot> {
  const s = session;
  if (!s.protocol || !s.reader) throw new InputError("Tidepool is not deployed on this network.");
  const snapshot = await readSnapshot(s.protocol, s.reader, s.account);
  s.snapshot = snapshot;
  renderSnapshot(snapshot);
  return snapshot;
}

function waitFor(s: Snapshot, amount: bigint): ExpectedWait {
  return expectedWait({
    unfinalizedEther: s.status.unfinalizedEther,
    bufferedEther: s.status.bufferedEther,
    amount,
    bunkerMode: s.status.bunkerMode,
    timing: s.timing,
    currentRefSlot: s.currentRefSlot,
    lastProcessedRefSlot: s.lastProcessedRefSlot,
    now: s.now,
  });
}

const aprText = (st: ProtocolStatus): string => (st.hasReport ? percentBP(st.aprBP) : "no report yet");

/** What the holder can redeem instantly now (their balance counts once there is an account). */
const instantLimitOf = (s: Snapshot) => instantLimit(s.status, session.account ? s.tpBalance : undefined);

function renderSnapshot(s: Snapshot): void {
  const st = s.status;
  $("stat-tvl").textContent = amountText(st.totalEther);
  $("stat-rate").textContent = `${shareRateText(st.totalEther, st.totalShares, 9)} ETH per share`;
  $("stat-apr").textContent = aprText(st);
  const waiting = st.lastRequestId - st.lastFinalizedRequestId;
  $("stat-queue").textContent =
    `${waiting} request${waiting === 1n ? "" : "s"} · ${amountText(st.unfinalizedEther)} waiting`;
  $("stat-wait").textContent = expectedWaitText(waitFor(s, 0n));
  // One figure: the stats, the form's hint and Max, and the preview's check all use it.
  $("stat-redeemable").textContent = limitText(st.redeemableNow, "tpETH");
  $("instant-redeemable").textContent = limitText(instantLimitOf(s).amount, "tpETH");
  $("stat-bunker").hidden = !st.bunkerMode;
  const connected = session.account !== undefined;
  $("bal-eth").textContent = connected ? amountText(s.ethBalance) : "–";
  $("bal-tpeth").textContent = connected ? amountText(s.tpBalance, "tpETH") : "–";
  $("bal-wtpeth").textContent = connected ? amountText(s.wBalance, "wtpETH") : "–";
}

/** The points drawn last, redrawn when the chart's width changes. */
let chartPoints: RatePoint[] = [];
let chartWidth = 0;

function drawChart(): void {
  const chart = $("chart");
  chartWidth = chart.clientWidth;
  if (chartPoints.length === 0) {
    chart.innerHTML = '<p class="muted">No reports yet.</p>';
    chart.setAttribute("aria-label", "No oracle report yet");
    return;
  }
  chart.innerHTML = rateChartSvg(chartPoints, chartWidth);
  chart.setAttribute(
    "aria-label",
    `Share rate after each of ${chartPoints.length} oracle reports, latest ${chartPoints[chartPoints.length - 1].rate.toFixed(9)} ETH per share`,
  );
}

async function renderChart(p: Protocol, timing: FrameTiming): Promise<void> {
  const logs = await p.oracle.queryFilter(p.oracle.filters.ReportApplied(), 0);
  chartPoints = logs
    .filter((l) => l.args.postTotalShares > 0n)
    .map((l) => ({
      time: Number(slotTime(timing, l.args.refSlot)),
      rate: Number(ratio(l.args.postTotalEther, l.args.postTotalShares, 12)),
    }));
  drawChart();
}

function clearRequests(): void {
  $("requests").querySelector("tbody")?.replaceChildren();
  $("requests-empty").hidden = false;
  $<HTMLButtonElement>("claim-all").disabled = true;
}

async function renderRequests(p: Protocol, account: string): Promise<void> {
  const open = [...(await p.queue.getWithdrawalRequests(account))];
  const claimedLogs = await p.queue.queryFilter(p.queue.filters.WithdrawalClaimed(undefined, account), 0);
  const ids = [...new Set([...open, ...claimedLogs.map((l) => l.args.requestId)])].sort((a, b) => (a < b ? 1 : -1));
  const body = $("requests").querySelector("tbody");
  if (!body) return;
  if (ids.length === 0) {
    clearRequests();
    return;
  }
  const statuses = await p.queue.getWithdrawalStatus(ids);
  const ready = ids.filter((_, i) => requestState(statuses[i]) === "claimable");
  const hints = await checkpointHints(p.queue, ready);
  const claimable = ready.length === 0 ? [] : await p.queue.getClaimableEther(ready, hints);
  body.replaceChildren();
  $("requests-empty").hidden = true;
  ids.forEach((id, i) => {
    const state = requestState(statuses[i]);
    const row = document.createElement("tr");
    const cells = [
      `#${id}`,
      amountText(statuses[i].amountOfEther),
      { pending: "Waiting for finalization", claimable: "Ready to claim", claimed: "Claimed" }[state],
      state === "claimable" ? amountText(claimable[ready.indexOf(id)]) : "–",
    ];
    for (const [j, text] of cells.entries()) {
      const td = document.createElement("td");
      td.textContent = text;
      if (j === 2) td.className = `status-${state}`;
      row.append(td);
    }
    const action = document.createElement("td");
    if (state === "claimable") {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Claim";
      button.setAttribute("aria-label", `Claim request #${id}`);
      button.addEventListener("click", () => void claim([id], button));
      action.append(button);
    }
    row.append(action);
    body.append(row);
  });
  $<HTMLButtonElement>("claim-all").disabled = ready.length === 0;
}

/** Reads everything again and redraws; `full` also redraws the chart and the request list. */
async function refresh(full = true): Promise<void> {
  const s = session;
  if (!s.protocol || !s.reader) return;
  const snapshot = await readSnapshot(s.protocol, s.reader, s.account);
  if (s !== session) return; // the chain changed meanwhile
  s.snapshot = snapshot;
  renderSnapshot(snapshot);
  if (full) {
    await renderChart(s.protocol, snapshot.timing);
    if (s.account) await renderRequests(s.protocol, s.account);
    else clearRequests();
  }
  await Promise.all([stakePreview(), wrapPreview(), withdrawPreview(), instantPreview(), refreshBridge()]);
}

// ──────────────────────────────── Transactions ────────────────────────────────

interface FlowUi {
  /**
   * Sends a transaction: signing → pending → mined (its receipt read through `reader`, default the
   * chain shown); throws if it reverted.
   */
  send(
    label: string,
    submit: () => Promise<ContractTransactionResponse>,
    reader?: Provider,
  ): Promise<TransactionReceipt>;
  /** Shows that the wallet is asked for a signature (not a transaction). */
  signing(text: string): void;
}

/** The receipt of `hash`, read through `reader` (polled each second until mined). */
async function receiptOf(hash: string, reader: Provider | undefined = session.reader): Promise<TransactionReceipt> {
  if (!reader) throw new Error("no provider to read the receipt from");
  for (;;) {
    const receipt = await reader.getTransactionReceipt(hash);
    if (receipt) return receipt;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/**
 * Runs one user action: validation errors → "invalid", a declined wallet prompt → "rejected"
 * (shown in a neutral colour: nothing went wrong), a revert → "failed" with the custom error in
 * words, else "confirmed" with `body`'s summary (after the page has been refreshed, so the numbers
 * shown are the new ones).
 */
async function runFlow(
  statusId: string,
  button: HTMLButtonElement,
  body: (ui: FlowUi) => Promise<string>,
): Promise<void> {
  const status = $(statusId);
  button.disabled = true;
  setStatus(status, "checking", "Checking…");
  const ui: FlowUi = {
    signing: (text) => setStatus(status, "signing", text),
    async send(label, submit, reader) {
      setStatus(status, "signing", `${label}: confirm in your wallet…`);
      const tx = await submit();
      setStatus(status, "pending", `${label}: pending (transaction ${shortAddress(tx.hash)})…`);
      const receipt = await receiptOf(tx.hash, reader);
      if (receipt.status !== 1) throw new Error(`${label}: the transaction reverted`);
      return receipt;
    },
  };
  let state: TxState;
  let text: string;
  try {
    text = await body(ui);
    state = "confirmed";
  } catch (error) {
    if (error instanceof InputError) [state, text] = ["invalid", error.message];
    else if (isUserRejection(error))
      [state, text] = ["rejected", "You rejected the request in your wallet: nothing was sent."];
    else [state, text] = ["failed", `Failed: ${describeError(error, INTERFACES)}`];
  }
  // The final state is shown once the page shows the new numbers.
  await refresh().catch(() => undefined);
  button.disabled = false;
  setStatus(status, state, text);
}

function eventArgs(p: Protocol, receipt: TransactionReceipt, name: string): ReadonlyArray<unknown> | undefined {
  for (const log of receipt.logs) {
    for (const c of [p.pool, p.queue, p.wrapper]) {
      try {
        const parsed = c.interface.parseLog(log);
        if (parsed?.name === name) return parsed.args;
      } catch {
        // another contract's log
      }
    }
  }
  return undefined;
}

const blockText = (r: TransactionReceipt): string => `Confirmed in block ${r.blockNumber}.`;

/** Counters per preview: an answer to an older input is dropped. */
const previewSeq = { stake: 0, wrap: 0, withdraw: 0, instant: 0, bridge: 0 };

// ──────────────────────────────── Stake ────────────────────────────────

const stakeContext = (s: Snapshot) => ({
  balance: session.account ? s.ethBalance : undefined,
  stakeLimit: s.stakeLimit,
  stakingPaused: s.status.stakingPaused,
});

async function stakePreview(): Promise<void> {
  const out = $("stake-preview");
  const s = session.snapshot;
  const p = session.protocol;
  if (!s || !p) return;
  const seq = ++previewSeq.stake;
  const rate = `Share rate ${shareRateText(s.status.totalEther, s.status.totalShares, 9)} ETH per share · APR ${aprText(s.status)}`;
  delete out.dataset.shares;
  const input = parseAmountInput($<HTMLInputElement>("stake-amount").value, "ETH");
  if (input.kind === "empty" || input.kind === "zero") return setPreview(out, rate);
  if (input.kind === "problem") return setPreview(out, input.text, true);
  const problem = stakeProblem(input.wei, stakeContext(s));
  if (problem) return setPreview(out, problem, true);
  const shares = await p.pool.getSharesByPooledEth(input.wei);
  const tp = await p.pool.getPooledEthByShares(shares);
  if (seq !== previewSeq.stake) return;
  if (shares === 0n)
    return setPreview(out, `Staking ${amountText(input.wei, "ETH", 18)} is too little to mint anything.`, true);
  // The exact share count is for tools (and the test), not for reading.
  out.dataset.shares = shares.toString();
  setPreview(out, `You will receive ${amountText(tp, "tpETH")}. ${rate}`);
}

async function stake(): Promise<void> {
  await runFlow("stake-status", $<HTMLButtonElement>("stake-submit"), async (ui) => {
    const { signer, p } = signerOrFail();
    const amount = readAmount("stake-amount", "ETH");
    refuse(stakeProblem(amount, stakeContext(await freshSnapshot())));
    const receipt = await ui.send(`Stake ${amountText(amount)}`, () =>
      p.pool.connect(signer).stake(ZeroAddress, { value: amount }),
    );
    const args = eventArgs(p, receipt, "Staked");
    const shares = args ? BigInt(args[2] as bigint) : 0n;
    $<HTMLInputElement>("stake-amount").value = "";
    return `Staked ${amountText(amount)}: received ${amountText(await p.pool.getPooledEthByShares(shares), "tpETH")}. ${blockText(receipt)}`;
  });
}

// ──────────────────────────────── Wrap / unwrap ────────────────────────────────

const wrapDirection = (): "wrap" | "unwrap" =>
  document.querySelector<HTMLInputElement>('input[name="wrap-direction"]:checked')?.value === "unwrap"
    ? "unwrap"
    : "wrap";

function onWrapDirection(): void {
  const wrap = wrapDirection() === "wrap";
  $("wrap-amount-label").textContent = wrap ? "Amount to wrap (tpETH)" : "Amount to unwrap (wtpETH)";
  $("wrap-submit").textContent = wrap ? "Wrap" : "Unwrap";
  void wrapPreview();
}

/** Why wrapping (or unwrapping) `amount` cannot be done, given what it would give. */
function wrapProblem(amount: bigint, s: Snapshot, out: bigint): string | undefined {
  const wrap = wrapDirection() === "wrap";
  const [unit, balance] = wrap ? ["tpETH", s.tpBalance] : ["wtpETH", s.wBalance];
  if (session.account) {
    const above = aboveLimit(amount, balance, unit, `your ${unit} balance`);
    if (above) return above;
  }
  return out === 0n ? `${amountText(amount, unit, 18)} is too little to ${wrap ? "wrap" : "unwrap"}.` : undefined;
}

async function wrapOutput(p: Protocol, amount: bigint): Promise<bigint> {
  return wrapDirection() === "wrap" ? p.wrapper.previewDeposit(amount) : p.wrapper.previewRedeem(amount);
}

async function wrapPreview(): Promise<void> {
  const out = $("wrap-preview");
  const s = session.snapshot;
  const p = session.protocol;
  if (!s || !p) return;
  const seq = ++previewSeq.wrap;
  const per = await p.wrapper.tpEthPerToken();
  if (seq !== previewSeq.wrap) return;
  const rate = `1 wtpETH = ${amountText(per, "tpETH", 9)}`;
  const wrap = wrapDirection() === "wrap";
  const input = parseAmountInput($<HTMLInputElement>("wrap-amount").value, wrap ? "tpETH" : "wtpETH");
  if (input.kind === "empty" || input.kind === "zero") return setPreview(out, rate);
  if (input.kind === "problem") return setPreview(out, input.text, true);
  const result = await wrapOutput(p, input.wei);
  if (seq !== previewSeq.wrap) return;
  const problem = wrapProblem(input.wei, s, result);
  if (problem) return setPreview(out, problem, true);
  setPreview(out, `You will receive ${amountText(result, wrap ? "wtpETH" : "tpETH")}. ${rate}`);
}

async function wrapOrUnwrap(): Promise<void> {
  await runFlow("wrap-status", $<HTMLButtonElement>("wrap-submit"), async (ui) => {
    const { signer, p } = signerOrFail();
    const wrapper = p.wrapper.connect(signer);
    if (wrapDirection() === "wrap") {
      const amount = readAmount("wrap-amount", "tpETH");
      refuse(wrapProblem(amount, await freshSnapshot(), await wrapOutput(p, amount)));
      const receipt = await ui.send(`Wrap ${amountText(amount, "tpETH")}`, () => wrapper.wrap(amount));
      const args = eventArgs(p, receipt, "Deposit");
      $<HTMLInputElement>("wrap-amount").value = "";
      return `Wrapped ${amountText(amount, "tpETH")} into ${amountText(args ? BigInt(args[3] as bigint) : 0n, "wtpETH")}. ${blockText(receipt)}`;
    }
    const amount = readAmount("wrap-amount", "wtpETH");
    refuse(wrapProblem(amount, await freshSnapshot(), await wrapOutput(p, amount)));
    const receipt = await ui.send(`Unwrap ${amountText(amount, "wtpETH")}`, () => wrapper.unwrap(amount));
    const args = eventArgs(p, receipt, "Withdraw");
    $<HTMLInputElement>("wrap-amount").value = "";
    return `Unwrapped ${amountText(amount, "wtpETH")} into ${amountText(args ? BigInt(args[3] as bigint) : 0n, "tpETH")}. ${blockText(receipt)}`;
  });
}

// ──────────────────────────────── Withdrawals ────────────────────────────────

const withdrawToken = (): "tpETH" | "wtpETH" =>
  document.querySelector<HTMLInputElement>('input[name="withdraw-token"]:checked')?.value === "wtpETH"
    ? "wtpETH"
    : "tpETH";

function onWithdrawToken(): void {
  $("withdraw-amount-label").textContent = `Amount to withdraw (${withdrawToken()})`;
  void withdrawPreview();
}

/** The ETH value a request of `amount` of the chosen token stands for. */
async function requestValue(p: Protocol, token: "tpETH" | "wtpETH", amount: bigint): Promise<bigint> {
  return token === "tpETH" ? amount : p.pool.getPooledEthByShares(amount);
}

const withdrawContext = (s: Snapshot, token: "tpETH" | "wtpETH", value: bigint) => ({
  token,
  balance: session.account ? (token === "tpETH" ? s.tpBalance : s.wBalance) : undefined,
  value,
  min: s.minWithdrawal,
  max: s.maxWithdrawal,
  paused: s.withdrawalsPaused,
});

async function withdrawPreview(): Promise<void> {
  const out = $("withdraw-preview");
  const s = session.snapshot;
  const p = session.protocol;
  if (!s || !p) return;
  const seq = ++previewSeq.withdraw;
  const bounds = withdrawBoundsText(s.maxWithdrawal);
  const token = withdrawToken();
  const input = parseAmountInput($<HTMLInputElement>("withdraw-amount").value, token);
  if (input.kind === "empty" || input.kind === "zero") return setPreview(out, bounds);
  if (input.kind === "problem") return setPreview(out, input.text, true);
  const value = await requestValue(p, token, input.wei);
  if (seq !== previewSeq.withdraw) return;
  const problem = withdrawProblem(input.wei, withdrawContext(s, token, value));
  if (problem) return setPreview(out, problem, true);
  setPreview(out, `Worth ${amountText(value)} now · expected wait: ${expectedWaitText(waitFor(s, value))}. ${bounds}`);
}

async function requestWithdrawal(): Promise<void> {
  await runFlow("withdraw-status", $<HTMLButtonElement>("withdraw-submit"), async (ui) => {
    const { signer, account, p } = signerOrFail();
    const tokenName = withdrawToken();
    const amount = readAmount("withdraw-amount", tokenName);
    const token = tokenName === "tpETH" ? p.pool : p.wrapper;
    const snapshot = await freshSnapshot();
    const value = await requestValue(p, tokenName, amount);
    refuse(withdrawProblem(amount, withdrawContext(snapshot, tokenName, value)));
    const queue = p.queue.connect(signer);
    const spender = p.addresses.queue;
    const label = `Request withdrawal of ${amountText(amount, tokenName)}`;
    let receipt: TransactionReceipt | undefined;
    if ($<HTMLInputElement>("withdraw-permit").checked) {
      const deadline = snapshot.now + 3600n;
      const nonce = await token.nonces(account);
      const domain = await permitDomain(token);
      ui.signing(`Sign the permit for exactly ${amountText(amount, tokenName)} in your wallet (no gas)…`);
      let signature: string | undefined;
      try {
        signature = await signer.signTypedData(domain, PERMIT_TYPES, {
          owner: account,
          spender,
          value: amount,
          nonce,
          deadline,
        });
      } catch (error) {
        if (!isUnsupportedMethod(error)) throw error; // the wallet cannot sign typed data: approve instead
      }
      if (signature !== undefined) {
        const { v, r, s } = Signature.from(signature);
        const permit = { value: amount, deadline, v, r, s };
        receipt = await ui.send(label, () =>
          tokenName === "tpETH"
            ? queue.requestWithdrawalsWithPermit([amount], ZeroAddress, permit)
            : queue.requestWithdrawalsWrappedWithPermit([amount], ZeroAddress, permit),
        );
      }
    }
    if (receipt === undefined) {
      if ((await token.allowance(account, spender)) < amount) {
        // Exactly the amount: never an unlimited approval.
        await ui.send(`Approve exactly ${amountText(amount, tokenName)} for the withdrawal queue`, () =>
          token.connect(signer).approve(spender, amount),
        );
      }
      receipt = await ui.send(label, () =>
        tokenName === "tpETH"
          ? queue.requestWithdrawals([amount], ZeroAddress)
          : queue.requestWithdrawalsWrapped([amount], ZeroAddress),
      );
    }
    const args = eventArgs(p, receipt, "WithdrawalRequested");
    $<HTMLInputElement>("withdraw-amount").value = "";
    const id = args ? String(args[0]) : "?";
    const ether = args ? amountText(BigInt(args[3] as bigint)) : amountText(value);
    return `Request #${id} created for ${ether}. ${blockText(receipt)}`;
  });
}

async function claim(ids: bigint[], button: HTMLButtonElement): Promise<void> {
  await runFlow("claim-status", button, async (ui) => {
    const { signer, p } = signerOrFail();
    if (ids.length === 0) throw new InputError("No request is ready to claim.");
    const hints = await checkpointHints(p.queue, ids);
    const amounts = await p.queue.getClaimableEther(ids, hints);
    const total = amounts.reduce((a, b) => a + b, 0n);
    const list = ids.map((id) => `#${id}`).join(", ");
    const receipt = await ui.send(`Claim ${list} (${amountText(total)})`, () =>
      p.queue.connect(signer).claimWithdrawals(ids, hints),
    );
    return `Claimed ${list}: ${amountText(total)} sent to your account. ${blockText(receipt)}`;
  });
}

async function claimAll(): Promise<void> {
  const account = session.account;
  const p = session.protocol;
  if (!account || !p) return;
  const ids = [...(await p.queue.getWithdrawalRequests(account))];
  const statuses = ids.length === 0 ? [] : await p.queue.getWithdrawalStatus(ids);
  await claim(
    ids.filter((_, i) => requestState(statuses[i]) === "claimable"),
    $<HTMLButtonElement>("claim-all"),
  );
}

// ──────────────────────────────── Instant redemption ────────────────────────────────

interface Quote {
  amount: bigint;
  slippageBP: bigint;
  ethOut: bigint;
  fee: bigint;
  minOut: bigint;
}
let quote: Quote | undefined;

/** Slippage tolerance in basis points (0–50%); throws {InputError} otherwise. */
function readSlippageBP(): bigint {
  const input = parseAmountInput($<HTMLInputElement>("instant-slippage").value, "%");
  const wei = input.kind === "amount" ? input.wei : input.kind === "zero" ? 0n : undefined;
  if (wei === undefined || wei > 50n * 10n ** 18n) {
    throw new InputError("Slippage tolerance must be between 0 and 50 %.");
  }
  return (wei * 100n) / 10n ** 18n;
}

async function makeQuote(p: Protocol, amount: bigint, slippageBP: bigint): Promise<Quote> {
  const [ethOut, fee] = await p.pool.previewInstantRedeem(amount);
  return { amount, slippageBP, ethOut, fee, minOut: (ethOut * (10_000n - slippageBP)) / 10_000n };
}

function quoteText(q: Quote): string {
  const feeBP = q.amount === 0n ? 0n : (q.fee * 10_000n) / q.amount;
  return `You receive ${amountText(q.ethOut)} · fee ${amountText(q.fee)} (${percentBP(feeBP)}) · minimum received ${amountText(q.minOut)}.`;
}

async function instantPreview(): Promise<void> {
  const out = $("instant-preview");
  const s = session.snapshot;
  const p = session.protocol;
  if (!s || !p) return;
  const seq = ++previewSeq.instant;
  quote = undefined;
  let slippageBP: bigint;
  try {
    slippageBP = readSlippageBP();
  } catch (error) {
    return setPreview(out, (error as Error).message, true);
  }
  const input = parseAmountInput($<HTMLInputElement>("instant-amount").value, "tpETH");
  if (input.kind === "empty" || input.kind === "zero") {
    return setPreview(out, "Enter an amount to see the ETH you receive and the fee.");
  }
  if (input.kind === "problem") return setPreview(out, input.text, true);
  // Never quote what cannot be done: the amount is checked against the "redeemable now" figure first.
  const problem = instantProblem(input.wei, instantLimitOf(s));
  if (problem) return setPreview(out, problem, true);
  try {
    const q = await makeQuote(p, input.wei, slippageBP);
    if (seq !== previewSeq.instant) return;
    quote = q;
    setPreview(out, quoteText(q));
  } catch (error) {
    if (seq === previewSeq.instant) setPreview(out, describeError(error, INTERFACES), true);
  }
}

async function instantRedeem(): Promise<void> {
  await runFlow("instant-status", $<HTMLButtonElement>("instant-submit"), async (ui) => {
    const { signer, account, p } = signerOrFail();
    const amount = readAmount("instant-amount", "tpETH");
    const slippageBP = readSlippageBP();
    refuse(instantProblem(amount, instantLimitOf(await freshSnapshot())));
    // The quote the user saw is what the minimum is taken from; without one, make and show it first.
    let q = quote;
    if (!q || q.amount !== amount || q.slippageBP !== slippageBP) {
      q = await makeQuote(p, amount, slippageBP);
      setPreview($("instant-preview"), quoteText(q));
    }
    const chosen = q;
    const receipt = await ui.send(
      `Redeem ${amountText(amount, "tpETH")} for at least ${amountText(chosen.minOut)}`,
      () => p.pool.connect(signer).instantRedeem(amount, chosen.minOut, account),
    );
    const args = eventArgs(p, receipt, "InstantRedeemed");
    const out = args ? BigInt(args[4] as bigint) : 0n;
    const fee = args ? BigInt(args[5] as bigint) : 0n;
    $<HTMLInputElement>("instant-amount").value = "";
    quote = undefined;
    return `Redeemed ${amountText(amount, "tpETH")}: received ${amountText(out)} (fee ${amountText(fee)}). ${blockText(receipt)}`;
  });
}

// ──────────────────────────────── wtpETH on other chains ────────────────────────────────

/** The bridge of the chain shown, as last read. */
interface BridgeState {
  config: BridgeConfig;
  /** Each chain's reader: its read RPC (the home chain's is the page's), else the wallet while on it. */
  readers: Map<bigint, Provider>;
  /** The chains read, by chain id. */
  ends: Map<bigint, BridgeEnd>;
  /** Why a chain could not be read, by chain id. */
  unreadable: Map<bigint, string>;
  /** Remote chains whose OFT and the home adapter name each other as peers. */
  connected: Set<bigint>;
  /** wtpETH's rate at home (tpETH per wtpETH). */
  homeRate?: bigint;
}

/** The quote shown last (a send uses it when the inputs have not changed). */
let bridgeQuote: BridgeQuote | undefined;

/** A send being followed until it arrives, with how to read the destination. */
interface Tracked extends InFlight {
  reader: Provider;
  token: string;
}
/** The holder's sends since the page opened (and those still in flight from before), newest first. */
let transfers: Tracked[] = [];
let transferIds = 0;
let transferTimer: number | undefined;
/** Where the sends still in flight are kept, so that a reload goes on following them. */
const TRANSFERS_KEY = "tidepool-bridge-in-flight";

/** Keeps the sends still in flight in localStorage (amounts as decimal strings). */
function saveTransfers(): void {
  const open = transfers
    .filter((t) => !t.arrived)
    .map((t) => ({
      toChainId: t.toChainId.toString(),
      recipient: t.recipient,
      before: t.before.toString(),
      expected: t.expected.toString(),
      sentAt: t.sentAt,
      token: t.token,
    }));
  try {
    localStorage.setItem(TRANSFERS_KEY, JSON.stringify(open));
  } catch {
    // storage unavailable (private mode): the list lasts as long as the page
  }
}

/** Follows again the sends a previous page left in flight, towards chains of `b` that can be read. */
function restoreTransfers(b: BridgeState): void {
  if (transfers.length > 0) return;
  let stored: {
    toChainId: string;
    recipient: string;
    before: string;
    expected: string;
    sentAt: number;
    token: string;
  }[];
  try {
    stored = JSON.parse(localStorage.getItem(TRANSFERS_KEY) ?? "[]") as typeof stored;
  } catch {
    return;
  }
  for (const t of stored) {
    const reader = b.readers.get(BigInt(t.toChainId));
    if (!reader || !isAddress(t.recipient) || !isAddress(t.token)) continue;
    transfers.push({
      id: ++transferIds,
      toChainId: BigInt(t.toChainId),
      recipient: getAddress(t.recipient),
      before: BigInt(t.before),
      expected: BigInt(t.expected),
      sentAt: t.sentAt,
      arrived: false,
      reader,
      token: getAddress(t.token),
    });
  }
  if (transfers.length === 0) return;
  renderTransfers();
  if (transferTimer === undefined) transferTimer = window.setInterval(() => void pollTransfers(), 2000);
}

const endsOf = (b: BridgeState): BridgeEndConfig[] => [b.config.home, ...b.config.remotes];

/** Sets up the bridge of the chain shown (undefined: none, the panel is hidden). */
function initBridge(config: BridgeConfig | undefined): void {
  const s = session;
  $("bridge").hidden = config === undefined;
  s.bridge = undefined;
  if (config === undefined) return;
  const readers = new Map<bigint, Provider>();
  if (s.reader) readers.set(config.home.chainId, s.reader);
  for (const remote of config.remotes) {
    const reader =
      readProvider(remote) ?? (s.walletChainId === remote.chainId ? s.walletProvider : undefined) ?? undefined;
    if (reader) readers.set(remote.chainId, reader);
  }
  s.bridge = { config, readers, ends: new Map(), unreadable: new Map(), connected: new Set() };
  restoreTransfers(s.bridge);
}

/** Reads every chain of the bridge again (through its own reader), then redraws the panel. */
async function refreshBridge(): Promise<void> {
  const s = session;
  const b = s.bridge;
  const p = s.protocol;
  if (!b || !p) return;
  const ends = new Map<bigint, BridgeEnd>();
  const unreadable = new Map<bigint, string>();
  await Promise.all(
    endsOf(b).map(async (config) => {
      const reader = b.readers.get(config.chainId);
      if (!reader) {
        unreadable.set(config.chainId, "no read RPC in this build");
        return;
      }
      try {
        ends.set(config.chainId, await readBridgeEnd(config, reader, s.account));
      } catch (error) {
        unreadable.set(config.chainId, describeError(error, INTERFACES));
      }
    }),
  );
  const connected = new Set<bigint>();
  const home = ends.get(b.config.home.chainId);
  const homeReader = b.readers.get(b.config.home.chainId);
  if (home && homeReader) {
    await Promise.all(
      b.config.remotes.map(async (config) => {
        const remote = ends.get(config.chainId);
        const reader = b.readers.get(config.chainId);
        if (!remote || !reader) return;
        try {
          const both = await Promise.all([peerMatches(home, remote, homeReader), peerMatches(remote, home, reader)]);
          if (both[0] && both[1]) connected.add(config.chainId);
        } catch {
          // read as not connected
        }
      }),
    );
  }
  const homeRate = await p.wrapper.tpEthPerToken();
  if (s !== session || b !== s.bridge) return;
  Object.assign(b, { ends, unreadable, connected, homeRate });
  renderBridge();
  await bridgePreview();
}

/** A table cell with `text` (and a class). */
function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

/** The bridge table's column names, on each cell too: a phone shows each chain as a card of labelled lines. */
const BRIDGE_COLUMNS = ["Your wtpETH", "Rate", "Bridge"];
function labelCells(row: HTMLTableRowElement): void {
  row.querySelectorAll("td").forEach((td, i) => (td.dataset.label = BRIDGE_COLUMNS[i] ?? ""));
}

function renderBridge(): void {
  const b = session.bridge;
  const body = $("bridge-chains").querySelector("tbody");
  if (!b || !body) return;
  const connectedAccount = session.account !== undefined;
  body.replaceChildren(
    ...endsOf(b).map((config) => {
      const row = document.createElement("tr");
      row.dataset.chainId = config.chainId.toString();
      const end = b.ends.get(config.chainId);
      const home = config.kind === "home";
      row.append(th(chainLabel(config.chainId) + (home ? " · home" : "")));
      if (!end) {
        row.append(
          cell("–"),
          cell("–"),
          cell(`Cannot be read (${b.unreadable.get(config.chainId) ?? "unknown"})`, "bridge-off"),
        );
        row.dataset.state = "unreadable";
        labelCells(row);
        return row;
      }
      row.append(
        cell(connectedAccount && end.balance !== undefined ? amountText(end.balance, "wtpETH") : "–", "balance"),
      );
      if (home) {
        row.append(
          cell(b.homeRate === undefined ? "–" : `1 wtpETH = ${eth(b.homeRate, 9, "tpETH")} (the pool's)`, "rate"),
        );
      } else if (end.rate) {
        const r = remoteRateText(end.rate);
        row.append(cell(r.text, r.stale ? "rate rate-stale" : "rate"));
      } else row.append(cell("–", "rate"));
      const connected = home || b.connected.has(config.chainId);
      const state = end.paused ? "paused" : home ? "home" : connected ? "connected" : "not-connected";
      row.dataset.state = state;
      row.append(
        cell(
          {
            paused: "Paused",
            home: "Home: wtpETH is locked here",
            connected: "Connected",
            "not-connected": "Not connected (its peer does not match)",
          }[state],
          state === "paused" || state === "not-connected" ? "bridge-state bridge-off" : "bridge-state bridge-on",
        ),
      );
      labelCells(row);
      return row;
    }),
  );
  renderBridgeForm();
}

function th(text: string): HTMLTableCellElement {
  const el = document.createElement("th");
  el.scope = "row";
  el.textContent = text;
  return el;
}

/** Whether a send may start from or go to `chainId`: home, or a connected remote chain that was read. */
function usable(b: BridgeState, chainId: bigint): boolean {
  return b.ends.has(chainId) && (chainId === b.config.home.chainId || b.connected.has(chainId));
}

/** The chain a send leaves from: the wallet's, when the bridge can send from it, else home. */
function bridgeFrom(b: BridgeState): BridgeEnd | undefined {
  const walletChain = session.walletChainId;
  const chainId = walletChain !== undefined && usable(b, walletChain) ? walletChain : b.config.home.chainId;
  return b.ends.get(chainId);
}

function renderBridgeForm(): void {
  const b = session.bridge;
  if (!b) return;
  const from = bridgeFrom(b);
  $("bridge-from").textContent = from ? chainLabel(from.config.chainId) : "–";
  const select = $<HTMLSelectElement>("bridge-to");
  const previous = select.value;
  const options = endsOf(b)
    .filter((c) => c.chainId !== from?.config.chainId)
    .map((c) => {
      const option = document.createElement("option");
      option.value = c.chainId.toString();
      const ok = usable(b, c.chainId);
      option.disabled = !ok;
      option.textContent =
        chainLabel(c.chainId) + (ok ? "" : b.ends.has(c.chainId) ? " (not connected)" : " (cannot be read)");
      return option;
    });
  select.replaceChildren(...options);
  const keep = options.find((o) => o.value === previous && !o.disabled) ?? options.find((o) => !o.disabled);
  if (keep) select.value = keep.value;
}

/** The destination chosen, if it can be read. */
function bridgeTo(b: BridgeState): BridgeEnd | undefined {
  const value = $<HTMLSelectElement>("bridge-to").value;
  return value === "" ? undefined : b.ends.get(BigInt(value));
}

/** The recipient typed, else the account; a wrong address is an {InputError}. */
function readRecipient(): string | undefined {
  const text = $<HTMLInputElement>("bridge-recipient").value.trim();
  if (text === "") return session.account;
  if (!isAddress(text)) throw new InputError(`"${text}" is not an address (0x followed by 40 hexadecimal digits).`);
  return getAddress(text);
}

/** The path from `from` to `to` and the send's checks, read fresh on the source chain. */
async function sendContext(b: BridgeState, from: BridgeEnd, to: BridgeEnd) {
  const reader = b.readers.get(from.config.chainId);
  if (!reader) throw new InputError(`${chainLabel(from.config.chainId)} cannot be read by this page.`);
  const path = await readPath(from, to, reader);
  return {
    reader,
    context: {
      from: chainLabel(from.config.chainId),
      to: chainLabel(to.config.chainId),
      balance: session.account ? from.balance : undefined,
      paused: from.paused,
      destinationPaused: to.paused,
      connected: path.connected && usable(b, to.config.chainId),
      available: path.available,
    },
  };
}

const sameQuote = (q: BridgeQuote | undefined, from: bigint, to: bigint, recipient: string, amount: bigint) =>
  q !== undefined && q.fromChainId === from && q.toChainId === to && q.recipient === recipient && q.amount === amount;

async function bridgePreview(): Promise<void> {
  const out = $("bridge-preview");
  const b = session.bridge;
  if (!b) return;
  const seq = ++previewSeq.bridge;
  bridgeQuote = undefined;
  const from = bridgeFrom(b);
  const to = bridgeTo(b);
  if (!from) return setPreview(out, `${chainLabel(b.config.home.chainId)} cannot be read right now.`, true);
  if (!to) return setPreview(out, "No other chain is connected to the bridge right now.", true);
  const input = parseAmountInput($<HTMLInputElement>("bridge-amount").value, "wtpETH");
  if (input.kind === "empty" || input.kind === "zero") {
    return setPreview(out, "Enter an amount to see what arrives, LayerZero's fee and the path's limit.");
  }
  if (input.kind === "problem") return setPreview(out, input.text, true);
  let recipient: string | undefined;
  try {
    recipient = readRecipient();
  } catch (error) {
    return setPreview(out, (error as Error).message, true);
  }
  try {
    const { reader, context } = await sendContext(b, from, to);
    if (seq !== previewSeq.bridge) return;
    const problem = sendProblem(input.wei, context);
    if (problem) return setPreview(out, problem, true);
    // Without an account, the source's bridge contract stands in for the recipient (same message size, same fee).
    const q = await quoteBridgeSend(from, to, reader, recipient ?? from.config.bridge, input.wei, context.available);
    if (seq !== previewSeq.bridge) return;
    const fee = session.account ? feeProblem(q.nativeFee, from.ethBalance, context.from) : undefined;
    if (fee) return setPreview(out, fee, true);
    if (recipient !== undefined) bridgeQuote = q;
    setPreview(out, bridgeQuoteText(q, chainLabel, recipient === session.account));
  } catch (error) {
    if (seq === previewSeq.bridge) setPreview(out, describeError(error, INTERFACES), true);
  }
}

async function bridgeSend(): Promise<void> {
  await runFlow("bridge-status", $<HTMLButtonElement>("bridge-submit"), async (ui) => {
    const s = session;
    const b = s.bridge;
    if (!b) throw new InputError("This network has no wtpETH bridge.");
    if (!s.wallet || !s.walletProvider) throw new InputError(NO_WALLET);
    const account = s.account;
    if (!account) throw new InputError("Connect your wallet first.");
    const amount = readAmount("bridge-amount", "wtpETH");
    const recipient = readRecipient() ?? account;
    await refreshBridge();
    const from = bridgeFrom(b);
    const to = bridgeTo(b);
    if (!from) throw new InputError(`${chainLabel(b.config.home.chainId)} cannot be read right now.`);
    if (!to) throw new InputError("No other chain is connected to the bridge right now.");
    const fromId = from.config.chainId;
    if (s.walletChainId !== fromId) {
      throw new InputError(
        `Your wallet is on ${chainLabel(s.walletChainId ?? 0n)}: switch it to ${chainLabel(fromId)} or a connected chain to send wtpETH from there.`,
      );
    }
    const { reader, context } = await sendContext(b, from, to);
    refuse(sendProblem(amount, context));
    // The quote the user saw is what the minimum and the fee are taken from; without one, make and show it first.
    let q = bridgeQuote;
    if (!sameQuote(q, fromId, to.config.chainId, recipient, amount)) {
      q = await quoteBridgeSend(from, to, reader, recipient, amount, context.available);
      setPreview($("bridge-preview"), bridgeQuoteText(q, chainLabel, recipient === account));
    }
    const chosen = q as BridgeQuote;
    refuse(feeProblem(chosen.nativeFee, await reader.getBalance(account), context.from));
    const toReader = b.readers.get(to.config.chainId);
    if (!toReader) throw new InputError(`${chainLabel(to.config.chainId)} cannot be read by this page.`);
    const before = await WtpEthOFT__factory.connect(to.token, toReader).balanceOf(recipient);
    const signer = await s.walletProvider.getSigner(account);
    const oft = bridgeContract(from.config, signer);
    // At home the adapter takes wtpETH with an allowance: exactly what leaves, never more.
    if (await bridgeContract(from.config, reader).approvalRequired()) {
      const token = WtpEthOFT__factory.connect(from.token, reader);
      if ((await token.allowance(account, from.config.bridge)) < chosen.sent) {
        await ui.send(
          `Approve exactly ${amountText(chosen.sent, "wtpETH", 18)} for the bridge`,
          () => token.connect(signer).approve(from.config.bridge, chosen.sent),
          reader,
        );
      }
    }
    const receipt = await ui.send(
      `Send ${amountText(chosen.sent, "wtpETH")} to ${chainLabel(to.config.chainId)}`,
      () =>
        oft.send(
          oftSendParam(to.eid, recipient, amount, chosen.received),
          { nativeFee: chosen.nativeFee, lzTokenFee: 0n },
          account,
          { value: chosen.nativeFee },
        ),
      reader,
    );
    track({
      id: ++transferIds,
      toChainId: to.config.chainId,
      recipient,
      before,
      expected: chosen.received,
      sentAt: Date.now(),
      arrived: false,
      reader: toReader,
      token: to.token,
    });
    $<HTMLInputElement>("bridge-amount").value = "";
    bridgeQuote = undefined;
    return (
      `Sent ${amountText(chosen.sent, "wtpETH")} from ${chainLabel(fromId)}: ${amountText(chosen.received, "wtpETH")} arrives on ` +
      `${chainLabel(to.config.chainId)} once LayerZero delivers it (fee ${eth(chosen.nativeFee, 18)}). ${blockText(receipt)}`
    );
  });
}

/** Follows a send until the recipient's destination balance shows it (polled every 2 s). */
function track(transfer: Tracked): void {
  transfers = [transfer, ...transfers];
  saveTransfers();
  renderTransfers();
  if (transferTimer === undefined) transferTimer = window.setInterval(() => void pollTransfers(), 2000);
}

async function pollTransfers(): Promise<void> {
  const open = transfers.filter((t) => !t.arrived);
  let changed = false;
  for (const t of open) {
    try {
      const balance = await WtpEthOFT__factory.connect(t.token, t.reader).balanceOf(t.recipient);
      if (hasArrived(t, balance)) {
        t.arrived = true;
        changed = true;
      }
    } catch {
      // the destination's RPC did not answer: try again on the next tick
    }
  }
  if (transfers.every((t) => t.arrived) && transferTimer !== undefined) {
    window.clearInterval(transferTimer);
    transferTimer = undefined;
  }
  if (changed) {
    saveTransfers();
    renderTransfers();
    await refreshBridge().catch(() => undefined);
  }
}

function renderTransfers(): void {
  const list = $("bridge-transfers");
  list.hidden = transfers.length === 0;
  list.replaceChildren(
    ...transfers.map((t) => {
      const item = document.createElement("li");
      item.dataset.state = t.arrived ? "arrived" : "in-flight";
      item.textContent = inFlightText(t, chainLabel);
      return item;
    }),
  );
}

// ──────────────────────────────── Wallet ────────────────────────────────

async function watchAsset(symbol: "tpETH" | "wtpETH", button: HTMLButtonElement): Promise<void> {
  const status = $("watch-status");
  button.disabled = true;
  try {
    const { p } = signerOrFail();
    const provider = session.walletProvider;
    if (!provider) throw new InputError(NO_WALLET);
    setStatus(status, "signing", `Confirm adding ${symbol} in your wallet…`);
    const address = symbol === "tpETH" ? p.addresses.pool : p.addresses.wrapper;
    const added = await provider.send("wallet_watchAsset", {
      type: "ERC20",
      options: { address, symbol, decimals: 18 },
    });
    setStatus(
      status,
      added === false ? "rejected" : "confirmed",
      added === false ? `${symbol} was not added.` : `${symbol} added to your wallet.`,
    );
  } catch (error) {
    if (error instanceof InputError) setStatus(status, "invalid", error.message);
    else if (isUserRejection(error)) setStatus(status, "rejected", `You declined adding ${symbol}.`);
    else setStatus(status, "failed", `Failed: ${describeError(error, INTERFACES)}`);
  } finally {
    button.disabled = false;
  }
}

function renderAccount(): void {
  const account = session.account;
  const el = $("account");
  el.hidden = account === undefined;
  el.textContent = account ? shortAddress(account) : "";
  el.title = account ?? "";
  $<HTMLButtonElement>("connect").hidden = account !== undefined;
}

/** The network pill and the notice: which chain is shown, read-only or not, and a way to switch. */
function renderNetwork(): void {
  const { chain, reader, wallet, walletChainId } = session;
  const pill = $("network");
  const onChain = chain !== undefined && walletChainId === chain.chainId;
  if (!chain) pill.textContent = walletChainId === undefined ? "No network" : chainLabel(walletChainId);
  else pill.textContent = onChain ? chainLabel(chain.chainId) : `${chainLabel(chain.chainId)} · read-only`;
  if (!chain) {
    notice(
      walletChainId === undefined
        ? "This build knows no Tidepool deployment."
        : `Tidepool is not deployed on ${chainLabel(walletChainId)}, and this build knows no other network.`,
    );
  } else if (!wallet) {
    notice(
      reader
        ? `No wallet found: the figures are read from ${chainLabel(chain.chainId)}. To stake, install a browser wallet (any EIP-6963 wallet, e.g. MetaMask) and reload.`
        : `${NO_WALLET} (This build has no public RPC to read ${chainLabel(chain.chainId)} without one.)`,
    );
  } else if (!onChain) {
    const remote = bridgeOf(chain.chainId)?.remotes.some((r) => r.chainId === walletChainId) ?? false;
    notice(
      `Your wallet is on ${chainLabel(walletChainId ?? 0n)}. Tidepool here runs on ${chainLabel(chain.chainId)}` +
        (reader ? ": the figures are read from it. " : ". ") +
        "Switch your wallet's network to stake." +
        (remote ? " Your wtpETH on this chain can be sent from \u201cwtpETH on other chains\u201d, below." : ""),
      true,
    );
  } else notice(undefined);
}

/** Wallets whose events are listened to (once each). */
const listened = new WeakSet<object>();

function listenTo(wallet: WalletChoice): void {
  if (listened.has(wallet.provider)) return;
  listened.add(wallet.provider);
  wallet.provider.on?.("chainChanged", () => {
    if (session.wallet === wallet) void start(wallet).catch(startFailed);
  });
  wallet.provider.on?.("accountsChanged", (accounts) => {
    if (session.wallet !== wallet) return;
    const list = accounts as string[];
    void setAccount(list[0])
      .then(() => refresh())
      .catch(() => undefined);
  });
}

/**
 * Shows the chain of `wallet` if it has a deployment, else the default chain (read-only); with no
 * wallet, the default chain read-only. Starts again from scratch on every chain change.
 */
async function start(wallet: WalletChoice | undefined): Promise<void> {
  const seq = ++startSeq;
  let walletProvider: BrowserProvider | undefined;
  let walletChainId: bigint | undefined;
  if (wallet) {
    listenTo(wallet);
    walletChainId = BigInt((await wallet.provider.request({ method: "eth_chainId" })) as string);
    walletProvider = new BrowserProvider(wallet.provider);
    walletProvider.pollingInterval = 1000;
  }
  if (seq !== startSeq) return;
  const walletChain = walletChainId === undefined ? undefined : chainOf(walletChainId);
  const chain = walletChain ?? defaultChain();
  const reader = chain === undefined ? undefined : (readProvider(chain) ?? (walletChain ? walletProvider : undefined));
  session = { chain, reader, wallet, walletProvider, walletChainId };
  quote = undefined;
  bridgeQuote = undefined;
  initBridge(undefined);
  renderNetwork();
  renderAccount();
  if (!chain || !reader) return;
  const protocol = await connectProtocol(chain.pool, reader);
  if (seq !== startSeq) return;
  session.protocol = protocol;
  initBridge(bridgeOf(chain.chainId));
  $("addresses").textContent = ` · tpETH ${protocol.addresses.pool} · wtpETH ${protocol.addresses.wrapper}`;
  if (wallet) {
    const authorised = (await wallet.provider.request({ method: "eth_accounts" })) as string[];
    if (seq !== startSeq) return;
    await setAccount(authorised[0]);
  }
  if (seq !== startSeq) return;
  await refresh();
}

/** Uses `account` (undefined: none); signs with it only while the wallet is on the chain shown. */
async function setAccount(account: string | undefined): Promise<void> {
  const s = session;
  const signer =
    account !== undefined && s.walletProvider && s.walletChainId === s.chain?.chainId
      ? await s.walletProvider.getSigner(account)
      : undefined;
  if (s !== session) return;
  s.account = account === undefined ? undefined : getAddress(account);
  s.signer = signer;
  renderAccount();
}

async function connect(): Promise<void> {
  const button = $<HTMLButtonElement>("connect");
  const status = $("wallet-status");
  button.disabled = true;
  try {
    const choice = $<HTMLSelectElement>("wallet-choice");
    const wallet = wallets.find((w) => w.info.uuid === choice.value) ?? wallets[0];
    if (!wallet) {
      setStatus(status, "invalid", NO_WALLET);
      return;
    }
    if (session.wallet !== wallet) await start(wallet);
    const accounts = (await wallet.provider.request({ method: "eth_requestAccounts" })) as string[];
    if (accounts.length > 0) {
      await setAccount(accounts[0]);
      await refresh();
    }
    setStatus(status, "idle", "");
  } catch (error) {
    if (isUserRejection(error)) setStatus(status, "rejected", "You declined the connection in your wallet.");
    else setStatus(status, "failed", `Failed: ${describeError(error, INTERFACES)}`);
  } finally {
    button.disabled = false;
  }
}

/** Asks the wallet to switch to the chain shown (adding it first if it does not know it). */
async function switchNetwork(): Promise<void> {
  const s = session;
  const button = $<HTMLButtonElement>("switch-network");
  const status = $("wallet-status");
  if (!s.wallet || !s.chain) return;
  const target = chainLabel(s.chain.chainId);
  button.disabled = true;
  setStatus(status, "signing", `Confirm the switch to ${target} in your wallet…`);
  try {
    await switchWalletTo(s.wallet.provider, s.chain);
    // Wallets announce the change (chainChanged, which starts again); this covers one that does not.
    await start(s.wallet);
    setStatus(status, "confirmed", `Your wallet is on ${target} now.`);
  } catch (error) {
    if (isUserRejection(error))
      setStatus(status, "rejected", `You declined the switch: your wallet stays where it is.`);
    else if (error instanceof UnknownChainError) setStatus(status, "invalid", error.message);
    else setStatus(status, "failed", `Failed: ${describeError(error, INTERFACES)}`);
  } finally {
    button.disabled = false;
  }
}

function renderWalletChoice(found: WalletChoice[]): void {
  wallets = found;
  const select = $<HTMLSelectElement>("wallet-choice");
  select.replaceChildren(
    ...found.map((w) => {
      const option = document.createElement("option");
      option.value = w.info.uuid;
      option.textContent = w.info.name;
      return option;
    }),
  );
  select.hidden = found.length < 2;
}

function startFailed(error: unknown): void {
  notice(`Could not read the protocol: ${describeError(error, INTERFACES)}`);
}

// ──────────────────────────────── Start ────────────────────────────────

function onSubmit(formId: string, action: () => Promise<void>): void {
  $(formId).addEventListener("submit", (event) => {
    event.preventDefault();
    void action();
  });
}

function onInput(ids: string[], preview: () => Promise<void>): void {
  for (const id of ids) $(id).addEventListener("input", () => void preview().catch(() => undefined));
}

function setMax(inputId: string, value: () => bigint | undefined, preview: () => Promise<void>): void {
  $(inputId.replace("-amount", "-max")).addEventListener("click", () => {
    const wei = value();
    if (wei === undefined) return;
    $<HTMLInputElement>(inputId).value = eth(wei, 18, "");
    void preview().catch(() => undefined);
  });
}

async function main(): Promise<void> {
  onSubmit("stake-form", stake);
  onSubmit("wrap-form", wrapOrUnwrap);
  onSubmit("withdraw-form", requestWithdrawal);
  onSubmit("instant-form", instantRedeem);
  onInput(["stake-amount"], stakePreview);
  onInput(["wrap-amount"], wrapPreview);
  onInput(["withdraw-amount"], withdrawPreview);
  onInput(["instant-amount", "instant-slippage"], instantPreview);
  onSubmit("bridge-form", bridgeSend);
  onInput(["bridge-amount", "bridge-recipient", "bridge-to"], bridgePreview);
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="wrap-direction"]')) {
    radio.addEventListener("change", onWrapDirection);
  }
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="withdraw-token"]')) {
    radio.addEventListener("change", onWithdrawToken);
  }
  // Max fills in only what an account can do.
  const snap = (): Snapshot | undefined => (session.account ? session.snapshot : undefined);
  // Max ETH to stake keeps 0.01 ETH for gas, within the stake limit.
  setMax(
    "stake-amount",
    () => {
      const s = snap();
      if (!s) return undefined;
      const spendable = s.ethBalance > 10n ** 16n ? s.ethBalance - 10n ** 16n : 0n;
      return spendable < s.stakeLimit ? spendable : s.stakeLimit;
    },
    stakePreview,
  );
  setMax("wrap-amount", () => (wrapDirection() === "wrap" ? snap()?.tpBalance : snap()?.wBalance), wrapPreview);
  setMax(
    "withdraw-amount",
    () => (withdrawToken() === "tpETH" ? snap()?.tpBalance : snap()?.wBalance),
    withdrawPreview,
  );
  setMax(
    "instant-amount",
    () => {
      const s = snap();
      return s ? instantLimitOf(s).amount : undefined;
    },
    instantPreview,
  );
  // Max sends all the wtpETH on the chain the send leaves from (the dust below 6 decimals stays).
  setMax(
    "bridge-amount",
    () => {
      const b = session.bridge;
      return b && session.account ? bridgeFrom(b)?.balance : undefined;
    },
    bridgePreview,
  );
  $("connect").addEventListener("click", () => void connect());
  $("switch-network").addEventListener("click", () => void switchNetwork());
  $("claim-all").addEventListener("click", () => void claimAll());
  $("watch-tpeth").addEventListener("click", (e) => void watchAsset("tpETH", e.currentTarget as HTMLButtonElement));
  $("watch-wtpeth").addEventListener("click", (e) => void watchAsset("wtpETH", e.currentTarget as HTMLButtonElement));
  // The chart is drawn at its width: again when that changes (rotation, resizing).
  new ResizeObserver(() => {
    if ($("chart").clientWidth !== chartWidth && chartPoints.length > 0) drawChart();
  }).observe($("chart"));

  const found = await discoverWallets(300, (all) => renderWalletChoice(all));
  renderWalletChoice(found);
  await start(found[0]);
  // Keep the numbers fresh (new blocks, reports) without redrawing the chart every time.
  window.setInterval(() => void refresh(false).catch(() => undefined), 15_000);
  document.body.dataset.ready = "true";
}

main().catch((error: unknown) => {
  startFailed(error);
  document.body.dataset.ready = "error";
});
