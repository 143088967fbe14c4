/**
 * Property test of the wtpETH bridge (issue 20) over the real contracts and LayerZero's endpoint
 * mock: random sends between home (eid 1), L2 and L3 by three holders, random amounts with dust,
 * random pauses and time. After every step: the wtpETH locked at home equals L2's plus L3's supply
 * to the wei, and each holder's wtpETH over all chains is what it was (dust stays with the sender,
 * fees are paid in ETH). Every run starts from the `deployBridge` snapshot.
 *
 * Environment: BRIDGE_FC_RUNS, BRIDGE_FC_SEED, BRIDGE_FC_PATH, BRIDGE_FC_REPLAY_PATH (replay one
 * failure: printed with it).
 */
import { expect } from "chai";
import fc from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";
import { HOME_EID, L2_EID, L3_EID, deployBridge, expectBacked, sendParam } from "../helpers/bridge-fixtures";
import type { BridgeFixture } from "../helpers/bridge-fixtures";
import { type RunnerConfig, checkProperty } from "../helpers/property-harness";

const FILE = "test/property/BridgeBacking.test.ts";
const RUNNER: RunnerConfig = {
  file: FILE,
  env: { runs: "BRIDGE_FC_RUNS", seed: "BRIDGE_FC_SEED", path: "BRIDGE_FC_PATH", replayPath: "BRIDGE_FC_REPLAY_PATH" },
  timeBudgetMs: (runs) => Math.max(4 * 60_000, runs * 5_000),
};
const EIDS = [HOME_EID, L2_EID, L3_EID] as const;

type Step =
  | { kind: "send"; actor: number; from: number; to: number; permille: number; dust: bigint }
  | { kind: "pause"; chain: number; paused: boolean }
  | { kind: "wait"; seconds: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("send" as const),
      actor: fc.integer({ min: 0, max: 2 }),
      from: fc.integer({ min: 0, max: 2 }),
      to: fc.integer({ min: 0, max: 2 }),
      permille: fc.integer({ min: 0, max: 1000 }),
      dust: fc.bigInt({ min: 0n, max: 10n ** 12n - 1n }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("pause" as const),
      chain: fc.integer({ min: 0, max: 2 }),
      paused: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 86_400 }) }),
  },
);

/** The bridge contract of chain `i` (0 home, 1 L2, 2 L3). */
function oftOf(f: BridgeFixture, i: number) {
  return [f.adapter, f.l2, f.l3][i];
}

/** `actor`'s wtpETH on chain `i`. */
async function balanceOn(f: BridgeFixture, i: number, actor: string): Promise<bigint> {
  return i === 0 ? f.wrapper.balanceOf(actor) : [f.l2, f.l3][i - 1].balanceOf(actor);
}

describe("wtpETH bridge properties", function () {
  it("locked at home = remote supply, and each holder's wtpETH over all chains is conserved, after every step", async function () {
    const property = fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 10 }), async (steps) => {
      const f = await loadFixture(deployBridge);
      const actors = [f.holder, f.users[3], f.users[4]];
      // users[3] holds a few wtpETH from the fixture; users[4] gets 7 + odd wei.
      await f.wrapper.connect(f.holder).transfer(actors[2].address, parseEther("7") + 12_345n);
      for (const a of actors) await f.wrapper.connect(a).approve(await f.adapter.getAddress(), 2n ** 255n);
      const totalOf = async (a: string) =>
        (await balanceOn(f, 0, a)) + (await balanceOn(f, 1, a)) + (await balanceOn(f, 2, a));
      const totals = await Promise.all(actors.map((a) => totalOf(a.address)));
      const paused = [false, false, false];

      for (const step of steps) {
        if (step.kind === "wait") await time.increase(step.seconds);
        else if (step.kind === "pause") {
          if (paused[step.chain] === step.paused) continue;
          const oft = oftOf(f, step.chain).connect(f.admin);
          await (step.paused ? oft.pause() : oft.unpause());
          paused[step.chain] = step.paused;
        } else if (step.from !== step.to && !paused[step.to]) {
          // (A paused destination keeps the message in flight: the property is about settled state.)
          const actor = actors[step.actor];
          const oft = oftOf(f, step.from);
          const balance = await balanceOn(f, step.from, actor.address);
          const amount = (balance * BigInt(step.permille)) / 1000n;
          const wanted = amount + step.dust > balance ? amount : amount + step.dust;
          const param = sendParam(EIDS[step.to], actor.address, wanted);
          if (paused[step.from]) {
            await expect(oft.quoteSend(param, false)).to.be.revertedWithCustomError(oft, "EnforcedPause");
          } else if (wanted < 10n ** 12n) {
            await expect(oft.quoteSend(param, false)).to.be.revertedWithCustomError(oft, "ZeroAmount");
          } else {
            const fee = (await oft.quoteSend(param, false)).nativeFee;
            await oft.connect(actor).send(param, { nativeFee: fee, lzTokenFee: 0n }, actor.address, { value: fee });
            const sent = (wanted / 10n ** 12n) * 10n ** 12n;
            expect(await balanceOn(f, step.from, actor.address)).to.equal(balance - sent);
          }
        }
        await expectBacked(f);
        for (const [i, a] of actors.entries()) expect(await totalOf(a.address)).to.equal(totals[i]);
      }
    });
    await checkProperty(this, "locked at home", property, 15, RUNNER);
  });
});
