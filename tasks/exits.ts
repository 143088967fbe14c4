/**
 * Hardhat tasks for operators' exits (offchain/operators/exits.ts): voluntary exits signed from the
 * operator's EIP-2335 keystores and submitted to a Beacon API (`POST /eth/v1/beacon/pool/voluntary_exits`).
 *
 *   operator-exit      --keystores <dir> --validator <index|pubkey>   one validator's exit, now
 *   operator-exits-bot --operator <id> --keystores <dir> [--once]     exits the keys the oracle asks to exit
 *
 * Both take `--beacon` (default $BEACON_URL, else the local beacon chain's http://127.0.0.1:5052) and
 * `--password-file` (else the keystore password is asked for, without echo). The exit is signed for
 * the node's chain: its CAPELLA_FORK_VERSION and genesis validators root (EIP-7044), at its head epoch.
 *
 * Loaded by hardhat.config.ts before compilation: no top-level imports of typechain-types,
 * deploy/protocol.ts, `hardhat` or the BLS libraries (see tasks/lib.ts).
 */
import fs from "node:fs";
import { fail, loadTidepool, parseCount, parseHttpUrl, POOL_HELP, tidepoolTask } from "./lib";
import { DEFAULT_BEACON_URL } from "./proofs";

type Exits = typeof import("../offchain/operators/exits");
type Prompt = typeof import("../offchain/keys/prompt");

const BEACON_HELP = `Beacon API base URL (default: $BEACON_URL, else ${DEFAULT_BEACON_URL})`;
const KEYSTORES_HELP = "Folder of the operator's EIP-2335 keystores (keystore-*.json, as the key tool writes them)";
const PASSWORD_FILE_HELP = "File holding the keystores' password (default: asked for, without echo)";

function loadExits(): Exits {
  // `require`, not `import()`: with module node16 a dynamic import is native and skips ts-node.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("../offchain/operators/exits") as Exits;
}

function beaconUrl(value: string | undefined): string {
  const url = value ?? process.env.BEACON_URL;
  return parseHttpUrl(url === undefined || url === "" ? DEFAULT_BEACON_URL : url, "beacon");
}

/** The keystores' password: the first line of `--password-file`, else typed at a hidden prompt. */
async function keystorePassword(passwordFile: string | undefined): Promise<string> {
  if (passwordFile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(passwordFile, "utf8");
    } catch {
      return fail(`cannot read --password-file ${passwordFile}`);
    }
    const password = text.split(/\r?\n/)[0];
    if (password === "") fail(`--password-file ${passwordFile} is empty`);
    return password;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const prompter = (require("../offchain/keys/prompt") as Prompt).stdinPrompter();
  try {
    return await prompter.hidden("Keystore password: ");
  } catch {
    return fail("no keystore password: type it when asked, or give --password-file <file>");
  } finally {
    prompter.close();
  }
}

/** `--validator`: an index or a 48-byte 0x-hex pubkey. */
function validatorId(value: string): string {
  const text = value.trim();
  if (/^[0-9]+$/.test(text) || /^0x[0-9a-fA-F]{96}$/.test(text)) return text.toLowerCase();
  return fail(`--validator must be a validator index or a 48-byte 0x-hex pubkey, got "${value}"`);
}

function keystoresDir(value: string): string {
  if (!fs.existsSync(value) || !fs.statSync(value).isDirectory()) fail(`--keystores ${value} is not a folder`);
  return value;
}

interface ExitArgs {
  keystores: string;
  validator: string;
  beacon?: string;
  passwordFile?: string;
}

tidepoolTask(
  "operator-exit",
  "Signs a validator's voluntary exit with its keystore and submits it to a Beacon API (the exit cannot be undone)",
)
  .addParam("keystores", KEYSTORES_HELP)
  .addParam("validator", "The validator to exit: its index or its pubkey")
  .addOptionalParam("beacon", BEACON_HELP)
  .addOptionalParam("passwordFile", PASSWORD_FILE_HELP)
  .setAction(async (args: ExitArgs): Promise<void> => {
    const id = validatorId(args.validator);
    const dir = keystoresDir(args.keystores);
    const url = beaconUrl(args.beacon);
    const exits = loadExits();
    const keys = await exits.loadKeystores(dir, await keystorePassword(args.passwordFile));
    const fork = await exits.exitForkOf(url);
    const s = await exits.exitValidator(url, keys, id);
    console.log(
      `Submitted the voluntary exit of validator ${s.validatorIndex} (${s.pubkey}) at epoch ${s.epoch}, signed for ` +
        `Capella fork version ${fork.capellaForkVersion} and genesis validators root ${fork.genesisValidatorsRoot}:`,
    );
    console.log(JSON.stringify(s.signed));
  });

interface BotArgs {
  operator: string;
  keystores: string;
  beacon?: string;
  passwordFile?: string;
  interval: string;
  fromBlock?: string;
  once: boolean;
  pool?: string;
}

tidepoolTask(
  "operator-exits-bot",
  "Watches the oracle's exit requests for an operator and submits the signed voluntary exits of the requested keys it holds",
)
  .addParam("operator", "The operator's id")
  .addParam("keystores", KEYSTORES_HELP)
  .addOptionalParam("beacon", BEACON_HELP)
  .addOptionalParam("passwordFile", PASSWORD_FILE_HELP)
  .addOptionalParam("interval", "Seconds between passes", "12")
  .addOptionalParam("fromBlock", "Block to read the oracle's exit requests from (its deployment block; default 0)")
  .addFlag("once", "One pass, then exit")
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: BotArgs, hre): Promise<void> => {
    const operatorId = BigInt(parseCount(args.operator, "operator"));
    const intervalMs = parseCount(args.interval, "interval", 1) * 1000;
    const fromBlock = args.fromBlock === undefined ? undefined : parseCount(args.fromBlock, "from-block");
    const dir = keystoresDir(args.keystores);
    const url = beaconUrl(args.beacon);
    const t = await loadTidepool(hre, args.pool);
    const operators = await t.registry.getNodeOperatorsCount();
    if (operatorId >= operators) fail(`there is no operator ${operatorId} (the registry has ${operators})`);
    const exits = loadExits();
    const keys = await exits.loadKeystores(dir, await keystorePassword(args.passwordFile));
    const bot = new exits.ExitsBot({ oracle: t.oracle, beaconUrl: url, operatorId, keys, fromBlock });
    if (args.once) {
      const actions = await bot.tick();
      if (actions.length === 0) console.log(`No exit request for operator ${operatorId} to act on.`);
      return;
    }
    console.log(
      `Exits bot of operator ${operatorId} (${keys.size} keystores) watching every ${intervalMs / 1000}s (Ctrl-C stops)`,
    );
    const stop = new AbortController();
    process.once("SIGINT", () => stop.abort());
    await bot.run({ intervalMs, signal: stop.signal });
  });
