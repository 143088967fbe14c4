/**
 * The main job: a simulated month of Tidepool on the in-process network (or `--network localhost`).
 *
 * Deploys everything with the real Ignition module, starts the local beacon chain (Beacon API on
 * localhost) and three oracle members running the oracle service against it, registers three
 * operators whose keys the key tool derives and signs (deposit-data files validated and uploaded by
 * the `operator-keys` task), and plays thirty days: holders stake, wrap, transfer, queue withdrawals,
 * claim and redeem instantly; the guardian deposits; the beacon chain pays rewards and skims; a
 * validator is slashed (bunker mode, the bond covers the loss); a whale's withdrawal needs exits,
 * which the operators make: each operator's exits bot (offchain/operators/exits.ts) reads the report's
 * exit requests and submits voluntary exits signed from the operator's keystores to the Beacon API,
 * which verifies and applies them (the local chain exits nobody by itself); every day ends with the
 * committee's report. Holders act, and the status
 * figures are read, through the SDK's TidepoolClient, as an integrator's code would.
 *
 * The local chains run as a consensus client's would (EIP-4788 roots and the EIP-7002 predeploy in
 * every block the demo mines), and a prover watcher (offchain/prover/watcher.ts) ticks once a day,
 * before the report: it proves the slashing before the committee's next report (bunker mode on at
 * the proof), the validators' exits, and a late exit: after a second whale's withdrawal on day 25, one
 * operator ignores its exit request; past the deadline (one day here, set by governance) the proof
 * forces the exit through EIP-7002 from the withdrawal vault (fee refunded from the bond, penalty to
 * the insurance fund), the beacon chain exits the validator, and once its ETH is in the vault the
 * next report finalizes the requests that waited for it.
 *
 * wtpETH also lives on a second local chain: Anvil runs an L2 (chain 31339) with LayerZero's own
 * EndpointV2 on both chains and the bridge deployed by its Ignition modules (deploy/local-bridge.ts).
 * On day 4 a holder takes wtpETH to the L2, a third of it changes hands there on day 12, and that
 * part comes home on day 20; after every report a keeper pushes the share rate to the L2's RateOracle.
 * A local relayer delivers the packets; wtpETH locked at home equals the L2's supply after every day.
 *
 * Prints a summary and writes `demo-output/tidepool-month.svg` (share rate and TVL per day). Exits
 * non-zero if an invariant breaks (checked after every report).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { Wallet, formatEther, id, parseEther, type Signer } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployTidepool, type Tidepool } from "../deploy/protocol";
import { LOCAL_L2_CHAIN_ID, deployLocalBridge, localAccount, type LocalBridge } from "../deploy/local-bridge";
import { startAnvil, type AnvilNode } from "../offchain/anvil";
import { oftSendParam } from "../sdk/src/bridge";
import type { WtpEthOFT, WtpEthOFTAdapter } from "../typechain-types";
import { TidepoolClient } from "../sdk/src/client";
import { eth, markdownTable } from "../sdk/src/format";
import { depositAvailable } from "../offchain/guardians/attestations";
import { ExitsBot, loadKeystores } from "../offchain/operators/exits";
import { renderChartSvg } from "../app/src/line-chart";
import { validatorStatus } from "../offchain/beacon/chain";
import { advanceSlots, advanceToNextFrame, startLocalBeacon, type LocalBeacon } from "../offchain/beacon/local";
import { loadProverModules, type FactsContext, type ProofResult } from "../offchain/prover/facts";
import { ProofWatcher } from "../offchain/prover/watcher";
import { connectBeacon } from "../offchain/oracle/beacon";
import { reportOnce } from "../offchain/oracle/service";
import type { ReportContext } from "../offchain/oracle/report";
import { KeyIndex } from "../offchain/oracle/key-index";
import {
  INVARIANTS_CHECKED,
  checkInvariants,
  emptyHolderStats,
  summaryRows,
  type HolderStats,
} from "../offchain/invariants";
import {
  KEYSTORE_PASSWORD,
  OPERATOR_NAMES,
  claimAll,
  dice,
  holdersDay,
  registerOperators,
  type Holder,
} from "../offchain/simulation";

const DAYS = 30;
const SLASHING_DAY = 9;
const WHALE_DAY = 17;
/** A second whale, once holders no longer stake: its exits are all the queue can wait for. */
const SECOND_WHALE_DAY = 25;
const SECOND_WHALE_ETH = parseEther("90");
/** The late-exit deadline governance sets for the demo's short month (the deployment's is four days). */
const LATE_EXIT_DEADLINE_SECONDS = 24n * 3600n;
/** A holder bridges wtpETH to the L2; part of it changes hands there and comes back home. */
const BRIDGE_DAY = 4;
const L2_TRANSFER_DAY = 12;
const BRIDGE_HOME_DAY = 20;
const BRIDGE_WTPETH = parseEther("12");
const OUTPUT_DIR = "demo-output";
const ONE = parseEther("1");
/** Every run plays the same month. */
const d = dice(20261122);

