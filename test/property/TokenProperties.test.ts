import { expect } from "chai";
import fc from "fast-check";
import { network } from "hardhat";
import { toQuantity } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import {
  DONATION_KINDS,
  DonationCommand,
  ETH,
  RebaseCommand,
  StakeAndWrapCommand,
  StakeCommand,
  type TokenCommand,
  UnwrapCommand,
  WrapCommand,
  actorArb,
  amountSpecArb,
  broadRebaseSpecArb,
  outcomes,
  tokenCommandArbs,
} from "../helpers/property-token-commands";
import { setupWorld } from "../helpers/property-token-model";
import { deployTidepoolUnlimited } from "../helpers/fixtures";
import { type RunnerConfig, checkProperty, formatOutcomes } from "../helpers/property-harness";

/**
 * Model-based property tests of the token layer (tpETH shares and wtpETH) over the real contracts,
 * deployed by the real Ignition module; every run starts from the `deployTidepoolUnlimited` snapshot.
 * The invariants checked after every step are listed on `checkStep` in ../helpers/property-token-model.ts.
 *
 * Environment: FC_RUNS (runs per property), FC_SEED (seed), FC_PATH and FC_REPLAY_PATH (replay one
 * failure: both are printed with it), FC_COVERAGE=1 (print how often each command succeeded or hit
 * each custom error).
 */

const ACTORS = 6;
const MAX_COMMANDS = 40;
const GWEI = 10n ** 9n;
const FILE = "test/property/TokenProperties.test.ts";

/** Env overrides and replay printing (see ../helpers/property-harness.ts). */
const RUNNER: RunnerConfig = {
  file: FILE,
  env: { runs: "FC_RUNS", seed: "FC_SEED", path: "FC_PATH", replayPath: "FC_REPLAY_PATH" },
  // Time a property may take (runs plus shrinking) before fast-check stops and reports what it has.
  timeBudgetMs: (runs) => Math.max(8 * 60_000, runs * 5_000),
};
const FC_REPLAY_PATH = process.env.FC_REPLAY_PATH || undefined;

