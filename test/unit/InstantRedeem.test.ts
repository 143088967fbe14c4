import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, parseEther } from "ethers";
import { deployTidepoolUnlimited, type TidepoolFixture } from "../helpers/fixtures";

const BP = 10_000n;
const CAPABILITY_INSTANT_REDEEM = 2n;

/** Independent fee model: ceil(amount × (min × L + (max − min) × amount) / (10,000 × L)). */
function expectedFee(amount: bigint, liquidity: bigint, minBP = 25n, maxBP = 300n): bigint {
  const num = amount * (minBP * liquidity + (maxBP - minBP) * amount);
  const den = BP * liquidity;
  return (num + den - 1n) / den;
}
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
const GWEI = 10n ** 9n;

/**
 * Independent model of the cumulative fee: the frame's marginal fee at use t is
 * min + 2·(max − min)·t / L₀ up to L₀ (the frame's starting liquidity, in whole gwei) and 2·max − min
 * beyond; a redemption pays the integral over its part of the frame's use, rounded up.
 */
function cumulativeFee(used: bigint, amount: bigint, startLiquidity: bigint, minBP = 25n, maxBP = 300n): bigint {
  const L = (startLiquidity / GWEI) * GWEI;
  if (L === 0n) return ceilDiv(amount * (2n * maxBP - minBP), BP);
  const area = (u: bigint) =>
    u <= L ? u * (minBP * L + (maxBP - minBP) * u) : L * (maxBP * L + (2n * maxBP - minBP) * (u - L));
  return ceilDiv(area(used + amount) - area(used), BP * L);
}

