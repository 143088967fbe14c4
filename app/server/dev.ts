/**
 * The web app's Node side (docs/app.md), shared by `npm run app` (scripts/app.ts) and the browser
 * test (test/app/App.test.ts): the in-process Hardhat network as a JSON-RPC server, a deployment
 * recorded by Ignition in `<ignition dir>/deployments/chain-<id>/`, a small seed (stakes, reports,
 * requests; wtpETH on the local L2 of the bridge and its rate), and the Vite configuration that bakes
 * the recorded addresses (the pool, the bridge's ends) into the app.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { ZeroAddress, getAddress, isAddress, parseEther, toQuantity, type Signer } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { TASK_NODE_CREATE_SERVER } from "hardhat/builtin-tasks/task-names";
import type { InlineConfig } from "vite" with { "resolution-mode": "import" };
import TidepoolModule from "../../deploy/modules/Tidepool";
import { attachTidepool, type Tidepool } from "../../deploy/protocol";
import { buildReport } from "../../sdk/src/report";
import { POOL_DEPLOYMENT_KEY, poolFromIgnitionRecord } from "../../sdk/src/deployments";
import { BRIDGE_DEPLOYMENT_KEYS, oftSendParam } from "../../sdk/src/bridge";
import type { LocalBridge } from "../../deploy/local-bridge";
import { advanceFrames, submitUntilApplied } from "../../offchain/oracle/devchain";

/** Repository root (this file is app/server/dev.ts). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** The app's sources (Vite root). */
export const APP_ROOT = path.join(REPO_ROOT, "app");

/** A running JSON-RPC server in front of a Hardhat network. */
export interface RpcServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `hre.network.provider` (the in-process network) over JSON-RPC on `hostname:port`, as
 * `hardhat node` does (port 0: any free port). Its accounts are unlocked: eth_sendTransaction and
 * eth_signTypedData_v4 sign with them.
 */
export async function startRpcServer(
  hre: HardhatRuntimeEnvironment,
  port = 0,
  hostname = "127.0.0.1",
): Promise<RpcServer> {
  const server = (await hre.run(TASK_NODE_CREATE_SERVER, { hostname, port, provider: hre.network.provider })) as {
    listen(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  };
  const bound = await server.listen();
  return { url: `http://${hostname}:${bound.port}`, close: () => server.close() };
}

/**
 * Deploys deploy/modules/Tidepool.ts with Ignition and records it, as `hardhat ignition deploy`
 * does, in `<ignitionDir>/deployments/chain-<id>/` (deployed_addresses.json and the journal), even
 * on the in-process network, whose deployments Ignition otherwise keeps in memory only. An existing
 * record for the chain is removed first: the chain is new, an old journal would not match it.
 */
export async function deployRecorded(hre: HardhatRuntimeEnvironment, ignitionDir: string): Promise<Tidepool> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const core = require("@nomicfoundation/ignition-core") as typeof import("@nomicfoundation/ignition-core");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const helpers =
    require("@nomicfoundation/hardhat-ignition/helpers") as typeof import("@nomicfoundation/hardhat-ignition/helpers");
  const provider = hre.network.provider;
  const chainId = BigInt((await provider.send("eth_chainId", [])) as string);
  const deploymentDir = path.join(ignitionDir, "deployments", `chain-${chainId}`);
  fs.rmSync(deploymentDir, { recursive: true, force: true });
  const result = await core.deploy({
    config: hre.config.ignition,
    artifactResolver: new helpers.HardhatArtifactResolver(hre),
    provider,
    deploymentDir,
    ignitionModule: TidepoolModule,
    deploymentParameters: {},
    accounts: (await provider.send("eth_accounts", [])) as string[],
  });
  if (result.type !== core.DeploymentResultType.SUCCESSFUL_DEPLOYMENT) {
    throw new Error(helpers.errorDeploymentResultToExceptionMessage(result));
  }
  return attachTidepool(hre, result.contracts[POOL_DEPLOYMENT_KEY].address);
}

/** What the app knows of a chain's deployment: a home chain (the pool) or a remote chain of the bridge. */
export type AppDeployment = AppHomeDeployment | AppRemoteDeployment;

