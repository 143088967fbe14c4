/**
 * Beacon-state proofs for BeaconProofVerifier (contracts/beacon/): from a BeaconState tree and the
 * header of the block whose post-state it is, the header's fields, the validator record or balance
 * chunk, and the compact proof the contract takes: `count ‖ list siblings ‖ state siblings`, the
 * list siblings cut where only empty subtrees remain above (the contract knows their roots).
 *
 * `@lodestar/types` and `@chainsafe/persistent-merkle-tree` are ESM-only; this project compiles to
 * CommonJS (module node16), which keeps the dynamic `import()`.
 */
import { createHash } from "node:crypto";
import { concat, getBytes, hexlify, toBeHex } from "ethers";
import type { Node } from "@chainsafe/persistent-merkle-tree" with { "resolution-mode": "import" };

/** Where the lists sit in the state: one fork schedule entry without its slot (the contract's ForkLayout). */
export interface StateLayout {
  validatorsGIndex: bigint;
  balancesGIndex: bigint;
  validatorsLimitDepth: number;
}

/** A beacon block header, as the contract takes it. */
export interface BeaconBlockHeader {
  slot: bigint;
  proposerIndex: bigint;
  parentRoot: string;
  stateRoot: string;
  bodyRoot: string;
}

/** A validator record, as the contract takes it (gwei, epochs). */
export interface ValidatorRecord {
  pubkey: string;
  withdrawalCredentials: string;
  effectiveBalanceGwei: bigint;
  slashed: boolean;
  activationEligibilityEpoch: bigint;
  activationEpoch: bigint;
  exitEpoch: bigint;
  withdrawableEpoch: bigint;
}

/** A proof of `state.validators[validatorIndex]`. */
export interface ValidatorProof {
  validatorIndex: bigint;
  validator: ValidatorRecord;
  /** `count ‖ list siblings ‖ state siblings`, hex. */
  proof: string;
}

/** A proof of the `state.balances` chunk that holds validator `validatorIndex`'s balance. */
export interface BalanceProof {
  validatorIndex: bigint;
  balancesChunk: string;
  balanceGwei: bigint;
  proof: string;
}

async function sszModules() {
  const [{ ssz }, tree] = await Promise.all([import("@lodestar/types"), import("@chainsafe/persistent-merkle-tree")]);
  return { ssz, tree };
}

/** The Electra (and Fulu) layout, read from Lodestar's SSZ types rather than written down. */
export async function electraLayout(): Promise<StateLayout> {
  const { ssz } = await sszModules();
  const state = ssz.electra.BeaconState;
  return {
    validatorsGIndex: BigInt(state.getPathInfo(["validators"]).gindex),
    balancesGIndex: BigInt(state.getPathInfo(["balances"]).gindex),
    validatorsLimitDepth: Math.log2(state.fields.validators.limit),
  };
}

/** An epoch as Lodestar reads it (2^64 − 1 is `Infinity`), as a bigint. */
function epoch(value: number): bigint {
  return value === Infinity ? 2n ** 64n - 1n : BigInt(value);
}

/** A `Validator` as Lodestar's SSZ types give it (epochs as numbers, 2^64 − 1 as `Infinity`). */
export interface SszValidatorValue {
  pubkey: Uint8Array;
  withdrawalCredentials: Uint8Array;
  effectiveBalance: number;
  slashed: boolean;
  activationEligibilityEpoch: number;
  activationEpoch: number;
  exitEpoch: number;
  withdrawableEpoch: number;
}

/** A validator record as the contract takes it, from Lodestar's SSZ value. */
export function validatorRecordFromSsz(v: SszValidatorValue): ValidatorRecord {
  return {
    pubkey: hexlify(v.pubkey),
    withdrawalCredentials: hexlify(v.withdrawalCredentials),
    effectiveBalanceGwei: BigInt(v.effectiveBalance),
    slashed: v.slashed,
    activationEligibilityEpoch: epoch(v.activationEligibilityEpoch),
    activationEpoch: epoch(v.activationEpoch),
    exitEpoch: epoch(v.exitEpoch),
    withdrawableEpoch: epoch(v.withdrawableEpoch),
  };
}

/** The eight fields of a validator record, picked from any object that has them (the local chain's record, say). */
export function pickValidatorRecord(v: ValidatorRecord): ValidatorRecord {
  return {
    pubkey: v.pubkey,
    withdrawalCredentials: v.withdrawalCredentials,
    effectiveBalanceGwei: v.effectiveBalanceGwei,
    slashed: v.slashed,
    activationEligibilityEpoch: v.activationEligibilityEpoch,
    activationEpoch: v.activationEpoch,
    exitEpoch: v.exitEpoch,
    withdrawableEpoch: v.withdrawableEpoch,
  };
}

