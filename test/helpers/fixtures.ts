import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import hre from "hardhat";
import { ZeroAddress } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import GovernanceModule from "../../deploy/modules/Governance";
import { attachTidepool, deployTidepool as deploy, getActors as actors } from "../../deploy/protocol";
import type { TidepoolTimelock } from "../../typechain-types";
import type { Actors, Tidepool } from "../../deploy/protocol";

export type { Actors } from "../../deploy/protocol";
export type TidepoolFixture = Tidepool;

export async function getActors(): Promise<Actors> {
  return actors(hre);
}

/** Deploys the protocol with the same Ignition module (and default parameters) as a real deployment. */
export async function deployTidepool(): Promise<TidepoolFixture> {
  return deploy(hre);
}

/** As {deployTidepool}, with the stake limit removed so that tests can stake any amount. */
export async function deployTidepoolUnlimited(): Promise<TidepoolFixture> {
  const f = await loadFixture(deployTidepool);
  await f.pool.connect(f.admin).setStakeLimit(0, 0);
  return f;
}

/** Delay of the timelock in {deployWithTimelock}, in seconds. */
export const TIMELOCK_MIN_DELAY = 3600n;

/**
 * The public-network deployment (deploy/modules/Governance.ts): everything handed to a timelock
 * whose proposer is account 1 and whose executors are anyone.
 */
export async function deployWithTimelock(): Promise<
  TidepoolFixture & { deployer: HardhatEthersSigner; proposer: HardhatEthersSigner; timelock: TidepoolTimelock }
> {
  const [deployer, proposer] = await hre.ethers.getSigners();
  const deployed = await hre.ignition.deploy(GovernanceModule, {
    parameters: {
      TidepoolGovernance: {
        minDelaySeconds: TIMELOCK_MIN_DELAY,
        proposers: [proposer.address],
        executors: [ZeroAddress],
      },
    },
  });
  const f = await attachTidepool(hre, await deployed.stakingPool.getAddress());
  const timelock = await hre.ethers.getContractAt("TidepoolTimelock", await deployed.timelock.getAddress());
  return { ...f, deployer, proposer, timelock };
}
