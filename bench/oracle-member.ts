/**
 * The oracle member of `npm run bench:oracle`: builds the frame report as the oracle service does
 * (`buildFrameReport` over `connectBeacon` and an ethers `JsonRpcProvider` to the stand-in execution
 * layer, the contracts connected with the typechain factories), or, for the comparison row, with a
 * beacon reader that reads every record of the state and keeps ours, as Lido's oracle does.
 */
import { JsonRpcProvider } from "ethers";
import {
  DEFAULT_BEACON_READ_POLICY,
  connectBeacon,
  type BeaconReader,
  type BeaconValidator,
} from "../offchain/oracle/beacon";
import { KeyIndex } from "../offchain/oracle/key-index";
import { buildFrameReport, type OracleContracts } from "../offchain/oracle/report";
import { reportHash } from "../sdk/src/report";
import { AccountingOracle__factory } from "../typechain-types/factories/contracts/oracle/AccountingOracle__factory";
import { StakingPool__factory } from "../typechain-types/factories/contracts/pool/StakingPool__factory";
import { NodeOperatorRegistry__factory } from "../typechain-types/factories/contracts/validators/NodeOperatorRegistry__factory";
import { WithdrawalQueue__factory } from "../typechain-types/factories/contracts/withdrawals/WithdrawalQueue__factory";
import { STAND_IN_CHAIN_ID } from "./oracle-el";
import { ADDRESSES, ORACLE_DEPLOYMENT_BLOCK } from "./oracle-model";

/** How the member finds our validators in the state. */
export type ReadMethod = "by-pubkey" | "read-all";

/** What one build gave. */
export interface MemberBuild {
  seconds: number;
  /** The member process's peak resident memory so far, in MB. */
  peakMB: number;
  reportHash: string;
  validators: number;
  /** The report's exit requests and exited-keys entries (what it asks and tells beyond balances). */
  exitRequests: number;
  exitedKeyEntries: number;
}

/** A reader that answers `validators` from every record of the state (GET without ids). */
function readingEveryRecord(inner: BeaconReader, beaconUrl: string): BeaconReader {
  return {
    ...inner,
    async validators(slot, ids) {
      const res = await fetch(`${beaconUrl}/eth/v1/beacon/states/${slot}/validators`);
      if (res.status === 404) return undefined;
      if (!res.ok) throw new Error(`the beacon node answered ${res.status} for the validators of slot ${slot}`);
      type Row = {
        index: string;
        balance: string;
        status: string;
        validator: {
          pubkey: string;
          withdrawal_credentials: string;
          slashed: boolean;
          exit_epoch: string;
          withdrawable_epoch: string;
        };
      };
      const all = ((await res.json()) as { data: Row[] }).data;
      const wanted = new Set(ids.map(String));
      const out: BeaconValidator[] = [];
      for (const r of all) {
        if (!wanted.has(r.validator.pubkey) && !wanted.has(r.index)) continue;
        out.push({
          index: Number(r.index),
          pubkey: r.validator.pubkey,
          withdrawalCredentials: r.validator.withdrawal_credentials,
          balanceGwei: BigInt(r.balance),
          status: r.status,
          slashed: r.validator.slashed,
          exitEpoch: BigInt(r.validator.exit_epoch),
          withdrawableEpoch: BigInt(r.validator.withdrawable_epoch),
        });
      }
      return out;
    },
  };
}

/**
 * One report, timed from opening the member's key index to the report built and the index saved: the
 * member's whole job for a frame. `indexDir` is where its key index lives (an empty directory: a cold
 * start; the directory a cold build saved to: warm); without it, an index in memory for this report.
 */
export async function buildOnce(
  beaconUrl: string,
  executionUrl: string,
  indexDir: string | undefined,
  method: ReadMethod,
): Promise<MemberBuild> {
  const start = process.hrtime.bigint();
  const connected = await connectBeacon(beaconUrl, {
    ...DEFAULT_BEACON_READ_POLICY,
    concurrency: Number(process.env.BC ?? 4),
  });
  const beacon = method === "read-all" ? readingEveryRecord(connected, beaconUrl) : connected;
  // One call per HTTP request: every call pays the stand-in's latency (no JSON-RPC batches).
  const provider = new JsonRpcProvider(executionUrl, Number(STAND_IN_CHAIN_ID), {
    staticNetwork: true,
    batchMaxCount: 1,
  });
  const contracts: OracleContracts = {
    pool: StakingPool__factory.connect(ADDRESSES.pool, provider),
    registry: NodeOperatorRegistry__factory.connect(ADDRESSES.registry, provider),
    oracle: AccountingOracle__factory.connect(ADDRESSES.oracle, provider),
    withdrawalQueue: WithdrawalQueue__factory.connect(ADDRESSES.withdrawalQueue, provider),
  };
  try {
    const scope = { chainId: STAND_IN_CHAIN_ID, oracle: ADDRESSES.oracle };
    const index = indexDir === undefined ? new KeyIndex() : await KeyIndex.open(indexDir, scope);
    const fromBlock = ORACLE_DEPLOYMENT_BLOCK; // the member's --from-block
    const built = await buildFrameReport({ beacon, provider, contracts, index, fromBlock });
    if (!built) throw new Error("the stand-in's frame counts as processed: no report to build");
    await index.save();
    return {
      seconds: Number(process.hrtime.bigint() - start) / 1e9,
      peakMB: process.resourceUsage().maxRSS / 1024,
      reportHash: reportHash(built.data),
      validators: built.validators.length,
      exitRequests: built.data.exitOperatorIds.length,
      exitedKeyEntries: built.data.exitedKeys.length,
    };
  } finally {
    provider.destroy();
  }
}