/** log2 of a generalized index: its depth. */
export function gindexDepth(gindex: bigint): number {
  return gindex.toString(2).length - 1;
}

/** sha256(a ‖ b) of two 32-byte nodes. */
function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  return createHash("sha256").update(a).update(b).digest();
}

/** Roots of empty subtrees, depth 0..n − 1. */
function zeroHashes(n: number): Uint8Array[] {
  const z: Uint8Array[] = [new Uint8Array(32)];
  while (z.length < n) z.push(hashPair(z[z.length - 1], z[z.length - 1]));
  return z;
}

/** A uint64 as an SSZ chunk (8 little-endian bytes, 24 zero bytes). */
function chunkOf(value: bigint): Uint8Array {
  const chunk = new Uint8Array(32);
  new DataView(chunk.buffer).setBigUint64(0, value, true);
  return chunk;
}

/**
 * The compact proof of leaf `leafIndex` in the list at `listGIndex` of the state tree `state`, whose
 * data tree has depth `limitDepth`: `count ‖ list siblings ‖ state siblings`, the list siblings
 * stopping below the first level from which all are empty subtrees (and never below the index's
 * bit length).
 */
async function listProof(state: Node, listGIndex: bigint, limitDepth: number, leafIndex: bigint) {
  const { tree } = await sszModules();
  const gindex = ((listGIndex * 2n) << BigInt(limitDepth)) + leafIndex;
  const witnesses = new tree.Tree(state).getSingleProof(gindex);
  const leaf = tree.getNode(state, gindex).root;
  const zeros = zeroHashes(limitDepth);
  let depth = limitDepth;
  while (
    depth > 0 &&
    leafIndex >> BigInt(depth - 1) === 0n &&
    hexlify(witnesses[depth - 1]) === hexlify(zeros[depth - 1])
  ) {
    depth--;
  }
  const lengthChunk = witnesses[limitDepth];
  const count = new DataView(lengthChunk.buffer, lengthChunk.byteOffset).getBigUint64(0, true);
  const proof = concat([toBeHex(count, 8), ...witnesses.slice(0, depth), ...witnesses.slice(limitDepth + 1)]);
  return { leaf, proof, count };
}

/** The proof of `state.validators[validatorIndex]` in the state tree `state`. */
export async function buildValidatorProof(
  state: Node,
  layout: StateLayout,
  validatorIndex: bigint,
): Promise<ValidatorProof> {
  const { ssz, tree } = await sszModules();
  const { proof } = await listProof(state, layout.validatorsGIndex, layout.validatorsLimitDepth, validatorIndex);
  const gindex = ((layout.validatorsGIndex * 2n) << BigInt(layout.validatorsLimitDepth)) + validatorIndex;
  const v = ssz.phase0.Validator.tree_toValue(tree.getNode(state, gindex));
  return {
    validatorIndex,
    validator: validatorRecordFromSsz(v),
    proof,
  };
}

/** The proof of the `state.balances` chunk that holds validator `validatorIndex`'s balance. */
export async function buildBalanceProof(
  state: Node,
  layout: StateLayout,
  validatorIndex: bigint,
): Promise<BalanceProof> {
  const { leaf, proof } = await listProof(
    state,
    layout.balancesGIndex,
    layout.validatorsLimitDepth - 2,
    validatorIndex >> 2n,
  );
  const balanceGwei = new DataView(leaf.buffer, leaf.byteOffset).getBigUint64(Number(validatorIndex & 3n) * 8, true);
  return { validatorIndex, balancesChunk: hexlify(leaf), balanceGwei, proof };
}

/** The header of a block whose post-state is `state` (its `stateRoot` is the state's root). */
export function headerFor(
  state: Node,
  fields: { slot: bigint; proposerIndex: bigint; parentRoot: string; bodyRoot: string },
): BeaconBlockHeader {
  return { ...fields, stateRoot: hexlify(state.root) };
}

/** hash_tree_root(BeaconBlockHeader): the root the EIP-4788 contract holds for the next block. */
export function headerRoot(header: BeaconBlockHeader): string {
  const leaves = [
    chunkOf(header.slot),
    chunkOf(header.proposerIndex),
    getBytes(header.parentRoot),
    getBytes(header.stateRoot),
    getBytes(header.bodyRoot),
    new Uint8Array(32),
    new Uint8Array(32),
    new Uint8Array(32),
  ];
  let level = leaves;
  while (level.length > 1)
    level = level.map((_, i) => (i % 2 ? null : hashPair(level[i], level[i + 1]))).filter((x) => x !== null);
  return hexlify(level[0]);
}

