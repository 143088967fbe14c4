import { expect } from "chai";
import hre from "hardhat";
import { ZeroHash, getBytes, hexlify } from "ethers";
import type { ssz as SszTypes } from "@lodestar/types" with { "resolution-mode": "import" };
import { BeaconChain, FAR_FUTURE_EPOCH, type Validator } from "../../offchain/beacon/chain";
import { startBeaconApi, type BeaconApi } from "../../offchain/beacon/server";
import {
  BEACON_ROOTS_ADDRESS,
  BeaconStateMirror,
  placeholderBodyRoot,
  type ProducedBlock,
} from "../../offchain/beacon/state";
import {
  buildBalanceProof,
  buildValidatorProof,
  electraLayout,
  pickValidatorRecord,
  validatorRecordFromSsz,
  type BeaconBlockHeader,
} from "../../offchain/prover/proofs";
import type { BeaconProofVerifier } from "../../typechain-types";
import { BLS_CREDENTIALS, ETH32, ETH_GWEI, depositEvent, lodestarClient } from "../helpers/beacon-sim";

const GENESIS = 1_700_000_000n;
const FOREIGN_CREDENTIALS = "0x01" + "00".repeat(11) + "ab".repeat(20);
/** Ours: 32 ETH to PAYEE (0x01); foreign: another protocol's 0x01 address, BLS credentials, a 1 ETH deposit. */
const KEYS = [
  depositEvent("beacon-state", 0),
  depositEvent("beacon-state", 1, { credentials: FOREIGN_CREDENTIALS }),
  depositEvent("beacon-state", 2),
  depositEvent("beacon-state", 3, { credentials: BLS_CREDENTIALS }),
  depositEvent("beacon-state", 4),
  depositEvent("beacon-state", 5, { credentials: FOREIGN_CREDENTIALS, amountGwei: ETH_GWEI }),
  depositEvent("beacon-state", 6),
];
const PK = KEYS.map((k) => k.pubkey);
const OURS = [0, 2, 4, 6];

type Ssz = typeof SszTypes;

/** A deserialized state's validators and balances in the chain's terms. */
function fromState(state: ReturnType<Ssz["electra"]["BeaconState"]["deserialize"]>) {
  return {
    validators: state.validators.map(validatorRecordFromSsz),
    balances: state.balances.map((b) => BigInt(b)),
  };
}

interface HeaderJson {
  root: string;
  canonical: boolean;
  header: {
    message: { slot: string; proposer_index: string; parent_root: string; state_root: string; body_root: string };
    signature: string;
  };
}

function toHeader(h: HeaderJson): BeaconBlockHeader {
  const m = h.header.message;
  return {
    slot: BigInt(m.slot),
    proposerIndex: BigInt(m.proposer_index),
    parentRoot: m.parent_root,
    stateRoot: m.state_root,
    bodyRoot: m.body_root,
  };
}

async function getHeader(api: BeaconApi, id: string): Promise<{ status: number; body: { data: HeaderJson } }> {
  const res = await fetch(`${api.url}/eth/v1/beacon/headers/${id}`);
  return { status: res.status, body: (await res.json()) as { data: HeaderJson } };
}

async function getSszState(api: BeaconApi, id: string): Promise<Uint8Array> {
  const res = await fetch(`${api.url}/eth/v2/debug/beacon/states/${id}`, {
    headers: { accept: "application/octet-stream" },
  });
  expect(res.status).to.equal(200);
  expect(res.headers.get("content-type")).to.equal("application/octet-stream");
  expect(res.headers.get("eth-consensus-version")).to.equal("electra");
  return new Uint8Array(await res.arrayBuffer());
}

