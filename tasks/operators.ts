/**
 * Hardhat tasks for node operators and the governance that admits them (docs/protocol.md §6, §8,
 * docs/operators.md): operator-add, operator-keys (validated deposit data, uploaded in batches; or
 * --remove), operator-vet (governance checks and vets keys), operator-bond (post, view, --withdraw),
 * operator-rewards (pending fee rewards, --claim), operator-exits (the oracle's exit requests with
 * their deadlines) and operators (list). Each takes `--pool <address>`; without it the pool comes
 * from the Ignition deployment of the connected chain.
 *
 * Loaded by hardhat.config.ts before compilation: no top-level imports of typechain-types,
 * deploy/protocol.ts or `hardhat`, and none of the BLS libraries either (offchain/keys/keystore.ts is
 * loaded inside the one action that needs it, so that every other Hardhat command stays quick).
 */
import fs from "node:fs";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionReceipt, Interface } from "ethers";
import { duration, eth, ethAtMost, markdownTable } from "../sdk/src/format";
import { bondWithdrawalShares, readOperatorBond, relativeTime, utcTime, type OperatorBond } from "../sdk/src/operators";
import type { OperatorExit, OperatorExits } from "../offchain/operators/exit-requests";
import type { DepositDataJson, KeyToolNetwork } from "../offchain/keys/keystore";
import type { Tidepool } from "../deploy/protocol";
import {
  FROM_HELP,
  POOL_HELP,
  attempt,
  decodeRevert,
  fail,
  loadTidepool,
  parseAddress,
  parseAmount,
  parseCount,
  parseHttpUrl,
  roleSigner,
  signerFrom,
  tidepoolTask,
} from "./lib";
import { DEFAULT_BEACON_URL } from "./proofs";

/** Exact: an amount the caller typed is echoed as given. */
const EXACT = 18;
/** Keys per addSigningKeys transaction unless --batch says otherwise. */
export const DEFAULT_KEYS_BATCH = 50;
/** The registry's MAX_KEYS_PER_CALL. */
const MAX_KEYS_PER_CALL = 100;
/** Problems of a deposit-data file quoted in the one-line error (the rest are counted). */
const PROBLEMS_SHOWN = 3;

/**
 * Chains whose deposit signatures the tasks can check, and the genesis fork version (by key-tool
 * network name) they are signed for. The local chain uses mainnet's: the local deployment's test
 * keys (offchain/keys/bls.ts `testKeyBatch`) are signed for it, as the spec-faithful deposit
 * contract does not care.
 */
const KEY_NETWORK_BY_CHAIN: ReadonlyMap<bigint, KeyToolNetwork> = new Map<bigint, KeyToolNetwork>([
  [1n, "mainnet"],
  [560048n, "hoodi"],
  [31337n, "mainnet"],
]);

/**
 * The key-tool network (hence genesis fork version) deposit data must be signed for on `chainId`:
 * 1 → mainnet, 560048 → hoodi, 31337 (Hardhat, localhost) → mainnet; undefined for other chains.
 */
export function keyNetworkForChain(chainId: bigint): KeyToolNetwork | undefined {
  return KEY_NETWORK_BY_CHAIN.get(chainId);
}

/** Parses an operator id argument: a non-negative integer. */
export function parseOperatorId(value: unknown, name = "operator"): bigint {
  const text = typeof value === "string" ? value.trim() : String(value ?? "");
  if (!/^(0|[1-9][0-9]*)$/.test(text)) fail(`--${name} must be an operator id (a non-negative integer), got "${text}"`);
  return BigInt(text);
}

/** Parses an integer argument from 1 to `max`. */
function parseBounded(value: unknown, name: string, max: number): number {
  const text = typeof value === "string" ? value.trim() : String(value ?? "");
  if (!/^[1-9][0-9]*$/.test(text) || Number(text) > max) {
    fail(`--${name} must be an integer from 1 to ${max}, got "${text}"`);
  }
  return Number(text);
}

/** The operator's state, or a one-line error naming how many operators there are. */
async function operatorOrFail(t: Tidepool, id: bigint) {
  const count = await t.registry.getNodeOperatorsCount();
  if (id >= count) fail(`operator ${id} does not exist (the registry has ${count} operator${count === 1n ? "" : "s"})`);
  return t.registry.getNodeOperator(id);
}

