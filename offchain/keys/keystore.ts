import { getBytes, hexlify, type BytesLike } from "ethers";
import { SecretKey } from "@chainsafe/blst";
import { deriveEth2ValidatorKeys, deriveKeyFromMnemonic, eth2ValidatorPaths } from "@chainsafe/bls-keygen";
import {
  create,
  decrypt,
  defaultScryptModule,
  validateKeystore,
  type IKdfModule,
  type IKeystore,
} from "@chainsafe/bls-keystore";
import { GENESIS_FORK_VERSIONS, depositMessageRoot, signDeposit, verifyDepositSignature } from "./bls";
import { DEPOSIT_AMOUNT_GWEI, computeDepositDataRoot } from "./deposit";

/** Networks the key tool signs deposits for (those with a known genesis fork version). */
export type KeyToolNetwork = "mainnet" | "hoodi" | "holesky" | "sepolia";

/** The staking-deposit-cli version whose deposit_data-*.json format we write. */
export const DEPOSIT_CLI_VERSION = "2.7.0";

/** One entry of a staking-deposit-cli deposit_data-*.json file: hex strings without 0x. */
export interface DepositDataJson {
  pubkey: string;
  withdrawal_credentials: string;
  amount: number;
  signature: string;
  deposit_message_root: string;
  deposit_data_root: string;
  fork_version: string;
  network_name: string;
  deposit_cli_version: string;
}

/** A validator signing key derived per EIP-2333/2334. `pubkey` is 0x-prefixed hex. */
export interface ValidatorKey {
  index: number;
  path: string;
  secretKey: Uint8Array;
  pubkey: string;
}

/** Whether `name` is a network the key tool knows. */
export function isKeyToolNetwork(name: string): name is KeyToolNetwork {
  return Object.prototype.hasOwnProperty.call(GENESIS_FORK_VERSIONS, name);
}

function strip0x(hex: string): string {
  return hex.startsWith("0x") ? hex.slice(2) : hex;
}

function with0x(hex: string): string {
  return hex.startsWith("0x") ? hex : `0x${hex}`;
}

function sameHex(a: string, b: string): boolean {
  return strip0x(a).toLowerCase() === strip0x(b).toLowerCase();
}

/** Signing keys m/12381/3600/i/0/0 for i in [start, start + count) from a BIP-39 mnemonic (EIP-2333/2334). */
export function deriveValidatorKeys(mnemonic: string, start: number, count: number): ValidatorKey[] {
  if (!Number.isSafeInteger(start) || start < 0) throw new Error(`start must be a non-negative integer, got ${start}`);
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`count must be a positive integer, got ${count}`);
  const master = deriveKeyFromMnemonic(mnemonic.trim().split(/\s+/).join(" "));
  return Array.from({ length: count }, (_, k) => {
    const index = start + k;
    const secretKey = deriveEth2ValidatorKeys(master, index).signing;
    return {
      index,
      path: eth2ValidatorPaths(index).signing,
      secretKey,
      pubkey: hexlify(SecretKey.fromBytes(secretKey).toPublicKey().toBytes()),
    };
  });
}

/** A 32 ETH deposit signed by `secretKey` for `network`, as a staking-deposit-cli deposit_data entry. */
export function depositDataEntry(
  secretKey: Uint8Array,
  withdrawalCredentials: string,
  network: KeyToolNetwork,
): DepositDataJson {
  const forkVersion = GENESIS_FORK_VERSIONS[network];
  const d = signDeposit(SecretKey.fromBytes(secretKey), with0x(withdrawalCredentials), forkVersion);
  return {
    pubkey: strip0x(d.pubkey as string),
    withdrawal_credentials: strip0x(d.withdrawalCredentials as string),
    amount: Number(d.amountGwei),
    signature: strip0x(d.signature as string),
    deposit_message_root: strip0x(depositMessageRoot(d)),
    deposit_data_root: strip0x(d.depositDataRoot),
    fork_version: strip0x(forkVersion),
    network_name: network,
    deposit_cli_version: DEPOSIT_CLI_VERSION,
  };
}

/**
 * Problems with deposit data for `network` (empty: valid): fork version, network name, amount,
 * both roots, the BLS signature under the network's genesis fork version, the withdrawal
 * credentials (when `expectedCredentials` is given) and duplicate pubkeys.
 */
