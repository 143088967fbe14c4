/**
 * The one error type the SDK throws: a plain sentence for people, the original error for logs.
 * Dependency-free, so every module of the SDK can throw it.
 */

/** What a {@link TidepoolSdkError} carries besides its sentence. */
export interface TidepoolSdkErrorDetails {
  /** The original failure (an ethers error, a revert, a wallet's refusal), for logs; absent when the SDK refused by itself. */
  raw?: unknown;
  /** The custom error's name when the failure is (or mirrors) a contract's custom error. */
  errorName?: string;
  /** The custom error's arguments, decoded, in ABI order. */
  args?: readonly unknown[];
}

/**
 * A failure in words. `sentence` (also the `message`) is one plain sentence for the person at the
 * keyboard, with amounts in ETH and, for a contract's custom error, its name in parentheses;
 * `raw` keeps the original failure for logs and support.
 */
export class TidepoolSdkError extends Error {
  /** One plain sentence, the same text as `message`. */
  readonly sentence: string;
  /** The original failure, for logs; undefined when the SDK refused by itself. */
  readonly raw: unknown;
  /** The contract's custom error name, when there is one. */
  readonly errorName?: string;
  /** The custom error's decoded arguments, when there is one. */
  readonly args?: readonly unknown[];

  /**
   * @param sentence One plain sentence describing the failure.
   * @param details The original failure and the decoded custom error, if any.
   */
  constructor(sentence: string, details: TidepoolSdkErrorDetails = {}) {
    super(sentence);
    this.name = "TidepoolSdkError";
    this.sentence = sentence;
    this.raw = details.raw;
    if (details.errorName !== undefined) this.errorName = details.errorName;
    if (details.args !== undefined) this.args = details.args;
  }
}

/** Whether `error` is a {@link TidepoolSdkError} (also across copies of the SDK, by name). */
export function isTidepoolSdkError(error: unknown): error is TidepoolSdkError {
  return (
    error instanceof TidepoolSdkError ||
    (error instanceof Error &&
      error.name === "TidepoolSdkError" &&
      typeof (error as TidepoolSdkError).sentence === "string")
  );
}
