import { expect } from "chai";
import hre, { ethers, upgrades } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, ZeroHash, id, parseEther } from "ethers";
import { deployTidepool, deployWithTimelock, TIMELOCK_MIN_DELAY } from "../helpers/fixtures";
import { deployPoolLibraries, poolPeers } from "../../deploy/protocol";
import type { StakingPool } from "../../typechain-types";

const IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";
const ROLES = {
  admin: ZeroHash,
  pause: id("PAUSE_ROLE"),
  resume: id("RESUME_ROLE"),
  stakeLimit: id("STAKE_LIMIT_ROLE"),
  instantRedeemParams: id("INSTANT_REDEEM_PARAMS_ROLE"),
};

async function implementationOf(proxy: string): Promise<string> {
  return ethers.getAddress("0x" + (await ethers.provider.getStorage(proxy, IMPLEMENTATION_SLOT)).slice(26));
}

/** Everything an upgrade must leave untouched, read through the public interface. */
async function snapshot(pool: StakingPool, accounts: string[], spender: string) {
  const perAccount = await Promise.all(
    accounts.map(async (a) => [
      await pool.sharesOf(a),
      await pool.balanceOf(a),
      await pool.allowance(a, spender),
      await pool.nonces(a),
    ]),
  );
  const roles = await Promise.all(accounts.flatMap((a) => Object.values(ROLES).map((r) => pool.hasRole(r, a))));
  return {
    totals: [await pool.totalShares(), await pool.totalPooledEther(), await pool.bufferedEther()],
    beacon: await pool.getBeaconStat(),
    stakeLimit: await pool.getStakeLimitParams(),
    currentLimit: await pool.getCurrentStakeLimit(),
    paused: await pool.pausedCapabilities(),
    wrapper: await pool.WRAPPER(),
    domain: await pool.DOMAIN_SEPARATOR(),
    perAccount,
    roles,
  };
}

