import { expect } from "chai";
import fc from "fast-check";
import { network } from "hardhat";
import { ZeroAddress, parseEther } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployTidepoolUnlimited, type TidepoolFixture } from "../helpers/fixtures";

/**
 * The instant-redemption fee cannot be split away (review finding 2): within a frame, an amount
 * redeemed in 1–50 pieces, in random order and interleaved with other holders' redemptions, never pays
 * less in total than one redemption of the same amount at the point in the frame where the first
 * piece was redeemed, less at most 1 wei per piece. Fee parameters, the frame's earlier use and the
 * liquidity are random too. Environment: FC_RUNS (runs, default 40), FC_SEED.
 */

const RUNS = Number(process.env.FC_RUNS ?? 40);
const BP = 10_000n;

/**
 * 800 ETH staked; 750 ETH of it queued for withdrawal, so the instant liquidity is 50 ETH against a
 * frame cap of 80 ETH. The splitter keeps 20 ETH of tpETH, the other three holders 10 ETH each.
 */
async function deployed(): Promise<TidepoolFixture> {
  const f = await loadFixture(deployTidepoolUnlimited);
  const queue = await f.withdrawalQueue.getAddress();
  const stakeAndQueue = async (holder: (typeof f.users)[number], staked: bigint, queued: bigint) => {
    await f.pool.connect(holder).stake(ZeroAddress, { value: staked });
    await f.pool.connect(holder).approve(queue, queued);
    await f.withdrawalQueue.connect(holder).requestWithdrawals([queued], holder.address);
  };
  await stakeAndQueue(f.users[0], parseEther("100"), parseEther("80"));
  for (const holder of f.users.slice(1, 4)) await stakeAndQueue(holder, parseEther("100"), parseEther("90"));
  await stakeAndQueue(f.users[4], parseEther("400"), parseEther("400"));
  await f.pool.connect(f.admin).setInstantRedeemParams(10n, 1000n, 1000n); // widest curve, 10% cap
  return f;
}

/** Splits `total` into `weights.length` positive pieces proportional to the weights (the last takes the rest). */
function split(total: bigint, weights: number[]): bigint[] {
  const sum = BigInt(weights.reduce((a, b) => a + b, 0));
  const pieces = weights.map((w) => (total * BigInt(w)) / sum);
  pieces[pieces.length - 1] += total - pieces.reduce((a, b) => a + b, 0n);
  return pieces.filter((p) => p > 0n);
}

async function feeOf(f: TidepoolFixture, tx: Promise<{ wait(): Promise<unknown> }>): Promise<bigint> {
  const receipt = (await (await tx).wait()) as { logs: { topics: string[]; data: string }[] };
  for (const log of receipt.logs) {
    const parsed = f.pool.interface.parseLog(log);
    if (parsed?.name === "InstantRedeemed") return parsed.args.fee as bigint;
  }
  throw new Error("no InstantRedeemed event");
}

describe("Property: an instant redemption cannot be split to pay a lower fee", function () {
  it("random splits (1–50 pieces, random order, others redeeming in between) pay at least one call's fee − 1 wei per piece", async function () {
    const f = await loadFixture(deployed);
    const [splitter, ...others] = f.users.slice(0, 4);
    const scenario = fc.record({
      minFeeBP: fc.integer({ min: 10, max: 500 }),
      spreadBP: fc.integer({ min: 0, max: 500 }),
      earlierUseBP: fc.integer({ min: 0, max: 1_500 }), // of the liquidity, used before the split starts
      totalBP: fc.integer({ min: 1, max: 3_500 }), // the amount split, of the liquidity
      weights: fc.array(fc.integer({ min: 1, max: 1_000 }), { minLength: 1, maxLength: 50 }),
      others: fc.array(fc.tuple(fc.nat({ max: 49 }), fc.nat({ max: 2 }), fc.integer({ min: 1, max: 400 })), {
        maxLength: 10,
      }),
      seed: fc.integer(),
    });
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const snapshot = (await network.provider.send("evm_snapshot", [])) as string;
        try {
          await time.increase(24 * 60 * 60); // each run in a frame of its own
          await f.pool.connect(f.admin).setInstantRedeemParams(s.minFeeBP, s.minFeeBP + s.spreadBP, 1000n);
          const liquidity = await f.pool.instantLiquidity();
          const earlier = (liquidity * BigInt(s.earlierUseBP)) / BP;
          if (earlier > 0n) await f.pool.connect(others[0]).instantRedeem(earlier, 0n, others[0].address);
          const total = ((await f.pool.instantLiquidity()) * BigInt(s.totalBP)) / BP;
          fc.pre(total > 0n);
          const [, single] = await f.pool.previewInstantRedeem(total);

          // The pieces in a random order (a seeded shuffle), other holders' redemptions in between.
          const pieces = split(total, s.weights);
          for (let i = pieces.length - 1, r = s.seed >>> 0; i > 0; i--) {
            r = (r * 1_103_515_245 + 12_345) >>> 0;
            const j = r % (i + 1);
            [pieces[i], pieces[j]] = [pieces[j], pieces[i]];
          }
          let paid = 0n;
          for (let i = 0; i < pieces.length; i++) {
            for (const [at, who, sizeBP] of s.others) {
              if (at % pieces.length !== i) continue;
              const amount = ((await f.pool.instantLiquidity()) * BigInt(sizeBP)) / (BP * 10n);
              if (amount > 0n) await f.pool.connect(others[who]).instantRedeem(amount, 0n, others[who].address);
            }
            paid += await feeOf(f, f.pool.connect(splitter).instantRedeem(pieces[i], 0n, splitter.address));
          }
          expect(paid + BigInt(pieces.length)).to.be.greaterThanOrEqual(single);
          if (s.others.length === 0) {
            // Nobody in between: the pieces pay the same integral, each rounded up.
            expect(paid).to.be.greaterThanOrEqual(single);
            expect(paid - single).to.be.lessThan(BigInt(pieces.length));
          }
        } finally {
          await network.provider.send("evm_revert", [snapshot]);
        }
      }),
      { numRuns: RUNS, seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined },
    );
  });
});
