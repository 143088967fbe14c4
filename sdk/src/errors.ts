/**
 * Turning a failure into words: the custom error a revert carries, decoded with the contracts' ABIs
 * (sdk/src/revert.ts, as the Hardhat tasks do), then phrased for a holder, with its name kept
 * in parentheses for support; other failures by ethers' short message. Every custom error of every
 * contract the SDK ships has a sentence of its own (PHRASES); one that a newer ABI adds is phrased
 * from its ABI, amounts in ETH.
 */
import { ZeroHash, id as keccakText, type ErrorDescription, type Interface, type ParamType } from "ethers";
import { eth, percentBP } from "./format";
import { INTERFACES } from "./protocol";
import { parseRevert } from "./revert";
import { TidepoolSdkError } from "./sdk-error";

type Args = ErrorDescription["args"];

const big = (args: Args, i: number): bigint => BigInt(args[i] as bigint);
const e = (args: Args, i: number, unit = "ETH"): string => eth(big(args, i), 18, unit);
/** A gwei amount in ETH. */
const g = (args: Args, i: number): string => eth(big(args, i) * 1_000_000_000n, 18);
/** Pool shares, in units of 10^18 like wtpETH. */
const sh = (args: Args, i: number): string => eth(big(args, i), 18, "shares");
const bp = (args: Args, i: number): string => percentBP(big(args, i));
const short = (address: unknown): string => {
  const a = String(address);
  return a.length > 12 ? `${a.slice(0, 6)}…${a.slice(-4)}` : a;
};
/** A unix time as an ISO date (UTC), or as the number when it is beyond any date. */
const when = (args: Args, i: number): string => {
  const seconds = big(args, i);
  return seconds <= 8_640_000_000_000n ? new Date(Number(seconds) * 1000).toISOString() : `unix time ${seconds}`;
};
const plural = (n: bigint, one: string, many = `${one}s`): string => `${n} ${n === 1n ? one : many}`;
/** FAR_FUTURE_EPOCH: a validator that has not started to exit. */
const FAR_FUTURE = 2n ** 64n - 1n;
/** BeaconFacts' fact bits, named. */
const FACT_NAMES: Record<number, string> = {
  1: "slashing",
  2: "exit",
  4: "late exit",
  8: "foreign-credentials fact",
  16: "forced exit",
};

/** Role hashes of every `…_ROLE` the shipped contracts declare, to their names. */
let roles: Map<string, string> | undefined;
function roleName(role: unknown): string {
  if (roles === undefined) {
    roles = new Map([[ZeroHash, "DEFAULT_ADMIN_ROLE"]]);
    for (const iface of INTERFACES) {
      iface.forEachFunction((f) => {
        if (/^[A-Z_]+_ROLE$/.test(f.name) && f.name !== "DEFAULT_ADMIN_ROLE") roles!.set(keccakText(f.name), f.name);
      });
    }
  }
  const hash = String(role).toLowerCase();
  return roles.get(hash) ?? short(hash);
}

