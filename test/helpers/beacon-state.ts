/**
 * A mainnet-shaped beacon state, built independently of offchain/prover: Lodestar's Electra
 * BeaconState (or another container standing in for a future fork) whose validator and balance
 * lists hold `validatorCount` records (≥ 2^20), all alike but for ours at random indices. The lists
 * are trees that share one node per level (persistent-merkle-tree's `subtreeFillToDepth`), so a
 * state of a million validators builds and hashes in well under a second.
 */
import { getBytes, hexlify, keccak256, toUtf8Bytes } from "ethers";
import type { Node } from "@chainsafe/persistent-merkle-tree" with { "resolution-mode": "import" };

export const GWEI_32_ETH = 32_000_000_000n;
export const FAR_FUTURE_EPOCH = 2n ** 64n - 1n;

/** One of our validators in the state, with the fields it was given. */
export interface PlantedValidator {
  index: bigint;
  pubkey: string;
  withdrawalCredentials: string;
  effectiveBalanceGwei: bigint;
  slashed: boolean;
  activationEligibilityEpoch: bigint;
  activationEpoch: bigint;
  exitEpoch: bigint;
  withdrawableEpoch: bigint;
  balanceGwei: bigint;
}

/** A deterministic stream of 32-byte values. */
function randomBytes(seed: string, i: number): Uint8Array {
  return getBytes(keccak256(toUtf8Bytes(`${seed}/${i}`)));
}

/** A container type like Electra's BeaconState with `extraBefore` fields inserted before `validators`
 * and `extraAfter` appended: a stand-in for a fork that moves the lists. */
export async function shiftedStateType(extraBefore: number, extraAfter: number) {
  const { ssz } = await import("@lodestar/types");
  const { ContainerType } = await import("@chainsafe/ssz");
  const fields: Record<string, unknown> = {};
  for (const [name, type] of Object.entries(ssz.electra.BeaconState.fields)) {
    if (name === "validators") for (let i = 0; i < extraBefore; i++) fields[`before${i}`] = ssz.UintNum64;
    fields[name] = type;
  }
  for (let i = 0; i < extraAfter; i++) fields[`after${i}`] = ssz.UintNum64;
  return new ContainerType(fields as typeof ssz.electra.BeaconState.fields);
}

/**
 * Builds the state tree: `validatorCount` filler validators (active, 32 ETH, 0x01 credentials of
 * another protocol) and ours at `ours` random indices with varied fields (or those `fields` gives).
 * `stateType` defaults to Electra's BeaconState.
 */