/** The header → state_root branch (3 siblings, bottom-up), for consumers that take a header root. */
export async function headerStateRootBranch(header: BeaconBlockHeader): Promise<string[]> {
  const { ssz, tree } = await sszModules();
  const type = ssz.phase0.BeaconBlockHeader;
  const node = type.value_toTree({
    slot: Number(header.slot),
    proposerIndex: Number(header.proposerIndex),
    parentRoot: getBytes(header.parentRoot),
    stateRoot: getBytes(header.stateRoot),
    bodyRoot: getBytes(header.bodyRoot),
  });
  const witnesses = new tree.Tree(node).getSingleProof(BigInt(type.getPathInfo(["stateRoot"]).gindex));
  return witnesses.map((w) => hexlify(w));
}

/** hash_tree_root(Validator). */
export function validatorRoot(v: ValidatorRecord): Uint8Array {
  const pubkey = getBytes(v.pubkey);
  const leaves = [
    hashPair(pubkey.slice(0, 32), padTo32(pubkey.slice(32, 48))),
    getBytes(v.withdrawalCredentials),
    chunkOf(v.effectiveBalanceGwei),
    padTo32(new Uint8Array([v.slashed ? 1 : 0])),
    chunkOf(v.activationEligibilityEpoch),
    chunkOf(v.activationEpoch),
    chunkOf(v.exitEpoch),
    chunkOf(v.withdrawableEpoch),
  ];
  let level = leaves;
  while (level.length > 1)
    level = level.map((_, i) => (i % 2 ? null : hashPair(level[i], level[i + 1]))).filter((x) => x !== null);
  return level[0];
}

/** `bytes` followed by zero bytes up to 32. */
function padTo32(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  out.set(bytes);
  return out;
}

/**
 * The contract's check, off chain: whether `leaf` at `leafIndex` (holding list element
 * `elementIndex`) with `proof` hashes to `stateRoot`
 * in the list at `listGIndex` of data depth `limitDepth`. Returns the reason it fails, or undefined.
 */
export function verifyListLocally(
  stateRoot: string,
  leaf: Uint8Array,
  leafIndex: bigint,
  elementIndex: bigint,
  listGIndex: bigint,
  limitDepth: number,
  proofHex: string,
): string | undefined {
  const proof = getBytes(proofHex);
  const stateDepth = gindexDepth(listGIndex);
  const minLength = 8 + 32 * stateDepth;
  if (proof.length < minLength || proof.length > minLength + 32 * limitDepth || (proof.length - 8) % 32 !== 0) {
    return "proof length";
  }
  const depth = (proof.length - minLength) / 32;
  if (leafIndex >> BigInt(depth) !== 0n) return "index out of range for depth";
  const sibling = (i: number) => proof.slice(8 + 32 * i, 40 + 32 * i);
  let node = leaf;
  let index = leafIndex;
  for (let i = 0; i < depth; i++, index >>= 1n)
    node = index & 1n ? hashPair(sibling(i), node) : hashPair(node, sibling(i));
  const zeros = zeroHashes(limitDepth);
  for (let k = depth; k < limitDepth; k++) node = hashPair(node, zeros[k]);
  const count = new DataView(proof.buffer, proof.byteOffset).getBigUint64(0, false);
  if (elementIndex >= count) return "index beyond count";
  node = hashPair(node, chunkOf(count));
  let g = listGIndex;
  for (let i = 0; i < stateDepth; i++, g >>= 1n) {
    node = g & 1n ? hashPair(sibling(depth + i), node) : hashPair(node, sibling(depth + i));
  }
  return hexlify(node) === stateRoot.toLowerCase() ? undefined : "invalid proof";
}

/** The contract's `verifyValidator` off chain (without the EIP-4788 read): header root and proof. */
export function verifyLocally(
  beaconRoot: string,
  header: BeaconBlockHeader,
  layout: StateLayout,
  p: ValidatorProof,
): string | undefined {
  if (headerRoot(header) !== beaconRoot.toLowerCase()) return "header mismatch";
  return verifyListLocally(
    header.stateRoot,
    validatorRoot(p.validator),
    p.validatorIndex,
    p.validatorIndex,
    layout.validatorsGIndex,
    layout.validatorsLimitDepth,
    p.proof,
  );
}

/** The contract's `verifyBalance` off chain (without the EIP-4788 read). */
export function verifyBalanceLocally(
  beaconRoot: string,
  header: BeaconBlockHeader,
  layout: StateLayout,
  p: BalanceProof,
): string | undefined {
  if (headerRoot(header) !== beaconRoot.toLowerCase()) return "header mismatch";
  return verifyListLocally(
    header.stateRoot,
    getBytes(p.balancesChunk),
    p.validatorIndex >> 2n,
    p.validatorIndex,
    layout.balancesGIndex,
    layout.validatorsLimitDepth - 2,
    p.proof,
  );
}
