/**
 * deploy/modules/BridgeHome.ts on a Tidepool deployment against LayerZero's endpoint mock: the
 * adapter and the rate pusher come out wired to the remote peers, limited, and owned by the timelock.
 */
import { expect } from "chai";
import { ethers, ignition } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";
import BridgeHomeModule from "../../deploy/modules/BridgeHome";
import { OFT_RECEIVE_GAS, RATE_RECEIVE_GAS, lzReceiveOptions, peerBytes32 } from "../../sdk/src/bridge";
import { deployTidepool } from "../helpers/fixtures";

describe("Ignition: the home side of the wtpETH bridge", function () {
  it("deploys WtpEthOFTAdapter and RatePusher wired to the remote peers and owned by the timelock", async function () {
    const f = await loadFixture(deployTidepool);
    const [timelock, remoteOft, remoteRateOracle] = f.users;
    const endpoint = await ethers.deployContract("EndpointV2Mock", [1]);
    const { adapter, pusher } = await ignition.deploy(BridgeHomeModule, {
      parameters: {
        TidepoolBridgeHome: {
          wtpEth: f.wrapperAddress,
          oracle: await f.oracle.getAddress(),
          endpoint: await endpoint.getAddress(),
          remoteEid: 2,
          remoteOft: peerBytes32(remoteOft.address),
          remoteRateOracle: peerBytes32(remoteRateOracle.address),
          timelock: timelock.address,
          pauser: f.pauser.address,
          limitWei: parseEther("250"),
          windowSeconds: 7200,
        },
      },
    });
    expect(await adapter.token()).to.equal(f.wrapperAddress);
    expect(await adapter.peers(2)).to.equal(peerBytes32(remoteOft.address));
    expect(await adapter.enforcedOptions(2, 1)).to.equal(lzReceiveOptions(OFT_RECEIVE_GAS));
    const [limit, window, inFlight] = await adapter.pathLimits(2);
    expect([limit, window, inFlight]).to.deep.equal([parseEther("250"), 7200n, 0n]);
    expect(await adapter.pauser()).to.equal(f.pauser.address);
    expect(await adapter.owner()).to.equal(timelock.address);
    expect(await pusher.WRAPPER()).to.equal(f.wrapperAddress);
    expect(await pusher.ORACLE()).to.equal(await f.oracle.getAddress());
    expect(await pusher.peers(2)).to.equal(peerBytes32(remoteRateOracle.address));
    expect(await pusher.enforcedOptions(2, 1)).to.equal(lzReceiveOptions(RATE_RECEIVE_GAS));
    expect(await pusher.owner()).to.equal(timelock.address);
  });
});
