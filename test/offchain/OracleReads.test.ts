/**
 * How the oracle reads at mainnet scale (issue 19): the member's on-disk key index, exit requests read
 * from a cursor in bounded log ranges, and execution-layer reads with a concurrency limit, timeouts,
 * retries of transient failures only, and a named error for a node that lacks the history.
 */
import { expect } from "chai";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { makeError } from "ethers";
import { KeyIndex, indexFile } from "../../offchain/oracle/key-index";
import { ExecutionReads, MissingHistoryError, mapLimit } from "../../offchain/oracle/reads";
import { exitRequestsUpTo, type OracleContracts } from "../../offchain/oracle/report";

const SCOPE = { chainId: 17_000n, oracle: "0x00000000000000000000000000000000000000Aa" };
const pubkey = (n: number) => "0x" + n.toString(16).padStart(96, "0");

describe("Oracle reads at scale", function () {
  describe("the key index", function () {
    let dir: string;
    beforeEach(async function () {
      dir = await mkdtemp(path.join(tmpdir(), "tidepool-index-"));
    });

    it("saves keys, validator indices, exit requests and its anchor, and reads them back", async function () {
      const index = await KeyIndex.open(dir, SCOPE);
      index.appendKeys(0n, 0n, [pubkey(1), pubkey(2)]);
      index.appendKeys(3n, 0n, [pubkey(3)]);
      index.setValidatorIndex(0n, 1n, 1_234_567);
      index.addExitRequests(40, [
        { operatorId: 0n, keyIndex: 0n, block: 12 },
        { operatorId: 3n, keyIndex: 0n, block: 40 },
        { operatorId: 3n, keyIndex: 1n, block: 41 }, // after the range read: not kept
      ]);
      index.setAnchor(40, "0x" + "ab".repeat(32));
      await index.save();
      expect(path.basename(indexFile(dir, SCOPE))).to.equal("17000-0x00000000000000000000000000000000000000aa.json");

      const again = await KeyIndex.open(dir, SCOPE);
      expect(again.keys(0n)).to.deep.equal([{ pubkey: pubkey(1) }, { pubkey: pubkey(2), validatorIndex: 1_234_567 }]);
      expect(again.keys(3n)).to.deep.equal([{ pubkey: pubkey(3) }]);
      expect(again.keys(1n)).to.deep.equal([]);
      expect(again.exitLogsReadTo).to.equal(40);
      expect(again.exitRequests(40)).to.deep.equal([
        { operatorId: 0n, keyIndex: 0n, block: 12 },
        { operatorId: 3n, keyIndex: 0n, block: 40 },
      ]);
      expect(again.exitRequests(39)).to.deep.equal([{ operatorId: 0n, keyIndex: 0n, block: 12 }]);
      // The anchor block still has its hash: nothing is dropped.
      expect(await again.checkAnchor(async () => "0x" + "ab".repeat(32))).to.equal(false);
      expect(again.keys(0n).length).to.equal(2);
    });

    it("empties itself when the chain no longer has its anchor block (a development chain restarted)", async function () {
      const index = new KeyIndex();
      index.appendKeys(0n, 0n, [pubkey(1)]);
      index.addExitRequests(9, [{ operatorId: 0n, keyIndex: 0n, block: 9 }]);
      index.setAnchor(9, "0x" + "01".repeat(32));
      expect(await index.checkAnchor(async (block) => (block === 9 ? "0x" + "02".repeat(32) : undefined))).to.equal(
        true,
      );
      expect(index.keys(0n)).to.deep.equal([]);
      expect(index.exitLogsReadTo).to.equal(-1);
      expect(index.exitRequests(100)).to.deep.equal([]);
    });

    it("forgets the exit requests of keys recorded as exited", function () {
      const index = new KeyIndex();
      index.addExitRequests(20, [
        { operatorId: 0n, keyIndex: 0n, block: 5 },
        { operatorId: 0n, keyIndex: 1n, block: 6 },
        { operatorId: 1n, keyIndex: 0n, block: 7 },
      ]);
      index.forgetExited(new Map([[0n, 1n]]));
      expect(index.exitRequests(20)).to.deep.equal([
        { operatorId: 0n, keyIndex: 1n, block: 6 },
        { operatorId: 1n, keyIndex: 0n, block: 7 },
      ]);
    });

    it("refuses keys out of order, a key it does not hold, another deployment's file and a corrupt file", async function () {
      const index = new KeyIndex();
      index.appendKeys(0n, 0n, [pubkey(1)]);
      expect(() => index.appendKeys(0n, 2n, [pubkey(3)])).to.throw("key index: operator 0 has 1 keys indexed, not 2");
      expect(() => index.setValidatorIndex(0n, 1n, 5)).to.throw("key index: operator 0 has no key 1 indexed");

      const other = await KeyIndex.open(dir, SCOPE);
      other.appendKeys(0n, 0n, [pubkey(1)]);
      await other.save();
      const file = indexFile(dir, SCOPE);
      const json = JSON.parse(await readFile(file, "utf8")) as { chainId: string };
      json.chainId = "1";
      await writeFile(file, JSON.stringify(json));
      let error = "";
      await KeyIndex.open(dir, SCOPE).catch((e: Error) => (error = e.message));
      expect(error).to.equal(
        `the oracle's key index ${file} belongs to chain 1's oracle 0x00000000000000000000000000000000000000aa, not this one: delete it`,
      );
      await writeFile(file, "{not json");
      await KeyIndex.open(dir, SCOPE).catch((e: Error) => (error = e.message));
      expect(error).to.equal(
        `the oracle's key index ${file} is not valid JSON: delete it and the next run rebuilds it`,
      );
      // A file of another format version is read as empty (the index only saves reads).
      await writeFile(file, JSON.stringify({ version: 0 }));
      expect((await KeyIndex.open(dir, SCOPE)).keys(0n)).to.deep.equal([]);
    });
  });

  describe("exit requests from a cursor, in bounded log ranges", function () {
    /** An oracle whose `ValidatorExitRequested` logs are `logs`; records each range asked for. */
    function fakeOracle(logs: { block: number; operatorId: bigint; keyIndex: bigint }[]) {
      const ranges: [number, number][] = [];
      const oracle = {
        filters: { ValidatorExitRequested: () => "filter" },
        queryFilter: async (_filter: unknown, from: number, to: number) => {
          ranges.push([from, to]);
          return logs
            .filter((l) => l.block >= from && l.block <= to)
            .map((l) => ({ blockNumber: l.block, args: { operatorId: l.operatorId, keyIndex: l.keyIndex } }));
        },
      };
      return { contracts: { oracle } as unknown as Pick<OracleContracts, "oracle">, ranges };
    }

    it("reads the blocks after the index's cursor, rangeBlocks at a time, and counts only requests up to the block", async function () {
      const logs = [
        { block: 3, operatorId: 0n, keyIndex: 0n },
        { block: 19, operatorId: 1n, keyIndex: 0n },
        { block: 28, operatorId: 0n, keyIndex: 1n },
      ];
      const { contracts, ranges } = fakeOracle(logs);
      const index = new KeyIndex();
      const serial = new ExecutionReads({ concurrency: 1, timeoutMs: 1_000, retries: 0, retryDelayMs: 0 });
      const first = await exitRequestsUpTo(contracts, index, 2, 25, serial, 10);
      expect(ranges).to.deep.equal([
        [2, 11],
        [12, 21],
        [22, 25],
      ]);
      expect(first).to.deep.equal([
        { operatorId: 0n, keyIndex: 0n, block: 3 },
        { operatorId: 1n, keyIndex: 0n, block: 19 },
      ]);
      ranges.length = 0;
      const second = await exitRequestsUpTo(contracts, index, 2, 30, serial, 10);
      expect(ranges).to.deep.equal([[26, 30]]);
      expect(second.map((r) => r.block)).to.deep.equal([3, 19, 28]);
      // A report at an earlier block (an index read further) counts only the requests made by then.
      ranges.length = 0;
      expect((await exitRequestsUpTo(contracts, index, 2, 20, serial, 10)).map((r) => r.block)).to.deep.equal([3, 19]);
      expect(ranges).to.deep.equal([]);
    });
  });

  describe("execution-layer reads", function () {
    const policy = { concurrency: 3, timeoutMs: 50, retries: 2, retryDelayMs: 1 };

    it("keeps at most `concurrency` calls in flight and returns results in order", async function () {
      const reads = new ExecutionReads(policy);
      let inFlight = 0;
      let most = 0;
      const out = await reads.all([...Array(10).keys()], (i) =>
        reads.read(`item ${i}`, 1, async () => {
          most = Math.max(most, ++inFlight);
          await new Promise((resolve) => setTimeout(resolve, 2));
          inFlight--;
          return i * 2;
        }),
      );
      expect(out).to.deep.equal([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
      expect(most).to.equal(3);
      expect(await mapLimit([1, 2, 3], 2, async (x) => x + 1)).to.deep.equal([2, 3, 4]);
    });

    it("retries a transient failure and a timeout, then answers", async function () {
      const reads = new ExecutionReads(policy);
      let attempts = 0;
      const value = await reads.read("the pool's buffer", 7, async () => {
        attempts++;
        if (attempts === 1) throw makeError("connection reset", "NETWORK_ERROR", { event: "test" });
        if (attempts === 2) return new Promise<bigint>(() => {}); // never answers: times out
        return 42n;
      });
      expect(value).to.equal(42n);
      expect(attempts).to.equal(3);
      expect(reads.calls).to.equal(3);
    });

    it("gives up after the retries with one sentence, and never retries a revert", async function () {
      const reads = new ExecutionReads(policy);
      let error = "";
      await reads
        .read("the last report", 7, () => new Promise<bigint>(() => {}))
        .catch((e: Error) => (error = e.message));
      expect(error).to.equal(
        "the execution node failed to answer the last report after 3 attempts: the last report timed out after 0.05 s",
      );
      let calls = 0;
      const revert = makeError("execution reverted", "CALL_EXCEPTION", {
        action: "call",
        data: "0x",
        reason: null,
        transaction: { to: null, data: "0x" },
        invocation: null,
        revert: null,
      });
      const caught = await reads
        .read("a view", 7, async () => {
          calls++;
          throw revert;
        })
        .catch((e: unknown) => e);
      expect(caught).to.equal(revert);
      expect(calls).to.equal(1);
    });

    it("names the node a member needs when the execution node has pruned the block's state", async function () {
      const reads = new ExecutionReads(policy);
      let calls = 0;
      const caught = await reads
        .read("the pool's total shares", 1_234, async () => {
          calls++;
          throw new Error("missing trie node 5c7e… (path ) state 0x5c7e… is not available");
        })
        .catch((e: unknown) => e);
      expect(caught).to.be.instanceOf(MissingHistoryError);
      expect((caught as Error).message).to.equal(
        "the execution node has no state at block 1234 (the pool's total shares: missing trie node 5c7e… (path ) state " +
          "0x5c7e… is not available): an oracle member needs an execution node that keeps the state of at least the " +
          'last frame\'s blocks — an archive node, or a full node whose state history covers them (docs/oracle.md, "Nodes")',
      );
      expect(calls).to.equal(1);
    });
  });
});
