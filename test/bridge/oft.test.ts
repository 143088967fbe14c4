/**
 * The wtpETH bridge (issue 20) across three LayerZero endpoint mocks: home (eid 1) → L2 → L3 → home
 * to the wei, fee refunds, every bad input's named error, rate limits, a paused path whose
 * messages are executed again (out of order) after the pause, and forged senders. After every
 * step, the wtpETH locked on the home chain equals the remote supply (`expectBacked`).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { concat, parseEther, toBeHex, zeroPadValue } from "ethers";
import { peerBytes32 } from "../../sdk/src/bridge";
import {
  HOME_EID,
  L2_EID,
  L3_EID,
  PATH_LIMIT,
  PATH_WINDOW,
  asEndpoint,
  bridge,
  deployBridge,
  expectBacked,
  sendParam,
} from "../helpers/bridge-fixtures";

/** 10^12 wei: the smallest amount 6 shared decimals carry. */
const UNIT = 10n ** 12n;

/** An OFT message: recipient and amount in shared decimals (OFTMsgCodec, no compose). */
function oftMessage(to: string, amountLD: bigint): string {
  return concat([peerBytes32(to), zeroPadValue(toBeHex(amountLD / UNIT), 8)]);
}

describe("wtpETH bridge: LayerZero V2 OFT adapter and OFTs", function () {
  it("home → L2 → L3 → home moves wtpETH to the wei, the dust stays with the sender, locked = remote supply", async function () {
    const f = await loadFixture(deployBridge);
    const { holder, adapter, l2, l3, wrapper } = f;
    const [, , , , friend] = f.users;
    const adapterAddress = await adapter.getAddress();
    const dust = 123_456_789n; // below 10^12: stays home
    await wrapper.connect(holder).approve(adapterAddress, parseEther("50"));

    const param = sendParam(L2_EID, holder.address, parseEther("10") + dust);
    const fee = await adapter.quoteSend(param, false);
    expect(await adapter.quoteOFT(param)).to.deep.equal([
      [0n, await wrapper.totalSupply()],
      [],
      [parseEther("10"), parseEther("10")],
    ]);
    await expect(
      adapter
        .connect(holder)
        .send(param, { nativeFee: fee.nativeFee, lzTokenFee: 0n }, holder.address, { value: fee.nativeFee }),
    )
      .to.emit(adapter, "OFTSent")
      .withArgs(ethers.isHexString, L2_EID, holder.address, parseEther("10"), parseEther("10"))
      .and.to.emit(l2, "OFTReceived")
      .withArgs(ethers.isHexString, HOME_EID, holder.address, parseEther("10"));
    expect(await wrapper.balanceOf(holder.address)).to.equal(parseEther("40"));
    expect(await wrapper.balanceOf(adapterAddress)).to.equal(parseEther("10"));
    expect(await l2.balanceOf(holder.address)).to.equal(parseEther("10"));
    expect(await expectBacked(f)).to.equal(parseEther("10"));

    // L2 → L3: burnt on L2, minted on L3; nothing moves at home.
    await bridge(l2, holder, L3_EID, friend.address, parseEther("4"));
    expect(await l2.totalSupply()).to.equal(parseEther("6"));
    expect(await l3.balanceOf(friend.address)).to.equal(parseEther("4"));
    expect(await expectBacked(f)).to.equal(parseEther("10"));

    // L3 → home: released from the adapter.
    const before = await wrapper.balanceOf(friend.address);
    await bridge(l3, friend, HOME_EID, friend.address, parseEther("4"));
    expect(await wrapper.balanceOf(friend.address)).to.equal(before + parseEther("4"));
    expect(await l3.totalSupply()).to.equal(0n);
    expect(await expectBacked(f)).to.equal(parseEther("6"));

    // L2 → home, all of it.
    await bridge(l2, holder, HOME_EID, holder.address, parseEther("6"));
    expect(await wrapper.balanceOf(holder.address)).to.equal(parseEther("46"));
    expect(await expectBacked(f)).to.equal(0n);
  });

  it("refunds the fee paid above the quote to the refund address, to the wei", async function () {
    const f = await loadFixture(deployBridge);
    const { holder, adapter, wrapper } = f;
    const refundTo = ethers.Wallet.createRandom().address;
    await wrapper.connect(holder).approve(await adapter.getAddress(), parseEther("1"));
    const param = sendParam(L2_EID, holder.address, parseEther("1"));
    const fee = await adapter.quoteSend(param, false);
    expect(fee.nativeFee).to.be.greaterThan(0n);
    const extra = parseEther("0.25");
    await adapter
      .connect(holder)
      .send(param, { nativeFee: fee.nativeFee + extra, lzTokenFee: 0n }, refundTo, { value: fee.nativeFee + extra });
    expect(await ethers.provider.getBalance(refundTo)).to.equal(extra);
    expect(await ethers.provider.getBalance(await f.endpoints[HOME_EID].getAddress())).to.equal(fee.nativeFee);
    await expectBacked(f);
  });

  describe("bad input gets a named error and moves nothing", function () {
    it("zero amount, unknown destination, slippage, fee too low, paused, over the limit", async function () {
      const f = await loadFixture(deployBridge);
      const { holder, adapter, wrapper } = f;
      await wrapper.connect(holder).approve(await adapter.getAddress(), parseEther("50"));
      const one = parseEther("1");
      const fee = (await adapter.quoteSend(sendParam(L2_EID, holder.address, one), false)).nativeFee;
      const send = (param: ReturnType<typeof sendParam>, nativeFee = fee, value = fee) =>
        adapter.connect(holder).send(param, { nativeFee: nativeFee, lzTokenFee: 0n }, holder.address, { value });

      await expect(send(sendParam(L2_EID, holder.address, 0n))).to.be.revertedWithCustomError(adapter, "ZeroAmount");
      await expect(send(sendParam(L2_EID, holder.address, UNIT - 1n))).to.be.revertedWithCustomError(
        adapter,
        "ZeroAmount",
      );
      await expect(adapter.quoteSend(sendParam(99, holder.address, one), false))
        .to.be.revertedWithCustomError(adapter, "NoPeer")
        .withArgs(99);
      await expect(send(sendParam(99, holder.address, one)))
        .to.be.revertedWithCustomError(adapter, "NoPeer")
        .withArgs(99);
      await expect(send(sendParam(L2_EID, holder.address, one + 5n, one + 1n)))
        .to.be.revertedWithCustomError(adapter, "SlippageExceeded")
        .withArgs(one, one + 1n);
      await expect(send(sendParam(L2_EID, holder.address, one), fee, fee - 1n))
        .to.be.revertedWithCustomError(adapter, "NotEnoughNative")
        .withArgs(fee - 1n);
      // Offered and paid below the quote: LayerZero's endpoint refuses (the mock with its own message).
      await expect(send(sendParam(L2_EID, holder.address, one), fee - 1n, fee - 1n)).to.be.revertedWith(
        "LayerZeroMock: not enough native for fees",
      );
      await expect(adapter.connect(f.users[9]).pause())
        .to.be.revertedWithCustomError(adapter, "NotPauser")
        .withArgs(f.users[9].address);
      await adapter.connect(f.bridgePauser).pause();
      await expect(send(sendParam(L2_EID, holder.address, one))).to.be.revertedWithCustomError(
        adapter,
        "EnforcedPause",
      );
      await expect(adapter.connect(f.bridgePauser).unpause())
        .to.be.revertedWithCustomError(adapter, "OwnableUnauthorizedAccount")
        .withArgs(f.bridgePauser.address);
      await adapter.connect(f.admin).unpause();
      await adapter.connect(f.admin).setRateLimits([{ dstEid: L2_EID, limit: parseEther("2"), window: PATH_WINDOW }]);
      await expect(send(sendParam(L2_EID, holder.address, parseEther("3"))))
        .to.be.revertedWithCustomError(adapter, "RateLimitExceeded")
        .withArgs(L2_EID, parseEther("3"), parseEther("2"));

      expect(await wrapper.balanceOf(holder.address)).to.equal(parseEther("50"));
      expect(await expectBacked(f)).to.equal(0n);
    });
  });

  describe("rate limits", function () {
    it("a path lets at most its limit out per window, decaying linearly; other paths are separate", async function () {
      const f = await loadFixture(deployBridge);
      const { holder, adapter, l2, wrapper } = f;
      await wrapper.connect(holder).approve(await adapter.getAddress(), parseEther("50"));
      await expect(adapter.connect(f.admin).setRateLimits([{ dstEid: L2_EID, limit: parseEther("20"), window: 1000n }]))
        .to.emit(adapter, "RateLimitSet")
        .withArgs(L2_EID, parseEther("20"), 1000n);
      await bridge(adapter, holder, L2_EID, holder.address, parseEther("20"));
      expect(await adapter.amountCanBeSent(L2_EID)).to.deep.equal([parseEther("20"), 0n]);
      const param = sendParam(L2_EID, holder.address, UNIT);
      await expect(adapter.quoteSend(param, false))
        .to.be.revertedWithCustomError(adapter, "RateLimitExceeded")
        .withArgs(L2_EID, UNIT, 0n);

      // Half the window later, half the limit is free again, to the wei.
      await time.increase(500);
      expect(await adapter.amountCanBeSent(L2_EID)).to.deep.equal([parseEther("10"), parseEther("10")]);
      await bridge(adapter, holder, L2_EID, holder.address, parseEther("10"));
      // The L3 path has its own limit.
      expect(await adapter.amountCanBeSent(L3_EID)).to.deep.equal([0n, PATH_LIMIT]);
      // The remote side limits its outbound paths the same way.
      await l2.connect(f.admin).setRateLimits([{ dstEid: HOME_EID, limit: parseEther("5"), window: PATH_WINDOW }]);
      await expect(l2.quoteSend(sendParam(HOME_EID, holder.address, parseEther("6")), false))
        .to.be.revertedWithCustomError(l2, "RateLimitExceeded")
        .withArgs(HOME_EID, parseEther("6"), parseEther("5"));
      expect(await expectBacked(f)).to.equal(parseEther("30"));
    });

    it("only the owner sets limits; a zero window is refused; a lower limit keeps what is in flight", async function () {
      const f = await loadFixture(deployBridge);
      const { holder, adapter, wrapper } = f;
      await expect(adapter.connect(holder).setRateLimits([]))
        .to.be.revertedWithCustomError(adapter, "OwnableUnauthorizedAccount")
        .withArgs(holder.address);
      await expect(adapter.connect(f.admin).setRateLimits([{ dstEid: L2_EID, limit: 1n, window: 0n }]))
        .to.be.revertedWithCustomError(adapter, "ZeroWindow")
        .withArgs(L2_EID);
      await expect(adapter.connect(holder).setPauser(holder.address)).to.be.revertedWithCustomError(
        adapter,
        "OwnableUnauthorizedAccount",
      );
      await wrapper.connect(holder).approve(await adapter.getAddress(), parseEther("50"));
      await bridge(adapter, holder, L2_EID, holder.address, parseEther("8"));
      await adapter.connect(f.admin).setRateLimits([{ dstEid: L2_EID, limit: parseEther("5"), window: PATH_WINDOW }]);
      // 8 in flight (less one second's decay under the old limit) against a limit of 5: nothing may leave.
      const [inFlight, available] = await adapter.amountCanBeSent(L2_EID);
      expect(available).to.equal(0n);
      expect(inFlight).to.be.greaterThan(parseEther("7.9"));
      // A path with no limit set (eid 4, never configured) accepts nothing, whatever its peer.
      expect(await adapter.amountCanBeSent(4)).to.deep.equal([0n, 0n]);
    });
  });

  describe("paused path, retries and order", function () {
    it("messages arriving while L2 is paused fail; executed later, in another order, the OFT mints what each carries (exactly-once is the endpoint's: endpoint-v2.test.ts)", async function () {
      const f = await loadFixture(deployBridge);
      const { holder, adapter, l2, wrapper } = f;
      await wrapper.connect(holder).approve(await adapter.getAddress(), parseEther("50"));
      await l2.connect(f.bridgePauser).pause();
      const first = sendParam(L2_EID, holder.address, parseEther("1"));
      const fee = (await adapter.quoteSend(first, false)).nativeFee;
      const tx1 = await adapter
        .connect(holder)
        .send(first, { nativeFee: fee, lzTokenFee: 0n }, holder.address, { value: fee });
      await bridge(adapter, holder, L2_EID, holder.address, parseEther("2"));
      // Both locked at home, nothing minted: 3 wtpETH in flight.
      expect(await wrapper.balanceOf(await adapter.getAddress())).to.equal(parseEther("3"));
      expect(await l2.totalSupply()).to.equal(0n);
      const guid1 = (await tx1.wait())!.logs
        .map((l) => adapter.interface.parseLog(l))
        .find((e) => e?.name === "OFTSent")!.args[0] as string;

      const endpoint = await asEndpoint(f.endpoints[L2_EID]);
      const sender = peerBytes32(await adapter.getAddress());
      const deliver = (nonce: number, amount: bigint, guid: string) =>
        l2
          .connect(endpoint)
          .lzReceive(
            { srcEid: HOME_EID, sender, nonce },
            guid,
            oftMessage(holder.address, amount),
            holder.address,
            "0x",
          );
      // Still paused: the executor's retry fails with the pause, and can be made again later.
      await expect(deliver(2, parseEther("2"), ethers.ZeroHash)).to.be.revertedWithCustomError(l2, "EnforcedPause");
      await l2.connect(f.admin).unpause();
      await expect(deliver(2, parseEther("2"), ethers.ZeroHash))
        .to.emit(l2, "OFTReceived")
        .withArgs(ethers.ZeroHash, HOME_EID, holder.address, parseEther("2"));
      await deliver(1, parseEther("1"), guid1);
      expect(await l2.balanceOf(holder.address)).to.equal(parseEther("3"));
      expect(await expectBacked(f)).to.equal(parseEther("3"));
    });

    it("a paused home chain keeps L2's return message for later; releasing then balances", async function () {
      const f = await loadFixture(deployBridge);
      const { holder, adapter, l2, wrapper } = f;
      await wrapper.connect(holder).approve(await adapter.getAddress(), parseEther("50"));
      await bridge(adapter, holder, L2_EID, holder.address, parseEther("5"));
      await adapter.connect(f.admin).pause();
      await bridge(l2, holder, HOME_EID, holder.address, parseEther("5"));
      expect(await wrapper.balanceOf(holder.address)).to.equal(parseEther("45"));
      expect(await l2.totalSupply()).to.equal(0n);
      await adapter.connect(f.admin).unpause();
      const endpoint = await asEndpoint(f.endpoints[HOME_EID]);
      await adapter
        .connect(endpoint)
        .lzReceive(
          { srcEid: L2_EID, sender: peerBytes32(await l2.getAddress()), nonce: 1 },
          ethers.ZeroHash,
          oftMessage(holder.address, parseEther("5")),
          holder.address,
          "0x",
        );
      expect(await wrapper.balanceOf(holder.address)).to.equal(parseEther("50"));
      expect(await expectBacked(f)).to.equal(0n);
    });
  });

  describe("forged senders mint nothing", function () {
    it("a caller other than the endpoint, and a sender other than the peer, are refused", async function () {
      const f = await loadFixture(deployBridge);
      const { holder, l2, l3 } = f;
      const origin = { srcEid: HOME_EID, sender: peerBytes32(await f.adapter.getAddress()), nonce: 1 };
      const message = oftMessage(holder.address, parseEther("1000"));
      await expect(l2.connect(holder).lzReceive(origin, ethers.ZeroHash, message, holder.address, "0x"))
        .to.be.revertedWithCustomError(l2, "OnlyEndpoint")
        .withArgs(holder.address);
      const endpoint = await asEndpoint(f.endpoints[L2_EID]);
      const forged = { ...origin, sender: peerBytes32(holder.address) };
      await expect(l2.connect(endpoint).lzReceive(forged, ethers.ZeroHash, message, holder.address, "0x"))
        .to.be.revertedWithCustomError(l2, "OnlyPeer")
        .withArgs(HOME_EID, forged.sender);
      // The adapter's address claimed from the wrong chain (eid 3 is L3's OFT, not the adapter).
      const wrongChain = { ...origin, srcEid: L3_EID };
      await expect(l2.connect(endpoint).lzReceive(wrongChain, ethers.ZeroHash, message, holder.address, "0x"))
        .to.be.revertedWithCustomError(l2, "OnlyPeer")
        .withArgs(L3_EID, origin.sender);

      expect(await l2.totalSupply()).to.equal(0n);
      expect(await l3.totalSupply()).to.equal(0n);
      await expectBacked(f);
    });
  });
});
