/**
 * Oracle helpers shared by tests, the benchmark, the demo and tasks: beacon-chain time, building a
 * `ReportData`, and submitting it as committee members until it is applied.
 */
import type { Signer, ContractTransactionReceipt } from "ethers";
import { AbiCoder, keccak256 } from "ethers";
import type { EthereumProvider } from "hardhat/types";
import type { AccountingOracle } from "../../typechain-types";
import type { IAccountingOracle } from "../../typechain-types/contracts/oracle/AccountingOracle";

export type ReportData = IAccountingOracle.ReportDataStruct;

/** Beacon-chain physics. */
export const SECONDS_PER_SLOT = 12n;
export const SLOTS_PER_EPOCH = 32n;

/** The ABI type of `ReportData` (docs/protocol.md §4), for hashing off chain. */
export const REPORT_DATA_ABI_TYPE =
  "tuple(uint256 refSlot, uint256 numValidators, uint256 clBalanceGwei, uint256 withdrawalVaultBalance, " +
  "uint256 elRewardsVaultBalance, uint256 lastRequestIdToFinalize, bool isBunkerMode, " +
  "uint256[] operatorIdsWithLosses, uint256[] operatorLossesGwei, uint256[] exitOperatorIds, uint256[] exitKeyIndices, " +
  "uint256[] finalizationBatches, uint256[] exitedKeys, uint256[] keyLosses)";

/** A report with every field given or zero/empty. */
export interface ReportFields {
  numValidators: bigint;
  clBalanceGwei: bigint;
  withdrawalVaultBalance: bigint;
  elRewardsVaultBalance: bigint;
  lastRequestIdToFinalize: bigint;
  isBunkerMode: boolean;
  operatorIdsWithLosses: bigint[];
  operatorLossesGwei: bigint[];
  exitOperatorIds: bigint[];
  exitKeyIndices: bigint[];
  /** Ascending last request ids of the finalization batches (empty: one batch). */
  finalizationBatches: bigint[];
  /** `operatorId << 128 | exitedKeys` per operator whose exited count grew, ascending. */
  exitedKeys: bigint[];
  /** `operatorId << 192 | keyIndex << 64 | lossToDateGwei` per key with a loss to charge, ascending. */
  keyLosses: bigint[];
}

/** An `exitedKeys` entry. */
export const exitedKeysEntry = (operatorId: bigint, exitedKeys: bigint): bigint => (operatorId << 128n) | exitedKeys;

/** A `keyLosses` entry. */
export const keyLossEntry = (operatorId: bigint, keyIndex: bigint, lossToDateGwei: bigint): bigint =>
  (operatorId << 192n) | (keyIndex << 64n) | lossToDateGwei;

export function buildReport(refSlot: bigint, fields: Partial<ReportFields> = {}): ReportData {
  return {
    refSlot,
    numValidators: fields.numValidators ?? 0n,
    clBalanceGwei: fields.clBalanceGwei ?? 0n,
    withdrawalVaultBalance: fields.withdrawalVaultBalance ?? 0n,
    elRewardsVaultBalance: fields.elRewardsVaultBalance ?? 0n,
    lastRequestIdToFinalize: fields.lastRequestIdToFinalize ?? 0n,
    isBunkerMode: fields.isBunkerMode ?? false,
    operatorIdsWithLosses: fields.operatorIdsWithLosses ?? [],
    operatorLossesGwei: fields.operatorLossesGwei ?? [],
    exitOperatorIds: fields.exitOperatorIds ?? [],
    exitKeyIndices: fields.exitKeyIndices ?? [],
    finalizationBatches: fields.finalizationBatches ?? [],
    exitedKeys: fields.exitedKeys ?? [],
    keyLosses: fields.keyLosses ?? [],
  };
}

/** keccak256(abi.encode(data)): what members vote on. */
export function reportHash(data: ReportData): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode([REPORT_DATA_ABI_TYPE], [data]));
}

export interface FrameTiming {
  genesisTime: bigint;
  slotsPerFrame: bigint;
  deadlineSlots: bigint;
}

export async function frameTiming(oracle: AccountingOracle): Promise<FrameTiming> {
  const [genesisTime, epochsPerFrame, deadlineSlots] = await oracle.getFrameConfig();
  return { genesisTime, slotsPerFrame: epochsPerFrame * SLOTS_PER_EPOCH, deadlineSlots };
}

/** Unix time of a slot. */
export function slotTime(timing: FrameTiming, slot: bigint): bigint {
  return timing.genesisTime + slot * SECONDS_PER_SLOT;
}

async function latestTimestamp(provider: EthereumProvider): Promise<bigint> {
  const block = (await provider.send("eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
  return BigInt(block.timestamp);
}

/** Mines a block at `timestamp` (Hardhat/anvil-compatible nodes only). */
export async function mineAt(provider: EthereumProvider, timestamp: bigint): Promise<void> {
  await provider.send("evm_setNextBlockTimestamp", [Number(timestamp)]);
  await provider.send("evm_mine", []);
}

/**
 * Moves a development chain `frames` frame starts ahead (1: the next frame's first slot) and returns
 * that frame's reference slot, which is then the current one.
 */
export async function advanceFrames(
  provider: EthereumProvider,
  oracle: AccountingOracle,
  frames = 1n,
): Promise<bigint> {
  const timing = await frameTiming(oracle);
  const now = await latestTimestamp(provider);
  const slot = (now - timing.genesisTime) / SECONDS_PER_SLOT;
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
