/**
 * The honest oracle in tests: the off-chain service's own report builder (offchain/oracle/report.ts)
 * reading the execution chain at the reference slot and a beacon node stub whose validators are the
 * registry's deposited keys with balances the test sets. Also the pool as `simulateReport` sees it
 * (read live, e.g. right before a deciding vote) and the exit requests a report emitted.
 */
import hre from "hardhat";
import type { ContractTransactionReceipt } from "ethers";
import type { Tidepool } from "../../deploy/protocol";
import type { ReportData } from "../../sdk/src/report";
import type { BeaconReader, BeaconSpec, BeaconValidator } from "../../offchain/oracle/beacon";
import { buildFrameReport, poolSnapshot, type BuiltReport } from "../../offchain/oracle/report";
import type { PoolSnapshot, ReportInputs } from "../../offchain/oracle/accounting";

const FAR_FUTURE_EPOCH = 2n ** 64n - 1n;

/**
 * A beacon node that serves the same state at every slot: the validators of the keys given a
 * balance, all active, unslashed and with the pool's withdrawal credentials.
 */
export class StubBeacon implements BeaconReader {
  /** Balance in gwei by lower-case pubkey; keys absent here are not on the beacon chain. */
  readonly balances = new Map<string, bigint>();

  constructor(
    private readonly genesis: bigint,
    private readonly credentials: string,
    private readonly pubkeys: Map<string, string>, // "operator:index" → pubkey
  ) {}

  async genesisTime(): Promise<bigint> {
    return this.genesis;
  }

  async spec(): Promise<BeaconSpec> {
    return { secondsPerSlot: 12n, slotsPerEpoch: 32n, epochsPerSlashingsVector: 8192n };
  }

  async finalizedEpoch(): Promise<bigint> {
    return 0n;
  }

  async blockSlotAtOrBefore(slot: bigint): Promise<bigint> {
    return slot;
  }

  /** Validator indices, stable once given (the order in which keys first got a balance). */
  private readonly indices = new Map<string, number>();

  async validators(_slot: bigint, ids: readonly (number | string)[]): Promise<BeaconValidator[]> {
    const out: BeaconValidator[] = [];
    const byIndex = new Map([...this.indices].map(([pubkey, index]) => [index, pubkey] as const));
    for (const id of ids) {
      const pubkey = typeof id === "number" ? byIndex.get(id) : id.toLowerCase();
      const balanceGwei = pubkey === undefined ? undefined : this.balances.get(pubkey);
      if (pubkey === undefined || balanceGwei === undefined) continue;
      out.push({
        index: this.indices.get(pubkey)!,
        pubkey,
        withdrawalCredentials: this.credentials,
        balanceGwei,
        status: "active_ongoing",
        slashed: false,
        exitEpoch: FAR_FUTURE_EPOCH,
        withdrawableEpoch: FAR_FUTURE_EPOCH,
      });
    }
    return out;
  }

  /** Sets the balances (gwei) of keys 0, 1, … of `operatorId`: the validators the beacon chain shows. */
  setBalances(operatorId: bigint, balancesGwei: readonly bigint[]): void {
    balancesGwei.forEach((gwei, i) => {
      const pubkey = this.pubkeys.get(`${operatorId}:${i}`);
      if (!pubkey) throw new Error(`key ${operatorId}:${i} is not registered`);
      this.balances.set(pubkey, gwei);
      if (!this.indices.has(pubkey)) this.indices.set(pubkey, this.indices.size);
    });
  }
}

/** A stub beacon for `t`'s registered keys (all operators), with no validator visible yet. */
export async function stubBeacon(t: Tidepool): Promise<StubBeacon> {
  const [genesisTime] = await t.oracle.getFrameConfig();
  const credentials = (await t.pool.withdrawalCredentials()).toLowerCase();
  const pubkeys = new Map<string, string>();
  const operators = await t.registry.getNodeOperatorsCount();
  for (let id = 0n; id < operators; id++) {
    const total = (await t.registry.getNodeOperator(id)).totalKeys;
    for (let i = 0n; i < total; i++) {
      pubkeys.set(`${id}:${i}`, (await t.registry.getSigningKey(id, i)).pubkey.toLowerCase());
    }
  }
  return new StubBeacon(genesisTime, credentials, pubkeys);
}

/** The honest report of the current frame, as the oracle service computes it at the reference slot. */
export async function honestReport(t: Tidepool, beacon: BeaconReader): Promise<BuiltReport> {
  const built = await buildFrameReport({ beacon, provider: hre.ethers.provider, contracts: t });
  if (!built) throw new Error("the current frame has been reported already");
  return built;
}

/** The pool as `simulateReport` reads it, now (bond shares of `lossOperators` only). */
export function livePoolSnapshot(t: Tidepool, lossOperators: readonly bigint[] = []): Promise<PoolSnapshot> {
  return poolSnapshot(t, "latest", lossOperators);
}

/** The fields of `data` that `simulateReport` reads. */
export function reportInputs(data: ReportData): ReportInputs {
  return {
    numValidators: BigInt(data.numValidators),
    clBalanceGwei: BigInt(data.clBalanceGwei),
    withdrawalVaultBalance: BigInt(data.withdrawalVaultBalance),
    elRewardsVaultBalance: BigInt(data.elRewardsVaultBalance),
    operatorIdsWithLosses: data.operatorIdsWithLosses.map((x) => BigInt(x)),
    operatorLossesGwei: data.operatorLossesGwei.map((x) => BigInt(x)),
  };
}

/** An exit request as `ValidatorExitRequested` carries it. */
export interface ExitRequested {
  operatorId: bigint;
  keyIndex: bigint;
  pubkey: string;
}

/** Every `ValidatorExitRequested` of `receipt`, in order. */
export async function exitRequestsIn(t: Tidepool, receipt: ContractTransactionReceipt): Promise<ExitRequested[]> {
  const oracleAddress = await t.oracle.getAddress();
  const out: ExitRequested[] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== oracleAddress.toLowerCase()) continue;
    const parsed = t.oracle.interface.parseLog(log);
    if (!parsed || parsed.name !== "ValidatorExitRequested") continue;
    out.push({ operatorId: parsed.args[0], keyIndex: parsed.args[1], pubkey: parsed.args[2] });
  }
  return out;
}

/** The exits of `keys` as the oracle should emit them: each key's registry pubkey. */
export async function exitRequestsOf(
  t: Tidepool,
  keys: readonly { operatorId: bigint; keyIndex: bigint }[],
): Promise<ExitRequested[]> {
  const out: ExitRequested[] = [];
  for (const { operatorId, keyIndex } of keys) {
    const [pubkey, , deposited] = await t.registry.getSigningKey(operatorId, keyIndex);
    if (!deposited) throw new Error(`key ${operatorId}:${keyIndex} is not deposited`);
    out.push({ operatorId, keyIndex, pubkey });
  }
  return out;
}
