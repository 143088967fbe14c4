/**
 * The local beacon chain's link to a development execution chain (Hardhat's in-process network or a
 * local node): it reads deposits from the deposit contract's `DepositEvent` logs, optionally exits the
 * validators the oracle asks to exit (operators doing their duty), and pays the consensus layer's
 * withdrawals into their execution addresses. Withdrawals on the real chain credit balances without
 * running code, so they are paid with `hardhat_setBalance` (Anvil answers it too, as `anvil_setBalance`),
 * which does the same.
 *
 * Two ways to keep time. On Hardhat the bridge drives both chains (`advanceTo` mines the block of a
 * slot). On a node that mines by itself (Anvil with `--block-time`), `follow` never mines nor moves
 * time: the beacon chain's slot is the wall clock's, capped at the execution head's, and logs are read
 * only from blocks `confirmations` deep, so a reorg of the newest blocks changes nothing it applied.
 */
import { AbiCoder, Interface, getBytes, hexlify, toBeHex, toQuantity } from "ethers";
import { BeaconChain, type DepositEventData, type Withdrawal, type WithdrawalRequest } from "./chain";
import { BEACON_ROOTS_ADDRESS, SYSTEM_ADDRESS, type BeaconStateMirror } from "./state";
import {
  WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
  decodeWithdrawalRequests,
  type DevRpcPrefix,
} from "./withdrawal-requests";

const GWEI = 1_000_000_000n;

/** The JSON-RPC calls the bridge makes (any EIP-1193-style provider: Hardhat's, ethers' JsonRpcProvider). */
export interface JsonRpc {
  send(method: string, params: unknown[]): Promise<unknown>;
}

interface RpcLog {
  blockNumber: string;
  data: string;
  topics: string[];
}

interface RpcBlock {
  number: string;
  timestamp: string;
}

const EVENTS = new Interface([
  "event DepositEvent(bytes pubkey, bytes withdrawal_credentials, bytes amount, bytes signature, bytes index)",
  "event ValidatorExitRequested(uint256 indexed operatorId, uint256 indexed keyIndex, bytes pubkey)",
]);
const DEPOSIT_TOPIC = EVENTS.getEvent("DepositEvent")!.topicHash;
const EXIT_TOPIC = EVENTS.getEvent("ValidatorExitRequested")!.topicHash;

export interface BridgeOptions {
  depositContract: string;
  /** The accounting oracle: when given, validators it asks to exit start their exit (operators comply). */
  exitRequester?: string;
  /** Logs are read in ranges of at most this many blocks. */
  logRange?: number;
  /**
   * The node's namespace for balance credits (default `hardhat`). With `anvil` a withdrawal is one
   * `anvil_addBalance`, atomic on a node that mines by itself; `hardhat` reads the balance and sets
   * it, safe only while nothing else moves that balance in between (Hardhat: the bridge mines).
   */
  rpcPrefix?: DevRpcPrefix;
  /** Follow mode: `advanceTo` is refused, since the node mines by itself; `follow` keeps time. */
  follow?: boolean;
  /** Follow mode: blocks a log's block must be under the head before it is applied (default 2). */
  confirmations?: number;
  /** Follow mode: the wall clock, in ms since the Unix epoch (default `Date.now`; tests inject one). */
  now?: () => number;
  /**
   * Runs a consensus client's per-block work in each block `advanceTo` mines: the EIP-4788 write of
   * the parent beacon block root (the mirror's head) at the block's start, the EIP-7002 dequeue at its
   * end (the predeploy must be installed), the dequeued requests applied to the chain, and a beacon
   * block produced at the block's slot. Development chains with Hardhat's RPC only.
   */
  systemCalls?: { mirror: BeaconStateMirror };
}

/** Decodes a `DepositEvent`'s data (the amount is 8 little-endian bytes of gwei). */
export function decodeDepositEvent(data: string): DepositEventData {
  const [pubkey, credentials, amount, signature] = AbiCoder.defaultAbiCoder().decode(
    ["bytes", "bytes", "bytes", "bytes", "bytes"],
    data,
  ) as unknown as [string, string, string, string, string];
  return {
    pubkey: hexlify(pubkey),
    withdrawalCredentials: hexlify(credentials),
    amountGwei: BigInt(hexlify(getBytes(amount).reverse())),
    signature: hexlify(signature),
  };
}