/** The account among this network's accounts whose address is `address`, if any. */
async function accountFor(hre: HardhatRuntimeEnvironment, address: string): Promise<HardhatEthersSigner | undefined> {
  const wanted = address.toLowerCase();
  return (await hre.ethers.getSigners()).find((s) => s.address.toLowerCase() === wanted);
}

/**
 * The account of operator `id`'s reward address, the only one the registry lets `what` ("claim its
 * rewards"), or a one-line error when this network cannot sign for it.
 */
async function rewardSigner(
  hre: HardhatRuntimeEnvironment,
  id: bigint,
  rewardAddress: string,
  what: string,
): Promise<HardhatEthersSigner> {
  const signer = await accountFor(hre, rewardAddress);
  if (signer === undefined) {
    fail(
      `operator ${id}'s reward address ${rewardAddress} is not one of network "${hre.network.name}"'s accounts: only it can ${what}`,
    );
  }
  return signer;
}

/** The events of `receipt` that `iface` names `name`, parsed. */
function eventsNamed(receipt: ContractTransactionReceipt | null, iface: Interface, name: string) {
  return (receipt?.logs ?? [])
    .map((log) => {
      try {
        return iface.parseLog(log);
      } catch {
        return null;
      }
    })
    .filter((e) => e !== null && e.name === name)
    .map((e) => e!);
}

/** "#3" or "#3–#5". */
function keyRange(from: bigint, count: bigint): string {
  return count === 1n ? `#${from}` : `#${from}–#${from + count - 1n}`;
}

/** "1 key", "3 keys" (any counted noun). */
function plural(n: bigint | number, one: string, many = `${one}s`): string {
  return `${n} ${BigInt(n) === 1n ? one : many}`;
}

/** Whether `account` holds the registry's OPERATOR_MANAGER_ROLE. */
async function isOperatorManager(t: Tidepool, account: string): Promise<boolean> {
  return t.registry.hasRole(await t.registry.OPERATOR_MANAGER_ROLE(), account);
}

/** "entry 0: …; entry 1: …; entry 2: … (+4 more)" */
function summarize(problems: string[]): string {
  const shown = problems.slice(0, PROBLEMS_SHOWN).join("; ");
  return problems.length > PROBLEMS_SHOWN ? `${shown} (+${problems.length - PROBLEMS_SHOWN} more)` : shown;
}

/** `hex` without 0x, lower case. */
function bare(hex: string): string {
  return (hex.startsWith("0x") ? hex.slice(2) : hex).toLowerCase();
}

tidepoolTask("operator-add", "Admits a node operator (signer: an OPERATOR_MANAGER_ROLE holder); prints its id")
  .addParam("name", "The operator's name, 1 to 64 bytes")
  .addParam("rewardAddress", "The operator's address: uploads keys, manages the bond, receives rewards")
  .addOptionalParam("from", FROM_HELP)
  .addOptionalParam("pool", POOL_HELP)
  .setAction(
    async (args: { name: string; rewardAddress: string; from?: string; pool?: string }, hre): Promise<void> => {
      const name = typeof args.name === "string" ? args.name : "";
      const bytes = Buffer.byteLength(name, "utf8");
      if (bytes === 0 || bytes > 64) fail(`--name must be 1 to 64 bytes, got ${bytes}`);
      const rewardAddress = parseAddress(args.rewardAddress, "reward-address");
      const t = await loadTidepool(hre, args.pool);
      const signer = await signerFrom(hre, args.from);
      const registry = t.registry.connect(signer);
      const registryAddress = await registry.getAddress();
      if (!(await isOperatorManager(t, signer.address))) {
        fail(
          `${signer.address} does not hold OPERATOR_MANAGER_ROLE on the registry ${registryAddress}` +
            ` (where governance is a timelock, schedule addNodeOperator through it)`,
        );
      }
      const id = await attempt(hre, () => registry.addNodeOperator.staticCall(name, rewardAddress));
      const receipt = await attempt(hre, async () => (await registry.addNodeOperator(name, rewardAddress)).wait());
      console.log(`Added operator ${id}: "${name}", reward address ${rewardAddress}`);
      console.log(`tx ${receipt?.hash}`);
    },
  );

interface KeysArgs {
  operator: string;
  file?: string;
  batch?: string;
  vet: boolean;
  remove: boolean;
  from?: string;
  count?: string;
  pool?: string;
}

