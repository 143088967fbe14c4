/**
 * Attack class: pauses. With each pause on (the pool's staking, instant redemption and deposits;
 * the withdrawal queue; the oracle's reports; and all of them at once), every user action is tried:
 * those the pause covers must revert with the exact error — including the side doors (plain ETH to
 * the pool or the wrapper, stakeAndWrap, an operator's bond, permit entry points, claims to
 * another recipient, a report that would finalize) — changing nothing to the wei and leaving the
 * actor no profit; everything else must go on. The pauser can pause and nothing more.
 */
import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { MaxUint256, ZeroAddress, id, parseEther, type BaseContract, type ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployWithQueue, type WithdrawalFixture } from "../helpers/withdrawal-fixtures";
import { advanceFrames, buildReport, toGwei } from "../helpers/oracle-fixtures";
import { protocolState, plain } from "../helpers/withdrawal-report-helpers";
import { PERMIT_VRS, signPermit } from "../helpers/permit";
import { Ledger } from "../helpers/attack-ledger";
import { currentAttestation, signAttestation } from "../../offchain/guardians/attestations";

const CAPABILITY = { staking: 1, instantRedeem: 2, deposits: 4 };

interface World extends WithdrawalFixture {
  alice: HardhatEthersSigner; // tpETH, wtpETH, request 1 finalized, request 3 pending
  bob: HardhatEthersSigner; // request 2 finalized
  carol: HardhatEthersSigner; // receives things
  attacker: HardhatEthersSigner; // 1 ETH of tpETH; submits deposits (anyone may)
}

/** Everything before any pause: holders, finalized and pending requests, free bond, operators' fees. */
async function world(): Promise<World> {
  const f = await loadFixture(deployWithQueue);
  const [alice, bob, carol] = f.holders;
  const attacker = f.users[10];
  await (await f.pool.connect(attacker).stake(ZeroAddress, { value: parseEther("1") })).wait();
  await (await f.wrapper.connect(alice).wrap(parseEther("2"))).wait();
  await f.request(alice, [parseEther("1")]); // 1
  await f.request(bob, [parseEther("1")]); // 2
  // Rewards (operators' fees to claim) and requests 1–2 finalized; a 2 ETH bond top-up leaves bond free.
  await f.finalize(2n, { clBalanceGwei: toGwei(f.clWei + parseEther("0.01")) });
  await (await f.registry.connect(f.operator).depositBond(f.operatorId, { value: parseEther("2") })).wait();
  await f.request(alice, [parseEther("1")]); // 3, pending
  return { ...f, alice, bob, carol, attacker };
}

type PauseKind = "staking" | "instantRedeem" | "deposits" | "queue" | "reports";
const KINDS: PauseKind[] = ["staking", "instantRedeem", "deposits", "queue", "reports"];

/** Turns `kind` on as the pauser. */
async function pause(w: World, kind: PauseKind): Promise<void> {
  const p = w.pauser;
  if (kind === "staking") await (await w.pool.connect(p).pause(CAPABILITY.staking)).wait();
  if (kind === "instantRedeem") await (await w.pool.connect(p).pause(CAPABILITY.instantRedeem)).wait();
  if (kind === "deposits") await (await w.pool.connect(p).pause(CAPABILITY.deposits)).wait();
  if (kind === "queue") await (await w.queue.connect(p).pause()).wait();
  if (kind === "reports") await (await w.oracle.connect(p).pauseReports()).wait();
}

type PauseState = PauseKind | "all" | "none";

/** A fresh copy of the world (one deployment for the whole file) with `state`'s pauses on. */
async function inState(state: PauseState): Promise<World> {
  const w = await loadFixture(world);
  const kinds = state === "all" ? KINDS : state === "none" ? [] : [state];
  for (const k of kinds) await pause(w, k);
  return w;
}

// ──────────────────────────────── Every user action ────────────────────────────────

interface Blocked {
  on: (w: World) => BaseContract;
  error: string;
  args?: unknown[];
}
interface Action {
  name: string;
  actor: (w: World) => HardhatEthersSigner;
  /** Setup that is not itself the action (an approval, moving to a new frame); never paused. */
  prepare?: (w: World) => Promise<void>;
  run: (w: World) => Promise<ContractTransactionResponse>;
  /** The pauses that stop it, in the order the code checks them (the first applies when several are on). */
  blockedBy: Partial<Record<PauseKind, Blocked>>;
}