export class ExecutionBridge {
  private nextBlock = 0;
  /** The block `advanceTo` mined last (0 before it ran). */
  lastMinedBlock = 0;
  /** With `systemCalls`: the EIP-7002 requests dequeued in the block `advanceTo` mined last. */
  lastWithdrawalRequests: WithdrawalRequest[] = [];
  /**
   * Pubkeys (lower case) whose operators ignore the oracle's exit requests: the validators stay
   * active until something else exits them (an EIP-7002 request after a late-exit proof, say).
   */
  readonly ignoredExitRequests = new Set<string>();

  constructor(
    readonly chain: BeaconChain,
    private readonly rpc: JsonRpc,
    private readonly options: BridgeOptions,
  ) {}

  /**
   * Follows the execution chain to its head: deposits and exit requests are applied at their blocks'
   * epochs, the beacon chain advances to the head's epoch, and the withdrawals it made are paid.
   */
  async sync(): Promise<Withdrawal[]> {
    const head = await this.block("latest");
    await this.ingest(Number(head.number));
    return this.pay(this.chain.advanceToSlot(this.chain.slotAt(BigInt(head.timestamp))));
  }

  /**
   * Moves both chains to `timestamp` (development chains only): follows the execution chain, processes
   * the beacon chain's epochs up to that time, pays their withdrawals and mines a block at `timestamp`
   * that holds them. The execution state of that block is then the one a report for its slot reads.
   * With `systemCalls`, that block also holds the EIP-4788 and EIP-7002 system calls, and the beacon
   * block of its slot is produced after the dequeued requests are applied.
   */
  async advanceTo(timestamp: bigint): Promise<Withdrawal[]> {
    if (this.options.follow) {
      throw new Error("the beacon chain follows a node that mines by itself: it does not mine or move time");
    }
    const head = await this.block("latest");
    if (BigInt(head.timestamp) >= timestamp) throw new Error(`chain time is already past ${timestamp}`);
    await this.ingest(Number(head.number));
    const slot = this.chain.slotAt(timestamp);
    const mirror = this.options.systemCalls?.mirror;
    const parent = mirror?.head;
    if (mirror && !(parent && parent.header.slot < slot)) {
      throw new Error(`slot ${slot} has a beacon block already or none precedes it: one mined block per slot`);
    }
    const paid = await this.pay(this.chain.advanceToSlot(slot));
    if (mirror && parent) {
      if (this.chain.headSlot !== slot) throw new Error(`the beacon chain is past slot ${slot}`);
      this.lastWithdrawalRequests = await this.mineWithSystemCalls(timestamp, parent.root);
      this.chain.applyWithdrawalRequests(this.lastWithdrawalRequests);
      mirror.produceBlock();
    } else {
      await this.rpc.send("evm_setNextBlockTimestamp", [Number(timestamp)]);
      await this.rpc.send("evm_mine", []);
    }
    this.lastMinedBlock = Number(head.number) + 1;
    this.nextBlock = this.lastMinedBlock + 1; // the mined block holds no logs
    return paid;
  }

  /**
   * Follow mode, for a node that mines by itself: applies the deposits and exit requests of blocks at
   * least `confirmations` deep (in log ranges of `logRange` blocks), then advances the beacon chain to
   * the wall clock's slot, never past the execution head's, and pays the withdrawals of the epochs it
   * processed. Sends no transaction and mines nothing; call it every second or so. A log applied a few
   * blocks late lands in the current epoch rather than its block's (an activation a little later).
   */
  async follow(): Promise<Withdrawal[]> {
    const head = await this.block("latest");
    const confirmed = Number(head.number) - (this.options.confirmations ?? 2);
    if (confirmed >= this.nextBlock) await this.ingest(confirmed);
    const nowSeconds = BigInt(Math.floor((this.options.now ?? Date.now)() / 1000));
    const wallSlot = this.chain.slotAt(nowSeconds);
    const headSlot = this.chain.slotAt(BigInt(head.timestamp));
    const target = wallSlot < headSlot ? wallSlot : headSlot;
    return target > this.chain.headSlot ? this.pay(this.chain.advanceToSlot(target)) : [];
  }

  /** The execution chain's latest block time. */
  async latestTimestamp(): Promise<bigint> {
    return BigInt((await this.block("latest")).timestamp);
  }

