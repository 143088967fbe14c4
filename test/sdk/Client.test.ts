/**
 * TidepoolClient against the real deployment (Ignition module) on the in-process network, through
 * Hardhat's ethers v6 provider and signers: every read and write to the wei, the permit path and the
 * approval fallback, "simulate first" (a request that would fail sends nothing), claims with and
 * without anything to claim, instant redemption with its preview, and failures as sentences.
 */
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { expect } from "chai";
import hre from "hardhat";
import { MaxUint256, ZeroAddress, parseEther } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployTidepoolUnlimited, type TidepoolFixture } from "../helpers/fixtures";
import { deployWithQueue } from "../helpers/withdrawal-fixtures";
import {
  TidepoolClient,
  customErrorData,
  deploymentBook,
  describeCustomError,
  describeError,
  eth,
  ethAtMost,
  expectedWaitText,
  readProtocolStatus,
  revertData,
} from "../../sdk/src";
import { LimitedSigner, eventsOf, gasCost, sdkFailure } from "./helpers";

const provider = hre.ethers.provider;
const nonceOf = (account: HardhatEthersSigner): Promise<number> => provider.getTransactionCount(account.address);
const selectorOf = async (hash: string): Promise<string> => (await provider.getTransaction(hash))!.data.slice(0, 10);

/** The unlimited deployment with `holder` (users[0]) holding 20 ETH staked at the initial rate of 1. */
async function withHolder(): Promise<TidepoolFixture & { holder: HardhatEthersSigner; queueAddress: string }> {
  const f = await loadFixture(deployTidepoolUnlimited);
  const holder = f.users[0];
  await (await f.pool.connect(holder).stake(ZeroAddress, { value: parseEther("20") })).wait();
  return { ...f, holder, queueAddress: await f.withdrawalQueue.getAddress() };
}

