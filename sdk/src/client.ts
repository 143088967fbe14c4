/**
 * `TidepoolClient`: one object for everything a holder or an integrator does with Tidepool — read
 * the protocol's status, balances and withdrawal requests; stake, wrap, unwrap, request
 * withdrawals, claim and redeem instantly — over ethers v6 only (Node and browsers).
 *
 * Every write is simulated before anything is sent, and every failure is thrown as a
 * {@link TidepoolSdkError}: one plain sentence (amounts in ETH) plus the original error in `raw`.
 */
import {
  Interface,
  ZeroAddress,
  dataLength,
  getAddress,
  isAddress,
  type ContractRunner,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type LogDescription,
  type Provider,
  type Signer,
} from "ethers";
import { NodeOperatorRegistry__factory } from "./contracts";
import type { IWithdrawalQueue } from "./contracts/WithdrawalQueue";
import { deploymentOf, type DeploymentBook } from "./deployments";
import { customSdkError, isUserRejection, toSdkError } from "./errors";
import { eth, ethAtMost } from "./format";
import { PERMIT_TYPES, permitDomain, signPermit } from "./permit";
import { INTERFACES, connectProtocol, type Protocol } from "./protocol";
import { frameTiming, slotTime } from "./report";
import { TidepoolSdkError } from "./sdk-error";
import { CAPABILITY_INSTANT_REDEEM, readProtocolStatus, redeemableNow, type ProtocolStatus } from "./status";
import { checkpointHints, expectedWait, requestState, type ExpectedWait, type RequestState } from "./withdrawals";

/** Basis points in one whole. */
const BASIS_POINTS = 10_000n;
/** How long a permit the client signs stays valid, in seconds after the latest block. */
export const PERMIT_LIFETIME_SECONDS = 3_600n;
/** What `onERC721Received` returns when a contract accepts an NFT. */
const ERC721_RECEIVED = "0x150b7a02";
const ERC721_RECEIVER = new Interface([
  "function onERC721Received(address operator, address from, uint256 tokenId, bytes data) returns (bytes4)",
]);

/** How {@link TidepoolClient.connect} finds the deployment and whom it acts for. */
export interface ConnectOptions {
  /** A Provider for reads only, or a Signer (connected to a provider) for reads and writes. */
  runner: Provider | Signer;
  /** The StakingPool (tpETH) address; when absent, looked up by the provider's chain id in `deployments`. */
  pool?: string;
  /** Pool addresses per chain id (see {@link deploymentBook} for Ignition records). */
  deployments?: DeploymentBook;
}

/** {@link ProtocolStatus} plus the figures a holder looks at before acting. */
export interface ClientStatus extends ProtocolStatus {
  /** ETH per 10^18 shares (one wtpETH), in wei, rounded half up; 0 before any share exists. */
  shareRate: bigint;
  /** ETH that can be staked right now, in wei (2^256 − 1 when there is no limit, 0 while paused). */
  stakeLimit: bigint;
  /** Smallest ETH value of one withdrawal request, in wei. */
  minWithdrawal: bigint;
  /** Largest ETH value of one withdrawal request, in wei. */
  maxWithdrawal: bigint;
  /** Requests made but not finalized yet. */
  pendingRequests: bigint;
  /** How long a new request of `newRequestEther` (default 0) is expected to wait. */
  expectedWait: ExpectedWait;
  /** The latest block's time, which the figures are read at (unix seconds). */
  timestamp: bigint;
}

/** What an account holds, in wei. */
export interface Balances {
  /** The account these are the balances of. */
  account: string;
  /** Its ETH. */
  eth: bigint;
  /** Its tpETH (rebasing: the ETH value of its shares, rounded down). */
  tpEth: bigint;
  /** Its pool shares (what its tpETH is made of). */
  shares: bigint;
  /** Its wtpETH (one wtpETH is one pool share). */
  wtpEth: bigint;
  /** The tpETH value of its wtpETH now. */
  wtpEthValue: bigint;
}

/** A withdrawal request as the client reads it. */
export interface WithdrawalRequestInfo {
  /** The request's id (and its tpWR NFT's id). */
  id: bigint;
  /** The ETH requested, in wei (the tpETH locked, or the value of the wtpETH). */
  amountOfEther: bigint;
  /** The pool shares locked. */
  amountOfShares: bigint;
  /** Its owner (the last owner once claimed). */
  owner: string;
  /** When it was made (unix seconds). */
  timestamp: bigint;
  /** Pending (waiting for finalization), claimable, or claimed. */
  status: RequestState;
  /** The ETH a claim would pay now, in wei (0 unless claimable). */
  claimableEther: bigint;
  /** The checkpoint hint to claim it with (0 unless finalized). */
  hint: bigint;
}

/** A transaction sent by the client. */
export interface TxResult {
  /** The mined transaction's receipt. */
  receipt: ContractTransactionReceipt;
}

/** The outcome of {@link TidepoolClient.stake}. */
export interface StakeResult extends TxResult {
  /** The ETH staked, in wei. */
  amount: bigint;
  /** The pool shares minted. */
  shares: bigint;
  /** The tpETH minted (the shares' value right after the stake), in wei. */
  tpEth: bigint;
}

/** The outcome of {@link TidepoolClient.wrap} and {@link TidepoolClient.unwrap}. */
export interface WrapResult extends TxResult {
  /** The tpETH wrapped (or received by unwrapping), in wei. */
  tpEth: bigint;
  /** The wtpETH minted (or burned by unwrapping). */
  wtpEth: bigint;
}

