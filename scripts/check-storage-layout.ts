/**
 * Storage-layout gate for the upgradeable contracts: compares each one's layout (from OpenZeppelin's
 * validation data, ERC-7201 namespaces included) with the layout committed in storage-layouts/ for
 * the previous release, and fails on any change an upgrade could not survive (a moved, retyped or
 * removed variable). Appending to a namespace is fine. `STORAGE_LAYOUT_WRITE=1` records the current
 * layouts, which is done once per release.
 */
import hre from "hardhat";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import {
  getStorageLayout,
  getStorageUpgradeReport,
  getVersion,
  withValidationDefaults,
} from "@openzeppelin/upgrades-core";
import type { StorageLayout } from "@openzeppelin/upgrades-core";
import { readValidations } from "@openzeppelin/hardhat-upgrades/dist/utils/validations";

const UPGRADEABLE = ["StakingPool", "NodeOperatorRegistry", "WithdrawalVault", "AccountingOracle", "WithdrawalQueue"];
const DIR = "storage-layouts";

async function main(): Promise<void> {
  const validations = await readValidations(hre);
  const write = process.env.STORAGE_LAYOUT_WRITE === "1";
  let failed = 0;
  for (const name of UPGRADEABLE) {
    const artifact = await hre.artifacts.readArtifact(name);
    const layout = getStorageLayout(validations, getVersion(artifact.bytecode, artifact.deployedBytecode));
    const file = `${DIR}/${name}.json`;
    if (write) {
      mkdirSync(DIR, { recursive: true });
      writeFileSync(file, JSON.stringify(layout, null, 2) + "\n");
      console.log(`${name}: layout recorded in ${file}`);
      continue;
    }
    if (!existsSync(file)) {
      console.error(`${name}: no committed layout (${file}); record one with STORAGE_LAYOUT_WRITE=1`);
      failed++;
      continue;
    }
    const committed = JSON.parse(readFileSync(file, "utf8")) as StorageLayout;
    const report = getStorageUpgradeReport(committed, layout, withValidationDefaults({}));
    if (report.ok) {
      console.log(`${name}: storage layout compatible with ${file}`);
    } else {
      console.error(`${name}: storage layout incompatible with ${file}:\n${report.explain()}`);
      failed++;
    }
  }
  if (failed > 0) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
