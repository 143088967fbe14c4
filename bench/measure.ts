/** What every benchmark records, and how it measures one transaction. */
import type { TransactionResponse } from "ethers";

/** Operation key → whole-transaction gasUsed (written to bench/gas.json). */
export type Gas = Record<string, number>;

/** Sends `tx`, checks it succeeded and returns its whole-transaction gas divided by `per` (rounded). */
export async function gasOf(key: string, tx: Promise<TransactionResponse>, per = 1): Promise<number> {
  const receipt = await (await tx).wait();
  if (!receipt || receipt.status !== 1) throw new Error(`${key} failed`);
  return Math.round(Number(receipt.gasUsed) / per);
}
