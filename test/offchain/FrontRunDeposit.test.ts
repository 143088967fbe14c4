/**
 * A deposit that went to a front-run key (review finding 5.1): operator B deposits 1 ETH to its own
 * vetted key with its own withdrawal credentials before the guardians attest, and the pool's 32 ETH
 * then tops up B's validator. The oracle service leaves that key out of its reports (not visible, no
 * key loss); the prover proves the foreign credentials on chain (BeaconFacts.proveForeignCredentials),
 * which writes the deposit off once — B's bond first, then the insurance fund, then holders — and
 * freezes B's undeposited keys. A key an earlier report already charged (the oracle's former flow)
 * stays counted and is not written off a second time.
 */
import { expect } from "chai";
import hre from "hardhat";
import { hexlify, parseEther } from "ethers";
import type { Tidepool } from "../../deploy/protocol";
import { deployWithBeacon } from "../helpers/beacon-fixtures";
import { buildReport, keyLossEntry } from "../../sdk/src/report";
import { GENESIS_FORK_VERSIONS, signDeposit, testKeyBatch, testSecretKey } from "../../offchain/keys/bls";
import { withdrawalCredentialsFor } from "../../offchain/keys/deposit";
import { advanceToNextFrame, type LocalBeacon } from "../../offchain/beacon/local";
import { connectBeacon } from "../../offchain/oracle/beacon";
import { reportOnce, type PassOutcome } from "../../offchain/oracle/service";
import { buildFrameReport, type ReportContext } from "../../offchain/oracle/report";
import { submitUntilApplied } from "../../offchain/oracle/devchain";
import { FACT, anchoredState, buildFact, proveKeyFact, type FactsContext } from "../../offchain/prover/facts";
import { ProofWatcher } from "../../offchain/prover/watcher";
import { KeyIndex } from "../../offchain/oracle/key-index";

const GWEI = 10n ** 9n;
const ETH32 = parseEther("32");
const ETH32_GWEI = 32n * GWEI;

/** The local chains of one scenario: B's key 0 front-run, B with a fifth vetted key left undeposited. */
async function frontRunDeployment() {
  let frontRunPubkey = "";
  const { t, local } = await deployWithBeacon(
    { activationDelayEpochs: 5n },
    async (d) => {
      // Operator B's key 0 is vetted and undeposited: B deposits 1 ETH to it first, to itself.
      const operatorB = d.users[3];
      const own = withdrawalCredentialsFor(operatorB.address);
      const deposit = signDeposit(testSecretKey("B", 0), own, GENESIS_FORK_VERSIONS.mainnet, GWEI);
      frontRunPubkey = hexlify(deposit.pubkey).toLowerCase();
      expect((await d.registry.getSigningKey(1n, 0n)).pubkey.toLowerCase()).to.equal(frontRunPubkey);
      await (
        await d.depositContract
          .connect(operatorB)
          .deposit(deposit.pubkey, own, deposit.signature, deposit.depositDataRoot, { value: parseEther("1") })
      ).wait();
      // A fifth key for B, vetted: its bond (4 validators) leaves it undeposited, for the proof to freeze.
      const batch = testKeyBatch("B", 4, 1, await d.pool.withdrawalCredentials());
      await (await d.registry.connect(operatorB).addSigningKeys(1n, 1n, batch.pubkeys, batch.signatures)).wait();
      const nonce = await d.registry.operatorKeysNonce(1n);
      await (await d.registry.connect(d.admin).setVettedKeys(1n, 5n, nonce)).wait();
    },
    { systemCalls: true },
  );
  const reportCtx: ReportContext = {
    beacon: await connectBeacon(local.api.url),
    provider: hre.ethers.provider,
    contracts: t,
    index: new KeyIndex(),
  };
  const factsCtx: FactsContext = {
    beaconUrl: local.api.url,
    provider: hre.ethers.provider,
    contracts: { facts: t.facts, registry: t.registry, oracle: t.oracle },
  };
  // The pool deposited 32 ETH to all 8 first keys, B's key 0 included (its validator is B's); B's
  // fifth key waits, vetted.
  expect((await t.pool.getBeaconStat())[0]).to.equal(8n);
  const b = await t.registry.getNodeOperator(1n);
  expect([b.depositedKeys, b.vettedKeys, b.totalKeys]).to.deep.equal([4n, 5n, 5n]);
  return { t, local, reportCtx, factsCtx, frontRunPubkey };
}

