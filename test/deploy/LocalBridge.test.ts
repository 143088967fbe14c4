/**
 * The wtpETH bridge between two local chains as the demo and `npm run app` run it (deploy/local-bridge.ts):
 * Hardhat's network at home, Anvil as an L2 (its own chain id), LayerZero's EndpointV2 on each, the
 * bridge deployed by the Ignition modules and recorded, packets moved by the relayer.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { parseEther } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { LOCAL_L2_CHAIN_ID, deployLocalBridge, localAccount } from "../../deploy/local-bridge";
import { startAnvil, type AnvilNode } from "../../offchain/anvil";
import { BRIDGE_DEPLOYMENT_KEYS, peerBytes32 } from "../../sdk/src/bridge";
import { deployWithValidators } from "../helpers/oracle-fixtures";
import { sendParam } from "../helpers/bridge-fixtures";

describe("wtpETH bridge between two local chains (Hardhat home, Anvil L2)", function () {
  let l2: AnvilNode;
  let ignitionDir: string;
  before(async function () {
    l2 = await startAnvil({ chainId: LOCAL_L2_CHAIN_ID });
    ignitionDir = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-bridge-"));
  });
  after(async function () {
    await l2?.stop();
    fs.rmSync(ignitionDir, { recursive: true, force: true });
  });

  it("deploys, records and wires both sides; wtpETH and the rate cross and come back to the wei", async function () {
    const f = await loadFixture(deployWithValidators);
    const b = await deployLocalBridge(hre, f, { provider: l2.provider, chainId: LOCAL_L2_CHAIN_ID }, { ignitionDir });
    expect(b.remoteEid).to.equal(LOCAL_L2_CHAIN_ID);
    const adapterAddress = await b.adapter.getAddress();
    expect(await b.oft.peers(b.homeEid)).to.equal(peerBytes32(adapterAddress).toLowerCase());
    expect(await b.adapter.peers(b.remoteEid)).to.equal(peerBytes32(await b.oft.getAddress()).toLowerCase());
    const remoteRecord = JSON.parse(
      fs.readFileSync(
        path.join(ignitionDir, "deployments", `chain-${LOCAL_L2_CHAIN_ID}`, "deployed_addresses.json"),
        "utf8",
      ),
    ) as Record<string, string>;
    expect(remoteRecord[BRIDGE_DEPLOYMENT_KEYS.remoteOft]).to.equal(await b.oft.getAddress());
    expect(remoteRecord[BRIDGE_DEPLOYMENT_KEYS.remoteRateOracle]).to.equal(await b.rateOracle.getAddress());

    const holder = f.staker;
    await f.pool.connect(holder).approve(f.wrapperAddress, parseEther("20"));
    await f.wrapper.connect(holder).deposit(parseEther("20"), holder.address);
    const wtp = await f.wrapper.balanceOf(holder.address);
    await f.wrapper.connect(holder).approve(adapterAddress, wtp);
    const amount = parseEther("3");
    const param = sendParam(b.remoteEid, holder.address, amount);
    const fee = await b.adapter.quoteSend(param, false);
    await b.adapter.connect(holder).send(param, { nativeFee: fee.nativeFee, lzTokenFee: 0n }, holder.address, {
      value: fee.nativeFee,
    });
    expect(await b.oft.balanceOf(holder.address)).to.equal(0n);
    const deliveries = await b.relay();
    expect(deliveries.map((d) => d.status)).to.deep.equal(["delivered"]);
    expect(await b.oft.balanceOf(holder.address)).to.equal(amount);
    expect(await f.wrapper.balanceOf(adapterAddress)).to.equal(await b.oft.totalSupply());

    // Back home from the L2, signed there with the holder's own key (the local mnemonic).
    const onL2 = localAccount((await hre.ethers.getSigners()).findIndex((s) => s.address === holder.address)).connect(
      l2.provider,
    );
    await l2.provider.send("anvil_setBalance", [onL2.address, "0xde0b6b3a7640000"]);
    const back = sendParam(b.homeEid, holder.address, parseEther("1"));
    const backFee = await b.oft.quoteSend(back, false);
    const before = await f.wrapper.balanceOf(holder.address);
    await (
      await b.oft.connect(onL2).send(back, { nativeFee: backFee.nativeFee, lzTokenFee: 0n }, onL2.address, {
        value: backFee.nativeFee,
      })
    ).wait();
    const home = await b.relay();
    expect(home.map((d) => d.status)).to.deep.equal(["delivered"]);
    expect(await f.wrapper.balanceOf(holder.address)).to.equal(before + parseEther("1"));
    expect(await b.oft.balanceOf(holder.address)).to.equal(amount - parseEther("1"));
    expect(await f.wrapper.balanceOf(adapterAddress)).to.equal(await b.oft.totalSupply());

    const [rate, refTime] = await b.pusher.currentRate();
    const rateFee = await b.pusher.quotePushRate(b.remoteEid, "0x");
    await b.pusher.pushRate(b.remoteEid, "0x", { value: rateFee.nativeFee });
    expect((await b.relay()).map((d) => d.status)).to.deep.equal(["delivered"]);
    const round = await b.rateOracle.latestRoundData();
    expect(round.answer).to.equal(rate);
    expect(round.updatedAt).to.equal(refTime);
    expect(await b.relay()).to.deep.equal([]);
  });
});
