/**
 * The wtpETH bridge between two local chains, as the demo (scripts/demo.ts) and the web app's local
 * setup (`npm run app`) run it: Hardhat's network is the home chain (Tidepool deployed there), an
 * Anvil node is an L2. Each chain gets LayerZero's own EndpointV2 and SimpleMessageLib
 * (offchain/bridge/layerzero-local.ts); the bridge is deployed by the real Ignition modules
 * (deploy/modules/Remote.ts on the L2, then BridgeHome.ts at home) and recorded where the app and the
 * `bridge` / `push-rate` tasks look for it when `ignitionDir` is given; a LayerZeroRelayer moves the
 * packets. On local chains the LayerZero endpoint id is the chain id.
 *
 * The local L2 has no governance: its deployer account (Anvil's first) owns the OFT and the
 * RateOracle and is the pauser there; at home the local deployment's admin is the "timelock".
 */
import fs from "node:fs";
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { HDNodeWallet, Mnemonic, getCreateAddress, toBeHex, type JsonRpcProvider } from "ethers";
import BridgeHomeModule from "./modules/BridgeHome";
import RemoteModule from "./modules/Remote";
import { deployModuleOverRpc, type Tidepool } from "./protocol";
import { BRIDGE_DEPLOYMENT_KEYS, peerBytes32 } from "../sdk/src/bridge";
import { describeError } from "../sdk/src/errors";
import {
  RateOracle__factory,
  RatePusher__factory,
  WtpEthOFTAdapter__factory,
  WtpEthOFT__factory,
  type RateOracle,
  type RatePusher,
  type WtpEthOFT,
  type WtpEthOFTAdapter,
} from "../typechain-types";
import {
  LayerZeroRelayer,
  deployLocalEndpoint,
  openPaths,
  type Delivery,
  type LocalEndpoint,
} from "../offchain/bridge/layerzero-local";

/** The chain id of the local L2 (Anvil) the demo and the app run the bridge's remote side on. */
export const LOCAL_L2_CHAIN_ID = 31339;

/** The mnemonic of Hardhat's and Anvil's default accounts (public: for local chains only). */
export const LOCAL_MNEMONIC = "test test test test test test test test test test test junk";

/** Local account `index` of {@link LOCAL_MNEMONIC} (Hardhat's signer `index`), to sign on another local chain. */
export function localAccount(index: number): HDNodeWallet {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(LOCAL_MNEMONIC), `m/44'/60'/0'/0/${index}`);
}

/** A local L2 as the bridge sees it: a node, its chain id, and its unlocked accounts. */
export interface LocalChain {
  provider: JsonRpcProvider;
  chainId: number;
}

/** What a local bridge's deployment takes besides the chains. */
export interface LocalBridgeOptions {
  /** Records both sides under `<ignitionDir>/deployments/chain-<id>/` (the L2's record is replaced). */
  ignitionDir?: string;
  /** Outbound limit per path and its window (Ignition defaults: 1,000 wtpETH a day). */
  limitWei?: bigint;
  windowSeconds?: number;
  /** The L2 RateOracle's limits (Ignition defaults: 1% a day, stale after two days). */
  maxChangePerDayBP?: number;
  maxAgeSeconds?: number;
}

/** The bridge on two local chains, and the relayer between them. */
export interface LocalBridge {
  homeEid: number;
  remoteEid: number;
  remoteChainId: number;
  /** The L2's node. */
  l2: LocalChain;
  home: LocalEndpoint;
  remote: LocalEndpoint;
  /** Home contracts, connected to the local admin. */
  adapter: WtpEthOFTAdapter;
  pusher: RatePusher;
  /** L2 contracts, connected to the L2's owner account. */
  oft: WtpEthOFT;
  rateOracle: RateOracle;
  relayer: LayerZeroRelayer;
  /**
   * One relay pass, the L2's clock first brought up to the home chain's (local chains warp time, real
   * ones agree on it; the RateOracle refuses a rate from its future).
   */
  relay(): Promise<Delivery[]>;
}

/** A Hardhat network's provider as JSON-RPC (`send`), for Ignition's `deploy`. */
type Rpc = { send(method: string, params: unknown[]): Promise<unknown> };

/**
 * Deploys the bridge between `hre`'s network (Tidepool `t` there) and the local chain `l2`, wires it
 * both ways, and returns it with a relayer whose passes start at the current blocks.
 */
