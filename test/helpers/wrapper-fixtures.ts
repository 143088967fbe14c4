import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployTidepoolUnlimited, type TidepoolFixture } from "./fixtures";
import { rebaseTo, readTotals, type Totals } from "./wrapper-rate";

/** What the first holders stake at the share rate of 1 (odd amounts, so that no total is round). */
export const HOLDER_STAKES: readonly bigint[] = [
  100_000_000_000_000_000_001n, // 100 ETH + 1 wei
  37_500_000_000_000_000_003n,
  12_345_678_901_234_567_891n,
  5_000_000_000_000_000_007n,
  1_000_000_000_000_000_009n,
  250_000_000_000_000_011n,
];

export interface HoldersFixture extends TidepoolFixture {
  /** users[0..5], each holding tpETH staked at the share rate of 1 (HOLDER_STAKES). */
  holders: HardhatEthersSigner[];
  /** users[6..]: no tpETH and no wtpETH. */
  others: HardhatEthersSigner[];
  /** The pool's totals once the fixture is set up. */
  totals: Totals;
}

/** No stake limit, and six holders of tpETH staked at the share rate of 1. */
export async function deployWithHolders(): Promise<HoldersFixture> {
  const f = await loadFixture(deployTidepoolUnlimited);
  const holders = f.users.slice(0, HOLDER_STAKES.length);
  for (const [i, holder] of holders.entries()) {
    await f.pool.connect(holder).stake(holder.address, { value: HOLDER_STAKES[i] });
  }
  return { ...f, holders, others: f.users.slice(HOLDER_STAKES.length), totals: await readTotals(f.pool) };
}

/** As {deployWithHolders}, then a simulated rebase to 1.1 ETH per share plus 987,654,321 wei in total. */
export async function deployAtRateElevenTenths(): Promise<HoldersFixture> {
  const f = await loadFixture(deployWithHolders);
  return { ...f, totals: await rebaseTo(f.pool, 11n, 10n, 987_654_321n) };
}

/** As {deployWithHolders}, then a simulated rebase (a slashing) to 3/7 ETH per share plus 5 wei in total. */
export async function deployAtRateThreeSevenths(): Promise<HoldersFixture> {
  const f = await loadFixture(deployWithHolders);
  return { ...f, totals: await rebaseTo(f.pool, 3n, 7n, 5n) };
}

/** The non-trivial share rates that rounding tests run at. */
export const NON_TRIVIAL_RATES: readonly { label: string; fixture: () => Promise<HoldersFixture> }[] = [
  { label: "1.1 ETH per share plus odd wei", fixture: deployAtRateElevenTenths },
  { label: "3/7 ETH per share plus odd wei", fixture: deployAtRateThreeSevenths },
];
