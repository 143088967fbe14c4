/**
 * The web app's wtpETH bridge (issue 20; docs/app.md, "wtpETH on other chains"), without the DOM:
 * which chains the build knows for the bridge, what is read from each (its LayerZero endpoint id,
 * whether its peers match, the holder's wtpETH, the pause, a remote chain's rate), and the checks and
 * sentences of a send, as pure functions of those values (tested in test/unit/AppBridge.test.ts).
 * The previews use them as the user types, the send again on click against fresh values, as
 * ./checks.ts does for the other actions.
 */
import { Contract, getAddress, type ContractRunner, type Provider } from "ethers";
import { oftSendParam, peerBytes32, removeDust } from "../../sdk/src/bridge";
import { duration, eth } from "../../sdk/src/format";
import { RateOracle__factory, WtpEthOFT__factory, type WtpEthOFT } from "../../sdk/src/contracts";
import { aboveLimit, amountText, limitText } from "./checks";

/** One end of the bridge as the build records it. */
export interface BridgeEndConfig {
  chainId: bigint;
  /** `home`: the adapter locks wtpETH; `remote`: the OFT mints and burns it. */
  kind: "home" | "remote";
  /** The contract a send goes through: the adapter at home, the OFT on a remote chain. */
  bridge: string;
  /** A remote chain's RateOracle. */
  rateOracle?: string;
  /** The chain's public read RPC, when the build has one. */
  rpcUrl?: string;
}

/** The ends of the bridge of one home chain. */
export interface BridgeConfig {
  home: BridgeEndConfig;
  /** Every remote chain of the build, lowest chain id first (connected to this home or not). */
  remotes: BridgeEndConfig[];
}

/** The injected deployments' shape (app/server/dev.ts `AppDeployment`), as far as the bridge reads it. */
export type DeploymentEntry =
  | { pool: string; rpcUrl?: string; bridge?: { adapter: string } }
  | { rpcUrl?: string; remote: { oft: string; rateOracle: string } };

/**
 * The bridge of the home chain `homeChainId` in `book`: undefined when that chain records no adapter
 * (the page then shows no bridge at all).
 */
export function bridgeConfig(
  book: Readonly<Record<string, DeploymentEntry>>,
  homeChainId: bigint,
): BridgeConfig | undefined {
  const entry = book[homeChainId.toString()];
  if (entry === undefined || !("pool" in entry) || entry.bridge === undefined) return undefined;
  const remotes: BridgeEndConfig[] = [];
  for (const [id, d] of Object.entries(book)) {
    if (!("remote" in d)) continue;
    remotes.push({
      chainId: BigInt(id),
      kind: "remote",
      bridge: getAddress(d.remote.oft),
      rateOracle: getAddress(d.remote.rateOracle),
      rpcUrl: d.rpcUrl,
    });
  }
  remotes.sort((a, b) => (a.chainId < b.chainId ? -1 : a.chainId > b.chainId ? 1 : 0));
  return {
    home: { chainId: homeChainId, kind: "home", bridge: getAddress(entry.bridge.adapter), rpcUrl: entry.rpcUrl },
    remotes,
  };
}

/** A remote chain's rate, as its RateOracle keeps it. */
export interface RemoteRate {
  /** tpETH per wtpETH (18 decimals); 0 before the first rate arrives. */
  rate: bigint;
  /** The reference time of the report it comes from (Unix seconds). */
  refTime: bigint;
  /** The chain's latest block time, which the age is counted to (as `isStale` does). */
  now: bigint;
  /** The oracle's own verdict (`isStale()`): no rate, or older than `maxAgeSeconds`. */
  stale: boolean;
  maxAgeSeconds: bigint;
}

/** What the page read of one end of the bridge. */
export interface BridgeEnd {
  config: BridgeEndConfig;
  /** LayerZero's endpoint id of the chain, read from the contract's endpoint. */
  eid: number;
  /** The ERC-20 a send takes: wtpETH at home, the OFT itself on a remote chain. */
  token: string;
  /** The holder's wtpETH on this chain (undefined without an account). */
  balance?: bigint;
  /** The holder's ETH on this chain, for LayerZero's fee (undefined without an account). */
  ethBalance?: bigint;
  paused: boolean;
  /** A remote chain's rate. */
  rate?: RemoteRate;
}

/** LayerZero's EndpointV2, as far as the page asks it: its endpoint id. */
const ENDPOINT_ABI = ["function eid() view returns (uint32)"];

