/**
 * Fixtures of the wtpETH bridge (issue 20): three LayerZero endpoint mocks on Hardhat's one chain —
 * eid 1 is home (Tidepool, the OFT adapter, the rate pusher), eids 2 and 3 are remote chains (an
 * OFT each; eid 2 also a RateOracle) — wired as the Ignition modules wire them: peers both ways,
 * enforced lzReceive gas, rate limits.
 */
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { parseEther, type AddressLike, type BytesLike } from "ethers";
import { MSG_TYPE_SEND, OFT_RECEIVE_GAS, RATE_RECEIVE_GAS, lzReceiveOptions, peerBytes32 } from "../../sdk/src/bridge";
import type { EndpointV2Mock, RateOracle, RatePusher, WtpEthOFT, WtpEthOFTAdapter } from "../../typechain-types";
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

/** One OApp's peer on `eid` is `peer`, and `eid`'s endpoint delivers to it. */
async function link(
  endpoints: Record<number, EndpointV2Mock>,
  from: { app: { setPeer(eid: number, peer: BytesLike): Promise<unknown> }; eid: number },
  to: { address: string; eid: number },
): Promise<void> {
  await from.app.setPeer(to.eid, peerBytes32(to.address));
  await endpoints[from.eid].setDestLzEndpoint(to.address, await endpoints[to.eid].getAddress());
}

/** The wtpETH OFTs of the three chains, wired; `bridge.eids[i]` is the chain of `bridge.ofts[i]`. */
export interface WiredBridge {
  endpoints: Record<number, EndpointV2Mock>;
  adapter: WtpEthOFTAdapter;
  l2: WtpEthOFT;
  l3: WtpEthOFT;
}

/**
 * Deploys an endpoint mock per chain, the adapter for `wrapper` at home and an OFT on L2 and L3, and
 * wires them as the Ignition modules do: peers both ways, enforced lzReceive gas, `limit` per
 * `window` on every path, `pauser` as every OFT's pauser; `owner` owns them all.
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
  const adapter = await ethers.deployContract("WtpEthOFTAdapter", [wrapper, endpoints[HOME_EID], owner]);
  const l2 = await ethers.deployContract("WtpEthOFT", [endpoints[L2_EID], owner]);
  const l3 = await ethers.deployContract("WtpEthOFT", [endpoints[L3_EID], owner]);
  const oft = [
    { app: adapter, eid: HOME_EID, address: await adapter.getAddress() },
    { app: l2, eid: L2_EID, address: await l2.getAddress() },
    { app: l3, eid: L3_EID, address: await l3.getAddress() },
  ];
  for (const from of oft) {
    const others = oft.filter((o) => o !== from);
    for (const to of others) await link(endpoints, from, to);
    await from.app.setEnforcedOptions(
      others.map((o) => ({ eid: o.eid, msgType: MSG_TYPE_SEND, options: lzReceiveOptions(OFT_RECEIVE_GAS) })),
    );
    await from.app.setRateLimits(others.map((o) => ({ dstEid: o.eid, limit, window })));
    await from.app.setPauser(pauser);
  }
  return { endpoints, adapter, l2, l3 };
}

/** Tidepool after a first report, the bridge on three endpoints, and a holder with 50 wtpETH. */
export async function deployBridge(): Promise<BridgeFixture> {
  const f = await loadFixture(deployWithValidators);
  const owner = f.admin.address;
  const { endpoints, adapter, l2, l3 } = await wireBridge(f.wrapperAddress, owner, f.pauser.address);

  const pusher = await ethers.deployContract("RatePusher", [f.wrapperAddress, f.oracle, endpoints[HOME_EID], owner]);
  const rateOracle = await ethers.deployContract("RateOracle", [
    endpoints[L2_EID],
    owner,
    MAX_CHANGE_PER_DAY_BP,
    MAX_AGE_SECONDS,
  ]);
  const pusherAt = { app: pusher, eid: HOME_EID, address: await pusher.getAddress() };
  const oracleAt = { app: rateOracle, eid: L2_EID, address: await rateOracle.getAddress() };
  await link(endpoints, pusherAt, oracleAt);
  await link(endpoints, oracleAt, pusherAt);
  await pusher.setEnforcedOptions([
    { eid: L2_EID, msgType: MSG_TYPE_SEND, options: lzReceiveOptions(RATE_RECEIVE_GAS) },
  ]);

  const holder = f.users[2];
  await f.pool.connect(holder).stake(holder.address, { value: parseEther("60") });
  await f.pool.connect(holder).approve(f.wrapperAddress, parseEther("60"));
  const wtp = await f.wrapper.previewDeposit(parseEther("55"));
  await f.wrapper.connect(holder).deposit(parseEther("55"), holder.address);
  // Exactly 50 wtpETH: the rest to another user, so amounts below are round.
  await f.wrapper.connect(holder).transfer(f.users[3].address, wtp - parseEther("50"));
  return { ...f, endpoints, adapter, l2, l3, pusher, rateOracle, holder, bridgePauser: f.pauser };
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
export async function expectBacked(f: BridgeFixture): Promise<bigint> {
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
