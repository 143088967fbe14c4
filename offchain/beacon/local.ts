/**
 * The local beacon chain wired to a Tidepool deployment on a development chain: the chain (genesis
 * from the oracle's frame configuration), its execution bridge (deposits, exit requests, withdrawals)
 * and its Beacon API server. Used by the demo, the tests and `scripts/beacon-chain.ts`.
 */
import type { AccountingOracle, DepositContract } from "../../typechain-types";
import { BeaconChain, SLOTS_PER_EPOCH, type BeaconChainConfig, type Withdrawal } from "./chain";
import { ExecutionBridge, type JsonRpc } from "./execution";
import { startBeaconApi, type BeaconApi } from "./server";
import { BeaconStateMirror } from "./state";
import { devRpcPrefix, installWithdrawalRequestPredeploy } from "./withdrawal-requests";

export interface LocalBeacon {
  chain: BeaconChain;
  bridge: ExecutionBridge;
  api: BeaconApi;
  /** The real Electra state and its block headers, when started with `sszState`. */
  state?: BeaconStateMirror;
  oracle: AccountingOracle;
  close(): Promise<void>;
}

/**
 * Starts a local beacon chain for the deployment whose oracle and deposit contract are given; with
 * `options.sszState`, it also keeps a real Electra state (`BeaconStateMirror`) served by the API.
 * `options.systemCalls` (implies `sszState`) installs the EIP-7002 predeploy, produces a first beacon
 * block at the current slot, and makes `bridge.advanceTo` run a consensus client's per-block work in
 * each block it mines (EIP-4788 root, EIP-7002 dequeue, a beacon block per mined slot).
 * `options.exitRequests` says who exits the validators the oracle asks to exit: "bridge" (default) the
 * bridge does, as soon as it reads the request; "operators" nobody but the operators, whose signed
 * voluntary exits the Beacon API applies (offchain/operators/exits.ts).
 * `options.follow` is for a node that mines by itself (Anvil with `--block-time`): the caller then
 * runs `bridge.follow()` (wall-clock slots, logs `confirmations` deep) and never `advanceTo`; it cannot
 * be combined with `systemCalls`, whose blocks the bridge mines. Nothing writes this chain's block
 * roots to EIP-4788 on such a node, so on-chain proofs do not verify there (docs/design-notes.md).
 */
