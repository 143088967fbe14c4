import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  ZeroAddress,
  ZeroHash,
  concat,
  formatEther,
  id as keccakId,
  parseEther,
  toBeHex,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
} from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployWithQueue, type WithdrawalFixture } from "../helpers/withdrawal-fixtures";
import { toGwei } from "../helpers/oracle-fixtures";
import { PERMIT_BYTES, PERMIT_VRS, signMultisigPermit, signPermit, type PermitToken } from "../helpers/permit";
import type { WithdrawalClaimer__Mock } from "../../typechain-types";
import type { IWithdrawalQueue } from "../../typechain-types/contracts/withdrawals/WithdrawalQueue";

// ──────────────────────────────── Rules (docs/protocol.md §3) ───────────────────────────

const MIN = 100n;
const MAX = parseEther("1000");
const RAY = 10n ** 27n;
/** The CL balance of the rewards report: +0.02 ETH on the fixture's 96 ETH (~7.6% APR over a frame). */
const REWARDED_CL = parseEther("96.02");

const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;
const sum = (xs: bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);
/** Wei as decimal ETH without trailing zeros (the metadata's format). */
const ethString = (wei: bigint): string => formatEther(wei).replace(/\.0$/, "");
/** The ERC-165 id of a set of function signatures: XOR of their selectors. */
const interfaceId = (signatures: string[]): string =>
  "0x" +
  signatures
    .map((s) => BigInt(keccakId(s).slice(0, 10)))
    .reduce((a, b) => a ^ b, 0n)
    .toString(16)
    .padStart(8, "0");

// ──────────────────────────────── Fixtures ────────────────────────────────

type WhaleFixture = WithdrawalFixture & { whale: HardhatEthersSigner };

/** The queue fixture after a report with +0.02 ETH of rewards: the share rate is above 1. */
async function deployWithRewards(): Promise<WithdrawalFixture> {
  const f = await loadFixture(deployWithQueue);
  await f.report({ numValidators: 3n, clBalanceGwei: toGwei(REWARDED_CL) });
  return f;
}

/** The queue fixture plus a holder (users[5]) with 1001 ETH staked. */
async function deployWithWhale(): Promise<WhaleFixture> {
  const f = await loadFixture(deployWithQueue);
  const whale = f.users[5];
  await (await f.pool.connect(whale).stake(ZeroAddress, { value: parseEther("1001") })).wait();
  return { ...f, whale };
}

/** {deployWithWhale} after a report with +0.02 ETH of rewards. */
async function deployWithWhaleAndRewards(): Promise<WhaleFixture> {
  const f = await loadFixture(deployWithWhale);
  await f.report({ numValidators: 3n, clBalanceGwei: toGwei(REWARDED_CL) });
  return f;
}

// ──────────────────────────────── Helpers ────────────────────────────────

async function mined(tx: Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("no receipt");
  return receipt;
}

async function blockTime(receipt: ContractTransactionReceipt): Promise<bigint> {
  const block = await ethers.provider.getBlock(receipt.blockNumber);
  if (block === null) throw new Error("no block");
  return BigInt(block.timestamp);
}

type LoggedEvent = unknown[];

/** Every event the queue emitted in `receipt`, in order, as [name, ...args]. */
function queueEvents(f: WithdrawalFixture, receipt: ContractTransactionReceipt): LoggedEvent[] {
  const events: LoggedEvent[] = [];
  for (const log of receipt.logs) {
    if (log.address !== f.queueAddress) continue;
    const parsed = f.queue.interface.parseLog(log);
    if (parsed !== null) events.push([parsed.name, ...parsed.args.toArray()]);
  }
  return events;
}

/** Per request, in order: the mint's Transfer(0, owner, id), then WithdrawalRequested. */
function requestEvents(
  firstId: bigint,
  requestor: string,
  owner: string,
  ether: bigint[],
  shares: bigint[],
): LoggedEvent[] {
  return ether.flatMap((e, i) => [
    ["Transfer", ZeroAddress, owner, firstId + BigInt(i)],
    ["WithdrawalRequested", firstId + BigInt(i), requestor, owner, e, shares[i]],
  ]);
}

interface Status {
  amountOfEther: bigint;
  amountOfShares: bigint;
  owner: string;
  timestamp: bigint;
  isFinalized: boolean;
  isClaimed: boolean;
}

async function statuses(f: WithdrawalFixture, ids: bigint[]): Promise<Status[]> {
  const result = await f.queue.getWithdrawalStatus(ids);
  return result.map((s) => ({
    amountOfEther: s.amountOfEther,
    amountOfShares: s.amountOfShares,
    owner: s.owner,
    timestamp: s.timestamp,
    isFinalized: s.isFinalized,
    isClaimed: s.isClaimed,
  }));
}

function pending(ether: bigint[], shares: bigint[], owner: string, timestamp: bigint): Status[] {
  return ether.map((e, i) => ({
    amountOfEther: e,
    amountOfShares: shares[i],
    owner,
    timestamp,
    isFinalized: false,
    isClaimed: false,
  }));
}

async function requestsOf(f: WithdrawalFixture, owner: string): Promise<bigint[]> {
  return [...(await f.queue.getWithdrawalRequests(owner))];
}

/** Everything a failed request or transfer must leave untouched. */
async function snapshot(f: WithdrawalFixture, accounts: string[]) {
  const q = f.queue;
  const perAccount = [];
  for (const a of accounts) {
    perAccount.push({
      account: a,
      shares: await f.pool.sharesOf(a),
      wtpEth: await f.wrapper.balanceOf(a),
      poolAllowance: await f.pool.allowance(a, f.queueAddress),
      wrapperAllowance: await f.wrapper.allowance(a, f.queueAddress),
      poolNonce: await f.pool.nonces(a),
      wrapperNonce: await f.wrapper.nonces(a),
      nfts: await q.balanceOf(a),
      requests: await requestsOf(f, a),
    });
  }
  const lastRequestId = await q.getLastRequestId();
  const owners = [];
  for (let id = 1n; id <= lastRequestId; id++) owners.push((await statuses(f, [id]))[0]);
  return {
    lastRequestId,
    lastFinalizedId: await q.getLastFinalizedRequestId(),
    unfinalizedEther: await q.unfinalizedEther(),
    queuedShares: await q.queuedShares(),
    lockedEther: await q.lockedEther(),
    queueShares: await f.pool.sharesOf(f.queueAddress),
    queueBalance: await ethers.provider.getBalance(f.queueAddress),
    wrapperSupply: await f.wrapper.totalSupply(),
    totalShares: await f.pool.totalShares(),
    totalPooledEther: await f.pool.totalPooledEther(),
    paused: await q.withdrawalsPaused(),
    requests: owners,
    perAccount,
  };
}

async function deadlineIn(seconds: bigint): Promise<bigint> {
  return BigInt(await time.latest()) + seconds;
}

async function permitFor(
  token: PermitToken,
  signer: HardhatEthersSigner,
  spender: string,
  value: bigint,
  deadline: bigint,
): Promise<IWithdrawalQueue.PermitInputStruct> {
  const { v, r, s } = await signPermit(token, signer, spender, value, deadline);
  return { value, deadline, v, r, s };
}

/** Wraps `tpEth` for `holder`, approves `allowance` wtpETH to the queue; returns the wtpETH minted. */
async function wrapFor(f: WithdrawalFixture, holder: HardhatEthersSigner, tpEth: bigint, allowance?: bigint) {
  const before = await f.wrapper.balanceOf(holder.address);
  await mined(f.wrapper.connect(holder).wrap(tpEth));
  const minted = (await f.wrapper.balanceOf(holder.address)) - before;
  if (allowance !== undefined) await mined(f.wrapper.connect(holder).approve(f.queueAddress, allowance));
  return minted;
}

async function claimerMock(f: WithdrawalFixture, refuseNfts: boolean): Promise<WithdrawalClaimer__Mock> {
  const mock = await ethers.deployContract("WithdrawalClaimer__Mock", [f.queueAddress, f.poolAddress]);
  await mined(mock.setRefuseNfts(refuseNfts));
  return mock;
}

async function hintsFor(f: WithdrawalFixture, ids: bigint[]): Promise<bigint[]> {
  return [...(await f.queue.findCheckpointHints(ids, 1n, await f.queue.getLastCheckpointIndex()))];
}

interface Attribute {
  trait_type: string;
  value: string | number;
  display_type?: string;
}

interface Metadata {
  name: string;
  description: string;
  image: string;
  attributes: Attribute[];
}

const JSON_PREFIX = "data:application/json;base64,";
const SVG_PREFIX = "data:image/svg+xml;base64,";

async function metadata(f: WithdrawalFixture, id: bigint): Promise<{ json: Metadata; svg: string }> {
  const uri = await f.queue.tokenURI(id);
  expect(uri.startsWith(JSON_PREFIX)).to.equal(true);
  const json = JSON.parse(Buffer.from(uri.slice(JSON_PREFIX.length), "base64").toString("utf8")) as Metadata;
  expect(json.image.startsWith(SVG_PREFIX)).to.equal(true);
  const svg = Buffer.from(json.image.slice(SVG_PREFIX.length), "base64").toString("utf8");
  return { json, svg };
}

