/**
 * Hardhat tasks for tpETH / wtpETH holders (docs/protocol.md §8): stake, wrap, unwrap, instant-redeem,
 * status (withdrawals: tasks/withdrawals.ts). Each signs with `--from` (an account index or the
 * address of one of the network's accounts; default the first) and takes `--pool <address>`; without
 * it the pool comes from the Ignition deployment of the connected chain. Amounts print rounded to 6
 * decimals (an amount typed by the caller is echoed exactly); raw shares only with `--raw`. A failure
 * is one sentence (tasks/lib.ts `tidepoolTask`).
 *
 * Loaded by hardhat.config.ts before compilation: no top-level imports of typechain-types,
 * deploy/protocol.ts or `hardhat` (see tasks/lib.ts).
 */
import { ZeroAddress } from "ethers";
import { eth, markdownTable } from "../sdk/src/format";
import { frameTiming, slotTime } from "../sdk/src/report";
import { readProtocolStatus, shareRateText, type ProtocolStatus } from "../sdk/src/status";
import {
  FROM_HELP,
  POOL_HELP,
  RAW_HELP,
  attempt,
  duration,
  ethAtMost,
  fail,
  loadTidepool,
  parseAddress,
  parseAmount,
  percentBP,
  percentOf,
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
      args.referral === undefined ? ZeroAddress : parseAddress(args.referral, "referral", { zero: "allow" });
    const t = await loadTidepool(hre, args.pool);
    const signer = await signerFrom(hre, args.from);
    const funds = await hre.ethers.provider.getBalance(signer.address);
    if (funds < amount) {
      fail(`${signer.address} holds ${ethAtMost(funds)}, less than the ${eth(amount, EXACT)} to stake (and gas)`);
    }
    const pool = t.pool.connect(signer);
    const before = await pool.balanceOf(signer.address);
    const sharesBefore = await pool.sharesOf(signer.address);
    const receipt = await attempt(hre, async () => {
      await pool.stake.staticCall(referral, { value: amount }); // a revert costs no gas
      return (await pool.stake(referral, { value: amount })).wait();
    });
    const received = (await pool.balanceOf(signer.address)) - before;
    const shares = (await pool.sharesOf(signer.address)) - sharesBefore;
    console.log(
      `Staked ${eth(amount, EXACT)} from ${signer.address}: +${eth(received, 6, "tpETH")}${rawShares(args.raw, shares)}`,
    );
    console.log(`tx ${receipt?.hash}`);
  });

/** wrap: tpETH → wtpETH; unwrap: wtpETH → tpETH. One body, the direction picks the method and units. */
function wrapTask(name: "wrap" | "unwrap", description: string, unit: string): void {
  tidepoolTask(name, description)
    .addParam("amount", `${unit} to ${name}, e.g. 1.5`)
    .addOptionalParam("from", FROM_HELP)
    .addOptionalParam("pool", POOL_HELP)
    .setAction(async (args: Omit<HolderArgs, "raw"> & { amount: string }, hre) => {
      const amount = parseAmount(args.amount);
      const t = await loadTidepool(hre, args.pool);
      const signer = await signerFrom(hre, args.from);
      const wrapper = t.wrapper.connect(signer);
      const balances = async (): Promise<[bigint, bigint]> => [
        await t.pool.balanceOf(signer.address),
        await wrapper.balanceOf(signer.address),
      ];
      const [tpBefore, wBefore] = await balances();
      const held = name === "wrap" ? tpBefore : wBefore;
      if (held < amount) {
        fail(
          `--amount ${eth(amount, EXACT, unit)} is more than the balance of ${signer.address}, ${ethAtMost(held, 6, unit)}`,
        );
      }
      const receipt = await attempt(hre, async () => {
        await wrapper[name].staticCall(amount); // a revert costs no gas
        return (await wrapper[name](amount)).wait();
      });
      const [tpAfter, wAfter] = await balances();
      if (name === "wrap") {
        console.log(
          `Wrapped ${eth(tpBefore - tpAfter, 6, "tpETH")} into ${eth(wAfter - wBefore, 6, "wtpETH")} for ${signer.address}`,
        );
      } else {
        console.log(
          `Unwrapped ${eth(wBefore - wAfter, 6, "wtpETH")} into ${eth(tpAfter - tpBefore, 6, "tpETH")} for ${signer.address}`,
        );
      }
      console.log(`tx ${receipt?.hash}`);
    });
}

