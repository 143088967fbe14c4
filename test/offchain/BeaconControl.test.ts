import { expect } from "chai";
import hre from "hardhat";
import { validatorStatus } from "../../offchain/beacon/chain";
import { handleControl, serializer } from "../../offchain/beacon/control";
import type { LocalBeacon } from "../../offchain/beacon/local";
import type { Tidepool } from "../../deploy/protocol";
import { deployWithBeacon } from "../helpers/beacon-fixtures";

describe("Local beacon chain: control endpoint", function () {
  let t: Tidepool;
  let local: LocalBeacon;
  let pubkeys: string[];

  before(async function () {
    ({ t, local } = await deployWithBeacon());
    await local.bridge.sync();
    pubkeys = [];
    for (let i = 0n; i < 2n; i++) pubkeys.push((await t.registry.getSigningKey(0n, i)).pubkey);
  });

  after(async function () {
    await local?.close();
  });

  it("advance-frame moves both chains to the next frame with its reference slot final", async function () {
    const out = await handleControl(local, "/advance-frame", "");
    const [refSlot] = await t.oracle.getCurrentFrame();
    expect(out.refSlot).to.equal(refSlot.toString());
    const block = await hre.ethers.provider.getBlock(out.refBlock as number);
    const [genesisTime] = await t.oracle.getFrameConfig();
    expect(BigInt(block!.timestamp)).to.equal(genesisTime + refSlot * 12n);
    expect(local.chain.headSlot).to.equal(refSlot + 1n + 65n);
  });

  it("advance-slot mines one block at the slot after the execution head's, or n slots after", async function () {
    const head = local.chain.slotAt(await local.bridge.latestTimestamp());
    const one = await handleControl(local, "/advance-slot", "");
    expect(one.slot).to.equal((head + 1n).toString());
    const block = await hre.ethers.provider.getBlock(one.block as number);
    expect(BigInt(block!.timestamp)).to.equal(local.chain.slotTime(head + 1n));
    expect(one.beaconRoot).to.equal(null); // no real state on this chain
    const three = await handleControl(local, "/advance-slot", JSON.stringify({ slots: 3 }));
    expect(three.slot).to.equal((head + 4n).toString());
    expect(local.chain.headSlot).to.equal(head + 4n);
  });

  it("slash and exit act on the named validator, with penalties in gwei", async function () {
    await local.bridge.sync();
    const before = local.chain.validator(pubkeys[0])!.balanceGwei;
    const slashed = await handleControl(
      local,
      "/slash",
      JSON.stringify({ pubkey: pubkeys[0], initialPenaltyGwei: "1000000000" }),
    );
    expect(slashed).to.deep.equal({ slashed: pubkeys[0], epoch: local.chain.epoch.toString() });
    const v = local.chain.validator(pubkeys[0])!;
    expect([v.slashed, before - v.balanceGwei]).to.deep.equal([true, 1_000_000_000n]);
    await handleControl(local, "/exit", JSON.stringify({ pubkey: pubkeys[1] }));
    expect(validatorStatus(local.chain.validator(pubkeys[1])!, local.chain.epoch)).to.equal("active_exiting");
  });

  it("refuses bad requests with a message naming what was wrong", async function () {
    const error = async (path: string, body: string) => {
      try {
        await handleControl(local, path, body);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error("should have failed");
    };
    expect(await error("/nope", "")).to.equal(
      "no control route /nope (POST /advance-frame, /advance-slot, /slash, /exit)",
    );
    expect(await error("/slash", "[1]")).to.equal("the body must be a JSON object");
    expect(await error("/slash", '{"pubkey":"0x12"}')).to.equal('"pubkey" must be a 48-byte 0x-hex string, got "0x12"');
    expect(await error("/slash", JSON.stringify({ pubkey: pubkeys[1], initialPenaltyGwei: "1.5" }))).to.equal(
      '"initialPenaltyGwei" must be a whole number of gwei, got "1.5"',
    );
    expect(await error("/exit", JSON.stringify({ pubkey: pubkeys[1] }))).to.match(
      /^cannot exit validator \d+: it is active_exiting$/,
    );
  });

  it("the serializer runs work one at a time, in order, and goes on after a failure", async function () {
    const serial = serializer();
    const order: string[] = [];
    const slow = serial(async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push("slow");
    });
    const failing = serial(async () => {
      order.push("failing");
      throw new Error("boom");
    });
    const fast = serial(async () => {
      order.push("fast");
      return 7;
    });
    await slow;
    await expect(failing).to.be.rejectedWith("boom");
    expect(await fast).to.equal(7);
    expect(order).to.deep.equal(["slow", "failing", "fast"]);
  });
});
