import { expect } from "chai";
import hre, { ethers } from "hardhat";
import {
  impersonateAccount,
  loadFixture,
  mine,
  setBalance,
  stopImpersonatingAccount,
  time,
} from "@nomicfoundation/hardhat-network-helpers";
import {
  MaxUint256,
  Signature,
  TypedDataEncoder,
  ZeroAddress,
  ZeroHash,
  concat,
  dataLength,
  dataSlice,
  getAddress,
  id,
  parseEther,
  toBeHex,
  type ContractTransactionResponse,
} from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployTidepool, deployTidepoolUnlimited, type TidepoolFixture } from "../helpers/fixtures";
import { PERMIT_BYTES, PERMIT_VRS, permitDomain, signMultisigPermit, signPermit } from "../helpers/permit";
import { getPoolTotals, rebasePool, setPoolTotals } from "../helpers/pool-storage";
import { deployPoolLibraries } from "../../deploy/protocol";
import { IAccessControl__factory, type StakingPool } from "../../typechain-types";

// ──────────────────────────────── Independent reference math ────────────────────────────────

/** floor(x × y / d) */
function mulDivDown(x: bigint, y: bigint, d: bigint): bigint {
  return (x * y) / d;
}

/** ceil(x × y / d) */
function mulDivUp(x: bigint, y: bigint, d: bigint): bigint {
  const product = x * y;
  return product / d + (product % d === 0n ? 0n : 1n);
}

// ──────────────────────────────── Constants of the deployment ────────────────────────────────

const BOOTSTRAP_DEPOSIT = parseEther("0.001");
const DEAD = "0x000000000000000000000000000000000000dEaD";
const DEFAULT_MAX_STAKE_LIMIT = parseEther("150000");
const DEFAULT_GROWTH_BLOCKS = 6400n;
const DEFAULT_INCREASE_PER_BLOCK = DEFAULT_MAX_STAKE_LIMIT / DEFAULT_GROWTH_BLOCKS;
const MAX_STAKE_LIMIT_CAP = parseEther("10000000");
const CAPABILITY_STAKING = 1n;
/** keccak256("eip1967.proxy.implementation") - 1 = 0x360894a1…3ca505d382bbc (EIP-1967). */
const ERC1967_IMPLEMENTATION_SLOT = toBeHex(BigInt(id("eip1967.proxy.implementation")) - 1n, 32);
const PAUSE_ROLE = id("PAUSE_ROLE");
const RESUME_ROLE = id("RESUME_ROLE");
const STAKE_LIMIT_ROLE = id("STAKE_LIMIT_ROLE");
const TWO_POW_255 = 1n << 255n;
const TWO_POW_24 = 1n << 24n;

const ALICE_STAKE = parseEther("10");
const BOB_STAKE = parseEther("3");

// ──────────────────────────────── Fixtures ────────────────────────────────

interface StakedFixture extends TidepoolFixture {
  alice: HardhatEthersSigner; // staked ALICE_STAKE
  bob: HardhatEthersSigner; // staked BOB_STAKE
  carol: HardhatEthersSigner; // holds nothing
  dave: HardhatEthersSigner; // holds nothing; used as spender
}

/** The default deployment (stake limit on) with two stakers, still at the 1:1 share rate. */
async function stakedFixture(): Promise<StakedFixture> {
  const f = await loadFixture(deployTidepool);
  const [alice, bob, carol, dave] = f.users;
  await f.pool.connect(alice).stake(ZeroAddress, { value: ALICE_STAKE });
  await f.pool.connect(bob).stake(ZeroAddress, { value: BOB_STAKE });
  return { ...f, alice, bob, carol, dave };
}

/** As {stakedFixture}, then a simulated rebase to 3 ETH per 2 shares (totalShares is even). */
async function stakedAt3To2Fixture(): Promise<StakedFixture> {
  const f = await loadFixture(stakedFixture);
  const shares = await f.pool.totalShares();
  await setPoolTotals(f.poolAddress, shares, (shares * 3n) / 2n);
  return f;
}

/** As {stakedFixture}, then a simulated rebase to an awkward rate slightly above 1. */
async function stakedAtOddRateFixture(): Promise<StakedFixture> {
  const f = await loadFixture(stakedFixture);
  await rebasePool(f.pool, ((await f.pool.totalShares()) * 1_000_000_007n) / 999_999_937n);
  return f;
}

/** As {stakedFixture}, then a simulated loss: the rate falls to 0.999 ETH per share. */
async function stakedAfterLossFixture(): Promise<StakedFixture> {
  const f = await loadFixture(stakedFixture);
  await rebasePool(f.pool, ((await f.pool.totalShares()) * 999n) / 1000n);
  return f;
}

/** As {stakedFixture}, then a simulated rebase to 2 ETH per share: 1 wei is worth half a share. */
async function stakedAt2To1Fixture(): Promise<StakedFixture> {
  const f = await loadFixture(stakedFixture);
  await rebasePool(f.pool, (await f.pool.totalShares()) * 2n);
  return f;
}

const RATES: { label: string; fixture: () => Promise<StakedFixture> }[] = [
  { label: "the initial 1:1 rate", fixture: stakedFixture },
  { label: "a rate of 3 ETH per 2 shares", fixture: stakedAt3To2Fixture },
  { label: "an awkward rate just above 1", fixture: stakedAtOddRateFixture },
  { label: "a rate below 1 after a loss", fixture: stakedAfterLossFixture },
];

/** Amounts (of ETH or shares) that exercise rounding at the rates above. */
const SAMPLES: bigint[] = [
  0n,
  1n,
  2n,
  3n,
  5n,
  7n,
  999n,
  1000n,
  parseEther("1"),
  parseEther("1") + 1n,
  123_456_789_012_345_678n,
  parseEther("2.5") - 1n,
];

// ──────────────────────────────── Helpers ────────────────────────────────

async function rate(pool: StakingPool): Promise<{ shares: bigint; ether: bigint }> {
  return { shares: await pool.totalShares(), ether: await pool.totalPooledEther() };
}

async function blockOf(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("no receipt");
  return BigInt(receipt.blockNumber);
}

async function latestBlock(): Promise<bigint> {
  return BigInt(await ethers.provider.getBlockNumber());
}

async function deadlineIn(seconds: bigint): Promise<bigint> {
  return BigInt(await time.latest()) + seconds;
}

async function whale(signer: HardhatEthersSigner): Promise<HardhatEthersSigner> {
  await setBalance(signer.address, parseEther("10000000"));
  return signer;
}

// ──────────────────────────────── Tests ────────────────────────────────

