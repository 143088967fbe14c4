/**
 * Hardhat tasks for withdrawals (docs/protocol.md §3, §8): request-withdrawal, withdrawals (list),
 * claim-withdrawals (hints found automatically). Each signs with `--from` (an account index or the
 * address of one of the network's accounts; default the first) and takes `--pool <address>`; without
 * it the pool comes from the Ignition deployment of the chain. Nothing to claim is not a failure:
 * a sentence on stdout, exit code 0.
 *
 * Loaded by hardhat.config.ts before compilation: no top-level imports of typechain-types,
 * deploy/protocol.ts or `hardhat` (see tasks/lib.ts).
 */
import { eth, markdownTable } from "../sdk/src/format";
import { checkpointHints } from "../sdk/src/withdrawals";
import {
  FROM_HELP,
  POOL_HELP,
  attempt,
  ethAtMost,
  fail,
  loadTidepool,
  parseAddress,
  parseAmount,
  signerFrom,
  tidepoolTask,
  viewedAccount,
} from "./lib";

/** Exact: an amount the caller typed is echoed as given. */
const EXACT = 18;

/** "1,2, 5" → [1n, 2n, 5n]; rejects anything that is not a list of positive integers. */
export function parseIds(value: string): bigint[] {
  const parts = value.split(",").map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => !/^[1-9][0-9]*$/.test(p))) {
    fail(`--ids must be a comma-separated list of request ids (positive integers), got "${value}"`);
  }
  return parts.map((p) => BigInt(p));
}

tidepoolTask("request-withdrawal", "Queues tpETH (or wtpETH with --wrapped) for withdrawal; mints a request NFT")
  .addParam("amount", "tpETH (or wtpETH) to withdraw, e.g. 1.5")
  .addFlag("wrapped", "Withdraw wtpETH instead of tpETH")
  .addOptionalParam("owner", "Who owns the request (not the zero address); default: the signer")
  .addOptionalParam("from", FROM_HELP)
  .addFlag("raw", "Also print the shares the request locks")
  .addOptionalParam("pool", POOL_HELP)
  .setAction(
    async (
      args: { amount: string; wrapped: boolean; owner?: string; from?: string; raw: boolean; pool?: string },
      hre,
    ): Promise<void> => {
      const amount = parseAmount(args.amount);
      const ownerArg =
        args.owner === undefined
          ? undefined
          : parseAddress(args.owner, "owner", { hint: "leave --owner out to own the request yourself" });
      const t = await loadTidepool(hre, args.pool);
      const signer = await signerFrom(hre, args.from);
      const owner = ownerArg ?? signer.address;
      const queue = t.withdrawalQueue.connect(signer);
      const queueAddress = await queue.getAddress();
      const token = args.wrapped ? t.wrapper.connect(signer) : t.pool.connect(signer);
      const unit = args.wrapped ? "wtpETH" : "tpETH";
      const balance = await token.balanceOf(signer.address);
      if (balance < amount) {
        fail(
          `--amount ${eth(amount, EXACT, unit)} is more than the balance of ${signer.address}, ${ethAtMost(balance, 6, unit)}`,
        );
      }
      if ((await token.allowance(signer.address, queueAddress)) < amount) {
        await attempt(hre, async () => (await token.approve(queueAddress, amount)).wait());
      }
      const request = args.wrapped ? queue.requestWithdrawalsWrapped : queue.requestWithdrawals;
      const [id] = await attempt(hre, () => request.staticCall([amount], owner));
      const receipt = await attempt(hre, async () => (await request([amount], owner)).wait());
      const [status] = await queue.getWithdrawalStatus([id]);
      const locked = args.raw ? ` (${status.amountOfShares} shares locked)` : "";
      console.log(
        `Request #${id}: ${eth(status.amountOfEther)} for ${status.owner}${locked}; no fee: up to that much ETH to claim` +
          " once a report finalizes it (less only if the protocol realises a loss first).",
      );
      console.log(`tx ${receipt?.hash}`);
    },
  );

tidepoolTask("withdrawals", "Lists an account's withdrawal requests: amount, status, claimable ETH")
  .addOptionalParam("from", "Whose requests: an account index or one of this network's accounts; default: the first")
  .addOptionalParam("account", "Whose requests: any address (instead of --from)")
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: { from?: string; account?: string; pool?: string }, hre): Promise<void> => {
    const t = await loadTidepool(hre, args.pool);
    const account = await viewedAccount(hre, args);
    if (account === undefined) fail(`network "${hre.network.name}" has no accounts: give --account <address>`);
    const queue = t.withdrawalQueue;
    const ids = [...(await queue.getWithdrawalRequests(account))];
    if (ids.length === 0) {
      console.log(`${account} has no unclaimed withdrawal requests.`);
      return;
    }
    const statuses = await queue.getWithdrawalStatus(ids);
    const hints = await checkpointHints(queue, ids);
    const claimable = await queue.getClaimableEther(ids, hints);
    const rows = ids.map((id, i) => [
      `#${id}`,
      eth(statuses[i].amountOfEther),
      statuses[i].isFinalized ? "finalized" : "pending",
      eth(claimable[i]),
    ]);
    console.log(markdownTable(["request", "requested", "status", "claimable"], rows));
  });

tidepoolTask("claim-withdrawals", "Claims finalized withdrawal requests (all of the signer's by default)")
  .addOptionalParam("ids", "Comma-separated request ids; default: every finalized one the signer owns")
  .addOptionalParam("recipient", "Who receives the ETH (not the zero address); default: the signer")
  .addOptionalParam("from", FROM_HELP)
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: { ids?: string; recipient?: string; from?: string; pool?: string }, hre): Promise<void> => {
    const given = args.ids === undefined ? undefined : parseIds(args.ids);
    const recipientArg =
      args.recipient === undefined
        ? undefined
        : parseAddress(args.recipient, "recipient", { hint: "leave --recipient out to receive the ETH yourself" });
    const t = await loadTidepool(hre, args.pool);
    const signer = await signerFrom(hre, args.from);
    const recipient = recipientArg ?? signer.address;
    const queue = t.withdrawalQueue.connect(signer);
    let ids: bigint[];
    if (given !== undefined) {
      ids = given;
    } else {
      const owned = [...(await queue.getWithdrawalRequests(signer.address))];
      const statuses = owned.length === 0 ? [] : await queue.getWithdrawalStatus(owned);
      ids = owned.filter((_, i) => statuses[i].isFinalized);
      if (ids.length === 0) {
        const pending = owned.length === 0 ? "" : ` (${owned.length} pending: see npx hardhat withdrawals)`;
        console.log(`Nothing to claim: ${signer.address} has no finalized withdrawal request${pending}.`);
        return;
      }
    }
    const hints = await attempt(hre, () => checkpointHints(queue, ids));
    const before = await hre.ethers.provider.getBalance(recipient);
    const receipt = await attempt(hre, async () => {
      await queue.claimWithdrawalsTo.staticCall(ids, hints, recipient); // a revert costs no gas
      return (await queue.claimWithdrawalsTo(ids, hints, recipient)).wait();
    });
    const gas = receipt === null || recipient !== signer.address ? 0n : receipt.gasUsed * receipt.gasPrice;
    const received = (await hre.ethers.provider.getBalance(recipient)) - before + gas;
    console.log(`Claimed ${ids.map((id) => `#${id}`).join(", ")}: ${eth(received)} sent to ${recipient}`);
    console.log(`tx ${receipt?.hash}`);
  });
