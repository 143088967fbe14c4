import { expect } from "chai";
import hre from "hardhat";
import { AbiCoder, ZeroAddress, getAddress, keccak256, parseEther } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployWithQueue, type WithdrawalFixture } from "./withdrawal-fixtures";
import { RAY, TOTAL_BP, ceilDiv, lockOf, min, payoutOf, rateRayOf } from "./withdrawal-report-helpers";
import { frameTiming, slotTime } from "../../sdk/src/report";
import { ShareRateModel } from "./share-rate-model";
import { POOL_STORAGE_LOCATION } from "./pool-storage";
import {
  HOME_EID,
  L2_EID,
  L3_EID,
  PATH_WINDOW,
  type WiredBridge,
  bridge as bridgeTo,
  sendParam,
  wireBridge,
} from "./bridge-fixtures";

/**
 * The whole-protocol fuzzer's world and model: the tracked accounts, everything the checks read from
 * the chain (`ChainState`), and an independent BigInt model of the pool, the wrapper, the withdrawal
 * queue, the vaults, operator 0's bond and the governance settings, moved only by the commands
 * (../helpers/fuzz-commands.ts) from the contracts' documented formulas. The invariants compared after
 * every step are in ../helpers/fuzz-invariants.ts.
 */

export const ETH = 10n ** 18n;
export const GWEI = 10n ** 9n;
export const DEPOSIT_SIZE = 32n * ETH;
export const PPB = 1_000_000_000n;
export const PPM = 1_000_000n;
export const SECONDS_PER_SLOT = 12n;
export const SECONDS_PER_YEAR = 365n * 24n * 3600n;
export const INSTANT_REDEEM_FRAME_SECONDS = 86_400n;
export const MIN_WITHDRAWAL = 100n;
export const MAX_WITHDRAWAL = 1000n * ETH;
/** The fixture's only operator (deployWithValidators). */
export const OPERATOR_ID = 0n;
/** NodeOperatorRegistry.REWARD_INDEX_SCALE: the reward index's scale per validator. */
export const REWARD_INDEX_SCALE = 1_000_000n;
/** Pool capabilities (StakingPool.CAPABILITY_*). */
export const CAP_STAKING = 1;
export const CAP_INSTANT_REDEEM = 2;
export const CAP_DEPOSITS = 4;
/** BeaconFacts fact bits (keyFacts) and SLASHING_CREDIT_SLOTS. */
export const FACT_SLASHED = 1n;
export const FACT_EXITED = 2n;
export const SLASHING_CREDIT_SLOTS = 8_192n * 32n;

export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
export const sum = (xs: bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);

/** users[0] (100 ETH staked), users[2..4] (20 ETH each), users[5] and users[6] (nothing yet). */
const ACTOR_USERS = [0, 2, 3, 4, 5, 6];
export const ACTORS = ACTOR_USERS.length;

/** Non-actor addresses, in this order after the actors in the tracked list. */
export const OTHERS = [
  "outsider",
  "wrapper",
  "queue",
  "registry",
  "treasury",
  "insurance",
  "dead",
  "pool",
  "zero",
  "adapter",
] as const;
export type Other = (typeof OTHERS)[number];
/** Who a command addresses: an actor by index, or one of the fixed non-actor addresses. */
export type Who = number | Other;

/** An address no test controls, used as a plain recipient. */
export const OUTSIDER = getAddress("0x00000000000000000000000000000000c0ffee01");

/** The bridge's chains in the fuzzer: 0 home (the adapter locks wtpETH), 1 L2, 2 L3 (OFTs mint). */
export const BRIDGE_EIDS = [HOME_EID, L2_EID, L3_EID] as const;
/**
 * Every bridge path's outbound limit in the fuzzer (per PATH_WINDOW, a day): low enough that actors'
 * holdings reach it, so sends hit RateLimitExceeded and reports (which advance days) refill it.
 */
export const FUZZ_PATH_LIMIT = parseEther("30");
export const FUZZ_PATH_WINDOW = PATH_WINDOW;

/** The fuzzer's deployment: the protocol plus the wtpETH bridge on three endpoint mocks. */
export interface FuzzFixture extends WithdrawalFixture {
  bridge: WiredBridge;
}

/**
 * The deployment the fuzzer starts from: deployWithQueue plus bond for every vetted key of operator 0,
 * and the wtpETH bridge wired as ./bridge-fixtures.ts wires it (the protocol's pauser pauses it).
 */
export async function deployFuzzFixture(): Promise<FuzzFixture> {
  const f = await loadFixture(deployWithQueue);
  await (await f.registry.connect(f.operator).depositBond(OPERATOR_ID, { value: parseEther("20") })).wait();
  const bridge = await wireBridge(
    f.wrapperAddress,
    f.admin.address,
    f.pauser.address,
    FUZZ_PATH_LIMIT,
    FUZZ_PATH_WINDOW,
  );
  // Actor 0 starts with wtpETH at home and on L2, actor 1 on L3: bridge commands move real amounts from
  // the first step (the paths' limits are partly used, as the model reads them at setup).
  const holder = f.users[ACTOR_USERS[0]];
  const adapterAddress = await bridge.adapter.getAddress();
  await (await f.pool.connect(holder).approve(f.wrapperAddress, parseEther("40"))).wait();
  await (await f.wrapper.connect(holder).deposit(parseEther("40"), holder.address)).wait();
  await (await f.wrapper.connect(holder).approve(adapterAddress, parseEther("12"))).wait();
  await bridgeTo(bridge.adapter, holder, L2_EID, holder.address, parseEther("8"));
  await bridgeTo(bridge.adapter, holder, L3_EID, f.users[ACTOR_USERS[1]].address, parseEther("4") + 123_456n);
  return { ...f, bridge };
}

/** The bridge contract of chain `c` (0 home, 1 L2, 2 L3). */
export function oftOf(f: FuzzFixture, c: number): WiredBridge["adapter"] | WiredBridge["l2"] {
  return [f.bridge.adapter, f.bridge.l2, f.bridge.l3][c];
}

// ──────────────────────────────── Chain state ────────────────────────────────

