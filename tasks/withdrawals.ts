/**
 * Hardhat tasks for withdrawals (docs/protocol.md §3, §8): request-withdrawal, withdrawals (list),
 * claim-withdrawals (hints found automatically). Each signs with `--from` (an account index or the
 * address of one of the network's accounts; default the first) and takes `--pool <address>`; without
 * it the pool comes from the Ignition deployment of the chain. Nothing to claim is not a failure:
 * a sentence on stdout, exit code 0.
 *
 * Thin command lines over the SDK's `TidepoolClient` (sdk/src/client.ts): `request-withdrawal`
 * previews with `client.previewWithdrawal` (the amount, no fee, the expected wait), then requests
 * with a permit (or an exact approval); `withdrawals` lists `client.requests`; `claim-withdrawals`
 * is `client.claim` (the claimable requests and their hints are the client's to find).
 *
 * Loaded by hardhat.config.ts before compilation: no top-level imports of typechain-types,
 * deploy/protocol.ts or `hardhat` (see tasks/lib.ts).
 */
import { eth, markdownTable } from "../sdk/src/format";
import { expectedWaitText } from "../sdk/src/withdrawals";
import {
  FROM_HELP,
  POOL_HELP,
  connectClient,
  fail,
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
      const owner =
        args.owner === undefined
          ? undefined
          : parseAddress(args.owner, "owner", { hint: "leave --owner out to own the request yourself" });
      const signer = await signerFrom(hre, args.from);
      const client = await connectClient(hre, args.pool, signer);
      const options = { wrapped: args.wrapped, ...(owner === undefined ? {} : { owner }) };
      const preview = await client.previewWithdrawal(amount, options);
      if (!preview.ok) fail(preview.reason ?? `${eth(amount, EXACT)} cannot be requested for withdrawal now.`);
      const unit = args.wrapped ? "wtpETH" : "tpETH";
      const worth = args.wrapped ? ` (worth ${eth(preview.amountOfEther)})` : "";
      console.log(
        `Withdrawal request of ${eth(amount, EXACT, unit)}${worth} from ${signer.address}: no fee;` +
          ` expected wait: ${expectedWaitText(preview.expectedWait)}.`,
      );
      const result = await client.requestWithdrawals([amount], options);
      for (const request of result.requests) {
        const locked = args.raw ? ` (${request.amountOfShares} shares locked)` : "";
        console.log(
          `Request #${request.id}: ${eth(request.amountOfEther)} for ${request.owner}${locked}; no fee: up to that much ETH to claim` +
            " once a report finalizes it (less only if the protocol realises a loss first).",
        );
      }
      console.log(`tx ${result.receipt.hash}`);
    },
  );

tidepoolTask("withdrawals", "Lists an account's withdrawal requests: amount, status, claimable ETH")
  .addOptionalParam("from", "Whose requests: an account index or one of this network's accounts; default: the first")
  .addOptionalParam("account", "Whose requests: any address (instead of --from)")
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: { from?: string; account?: string; pool?: string }, hre): Promise<void> => {
    const client = await connectClient(hre, args.pool);
    const account = await viewedAccount(hre, args);
    if (account === undefined) fail(`network "${hre.network.name}" has no accounts: give --account <address>`);
    const requests = await client.requests(account);
    if (requests.length === 0) {
      console.log(`${account} has no unclaimed withdrawal requests.`);
      return;
    }
    const rows = requests.map((r) => [`#${r.id}`, eth(r.amountOfEther), r.status, eth(r.claimableEther)]);
    console.log(markdownTable(["request", "requested", "status", "claimable"], rows));
  });

tidepoolTask("claim-withdrawals", "Claims finalized withdrawal requests (all of the signer's by default)")
  .addOptionalParam("ids", "Comma-separated request ids; default: every finalized one the signer owns")
  .addOptionalParam("recipient", "Who receives the ETH (not the zero address); default: the signer")
  .addOptionalParam("from", FROM_HELP)
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: { ids?: string; recipient?: string; from?: string; pool?: string }, hre): Promise<void> => {
    const ids = args.ids === undefined ? undefined : parseIds(args.ids);
    const recipient =
      args.recipient === undefined
        ? undefined
        : parseAddress(args.recipient, "recipient", { hint: "leave --recipient out to receive the ETH yourself" });
    const signer = await signerFrom(hre, args.from);
    const client = await connectClient(hre, args.pool, signer);
    const claimed = await client.claim(ids, recipient === undefined ? {} : { recipient });
    if (claimed.receipt === undefined) {
      const pending = (await client.requests()).length;
      const more = pending === 0 ? "" : ` (${pending} pending: see npx hardhat withdrawals)`;
      console.log(`Nothing to claim: ${signer.address} has no finalized withdrawal request${more}.`);
      return;
    }
    console.log(
      `Claimed ${claimed.ids.map((id) => `#${id}`).join(", ")}: ${eth(claimed.ethOut)} sent to ${recipient ?? signer.address}`,
    );
    console.log(`tx ${claimed.receipt.hash}`);
  });
