/**
 * Injected by Vite (`define`, app/server/dev.ts `AppDeployment`): each chain's Ignition deployment —
 * the pool of a home chain (with the wtpETH bridge's adapter when recorded), or a remote chain's OFT
 * and RateOracle — and, when configured, a public JSON-RPC URL the page reads that chain through
 * without a wallet.
 */
declare const __TIDEPOOL_DEPLOYMENTS__: Record<string, import("./bridge").DeploymentEntry>;
