/**
 * Hardhat tasks for deposit guardians (docs/protocol.md §6, docs/guardians.md): guardian-deposit
 * (attest, sign and deposit buffered ETH to validators), guardian-attest (print an attestation and its
 * signature, for setups where someone else gathers a quorum) and guardian-daemon (the council daemon:
 * sign, serve the signature to the other guardians, gather theirs and deposit with a quorum). Each
 * takes `--pool <address>`; without it the pool comes from the Ignition deployment of the connected
 * chain.
 *
 * The guardian signs with one of the network's accounts: `--guardian <index>`, or by default the
 * first account that is a guardian (account 4 of the local deployment).
 *
 * Before signing, both refuse while a key the pool may deposit to next (vetted, undeposited) already
 * has a deposit: in the deposit contract's logs from `--deposits-from-block` (read `--log-range`
 * blocks at a time), or on the beacon node at `--beacon-url` (offchain/guardians/attestations.ts).
 *
 * Loaded by hardhat.config.ts before compilation: no top-level imports of typechain-types,
 * deploy/protocol.ts or `hardhat` (see tasks/lib.ts; offchain/guardians/attestations.ts imports only
 * types from typechain-types, which are erased).
 */
import { parseEther } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { eth } from "../sdk/src/format";
import {
  BeaconApiError,
  DEFAULT_LOG_RANGE_BLOCKS,
  DEPOSIT_CONTRACT_FROM_BLOCK,
  DepositLogScanner,
  KeysChangedError,
  earlierDepositsRefusal,
  findEarlierDeposits,
  parentBlockAttestation,
  signAttestation,
  signAttestationIn,
  type Attestation,
  type EarlierDeposit,
  type EarlierDepositCheck,
} from "../offchain/guardians/attestations";
import { GuardianCouncilDaemon, moduleDomain, signedAttestationJson } from "../offchain/guardians/council";
import type { Tidepool } from "../deploy/protocol";
import {
  POOL_HELP,
  attempt,
  fail,
  firstLine,
  loadTidepool,
  parseCount,
  parseHttpUrl,
  portIsFree,
  roleSigner,
  tidepoolTask,
} from "./lib";

const GUARDIAN_HELP = "Index of the guardian among this network's accounts; default: the first one that is a guardian";
const FROM_BLOCK_HELP =
  "First block of the deposit contract's logs to search for deposits to pending keys; default: the block it was deployed in (0 on local networks)";
const LOG_RANGE_HELP = `Blocks per eth_getLogs request when searching the deposit contract's logs (default ${DEFAULT_LOG_RANGE_BLOCKS})`;
const BEACON_HELP = "Beacon API base URL: also ask the beacon node whether a pending key is already a validator";
/** ETH per validator. */
const DEPOSIT_SIZE = parseEther("32");

/**
 * The account that signs as a guardian: account `--guardian` (which must be a guardian), else the
 * first of the network's accounts that the deposit security module lists as one.
 */
export async function guardianSigner(
  hre: HardhatRuntimeEnvironment,
  t: Tidepool,
  index: unknown,
): Promise<HardhatEthersSigner> {
  const role = `a guardian of the deposit security module ${await t.dsm.getAddress()}`;
  return roleSigner(hre, "guardian", index, role, (address) => t.dsm.isGuardian(address));
}

/** The first operator that can take a deposit now, and how many keys (registry.depositableKeys). */
async function nextOperator(t: Tidepool): Promise<{ id: bigint; keys: bigint } | undefined> {
  const count = await t.registry.getNodeOperatorsCount();
  for (let id = 0n; id < count; id++) {
    const keys = await t.registry.depositableKeys(id);
    if (keys > 0n) return { id, keys };
  }
  return undefined;
}

/**
 * What the guardian attests: the deposit root and key nonce now (currentAttestation), bound to the
 * parent of the latest block. A call (eth_call, and eth_estimateGas on nodes that estimate at
 * "latest") runs in the latest block's context, where `blockhash` of that block itself is 0, so an
 * attestation of the latest block reverts StaleAttestation until it is mined later; its parent
 * passes both the preflight and the transaction.
 */
export async function guardianAttestation(hre: HardhatRuntimeEnvironment, t: Tidepool): Promise<Attestation> {
  return parentBlockAttestation(t.depositContract, t.registry, hre.ethers.provider);
}

/** The arguments that configure the search for earlier deposits. */
interface CheckArgs {
  depositsFromBlock?: string;
  logRange?: string;
  beaconUrl?: string;
}

