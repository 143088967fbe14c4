import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { deployTidepoolUnlimited } from "../helpers/fixtures";
import { buildReport, frameTiming, SECONDS_PER_SLOT } from "../../sdk/src/report";
import { mineAt } from "../../offchain/oracle/devchain";

describe("AccountingOracle: frame configuration changes", function () {
  it("accepts a report whose reference slot fell below the deployment baseline after frames grew", async function () {
    const f = await loadFixture(deployTidepoolUnlimited);
    const { oracle, admin, oracleMembers } = f;
    const baseline = (await oracle.getLastReport()).refSlot;
    // Move one frame ahead, then lengthen frames to m days with m chosen so that the current m-day
    // frame starts at least two days earlier: its reference slot is then below the baseline.
    const timing = await frameTiming(oracle);
    const day = (baseline + 1n) / timing.slotsPerFrame + 1n;
    let m = 2n;
    while (day % m < 2n) m++;
    await mineAt(hre.network.provider, timing.genesisTime + (day * timing.slotsPerFrame + 1n) * SECONDS_PER_SLOT);
    await (await oracle.connect(admin).setFrameConfig(225n * m, m * timing.slotsPerFrame)).wait();
    const [refSlot] = await oracle.getCurrentFrame();
    const before = (await oracle.getLastReport()).refSlot;
    expect(refSlot).to.be.lessThan(before);

    const data = buildReport(refSlot);
    await (await oracle.connect(oracleMembers[0]).submitReport(data)).wait();
    await expect(oracle.connect(oracleMembers[1]).submitReport(data))
      .to.emit(oracle, "ReportApplied")
      .withArgs(
        refSlot,
        await f.pool.totalPooledEther(),
        await f.pool.totalPooledEther(),
        await f.pool.totalShares(),
        await f.pool.totalShares(),
        0n,
      );
    const last = await oracle.getLastReport();
    expect(last.refSlot).to.equal(refSlot);
    expect(last.timeElapsedSeconds).to.equal(0n);
  });
});
