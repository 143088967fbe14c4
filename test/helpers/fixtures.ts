import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import hre from "hardhat";
import { ZeroAddress, parseEther } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import GovernanceModule from "../../deploy/modules/Governance";
import { attachTidepool, deployTidepool as deploy, getActors as actors } from "../../deploy/protocol";
import type { TidepoolTimelock } from "../../typechain-types";
import { registerOperator } from "../../offchain/operators/register";
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

/**
 * {deployTidepool} with 200 ETH staked and two operators ("Alpha", "Beta": users 1 and 2) with four
 * vetted keys and an 8 ETH bond each (cover: four validators each): the buffer, less the 1%
 * instant-liquidity reserve, takes six validators. What the guardians' deposits start from.
 */
export async function deployWithTwoBondedOperators(): Promise<TidepoolFixture> {
  const f = await loadFixture(deployTidepool);
  await (await f.pool.connect(f.users[0]).stake(ZeroAddress, { value: parseEther("200") })).wait();
  for (const [i, name] of ["Alpha", "Beta"].entries()) {
    await registerOperator(f.registry, f.pool, f.admin, {
      name,
      rewardAddress: f.users[1 + i],
      keys: 4,
      bondWei: parseEther("8"),
    });
  }
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
