import fc from "fast-check";
import { parseEther } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployWithValidators, type OracleFixture } from "../helpers/oracle-fixtures";
import {
  OPERATOR_ID,
  claimArb,
  depositArb,
  outcomes,
  reportArb,
  setupWorld,
  stakeArb,
  transferArb,
  vaultDonationArb,
} from "../helpers/property-oracle";

/**
 * Model-based properties of the accounting oracle over the real contracts (Ignition deployment,
 * deployWithValidators: 100 ETH staked, operator 0 with 3 visible validators). Random sequences of
 * stakes, transfers, vault donations, reports (1–3 frames ahead, CL change and vault amounts inside
 * the default sanity limits — bunker mode or not; a bunker-mode report is first tried one gwei beyond
 * the drop limit and must revert — optional operator loss and bunker mode) and operator claims run against
 * an independent BigInt model (../helpers/property-oracle.ts); after every step the chain must match
 * the model to the wei and the invariants listed there (1–4) must hold.
 *
 * Reproducible: a fixed seed per property. Environment overrides: FC_SEED, FC_RUNS, FC_PATH (replay one
 * failure: fast-check prints seed and path with it), FC_COVERAGE=1 (print how often each path ran).
 */

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return value;
}

function params<Ts>(seed: number, numRuns: number): fc.Parameters<Ts> {
  const p: fc.Parameters<Ts> = { seed: envInt("FC_SEED") ?? seed, numRuns: envInt("FC_RUNS") ?? numRuns };
  const path = process.env.FC_PATH;
  if (path !== undefined && path !== "") p.path = path;
  return p;
}

/** deployWithValidators plus bond for all 8 vetted keys of operator 0 (26 ETH: 13 validators at 2 ETH). */
async function deployWithBondForAllKeys(): Promise<OracleFixture> {
  const f = await loadFixture(deployWithValidators);
  await (await f.registry.connect(f.operator).depositBond(OPERATOR_ID, { value: parseEther("20") })).wait();
  return f;
}

describe("Accounting oracle properties", function () {
  // Shrinking a failure replays many sequences; leave it the time to finish and print the counterexample.
  this.timeout(20 * 60_000);

  after(async function () {
    // Leave the chain at the fixture's snapshot for whatever test runs next.
    await loadFixture(deployWithValidators);
  });

  afterEach(function () {
    if (process.env.FC_COVERAGE === "1") {
      const lines = [...outcomes.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `      ${k}: ${n}`);
      console.log(`    Command outcomes (all runs):\n${lines.join("\n")}`);
    }
    outcomes.clear();
  });

  it("keeps shares, pooled ETH, vaults, fees, loss tranches and operator rewards consistent with the model over random stakes, transfers, donations, reports and claims", async function () {
    const commands = fc.commands(
      [
        stakeArb(20n),
        transferArb,
        vaultDonationArb,
        vaultDonationArb,
        reportArb({ probe: false, losses: true }),
        reportArb({ probe: false, losses: true }),
        reportArb({ probe: false, losses: true }),
        claimArb,
      ],
      { maxCommands: 24, size: "max" },
    );
    const property = fc.asyncProperty(commands, async (steps) => {
      await fc.asyncModelRun(async () => setupWorld(await loadFixture(deployWithValidators)), steps);
    });
    await fc.assert(property, params(0x7fde9001, 40));
  });

  it("never makes NumValidatorsExceedDeposited reachable for reports whose numValidators is the model's deposited count (or fewer), while deposited + 1 always reverts with it, over random interleavings of deposits and reports", async function () {
    const commands = fc.commands(
      [
        stakeArb(60n),
        stakeArb(60n),
        stakeArb(60n),
        depositArb,
        depositArb,
        reportArb({ probe: true, losses: false }),
        reportArb({ probe: true, losses: false }),
        vaultDonationArb,
        claimArb,
      ],
      { maxCommands: 20, size: "max" },
    );
    const property = fc.asyncProperty(commands, async (steps) => {
      await fc.asyncModelRun(async () => setupWorld(await loadFixture(deployWithBondForAllKeys)), steps);
    });
    await fc.assert(property, params(0x7fde9002, 25));
  });
});
