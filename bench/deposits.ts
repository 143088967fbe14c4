/**
 * Guarded deposits with 1, 100 and 1,000 operators registered, and the operator operations of the
 * 1,000-operator registry: none of them may depend on how many operators or keys exist.
 */
import hre from "hardhat";
import { ZeroAddress, parseEther } from "ethers";
import { deployTidepool, type Tidepool } from "../deploy/protocol";
import { registerOperator } from "../offchain/operators/register";
import { currentAttestation, signAttestation } from "../offchain/guardians/attestations";
import { testKeyBatch } from "../offchain/keys/bls";
import { gasOf, type Gas } from "./measure";

/**
 * A guarded deposit of 10 validators (guardian checks and the deposit contract included) with
 * `operators` registered, every one of them able to take a deposit (vetted key and bond), so the
 * registry's index is as full as it gets. Returns gas per validator.
 */
async function depositPerValidator(operators: number, gas: Gas): Promise<{ perValidator: number; t: Tidepool }> {
  const t = await deployTidepool(hre);
  const [staker, operator] = t.users;
  await (await t.pool.connect(staker).stake(ZeroAddress, { value: parseEther("400") })).wait();
  for (let i = 0; i < operators - 1; i++) {
    await registerOperator(t.registry, t.pool, t.admin, {
      name: `bench-${operators}-${i}`,
      rewardAddress: operator,
      keys: 1,
      bondWei: parseEther("2"),
    });
  }
  const id = await registerOperator(t.registry, t.pool, t.admin, {
    name: `bench-${operators}-last`,
    rewardAddress: operator,
    keys: 10,
    bondWei: parseEther("20"),
  });
  if ((await t.registry.getNodeOperatorsCount()) !== BigInt(operators)) throw new Error("operators not registered");
  const [found, lowest] = await t.registry.lowestActiveValidators();
  if (!found || lowest !== 0n) throw new Error("every operator should be able to take a deposit");
  const attestation = await currentAttestation(t.depositContract, t.registry, hre.ethers.provider);
  const signatures = await signAttestation(t.dsm, attestation, [t.guardian]);
  const perValidator = await gasOf("deposit", t.dsm.depositBufferedEther(id, 10, attestation, signatures), 10);
  if (operators === 1000) await operatorOperations(t, operator, id, gas);
  return { perValidator, t };
}

/**
 * Operator operations in the 1,000-operator registry, on an operator that holds 1,000 keys: none of
 * them may depend on how many operators or keys exist.
 */
async function operatorOperations(
  t: Tidepool,
  operator: Tidepool["users"][number],
  id: bigint,
  gas: Gas,
): Promise<void> {
  const credentials = await t.pool.withdrawalCredentials();
  const name = `bench-1000-last`;
  for (let from = 10; from < 1000; from += 100) {
    const count = Math.min(100, 1000 - from);
    const batch = testKeyBatch(name, from, count, credentials);
    const key = from === 10 ? "registry.addSigningKeys.batch90.perKey" : `registry.addSigningKeys.batch100.perKey`;
    const tx = t.registry.connect(operator).addSigningKeys(id, count, batch.pubkeys, batch.signatures);
    gas[key] = await gasOf(key, tx, count);
  }
  const op = await t.registry.getNodeOperator(id);
  if (op.totalKeys !== 1000n) throw new Error("expected 1,000 keys");
  gas["registry.setVettedKeys.ops1000keys1000"] = await gasOf(
    "setVettedKeys",
    t.registry.connect(t.admin).setVettedKeys(id, 1000, await t.registry.operatorKeysNonce(id)),
  );
  gas["registry.removeSigningKeys.one.ops1000keys1000"] = await gasOf(
    "removeSigningKeys",
    t.registry.connect(operator).removeSigningKeys(id, 500, 1),
  );
  gas["registry.depositBond.ops1000"] = await gasOf(
    "depositBond",
    t.registry.connect(operator).depositBond(id, { value: parseEther("2") }),
  );
  gas["registry.refreshOperator.ops1000"] = await gasOf("refreshOperator", t.registry.refreshOperator(id));
}

/**
 * `deposit.batch10.perValidator.ops{1,100,1000}` and the 1,000-operator registry's operator
 * operations. Returns the 1,000-operator deployment, for the benchmarks that reuse its registry.
 */
export async function depositBenchmarks(gas: Gas): Promise<Tidepool> {
  let registry1000: Tidepool | undefined;
  for (const operators of [1, 100, 1000]) {
    const { perValidator, t } = await depositPerValidator(operators, gas);
    gas[`deposit.batch10.perValidator.ops${operators}`] = perValidator;
    if (operators === 1000) registry1000 = t;
  }
  if (!registry1000) throw new Error("no 1,000-operator deployment");
  return registry1000;
}
