/**
 * What the simulated month (scripts/demo.ts) and the devnet (scripts/devnet.ts) play alike: operators
 * registered from the key tool's keys (the caller uploads them, with the `operator-keys` task), and
 * holders acting through the SDK (stake, wrap, transfer, request withdrawals, redeem instantly, claim). The demo plays them on
 * Hardhat's in-process network, the devnet over JSON-RPC on Anvil, beside daemons in other processes.
 *
 * Randomness comes from the caller's seeded generator ({@link prng}), so a run replays the same way.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseEther, type Signer, type TransactionRequest } from "ethers";
import type { Tidepool } from "../deploy/protocol";
import type { TidepoolClient } from "../sdk/src/client";
import { deriveValidatorKeys, depositDataEntry, keystoreFor, type KdfSettings } from "./keys/keystore";
import type { HolderStats } from "./invariants";
import { sendTransaction } from "./tx";

export const OPERATOR_NAMES = ["Anchor Staking", "Breakwater Nodes", "Coral Validators"];
/** A public test mnemonic: the validator keys derived from it are throwaway. */
export const VALIDATOR_MNEMONIC = "test test test test test test test test test test test junk";
/** The operators' keystore password and a cheap KDF: throwaway keys (the key tool's default is scrypt). */
export const KEYSTORE_PASSWORD = "demo keystore password";
const CHEAP_KDF: KdfSettings = { function: "pbkdf2", params: { dklen: 32, c: 16, prf: "hmac-sha256", salt: "" } };

/** A small deterministic PRNG (mulberry32), so every run plays the same way. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random choices and amounts from one generator. */
export interface Dice {
  random: () => number;
  pick<T>(list: readonly T[]): T;
  /** A random amount in [lo, hi] ETH, to 0.001 ETH. */
  amount(lo: number, hi: number): bigint;
}

export function dice(seed: number): Dice {
  const random = prng(seed);
  return {
    random,
    pick: (list) => list[Math.floor(random() * list.length)],
    amount: (lo, hi) => parseEther((lo + random() * (hi - lo)).toFixed(3)),
  };
}

/** A holder: its account and its SDK client. */
export interface Holder {
  signer: Signer & { address: string };
  client: TidepoolClient;
}

/** `signer` sends `request` as a service would (offchain/tx.ts): estimated, confirmed, sent again if dropped. */
async function send(signer: Signer, request: Promise<TransactionRequest>): Promise<void> {
  await sendTransaction(signer, await request);
}

/**
 * Operators: keys from the key tool, a deposit-data file `uploadKeys` validates and uploads (the
 * `operator-keys` task, for the demo and the devnet), vetted, bonded; each operator's EIP-2335
 * keystores in `keystoreDir/<operator id>`, for its exits bot. `operators[i]` is operator i's reward
 * address.
 */
