import hre from "hardhat";
import { deployTidepool as deploy, getActors as actors } from "../../scripts/lib/protocol";
import type { Actors, Tidepool } from "../../scripts/lib/protocol";

export type { Actors } from "../../scripts/lib/protocol";
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
  const f = await deployTidepool();
  await f.pool.connect(f.admin).setStakeLimit(0, 0);
  return f;
}