/** A request made by {@link TidepoolClient.requestWithdrawals}. */
export interface NewRequest {
  /** The new request's id. */
  id: bigint;
  /** Its owner. */
  owner: string;
  /** The ETH it asks for, in wei. */
  amountOfEther: bigint;
  /** The pool shares it locks. */
  amountOfShares: bigint;
}

/** How the queue was allowed to take the tokens of a request. */
export type RequestAuthorization = "permit" | "approval" | "allowance";

/** The outcome of {@link TidepoolClient.requestWithdrawals}. */
export interface RequestResult extends TxResult {
  /** A signed permit went with the request; or an exact approval was sent first; or the allowance already sufficed. */
  authorization: RequestAuthorization;
  /** The approval's receipt, when one was sent. */
  approval?: ContractTransactionReceipt;
  /** The new requests, in the order of the amounts. */
  requests: NewRequest[];
  /** Their ids. */
  ids: bigint[];
}

/** One claimed request. */
export interface ClaimedRequest {
  /** The request. */
  id: bigint;
  /** Its owner. */
  owner: string;
  /** Who received the ETH. */
  receiver: string;
  /** The ETH paid, in wei. */
  amountOfEther: bigint;
}

/** The outcome of {@link TidepoolClient.claim}; no receipt when there was nothing to claim. */
export interface ClaimResult {
  /** The claim's receipt; undefined when nothing was claimable (nothing was sent). */
  receipt?: ContractTransactionReceipt;
  /** The requests claimed. */
  ids: bigint[];
  /** Each claim. */
  claims: ClaimedRequest[];
  /** The ETH paid in all, in wei. */
  ethOut: bigint;
}

/** What an instant redemption of an amount would pay now, or why it cannot be done. */
export interface InstantRedeemPreview {
  /** The tpETH to redeem, in wei. */
  amount: bigint;
  /** Whether it can be done now; when false, `reason` says why and the figures below are 0. */
  ok: boolean;
  /** Why it cannot be done, in one sentence (only when `ok` is false). */
  reason?: string;
  /** The custom error the pool would raise (only when `ok` is false and there is one). */
  errorName?: string;
  /** The ETH it would pay, in wei. */
  ethOut: bigint;
  /** The fee that would stay in the pool, in wei. */
  fee: bigint;
  /** The fee in basis points of the amount, rounded half up. */
  feeBP: bigint;
  /** The slippage tolerance `minOut` was taken with, in basis points. */
  slippageBP: bigint;
  /** The least ETH to accept: `ethOut` less the slippage tolerance, rounded down. */
  minOut: bigint;
  /** The most tpETH anyone can redeem instantly now (see {@link ProtocolStatus.redeemableNow}). */
  redeemableNow: bigint;
}

/** The outcome of {@link TidepoolClient.instantRedeem}. */
export interface InstantRedeemResult extends TxResult {
  /** The tpETH redeemed, in wei. */
  amount: bigint;
  /** The shares burned. */
  shares: bigint;
  /** The ETH paid, in wei. */
  ethOut: bigint;
  /** The fee kept by the pool, in wei. */
  fee: bigint;
  /** Who received the ETH. */
  recipient: string;
}

/**
 * What a withdrawal request of an amount would be, or why the queue would refuse it now (see
 * {@link TidepoolClient.previewWithdrawal}).
 */
export interface WithdrawalPreview {
  /** The tpETH (or wtpETH, when `wrapped`) to withdraw, in wei. */
  amount: bigint;
  /** Whether `amount` is wtpETH. */
  wrapped: boolean;
  /** Whether the queue would accept it now; when false, `reason` says why and `amountOfShares` is 0. */
  ok: boolean;
  /** Why it would be refused, in one sentence (only when `ok` is false). */
  reason?: string;
  /** The custom error it would be refused with (only when `ok` is false). */
  errorName?: string;
  /** The ETH the request would ask for, in wei: the tpETH amount, or the wtpETH's value now. */
  amountOfEther: bigint;
  /** The pool shares it would lock. */
  amountOfShares: bigint;
  /** The fee, in wei: always 0 (a request is paid up to its ETH, less only if a loss is realised before it is finalized). */
  fee: bigint;
  /** How long it is expected to wait: {@link ClientStatus.expectedWait} of `client.status(amountOfEther)`. */
  expectedWait: ExpectedWait;
}

/** One node operator's validators, as {@link TidepoolClient.overview} reads them. */
export interface OperatorValidators {
  /** The operator's id. */
  id: bigint;
  /** Its name. */
  name: string;
  /** Validators it was ever deposited for. */
  depositedKeys: bigint;
  /** Those that have exited. */
  exitedKeys: bigint;
  /** Those running now (deposited, not exited). */
  running: bigint;
}

/** The last applied oracle report, as {@link TidepoolClient.overview} reads it. */
export interface LastReportInfo {
  /** Its reference slot. */
  refSlot: bigint;
  /** Seconds from its reference slot to the latest block. */
  ageSeconds: bigint;
  /** The time it covered, in seconds (since the report before it). */
  timeElapsedSeconds: bigint;
}

/** What an operator of the protocol looks at beyond {@link ClientStatus}: validators, the last report, fees. */
export interface ProtocolOverview {
  /** Validators the pool ever deposited for. */
  depositedValidators: bigint;
  /** Validators the last report saw on the consensus layer. */
  beaconValidators: bigint;
  /** Their balance on the consensus layer, per the last report, in wei. */
  beaconBalance: bigint;
  /** The last applied report; undefined before the first. */
  lastReport?: LastReportInfo;
  /** The protocol's fee on rewards, in basis points (the sum of the three below). */
  protocolFeeBP: bigint;
  /** The treasury's part, in basis points of rewards. */
  treasuryFeeBP: bigint;
  /** The operators' part, in basis points of rewards. */
  operatorsFeeBP: bigint;
  /** The insurance fund's part, in basis points of rewards. */
  insuranceFeeBP: bigint;
  /** Where the treasury's part goes. */
  treasury: string;
  /** Every operator ever admitted, by id. */
  operators: OperatorValidators[];
  /** The latest block's time, which the figures are read at (unix seconds). */
  timestamp: bigint;
}

