import type { Signer } from "ethers";
import type { NodeOperatorRegistry, StakingPool } from "../../typechain-types";
import { testKeyBatch } from "../keys/bls";

export interface OperatorSetup {
  name: string;
  rewardAddress: Signer; // uploads keys and posts the bond
  keys: number; // test keys to upload and vet
  bondWei: bigint; // bond to post (0: none)
}

/**
 * Admits an operator, uploads `keys` real BLS test keys signed for the pool's withdrawal credentials
 * (mainnet fork version), vets them all and posts the bond. Returns the operator id.
 * `manager` holds OPERATOR_MANAGER_ROLE.
 */
export async function registerOperator(
  registry: NodeOperatorRegistry,
  pool: StakingPool,
  manager: Signer,
  op: OperatorSetup,
): Promise<bigint> {
  const id = await registry.getNodeOperatorsCount();
  await (await registry.connect(manager).addNodeOperator(op.name, await op.rewardAddress.getAddress())).wait();
  const credentials = await pool.withdrawalCredentials();
  for (let from = 0; from < op.keys; from += 100) {
    const count = Math.min(100, op.keys - from);
    const batch = testKeyBatch(op.name, from, count, credentials);
    await (await registry.connect(op.rewardAddress).addSigningKeys(id, count, batch.pubkeys, batch.signatures)).wait();
  }
  if (op.keys > 0) {
    const keysNonce = await registry.operatorKeysNonce(id); // the keys just uploaded are the keys vetted
    await (await registry.connect(manager).setVettedKeys(id, op.keys, keysNonce)).wait();
  }
  if (op.bondWei > 0n) await (await registry.connect(op.rewardAddress).depositBond(id, { value: op.bondWei })).wait();
  return id;
}