/** Sentences for every custom error of the shipped contracts; amounts in ETH, accounts shortened. */
const PHRASES: Record<string, (a: Args) => string> = {
  // ── The wtpETH bridge (BridgeGuard, LayerZero's OApp and OFT): amounts in wtpETH ──
  ZeroAmount: () => "Nothing to send: the amount is zero once cut to the bridge's 6 decimals.",
  RateLimitExceeded: (a) =>
    `Sending ${e(a, 1, "wtpETH")} to endpoint ${String(a[0])} is over the path's rate limit: ${e(a, 2, "wtpETH")} can be sent now.`,
  NoPeer: (a) => `No bridge peer is set on this chain for endpoint ${String(a[0])}: check the destination.`,
  EnforcedPause: () => "The bridge is paused on this chain.",
  NotEnoughNative: (a) => `The fee offered (${e(a, 0)}) is not LayerZero's quote: quote again.`,
  // ── Holders: staking, tokens, permits ──
  StakeZeroAmount: () => "The amount to stake must be more than zero.",
  StakeTooSmall: (a) => `Staking ${e(a, 0)} is too little to mint a single share.`,
  StakingPaused: () => "Staking is paused right now. Please try again later.",
  StakeLimitExceeded: (a) =>
    `Staking ${e(a, 0)} is above the current stake limit of ${e(a, 1)}. Stake less, or wait for the limit to refill.`,
  InsufficientShares: (a) => `Your share balance is too low: ${e(a, 1, "")} held, ${e(a, 2, "")} needed.`,
  ERC2612ExpiredSignature: (a) => `The permit signature expired (deadline ${when(a, 0)}). Please sign again.`,
  PermitInvalidSignature: (a) => `The permit signature is not valid for ${short(a[0])}.`,
  ERC2612InvalidSigner: (a) => `The permit was signed by ${short(a[0])}, not by the owner ${short(a[1])}.`,
  ERC20InsufficientBalance: (a) => `Your balance (${e(a, 1, "")}) is below the ${e(a, 2, "")} needed.`,
  ERC20InsufficientAllowance: (a) => `The allowance (${e(a, 1, "")}) is below the ${e(a, 2, "")} needed.`,
  ERC20InvalidSender: (a) => `Tokens cannot be sent from ${short(a[0])}.`,
  ERC20InvalidReceiver: (a) => `${short(a[0])} cannot receive tpETH this way (use wrap to get wtpETH).`,
  ERC20InvalidApprover: (a) => `Approvals cannot be given from ${short(a[0])}.`,
  ERC20InvalidSpender: (a) => `${short(a[0])} cannot be approved to spend tokens.`,
  ZeroShares: () => "The amount is too small: it is worth less than the smallest unit of wtpETH.",
  InvalidAccountNonce: (a) => `The signature for ${short(a[0])} uses an old nonce; the current one is ${big(a, 1)}.`,
  InvalidRecipient: (a) => `Pool shares sent to ${short(a[0])} would be lost. Choose another recipient.`,
  ZeroPayOut: () => "There is nothing to pay out: the amount is zero shares.",
  // ── Holders: instant redemption ──
  InstantRedeemZeroAmount: () => "The amount to redeem must be more than zero.",
  InstantRedeemPaused: () => "Instant redemption is paused right now. You can still request a withdrawal.",
  InstantRedeemBunkerMode: () =>
    "Instant redemption is off while the protocol realises a loss (bunker mode). You can request a withdrawal.",
  InsufficientInstantLiquidity: (a) =>
    `Only ${e(a, 1)} can be redeemed instantly right now; you asked for ${e(a, 0, "tpETH")}.`,
  InstantRedeemFrameCapExceeded: (a) =>
    `Instant redemptions are capped for today: ${e(a, 1, "tpETH")} left, you asked for ${e(a, 0, "tpETH")}.`,
  SlippageExceeded: (a) =>
    `You would receive ${e(a, 0)}, less than your minimum of ${e(a, 1)}: the fee rose since the preview. Review the new preview and try again.`,
  EthTransferFailed: (a) => `Sending ${e(a, 1)} to ${short(a[0])} failed.`,
  ProtocolContractRefused: (a) =>
    `${short(a[0])} is one of Tidepool's own contracts: it cannot receive this, and nothing could ever move it again. Choose another address.`,
  ZeroAddress: (a) => `The ${String(a[0])} address must not be the zero address.`,
  // ── Holders: withdrawal requests and claims ──
  EmptyRequestList: () => "No amount was given for the withdrawal request.",
  RequestAmountTooSmall: (a) => `A withdrawal request must be worth at least ${e(a, 1)}; this one is ${e(a, 0)}.`,
  RequestAmountTooLarge: (a) =>
    `A withdrawal request can be worth at most ${e(a, 1)}; this one is ${e(a, 0)}. Split it into several requests.`,
  PermitFailedAndAllowanceTooLow: (a) =>
    `The permit could not be used and the allowance (${e(a, 0, "")}) is below the ${e(a, 1, "")} needed.`,
  WithdrawalsPaused: () => "Withdrawals are paused right now. Please try again later.",
  UnknownRequest: (a) => `Withdrawal request #${big(a, 0)} does not exist.`,
  NotRequestOwner: (a) => `Withdrawal request #${big(a, 0)} belongs to ${short(a[2])}, not to you.`,
  RequestNotFinalized: (a) => `Withdrawal request #${big(a, 0)} is not ready to claim yet.`,
  RequestAlreadyClaimed: (a) => `Withdrawal request #${big(a, 0)} has already been claimed.`,
  InvalidHint: (a) => `The checkpoint hint for request #${big(a, 0)} is out of date; refresh and claim again.`,
  InvalidHintRange: (a) =>
    `Checkpoints ${big(a, 0)} to ${big(a, 1)} are not a range to search: it must start at 1 and end at the last checkpoint at most.`,
  ArrayLengthMismatch: (a) => `Two lists that go together differ in length (${big(a, 0)} and ${big(a, 1)}).`,
  ZeroRecipient: () => "The recipient must not be the zero address.",
  ERC721IncorrectOwner: (a) => `Withdrawal request #${big(a, 1)} belongs to ${short(a[2])}, not to ${short(a[0])}.`,
  ERC721InsufficientApproval: (a) => `${short(a[0])} is not allowed to move withdrawal request #${big(a, 1)}.`,
  ERC721InvalidApprover: (a) => `${short(a[0])} cannot approve transfers of withdrawal requests.`,
  ERC721InvalidOperator: (a) => `${short(a[0])} cannot be made an operator of withdrawal requests.`,
  ERC721InvalidOwner: (a) => `${short(a[0])} cannot own withdrawal requests.`,
  ERC721InvalidReceiver: (a) =>
    `${short(a[0])} cannot receive withdrawal requests: a contract must accept ERC-721 tokens to own them.`,
  ERC721InvalidSender: (a) => `Withdrawal requests cannot be sent from ${short(a[0])}.`,
  ERC721NonexistentToken: (a) => `Withdrawal request #${big(a, 0)} does not exist (or was claimed already).`,
  // ── The protocol's own calls ──
  CallerNotDepositSecurityModule: (a) =>
    `Only the deposit security module can deposit buffered ETH; ${short(a[0])} cannot.`,
  CallerNotOperator: (a) => `Only the reward address of operator #${big(a, 1)} can do this; ${short(a[0])} cannot.`,
  CallerNotOracle: (a) => `Only the accounting oracle can apply reports; ${short(a[0])} cannot.`,
  CallerNotPool: (a) => `Only the staking pool can call this; ${short(a[0])} cannot.`,
  CallerNotVault: (a) => `Only the withdrawal and EL-rewards vaults can send ETH this way; ${short(a[0])} cannot.`,
  CallerNotWithdrawalQueue: (a) => `Only the withdrawal queue can call this; ${short(a[0])} cannot.`,
  CallerNotWrapper: (a) => `Only the wtpETH wrapper can call this; ${short(a[0])} cannot.`,
  BootstrapDepositTooSmall: (a) => `The bootstrap deposit of ${e(a, 0)} is below the minimum.`,
  InsufficientVaultBalance: (a) => `The vault holds ${e(a, 1)}, less than the ${e(a, 0)} asked for.`,
  VaultAmountExceedsBalance: (a) =>
    `The report takes ${e(a, 1)} from vault ${short(a[0])}, which holds only ${e(a, 2)}.`,
  ZeroShareRate: () => "A share rate of zero is not valid.",
  FinalizationExceedsBuffer: (a) =>
    `Finalizing would lock ${e(a, 0)}, more than the ${e(a, 1)} the buffer holds after the report.`,
  InvalidRequestIdToFinalize: (a) =>
    `Request #${big(a, 0)} cannot be finalized next: requests up to #${big(a, 1)} are finalized and the last one is #${big(a, 2)}.`,
  RequestAfterRefSlot: (a) =>
    `Request #${big(a, 0)} was made after the report's reference slot, so this report cannot finalize it.`,
  // ── Governance and parameters ──
  AccessControlUnauthorizedAccount: (a) => `${short(a[0])} does not have the role this needs (${roleName(a[1])}).`,
  AccessControlBadConfirmation: () => "A role can only be renounced by its holder, for itself.",
  RoleGrantToZeroAddress: (a) => `${roleName(a[0])} cannot be granted to the zero address.`,
  CommitteeZeroAddress: (a) => `The ${String(a[0])} address must not be the zero address.`,
  InvalidCapabilities: (a) => `Capabilities ${big(a, 0)} name nothing that can be paused or resumed.`,
  InvalidStakeLimit: (a) => `A stake limit of ${e(a, 0)} growing by ${e(a, 1)} per block is out of bounds.`,
  InvalidInstantRedeemParams: (a) =>
    `Instant-redemption fees of ${bp(a, 0)} to ${bp(a, 1)} with a daily cap of ${bp(a, 2)} of TVL are out of bounds.`,
  InvalidInstantLiquidityTarget: (a) => `An instant-liquidity target of ${bp(a, 0)} of TVL is above its cap.`,
  FeeTooHigh: (a) => `Fees of ${bp(a, 0)} in all are above the ${bp(a, 1)} maximum.`,
  InvalidFrameConfig: (a) =>
    `Frames of ${plural(big(a, 0), "epoch")} with a report deadline of ${plural(big(a, 1), "slot")} are out of bounds.`,
  SanityLimitOutOfRange: (a) =>
    `The sanity limit ${String(a[0])} cannot be ${big(a, 1)}: it must be between ${big(a, 2)} and ${big(a, 3)}.`,
  InvalidQuorum: (a) => `A quorum of ${big(a, 0)} must be at least 1 and at most the ${big(a, 1)} guardians.`,
  InvalidMaxAttestationAge: (a) =>
    `An attestation age limit of ${plural(big(a, 0), "block")} is not between 1 and 256.`,
  TooManyGuardians: (a) => `The guardian set is full (${big(a, 0)} at most).`,
  TooManyMembers: (a) => `The oracle committee is full (${big(a, 0)} members at most).`,
  TooManyOperators: (a) => `The operator limit of ${big(a, 0)} is reached.`,
  DuplicateGuardian: (a) => `${short(a[0])} is a guardian already.`,
  DuplicateMember: (a) => `${short(a[0])} is a member of the oracle committee already.`,
  InvalidInitialization: () => "The contract is initialized already.",
  NotInitializing: () => "The contract is not initializing.",
  ERC1967InvalidImplementation: (a) => `${short(a[0])} is not a contract to upgrade to.`,
  ERC1967NonPayable: () => "This upgrade must not carry ETH.",
  UUPSUnauthorizedCallContext: () => "Upgrades must go through the proxy.",
  UUPSUnsupportedProxiableUUID: () => "The new implementation is not a compatible upgrade (wrong proxiable UUID).",
  AddressEmptyCode: (a) => `${short(a[0])} has no contract code.`,
  FailedCall: () => "A call to another contract failed.",
  ReentrancyGuardReentrantCall: () => "A contract tried to call back in while the call was still running.",
  SafeCastOverflowedUintDowncast: (a) => `A number is too large to fit in ${big(a, 0)} bits.`,
  InvalidShortString: () => "A name or version text is malformed.",
  StringTooLong: (a) => `The text "${String(a[0])}" is too long.`,
  // ── Signatures ──
  ECDSAInvalidSignature: () => "The signature is not valid.",
  ECDSAInvalidSignatureLength: (a) => `The signature is ${plural(big(a, 0), "byte")} long; it must be 65.`,
  ECDSAInvalidSignatureS: () => "The signature is malformed (its s value is too high).",
  // ── Operators, keys and deposits ──
  OperatorNotFound: (a) => `There is no operator #${big(a, 0)}.`,
  OperatorInactive: (a) => `Operator #${big(a, 0)} is deactivated.`,
  OperatorNotDepositable: (a) =>
    `Operator #${big(a, 0)} cannot take a deposit now: it is inactive, out of vetted keys or out of bond cover.`,
  OperatorNotNext: (a) =>
    `Operator #${big(a, 0)} runs ${plural(big(a, 1), "validator")}; deposits go first to operators running ${big(a, 2)}.`,
  OperatorValidatorCapReached: (a) =>
    `Operator #${big(a, 0)} would run more than the cap of ${plural(big(a, 1), "validator")} per operator.`,
  OperatorKeysChanged: (a) =>
    `Operator #${big(a, 0)} changed its keys after they were reviewed (keys nonce ${big(a, 1)}, now ${big(a, 2)}); review them again.`,
  InvalidOperatorName: (a) => `An operator name must be 1 to 64 bytes long, not ${big(a, 0)}.`,
  InvalidKeysCount: (a) => `A batch must hold 1 to ${plural(big(a, 1), "key")}, not ${big(a, 0)}.`,
  InvalidKeyRange: (a) =>
    `${plural(big(a, 2), "key")} from #${big(a, 1)} of operator #${big(a, 0)} are not all undeposited keys (${big(a, 3)} deposited of ${big(a, 4)}).`,
  InvalidPubkeysLength: (a) => `The public keys take ${plural(big(a, 0), "byte")}, not ${big(a, 1)} (48 per key).`,
  InvalidSignaturesLength: (a) => `The signatures take ${plural(big(a, 0), "byte")}, not ${big(a, 1)} (96 per key).`,
  DuplicatePubkey: (a) => `The validator key ${short(a[0])} was registered before.`,
  NotEnoughVettedKeys: (a) =>
    `Operator #${big(a, 0)} has ${plural(big(a, 2), "vetted key")} left to deposit, fewer than the ${big(a, 1)} asked for.`,
  BondTooSmall: (a) =>
    `Operator #${big(a, 0)}'s bond covers ${plural(big(a, 2), "validator")}, fewer than the ${big(a, 1)} it would run after this deposit.`,
  BondLocked: (a) =>
    `Operator #${big(a, 0)} asked for ${sh(a, 1)} of its bond, but only ${sh(a, 2)} are not backing active validators.`,
  BondPerValidatorTooHigh: (a) => `A bond of ${e(a, 0)} per validator is above the cap of ${e(a, 1)}.`,
  ZeroBond: () => "A bond deposit must carry some ETH.",
  NoOperatorRewards: (a) => `Operator #${big(a, 0)} has no rewards to claim.`,
  WrongDepositValue: (a) => `The deposit carries ${e(a, 0)}; it must be exactly ${e(a, 1)} (32 ETH per key).`,
  DepositsPaused: () => "Deposits to validators are paused right now.",
  InvalidDepositCount: (a) => `A deposit must be for 1 to ${plural(big(a, 1), "validator")}, not ${big(a, 0)}.`,
  NotEnoughBufferedEther: (a) =>
    `The deposit needs ${e(a, 0)}, but only ${e(a, 1)} of the buffer can go to validators now.`,
  NotGuardian: (a) => `${short(a[0])} is not a guardian.`,
  NotEnoughSignatures: (a) => `${plural(big(a, 0), "guardian signature")} given; the quorum is ${big(a, 1)}.`,
  SignersNotSorted: (a) =>
    `Signatures must be sorted by signer, strictly ascending: ${short(a[1])} came after ${short(a[0])}.`,
  DepositRootChanged: (a) =>
    `The deposit contract changed since the guardians signed (root ${short(a[0])}, now ${short(a[1])}); get fresh signatures.`,
  KeysNonceChanged: (a) =>
    `The operators' keys changed since the guardians signed (nonce ${big(a, 0)}, now ${big(a, 1)}); get fresh signatures.`,
  StaleAttestation: (a) =>
    `The guardians' attestation of block ${big(a, 0)} is too old or from another fork; get fresh signatures.`,
  LevelEmpty: (a) => `Level ${big(a, 0)} holds no operator to remove.`,
  LevelOutOfRange: (a) => `Level ${big(a, 0)} is out of range.`,
  // ── Oracle reports ──
  NotMember: (a) => `${short(a[0])} is not a member of the oracle committee.`,
  ReportsPaused: () => "Oracle reports are paused right now.",
  NoFrameYet: (a) => `The chain has not reached the first oracle frame yet (slot ${big(a, 0)}).`,
  FrameAlreadyProcessed: (a) => `The report for reference slot ${big(a, 0)} was applied already.`,
  UnexpectedRefSlot: (a) =>
    `The report is for slot ${big(a, 0)}, but the current frame's reference slot is ${big(a, 1)}.`,
  ReportDeadlinePassed: (a) =>
    `The reporting window for slot ${big(a, 0)} closed at slot ${big(a, 1)}; it is slot ${big(a, 2)} now.`,
  NonCanonicalReportEncoding: () => "The report's data is not in canonical ABI encoding.",
  ReportArrayLengthMismatch: (a) =>
    `The report's ${String(a[0])} lists differ in length (${big(a, 1)} and ${big(a, 2)}).`,
  AnnualAprLimitExceeded: (a) =>
    `The report's consensus-layer rewards, ${bp(a, 0)} a year, are above the limit of ${bp(a, 1)}.`,
  ClBalanceDropLimitExceeded: (a) =>
    `The report's consensus-layer balance drop of ${bp(a, 0)} is above the one-off limit of ${bp(a, 1)}, and no proven slashing explains it.`,
  ClBalanceDropExceedsProvenSlashings: (a) =>
    `The report's consensus-layer balance drop is ${g(a, 0)} above the one-off limit, more than the ${g(a, 1)} that proven slashings explain.`,
  FinalizationHeldBySlashingProof: (a) =>
    `A slashing was proven after this report's reference slot (${when(a, 0)}): until a report from ${when(a, 1)} on, nothing can be finalized.`,
  CallerNotBeaconFacts: (a) => `Only the beacon facts contract may do this, not ${short(a[0])}.`,
  NoDepositInTransit: () =>
    `No deposit is in transit: every deposited validator is already counted on the beacon chain.`,
  ExitRequestFailed: (a) => `The EIP-7002 contract refused the exit request (fee sent ${e(a, 1)}).`,
  InvalidPubkeyLength: (a) => `A validator public key is 48 bytes, not ${big(a, 0)}.`,
  NumValidatorsDecreased: (a) =>
    `The report counts ${plural(big(a, 0), "validator")}, fewer than the ${big(a, 1)} of the last report.`,
  NumValidatorsExceedDeposited: (a) =>
    `The report counts ${plural(big(a, 0), "validator")}, more than the ${big(a, 1)} ever deposited.`,
  FinalizationInBunkerMode: (a) => `A bunker-mode report cannot finalize withdrawals (it named request #${big(a, 0)}).`,
  FinalizationBatchesMismatch: (a) =>
    `The report's finalization batches end at request #${big(a, 0)}, not at #${big(a, 1)}, the last request it finalizes.`,
  TooManyFinalizationBatches: (a) =>
    `The report has ${plural(big(a, 0), "finalization batch", "finalization batches")}; at most ${big(a, 1)} are allowed.`,
  ExitRequestsExceedDemand: (a) =>
    `The report asks ${plural(big(a, 0), "validator")} to exit; the withdrawal queue's shortfall justifies ${big(a, 1)}.`,
  TooManyExitRequests: (a) =>
    `The report asks ${plural(big(a, 0), "validator")} to exit; at most ${big(a, 1)} fit in one report.`,
  ExitKeyNotDeposited: (a) =>
    `Key #${big(a, 1)} of operator #${big(a, 0)} was never deposited, so it cannot be asked to exit.`,
  ExitedKeysNotAscending: (a) =>
    `The report's exited-keys entry ${big(a, 0)} (operator #${big(a, 1)}) is out of order: operators must be strictly ascending.`,
  InvalidExitedKeys: (a) =>
    `Operator #${big(a, 0)} cannot have ${big(a, 1)} exited keys: it had ${big(a, 2)} and has ${big(a, 3)} deposited.`,
  OperatorIdsNotAscending: (a) =>
    `The report's loss entry ${big(a, 0)} (operator #${big(a, 1)}) is out of order: operators must be strictly ascending.`,
  TooManyOperatorsWithLosses: (a) =>
    `The report charges losses to ${plural(big(a, 0), "operator")}; at most ${big(a, 1)} fit in one report.`,
  ZeroOperatorLoss: (a) => `The report charges operator #${big(a, 0)} a loss of zero.`,
  OperatorLossMismatch: (a) => `The report charges operator #${big(a, 0)} ${g(a, 1)}, but its keys owe ${g(a, 2)}.`,
  KeyLossTooLarge: (a) =>
    `A loss of ${g(a, 2)} on key #${big(a, 1)} of operator #${big(a, 0)} is above the 32 ETH it was deposited with.`,
  KeyLossesNotAscending: (a) =>
    `The report's key-loss entry ${big(a, 0)} is out of order: entries must be strictly ascending.`,
  LossKeyNotDeposited: (a) =>
    `Key #${big(a, 1)} of operator #${big(a, 0)} was never deposited, so it cannot carry a loss.`,

  // ── Beacon facts: proofs against EIP-4788 roots (BeaconFacts, BeaconProofVerifier) ──
  PubkeyMismatch: (a) =>
    `The proven validator's public key is not that of key #${big(a, 1)} of operator #${big(a, 0)}.`,
  KeyNotDeposited: (a) =>
    `Key #${big(a, 1)} of operator #${big(a, 0)} was never deposited by the pool, so there is nothing to prove about it.`,
  WrongWithdrawalCredentials: (a) => `The validator's withdrawal credentials ${short(a[0])} do not fit this proof.`,
  FactAlreadyProven: (a) =>
    `That ${FACT_NAMES[Number(big(a, 2))] ?? `fact ${big(a, 2)}`} was already proven for key #${big(a, 1)} of operator #${big(a, 0)}.`,
  NotSlashed: (a) =>
    a[0] === true
      ? `The validator's slashing is past its penalty window (withdrawable since epoch ${big(a, 1)}, now epoch ${big(a, 2)}).`
      : `The validator is not slashed (epoch ${big(a, 2)}).`,
  NotExited: (a) =>
    big(a, 0) === FAR_FUTURE
      ? `The validator has not started to exit (epoch ${big(a, 1)}).`
      : `The validator has not exited yet: its exit epoch is ${big(a, 0)}, the proof's epoch ${big(a, 1)}.`,
  ExitNotLate: (a) =>
    big(a, 0) !== FAR_FUTURE
      ? `The validator started to exit (exit epoch ${big(a, 0)}), so its exit is not late.`
      : `The exit is not late yet: the deadline is ${when(a, 2)} and the proof's slot is at ${when(a, 1)}.`,
  UnknownExitRequests: (a) => `No report recorded exit requests with root ${short(a[0])}.`,
  KeyNotRequestedToExit: (a) => `Key #${big(a, 1)} of operator #${big(a, 0)} is not among that report's exit requests.`,
  ExitFeeNotCovered: (a) => `The ${e(a, 0)} sent does not cover the EIP-7002 exit request fee of ${e(a, 1)}.`,
  ExitFeeUnavailable: () =>
    "The EIP-7002 withdrawal request contract cannot tell its fee (is it deployed on this chain?).",
  RefundFailed: (a) => `Returning ${e(a, 1)} sent above the fee to ${short(a[0])} failed.`,
  ForcedExitLimitReached: (a) =>
    `Governance has used today's ${plural(big(a, 0), "forced exit")}; try again tomorrow (UTC).`,
  ExitSettingOutOfRange: (a) => `The exit setting ${String(a[0])} cannot be ${big(a, 1)}; at most ${big(a, 2)}.`,
  BeaconRootNotFound: (a) =>
    `The EIP-4788 contract holds no beacon block root for time ${when(a, 0)} (never written, or older than ~27 hours).`,
  BeaconHeaderMismatch: (a) =>
    `The beacon block header hashes to ${short(a[0])}, not to the root ${short(a[1])} EIP-4788 holds for that time.`,
  BeaconProofInvalid: () => "The validator proof does not lead to the header's state root.",
};