export async function deployLocalBridge(
  hre: HardhatRuntimeEnvironment,
  t: Tidepool,
  l2: LocalChain,
  options: LocalBridgeOptions = {},
): Promise<LocalBridge> {
  const homeRpc: Rpc = hre.network.provider;
  const homeChainId = Number(BigInt((await homeRpc.send("eth_chainId", [])) as string));
  const [homeEid, remoteEid] = [homeChainId, l2.chainId];
  const remoteOwner = await l2.provider.getSigner(0);
  const homeAdmin = t.admin;

  const home = await deployLocalEndpoint(homeAdmin, homeEid);
  const remote = await deployLocalEndpoint(remoteOwner, remoteEid);
  await openPaths(homeAdmin, home, [remoteEid]);
  await openPaths(remoteOwner, remote, [homeEid]);

  const record = (chainId: number) =>
    options.ignitionDir === undefined ? undefined : path.join(options.ignitionDir, "deployments", `chain-${chainId}`);
  // Remote.ts needs the home addresses, BridgeHome.ts the remote ones: the home contracts' are
  // predicted from the admin's nonce (Ignition deploys the pusher, then the adapter), and checked below.
  const nonce = await homeAdmin.getNonce("pending");
  const [predictedPusher, predictedAdapter] = [0, 1].map((i) =>
    getCreateAddress({ from: homeAdmin.address, nonce: nonce + i }),
  );
  const remoteDir = record(remoteEid);
  if (remoteDir !== undefined) fs.rmSync(remoteDir, { recursive: true, force: true });
  const ownerAddress = await remoteOwner.getAddress();
  const remoteIds = await deployModuleOverRpc(
    hre,
    l2.provider,
    RemoteModule,
    {
      TidepoolRemote: {
        endpoint: remote.endpoint,
        homeEid,
        homeAdapter: peerBytes32(predictedAdapter),
        homePusher: peerBytes32(predictedPusher),
        timelock: ownerAddress,
        pauser: ownerAddress,
        ...limits(options),
        ...(options.maxChangePerDayBP === undefined ? {} : { maxChangePerDayBP: options.maxChangePerDayBP }),
        ...(options.maxAgeSeconds === undefined ? {} : { maxAgeSeconds: options.maxAgeSeconds }),
      },
    },
    remoteDir,
  );
  const oftAddress = remoteIds[BRIDGE_DEPLOYMENT_KEYS.remoteOft];
  const rateOracleAddress = remoteIds[BRIDGE_DEPLOYMENT_KEYS.remoteRateOracle];
  const homeIds = await deployModuleOverRpc(
    hre,
    homeRpc,
    BridgeHomeModule,
    {
      TidepoolBridgeHome: {
        wtpEth: t.wrapperAddress,
        oracle: await t.oracle.getAddress(),
        endpoint: home.endpoint,
        remoteEid,
        remoteOft: peerBytes32(oftAddress),
        remoteRateOracle: peerBytes32(rateOracleAddress),
        timelock: homeAdmin.address,
        pauser: t.pauser.address,
        ...limits(options),
      },
    },
    record(homeEid),
  );
  const adapter = WtpEthOFTAdapter__factory.connect(homeIds[BRIDGE_DEPLOYMENT_KEYS.adapter], homeAdmin);
  const pusher = RatePusher__factory.connect(homeIds[BRIDGE_DEPLOYMENT_KEYS.pusher], homeAdmin);
  const oft = WtpEthOFT__factory.connect(oftAddress, remoteOwner);
  const rateOracle = RateOracle__factory.connect(rateOracleAddress, remoteOwner);
  // The L2's peers are the predicted home addresses: correct them (as the L2's owner) if Ignition
  // deployed the home contracts in another order or after another transaction.
  const [adapterAddress, pusherAddress] = [await adapter.getAddress(), await pusher.getAddress()];
  if ((await oft.peers(homeEid)) !== peerBytes32(adapterAddress).toLowerCase()) {
    await (await oft.setPeer(homeEid, peerBytes32(adapterAddress))).wait();
  }
  if ((await rateOracle.peers(homeEid)) !== peerBytes32(pusherAddress).toLowerCase()) {
    await (await rateOracle.setPeer(homeEid, peerBytes32(pusherAddress))).wait();
  }

  const describe = (error: unknown) => describeError(error, [oft.interface, rateOracle.interface]);
  const relayer = new LayerZeroRelayer(
    [
      { ...home, signer: homeAdmin, fromBlock: (await hre.ethers.provider.getBlockNumber()) + 1 },
      { ...remote, signer: remoteOwner, fromBlock: (await l2.provider.getBlockNumber()) + 1 },
    ],
    { describe },
  );
  const relay = async (): Promise<Delivery[]> => {
    await alignClock(hre, l2.provider);
    return relayer.relay();
  };
  return {
    homeEid,
    remoteEid,
    remoteChainId: l2.chainId,
    l2,
    home,
    remote,
    adapter,
    pusher,
    oft,
    rateOracle,
    relayer,
    relay,
  };
}

/** The outbound limit parameters both modules take, when given. */
function limits(options: LocalBridgeOptions): Record<string, bigint | number> {
  return {
    ...(options.limitWei === undefined ? {} : { limitWei: options.limitWei }),
    ...(options.windowSeconds === undefined ? {} : { windowSeconds: options.windowSeconds }),
  };
}

/** Mines a block on the L2 at the home chain's time when the L2's clock is behind it. */
async function alignClock(hre: HardhatRuntimeEnvironment, l2: JsonRpcProvider): Promise<void> {
  const homeBlock = await hre.ethers.provider.getBlock("latest");
  const l2Block = await l2.getBlock("latest");
  if (homeBlock === null || l2Block === null || l2Block.timestamp >= homeBlock.timestamp) return;
  await l2.send("evm_setNextBlockTimestamp", [toBeHex(homeBlock.timestamp)]);
  await l2.send("evm_mine", []);
}