/** The IOFT contract of `end` (the adapter shares the OFT's send, quote and guard functions). */
export function bridgeContract(end: BridgeEndConfig, runner: ContractRunner): WtpEthOFT {
  return WtpEthOFT__factory.connect(end.bridge, runner);
}

/** Reads one end of the bridge through `reader` (the chain's read RPC), with `account`'s balances. */
export async function readBridgeEnd(config: BridgeEndConfig, reader: Provider, account?: string): Promise<BridgeEnd> {
  const oft = bridgeContract(config, reader);
  const [endpoint, token, paused] = await Promise.all([oft.endpoint(), oft.token(), oft.paused()]);
  const eid = Number(await new Contract(endpoint, ENDPOINT_ABI, reader).getFunction("eid")());
  const erc20 = WtpEthOFT__factory.connect(token, reader);
  const [balance, ethBalance] = account
    ? await Promise.all([erc20.balanceOf(account), reader.getBalance(account)])
    : [undefined, undefined];
  let rate: RemoteRate | undefined;
  if (config.rateOracle !== undefined) {
    const oracle = RateOracle__factory.connect(config.rateOracle, reader);
    const [latest, stale, maxAgeSeconds, block] = await Promise.all([
      oracle.latest(),
      oracle.isStale(),
      oracle.maxAgeSeconds(),
      reader.getBlock("latest"),
    ]);
    rate = {
      rate: latest.rate,
      refTime: latest.refTime,
      now: BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000)),
      stale,
      maxAgeSeconds,
    };
  }
  return { config, eid, token, balance, ethBalance, paused, rate };
}

/** Whether `from`'s contract names `to`'s contract as its peer for `to`'s endpoint id. */
export async function peerMatches(from: BridgeEnd, to: BridgeEnd, reader: Provider): Promise<boolean> {
  const peer = await bridgeContract(from.config, reader).peers(to.eid);
  return peer.toLowerCase() === peerBytes32(to.config.bridge).toLowerCase();
}

/**
 * What `dst` leaves of "… on X", and of the sentences: a chain's label by id (./network.ts
 * `chainLabel`), passed in so this module stays free of the build's globals.
 */
export type ChainLabel = (chainId: bigint) => string;

/** "1 wtpETH = 1.012345678 tpETH · pushed 3h 20m ago" (and "stale" when the oracle says so). */
export function rateText(r: RemoteRate): { text: string; stale: boolean } {
  if (r.rate === 0n) return { text: "No rate has arrived yet.", stale: true };
  const age = r.now > r.refTime ? r.now - r.refTime : 0n;
  const minutes = age - (age % 60n);
  const ago = age < 60n ? "less than a minute" : duration(minutes);
  const text = `1 wtpETH = ${eth(r.rate, 9, "tpETH")} · as of ${ago} ago`;
  return r.stale
    ? { text: `${text} · stale (older than ${duration(r.maxAgeSeconds)}): do not rely on it`, stale: true }
    : { text, stale: false };
}

/** What a send depends on, read from the source chain (and the path to the destination). */
export interface SendContext {
  from: string;
  to: string;
  /** The holder's wtpETH on the source chain (undefined without an account). */
  balance?: bigint;
  /** The source's bridge is paused. */
  paused: boolean;
  /** The destination's bridge is paused (a message would wait there until it resumes). */
  destinationPaused: boolean;
  /** Whether the source's bridge has the destination's as its peer (and the destination is readable). */
  connected: boolean;
  /** What the path's rate limit lets leave now (`amountCanBeSent(dstEid)`). */
  available: bigint;
}

/** The bridge's smallest unit: 6 shared decimals. */
export const BRIDGE_UNIT = 10n ** 12n;

/**
 * Why `amount` wtpETH cannot be sent now, or undefined when it can. Checked in the order a holder
 * can act on: the path, the pauses (source, then destination), the balance, the dust, the rate limit.
 */
export function sendProblem(amount: bigint, c: SendContext): string | undefined {
  if (!c.connected) return `${c.to} is not connected to the bridge on ${c.from}: choose another destination.`;
  if (c.paused) return `The bridge is paused on ${c.from} right now. Please try again later.`;
  if (c.destinationPaused) {
    return `The bridge is paused on ${c.to}: what you send would wait there until it resumes. Please try again later.`;
  }
  if (c.balance !== undefined) {
    const above = aboveLimit(amount, c.balance, "wtpETH", `your wtpETH on ${c.from}`);
    if (above) return above;
  }
  const sent = removeDust(amount);
  if (sent === 0n) {
    return `${amountText(amount, "wtpETH", 18)} is less than the bridge's smallest amount (0.000001 wtpETH): nothing would arrive.`;
  }
  if (sent > c.available) {
    return c.available < BRIDGE_UNIT
      ? `Nothing can be sent from ${c.from} to ${c.to} right now: the path's rate limit is used up. Please try again later.`
      : `${amountText(sent, "wtpETH")} is more than can be sent from ${c.from} to ${c.to} right now (the path's rate limit): at most ${limitText(c.available, "wtpETH")}.`;
  }
  return undefined;
}