export function validateDepositData(
  entries: DepositDataJson[],
  network: string,
  expectedCredentials?: string,
): string[] {
  if (!isKeyToolNetwork(network)) {
    return [`unknown network ${network} (known: ${Object.keys(GENESIS_FORK_VERSIONS).join(", ")})`];
  }
  if (entries.length === 0) return ["no deposit entries"];
  const forkVersion = GENESIS_FORK_VERSIONS[network];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  entries.forEach((e, i) => {
    const at = `entry ${i}`;
    if (!sameHex(e.fork_version, forkVersion)) {
      problems.push(
        `${at}: fork_version ${e.fork_version} is not ${network}'s genesis fork version ${strip0x(forkVersion)}`,
      );
    }
    if (e.network_name !== network) problems.push(`${at}: network_name ${e.network_name} is not ${network}`);
    if (e.amount !== Number(DEPOSIT_AMOUNT_GWEI)) {
      problems.push(`${at}: amount ${e.amount} gwei is not 32 ETH (${DEPOSIT_AMOUNT_GWEI})`);
    }
    if (expectedCredentials !== undefined && !sameHex(e.withdrawal_credentials, expectedCredentials)) {
      problems.push(
        `${at}: withdrawal_credentials ${e.withdrawal_credentials} are not the expected ${strip0x(expectedCredentials)}`,
      );
    }
    const key = strip0x(e.pubkey).toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) problems.push(`${at}: duplicate pubkey ${e.pubkey} (also entry ${first})`);
    else seen.set(key, i);
    try {
      if (!Number.isSafeInteger(e.amount) || e.amount < 0) throw new Error(`amount ${e.amount} is not a uint64`);
      const d = {
        pubkey: with0x(e.pubkey),
        withdrawalCredentials: with0x(e.withdrawal_credentials),
        amountGwei: BigInt(e.amount),
        signature: with0x(e.signature),
      };
      const lengths = { pubkey: 48, withdrawal_credentials: 32, signature: 96 } as const;
      for (const [field, hex] of [
        ["pubkey", d.pubkey],
        ["withdrawal_credentials", d.withdrawalCredentials],
        ["signature", d.signature],
      ] as const) {
        const n = getBytes(hex).length;
        if (n !== lengths[field]) throw new Error(`${field} must be ${lengths[field]} bytes, got ${n}`);
      }
      const messageRoot = depositMessageRoot(d);
      if (!sameHex(e.deposit_message_root, messageRoot)) {
        problems.push(`${at}: deposit_message_root does not match (recomputed ${strip0x(messageRoot)})`);
      }
      const dataRoot = computeDepositDataRoot(d);
      if (!sameHex(e.deposit_data_root, dataRoot)) {
        problems.push(`${at}: deposit_data_root does not match (recomputed ${strip0x(dataRoot)})`);
      }
      if (!verifyDepositSignature(d, forkVersion)) {
        problems.push(`${at}: signature does not verify for ${network} (fork version ${strip0x(forkVersion)})`);
      }
    } catch (err) {
      problems.push(`${at}: malformed: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  return problems;
}

const STRING_FIELDS = [
  "pubkey",
  "withdrawal_credentials",
  "signature",
  "deposit_message_root",
  "deposit_data_root",
  "fork_version",
  "network_name",
  "deposit_cli_version",
] as const;

/** Parses a deposit_data-*.json file's text, checking its shape (not its content: see validateDepositData). */
export function parseDepositDataFile(text: string): DepositDataJson[] {
  const data: unknown = JSON.parse(text);
  if (!Array.isArray(data)) throw new Error("deposit data file must hold a JSON array");
  return data.map((raw: unknown, i) => {
    if (typeof raw !== "object" || raw === null) throw new Error(`entry ${i} is not an object`);
    const e = raw as Record<string, unknown>;
    for (const f of STRING_FIELDS) {
      if (typeof e[f] !== "string") throw new Error(`entry ${i}: ${f} must be a string`);
    }
    if (typeof e.amount !== "number") throw new Error(`entry ${i}: amount must be a number`);
    return e as unknown as DepositDataJson;
  });
}

/** KDF settings for a keystore: staking-deposit-cli's scrypt (n = 2^18) unless given. */
export type KdfSettings = Pick<IKdfModule, "function" | "params">;

/** An EIP-2335 keystore holding `secretKey`, encrypted with `password`. */
export async function keystoreFor(
  secretKey: Uint8Array,
  pubkey: BytesLike,
  path: string,
  password: string,
  kdf: KdfSettings = defaultScryptModule(),
): Promise<IKeystore> {
  const keystore = await create(password, secretKey, getBytes(pubkey), path, "", kdf);
  validateKeystore(keystore);
  return keystore;
}

/** The secret key in an EIP-2335 keystore (throws on a wrong password or an invalid keystore). */
export async function decryptKeystore(keystore: unknown, password: string): Promise<Uint8Array> {
  validateKeystore(keystore);
  return decrypt(keystore, password);
}