/** One withdrawal request as the queue reports it. */
export interface RequestState {
  amountOfEther: bigint;
  amountOfShares: bigint;
  owner: string;
  timestamp: bigint;
  isFinalized: boolean;
  isClaimed: boolean;
}

/** Everything the invariants read from the chain. */
export interface ChainState {
  blockTimestamp: bigint;
  totalShares: bigint;
  totalPooledEther: bigint;
  totalSupply: bigint;
  bufferedEther: bigint;
  depositedValidators: bigint;
  clValidators: bigint;
  clBalance: bigint;
  instantLiquidity: bigint;
  depositableEther: bigint;
  /** By tracked index. */
  shares: bigint[];
  wtp: bigint[];
  eth: bigint[];
  wrapperSupply: bigint;
  withdrawalVaultEth: bigint;
  elRewardsVaultEth: bigint;
  depositContractEth: bigint;
  insuranceFundEth: bigint;
  registryEth: bigint;
  lastRequestId: bigint;
  lastFinalizedId: bigint;
  lastCheckpointIndex: bigint;
  lockedEther: bigint;
  unfinalizedEther: bigint;
  queuedShares: bigint;
  requests: RequestState[];
  /** Claimable ETH of every finalized, unclaimed request (0 for the others), by id − 1. */
  claimable: bigint[];
  /** Checkpoint hints found for every finalized request (0 for the others), by id − 1. */
  hints: bigint[];
  nftBalances: bigint[];
  /** Actors' wtpETH on L2 and L3 (`remote[c − 1][actor]`), the two OFTs' supplies, and the bridge's pause flags (home, L2, L3). */
  remote: bigint[][];
  remoteSupply: bigint[];
  bridgePaused: boolean[];
  pausedCapabilities: number;
  bunker: boolean;
  queuePaused: boolean;
  fees: { treasuryFeeBP: bigint; operatorsFeeBP: bigint; insuranceFeeBP: bigint };
  instant: { minFeeBP: bigint; maxFeeBP: bigint; frameCapBP: bigint };
  liquidityTargetBP: bigint;
  stakeLimit: { max: bigint; perBlock: bigint; prevLimit: bigint; prevBlock: bigint };
  bondShares: bigint;
  /** Operator 0 in the registry: deposited and exited keys, the registry's active validators, its pending rewards. */
  operator: { depositedKeys: bigint; exitedKeys: bigint; totalActiveValidators: bigint; pendingRewards: bigint };
  lastProcessedRefSlot: bigint;
  /** The high half of the queue's `shares` word: the nominal ETH the pool reserves for unfinalized requests. */
  queueReserve: bigint;
  /** The instant-redemption frame state (the pool's `instantRedeem` slot). */
  redeemFrame: InstantFrame;
}

/** The instant-redemption frame: its day number, what was redeemed in it, and the liquidity it started with. */
export interface InstantFrame {
  frameIndex: bigint;
  redeemedInFrame: bigint;
  frameLiquidityGwei: bigint;
}

/** The pool's ERC-7201 storage: slot 3 is `instantRedeem`, slot 4 the `shares` mapping. */
const POOL_INSTANT_REDEEM_SLOT = POOL_STORAGE_LOCATION + 3n;
const POOL_SHARES_SLOT = POOL_STORAGE_LOCATION + 4n;

async function storageWord(address: string, slot: bigint): Promise<bigint> {
  const raw = (await hre.network.provider.send("eth_getStorageAt", [
    address,
    `0x${slot.toString(16).padStart(64, "0")}`,
    "latest",
  ])) as string;
  return BigInt(raw);
}

/** The queue's whole `shares` word (shares | reserve << 128), read from storage. */
async function queueSharesWord(pool: string, queue: string): Promise<bigint> {
  const slot = BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(["address", "uint256"], [queue, POOL_SHARES_SLOT])));
  return storageWord(pool, slot);
}

/** InstantRedeemState: 4 × uint16 parameters, then frameIndex (uint32), redeemedInFrame (uint96), frameLiquidityGwei (uint64). */
async function readInstantFrame(pool: string): Promise<InstantFrame> {
  const word = await storageWord(pool, POOL_INSTANT_REDEEM_SLOT);
  return {
    frameIndex: (word >> 64n) & ((1n << 32n) - 1n),
    redeemedInFrame: (word >> 96n) & ((1n << 96n) - 1n),
    frameLiquidityGwei: word >> 192n,
  };
}

/** The system under test, as the commands see it. */
export class World {
  readonly addresses: string[];
  readonly labels: string[];
  readonly actors: HardhatEthersSigner[];
  /** Sends ETH to the vaults (rewards, exited validators); holds no shares. */
  readonly donor: HardhatEthersSigner;
  /** The chain state after the previous step (the "before" of the next one). */
  last!: ChainState;

  /** The native fee of a send from chain `src` to chain `dst` (`bridgeFees[src][dst]`; constant on the mocks). */
  bridgeFees: bigint[][] = [];

  constructor(
    readonly f: FuzzFixture,
    registry: string,
    insuranceFund: string,
    bootstrap: string,
    adapter: string,
  ) {
    this.actors = ACTOR_USERS.map((u) => f.users[u]);
    this.donor = f.users[10];
    const byOther: Record<Other, string> = {
      outsider: OUTSIDER,
      wrapper: f.wrapperAddress,
      queue: f.queueAddress,
      registry,
      treasury: f.treasury.address,
      insurance: insuranceFund,
      dead: bootstrap,
      pool: f.poolAddress,
      zero: ZeroAddress,
      adapter,
    };
    this.addresses = [...this.actors.map((a) => a.address), ...OTHERS.map((o) => byOther[o])];
    this.labels = [...ACTOR_USERS.map((u, i) => `actor${i} (users[${u}])`), ...OTHERS];
  }

  static async create(f: FuzzFixture): Promise<World> {
    const world = new World(
      f,
      await f.registry.getAddress(),
      await f.insuranceFund.getAddress(),
      getAddress(await f.pool.BOOTSTRAP_SHARES_HOLDER()),
      await f.bridge.adapter.getAddress(),
    );
    for (let src = 0; src < BRIDGE_EIDS.length; src++) {
      world.bridgeFees.push([]);
      for (let dst = 0; dst < BRIDGE_EIDS.length; dst++) {
        const param = sendParam(BRIDGE_EIDS[dst], world.actors[0].address, 10n ** 12n);
        world.bridgeFees[src].push(src === dst ? 0n : (await oftOf(f, src).quoteSend(param, false)).nativeFee);
      }
    }
    return world;
  }

