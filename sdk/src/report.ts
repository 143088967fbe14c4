/**
 * The oracle report (docs/protocol.md §4) and beacon-chain time: building a `ReportData`, hashing it
 * as members vote on it, and the frame timing of a deployment.
 */
import { AbiCoder, keccak256 } from "ethers";
import type { AccountingOracle } from "./contracts";
import type { IAccountingOracle } from "./contracts/AccountingOracle";

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

export async function frameTiming(oracle: Pick<AccountingOracle, "getFrameConfig">): Promise<FrameTiming> {
  const [genesisTime, epochsPerFrame, deadlineSlots] = await oracle.getFrameConfig();
  return { genesisTime, slotsPerFrame: epochsPerFrame * SLOTS_PER_EPOCH, deadlineSlots };
}

/** Unix time of a slot. */
export function slotTime(timing: FrameTiming, slot: bigint): bigint {
  return timing.genesisTime + slot * SECONDS_PER_SLOT;
}
