import { expect } from "chai";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployFuzzFixture, setupFuzzWorld } from "../helpers/fuzz-model";
import {
  ForgedProofCommand,
  ProveExitedCommand,
  ProveSlashedCommand,
  ReportCommand,
  RequestCommand,
  type ReportSpec,
  fuzzCommandArbs,
} from "../helpers/fuzz-commands";
import { resetValueLedger } from "../helpers/fuzz-invariants";
import { type RunnerConfig, checkProperty, envInt, formatOutcomes, outcomes } from "../helpers/property-harness";

/**
 * Whole-protocol stateful fuzzing (issue 7): fast-check model-based command sequences over the real
 * contracts (Ignition deployment, deployWithQueue plus bond for every key): stakes, transfers, share
 * transfers, wraps, unwraps, permits, withdrawal requests (tpETH and wtpETH, with permits), request
 * NFT transfers, claims (single, batch, to a recipient), instant redemptions (the frame's integrated
 * fee), bond deposits, validator deposits through the guardians, oracle reports through the quorum
 * (rewards, penalties, per-key slashings, exits, operator 0's exited keys with its rewards and free
 * bond, bunker mode, finalization in batches; reports past the sanity limits or with invalid batches,
 * key losses, exit counts or exited-key counts asserted to revert, then the honest report voted), pauses and governance parameter changes,
 * beacon-fact proofs (slashed, exited; forged and replayed ones asserted to revert), wtpETH bridge
 * sends between home, L2 and L3 with dust and bridge pauses (LayerZero endpoint mocks; locked at home
 * == remote supply after every step); the protocol's own contracts as recipients
 * and owners are asserted to be refused. Report liveness: between a report's first and deciding votes
 * 0–6 random user actions run, and the honest report, computed at the reference slot, must still
 * apply. After every command the chain must equal the model to the wei and every invariant of
 * ../helpers/fuzz-invariants.ts must hold (docs/invariants.md, "Stateful fuzzing").
 *
 * Deterministic by default (a fixed seed). Environment:
 * - FUZZ_PROFILE=long: the long run of `npm run fuzz` (more runs, longer sequences, random seed);
 * - FUZZ_SEED, FUZZ_RUNS, FUZZ_STEPS (commands per run): override the profile;
 * - FUZZ_PATH, FUZZ_REPLAY_PATH: replay one failure (both are printed with it, in a replay command);
 * - FUZZ_COVERAGE=1: print how often each command succeeded or hit each custom error.
 */

const FILE = "test/fuzz/Protocol.fuzz.test.ts";
const LONG = process.env.FUZZ_PROFILE === "long";
/** The CI-sized run: a fixed seed, a few runs of moderate length (about two minutes on two cores). */
const CI = { seed: 0x7105_0007, runs: 8, steps: 50 };
const PROFILE = LONG ? { seed: undefined, runs: 60, steps: 80 } : CI;
const STEPS = envInt("FUZZ_STEPS") ?? PROFILE.steps;

const RUNNER: RunnerConfig = {
  file: FILE,
  env: { runs: "FUZZ_RUNS", seed: "FUZZ_SEED", path: "FUZZ_PATH", replayPath: "FUZZ_REPLAY_PATH" },
  replayEnv: [...(LONG ? ["FUZZ_PROFILE=long"] : []), `FUZZ_STEPS=${STEPS}`],
  timeBudgetMs: (runs) => Math.max(10 * 60_000, runs * STEPS * 1_000),
  defaultSeed: PROFILE.seed,
};

describe("Whole-protocol stateful fuzzing", function () {
  after(async function () {
    // Leave the chain at the fixture's snapshot for whatever test runs next.
    await loadFixture(deployFuzzFixture);
  });

  afterEach(function () {
    if (process.env.FUZZ_COVERAGE === "1") console.log(`    Command outcomes (all runs):\n${formatOutcomes()}`);
    outcomes.clear();
  });

  it("keeps every contract consistent with the model and every invariant over random protocol-wide command sequences", async function () {
    const seed = envInt("FUZZ_SEED") ?? PROFILE.seed;
    console.log(
      `    seed: ${seed ?? "random (printed on failure)"}, runs: ${envInt("FUZZ_RUNS") ?? PROFILE.runs}, steps: ${STEPS}`,
    );
    const commands = fc.commands(fuzzCommandArbs(), {
      maxCommands: STEPS,
      size: "max",
      replayPath: process.env.FUZZ_REPLAY_PATH || undefined,
    });
    const property = fc.asyncProperty(commands, async (steps) => {
      const setup = async () => {
        const world = await setupFuzzWorld();
        resetValueLedger(world.model);
        return world;
      };
      await fc.asyncModelRun(setup, steps);
    });
    const details = await checkProperty(this, "protocol-wide command sequences", property, PROFILE.runs, RUNNER);
    console.log(`    ${details.numRuns} runs passed (seed ${details.seed})`);
  });

  it("holds a report's finalization when a slashing is proven between its votes, and the next report ends the hold", async function () {
    // A fixed sequence: random runs reach this path only now and then (a proof between the votes of
    // a report that finalizes).
    const report: ReportSpec = {
      frames: 1n,
      visiblePpm: 1_000_000n,
      cl: { kind: "flat" },
      exit: false,
      withdrawalPpm: 0n,
      elPpm: 0n,
      loss: null,
      bunker: false,
      bunkerOnLoss: false,
      finalize: { kind: "max" },
      batching: "honest",
      probeFinalize: false,
      batchProbe: null,
      lossProbe: null,
      probeExits: false,
      exitedKeys: 0n,
      exitedProbe: null,
    };
    const world = await setupFuzzWorld();
    resetValueLedger(world.model);
    await fc.asyncModelRun(
      () => Promise.resolve(world),
      [
        new RequestCommand(0, false, [{ kind: "fraction", ppm: 100_000 }], null, "exact"),
        new ReportCommand(report, [new ProveSlashedCommand(1, 32_000_000_000n)]),
        new ReportCommand({ ...report, cl: { kind: "belowDrop", extraGwei: 0n } }),
        new ForgedProofCommand("replaySlashed", 0),
        new ProveExitedCommand(0),
        new ForgedProofCommand("replayExited", 0),
      ],
    );
    expect(world.model.bunker, "the hold ended with the report after the proof").to.equal(false);
    expect(world.model.lastFinalizedId, "the second report finalized the request").to.equal(1);
  });
});