/** The oracle service's report for the next frame, submitted by two members; applied. */
async function report(
  t: Tidepool,
  local: LocalBeacon,
  ctx: ReportContext,
): Promise<Extract<PassOutcome, { status: "submitted" }>> {
  await advanceToNextFrame(local);
  const first = await reportOnce(ctx, t.oracleMembers[0]);
  const second = await reportOnce(ctx, t.oracleMembers[1]);
  if (first.status !== "submitted" || second.status !== "submitted") throw new Error("not submitted");
  expect(second.applied).to.equal(true);
  expect(second.report.data).to.deep.equal(first.report.data);
  return second;
}

/** Mines the next slots' blocks (each with the 4788 root of the beacon block before it). */
async function step(local: LocalBeacon, slots = 2): Promise<void> {
  for (let i = 0; i < slots; i++) {
    const slot = local.chain.slotAt(await local.bridge.latestTimestamp());
    await local.bridge.advanceTo(local.chain.slotTime(slot + 1n));
  }
}

describe("Oracle service and prover: a deposit to a front-run key", function () {
  this.timeout(180_000);

  let t: Tidepool;
  let local: LocalBeacon;
  let reportCtx: ReportContext;
  let factsCtx: FactsContext;
  let frontRunPubkey: string;
  let watcher: ProofWatcher;
  let snapshot: string;
  const lines: string[] = [];

  before(async function () {
    snapshot = (await hre.network.provider.send("evm_snapshot", [])) as string;
    ({ t, local, reportCtx, factsCtx, frontRunPubkey } = await frontRunDeployment());
    watcher = new ProofWatcher(factsCtx, t.users[5], { log: (line) => lines.push(line) });
    // The insurance fund holds 5 ETH of tpETH: less than what B's bond leaves of the 32 ETH.
    await (await t.pool.connect(t.users[0]).transfer(await t.insuranceFund.getAddress(), parseEther("5"))).wait();
  });

  after(async function () {
    await local?.close();
    await hre.network.provider.send("evm_revert", [snapshot]);
  });

  it("the report leaves the front-run key out: not visible, no key loss; it applies", async function () {
    const [P, S] = [await t.pool.totalPooledEther(), await t.pool.totalShares()];
    const outcome = await report(t, local, reportCtx);
    const data = outcome.report.data;
    const validator = local.chain.validator(frontRunPubkey)!;
    expect(validator.withdrawalCredentials).to.not.equal((await t.pool.withdrawalCredentials()).toLowerCase());
    expect(validator.withdrawalCredentials).to.equal(withdrawalCredentialsFor(t.users[3].address).toLowerCase());
    expect(outcome.report.foreign.map((v) => v.pubkey)).to.deep.equal([frontRunPubkey]);
    const ours = outcome.report.validators;
    expect(ours.length).to.equal(7);
    expect(data.numValidators).to.equal(7n);
    expect(data.clBalanceGwei).to.equal(ours.reduce((sum, v) => sum + v.balanceGwei, 0n));
    expect(data.keyLosses).to.deep.equal([]);
    expect(data.operatorIdsWithLosses).to.deep.equal([]);
    expect(data.operatorLossesGwei).to.deep.equal([]);
    expect(data.isBunkerMode).to.equal(false);
    // The front-run deposit is still in transit; nothing was charged; the rate did not fall.
    const [deposited, clValidators] = await t.pool.getBeaconStat();
    expect([deposited, clValidators]).to.deep.equal([8n, 7n]);
    expect(await t.oracle.keyLossChargedGwei(1n, 0n)).to.equal(0n);
    expect((await t.pool.totalPooledEther()) * S).to.be.greaterThanOrEqual(P * (await t.pool.totalShares()));
  });

  it("the prover proves the foreign credentials: 32 ETH written off, bond, then insurance, then holders; keys frozen", async function () {
    await step(local); // the report's state's successors: a 4788 root for the watcher to anchor at
    const registry = await t.registry.getAddress();
    const insurance = await t.insuranceFund.getAddress();
    const holder = t.users[0].address;
    const [P, S] = [await t.pool.totalPooledEther(), await t.pool.totalShares()];
    const [deposited, clValidators, clBalance] = await t.pool.getBeaconStat();
    const bond = (await t.registry.getNodeOperator(1n)).bondShares;
    const registryShares = await t.pool.sharesOf(registry);
    const insuranceShares = await t.pool.sharesOf(insurance);
    const holderShares = await t.pool.sharesOf(holder);
    // What the write-off takes, at the rate before it: the bond (worth less than 32 ETH) entirely,
    // then insurance shares for the rest, rounded up, capped at the fund (5 ETH: all of it).
    const wanted = await t.pool.getSharesByPooledEthRoundUp(ETH32);
    expect(wanted).to.equal((ETH32 * S + P - 1n) / P);
    expect(bond).to.be.greaterThan(0n).and.lessThan(wanted);
    const bondWei = await t.pool.getPooledEthByShares(bond);
    expect(bondWei).to.equal((bond * P) / S);
    const rest = ETH32 - bondWei;
    expect(await t.pool.getSharesByPooledEthRoundUp(rest)).to.be.greaterThan(insuranceShares);
    const insuranceWei = (insuranceShares * P) / S;

    lines.length = 0;
    const proofs = await watcher.tick();
    expect(proofs.map((p) => [p.kind, p.operatorId, p.keyIndex])).to.deep.equal([["foreign", 1n, 0n]]);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(
      /^prover: slot \d+: Proven: operator 1 key 0 has foreign withdrawal credentials 0x[0-9a-f]{64}; operator's undeposited keys frozen; 32 ETH written off; gas [\d,]+$/,
    );
    const receipt = proofs[0].receipt;
    const events = await t.facts.queryFilter(
      t.facts.filters.ForeignCredentialsProven(1n),
      receipt.blockNumber,
      receipt.blockNumber,
    );
    expect(events.map((e) => [e.args.keyIndex, e.args.withdrawalCredentials, e.args.writtenOffWei])).to.deep.equal([
      [0n, withdrawalCredentialsFor(t.users[3].address).toLowerCase(), ETH32],
    ]);
    expect([events[0].args.bondSharesBurned, events[0].args.insuranceSharesBurned]).to.deep.equal([
      bond,
      insuranceShares,
    ]);

    // The pool, to the wei: 32 ETH fewer, the bond's and the fund's shares burned, one deposit less in
    // transit; the holders' shares are now worth exactly what is left.
    const P2 = P - ETH32;
    const S2 = S - bond - insuranceShares;
    expect(await t.pool.totalPooledEther()).to.equal(P2);
    expect(await t.pool.totalShares()).to.equal(S2);
    expect(await t.pool.getBeaconStat()).to.deep.equal([deposited - 1n, clValidators, clBalance]);
    expect((await t.registry.getNodeOperator(1n)).bondShares).to.equal(0n);
    expect(await t.pool.sharesOf(registry)).to.equal(registryShares - bond);
    expect(await t.pool.sharesOf(insurance)).to.equal(0n);
    expect(await t.pool.sharesOf(holder)).to.equal(holderShares);
    expect(await t.pool.getPooledEthByShares(holderShares)).to.equal((holderShares * P2) / S2);
    // The holders (every share left) bear the rest: 32 ETH − the bond − the fund, at the old rate
    // (to the rounding of the two share prices).
    const holdersLoss = (S2 * P) / S - P2;
    expect(holdersLoss).to.be.greaterThan(0n);
    expect(holdersLoss - (ETH32 - bondWei - insuranceWei)).to.be.within(-2n, 2n);

    // B's fifth key is frozen (vetted down to deposited); the fact is recorded; the oracle charged nothing.
    const b = await t.registry.getNodeOperator(1n);
    expect([b.depositedKeys, b.vettedKeys]).to.deep.equal([4n, 4n]);
    expect(await t.facts.keyFacts(1n, 0n)).to.equal(FACT.foreign);
    expect(await t.oracle.keyLossChargedGwei(1n, 0n)).to.equal(0n);
    expect(await watcher.tick()).to.deep.equal([]); // proven once
  });

  it("the next report applies with no drop and no key loss", async function () {
    const outcome = await report(t, local, reportCtx);
    const data = outcome.report.data;
    expect(outcome.report.foreign.map((v) => v.pubkey)).to.deep.equal([frontRunPubkey]);
    expect(data.numValidators).to.equal(7n);
    expect(data.keyLosses).to.deep.equal([]);
    expect(data.operatorIdsWithLosses).to.deep.equal([]);
    expect(data.isBunkerMode).to.equal(false);
    const [deposited, clValidators] = await t.pool.getBeaconStat();
    expect([deposited, clValidators]).to.deep.equal([7n, 7n]);
    expect(await t.oracle.keyLossChargedGwei(1n, 0n)).to.equal(0n);
  });

  it("a second proof of the same key reverts FactAlreadyProven", async function () {
    await step(local);
    const anchored = await anchoredState(factsCtx);
    const fact = await buildFact(anchored, { operatorId: 1n, keyIndex: 0n, pubkey: frontRunPubkey, deposited: true });
    await expect(t.facts.connect(t.users[6]).proveForeignCredentials(fact))
      .to.be.revertedWithCustomError(t.facts, "FactAlreadyProven")
      .withArgs(1n, 0n, FACT.foreign);
  });
});

