/**
 * Contract-size gate (EIP-170: 24,576 bytes of runtime code): lists every deployable contract under
 * contracts/ (test doubles excluded) with its size and headroom, and fails if one is over the limit
 * or within `SIZE_WARN_MARGIN` bytes of it. A contract over the limit only shows as an opaque
 * deployment revert, so this runs in `npm test`.
 */
import hre from "hardhat";
import { markdownTable } from "../sdk/src/format";

const LIMIT = 24_576;
const WARN_MARGIN = Number(process.env.SIZE_WARN_MARGIN ?? 512);

async function main(): Promise<void> {
  const names = (await hre.artifacts.getAllFullyQualifiedNames()).filter(
    (n) => n.startsWith("contracts/") && !n.startsWith("contracts/test/"),
  );
  const rows: string[][] = [];
  let failed = 0;
  for (const name of names.sort()) {
    const artifact = await hre.artifacts.readArtifact(name);
    const size = (artifact.deployedBytecode.length - 2) / 2;
    if (size === 0) continue; // interfaces, abstract contracts, libraries with internal functions only
    const headroom = LIMIT - size;
    const ok = headroom >= WARN_MARGIN;
    if (!ok) failed++;
    rows.push([artifact.contractName, size.toLocaleString("en-US"), headroom.toLocaleString("en-US"), ok ? "✓" : "✗"]);
  }
  console.log(markdownTable(["contract", "runtime bytes", "headroom", ""], rows));
  if (failed > 0) {
    console.error(`\n${failed} contract(s) within ${WARN_MARGIN} bytes of the ${LIMIT}-byte limit`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
