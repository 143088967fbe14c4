import { expect } from "chai";
import hre from "hardhat";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { BeaconChain } from "../../offchain/beacon/chain";
import { startBeaconApi, type BeaconApi } from "../../offchain/beacon/server";
import { BeaconStateMirror, type ProducedBlock } from "../../offchain/beacon/state";
import { fetchHeader, fetchStateSsz, layoutOf, proveBalance, proveValidator } from "../../offchain/prover/client";
import { electraLayout, pickValidatorRecord } from "../../offchain/prover/proofs";
import type { BeaconProofVerifier } from "../../typechain-types";
import { depositEvent } from "../helpers/beacon-sim";

const KEYS = [0, 1, 2, 3, 4].map((i) => depositEvent("prover-client", i));

/** A tiny HTTP server answering every request with `handler`; its sockets are dropped on close. */
async function tinyServer(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error("expected a rejection");
}

describe("Prover client (offchain/prover/client.ts)", function () {
  let snapshot: string;
  let genesisTime: bigint;
  let chain: BeaconChain;
  let mirror: BeaconStateMirror;
  let api: BeaconApi;
  let old: ProducedBlock;
  let block: ProducedBlock;
  let timestamp: bigint;

  before(async function () {
    snapshot = (await hre.network.provider.send("evm_snapshot", [])) as string;
    const latest = BigInt((await hre.ethers.provider.getBlock("latest"))!.timestamp);
    genesisTime = latest - 12n * 1_000n;
    chain = new BeaconChain({ genesisTime, activationDelayEpochs: 2n, exitDelayEpochs: 2n }, 1_000n);
    mirror = await BeaconStateMirror.create(chain);
    api = await startBeaconApi(chain, 0, "127.0.0.1", mirror);
    chain.applyDeposits(KEYS);
    chain.advanceToSlot(1_000n + 5n * 32n);
    chain.slash(KEYS[3].pubkey);
    chain.advanceToSlot(1_200n);
    old = mirror.produceBlock();
    chain.advanceToSlot(1_300n);
    block = mirror.produceBlock();
    timestamp = await mirror.publishRoot(hre.network.provider, block);
  });

  after(async function () {
    await api.close();
    await hre.network.provider.send("evm_revert", [snapshot]);
  });

  it("fetches the chain's headers with their roots", async function () {
    expect(await fetchHeader(api.url, "head")).to.deep.equal({ header: block.header, root: block.root });
    expect(await fetchHeader(api.url + "/", "1200")).to.deep.equal({ header: old.header, root: old.root });
    expect(await fetchHeader(api.url, old.root)).to.deep.equal({ header: old.header, root: old.root });
    expect(block.header.parentRoot).to.equal(old.root);
    expect(await rejection(fetchHeader(api.url, "1201"))).to.equal(
      "GET /eth/v1/beacon/headers/1201 returned 404: the node has no block 1201 (a skipped slot, or a root it does not know)",
    );
  });

  it("streams the state with increasing progress up to Content-Length and deserializes it", async function () {
    const calls: [number, number | undefined][] = [];
    const state = await fetchStateSsz(api.url, "head", { onProgress: (r, t) => calls.push([r, t]) });
    const size = mirror.serialize(block).length;
    expect([state.fork, state.slot, state.root, state.size]).to.deep.equal([
      "electra",
      1_300n,
      block.header.stateRoot,
      size,
    ]);
    expect(state.view.validators.length).to.equal(5);
    expect(state.view.balances.getAll().map(BigInt)).to.deep.equal(chain.head().validators.map((v) => v.balanceGwei));
    expect(calls.length).to.be.greaterThan(1);
    for (let i = 1; i < calls.length; i++) expect(calls[i][0]).to.be.greaterThan(calls[i - 1][0]);
    expect(calls.every(([, t]) => t === size)).to.equal(true);
    expect(calls[calls.length - 1][0]).to.equal(size);
    // By state root, the older state.
    expect((await fetchStateSsz(api.url, old.header.stateRoot)).root).to.equal(old.header.stateRoot);
  });

  it("reads the layout from Lodestar's types: Electra and Fulu share it", async function () {
    const electra = await electraLayout();
    expect(await layoutOf("electra")).to.deep.equal(electra);
    expect(await layoutOf("fulu")).to.deep.equal(electra);
    expect(electra).to.deep.equal({ validatorsGIndex: 75n, balancesGIndex: 76n, validatorsLimitDepth: 40 });
  });

  it("builds proofs through the client that BeaconProofVerifier accepts at the 4788 root", async function () {
    const [admin] = await hre.ethers.getSigners();
    const verifier = (await hre.ethers.deployContract("BeaconProofVerifier", [
      admin.address,
      genesisTime,
      12n,
      0n,
    ])) as unknown as BeaconProofVerifier;
    expect(timestamp).to.equal(genesisTime + 12n * 1_301n);
    const validators = chain.head().validators;
    for (const i of [0n, 3n]) {
      const p = await proveValidator(api.url, { blockId: "head", validatorIndex: i });
      expect([p.header, p.headerRoot, p.fork, p.validatorIndex]).to.deep.equal([
        block.header,
        block.root,
        "electra",
        i,
      ]);
      expect(p.validator).to.deep.equal(pickValidatorRecord(validators[Number(i)]));
      await verifier.verifyValidator(timestamp, p.header, p.validatorIndex, p.validator, p.proof);
      const b = await proveBalance(api.url, { blockId: block.root, validatorIndex: i });
      expect(b.balanceGwei).to.equal(validators[Number(i)].balanceGwei);
      expect(await verifier.verifyBalance(timestamp, b.header, b.validatorIndex, b.balancesChunk, b.proof)).to.equal(
        validators[Number(i)].balanceGwei,
      );
    }
    expect(validators[3].slashed).to.equal(true);
    expect(await rejection(proveValidator(api.url, { blockId: "head", validatorIndex: 5n }))).to.equal(
      "validator 5 is not in the state at slot 1300 (5 validators)",
    );
  });

  it("refuses a state whose root is not the header's state_root", async function () {
    // A node that serves the older block's state for every state id (as after a reorg between requests).
    const proxy = await tinyServer((req, res) => {
      const path = req.url!.startsWith("/eth/v2/debug/beacon/states/")
        ? `/eth/v2/debug/beacon/states/${old.header.stateRoot}`
        : req.url!;
      fetch(api.url + path, { headers: { accept: req.headers.accept ?? "*/*" } })
        .then(async (r) => {
          const body = Buffer.from(await r.arrayBuffer());
          res.writeHead(r.status, {
            "content-type": r.headers.get("content-type") ?? "",
            "eth-consensus-version": r.headers.get("eth-consensus-version") ?? "",
            "content-length": body.length,
          });
          res.end(body);
        })
        .catch(() => res.destroy());
    });
    try {
      expect(await rejection(proveBalance(proxy.url, { blockId: "head", validatorIndex: 0n }))).to.equal(
        `the state served for slot 1300 has root ${old.header.stateRoot}, not the header's state_root ${block.header.stateRoot} (a reorg between the two requests?)`,
      );
    } finally {
      await closeServer(proxy.server);
    }
  });

  it("says why a state cannot be had: 404, an unknown fork, a timeout", async function () {
    expect(await rejection(fetchStateSsz(api.url, "1201"))).to.equal(
      "GET /eth/v2/debug/beacon/states/1201 returned 404: the node has no state for 1201: it may be pruned; an archive node is needed for old states",
    );
    const deneb = await tinyServer((req, res) => {
      const version = req.url?.endsWith("/none") ? {} : { "eth-consensus-version": "deneb" };
      res.writeHead(200, { ...version, "content-type": "application/octet-stream", "content-length": "4" });
      res.end(Buffer.from([1, 2, 3, 4]));
    });
    try {
      expect(await rejection(fetchStateSsz(deneb.url, "head"))).to.equal(
        "GET /eth/v2/debug/beacon/states/head returned a deneb state; the prover knows electra and fulu",
      );
      expect(await rejection(fetchStateSsz(deneb.url, "none"))).to.equal(
        "GET /eth/v2/debug/beacon/states/none returned no Eth-Consensus-Version; the prover knows electra and fulu",
      );
    } finally {
      await closeServer(deneb.server);
    }
    // Headers and 10 of 1,000 bytes, then nothing.
    const stalled = await tinyServer((_req, res) => {
      res.writeHead(200, {
        "eth-consensus-version": "electra",
        "content-type": "application/octet-stream",
        "content-length": "1000",
      });
      res.write(Buffer.alloc(10));
    });
    try {
      const calls: number[] = [];
      const message = await rejection(
        fetchStateSsz(stalled.url, "head", { timeoutMs: 300, onProgress: (r) => calls.push(r) }),
      );
      expect(message).to.equal(
        "GET /eth/v2/debug/beacon/states/head timed out after 300 ms (10 of 1000 bytes received)",
      );
      expect(calls).to.deep.equal([10]);
    } finally {
      await closeServer(stalled.server);
    }
  });
});
