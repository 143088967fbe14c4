/**
 * Injected by Vite (`define`, app/server/dev.ts): each chain's Ignition deployment (the pool) and,
 * when configured, a public JSON-RPC URL the page reads that chain through without a wallet.
 */
declare const __TIDEPOOL_DEPLOYMENTS__: Record<string, { pool: string; rpcUrl?: string }>;
