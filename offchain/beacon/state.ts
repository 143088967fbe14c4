/**
 * A real Electra `BeaconState` for the local beacon chain: Lodestar's SSZ type
 * (`ssz.electra.BeaconState`, a persistent-merkle-tree ViewDU) mirroring the chain's validator
 * registry and balances, and a chain of `BeaconBlockHeader`s, one per produced block, whose
 * `state_root` is the state's `hash_tree_root`. Their roots go into the EIP-4788 contract of the
 * local execution chain as the protocol writes them, so a proof built from a served state verifies
 * on chain exactly as on mainnet.
 *
 * What is real: the state's type and tree (every field, most left at their defaults), the
 * validators and balances at the chain's indices, `slot`, `genesis_time`, `fork`,
 * `latest_block_header` (as the spec leaves it after a block: the block's header with a zero
 * state root), the header chain (`parent_root`), and the 4788 write. What is not: there are no block
 * bodies (`body_root` is the placeholder `sha256("tidepool-local-beacon:body:<slot>")`), no
 * signatures, `proposer_index` is `slot mod validator count`, and `block_roots`, `state_roots`,
 * randao, committees and participation keep their defaults.
 *
 * Blocks are produced when asked (`produceBlock`): the chain model has no block schedule. Each
 * produced block keeps the root node of its post-state; the trees share every unchanged node, and a
 * block rewrites only the validator records and balances that changed since the previous one.
 *
 * `@lodestar/types` is ESM-only; this project compiles to CommonJS, which keeps the dynamic `import()`.
 */
import { ZeroHash, getBytes, hexlify, sha256, toBeHex, toUtf8Bytes } from "ethers";
import type { Node } from "@chainsafe/persistent-merkle-tree" with { "resolution-mode": "import" };
import type { ssz as SszTypes } from "@lodestar/types" with { "resolution-mode": "import" };
import { BeaconChain, FAR_FUTURE_EPOCH, type Validator } from "./chain";
import type { JsonRpc } from "./execution";
import { headerRoot, type BeaconBlockHeader } from "../prover/proofs";

/** The EIP-4788 beacon roots contract. */
export const BEACON_ROOTS_ADDRESS = "0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02";
/** The system address consensus clients call system contracts from (EIP-4788). */
export const SYSTEM_ADDRESS = "0xfffffffffffffffffffffffffffffffffffffffe";
/** Mainnet's ELECTRA_FORK_VERSION, written into `state.fork` (both versions, epoch 0). */
export const ELECTRA_FORK_VERSION = "0x05000000";

type ElectraStateType = typeof SszTypes.electra.BeaconState;
type ElectraStateView = ReturnType<ElectraStateType["defaultViewDU"]>;

/** A produced block: its header, the header's root and the root node of its post-state. */
export interface ProducedBlock {
  root: string;
  header: BeaconBlockHeader;
  /** The post-state's tree (its root is `header.stateRoot`). */
  state: Node;
}

/** The fields of a validator record the state holds, as a comparable key. */
function recordKey(v: Validator): string {
  return [
    v.pubkey,
    v.withdrawalCredentials,
    v.effectiveBalanceGwei,
    v.slashed,
    v.activationEligibilityEpoch,
    v.activationEpoch,
    v.exitEpoch,
    v.withdrawableEpoch,
  ].join("|");
}

/** An epoch as Lodestar writes it (FAR_FUTURE_EPOCH is `Infinity`). */
function epochNum(epoch: bigint): number {
  return epoch === FAR_FUTURE_EPOCH ? Infinity : Number(epoch);
}

/** The placeholder body root of the block at `slot` (there are no block bodies). */
export function placeholderBodyRoot(slot: bigint): string {
  return sha256(toUtf8Bytes(`tidepool-local-beacon:body:${slot}`));
}

/** The local chain's Electra `BeaconState` and its chain of block headers. */
export class BeaconStateMirror {
  private readonly written: string[] = [];
  private readonly balances: bigint[] = [];
  private readonly blocks: ProducedBlock[] = [];
  private readonly byRoot = new Map<string, ProducedBlock>();
  private readonly byStateRoot = new Map<string, ProducedBlock>();

  private constructor(
    readonly chain: BeaconChain,
    private readonly ssz: typeof SszTypes,
    private readonly view: ElectraStateView,
    /** Produced blocks kept (older ones are dropped with their states). */
    readonly historyBlocks: number,
  ) {}

  /** An empty Electra state for `chain` (genesis time, fork); call `produceBlock` to fill it. */
  static async create(chain: BeaconChain, historyBlocks = 8192): Promise<BeaconStateMirror> {
    const { ssz } = await import("@lodestar/types");
    const view = ssz.electra.BeaconState.defaultViewDU();
    view.genesisTime = Number(chain.config.genesisTime);
    view.fork = ssz.phase0.Fork.toViewDU({
      previousVersion: getBytes(ELECTRA_FORK_VERSION),
      currentVersion: getBytes(ELECTRA_FORK_VERSION),
      epoch: 0,
    });
    return new BeaconStateMirror(chain, ssz, view, historyBlocks);
  }

  /** Lodestar's `ssz.electra.BeaconState`. */
  get stateType(): ElectraStateType {
    return this.ssz.electra.BeaconState;
  }

  /** The latest produced block, if any. */
  get head(): ProducedBlock | undefined {
    return this.blocks[this.blocks.length - 1];
  }