  index(who: Who): number {
    if (typeof who === "number") {
      if (who < 0 || who >= ACTORS) throw new RangeError(`no actor ${who}`);
      return who;
    }
    return ACTORS + OTHERS.indexOf(who);
  }

  address(who: Who): string {
    return this.addresses[this.index(who)];
  }

  label(who: Who): string {
    return this.labels[this.index(who)];
  }

  /** The tracked index of an address (−1: untracked). */
  indexOf(address: string): number {
    return this.addresses.findIndex((a) => a.toLowerCase() === address.toLowerCase());
  }

  /** Receivers the pool refuses for user-facing share moves (ERC20InvalidReceiver). */
  isInvalidPoolReceiver(i: number): boolean {
    return i === this.index("zero") || i === this.index("pool") || i === this.index("wrapper");
  }

  /** The protocol's own contracts, refused as instant-redemption and claim recipients, request owners and NFT targets. */
  isProtocolContract(i: number): boolean {
    return i === this.index("pool") || i === this.index("wrapper") || i === this.index("queue");
  }

  /** Receivers the wrapper refuses (ERC20InvalidReceiver). */
  isInvalidWrapperReceiver(i: number): boolean {
    return i === this.index("zero") || i === this.index("wrapper");
  }

  /** Vaults, deposit contract, insurance fund and registry: addresses whose ETH is checked. */
  private holders: string[] | undefined;

  async read(): Promise<ChainState> {
    const { pool, wrapper, queue, registry, oracle } = this.f;
    const provider = hre.ethers.provider;
    this.holders ??= await Promise.all(
      [this.f.withdrawalVault, this.f.elRewardsVault, this.f.depositContract, this.f.insuranceFund, registry].map((c) =>
        c.getAddress(),
      ),
    );
    // One call after another: the in-process network serves them one at a time anyway, and
    // interleaving them only adds overhead.
    const each = async <T>(xs: string[], f: (a: string) => Promise<T>): Promise<T[]> => {
      const out: T[] = [];
      for (const x of xs) out.push(await f(x));
      return out;
    };
    const shares = await each(this.addresses, (a) => pool.sharesOf(a));
    const wtp = await each(this.addresses, (a) => wrapper.balanceOf(a));
    const eth = await each(this.addresses, (a) => provider.getBalance(a));
    const nftBalances = await each(this.addresses, (a) =>
      a === ZeroAddress ? Promise.resolve(0n) : queue.balanceOf(a),
    );
    const holderEth = await each(this.holders, (a) => provider.getBalance(a));
    const actorAddresses = this.actors.map((a) => a.address);
    const remotes = [this.f.bridge.l2, this.f.bridge.l3];
    const remote = [
      await each(actorAddresses, (a) => remotes[0].balanceOf(a)),
      await each(actorAddresses, (a) => remotes[1].balanceOf(a)),
    ];
    const remoteSupply = [await remotes[0].totalSupply(), await remotes[1].totalSupply()];
    const bridgePaused = [await this.f.bridge.adapter.paused(), await remotes[0].paused(), await remotes[1].paused()];
    const [lastRequestId, lastFinalizedId, lastCheckpointIndex, lockedEther, unfinalizedEther, queuedShares] = [
      await queue.getLastRequestId(),
      await queue.getLastFinalizedRequestId(),
      await queue.getLastCheckpointIndex(),
      await queue.lockedEther(),
      await queue.unfinalizedEther(),
      await queue.queuedShares(),
    ];
    const queuePaused = await queue.withdrawalsPaused();
    const [totalShares, totalPooledEther, totalSupply, bufferedEther, instantLiquidity, depositableEther] = [
      await pool.totalShares(),
      await pool.totalPooledEther(),
      await pool.totalSupply(),
      await pool.bufferedEther(),
      await pool.instantLiquidity(),
      await pool.depositableEther(),
    ];
    const liquidityTargetBP = await pool.instantLiquidityTargetBP();
    const beacon = await pool.getBeaconStat();
    const fees = await oracle.getFeeConfig();
    const instant = await pool.getInstantRedeemParams();
    const limit = await pool.getStakeLimitParams();
    const paused = await pool.pausedCapabilities();
    const bunker = await pool.isBunkerModeActive();
    const operator = await registry.getNodeOperator(OPERATOR_ID);
    const lastProcessedRefSlot = await oracle.getLastProcessedRefSlot();
    const wrapperSupply = await wrapper.totalSupply();
    const queueWord = await queueSharesWord(this.f.poolAddress, this.f.queueAddress);
    const redeemFrame = await readInstantFrame(this.f.poolAddress);
    const block = await provider.getBlock("latest");
    if (block === null) throw new Error("no latest block");
    const ids = Array.from({ length: Number(lastRequestId) }, (_, i) => BigInt(i + 1));
    const statuses = ids.length === 0 ? [] : await queue.getWithdrawalStatus(ids);
    const hints =
      lastCheckpointIndex > 0n && ids.length > 0
        ? [...(await queue.findCheckpointHints(ids, 1n, lastCheckpointIndex))]
        : ids.map(() => 0n);
    const claimable =
      lastCheckpointIndex > 0n && ids.length > 0 ? [...(await queue.getClaimableEther(ids, hints))] : ids.map(() => 0n);
    const requests: RequestState[] = statuses.map((s) => ({
      amountOfEther: s.amountOfEther,
      amountOfShares: s.amountOfShares,
      owner: s.owner,
      timestamp: s.timestamp,
      isFinalized: s.isFinalized,
      isClaimed: s.isClaimed,
    }));
    const [withdrawalVaultEth, elRewardsVaultEth, depositContractEth, insuranceFundEth, registryEth] = holderEth;
    return {
      blockTimestamp: BigInt(block.timestamp),
      totalShares,
      totalPooledEther,
      totalSupply,
      bufferedEther,
      depositedValidators: beacon[0],
      clValidators: beacon[1],
      clBalance: beacon[2],
      instantLiquidity,
      depositableEther,
      shares,
      wtp,
      eth,
      wrapperSupply,
      withdrawalVaultEth,
      elRewardsVaultEth,
      depositContractEth,
      insuranceFundEth,
      registryEth,
      lastRequestId,
      lastFinalizedId,
      lastCheckpointIndex,
      lockedEther,
      unfinalizedEther,
      queuedShares,
      requests,
      claimable,
      hints,
      nftBalances,
      remote,
      remoteSupply,
      bridgePaused,
      pausedCapabilities: Number(paused),
      bunker,
      queuePaused,
      fees: {
        treasuryFeeBP: fees.treasuryFeeBP,
        operatorsFeeBP: fees.operatorsFeeBP,
        insuranceFeeBP: fees.insuranceFeeBP,
      },
      instant: { minFeeBP: instant.minFeeBP, maxFeeBP: instant.maxFeeBP, frameCapBP: instant.frameCapBP },
      liquidityTargetBP,
      stakeLimit: {
        max: limit.maxStakeLimit,
        perBlock: limit.stakeLimitIncreasePerBlock,
        prevLimit: limit.prevStakeLimit,
        prevBlock: limit.prevStakeBlockNumber,
      },
      bondShares: operator.bondShares,
      operator: {
        depositedKeys: operator.depositedKeys,
        exitedKeys: operator.exitedKeys,
        totalActiveValidators: await registry.totalActiveValidators(),
        pendingRewards: await registry.pendingOperatorRewards(OPERATOR_ID),
      },
      lastProcessedRefSlot,
      queueReserve: queueWord >> 128n,
      redeemFrame,
    };
  }
}

