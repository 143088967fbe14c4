import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";
import { registerOperator } from "../../offchain/operators/register";
import { exitedKeysEntry, keyLossEntry } from "../../sdk/src/report";
import { submitUntilApplied } from "../../offchain/oracle/devchain";
import {
  advanceFrames,
  allowClDrop,
  clDropBP,
  buildReport,
  depositValidators,
  deployWithValidators,
  toGwei,
  type OracleFixture,
  type ReportFields,
} from "../helpers/oracle-fixtures";

/**
 * Per-key losses (`keyLosses`) and exited validators (`exitedKeys`) in the committee's report: a key is
 * charged only what it still owes, each operator named is attributed exactly its keys' sum, and exited
 * counts reach the registry only this way (review findings 3, 5.1 and 5.3).
 */
describe("AccountingOracle per-key losses and exited validators", function () {
  const CL_96 = parseEther("96");
  const ONE_GWEI_ETH = 10n ** 9n; // 1 ETH in gwei

  /** Operator 0 (3 validators, 6 ETH bond) and operator 1 (1 validator, 2 ETH bond): 128 ETH on the CL. */
  async function twoOperators(): Promise<OracleFixture> {
    const f = await loadFixture(deployWithValidators);
    await f.pool.connect(f.staker).stake(hre.ethers.ZeroAddress, { value: parseEther("40") });
    const other = f.users[4];
    const id = await registerOperator(f.registry, f.pool, f.admin, {
      name: "op-1",
      rewardAddress: other,
      keys: 2,
      bondWei: parseEther("2"),
    });
    await depositValidators(f, id, 1);
    await f.report({ numValidators: 4n, clBalanceGwei: toGwei(CL_96 + parseEther("32")) });
    return f;
  }

  /** Opens the next frame and returns a submitter for a report built from `fields`. */
  async function next(f: OracleFixture, fields: Partial<ReportFields>) {
    const refSlot = await advanceFrames(hre.network.provider, f.oracle);
    const data = buildReport(refSlot, { numValidators: 4n, ...fields });
    return { data, submit: () => submitUntilApplied(f.oracle, f.oracleMembers, data) };
  }

  async function state(f: OracleFixture) {
    return {
      rate: [await f.pool.totalPooledEther(), await f.pool.totalShares()],
      bond0: (await f.registry.getNodeOperator(0n)).bondShares,
      charged: await f.oracle.keyLossChargedGwei(0n, 1n),
      processed: await f.oracle.getLastProcessedRefSlot(),
    };
  }

  it("charges a key its loss to date once; later reports charge only what more it has lost, and nothing for a lower one", async function () {
    const f = await loadFixture(twoOperators);
    const { oracle, registry, pool } = f;
    const cl = CL_96 + parseEther("32");
    // Key 1 of operator 0 has lost 1 ETH.
    let open = await next(f, {
      clBalanceGwei: toGwei(cl - parseEther("1")),
      keyLosses: [keyLossEntry(0n, 1n, ONE_GWEI_ETH)],
      operatorIdsWithLosses: [0n],
      operatorLossesGwei: [ONE_GWEI_ETH],
    });
    const [P, S] = [await pool.totalPooledEther(), await pool.totalShares()];
    const shares = (parseEther("1") * S + P - 1n) / P;
    let receipts = await open.submit();
    const last = receipts[receipts.length - 1];
    await expect(last).to.emit(oracle, "KeyLossCharged").withArgs(0n, 1n, ONE_GWEI_ETH, ONE_GWEI_ETH);
    await expect(last).to.emit(oracle, "OperatorLossCovered").withArgs(0n, parseEther("1"), parseEther("1"), shares);
    expect(await oracle.keyLossChargedGwei(0n, 1n)).to.equal(ONE_GWEI_ETH);
    expect(await oracle.keyLossChargedGwei(0n, 0n)).to.equal(0n);

    // The same loss to date again (a member whose node re-reads it): it owes nothing, so naming a loss
    // for its operator is refused, and without one the report applies and burns nothing.
    open = await next(f, {
      clBalanceGwei: toGwei(cl - parseEther("1")),
      keyLosses: [keyLossEntry(0n, 1n, ONE_GWEI_ETH)],
      operatorIdsWithLosses: [0n],
      operatorLossesGwei: [ONE_GWEI_ETH],
    });
    const before = await state(f);
    await expect(f.oracle.connect(f.oracleMembers[0]).submitReport(open.data)).to.not.be.reverted;
    await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(open.data))
      .to.be.revertedWithCustomError(oracle, "OperatorLossMismatch")
      .withArgs(0n, ONE_GWEI_ETH, 0n);
    expect(await state(f)).to.deep.equal(before);
    const same = buildReport(open.data.refSlot as bigint, {
      numValidators: 4n,
      clBalanceGwei: toGwei(cl - parseEther("1")),
      keyLosses: [keyLossEntry(0n, 1n, ONE_GWEI_ETH)],
    });
    receipts = await submitUntilApplied(f.oracle, f.oracleMembers.slice(1), same);
    await expect(receipts[receipts.length - 1]).to.not.emit(oracle, "KeyLossCharged");
    await expect(receipts[receipts.length - 1]).to.not.emit(oracle, "OperatorLossCovered");
    expect((await registry.getNodeOperator(0n)).bondShares).to.equal(before.bond0);

    // 1.5 ETH to date: 0.5 ETH more.
    open = await next(f, {
      clBalanceGwei: toGwei(cl - parseEther("1.5")),
      keyLosses: [keyLossEntry(0n, 1n, ONE_GWEI_ETH + ONE_GWEI_ETH / 2n)],
      operatorIdsWithLosses: [0n],
      operatorLossesGwei: [ONE_GWEI_ETH / 2n],
    });
    receipts = await open.submit();
    await expect(receipts[receipts.length - 1])
      .to.emit(oracle, "KeyLossCharged")
      .withArgs(0n, 1n, (ONE_GWEI_ETH * 3n) / 2n, ONE_GWEI_ETH / 2n);
    expect(await oracle.keyLossChargedGwei(0n, 1n)).to.equal((ONE_GWEI_ETH * 3n) / 2n);

    // A top-up lowered the loss to date: nothing is refunded and nothing charged.
    open = await next(f, {
      clBalanceGwei: toGwei(cl - parseEther("1.5")),
      keyLosses: [keyLossEntry(0n, 1n, ONE_GWEI_ETH)],
    });
    receipts = await open.submit();
    await expect(receipts[receipts.length - 1]).to.not.emit(oracle, "KeyLossCharged");
    expect(await oracle.keyLossChargedGwei(0n, 1n)).to.equal((ONE_GWEI_ETH * 3n) / 2n);
  });

  it("attributes each operator named in keyLosses exactly its keys' sum; operators it does not name may carry other losses", async function () {
    const f = await loadFixture(twoOperators);
    const cl = CL_96 + parseEther("32");
    const keys = [keyLossEntry(0n, 0n, ONE_GWEI_ETH / 4n), keyLossEntry(0n, 2n, ONE_GWEI_ETH / 4n)];
    const base = { clBalanceGwei: toGwei(cl - parseEther("1")), keyLosses: keys };
    const cases: [string, Partial<ReportFields>, bigint, bigint, bigint][] = [
      [
        "too little",
        { operatorIdsWithLosses: [0n], operatorLossesGwei: [ONE_GWEI_ETH / 4n] },
        0n,
        ONE_GWEI_ETH / 4n,
        ONE_GWEI_ETH / 2n,
      ],
      ["not listed", { operatorIdsWithLosses: [1n], operatorLossesGwei: [ONE_GWEI_ETH] }, 0n, 0n, ONE_GWEI_ETH / 2n],
    ];
    for (const [name, fields, operatorId, reported, owed] of cases) {
      const open = await next(f, { ...base, ...fields });
      const before = await state(f);
      await (await f.oracle.connect(f.oracleMembers[0]).submitReport(open.data)).wait();
      await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(open.data), name)
        .to.be.revertedWithCustomError(f.oracle, "OperatorLossMismatch")
        .withArgs(operatorId, reported, owed);
      expect(await state(f)).to.deep.equal(before);
    }
    // Operator 0 exactly its keys' 0.5 ETH; operator 1, not named in keyLosses, a loss of its own.
    const open = await next(f, {
      ...base,
      operatorIdsWithLosses: [0n, 1n],
      operatorLossesGwei: [ONE_GWEI_ETH / 2n, ONE_GWEI_ETH / 2n],
    });
    const receipts = await open.submit();
    const last = receipts[receipts.length - 1];
    await expect(last)
      .to.emit(f.oracle, "KeyLossCharged")
      .withArgs(0n, 0n, ONE_GWEI_ETH / 4n, ONE_GWEI_ETH / 4n);
    await expect(last)
      .to.emit(f.oracle, "KeyLossCharged")
      .withArgs(0n, 2n, ONE_GWEI_ETH / 4n, ONE_GWEI_ETH / 4n);
    await expect(last)
      .to.emit(f.oracle, "OperatorLossCovered")
      .withArgs(1n, parseEther("0.5"), parseEther("0.5"), (v: bigint) => v > 0n);
  });

  it("refuses entries out of order, for undeposited keys, or above 32 ETH, each by name, changing nothing", async function () {
    const f = await loadFixture(twoOperators);
    const cl = toGwei(CL_96 + parseEther("32"));
    const cases: [string, bigint[], string, unknown[]][] = [
      ["same key twice", [keyLossEntry(0n, 1n, 1n), keyLossEntry(0n, 1n, 2n)], "KeyLossesNotAscending", [1n]],
      ["descending", [keyLossEntry(1n, 0n, 1n), keyLossEntry(0n, 2n, 1n)], "KeyLossesNotAscending", [1n]],
      ["undeposited key", [keyLossEntry(0n, 3n, 1n)], "LossKeyNotDeposited", [0n, 3n]],
      [
        "over 32 ETH",
        [keyLossEntry(0n, 0n, 32n * ONE_GWEI_ETH + 1n)],
        "KeyLossTooLarge",
        [0n, 0n, 32n * ONE_GWEI_ETH + 1n],
      ],
    ];
    for (const [name, keyLosses, error, args] of cases) {
      const open = await next(f, { clBalanceGwei: cl, keyLosses });
      const before = await state(f);
      await (await f.oracle.connect(f.oracleMembers[0]).submitReport(open.data)).wait();
      await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(open.data), name)
        .to.be.revertedWithCustomError(f.oracle, error)
        .withArgs(...args);
      expect(await state(f)).to.deep.equal(before);
    }
    // Exactly 32 ETH (a deposit to a front-run key) is accepted. That is a 25% drop of the CL's
    // 128 ETH: the one-off drop limit (5%) holds even in bunker mode and no slashing is proven here,
    // so governance raises it first.
    await allowClDrop(f.oracle, f.admin, clDropBP(parseEther("32"), CL_96 + parseEther("32")));
    const open = await next(f, {
      clBalanceGwei: cl - 32n * ONE_GWEI_ETH,
      isBunkerMode: true,
      keyLosses: [keyLossEntry(1n, 0n, 32n * ONE_GWEI_ETH)],
      operatorIdsWithLosses: [1n],
      operatorLossesGwei: [32n * ONE_GWEI_ETH],
    });
    await open.submit();
    expect(await f.oracle.keyLossChargedGwei(1n, 0n)).to.equal(32n * ONE_GWEI_ETH);
    expect((await f.registry.getNodeOperator(1n)).bondShares).to.equal(0n);
  });

  it("records exited validators from the report in the registry, operators ascending, within what each deposited", async function () {
    const f = await loadFixture(twoOperators);
    const cl = toGwei(CL_96 + parseEther("32"));
    for (const [name, exitedKeys, target, error, args] of [
      [
        "not ascending",
        [exitedKeysEntry(1n, 1n), exitedKeysEntry(0n, 1n)],
        f.oracle,
        "ExitedKeysNotAscending",
        [1n, 0n],
      ],
      ["above deposited", [exitedKeysEntry(0n, 4n)], f.registry, "InvalidExitedKeys", [0n, 4n, 0n, 3n]],
    ] as const) {
      const open = await next(f, { clBalanceGwei: cl, exitedKeys: [...exitedKeys] });
      await (await f.oracle.connect(f.oracleMembers[0]).submitReport(open.data)).wait();
      await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(open.data), name)
        .to.be.revertedWithCustomError(target, error)
        .withArgs(...args);
      expect((await f.registry.getNodeOperator(0n)).exitedKeys).to.equal(0n);
    }
    const open = await next(f, { clBalanceGwei: cl, exitedKeys: [exitedKeysEntry(0n, 2n), exitedKeysEntry(1n, 1n)] });
    const receipts = await open.submit();
    await expect(receipts[receipts.length - 1])
      .to.emit(f.registry, "ExitedKeysReported")
      .withArgs(0n, 2n);
    await expect(receipts[receipts.length - 1])
      .to.emit(f.registry, "ExitedKeysReported")
      .withArgs(1n, 1n);
    expect((await f.registry.getNodeOperator(0n)).exitedKeys).to.equal(2n);
    expect((await f.registry.getNodeOperator(1n)).exitedKeys).to.equal(1n);
    // A lower count than recorded changes nothing (a proof may have raised the count ahead of the
    // committee): the report applies, the registry keeps 2 and emits no ExitedKeysReported.
    const lower = await next(f, { clBalanceGwei: cl, exitedKeys: [exitedKeysEntry(0n, 1n)] });
    const lowered = await lower.submit();
    expect(await f.oracle.getLastProcessedRefSlot()).to.equal(lower.data.refSlot);
    await expect(lowered[lowered.length - 1]).not.to.emit(f.registry, "ExitedKeysReported");
    expect((await f.registry.getNodeOperator(0n)).exitedKeys).to.equal(2n);
    expect((await f.registry.getNodeOperator(1n)).exitedKeys).to.equal(1n);
    // Above deposited is still refused, whatever was recorded before.
    const above = await next(f, { clBalanceGwei: cl, exitedKeys: [exitedKeysEntry(0n, 4n)] });
    await (await f.oracle.connect(f.oracleMembers[0]).submitReport(above.data)).wait();
    await expect(f.oracle.connect(f.oracleMembers[1]).submitReport(above.data))
      .to.be.revertedWithCustomError(f.registry, "InvalidExitedKeys")
      .withArgs(0n, 4n, 2n, 3n);
    expect((await f.registry.getNodeOperator(0n)).exitedKeys).to.equal(2n);
  });
});
