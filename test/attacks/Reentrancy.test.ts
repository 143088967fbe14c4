/**
 * Attack class: reentrancy. An attacker's contract wallet (AttackWallet__Mock) sits on every path
 * that sends ETH out of Tidepool — instant redemption, withdrawal claims, vault transfers into the
 * pool — and on the paths that pay operators (bond withdrawal, operators' fees, which move pool
 * shares, not ETH), and re-enters from `receive` or from the ERC-721 hook. Each re-entrant call
 * must fail with its exact error (or, where reentrancy is harmless by design, double-count
 * nothing); every balance is checked to the wei and the attacker's profit must be ≤ 0. Contract
 * wallets with an expensive `receive` must still be paid; one that refuses ETH reverts the whole
 * payout.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { MaxUint256, ZeroAddress, parseEther } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployWithQueue, type WithdrawalFixture } from "../helpers/withdrawal-fixtures";
import { toGwei } from "../helpers/oracle-fixtures";
import { ceilDiv, protocolState } from "../helpers/withdrawal-report-helpers";
import { Ledger } from "../helpers/attack-ledger";
import type { AttackWallet__Mock } from "../../typechain-types";

interface World extends WithdrawalFixture {
  attacker: HardhatEthersSigner; // controls `wallet`
  wallet: AttackWallet__Mock; // 10 ETH staked; owns requests 1 and 2 (1 ETH each, finalized)
  walletAddress: string;
  accomplice: HardhatEthersSigner;
  victim: HardhatEthersSigner; // holders[0]: owns request 3 (2 ETH, finalized) and request 4 (pending)
}

/** Has the wallet call `target` for the attacker. */
async function viaWallet(w: World, target: string, data: string, value = 0n) {
  return w.wallet.connect(w.attacker).execute(target, value, data, { value });
}

/** Queue hints for `ids`, found over every checkpoint. */
async function hintsFor(w: World, ids: bigint[]): Promise<bigint[]> {
  return [...(await w.queue.findCheckpointHints(ids, 1n, await w.queue.getLastCheckpointIndex()))];
}

async function world(): Promise<World> {
  const f = await loadFixture(deployWithQueue);
  const [attacker, accomplice] = [f.users[10], f.users[11]];
  const victim = f.holders[0];
  const wallet = await ethers.deployContract("AttackWallet__Mock", [attacker.address]);
  const walletAddress = await wallet.getAddress();
  const w: World = { ...f, attacker, wallet, walletAddress, accomplice, victim };
  await (
    await viaWallet(w, f.poolAddress, f.pool.interface.encodeFunctionData("stake", [ZeroAddress]), parseEther("10"))
  ).wait();
  await (
    await viaWallet(w, f.poolAddress, f.pool.interface.encodeFunctionData("approve", [f.queueAddress, MaxUint256]))
  ).wait();
  const request = f.queue.interface.encodeFunctionData("requestWithdrawals", [
    [parseEther("1"), parseEther("1")],
    ZeroAddress,
  ]);
  await (await viaWallet(w, f.queueAddress, request)).wait(); // ids 1, 2
  await f.request(victim, [parseEther("2")]); // id 3
  await f.finalize(3n);
  await f.request(victim, [parseEther("1.5")]); // id 4, pending
  return w;
}

/** The custom error `name(args)` as revert data of `contract`. */
function errorData(
  contract: { interface: { encodeErrorResult(name: string, args: unknown[]): string } },
  name: string,
  args: unknown[] = [],
) {
  return contract.interface.encodeErrorResult(name, args);
}