export async function registerOperators(
  uploadKeys: (operatorId: number, depositDataFile: string) => Promise<unknown>,
  t: Tidepool,
  operators: readonly Signer[],
  keysEach: number,
  keystoreDir: string,
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-operators-"));
  const credentials = await t.pool.withdrawalCredentials();
  try {
    for (const [i, op] of operators.entries()) {
      const name = OPERATOR_NAMES[i];
      await send(t.admin, t.registry.addNodeOperator.populateTransaction(name, await op.getAddress()));
      const keys = deriveValidatorKeys(VALIDATOR_MNEMONIC, i * keysEach, keysEach);
      const own = path.join(keystoreDir, String(i));
      fs.mkdirSync(own, { recursive: true });
      for (const k of keys) {
        const salt = Buffer.from(k.secretKey.slice(0, 16)).toString("hex"); // throwaway keys: any salt will do
        const kdf = { ...CHEAP_KDF, params: { ...CHEAP_KDF.params, salt } };
        const keystore = await keystoreFor(k.secretKey, k.pubkey, k.path, KEYSTORE_PASSWORD, kdf);
        fs.writeFileSync(path.join(own, `keystore-${k.path.replace(/\//g, "_")}.json`), JSON.stringify(keystore));
      }
      const file = path.join(dir, `deposit_data-${name.split(" ")[0].toLowerCase()}.json`);
      fs.writeFileSync(file, JSON.stringify(keys.map((k) => depositDataEntry(k.secretKey, credentials, "mainnet"))));
      await uploadKeys(i, file);
      const keysNonce = await t.registry.operatorKeysNonce(i);
      await send(t.admin, t.registry.setVettedKeys.populateTransaction(i, keysEach, keysNonce));
      await send(op, t.registry.depositBond.populateTransaction(i, { value: parseEther("2") * BigInt(keysEach) }));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Every holder's finalized, unclaimed requests, claimed with hints (nothing to claim sends nothing). */
export async function claimAll(holders: readonly Holder[], stats: HolderStats): Promise<void> {
  for (const h of holders) {
    const claimed = await h.client.claim();
    stats.claimed += claimed.ethOut;
    stats.claims += claimed.ids.length;
  }
}

/** How much of a day {@link holdersDay} plays. */
export interface DayOptions {
  /** Holders stake (up to four stakes). */
  stake: boolean;
  /** Holders queue withdrawals (two requests at most). */
  request: boolean;
  /** A holder redeems instantly (outside bunker mode). */
  instant: boolean;
}

/** A day of holders: stakes, wraps, transfers, requests, an instant redemption. */
export async function holdersDay(
  t: Pick<Tidepool, "pool" | "wrapper">,
  reader: TidepoolClient,
  holders: readonly Holder[],
  d: Dice,
  options: DayOptions,
  stats: HolderStats,
): Promise<void> {
  for (let i = 0; i < 4 && options.stake; i++) {
    const h = d.pick(holders);
    const value = d.amount(1, 40);
    if ((await reader.stakeLimit()) < value) break;
    await h.client.stake(value);
    stats.staked += value;
  }
  for (let i = 0; i < 2; i++) {
    const h = d.pick(holders);
    const part = (await h.client.balances()).tpEth / 10n;
    if (part > 0n) {
      await h.client.wrap(part);
      stats.wraps++;
    }
  }
  // Transfers are plain ERC-20 calls (the SDK has no transfer helper).
  for (let i = 0; i < 3; i++) {
    const [from, to] = [d.pick(holders), d.pick(holders)];
    const wrapped = d.random() < 0.3;
    const held = await from.client.balances();
    const balance = wrapped ? held.wtpEth : held.tpEth;
    if (balance === 0n || from === to) continue;
    const value = balance / 20n;
    await send(
      from.signer,
      wrapped
        ? t.wrapper.transfer.populateTransaction(to.signer.address, value)
        : t.pool.transfer.populateTransaction(to.signer.address, value),
    );
    stats.transfers++;
  }
  if (options.request) {
    for (let i = 0; i < 2; i++) {
      const h = d.pick(holders);
      const wrapped = d.random() < 0.25;
      const value = d.amount(0.5, 6);
      const held = await h.client.balances();
      if ((wrapped ? held.wtpEth : held.tpEth) < value) continue;
      // A permit for exactly the amount goes with the request: one transaction, nothing left approved.
      await h.client.requestWithdrawals([value], { wrapped });
      stats.requests++;
    }
  }
  if (options.instant && !(await reader.status()).bunkerMode) {
    const h = d.pick(holders);
    const value = d.amount(0.2, 1.5);
    // The preview refuses what cannot be redeemed now (beyond the liquidity, today's cap or the balance).
    const preview = await h.client.previewInstantRedeem(value, 0n);
    if (preview.ok) {
      const redeemed = await h.client.instantRedeem(value, { minOut: preview.minOut });
      stats.instant++;
      stats.instantFees += redeemed.fee;
    }
  }
}