interface DayRecord {
  day: number;
  rate: number;
  tvl: number;
  aprBP: bigint;
  bunker: boolean;
  validators: bigint;
  events: string[];
}

/** A proof the watcher made, and what it changed. */
interface ProofRecord {
  day: number;
  slot: bigint;
  proof: ProofResult;
  changed: string;
}

/** The late exit, followed from the ignored request to the report that finalized what waited for it. */
interface LateExit {
  operatorId: bigint;
  keyIndex: bigint;
  pubkey: string;
  requestedDay: number;
  waitingRequestId: bigint;
  provenDay?: number;
  exitEpoch?: bigint;
  vaultDay?: number;
  vaultWei?: bigint;
  finalizedDay?: number;
  finalizedTo?: bigint;
  bondPaidWei?: bigint;
  penaltyWei?: bigint;
  feeWei?: bigint;
  refundWei?: bigint;
  proverGasWei?: bigint;
}

/** An amount in ETH to the wei, or in wei when under a gwei (the EIP-7002 fee is 1 wei on a quiet chain). */
const small = (wei: bigint, unit: string): string =>
  wei < 10n ** 9n ? `${wei} wei${unit === "ETH" ? "" : ` of ${unit}`}` : eth(wei, 18, unit);

const keyName = (operatorId: bigint, keyIndex: bigint): string =>
  `${OPERATOR_NAMES[Number(operatorId)].split(" ")[0]} #${keyIndex}`;

/** The SDK for reads, and a {@link Holder} (account and client) per account for its own actions. */
interface Clients {
  reader: TidepoolClient;
  of(account: HardhatEthersSigner): Holder;
}

async function connectClients(t: Tidepool, accounts: HardhatEthersSigner[]): Promise<Clients> {
  const reader = await TidepoolClient.connect({ runner: hre.ethers.provider, pool: t.poolAddress });
  const byAddress = new Map(accounts.map((a) => [a.address, { signer: a, client: reader.connect(a) }]));
  return {
    reader,
    of: (account) => {
      const holder = byAddress.get(account.address);
      if (!holder) throw new Error(`no client for ${account.address}`);
      return holder;
    },
  };
}

async function send(tx: Promise<{ wait(): Promise<unknown> }>): Promise<void> {
  await (await tx).wait();
}

/** The month of the wtpETH bridge: what crossed, and the L2 rate after each report. */
interface BridgeMonth {
  sends: string[];
  pushes: number;
  pushFeesWei: bigint;
  /** Seconds from a report's reference time to its rate's arrival on the L2, the most of the month. */
  maxLagSeconds: number;
}

/**
 * Sends `amount` wtpETH from `from` through `oft` (the adapter at home, the OFT on the L2) to
 * `recipient` on `dstEid`, as a wallet would: quote, approval where the bridge takes the token, send
 * with the quoted arrival as the slippage bound and the quoted fee; then relays it. Returns what
 * arrived, checked against `received` on the destination to the wei.
 */
async function bridgeSend(
  bridge: LocalBridge,
  oft: WtpEthOFTAdapter | WtpEthOFT,
  from: Signer,
  dstEid: number,
  recipient: string,
  amount: bigint,
  received: () => Promise<bigint>,
): Promise<bigint> {
  const sender = await from.getAddress();
  const param = oftSendParam(dstEid, recipient, amount);
  const [, , quote] = await oft.quoteOFT(param);
  const { nativeFee } = await oft.quoteSend(param, false);
  if (await oft.approvalRequired()) {
    const token = (await hre.ethers.getContractAt("WrappedTpEth", await oft.token())).connect(from);
    await send(token.approve(await oft.getAddress(), quote.amountSentLD));
  }
  const before = await received();
  await send(
    oft.connect(from).send({ ...param, minAmountLD: quote.amountReceivedLD }, { nativeFee, lzTokenFee: 0n }, sender, {
      value: nativeFee,
    }),
  );
  const deliveries = await bridge.relay();
  if (deliveries.length !== 1 || deliveries[0].status !== "delivered") {
    throw new Error(
      `the bridge send was not delivered (${deliveries.length} packets relayed): ${deliveries.map((d) => d.reason ?? d.status).join("; ")}`,
    );
  }
  const arrived = (await received()) - before;
  if (arrived !== quote.amountReceivedLD) {
    throw new Error(`the bridge delivered ${eth(arrived, 18)} where ${eth(quote.amountReceivedLD, 18)} was quoted`);
  }
  return arrived;
}