export async function startLocalBeacon(
  contracts: { oracle: AccountingOracle; depositContract: DepositContract },
  rpc: JsonRpc,
  config: Partial<Omit<BeaconChainConfig, "genesisTime">> = {},
  port = 0,
  options: {
    sszState?: boolean;
    systemCalls?: boolean;
    exitRequests?: "bridge" | "operators";
    follow?: { confirmations?: number; now?: () => number };
  } = {},
): Promise<LocalBeacon> {
  if (options.follow && options.systemCalls) {
    throw new Error("follow mode cannot make system calls: they need blocks the bridge mines itself");
  }
  const [genesisTime] = await contracts.oracle.getFrameConfig();
  // The deployment's slot time: 12 s, or a devnet's short slots.
  const secondsPerSlot = await contracts.oracle.SECONDS_PER_SLOT();
  // Installing mines blocks: the chain starts at the execution head after them.
  if (options.systemCalls) await installWithdrawalRequestPredeploy(rpc);
  const block = (await rpc.send("eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
  const now = BigInt(block.timestamp);
  const chain = new BeaconChain(
    { ...config, genesisTime, secondsPerSlot },
    now > genesisTime ? (now - genesisTime) / secondsPerSlot : 0n,
  );
  const state = options.sszState || options.systemCalls ? await BeaconStateMirror.create(chain) : undefined;
  if (options.systemCalls) state?.produceBlock(); // the execution head's beacon block: the first parent root
  const bridge = new ExecutionBridge(chain, rpc, {
    depositContract: await contracts.depositContract.getAddress(),
    exitRequester: options.exitRequests === "operators" ? undefined : await contracts.oracle.getAddress(),
    systemCalls: options.systemCalls && state ? { mirror: state } : undefined,
    rpcPrefix: await devRpcPrefix(rpc),
    ...(options.follow && { follow: true, ...options.follow }),
  });
  const api = await startBeaconApi(chain, port, undefined, state);
  return { chain, bridge, api, state, oracle: contracts.oracle, close: () => api.close() };
}

/** Slots past a frame's start at which its reference slot is final (finality trails the head by two epochs). */
export const FINALITY_DELAY_SLOTS = 2n * SLOTS_PER_EPOCH + 1n;

/**
 * Moves both chains to the next frame: first to its reference slot (the block mined then holds every
 * withdrawal up to that slot), then just far enough past the frame's start for the reference slot to
 * be final. Returns the reference slot and the number of its execution block.
 */
export async function advanceToNextFrame(local: LocalBeacon): Promise<{ refSlot: bigint; refBlock: number }> {
  const [genesisTime, epochsPerFrame] = await local.oracle.getFrameConfig();
  const slotsPerFrame = epochsPerFrame * SLOTS_PER_EPOCH;
  const secondsPerSlot = local.chain.config.secondsPerSlot;
  const slot = ((await local.bridge.latestTimestamp()) - genesisTime) / secondsPerSlot;
  const frameStart = (slot / slotsPerFrame + 1n) * slotsPerFrame;
  const refSlot = frameStart - 1n;
  await local.bridge.advanceTo(genesisTime + refSlot * secondsPerSlot);
  const refBlock = local.bridge.lastMinedBlock;
  await local.bridge.advanceTo(genesisTime + (frameStart + FINALITY_DELAY_SLOTS) * secondsPerSlot);
  return { refSlot, refBlock };
}

/**
 * Mines the block of the slot `slots` after the execution head's (with `systemCalls`, it holds the
 * EIP-4788 root of the previous beacon block and the EIP-7002 dequeue, and the slot gets its beacon
 * block): two such steps put a state's root on chain for the prover. Returns the withdrawals paid.
 */
export async function advanceSlots(local: LocalBeacon, slots = 1n): Promise<Withdrawal[]> {
  const slot = local.chain.slotAt(await local.bridge.latestTimestamp());
  return local.bridge.advanceTo(local.chain.slotTime(slot + slots));
}

/** The chain settings a devnet may override (`BEACON_CONFIG` of scripts/beacon-chain.ts). */
export type LocalBeaconConfig = Partial<Omit<BeaconChainConfig, "genesisTime" | "secondsPerSlot">>;

/**
 * Short delays for a devnet whose slots follow the wall clock (`BEACON_CONFIG=devnet`): a deposit
 * activates one epoch after it is seen, a validator may exit after 8 epochs, an exit takes one epoch
 * and is withdrawable two later, a slashed one after 16, and the sweep runs every epoch. With 1-second
 * slots (32-second epochs) a validator's life fits in minutes instead of days.
 */
export const DEVNET_BEACON_CONFIG: LocalBeaconConfig = {
  activationDelayEpochs: 1n,
  shardCommitteePeriodEpochs: 8n,
  exitDelayEpochs: 1n,
  withdrawabilityDelayEpochs: 2n,
  epochsPerSlashingsVector: 16n,
  sweepIntervalEpochs: 1n,
};

const WHOLE_NUMBER_SETTINGS = [
  "rewardAprBP",
  "activationDelayEpochs",
  "shardCommitteePeriodEpochs",
  "exitDelayEpochs",
  "withdrawabilityDelayEpochs",
  "epochsPerSlashingsVector",
  "minSlashingPenaltyQuotient",
  "sweepIntervalEpochs",
  "historyEpochs",
] as const;
const FORK_VERSION_SETTINGS = ["genesisForkVersion", "capellaForkVersion"] as const;

/**
 * Chain settings from a JSON object (a devnet's configuration file): whole numbers (JSON numbers or
 * decimal strings) for the delays and rates, 4-byte hex strings for the fork versions; anything else
 * throws one sentence naming the setting.
 */
export function beaconConfigFromJson(json: unknown): LocalBeaconConfig {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new Error("the beacon chain configuration must be a JSON object");
  }
  const config: Record<string, bigint | string> = {};
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    if ((WHOLE_NUMBER_SETTINGS as readonly string[]).includes(key)) {
      const text = typeof value === "number" || typeof value === "string" ? String(value) : "";
      if (!/^\d+$/.test(text)) throw new Error(`"${key}" must be a whole number, got ${JSON.stringify(value)}`);
      config[key] = BigInt(text);
    } else if ((FORK_VERSION_SETTINGS as readonly string[]).includes(key)) {
      if (typeof value !== "string" || !/^0x[0-9a-fA-F]{8}$/.test(value)) {
        throw new Error(`"${key}" must be a 4-byte hex string such as "0x00000000", got ${JSON.stringify(value)}`);
      }
      config[key] = value;
    } else {
      const known = [...WHOLE_NUMBER_SETTINGS, ...FORK_VERSION_SETTINGS].join(", ");
      throw new Error(`"${key}" is not a beacon chain setting (known: ${known})`);
    }
  }
  return config as LocalBeaconConfig;
}
