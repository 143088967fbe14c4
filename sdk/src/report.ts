/**
 * The oracle report (docs/protocol.md §4) and beacon-chain time: building a `ReportData`, hashing it
 * as members vote on it, and the frame timing of a deployment.
 */
import { AbiCoder, keccak256 } from "ethers";
import type { AccountingOracle } from "./contracts";
import type { IAccountingOracle } from "./contracts/AccountingOracle";

/** An oracle report as the AccountingOracle takes it (docs/protocol.md §4). */
export type ReportData = IAccountingOracle.ReportDataStruct;

/**
 * Mainnet's (and the public testnets') seconds per slot. A deployment's own value is its oracle's
 * `SECONDS_PER_SLOT()` (`FrameTiming.secondsPerSlot`): devnets run shorter slots.
 */
export const SECONDS_PER_SLOT = 12n;
/** Slots in one beacon-chain epoch. */
export const SLOTS_PER_EPOCH = 32n;

/** The ABI type of `ReportData` (docs/protocol.md §4), for hashing off chain. */
export const REPORT_DATA_ABI_TYPE =
  "tuple(uint256 refSlot, uint256 numValidators, uint256 clBalanceGwei, uint256 withdrawalVaultBalance, " +
  "uint256 elRewardsVaultBalance, uint256 lastRequestIdToFinalize, bool isBunkerMode, " +
  "uint256[] operatorIdsWithLosses, uint256[] operatorLossesGwei, uint256[] exitOperatorIds, uint256[] exitKeyIndices, " +
  "uint256[] finalizationBatches, uint256[] exitedKeys, uint256[] keyLosses)";

/** A report with every field given or zero/empty. */
export interface ReportFields {
  /** The protocol's validators visible on the beacon chain. */
  numValidators: bigint;
  /** Their total balance, in gwei. */
  clBalanceGwei: bigint;
  /** The withdrawal vault's balance to take in, in wei. */
  withdrawalVaultBalance: bigint;
  /** The EL-rewards vault's balance to take in, in wei. */
  elRewardsVaultBalance: bigint;
  /** The last withdrawal request to finalize (0: none). */
  lastRequestIdToFinalize: bigint;
  /** Whether a loss is being realised (bunker mode). */
  isBunkerMode: boolean;
  /** Operators charged a loss, ascending. */
  operatorIdsWithLosses: bigint[];
  /** Each one's loss, in gwei. */
  operatorLossesGwei: bigint[];
  /** Operators asked to exit a key, one entry per key. */
  exitOperatorIds: bigint[];
  /** The keys asked to exit, one per `exitOperatorIds` entry. */
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

/** A {@link ReportData} for `refSlot` with the fields given and every other field zero or empty. */
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

/** The oracle's frames in beacon-chain time. */
export interface FrameTiming {
  /** Unix time of slot 0. */
  genesisTime: bigint;
  /** Seconds per slot of the deployment's beacon chain (12 on mainnet). */
  secondsPerSlot: bigint;
  /** Slots per reporting frame. */
  slotsPerFrame: bigint;
  /** Slots after a frame's reference slot within which its report must come. */
  deadlineSlots: bigint;
}

/** The frame timing of a deployment, read from its oracle. */
export async function frameTiming(
  oracle: Pick<AccountingOracle, "getFrameConfig" | "SECONDS_PER_SLOT">,
): Promise<FrameTiming> {
  const [[genesisTime, epochsPerFrame, deadlineSlots], secondsPerSlot] = await Promise.all([
    oracle.getFrameConfig(),
    oracle.SECONDS_PER_SLOT(),
  ]);
  return { genesisTime, secondsPerSlot, slotsPerFrame: epochsPerFrame * SLOTS_PER_EPOCH, deadlineSlots };
}

/** Unix time of a slot. */
export function slotTime(timing: FrameTiming, slot: bigint): bigint {
  return timing.genesisTime + slot * timing.secondsPerSlot;
}
