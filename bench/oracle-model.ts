/**
 * The synthetic world of `npm run bench:oracle` (scripts/bench-oracle.ts): N beacon records, some of
 * them ours, and the protocol's contracts as the stand-in execution layer answers for them. Every
 * process of the benchmark (the Beacon API, the stand-in, the oracle member) derives the same records
 * and numbers from `BenchWorld` alone, so nothing large crosses between processes.
 *
 * Records: pubkey i is SHAKE-256 of "tidepool-bench:i" (48 bytes). Ours are spread evenly over the
 * indices, split into `operators` consecutive runs (operator o's keys in deposit order), with our
 * withdrawal credentials; about one in 500 of ours has exited and been withdrawn (balance 0), so the
 * report has exited keys to count. Other records have one of 100 foreign 0x01 credentials.
 */
import { createHash } from "node:crypto";
import { zeroPadValue } from "ethers";
import type { GenesisValidator } from "../offchain/beacon/chain";

/** What one case is: records, ours among them, and the operators ours belong to. */
export interface BenchWorld {
  records: number;
  ours: number;
  operators: number;
}

/** Mainnet's genesis time; the reference slot is the last of an epoch, the head of the beacon chain. */
export const GENESIS_TIME = 1_606_824_023n;
export const REF_SLOT = 11_000_000n * 32n + 31n;
/** The execution block at the reference slot's time: the stand-in's latest block. */
export const REF_BLOCK = 21_000_000;
/** The oracle's deployment block, where a member starts reading its logs: a year of blocks before REF_BLOCK. */
export const ORACLE_DEPLOYMENT_BLOCK = REF_BLOCK - 2_628_000;
/** The widest `eth_getLogs` range the stand-in answers, as hosted providers limit it. */
export const MAX_LOG_RANGE_BLOCKS = 10_000;
/** A day of slots: the previous report's reference slot is this far back. */
export const FRAME_SLOTS = 7_200n;

/** The stand-in's contract addresses (no code: the stand-in answers `eth_call` to them). */
export const ADDRESSES = {
  pool: "0x00000000000000000000000000000000000b0001",
  registry: "0x00000000000000000000000000000000000b0002",
  oracle: "0x00000000000000000000000000000000000b0003",
  withdrawalQueue: "0x00000000000000000000000000000000000b0004",
  withdrawalVault: "0x00000000000000000000000000000000000b0005",
  elRewardsVault: "0x00000000000000000000000000000000000b0006",
  insuranceFund: "0x00000000000000000000000000000000000b0007",
  treasury: "0x00000000000000000000000000000000000b0008",
} as const;

/** Our withdrawal credentials: 0x01, eleven zero bytes, the withdrawal vault. */
export const OUR_CREDENTIALS = "0x01" + "00".repeat(11) + ADDRESSES.withdrawalVault.slice(2);

const GWEI_32 = 32_000_000_000n;
/** A day's rewards of a 32 ETH validator at about 3 %, in gwei. */
const DAY_REWARD_GWEI = 2_600_000n;

/** Record `i`'s pubkey (0x…, 48 bytes, lower case). */
export function pubkeyOf(i: number): string {
  return "0x" + createHash("shake256", { outputLength: 48 }).update(`tidepool-bench:${i}`).digest("hex");
}

/** The record index of our j-th key (deposit order across operators): spread evenly over N. */
export function ourRecord(w: BenchWorld, j: number): number {
  return Math.floor((j * w.records) / w.ours);
}

/** Operator `o`'s keys: our keys [first, first + count). */
export function operatorKeys(w: BenchWorld, o: number): { first: number; count: number } {
  const first = Math.floor((o * w.ours) / w.operators);
  return { first, count: Math.floor(((o + 1) * w.ours) / w.operators) - first };
}

/** Whether our j-th key's validator has exited and been withdrawn. */
export function ourExited(j: number): boolean {
  return j % 500 === 7;
}

/** Our j-th validator's balance at the reference slot, in gwei. */
export function ourBalanceGwei(j: number): bigint {
  return ourExited(j) ? 0n : GWEI_32 + DAY_REWARD_GWEI * 30n + BigInt(j % 1000) * 1_000n;
}

/** The beacon records of `w`, in index order (a generator: millions are never held twice). */
export function* records(w: BenchWorld): Generator<GenesisValidator> {
  const epoch = REF_SLOT / 32n;
  const foreign = Array.from(
    { length: 100 },
    (_, k) => "0x01" + "00".repeat(11) + zeroPadValue(`0x${(k + 1).toString(16).padStart(2, "0")}`, 20).slice(2),
  );
  let j = 0;
  let next = w.ours > 0 ? ourRecord(w, 0) : -1;
  for (let i = 0; i < w.records; i++) {
    if (i === next) {
      const exited = ourExited(j);
      yield {
        pubkey: pubkeyOf(i),
        withdrawalCredentials: OUR_CREDENTIALS,
        balanceGwei: ourBalanceGwei(j),
        activationEpoch: 0n,
        exitEpoch: exited ? epoch - 300n : undefined,
        withdrawableEpoch: exited ? epoch - 44n : undefined,
      };
      j++;
      next = j < w.ours ? ourRecord(w, j) : -1;
    } else {
      yield {
        pubkey: pubkeyOf(i),
        withdrawalCredentials: foreign[i % 100],
        balanceGwei: GWEI_32 + BigInt(i % 997) * 10_000n,
        activationEpoch: 0n,
      };
    }
  }
}

/** The pool's numbers at the reference block, consistent with the records (a day's rewards since the last report). */
export function poolNumbers(w: BenchWorld): {
  clValidators: bigint;
  lastClBalanceWei: bigint;
  bufferedEther: bigint;
  totalPooledEther: bigint;
  totalShares: bigint;
} {
  let clGwei = 0n;
  let active = 0n;
  for (let j = 0; j < w.ours; j++) {
    clGwei += ourBalanceGwei(j);
    if (!ourExited(j)) active++;
  }
  const lastClBalanceWei = (clGwei - active * DAY_REWARD_GWEI) * 1_000_000_000n;
  const bufferedEther = 100n * 10n ** 18n;
  const totalPooledEther = bufferedEther + lastClBalanceWei;
  return {
    clValidators: BigInt(w.ours),
    lastClBalanceWei,
    bufferedEther,
    totalPooledEther,
    totalShares: (totalPooledEther * 9n) / 10n,
  };
}
