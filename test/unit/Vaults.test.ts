import { expect } from "chai";
import { ethers } from "hardhat";
import {
  impersonateAccount,
  loadFixture,
  setBalance,
  stopImpersonatingAccount,
} from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash, concat, getAddress, hexlify, parseEther } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { withdrawalCredentialsFor } from "../../offchain/keys/deposit";
import { deployTidepool } from "../helpers/fixtures";
import {
  WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
  installWithdrawalRequestPredeploy,
} from "../../offchain/beacon/withdrawal-requests";
import type { ExecutionLayerRewardsVault, StakingPool, WithdrawalVault } from "../../typechain-types";

/** bytes32(uint256(keccak256("eip1967.proxy.implementation")) − 1) (ERC-1967). */
const ERC1967_IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";
const DEFAULT_ADMIN_ROLE = ZeroHash;
/** Gas money for the impersonated pool proxy. */
const POOL_GAS_MONEY = parseEther("10");

type Vault = WithdrawalVault | ExecutionLayerRewardsVault;

/** The protocol, with the pool proxy impersonable and funded for gas. */
async function deployWithPoolSigner() {
  const f = await loadFixture(deployTidepool);
  await impersonateAccount(f.poolAddress);
  await setBalance(f.poolAddress, POOL_GAS_MONEY);
  const poolSigner = await ethers.getSigner(f.poolAddress); // stays impersonated: signs as the pool
  return { ...f, poolSigner };
}

/** The implementation address in a proxy's ERC-1967 slot. */
async function implementationOf(proxy: string): Promise<string> {
  const word = await ethers.provider.getStorage(proxy, ERC1967_IMPLEMENTATION_SLOT);
  return getAddress("0x" + word.slice(-40));
}

/** The pool's accounting, which moving vault ETH in must not touch (the report accounts for it). */
async function poolTotals(pool: StakingPool) {
  return {
    totalPooledEther: await pool.totalPooledEther(),
    totalShares: await pool.totalShares(),
    bufferedEther: await pool.bufferedEther(),
  };
}

/** Sends `amount` wei to `to` from `from`. */
async function sendEther(from: HardhatEthersSigner, to: Vault, amount: bigint) {
  return from.sendTransaction({ to: await to.getAddress(), value: amount });
}

const VAULTS = [
  { name: "WithdrawalVault", pick: (f: { withdrawalVault: WithdrawalVault }): Vault => f.withdrawalVault },
  {
    name: "ExecutionLayerRewardsVault",
    pick: (f: { elRewardsVault: ExecutionLayerRewardsVault }): Vault => f.elRewardsVault,
  },
] as const;

