/**
 * The devnet's web app (started by scripts/devnet.ts as its own process): Vite's dev server on
 * 127.0.0.1:$DEVNET_APP_PORT with the deployments Ignition recorded in $DEVNET_IGNITION_DIR (the
 * devnet's own; default: the repository's) and the devnet's node as the page's read RPC, as
 * `npm run app` serves the in-process chain's.
 *
 *   npx hardhat run --no-compile scripts/devnet-app.ts --network devnet
 *
 * Stops on SIGINT or SIGTERM. A failure is one sentence on stderr and exit code 1.
 */
import hre from "hardhat";
import { appViteConfig } from "../app/server/dev";
import { fail, portIsFree, runScript } from "../tasks/lib";

async function main(): Promise<void> {
  const port = Number(process.env.DEVNET_APP_PORT ?? 5173);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    fail(`DEVNET_APP_PORT must be a port number, got "${process.env.DEVNET_APP_PORT}"`);
  if (!(await portIsFree(port))) fail(`port ${port} on 127.0.0.1 is in use: set DEVNET_APP_PORT to another`);
  const url = (hre.network.config as { url?: string }).url;
  if (url === undefined) fail(`network "${hre.network.name}" has no URL: run with --network devnet`);
  const chainId = (await hre.ethers.provider.getNetwork()).chainId;
  const { createServer } = await import("vite");
  const vite = await createServer(
    appViteConfig({
      ignitionDir: process.env.DEVNET_IGNITION_DIR ?? hre.config.paths.ignition,
      port,
      rpcUrls: { [chainId.toString()]: url },
    }),
  );
  await vite.listen();
  console.log(`Tidepool app: http://127.0.0.1:${port}/ (chain ${chainId} read through ${url})`);
  const stop = () => void vite.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

void runScript(hre, main);
