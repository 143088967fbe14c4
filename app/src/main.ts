/**
 * Tidepool's web app: connect a wallet, see the protocol and your balances, stake, wrap/unwrap,
 * request withdrawals (with a permit where the wallet signs typed data), claim them, redeem
 * instantly, add the tokens to the wallet. Design notes: docs/app.md.
 *
 * Every action runs through {runFlow}: inputs are validated against fresh on-chain values before
 * anything is sent, and its status line (`data-tx-state`) goes through signing → pending →
 * confirmed, or ends as invalid / rejected / failed with the decoded custom error in words.
 */
import {
  BrowserProvider,
  Signature,
  ZeroAddress,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type JsonRpcSigner,
} from "ethers";
import { eth, parseEthText, percentBP, duration, ratio } from "../../sdk/src/format";
import { PERMIT_TYPES, permitDomain } from "../../sdk/src/permit";
import { frameTiming, slotTime, type FrameTiming } from "../../sdk/src/report";
import { readProtocolStatus, shareRateText, type ProtocolStatus } from "../../sdk/src/status";
import { checkpointHints, expectedWait, requestState, type ExpectedWait } from "../../sdk/src/withdrawals";
import { connectProtocol, deploymentOf, INTERFACES, type Protocol } from "./contracts";
import { describeError } from "../../sdk/src/errors";
import { discoverWallets, isUnsupportedMethod, isUserRejection, type WalletChoice } from "./wallet";
import { rateChartSvg, type RatePoint } from "./chart";

// ──────────────────────────────── Page helpers ────────────────────────────────

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

/** "1234.5 ETH" → "1,234.5 ETH": amounts with grouped thousands and their unit. */
function show(wei: bigint, unit = "ETH", decimals = 6): string {
  const [num, ...rest] = eth(wei, decimals, unit).split(" ");
  const [whole, frac] = num.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return [frac === undefined ? grouped : `${grouped}.${frac}`, ...rest].join(" ");
}

const shortAddress = (a: string): string => `${a.slice(0, 6)}…${a.slice(-4)}`;

const NETWORKS: Record<string, string> = {
  "1": "Ethereum",
  "560048": "Hoodi testnet",
  "31337": "Local Hardhat",
};

/** A wrong input: shown in the status line; nothing is sent. */
class InputError extends Error {}

type TxState = "idle" | "checking" | "invalid" | "signing" | "pending" | "confirmed" | "failed" | "rejected";

function setStatus(el: HTMLElement, state: TxState, text: string): void {
  el.dataset.txState = state;
  el.textContent = text;
}

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
  frameRemaining: bigint;
  ethBalance: bigint;
  tpBalance: bigint;
  tpShares: bigint;
  wBalance: bigint;
}

interface Session {
  wallet: WalletChoice;
  provider: BrowserProvider;
  chainId: bigint;
  protocol?: Protocol;
  account?: string;
  signer?: JsonRpcSigner;
  snapshot?: Snapshot;
}

let session: Session | undefined;
let wallets: WalletChoice[] = [];

function notice(text: string | undefined): void {
  const el = $("notice");
  el.hidden = text === undefined;
  el.textContent = text ?? "";
}

function protocolOrFail(): Protocol {
  if (!session?.protocol) throw new InputError("Tidepool is not deployed on this network.");
  return session.protocol;
}

function signerOrFail(): { signer: JsonRpcSigner; account: string; p: Protocol } {
  const p = protocolOrFail();
  if (!session?.signer || !session.account) throw new InputError("Connect your wallet first.");
  return { signer: session.signer, account: session.account, p };
}

/** Parses an amount input; throws {InputError} in words when it is not a positive amount. */
function readAmount(inputId: string, unit: string): bigint {
  const text = $<HTMLInputElement>(inputId).value;
  const wei = parseEthText(text);
  if (text.trim() === "") throw new InputError(`Enter an amount of ${unit}.`);
  if (wei === undefined) throw new InputError(`"${text.trim()}" is not an amount of ${unit} (e.g. 1.5).`);
  if (wei === 0n) throw new InputError("The amount must be more than zero.");
  return wei;
}

