/**
 * The wtpETH bridge on LayerZero's own EndpointV2 and SimpleMessageLib (three endpoints on Hardhat's
 * chain: eid 101 home, 102 L2, 103 L3; relayed by offchain/bridge/layerzero-local.ts). What the mock
 * tests (oft.test.ts, rate.test.ts) cannot show is shown here against LayerZero's code: a packet
 * executes exactly once, only once verified, in any order among verified nonces; an altered, forged or
 * unverified packet mints nothing; a paused OFT's packet stays verified and is delivered once after
 * the pause; a rate cannot be replayed. After every step, the wtpETH locked on the home chain equals
 * the remote supply plus what is in flight, to the wei.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  AbiCoder,
  Contract,
  ZeroHash,
  concat,
  keccak256,
  parseEther,
  solidityPackedKeccak256,
  toBeHex,
  zeroPadValue,
} from "ethers";
import { peerBytes32 } from "../../sdk/src/bridge";
import { describeCustomError, describeError } from "../../sdk/src/errors";
import { toGwei } from "../helpers/oracle-fixtures";
import {
  ENDPOINT_V2_INTERFACE,
  LOCAL_NATIVE_FEE_WEI,
  LayerZeroRelayer,
  SIMPLE_MESSAGE_LIB_INTERFACE,
  decodePacket,
  type Packet,
} from "../../offchain/bridge/layerzero-local";
import {
  PATH_WINDOW,
  V2_HOME_EID,
  V2_L2_EID,
  V2_L3_EID,
  bridge,
  deployBridgeOnEndpointV2,
  expectBacked,
  sendParam,
  type EndpointV2BridgeFixture,
} from "../helpers/bridge-fixtures";

/** 10^12 wei: the smallest amount 6 shared decimals carry. */
const UNIT = 10n ** 12n;
const abi = AbiCoder.defaultAbiCoder();

/** An OFT message: recipient and amount in shared decimals (OFTMsgCodec, no compose). */
function oftMessage(to: string, amountLD: bigint): string {
  return concat([peerBytes32(to), zeroPadValue(toBeHex(amountLD / UNIT), 8)]);
}

/** A V1 packet encoded as PacketV1Codec does (the inverse of decodePacket). */
function encodePacket(p: Omit<Packet, "encoded">): string {
  return concat([
    "0x01",
    zeroPadValue(toBeHex(p.nonce), 8),
    zeroPadValue(toBeHex(p.srcEid), 4),
    p.sender,
    zeroPadValue(toBeHex(p.dstEid), 4),
    peerBytes32(p.receiver),
    p.guid,
    p.message,
  ]);
}

/** The endpoint's payload hash of a packet: keccak256(guid ‖ message). */
function payloadHash(p: Pick<Packet, "guid" | "message">): string {
  return keccak256(concat([p.guid, p.message]));
}

/** `eid`'s EndpointV2 as `runner` sees it. */
function endpointOf(f: EndpointV2BridgeFixture, eid: number, runner: HardhatEthersSigner = f.users[5]): Contract {
  return new Contract(f.chains[eid].endpoint, ENDPOINT_V2_INTERFACE, runner);
}

/** `eid`'s SimpleMessageLib as `runner` sees it (the relayer's account by default). */
function libOf(f: EndpointV2BridgeFixture, eid: number, runner: HardhatEthersSigner = f.relayerSigner): Contract {
  return new Contract(f.chains[eid].messageLib, SIMPLE_MESSAGE_LIB_INTERFACE, runner);
}

/** The packets `srcEid`'s endpoint sent from block `fromBlock` on, in order. */
async function sentSince(f: EndpointV2BridgeFixture, srcEid: number, fromBlock: number): Promise<Packet[]> {
  const endpoint = endpointOf(f, srcEid);
  const logs = await endpoint.queryFilter(endpoint.filters.PacketSent(), fromBlock);
  return logs.map((log) => decodePacket(ENDPOINT_V2_INTERFACE.parseLog(log)!.args[0] as string));
}

/** Has the destination's message library verify `packet` (as the relayer, unless told otherwise). */
function verify(f: EndpointV2BridgeFixture, packet: Packet, as: HardhatEthersSigner = f.relayerSigner) {
  return libOf(f, packet.dstEid, as).validatePacket(packet.encoded);
}