tidepoolTask(
  "operator-keys",
  "Validates a staking-deposit-cli deposit_data file and uploads its keys for an operator; or --remove undeposited keys",
)
  .addParam("operator", "The operator's id")
  .addOptionalParam("file", "A deposit_data-*.json file (staking-deposit-cli format) to upload")
  .addOptionalParam("batch", `Keys per transaction, 1 to ${MAX_KEYS_PER_CALL} (default ${DEFAULT_KEYS_BATCH})`)
  .addFlag("vet", "Also vet the keys (the reward address must hold OPERATOR_MANAGER_ROLE too)")
  .addFlag("remove", "Remove keys instead (--from, --count): undeposited keys only; the last keys fill the gap")
  .addOptionalParam("from", "With --remove: the index of the first key to remove")
  .addOptionalParam("count", `With --remove: how many keys, 1 to ${MAX_KEYS_PER_CALL}`)
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: KeysArgs, hre): Promise<void> => {
    const id = parseOperatorId(args.operator);
    if (args.remove) return removeKeys(hre, id, args);
    if (args.from !== undefined || args.count !== undefined) fail("--from and --count go with --remove");
    if (args.file === undefined)
      fail("give --file <deposit data> to upload keys, or --remove --from <index> --count <n>");
    return uploadKeys(hre, id, { ...args, file: args.file });
  });

/** operator-keys --remove: removes `--count` keys from `--from` (undeposited keys only). */
async function removeKeys(hre: HardhatRuntimeEnvironment, id: bigint, args: KeysArgs): Promise<void> {
  if (args.file !== undefined || args.vet || args.batch !== undefined) {
    fail("--remove takes --from and --count only (not --file, --batch or --vet)");
  }
  if (args.from === undefined || args.count === undefined) fail("--remove needs --from <index> and --count <n>");
  const from = BigInt(parseCount(args.from, "from"));
  const count = BigInt(parseBounded(args.count, "count", MAX_KEYS_PER_CALL));
  const t = await loadTidepool(hre, args.pool);
  const operator = await operatorOrFail(t, id);
  const { totalKeys: total, depositedKeys: deposited, vettedKeys: vetted } = operator;
  if (total === 0n) fail(`operator ${id} has no keys to remove`);
  if (from + count > total) {
    fail(
      `operator ${id} has ${plural(total, "key")} (${keyRange(0n, total)}): --from ${from} --count ${count} reaches past the last`,
    );
  }
  if (from < deposited) {
    fail(
      `--from ${from}: operator ${id}'s ${deposited === 1n ? "key #0 is" : `keys ${keyRange(0n, deposited)} are`} deposited` +
        ` (validators run on them) and cannot be removed: only keys from #${deposited} on can`,
    );
  }
  const signer = await rewardSigner(hre, id, operator.rewardAddress, "remove its keys");
  const registry = t.registry.connect(signer);
  const receipt = await attempt(hre, async () => {
    await registry.removeSigningKeys.staticCall(id, from, count); // a revert costs no gas
    return (await registry.removeSigningKeys(id, from, count)).wait();
  });
  const removed = eventsNamed(receipt, registry.interface, "SigningKeyRemoved")
    .map((e) => ({ index: e.args.keyIndex as bigint, pubkey: String(e.args.pubkey) }))
    .sort((a, b) => (a.index < b.index ? -1 : 1));
  for (const r of removed) console.log(`removed key #${r.index} ${r.pubkey}`);
  const after = await t.registry.getNodeOperator(id);
  // The registry fills the gap with the last keys, `moved` of them, which land from --from on (the
  // keys in between keep their indices); the keys from --from on that were vetted are vetted no more.
  const beyond = total - from - count;
  const moved = beyond < count ? beyond : count;
  const unvetted = vetted > from && after.totalKeys > from;
  console.log(
    `Operator ${id} ("${operator.name}") now has ${plural(after.totalKeys, "key")}, ${after.vettedKeys} vetted` +
      (moved > 0n ? `; its last ${plural(moved, "key")} moved to ${keyRange(from, moved)}` : "") +
      (unvetted ? `; keys from #${from} on need vetting again (operator-vet)` : "") +
      ` (tx ${receipt?.hash})`,
  );
}

