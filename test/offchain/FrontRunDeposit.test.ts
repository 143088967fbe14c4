/**
 * A deposit that went to a front-run key (review finding 5.1): operator B deposits 1 ETH to its own
 * vetted key with its own withdrawal credentials before the guardians attest, and the pool's 32 ETH
 * then tops up B's validator. The oracle service must not leave those 32 ETH "deposited, not yet
 * visible" forever: it counts the key as visible with no balance of ours and charges the 32 ETH to
 * B once, bond first, through the loss tranches.
 */
import { expect } from "chai";
import hre from "hardhat";
import { hexlify, parseEther } from "ethers";
import type { Tidepool } from "../../deploy/protocol";
import { deployWithBeacon } from "../helpers/beacon-fixtures";
import { keyLossEntry } from "../../sdk/src/report";
import { GENESIS_FORK_VERSIONS, signDeposit, testSecretKey } from "../../offchain/keys/bls";
import { withdrawalCredentialsFor } from "../../offchain/keys/deposit";
import { advanceToNextFrame, type LocalBeacon } from "../../offchain/beacon/local";
import { connectBeacon } from "../../offchain/oracle/beacon";
import { reportOnce, type PassOutcome } from "../../offchain/oracle/service";
import type { ReportContext } from "../../offchain/oracle/report";

const GWEI = 10n ** 9n;
const ETH32_GWEI = 32n * GWEI;

describe("Oracle service: a deposit to a front-run key", function () {
  let t: Tidepool;
  let local: LocalBeacon;
  let ctx: ReportContext;
  let frontRunPubkey: string;

  before(async function () {
    ({ t, local } = await deployWithBeacon({ activationDelayEpochs: 5n }, async (d) => {
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
    }));
    ctx = { beacon: await connectBeacon(local.api.url), provider: hre.ethers.provider, contracts: t };
  });

  after(async function () {
    await local?.close();
  });

  async function report(): Promise<Extract<PassOutcome, { status: "submitted" }>> {
    await advanceToNextFrame(local);
    const first = await reportOnce(ctx, t.oracleMembers[0]);
    const second = await reportOnce(ctx, t.oracleMembers[1]);
    if (first.status !== "submitted" || second.status !== "submitted") throw new Error("not submitted");
    expect(second.applied).to.equal(true);
    expect(second.report.data).to.deep.equal(first.report.data);
    return second;
  }

  it("counts the key as visible with none of our balance, charges its 32 ETH to the operator's bond, then the fund, then holders", async function () {
    // The pool deposited 32 ETH to all 8 keys, key 0 of operator B included: its validator is B's.
    const [deposited] = await t.pool.getBeaconStat();
    expect(deposited).to.equal(8n);
    const bondBefore = (await t.registry.getNodeOperator(1n)).bondShares;
    const [P, S] = [await t.pool.totalPooledEther(), await t.pool.totalShares()];
    const outcome = await report();
    const data = outcome.report.data;
    const validator = local.chain.validator(frontRunPubkey)!;
    expect(validator.withdrawalCredentials).to.not.equal((await t.pool.withdrawalCredentials()).toLowerCase());
    expect(validator.withdrawalCredentials).to.equal(withdrawalCredentialsFor(t.users[3].address).toLowerCase());
    expect(outcome.report.foreign.map((v) => v.pubkey)).to.deep.equal([frontRunPubkey]);
    expect(data.numValidators).to.equal(8n);
    const ours = outcome.report.validators;
    expect(ours.length).to.equal(7);
    expect(data.clBalanceGwei).to.equal(ours.reduce((sum, v) => sum + v.balanceGwei, 0n));
    expect(data.keyLosses).to.deep.equal([keyLossEntry(1n, 0n, ETH32_GWEI)]);
    expect(data.operatorIdsWithLosses).to.deep.equal([1n]);
    expect(data.operatorLossesGwei).to.deep.equal([ETH32_GWEI]);
    expect(data.isBunkerMode).to.equal(true); // the bond (8 ETH) covers a quarter: the rate falls

    // Nothing is left "in transit"; B's whole bond was burned (at the pre-report rate) and the event
    // names the loss; the oracle remembers the key's charge.
    const [, clValidators] = await t.pool.getBeaconStat();
    expect(clValidators).to.equal(8n);
    expect((await t.registry.getNodeOperator(1n)).bondShares).to.equal(0n);
    const covered = await t.oracle.queryFilter(t.oracle.filters.OperatorLossCovered(1n), outcome.receipt.blockNumber);
    expect(covered.map((e) => [e.args.lossWei, e.args.coveredWei, e.args.sharesBurned])).to.deep.equal([
      [parseEther("32"), (bondBefore * P) / S, bondBefore],
    ]);
    expect(await t.oracle.keyLossChargedGwei(1n, 0n)).to.equal(ETH32_GWEI);
  });

  it("never charges the key again", async function () {
    const outcome = await report();
    expect(outcome.report.data.keyLosses).to.deep.equal([]);
    expect(outcome.report.data.operatorIdsWithLosses).to.deep.equal([]);
    expect(outcome.report.data.numValidators).to.equal(8n);
    expect(await t.oracle.keyLossChargedGwei(1n, 0n)).to.equal(ETH32_GWEI);
  });
});