/** Executes `packet` at its destination's endpoint (anyone may), with `message` instead if given. */
function execute(f: EndpointV2BridgeFixture, packet: Packet, message: string = packet.message) {
  const origin = { srcEid: packet.srcEid, sender: packet.sender, nonce: packet.nonce };
  return endpointOf(f, packet.dstEid).lzReceive(origin, packet.receiver, packet.guid, message, "0x");
}

/** A relayer for `eids` (default all three) reading from the next block, its reverts told in words. */
async function relayerFor(
  f: EndpointV2BridgeFixture,
  eids: readonly number[] = [V2_HOME_EID, V2_L2_EID, V2_L3_EID],
  fromBlock?: number,
): Promise<LayerZeroRelayer> {
  const from = fromBlock ?? (await ethers.provider.getBlockNumber()) + 1;
  return new LayerZeroRelayer(
    eids.map((eid) => ({ ...f.chains[eid], signer: f.relayerSigner, fromBlock: from })),
    { describe: (error) => describeError(error, [f.l2.interface, ENDPOINT_V2_INTERFACE]) },
  );
}

/** Locked at home = remote supply + `inFlight` (sent, not yet executed), to the wei; returns locked. */
async function expectLocked(f: EndpointV2BridgeFixture, inFlight: bigint): Promise<bigint> {
  const locked = await f.wrapper.balanceOf(await f.adapter.getAddress());
  expect(locked).to.equal((await f.l2.totalSupply()) + (await f.l3.totalSupply()) + inFlight);
  if (inFlight === 0n) await expectBacked(f);
  return locked;
}

/** The holder approves the adapter for all 50 wtpETH. */
async function approveAll(f: EndpointV2BridgeFixture): Promise<void> {
  await f.wrapper.connect(f.holder).approve(await f.adapter.getAddress(), parseEther("50"));
}

