/**
 * `npm run app`: the web app (app/, docs/app.md) against two local chains, in one process.
 *
 * Starts the in-process Hardhat network as a JSON-RPC server on 127.0.0.1:8545 (as `hardhat node`
 * does; TIDEPOOL_RPC_PORT to change), deploys the protocol with Ignition so that
 * deploy/deployments/chain-31337/deployed_addresses.json records it, seeds a short history (stakes,
 * three reports, withdrawal requests). Then the wtpETH bridge: Anvil as a local L2 (chain id 31339)
 * on 127.0.0.1:8546 (TIDEPOOL_L2_RPC_PORT), LayerZero's EndpointV2 on both chains and the bridge
 * deployed and recorded by deploy/local-bridge.ts (chain-31339 and the home record), the wallet's
 * account seeded with wtpETH on both chains and the rate pushed, and a relayer delivering LayerZero's
 * packets every 2 seconds. Last, Vite's dev server on 127.0.0.1:5173 (TIDEPOOL_APP_PORT) with those
 * addresses injected, and each node's URL as its chain's read RPC (the page reads through them before
 * a wallet is connected, or while the wallet is on another chain). Ctrl-C stops everything and removes
 * the chain-31337 and chain-31339 records (the chains they describe are gone). A failure (a port in
 * use, say) is one sentence on stderr and exit code 1.
 */
import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { appViteConfig, deployRecorded, relayAll, seedLocal, seedLocalBridge, startRpcServer } from "../app/server/dev";
import { LOCAL_L2_CHAIN_ID, deployLocalBridge, localAccount, type LocalBridge } from "../deploy/local-bridge";
import { startAnvil } from "../offchain/anvil";
import { eth } from "../sdk/src/format";
import { fail, portIsFree, runScript } from "../tasks/lib";

/** The account suggested for the wallet: no role; the seed gives it wtpETH on both chains only. */
const WALLET_ACCOUNT_INDEX = 20;

async function main(): Promise<void> {
  const rpcPort = Number(process.env.TIDEPOOL_RPC_PORT ?? 8545);
  const appPort = Number(process.env.TIDEPOOL_APP_PORT ?? 5173);
  const l2Port = Number(process.env.TIDEPOOL_L2_RPC_PORT ?? 8546);
  const ignitionDir = hre.config.paths.ignition;
  if (hre.network.name !== "hardhat") {
    fail(`npm run app serves the in-process network itself: run it without --network (got "${hre.network.name}")`);
  }
  for (const [port, variable] of [
    [rpcPort, "TIDEPOOL_RPC_PORT"],
    [appPort, "TIDEPOOL_APP_PORT"],
    [l2Port, "TIDEPOOL_L2_RPC_PORT"],
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

  const l2 = await startAnvil({ chainId: LOCAL_L2_CHAIN_ID, port: l2Port });
  console.log(`Local L2 (Anvil, chain id ${l2.chainId}): JSON-RPC on ${l2.url}`);
  const l2Record = path.join(ignitionDir, "deployments", `chain-${l2.chainId}`);
  const holder = (await hre.ethers.getSigners())[WALLET_ACCOUNT_INDEX];
  let bridge: LocalBridge;
  let seeded: { home: bigint; remote: bigint };
  try {
    bridge = await deployLocalBridge(hre, t, l2, { ignitionDir });
    console.log(
      `wtpETH bridge: adapter ${await bridge.adapter.getAddress()} at home, OFT ${await bridge.oft.getAddress()} and ` +
        `RateOracle ${await bridge.rateOracle.getAddress()} on the L2, recorded in ${path.relative(process.cwd(), l2Record)}`,
    );
    seeded = await seedLocalBridge(t, bridge, holder);
  } catch (error) {
    // Anvil is a child process: stop it before the failure ends this one.
    await l2.stop();
    throw error;
  }
  console.log(
    `Seeded account #${WALLET_ACCOUNT_INDEX}: ${eth(seeded.home, 6, "wtpETH")} at home, ${eth(seeded.remote, 6, "wtpETH")} on the L2; the rate pushed`,
  );
  // LayerZero's part: deliver what either chain sent, every 2 s (one pass at a time).
  let relaying = false;
  const relayer = setInterval(() => {
    if (relaying) return;
    relaying = true;
    relayAll(bridge)
      .catch((error: unknown) => console.error(`Relayer: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => (relaying = false));
  }, 2000);

  const { createServer } = await import("vite");
  // The page reads the local chain through the node itself, with or without a wallet.
  const vite = await createServer(
    appViteConfig({
      ignitionDir,
      port: appPort,
      rpcUrls: { [chainId.toString()]: rpc.url, [l2.chainId.toString()]: l2.url },
    }),
  );
  await vite.listen();
  const wallet = localAccount(WALLET_ACCOUNT_INDEX);
  console.log(`\nTidepool app: http://127.0.0.1:${appPort}/`);
  console.log(`In your wallet, add the network ${rpc.url} (chain id 31337) and import Hardhat's public test`);
  console.log(`account #${WALLET_ACCOUNT_INDEX}: ${wallet.address}, key ${wallet.privateKey} (local use only).`);
  console.log(`To send wtpETH from the L2, add the network ${l2.url} (chain id ${l2.chainId}) too.`);
  console.log("Ctrl-C to stop.");

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(relayer);
    // The records first: they describe chains that are going away, whatever else happens.
    fs.rmSync(record, { recursive: true, force: true });
    fs.rmSync(l2Record, { recursive: true, force: true });
    await l2.stop();
    await vite.close();
    await rpc.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

// A failure is one sentence and exit code 1, as the tasks' (tasks/lib.ts).
void runScript(hre, main);