/** How this run searches for earlier deposits, from the task's arguments and the chain. */
async function earlierDepositCheck(
  hre: HardhatRuntimeEnvironment,
  t: Tidepool,
  args: CheckArgs,
): Promise<EarlierDepositCheck> {
  const logRange = args.logRange === undefined ? DEFAULT_LOG_RANGE_BLOCKS : parseCount(args.logRange, "log-range", 1);
  const beaconUrl = args.beaconUrl === undefined ? undefined : parseHttpUrl(args.beaconUrl, "beacon-url");
  let fromBlock: number;
  if (args.depositsFromBlock !== undefined) {
    fromBlock = parseCount(args.depositsFromBlock, "deposits-from-block");
  } else {
    const chainId = (await hre.ethers.provider.getNetwork()).chainId.toString();
    const known = DEPOSIT_CONTRACT_FROM_BLOCK[chainId];
    if (known === undefined) {
      fail(`--deposits-from-block is needed on chain ${chainId}: the block its deposit contract was deployed in`);
    }
    fromBlock = known;
  }
  return { logs: new DepositLogScanner(t.depositContract, fromBlock, logRange), beaconUrl };
}

/**
 * Fails, before anything is signed, if a key the pool may deposit to next already has a deposit the
 * pool did not make (the front-run the deposit security module relies on guardians to catch), or if
 * that cannot be checked.
 */
async function refuseEarlierDeposits(
  hre: HardhatRuntimeEnvironment,
  t: Tidepool,
  attestation: Attestation,
  check: EarlierDepositCheck,
): Promise<void> {
  let found: EarlierDeposit[];
  try {
    found = await findEarlierDeposits(t.registry, hre.ethers.provider, attestation, check);
  } catch (error) {
    const reason =
      error instanceof BeaconApiError || error instanceof KeysChangedError
        ? error.message
        : `cannot search for earlier deposits to the pending keys: ${firstLine(error)}`;
    return fail(`${reason}; nothing was signed`);
  }
  if (found.length > 0) fail(earlierDepositsRefusal(found));
}

function min(...values: bigint[]): bigint {
  return values.reduce((a, b) => (b < a ? b : a));
}

tidepoolTask("guardian-deposit", "As a guardian, attests and deposits buffered ETH to validators (32 ETH each)")
  .addOptionalParam("max", "Most validators to deposit; default: as many as the buffer and the operators allow")
  .addOptionalParam("guardian", GUARDIAN_HELP)
  .addOptionalParam("depositsFromBlock", FROM_BLOCK_HELP)
  .addOptionalParam("logRange", LOG_RANGE_HELP)
  .addOptionalParam("beaconUrl", BEACON_HELP)
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: { max?: string; guardian?: string; pool?: string } & CheckArgs, hre): Promise<void> => {
    const max = args.max === undefined ? undefined : BigInt(parseCount(args.max, "max", 1));
    const t = await loadTidepool(hre, args.pool);
    const guardian = await guardianSigner(hre, t, args.guardian);
    const check = await earlierDepositCheck(hre, t, args);
    const dsm = t.dsm.connect(guardian);
    const quorum = await dsm.quorum();
    if (quorum > 1n) {
      fail(
        `the deposit security module needs ${quorum} guardian signatures and this task signs with one:` +
          ` run guardian-daemon on each guardian (docs/guardians.md), or gather guardian-attest signatures and submit depositBufferedEther with all of them`,
      );
    }
    if (((await t.pool.pausedCapabilities()) & (await t.pool.CAPABILITY_DEPOSITS())) !== 0n) {
      fail("deposits are paused on the pool (governance resumes them)");
    }
    const perCall = await t.pool.MAX_DEPOSITS_PER_CALL();

    let deposited = 0n;
    while (max === undefined || deposited < max) {
      const depositable = await t.pool.depositableEther();
      const byBuffer = depositable / DEPOSIT_SIZE;
      if (byBuffer === 0n) {
        if (deposited > 0n) break;
        // Nothing to do is not a failure: exit code 0.
        return void console.log(
          `Nothing to deposit: ${eth(depositable)} of the buffer may go to validators, 32 ETH needed per validator.`,
        );
      }
      const next = await nextOperator(t);
      if (next === undefined) {
        if (deposited > 0n) break;
        return void console.log(
          "Nothing to deposit: no operator has vetted, bond-covered keys ready (see npx hardhat operators).",
        );
      }
      const count = min(next.keys, byBuffer, perCall, max === undefined ? perCall : max - deposited);
      // A fresh attestation each time: every deposit moves the deposit root and the key nonce.
      const attestation = await guardianAttestation(hre, t);
      await refuseEarlierDeposits(hre, t, attestation, check);
      const signatures = await signAttestation(dsm, attestation, [guardian]);
      const receipt = await attempt(hre, async () => {
        await dsm.depositBufferedEther.staticCall(next.id, count, attestation, signatures); // a revert costs no gas
        return (await dsm.depositBufferedEther(next.id, count, attestation, signatures)).wait();
      });
      deposited += count;
      console.log(
        `deposited ${count} validator${count === 1n ? "" : "s"} of operator ${next.id} (tx ${receipt?.hash})`,
      );
    }
    const [buffered, depositable] = await Promise.all([t.pool.bufferedEther(), t.pool.depositableEther()]);
    console.log(
      `Deposited ${deposited} validator${deposited === 1n ? "" : "s"} (${eth(deposited * DEPOSIT_SIZE)}) as guardian ${guardian.address};` +
        ` buffer now ${eth(buffered)} (${eth(depositable)} depositable)`,
    );
  });

