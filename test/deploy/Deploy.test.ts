import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, ZeroAddress, ZeroHash, id, parseEther } from "ethers";
import { wipe } from "@nomicfoundation/ignition-core";
import { HardhatArtifactResolver, readDeploymentParameters } from "@nomicfoundation/hardhat-ignition/helpers";
import { checkDeploymentParameters, type NetworkFacts, type ParameterProblem } from "../../deploy/check";
import { attachTidepool, deployTidepool } from "../../deploy/protocol";
import { runDeployment } from "../../deploy/run";
import { deploymentBook, ignitionRecordIncomplete } from "../../sdk/src/deployments";
import { buildReport, frameTiming } from "../../sdk/src/report";
import { shortPath } from "../../tasks/cli";
import { runTask, taskError } from "../helpers/tasks";

const HOODI_FILE = path.join(__dirname, "../../deploy/parameters/hoodi.json");
const LOCALHOST_FILE = path.join(__dirname, "../../deploy/parameters/localhost.json");
const read = (file: string): Record<string, Record<string, unknown>> => JSON.parse(fs.readFileSync(file, "utf8"));
const names = (problems: ParameterProblem[]): string[] => problems.map((p) => p.parameter);

/** A fresh temporary directory, removed by `cleanup`. */
const temporary: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-deploy-test-"));
  temporary.push(dir);
  return dir;
}

/** A parameter file written to a temporary directory. */
function parameterFile(content: unknown): string {
  const file = path.join(tempDir(), "parameters.json");
  fs.writeFileSync(file, JSON.stringify(content));
  return file;
}

/** What the chain looks like, to show that a refused deployment sent nothing. */
async function chainState() {
  const [deployer] = await hre.ethers.getSigners();
  return {
    block: await hre.ethers.provider.getBlockNumber(),
    nonce: await hre.ethers.provider.getTransactionCount(deployer.address),
    balance: await hre.ethers.provider.getBalance(deployer.address),
  };
}