/** Options of {@link TidepoolClient.requestWithdrawals}. */
export interface RequestOptions {
  /** The amounts are wtpETH (default: tpETH). */
  wrapped?: boolean;
  /** Who owns the requests (default: the signer). The zero address is refused. */
  owner?: string;
  /** Try a permit signature before an approval (default true). */
  permit?: boolean;
}

/** Whether `runner` can sign (a Signer) rather than only read (a Provider). */
function isSigner(runner: Provider | Signer): runner is Signer {
  return typeof (runner as Partial<Signer>).getAddress === "function";
}

/** `value` as a checksummed address; a {@link TidepoolSdkError} naming `what` otherwise. */
function checkedAddress(value: string, what: string): string {
  if (!isAddress(value)) throw new TidepoolSdkError(`The ${what} "${value}" is not an address.`);
  return getAddress(value);
}

const sum = (values: readonly bigint[]): bigint => values.reduce((a, b) => a + b, 0n);

/**
 * `holder` holds less than `amount` (of `unit`) to `purpose`: "0x… holds 0.5 tpETH, less than the
 * 1 tpETH to wrap.", the balance rounded down and the amount exact. For a token, it carries the
 * custom error the token would raise (`ERC20InsufficientBalance`).
 */
function shortfall(holder: string, balance: bigint, amount: bigint, unit: string, purpose: string): TidepoolSdkError {
  return new TidepoolSdkError(
    `${holder} holds ${ethAtMost(balance, 6, unit)}, less than the ${eth(amount, 18, unit)} to ${purpose}.`,
    unit === "ETH" ? {} : { errorName: "ERC20InsufficientBalance", args: [holder, balance, amount] },
  );
}

/** A request's owner: `owner` checked (the zero address refused, never replaced), else `holder`. */
function requestOwner(owner: string | undefined, holder: string): string {
  if (owner !== undefined && isAddress(owner) && getAddress(owner) === ZeroAddress) {
    throw new TidepoolSdkError(
      "The zero address cannot own a withdrawal request: leave the owner out to own it yourself, or name another address.",
    );
  }
  return owner === undefined ? holder : checkedAddress(owner, "owner");
}

/**
 * The Tidepool protocol for one account (or for reads only). Make one with
 * {@link TidepoolClient.connect}; switch accounts with {@link TidepoolClient.connect | client.connect(signer)}.
 */
export class TidepoolClient {
  /** Typed contracts (pool = tpETH, wrapper = wtpETH, withdrawal queue, oracle) and their addresses. */
  readonly protocol: Protocol;
  /** The provider reads go through. */
  readonly provider: Provider;
  /** The signer writes are sent with; undefined for a read-only client. */
  readonly signer?: Signer;
  /** The chain the client is connected to. */
  readonly chainId: bigint;
  /** Every contract interface whose custom errors are decoded into sentences. */
  readonly interfaces: readonly Interface[] = INTERFACES;

  private constructor(protocol: Protocol, provider: Provider, chainId: bigint, signer?: Signer) {
    this.protocol = protocol;
    this.provider = provider;
    this.chainId = chainId;
    if (signer !== undefined) this.signer = signer;
  }

  /**
   * Connects to the deployment around `options.pool`, or to the one `options.deployments` lists for
   * the provider's chain. Throws a {@link TidepoolSdkError} when there is no deployment for the
   * chain, no contract at the address, or a contract that is not a Tidepool pool.
   */
  static async connect(options: ConnectOptions): Promise<TidepoolClient> {
    const { runner } = options;
    const signer = isSigner(runner) ? runner : undefined;
    const provider = signer ? signer.provider : (runner as Provider);
    if (!provider) {
      throw new TidepoolSdkError("The signer has no provider: connect it to one before connecting the SDK.");
    }
    const chainId = (await provider.getNetwork()).chainId;
    let pool = options.pool;
    if (pool === undefined) {
      const found = options.deployments ? deploymentOf(options.deployments, chainId) : undefined;
      if (!found) {
        throw new TidepoolSdkError(
          `Tidepool has no known deployment on chain ${chainId}: give the pool's address, or deployments that list this chain.`,
        );
      }
      pool = found.pool;
    }
    const address = checkedAddress(pool, "pool address");
    if ((await provider.getCode(address)) === "0x") {
      throw new TidepoolSdkError(
        `There is no contract at ${address} on chain ${chainId}: check the address and the network.`,
      );
    }
    try {
      return new TidepoolClient(await connectProtocol(address, runner as ContractRunner), provider, chainId, signer);
    } catch (error) {
      throw new TidepoolSdkError(`The contract at ${address} on chain ${chainId} is not a Tidepool staking pool.`, {
        raw: error,
      });
    }
  }

  /** The same deployment for another account: `signer` for writes, or a provider for reads only. */
  connect(runner: Provider | Signer): TidepoolClient {
    const signer = isSigner(runner) ? runner : undefined;
    const provider = signer ? signer.provider : (runner as Provider);
    if (!provider) {
      throw new TidepoolSdkError("The signer has no provider: connect it to one before connecting the SDK.");
    }
    const p = this.protocol;
    const protocol: Protocol = {
      pool: p.pool.connect(runner),
      wrapper: p.wrapper.connect(runner),
      queue: p.queue.connect(runner),
      oracle: p.oracle.connect(runner),
      addresses: { ...p.addresses },
    };
    return new TidepoolClient(protocol, provider, this.chainId, signer);
  }

