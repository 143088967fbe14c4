/**
 * Helpers for the SDK's tests: signers that cannot (or will not) sign typed data, a failure caught
 * as the SDK's error, and the parsed events of a receipt.
 */
import { expect } from "chai";
import {
  AbstractSigner,
  type BaseContract,
  type LogDescription,
  type Provider,
  type Signer,
  type TransactionReceipt,
  type TransactionRequest,
  type TransactionResponse,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { TidepoolSdkError } from "../../sdk/src";

/**
 * An account whose wallet cannot sign typed data (as some hardware and older wallets): every
 * transaction goes through `inner`, `signTypedData` fails with EIP-1193's "unsupported method"
 * (or, with `declines`, the person declines it).
 */
export class LimitedSigner extends AbstractSigner {
  /** Typed-data requests seen, for assertions. */
  typedDataRequests = 0;

  constructor(
    private readonly inner: HardhatEthersSigner,
    private readonly declines = false,
  ) {
    super(inner.provider as unknown as Provider);
  }

  override getAddress(): Promise<string> {
    return this.inner.getAddress();
  }

  override connect(): Signer {
    return new LimitedSigner(this.inner, this.declines);
  }

  override signTransaction(): Promise<string> {
    return Promise.reject(new Error("signTransaction is not supported: use sendTransaction"));
  }

  override sendTransaction(tx: TransactionRequest): Promise<TransactionResponse> {
    return this.inner.sendTransaction(tx);
  }

  override signMessage(message: string | Uint8Array): Promise<string> {
    return this.inner.signMessage(message);
  }

  override signTypedData(
    _domain: TypedDataDomain,
    _types: Record<string, TypedDataField[]>,
    _value: Record<string, unknown>,
  ): Promise<string> {
    this.typedDataRequests++;
    const error = this.declines
      ? Object.assign(new Error("user rejected action"), { code: "ACTION_REJECTED" })
      : Object.assign(new Error("The method eth_signTypedData_v4 is not supported"), { code: 4200 });
    return Promise.reject(error);
  }
}

/** The {@link TidepoolSdkError} `promise` rejects with (fails the test if it resolves or throws anything else). */
export async function sdkFailure(promise: Promise<unknown>): Promise<TidepoolSdkError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(TidepoolSdkError);
    return error as TidepoolSdkError;
  }
  expect.fail("expected a TidepoolSdkError, but it succeeded");
}

/** The events `name` that `contract` emitted in `receipt`. */
export async function eventsOf(
  receipt: TransactionReceipt,
  contract: BaseContract,
  name: string,
): Promise<LogDescription[]> {
  const address = (await contract.getAddress()).toLowerCase();
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === address)
    .map((log) => contract.interface.parseLog(log))
    .filter((parsed): parsed is LogDescription => parsed?.name === name);
}

/** ETH a receipt's gas cost. */
export const gasCost = (receipt: TransactionReceipt): bigint => receipt.gasUsed * receipt.gasPrice;
