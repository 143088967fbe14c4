/**
 * Issue 16 §3: every command fails the same way from the command line, on a new user's headless
 * server (`CI` unset, no `DISPLAY`: Hardhat takes that for a CI server and prints a stack trace after
 * every error): one sentence, exit code 1 (0 when there is simply nothing to do), no stack frame, no
 * "HardhatError" or "Error in plugin" noise.
 *
 * Each case runs `hardhat <task> …` in a child process (tests/helpers/tasks.ts `runHardhat`, two at
 * a time). Every task's bad argument is run; reverts and refusals that need a chain run against the
 * in-process network of this test, deployed in `before()` and served over JSON-RPC on a free port,
 * which the child reaches as `--network localhost` through the LOCALHOST_RPC_URL variable. The
 * in-process task tests (HolderTasks, WithdrawalTasks, …) cover each sentence's wording in depth; this
 * file covers the output channel, the exit code and the absence of a stack trace.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { ZeroAddress, parseEther } from "ethers";
import { startRpcServer, type RpcServer } from "../../app/server/dev";
import { deployTidepool, type TidepoolFixture } from "../helpers/fixtures";
import { STACK_FRAME, closedPort, headlessEnv, limited, runHardhat, type CommandRun } from "../helpers/tasks";
import { eth } from "../../sdk/src/format";
import { IN_PROCESS_NO_DEPLOYMENT } from "../../tasks/lib";
import { testSecretKey } from "../../offchain/keys/bls";
import { keystoreFor, type KdfSettings } from "../../offchain/keys/keystore";

/** One command and what it must print (stderr and stdout, non-blank lines) and exit with. */
interface Case {
  args: string[];
  lines: string[];
  code: number;
  /** Configuration variables for the run, on top of the live chain's LOCALHOST_RPC_URL. */
  vars?: Record<string, string>;
  /** Extra environment (BEACON_URL unset is the default). */
  env?: Record<string, string>;
}

