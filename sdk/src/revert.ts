/**
 * Finding and decoding a revert's custom error, wherever a provider put its data. Pure (imports
 * `ethers` only): shared by the Hardhat tasks and the browser app (app/).
 */
import type { ErrorDescription, Interface } from "ethers";

/** Revert data carried by an ethers / Hardhat / EIP-1193 error, wherever the provider put it. */
export function revertData(error: unknown, depth = 0): string | undefined {
  if (error === null || typeof error !== "object" || depth > 5) return undefined;
  const e = error as Record<string, unknown>;
  if (typeof e.data === "string" && /^0x[0-9a-fA-F]{8}/.test(e.data)) return e.data;
  if (e.data && typeof e.data === "object") {
    const nested = (e.data as Record<string, unknown>).data;
    if (typeof nested === "string" && /^0x[0-9a-fA-F]{8}/.test(nested)) return nested;
  }
  for (const key of ["error", "info", "cause", "parent"]) {
    const found = revertData(e[key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The custom error that one of `interfaces` declares and `error` carries, parsed; else undefined. */
export function parseRevert(error: unknown, interfaces: readonly Interface[]): ErrorDescription | undefined {
  const data = revertData(error);
  if (data === undefined) return undefined;
  for (const iface of interfaces) {
    try {
      const parsed = iface.parseError(data);
      if (parsed) return parsed;
    } catch {
      // not this interface's error
    }
  }
  return undefined;
}

/** "Name(arg, …)" for a custom error that one of `interfaces` declares, else undefined. */
export function decodeRevert(error: unknown, interfaces: readonly Interface[]): string | undefined {
  const parsed = parseRevert(error, interfaces);
  if (parsed) return `${parsed.name}(${parsed.args.map((a: unknown) => String(a)).join(", ")})`;
  const revert = (error as { revert?: { name?: unknown; args?: unknown[] } } | null)?.revert;
  if (revert && typeof revert.name === "string") {
    return `${revert.name}(${(revert.args ?? []).map((a) => String(a)).join(", ")})`;
  }
  return undefined;
}
