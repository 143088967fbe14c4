import { expect } from "chai";
import hre, { ethers, upgrades } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, ZeroHash, getAddress, id, parseEther } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployTidepool, type TidepoolFixture, deployWithTimelock } from "../helpers/fixtures";
import {
  DEFAULT_FEES,
  SLOTS_PER_FRAME,
  advanceFrames,
  buildReport,
  deployWithValidators,
  reportHash,
  toGwei,
  type OracleFixture,
} from "../helpers/oracle-fixtures";
import type { AccountingOracle } from "../../typechain-types";

const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";
const ROLES = {
  admin: ZeroHash,
  manageMembers: id("MANAGE_MEMBERS_ROLE"),
  feeManager: id("FEE_MANAGER_ROLE"),
  sanityLimits: id("SANITY_LIMITS_ROLE"),
  resume: id("RESUME_ROLE"),
  pause: id("PAUSE_ROLE"),
};
/** The oracle roles governance holds (everything but PAUSE_ROLE). */
const GOVERNANCE_ROLES = [ROLES.admin, ROLES.manageMembers, ROLES.feeManager, ROLES.sanityLimits, ROLES.resume];
const ACCOUNTING_ROLE = id("ACCOUNTING_ROLE");
const DEFAULT_LIMITS = {
  annualAprLimitBP: 1000n,
  clBalanceDropLimitBP: 500n,
  maxPositiveRebasePPB: 750_000n,
  maxExitRequestsPerReport: 600n,
  maxOperatorsWithLossesPerReport: 50n,
};
const EPOCHS_PER_FRAME = 225n;
const DEADLINE_SLOTS = 3600n;

async function implementationOf(proxy: string): Promise<string> {
  return getAddress("0x" + (await ethers.provider.getStorage(proxy, IMPLEMENTATION_SLOT)).slice(26));
}

/** The constructor arguments of the oracle's current implementation (its immutables). */
async function oraclePeers(
  oracle: AccountingOracle,
): Promise<[string, string, string, string, string, string, string, bigint]> {
  return [
    await oracle.POOL(),
    await oracle.REGISTRY(),
    await oracle.WITHDRAWAL_VAULT(),
    await oracle.EL_REWARDS_VAULT(),
    await oracle.INSURANCE_FUND(),
    await oracle.WITHDRAWAL_QUEUE(),
    await oracle.BEACON_FACTS(),
    await oracle.SECONDS_PER_SLOT(),
  ];
}

/** Everything an upgrade must keep, read through the public interface. */
async function oracleSnapshot(oracle: AccountingOracle, accounts: string[]) {
  const [variantsRefSlot, hashes, support] = await oracle.getReportVariants();
  const roles = await Promise.all(accounts.flatMap((a) => Object.values(ROLES).map((role) => oracle.hasRole(role, a))));
  return {
    members: [...(await oracle.getMembers())],
    quorum: await oracle.quorum(),
    fees: [...(await oracle.getFeeConfig())],
    feeBP: await oracle.feeBP(),
    limits: [...(await oracle.getSanityLimits())],
    lastReport: [...(await oracle.getLastReport())],
    lastProcessedRefSlot: await oracle.getLastProcessedRefSlot(),
    frameConfig: [...(await oracle.getFrameConfig())],
    currentFrame: [...(await oracle.getCurrentFrame())],
    variants: [variantsRefSlot, [...hashes], [...support]],
    paused: await oracle.reportsPaused(),
    aprBP: await oracle.lastReportAprBP(),
    bunker: await oracle.isBunkerModeActive(),
    peers: await oraclePeers(oracle),
    roles,
  };
}

/** The initialize calldata, the default local parameters unless overridden. */
interface InitParams {
  admin: string;
  treasury: string;
  genesisTime: bigint;
  epochsPerFrame: bigint;
  deadlineSlots: bigint;
  members: string[];
  quorum: bigint;
}

function initArgs(p: InitParams) {
  return [p.admin, p.treasury, p.genesisTime, p.epochsPerFrame, p.deadlineSlots, p.members, p.quorum] as const;
}

function initCalldata(oracle: AccountingOracle, p: InitParams): string {
  return oracle.interface.encodeFunctionData("initialize", [...initArgs(p)]);
}

