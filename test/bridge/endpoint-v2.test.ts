/**
 * The wtpETH bridge on LayerZero's real EndpointV2 (two endpoints on Hardhat's chain, relayed by
 * offchain/bridge/layerzero-local.ts).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";
import { MSG_TYPE_SEND, OFT_RECEIVE_GAS, lzReceiveOptions, peerBytes32 } from "../../sdk/src/bridge";
import { LayerZeroRelayer, deployLocalEndpoint, openPaths } from "../../offchain/bridge/layerzero-local";
import { deployBridge, sendParam } from "../helpers/bridge-fixtures";

describe("wtpETH bridge on LayerZero's EndpointV2", function () {
  it("smoke", async function () {
    const f = await loadFixture(deployBridge);
    const [deployer] = await ethers.getSigners();
    const home = await deployLocalEndpoint(deployer, 101);
    const l2 = await deployLocalEndpoint(deployer, 102);
    await openPaths(deployer, home, [102]);
    await openPaths(deployer, l2, [101]);
    const adapter = await ethers.deployContract("WtpEthOFTAdapter", [
      f.wrapperAddress,
      home.endpoint,
      deployer.address,
    ]);
    const oft = await ethers.deployContract("WtpEthOFT", [l2.endpoint, deployer.address]);
    await adapter.setPeer(102, peerBytes32(await oft.getAddress()));
    await oft.setPeer(101, peerBytes32(await adapter.getAddress()));
    await adapter.setEnforcedOptions([
      { eid: 102, msgType: MSG_TYPE_SEND, options: lzReceiveOptions(OFT_RECEIVE_GAS) },
    ]);
    await adapter.setRateLimits([{ dstEid: 102, limit: parseEther("1000"), window: 86400 }]);
    const relayer = new LayerZeroRelayer([
      { ...home, signer: deployer, fromBlock: 0 },
      { ...l2, signer: deployer, fromBlock: 0 },
    ]);
    await f.wrapper.connect(f.holder).approve(await adapter.getAddress(), parseEther("5"));
    const p = sendParam(102, f.holder.address, parseEther("5"));
    const fee = await adapter.quoteSend(p, false);
    await adapter
      .connect(f.holder)
      .send(p, { nativeFee: fee.nativeFee, lzTokenFee: 0n }, f.holder.address, { value: fee.nativeFee });
    const d = await relayer.relay();
    console.log(d.map((x) => [x.status, x.reason]));
    expect(await oft.balanceOf(f.holder.address)).to.equal(parseEther("5"));
  });
});
