/**
 * The wtpETH bridge and the remote rate (issue 20) against LayerZero's endpoint mock, next to
 * LayerZero's own OFT and OFT adapter (test doubles deploying them as they ship) measured the same
 * way, on a live deployment: home is eid 1, the remote chain eid 2, on the one in-process chain.
 *
 * - `*.send`: a holder's `send` from home to the remote chain as a whole transaction. The mock
 *   delivers in the same transaction, so the figure includes the remote `lzReceive` (the mint) and
 *   the mock's bookkeeping — the same for ours and LayerZero's.
 * - `*.receive`: `lzReceive` alone, sent by the endpoint's address (impersonated) to the remote
 *   OFT: a mint to a holder who already holds some.
 * - `rate.push`: `pushRate` after a new report, delivered in the same transaction (as above);
 *   `rate.receive`: the RateOracle's `lzReceive` of a newer rate, sent by the endpoint's address.
 * Each is a repeat (the path's slots already written), as in daily use.
 */
import hre from "hardhat";
import { AbiCoder, concat, parseEther, toBeHex, zeroPadValue } from "ethers";
import { MSG_TYPE_SEND, OFT_RECEIVE_GAS, RATE_RECEIVE_GAS, lzReceiveOptions, peerBytes32 } from "../sdk/src/bridge";
import { liveDeployment, nextReport } from "./operations";
import { gasOf, type Gas } from "./measure";

const HOME = 1;
const REMOTE = 2;

/** An OApp pair: `home` on eid 1 and `remote` on eid 2, peers of each other, `lzReceive` gas enforced. */
interface Pair {
  home: { setPeer(eid: number, peer: string): Promise<unknown>; getAddress(): Promise<string> };
  remote: { setPeer(eid: number, peer: string): Promise<unknown>; getAddress(): Promise<string> };
}

export async function bridgeBenchmarks(gas: Gas): Promise<void> {
  const { ethers, network } = hre;
  const t = await liveDeployment();
  const [holder] = t.users;
  const homeEndpoint = await ethers.deployContract("EndpointV2Mock", [HOME]);
  const remoteEndpoint = await ethers.deployContract("EndpointV2Mock", [REMOTE]);
  const owner = t.admin.address;

  const ours = {
    home: await ethers.deployContract("WtpEthOFTAdapter", [t.wrapperAddress, homeEndpoint, owner]),
    remote: await ethers.deployContract("WtpEthOFT", [remoteEndpoint, owner]),
  };
  const plain = {
    home: await ethers.deployContract("LzPlainOFTAdapter__Mock", [t.wrapperAddress, homeEndpoint, owner]),
    remote: await ethers.deployContract("LzPlainOFT__Mock", [remoteEndpoint, owner]),
  };
  const rate = {
    home: await ethers.deployContract("RatePusher", [t.wrapperAddress, t.oracle, homeEndpoint, owner]),
    remote: await ethers.deployContract("RateOracle", [remoteEndpoint, owner, 100, 2 * 86_400]),
  };
  const wire = async (pair: Pair) => {
    const [home, remote] = [await pair.home.getAddress(), await pair.remote.getAddress()];
    await pair.home.setPeer(REMOTE, peerBytes32(remote));
    await pair.remote.setPeer(HOME, peerBytes32(home));
    await homeEndpoint.setDestLzEndpoint(remote, await remoteEndpoint.getAddress());
    await remoteEndpoint.setDestLzEndpoint(home, await homeEndpoint.getAddress());
  };
  for (const pair of [ours, plain, rate]) await wire(pair);
  const oftOptions = (eid: number) => [{ eid, msgType: MSG_TYPE_SEND, options: lzReceiveOptions(OFT_RECEIVE_GAS) }];
  for (const pair of [ours, plain]) {
    await pair.home.setEnforcedOptions(oftOptions(REMOTE));
    await pair.remote.setEnforcedOptions(oftOptions(HOME));
  }
  await ours.home.setRateLimits([{ dstEid: REMOTE, limit: parseEther("1000"), window: 86_400 }]);
  await ours.remote.setRateLimits([{ dstEid: HOME, limit: parseEther("1000"), window: 86_400 }]);
  await rate.home.setEnforcedOptions([
    { eid: REMOTE, msgType: MSG_TYPE_SEND, options: lzReceiveOptions(RATE_RECEIVE_GAS) },
  ]);

  await t.pool.connect(holder).stake(holder.address, { value: parseEther("20") });
  await t.pool.connect(holder).approve(t.wrapperAddress, parseEther("20"));
  await t.wrapper.connect(holder).deposit(parseEther("20"), holder.address);

  const amount = parseEther("1");
  const param = {
    dstEid: REMOTE,
    to: peerBytes32(holder.address),
    amountLD: amount,
    minAmountLD: amount,
    extraOptions: "0x",
    composeMsg: "0x",
    oftCmd: "0x",
  };
  for (const [key, adapter] of [
    ["bridge.send", ours.home],
    ["bridge.send.lzOftAdapter", plain.home],
  ] as const) {
    await t.wrapper.connect(holder).approve(await adapter.getAddress(), parseEther("10"));
    const fee = await adapter.quoteSend(param, false);
    const send = () =>
      adapter
        .connect(holder)
        .send(param, { nativeFee: fee.nativeFee, lzTokenFee: 0n }, holder.address, { value: fee.nativeFee });
    await (await send()).wait(); // first send: the path's slots and the recipient's balance written
    gas[key] = await gasOf(key, send());
  }

  const endpoint = await ethers.getSigner(await remoteEndpoint.getAddress());
  await network.provider.request({ method: "hardhat_impersonateAccount", params: [endpoint.address] });
  await network.provider.request({ method: "hardhat_setBalance", params: [endpoint.address, "0xde0b6b3a7640000"] });
  const oftMessage = concat([peerBytes32(holder.address), zeroPadValue(toBeHex(amount / 10n ** 12n), 8)]);
  for (const [key, pair] of [
    ["bridge.receive", ours],
    ["bridge.receive.lzOft", plain],
  ] as const) {
    const origin = { srcEid: HOME, sender: peerBytes32(await pair.home.getAddress()), nonce: 99 };
    gas[key] = await gasOf(
      key,
      pair.remote.connect(endpoint).lzReceive(origin, ethers.ZeroHash, oftMessage, endpoint.address, "0x"),
    );
  }

  const push = async () => {
    const fee = await rate.home.quotePushRate(REMOTE, "0x");
    return rate.home.connect(holder).pushRate(REMOTE, "0x", { value: fee.nativeFee });
  };
  await (await push()).wait(); // the first rate: the oracle's slot written
  await nextReport(t, "rate.push", {});
  gas["rate.push"] = await gasOf("rate.push", push());
  await nextReport(t, "rate.receive", {});
  const [latestRate, refTime] = await rate.home.currentRate();
  const origin = { srcEid: HOME, sender: peerBytes32(await rate.home.getAddress()), nonce: 99 };
  const message = AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [latestRate, refTime]);
  gas["rate.receive"] = await gasOf(
    "rate.receive",
    rate.remote.connect(endpoint).lzReceive(origin, ethers.ZeroHash, message, endpoint.address, "0x"),
  );
}
