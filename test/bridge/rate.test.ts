/**
 * wtpETH's share rate on a remote chain (issue 20): RatePusher sends (tpEthPerToken, the report's
 * reference time) through LayerZero's endpoint mock to the RateOracle, which accepts only newer,
 * not-future rates within the daily change limit and says how old its rate is.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, parseEther } from "ethers";
import { peerBytes32 } from "../../sdk/src/bridge";
import { toGwei } from "../helpers/oracle-fixtures";
import {
  HOME_EID,
  L2_EID,
  MAX_AGE_SECONDS,
  MAX_CHANGE_PER_DAY_BP,
  asEndpoint,
  deployBridge,
  type BridgeFixture,
} from "../helpers/bridge-fixtures";

const abi = AbiCoder.defaultAbiCoder();

/** Pushes the current rate to L2 from `f.users[9]`, paying the quote. */
async function push(f: BridgeFixture) {
  const fee = await f.pusher.quotePushRate(L2_EID, "0x");
  return f.pusher.connect(f.users[9]).pushRate(L2_EID, "0x", { value: fee.nativeFee });
}

/** Delivers `(rate, refTime)` to the RateOracle as L2's endpoint, from the pusher. */
async function deliver(f: BridgeFixture, rate: bigint, refTime: bigint, nonce = 1) {
  const endpoint = await asEndpoint(f.endpoints[L2_EID]);
  const origin = { srcEid: HOME_EID, sender: peerBytes32(await f.pusher.getAddress()), nonce };
  const message = abi.encode(["uint256", "uint256"], [rate, refTime]);
  return f.rateOracle.connect(endpoint).lzReceive(origin, ethers.ZeroHash, message, endpoint.address, "0x");
}