export async function mainnetShapedState(opts: {
  validatorCount: number;
  ours: number;
  seed: string;
  slot: number;
  stateType?: Awaited<ReturnType<typeof shiftedStateType>>;
  /** Fields of our `j`-th validator that replace the varied defaults (pubkey, credentials, epochs…). */
  fields?: (j: number) => Partial<Omit<PlantedValidator, "index">>;
}): Promise<{ state: Node; planted: PlantedValidator[] }> {
  const { ssz } = await import("@lodestar/types");
  const tree = await import("@chainsafe/persistent-merkle-tree");
  const stateType = opts.stateType ?? ssz.electra.BeaconState;
  const Validator = ssz.phase0.Validator;
  const validatorsType = ssz.electra.BeaconState.fields.validators;
  const balancesType = ssz.electra.BeaconState.fields.balances;
  const limitDepth = Math.log2(validatorsType.limit);
  const n = opts.validatorCount;

  const filler = Validator.value_toTree({
    pubkey: new Uint8Array(48).fill(0xaa),
    withdrawalCredentials: getBytes("0x010000000000000000000000" + "bb".repeat(20)),
    effectiveBalance: Number(GWEI_32_ETH),
    slashed: false,
    activationEligibilityEpoch: 10,
    activationEpoch: 20,
    exitEpoch: Infinity,
    withdrawableEpoch: Infinity,
  });
  /** `count` copies of `bottom` from the left of a tree of depth `depth`, the rest empty: O(depth) nodes. */
  const fill = (bottom: Node, depth: number, count: number): Node => {
    if (count === 0) return tree.zeroNode(depth);
    if (count === 2 ** depth) return tree.subtreeFillToDepth(bottom, depth);
    const half = 2 ** (depth - 1);
    return new tree.BranchNode(
      fill(bottom, depth - 1, Math.min(count, half)),
      fill(bottom, depth - 1, Math.max(0, count - half)),
    );
  };
  let validatorsData = fill(filler, limitDepth, n);
  const fillerChunk = new Uint8Array(32);
  for (let lane = 0; lane < 4; lane++) new DataView(fillerChunk.buffer).setBigUint64(lane * 8, GWEI_32_ETH + 17n, true);
  if (n % 4 !== 0) throw new Error("validatorCount must be a multiple of 4 (whole balance chunks)");
  let balancesData = fill(tree.LeafNode.fromRoot(fillerChunk), limitDepth - 2, n / 4);

  const planted: PlantedValidator[] = [];
  const used = new Set<bigint>();
  for (let k = 0; planted.length < opts.ours; k++) {
    const r = randomBytes(opts.seed, k);
    const index = BigInt(hexlify(r.slice(0, 8))) % BigInt(n);
    if (used.has(index)) continue;
    used.add(index);
    const j = planted.length;
    const exited = j % 3 === 1;
    const v: PlantedValidator = {
      index,
      pubkey: hexlify(new Uint8Array([...r, ...randomBytes(opts.seed + "/pk", k).slice(0, 16)])),
      withdrawalCredentials: "0x02" + "00".repeat(11) + "5b38da6a701c568545dcfcb03fcb875f56beddc4",
      effectiveBalanceGwei: GWEI_32_ETH - BigInt(j) * 1_000_000_000n,
      slashed: j % 4 === 2,
      activationEligibilityEpoch: 100_000n + BigInt(j),
      activationEpoch: 100_100n + BigInt(j),
      exitEpoch: exited ? 300_000n + BigInt(j) : FAR_FUTURE_EPOCH,
      withdrawableEpoch: exited ? 300_256n + BigInt(j) : FAR_FUTURE_EPOCH,
      balanceGwei: GWEI_32_ETH + BigInt(j) * 123_456_789n + 1n,
      ...opts.fields?.(j),
    };
    planted.push(v);
    const node = Validator.value_toTree({
      pubkey: getBytes(v.pubkey),
      withdrawalCredentials: getBytes(v.withdrawalCredentials),
      effectiveBalance: Number(v.effectiveBalanceGwei),
      slashed: v.slashed,
      activationEligibilityEpoch: Number(v.activationEligibilityEpoch),
      activationEpoch: Number(v.activationEpoch),
      exitEpoch: v.exitEpoch === FAR_FUTURE_EPOCH ? Infinity : Number(v.exitEpoch),
      withdrawableEpoch: v.withdrawableEpoch === FAR_FUTURE_EPOCH ? Infinity : Number(v.withdrawableEpoch),
    });
    validatorsData = tree.setNode(validatorsData, (1n << BigInt(limitDepth)) + index, node);
    const chunkGIndex = (1n << BigInt(limitDepth - 2)) + (index >> 2n);
    const chunk = new Uint8Array(tree.getNode(balancesData, chunkGIndex).root);
    new DataView(chunk.buffer).setBigUint64(Number(index & 3n) * 8, v.balanceGwei, true);
    balancesData = tree.setNode(balancesData, chunkGIndex, tree.LeafNode.fromRoot(chunk));
  }

  const lengthNode = (count: number) => tree.LeafNode.fromUint32(count);
  const view = stateType.defaultViewDU();
  view.slot = opts.slot;
  view.validators = validatorsType.getViewDU(new tree.BranchNode(validatorsData, lengthNode(n)));
  view.balances = balancesType.getViewDU(new tree.BranchNode(balancesData, lengthNode(n)));
  view.commit();
  return { state: view.node, planted };
}