/** operator-keys --file: validates the deposit data and uploads it. */
async function uploadKeys(
  hre: HardhatRuntimeEnvironment,
  id: bigint,
  args: KeysArgs & { file: string },
): Promise<void> {
  const batch = args.batch === undefined ? DEFAULT_KEYS_BATCH : parseBounded(args.batch, "batch", MAX_KEYS_PER_CALL);
  let text: string;
  try {
    text = fs.readFileSync(args.file, "utf8");
  } catch (error) {
    return fail(`cannot read --file ${args.file}: ${(error as Error).message.split("\n")[0]}`);
  }
  // Loaded here, not at the top: the BLS libraries are only needed by this task.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const keys = require("../offchain/keys/keystore") as typeof import("../offchain/keys/keystore");
  let entries: DepositDataJson[];
  try {
    entries = keys.parseDepositDataFile(text);
  } catch (error) {
    return fail(`--file ${args.file} is not staking-deposit-cli deposit data: ${(error as Error).message}`);
  }

  const t = await loadTidepool(hre, args.pool);
  const chainId = (await hre.ethers.provider.getNetwork()).chainId;
  const network = keyNetworkForChain(chainId);
  if (network === undefined) {
    fail(`chain ${chainId} has no known genesis fork version to check deposit signatures against`);
  }
  const credentials = await t.pool.withdrawalCredentials();
  const problems = keys.validateDepositData(entries, network, credentials);
  if (problems.length > 0) {
    fail(
      `--file ${args.file} is not valid deposit data for ${network} and this pool (withdrawal credentials ${credentials}): ${summarize(problems)}`,
    );
  }

  const operator = await operatorOrFail(t, id);
  if (!operator.active) fail(`operator ${id} is inactive: it cannot take keys`);
  const signer = await accountFor(hre, operator.rewardAddress);
  if (signer === undefined) {
    fail(
      `operator ${id}'s reward address ${operator.rewardAddress} is not one of network "${hre.network.name}"'s accounts: it must sign the upload`,
    );
  }
  const manager = await isOperatorManager(t, signer.address);
  if (args.vet && !manager) {
    fail(`--vet: ${signer.address} does not hold OPERATOR_MANAGER_ROLE; upload without --vet and have governance vet`);
  }

  const registry = t.registry.connect(signer);
  const interfaces = [registry.interface];
  const batches = [];
  for (let from = 0; from < entries.length; from += batch) {
    const slice = entries.slice(from, from + batch);
    batches.push({
      count: slice.length,
      pubkeys: "0x" + slice.map((e) => bare(e.pubkey)).join(""),
      signatures: "0x" + slice.map((e) => bare(e.signature)).join(""),
    });
  }
  // Every batch is tried first, so that a key the registry already holds (it accepts a pubkey
  // once, ever) stops the upload before any transaction.
  for (const b of batches) {
    await attempt(hre, async () => {
      try {
        await registry.addSigningKeys.staticCall(id, b.count, b.pubkeys, b.signatures);
      } catch (error) {
        const duplicate = /^DuplicatePubkey\((0x[0-9a-fA-F]+)\)$/.exec(decodeRevert(error, interfaces) ?? "");
        if (duplicate) {
          const index = entries.findIndex((e) => bare(e.pubkey) === bare(duplicate[1]));
          fail(`entry ${index} of --file ${args.file}: pubkey ${duplicate[1]} is already in the registry`);
        }
        throw error;
      }
    });
  }

  let uploaded = 0;
  for (const b of batches) {
    const receipt = await attempt(hre, async () =>
      (await registry.addSigningKeys(id, b.count, b.pubkeys, b.signatures)).wait(),
    );
    uploaded += b.count;
    console.log(`uploaded ${uploaded}/${entries.length} keys (tx ${receipt?.hash})`);
  }
  // The keys and their nonce as of one block: the vetting call names that nonce, so it vets
  // exactly these keys and reverts (OperatorKeysChanged) if the operator changes them before it.
  const blockTag = await hre.ethers.provider.getBlockNumber();
  const [{ totalKeys: total, vettedKeys }, keysNonce] = await Promise.all([
    t.registry.getNodeOperator(id, { blockTag }),
    t.registry.operatorKeysNonce(id, { blockTag }),
  ]);
  console.log(`Operator ${id} ("${operator.name}") now has ${total} keys, ${vettedKeys} vetted.`);

  if (args.vet) {
    const receipt = await attempt(hre, async () => (await registry.setVettedKeys(id, total, keysNonce)).wait());
    const vetted = (await t.registry.getNodeOperator(id)).vettedKeys;
    console.log(`Vetted: operator ${id} has ${vetted} vetted keys (tx ${receipt?.hash})`);
  } else {
    const calldata = t.registry.interface.encodeFunctionData("setVettedKeys", [id, total, keysNonce]);
    console.log(
      `Next: governance (OPERATOR_MANAGER_ROLE${manager ? ", which you hold" : ""}) reviews keys ${vettedKeys}–${total - 1n}` +
        ` of operator ${id} and vets them with setVettedKeys(${id}, ${total}, ${keysNonce}) on the registry` +
        ` ${await t.registry.getAddress()} (calldata ${calldata}); it reverts if the operator's keys change first`,
    );
  }
}

