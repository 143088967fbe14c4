/**
 * The local beacon chain wired to a Tidepool deployment on a development chain: the chain (genesis
 * from the oracle's frame configuration), its execution bridge (deposits, exit requests, withdrawals)
 * and its Beacon API server. Used by the demo, the tests and `scripts/beacon-chain.ts`.
 */
import type { AccountingOracle, DepositContract } from "../../typechain-types";
import { BeaconChain, SECONDS_PER_SLOT, SLOTS_PER_EPOCH, type BeaconChainConfig, type Withdrawal } from "./chain";
import { ExecutionBridge, type JsonRpc } from "./execution";
import { startBeaconApi, type BeaconApi } from "./server";
import { BeaconStateMirror } from "./state";
import { installWithdrawalRequestPredeploy } from "./withdrawal-requests";

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
 */
export async function startLocalBeacon(
  contracts: { oracle: AccountingOracle; depositContract: DepositContract },
  rpc: JsonRpc,
  config: Partial<Omit<BeaconChainConfig, "genesisTime">> = {},
  port = 0,
  options: { sszState?: boolean; systemCalls?: boolean; exitRequests?: "bridge" | "operators" } = {},
): Promise<LocalBeacon> {
  const [genesisTime] = await contracts.oracle.getFrameConfig();
  // Installing mines blocks: the chain starts at the execution head after them.
  if (options.systemCalls) await installWithdrawalRequestPredeploy(rpc);
  const block = (await rpc.send("eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
  const now = BigInt(block.timestamp);
  const chain = new BeaconChain(
    { ...config, genesisTime },
    now > genesisTime ? (now - genesisTime) / SECONDS_PER_SLOT : 0n,
  );
  const state = options.sszState || options.systemCalls ? await BeaconStateMirror.create(chain) : undefined;
  if (options.systemCalls) state?.produceBlock(); // the execution head's beacon block: the first parent root
  const bridge = new ExecutionBridge(chain, rpc, {
    depositContract: await contracts.depositContract.getAddress(),
    exitRequester: options.exitRequests === "operators" ? undefined : await contracts.oracle.getAddress(),
    systemCalls: options.systemCalls && state ? { mirror: state } : undefined,
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
  const slot = ((await local.bridge.latestTimestamp()) - genesisTime) / SECONDS_PER_SLOT;
  const frameStart = (slot / slotsPerFrame + 1n) * slotsPerFrame;
  const refSlot = frameStart - 1n;
  await local.bridge.advanceTo(genesisTime + refSlot * SECONDS_PER_SLOT);
  const refBlock = local.bridge.lastMinedBlock;
  await local.bridge.advanceTo(genesisTime + (frameStart + FINALITY_DELAY_SLOTS) * SECONDS_PER_SLOT);
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
