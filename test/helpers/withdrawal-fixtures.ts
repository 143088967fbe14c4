import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress, parseEther, type ContractTransactionReceipt } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployWithValidators, toGwei, type OracleFixture } from "./oracle-fixtures";
import type { ReportData, ReportFields } from "../../sdk/src/report";
import type { WithdrawalQueue } from "../../typechain-types";

export interface WithdrawalFixture extends OracleFixture {
  queue: WithdrawalQueue;
  queueAddress: string;
  /** Three holders with 20 ETH staked each (users[2..4]); the buffer then holds ~64 ETH. */
  holders: HardhatEthersSigner[];
  /** The CL balance the last report declared, in wei (96 ETH at first). */
  clWei: bigint;
  /** Approves exactly Σ amounts and requests them as `holder` (owner: the holder unless given). */
  request: (holder: HardhatEthersSigner, amounts: bigint[], owner?: string) => Promise<bigint[]>;
  /** A report with the CL balance unchanged (no rewards) that finalizes up to `lastId`. */
  finalize: (
    lastId: bigint,
    fields?: Partial<ReportFields>,
  ) => Promise<{ data: ReportData; receipt: ContractTransactionReceipt }>;
}

/**
 * {deployWithValidators} (100 ETH staker, operator 0 with three visible validators at 96 ETH) plus
 * three holders with 20 ETH each and the withdrawal queue.
 */
export async function deployWithQueue(): Promise<WithdrawalFixture> {
  const f = await loadFixture(deployWithValidators);
  const holders = f.users.slice(2, 5);
  for (const h of holders) await (await f.pool.connect(h).stake(ZeroAddress, { value: parseEther("20") })).wait();
  const queue = f.withdrawalQueue;
  const queueAddress = await queue.getAddress();
  const fixture: WithdrawalFixture = {
    ...f,
    queue,
    queueAddress,
    holders,
    clWei: parseEther("96"),
    request: async (holder, amounts, owner = ZeroAddress) => {
      const total = amounts.reduce((a, b) => a + b, 0n);
      await (await f.pool.connect(holder).approve(queueAddress, total)).wait();
      const ids = await queue.connect(holder).requestWithdrawals.staticCall(amounts, owner);
      await (await queue.connect(holder).requestWithdrawals(amounts, owner)).wait();
      return ids;
    },
    finalize: (lastId, fields = {}) =>
      f.report({
        numValidators: 3n,
        clBalanceGwei: toGwei(fixture.clWei),
        lastRequestIdToFinalize: lastId,
        ...fields,
      }),
  };
  return fixture;
}
