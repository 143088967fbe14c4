/**
 * Anvil for tests (offchain/anvil.ts), mining a block every `blockTime` seconds by itself: tests of
 * what runs against an independent node (the devnet) use it instead of Hardhat's in-process network.
 */
import { startAnvil as startAnvilNode, type AnvilNode } from "../../offchain/anvil";

/** A running Anvil (chain 31337) and an ethers provider on it. */
export type Anvil = AnvilNode;

/** Starts Anvil with `--block-time blockTime`; resolves once it answers `eth_chainId` (within 15 s). */
export function startAnvil(blockTime = 1): Promise<Anvil> {
  return startAnvilNode({ blockTime });
}
