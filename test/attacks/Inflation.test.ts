import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, parseEther } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployTidepoolUnlimited, type TidepoolFixture } from "../helpers/fixtures";
import { deployWithValidators, reportThroughQuorum, toGwei } from "../helpers/oracle-fixtures";
import { deployWithQueue } from "../helpers/withdrawal-fixtures";
import { feeSharesOf, lastClWei, reportTx } from "../helpers/withdrawal-report-helpers";
import {
  DEAD,
  Ledger,
  ceilDiv,
  expectNoProfit,
  expectTotalsConsistent,
  profitWei,
  rateOf,
} from "../helpers/attack-ledger";
import { withdrawalVaultRoom } from "../../offchain/oracle/accounting";

/**
 * Share inflation and donations (threat model: "first-staker / donation share inflation"). The
 * attacker tries to move the share rate with ETH or tokens the pool did not mint shares for — a
 * direct send, ETH forced in by SELFDESTRUCT, ETH sent to the vaults before a report, tpETH or
 * shares pushed into the wrapper — so that victims who stake or wrap afterwards are rounded down.
 * Every test checks that the victims' shares are worth their deposit to the rounding bound (less
 * than one share's worth), to the wei, and that the attacker's exact profit is ≤ 0.
 */

const BOOTSTRAP = parseEther("0.001");
const PPB = 1_000_000_000n;
const BP = 10_000n;
const YEAR = 365n * 24n * 3600n;
const FRAME_SECONDS = 225n * 32n * 12n;

/** A fresh deployment (only the 0.001 ETH bootstrap shares), no stake limit. */
async function fresh() {
  const f = await loadFixture(deployTidepoolUnlimited);
  const [attacker, attacker2, victim, victim2] = f.users;
  return { f, attacker, attacker2, victim, victim2 };
}

/** Deploys EtherForcer__Mock as `from` with `value` and forces it into `target`; books the gas. */
async function forceEther(ledger: Ledger, from: HardhatEthersSigner, target: string, value: bigint): Promise<void> {
  const forcer = await (await ethers.getContractFactory("EtherForcer__Mock", from)).deploy({ value });
  await forcer.waitForDeployment();
  await ledger.send(forcer.connect(from).force(target));
}

/** Every way of pushing tpETH into `target` (the pool or the wrapper) is refused by the pool. */
async function expectTokenDonationsRefused(
  f: TidepoolFixture,
  ledger: Ledger,
  attacker: HardhatEthersSigner,
  helper: HardhatEthersSigner,
  target: string,
): Promise<void> {
  const { pool } = f;
  const amount = await pool.balanceOf(attacker.address);
  const shares = await pool.sharesOf(attacker.address);
  await expect(pool.connect(attacker).transfer(target, amount))
    .to.be.revertedWithCustomError(pool, "ERC20InvalidReceiver")
    .withArgs(target);
  await expect(pool.connect(attacker).transferShares(target, shares))
    .to.be.revertedWithCustomError(pool, "ERC20InvalidReceiver")
    .withArgs(target);
  await ledger.send(pool.connect(attacker).approve(helper.address, amount));
  await expect(pool.connect(helper).transferFrom(attacker.address, target, amount))
    .to.be.revertedWithCustomError(pool, "ERC20InvalidReceiver")
    .withArgs(target);
  await expect(pool.connect(helper).transferSharesFrom(attacker.address, target, shares))
    .to.be.revertedWithCustomError(pool, "ERC20InvalidReceiver")
    .withArgs(target);
  await ledger.send(pool.connect(attacker).approve(helper.address, 0n));
  expect(await pool.sharesOf(attacker.address)).to.equal(shares);
}

