import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { parseEther } from "ethers";
import type { StakingPool, TokenForwarder__Mock } from "../../typechain-types";
import {
  NON_TRIVIAL_RATES,
  deployAtRateElevenTenths,
  deployAtRateThreeSevenths,
  type HoldersFixture,
} from "../helpers/wrapper-fixtures";
import { ethDown, readTotals, sharesDown, sharesUp, type Totals } from "../helpers/wrapper-rate";

/**
 * The "1–2 wei problem" of rebasing tokens: on stETH-like tokens an integrator contract that was
 * sent X often holds X − 1 or X − 2, and forwarding X reverts. tpETH rounds the shares an
 * amount-denominated transfer moves UP, so the recipient always holds at least X. These tests run
 * at share rates where rounding is visible (a simulated rebase, see test/helpers/wrapper-rate.ts).
 */

const HOPS = 24;
const AMOUNT = parseEther("1.234567891234567891");
const SMALL_AMOUNTS: readonly bigint[] = [1n, 2n, 3n, 99n];

interface ForwardersFixture extends HoldersFixture {
  forwarders: TokenForwarder__Mock[];
  forwarderAddresses: string[];
}

async function deployForwarders(): Promise<{ forwarders: TokenForwarder__Mock[]; forwarderAddresses: string[] }> {
  const forwarders: TokenForwarder__Mock[] = [];
  for (let i = 0; i < HOPS; i++) forwarders.push(await ethers.deployContract("TokenForwarder__Mock"));
  return { forwarders, forwarderAddresses: await Promise.all(forwarders.map((fw) => fw.getAddress())) };
}

/** Each non-trivial rate, with HOPS forwarder contracts deployed. */
const SCENARIOS = NON_TRIVIAL_RATES.map(({ label, fixture }) => {
  async function deployRateWithForwarders(): Promise<ForwardersFixture> {
    const f = await fixture();
    return { ...f, ...(await deployForwarders()) };
  }
  return { label, fixture: deployRateWithForwarders };
});

interface Holding {
  shares: bigint;
  balance: bigint;
}

async function holding(pool: StakingPool, account: string): Promise<Holding> {
  return { shares: await pool.sharesOf(account), balance: await pool.balanceOf(account) };
}

/**
 * Sends `amount` tpETH from `sender` to the first forwarder, has every forwarder forward exactly
 * `amount` to the next and the last one to `finalRecipient`, and checks every hop: the recipient
 * gains exactly ceil(amount × totalShares / totalPooledEther) shares and at least `amount` tpETH,
 * and the forwarder loses as many shares.
 */
async function forwardTpEthAlongChain(
  f: ForwardersFixture,
  sender: HardhatEthersSigner,
  finalRecipient: string,
  amount: bigint,
  t: Totals,
): Promise<void> {
  const { pool, poolAddress, forwarders, forwarderAddresses } = f;
  const recipients = [...forwarderAddresses, finalRecipient];
  const moved = sharesUp(amount, t);

  const firstBefore = await holding(pool, recipients[0]);
  await pool.connect(sender).transfer(recipients[0], amount);
  const firstAfter = await holding(pool, recipients[0]);
  expect(firstAfter.shares - firstBefore.shares).to.equal(moved);
  expect(firstAfter.balance - firstBefore.balance).to.be.at.least(amount);

  for (let hop = 0; hop < forwarders.length; hop++) {
    const next = recipients[hop + 1];
    const fromBefore = await holding(pool, forwarderAddresses[hop]);
    const toBefore = await holding(pool, next);
    expect(fromBefore.balance).to.be.at.least(amount);

    await expect(forwarders[hop].forward(poolAddress, next, amount))
      .to.emit(pool, "TransferShares")
      .withArgs(forwarderAddresses[hop], next, moved);

    const fromAfter = await holding(pool, forwarderAddresses[hop]);
    const toAfter = await holding(pool, next);
    expect(fromBefore.shares - fromAfter.shares).to.equal(moved);
    expect(toAfter.shares - toBefore.shares).to.equal(moved);
    expect(toAfter.balance - toBefore.balance).to.be.at.least(amount);
  }
}