// ──────────────────────────────── The model ────────────────────────────────

/** A withdrawal request as the model has it. */
export interface ModelRequest {
  owner: number;
  amountOfEther: bigint;
  shares: bigint;
  timestamp: bigint;
  /** Index of the checkpoint that finalized it (0: not finalized). */
  checkpoint: number;
  claimed: boolean;
}

/** A finalization checkpoint: the rate of one report, and whether its batch was locked at nominal. */
export interface Checkpoint {
  fromId: number;
  toId: number;
  rateRay: bigint;
  nominal: boolean;
}

/** Something an account received from someone else in a step (invariant 4's ledger). */
export interface Inflow {
  to: number;
  shares?: bigint;
  eth?: bigint;
  requestId?: number;
}

/** The stake limit (StakeControl), with the block number it was last written at. */
export interface StakeLimitModel {
  max: bigint;
  growthBlocks: bigint;
  prevLimit: bigint;
  prevBlock: bigint;
}

/** One finalization batch: one checkpoint of the queue, locking min(Σ ETH, ⌊Σ shares × rate⌋) of its requests. */
export interface BatchOutcome {
  fromId: number;
  toId: number;
  rateRay: bigint;
  lock: bigint;
  burn: bigint;
  /** Σ ETH its requests asked for (released from the pool's reserve). */
  nominalEther: bigint;
  /** Whether the lock is the nominal ETH (claims then release their nominal amount). */
  nominal: boolean;
}

/** A `keyLosses` entry of operator 0: a key's loss to date and what the report charges it. */
export interface KeyLoss {
  keyIndex: bigint;
  lossToDateGwei: bigint;
  /** max(0, lossToDate − charged before). */
  owedGwei: bigint;
}

/** What one report does, computed by the model from its state when the report applies. */
export interface ReportOutcome {
  refSlot: bigint;
  numValidators: bigint;
  clBalance: bigint;
  preCL: bigint;
  preTotalEther: bigint;
  preTotalShares: bigint;
  lossWei: bigint;
  bondBurned: bigint;
  bondCovered: bigint;
  withdrawalTaken: bigint;
  elTaken: bigint;
  /** Before finalization. */
  postTotalEther: bigint;
  postTotalShares: bigint;
  rewards: bigint;
  feeWei: { treasury: bigint; operators: bigint; insurance: bigint };
  feeShares: { treasury: bigint; operators: bigint; insurance: bigint };
  insuranceBurned: bigint;
  available: bigint;
  /** The batches finalized, in order (empty: no finalization). */
  batches: BatchOutcome[];
  /** Σ over the batches. */
  lock: bigint;
  burn: bigint;
  finalizedNominal: bigint;
  keyLosses: KeyLoss[];
  /** After finalization. */
  finalTotalEther: bigint;
  finalTotalShares: bigint;
  bunker: boolean;
}