function atMost(amount: bigint, limit: bigint, unit: string, what: string): void {
  if (amount > limit) throw new InputError(`${show(amount, unit)} is more than ${what} (${show(limit, unit)}).`);
}

// ──────────────────────────────── Reading ────────────────────────────────

async function readSnapshot(p: Protocol, provider: BrowserProvider, account?: string): Promise<Snapshot> {
  const [status, timing, frame, lastProcessedRefSlot, block, stakeLimit, minW, maxW, redeemParams] = await Promise.all([
    readProtocolStatus({ pool: p.pool, oracle: p.oracle, withdrawalQueue: p.queue }),
    frameTiming(p.oracle),
    p.oracle.getCurrentFrame(),
    p.oracle.getLastProcessedRefSlot(),
    provider.getBlock("latest"),
    p.pool.getCurrentStakeLimit(),
    p.queue.MIN_WITHDRAWAL_AMOUNT(),
    p.queue.MAX_WITHDRAWAL_AMOUNT(),
    p.pool.getInstantRedeemParams(),
  ]);
  const [ethBalance, tpBalance, tpShares, wBalance] = account
    ? await Promise.all([
        provider.getBalance(account),
        p.pool.balanceOf(account),
        p.pool.sharesOf(account),
        p.wrapper.balanceOf(account),
      ])
    : [0n, 0n, 0n, 0n];
  return {
    status,
    timing,
    currentRefSlot: frame[0],
    lastProcessedRefSlot,
    now: BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000)),
    stakeLimit,
    minWithdrawal: minW,
    maxWithdrawal: maxW,
    frameRemaining: redeemParams[3],
    ethBalance,
    tpBalance,
    tpShares,
    wBalance,
  };
}