wrapTask("wrap", "Wraps tpETH into wtpETH", "tpETH");
wrapTask("unwrap", "Unwraps wtpETH into tpETH", "wtpETH");

/** Where a request for a withdrawal is the way out. */
const REQUEST_INSTEAD = "request a withdrawal (npx hardhat request-withdrawal)";

/**
 * Why `amount` tpETH cannot be redeemed instantly now, or undefined if it can (the pool's own
 * limits: paused, bunker mode, instant liquidity, today's cap; see `redeemableNow`).
 */
export function instantRedeemRefusal(amount: bigint, s: ProtocolStatus): string | undefined {
  if (amount <= s.redeemableNow) return undefined;
  if (s.instantRedeemPaused) return `Instant redemption is paused right now; you can still ${REQUEST_INSTEAD}.`;
  if (s.bunkerMode) {
    return `Instant redemption is off while the protocol realises a loss (bunker mode); you can still ${REQUEST_INSTEAD}.`;
  }
  return (
    `Only ${ethAtMost(s.redeemableNow, 6, "tpETH")} can be redeemed instantly right now` +
    ` (instant liquidity ${ethAtMost(s.instantLiquidity)}, today's cap ${ethAtMost(s.instantRemainingToday, 6, "tpETH")} left);` +
    ` you asked for ${eth(amount, EXACT, "tpETH")}. Redeem less, or ${REQUEST_INSTEAD}.`
  );
}

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
    const t = await loadTidepool(hre, args.pool);
    const signer = await signerFrom(hre, args.from);
    const pool = t.pool.connect(signer);
    const balance = await pool.balanceOf(signer.address);
    if (balance < amount) {
      fail(
        `--amount ${eth(amount, EXACT, "tpETH")} is more than the balance of ${signer.address}, ${ethAtMost(balance, 6, "tpETH")}`,
      );
    }
    const status = await readProtocolStatus(t);
    const refusal = instantRedeemRefusal(amount, status);
    if (refusal !== undefined) fail(refusal);
    const [ethOut, fee] = await attempt(hre, () => pool.previewInstantRedeem(amount));
    const minOut = minOutArg ?? ethOut;
    if (minOut > ethOut) fail(`--min-out ${eth(minOut, EXACT)} is above the previewed ${eth(ethOut, EXACT)}`);
    console.log(
      `Instant redeem of ${eth(amount, EXACT, "tpETH")} from ${signer.address}: you receive ${eth(ethOut)}, fee ${eth(fee)} (${percentOf(fee, amount)}).`,
    );
    console.log(
      `Minimum received: ${ethAtMost(minOut)}${minOutArg === undefined ? " (the preview; --min-out to accept less)" : " (--min-out)"}.`,
    );
    console.log(`Redeemable now: ${redeemableNowText(status)}.`);
    if (!args.yes) {
      console.log("Preview only: nothing sent. Re-run with --yes to redeem.");
      return;
    }
    const ethBefore = await hre.ethers.provider.getBalance(signer.address);
    const receipt = await attempt(hre, async () => {
      await pool.instantRedeem.staticCall(amount, minOut, signer.address);
      return (await pool.instantRedeem(amount, minOut, signer.address)).wait();
    });
    const gas = receipt === null ? 0n : receipt.gasUsed * receipt.gasPrice;
    const received = (await hre.ethers.provider.getBalance(signer.address)) - ethBefore + gas;
    console.log(`Redeemed: ${eth(received)} sent to ${signer.address} (gas ${eth(gas)})`);
    console.log(`tx ${receipt?.hash}`);
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
    const t = await loadTidepool(hre, args.pool);
    const account = await viewedAccount(hre, args);
    const { pool, wrapper, oracle } = t;

    const status = await readProtocolStatus(t);
    const { totalEther, totalShares, bufferedEther: buffered, instantLiquidity: liquidity } = status;
    const [deposited, clValidators, clBalance] = await pool.getBeaconStat();
    const [report, fees, feeBP, timing, latest, [, , frameCapBP]] = await Promise.all([
      oracle.getLastReport(),
      oracle.getFeeConfig(),
      oracle.feeBP(),
      frameTiming(oracle),
      hre.ethers.provider.getBlock("latest"),
      pool.getInstantRedeemParams(),
    ]);
    const perOperator: string[] = [];
    for (let id = 0n; id < (await t.registry.getNodeOperatorsCount()); id++) {
      const op = await t.registry.getNodeOperator(id);
      perOperator.push(
        `#${id} ${op.name}: ${op.depositedKeys - op.exitedKeys} running of ${op.depositedKeys} deposited`,
      );
    }
    const paused = [
      ...(status.stakingPaused ? ["staking"] : []),
      ...(status.instantRedeemPaused ? ["instant redemption"] : []),
    ];

    const age = latest === null ? undefined : BigInt(latest.timestamp) - slotTime(timing, report.refSlot);
    const lastReport = !status.hasReport
      ? "no report yet"
      : `ref slot ${report.refSlot}, ${age === undefined ? "" : `${duration(age)} ago, `}covering ${duration(report.timeElapsedSeconds)}`;
    const rows: string[][] = [
      ["pool", t.poolAddress],
      ["share rate (ETH per share)", shareRateText(totalEther, totalShares, args.raw ? 18 : 9)],
      ["TVL (total pooled ether)", eth(totalEther)],
      ["buffered ether", eth(buffered)],
      ["instant liquidity", eth(liquidity)],
      ["redeemable now", redeemableNowText(status)],
      [
        "instant redeem fee",
        `${percentBP(status.instantFeeBP.min)}–${percentBP(status.instantFeeBP.max)}, daily cap ${percentBP(frameCapBP)} of TVL`,
      ],
      ["withdrawal queue", `${eth(status.unfinalizedEther)} waiting, ${eth(status.lockedEther)} locked for claims`],
      ["withdrawal requests", `last #${status.lastRequestId}, finalized up to #${status.lastFinalizedRequestId}`],
      ...(args.raw ? [["total shares", totalShares.toString()]] : []),
      ["deposited validators", deposited.toString()],
      ["visible validators", clValidators.toString()],
      ["CL balance", eth(clBalance)],
      ["validators per operator", perOperator.join("; ") || "no operators yet"],
      ["last report", lastReport],
      ["APR (last report)", status.hasReport ? percentBP(status.aprBP) : "no report yet"],
      ["bunker mode", status.bunkerMode ? "ACTIVE" : "off"],
      ["paused", paused.join(", ") || "nothing"],
      [
        "protocol fee",
        `${percentBP(feeBP)} (treasury ${percentBP(fees.treasuryFeeBP)}, operators ${percentBP(fees.operatorsFeeBP)}, insurance ${percentBP(fees.insuranceFeeBP)})`,
      ],
      ["treasury", fees.treasury],
    ];
    if (account !== undefined) {
      const [tpBalance, tpShares, wBalance, ownRequests] = await Promise.all([
        pool.balanceOf(account),
        pool.sharesOf(account),
        wrapper.balanceOf(account),
        t.withdrawalQueue.balanceOf(account),
      ]);
      const wValue = await pool.getPooledEthByShares(wBalance);
      rows.push(
        ["account", account],
        ["tpETH balance", `${eth(tpBalance, 6, "tpETH")}${rawShares(args.raw, tpShares)}`],
        ["wtpETH balance", `${eth(wBalance, 6, "wtpETH")} (worth ${eth(wValue, 6, "tpETH")})`],
        ["withdrawal requests held", ownRequests.toString()],
      );
    }
    console.log(markdownTable(["", "value"], rows));
  });