tidepoolTask("guardian-attest", "As a guardian, prints the current deposit attestation and its signature as JSON")
  .addOptionalParam("guardian", GUARDIAN_HELP)
  .addOptionalParam("depositsFromBlock", FROM_BLOCK_HELP)
  .addOptionalParam("logRange", LOG_RANGE_HELP)
  .addOptionalParam("beaconUrl", BEACON_HELP)
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: { guardian?: string; pool?: string } & CheckArgs, hre): Promise<void> => {
    const t = await loadTidepool(hre, args.pool);
    const guardian = await guardianSigner(hre, t, args.guardian);
    const check = await earlierDepositCheck(hre, t, args);
    const attestation = await guardianAttestation(hre, t);
    await refuseEarlierDeposits(hre, t, attestation, check);
    const domain = await moduleDomain(t.dsm);
    const signature = await signAttestationIn(domain, attestation, guardian);
    const out = signedAttestationJson(domain, guardian.address, attestation, signature);
    console.log(JSON.stringify(out, null, 2));
  });

interface DaemonArgs extends CheckArgs {
  port: string;
  peers?: string;
  host?: string;
  interval: string;
  once: boolean;
  guardian?: string;
  pool?: string;
}

/** The peers' base URLs from `--peers` (comma-separated http(s) URLs), without trailing slashes. */
function parsePeers(value: string | undefined): string[] {
  if (value === undefined) return [];
  const peers = value.split(",").map((p) => p.trim());
  for (const peer of peers) {
    let protocol: string | undefined;
    try {
      protocol = new URL(peer).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol !== "http:" && protocol !== "https:") {
      fail(`--peers must be comma-separated http(s) URLs of the other guardians' daemons, got "${peer}"`);
    }
  }
  const urls = peers.map((p) => p.replace(/\/+$/, ""));
  const repeated = urls.find((u, i) => urls.indexOf(u) !== i);
  if (repeated !== undefined) fail(`--peers names ${repeated} twice`);
  return urls;
}

tidepoolTask(
  "guardian-daemon",
  "As a guardian, runs the council daemon: signs, serves its attestation, gathers the others' and deposits with a quorum",
)
  .addParam("port", "Port to serve this guardian's signed attestation on (GET /attestation, GET /health)")
  .addOptionalParam("peers", "The other guardians' daemons: comma-separated base URLs, e.g. http://10.0.0.2:7001")
  .addOptionalParam("host", "Address to listen on (default 127.0.0.1; 0.0.0.0 to serve peers on other machines)")
  .addOptionalParam("interval", "Seconds between passes", "12")
  .addFlag("once", "One pass, then exit")
  .addOptionalParam("guardian", GUARDIAN_HELP)
  .addOptionalParam("depositsFromBlock", FROM_BLOCK_HELP)
  .addOptionalParam("logRange", LOG_RANGE_HELP)
  .addOptionalParam("beaconUrl", BEACON_HELP)
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: DaemonArgs, hre): Promise<void> => {
    const port = parseCount(args.port, "port", 1);
    if (port > 65_535) fail(`--port must be a port number (1 to 65535), got "${args.port}"`);
    const peers = parsePeers(args.peers);
    const host = args.host?.trim() || "127.0.0.1";
    const intervalMs = parseCount(args.interval, "interval", 1) * 1000;
    const t = await loadTidepool(hre, args.pool);
    const guardian = await guardianSigner(hre, t, args.guardian);
    const check = await earlierDepositCheck(hre, t, args);
    if (!(await portIsFree(port, host))) fail(`port ${port} on ${host} is in use: choose another --port`);
    const daemon = await GuardianCouncilDaemon.start({
      contracts: t,
      provider: hre.ethers.provider,
      guardian,
      check,
      peers,
      port,
      host,
    });
    try {
      if (args.once) {
        await attempt(hre, () => daemon.pass());
        return;
      }
      console.log(
        `Guardian ${guardian.address} serving ${daemon.url}/attestation, polling ${peers.length} peer${peers.length === 1 ? "" : "s"}` +
          ` every ${intervalMs / 1000}s (Ctrl-C stops)`,
      );
      const stop = new AbortController();
      process.once("SIGINT", () => stop.abort());
      await daemon.run({ intervalMs, signal: stop.signal });
    } finally {
      await daemon.close();
    }
  });
