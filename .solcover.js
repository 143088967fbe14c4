// solidity-coverage: test doubles are not part of the product.
module.exports = {
  skipFiles: ["test/"],
  configureYulOptimizer: true,
};
