/**
 * Hardhat tasks for tpETH / wtpETH holders (docs/protocol.md §8): stake, wrap, unwrap, instant-redeem,
 * status (withdrawals: tasks/withdrawals.ts). Each signs with `--from` (an account index or the
 * address of one of the network's accounts; default the first) and takes `--pool <address>`; without
 * it the pool comes from the Ignition deployment of the connected chain. Amounts print rounded to 6
 * decimals (an amount typed by the caller is echoed exactly); raw shares only with `--raw`. A failure
 * is one sentence (tasks/lib.ts `tidepoolTask`).
 *
 * Thin command lines over the SDK's `TidepoolClient` (sdk/src/client.ts): the task parses its
 * arguments, connects the client, calls it and prints what it returns; the client's checks,
 * previews and sentences are the task's (a `TidepoolSdkError` is the task's one sentence).
 *
 * Loaded by hardhat.config.ts before compilation: no top-level imports of typechain-types,
 * deploy/protocol.ts or `hardhat` (see tasks/lib.ts).
 */
import { eth, markdownTable } from "../sdk/src/format";
import { shareRateText, type ProtocolStatus } from "../sdk/src/status";
import {
  FROM_HELP,
  POOL_HELP,
  RAW_HELP,
  connectClient,
  duration,
  ethAtMost,
  fail,
  parseAddress,
  parseAmount,
  percentBP,
  signerFrom,
  tidepoolTask,
  viewedAccount,
} from "./lib";

/** Exact: an amount the caller typed is echoed as given. */
const EXACT = 18;

interface HolderArgs {
  pool?: string;
  from?: string;
  raw: boolean;
}

/** " (N shares)" with --raw, else nothing. */
const rawShares = (raw: boolean, shares: bigint, what = "shares"): string => (raw ? ` (${shares} ${what})` : "");

tidepoolTask("stake", "Stakes ETH in the pool for tpETH")
  .addParam("amount", "ETH to stake, e.g. 1.5")
  .addOptionalParam("referral", "Referral address (only logged)")
  .addOptionalParam("from", FROM_HELP)
  .addFlag("raw", RAW_HELP)
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: HolderArgs & { amount: string; referral?: string }, hre) => {
    const amount = parseAmount(args.amount);
    const referral =
      args.referral === undefined ? undefined : parseAddress(args.referral, "referral", { zero: "allow" });
    const signer = await signerFrom(hre, args.from);
    const client = await connectClient(hre, args.pool, signer);
    const staked = await client.stake(amount, referral === undefined ? {} : { referral });
    console.log(
      `Staked ${eth(amount, EXACT)} from ${signer.address}: +${eth(staked.tpEth, 6, "tpETH")}${rawShares(args.raw, staked.shares)}`,
    );
    console.log(`tx ${staked.receipt.hash}`);
  });

/** wrap: tpETH → wtpETH; unwrap: wtpETH → tpETH. One body, the direction picks the client's method. */
function wrapTask(name: "wrap" | "unwrap", description: string, unit: string): void {
  tidepoolTask(name, description)
    .addParam("amount", `${unit} to ${name}, e.g. 1.5`)
    .addOptionalParam("from", FROM_HELP)
    .addOptionalParam("pool", POOL_HELP)
    .setAction(async (args: Omit<HolderArgs, "raw"> & { amount: string }, hre) => {
      const amount = parseAmount(args.amount);
      const signer = await signerFrom(hre, args.from);
      const client = await connectClient(hre, args.pool, signer);
      const result = await client[name](amount);
      const tpEth = eth(result.tpEth, 6, "tpETH");
      const wtpEth = eth(result.wtpEth, 6, "wtpETH");
      console.log(
        name === "wrap"
          ? `Wrapped ${tpEth} into ${wtpEth} for ${signer.address}`
          : `Unwrapped ${wtpEth} into ${tpEth} for ${signer.address}`,
      );
      console.log(`tx ${result.receipt.hash}`);
    });
}

wrapTask("wrap", "Wraps tpETH into wtpETH", "tpETH");
wrapTask("unwrap", "Unwraps wtpETH into tpETH", "wtpETH");

/** "Redeemable now: …" for a preview: the most anyone can redeem instantly now, and what bounds it. */
function redeemableNowText(s: ProtocolStatus): string {
  if (s.instantRedeemPaused) return "0 tpETH (instant redemption is paused)";
  if (s.bunkerMode) return "0 tpETH (bunker mode)";
  return `${ethAtMost(s.redeemableNow, 6, "tpETH")} (instant liquidity ${ethAtMost(s.instantLiquidity)}, today's cap ${ethAtMost(s.instantRemainingToday, 6, "tpETH")} left)`;
}