describe("Deployment: parameter check, paused until complete, records, handover", function () {
  after(function () {
    for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("checkDeploymentParameters on a public network (Hoodi)", function () {
    let hoodi: NetworkFacts;
    let depositContract: string;
    const members = [Wallet.createRandom().address, Wallet.createRandom().address, Wallet.createRandom().address];
    const ready = () => {
      const file = read(HOODI_FILE);
      Object.assign(file.Tidepool, {
        pauser: Wallet.createRandom().address,
        guardian: Wallet.createRandom().address,
        treasury: Wallet.createRandom().address,
        oracleMembers: members,
        oracleQuorum: 2,
        depositContract,
      });
      file.TidepoolGovernance.proposers = [Wallet.createRandom().address];
      return file;
    };

    before(async function () {
      const [deployer] = await hre.ethers.getSigners();
      depositContract = await (await hre.ethers.deployContract("DepositContract")).getAddress();
      hoodi = {
        name: "hoodi",
        chainId: 560048n,
        local: false,
        deployer: deployer.address,
        provider: hre.ethers.provider,
      };
    });

    it("names every zero address of the file as shipped, and the deposit contract missing from this chain", async function () {
      const problems = await checkDeploymentParameters(read(HOODI_FILE), "Governance", hoodi);
      expect(names(problems)).to.deep.equal([
        "Tidepool.pauser",
        "Tidepool.guardian",
        "Tidepool.treasury",
        "Tidepool.oracleMembers[0]",
        "Tidepool.depositContract",
        "TidepoolGovernance.proposers[0]",
      ]);
      expect(problems[0].sentence).to.equal("Tidepool.pauser is the zero address: set the pauser multisig's address");
      expect(problems[4].sentence).to.equal(
        'Tidepool.depositContract 0x00000000219ab540356cBB839Cbe05303d7705Fa is not a beacon deposit contract on network "hoodi" (no get_deposit_root() there)',
      );
    });

    it("passes a completed file", async function () {
      expect(await checkDeploymentParameters(ready(), "Governance", hoodi)).to.deep.equal([]);
    });

    it("checks the quorum against the members, beacon time against the chain, frames, the stake limit and the timelock's delay", async function () {
      const file = ready();
      Object.assign(file.Tidepool, {
        oracleQuorum: 1,
        genesisTime: 1606824023,
        epochsPerFrame: 10,
        reportDeadlineSlots: 321,
        maxStakeLimitWei: "10000000000000000000000001n",
      });
      file.TidepoolGovernance.minDelaySeconds = 60;
      const problems = await checkDeploymentParameters(file, "Governance", hoodi);
      expect(problems).to.deep.equal([
        {
          parameter: "Tidepool.oracleQuorum",
          sentence:
            "Tidepool.oracleQuorum 1 does not fit 3 oracle members: it must be more than half of them and at most all",
        },
        {
          parameter: "Tidepool.genesisTime",
          sentence: "Tidepool.genesisTime is 1606824023, but Hoodi's is 1742213400",
        },
        {
          parameter: "Tidepool.reportDeadlineSlots",
          sentence: "Tidepool.reportDeadlineSlots must be from 1 to one frame (320 slots), got 321",
        },
        {
          parameter: "Tidepool.maxStakeLimitWei",
          sentence:
            "Tidepool.maxStakeLimitWei must be at most 10000000000000000000000000 wei, got 10000000000000000000000001",
        },
        {
          parameter: "TidepoolGovernance.minDelaySeconds",
          sentence:
            'TidepoolGovernance.minDelaySeconds must be from 3600 to 2592000 seconds on network "hoodi", got 60',
        },
      ]);
    });

    it("refuses a misspelled parameter, a duplicate member, an admin other than the deployer and a missing proposer list", async function () {
      const file = ready();
      file.Tidepool.oracleMember = members;
      file.Tidepool.oracleMembers = [members[0], members[0], members[1]];
      file.Tidepool.admin = members[2];
      delete file.TidepoolGovernance.proposers;
      const problems = await checkDeploymentParameters(file, "Governance", hoodi);
      expect(names(problems)).to.deep.equal([
        "Tidepool.oracleMember",
        "Tidepool.admin",
        "Tidepool.oracleMembers[1]",
        "TidepoolGovernance.proposers",
      ]);
      expect(problems[0].sentence).to.equal(
        "Tidepool.oracleMember is not a parameter of the Tidepool module (misspelled?)",
      );
      expect(problems[1].sentence).to.equal(
        `Tidepool.admin ${members[2]} is not the deployer ${hoodi.deployer}, which must hold the admin role to wire the contracts (leave admin out)`,
      );
    });

    it("refuses zero seconds per slot, and a slot time other than 12 s on a known chain", async function () {
      const zero = ready();
      zero.Tidepool.secondsPerSlot = 0;
      expect(await checkDeploymentParameters(zero, "Governance", hoodi)).to.deep.equal([
        { parameter: "Tidepool.secondsPerSlot", sentence: "Tidepool.secondsPerSlot must be at least 1, got 0" },
      ]);
      const short = ready();
      short.Tidepool.secondsPerSlot = 2;
      expect(await checkDeploymentParameters(short, "Governance", hoodi)).to.deep.equal([
        { parameter: "Tidepool.secondsPerSlot", sentence: "Tidepool.secondsPerSlot is 2, but Hoodi's is 12" },
      ]);
    });

    it("requires mainnet's genesis and a delay of two days there", async function () {
      const file = ready();
      Object.assign(file.Tidepool, { genesisTime: 1606824023, electraFromSlot: 11649024 });
      file.TidepoolGovernance.minDelaySeconds = 172799;
      const problems = await checkDeploymentParameters(file, "Governance", { ...hoodi, name: "mainnet", chainId: 1n });
      expect(problems.map((p) => p.sentence)).to.deep.equal([
        'TidepoolGovernance.minDelaySeconds must be from 172800 to 2592000 seconds on network "mainnet", got 172799',
      ]);
    });
  });

  describe("the deploy-check and deploy tasks", function () {
    it("deploy-check passes the local file and sends nothing", async function () {
      const before = await chainState();
      expect(await runTask("deploy-check", {})).to.equal(
        "deploy/parameters/localhost.json is ready: npx hardhat deploy --network hardhat --module tidepool --parameters deploy/parameters/localhost.json",
      );
      expect(await chainState()).to.deep.equal(before);
    });

    it("deploy refuses a broken parameter file in one sentence naming the parameter, and changes nothing on chain", async function () {
      const file = parameterFile({ Tidepool: { pauser: ZeroAddress, oracleQuorum: 4 } });
      const before = await chainState();
      const message = await taskError("deploy", { parameters: file });
      expect(message).to.equal(
        `${shortPath(file)}: Tidepool.pauser is the zero address: set the pauser multisig's address (1 more: Tidepool.oracleQuorum)`,
      );
      expect(await chainState()).to.deep.equal(before);
    });

    it("deploy-check fails with the first problem and names the others (the command line lists them all: ErrorPath)", async function () {
      const file = parameterFile({ Tidepool: { guardian: "0x1234", epochsPerFrame: 0 }, Extra: {} });
      expect(await taskError("deploy-check", { parameters: file })).to.equal(
        `${shortPath(file)}: "Extra" is not a module of the deployment (its sections are Tidepool) (2 more: Tidepool.guardian, Tidepool.epochsPerFrame)`,
      );
    });

    it("deploy deploys an open protocol: nothing paused, the deployer's pause roles given up, the pauser's granted", async function () {
      const out = await runTask("deploy", {});
      const pool = /the pool is (0x[0-9a-fA-F]{40})$/.exec(out)?.[1];
      expect(out).to.equal(`Tidepool is deployed and open on hardhat: the pool is ${pool}`);
      const f = await attachTidepool(hre, pool!);
      expect(await f.pool.pausedCapabilities()).to.equal(0n);
      expect(await f.withdrawalQueue.withdrawalsPaused()).to.equal(false);
      for (const contract of [f.pool, f.withdrawalQueue]) {
        expect(await contract.hasRole(id("PAUSE_ROLE"), f.admin.address)).to.equal(false);
        expect(await contract.hasRole(id("PAUSE_ROLE"), f.pauser.address)).to.equal(true);
      }
      await expect(f.pool.connect(f.users[0]).stake(ZeroAddress, { value: parseEther("1") }))
        .to.emit(f.pool, "Staked")
        .withArgs(f.users[0].address, parseEther("1"), parseEther("1"), ZeroAddress);
    });

    it("grants by itself every role the oracle and the beacon facts contract act with: governance grants nothing for exits", async function () {
      const out = await runTask("deploy", {});
      const f = await attachTidepool(hre, /the pool is (0x[0-9a-fA-F]{40})$/.exec(out)![1]);
      const oracle = await f.oracle.getAddress();
      const facts = await f.facts.getAddress();
      // Exits reach the registry through reports (oracle) and proofs (facts); forced exits go through the vault.
      expect(await f.registry.hasRole(id("ACCOUNTING_ROLE"), oracle)).to.equal(true);
      expect(await f.registry.hasRole(id("ACCOUNTING_ROLE"), facts)).to.equal(true);
      expect(await f.withdrawalVault.hasRole(id("EXIT_REQUESTER_ROLE"), facts)).to.equal(true);
      // The contracts they call check these roles only.
      expect(await f.registry.hasRole(id("ACCOUNTING_ROLE"), f.admin.address)).to.equal(false);
      expect(await f.withdrawalVault.hasRole(id("EXIT_REQUESTER_ROLE"), f.admin.address)).to.equal(false);
    });
  });

  describe("a devnet deployment with short slots (secondsPerSlot = 2)", function () {
    it("builds the oracle and the beacon facts with 2-second slots: frames, deadlines and the current slot follow them", async function () {
      const genesis = BigInt(await time.latest()) + 1_000n;
      const f = await deployTidepool(hre, {
        secondsPerSlot: 2,
        genesisTime: Number(genesis),
        epochsPerFrame: 1,
        reportDeadlineSlots: 16,
      });
      expect(await f.oracle.SECONDS_PER_SLOT()).to.equal(2n);
      expect(await f.facts.SECONDS_PER_SLOT()).to.equal(2n);
      expect(await frameTiming(f.oracle)).to.deep.equal({
        genesisTime: genesis,
        secondsPerSlot: 2n,
        slotsPerFrame: 32n,
        deadlineSlots: 16n,
      });
      // Frame 1 starts at slot 32, 64 s after genesis (384 s with 12-second slots).
      await time.increaseTo(genesis + 63n);
      await expect(f.oracle.getCurrentFrame()).to.be.revertedWithCustomError(f.oracle, "NoFrameYet").withArgs(31n);
      await time.increaseTo(genesis + 64n);
      expect(await f.oracle.getCurrentFrame()).to.deep.equal([31n, 47n]);
      expect(await f.facts.currentSlot()).to.equal(32n);
      // The deadline slot 47 ends 96 s after genesis: the first report after it is refused.
      await time.setNextBlockTimestamp(genesis + 96n);
      await expect(f.oracle.connect(f.oracleMembers[0]).submitReport(buildReport(31n)))
        .to.be.revertedWithCustomError(f.oracle, "ReportDeadlinePassed")
        .withArgs(31n, 47n, 48n);
    });
  });

  describe("a deployment that stops half-way", function () {
    // The Hoodi finding: a zero pauser stops the deployment at the queue's proxy, whose initialiser
    // reverts with the queue's error; the proxy's ABI alone does not know it.
    let directory: string;
    let record: Record<string, string>;
    let sentence: string;

    before(async function () {
      directory = tempDir();
      const outcome = await runDeployment(hre, "Tidepool", { Tidepool: { pauser: ZeroAddress } }, { directory });
      expect(outcome.ok).to.equal(false);
      sentence = outcome.ok ? "" : outcome.sentence;
      record = JSON.parse(fs.readFileSync(path.join(directory, "deployed_addresses.json"), "utf8"));
    });

    it("says the revert decoded against every Tidepool ABI, in one sentence", function () {
      expect(sentence).to.equal(
        "The deployment stopped at Tidepool#WithdrawalQueueProxy: PAUSE_ROLE cannot be granted to the zero address. (RoleGrantToZeroAddress);" +
          ' fix the cause, run "npx hardhat ignition wipe chain-31337 Tidepool#WithdrawalQueueProxy", then the same deploy command again: it resumes where it stopped',
      );
    });

    it("leaves a pool that refuses a stake with StakingPaused", async function () {
      const pool = await hre.ethers.getContractAt("StakingPool", record["Tidepool#StakingPoolProxy"]);
      const [, , , , , , , user] = await hre.ethers.getSigners();
      expect(await pool.pausedCapabilities()).to.equal(7n);
      expect(await pool.WRAPPER()).to.equal(ZeroAddress); // still the bootstrap implementation
      await expect(pool.connect(user).stake(ZeroAddress, { value: parseEther("1") })).to.be.revertedWithCustomError(
        pool,
        "StakingPaused",
      );
      await expect(
        user.sendTransaction({ to: await pool.getAddress(), value: parseEther("1") }),
      ).to.be.revertedWithCustomError(pool, "StakingPaused");
    });

    it("leaves a record the tasks refuse in one sentence, and the SDK's deployment book leaves out", async function () {
      expect(ignitionRecordIncomplete(record)).to.equal(true);
      expect(deploymentBook({ "31337": record })).to.deep.equal({});
      const original = hre.config.paths.ignition;
      const ignition = tempDir();
      const file = path.join(ignition, "deployments", "chain-31337", "deployed_addresses.json");
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify(record));
      hre.config.paths.ignition = ignition;
      try {
        const refusal = `The Tidepool deployment recorded in ${shortPath(file)} is incomplete (its last step, Tidepool#LaunchedStakingPool, has not run): finish it with "npx hardhat deploy --network hardhat" (docs/deployment.md, "Resuming a deployment").`;
        expect(await taskError("status", {})).to.equal(refusal);
        expect(await taskError("stake", { amount: "1" })).to.equal(refusal);
      } finally {
        hre.config.paths.ignition = original;
      }
    });

    it("resumes as docs/deployment.md says: wipe the failed step (and the call it encoded), fix the parameter, run again; the same pool opens", async function () {
      const pauser = (await hre.ethers.getSigners())[5];
      const resolver = new HardhatArtifactResolver(hre);
      // Run again as it was: the failed step is tried again, and fails again.
      expect(await runDeployment(hre, "Tidepool", { Tidepool: { pauser: ZeroAddress } }, { directory })).to.deep.equal({
        ok: false,
        sentence,
      });
      // With the parameter fixed: the encoded initialiser call that named the old pauser must go, after the step using it.
      const encoded = "Tidepool#encodeFunctionCall(Tidepool#WithdrawalQueueImpl.initialize)";
      expect(
        await runDeployment(hre, "Tidepool", { Tidepool: { pauser: pauser.address } }, { directory }),
      ).to.deep.equal({
        ok: false,
        sentence: `The parameters no longer match ${encoded} of the recorded deployment (Argument at index 1 has been changed): if that step failed or only encoded a call, wipe it with "npx hardhat ignition wipe chain-31337 ${encoded}" (first the failed step using it, which the wipe names) and run the same deploy command again; a step that ran cannot change`,
      });
      await wipe(directory, resolver, "Tidepool#WithdrawalQueueProxy");
      await wipe(directory, resolver, encoded);
      const resumed = await runDeployment(hre, "Tidepool", { Tidepool: { pauser: pauser.address } }, { directory });
      expect(resumed.ok).to.equal(true);
      const finished = JSON.parse(fs.readFileSync(path.join(directory, "deployed_addresses.json"), "utf8"));
      expect(ignitionRecordIncomplete(finished)).to.equal(false);
      expect(finished["Tidepool#StakingPoolProxy"]).to.equal(record["Tidepool#StakingPoolProxy"]);
      const f = await attachTidepool(hre, record["Tidepool#StakingPoolProxy"]);
      expect(await f.pool.pausedCapabilities()).to.equal(0n);
      expect(await f.withdrawalQueue.withdrawalsPaused()).to.equal(false);
      expect(await f.pool.hasRole(id("PAUSE_ROLE"), pauser.address)).to.equal(true);
      expect(await f.withdrawalQueue.hasRole(id("PAUSE_ROLE"), pauser.address)).to.equal(true);
    });
  });

  describe("the governance handover rehearsed locally", function () {
    it("deploys the Governance module with deploy/parameters/localhost.json and hands every role to the timelock", async function () {
      const parameters = (await readDeploymentParameters(LOCALHOST_FILE)) as Record<string, Record<string, unknown>>;
      const outcome = await runDeployment(hre, "Governance", parameters);
      if (!outcome.ok) expect.fail(outcome.sentence);
      const timelock = await hre.ethers.getContractAt(
        "TidepoolTimelock",
        outcome.addresses["TidepoolGovernance#TidepoolTimelock"],
      );
      const [deployer] = await hre.ethers.getSigners();
      expect(await timelock.getMinDelay()).to.equal(60n);
      expect(await timelock.hasRole(id("PROPOSER_ROLE"), deployer.address)).to.equal(true);
      const f = await attachTidepool(hre, outcome.addresses["Tidepool#StakingPool"]);
      for (const contract of [
        f.pool,
        f.registry,
        f.dsm,
        f.withdrawalVault,
        f.oracle,
        f.insuranceFund,
        f.withdrawalQueue,
        f.facts,
      ]) {
        expect(await contract.hasRole(ZeroHash, await timelock.getAddress())).to.equal(true);
        expect(await contract.hasRole(ZeroHash, deployer.address)).to.equal(false);
      }
      expect(await f.pool.pausedCapabilities()).to.equal(0n);
    });

    it("deploy --module governance checks the file's TidepoolGovernance section; an unknown module is refused", async function () {
      const file = parameterFile({ Tidepool: {}, TidepoolGovernance: { proposers: [], executors: [ZeroAddress] } });
      expect(await taskError("deploy", { module: "governance", parameters: file })).to.equal(
        `${shortPath(file)}: TidepoolGovernance.proposers must be a non-empty list of addresses (the governance multisig)`,
      );
      expect(await taskError("deploy", { module: "timelock" })).to.equal(
        '--module must be tidepool or governance, got "timelock"',
      );
    });
  });
});