function attributes(status: string, ether: bigint, claimable: bigint, shares: bigint, timestamp: bigint): Attribute[] {
  return [
    { trait_type: "Status", value: status },
    { trait_type: "Requested ETH", value: ethString(ether) },
    { trait_type: "Claimable ETH", value: ethString(claimable) },
    { trait_type: "Shares", value: shares.toString() },
    { display_type: "date", trait_type: "Requested at", value: Number(timestamp) },
  ];
}

// ──────────────────────────────── Tests ────────────────────────────────

describe("WithdrawalQueue requests and ERC-721", function () {
  describe("requestWithdrawals (tpETH)", function () {
    it("numbers a batch 1..n, locks ceil(amount × S / P) shares each and emits Transfer(0, owner, id) + WithdrawalRequested per request", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice] = f.holders;
      const amounts = [parseEther("1"), parseEther("2.5"), MIN, parseEther("0.333333333333333333")];
      const [S, P] = [await f.pool.totalShares(), await f.pool.totalPooledEther()];
      const shares = amounts.map((a) => ceilDiv(a * S, P));
      for (const [i, a] of amounts.entries()) expect(await f.pool.getSharesByPooledEthRoundUp(a)).to.equal(shares[i]);
      const extra = 7n;
      await mined(f.pool.connect(alice).approve(f.queueAddress, sum(amounts) + extra));
      const aliceShares = await f.pool.sharesOf(alice.address);
      const queueShares = await f.pool.sharesOf(f.queueAddress);

      expect([...(await f.queue.connect(alice).requestWithdrawals.staticCall(amounts, ZeroAddress))]).to.deep.equal([
        1n,
        2n,
        3n,
        4n,
      ]);
      const receipt = await mined(f.queue.connect(alice).requestWithdrawals(amounts, ZeroAddress));
      const ts = await blockTime(receipt);

      expect(queueEvents(f, receipt)).to.deep.equal(requestEvents(1n, alice.address, alice.address, amounts, shares));
      expect(await f.pool.sharesOf(alice.address)).to.equal(aliceShares - sum(shares));
      expect(await f.pool.sharesOf(f.queueAddress)).to.equal(queueShares + sum(shares));
      expect(await f.pool.allowance(alice.address, f.queueAddress)).to.equal(extra);
      expect(await statuses(f, [1n, 2n, 3n, 4n])).to.deep.equal(pending(amounts, shares, alice.address, ts));
      expect(await f.queue.getLastRequestId()).to.equal(4n);
      expect(await f.queue.getLastFinalizedRequestId()).to.equal(0n);
      expect(await f.queue.unfinalizedEther()).to.equal(sum(amounts));
      expect(await f.queue.queuedShares()).to.equal(sum(shares));
      expect(await f.queue.balanceOf(alice.address)).to.equal(4n);
      expect(await requestsOf(f, alice.address)).to.deep.equal([1n, 2n, 3n, 4n]);
      for (const id of [1n, 2n, 3n, 4n]) expect(await f.queue.ownerOf(id)).to.equal(alice.address);
    });

    it("after a rewards report (rate > 1) locks the rounded-up shares, and ids and sums continue across callers", async function () {
      const f = await loadFixture(deployWithRewards);
      const [alice, bob] = f.holders;
      const [S, P] = [await f.pool.totalShares(), await f.pool.totalPooledEther()];
      expect(P > S).to.equal(true);
      const amounts = [parseEther("1"), 12_345n, parseEther("3") + 7n];
      const shares = amounts.map((a) => ceilDiv(a * S, P));
      // The rate is not 1:1 and rounding up matters for these amounts.
      for (const [i, a] of amounts.entries()) {
        expect(shares[i]).to.be.lessThan(a);
        expect((a * S) % P).to.not.equal(0n);
        expect(await f.pool.getSharesByPooledEthRoundUp(a)).to.equal(shares[i]);
      }

      await mined(f.pool.connect(alice).approve(f.queueAddress, amounts[0]));
      const aliceShares = await f.pool.sharesOf(alice.address);
      const r1 = await mined(f.queue.connect(alice).requestWithdrawals([amounts[0]], ZeroAddress));
      const t1 = await blockTime(r1);
      expect(queueEvents(f, r1)).to.deep.equal(
        requestEvents(1n, alice.address, alice.address, [amounts[0]], [shares[0]]),
      );
      expect(await f.pool.sharesOf(alice.address)).to.equal(aliceShares - shares[0]);
      expect(await f.pool.allowance(alice.address, f.queueAddress)).to.equal(0n);

      const rest = amounts.slice(1);
      await mined(f.pool.connect(bob).approve(f.queueAddress, sum(rest)));
      const bobShares = await f.pool.sharesOf(bob.address);
      const r2 = await mined(f.queue.connect(bob).requestWithdrawals(rest, ZeroAddress));
      const t2 = await blockTime(r2);
      expect(queueEvents(f, r2)).to.deep.equal(requestEvents(2n, bob.address, bob.address, rest, shares.slice(1)));
      expect(await f.pool.sharesOf(bob.address)).to.equal(bobShares - sum(shares.slice(1)));
      expect(await f.pool.sharesOf(f.queueAddress)).to.equal(sum(shares));
      expect(await f.pool.allowance(bob.address, f.queueAddress)).to.equal(0n);

      expect(await statuses(f, [1n, 2n, 3n])).to.deep.equal([
        ...pending([amounts[0]], [shares[0]], alice.address, t1),
        ...pending(rest, shares.slice(1), bob.address, t2),
      ]);
      expect(await f.queue.getLastRequestId()).to.equal(3n);
      expect(await f.queue.unfinalizedEther()).to.equal(sum(amounts));
      expect(await f.queue.queuedShares()).to.equal(sum(shares));
      expect(await requestsOf(f, alice.address)).to.deep.equal([1n]);
      expect(await requestsOf(f, bob.address)).to.deep.equal([2n, 3n]);
    });

    it("gives the requests to `owner` when one is named (the caller's tokens are locked), to the caller for zero", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice, bob] = f.holders;
      const amounts = [parseEther("1"), parseEther("2")];
      await mined(f.pool.connect(alice).approve(f.queueAddress, sum(amounts) + parseEther("1")));
      const aliceShares = await f.pool.sharesOf(alice.address);
      const bobShares = await f.pool.sharesOf(bob.address);

      const r1 = await mined(f.queue.connect(alice).requestWithdrawals(amounts, bob.address));
      const t1 = await blockTime(r1);
      expect(queueEvents(f, r1)).to.deep.equal(requestEvents(1n, alice.address, bob.address, amounts, amounts));
      expect(await f.pool.sharesOf(alice.address)).to.equal(aliceShares - sum(amounts));
      expect(await f.pool.sharesOf(bob.address)).to.equal(bobShares);
      expect(await f.queue.ownerOf(1n)).to.equal(bob.address);
      expect(await f.queue.ownerOf(2n)).to.equal(bob.address);
      expect(await f.queue.balanceOf(alice.address)).to.equal(0n);
      expect(await f.queue.balanceOf(bob.address)).to.equal(2n);
      expect(await requestsOf(f, alice.address)).to.deep.equal([]);
      expect(await requestsOf(f, bob.address)).to.deep.equal([1n, 2n]);
      expect(await statuses(f, [1n, 2n])).to.deep.equal(pending(amounts, amounts, bob.address, t1));

      const r2 = await mined(f.queue.connect(alice).requestWithdrawals([parseEther("1")], ZeroAddress));
      expect(queueEvents(f, r2)).to.deep.equal(
        requestEvents(3n, alice.address, alice.address, [parseEther("1")], [parseEther("1")]),
      );
      expect(await f.queue.ownerOf(3n)).to.equal(alice.address);
      expect(await requestsOf(f, alice.address)).to.deep.equal([3n]);
      expect(await f.pool.allowance(alice.address, f.queueAddress)).to.equal(0n);
    });
  });

  describe("requestWithdrawalsWrapped", function () {
    it("locks exactly the wtpETH amounts as shares and requests their value rounded down", async function () {
      const f = await loadFixture(deployWithRewards);
      const [alice] = f.holders;
      const minted = await wrapFor(f, alice, parseEther("10"));
      const amounts = [parseEther("1"), parseEther("2.345678901234567891"), 101n];
      const extra = 5n;
      await mined(f.wrapper.connect(alice).approve(f.queueAddress, sum(amounts) + extra));
      const [S, P] = [await f.pool.totalShares(), await f.pool.totalPooledEther()];
      expect(P > S).to.equal(true);
      const ether = amounts.map((w) => (w * P) / S);
      for (const [i, w] of amounts.entries()) expect(await f.pool.getPooledEthByShares(w)).to.equal(ether[i]);
      expect(amounts.some((w) => (w * P) % S !== 0n)).to.equal(true);
      const aliceShares = await f.pool.sharesOf(alice.address);
      const supply = await f.wrapper.totalSupply();

      const receipt = await mined(f.queue.connect(alice).requestWithdrawalsWrapped(amounts, ZeroAddress));
      const ts = await blockTime(receipt);
      expect(queueEvents(f, receipt)).to.deep.equal(requestEvents(1n, alice.address, alice.address, ether, amounts));
      expect(await f.wrapper.balanceOf(alice.address)).to.equal(minted - sum(amounts));
      expect(await f.wrapper.allowance(alice.address, f.queueAddress)).to.equal(extra);
      expect(await f.wrapper.totalSupply()).to.equal(supply - sum(amounts));
      expect(await f.pool.sharesOf(alice.address)).to.equal(aliceShares);
      expect(await f.pool.sharesOf(f.queueAddress)).to.equal(sum(amounts));
      expect(await statuses(f, [1n, 2n, 3n])).to.deep.equal(pending(ether, amounts, alice.address, ts));
      expect(await f.queue.unfinalizedEther()).to.equal(sum(ether));
      expect(await f.queue.queuedShares()).to.equal(sum(amounts));
      expect(await f.queue.getLastRequestId()).to.equal(3n);
      expect(await requestsOf(f, alice.address)).to.deep.equal([1n, 2n, 3n]);
    });

    it("gives wrapped requests to a named owner; too little wtpETH allowance or balance reverts with the wrapper's error", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice, bob] = f.holders;
      const minted = await wrapFor(f, alice, parseEther("3"), parseEther("1"));
      const accounts = [alice.address, bob.address];

      const before = await snapshot(f, accounts);
      await expect(f.queue.connect(alice).requestWithdrawalsWrapped([parseEther("0.5"), parseEther("0.5") + 1n], bob))
        .to.be.revertedWithCustomError(f.wrapper, "ERC20InsufficientAllowance")
        .withArgs(f.queueAddress, parseEther("0.5"), parseEther("0.5") + 1n);
      expect(await snapshot(f, accounts)).to.deep.equal(before);

      await mined(f.wrapper.connect(alice).approve(f.queueAddress, minted + 1n));
      await expect(f.queue.connect(alice).requestWithdrawalsWrapped([minted + 1n], bob))
        .to.be.revertedWithCustomError(f.wrapper, "ERC20InsufficientBalance")
        .withArgs(alice.address, minted, minted + 1n);

      const amount = parseEther("1");
      const ether = await f.pool.getPooledEthByShares(amount);
      await expect(f.queue.connect(alice).requestWithdrawalsWrapped([amount], bob.address))
        .to.emit(f.queue, "WithdrawalRequested")
        .withArgs(1n, alice.address, bob.address, ether, amount)
        .and.to.emit(f.queue, "Transfer")
        .withArgs(ZeroAddress, bob.address, 1n);
      expect(await f.queue.ownerOf(1n)).to.equal(bob.address);
      expect(await requestsOf(f, bob.address)).to.deep.equal([1n]);
      expect(await requestsOf(f, alice.address)).to.deep.equal([]);
      expect(await f.wrapper.balanceOf(alice.address)).to.equal(minted - amount);
      expect(await f.wrapper.balanceOf(bob.address)).to.equal(0n);
    });
  });

  describe("permits", function () {
    it("requestWithdrawalsWithPermit applies a valid tpETH permit and spends it exactly", async function () {
      const f = await loadFixture(deployWithRewards);
      const [alice] = f.holders;
      const amounts = [parseEther("1"), parseEther("0.5")];
      const shares = await Promise.all(amounts.map((a) => f.pool.getSharesByPooledEthRoundUp(a)));
      const extra = 11n;
      const permit = await permitFor(f.pool, alice, f.queueAddress, sum(amounts) + extra, await deadlineIn(3600n));
      expect(await f.pool.allowance(alice.address, f.queueAddress)).to.equal(0n);
      const nonce = await f.pool.nonces(alice.address);

      const tx = f.queue.connect(alice).requestWithdrawalsWithPermit(amounts, ZeroAddress, permit);
      await expect(tx)
        .to.emit(f.pool, "Approval")
        .withArgs(alice.address, f.queueAddress, sum(amounts) + extra);
      const receipt = await mined(tx);
      expect(queueEvents(f, receipt)).to.deep.equal(requestEvents(1n, alice.address, alice.address, amounts, shares));
      expect(await f.pool.nonces(alice.address)).to.equal(nonce + 1n);
      expect(await f.pool.allowance(alice.address, f.queueAddress)).to.equal(extra);
      expect(await f.pool.sharesOf(f.queueAddress)).to.equal(sum(shares));
    });

    it("requestWithdrawalsWrappedWithPermit applies a valid wtpETH permit and spends it exactly", async function () {
      const f = await loadFixture(deployWithRewards);
      const [alice, bob] = f.holders;
      const minted = await wrapFor(f, alice, parseEther("4"));
      const amounts = [parseEther("2"), parseEther("1.25")];
      const ether = await Promise.all(amounts.map((w) => f.pool.getPooledEthByShares(w)));
      const permit = await permitFor(f.wrapper, alice, f.queueAddress, sum(amounts), await deadlineIn(3600n));
      const nonce = await f.wrapper.nonces(alice.address);

      const tx = f.queue.connect(alice).requestWithdrawalsWrappedWithPermit(amounts, bob.address, permit);
      await expect(tx).to.emit(f.wrapper, "Approval").withArgs(alice.address, f.queueAddress, sum(amounts));
      const receipt = await mined(tx);
      expect(queueEvents(f, receipt)).to.deep.equal(requestEvents(1n, alice.address, bob.address, ether, amounts));
      expect(await f.wrapper.nonces(alice.address)).to.equal(nonce + 1n);
      expect(await f.wrapper.allowance(alice.address, f.queueAddress)).to.equal(0n);
      expect(await f.wrapper.balanceOf(alice.address)).to.equal(minted - sum(amounts));
      expect(await requestsOf(f, bob.address)).to.deep.equal([1n, 2n]);
    });

    it("goes on when someone submitted the same tpETH permit to the pool first (front-run)", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice, mallory] = f.holders;
      const amounts = [parseEther("1"), parseEther("2")];
      const value = sum(amounts) + 3n;
      const permit = await permitFor(f.pool, alice, f.queueAddress, value, await deadlineIn(3600n));
      await mined(
        f.pool
          .connect(mallory)
          [PERMIT_VRS](alice.address, f.queueAddress, permit.value, permit.deadline, permit.v, permit.r, permit.s),
      );
      expect(await f.pool.allowance(alice.address, f.queueAddress)).to.equal(value);
      const nonce = await f.pool.nonces(alice.address);
      const aliceShares = await f.pool.sharesOf(alice.address);

      const receipt = await mined(f.queue.connect(alice).requestWithdrawalsWithPermit(amounts, ZeroAddress, permit));
      expect(queueEvents(f, receipt)).to.deep.equal(requestEvents(1n, alice.address, alice.address, amounts, amounts));
      expect(await f.pool.allowance(alice.address, f.queueAddress)).to.equal(3n);
      expect(await f.pool.nonces(alice.address)).to.equal(nonce);
      expect(await f.pool.sharesOf(alice.address)).to.equal(aliceShares - sum(amounts));
    });

    it("goes on when someone submitted the same wtpETH permit to the wrapper first (front-run)", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice, mallory] = f.holders;
      const minted = await wrapFor(f, alice, parseEther("2"));
      const amounts = [parseEther("1.5")];
      const permit = await permitFor(f.wrapper, alice, f.queueAddress, amounts[0], await deadlineIn(3600n));
      await mined(
        f.wrapper
          .connect(mallory)
          [PERMIT_VRS](alice.address, f.queueAddress, permit.value, permit.deadline, permit.v, permit.r, permit.s),
      );
      const ether = [await f.pool.getPooledEthByShares(amounts[0])];

      const receipt = await mined(
        f.queue.connect(alice).requestWithdrawalsWrappedWithPermit(amounts, ZeroAddress, permit),
      );
      expect(queueEvents(f, receipt)).to.deep.equal(requestEvents(1n, alice.address, alice.address, ether, amounts));
      expect(await f.wrapper.allowance(alice.address, f.queueAddress)).to.equal(0n);
      expect(await f.wrapper.balanceOf(alice.address)).to.equal(minted - amounts[0]);
    });

    it("reverts PermitFailedAndAllowanceTooLow(allowance, needed) when the permit fails and the allowance is short", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice, bob] = f.holders;
      await wrapFor(f, alice, parseEther("3"));
      const amounts = [parseEther("1"), parseEther("1.5")];
      const needed = sum(amounts);
      const accounts = [alice.address, bob.address];

      // Expired, no allowance.
      const expired = await permitFor(f.pool, alice, f.queueAddress, needed, await deadlineIn(-1n));
      let before = await snapshot(f, accounts);
      await expect(f.queue.connect(alice).requestWithdrawalsWithPermit(amounts, ZeroAddress, expired))
        .to.be.revertedWithCustomError(f.queue, "PermitFailedAndAllowanceTooLow")
        .withArgs(0n, needed);
      expect(await snapshot(f, accounts)).to.deep.equal(before);

      // Signed by someone else, with an allowance one wei short.
      await mined(f.pool.connect(alice).approve(f.queueAddress, needed - 1n));
      const { v, r, s } = await signPermit(f.pool, bob, f.queueAddress, needed, await deadlineIn(3600n), {
        owner: alice.address,
      });
      const forged = { value: needed, deadline: await deadlineIn(3600n), v, r, s };
      before = await snapshot(f, accounts);
      await expect(f.queue.connect(alice).requestWithdrawalsWithPermit(amounts, ZeroAddress, forged))
        .to.be.revertedWithCustomError(f.queue, "PermitFailedAndAllowanceTooLow")
        .withArgs(needed - 1n, needed);
      expect(await snapshot(f, accounts)).to.deep.equal(before);

      // The wrapped entry point: a tpETH permit is no wtpETH permit.
      const wrongToken = await permitFor(f.pool, alice, f.queueAddress, needed, await deadlineIn(3600n));
      before = await snapshot(f, accounts);
      await expect(f.queue.connect(alice).requestWithdrawalsWrappedWithPermit(amounts, ZeroAddress, wrongToken))
        .to.be.revertedWithCustomError(f.queue, "PermitFailedAndAllowanceTooLow")
        .withArgs(0n, needed);
      expect(await snapshot(f, accounts)).to.deep.equal(before);
    });

    it("a valid permit for less than needed sets the allowance, then the pull reverts ERC20InsufficientAllowance", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice] = f.holders;
      const amount = parseEther("1");
      const permit = await permitFor(f.pool, alice, f.queueAddress, amount - 1n, await deadlineIn(3600n));
      const before = await snapshot(f, [alice.address]);
      await expect(f.queue.connect(alice).requestWithdrawalsWithPermit([amount], ZeroAddress, permit))
        .to.be.revertedWithCustomError(f.pool, "ERC20InsufficientAllowance")
        .withArgs(f.queueAddress, amount - 1n, amount);
      expect(await snapshot(f, [alice.address])).to.deep.equal(before);
    });

    it("goes on with an expired or invalid permit when a sufficient allowance is already in place", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice, bob] = f.holders;
      const minted = await wrapFor(f, alice, parseEther("3"), parseEther("2"));
      await mined(f.pool.connect(alice).approve(f.queueAddress, parseEther("5")));
      const amounts = [parseEther("1"), parseEther("2")];

      const expired = await permitFor(f.pool, alice, f.queueAddress, sum(amounts), await deadlineIn(-1n));
      const r1 = await mined(f.queue.connect(alice).requestWithdrawalsWithPermit(amounts, ZeroAddress, expired));
      expect(queueEvents(f, r1)).to.deep.equal(requestEvents(1n, alice.address, alice.address, amounts, amounts));
      expect(await f.pool.allowance(alice.address, f.queueAddress)).to.equal(parseEther("2"));
      expect(await f.pool.nonces(alice.address)).to.equal(0n);

      const { v, r, s } = await signPermit(f.wrapper, bob, f.queueAddress, parseEther("2"), await deadlineIn(3600n), {
        owner: alice.address,
      });
      const invalid = { value: parseEther("2"), deadline: await deadlineIn(3600n), v, r, s };
      const wrapped = [parseEther("2")];
      const ether = [await f.pool.getPooledEthByShares(wrapped[0])];
      const r2 = await mined(f.queue.connect(alice).requestWithdrawalsWrappedWithPermit(wrapped, ZeroAddress, invalid));
      expect(queueEvents(f, r2)).to.deep.equal(requestEvents(3n, alice.address, alice.address, ether, wrapped));
      expect(await f.wrapper.allowance(alice.address, f.queueAddress)).to.equal(0n);
      expect(await f.wrapper.nonces(alice.address)).to.equal(0n);
      expect(await f.wrapper.balanceOf(alice.address)).to.equal(minted - wrapped[0]);
    });

    it("requestWithdrawalsWithPermitAsBytes lets a 2-of-2 multisig wallet request with its 130-byte permit", async function () {
      const f = await loadFixture(deployWithRewards);
      const [alice, bob] = f.holders;
      const wallet = await ethers.deployContract("MultisigWallet__Mock", [alice.address, bob.address]);
      const walletAddress = await wallet.getAddress();
      await mined(f.pool.connect(alice).transfer(walletAddress, parseEther("3")));
      const walletShares = await f.pool.sharesOf(walletAddress);
      const amounts = [parseEther("1"), parseEther("0.5")];
      const shares = await Promise.all(amounts.map((a) => f.pool.getSharesByPooledEthRoundUp(a)));
      const deadline = await deadlineIn(3600n);
      const signature = await signMultisigPermit(
        f.pool,
        [alice, bob],
        walletAddress,
        f.queueAddress,
        sum(amounts),
        deadline,
      );
      const call = f.queue.interface.encodeFunctionData("requestWithdrawalsWithPermitAsBytes", [
        amounts,
        alice.address,
        { value: sum(amounts), deadline, signature },
      ]);

      const tx = wallet.connect(bob).execute(f.queueAddress, 0n, call);
      await expect(tx).to.emit(f.pool, "Approval").withArgs(walletAddress, f.queueAddress, sum(amounts));
      const receipt = await mined(tx);
      expect(queueEvents(f, receipt)).to.deep.equal(requestEvents(1n, walletAddress, alice.address, amounts, shares));
      expect(await f.pool.nonces(walletAddress)).to.equal(1n);
      expect(await f.pool.allowance(walletAddress, f.queueAddress)).to.equal(0n);
      expect(await f.pool.sharesOf(walletAddress)).to.equal(walletShares - sum(shares));
      expect(await f.pool.sharesOf(f.queueAddress)).to.equal(sum(shares));
      expect(await requestsOf(f, alice.address)).to.deep.equal([1n, 2n]);
    });

    it("requestWithdrawalsWrappedWithPermitAsBytes applies an EOA's 65-byte wtpETH permit and spends it exactly", async function () {
      const f = await loadFixture(deployWithRewards);
      const [alice, bob] = f.holders;
      const minted = await wrapFor(f, alice, parseEther("4"));
      const amounts = [parseEther("2"), parseEther("1.25")];
      const ether = await Promise.all(amounts.map((w) => f.pool.getPooledEthByShares(w)));
      const deadline = await deadlineIn(3600n);
      const { signature } = await signPermit(f.wrapper, alice, f.queueAddress, sum(amounts), deadline);

      const tx = f.queue
        .connect(alice)
        .requestWithdrawalsWrappedWithPermitAsBytes(amounts, bob.address, { value: sum(amounts), deadline, signature });
      await expect(tx).to.emit(f.wrapper, "Approval").withArgs(alice.address, f.queueAddress, sum(amounts));
      const receipt = await mined(tx);
      expect(queueEvents(f, receipt)).to.deep.equal(requestEvents(1n, alice.address, bob.address, ether, amounts));
      expect(await f.wrapper.nonces(alice.address)).to.equal(1n);
      expect(await f.wrapper.allowance(alice.address, f.queueAddress)).to.equal(0n);
      expect(await f.wrapper.balanceOf(alice.address)).to.equal(minted - sum(amounts));
      expect(await requestsOf(f, bob.address)).to.deep.equal([1n, 2n]);
    });

    it("…WithPermitAsBytes goes on after a front-run or failed permit when the allowance suffices, else reverts PermitFailedAndAllowanceTooLow", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice, bob, mallory] = f.holders;
      await wrapFor(f, alice, parseEther("3"));
      const amounts = [parseEther("1"), parseEther("2")];
      const needed = sum(amounts);
      const deadline = await deadlineIn(3600n);
      const accounts = [alice.address, bob.address];

      // Front-run: mallory submits alice's bytes permit to the pool first; the request goes on.
      const own = await signPermit(f.pool, alice, f.queueAddress, needed, deadline);
      const permit = { value: needed, deadline, signature: own.signature };
      await mined(
        f.pool.connect(mallory)[PERMIT_BYTES](alice.address, f.queueAddress, needed, deadline, own.signature),
      );
      const r1 = await mined(f.queue.connect(alice).requestWithdrawalsWithPermitAsBytes(amounts, ZeroAddress, permit));
      expect(queueEvents(f, r1)).to.deep.equal(requestEvents(1n, alice.address, alice.address, amounts, amounts));
      expect(await f.pool.allowance(alice.address, f.queueAddress)).to.equal(0n);
      expect(await f.pool.nonces(alice.address)).to.equal(1n);

      // Signed by someone else, with a tpETH allowance one wei short, and a wtpETH one of zero.
      await mined(f.pool.connect(alice).approve(f.queueAddress, needed - 1n));
      const forged = await signPermit(f.pool, bob, f.queueAddress, needed, deadline, { owner: alice.address });
      const wrongToken = await signPermit(f.pool, alice, f.queueAddress, needed, deadline);
      const before = await snapshot(f, accounts);
      await expect(
        f.queue
          .connect(alice)
          .requestWithdrawalsWithPermitAsBytes(amounts, ZeroAddress, { ...permit, signature: forged.signature }),
      )
        .to.be.revertedWithCustomError(f.queue, "PermitFailedAndAllowanceTooLow")
        .withArgs(needed - 1n, needed);
      await expect(
        f.queue.connect(alice).requestWithdrawalsWrappedWithPermitAsBytes(amounts, ZeroAddress, {
          ...permit,
          signature: wrongToken.signature,
        }),
      )
        .to.be.revertedWithCustomError(f.queue, "PermitFailedAndAllowanceTooLow")
        .withArgs(0n, needed);
      expect(await snapshot(f, accounts)).to.deep.equal(before);

      // The same failed permit goes on once the allowance is in place.
      await mined(f.pool.connect(alice).approve(f.queueAddress, needed));
      const r2 = await mined(
        f.queue
          .connect(alice)
          .requestWithdrawalsWithPermitAsBytes(amounts, ZeroAddress, { ...permit, signature: forged.signature }),
      );
      expect(queueEvents(f, r2)).to.deep.equal(requestEvents(3n, alice.address, alice.address, amounts, amounts));
      expect(await f.pool.allowance(alice.address, f.queueAddress)).to.equal(0n);
    });
  });

  describe("bounds and bad input", function () {
    it("pins the bounds; 99 wei reverts RequestAmountTooSmall(99, 100) (a whole batch with it), 100 wei works", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice] = f.holders;
      expect(await f.queue.MIN_WITHDRAWAL_AMOUNT()).to.equal(MIN);
      expect(await f.queue.MAX_WITHDRAWAL_AMOUNT()).to.equal(MAX);
      await mined(f.pool.connect(alice).approve(f.queueAddress, parseEther("1")));
      const before = await snapshot(f, [alice.address]);
      await expect(f.queue.connect(alice).requestWithdrawals([MIN - 1n], ZeroAddress))
        .to.be.revertedWithCustomError(f.queue, "RequestAmountTooSmall")
        .withArgs(MIN - 1n, MIN);
      await expect(f.queue.connect(alice).requestWithdrawals([MIN, parseEther("0.5"), MIN - 1n], ZeroAddress))
        .to.be.revertedWithCustomError(f.queue, "RequestAmountTooSmall")
        .withArgs(MIN - 1n, MIN);
      expect(await snapshot(f, [alice.address])).to.deep.equal(before);

      const shares = await f.pool.getSharesByPooledEthRoundUp(MIN);
      await expect(f.queue.connect(alice).requestWithdrawals([MIN], ZeroAddress))
        .to.emit(f.queue, "WithdrawalRequested")
        .withArgs(1n, alice.address, alice.address, MIN, shares);
      expect(await f.queue.unfinalizedEther()).to.equal(MIN);
      expect(await f.queue.queuedShares()).to.equal(shares);
      expect(await f.pool.allowance(alice.address, f.queueAddress)).to.equal(parseEther("1") - MIN);
    });

    it("accepts 1000 ether and reverts RequestAmountTooLarge(1000 ether + 1, 1000 ether) one wei above", async function () {
      const f = await loadFixture(deployWithWhale);
      const { whale } = f;
      await mined(f.pool.connect(whale).approve(f.queueAddress, MAX + 1n));
      const before = await snapshot(f, [whale.address]);
      await expect(f.queue.connect(whale).requestWithdrawals([MAX + 1n], ZeroAddress))
        .to.be.revertedWithCustomError(f.queue, "RequestAmountTooLarge")
        .withArgs(MAX + 1n, MAX);
      expect(await snapshot(f, [whale.address])).to.deep.equal(before);

      const shares = await f.pool.getSharesByPooledEthRoundUp(MAX);
      const whaleShares = await f.pool.sharesOf(whale.address);
      const receipt = await mined(f.queue.connect(whale).requestWithdrawals([MAX], ZeroAddress));
      expect(queueEvents(f, receipt)).to.deep.equal(requestEvents(1n, whale.address, whale.address, [MAX], [shares]));
      expect(await f.pool.sharesOf(whale.address)).to.equal(whaleShares - shares);
      expect(await f.pool.allowance(whale.address, f.queueAddress)).to.equal(1n);
      expect(await f.queue.unfinalizedEther()).to.equal(MAX);
    });

    it("bounds wrapped requests by their ETH value: the edges of [100 wei, 1000 ether] at a rate above 1", async function () {
      const f = await loadFixture(deployWithWhaleAndRewards);
      const { whale } = f;
      const minted = await wrapFor(f, whale, parseEther("1001"));
      await mined(f.wrapper.connect(whale).approve(f.queueAddress, minted));
      const [S, P] = [await f.pool.totalShares(), await f.pool.totalPooledEther()];
      expect(P > S).to.equal(true);
      const value = (w: bigint): bigint => (w * P) / S;
      const wMin = ceilDiv(MIN * S, P); // smallest w with value(w) ≥ 100
      const wMax = ((MAX + 1n) * S - 1n) / P; // largest w with value(w) ≤ 1000 ether
      expect(value(wMin - 1n)).to.be.lessThan(MIN);
      expect(value(wMax + 1n)).to.be.greaterThan(MAX);
      expect(wMax + 1n).to.be.lessThanOrEqual(MAX); // a wtpETH amount below the bound, worth more
      expect(minted).to.be.greaterThan(wMax + wMin);

      const before = await snapshot(f, [whale.address]);
      await expect(f.queue.connect(whale).requestWithdrawalsWrapped([wMin - 1n], ZeroAddress))
        .to.be.revertedWithCustomError(f.queue, "RequestAmountTooSmall")
        .withArgs(value(wMin - 1n), MIN);
      await expect(f.queue.connect(whale).requestWithdrawalsWrapped([wMin, wMax + 1n], ZeroAddress))
        .to.be.revertedWithCustomError(f.queue, "RequestAmountTooLarge")
        .withArgs(value(wMax + 1n), MAX);
      await expect(f.queue.connect(whale).requestWithdrawalsWrapped([MAX], ZeroAddress))
        .to.be.revertedWithCustomError(f.queue, "RequestAmountTooLarge")
        .withArgs(value(MAX), MAX);
      expect(await snapshot(f, [whale.address])).to.deep.equal(before);

      const amounts = [wMin, wMax];
      const receipt = await mined(f.queue.connect(whale).requestWithdrawalsWrapped(amounts, ZeroAddress));
      expect(queueEvents(f, receipt)).to.deep.equal(
        requestEvents(1n, whale.address, whale.address, amounts.map(value), amounts),
      );
      expect(await f.wrapper.balanceOf(whale.address)).to.equal(minted - wMin - wMax);
      expect(await f.queue.unfinalizedEther()).to.equal(value(wMin) + value(wMax));
    });

    it("reverts EmptyRequestList for an empty amount list on every entry point", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice] = f.holders;
      await mined(f.pool.connect(alice).approve(f.queueAddress, parseEther("1")));
      const permit = await permitFor(f.pool, alice, f.queueAddress, parseEther("1"), await deadlineIn(3600n));
      const wrapPermit = await permitFor(f.wrapper, alice, f.queueAddress, parseEther("1"), await deadlineIn(3600n));
      const q = f.queue.connect(alice);
      const before = await snapshot(f, [alice.address]);
      await expect(q.requestWithdrawals([], ZeroAddress)).to.be.revertedWithCustomError(f.queue, "EmptyRequestList");
      await expect(q.requestWithdrawalsWrapped([], ZeroAddress)).to.be.revertedWithCustomError(
        f.queue,
        "EmptyRequestList",
      );
      await expect(q.requestWithdrawalsWithPermit([], ZeroAddress, permit)).to.be.revertedWithCustomError(
        f.queue,
        "EmptyRequestList",
      );
      await expect(q.requestWithdrawalsWrappedWithPermit([], ZeroAddress, wrapPermit)).to.be.revertedWithCustomError(
        f.queue,
        "EmptyRequestList",
      );
      const asBytes = {
        value: permit.value,
        deadline: permit.deadline,
        signature: concat([permit.r, permit.s, toBeHex(permit.v, 1)]),
      };
      await expect(q.requestWithdrawalsWithPermitAsBytes([], ZeroAddress, asBytes)).to.be.revertedWithCustomError(
        f.queue,
        "EmptyRequestList",
      );
      await expect(
        q.requestWithdrawalsWrappedWithPermitAsBytes([], ZeroAddress, asBytes),
      ).to.be.revertedWithCustomError(f.queue, "EmptyRequestList");
      expect(await snapshot(f, [alice.address])).to.deep.equal(before);
    });

    it("reverts with the pool's ERC20InsufficientAllowance / ERC20InsufficientBalance and rolls back the whole batch", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice] = f.holders;
      const amounts = [parseEther("1"), parseEther("2")];
      let before = await snapshot(f, [alice.address]);
      await expect(f.queue.connect(alice).requestWithdrawals(amounts, ZeroAddress))
        .to.be.revertedWithCustomError(f.pool, "ERC20InsufficientAllowance")
        .withArgs(f.queueAddress, 0n, amounts[0]);
      await mined(f.pool.connect(alice).approve(f.queueAddress, sum(amounts) - 1n));
      before = await snapshot(f, [alice.address]);
      await expect(f.queue.connect(alice).requestWithdrawals(amounts, ZeroAddress))
        .to.be.revertedWithCustomError(f.pool, "ERC20InsufficientAllowance")
        .withArgs(f.queueAddress, amounts[1] - 1n, amounts[1]);
      expect(await snapshot(f, [alice.address])).to.deep.equal(before);

      const balance = await f.pool.balanceOf(alice.address);
      await mined(f.pool.connect(alice).approve(f.queueAddress, balance + 1n));
      before = await snapshot(f, [alice.address]);
      await expect(f.queue.connect(alice).requestWithdrawals([balance + 1n], ZeroAddress))
        .to.be.revertedWithCustomError(f.pool, "ERC20InsufficientBalance")
        .withArgs(alice.address, balance, balance + 1n);
      expect(await snapshot(f, [alice.address])).to.deep.equal(before);
    });
  });

  describe("pause", function () {
    it("only PAUSE_ROLE pauses and only RESUME_ROLE resumes, each emitting WithdrawalsPausedSet", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice] = f.holders;
      const PAUSE_ROLE = await f.queue.PAUSE_ROLE();
      const RESUME_ROLE = await f.queue.RESUME_ROLE();
      expect(PAUSE_ROLE).to.equal(keccakId("PAUSE_ROLE"));
      expect(RESUME_ROLE).to.equal(keccakId("RESUME_ROLE"));
      expect(await f.queue.hasRole(PAUSE_ROLE, f.admin.address)).to.equal(false);
      expect(await f.queue.hasRole(RESUME_ROLE, f.pauser.address)).to.equal(false);

      for (const who of [alice, f.admin]) {
        await expect(f.queue.connect(who).pause())
          .to.be.revertedWithCustomError(f.queue, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, PAUSE_ROLE);
      }
      expect(await f.queue.withdrawalsPaused()).to.equal(false);

      await expect(f.queue.connect(f.pauser).pause())
        .to.emit(f.queue, "WithdrawalsPausedSet")
        .withArgs(f.pauser.address, true);
      expect(await f.queue.withdrawalsPaused()).to.equal(true);

      for (const who of [alice, f.pauser]) {
        await expect(f.queue.connect(who).resume())
          .to.be.revertedWithCustomError(f.queue, "AccessControlUnauthorizedAccount")
          .withArgs(who.address, RESUME_ROLE);
      }
      expect(await f.queue.withdrawalsPaused()).to.equal(true);

      await expect(f.queue.connect(f.admin).resume())
        .to.emit(f.queue, "WithdrawalsPausedSet")
        .withArgs(f.admin.address, false);
      expect(await f.queue.withdrawalsPaused()).to.equal(false);
    });

    it("while paused, requests and claims revert WithdrawalsPaused (NFT transfers still work); after resume both work", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice, bob] = f.holders;
      await f.request(alice, [parseEther("1"), parseEther("2")]);
      // A report with no rewards finalizes at the current rate: payout = min(ETH, shares × rateRay / 1e27).
      const rateRay = ((await f.pool.totalPooledEther()) * RAY) / (await f.pool.totalShares());
      const [first] = await statuses(f, [1n]);
      const byShares = (first.amountOfShares * rateRay) / RAY;
      const payout = byShares < first.amountOfEther ? byShares : first.amountOfEther;
      await f.finalize(2n);
      const wrapped = await wrapFor(f, alice, parseEther("1"), parseEther("1"));
      await mined(f.pool.connect(alice).approve(f.queueAddress, parseEther("1")));
      const permit = await permitFor(f.pool, alice, f.queueAddress, parseEther("1"), await deadlineIn(3600n));
      const wrapPermit = await permitFor(f.wrapper, alice, f.queueAddress, wrapped, await deadlineIn(3600n));
      await mined(f.queue.connect(f.pauser).pause());

      const q = f.queue.connect(alice);
      const hints = await hintsFor(f, [1n]);
      expect(hints).to.deep.equal([1n]);
      const accounts = [alice.address, bob.address];
      const before = await snapshot(f, accounts);
      const attempts = [
        () => q.requestWithdrawals([parseEther("1")], ZeroAddress),
        () => q.requestWithdrawalsWrapped([wrapped], ZeroAddress),
        () => q.requestWithdrawalsWithPermit([parseEther("1")], ZeroAddress, permit),
        () => q.requestWithdrawalsWrappedWithPermit([wrapped], ZeroAddress, wrapPermit),
        () =>
          q.requestWithdrawalsWithPermitAsBytes([parseEther("1")], ZeroAddress, {
            value: permit.value,
            deadline: permit.deadline,
            signature: concat([permit.r, permit.s, toBeHex(permit.v, 1)]),
          }),
        () =>
          q.requestWithdrawalsWrappedWithPermitAsBytes([wrapped], ZeroAddress, {
            value: wrapPermit.value,
            deadline: wrapPermit.deadline,
            signature: concat([wrapPermit.r, wrapPermit.s, toBeHex(wrapPermit.v, 1)]),
          }),
        () => q.claimWithdrawal(1n),
        () => q.claimWithdrawals([1n], hints),
        () => q.claimWithdrawalsTo([1n], hints, bob.address),
      ];
      for (const attempt of attempts)
        await expect(attempt()).to.be.revertedWithCustomError(f.queue, "WithdrawalsPaused");
      expect(await snapshot(f, accounts)).to.deep.equal(before);

      await expect(q.transferFrom(alice.address, bob.address, 2n))
        .to.emit(f.queue, "Transfer")
        .withArgs(alice.address, bob.address, 2n);
      expect(await f.queue.ownerOf(2n)).to.equal(bob.address);

      await mined(f.queue.connect(f.admin).resume());
      const ethBefore = await ethers.provider.getBalance(alice.address);
      const claim = await mined(q.claimWithdrawals([1n], hints));
      expect(await ethers.provider.getBalance(alice.address)).to.equal(
        ethBefore + payout - claim.gasUsed * claim.gasPrice,
      );
      await expect(q.requestWithdrawals([parseEther("1")], ZeroAddress))
        .to.emit(f.queue, "WithdrawalRequested")
        .withArgs(
          3n,
          alice.address,
          alice.address,
          parseEther("1"),
          await f.pool.getSharesByPooledEthRoundUp(parseEther("1")),
        );
    });
  });

  describe("safe-mint rule", function () {
    it("reverts ERC721InvalidReceiver(owner) for a contract owner that refuses NFTs or has no receiver hook", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice] = f.holders;
      const refusing = await claimerMock(f, true);
      const refusingAddress = await refusing.getAddress();
      const oracleAddress = await f.oracle.getAddress();
      await mined(f.pool.connect(alice).approve(f.queueAddress, parseEther("2")));
      await wrapFor(f, alice, parseEther("2"), parseEther("1"));
      const accounts = [alice.address, refusingAddress, oracleAddress];
      const before = await snapshot(f, accounts);
      await expect(f.queue.connect(alice).requestWithdrawals([parseEther("1"), parseEther("1")], refusingAddress))
        .to.be.revertedWithCustomError(f.queue, "ERC721InvalidReceiver")
        .withArgs(refusingAddress);
      await expect(f.queue.connect(alice).requestWithdrawalsWrapped([parseEther("1")], refusingAddress))
        .to.be.revertedWithCustomError(f.queue, "ERC721InvalidReceiver")
        .withArgs(refusingAddress);
      await expect(f.queue.connect(alice).requestWithdrawals([parseEther("1")], oracleAddress))
        .to.be.revertedWithCustomError(f.queue, "ERC721InvalidReceiver")
        .withArgs(oracleAddress);
      expect(await snapshot(f, accounts)).to.deep.equal(before);
    });

    it("mints to a contract that accepts NFTs and to an EOA", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice] = f.holders;
      const accepting = await claimerMock(f, false);
      const acceptingAddress = await accepting.getAddress();
      const eoa = ethers.Wallet.createRandom().address;
      const amounts = [parseEther("1"), parseEther("0.5")];
      await mined(f.pool.connect(alice).approve(f.queueAddress, parseEther("3")));

      const r1 = await mined(f.queue.connect(alice).requestWithdrawals(amounts, acceptingAddress));
      expect(queueEvents(f, r1)).to.deep.equal(requestEvents(1n, alice.address, acceptingAddress, amounts, amounts));
      expect(await requestsOf(f, acceptingAddress)).to.deep.equal([1n, 2n]);
      expect(await f.queue.balanceOf(acceptingAddress)).to.equal(2n);

      const r2 = await mined(f.queue.connect(alice).requestWithdrawals([parseEther("1")], eoa));
      expect(queueEvents(f, r2)).to.deep.equal(
        requestEvents(3n, alice.address, eoa, [parseEther("1")], [parseEther("1")]),
      );
      expect(await f.queue.ownerOf(3n)).to.equal(eoa);
      expect(await requestsOf(f, eoa)).to.deep.equal([3n]);
    });
  });

  describe("ERC-721", function () {
    it("names the collection and reports its interfaces", async function () {
      const f = await loadFixture(deployWithQueue);
      expect(await f.queue.name()).to.equal("Tidepool Withdrawal Request");
      expect(await f.queue.symbol()).to.equal("tpWR");
      const erc165 = interfaceId(["supportsInterface(bytes4)"]);
      const erc721 = interfaceId([
        "balanceOf(address)",
        "ownerOf(uint256)",
        "safeTransferFrom(address,address,uint256,bytes)",
        "safeTransferFrom(address,address,uint256)",
        "transferFrom(address,address,uint256)",
        "approve(address,uint256)",
        "setApprovalForAll(address,bool)",
        "getApproved(uint256)",
        "isApprovedForAll(address,address)",
      ]);
      const metadataId = interfaceId(["name()", "symbol()", "tokenURI(uint256)"]);
      const accessControl = interfaceId([
        "hasRole(bytes32,address)",
        "getRoleAdmin(bytes32)",
        "grantRole(bytes32,address)",
        "revokeRole(bytes32,address)",
        "renounceRole(bytes32,address)",
      ]);
      expect([erc165, erc721, metadataId, accessControl]).to.deep.equal([
        "0x01ffc9a7",
        "0x80ac58cd",
        "0x5b5e139f",
        "0x7965db0b",
      ]);
      for (const id of [erc165, erc721, metadataId, accessControl]) {
        expect(await f.queue.supportsInterface(id)).to.equal(true);
      }
      expect(await f.queue.supportsInterface("0xffffffff")).to.equal(false);
      expect(await f.queue.supportsInterface("0x00000000")).to.equal(false);
    });

    it("ownerOf and balanceOf: ERC721InvalidOwner for zero, ERC721NonexistentToken for unknown ids", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice, bob] = f.holders;
      await f.request(alice, [parseEther("1"), parseEther("1")]);
      expect(await f.queue.balanceOf(alice.address)).to.equal(2n);
      expect(await f.queue.balanceOf(bob.address)).to.equal(0n);
      await expect(f.queue.balanceOf(ZeroAddress))
        .to.be.revertedWithCustomError(f.queue, "ERC721InvalidOwner")
        .withArgs(ZeroAddress);
      for (const id of [0n, 3n]) {
        await expect(f.queue.ownerOf(id)).to.be.revertedWithCustomError(f.queue, "ERC721NonexistentToken").withArgs(id);
      }
    });

    it("transferFrom and both safeTransferFrom forms move ownership, balances, lists and the status owner", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice, bob, carol] = f.holders;
      const ids = [...(await f.request(alice, [parseEther("1"), parseEther("2"), parseEther("3")]))];
      const accepting = await claimerMock(f, false);
      const acceptingAddress = await accepting.getAddress();

      await expect(f.queue.connect(alice).transferFrom(alice.address, bob.address, ids[0]))
        .to.emit(f.queue, "Transfer")
        .withArgs(alice.address, bob.address, ids[0]);
      await expect(
        f.queue.connect(alice)["safeTransferFrom(address,address,uint256)"](alice.address, carol.address, ids[1]),
      )
        .to.emit(f.queue, "Transfer")
        .withArgs(alice.address, carol.address, ids[1]);
      await expect(
        f.queue
          .connect(alice)
          ["safeTransferFrom(address,address,uint256,bytes)"](alice.address, acceptingAddress, ids[2], "0x1234"),
      )
        .to.emit(f.queue, "Transfer")
        .withArgs(alice.address, acceptingAddress, ids[2]);

      const owners = [bob.address, carol.address, acceptingAddress];
      for (const [i, id] of ids.entries()) {
        expect(await f.queue.ownerOf(id)).to.equal(owners[i]);
        expect(await f.queue.balanceOf(owners[i])).to.equal(1n);
        expect(await requestsOf(f, owners[i])).to.deep.equal([id]);
        expect((await statuses(f, [id]))[0].owner).to.equal(owners[i]);
      }
      expect(await f.queue.balanceOf(alice.address)).to.equal(0n);
      expect(await requestsOf(f, alice.address)).to.deep.equal([]);
      // The requests themselves do not change.
      expect((await statuses(f, ids)).map((s) => s.amountOfEther)).to.deep.equal([
        parseEther("1"),
        parseEther("2"),
        parseEther("3"),
      ]);
      expect(await f.queue.unfinalizedEther()).to.equal(parseEther("6"));
    });

    it("approve, getApproved (cleared by a transfer) and setApprovalForAll operators", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice, bob, carol] = f.holders;
      const operator = f.users[6];
      const ids = [...(await f.request(alice, [parseEther("1"), parseEther("1"), parseEther("1")]))];

      await expect(f.queue.connect(alice).approve(bob.address, ids[0]))
        .to.emit(f.queue, "Approval")
        .withArgs(alice.address, bob.address, ids[0]);
      expect(await f.queue.getApproved(ids[0])).to.equal(bob.address);
      await expect(f.queue.connect(bob).approve(bob.address, ids[1]))
        .to.be.revertedWithCustomError(f.queue, "ERC721InvalidApprover")
        .withArgs(bob.address);
      await expect(f.queue.connect(bob).transferFrom(alice.address, carol.address, ids[0]))
        .to.emit(f.queue, "Transfer")
        .withArgs(alice.address, carol.address, ids[0]);
      expect(await f.queue.ownerOf(ids[0])).to.equal(carol.address);
      expect(await f.queue.getApproved(ids[0])).to.equal(ZeroAddress);
      await expect(f.queue.connect(bob).transferFrom(carol.address, bob.address, ids[0]))
        .to.be.revertedWithCustomError(f.queue, "ERC721InsufficientApproval")
        .withArgs(bob.address, ids[0]);

      await expect(f.queue.connect(alice).setApprovalForAll(operator.address, true))
        .to.emit(f.queue, "ApprovalForAll")
        .withArgs(alice.address, operator.address, true);
      expect(await f.queue.isApprovedForAll(alice.address, operator.address)).to.equal(true);
      await mined(f.queue.connect(operator).transferFrom(alice.address, bob.address, ids[1]));
      await mined(
        f.queue.connect(operator)["safeTransferFrom(address,address,uint256)"](alice.address, operator.address, ids[2]),
      );
      expect(await requestsOf(f, alice.address)).to.deep.equal([]);
      expect(await requestsOf(f, bob.address)).to.deep.equal([ids[1]]);
      expect(await requestsOf(f, operator.address)).to.deep.equal([ids[2]]);
      expect(await requestsOf(f, carol.address)).to.deep.equal([ids[0]]);
      // Alice's operator has no say over Bob's request.
      await expect(f.queue.connect(operator).transferFrom(bob.address, operator.address, ids[1]))
        .to.be.revertedWithCustomError(f.queue, "ERC721InsufficientApproval")
        .withArgs(operator.address, ids[1]);
      await mined(f.queue.connect(alice).setApprovalForAll(operator.address, false));
      expect(await f.queue.isApprovedForAll(alice.address, operator.address)).to.equal(false);
    });

    it("rejects unauthorized transfers, a wrong `from`, the zero receiver and refusing contracts, changing nothing", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice, bob, carol] = f.holders;
      const ids = [...(await f.request(alice, [parseEther("1"), parseEther("2")]))];
      const refusing = await claimerMock(f, true);
      const refusingAddress = await refusing.getAddress();
      const oracleAddress = await f.oracle.getAddress();
      const accounts = [alice.address, bob.address, carol.address, refusingAddress, oracleAddress];
      const before = await snapshot(f, accounts);

      await expect(f.queue.connect(bob).transferFrom(alice.address, bob.address, ids[0]))
        .to.be.revertedWithCustomError(f.queue, "ERC721InsufficientApproval")
        .withArgs(bob.address, ids[0]);
      await expect(
        f.queue.connect(bob)["safeTransferFrom(address,address,uint256)"](alice.address, bob.address, ids[0]),
      )
        .to.be.revertedWithCustomError(f.queue, "ERC721InsufficientApproval")
        .withArgs(bob.address, ids[0]);
      await expect(f.queue.connect(alice).transferFrom(carol.address, bob.address, ids[0]))
        .to.be.revertedWithCustomError(f.queue, "ERC721IncorrectOwner")
        .withArgs(carol.address, ids[0], alice.address);
      await expect(f.queue.connect(alice).transferFrom(alice.address, ZeroAddress, ids[0]))
        .to.be.revertedWithCustomError(f.queue, "ERC721InvalidReceiver")
        .withArgs(ZeroAddress);
      await expect(
        f.queue.connect(alice)["safeTransferFrom(address,address,uint256)"](alice.address, refusingAddress, ids[1]),
      )
        .to.be.revertedWithCustomError(f.queue, "ERC721InvalidReceiver")
        .withArgs(refusingAddress);
      await expect(
        f.queue.connect(alice)["safeTransferFrom(address,address,uint256)"](alice.address, oracleAddress, ids[1]),
      )
        .to.be.revertedWithCustomError(f.queue, "ERC721InvalidReceiver")
        .withArgs(oracleAddress);
      await expect(f.queue.connect(alice).transferFrom(alice.address, bob.address, 3n))
        .to.be.revertedWithCustomError(f.queue, "ERC721NonexistentToken")
        .withArgs(3n);

      expect(await snapshot(f, accounts)).to.deep.equal(before);
      for (const id of ids) expect(await f.queue.ownerOf(id)).to.equal(alice.address);
    });

    it("getWithdrawalRequests keeps the order received through transfers out of the middle, oldest and newest, and claims", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice, bob] = f.holders;
      const move = async (from: HardhatEthersSigner, to: HardhatEthersSigner, id: bigint) =>
        mined(f.queue.connect(from).transferFrom(from.address, to.address, id));
      const lists = async () => [await requestsOf(f, alice.address), await requestsOf(f, bob.address)];

      expect(
        await f.request(
          alice,
          [1n, 2n, 3n, 4n, 5n].map((n) => parseEther(n.toString())),
        ),
      ).to.deep.equal([1n, 2n, 3n, 4n, 5n]);
      expect(await lists()).to.deep.equal([[1n, 2n, 3n, 4n, 5n], []]);
      await move(alice, bob, 3n); // middle
      expect(await lists()).to.deep.equal([[1n, 2n, 4n, 5n], [3n]]);
      await move(alice, bob, 1n); // oldest
      expect(await lists()).to.deep.equal([
        [2n, 4n, 5n],
        [3n, 1n],
      ]);
      await move(alice, bob, 5n); // newest
      expect(await lists()).to.deep.equal([
        [2n, 4n],
        [3n, 1n, 5n],
      ]);
      await move(bob, alice, 3n); // back, now Alice's newest
      expect(await lists()).to.deep.equal([
        [2n, 4n, 3n],
        [1n, 5n],
      ]);
      expect(await f.request(alice, [parseEther("1")])).to.deep.equal([6n]);
      expect(await f.request(bob, [parseEther("1")])).to.deep.equal([7n]);
      expect(await lists()).to.deep.equal([
        [2n, 4n, 3n, 6n],
        [1n, 5n, 7n],
      ]);
      expect(await f.queue.balanceOf(alice.address)).to.equal(4n);
      expect(await f.queue.balanceOf(bob.address)).to.equal(3n);

      await f.finalize(7n);
      const claim = async (who: HardhatEthersSigner, id: bigint) => {
        const hints = await hintsFor(f, [id]);
        expect(hints).to.deep.equal([1n]);
        await expect(f.queue.connect(who).claimWithdrawals([id], hints))
          .to.emit(f.queue, "Transfer")
          .withArgs(who.address, ZeroAddress, id);
      };
      await claim(alice, 4n); // middle
      expect(await lists()).to.deep.equal([
        [2n, 3n, 6n],
        [1n, 5n, 7n],
      ]);
      await claim(alice, 2n); // oldest
      expect(await lists()).to.deep.equal([
        [3n, 6n],
        [1n, 5n, 7n],
      ]);
      await claim(bob, 7n); // newest
      expect(await lists()).to.deep.equal([
        [3n, 6n],
        [1n, 5n],
      ]);
      await move(alice, bob, 6n);
      expect(await lists()).to.deep.equal([[3n], [1n, 5n, 6n]]);
      await claim(alice, 3n); // the only one
      expect(await lists()).to.deep.equal([[], [1n, 5n, 6n]]);
      expect(await f.queue.balanceOf(alice.address)).to.equal(0n);
      expect(await f.queue.balanceOf(bob.address)).to.equal(3n);
      expect(await f.request(alice, [parseEther("1")])).to.deep.equal([8n]);
      expect(await lists()).to.deep.equal([[8n], [1n, 5n, 6n]]);
    });

    it("a claimed request's token is gone: ownerOf, getApproved, approve and transfers revert ERC721NonexistentToken", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice, bob] = f.holders;
      const ids = [...(await f.request(alice, [parseEther("1"), parseEther("2")]))];
      const statusBefore = await statuses(f, [ids[0]]);
      // An approval given before the claim must not make the burned token transferable.
      await mined(f.queue.connect(alice).approve(bob.address, ids[0]));
      await f.finalize(2n);
      await mined(f.queue.connect(alice).claimWithdrawals([ids[0]], await hintsFor(f, [ids[0]])));

      expect(await statuses(f, [ids[0]])).to.deep.equal([{ ...statusBefore[0], isFinalized: true, isClaimed: true }]);
      const accounts = [alice.address, bob.address];
      const before = await snapshot(f, accounts);
      await expect(f.queue.ownerOf(ids[0]))
        .to.be.revertedWithCustomError(f.queue, "ERC721NonexistentToken")
        .withArgs(ids[0]);
      await expect(f.queue.getApproved(ids[0]))
        .to.be.revertedWithCustomError(f.queue, "ERC721NonexistentToken")
        .withArgs(ids[0]);
      await expect(f.queue.connect(alice).approve(bob.address, ids[0]))
        .to.be.revertedWithCustomError(f.queue, "ERC721NonexistentToken")
        .withArgs(ids[0]);
      for (const caller of [alice, bob]) {
        await expect(f.queue.connect(caller).transferFrom(alice.address, bob.address, ids[0]))
          .to.be.revertedWithCustomError(f.queue, "ERC721NonexistentToken")
          .withArgs(ids[0]);
      }
      await expect(
        f.queue.connect(alice)["safeTransferFrom(address,address,uint256)"](alice.address, bob.address, ids[0]),
      )
        .to.be.revertedWithCustomError(f.queue, "ERC721NonexistentToken")
        .withArgs(ids[0]);
      expect(await snapshot(f, accounts)).to.deep.equal(before);
      expect(await f.queue.balanceOf(alice.address)).to.equal(1n);
      expect(await requestsOf(f, alice.address)).to.deep.equal([ids[1]]);
    });
  });

  describe("tokenURI", function () {
    it("returns base64 JSON with name, attributes and an SVG image for a pending request", async function () {
      const f = await loadFixture(deployWithRewards);
      const [alice] = f.holders;
      const amount = parseEther("1.5");
      const shares = await f.pool.getSharesByPooledEthRoundUp(amount);
      await mined(f.pool.connect(alice).approve(f.queueAddress, amount));
      const ts = await blockTime(await mined(f.queue.connect(alice).requestWithdrawals([amount], ZeroAddress)));

      const { json, svg } = await metadata(f, 1n);
      expect(json.name).to.equal("Tidepool withdrawal #1");
      expect(json.description).to.include("1.5 ETH").and.to.include("Pending");
      expect(json.attributes).to.deep.equal(attributes("Pending", amount, 0n, shares, ts));
      expect(json.attributes[1].value).to.equal("1.5");
      expect(json.attributes[2].value).to.equal("0");
      expect(svg.startsWith("<svg")).to.equal(true);
      expect(svg).to.include("Tidepool withdrawal #1").and.to.include("1.5 ETH").and.to.include("Pending");
    });

    it("formats the requested ETH as a decimal without trailing zeros", async function () {
      const f = await loadFixture(deployWithWhale);
      const [alice] = f.holders;
      const cases: [bigint, string][] = [
        [MIN, "0.0000000000000001"],
        [parseEther("1.5"), "1.5"],
        [parseEther("2"), "2"],
        [parseEther("0.1"), "0.1"],
        [parseEther("1") + 1n, "1.000000000000000001"],
        [parseEther("12.34"), "12.34"],
      ];
      await f.request(
        alice,
        cases.map(([wei]) => wei),
      );
      await f.request(f.whale, [MAX]);
      cases.push([MAX, "1000"]);
      for (const [i, [wei, text]] of cases.entries()) {
        expect(ethString(wei)).to.equal(text);
        const { json, svg } = await metadata(f, BigInt(i + 1));
        expect(json.attributes[1]).to.deep.equal({ trait_type: "Requested ETH", value: text });
        expect(svg).to.include(`>${text} ETH<`);
      }
    });

    it("shows Finalized and the payout min(requested, shares × rate) once finalized at a rate above 1", async function () {
      const f = await loadFixture(deployWithRewards);
      const [alice] = f.holders;
      const amounts = [parseEther("1.5"), parseEther("0.7") + 3n];
      const shares = await Promise.all(amounts.map((a) => f.pool.getSharesByPooledEthRoundUp(a)));
      await mined(f.pool.connect(alice).approve(f.queueAddress, sum(amounts)));
      const ts = await blockTime(await mined(f.queue.connect(alice).requestWithdrawals(amounts, ZeroAddress)));
      expect((await metadata(f, 2n)).json.attributes).to.deep.equal(
        attributes("Pending", amounts[1], 0n, shares[1], ts),
      );

      // A report with no rewards: the rate it finalizes at is the current one.
      const [S, P] = [await f.pool.totalShares(), await f.pool.totalPooledEther()];
      const rateRay = (P * RAY) / S;
      const payouts = shares.map((s, i) => {
        const byShares = (s * rateRay) / RAY;
        return byShares < amounts[i] ? byShares : amounts[i];
      });
      const byShares = (sum(shares) * rateRay) / RAY;
      const lock = byShares < sum(amounts) ? byShares : sum(amounts);
      const { receipt } = await f.finalize(2n, { clBalanceGwei: toGwei(REWARDED_CL) });
      expect(queueEvents(f, receipt).filter((e) => e[0] === "WithdrawalsFinalized")).to.deep.equal([
        ["WithdrawalsFinalized", 1n, 2n, lock, sum(shares), await blockTime(receipt)],
      ]);
      expect([...(await f.queue.getClaimableEther([1n, 2n], await hintsFor(f, [1n, 2n])))]).to.deep.equal(payouts);

      for (const [i, id] of [1n, 2n].entries()) {
        const { json, svg } = await metadata(f, id);
        expect(json.name).to.equal(`Tidepool withdrawal #${id}`);
        expect(json.description).to.include("Finalized");
        expect(json.attributes).to.deep.equal(attributes("Finalized", amounts[i], payouts[i], shares[i], ts));
        expect(svg)
          .to.include("Finalized")
          .and.to.include(`${ethString(amounts[i])} ETH`);
        expect(svg).to.not.include("Pending");
      }
    });

    it("reverts ERC721NonexistentToken for an unknown or claimed id", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice] = f.holders;
      await f.request(alice, [parseEther("1"), parseEther("1")]);
      await f.finalize(2n);
      await mined(f.queue.connect(alice).claimWithdrawal(1n));
      for (const id of [0n, 1n, 3n]) {
        await expect(f.queue.tokenURI(id))
          .to.be.revertedWithCustomError(f.queue, "ERC721NonexistentToken")
          .withArgs(id);
      }
      expect((await metadata(f, 2n)).json.name).to.equal("Tidepool withdrawal #2");
    });
  });

  describe("getWithdrawalStatus", function () {
    it("reverts UnknownRequest(id) for 0 and lastRequestId + 1, alone or among known ids", async function () {
      const f = await loadFixture(deployWithQueue);
      const [alice] = f.holders;
      for (const id of [0n, 1n]) {
        await expect(f.queue.getWithdrawalStatus([id]))
          .to.be.revertedWithCustomError(f.queue, "UnknownRequest")
          .withArgs(id);
      }
      await f.request(alice, [parseEther("1"), parseEther("1")]);
      const last = await f.queue.getLastRequestId();
      expect(last).to.equal(2n);
      for (const id of [0n, last + 1n]) {
        await expect(f.queue.getWithdrawalStatus([1n, id, 2n]))
          .to.be.revertedWithCustomError(f.queue, "UnknownRequest")
          .withArgs(id);
      }
      expect((await statuses(f, [2n, 1n])).map((s) => [s.amountOfEther, s.owner])).to.deep.equal([
        [parseEther("1"), alice.address],
        [parseEther("1"), alice.address],
      ]);
    });
  });
});
