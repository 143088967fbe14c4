/**
 * The SDK ships its own copy of the contracts' ABIs (`sdk/abi/*.json`) and TypeChain bindings over
 * them (`sdk/src/contracts/`), both committed so that it builds without Hardhat. They are generated
 * by `npm run sdk:abi` (scripts/sdk-abi.ts) and must match the compiled contracts: each ABI is
 * compared with the artifact's, and the bindings with a fresh TypeChain run over the artifacts'
 * ABIs in a scratch folder, file by file. Reads `artifacts/` (compiled by `npm test` first).
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SDK_CONTRACTS, sdkAbiJson } from "../../scripts/sdk-contracts";

const ROOT = path.resolve(__dirname, "../..");
const ABI_DIR = path.join(ROOT, "sdk/abi");
const BINDINGS_DIR = path.join(ROOT, "sdk/src/contracts");
const STALE = "sdk/abi is stale: run npm run sdk:abi";

/** The contract's name (the artifact's and the SDK file's) from its path under contracts/. */
const nameOf = (source: string): string => path.basename(source);

/** The ABI of a compiled contract, as the SDK stores it. */
function artifactAbiJson(source: string): string {
  const file = path.join(ROOT, "artifacts/contracts", `${source}.sol`, `${nameOf(source)}.json`);
  return sdkAbiJson((JSON.parse(readFileSync(file, "utf8")) as { abi: unknown }).abi);
}

/** Every file under `dir`, relative to it with forward slashes, sorted. */
function filesUnder(dir: string, prefix = ""): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => {
      const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      return entry.isDirectory() ? filesUnder(dir, rel) : [rel];
    })
    .sort();
}

describe("SDK ABIs and bindings", function () {
  let scratch: string;

  before(function () {
    scratch = mkdtempSync(path.join(tmpdir(), "tidepool-sdk-abi-"));
  });

  after(function () {
    rmSync(scratch, { recursive: true, force: true });
  });

  it("sdk/abi holds exactly the ABI of each SDK contract, as compiled", function () {
    const expected = SDK_CONTRACTS.map((source) => `${nameOf(source)}.json`).sort();
    expect(filesUnder(ABI_DIR), STALE).to.deep.equal(expected);
    const stale = SDK_CONTRACTS.filter(
      (source) => readFileSync(path.join(ABI_DIR, `${nameOf(source)}.json`), "utf8") !== artifactAbiJson(source),
    );
    expect(
      stale.map((source) => `sdk/abi/${nameOf(source)}.json`),
      STALE,
    ).to.deep.equal([]);
  });

  it("sdk/src/contracts is what TypeChain generates from the compiled ABIs", function () {
    // TypeChain over the artifacts' ABIs, exactly as scripts/sdk-abi.ts runs it.
    this.timeout(120_000);
    const abis = path.join(scratch, "abi");
    const bindings = path.join(scratch, "contracts");
    mkdirSync(abis);
    for (const source of SDK_CONTRACTS)
      writeFileSync(path.join(abis, `${nameOf(source)}.json`), artifactAbiJson(source));
    execFileSync(
      path.join(ROOT, "node_modules/.bin/typechain"),
      ["--target", "ethers-v6", "--out-dir", bindings, `${abis}/*.json`],
      { stdio: "pipe" },
    );

    const generated = filesUnder(bindings);
    expect(generated, "TypeChain generated a binding and a factory per contract").to.include.members(
      SDK_CONTRACTS.flatMap((source) => [`${nameOf(source)}.ts`, `factories/${nameOf(source)}__factory.ts`]),
    );
    expect(filesUnder(BINDINGS_DIR), STALE).to.deep.equal(generated);
    const stale = generated.filter(
      (file) => readFileSync(path.join(BINDINGS_DIR, file), "utf8") !== readFileSync(path.join(bindings, file), "utf8"),
    );
    expect(
      stale.map((file) => `sdk/src/contracts/${file}`),
      STALE,
    ).to.deep.equal([]);
  });
});
