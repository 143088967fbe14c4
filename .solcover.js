// solidity-coverage: test doubles are not part of the product.
// The gate in `npm test` (COVERAGE_GATE=1) measures only what it checks, lines and branches:
// fewer instrumentation points make the instrumented run faster. Its build (hardhat.config.ts) and its
// report are its own: `coverage/gate/coverage-summary.json`, read by scripts/check-coverage.ts, while
// `npm run coverage` writes the full report to `coverage/`.
const gate = process.env.COVERAGE_GATE === "1";
module.exports = {
  skipFiles: ["test/"],
  configureYulOptimizer: true,
  istanbulFolder: gate ? "coverage/gate" : "coverage",
  istanbulReporter: gate ? ["json-summary", "text-summary"] : ["html", "lcov", "json-summary", "text"],
  measureStatementCoverage: !gate,
  measureFunctionCoverage: !gate,
  measureModifierCoverage: !gate,
};
