import { expect } from "chai";
import hre from "hardhat";
import { toBeHex, zeroPadValue } from "ethers";
import { deployTidepool, type Tidepool } from "../../deploy/protocol";
import { SLOTS_PER_EPOCH } from "../../offchain/beacon/chain";
import { startLocalBeacon, type LocalBeacon } from "../../offchain/beacon/local";
import { BEACON_ROOTS_ADDRESS, SYSTEM_ADDRESS, type ProducedBlock } from "../../offchain/beacon/state";
import {
  WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS as PREDEPLOY,
  readFee,
  withdrawalRequestCalldata,
} from "../../offchain/beacon/withdrawal-requests";
import { withdrawalCredentialsFor } from "../../offchain/keys/deposit";
import { depositEvent } from "../helpers/beacon-sim";

const rpc = hre.network.provider;
/** Short delays so that a validator may exit one epoch after its deposit. */
const CONFIG = { activationDelayEpochs: 1n, exitDelayEpochs: 2n, shardCommitteePeriodEpochs: 0n };

/** The root EIP-4788 holds for `timestamp`, or undefined when the contract reverts (none written). */
async function rootAt(timestamp: bigint): Promise<string | undefined> {
  try {
    return (await rpc.send("eth_call", [
      { to: BEACON_ROOTS_ADDRESS, data: zeroPadValue(toBeHex(timestamp), 32) },
      "latest",
    ])) as string;
  } catch {
    return undefined;
  }
}

interface RpcBlock {
  number: string;
  timestamp: string;
  transactions: { from: string; to: string }[];
}

async function block(number: number): Promise<RpcBlock> {
  return (await rpc.send("eth_getBlockByNumber", [toBeHex(number), true])) as RpcBlock;
}

