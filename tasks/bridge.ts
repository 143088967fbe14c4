/**
 * Hardhat tasks of the wtpETH bridge (issue 20; docs/integrators.md, "wtpETH on L2s"): `bridge` sends
 * wtpETH to another chain over LayerZero (through the adapter on the home chain, the OFT on a remote
 * one), `push-rate` sends the share rate to a remote chain's RateOracle. Both quote first and print
 * the quote (LayerZero's fee in ETH); only `--yes` sends, for exactly the fee quoted, and a bridge send
 * asks for at least the quoted amount (slippage bound: what arrives after dust removal).
 *
 * The contracts: `--adapter` (the adapter at home, or a remote chain's OFT) and `--pusher`, else the
 * Ignition record of the connected chain (deploy/modules/BridgeHome.ts at home, Remote.ts on a remote
 * chain; keys in sdk/src/bridge.ts). Destinations: a LayerZero endpoint id, or a chain name of
 * `LZ_CHAIN_EIDS`. A failure is one sentence (tasks/lib.ts `tidepoolTask`): reverts of a quote or a
 * send read as the SDK's sentences for the bridge's custom errors (no peer, zero after dust, paused,
 * over the path's rate limit); a balance too low for the amount or the fee is refused before sending.
 *
 * Loaded by hardhat.config.ts before compilation: no top-level imports of typechain-types,
 * deploy/protocol.ts or `hardhat` (see tasks/lib.ts).
 */
import fs from "node:fs";
import type { ContractTransactionResponse } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { BRIDGE_DEPLOYMENT_KEYS, LZ_CHAIN_EIDS, oftSendParam } from "../sdk/src/bridge";
import { RatePusher__factory, WtpEthOFT__factory } from "../sdk/src/contracts";
import { eth } from "../sdk/src/format";
import { shortPath } from "./cli";
import { FROM_HELP, attempt, deploymentFile, fail, parseAddress, parseAmount, signerFrom, tidepoolTask } from "./lib";

const TO_HELP = `Destination: a LayerZero endpoint id, or one of ${Object.keys(LZ_CHAIN_EIDS).join(", ")}`;
const ADAPTER_HELP =
  "The wtpETH bridge on this chain (the adapter at home, the OFT on a remote chain); default: the Ignition deployment of this chain";
const PUSHER_HELP = "RatePusher address; default: the Ignition deployment of this chain";

/** wtpETH amounts are echoed to the wei: dust removal is a matter of the last 12 decimals. */
const wtp = (wei: bigint): string => eth(wei, 18, "wtpETH");

/** `--to`: a LayerZero endpoint id (a positive uint32) or a chain name of LZ_CHAIN_EIDS. */
export function parseDestination(value: unknown): number {
  const text = typeof value === "string" ? value.trim().toLowerCase() : String(value ?? "");
  if (/^[0-9]+$/.test(text) && Number(text) > 0 && Number(text) < 2 ** 32) return Number(text);
  const eid = LZ_CHAIN_EIDS[text];
  if (eid === undefined) {
    fail(`--to must be a LayerZero endpoint id or one of ${Object.keys(LZ_CHAIN_EIDS).join(", ")}, got "${text}"`);
  }
  return eid;
}

/**
 * A bridge contract's address: `--<name>` if given, else the first of `keys` in the Ignition record
 * of the connected chain; it must hold code.
 */
