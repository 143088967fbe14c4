/**
 * The local beacon chain's link to a development execution chain (Hardhat's in-process network or a
 * local node): it reads deposits from the deposit contract's `DepositEvent` logs, optionally exits the
 * validators the oracle asks to exit (operators doing their duty), and pays the consensus layer's
 * withdrawals into their execution addresses. Withdrawals on the real chain credit balances without
 * running code, so they are paid with `hardhat_setBalance`, which does the same.
 */
import { AbiCoder, Interface, getBytes, hexlify, toBeHex, toQuantity } from "ethers";
import { BeaconChain, type DepositEventData, type Withdrawal } from "./chain";

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
   */
  async advanceTo(timestamp: bigint): Promise<Withdrawal[]> {
    const head = await this.block("latest");
    if (BigInt(head.timestamp) >= timestamp) throw new Error(`chain time is already past ${timestamp}`);
    await this.ingest(Number(head.number));
    const paid = await this.pay(this.chain.advanceToSlot(this.chain.slotAt(timestamp)));
    await this.rpc.send("evm_setNextBlockTimestamp", [Number(timestamp)]);
    await this.rpc.send("evm_mine", []);
    this.lastMinedBlock = Number(head.number) + 1;
    this.nextBlock = this.lastMinedBlock + 1; // the mined block holds no logs
    return paid;
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
          if (this.chain.canExit(pubkey)) this.chain.exit(pubkey);
        }
      }
      this.nextBlock = to + 1;
    }
  }

  /** Credits each withdrawal to its address (gwei → wei). */
  private async pay(withdrawals: Withdrawal[]): Promise<Withdrawal[]> {
    const byAddress = new Map<string, bigint>();
    for (const w of withdrawals) byAddress.set(w.address, (byAddress.get(w.address) ?? 0n) + w.amountGwei * GWEI);
    for (const [address, wei] of byAddress) {
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