/** "8 ETH; 6 ETH locked for 3 active validators (2 ETH each); 2 ETH free to withdraw" */
function describeBond(b: OperatorBond): string {
  return (
    `${eth(b.totalWei)}; ${eth(b.lockedWei)} locked for ${plural(b.activeValidators, "active validator")}` +
    ` (${eth(b.bondPerValidatorWei)} each); ${ethAtMost(b.freeWei)} free to withdraw`
  );
}

interface BondArgs {
  operator: string;
  amount?: string;
  withdraw?: string;
  from?: string;
  pool?: string;
}

tidepoolTask(
  "operator-bond",
  "Shows an operator's bond (total, locked, free); --amount posts bond (anyone may), --withdraw takes free bond back",
)
  .addParam("operator", "The operator's id")
  .addOptionalParam("amount", "ETH to post, e.g. 4")
  .addOptionalParam(
    "withdraw",
    "ETH of free bond to withdraw (as tpETH, to the reward address, which signs), e.g. 1.5, or all",
  )
  .addOptionalParam("from", `${FROM_HELP} (with --amount)`)
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: BondArgs, hre): Promise<void> => {
    const id = parseOperatorId(args.operator);
    if (args.amount !== undefined && args.withdraw !== undefined) {
      fail("give --amount (to post bond) or --withdraw (to take free bond back), not both");
    }
    if (args.withdraw !== undefined) return withdrawBond(hre, id, args.withdraw, args);
    if (args.amount === undefined) {
      if (args.from !== undefined) fail("--from goes with --amount (who posts the bond)");
      const t = await loadTidepool(hre, args.pool);
      const operator = await operatorOrFail(t, id);
      const bond = await readOperatorBond(t, id);
      console.log(`Operator ${id} ("${operator.name}") bond: ${describeBond(bond)}`);
      return;
    }
    const amount = parseAmount(args.amount);
    const t = await loadTidepool(hre, args.pool);
    await operatorOrFail(t, id);
    const signer = await signerFrom(hre, args.from);
    const registry = t.registry.connect(signer);
    const receipt = await attempt(hre, async () => {
      await registry.depositBond.staticCall(id, { value: amount }); // a revert costs no gas
      return (await registry.depositBond(id, { value: amount })).wait();
    });
    const after = await t.registry.getNodeOperator(id);
    const bond = await t.pool.getPooledEthByShares(after.bondShares);
    console.log(
      `Bond for operator ${id} from ${signer.address}: +${eth(amount, EXACT)};` +
        ` now ${eth(bond)}, covering ${after.bondCoveredValidators} validators`,
    );
    console.log(`tx ${receipt?.hash}`);
  });