/** "RequestAmountTooLarge" → "request amount too large". */
function words(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase();
}

/** One argument of an error phrased from its ABI: gwei and wei amounts in ETH, shares in units of 10^18. */
function argumentText(input: ParamType, value: unknown): string {
  const name = input.name;
  if (/^u?int[0-9]*$/.test(input.type)) {
    const n = BigInt(value as bigint);
    if (/gwei$/i.test(name)) return eth(n * 1_000_000_000n, 18);
    if (/(^|[a-z])shares$/i.test(name) && !/^num/i.test(name)) return eth(n, 18, "shares");
    if (/(amount|ether|eth|wei|balance|allowance|needed|limit|value|fee)$/i.test(name) && !/bp$/i.test(name)) {
      return eth(n, 18);
    }
    if (/bp$/i.test(name)) return percentBP(n);
    return n.toString();
  }
  if (input.baseType === "address" || input.baseType.startsWith("bytes")) return short(value);
  return String(value);
}

/** A custom error in words from its ABI, for one the sentences above do not know yet. */
function fromAbi(error: ErrorDescription): string {
  const parts = error.fragment.inputs.map((input, i) => {
    const label = words(input.name || `arg${i}`);
    return `${label} ${argumentText(input, error.args[i] as unknown)}`;
  });
  const head = words(error.name);
  return `${head.charAt(0).toUpperCase()}${head.slice(1)}${parts.length ? ` (${parts.join(", ")})` : ""}.`;
}

