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
 * Stop with Ctrl-C. A failure (no deployment, a port in use, no node) is one sentence on stderr and
 * exit code 1.
 */
import { createServer } from "node:http";
import hre from "hardhat";
import { fail, loadTidepool, portIsFree, runScript } from "../tasks/lib";
import { startLocalBeacon } from "../offchain/beacon/local";
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
  const local = await startLocalBeacon(t, hre.network.provider, {}, port, { systemCalls });
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
    const paid = await serial(() => local.bridge.sync());
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

// A failure is one sentence and exit code 1, as the tasks' (tasks/lib.ts).
void runScript(hre, main);