describe("SDK: TidepoolClient", function () {
  describe("connecting", function () {
    it("connects by pool address, or by chain id from Ignition records", async function () {
      const f = await loadFixture(deployTidepoolUnlimited);
      const expected = {
        pool: f.poolAddress,
        wrapper: f.wrapperAddress,
        queue: await f.withdrawalQueue.getAddress(),
        oracle: await f.oracle.getAddress(),
      };
      const byAddress = await TidepoolClient.connect({ runner: provider, pool: f.poolAddress });
      expect(byAddress.addresses).to.deep.equal(expected);
      expect(byAddress.chainId).to.equal(31337n);
      expect(byAddress.signer).to.equal(undefined);

      const book = deploymentBook({ "31337": { "Tidepool#StakingPoolProxy": f.poolAddress }, "1": {} });
      expect(book).to.deep.equal({ "31337": { pool: f.poolAddress } });
      const byBook = await TidepoolClient.connect({ runner: f.users[0], deployments: book });
      expect(byBook.addresses).to.deep.equal(expected);
      expect(await byBook.signer!.getAddress()).to.equal(f.users[0].address);
    });

    it("refuses a chain without a deployment, an address without a contract, and a contract that is no pool", async function () {
      const f = await loadFixture(deployTidepoolUnlimited);
      const noChain =
        "Tidepool has no known deployment on chain 31337: give the pool's address, or deployments that list this chain.";
      expect(
        (await sdkFailure(TidepoolClient.connect({ runner: provider, deployments: { "1": { pool: f.poolAddress } } })))
          .sentence,
      ).to.equal(noChain);
      expect((await sdkFailure(TidepoolClient.connect({ runner: provider }))).sentence).to.equal(noChain);
      expect(
        (await sdkFailure(TidepoolClient.connect({ runner: provider, pool: f.users[1].address }))).sentence,
      ).to.equal(`There is no contract at ${f.users[1].address} on chain 31337: check the address and the network.`);
      const notPool = await sdkFailure(TidepoolClient.connect({ runner: provider, pool: f.wrapperAddress }));
      expect(notPool.sentence).to.equal(
        `The contract at ${f.wrapperAddress} on chain 31337 is not a Tidepool staking pool.`,
      );
      expect(notPool.raw).to.not.equal(undefined);
      expect((await sdkFailure(TidepoolClient.connect({ runner: provider, pool: "0x1234" }))).sentence).to.equal(
        'The pool address "0x1234" is not an address.',
      );
    });

    it("only reads without a signer, and switches accounts with connect()", async function () {
      const f = await withHolder();
      const reader = await TidepoolClient.connect({ runner: provider, pool: f.poolAddress });
      const refused = await sdkFailure(reader.stake(parseEther("1")));
      expect(refused.sentence).to.equal(
        "This client only reads: connect it with a signer (a wallet) to send transactions.",
      );
      const other = f.users[1];
      const writer = reader.connect(other);
      expect(writer.addresses).to.deep.equal(reader.addresses);
      const result = await writer.stake(parseEther("1"));
      expect(await f.pool.sharesOf(other.address)).to.equal(result.shares);
      expect(result.shares).to.equal(parseEther("1"));
    });
  });

  describe("reads", function () {
    it("reads the status: the protocol's figures, the share rate, limits and a new request's wait", async function () {
      const f = await loadFixture(deployWithQueue);
      const client = await TidepoolClient.connect({ runner: provider, pool: f.poolAddress });
      const status = await client.status();
      const base = await readProtocolStatus({ pool: f.pool, oracle: f.oracle, withdrawalQueue: f.queue });
      for (const [key, value] of Object.entries(base)) expect(status).to.have.deep.property(key, value);
      expect(status.hasReport).to.equal(true);
      // The rate is totalEther / totalShares × 10^18, rounded half up: within half a share of exact.
      const { totalEther, totalShares, shareRate } = status;
      const error = shareRate * totalShares - totalEther * 10n ** 18n;
      expect(2n * (error < 0n ? -error : error) <= totalShares).to.equal(true);
      expect(shareRate).to.equal(10n ** 18n); // no rewards reported yet
      expect(status.stakeLimit).to.equal(MaxUint256);
      expect(status.minWithdrawal).to.equal(100n);
      expect(status.maxWithdrawal).to.equal(parseEther("1000"));
      expect(status.pendingRequests).to.equal(0n);
      expect(status.instantDailyCapBP).to.equal((await f.pool.getInstantRedeemParams())[2]);

      // The frame's report is in: a new request waits for the next frame's, due one slot after its reference slot.
      const block = await provider.getBlock("latest");
      const [refSlot] = await f.oracle.getCurrentFrame();
      const [genesisTime, epochsPerFrame] = await f.oracle.getFrameConfig();
      const due = genesisTime + (refSlot + epochsPerFrame * 32n + 1n) * 12n;
      expect(status.timestamp).to.equal(BigInt(block!.timestamp));
      expect(status.expectedWait).to.deep.equal({ seconds: due - status.timestamp, reason: "next-report" });
      // More than the buffer holds needs validators to exit.
      expect((await client.status(parseEther("1000"))).expectedWait).to.deep.equal({ reason: "validator-exits" });
    });

    it("says an expected wait in words, to the minute", function () {
      expect(expectedWaitText({ reason: "next-report", seconds: 28_799n })).to.equal(
        "the next oracle report, in ~7h 59m",
      );
      expect(expectedWaitText({ reason: "next-report", seconds: 59n })).to.equal("the next oracle report, in ~59s");
      expect(expectedWaitText({ reason: "next-report", seconds: 0n })).to.equal("the next oracle report (due now)");
      expect(expectedWaitText({ reason: "validator-exits" })).to.equal("a few days: validators must exit first");
      expect(expectedWaitText({ reason: "bunker-mode" })).to.equal("held back while bunker mode lasts");
    });

    it("reads the overview: validators, the last report, the fee and its split, the operators", async function () {
      const f = await loadFixture(deployWithQueue);
      const client = await TidepoolClient.connect({ runner: provider, pool: f.poolAddress });
      const overview = await client.overview();
      const [depositedValidators, beaconValidators, beaconBalance] = await f.pool.getBeaconStat();
      const report = await f.oracle.getLastReport();
      const fees = await f.oracle.getFeeConfig();
      const [genesisTime] = await f.oracle.getFrameConfig();
      const timestamp = BigInt((await provider.getBlock("latest"))!.timestamp);
      const operators = [];
      for (let id = 0n; id < (await f.registry.getNodeOperatorsCount()); id++) {
        const op = await f.registry.getNodeOperator(id);
        const running = op.depositedKeys - op.exitedKeys;
        operators.push({ id, name: op.name, depositedKeys: op.depositedKeys, exitedKeys: op.exitedKeys, running });
      }
      expect(operators.length).to.be.gt(0);
      expect(beaconValidators).to.equal(3n);
      expect(overview).to.deep.equal({
        depositedValidators,
        beaconValidators,
        beaconBalance,
        lastReport: {
          refSlot: report.refSlot,
          ageSeconds: timestamp - (genesisTime + report.refSlot * 12n),
          timeElapsedSeconds: report.timeElapsedSeconds,
        },
        protocolFeeBP: await f.oracle.feeBP(),
        treasuryFeeBP: fees.treasuryFeeBP,
        operatorsFeeBP: fees.operatorsFeeBP,
        insuranceFeeBP: fees.insuranceFeeBP,
        treasury: fees.treasury,
        operators,
        timestamp,
      });

      // Before the first report: no last report, and no operator yet.
      const fresh = await loadFixture(deployTidepoolUnlimited);
      const before = await (await TidepoolClient.connect({ runner: provider, pool: fresh.poolAddress })).overview();
      expect(before).to.not.have.property("lastReport");
      expect([before.operators, before.depositedValidators]).to.deep.equal([[], 0n]);
    });

    it("reads balances to the wei", async function () {
      const f = await withHolder();
      await (await f.wrapper.connect(f.holder).wrap(parseEther("4"))).wait();
      const client = await TidepoolClient.connect({ runner: f.holder, pool: f.poolAddress });
      const balances = await client.balances();
      expect(balances).to.deep.equal({
        account: f.holder.address,
        eth: await provider.getBalance(f.holder.address),
        tpEth: parseEther("16"),
        shares: parseEther("16"),
        wtpEth: parseEther("4"),
        wtpEthValue: parseEther("4"),
      });
      expect(await client.balances(f.users[5].address)).to.deep.include({ tpEth: 0n, shares: 0n, wtpEth: 0n });
    });
  });

  describe("staking and wrapping", function () {
    it("stakes: the shares and tpETH minted, the Staked event, the ETH spent", async function () {
      const f = await withHolder();
      const staker = f.users[1];
      const client = await TidepoolClient.connect({ runner: staker, pool: f.poolAddress });
      const before = await client.balances();
      const amount = parseEther("12.5");
      const result = await client.stake(amount, { referral: f.users[2].address });
      const after = await client.balances();
      expect(result.amount).to.equal(amount);
      expect(result.shares).to.equal(parseEther("12.5"));
      expect(after.shares - before.shares).to.equal(result.shares);
      expect(after.tpEth - before.tpEth).to.equal(result.tpEth);
      expect(result.tpEth).to.equal(amount);
      expect(before.eth - after.eth).to.equal(amount + gasCost(result.receipt));
      const [staked] = await eventsOf(result.receipt, f.pool, "Staked");
      expect(staked.args.toArray()).to.deep.equal([staker.address, amount, result.shares, f.users[2].address]);
    });

    it("rethrows a failed write as a sentence with the raw error, sending nothing", async function () {
      const f = await withHolder();
      const client = await TidepoolClient.connect({ runner: f.holder, pool: f.poolAddress });
      const nonce = await nonceOf(f.holder);
      const failure = await sdkFailure(client.stake(0n));
      expect(failure.sentence).to.equal("The amount to stake must be more than zero. (StakeZeroAmount)");
      expect(failure.message).to.equal(failure.sentence);
      expect(failure.errorName).to.equal("StakeZeroAmount");
      expect(failure.args).to.deep.equal([]);
      expect(revertData(failure.raw)).to.equal(customErrorData("StakeZeroAmount"));
      expect(describeError(failure.raw, client.interfaces)).to.equal(failure.sentence);
      expect(await nonceOf(f.holder)).to.equal(nonce);
    });

    it("refuses more than the signer holds before sending anything, saying what it holds", async function () {
      const f = await withHolder();
      const holder = f.holder.address;
      const client = await TidepoolClient.connect({ runner: f.holder, pool: f.poolAddress });
      const nonce = await nonceOf(f.holder);
      const funds = await provider.getBalance(holder);
      const stake = await sdkFailure(client.stake(funds + 1n));
      expect(stake.sentence).to.equal(
        `${holder} holds ${ethAtMost(funds)}, less than the ${eth(funds + 1n, 18)} to stake (and gas).`,
      );
      expect(stake.errorName).to.equal(undefined);
      const wrap = await sdkFailure(client.wrap(parseEther("20.5")));
      expect(wrap.sentence).to.equal(`${holder} holds 20 tpETH, less than the 20.5 tpETH to wrap.`);
      expect([wrap.errorName, wrap.args]).to.deep.equal([
        "ERC20InsufficientBalance",
        [holder, parseEther("20"), parseEther("20.5")],
      ]);
      expect((await sdkFailure(client.unwrap(1n))).sentence).to.equal(
        `${holder} holds 0 wtpETH, less than the 0.000000000000000001 wtpETH to unwrap.`,
      );
      expect(await nonceOf(f.holder)).to.equal(nonce);
    });

    it("wraps and unwraps to the wei", async function () {
      const f = await withHolder();
      const client = await TidepoolClient.connect({ runner: f.holder, pool: f.poolAddress });
      const before = await client.balances();
      const wrapped = await client.wrap(parseEther("3"));
      expect(wrapped.tpEth).to.equal(parseEther("3"));
      expect(wrapped.wtpEth).to.equal(parseEther("3"));
      const middle = await client.balances();
      expect(middle.wtpEth - before.wtpEth).to.equal(wrapped.wtpEth);
      expect(before.shares - middle.shares).to.equal(wrapped.wtpEth);
      const [deposit] = await eventsOf(wrapped.receipt, f.wrapper, "Deposit");
      expect(deposit.args.toArray()).to.deep.equal([f.holder.address, f.holder.address, wrapped.tpEth, wrapped.wtpEth]);

      const unwrapped = await client.unwrap(parseEther("1"));
      expect(unwrapped).to.deep.include({ wtpEth: parseEther("1"), tpEth: parseEther("1") });
      const after = await client.balances();
      expect(middle.wtpEth - after.wtpEth).to.equal(parseEther("1"));
      expect(after.shares - middle.shares).to.equal(parseEther("1"));

      const nonce = await nonceOf(f.holder);
      expect((await sdkFailure(client.unwrap(0n))).sentence).to.equal(
        "The amount is too small: it is worth less than the smallest unit of wtpETH. (ZeroShares)",
      );
      expect(await nonceOf(f.holder)).to.equal(nonce);
    });
  });

  describe("withdrawal requests", function () {
    it("requests with a permit: one transaction, no approval, nothing left approved", async function () {
      const f = await withHolder();
      const client = await TidepoolClient.connect({ runner: f.holder, pool: f.poolAddress });
      const nonce = await nonceOf(f.holder);
      const sharesBefore = await f.pool.sharesOf(f.holder.address);
      const result = await client.requestWithdrawals([parseEther("5"), parseEther("2.5")]);
      expect(result.authorization).to.equal("permit");
      expect(result.approval).to.equal(undefined);
      expect(await nonceOf(f.holder)).to.equal(nonce + 1);
      expect(await selectorOf(result.receipt.hash)).to.equal(
        f.withdrawalQueue.interface.getFunction("requestWithdrawalsWithPermit")!.selector,
      );
      expect(await f.pool.nonces(f.holder.address)).to.equal(1n);
      expect(await f.pool.allowance(f.holder.address, f.queueAddress)).to.equal(0n);
      expect(result.ids).to.deep.equal([1n, 2n]);
      expect(result.requests).to.deep.equal([
        { id: 1n, owner: f.holder.address, amountOfEther: parseEther("5"), amountOfShares: parseEther("5") },
        { id: 2n, owner: f.holder.address, amountOfEther: parseEther("2.5"), amountOfShares: parseEther("2.5") },
      ]);
      expect(sharesBefore - (await f.pool.sharesOf(f.holder.address))).to.equal(parseEther("7.5"));

      const block = await provider.getBlock(result.receipt.blockNumber);
      const listed = await client.requests();
      expect(listed).to.deep.equal(
        result.requests.map((r) => ({
          id: r.id,
          amountOfEther: r.amountOfEther,
          amountOfShares: r.amountOfShares,
          owner: r.owner,
          timestamp: BigInt(block!.timestamp),
          status: "pending",
          claimableEther: 0n,
          hint: 0n,
        })),
      );
    });

    it("requests wtpETH with a wtpETH permit", async function () {
      const f = await withHolder();
      const client = await TidepoolClient.connect({ runner: f.holder, pool: f.poolAddress });
      await client.wrap(parseEther("6"));
      const result = await client.requestWithdrawals([parseEther("4")], { wrapped: true });
      expect(result.authorization).to.equal("permit");
      expect(await selectorOf(result.receipt.hash)).to.equal(
        f.withdrawalQueue.interface.getFunction("requestWithdrawalsWrappedWithPermit")!.selector,
      );
      expect(result.requests).to.deep.equal([
        { id: 1n, owner: f.holder.address, amountOfEther: parseEther("4"), amountOfShares: parseEther("4") },
      ]);
      expect(await f.wrapper.balanceOf(f.holder.address)).to.equal(parseEther("2"));
      expect(await f.wrapper.allowance(f.holder.address, f.queueAddress)).to.equal(0n);
      expect(await f.wrapper.nonces(f.holder.address)).to.equal(1n);
    });

    it("falls back to an exact approval when the wallet cannot sign typed data", async function () {
      const f = await withHolder();
      const limited = new LimitedSigner(f.holder);
      const client = await TidepoolClient.connect({ runner: limited, pool: f.poolAddress });
      const nonce = await nonceOf(f.holder);
      const result = await client.requestWithdrawals([parseEther("3"), parseEther("1")], { owner: f.users[3].address });
      expect(limited.typedDataRequests).to.equal(1);
      expect(result.authorization).to.equal("approval");
      expect(await nonceOf(f.holder)).to.equal(nonce + 2);
      const [approval] = await eventsOf(result.approval!, f.pool, "Approval");
      expect(approval.args.toArray()).to.deep.equal([f.holder.address, f.queueAddress, parseEther("4")]);
      expect(await selectorOf(result.receipt.hash)).to.equal(
        f.withdrawalQueue.interface.getFunction("requestWithdrawals")!.selector,
      );
      expect(await f.pool.allowance(f.holder.address, f.queueAddress)).to.equal(0n);
      expect(await f.pool.nonces(f.holder.address)).to.equal(0n);
      expect(result.requests.map((r) => [r.id, r.owner, r.amountOfEther])).to.deep.equal([
        [1n, f.users[3].address, parseEther("3")],
        [2n, f.users[3].address, parseEther("1")],
      ]);
      expect((await client.requests(f.users[3].address)).map((r) => r.id)).to.deep.equal([1n, 2n]);
      expect(await client.requests()).to.deep.equal([]);
    });

    it("uses an allowance already in place, sending only the request", async function () {
      const f = await withHolder();
      await (await f.pool.connect(f.holder).approve(f.queueAddress, parseEther("10"))).wait();
      const client = await TidepoolClient.connect({ runner: f.holder, pool: f.poolAddress });
      const nonce = await nonceOf(f.holder);
      const result = await client.requestWithdrawals([parseEther("4")]);
      expect(result.authorization).to.equal("allowance");
      expect(await nonceOf(f.holder)).to.equal(nonce + 1);
      expect(await f.pool.allowance(f.holder.address, f.queueAddress)).to.equal(parseEther("6"));
      expect(result.ids).to.deep.equal([1n]);
    });

    it("previews a request (its ETH, shares, no fee, the wait) and refuses what would fail, sending nothing", async function () {
      const f = await withHolder();
      await (await f.wrapper.connect(f.holder).wrap(parseEther("4"))).wait();
      const holder = f.holder.address;
      const client = await TidepoolClient.connect({ runner: f.holder, pool: f.poolAddress });
      const nonce = await nonceOf(f.holder);
      const amount = parseEther("1.5");
      expect(await client.previewWithdrawal(amount)).to.deep.equal({
        amount,
        wrapped: false,
        ok: true,
        amountOfEther: amount,
        amountOfShares: await f.pool.getSharesByPooledEthRoundUp(amount),
        fee: 0n,
        expectedWait: (await client.status(amount)).expectedWait,
      });
      const value = await f.pool.getPooledEthByShares(parseEther("1"));
      expect(await client.previewWithdrawal(parseEther("1"), { wrapped: true })).to.deep.equal({
        amount: parseEther("1"),
        wrapped: true,
        ok: true,
        amountOfEther: value,
        amountOfShares: parseEther("1"),
        fee: 0n,
        expectedWait: (await client.status(value)).expectedWait,
      });

      const refused = (reason: string, errorName: string, wanted: bigint, wrapped = false, ether = wanted) => ({
        amount: wanted,
        wrapped,
        ok: false,
        reason,
        errorName,
        amountOfEther: ether,
        amountOfShares: 0n,
        fee: 0n,
      });
      const over = await client.previewWithdrawal(parseEther("16.5"));
      expect(over).to.deep.include(
        refused(
          `${holder} holds 16 tpETH, less than the 16.5 tpETH to withdraw.`,
          "ERC20InsufficientBalance",
          parseEther("16.5"),
        ),
      );
      const overWrapped = await client.previewWithdrawal(parseEther("5"), { wrapped: true });
      expect(overWrapped).to.deep.include(
        refused(
          `${holder} holds 4 wtpETH, less than the 5 wtpETH to withdraw.`,
          "ERC20InsufficientBalance",
          parseEther("5"),
          true,
          await f.pool.getPooledEthByShares(parseEther("5")),
        ),
      );
      expect(await client.previewWithdrawal(50n)).to.deep.include(
        refused(describeCustomError("RequestAmountTooSmall", [50n, 100n]), "RequestAmountTooSmall", 50n),
      );
      const oracle = await f.oracle.getAddress();
      expect((await client.previewWithdrawal(amount, { owner: oracle })).errorName).to.equal("ERC721InvalidReceiver");
      expect((await sdkFailure(client.previewWithdrawal(amount, { owner: ZeroAddress }))).sentence).to.equal(
        "The zero address cannot own a withdrawal request: leave the owner out to own it yourself, or name another address.",
      );
      // Another holder's, from a client that only reads.
      const reader = await TidepoolClient.connect({ runner: provider, pool: f.poolAddress });
      expect((await sdkFailure(reader.previewWithdrawal(amount))).sentence).to.equal(
        "This client only reads: connect it with a signer (a wallet) to send transactions.",
      );
      expect((await reader.previewWithdrawal(amount, { holder })).ok).to.equal(true);
      expect(await nonceOf(f.holder)).to.equal(nonce);

      await (await f.withdrawalQueue.connect(f.pauser).pause()).wait();
      expect(await client.previewWithdrawal(amount)).to.deep.include(
        refused(
          "Withdrawals are paused right now. Please try again later. (WithdrawalsPaused)",
          "WithdrawalsPaused",
          amount,
        ),
      );
      expect(await f.withdrawalQueue.getLastRequestId()).to.equal(0n);
    });

    it("simulates first: a request that would fail sends no approval, with the queue's own sentence", async function () {
      const f = await withHolder();
      const limited = new LimitedSigner(f.holder);
      const client = await TidepoolClient.connect({ runner: limited, pool: f.poolAddress });
      const nonce = await nonceOf(f.holder);
      const nothingSent = async (): Promise<void> => {
        expect(await nonceOf(f.holder)).to.equal(nonce);
        expect(await f.pool.allowance(f.holder.address, f.queueAddress)).to.equal(0n);
        expect(await f.withdrawalQueue.getLastRequestId()).to.equal(0n);
      };

      const tooSmall = await sdkFailure(client.requestWithdrawals([50n]));
      expect(tooSmall.sentence).to.equal(
        "A withdrawal request must be worth at least 0.0000000000000001 ETH; this one is 0.00000000000000005 ETH. (RequestAmountTooSmall)",
      );
      expect(tooSmall.errorName).to.equal("RequestAmountTooSmall");
      expect(tooSmall.args).to.deep.equal([50n, 100n]);
      await nothingSent();

      const tooLarge = await sdkFailure(client.requestWithdrawals([parseEther("1000.5")]));
      expect(tooLarge.sentence).to.equal(
        "A withdrawal request can be worth at most 1000 ETH; this one is 1000.5 ETH. Split it into several requests. (RequestAmountTooLarge)",
      );
      const overBalance = await sdkFailure(client.requestWithdrawals([parseEther("15"), parseEther("6")]));
      expect(overBalance.sentence).to.equal("Your balance (5) is below the 6 needed. (ERC20InsufficientBalance)");
      expect((await sdkFailure(client.requestWithdrawals([]))).sentence).to.equal(
        "No amount was given for the withdrawal request. (EmptyRequestList)",
      );
      expect(
        (await sdkFailure(client.requestWithdrawals([parseEther("1")], { owner: f.wrapperAddress }))).sentence,
      ).to.equal(
        `${f.wrapperAddress.slice(0, 6)}…${f.wrapperAddress.slice(-4)} is one of Tidepool's own contracts: it cannot receive this, and nothing could ever move it again. Choose another address. (ProtocolContractRefused)`,
      );
      const oracle = await f.oracle.getAddress();
      const noReceiver = await sdkFailure(client.requestWithdrawals([parseEther("1")], { owner: oracle }));
      expect(noReceiver.sentence).to.equal(
        `${oracle.slice(0, 6)}…${oracle.slice(-4)} cannot receive withdrawal requests: a contract must accept ERC-721 tokens to own them. (ERC721InvalidReceiver)`,
      );
      await (await f.withdrawalQueue.connect(f.pauser).pause()).wait();
      const nonceAfterPause = await nonceOf(f.holder);
      expect((await sdkFailure(client.requestWithdrawals([parseEther("1")]))).sentence).to.equal(
        "Withdrawals are paused right now. Please try again later. (WithdrawalsPaused)",
      );
      expect(await nonceOf(f.holder)).to.equal(nonceAfterPause);
      expect(await f.pool.allowance(f.holder.address, f.queueAddress)).to.equal(0n);
      expect(await f.withdrawalQueue.getLastRequestId()).to.equal(0n);
    });

    it("says what the queue itself would say once the tokens are approved", async function () {
      const f = await withHolder();
      const client = await TidepoolClient.connect({ runner: new LimitedSigner(f.holder), pool: f.poolAddress });
      const oracle = await f.oracle.getAddress();
      const queue = f.withdrawalQueue.connect(f.holder);
      const cases: [bigint[], string][] = [
        [[50n], ZeroAddress],
        [[parseEther("15"), parseEther("6")], ZeroAddress],
        [[parseEther("1")], oracle],
      ];
      for (const [amounts, owner] of cases) {
        const own = await sdkFailure(client.requestWithdrawals(amounts, owner === ZeroAddress ? {} : { owner }));
        await (await f.pool.connect(f.holder).approve(f.queueAddress, parseEther("30"))).wait();
        const chain = await queue.requestWithdrawals.staticCall(amounts, owner).then(
          () => expect.fail("the queue accepted it"),
          (error: unknown) => describeError(error, client.interfaces),
        );
        await (await f.pool.connect(f.holder).approve(f.queueAddress, 0n)).wait();
        expect(own.sentence).to.equal(chain);
      }
    });

    it("simulates a permit request before sending it, and sends nothing when the person declines", async function () {
      const f = await withHolder();
      const client = await TidepoolClient.connect({ runner: f.holder, pool: f.poolAddress });
      const nonce = await nonceOf(f.holder);
      expect((await sdkFailure(client.requestWithdrawals([50n]))).errorName).to.equal("RequestAmountTooSmall");
      expect(await nonceOf(f.holder)).to.equal(nonce);
      expect(await f.pool.nonces(f.holder.address)).to.equal(0n);

      const declining = await TidepoolClient.connect({
        runner: new LimitedSigner(f.holder, true),
        pool: f.poolAddress,
      });
      const declined = await sdkFailure(declining.requestWithdrawals([parseEther("1")]));
      expect(declined.sentence).to.equal("You declined the permit signature in your wallet: nothing was sent.");
      expect((declined.raw as { code: string }).code).to.equal("ACTION_REJECTED");
      expect(await nonceOf(f.holder)).to.equal(nonce);
      expect(await f.pool.allowance(f.holder.address, f.queueAddress)).to.equal(0n);
    });

    it("refuses the zero address as owner instead of replacing it, sending nothing", async function () {
      const f = await withHolder();
      const client = await TidepoolClient.connect({ runner: f.holder, pool: f.poolAddress });
      const nonce = await nonceOf(f.holder);
      const refused = await sdkFailure(client.requestWithdrawals([parseEther("1")], { owner: ZeroAddress }));
      expect(refused.sentence).to.equal(
        "The zero address cannot own a withdrawal request: leave the owner out to own it yourself, or name another address.",
      );
      expect((await sdkFailure(client.requestWithdrawals([parseEther("1")], { owner: "0xabc" }))).sentence).to.equal(
        'The owner "0xabc" is not an address.',
      );
      expect(await nonceOf(f.holder)).to.equal(nonce);
      expect(await f.withdrawalQueue.getLastRequestId()).to.equal(0n);
    });
  });

  describe("claims", function () {
    it("claims nothing without error when nothing is claimable, then every claimable request with hints", async function () {
      const f = await loadFixture(deployWithQueue);
      const [holder, other] = f.holders;
      const client = await TidepoolClient.connect({ runner: holder, pool: f.poolAddress });
      const nonce = await nonceOf(holder);
      expect(await client.claim()).to.deep.equal({ ids: [], claims: [], ethOut: 0n });
      expect(await client.claim([])).to.deep.equal({ ids: [], claims: [], ethOut: 0n });
      expect(await nonceOf(holder)).to.equal(nonce);

      const { ids } = await client.requestWithdrawals([parseEther("3"), parseEther("2")]);
      expect(ids).to.deep.equal([1n, 2n]);
      expect(await client.claim()).to.deep.equal({ ids: [], claims: [], ethOut: 0n });
      expect((await sdkFailure(client.claim([1n]))).sentence).to.equal(
        "Withdrawal request #1 is not ready to claim yet. (RequestNotFinalized)",
      );

      await f.finalize(1n);
      const listed = await client.requests();
      expect(listed.map((r) => [r.id, r.status, r.claimableEther, r.hint])).to.deep.equal([
        [1n, "claimable", parseEther("3"), 1n],
        [2n, "pending", 0n, 0n],
      ]);
      expect(await client.claimHints([1n, 2n])).to.deep.equal([1n, 0n]);
      expect(await client.claimHints([1n, 2n])).to.deep.equal([
        ...(await f.queue.findCheckpointHints([1n, 2n], 1n, 1n)),
      ]);

      const ethBefore = await provider.getBalance(holder.address);
      const claimed = await client.claim();
      expect(claimed.ids).to.deep.equal([1n]);
      expect(claimed.ethOut).to.equal(parseEther("3"));
      expect(claimed.claims).to.deep.equal([
        { id: 1n, owner: holder.address, receiver: holder.address, amountOfEther: parseEther("3") },
      ]);
      expect(await provider.getBalance(holder.address)).to.equal(
        ethBefore + parseEther("3") - gasCost(claimed.receipt!),
      );
      expect(await selectorOf(claimed.receipt!.hash)).to.equal(
        f.queue.interface.getFunction("claimWithdrawals")!.selector,
      );
      const [one] = await client.requestStatuses([1n]);
      expect([one.status, one.claimableEther, one.owner]).to.deep.equal(["claimed", 0n, holder.address]);
      expect((await sdkFailure(client.claim([1n]))).sentence).to.equal(
        "Withdrawal request #1 has already been claimed. (RequestAlreadyClaimed)",
      );

      await f.finalize(2n);
      const otherBefore = await provider.getBalance(other.address);
      const toOther = await client.claim(undefined, { recipient: other.address });
      expect(toOther.claims).to.deep.equal([
        { id: 2n, owner: holder.address, receiver: other.address, amountOfEther: parseEther("2") },
      ]);
      expect(await provider.getBalance(other.address)).to.equal(otherBefore + parseEther("2"));
      expect(await client.requests()).to.deep.equal([]);
      expect((await sdkFailure(client.claim([2n], { recipient: ZeroAddress }))).sentence).to.equal(
        "The recipient must not be the zero address. (ZeroRecipient)",
      );
    });
  });

  describe("instant redemption", function () {
    it("previews to the wei, with the minimum out for a slippage tolerance", async function () {
      const f = await withHolder();
      const client = await TidepoolClient.connect({ runner: f.holder, pool: f.poolAddress });
      const status = await client.status();
      const amount = parseEther("0.1");
      const [ethOut, fee] = await f.pool.previewInstantRedeem(amount);
      const preview = await client.previewInstantRedeem(amount, 50n);
      expect(preview).to.deep.equal({
        amount,
        ok: true,
        ethOut,
        fee,
        feeBP: (fee * 20_000n + amount) / (2n * amount),
        slippageBP: 50n,
        minOut: (ethOut * 9_950n) / 10_000n,
        redeemableNow: status.redeemableNow,
      });
      expect(fee > 0n && ethOut + fee === amount).to.equal(true);
      const reader = await TidepoolClient.connect({ runner: provider, pool: f.poolAddress });
      expect(await reader.previewInstantRedeem(amount, 0n)).to.deep.include({ ok: true, ethOut, minOut: ethOut });
      expect((await sdkFailure(client.previewInstantRedeem(amount, 10_001n))).sentence).to.equal(
        "A slippage tolerance of 10001 basis points is not between 0 and 10000.",
      );
    });

    it("refuses, rather than quotes, what cannot be redeemed now", async function () {
      const f = await withHolder();
      const client = await TidepoolClient.connect({ runner: f.holder, pool: f.poolAddress });
      const { redeemableNow, instantLiquidity, instantRemainingToday } = await client.status();
      expect(redeemableNow).to.equal(
        instantRemainingToday < instantLiquidity ? instantRemainingToday : instantLiquidity,
      );
      const beyond = await client.previewInstantRedeem(redeemableNow + 1n, 50n);
      const binding =
        instantRemainingToday < instantLiquidity
          ? describeCustomError("InstantRedeemFrameCapExceeded", [redeemableNow + 1n, instantRemainingToday])
          : describeCustomError("InsufficientInstantLiquidity", [redeemableNow + 1n, instantLiquidity]);
      expect(beyond).to.deep.equal({
        amount: redeemableNow + 1n,
        ok: false,
        reason: binding,
        errorName:
          instantRemainingToday < instantLiquidity ? "InstantRedeemFrameCapExceeded" : "InsufficientInstantLiquidity",
        ethOut: 0n,
        fee: 0n,
        feeBP: 0n,
        slippageBP: 50n,
        minOut: 0n,
        redeemableNow,
      });
      expect((await client.previewInstantRedeem(redeemableNow, 50n)).ok).to.equal(true);

      const small = client.connect(f.users[1]);
      await small.stake(parseEther("0.05"));
      const short = await small.previewInstantRedeem(parseEther("0.1"), 0n);
      expect([short.ok, short.reason, short.errorName]).to.deep.equal([
        false,
        `${f.users[1].address} holds 0.05 tpETH, less than the 0.1 tpETH to redeem.`,
        "ERC20InsufficientBalance",
      ]);
      expect((await client.previewInstantRedeem(0n, 0n)).reason).to.equal(
        "The amount to redeem must be more than zero. (InstantRedeemZeroAmount)",
      );
      await (await f.pool.connect(f.pauser).pause(2)).wait();
      const paused = await client.previewInstantRedeem(parseEther("0.1"), 0n);
      expect([paused.ok, paused.reason, paused.redeemableNow]).to.deep.equal([
        false,
        "Instant redemption is paused right now. You can still request a withdrawal. (InstantRedeemPaused)",
        0n,
      ]);
    });

    it("redeems with the preview's minimum: ETH received, shares burned, the event", async function () {
      const f = await withHolder();
      const client = await TidepoolClient.connect({ runner: f.holder, pool: f.poolAddress });
      const amount = parseEther("0.15");
      const preview = await client.previewInstantRedeem(amount, 100n);
      const before = await client.balances();
      const result = await client.instantRedeem(amount, { minOut: preview.minOut });
      const after = await client.balances();
      expect(result).to.deep.include({ amount, ethOut: preview.ethOut, fee: preview.fee, recipient: f.holder.address });
      expect(after.eth).to.equal(before.eth + result.ethOut - gasCost(result.receipt));
      expect(before.shares - after.shares).to.equal(result.shares);
      expect(result.shares).to.equal(amount);
      const [event] = await eventsOf(result.receipt, f.pool, "InstantRedeemed");
      expect(event.args.toArray()).to.deep.equal([
        f.holder.address,
        f.holder.address,
        amount,
        result.shares,
        result.ethOut,
        result.fee,
      ]);
    });

    it("refuses a redemption below the minimum before sending it", async function () {
      const f = await withHolder();
      const client = await TidepoolClient.connect({ runner: f.holder, pool: f.poolAddress });
      const preview = await client.previewInstantRedeem(parseEther("0.1"), 0n);
      expect(preview.ok).to.equal(true);
      const nonce = await nonceOf(f.holder);
      const failure = await sdkFailure(client.instantRedeem(parseEther("0.1"), { minOut: preview.ethOut + 1n }));
      expect(failure.sentence).to.equal(
        `You would receive ${eth(preview.ethOut, 18)}, less than your minimum of ${eth(preview.ethOut + 1n, 18)}: the fee rose since the preview. Review the new preview and try again. (SlippageExceeded)`,
      );
      expect(failure.args).to.deep.equal([preview.ethOut, preview.ethOut + 1n]);
      expect(await nonceOf(f.holder)).to.equal(nonce);
    });
  });
});