/** Why LayerZero's `fee` cannot be paid from `ethBalance` on `from`, or undefined. Gas comes on top. */
export function feeProblem(fee: bigint, ethBalance: bigint | undefined, from: string): string | undefined {
  if (ethBalance === undefined || ethBalance >= fee) return undefined;
  return `Not enough ETH on ${from} for LayerZero's fee: the fee is ${eth(fee, 18)}, you have ${limitText(ethBalance)}.`;
}

/** A quote for a send, as LayerZero's `quoteOFT` and `quoteSend` gave it. */
export interface BridgeQuote {
  fromChainId: bigint;
  toChainId: bigint;
  recipient: string;
  amount: bigint;
  /** What leaves the sender (the amount less the dust). */
  sent: bigint;
  /** What arrives: the send's minimum (`minAmountLD`). */
  received: bigint;
  /** LayerZero's fee in ETH: the send's `msg.value`. */
  nativeFee: bigint;
  /** What the path's rate limit lets leave now. */
  available: bigint;
}

/** The quote in words: what arrives, the dust that stays, the fee, the path's remaining limit. */
export function quoteText(q: BridgeQuote, label: ChainLabel, self: boolean): string {
  const dust = q.amount - q.sent;
  const who = self ? "" : ` for ${q.recipient.slice(0, 6)}…${q.recipient.slice(-4)}`;
  return (
    `${amountText(q.received, "wtpETH")} arrives on ${label(q.toChainId)}${who}` +
    (dust > 0n ? ` (${eth(dust, 18, "wtpETH")} below the bridge's 6 decimals stays with you)` : "") +
    ` · LayerZero fee ${eth(q.nativeFee, 18)} · this path can take ${limitText(q.available, "wtpETH")} more right now.`
  );
}

/** A send on its way: its destination balance before, and what must arrive. */
export interface InFlight {
  id: number;
  toChainId: bigint;
  recipient: string;
  /** The recipient's wtpETH on the destination just before the send. */
  before: bigint;
  /** What arrives (the quote's minimum). */
  expected: bigint;
  /** When it was sent (ms since 1970). */
  sentAt: number;
  arrived: boolean;
}

/** Whether `transfer` has arrived, given the recipient's destination balance now. */
export function hasArrived(transfer: InFlight, balanceNow: bigint): boolean {
  return balanceNow >= transfer.before + transfer.expected;
}

/** The line of a send in flight or arrived. */
export function inFlightText(transfer: InFlight, label: ChainLabel): string {
  const what = `${amountText(transfer.expected, "wtpETH")} to ${label(transfer.toChainId)}`;
  return transfer.arrived
    ? `${what}: arrived.`
    : `${what}: in flight, waiting for LayerZero to deliver it (usually a few minutes).`;
}

/** What the path from `from` to `to` allows now, read on the source chain. */
export async function readPath(
  from: BridgeEnd,
  to: BridgeEnd,
  reader: Provider,
): Promise<{ connected: boolean; available: bigint }> {
  const [connected, limit] = await Promise.all([
    peerMatches(from, to, reader),
    bridgeContract(from.config, reader).amountCanBeSent(to.eid),
  ]);
  return { connected, available: limit.available };
}

/** Quotes a send with LayerZero's `quoteOFT` (what leaves, what arrives) and `quoteSend` (the fee). */
export async function quoteBridgeSend(
  from: BridgeEnd,
  to: BridgeEnd,
  reader: Provider,
  recipient: string,
  amount: bigint,
  available: bigint,
): Promise<BridgeQuote> {
  const oft = bridgeContract(from.config, reader);
  const param = oftSendParam(to.eid, recipient, amount);
  const [quoted, fee] = await Promise.all([oft.quoteOFT(param), oft.quoteSend(param, false)]);
  return {
    fromChainId: from.config.chainId,
    toChainId: to.config.chainId,
    recipient: getAddress(recipient),
    amount,
    sent: quoted.oftReceipt.amountSentLD,
    received: quoted.oftReceipt.amountReceivedLD,
    nativeFee: fee.nativeFee,
    available,
  };
}