/** The decoded custom error, or undefined when `error` carries none that `interfaces` know. */
export function decodeCustomError(error: unknown, interfaces: readonly Interface[]): ErrorDescription | undefined {
  return parseRevert(error, interfaces);
}

/** A failure in words: the custom error phrased for a holder, else ethers' short message. */
export function describeError(error: unknown, interfaces: readonly Interface[]): string {
  const decoded = decodeCustomError(error, interfaces);
  if (decoded) {
    const phrase = PHRASES[decoded.name];
    let sentence: string;
    try {
      sentence = phrase ? phrase(decoded.args) : fromAbi(decoded);
    } catch {
      sentence = fromAbi(decoded); // arguments a sentence cannot take (never from the contracts)
    }
    return `${sentence} (${decoded.name})`;
  }
  const err = error as { shortMessage?: unknown; message?: unknown; code?: unknown } | null;
  if (err?.code === "INSUFFICIENT_FUNDS") return "Not enough ETH to pay for this transaction and its gas.";
  const text =
    typeof err?.shortMessage === "string"
      ? err.shortMessage
      : typeof err?.message === "string"
        ? err.message
        : String(error);
  return text.split("\n")[0];
}

/**
 * The revert data of custom error `name` with `args`, encoded with the first of `interfaces` that
 * declares it; throws a RangeError when none does.
 */
