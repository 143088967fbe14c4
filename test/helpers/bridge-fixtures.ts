/**
 * Fixtures of the wtpETH bridge (issue 20): three LayerZero endpoint mocks on Hardhat's one chain —
 * eid 1 is home (Tidepool, the OFT adapter, the rate pusher), eids 2 and 3 are remote chains (an
 * OFT each; eid 2 also a RateOracle) — wired as the Ignition modules wire them: peers both ways,
 * enforced lzReceive gas, rate limits. The same wiring on LayerZero's own EndpointV2 (eids 101, 102,
 * 103, relayed by offchain/bridge/layerzero-local.ts) is {@link deployBridgeOnEndpointV2}.
 */
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { parseEther, type AddressLike, type BytesLike } from "ethers";
import { MSG_TYPE_SEND, OFT_RECEIVE_GAS, RATE_RECEIVE_GAS, lzReceiveOptions, peerBytes32 } from "../../sdk/src/bridge";
import type { EndpointV2Mock, RateOracle, RatePusher, WtpEthOFT, WtpEthOFTAdapter } from "../../typechain-types";
import { deployLocalEndpoint, openPaths, type LocalEndpoint } from "../../offchain/bridge/layerzero-local";
import { deployWithValidators } from "./oracle-fixtures";
import type { OracleFixture } from "./oracle-fixtures";

export const HOME_EID = 1;
export const L2_EID = 2;
export const L3_EID = 3;
/** Every path's outbound limit in the fixture: 1,000 wtpETH per day. */
export const PATH_LIMIT = parseEther("1000");
export const PATH_WINDOW = 86_400n;
/** The RateOracle's parameters in the fixture. */
export const MAX_CHANGE_PER_DAY_BP = 100n;
export const MAX_AGE_SECONDS = 2n * 86_400n;

export interface BridgeFixture extends OracleFixture {
  endpoints: Record<number, EndpointV2Mock>;
  adapter: WtpEthOFTAdapter;
  l2: WtpEthOFT;
  l3: WtpEthOFT;
  pusher: RatePusher;
  rateOracle: RateOracle;
  /** Holds 50 wtpETH on the home chain (users[2]). */
  holder: HardhatEthersSigner;
  /** The bridge's pauser (the protocol's pauser account). */
  bridgePauser: HardhatEthersSigner;
}

/** One chain of the bridge: the endpoint id LayerZero knows it by, and its LayerZero endpoint. */
export interface BridgeChain {
  eid: number;
  endpoint: AddressLike;
}

/** An OApp being wired: the contract, its chain's endpoint id and its address. */
interface OAppAt {
  app: { setPeer(eid: number, peer: BytesLike): Promise<unknown> };
  eid: number;
  address: string;
}

/**
 * What an endpoint needs beyond the peers to deliver from one OApp to another: the mocks must be told
 * the destination's endpoint; LayerZero's EndpointV2 needs nothing (its message library routes).
 */
export type LinkEndpoints = (from: OAppAt, to: OAppAt) => Promise<void>;

/** `mocks` told where each OApp's endpoint is, as EndpointV2Mock needs. */
function linkMocks(mocks: Record<number, EndpointV2Mock>): LinkEndpoints {
  return async (from, to) => {
    await mocks[from.eid].setDestLzEndpoint(to.address, await mocks[to.eid].getAddress());
  };
}

/** One OApp's peer on `to.eid` is `to`, and its endpoint delivers there. */
async function link(from: OAppAt, to: OAppAt, linkEndpoints?: LinkEndpoints): Promise<void> {
  await from.app.setPeer(to.eid, peerBytes32(to.address));
  await linkEndpoints?.(from, to);
}

/** The wtpETH adapter at home and the OFTs of L2 and L3, wired. */
export interface WiredOfts {
  adapter: WtpEthOFTAdapter;
  l2: WtpEthOFT;
  l3: WtpEthOFT;
}

/** The wtpETH OFTs of the three chains on endpoint mocks, wired. */
export interface WiredBridge extends WiredOfts {
  endpoints: Record<number, EndpointV2Mock>;
}

/**
 * Deploys the adapter for `wrapper` on `home` and an OFT on `l2` and `l3`, and wires them as the
 * Ignition modules do: peers both ways, enforced lzReceive gas, `limit` per `window` on every path,
 * `pauser` as every OFT's pauser; `owner` owns them all. Works on any endpoints (mocks or LayerZero's
 * EndpointV2); `linkEndpoints` does what the endpoints need besides the peers.
 */
