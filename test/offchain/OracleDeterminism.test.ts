/**
 * Members with different but correct nodes build the same report (issue 19): three members of the
 * committee, each on its own kind of node —
 *
 * - a **slow** one: its Beacon API answers 150 ms late and drops the first validators request, its
 *   execution node answers 20 ms late and never answers the report's first read (timeouts and retries);
 * - one whose beacon node **keeps no state older than a day** (the previous report's state is gone),
 *   and whose key index lives on disk, reopened for every frame (cold, then warm);
 * - one on a **pruned execution node**: it keeps the state of the blocks since the reference block
 *   and no older, as a full node keeps only recent state;
 *
 * build byte-identical reports frame after frame (deposits, rewards, a withdrawal that needs exits, the
 * exits), and the committee applies them. A node that lacks what a report needs (an execution node
 * pruned past the reference block, a beacon node without the reference slot's state) makes its member
 * fail with a sentence that says which node it needs — never build a different report.
 */
import { expect } from "chai";
import hre from "hardhat";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { BrowserProvider, parseEther, type Eip1193Provider } from "ethers";
import type { Tidepool } from "../../deploy/protocol";
import { deployWithBeacon } from "../helpers/beacon-fixtures";
import { reportHash } from "../../sdk/src/report";
import { advanceToNextFrame, type LocalBeacon } from "../../offchain/beacon/local";
import { connectBeacon } from "../../offchain/oracle/beacon";
import { KeyIndex } from "../../offchain/oracle/key-index";
import { MissingHistoryError } from "../../offchain/oracle/reads";
import { buildFrameReport, type OracleContracts, type ReportContext } from "../../offchain/oracle/report";
import { prepareReport, submitReport } from "../../offchain/oracle/service";

/** Slots in a day: the states a pruning beacon node below keeps. */
const DAY_SLOTS = 7_200n;

/** A Beacon API in front of `upstream`: each answer `delayMs` late; `refuse` answers 404 instead; `drop` hangs up. */
async function beaconProxy(
  upstream: string,
  opts: { delayMs?: number; refuse?: (path: string) => boolean; dropFirst?: RegExp },
): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  let dropped = false;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = req.url ?? "/";
      requests.push(`${req.method} ${url}`);
      if (opts.dropFirst && !dropped && opts.dropFirst.test(url)) {
        dropped = true;
        req.socket.destroy();
        return;
      }
      setTimeout(async () => {
        if (opts.refuse?.(url)) {
          res.writeHead(404, { "content-type": "application/json" }).end('{"code":404,"message":"state not found"}');
          return;
        }
        const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
        const answer = await fetch(upstream + url, {
          method: req.method,
          headers: { "content-type": "application/json", accept: req.headers.accept ?? "application/json" },
          body,
        });
        res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
        res.end(Buffer.from(await answer.arrayBuffer()));
      }, opts.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests };
}

/** The state slot of a Beacon API path (`/eth/v1/beacon/states/{slot}/…`), if it names one by number. */
function stateSlot(url: string): bigint | undefined {
  const m = /\/beacon\/states\/(\d+)\//.exec(url);
  return m ? BigInt(m[1]) : undefined;
}

/**
 * An execution node in front of Hardhat's: each call `delayMs` late; `hangFirstCall` never answers the
 * first `eth_call`; with `keepBlocks`, state (calls, balances) older than that many blocks behind the
 * head is refused as a pruned geth refuses it. Headers and logs stay available, as on a pruned node.
 */
function executionNode(opts: { delayMs?: number; hangFirstCall?: boolean; keepBlocks?: () => number }): {
  provider: BrowserProvider;
  calls: string[];
} {
  const calls: string[] = [];
  let hung = false;
  const eip1193: Eip1193Provider = {
    async request({ method, params }: { method: string; params?: unknown[] | Record<string, unknown> }) {
      const list = (params ?? []) as unknown[];
      calls.push(method);
      if (opts.delayMs) await new Promise((resolve) => setTimeout(resolve, opts.delayMs));
      // The first call pinned to a block (a report's read) never answers.
      if (opts.hangFirstCall && method === "eth_call" && !hung && String(list[1]).startsWith("0x")) {
        hung = true;
        return new Promise(() => {});
      }
      const tag = method === "eth_call" || method === "eth_getBalance" ? list[1] : undefined;
      if (opts.keepBlocks && typeof tag === "string" && tag.startsWith("0x")) {
        const head = Number(await hre.network.provider.request({ method: "eth_blockNumber" }));
        if (Number(tag) <= head - opts.keepBlocks()) {
          throw Object.assign(new Error(`missing trie node 0x5c7e (path ) state ${tag} is not available`), {
            code: -32000,
          });
        }
      }
      return hre.network.provider.request({ method, params: list });
    },
  };
  return { provider: new BrowserProvider(eip1193), calls };
}

