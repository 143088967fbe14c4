/**
 * The SDK stands on its own: built by tsc from sdk/tsconfig.json, installed as @tidepool/sdk next
 * to ethers alone (no Hardhat, no TypeChain output of the repository on the resolution path), it
 * loads in a plain `node` process through its package exports, with its types and its ABIs. The
 * README's examples compile against the SDK's types as an integrator would import them.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import {
  cpSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

/** Run in the child `node` from the temporary project; prints what it found as JSON. */
const CHILD = `
const { createRequire } = require("node:module");
const sdk = require("@tidepool/sdk");
const abi = require("@tidepool/sdk/abi/StakingPool.json");
const fromSdk = createRequire(require.resolve("@tidepool/sdk"));
const reachable = (name) => { try { fromSdk.resolve(name); return true; } catch { return false; } };
const blocked = (name) => { try { require(name); return false; } catch (e) { return e.code; } };
const loaded = Object.keys(require.cache).filter((f) => /hardhat|typechain-types|[\\\\/]sdk[\\\\/]src[\\\\/]/.test(f));
console.log(JSON.stringify({
  exports: ["TidepoolClient", "TidepoolSdkError", "describeError", "describeCustomError", "eth", "connectProtocol", "INTERFACES"]
    .filter((name) => sdk[name] === undefined),
  client: typeof sdk.TidepoolClient.connect,
  tenEth: sdk.eth(10n ** 19n - 1n),
  sentence: sdk.describeCustomError("StakeZeroAmount"),
  interfaces: sdk.INTERFACES.length,
  abiHasStake: abi.some((f) => f.type === "function" && f.name === "stake"),
  hardhat: reachable("hardhat"),
  typechain: reachable("typechain"),
  deepImport: blocked("@tidepool/sdk/dist/client.js"),
  loaded,
}));
`;

describe("SDK: package", function () {
  this.timeout(120_000);

  it("builds with tsc and loads in plain Node with only ethers beside it", function () {
    const project = mkdtempSync(path.join(tmpdir(), "tidepool-sdk-package-"));
    try {
      const installed = path.join(project, "node_modules", "@tidepool", "sdk");
      mkdirSync(installed, { recursive: true });
      execFileSync(
        process.execPath,
        [
          path.join(ROOT, "node_modules/typescript/bin/tsc"),
          "-p",
          path.join(ROOT, "sdk/tsconfig.json"),
          "--outDir",
          path.join(installed, "dist"),
        ],
        { stdio: "pipe" },
      );
      copyFileSync(path.join(ROOT, "sdk/package.json"), path.join(installed, "package.json"));
      cpSync(path.join(ROOT, "sdk/abi"), path.join(installed, "abi"), { recursive: true });
      symlinkSync(path.join(ROOT, "node_modules/ethers"), path.join(project, "node_modules/ethers"), "dir");
      for (const file of ["index.js", "index.d.ts", "client.js", "client.d.ts", "errors.d.ts"]) {
        expect(existsSync(path.join(installed, "dist", file)), file).to.equal(true);
      }

      const output = execFileSync(process.execPath, ["-e", CHILD], {
        cwd: project,
        env: { PATH: process.env.PATH ?? "", HOME: project },
        encoding: "utf8",
      });
      expect(JSON.parse(output)).to.deep.equal({
        exports: [],
        client: "function",
        tenEth: "10 ETH",
        sentence: "The amount to stake must be more than zero. (StakeZeroAmount)",
        interfaces: 15,
        abiHasStake: true,
        hardhat: false,
        typechain: false,
        deepImport: "ERR_PACKAGE_PATH_NOT_EXPORTED",
        loaded: [],
      });
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it("has README examples that compile against the SDK's types", function () {
    const readme = readFileSync(path.join(ROOT, "sdk/README.md"), "utf8");
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).to.be.greaterThan(8);
    const project = mkdtempSync(path.join(tmpdir(), "tidepool-sdk-readme-"));
    try {
      symlinkSync(path.join(ROOT, "node_modules"), path.join(project, "node_modules"), "dir");
      writeFileSync(
        path.join(project, "globals.ts"),
        'declare global {\n  interface Window {\n    ethereum?: import("ethers").Eip1193Provider;\n  }\n}\nexport {};\n',
      );
      blocks.forEach((code, i) => {
        // A block that does not connect a client uses the one connected before.
        const prelude = /const client\b/.test(code)
          ? ""
          : 'import type { TidepoolClient } from "@tidepool/sdk";\ndeclare const client: TidepoolClient;\n';
        writeFileSync(path.join(project, `example-${i + 1}.ts`), `${prelude}${code}\nexport {};\n`);
      });
      writeFileSync(
        path.join(project, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            target: "es2022",
            module: "es2022",
            moduleResolution: "bundler",
            lib: ["es2022", "dom"],
            types: ["node"],
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            resolveJsonModule: true,
            esModuleInterop: true,
            paths: {
              "@tidepool/sdk": [path.join(ROOT, "sdk/src/index.ts")],
              "@tidepool/sdk/abi/*": [path.join(ROOT, "sdk/abi/*")],
            },
          },
          include: ["*.ts"],
        }),
      );
      const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
      try {
        execFileSync(process.execPath, [tsc, "-p", path.join(project, "tsconfig.json")], { encoding: "utf8" });
      } catch (error) {
        expect.fail(`README examples do not compile:\n${(error as { stdout?: string }).stdout ?? String(error)}`);
      }
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
