/** Injected by Vite (`define`, app/server/dev.ts): the pool of each chain's Ignition deployment. */
declare const __TIDEPOOL_DEPLOYMENTS__: Record<string, { pool: string }>;