describe("StakingPool", function () {
  describe("ERC-20 metadata and initial state", function () {
    it("is named Tidepool Staked Ether, with symbol tpETH and 18 decimals", async function () {
      const { pool } = await loadFixture(deployTidepool);
      expect(await pool.name()).to.equal("Tidepool Staked Ether");
      expect(await pool.symbol()).to.equal("tpETH");
      expect(await pool.decimals()).to.equal(18n);
    });

    it("starts with the bootstrap deposit minted 1:1 as shares locked at 0xdEaD", async function () {
      const { pool, poolAddress } = await loadFixture(deployTidepool);
      expect(await pool.totalShares()).to.equal(BOOTSTRAP_DEPOSIT);
      expect(await pool.totalPooledEther()).to.equal(BOOTSTRAP_DEPOSIT);
      expect(await pool.sharesOf(DEAD)).to.equal(BOOTSTRAP_DEPOSIT);
      expect(await pool.balanceOf(DEAD)).to.equal(BOOTSTRAP_DEPOSIT);
      expect(await ethers.provider.getBalance(poolAddress)).to.equal(BOOTSTRAP_DEPOSIT);
    });

    it("reports totalSupply equal to totalPooledEther, before and after stakes and rebases", async function () {
      const { pool: fresh } = await loadFixture(deployTidepool);
      expect(await fresh.totalSupply()).to.equal(BOOTSTRAP_DEPOSIT);
      expect(await fresh.totalSupply()).to.equal(await fresh.totalPooledEther());
      const { pool, alice } = await loadFixture(stakedFixture);
      await pool.connect(alice).stake(ZeroAddress, { value: parseEther("1") });
      expect(await pool.totalSupply()).to.equal(BOOTSTRAP_DEPOSIT + ALICE_STAKE + BOB_STAKE + parseEther("1"));
      expect(await pool.totalSupply()).to.equal(await pool.totalPooledEther());
      await rebasePool(pool, parseEther("20.5"));
      expect(await pool.totalSupply()).to.equal(parseEther("20.5"));
      expect(await pool.totalPooledEther()).to.equal(parseEther("20.5"));
    });

    it("counts all pooled ether as buffered while no validator has been deposited", async function () {
      const { pool } = await loadFixture(deployTidepool);
      expect(await pool.bufferedEther()).to.equal(BOOTSTRAP_DEPOSIT);
      const { pool: staked } = await loadFixture(stakedFixture);
      expect(await staked.bufferedEther()).to.equal(BOOTSTRAP_DEPOSIT + ALICE_STAKE + BOB_STAKE);
      expect(await staked.bufferedEther()).to.equal(await staked.totalPooledEther());
    });

    it("reports no deposited validators, no validators on the beacon chain and no CL balance", async function () {
      const { pool } = await loadFixture(stakedFixture);
      const [depositedValidators, clValidators, clBalance] = await pool.getBeaconStat();
      expect(depositedValidators).to.equal(0n);
      expect(clValidators).to.equal(0n);
      expect(clBalance).to.equal(0n);
    });

    it("trusts the deployed wtpETH wrapper", async function () {
      const { pool, wrapperAddress } = await loadFixture(deployTidepool);
      expect(await pool.WRAPPER()).to.equal(wrapperAddress);
    });

    it("reports no shares, no balance and no allowance for an account that never staked", async function () {
      const { pool, carol, dave } = await loadFixture(stakedFixture);
      expect(await pool.sharesOf(carol.address)).to.equal(0n);
      expect(await pool.balanceOf(carol.address)).to.equal(0n);
      expect(await pool.allowance(carol.address, dave.address)).to.equal(0n);
    });

    it("keeps the totals in the documented ERC-7201 slot: totalShares low, totalPooledEther high", async function () {
      const { pool, poolAddress } = await loadFixture(stakedFixture);
      expect(await getPoolTotals(poolAddress)).to.deep.equal({
        totalShares: await pool.totalShares(),
        totalPooledEther: await pool.totalPooledEther(),
      });
      await setPoolTotals(poolAddress, 2n, 3n);
      expect(await pool.totalShares()).to.equal(2n);
      expect(await pool.totalPooledEther()).to.equal(3n);
    });
  });

  describe("roles, constants and ERC-165", function () {
    it("derives every role constant from its name", async function () {
      const { pool } = await loadFixture(deployTidepool);
      expect(await pool.DEFAULT_ADMIN_ROLE()).to.equal(ZeroHash);
      expect(await pool.PAUSE_ROLE()).to.equal(PAUSE_ROLE);
      expect(await pool.RESUME_ROLE()).to.equal(RESUME_ROLE);
      expect(await pool.STAKE_LIMIT_ROLE()).to.equal(STAKE_LIMIT_ROLE);
    });

    it("exposes the protocol constants", async function () {
      const { pool } = await loadFixture(deployTidepool);
      expect(await pool.CAPABILITY_STAKING()).to.equal(CAPABILITY_STAKING);
      expect(await pool.MIN_BOOTSTRAP_DEPOSIT()).to.equal(BOOTSTRAP_DEPOSIT);
      expect(await pool.MAX_STAKE_LIMIT_CAP()).to.equal(MAX_STAKE_LIMIT_CAP);
      expect(await pool.BOOTSTRAP_SHARES_HOLDER()).to.equal(DEAD);
    });

    it("gives the admin DEFAULT_ADMIN_ROLE, RESUME_ROLE and STAKE_LIMIT_ROLE, but not PAUSE_ROLE", async function () {
      const { pool, admin } = await loadFixture(deployTidepool);
      expect(await pool.hasRole(ZeroHash, admin.address)).to.equal(true);
      expect(await pool.hasRole(RESUME_ROLE, admin.address)).to.equal(true);
      expect(await pool.hasRole(STAKE_LIMIT_ROLE, admin.address)).to.equal(true);
      expect(await pool.hasRole(PAUSE_ROLE, admin.address)).to.equal(false);
    });

    it("gives the pauser PAUSE_ROLE and nothing else", async function () {
      const { pool, pauser } = await loadFixture(deployTidepool);
      expect(await pool.hasRole(PAUSE_ROLE, pauser.address)).to.equal(true);
      expect(await pool.hasRole(ZeroHash, pauser.address)).to.equal(false);
      expect(await pool.hasRole(RESUME_ROLE, pauser.address)).to.equal(false);
      expect(await pool.hasRole(STAKE_LIMIT_ROLE, pauser.address)).to.equal(false);
    });

    it("administers every role with DEFAULT_ADMIN_ROLE", async function () {
      const { pool } = await loadFixture(deployTidepool);
      for (const role of [ZeroHash, PAUSE_ROLE, RESUME_ROLE, STAKE_LIMIT_ROLE]) {
        expect(await pool.getRoleAdmin(role)).to.equal(ZeroHash);
      }
    });

    it("refuses to grant a role to the zero address with RoleGrantToZeroAddress(role)", async function () {
      const { pool, admin } = await loadFixture(deployTidepool);
      for (const role of [ZeroHash, PAUSE_ROLE, RESUME_ROLE, STAKE_LIMIT_ROLE]) {
        await expect(pool.connect(admin).grantRole(role, ZeroAddress))
          .to.be.revertedWithCustomError(pool, "RoleGrantToZeroAddress")
          .withArgs(role);
      }
    });

    it("lets only DEFAULT_ADMIN_ROLE grant roles", async function () {
      const { pool, pauser, users } = await loadFixture(deployTidepool);
      await expect(pool.connect(pauser).grantRole(PAUSE_ROLE, users[0].address))
        .to.be.revertedWithCustomError(pool, "AccessControlUnauthorizedAccount")
        .withArgs(pauser.address, ZeroHash);
    });

    it("supports IAccessControl and IERC165 and rejects the invalid interface id", async function () {
      const { pool } = await loadFixture(deployTidepool);
      let accessControlId = 0n;
      IAccessControl__factory.createInterface().forEachFunction((fn) => {
        accessControlId ^= BigInt(fn.selector);
      });
      expect(toBeHex(accessControlId, 4)).to.equal("0x7965db0b");
      expect(await pool.supportsInterface(toBeHex(accessControlId, 4))).to.equal(true);
      expect(await pool.supportsInterface("0x01ffc9a7")).to.equal(true); // IERC165
      expect(await pool.supportsInterface("0xffffffff")).to.equal(false);
    });
  });

  describe("initialisation", function () {
    async function deployImplementation(): Promise<StakingPool> {
      const factory = await ethers.getContractFactory("StakingPool", { libraries: await deployPoolLibraries(hre) });
      const impl = await factory.deploy({
        wrapper: ZeroAddress,
        depositContract: ZeroAddress,
        registry: ZeroAddress,
        depositSecurityModule: ZeroAddress,
        withdrawalVault: ZeroAddress,
        elRewardsVault: ZeroAddress,
        oracle: ZeroAddress,
        insuranceFund: ZeroAddress,
        withdrawalQueue: ZeroAddress,
        beaconFacts: ZeroAddress,
      });
      await impl.waitForDeployment();
      return impl;
    }

    it("cannot initialise the implementation behind the proxy", async function () {
      const { pool, poolAddress, wrapperAddress, admin } = await loadFixture(deployTidepool);
      const word = await ethers.provider.getStorage(poolAddress, ERC1967_IMPLEMENTATION_SLOT);
      const implAddress = getAddress(dataSlice(word, 12));
      expect(implAddress).to.not.equal(poolAddress);
      const impl = await ethers.getContractAt("StakingPool", implAddress);
      expect(await impl.WRAPPER()).to.equal(wrapperAddress);
      await expect(
        impl.connect(admin).initialize(admin.address, { value: BOOTSTRAP_DEPOSIT }),
      ).to.be.revertedWithCustomError(pool, "InvalidInitialization");
    });

    it("cannot initialise the proxy a second time", async function () {
      const { pool, admin, users } = await loadFixture(deployTidepool);
      await expect(
        pool.connect(admin).initialize(admin.address, { value: BOOTSTRAP_DEPOSIT }),
      ).to.be.revertedWithCustomError(pool, "InvalidInitialization");
      await expect(
        pool.connect(users[0]).initialize(users[0].address, { value: parseEther("1") }),
      ).to.be.revertedWithCustomError(pool, "InvalidInitialization");
    });

    it("initialises a fresh proxy with the admin and the bootstrap deposit as locked shares", async function () {
      const { admin, users } = await loadFixture(deployTidepool);
      const impl = await deployImplementation();
      const data = impl.interface.encodeFunctionData("initialize", [users[3].address]);
      const proxy = await (
        await ethers.getContractFactory("ERC1967Proxy")
      )
        .connect(admin)
        .deploy(await impl.getAddress(), data, { value: parseEther("0.25") });
      await proxy.waitForDeployment();
      const fresh = await ethers.getContractAt("StakingPool", await proxy.getAddress());
      const deployment = proxy.deploymentTransaction();
      if (deployment === null) throw new Error("no deployment transaction");
      await expect(deployment)
        .to.emit(fresh, "Transfer")
        .withArgs(ZeroAddress, DEAD, parseEther("0.25"))
        .and.to.emit(fresh, "TransferShares")
        .withArgs(ZeroAddress, DEAD, parseEther("0.25"))
        .and.to.emit(fresh, "RoleGranted")
        .withArgs(ZeroHash, users[3].address, admin.address);
      expect(await fresh.hasRole(ZeroHash, users[3].address)).to.equal(true);
      expect(await fresh.hasRole(ZeroHash, admin.address)).to.equal(false);
      expect(await fresh.totalShares()).to.equal(parseEther("0.25"));
      expect(await fresh.totalPooledEther()).to.equal(parseEther("0.25"));
      expect(await fresh.sharesOf(DEAD)).to.equal(parseEther("0.25"));
      expect(await fresh.getCurrentStakeLimit()).to.equal(MaxUint256);
      const [, name, version] = await fresh.eip712Domain();
      expect(name).to.equal("Tidepool Staked Ether");
      expect(version).to.equal("1");
    });

    it("the deployment's first implementation opens the proxy with every capability paused (StakingPoolBootstrap)", async function () {
      const { admin, users } = await loadFixture(deployTidepool);
      const factory = await ethers.getContractFactory("StakingPoolBootstrap", {
        libraries: await deployPoolLibraries(hre),
      });
      const zero = ZeroAddress;
      const impl = await factory.deploy({
        wrapper: zero,
        depositContract: zero,
        registry: zero,
        depositSecurityModule: zero,
        withdrawalVault: zero,
        elRewardsVault: zero,
        oracle: zero,
        insuranceFund: zero,
        withdrawalQueue: zero,
        beaconFacts: zero,
      });
      await impl.waitForDeployment();
      const data = impl.interface.encodeFunctionData("initializePaused", [admin.address]);
      const proxy = await (
        await ethers.getContractFactory("ERC1967Proxy")
      )
        .connect(admin)
        .deploy(await impl.getAddress(), data, { value: parseEther("0.25") });
      await proxy.waitForDeployment();
      const fresh = await ethers.getContractAt("StakingPool", await proxy.getAddress());
      await expect(proxy.deploymentTransaction())
        .to.emit(fresh, "CapabilitiesPaused")
        .withArgs(admin.address, 7)
        .and.to.emit(fresh, "TransferShares")
        .withArgs(ZeroAddress, DEAD, parseEther("0.25"));
      expect(await fresh.pausedCapabilities()).to.equal(7n);
      expect(await fresh.totalShares()).to.equal(parseEther("0.25"));
      expect(await fresh.hasRole(ZeroHash, admin.address)).to.equal(true);
      // From the proxy's first block, a stake (or plain ETH) is refused.
      await expect(
        fresh.connect(users[0]).stake(ZeroAddress, { value: parseEther("1") }),
      ).to.be.revertedWithCustomError(fresh, "StakingPaused");
      await expect(
        users[0].sendTransaction({ to: await fresh.getAddress(), value: parseEther("1") }),
      ).to.be.revertedWithCustomError(fresh, "StakingPaused");
      // The implementation itself cannot be initialised.
      await expect(
        impl.connect(admin).initializePaused(admin.address, { value: BOOTSTRAP_DEPOSIT }),
      ).to.be.revertedWithCustomError(impl, "InvalidInitialization");
    });

    it("accepts a bootstrap deposit of exactly MIN_BOOTSTRAP_DEPOSIT", async function () {
      const { admin } = await loadFixture(deployTidepool);
      const impl = await deployImplementation();
      const data = impl.interface.encodeFunctionData("initialize", [admin.address]);
      const proxy = await (
        await ethers.getContractFactory("ERC1967Proxy")
      )
        .connect(admin)
        .deploy(await impl.getAddress(), data, { value: BOOTSTRAP_DEPOSIT });
      const fresh = await ethers.getContractAt("StakingPool", await proxy.getAddress());
      expect(await fresh.totalShares()).to.equal(BOOTSTRAP_DEPOSIT);
    });

    it("rejects a bootstrap deposit below MIN_BOOTSTRAP_DEPOSIT with BootstrapDepositTooSmall(value)", async function () {
      const { admin } = await loadFixture(deployTidepool);
      const impl = await deployImplementation();
      const proxyFactory = (await ethers.getContractFactory("ERC1967Proxy")).connect(admin);
      const data = impl.interface.encodeFunctionData("initialize", [admin.address]);
      for (const value of [0n, 1n, BOOTSTRAP_DEPOSIT - 1n]) {
        await expect(proxyFactory.deploy(await impl.getAddress(), data, { value }))
          .to.be.revertedWithCustomError(impl, "BootstrapDepositTooSmall")
          .withArgs(value);
      }
    });

    it('rejects a zero admin with ZeroAddress("admin")', async function () {
      const { admin } = await loadFixture(deployTidepool);
      const impl = await deployImplementation();
      const proxyFactory = (await ethers.getContractFactory("ERC1967Proxy")).connect(admin);
      const data = impl.interface.encodeFunctionData("initialize", [ZeroAddress]);
      await expect(proxyFactory.deploy(await impl.getAddress(), data, { value: BOOTSTRAP_DEPOSIT }))
        .to.be.revertedWithCustomError(impl, "ZeroAddress")
        .withArgs("admin");
    });
  });

  describe("stake", function () {
    it("mints shares 1:1 before any rebase and adds the ether to the totals", async function () {
      const { pool, poolAddress, users } = await loadFixture(deployTidepool);
      const amount = parseEther("1.5");
      await pool.connect(users[0]).stake(ZeroAddress, { value: amount });
      expect(await pool.sharesOf(users[0].address)).to.equal(amount);
      expect(await pool.balanceOf(users[0].address)).to.equal(amount);
      expect(await pool.totalShares()).to.equal(BOOTSTRAP_DEPOSIT + amount);
      expect(await pool.totalPooledEther()).to.equal(BOOTSTRAP_DEPOSIT + amount);
      expect(await pool.bufferedEther()).to.equal(BOOTSTRAP_DEPOSIT + amount);
      expect(await ethers.provider.getBalance(poolAddress)).to.equal(BOOTSTRAP_DEPOSIT + amount);
    });

    it("takes exactly the ether sent from the staker", async function () {
      const { pool, users } = await loadFixture(deployTidepool);
      const amount = parseEther("2");
      await expect(pool.connect(users[0]).stake(ZeroAddress, { value: amount })).to.changeEtherBalances(
        [users[0], pool],
        [-amount, amount],
      );
    });

    it("returns the shares minted", async function () {
      const { pool, alice } = await loadFixture(stakedAt3To2Fixture);
      const amount = parseEther("1") + 1n;
      const { shares, ether } = await rate(pool);
      expect(await pool.connect(alice).stake.staticCall(ZeroAddress, { value: amount })).to.equal(
        mulDivDown(amount, shares, ether),
      );
    });

    it("emits Staked, Transfer and TransferShares with the exact values", async function () {
      const { pool, users } = await loadFixture(deployTidepool);
      const referral = users[9].address;
      const amount = parseEther("4");
      await expect(pool.connect(users[0]).stake(referral, { value: amount }))
        .to.emit(pool, "Staked")
        .withArgs(users[0].address, amount, amount, referral)
        .and.to.emit(pool, "Transfer")
        .withArgs(ZeroAddress, users[0].address, amount)
        .and.to.emit(pool, "TransferShares")
        .withArgs(ZeroAddress, users[0].address, amount);
    });

    for (const { label, fixture } of RATES.slice(1)) {
      it(`mints shares rounded down at ${label}`, async function () {
        const { pool, alice, carol } = await loadFixture(fixture);
        const amounts = [2n, 3n, 1000n, parseEther("1") + 1n, parseEther("7") - 3n, 123_456_789_012_345_679n];
        let expectedShares = 0n;
        for (const amount of amounts) {
          const { shares: totalShares, ether: totalEther } = await rate(pool);
          const shares = mulDivDown(amount, totalShares, totalEther);
          expect(shares).to.be.greaterThan(0n);
          const value = mulDivDown(shares, totalEther + amount, totalShares + shares);
          await expect(pool.connect(carol).stake(alice.address, { value: amount }))
            .to.emit(pool, "Staked")
            .withArgs(carol.address, amount, shares, alice.address)
            .and.to.emit(pool, "Transfer")
            .withArgs(ZeroAddress, carol.address, value)
            .and.to.emit(pool, "TransferShares")
            .withArgs(ZeroAddress, carol.address, shares);
          expectedShares += shares;
          expect(await pool.sharesOf(carol.address)).to.equal(expectedShares);
          expect(await pool.totalShares()).to.equal(totalShares + shares);
          expect(await pool.totalPooledEther()).to.equal(totalEther + amount);
        }
      });
    }

    it("stakes plain ether sent to the pool, with no referral", async function () {
      const { pool, poolAddress, users } = await loadFixture(stakedAt3To2Fixture);
      const amount = parseEther("0.7") + 1n;
      const { shares: totalShares, ether: totalEther } = await rate(pool);
      const shares = mulDivDown(amount, totalShares, totalEther);
      const value = mulDivDown(shares, totalEther + amount, totalShares + shares);
      await expect(users[5].sendTransaction({ to: poolAddress, value: amount }))
        .to.emit(pool, "Staked")
        .withArgs(users[5].address, amount, shares, ZeroAddress)
        .and.to.emit(pool, "Transfer")
        .withArgs(ZeroAddress, users[5].address, value)
        .and.to.emit(pool, "TransferShares")
        .withArgs(ZeroAddress, users[5].address, shares);
      expect(await pool.sharesOf(users[5].address)).to.equal(shares);
      expect(await pool.totalPooledEther()).to.equal(totalEther + amount);
      expect(await pool.totalShares()).to.equal(totalShares + shares);
    });

    it("reverts with StakeZeroAmount when no ether is sent, through stake and plain transfers", async function () {
      const { pool, poolAddress, users } = await loadFixture(deployTidepool);
      await expect(pool.connect(users[0]).stake(ZeroAddress)).to.be.revertedWithCustomError(pool, "StakeZeroAmount");
      await expect(users[0].sendTransaction({ to: poolAddress, value: 0n })).to.be.revertedWithCustomError(
        pool,
        "StakeZeroAmount",
      );
    });

    it("reverts with StakingPaused while staking is paused, through stake and plain transfers", async function () {
      const { pool, poolAddress, pauser, users } = await loadFixture(deployTidepool);
      await pool.connect(pauser).pause(CAPABILITY_STAKING);
      await expect(pool.connect(users[0]).stake(ZeroAddress, { value: 1n })).to.be.revertedWithCustomError(
        pool,
        "StakingPaused",
      );
      await expect(users[0].sendTransaction({ to: poolAddress, value: parseEther("1") })).to.be.revertedWithCustomError(
        pool,
        "StakingPaused",
      );
    });

    it("reverts with StakeLimitExceeded(amount, limit) just above a full limit", async function () {
      const { pool, poolAddress, users } = await loadFixture(deployTidepool);
      const staker = await whale(users[0]);
      const amount = DEFAULT_MAX_STAKE_LIMIT + 1n;
      await expect(pool.connect(staker).stake(ZeroAddress, { value: amount }))
        .to.be.revertedWithCustomError(pool, "StakeLimitExceeded")
        .withArgs(amount, DEFAULT_MAX_STAKE_LIMIT);
      await expect(staker.sendTransaction({ to: poolAddress, value: amount }))
        .to.be.revertedWithCustomError(pool, "StakeLimitExceeded")
        .withArgs(amount, DEFAULT_MAX_STAKE_LIMIT);
    });

    it("reverts with StakeLimitExceeded(amount, limit) against a partly used limit, and accepts exactly the limit", async function () {
      const { pool, users } = await loadFixture(deployTidepool);
      const staker = await whale(users[0]);
      const first = parseEther("100000");
      const stakeBlock = await blockOf(await pool.connect(staker).stake(ZeroAddress, { value: first }));
      // The next transaction is mined in the next block: one block of regrowth.
      const limit = DEFAULT_MAX_STAKE_LIMIT - first + DEFAULT_INCREASE_PER_BLOCK;
      await expect(pool.connect(staker).stake(ZeroAddress, { value: limit + 1n }))
        .to.be.revertedWithCustomError(pool, "StakeLimitExceeded")
        .withArgs(limit + 1n, limit);
      // The failed stake was mined too, so the next one sees one more block of regrowth.
      expect(await latestBlock()).to.equal(stakeBlock + 1n);
      const limitNow = limit + DEFAULT_INCREASE_PER_BLOCK;
      await expect(pool.connect(staker).stake(ZeroAddress, { value: limitNow + 1n }))
        .to.be.revertedWithCustomError(pool, "StakeLimitExceeded")
        .withArgs(limitNow + 1n, limitNow);
      await pool.connect(staker).stake(ZeroAddress, { value: limitNow + DEFAULT_INCREASE_PER_BLOCK });
      expect(await pool.getCurrentStakeLimit()).to.equal(0n);
    });

    it("reverts with StakeTooSmall(amount) when the stake is worth less than one share", async function () {
      const { pool, poolAddress, carol } = await loadFixture(stakedAt2To1Fixture);
      await expect(pool.connect(carol).stake(ZeroAddress, { value: 1n }))
        .to.be.revertedWithCustomError(pool, "StakeTooSmall")
        .withArgs(1n);
      await expect(carol.sendTransaction({ to: poolAddress, value: 1n }))
        .to.be.revertedWithCustomError(pool, "StakeTooSmall")
        .withArgs(1n);
      const { pool: at3To2, carol: c } = await loadFixture(stakedAt3To2Fixture);
      await expect(at3To2.connect(c).stake(ZeroAddress, { value: 1n }))
        .to.be.revertedWithCustomError(at3To2, "StakeTooSmall")
        .withArgs(1n);
    });

    it("mints one share for the smallest stake worth one share", async function () {
      const { pool, carol } = await loadFixture(stakedAt2To1Fixture);
      const before = await rate(pool);
      await expect(pool.connect(carol).stake(ZeroAddress, { value: 2n }))
        .to.emit(pool, "Staked")
        .withArgs(carol.address, 2n, 1n, ZeroAddress)
        .and.to.emit(pool, "Transfer")
        .withArgs(ZeroAddress, carol.address, mulDivDown(1n, before.ether + 2n, before.shares + 1n));
      expect(await pool.sharesOf(carol.address)).to.equal(1n);
    });
  });

  describe("share conversions", function () {
    it("are the identity before any rebase", async function () {
      const { pool } = await loadFixture(stakedFixture);
      for (const x of [...SAMPLES, MaxUint256]) {
        expect(await pool.getSharesByPooledEth(x)).to.equal(x);
        expect(await pool.getSharesByPooledEthRoundUp(x)).to.equal(x);
        expect(await pool.getPooledEthByShares(x)).to.equal(x);
        expect(await pool.getPooledEthBySharesRoundUp(x)).to.equal(x);
      }
    });

    for (const { label, fixture } of RATES.slice(1)) {
      it(`convert ether to shares rounded down and up at ${label}`, async function () {
        const { pool } = await loadFixture(fixture);
        const { shares, ether } = await rate(pool);
        let roundedDifferently = 0;
        for (const x of SAMPLES) {
          expect(await pool.getSharesByPooledEth(x)).to.equal(mulDivDown(x, shares, ether));
          expect(await pool.getSharesByPooledEthRoundUp(x)).to.equal(mulDivUp(x, shares, ether));
          if (mulDivDown(x, shares, ether) !== mulDivUp(x, shares, ether)) roundedDifferently++;
        }
        expect(roundedDifferently).to.be.greaterThan(0);
      });

      it(`convert shares to ether rounded down and up at ${label}`, async function () {
        const { pool } = await loadFixture(fixture);
        const { shares, ether } = await rate(pool);
        let roundedDifferently = 0;
        for (const x of SAMPLES) {
          expect(await pool.getPooledEthByShares(x)).to.equal(mulDivDown(x, ether, shares));
          expect(await pool.getPooledEthBySharesRoundUp(x)).to.equal(mulDivUp(x, ether, shares));
          if (mulDivDown(x, ether, shares) !== mulDivUp(x, ether, shares)) roundedDifferently++;
        }
        expect(roundedDifferently).to.be.greaterThan(0);
      });

      it(`report balances as the holders' shares valued rounded down at ${label}`, async function () {
        const { pool, alice, bob } = await loadFixture(fixture);
        const { shares, ether } = await rate(pool);
        for (const holder of [alice.address, bob.address, DEAD]) {
          expect(await pool.balanceOf(holder)).to.equal(mulDivDown(await pool.sharesOf(holder), ether, shares));
        }
      });
    }

    it("at 3 ETH per 2 shares, value 1 share at 1 wei down and 2 wei up, and 1 wei at 0 shares down and 1 up", async function () {
      const { pool } = await loadFixture(stakedAt3To2Fixture);
      expect(await pool.getPooledEthByShares(1n)).to.equal(1n);
      expect(await pool.getPooledEthBySharesRoundUp(1n)).to.equal(2n);
      expect(await pool.getSharesByPooledEth(1n)).to.equal(0n);
      expect(await pool.getSharesByPooledEthRoundUp(1n)).to.equal(1n);
      expect(await pool.getPooledEthByShares(2n)).to.equal(3n);
      expect(await pool.getSharesByPooledEth(3n)).to.equal(2n);
    });
  });

  describe("stake limit", function () {
    it("starts at the deployment's 150000 ETH, refilling over 6400 blocks", async function () {
      const { pool } = await loadFixture(deployTidepool);
      const events = await pool.queryFilter(pool.filters.StakeLimitSet());
      expect(events.length).to.equal(1);
      expect(events[0].args.maxStakeLimit).to.equal(DEFAULT_MAX_STAKE_LIMIT);
      expect(events[0].args.stakeLimitIncreasePerBlock).to.equal(DEFAULT_INCREASE_PER_BLOCK);
      expect(await pool.getStakeLimitParams()).to.deep.equal([
        DEFAULT_MAX_STAKE_LIMIT,
        DEFAULT_INCREASE_PER_BLOCK,
        DEFAULT_MAX_STAKE_LIMIT,
        BigInt(events[0].blockNumber),
      ]);
      expect(await pool.getCurrentStakeLimit()).to.equal(DEFAULT_MAX_STAKE_LIMIT);
    });

    it("decreases by the amount staked and records the block", async function () {
      const { pool, users } = await loadFixture(deployTidepool);
      const amount = parseEther("1000");
      const stakeBlock = await blockOf(await pool.connect(users[0]).stake(ZeroAddress, { value: amount }));
      expect(await pool.getCurrentStakeLimit()).to.equal(DEFAULT_MAX_STAKE_LIMIT - amount);
      expect(await pool.getStakeLimitParams()).to.deep.equal([
        DEFAULT_MAX_STAKE_LIMIT,
        DEFAULT_INCREASE_PER_BLOCK,
        DEFAULT_MAX_STAKE_LIMIT - amount,
        stakeBlock,
      ]);
    });

    it("regrows by max / growthBlocks per block", async function () {
      const { pool, users } = await loadFixture(deployTidepool);
      const amount = parseEther("1000");
      await pool.connect(users[0]).stake(ZeroAddress, { value: amount });
      await mine(1);
      expect(await pool.getCurrentStakeLimit()).to.equal(DEFAULT_MAX_STAKE_LIMIT - amount + DEFAULT_INCREASE_PER_BLOCK);
      await mine(9);
      expect(await pool.getCurrentStakeLimit()).to.equal(
        DEFAULT_MAX_STAKE_LIMIT - amount + 10n * DEFAULT_INCREASE_PER_BLOCK,
      );
    });

    it("stops regrowing at the maximum", async function () {
      const { pool, users } = await loadFixture(deployTidepool);
      const amount = parseEther("1000"); // 42.67 blocks of regrowth
      await pool.connect(users[0]).stake(ZeroAddress, { value: amount });
      await mine(42);
      expect(await pool.getCurrentStakeLimit()).to.equal(
        DEFAULT_MAX_STAKE_LIMIT - amount + 42n * DEFAULT_INCREASE_PER_BLOCK,
      );
      await mine(1);
      expect(await pool.getCurrentStakeLimit()).to.equal(DEFAULT_MAX_STAKE_LIMIT);
      await mine(10_000);
      expect(await pool.getCurrentStakeLimit()).to.equal(DEFAULT_MAX_STAKE_LIMIT);
    });

    it("can be used up entirely by one stake, then regrows from zero", async function () {
      const { pool, users } = await loadFixture(deployTidepool);
      const staker = await whale(users[0]);
      await pool.connect(staker).stake(ZeroAddress, { value: DEFAULT_MAX_STAKE_LIMIT });
      expect(await pool.getCurrentStakeLimit()).to.equal(0n);
      await mine(1);
      expect(await pool.getCurrentStakeLimit()).to.equal(DEFAULT_INCREASE_PER_BLOCK);
      await mine(DEFAULT_GROWTH_BLOCKS - 1n);
      expect(await pool.getCurrentStakeLimit()).to.equal(DEFAULT_MAX_STAKE_LIMIT);
    });

    it("reports 0 while staking is paused and the regrown limit after resume", async function () {
      const { pool, admin, pauser, users } = await loadFixture(deployTidepool);
      const amount = parseEther("1000");
      await pool.connect(users[0]).stake(ZeroAddress, { value: amount });
      await pool.connect(pauser).pause(CAPABILITY_STAKING);
      expect(await pool.getCurrentStakeLimit()).to.equal(0n);
      const resumeBlock = await blockOf(await pool.connect(admin).resume(CAPABILITY_STAKING));
      const [, , prevLimit, prevBlock] = await pool.getStakeLimitParams();
      expect(prevLimit).to.equal(DEFAULT_MAX_STAKE_LIMIT - amount);
      expect(await pool.getCurrentStakeLimit()).to.equal(
        prevLimit + (resumeBlock - prevBlock) * DEFAULT_INCREASE_PER_BLOCK,
      );
    });

    it("reports type(uint256).max with no limit, and 0 with no limit while paused", async function () {
      const { pool, pauser } = await loadFixture(deployTidepoolUnlimited);
      expect(await pool.getCurrentStakeLimit()).to.equal(MaxUint256);
      await pool.connect(pauser).pause(CAPABILITY_STAKING);
      expect(await pool.getCurrentStakeLimit()).to.equal(0n);
    });

    it("does not record stakes when there is no limit", async function () {
      const { pool, users } = await loadFixture(deployTidepoolUnlimited);
      const params = await pool.getStakeLimitParams();
      const staker = await whale(users[0]);
      await pool.connect(staker).stake(ZeroAddress, { value: DEFAULT_MAX_STAKE_LIMIT * 2n });
      expect(await pool.getStakeLimitParams()).to.deep.equal(params);
      expect(await pool.getCurrentStakeLimit()).to.equal(MaxUint256);
    });
  });

  describe("setStakeLimit", function () {
    it("emits StakeLimitSet with the per-block increase rounded to whole blocks", async function () {
      const { pool, admin } = await loadFixture(deployTidepool);
      const max = parseEther("1000");
      const requested = parseEther("300"); // 3 whole blocks to refill, so 333.33… ETH per block
      const effective = max / (max / requested);
      expect(effective).to.equal(333_333_333_333_333_333_333n);
      const tx = await pool.connect(admin).setStakeLimit(max, requested);
      await expect(tx).to.emit(pool, "StakeLimitSet").withArgs(max, effective);
      expect(await pool.getStakeLimitParams()).to.deep.equal([max, effective, max, await blockOf(tx)]);
    });

    it("emits the increase unchanged when it divides the maximum", async function () {
      const { pool, admin } = await loadFixture(deployTidepool);
      await expect(pool.connect(admin).setStakeLimit(parseEther("6400"), parseEther("1")))
        .to.emit(pool, "StakeLimitSet")
        .withArgs(parseEther("6400"), parseEther("1"));
      const [max, increase] = await pool.getStakeLimitParams();
      expect(max).to.equal(parseEther("6400"));
      expect(increase).to.equal(parseEther("1"));
    });

    it("carries the limit left over to a larger maximum, then regrows at the new rate", async function () {
      const { pool, admin, users } = await loadFixture(deployTidepool);
      const staker = await whale(users[0]);
      const stakeBlock = await blockOf(await pool.connect(staker).stake(ZeroAddress, { value: parseEther("100000") }));
      const newMax = parseEther("200000");
      const newIncrease = parseEther("10");
      const setTx = await pool.connect(admin).setStakeLimit(newMax, newIncrease);
      const setBlock = await blockOf(setTx);
      const left = parseEther("50000") + (setBlock - stakeBlock) * DEFAULT_INCREASE_PER_BLOCK;
      expect(await pool.getStakeLimitParams()).to.deep.equal([newMax, newIncrease, left, setBlock]);
      expect(await pool.getCurrentStakeLimit()).to.equal(left);
      await mine(5);
      expect(await pool.getCurrentStakeLimit()).to.equal(left + 5n * newIncrease);
    });

    it("caps the limit left over at a smaller maximum", async function () {
      const { pool, admin } = await loadFixture(deployTidepool);
      const setBlock = await blockOf(await pool.connect(admin).setStakeLimit(parseEther("1000"), parseEther("1")));
      expect(await pool.getStakeLimitParams()).to.deep.equal([
        parseEther("1000"),
        parseEther("1"),
        parseEther("1000"),
        setBlock,
      ]);
      expect(await pool.getCurrentStakeLimit()).to.equal(parseEther("1000"));
    });

    it("keeps a used-up limit below a smaller maximum", async function () {
      const { pool, admin, users } = await loadFixture(deployTidepool);
      const staker = await whale(users[0]);
      const stakeBlock = await blockOf(await pool.connect(staker).stake(ZeroAddress, { value: parseEther("149500") }));
      const setBlock = await blockOf(await pool.connect(admin).setStakeLimit(parseEther("1000"), parseEther("1")));
      const left = parseEther("500") + (setBlock - stakeBlock) * DEFAULT_INCREASE_PER_BLOCK;
      expect(left).to.be.lessThan(parseEther("1000"));
      expect(await pool.getCurrentStakeLimit()).to.equal(left);
    });

    it("starts full when a limit replaces no limit", async function () {
      const { pool, admin, users } = await loadFixture(deployTidepoolUnlimited);
      const staker = await whale(users[0]);
      await pool.connect(staker).stake(ZeroAddress, { value: parseEther("500000") });
      const tx = await pool.connect(admin).setStakeLimit(parseEther("1000"), parseEther("1"));
      await expect(tx).to.emit(pool, "StakeLimitSet").withArgs(parseEther("1000"), parseEther("1"));
      expect(await pool.getStakeLimitParams()).to.deep.equal([
        parseEther("1000"),
        parseEther("1"),
        parseEther("1000"),
        await blockOf(tx),
      ]);
      expect(await pool.getCurrentStakeLimit()).to.equal(parseEther("1000"));
    });

    it("removes the limit with (0, 0)", async function () {
      const { pool, admin, users } = await loadFixture(deployTidepool);
      const tx = await pool.connect(admin).setStakeLimit(0n, 0n);
      await expect(tx).to.emit(pool, "StakeLimitSet").withArgs(0n, 0n);
      expect(await pool.getStakeLimitParams()).to.deep.equal([0n, 0n, 0n, await blockOf(tx)]);
      expect(await pool.getCurrentStakeLimit()).to.equal(MaxUint256);
      const staker = await whale(users[0]);
      const amount = DEFAULT_MAX_STAKE_LIMIT * 3n;
      await pool.connect(staker).stake(ZeroAddress, { value: amount });
      expect(await pool.sharesOf(staker.address)).to.equal(amount);
    });

    it("does not regrow with a zero increase", async function () {
      const { pool, admin, users } = await loadFixture(deployTidepool);
      await expect(pool.connect(admin).setStakeLimit(parseEther("1000"), 0n))
        .to.emit(pool, "StakeLimitSet")
        .withArgs(parseEther("1000"), 0n);
      await pool.connect(users[0]).stake(ZeroAddress, { value: parseEther("400") });
      await mine(100);
      expect(await pool.getCurrentStakeLimit()).to.equal(parseEther("600"));
      await expect(pool.connect(users[0]).stake(ZeroAddress, { value: parseEther("600") + 1n }))
        .to.be.revertedWithCustomError(pool, "StakeLimitExceeded")
        .withArgs(parseEther("600") + 1n, parseEther("600"));
    });

    it("accepts the bounds: a maximum of MAX_STAKE_LIMIT_CAP and a refill of 2^24 - 1 blocks", async function () {
      const { pool, admin } = await loadFixture(deployTidepool);
      await expect(pool.connect(admin).setStakeLimit(MAX_STAKE_LIMIT_CAP, MAX_STAKE_LIMIT_CAP))
        .to.emit(pool, "StakeLimitSet")
        .withArgs(MAX_STAKE_LIMIT_CAP, MAX_STAKE_LIMIT_CAP);
      await expect(pool.connect(admin).setStakeLimit(TWO_POW_24 - 1n, 1n))
        .to.emit(pool, "StakeLimitSet")
        .withArgs(TWO_POW_24 - 1n, 1n);
      await expect(pool.connect(admin).setStakeLimit(MAX_STAKE_LIMIT_CAP, 0n))
        .to.emit(pool, "StakeLimitSet")
        .withArgs(MAX_STAKE_LIMIT_CAP, 0n);
    });

    it("rejects a maximum above MAX_STAKE_LIMIT_CAP with InvalidStakeLimit(max, increase)", async function () {
      const { pool, admin } = await loadFixture(deployTidepool);
      for (const [max, increase] of [
        [MAX_STAKE_LIMIT_CAP + 1n, parseEther("1")],
        [MAX_STAKE_LIMIT_CAP + 1n, 0n],
        [1n << 96n, 1n << 95n],
      ]) {
        await expect(pool.connect(admin).setStakeLimit(max, increase))
          .to.be.revertedWithCustomError(pool, "InvalidStakeLimit")
          .withArgs(max, increase);
      }
    });

    it("rejects an increase above the maximum with InvalidStakeLimit(max, increase)", async function () {
      const { pool, admin } = await loadFixture(deployTidepool);
      for (const [max, increase] of [
        [100n, 101n],
        [0n, 1n],
        [parseEther("1000"), parseEther("1000") + 1n],
      ]) {
        await expect(pool.connect(admin).setStakeLimit(max, increase))
          .to.be.revertedWithCustomError(pool, "InvalidStakeLimit")
          .withArgs(max, increase);
      }
    });

    it("rejects a refill of 2^24 blocks or more with InvalidStakeLimit(max, increase)", async function () {
      const { pool, admin } = await loadFixture(deployTidepool);
      const max = parseEther("1000");
      const tooSlow = max / TWO_POW_24; // max / tooSlow ≥ 2^24
      expect(max / tooSlow >= TWO_POW_24).to.equal(true);
      for (const [m, increase] of [
        [TWO_POW_24, 1n],
        [TWO_POW_24 * 5n, 1n],
        [max, tooSlow],
      ]) {
        await expect(pool.connect(admin).setStakeLimit(m, increase))
          .to.be.revertedWithCustomError(pool, "InvalidStakeLimit")
          .withArgs(m, increase);
      }
    });

    it("leaves the parameters unchanged when it reverts", async function () {
      const { pool, admin } = await loadFixture(deployTidepool);
      const params = await pool.getStakeLimitParams();
      await expect(pool.connect(admin).setStakeLimit(100n, 101n)).to.be.revertedWithCustomError(
        pool,
        "InvalidStakeLimit",
      );
      expect(await pool.getStakeLimitParams()).to.deep.equal(params);
    });

    it("is restricted to STAKE_LIMIT_ROLE", async function () {
      const { pool, pauser, users } = await loadFixture(deployTidepool);
      for (const caller of [users[0], pauser]) {
        await expect(pool.connect(caller).setStakeLimit(parseEther("1"), 0n))
          .to.be.revertedWithCustomError(pool, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, STAKE_LIMIT_ROLE);
      }
    });

    it("keeps staking paused when the limit changes", async function () {
      const { pool, admin, pauser, users } = await loadFixture(deployTidepool);
      await pool.connect(pauser).pause(CAPABILITY_STAKING);
      await pool.connect(admin).setStakeLimit(parseEther("1000"), parseEther("1"));
      expect(await pool.pausedCapabilities()).to.equal(CAPABILITY_STAKING);
      expect(await pool.getCurrentStakeLimit()).to.equal(0n);
      await expect(pool.connect(users[0]).stake(ZeroAddress, { value: 1n })).to.be.revertedWithCustomError(
        pool,
        "StakingPaused",
      );
      await pool.connect(admin).resume(CAPABILITY_STAKING);
      expect(await pool.getCurrentStakeLimit()).to.equal(parseEther("1000"));
    });
  });

  describe("pause and resume", function () {
    it("lets the pauser pause staking", async function () {
      const { pool, pauser } = await loadFixture(deployTidepool);
      expect(await pool.pausedCapabilities()).to.equal(0n);
      await expect(pool.connect(pauser).pause(CAPABILITY_STAKING))
        .to.emit(pool, "CapabilitiesPaused")
        .withArgs(pauser.address, CAPABILITY_STAKING);
      expect(await pool.pausedCapabilities()).to.equal(CAPABILITY_STAKING);
    });

    it("does not let the admin pause, since it lacks PAUSE_ROLE", async function () {
      const { pool, admin } = await loadFixture(deployTidepool);
      expect(await pool.hasRole(PAUSE_ROLE, admin.address)).to.equal(false);
      await expect(pool.connect(admin).pause(CAPABILITY_STAKING))
        .to.be.revertedWithCustomError(pool, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, PAUSE_ROLE);
    });

    it("does not let a holder pause", async function () {
      const { pool, alice } = await loadFixture(stakedFixture);
      await expect(pool.connect(alice).pause(CAPABILITY_STAKING))
        .to.be.revertedWithCustomError(pool, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, PAUSE_ROLE);
    });

    it("lets governance resume staking", async function () {
      const { pool, admin, pauser, users } = await loadFixture(deployTidepool);
      await pool.connect(pauser).pause(CAPABILITY_STAKING);
      await expect(pool.connect(admin).resume(CAPABILITY_STAKING))
        .to.emit(pool, "CapabilitiesResumed")
        .withArgs(admin.address, CAPABILITY_STAKING);
      expect(await pool.pausedCapabilities()).to.equal(0n);
      await pool.connect(users[0]).stake(ZeroAddress, { value: parseEther("1") });
      expect(await pool.sharesOf(users[0].address)).to.equal(parseEther("1"));
    });

    it("does not let the pauser or a holder resume", async function () {
      const { pool, pauser, alice } = await loadFixture(stakedFixture);
      await pool.connect(pauser).pause(CAPABILITY_STAKING);
      for (const caller of [pauser, alice]) {
        await expect(pool.connect(caller).resume(CAPABILITY_STAKING))
          .to.be.revertedWithCustomError(pool, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, RESUME_ROLE);
      }
      expect(await pool.pausedCapabilities()).to.equal(CAPABILITY_STAKING);
    });

    it("rejects an empty or unknown capability mask with InvalidCapabilities(mask)", async function () {
      const { pool, admin, pauser } = await loadFixture(deployTidepool);
      for (const mask of [0n, 8n, 9n, 0x10n, 0x80n, 0xf8n, 0xffn]) {
        await expect(pool.connect(pauser).pause(mask))
          .to.be.revertedWithCustomError(pool, "InvalidCapabilities")
          .withArgs(mask);
        await expect(pool.connect(admin).resume(mask))
          .to.be.revertedWithCustomError(pool, "InvalidCapabilities")
          .withArgs(mask);
      }
      expect(await pool.pausedCapabilities()).to.equal(0n);
    });

    it("pauses and resumes each capability bit on its own", async function () {
      const { pool, admin, pauser, users } = await loadFixture(deployTidepool);
      const instantRedeem = await pool.CAPABILITY_INSTANT_REDEEM();
      expect(instantRedeem).to.equal(2n);
      await expect(pool.connect(pauser).pause(instantRedeem))
        .to.emit(pool, "CapabilitiesPaused")
        .withArgs(pauser.address, instantRedeem);
      expect(await pool.pausedCapabilities()).to.equal(instantRedeem);
      expect(await pool.getCurrentStakeLimit()).to.equal(DEFAULT_MAX_STAKE_LIMIT);
      await pool.connect(users[0]).stake(ZeroAddress, { value: 1n });
      expect(await pool.sharesOf(users[0].address)).to.equal(1n);
      await pool.connect(pauser).pause(CAPABILITY_STAKING);
      expect(await pool.pausedCapabilities()).to.equal(instantRedeem | CAPABILITY_STAKING);
      await expect(pool.connect(admin).resume(instantRedeem))
        .to.emit(pool, "CapabilitiesResumed")
        .withArgs(admin.address, instantRedeem);
      expect(await pool.pausedCapabilities()).to.equal(CAPABILITY_STAKING);
      await expect(pool.connect(users[0]).stake(ZeroAddress, { value: 1n })).to.be.revertedWithCustomError(
        pool,
        "StakingPaused",
      );
      await pool.connect(pauser).pause(instantRedeem | CAPABILITY_STAKING);
      await expect(pool.connect(admin).resume(instantRedeem | CAPABILITY_STAKING))
        .to.emit(pool, "CapabilitiesResumed")
        .withArgs(admin.address, instantRedeem | CAPABILITY_STAKING);
      expect(await pool.pausedCapabilities()).to.equal(0n);
    });

    it("keeps staking paused when paused twice, and unpaused when resumed twice", async function () {
      const { pool, admin, pauser } = await loadFixture(deployTidepool);
      await pool.connect(pauser).pause(CAPABILITY_STAKING);
      await expect(pool.connect(pauser).pause(CAPABILITY_STAKING))
        .to.emit(pool, "CapabilitiesPaused")
        .withArgs(pauser.address, CAPABILITY_STAKING);
      expect(await pool.pausedCapabilities()).to.equal(CAPABILITY_STAKING);
      await pool.connect(admin).resume(CAPABILITY_STAKING);
      await expect(pool.connect(admin).resume(CAPABILITY_STAKING))
        .to.emit(pool, "CapabilitiesResumed")
        .withArgs(admin.address, CAPABILITY_STAKING);
      expect(await pool.pausedCapabilities()).to.equal(0n);
    });

    it("keeps the stake-limit state while paused", async function () {
      const { pool, pauser, users } = await loadFixture(deployTidepool);
      await pool.connect(users[0]).stake(ZeroAddress, { value: parseEther("1000") });
      const params = await pool.getStakeLimitParams();
      await pool.connect(pauser).pause(CAPABILITY_STAKING);
      expect(await pool.getStakeLimitParams()).to.deep.equal(params);
    });

    it("does not block transfers, share transfers, approvals or transferFrom", async function () {
      const { pool, pauser, alice, bob, carol } = await loadFixture(stakedFixture);
      await pool.connect(pauser).pause(CAPABILITY_STAKING);
      await pool.connect(alice).transfer(carol.address, parseEther("1"));
      await pool.connect(alice).transferShares(carol.address, parseEther("2"));
      await pool.connect(alice).approve(bob.address, parseEther("3"));
      await pool.connect(bob).transferFrom(alice.address, carol.address, parseEther("3"));
      expect(await pool.sharesOf(carol.address)).to.equal(parseEther("6"));
      expect(await pool.sharesOf(alice.address)).to.equal(ALICE_STAKE - parseEther("6"));
    });
  });

  describe("transfer", function () {
    it("moves the amount's shares and returns true", async function () {
      const { pool, alice, carol } = await loadFixture(stakedFixture);
      const amount = parseEther("2.5");
      expect(await pool.connect(alice).transfer.staticCall(carol.address, amount)).to.equal(true);
      await expect(pool.connect(alice).transfer(carol.address, amount))
        .to.emit(pool, "Transfer")
        .withArgs(alice.address, carol.address, amount)
        .and.to.emit(pool, "TransferShares")
        .withArgs(alice.address, carol.address, amount);
      expect(await pool.sharesOf(alice.address)).to.equal(ALICE_STAKE - amount);
      expect(await pool.sharesOf(carol.address)).to.equal(amount);
      expect(await pool.balanceOf(alice.address)).to.equal(ALICE_STAKE - amount);
      expect(await pool.balanceOf(carol.address)).to.equal(amount);
      expect(await pool.totalShares()).to.equal(BOOTSTRAP_DEPOSIT + ALICE_STAKE + BOB_STAKE);
    });

    for (const { label, fixture } of RATES.slice(1)) {
      it(`moves the amount's shares rounded up at ${label}, so the recipient gets at least the amount`, async function () {
        const { pool, alice, bob } = await loadFixture(fixture);
        const { shares: totalShares, ether: totalEther } = await rate(pool);
        for (const amount of SAMPLES) {
          const moved = mulDivUp(amount, totalShares, totalEther);
          const aliceShares = await pool.sharesOf(alice.address);
          const bobShares = await pool.sharesOf(bob.address);
          const bobBalance = await pool.balanceOf(bob.address);
          await expect(pool.connect(alice).transfer(bob.address, amount))
            .to.emit(pool, "Transfer")
            .withArgs(alice.address, bob.address, amount)
            .and.to.emit(pool, "TransferShares")
            .withArgs(alice.address, bob.address, moved);
          expect(await pool.sharesOf(alice.address)).to.equal(aliceShares - moved);
          expect(await pool.sharesOf(bob.address)).to.equal(bobShares + moved);
          const bobBalanceAfter = await pool.balanceOf(bob.address);
          expect(bobBalanceAfter).to.equal(mulDivDown(bobShares + moved, totalEther, totalShares));
          expect(bobBalanceAfter - bobBalance >= amount).to.equal(true);
        }
        expect(await rate(pool)).to.deep.equal({ shares: totalShares, ether: totalEther });
      });
    }

    for (const { label, fixture } of RATES) {
      it(`lets a holder transfer the whole balance at ${label}, leaving no value behind`, async function () {
        const { pool, alice, carol } = await loadFixture(fixture);
        const { shares: totalShares, ether: totalEther } = await rate(pool);
        const balance = mulDivDown(ALICE_STAKE, totalEther, totalShares);
        expect(await pool.balanceOf(alice.address)).to.equal(balance);
        const moved = mulDivUp(balance, totalShares, totalEther);
        await expect(pool.connect(alice).transfer(carol.address, balance))
          .to.emit(pool, "TransferShares")
          .withArgs(alice.address, carol.address, moved);
        expect(await pool.sharesOf(alice.address)).to.equal(ALICE_STAKE - moved);
        expect(await pool.balanceOf(alice.address)).to.equal(0n);
        // At a rate of at least 1 ETH per share every share moves (docs/integrators.md).
        if (totalEther >= totalShares) expect(await pool.sharesOf(alice.address)).to.equal(0n);
        expect((await pool.balanceOf(carol.address)) >= balance).to.equal(true);
      });
    }

    it("accepts a zero-amount transfer, even from an account with no shares", async function () {
      const { pool, alice, carol, dave } = await loadFixture(stakedAt3To2Fixture);
      for (const [from, to] of [
        [alice, carol],
        [dave, alice],
      ]) {
        await expect(pool.connect(from).transfer(to.address, 0n))
          .to.emit(pool, "Transfer")
          .withArgs(from.address, to.address, 0n)
          .and.to.emit(pool, "TransferShares")
          .withArgs(from.address, to.address, 0n);
      }
      expect(await pool.sharesOf(alice.address)).to.equal(ALICE_STAKE);
      expect(await pool.sharesOf(carol.address)).to.equal(0n);
    });

    it("leaves the balance unchanged on a transfer to oneself", async function () {
      const { pool, alice } = await loadFixture(stakedAt3To2Fixture);
      const balance = await pool.balanceOf(alice.address);
      await expect(pool.connect(alice).transfer(alice.address, parseEther("1")))
        .to.emit(pool, "TransferShares")
        .withArgs(alice.address, alice.address, mulDivUp(parseEther("1"), 2n, 3n));
      expect(await pool.sharesOf(alice.address)).to.equal(ALICE_STAKE);
      expect(await pool.balanceOf(alice.address)).to.equal(balance);
    });

    it("rejects the zero address, the pool and the wrapper as receiver with ERC20InvalidReceiver(to)", async function () {
      const { pool, poolAddress, wrapperAddress, alice } = await loadFixture(stakedFixture);
      for (const to of [ZeroAddress, poolAddress, wrapperAddress]) {
        await expect(pool.connect(alice).transfer(to, parseEther("1")))
          .to.be.revertedWithCustomError(pool, "ERC20InvalidReceiver")
          .withArgs(to);
        await expect(pool.connect(alice).transfer(to, 0n))
          .to.be.revertedWithCustomError(pool, "ERC20InvalidReceiver")
          .withArgs(to);
      }
    });

    for (const { label, fixture } of RATES) {
      it(`reverts with ERC20InsufficientBalance(from, balance, amount) just above the balance at ${label}`, async function () {
        const { pool, alice, carol } = await loadFixture(fixture);
        const { shares: totalShares, ether: totalEther } = await rate(pool);
        const shares = await pool.sharesOf(alice.address);
        const balance = mulDivDown(shares, totalEther, totalShares);
        // The smallest amount whose shares, rounded up, exceed the holder's shares.
        expect(mulDivUp(balance + 1n, totalShares, totalEther)).to.be.greaterThan(shares);
        await expect(pool.connect(alice).transfer(carol.address, balance + 1n))
          .to.be.revertedWithCustomError(pool, "ERC20InsufficientBalance")
          .withArgs(alice.address, balance, balance + 1n);
      });
    }

    it("reverts with ERC20InsufficientBalance from an account with no shares", async function () {
      const { pool, carol, dave } = await loadFixture(stakedAt3To2Fixture);
      await expect(pool.connect(carol).transfer(dave.address, 1n))
        .to.be.revertedWithCustomError(pool, "ERC20InsufficientBalance")
        .withArgs(carol.address, 0n, 1n);
    });

    it("reverts with ERC20InsufficientBalance, not a panic, for 2^255 and 2^256 - 1 at every rate", async function () {
      for (const { fixture } of RATES) {
        const { pool, alice, carol } = await loadFixture(fixture);
        const { shares: totalShares, ether: totalEther } = await rate(pool);
        const balance = mulDivDown(ALICE_STAKE, totalEther, totalShares);
        for (const amount of [TWO_POW_255, MaxUint256]) {
          await expect(pool.connect(alice).transfer(carol.address, amount))
            .to.be.revertedWithCustomError(pool, "ERC20InsufficientBalance")
            .withArgs(alice.address, balance, amount);
        }
      }
    });
  });

  describe("approve and allowance", function () {
    it("sets the allowance, emits Approval and returns true", async function () {
      const { pool, alice, dave } = await loadFixture(stakedFixture);
      expect(await pool.connect(alice).approve.staticCall(dave.address, 5n)).to.equal(true);
      await expect(pool.connect(alice).approve(dave.address, parseEther("5")))
        .to.emit(pool, "Approval")
        .withArgs(alice.address, dave.address, parseEther("5"));
      expect(await pool.allowance(alice.address, dave.address)).to.equal(parseEther("5"));
      expect(await pool.allowance(dave.address, alice.address)).to.equal(0n);
    });

    it("overwrites the previous allowance, down to zero", async function () {
      const { pool, alice, dave } = await loadFixture(stakedFixture);
      await pool.connect(alice).approve(dave.address, parseEther("5"));
      await pool.connect(alice).approve(dave.address, MaxUint256);
      expect(await pool.allowance(alice.address, dave.address)).to.equal(MaxUint256);
      await expect(pool.connect(alice).approve(dave.address, 0n))
        .to.emit(pool, "Approval")
        .withArgs(alice.address, dave.address, 0n);
      expect(await pool.allowance(alice.address, dave.address)).to.equal(0n);
    });

    it("allows approving more than the balance", async function () {
      const { pool, carol, dave } = await loadFixture(stakedFixture);
      await pool.connect(carol).approve(dave.address, parseEther("100"));
      expect(await pool.allowance(carol.address, dave.address)).to.equal(parseEther("100"));
    });

    it("rejects the zero address as spender with ERC20InvalidSpender(0)", async function () {
      const { pool, alice } = await loadFixture(stakedFixture);
      await expect(pool.connect(alice).approve(ZeroAddress, 1n))
        .to.be.revertedWithCustomError(pool, "ERC20InvalidSpender")
        .withArgs(ZeroAddress);
    });
  });

  describe("transferFrom", function () {
    for (const { label, fixture } of RATES) {
      it(`spends exactly the amount of allowance and moves the amount's shares rounded up at ${label}`, async function () {
        const { pool, alice, carol, dave } = await loadFixture(fixture);
        const { shares: totalShares, ether: totalEther } = await rate(pool);
        const allowance = parseEther("5");
        await pool.connect(alice).approve(dave.address, allowance);
        const amount = parseEther("1") + 1n;
        const moved = mulDivUp(amount, totalShares, totalEther);
        expect(await pool.connect(dave).transferFrom.staticCall(alice.address, carol.address, amount)).to.equal(true);
        await expect(pool.connect(dave).transferFrom(alice.address, carol.address, amount))
          .to.emit(pool, "Transfer")
          .withArgs(alice.address, carol.address, amount)
          .and.to.emit(pool, "TransferShares")
          .withArgs(alice.address, carol.address, moved)
          .and.not.to.emit(pool, "Approval");
        expect(await pool.allowance(alice.address, dave.address)).to.equal(allowance - amount);
        expect(await pool.sharesOf(alice.address)).to.equal(ALICE_STAKE - moved);
        expect(await pool.sharesOf(carol.address)).to.equal(moved);
        expect((await pool.balanceOf(carol.address)) >= amount).to.equal(true);
      });
    }

    it("spends the whole allowance when the amount equals it", async function () {
      const { pool, alice, carol, dave } = await loadFixture(stakedAt3To2Fixture);
      await pool.connect(alice).approve(dave.address, 7n);
      await pool.connect(dave).transferFrom(alice.address, carol.address, 7n);
      expect(await pool.allowance(alice.address, dave.address)).to.equal(0n);
      expect(await pool.sharesOf(carol.address)).to.equal(mulDivUp(7n, 2n, 3n));
    });

    it("does not decrease an infinite allowance", async function () {
      const { pool, alice, carol, dave } = await loadFixture(stakedAt3To2Fixture);
      await pool.connect(alice).approve(dave.address, MaxUint256);
      await pool.connect(dave).transferFrom(alice.address, carol.address, parseEther("3"));
      expect(await pool.allowance(alice.address, dave.address)).to.equal(MaxUint256);
      expect(await pool.sharesOf(carol.address)).to.equal(parseEther("2"));
    });

    it("reverts with ERC20InsufficientAllowance(spender, allowance, amount)", async function () {
      const { pool, alice, carol, dave } = await loadFixture(stakedFixture);
      await expect(pool.connect(dave).transferFrom(alice.address, carol.address, 1n))
        .to.be.revertedWithCustomError(pool, "ERC20InsufficientAllowance")
        .withArgs(dave.address, 0n, 1n);
      await pool.connect(alice).approve(dave.address, parseEther("1"));
      await expect(pool.connect(dave).transferFrom(alice.address, carol.address, parseEther("1") + 1n))
        .to.be.revertedWithCustomError(pool, "ERC20InsufficientAllowance")
        .withArgs(dave.address, parseEther("1"), parseEther("1") + 1n);
      await expect(pool.connect(dave).transferFrom(alice.address, carol.address, TWO_POW_255))
        .to.be.revertedWithCustomError(pool, "ERC20InsufficientAllowance")
        .withArgs(dave.address, parseEther("1"), TWO_POW_255);
    });

    it("requires an allowance even for the owner's own tokens", async function () {
      const { pool, alice, carol } = await loadFixture(stakedFixture);
      await expect(pool.connect(alice).transferFrom(alice.address, carol.address, 1n))
        .to.be.revertedWithCustomError(pool, "ERC20InsufficientAllowance")
        .withArgs(alice.address, 0n, 1n);
    });

    it("reverts with ERC20InsufficientBalance when the allowance covers more than the balance", async function () {
      const { pool, alice, carol, dave } = await loadFixture(stakedAt3To2Fixture);
      await pool.connect(alice).approve(dave.address, MaxUint256);
      const balance = mulDivDown(ALICE_STAKE, 3n, 2n);
      expect(await pool.balanceOf(alice.address)).to.equal(balance);
      for (const amount of [balance + 1n, TWO_POW_255, MaxUint256]) {
        await expect(pool.connect(dave).transferFrom(alice.address, carol.address, amount))
          .to.be.revertedWithCustomError(pool, "ERC20InsufficientBalance")
          .withArgs(alice.address, balance, amount);
      }
      await pool.connect(dave).transferFrom(alice.address, carol.address, balance);
      expect(await pool.balanceOf(carol.address)).to.equal(balance);
    });

    it("accepts a zero amount without any allowance", async function () {
      const { pool, alice, carol, dave } = await loadFixture(stakedFixture);
      await expect(pool.connect(dave).transferFrom(alice.address, carol.address, 0n))
        .to.emit(pool, "Transfer")
        .withArgs(alice.address, carol.address, 0n)
        .and.to.emit(pool, "TransferShares")
        .withArgs(alice.address, carol.address, 0n);
    });

    it("rejects the zero address as sender with ERC20InvalidSender(0) for any amount, so no transfer looks like a mint", async function () {
      const { pool, carol, dave } = await loadFixture(stakedFixture);
      const totals = await rate(pool);
      for (const amount of [0n, 1n, parseEther("1")]) {
        await expect(pool.connect(dave).transferFrom(ZeroAddress, carol.address, amount))
          .to.be.revertedWithCustomError(pool, "ERC20InvalidSender")
          .withArgs(ZeroAddress);
      }
      expect(await pool.sharesOf(carol.address)).to.equal(0n);
      expect(await rate(pool)).to.deep.equal(totals);
    });

    it("rejects the zero address, the pool and the wrapper as receiver with ERC20InvalidReceiver(to)", async function () {
      const { pool, poolAddress, wrapperAddress, alice, dave } = await loadFixture(stakedFixture);
      await pool.connect(alice).approve(dave.address, MaxUint256);
      for (const to of [ZeroAddress, poolAddress, wrapperAddress]) {
        await expect(pool.connect(dave).transferFrom(alice.address, to, parseEther("1")))
          .to.be.revertedWithCustomError(pool, "ERC20InvalidReceiver")
          .withArgs(to);
      }
    });
  });

  describe("transferShares", function () {
    for (const { label, fixture } of RATES) {
      it(`moves exactly the shares and returns their value rounded down at ${label}`, async function () {
        const { pool, alice, bob } = await loadFixture(fixture);
        const { shares: totalShares, ether: totalEther } = await rate(pool);
        for (const shares of SAMPLES) {
          const value = mulDivDown(shares, totalEther, totalShares);
          const aliceShares = await pool.sharesOf(alice.address);
          const bobShares = await pool.sharesOf(bob.address);
          expect(await pool.connect(alice).transferShares.staticCall(bob.address, shares)).to.equal(value);
          await expect(pool.connect(alice).transferShares(bob.address, shares))
            .to.emit(pool, "Transfer")
            .withArgs(alice.address, bob.address, value)
            .and.to.emit(pool, "TransferShares")
            .withArgs(alice.address, bob.address, shares);
          expect(await pool.sharesOf(alice.address)).to.equal(aliceShares - shares);
          expect(await pool.sharesOf(bob.address)).to.equal(bobShares + shares);
        }
      });
    }

    it("moves every share a holder has", async function () {
      const { pool, alice, carol } = await loadFixture(stakedAtOddRateFixture);
      await pool.connect(alice).transferShares(carol.address, ALICE_STAKE);
      expect(await pool.sharesOf(alice.address)).to.equal(0n);
      expect(await pool.balanceOf(alice.address)).to.equal(0n);
      expect(await pool.sharesOf(carol.address)).to.equal(ALICE_STAKE);
    });

    it("reverts with InsufficientShares(from, shares, asked) above the shares held", async function () {
      const { pool, alice, carol } = await loadFixture(stakedAt3To2Fixture);
      await expect(pool.connect(alice).transferShares(carol.address, ALICE_STAKE + 1n))
        .to.be.revertedWithCustomError(pool, "InsufficientShares")
        .withArgs(alice.address, ALICE_STAKE, ALICE_STAKE + 1n);
      await expect(pool.connect(carol).transferShares(alice.address, 1n))
        .to.be.revertedWithCustomError(pool, "InsufficientShares")
        .withArgs(carol.address, 0n, 1n);
    });

    it("reverts with InsufficientShares for 2^255 shares at every rate below 2 ETH per share", async function () {
      for (const { fixture } of RATES) {
        const { pool, alice, carol } = await loadFixture(fixture);
        await expect(pool.connect(alice).transferShares(carol.address, TWO_POW_255))
          .to.be.revertedWithCustomError(pool, "InsufficientShares")
          .withArgs(alice.address, ALICE_STAKE, TWO_POW_255);
      }
    });

    it("reverts with InsufficientShares, not a panic, when the shares asked for are worth more than 2^256 - 1 wei", async function () {
      for (const [fixture, shares] of [
        [stakedAt3To2Fixture, MaxUint256],
        [stakedAtOddRateFixture, MaxUint256],
        [stakedAt2To1Fixture, TWO_POW_255],
      ] as const) {
        const { pool, alice, carol } = await loadFixture(fixture);
        await expect(pool.connect(alice).transferShares(carol.address, shares))
          .to.be.revertedWithCustomError(pool, "InsufficientShares")
          .withArgs(alice.address, ALICE_STAKE, shares);
      }
    });

    it("rejects the zero address, the pool and the wrapper as receiver with ERC20InvalidReceiver(to)", async function () {
      const { pool, poolAddress, wrapperAddress, alice } = await loadFixture(stakedFixture);
      for (const to of [ZeroAddress, poolAddress, wrapperAddress]) {
        await expect(pool.connect(alice).transferShares(to, 1n))
          .to.be.revertedWithCustomError(pool, "ERC20InvalidReceiver")
          .withArgs(to);
      }
    });
  });

  describe("transferSharesFrom", function () {
    for (const { label, fixture } of RATES) {
      it(`moves exactly the shares, spending and returning their value rounded up at ${label}`, async function () {
        const { pool, alice, bob, dave } = await loadFixture(fixture);
        const { shares: totalShares, ether: totalEther } = await rate(pool);
        let allowance = parseEther("9");
        await pool.connect(alice).approve(dave.address, allowance);
        for (const shares of SAMPLES) {
          const spent = mulDivUp(shares, totalEther, totalShares);
          const aliceShares = await pool.sharesOf(alice.address);
          const bobShares = await pool.sharesOf(bob.address);
          expect(await pool.connect(dave).transferSharesFrom.staticCall(alice.address, bob.address, shares)).to.equal(
            spent,
          );
          await expect(pool.connect(dave).transferSharesFrom(alice.address, bob.address, shares))
            .to.emit(pool, "Transfer")
            .withArgs(alice.address, bob.address, spent)
            .and.to.emit(pool, "TransferShares")
            .withArgs(alice.address, bob.address, shares);
          allowance -= spent;
          expect(await pool.allowance(alice.address, dave.address)).to.equal(allowance);
          expect(await pool.sharesOf(alice.address)).to.equal(aliceShares - shares);
          expect(await pool.sharesOf(bob.address)).to.equal(bobShares + shares);
        }
      });
    }

    it("does not decrease an infinite allowance", async function () {
      const { pool, alice, carol, dave } = await loadFixture(stakedAt3To2Fixture);
      await pool.connect(alice).approve(dave.address, MaxUint256);
      await pool.connect(dave).transferSharesFrom(alice.address, carol.address, 3n);
      expect(await pool.allowance(alice.address, dave.address)).to.equal(MaxUint256);
      expect(await pool.sharesOf(carol.address)).to.equal(3n);
    });

    it("reverts with ERC20InsufficientAllowance(spender, allowance, value rounded up)", async function () {
      const { pool, alice, carol, dave } = await loadFixture(stakedAt3To2Fixture);
      // 3 shares are worth 4.5 wei: 4 rounded down is not enough, 5 is needed.
      await pool.connect(alice).approve(dave.address, 4n);
      await expect(pool.connect(dave).transferSharesFrom(alice.address, carol.address, 3n))
        .to.be.revertedWithCustomError(pool, "ERC20InsufficientAllowance")
        .withArgs(dave.address, 4n, 5n);
      await pool.connect(alice).approve(dave.address, 5n);
      await pool.connect(dave).transferSharesFrom(alice.address, carol.address, 3n);
      expect(await pool.allowance(alice.address, dave.address)).to.equal(0n);
    });

    it("reverts with InsufficientShares(from, shares, asked) above the shares held", async function () {
      const { pool, alice, carol, dave } = await loadFixture(stakedAt3To2Fixture);
      await pool.connect(alice).approve(dave.address, MaxUint256);
      await expect(pool.connect(dave).transferSharesFrom(alice.address, carol.address, ALICE_STAKE + 1n))
        .to.be.revertedWithCustomError(pool, "InsufficientShares")
        .withArgs(alice.address, ALICE_STAKE, ALICE_STAKE + 1n);
    });

    it("reverts with InsufficientShares for 2^255 shares at every rate below 2 ETH per share", async function () {
      for (const { fixture } of RATES) {
        const { pool, alice, carol, dave } = await loadFixture(fixture);
        await pool.connect(alice).approve(dave.address, MaxUint256);
        await expect(pool.connect(dave).transferSharesFrom(alice.address, carol.address, TWO_POW_255))
          .to.be.revertedWithCustomError(pool, "InsufficientShares")
          .withArgs(alice.address, ALICE_STAKE, TWO_POW_255);
      }
    });

    it("reverts with InsufficientShares, not a panic, when the shares asked for are worth more than 2^256 - 1 wei", async function () {
      for (const [fixture, shares] of [
        [stakedAt3To2Fixture, MaxUint256],
        [stakedAtOddRateFixture, MaxUint256],
        [stakedAt2To1Fixture, TWO_POW_255],
      ] as const) {
        const { pool, alice, carol, dave } = await loadFixture(fixture);
        await pool.connect(alice).approve(dave.address, MaxUint256);
        await expect(pool.connect(dave).transferSharesFrom(alice.address, carol.address, shares))
          .to.be.revertedWithCustomError(pool, "InsufficientShares")
          .withArgs(alice.address, ALICE_STAKE, shares);
      }
    });

    it("rejects the zero address as sender with ERC20InvalidSender(0) for any number of shares", async function () {
      const { pool, carol, dave } = await loadFixture(stakedFixture);
      const totals = await rate(pool);
      for (const shares of [0n, 1n, parseEther("1")]) {
        await expect(pool.connect(dave).transferSharesFrom(ZeroAddress, carol.address, shares))
          .to.be.revertedWithCustomError(pool, "ERC20InvalidSender")
          .withArgs(ZeroAddress);
      }
      expect(await pool.sharesOf(carol.address)).to.equal(0n);
      expect(await rate(pool)).to.deep.equal(totals);
    });

    it("rejects the zero address, the pool and the wrapper as receiver with ERC20InvalidReceiver(to)", async function () {
      const { pool, poolAddress, wrapperAddress, alice, dave } = await loadFixture(stakedFixture);
      await pool.connect(alice).approve(dave.address, MaxUint256);
      for (const to of [ZeroAddress, poolAddress, wrapperAddress]) {
        await expect(pool.connect(dave).transferSharesFrom(alice.address, to, 1n))
          .to.be.revertedWithCustomError(pool, "ERC20InvalidReceiver")
          .withArgs(to);
      }
    });
  });

  describe("transferSharesToWrapper", function () {
    it("reverts with CallerNotWrapper(caller) for anyone but the wrapper", async function () {
      const { pool, admin, alice } = await loadFixture(stakedFixture);
      for (const caller of [alice, admin]) {
        await expect(pool.connect(caller).transferSharesToWrapper(alice.address, 1n))
          .to.be.revertedWithCustomError(pool, "CallerNotWrapper")
          .withArgs(caller.address);
      }
    });

    it("lets the wrapper pull its caller's shares without an allowance", async function () {
      const { pool, wrapper, wrapperAddress, alice } = await loadFixture(stakedAt3To2Fixture);
      const amount = parseEther("3") + 1n;
      const shares = mulDivDown(amount, 2n, 3n);
      await expect(wrapper.connect(alice).wrap(amount))
        .to.emit(pool, "TransferShares")
        .withArgs(alice.address, wrapperAddress, shares)
        .and.to.emit(pool, "Transfer")
        .withArgs(alice.address, wrapperAddress, mulDivDown(shares, 3n, 2n));
      expect(await pool.sharesOf(alice.address)).to.equal(ALICE_STAKE - shares);
      expect(await pool.sharesOf(wrapperAddress)).to.equal(shares);
      expect(await pool.allowance(alice.address, wrapperAddress)).to.equal(0n);
    });

    it("returns the shares' value rounded down to the wrapper and checks the shares held", async function () {
      const { pool, wrapperAddress, alice, carol } = await loadFixture(stakedAt3To2Fixture);
      await impersonateAccount(wrapperAddress);
      await setBalance(wrapperAddress, parseEther("1"));
      const asWrapper = pool.connect(await ethers.getSigner(wrapperAddress));
      expect(await asWrapper.transferSharesToWrapper.staticCall(alice.address, 3n)).to.equal(4n);
      await expect(asWrapper.transferSharesToWrapper(alice.address, 3n))
        .to.emit(pool, "Transfer")
        .withArgs(alice.address, wrapperAddress, 4n)
        .and.to.emit(pool, "TransferShares")
        .withArgs(alice.address, wrapperAddress, 3n);
      expect(await pool.sharesOf(wrapperAddress)).to.equal(3n);
      await expect(asWrapper.transferSharesToWrapper(carol.address, 1n))
        .to.be.revertedWithCustomError(pool, "InsufficientShares")
        .withArgs(carol.address, 0n, 1n);
      await stopImpersonatingAccount(wrapperAddress);
    });
  });

  describe("moves from a caller-given address", function () {
    it("refuse the zero address as sender with ERC20InvalidSender(0) even when the wrapper or the queue names it", async function () {
      const { pool, wrapperAddress, withdrawalQueue } = await loadFixture(stakedFixture);
      const queueAddress = await withdrawalQueue.getAddress();
      const totals = await rate(pool);
      for (const peer of [wrapperAddress, queueAddress]) {
        await impersonateAccount(peer);
        await setBalance(peer, parseEther("1"));
        const asPeer = pool.connect(await ethers.getSigner(peer));
        for (const amount of [0n, 1n]) {
          const call =
            peer === wrapperAddress
              ? asPeer.transferSharesToWrapper(ZeroAddress, amount)
              : asPeer.bringIntoWithdrawalQueue(ZeroAddress, amount);
          await expect(call).to.be.revertedWithCustomError(pool, "ERC20InvalidSender").withArgs(ZeroAddress);
        }
        await stopImpersonatingAccount(peer);
      }
      expect(await pool.sharesOf(wrapperAddress)).to.equal(0n);
      expect(await pool.sharesOf(queueAddress)).to.equal(0n);
      expect(await rate(pool)).to.deep.equal(totals);
    });
  });

  describe("permit", function () {
    it("sets the allowance from an EOA's signature, emits Approval and uses the nonce", async function () {
      const { pool, alice, dave, carol } = await loadFixture(stakedFixture);
      const value = parseEther("4");
      const deadline = await deadlineIn(3600n);
      expect(await pool.nonces(alice.address)).to.equal(0n);
      const { v, r, s } = await signPermit(pool, alice, dave.address, value, deadline);
      // Anyone may submit the signed permit.
      await expect(pool.connect(carol)[PERMIT_VRS](alice.address, dave.address, value, deadline, v, r, s))
        .to.emit(pool, "Approval")
        .withArgs(alice.address, dave.address, value);
      expect(await pool.allowance(alice.address, dave.address)).to.equal(value);
      expect(await pool.nonces(alice.address)).to.equal(1n);
      expect(await pool.nonces(dave.address)).to.equal(0n);
      const second = await signPermit(pool, alice, dave.address, 0n, deadline);
      await pool[PERMIT_VRS](alice.address, dave.address, 0n, deadline, second.v, second.r, second.s);
      expect(await pool.allowance(alice.address, dave.address)).to.equal(0n);
      expect(await pool.nonces(alice.address)).to.equal(2n);
    });

    it("accepts a permit in the second of its deadline", async function () {
      const { pool, alice, dave } = await loadFixture(stakedFixture);
      const deadline = await deadlineIn(100n);
      const { v, r, s } = await signPermit(pool, alice, dave.address, 1n, deadline);
      await time.setNextBlockTimestamp(deadline);
      await pool[PERMIT_VRS](alice.address, dave.address, 1n, deadline, v, r, s);
      expect(await pool.allowance(alice.address, dave.address)).to.equal(1n);
    });

    it("rejects an expired permit with ERC2612ExpiredSignature(deadline)", async function () {
      const { pool, alice, dave } = await loadFixture(stakedFixture);
      const deadline = await deadlineIn(100n);
      const { v, r, s } = await signPermit(pool, alice, dave.address, 1n, deadline);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(pool[PERMIT_VRS](alice.address, dave.address, 1n, deadline, v, r, s))
        .to.be.revertedWithCustomError(pool, "ERC2612ExpiredSignature")
        .withArgs(deadline);
      expect(await pool.nonces(alice.address)).to.equal(0n);
    });

    it("rejects a replayed signature with PermitInvalidSignature(owner)", async function () {
      const { pool, alice, dave } = await loadFixture(stakedFixture);
      const deadline = await deadlineIn(3600n);
      const { v, r, s } = await signPermit(pool, alice, dave.address, 5n, deadline);
      await pool[PERMIT_VRS](alice.address, dave.address, 5n, deadline, v, r, s);
      await pool.connect(alice).approve(dave.address, 0n);
      await expect(pool[PERMIT_VRS](alice.address, dave.address, 5n, deadline, v, r, s))
        .to.be.revertedWithCustomError(pool, "PermitInvalidSignature")
        .withArgs(alice.address);
      expect(await pool.allowance(alice.address, dave.address)).to.equal(0n);
      expect(await pool.nonces(alice.address)).to.equal(1n);
    });

    it("rejects a signature by another key with PermitInvalidSignature(owner)", async function () {
      const { pool, alice, bob, dave } = await loadFixture(stakedFixture);
      const deadline = await deadlineIn(3600n);
      const { v, r, s } = await signPermit(pool, bob, dave.address, 5n, deadline, { owner: alice.address });
      await expect(pool[PERMIT_VRS](alice.address, dave.address, 5n, deadline, v, r, s))
        .to.be.revertedWithCustomError(pool, "PermitInvalidSignature")
        .withArgs(alice.address);
      expect(await pool.nonces(alice.address)).to.equal(0n);
    });

    it("rejects a signature over other permit fields with PermitInvalidSignature(owner)", async function () {
      const { pool, alice, carol, dave } = await loadFixture(stakedFixture);
      const deadline = await deadlineIn(3600n);
      const { v, r, s } = await signPermit(pool, alice, dave.address, 5n, deadline);
      for (const [spender, value, signedDeadline] of [
        [dave.address, 6n, deadline],
        [carol.address, 5n, deadline],
        [dave.address, 5n, deadline + 1n],
      ] as const) {
        await expect(pool[PERMIT_VRS](alice.address, spender, value, signedDeadline, v, r, s))
          .to.be.revertedWithCustomError(pool, "PermitInvalidSignature")
          .withArgs(alice.address);
      }
      const future = await signPermit(pool, alice, dave.address, 5n, deadline, { nonce: 1n });
      await expect(pool[PERMIT_VRS](alice.address, dave.address, 5n, deadline, future.v, future.r, future.s))
        .to.be.revertedWithCustomError(pool, "PermitInvalidSignature")
        .withArgs(alice.address);
    });

    it("rejects a signature for another domain with PermitInvalidSignature(owner)", async function () {
      const { pool, wrapperAddress, alice, dave } = await loadFixture(stakedFixture);
      const deadline = await deadlineIn(3600n);
      const domain = await permitDomain(pool);
      for (const other of [
        { ...domain, chainId: 1n },
        { ...domain, verifyingContract: wrapperAddress },
        { ...domain, version: "2" },
        { ...domain, name: "Wrapped Tidepool Staked Ether" },
      ]) {
        const { v, r, s } = await signPermit(pool, alice, dave.address, 5n, deadline, { domain: other });
        await expect(pool[PERMIT_VRS](alice.address, dave.address, 5n, deadline, v, r, s))
          .to.be.revertedWithCustomError(pool, "PermitInvalidSignature")
          .withArgs(alice.address);
      }
    });

    it("accepts an ERC-1271 signature for a contract wallet, after which the spender can pull its tpETH", async function () {
      const { pool, alice, carol, dave } = await loadFixture(stakedAt3To2Fixture);
      const wallet = await (await ethers.getContractFactory("ERC1271Wallet__Mock")).deploy(alice.address);
      const walletAddress = await wallet.getAddress();
      await pool.connect(alice).transfer(walletAddress, parseEther("2"));
      const walletShares = await pool.sharesOf(walletAddress);
      expect(walletShares).to.equal(mulDivUp(parseEther("2"), 2n, 3n));
      const value = parseEther("1.5");
      const deadline = await deadlineIn(3600n);
      const { owner, v, r, s } = await signPermit(pool, alice, dave.address, value, deadline, { owner: walletAddress });
      expect(owner).to.equal(walletAddress);
      await expect(pool.connect(carol)[PERMIT_VRS](walletAddress, dave.address, value, deadline, v, r, s))
        .to.emit(pool, "Approval")
        .withArgs(walletAddress, dave.address, value);
      expect(await pool.allowance(walletAddress, dave.address)).to.equal(value);
      expect(await pool.nonces(walletAddress)).to.equal(1n);
      const moved = mulDivUp(value, 2n, 3n);
      await expect(pool.connect(dave).transferFrom(walletAddress, carol.address, value))
        .to.emit(pool, "TransferShares")
        .withArgs(walletAddress, carol.address, moved);
      expect(await pool.allowance(walletAddress, dave.address)).to.equal(0n);
      expect(await pool.sharesOf(walletAddress)).to.equal(walletShares - moved);
      expect(await pool.sharesOf(carol.address)).to.equal(moved);
    });

    it("rejects an ERC-1271 permit the wallet does not accept with PermitInvalidSignature(wallet)", async function () {
      const { pool, alice, bob, dave } = await loadFixture(stakedFixture);
      const wallet = await (await ethers.getContractFactory("ERC1271Wallet__Mock")).deploy(bob.address);
      const walletAddress = await wallet.getAddress();
      const deadline = await deadlineIn(3600n);
      const { v, r, s } = await signPermit(pool, alice, dave.address, 5n, deadline, { owner: walletAddress });
      await expect(pool[PERMIT_VRS](walletAddress, dave.address, 5n, deadline, v, r, s))
        .to.be.revertedWithCustomError(pool, "PermitInvalidSignature")
        .withArgs(walletAddress);
      expect(await pool.nonces(walletAddress)).to.equal(0n);
    });

    it("lets a contract wallet move its tpETH itself", async function () {
      const { pool, poolAddress, alice, carol } = await loadFixture(stakedFixture);
      const wallet = await (await ethers.getContractFactory("ERC1271Wallet__Mock")).deploy(alice.address);
      const walletAddress = await wallet.getAddress();
      await alice.sendTransaction({ to: walletAddress, value: parseEther("1") });
      await wallet
        .connect(alice)
        .execute(poolAddress, parseEther("1"), pool.interface.encodeFunctionData("stake", [ZeroAddress]));
      expect(await pool.sharesOf(walletAddress)).to.equal(parseEther("1"));
      await wallet
        .connect(alice)
        .execute(poolAddress, 0n, pool.interface.encodeFunctionData("transfer", [carol.address, parseEther("0.4")]));
      expect(await pool.balanceOf(carol.address)).to.equal(parseEther("0.4"));
      expect(await pool.balanceOf(walletAddress)).to.equal(parseEther("0.6"));
    });

    it("rejects a permit for the zero spender with ERC20InvalidSpender(0)", async function () {
      const { pool, alice } = await loadFixture(stakedFixture);
      const deadline = await deadlineIn(3600n);
      const { v, r, s } = await signPermit(pool, alice, ZeroAddress, 5n, deadline);
      await expect(pool[PERMIT_VRS](alice.address, ZeroAddress, 5n, deadline, v, r, s))
        .to.be.revertedWithCustomError(pool, "ERC20InvalidSpender")
        .withArgs(ZeroAddress);
    });

    it("accepts the permit as one bytes signature (65 bytes, r ‖ s ‖ v) from an EOA, sharing the nonces of the (v, r, s) form", async function () {
      const { pool, alice, carol, dave } = await loadFixture(stakedFixture);
      const deadline = await deadlineIn(3600n);
      const first = await signPermit(pool, alice, dave.address, 7n, deadline);
      expect(dataLength(first.signature)).to.equal(65);
      await expect(pool.connect(carol)[PERMIT_BYTES](alice.address, dave.address, 7n, deadline, first.signature))
        .to.emit(pool, "Approval")
        .withArgs(alice.address, dave.address, 7n);
      expect(await pool.allowance(alice.address, dave.address)).to.equal(7n);
      expect(await pool.nonces(alice.address)).to.equal(1n);
      // Used once, in either form.
      await expect(pool[PERMIT_VRS](alice.address, dave.address, 7n, deadline, first.v, first.r, first.s))
        .to.be.revertedWithCustomError(pool, "PermitInvalidSignature")
        .withArgs(alice.address);
      await expect(pool[PERMIT_BYTES](alice.address, dave.address, 7n, deadline, first.signature))
        .to.be.revertedWithCustomError(pool, "PermitInvalidSignature")
        .withArgs(alice.address);
      const second = await signPermit(pool, alice, dave.address, 9n, deadline);
      await pool[PERMIT_VRS](alice.address, dave.address, 9n, deadline, second.v, second.r, second.s);
      const third = await signPermit(pool, alice, dave.address, 11n, deadline);
      await pool[PERMIT_BYTES](alice.address, dave.address, 11n, deadline, third.signature);
      expect(await pool.allowance(alice.address, dave.address)).to.equal(11n);
      expect(await pool.nonces(alice.address)).to.equal(3n);
    });

    it("accepts a 2-of-2 multisig wallet's 130-byte ERC-1271 signature, after which the spender can pull its tpETH", async function () {
      const { pool, alice, bob, carol, dave } = await loadFixture(stakedAt3To2Fixture);
      const wallet = await ethers.deployContract("MultisigWallet__Mock", [alice.address, bob.address]);
      const walletAddress = await wallet.getAddress();
      await pool.connect(alice).transfer(walletAddress, parseEther("2"));
      const walletShares = await pool.sharesOf(walletAddress);
      const value = parseEther("1.5");
      const deadline = await deadlineIn(3600n);
      const signature = await signMultisigPermit(pool, [alice, bob], walletAddress, dave.address, value, deadline);
      expect(dataLength(signature)).to.equal(130);

      await expect(pool.connect(carol)[PERMIT_BYTES](walletAddress, dave.address, value, deadline, signature))
        .to.emit(pool, "Approval")
        .withArgs(walletAddress, dave.address, value);
      expect(await pool.allowance(walletAddress, dave.address)).to.equal(value);
      expect(await pool.nonces(walletAddress)).to.equal(1n);
      const moved = mulDivUp(value, 2n, 3n);
      await expect(pool.connect(dave).transferFrom(walletAddress, carol.address, value))
        .to.emit(pool, "TransferShares")
        .withArgs(walletAddress, carol.address, moved);
      expect(await pool.allowance(walletAddress, dave.address)).to.equal(0n);
      expect(await pool.sharesOf(walletAddress)).to.equal(walletShares - moved);
      expect(await pool.sharesOf(carol.address)).to.equal(moved);
    });

    it("rejects a multisig permit with a signature missing, swapped or by a stranger with PermitInvalidSignature(wallet)", async function () {
      const { pool, alice, bob, carol, dave } = await loadFixture(stakedFixture);
      const wallet = await ethers.deployContract("MultisigWallet__Mock", [alice.address, bob.address]);
      const walletAddress = await wallet.getAddress();
      const deadline = await deadlineIn(3600n);
      const by = async (signer: HardhatEthersSigner) =>
        (await signPermit(pool, signer, dave.address, 5n, deadline, { owner: walletAddress })).signature;
      const [a, b, c] = [await by(alice), await by(bob), await by(carol)];
      for (const signature of ["0x", a, concat([b, a]), concat([a, c]), concat([a, b, "0x00"])]) {
        await expect(pool[PERMIT_BYTES](walletAddress, dave.address, 5n, deadline, signature))
          .to.be.revertedWithCustomError(pool, "PermitInvalidSignature")
          .withArgs(walletAddress);
      }
      expect(await pool.nonces(walletAddress)).to.equal(0n);
      expect(await pool.allowance(walletAddress, dave.address)).to.equal(0n);
    });

    it("rejects an EOA's bytes permit that is not 65 bytes or not the owner's with PermitInvalidSignature(owner)", async function () {
      const { pool, alice, bob, dave } = await loadFixture(stakedFixture);
      const deadline = await deadlineIn(3600n);
      const own = await signPermit(pool, alice, dave.address, 5n, deadline);
      const compact = Signature.from(own.signature).compactSerialized; // EIP-2098, 64 bytes
      const forged = await signPermit(pool, bob, dave.address, 5n, deadline, { owner: alice.address });
      for (const signature of ["0x", compact, concat([own.signature, "0x00"]), forged.signature]) {
        await expect(pool[PERMIT_BYTES](alice.address, dave.address, 5n, deadline, signature))
          .to.be.revertedWithCustomError(pool, "PermitInvalidSignature")
          .withArgs(alice.address);
      }
      expect(await pool.nonces(alice.address)).to.equal(0n);
      await pool[PERMIT_BYTES](alice.address, dave.address, 5n, deadline, own.signature);
      expect(await pool.allowance(alice.address, dave.address)).to.equal(5n);
    });

    it("rejects an expired bytes permit with ERC2612ExpiredSignature(deadline) and a zero spender with ERC20InvalidSpender(0)", async function () {
      const { pool, alice, dave } = await loadFixture(stakedFixture);
      const deadline = await deadlineIn(100n);
      const expiring = await signPermit(pool, alice, dave.address, 1n, deadline);
      const toZero = await signPermit(pool, alice, ZeroAddress, 1n, deadline);
      await expect(pool[PERMIT_BYTES](alice.address, ZeroAddress, 1n, deadline, toZero.signature))
        .to.be.revertedWithCustomError(pool, "ERC20InvalidSpender")
        .withArgs(ZeroAddress);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(pool[PERMIT_BYTES](alice.address, dave.address, 1n, deadline, expiring.signature))
        .to.be.revertedWithCustomError(pool, "ERC2612ExpiredSignature")
        .withArgs(deadline);
      expect(await pool.nonces(alice.address)).to.equal(0n);
    });

    it("publishes its EIP-712 domain and a DOMAIN_SEPARATOR that matches it", async function () {
      const { pool, poolAddress } = await loadFixture(deployTidepool);
      const [fields, name, version, chainId, verifyingContract, salt, extensions] = await pool.eip712Domain();
      expect(fields).to.equal("0x0f");
      expect(name).to.equal("Tidepool Staked Ether");
      expect(version).to.equal("1");
      expect(chainId).to.equal((await ethers.provider.getNetwork()).chainId);
      expect(verifyingContract).to.equal(poolAddress);
      expect(salt).to.equal(ZeroHash);
      expect(extensions).to.deep.equal([]);
      expect(await pool.DOMAIN_SEPARATOR()).to.equal(
        TypedDataEncoder.hashDomain({ name, version, chainId, verifyingContract }),
      );
    });
  });

  describe("forced ether", function () {
    it("ignores ether forced in by selfdestruct", async function () {
      const { pool, poolAddress, alice, bob } = await loadFixture(stakedAt3To2Fixture);
      const before = {
        totals: await rate(pool),
        buffered: await pool.bufferedEther(),
        supply: await pool.totalSupply(),
        perShare: await pool.getPooledEthByShares(parseEther("1")),
        balances: [await pool.balanceOf(alice.address), await pool.balanceOf(bob.address), await pool.balanceOf(DEAD)],
        ethBalance: await ethers.provider.getBalance(poolAddress),
      };
      const forcer = await (await ethers.getContractFactory("EtherForcer__Mock")).deploy({ value: parseEther("5") });
      await forcer.force(poolAddress);
      expect(await ethers.provider.getBalance(poolAddress)).to.equal(before.ethBalance + parseEther("5"));
      expect(await rate(pool)).to.deep.equal(before.totals);
      expect(await pool.bufferedEther()).to.equal(before.buffered);
      expect(await pool.totalSupply()).to.equal(before.supply);
      expect(await pool.getPooledEthByShares(parseEther("1"))).to.equal(before.perShare);
      expect([
        await pool.balanceOf(alice.address),
        await pool.balanceOf(bob.address),
        await pool.balanceOf(DEAD),
      ]).to.deep.equal(before.balances);
    });
  });
});
