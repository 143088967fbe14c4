/**
 * The oracle's reads of the registry's keys (issue 19's first finding): new keys only, a batch of
 * consecutive keys per `pubkeys` call, the rest from the member's key index (offchain/oracle/key-index.ts).
 */
import { expect } from "chai";
import { depositedKeys, type OracleContracts } from "../../offchain/oracle/report";
import { KeyIndex } from "../../offchain/oracle/key-index";
import { ExecutionReads } from "../../offchain/oracle/reads";

/** A deterministic 48-byte pubkey for a key. */
const pubkeyOf = (operatorId: bigint, keyIndex: bigint): string =>
  "0x" + (operatorId * 1_000n + keyIndex + 1n).toString(16).padStart(96, "0");

/** A registry stand-in: `deposited[id]` keys per operator, and a log of its `pubkeys` calls. */
function fakeRegistry(deposited: bigint[]) {
  const calls: [bigint, bigint, bigint][] = [];
  const registry = {
    getNodeOperatorsCount: async () => BigInt(deposited.length),
    getNodeOperator: async (id: bigint) => ({ depositedKeys: deposited[Number(id)], exitedKeys: 0n }),
    pubkeys: async (id: bigint, offset: bigint, limit: bigint) => {
      calls.push([id, offset, limit]);
      const end = offset + limit;
      let packed = "0x";
      for (let i = offset; i < end; i++) packed += pubkeyOf(id, i).slice(2);
      return [packed, deposited[Number(id)]];
    },
  };
  return { contracts: { registry } as unknown as Pick<OracleContracts, "registry">, calls };
}

describe("Oracle: registry key reads", function () {
  it("reads only the keys not indexed, keysPerCall at a time, and returns every deposited key in order", async function () {
    const deposited = [5n, 3n, 0n];
    const { contracts, calls } = fakeRegistry(deposited);
    const index = new KeyIndex();
    // One call in flight at a time: the calls are made in order.
    const serial = () => new ExecutionReads({ concurrency: 1, timeoutMs: 1_000, retries: 0, retryDelayMs: 0 });
    const first = await depositedKeys(contracts, 1, index, serial(), 2n);
    expect(calls).to.deep.equal([
      [0n, 0n, 2n],
      [0n, 2n, 2n],
      [0n, 4n, 1n],
      [1n, 0n, 2n],
      [1n, 2n, 1n],
    ]);
    const expected = (counts: bigint[]) =>
      counts.flatMap((n, id) =>
        [...Array(Number(n)).keys()].map((i) => ({
          operatorId: BigInt(id),
          keyIndex: BigInt(i),
          pubkey: pubkeyOf(BigInt(id), BigInt(i)),
        })),
      );
    expect(first.keys).to.deep.equal(expected(deposited));
    expect(first.operators.map((o) => o.depositedKeys)).to.deep.equal(deposited);

    // Two more deposits for operator 0, one for operator 2: only those three keys are read.
    calls.length = 0;
    deposited[0] = 7n;
    deposited[2] = 1n;
    const second = await depositedKeys(contracts, 2, index, serial(), 2n);
    expect(calls).to.deep.equal([
      [0n, 5n, 2n],
      [2n, 0n, 1n],
    ]);
    expect(second.keys).to.deep.equal(expected(deposited));
  });

  it("reads 1,000 keys per call by default, the registry's MAX_KEYS_PER_VIEW", async function () {
    const { contracts, calls } = fakeRegistry([2_500n]);
    const { keys } = await depositedKeys(contracts, 1, new KeyIndex());
    expect(calls.sort((a, b) => (a[1] < b[1] ? -1 : 1))).to.deep.equal([
      [0n, 0n, 1_000n],
      [0n, 1_000n, 1_000n],
      [0n, 2_000n, 500n],
    ]);
    expect(keys.length).to.equal(2_500);
    expect(keys[2_499]).to.deep.equal({ operatorId: 0n, keyIndex: 2_499n, pubkey: pubkeyOf(0n, 2_499n) });
  });
});