describe("Oracle service and prover: a front-run key an earlier report already charged", function () {
  this.timeout(180_000);

  let t: Tidepool;
  let local: LocalBeacon;
  let reportCtx: ReportContext;
  let factsCtx: FactsContext;
  let snapshot: string;

  before(async function () {
    snapshot = (await hre.network.provider.send("evm_snapshot", [])) as string;
    ({ t, local, reportCtx, factsCtx } = await frontRunDeployment());
    // A 32 ETH loss is within the one-off drop limit of a large pool; the limit is raised here to
    // stand for one.
    const limits = await t.oracle.getSanityLimits();
    const raised = {
      annualAprLimitBP: limits.annualAprLimitBP,
      clBalanceDropLimitBP: 30_00n,
      maxPositiveRebasePPB: limits.maxPositiveRebasePPB,
      maxExitRequestsPerReport: limits.maxExitRequestsPerReport,
      maxOperatorsWithLossesPerReport: limits.maxOperatorsWithLossesPerReport,
    };
    await (await t.oracle.connect(t.admin).setSanityLimits(raised)).wait();
  });

  after(async function () {
    await local?.close();
    await hre.network.provider.send("evm_revert", [snapshot]);
  });

  it("the committee's legacy report counts the key as visible and charges its 32 ETH (keyLosses)", async function () {
    // The report an oracle before these proofs made: the service's own, with the key counted and charged.
    await advanceToNextFrame(local);
    const built = (await buildFrameReport(reportCtx))!;
    expect(built.data.numValidators).to.equal(7n);
    const data = buildReport(built.refSlot, {
      numValidators: 8n,
      clBalanceGwei: BigInt(built.data.clBalanceGwei),
      withdrawalVaultBalance: BigInt(built.data.withdrawalVaultBalance),
      elRewardsVaultBalance: BigInt(built.data.elRewardsVaultBalance),
      isBunkerMode: true, // B's bond (8 ETH) covers a quarter: the rate falls
      operatorIdsWithLosses: [1n],
      operatorLossesGwei: [ETH32_GWEI],
      keyLosses: [keyLossEntry(1n, 0n, ETH32_GWEI)],
    });
    await submitUntilApplied(t.oracle, t.oracleMembers, data);
    expect(await t.oracle.getLastProcessedRefSlot()).to.equal(built.refSlot);
    expect(await t.oracle.keyLossChargedGwei(1n, 0n)).to.equal(ETH32_GWEI);
    expect((await t.pool.getBeaconStat()).slice(0, 2)).to.deep.equal([8n, 8n]);
    expect((await t.registry.getNodeOperator(1n)).bondShares).to.equal(0n);
  });

  it("the oracle service keeps the charged key counted, and charges it no more", async function () {
    const outcome = await report(t, local, reportCtx);
    expect(outcome.report.data.numValidators).to.equal(8n);
    expect(outcome.report.data.keyLosses).to.deep.equal([]);
    expect(outcome.report.data.operatorIdsWithLosses).to.deep.equal([]);
    expect(await t.oracle.keyLossChargedGwei(1n, 0n)).to.equal(ETH32_GWEI);
  });

  it("the proof only freezes the operator's keys: nothing written off again", async function () {
    await step(local);
    const [P, S] = [await t.pool.totalPooledEther(), await t.pool.totalShares()];
    const stat = await t.pool.getBeaconStat();
    const insuranceShares = await t.pool.sharesOf(await t.insuranceFund.getAddress());
    const proof = await proveKeyFact(factsCtx, t.users[5], "foreign", 1n, 0n);
    expect(proof.summary).to.match(/; operator's undeposited keys frozen; nothing written off/);
    const events = await t.facts.queryFilter(
      t.facts.filters.ForeignCredentialsProven(1n),
      proof.receipt.blockNumber,
      proof.receipt.blockNumber,
    );
    expect(
      events.map((e) => [e.args.writtenOffWei, e.args.bondSharesBurned, e.args.insuranceSharesBurned]),
    ).to.deep.equal([[0n, 0n, 0n]]);
    expect([await t.pool.totalPooledEther(), await t.pool.totalShares()]).to.deep.equal([P, S]);
    expect(await t.pool.getBeaconStat()).to.deep.equal(stat);
    expect(await t.pool.sharesOf(await t.insuranceFund.getAddress())).to.equal(insuranceShares);
    const b = await t.registry.getNodeOperator(1n);
    expect([b.depositedKeys, b.vettedKeys]).to.deep.equal([4n, 4n]);
    expect(await t.facts.keyFacts(1n, 0n)).to.equal(FACT.foreign);

    // The next report still counts it: 8 visible, no loss, applied.
    const outcome = await report(t, local, reportCtx);
    expect(outcome.report.data.numValidators).to.equal(8n);
    expect(outcome.report.data.keyLosses).to.deep.equal([]);
    expect((await t.pool.getBeaconStat()).slice(0, 2)).to.deep.equal([8n, 8n]);
  });
});
