/**
 * Hardhat tasks for tpETH / wtpETH holders (docs/protocol.md §8): stake, wrap, unwrap, instant-redeem,
 * status (withdrawals: tasks/withdrawals.ts). Each signs with the network's first account and takes `--pool <address>`; without it the
 * pool comes from the Ignition deployment of the connected chain.
 *
 * Loaded by hardhat.config.ts before compilation: no top-level imports of typechain-types,
 * deploy/protocol.ts or `hardhat` (see tasks/lib.ts).
 */
import { ZeroAddress } from "ethers";
import { task } from "hardhat/config";
import { eth, markdownTable } from "../sdk/src/format";
import { frameTiming, slotTime } from "../sdk/src/report";
import { readProtocolStatus, shareRateText } from "../sdk/src/status";
import { attempt, defaultSigner, duration, fail, loadTidepool, parseAddress, parseAmount, percentBP } from "./lib";

const POOL_HELP = "StakingPool (tpETH) address; default: the Ignition deployment of this chain";
/** Full precision: what the tasks print must match the chain to the wei. */
const WEI = 18;

interface PoolArgs {
  pool?: string;
}

task("stake", "Stakes ETH in the pool for tpETH")
  .addParam("amount", "ETH to stake, e.g. 1.5")
  .addOptionalParam("referral", "Referral address (only logged)")
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: PoolArgs & { amount: string; referral?: string }, hre) => {
    const amount = parseAmount(args.amount);
    const referral = args.referral === undefined ? ZeroAddress : parseAddress(args.referral, "referral");
    const t = await loadTidepool(hre, args.pool);
    const signer = await defaultSigner(hre);
    const pool = t.pool.connect(signer);
    const before = await pool.balanceOf(signer.address);
    const sharesBefore = await pool.sharesOf(signer.address);
    const receipt = await attempt("stake", [pool.interface], async () => {
      await pool.stake.staticCall(referral, { value: amount }); // a revert costs no gas
      return (await pool.stake(referral, { value: amount })).wait();
    });
    const received = (await pool.balanceOf(signer.address)) - before;
    const shares = (await pool.sharesOf(signer.address)) - sharesBefore;
    console.log(
      `Staked ${eth(amount, WEI)} from ${signer.address}: +${eth(received, WEI, "tpETH")} (${shares} shares)`,
    );
    console.log(`tx ${receipt?.hash}`);
  });

/** wrap: tpETH → wtpETH; unwrap: wtpETH → tpETH. One body, the direction picks the method and units. */
function wrapTask(name: "wrap" | "unwrap", description: string, unit: string): void {
  task(name, description)
    .addParam("amount", `${unit} to ${name}, e.g. 1.5`)
    .addOptionalParam("pool", POOL_HELP)
    .setAction(async (args: PoolArgs & { amount: string }, hre) => {
      const amount = parseAmount(args.amount);
      const t = await loadTidepool(hre, args.pool);
      const signer = await defaultSigner(hre);
      const wrapper = t.wrapper.connect(signer);
      const balances = async (): Promise<[bigint, bigint]> => [
        await t.pool.balanceOf(signer.address),
        await wrapper.balanceOf(signer.address),
      ];
      const [tpBefore, wBefore] = await balances();
      const receipt = await attempt(name, [wrapper.interface, t.pool.interface], async () => {
        await wrapper[name].staticCall(amount); // a revert costs no gas
        return (await wrapper[name](amount)).wait();
      });
      const [tpAfter, wAfter] = await balances();
      if (name === "wrap") {
        console.log(
          `Wrapped ${eth(tpBefore - tpAfter, WEI, "tpETH")} into ${eth(wAfter - wBefore, WEI, "wtpETH")} for ${signer.address}`,
        );
      } else {
        console.log(
          `Unwrapped ${eth(wBefore - wAfter, WEI, "wtpETH")} into ${eth(tpAfter - tpBefore, WEI, "tpETH")} for ${signer.address}`,
        );
      }
      console.log(`tx ${receipt?.hash}`);
    });
}

wrapTask("wrap", "Wraps tpETH into wtpETH", "tpETH");
wrapTask("unwrap", "Unwraps wtpETH into tpETH", "wtpETH");

task("instant-redeem", "Redeems tpETH for ETH at once, for a fee (previews only, unless --yes)")
  .addParam("amount", "tpETH to redeem, e.g. 1.5")
  .addOptionalParam("minOut", "Least ETH accepted; default: the previewed amount")
  .addFlag("yes", "Send the transaction (without it, only the preview is printed)")
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: PoolArgs & { amount: string; minOut?: string; yes: boolean }, hre) => {
    const amount = parseAmount(args.amount);
    const minOutArg = args.minOut === undefined ? undefined : parseAmount(args.minOut, "min-out", true);
    const t = await loadTidepool(hre, args.pool);
    const signer = await defaultSigner(hre);
    const pool = t.pool.connect(signer);
    const [ethOut, fee] = await attempt("previewInstantRedeem", [pool.interface], () =>
      pool.previewInstantRedeem(amount),
    );
    console.log(`Instant redeem of ${eth(amount, WEI, "tpETH")}: ${eth(ethOut, WEI)} out, fee ${eth(fee, WEI)}`);
    if (!args.yes) {
      console.log("Preview only: nothing sent. Re-run with --yes to redeem.");
      return;
    }
    const minOut = minOutArg ?? ethOut;
    if (minOut > ethOut) fail(`--min-out ${eth(minOut, WEI)} is above the previewed ${eth(ethOut, WEI)}`);
    const ethBefore = await hre.ethers.provider.getBalance(signer.address);
    const receipt = await attempt("instantRedeem", [pool.interface], async () => {
      await pool.instantRedeem.staticCall(amount, minOut, signer.address);
      return (await pool.instantRedeem(amount, minOut, signer.address)).wait();
    });
    const gas = receipt === null ? 0n : receipt.gasUsed * receipt.gasPrice;
    const received = (await hre.ethers.provider.getBalance(signer.address)) - ethBefore + gas;
    console.log(`Redeemed: ${eth(received, WEI)} sent to ${signer.address} (gas ${eth(gas, WEI)})`);
    console.log(`tx ${receipt?.hash}`);
  });

