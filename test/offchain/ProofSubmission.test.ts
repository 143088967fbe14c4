/**
 * Proof submission end to end on the local chains (beacon chain with its real Electra state, EIP-4788
 * roots and the EIP-7002 predeploy in every mined block): the prover watcher (offchain/prover/watcher.ts)
 * proves a slashing before the next report; a report asks a validator to exit, its operator ignores
 * it, the deadline passes, the watcher proves the exit late, the withdrawal vault's EIP-7002 request
 * is dequeued by the beacon chain, which exits the validator and pays its balance to the vault, and
 * the next report finalizes the withdrawal request that waited for it.
 */
import { expect } from "chai";
import hre from "hardhat";
import { concat, keccak256, parseEther } from "ethers";
import type { Tidepool } from "../../deploy/protocol";
import { FAR_FUTURE_EPOCH, SLOTS_PER_EPOCH, validatorStatus } from "../../offchain/beacon/chain";
import { advanceSlots, advanceToNextFrame, type LocalBeacon } from "../../offchain/beacon/local";
import { SYSTEM_ADDRESS } from "../../offchain/beacon/state";
import {
  WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS as PREDEPLOY,
  decodeWithdrawalRequests,
} from "../../offchain/beacon/withdrawal-requests";
import { connectBeacon } from "../../offchain/oracle/beacon";
import type { ReportContext } from "../../offchain/oracle/report";
import { reportOnce } from "../../offchain/oracle/service";
import {
  anchoredState,
  exitRequestLeaf,
  exitRequestsTree,
  recordedExitRequests,
  type FactsContext,
} from "../../offchain/prover/facts";
import { ProofWatcher } from "../../offchain/prover/watcher";
import { deployWithBeacon } from "../helpers/beacon-fixtures";
import { KeyIndex } from "../../offchain/oracle/key-index";

const rpc = hre.network.provider;
const GWEI = 10n ** 9n;
/** Short delays: validators may exit at once, withdraw soon after, and are swept every epoch. */
const CONFIG = {
  activationDelayEpochs: 1n,
  shardCommitteePeriodEpochs: 0n,
  exitDelayEpochs: 2n,
  withdrawabilityDelayEpochs: 4n,
  epochsPerSlashingsVector: 64n,
  sweepIntervalEpochs: 1n,
};

/** OpenZeppelin's `MerkleProof.processProof` with sorted pairs, written out independently. */
function processProof(leaf: string, siblings: readonly string[]): string {
  return siblings.reduce(
    (node, sibling) => keccak256(BigInt(node) < BigInt(sibling) ? concat([node, sibling]) : concat([sibling, node])),
    leaf,
  );
}

describe("Exit-request Merkle trees (offchain/prover/facts.ts)", function () {
  it("gives every leaf of 1 to 9 requests siblings that OpenZeppelin's MerkleProof folds to the root", function () {
    for (let n = 1; n <= 9; n++) {
      const leaves = Array.from({ length: n }, (_, i) => exitRequestLeaf(BigInt(i % 3), BigInt(i)));
      const { root } = exitRequestsTree(leaves, 0);
      for (let i = 0; i < n; i++) {
        const { root: same, siblings } = exitRequestsTree(leaves, i);
        expect(same).to.equal(root);
        expect(processProof(leaves[i], siblings), `leaf ${i} of ${n}`).to.equal(root);
      }
    }
    // One request: the root is its leaf. Three: the third goes up unpaired, one sibling.
    const one = exitRequestLeaf(4n, 7n);
    expect(exitRequestsTree([one], 0)).to.deep.equal({ root: one, siblings: [] });
    const three = [0n, 1n, 2n].map((i) => exitRequestLeaf(0n, i));
    expect(exitRequestsTree(three, 2).siblings).to.have.length(1);
  });
});

