/**
 * Sending a transaction as a service on a real network must: gas estimated first (a revert costs
 * nothing), the receipt waited for to a number of confirmations, and a transaction that does not get
 * mined (dropped from the mempool, or priced out) sent again with the same nonce and higher fees, so
 * that it replaces the first instead of queueing behind it. Hardhat's in-process network mines at once
 * and hides all three; a devnet on Anvil and a testnet do not.
 *
 * Nonces: each process signs with its own account (the devnet gives every daemon its own), so the
 * nonce this helper takes ("pending" count) is never raced by another process; within a process,
 * transactions of one account are sent one after the other.
 */
import type { Provider, Signer, TransactionReceipt, TransactionRequest } from "ethers";

export interface SendOptions {
  /** Blocks the receipt must be under before it counts (1: mined). Default 1. */
  confirmations?: number;
  /** How long a broadcast may stay unmined before it is sent again with higher fees. Default 60 s. */
  rebroadcastAfterMs?: number;
  /** Percent the fees rise at each rebroadcast (nodes replace a transaction for 10% or more). Default 20. */
  feeBumpPercent?: bigint;
  /** Broadcasts at most, the first included. Default 4. */
  maxBroadcasts?: number;
  /** How often the receipt is looked for. Default 500 ms. */
  pollMs?: number;
  /** Told of each broadcast (0 for the first), for the service's log. */
  onBroadcast?: (hash: string, attempt: number) => void;
}

/** Fees of a broadcast: EIP-1559 where the network has a base fee, else a legacy gas price. */
type Fees = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | { gasPrice: bigint };

async function initialFees(provider: Provider, request: TransactionRequest): Promise<Fees> {
  if (request.maxFeePerGas != null && request.maxPriorityFeePerGas != null) {
    return { maxFeePerGas: BigInt(request.maxFeePerGas), maxPriorityFeePerGas: BigInt(request.maxPriorityFeePerGas) };
  }
  if (request.gasPrice != null) return { gasPrice: BigInt(request.gasPrice) };
  const data = await provider.getFeeData();
  if (data.maxFeePerGas !== null && data.maxPriorityFeePerGas !== null) {
    return { maxFeePerGas: data.maxFeePerGas, maxPriorityFeePerGas: data.maxPriorityFeePerGas };
  }
  return { gasPrice: data.gasPrice ?? 1_000_000_000n };
}

/** `fees` raised by `percent`, plus a wei (a replacement must pay strictly more, however small). */
export function bumpFees(fees: Fees, percent: bigint): Fees {
  const up = (wei: bigint) => (wei * (100n + percent)) / 100n + 1n;
  return "gasPrice" in fees
    ? { gasPrice: up(fees.gasPrice) }
    : { maxFeePerGas: up(fees.maxFeePerGas), maxPriorityFeePerGas: up(fees.maxPriorityFeePerGas) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends `request` from `signer` and returns its receipt once it has `confirmations`: gas estimated
 * (so a revert throws before anything is sent), one nonce for every broadcast, a rebroadcast with fees
 * raised by `feeBumpPercent` when none of the broadcasts is mined within `rebroadcastAfterMs`. Throws
 * if the transaction reverted, if another transaction took its nonce, or after `maxBroadcasts`.
 */
export async function sendTransaction(
  signer: Signer,
  request: TransactionRequest,
  options: SendOptions = {},
): Promise<TransactionReceipt> {
  const provider = signer.provider;
  if (provider === null) throw new Error("the signer has no provider to send through");
  const confirmations = options.confirmations ?? 1;
  const rebroadcastAfterMs = options.rebroadcastAfterMs ?? 60_000;
  const maxBroadcasts = options.maxBroadcasts ?? 4;
  const pollMs = options.pollMs ?? 500;
  const from = await signer.getAddress();
  const gasLimit = request.gasLimit ?? (await signer.estimateGas({ ...request, from }));
  const nonce = await signer.getNonce("pending");
  let fees = await initialFees(provider, request);
  const hashes: string[] = [];
  /**
   * The receipt of whichever broadcast was mined, once it has its confirmations (read again then: a
   * reorganisation may have taken it out, and then it is waited for again); undefined if none was.
   */
  const mined = async (): Promise<TransactionReceipt | undefined> => {
    for (const hash of hashes) {
      let receipt = await provider.getTransactionReceipt(hash);
      while (receipt !== null && (await provider.getBlockNumber()) - receipt.blockNumber + 1 < confirmations) {
        await sleep(pollMs);
        receipt = await provider.getTransactionReceipt(hash);
      }
      if (receipt === null) continue;
      if (receipt.status !== 1) throw new Error(`transaction ${hash} reverted in block ${receipt.blockNumber}`);
      return receipt;
    }
    return undefined;
  };
  for (let attempt = 0; attempt < maxBroadcasts; attempt++) {
    if (attempt > 0) fees = bumpFees(fees, options.feeBumpPercent ?? 20n);
    const sent = await signer.sendTransaction({ ...request, from, gasLimit, nonce, ...fees });
    hashes.push(sent.hash);
    options.onBroadcast?.(sent.hash, attempt);
    const deadline = Date.now() + rebroadcastAfterMs;
    while (Date.now() < deadline) {
      const receipt = await mined();
      if (receipt !== undefined) return receipt;
      // The nonce is used, by none of ours (looked at once more: a receipt may lag the count).
      if ((await provider.getTransactionCount(from, "latest")) > nonce) {
        const late = await mined();
        if (late !== undefined) return late;
        throw new Error(`nonce ${nonce} of ${from} was used by another transaction`);
      }
      await sleep(pollMs);
    }
  }
  throw new Error(
    `transaction with nonce ${nonce} of ${from} not mined after ${maxBroadcasts} broadcasts (${hashes.join(", ")})`,
  );
}
