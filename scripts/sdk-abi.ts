/**
 * Regenerates the SDK's contract ABIs (`sdk/abi/*.json`) from the compiled artifacts, and the typed
 * ethers v6 bindings over them (`sdk/src/contracts/`, by TypeChain). Both are committed, so the SDK
 * builds and ships without Hardhat; `test/sdk/Abi.test.ts` fails when they are stale. Run after
 * changing a contract's external interface: `npm run sdk:abi`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SDK_CONTRACTS, sdkAbiJson } from "./sdk-contracts";

const ROOT = path.resolve(__dirname, "..");
const ABI_DIR = path.join(ROOT, "sdk/abi");
const TYPES_DIR = path.join(ROOT, "sdk/src/contracts");

function main(): void {
  rmSync(ABI_DIR, { recursive: true, force: true });
  mkdirSync(ABI_DIR, { recursive: true });
  for (const source of SDK_CONTRACTS) {
    const name = path.basename(source);
    const artifact = JSON.parse(
      readFileSync(path.join(ROOT, "artifacts/contracts", `${source}.sol`, `${name}.json`), "utf8"),
    ) as { abi: unknown };
    writeFileSync(path.join(ABI_DIR, `${name}.json`), sdkAbiJson(artifact.abi));
  }
  rmSync(TYPES_DIR, { recursive: true, force: true });
  execFileSync(
    path.join(ROOT, "node_modules/.bin/typechain"),
    ["--target", "ethers-v6", "--out-dir", TYPES_DIR, `${ABI_DIR}/*.json`],
    { stdio: "inherit" },
  );
  console.log(`${SDK_CONTRACTS.length} ABIs in sdk/abi, bindings in sdk/src/contracts`);
}

main();