describe("Vaults", function () {
  for (const { name, pick } of VAULTS) {
    describe(name, function () {
      it("serves the pool proxy", async function () {
        const f = await loadFixture(deployWithPoolSigner);
        expect(await pick(f).POOL()).to.equal(f.poolAddress);
      });

      it("accepts plain ETH from anyone", async function () {
        const f = await loadFixture(deployWithPoolSigner);
        const vault = pick(f);
        const [alice, bob] = f.users;
        for (const [sender, amount] of [
          [alice, parseEther("1.5")],
          [bob, 1n],
          [f.admin, parseEther("0.25")],
          [f.guardian, 0n],
        ] as const) {
          await expect(sendEther(sender, vault, amount)).to.changeEtherBalances([sender, vault], [-amount, amount]);
        }
        expect(await ethers.provider.getBalance(vault)).to.equal(parseEther("1.75") + 1n);
      });

      it("refuses transferToPool from anyone but the pool, with the caller", async function () {
        const f = await loadFixture(deployWithPoolSigner);
        const vault = pick(f);
        await sendEther(f.users[0], vault, parseEther("1"));
        for (const caller of [f.users[0], f.admin, f.guardian]) {
          await expect(vault.connect(caller).transferToPool(1n))
            .to.be.revertedWithCustomError(vault, "CallerNotPool")
            .withArgs(caller.address);
        }
        expect(await ethers.provider.getBalance(vault)).to.equal(parseEther("1"));
      });

      it("moves exactly the amount to the pool when the pool asks, without touching its accounting", async function () {
        const f = await loadFixture(deployWithPoolSigner);
        const vault = pick(f);
        const held = parseEther("3");
        const amount = parseEther("1.234567890123456789");
        await sendEther(f.users[0], vault, held);
        const totalsBefore = await poolTotals(f.pool);
        const poolBefore = await ethers.provider.getBalance(f.poolAddress);

        const tx = await vault.connect(f.poolSigner).transferToPool(amount);
        await expect(tx).to.emit(vault, "EtherTransferredToPool").withArgs(amount);
        const receipt = await tx.wait();
        const gasPaidByPool = receipt!.fee; // the impersonated pool sent the transaction

        expect(await ethers.provider.getBalance(f.poolAddress)).to.equal(poolBefore + amount - gasPaidByPool);
        expect(await ethers.provider.getBalance(vault)).to.equal(held - amount);
        expect(await poolTotals(f.pool)).to.deep.equal(totalsBefore);
      });

      it("can move its whole balance, and zero", async function () {
        const f = await loadFixture(deployWithPoolSigner);
        const vault = pick(f);
        const held = parseEther("2") + 7n;
        await sendEther(f.users[0], vault, held);

        await expect(vault.connect(f.poolSigner).transferToPool(0n)).to.changeEtherBalances(
          [vault, f.poolSigner],
          [0n, 0n],
        );
        await expect(vault.connect(f.poolSigner).transferToPool(held))
          .to.emit(vault, "EtherTransferredToPool")
          .withArgs(held);
        expect(await ethers.provider.getBalance(vault)).to.equal(0n);
      });

      it("measures the pool's gain net of gas with changeEtherBalances too", async function () {
        const f = await loadFixture(deployWithPoolSigner);
        const vault = pick(f);
        await sendEther(f.users[0], vault, parseEther("5"));
        // changeEtherBalances leaves the sender's gas out, so the pool's change is the amount itself.
        await expect(vault.connect(f.poolSigner).transferToPool(parseEther("4"))).to.changeEtherBalances(
          [vault, f.poolSigner],
          [-parseEther("4"), parseEther("4")],
        );
      });

      it("refuses to move more than its balance, with the request and the balance", async function () {
        const f = await loadFixture(deployWithPoolSigner);
        const vault = pick(f);
        const held = parseEther("1");
        await expect(vault.connect(f.poolSigner).transferToPool(1n))
          .to.be.revertedWithCustomError(vault, "InsufficientVaultBalance")
          .withArgs(1n, 0n);
        await sendEther(f.users[0], vault, held);
        await expect(vault.connect(f.poolSigner).transferToPool(held + 1n))
          .to.be.revertedWithCustomError(vault, "InsufficientVaultBalance")
          .withArgs(held + 1n, held);
      });
    });
  }

  describe("StakingPool.receiveVaultEther", function () {
    it("refuses ETH from anyone but the two vaults, with the caller", async function () {
      const f = await loadFixture(deployWithPoolSigner);
      for (const caller of [f.users[0], f.admin, f.guardian]) {
        await expect(f.pool.connect(caller).receiveVaultEther({ value: parseEther("1") }))
          .to.be.revertedWithCustomError(f.pool, "CallerNotVault")
          .withArgs(caller.address);
        await expect(f.pool.connect(caller).receiveVaultEther())
          .to.be.revertedWithCustomError(f.pool, "CallerNotVault")
          .withArgs(caller.address);
      }
    });

    it("accepts ETH from either vault directly, without touching the accounting", async function () {
      const f = await loadFixture(deployWithPoolSigner);
      for (const vault of [f.withdrawalVault, f.elRewardsVault]) {
        const address = await vault.getAddress();
        await impersonateAccount(address);
        await setBalance(address, parseEther("3"));
        const vaultSigner = await ethers.getSigner(address);
        const totalsBefore = await poolTotals(f.pool);
        await expect(f.pool.connect(vaultSigner).receiveVaultEther({ value: parseEther("2") })).to.changeEtherBalances(
          [vaultSigner, f.pool],
          [-parseEther("2"), parseEther("2")],
        );
        expect(await poolTotals(f.pool)).to.deep.equal(totalsBefore);
        await stopImpersonatingAccount(address);
      }
    });
  });

  describe("WithdrawalVault as a UUPS proxy", function () {
    it("has an implementation, in the ERC-1967 slot, that cannot be initialised", async function () {
      const f = await loadFixture(deployWithPoolSigner);
      const implementation = await implementationOf(await f.withdrawalVault.getAddress());
      expect(await ethers.provider.getCode(implementation)).to.not.equal("0x");
      const impl = await ethers.getContractAt("WithdrawalVault", implementation);
      expect(await impl.POOL()).to.equal(f.poolAddress);

      await expect(impl.connect(f.users[0]).initialize(f.users[0].address)).to.be.revertedWithCustomError(
        impl,
        "InvalidInitialization",
      );
      expect(await impl.hasRole(DEFAULT_ADMIN_ROLE, f.users[0].address)).to.equal(false);
    });

    it("refuses upgrade calls made on the implementation itself", async function () {
      const f = await loadFixture(deployWithPoolSigner);
      const impl = await ethers.getContractAt(
        "WithdrawalVault",
        await implementationOf(await f.withdrawalVault.getAddress()),
      );
      await expect(impl.connect(f.admin).upgradeToAndCall(await impl.getAddress(), "0x")).to.be.revertedWithCustomError(
        impl,
        "UUPSUnauthorizedCallContext",
      );
    });

    it("cannot be re-initialised, by a stranger or by its admin", async function () {
      const f = await loadFixture(deployWithPoolSigner);
      for (const caller of [f.users[0], f.admin]) {
        await expect(f.withdrawalVault.connect(caller).initialize(caller.address)).to.be.revertedWithCustomError(
          f.withdrawalVault,
          "InvalidInitialization",
        );
      }
      expect(await f.withdrawalVault.hasRole(DEFAULT_ADMIN_ROLE, f.admin.address)).to.equal(true);
      expect(await f.withdrawalVault.hasRole(DEFAULT_ADMIN_ROLE, f.users[0].address)).to.equal(false);
    });

    it("lets only DEFAULT_ADMIN_ROLE upgrade it", async function () {
      const f = await loadFixture(deployWithPoolSigner);
      const vaultAddress = await f.withdrawalVault.getAddress();
      const before = await implementationOf(vaultAddress);
      const next = await (await ethers.getContractFactory("WithdrawalVault")).deploy(f.poolAddress);
      for (const caller of [f.users[0], f.guardian, f.pauser, f.poolSigner]) {
        await expect(f.withdrawalVault.connect(caller).upgradeToAndCall(await next.getAddress(), "0x"))
          .to.be.revertedWithCustomError(f.withdrawalVault, "AccessControlUnauthorizedAccount")
          .withArgs(caller.address, DEFAULT_ADMIN_ROLE);
      }
      expect(await implementationOf(vaultAddress)).to.equal(before);
    });

    it("keeps its ETH, POOL and admin across an upgrade by the admin to a new implementation", async function () {
      const f = await loadFixture(deployWithPoolSigner);
      const vaultAddress = await f.withdrawalVault.getAddress();
      const held = parseEther("7") + 3n;
      await sendEther(f.users[0], f.withdrawalVault, held);
      const before = await implementationOf(vaultAddress);
      const next = await (await ethers.getContractFactory("WithdrawalVault")).deploy(f.poolAddress);
      const nextAddress = await next.getAddress();
      expect(nextAddress).to.not.equal(before);

      await expect(f.withdrawalVault.connect(f.admin).upgradeToAndCall(nextAddress, "0x"))
        .to.emit(f.withdrawalVault, "Upgraded")
        .withArgs(nextAddress);

      expect(await implementationOf(vaultAddress)).to.equal(nextAddress);
      expect(await ethers.provider.getBalance(vaultAddress)).to.equal(held);
      expect(await f.withdrawalVault.POOL()).to.equal(f.poolAddress);
      expect(await f.withdrawalVault.hasRole(DEFAULT_ADMIN_ROLE, f.admin.address)).to.equal(true);
      // …and it still works: only the pool takes ETH out.
      await expect(f.withdrawalVault.connect(f.users[0]).transferToPool(1n))
        .to.be.revertedWithCustomError(f.withdrawalVault, "CallerNotPool")
        .withArgs(f.users[0].address);
      await expect(f.withdrawalVault.connect(f.poolSigner).transferToPool(held)).to.changeEtherBalances(
        [f.withdrawalVault, f.poolSigner],
        [-held, held],
      );
    });
  });

  describe("withdrawal credentials", function () {
    it("are 0x01 ‖ 11 zero bytes ‖ the withdrawal vault's address", async function () {
      const f = await loadFixture(deployWithPoolSigner);
      const vaultAddress = await f.withdrawalVault.getAddress();
      const credentials = await f.pool.withdrawalCredentials();

      expect(credentials).to.equal(withdrawalCredentialsFor(vaultAddress));
      expect(credentials).to.equal(hexlify(concat(["0x01", new Uint8Array(11), vaultAddress])));
      expect(credentials).to.equal("0x01" + "00".repeat(11) + vaultAddress.slice(2).toLowerCase());
    });

    it("name the pool's WITHDRAWAL_VAULT, which serves this pool", async function () {
      const f = await loadFixture(deployWithPoolSigner);
      expect(await f.pool.WITHDRAWAL_VAULT()).to.equal(await f.withdrawalVault.getAddress());
      expect(await f.pool.EL_REWARDS_VAULT()).to.equal(await f.elRewardsVault.getAddress());
      expect(await f.withdrawalVault.POOL()).to.equal(f.poolAddress);
    });
  });
});