function waitText(w: ExpectedWait): string {
  if (w.reason === "bunker-mode") return "held back while bunker mode lasts";
  if (w.reason === "validator-exits") return "a few days: validators must exit first";
  const seconds = w.seconds ?? 0n;
  if (seconds === 0n) return "next oracle report (due now)";
  // Minutes are precise enough for a wait of hours.
  return `next oracle report, in ~${duration(seconds >= 60n ? seconds - (seconds % 60n) : seconds)}`;
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

function renderSnapshot(s: Snapshot): void {
  const st = s.status;
  $("stat-tvl").textContent = show(st.totalEther);
  $("stat-rate").textContent = `${shareRateText(st.totalEther, st.totalShares, 9)} ETH per share`;
  $("stat-apr").textContent = percentBP(st.aprBP);
  const waiting = st.lastRequestId - st.lastFinalizedRequestId;
  $("stat-queue").textContent = `${waiting} request${waiting === 1n ? "" : "s"} · ${show(st.unfinalizedEther)} waiting`;
  $("stat-wait").textContent = waitText(waitFor(s, 0n));
  $("stat-liquidity").textContent = show(st.instantLiquidity);
  $("stat-bunker").hidden = !st.bunkerMode;
  const connected = session?.account !== undefined;
  $("bal-eth").textContent = connected ? show(s.ethBalance) : "–";
  $("bal-tpeth").textContent = connected ? show(s.tpBalance, "tpETH") : "–";
  $("bal-wtpeth").textContent = connected ? show(s.wBalance, "wtpETH") : "–";
}

async function renderChart(p: Protocol, timing: FrameTiming): Promise<void> {
  const logs = await p.oracle.queryFilter(p.oracle.filters.ReportApplied(), 0);
  const points: RatePoint[] = logs
    .filter((l) => l.args.postTotalShares > 0n)
    .map((l) => ({
      time: Number(slotTime(timing, l.args.refSlot)),
      rate: Number(ratio(l.args.postTotalEther, l.args.postTotalShares, 12)),
    }));
  const chart = $("chart");
  if (points.length === 0) {
    chart.innerHTML = '<p class="muted">No reports yet.</p>';
    return;
  }
  chart.innerHTML = rateChartSvg(points);
  chart.setAttribute(
    "aria-label",
    `Share rate after each of ${points.length} oracle reports, latest ${points[points.length - 1].rate.toFixed(9)} ETH per share`,
  );
}

async function renderRequests(p: Protocol, account: string): Promise<void> {
  const open = [...(await p.queue.getWithdrawalRequests(account))];
  const claimedLogs = await p.queue.queryFilter(p.queue.filters.WithdrawalClaimed(undefined, account), 0);
  const ids = [...new Set([...open, ...claimedLogs.map((l) => l.args.requestId)])].sort((a, b) => (a < b ? 1 : -1));
  const body = $("requests").querySelector("tbody");
  if (!body) return;
  body.replaceChildren();
  $("requests-empty").hidden = ids.length > 0;
  if (ids.length === 0) {
    $<HTMLButtonElement>("claim-all").disabled = true;
    return;
  }
  const statuses = await p.queue.getWithdrawalStatus(ids);
  const ready = ids.filter((_, i) => requestState(statuses[i]) === "claimable");
  const hints = await checkpointHints(p.queue, ready);
  const claimable = ready.length === 0 ? [] : await p.queue.getClaimableEther(ready, hints);
  ids.forEach((id, i) => {
    const state = requestState(statuses[i]);
    const row = document.createElement("tr");
    const cells = [
      `#${id}`,
      show(statuses[i].amountOfEther),
      { pending: "Waiting for finalization", claimable: "Ready to claim", claimed: "Claimed" }[state],
      state === "claimable" ? show(claimable[ready.indexOf(id)]) : "–",
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
  if (!s?.protocol) return;
  const snapshot = await readSnapshot(s.protocol, s.provider, s.account);
  s.snapshot = snapshot;
  renderSnapshot(snapshot);
  if (full) {
    await renderChart(s.protocol, snapshot.timing);
    if (s.account) await renderRequests(s.protocol, s.account);
  }
  await Promise.all([stakePreview(), wrapPreview(), withdrawPreview(), instantPreview()]);
}

// ──────────────────────────────── Transactions ────────────────────────────────

interface FlowUi {
  /** Sends a transaction: signing → pending → mined; throws if it reverted. */
  send(label: string, submit: () => Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt>;
  /** Shows that the wallet is asked for a signature (not a transaction). */
  signing(text: string): void;
}

/**
 * Runs one user action: validation errors → "invalid", a declined wallet prompt → "rejected",
 * a revert → "failed" with the custom error in words, else "confirmed" with `body`'s summary
 * (after the page has been refreshed, so the numbers shown are the new ones).
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
    async send(label, submit) {
      setStatus(status, "signing", `${label}: confirm in your wallet…`);
      const tx = await submit();
      setStatus(status, "pending", `${label}: pending (transaction ${shortAddress(tx.hash)})…`);
      const receipt = await tx.wait();
      if (!receipt || receipt.status !== 1) throw new Error(`${label}: the transaction reverted`);
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

function eventArgs(p: Protocol, receipt: ContractTransactionReceipt, name: string): ReadonlyArray<unknown> | undefined {
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

const blockText = (r: ContractTransactionReceipt): string => `Confirmed in block ${r.blockNumber}.`;

// ──────────────────────────────── Stake ────────────────────────────────

async function stakePreview(): Promise<void> {
  const out = $("stake-preview");
  const s = session?.snapshot;
  const p = session?.protocol;
  if (!s || !p) return;
  const rate = `1 share = ${shareRateText(s.status.totalEther, s.status.totalShares, 9)} ETH · APR ${percentBP(s.status.aprBP)}`;
  const wei = parseEthText($<HTMLInputElement>("stake-amount").value);
  if (wei === undefined || wei === 0n) {
    out.textContent = rate;
    return;
  }
  const shares = await p.pool.getSharesByPooledEth(wei);
  const tp = await p.pool.getPooledEthByShares(shares);
  out.textContent = `You will receive ${show(tp, "tpETH")} (${shares} shares). ${rate}`;
}

async function stake(): Promise<void> {
  await runFlow("stake-status", $<HTMLButtonElement>("stake-submit"), async (ui) => {
    const { signer, account, p } = signerOrFail();
    const amount = readAmount("stake-amount", "ETH");
    const [balance, limit, paused] = await Promise.all([
      session!.provider.getBalance(account),
      p.pool.getCurrentStakeLimit(),
      p.pool.pausedCapabilities(),
    ]);
    atMost(amount, balance, "ETH", "your ETH balance");
    if ((paused & 1n) !== 0n) throw new InputError("Staking is paused right now. Please try again later.");
    atMost(amount, limit, "ETH", "what can be staked right now (the stake limit)");
    const receipt = await ui.send(`Stake ${show(amount)}`, () =>
      p.pool.connect(signer).stake(ZeroAddress, { value: amount }),
    );
    const args = eventArgs(p, receipt, "Staked");
    const shares = args ? BigInt(args[2] as bigint) : 0n;
    $<HTMLInputElement>("stake-amount").value = "";
    return `Staked ${show(amount)}: received ${show(await p.pool.getPooledEthByShares(shares), "tpETH")} (${shares} shares). ${blockText(receipt)}`;
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

async function wrapPreview(): Promise<void> {
  const out = $("wrap-preview");
  const p = session?.protocol;
  if (!p) return;
  const per = await p.wrapper.tpEthPerToken();
  const rate = `1 wtpETH = ${show(per, "tpETH", 9)}`;
  const wei = parseEthText($<HTMLInputElement>("wrap-amount").value);
  if (wei === undefined || wei === 0n) {
    out.textContent = rate;
    return;
  }
  out.textContent =
    wrapDirection() === "wrap"
      ? `You will receive ${show(await p.wrapper.previewDeposit(wei), "wtpETH")}. ${rate}`
      : `You will receive ${show(await p.wrapper.previewRedeem(wei), "tpETH")}. ${rate}`;
}

async function wrapOrUnwrap(): Promise<void> {
  await runFlow("wrap-status", $<HTMLButtonElement>("wrap-submit"), async (ui) => {
    const { signer, account, p } = signerOrFail();
    const direction = wrapDirection();
    const wrapper = p.wrapper.connect(signer);
    if (direction === "wrap") {
      const amount = readAmount("wrap-amount", "tpETH");
      atMost(amount, await p.pool.balanceOf(account), "tpETH", "your tpETH balance");
      const receipt = await ui.send(`Wrap ${show(amount, "tpETH")}`, () => wrapper.wrap(amount));
      const args = eventArgs(p, receipt, "Deposit");
      $<HTMLInputElement>("wrap-amount").value = "";
      return `Wrapped ${show(amount, "tpETH")} into ${show(args ? BigInt(args[3] as bigint) : 0n, "wtpETH")}. ${blockText(receipt)}`;
    }
    const amount = readAmount("wrap-amount", "wtpETH");
    atMost(amount, await p.wrapper.balanceOf(account), "wtpETH", "your wtpETH balance");
    const receipt = await ui.send(`Unwrap ${show(amount, "wtpETH")}`, () => wrapper.unwrap(amount));
    const args = eventArgs(p, receipt, "Withdraw");
    $<HTMLInputElement>("wrap-amount").value = "";
    return `Unwrapped ${show(amount, "wtpETH")} into ${show(args ? BigInt(args[3] as bigint) : 0n, "tpETH")}. ${blockText(receipt)}`;
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

async function withdrawPreview(): Promise<void> {
  const out = $("withdraw-preview");
  const s = session?.snapshot;
  const p = session?.protocol;
  if (!s || !p) return;
  const bounds = `Each request: ${s.minWithdrawal} wei to ${show(s.maxWithdrawal)}.`;
  const wei = parseEthText($<HTMLInputElement>("withdraw-amount").value);
  if (wei === undefined || wei === 0n) {
    out.textContent = bounds;
    return;
  }
  const value = await requestValue(p, withdrawToken(), wei);
  out.textContent = `Worth ${show(value)} now · expected wait: ${waitText(waitFor(s, value))}. ${bounds}`;
}

async function requestWithdrawal(): Promise<void> {
  await runFlow("withdraw-status", $<HTMLButtonElement>("withdraw-submit"), async (ui) => {
    const { signer, account, p } = signerOrFail();
    const tokenName = withdrawToken();
    const amount = readAmount("withdraw-amount", tokenName);
    const token = tokenName === "tpETH" ? p.pool : p.wrapper;
    atMost(amount, await token.balanceOf(account), tokenName, `your ${tokenName} balance`);
    const [value, min, max] = await Promise.all([
      requestValue(p, tokenName, amount),
      p.queue.MIN_WITHDRAWAL_AMOUNT(),
      p.queue.MAX_WITHDRAWAL_AMOUNT(),
    ]);
    if (value < min || value > max) {
      throw new InputError(
        `A withdrawal request must be worth between ${min} wei and ${show(max)}; this one is worth ${show(value)}.` +
          (value > max ? " Split it into several requests." : ""),
      );
    }
    const queue = p.queue.connect(signer);
    const spender = p.addresses.queue;
    const label = `Request withdrawal of ${show(amount, tokenName)}`;
    let receipt: ContractTransactionReceipt | undefined;
    if ($<HTMLInputElement>("withdraw-permit").checked) {
      const block = await session!.provider.getBlock("latest");
      const deadline = BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000)) + 3600n;
      const nonce = await token.nonces(account);
      const domain = await permitDomain(token);
      ui.signing(`Sign the permit for exactly ${show(amount, tokenName)} in your wallet (no gas)…`);
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
        await ui.send(`Approve exactly ${show(amount, tokenName)} for the withdrawal queue`, () =>
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
    const ether = args ? show(BigInt(args[3] as bigint)) : show(value);
    return `Request #${id} created for ${ether}. ${blockText(receipt)}`;
  });
}

async function claim(ids: bigint[], button: HTMLButtonElement): Promise<void> {
  await runFlow("claim-status", button, async (ui) => {
    const { signer, p } = signerOrFail();
    const hints = await checkpointHints(p.queue, ids);
    const amounts = await p.queue.getClaimableEther(ids, hints);
    const total = amounts.reduce((a, b) => a + b, 0n);
    const list = ids.map((id) => `#${id}`).join(", ");
    const receipt = await ui.send(`Claim ${list} (${show(total)})`, () =>
      p.queue.connect(signer).claimWithdrawals(ids, hints),
    );
    return `Claimed ${list}: ${show(total)} sent to your account. ${blockText(receipt)}`;
  });
}

async function claimAll(): Promise<void> {
  const account = session?.account;
  const p = session?.protocol;
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
  const text = $<HTMLInputElement>("instant-slippage").value.trim();
  const wei = parseEthText(text);
  if (wei === undefined || wei > 50n * 10n ** 18n)
    throw new InputError("Slippage tolerance must be between 0 and 50 %.");
  return (wei * 100n) / 10n ** 18n;
}

async function makeQuote(p: Protocol, amount: bigint, slippageBP: bigint): Promise<Quote> {
  const [ethOut, fee] = await p.pool.previewInstantRedeem(amount);
  return { amount, slippageBP, ethOut, fee, minOut: (ethOut * (10_000n - slippageBP)) / 10_000n };
}

function quoteText(q: Quote): string {
  const feeBP = q.amount === 0n ? 0n : (q.fee * 10_000n) / q.amount;
  return `You receive ${show(q.ethOut)} · fee ${show(q.fee)} (${percentBP(feeBP)}) · minimum received ${show(q.minOut)}.`;
}

async function instantPreview(): Promise<void> {
  const out = $("instant-preview");
  const s = session?.snapshot;
  const p = session?.protocol;
  if (!s || !p) return;
  const available = `Available now: ${show(s.status.instantLiquidity)} (today's cap: ${show(s.frameRemaining, "tpETH")} left).`;
  const wei = parseEthText($<HTMLInputElement>("instant-amount").value);
  let slippageBP: bigint;
  try {
    slippageBP = readSlippageBP();
  } catch (error) {
    out.textContent = (error as Error).message;
    return;
  }
  if (wei === undefined || wei === 0n) {
    quote = undefined;
    out.textContent = available;
    return;
  }
  try {
    quote = await makeQuote(p, wei, slippageBP);
    out.textContent = `${quoteText(quote)} ${available}`;
  } catch (error) {
    quote = undefined;
    out.textContent = `${describeError(error, INTERFACES)} ${available}`;
  }
}

async function instantRedeem(): Promise<void> {
  await runFlow("instant-status", $<HTMLButtonElement>("instant-submit"), async (ui) => {
    const { signer, account, p } = signerOrFail();
    const amount = readAmount("instant-amount", "tpETH");
    const slippageBP = readSlippageBP();
    const [balance, liquidity, params, bunker] = await Promise.all([
      p.pool.balanceOf(account),
      p.pool.instantLiquidity(),
      p.pool.getInstantRedeemParams(),
      p.pool.isBunkerModeActive(),
    ]);
    if (bunker) throw new InputError("Instant redemption is off in bunker mode; request a withdrawal instead.");
    atMost(amount, balance, "tpETH", "your tpETH balance");
    atMost(amount, liquidity, "ETH", "the instant liquidity available");
    atMost(amount, params[3], "tpETH", "what can still be redeemed instantly today");
    // The quote the user saw is what the minimum is taken from; without one, make and show it first.
    let q = quote;
    if (!q || q.amount !== amount || q.slippageBP !== slippageBP) {
      q = await makeQuote(p, amount, slippageBP);
      $("instant-preview").textContent = quoteText(q);
    }
    const chosen = q;
    const receipt = await ui.send(`Redeem ${show(amount, "tpETH")} for at least ${show(chosen.minOut)}`, () =>
      p.pool.connect(signer).instantRedeem(amount, chosen.minOut, account),
    );
    const args = eventArgs(p, receipt, "InstantRedeemed");
    const out = args ? BigInt(args[4] as bigint) : 0n;
    const fee = args ? BigInt(args[5] as bigint) : 0n;
    $<HTMLInputElement>("instant-amount").value = "";
    quote = undefined;
    return `Redeemed ${show(amount, "tpETH")}: received ${show(out)} (fee ${show(fee)}). ${blockText(receipt)}`;
  });
}

// ──────────────────────────────── Wallet ────────────────────────────────

async function watchAsset(symbol: "tpETH" | "wtpETH", button: HTMLButtonElement): Promise<void> {
  const status = $("watch-status");
  button.disabled = true;
  try {
    const p = protocolOrFail();
    if (!session) throw new InputError("Connect your wallet first.");
    setStatus(status, "signing", `Confirm adding ${symbol} in your wallet…`);
    const address = symbol === "tpETH" ? p.addresses.pool : p.addresses.wrapper;
    const added = await session.provider.send("wallet_watchAsset", {
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
  const account = session?.account;
  const el = $("account");
  el.hidden = account === undefined;
  el.textContent = account ? shortAddress(account) : "";
  el.title = account ?? "";
  const connect = $<HTMLButtonElement>("connect");
  connect.hidden = account !== undefined;
}

/** Reads through `wallet` (no account needed) and shows the chain's deployment, if any. */
async function useWallet(wallet: WalletChoice): Promise<void> {
  const provider = new BrowserProvider(wallet.provider);
  provider.pollingInterval = 1000;
  const chainId = (await provider.getNetwork()).chainId;
  session = { wallet, provider, chainId };
  $("network").textContent = `${NETWORKS[chainId.toString()] ?? "Chain"} (${chainId})`;
  wallet.provider.on?.("chainChanged", () => window.location.reload());
  wallet.provider.on?.("accountsChanged", (accounts) => {
    const list = accounts as string[];
    if (list.length === 0 || !session) return;
    void setAccount(list[0]);
  });
  const deployment = deploymentOf(chainId);
  if (!deployment) {
    const known = Object.keys(__TIDEPOOL_DEPLOYMENTS__).map((id) => NETWORKS[id] ?? `chain ${id}`);
    notice(
      `Tidepool is not deployed on this network (chain ${chainId}). Switch your wallet to ${known.join(" or ") || "a network with a deployment"}.`,
    );
    return;
  }
  notice(undefined);
  session.protocol = await connectProtocol(deployment.pool, provider);
  $("addresses").textContent = ` · tpETH ${deployment.pool} · wtpETH ${session.protocol.addresses.wrapper}`;
  const authorised = (await provider.send("eth_accounts", [])) as string[];
  if (authorised.length > 0) await setAccount(authorised[0]);
  else await refresh();
}

async function setAccount(account: string): Promise<void> {
  if (!session) return;
  session.signer = await session.provider.getSigner(account);
  session.account = session.signer.address;
  renderAccount();
  await refresh();
}

async function connect(): Promise<void> {
  const button = $<HTMLButtonElement>("connect");
  button.disabled = true;
  try {
    const choice = $<HTMLSelectElement>("wallet-choice");
    const wallet = wallets.find((w) => w.info.uuid === choice.value) ?? wallets[0];
    if (!wallet) {
      notice("No wallet found. Install a browser wallet (any EIP-6963 wallet, e.g. MetaMask) and reload.");
      return;
    }
    if (session?.wallet !== wallet) await useWallet(wallet);
    const accounts = (await wallet.provider.request({ method: "eth_requestAccounts" })) as string[];
    if (accounts.length > 0) await setAccount(accounts[0]);
  } catch (error) {
    notice(isUserRejection(error) ? "You declined the connection in your wallet." : describeError(error, INTERFACES));
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
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="wrap-direction"]')) {
    radio.addEventListener("change", onWrapDirection);
  }
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="withdraw-token"]')) {
    radio.addEventListener("change", onWithdrawToken);
  }
  const snap = (): Snapshot | undefined => session?.snapshot;
  // Max ETH to stake keeps 0.01 ETH for gas.
  setMax(
    "stake-amount",
    () => {
      const b = snap()?.ethBalance;
      return b === undefined ? undefined : b > 10n ** 16n ? b - 10n ** 16n : 0n;
    },
    stakePreview,
  );
  setMax("wrap-amount", () => (wrapDirection() === "wrap" ? snap()?.tpBalance : snap()?.wBalance), wrapPreview);
  setMax(
    "withdraw-amount",
    () => (withdrawToken() === "tpETH" ? snap()?.tpBalance : snap()?.wBalance),
    withdrawPreview,
  );
  setMax("instant-amount", () => snap()?.tpBalance, instantPreview);
  $("connect").addEventListener("click", () => void connect());
  $("claim-all").addEventListener("click", () => void claimAll());
  $("watch-tpeth").addEventListener("click", (e) => void watchAsset("tpETH", e.currentTarget as HTMLButtonElement));
  $("watch-wtpeth").addEventListener("click", (e) => void watchAsset("wtpETH", e.currentTarget as HTMLButtonElement));

  const found = await discoverWallets(300, (all) => renderWalletChoice(all));
  renderWalletChoice(found);
  if (found.length === 0) {
    notice("No wallet found. Install a browser wallet (any EIP-6963 wallet, e.g. MetaMask) and reload.");
    $("network").textContent = "No wallet";
    return;
  }
  await useWallet(found[0]);
  // Keep the numbers fresh (new blocks, reports) without redrawing the chart every time.
  window.setInterval(() => void refresh(false).catch(() => undefined), 15_000);
  document.body.dataset.ready = "true";
}

main().catch((error: unknown) => {
  notice(`Could not start: ${describeError(error, INTERFACES)}`);
  document.body.dataset.ready = "error";
});