/** The expected state, kept in BigInt and moved only by the commands, from the documented formulas. */
export class ProtocolModel extends ShareRateModel {
  clBalance: bigint;
  clValidators: bigint;
  depositedValidators: bigint;
  wtp: bigint[];
  /** ETH of every tracked address; for actors, their balance plus the gas they paid (gross). */
  eth: bigint[];
  /** Gas paid by each actor so far. */
  gas: bigint[];
  withdrawalVaultEth: bigint;
  elRewardsVaultEth: bigint;
  depositContractEth: bigint;
  requests: ModelRequest[] = [];
  /** Checkpoints by index (index 0 unused). */
  checkpoints: Checkpoint[] = [{ fromId: 0, toId: 0, rateRay: 0n, nominal: false }];
  lastFinalizedId = 0;
  lockedEther: bigint;
  pausedCapabilities: number;
  bunker: boolean;
  queuePaused: boolean;
  fees: { treasuryFeeBP: bigint; operatorsFeeBP: bigint; insuranceFeeBP: bigint };
  instant: { minFeeBP: bigint; maxFeeBP: bigint; frameCapBP: bigint };
  liquidityTargetBP: bigint;
  stakeLimit: StakeLimitModel;
  /** The instant-redemption frame (day number, redeemed so far, starting liquidity in gwei). */
  redeemFrame: InstantFrame;
  /** The nominal ETH of unfinalized requests the pool reserves (the high half of the queue's shares word). */
  reserve: bigint;
  /** What the oracle has charged each of operator 0's keys, in gwei (keyLossChargedGwei; absent: 0). */
  keyCharged = new Map<bigint, bigint>();
  bondShares: bigint;
  /** Operator 0's exited keys (the registry's count, raised by the oracle's `exitedKeys`). */
  exitedKeys: bigint;
  /**
   * Operator 0's rewards in the registry (NodeOperatorRegistry: distributeOperatorRewards,
   * _accrueRewards): the reward index's growth since its checkpoint (sharesPerValidator − checkpoint,
   * ×REWARD_INDEX_SCALE per validator), its accrued shares, and shares held back while no validator is
   * active. The only operator: its active validators are the registry's.
   */
  rewardIndexGrowth = 0n;
  accruedRewards = 0n;
  heldBackRewards = 0n;
  /** BeaconFacts: the facts proven for operator 0's keys (bits: 1 slashed, 2 exited), by key index. */
  keyFacts = new Map<bigint, bigint>();
  /** BeaconFacts: operator 0's validators proven exited (the registry's exited count is at least this). */
  provenExitedKeys = 0n;
  /**
   * BeaconFacts' slashing hold: set by a proven slashing (bunker mode at once), ended by a report whose
   * reference slot's time is at or after `slashingHoldFrom` (the latest proven slashing's slot time);
   * until then reports keep bunker mode on and may not finalize.
   */
  slashingHold = false;
  slashingHoldFrom = 0n;
  /** BeaconFacts' slashing credit (gwei) and the last reference slot it is available to. */
  slashingCreditGwei = 0n;
  slashingCreditUntilSlot = 0n;
  lastRefSlot: bigint;
  /** tpETH and wtpETH allowances, key `${token}:${owner}>${spender}` (tracked indices). */
  allowances = new Map<string, bigint>();
  /** What the current step moved to someone from someone else (reset by the checker). */
  inflows: Inflow[] = [];
  /** Actors' wtpETH on L2 and L3 (`remote[c − 1][actor]`); the bridge's pause flags (home, L2, L3). */
  remote: bigint[][];
  bridgePaused: boolean[];
  /** Each bridge path's rate-limit state (BridgeGuard.PathLimit), key `${src}>${dst}` (chain indices). */
  pathLimits = new Map<string, { inFlight: bigint; updatedAt: bigint }>();
  /** Steps checked and reports applied so far. */
  steps = 0;
  reports = 0;

  constructor(
    readonly world: World,
    initial: ChainState,
  ) {
    super();
    // Starting point only: the model evolves on its own from here.
    this.totalShares = initial.totalShares;
    this.totalPooledEther = initial.totalPooledEther;
    this.clBalance = initial.clBalance;
    this.clValidators = initial.clValidators;
    this.depositedValidators = initial.depositedValidators;
    this.shares = [...initial.shares];
    this.wtp = [...initial.wtp];
    this.eth = [...initial.eth];
    this.remote = initial.remote.map((balances) => [...balances]);
    this.bridgePaused = [...initial.bridgePaused];
    this.gas = Array<bigint>(ACTORS).fill(0n);
    this.withdrawalVaultEth = initial.withdrawalVaultEth;
    this.elRewardsVaultEth = initial.elRewardsVaultEth;
    this.depositContractEth = initial.depositContractEth;
    this.lockedEther = initial.lockedEther;
    this.pausedCapabilities = initial.pausedCapabilities;
    this.bunker = initial.bunker;
    this.queuePaused = initial.queuePaused;
    this.fees = { ...initial.fees };
    this.instant = { ...initial.instant };
    this.liquidityTargetBP = initial.liquidityTargetBP;
    this.stakeLimit = {
      max: 0n,
      growthBlocks: 0n,
      prevLimit: initial.stakeLimit.prevLimit,
      prevBlock: initial.stakeLimit.prevBlock,
    };
    this.bondShares = initial.bondShares;
    this.exitedKeys = initial.operator.exitedKeys;
    this.lastRefSlot = initial.lastProcessedRefSlot;
    this.redeemFrame = { ...initial.redeemFrame };
    this.reserve = initial.queueReserve;
  }

  idx(who: Who): number {
    return this.world.index(who);
  }