/** The current frame's report (after `prepare` moved to a new frame) that finalizes request 3. */
async function finalizing(w: World) {
  const [refSlot] = await w.oracle.getCurrentFrame();
  return buildReport(refSlot, {
    numValidators: 3n,
    clBalanceGwei: toGwei(w.clWei + parseEther("0.01")),
    lastRequestIdToFinalize: 3n,
  });
}

const STAKING: Blocked = { on: (w) => w.pool, error: "StakingPaused" };
const QUEUE: Blocked = { on: (w) => w.queue, error: "WithdrawalsPaused" };
const REPORTS: Blocked = { on: (w) => w.oracle, error: "ReportsPaused" };
const one = parseEther("1");
const half = parseEther("0.5");
const inAnHour = async () => BigInt(await time.latest()) + 3600n;

const ACTIONS: Action[] = [
  // Staking and its side doors
  {
    name: "stake",
    actor: (w) => w.alice,
    run: (w) => w.pool.connect(w.alice).stake(ZeroAddress, { value: one }),
    blockedBy: { staking: STAKING },
  },
  {
    name: "plain ETH to the pool",
    actor: (w) => w.alice,
    run: (w) => w.alice.sendTransaction({ to: w.poolAddress, value: one }) as Promise<ContractTransactionResponse>,
    blockedBy: { staking: STAKING },
  },
  {
    name: "stakeAndWrap",
    actor: (w) => w.alice,
    run: (w) => w.wrapper.connect(w.alice).stakeAndWrap(ZeroAddress, { value: one }),
    blockedBy: { staking: STAKING },
  },
  {
    name: "plain ETH to the wrapper",
    actor: (w) => w.alice,
    run: (w) => w.alice.sendTransaction({ to: w.wrapperAddress, value: one }) as Promise<ContractTransactionResponse>,
    blockedBy: { staking: STAKING },
  },
  {
    name: "an operator's bond deposit (staked by the registry)",
    actor: (w) => w.operator,
    run: (w) => w.registry.connect(w.operator).depositBond(w.operatorId, { value: one }),
    blockedBy: { staking: STAKING },
  },
  // Instant redemption
  {
    name: "instantRedeem",
    actor: (w) => w.alice,
    run: (w) => w.pool.connect(w.alice).instantRedeem(half, 0n, w.alice.address),
    blockedBy: { instantRedeem: { on: (w) => w.pool, error: "InstantRedeemPaused" } },
  },
  {
    name: "instantRedeem to another recipient",
    actor: (w) => w.alice,
    run: (w) => w.pool.connect(w.alice).instantRedeem(half, 0n, w.carol.address),
    blockedBy: { instantRedeem: { on: (w) => w.pool, error: "InstantRedeemPaused" } },
  },
  // Withdrawal requests and claims
  {
    name: "requestWithdrawals",
    actor: (w) => w.alice,
    prepare: async (w) => void (await (await w.pool.connect(w.alice).approve(w.queueAddress, half)).wait()),
    run: (w) => w.queue.connect(w.alice).requestWithdrawals([half], ZeroAddress),
    blockedBy: { queue: QUEUE },
  },
  {
    name: "requestWithdrawalsWithPermit",
    actor: (w) => w.alice,
    run: async (w) => {
      const deadline = await inAnHour();
      const { v, r, s } = await signPermit(w.pool, w.alice, w.queueAddress, half, deadline);
      return w.queue
        .connect(w.alice)
        .requestWithdrawalsWithPermit([half], ZeroAddress, { value: half, deadline, v, r, s });
    },
    blockedBy: { queue: QUEUE },
  },
  {
    name: "requestWithdrawalsWrapped",
    actor: (w) => w.alice,
    prepare: async (w) => void (await (await w.wrapper.connect(w.alice).approve(w.queueAddress, MaxUint256)).wait()),
    run: (w) => w.queue.connect(w.alice).requestWithdrawalsWrapped([half], ZeroAddress),
    blockedBy: { queue: QUEUE },
  },
  {
    name: "requestWithdrawalsWrappedWithPermit",
    actor: (w) => w.alice,
    run: async (w) => {
      const deadline = await inAnHour();
      const { v, r, s } = await signPermit(w.wrapper, w.alice, w.queueAddress, half, deadline);
      return w.queue
        .connect(w.alice)
        .requestWithdrawalsWrappedWithPermit([half], ZeroAddress, { value: half, deadline, v, r, s });
    },
    blockedBy: { queue: QUEUE },
  },
  {
    name: "claimWithdrawal",
    actor: (w) => w.alice,
    run: (w) => w.queue.connect(w.alice).claimWithdrawal(1n),
    blockedBy: { queue: QUEUE },
  },
  {
    name: "claimWithdrawals",
    actor: (w) => w.alice,
    run: (w) => w.queue.connect(w.alice).claimWithdrawals([1n], [1n]),
    blockedBy: { queue: QUEUE },
  },
  {
    name: "claimWithdrawalsTo another recipient",
    actor: (w) => w.bob,
    run: (w) => w.queue.connect(w.bob).claimWithdrawalsTo([2n], [1n], w.carol.address),
    blockedBy: { queue: QUEUE },
  },
  // Deposits and reports
  {
    name: "a guardian-attested deposit, submitted by anyone",
    actor: (w) => w.attacker,
    run: async (w) => {
      const attestation = await currentAttestation(w.depositContract, w.registry, ethers.provider);
      const signatures = await signAttestation(w.dsm, attestation, [w.guardian]);
      return w.dsm.connect(w.attacker).depositBufferedEther(w.operatorId, 1n, attestation, signatures);
    },
    blockedBy: { deposits: { on: (w) => w.pool, error: "DepositsPaused" } },
  },
  {
    name: "an oracle member's vote",
    actor: (w) => w.oracleMembers[0],
    prepare: async (w) => void (await advanceFrames(hre.network.provider, w.oracle)),
    run: async (w) => {
      const [refSlot] = await w.oracle.getCurrentFrame();
      const report = buildReport(refSlot, { numValidators: 3n, clBalanceGwei: toGwei(w.clWei + parseEther("0.01")) });
      return w.oracle.connect(w.oracleMembers[0]).submitReport(report);
    },
    blockedBy: { reports: REPORTS },
  },
  {
    name: "a report that finalizes request 3 reaching the quorum",
    actor: (w) => w.oracleMembers[1],
    // The first vote is cast before the pause would bite (when reports are not paused); the action
    // is the vote that reaches the quorum and applies the report.
    prepare: async (w) => {
      await advanceFrames(hre.network.provider, w.oracle);
      if (!(await w.oracle.reportsPaused()))
        await (await w.oracle.connect(w.oracleMembers[0]).submitReport(await finalizing(w))).wait();
    },
    run: async (w) => w.oracle.connect(w.oracleMembers[1]).submitReport(await finalizing(w)),
    blockedBy: { reports: REPORTS, queue: QUEUE },
  },
  // What no pause covers: moving, wrapping and approving tokens and requests, operators' shares.
  {
    name: "transfer",
    actor: (w) => w.alice,
    run: (w) => w.pool.connect(w.alice).transfer(w.carol.address, one),
    blockedBy: {},
  },
  {
    name: "transferShares",
    actor: (w) => w.alice,
    run: (w) => w.pool.connect(w.alice).transferShares(w.carol.address, half),
    blockedBy: {},
  },
  {
    name: "transferFrom",
    actor: (w) => w.carol,
    prepare: async (w) => void (await (await w.pool.connect(w.alice).approve(w.carol.address, one)).wait()),
    run: (w) => w.pool.connect(w.carol).transferFrom(w.alice.address, w.carol.address, one),
    blockedBy: {},
  },
  {
    name: "tpETH permit",
    actor: (w) => w.carol,
    run: async (w) => {
      const deadline = await inAnHour();
      const { v, r, s } = await signPermit(w.pool, w.alice, w.carol.address, one, deadline);
      return w.pool.connect(w.carol)[PERMIT_VRS](w.alice.address, w.carol.address, one, deadline, v, r, s);
    },
    blockedBy: {},
  },
  { name: "wrap", actor: (w) => w.alice, run: (w) => w.wrapper.connect(w.alice).wrap(one), blockedBy: {} },
  { name: "unwrap", actor: (w) => w.alice, run: (w) => w.wrapper.connect(w.alice).unwrap(half), blockedBy: {} },
  {
    name: "wtpETH transfer",
    actor: (w) => w.alice,
    run: (w) => w.wrapper.connect(w.alice).transfer(w.carol.address, half),
    blockedBy: {},
  },
  {
    name: "wtpETH ERC-4626 redeem",
    actor: (w) => w.alice,
    run: (w) => w.wrapper.connect(w.alice).redeem(half, w.carol.address, w.alice.address),
    blockedBy: {},
  },
  {
    name: "withdrawal NFT transfer (pending request)",
    actor: (w) => w.alice,
    run: (w) => w.queue.connect(w.alice).transferFrom(w.alice.address, w.carol.address, 3n),
    blockedBy: {},
  },
  {
    name: "withdrawal NFT transfer (finalized request)",
    actor: (w) => w.bob,
    run: (w) => w.queue.connect(w.bob)["safeTransferFrom(address,address,uint256)"](w.bob.address, w.carol.address, 2n),
    blockedBy: {},
  },
  {
    name: "withdrawal NFT approve",
    actor: (w) => w.alice,
    run: (w) => w.queue.connect(w.alice).approve(w.carol.address, 1n),
    blockedBy: {},
  },
  {
    name: "withdrawBond (free bond, paid in shares)",
    actor: (w) => w.operator,
    run: async (w) =>
      w.registry
        .connect(w.operator)
        .withdrawBond(w.operatorId, await w.pool.getSharesByPooledEth(one), w.operator.address),
    blockedBy: {},
  },
  {
    name: "claimOperatorRewards",
    actor: (w) => w.operator,
    run: (w) => w.registry.connect(w.operator).claimOperatorRewards(w.operatorId),
    blockedBy: {},
  },
  {
    name: "refreshOperator",
    actor: (w) => w.carol,
    run: (w) => w.registry.connect(w.carol).refreshOperator(w.operatorId),
    blockedBy: {},
  },
  {
    name: "ETH to the EL-rewards vault",
    actor: (w) => w.carol,
    run: async (w) =>
      w.carol.sendTransaction({
        to: await w.elRewardsVault.getAddress(),
        value: one,
      }) as Promise<ContractTransactionResponse>,
    blockedBy: {},
  },
];