/** A chain with the protocol (the pool), and the home side of the wtpETH bridge when it has one. */
export interface AppHomeDeployment {
  pool: string;
  /**
   * A JSON-RPC URL the page reads the chain through when no wallet is connected or the wallet is on
   * another chain (and that `wallet_addEthereumChain` offers). It is embedded in the page: a public
   * endpoint, never one with a key in it.
   */
  rpcUrl?: string;
  /** The wtpETH bridge's home side (deploy/modules/BridgeHome.ts), when recorded. */
  bridge?: { adapter: string };
}

/** A remote chain of the wtpETH bridge (deploy/modules/Remote.ts): no pool, wtpETH as an OFT and the rate. */
export interface AppRemoteDeployment {
  /** As {@link AppHomeDeployment.rpcUrl}: the page reads the holder's wtpETH and the rate through it. */
  rpcUrl?: string;
  remote: { oft: string; rateOracle: string };
}

/** Prefix of the environment variables that give a chain's public read RPC: `TIDEPOOL_APP_RPC_URL_<chainId>`. */
export const READ_RPC_ENV_PREFIX = "TIDEPOOL_APP_RPC_URL_";

/**
 * The read RPC URL of each chain from the environment (`TIDEPOOL_APP_RPC_URL_560048=https://…`), by
 * chain id. Only http(s) URLs are taken.
 */
export function readRpcUrlsFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(READ_RPC_ENV_PREFIX) || value === undefined || value.trim() === "") continue;
    const chainId = name.slice(READ_RPC_ENV_PREFIX.length);
    if (!/^[0-9]+$/.test(chainId)) continue;
    const url = value.trim();
    if (!/^https?:\/\//.test(url)) throw new Error(`${name} must be an http(s) URL, not ${JSON.stringify(url)}`);
    found[chainId] = url;
  }
  return found;
}

/** A checksummed address at `key` of an Ignition record, if there is one. */
function recordedAddress(record: unknown, key: string): string | undefined {
  if (record === null || typeof record !== "object") return undefined;
  const value = (record as Record<string, unknown>)[key];
  return typeof value === "string" && isAddress(value) ? getAddress(value) : undefined;
}

/**
 * What the app knows of one chain from its Ignition record (`deployed_addresses.json`, parsed): the
 * pool and, when recorded, the bridge's adapter (a home chain); or a remote chain of the bridge (its
 * OFT and RateOracle, no pool); else nothing.
 */
export function appDeploymentOf(record: unknown, rpcUrl?: string): AppDeployment | undefined {
  const withRpc = rpcUrl === undefined ? {} : { rpcUrl };
  const pool = poolFromIgnitionRecord(record);
  if (pool !== undefined) {
    const adapter = recordedAddress(record, BRIDGE_DEPLOYMENT_KEYS.adapter);
    return { pool, ...withRpc, ...(adapter === undefined ? {} : { bridge: { adapter } }) };
  }
  const oft = recordedAddress(record, BRIDGE_DEPLOYMENT_KEYS.remoteOft);
  const rateOracle = recordedAddress(record, BRIDGE_DEPLOYMENT_KEYS.remoteRateOracle);
  if (oft === undefined || rateOracle === undefined) return undefined;
  return { ...withRpc, remote: { oft, rateOracle } };
}

/**
 * Every chain recorded under `<ignitionDir>/deployments/chain-<id>/`, by chain id: the pool of a home
 * chain (with the bridge's adapter when recorded), the OFT and RateOracle of a remote chain; each
 * with its read RPC URL from `rpcUrls` when it has one.
 */
export function appDeployments(
  ignitionDir: string,
  rpcUrls: Readonly<Record<string, string>> = {},
): Record<string, AppDeployment> {
  const root = path.join(ignitionDir, "deployments");
  const found: Record<string, AppDeployment> = {};
  if (!fs.existsSync(root)) return found;
  for (const entry of fs.readdirSync(root)) {
    const match = /^chain-([0-9]+)$/.exec(entry);
    const file = path.join(root, entry, "deployed_addresses.json");
    if (!match || !fs.existsSync(file)) continue;
    const deployment = appDeploymentOf(JSON.parse(fs.readFileSync(file, "utf8")), rpcUrls[match[1]]);
    if (deployment !== undefined) found[match[1]] = deployment;
  }
  return found;
}

