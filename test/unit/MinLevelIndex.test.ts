import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

const MAX_LEVEL = 65_535n;

describe("MinLevelIndex", function () {
  async function harness() {
    return ethers.deployContract("MinLevelIndex__Harness");
  }

  it("is empty at first", async function () {
    const index = await loadFixture(harness);
    expect(await index.lowest()).to.deep.equal([false, 0n]);
  });

  it("finds the lowest occupied level across count words, bitmap words and the summary", async function () {
    const index = await loadFixture(harness);
    // Levels chosen at every boundary: count words hold 16 levels, bitmap words 256.
    const levels = [MAX_LEVEL, 65_280n, 4_096n, 511n, 256n, 255n, 17n, 16n, 15n, 1n, 0n];
    for (const level of levels) {
      await index.add(level);
      expect((await index.lowest())[1]).to.equal(level);
    }
    for (const level of [...levels].reverse().slice(0, -1)) {
      await index.remove(level);
      const remaining = levels.filter((l) => l > level);
      expect(await index.lowest()).to.deep.equal([true, remaining[remaining.length - 1]]);
    }
    await index.remove(MAX_LEVEL);
    expect(await index.lowest()).to.deep.equal([false, 0n]);
  });

  it("counts members per level without disturbing neighbouring levels in the same word", async function () {
    const index = await loadFixture(harness);
    for (let i = 0; i < 3; i++) await index.add(16n);
    await index.add(17n);
    await index.add(31n);
    expect(await index.countAt(16n)).to.equal(3n);
    expect(await index.countAt(17n)).to.equal(1n);
    expect(await index.countAt(31n)).to.equal(1n);
    expect(await index.countAt(15n)).to.equal(0n);
    expect(await index.countAt(32n)).to.equal(0n);
    await index.remove(16n);
    await index.remove(16n);
    expect(await index.lowest()).to.deep.equal([true, 16n]);
    await index.remove(16n);
    expect(await index.lowest()).to.deep.equal([true, 17n]);
    expect(await index.countAt(17n)).to.equal(1n);
    expect(await index.countAt(31n)).to.equal(1n);
  });

  it("refuses to remove from an empty level instead of borrowing from its neighbour", async function () {
    const index = await loadFixture(harness);
    await index.add(17n);
    await expect(index.remove(16n)).to.be.revertedWithCustomError(index, "LevelEmpty").withArgs(16n);
    expect(await index.countAt(17n)).to.equal(1n);
  });

  it("refuses levels above MAX_LEVEL", async function () {
    const index = await loadFixture(harness);
    await expect(index.add(MAX_LEVEL + 1n))
      .to.be.revertedWithCustomError(index, "LevelOutOfRange")
      .withArgs(MAX_LEVEL + 1n);
  });
});