task("status", "Prints the pool's rates, TVL, liquidity, beacon stats, last report and balances")
  .addOptionalParam("account", "Whose balances to show; default: the first account")
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: PoolArgs & { account?: string }, hre) => {
    const account =
      args.account === undefined ? (await defaultSigner(hre)).address : parseAddress(args.account, "account");
    const t = await loadTidepool(hre, args.pool);
    const { pool, wrapper, oracle } = t;

    const status = await readProtocolStatus(t);
    const { totalEther, totalShares, bufferedEther: buffered, instantLiquidity: liquidity } = status;
    const [deposited, clValidators, clBalance] = await pool.getBeaconStat();
    const { aprBP, bunkerMode: bunker } = status;
    const [report, fees, feeBP, timing, latest] = await Promise.all([
      oracle.getLastReport(),
      oracle.getFeeConfig(),
      oracle.feeBP(),
      frameTiming(oracle),
      hre.ethers.provider.getBlock("latest"),
    ]);
    const [minFeeBP, maxFeeBP, frameCapBP, remainingInFrame] = await pool.getInstantRedeemParams();
    const { unfinalizedEther: unfinalized, lockedEther: locked } = status;
    const { lastRequestId: lastRequest, lastFinalizedRequestId: lastFinalized } = status;
    const ownRequests = await t.withdrawalQueue.balanceOf(account);
    const [tpBalance, tpShares, wBalance] = await Promise.all([
      pool.balanceOf(account),
      pool.sharesOf(account),
      wrapper.balanceOf(account),
    ]);
    const wValue = await pool.getPooledEthByShares(wBalance);
    const perOperator: string[] = [];
    for (let id = 0n; id < (await t.registry.getNodeOperatorsCount()); id++) {
      const op = await t.registry.getNodeOperator(id);
      perOperator.push(
        `#${id} ${op.name}: ${op.depositedKeys - op.exitedKeys} running of ${op.depositedKeys} deposited`,
      );
    }

    const reported = report.postTotalEther !== 0n || report.timeElapsedSeconds !== 0n;
    const age = latest === null ? undefined : BigInt(latest.timestamp) - slotTime(timing, report.refSlot);
    const rows: string[][] = [
      ["pool", t.poolAddress],
      ["share rate (ETH per share)", shareRateText(totalEther, totalShares, WEI)],
      ["TVL (total pooled ether)", eth(totalEther, WEI)],
      ["buffered ether", eth(buffered, WEI)],
      ["instant liquidity", eth(liquidity, WEI)],
      ["withdrawal queue", `${eth(unfinalized, WEI)} waiting, ${eth(locked, WEI)} locked for claims`],
      ["withdrawal requests", `last #${lastRequest}, finalized up to #${lastFinalized}`],
      ["total shares", totalShares.toString()],
      ["deposited validators", deposited.toString()],
      ["visible validators", clValidators.toString()],
      ["CL balance", eth(clBalance, WEI)],
      ["validators per operator", perOperator.join("; ") || "no operators yet"],
      ["last report refSlot", reported ? report.refSlot.toString() : `none yet (frame ref ${report.refSlot})`],
      ["last report elapsed", reported ? duration(report.timeElapsedSeconds) : "n/a"],
      ["last report age", reported && age !== undefined ? duration(age) : "n/a"],
      ["last report APR", percentBP(aprBP)],
      ["bunker mode", bunker ? "ACTIVE" : "off"],
      [
        "protocol fee",
        `${percentBP(feeBP)} (treasury ${percentBP(fees.treasuryFeeBP)}, operators ${percentBP(fees.operatorsFeeBP)}, insurance ${percentBP(fees.insuranceFeeBP)})`,
      ],
      ["treasury", fees.treasury],
      [
        "instant redeem fee",
        `${percentBP(minFeeBP)}–${percentBP(maxFeeBP)}, frame cap ${percentBP(frameCapBP)} of TVL, ${eth(remainingInFrame, WEI, "tpETH")} left`,
      ],
      ["account", account],
      ["tpETH balance", `${eth(tpBalance, WEI, "tpETH")} (${tpShares} shares)`],
      ["wtpETH balance", `${eth(wBalance, WEI, "wtpETH")} (worth ${eth(wValue, WEI, "tpETH")})`],
      ["withdrawal requests held", ownRequests.toString()],
    ];
    console.log(markdownTable(["", "value"], rows));
  });