/** operator-bond --withdraw: free bond back to the reward address, as tpETH (pool shares). */
async function withdrawBond(hre: HardhatRuntimeEnvironment, id: bigint, text: string, args: BondArgs): Promise<void> {
  if (args.from !== undefined) fail("--withdraw is signed by the operator's reward address: leave --from out");
  const amount = text.trim().toLowerCase() === "all" ? "all" : parseAmount(text, "withdraw");
  const t = await loadTidepool(hre, args.pool);
  const operator = await operatorOrFail(t, id);
  const signer = await rewardSigner(hre, id, operator.rewardAddress, "withdraw its bond");
  const blockTag = await hre.ethers.provider.getBlockNumber();
  const bond = await readOperatorBond(t, id, blockTag);
  const backs = `${eth(bond.lockedWei)} backs its ${plural(bond.activeValidators, "active validator")}`;
  const plan = await bondWithdrawalShares(t.pool, bond, amount);
  if (!plan.ok) {
    if (amount === "all") fail(`operator ${id} has no free bond to withdraw: ${backs} (bond ${eth(bond.totalWei)})`);
    if (plan.reason === "below-one-share") fail(`--withdraw ${eth(amount, EXACT)} is less than one pool share`);
    fail(
      `--withdraw ${eth(amount, EXACT)} is more than operator ${id}'s free bond of ${ethAtMost(bond.freeWei)} (${backs})`,
    );
  }
  console.log(`Operator ${id} ("${operator.name}") bond: ${describeBond(bond)}`);
  const registry = t.registry.connect(signer);
  const receipt = await attempt(hre, async () => {
    await registry.withdrawBond.staticCall(id, plan.shares, signer.address); // a revert costs no gas
    return (await registry.withdrawBond(id, plan.shares, signer.address)).wait();
  });
  const [event] = eventsNamed(receipt, registry.interface, "BondWithdrawn");
  const paid = event === undefined ? 0n : (event.args.amount as bigint);
  const after = await readOperatorBond(t, id);
  console.log(
    `Withdrew ${eth(paid, EXACT, "tpETH")} of bond (${plan.shares} shares) to ${signer.address};` +
      ` free bond now ${ethAtMost(after.freeWei)} (tx ${receipt?.hash})`,
  );
}

tidepoolTask("operator-rewards", "Shows an operator's pending fee rewards; --claim claims them (reward address signs)")
  .addParam("operator", "The operator's id")
  .addFlag("claim", "Claim them, as tpETH to the reward address (which must be one of this network's accounts)")
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: { operator: string; claim: boolean; pool?: string }, hre): Promise<void> => {
    const id = parseOperatorId(args.operator);
    const t = await loadTidepool(hre, args.pool);
    const operator = await operatorOrFail(t, id);
    const shares = await t.registry.pendingOperatorRewards(id);
    const value = await t.pool.getPooledEthByShares(shares);
    if (!args.claim) {
      console.log(
        `Operator ${id} ("${operator.name}"): ${eth(value, 6, "tpETH")} of fee rewards pending (worth ${eth(value)};` +
          ` ${shares} shares), claimable by its reward address ${operator.rewardAddress}`,
      );
      return;
    }
    const signer = await rewardSigner(hre, id, operator.rewardAddress, "claim its rewards");
    if (shares === 0n) {
      console.log(`Nothing to claim: operator ${id} has no pending fee rewards.`);
      return;
    }
    const registry = t.registry.connect(signer);
    const receipt = await attempt(hre, async () => {
      await registry.claimOperatorRewards.staticCall(id); // a revert costs no gas
      return (await registry.claimOperatorRewards(id)).wait();
    });
    const [event] = eventsNamed(receipt, registry.interface, "OperatorRewardsClaimed");
    const claimed = event === undefined ? 0n : (event.args.shares as bigint);
    const amount = event === undefined ? 0n : (event.args.amount as bigint);
    console.log(
      `Claimed ${eth(amount, 6, "tpETH")} (worth ${eth(amount)}; ${claimed} shares) of operator ${id}'s fee rewards` +
        ` to ${signer.address} (tx ${receipt?.hash})`,
    );
  });

/** `--beacon`, else $BEACON_URL, else the local beacon chain's API. */
function beaconUrl(value: string | undefined): string {
  const url = value ?? process.env.BEACON_URL;
  return parseHttpUrl(url === undefined || url === "" ? DEFAULT_BEACON_URL : url, "beacon");
}

/** " (exit epoch 123)" for a validator that has started to exit, else "". */
function exitEpochNote(exit: OperatorExit): string {
  const v = exit.validator;
  return v !== undefined && (exit.status === "exiting" || exit.status === "exited")
    ? ` (exit epoch ${v.exitEpoch})`
    : "";
}

