/**
 * Tidepool SDK: reads, writes, error messages and formatting for the Tidepool liquid staking
 * protocol, over ethers v6 only. See sdk/README.md.
 */
export * from "./client";
export * from "./contracts";
export * from "./deployments";
export * from "./errors";
export * from "./format";
export * from "./permit";
export * from "./protocol";
export * from "./report";
export * from "./revert";
export * from "./sdk-error";
export * from "./status";
export * from "./withdrawals";
export * from "./operators";
export * from "./bridge";