describe("Attack: reentrancy on every ETH-sending path", function () {
  describe("instant redemption", function () {
    it("the recipient re-enters instantRedeem from receive: ReentrancyGuardReentrantCall; paid exactly once", async function () {
      const w = await loadFixture(world);
      const amount = parseEther("1");
      await (
        await w.wallet.setHook(
          w.poolAddress,
          w.pool.interface.encodeFunctionData("instantRedeem", [amount, 0n, w.walletAddress]),
          0n,
          true,
          false,
        )
      ).wait();
      const [ethOut, fee] = await w.pool.previewInstantRedeem(amount);
      const [P, S] = [await w.pool.totalPooledEther(), await w.pool.totalShares()];
      const shares = ceilDiv(amount * S, P);
      const walletShares = await w.pool.sharesOf(w.walletAddress);
      const victims = [w.victim.address, w.holders[1].address, w.staker.address];
      const ledger = await Ledger.open(w, [w.attacker.address, w.walletAddress, ...victims]);

      await expect(
        viaWallet(
          w,
          w.poolAddress,
          w.pool.interface.encodeFunctionData("instantRedeem", [amount, 0n, w.walletAddress]),
        ),
      )
        .to.emit(w.pool, "InstantRedeemed")
        .withArgs(w.walletAddress, w.walletAddress, amount, shares, ethOut, fee);

      expect(await w.wallet.hookCalls()).to.equal(1n);
      expect(await w.wallet.lastHookSuccess()).to.equal(false);
      expect(await w.wallet.lastHookReturnData()).to.equal(errorData(w.pool, "ReentrancyGuardReentrantCall"));
      expect(await w.wallet.receivedWei()).to.equal(ethOut);
      expect(await w.pool.sharesOf(w.walletAddress)).to.equal(walletShares - shares);
      expect(await w.pool.totalShares()).to.equal(S - shares);
      expect(await w.pool.totalPooledEther()).to.equal(P - ethOut);
      for (const v of victims) {
        expect(await ledger.holdingsGasBack(v)).to.deep.equal(ledger.holdingsBefore(v));
      }
      // Profit, exactly: ETH received + the rest of the stake at the new rate − the stake at the old rate.
      const expected = ethOut + ((walletShares - shares) * (P - ethOut)) / (S - shares) - (walletShares * P) / S;
      const profit = await ledger.profit(w.attacker.address, w.walletAddress);
      expect(profit).to.equal(expected);
      expect(profit).to.be.lt(0n); // the fee is lost, less the wallet's own share of it
    });

    it("the recipient re-enters transferShares with the shares it just redeemed: InsufficientShares; nothing leaves twice", async function () {
      const w = await loadFixture(world);
      const amount = parseEther("1");
      const walletShares = await w.pool.sharesOf(w.walletAddress);
      const [P, S] = [await w.pool.totalPooledEther(), await w.pool.totalShares()];
      const burned = ceilDiv(amount * S, P);
      // Try to move the pre-redemption share balance to the accomplice while the ETH is arriving.
      const steal = w.pool.interface.encodeFunctionData("transferShares", [w.accomplice.address, walletShares]);
      await (await w.wallet.setHook(w.poolAddress, steal, 0n, true, false)).wait();
      const [ethOut] = await w.pool.previewInstantRedeem(amount);
      const ledger = await Ledger.open(w, [
        w.attacker.address,
        w.walletAddress,
        w.accomplice.address,
        w.victim.address,
      ]);

      await (
        await viaWallet(
          w,
          w.poolAddress,
          w.pool.interface.encodeFunctionData("instantRedeem", [amount, 0n, w.walletAddress]),
        )
      ).wait();

      expect(await w.wallet.lastHookSuccess()).to.equal(false);
      expect(await w.wallet.lastHookReturnData()).to.equal(
        errorData(w.pool, "InsufficientShares", [w.walletAddress, walletShares - burned, walletShares]),
      );
      expect(await w.pool.sharesOf(w.accomplice.address)).to.equal(0n);
      expect(await w.pool.sharesOf(w.walletAddress)).to.equal(walletShares - burned);
      expect(await w.wallet.receivedWei()).to.equal(ethOut);
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      expect(await ledger.profit(w.attacker.address, w.walletAddress, w.accomplice.address)).to.be.lt(0n);
    });
  });

  describe("withdrawal claims", function () {
    it("the claimant re-enters with its other finalized request, or the same one: ReentrancyGuardReentrantCall; paid once each", async function () {
      const w = await loadFixture(world);
      const [h1, h2] = await hintsFor(w, [1n, 2n]);
      const [pay1, pay2] = await w.queue.getClaimableEther([1n, 2n], [h1, h2]);
      const locked = await w.queue.lockedEther();
      const ledger = await Ledger.open(w, [w.attacker.address, w.walletAddress, w.victim.address]);
      const claim1 = w.queue.interface.encodeFunctionData("claimWithdrawal", [1n]);

      for (const reentry of [
        w.queue.interface.encodeFunctionData("claimWithdrawal", [2n]),
        w.queue.interface.encodeFunctionData("claimWithdrawals", [
          [1n, 2n],
          [h1, h2],
        ]),
        w.queue.interface.encodeFunctionData("claimWithdrawalsTo", [[2n], [h2], w.accomplice.address]),
      ]) {
        await (await w.wallet.setHook(w.queueAddress, reentry, 0n, true, false)).wait();
        const snapshot = await ethers.provider.send("evm_snapshot", []);
        await expect(viaWallet(w, w.queueAddress, claim1))
          .to.emit(w.queue, "WithdrawalClaimed")
          .withArgs(1n, w.walletAddress, w.walletAddress, pay1);
        expect(await w.wallet.lastHookSuccess()).to.equal(false);
        expect(await w.wallet.lastHookReturnData()).to.equal(errorData(w.queue, "ReentrancyGuardReentrantCall"));
        expect(await w.wallet.receivedWei()).to.equal(pay1);
        expect(await w.queue.lockedEther()).to.equal(locked - pay1);
        expect(await w.queue.ownerOf(2n)).to.equal(w.walletAddress);
        await ethers.provider.send("evm_revert", [snapshot]);
      }

      // For real now, then request 2 in its own claim: the wallet gets exactly the two payouts.
      await (await viaWallet(w, w.queueAddress, claim1)).wait();
      await (await w.wallet.setHook(ZeroAddress, "0x", 0n, false, false)).wait();
      await (await viaWallet(w, w.queueAddress, w.queue.interface.encodeFunctionData("claimWithdrawal", [2n]))).wait();
      expect(await w.wallet.receivedWei()).to.equal(pay1 + pay2);
      expect(await w.queue.lockedEther()).to.equal(locked - pay1 - pay2);
      await expect(viaWallet(w, w.queueAddress, claim1))
        .to.be.revertedWithCustomError(w.queue, "RequestAlreadyClaimed")
        .withArgs(1n);
      // The victim's finalized request is untouched and still pays in full.
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      const [victimPay] = await w.queue.getClaimableEther([3n], await hintsFor(w, [3n]));
      expect(victimPay).to.equal(parseEther("2"));
      expect(await ethers.provider.getBalance(w.queueAddress)).to.equal(locked - pay1 - pay2);
      expect(await ledger.profit(w.attacker.address, w.walletAddress)).to.be.lte(0n);
    });

    it("inside the payout the request already reads as claimed and its NFT cannot be sold on: ERC721NonexistentToken", async function () {
      const w = await loadFixture(world);
      const [h1] = await hintsFor(w, [1n]);
      const [pay1] = await w.queue.getClaimableEther([1n], [h1]);
      const sell = w.queue.interface.encodeFunctionData("transferFrom", [w.walletAddress, w.accomplice.address, 1n]);
      await (await w.wallet.setHook(w.queueAddress, sell, 0n, true, false)).wait();
      const ledger = await Ledger.open(w, [
        w.attacker.address,
        w.walletAddress,
        w.accomplice.address,
        w.victim.address,
      ]);
      const claim = w.queue.interface.encodeFunctionData("claimWithdrawalsTo", [[1n], [h1], w.walletAddress]);
      await (await viaWallet(w, w.queueAddress, claim)).wait();
      expect(await w.wallet.lastHookReturnData()).to.equal(errorData(w.queue, "ERC721NonexistentToken", [1n]));
      expect(await w.queue.balanceOf(w.accomplice.address)).to.equal(0n);
      expect(await w.wallet.receivedWei()).to.equal(pay1);

      // A read-only probe from inside the next payout sees the request claimed already (effects first).
      const [h2] = await hintsFor(w, [2n]);
      const probe = w.queue.interface.encodeFunctionData("getWithdrawalStatus", [[2n]]);
      await (await w.wallet.setHook(w.queueAddress, probe, 0n, true, false)).wait();
      await (
        await viaWallet(w, w.queueAddress, w.queue.interface.encodeFunctionData("claimWithdrawals", [[2n], [h2]]))
      ).wait();
      expect(await w.wallet.lastHookSuccess()).to.equal(true);
      const [[status]] = w.queue.interface.decodeFunctionResult(
        "getWithdrawalStatus",
        await w.wallet.lastHookReturnData(),
      );
      expect(status.isClaimed).to.equal(true);
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      expect(await ledger.profit(w.attacker.address, w.walletAddress, w.accomplice.address)).to.be.lte(0n);
    });

    it("a contract wallet whose receive burns ~900k gas is paid in full; one that refuses ETH reverts the claim, changing nothing", async function () {
      const w = await loadFixture(world);
      const [h3] = await hintsFor(w, [3n]);
      const pay3 = parseEther("2");
      // The victim claims to its own smart wallet with a costly receive (40 fresh storage slots).
      const costly = await ethers.deployContract("AttackWallet__Mock", [w.victim.address]);
      await (await costly.setReceive(false, 40n)).wait();
      const refusing = await ethers.deployContract("AttackWallet__Mock", [w.victim.address]);
      await (await refusing.setReceive(true, 0n)).wait();
      const costlyAddress = await costly.getAddress();
      const refusingAddress = await refusing.getAddress();
      const side = [w.victim.address, costlyAddress, refusingAddress];
      const ledger = await Ledger.open(w, [...side, w.holders[1].address]);

      const before = await protocolState(w);
      await expect(w.queue.connect(w.victim).claimWithdrawalsTo([3n], [h3], refusingAddress))
        .to.be.revertedWithCustomError(w.queue, "EthTransferFailed")
        .withArgs(refusingAddress, pay3);
      expect(await protocolState(w)).to.deep.equal(before);
      expect(await w.queue.ownerOf(3n)).to.equal(w.victim.address);

      const tx = await w.queue.connect(w.victim).claimWithdrawalsTo([3n], [h3], costlyAddress);
      const receipt = await tx.wait();
      expect(receipt!.gasUsed).to.be.gt(900_000n);
      expect(await costly.receivedWei()).to.equal(pay3);
      expect(await ethers.provider.getBalance(costlyAddress)).to.equal(pay3);
      // The 2 ETH request became 2 ETH in the wallet, to the wei: nothing gained or lost on the way.
      expect(await ledger.profit(...side)).to.equal(0n);

      // Instant redemption to the same wallets: paid in full, or reverted whole.
      const amount = parseEther("0.5");
      const [ethOut] = await w.pool.previewInstantRedeem(amount);
      const poolState = await protocolState(w);
      await expect(w.pool.connect(w.holders[1]).instantRedeem(amount, 0n, refusingAddress))
        .to.be.revertedWithCustomError(w.pool, "EthTransferFailed")
        .withArgs(refusingAddress, ethOut);
      expect(await protocolState(w)).to.deep.equal(poolState);
      await (await w.pool.connect(w.holders[1]).instantRedeem(amount, ethOut, costlyAddress)).wait();
      expect(await costly.receivedWei()).to.equal(pay3 + ethOut);
      expect(await ledger.profit(...side, w.holders[1].address)).to.be.lt(0n); // the redemption fee, less their share of it
    });

    it("re-entering a request from the ERC-721 hook is allowed by design and counts every share once", async function () {
      const w = await loadFixture(world);
      const amount = parseEther("1");
      const nested = w.queue.interface.encodeFunctionData("requestWithdrawals", [[amount], ZeroAddress]);
      await (await w.wallet.setHook(w.queueAddress, nested, 0n, false, true)).wait();
      const [P, S] = [await w.pool.totalPooledEther(), await w.pool.totalShares()];
      const sharesEach = ceilDiv(amount * S, P); // no report in between: the same rate for both
      const walletShares = await w.pool.sharesOf(w.walletAddress);
      const queued = await w.queue.queuedShares();
      const queueShares = await w.pool.sharesOf(w.queueAddress);
      const last = await w.queue.getLastRequestId();
      const ledger = await Ledger.open(w, [w.attacker.address, w.walletAddress, w.victim.address]);

      await (await viaWallet(w, w.queueAddress, nested)).wait();

      expect(await w.wallet.hookCalls()).to.equal(1n);
      expect(await w.wallet.lastHookSuccess()).to.equal(true);
      expect(await w.queue.getLastRequestId()).to.equal(last + 2n);
      const statuses = await w.queue.getWithdrawalStatus([last + 1n, last + 2n]);
      for (const s of statuses) {
        expect([s.amountOfEther, s.amountOfShares, s.owner]).to.deep.equal([amount, sharesEach, w.walletAddress]);
      }
      expect(await w.pool.sharesOf(w.walletAddress)).to.equal(walletShares - 2n * sharesEach);
      expect(await w.queue.queuedShares()).to.equal(queued + 2n * sharesEach);
      expect(await w.pool.sharesOf(w.queueAddress)).to.equal(queueShares + 2n * sharesEach);
      expect(await w.queue.unfinalizedEther()).to.equal(parseEther("1.5") + 2n * amount);
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      expect(await ledger.profit(w.attacker.address, w.walletAddress)).to.be.lte(0n);
    });
  });

  describe("vault transfers into the pool", function () {
    it("nobody but the pool moves vault ETH, and nobody but the vaults feeds receiveVaultEther", async function () {
      const w = await loadFixture(world);
      await (
        await w.attacker.sendTransaction({ to: await w.elRewardsVault.getAddress(), value: parseEther("0.05") })
      ).wait();
      await (
        await w.attacker.sendTransaction({ to: await w.withdrawalVault.getAddress(), value: parseEther("0.05") })
      ).wait();
      const before = await protocolState(w);
      const vaultBalances = async () => [
        await ethers.provider.getBalance(await w.elRewardsVault.getAddress()),
        await ethers.provider.getBalance(await w.withdrawalVault.getAddress()),
      ];
      const balances = await vaultBalances();
      const ledger = await Ledger.open(w, [w.attacker.address, w.walletAddress, w.victim.address]);
      for (const vault of [w.elRewardsVault, w.withdrawalVault]) {
        await expect(vault.connect(w.attacker).transferToPool(parseEther("0.05")))
          .to.be.revertedWithCustomError(vault, "CallerNotPool")
          .withArgs(w.attacker.address);
        // Through the wallet too (a contract caller changes nothing).
        await expect(viaWallet(w, await vault.getAddress(), vault.interface.encodeFunctionData("transferToPool", [1n])))
          .to.be.revertedWithCustomError(vault, "CallerNotPool")
          .withArgs(w.walletAddress);
      }
      await expect(w.pool.connect(w.attacker).receiveVaultEther({ value: parseEther("1") }))
        .to.be.revertedWithCustomError(w.pool, "CallerNotVault")
        .withArgs(w.attacker.address);
      expect(await protocolState(w)).to.deep.equal(before);
      expect(await vaultBalances()).to.deep.equal(balances);
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      expect(await ledger.profit(w.attacker.address, w.walletAddress)).to.equal(0n);
    });

    it("a report pulls vault ETH in exactly and calls no attacker code (treasury and operator are hooked wallets)", async function () {
      const w = await loadFixture(world);
      // Governance happens to name contract wallets as treasury and operator reward address; both
      // would re-enter the pool's report if anything called them.
      const treasuryWallet = await ethers.deployContract("AttackWallet__Mock", [w.attacker.address]);
      const reenter = w.pool.interface.encodeFunctionData("instantRedeem", [1n, 0n, w.walletAddress]);
      for (const hooked of [treasuryWallet, w.wallet]) {
        await (await hooked.setHook(w.poolAddress, reenter, 0n, true, true)).wait();
      }
      await (await w.oracle.connect(w.admin).setTreasury(await treasuryWallet.getAddress())).wait();
      await (await w.registry.connect(w.admin).setNodeOperatorRewardAddress(w.operatorId, w.walletAddress)).wait();
      const ledger = await Ledger.open(w, [w.attacker.address, w.walletAddress, await treasuryWallet.getAddress()]);
      const el = parseEther("0.05");
      const wv = parseEther("0.02"); // counted with the CL side: ~7.6% APR over the day, inside the 10% limit
      await (await w.attacker.sendTransaction({ to: await w.elRewardsVault.getAddress(), value: el })).wait();
      await (await w.attacker.sendTransaction({ to: await w.withdrawalVault.getAddress(), value: wv })).wait();
      const poolEth = await ethers.provider.getBalance(w.poolAddress);
      const buffered = await w.pool.bufferedEther();

      await w.finalize(0n, { elRewardsVaultBalance: el, withdrawalVaultBalance: wv });

      expect(await ethers.provider.getBalance(w.poolAddress)).to.equal(poolEth + el + wv);
      expect(await w.pool.bufferedEther()).to.equal(buffered + el + wv);
      expect(await ethers.provider.getBalance(await w.elRewardsVault.getAddress())).to.equal(0n);
      expect(await ethers.provider.getBalance(await w.withdrawalVault.getAddress())).to.equal(0n);
      for (const hooked of [treasuryWallet, w.wallet]) {
        expect(await hooked.hookCalls()).to.equal(0n);
        expect(await hooked.receiveCount()).to.equal(0n);
      }
      expect(await w.pool.sharesOf(await treasuryWallet.getAddress())).to.be.gt(0n); // fees arrive as shares
      // The attacker donated 0.07 ETH of "rewards"; the 10 ETH stake and the fee shares won back less.
      expect(await ledger.profit(w.attacker.address, w.walletAddress, await treasuryWallet.getAddress())).to.be.lte(0n);
    });
  });

  describe("operators: bond withdrawal and fees move shares, never ETH", function () {
    it("a hooked operator wallet withdraws its free bond once (no callback runs); again: BondLocked", async function () {
      const w = await loadFixture(world);
      await (await w.registry.connect(w.admin).setNodeOperatorRewardAddress(w.operatorId, w.walletAddress)).wait();
      const ledger = await Ledger.open(w, [w.attacker.address, w.walletAddress, w.victim.address]);
      await (
        await viaWallet(
          w,
          await w.registry.getAddress(),
          w.registry.interface.encodeFunctionData("depositBond", [w.operatorId]),
          parseEther("2"),
        )
      ).wait();
      const op = await w.registry.getNodeOperator(w.operatorId);
      const required = await w.pool.getSharesByPooledEthRoundUp(parseEther("2") * (op.depositedKeys - op.exitedKeys));
      const free = op.bondShares - required;
      const withdraw = w.registry.interface.encodeFunctionData("withdrawBond", [w.operatorId, free, w.walletAddress]);
      await (await w.wallet.setHook(await w.registry.getAddress(), withdraw, 0n, true, true)).wait();
      const walletShares = await w.pool.sharesOf(w.walletAddress);
      const registryShares = await w.pool.sharesOf(await w.registry.getAddress());

      await (await viaWallet(w, await w.registry.getAddress(), withdraw)).wait();
      expect(await w.wallet.hookCalls()).to.equal(0n);
      expect(await w.wallet.receiveCount()).to.equal(0n);
      expect(await w.pool.sharesOf(w.walletAddress)).to.equal(walletShares + free);
      expect(await w.pool.sharesOf(await w.registry.getAddress())).to.equal(registryShares - free);
      expect((await w.registry.getNodeOperator(w.operatorId)).bondShares).to.equal(required);

      await expect(viaWallet(w, await w.registry.getAddress(), withdraw))
        .to.be.revertedWithCustomError(w.registry, "BondLocked")
        .withArgs(w.operatorId, free, 0n);
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      expect(await ledger.profit(w.attacker.address, w.walletAddress)).to.be.lte(0n);
    });

    it("a hooked operator wallet claims its fees once (no callback runs); again: NoOperatorRewards", async function () {
      const w = await loadFixture(world);
      await (await w.registry.connect(w.admin).setNodeOperatorRewardAddress(w.operatorId, w.walletAddress)).wait();
      await w.finalize(0n, { clBalanceGwei: toGwei(w.clWei + parseEther("0.01")) }); // rewards: fees to the registry
      const claim = w.registry.interface.encodeFunctionData("claimOperatorRewards", [w.operatorId]);
      await (await w.wallet.setHook(await w.registry.getAddress(), claim, 0n, true, true)).wait();
      const pending = await w.registry.pendingOperatorRewards(w.operatorId);
      expect(pending).to.be.gt(0n);
      const walletShares = await w.pool.sharesOf(w.walletAddress);
      const ledger = await Ledger.open(w, [w.attacker.address, w.walletAddress, w.victim.address]);

      await expect(viaWallet(w, await w.registry.getAddress(), claim))
        .to.emit(w.registry, "OperatorRewardsClaimed")
        .withArgs(w.operatorId, w.walletAddress, pending, await w.pool.getPooledEthByShares(pending));
      expect(await w.wallet.hookCalls()).to.equal(0n);
      expect(await w.wallet.receiveCount()).to.equal(0n);
      expect(await w.pool.sharesOf(w.walletAddress)).to.equal(walletShares + pending);
      await expect(viaWallet(w, await w.registry.getAddress(), claim))
        .to.be.revertedWithCustomError(w.registry, "NoOperatorRewards")
        .withArgs(w.operatorId);
      expect(await w.registry.pendingOperatorRewards(w.operatorId)).to.equal(0n);
      expect(await ledger.holdingsGasBack(w.victim.address)).to.deep.equal(ledger.holdingsBefore(w.victim.address));
      // The operator's fees are its due, not the attack's: beyond exactly `pending` shares it gained nothing.
      const due =
        (await w.pool.getPooledEthByShares(walletShares + pending)) - (await w.pool.getPooledEthByShares(walletShares));
      const profit = (await ledger.profit(w.attacker.address, w.walletAddress)) - due;
      expect(profit).to.be.lte(0n);
      expect(profit).to.equal(0n);
    });
  });
});