tidepoolTask(
  "operator-exits",
  "Lists the exit requests the oracle's reports made of an operator: key, pubkey, when, deadline, status",
)
  .addParam("operator", "The operator's id")
  .addOptionalParam("fromBlock", "Block to read the oracle's reports from (its deployment block; default 0)")
  .addOptionalParam(
    "beacon",
    `Beacon API base URL, for activation epochs (default: $BEACON_URL, else ${DEFAULT_BEACON_URL})`,
  )
  .addOptionalParam("pool", POOL_HELP)
  .setAction(
    async (args: { operator: string; fromBlock?: string; beacon?: string; pool?: string }, hre): Promise<void> => {
      const id = parseOperatorId(args.operator);
      const fromBlock = args.fromBlock === undefined ? undefined : parseCount(args.fromBlock, "from-block");
      const url = beaconUrl(args.beacon);
      // Loaded before the first RPC call (seconds under ts-node; see tasks/proofs.ts).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exitsModule =
        require("../offchain/operators/exit-requests") as typeof import("../offchain/operators/exit-requests");
      const t = await loadTidepool(hre, args.pool);
      const operator = await operatorOrFail(t, id);
      const ctx = { provider: hre.ethers.provider, oracle: t.oracle, facts: t.facts, beaconUrl: url, fromBlock };
      let read: OperatorExits;
      try {
        read = await attempt(hre, () => exitsModule.readOperatorExits(ctx, id));
      } catch (error) {
        const message = (error as Error).message;
        if (/Beacon API/.test(message))
          fail(`${message}: pass --beacon <url> (or set BEACON_URL) to a beacon node's API`);
        throw error;
      }
      const blocks = `blocks ${read.fromBlock}–${read.toBlock}`;
      if (read.exits.length === 0) {
        console.log(`Operator ${id} ("${operator.name}") has no exit requests (${blocks} read).`);
        return;
      }
      const rows = read.exits.map((x) => [
        x.keyIndex.toString(),
        x.pubkey,
        `${utcTime(x.requestedAt)} (${relativeTime(x.requestedAt, read.now)})`,
        x.deadline === undefined
          ? "none while the validator is not active"
          : `${utcTime(x.deadline)} (${relativeTime(x.deadline, read.now)})`,
        x.status + exitEpochNote(x),
      ]);
      console.log(`Operator ${id} ("${operator.name}"): ${plural(read.exits.length, "exit request")} (${blocks})`);
      console.log(markdownTable(["key", "pubkey", "requested", "deadline", "status"], rows));
      console.log(
        `Exit each requested validator before its deadline (${duration(read.deadlineSeconds)} after the request, or after` +
          ` the validator's activation + 256 epochs if later). After it, anyone may prove the exit late: the validator is` +
          ` forced out through EIP-7002 (the prover's fee repaid from the bond), ${eth(read.penaltyWei)} of the bond goes to the` +
          ` insurance fund, and the operator's deposits are held until the exit is proven.`,
      );
    },
  );

interface VetArgs {
  operator: string;
  keys: string;
  beacon?: string;
  yes: boolean;
  from?: string;
  pool?: string;
}

