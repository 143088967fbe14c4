/**
 * The layers of the repository, checked from the sources alone (no network, no compilation):
 *
 * - `scripts/lib` is gone and nothing refers to it;
 * - `sdk/` depends on ethers only (it runs in Node and in browsers, see sdk/package.json);
 * - `offchain/` services are built on the SDK and deploy helpers, never on their callers (tasks,
 *   scripts, the app, the benchmark) nor on the tests;
 * - no shipped layer (`sdk/`, `offchain/`, `deploy/`) imports test code;
 * - the browser app (`app/src`) imports ethers, its own files and the SDK only.
 *
 * Every module reference a TypeScript file can make is read from its syntax tree: `import … from`,
 * side-effect `import "…"`, `export … from`, `import x = require(…)`, `require(…)`, dynamic
 * `import(…)` and import types (`typeof import(…)`, `import(…).T`). Strings and comments are not
 * references. A violation reads "file → specifier".
 */
import { expect } from "chai";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const ROOT = path.resolve(__dirname, "../..");

/** The folders whose TypeScript is read (repository-relative), besides the root's own files (hardhat.config.ts). */
const SCANNED = ["sdk/src", "offchain", "tasks", "app", "scripts", "bench", "deploy", "test"];

/** The `.ts` files at the repository's root. */
const rootFiles = (): string[] =>
  readdirSync(ROOT, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => entry.name);

/** Build output and dependencies, never sources. */
const SKIPPED_DIRS = new Set(["node_modules", "dist"]);

/** One module reference in a source file. */
interface Reference {
  /** The referring file, repository-relative with forward slashes. */
  file: string;
  /** The module specifier as written. */
  specifier: string;
}

/** A rule over references: the message for a reference it forbids, or undefined. */
type Rule = (ref: Reference) => string | undefined;

/** Every `.ts` file under `dir` (repository-relative), recursively, build output excluded. */
function tsFiles(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { withFileTypes: true }).flatMap((entry) => {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : tsFiles(rel);
    return entry.isFile() && entry.name.endsWith(".ts") ? [rel] : [];
  });
}

/** The string literal a module reference names, if `node` is one. */
function literalText(node: ts.Node | undefined): string | undefined {
  return node !== undefined && ts.isStringLiteralLike(node) ? node.text : undefined;
}

/**
 * Every module specifier `source` refers to, in order of appearance: static imports and
 * re-exports, `import x = require(…)`, `require(…)` and `require.resolve(…)`, dynamic `import(…)`
 * and import types. Parsed by the TypeScript compiler, so specifiers in strings and comments are
 * not taken for references.
 */
export function moduleSpecifiers(fileName: string, source: string): string[] {
  const sourceFile = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    let specifier: string | undefined;
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      specifier = literalText(node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      specifier = literalText(node.moduleReference.expression);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      specifier = literalText(node.argument.literal);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === "require";
      const isResolve =
        ts.isPropertyAccessExpression(callee) &&
        ts.isIdentifier(callee.expression) &&
        callee.expression.text === "require" &&
        callee.name.text === "resolve";
      if (isImport || isRequire || isResolve) specifier = literalText(node.arguments[0]);
    }
    if (specifier !== undefined) found.push(specifier);
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found;
}

/**
 * Where a relative specifier points, repository-relative with forward slashes (a path outside the
 * repository starts with `../`); undefined for a package or builtin.
 */
function target(ref: Reference): string | undefined {
  if (!ref.specifier.startsWith("./") && !ref.specifier.startsWith("../")) return undefined;
  return path.posix.normalize(path.posix.join(path.posix.dirname(ref.file), ref.specifier));
}

/** Whether `file` (repository-relative) lies in `folder`. */
const inside = (file: string, folder: string): boolean => file === folder || file.startsWith(`${folder}/`);

/** Whether the specifier names the ethers package or one of its entry points. */
const isEthers = (specifier: string): boolean => specifier === "ethers" || specifier.startsWith("ethers/");

/** The layering rules, each applying to the files in `scope`. */
const RULES: { name: string; scope: (file: string) => boolean; rule: Rule }[] = [
  {
    name: "nothing imports scripts/lib",
    scope: () => true,
    rule: (ref) => {
      const to = target(ref);
      const hit = to !== undefined ? inside(to, "scripts/lib") : /(^|\/)scripts\/lib(\/|$)/.test(ref.specifier);
      return hit ? "scripts/lib no longer exists" : undefined;
    },
  },
  {
    name: "sdk/ imports only ethers and itself",
    scope: (file) => inside(file, "sdk"),
    rule: (ref) => {
      const to = target(ref);
      if (to === undefined) return isEthers(ref.specifier) ? undefined : "the SDK depends on ethers only";
      return inside(to, "sdk") ? undefined : "the SDK imports nothing outside sdk/";
    },
  },
  {
    name: "offchain/ does not import its callers or the tests",
    scope: (file) => inside(file, "offchain"),
    rule: (ref) => {
      const to = target(ref);
      const caller = ["tasks", "scripts", "app", "bench", "test"].find((dir) => to !== undefined && inside(to, dir));
      return caller === undefined ? undefined : `offchain/ must not depend on ${caller}/`;
    },
  },
  {
    name: "sdk/, offchain/ and deploy/ do not import test/",
    scope: (file) => ["sdk", "offchain", "deploy"].some((dir) => inside(file, dir)),
    rule: (ref) => {
      const to = target(ref);
      return to !== undefined && inside(to, "test") ? "shipped code must not depend on test/" : undefined;
    },
  },
  {
    name: "app/src imports only ethers, app/src and sdk/",
    scope: (file) => inside(file, "app/src"),
    rule: (ref) => {
      const to = target(ref);
      if (to === undefined) return isEthers(ref.specifier) ? undefined : "the browser app depends on ethers only";
      return inside(to, "app/src") || inside(to, "sdk") ? undefined : "the browser app imports app/src and sdk/ only";
    },
  },
];

