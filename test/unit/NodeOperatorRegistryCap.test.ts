import { expect } from "chai";
import { network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, keccak256, parseEther, toBeHex } from "ethers";
import { deployTidepool } from "../helpers/fixtures";
import { registerOperator } from "../../offchain/operators/register";
import { REGISTRY_STORAGE_LOCATION, depositAsPool } from "../helpers/validators-fixtures";

const MAX_VALIDATORS = 65_535n;

/**
 * The per-operator validator cap cannot be reached for real in a test (65,535 deposits), so the test
 * writes the operator's packed word (the field layout of `NodeOperatorRegistry.Operator`) and lets
 * `refreshOperator` re-index it through the registry's own `_store`.
 */
async function writeOperatorWord(
  registry: string,
  operatorId: bigint,
  op: { active: boolean; totalKeys: bigint; vettedKeys: bigint; depositedKeys: bigint; exitedKeys: bigint },
): Promise<void> {
  // mapping(uint256 => Operator) operators is the second field of the namespace.
  const mappingSlot = BigInt(REGISTRY_STORAGE_LOCATION) + 1n;
  const slot = keccak256(AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [operatorId, mappingSlot]));
  // active (8) | listed (8, false: _store will add it) | totalKeys | vettedKeys | depositedKeys | exitedKeys
  // (32 each) | bondCoveredValidators (32, recomputed) | bondShares (80, none).
  const word =
    (op.active ? 1n : 0n) |
    (op.totalKeys << 16n) |
    (op.vettedKeys << 48n) |
    (op.depositedKeys << 80n) |
    (op.exitedKeys << 112n);
  await network.provider.send("hardhat_setStorageAt", [registry, slot, toBeHex(word, 32)]);
}

describe("NodeOperatorRegistry validator cap", function () {
  async function nearTheCap() {
    const f = await loadFixture(deployTidepool);
    const id = await registerOperator(f.registry, f.pool, f.admin, {
      name: "cap",
      rewardAddress: f.users[1],
      keys: 1,
      bondWei: parseEther("2"),
    });
    await f.registry.connect(f.admin).setBondPerValidator(0n); // no bond limit: only the cap binds
    // Out of the index through the registry itself, so the raw write below leaves no stale entry.
    await f.registry.connect(f.admin).setNodeOperatorActive(id, false);
    expect(await f.registry.lowestActiveValidators()).to.deep.equal([false, 0n]);
    // One validator below the cap, with vetted keys left. The word drops the real bond shares, so
    // the registry's share balance is left alone and only this operator's bookkeeping changes.
    await writeOperatorWord(await f.registry.getAddress(), id, {
      active: true,
      totalKeys: MAX_VALIDATORS + 10n,
      vettedKeys: MAX_VALIDATORS + 10n,
      depositedKeys: MAX_VALIDATORS - 1n,
      exitedKeys: 0n,
    });
    await f.registry.refreshOperator(id);
    return { ...f, id };
  }

  it("lists an operator just below the cap at its level", async function () {
    const { registry, id } = await loadFixture(nearTheCap);
    expect(await registry.lowestActiveValidators()).to.deep.equal([true, MAX_VALIDATORS - 1n]);
    expect(await registry.depositableKeys(id)).to.equal(1n);
  });

  it("refuses a deposit that would take the operator past MAX_VALIDATORS_PER_OPERATOR", async function () {
    const f = await loadFixture(nearTheCap);
    expect(await f.registry.MAX_VALIDATORS_PER_OPERATOR()).to.equal(MAX_VALIDATORS);
    await expect(depositAsPool(f, f.id, 2n))
      .to.be.revertedWithCustomError(f.registry, "OperatorValidatorCapReached")
      .withArgs(f.id, MAX_VALIDATORS);
    expect((await f.registry.getNodeOperator(f.id)).depositedKeys).to.equal(MAX_VALIDATORS - 1n);
  });
});
