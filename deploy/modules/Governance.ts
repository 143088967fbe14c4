import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import type { CallableContractFuture, Future } from "@nomicfoundation/ignition-core";
import { ZeroAddress, ZeroHash, id } from "ethers";
import TidepoolModule from "./Tidepool";

/**
 * Public networks: deploys Tidepool, then hands every governance role of every contract to a
 * TimelockController and has the deployer renounce them. Afterwards upgrades, role changes,
 * parameter changes and resuming all wait `minDelaySeconds`; only the pauser (a multisig) acts at
 * once, and it can only pause.
 *
 *   npx hardhat deploy --network hoodi --parameters deploy/parameters/hoodi.json
 *
 * (the parameter file checked first: tasks/deploy.ts). Rehearsed locally with
 * `npx hardhat deploy --network localhost --module governance --parameters deploy/parameters/localhost.json`.
 */
export default buildModule("TidepoolGovernance", (m) => {
  const tidepool = m.useModule(TidepoolModule);
  const {
    stakingPool,
    nodeOperatorRegistry,
    depositSecurityModule,
    withdrawalVault,
    oracle,
    insuranceFund,
    withdrawalQueue,
    beaconFacts,
  } = tidepool;
  const deployer = m.getAccount(0);
  const minDelaySeconds = m.getParameter("minDelaySeconds", 2 * 24 * 60 * 60);
  const proposers = m.getParameter<string[]>("proposers");
  const executors = m.getParameter<string[]>("executors");

  const timelock = m.contract("TidepoolTimelock", [minDelaySeconds, proposers, executors, ZeroAddress]);

  // Per contract, its governance roles; DEFAULT_ADMIN_ROLE last, so that the deployer grants
  // everything before it renounces anything and never locks itself out half-way.
  const handovers: [string, CallableContractFuture<string>, string[]][] = [
    ["Pool", stakingPool, ["RESUME_ROLE", "STAKE_LIMIT_ROLE", "INSTANT_REDEEM_PARAMS_ROLE"]],
    ["Registry", nodeOperatorRegistry, ["OPERATOR_MANAGER_ROLE", "BOND_MANAGER_ROLE"]],
    ["DepositSecurity", depositSecurityModule, []],
    ["WithdrawalVault", withdrawalVault, []],
    ["Oracle", oracle, ["MANAGE_MEMBERS_ROLE", "FEE_MANAGER_ROLE", "SANITY_LIMITS_ROLE", "RESUME_ROLE"]],
    ["InsuranceFund", insuranceFund, []],
    ["WithdrawalQueue", withdrawalQueue, ["RESUME_ROLE"]],
    ["BeaconFacts", beaconFacts, ["FORK_SCHEDULE_ROLE", "EXIT_SETTINGS_ROLE", "FORCE_EXIT_ROLE"]],
  ];
  let previous: Future | undefined;
  for (const [name, contract, roleNames] of handovers) {
    const roles: [string, string][] = [...roleNames.map((r): [string, string] => [r, id(r)]), ["ADMIN", ZeroHash]];
    for (const [roleName, role] of roles) {
      previous = m.call(contract, "grantRole", [role, timelock], {
        id: `Grant${name}${roleName}ToTimelock`,
        after: previous ? [previous] : [],
      });
    }
    for (const [roleName, role] of roles) {
      previous = m.call(contract, "renounceRole", [role, deployer], {
        id: `Renounce${name}${roleName}`,
        after: previous ? [previous] : [],
      });
    }
  }

  return { ...tidepool, timelock };
});