function defaultInit(f: TidepoolFixture): InitParams {
  return {
    admin: f.admin.address,
    treasury: f.treasury.address,
    genesisTime: 0n,
    epochsPerFrame: EPOCHS_PER_FRAME,
    deadlineSlots: DEADLINE_SLOTS,
    members: f.oracleMembers.map((m) => m.address),
    quorum: 2n,
  };
}

/** Deploys an ERC1967Proxy in front of the deployed oracle implementation with `p`. */
async function deployOracleProxy(f: TidepoolFixture, p: InitParams) {
  const impl = await implementationOf(await f.oracle.getAddress());
  return (await ethers.getContractFactory("ERC1967Proxy")).connect(f.admin).deploy(impl, initCalldata(f.oracle, p));
}

/** The current frame's reference slot at unix time `timestamp` (genesis 0, 7200-slot frames). */
function refSlotAt(timestamp: bigint): bigint {
  return (timestamp / 12n / SLOTS_PER_FRAME) * SLOTS_PER_FRAME - 1n;
}

describe("AccountingOracle: deployment, governance and upgrades", function () {
  describe("Ignition defaults", function () {
    it("has accounts 1–3 as members with quorum 2 and the frame configuration (0, 225, 3600)", async function () {
      const { oracle, oracleMembers } = await loadFixture(deployTidepool);
      expect([...(await oracle.getMembers())]).to.deep.equal(oracleMembers.map((m) => m.address));
      expect(await oracle.quorum()).to.equal(2n);
      for (const m of oracleMembers) expect(await oracle.isMember(m.address)).to.equal(true);
      expect([...(await oracle.getFrameConfig())]).to.deep.equal([0n, EPOCHS_PER_FRAME, DEADLINE_SLOTS]);
    });

    it("has treasury = account 6, fees 500/400/100 (feeBP 1000) and the default sanity limits", async function () {
      const { oracle, treasury } = await loadFixture(deployTidepool);
      const fees = await oracle.getFeeConfig();
      expect(fees.treasury).to.equal(treasury.address);
      expect([fees.treasuryFeeBP, fees.operatorsFeeBP, fees.insuranceFeeBP]).to.deep.equal([
        DEFAULT_FEES.treasuryFeeBP,
        DEFAULT_FEES.operatorsFeeBP,
        DEFAULT_FEES.insuranceFeeBP,
      ]);
      expect(await oracle.feeBP()).to.equal(1000n);
      const limits = await oracle.getSanityLimits();
      expect({
        annualAprLimitBP: limits.annualAprLimitBP,
        clBalanceDropLimitBP: limits.clBalanceDropLimitBP,
        maxPositiveRebasePPB: limits.maxPositiveRebasePPB,
        maxExitRequestsPerReport: limits.maxExitRequestsPerReport,
        maxOperatorsWithLossesPerReport: limits.maxOperatorsWithLossesPerReport,
      }).to.deep.equal(DEFAULT_LIMITS);
      expect(await oracle.reportsPaused()).to.equal(false);
      expect(await oracle.isBunkerModeActive()).to.equal(false);
      expect(await oracle.lastReportAprBP()).to.equal(0n);
    });

    it("starts with no processed frame and a last-report refSlot of the deployment's frame", async function () {
      const { oracle } = await loadFixture(deployTidepool);
      const [init] = await oracle.queryFilter(oracle.filters.Initialized());
      const block = await ethers.provider.getBlock(init.blockNumber);
      if (block === null) throw new Error("no block");
      expect(await oracle.getLastProcessedRefSlot()).to.equal(0n);
      const last = await oracle.getLastReport();
      expect({
        preTotalEther: last.preTotalEther,
        postTotalEther: last.postTotalEther,
        refSlot: last.refSlot,
        preTotalShares: last.preTotalShares,
        postTotalShares: last.postTotalShares,
        timeElapsedSeconds: last.timeElapsedSeconds,
        bunkerMode: last.bunkerMode,
      }).to.deep.equal({
        preTotalEther: 0n,
        postTotalEther: 0n,
        refSlot: refSlotAt(BigInt(block.timestamp)),
        preTotalShares: 0n,
        postTotalShares: 0n,
        timeElapsedSeconds: 0n,
        bunkerMode: false,
      });
    });

    it("gives the admin every governance role, the pauser only PAUSE_ROLE, and members none", async function () {
      const { oracle, admin, pauser, oracleMembers, treasury, guardian, users } = await loadFixture(deployTidepool);
      expect(await oracle.DEFAULT_ADMIN_ROLE()).to.equal(ROLES.admin);
      expect(await oracle.MANAGE_MEMBERS_ROLE()).to.equal(ROLES.manageMembers);
      expect(await oracle.FEE_MANAGER_ROLE()).to.equal(ROLES.feeManager);
      expect(await oracle.SANITY_LIMITS_ROLE()).to.equal(ROLES.sanityLimits);
      expect(await oracle.RESUME_ROLE()).to.equal(ROLES.resume);
      expect(await oracle.PAUSE_ROLE()).to.equal(ROLES.pause);
      for (const role of GOVERNANCE_ROLES) {
        expect(await oracle.hasRole(role, admin.address)).to.equal(true);
        expect(await oracle.hasRole(role, pauser.address)).to.equal(false);
      }
      expect(await oracle.hasRole(ROLES.pause, pauser.address)).to.equal(true);
      expect(await oracle.hasRole(ROLES.pause, admin.address)).to.equal(false);
      for (const account of [...oracleMembers, treasury, guardian, users[0]]) {
        for (const role of Object.values(ROLES)) expect(await oracle.hasRole(role, account.address)).to.equal(false);
      }
    });

    it("wires the oracle, registry, pool and insurance fund to each other", async function () {
      const f = await loadFixture(deployTidepool);
      const oracleAddress = await f.oracle.getAddress();
      const fundAddress = await f.insuranceFund.getAddress();
      const registryAddress = await f.registry.getAddress();
      expect(await f.registry.ACCOUNTING_ROLE()).to.equal(ACCOUNTING_ROLE);
      expect(await f.registry.hasRole(ACCOUNTING_ROLE, oracleAddress)).to.equal(true);
      expect(await f.registry.hasRole(ACCOUNTING_ROLE, f.admin.address)).to.equal(false);
      expect(await f.registry.hasRole(ACCOUNTING_ROLE, await implementationOf(oracleAddress))).to.equal(false);
      expect(await f.pool.ORACLE()).to.equal(oracleAddress);
      expect(await f.pool.INSURANCE_FUND()).to.equal(fundAddress);
      expect(await oraclePeers(f.oracle)).to.deep.equal([
        f.poolAddress,
        registryAddress,
        await f.withdrawalVault.getAddress(),
        await f.elRewardsVault.getAddress(),
        fundAddress,
        await f.withdrawalQueue.getAddress(),
        await f.facts.getAddress(),
        12n, // SECONDS_PER_SLOT: the Ignition default
      ]);
      expect(await f.insuranceFund.POOL()).to.equal(f.poolAddress);
      expect(await f.insuranceFund.hasRole(ROLES.admin, f.admin.address)).to.equal(true);
      expect(await f.insuranceFund.hasRole(ROLES.admin, f.pauser.address)).to.equal(false);
      expect([...(await f.insuranceFund.balance())]).to.deep.equal([0n, 0n]);
    });
  });

  describe("initialisation", function () {
    it("cannot initialise the implementation behind the proxy (InvalidInitialization)", async function () {
      const f = await loadFixture(deployTidepool);
      const oracleAddress = await f.oracle.getAddress();
      const implAddress = await implementationOf(oracleAddress);
      expect(implAddress).to.not.equal(oracleAddress);
      const impl = await ethers.getContractAt("AccountingOracle", implAddress);
      expect(await impl.POOL()).to.equal(f.poolAddress);
      expect([...(await impl.getMembers())]).to.deep.equal([]);
      const stranger = f.users[0];
      const params = { ...defaultInit(f), admin: stranger.address, members: [stranger.address], quorum: 1n };
      await expect(impl.connect(stranger).initialize(...initArgs(params))).to.be.revertedWithCustomError(
        impl,
        "InvalidInitialization",
      );
      expect(await impl.hasRole(ROLES.admin, stranger.address)).to.equal(false);
      expect([...(await impl.getMembers())]).to.deep.equal([]);
    });

    it("cannot initialise the proxy a second time (InvalidInitialization), by the admin or anyone", async function () {
      const f = await loadFixture(deployTidepool);
      const before = await oracleSnapshot(f.oracle, [f.admin.address, f.users[0].address]);
      for (const caller of [f.admin, f.users[0]]) {
        const params = { ...defaultInit(f), admin: caller.address, members: [caller.address], quorum: 1n };
        await expect(f.oracle.connect(caller).initialize(...initArgs(params))).to.be.revertedWithCustomError(
          f.oracle,
          "InvalidInitialization",
        );
      }
      expect(await oracleSnapshot(f.oracle, [f.admin.address, f.users[0].address])).to.deep.equal(before);
    });

    it("initialises a fresh proxy with the given admin, treasury and committee, and the default fees and limits", async function () {
      const f = await loadFixture(deployTidepool);
      const [admin, treasury, ...rest] = f.users;
      const members = rest.slice(0, 5).map((m) => m.address);
      const proxy = await deployOracleProxy(f, {
        ...defaultInit(f),
        admin: admin.address,
        treasury: treasury.address,
        members,
        quorum: 3n,
      });
      const fresh = await ethers.getContractAt("AccountingOracle", await proxy.getAddress());
      const deployment = proxy.deploymentTransaction();
      if (deployment === null) throw new Error("no deployment transaction");
      await expect(deployment)
        .to.emit(fresh, "MemberAdded")
        .withArgs(members[4], 5n, 5n)
        .and.to.emit(fresh, "QuorumSet")
        .withArgs(3n)
        .and.to.emit(fresh, "TreasurySet")
        .withArgs(treasury.address)
        .and.to.emit(fresh, "FeesSet")
        .withArgs(500n, 400n, 100n)
        .and.to.emit(fresh, "FrameConfigSet")
        .withArgs(EPOCHS_PER_FRAME, DEADLINE_SLOTS);
      expect([...(await fresh.getMembers())]).to.deep.equal(members);
      expect(await fresh.quorum()).to.equal(3n);
      expect((await fresh.getFeeConfig()).treasury).to.equal(treasury.address);
      expect(await fresh.feeBP()).to.equal(1000n);
      for (const role of GOVERNANCE_ROLES) {
        expect(await fresh.hasRole(role, admin.address)).to.equal(true);
        expect(await fresh.hasRole(role, f.admin.address)).to.equal(false);
      }
      expect(await fresh.hasRole(ROLES.pause, admin.address)).to.equal(false);
      const receipt = await deployment.wait();
      if (receipt === null) throw new Error("no receipt");
      const block = await ethers.provider.getBlock(receipt.blockNumber);
      if (block === null) throw new Error("no block");
      expect((await fresh.getLastReport()).refSlot).to.equal(refSlotAt(BigInt(block.timestamp)));
      expect(await fresh.POOL()).to.equal(f.poolAddress);
    });

    it('refuses a zero admin with ZeroAddress("admin")', async function () {
      const f = await loadFixture(deployTidepool);
      await expect(deployOracleProxy(f, { ...defaultInit(f), admin: ZeroAddress }))
        .to.be.revertedWithCustomError(f.oracle, "ZeroAddress")
        .withArgs("admin");
    });

    it('refuses a zero treasury with ZeroAddress("treasury")', async function () {
      const f = await loadFixture(deployTidepool);
      await expect(deployOracleProxy(f, { ...defaultInit(f), treasury: ZeroAddress }))
        .to.be.revertedWithCustomError(f.oracle, "ZeroAddress")
        .withArgs("treasury");
    });

    it("refuses a quorum that is not above half the members with InvalidQuorum(quorum, members)", async function () {
      const f = await loadFixture(deployTidepool);
      const accounts = f.users.slice(0, 4).map((u) => u.address);
      // Half of four or two members is not a majority.
      await expect(deployOracleProxy(f, { ...defaultInit(f), members: accounts, quorum: 2n }))
        .to.be.revertedWithCustomError(f.oracle, "InvalidQuorum")
        .withArgs(2n, 4n);
      await expect(deployOracleProxy(f, { ...defaultInit(f), members: accounts.slice(0, 2), quorum: 1n }))
        .to.be.revertedWithCustomError(f.oracle, "InvalidQuorum")
        .withArgs(1n, 2n);
      // The quorum is checked once, against the whole committee.
      await expect(deployOracleProxy(f, { ...defaultInit(f), members: accounts.slice(0, 3), quorum: 1n }))
        .to.be.revertedWithCustomError(f.oracle, "InvalidQuorum")
        .withArgs(1n, 3n);
      await expect(deployOracleProxy(f, { ...defaultInit(f), members: accounts.slice(0, 3), quorum: 0n }))
        .to.be.revertedWithCustomError(f.oracle, "InvalidQuorum")
        .withArgs(0n, 3n);
      // A quorum above the committee is refused instead of silently lowered.
      await expect(deployOracleProxy(f, { ...defaultInit(f), members: accounts.slice(0, 3), quorum: 4n }))
        .to.be.revertedWithCustomError(f.oracle, "InvalidQuorum")
        .withArgs(4n, 3n);
      // No members: no quorum is valid.
      await expect(deployOracleProxy(f, { ...defaultInit(f), members: [], quorum: 0n }))
        .to.be.revertedWithCustomError(f.oracle, "InvalidQuorum")
        .withArgs(0n, 0n);
    });

    it("refuses a zero or duplicate member and an invalid frame configuration", async function () {
      const f = await loadFixture(deployTidepool);
      const [a, b] = f.users.map((u) => u.address);
      await expect(deployOracleProxy(f, { ...defaultInit(f), members: [a, ZeroAddress, b] }))
        .to.be.revertedWithCustomError(f.oracle, "CommitteeZeroAddress")
        .withArgs("member");
      await expect(deployOracleProxy(f, { ...defaultInit(f), members: [a, b, a] }))
        .to.be.revertedWithCustomError(f.oracle, "DuplicateMember")
        .withArgs(a);
      await expect(deployOracleProxy(f, { ...defaultInit(f), epochsPerFrame: 0n }))
        .to.be.revertedWithCustomError(f.oracle, "InvalidFrameConfig")
        .withArgs(0n, DEADLINE_SLOTS);
      await expect(deployOracleProxy(f, { ...defaultInit(f), deadlineSlots: SLOTS_PER_FRAME + 1n }))
        .to.be.revertedWithCustomError(f.oracle, "InvalidFrameConfig")
        .withArgs(EPOCHS_PER_FRAME, SLOTS_PER_FRAME + 1n);
    });
  });

  describe("upgrades", function () {
    const NEW_FEES = { treasuryFeeBP: 600n, operatorsFeeBP: 300n, insuranceFeeBP: 50n };
    const NEW_LIMITS = {
      annualAprLimitBP: 900n,
      clBalanceDropLimitBP: 400n,
      maxPositiveRebasePPB: 800_000n,
      maxExitRequestsPerReport: 500n,
      maxOperatorsWithLossesPerReport: 40n,
    };

    /**
     * A report with rewards applied, fees and limits changed, a fourth member (quorum 3) and, in the
     * next frame, one vote cast for the next report.
     */
    async function withHistory() {
      const f = await loadFixture(deployWithValidators);
      await f.report({ numValidators: 3n, clBalanceGwei: toGwei(parseEther("96.01")) });
      const extra = f.users[2];
      await (await f.oracle.connect(f.admin).setFees(600n, 300n, 50n)).wait();
      await (await f.oracle.connect(f.admin).setSanityLimits(NEW_LIMITS)).wait();
      await (await f.oracle.connect(f.admin).addMember(extra.address, 3n)).wait();
      const refSlot = await advanceFrames(hre.network.provider, f.oracle);
      const next = buildReport(refSlot, { numValidators: 3n, clBalanceGwei: toGwei(parseEther("96.02")) });
      await (await f.oracle.connect(f.oracleMembers[0]).submitReport(next)).wait();
      const accounts = [f.admin, f.pauser, f.treasury, ...f.oracleMembers, extra].map((s) => s.address);
      return { ...f, extra, refSlot, next, accounts };
    }

    async function deployNewImplementation(f: OracleFixture) {
      const factory = await ethers.getContractFactory("AccountingOracle");
      const impl = await factory.deploy(...(await oraclePeers(f.oracle)));
      await impl.waitForDeployment();
      return impl;
    }

    it("passes OpenZeppelin's UUPS validation for the implementation and an upgrade to the same code", async function () {
      const f = await loadFixture(deployTidepool);
      const factory = await ethers.getContractFactory("AccountingOracle");
      const opts = { kind: "uups" as const, constructorArgs: await oraclePeers(f.oracle) };
      await upgrades.validateImplementation(factory, opts);
      await upgrades.validateUpgrade(factory, factory, opts);
    });

    it("refuses upgradeToAndCall from anyone without DEFAULT_ADMIN_ROLE, even holding every other oracle role", async function () {
      const f = await loadFixture(withHistory);
      const oracleAddress = await f.oracle.getAddress();
      const implBefore = await implementationOf(oracleAddress);
      const impl = await deployNewImplementation(f);
      const [holder] = f.users;
      for (const role of [ROLES.manageMembers, ROLES.feeManager, ROLES.sanityLimits, ROLES.resume, ROLES.pause]) {
        await (await f.oracle.connect(f.admin).grantRole(role, holder.address)).wait();
      }
      const before = await oracleSnapshot(f.oracle, f.accounts);
      for (const caller of [holder, f.pauser, f.oracleMembers[0], f.treasury]) {
        await expect(f.oracle.connect(caller).upgradeToAndCall(await impl.getAddress(), "0x"))
          .to.be.revertedWithCustomError(f.oracle, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, ROLES.admin);
      }
      expect(await implementationOf(oracleAddress)).to.equal(implBefore);
      expect(await oracleSnapshot(f.oracle, f.accounts)).to.deep.equal(before);
    });

    it("refuses an upgrade to a contract that is not a UUPS implementation, and upgradeToAndCall on the implementation itself", async function () {
      const f = await loadFixture(deployTidepool);
      const oracleAddress = await f.oracle.getAddress();
      const implAddress = await implementationOf(oracleAddress);
      const fundAddress = await f.insuranceFund.getAddress();
      await expect(f.oracle.connect(f.admin).upgradeToAndCall(fundAddress, "0x"))
        .to.be.revertedWithCustomError(f.oracle, "ERC1967InvalidImplementation")
        .withArgs(fundAddress);
      const impl = await ethers.getContractAt("AccountingOracle", implAddress);
      await expect(impl.connect(f.admin).upgradeToAndCall(implAddress, "0x")).to.be.revertedWithCustomError(
        impl,
        "UUPSUnauthorizedCallContext",
      );
      expect(await implementationOf(oracleAddress)).to.equal(implAddress);
    });

    it("keeps members, quorum, fees, limits, the last report, lastProcessedRefSlot and votes in progress across an upgrade", async function () {
      const f = await loadFixture(withHistory);
      const oracleAddress = await f.oracle.getAddress();
      const before = await oracleSnapshot(f.oracle, f.accounts);
      // The history is really there.
      expect(before.members).to.deep.equal([...f.oracleMembers, f.extra].map((m) => m.address));
      expect(before.quorum).to.equal(3n);
      const fees = await f.oracle.getFeeConfig();
      expect([fees.treasury, fees.treasuryFeeBP, fees.operatorsFeeBP, fees.insuranceFeeBP]).to.deep.equal([
        f.treasury.address,
        ...Object.values(NEW_FEES),
      ]);
      expect(await f.oracle.feeBP()).to.equal(950n);
      const limits = await f.oracle.getSanityLimits();
      expect([
        limits.annualAprLimitBP,
        limits.clBalanceDropLimitBP,
        limits.maxPositiveRebasePPB,
        limits.maxExitRequestsPerReport,
        limits.maxOperatorsWithLossesPerReport,
      ]).to.deep.equal(Object.values(NEW_LIMITS));
      expect(before.lastProcessedRefSlot).to.equal(f.refSlot - SLOTS_PER_FRAME);
      const last = await f.oracle.getLastReport();
      expect(last.refSlot).to.equal(f.refSlot - SLOTS_PER_FRAME);
      expect(last.postTotalEther - last.preTotalEther).to.equal(parseEther("0.01"));
      expect(before.variants).to.deep.equal([f.refSlot, [reportHash(f.next)], [1n]]);

      const impl = await deployNewImplementation(f);
      const implAddress = await impl.getAddress();
      expect(implAddress).to.not.equal(await implementationOf(oracleAddress));
      await expect(f.oracle.connect(f.admin).upgradeToAndCall(implAddress, "0x"))
        .to.emit(f.oracle, "Upgraded")
        .withArgs(implAddress);
      expect(await implementationOf(oracleAddress)).to.equal(implAddress);
      expect(await oracleSnapshot(f.oracle, f.accounts)).to.deep.equal(before);

      // The vote cast before the upgrade still counts: two more reach the quorum of 3, with the new fees.
      await (await f.oracle.connect(f.oracleMembers[1]).submitReport(f.next)).wait();
      const [preEther, preShares] = [await f.pool.totalPooledEther(), await f.pool.totalShares()];
      const fundAddress = await f.insuranceFund.getAddress();
      const [treasuryBefore, fundBefore] = [
        await f.pool.sharesOf(f.treasury.address),
        await f.pool.sharesOf(fundAddress),
      ];
      const rewards = parseEther("0.01");
      const parts = Object.values(NEW_FEES).map((bp) => (rewards * bp) / 10_000n);
      const fee = parts.reduce((a, b) => a + b, 0n);
      const minted = parts.map((part) => (part * preShares) / (preEther + rewards - fee));
      const mintedTotal = minted.reduce((a, b) => a + b, 0n);
      await expect(f.oracle.connect(f.extra).submitReport(f.next))
        .to.emit(f.oracle, "ConsensusReached")
        .withArgs(f.refSlot, reportHash(f.next), 3n)
        .and.to.emit(f.oracle, "ReportApplied")
        .withArgs(f.refSlot, preEther, preEther + rewards, preShares, preShares + mintedTotal, mintedTotal);
      expect(await f.oracle.getLastProcessedRefSlot()).to.equal(f.refSlot);
      expect(await f.pool.totalPooledEther()).to.equal(preEther + rewards);
      expect(await f.pool.sharesOf(f.treasury.address)).to.equal(treasuryBefore + minted[0]);
      expect(await f.pool.sharesOf(fundAddress)).to.equal(fundBefore + minted[2]);
    });
  });

  describe("InsuranceFund", function () {
    /** deployWithValidators plus a report with 0.01 ETH of rewards: the fund holds its 1% fee. */
    async function withFundShares() {
      const f = await loadFixture(deployWithValidators);
      await f.report({ numValidators: 3n, clBalanceGwei: toGwei(parseEther("96.01")) });
      const fundAddress = await f.insuranceFund.getAddress();
      return { ...f, fundAddress };
    }

    async function fundState(f: OracleFixture & { fundAddress: string }, recipient: HardhatEthersSigner) {
      return {
        fund: await f.pool.sharesOf(f.fundAddress),
        recipient: await f.pool.sharesOf(recipient.address),
        totalShares: await f.pool.totalShares(),
        totalPooledEther: await f.pool.totalPooledEther(),
      };
    }

    it("balance() returns the fund's shares and their value at the current rate", async function () {
      const f = await loadFixture(withFundShares);
      const shares = await f.pool.sharesOf(f.fundAddress);
      expect(shares).to.be.greaterThan(0n);
      const value = (shares * (await f.pool.totalPooledEther())) / (await f.pool.totalShares());
      expect([...(await f.insuranceFund.balance())]).to.deep.equal([shares, value]);
      // Worth the 1% insurance fee on 0.01 ETH of rewards, rounded down.
      expect(value).to.be.closeTo(parseEther("0.0001"), 1n);
      expect(value).to.be.at.most(parseEther("0.0001"));
    });

    it("pays shares out when governance asks: PaidOut(recipient, shares, amount) and the shares move", async function () {
      const f = await loadFixture(withFundShares);
      const recipient = f.users[3];
      const before = await fundState(f, recipient);
      const shares = before.fund / 3n;
      const amount = (shares * before.totalPooledEther) / before.totalShares;
      await expect(f.insuranceFund.connect(f.admin).payOut(recipient.address, shares))
        .to.emit(f.insuranceFund, "PaidOut")
        .withArgs(recipient.address, shares, amount)
        .and.to.emit(f.pool, "TransferShares")
        .withArgs(f.fundAddress, recipient.address, shares)
        .and.to.emit(f.pool, "Transfer")
        .withArgs(f.fundAddress, recipient.address, amount);
      expect(await fundState(f, recipient)).to.deep.equal({
        ...before,
        fund: before.fund - shares,
        recipient: before.recipient + shares,
      });
      const left = before.fund - shares;
      expect([...(await f.insuranceFund.balance())]).to.deep.equal([
        left,
        (left * before.totalPooledEther) / before.totalShares,
      ]);

      // And the rest of it, emptying the fund.
      await expect(f.insuranceFund.connect(f.admin).payOut(recipient.address, left))
        .to.emit(f.insuranceFund, "PaidOut")
        .withArgs(recipient.address, left, (left * before.totalPooledEther) / before.totalShares);
      expect([...(await f.insuranceFund.balance())]).to.deep.equal([0n, 0n]);
      expect(await f.pool.sharesOf(recipient.address)).to.equal(before.recipient + before.fund);
    });

    it("refuses a pay-out from anyone but governance with AccessControlUnauthorizedAccount", async function () {
      const f = await loadFixture(withFundShares);
      const recipient = f.users[3];
      const before = await fundState(f, recipient);
      for (const caller of [f.pauser, f.treasury, f.oracleMembers[0], recipient]) {
        await expect(f.insuranceFund.connect(caller).payOut(recipient.address, 1n))
          .to.be.revertedWithCustomError(f.insuranceFund, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, ROLES.admin);
      }
      expect(await fundState(f, recipient)).to.deep.equal(before);
    });

    it('refuses a pay-out to zero (ZeroAddress("recipient")), of zero shares (ZeroPayOut) and beyond the fund (InsufficientShares)', async function () {
      const f = await loadFixture(withFundShares);
      const recipient = f.users[3];
      const before = await fundState(f, recipient);
      await expect(f.insuranceFund.connect(f.admin).payOut(ZeroAddress, 1n))
        .to.be.revertedWithCustomError(f.insuranceFund, "ZeroAddress")
        .withArgs("recipient");
      await expect(f.insuranceFund.connect(f.admin).payOut(recipient.address, 0n)).to.be.revertedWithCustomError(
        f.insuranceFund,
        "ZeroPayOut",
      );
      await expect(f.insuranceFund.connect(f.admin).payOut(recipient.address, before.fund + 1n))
        .to.be.revertedWithCustomError(f.pool, "InsufficientShares")
        .withArgs(f.fundAddress, before.fund, before.fund + 1n);
      expect(await fundState(f, recipient)).to.deep.equal(before);
    });

    it("refuses a zero pool or a zero admin at construction with ZeroAddress", async function () {
      const f = await loadFixture(deployTidepool);
      const factory = await ethers.getContractFactory("InsuranceFund");
      await expect(factory.deploy(ZeroAddress, f.admin.address))
        .to.be.revertedWithCustomError(f.insuranceFund, "ZeroAddress")
        .withArgs("pool");
      await expect(factory.deploy(f.poolAddress, ZeroAddress))
        .to.be.revertedWithCustomError(f.insuranceFund, "ZeroAddress")
        .withArgs("admin");
    });
  });

  describe("timelock handover (public networks)", function () {
    it("gives the oracle's governance roles and the insurance fund's admin role to the timelock and none to the deployer", async function () {
      const { oracle, insuranceFund, timelock, deployer, pauser, oracleMembers } =
        await loadFixture(deployWithTimelock);
      const tl = await timelock.getAddress();
      for (const role of GOVERNANCE_ROLES) {
        expect(await oracle.hasRole(role, tl)).to.equal(true);
        expect(await oracle.hasRole(role, deployer.address)).to.equal(false);
      }
      expect(await oracle.hasRole(ROLES.pause, pauser.address)).to.equal(true);
      expect(await oracle.hasRole(ROLES.pause, tl)).to.equal(false);
      expect(await insuranceFund.hasRole(ROLES.admin, tl)).to.equal(true);
      expect(await insuranceFund.hasRole(ROLES.admin, deployer.address)).to.equal(false);
      // The committee itself is untouched.
      expect([...(await oracle.getMembers())]).to.deep.equal(oracleMembers.map((m) => m.address));
      expect(await oracle.quorum()).to.equal(2n);
    });

    it("leaves the deployer unable to change fees, members or the fund, or to upgrade the oracle", async function () {
      const { oracle, insuranceFund, deployer, users } = await loadFixture(deployWithTimelock);
      await expect(oracle.connect(deployer).setFees(0n, 0n, 0n))
        .to.be.revertedWithCustomError(oracle, "AccessControlUnauthorizedAccount")
        .withArgs(deployer.address, ROLES.feeManager);
      await expect(oracle.connect(deployer).addMember(users[0].address, 3n))
        .to.be.revertedWithCustomError(oracle, "AccessControlUnauthorizedAccount")
        .withArgs(deployer.address, ROLES.manageMembers);
      await expect(oracle.connect(deployer).upgradeToAndCall(await oracle.getAddress(), "0x"))
        .to.be.revertedWithCustomError(oracle, "AccessControlUnauthorizedAccount")
        .withArgs(deployer.address, ROLES.admin);
      await expect(insuranceFund.connect(deployer).payOut(deployer.address, 1n))
        .to.be.revertedWithCustomError(insuranceFund, "AccessControlUnauthorizedAccount")
        .withArgs(deployer.address, ROLES.admin);
      expect(await oracle.feeBP()).to.equal(1000n);
      expect(await oracle.isMember(users[0].address)).to.equal(false);
    });
  });
});
