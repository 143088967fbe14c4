/**
 * Where Tidepool is deployed: the pool address per chain, read from an Ignition deployment record
 * (`deployed_addresses.json`) or given. Every other contract is read from the pool itself.
 */
import { getAddress, isAddress } from "ethers";

/** The Ignition future id of the pool proxy (deploy/modules/Tidepool.ts). */
export const POOL_DEPLOYMENT_KEY = "Tidepool#StakingPoolProxy";

/** The first contract the Tidepool module records: a record naming it was written by the module. */
export const BOOTSTRAP_DEPLOYMENT_KEY = "Tidepool#StakingPoolBootstrapImpl";

/**
 * The module's last step (deploy/modules/Tidepool.ts): recorded once the pool and the queue are
 * resumed, after everything else.
 */
export const LAUNCH_DEPLOYMENT_KEY = "Tidepool#LaunchedStakingPool";

/**
 * Whether an Ignition `deployed_addresses.json` (parsed) is of a deployment that stopped half-way:
 * written by the Tidepool module (it names the module's first contract) but without its last step.
 * A record naming the pool alone (written by hand) is taken as it is.
 */
export function ignitionRecordIncomplete(record: unknown): boolean {
  if (record === null || typeof record !== "object") return false;
  const keys = record as Record<string, unknown>;
  return keys[BOOTSTRAP_DEPLOYMENT_KEY] !== undefined && keys[LAUNCH_DEPLOYMENT_KEY] === undefined;
}

/** A deployment: the pool's address on one chain. */
export interface Deployment {
  /** The chain's id. */
  chainId: bigint;
  /** The StakingPool (tpETH) proxy's address, checksummed. */
  pool: string;
}

/** Deployments by chain id (decimal string), as the web app embeds them. */
export type DeploymentBook = Readonly<Record<string, { pool: string }>>;

/**
 * The pool address in an Ignition `deployed_addresses.json` (parsed), checksummed; undefined when
 * the record has no Tidepool pool.
 */
export function poolFromIgnitionRecord(record: unknown): string | undefined {
  if (record === null || typeof record !== "object") return undefined;
  const address = (record as Record<string, unknown>)[POOL_DEPLOYMENT_KEY];
  return typeof address === "string" && isAddress(address) ? getAddress(address) : undefined;
}

/** The deployment of `chainId` in `book`, or undefined. */
export function deploymentOf(book: DeploymentBook, chainId: bigint): Deployment | undefined {
  const entry = book[chainId.toString()];
  return entry ? { chainId, pool: getAddress(entry.pool) } : undefined;
}

/**
 * A {@link DeploymentBook} from Ignition deployment records (each chain's parsed
 * `deployed_addresses.json`) keyed by chain id; chains whose record has no Tidepool pool, or is of a
 * deployment that stopped half-way ({@link ignitionRecordIncomplete}), are left out.
 */
export function deploymentBook(records: Readonly<Record<string, unknown>>): DeploymentBook {
  const book: Record<string, { pool: string }> = {};
  for (const [chainId, record] of Object.entries(records)) {
    const pool = poolFromIgnitionRecord(record);
    if (pool !== undefined && !ignitionRecordIncomplete(record)) book[BigInt(chainId).toString()] = { pool };
  }
  return book;
}
