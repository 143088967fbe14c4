/**
 * Hardhat tasks for beacon facts (contracts/beacon/BeaconFacts.sol), proven by anyone against
 * EIP-4788 roots from a Beacon API (offchain/prover/facts.ts):
 *
 *   prove-slashing    --operator <id> --key <index>   a protocol validator is slashed (bunker mode)
 *   prove-exit        --operator <id> --key <index>   a protocol validator has exited
 *   prove-credentials --operator <id> --key <index>   a registry key's validator has foreign credentials
 *   force-exit        --operator <id> --key <index>   a validator asked to exit is late: EIP-7002 exit
 *                     [--governance]                  (or governance's direct, rate-limited forced exit)
 *   prover-watch      [--interval <s>]                proves each fact as soon as it holds
 *
 * `--beacon` is the Beacon API (default $BEACON_URL, else the local beacon chain's
 * http://127.0.0.1:5052 of scripts/beacon-chain.ts). Each prints what changed, with the gas used,
 * and fails as one sentence.
 *
 * Loaded by hardhat.config.ts before compilation: no top-level imports of typechain-types,
 * deploy/protocol.ts, offchain/prover/facts.ts or `hardhat` (see tasks/lib.ts).
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import {
  FROM_HELP,
  POOL_HELP,
  attempt,
  loadTidepool,
  parseCount,
  parseHttpUrl,
  roleSigner,
  signerFrom,
  tidepoolTask,
} from "./lib";

/** The local beacon chain's Beacon API (scripts/beacon-chain.ts, BEACON_PORT 5052). */
export const DEFAULT_BEACON_URL = "http://127.0.0.1:5052";
const BEACON_HELP = `Beacon API base URL (default: $BEACON_URL, else ${DEFAULT_BEACON_URL})`;

interface KeyArgs {
  operator: string;
  key: string;
  beacon?: string;
  from?: string;
  pool?: string;
}

type Facts = typeof import("../offchain/prover/facts");

/**
 * The prover's module, loaded before the task's first RPC call: loading takes seconds under ts-node,
 * and a node closes a keep-alive connection left idle that long under the next request ("other side
 * closed").
 */
function loadFacts(): Facts {
  // `require`, not `import()`: with module node16 a dynamic import is native and skips ts-node.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("../offchain/prover/facts") as Facts;
}

function beaconUrl(value: string | undefined): string {
  const url = value ?? process.env.BEACON_URL;
  return parseHttpUrl(url === undefined || url === "" ? DEFAULT_BEACON_URL : url, "beacon");
}

/** The deployment and the prover's context. */
async function context(hre: HardhatRuntimeEnvironment, args: { beacon?: string; pool?: string }) {
  const url = beaconUrl(args.beacon);
  const t = await loadTidepool(hre, args.pool);
  return {
    t,
    ctx: {
      beaconUrl: url,
      provider: hre.ethers.provider,
      contracts: { facts: t.facts, registry: t.registry, oracle: t.oracle },
    },
  };
}

function keyTask(name: string, description: string, kind: "slashed" | "exited" | "foreign"): void {
  tidepoolTask(name, description)
    .addParam("operator", "The key's operator id")
    .addParam("key", "The key's index among the operator's keys")
    .addOptionalParam("beacon", BEACON_HELP)
    .addOptionalParam("from", FROM_HELP)
    .addOptionalParam("pool", POOL_HELP)
    .setAction(async (args: KeyArgs, hre): Promise<void> => {
      const operator = BigInt(parseCount(args.operator, "operator"));
      const key = BigInt(parseCount(args.key, "key"));
      const facts = loadFacts();
      await facts.loadProverModules();
      const { ctx } = await context(hre, args);
      const signer = await signerFrom(hre, args.from);
      const r = await attempt(hre, () => facts.proveKeyFact(ctx, signer, kind, operator, key));
      console.log(facts.describeProof(r));
    });
}

