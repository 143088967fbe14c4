import { expect } from "chai";
import { ethers, upgrades } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { getAddress, parseEther, ZeroAddress } from "ethers";
import { ERC1967_IMPLEMENTATION_SLOT } from "../helpers/validators-fixtures";
import { deployWithQueue, type WithdrawalFixture } from "../helpers/withdrawal-fixtures";
import type { WithdrawalQueue } from "../../typechain-types";

const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;

async function implementationOf(proxy: string): Promise<string> {
  return getAddress("0x" + (await ethers.provider.getStorage(proxy, ERC1967_IMPLEMENTATION_SLOT)).slice(26));
}

/** A new implementation of the queue with the same peers and the deployed metadata library. */
async function newImplementation(f: WithdrawalFixture): Promise<WithdrawalQueue> {
  const library = await (await ethers.getContractFactory("WithdrawalRequestMetadata")).deploy();
  const factory = await ethers.getContractFactory("WithdrawalQueue", {
    libraries: { WithdrawalRequestMetadata: await library.getAddress() },
  });
  const impl = await factory.deploy(await f.queue.POOL(), await f.queue.WRAPPER());
  await impl.waitForDeployment();
  return impl;
}

/** Everything an upgrade must keep, read through the public interface. */
async function queueSnapshot(f: WithdrawalFixture, ids: bigint[], owners: string[]) {
  const q = f.queue;
  const last = await q.getLastCheckpointIndex();
  return {
    lastRequestId: await q.getLastRequestId(),
    lastFinalizedId: await q.getLastFinalizedRequestId(),
    lastCheckpointIndex: last,
    unfinalizedEther: await q.unfinalizedEther(),
    queuedShares: await q.queuedShares(),
    lockedEther: await q.lockedEther(),
    balance: await ethers.provider.getBalance(f.queueAddress),
    statuses: (await q.getWithdrawalStatus(ids)).map((s) => [...s]),
    hints: [...(await q.findCheckpointHints(ids, 1n, last))],
    lists: await Promise.all(owners.map(async (o) => [...(await q.getWithdrawalRequests(o))])),
    balances: await Promise.all(owners.map((o) => q.balanceOf(o))),
    paused: await q.withdrawalsPaused(),
    roles: [
      await q.hasRole(DEFAULT_ADMIN_ROLE, f.admin.address),
      await q.hasRole(ethers.id("PAUSE_ROLE"), f.pauser.address),
      await q.hasRole(ethers.id("RESUME_ROLE"), f.admin.address),
    ],
  };
}

describe("WithdrawalQueue upgrades", function () {
  async function withHistory() {
    const f = await loadFixture(deployWithQueue);
    const [alice, bob] = f.holders;
    await f.request(alice, [parseEther("1"), parseEther("2")]);
    await f.request(bob, [parseEther("3")]);
    await f.finalize(2n);
    await f.request(bob, [parseEther("0.5")], alice.address);
    const hints = [...(await f.queue.findCheckpointHints([1n], 1n, 1n))];
    await (await f.queue.connect(alice).claimWithdrawals([1n], hints)).wait();
    await (await f.queue.connect(bob).transferFrom(bob.address, alice.address, 3n)).wait();
    return { ...f, owners: [alice.address, bob.address], ids: [1n, 2n, 3n, 4n] };
  }

  it("passes OpenZeppelin's UUPS validation (the metadata library is linked, not delegate-called)", async function () {
    const f = await loadFixture(withHistory);
    const factory = await ethers.getContractFactory("WithdrawalQueue", {
      libraries: { WithdrawalRequestMetadata: ZeroAddress.replace(/0$/, "1") },
    });
    const opts = {
      kind: "uups" as const,
      constructorArgs: [await f.queue.POOL(), await f.queue.WRAPPER()],
      unsafeAllowLinkedLibraries: true,
    };
    await upgrades.validateImplementation(factory, opts);
    await upgrades.validateUpgrade(factory, factory, opts);
  });

  it("keeps requests, checkpoints, lists, locked ETH and roles across an upgrade by governance", async function () {
    const f = await loadFixture(withHistory);
    const before = await queueSnapshot(f, f.ids, f.owners);
    const impl = await newImplementation(f);
    await expect(f.queue.connect(f.admin).upgradeToAndCall(await impl.getAddress(), "0x"))
      .to.emit(f.queue, "Upgraded")
      .withArgs(await impl.getAddress());
    expect(await implementationOf(f.queueAddress)).to.equal(await impl.getAddress());
    expect(await queueSnapshot(f, f.ids, f.owners)).to.deep.equal(before);

    // The upgraded queue goes on: request 2 is claimed at its finalized amount, new requests get id 5.
    const [alice, bob] = f.holders;
    const balance = await ethers.provider.getBalance(alice.address);
    const receipt = await (await f.queue.connect(alice).claimWithdrawal(2n)).wait();
    if (!receipt) throw new Error("no receipt");
    expect(await ethers.provider.getBalance(alice.address)).to.equal(
      balance + parseEther("2") - receipt.gasUsed * receipt.gasPrice,
    );
    expect(await f.request(bob, [parseEther("1")])).to.deep.equal([5n]);
  });

  it("refuses upgrades from anyone without DEFAULT_ADMIN_ROLE, and initialising the implementation", async function () {
    const f = await loadFixture(withHistory);
    const impl = await newImplementation(f);
    const implBefore = await implementationOf(f.queueAddress);
    for (const caller of [f.pauser, f.holders[0]]) {
      await expect(f.queue.connect(caller).upgradeToAndCall(await impl.getAddress(), "0x"))
        .to.be.revertedWithCustomError(f.queue, "AccessControlUnauthorizedAccount")
        .withArgs(caller.address, DEFAULT_ADMIN_ROLE);
    }
    expect(await implementationOf(f.queueAddress)).to.equal(implBefore);
    await expect(impl.initialize(f.admin.address, f.pauser.address)).to.be.revertedWithCustomError(
      impl,
      "InvalidInitialization",
    );
    await expect(f.queue.initialize(f.admin.address, f.pauser.address)).to.be.revertedWithCustomError(
      f.queue,
      "InvalidInitialization",
    );
  });
});
