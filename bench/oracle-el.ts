/**
 * A stand-in execution layer for `npm run bench:oracle`: a JSON-RPC server over HTTP that answers
 * what the oracle member reads (eth_chainId, eth_blockNumber, eth_getBlockByNumber, eth_getBalance,
 * eth_getLogs, eth_call) from the synthetic world of bench/oracle-model.ts, after a configurable
 * latency per HTTP request (a batch pays it once). `eth_call` is decoded with the typechain
 * factories' ABIs of the pool, the registry, the oracle and the withdrawal queue; a function the
 * stand-in does not model, or an unknown selector, answers a JSON-RPC error naming it, so a new read
 * in the report cannot go unnoticed. Run as a child process (`fork`), it reports its URL and, when
 * asked, its counts of calls and HTTP requests.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { toBeHex, ZeroHash, type Interface, type Result } from "ethers";
import { AccountingOracle__factory } from "../typechain-types/factories/contracts/oracle/AccountingOracle__factory";
import { StakingPool__factory } from "../typechain-types/factories/contracts/pool/StakingPool__factory";
import { NodeOperatorRegistry__factory } from "../typechain-types/factories/contracts/validators/NodeOperatorRegistry__factory";
import { WithdrawalQueue__factory } from "../typechain-types/factories/contracts/withdrawals/WithdrawalQueue__factory";
import {
  ADDRESSES,
  FRAME_SLOTS,
  GENESIS_TIME,
  OUR_CREDENTIALS,
  MAX_LOG_RANGE_BLOCKS,
  REF_BLOCK,
  REF_SLOT,
  operatorKeys,
  ourRecord,
  poolNumbers,
  pubkeyOf,
  type BenchWorld,
} from "./oracle-model";

/** The stand-in's chain id (a local one). */
export const STAND_IN_CHAIN_ID = 31_337n;

const ETH = 10n ** 18n;

/** One contract's modelled views: function name → its outputs for these arguments. */
type Views = Record<string, (args: Result) => unknown[]>;

