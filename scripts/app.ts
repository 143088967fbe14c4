/**
 * `npm run app`: the web app (app/, docs/app.md) against a local chain, in one process.
 *
 * Starts the in-process Hardhat network as a JSON-RPC server on 127.0.0.1:8545 (as `hardhat node`
 * does; TIDEPOOL_RPC_PORT to change), deploys the protocol with Ignition so that
 * deploy/deployments/chain-31337/deployed_addresses.json records it, seeds a short history (stakes,
 * three reports, withdrawal requests), and starts Vite's dev server on 127.0.0.1:5173
 * (TIDEPOOL_APP_PORT) with those addresses injected, and the node's URL as the local chain's read
 * RPC (the page reads through it before a wallet is connected, or while the wallet is on another
 * chain). Ctrl-C stops everything and removes the chain-31337 record (the chain it describes is gone).
 * A failure (a port in use, say) is one sentence on stderr and exit code 1.
 */
import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { HDNodeWallet, Mnemonic } from "ethers";
import { appViteConfig, deployRecorded, seedLocal, startRpcServer } from "../app/server/dev";
import { eth } from "../sdk/src/format";
import { fail, portIsFree, runScript } from "../tasks/lib";

/** Hardhat's default (public) mnemonic: its keys are for local chains only. */
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";
/** The account suggested for the wallet: no role, untouched by the seed. */
const WALLET_ACCOUNT_INDEX = 20;

async function main(): Promise<void> {
  const rpcPort = Number(process.env.TIDEPOOL_RPC_PORT ?? 8545);
  const appPort = Number(process.env.TIDEPOOL_APP_PORT ?? 5173);
  const ignitionDir = hre.config.paths.ignition;
  if (hre.network.name !== "hardhat") {
    fail(`npm run app serves the in-process network itself: run it without --network (got "${hre.network.name}")`);
  }
  for (const [port, variable] of [
    [rpcPort, "TIDEPOOL_RPC_PORT"],
    [appPort, "TIDEPOOL_APP_PORT"],
  ] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65_535)
      fail(`${variable} must be a port number, got "${process.env[variable]}"`);
    if (!(await portIsFree(port))) {
      fail(
        `port ${port} on 127.0.0.1 is in use (another "npx hardhat node" or "npm run app"?): stop it, or set ${variable}`,
      );
    }
  }

  const rpc = await startRpcServer(hre, rpcPort);
  console.log(`Local chain (in-process Hardhat network, chain id 31337): JSON-RPC on ${rpc.url}`);
  const t = await deployRecorded(hre, ignitionDir);
  const chainId = (await hre.ethers.provider.getNetwork()).chainId;
  const record = path.join(ignitionDir, "deployments", `chain-${chainId}`);
  console.log(
    `Deployed with Ignition: pool (tpETH) ${t.poolAddress}, recorded in ${path.relative(process.cwd(), record)}`,
  );
  await seedLocal(hre, t);
  console.log(`Seeded: TVL ${eth(await t.pool.totalPooledEther())}, 3 reports, 2 withdrawal requests`);

  const { createServer } = await import("vite");
  // The page reads the local chain through the node itself, with or without a wallet.
  const vite = await createServer(
    appViteConfig({ ignitionDir, port: appPort, rpcUrls: { [chainId.toString()]: rpc.url } }),
  );
  await vite.listen();
  const wallet = HDNodeWallet.fromMnemonic(
    Mnemonic.fromPhrase(HARDHAT_MNEMONIC),
    `m/44'/60'/0'/0/${WALLET_ACCOUNT_INDEX}`,
  );
  console.log(`\nTidepool app: http://127.0.0.1:${appPort}/`);
  console.log(`In your wallet, add the network ${rpc.url} (chain id 31337) and import Hardhat's public test`);
  console.log(`account #${WALLET_ACCOUNT_INDEX}: ${wallet.address}, key ${wallet.privateKey} (local use only).`);
  console.log("Ctrl-C to stop.");

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await vite.close();
    await rpc.close();
    fs.rmSync(record, { recursive: true, force: true });
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

// A failure is one sentence and exit code 1, as the tasks' (tasks/lib.ts).
void runScript(hre, main);