describe("Attack: share inflation and donations", function () {
  describe("the pool", function () {
    it("first stake of 1 wei, then a direct send, tpETH pushed in and ETH forced in: the rate stays exactly 1 and victims get their deposit to the wei", async function () {
      const { f, attacker, attacker2, victim, victim2 } = await loadFixture(fresh);
      const { pool, poolAddress } = f;
      const ledger = await Ledger.open(f, [attacker.address, attacker2.address]);
      const before = await ledger.valuation();
      expect(await rateOf(f)).to.deep.equal({ P: BOOTSTRAP, S: BOOTSTRAP });
      expect(await pool.sharesOf(DEAD)).to.equal(BOOTSTRAP);

      // 1. The classic first deposit: 1 wei, 1 share (the bootstrap shares already set the rate).
      await expect(ledger.send(pool.connect(attacker).stake(ZeroAddress, { value: 1n })))
        .to.emit(pool, "Staked")
        .withArgs(attacker.address, 1n, 1n, ZeroAddress);

      // 2. A "donation" by plain send is a stake: it mints shares to the sender, the rate is unchanged.
      const direct = parseEther("10");
      await expect(ledger.send(attacker.sendTransaction({ to: poolAddress, value: direct })))
        .to.emit(pool, "Staked")
        .withArgs(attacker.address, direct, direct, ZeroAddress);

      // 3. tpETH or shares pushed into the pool are refused.
      await expectTokenDonationsRefused(f, ledger, attacker, attacker2, poolAddress);

      // 4. ETH forced in by SELFDESTRUCT lands in the balance and nowhere in the accounting.
      const forced = parseEther("10");
      const poolEth = await ethers.provider.getBalance(poolAddress);
      await forceEther(ledger, attacker, poolAddress, forced);
      expect(await ethers.provider.getBalance(poolAddress)).to.equal(poolEth + forced);
      const P = BOOTSTRAP + 1n + direct;
      expect(await rateOf(f)).to.deep.equal({ P, S: P });
      expect(await pool.bufferedEther()).to.equal(P);

      // Victims stake after: exactly their deposit in shares, worth exactly their deposit.
      const deposit = parseEther("5");
      await expect(pool.connect(victim).stake(ZeroAddress, { value: deposit }))
        .to.emit(pool, "Staked")
        .withArgs(victim.address, deposit, deposit, ZeroAddress);
      await expect(pool.connect(victim2).stake(ZeroAddress, { value: 1n }))
        .to.emit(pool, "Staked")
        .withArgs(victim2.address, 1n, 1n, ZeroAddress);
      expect(await pool.balanceOf(victim.address)).to.equal(deposit);
      expect(await pool.balanceOf(victim2.address)).to.equal(1n);
      expect(await pool.balanceOf(DEAD)).to.equal(BOOTSTRAP);

      // The attacker lost exactly the forced ETH (gas accounted separately).
      const after = await ledger.valuation();
      expectNoProfit(before, after);
      expect(profitWei(before, after)).to.equal(-forced);
      await expectTotalsConsistent(f);
    });

    it("first depositor with 1 share donates 100 ETH to the EL-rewards vault before reports: smoothing lets in 0.075% a report, a 5 ETH victim is rounded by under one share and the attacker loses the donation", async function () {
      const { f, attacker, victim, victim2 } = await loadFixture(fresh);
      const { pool, oracle, elRewardsVault } = f;
      const elVault = await elRewardsVault.getAddress();
      const ledger = await Ledger.open(f, [attacker.address]);
      const before = await ledger.valuation();

      await ledger.send(pool.connect(attacker).stake(ZeroAddress, { value: 1n }));
      const donation = parseEther("100");
      await ledger.send(attacker.sendTransaction({ to: elVault, value: donation }));

      // The oracle reports the vault's whole balance; the pool takes only the positive-rebase limit.
      const t0 = await rateOf(f);
      expect(t0).to.deep.equal({ P: BOOTSTRAP + 1n, S: BOOTSTRAP + 1n });
      const limitPPB = (await oracle.getSanityLimits()).maxPositiveRebasePPB;
      const taken = (t0.P * limitPPB) / PPB;
      expect(taken).to.equal(750_000_000_000n); // 0.075% of 0.001 ETH
      const P1 = t0.P + taken;
      const S1 = t0.S + feeSharesOf(taken, await oracle.getFeeConfig(), t0.S, P1);
      const { receipt } = await reportThroughQuorum(f, { elRewardsVaultBalance: donation });
      await expect(receipt.hash)
        .to.emit(oracle, "VaultEtherDeferred")
        .withArgs(0n, donation - taken);
      expect(await rateOf(f)).to.deep.equal({ P: P1, S: S1 });
      expect(await ethers.provider.getBalance(elVault)).to.equal(donation - taken);

      // The rate is now above 1, so a 1-wei stake would mint nothing: it reverts and costs nothing.
      const victim2Books = await Ledger.open(f, [victim2.address]);
      const victim2Before = await victim2Books.valuation();
      await expect(pool.connect(victim2).stake(ZeroAddress, { value: 1n }))
        .to.be.revertedWithCustomError(pool, "StakeTooSmall")
        .withArgs(1n);
      const victim2After = await victim2Books.valuation();
      expect([victim2After.eth, victim2After.shares]).to.deep.equal([victim2Before.eth, 0n]);

      // The victim's 5 ETH: ⌊x·S/P⌋ shares, worth x less under one share (< 2 wei at this rate).
      const deposit = parseEther("5");
      const v = (deposit * S1) / P1;
      await expect(pool.connect(victim).stake(ZeroAddress, { value: deposit }))
        .to.emit(pool, "Staked")
        .withArgs(victim.address, deposit, v, ZeroAddress);
      const P2 = P1 + deposit;
      const S2 = S1 + v;
      const victimBalance = await pool.balanceOf(victim.address);
      expect(victimBalance).to.equal((v * P2) / S2);
      expect(deposit - victimBalance).to.be.lessThan(ceilDiv(P1, S1) + 1n);
      expect(deposit - victimBalance).to.equal(1n);

      // Two more reports drain the deferred ETH 0.075% at a time: it goes to the holders, the
      // victim above all, not to the attacker's single share.
      for (let i = 0; i < 2; i++) {
        const t = await rateOf(f);
        const left = await ethers.provider.getBalance(elVault);
        const take = (t.P * limitPPB) / PPB;
        await reportThroughQuorum(f, { elRewardsVaultBalance: left });
        const fees = feeSharesOf(take, await oracle.getFeeConfig(), t.S, t.P + take);
        expect(await rateOf(f)).to.deep.equal({ P: t.P + take, S: t.S + fees });
      }
      expect(await pool.balanceOf(victim.address)).to.be.greaterThan(deposit);

      // The attacker: −100 ETH − 1 wei, plus one share worth about 1 wei.
      const after = await ledger.valuation();
      expectNoProfit(before, after);
      expect(after.shares).to.equal(1n);
      expect(profitWei(before, after)).to.equal(-donation - 1n + (after.P * 1n) / after.S);
      await expectTotalsConsistent(f);
    });

    it("ETH sent and forced into the withdrawal vault before a report: within the APR room it is rewards for every holder; the donor loses it and a later staker is rounded by under one share", async function () {
      const f = await loadFixture(deployWithValidators);
      const { pool, oracle, withdrawalVault, staker } = f;
      const [, , , , , attacker, victim] = f.users;
      const vault = await withdrawalVault.getAddress();
      const ledger = await Ledger.open(f, [attacker.address]);
      const before = await ledger.valuation();

      const stake = parseEther("10");
      await ledger.send(pool.connect(attacker).stake(ZeroAddress, { value: stake }));
      const a = await pool.sharesOf(attacker.address);
      const sent = parseEther("0.01");
      const forced = parseEther("0.01");
      await ledger.send(attacker.sendTransaction({ to: vault, value: sent }));
      await forceEther(ledger, attacker, vault, forced);
      const donation = sent + forced;
      expect(await ethers.provider.getBalance(vault)).to.equal(donation);
      const t0 = await rateOf(f);
      const stakerShares = await pool.sharesOf(staker.address);
      const stakerBefore = await pool.balanceOf(staker.address);

      // One frame: 0.02 ETH on 96 ETH is 7.6% a year, inside the 10% limit, and inside the rebase room.
      const [, , cl] = await pool.getBeaconStat();
      await reportThroughQuorum(f, { numValidators: 3n, clBalanceGwei: toGwei(cl), withdrawalVaultBalance: donation });
      const P1 = t0.P + donation;
      const S1 = t0.S + feeSharesOf(donation, await oracle.getFeeConfig(), t0.S, P1);
      expect(await rateOf(f)).to.deep.equal({ P: P1, S: S1 });
      expect(await ethers.provider.getBalance(vault)).to.equal(0n);

      // The honest stayer got its part of the donation, to the wei.
      expect(await pool.balanceOf(staker.address)).to.equal((stakerShares * P1) / S1);
      expect(await pool.balanceOf(staker.address)).to.be.greaterThan(stakerBefore);

      // A victim staking after is rounded down by under one share.
      const deposit = parseEther("5") + 7n;
      const v = (deposit * S1) / P1;
      await expect(pool.connect(victim).stake(ZeroAddress, { value: deposit }))
        .to.emit(pool, "Staked")
        .withArgs(victim.address, deposit, v, ZeroAddress);
      const victimBalance = await pool.balanceOf(victim.address);
      expect(victimBalance).to.equal((v * (P1 + deposit)) / (S1 + v));
      expect(deposit - victimBalance).to.be.lessThan(ceilDiv(P1, S1) + 1n);

      // The attacker got back only its part of the donation, less the fee: a loss.
      const after = await ledger.valuation();
      expectNoProfit(before, after);
      const aAfter = await pool.sharesOf(attacker.address);
      expect(aAfter).to.equal(a);
      const num = -(stake + donation) * (S1 + v) + a * (P1 + deposit);
      const expected = num >= 0n ? num / (S1 + v) : -ceilDiv(-num, S1 + v);
      expect(profitWei(before, after)).to.equal(expected);
      expect(profitWei(before, after)).to.be.lessThan(-(donation * 9n) / 10n);
      await expectTotalsConsistent(f);
    });

    it("ETH sent to the withdrawal vault above the APR room: reporting only the room (the oracle service's rule, docs/oracle.md) keeps reports and finalization going; the donor loses it all", async function () {
      const f = await loadFixture(deployWithQueue);
      const { pool, queue, withdrawalVault } = f;
      const [victim] = f.holders;
      const attacker = f.users[10];
      const vault = await withdrawalVault.getAddress();
      const ledger = await Ledger.open(f, [attacker.address]);
      const before = await ledger.valuation();

      const requested = parseEther("5");
      await f.request(victim, [requested]);
      const donation = parseEther("1");
      await ledger.send(attacker.sendTransaction({ to: vault, value: donation }));

      // What one frame's APR limit leaves for CL growth plus withdrawals: ⌊preCL × 10% × 1 day / 1 year⌋.
      const cl = await lastClWei(f);
      const limits = await f.oracle.getSanityLimits();
      const room = (cl * limits.annualAprLimitBP * FRAME_SECONDS) / (BP * YEAR);
      // The oracle service computes the same room.
      const [, clValidators, clBalanceWei] = await pool.getBeaconStat();
      expect(clBalanceWei).to.equal(cl);
      expect(
        withdrawalVaultRoom(
          { clBalanceWei, clValidators },
          clValidators,
          clBalanceWei / 10n ** 9n,
          FRAME_SECONDS,
          limits.annualAprLimitBP,
        ),
      ).to.equal(room);
      const victimEth = await ethers.provider.getBalance(victim.address);
      await reportTx(f, { withdrawalVaultBalance: room, lastRequestIdToFinalize: 1n });
      expect(await queue.getLastFinalizedRequestId()).to.equal(1n);
      expect(await ethers.provider.getBalance(vault)).to.equal(donation - room);
      const claim = await (await queue.connect(victim).claimWithdrawal(1n)).wait();
      expect(await ethers.provider.getBalance(victim.address)).to.equal(victimEth + requested - claim!.fee);

      const after = await ledger.valuation();
      expectNoProfit(before, after);
      expect(profitWei(before, after)).to.equal(-donation);
      expect(await pool.sharesOf(attacker.address)).to.equal(0n);
      await expectTotalsConsistent(f);
    });
  });

  describe("the wrapper", function () {
    it("first wrapper of 1 share pushes tpETH and shares into wtpETH, sends and forces ETH into it: a victim's deposit mints exactly its shares, worth exactly its deposit", async function () {
      const { f, attacker, attacker2, victim, victim2 } = await loadFixture(fresh);
      const { pool, wrapper, wrapperAddress } = f;
      const ledger = await Ledger.open(f, [attacker.address, attacker2.address]);
      const before = await ledger.valuation();
      expect(await wrapper.totalSupply()).to.equal(0n);

      await ledger.send(pool.connect(attacker).stake(ZeroAddress, { value: parseEther("10") }));
      // The smallest first wrap: 1 wei of tpETH is 1 share is 1 wtpETH.
      await expect(ledger.send(wrapper.connect(attacker).wrap(1n)))
        .to.emit(wrapper, "Deposit")
        .withArgs(attacker.address, attacker.address, 1n, 1n);
      expect(await wrapper.totalSupply()).to.equal(1n);
      expect(await wrapper.totalAssets()).to.equal(1n);

      // Donations of tpETH or shares to the wrapper are refused by the pool; the one path that
      // credits the wrapper is the wrapper's own, and wtpETH minted to the wrapper itself is refused.
      await expectTokenDonationsRefused(f, ledger, attacker, attacker2, wrapperAddress);
      const attackerShares = await pool.sharesOf(attacker.address);
      await expect(pool.connect(attacker).transferSharesToWrapper(attacker.address, attackerShares))
        .to.be.revertedWithCustomError(pool, "CallerNotWrapper")
        .withArgs(attacker.address);
      await expect(wrapper.connect(attacker).deposit(parseEther("1"), wrapperAddress))
        .to.be.revertedWithCustomError(wrapper, "ERC20InvalidReceiver")
        .withArgs(wrapperAddress);
      await expect(wrapper.connect(attacker).transfer(wrapperAddress, 1n))
        .to.be.revertedWithCustomError(wrapper, "ERC20InvalidReceiver")
        .withArgs(wrapperAddress);
      expect(await pool.sharesOf(attacker.address)).to.equal(attackerShares);
      expect(await wrapper.balanceOf(attacker.address)).to.equal(1n);
      expect(await pool.sharesOf(wrapperAddress)).to.equal(1n);

      // Plain ETH sent to the wrapper stakes and wraps it for the sender: no donation either.
      const sent = parseEther("3");
      await expect(ledger.send(attacker.sendTransaction({ to: wrapperAddress, value: sent })))
        .to.emit(wrapper, "Deposit")
        .withArgs(attacker.address, attacker.address, sent, sent);
      // ETH forced in stays in the wrapper's ETH balance, outside every total.
      const forced = parseEther("7");
      await forceEther(ledger, attacker, wrapperAddress, forced);
      expect(await ethers.provider.getBalance(wrapperAddress)).to.equal(forced);
      expect(await wrapper.totalSupply()).to.equal(1n + sent);
      expect(await wrapper.totalAssets()).to.equal(1n + sent);
      expect(await wrapper.convertToAssets(parseEther("1"))).to.equal(parseEther("1"));

      // Victims: an ERC-4626 deposit of 5 ETH of tpETH, and 2 ETH of plain ETH stake-and-wrapped.
      const deposit = parseEther("5");
      await pool.connect(victim).stake(ZeroAddress, { value: deposit });
      await expect(wrapper.connect(victim).deposit(deposit, victim.address))
        .to.emit(wrapper, "Deposit")
        .withArgs(victim.address, victim.address, deposit, deposit);
      expect(await wrapper.balanceOf(victim.address)).to.equal(deposit);
      expect(await wrapper.previewRedeem(deposit)).to.equal(deposit);
      expect(await pool.balanceOf(victim.address)).to.equal(0n);
      await victim2.sendTransaction({ to: wrapperAddress, value: parseEther("2") });
      expect(await wrapper.balanceOf(victim2.address)).to.equal(parseEther("2"));
      expect(await wrapper.maxWithdraw(victim2.address)).to.equal(parseEther("2"));
      // And the victim gets it all back.
      await wrapper.connect(victim).redeem(deposit, victim.address, victim.address);
      expect(await pool.balanceOf(victim.address)).to.equal(deposit);

      const after = await ledger.valuation();
      expectNoProfit(before, after);
      expect(profitWei(before, after)).to.equal(-forced);
      await expectTotalsConsistent(f);
    });

    it("at a non-trivial rate (after a report), dust wraps and donation attempts leave a victim's wrap worth its tpETH less under one share, and the rate of wtpETH is the pool's", async function () {
      const f = await loadFixture(deployWithValidators);
      const { pool, wrapper, wrapperAddress, elRewardsVault } = f;
      const [, , , , , attacker, attacker2, victim] = f.users;
      // Rewards (EL tips) move the rate off 1: 0.05 ETH in the vault, smoothed.
      await f.users[9].sendTransaction({ to: await elRewardsVault.getAddress(), value: parseEther("0.05") });
      await f.report({
        numValidators: 3n,
        clBalanceGwei: toGwei(parseEther("96")),
        elRewardsVaultBalance: parseEther("0.05"),
      });
      const t = await rateOf(f);
      expect(t.P * 1n > t.S).to.equal(true);
      await pool.connect(victim).stake(ZeroAddress, { value: parseEther("4") });

      const ledger = await Ledger.open(f, [attacker.address, attacker2.address]);
      await ledger.send(pool.connect(attacker).stake(ZeroAddress, { value: parseEther("1") }));
      const before = await ledger.valuation();
      const perShareBefore = await wrapper.convertToAssets(parseEther("1"));

      // 1 wei is less than a share now: nothing to wrap. 2 wei make one share.
      await expect(wrapper.connect(attacker).wrap(1n)).to.be.revertedWithCustomError(wrapper, "ZeroShares").withArgs();
      await expect(ledger.send(wrapper.connect(attacker).wrap(2n)))
        .to.emit(wrapper, "Deposit")
        .withArgs(attacker.address, attacker.address, 2n, 1n);
      await expectTokenDonationsRefused(f, ledger, attacker, attacker2, wrapperAddress);
      await forceEther(ledger, attacker, wrapperAddress, parseEther("1"));
      expect(await wrapper.convertToAssets(parseEther("1"))).to.equal(perShareBefore);
      expect(await wrapper.convertToAssets(parseEther("1"))).to.equal(await pool.getPooledEthByShares(parseEther("1")));

      // The victim wraps an odd amount: ⌊x·S/P⌋ wtpETH, exactly that many shares leave its tpETH.
      const x = parseEther("3.3") + 7n;
      const r = await rateOf(f);
      const w = (x * r.S) / r.P;
      const victimShares = await pool.sharesOf(victim.address);
      const victimTpEth = await pool.balanceOf(victim.address);
      await expect(wrapper.connect(victim).wrap(x))
        .to.emit(wrapper, "Deposit")
        .withArgs(victim.address, victim.address, x, w);
      expect(await pool.sharesOf(victim.address)).to.equal(victimShares - w);
      expect(victimTpEth - (await pool.balanceOf(victim.address))).to.be.lessThanOrEqual(x);
      const worth = await wrapper.previewRedeem(w);
      expect(worth).to.equal((w * r.P) / r.S);
      expect(x - worth).to.be.lessThan(ceilDiv(r.P, r.S) + 1n);
      // Unwrapping gives back exactly the shares: the round trip is exact.
      await wrapper.connect(victim).unwrap(w);
      expect(await pool.sharesOf(victim.address)).to.equal(victimShares);
      expect(await pool.balanceOf(victim.address)).to.equal(victimTpEth);

      const after = await ledger.valuation();
      expectNoProfit(before, after);
      expect(profitWei(before, after)).to.equal(-parseEther("1"));
      await expectTotalsConsistent(f);
    });
  });
});