describe("Integrator rounding: contracts forward exactly the tpETH they were sent", function () {
  for (const { label, fixture } of SCENARIOS) {
    describe(`at a share rate of ${label}`, function () {
      it("has amounts whose shares, rounded down, would be worth less than the amount (the 1–2 wei problem)", async function () {
        const { pool, totals: t } = await loadFixture(fixture);
        expect(await readTotals(pool)).to.deep.equal(t);
        for (const amount of [AMOUNT, ...SMALL_AMOUNTS]) {
          expect(ethDown(sharesDown(amount, t), t)).to.be.below(amount);
          expect(ethDown(sharesUp(amount, t), t)).to.be.at.least(amount);
        }
      });

      it(`lets ${HOPS} forwarder contracts in a row each receive an amount and forward exactly that amount`, async function () {
        const f = await loadFixture(fixture);
        const [alice] = f.holders;
        const [dave] = f.others;
        await forwardTpEthAlongChain(f, alice, dave.address, AMOUNT, f.totals);
        expect(await f.pool.balanceOf(dave.address)).to.equal(ethDown(sharesUp(AMOUNT, f.totals), f.totals));
        expect(await f.pool.balanceOf(dave.address)).to.be.at.least(AMOUNT);
        expect(await readTotals(f.pool)).to.deep.equal(f.totals);
      });

      it("forwards odd small amounts of 1, 2, 3 and 99 wei along the same chain", async function () {
        const f = await loadFixture(fixture);
        const [alice] = f.holders;
        const [dave] = f.others;
        let received = 0n;
        for (const amount of SMALL_AMOUNTS) {
          const before = await f.pool.balanceOf(dave.address);
          await forwardTpEthAlongChain(f, alice, dave.address, amount, f.totals);
          const gained = (await f.pool.balanceOf(dave.address)) - before;
          expect(gained).to.be.at.least(amount);
          received += amount;
        }
        expect(await f.pool.sharesOf(dave.address)).to.equal(
          SMALL_AMOUNTS.reduce((sum, amount) => sum + sharesUp(amount, f.totals), 0n),
        );
        expect(await f.pool.balanceOf(dave.address)).to.be.at.least(received);
      });

      it("lets a forwarder pull exactly its allowance with transferFrom and forward all of it", async function () {
        const f = await loadFixture(fixture);
        const { pool, poolAddress, forwarders, forwarderAddresses, totals: t } = f;
        const [alice] = f.holders;
        const [dave, eve] = f.others;
        for (const amount of [AMOUNT, ...SMALL_AMOUNTS]) {
          await pool.connect(alice).approve(forwarderAddresses[0], amount);
          const aliceShares = await pool.sharesOf(alice.address);
          const daveBefore = await holding(pool, dave.address);

          await expect(forwarders[0].connect(eve).pullAndForward(poolAddress, alice.address, dave.address, amount))
            .to.emit(pool, "TransferShares")
            .withArgs(alice.address, forwarderAddresses[0], sharesUp(amount, t))
            .and.to.emit(pool, "TransferShares")
            .withArgs(forwarderAddresses[0], dave.address, sharesUp(amount, t));

          expect(await pool.allowance(alice.address, forwarderAddresses[0])).to.equal(0n);
          expect(await pool.sharesOf(alice.address)).to.equal(aliceShares - sharesUp(amount, t));
          expect(await pool.sharesOf(forwarderAddresses[0])).to.equal(0n);
          const daveAfter = await holding(pool, dave.address);
          expect(daveAfter.shares - daveBefore.shares).to.equal(sharesUp(amount, t));
          expect(daveAfter.balance - daveBefore.balance).to.be.at.least(amount);
        }
      });

      it("round-trips shares exactly through wrap and unwrap, whatever the amount", async function () {
        const { pool, wrapper, wrapperAddress, holders, totals: t } = await loadFixture(fixture);
        const [, bob] = holders;
        for (const amount of [AMOUNT, 3n, 99n, 1_000_000_007n, (await pool.balanceOf(bob.address)) - 1n]) {
          const sharesBefore = await pool.sharesOf(bob.address);
          const balanceBefore = await pool.balanceOf(bob.address);
          const wrapped = sharesDown(amount, t);
          expect(wrapped).to.be.above(0n);
          await wrapper.connect(bob).wrap(amount);
          expect(await wrapper.balanceOf(bob.address)).to.equal(wrapped);
          expect(await pool.sharesOf(bob.address)).to.equal(sharesBefore - wrapped);

          await wrapper.connect(bob).unwrap(wrapped);
          expect(await wrapper.balanceOf(bob.address)).to.equal(0n);
          expect(await pool.sharesOf(bob.address)).to.equal(sharesBefore);
          expect(await pool.balanceOf(bob.address)).to.equal(balanceBefore);
          expect(await pool.sharesOf(wrapperAddress)).to.equal(0n);
        }
      });

      it("moves exactly the requested shares with transferShares and reports their value rounded down", async function () {
        const { pool, holders, others, totals: t } = await loadFixture(fixture);
        const [alice] = holders;
        const [dave] = others;
        let sent = 0n;
        for (const shares of [1n, 2n, 3n, 7n, 99n, AMOUNT, parseEther("5") + 1n]) {
          const aliceBefore = await pool.sharesOf(alice.address);
          expect(await pool.connect(alice).transferShares.staticCall(dave.address, shares)).to.equal(
            ethDown(shares, t),
          );
          await expect(pool.connect(alice).transferShares(dave.address, shares))
            .to.emit(pool, "TransferShares")
            .withArgs(alice.address, dave.address, shares)
            .and.to.emit(pool, "Transfer")
            .withArgs(alice.address, dave.address, ethDown(shares, t));
          sent += shares;
          expect(await pool.sharesOf(alice.address)).to.equal(aliceBefore - shares);
          expect(await pool.sharesOf(dave.address)).to.equal(sent);
        }
        expect(await pool.balanceOf(dave.address)).to.equal(ethDown(sent, t));
      });

      it(`forwards wtpETH exactly, to the wei, along ${HOPS} forwarders, since wtpETH does not rebase`, async function () {
        const f = await loadFixture(fixture);
        const { wrapper, wrapperAddress, forwarders, forwarderAddresses } = f;
        const [alice] = f.holders;
        const [dave] = f.others;
        await wrapper.connect(alice).wrap(parseEther("10"));
        const amount = AMOUNT + 1n;
        const recipients = [...forwarderAddresses, dave.address];
        await wrapper.connect(alice).transfer(recipients[0], amount);
        for (let hop = 0; hop < forwarders.length; hop++) {
          await expect(forwarders[hop].forward(wrapperAddress, recipients[hop + 1], amount))
            .to.emit(wrapper, "Transfer")
            .withArgs(recipients[hop], recipients[hop + 1], amount);
          expect(await wrapper.balanceOf(recipients[hop])).to.equal(0n);
          expect(await wrapper.balanceOf(recipients[hop + 1])).to.equal(amount);
        }
        expect(await wrapper.balanceOf(dave.address)).to.equal(amount);
      });
    });
  }

  describe("sending a whole balanceOf()", function () {
    it("works for every holder at 1.1 ETH per share and leaves no shares behind", async function () {
      const { pool, holders, others } = await loadFixture(deployAtRateElevenTenths);
      const [dave] = others;
      let total = 0n;
      for (const holder of holders) {
        const shares = await pool.sharesOf(holder.address);
        await pool.connect(holder).transfer(dave.address, await pool.balanceOf(holder.address));
        expect(await pool.sharesOf(holder.address)).to.equal(0n);
        expect(await pool.balanceOf(holder.address)).to.equal(0n);
        total += shares;
        expect(await pool.sharesOf(dave.address)).to.equal(total);
      }
    });

    it("works for every holder at 3/7 ETH per share, leaving only shares worth less than one wei, which transferShares sweeps", async function () {
      const { pool, holders, others, totals: t } = await loadFixture(deployAtRateThreeSevenths);
      const [dave] = others;
      // Below one ETH per share a share is worth less than a wei: some share counts have no
      // amount that names them exactly, so an amount-denominated transfer can leave dust.
      expect(t.totalPooledEther).to.be.below(t.totalShares);
      const dust: bigint[] = [];
      for (const holder of holders) {
        const shares = await pool.sharesOf(holder.address);
        const balance = await pool.balanceOf(holder.address);
        await pool.connect(holder).transfer(dave.address, balance);
        const left = await pool.sharesOf(holder.address);
        expect(left).to.equal(shares - sharesUp(balance, t));
        expect(left).to.be.below(sharesUp(1n, t));
        expect(await pool.balanceOf(holder.address)).to.equal(0n);
        dust.push(left);
        if (left > 0n) await pool.connect(holder).transferShares(dave.address, left);
        expect(await pool.sharesOf(holder.address)).to.equal(0n);
      }
      expect(dust).to.deep.equal([0n, 2n, 0n, 0n, 0n, 1n]);
    });
  });
});
