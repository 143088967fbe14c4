import type { HardhatRuntimeEnvironment } from "hardhat/types";
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

export interface Tidepool extends Actors {
  pool: StakingPool;
  wrapper: WrappedTpEth;
  poolAddress: string;
  wrapperAddress: string;
}

export async function getActors(hre: HardhatRuntimeEnvironment): Promise<Actors> {
  const s = await hre.ethers.getSigners();
  return { admin: s[0], oracleMembers: s.slice(1, 4), guardian: s[4], pauser: s[5], treasury: s[6], users: s.slice(7) };
}

/** Typed handles on an existing deployment. */
export async function attachTidepool(
  hre: HardhatRuntimeEnvironment,
  poolAddress: string,
  wrapperAddress: string,
): Promise<Tidepool> {
  const actors = await getActors(hre);
  const pool = await hre.ethers.getContractAt("StakingPool", poolAddress);
  const wrapper = await hre.ethers.getContractAt("WrappedTpEth", wrapperAddress);
  return { ...actors, pool, wrapper, poolAddress, wrapperAddress };
}

/** Deploys with the same Ignition module (and default parameters) as a real deployment. */
export async function deployTidepool(hre: HardhatRuntimeEnvironment): Promise<Tidepool> {
  const deployed = await hre.ignition.deploy(TidepoolModule);
  return attachTidepool(hre, await deployed.stakingPool.getAddress(), await deployed.wrappedToken.getAddress());
}
