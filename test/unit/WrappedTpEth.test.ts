import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, setBalance, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { MaxUint256, TypedDataEncoder, ZeroAddress, ZeroHash, parseEther, toBeHex, verifyTypedData } from "ethers";
import { deployTidepool } from "../helpers/fixtures";
import {
  PERMIT_BYTES,
  PERMIT_TYPES,
  PERMIT_VRS,
  permitDomain,
  signMultisigPermit,
  signPermit,
} from "../helpers/permit";
import {
  NON_TRIVIAL_RATES,
  deployAtRateElevenTenths,
  deployWithHolders,
  type HoldersFixture,
} from "../helpers/wrapper-fixtures";
import { eventTrail } from "../helpers/wrapper-logs";
import { ethDown, ethUp, readTotals, sharesDown, sharesUp, type Totals } from "../helpers/wrapper-rate";

const ONE = 10n ** 18n;
const WTPETH_NAME = "Wrapped Tidepool Staked Ether";
const CAPABILITY_STAKING = 1n;
/** secp256k1 group order, to build the malleable twin of a signature. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** What holders[0] (alice) and holders[1] (bob) wrap in {deployWrappedAtRate}. */
const ALICE_WRAP = parseEther("20") + 3n;
const BOB_WRAP = parseEther("10") + 1n;

/** At 1.1 ETH per share (plus odd wei): alice and bob have wrapped ALICE_WRAP and BOB_WRAP. */
async function deployWrappedAtRate(): Promise<HoldersFixture> {
  const f = await loadFixture(deployAtRateElevenTenths);
  await f.wrapper.connect(f.holders[0]).wrap(ALICE_WRAP);
  await f.wrapper.connect(f.holders[1]).wrap(BOB_WRAP);
  return f;
}

/** Amounts (wei) that exercise rounding: tiny, odd, and large. */
const ODD_AMOUNTS: readonly bigint[] = [
  2n,
  3n,
  7n,
  99n,
  1_000_000_007n,
  ONE + 1n,
  parseEther("2.5") + 3n,
  12_345_678_901_234_567_891n,
];

