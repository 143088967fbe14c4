/**
 * Hardhat tasks for withdrawals (docs/protocol.md §3, §8): request-withdrawal, withdrawals (list),
 * claim-withdrawals (hints found automatically). Each signs with the network's first account and
 * takes `--pool <address>`; without it the pool comes from the Ignition deployment of the chain.
 *
 * Loaded by hardhat.config.ts before compilation: no top-level imports of typechain-types,
 * deploy/protocol.ts or `hardhat` (see tasks/lib.ts).
 */
import { ZeroAddress } from "ethers";
import { task } from "hardhat/config";
import { eth, markdownTable } from "../sdk/src/format";
import { checkpointHints } from "../sdk/src/withdrawals";
import { attempt, defaultSigner, fail, loadTidepool, parseAddress, parseAmount } from "./lib";

const POOL_HELP = "StakingPool (tpETH) address; default: the Ignition deployment of this chain";
/** Full precision: what the tasks print must match the chain to the wei. */
const WEI = 18;

/** "1,2, 5" → [1n, 2n, 5n]; rejects anything that is not a list of positive integers. */
export function parseIds(value: string): bigint[] {
  const parts = value.split(",").map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => !/^[1-9][0-9]*$/.test(p))) {
    fail(`--ids must be a comma-separated list of request ids (positive integers), got "${value}"`);
  }
  return parts.map((p) => BigInt(p));
}

task("request-withdrawal", "Queues tpETH (or wtpETH with --wrapped) for withdrawal; mints a request NFT")
  .addParam("amount", "tpETH (or wtpETH) to withdraw, e.g. 1.5")
  .addFlag("wrapped", "Withdraw wtpETH instead of tpETH")
  .addOptionalParam("owner", "Who owns the request; default: the signer")
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: { amount: string; wrapped: boolean; owner?: string; pool?: string }, hre): Promise<void> => {
    const amount = parseAmount(args.amount);
    const owner = args.owner === undefined ? ZeroAddress : parseAddress(args.owner, "owner");
    const t = await loadTidepool(hre, args.pool);
    const signer = await defaultSigner(hre);
    const queue = t.withdrawalQueue.connect(signer);
    const queueAddress = await queue.getAddress();
    const token = args.wrapped ? t.wrapper.connect(signer) : t.pool.connect(signer);
    const interfaces = [queue.interface, t.pool.interface, t.wrapper.interface];
    const unit = args.wrapped ? "wtpETH" : "tpETH";
    const balance = await token.balanceOf(signer.address);
    if (balance < amount)
      fail(`--amount ${eth(amount, WEI, unit)} is more than the balance, ${eth(balance, WEI, unit)}`);
    if ((await token.allowance(signer.address, queueAddress)) < amount) {
      await attempt("approve", interfaces, async () => (await token.approve(queueAddress, amount)).wait());
    }
    const request = args.wrapped ? queue.requestWithdrawalsWrapped : queue.requestWithdrawals;
    const [id] = await attempt("request", interfaces, () => request.staticCall([amount], owner));
    const receipt = await attempt("request", interfaces, async () => (await request([amount], owner)).wait());
    const [status] = await queue.getWithdrawalStatus([id]);
    console.log(
      `Request #${id}: ${eth(status.amountOfEther, WEI)} for ${status.owner} (${status.amountOfShares} shares locked)`,
    );
    console.log(`tx ${receipt?.hash}`);
  });

task("withdrawals", "Lists an account's withdrawal requests: amount, status, claimable ETH")
  .addOptionalParam("account", "Whose requests; default: the first account")
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: { account?: string; pool?: string }, hre): Promise<void> => {
    const account =
      args.account === undefined ? (await defaultSigner(hre)).address : parseAddress(args.account, "account");
    const t = await loadTidepool(hre, args.pool);
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
      eth(statuses[i].amountOfEther, WEI),
      statuses[i].isFinalized ? "finalized" : "pending",
      eth(claimable[i], WEI),
    ]);
    console.log(markdownTable(["request", "requested", "status", "claimable"], rows));
  });

task("claim-withdrawals", "Claims finalized withdrawal requests (all of the signer's by default)")
  .addOptionalParam("ids", "Comma-separated request ids; default: every finalized one the signer owns")
  .addOptionalParam("recipient", "Who receives the ETH; default: the signer")
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: { ids?: string; recipient?: string; pool?: string }, hre): Promise<void> => {
    const t = await loadTidepool(hre, args.pool);
    const signer = await defaultSigner(hre);
    const recipient = args.recipient === undefined ? signer.address : parseAddress(args.recipient, "recipient");
    const queue = t.withdrawalQueue.connect(signer);
    let ids: bigint[];
    if (args.ids !== undefined) {
      ids = parseIds(args.ids);
    } else {
      const owned = [...(await queue.getWithdrawalRequests(signer.address))];
      const statuses = owned.length === 0 ? [] : await queue.getWithdrawalStatus(owned);
      ids = owned.filter((_, i) => statuses[i].isFinalized);
      if (ids.length === 0) fail(`${signer.address} has no finalized request to claim`);
    }
    const hints = await attempt("findCheckpointHints", [queue.interface], () => checkpointHints(queue, ids));
    const before = await hre.ethers.provider.getBalance(recipient);
    const receipt = await attempt("claim", [queue.interface], async () => {
      await queue.claimWithdrawalsTo.staticCall(ids, hints, recipient); // a revert costs no gas
      return (await queue.claimWithdrawalsTo(ids, hints, recipient)).wait();
    });
    const gas = receipt === null || recipient !== signer.address ? 0n : receipt.gasUsed * receipt.gasPrice;
    const received = (await hre.ethers.provider.getBalance(recipient)) - before + gas;
    console.log(`Claimed ${ids.map((id) => `#${id}`).join(", ")}: ${eth(received, WEI)} sent to ${recipient}`);
    console.log(`tx ${receipt?.hash}`);
  });