describe("Proof submission on the local chains (watcher, late exit through EIP-7002)", function () {
  this.timeout(120_000);

  let t: Tidepool;
  /** The chain before this file: reverted to after, so the predeploy and time leave with it. */
  let snapshot: string;
  let local: LocalBeacon;
  let ctx: FactsContext;
  let reportCtx: ReportContext;
  let watcher: ProofWatcher;
  const lines: string[] = [];
  let prover: Tidepool["users"][number];

  before(async function () {
    snapshot = (await hre.network.provider.send("evm_snapshot", [])) as string;
    ({ t, local } = await deployWithBeacon(CONFIG, undefined, { systemCalls: true }));
    prover = t.users[5];
    // The operators ignore the oracle's exit requests: only a forced exit moves them.
    for (const id of [0n, 1n]) {
      for (let i = 0n; i < 4n; i++) {
        local.bridge.ignoredExitRequests.add((await t.registry.getSigningKey(id, i)).pubkey.toLowerCase());
      }
    }
    ctx = {
      beaconUrl: local.api.url,
      provider: hre.ethers.provider,
      contracts: { facts: t.facts, registry: t.registry, oracle: t.oracle },
    };
    reportCtx = {
      beacon: await connectBeacon(local.api.url),
      provider: hre.ethers.provider,
      contracts: t,
      index: new KeyIndex(),
    };
    watcher = new ProofWatcher(ctx, prover, { log: (line) => lines.push(line) });
    await report(); // the eight validators, active
    expect((await t.pool.getBeaconStat())[1]).to.equal(8n);
  });

  after(async function () {
    await local?.close();
    await hre.network.provider.send("evm_revert", [snapshot]);
  });

  /** Mines the next slot's block (4788 root of the previous beacon block, 7002 dequeue, a beacon block). */
  async function step(slots = 1n): Promise<void> {
    await advanceSlots(local, slots);
  }

  /** The next frame's report, built by the oracle service and applied by two members. */
  async function report() {
    const frame = await advanceToNextFrame(local);
    const [m1, m2] = t.oracleMembers;
    const first = await reportOnce(reportCtx, m1);
    const second = await reportOnce(reportCtx, m2);
    if (first.status !== "submitted" || second.status !== "submitted") {
      throw new Error(`report not submitted: ${first.status}, ${second.status}`);
    }
    expect(second.applied).to.equal(true);
    return { ...frame, data: second.report.data, receipt: second.receipt };
  }

  it("anchors at the newest beacon block whose root EIP-4788 holds: the head's parent", async function () {
    await step();
    const head = local.state!.head!;
    const anchored = await anchoredState(ctx);
    expect(anchored.root).to.equal(head.header.parentRoot);
    expect(anchored.header.slot).to.be.lessThan(head.header.slot);
    expect(anchored.blockTimestamp).to.equal(local.chain.slotTime(head.header.slot));
    expect(anchored.indexByPubkey.size).to.equal(8);
    expect(await watcher.tick()).to.deep.equal([]); // nothing to prove
  });

  it("the watcher proves a slashing once the slashed state's root is on chain, before the next report", async function () {
    const pubkey = (await t.registry.getSigningKey(1n, 3n)).pubkey;
    local.chain.slash(pubkey);
    const refSlotBefore = await t.oracle.getLastProcessedRefSlot();
    await step(); // the slashed state's block: its root is not on chain yet
    expect(await watcher.tick()).to.deep.equal([]);
    expect(await t.facts.keyFacts(1n, 3n)).to.equal(0n);
    await step(); // its child writes it into 4788
    lines.length = 0;
    const proofs = await watcher.tick();
    expect(proofs.map((p) => [p.kind, p.operatorId, p.keyIndex])).to.deep.equal([["slashed", 1n, 3n]]);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(
      /^prover: slot \d+: Proven: operator 1 key 3 slashed; bunker mode on; slashing credit 32 ETH; gas [\d,]+$/,
    );
    expect(await t.facts.keyFacts(1n, 3n)).to.equal(1n);
    expect(await t.pool.isBunkerModeActive()).to.equal(true);
    expect(await t.oracle.getLastProcessedRefSlot()).to.equal(refSlotBefore); // no report in between
    const provenSlot = (await anchoredState(ctx)).header.slot;
    expect(await t.facts.slashingHoldFromTimestamp()).to.equal(local.chain.slotTime(provenSlot));
    expect(await watcher.tick()).to.deep.equal([]); // proven once
    // The next report's reference slot is after the proof's slot and no penalty is ahead any more
    // (the slashings vector is short here): it may end bunker mode.
    const { refSlot, data } = await report();
    expect(refSlot).to.be.greaterThan(provenSlot);
    expect(data.isBunkerMode).to.equal(false);
    expect(await t.pool.isBunkerModeActive()).to.equal(false);
  });

  it("late exits: the watcher proves them, EIP-7002 exits the validators, their ETH finalizes the waiting request", async function () {
    const [holder] = t.users;
    const queue = t.withdrawalQueue;
    // The slashed validator has exited and been withdrawn by now: the watcher proves its exit.
    await step();
    await step();
    const exitProofs = await watcher.tick();
    expect(exitProofs.map((p) => [p.kind, p.operatorId, p.keyIndex])).to.deep.equal([["exited", 1n, 3n]]);
    expect(await t.facts.operatorFacts(1n)).to.deep.equal([1n, 0n]);

    // A request beyond the buffer: the next report asks three validators to exit (a Merkle tree with
    // siblings, an odd node carried up); their operators ignore it.
    await (await t.pool.connect(holder).approve(await queue.getAddress(), parseEther("130"))).wait();
    await (await queue.connect(holder).requestWithdrawals([parseEther("130")], holder.address)).wait();
    const requestId = await queue.getLastRequestId();
    const asked = await report();
    expect(asked.data.isBunkerMode).to.equal(false);
    expect(asked.data.exitOperatorIds).to.have.length(3);
    expect(await queue.getLastFinalizedRequestId()).to.be.lessThan(requestId);
    const keys: { operatorId: bigint; keyIndex: bigint; pubkey: string }[] = [];
    for (const [i, id] of asked.data.exitOperatorIds.entries()) {
      const [operatorId, keyIndex] = [BigInt(id), BigInt(asked.data.exitKeyIndices[i])];
      keys.push({
        operatorId,
        keyIndex,
        pubkey: (await t.registry.getSigningKey(operatorId, keyIndex)).pubkey.toLowerCase(),
      });
    }
    const recorded = await recordedExitRequests(t.oracle);
    expect(recorded).to.have.length(1);
    expect(recorded[0].requests).to.deep.equal(keys);
    const leaves = keys.map((k) => exitRequestLeaf(k.operatorId, k.keyIndex));
    expect(recorded[0].root).to.equal(exitRequestsTree(leaves, 0).root);
    expect(keys.map((_, i) => exitRequestsTree(leaves, i).siblings.length)).to.deep.equal([2, 2, 1]);
    const deadline = recorded[0].appliedAt + (await t.facts.exitSettings()).lateExitDeadlineSeconds;

    // Before the deadline: the validators are still active, nothing to prove.
    await step();
    await step();
    for (const k of keys) expect(local.chain.validator(k.pubkey)!.exitEpoch).to.equal(FAR_FUTURE_EPOCH);
    expect(await watcher.tick()).to.deep.equal([]);

    // Past the deadline (the anchored state's slot is after it).
    await local.bridge.advanceTo(deadline + 12n);
    await step();
    await step();
    const anchored = await anchoredState(ctx);
    expect(local.chain.slotTime(anchored.header.slot)).to.be.greaterThan(deadline);

    const fee = await t.facts.exitRequestFee();
    const refundShares = await t.pool.getSharesByPooledEthRoundUp(fee);
    const penaltyWei = (await t.facts.exitSettings()).lateExitPenaltyWei;
    const penaltyShares = await t.pool.getSharesByPooledEthRoundUp(penaltyWei);
    const operators = [...new Set(keys.map((k) => k.operatorId))];
    const bondsBefore = new Map<bigint, bigint>();
    for (const id of operators) bondsBefore.set(id, (await t.registry.getNodeOperator(id)).bondShares);
    const insurance = await t.insuranceFund.getAddress();
    const insuranceBefore = await t.pool.sharesOf(insurance);
    const proverSharesBefore = await t.pool.sharesOf(prover.address);
    const proverEthBefore = await hre.ethers.provider.getBalance(prover.address);

    lines.length = 0;
    const late = await watcher.tick();
    expect(late.map((p) => [p.kind, p.operatorId, p.keyIndex])).to.deep.equal(
      keys.map((k) => ["late", k.operatorId, k.keyIndex]),
    );
    expect(lines).to.have.length(3);
    lines.forEach((line, i) =>
      expect(line).to.match(
        new RegExp(
          `^prover: slot \\d+: Proven: operator ${keys[i].operatorId} key ${keys[i].keyIndex} late to exit; EIP-7002 exit requested \\(fee 0\\.000000000000000001 ETH, refunded from the bond\\); penalty 0\\.1 ETH from the bond to the insurance fund; operator's deposits held; gas [\\d,]+$`,
        ),
      ),
    );
    // The caller paid the fees and its gas, no more (the 10% margin came back), and got each fee back
    // in tpETH from the operator's bond; each bond paid the penalty to the insurance fund. The rate
    // does not move in between, so every proof's shares are the same.
    const gasCost = late.reduce((sum, p) => sum + p.receipt.gasUsed * p.receipt.gasPrice, 0n);
    expect(await hre.ethers.provider.getBalance(prover.address)).to.equal(proverEthBefore - gasCost - 3n * fee);
    expect((await t.pool.sharesOf(prover.address)) - proverSharesBefore).to.equal(3n * refundShares);
    expect((await t.pool.sharesOf(insurance)) - insuranceBefore).to.equal(3n * penaltyShares);
    for (const id of operators) {
      const n = BigInt(keys.filter((k) => k.operatorId === id).length);
      expect((await t.registry.getNodeOperator(id)).bondShares).to.equal(
        bondsBefore.get(id)! - n * (refundShares + penaltyShares),
      );
      expect((await t.facts.operatorFacts(id))[1]).to.equal(n);
    }
    for (const k of keys) expect(await t.facts.keyFacts(k.operatorId, k.keyIndex)).to.equal(4n);

    // The requests sit in the predeploy's queue, from the withdrawal vault, for the validators' pubkeys.
    const source = (await t.withdrawalVault.getAddress()).toLowerCase();
    const queued = decodeWithdrawalRequests(
      (await rpc.send("eth_call", [{ from: SYSTEM_ADDRESS, to: PREDEPLOY, data: "0x" }, "latest"])) as string,
    );
    expect(queued).to.deep.equal(keys.map((k) => ({ sourceAddress: source, pubkey: k.pubkey, amountGwei: 0n })));

    // The next block dequeues them and the beacon chain starts the exits.
    await step();
    expect(local.bridge.lastWithdrawalRequests.map((r) => r.pubkey)).to.deep.equal(keys.map((k) => k.pubkey));
    const exitEpoch = local.chain.epoch + CONFIG.exitDelayEpochs;
    for (const k of keys) expect(local.chain.validator(k.pubkey)!.exitEpoch).to.equal(exitEpoch);
    expect(await watcher.tick()).to.deep.equal([]); // late once

    // Withdrawable, then swept into the withdrawal vault.
    const vault = await t.withdrawalVault.getAddress();
    const vaultBefore = await hre.ethers.provider.getBalance(vault);
    const balancesGwei = keys.reduce((sum, k) => sum + local.chain.validator(k.pubkey)!.balanceGwei, 0n);
    const withdrawable = local.chain.validator(keys[0].pubkey)!.withdrawableEpoch;
    await local.bridge.advanceTo(local.chain.slotTime((withdrawable + 1n) * SLOTS_PER_EPOCH));
    for (const k of keys) {
      expect(validatorStatus(local.chain.validator(k.pubkey)!, local.chain.epoch)).to.equal("withdrawal_done");
    }
    expect((await hre.ethers.provider.getBalance(vault)) - vaultBefore).to.be.greaterThanOrEqual(balancesGwei * GWEI);

    // The watcher proves the exits: the late exits are closed.
    await step();
    await step();
    const closed = await watcher.tick();
    expect(closed.map((p) => [p.kind, p.operatorId, p.keyIndex])).to.deep.equal(
      keys.map((k) => ["exited", k.operatorId, k.keyIndex]),
    );
    for (const id of operators) expect((await t.facts.operatorFacts(id))[1]).to.equal(0n);

    // The next report counts the vault's ETH and finalizes the request that waited for it.
    const final = await report();
    expect(BigInt(final.data.lastRequestIdToFinalize)).to.equal(requestId);
    expect(await queue.getLastFinalizedRequestId()).to.equal(requestId);
    expect(final.data.exitOperatorIds).to.deep.equal([]);
  });
});