describe("Error path of every command (headless, CI unset)", function () {
  this.timeout(300_000);

  let configHome: string;
  let rpc: RpcServer;
  let f: TidepoolFixture;
  let pool: string;
  let me: string;

  before(async function () {
    configHome = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-error-path-"));
    f = await deployTidepool();
    pool = f.poolAddress;
    me = f.admin.address;
    // 300 ETH staked by others and 5 by account 0: a buffer, and a daily instant-redeem cap of ~3 ETH.
    for (const [i, value] of [parseEther("100"), parseEther("150"), parseEther("50")].entries()) {
      await (await f.pool.connect(f.users[i]).stake(ZeroAddress, { value })).wait();
    }
    await (await f.pool.connect(f.admin).stake(ZeroAddress, { value: parseEther("5") })).wait();
    await (await f.pool.connect(f.pauser).pause(1)).wait(); // staking: stake reverts StakingPaused
    rpc = await startRpcServer(hre, 0);
  });

  after(async function () {
    await rpc?.close();
    fs.rmSync(configHome, { recursive: true, force: true });
  });

  /** Runs the cases two at a time and checks each: its lines exactly, its exit code, no stack trace. */
  async function check(cases: Case[]): Promise<void> {
    const runs = await limited(
      2,
      cases.map((c) => () => {
        const env = headlessEnv(configHome, { LOCALHOST_RPC_URL: rpc.url, ...c.vars });
        delete env.BEACON_URL;
        return runHardhat(c.args, { ...env, ...c.env });
      }),
    );
    runs.forEach((run: CommandRun, i) => {
      const c = cases[i];
      const what = `hardhat ${c.args.join(" ")}\n--- stderr\n${run.stderr}\n--- stdout\n${run.stdout}`;
      expect(run.lines, what).to.deep.equal(c.lines);
      expect(run.code, what).to.equal(c.code);
      expect(run.stderr + run.stdout, what).to.not.match(STACK_FRAME);
      expect(run.stderr + run.stdout, what).to.not.match(/HardhatError|HardhatPluginError|Error in plugin/);
      if (c.code === 0) expect(run.stderr, what).to.equal(""); // nothing to do: a plain sentence on stdout
    });
  }

  /** `--network localhost --pool <the deployment>`: the live chain of this test. */
  const live = (...args: string[]): string[] => [...args, "--network", "localhost", "--pool", pool];

  it("the premise: Hardhat takes this environment for a CI server; --show-stack-traces still gets a trace", async function () {
    const env = headlessEnv(configHome);
    const detection = spawnSync(
      process.execPath,
      ["-p", 'require("hardhat/internal/util/ci-detection").isRunningOnCiServer()'],
      { cwd: hre.config.paths.root, env, encoding: "utf8" },
    );
    expect(detection.stdout.trim()).to.equal(String(os.type() === "Linux")); // no display: "CI"
    const run = await runHardhat(["stake", "--amount", "1", "--form", "2", "--show-stack-traces"], env);
    expect(run.code).to.equal(1);
    expect(run.lines[0]).to.equal("Error HH305: Unrecognized param --form");
    expect(run.stderr).to.match(STACK_FRAME);
  });

  it("Hardhat's own argument errors, a forgotten --network, an unset RPC URL and an unreachable node", async function () {
    const port = await closedPort();
    await check([
      {
        args: ["stake"],
        lines: ["Error HH306: The '--amount' parameter of task 'stake' expects a value, but none was passed."],
        code: 1,
      },
      { args: ["stake", "--amount", "1", "--form", "2"], lines: ["Error HH305: Unrecognized param --form"], code: 1 },
      { args: ["status", "--network", "hodi"], lines: ["Error HH100: Network hodi doesn't exist"], code: 1 },
      {
        args: ["claim-withdrawals", "--network", "hoodi"],
        lines: ["Error: Set the RPC URL for hoodi first: npx hardhat vars set HOODI_RPC_URL"],
        code: 1,
      },
      { args: ["claim-withdrawals"], lines: [`Error: ${IN_PROCESS_NO_DEPLOYMENT}`], code: 1 },
      {
        args: ["claim-withdrawals", "--network", "localhost"],
        vars: { LOCALHOST_RPC_URL: `http://127.0.0.1:${port}` },
        lines: [
          `Error: Cannot connect to network "localhost" (127.0.0.1:${port}): start a node with "npx hardhat node" and deploy to it, or choose another --network.`,
        ],
        code: 1,
      },
      {
        args: ["status", "--network", "hoodi"],
        vars: { HOODI_RPC_URL: `http://127.0.0.1:${port}/v2/secret-key` },
        lines: [
          'Error: Cannot connect to network "hoodi": check your connection and its RPC URL (npx hardhat vars set HOODI_RPC_URL).',
        ],
        code: 1,
      },
    ]);
  });

  it("every task's bad argument: one sentence, exit code 1", async function () {
    const dsm = await f.dsm.getAddress();
    const missing = path.join(configHome, "no-such-deposit-data.json");
    await check([
      {
        args: live("stake", "--amount", "abc"),
        lines: ['Error: --amount must be a positive decimal amount of ETH (at most 18 decimals), got "abc"'],
        code: 1,
      },
      { args: live("wrap", "--amount", "0"), lines: ['Error: --amount must be greater than zero, got "0"'], code: 1 },
      {
        args: live("unwrap", "--amount", "1", "--from", "99"),
        lines: ['Error: --from 99: network "localhost" has 40 accounts (indices 0 to 39)'],
        code: 1,
      },
      {
        args: live("instant-redeem", "--amount", "1", "--min-out", "x"),
        lines: ['Error: --min-out must be a positive decimal amount of ETH (at most 18 decimals), got "x"'],
        code: 1,
      },
      {
        args: live("status", "--account", "0x0"),
        lines: ["Error: --account cannot be the zero address"],
        code: 1,
      },
      {
        args: live("request-withdrawal", "--amount", "1", "--owner", "0x0"),
        lines: ["Error: --owner cannot be the zero address: leave --owner out to own the request yourself"],
        code: 1,
      },
      {
        args: live("withdrawals", "--from", "nobody"),
        lines: ['Error: --from must be an account index (0 to 39) or an address, got "nobody"'],
        code: 1,
      },
      {
        args: live("claim-withdrawals", "--ids", "1,x"),
        lines: ['Error: --ids must be a comma-separated list of request ids (positive integers), got "1,x"'],
        code: 1,
      },
      {
        args: ["bridge", "--amount", "1", "--to", "mars", "--network", "localhost"],
        lines: [
          'Error: --to must be a LayerZero endpoint id or one of arbitrum, optimism, base, arbitrum-sepolia, optimism-sepolia, base-sepolia, got "mars"',
        ],
        code: 1,
      },
      {
        args: ["push-rate", "--to", "0", "--network", "localhost"],
        lines: [
          'Error: --to must be a LayerZero endpoint id or one of arbitrum, optimism, base, arbitrum-sepolia, optimism-sepolia, base-sepolia, got "0"',
        ],
        code: 1,
      },
      {
        args: live("oracle-report"),
        lines: ["Error: --beacon-url (or BEACON_URL) is required: the Beacon API to read, e.g. http://127.0.0.1:5052"],
        code: 1,
      },
      {
        args: live("operator-add", "--name", "A", "--reward-address", "0x12"),
        lines: ['Error: --reward-address is not a valid address: "0x12"'],
        code: 1,
      },
      {
        args: live("operator-keys", "--operator", "0", "--file", missing),
        lines: [`Error: cannot read --file ${missing}: ENOENT: no such file or directory, open '${missing}'`],
        code: 1,
      },
      {
        args: live("operator-bond", "--operator", "x", "--amount", "1"),
        lines: ['Error: --operator must be an operator id (a non-negative integer), got "x"'],
        code: 1,
      },
      {
        args: live("operator-bond", "--operator", "0", "--withdraw", "lots"),
        lines: ['Error: --withdraw must be a positive decimal amount of ETH (at most 18 decimals), got "lots"'],
        code: 1,
      },
      {
        args: live("operator-keys", "--operator", "0", "--remove", "--from", "0", "--count", "0"),
        lines: ['Error: --count must be an integer from 1 to 100, got "0"'],
        code: 1,
      },
      {
        args: live("operator-vet", "--operator", "0", "--keys", "none"),
        lines: ['Error: --keys must be an integer of at least 1, got "none"'],
        code: 1,
      },
      {
        args: live("operator-exits", "--operator", "x"),
        lines: ['Error: --operator must be an operator id (a non-negative integer), got "x"'],
        code: 1,
      },
      {
        args: live("operator-rewards", "--operator", "0", "--claim"),
        lines: ["Error: operator 0 does not exist (the registry has 0 operators)"],
        code: 1,
      },
      {
        args: ["operators", "--network", "localhost", "--pool", "nope"],
        lines: ['Error: --pool is not a valid address: "nope"'],
        code: 1,
      },
      {
        args: live("guardian-deposit", "--max", "0"),
        lines: ['Error: --max must be an integer of at least 1, got "0"'],
        code: 1,
      },
      {
        args: live("guardian-attest", "--guardian", "0"),
        lines: [`Error: account 0 (${me}) is not a guardian of the deposit security module ${dsm}`],
        code: 1,
      },
      {
        args: live("guardian-daemon", "--port", "70000"),
        lines: ['Error: --port must be a port number (1 to 65535), got "70000"'],
        code: 1,
      },
    ]);
  });

  it("reverts in the SDK's words and refusals of what cannot be done: one sentence, exit code 1", async function () {
    const liquidity = await f.pool.instantLiquidity();
    const [, , , remaining] = await f.pool.getInstantRedeemParams();
    expect(remaining).to.be.lt(liquidity); // today's cap binds
    await check([
      {
        args: live("stake", "--amount", "1"),
        lines: ["Error: Staking is paused right now. Please try again later. (StakingPaused)"],
        code: 1,
      },
      {
        args: live("claim-withdrawals", "--ids", "9"),
        lines: ["Error: Withdrawal request #9 does not exist. (UnknownRequest)"],
        code: 1,
      },
      {
        args: live("request-withdrawal", "--amount", "0.00000000000000005"),
        lines: [
          "Error: A withdrawal request must be worth at least 0.0000000000000001 ETH; this one is 0.00000000000000005 ETH. (RequestAmountTooSmall)",
        ],
        code: 1,
      },
      {
        args: live("instant-redeem", "--amount", "4"),
        lines: [
          `Error: Instant redemptions are capped for today: ${eth(remaining, 18, "tpETH")} left, you asked for 4 tpETH. (InstantRedeemFrameCapExceeded)`,
        ],
        code: 1,
      },
    ]);
    expect(await f.withdrawalQueue.getLastRequestId()).to.equal(0n); // nothing was requested
  });

  it("nothing to do: a plain sentence on stdout, exit code 0", async function () {
    await check([
      {
        args: live("claim-withdrawals"),
        lines: [`Nothing to claim: ${me} has no finalized withdrawal request.`],
        code: 0,
      },
      { args: live("withdrawals"), lines: [`${me} has no unclaimed withdrawal requests.`], code: 0 },
      {
        args: live("guardian-deposit"),
        lines: ["Nothing to deposit: no operator has vetted, bond-covered keys ready (see npx hardhat operators)."],
        code: 0,
      },
    ]);
  });

  it("the scripts: one sentence, exit code 1", async function () {
    const busy = Number(new URL(rpc.url).port); // the test's own JSON-RPC server listens there
    await check([
      {
        args: ["run", "--no-compile", "scripts/beacon-chain.ts"],
        lines: [`Error: ${IN_PROCESS_NO_DEPLOYMENT}`],
        code: 1,
      },
      {
        args: ["run", "--no-compile", "scripts/app.ts"],
        env: { TIDEPOOL_RPC_PORT: String(busy) },
        lines: [
          `Error: port ${busy} on 127.0.0.1 is in use (another "npx hardhat node" or "npm run app"?): stop it, or set TIDEPOOL_RPC_PORT`,
        ],
        code: 1,
      },
    ]);
  });

  it("deploy-check and deploy refuse a parameter file with zero addresses: every problem listed, one sentence, nothing sent", async function () {
    const nonce = await hre.ethers.provider.getTransactionCount(me);
    const refusal =
      "Error: deploy/parameters/hoodi.json: Tidepool.pauser is the zero address: set the pauser multisig's address" +
      " (4 more: Tidepool.guardian, Tidepool.treasury, Tidepool.oracleMembers, Tidepool.oracleQuorum)";
    await check([
      {
        args: ["deploy-check", "--network", "localhost", "--parameters", "deploy/parameters/hoodi.json"],
        lines: [
          refusal,
          "Tidepool.pauser: Tidepool.pauser is the zero address: set the pauser multisig's address",
          "Tidepool.guardian: Tidepool.guardian is the zero address: set the first deposit guardian's address",
          "Tidepool.treasury: Tidepool.treasury is the zero address: set the treasury's address",
          'Tidepool.oracleMembers: Tidepool.oracleMembers is not used on network "localhost", whose oracle members are accounts 1 to 3: leave it out',
          "Tidepool.oracleQuorum: Tidepool.oracleQuorum 1 does not fit 3 oracle members: it must be more than half of them and at most all",
        ],
        code: 1,
      },
      {
        args: ["deploy", "--network", "localhost", "--parameters", "deploy/parameters/hoodi.json"],
        lines: [refusal],
        code: 1,
      },
    ]);
    expect(await hre.ethers.provider.getTransactionCount(me)).to.equal(nonce);
  });

  it("the oracle daemon's options (issue 18): one sentence, exit code 1", async function () {
    const busy = Number(new URL(rpc.url).port); // the test's own JSON-RPC server listens there
    const daemon = (...args: string[]) => live("oracle-report", "--beacon-url", "http://127.0.0.1:1", ...args);
    await check([
      {
        args: daemon("--daemon", "--log-format", "xml"),
        lines: ['Error: --log-format must be text or json, got "xml"'],
        code: 1,
      },
      {
        args: daemon("--daemon", "--metrics-port", "70000"),
        lines: ['Error: --metrics-port must be a port number (1 to 65535), got "70000"'],
        code: 1,
      },
      {
        args: daemon("--daemon", "--warning-slots", "0"),
        lines: ['Error: --warning-slots must be an integer of at least 1, got "0"'],
        code: 1,
      },
      {
        args: daemon("--metrics-port", "9100"),
        lines: ["Error: --metrics-port is for the daemon: add --daemon"],
        code: 1,
      },
      {
        args: daemon("--daemon", "--metrics-port", String(busy)),
        lines: [
          `Error: port ${busy} on 127.0.0.1 is in use: stop what listens there, or choose another --metrics-port`,
        ],
        code: 1,
      },
    ]);
  });

  it("the exit tasks: one sentence, exit code 1", async function () {
    const dir = fs.mkdtempSync(path.join(configHome, "keystores-"));
    const sk = testSecretKey("error-path", 0);
    const kdf: KdfSettings = {
      function: "pbkdf2",
      params: { dklen: 32, c: 16, prf: "hmac-sha256", salt: "33".repeat(32) },
    };
    const keystore = await keystoreFor(
      sk.toBytes(),
      sk.toPublicKey().toBytes(),
      "m/12381/3600/0/0/0",
      "right password",
      kdf,
    );
    fs.writeFileSync(path.join(dir, "keystore-m_12381_3600_0_0_0.json"), JSON.stringify(keystore));
    const right = path.join(configHome, "right-password.txt");
    const wrong = path.join(configHome, "wrong-password.txt");
    fs.writeFileSync(right, "right password\n");
    fs.writeFileSync(wrong, "wrong password\n");
    const missing = path.join(configHome, "no-such-folder");
    const port = await closedPort();
    const operators = await f.registry.getNodeOperatorsCount();
    await check([
      {
        args: ["operator-exit", "--keystores", missing, "--validator", "0"],
        lines: [`Error: --keystores ${missing} is not a folder`],
        code: 1,
      },
      {
        args: ["operator-exit", "--keystores", dir, "--validator", "0x12", "--password-file", right],
        lines: ['Error: --validator must be a validator index or a 48-byte 0x-hex pubkey, got "0x12"'],
        code: 1,
      },
      {
        args: ["operator-exit", "--keystores", dir, "--validator", "0", "--password-file", wrong],
        lines: ["Error: cannot decrypt keystore-m_12381_3600_0_0_0.json: wrong password or not an EIP-2335 keystore"],
        code: 1,
      },
      {
        args: [
          "operator-exit",
          "--keystores",
          dir,
          "--validator",
          "0",
          "--password-file",
          right,
          "--beacon",
          `http://127.0.0.1:${port}`,
        ],
        lines: [`Error: cannot reach the Beacon API at http://127.0.0.1:${port}`],
        code: 1,
      },
      {
        args: [
          "operator-exit",
          "--keystores",
          dir,
          "--validator",
          "0",
          "--password-file",
          right,
          "--beacon",
          "ftp://x",
        ],
        lines: ['Error: --beacon must be an http(s) URL, got "ftp://x"'],
        code: 1,
      },
      {
        args: live(
          "operator-exits-bot",
          "--operator",
          String(operators),
          "--keystores",
          dir,
          "--password-file",
          right,
          "--once",
        ),
        lines: [`Error: there is no operator ${operators} (the registry has ${operators})`],
        code: 1,
      },
    ]);
  });
});