describe("BeaconState (real SSZ on the local beacon chain)", function () {
  let ssz: Ssz;
  before(async function () {
    ({ ssz } = await import("@lodestar/types"));
  });

  describe("state, headers and the Beacon API", function () {
    let chain: BeaconChain;
    let mirror: BeaconStateMirror;
    let api: BeaconApi;
    /** Each produced block with the chain's validators when it was produced. */
    const produced: { block: ProducedBlock; validators: Validator[] }[] = [];

    before(async function () {
      chain = new BeaconChain({
        genesisTime: GENESIS,
        activationDelayEpochs: 2n,
        exitDelayEpochs: 2n,
        withdrawabilityDelayEpochs: 4n,
        epochsPerSlashingsVector: 16n,
        sweepIntervalEpochs: 8n,
        historyEpochs: 64n,
      });
      mirror = await BeaconStateMirror.create(chain);
      api = await startBeaconApi(chain, 0, "127.0.0.1", mirror);
      const produce = () => {
        const block = mirror.produceBlock();
        produced.push({ block, validators: chain.head().validators.map((v) => ({ ...v })) });
      };
      produce(); // slot 0: no validators
      chain.applyDeposits(KEYS.slice(0, 6));
      chain.advanceToSlot(3n);
      produce(); // slot 3: six deposits, pending
      chain.advanceToSlot(100n);
      produce(); // slot 100: active, rewards
      chain.exit(PK[2]);
      chain.slash(PK[4]);
      chain.applyDeposits([KEYS[6]]);
      chain.advanceToSlot(101n);
      produce(); // slot 101: exit, slashing, a seventh validator
      chain.advanceToSlot(9n * 32n + 7n);
      produce(); // slot 295: exited, withdrawn by the sweep at epoch 8, penalties
    });

    after(async function () {
      await api.close();
    });

    it("serves each block's state as SSZ with the chain's validators and balances", async function () {
      expect(produced.map((p) => p.block.header.slot)).to.deep.equal([0n, 3n, 100n, 101n, 295n]);
      expect(produced.map((p) => p.validators.length)).to.deep.equal([0, 6, 6, 7, 7]);
      for (const { block, validators } of produced) {
        const bytes = await getSszState(api, block.header.slot.toString());
        const state = ssz.electra.BeaconState.deserialize(bytes);
        expect(state.slot).to.equal(Number(block.header.slot));
        expect(state.genesisTime).to.equal(Number(GENESIS));
        expect(hexlify(state.fork.currentVersion)).to.equal("0x05000000");
        expect(fromState(state)).to.deep.equal({
          validators: validators.map(pickValidatorRecord),
          balances: validators.map((v) => v.balanceGwei),
        });
        expect(hexlify(ssz.electra.BeaconState.hashTreeRoot(state))).to.equal(block.header.stateRoot);
        // As after process_block: the block's header with a zero state root.
        expect(ssz.phase0.BeaconBlockHeader.toJson(state.latestBlockHeader)).to.deep.equal({
          slot: block.header.slot.toString(),
          proposer_index: block.header.proposerIndex.toString(),
          parent_root: block.header.parentRoot,
          state_root: ZeroHash,
          body_root: placeholderBodyRoot(block.header.slot),
        });
      }
      // The last block (epoch 9): 2 exited at 5, slashed 4 withdrawable at 3 + 16, 1 ETH 5 never active.
      const last = produced[4].validators;
      expect([last[2].exitEpoch, last[2].withdrawableEpoch]).to.deep.equal([5n, 9n]);
      expect([last[4].slashed, last[4].exitEpoch, last[4].withdrawableEpoch]).to.deep.equal([true, 5n, 19n]);
      expect([last[5].balanceGwei, last[5].activationEpoch]).to.deep.equal([ETH_GWEI, FAR_FUTURE_EPOCH]);
      expect(last[6].balanceGwei > ETH32).to.equal(true);
    });

    it("serves headers that chain, whose state_root is the served state's root", async function () {
      let parent = ZeroHash;
      for (const { block } of produced) {
        const { status, body } = await getHeader(api, block.header.slot.toString());
        expect(status).to.equal(200);
        const message = body.data.header.message;
        expect(message.parent_root).to.equal(parent);
        const state = ssz.electra.BeaconState.deserialize(await getSszState(api, block.header.slot.toString()));
        expect(message.state_root).to.equal(hexlify(ssz.electra.BeaconState.hashTreeRoot(state)));
        expect(message.body_root).to.equal(placeholderBodyRoot(block.header.slot));
        const root = ssz.phase0.BeaconBlockHeader.hashTreeRoot({
          slot: Number(message.slot),
          proposerIndex: Number(message.proposer_index),
          parentRoot: getBytes(message.parent_root),
          stateRoot: getBytes(message.state_root),
          bodyRoot: getBytes(message.body_root),
        });
        expect(body.data.root).to.equal(hexlify(root));
        expect(body.data.canonical).to.equal(true);
        parent = body.data.root;
      }
      // head, a root, finalized (epoch 9 head → slot 224: the block at 101), a skipped slot.
      expect((await getHeader(api, "head")).body.data.root).to.equal(produced[4].block.root);
      expect((await getHeader(api, produced[2].block.root)).body.data.header.message.slot).to.equal("100");
      expect((await getHeader(api, "finalized")).body.data.root).to.equal(produced[3].block.root);
      expect((await getHeader(api, "102")).status).to.equal(404);
      const byStateRoot = await getSszState(api, produced[1].block.header.stateRoot);
      expect(hexlify(ssz.electra.BeaconState.hashTreeRoot(ssz.electra.BeaconState.deserialize(byStateRoot)))).to.equal(
        produced[1].block.header.stateRoot,
      );
    });

    it("writes only changed records: unchanged validators share their tree node", async function () {
      const { getNode } = await import("@chainsafe/persistent-merkle-tree");
      const node = (p: number, i: number) =>
        getNode(produced[p].block.state, BigInt(ssz.electra.BeaconState.getPathInfo(["validators", i]).gindex));
      expect(node(2, 0)).to.equal(node(3, 0)); // unchanged between slots 100 and 101
      expect(node(2, 2)).to.not.equal(node(3, 2)); // exit started
      expect(node(2, 4)).to.not.equal(node(3, 4)); // slashed
    });

    it("Lodestar's client reads the state (SSZ) and the JSON form matches", async function () {
      const client = await lodestarClient(api.url);
      const res = await client.debug.getStateV2({ stateId: "head" });
      const state = res.value() as ReturnType<Ssz["electra"]["BeaconState"]["deserialize"]>;
      expect(hexlify(ssz.electra.BeaconState.hashTreeRoot(state))).to.equal(produced[4].block.header.stateRoot);
      const json = (await (await fetch(`${api.url}/eth/v2/debug/beacon/states/head`)).json()) as {
        version: string;
        data: unknown;
      };
      expect(json.version).to.equal("electra");
      const fromJson = ssz.electra.BeaconState.fromJson(json.data);
      expect(hexlify(ssz.electra.BeaconState.hashTreeRoot(fromJson))).to.equal(produced[4].block.header.stateRoot);
    });
  });

  describe("end to end: EIP-4788 root and BeaconProofVerifier", function () {
    let snapshot: string;
    before(async function () {
      snapshot = (await hre.network.provider.send("evm_snapshot", [])) as string;
    });
    after(async function () {
      await hre.network.provider.send("evm_revert", [snapshot]);
    });

    it("proves our validators' records and balances from the served state on chain", async function () {
      const rpc = hre.network.provider;
      const latest = BigInt((await hre.ethers.provider.getBlock("latest"))!.timestamp);
      const genesisTime = latest - 12n * 1_000n;
      const chain = new BeaconChain({ genesisTime, activationDelayEpochs: 2n, exitDelayEpochs: 2n }, 1_000n);
      const mirror = await BeaconStateMirror.create(chain);
      const api = await startBeaconApi(chain, 0, "127.0.0.1", mirror);
      try {
        chain.applyDeposits(KEYS);
        chain.advanceToSlot(1_000n + 5n * 32n);
        chain.exit(PK[2]);
        chain.slash(PK[4]);
        chain.advanceToSlot(1_000n + 9n * 32n + 3n); // slot 1,291
        const old = mirror.produceBlock();
        const oldTimestamp = await mirror.publishRoot(rpc, old);
        chain.advanceToSlot(1_300n);
        const block = mirror.produceBlock();
        const timestamp = await mirror.publishRoot(rpc, block);
        expect([oldTimestamp, timestamp]).to.deep.equal([genesisTime + 12n * 1_292n, genesisTime + 12n * 1_301n]);
        const stored = await hre.ethers.provider.call({
          to: BEACON_ROOTS_ADDRESS,
          data: hre.ethers.zeroPadValue(hre.ethers.toBeHex(timestamp), 32),
        });
        expect(stored).to.equal(block.root);

        const [admin] = await hre.ethers.getSigners();
        const verifier = (await hre.ethers.deployContract("BeaconProofVerifier", [
          admin.address,
          genesisTime,
          12n,
          0n,
        ])) as unknown as BeaconProofVerifier;
        const header = toHeader((await getHeader(api, "head")).body.data);
        expect(header).to.deep.equal(block.header);
        expect(header.parentRoot).to.equal(old.root);
        const state = ssz.electra.BeaconState.deserializeToViewDU(await getSszState(api, "head")).node;
        const layout = await electraLayout();
        const validators = chain.head().validators;
        for (const i of OURS) {
          const p = await buildValidatorProof(state, layout, BigInt(i));
          expect(p.validator).to.deep.equal(pickValidatorRecord(validators[i]));
          await verifier.verifyValidator(timestamp, header, i, p.validator, p.proof);
          const b = await buildBalanceProof(state, layout, BigInt(i));
          expect(b.balanceGwei).to.equal(validators[i].balanceGwei);
          expect(await verifier.verifyBalance(timestamp, header, i, b.balancesChunk, b.proof)).to.equal(
            validators[i].balanceGwei,
          );
        }
        expect(validators.map((v) => [v.slashed, v.exitEpoch])[2]).to.deep.equal([false, 38n]);
        expect(validators.map((v) => [v.slashed, v.exitEpoch])[4]).to.deep.equal([true, 38n]);
        // The older header is not the root at the newer block's timestamp.
        const p = await buildValidatorProof(state, layout, 0n);
        await expect(
          verifier.verifyValidator(timestamp, old.header, 0, p.validator, p.proof),
        ).to.be.revertedWithCustomError(verifier, "BeaconHeaderMismatch");
      } finally {
        await api.close();
      }
    });
  });
});