  /** The contracts' addresses. */
  get addresses(): Protocol["addresses"] {
    return this.protocol.addresses;
  }

  // ──────────────────────────────── Reads ────────────────────────────────

  /**
   * The protocol's status: TVL, share rate, APR of the last report, buffer, instant liquidity and
   * today's cap as one "redeemable now" figure, the queue, and the expected wait of a new request
   * worth `newRequestEther` wei (default 0: one that only waits for the queue ahead of it).
   */
  async status(newRequestEther = 0n): Promise<ClientStatus> {
    return this.guard(async () => {
      const { pool, oracle, queue } = this.protocol;
      const [status, timing, block, stakeLimit, minWithdrawal, maxWithdrawal] = await Promise.all([
        readProtocolStatus({ pool, oracle, withdrawalQueue: queue }),
        frameTiming(oracle),
        this.provider.getBlock("latest"),
        pool.getCurrentStakeLimit(),
        queue.MIN_WITHDRAWAL_AMOUNT(),
        queue.MAX_WITHDRAWAL_AMOUNT(),
      ]);
      if (!block) throw new TidepoolSdkError("The provider returned no latest block.");
      const now = BigInt(block.timestamp);
      // Before the first frame there is no current reference slot: the first report is the first frame's.
      const currentRefSlot = await oracle.getCurrentFrame().then(
        ([refSlot]) => refSlot,
        () => timing.slotsPerFrame - 1n,
      );
      const { totalEther, totalShares } = status;
      return {
        ...status,
        shareRate: totalShares === 0n ? 0n : (2n * totalEther * 10n ** 18n + totalShares) / (2n * totalShares),
        stakeLimit,
        minWithdrawal,
        maxWithdrawal,
        pendingRequests: status.lastRequestId - status.lastFinalizedRequestId,
        expectedWait: expectedWait({
          unfinalizedEther: status.unfinalizedEther,
          bufferedEther: status.bufferedEther,
          amount: newRequestEther,
          bunkerMode: status.bunkerMode,
          timing,
          currentRefSlot,
          lastProcessedRefSlot: status.lastReportRefSlot,
          now,
        }),
        timestamp: now,
      };
    });
  }

  /** ETH that can be staked right now, in wei (2^256 − 1 without a limit, 0 while staking is paused). */
  async stakeLimit(): Promise<bigint> {
    return this.guard(() => this.protocol.pool.getCurrentStakeLimit());
  }

  /** What `holder` (default: the signer) holds: ETH, tpETH and its shares, wtpETH and its tpETH value. */
  async balances(holder?: string): Promise<Balances> {
    const account = holder === undefined ? await this.signerAddress() : checkedAddress(holder, "account");
    return this.guard(async () => {
      const { pool, wrapper } = this.protocol;
      const [eth, tpEth, shares, wtpEth] = await Promise.all([
        this.provider.getBalance(account),
        pool.balanceOf(account),
        pool.sharesOf(account),
        wrapper.balanceOf(account),
      ]);
      return { account, eth, tpEth, shares, wtpEth, wtpEthValue: await pool.getPooledEthByShares(wtpEth) };
    });
  }

  /**
   * The unclaimed withdrawal requests `holder` (default: the signer) owns, in the order it got them,
   * each with its status, the ETH a claim would pay now and its checkpoint hint. Claimed requests
   * are burned and no longer owned: read them by id with {@link requestStatuses}.
   */
  async requests(holder?: string): Promise<WithdrawalRequestInfo[]> {
    const account = holder === undefined ? await this.signerAddress() : checkedAddress(holder, "account");
    const ids = await this.guard(() => this.protocol.queue.getWithdrawalRequests(account));
    return this.requestStatuses([...ids]);
  }

  /** Requests by id, claimed ones included, as {@link requests} reads them. */
  async requestStatuses(ids: readonly bigint[]): Promise<WithdrawalRequestInfo[]> {
    if (ids.length === 0) return [];
    return this.guard(async () => {
      const queue = this.protocol.queue;
      const list = [...ids];
      const [statuses, hints] = await Promise.all([queue.getWithdrawalStatus(list), checkpointHints(queue, list)]);
      const claimable = await queue.getClaimableEther(list, hints);
      return list.map((id, i) => ({
        id,
        amountOfEther: statuses[i].amountOfEther,
        amountOfShares: statuses[i].amountOfShares,
        owner: statuses[i].owner,
        timestamp: statuses[i].timestamp,
        status: requestState(statuses[i]),
        claimableEther: claimable[i],
        hint: hints[i],
      }));
    });
  }

  /** The checkpoint hints to claim `ids` with (0 for a request not finalized yet). */
  async claimHints(ids: readonly bigint[]): Promise<bigint[]> {
    return this.guard(() => checkpointHints(this.protocol.queue, [...ids]));
  }