/** wtpETH locked in the adapter at home equals the L2's supply, to the wei; a sentence if not. */
async function bridgeBacked(t: Tidepool, bridge: LocalBridge): Promise<string[]> {
  const locked = await t.wrapper.balanceOf(await bridge.adapter.getAddress());
  const supply = await bridge.oft.totalSupply();
  return locked === supply ? [] : [`wtpETH locked at home ${eth(locked, 18)} ≠ L2 supply ${eth(supply, 18)}`];
}

/** The invariants (offchain/invariants.ts) after the report for `refSlot`; throws naming every broken one. */
async function assertInvariants(t: Tidepool, local: LocalBeacon, accounts: string[], refSlot: bigint): Promise<void> {
  // The report's CL balance is the beacon chain's: Σ balances of our validators at the reference slot.
  const credentials = (await t.pool.withdrawalCredentials()).toLowerCase();
  const ours = local.chain.stateAtSlot(refSlot)!.validators.filter((v) => v.withdrawalCredentials === credentials);
  const problems = await checkInvariants(t, hre.ethers.provider, accounts, ours);
  if (problems.length > 0) throw new Error(`invariant broken: ${problems.join("; ")}`);
}

/** What holders do on `day`: stake until day 25, redeem instantly from day 2, queue withdrawals from day 3. */
const dayOptions = (day: number) => ({ stake: day <= 25, request: day >= 3, instant: day >= 2 });

