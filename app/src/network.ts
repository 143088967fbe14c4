/**
 * The chains this build knows (embedded by the dev server, app/server/dev.ts): where Tidepool is
 * deployed on each (and the remote chains of its wtpETH bridge), the read-only JSON-RPC provider the
 * page reads a chain through, and how to ask a wallet to switch to it (EIP-3326) or add it first
 * (EIP-3085).
 */
import { JsonRpcProvider, Network, getAddress, toQuantity } from "ethers";
import type { Eip1193Provider } from "./wallet";
import { bridgeConfig, type BridgeConfig } from "./bridge";

/** A chain the app can show: its deployment and how to reach it. */
export interface AppChain {
  chainId: bigint;
  /** e.g. "Local Hardhat". */
  name: string;
  /** The pool (tpETH); its peers are read from it. */
  pool: string;
  /** A public JSON-RPC URL for reads without a wallet (and for `wallet_addEthereumChain`). */
  rpcUrl?: string;
  /** A block explorer, for `wallet_addEthereumChain`. */
  explorerUrl?: string;
}

/** Names (and explorers) of the chains the app may meet. */
const NETWORKS: Record<string, { name: string; explorerUrl?: string }> = {
  "1": { name: "Ethereum", explorerUrl: "https://etherscan.io" },
  "560048": { name: "Hoodi testnet", explorerUrl: "https://hoodi.etherscan.io" },
  "31337": { name: "Local Hardhat" },
  "31339": { name: "Local L2" },
  "10": { name: "OP Mainnet", explorerUrl: "https://optimistic.etherscan.io" },
  "8453": { name: "Base", explorerUrl: "https://basescan.org" },
  "42161": { name: "Arbitrum One", explorerUrl: "https://arbiscan.io" },
  "84532": { name: "Base Sepolia", explorerUrl: "https://sepolia.basescan.org" },
  "421614": { name: "Arbitrum Sepolia", explorerUrl: "https://sepolia.arbiscan.io" },
  "11155420": { name: "OP Sepolia", explorerUrl: "https://sepolia-optimism.etherscan.io" },
};

/** "Local Hardhat (31337)", "Chain 5 (5)" for a chain the app has no name for. */
export function chainLabel(chainId: bigint): string {
  return `${NETWORKS[chainId.toString()]?.name ?? `Chain ${chainId}`} (${chainId})`;
}

/** Every chain with a deployment of the protocol (a pool) in this build, lowest chain id first. */
export function knownChains(): AppChain[] {
  return Object.entries(__TIDEPOOL_DEPLOYMENTS__)
    .flatMap(([id, d]) => ("pool" in d ? [[id, d] as const] : []))
    .map(([id, d]) => {
      const known = NETWORKS[id];
      return {
        chainId: BigInt(id),
        name: known?.name ?? `Chain ${id}`,
        pool: getAddress(d.pool),
        rpcUrl: d.rpcUrl,
        explorerUrl: known?.explorerUrl,
      };
    })
    .sort((a, b) => (a.chainId < b.chainId ? -1 : a.chainId > b.chainId ? 1 : 0));
}

/** The deployment on `chainId`, if this build has one. */
export function chainOf(chainId: bigint): AppChain | undefined {
  return knownChains().find((c) => c.chainId === chainId);
}

/**
 * The chain shown when the wallet cannot tell (no wallet, or a wallet on a chain without a
 * deployment): the lowest chain id that has a read RPC URL, else the lowest chain id.
 */
export function defaultChain(): AppChain | undefined {
  const all = knownChains();
  return all.find((c) => c.rpcUrl !== undefined) ?? all[0];
}

/** The wtpETH bridge of the home chain `chainId` and the build's remote chains, if it records one. */
export function bridgeOf(chainId: bigint): BridgeConfig | undefined {
  return bridgeConfig(__TIDEPOOL_DEPLOYMENTS__, chainId);
}

/**
 * A read-only provider for `chain` (undefined when the build has no RPC URL for it). The network is
 * static: the URL names one chain, so ethers never asks it for its chain id again.
 */
export function readProvider(chain: { chainId: bigint; rpcUrl?: string }): JsonRpcProvider | undefined {
  if (chain.rpcUrl === undefined) return undefined;
  const network = Network.from(Number(chain.chainId));
  const provider = new JsonRpcProvider(chain.rpcUrl, network, { staticNetwork: network });
  provider.pollingInterval = 1000;
  return provider;
}

/** The EIP-3085 parameters of `chain` (it must have an RPC URL). */
export function addChainParameters(chain: AppChain & { rpcUrl: string }): Record<string, unknown> {
  return {
    chainId: toQuantity(chain.chainId),
    chainName: chain.name,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: [chain.rpcUrl],
    ...(chain.explorerUrl ? { blockExplorerUrls: [chain.explorerUrl] } : {}),
  };
}

/** Whether a wallet answered that it does not know the chain (EIP-3326: 4902). */
function isUnknownChain(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== "object" || depth > 5) return false;
  const e = error as Record<string, unknown>;
  if (e.code === 4902) return true;
  return ["error", "info", "cause", "data", "originalError"].some((key) => isUnknownChain(e[key], depth + 1));
}

/** A wallet that has not heard of the chain and cannot be told about it (no RPC URL in this build). */
export class UnknownChainError extends Error {}

/**
 * Asks `wallet` to switch to `chain` (`wallet_switchEthereumChain`, EIP-3326); when it does not know
 * the chain (4902), adds it (`wallet_addEthereumChain`, EIP-3085) and asks to switch again. A
 * rejection by the user is thrown as the wallet threw it (EIP-1193 4001).
 */
export async function switchWalletTo(wallet: Eip1193Provider, chain: AppChain): Promise<void> {
  const switchTo = (): Promise<unknown> =>
    wallet.request({ method: "wallet_switchEthereumChain", params: [{ chainId: toQuantity(chain.chainId) }] });
  try {
    await switchTo();
    return;
  } catch (error) {
    if (!isUnknownChain(error)) throw error;
  }
  const { rpcUrl } = chain;
  if (rpcUrl === undefined) {
    throw new UnknownChainError(`Your wallet does not know ${chainLabel(chain.chainId)}: add it in your wallet first.`);
  }
  await wallet.request({ method: "wallet_addEthereumChain", params: [addChainParameters({ ...chain, rpcUrl })] });
  await switchTo();
}