  bufferedEther(): bigint {
    return this.totalPooledEther - this.clBalance - (this.depositedValidators - this.clValidators) * DEPOSIT_SIZE;
  }
  /** Buffer minus the ETH the unfinalized requests asked for (the pool's reserve), saturating. */
  instantLiquidity(): bigint {
    return max(0n, this.bufferedEther() - this.reserve);
  }
  depositableEther(): bigint {
    const reserve = ceilDiv(this.totalPooledEther * this.liquidityTargetBP, TOTAL_BP);
    return max(0n, this.instantLiquidity() - reserve);
  }
  /** Operator 0's deposited, not exited validators: the registry's active validators. */
  activeValidators(): bigint {
    return this.depositedValidators - this.exitedKeys;
  }
  /** pendingOperatorRewards(0): accrued plus the index growth since its checkpoint, rounded down. */
  pendingOperatorRewards(): bigint {
    return this.accruedRewards + (this.rewardIndexGrowth * this.activeValidators()) / REWARD_INDEX_SCALE;
  }
  /** _accrueRewards(0, active): books the index growth for the validators active until now. */
  private accrueRewards(): void {
    this.accruedRewards += (this.rewardIndexGrowth * this.activeValidators()) / REWARD_INDEX_SCALE;
    this.rewardIndexGrowth = 0n;
  }
  /** depositKeys: the rewards accrue, then `count` more active validators. */
  depositKeys(count: bigint): void {
    this.accrueRewards();
    this.depositedValidators += count;
  }
  /**
   * reportExitedKeys(0, exitedKeys): the rewards accrue, then fewer active validators (their bond is
   * free). A count at or below the recorded one changes nothing (a proof may be ahead of the reports).
   */
  reportExitedKeys(exitedKeys: bigint): void {
    if (exitedKeys <= this.exitedKeys) return;
    this.accrueRewards();
    this.exitedKeys = exitedKeys;
  }
  /** distributeOperatorRewards: held back while no validator is active, else the index grows (rounded down). */
  private distributeOperatorRewards(shares: bigint): void {
    const total = shares + this.heldBackRewards;
    const active = this.activeValidators();
    if (active === 0n) this.heldBackRewards = total;
    else {
      this.rewardIndexGrowth += (total * REWARD_INDEX_SCALE) / active;
      this.heldBackRewards = 0n;
    }
  }
  /** slashingCreditGwei(refSlot): the credit a report with this reference slot may draw on. */
  slashingCreditAt(refSlot: bigint): bigint {
    return refSlot <= this.slashingCreditUntilSlot ? this.slashingCreditGwei : 0n;
  }
  /** proveSlashed at header slot `slot` (its time `slotTime`): credit, hold and bunker mode. */
  proveSlashed(keyIndex: bigint, slot: bigint, slotTime: bigint, effectiveBalanceGwei: bigint): void {
    if (this.slashingCreditUntilSlot < slot) this.slashingCreditGwei = 0n;
    this.slashingCreditGwei += effectiveBalanceGwei;
    this.slashingCreditUntilSlot = max(this.slashingCreditUntilSlot, slot + SLASHING_CREDIT_SLOTS);
    this.slashingHoldFrom = max(this.slashingHoldFrom, slotTime);
    this.slashingHold = true;
    this.bunker = true;
    this.keyFacts.set(keyIndex, (this.keyFacts.get(keyIndex) ?? 0n) | FACT_SLASHED);
  }
  /** proveExited: one more validator proven exited; the registry's count is raised to it if below. */
  proveExited(keyIndex: bigint): void {
    this.provenExitedKeys += 1n;
    this.keyFacts.set(keyIndex, (this.keyFacts.get(keyIndex) ?? 0n) | FACT_EXITED);
    this.reportExitedKeys(this.provenExitedKeys);
  }
  /** After a report with reference slot time `refTime` applied: a proven slashing's hold keeps bunker mode on, or ends. */
  applySlashingHold(refTime: bigint): void {
    if (!this.slashingHold) return;
    if (refTime < this.slashingHoldFrom) this.bunker = true;
    else this.slashingHold = false;
  }
  unfinalizedEther(): bigint {
    return sum(this.requests.slice(this.lastFinalizedId).map((r) => r.amountOfEther));
  }
  /** The ETH a finalized, unclaimed request pays: min(nominal, ⌊shares × rateRay / 1e27⌋). */
  claimableOf(id: number): bigint {
    const r = this.requests[id - 1];
    if (r.claimed || r.checkpoint === 0) return 0n;
    return payoutOf(r.amountOfEther, r.shares, this.checkpoints[r.checkpoint].rateRay);
  }
  /**
   * An instant redemption of `amount` at block time `now`: its fee and the frame state it leaves. The
   * frame's first redemption fixes its starting liquidity L (in whole gwei); after u redeemed this
   * frame, fee = ⌈(G(u + amount) − G(u)) / (10,000·L)⌉ with G(U) = U·(min·L + (max − min)·U) up to L
   * and L·(max·L + (2·max − min)·(U − L)) beyond; L = 0: ⌈amount·(2·max − min) / 10,000⌉.
   */
  instantFee(amount: bigint, now: bigint): { fee: bigint; frame: InstantFrame } {
    const index = now / INSTANT_REDEEM_FRAME_SECONDS;
    const frame =
      this.redeemFrame.frameIndex === index
        ? { ...this.redeemFrame }
        : { frameIndex: index, redeemedInFrame: 0n, frameLiquidityGwei: this.instantLiquidity() / GWEI };
    const { minFeeBP: lo, maxFeeBP: hi } = this.instant;
    const L = frame.frameLiquidityGwei * GWEI;
    const G = (U: bigint): bigint => (U <= L ? U * (lo * L + (hi - lo) * U) : L * (hi * L + (2n * hi - lo) * (U - L)));
    const u = frame.redeemedInFrame;
    const fee =
      amount === 0n
        ? 0n
        : L === 0n
          ? ceilDiv(amount * (2n * hi - lo), TOTAL_BP)
          : ceilDiv(G(u + amount) - G(u), TOTAL_BP * L);
    return { fee, frame };
  }

  /** What a claim releases from the lock: the nominal amount in a nominal batch, its shares' value otherwise. */
  lockedFor(id: number): bigint {
    const r = this.requests[id - 1];
    const c = this.checkpoints[r.checkpoint];
    return c.nominal ? r.amountOfEther : (r.shares * c.rateRay) / RAY;
  }
  nftOwner(id: number): number {
    return this.requests[id - 1].owner;
  }

  allowance(token: "tp" | "wtp", owner: number, spender: number): bigint {
    return this.allowances.get(`${token}:${owner}>${spender}`) ?? 0n;
  }
  setAllowance(token: "tp" | "wtp", owner: number, spender: number, value: bigint): void {
    this.allowances.set(`${token}:${owner}>${spender}`, value);
  }
  /** Spends an allowance (unlimited ones stay). */
  spendAllowance(token: "tp" | "wtp", owner: number, spender: number, value: bigint): void {
    const current = this.allowance(token, owner, spender);
    if (current !== (1n << 256n) - 1n) this.setAllowance(token, owner, spender, current - value);
  }

  /** The stake limit at block `blockNumber` (type(uint256).max when off), before staking-paused. */
  stakeLimitAt(blockNumber: bigint): bigint {
    const l = this.stakeLimit;
    if (l.max === 0n) return (1n << 256n) - 1n;
    const perBlock = l.growthBlocks === 0n ? 0n : l.max / l.growthBlocks;
    return min(l.max, l.prevLimit + (blockNumber - l.prevBlock) * perBlock);
  }

  // ──────────────── Moves ────────────────

  /** A stake of `amount` by actor `staker` minting floor(a·S/P) shares to `holder`. */
  stake(staker: number, holder: number, amount: bigint): bigint {
    const shares = this.toSharesDown(amount);
    this.totalShares += shares;
    this.totalPooledEther += amount;
    this.shares[holder] += shares;
    this.eth[staker] -= amount;
    this.eth[this.idx("pool")] += amount;
    return shares;
  }

  /** A share move between two holders; an inflow for the receiver when it is someone else. */
  moveShares(from: number, to: number, shares: bigint): void {
    this.shares[from] -= shares;
    this.shares[to] += shares;
    if (from !== to) this.inflows.push({ to, shares });
  }