describe("WrappedTpEth", function () {
  describe("metadata and wiring", function () {
    it("is called Wrapped Tidepool Staked Ether, with symbol wtpETH and 18 decimals", async function () {
      const { wrapper } = await loadFixture(deployTidepool);
      expect(await wrapper.name()).to.equal(WTPETH_NAME);
      expect(await wrapper.symbol()).to.equal("wtpETH");
      expect(await wrapper.decimals()).to.equal(18n);
    });

    it("names the pool proxy as its ERC-4626 asset and as POOL, and the pool trusts it as WRAPPER", async function () {
      const { pool, wrapper, poolAddress, wrapperAddress } = await loadFixture(deployTidepool);
      expect(await wrapper.asset()).to.equal(poolAddress);
      expect(await wrapper.POOL()).to.equal(poolAddress);
      expect(await pool.WRAPPER()).to.equal(wrapperAddress);
    });

    it("starts with no supply, no assets, no balances and no pool shares", async function () {
      const { pool, wrapper, wrapperAddress, users } = await loadFixture(deployTidepool);
      expect(await wrapper.totalSupply()).to.equal(0n);
      expect(await wrapper.totalAssets()).to.equal(0n);
      expect(await wrapper.balanceOf(users[0].address)).to.equal(0n);
      expect(await pool.sharesOf(wrapperAddress)).to.equal(0n);
    });
  });

  describe("exchange rate", function () {
    it("quotes one tpETH per wtpETH and one wtpETH per tpETH while the share rate is 1", async function () {
      const { wrapper, totals } = await loadFixture(deployWithHolders);
      expect(totals.totalPooledEther).to.equal(totals.totalShares);
      expect(await wrapper.tpEthPerToken()).to.equal(ONE);
      expect(await wrapper.tokensPerTpEth()).to.equal(ONE);
      for (const amount of ODD_AMOUNTS) {
        expect(await wrapper.convertToShares(amount)).to.equal(amount);
        expect(await wrapper.convertToAssets(amount)).to.equal(amount);
      }
    });

    for (const { label, fixture } of NON_TRIVIAL_RATES) {
      it(`quotes tpEthPerToken and tokensPerTpEth from the pool's rate, rounded down, at ${label}`, async function () {
        const { pool, wrapper, totals: t } = await loadFixture(fixture);
        expect(await readTotals(pool)).to.deep.equal(t);
        // Both quotes are inexact at these rates, so rounding down is observable.
        expect((ONE * t.totalPooledEther) % t.totalShares).to.not.equal(0n);
        expect((ONE * t.totalShares) % t.totalPooledEther).to.not.equal(0n);
        expect(await wrapper.tpEthPerToken()).to.equal((ONE * t.totalPooledEther) / t.totalShares);
        expect(await wrapper.tokensPerTpEth()).to.equal((ONE * t.totalShares) / t.totalPooledEther);
        expect(await wrapper.tpEthPerToken()).to.equal(await pool.getPooledEthByShares(ONE));
        expect(await wrapper.tokensPerTpEth()).to.equal(await pool.getSharesByPooledEth(ONE));
      });

      it(`converts assets to shares and shares to assets rounding down at ${label}`, async function () {
        const { wrapper, totals: t } = await loadFixture(fixture);
        expect(ODD_AMOUNTS.some((a) => sharesDown(a, t) !== sharesUp(a, t))).to.equal(true);
        expect(ODD_AMOUNTS.some((s) => ethDown(s, t) !== ethUp(s, t))).to.equal(true);
        for (const amount of ODD_AMOUNTS) {
          expect(await wrapper.convertToShares(amount)).to.equal(sharesDown(amount, t));
          expect(await wrapper.convertToAssets(amount)).to.equal(ethDown(amount, t));
        }
      });
    }

    it("reports totalAssets as the tpETH balance of the pool shares the wrapper holds", async function () {
      const { pool, wrapper, wrapperAddress, totals: t } = await loadFixture(deployWrappedAtRate);
      const held = await pool.sharesOf(wrapperAddress);
      expect(held).to.equal(sharesDown(ALICE_WRAP, t) + sharesDown(BOB_WRAP, t));
      expect(await wrapper.totalAssets()).to.equal(ethDown(held, t));
      expect(await wrapper.totalAssets()).to.equal(await pool.balanceOf(wrapperAddress));
      expect(await wrapper.totalAssets()).to.be.above(await wrapper.totalSupply());
    });
  });

  describe("wrap", function () {
    it("mints floor(amount × totalShares / totalPooledEther) wtpETH for as many of the caller's shares, with no tpETH approval", async function () {
      const { pool, wrapper, wrapperAddress, holders, totals: t } = await loadFixture(deployAtRateElevenTenths);
      const [alice] = holders;
      const amount = parseEther("3") + 7n;
      const minted = sharesDown(amount, t);
      expect(minted).to.not.equal(sharesUp(amount, t));
      expect(await pool.allowance(alice.address, wrapperAddress)).to.equal(0n);
      const sharesBefore = await pool.sharesOf(alice.address);
      const balanceBefore = await pool.balanceOf(alice.address);

      expect(await wrapper.connect(alice).wrap.staticCall(amount)).to.equal(minted);
      await wrapper.connect(alice).wrap(amount);

      expect(await wrapper.balanceOf(alice.address)).to.equal(minted);
      expect(await wrapper.totalSupply()).to.equal(minted);
      expect(await pool.sharesOf(alice.address)).to.equal(sharesBefore - minted);
      expect(await pool.sharesOf(wrapperAddress)).to.equal(minted);
      const balanceAfter = await pool.balanceOf(alice.address);
      expect(balanceAfter).to.equal(ethDown(sharesBefore - minted, t));
      expect(balanceBefore - balanceAfter).to.be.at.most(amount);
      expect(await pool.allowance(alice.address, wrapperAddress)).to.equal(0n);
      expect(await readTotals(pool)).to.deep.equal(t);
    });

    it("emits the pool's Transfer and TransferShares from the caller to the wrapper, then Transfer from zero and Deposit", async function () {
      const { pool, wrapper, wrapperAddress, holders, totals: t } = await loadFixture(deployAtRateElevenTenths);
      const [alice] = holders;
      const amount = parseEther("1.5") + 1n;
      const minted = sharesDown(amount, t);

      const tx = await wrapper.connect(alice).wrap(amount);
      await expect(tx)
        .to.emit(pool, "Transfer")
        .withArgs(alice.address, wrapperAddress, ethDown(minted, t))
        .and.to.emit(pool, "TransferShares")
        .withArgs(alice.address, wrapperAddress, minted)
        .and.to.emit(wrapper, "Transfer")
        .withArgs(ZeroAddress, alice.address, minted)
        .and.to.emit(wrapper, "Deposit")
        .withArgs(alice.address, alice.address, amount, minted);
      expect(await eventTrail(tx, { pool, wrapper })).to.deep.equal([
        "pool.Transfer",
        "pool.TransferShares",
        "wrapper.Transfer",
        "wrapper.Deposit",
      ]);
    });

    it("mints exactly the amount wrapped, and takes exactly that much tpETH, while the share rate is 1", async function () {
      const { pool, wrapper, wrapperAddress, holders } = await loadFixture(deployWithHolders);
      const [alice] = holders;
      const amount = parseEther("7") + 13n;
      const balanceBefore = await pool.balanceOf(alice.address);
      await expect(wrapper.connect(alice).wrap(amount))
        .to.emit(wrapper, "Deposit")
        .withArgs(alice.address, alice.address, amount, amount);
      expect(await wrapper.balanceOf(alice.address)).to.equal(amount);
      expect(await pool.balanceOf(alice.address)).to.equal(balanceBefore - amount);
      expect(await pool.sharesOf(wrapperAddress)).to.equal(amount);
    });

    it("adds to the caller's balance when wrapping again", async function () {
      const { wrapper, holders, totals: t } = await loadFixture(deployAtRateElevenTenths);
      const [alice] = holders;
      await wrapper.connect(alice).wrap(parseEther("1"));
      await wrapper.connect(alice).wrap(parseEther("2") + 1n);
      expect(await wrapper.balanceOf(alice.address)).to.equal(
        sharesDown(parseEther("1"), t) + sharesDown(parseEther("2") + 1n, t),
      );
    });

    it("wraps a whole balanceOf() at 1.1 ETH per share leaving at most one share behind, as amounts round down to shares", async function () {
      const { pool, wrapper, holders, totals: t } = await loadFixture(deployAtRateElevenTenths);
      const leftBehind: bigint[] = [];
      for (const holder of holders) {
        const shares = await pool.sharesOf(holder.address);
        const balance = await pool.balanceOf(holder.address);
        await wrapper.connect(holder).wrap(balance);
        const left = await pool.sharesOf(holder.address);
        expect(left).to.equal(shares - sharesDown(balance, t));
        expect(await wrapper.balanceOf(holder.address)).to.equal(sharesDown(balance, t));
        leftBehind.push(left);
      }
      expect(leftBehind).to.deep.equal(holders.map(() => 1n));
    });

    it("reverts with ZeroShares for a zero amount", async function () {
      const { wrapper, holders } = await loadFixture(deployAtRateElevenTenths);
      await expect(wrapper.connect(holders[0]).wrap(0n)).to.be.revertedWithCustomError(wrapper, "ZeroShares");
    });

    it("reverts with ZeroShares for an amount worth less than one share", async function () {
      const { wrapper, holders, totals: t } = await loadFixture(deployAtRateElevenTenths);
      expect(sharesDown(1n, t)).to.equal(0n);
      await expect(wrapper.connect(holders[0]).wrap(1n)).to.be.revertedWithCustomError(wrapper, "ZeroShares");
    });

    it("reverts with the pool's InsufficientShares(caller, held, needed) when the amount is worth more shares than the caller holds", async function () {
      const { pool, wrapper, holders, totals: t } = await loadFixture(deployAtRateElevenTenths);
      const [alice] = holders;
      const held = await pool.sharesOf(alice.address);
      const amount = (await pool.balanceOf(alice.address)) + parseEther("1");
      await expect(wrapper.connect(alice).wrap(amount))
        .to.be.revertedWithCustomError(pool, "InsufficientShares")
        .withArgs(alice.address, held, sharesDown(amount, t));
    });

    it("reverts with the pool's InsufficientShares for a caller without tpETH", async function () {
      const { pool, wrapper, others, totals: t } = await loadFixture(deployAtRateElevenTenths);
      const [carol] = others;
      await expect(wrapper.connect(carol).wrap(ONE))
        .to.be.revertedWithCustomError(pool, "InsufficientShares")
        .withArgs(carol.address, 0n, sharesDown(ONE, t));
    });
  });

  describe("unwrap", function () {
    it("burns the wtpETH, moves exactly as many pool shares to the caller and returns their value rounded down", async function () {
      const { pool, wrapper, wrapperAddress, holders, totals: t } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const burned = 1_234_567_890_123_456_789n;
      expect(ethDown(burned, t)).to.not.equal(ethUp(burned, t));
      const wBefore = await wrapper.balanceOf(alice.address);
      const supplyBefore = await wrapper.totalSupply();
      const sharesBefore = await pool.sharesOf(alice.address);

      expect(await wrapper.connect(alice).unwrap.staticCall(burned)).to.equal(ethDown(burned, t));
      await wrapper.connect(alice).unwrap(burned);

      expect(await wrapper.balanceOf(alice.address)).to.equal(wBefore - burned);
      expect(await wrapper.totalSupply()).to.equal(supplyBefore - burned);
      expect(await pool.sharesOf(wrapperAddress)).to.equal(supplyBefore - burned);
      expect(await pool.sharesOf(alice.address)).to.equal(sharesBefore + burned);
      expect(await pool.balanceOf(alice.address)).to.equal(ethDown(sharesBefore + burned, t));
    });

    it("emits Transfer to zero, the pool's Transfer and TransferShares to the caller, then Withdraw", async function () {
      const { pool, wrapper, wrapperAddress, holders, totals: t } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const burned = parseEther("4") + 9n;
      const tx = await wrapper.connect(alice).unwrap(burned);
      await expect(tx)
        .to.emit(wrapper, "Transfer")
        .withArgs(alice.address, ZeroAddress, burned)
        .and.to.emit(pool, "Transfer")
        .withArgs(wrapperAddress, alice.address, ethDown(burned, t))
        .and.to.emit(pool, "TransferShares")
        .withArgs(wrapperAddress, alice.address, burned)
        .and.to.emit(wrapper, "Withdraw")
        .withArgs(alice.address, alice.address, alice.address, ethDown(burned, t), burned);
      expect(await eventTrail(tx, { pool, wrapper })).to.deep.equal([
        "wrapper.Transfer",
        "pool.Transfer",
        "pool.TransferShares",
        "wrapper.Withdraw",
      ]);
    });

    it("unwraps a whole balance and leaves exactly the other holders' shares in the wrapper", async function () {
      const { pool, wrapper, wrapperAddress, holders, totals: t } = await loadFixture(deployWrappedAtRate);
      const [alice, bob] = holders;
      const all = await wrapper.balanceOf(alice.address);
      expect(all).to.equal(sharesDown(ALICE_WRAP, t));
      await wrapper.connect(alice).unwrap(all);
      expect(await wrapper.balanceOf(alice.address)).to.equal(0n);
      expect(await pool.sharesOf(wrapperAddress)).to.equal(await wrapper.balanceOf(bob.address));
      expect(await wrapper.totalSupply()).to.equal(sharesDown(BOB_WRAP, t));
    });

    it("reverts with ZeroShares for zero", async function () {
      const { wrapper, holders } = await loadFixture(deployWrappedAtRate);
      await expect(wrapper.connect(holders[0]).unwrap(0n)).to.be.revertedWithCustomError(wrapper, "ZeroShares");
    });

    it("reverts with ERC20InsufficientBalance(caller, balance, amount) above the caller's balance", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const balance = await wrapper.balanceOf(alice.address);
      await expect(wrapper.connect(alice).unwrap(balance + 1n))
        .to.be.revertedWithCustomError(wrapper, "ERC20InsufficientBalance")
        .withArgs(alice.address, balance, balance + 1n);
      await expect(wrapper.connect(others[0]).unwrap(1n))
        .to.be.revertedWithCustomError(wrapper, "ERC20InsufficientBalance")
        .withArgs(others[0].address, 0n, 1n);
    });
  });

  describe("staking through the wrapper", function () {
    it("stakeAndWrap stakes msg.value in the pool and mints the new shares as wtpETH to the caller", async function () {
      const {
        pool,
        wrapper,
        poolAddress,
        wrapperAddress,
        others,
        totals: t,
      } = await loadFixture(deployAtRateElevenTenths);
      const [carol, referral] = others;
      const value = parseEther("2") + 3n;
      const shares = sharesDown(value, t);
      const ethBefore = await ethers.provider.getBalance(carol.address);
      const poolEthBefore = await ethers.provider.getBalance(poolAddress);

      expect(await wrapper.connect(carol).stakeAndWrap.staticCall(referral.address, { value })).to.equal(shares);
      const tx = await wrapper.connect(carol).stakeAndWrap(referral.address, { value });
      const receipt = await tx.wait();
      if (receipt === null) throw new Error("not mined");

      expect(await ethers.provider.getBalance(carol.address)).to.equal(ethBefore - value - receipt.fee);
      expect(await ethers.provider.getBalance(poolAddress)).to.equal(poolEthBefore + value);
      expect(await ethers.provider.getBalance(wrapperAddress)).to.equal(0n);
      expect(await wrapper.balanceOf(carol.address)).to.equal(shares);
      expect(await wrapper.totalSupply()).to.equal(shares);
      expect(await pool.sharesOf(wrapperAddress)).to.equal(shares);
      expect(await pool.sharesOf(carol.address)).to.equal(0n);
      expect(await readTotals(pool)).to.deep.equal({
        totalShares: t.totalShares + shares,
        totalPooledEther: t.totalPooledEther + value,
      });
    });

    it("emits Staked by the wrapper with the referral and the pool's mint to the wrapper, then Transfer from zero and Deposit", async function () {
      const { pool, wrapper, wrapperAddress, others, totals: t } = await loadFixture(deployAtRateElevenTenths);
      const [carol, referral] = others;
      const value = parseEther("0.75") + 1n;
      const shares = sharesDown(value, t);
      const after: Totals = { totalShares: t.totalShares + shares, totalPooledEther: t.totalPooledEther + value };

      const tx = await wrapper.connect(carol).stakeAndWrap(referral.address, { value });
      await expect(tx)
        .to.emit(pool, "Staked")
        .withArgs(wrapperAddress, value, shares, referral.address)
        .and.to.emit(pool, "Transfer")
        .withArgs(ZeroAddress, wrapperAddress, ethDown(shares, after))
        .and.to.emit(pool, "TransferShares")
        .withArgs(ZeroAddress, wrapperAddress, shares)
        .and.to.emit(wrapper, "Transfer")
        .withArgs(ZeroAddress, carol.address, shares)
        .and.to.emit(wrapper, "Deposit")
        .withArgs(carol.address, carol.address, value, shares);
      expect(await eventTrail(tx, { pool, wrapper })).to.deep.equal([
        "pool.Transfer",
        "pool.TransferShares",
        "pool.Staked",
        "wrapper.Transfer",
        "wrapper.Deposit",
      ]);
    });

    it("stakes and wraps plain ETH sent to the wrapper, with no referral", async function () {
      const {
        pool,
        wrapper,
        poolAddress,
        wrapperAddress,
        others,
        totals: t,
      } = await loadFixture(deployAtRateElevenTenths);
      const [carol] = others;
      const value = parseEther("1.25") + 7n;
      const shares = sharesDown(value, t);
      const poolEthBefore = await ethers.provider.getBalance(poolAddress);

      await expect(carol.sendTransaction({ to: wrapperAddress, value }))
        .to.emit(pool, "Staked")
        .withArgs(wrapperAddress, value, shares, ZeroAddress)
        .and.to.emit(wrapper, "Transfer")
        .withArgs(ZeroAddress, carol.address, shares)
        .and.to.emit(wrapper, "Deposit")
        .withArgs(carol.address, carol.address, value, shares);
      expect(await wrapper.balanceOf(carol.address)).to.equal(shares);
      expect(await pool.sharesOf(wrapperAddress)).to.equal(shares);
      expect(await ethers.provider.getBalance(poolAddress)).to.equal(poolEthBefore + value);
      expect(await ethers.provider.getBalance(wrapperAddress)).to.equal(0n);
    });

    it("mints exactly one wtpETH per ETH staked while the share rate is 1", async function () {
      const { wrapper, others } = await loadFixture(deployWithHolders);
      const value = parseEther("3") + 5n;
      await wrapper.connect(others[0]).stakeAndWrap(ZeroAddress, { value });
      await others[1].sendTransaction({ to: await wrapper.getAddress(), value });
      expect(await wrapper.balanceOf(others[0].address)).to.equal(value);
      expect(await wrapper.balanceOf(others[1].address)).to.equal(value);
    });

    it("reverts with the pool's StakeZeroAmount when no ETH is sent", async function () {
      const { pool, wrapper, wrapperAddress, others } = await loadFixture(deployAtRateElevenTenths);
      await expect(wrapper.connect(others[0]).stakeAndWrap(ZeroAddress, { value: 0n })).to.be.revertedWithCustomError(
        pool,
        "StakeZeroAmount",
      );
      await expect(others[0].sendTransaction({ to: wrapperAddress, value: 0n })).to.be.revertedWithCustomError(
        pool,
        "StakeZeroAmount",
      );
    });

    it("reverts with the pool's StakeTooSmall when the ETH is worth less than one share", async function () {
      const { pool, wrapper, wrapperAddress, others, totals: t } = await loadFixture(deployAtRateElevenTenths);
      expect(sharesDown(1n, t)).to.equal(0n);
      await expect(wrapper.connect(others[0]).stakeAndWrap(ZeroAddress, { value: 1n }))
        .to.be.revertedWithCustomError(pool, "StakeTooSmall")
        .withArgs(1n);
      await expect(others[0].sendTransaction({ to: wrapperAddress, value: 1n }))
        .to.be.revertedWithCustomError(pool, "StakeTooSmall")
        .withArgs(1n);
    });

    it("reverts with the pool's StakingPaused while staking is paused, while wrap and unwrap keep working", async function () {
      const {
        pool,
        wrapper,
        wrapperAddress,
        pauser,
        holders,
        others,
        totals: t,
      } = await loadFixture(deployAtRateElevenTenths);
      await pool.connect(pauser).pause(CAPABILITY_STAKING);
      await expect(wrapper.connect(others[0]).stakeAndWrap(ZeroAddress, { value: ONE })).to.be.revertedWithCustomError(
        pool,
        "StakingPaused",
      );
      await expect(others[0].sendTransaction({ to: wrapperAddress, value: ONE })).to.be.revertedWithCustomError(
        pool,
        "StakingPaused",
      );

      await wrapper.connect(holders[0]).wrap(ONE);
      expect(await wrapper.balanceOf(holders[0].address)).to.equal(sharesDown(ONE, t));
      await wrapper.connect(holders[0]).unwrap(sharesDown(ONE, t));
      expect(await wrapper.balanceOf(holders[0].address)).to.equal(0n);
    });

    it("reverts with the pool's StakeLimitExceeded(amount, limit) above the current stake limit, and accepts the limit itself", async function () {
      const { pool, wrapper, users } = await loadFixture(deployTidepool);
      const [whale] = users;
      const limit = await pool.getCurrentStakeLimit();
      expect(limit).to.equal(parseEther("150000"));
      await setBalance(whale.address, parseEther("200000"));

      await expect(wrapper.connect(whale).stakeAndWrap(ZeroAddress, { value: limit + 1n }))
        .to.be.revertedWithCustomError(pool, "StakeLimitExceeded")
        .withArgs(limit + 1n, limit);
      await wrapper.connect(whale).stakeAndWrap(ZeroAddress, { value: limit });
      expect(await wrapper.balanceOf(whale.address)).to.equal(limit);
    });
  });

  describe("ERC-4626 deposit and mint", function () {
    it("deposit takes the caller's shares and mints previewDeposit wtpETH to another receiver", async function () {
      const { pool, wrapper, wrapperAddress, holders, others, totals: t } = await loadFixture(deployAtRateElevenTenths);
      const [alice] = holders;
      const [receiver] = others;
      const assets = parseEther("4") + 1n;
      const shares = sharesDown(assets, t);
      const aliceShares = await pool.sharesOf(alice.address);
      expect(await wrapper.previewDeposit(assets)).to.equal(shares);
      expect(await wrapper.connect(alice).deposit.staticCall(assets, receiver.address)).to.equal(shares);

      await expect(wrapper.connect(alice).deposit(assets, receiver.address))
        .to.emit(wrapper, "Deposit")
        .withArgs(alice.address, receiver.address, assets, shares)
        .and.to.emit(wrapper, "Transfer")
        .withArgs(ZeroAddress, receiver.address, shares)
        .and.to.emit(pool, "TransferShares")
        .withArgs(alice.address, wrapperAddress, shares);
      expect(await wrapper.balanceOf(receiver.address)).to.equal(shares);
      expect(await wrapper.balanceOf(alice.address)).to.equal(0n);
      expect(await pool.sharesOf(alice.address)).to.equal(aliceShares - shares);
      expect(await pool.sharesOf(receiver.address)).to.equal(0n);
      expect(await pool.sharesOf(wrapperAddress)).to.equal(shares);
    });

    it("mint takes exactly the shares asked for and charges previewMint tpETH, rounded up", async function () {
      const { pool, wrapper, wrapperAddress, holders, others, totals: t } = await loadFixture(deployAtRateElevenTenths);
      const [alice] = holders;
      const [receiver] = others;
      const shares = parseEther("3") + 5n;
      const assets = ethUp(shares, t);
      expect(assets).to.equal(ethDown(shares, t) + 1n);
      const aliceShares = await pool.sharesOf(alice.address);
      const aliceBalance = await pool.balanceOf(alice.address);
      expect(await wrapper.previewMint(shares)).to.equal(assets);
      expect(await wrapper.connect(alice).mint.staticCall(shares, receiver.address)).to.equal(assets);

      await expect(wrapper.connect(alice).mint(shares, receiver.address))
        .to.emit(wrapper, "Deposit")
        .withArgs(alice.address, receiver.address, assets, shares)
        .and.to.emit(wrapper, "Transfer")
        .withArgs(ZeroAddress, receiver.address, shares)
        .and.to.emit(pool, "TransferShares")
        .withArgs(alice.address, wrapperAddress, shares);
      expect(await wrapper.balanceOf(receiver.address)).to.equal(shares);
      expect(await pool.sharesOf(alice.address)).to.equal(aliceShares - shares);
      expect(aliceBalance - (await pool.balanceOf(alice.address))).to.be.at.most(assets);
    });

    for (const { label, fixture } of NON_TRIVIAL_RATES) {
      it(`previews deposit, mint, withdraw and redeem exactly as they then happen at ${label}`, async function () {
        const { pool, wrapper, holders, totals: t } = await loadFixture(fixture);
        const [alice, bob] = holders;
        for (const assets of ODD_AMOUNTS) {
          const preview = await wrapper.previewDeposit(assets);
          expect(preview).to.equal(sharesDown(assets, t));
          if (preview === 0n) continue; // worth less than one share: ZeroShares, tested elsewhere
          const [bobBefore, aliceShares] = [await wrapper.balanceOf(bob.address), await pool.sharesOf(alice.address)];
          await expect(wrapper.connect(alice).deposit(assets, bob.address))
            .to.emit(wrapper, "Deposit")
            .withArgs(alice.address, bob.address, assets, preview);
          expect(await wrapper.balanceOf(bob.address)).to.equal(bobBefore + preview);
          expect(await pool.sharesOf(alice.address)).to.equal(aliceShares - preview);
        }
        for (const shares of [1n, ...ODD_AMOUNTS.slice(0, 7)]) {
          const preview = await wrapper.previewMint(shares);
          expect(preview).to.equal(ethUp(shares, t));
          const [bobBefore, aliceShares] = [await wrapper.balanceOf(bob.address), await pool.sharesOf(alice.address)];
          await expect(wrapper.connect(alice).mint(shares, bob.address))
            .to.emit(wrapper, "Deposit")
            .withArgs(alice.address, bob.address, preview, shares);
          expect(await wrapper.balanceOf(bob.address)).to.equal(bobBefore + shares);
          expect(await pool.sharesOf(alice.address)).to.equal(aliceShares - shares);
        }
        for (const assets of [1n, ...ODD_AMOUNTS.slice(0, 7)]) {
          const preview = await wrapper.previewWithdraw(assets);
          expect(preview).to.equal(sharesUp(assets, t));
          const [bobBefore, aliceShares] = [await wrapper.balanceOf(bob.address), await pool.sharesOf(alice.address)];
          await expect(wrapper.connect(bob).withdraw(assets, alice.address, bob.address))
            .to.emit(wrapper, "Withdraw")
            .withArgs(bob.address, alice.address, bob.address, assets, preview);
          expect(await wrapper.balanceOf(bob.address)).to.equal(bobBefore - preview);
          expect(await pool.sharesOf(alice.address)).to.equal(aliceShares + preview);
        }
        for (const shares of [1n, ...ODD_AMOUNTS.slice(0, 7)]) {
          const preview = await wrapper.previewRedeem(shares);
          expect(preview).to.equal(ethDown(shares, t));
          const [bobBefore, aliceShares] = [await wrapper.balanceOf(bob.address), await pool.sharesOf(alice.address)];
          await expect(wrapper.connect(bob).redeem(shares, alice.address, bob.address))
            .to.emit(wrapper, "Withdraw")
            .withArgs(bob.address, alice.address, bob.address, preview, shares);
          expect(await wrapper.balanceOf(bob.address)).to.equal(bobBefore - shares);
          expect(await pool.sharesOf(alice.address)).to.equal(aliceShares + shares);
        }
        expect(await readTotals(pool)).to.deep.equal(t);
      });

      it(`rounds previewDeposit, previewRedeem and convert* down and previewMint, previewWithdraw up at ${label}`, async function () {
        const { wrapper, totals: t } = await loadFixture(fixture);
        let assetsRoundedApart = 0;
        let sharesRoundedApart = 0;
        for (const x of ODD_AMOUNTS) {
          expect(await wrapper.previewDeposit(x)).to.equal(sharesDown(x, t));
          expect(await wrapper.convertToShares(x)).to.equal(sharesDown(x, t));
          expect(await wrapper.previewWithdraw(x)).to.equal(sharesUp(x, t));
          expect(await wrapper.previewRedeem(x)).to.equal(ethDown(x, t));
          expect(await wrapper.convertToAssets(x)).to.equal(ethDown(x, t));
          expect(await wrapper.previewMint(x)).to.equal(ethUp(x, t));
          if ((await wrapper.previewWithdraw(x)) === (await wrapper.previewDeposit(x)) + 1n) assetsRoundedApart++;
          if ((await wrapper.previewMint(x)) === (await wrapper.previewRedeem(x)) + 1n) sharesRoundedApart++;
        }
        expect(assetsRoundedApart).to.be.greaterThan(0);
        expect(sharesRoundedApart).to.be.greaterThan(0);
      });
    }

    it("previews without rounding while the share rate is 1", async function () {
      const { wrapper } = await loadFixture(deployWithHolders);
      for (const x of ODD_AMOUNTS) {
        expect(await wrapper.previewDeposit(x)).to.equal(x);
        expect(await wrapper.previewMint(x)).to.equal(x);
        expect(await wrapper.previewWithdraw(x)).to.equal(x);
        expect(await wrapper.previewRedeem(x)).to.equal(x);
      }
    });

    it("reports maxDeposit and maxMint as unlimited for a receiver wtpETH can be minted to, and 0 for the zero address and the wrapper", async function () {
      const { wrapper, wrapperAddress, holders, others } = await loadFixture(deployAtRateElevenTenths);
      for (const account of [holders[0].address, others[0].address]) {
        expect(await wrapper.maxDeposit(account)).to.equal(MaxUint256);
        expect(await wrapper.maxMint(account)).to.equal(MaxUint256);
      }
      // Every deposit and mint to these reverts ERC20InvalidReceiver, zero amounts included.
      for (const account of [ZeroAddress, wrapperAddress]) {
        expect(await wrapper.maxDeposit(account)).to.equal(0n);
        expect(await wrapper.maxMint(account)).to.equal(0n);
        await expect(wrapper.connect(holders[0]).deposit(0n, account))
          .to.be.revertedWithCustomError(wrapper, "ERC20InvalidReceiver")
          .withArgs(account);
        await expect(wrapper.connect(holders[0]).mint(0n, account))
          .to.be.revertedWithCustomError(wrapper, "ERC20InvalidReceiver")
          .withArgs(account);
      }
    });

    it("deposit(0) and mint(0) succeed as no-ops: they return 0, emit Deposit with zeros and move no share", async function () {
      const { pool, wrapper, wrapperAddress, holders, others } = await loadFixture(deployAtRateElevenTenths);
      const [alice, bob] = holders;
      const [empty] = others;
      for (const caller of [alice, empty]) {
        const callerShares = await pool.sharesOf(caller.address);
        const supply = await wrapper.totalSupply();
        expect(await wrapper.connect(caller).deposit.staticCall(0n, bob.address)).to.equal(0n);
        expect(await wrapper.connect(caller).mint.staticCall(0n, bob.address)).to.equal(0n);
        for (const tx of [
          await wrapper.connect(caller).deposit(0n, bob.address),
          await wrapper.connect(caller).mint(0n, bob.address),
        ]) {
          await expect(tx).to.emit(wrapper, "Deposit").withArgs(caller.address, bob.address, 0n, 0n);
          await expect(tx).to.emit(wrapper, "Transfer").withArgs(ZeroAddress, bob.address, 0n);
          await expect(tx).to.emit(pool, "TransferShares").withArgs(caller.address, wrapperAddress, 0n);
          expect(await eventTrail(tx, { pool, wrapper })).to.deep.equal([
            "pool.Transfer",
            "pool.TransferShares",
            "wrapper.Transfer",
            "wrapper.Deposit",
          ]);
        }
        expect(await pool.sharesOf(caller.address)).to.equal(callerShares);
        expect(await wrapper.balanceOf(bob.address)).to.equal(0n);
        expect(await wrapper.totalSupply()).to.equal(supply);
        expect(await pool.sharesOf(wrapperAddress)).to.equal(supply);
      }
    });

    it("reverts with ZeroShares when a non-zero deposit is worth less than one share (it cannot all be deposited)", async function () {
      const { pool, wrapper, holders, totals: t } = await loadFixture(deployAtRateElevenTenths);
      const [alice, bob] = holders;
      expect(sharesDown(1n, t)).to.equal(0n);
      expect(await wrapper.previewDeposit(1n)).to.equal(0n);
      const aliceShares = await pool.sharesOf(alice.address);
      await expect(wrapper.connect(alice).deposit(1n, bob.address)).to.be.revertedWithCustomError(
        wrapper,
        "ZeroShares",
      );
      expect(await pool.sharesOf(alice.address)).to.equal(aliceShares);
      expect(await wrapper.balanceOf(bob.address)).to.equal(0n);
    });

    it("reverts with ERC20InvalidReceiver when the receiver is the zero address or the wrapper itself", async function () {
      const { wrapper, wrapperAddress, holders } = await loadFixture(deployAtRateElevenTenths);
      const [alice] = holders;
      for (const receiver of [ZeroAddress, wrapperAddress]) {
        await expect(wrapper.connect(alice).deposit(ONE, receiver))
          .to.be.revertedWithCustomError(wrapper, "ERC20InvalidReceiver")
          .withArgs(receiver);
        await expect(wrapper.connect(alice).mint(ONE, receiver))
          .to.be.revertedWithCustomError(wrapper, "ERC20InvalidReceiver")
          .withArgs(receiver);
      }
    });

    it("reverts with the pool's InsufficientShares when the caller holds too few shares", async function () {
      const { pool, wrapper, holders, others, totals: t } = await loadFixture(deployAtRateElevenTenths);
      const [alice] = holders;
      const held = await pool.sharesOf(alice.address);
      const assets = (await pool.balanceOf(alice.address)) * 2n;
      await expect(wrapper.connect(alice).deposit(assets, others[0].address))
        .to.be.revertedWithCustomError(pool, "InsufficientShares")
        .withArgs(alice.address, held, sharesDown(assets, t));
      await expect(wrapper.connect(alice).mint(held + 1n, others[0].address))
        .to.be.revertedWithCustomError(pool, "InsufficientShares")
        .withArgs(alice.address, held, held + 1n);
    });
  });

  describe("ERC-4626 withdraw and redeem", function () {
    it("withdraw by the owner burns previewWithdraw wtpETH, rounded up, and raises the receiver's tpETH by at least the assets", async function () {
      const { pool, wrapper, wrapperAddress, holders, totals: t } = await loadFixture(deployWrappedAtRate);
      const [alice, , receiver] = holders;
      const assets = ONE + 1n;
      const shares = sharesUp(assets, t);
      expect(shares).to.equal(sharesDown(assets, t) + 1n);
      const wBefore = await wrapper.balanceOf(alice.address);
      const receiverShares = await pool.sharesOf(receiver.address);
      const receiverBalance = await pool.balanceOf(receiver.address);
      expect(await wrapper.previewWithdraw(assets)).to.equal(shares);
      expect(await wrapper.connect(alice).withdraw.staticCall(assets, receiver.address, alice.address)).to.equal(
        shares,
      );

      await expect(wrapper.connect(alice).withdraw(assets, receiver.address, alice.address))
        .to.emit(wrapper, "Withdraw")
        .withArgs(alice.address, receiver.address, alice.address, assets, shares)
        .and.to.emit(wrapper, "Transfer")
        .withArgs(alice.address, ZeroAddress, shares)
        .and.to.emit(pool, "TransferShares")
        .withArgs(wrapperAddress, receiver.address, shares);
      expect(await wrapper.balanceOf(alice.address)).to.equal(wBefore - shares);
      expect(await pool.sharesOf(receiver.address)).to.equal(receiverShares + shares);
      const receiverAfter = await pool.balanceOf(receiver.address);
      expect(receiverAfter).to.equal(ethDown(receiverShares + shares, t));
      expect(receiverAfter - receiverBalance).to.be.at.least(assets);
    });

    it("withdraw by an approved spender spends the owner's allowance in wtpETH", async function () {
      const { wrapper, holders, others, totals: t } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender, receiver] = others;
      const assets = parseEther("2") + 1n;
      const shares = sharesUp(assets, t);
      await wrapper.connect(alice).approve(spender.address, shares + 10n);
      const wBefore = await wrapper.balanceOf(alice.address);

      await expect(wrapper.connect(spender).withdraw(assets, receiver.address, alice.address))
        .to.emit(wrapper, "Withdraw")
        .withArgs(spender.address, receiver.address, alice.address, assets, shares);
      expect(await wrapper.allowance(alice.address, spender.address)).to.equal(10n);
      expect(await wrapper.balanceOf(alice.address)).to.equal(wBefore - shares);
      expect(await wrapper.balanceOf(spender.address)).to.equal(0n);
    });

    it("redeem by an approved spender moves exactly the shares and returns previewRedeem, rounded down", async function () {
      const { pool, wrapper, holders, others, totals: t } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender, receiver] = others;
      const shares = parseEther("3") + 1n;
      const assets = ethDown(shares, t);
      expect(assets).to.equal(ethUp(shares, t) - 1n);
      await wrapper.connect(alice).approve(spender.address, shares);
      const wBefore = await wrapper.balanceOf(alice.address);
      expect(await wrapper.previewRedeem(shares)).to.equal(assets);
      expect(await wrapper.connect(spender).redeem.staticCall(shares, receiver.address, alice.address)).to.equal(
        assets,
      );

      await expect(wrapper.connect(spender).redeem(shares, receiver.address, alice.address))
        .to.emit(wrapper, "Withdraw")
        .withArgs(spender.address, receiver.address, alice.address, assets, shares)
        .and.to.emit(wrapper, "Transfer")
        .withArgs(alice.address, ZeroAddress, shares);
      expect(await wrapper.allowance(alice.address, spender.address)).to.equal(0n);
      expect(await wrapper.balanceOf(alice.address)).to.equal(wBefore - shares);
      expect(await pool.sharesOf(receiver.address)).to.equal(shares);
      expect(await pool.balanceOf(receiver.address)).to.equal(assets);
    });

    it("does not decrease an infinite allowance on withdraw or redeem", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender, receiver] = others;
      await wrapper.connect(alice).approve(spender.address, MaxUint256);
      await wrapper.connect(spender).withdraw(ONE, receiver.address, alice.address);
      await wrapper.connect(spender).redeem(ONE, receiver.address, alice.address);
      expect(await wrapper.allowance(alice.address, spender.address)).to.equal(MaxUint256);
    });

    it("reverts with ERC20InsufficientAllowance(spender, allowance, shares) when the spender's allowance is short", async function () {
      const { wrapper, holders, others, totals: t } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender, receiver] = others;
      const assets = ONE + 1n;
      const shares = sharesUp(assets, t);
      await expect(wrapper.connect(spender).withdraw(assets, receiver.address, alice.address))
        .to.be.revertedWithCustomError(wrapper, "ERC20InsufficientAllowance")
        .withArgs(spender.address, 0n, shares);
      await wrapper.connect(alice).approve(spender.address, shares - 1n);
      await expect(wrapper.connect(spender).withdraw(assets, receiver.address, alice.address))
        .to.be.revertedWithCustomError(wrapper, "ERC20InsufficientAllowance")
        .withArgs(spender.address, shares - 1n, shares);
      await expect(wrapper.connect(spender).redeem(shares, receiver.address, alice.address))
        .to.be.revertedWithCustomError(wrapper, "ERC20InsufficientAllowance")
        .withArgs(spender.address, shares - 1n, shares);
    });

    it("reports maxWithdraw as the balance's value rounded down and maxRedeem as the balance, and both can be taken in full", async function () {
      const { wrapper, holders, others, totals: t } = await loadFixture(deployWrappedAtRate);
      const [alice, bob] = holders;
      const [carol] = others;
      const aliceBalance = await wrapper.balanceOf(alice.address);
      const bobBalance = await wrapper.balanceOf(bob.address);
      expect(await wrapper.maxRedeem(alice.address)).to.equal(aliceBalance);
      expect(await wrapper.maxWithdraw(alice.address)).to.equal(ethDown(aliceBalance, t));
      expect(ethDown(aliceBalance, t)).to.not.equal(ethUp(aliceBalance, t));
      expect(await wrapper.maxRedeem(carol.address)).to.equal(0n);
      expect(await wrapper.maxWithdraw(carol.address)).to.equal(0n);

      const maxAssets = await wrapper.maxWithdraw(alice.address);
      await wrapper.connect(alice).withdraw(maxAssets, alice.address, alice.address);
      expect(await wrapper.balanceOf(alice.address)).to.equal(aliceBalance - sharesUp(maxAssets, t));

      await wrapper.connect(bob).redeem(await wrapper.maxRedeem(bob.address), bob.address, bob.address);
      expect(await wrapper.balanceOf(bob.address)).to.equal(0n);
      expect(await wrapper.maxWithdraw(bob.address)).to.equal(0n);
    });

    it("withdraw(0) and redeem(0) succeed as no-ops, even for an owner with no wtpETH and a spender with no allowance", async function () {
      const { pool, wrapper, wrapperAddress, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender, receiver, empty] = others;
      // A router redeeming a balance that may be zero: its own (empty) one, or alice's without allowance.
      for (const [caller, owner] of [
        [alice, alice],
        [empty, empty],
        [spender, alice],
      ] as const) {
        const ownerBalance = await wrapper.balanceOf(owner.address);
        const supply = await wrapper.totalSupply();
        expect(await wrapper.connect(caller).withdraw.staticCall(0n, receiver.address, owner.address)).to.equal(0n);
        expect(await wrapper.connect(caller).redeem.staticCall(0n, receiver.address, owner.address)).to.equal(0n);
        for (const tx of [
          await wrapper.connect(caller).withdraw(0n, receiver.address, owner.address),
          await wrapper.connect(caller).redeem(0n, receiver.address, owner.address),
        ]) {
          await expect(tx)
            .to.emit(wrapper, "Withdraw")
            .withArgs(caller.address, receiver.address, owner.address, 0n, 0n);
          await expect(tx).to.emit(wrapper, "Transfer").withArgs(owner.address, ZeroAddress, 0n);
          await expect(tx).to.emit(pool, "TransferShares").withArgs(wrapperAddress, receiver.address, 0n);
          expect(await eventTrail(tx, { pool, wrapper })).to.deep.equal([
            "wrapper.Transfer",
            "pool.Transfer",
            "pool.TransferShares",
            "wrapper.Withdraw",
          ]);
        }
        expect(await wrapper.balanceOf(owner.address)).to.equal(ownerBalance);
        expect(await wrapper.totalSupply()).to.equal(supply);
        expect(await pool.sharesOf(receiver.address)).to.equal(0n);
        expect(await wrapper.allowance(alice.address, spender.address)).to.equal(0n);
      }
    });

    it("still checks the receiver on withdraw(0) and redeem(0): the pool's ERC20InvalidReceiver", async function () {
      const { pool, wrapper, poolAddress, wrapperAddress, holders } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      for (const receiver of [ZeroAddress, poolAddress, wrapperAddress]) {
        await expect(wrapper.connect(alice).withdraw(0n, receiver, alice.address))
          .to.be.revertedWithCustomError(pool, "ERC20InvalidReceiver")
          .withArgs(receiver);
        await expect(wrapper.connect(alice).redeem(0n, receiver, alice.address))
          .to.be.revertedWithCustomError(pool, "ERC20InvalidReceiver")
          .withArgs(receiver);
      }
    });

    it("reverts with ERC20InvalidSender(0) when the owner is the zero address, zero amounts included", async function () {
      const { pool, wrapper, others } = await loadFixture(deployWrappedAtRate);
      const [spender, receiver] = others;
      const supply = await wrapper.totalSupply();
      for (const amount of [0n, 1n, ONE]) {
        await expect(wrapper.connect(spender).withdraw(amount, receiver.address, ZeroAddress))
          .to.be.revertedWithCustomError(wrapper, "ERC20InvalidSender")
          .withArgs(ZeroAddress);
        await expect(wrapper.connect(spender).redeem(amount, receiver.address, ZeroAddress))
          .to.be.revertedWithCustomError(wrapper, "ERC20InvalidSender")
          .withArgs(ZeroAddress);
      }
      expect(await pool.sharesOf(receiver.address)).to.equal(0n);
      expect(await wrapper.totalSupply()).to.equal(supply);
    });

    it("reverts with ERC20InsufficientBalance(owner, balance, shares) above the owner's balance", async function () {
      const { wrapper, holders, others, totals: t } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender] = others;
      const balance = await wrapper.balanceOf(alice.address);
      const assets = (await wrapper.maxWithdraw(alice.address)) + ONE;
      await expect(wrapper.connect(alice).withdraw(assets, alice.address, alice.address))
        .to.be.revertedWithCustomError(wrapper, "ERC20InsufficientBalance")
        .withArgs(alice.address, balance, sharesUp(assets, t));
      await wrapper.connect(alice).approve(spender.address, MaxUint256);
      await expect(wrapper.connect(spender).redeem(balance + 1n, spender.address, alice.address))
        .to.be.revertedWithCustomError(wrapper, "ERC20InsufficientBalance")
        .withArgs(alice.address, balance, balance + 1n);
    });

    it("reverts with the pool's ERC20InvalidReceiver when the receiver is the zero address, the pool or the wrapper", async function () {
      const { pool, wrapper, poolAddress, wrapperAddress, holders } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      for (const receiver of [ZeroAddress, poolAddress, wrapperAddress]) {
        await expect(wrapper.connect(alice).withdraw(ONE, receiver, alice.address))
          .to.be.revertedWithCustomError(pool, "ERC20InvalidReceiver")
          .withArgs(receiver);
        await expect(wrapper.connect(alice).redeem(ONE, receiver, alice.address))
          .to.be.revertedWithCustomError(pool, "ERC20InvalidReceiver")
          .withArgs(receiver);
      }
    });
  });

  describe("ERC-20", function () {
    it("transfer moves wtpETH, emits Transfer, returns true and leaves the supply and the pool untouched", async function () {
      const { pool, wrapper, wrapperAddress, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [carol] = others;
      const value = parseEther("1") + 1n;
      const aliceBefore = await wrapper.balanceOf(alice.address);
      const supply = await wrapper.totalSupply();
      expect(await wrapper.connect(alice).transfer.staticCall(carol.address, value)).to.equal(true);
      await expect(wrapper.connect(alice).transfer(carol.address, value))
        .to.emit(wrapper, "Transfer")
        .withArgs(alice.address, carol.address, value);
      expect(await wrapper.balanceOf(alice.address)).to.equal(aliceBefore - value);
      expect(await wrapper.balanceOf(carol.address)).to.equal(value);
      expect(await wrapper.totalSupply()).to.equal(supply);
      expect(await pool.sharesOf(wrapperAddress)).to.equal(supply);
      expect(await pool.sharesOf(carol.address)).to.equal(0n);
    });

    it("transfer to oneself and transfer of zero leave balances unchanged and still emit Transfer", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const before = await wrapper.balanceOf(alice.address);
      await expect(wrapper.connect(alice).transfer(alice.address, before))
        .to.emit(wrapper, "Transfer")
        .withArgs(alice.address, alice.address, before);
      expect(await wrapper.balanceOf(alice.address)).to.equal(before);
      await expect(wrapper.connect(others[0]).transfer(alice.address, 0n))
        .to.emit(wrapper, "Transfer")
        .withArgs(others[0].address, alice.address, 0n);
      expect(await wrapper.balanceOf(alice.address)).to.equal(before);
    });

    it("transfer reverts with ERC20InvalidReceiver for the zero address and the wrapper itself", async function () {
      const { wrapper, wrapperAddress, holders } = await loadFixture(deployWrappedAtRate);
      for (const to of [ZeroAddress, wrapperAddress]) {
        await expect(wrapper.connect(holders[0]).transfer(to, 1n))
          .to.be.revertedWithCustomError(wrapper, "ERC20InvalidReceiver")
          .withArgs(to);
      }
    });

    it("transfer reverts with ERC20InsufficientBalance(sender, balance, value) above the balance", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const balance = await wrapper.balanceOf(alice.address);
      await expect(wrapper.connect(alice).transfer(others[0].address, balance + 1n))
        .to.be.revertedWithCustomError(wrapper, "ERC20InsufficientBalance")
        .withArgs(alice.address, balance, balance + 1n);
    });

    it("approve sets the allowance, emits Approval, returns true, and a new approval replaces the old one", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender] = others;
      expect(await wrapper.connect(alice).approve.staticCall(spender.address, 5n)).to.equal(true);
      await expect(wrapper.connect(alice).approve(spender.address, 5n))
        .to.emit(wrapper, "Approval")
        .withArgs(alice.address, spender.address, 5n);
      expect(await wrapper.allowance(alice.address, spender.address)).to.equal(5n);
      await wrapper.connect(alice).approve(spender.address, 3n);
      expect(await wrapper.allowance(alice.address, spender.address)).to.equal(3n);
      expect(await wrapper.allowance(spender.address, alice.address)).to.equal(0n);
    });

    it("approve reverts with ERC20InvalidSpender for the zero address", async function () {
      const { wrapper, holders } = await loadFixture(deployWrappedAtRate);
      await expect(wrapper.connect(holders[0]).approve(ZeroAddress, 1n))
        .to.be.revertedWithCustomError(wrapper, "ERC20InvalidSpender")
        .withArgs(ZeroAddress);
    });

    it("transferFrom spends the allowance, moves the tokens, returns true and emits no Approval", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender, carol] = others;
      const value = parseEther("2") + 9n;
      await wrapper.connect(alice).approve(spender.address, value + 100n);
      const aliceBefore = await wrapper.balanceOf(alice.address);
      expect(await wrapper.connect(spender).transferFrom.staticCall(alice.address, carol.address, value)).to.equal(
        true,
      );
      await expect(wrapper.connect(spender).transferFrom(alice.address, carol.address, value))
        .to.emit(wrapper, "Transfer")
        .withArgs(alice.address, carol.address, value)
        .and.not.to.emit(wrapper, "Approval");
      expect(await wrapper.allowance(alice.address, spender.address)).to.equal(100n);
      expect(await wrapper.balanceOf(alice.address)).to.equal(aliceBefore - value);
      expect(await wrapper.balanceOf(carol.address)).to.equal(value);
      expect(await wrapper.balanceOf(spender.address)).to.equal(0n);
    });

    it("transferFrom leaves an infinite allowance untouched", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender, carol] = others;
      await wrapper.connect(alice).approve(spender.address, MaxUint256);
      await wrapper.connect(spender).transferFrom(alice.address, carol.address, ONE);
      expect(await wrapper.allowance(alice.address, spender.address)).to.equal(MaxUint256);
      expect(await wrapper.balanceOf(carol.address)).to.equal(ONE);
    });

    it("transferFrom reverts with ERC20InsufficientAllowance(spender, allowance, value) when the allowance is short", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender, carol] = others;
      await expect(wrapper.connect(spender).transferFrom(alice.address, carol.address, 1n))
        .to.be.revertedWithCustomError(wrapper, "ERC20InsufficientAllowance")
        .withArgs(spender.address, 0n, 1n);
      await wrapper.connect(alice).approve(spender.address, ONE);
      await expect(wrapper.connect(spender).transferFrom(alice.address, carol.address, ONE + 1n))
        .to.be.revertedWithCustomError(wrapper, "ERC20InsufficientAllowance")
        .withArgs(spender.address, ONE, ONE + 1n);
    });

    it("transferFrom reverts with ERC20InvalidReceiver for the zero address and the wrapper itself", async function () {
      const { wrapper, wrapperAddress, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender] = others;
      await wrapper.connect(alice).approve(spender.address, MaxUint256);
      for (const to of [ZeroAddress, wrapperAddress]) {
        await expect(wrapper.connect(spender).transferFrom(alice.address, to, 1n))
          .to.be.revertedWithCustomError(wrapper, "ERC20InvalidReceiver")
          .withArgs(to);
      }
    });

    it("transferFrom reverts with ERC20InvalidSender(0) from the zero address for any value, so no transfer looks like a mint", async function () {
      const { wrapper, others } = await loadFixture(deployWrappedAtRate);
      const [spender, carol] = others;
      const supply = await wrapper.totalSupply();
      for (const value of [0n, 1n, ONE]) {
        await expect(wrapper.connect(spender).transferFrom(ZeroAddress, carol.address, value))
          .to.be.revertedWithCustomError(wrapper, "ERC20InvalidSender")
          .withArgs(ZeroAddress);
      }
      expect(await wrapper.balanceOf(carol.address)).to.equal(0n);
      expect(await wrapper.totalSupply()).to.equal(supply);
    });

    it("transferFrom reverts with ERC20InsufficientBalance(owner, balance, value) when the owner holds too little", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender, carol] = others;
      await wrapper.connect(alice).approve(spender.address, MaxUint256);
      const balance = await wrapper.balanceOf(alice.address);
      await expect(wrapper.connect(spender).transferFrom(alice.address, carol.address, balance + 1n))
        .to.be.revertedWithCustomError(wrapper, "ERC20InsufficientBalance")
        .withArgs(alice.address, balance, balance + 1n);
    });
  });

  describe("permit", function () {
    it("exposes the EIP-712 domain Wrapped Tidepool Staked Ether, version 1, and its DOMAIN_SEPARATOR", async function () {
      const { pool, wrapper, wrapperAddress } = await loadFixture(deployTidepool);
      const { chainId } = await ethers.provider.getNetwork();
      const [fields, name, version, domainChainId, verifyingContract, salt, extensions] = await wrapper.eip712Domain();
      expect(fields).to.equal("0x0f");
      expect(name).to.equal(WTPETH_NAME);
      expect(version).to.equal("1");
      expect(domainChainId).to.equal(chainId);
      expect(verifyingContract).to.equal(wrapperAddress);
      expect(salt).to.equal(ZeroHash);
      expect([...extensions]).to.deep.equal([]);
      expect(await wrapper.DOMAIN_SEPARATOR()).to.equal(
        TypedDataEncoder.hashDomain({ name: WTPETH_NAME, version: "1", chainId, verifyingContract: wrapperAddress }),
      );
      expect(await wrapper.DOMAIN_SEPARATOR()).to.not.equal(await pool.DOMAIN_SEPARATOR());
    });

    it("sets the allowance from the owner's signature submitted by anyone, emits Approval and uses the owner's nonce", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender, relayer] = others;
      const value = parseEther("5") + 1n;
      const deadline = BigInt(await time.latest()) + 3600n;
      expect(await wrapper.nonces(alice.address)).to.equal(0n);
      const { v, r, s } = await signPermit(wrapper, alice, spender.address, value, deadline);

      await expect(wrapper.connect(relayer)[PERMIT_VRS](alice.address, spender.address, value, deadline, v, r, s))
        .to.emit(wrapper, "Approval")
        .withArgs(alice.address, spender.address, value);
      expect(await wrapper.allowance(alice.address, spender.address)).to.equal(value);
      expect(await wrapper.nonces(alice.address)).to.equal(1n);
      expect(await wrapper.nonces(relayer.address)).to.equal(0n);

      await wrapper.connect(spender).transferFrom(alice.address, spender.address, value);
      expect(await wrapper.balanceOf(spender.address)).to.equal(value);
    });

    it("accepts a permit in the second of its deadline and rejects one a second later with ERC2612ExpiredSignature(deadline)", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender] = others;
      const deadline = BigInt(await time.latest()) + 100n;
      const first = await signPermit(wrapper, alice, spender.address, 1n, deadline);
      await time.setNextBlockTimestamp(deadline);
      await wrapper[PERMIT_VRS](alice.address, spender.address, 1n, deadline, first.v, first.r, first.s);
      expect(await wrapper.allowance(alice.address, spender.address)).to.equal(1n);

      const second = await signPermit(wrapper, alice, spender.address, 2n, deadline);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(wrapper[PERMIT_VRS](alice.address, spender.address, 2n, deadline, second.v, second.r, second.s))
        .to.be.revertedWithCustomError(wrapper, "ERC2612ExpiredSignature")
        .withArgs(deadline);
      expect(await wrapper.allowance(alice.address, spender.address)).to.equal(1n);
      expect(await wrapper.nonces(alice.address)).to.equal(1n);
    });

    it("rejects a signature by another key with ERC2612InvalidSigner(signer, owner)", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice, mallory] = holders;
      const [spender] = others;
      const deadline = BigInt(await time.latest()) + 3600n;
      const { v, r, s } = await signPermit(wrapper, mallory, spender.address, ONE, deadline, { owner: alice.address });
      const recovered = verifyTypedData(
        await permitDomain(wrapper),
        PERMIT_TYPES,
        { owner: alice.address, spender: spender.address, value: ONE, nonce: 0n, deadline },
        { v, r, s },
      );
      expect(recovered).to.equal(mallory.address);

      await expect(wrapper[PERMIT_VRS](alice.address, spender.address, ONE, deadline, v, r, s))
        .to.be.revertedWithCustomError(wrapper, "ERC2612InvalidSigner")
        .withArgs(mallory.address, alice.address);
      expect(await wrapper.allowance(alice.address, spender.address)).to.equal(0n);
      expect(await wrapper.nonces(alice.address)).to.equal(0n);
    });

    it("cannot be replayed: the nonce has moved on, so the same signature recovers another signer", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender] = others;
      const deadline = BigInt(await time.latest()) + 3600n;
      const { v, r, s } = await signPermit(wrapper, alice, spender.address, ONE, deadline);
      await wrapper[PERMIT_VRS](alice.address, spender.address, ONE, deadline, v, r, s);
      await wrapper.connect(spender).transferFrom(alice.address, spender.address, ONE);
      expect(await wrapper.allowance(alice.address, spender.address)).to.equal(0n);

      const replayedSigner = verifyTypedData(
        await permitDomain(wrapper),
        PERMIT_TYPES,
        { owner: alice.address, spender: spender.address, value: ONE, nonce: 1n, deadline },
        { v, r, s },
      );
      expect(replayedSigner).to.not.equal(alice.address);
      await expect(wrapper[PERMIT_VRS](alice.address, spender.address, ONE, deadline, v, r, s))
        .to.be.revertedWithCustomError(wrapper, "ERC2612InvalidSigner")
        .withArgs(replayedSigner, alice.address);
      expect(await wrapper.allowance(alice.address, spender.address)).to.equal(0n);
    });

    it("rejects the owner's signature over other terms or over the tpETH domain with ERC2612InvalidSigner", async function () {
      const { pool, wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender] = others;
      const deadline = BigInt(await time.latest()) + 3600n;
      const domain = await permitDomain(wrapper);
      const message = { owner: alice.address, spender: spender.address, value: ONE + 1n, nonce: 0n, deadline };

      const forOne = await signPermit(wrapper, alice, spender.address, ONE, deadline);
      const inflated = verifyTypedData(domain, PERMIT_TYPES, message, { v: forOne.v, r: forOne.r, s: forOne.s });
      await expect(
        wrapper[PERMIT_VRS](alice.address, spender.address, ONE + 1n, deadline, forOne.v, forOne.r, forOne.s),
      )
        .to.be.revertedWithCustomError(wrapper, "ERC2612InvalidSigner")
        .withArgs(inflated, alice.address);

      const forPool = await signPermit(wrapper, alice, spender.address, ONE, deadline, {
        domain: await permitDomain(pool),
      });
      const crossDomain = verifyTypedData(
        domain,
        PERMIT_TYPES,
        { ...message, value: ONE },
        { v: forPool.v, r: forPool.r, s: forPool.s },
      );
      expect(crossDomain).to.not.equal(alice.address);
      await expect(wrapper[PERMIT_VRS](alice.address, spender.address, ONE, deadline, forPool.v, forPool.r, forPool.s))
        .to.be.revertedWithCustomError(wrapper, "ERC2612InvalidSigner")
        .withArgs(crossDomain, alice.address);
    });

    it("rejects the malleable high-s twin of a valid signature with ECDSAInvalidSignatureS", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender] = others;
      const deadline = BigInt(await time.latest()) + 3600n;
      const { v, r, s } = await signPermit(wrapper, alice, spender.address, ONE, deadline);
      // (r, n − s) with the other parity recovers the same key: the twin ECDSA must refuse.
      const highS = toBeHex(SECP256K1_N - BigInt(s), 32);
      const twinV = v === 27 ? 28 : 27;

      await expect(wrapper[PERMIT_VRS](alice.address, spender.address, ONE, deadline, twinV, r, highS))
        .to.be.revertedWithCustomError(wrapper, "ECDSAInvalidSignatureS")
        .withArgs(highS);
    });

    it("rejects a signature that recovers no address with ECDSAInvalidSignature, so the zero address cannot approve", async function () {
      const { wrapper, others } = await loadFixture(deployWrappedAtRate);
      const deadline = BigInt(await time.latest()) + 3600n;
      await expect(
        wrapper[PERMIT_VRS](ZeroAddress, others[0].address, ONE, deadline, 27, ZeroHash, ZeroHash),
      ).to.be.revertedWithCustomError(wrapper, "ECDSAInvalidSignature");
      expect(await wrapper.allowance(ZeroAddress, others[0].address)).to.equal(0n);
    });

    it("accepts the permit as one bytes signature from an EOA, sharing the nonces of the (v, r, s) form", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender, relayer] = others;
      const deadline = BigInt(await time.latest()) + 3600n;
      const first = await signPermit(wrapper, alice, spender.address, ONE, deadline);
      await expect(
        wrapper.connect(relayer)[PERMIT_BYTES](alice.address, spender.address, ONE, deadline, first.signature),
      )
        .to.emit(wrapper, "Approval")
        .withArgs(alice.address, spender.address, ONE);
      expect(await wrapper.allowance(alice.address, spender.address)).to.equal(ONE);
      expect(await wrapper.nonces(alice.address)).to.equal(1n);
      await expect(wrapper[PERMIT_BYTES](alice.address, spender.address, ONE, deadline, first.signature))
        .to.be.revertedWithCustomError(wrapper, "PermitInvalidSignature")
        .withArgs(alice.address);
      const second = await signPermit(wrapper, alice, spender.address, 2n, deadline);
      await wrapper[PERMIT_VRS](alice.address, spender.address, 2n, deadline, second.v, second.r, second.s);
      expect(await wrapper.allowance(alice.address, spender.address)).to.equal(2n);
      expect(await wrapper.nonces(alice.address)).to.equal(2n);
    });

    it("accepts a 2-of-2 multisig wallet's 130-byte ERC-1271 signature, after which the spender can pull its wtpETH", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice, bob] = holders;
      const [spender, carol] = others;
      const wallet = await ethers.deployContract("MultisigWallet__Mock", [alice.address, bob.address]);
      const walletAddress = await wallet.getAddress();
      await wrapper.connect(alice).transfer(walletAddress, 3n * ONE);
      const deadline = BigInt(await time.latest()) + 3600n;
      const signature = await signMultisigPermit(
        wrapper,
        [alice, bob],
        walletAddress,
        spender.address,
        2n * ONE,
        deadline,
      );

      await expect(wrapper[PERMIT_BYTES](walletAddress, spender.address, 2n * ONE, deadline, signature))
        .to.emit(wrapper, "Approval")
        .withArgs(walletAddress, spender.address, 2n * ONE);
      expect(await wrapper.nonces(walletAddress)).to.equal(1n);
      await expect(wrapper.connect(spender).transferFrom(walletAddress, carol.address, 2n * ONE))
        .to.emit(wrapper, "Transfer")
        .withArgs(walletAddress, carol.address, 2n * ONE);
      expect(await wrapper.balanceOf(walletAddress)).to.equal(ONE);
      expect(await wrapper.balanceOf(carol.address)).to.equal(2n * ONE);
      expect(await wrapper.allowance(walletAddress, spender.address)).to.equal(0n);
    });

    it("rejects a bytes permit that does not verify with PermitInvalidSignature(owner), and an expired one with ERC2612ExpiredSignature", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice, bob, mallory] = holders;
      const [spender] = others;
      const wallet = await ethers.deployContract("MultisigWallet__Mock", [alice.address, bob.address]);
      const walletAddress = await wallet.getAddress();
      const deadline = BigInt(await time.latest()) + 3600n;
      const half = await signPermit(wrapper, alice, spender.address, ONE, deadline, { owner: walletAddress });
      const strangers = await signMultisigPermit(
        wrapper,
        [alice, mallory],
        walletAddress,
        spender.address,
        ONE,
        deadline,
      );
      for (const signature of ["0x", half.signature, strangers]) {
        await expect(wrapper[PERMIT_BYTES](walletAddress, spender.address, ONE, deadline, signature))
          .to.be.revertedWithCustomError(wrapper, "PermitInvalidSignature")
          .withArgs(walletAddress);
      }
      const forged = await signPermit(wrapper, mallory, spender.address, ONE, deadline, { owner: alice.address });
      await expect(wrapper[PERMIT_BYTES](alice.address, spender.address, ONE, deadline, forged.signature))
        .to.be.revertedWithCustomError(wrapper, "PermitInvalidSignature")
        .withArgs(alice.address);
      await expect(wrapper[PERMIT_BYTES](ZeroAddress, spender.address, ONE, deadline, forged.signature))
        .to.be.revertedWithCustomError(wrapper, "PermitInvalidSignature")
        .withArgs(ZeroAddress);
      const own = await signPermit(wrapper, alice, spender.address, ONE, deadline);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(wrapper[PERMIT_BYTES](alice.address, spender.address, ONE, deadline, own.signature))
        .to.be.revertedWithCustomError(wrapper, "ERC2612ExpiredSignature")
        .withArgs(deadline);
      expect(await wrapper.nonces(alice.address)).to.equal(0n);
      expect(await wrapper.nonces(walletAddress)).to.equal(0n);
    });

    it("keeps the (v, r, s) permit plain EIP-2612: a contract wallet's permit is refused there and accepted as bytes", async function () {
      const { wrapper, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender] = others;
      const wallet = await ethers.deployContract("ERC1271Wallet__Mock", [alice.address]);
      const walletAddress = await wallet.getAddress();
      const deadline = BigInt(await time.latest()) + 3600n;
      const p = await signPermit(wrapper, alice, spender.address, ONE, deadline, { owner: walletAddress });
      await expect(wrapper[PERMIT_VRS](walletAddress, spender.address, ONE, deadline, p.v, p.r, p.s))
        .to.be.revertedWithCustomError(wrapper, "ERC2612InvalidSigner")
        .withArgs(alice.address, walletAddress);
      await expect(wrapper[PERMIT_BYTES](walletAddress, spender.address, ONE, deadline, p.signature))
        .to.emit(wrapper, "Approval")
        .withArgs(walletAddress, spender.address, ONE);
      expect(await wrapper.allowance(walletAddress, spender.address)).to.equal(ONE);
    });
  });

  describe("donations and the supply invariant", function () {
    /** Everything a donation could disturb. */
    async function observable(f: HoldersFixture): Promise<bigint[]> {
      const { pool, wrapper, wrapperAddress, holders } = f;
      const values = [
        await pool.totalShares(),
        await pool.totalPooledEther(),
        await pool.bufferedEther(),
        await pool.sharesOf(wrapperAddress),
        await wrapper.totalSupply(),
        await wrapper.totalAssets(),
        await wrapper.tpEthPerToken(),
        await wrapper.tokensPerTpEth(),
      ];
      for (const holder of holders) {
        values.push(await wrapper.balanceOf(holder.address), await pool.balanceOf(holder.address));
      }
      return values;
    }

    it("refuses tpETH sent to the wrapper by transfer, transferFrom, transferShares and transferSharesFrom with the pool's ERC20InvalidReceiver(wrapper)", async function () {
      const { pool, wrapperAddress, holders, others } = await loadFixture(deployWrappedAtRate);
      const [alice] = holders;
      const [spender] = others;
      await pool.connect(alice).approve(spender.address, MaxUint256);
      const attempts = [
        () => pool.connect(alice).transfer(wrapperAddress, ONE),
        () => pool.connect(alice).transferShares(wrapperAddress, ONE),
        () => pool.connect(spender).transferFrom(alice.address, wrapperAddress, ONE),
        () => pool.connect(spender).transferSharesFrom(alice.address, wrapperAddress, ONE),
      ];
      for (const attempt of attempts) {
        await expect(attempt()).to.be.revertedWithCustomError(pool, "ERC20InvalidReceiver").withArgs(wrapperAddress);
      }
    });

    it("lets nobody but the wrapper call the pool's transferSharesToWrapper (CallerNotWrapper)", async function () {
      const { pool, holders } = await loadFixture(deployWrappedAtRate);
      const [alice, bob] = holders;
      await expect(pool.connect(alice).transferSharesToWrapper(alice.address, ONE))
        .to.be.revertedWithCustomError(pool, "CallerNotWrapper")
        .withArgs(alice.address);
      await expect(pool.connect(bob).transferSharesToWrapper(alice.address, ONE))
        .to.be.revertedWithCustomError(pool, "CallerNotWrapper")
        .withArgs(bob.address);
    });

    it("ignores ETH forced into the wrapper: no rate, supply, asset or balance moves", async function () {
      const f = await loadFixture(deployWrappedAtRate);
      const before = await observable(f);
      const forced = parseEther("7") + 1n;
      const forcer = await ethers.deployContract("EtherForcer__Mock", { value: forced });
      await forcer.force(f.wrapperAddress);
      expect(await ethers.provider.getBalance(f.wrapperAddress)).to.equal(forced);
      expect(await observable(f)).to.deep.equal(before);
    });

    it("ignores ETH forced into the pool: no rate, supply, asset or balance moves", async function () {
      const f = await loadFixture(deployWrappedAtRate);
      const before = await observable(f);
      const poolEth = await ethers.provider.getBalance(f.poolAddress);
      const forced = parseEther("11") + 3n;
      const forcer = await ethers.deployContract("EtherForcer__Mock", { value: forced });
      await forcer.force(f.poolAddress);
      expect(await ethers.provider.getBalance(f.poolAddress)).to.equal(poolEth + forced);
      expect(await observable(f)).to.deep.equal(before);
    });

    it("stakes exactly msg.value, not the forced ETH the wrapper holds, in stakeAndWrap", async function () {
      const { pool, wrapper, wrapperAddress, others, totals: t } = await loadFixture(deployWrappedAtRate);
      const forced = parseEther("3");
      const forcer = await ethers.deployContract("EtherForcer__Mock", { value: forced });
      await forcer.force(wrapperAddress);
      const value = parseEther("1") + 1n;
      await expect(wrapper.connect(others[0]).stakeAndWrap(ZeroAddress, { value }))
        .to.emit(pool, "Staked")
        .withArgs(wrapperAddress, value, sharesDown(value, t), ZeroAddress);
      expect(await wrapper.balanceOf(others[0].address)).to.equal(sharesDown(value, t));
      expect(await ethers.provider.getBalance(wrapperAddress)).to.equal(forced);
    });

    it("keeps sharesOf(wrapper) == totalSupply == the sum of balances through many mixed operations, down to zero", async function () {
      const { pool, wrapper, wrapperAddress, holders, others } = await loadFixture(deployAtRateElevenTenths);
      const [spender] = others;
      const accounts: HardhatEthersSigner[] = [...holders, spender];
      const expected = new Map<string, bigint>(accounts.map((a) => [a.address, 0n]));
      const credit = (who: string, delta: bigint): void => {
        expected.set(who, (expected.get(who) ?? 0n) + delta);
      };
      for (const holder of holders) await wrapper.connect(holder).approve(spender.address, MaxUint256);

      let seed = 0x9e3779b97f4a7c15n;
      const random = (bound: bigint): bigint => {
        seed = (seed * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
        return bound <= 0n ? 0n : (seed >> 11n) % bound;
      };
      const pick = (): HardhatEthersSigner => holders[Number(random(BigInt(holders.length)))];

      const checkInvariant = async (): Promise<void> => {
        let sum = 0n;
        for (const account of accounts) {
          const balance = await wrapper.balanceOf(account.address);
          expect(balance).to.equal(expected.get(account.address));
          sum += balance;
        }
        expect(await wrapper.totalSupply()).to.equal(sum);
        expect(await pool.sharesOf(wrapperAddress)).to.equal(sum);
      };

      let operations = 0;
      for (let step = 0; step < 80; step++) {
        const [a, b] = [pick(), pick()];
        const op = Number(random(10n));
        const wBalance = expected.get(a.address) ?? 0n;
        const tpBalance = await pool.balanceOf(a.address);
        const t = await readTotals(pool); // stakes move the rate a little (rounding in the pool's favour)
        if (op === 0) {
          const amount = random(tpBalance / 3n + 1n);
          if (sharesDown(amount, t) === 0n) continue;
          await wrapper.connect(a).wrap(amount);
          credit(a.address, sharesDown(amount, t));
        } else if (op === 1) {
          const amount = random(tpBalance / 3n + 1n);
          if (sharesDown(amount, t) === 0n) continue;
          await wrapper.connect(a).deposit(amount, b.address);
          credit(b.address, sharesDown(amount, t));
        } else if (op === 2) {
          const held = await pool.sharesOf(a.address);
          if (held === 0n) continue;
          const shares = random(held / 3n) + 1n;
          await wrapper.connect(a).mint(shares, b.address);
          credit(b.address, shares);
        } else if (op === 3) {
          const value = parseEther("0.001") + random(parseEther("2"));
          await wrapper.connect(a).stakeAndWrap(b.address, { value });
          credit(a.address, sharesDown(value, t));
        } else if (op === 4) {
          const value = parseEther("0.001") + random(parseEther("2"));
          await a.sendTransaction({ to: wrapperAddress, value });
          credit(a.address, sharesDown(value, t));
        } else if (wBalance === 0n) {
          continue;
        } else if (op === 5) {
          const shares = random(wBalance) + 1n;
          await wrapper.connect(a).unwrap(shares);
          credit(a.address, -shares);
        } else if (op === 6) {
          const assets = random(ethDown(wBalance, t)) + 1n;
          await wrapper.connect(spender).withdraw(assets, b.address, a.address);
          credit(a.address, -sharesUp(assets, t));
        } else if (op === 7) {
          const shares = random(wBalance) + 1n;
          await wrapper.connect(spender).redeem(shares, b.address, a.address);
          credit(a.address, -shares);
        } else if (op === 8) {
          const value = random(wBalance + 1n);
          await wrapper.connect(a).transfer(b.address, value);
          credit(a.address, -value);
          credit(b.address, value);
        } else {
          const value = random(wBalance + 1n);
          await wrapper.connect(spender).transferFrom(a.address, spender.address, value);
          credit(a.address, -value);
          credit(spender.address, value);
        }
        operations++;
        await checkInvariant();
      }
      expect(operations).to.be.at.least(50);

      for (const account of accounts) {
        const balance = await wrapper.balanceOf(account.address);
        if (balance > 0n) await wrapper.connect(account).unwrap(balance);
        expected.set(account.address, 0n);
      }
      await checkInvariant();
      expect(await wrapper.totalSupply()).to.equal(0n);
      expect(await wrapper.totalAssets()).to.equal(0n);
    });
  });
});