describe("StakingPool instant redemption", function () {
  /** 300 ETH staked by three holders: the frame cap (1% of TVL) is just over 3 ETH. */
  async function staked(): Promise<TidepoolFixture> {
    const f = await loadFixture(deployTidepoolUnlimited);
    const [alice, bob, carol] = f.users;
    await f.pool.connect(alice).stake(ZeroAddress, { value: parseEther("100") });
    await f.pool.connect(bob).stake(ZeroAddress, { value: parseEther("150") });
    await f.pool.connect(carol).stake(ZeroAddress, { value: parseEther("50") });
    return f;
  }

  describe("previewInstantRedeem and instantLiquidity", function () {
    it("reports the whole buffer as instant liquidity while no queue exists", async function () {
      const { pool } = await loadFixture(staked);
      expect(await pool.instantLiquidity()).to.equal(await pool.bufferedEther());
      expect(await pool.instantLiquidity()).to.equal(parseEther("300.001"));
    });

    it("charges a fee linear in the share of the liquidity consumed, rounded up", async function () {
      const { pool } = await loadFixture(staked);
      const liquidity = await pool.instantLiquidity();
      for (const amount of [1n, 999n, parseEther("0.01"), parseEther("2.5"), liquidity / 2n, liquidity]) {
        const fee = expectedFee(amount, liquidity);
        expect(await pool.previewInstantRedeem(amount)).to.deep.equal([amount - fee, fee]);
      }
      // The ends of the curve: ~25 BP for a tiny share, exactly 300 BP for all of it.
      expect((await pool.previewInstantRedeem(parseEther("0.001")))[1]).to.equal(
        expectedFee(parseEther("0.001"), liquidity),
      );
      expect((await pool.previewInstantRedeem(liquidity))[1]).to.equal((liquidity * 300n) / BP);
    });

    it("returns nothing for a zero amount and refuses more than the liquidity", async function () {
      const { pool } = await loadFixture(staked);
      expect(await pool.previewInstantRedeem(0n)).to.deep.equal([0n, 0n]);
      const liquidity = await pool.instantLiquidity();
      await expect(pool.previewInstantRedeem(liquidity + 1n))
        .to.be.revertedWithCustomError(pool, "InsufficientInstantLiquidity")
        .withArgs(liquidity + 1n, liquidity);
    });
  });

  describe("instantRedeem", function () {
    it("burns the shares worth the amount (rounded up), pays ethOut and keeps the fee in the pool", async function () {
      const { pool, poolAddress, users } = await loadFixture(staked);
      const [alice, bob, , dave] = users;
      const amount = parseEther("2");
      const [P, S] = [await pool.totalPooledEther(), await pool.totalShares()];
      const fee = expectedFee(amount, await pool.instantLiquidity());
      const ethOut = amount - fee;
      const shares = ceilDiv(amount * S, P);
      const aliceShares = await pool.sharesOf(alice.address);
      const bobBalance = await pool.balanceOf(bob.address);
      const poolEth = await ethers.provider.getBalance(poolAddress);
      const daveEth = await ethers.provider.getBalance(dave.address);

      expect(await pool.connect(alice).instantRedeem.staticCall(amount, ethOut, dave.address)).to.equal(ethOut);
      await expect(pool.connect(alice).instantRedeem(amount, ethOut, dave.address))
        .to.emit(pool, "InstantRedeemed")
        .withArgs(alice.address, dave.address, amount, shares, ethOut, fee)
        .and.to.emit(pool, "Transfer")
        .withArgs(alice.address, ZeroAddress, amount)
        .and.to.emit(pool, "TransferShares")
        .withArgs(alice.address, ZeroAddress, shares);

      expect(await ethers.provider.getBalance(dave.address)).to.equal(daveEth + ethOut);
      expect(await ethers.provider.getBalance(poolAddress)).to.equal(poolEth - ethOut);
      expect(await pool.sharesOf(alice.address)).to.equal(aliceShares - shares);
      expect(await pool.totalShares()).to.equal(S - shares);
      expect(await pool.totalPooledEther()).to.equal(P - ethOut);
      expect(await pool.bufferedEther()).to.equal(P - ethOut);
      // The fee (and the rounding) stayed in the pool and raised every other holder's balance.
      const bobShares = await pool.sharesOf(bob.address);
      expect(await pool.balanceOf(bob.address)).to.equal((bobShares * (P - ethOut)) / (S - shares));
      expect(await pool.balanceOf(bob.address)).to.be.greaterThan(bobBalance);
    });

    it("never lets a stake followed by an instant redemption come out ahead", async function () {
      const { pool, users } = await loadFixture(staked);
      const mallory = users[5];
      const before = await ethers.provider.getBalance(mallory.address);
      const stakeTx = await pool.connect(mallory).stake(ZeroAddress, { value: parseEther("1") });
      const balance = await pool.balanceOf(mallory.address);
      const redeemTx = await pool.connect(mallory).instantRedeem(balance, 0n, mallory.address);
      const gas = [await stakeTx.wait(), await redeemTx.wait()].reduce((g, r) => g + r!.fee, 0n);
      const after = await ethers.provider.getBalance(mallory.address);
      const profit = after + gas - before;
      expect(profit).to.be.lessThan(-((parseEther("1") * 25n) / BP) + 1n); // lost at least the 0.25% fee
    });

    it("caps instant redemptions per frame at frameCapBP of TVL and resets the cap in the next frame", async function () {
      const { pool, users } = await loadFixture(staked);
      const [alice, bob] = users;
      const [, , capBP, remaining] = await pool.getInstantRedeemParams();
      expect(capBP).to.equal(100n);
      expect(remaining).to.equal((parseEther("300.001") * 100n) / BP);

      await pool.connect(alice).instantRedeem(parseEther("2"), 0n, alice.address);
      const left = (await pool.getInstantRedeemParams())[3];
      const tvlBefore = parseEther("300.001");
      expect(left).to.equal(((await pool.totalPooledEther()) * 100n) / BP - parseEther("2"));
      expect(left).to.be.lessThan((tvlBefore * 100n) / BP - parseEther("2") + 1n);

      await expect(pool.connect(bob).instantRedeem(left + 1n, 0n, bob.address))
        .to.be.revertedWithCustomError(pool, "InstantRedeemFrameCapExceeded")
        .withArgs(left + 1n, left);
      await pool.connect(bob).instantRedeem(left, 0n, bob.address);
      expect((await pool.getInstantRedeemParams())[3]).to.equal(0n);

      await time.increase(24 * 60 * 60);
      expect((await pool.getInstantRedeemParams())[3]).to.equal(((await pool.totalPooledEther()) * 100n) / BP);
      await expect(pool.connect(bob).instantRedeem(parseEther("1"), 0n, bob.address)).to.emit(pool, "InstantRedeemed");
    });

    it("refuses a zero amount, a zero recipient, and an owner without enough tpETH", async function () {
      const { pool, users } = await loadFixture(staked);
      const [alice, , , dave] = users;
      await expect(pool.connect(alice).instantRedeem(0n, 0n, alice.address)).to.be.revertedWithCustomError(
        pool,
        "InstantRedeemZeroAmount",
      );
      await expect(pool.connect(alice).instantRedeem(1n, 0n, ZeroAddress))
        .to.be.revertedWithCustomError(pool, "ZeroAddress")
        .withArgs("recipient");
      await expect(pool.connect(dave).instantRedeem(parseEther("1"), 0n, dave.address))
        .to.be.revertedWithCustomError(pool, "ERC20InsufficientBalance")
        .withArgs(dave.address, 0n, parseEther("1"));
    });

    it("refuses more than the instant liquidity", async function () {
      const { pool, users } = await loadFixture(staked);
      const liquidity = await pool.instantLiquidity();
      await expect(pool.connect(users[1]).instantRedeem(liquidity + 1n, 0n, users[1].address))
        .to.be.revertedWithCustomError(pool, "InsufficientInstantLiquidity")
        .withArgs(liquidity + 1n, liquidity);
    });

    it("refuses to pay less than minEthOut", async function () {
      const { pool, users } = await loadFixture(staked);
      const alice = users[0];
      const [ethOut] = await pool.previewInstantRedeem(parseEther("1"));
      await expect(pool.connect(alice).instantRedeem(parseEther("1"), ethOut + 1n, alice.address))
        .to.be.revertedWithCustomError(pool, "SlippageExceeded")
        .withArgs(ethOut, ethOut + 1n);
    });

    it("is stopped by the pauser, and resumed only by governance", async function () {
      const { pool, users, pauser, admin } = await loadFixture(staked);
      const alice = users[0];
      await expect(pool.connect(pauser).pause(CAPABILITY_INSTANT_REDEEM))
        .to.emit(pool, "CapabilitiesPaused")
        .withArgs(pauser.address, CAPABILITY_INSTANT_REDEEM);
      await expect(pool.connect(alice).instantRedeem(parseEther("1"), 0n, alice.address)).to.be.revertedWithCustomError(
        pool,
        "InstantRedeemPaused",
      );
      // Staking is a separate capability and keeps working.
      await pool.connect(alice).stake(ZeroAddress, { value: 1000n });
      await expect(pool.connect(pauser).resume(CAPABILITY_INSTANT_REDEEM))
        .to.be.revertedWithCustomError(pool, "AccessControlUnauthorizedAccount")
        .withArgs(pauser.address, ethers.id("RESUME_ROLE"));
      await pool.connect(admin).resume(CAPABILITY_INSTANT_REDEEM);
      await expect(pool.connect(alice).instantRedeem(parseEther("1"), 0n, alice.address)).to.emit(
        pool,
        "InstantRedeemed",
      );
    });

    it("reverts as a whole, changing nothing, when the recipient refuses ETH", async function () {
      const { pool, users } = await loadFixture(staked);
      const alice = users[0];
      const refuser = await (await ethers.getContractFactory("TokenForwarder__Mock")).deploy();
      const [ethOut] = await pool.previewInstantRedeem(parseEther("1"));
      const [S, P, aliceShares] = [
        await pool.totalShares(),
        await pool.totalPooledEther(),
        await pool.sharesOf(alice.address),
      ];
      await expect(pool.connect(alice).instantRedeem(parseEther("1"), 0n, await refuser.getAddress()))
        .to.be.revertedWithCustomError(pool, "EthTransferFailed")
        .withArgs(await refuser.getAddress(), ethOut);
      expect([
        await pool.totalShares(),
        await pool.totalPooledEther(),
        await pool.sharesOf(alice.address),
      ]).to.deep.equal([S, P, aliceShares]);
      expect((await pool.getInstantRedeemParams())[3]).to.equal((P * 100n) / BP);
    });

    it("blocks re-entering instantRedeem from the recipient's receive", async function () {
      const { pool, poolAddress } = await loadFixture(staked);
      const attacker = await (await ethers.getContractFactory("ReentrantRedeemer__Mock")).deploy(poolAddress);
      await attacker.stake({ value: parseEther("2") });
      const amount = parseEther("1");
      const [ethOut] = await pool.previewInstantRedeem(amount);
      const sharesBefore = await pool.sharesOf(await attacker.getAddress());
      const shares = await pool.getSharesByPooledEthRoundUp(amount);

      await attacker.redeem(amount);

      expect(await attacker.innerRevertData()).to.equal(
        pool.interface.encodeErrorResult("ReentrancyGuardReentrantCall"),
      );
      expect(await attacker.receivedWei()).to.equal(ethOut);
      expect(await pool.sharesOf(await attacker.getAddress())).to.equal(sharesBefore - shares);
    });
  });

  describe("the fee over the frame's cumulative use", function () {
    /**
     * 100 ETH staked, 98.4 ETH of it queued for withdrawal: 1.601 ETH of instant liquidity against a
     * 10% frame cap (10 ETH), so one holder can redeem 1 ETH in one call or in many.
     */
    async function thinLiquidity() {
      const f = await loadFixture(deployTidepoolUnlimited);
      const [alice, bob, carol] = f.users;
      await f.pool.connect(alice).stake(ZeroAddress, { value: parseEther("48") });
      await f.pool.connect(bob).stake(ZeroAddress, { value: parseEther("12") });
      await f.pool.connect(carol).stake(ZeroAddress, { value: parseEther("40") });
      const queue = await f.withdrawalQueue.getAddress();
      const request = async (holder: (typeof f.users)[number], amounts: bigint[]) => {
        await f.pool.connect(holder).approve(
          queue,
          amounts.reduce((a, b) => a + b, 0n),
        );
        await f.withdrawalQueue.connect(holder).requestWithdrawals(amounts, holder.address);
      };
      await request(carol, [parseEther("38.4"), parseEther("1.6")]);
      await request(alice, [parseEther("47.6")]); // alice keeps 0.4
      await request(bob, [parseEther("10.8")]); // bob keeps 1.2
      await f.pool.connect(f.admin).setInstantRedeemParams(25n, 300n, 1000n);
      await time.increase(24 * 60 * 60); // a fresh frame
      return f;
    }

    /** Redeems `pieces` one after the other; returns the fees they paid (from the events). */
    async function redeemPieces(f: TidepoolFixture, holder: (typeof f.users)[number], pieces: bigint[]) {
      const fees: bigint[] = [];
      for (const piece of pieces) {
        const receipt = await (await f.pool.connect(holder).instantRedeem(piece, 0n, holder.address)).wait();
        const event = receipt!.logs.map((l) => f.pool.interface.parseLog(l)).find((e) => e?.name === "InstantRedeemed");
        fees.push(event!.args.fee as bigint);
      }
      return fees;
    }

    it("charges 1 ETH split into 20 calls the same as one call, to within a wei per call (never less)", async function () {
      const f = await loadFixture(thinLiquidity);
      const bob = f.users[1];
      const liquidity = await f.pool.instantLiquidity();
      expect(liquidity).to.equal(parseEther("1.601"));
      const [, single] = await f.pool.previewInstantRedeem(parseEther("1"));
      expect(single).to.equal(cumulativeFee(0n, parseEther("1"), liquidity));
      expect((single * BP) / parseEther("1")).to.equal(196n); // about 197 BP, as the review measured

      const fees = await redeemPieces(f, bob, Array<bigint>(20).fill(parseEther("0.05")));
      const total = fees.reduce((a, b) => a + b, 0n);
      // Each piece paid its part of the same integral, rounded up: never less than the single call.
      fees.forEach((fee, i) =>
        expect(fee).to.equal(cumulativeFee(parseEther("0.05") * BigInt(i), parseEther("0.05"), liquidity)),
      );
      expect(total).to.be.greaterThanOrEqual(single);
      expect(total - single).to.be.lessThan(20n);
    });

    it("prices each call after the frame's earlier redemptions, by any holder, against the frame's starting liquidity; a new frame starts afresh", async function () {
      const f = await loadFixture(thinLiquidity);
      const [alice, bob] = f.users;
      const start = await f.pool.instantLiquidity();
      await redeemPieces(f, alice, [parseEther("0.4")]);
      // Bob comes second: the first 0.4 ETH of the curve is used up, whoever used it.
      const expected = cumulativeFee(parseEther("0.4"), parseEther("0.3"), start);
      expect(await f.pool.previewInstantRedeem(parseEther("0.3"))).to.deep.equal([
        parseEther("0.3") - expected,
        expected,
      ]);
      expect(await redeemPieces(f, bob, [parseEther("0.3")])).to.deep.equal([expected]);
      // Liquidity that arrives later in the frame (a stake) does not lower the price of the frame's use.
      await f.pool.connect(f.users[2]).stake(ZeroAddress, { value: parseEther("5") });
      const third = cumulativeFee(parseEther("0.7"), parseEther("0.5"), start);
      expect((await f.pool.previewInstantRedeem(parseEther("0.5")))[1]).to.equal(third);
      // Beyond the starting liquidity the marginal fee stays at 2 × max − min = 575 BP.
      await redeemPieces(f, bob, [parseEther("0.5")]);
      const beyond = cumulativeFee(parseEther("1.2"), parseEther("1"), start);
      expect((await f.pool.previewInstantRedeem(parseEther("1")))[1]).to.equal(beyond);
      // Each further 0.001 ETH there costs 575 BP of it (to within the rounding of two ceilings).
      const further = (await f.pool.previewInstantRedeem(parseEther("1.001")))[1] - beyond;
      expect(further).to.be.within((parseEther("0.001") * 575n) / BP - 1n, (parseEther("0.001") * 575n) / BP + 1n);

      await time.increase(24 * 60 * 60);
      const fresh = await f.pool.instantLiquidity();
      expect((await f.pool.previewInstantRedeem(parseEther("1")))[1]).to.equal(
        cumulativeFee(0n, parseEther("1"), fresh),
      );
    });
  });

  describe("recipients", function () {
    it("refuses the pool, the wrapper and the withdrawal queue as recipients, changing nothing", async function () {
      const { pool, users, wrapper, withdrawalQueue } = await loadFixture(staked);
      const alice = users[0];
      const shares = await pool.sharesOf(alice.address);
      for (const recipient of [
        await pool.getAddress(),
        await wrapper.getAddress(),
        await withdrawalQueue.getAddress(),
      ]) {
        await expect(pool.connect(alice).instantRedeem(parseEther("1"), 0n, recipient))
          .to.be.revertedWithCustomError(pool, "ProtocolContractRefused")
          .withArgs(recipient);
      }
      expect(await pool.sharesOf(alice.address)).to.equal(shares);
    });
  });

  describe("setInstantLiquidityTarget", function () {
    it("defaults to 1% of TVL and sets what deposits must leave in the buffer", async function () {
      const { pool, admin } = await loadFixture(staked);
      const tvl = await pool.totalPooledEther();
      const ceilDivBP = (x: bigint, bp: bigint) => (x * bp + BP - 1n) / BP;
      expect(await pool.instantLiquidityTargetBP()).to.equal(100n);
      expect(await pool.depositableEther()).to.equal(tvl - ceilDivBP(tvl, 100n));

      await expect(pool.connect(admin).setInstantLiquidityTarget(2000n))
        .to.emit(pool, "InstantLiquidityTargetSet")
        .withArgs(2000n);
      expect(await pool.instantLiquidityTargetBP()).to.equal(2000n);
      expect(await pool.depositableEther()).to.equal(tvl - ceilDivBP(tvl, 2000n));

      await pool.connect(admin).setInstantLiquidityTarget(0n);
      expect(await pool.depositableEther()).to.equal(tvl);
    });

    it("refuses a target above 20% of TVL", async function () {
      const { pool, admin } = await loadFixture(staked);
      await expect(pool.connect(admin).setInstantLiquidityTarget(2001n))
        .to.be.revertedWithCustomError(pool, "InvalidInstantLiquidityTarget")
        .withArgs(2001n);
      expect(await pool.instantLiquidityTargetBP()).to.equal(100n);
    });

    it("is governance's only", async function () {
      const { pool, users, pauser } = await loadFixture(staked);
      for (const stranger of [users[0], pauser]) {
        await expect(pool.connect(stranger).setInstantLiquidityTarget(50n))
          .to.be.revertedWithCustomError(pool, "AccessControlUnauthorizedAccount")
          .withArgs(stranger.address, ethers.id("INSTANT_REDEEM_PARAMS_ROLE"));
      }
    });
  });

  describe("setInstantRedeemParams", function () {
    it("sets the fee curve and cap within their bounds", async function () {
      const { pool, admin } = await loadFixture(staked);
      await expect(pool.connect(admin).setInstantRedeemParams(10n, 1000n, 1000n))
        .to.emit(pool, "InstantRedeemParamsSet")
        .withArgs(10n, 1000n, 1000n);
      const liquidity = await pool.instantLiquidity();
      expect((await pool.previewInstantRedeem(liquidity))[1]).to.equal((liquidity * 1000n) / BP);
      expect((await pool.getInstantRedeemParams()).slice(0, 3)).to.deep.equal([10n, 1000n, 1000n]);
    });

    it("refuses a minimum fee below the rebase floor, min above max, max above the cap, and a cap of 0 or above 10%", async function () {
      const { pool, admin } = await loadFixture(staked);
      for (const [min, max, cap] of [
        [9n, 300n, 100n],
        [301n, 300n, 100n],
        [25n, 1001n, 100n],
        [25n, 300n, 0n],
        [25n, 300n, 1001n],
      ]) {
        await expect(pool.connect(admin).setInstantRedeemParams(min, max, cap))
          .to.be.revertedWithCustomError(pool, "InvalidInstantRedeemParams")
          .withArgs(min, max, cap);
      }
    });

    it("is governance's only", async function () {
      const { pool, users, pauser } = await loadFixture(staked);
      for (const stranger of [users[0], pauser]) {
        await expect(pool.connect(stranger).setInstantRedeemParams(25n, 300n, 100n))
          .to.be.revertedWithCustomError(pool, "AccessControlUnauthorizedAccount")
          .withArgs(stranger.address, ethers.id("INSTANT_REDEEM_PARAMS_ROLE"));
      }
    });
  });
});