/** Where the app's addresses come from and where a build goes. */
export interface AppConfigOptions {
  /** Ignition's directory (hre.config.paths.ignition, or a temporary one in tests). */
  ignitionDir: string;
  /**
   * Read RPC URLs by chain id, e.g. the local node's for 31337; they take precedence over the
   * `TIDEPOOL_APP_RPC_URL_<chainId>` environment variables.
   */
  rpcUrls?: Readonly<Record<string, string>>;
  /** Build output (default: app/dist). */
  outDir?: string;
  /** Dev-server port (default 5173). */
  port?: number;
}

/**
 * The Vite configuration of the app: root app/, the recorded deployments (and their read RPC URLs)
 * injected with `define`.
 */
export function appViteConfig(options: AppConfigOptions): InlineConfig {
  const nodeModules = fs.realpathSync(path.join(REPO_ROOT, "node_modules"));
  const rpcUrls = { ...readRpcUrlsFromEnv(), ...options.rpcUrls };
  return {
    configFile: false,
    root: APP_ROOT,
    base: "./",
    logLevel: "warn",
    clearScreen: false,
    define: { __TIDEPOOL_DEPLOYMENTS__: JSON.stringify(appDeployments(options.ignitionDir, rpcUrls)) },
    build: { outDir: options.outDir ?? path.join(APP_ROOT, "dist"), emptyOutDir: true, chunkSizeWarningLimit: 2_000 },
    server: {
      host: "127.0.0.1",
      port: options.port ?? 5173,
      strictPort: true,
      fs: { allow: [REPO_ROOT, nodeModules] },
    },
  };
}

