import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";
import { deployWithQueue } from "../helpers/withdrawal-fixtures";

describe("StakingPool entry points reserved for the withdrawal queue", function () {
  it("bringIntoWithdrawalQueue and returnWithdrawalExcess revert CallerNotWithdrawalQueue for anyone else, changing nothing", async function () {
    const f = await loadFixture(deployWithQueue);
    const [alice, bob] = f.holders;
    // Even with an allowance to the caller in place, only the queue may pull.
    await (await f.pool.connect(alice).approve(bob.address, parseEther("1"))).wait();
    const state = async () => [
      await f.pool.sharesOf(alice.address),
      await f.pool.sharesOf(bob.address),
      await f.pool.allowance(alice.address, bob.address),
      await f.pool.totalPooledEther(),
      await f.pool.totalShares(),
      await ethers.provider.getBalance(f.poolAddress),
    ];
    const before = await state();
    for (const caller of [bob, f.admin, f.oracleMembers[0]]) {
      await expect(f.pool.connect(caller).bringIntoWithdrawalQueue(alice.address, parseEther("1")))
        .to.be.revertedWithCustomError(f.pool, "CallerNotWithdrawalQueue")
        .withArgs(caller.address);
      await expect(f.pool.connect(caller).returnWithdrawalExcess({ value: parseEther("1") }))
        .to.be.revertedWithCustomError(f.pool, "CallerNotWithdrawalQueue")
        .withArgs(caller.address);
    }
    expect(await state()).to.deep.equal(before);
  });
});
