/**
 * The pure parts of the operator reads: sdk/src/operators.ts (times, the shares of a bond
 * withdrawal) and offchain/operators/exit-requests.ts `exitStatus` (the status of a requested exit, proven
 * facts first). The chain-backed parts are covered through the tasks (test/tasks/Operators*.test.ts).
 */
import { expect } from "chai";
import { bondWithdrawalShares, relativeTime, utcTime } from "../../sdk/src/operators";
import { exitStatus } from "../../offchain/operators/exit-requests";
import { FACT, FAR_FUTURE_EPOCH } from "../../offchain/prover/facts";

describe("Operator reads", function () {
  describe("utcTime and relativeTime", function () {
    it("print a unix time as a UTC date to the second", function () {
      expect(utcTime(0n)).to.equal("1970-01-01 00:00:00 UTC");
      expect(utcTime(1_796_668_807n)).to.equal("2026-12-07 18:40:07 UTC");
    });

    it("say how far a time is from now in its largest unit and the next, zeros left out, ahead or past", function () {
      const now = 1_000_000n;
      expect(relativeTime(now + 3n * 86_400n + 4n * 3_600n + 5n * 60n + 6n, now)).to.equal("in 3d 4h");
      expect(relativeTime(now - (2n * 3_600n + 5n * 60n), now)).to.equal("2h 5m ago");
      expect(relativeTime(now + 3n * 86_400n + 9n, now)).to.equal("in 3d");
      expect(relativeTime(now - (86_400n + 60n), now)).to.equal("1d ago");
      expect(relativeTime(now + 3_600n + 5n, now)).to.equal("in 1h");
      expect(relativeTime(now + 59n, now)).to.equal("in 59s");
      expect(relativeTime(now, now)).to.equal("now");
    });
  });

  describe("bondWithdrawalShares", function () {
    /** A pool at 2 ETH per share (rounding down, as the contract does). */
    const pool = { getSharesByPooledEth: async (wei: bigint) => wei / 2n };
    const bond = { freeShares: 5n, freeWei: 10n };

    it("rounds the shares of an amount down, so the withdrawal pays at most the amount asked", async function () {
      expect(await bondWithdrawalShares(pool, bond, 7n)).to.deep.equal({ ok: true, shares: 3n });
      expect(await bondWithdrawalShares(pool, bond, 10n)).to.deep.equal({ ok: true, shares: 5n });
    });

    it("all: every free share", async function () {
      expect(await bondWithdrawalShares(pool, bond, "all")).to.deep.equal({ ok: true, shares: 5n });
    });

    it("refuses more than the free bond, nothing free, and an amount below one share", async function () {
      expect(await bondWithdrawalShares(pool, bond, 11n)).to.deep.equal({ ok: false, reason: "above-free" });
      expect(await bondWithdrawalShares(pool, { freeShares: 0n, freeWei: 0n }, "all")).to.deep.equal({
        ok: false,
        reason: "above-free",
      });
      expect(await bondWithdrawalShares(pool, bond, 1n)).to.deep.equal({ ok: false, reason: "below-one-share" });
    });
  });

  describe("exitStatus", function () {
    const active = { exitEpoch: FAR_FUTURE_EPOCH, status: "active_ongoing" };
    const now = 1_000n;

    it("puts proven facts first: exited, then late (forced through EIP-7002), then governance's forced exit", function () {
      expect(exitStatus(FACT.exited | FACT.late, active, 500n, now)).to.equal("proven exited");
      expect(exitStatus(FACT.late, active, 500n, now)).to.equal("proven late and forced");
      expect(exitStatus(FACT.forced, active, 500n, now)).to.equal("forced by governance");
    });

    it("then the beacon chain: exiting, or exited and not proven yet", function () {
      expect(exitStatus(0n, { exitEpoch: 90n, status: "active_exiting" }, 500n, now)).to.equal("exiting");
      expect(exitStatus(0n, { exitEpoch: 90n, status: "exited_unslashed" }, 500n, now)).to.equal("exited");
      expect(exitStatus(0n, { exitEpoch: 90n, status: "withdrawal_done" }, 500n, now)).to.equal("exited");
    });

    it("then the clock: late once past the deadline (not at it), requested before or without one", function () {
      expect(exitStatus(0n, active, 999n, now)).to.equal("late: may be proven");
      expect(exitStatus(0n, active, 1_000n, now)).to.equal("requested");
      expect(exitStatus(0n, undefined, undefined, now)).to.equal("requested");
      expect(exitStatus(FACT.slashed, active, 2_000n, now)).to.equal("requested");
    });
  });
});