/** Builds the app into `options.outDir` with Vite's JS API. */
export async function buildApp(options: AppConfigOptions): Promise<void> {
  const { build } = await import("vite");
  await build(appViteConfig(options));
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

/** Serves the files of `dir` on 127.0.0.1 (any free port): enough for a built single-page app. */
export async function serveDirectory(dir: string): Promise<RpcServer> {
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    const file = path.resolve(root, "." + (pathname.endsWith("/") ? pathname + "index.html" : pathname));
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream" });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}

/** A report's optional parts: EL rewards to pay into the vault first, requests to finalize. */
export interface SeedReport {
  elRewardsWei?: bigint;
  lastRequestIdToFinalize?: bigint;
}

/**
 * Moves to the next frame and has the committee apply a report: the consensus layer as last
 * reported, the EL rewards vault's balance (after `elRewardsWei` is paid into it by the admin) as
 * rewards, and finalization up to `lastRequestIdToFinalize`. Returns the applied report's refSlot.
 */
export async function applySeedReport(
  hre: HardhatRuntimeEnvironment,
  t: Tidepool,
  r: SeedReport = {},
): Promise<bigint> {
  const vault = await t.elRewardsVault.getAddress();
  if (r.elRewardsWei !== undefined && r.elRewardsWei > 0n) {
    await (await t.admin.sendTransaction({ to: vault, value: r.elRewardsWei })).wait();
  }
  const refSlot = await advanceFrames(hre.network.provider, t.oracle);
  const [, clValidators, clBalance] = await t.pool.getBeaconStat();
  const data = buildReport(refSlot, {
    numValidators: clValidators,
    clBalanceGwei: clBalance / 10n ** 9n,
    elRewardsVaultBalance: await hre.ethers.provider.getBalance(vault),
    lastRequestIdToFinalize: r.lastRequestIdToFinalize ?? 0n,
  });
  await submitUntilApplied(t.oracle, t.oracleMembers, data);
  return refSlot;
}

/** EL rewards worth ~3.3% a year on `totalEther` for one day (inside the positive-rebase limit). */
export function dailyRewards(totalEther: bigint): bigint {
  return (totalEther * 9n) / 100_000n;
}

/**
 * A small history for the app to show: four holders (accounts 7–10) stake, three daily reports
 * pay EL rewards (so the chart has points and the APR is set), one request is finalized and can be
 * claimed by account 8, and one of account 9's stays in the queue.
 */
export async function seedLocal(hre: HardhatRuntimeEnvironment, t: Tidepool): Promise<void> {
  const [a, b, c, d] = t.users;
  const queue = await t.withdrawalQueue.getAddress();
  const stakes: [typeof a, string][] = [
    [a, "64"],
    [b, "32"],
    [c, "16"],
    [d, "8"],
  ];
  for (const [holder, value] of stakes) {
    await (await t.pool.connect(holder).stake(ZeroAddress, { value: parseEther(value) })).wait();
  }
  const request = async (holder: typeof a, value: bigint): Promise<void> => {
    await (await t.pool.connect(holder).approve(queue, value)).wait();
    await (await t.withdrawalQueue.connect(holder).requestWithdrawals([value], ZeroAddress)).wait();
  };
  await applySeedReport(hre, t, { elRewardsWei: dailyRewards(await t.pool.totalPooledEther()) });
  await request(b, parseEther("2"));
  await applySeedReport(hre, t, {
    elRewardsWei: dailyRewards(await t.pool.totalPooledEther()),
    lastRequestIdToFinalize: await t.withdrawalQueue.getLastRequestId(),
  });
  await request(c, parseEther("1"));
  await applySeedReport(hre, t, { elRewardsWei: dailyRewards(await t.pool.totalPooledEther()) });
}

/** Pushes wtpETH's share rate from home to the local L2's RateOracle and relays it there. */
export async function pushLocalRate(bridge: LocalBridge): Promise<void> {
  const fee = await bridge.pusher.quotePushRate(bridge.remoteEid, "0x");
  await (await bridge.pusher.pushRate(bridge.remoteEid, "0x", { value: fee.nativeFee })).wait();
  await relayAll(bridge);
}

/** Relays until every packet sent so far is delivered; a packet that keeps failing is an error. */
export async function relayAll(bridge: LocalBridge): Promise<void> {
  const deliveries = await bridge.relay();
  const failed = deliveries.find((d) => d.status === "failed");
  if (failed) throw new Error(`a LayerZero packet to endpoint ${failed.packet.dstEid} failed: ${failed.reason}`);
}

/**
 * Gives `holder` wtpETH on both chains of the local bridge: stakes `stakeEth`, wraps it all, sends
 * `bridgeWtpEth` of it to the L2 through the adapter (approval, quote, send) and relays it; then
 * pushes the rate so the L2 has one. Returns the holder's wtpETH at home and on the L2.
 */
export async function seedLocalBridge(
  t: Tidepool,
  bridge: LocalBridge,
  holder: Signer,
  stakeEth = "5",
  bridgeWtpEth = "1.5",
): Promise<{ home: bigint; remote: bigint }> {
  const address = await holder.getAddress();
  await (await t.pool.connect(holder).stake(ZeroAddress, { value: parseEther(stakeEth) })).wait();
  const tp = await t.pool.balanceOf(address);
  await (await t.pool.connect(holder).approve(t.wrapperAddress, tp)).wait();
  await (await t.wrapper.connect(holder).deposit(tp, address)).wait();
  const amount = parseEther(bridgeWtpEth);
  const adapter = bridge.adapter.connect(holder);
  await (await t.wrapper.connect(holder).approve(await adapter.getAddress(), amount)).wait();
  const param = oftSendParam(bridge.remoteEid, address, amount, amount);
  const fee = await adapter.quoteSend(param, false);
  await (
    await adapter.send(param, { nativeFee: fee.nativeFee, lzTokenFee: 0n }, address, { value: fee.nativeFee })
  ).wait();
  await relayAll(bridge);
  await pushLocalRate(bridge);
  // ETH on the L2 too, for gas and LayerZero's fee when sending from there (Anvil funds only its first ten accounts).
  await bridge.l2.provider.send("anvil_setBalance", [address, toQuantity(parseEther("10"))]);
  return { home: await t.wrapper.balanceOf(address), remote: await bridge.oft.balanceOf(address) };
}
