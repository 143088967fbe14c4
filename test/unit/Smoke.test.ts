import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { parseEther } from "ethers";
import { deployTidepool } from "../helpers/fixtures";

describe("Deployment", function () {
  it("deploys the pool with locked bootstrap shares and the wrapper wired to it", async function () {
    const { pool, wrapper, poolAddress, wrapperAddress } = await loadFixture(deployTidepool);
    expect(await pool.totalShares()).to.equal(parseEther("0.001"));
    expect(await pool.totalPooledEther()).to.equal(parseEther("0.001"));
    expect(await pool.sharesOf(await pool.BOOTSTRAP_SHARES_HOLDER())).to.equal(parseEther("0.001"));
    expect(await pool.WRAPPER()).to.equal(wrapperAddress);
    expect(await wrapper.asset()).to.equal(poolAddress);
  });
});