describe("Beacon system calls on the local chains (EIP-4788 and EIP-7002 in each mined block)", function () {
  let t: Tidepool;
  let snapshot: string;
  let local: LocalBeacon | undefined;

  before(async function () {
    t = await deployTidepool(hre);
  });

  beforeEach(async function () {
    snapshot = (await rpc.send("evm_snapshot", [])) as string;
  });

  afterEach(async function () {
    await local?.close();
    local = undefined;
    await rpc.send("evm_revert", [snapshot]);
  });

  it("writes the previous slot's beacon block root under each mined block's timestamp; skipped slots have no block", async function () {
    local = await startLocalBeacon(t, rpc, CONFIG, 0, { sszState: true, systemCalls: true });
    const { chain, bridge, state } = local;
    const first = state!.head!;
    expect(first.header.slot).to.equal(chain.headSlot); // the execution head's beacon block
    expect(await rpc.send("eth_getCode", [PREDEPLOY, "latest"])).to.not.equal("0x");

    const start = first.header.slot;
    const slots = [start + 1n, start + 2n, start + 4n, start + SLOTS_PER_EPOCH + 1n]; // start + 3 etc. skipped
    let parent: ProducedBlock = first;
    for (const slot of slots) {
      const timestamp = chain.slotTime(slot);
      await bridge.advanceTo(timestamp);
      const mined = await block(bridge.lastMinedBlock);
      expect(BigInt(mined.timestamp)).to.equal(timestamp);
      // The block's own system calls: the 4788 write first, the 7002 dequeue last.
      expect(mined.transactions.map((tx) => [tx.from, tx.to.toLowerCase()])).to.deep.equal([
        [SYSTEM_ADDRESS, BEACON_ROOTS_ADDRESS.toLowerCase()],
        [SYSTEM_ADDRESS, PREDEPLOY.toLowerCase()],
      ]);
      expect(await rootAt(timestamp)).to.equal(parent.root);
      const produced = state!.head!;
      expect(produced.header.slot).to.equal(slot);
      expect(produced.header.parentRoot).to.equal(parent.root);
      parent = produced;
    }
    expect(await rootAt(chain.slotTime(start + 3n))).to.equal(undefined);
    expect(state!.blockAtSlot(start + 3n)).to.equal(undefined);
    const res = await fetch(`${local.api.url}/eth/v1/beacon/headers/head`);
    expect(((await res.json()) as { data: { root: string } }).data.root).to.equal(parent.root);
  });

  it("dequeues a full-exit request in the next mined block and exits the validator whose 0x01 credentials name the sender", async function () {
    local = await startLocalBeacon(t, rpc, CONFIG, 0, { sszState: true, systemCalls: true });
    const { chain, bridge, state } = local;
    const owner = t.users[1]; // stands in for the withdrawal vault, the address in our credentials
    const ours = depositEvent("system-calls", 0, { credentials: withdrawalCredentialsFor(owner.address) });
    const other = depositEvent("system-calls", 1);
    chain.applyDeposits([ours, other]);
    const epoch = chain.epoch;
    const activeSlot = (epoch + 2n) * SLOTS_PER_EPOCH; // activation at epoch + 1
    await bridge.advanceTo(chain.slotTime(activeSlot));
    expect(bridge.lastWithdrawalRequests).to.deep.equal([]);

    const fee = await readFee(rpc);
    await (
      await owner.sendTransaction({ to: PREDEPLOY, data: withdrawalRequestCalldata(ours.pubkey), value: fee })
    ).wait();
    const parent = state!.head!;
    const next = chain.slotTime(activeSlot + 1n);
    await bridge.advanceTo(next);

    expect(bridge.lastWithdrawalRequests).to.deep.equal([
      { sourceAddress: owner.address.toLowerCase(), pubkey: ours.pubkey, amountGwei: 0n },
    ]);
    const exited = chain.validator(ours.pubkey)!;
    expect([exited.exitEpoch, exited.withdrawableEpoch]).to.deep.equal([
      epoch + 2n + CONFIG.exitDelayEpochs,
      epoch + 2n + CONFIG.exitDelayEpochs + chain.config.withdrawabilityDelayEpochs,
    ]);
    expect(chain.validator(other.pubkey)!.exitEpoch).to.equal(2n ** 64n - 1n);
    // The beacon block of that slot holds the exit in its state; the 4788 root is its parent's.
    const produced = state!.head!;
    expect(produced.header.slot).to.equal(activeSlot + 1n);
    const record = state!.stateType.getViewDU(produced.state).validators.get(exited.index);
    expect(record.exitEpoch).to.equal(Number(exited.exitEpoch));
    expect(await rootAt(next)).to.equal(parent.root);

    // The queue is empty: the system call returns nothing, and the next block dequeues nothing.
    expect(await rpc.send("eth_call", [{ from: SYSTEM_ADDRESS, to: PREDEPLOY, data: "0x" }, "latest"])).to.equal("0x");
    await bridge.advanceTo(chain.slotTime(activeSlot + 2n));
    expect(bridge.lastWithdrawalRequests).to.deep.equal([]);
  });

  it("with the option off, mines plain blocks: no 4788 roots, no beacon blocks, no 7002 predeploy", async function () {
    local = await startLocalBeacon(t, rpc, CONFIG, 0, { sszState: true });
    const { chain, bridge, state } = local;
    expect(state!.head).to.equal(undefined);
    expect(await rpc.send("eth_getCode", [PREDEPLOY, "latest"])).to.equal("0x");
    const start = chain.headSlot;
    for (const slot of [start + 1n, start + 2n, start + 4n]) {
      const timestamp = chain.slotTime(slot);
      await bridge.advanceTo(timestamp);
      expect((await block(bridge.lastMinedBlock)).transactions).to.deep.equal([]);
      expect(await rootAt(timestamp)).to.equal(undefined);
    }
    expect(state!.head).to.equal(undefined);
    expect(bridge.lastWithdrawalRequests).to.deep.equal([]);
  });
});