interface JsonRpcRequest {
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Counts since the last reset: JSON-RPC calls and the HTTP requests that carried them. */
export interface ElCounts {
  calls: number;
  httpRequests: number;
  /** Registry `pubkeys` calls (deposited keys read). */
  keyReads: number;
  /** `eth_getLogs` calls (exit requests read). */
  logReads: number;
}

/** A running stand-in. */
export interface StandInExecution {
  url: string;
  server: Server;
  latencyMs: number;
  /** The counts so far, then zero. */
  takeCounts(): ElCounts;
  close(): Promise<void>;
}

/** The contracts' views as the world has them at the reference block. */
function contractViews(w: BenchWorld): Map<string, { name: string; iface: Interface; views: Views }> {
  const pool = poolNumbers(w);
  const lastRefSlot = REF_SLOT - FRAME_SLOTS;
  const operator = (id: bigint) => {
    const { count } = operatorKeys(w, Number(id));
    return {
      active: true,
      totalKeys: BigInt(count),
      vettedKeys: BigInt(count),
      depositedKeys: BigInt(count),
      exitedKeys: 0n, // the registry has recorded none of the exits yet: the report does
      bondCoveredValidators: BigInt(count),
      bondShares: 2n * ETH * BigInt(count),
      rewardAddress: toBeHex(0xbe00 + Number(id), 20),
      name: `operator ${id}`,
    };
  };
  const known = (id: bigint) => {
    if (id >= BigInt(w.operators)) throw new RpcError(3, `execution reverted: operator ${id} does not exist`);
  };
  const pool$: Views = {
    withdrawalCredentials: () => [OUR_CREDENTIALS],
    getBeaconStat: () => [pool.clValidators, pool.clValidators, pool.lastClBalanceWei],
    INSURANCE_FUND: () => [ADDRESSES.insuranceFund],
    WITHDRAWAL_VAULT: () => [ADDRESSES.withdrawalVault],
    EL_REWARDS_VAULT: () => [ADDRESSES.elRewardsVault],
    totalPooledEther: () => [pool.totalPooledEther],
    totalShares: () => [pool.totalShares],
    bufferedEther: () => [pool.bufferedEther],
    sharesOf: ([account]) => [(account as string).toLowerCase() === ADDRESSES.insuranceFund ? 1_000n * ETH : 0n],
  };
  const registry: Views = {
    getNodeOperatorsCount: () => [BigInt(w.operators)],
    getNodeOperator: ([id]) => {
      known(id as bigint);
      return [operator(id as bigint)];
    },
    pubkeys: ([id, offset, limit]) => {
      known(id as bigint);
      const { first, count } = operatorKeys(w, Number(id));
      const from = Number(offset);
      const to = Math.min(count, from + Number(limit));
      const parts: string[] = [];
      for (let k = from; k < to; k++) parts.push(pubkeyOf(ourRecord(w, first + k)).slice(2));
      return ["0x" + parts.join(""), BigInt(count)];
    },
  };
  const oracle: Views = {
    getCurrentFrame: () => [REF_SLOT, REF_SLOT + FRAME_SLOTS],
    getLastProcessedRefSlot: () => [lastRefSlot],
    getLastReport: () => [
      {
        preTotalEther: pool.totalPooledEther,
        postTotalEther: pool.totalPooledEther,
        refSlot: lastRefSlot,
        preTotalShares: pool.totalShares,
        postTotalShares: pool.totalShares,
        timeElapsedSeconds: FRAME_SLOTS * 12n,
        bunkerMode: false,
      },
    ],
    getSanityLimits: () => [
      {
        annualAprLimitBP: 1_000n,
        clBalanceDropLimitBP: 500n,
        maxPositiveRebasePPB: 1_000_000n,
        maxExitRequestsPerReport: 600n,
        maxOperatorsWithLossesPerReport: 50n,
      },
    ],
    getFeeConfig: () => [
      { treasury: ADDRESSES.treasury, treasuryFeeBP: 500n, operatorsFeeBP: 500n, insuranceFeeBP: 0n },
    ],
    keyLossChargedGwei: () => [0n],
  };
  // 100 requests waiting, newer than the reference slot's time (nothing finalizable yet): 435 ETH,
  // more than the buffer, so the report asks for exits.
  const withdrawalQueue: Views = {
    getLastRequestId: () => [105n],
    getLastFinalizedRequestId: () => [5n],
    unfinalizedEther: () => [435n * ETH],
    findMaxRequestIdToFinalize: () => [0n, 0n],
  };
  return new Map([
    [ADDRESSES.pool, { name: "StakingPool", iface: StakingPool__factory.createInterface() as Interface, views: pool$ }],
    [
      ADDRESSES.registry,
      {
        name: "NodeOperatorRegistry",
        iface: NodeOperatorRegistry__factory.createInterface() as Interface,
        views: registry,
      },
    ],
    [
      ADDRESSES.oracle,
      { name: "AccountingOracle", iface: AccountingOracle__factory.createInterface() as Interface, views: oracle },
    ],
    [
      ADDRESSES.withdrawalQueue,
      {
        name: "WithdrawalQueue",
        iface: WithdrawalQueue__factory.createInterface() as Interface,
        views: withdrawalQueue,
      },
    ],
  ]);
}

/** Block `n` of the stand-in: block REF_BLOCK is at the reference slot's time, one a slot before it. */
function block(n: number): Record<string, unknown> {
  const timestamp = GENESIS_TIME + (REF_SLOT - BigInt(REF_BLOCK - n)) * 12n;
  return {
    number: toBeHex(n),
    hash: toBeHex(0xb10c0000000000n + BigInt(n), 32),
    parentHash: toBeHex(0xb10c0000000000n + BigInt(n - 1), 32),
    timestamp: toBeHex(timestamp),
    nonce: "0x0000000000000000",
    difficulty: "0x0",
    gasLimit: toBeHex(36_000_000),
    gasUsed: "0x0",
    miner: ADDRESSES.treasury,
    extraData: "0x",
    baseFeePerGas: toBeHex(1_000_000_000),
    mixHash: ZeroHash,
    stateRoot: ZeroHash,
    receiptsRoot: ZeroHash,
    transactions: [],
  };
}

function blockNumberOf(tag: unknown): number {
  if (tag === "latest" || tag === "safe" || tag === "finalized" || tag === undefined) return REF_BLOCK;
  if (typeof tag === "string" && /^0x[0-9a-f]+$/i.test(tag)) return Number(BigInt(tag));
  throw new RpcError(-32602, `invalid block tag ${String(tag)}`);
}

/** Starts the stand-in for `w` on 127.0.0.1 (any free port), `latencyMs` before each HTTP answer. */
export async function startStandInExecution(w: BenchWorld, latencyMs: number): Promise<StandInExecution> {
  const contracts = contractViews(w);
  const balances = new Map<string, bigint>([
    [ADDRESSES.withdrawalVault, 10n * ETH],
    [ADDRESSES.elRewardsVault, 5n * ETH],
  ]);
  let counts: ElCounts = { calls: 0, httpRequests: 0, keyReads: 0, logReads: 0 };

  const call = (req: JsonRpcRequest): unknown => {
    const params = Array.isArray(req.params) ? (req.params as unknown[]) : [];
    switch (req.method) {
      case "eth_chainId":
        return toBeHex(STAND_IN_CHAIN_ID);
      case "net_version":
        return STAND_IN_CHAIN_ID.toString();
      case "eth_blockNumber":
        return toBeHex(REF_BLOCK);
      case "eth_getBlockByNumber": {
        const n = blockNumberOf(params[0]);
        return n > REF_BLOCK || n < 0 ? null : block(n);
      }
      case "eth_getBalance":
        return toBeHex(balances.get(String(params[0]).toLowerCase()) ?? 0n);
      case "eth_getLogs": {
        counts.logReads++;
        // No exit requests in earlier reports; a range wider than providers allow is refused.
        const filter = params[0] as { fromBlock?: string; toBlock?: string } | undefined;
        const from = Number(filter?.fromBlock ?? 0);
        const to = filter?.toBlock === undefined ? REF_BLOCK : Number(filter.toBlock);
        if (to - from + 1 > MAX_LOG_RANGE_BLOCKS) {
          throw new RpcError(-32005, `query exceeds max block range ${MAX_LOG_RANGE_BLOCKS}`);
        }
        return [];
      }
      case "eth_call": {
        const tx = params[0] as { to?: string; data?: string } | undefined;
        const target = contracts.get(String(tx?.to).toLowerCase());
        if (!target) throw new RpcError(-32000, `the stand-in has no contract at ${String(tx?.to)}`);
        const data = tx?.data ?? "0x";
        const parsed = target.iface.parseTransaction({ data });
        if (!parsed)
          throw new RpcError(
            -32601,
            `the stand-in's ${target.name} has no function with selector ${data.slice(0, 10)}`,
          );
        if (parsed.name === "pubkeys") counts.keyReads++;
        const view = target.views[parsed.name];
        if (!view)
          throw new RpcError(
            -32601,
            `the stand-in does not model ${target.name}.${parsed.signature} (selector ${parsed.selector})`,
          );
        return target.iface.encodeFunctionResult(parsed.fragment, view(parsed.args));
      }
      default:
        throw new RpcError(-32601, `the stand-in does not answer ${String(req.method)}`);
    }
  };
  const answer = (req: JsonRpcRequest): unknown => {
    counts.calls++;
    try {
      return { jsonrpc: "2.0", id: req.id ?? null, result: call(req) };
    } catch (e) {
      const code = e instanceof RpcError ? e.code : -32603;
      return {
        jsonrpc: "2.0",
        id: req.id ?? null,
        error: { code, message: e instanceof Error ? e.message : String(e) },
      };
    }
  };

  const state = { latencyMs };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      counts.httpRequests++;
      let body: unknown;
      try {
        const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as JsonRpcRequest | JsonRpcRequest[];
        body = Array.isArray(parsed) ? parsed.map(answer) : answer(parsed);
      } catch {
        body = { jsonrpc: "2.0", id: null, error: { code: -32700, message: "the request is not JSON" } };
      }
      setTimeout(() => {
        const text = JSON.stringify(body);
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
        res.end(text);
      }, state.latencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    get latencyMs() {
      return state.latencyMs;
    },
    set latencyMs(ms: number) {
      state.latencyMs = ms;
    },
    takeCounts() {
      const taken = counts;
      counts = { calls: 0, httpRequests: 0, keyReads: 0, logReads: 0 };
      return taken;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
