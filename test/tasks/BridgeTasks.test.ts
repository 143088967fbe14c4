/**
 * The wtpETH bridge's tasks (tasks/bridge.ts) against LayerZero's endpoint mocks on Hardhat's one
 * chain (test/helpers/bridge-fixtures.ts: home eid 1, L2 eid 2, L3 eid 3; the holder has 50 wtpETH):
 * `bridge` quotes, sends with the quote as its slippage bound and moves balances to the wei;
 * `push-rate` quotes and pushes the share rate to L2's RateOracle; each refusal is one exact sentence.
 * The contracts are passed as `--adapter` / `--pusher` (the in-process network has no Ignition record).
 */
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";
import {
  HOME_EID,
  L2_EID,
  L3_EID,
  PATH_WINDOW,
  deployBridge,
  expectBacked,
  sendParam,
} from "../helpers/bridge-fixtures";
import type { BridgeFixture } from "../helpers/bridge-fixtures";
import { runTask, taskError } from "../helpers/tasks";
import { eth } from "../../sdk/src/format";

describe("Bridge tasks", function () {
  /** The fixture, with the addresses the tasks take. */
  async function deployed(): Promise<BridgeFixture & { adapterAddress: string; pusherAddress: string }> {
    const f = await loadFixture(deployBridge);
    return { ...f, adapterAddress: await f.adapter.getAddress(), pusherAddress: await f.pusher.getAddress() };
  }

  describe("bridge", function () {
    it("quotes, then sends: the amount after dust arrives, the dust stays, locked equals the remote supply", async function () {
      const f = await deployed();
      const recipient = f.users[4].address;
      const amount = parseEther("10") + 123_456n; // 123,456 wei below the bridge's 6 decimals
      const fee = (await f.adapter.quoteSend(sendParam(L2_EID, recipient, amount), false))[0];
      const feeText = `${eth(fee, 18)}`;
      const args = {
        amount: "10.000000000000123456",
        to: String(L2_EID),
        recipient,
        from: f.holder.address,
        adapter: f.adapterAddress,
      };
      const quote =
        `Bridge 10.000000000000123456 wtpETH from ${f.holder.address} to ${recipient} on endpoint ${L2_EID}: ` +
        `10 wtpETH arrives (0.000000000000123456 wtpETH below the bridge's 6 decimals stays with you), LayerZero fee ${feeText}.`;

      // Without --yes: the quote only, nothing moves.
      expect(await runTask("bridge", args)).to.equal(
        `${quote}\nPreview only: nothing sent. Re-run with --yes to send.`,
      );
      expect(await f.wrapper.balanceOf(f.holder.address)).to.equal(parseEther("50"));

      const ethBefore = await hre.ethers.provider.getBalance(f.holder.address);
      const out = (await runTask("bridge", { ...args, yes: true })).split("\n");
      expect(out.slice(0, 3)).to.deep.equal([
        quote,
        "Approved the bridge to take 10 wtpETH.",
        `Sent 10 wtpETH to ${recipient} on endpoint ${L2_EID} (at least 10 wtpETH arrives), fee ${feeText}.`,
      ]);
      expect(out[3]).to.match(/^tx 0x[0-9a-f]{64}$/);
      expect(out).to.have.length(4);
      expect(await f.wrapper.balanceOf(f.holder.address)).to.equal(parseEther("40"));
      expect(await f.l2.balanceOf(recipient)).to.equal(parseEther("10"));
      expect(await f.wrapper.balanceOf(f.adapterAddress)).to.equal(parseEther("10"));
      expect(await expectBacked(f)).to.equal(parseEther("10"));
      // The holder paid the fee and the gas of the approval (the block before) and of the send.
      const receipt = await hre.ethers.provider.getTransactionReceipt(out[3].slice(3));
      if (receipt === null) throw new Error("no receipt of the send");
      const approvalBlock = await hre.ethers.provider.getBlock(receipt.blockNumber - 1);
      const approval = await hre.ethers.provider.getTransactionReceipt(approvalBlock?.transactions[0] ?? "");
      expect(approval?.to).to.equal(await f.wrapper.getAddress());
      const ethAfter = await hre.ethers.provider.getBalance(f.holder.address);
      expect(ethBefore - ethAfter).to.equal(fee + receipt.fee + (approval?.fee ?? 0n));

      // From L2 on to L3, by the recipient through the remote OFT: no approval needed.
      const l2Fee = (await f.l2.quoteSend(sendParam(L3_EID, recipient, parseEther("4")), false))[0];
      const onward = await runTask("bridge", {
        amount: "4",
        to: String(L3_EID),
        from: recipient,
        adapter: await f.l2.getAddress(),
        yes: true,
      });
      expect(onward.split("\n")[1]).to.equal(
        `Sent 4 wtpETH to ${recipient} on endpoint ${L3_EID} (at least 4 wtpETH arrives), fee ${eth(l2Fee, 18)}.`,
      );
      expect(await f.l2.balanceOf(recipient)).to.equal(parseEther("6"));
      expect(await f.l3.balanceOf(recipient)).to.equal(parseEther("4"));
      expect(await expectBacked(f)).to.equal(parseEther("10"));
    });

    it("refuses, in one sentence each: zero, dust only, unknown destination, not enough wtpETH, paused, over the limit, fee not payable", async function () {
      const f = await deployed();
      const base = { to: String(L2_EID), from: f.holder.address, adapter: f.adapterAddress, yes: true };
      expect(await taskError("bridge", { ...base, amount: "0" })).to.equal(
        '--amount must be greater than zero, got "0"',
      );
      expect(await taskError("bridge", { ...base, amount: "0.0000001" })).to.equal(
        "Nothing to send: the amount is zero once cut to the bridge's 6 decimals. (ZeroAmount)",
      );
      expect(await taskError("bridge", { ...base, amount: "1", to: "9" })).to.equal(
        "No bridge peer is set on this chain for endpoint 9: check the destination. (NoPeer)",
      );
      expect(await taskError("bridge", { ...base, amount: "1", to: "mars" })).to.equal(
        '--to must be a LayerZero endpoint id or one of arbitrum, optimism, base, arbitrum-sepolia, optimism-sepolia, base-sepolia, got "mars"',
      );
      expect(await taskError("bridge", { ...base, amount: "50.5" })).to.equal(
        `Not enough wtpETH on this chain: ${f.holder.address} holds 50 wtpETH, the send takes 50.5 wtpETH.`,
      );

      await f.adapter.connect(f.bridgePauser).pause();
      expect(await taskError("bridge", { ...base, amount: "1" })).to.equal(
        "The bridge is paused on this chain. (EnforcedPause)",
      );
      await f.adapter.connect(f.admin).unpause();

      await f.adapter.connect(f.admin).setRateLimits([{ dstEid: L2_EID, limit: parseEther("5"), window: PATH_WINDOW }]);
      expect(await taskError("bridge", { ...base, amount: "6" })).to.equal(
        "Sending 6 wtpETH to endpoint 2 is over the path's rate limit: 5 wtpETH can be sent now. (RateLimitExceeded)",
      );

      // A holder of wtpETH without ETH for the fee.
      await hre.network.provider.send("hardhat_setBalance", [f.holder.address, "0x1"]);
      const fee = (await f.adapter.quoteSend(sendParam(L2_EID, f.holder.address, parseEther("1")), false))[0];
      expect(await taskError("bridge", { ...base, amount: "1" })).to.equal(
        `Not enough ETH for LayerZero's fee: the fee is ${eth(fee, 18)}, ${f.holder.address} holds 0.000000000000000001 ETH.`,
      );
      // Nothing moved.
      expect(await f.wrapper.balanceOf(f.holder.address)).to.equal(parseEther("50"));
      expect(await expectBacked(f)).to.equal(0n);
    });
  });

  describe("push-rate", function () {
    it("quotes, then pushes the rate and the last report's reference time to L2's RateOracle", async function () {
      const f = await deployed();
      const [rate, refTime] = await f.pusher.currentRate();
      const fee = (await f.pusher.quotePushRate(L2_EID, "0x"))[0];
      const quote =
        `Push the rate ${eth(rate, 18, "tpETH")} per wtpETH (reference time ` +
        `${new Date(Number(refTime) * 1000).toISOString()}, the last report's) to endpoint ${L2_EID}: LayerZero fee ${eth(fee, 18)}.`;
      const args = { to: String(L2_EID), pusher: f.pusherAddress };
      expect(await runTask("push-rate", args)).to.equal(
        `${quote}\nPreview only: nothing sent. Re-run with --yes to push.`,
      );

      const out = (await runTask("push-rate", { ...args, yes: true })).split("\n");
      expect(out.slice(0, 2)).to.deep.equal([quote, `Pushed the rate to endpoint ${L2_EID}, fee ${eth(fee, 18)}.`]);
      expect(out[2]).to.match(/^tx 0x[0-9a-f]{64}$/);
      expect(await f.rateOracle.getRate()).to.equal(rate);
    });

    it("refuses a destination without a rate peer, and one that is not an endpoint id", async function () {
      const f = await deployed();
      expect(await taskError("push-rate", { to: String(L3_EID), pusher: f.pusherAddress, yes: true })).to.equal(
        "No bridge peer is set on this chain for endpoint 3: check the destination. (NoPeer)",
      );
      expect(await taskError("push-rate", { to: String(HOME_EID - 1), pusher: f.pusherAddress })).to.equal(
        '--to must be a LayerZero endpoint id or one of arbitrum, optimism, base, arbitrum-sepolia, optimism-sepolia, base-sepolia, got "0"',
      );
    });
  });
});