describe("Governance and upgrades", function () {
  async function withState() {
    const f = await loadFixture(deployTidepool);
    const [alice, bob, carol] = f.users;
    await f.pool.connect(alice).stake(ZeroAddress, { value: parseEther("12") });
    await f.pool.connect(bob).stake(bob.address, { value: parseEther("3.3") });
    await f.pool.connect(alice).transfer(carol.address, parseEther("1.5"));
    await f.pool.connect(alice).approve(bob.address, parseEther("2"));
    await f.wrapper.connect(bob).wrap(parseEther("1"));
    await f.pool.connect(f.admin).setStakeLimit(parseEther("1000"), parseEther("1"));
    await f.pool.connect(alice).stake(ZeroAddress, { value: parseEther("100") });
    await f.pool.connect(f.pauser).pause(1);
    return f;
  }

  it("passes OpenZeppelin's storage-layout validation for the implementation and its successor", async function () {
    const f = await loadFixture(deployTidepool);
    const libraries = await deployPoolLibraries(hre);
    const V1 = await ethers.getContractFactory("StakingPool", { libraries });
    const V2 = await ethers.getContractFactory("StakingPool__V2Mock", { libraries });
    // The permit library is linked (stateless, called with DELEGATECALL for signature checks only).
    const opts = {
      kind: "uups" as const,
      constructorArgs: [await poolPeers(f.pool)],
      unsafeAllowLinkedLibraries: true,
    };
    await upgrades.validateImplementation(V1, opts);
    // The successor adds a reinitializer for the upgrade and keeps V1's `initialize` for fresh proxies.
    await upgrades.validateUpgrade(V1, V2, { ...opts, unsafeAllow: ["missing-initializer"] });
  });

  it("upgrades a proxy with state and keeps every balance, total, allowance, role and parameter", async function () {
    const f = await loadFixture(withState);
    const accounts = [f.admin, f.pauser, ...f.users.slice(0, 3)].map((s) => s.address);
    accounts.push(f.wrapperAddress, await f.pool.BOOTSTRAP_SHARES_HOLDER());
    const before = await snapshot(f.pool, accounts, f.users[1].address);
    const balanceBefore = await ethers.provider.getBalance(f.poolAddress);

    const v2Impl = await (
      await ethers.getContractFactory("StakingPool__V2Mock", { libraries: await deployPoolLibraries(hre) })
    ).deploy(await poolPeers(f.pool));
    const init = v2Impl.interface.encodeFunctionData("initializeV2", [7n]);
    await expect(f.pool.connect(f.admin).upgradeToAndCall(await v2Impl.getAddress(), init))
      .to.emit(f.pool, "Upgraded")
      .withArgs(await v2Impl.getAddress());

    const v2 = await ethers.getContractAt("StakingPool__V2Mock", f.poolAddress);
    expect(await v2.answer()).to.equal(7n);
    await expect(v2.initializeV2(8n)).to.be.revertedWithCustomError(v2, "InvalidInitialization");
    expect(await implementationOf(f.poolAddress)).to.equal(await v2Impl.getAddress());
    expect(await snapshot(f.pool, accounts, f.users[1].address)).to.deep.equal(before);
    expect(await ethers.provider.getBalance(f.poolAddress)).to.equal(balanceBefore);
    await v2.connect(f.admin).setAnswer(42n);
    expect(await v2.answer()).to.equal(42n);
    expect(await snapshot(f.pool, accounts, f.users[1].address)).to.deep.equal(before);

    // The upgraded pool still works end to end.
    await f.pool.connect(f.admin).resume(1);
    const [alice, bob] = f.users;
    const shares = await f.pool.getSharesByPooledEth(parseEther("1"));
    await expect(f.pool.connect(bob).stake(ZeroAddress, { value: parseEther("1") }))
      .to.emit(f.pool, "Staked")
      .withArgs(bob.address, parseEther("1"), shares, ZeroAddress);
    await expect(f.wrapper.connect(alice).wrap(parseEther("1"))).to.emit(f.wrapper, "Deposit");
  });

  it("holds the default local roles: account 0 every governance role, account 5 only PAUSE_ROLE", async function () {
    const { pool, admin, pauser, users } = await loadFixture(deployTidepool);
    for (const role of [ROLES.admin, ROLES.resume, ROLES.stakeLimit, ROLES.instantRedeemParams]) {
      expect(await pool.hasRole(role, admin.address)).to.equal(true);
      expect(await pool.hasRole(role, pauser.address)).to.equal(false);
    }
    expect(await pool.hasRole(ROLES.pause, pauser.address)).to.equal(true);
    expect(await pool.hasRole(ROLES.pause, admin.address)).to.equal(false);
    for (const role of Object.values(ROLES)) expect(await pool.hasRole(role, users[0].address)).to.equal(false);
  });

  it("never grants a role to the zero address, on any upgradeable contract", async function () {
    const { pool, registry, withdrawalVault, admin } = await loadFixture(deployTidepool);
    await expect(pool.connect(admin).grantRole(ROLES.pause, ZeroAddress))
      .to.be.revertedWithCustomError(pool, "RoleGrantToZeroAddress")
      .withArgs(ROLES.pause);
    for (const contract of [registry, withdrawalVault]) {
      await expect(contract.connect(admin).grantRole(ROLES.admin, ZeroAddress))
        .to.be.revertedWithCustomError(contract, "RoleGrantToZeroAddress")
        .withArgs(ROLES.admin);
    }
  });

  it("lets only governance grant roles", async function () {
    const { pool, pauser, users } = await loadFixture(deployTidepool);
    await expect(pool.connect(pauser).grantRole(ROLES.pause, users[0].address))
      .to.be.revertedWithCustomError(pool, "AccessControlUnauthorizedAccount")
      .withArgs(pauser.address, ROLES.admin);
  });

  it("refuses upgrades from anyone but governance", async function () {
    const f = await loadFixture(withState);
    const impl = await (
      await ethers.getContractFactory("StakingPool", { libraries: await deployPoolLibraries(hre) })
    ).deploy(await poolPeers(f.pool));
    for (const stranger of [f.pauser, f.users[0]]) {
      await expect(f.pool.connect(stranger).upgradeToAndCall(await impl.getAddress(), "0x"))
        .to.be.revertedWithCustomError(f.pool, "AccessControlUnauthorizedAccount")
        .withArgs(stranger.address, ROLES.admin);
    }
  });

  it("refuses an upgrade to a contract that is not a UUPS implementation", async function () {
    const f = await loadFixture(withState);
    await expect(f.pool.connect(f.admin).upgradeToAndCall(f.wrapperAddress, "0x"))
      .to.be.revertedWithCustomError(f.pool, "ERC1967InvalidImplementation")
      .withArgs(f.wrapperAddress);
  });

  it("refuses upgradeToAndCall on the implementation itself (only through the proxy)", async function () {
    const f = await loadFixture(withState);
    const impl = await ethers.getContractAt("StakingPool", await implementationOf(f.poolAddress));
    await expect(impl.connect(f.admin).upgradeToAndCall(f.wrapperAddress, "0x")).to.be.revertedWithCustomError(
      impl,
      "UUPSUnauthorizedCallContext",
    );
  });

  it("leaves the deployed implementation uninitialised and uninitialisable", async function () {
    const f = await loadFixture(deployTidepool);
    const impl = await ethers.getContractAt("StakingPool", await implementationOf(f.poolAddress));
    expect(await impl.totalShares()).to.equal(0n);
    await expect(
      impl.connect(f.users[0]).initialize(f.users[0].address, { value: parseEther("1") }),
    ).to.be.revertedWithCustomError(impl, "InvalidInitialization");
  });

  describe("timelock handover (public networks)", function () {
    it("gives every governance role to the timelock and none to the deployer", async function () {
      const { pool, timelock, deployer, pauser } = await loadFixture(deployWithTimelock);
      const tl = await timelock.getAddress();
      for (const role of [ROLES.admin, ROLES.resume, ROLES.stakeLimit, ROLES.instantRedeemParams]) {
        expect(await pool.hasRole(role, tl)).to.equal(true);
        expect(await pool.hasRole(role, deployer.address)).to.equal(false);
      }
      expect(await pool.hasRole(ROLES.pause, pauser.address)).to.equal(true);
      expect(await pool.hasRole(ROLES.pause, tl)).to.equal(false);
      expect(await timelock.getMinDelay()).to.equal(TIMELOCK_MIN_DELAY);
    });

    it("hands the registry, the deposit security module and the withdrawal vault to the timelock too", async function () {
      const { registry, dsm, withdrawalVault, timelock, deployer } = await loadFixture(deployWithTimelock);
      const tl = await timelock.getAddress();
      const registryRoles = [ROLES.admin, id("OPERATOR_MANAGER_ROLE"), id("BOND_MANAGER_ROLE")];
      for (const role of registryRoles) {
        expect(await registry.hasRole(role, tl)).to.equal(true);
        expect(await registry.hasRole(role, deployer.address)).to.equal(false);
      }
      for (const contract of [dsm, withdrawalVault]) {
        expect(await contract.hasRole(ROLES.admin, tl)).to.equal(true);
        expect(await contract.hasRole(ROLES.admin, deployer.address)).to.equal(false);
      }
    });

    it("hands every role of the beacon facts contract to the timelock; the facts contract keeps the roles it acts with", async function () {
      const { facts, registry, withdrawalVault, timelock, deployer } = await loadFixture(deployWithTimelock);
      const tl = await timelock.getAddress();
      const factsRoles = [ROLES.admin, id("FORK_SCHEDULE_ROLE"), id("EXIT_SETTINGS_ROLE"), id("FORCE_EXIT_ROLE")];
      for (const role of factsRoles) {
        expect(await facts.hasRole(role, tl)).to.equal(true);
        expect(await facts.hasRole(role, deployer.address)).to.equal(false);
      }
      const factsAddress = await facts.getAddress();
      expect(await registry.hasRole(id("ACCOUNTING_ROLE"), factsAddress)).to.equal(true);
      expect(await withdrawalVault.hasRole(id("EXIT_REQUESTER_ROLE"), factsAddress)).to.equal(true);
      for (const contract of [registry, withdrawalVault]) {
        expect(await contract.hasRole(id("ACCOUNTING_ROLE"), deployer.address)).to.equal(false);
        expect(await contract.hasRole(id("EXIT_REQUESTER_ROLE"), deployer.address)).to.equal(false);
      }
    });

    it("upgrades only after the delay, through schedule and execute", async function () {
      const { pool, timelock, proposer, deployer, poolAddress, wrapperAddress } = await loadFixture(deployWithTimelock);
      const v2Impl = await (
        await ethers.getContractFactory("StakingPool__V2Mock", { libraries: await deployPoolLibraries(hre) })
      ).deploy(await poolPeers(pool));
      const data = pool.interface.encodeFunctionData("upgradeToAndCall", [await v2Impl.getAddress(), "0x"]);
      const salt = id("upgrade-to-v2");

      await expect(pool.connect(deployer).upgradeToAndCall(await v2Impl.getAddress(), "0x"))
        .to.be.revertedWithCustomError(pool, "AccessControlUnauthorizedAccount")
        .withArgs(deployer.address, ROLES.admin);

      await timelock.connect(proposer).schedule(poolAddress, 0n, data, ZeroHash, salt, TIMELOCK_MIN_DELAY);
      const opId = await timelock.hashOperation(poolAddress, 0n, data, ZeroHash, salt);
      await expect(timelock.execute(poolAddress, 0n, data, ZeroHash, salt))
        .to.be.revertedWithCustomError(timelock, "TimelockUnexpectedOperationState")
        .withArgs(opId, 1n << 2n); // expected state: Ready

      await time.increase(TIMELOCK_MIN_DELAY);
      await expect(timelock.execute(poolAddress, 0n, data, ZeroHash, salt))
        .to.emit(pool, "Upgraded")
        .withArgs(await v2Impl.getAddress());
      expect(await implementationOf(poolAddress)).to.equal(await v2Impl.getAddress());
    });
  });
});
