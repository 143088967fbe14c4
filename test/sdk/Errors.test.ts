/**
 * Every custom error of every contract the SDK ships reads as one plain sentence: one line, ending
 * with a period before "(ErrorName)", never "wei", and amounts in ETH (never the raw 18-decimal
 * integer). Plus the SDK's error type: sentence, raw error, name and arguments.
 */
import { expect } from "chai";
import { Interface, ZeroAddress, id as keccakText, type ErrorFragment, type ParamType } from "ethers";
import {
  INTERFACES,
  TidepoolSdkError,
  customErrorData,
  customSdkError,
  decodeCustomError,
  describeCustomError,
  describeError,
  isTidepoolSdkError,
  isUserRejection,
  toSdkError,
} from "../../sdk/src";

/** Arguments that are ETH amounts in wei, per error (the test's own reading of the contracts' NatSpec). */
const WEI_AMOUNTS: Record<string, string[]> = {
  BondPerValidatorTooHigh: ["bondPerValidatorWei", "max"],
  BootstrapDepositTooSmall: ["amount"],
  ERC20InsufficientAllowance: ["allowance", "needed"],
  ERC20InsufficientBalance: ["balance", "needed"],
  EthTransferFailed: ["amount"],
  FinalizationExceedsBuffer: ["etherToLock", "availableEther"],
  InstantRedeemFrameCapExceeded: ["amount", "remaining"],
  InsufficientInstantLiquidity: ["amount", "available"],
  InsufficientVaultBalance: ["requested", "balance"],
  InvalidStakeLimit: ["maxStakeLimit", "stakeLimitIncreasePerBlock"],
  NotEnoughBufferedEther: ["requested", "depositable"],
  PermitFailedAndAllowanceTooLow: ["allowance", "needed"],
  RequestAmountTooLarge: ["amountOfEther", "max"],
  RequestAmountTooSmall: ["amountOfEther", "min"],
  SlippageExceeded: ["ethOut", "minEthOut"],
  StakeLimitExceeded: ["amount", "currentLimit"],
  StakeTooSmall: ["amount"],
  VaultAmountExceedsBalance: ["amount", "balance"],
  WrongDepositValue: ["value", "expected"],
  ExitRequestFailed: ["feeWei"],
  ExitFeeNotCovered: ["value", "fee"],
  RefundFailed: ["amount"],
  NotEnoughNative: ["msgValue"],
};
/** Amounts in gwei (ETH in the sentence). */
const GWEI_AMOUNTS: Record<string, string[]> = {
  KeyLossTooLarge: ["lossGwei"],
  OperatorLossMismatch: ["reportedGwei", "owedGwei"],
  ClBalanceDropExceedsProvenSlashings: ["excessGwei", "creditGwei"],
};
/** Pool-share amounts (18 decimals, like wtpETH). */
const SHARE_AMOUNTS: Record<string, string[]> = {
  BondLocked: ["requestedShares", "freeShares"],
  InsufficientShares: ["shares", "needed"],
  // wtpETH over the bridge
  RateLimitExceeded: ["amount", "available"],
};
/**
 * Arguments whose names look like amounts but are not ETH: counts, bytes, limits in BP or PPB, a
 * value being cast. Anything else named like an amount must be in the tables above.
 */