/** The protocol's contracts as a member reads them through `provider`. */
function through(t: Tidepool, provider: BrowserProvider): OracleContracts {
  return {
    pool: t.pool.connect(provider),
    oracle: t.oracle.connect(provider),
    registry: t.registry.connect(provider),
    withdrawalQueue: t.withdrawalQueue.connect(provider),
  };
}

describe("Oracle: members with different nodes build the same report", function () {
  let t: Tidepool;
  let local: LocalBeacon;
  let refBlock = 0;
  const refSlots: bigint[] = [];
  const servers: Server[] = [];
  let slow: ReportContext;
  let pruningBeaconDir: string;
  let pruningBeaconUrl: string;
  let prunedEl: ReturnType<typeof executionNode>;
  let slowBeacon: Awaited<ReturnType<typeof beaconProxy>>;
  let slowEl: ReturnType<typeof executionNode>;
  const policy = { concurrency: 4, timeoutMs: 1_000, retries: 2, retryDelayMs: 10 };

  before(async function () {
    ({ t, local } = await deployWithBeacon({
      activationDelayEpochs: 1n,
      exitDelayEpochs: 1n,
      withdrawabilityDelayEpochs: 2n,
      sweepIntervalEpochs: 1n,
    }));
    slowBeacon = await beaconProxy(local.api.url, { delayMs: 150, dropFirst: /\/validators/ });
    const dayOld = await beaconProxy(local.api.url, {
      refuse: (url) => {
        const slot = stateSlot(url);
        return slot !== undefined && slot + DAY_SLOTS < local.chain.headSlot;
      },
    });
    servers.push(slowBeacon.server, dayOld.server);
    pruningBeaconUrl = dayOld.url;
    pruningBeaconDir = await mkdtemp(path.join(tmpdir(), "tidepool-member-"));
    slowEl = executionNode({ delayMs: 20, hangFirstCall: true });
    prunedEl = executionNode({ keepBlocks: () => 0 });
    slow = {
      beacon: await connectBeacon(slowBeacon.url, { ...policy, timeoutMs: 2_000 }),
      provider: slowEl.provider,
      contracts: through(t, slowEl.provider),
      readPolicy: policy,
      logRangeBlocks: 7,
    };
  });

  after(async function () {
    for (const s of servers) s.close();
    await local?.close();
  });

  /** The second member's context: a fresh look at its on-disk index, as after a restart. */
  async function dayOldMember(): Promise<ReportContext> {
    const scope = { chainId: 31_337n, oracle: await t.oracle.getAddress() };
    return {
      beacon: await connectBeacon(pruningBeaconUrl, policy),
      provider: hre.ethers.provider,
      contracts: t,
      index: await KeyIndex.open(pruningBeaconDir, scope),
      readPolicy: policy,
    };
  }

  /** The third member: the pruned execution node keeps the blocks from the reference block on. */
  async function prunedMember(keepPastRef = 1): Promise<ReportContext> {
    const head = await hre.ethers.provider.getBlockNumber();
    const keep = head - refBlock + keepPastRef;
    const el = executionNode({ keepBlocks: () => keep });
    prunedEl = el;
    return {
      beacon: await connectBeacon(local.api.url, policy),
      provider: el.provider,
      contracts: through(t, el.provider),
      readPolicy: policy,
    };
  }

  /** The next frame's reports from all three members: identical; two votes apply it. */
  async function frame(): Promise<{ hash: string; exits: number }> {
    ({ refBlock } = await advanceToNextFrame(local));
    const members = [slow, await dayOldMember(), await prunedMember()];
    const built = [];
    for (const [i, ctx] of members.entries()) {
      const prepared = await prepareReport(ctx, t.oracleMembers[i]);
      if (prepared.status !== "ready") throw new Error(`member ${i}: ${prepared.status}`);
      built.push(prepared.report);
    }
    const hashes = built.map((r) => reportHash(r.data));
    refSlots.push(built[0].refSlot);
    expect(hashes[1]).to.equal(hashes[0]);
    expect(hashes[2]).to.equal(hashes[0]);
    expect(built[1].data).to.deep.equal(built[0].data);
    await submitReport(members[0], t.oracleMembers[0], built[0]);
    const { applied } = await submitReport(members[2], t.oracleMembers[2], built[2]);
    expect(applied).to.equal(true);
    expect(await t.oracle.getLastProcessedRefSlot()).to.equal(built[0].refSlot);
    return { hash: hashes[0], exits: built[0].data.exitOperatorIds.length };
  }

  it("frame after frame, with a withdrawal that needs exits and the exits made, the three reports are identical", async function () {
    await frame(); // validators activating, rewards
    const holder = t.users[0];
    await (await t.pool.connect(holder).approve(await t.withdrawalQueue.getAddress(), parseEther("100"))).wait();
    await (await t.withdrawalQueue.connect(holder).requestWithdrawals([parseEther("100")], holder.address)).wait();
    const asked = await frame();
    expect(asked.exits).to.be.greaterThan(0); // the report asked for exits: later frames read them back
    await frame(); // the exits are pending: read from each member's exit-request logs
    await frame(); // exited and withdrawn: the request is finalized
    expect(await t.withdrawalQueue.getLastFinalizedRequestId()).to.equal(1n);

    // Each member's node was as described: the slow one retried, the day-old one refused old states,
    // the pruned one refused a call older than the reference block.
    expect(slowEl.calls.filter((m) => m === "eth_call").length).to.be.greaterThan(0);
    expect(slowBeacon.requests.filter((r) => r.includes("/validators")).length).to.be.greaterThan(4);
    const dayOld = await dayOldMember();
    expect(refSlots[0] + DAY_SLOTS).to.be.lessThan(local.chain.headSlot);
    expect(await dayOld.beacon.validators(refSlots[0], [0])).to.equal(undefined);
    const caught = await prunedEl.provider
      .call({ to: await t.pool.getAddress(), data: "0x", blockTag: refBlock - 1 })
      .catch((e: unknown) => e);
    expect((caught as { info?: { error?: { message?: string } } }).info?.error?.message).to.match(
      /^missing trie node 0x5c7e \(path \) state 0x[0-9a-f]+ is not available$/,
    );
  });

  it("a member whose execution node pruned the reference block's state fails with the node it needs, and builds nothing", async function () {
    ({ refBlock } = await advanceToNextFrame(local));
    const ctx = await prunedMember(0); // one block short of the reference block
    const caught = await buildFrameReport(ctx).catch((e: unknown) => e);
    expect(caught).to.be.instanceOf(MissingHistoryError);
    expect((caught as Error).message).to.match(
      new RegExp(
        `^the execution node has no state at block ${refBlock} \\(.+: missing trie node 0x5c7e \\(path \\) state 0x[0-9a-f]+ is not available\\): an oracle member needs an execution node that keeps the state of at least the last frame's blocks — an archive node, or a full node whose state history covers them \\(docs/oracle.md, "Nodes"\\)$`,
      ),
    );
  });

  it("a member whose beacon node lacks the reference slot's state fails with the node it needs", async function () {
    const [refSlot] = await t.oracle.getCurrentFrame();
    const gone = await beaconProxy(local.api.url, { refuse: (url) => stateSlot(url) !== undefined });
    servers.push(gone.server);
    const ctx = { ...(await dayOldMember()), beacon: await connectBeacon(gone.url, { ...policy, retries: 0 }) };
    const stateSlotOfRef = await ctx.beacon.blockSlotAtOrBefore(refSlot);
    let error = "";
    await buildFrameReport(ctx).catch((e: Error) => (error = e.message));
    expect(error).to.equal(
      `the beacon node has no state for slot ${stateSlotOfRef} (the reference slot's, finalized): an oracle member needs a beacon node that keeps the finalized states of at least the last frame (docs/oracle.md, "Nodes")`,
    );
  });
});
