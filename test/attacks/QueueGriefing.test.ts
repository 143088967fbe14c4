/**
 * Attack class: withdrawal-queue griefing. An attacker floods the queue with thousands of minimum
 * requests (in front of a victim, or minted straight into a victim's account), tries to claim other
 * people's requests, to claim twice and to claim with a hint of another batch. The victims must be
 * finalized and paid in full, their claims must cost the same gas as in a quiet queue, every refused
 * call must revert with its exact error, and the attacker must come out behind.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { MaxUint256, ZeroAddress, parseEther, type ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployWithQueue, type WithdrawalFixture } from "../helpers/withdrawal-fixtures";
import { protocolState } from "../helpers/withdrawal-report-helpers";
import { Ledger } from "../helpers/attack-ledger";

/** The queue's smallest request, in wei. */
const MIN = 100n;
/** Minimum requests per spam transaction: 250 × ~58,400 gas stays under the 2^24 per-transaction gas cap. */
const PER_TX = 250;
/** Spam requests in the flooded queue. */
const SPAM = 3000;

interface World extends WithdrawalFixture {
  attacker: HardhatEthersSigner; // 1 ETH of tpETH, allowance to the queue
  alice: HardhatEthersSigner; // request 1: 10 ETH
  bob: HardhatEthersSigner; // requests 5 ETH later (after the spam, when there is one)
  carol: HardhatEthersSigner; // the target of NFT griefing
}

/** Sends `count` minimum requests from the attacker, owned by `owner` (zero: the attacker). */
async function spam(w: World, count: number, owner = ZeroAddress) {
  for (let sent = 0; sent < count; sent += PER_TX) {
    const n = Math.min(PER_TX, count - sent);
    await (await w.queue.connect(w.attacker).requestWithdrawals(Array<bigint>(n).fill(MIN), owner)).wait();
  }
}

/** One deployment for the whole file: variants are taken from it with evm_snapshot / evm_revert. */
async function base(): Promise<World> {
  const f = await loadFixture(deployWithQueue);
  const [alice, bob, carol] = f.holders;
  const attacker = f.users[10];
  await (await f.pool.connect(attacker).stake(ZeroAddress, { value: parseEther("1") })).wait();
  await (await f.pool.connect(attacker).approve(f.queueAddress, MaxUint256)).wait();
  await f.request(alice, [parseEther("10")]);
  return { ...f, attacker, alice, bob, carol };
}

/** Runs `body` and rolls the chain back to before it. */
async function thenRollBack<T>(body: () => Promise<T>): Promise<T> {
  const snapshot = await ethers.provider.send("evm_snapshot", []);
  try {
    return await body();
  } finally {
    await ethers.provider.send("evm_revert", [snapshot]);
  }
}

/** Gas used by a transaction. */
async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  return receipt!.gasUsed;
}

/** Bob requests 5 ETH; a report finalizes everything; alice and bob claim with hints. Gas of each step. */
async function bobThenFinalizeAndClaim(w: World) {
  const [bobId] = await w.request(w.bob, [parseEther("5")]);
  const report = (await w.finalize(bobId)).receipt.gasUsed;
  const [hintA, hintB] = await w.queue.findCheckpointHints([1n, bobId], 1n, await w.queue.getLastCheckpointIndex());
  const aliceClaim = await gasOf(w.queue.connect(w.alice).claimWithdrawals([1n], [hintA]));
  const bobClaim = await gasOf(w.queue.connect(w.bob).claimWithdrawals([bobId], [hintB]));
  return { bobId, report, aliceClaim, bobClaim };
}

/** The queue with bob's request (2) too, alice's finalized in checkpoint 1 and bob's in checkpoint 2. */
async function twoCheckpoints(w: World): Promise<void> {
  await w.request(w.bob, [parseEther("5")]);
  await w.finalize(1n);
  await w.finalize(2n);
}