  /**
   * What redeeming `amount` tpETH instantly would pay now, with the least ETH to accept at
   * `slippageBP` basis points of tolerance. What cannot be done now is refused, not quoted (`ok`
   * false, `reason` in words): zero, paused, bunker mode, beyond the instant liquidity or today's
   * cap (together: beyond `redeemableNow`), or beyond `holder`'s balance (default holder: the
   * signer; none for a read-only client).
   */
  async previewInstantRedeem(amount: bigint, slippageBP: bigint, holder?: string): Promise<InstantRedeemPreview> {
    if (slippageBP < 0n || slippageBP > BASIS_POINTS) {
      throw new TidepoolSdkError(`A slippage tolerance of ${slippageBP} basis points is not between 0 and 10000.`);
    }
    const account =
      holder !== undefined ? checkedAddress(holder, "account") : this.signer ? await this.signerAddress() : undefined;
    return this.guard(async () => {
      const pool = this.protocol.pool;
      const [liquidity, params, paused, bunkerMode, balance] = await Promise.all([
        pool.instantLiquidity(),
        pool.getInstantRedeemParams(),
        pool.pausedCapabilities(),
        pool.isBunkerModeActive(),
        account === undefined ? Promise.resolve(undefined) : pool.balanceOf(account),
      ]);
      const remaining = params[3];
      const instantRedeemPaused = (paused & CAPABILITY_INSTANT_REDEEM) !== 0n;
      const redeemable = redeemableNow({
        instantLiquidity: liquidity,
        instantRemainingToday: remaining,
        instantRedeemPaused,
        bunkerMode,
      });
      const refused = (name: string, args: readonly unknown[] = []): InstantRedeemPreview => {
        const error = customSdkError(name, args, this.interfaces);
        return this.refusedPreview(amount, slippageBP, redeemable, error.sentence, name);
      };
      // In the order the pool checks them.
      if (amount <= 0n) return refused("InstantRedeemZeroAmount");
      if (instantRedeemPaused) return refused("InstantRedeemPaused");
      if (bunkerMode) return refused("InstantRedeemBunkerMode");
      if (amount > liquidity) return refused("InsufficientInstantLiquidity", [amount, liquidity]);
      if (amount > remaining) return refused("InstantRedeemFrameCapExceeded", [amount, remaining]);
      if (account !== undefined && balance !== undefined && amount > balance) {
        const short = shortfall(account, balance, amount, "tpETH", "redeem");
        return this.refusedPreview(amount, slippageBP, redeemable, short.sentence, short.errorName);
      }
      let quote: [bigint, bigint];
      try {
        const [ethOut, fee] = await pool.previewInstantRedeem(amount);
        quote = [ethOut, fee];
      } catch (error) {
        const failure = toSdkError(error, this.interfaces);
        return this.refusedPreview(amount, slippageBP, redeemable, failure.sentence, failure.errorName);
      }
      const [ethOut, fee] = quote;
      return {
        amount,
        ok: true,
        ethOut,
        fee,
        feeBP: (2n * fee * BASIS_POINTS + amount) / (2n * amount),
        slippageBP,
        minOut: (ethOut * (BASIS_POINTS - slippageBP)) / BASIS_POINTS,
        redeemableNow: redeemable,
      };
    });
  }

  /**
   * What requesting the withdrawal of `amount` (tpETH wei, or wtpETH with `wrapped`) would be: the
   * ETH it asks for, the shares it locks, no fee, and the expected wait; or, when the queue would
   * refuse it now, why (`ok` false, `reason` in one sentence): beyond `holder`'s balance (default
   * holder: the signer), then as the queue checks it: below the minimum, above the maximum,
   * paused, an `owner` that cannot hold the request NFT. Nothing is sent.
   */
  async previewWithdrawal(
    amount: bigint,
    options: { wrapped?: boolean; owner?: string; holder?: string } = {},
  ): Promise<WithdrawalPreview> {
    const holder =
      options.holder === undefined ? await this.signerAddress() : checkedAddress(options.holder, "account");
    const owner = requestOwner(options.owner, holder);
    const wrapped = options.wrapped === true;
    const { pool, wrapper } = this.protocol;
    const [amountOfEther, balance] = await this.guard(() =>
      Promise.all([wrapped ? pool.getPooledEthByShares(amount) : amount, (wrapped ? wrapper : pool).balanceOf(holder)]),
    );
    const { expectedWait } = await this.status(amountOfEther);
    const preview = { amount, wrapped, amountOfEther, fee: 0n, expectedWait };
    try {
      if (amount > balance) throw shortfall(holder, balance, amount, wrapped ? "wtpETH" : "tpETH", "withdraw");
      await this.checkRequest([amount], owner, holder, wrapped);
    } catch (error) {
      const refusal = toSdkError(error, this.interfaces);
      return {
        ...preview,
        ok: false,
        reason: refusal.sentence,
        ...(refusal.errorName !== undefined ? { errorName: refusal.errorName } : {}),
        amountOfShares: 0n,
      };
    }
    const amountOfShares = wrapped ? amount : await this.guard(() => pool.getSharesByPooledEthRoundUp(amount));
    return { ...preview, ok: true, amountOfShares };
  }

