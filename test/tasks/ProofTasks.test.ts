/**
 * The proof tasks (tasks/proofs.ts) against the local chains with EIP-4788 roots and the EIP-7002
 * predeploy: what each prints when it proves something, its one sentence when there is nothing to
 * prove, and, as test/tasks/ErrorPath.test.ts does for the other commands, the command line's
 * failure (a child process, headless: `Error: <sentence>`, exit code 1, no stack trace).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { hexlify, parseEther } from "ethers";
import { startRpcServer, type RpcServer } from "../../app/server/dev";
import type { Tidepool } from "../../deploy/protocol";
import { handleControl } from "../../offchain/beacon/control";
import type { LocalBeacon } from "../../offchain/beacon/local";
import { SYSTEM_ADDRESS } from "../../offchain/beacon/state";
import {
  WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS as PREDEPLOY,
  decodeWithdrawalRequests,
} from "../../offchain/beacon/withdrawal-requests";
import { GENESIS_FORK_VERSIONS, signDeposit, testSecretKey } from "../../offchain/keys/bls";
import { withdrawalCredentialsFor } from "../../offchain/keys/deposit";
import { registerOperator } from "../../offchain/operators/register";
import { anchoredState, type FactsContext } from "../../offchain/prover/facts";
import { deployWithBeacon } from "../helpers/beacon-fixtures";
import { STACK_FRAME, headlessEnv, limited, runHardhat, runTask, taskError } from "../helpers/tasks";

const GAS = "gas [\\d,]+";
const CONFIG = { activationDelayEpochs: 1n, shardCommitteePeriodEpochs: 0n, exitDelayEpochs: 2n };

describe("Tasks: prove-slashing, prove-exit, prove-credentials, force-exit, prover-watch", function () {
  this.timeout(120_000);

  let t: Tidepool;
  /** The chain before this file: reverted to after, so the predeploy and time leave with it. */
  let snapshot: string;
  let local: LocalBeacon;
  let pool: string;
  let beacon: string;
  let ctx: FactsContext;

  before(async function () {
    snapshot = (await hre.network.provider.send("evm_snapshot", [])) as string;
    delete process.env.BEACON_URL;
    ({ t, local } = await deployWithBeacon(CONFIG, undefined, { systemCalls: true }));
    pool = t.poolAddress;
    beacon = local.api.url;
    ctx = {
      beaconUrl: beacon,
      provider: hre.ethers.provider,
      contracts: { facts: t.facts, registry: t.registry, oracle: t.oracle },
    };
    // Operator C's key 0 (never deposited by the pool) is front-run: C deposits 1 ETH to it, to itself.
    const operatorC = t.users[4];
    await registerOperator(t.registry, t.pool, t.admin, {
      name: "C",
      rewardAddress: operatorC,
      keys: 2,
      bondWei: parseEther("8"),
    });
    const own = withdrawalCredentialsFor(operatorC.address);
    const deposit = signDeposit(testSecretKey("C", 0), own, GENESIS_FORK_VERSIONS.mainnet, 10n ** 9n);
    expect((await t.registry.getSigningKey(2n, 0n)).pubkey.toLowerCase()).to.equal(hexlify(deposit.pubkey));
    await (
      await t.depositContract
        .connect(operatorC)
        .deposit(deposit.pubkey, own, deposit.signature, deposit.depositDataRoot, { value: parseEther("1") })
    ).wait();
    await step(SLOTS_TO_ACTIVE);
    await step();
    await step();
  });

  after(async function () {
    await local?.close();
    await hre.network.provider.send("evm_revert", [snapshot]);
  });

  /** Two epochs: the deposits are in and the validators active. */
  const SLOTS_TO_ACTIVE = 3n * 32n;

  /**
   * Mines the block `slots` slots after the latest one (with the system calls and a beacon block),
   * as `scripts/beacon-chain.ts`'s control endpoint does with BEACON_SYSTEM_CALLS=1.
   */
  async function step(slots = 1n): Promise<void> {
    const out = await handleControl(local, "/advance-slot", JSON.stringify({ slots: slots.toString() }));
    expect(out.beaconRoot).to.equal(local.state!.head!.root);
  }

  it("prove-slashing: prints what changed; a second time, that it was proven already", async function () {
    local.chain.slash((await t.registry.getSigningKey(0n, 2n)).pubkey);
    await step();
    await step();
    const out = await runTask("prove-slashing", { operator: "0", key: "2", beacon, pool });
    expect(out).to.match(
      new RegExp(`^Proven: operator 0 key 2 slashed; bunker mode on; slashing credit 32 ETH; ${GAS}$`),
    );
    expect(await t.facts.keyFacts(0n, 2n)).to.equal(1n);
    expect(await taskError("prove-slashing", { operator: "0", key: "2", beacon, pool })).to.equal(
      "That slashing was already proven for key #2 of operator #0. (FactAlreadyProven)",
    );
  });

  it("prove-exit, prove-credentials and force-exit on a key with nothing to prove: the contract's sentence, nothing sent", async function () {
    const epoch = (await anchoredState(ctx)).header.slot / 32n;
    const nonce = await hre.ethers.provider.getTransactionCount(t.admin.address);
    expect(await taskError("prove-exit", { operator: "0", key: "0", beacon, pool })).to.equal(
      `The validator has not started to exit (epoch ${epoch}). (NotExited)`,
    );
    const credentials = (await t.facts.WITHDRAWAL_CREDENTIALS()).toLowerCase();
    expect(await taskError("prove-credentials", { operator: "0", key: "0", beacon, pool })).to.equal(
      `The validator's withdrawal credentials ${credentials.slice(0, 6)}…${credentials.slice(-4)} do not fit this proof. (WrongWithdrawalCredentials)`,
    );
    expect(await taskError("force-exit", { operator: "0", key: "0", beacon, pool })).to.equal(
      "Key #0 of operator #0 is not among that report's exit requests. (KeyNotRequestedToExit)",
    );
    expect(await taskError("prove-slashing", { operator: "0", key: "1", beacon, pool })).to.equal(
      `The validator is not slashed (epoch ${epoch}). (NotSlashed)`,
    );
    expect(await taskError("prove-slashing", { operator: "2", key: "1", beacon, pool })).to.equal(
      "Key #1 of operator #2 was never deposited by the pool, so there is nothing to prove about it. (KeyNotDeposited)",
    );
    expect(await taskError("prove-slashing", { operator: "0", key: "1", beacon: "ftp://x", pool })).to.equal(
      '--beacon must be an http(s) URL, got "ftp://x"',
    );
    expect(await hre.ethers.provider.getTransactionCount(t.admin.address)).to.equal(nonce);
  });

  it("prove-credentials: a front-run key of the registry, frozen; nothing written off as the pool never deposited it", async function () {
    const out = await runTask("prove-credentials", { operator: "2", key: "0", beacon, pool });
    expect(out).to.match(
      new RegExp(
        `^Proven: operator 2 key 0 has foreign withdrawal credentials ${withdrawalCredentialsFor(t.users[4].address).toLowerCase()}; operator's undeposited keys frozen; nothing written off \\(never deposited by the pool\\); ${GAS}$`,
      ),
    );
    expect(await t.facts.keyFacts(2n, 0n)).to.equal(8n);
  });

  it("force-exit --governance: the admin's direct EIP-7002 request, queued for the key's pubkey", async function () {
    const out = await runTask("force-exit", { operator: "1", key: "0", governance: true, beacon, pool });
    expect(out).to.match(
      new RegExp(
        `^Forced exit: operator 1 key 0 asked to exit through EIP-7002 \\(fee 0\\.000000000000000001 ETH\\); ${GAS}$`,
      ),
    );
    const queued = decodeWithdrawalRequests(
      (await hre.network.provider.send("eth_call", [
        { from: SYSTEM_ADDRESS, to: PREDEPLOY, data: "0x" },
        "latest",
      ])) as string,
    );
    expect(queued.map((r) => r.pubkey)).to.deep.equal([(await t.registry.getSigningKey(1n, 0n)).pubkey.toLowerCase()]);
    expect(
      await taskError("force-exit", { operator: "1", key: "0", governance: true, from: "7", beacon, pool }),
    ).to.equal(`account 7 (${t.users[0].address}) is not a holder of FORCE_EXIT_ROLE`);
  });

  it("prover-watch --once: the exits (the forced one, the slashed one) proven once the validators have exited, then nothing", async function () {
    await step(); // dequeues the forced exit: the exit starts
    await step(3n * 32n); // past the exit epoch
    await step();
    const out = await runTask("prover-watch", { once: true, beacon, pool, interval: "12" });
    // The slashed key has exited too.
    expect(out).to.match(
      new RegExp(
        `^prover: slot \\d+: Proven: operator 0 key 2 exited; operator 0 has 1 proven exits; ${GAS}\n` +
          `prover: slot \\d+: Proven: operator 1 key 0 exited; operator 1 has 1 proven exits; ${GAS}$`,
      ),
    );
    expect(await runTask("prover-watch", { once: true, beacon, pool, interval: "12" })).to.equal("Nothing to prove.");
  });

  describe("from the command line (headless, CI unset)", function () {
    let configHome: string;
    let rpc: RpcServer;

    before(async function () {
      configHome = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-proof-tasks-"));
      rpc = await startRpcServer(hre, 0);
    });

    after(async function () {
      await rpc?.close();
      fs.rmSync(configHome, { recursive: true, force: true });
    });

    it("a bad operator id and a key with nothing to prove: one sentence, exit code 1, no stack trace", async function () {
      const epoch = (await anchoredState(ctx)).header.slot / 32n;
      const live = (...args: string[]) => [...args, "--beacon", beacon, "--network", "localhost", "--pool", pool];
      const cases = [
        {
          args: live("prove-slashing", "--operator", "9", "--key", "0"),
          lines: [`Error: ${await taskError("prove-slashing", { operator: "9", key: "0", beacon, pool })}`],
        },
        {
          args: live("prove-exit", "--operator", "0", "--key", "1"),
          lines: [`Error: The validator has not started to exit (epoch ${epoch}). (NotExited)`],
        },
        {
          args: live("force-exit", "--operator", "0", "--key", "x"),
          lines: ['Error: --key must be an integer of at least 0, got "x"'],
        },
      ];
      expect(cases[0].lines[0]).to.match(/OperatorNotFound/);
      const runs = await limited(
        2,
        cases.map((c) => () => runHardhat(c.args, headlessEnv(configHome, { LOCALHOST_RPC_URL: rpc.url }))),
      );
      runs.forEach((run, i) => {
        const what = `hardhat ${cases[i].args.join(" ")}\n--- stderr\n${run.stderr}\n--- stdout\n${run.stdout}`;
        expect(run.lines, what).to.deep.equal(cases[i].lines);
        expect(run.code, what).to.equal(1);
        expect(run.stderr + run.stdout, what).to.not.match(STACK_FRAME);
        expect(run.stderr + run.stdout, what).to.not.match(/HardhatError|HardhatPluginError|Error in plugin/);
      });
    });
  });
});