describe("WithdrawalVault: EIP-7002 exit requests", function () {
  /** The protocol with the predeploy installed and account `users[0]` holding EXIT_REQUESTER_ROLE. */
  async function withRequester() {
    const f = await loadFixture(deployTidepool);
    await installWithdrawalRequestPredeploy(ethers.provider);
    const role = await f.withdrawalVault.EXIT_REQUESTER_ROLE();
    await (await f.withdrawalVault.connect(f.admin).grantRole(role, f.users[0].address)).wait();
    return { ...f, requester: f.users[0] };
  }
  const PUBKEY = hexlify(new Uint8Array(48).fill(0xab));

  it("refuses a pubkey that is not 48 bytes (InvalidPubkeyLength) and a fee the predeploy refuses (ExitRequestFailed); the ETH stays with the caller", async function () {
    const f = await loadFixture(withRequester);
    const vault = f.withdrawalVault.connect(f.requester);
    const predeployBefore = await ethers.provider.getBalance(WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS);
    await expect(vault.requestFullExit(hexlify(new Uint8Array(47)), { value: 1n }))
      .to.be.revertedWithCustomError(f.withdrawalVault, "InvalidPubkeyLength")
      .withArgs(47n);
    // The fee is 1 wei: sending nothing is refused by the predeploy, and the vault says so.
    await expect(vault.requestFullExit(PUBKEY, { value: 0n }))
      .to.be.revertedWithCustomError(f.withdrawalVault, "ExitRequestFailed")
      .withArgs(PUBKEY, 0n);
    expect(await ethers.provider.getBalance(WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS)).to.equal(predeployBefore);
    expect(await ethers.provider.getBalance(await f.withdrawalVault.getAddress())).to.equal(0n);
  });

  it("sends the request with the fee paid and logs it (FullExitRequested)", async function () {
    const f = await loadFixture(withRequester);
    const predeployBefore = await ethers.provider.getBalance(WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS);
    await expect(f.withdrawalVault.connect(f.requester).requestFullExit(PUBKEY, { value: 1n }))
      .to.emit(f.withdrawalVault, "FullExitRequested")
      .withArgs(PUBKEY, 1n);
    expect(await ethers.provider.getBalance(WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS)).to.equal(predeployBefore + 1n);
  });
});