  /** Reads logs up to `toBlock`, advancing the beacon chain to each log's epoch before applying it. */
  private async ingest(toBlock: number): Promise<void> {
    const range = this.options.logRange ?? 5_000;
    const addresses = [this.options.depositContract, this.options.exitRequester].filter((a): a is string => !!a);
    for (let from = this.nextBlock; from <= toBlock; from += range) {
      const to = Math.min(toBlock, from + range - 1);
      const logs = (await this.rpc.send("eth_getLogs", [
        {
          address: addresses,
          topics: [[DEPOSIT_TOPIC, EXIT_TOPIC]],
          fromBlock: toQuantity(from),
          toBlock: toQuantity(to),
        },
      ])) as RpcLog[];
      const times = new Map<string, bigint>();
      for (const log of logs) {
        let time = times.get(log.blockNumber);
        if (time === undefined) {
          time = BigInt((await this.block(log.blockNumber)).timestamp);
          times.set(log.blockNumber, time);
        }
        await this.pay(this.chain.advanceToSlot(this.chain.slotAt(time)));
        if (log.topics[0] === DEPOSIT_TOPIC) {
          this.chain.applyDeposits([decodeDepositEvent(log.data)]);
        } else {
          const pubkey = EVENTS.parseLog(log)!.args.pubkey as string;
          if (this.chain.canExit(pubkey) && !this.ignoredExitRequests.has(pubkey.toLowerCase())) {
            this.chain.exit(pubkey);
          }
        }
      }
      this.nextBlock = to + 1;
    }
  }

  /**
   * Mines one block at `timestamp` holding the system calls a client makes in it, from the system
   * address (impersonated): first the EIP-4788 write of `parentRoot` (stored under the block's
   * timestamp), last the EIP-7002 dequeue. Automine is paused so both land in that block, in nonce
   * order. The dequeue's return data is not in its receipt, so it is read first with `eth_call` on the
   * same queue (the 4788 write does not touch it). Returns the dequeued requests.
   */
  private async mineWithSystemCalls(timestamp: bigint, parentRoot: string): Promise<WithdrawalRequest[]> {
    const rpc = this.rpc;
    const dequeue = { from: SYSTEM_ADDRESS, to: WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS, data: "0x" };
    const returned = (await rpc.send("eth_call", [dequeue, "latest"])) as string;
    const automine = (await rpc.send("hardhat_getAutomine", [])) as boolean;
    await rpc.send("hardhat_impersonateAccount", [SYSTEM_ADDRESS]);
    await rpc.send("hardhat_setBalance", [SYSTEM_ADDRESS, toBeHex(10n ** 18n)]);
    await rpc.send("evm_setAutomine", [false]);
    const hashes: string[] = [];
    try {
      for (const tx of [
        { from: SYSTEM_ADDRESS, to: BEACON_ROOTS_ADDRESS, data: parentRoot, gas: toBeHex(100_000) },
        { ...dequeue, gas: toBeHex(1_000_000) },
      ]) {
        hashes.push((await rpc.send("eth_sendTransaction", [tx])) as string);
      }
      await rpc.send("evm_setNextBlockTimestamp", [Number(timestamp)]);
      await rpc.send("evm_mine", []);
    } finally {
      await rpc.send("evm_setAutomine", [automine]);
      await rpc.send("hardhat_stopImpersonatingAccount", [SYSTEM_ADDRESS]);
    }
    const mined = (await this.block("latest")).number;
    for (const [i, hash] of hashes.entries()) {
      const receipt = (await rpc.send("eth_getTransactionReceipt", [hash])) as {
        status: string;
        blockNumber: string;
      } | null;
      if (receipt?.status !== "0x1" || receipt.blockNumber !== mined) {
        throw new Error(`the ${i === 0 ? "EIP-4788" : "EIP-7002"} system call failed in block ${mined}`);
      }
    }
    return decodeWithdrawalRequests(returned);
  }

  /** Credits each withdrawal to its address (gwei → wei). */
  private async pay(withdrawals: Withdrawal[]): Promise<Withdrawal[]> {
    const byAddress = new Map<string, bigint>();
    for (const w of withdrawals) byAddress.set(w.address, (byAddress.get(w.address) ?? 0n) + w.amountGwei * GWEI);
    for (const [address, wei] of byAddress) {
      if (this.options.rpcPrefix === "anvil") {
        await this.rpc.send("anvil_addBalance", [address, toBeHex(wei)]);
        continue;
      }
      const balance = BigInt((await this.rpc.send("eth_getBalance", [address, "latest"])) as string);
      await this.rpc.send("hardhat_setBalance", [address, toBeHex(balance + wei)]);
    }
    return withdrawals;
  }

  private async block(tag: string): Promise<RpcBlock> {
    const block = (await this.rpc.send("eth_getBlockByNumber", [tag, false])) as RpcBlock | null;
    if (!block) throw new Error(`no block ${tag}`);
    return block;
  }
}