tidepoolTask("instant-redeem", "Redeems tpETH for ETH at once, for a fee (previews only, unless --yes)")
  .addParam("amount", "tpETH to redeem, e.g. 1.5")
  .addOptionalParam("minOut", "Least ETH accepted; default: the previewed amount")
  .addFlag("yes", "Send the transaction (without it, only the preview is printed)")
  .addOptionalParam("from", FROM_HELP)
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: Omit<HolderArgs, "raw"> & { amount: string; minOut?: string; yes: boolean }, hre) => {
    const amount = parseAmount(args.amount);
    const minOutArg = args.minOut === undefined ? undefined : parseAmount(args.minOut, "min-out", true);
    const signer = await signerFrom(hre, args.from);
    const client = await connectClient(hre, args.pool, signer);
    // No slippage tolerance: the least accepted is the preview itself, unless --min-out says less.
    const [preview, status] = await Promise.all([client.previewInstantRedeem(amount, 0n), client.status()]);
    if (!preview.ok) fail(preview.reason ?? `${eth(amount, EXACT, "tpETH")} cannot be redeemed instantly now.`);
    const minOut = minOutArg ?? preview.minOut;
    if (minOut > preview.ethOut)
      fail(`--min-out ${eth(minOut, EXACT)} is above the previewed ${eth(preview.ethOut, EXACT)}`);
    console.log(
      `Instant redeem of ${eth(amount, EXACT, "tpETH")} from ${signer.address}: you receive ${eth(preview.ethOut)}, fee ${eth(preview.fee)} (${percentBP(preview.feeBP)}).`,
    );
    console.log(
      `Minimum received: ${ethAtMost(minOut)}${minOutArg === undefined ? " (the preview; --min-out to accept less)" : " (--min-out)"}.`,
    );
    console.log(`Redeemable now: ${redeemableNowText(status)}.`);
    if (!args.yes) {
      console.log("Preview only: nothing sent. Re-run with --yes to redeem.");
      return;
    }
    const redeemed = await client.instantRedeem(amount, { minOut });
    const gas = redeemed.receipt.gasUsed * redeemed.receipt.gasPrice;
    console.log(`Redeemed: ${eth(redeemed.ethOut)} sent to ${redeemed.recipient} (gas ${eth(gas)})`);
    console.log(`tx ${redeemed.receipt.hash}`);
  });

tidepoolTask("status", "Prints the pool's rates, TVL, liquidity, beacon stats, last report and balances")
  .addOptionalParam(
    "from",
    "Whose balances to show: an account index or one of this network's accounts; default: the first",
  )
  .addOptionalParam("account", "Whose balances to show: any address (instead of --from)")
  .addFlag("raw", "Also print raw share counts and the share rate to 18 decimals")
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: HolderArgs & { account?: string }, hre) => {
    const client = await connectClient(hre, args.pool);
    const account = await viewedAccount(hre, args);
    const [status, overview] = await Promise.all([client.status(), client.overview()]);
    const { totalEther, totalShares } = status;
    const paused = [
      ...(status.stakingPaused ? ["staking"] : []),
      ...(status.instantRedeemPaused ? ["instant redemption"] : []),
    ];
    const report = overview.lastReport;
    const perOperator = overview.operators.map(
      (op) => `#${op.id} ${op.name}: ${op.running} running of ${op.depositedKeys} deposited`,
    );
    const rows: string[][] = [
      ["pool", client.addresses.pool],
      ["share rate (ETH per share)", shareRateText(totalEther, totalShares, args.raw ? 18 : 9)],
      ["TVL (total pooled ether)", eth(totalEther)],
      ["buffered ether", eth(status.bufferedEther)],
      ["instant liquidity", eth(status.instantLiquidity)],
      ["redeemable now", redeemableNowText(status)],
      [
        "instant redeem fee",
        `${percentBP(status.instantFeeBP.min)}–${percentBP(status.instantFeeBP.max)}, daily cap ${percentBP(status.instantDailyCapBP)} of TVL`,
      ],
      ["withdrawal queue", `${eth(status.unfinalizedEther)} waiting, ${eth(status.lockedEther)} locked for claims`],
      ["withdrawal requests", `last #${status.lastRequestId}, finalized up to #${status.lastFinalizedRequestId}`],
      ...(args.raw ? [["total shares", totalShares.toString()]] : []),
      ["deposited validators", overview.depositedValidators.toString()],
      ["visible validators", overview.beaconValidators.toString()],
      ["CL balance", eth(overview.beaconBalance)],
      ["validators per operator", perOperator.join("; ") || "no operators yet"],
      [
        "last report",
        report === undefined
          ? "no report yet"
          : `ref slot ${report.refSlot}, ${duration(report.ageSeconds)} ago, covering ${duration(report.timeElapsedSeconds)}`,
      ],
      ["APR (last report)", status.hasReport ? percentBP(status.aprBP) : "no report yet"],
      ["bunker mode", status.bunkerMode ? "ACTIVE" : "off"],
      ["paused", paused.join(", ") || "nothing"],
      [
        "protocol fee",
        `${percentBP(overview.protocolFeeBP)} (treasury ${percentBP(overview.treasuryFeeBP)}, operators ${percentBP(overview.operatorsFeeBP)}, insurance ${percentBP(overview.insuranceFeeBP)})`,
      ],
      ["treasury", overview.treasury],
    ];
    if (account !== undefined) {
      const [balances, requests] = await Promise.all([client.balances(account), client.requests(account)]);
      rows.push(
        ["account", account],
        ["tpETH balance", `${eth(balances.tpEth, 6, "tpETH")}${rawShares(args.raw, balances.shares)}`],
        ["wtpETH balance", `${eth(balances.wtpEth, 6, "wtpETH")} (worth ${eth(balances.wtpEthValue, 6, "tpETH")})`],
        ["withdrawal requests held", requests.length.toString()],
      );
    }
    console.log(markdownTable(["", "value"], rows));
  });
