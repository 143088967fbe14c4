import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { ZeroAddress, id, parseEther } from "ethers";

/**
 * Deploys and wires Tidepool. Roles with the default parameters on the in-process network
 * (PROTOCOL.md §8): account 0 is admin and holds every governance role, account 5 the pauser.
 *
 * The pool's implementation keeps the wrapper's address as an immutable (so wrapping needs no
 * storage read to authorise the wrapper). The wrapper needs the pool's proxy address first, so
 * the proxy is initialised with a bootstrap implementation (wrapper = 0), the wrapper is
 * deployed, and the proxy is upgraded to the real implementation in the same deployment.
 */
export default buildModule("Tidepool", (m) => {
  const admin = m.getParameter("admin", m.getAccount(0));
  const pauser = m.getParameter("pauser", m.getAccount(5));
  const bootstrapDepositWei = m.getParameter("bootstrapDepositWei", parseEther("0.001"));
  // Lido's mainnet setting: 150,000 ETH per day, refilling over 6,400 blocks.
  const maxStakeLimitWei = m.getParameter("maxStakeLimitWei", parseEther("150000"));
  const stakeLimitIncreasePerBlockWei = m.getParameter("stakeLimitIncreasePerBlockWei", parseEther("150000") / 6400n);

  const bootstrapImpl = m.contract("StakingPool", [ZeroAddress], { id: "StakingPoolBootstrapImpl" });
  const proxy = m.contract(
    "ERC1967Proxy",
    [bootstrapImpl, m.encodeFunctionCall(bootstrapImpl, "initialize", [admin])],
    { id: "StakingPoolProxy", value: bootstrapDepositWei },
  );
  const bootstrapPool = m.contractAt("StakingPool", proxy, { id: "StakingPoolAtBootstrap" });

  const wrappedToken = m.contract("WrappedTpEth", [proxy]);
  const poolImpl = m.contract("StakingPool", [wrappedToken], { id: "StakingPoolImpl" });
  const upgrade = m.call(bootstrapPool, "upgradeToAndCall", [poolImpl, "0x"], { id: "UpgradeToPoolImpl" });
  const stakingPool = m.contractAt("StakingPool", proxy, { after: [upgrade] });

  const grantPause = m.call(stakingPool, "grantRole", [id("PAUSE_ROLE"), pauser], { id: "GrantPause" });
  m.call(stakingPool, "grantRole", [id("RESUME_ROLE"), admin], { id: "GrantResume" });
  const grantLimit = m.call(stakingPool, "grantRole", [id("STAKE_LIMIT_ROLE"), admin], { id: "GrantStakeLimit" });
  m.call(stakingPool, "grantRole", [id("INSTANT_REDEEM_PARAMS_ROLE"), admin], { id: "GrantInstantRedeemParams" });
  m.call(stakingPool, "setStakeLimit", [maxStakeLimitWei, stakeLimitIncreasePerBlockWei], {
    id: "SetStakeLimit",
    after: [grantLimit, grantPause],
  });

  return { stakingPool, wrappedToken, stakingPoolImplementation: poolImpl };
});