/** The violations of every rule among `refs`, as "file → specifier (why)". */
function violations(refs: Reference[]): string[] {
  return RULES.flatMap(({ scope, rule }) =>
    refs
      .filter((ref) => scope(ref.file))
      .flatMap((ref) => {
        const why = rule(ref);
        return why === undefined ? [] : [`${ref.file} → ${ref.specifier} (${why})`];
      }),
  );
}

/** The references of one source text, as if it were the repository file `file`. */
const referencesOf = (file: string, source: string): Reference[] =>
  moduleSpecifiers(file, source).map((specifier) => ({ file, specifier }));

describe("Import graph", function () {
  const files = [...rootFiles(), ...SCANNED.flatMap(tsFiles)];
  const refs = files.flatMap((file) => referencesOf(file, readFileSync(path.join(ROOT, file), "utf8")));

  it("reads every layer, generated SDK bindings included", function () {
    for (const dir of SCANNED)
      expect(
        files.some((f) => inside(f, dir)),
        `no .ts file under ${dir}`,
      ).to.equal(true);
    expect(
      files.some((f) => inside(f, "sdk/src/contracts")),
      "sdk/src/contracts is read",
    ).to.equal(true);
    // The walk sees the references it checks: the app's SDK imports and a task's lazy require.
    expect(refs).to.deep.include({ file: "app/src/main.ts", specifier: "../../sdk/src/format" });
    expect(refs).to.deep.include({ file: "tasks/oracle.ts", specifier: "../offchain/oracle/beacon" });
  });

  it("has no scripts/lib folder", function () {
    expect(existsSync(path.join(ROOT, "scripts/lib")), "scripts/lib exists").to.equal(false);
  });

  for (const { name, scope, rule } of RULES) {
    it(name, function () {
      const found = refs
        .filter((ref) => scope(ref.file))
        .flatMap((ref) => (rule(ref) === undefined ? [] : [`${ref.file} → ${ref.specifier}`]));
      expect(found, found.join("\n")).to.deep.equal([]);
    });
  }

  describe("the parser (self-check on synthetic sources)", function () {
    it("finds every form of module reference and nothing in strings or comments", function () {
      const source = [
        `import a from "m-default";`,
        `import "m-side-effect";`,
        `import type { T } from "m-type";`,
        `import * as ns from "m-namespace";`,
        `export * from "m-export-star";`,
        `export { b } from "m-export-named";`,
        `import c = require("m-import-equals");`,
        `const d = require("m-require");`,
        `const e = require.resolve("m-require-resolve");`,
        `async function f() { return await import("m-dynamic"); }`,
        `type G = typeof import("m-typeof-import");`,
        `let h: import("m-import-type").H;`,
        `// import "m-in-comment";`,
        `/* require("m-in-block-comment") */`,
        `const s = 'import("m-in-string")';`,
        'const t = `require("m-in-template")`;',
      ].join("\n");
      expect(moduleSpecifiers("synthetic.ts", source)).to.deep.equal([
        "m-default",
        "m-side-effect",
        "m-type",
        "m-namespace",
        "m-export-star",
        "m-export-named",
        "m-import-equals",
        "m-require",
        "m-require-resolve",
        "m-dynamic",
        "m-typeof-import",
        "m-import-type",
      ]);
    });

    it("reports each layering violation as file → specifier", function () {
      const sdk = referencesOf(
        "sdk/src/bad.ts",
        [
          `import { ethers } from "hardhat";`,
          `import { readFileSync } from "node:fs";`,
          `import type { StakingPool } from "../../typechain-types";`,
          `import { x } from "../../scripts/lib/format";`,
          `import { y } from "../../test/helpers/fixtures";`,
          `import { Contract } from "ethers";`,
          `import { z } from "./format";`,
        ].join("\n"),
      );
      const offchain = referencesOf(
        "offchain/oracle/bad.ts",
        [
          `const t = require("../../tasks/lib") as typeof import("../../tasks/lib");`,
          `import { b } from "../../bench/operations";`,
          `import { eth } from "../../sdk/src/format";`,
        ].join("\n"),
      );
      const app = referencesOf(
        "app/src/bad.ts",
        [`import hre from "hardhat";`, `import { eth } from "../../sdk/src/format";`, `import "./style.css";`].join(
          "\n",
        ),
      );
      expect(violations([...sdk, ...offchain, ...app])).to.deep.equal([
        "sdk/src/bad.ts → ../../scripts/lib/format (scripts/lib no longer exists)",
        "sdk/src/bad.ts → hardhat (the SDK depends on ethers only)",
        "sdk/src/bad.ts → node:fs (the SDK depends on ethers only)",
        "sdk/src/bad.ts → ../../typechain-types (the SDK imports nothing outside sdk/)",
        "sdk/src/bad.ts → ../../scripts/lib/format (the SDK imports nothing outside sdk/)",
        "sdk/src/bad.ts → ../../test/helpers/fixtures (the SDK imports nothing outside sdk/)",
        "offchain/oracle/bad.ts → ../../tasks/lib (offchain/ must not depend on tasks/)",
        "offchain/oracle/bad.ts → ../../tasks/lib (offchain/ must not depend on tasks/)",
        "offchain/oracle/bad.ts → ../../bench/operations (offchain/ must not depend on bench/)",
        "sdk/src/bad.ts → ../../test/helpers/fixtures (shipped code must not depend on test/)",
        "app/src/bad.ts → hardhat (the browser app depends on ethers only)",
      ]);
    });
  });
});
