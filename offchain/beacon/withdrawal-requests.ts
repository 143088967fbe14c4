/**
 * EIP-7002 (execution-layer triggerable withdrawals) on a development chain. Hardhat's `osaka` network
 * and Anvil's `prague` have no code at the predeploy's address, so the local deployment installs the
 * EIP's bytecode there, and the local beacon chain reads the queue as a consensus client does: at the
 * end of a block, a call from the system address with empty calldata pops up to 16 requests and
 * returns them (the execution payload's withdrawal requests), which `BeaconChain.applyWithdrawalRequests`
 * processes as the consensus spec's `process_withdrawal_request`.
 *
 * The contract's three paths (EIP-7002, "Withdrawal Request Contract"): 56 bytes of calldata (pubkey 48
 * ‖ amount uint64 big-endian, value ≥ fee) add a request for `msg.sender`; empty calldata returns the
 * fee; any call from the system address dequeues.
 */
import { ZeroAddress, concat, dataLength, dataSlice, getBytes, hexlify, toBeHex } from "ethers";
import type { WithdrawalRequest } from "./chain";
import type { JsonRpc } from "./execution";
import { SYSTEM_ADDRESS } from "./state";

export type { WithdrawalRequest } from "./chain";

/** WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS (EIP-7002). */
export const WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS = "0x00000961Ef480Eb55e80D19ad83579A64c007002";
/** MAX_WITHDRAWAL_REQUESTS_PER_BLOCK: the most one system call dequeues. */
export const MAX_WITHDRAWAL_REQUESTS_PER_BLOCK = 16;
/** The contract's EXCESS_INHIBITOR (2^256 − 1): stored by its constructor, cleared by the first system call. */
export const EXCESS_INHIBITOR = 2n ** 256n - 1n;
/** The amount of a full-exit request (the consensus spec's FULL_EXIT_REQUEST_AMOUNT). */
export const FULL_EXIT_REQUEST_AMOUNT = 0n;

/**
 * The `input` of the EIP's deployment transaction, verbatim from EIP-7002 ("Deployment",
 * https://eips.ethereum.org/EIPS/eip-7002; ethereum/EIPs `EIPS/eip-7002.md`): a 45-byte constructor
 * (`PUSH32 2^256−1, PUSH0, SSTORE` — the excess inhibitor into slot 0 — then `CODECOPY` of 0x1f8 bytes
 * from offset 0x2d and `RETURN`) followed by the runtime code. The runtime equals go-ethereum's
 * `params.WithdrawalQueueCode` byte for byte (checked when this was written).
 */
const EIP7002_DEPLOYMENT_INPUT =
  "0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff5f556101f880602d5f395ff3" +
  "3373fffffffffffffffffffffffffffffffffffffffe1460cb5760115f54807fffffffffffffffffffffffffffffffffffffffff" +
  "ffffffffffffffffffffffff146101f457600182026001905f5b5f82111560685781019083028483029004916001019190604d56" +
  "5b909390049250505036603814608857366101f457346101f4575f5260205ff35b34106101f457600154600101600155600354" +
  "806003026004013381556001015f35815560010160203590553360601b5f5260385f601437604c5fa0600101600355005b6003" +
  "546002548082038060101160df575060105b5f5b8181146101835782810160030260040181604c02815460601b815260140181" +
  "6001015481526020019060020154807fffffffffffffffffffffffffffffffff0000000000000000000000000000000016825290" +
  "6010019060401c908160381c81600701538160301c81600601538160281c81600501538160201c81600401538160181c816003" +
  "01538160101c81600201538160081c81600101535360010160e1565b910180921461019557906002556101a0565b90505f6002" +
  "555f6003555b5f54807fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff14156101cd57505f5b" +
  "6001546002828201116101e25750505f6101e8565b01600290035b5f555f600155604c025ff35b5f5ffd";
const CONSTRUCTOR_LENGTH = 0x2d;
const RUNTIME_LENGTH = 0x1f8;

/** The predeploy's runtime bytecode (504 bytes): the deployment input after its constructor. */
export const WITHDRAWAL_REQUEST_PREDEPLOY_CODE = dataSlice(EIP7002_DEPLOYMENT_INPUT, CONSTRUCTOR_LENGTH);
if (dataLength(WITHDRAWAL_REQUEST_PREDEPLOY_CODE) !== RUNTIME_LENGTH) throw new Error("EIP-7002 code length");

/** Bytes of one dequeued request: source address 20 ‖ validator pubkey 48 ‖ amount uint64 little-endian 8. */
const REQUEST_BYTES = 76;

/** The development node's RPC namespace for state overrides: `hardhat_setCode` or `anvil_setCode`. */
export type DevRpcPrefix = "hardhat" | "anvil";

/**
 * Which development node `rpc` is: `anvil` when its client version says so (Anvil 1.7 answers the
 * `hardhat_` methods as well, but only it has `anvil_addBalance`), else `hardhat`.
 */
export async function devRpcPrefix(rpc: JsonRpc): Promise<DevRpcPrefix> {
  const version = (await rpc.send("web3_clientVersion", [])) as string;
  return version.toLowerCase().startsWith("anvil/") ? "anvil" : "hardhat";
}

/** How long a system call may wait for the node to mine it (Anvil with `--block-time`), in ms. */
const RECEIPT_TIMEOUT_MS = 30_000;