const NOT_AMOUNTS = new Set([
  "SanityLimitOutOfRange.value",
  "SanityLimitOutOfRange.min",
  "SanityLimitOutOfRange.max",
  // exit settings mix seconds, wei and counts; the fork layout's fields are tree positions
  "ExitSettingOutOfRange.value",
  "ExitSettingOutOfRange.max",
  "ForkLayoutInvalid.balancesGIndex",
  "ForkLayoutInvalid.validatorsLimitDepth",
  "SafeCastOverflowedUintDowncast.value",
  "NotEnoughVettedKeys.requested",
  "NotEnoughVettedKeys.available",
  "InvalidPubkeysLength.expected",
  "InvalidSignaturesLength.expected",
  // counts of validators, keys, members, guardians, operators, batches
  "InvalidDepositCount.max",
  "InvalidKeysCount.max",
  "TooManyExitRequests.max",
  "TooManyFinalizationBatches.max",
  "TooManyGuardians.max",
  "TooManyMembers.max",
  "TooManyOperators.max",
  "TooManyOperatorsWithLosses.max",
  // LayerZero's shared-decimals units (6 decimals), only in an overflow no real amount reaches
  "AmountSDOverflowed.amountSD",
]);
const AMOUNT_LIKE =
  /amount|ether|eth$|balance|allowance|needed|wei|shares|limit|value|available|depositable|remaining|requested|expected|^min$|^max$/i;

/** Names that are never amounts: basis points, nonces. */
const NOT_AMOUNT_NAME = /BP$|nonce$/i;

/** Every error fragment of every shipped interface once (by selector), with an interface declaring it. */
function allErrors(): { iface: Interface; fragment: ErrorFragment }[] {
  const seen = new Map<string, { iface: Interface; fragment: ErrorFragment }>();
  for (const iface of INTERFACES) {
    iface.forEachError((fragment) => {
      if (!seen.has(fragment.selector)) seen.set(fragment.selector, { iface, fragment });
    });
  }
  return [...seen.values()];
}

interface Sample {
  args: unknown[];
  /** What must appear: each amount in ETH. */
  shown: string[];
  /** What must not appear: each amount's raw integer. */
  hidden: string[];
}

/** Sample arguments: amounts k = 1, 2, … as k.234567890123456789 ETH (k.234567891 for gwei), the rest small. */
function sample(fragment: ErrorFragment): Sample {
  const shown: string[] = [];
  const hidden: string[] = [];
  let k = 0;
  const args = fragment.inputs.map((input: ParamType, i) => {
    const name = input.name;
    if (/^u?int[0-9]*$/.test(input.type)) {
      if (input.type === "uint8") return 7;
      if (WEI_AMOUNTS[fragment.name]?.includes(name) || SHARE_AMOUNTS[fragment.name]?.includes(name)) {
        k++;
        const value = BigInt(k) * 10n ** 18n + 234_567_890_123_456_789n;
        shown.push(`${k}.234567890123456789`);
        hidden.push(value.toString());
        return value;
      }
      if (GWEI_AMOUNTS[fragment.name]?.includes(name)) {
        k++;
        const gwei = BigInt(k) * 10n ** 9n + 234_567_891n;
        shown.push(`${k}.234567891`);
        hidden.push(gwei.toString(), (gwei * 10n ** 9n).toString());
        return gwei;
      }
      return BigInt(40 + i);
    }
    if (input.baseType === "address") return `0x${(0xa0 + i).toString(16).padStart(40, "0")}`;
    if (input.type === "bytes32") return `0x${"ab".repeat(32)}`;
    if (input.type === "bytes") return `0x${"cd".repeat(48)}`;
    if (input.type === "bool") return true;
    if (input.type === "string") return "sampleLimit";
    throw new Error(`no sample for ${input.type} in ${fragment.format()}`);
  });
  return { args, shown, hidden };
}