describe("wtpETH rate on remote chains: RatePusher → RateOracle", function () {
  it("pushes the rate and the report's reference time; refunds the excess fee; a repeat is ignored", async function () {
    const f = await loadFixture(deployBridge);
    const [rate, refTime] = await f.pusher.currentRate();
    expect(rate).to.equal(await f.wrapper.tpEthPerToken());
    const refSlot = (await f.oracle.getLastReport()).refSlot;
    const [genesis] = await f.oracle.getFrameConfig();
    expect(refTime).to.equal(genesis + refSlot * 12n);
    await expect(f.rateOracle.getRate()).to.be.revertedWithCustomError(f.rateOracle, "NoRate");
    await expect(f.rateOracle.latestRoundData()).to.be.revertedWithCustomError(f.rateOracle, "NoRate");
    expect(await f.rateOracle.isStale()).to.equal(true);

    const pusherAccount = f.users[9];
    const fee = (await f.pusher.quotePushRate(L2_EID, "0x")).nativeFee;
    const before = await ethers.provider.getBalance(pusherAccount.address);
    const tx = await f.pusher.connect(pusherAccount).pushRate(L2_EID, "0x", { value: fee + parseEther("1") });
    const receipt = (await tx.wait())!;
    await expect(tx)
      .to.emit(f.pusher, "RatePushed")
      .withArgs(L2_EID, ethers.isHexString, rate, refTime)
      .and.to.emit(f.rateOracle, "RateUpdated")
      .withArgs(1n, rate, refTime);
    expect(await ethers.provider.getBalance(pusherAccount.address)).to.equal(
      before - fee - receipt.gasUsed * receipt.gasPrice,
    );
    expect(await f.rateOracle.getRate()).to.equal(rate);
    expect(await f.rateOracle.latestRoundData()).to.deep.equal([1n, rate, refTime, refTime, 1n]);
    expect(await f.rateOracle.decimals()).to.equal(18n);
    expect(await f.rateOracle.description()).to.equal("wtpETH / tpETH exchange rate");
    expect(await f.rateOracle.version()).to.equal(1n);
    expect(await f.rateOracle.isStale()).to.equal(false);

    // The same report again: not newer, dropped with an event; the round stays.
    await expect(push(f)).to.emit(f.rateOracle, "RateIgnored").withArgs(ethers.isHexString, rate, refTime, refTime);
    expect((await f.rateOracle.latest()).roundId).to.equal(1n);
  });

  it("follows the next report within the daily limit; stale once older than maxAgeSeconds", async function () {
    const f = await loadFixture(deployBridge);
    await push(f);
    const [first, firstRef] = await f.pusher.currentRate();
    // One frame (a day) later, rewards of 0.01 ETH on ~100 ETH: well inside 1% per day.
    await f.report({ numValidators: 3n, clBalanceGwei: toGwei(parseEther("96.01")) });
    const [second, secondRef] = await f.pusher.currentRate();
    expect(second).to.be.greaterThan(first);
    expect(secondRef).to.equal(firstRef + 7200n * 12n);
    await expect(push(f)).to.emit(f.rateOracle, "RateUpdated").withArgs(2n, second, secondRef);
    expect(await f.rateOracle.latestRoundData()).to.deep.equal([2n, second, secondRef, secondRef, 2n]);

    await time.increaseTo(secondRef + MAX_AGE_SECONDS);
    expect(await f.rateOracle.isStale()).to.equal(false);
    await time.increase(1);
    expect(await f.rateOracle.isStale()).to.equal(true);
  });

  it("an older rate delivered late is ignored; a future rate and a jump revert and stay retryable", async function () {
    const f = await loadFixture(deployBridge);
    const now = BigInt(await time.latest());
    const base = parseEther("1.1");
    await deliver(f, base, now - 86_400n);
    // Delivered out of order: the newer one first, then the older one is dropped.
    await deliver(f, base + 1n, now - 3600n, 3);
    await expect(deliver(f, base, now - 7200n, 2))
      .to.emit(f.rateOracle, "RateIgnored")
      .withArgs(ethers.ZeroHash, base, now - 7200n, now - 3600n);
    expect(await f.rateOracle.getRate()).to.equal(base + 1n);

    await expect(deliver(f, base, now + 3600n, 4))
      .to.be.revertedWithCustomError(f.rateOracle, "RateFromFuture")
      .withArgs(now + 3600n, (t: bigint) => t > now && t < now + 3600n);

    // A day after the kept rate, at most 1% of it: one wei more is refused.
    const kept = base + 1n;
    const refTime = now - 3600n + 86_400n;
    await time.increaseTo(refTime);
    const maxChange = (kept * MAX_CHANGE_PER_DAY_BP) / 10_000n;
    await expect(deliver(f, kept + maxChange + 1n, refTime, 5))
      .to.be.revertedWithCustomError(f.rateOracle, "RateChangeTooLarge")
      .withArgs(kept, kept + maxChange + 1n, maxChange);
    await expect(deliver(f, kept - maxChange - 1n, refTime, 5))
      .to.be.revertedWithCustomError(f.rateOracle, "RateChangeTooLarge")
      .withArgs(kept, kept - maxChange - 1n, maxChange);
    // Governance raises the limit (a real slashing); the same message executed again is accepted.
    await expect(f.rateOracle.connect(f.admin).setMaxChangePerDayBP(200n))
      .to.emit(f.rateOracle, "MaxChangePerDaySet")
      .withArgs(200n);
    await expect(deliver(f, kept - maxChange - 1n, refTime, 5))
      .to.emit(f.rateOracle, "RateUpdated")
      .withArgs(3n, kept - maxChange - 1n, refTime);
    // A zero rate is refused (whatever the limit).
    await expect(deliver(f, 0n, refTime + 1n, 6))
      .to.be.revertedWithCustomError(f.rateOracle, "InvalidRate")
      .withArgs(0n);
    // So is one that does not fit the oracle's 96 bits.
    await expect(deliver(f, 2n ** 96n, refTime + 1n, 6))
      .to.be.revertedWithCustomError(f.rateOracle, "InvalidRate")
      .withArgs(2n ** 96n);
  });

  it("refuses forged senders; only the owner sets parameters, within range; the pusher needs a peer", async function () {
    const f = await loadFixture(deployBridge);
    const message = abi.encode(["uint256", "uint256"], [parseEther("5"), 1n]);
    const origin = { srcEid: HOME_EID, sender: peerBytes32(f.users[0].address), nonce: 1 };
    const endpoint = await asEndpoint(f.endpoints[L2_EID]);
    await expect(f.rateOracle.connect(endpoint).lzReceive(origin, ethers.ZeroHash, message, endpoint.address, "0x"))
      .to.be.revertedWithCustomError(f.rateOracle, "OnlyPeer")
      .withArgs(HOME_EID, origin.sender);
    await expect(f.rateOracle.connect(f.users[0]).lzReceive(origin, ethers.ZeroHash, message, endpoint.address, "0x"))
      .to.be.revertedWithCustomError(f.rateOracle, "OnlyEndpoint")
      .withArgs(f.users[0].address);
    const home = await asEndpoint(f.endpoints[HOME_EID]);
    const fromOracle = { srcEid: L2_EID, sender: peerBytes32(await f.rateOracle.getAddress()), nonce: 1 };
    await expect(
      f.pusher.connect(home).lzReceive(fromOracle, ethers.ZeroHash, message, home.address, "0x"),
    ).to.be.revertedWithCustomError(f.pusher, "SendOnly");

    await expect(f.rateOracle.connect(f.users[0]).setMaxAgeSeconds(1n))
      .to.be.revertedWithCustomError(f.rateOracle, "OwnableUnauthorizedAccount")
      .withArgs(f.users[0].address);
    await expect(f.rateOracle.connect(f.users[0]).setMaxChangePerDayBP(1n)).to.be.revertedWithCustomError(
      f.rateOracle,
      "OwnableUnauthorizedAccount",
    );
    await expect(f.rateOracle.connect(f.admin).setMaxAgeSeconds(0n)).to.be.revertedWithCustomError(
      f.rateOracle,
      "InvalidParameter",
    );
    await expect(f.rateOracle.connect(f.admin).setMaxChangePerDayBP(10_001n)).to.be.revertedWithCustomError(
      f.rateOracle,
      "InvalidParameter",
    );
    await expect(f.rateOracle.connect(f.admin).setMaxAgeSeconds(3600n))
      .to.emit(f.rateOracle, "MaxAgeSet")
      .withArgs(3600n);

    await expect(f.pusher.quotePushRate(99, "0x")).to.be.revertedWithCustomError(f.pusher, "NoPeer").withArgs(99);
  });
});
