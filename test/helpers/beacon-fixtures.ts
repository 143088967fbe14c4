import hre from "hardhat";
import { ZeroAddress, parseEther } from "ethers";
import { deployTidepool, type Tidepool } from "../../deploy/protocol";
import { registerOperator } from "../../offchain/operators/register";
import { depositAvailable } from "../../offchain/guardians/attestations";
import type { BeaconChainConfig } from "../../offchain/beacon/chain";
import { startLocalBeacon, type LocalBeacon } from "../../offchain/beacon/local";

/**
 * A deployment with two bonded operators (4 keys each), 250 ETH staked by `users[0]`, eight validators
 * deposited, and a local beacon chain following it (close it after the tests). `beforeDeposits` runs
 * once the beacon chain follows the deployment and before the guardian deposits. `options` go to
 * `startLocalBeacon` (`systemCalls`: the real state, EIP-4788 roots and EIP-7002 in each mined block).
 */
export async function deployWithBeacon(
  config: Partial<Omit<BeaconChainConfig, "genesisTime">> = {},
  beforeDeposits?: (t: Tidepool) => Promise<void>,
  options: Parameters<typeof startLocalBeacon>[4] = {},
): Promise<{ t: Tidepool; local: LocalBeacon }> {
  const t = await deployTidepool(hre);
  const [holder, , opA, opB] = t.users;
  for (const [name, rewardAddress] of [
    ["A", opA],
    ["B", opB],
  ] as const) {
    await registerOperator(t.registry, t.pool, t.admin, { name, rewardAddress, keys: 4, bondWei: parseEther("8") });
  }
  await (await t.pool.connect(holder).stake(ZeroAddress, { value: parseEther("250") })).wait();
  const local = await startLocalBeacon(t, hre.network.provider, config, 0, options);
  await beforeDeposits?.(t);
  await depositAvailable(t, [t.guardian], hre.ethers.provider);
  return { t, local };
}