keyTask(
  "prove-slashing",
  "Proves from a Beacon API that a protocol validator is slashed: bunker mode at once, and slashing credit for the reports",
  "slashed",
);
keyTask(
  "prove-exit",
  "Proves from a Beacon API that a protocol validator has exited: counted for its operator at once",
  "exited",
);
keyTask(
  "prove-credentials",
  "Proves from a Beacon API that a registry key's validator has withdrawal credentials other than the pool's",
  "foreign",
);

interface ForceExitArgs extends KeyArgs {
  governance: boolean;
  fromBlock?: string;
}

tidepoolTask(
  "force-exit",
  "Forces a validator out through EIP-7002: by proving its requested exit late (anyone), or --governance directly",
)
  .addParam("operator", "The key's operator id")
  .addParam("key", "The key's index among the operator's keys")
  .addFlag("governance", "Governance's direct forced exit (FORCE_EXIT_ROLE, rate-limited), without a proof")
  .addOptionalParam("fromBlock", "Block to read the oracle's exit requests from (its deployment block; default 0)")
  .addOptionalParam("beacon", BEACON_HELP)
  .addOptionalParam("from", `${FROM_HELP}; with --governance: the first account holding FORCE_EXIT_ROLE`)
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: ForceExitArgs, hre): Promise<void> => {
    const operator = BigInt(parseCount(args.operator, "operator"));
    const key = BigInt(parseCount(args.key, "key"));
    const facts = loadFacts();
    await facts.loadProverModules();
    const { t, ctx } = await context(hre, args);
    if (args.governance) {
      const role = await t.facts.FORCE_EXIT_ROLE();
      const admin = await roleSigner(hre, "from", args.from, "a holder of FORCE_EXIT_ROLE", (a) =>
        t.facts.hasRole(role, a),
      );
      const r = await attempt(hre, () => facts.forceExit(ctx, admin, operator, key));
      console.log(facts.describeProof(r));
      return;
    }
    const signer = await signerFrom(hre, args.from);
    const fromBlock = args.fromBlock === undefined ? undefined : parseCount(args.fromBlock, "from-block");
    const r = await attempt(hre, () => facts.proveKeyFact({ ...ctx, fromBlock }, signer, "late", operator, key));
    console.log(facts.describeProof(r));
  });

interface WatchArgs {
  interval: string;
  beacon?: string;
  from?: string;
  fromBlock?: string;
  once: boolean;
  pool?: string;
}

tidepoolTask(
  "prover-watch",
  "Watches a Beacon API and proves slashings, exits, late exits and foreign credentials of protocol validators as soon as they hold",
)
  .addOptionalParam("interval", "Seconds between passes", "12")
  .addOptionalParam("beacon", BEACON_HELP)
  .addOptionalParam("from", FROM_HELP)
  .addOptionalParam("fromBlock", "Block to read the oracle's exit requests from (its deployment block)")
  .addFlag("once", "One pass, then exit")
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: WatchArgs, hre): Promise<void> => {
    const intervalMs = parseCount(args.interval, "interval", 1) * 1000;
    const fromBlock = args.fromBlock === undefined ? undefined : parseCount(args.fromBlock, "from-block");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ProofWatcher } = require("../offchain/prover/watcher") as typeof import("../offchain/prover/watcher");
    await loadFacts().loadProverModules();
    const { ctx } = await context(hre, args);
    const signer = await signerFrom(hre, args.from);
    const watcher = new ProofWatcher({ ...ctx, fromBlock }, signer);
    if (args.once) {
      const results = await attempt(hre, () => watcher.tick());
      if (results.length === 0) console.log("Nothing to prove.");
      return;
    }
    // Not the URL itself: a provider's URL may carry its key.
    console.log(`Prover ${signer.address} watching the Beacon API every ${intervalMs / 1000}s (Ctrl-C stops)`);
    const stop = new AbortController();
    process.once("SIGINT", () => stop.abort());
    await watcher.run({ intervalMs, signal: stop.signal });
  });