/** The accounts whose holdings every check covers (actors and bystanders). */
const accountsOf = (w: World) =>
  [w.alice, w.bob, w.carol, w.attacker, w.operator, ...w.oracleMembers, w.pauser].map((s) => s.address);

/** Everything a refused action must leave as it was; holdings with the gas paid since `ledger` opened added back. */
async function state(w: World, ledger: Ledger): Promise<unknown> {
  const accounts = accountsOf(w);
  return plain([
    await protocolState(w),
    await Promise.all(accounts.map(async (a) => Object.values(await ledger.holdingsGasBack(a)))),
    await Promise.all(accounts.map((a) => w.queue.balanceOf(a))),
    await w.registry.getNodeOperator(w.operatorId),
    await w.registry.pendingOperatorRewards(w.operatorId),
    await w.depositContract.get_deposit_root(),
    await w.oracle.getReportVariants(),
    await ethers.provider.getBalance(await w.elRewardsVault.getAddress()),
  ]);
}

/** Runs every action in the pause state `kind` (each from a fresh copy of it) and checks the outcome. */
async function tryEverything(kind: PauseState): Promise<{ refused: string[]; went: string[] }> {
  const refused: string[] = [];
  const went: string[] = [];
  for (const action of ACTIONS) {
    const w = await inState(kind);
    if (action.prepare) await action.prepare(w);
    const blockers = Object.entries(action.blockedBy) as [PauseKind, Blocked][];
    const blocker = blockers.find(([k]) => kind === "all" || k === kind)?.[1];
    if (blocker) {
      const actor = action.actor(w);
      const ledger = await Ledger.open(w, accountsOf(w));
      const before = await state(w, ledger);
      await expect(action.run(w), `${kind}: ${action.name}`)
        .to.be.revertedWithCustomError(blocker.on(w), blocker.error)
        .withArgs(...(blocker.args ?? []));
      expect(await state(w, ledger), `${kind}: ${action.name} moved something`).to.deep.equal(before);
      expect(await ledger.profit(actor.address), `${kind}: ${action.name}`).to.equal(0n);
      refused.push(action.name);
    } else {
      await expect(action.run(w), `${kind}: ${action.name}`).not.to.be.reverted;
      went.push(action.name);
    }
  }
  return { refused, went };
}

