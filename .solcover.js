// solidity-coverage: test doubles are not part of the product.
// The gate in `npm test` (COVERAGE_GATE=1) measures only what it checks, lines and branches:
// fewer instrumentation points make the instrumented run faster.
const gate = process.env.COVERAGE_GATE === "1";
module.exports = {
  skipFiles: ["test/"],
  configureYulOptimizer: true,
  istanbulReporter: gate ? ["json-summary", "text-summary"] : ["html", "lcov", "json-summary", "text"],
  measureStatementCoverage: !gate,
  measureFunctionCoverage: !gate,
  measureModifierCoverage: !gate,
};