export function customErrorData(
  name: string,
  args: readonly unknown[] = [],
  interfaces: readonly Interface[] = INTERFACES,
): string {
  for (const iface of interfaces) {
    const fragment = iface.getError(name);
    if (fragment) return iface.encodeErrorResult(fragment, args);
  }
  throw new RangeError(`no interface declares the custom error ${name}`);
}

/**
 * The sentence {@link describeError} gives for custom error `name` with `args`: what a contract
 * would say, for a check the SDK makes before sending anything.
 */
export function describeCustomError(
  name: string,
  args: readonly unknown[] = [],
  interfaces: readonly Interface[] = INTERFACES,
): string {
  return describeError({ data: customErrorData(name, args, interfaces) }, interfaces);
}

/**
 * `error` as a {@link TidepoolSdkError}: its sentence from {@link describeError}, the custom error's
 * name and arguments when it carries one, and the original in `raw`. A TidepoolSdkError is returned
 * as it is.
 */
export function toSdkError(error: unknown, interfaces: readonly Interface[] = INTERFACES): TidepoolSdkError {
  if (error instanceof TidepoolSdkError) return error;
  const decoded = decodeCustomError(error, interfaces);
  return new TidepoolSdkError(describeError(error, interfaces), {
    raw: error,
    ...(decoded ? { errorName: decoded.name, args: [...decoded.args] } : {}),
  });
}

/**
 * A {@link TidepoolSdkError} for custom error `name` with `args`, as the contract would raise it:
 * for checks the SDK makes before sending anything (nothing is in `raw`).
 */
export function customSdkError(
  name: string,
  args: readonly unknown[] = [],
  interfaces: readonly Interface[] = INTERFACES,
): TidepoolSdkError {
  return new TidepoolSdkError(describeCustomError(name, args, interfaces), { errorName: name, args });
}

/** Whether the person declined in their wallet (EIP-1193 code 4001, ethers `ACTION_REJECTED`). */
export function isUserRejection(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== "object" || depth > 5) return false;
  const err = error as Record<string, unknown>;
  if (err.code === "ACTION_REJECTED" || err.code === 4001) return true;
  return ["error", "info", "cause"].some((key) => isUserRejection(err[key], depth + 1));
}