  /**
   * Produces the block at the chain's head slot: writes the validator records and balances that
   * changed since the last block, sets `slot` and `latest_block_header`, and chains the header to the
   * previous block (`parent_root`; zero for the first). Throws if the head slot already has a block.
   */
  produceBlock(): ProducedBlock {
    const slot = this.chain.headSlot;
    const parent = this.head;
    if (parent && parent.header.slot >= slot) throw new Error(`slot ${slot} already has a block`);
    const state = this.chain.head();
    this.writeValidators(state.validators);
    const count = state.validators.length;
    const fields = {
      slot,
      proposerIndex: count === 0 ? 0n : slot % BigInt(count),
      parentRoot: parent?.root ?? ZeroHash,
      bodyRoot: placeholderBodyRoot(slot),
    };
    const view = this.view;
    view.slot = Number(slot);
    view.latestBlockHeader = this.ssz.phase0.BeaconBlockHeader.toViewDU({
      slot: Number(slot),
      proposerIndex: Number(fields.proposerIndex),
      parentRoot: getBytes(fields.parentRoot),
      stateRoot: new Uint8Array(32),
      bodyRoot: getBytes(fields.bodyRoot),
    });
    view.commit();
    const header: BeaconBlockHeader = { ...fields, stateRoot: hexlify(view.hashTreeRoot()) };
    const block: ProducedBlock = { root: headerRoot(header), header, state: view.node };
    this.blocks.push(block);
    this.byRoot.set(block.root, block);
    this.byStateRoot.set(header.stateRoot, block);
    while (this.blocks.length > this.historyBlocks) {
      const old = this.blocks.shift()!;
      this.byRoot.delete(old.root);
      this.byStateRoot.delete(old.header.stateRoot);
    }
    return block;
  }

  /** The kept block at exactly `slot`. */
  blockAtSlot(slot: bigint): ProducedBlock | undefined {
    return this.blocks.find((b) => b.header.slot === slot);
  }

  /** The latest kept block at or before `slot`. */
  blockAtOrBefore(slot: bigint): ProducedBlock | undefined {
    for (let i = this.blocks.length - 1; i >= 0; i--) if (this.blocks[i].header.slot <= slot) return this.blocks[i];
    return undefined;
  }

  /** The kept block whose header root (`kind` "block") or state root (`kind` "state") is `root`. */
  blockByRoot(root: string, kind: "block" | "state"): ProducedBlock | undefined {
    return (kind === "block" ? this.byRoot : this.byStateRoot).get(root.toLowerCase());
  }

  /** The SSZ serialization of `block`'s post-state. */
  serialize(block: ProducedBlock): Uint8Array {
    return this.stateType.getViewDU(block.state).serialize();
  }

  /** `block`'s post-state in the Beacon API's JSON form. */
  toJson(block: ProducedBlock): unknown {
    const type = this.stateType;
    return type.toJson(type.getViewDU(block.state).toValue());
  }

  /**
   * Writes `block`'s root into the EIP-4788 contract as the protocol does: in the execution block of
   * its child, a call from the system address with the root as calldata, stored under that block's
   * timestamp. The child is the next slot after `block`'s whose time is still ahead of the execution
   * chain (slot + 1 when the chains are in step; a later slot, as after skipped slots, otherwise), so
   * the timestamp is `genesis + 12 × child slot`. Uses `hardhat_impersonateAccount` and
   * `hardhat_setBalance` (development chains; automine). Returns the timestamp a proof references.
   */
  async publishRoot(rpc: JsonRpc, block: ProducedBlock): Promise<bigint> {
    const latest = (await rpc.send("eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
    const now = this.chain.slotAt(BigInt(latest.timestamp));
    const child = block.header.slot + 1n > now + 1n ? block.header.slot + 1n : now + 1n;
    const timestamp = this.chain.slotTime(child);
    await rpc.send("hardhat_impersonateAccount", [SYSTEM_ADDRESS]);
    await rpc.send("hardhat_setBalance", [SYSTEM_ADDRESS, toBeHex(10n ** 18n)]);
    await rpc.send("evm_setNextBlockTimestamp", [Number(timestamp)]);
    const hash = (await rpc.send("eth_sendTransaction", [
      { from: SYSTEM_ADDRESS, to: BEACON_ROOTS_ADDRESS, data: block.root, gas: toBeHex(100_000) },
    ])) as string;
    await rpc.send("hardhat_stopImpersonatingAccount", [SYSTEM_ADDRESS]);
    const receipt = (await rpc.send("eth_getTransactionReceipt", [hash])) as { status: string } | null;
    if (receipt?.status !== "0x1") throw new Error(`the EIP-4788 write of ${block.root} failed`);
    return timestamp;
  }

  /** Writes the records and balances that differ from what the state holds; appends new ones. */
  private writeValidators(validators: readonly Validator[]): void {
    const list = this.view.validators;
    const balances = this.view.balances;
    for (const v of validators) {
      const key = recordKey(v);
      if (this.written[v.index] !== key) {
        const record = this.ssz.phase0.Validator.toViewDU({
          pubkey: getBytes(v.pubkey),
          withdrawalCredentials: getBytes(v.withdrawalCredentials),
          effectiveBalance: Number(v.effectiveBalanceGwei),
          slashed: v.slashed,
          activationEligibilityEpoch: epochNum(v.activationEligibilityEpoch),
          activationEpoch: epochNum(v.activationEpoch),
          exitEpoch: epochNum(v.exitEpoch),
          withdrawableEpoch: epochNum(v.withdrawableEpoch),
        });
        if (v.index < list.length) list.set(v.index, record);
        else list.push(record);
        this.written[v.index] = key;
      }
      if (this.balances[v.index] !== v.balanceGwei) {
        if (v.index < balances.length) balances.set(v.index, Number(v.balanceGwei));
        else balances.push(Number(v.balanceGwei));
        this.balances[v.index] = v.balanceGwei;
      }
    }
  }
}