export async function wireOfts(
  wrapper: AddressLike,
  owner: string,
  pauser: string,
  [home, l2Chain, l3Chain]: readonly [BridgeChain, BridgeChain, BridgeChain],
  limit: bigint = PATH_LIMIT,
  window: bigint = PATH_WINDOW,
  linkEndpoints?: LinkEndpoints,
): Promise<WiredOfts> {
  const adapter = await ethers.deployContract("WtpEthOFTAdapter", [wrapper, home.endpoint, owner]);
  const l2 = await ethers.deployContract("WtpEthOFT", [l2Chain.endpoint, owner]);
  const l3 = await ethers.deployContract("WtpEthOFT", [l3Chain.endpoint, owner]);
  const oft = [
    { app: adapter, eid: home.eid, address: await adapter.getAddress() },
    { app: l2, eid: l2Chain.eid, address: await l2.getAddress() },
    { app: l3, eid: l3Chain.eid, address: await l3.getAddress() },
  ];
  for (const from of oft) {
    const others = oft.filter((o) => o !== from);
    for (const to of others) await link(from, to, linkEndpoints);
    await from.app.setEnforcedOptions(
      others.map((o) => ({ eid: o.eid, msgType: MSG_TYPE_SEND, options: lzReceiveOptions(OFT_RECEIVE_GAS) })),
    );
    await from.app.setRateLimits(others.map((o) => ({ dstEid: o.eid, limit, window })));
    await from.app.setPauser(pauser);
  }
  return { adapter, l2, l3 };
}

/**
 * Deploys an endpoint mock per chain (eids 1, 2, 3) and the OFTs on them ({@link wireOfts}).
 */
export async function wireBridge(
  wrapper: AddressLike,
  owner: string,
  pauser: string,
  limit: bigint = PATH_LIMIT,
  window: bigint = PATH_WINDOW,
): Promise<WiredBridge> {
  const endpoints: Record<number, EndpointV2Mock> = {};
  for (const eid of [HOME_EID, L2_EID, L3_EID]) {
    endpoints[eid] = await ethers.deployContract("EndpointV2Mock", [eid]);
  }
  const chains = [HOME_EID, L2_EID, L3_EID].map((eid) => ({ eid, endpoint: endpoints[eid] }));
  const ofts = await wireOfts(
    wrapper,
    owner,
    pauser,
    [chains[0], chains[1], chains[2]],
    limit,
    window,
    linkMocks(endpoints),
  );
  return { endpoints, ...ofts };
}

/** The rate pusher on `home` and the RateOracle on `remote`, peers of each other, `owner` owning both. */
async function wireRate(
  f: OracleFixture,
  owner: string,
  home: BridgeChain,
  remote: BridgeChain,
  linkEndpoints?: LinkEndpoints,
): Promise<{ pusher: RatePusher; rateOracle: RateOracle }> {
  const pusher = await ethers.deployContract("RatePusher", [f.wrapperAddress, f.oracle, home.endpoint, owner]);
  const rateOracle = await ethers.deployContract("RateOracle", [
    remote.endpoint,
    owner,
    MAX_CHANGE_PER_DAY_BP,
    MAX_AGE_SECONDS,
  ]);
  const pusherAt = { app: pusher, eid: home.eid, address: await pusher.getAddress() };
  const oracleAt = { app: rateOracle, eid: remote.eid, address: await rateOracle.getAddress() };
  await link(pusherAt, oracleAt, linkEndpoints);
  await link(oracleAt, pusherAt, linkEndpoints);
  await pusher.setEnforcedOptions([
    { eid: remote.eid, msgType: MSG_TYPE_SEND, options: lzReceiveOptions(RATE_RECEIVE_GAS) },
  ]);
  return { pusher, rateOracle };
}

/** Gives users[2] exactly 50 wtpETH on the home chain (the rest of its deposit to users[3]); returns it. */
async function fundHolder(f: OracleFixture): Promise<HardhatEthersSigner> {
  const holder = f.users[2];
  await f.pool.connect(holder).stake(holder.address, { value: parseEther("60") });
  await f.pool.connect(holder).approve(f.wrapperAddress, parseEther("60"));
  const wtp = await f.wrapper.previewDeposit(parseEther("55"));
  await f.wrapper.connect(holder).deposit(parseEther("55"), holder.address);
  // Exactly 50 wtpETH: the rest to another user, so amounts below are round.
  await f.wrapper.connect(holder).transfer(f.users[3].address, wtp - parseEther("50"));
  return holder;
}

/** Tidepool after a first report, the bridge on three endpoint mocks, and a holder with 50 wtpETH. */
export async function deployBridge(): Promise<BridgeFixture> {
  const f = await loadFixture(deployWithValidators);
  const owner = f.admin.address;
  const { endpoints, adapter, l2, l3 } = await wireBridge(f.wrapperAddress, owner, f.pauser.address);
  const { pusher, rateOracle } = await wireRate(
    f,
    owner,
    { eid: HOME_EID, endpoint: endpoints[HOME_EID] },
    { eid: L2_EID, endpoint: endpoints[L2_EID] },
    linkMocks(endpoints),
  );
  const holder = await fundHolder(f);
  return { ...f, endpoints, adapter, l2, l3, pusher, rateOracle, holder, bridgePauser: f.pauser };
}