tidepoolTask(
  "operator-vet",
  "Governance: checks an operator's next unvetted keys (signatures, repeats, beacon chain) and vets them (only with --yes)",
)
  .addParam("operator", "The operator's id")
  .addParam("keys", "How many of its unvetted keys to check and vet (from its first unvetted key), or all")
  .addOptionalParam(
    "beacon",
    "Beacon API base URL: also refuse keys already on the beacon chain with other credentials",
  )
  .addFlag("yes", "Send setVettedKeys (without it: print the call it would send)")
  .addOptionalParam(
    "from",
    "With --yes, who signs: an account index holding OPERATOR_MANAGER_ROLE (default: the first that does)",
  )
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: VetArgs, hre): Promise<void> => {
    const id = parseOperatorId(args.operator);
    const text = typeof args.keys === "string" ? args.keys.trim() : "";
    const count = text.toLowerCase() === "all" ? "all" : BigInt(parseCount(text, "keys", 1));
    const beacon = args.beacon === undefined ? undefined : parseHttpUrl(args.beacon, "beacon");
    if (!args.yes && args.from !== undefined) fail("--from names who signs: it goes with --yes");
    // The BLS library, loaded before the first RPC call.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const vet = require("../offchain/operators/vet") as typeof import("../offchain/operators/vet");
    const t = await loadTidepool(hre, args.pool);
    const operator = await operatorOrFail(t, id);
    const chainId = (await hre.ethers.provider.getNetwork()).chainId;
    const network = keyNetworkForChain(chainId);
    if (network === undefined)
      fail(`chain ${chainId} has no known genesis fork version to check deposit signatures against`);
    const manager = args.yes
      ? await roleSigner(hre, "from", args.from, "a holder of OPERATOR_MANAGER_ROLE", (a) => isOperatorManager(t, a))
      : undefined;
    const credentials = await t.pool.withdrawalCredentials();
    const blockTag = await hre.ethers.provider.getBlockNumber();
    const check = await attempt(hre, () =>
      vet.checkKeysToVet(
        { registry: t.registry, withdrawalCredentials: credentials, network, beaconUrl: beacon },
        id,
        count,
        blockTag,
      ),
    );
    const n = BigInt(check.keys.length);
    if (check.problems.length > 0) {
      fail(
        `keys ${keyRange(check.from, n)} of operator ${id} cannot be vetted: ${summarize(check.problems)}; nothing sent`,
      );
    }
    console.log(`Operator ${id} ("${operator.name}"): keys ${keyRange(check.from, n)} checked at block ${blockTag}:`);
    console.log(
      `  deposit signatures: ${n === 1n ? "it verifies" : `all ${n} verify`} for ${network} and the pool's withdrawal credentials ${credentials}`,
    );
    console.log("  pubkeys: no repeats");
    console.log(
      check.onBeacon === undefined
        ? "  beacon chain: not checked (give --beacon <url> to check for validators with other credentials)"
        : check.onBeacon === 0
          ? "  beacon chain: no validator has any of these keys"
          : `  beacon chain: ${plural(check.onBeacon, "key")} already ${check.onBeacon === 1 ? "has a validator" : "have validators"} with the pool's withdrawal credentials, none with others`,
    );
    const registryAddress = await t.registry.getAddress();
    const call = `setVettedKeys(${id}, ${check.vettedKeys}, ${check.keysNonce})`;
    if (manager === undefined) {
      const calldata = t.registry.interface.encodeFunctionData("setVettedKeys", [
        id,
        check.vettedKeys,
        check.keysNonce,
      ]);
      console.log(
        `Would send ${call} to the registry ${registryAddress} (calldata ${calldata}); run again with --yes to send it` +
          ` (where governance is a timelock, schedule this call through it); it reverts if the operator's keys change first`,
      );
      return;
    }
    const registry = t.registry.connect(manager);
    const receipt = await attempt(hre, async () => {
      await registry.setVettedKeys.staticCall(id, check.vettedKeys, check.keysNonce); // a revert costs no gas
      return (await registry.setVettedKeys(id, check.vettedKeys, check.keysNonce)).wait();
    });
    const vetted = (await t.registry.getNodeOperator(id)).vettedKeys;
    console.log(
      `Vetted: ${call} from ${manager.address}; operator ${id} has ${vetted} vetted keys (tx ${receipt?.hash})`,
    );
  });

tidepoolTask("operators", "Lists the node operators: keys, bond, pending rewards")
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: { pool?: string }, hre): Promise<void> => {
    const t = await loadTidepool(hre, args.pool);
    const { registry, pool } = t;
    const count = await registry.getNodeOperatorsCount();
    const bondPerValidator = await registry.bondPerValidator();
    if (count === 0n) {
      console.log(`No operators yet (registry ${await registry.getAddress()}).`);
      return;
    }
    const rows: string[][] = [];
    for (let id = 0n; id < count; id++) {
      const [op, pending] = await Promise.all([registry.getNodeOperator(id), registry.pendingOperatorRewards(id)]);
      const [bond, rewards] = await Promise.all([
        pool.getPooledEthByShares(op.bondShares),
        pool.getPooledEthByShares(pending),
      ]);
      rows.push([
        id.toString(),
        op.name,
        op.active ? "yes" : "no",
        `${op.totalKeys}/${op.vettedKeys}/${op.depositedKeys}/${op.exitedKeys}`,
        eth(bond),
        op.bondCoveredValidators.toString(),
        eth(rewards, 6, "tpETH"),
        op.rewardAddress,
      ]);
    }
    console.log(
      markdownTable(
        [
          "id",
          "name",
          "active",
          "keys total/vetted/deposited/exited",
          "bond",
          "bond covers",
          "pending rewards",
          "reward address",
        ],
        rows,
      ),
    );
    console.log(
      `${count} operator${count === 1n ? "" : "s"}, ${await registry.totalActiveValidators()} active validators; bond per validator ${eth(bondPerValidator)}`,
    );
  });
