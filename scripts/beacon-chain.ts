/**
 * Runs the local beacon chain beside a development node (`npx hardhat node`):
 *
 *   npx hardhat run scripts/beacon-chain.ts --network localhost
 *
 * Follows the node's head every second (deposits, exit requests, epochs, withdrawals) and serves the
 * Beacon API on 127.0.0.1:$BEACON_PORT (default 5052), for `npx hardhat oracle-report --network
 * localhost --beacon-url http://127.0.0.1:5052`. The deployment is the Ignition one of the chain (or
 * $TIDEPOOL_POOL).
 *
 * A control endpoint on the next port drives the development chains (not part of the Beacon API):
 *
 *   curl -X POST 127.0.0.1:5053/advance-frame                 # both chains to the next frame, its reference slot final
 *   curl -X POST 127.0.0.1:5053/advance-slot -d '{"slots":1}' # a block at the next slot (the next but n − 1)
 *   curl -X POST 127.0.0.1:5053/slash -d '{"pubkey":"0x…"}'   # optional initialPenaltyGwei, correlationPenaltyGwei
 *   curl -X POST 127.0.0.1:5053/exit -d '{"pubkey":"0x…"}'
 *
 * With BEACON_SYSTEM_CALLS=1 the chain keeps a real Electra state and each block the control
 * endpoint mines holds the EIP-4788 root of the previous beacon block and the EIP-7002 dequeue
 * (design notes 63, 64): what the proof tasks (`prove-slashing`, `force-exit`, `prover-watch`, …) need;
 * `advance-slot` twice after a change puts a state that shows it on chain.
 *
 * With BEACON_FOLLOW=1 the chain follows a node that mines by itself (Anvil with `--block-time`,
 * `--network devnet`): it never mines or moves time. Its slots are the deployment's (the oracle's
 * SECONDS_PER_SLOT), its head the wall clock's slot capped at the execution head's; it applies the
 * deposits and exit requests of blocks BEACON_CONFIRMATIONS deep (default 2) and credits withdrawals
 * with `anvil_addBalance`. The control routes that mine (`advance-frame`, `advance-slot`) are refused;
 * `slash` and `exit` still work. Nothing writes this chain's block roots to EIP-4788 there, so
 * on-chain proofs cannot verify (design notes).
 *
 * BEACON_CONFIG sets the chain's delays: `devnet` for short ones (activation after 1 epoch, exit
 * after 1, withdrawable 2 later, a sweep every epoch: DEVNET_BEACON_CONFIG), or a JSON file of
 * settings, e.g. `{"activationDelayEpochs": 1, "sweepIntervalEpochs": 1}` (offchain/beacon/local.ts
 * `beaconConfigFromJson` lists them).
 *
 * Stop with Ctrl-C. A failure (no deployment, a port in use, no node) is one sentence on stderr and
 * exit code 1.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import hre from "hardhat";
import { fail, loadTidepool, portIsFree, runScript } from "../tasks/lib";
import {
  DEVNET_BEACON_CONFIG,
  beaconConfigFromJson,
  startLocalBeacon,
  type LocalBeaconConfig,
} from "../offchain/beacon/local";
import { handleControl, serializer } from "../offchain/beacon/control";

async function main(): Promise<void> {
  const t = await loadTidepool(hre, process.env.TIDEPOOL_POOL);
  const port = Number(process.env.BEACON_PORT ?? 5052);
  if (!Number.isInteger(port) || port < 1 || port > 65_534)
    fail(`BEACON_PORT must be a port number, got "${process.env.BEACON_PORT}"`);
  for (const p of [port, port + 1]) {
    if (!(await portIsFree(p)))
      fail(
        `port ${p} on 127.0.0.1 is in use: stop what listens there, or set BEACON_PORT (the Beacon API's port; control takes the next)`,
      );
  }
  const systemCalls = process.env.BEACON_SYSTEM_CALLS === "1";
  const follow = process.env.BEACON_FOLLOW === "1";
  if (follow && systemCalls)
    fail("BEACON_FOLLOW and BEACON_SYSTEM_CALLS cannot be combined: system calls need blocks the chain mines itself");
  const confirmations = Number(process.env.BEACON_CONFIRMATIONS ?? 2);
  if (!Number.isInteger(confirmations) || confirmations < 0)
    fail(`BEACON_CONFIRMATIONS must be a whole number of blocks, got "${process.env.BEACON_CONFIRMATIONS}"`);
  const config = beaconConfig(process.env.BEACON_CONFIG);
  const local = await startLocalBeacon(t, hre.network.provider, config, port, {
    systemCalls,
    follow: follow ? { confirmations } : undefined,
  });
  const serial = serializer();
  const controlServer = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      serial(() => handleControl(local, req.url ?? "/", body)).then(
        (out) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out)),
        (e: unknown) => res.writeHead(400).end(JSON.stringify({ message: e instanceof Error ? e.message : String(e) })),
      );
    });
  });
  await new Promise<void>((resolve) => controlServer.listen(port + 1, "127.0.0.1", resolve));
  console.log(
    `Local beacon chain for pool ${t.poolAddress}: Beacon API on ${local.api.url}, ` +
      `control on http://127.0.0.1:${port + 1} (Ctrl-C stops)`,
  );
  let stopped = false;
  process.once("SIGINT", () => {
    stopped = true;
  });
  let lastEpoch = local.chain.epoch;
  while (!stopped) {
    const paid = await serial(() => (follow ? local.bridge.follow() : local.bridge.sync()));
    if (local.chain.epoch !== lastEpoch || paid.length > 0) {
      const validators = local.chain.head().validators.length;
      console.log(`epoch ${local.chain.epoch}: ${validators} validators, ${paid.length} withdrawals paid`);
      lastEpoch = local.chain.epoch;
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  controlServer.close();
  await local.close();
}

/** BEACON_CONFIG: none (the mainnet-like defaults), `devnet`, or a JSON file of settings. */
function beaconConfig(value: string | undefined): LocalBeaconConfig {
  if (value === undefined || value === "") return {};
  if (value === "devnet") return DEVNET_BEACON_CONFIG;
  let text: string;
  try {
    text = readFileSync(value, "utf8");
  } catch {
    fail(`BEACON_CONFIG must be "devnet" or a JSON file, and ${value} cannot be read`);
  }
  try {
    return beaconConfigFromJson(JSON.parse(text));
  } catch (e) {
    fail(`BEACON_CONFIG ${value}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

// A failure is one sentence and exit code 1, as the tasks' (tasks/lib.ts).
void runScript(hre, main);