export interface PredeployOptions {
  /** `hardhat` (default) or `anvil`. */
  rpcPrefix?: DevRpcPrefix;
}

/**
 * Installs the predeploy as its deployment leaves it: the runtime code, nonce 1 and the excess
 * inhibitor in slot 0 (so the fee getter and new requests revert until a system call has run, as on a
 * chain before its fork block). With `activate` (the default) it then makes that first system call,
 * as the fork block does, which clears the inhibitor: the fee is then 1 wei.
 */
export async function installWithdrawalRequestPredeploy(
  rpc: JsonRpc,
  options: PredeployOptions & { activate?: boolean } = {},
): Promise<void> {
  const prefix = options.rpcPrefix ?? "hardhat";
  const address = WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS;
  await rpc.send(`${prefix}_setCode`, [address, WITHDRAWAL_REQUEST_PREDEPLOY_CODE]);
  await rpc.send(`${prefix}_setNonce`, [address, "0x1"]);
  await rpc.send(`${prefix}_setStorageAt`, [address, "0x0", toBeHex(EXCESS_INHIBITOR, 32)]);
  if (options.activate ?? true) await dequeueWithdrawalRequests(rpc, options);
}

/** The fee a request pays now, in wei (a call with empty calldata); throws while the inhibitor is set. */
export async function readFee(rpc: JsonRpc): Promise<bigint> {
  let result: string;
  try {
    result = (await rpc.send("eth_call", [
      { from: ZeroAddress, to: WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS, data: "0x" },
      "latest",
    ])) as string;
  } catch (e) {
    throw new Error(`the EIP-7002 fee getter reverted (no system call has cleared the inhibitor yet?): ${String(e)}`);
  }
  if (dataLength(result) !== 32) throw new Error(`no EIP-7002 predeploy at ${WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS}`);
  return BigInt(result);
}

/** The calldata of a request: pubkey (48 bytes) ‖ amount in gwei (uint64 big-endian); 0 is a full exit. */
export function withdrawalRequestCalldata(pubkey: string, amountGwei: bigint = FULL_EXIT_REQUEST_AMOUNT): string {
  if (dataLength(pubkey) !== 48) throw new Error(`a validator pubkey is 48 bytes, got ${dataLength(pubkey)}`);
  if (amountGwei < 0n || amountGwei >= 2n ** 64n) throw new Error(`amount ${amountGwei} is not a uint64`);
  return concat([pubkey, toBeHex(amountGwei, 8)]);
}

/**
 * The end-of-block system call: from the system address (impersonated), empty calldata, to the
 * predeploy. It pops up to MAX_WITHDRAWAL_REQUESTS_PER_BLOCK requests, updates the excess and resets
 * the block's count. A transaction's return data is not in its receipt, so the same call is first
 * simulated with `eth_call` against the same state for the requests, then sent (automine: its own
 * block). On a development chain this is the only caller between the two, so both see one queue.
 */
export async function dequeueWithdrawalRequests(
  rpc: JsonRpc,
  options: PredeployOptions = {},
): Promise<WithdrawalRequest[]> {
  const prefix = options.rpcPrefix ?? "hardhat";
  const call = { from: SYSTEM_ADDRESS, to: WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS, data: "0x" };
  const returned = (await rpc.send("eth_call", [call, "latest"])) as string;
  await rpc.send(`${prefix}_impersonateAccount`, [SYSTEM_ADDRESS]);
  await rpc.send(`${prefix}_setBalance`, [SYSTEM_ADDRESS, toBeHex(10n ** 18n)]);
  let hash: string;
  try {
    hash = (await rpc.send("eth_sendTransaction", [{ ...call, gas: toBeHex(1_000_000) }])) as string;
  } finally {
    await rpc.send(`${prefix}_stopImpersonatingAccount`, [SYSTEM_ADDRESS]);
  }
  // Automine: the receipt is there at once; a node mining on its own interval needs a block first.
  let receipt = (await rpc.send("eth_getTransactionReceipt", [hash])) as { status: string } | null;
  for (const start = Date.now(); receipt === null && Date.now() - start < RECEIPT_TIMEOUT_MS;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    receipt = (await rpc.send("eth_getTransactionReceipt", [hash])) as { status: string } | null;
  }
  if (receipt?.status !== "0x1") throw new Error("the EIP-7002 system call failed");
  return decodeWithdrawalRequests(returned);
}

/** Decodes the system call's return data: 76 bytes a request, the amount little-endian (EIP-7002). */
export function decodeWithdrawalRequests(data: string): WithdrawalRequest[] {
  const bytes = getBytes(data);
  if (bytes.length % REQUEST_BYTES !== 0) throw new Error(`${bytes.length} bytes is not a list of 76-byte requests`);
  const requests: WithdrawalRequest[] = [];
  for (let at = 0; at < bytes.length; at += REQUEST_BYTES) {
    let amount = 0n;
    for (let i = 7; i >= 0; i--) amount = (amount << 8n) | BigInt(bytes[at + 68 + i]);
    requests.push({
      sourceAddress: hexlify(bytes.slice(at, at + 20)),
      pubkey: hexlify(bytes.slice(at + 20, at + 68)),
      amountGwei: amount,
    });
  }
  return requests;
}