async function main(): Promise<void> {
  const started = Date.now();
  console.log("# Tidepool: a simulated month\n\nDeploying with deploy/modules/Tidepool.ts…");
  const t = await deployTidepool(hre);
  const operators = t.users.slice(0, 3);
  const holders = t.users.slice(3, 33);
  const members = t.oracleMembers;
  const clients = await connectClients(t, holders);

  const local = await startLocalBeacon(
    t,
    hre.network.provider,
    {
      rewardAprBP: 330n,
      activationDelayEpochs: 5n,
      exitDelayEpochs: 5n,
      withdrawabilityDelayEpochs: 256n,
      epochsPerSlashingsVector: 2_250n, // the correlation penalty lands five days after a slashing
      sweepIntervalEpochs: 75n,
    },
    0,
    { systemCalls: true, exitRequests: "operators" },
  );
  console.log(`Local beacon chain: Beacon API on ${local.api.url} (genesis ${local.chain.config.genesisTime})`);
  const ctx: ReportContext = {
    beacon: await connectBeacon(local.api.url),
    provider: hre.ethers.provider,
    contracts: t,
    index: new KeyIndex(),
  };
  // The prover: anyone with a little ETH for gas and EIP-7002 fees.
  const prover = new Wallet(id("tidepool demo prover"), hre.ethers.provider);
  const factsCtx: FactsContext = {
    beaconUrl: local.api.url,
    provider: hre.ethers.provider,
    contracts: { facts: t.facts, registry: t.registry, oracle: t.oracle },
  };
  const proverLines: string[] = [];
  const watcher = new ProofWatcher(factsCtx, prover, { log: (line) => proverLines.push(line) });
  const keystoreDir = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-demo-keystores-"));
  const botLines: string[] = [];
  let chainTime = new Date(0); // the bots log in the simulated month's time
  let l2: AnvilNode | undefined;

  try {
    console.log("\n## Operators: keys from the key tool, validated and uploaded by `operator-keys`\n");
    // Each operator's deposit data, validated and uploaded by the operator-keys task.
    const uploadKeys = (operator: number, file: string) =>
      hre.run("operator-keys", { operator: String(operator), file, pool: t.poolAddress });
    await registerOperators(uploadKeys, t, operators, 40, keystoreDir);
    // Each operator's exits bot, with the keys of its keystores (Beacon API: the local chain's).
    const bots: ExitsBot[] = [];
    for (let op = 0; op < operators.length; op++) {
      const keys = await loadKeystores(path.join(keystoreDir, String(op)), KEYSTORE_PASSWORD);
      bots.push(
        new ExitsBot({
          oracle: t.oracle,
          beaconUrl: local.api.url,
          operatorId: BigInt(op),
          keys,
          log: (line) => botLines.push(line),
          now: () => chainTime,
        }),
      );
    }
    await loadProverModules();
    await send(t.admin.sendTransaction({ to: prover.address, value: parseEther("1") }));
    const exitSettings = await t.facts.exitSettings();
    await send(
      t.facts.connect(t.admin).setExitSettings({
        lateExitDeadlineSeconds: LATE_EXIT_DEADLINE_SECONDS,
        lateExitPenaltyWei: exitSettings.lateExitPenaltyWei,
        maxForcedExitsPerDay: exitSettings.maxForcedExitsPerDay,
      }),
    );

    // The second chain: Anvil as an L2, LayerZero's EndpointV2 on both, the bridge by its Ignition modules.
    l2 = await startAnvil({ chainId: LOCAL_L2_CHAIN_ID });
    const bridge = await deployLocalBridge(hre, t, { provider: l2.provider, chainId: LOCAL_L2_CHAIN_ID });
    console.log(
      `\n## wtpETH on a second chain\n\nAnvil on ${l2.url} (chain ${LOCAL_L2_CHAIN_ID}) is an L2. LayerZero's EndpointV2 runs on both ` +
        `chains (endpoint ids ${bridge.homeEid} and ${bridge.remoteEid}); deploy/modules/BridgeHome.ts put the wtpETH ` +
        `OFT adapter and the RatePusher at home, deploy/modules/Remote.ts the wtpETH OFT and the RateOracle on the L2; ` +
        `a local relayer (offchain/bridge/layerzero-local.ts) verifies and delivers each packet, as LayerZero's ` +
        `DVNs and executors do between public chains.`,
    );
    const signers = await hre.ethers.getSigners();
    /** `account`'s key on the L2 (the same local mnemonic), with ETH there for gas. */
    const onL2 = async (account: HardhatEthersSigner) => {
      const wallet = localAccount(signers.findIndex((s) => s.address === account.address)).connect(l2!.provider);
      await l2!.provider.send("anvil_setBalance", [wallet.address, "0xde0b6b3a7640000"]);
      return wallet;
    };
    // Anyone may push the rate after a report, paying LayerZero's fee: here a keeper account.
    const keeper = new Wallet(id("tidepool demo rate keeper"), hre.ethers.provider);
    await send(t.admin.sendTransaction({ to: keeper.address, value: parseEther("1") }));
    const bridgeMonth: BridgeMonth = { sends: [], pushes: 0, pushFeesWei: 0n, maxLagSeconds: 0 };
    let traveller: HardhatEthersSigner | undefined;
    const friend = holders[holders.length - 1];

    const stats: HolderStats = emptyHolderStats();
    for (const h of holders) {
      const value = d.amount(5, 45);
      await clients.of(h).client.stake(value);
      stats.staked += value;
    }
    const deposited0 = await depositAvailable(t, [t.guardian], hre.ethers.provider);
    console.log(
      `\n${holders.length} holders staked ${eth(stats.staked, 3)}; the guardian deposited ${deposited0} validators.`,
    );

    const days: DayRecord[] = [];
    const record = async (day: number, events: string[]) => {
      const status = await clients.reader.status();
      days.push({
        day,
        rate: Number(formatEther((status.totalEther * ONE) / status.totalShares)),
        tvl: Number(formatEther(status.totalEther)),
        aprBP: status.aprBP,
        bunker: status.bunkerMode,
        validators: (await t.pool.getBeaconStat())[1],
        events,
      });
    };
    const DAY_HEADER = ["day", "share rate", "TVL (ETH)", "APR", "validators", "bunker", "events"];
    const dayRow = (d: DayRecord) => [
      String(d.day),
      d.rate.toFixed(8),
      d.tvl.toFixed(3),
      `${Number(d.aprBP) / 100}%`,
      String(d.validators),
      d.bunker ? "yes" : "",
      d.events.join("; "),
    ];
    await record(0, []);
    // The table streams a row per day, so the month shows its progress as it plays.
    console.log(`\n## The month, day by day\n\n${markdownTable(DAY_HEADER, [dayRow(days[0])])}`);
    const accounts = [...operators, ...holders, prover].map((a) => a.address);
    let slashedKey = "";
    const proofs: ProofRecord[] = [];
    let late: LateExit | undefined;
    let signedExits = 0;
    let slashingProof: { day: number; slot: bigint; bunkerAtProof: boolean; reportBunker?: boolean } | undefined;

    for (let day = 1; day <= DAYS; day++) {
      const events: string[] = [];
      await holdersDay(t, clients.reader, holders.map(clients.of), d, dayOptions(day), stats);
      await send(t.admin.sendTransaction({ to: await t.elRewardsVault.getAddress(), value: d.amount(0.01, 0.04) }));
      const deposited = await depositAvailable(t, [t.guardian], hre.ethers.provider);
      if (deposited > 0n) events.push(`${deposited} deposited`);
      if (day === SLASHING_DAY) {
        slashedKey = (await t.registry.getSigningKey(2n, 0n)).pubkey;
        local.chain.slash(slashedKey, { initialPenaltyGwei: 1_000_000_000n, correlationPenaltyGwei: 750_000_000n });
        events.push("Coral's validator 0 slashed");
      }
      if (day === 1) await clients.of(holders[0]).client.stake(parseEther("150"));
      if (day === WHALE_DAY) {
        // After the day's deposits: the buffer cannot pay it, so the report asks operators to exit.
        await clients.of(holders[0]).client.requestWithdrawals([parseEther("150")]);
        stats.requests++;
        events.push("a whale queues 150 ETH");
      }
      if (day === BRIDGE_DAY) {
        // The holder with the most tpETH after the whale wraps some and takes the wtpETH to the L2.
        let most = 0n;
        for (const h of holders.slice(1, -1)) {
          const held = (await clients.of(h).client.balances()).tpEth;
          if (held > most) [traveller, most] = [h, held];
        }
        const { wtpEth } = await clients.of(traveller!).client.wrap(BRIDGE_WTPETH);
        const arrived = await bridgeSend(
          bridge,
          bridge.adapter,
          traveller!,
          bridge.remoteEid,
          traveller!.address,
          wtpEth,
          () => bridge.oft.balanceOf(traveller!.address),
        );
        bridgeMonth.sends.push(`day ${day}: ${eth(arrived, 6, "wtpETH")} home → L2`);
        events.push(`${eth(arrived, 3, "wtpETH")} bridged to the L2`);
      }
      if (day === L2_TRANSFER_DAY) {
        const wallet = await onL2(traveller!);
        const part = (await bridge.oft.balanceOf(wallet.address)) / 3n;
        await send(bridge.oft.connect(wallet).transfer(friend.address, part));
        bridgeMonth.sends.push(`day ${day}: ${eth(part, 6, "wtpETH")} to another holder on the L2`);
        events.push(`${eth(part, 3, "wtpETH")} changes hands on the L2`);
      }
      if (day === BRIDGE_HOME_DAY) {
        const wallet = await onL2(friend);
        const held = await bridge.oft.balanceOf(wallet.address);
        const arrived = await bridgeSend(
          bridge,
          bridge.oft.connect(wallet),
          wallet,
          bridge.homeEid,
          friend.address,
          held,
          () => t.wrapper.balanceOf(friend.address),
        );
        bridgeMonth.sends.push(`day ${day}: ${eth(arrived, 6, "wtpETH")} L2 → home (released by the adapter)`);
        events.push(`${eth(arrived, 3, "wtpETH")} bridged home`);
      }
      let secondWhaleId = 0n;
      if (day === SECOND_WHALE_DAY) {
        // The richest holder, once nobody stakes any more: only exits can pay it.
        let richest = holders[0];
        let most = 0n;
        for (const h of holders) {
          const held = (await clients.of(h).client.balances()).tpEth;
          if (held > most) [richest, most] = [h, held];
        }
        if (most < SECOND_WHALE_ETH) throw new Error(`no holder has ${eth(SECOND_WHALE_ETH)} to withdraw`);
        await clients.of(richest).client.requestWithdrawals([SECOND_WHALE_ETH]);
        secondWhaleId = await t.withdrawalQueue.getLastRequestId();
        stats.requests++;
        events.push(`a second whale queues ${eth(SECOND_WHALE_ETH, 0)}`);
      }

      // The prover watcher's daily tick, two slots on (the first slot's beacon state then has its root
      // on chain, in the second's block): what it proves lands before the day's report.
      await advanceSlots(local);
      await advanceSlots(local);
      const bondsBefore: bigint[] = [];
      for (let op = 0n; op < 3n; op++) bondsBefore.push((await t.registry.getNodeOperator(op)).bondShares);
      const proverSharesBefore = await t.pool.sharesOf(prover.address);
      const proverEthBefore = await hre.ethers.provider.getBalance(prover.address);
      const proven = await watcher.tick();
      // One line per proof ("prover: slot N: Proven: …"), in order; anything else is a failure.
      const lines = proverLines.splice(0);
      const failures = lines.filter((line) => !line.includes(": Proven: "));
      if (failures.length > 0) throw new Error(`day ${day}: ${failures.join("; ")}`);
      for (const [i, p] of proven.entries()) {
        const slot = BigInt(/slot (\d+)/.exec(lines[i])?.[1] ?? "0");
        const key = keyName(p.operatorId, p.keyIndex);
        let changed: string;
        if (p.kind === "slashed") {
          const bunker = await t.pool.isBunkerModeActive();
          slashingProof = { day, slot, bunkerAtProof: bunker };
          changed = `bunker mode ${bunker ? "on" : "off"} at once; ${p.summary.split("; ").slice(2).join("; ")}`;
          events.push(`proof: ${key} slashed (bunker mode on)`);
        } else if (p.kind === "exited") {
          // The proof's own count (ExitProven's provenExitedKeys), not the count after the tick.
          const exited = /has (\d+) proven exits/.exec(p.summary)?.[1] ?? "?";
          changed = `proven exits of ${OPERATOR_NAMES[Number(p.operatorId)].split(" ")[0]}: ${exited}`;
          if (late?.provenDay !== undefined && late.operatorId === p.operatorId && late.keyIndex === p.keyIndex) {
            const [, open] = await t.facts.operatorFacts(p.operatorId);
            changed += `; late exit closed (${open} open: the operator's deposits ${open === 0n ? "no longer" : "still"} held)`;
          }
        } else if (p.kind === "late") {
          changed = p.summary.split("; ").slice(1).join("; ");
          events.push(`proof: ${key} late, EIP-7002 exit`);
          if (late && late.operatorId === p.operatorId && late.keyIndex === p.keyIndex) {
            late.provenDay = day;
            const log = p.receipt.logs
              .map((l) => {
                try {
                  return t.facts.interface.parseLog(l);
                } catch {
                  return null;
                }
              })
              .find((l) => l?.name === "LateExitProven");
            late.feeWei = (log?.args.feeWei as bigint | undefined) ?? 0n;
            // Valued at the proof's share rate.
            late.penaltyWei = await t.pool.getPooledEthByShares((log?.args.penaltyShares as bigint | undefined) ?? 0n);
            late.bondPaidWei = await t.pool.getPooledEthByShares(
              bondsBefore[Number(p.operatorId)] - (await t.registry.getNodeOperator(p.operatorId)).bondShares,
            );
            late.refundWei = await t.pool.getPooledEthByShares(
              (await t.pool.sharesOf(prover.address)) - proverSharesBefore,
            );
            late.proverGasWei = p.receipt.gasUsed * p.receipt.gasPrice;
            // The prover paid the fee and the gas of its proofs, no more (the fee's margin came back).
            const gas = proven.reduce((sum, q) => sum + q.receipt.gasUsed * q.receipt.gasPrice, 0n);
            if ((await hre.ethers.provider.getBalance(prover.address)) !== proverEthBefore - gas - late.feeWei) {
              throw new Error("the prover paid more than the fee and its gas");
            }
          }
        } else {
          changed = p.summary;
        }
        proofs.push({ day, slot, proof: p, changed });
      }
      const exits = proven.filter((p) => p.kind === "exited");
      if (exits.length > 0) events.push(`proof: ${exits.length} exit${exits.length > 1 ? "s" : ""}`);
      if (late?.provenDay === day && late.exitEpoch === undefined) {
        // The next block's EIP-7002 dequeue: the beacon chain starts the validator's exit.
        await advanceSlots(local);
        const v = local.chain.validator(late.pubkey)!;
        if (!local.bridge.lastWithdrawalRequests.some((r) => r.pubkey.toLowerCase() === late!.pubkey)) {
          throw new Error("the EIP-7002 request was not dequeued");
        }
        late.exitEpoch = v.exitEpoch;
        events.push(`EIP-7002 dequeued, exit epoch ${v.exitEpoch}`);
      }

      const balanceGwei = late ? local.chain.validator(late.pubkey)!.balanceGwei : 0n;
      const { refSlot } = await advanceToNextFrame(local);
      if (late?.exitEpoch !== undefined && late.vaultDay === undefined) {
        const v = local.chain.validator(late.pubkey)!;
        if (validatorStatus(v, local.chain.epoch) === "withdrawal_done") {
          late.vaultDay = day;
          late.vaultWei = balanceGwei * 10n ** 9n;
          events.push(`${keyName(late.operatorId, late.keyIndex)}'s ETH in the vault`);
        }
      }
      let applied = false;
      let report: Awaited<ReturnType<typeof reportOnce>> | undefined;
      for (const m of members) {
        const outcome = await reportOnce(ctx, m);
        if (outcome.status === "submitted" && outcome.applied) {
          applied = true;
          report = outcome;
          const d = outcome.report.data;
          if (d.isBunkerMode) events.push("bunker mode");
          if (d.operatorIdsWithLosses.length > 0)
            events.push(`losses ${d.operatorLossesGwei.map((g) => eth(BigInt(g) * 10n ** 9n, 4)).join(", ")}`);
          if (d.exitOperatorIds.length > 0) events.push(`${d.exitOperatorIds.length} exits requested`);
          if (BigInt(d.lastRequestIdToFinalize) > 0n) events.push(`finalized to #${d.lastRequestIdToFinalize}`);
        }
      }
      if (!applied || report?.status !== "submitted") {
        throw new Error(`day ${day}: the report for slot ${refSlot} was not applied`);
      }
      const data = report.report.data;
      if (slashingProof?.day === day) slashingProof.reportBunker = data.isBunkerMode;
      if (day === SECOND_WHALE_DAY) {
        // One operator ignores the exit request the report makes of it.
        if (data.exitOperatorIds.length === 0) throw new Error("the second whale needed no exits");
        const [operatorId, keyIndex] = [BigInt(data.exitOperatorIds[0]), BigInt(data.exitKeyIndices[0])];
        const pubkey = (await t.registry.getSigningKey(operatorId, keyIndex)).pubkey.toLowerCase();
        bots[Number(operatorId)].forget(pubkey); // its bot never signs this key's exit
        late = { operatorId, keyIndex, pubkey, requestedDay: day, waitingRequestId: secondWhaleId };
        events.push(`${keyName(operatorId, keyIndex)} ignores its exit request`);
      }
      // The operators' exits bots: a signed voluntary exit for each key the report asked to exit.
      let signed = 0;
      chainTime = new Date(Number(await local.bridge.latestTimestamp()) * 1000);
      for (const bot of bots) {
        for (const a of await bot.tick()) {
          if (a.outcome === "submitted") signed++;
          else if (a.outcome === "failed") throw new Error(`day ${day}: ${a.line}`);
        }
      }
      signedExits += signed;
      if (signed > 0) events.push(`${signed} signed exit${signed > 1 ? "s" : ""} submitted`);
      if (late?.vaultDay !== undefined && late.finalizedDay === undefined) {
        const finalized = await t.withdrawalQueue.getLastFinalizedRequestId();
        if (finalized >= late.waitingRequestId) [late.finalizedDay, late.finalizedTo] = [day, finalized];
      }
      // After the report, the keeper pushes the new share rate to the L2's RateOracle.
      const [homeRate, refTime] = await bridge.pusher.currentRate();
      const { nativeFee } = await bridge.pusher.quotePushRate(bridge.remoteEid, "0x");
      await send(bridge.pusher.connect(keeper).pushRate(bridge.remoteEid, "0x", { value: nativeFee }));
      const pushed = await bridge.relay();
      if (pushed.length !== 1 || pushed[0].status !== "delivered") {
        throw new Error(
          `day ${day}: the rate push was not delivered: ${pushed.map((p) => p.reason ?? p.status).join("; ")}`,
        );
      }
      const round = await bridge.rateOracle.latestRoundData();
      if (round.answer !== homeRate || round.updatedAt !== refTime) {
        throw new Error(`day ${day}: the L2 rate ${eth(round.answer, 18)} is not home's ${eth(homeRate, 18)}`);
      }
      const arrivedAt = (await l2.provider.getBlock("latest"))!.timestamp;
      bridgeMonth.pushes++;
      bridgeMonth.pushFeesWei += nativeFee;
      bridgeMonth.maxLagSeconds = Math.max(bridgeMonth.maxLagSeconds, arrivedAt - Number(refTime));
      await claimAll(holders.map(clients.of), stats);
      await assertInvariants(t, local, accounts, refSlot);
      const unbacked = await bridgeBacked(t, bridge);
      if (unbacked.length > 0) throw new Error(`day ${day}: invariant broken: ${unbacked.join("; ")}`);
      await record(day, events);
      console.log(markdownTable(DAY_HEADER, [dayRow(days[days.length - 1])]).split("\n")[2]);
    }

    // ── Summary ──
    const first = days[0];
    const last = days[days.length - 1];
    const status = await clients.reader.status();
    const summary = await summaryRows(t, {
      first,
      last,
      period: `${DAYS} days`,
      periodDays: DAYS,
      holders: holders.length,
      stats,
      status,
      operators: operators.length,
    });
    summary.push([
      "operators' exits",
      `${signedExits} voluntary exits signed from the operators' keystores by their exits bots, verified and applied by the beacon chain`,
    ]);
    // The proofs: the watcher's, checked for what the month needed of them.
    if (!slashingProof?.bunkerAtProof || slashingProof.reportBunker !== true) {
      throw new Error("the slashing was not proven with bunker mode on before the next report");
    }
    if (!late?.provenDay || late.vaultDay === undefined || late.finalizedDay === undefined) {
      throw new Error(
        `the late exit did not run its course: ${JSON.stringify(late, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v))}`,
      );
    }
    const byKind = new Map<string, number>();
    for (const p of proofs) byKind.set(p.proof.kind, (byKind.get(p.proof.kind) ?? 0) + 1);
    const proofGas = proofs.reduce((sum, p) => sum + p.proof.gasUsed, 0n);
    const lateKey = keyName(late.operatorId, late.keyIndex);
    const lateName = OPERATOR_NAMES[Number(late.operatorId)].split(" ")[0];
    summary.push(
      [
        "proofs",
        `${proofs.length} by the watcher (${[...byKind].map(([k, n]) => `${n} ${k}`).join(", ")}), ` +
          `gas ${proofGas.toLocaleString("en-US")} in all`,
      ],
      [
        "slashing proof",
        `${keyName(2n, 0n)} slashed on day ${SLASHING_DAY}, proven at slot ${slashingProof.slot} before that day's ` +
          `report: bunker mode on at the proof; the report: bunker mode ${slashingProof.reportBunker ? "on" : "off"}`,
      ],
      [
        "late exit",
        `${lateKey} ignored the day-${late.requestedDay} exit request; proven late on day ${late.provenDay} ` +
          `(deadline ${Number(LATE_EXIT_DEADLINE_SECONDS) / 3600} h): EIP-7002 request from the withdrawal vault, ` +
          `exit epoch ${late.exitEpoch}; ${eth(late.vaultWei ?? 0n, 4)} in the vault by day ${late.vaultDay}; the ` +
          `day-${late.finalizedDay} report finalized the waiting requests to #${late.finalizedTo} ` +
          `(the second whale's #${late.waitingRequestId})`,
      ],
      [
        "late-exit costs",
        `${lateName}'s bond paid ${small(late.bondPaidWei ?? 0n, "tpETH")}: penalty ` +
          `${small(late.penaltyWei ?? 0n, "tpETH")} to the insurance fund, and the prover's refund ` +
          `${small(late.refundWei ?? 0n, "tpETH")} for the EIP-7002 fee it paid (${small(late.feeWei ?? 0n, "ETH")}); ` +
          `the prover's gas ${eth(late.proverGasWei ?? 0n, 6)}`,
      ],
    );
    const locked = await t.wrapper.balanceOf(await bridge.adapter.getAddress());
    const { answer: l2Rate, updatedAt: l2UpdatedAt } = await bridge.rateOracle.latestRoundData();
    const [homeRate] = await bridge.pusher.currentRate();
    const homeNow = (await hre.ethers.provider.getBlock("latest"))!.timestamp;
    const hours = (seconds: number) => `${(seconds / 3600).toFixed(1)} h`;
    summary.push(
      [
        "wtpETH per chain",
        `home: ${eth(await t.wrapper.totalSupply(), 6, "wtpETH")} in all, ${eth(locked, 6, "wtpETH")} of it locked in ` +
          `the OFT adapter; L2 (chain ${LOCAL_L2_CHAIN_ID}): ${eth(await bridge.oft.totalSupply(), 6, "wtpETH")}, ` +
          `equal to the locked wtpETH to the wei after every day`,
      ],
      ["bridge sends", bridgeMonth.sends.join("; ")],
      [
        "L2 rate",
        `${bridgeMonth.pushes} pushes after the reports (LayerZero fees ${eth(bridgeMonth.pushFeesWei, 4)}); the L2's ` +
          `${eth(l2Rate, 8, "tpETH")} per wtpETH ${l2Rate === homeRate ? "equals" : "differs from"} home's; its age ` +
          `(from the report's reference time) ${hours(homeNow - Number(l2UpdatedAt))} now, ` +
          `${hours(bridgeMonth.maxLagSeconds)} at most on arrival; stale after ` +
          `${hours(Number(await bridge.rateOracle.maxAgeSeconds()))}`,
      ],
    );
    console.log("\n## Summary\n");
    console.log(markdownTable(["", ""], summary));
    console.log("\n## Proofs (the prover watcher, one tick a day before the report)\n");
    console.log(
      markdownTable(
        ["day", "slot", "proof", "key", "gas", "what it changed"],
        proofs.map((p) => [
          String(p.day),
          String(p.slot),
          p.proof.kind,
          keyName(p.proof.operatorId, p.proof.keyIndex),
          p.proof.gasUsed.toLocaleString("en-US"),
          p.changed,
        ]),
      ),
    );
    console.log("\n## Operators' exits bots (signed voluntary exits; one line per action, in chain time)\n");
    for (const line of botLines) console.log(`    ${line}`);

    const markers = days.flatMap((d) =>
      d.events
        .filter((e) => /slashed|whale|exits requested|late, EIP-7002/.test(e) && !/^proof: .* slashed/.test(e))
        .map((e) => ({
          x: d.day,
          label: e.startsWith("proof:") ? "forced exit" : e.replace("Coral's validator 0 slashed", "slashing"),
        })),
    );
    const bunkerEnd = days.find((d, i) => i > 0 && !d.bunker && days[i - 1].bunker);
    if (bunkerEnd) markers.push({ x: bunkerEnd.day, label: "bunker mode ends" });
    const svg = renderChartSvg({
      title: `Tidepool: a simulated month (${holders.length} holders, ${last.validators} validators)`,
      xLabel: "day",
      series: [
        {
          name: "share rate",
          unit: "ETH per share",
          color: "#1f77b4",
          axis: "left",
          points: days.map((d) => ({ x: d.day, y: d.rate })),
        },
        {
          name: "TVL",
          unit: "ETH",
          color: "#d62728",
          axis: "right",
          points: days.map((d) => ({ x: d.day, y: d.tvl })),
        },
      ],
      markers,
    });
    fs.mkdirSync(OUTPUT_DIR, { recursive: true });
    const chartFile = path.join(OUTPUT_DIR, "tidepool-month.svg");
    fs.writeFileSync(chartFile, svg);
    console.log(
      `\nInvariants held after all ${DAYS} reports (${INVARIANTS_CHECKED}, wtpETH locked at home = L2 supply).\nChart: ${chartFile} · ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    if (slashedKey === "") throw new Error("the slashing never happened");
  } finally {
    await l2?.stop();
    await local.close();
    fs.rmSync(keystoreDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(process.env.DEMO_DEBUG ? e : e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