describe("Attack: withdrawal-queue griefing", function () {
  it(`${SPAM} minimum requests between alice and bob: both finalized and paid in full, at a quiet queue's gas; the attacker loses`, async function () {
    const w = await loadFixture(base);
    const baseline = await thenRollBack(() => bobThenFinalizeAndClaim(w));

    const ledger = await Ledger.open(w, [w.attacker.address, w.alice.address, w.bob.address, w.carol.address]);
    await spam(w, SPAM);
    expect(await w.queue.balanceOf(w.attacker.address)).to.equal(BigInt(SPAM));
    const got = await bobThenFinalizeAndClaim(w);
    expect(got.bobId).to.equal(BigInt(SPAM) + 2n);
    expect(await w.queue.getLastFinalizedRequestId()).to.equal(got.bobId);

    // Finalizing 3,002 requests costs the report what finalizing 2 does (a few gas of calldata for the
    // larger id), and alice's claim costs exactly what it does in the quiet queue.
    expect(got.report - baseline.report).to.be.gte(0n);
    expect(got.report - baseline.report).to.be.lte(64n);
    expect(got.aliceClaim).to.equal(baseline.aliceClaim);
    expect(got.bobClaim - baseline.bobClaim).to.be.gte(0n);
    expect(got.bobClaim - baseline.bobClaim).to.be.lte(64n); // bob's id takes one more calldata byte

    // The victims, to the wei (gas added back): alice's 10 ETH and bob's 5 ETH arrived, their
    // requests are gone, alice's shares are untouched, bob's are less exactly his request's.
    const aliceBefore = ledger.holdingsBefore(w.alice.address);
    expect(await ledger.holdingsGasBack(w.alice.address)).to.deep.equal({
      ...aliceBefore,
      eth: aliceBefore.eth + parseEther("10"),
      requests: 0n,
    });
    const bobBefore = ledger.holdingsBefore(w.bob.address);
    const [bobStatus] = await w.queue.getWithdrawalStatus([got.bobId]);
    expect(await ledger.holdingsGasBack(w.bob.address)).to.deep.equal({
      ...bobBefore,
      eth: bobBefore.eth + parseEther("5"),
      shares: bobBefore.shares - bobStatus.amountOfShares,
    });
    expect(await ledger.holdingsGasBack(w.carol.address)).to.deep.equal(ledger.holdingsBefore(w.carol.address));
    // The attacker's 3,000 requests are worth at most 100 wei each and it paid their shares rounded
    // up (gas excluded: it also burned ~175M gas on them).
    expect(await ledger.profit(w.attacker.address)).to.be.lte(0n);
  });

  it("sub-minimum spam is refused outright: RequestAmountTooSmall for 99 wei of tpETH or of wtpETH value", async function () {
    const w = await loadFixture(base);
    await (await w.wrapper.connect(w.attacker).wrap(parseEther("0.1"))).wait();
    await (await w.wrapper.connect(w.attacker).approve(w.queueAddress, MaxUint256)).wait();
    const before = await protocolState(w);
    const ledger = await Ledger.open(w, [w.attacker.address, w.alice.address]);
    await expect(w.queue.connect(w.attacker).requestWithdrawals([MIN, MIN - 1n], ZeroAddress))
      .to.be.revertedWithCustomError(w.queue, "RequestAmountTooSmall")
      .withArgs(MIN - 1n, MIN);
    // wtpETH dust: the request's value is what counts (shares worth 99 wei at the current rate).
    const dust = await w.pool.getSharesByPooledEth(MIN - 1n);
    const value = await w.pool.getPooledEthByShares(dust);
    expect(value).to.be.lt(MIN);
    await expect(w.queue.connect(w.attacker).requestWithdrawalsWrapped([dust], ZeroAddress))
      .to.be.revertedWithCustomError(w.queue, "RequestAmountTooSmall")
      .withArgs(value, MIN);
    expect(await protocolState(w)).to.deep.equal(before);
    expect(await ledger.holdingsGasBack(w.alice.address)).to.deep.equal(ledger.holdingsBefore(w.alice.address));
    expect(await ledger.profit(w.attacker.address)).to.equal(0n);
  });

  describe("NFT griefing: dust requests minted or transferred into the victim's account", function () {
    /** Carol's own 3 ETH request, then `gifts` dust requests minted to her, then 5 of the attacker's transferred. */
    async function gift(w: World, gifts: number): Promise<{ own: bigint; last: bigint }> {
      const [own] = await w.request(w.carol, [parseEther("3")]);
      await spam(w, gifts, w.carol.address);
      await spam(w, 5);
      const last = await w.queue.getLastRequestId();
      for (let id = last - 4n; id <= last; id++) {
        await (await w.queue.connect(w.attacker).transferFrom(w.attacker.address, w.carol.address, id)).wait();
      }
      await w.finalize(last);
      return { own, last };
    }

    it("1,000 gifted requests leave carol's claim of her own request at the gas of 10 gifts, and her payout exact", async function () {
      const w = await loadFixture(base);
      const claimOwn = async (own: bigint) => w.queue.connect(w.carol).claimWithdrawals([own], [1n]);
      const fewGas = await thenRollBack(async () => gasOf(claimOwn((await gift(w, 10)).own)));

      const ledger = await Ledger.open(w, [w.attacker.address, w.carol.address]);
      const { own } = await gift(w, 1000);
      expect(await w.queue.balanceOf(w.carol.address)).to.equal(1n + 1000n + 5n);
      expect((await w.queue.getWithdrawalRequests(w.carol.address)).length).to.equal(1006); // a view: it walks them all
      const receipt = await (await claimOwn(own)).wait();
      expect(receipt!.gasUsed).to.equal(fewGas);
      expect(await w.queue.balanceOf(w.carol.address)).to.equal(1005n);

      // Carol, to the wei (gas added back): her 3 ETH in, her shares less exactly her request's; the
      // 1,005 gifts are hers to claim (100 wei each). The attacker paid for all of it.
      const before = ledger.holdingsBefore(w.carol.address);
      const [status] = await w.queue.getWithdrawalStatus([own]);
      expect(await ledger.holdingsGasBack(w.carol.address)).to.deep.equal({
        ...before,
        eth: before.eth + parseEther("3"),
        shares: before.shares - status.amountOfShares,
        requests: 1005n * MIN,
      });
      expect(await ledger.profit(w.attacker.address)).to.be.lt(0n);
    });

    it("the attacker cannot take a gift back or move carol's requests: ERC721InsufficientApproval", async function () {
      const w = await loadFixture(base);
      const { own, last } = await gift(w, 10);
      const q = w.queue.connect(w.attacker);
      const before = await protocolState(w);
      const ledger = await Ledger.open(w, [w.attacker.address, w.carol.address]);
      for (const id of [own, own + 1n, last]) {
        await expect(q.transferFrom(w.carol.address, w.attacker.address, id))
          .to.be.revertedWithCustomError(w.queue, "ERC721InsufficientApproval")
          .withArgs(w.attacker.address, id);
        await expect(q["safeTransferFrom(address,address,uint256)"](w.carol.address, w.attacker.address, id))
          .to.be.revertedWithCustomError(w.queue, "ERC721InsufficientApproval")
          .withArgs(w.attacker.address, id);
      }
      expect(await protocolState(w)).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.carol.address)).to.deep.equal(ledger.holdingsBefore(w.carol.address));
      expect(await ledger.profit(w.attacker.address)).to.equal(0n);
    });
  });

  describe("claims that are not the caller's to make", function () {
    it("claiming alice's request as a stranger, to a stranger, or as her approved operator: NotRequestOwner", async function () {
      const w = await loadFixture(base);
      await twoCheckpoints(w);
      await (await w.queue.connect(w.alice).approve(w.carol.address, 1n)).wait(); // carol: approved for request 1
      await (await w.queue.connect(w.alice).setApprovalForAll(w.bob.address, true)).wait(); // bob: her operator
      const before = await protocolState(w);
      const ledger = await Ledger.open(w, [w.attacker.address, w.alice.address, w.bob.address, w.carol.address]);
      for (const claimer of [w.attacker, w.carol, w.bob]) {
        const q = w.queue.connect(claimer);
        const notOwner = [1n, claimer.address, w.alice.address];
        await expect(q.claimWithdrawal(1n))
          .to.be.revertedWithCustomError(w.queue, "NotRequestOwner")
          .withArgs(...notOwner);
        await expect(q.claimWithdrawals([1n], [1n]))
          .to.be.revertedWithCustomError(w.queue, "NotRequestOwner")
          .withArgs(...notOwner);
        await expect(q.claimWithdrawalsTo([1n], [1n], claimer.address))
          .to.be.revertedWithCustomError(w.queue, "NotRequestOwner")
          .withArgs(...notOwner);
        // Hidden behind a request of one's own in a batch (only bob owns request 2).
        const batch = q.claimWithdrawalsTo([2n, 1n], [2n, 1n], claimer.address);
        if (claimer === w.bob) {
          await expect(batch)
            .to.be.revertedWithCustomError(w.queue, "NotRequestOwner")
            .withArgs(...notOwner);
        } else {
          await expect(batch)
            .to.be.revertedWithCustomError(w.queue, "NotRequestOwner")
            .withArgs(2n, claimer.address, w.bob.address);
        }
      }
      expect(await protocolState(w)).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.alice.address)).to.deep.equal(ledger.holdingsBefore(w.alice.address));
      expect(await ledger.profit(w.attacker.address)).to.equal(0n);
      expect(await ledger.profit(w.carol.address)).to.equal(0n);
      expect(await ledger.profit(w.bob.address)).to.equal(0n);
      // Alice still claims her 10 ETH.
      await expect(w.queue.connect(w.alice).claimWithdrawal(1n))
        .to.emit(w.queue, "WithdrawalClaimed")
        .withArgs(1n, w.alice.address, w.alice.address, parseEther("10"));
    });

    it("claiming twice — the same id twice in a batch, or again later: RequestAlreadyClaimed; paid exactly once", async function () {
      const w = await loadFixture(base);
      await twoCheckpoints(w);
      const q = w.queue.connect(w.alice);
      const before = await protocolState(w);
      const ledger = await Ledger.open(w, [w.alice.address, w.bob.address]);
      await expect(q.claimWithdrawals([1n, 1n], [1n, 1n]))
        .to.be.revertedWithCustomError(w.queue, "RequestAlreadyClaimed")
        .withArgs(1n);
      expect(await protocolState(w)).to.deep.equal(before);
      const locked = await w.queue.lockedEther();
      await (await q.claimWithdrawals([1n], [1n])).wait();
      const after = await protocolState(w);
      for (const tx of [
        () => q.claimWithdrawal(1n),
        () => q.claimWithdrawals([1n], [1n]),
        () => q.claimWithdrawalsTo([1n], [1n], w.carol.address),
      ]) {
        await expect(tx()).to.be.revertedWithCustomError(w.queue, "RequestAlreadyClaimed").withArgs(1n);
      }
      expect(await protocolState(w)).to.deep.equal(after);
      expect(await w.queue.lockedEther()).to.equal(locked - parseEther("10"));
      const alice = await ledger.holdingsGasBack(w.alice.address);
      const aliceBefore = ledger.holdingsBefore(w.alice.address);
      expect(alice).to.deep.equal({ ...aliceBefore, eth: aliceBefore.eth + parseEther("10"), requests: 0n });
      // Her worth over the whole attempt is unchanged (the 10 ETH request became 10 ETH): no profit.
      expect(await ledger.profit(w.alice.address)).to.equal(0n);
      expect(await ledger.holdingsGasBack(w.bob.address)).to.deep.equal(ledger.holdingsBefore(w.bob.address));
    });

    it("a hint of the other batch, of no batch, or a pending request: InvalidHint / RequestNotFinalized", async function () {
      const w = await loadFixture(base);
      await twoCheckpoints(w);
      const [pendingId] = await w.request(w.carol, [parseEther("1")]);
      const before = await protocolState(w);
      const ledger = await Ledger.open(w, [w.alice.address, w.bob.address, w.carol.address]);
      for (const hint of [2n, 0n, 3n]) {
        await expect(w.queue.connect(w.alice).claimWithdrawals([1n], [hint]))
          .to.be.revertedWithCustomError(w.queue, "InvalidHint")
          .withArgs(1n, hint);
      }
      await expect(w.queue.connect(w.bob).claimWithdrawals([2n], [1n]))
        .to.be.revertedWithCustomError(w.queue, "InvalidHint")
        .withArgs(2n, 1n);
      for (const tx of [
        () => w.queue.connect(w.carol).claimWithdrawal(pendingId),
        () => w.queue.connect(w.carol).claimWithdrawals([pendingId], [2n]),
      ]) {
        await expect(tx()).to.be.revertedWithCustomError(w.queue, "RequestNotFinalized").withArgs(pendingId);
      }
      expect(await protocolState(w)).to.deep.equal(before);
      for (const a of [w.alice, w.bob, w.carol]) {
        expect(await ledger.holdingsGasBack(a.address)).to.deep.equal(ledger.holdingsBefore(a.address));
        expect(await ledger.profit(a.address)).to.equal(0n);
      }
    });
  });
});