describe("Token layer properties", function () {
  after(async function () {
    // Leave the chain as the fixture left it (balances included) for whatever test runs next.
    await loadFixture(deployTidepoolUnlimited);
  });

  afterEach(function () {
    if (process.env.FC_COVERAGE === "1") {
      console.log(`    Command outcomes (all runs, shrinking included):\n${formatOutcomes()}`);
    }
    outcomes.clear();
  });

  it("keeps shares, supplies and the share rate consistent with an off-chain model over random command sequences", async function () {
    // A few opening stakes so that most actors hold something; the random commands follow.
    const opening = fc.array(
      fc
        .tuple(actorArb(ACTORS), fc.bigInt(GWEI, 50n * ETH), fc.boolean())
        .map(([a, wei, wrapped]): TokenCommand =>
          wrapped ? new StakeAndWrapCommand(a, wei, false) : new StakeCommand(a, wei, false),
        ),
      { maxLength: ACTORS },
    );
    const commands = fc.commands(tokenCommandArbs(ACTORS), {
      maxCommands: MAX_COMMANDS,
      size: "max",
      replayPath: FC_REPLAY_PATH,
    });
    const property = fc.asyncProperty(opening, commands, async (openingStakes, steps) => {
      const setup = async () => {
        const world = await setupWorld(ACTORS);
        for (const stake of openingStakes) await stake.run(world.model, world.real);
        return world;
      };
      await fc.asyncModelRun(setup, steps);
    });
    await checkProperty(this, "random command sequences", property, 25, RUNNER);
  });

  it("gives a later staker of 1 gwei to 1 ETH shares worth the stake minus under one share after any donation attempt", async function () {
    const ATTACKER = 0;
    const victimArb = fc.integer({ min: 1, max: ACTORS - 1 });
    // The attacker's moves: its own stakes (the classic 1-wei first deposit), every donation attempt with
    // up to a million ETH forced in, wrapping and unwrapping; rebases stand for oracle reports in between.
    const attackStep: fc.Arbitrary<TokenCommand> = fc.oneof(
      {
        weight: 2,
        arbitrary: fc
          .oneof(fc.constant(1n), fc.bigInt(1n, 1_000n * ETH))
          .map((wei) => new StakeCommand(ATTACKER, wei, false)),
      },
      {
        weight: 1,
        arbitrary: fc.bigInt(1n, 1_000n * ETH).map((wei) => new StakeAndWrapCommand(ATTACKER, wei, false)),
      },
      {
        weight: 6,
        arbitrary: fc
          .tuple(
            victimArb,
            fc.constantFrom(...DONATION_KINDS),
            amountSpecArb,
            fc.oneof(fc.constant(1n), fc.bigInt(1n, 1_000_000n * ETH)),
          )
          .map(([v, kind, amount, wei]) => new DonationCommand(ATTACKER, v, kind, amount, wei)),
      },
      { weight: 1, arbitrary: amountSpecArb.map((amount) => new WrapCommand(ATTACKER, amount)) },
      { weight: 1, arbitrary: amountSpecArb.map((amount) => new UnwrapCommand(ATTACKER, amount)) },
      { weight: 1, arbitrary: broadRebaseSpecArb.map((spec) => new RebaseCommand(spec)) },
    );
    const victimAmount = fc.oneof(
      fc.constant(GWEI),
      fc.constant(ETH),
      fc.bigInt(GWEI, 1_000n * GWEI),
      fc.bigInt(GWEI, ETH),
    );

    const property = fc.asyncProperty(
      fc.option(
        broadRebaseSpecArb.map((spec) => new RebaseCommand(spec)),
        { freq: 2 },
      ),
      fc.array(attackStep, { minLength: 1, maxLength: 6 }),
      victimArb,
      victimAmount,
      fc.constantFrom("stake", "plain ETH", "ETH to the wrapper"),
      async (report, steps, victim, amount, route) => {
        const { model, real } = await setupWorld(ACTORS);
        // The attacker can force far more ETH than the 10,000 ETH test accounts hold.
        await network.provider.send("hardhat_setBalance", [real.actors[ATTACKER].address, toQuantity(10n ** 7n * ETH)]);
        // Every step checks all invariants, forced ETH changing nothing included.
        if (report !== null) await report.run(model, real);
        for (const step of steps) await step.run(model, real);

        const before = real.last;
        const [p, s] = [before.totalPooledEther, before.totalShares];
        expect(before.shares[victim] + before.wtp[victim], "the victim starts with nothing").to.equal(0n);
        if (model.rebases === 0) expect(p, "without a rebase, donations leave the rate at exactly 1").to.equal(s);

        // Exact expectation: shares = floor(a·S/P); value = floor(shares·P1/S1) once the stake is in.
        const shares = (amount * s) / p;
        expect(shares > 0n, `a ${amount} wei stake is never rounded to zero shares (P=${p}, S=${s})`).to.equal(true);
        const value = (shares * (p + amount)) / (s + shares);

        const viaWrapper = route === "ETH to the wrapper";
        const stake = viaWrapper
          ? new StakeAndWrapCommand(victim, amount, true)
          : new StakeCommand(victim, amount, route === "plain ETH");
        await stake.run(model, real); // checks the mint against the model and every invariant

        const after = real.last;
        expect(viaWrapper ? after.wtp[victim] : after.shares[victim], "the victim gets floor(a·S/P)").to.equal(shares);
        const held = viaWrapper ? await real.f.wrapper.convertToAssets(after.wtp[victim]) : after.balances[victim];
        expect(held, "the victim's holding is worth floor(shares·P1/S1)").to.equal(value);

        const loss = amount - value;
        expect(loss >= 0n, "the victim never gains from rounding").to.equal(true);
        // Before the balance is floored, the shortfall is under one share's worth: a·S − shares·P < P.
        expect(amount * s - shares * p < p, "the exact shortfall is under one share's worth").to.equal(true);
        if (p <= s) {
          // At rate 1 (and below) the loss is at most 1 wei.
          expect(loss, `at rate ${p}/${s} the victim loses at most 1 wei`).to.be.lte(1n);
        } else {
          // Flooring the balance can add 1 wei: loss − 1 < P/S (loss ≤ ⌈one share's worth⌉).
          const bound = `${loss} wei lost, one share is worth ${p}/${s}`;
          expect((loss - 1n) * s < p, `the loss is under one share's worth plus 1 wei (${bound})`).to.equal(true);
        }
      },
    );
    await checkProperty(this, "after any donation attempt", property, 50, RUNNER);
  });
});