describe("wtpETH bridge on LayerZero's EndpointV2", function () {
  it("home → L2 → L3 → home through the relayer, to the wei; fees go to the message library, the excess is refunded", async function () {
    const f = await loadFixture(deployBridgeOnEndpointV2);
    const { holder, adapter, l2, l3, wrapper } = f;
    const friend = f.users[4];
    const relayer = await relayerFor(f);
    await approveAll(f);
    await expectLocked(f, 0n);

    // Home → L2, offering 1 ETH more than the quote: the endpoint charges the library's fee, refunds the rest.
    const param = sendParam(V2_L2_EID, holder.address, parseEther("10"));
    const quote = (await adapter.quoteSend(param, false)).nativeFee;
    expect(quote).to.equal(LOCAL_NATIVE_FEE_WEI);
    const offered = quote + parseEther("1");
    const ethBefore = await ethers.provider.getBalance(holder.address);
    const tx = await adapter
      .connect(holder)
      .send(param, { nativeFee: offered, lzTokenFee: 0n }, holder.address, { value: offered });
    const receipt = (await tx.wait())!;
    expect(await ethers.provider.getBalance(holder.address)).to.equal(
      ethBefore - quote - receipt.gasUsed * receipt.gasPrice,
    );
    expect(await ethers.provider.getBalance(f.chains[V2_HOME_EID].messageLib)).to.equal(quote);
    expect(await ethers.provider.getBalance(f.chains[V2_HOME_EID].endpoint)).to.equal(0n);
    expect(await wrapper.balanceOf(holder.address)).to.equal(parseEther("40"));
    await expectLocked(f, parseEther("10"));

    let deliveries = await relayer.relay();
    expect(deliveries.map((d) => [d.status, d.packet.srcEid, d.packet.dstEid, d.packet.nonce])).to.deep.equal([
      ["delivered", V2_HOME_EID, V2_L2_EID, 1n],
    ]);
    await expect(deliveries[0].txHash!)
      .to.emit(l2, "OFTReceived")
      .withArgs(deliveries[0].packet.guid, V2_HOME_EID, holder.address, parseEther("10"));
    expect(await l2.balanceOf(holder.address)).to.equal(parseEther("10"));
    await expectLocked(f, 0n);

    // L2 → L3: burnt on L2 at once, minted on L3 when relayed; nothing moves at home.
    const l2Fee = await bridge(l2, holder, V2_L3_EID, friend.address, parseEther("4"));
    expect(await ethers.provider.getBalance(f.chains[V2_L2_EID].messageLib)).to.equal(l2Fee);
    expect(await l2.totalSupply()).to.equal(parseEther("6"));
    await expectLocked(f, parseEther("4"));
    deliveries = await relayer.relay();
    expect(deliveries.map((d) => [d.status, d.packet.srcEid, d.packet.dstEid])).to.deep.equal([
      ["delivered", V2_L2_EID, V2_L3_EID],
    ]);
    expect(await l3.balanceOf(friend.address)).to.equal(parseEther("4"));
    await expectLocked(f, 0n);

    // L3 → home: released from the adapter.
    const before = await wrapper.balanceOf(friend.address);
    const l3Fee = await bridge(l3, friend, V2_HOME_EID, friend.address, parseEther("4"));
    expect(await ethers.provider.getBalance(f.chains[V2_L3_EID].messageLib)).to.equal(l3Fee);
    await expectLocked(f, parseEther("4"));
    expect((await relayer.relay()).map((d) => d.status)).to.deep.equal(["delivered"]);
    expect(await wrapper.balanceOf(friend.address)).to.equal(before + parseEther("4"));
    expect(await l3.totalSupply()).to.equal(0n);
    await expectLocked(f, 0n);

    // L2 → home, all of it.
    await bridge(l2, holder, V2_HOME_EID, holder.address, parseEther("6"));
    await expectLocked(f, parseEther("6"));
    expect((await relayer.relay()).map((d) => d.status)).to.deep.equal(["delivered"]);
    expect(await wrapper.balanceOf(holder.address)).to.equal(parseEther("46"));
    expect(await l2.totalSupply()).to.equal(0n);
    expect(await expectLocked(f, 0n)).to.equal(0n);
    expect(await ethers.provider.getBalance(f.chains[V2_L2_EID].messageLib)).to.equal(2n * l2Fee);
    expect(relayer.pending()).to.deep.equal([]);
    expect(relayer.unroutable).to.equal(0);
  });

  it("replay: a delivered packet cannot be executed or verified again; a second pass delivers nothing", async function () {
    const f = await loadFixture(deployBridgeOnEndpointV2);
    const relayer = await relayerFor(f);
    await approveAll(f);
    await bridge(f.adapter, f.holder, V2_L2_EID, f.holder.address, parseEther("5"));
    await expectLocked(f, parseEther("5"));
    const [delivery] = await relayer.relay();
    expect(delivery.status).to.equal("delivered");
    const packet = delivery.packet;
    expect(await f.l2.totalSupply()).to.equal(parseEther("5"));
    await expectLocked(f, 0n);

    // The endpoint cleared the payload hash on execution: executing it again finds none.
    await expect(execute(f, packet))
      .to.be.revertedWithCustomError(endpointOf(f, V2_L2_EID), "LZ_PayloadHashNotFound")
      .withArgs(ZeroHash, payloadHash(packet));
    // Verifying it again: the nonce is executed, the path does not take it.
    await expect(verify(f, packet)).to.be.revertedWithCustomError(endpointOf(f, V2_L2_EID), "LZ_PathNotVerifiable");
    const endpoint = endpointOf(f, V2_L2_EID);
    const l2Address = await f.l2.getAddress();
    expect(await endpoint.inboundPayloadHash(l2Address, V2_HOME_EID, packet.sender, 1n)).to.equal(ZeroHash);
    expect(await endpoint.lazyInboundNonce(l2Address, V2_HOME_EID, packet.sender)).to.equal(1n);
    expect(await f.l2.totalSupply()).to.equal(parseEther("5"));
    await expectLocked(f, 0n);

    expect(await relayer.relay()).to.deep.equal([]);
    expect(relayer.pending()).to.deep.equal([]);
    expect(await f.l2.balanceOf(f.holder.address)).to.equal(parseEther("5"));
    await expectLocked(f, 0n);
  });

  it("out of order: nonce 2 executes before nonce 1 only once nonce 1 is verified; each mints exactly once", async function () {
    const f = await loadFixture(deployBridgeOnEndpointV2);
    await approveAll(f);
    const from = (await ethers.provider.getBlockNumber()) + 1;
    await bridge(f.adapter, f.holder, V2_L2_EID, f.holder.address, parseEther("3"));
    await bridge(f.adapter, f.holder, V2_L2_EID, f.users[4].address, parseEther("4"));
    const [first, second] = await sentSince(f, V2_HOME_EID, from);
    expect([first.nonce, second.nonce]).to.deep.equal([1n, 2n]);
    await expectLocked(f, parseEther("7"));
    const endpoint = endpointOf(f, V2_L2_EID);

    // Only nonce 2 verified: the endpoint's lazy nonce cannot pass the unverified nonce 1.
    await expect(verify(f, second))
      .to.emit(endpoint, "PacketVerified")
      .withArgs([V2_HOME_EID, second.sender, 2n], await f.l2.getAddress(), payloadHash(second));
    await expect(execute(f, second)).to.be.revertedWithCustomError(endpoint, "LZ_InvalidNonce").withArgs(1n);
    expect(await f.l2.totalSupply()).to.equal(0n);
    await expectLocked(f, parseEther("7"));

    // Both verified: nonce 2 first, then nonce 1.
    await verify(f, first);
    await expect(execute(f, second))
      .to.emit(f.l2, "OFTReceived")
      .withArgs(second.guid, V2_HOME_EID, f.users[4].address, parseEther("4"));
    expect(await f.l2.balanceOf(f.users[4].address)).to.equal(parseEther("4"));
    await expectLocked(f, parseEther("3"));
    await expect(execute(f, first))
      .to.emit(f.l2, "OFTReceived")
      .withArgs(first.guid, V2_HOME_EID, f.holder.address, parseEther("3"));
    expect(await f.l2.balanceOf(f.holder.address)).to.equal(parseEther("3"));
    await expectLocked(f, 0n);

    // Neither again.
    for (const packet of [first, second]) {
      await expect(execute(f, packet))
        .to.be.revertedWithCustomError(endpoint, "LZ_PayloadHashNotFound")
        .withArgs(ZeroHash, payloadHash(packet));
    }
    expect(await f.l2.totalSupply()).to.equal(parseEther("7"));
    await expectLocked(f, 0n);

    // A relayer that reads these packets late finds them executed by someone else and leaves them.
    const late = await relayerFor(f, [V2_HOME_EID, V2_L2_EID, V2_L3_EID], from);
    expect((await late.relay()).map((d) => [d.status, d.packet.nonce])).to.deep.equal([
      ["executed", 1n],
      ["executed", 2n],
    ]);
    expect(late.pending()).to.deep.equal([]);
    expect(await f.l2.totalSupply()).to.equal(parseEther("7"));
    await expectLocked(f, 0n);
  });

  it("forged: an altered message, an unlisted verifier, a non-peer sender and a replaced peer mint nothing", async function () {
    const f = await loadFixture(deployBridgeOnEndpointV2);
    await approveAll(f);
    const from = (await ethers.provider.getBlockNumber()) + 1;
    await bridge(f.adapter, f.holder, V2_L2_EID, f.holder.address, parseEther("5"));
    const [packet] = await sentSince(f, V2_HOME_EID, from);
    expect(packet.message).to.equal(oftMessage(f.holder.address, parseEther("5")));
    const endpoint = endpointOf(f, V2_L2_EID);
    const lib = libOf(f, V2_L2_EID);
    await verify(f, packet);

    // The amount raised after verification: the payload hash does not match.
    const raised = oftMessage(f.holder.address, parseEther("50"));
    await expect(execute(f, packet, raised))
      .to.be.revertedWithCustomError(endpoint, "LZ_PayloadHashNotFound")
      .withArgs(payloadHash(packet), payloadHash({ guid: packet.guid, message: raised }));
    expect(await f.l2.totalSupply()).to.equal(0n);
    await expectLocked(f, parseEther("5"));

    // A packet never sent (nonce 2 of the adapter's path), verified by an account the library does not list.
    const attacker = f.users[6];
    const forged = decodePacket(
      encodePacket({ ...packet, nonce: 2n, message: oftMessage(attacker.address, parseEther("100")) }),
    );
    await expect(verify(f, forged, attacker)).to.be.revertedWithCustomError(lib, "OnlyWhitelistCaller");
    expect(await endpoint.inboundPayloadHash(await f.l2.getAddress(), V2_HOME_EID, packet.sender, 2n)).to.equal(
      ZeroHash,
    );

    // A packet from a sender that is not the OFT's peer: the OFT does not let the path open.
    const rogue = decodePacket(encodePacket({ ...forged, nonce: 1n, sender: peerBytes32(attacker.address) }));
    await expect(verify(f, rogue)).to.be.revertedWithCustomError(endpoint, "LZ_PathNotInitializable");
    // Unverified, it cannot execute: the endpoint's nonce 1 of that path has no payload hash.
    await expect(execute(f, rogue)).to.be.revertedWithCustomError(endpoint, "LZ_InvalidNonce").withArgs(1n);

    // A verified packet whose sender is no longer the peer (the owner replaced it): OnlyPeer, nothing minted.
    const adapterPeer = peerBytes32(await f.adapter.getAddress());
    await f.l2.connect(f.admin).setPeer(V2_HOME_EID, peerBytes32(attacker.address));
    await expect(execute(f, packet)).to.be.revertedWithCustomError(f.l2, "OnlyPeer").withArgs(V2_HOME_EID, adapterPeer);
    expect(await f.l2.totalSupply()).to.equal(0n);
    await expectLocked(f, parseEther("5"));
    // The peer back: the genuine packet, still verified, executes once for its real amount.
    await f.l2.connect(f.admin).setPeer(V2_HOME_EID, adapterPeer);
    await execute(f, packet);
    expect(await f.l2.balanceOf(f.holder.address)).to.equal(parseEther("5"));
    expect(await f.l2.balanceOf(attacker.address)).to.equal(0n);
    await expectLocked(f, 0n);
  });

  it("a non-peer OApp's packet read by the relayer is reported failed, not delivered, and does not stop the pass", async function () {
    const f = await loadFixture(deployBridgeOnEndpointV2);
    const attacker = f.users[6];
    const relayer = await relayerFor(f);
    await approveAll(f);
    // An OApp the attacker owns on the home endpoint, its peer on L2 set to wtpETH's OFT.
    const rogue = await ethers.deployContract("RatePusher", [
      f.wrapperAddress,
      f.oracle,
      f.chains[V2_HOME_EID].endpoint,
      attacker.address,
    ]);
    await rogue.connect(attacker).setPeer(V2_L2_EID, peerBytes32(await f.l2.getAddress()));
    await rogue.connect(attacker).pushRate(V2_L2_EID, "0x", { value: LOCAL_NATIVE_FEE_WEI });
    await bridge(f.adapter, f.holder, V2_L2_EID, f.holder.address, parseEther("2"));

    const deliveries = await relayer.relay();
    expect(deliveries.map((d) => [d.status, d.reason, d.packet.sender])).to.deep.equal([
      [
        "failed",
        describeCustomError("LZ_PathNotInitializable", [], [ENDPOINT_V2_INTERFACE]),
        peerBytes32(await rogue.getAddress()),
      ],
      ["delivered", undefined, peerBytes32(await f.adapter.getAddress())],
    ]);
    expect(await f.l2.totalSupply()).to.equal(parseEther("2"));
    await expectLocked(f, 0n);
  });

  it("paused L2: the pass reports the pause and keeps the packet; after unpause it is delivered exactly once", async function () {
    const f = await loadFixture(deployBridgeOnEndpointV2);
    const relayer = await relayerFor(f);
    await approveAll(f);
    await f.l2.connect(f.bridgePauser).pause();
    await bridge(f.adapter, f.holder, V2_L2_EID, f.holder.address, parseEther("5"));
    await expectLocked(f, parseEther("5"));

    const paused = describeCustomError("EnforcedPause", [], [f.l2.interface]);
    expect(paused).to.equal("The bridge is paused on this chain. (EnforcedPause)");
    for (let pass = 0; pass < 2; pass++) {
      const deliveries = await relayer.relay();
      expect(deliveries.map((d) => [d.status, d.reason, d.packet.nonce])).to.deep.equal([["failed", paused, 1n]]);
      expect(relayer.pending().map((p) => p.guid)).to.deep.equal([deliveries[0].packet.guid]);
      expect(await f.l2.totalSupply()).to.equal(0n);
      await expectLocked(f, parseEther("5"));
    }
    // Still verified at the endpoint, once.
    const packet = relayer.pending()[0];
    expect(
      await endpointOf(f, V2_L2_EID).inboundPayloadHash(await f.l2.getAddress(), V2_HOME_EID, packet.sender, 1n),
    ).to.equal(payloadHash(packet));

    await f.l2.connect(f.admin).unpause();
    const deliveries = await relayer.relay();
    expect(deliveries.map((d) => [d.status, d.packet.guid])).to.deep.equal([["delivered", packet.guid]]);
    expect(relayer.pending()).to.deep.equal([]);
    expect(await f.l2.balanceOf(f.holder.address)).to.equal(parseEther("5"));
    await expectLocked(f, 0n);
    expect(await relayer.relay()).to.deep.equal([]);
    expect(await f.l2.totalSupply()).to.equal(parseEther("5"));
    await expectLocked(f, 0n);
  });

  it("rate limit: a send over the path's limit reverts at the source and nothing is in flight", async function () {
    const f = await loadFixture(deployBridgeOnEndpointV2);
    const relayer = await relayerFor(f);
    await approveAll(f);
    await f.adapter
      .connect(f.admin)
      .setRateLimits([{ dstEid: V2_L2_EID, limit: parseEther("10"), window: PATH_WINDOW }]);
    const over = sendParam(V2_L2_EID, f.holder.address, parseEther("11"));
    await expect(f.adapter.quoteSend(over, false))
      .to.be.revertedWithCustomError(f.adapter, "RateLimitExceeded")
      .withArgs(V2_L2_EID, parseEther("11"), parseEther("10"));
    const fee = { nativeFee: LOCAL_NATIVE_FEE_WEI, lzTokenFee: 0n };
    await expect(f.adapter.connect(f.holder).send(over, fee, f.holder.address, { value: LOCAL_NATIVE_FEE_WEI }))
      .to.be.revertedWithCustomError(f.adapter, "RateLimitExceeded")
      .withArgs(V2_L2_EID, parseEther("11"), parseEther("10"));
    expect(await f.wrapper.balanceOf(f.holder.address)).to.equal(parseEther("50"));
    expect(await ethers.provider.getBalance(f.chains[V2_HOME_EID].messageLib)).to.equal(0n);
    const homeEndpoint = endpointOf(f, V2_HOME_EID);
    expect(
      await homeEndpoint.outboundNonce(await f.adapter.getAddress(), V2_L2_EID, peerBytes32(await f.l2.getAddress())),
    ).to.equal(0n);
    expect(await relayer.relay()).to.deep.equal([]);
    expect(await expectLocked(f, 0n)).to.equal(0n);
  });

  it("rate push through the endpoint: a delivered rate cannot be replayed; an older rate arriving after a newer one is ignored", async function () {
    const f = await loadFixture(deployBridgeOnEndpointV2);
    const relayer = await relayerFor(f);
    const pusherAccount = f.users[9];
    const push = () => f.pusher.connect(pusherAccount).pushRate(V2_L2_EID, "0x", { value: LOCAL_NATIVE_FEE_WEI });
    const [rate1, ref1] = await f.pusher.currentRate();
    await push();
    const [delivery] = await relayer.relay();
    expect(delivery.status).to.equal("delivered");
    await expect(delivery.txHash!).to.emit(f.rateOracle, "RateUpdated").withArgs(1n, rate1, ref1);
    expect(delivery.packet.message).to.equal(abi.encode(["uint256", "uint256"], [rate1, ref1]));
    const endpoint = endpointOf(f, V2_L2_EID);
    await expect(execute(f, delivery.packet))
      .to.be.revertedWithCustomError(endpoint, "LZ_PayloadHashNotFound")
      .withArgs(ZeroHash, payloadHash(delivery.packet));
    await expect(verify(f, delivery.packet)).to.be.revertedWithCustomError(endpoint, "LZ_PathNotVerifiable");
    expect((await f.rateOracle.latest()).roundId).to.equal(1n);

    // Nonce 2 carries the first report's rate; nonce 3, sent after the next report, a newer one.
    const from = (await ethers.provider.getBlockNumber()) + 1;
    await push();
    await f.report({ numValidators: 3n, clBalanceGwei: toGwei(parseEther("96.01")) });
    const [rate2, ref2] = await f.pusher.currentRate();
    expect(ref2).to.be.greaterThan(ref1);
    await push();
    const [older, newer] = await sentSince(f, V2_HOME_EID, from);
    expect([older.nonce, newer.nonce]).to.deep.equal([2n, 3n]);
    await verify(f, older);
    await verify(f, newer);
    await expect(execute(f, newer)).to.emit(f.rateOracle, "RateUpdated").withArgs(2n, rate2, ref2);
    await expect(execute(f, older)).to.emit(f.rateOracle, "RateIgnored").withArgs(older.guid, rate1, ref1, ref2);
    expect(await f.rateOracle.latestRoundData()).to.deep.equal([2n, rate2, ref2, ref2, 2n]);
    // Both executed; the relayer, which read them too, finds nothing to do; neither can run again.
    expect((await relayer.relay()).map((d) => [d.status, d.packet.nonce])).to.deep.equal([
      ["executed", 2n],
      ["executed", 3n],
    ]);
    await expect(execute(f, older))
      .to.be.revertedWithCustomError(endpoint, "LZ_PayloadHashNotFound")
      .withArgs(ZeroHash, payloadHash(older));
    expect((await f.rateOracle.latest()).roundId).to.equal(2n);
  });

  it("decodePacket reads a PacketSent log field by field and refuses what is not a V1 packet", async function () {
    const f = await loadFixture(deployBridgeOnEndpointV2);
    await approveAll(f);
    const param = sendParam(V2_L3_EID, f.users[4].address, parseEther("1.5"));
    const fee = await f.adapter.quoteSend(param, false);
    const tx = await f.adapter
      .connect(f.holder)
      .send(param, { nativeFee: fee.nativeFee, lzTokenFee: 0n }, f.holder.address, { value: fee.nativeFee });
    const receipt = (await tx.wait())!;
    const adapterAddress = await f.adapter.getAddress();
    const [log] = await endpointOf(f, V2_HOME_EID).queryFilter("PacketSent", receipt.blockNumber, receipt.blockNumber);
    const encoded = ENDPOINT_V2_INTERFACE.parseLog(log)!.args[0] as string;
    const [sent] = await f.adapter.queryFilter(f.adapter.filters.OFTSent(), receipt.blockNumber, receipt.blockNumber);
    const packet = decodePacket(encoded);
    expect(packet).to.deep.equal({
      nonce: 1n,
      srcEid: V2_HOME_EID,
      sender: peerBytes32(adapterAddress),
      dstEid: V2_L3_EID,
      receiver: await f.l3.getAddress(),
      guid: sent.args.guid,
      message: oftMessage(f.users[4].address, parseEther("1.5")),
      encoded,
    });
    expect(encodePacket(packet)).to.equal(encoded);
    // LayerZero's GUID: keccak256(nonce, srcEid, sender, dstEid, receiver), packed.
    expect(packet.guid).to.equal(
      solidityPackedKeccak256(
        ["uint64", "uint32", "bytes32", "uint32", "bytes32"],
        [1n, V2_HOME_EID, packet.sender, V2_L3_EID, peerBytes32(packet.receiver)],
      ),
    );
    expect(() => decodePacket("0x02" + encoded.slice(4))).to.throw("not a LayerZero V1 packet");
    expect(() => decodePacket(encoded.slice(0, 2 + 112 * 2))).to.throw("not a LayerZero V1 packet");
    await expectLocked(f, parseEther("1.5"));
  });

  it("a packet to an endpoint id the relayer does not serve is counted unroutable and left for a relayer that does", async function () {
    const f = await loadFixture(deployBridgeOnEndpointV2);
    await approveAll(f);
    const from = (await ethers.provider.getBlockNumber()) + 1;
    const partial = await relayerFor(f, [V2_HOME_EID, V2_L2_EID]);
    await bridge(f.adapter, f.holder, V2_L3_EID, f.holder.address, parseEther("5"));
    await bridge(f.adapter, f.holder, V2_L2_EID, f.holder.address, parseEther("1"));
    const deliveries = await partial.relay();
    expect(deliveries.map((d) => [d.status, d.packet.dstEid])).to.deep.equal([["delivered", V2_L2_EID]]);
    expect(partial.unroutable).to.equal(1);
    expect(partial.pending()).to.deep.equal([]);
    expect(await f.l3.totalSupply()).to.equal(0n);
    await expectLocked(f, parseEther("5"));
    await mine(1);
    expect(await partial.relay()).to.deep.equal([]);
    expect(partial.unroutable).to.equal(1);

    const full = await relayerFor(f, [V2_HOME_EID, V2_L2_EID, V2_L3_EID], from);
    expect((await full.relay()).map((d) => [d.status, d.packet.dstEid])).to.deep.equal([
      ["delivered", V2_L3_EID],
      ["executed", V2_L2_EID],
    ]);
    expect(full.unroutable).to.equal(0);
    expect(await f.l3.balanceOf(f.holder.address)).to.equal(parseEther("5"));
    await expectLocked(f, 0n);
  });
});