describe("SDK: error sentences", function () {
  const errors = allErrors();

  it("covers the errors of every shipped contract", function () {
    expect(INTERFACES).to.have.length(15);
    const names = errors.map((e) => e.fragment.name);
    for (const name of ["StakeLimitExceeded", "RequestAmountTooSmall", "InvalidHint", "NotMember", "BondLocked"]) {
      expect(names).to.include(name);
    }
    expect(errors.length).to.be.greaterThan(140);
  });

  it("classifies every argument named like an amount", function () {
    const unclassified = errors.flatMap(({ fragment }) =>
      fragment.inputs
        .filter(
          (input) =>
            /^uint[0-9]*$/.test(input.type) && AMOUNT_LIKE.test(input.name) && !NOT_AMOUNT_NAME.test(input.name),
        )
        .map((input) => `${fragment.name}.${input.name}`)
        .filter((key) => {
          const [error, arg] = key.split(".");
          const tables = [WEI_AMOUNTS, GWEI_AMOUNTS, SHARE_AMOUNTS];
          return !NOT_AMOUNTS.has(key) && !tables.some((t) => t[error]?.includes(arg));
        }),
    );
    expect(unclassified).to.deep.equal([]);
  });

  it("phrases each as one line ending with a period, then its name", function () {
    const bad: string[] = [];
    for (const { iface, fragment } of errors) {
      const text = describeError({ data: iface.encodeErrorResult(fragment, sample(fragment).args) }, INTERFACES);
      const suffix = ` (${fragment.name})`;
      if (!text.endsWith(suffix)) bad.push(`${fragment.name}: no name suffix: ${text}`);
      const sentence = text.slice(0, -suffix.length);
      if (/[\r\n]/.test(text)) bad.push(`${fragment.name}: more than one line`);
      if (!/[^.]\.$/.test(sentence)) bad.push(`${fragment.name}: does not end with one period: ${text}`);
      if (!/^["A-Z0-9]/.test(sentence)) bad.push(`${fragment.name}: does not start a sentence: ${text}`);
    }
    expect(bad).to.deep.equal([]);
  });

  it("never says wei, and shows amounts in ETH, never as raw integers", function () {
    const bad: string[] = [];
    for (const { iface, fragment } of errors) {
      const { args, shown, hidden } = sample(fragment);
      const text = describeError({ data: iface.encodeErrorResult(fragment, args) }, INTERFACES);
      if (/wei/i.test(text)) bad.push(`${fragment.name} says wei: ${text}`);
      for (const s of shown) if (!text.includes(s)) bad.push(`${fragment.name} does not show ${s}: ${text}`);
      for (const h of hidden) if (text.includes(h)) bad.push(`${fragment.name} shows the raw ${h}: ${text}`);
      // No integer of 13 digits or more outside a decimal fraction or hex (a raw wei amount).
      const plain = text.replace(/0x[0-9a-fA-F…]+/g, "").replace(/\.[0-9]+/g, "");
      if (/[0-9]{13,}/.test(plain)) bad.push(`${fragment.name} shows a raw integer: ${text}`);
    }
    expect(bad).to.deep.equal([]);
  });

  it("reads holder errors exactly as the web app shows them", function () {
    const ether = 10n ** 18n;
    expect(describeCustomError("StakeLimitExceeded", [150n * ether, 10n * ether + 1n])).to.equal(
      "Staking 150 ETH is above the current stake limit of 10.000000000000000001 ETH. Stake less, or wait for the limit to refill. (StakeLimitExceeded)",
    );
    expect(describeCustomError("RequestAmountTooSmall", [50n, 100n])).to.equal(
      "A withdrawal request must be worth at least 0.0000000000000001 ETH; this one is 0.00000000000000005 ETH. (RequestAmountTooSmall)",
    );
    expect(describeCustomError("InsufficientInstantLiquidity", [5n * ether, (35n * ether) / 10n])).to.equal(
      "Only 3.5 ETH can be redeemed instantly right now; you asked for 5 tpETH. (InsufficientInstantLiquidity)",
    );
    expect(describeCustomError("InsufficientShares", [ZeroAddress, ether / 2n, ether])).to.equal(
      "Your share balance is too low: 0.5 held, 1 needed. (InsufficientShares)",
    );
    expect(describeCustomError("OperatorLossMismatch", [3n, 1_500_000_000n, 0n])).to.equal(
      "The report charges operator #3 1.5 ETH, but its keys owe 0 ETH. (OperatorLossMismatch)",
    );
    expect(describeCustomError("ERC2612ExpiredSignature", [1_700_000_000n])).to.equal(
      "The permit signature expired (deadline 2023-11-14T22:13:20.000Z). Please sign again. (ERC2612ExpiredSignature)",
    );
  });

  it("names the role an account lacks", function () {
    const account = "0x00000000000000000000000000000000000000a7";
    expect(describeCustomError("AccessControlUnauthorizedAccount", [account, keccakText("PAUSE_ROLE")])).to.equal(
      "0x0000…00A7 does not have the role this needs (PAUSE_ROLE). (AccessControlUnauthorizedAccount)",
    );
    expect(describeCustomError("AccessControlUnauthorizedAccount", [account, `0x${"00".repeat(32)}`])).to.equal(
      "0x0000…00A7 does not have the role this needs (DEFAULT_ADMIN_ROLE). (AccessControlUnauthorizedAccount)",
    );
  });

  it("phrases an error the sentences do not know from its ABI, amounts in ETH", function () {
    const iface = new Interface([
      "error NewThingFailed(uint256 requestId, uint256 amountOfEther, uint256 feeBP, uint256 lossGwei, address account)",
    ]);
    const data = iface.encodeErrorResult("NewThingFailed", [
      7n,
      1_500_000_000_000_000_000n,
      25n,
      2_000_000_000n,
      "0x00000000000000000000000000000000000000a7",
    ]);
    expect(describeError({ data }, [iface])).to.equal(
      "New thing failed (request id 7, amount of ether 1.5 ETH, fee bp 0.25%, loss gwei 2 ETH, account 0x0000…00A7). (NewThingFailed)",
    );
  });

  it("falls back to ethers' short message, and words a lack of gas money", function () {
    expect(describeError({ shortMessage: "could not coalesce error", message: "long\ntext" }, INTERFACES)).to.equal(
      "could not coalesce error",
    );
    expect(describeError({ code: "INSUFFICIENT_FUNDS", message: "x" }, INTERFACES)).to.equal(
      "Not enough ETH to pay for this transaction and its gas.",
    );
    expect(describeError(new Error("first line\nsecond"), INTERFACES)).to.equal("first line");
  });

  it("keeps the raw error, the name and the arguments in a TidepoolSdkError", function () {
    const raw = { code: "CALL_EXCEPTION", info: { error: { data: customErrorData("UnknownRequest", [12n]) } } };
    const error = toSdkError(raw);
    expect(error).to.be.instanceOf(TidepoolSdkError);
    expect(error).to.be.instanceOf(Error);
    expect(isTidepoolSdkError(error)).to.equal(true);
    expect(error.sentence).to.equal("Withdrawal request #12 does not exist. (UnknownRequest)");
    expect(error.message).to.equal(error.sentence);
    expect(error.raw).to.equal(raw);
    expect(error.errorName).to.equal("UnknownRequest");
    expect(error.args).to.deep.equal([12n]);
    expect(toSdkError(error)).to.equal(error);
    expect(decodeCustomError(raw, INTERFACES)?.name).to.equal("UnknownRequest");

    const plain = toSdkError(new Error("socket hang up"));
    expect(plain.sentence).to.equal("socket hang up");
    expect(plain.errorName).to.equal(undefined);
    expect(plain.args).to.equal(undefined);

    const own = customSdkError("ZeroRecipient");
    expect(own.sentence).to.equal("The recipient must not be the zero address. (ZeroRecipient)");
    expect(own.raw).to.equal(undefined);
    expect(own.errorName).to.equal("ZeroRecipient");
    expect(() => customErrorData("NoSuchError")).to.throw(
      RangeError,
      "no interface declares the custom error NoSuchError",
    );
  });

  it("recognises a declined wallet prompt", function () {
    expect(isUserRejection({ code: "ACTION_REJECTED" })).to.equal(true);
    expect(isUserRejection({ error: { code: 4001 } })).to.equal(true);
    expect(isUserRejection({ code: 4200 })).to.equal(false);
    expect(isUserRejection(new Error("x"))).to.equal(false);
  });
});
