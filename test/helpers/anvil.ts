/**
 * Anvil for tests: the binary the npm package `@foundry-rs/anvil` ships (node_modules/.bin/anvil), on
 * a free local port, mining a block every `blockTime` seconds by itself. Tests of what runs against
 * an independent node (the devnet) use it instead of Hardhat's in-process network.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { JsonRpcProvider, Network } from "ethers";
import { freePorts } from "./tasks";

/** A running Anvil and an ethers provider on it. */
export interface Anvil {
  url: string;
  provider: JsonRpcProvider;
  /** Stops Anvil (SIGTERM to the wrapper, which forwards it to the binary) and waits for its exit. */
  stop(): Promise<void>;
}

const ANVIL = path.join(__dirname, "../../node_modules/.bin/anvil");
/** Anvil's default chain (31337, as Hardhat's): given, so the provider does not probe before Anvil is up. */
const ANVIL_NETWORK = Network.from(31337);

/** Starts Anvil with `--block-time blockTime`; resolves once it answers `eth_chainId` (within 15 s). */
export async function startAnvil(blockTime = 1): Promise<Anvil> {
  const [port] = await freePorts(1);
  const child: ChildProcess = spawn(ANVIL, ["--port", String(port), "--block-time", String(blockTime), "--silent"], {
    stdio: "ignore",
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const provider = new JsonRpcProvider(url, ANVIL_NETWORK, { staticNetwork: ANVIL_NETWORK, pollingInterval: 200 });
  const stop = async () => {
    provider.destroy();
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await provider.send("eth_chainId", []);
      return { url, provider, stop };
    } catch (error) {
      if (attempt >= 75 || child.exitCode !== null) {
        await stop();
        throw new Error(`Anvil did not answer on ${url}: ${String(error)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