async function bridgeAddress(
  hre: HardhatRuntimeEnvironment,
  option: string | undefined,
  name: string,
  keys: readonly string[],
): Promise<string> {
  let address: string | undefined;
  if (option !== undefined) address = parseAddress(option, name);
  else {
    const chainId = BigInt((await hre.network.provider.send("eth_chainId", [])) as string);
    const file = deploymentFile(hre, chainId);
    let record: Record<string, unknown> = {};
    try {
      record = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch {
      record = {};
    }
    const recorded = keys.map((key) => record[key]).find((a): a is string => typeof a === "string");
    if (recorded === undefined) {
      fail(
        `No wtpETH bridge recorded for network "${hre.network.name}" (chain ${chainId}, ${shortPath(file)}): pass --${name} <address>.`,
      );
    }
    address = parseAddress(recorded, name);
  }
  if ((await hre.ethers.provider.getCode(address)) === "0x") {
    fail(`no contract at --${name} address ${address} on network "${hre.network.name}"`);
  }
  return address;
}

/** Sends a transaction and waits for it; a revert is the SDK's sentence. */
async function mine(hre: HardhatRuntimeEnvironment, send: () => Promise<ContractTransactionResponse>) {
  const receipt = await attempt(hre, async () => (await send()).wait());
  if (receipt === null) return fail("the transaction was dropped before it was mined: check the network and retry");
  return receipt;
}

/** Refuses when `address` cannot pay the LayerZero fee `fee` (gas comes on top). */
async function requireFee(hre: HardhatRuntimeEnvironment, address: string, fee: bigint): Promise<void> {
  const balance = await hre.ethers.provider.getBalance(address);
  if (balance < fee) {
    fail(`Not enough ETH for LayerZero's fee: the fee is ${eth(fee, 18)}, ${address} holds ${eth(balance, 18)}.`);
  }
}

tidepoolTask("bridge", "Sends wtpETH to another chain over LayerZero (quotes only, unless --yes)")
  .addParam("amount", "wtpETH to send, e.g. 1.5 (what is below 6 decimals stays with you)")
  .addParam("to", TO_HELP)
  .addOptionalParam("recipient", "Who receives on the destination; default: the sender")
  .addFlag("yes", "Send (without it, only the quote is printed)")
  .addOptionalParam("from", FROM_HELP)
  .addOptionalParam("adapter", ADAPTER_HELP)
  .setAction(
    async (
      args: { amount: string; to: string; recipient?: string; yes: boolean; from?: string; adapter?: string },
      hre,
    ) => {
      const amount = parseAmount(args.amount);
      const dstEid = parseDestination(args.to);
      const signer = await signerFrom(hre, args.from);
      const recipient =
        args.recipient === undefined
          ? signer.address
          : parseAddress(args.recipient, "recipient", { hint: "leave --recipient out to receive yourself" });
      const keys = [BRIDGE_DEPLOYMENT_KEYS.adapter, BRIDGE_DEPLOYMENT_KEYS.remoteOft];
      // The adapter and the OFT share LayerZero's IOFT functions (send, quotes, token, approvalRequired).
      const oft = WtpEthOFT__factory.connect(await bridgeAddress(hre, args.adapter, "adapter", keys), signer);
      const param = oftSendParam(dstEid, recipient, amount);
      const [, , quoted] = await attempt(hre, () => oft.quoteOFT(param));
      const { nativeFee: fee } = await attempt(hre, () => oft.quoteSend(param, false));
      const [sent, received] = [quoted.amountSentLD, quoted.amountReceivedLD];
      const dust = amount - sent;
      console.log(
        `Bridge ${wtp(amount)} from ${signer.address} to ${recipient} on endpoint ${dstEid}: ${wtp(received)} arrives` +
          `${dust > 0n ? ` (${wtp(dust)} below the bridge's 6 decimals stays with you)` : ""}, LayerZero fee ${eth(fee, 18)}.`,
      );
      // The ERC-20 moved: wtpETH at home (the adapter locks it), the OFT itself on a remote chain.
      const approval = await oft.approvalRequired();
      const token = approval ? WtpEthOFT__factory.connect(await oft.token(), signer) : oft;
      const balance = await token.balanceOf(signer.address);
      if (balance < sent) {
        fail(`Not enough wtpETH on this chain: ${signer.address} holds ${wtp(balance)}, the send takes ${wtp(sent)}.`);
      }
      await requireFee(hre, signer.address, fee);
      if (!args.yes) {
        console.log("Preview only: nothing sent. Re-run with --yes to send.");
        return;
      }
      const oftAddress = await oft.getAddress();
      if (approval && (await token.allowance(signer.address, oftAddress)) < sent) {
        await mine(hre, () => token.approve(oftAddress, sent));
        console.log(`Approved the bridge to take ${wtp(sent)}.`);
      }
      const receipt = await mine(hre, () =>
        oft.send({ ...param, minAmountLD: received }, { nativeFee: fee, lzTokenFee: 0n }, signer.address, {
          value: fee,
        }),
      );
      console.log(
        `Sent ${wtp(sent)} to ${recipient} on endpoint ${dstEid} (at least ${wtp(received)} arrives), fee ${eth(fee, 18)}.`,
      );
      console.log(`tx ${receipt.hash}`);
    },
  );

tidepoolTask("push-rate", "Sends wtpETH's share rate to a remote chain's RateOracle (quotes only, unless --yes)")
  .addParam("to", TO_HELP)
  .addFlag("yes", "Send (without it, only the quote is printed)")
  .addOptionalParam("from", FROM_HELP)
  .addOptionalParam("pusher", PUSHER_HELP)
  .setAction(async (args: { to: string; yes: boolean; from?: string; pusher?: string }, hre) => {
    const dstEid = parseDestination(args.to);
    const signer = await signerFrom(hre, args.from);
    const address = await bridgeAddress(hre, args.pusher, "pusher", [BRIDGE_DEPLOYMENT_KEYS.pusher]);
    const pusher = RatePusher__factory.connect(address, signer);
    const [rate, refTime] = await attempt(hre, () => pusher.currentRate());
    const { nativeFee: fee } = await attempt(hre, () => pusher.quotePushRate(dstEid, "0x"));
    const at = new Date(Number(refTime) * 1000).toISOString();
    console.log(
      `Push the rate ${eth(rate, 18, "tpETH")} per wtpETH (reference time ${at}, the last report's) to endpoint ${dstEid}: LayerZero fee ${eth(fee, 18)}.`,
    );
    await requireFee(hre, signer.address, fee);
    if (!args.yes) {
      console.log("Preview only: nothing sent. Re-run with --yes to push.");
      return;
    }
    const receipt = await mine(hre, () => pusher.pushRate(dstEid, "0x", { value: fee }));
    console.log(`Pushed the rate to endpoint ${dstEid}, fee ${eth(fee, 18)}.`);
    console.log(`tx ${receipt.hash}`);
  });
