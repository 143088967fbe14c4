/**
 * deploy/modules/Remote.ts on Hardhat's network against LayerZero's endpoint mock: the OFT and the
 * RateOracle come out wired to the home peers, limited, and owned by the timelock.
 */
import { expect } from "chai";
import { ethers, ignition } from "hardhat";
import { parseEther } from "ethers";
import RemoteModule from "../../deploy/modules/Remote";
import { OFT_RECEIVE_GAS, lzReceiveOptions, peerBytes32 } from "../../sdk/src/bridge";

describe("Ignition: the remote side of the wtpETH bridge", function () {
  it("deploys WtpEthOFT and RateOracle wired to the home peers and owned by the timelock", async function () {
    const [, timelock, pauser, adapter, pusher] = await ethers.getSigners();
    const endpoint = await ethers.deployContract("EndpointV2Mock", [2]);
    const { oft, rateOracle } = await ignition.deploy(RemoteModule, {
      parameters: {
        TidepoolRemote: {
          endpoint: await endpoint.getAddress(),
          homeEid: 1,
          homeAdapter: peerBytes32(adapter.address),
          homePusher: peerBytes32(pusher.address),
          timelock: timelock.address,
          pauser: pauser.address,
          limitWei: parseEther("500"),
          windowSeconds: 3600,
          maxChangePerDayBP: 50,
          maxAgeSeconds: 86_400,
        },
      },
    });
    expect(await oft.peers(1)).to.equal(peerBytes32(adapter.address));
    expect(await oft.enforcedOptions(1, 1)).to.equal(lzReceiveOptions(OFT_RECEIVE_GAS));
    const [limit, window, inFlight] = await oft.pathLimits(1);
    expect([limit, window, inFlight]).to.deep.equal([parseEther("500"), 3600n, 0n]);
    expect(await oft.pauser()).to.equal(pauser.address);
    expect(await oft.owner()).to.equal(timelock.address);
    expect(await rateOracle.peers(1)).to.equal(peerBytes32(pusher.address));
    expect(await rateOracle.maxChangePerDayBP()).to.equal(50n);
    expect(await rateOracle.maxAgeSeconds()).to.equal(86_400n);
    expect(await rateOracle.owner()).to.equal(timelock.address);
  });
});