  /**
   * The figures beyond {@link status} that whoever runs or watches the protocol looks at: the
   * validators (deposited, seen on the consensus layer, per operator), the last report (its slot,
   * age and span) and the protocol fee with its split.
   */
  async overview(): Promise<ProtocolOverview> {
    return this.guard(async () => {
      const { pool, oracle } = this.protocol;
      const registry = NodeOperatorRegistry__factory.connect(await pool.REGISTRY(), this.provider);
      const [[depositedValidators, beaconValidators, beaconBalance], report, processed, fees, feeBP, timing, block] =
        await Promise.all([
          pool.getBeaconStat(),
          oracle.getLastReport(),
          oracle.getLastProcessedRefSlot(),
          oracle.getFeeConfig(),
          oracle.feeBP(),
          frameTiming(oracle),
          this.provider.getBlock("latest"),
        ]);
      if (!block) throw new TidepoolSdkError("The provider returned no latest block.");
      const timestamp = BigInt(block.timestamp);
      const operators: OperatorValidators[] = [];
      const count = await registry.getNodeOperatorsCount();
      for (let id = 0n; id < count; id++) {
        const op = await registry.getNodeOperator(id);
        operators.push({
          id,
          name: op.name,
          depositedKeys: op.depositedKeys,
          exitedKeys: op.exitedKeys,
          running: op.depositedKeys - op.exitedKeys,
        });
      }
      return {
        depositedValidators,
        beaconValidators,
        beaconBalance,
        ...(processed > 0n
          ? {
              lastReport: {
                refSlot: report.refSlot,
                ageSeconds: timestamp - slotTime(timing, report.refSlot),
                timeElapsedSeconds: report.timeElapsedSeconds,
              },
            }
          : {}),
        protocolFeeBP: feeBP,
        treasuryFeeBP: fees.treasuryFeeBP,
        operatorsFeeBP: fees.operatorsFeeBP,
        insuranceFeeBP: fees.insuranceFeeBP,
        treasury: fees.treasury,
        operators,
        timestamp,
      };
    });
  }

  // ──────────────────────────────── Writes ────────────────────────────────

  /**
   * Stakes `amount` wei of ETH for tpETH (simulated first). More than the signer's ETH is refused
   * before anything is sent, with what it holds.
   */
  async stake(amount: bigint, options: { referral?: string } = {}): Promise<StakeResult> {
    const staker = await this.signerAddress();
    const referral = options.referral === undefined ? ZeroAddress : checkedAddress(options.referral, "referral");
    const funds = await this.guard(() => this.provider.getBalance(staker));
    if (funds < amount) throw shortfall(staker, funds, amount, "ETH", "stake (and gas)");
    return this.guard(async () => {
      const pool = this.protocol.pool;
      await pool.stake.staticCall(referral, { value: amount });
      const receipt = await this.mined(pool.stake(referral, { value: amount }));
      const [staked] = this.events(receipt, "pool", "Staked");
      const minted = this.events(receipt, "pool", "Transfer").find(
        (e) => e.args[0] === ZeroAddress && getAddress(String(e.args[1])) === staker,
      );
      return {
        receipt,
        amount,
        shares: BigInt(staked.args[2] as bigint),
        tpEth: minted ? BigInt(minted.args[2] as bigint) : 0n,
      };
    });
  }

  /**
   * Wraps `tpEth` wei of the signer's tpETH into wtpETH (no approval needed; simulated first). More
   * than the signer's tpETH is refused before anything is sent, with what it holds.
   */
  async wrap(tpEth: bigint): Promise<WrapResult> {
    const holder = await this.signerAddress();
    const balance = await this.guard(() => this.protocol.pool.balanceOf(holder));
    if (balance < tpEth) throw shortfall(holder, balance, tpEth, "tpETH", "wrap");
    return this.guard(async () => {
      const wrapper = this.protocol.wrapper;
      await wrapper.wrap.staticCall(tpEth);
      const receipt = await this.mined(wrapper.wrap(tpEth));
      const [deposit] = this.events(receipt, "wrapper", "Deposit");
      return { receipt, tpEth: BigInt(deposit.args[2] as bigint), wtpEth: BigInt(deposit.args[3] as bigint) };
    });
  }

  /**
   * Unwraps `wtpEth` of the signer's wtpETH into tpETH (simulated first). More than the signer's
   * wtpETH is refused before anything is sent, with what it holds.
   */
  async unwrap(wtpEth: bigint): Promise<WrapResult> {
    const holder = await this.signerAddress();
    const balance = await this.guard(() => this.protocol.wrapper.balanceOf(holder));
    if (balance < wtpEth) throw shortfall(holder, balance, wtpEth, "wtpETH", "unwrap");
    return this.guard(async () => {
      const wrapper = this.protocol.wrapper;
      await wrapper.unwrap.staticCall(wtpEth);
      const receipt = await this.mined(wrapper.unwrap(wtpEth));
      const [withdraw] = this.events(receipt, "wrapper", "Withdraw");
      return { receipt, tpEth: BigInt(withdraw.args[3] as bigint), wtpEth: BigInt(withdraw.args[4] as bigint) };
    });
  }

  /**
   * Requests withdrawals of `amounts` (tpETH wei, or wtpETH with `wrapped`), one request each.
   *
   * When the allowance does not cover them, the signer is asked for an EIP-2612 permit of exactly
   * their sum, and the request carrying it is simulated, then sent: one transaction. A signer that
   * cannot sign typed data (or `permit: false`) gets an exact approval of the sum instead, sent
   * only after the request has been checked as the queue checks it (the list, the pause, each
   * amount's bounds, the balance, the owner), so a request that would fail sends nothing. A
   * declined signature sends nothing either. `owner` defaults to the signer; the zero address is
   * refused.
   */
  async requestWithdrawals(amounts: readonly bigint[], options: RequestOptions = {}): Promise<RequestResult> {
    const signer = this.requireSigner();
    const holder = await this.signerAddress();
    const owner = requestOwner(options.owner, holder);
    const list = [...amounts];
    const wrapped = options.wrapped === true;
    const { queue, pool, wrapper } = this.protocol;
    const token = wrapped ? wrapper : pool;
    const spender = this.protocol.addresses.queue;
    const total = sum(list);

    const allowance = await this.guard(() => token.allowance(holder, spender));
    if (allowance >= total) {
      return this.guard(async () => {
        const request = wrapped ? queue.requestWithdrawalsWrapped : queue.requestWithdrawals;
        await request.staticCall(list, owner);
        return this.requestResult("allowance", await this.mined(request(list, owner)));
      });
    }

    if (options.permit !== false) {
      const signed = await this.signRequestPermit(signer, holder, wrapped, total);
      if (signed !== undefined) {
        return this.guard(async () => {
          if ("signature" in signed) {
            const request = wrapped
              ? queue.requestWithdrawalsWrappedWithPermitAsBytes
              : queue.requestWithdrawalsWithPermitAsBytes;
            await request.staticCall(list, owner, signed);
            return this.requestResult("permit", await this.mined(request(list, owner, signed)));
          }
          const request = wrapped ? queue.requestWithdrawalsWrappedWithPermit : queue.requestWithdrawalsWithPermit;
          await request.staticCall(list, owner, signed);
          return this.requestResult("permit", await this.mined(request(list, owner, signed)));
        });
      }
    }

    await this.checkRequest(list, owner, holder, wrapped);
    return this.guard(async () => {
      const approval = await this.mined(token.approve(spender, total));
      const request = wrapped ? queue.requestWithdrawalsWrapped : queue.requestWithdrawals;
      await request.staticCall(list, owner);
      const result = await this.requestResult("approval", await this.mined(request(list, owner)));
      return { ...result, approval };
    });
  }

