/**
 * Planted-bug proof for the whole-protocol fuzzer (`npm run fuzz:planted`): copies the repository to a
 * scratch directory (node_modules symlinked), plants one small bug in a contract, compiles the copy,
 * runs the CI-sized fuzz there, and reports which invariant caught it. Exits 0 only if the fuzzer failed
 * on every planted bug (caught it), 1 if any went unnoticed (or a mutation no longer applies).
 *
 * Usage: npm run fuzz:planted [-- --mutation NAME[,NAME…]] [-- --keep]
 * Mutations: see MUTATIONS below (default: all). FUZZ_* variables pass through to the fuzz run.
 * Each compile of the scratch copy takes a few minutes (viaIR with solcjs).
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";

interface Mutation {
  name: string;
  what: string;
  file: string;
  from: string;
  to: string;
}

/**
 * Small, realistic bugs: a rounding direction flipped, a fee rounded the wrong way, an over-payment,
 * a report bound that user actions between the votes can move (report liveness), and a bridge that
 * releases more than was burnt.
 */
const MUTATIONS: Mutation[] = [
  {
    name: "shares-round-down",
    what: "StakingPool._toSharesUp rounds down: transfers, requests and redemptions burn a share too few",
    file: "contracts/pool/StakingPool.sol",
    from: "return Math.mulDiv(amount, t.totalShares, t.totalPooledEther, Math.Rounding.Ceil);",
    to: "return Math.mulDiv(amount, t.totalShares, t.totalPooledEther);",
  },
  {
    name: "fee-round-up",
    what: "AccountingOracle._mintFees rounds the treasury's fee shares up instead of down",
    file: "contracts/oracle/AccountingOracle.sol",
    from: "out.treasuryShares = Math.mulDiv(treasuryWei, sharesLeft, denominator);",
    to: "out.treasuryShares = Math.mulDiv(treasuryWei, sharesLeft, denominator, Math.Rounding.Ceil);",
  },
  {
    name: "claim-pays-max",
    what: "WithdrawalQueue._claim pays max(nominal, shares × rate) instead of the min",
    file: "contracts/withdrawals/WithdrawalQueue.sol",
    from: "payout = Math.min(amountOfEther, byShares);",
    to: "payout = Math.max(amountOfEther, byShares);",
  },
  {
    name: "exit-bound-buffer",
    what: "AccountingOracle._requestExits bounds exits by the shortfall beyond the live buffer again: a stake between the votes makes an honest report revert",
    file: "contracts/oracle/AccountingOracle.sol",
    from: "uint256 maxExits = Math.ceilDiv(WITHDRAWAL_QUEUE.unfinalizedEther(), DEPOSIT_SIZE);",
    to: "uint256 maxExits = Math.ceilDiv(Math.saturatingSub(WITHDRAWAL_QUEUE.unfinalizedEther(), POOL.bufferedEther()), DEPOSIT_SIZE);",
  },
  {
    name: "home-unlock-extra",
    what: "the home adapter releases 1 wei more than the remote chain burnt: only a send back home shows it (locked < remote supply)",
    file: "contracts/bridge/WtpEthOFTAdapter.sol",
    from: "return super._credit(to, amountLD, srcEid);",
    to: "return super._credit(to, amountLD + 1, srcEid);",
  },
];

/** What not to copy: installed packages (symlinked), build output and VCS data. */
const SKIP = new Set(["node_modules", "artifacts", "cache", "typechain-types", ".git", "dist", "coverage"]);

function parseArgs(argv: string[]): { names: string[]; keep: boolean } {
  let names = MUTATIONS.map((m) => m.name);
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--mutation") names = (argv[++i] ?? "").split(",").filter((n) => n !== "");
    else if (argv[i] === "--keep") keep = true;
    else throw new Error(`unknown argument ${argv[i]}; usage: --mutation NAME[,NAME…] [--keep]`);
  }
  for (const n of names) {
    if (!MUTATIONS.some((m) => m.name === n))
      throw new Error(`unknown mutation ${n}: ${MUTATIONS.map((m) => m.name).join(", ")}`);
  }
  return { names, keep };
}

function run(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { status: number; output: string } {
  const r = spawnSync("npx", args, { cwd, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status ?? 1, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/**
 * What stopped the fuzz run: the first assertion message, else the error the harness appends to
 * fast-check's report (`Error: …`, naming the invariant, the model comparison or an unexpected revert).
 */
function caughtBy(output: string): string {
  const lines = output.split("\n").map((l) => l.trim());
  const assertion = lines.find((l) => l.includes("AssertionError"));
  const error = lines.find((l) => l.startsWith("Error: ") && !l.includes("Property failed"));
  return assertion ?? error ?? "(no error message found)";
}

function main(): number {
  const { names, keep } = parseArgs(process.argv.slice(2));
  const repo = resolve(__dirname, "..");
  const scratch = mkdtempSync(join(tmpdir(), "tidepool-planted-"));
  console.log(`scratch copy: ${scratch}`);
  cpSync(repo, scratch, { recursive: true, filter: (src) => !SKIP.has(basename(src)) || src === repo });
  symlinkSync(join(repo, "node_modules"), join(scratch, "node_modules"), "dir");

  const results: { name: string; caught: boolean; seconds: number; by: string }[] = [];
  try {
    for (const name of names) {
      const m = MUTATIONS.find((x) => x.name === name) as Mutation;
      const path = join(scratch, m.file);
      const original = readFileSync(join(repo, m.file), "utf8");
      if (original.split(m.from).length !== 2) {
        console.error(`${m.name}: the line to mutate is not in ${m.file} exactly once; update MUTATIONS`);
        results.push({ name, caught: false, seconds: 0, by: "mutation does not apply" });
        continue;
      }
      writeFileSync(path, original.replace(m.from, m.to));
      console.log(`\n── ${m.name}: ${m.what}\n   compiling the mutant…`);
      const compiled = run(scratch, ["hardhat", "compile", "--quiet"]);
      if (compiled.status !== 0) {
        console.error(compiled.output);
        results.push({ name, caught: false, seconds: 0, by: "mutant does not compile" });
        writeFileSync(path, original);
        continue;
      }
      console.log("   running the CI-sized fuzz…");
      const started = Date.now();
      const fuzz = run(scratch, ["hardhat", "test", "--no-compile", "test/fuzz/Protocol.fuzz.test.ts"]);
      const seconds = Math.round((Date.now() - started) / 1000);
      const caught = fuzz.status !== 0 && /Property failed/.test(fuzz.output);
      const by = caught ? caughtBy(fuzz.output) : "not caught";
      results.push({ name, caught, seconds, by });
      const replay = fuzz.output.split("\n").find((l) => l.startsWith("Replay:"));
      console.log(`   ${caught ? "CAUGHT" : "NOT CAUGHT"} in ${seconds} s: ${by}${replay ? `\n   ${replay}` : ""}`);
      writeFileSync(path, original);
    }
  } finally {
    if (!keep) rmSync(scratch, { recursive: true, force: true });
  }
  console.log("\nSummary:");
  for (const r of results)
    console.log(`  ${r.caught ? "caught    " : "NOT caught"} ${r.name} (${r.seconds} s): ${r.by}`);
  return results.every((r) => r.caught) ? 0 : 1;
}

process.exitCode = main();
