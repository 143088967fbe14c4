/**
 * Moving a development chain (Hardhat, Anvil) through oracle frames and applying reports as the
 * committee members: for the demo, the benchmark, the local app and tests. Not for live networks.
 */
import type { ContractTransactionReceipt, Signer } from "ethers";
import type { AccountingOracle } from "../../typechain-types";
import { frameTiming, slotTime, type ReportData } from "../../sdk/src/report";

/** Any JSON-RPC provider: Hardhat's EIP-1193 one or ethers' `JsonRpcProvider`. */
export interface RpcSender {
  send(method: string, params: unknown[]): Promise<unknown>;
}

async function latestTimestamp(provider: RpcSender): Promise<bigint> {
  const block = (await provider.send("eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
  return BigInt(block.timestamp);
}

/** Mines a block at `timestamp` (Hardhat/anvil-compatible nodes only). */
export async function mineAt(provider: RpcSender, timestamp: bigint): Promise<void> {
  await provider.send("evm_setNextBlockTimestamp", [Number(timestamp)]);
  await provider.send("evm_mine", []);
}

/**
 * Moves a development chain `frames` frame starts ahead (1: the next frame's first slot) and returns
 * that frame's reference slot, which is then the current one.
 */
export async function advanceFrames(provider: RpcSender, oracle: AccountingOracle, frames = 1n): Promise<bigint> {
  const timing = await frameTiming(oracle);
  const now = await latestTimestamp(provider);
  const slot = (now - timing.genesisTime) / timing.secondsPerSlot;
  const frameStart = (slot / timing.slotsPerFrame + frames) * timing.slotsPerFrame;
  await mineAt(provider, slotTime(timing, frameStart));
  return frameStart - 1n;
}

/**
 * Submits `data` from `members` in order until one submission applies it (the frame's last
 * processed reference slot reaches `data.refSlot`). Returns every receipt; the last one applied it.
 */
export async function submitUntilApplied(
  oracle: AccountingOracle,
  members: Signer[],
  data: ReportData,
): Promise<ContractTransactionReceipt[]> {
  const receipts: ContractTransactionReceipt[] = [];
  for (const member of members) {
    const receipt = await (await oracle.connect(member).submitReport(data)).wait();
    if (!receipt) throw new Error("no receipt");
    receipts.push(receipt);
    if ((await oracle.getLastProcessedRefSlot()) === BigInt(data.refSlot)) return receipts;
  }
  throw new Error(`report for slot ${data.refSlot} not applied after ${members.length} members`);
}