  /**
   * Claims finalized requests with their checkpoint hints: `ids`, or by default every claimable
   * request the signer owns. The ETH goes to the signer, or to `recipient`. Nothing to claim is not
   * an error: the result is empty and nothing is sent.
   */
  async claim(ids?: readonly bigint[], options: { recipient?: string } = {}): Promise<ClaimResult> {
    const holder = await this.signerAddress();
    const recipient = options.recipient === undefined ? undefined : checkedAddress(options.recipient, "recipient");
    if (recipient === ZeroAddress) throw customSdkError("ZeroRecipient", [], this.interfaces);
    const chosen =
      ids === undefined
        ? (await this.requests(holder)).filter((r) => r.status === "claimable").map((r) => r.id)
        : [...ids];
    if (chosen.length === 0) return { ids: [], claims: [], ethOut: 0n };
    return this.guard(async () => {
      const queue = this.protocol.queue;
      const hints = await checkpointHints(queue, chosen);
      let receipt: ContractTransactionReceipt;
      if (recipient === undefined) {
        await queue.claimWithdrawals.staticCall(chosen, hints);
        receipt = await this.mined(queue.claimWithdrawals(chosen, hints));
      } else {
        await queue.claimWithdrawalsTo.staticCall(chosen, hints, recipient);
        receipt = await this.mined(queue.claimWithdrawalsTo(chosen, hints, recipient));
      }
      const claims = this.events(receipt, "queue", "WithdrawalClaimed").map((e) => ({
        id: BigInt(e.args[0] as bigint),
        owner: getAddress(String(e.args[1])),
        receiver: getAddress(String(e.args[2])),
        amountOfEther: BigInt(e.args[3] as bigint),
      }));
      return { receipt, ids: claims.map((c) => c.id), claims, ethOut: sum(claims.map((c) => c.amountOfEther)) };
    });
  }

  /**
   * Redeems `amount` tpETH for ETH at once, receiving at least `minOut` wei (take it from
   * {@link previewInstantRedeem}); the ETH goes to the signer or `recipient`. Simulated first.
   */
  async instantRedeem(amount: bigint, options: { minOut: bigint; recipient?: string }): Promise<InstantRedeemResult> {
    const holder = await this.signerAddress();
    const recipient = options.recipient === undefined ? holder : checkedAddress(options.recipient, "recipient");
    return this.guard(async () => {
      const pool = this.protocol.pool;
      await pool.instantRedeem.staticCall(amount, options.minOut, recipient);
      const receipt = await this.mined(pool.instantRedeem(amount, options.minOut, recipient));
      const [redeemed] = this.events(receipt, "pool", "InstantRedeemed");
      return {
        receipt,
        amount: BigInt(redeemed.args[2] as bigint),
        shares: BigInt(redeemed.args[3] as bigint),
        ethOut: BigInt(redeemed.args[4] as bigint),
        fee: BigInt(redeemed.args[5] as bigint),
        recipient,
      };
    });
  }

  // ──────────────────────────────── Internals ────────────────────────────────