/** Endpoint ids of the chains on LayerZero's real EndpointV2 (distinct from the mocks' 1, 2, 3). */
export const V2_HOME_EID = 101;
export const V2_L2_EID = 102;
export const V2_L3_EID = 103;

/** The bridge on LayerZero's own EndpointV2 and SimpleMessageLib (offchain/bridge/layerzero-local.ts). */
export interface EndpointV2BridgeFixture extends OracleFixture, WiredOfts {
  /** Each chain's endpoint and message library, by endpoint id. */
  chains: Record<number, LocalEndpoint>;
  pusher: RatePusher;
  rateOracle: RateOracle;
  /** Holds 50 wtpETH on the home chain (users[2]). */
  holder: HardhatEthersSigner;
  /** The bridge's pauser (the protocol's pauser account). */
  bridgePauser: HardhatEthersSigner;
  /** The only account every message library lets verify packets: the relayer's. */
  relayerSigner: HardhatEthersSigner;
}

/**
 * Tidepool after a first report, LayerZero's EndpointV2 and SimpleMessageLib for eids 101 (home), 102
 * (L2, also the RateOracle) and 103 (L3), each library verifying only for the relayer's account
 * (signer 30), the bridge wired on them as on the mocks, and a holder with 50 wtpETH.
 */
export async function deployBridgeOnEndpointV2(): Promise<EndpointV2BridgeFixture> {
  const f = await loadFixture(deployWithValidators);
  const owner = f.admin.address;
  const relayerSigner = (await ethers.getSigners())[30];
  const eids = [V2_HOME_EID, V2_L2_EID, V2_L3_EID];
  const chains: Record<number, LocalEndpoint> = {};
  for (const eid of eids) {
    chains[eid] = await deployLocalEndpoint(f.admin, eid, { verifier: relayerSigner.address });
  }
  for (const eid of eids) {
    await openPaths(
      f.admin,
      chains[eid],
      eids.filter((other) => other !== eid),
    );
  }
  const ofts = await wireOfts(f.wrapperAddress, owner, f.pauser.address, [
    chains[V2_HOME_EID],
    chains[V2_L2_EID],
    chains[V2_L3_EID],
  ]);
  const { pusher, rateOracle } = await wireRate(f, owner, chains[V2_HOME_EID], chains[V2_L2_EID]);
  const holder = await fundHolder(f);
  return { ...f, ...ofts, chains, pusher, rateOracle, holder, bridgePauser: f.pauser, relayerSigner };
}

/** A send's parameters: `amount` to `to` on `dstEid`, slippage bound `minAmount` (default: none). */
export function sendParam(dstEid: number, to: string, amount: bigint, minAmount = 0n) {
  return {
    dstEid,
    to: peerBytes32(to),
    amountLD: amount,
    minAmountLD: minAmount,
    extraOptions: "0x",
    composeMsg: "0x",
    oftCmd: "0x",
  };
}

/** Quotes and sends `amount` from `from` through `oft` to `to` on `dstEid`; returns the fee paid. */
export async function bridge(
  oft: WtpEthOFTAdapter | WtpEthOFT,
  from: HardhatEthersSigner,
  dstEid: number,
  to: string,
  amount: bigint,
): Promise<bigint> {
  const param = sendParam(dstEid, to, amount);
  const fee = await oft.quoteSend(param, false);
  await oft.connect(from).send(param, { nativeFee: fee.nativeFee, lzTokenFee: 0n }, from.address, {
    value: fee.nativeFee,
  });
  return fee.nativeFee;
}

/** wtpETH locked on the home chain equals the remote supply on L2 and L3 together, to the wei. */
export async function expectBacked(f: Pick<BridgeFixture, "wrapper" | "adapter" | "l2" | "l3">): Promise<bigint> {
  const locked = await f.wrapper.balanceOf(await f.adapter.getAddress());
  expect(locked).to.equal((await f.l2.totalSupply()) + (await f.l3.totalSupply()));
  return locked;
}

/** A signer at `endpoint`'s address, to deliver (or re-deliver) a message as the endpoint would. */
export async function asEndpoint(endpoint: AddressLike): Promise<HardhatEthersSigner> {
  const address = await ethers.resolveAddress(endpoint);
  await network.provider.request({ method: "hardhat_impersonateAccount", params: [address] });
  await network.provider.request({ method: "hardhat_setBalance", params: [address, "0xde0b6b3a7640000"] });
  return ethers.getSigner(address);
}
