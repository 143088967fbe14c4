import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";
import { DEPOSIT_SIZE_WEI, exitsNeeded, planExits, readOperatorValidators } from "../../offchain/oracle/exits";
import { deployWithValidators, requestWithdrawal, toGwei } from "../helpers/oracle-fixtures";

describe("exit planner (off-chain oracle)", function () {
  describe("exitsNeeded", function () {
    it("is the shortfall beyond the buffer and expected inflows in validators, rounded up", function () {
      expect(exitsNeeded(parseEther("100"), parseEther("100"), 0n)).to.equal(0n);
      expect(exitsNeeded(parseEther("100"), parseEther("120"), 0n)).to.equal(0n);
      expect(exitsNeeded(parseEther("100"), parseEther("68"), 0n)).to.equal(1n); // exactly 32
      expect(exitsNeeded(parseEther("100"), parseEther("68") - 1n, 0n)).to.equal(2n); // 32 ETH + 1 wei
      expect(exitsNeeded(parseEther("100"), parseEther("10"), parseEther("32"))).to.equal(2n); // 58 ETH
      expect(exitsNeeded(parseEther("100"), 0n, parseEther("100"))).to.equal(0n);
    });
  });

  describe("planExits", function () {
    const operators = [
      { operatorId: 0n, depositedKeys: 5n, exitedKeys: 1n }, // 4 running: keys 1–4
      { operatorId: 1n, depositedKeys: 3n, exitedKeys: 0n }, // 3 running: keys 0–2
      { operatorId: 2n, depositedKeys: 4n, exitedKeys: 0n }, // 4 running: keys 0–3
    ];

    it("takes from the operator with the most running validators (ties: lowest id), oldest key first", function () {
      expect(planExits(operators, 5n)).to.deep.equal([
        { operatorId: 0n, keyIndex: 1n }, // 4/3/4 → operator 0 (tie with 2, lower id)
        { operatorId: 2n, keyIndex: 0n }, // 3/3/4
        { operatorId: 0n, keyIndex: 2n }, // 3/3/3 → lowest id
        { operatorId: 1n, keyIndex: 0n }, // 2/3/3
        { operatorId: 2n, keyIndex: 1n }, // 2/2/3
      ]);
    });

    it("skips keys already asked to exit and counts them as leaving", function () {
      const pending = [
        { operatorId: 0n, keyIndex: 1n },
        { operatorId: 0n, keyIndex: 2n },
      ];
      expect(planExits(operators, 2n, pending)).to.deep.equal([
        { operatorId: 2n, keyIndex: 0n }, // 2/3/4
        { operatorId: 1n, keyIndex: 0n }, // 2/3/3 → 1 before 2
      ]);
    });

    it("stops when every deposited validator is exiting", function () {
      const plan = planExits([{ operatorId: 7n, depositedKeys: 2n, exitedKeys: 1n }], 3n);
      expect(plan).to.deep.equal([{ operatorId: 7n, keyIndex: 1n }]);
      expect(planExits(operators, 0n)).to.deep.equal([]);
    });
  });

  it("plans exits the oracle contract accepts, for the queue's shortfall, and the report emits them", async function () {
    const f = await loadFixture(deployWithValidators);
    await requestWithdrawal(f, f.staker, parseEther("80"));
    const unfinalized = await f.withdrawalQueue.unfinalizedEther();
    const buffered = await f.pool.bufferedEther();
    const count = exitsNeeded(unfinalized, buffered, 0n);
    expect(count).to.equal((unfinalized - buffered + DEPOSIT_SIZE_WEI - 1n) / DEPOSIT_SIZE_WEI);
    const plan = planExits(await readOperatorValidators(f.registry), count);
    expect(plan.map((e) => e.keyIndex)).to.deep.equal([0n, 1n, 2n].slice(0, Number(count)));
    const { receipt } = await f.report({
      numValidators: 3n,
      clBalanceGwei: toGwei(parseEther("96")),
      exitOperatorIds: plan.map((e) => e.operatorId),
      exitKeyIndices: plan.map((e) => e.keyIndex),
    });
    const emitted = receipt.logs
      .map((log) => f.oracle.interface.parseLog(log))
      .filter((e) => e?.name === "ValidatorExitRequested")
      .map((e) => ({ operatorId: e?.args[0] as bigint, keyIndex: e?.args[1] as bigint }));
    expect(emitted).to.deep.equal(plan);
  });
});
