/**
 * What governance checks before it vets an operator's keys (docs/operators.md "Vetting keys"): each
 * key's deposit signature verifies for the network's genesis fork version and the pool's withdrawal
 * credentials (the deposit the pool will make), no pubkey repeats, and, given a Beacon API, no key
 * already has a validator with other withdrawal credentials (a front-run deposit: the pool's 32 ETH
 * would go to the front-runner's credentials). The registry refuses a pubkey it held before at
 * upload, so a repeat here means a registry fault; the check is cheap.
 */
import type { NodeOperatorRegistry } from "../../typechain-types";
import { GENESIS_FORK_VERSIONS, verifyDepositSignature } from "../keys/bls";
import { DEPOSIT_AMOUNT_GWEI } from "../keys/deposit";
import { validatorsByPubkey } from "./beacon";

/** The keys a vetting would add, what was checked, and what is wrong with them. */
export interface VetCheck {
  /** The first key to vet (the operator's vetted count now). */
  from: bigint;
  /** The vetted count to set: `from` + the keys checked. */
  vettedKeys: bigint;
  /** The operator's keys nonce at the block the keys were read: setVettedKeys names it. */
  keysNonce: bigint;
  /** The block the keys and the nonce were read at. */
  blockTag: number;
  /** The keys checked, lower-case pubkeys. */
  keys: { keyIndex: bigint; pubkey: string }[];
  /** Validators found on the beacon chain for the keys (all with the pool's credentials); undefined: not checked. */
  onBeacon: number | undefined;
  /** One phrase per problem, "key #5: …". */
  problems: string[];
}

export interface VetContext {
  registry: NodeOperatorRegistry;
  /** The pool's withdrawal credentials (0x01 ‖ 11 zero bytes ‖ the withdrawal vault). */
  withdrawalCredentials: string;
  /** The genesis fork version's network (mainnet, hoodi, …) deposits are signed for. */
  network: string;
  /** A Beacon API to look the keys up in, if any. */
  beaconUrl?: string;
}

/**
 * Checks operator `operatorId`'s next `count` unvetted keys (all of them with "all"), as of block
 * `blockTag`. Throws a sentence when there are none or fewer than `count`.
 */
export async function checkKeysToVet(
  ctx: VetContext,
  operatorId: bigint,
  count: bigint | "all",
  blockTag: number,
): Promise<VetCheck> {
  const forkVersion = GENESIS_FORK_VERSIONS[ctx.network];
  if (forkVersion === undefined) throw new Error(`no genesis fork version known for ${ctx.network}`);
  const [op, keysNonce] = await Promise.all([
    ctx.registry.getNodeOperator(operatorId, { blockTag }),
    ctx.registry.operatorKeysNonce(operatorId, { blockTag }),
  ]);
  const unvetted = op.totalKeys - op.vettedKeys;
  if (unvetted === 0n) {
    throw new Error(`operator ${operatorId} has no unvetted keys (${op.totalKeys} keys, all vetted)`);
  }
  const n = count === "all" ? unvetted : count;
  if (n > unvetted) {
    throw new Error(
      `operator ${operatorId} has ${unvetted} unvetted key${unvetted === 1n ? "" : "s"} (#${op.vettedKeys}–#${op.totalKeys - 1n}), fewer than the ${n} asked for`,
    );
  }
  const credentials = ctx.withdrawalCredentials.toLowerCase();
  const keys: VetCheck["keys"] = [];
  const problems: string[] = [];
  const seen = new Map<string, bigint>();
  for (let keyIndex = op.vettedKeys; keyIndex < op.vettedKeys + n; keyIndex++) {
    const [pubkeyHex, signature] = await ctx.registry.getSigningKey(operatorId, keyIndex, { blockTag });
    const pubkey = pubkeyHex.toLowerCase();
    keys.push({ keyIndex, pubkey });
    const earlier = seen.get(pubkey);
    if (earlier !== undefined) problems.push(`key #${keyIndex}: same pubkey as key #${earlier}`);
    else seen.set(pubkey, keyIndex);
    const deposit = { pubkey, withdrawalCredentials: credentials, amountGwei: DEPOSIT_AMOUNT_GWEI, signature };
    if (!verifyDepositSignature(deposit, forkVersion)) {
      problems.push(
        `key #${keyIndex}: its deposit signature does not verify for ${ctx.network} and the pool's withdrawal credentials`,
      );
    }
  }
  let onBeacon: number | undefined;
  if (ctx.beaconUrl !== undefined) {
    const found = await validatorsByPubkey(
      ctx.beaconUrl,
      keys.map((k) => k.pubkey),
    );
    onBeacon = 0;
    for (const k of keys) {
      const v = found.get(k.pubkey);
      if (v === undefined) continue;
      if (v.withdrawalCredentials.toLowerCase() === credentials) onBeacon++;
      else {
        problems.push(
          `key #${k.keyIndex}: validator ${v.index} is already on the beacon chain with other withdrawal credentials ${v.withdrawalCredentials}`,
        );
      }
    }
  }
  return { from: op.vettedKeys, vettedKeys: op.vettedKeys + n, keysNonce, blockTag, keys, onBeacon, problems };
}
