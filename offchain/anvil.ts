/**
 * Anvil as a local chain beside Hardhat's: the binary the npm package `@foundry-rs/anvil` ships
 * (node_modules/.bin/anvil), on a free local port. The demo and the web app run the wtpETH bridge's
 * second chain on it (an L2 with its own chain id), and tests of what runs against an independent
 * node use it (test/helpers/anvil.ts). The devnet starts its own Anvil (scripts/devnet.ts), with its
 * log and process-group handling.
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { JsonRpcProvider, Network } from "ethers";

/** A running Anvil and an ethers provider on it. */
export interface AnvilNode {
  url: string;
  chainId: number;
  provider: JsonRpcProvider;
  /** Stops Anvil (SIGTERM to the npm wrapper, which forwards it to the binary) and waits for its exit. */
  stop(): Promise<void>;
}

/** How to run it. */
export interface AnvilOptions {
  /** Chain id (default 31337, Anvil's and Hardhat's). */
  chainId?: number;
  /** Local port (default: a free one). */
  port?: number;
  /** Seconds between blocks it mines by itself; default: a block per transaction (automine). */
  blockTime?: number;
}

const ANVIL = path.join(__dirname, "..", "node_modules", ".bin", "anvil");

/** A local port nothing listens on: bound, then released. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts Anvil (hardfork Prague); resolves once it answers `eth_chainId` (within 15 s). */
export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilNode> {
  const chainId = options.chainId ?? 31337;
  const port = options.port ?? (await freePort());
  const args = ["--port", String(port), "--chain-id", String(chainId), "--hardfork", "prague", "--silent"];
  if (options.blockTime !== undefined) args.push("--block-time", String(options.blockTime));
  const child: ChildProcess = spawn(ANVIL, args, { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const spawnFailed = new Promise<Error>((resolve) => child.once("error", resolve));
  const url = `http://127.0.0.1:${port}`;
  const network = Network.from(chainId);
  const provider = new JsonRpcProvider(url, network, { staticNetwork: network, pollingInterval: 200 });
  const stop = async () => {
    provider.destroy();
    if (child.exitCode === null && child.pid !== undefined) child.kill("SIGTERM");
    await Promise.race([exited, spawnFailed]);
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await provider.send("eth_chainId", []);
      return { url, chainId, provider, stop };
    } catch (error) {
      if (attempt >= 75 || child.exitCode !== null || child.pid === undefined) {
        await stop();
        throw new Error(
          `Anvil (${ANVIL}) did not answer on ${url}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