describe("Attack: every user action under every pause", function () {
  it("staking paused: stake, plain ETH to the pool or the wrapper, stakeAndWrap and bond deposits all revert StakingPaused", async function () {
    const { refused } = await tryEverything("staking");
    expect(refused).to.deep.equal([
      "stake",
      "plain ETH to the pool",
      "stakeAndWrap",
      "plain ETH to the wrapper",
      "an operator's bond deposit (staked by the registry)",
    ]);
    const w = await inState("staking");
    expect(await w.pool.getCurrentStakeLimit()).to.equal(0n);
  });

  it("instant redemption paused: InstantRedeemPaused to any recipient; the queue still serves leavers", async function () {
    const { refused, went } = await tryEverything("instantRedeem");
    expect(refused).to.deep.equal(["instantRedeem", "instantRedeem to another recipient"]);
    expect(went).to.include.members(["requestWithdrawals", "claimWithdrawal"]);
  });

  it("deposits paused: a valid guardian attestation cannot move buffered ETH (DepositsPaused)", async function () {
    const { refused } = await tryEverything("deposits");
    expect(refused).to.deep.equal(["a guardian-attested deposit, submitted by anyone"]);
  });

  it("queue paused: every request and claim entry point, and a report that would finalize, revert WithdrawalsPaused", async function () {
    const { refused, went } = await tryEverything("queue");
    expect(refused).to.deep.equal([
      "requestWithdrawals",
      "requestWithdrawalsWithPermit",
      "requestWithdrawalsWrapped",
      "requestWithdrawalsWrappedWithPermit",
      "claimWithdrawal",
      "claimWithdrawals",
      "claimWithdrawalsTo another recipient",
      "a report that finalizes request 3 reaching the quorum",
    ]);
    // NFT transfers go on (docs/design.md item 41), so holders can still sell a request.
    expect(went).to.include.members([
      "withdrawal NFT transfer (pending request)",
      "withdrawal NFT transfer (finalized request)",
    ]);
  });

  it("reports paused: no member can vote (ReportsPaused), so no report can finalize either", async function () {
    const { refused } = await tryEverything("reports");
    expect(refused).to.deep.equal(["an oracle member's vote", "a report that finalizes request 3 reaching the quorum"]);
  });

  it("everything paused at once: exactly the union is refused, each with its first error; tokens still move", async function () {
    const { refused, went } = await tryEverything("all");
    expect(refused).to.have.length(5 + 2 + 1 + 7 + 2);
    expect(went).to.deep.equal(ACTIONS.filter((a) => Object.keys(a.blockedBy).length === 0).map((a) => a.name));
  });

  it("the pauser can only pause: it cannot resume anything; with no pause on (governance resumed), every action goes through", async function () {
    const w = await inState("all");
    const ledger = await Ledger.open(w, accountsOf(w));
    const before = await state(w, ledger);
    const resume = id("RESUME_ROLE");
    await expect(w.pool.connect(w.pauser).resume(7))
      .to.be.revertedWithCustomError(w.pool, "AccessControlUnauthorizedAccount")
      .withArgs(w.pauser.address, resume);
    await expect(w.queue.connect(w.pauser).resume())
      .to.be.revertedWithCustomError(w.queue, "AccessControlUnauthorizedAccount")
      .withArgs(w.pauser.address, resume);
    await expect(w.oracle.connect(w.pauser).resumeReports())
      .to.be.revertedWithCustomError(w.oracle, "AccessControlUnauthorizedAccount")
      .withArgs(w.pauser.address, resume);
    // Nor can it lift bunker mode or touch anything else through `pause` (unknown bits are refused).
    await expect(w.pool.connect(w.pauser).pause(0x80))
      .to.be.revertedWithCustomError(w.pool, "InvalidCapabilities")
      .withArgs(0x80);
    expect(await state(w, ledger)).to.deep.equal(before);
    expect(await ledger.profit(w.pauser.address)).to.equal(0n);

    await (await w.pool.connect(w.admin).resume(7)).wait();
    await (await w.queue.connect(w.admin).resume()).wait();
    await (await w.oracle.connect(w.admin).resumeReports()).wait();
    expect(await w.pool.pausedCapabilities()).to.equal(0n);
    expect(await w.queue.withdrawalsPaused()).to.equal(false);
    expect(await w.oracle.reportsPaused()).to.equal(false);

    // The baseline: with nothing paused, every one of the actions goes through.
    const { refused, went } = await tryEverything("none");
    expect(refused).to.deep.equal([]);
    expect(went).to.have.length(ACTIONS.length);
  });
});
