/**
 * Hardhat tasks for node operators and the governance that admits them (docs/protocol.md §6, §8):
 * operator-add, operator-keys (validated deposit data, uploaded in batches), operator-bond and
 * operators (list). Each takes `--pool <address>`; without it the pool comes from the Ignition
 * deployment of the connected chain.
 *
 * Loaded by hardhat.config.ts before compilation: no top-level imports of typechain-types,
 * deploy/protocol.ts or `hardhat`, and none of the BLS libraries either (offchain/keys/keystore.ts is
 * loaded inside the one action that needs it, so that every other Hardhat command stays quick).
 */
import fs from "node:fs";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { eth, markdownTable } from "../sdk/src/format";
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
  signerFrom,
  tidepoolTask,
} from "./lib";

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

tidepoolTask("operator-keys", "Validates a staking-deposit-cli deposit_data file and uploads its keys for an operator")
  .addParam("operator", "The operator's id")
  .addParam("file", "A deposit_data-*.json file (staking-deposit-cli format)")
  .addOptionalParam("batch", `Keys per transaction, 1 to ${MAX_KEYS_PER_CALL} (default ${DEFAULT_KEYS_BATCH})`)
  .addFlag("vet", "Also vet the keys (the reward address must hold OPERATOR_MANAGER_ROLE too)")
  .addOptionalParam("pool", POOL_HELP)
  .setAction(
    async (
      args: { operator: string; file: string; batch?: string; vet: boolean; pool?: string },
      hre,
    ): Promise<void> => {
      const id = parseOperatorId(args.operator);
      const batch =
        args.batch === undefined ? DEFAULT_KEYS_BATCH : parseBounded(args.batch, "batch", MAX_KEYS_PER_CALL);
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
        fail(
          `--vet: ${signer.address} does not hold OPERATOR_MANAGER_ROLE; upload without --vet and have governance vet`,
        );
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
    },
  );

tidepoolTask("operator-bond", "Posts bond for an operator (depositBond); anyone may post")
  .addParam("operator", "The operator's id")
  .addParam("amount", "ETH to post, e.g. 4")
  .addOptionalParam("from", FROM_HELP)
  .addOptionalParam("pool", POOL_HELP)
  .setAction(async (args: { operator: string; amount: string; from?: string; pool?: string }, hre): Promise<void> => {
    const id = parseOperatorId(args.operator);
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
