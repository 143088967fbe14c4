import { ethers, ignition } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import TidepoolModule from "../../deploy/modules/Tidepool";
import type { StakingPool, WrappedTpEth } from "../../typechain-types";

/** Roles of the default local deployment (PROTOCOL.md §8). */
export interface Actors {
  admin: HardhatEthersSigner; // account 0: DEFAULT_ADMIN_ROLE and every governance role
  oracleMembers: HardhatEthersSigner[]; // accounts 1–3
  guardian: HardhatEthersSigner; // account 4
  pauser: HardhatEthersSigner; // account 5
  treasury: HardhatEthersSigner; // account 6
  users: HardhatEthersSigner[]; // accounts 7+: holders with no role
}

export interface TidepoolFixture extends Actors {
  pool: StakingPool;
  wrapper: WrappedTpEth;
  poolAddress: string;
  wrapperAddress: string;
}

export async function getActors(): Promise<Actors> {
  const s = await ethers.getSigners();
  return { admin: s[0], oracleMembers: s.slice(1, 4), guardian: s[4], pauser: s[5], treasury: s[6], users: s.slice(7) };
}

/** Deploys the protocol with the same Ignition module (and default parameters) as a real deployment. */
export async function deployTidepool(): Promise<TidepoolFixture> {
  const actors = await getActors();
  const deployed = await ignition.deploy(TidepoolModule);
  const poolAddress = await deployed.stakingPool.getAddress();
  const wrapperAddress = await deployed.wrappedToken.getAddress();
  const pool = await ethers.getContractAt("StakingPool", poolAddress);
  const wrapper = await ethers.getContractAt("WrappedTpEth", wrapperAddress);
  return { ...actors, pool, wrapper, poolAddress, wrapperAddress };
}

/** As {deployTidepool}, with the stake limit removed so that tests can stake any amount. */
export async function deployTidepoolUnlimited(): Promise<TidepoolFixture> {
  const f = await deployTidepool();
  await f.pool.connect(f.admin).setStakeLimit(0, 0);
  return f;
}