  /**
   * What a bridge path lets through at `timestamp` (BridgeGuard._inFlightAndAvailable: the amount in
   * flight decays linearly, the whole limit per window).
   */
  pathAvailable(src: number, dst: number, timestamp: bigint): { inFlight: bigint; available: bigint } {
    const p = this.pathLimits.get(`${src}>${dst}`) ?? { inFlight: 0n, updatedAt: 0n };
    const decayed = (FUZZ_PATH_LIMIT * (timestamp - p.updatedAt)) / FUZZ_PATH_WINDOW;
    const inFlight = p.inFlight > decayed ? p.inFlight - decayed : 0n;
    return { inFlight, available: FUZZ_PATH_LIMIT > inFlight ? FUZZ_PATH_LIMIT - inFlight : 0n };
  }

  /**
   * A bridge send of `sent` wtpETH (dust removed) by actor `from` on chain `src` to actor `to` on chain
   * `dst`, delivered in the same transaction: locked in the adapter or burnt at the source, unlocked or
   * minted at the destination; the path's limit consumed at `timestamp`.
   */
  bridgeSend(from: number, src: number, to: number, dst: number, sent: bigint, timestamp: bigint): void {
    const adapter = this.idx("adapter");
    if (src === 0) {
      this.wtp[from] -= sent;
      this.wtp[adapter] += sent;
    } else this.remote[src - 1][from] -= sent;
    if (dst === 0) {
      this.wtp[adapter] -= sent;
      this.wtp[to] += sent;
    } else this.remote[dst - 1][to] += sent;
    if (from !== to) this.inflows.push({ to, shares: sent });
    const { inFlight } = this.pathAvailable(src, dst, timestamp);
    this.pathLimits.set(`${src}>${dst}`, { inFlight: inFlight + sent, updatedAt: timestamp });
  }

  /** A wtpETH move between two holders. */
  moveWtp(from: number, to: number, value: bigint): void {
    this.wtp[from] -= value;
    this.wtp[to] += value;
    if (from !== to) this.inflows.push({ to, shares: value });
  }

  wrap(holder: number, shares: bigint): void {
    this.shares[holder] -= shares;
    this.shares[this.idx("wrapper")] += shares;
    this.wtp[holder] += shares;
  }

  unwrap(holder: number, shares: bigint): void {
    this.shares[this.idx("wrapper")] -= shares;
    this.shares[holder] += shares;
    this.wtp[holder] -= shares;
  }

  /** Enqueues a request whose shares already sit in the queue. */
  enqueue(owner: number, amountOfEther: bigint, shares: bigint, timestamp: bigint): number {
    this.requests.push({ owner, amountOfEther, shares, timestamp, checkpoint: 0, claimed: false });
    return this.requests.length;
  }

  // ──────────────── Reports ────────────────

  /** What a key owes: its loss to date less what the oracle charged it before, if more. */
  keyLoss(keyIndex: bigint, lossToDateGwei: bigint): KeyLoss {
    const charged = this.keyCharged.get(keyIndex) ?? 0n;
    return { keyIndex, lossToDateGwei, owedGwei: max(0n, lossToDateGwei - charged) };
  }

  /**
   * A report's outcome per the AccountingOracle and StakingPool NatSpec (preCL, per-key losses, bond
   * tranche, smoothing budget, fee shares, insurance tranche, finalization in batches at the
   * post-report rate), from the model's state alone: the state when the report applies.
   * `lossGwei` is operator 0's loss (operatorLossesGwei), `keyLosses` its keys' losses to date;
   * `batchEnds` the queue's batches (empty: no finalization); `maxPositiveRebasePPB` the oracle's limit.
   */
  computeReport(
    refSlot: bigint,
    numValidators: bigint,
    clBalanceGwei: bigint,
    withdrawalReported: bigint,
    elReported: bigint,
    lossGwei: bigint,
    keyLosses: { keyIndex: bigint; lossToDateGwei: bigint }[],
    bunker: boolean,
    batchEnds: number[],
    maxPositiveRebasePPB: bigint,
  ): ReportOutcome {
    const P = this.totalPooledEther;
    const S = this.totalShares;
    const clBalance = clBalanceGwei * GWEI;
    const preCL = this.clBalance + (numValidators - this.clValidators) * DEPOSIT_SIZE;
    const lossWei = lossGwei * GWEI;
    let bondBurned = 0n;
    let bondCovered = 0n;
    if (lossWei > 0n) {
      const wanted = ceilDiv(lossWei * S, P);
      bondBurned = min(wanted, this.bondShares);
      bondCovered = bondBurned === wanted ? lossWei : (bondBurned * P) / S;
    }
    const budget = (P * maxPositiveRebasePPB) / PPB;
    let credit = clBalance + bondCovered;
    const room = max(0n, preCL + budget - credit);
    const withdrawalTaken = min(withdrawalReported, room);
    const elTaken = min(elReported, room - withdrawalTaken);
    credit += withdrawalTaken + elTaken;
    const postTotalEther = P + credit - bondCovered - preCL;
    const feeWei = { treasury: 0n, operators: 0n, insurance: 0n };
    const feeShares = { treasury: 0n, operators: 0n, insurance: 0n };
    let insuranceBurned = 0n;
    let rewards = 0n;
    if (credit >= preCL) {
      rewards = credit - preCL;
      feeWei.treasury = (rewards * this.fees.treasuryFeeBP) / TOTAL_BP;
      feeWei.operators = (rewards * this.fees.operatorsFeeBP) / TOTAL_BP;
      feeWei.insurance = (rewards * this.fees.insuranceFeeBP) / TOTAL_BP;
      const total = feeWei.treasury + feeWei.operators + feeWei.insurance;
      if (total > 0n) {
        const sharesLeft = S - bondBurned;
        feeShares.treasury = (feeWei.treasury * sharesLeft) / (postTotalEther - total);
        feeShares.operators = (feeWei.operators * sharesLeft) / (postTotalEther - total);
        feeShares.insurance = (feeWei.insurance * sharesLeft) / (postTotalEther - total);
      }
    } else {
      const loss = preCL - credit;
      const fundShares = this.shares[this.idx("insurance")];
      const fundWei = (fundShares * P) / S;
      insuranceBurned = loss < fundWei ? ceilDiv(loss * S, P) : fundShares;
    }
    const postTotalShares =
      S - bondBurned - insuranceBurned + feeShares.treasury + feeShares.operators + feeShares.insurance;
    const available = this.bufferedEther() + withdrawalTaken + elTaken;
    const batches = this.previewBatches(batchEnds, postTotalEther, postTotalShares);
    const lock = sum(batches.map((b) => b.lock));
    const burn = sum(batches.map((b) => b.burn));
    return {
      refSlot,
      numValidators,
      clBalance,
      preCL,
      preTotalEther: P,
      preTotalShares: S,
      lossWei,
      bondBurned,
      bondCovered,
      withdrawalTaken,
      elTaken,
      postTotalEther,
      postTotalShares,
      rewards,
      feeWei,
      feeShares,
      insuranceBurned,
      available,
      batches,
      lock,
      burn,
      finalizedNominal: sum(batches.map((b) => b.nominalEther)),
      keyLosses: keyLosses.map((k) => this.keyLoss(k.keyIndex, k.lossToDateGwei)),
      finalTotalEther: postTotalEther - lock,
      finalTotalShares: postTotalShares - burn,
      bunker,
    };
  }

