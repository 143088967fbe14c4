import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { Future } from "@nomicfoundation/ignition-core";
import { ZeroHash, id } from "ethers";
import TidepoolModule from "./Tidepool";

/**
 * Public networks: deploys Tidepool, then hands every governance role to a TimelockController and
 * has the deployer renounce them. Afterwards upgrades, role changes, stake-limit changes and
 * resuming all wait `minDelaySeconds`; only the pauser (a multisig) acts at once, and it can only pause.
 *
 *   npx hardhat ignition deploy deploy/modules/Governance.ts --network hoodi \
 *     --parameters deploy/parameters/hoodi.json
 */
export default buildModule("TidepoolGovernance", (m) => {
  const { stakingPool, wrappedToken, stakingPoolImplementation } = m.useModule(TidepoolModule);
  const deployer = m.getAccount(0);
  const minDelaySeconds = m.getParameter("minDelaySeconds", 2 * 24 * 60 * 60);
  const proposers = m.getParameter<string[]>("proposers");
  const executors = m.getParameter<string[]>("executors");

  const timelock = m.contract("TidepoolTimelock", [minDelaySeconds, proposers, executors, "0x" + "00".repeat(20)]);

  // Grant first, renounce after, and the admin role last, so that the deployer never locks itself
  // out half-way. Each call depends on the one before it.
  const governanceRoles: [string, string][] = [
    ["Resume", id("RESUME_ROLE")],
    ["StakeLimit", id("STAKE_LIMIT_ROLE")],
    ["InstantRedeemParams", id("INSTANT_REDEEM_PARAMS_ROLE")],
    ["Admin", ZeroHash],
  ];
  let previous: Future = m.call(stakingPool, "grantRole", [ZeroHash, timelock], { id: "GrantAdminToTimelock" });
  for (const [name, role] of governanceRoles.slice(0, -1)) {
    previous = m.call(stakingPool, "grantRole", [role, timelock], { id: `Grant${name}ToTimelock`, after: [previous] });
  }
  for (const [name, role] of governanceRoles) {
    previous = m.call(stakingPool, "renounceRole", [role, deployer], { id: `Renounce${name}`, after: [previous] });
  }

  return { stakingPool, wrappedToken, stakingPoolImplementation, timelock };
});
