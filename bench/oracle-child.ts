/**
 * The child processes of `npm run bench:oracle`, one role each (argv[2]), driven over IPC by
 * bench/oracle-harness.ts: `beacon` (the local beacon chain bulk-loaded with the world's records,
 * served by `startBeaconApi`), `el` (the stand-in execution layer) and `member` (the oracle member,
 * whose peak memory is then its own). Each request `{ id, type, … }` gets one reply `{ id, result }`
 * or `{ id, error }`; a child ends when its parent goes.
 */
import { BeaconChain } from "../offchain/beacon/chain";
import { startBeaconApi } from "../offchain/beacon/server";
import { startStandInExecution, type StandInExecution } from "./oracle-el";
import { buildOnce, type ReadMethod } from "./oracle-member";
import { GENESIS_TIME, REF_SLOT, records, type BenchWorld } from "./oracle-model";

/** The roles a child can take. */
export type ChildRole = "beacon" | "el" | "member";

/** The requests each role answers. */
export type ChildRequest =
  | { type: "start-beacon"; world: BenchWorld }
  | { type: "start-el"; world: BenchWorld; latencyMs: number }
  | { type: "latency"; ms: number }
  | { type: "counts" }
  | { type: "build"; beaconUrl: string; executionUrl: string; method: ReadMethod; indexDir?: string };

type Handler = (req: ChildRequest) => Promise<unknown>;

function beaconRole(): Handler {
  let requests = 0;
  return async (req) => {
    if (req.type === "counts") {
      const taken = requests;
      requests = 0;
      return { beaconRequests: taken };
    }
    if (req.type !== "start-beacon") throw new Error(`the beacon child does not answer ${req.type}`);
    const start = process.hrtime.bigint();
    // Two epochs of history: the reference slot is the head (a mainnet-sized chain cannot keep 2,048).
    const chain = new BeaconChain({ genesisTime: GENESIS_TIME, historyEpochs: 2n }, REF_SLOT);
    chain.loadGenesisValidators(records(req.world));
    const api = await startBeaconApi(chain);
    api.server.on("request", () => requests++);
    return {
      url: api.url,
      loadSeconds: Number(process.hrtime.bigint() - start) / 1e9,
      rssMB: process.memoryUsage().rss / 2 ** 20,
    };
  };
}

function elRole(): Handler {
  let el: StandInExecution | undefined;
  return async (req) => {
    if (req.type === "start-el") {
      el = await startStandInExecution(req.world, req.latencyMs);
      return { url: el.url };
    }
    if (!el) throw new Error(`the stand-in is not started (${req.type})`);
    if (req.type === "latency") {
      el.latencyMs = req.ms;
      return {};
    }
    if (req.type === "counts") return el.takeCounts();
    throw new Error(`the stand-in child does not answer ${req.type}`);
  };
}

function memberRole(): Handler {
  return async (req) => {
    if (req.type !== "build") throw new Error(`the member child does not answer ${req.type}`);
    return buildOnce(req.beaconUrl, req.executionUrl, req.indexDir, req.method);
  };
}

if (require.main === module) {
  const role = process.argv[2] as ChildRole;
  const handler =
    role === "beacon" ? beaconRole() : role === "el" ? elRole() : role === "member" ? memberRole() : undefined;
  if (!handler || !process.send) {
    console.error(`Error: run by bench/oracle-harness.ts as beacon, el or member, not "${role}"`);
    process.exit(1);
  }
  const reply = (message: unknown) => process.send!(message);
  process.on("message", (message: { id: number } & ChildRequest) => {
    handler(message).then(
      (result) => reply({ id: message.id, result }),
      (e: unknown) => reply({ id: message.id, error: e instanceof Error ? e.message : String(e) }),
    );
  });
  process.on("disconnect", () => process.exit(0));
}