  /** The queue's batches after the last finalized request, ending at each of `ends` in turn, at the rate rateEther / rateShares. */
  previewBatches(ends: number[], rateEther: bigint, rateShares: bigint): BatchOutcome[] {
    const rateRay = rateRayOf(rateEther, rateShares);
    const batches: BatchOutcome[] = [];
    let from = this.lastFinalizedId + 1;
    for (const end of ends) {
      const requests = this.requests.slice(from - 1, end);
      const nominalEther = sum(requests.map((r) => r.amountOfEther));
      const burn = sum(requests.map((r) => r.shares));
      const lock = lockOf(nominalEther, burn, rateRay);
      batches.push({ fromId: from, toId: end, rateRay, lock, burn, nominalEther, nominal: lock === nominalEther });
      from = end + 1;
    }
    return batches;
  }

  /** The queue's lock for finalizing up to `lastId` as one batch at the rate rateEther / rateShares. */
  previewFinalization(lastId: number, rateEther: bigint, rateShares: bigint): bigint {
    return this.previewBatches([lastId], rateEther, rateShares)[0].lock;
  }

  /** Applies a report's outcome. */
  applyReport(o: ReportOutcome): void {
    const [registry, insurance, treasury, queue, pool] = ["registry", "insurance", "treasury", "queue", "pool"].map(
      (w) => this.idx(w as Other),
    );
    this.shares[registry] += o.feeShares.operators - o.bondBurned;
    if (o.feeShares.operators !== 0n) this.distributeOperatorRewards(o.feeShares.operators);
    this.shares[insurance] += o.feeShares.insurance - o.insuranceBurned;
    this.shares[treasury] += o.feeShares.treasury;
    this.bondShares -= o.bondBurned;
    this.clBalance = o.clBalance;
    this.clValidators = o.numValidators;
    this.withdrawalVaultEth -= o.withdrawalTaken;
    this.elRewardsVaultEth -= o.elTaken;
    this.eth[pool] += o.withdrawalTaken + o.elTaken;
    this.totalPooledEther = o.finalTotalEther;
    this.totalShares = o.finalTotalShares;
    for (const k of o.keyLosses) {
      if (k.owedGwei > 0n) this.keyCharged.set(k.keyIndex, k.lossToDateGwei);
    }
    for (const b of o.batches) {
      this.checkpoints.push({ fromId: b.fromId, toId: b.toId, rateRay: b.rateRay, nominal: b.nominal });
      const index = this.checkpoints.length - 1;
      for (let id = b.fromId; id <= b.toId; id++) this.requests[id - 1].checkpoint = index;
      this.lastFinalizedId = b.toId;
    }
    if (o.batches.length > 0) {
      this.shares[queue] -= o.burn;
      this.reserve -= min(o.finalizedNominal, this.reserve);
      this.lockedEther += o.lock;
      this.eth[pool] -= o.lock;
      this.eth[queue] += o.lock;
    }
    this.lastRefSlot = o.refSlot;
    this.bunker = o.bunker;
    this.reports += 1;
  }

  /** The unix time of a reference slot. */
  async slotTimestamp(refSlot: bigint): Promise<bigint> {
    return slotTime(await frameTiming(this.world.f.oracle), refSlot);
  }
}

/** Deploys (first call) or reverts to the fixture snapshot, and builds a fresh model of it. */
export async function setupFuzzWorld(): Promise<{ model: ProtocolModel; real: World }> {
  const f = await loadFixture(deployFuzzFixture);
  const real = await World.create(f);
  const initial = await real.read();
  // The fixture's starting point the model relies on.
  expect(initial.lastRequestId, "fixture: no withdrawal request yet").to.equal(0n);
  expect(initial.stakeLimit.max, "fixture: no stake limit").to.equal(0n);
  expect(initial.clValidators, "fixture: every deposited validator is visible").to.equal(initial.depositedValidators);
  expect(
    (await f.registry.getNodeOperator(OPERATOR_ID)).depositedKeys,
    "fixture: every deposited validator is operator 0's (its keys are the ones losses name)",
  ).to.equal(initial.depositedValidators);
  // Operator rewards start from nothing: no index growth to book, nothing held back.
  expect(await f.registry.getNodeOperatorsCount(), "fixture: one operator").to.equal(1n);
  expect(initial.operator.pendingRewards, "fixture: no operator rewards yet").to.equal(0n);
  expect(initial.shares[real.index("registry")], "fixture: the registry holds only the bond").to.equal(
    initial.bondShares,
  );
  real.last = initial;
  const model = new ProtocolModel(real, initial);
  model.setAllowance(
    "wtp",
    0,
    real.index("adapter"),
    await f.wrapper.allowance(real.address(0), real.address("adapter")),
  );
  for (let src = 0; src < BRIDGE_EIDS.length; src++) {
    for (let dst = 0; dst < BRIDGE_EIDS.length; dst++) {
      if (src === dst) continue;
      const p = await oftOf(f, src).pathLimits(BRIDGE_EIDS[dst]);
      model.pathLimits.set(`${src}>${dst}`, { inFlight: p.inFlight, updatedAt: p.updatedAt });
    }
  }
  return { model, real };
}