  /** Runs `body`, rethrowing any failure as a {@link TidepoolSdkError} (sentence + raw). */
  private async guard<T>(body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      throw toSdkError(error, this.interfaces);
    }
  }

  private requireSigner(): Signer {
    if (!this.signer) {
      throw new TidepoolSdkError("This client only reads: connect it with a signer (a wallet) to send transactions.");
    }
    return this.signer;
  }

  private async signerAddress(): Promise<string> {
    const signer = this.requireSigner();
    return getAddress(await this.guard(() => signer.getAddress()));
  }

  /** Sends, waits for the receipt. */
  private async mined(sending: Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
    const receipt = await (await sending).wait();
    if (!receipt) throw new TidepoolSdkError("The transaction was not mined.");
    return receipt;
  }

  /** The events `name` that contract `which` emitted in `receipt`, parsed. */
  private events(
    receipt: ContractTransactionReceipt,
    which: "pool" | "wrapper" | "queue",
    name: string,
  ): LogDescription[] {
    const contract = this.protocol[which];
    const address = this.protocol.addresses[which].toLowerCase();
    const found: LogDescription[] = [];
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== address) continue;
      const parsed = contract.interface.parseLog(log);
      if (parsed?.name === name) found.push(parsed);
    }
    return found;
  }

  private requestResult(authorization: RequestAuthorization, receipt: ContractTransactionReceipt): RequestResult {
    const requests = this.events(receipt, "queue", "WithdrawalRequested").map((e) => ({
      id: BigInt(e.args[0] as bigint),
      owner: getAddress(String(e.args[2])),
      amountOfEther: BigInt(e.args[3] as bigint),
      amountOfShares: BigInt(e.args[4] as bigint),
    }));
    return { receipt, authorization, requests, ids: requests.map((r) => r.id) };
  }

  private refusedPreview(
    amount: bigint,
    slippageBP: bigint,
    redeemable: bigint,
    reason: string,
    errorName?: string,
  ): InstantRedeemPreview {
    return {
      amount,
      ok: false,
      reason,
      ...(errorName !== undefined ? { errorName } : {}),
      ethOut: 0n,
      fee: 0n,
      feeBP: 0n,
      slippageBP,
      minOut: 0n,
      redeemableNow: redeemable,
    };
  }

  /**
   * A permit for the queue to take `value` of the token, signed by `signer`: (v, r, s) for an
   * account without code, the signature as bytes for a contract wallet (ERC-1271). Undefined when
   * the signer cannot sign typed data; a {@link TidepoolSdkError} when the person declines.
   */
  private async signRequestPermit(
    signer: Signer,
    holder: string,
    wrapped: boolean,
    value: bigint,
  ): Promise<IWithdrawalQueue.PermitInputStruct | IWithdrawalQueue.PermitSignatureInputStruct | undefined> {
    const token = wrapped ? this.protocol.wrapper : this.protocol.pool;
    const spender = this.protocol.addresses.queue;
    const [block, code] = await this.guard(() =>
      Promise.all([this.provider.getBlock("latest"), this.provider.getCode(holder)]),
    );
    const deadline = BigInt(block?.timestamp ?? Math.floor(Date.now() / 1000)) + PERMIT_LIFETIME_SECONDS;
    try {
      if (code === "0x") {
        const { v, r, s } = await signPermit(token, signer, spender, value, deadline, { owner: holder });
        return { value, deadline, v, r, s };
      }
      const [domain, nonce] = await Promise.all([permitDomain(token), token.nonces(holder)]);
      const signature = await signer.signTypedData(domain, PERMIT_TYPES, {
        owner: holder,
        spender,
        value,
        nonce,
        deadline,
      });
      return dataLength(signature) > 0 ? { value, deadline, signature } : undefined;
    } catch (error) {
      if (isUserRejection(error)) {
        throw new TidepoolSdkError("You declined the permit signature in your wallet: nothing was sent.", {
          raw: error,
        });
      }
      return undefined; // the signer cannot sign typed data: an approval instead
    }
  }

  /**
   * Checks a request as the queue does before it takes any token, raising the queue's (or the
   * token's) own error: the list, the owner, the pause, each amount's bounds, the balance, and a
   * contract owner's acceptance of the NFT. Used before sending an approval.
   */
  private async checkRequest(amounts: bigint[], owner: string, holder: string, wrapped: boolean): Promise<void> {
    const { queue, pool, wrapper, addresses } = this.protocol;
    const fail = (name: string, args: readonly unknown[] = []): never => {
      throw customSdkError(name, args, this.interfaces);
    };
    if (amounts.length === 0) fail("EmptyRequestList");
    if ([addresses.pool, addresses.wrapper, addresses.queue].includes(owner)) fail("ProtocolContractRefused", [owner]);
    const [paused, min, max, totalEther, heldShares, heldWrapped, lastRequestId, ownerCode] = await this.guard(() =>
      Promise.all([
        queue.withdrawalsPaused(),
        queue.MIN_WITHDRAWAL_AMOUNT(),
        queue.MAX_WITHDRAWAL_AMOUNT(),
        pool.totalPooledEther(),
        pool.sharesOf(holder),
        wrapper.balanceOf(holder),
        queue.getLastRequestId(),
        this.provider.getCode(owner),
      ]),
    );
    let remainingShares = heldShares;
    let remainingWrapped = heldWrapped;
    for (const amount of amounts) {
      const value = wrapped ? await this.guard(() => pool.getPooledEthByShares(amount)) : amount;
      if (value < min) fail("RequestAmountTooSmall", [value, min]);
      if (value > max) fail("RequestAmountTooLarge", [value, max]);
      if (wrapped) {
        if (amount > remainingWrapped) fail("ERC20InsufficientBalance", [holder, remainingWrapped, amount]);
        remainingWrapped -= amount;
      } else {
        const shares =
          amount > totalEther ? undefined : await this.guard(() => pool.getSharesByPooledEthRoundUp(amount));
        if (shares === undefined || shares > remainingShares) {
          const balance = await this.guard(() => pool.getPooledEthByShares(remainingShares));
          fail("ERC20InsufficientBalance", [holder, balance, amount]);
        } else {
          remainingShares -= shares;
        }
      }
      if (paused) fail("WithdrawalsPaused"); // checked as the first request is recorded
    }
    if (ownerCode !== "0x") {
      // The queue mints to a contract only if it accepts ERC-721 tokens: ask it as the queue would.
      const data = ERC721_RECEIVER.encodeFunctionData("onERC721Received", [
        holder,
        ZeroAddress,
        lastRequestId + 1n,
        "0x",
      ]);
      const answer = await this.provider.call({ from: addresses.queue, to: owner, data }).catch(() => "0x");
      if (answer.slice(0, 10).toLowerCase() !== ERC721_RECEIVED) fail("ERC721InvalidReceiver", [owner]);
    }
  }
}
