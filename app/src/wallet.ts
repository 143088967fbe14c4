/**
 * Finding the user's wallet: EIP-6963 discovery (every injected wallet announces itself), falling
 * back to the legacy `window.ethereum`; and recognising a request the user rejected (EIP-1193 4001).
 */
import { isError } from "ethers";

/** An EIP-1193 provider, as wallets inject it. */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] | Record<string, unknown> }): Promise<unknown>;
  on?(event: string, listener: (...args: unknown[]) => void): void;
  removeListener?(event: string, listener: (...args: unknown[]) => void): void;
}

/** EIP-6963 provider information. */
export interface WalletInfo {
  uuid: string;
  name: string;
  icon: string;
  rdns: string;
}

/** A wallet the page can use. */
export interface WalletChoice {
  info: WalletInfo;
  provider: Eip1193Provider;
}

interface AnnounceEvent extends Event {
  detail: WalletChoice;
}

declare global {
  interface Window {
    ethereum?: Eip1193Provider;
  }
  interface WindowEventMap {
    "eip6963:announceProvider": AnnounceEvent;
  }
}

/**
 * Asks injected wallets to announce themselves (EIP-6963) and collects them for `waitMs`; when none
 * does, offers `window.ethereum` if present. `onChange` hears wallets announced later too.
 */
export async function discoverWallets(waitMs = 300, onChange?: (all: WalletChoice[]) => void): Promise<WalletChoice[]> {
  const found: WalletChoice[] = [];
  window.addEventListener("eip6963:announceProvider", (event) => {
    const detail = event.detail;
    if (!detail?.info?.uuid || found.some((w) => w.info.uuid === detail.info.uuid)) return;
    found.push(detail);
    onChange?.([...found]);
  });
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  if (found.length === 0 && window.ethereum) {
    found.push({
      info: { uuid: "window.ethereum", name: "Browser wallet", icon: "", rdns: "" },
      provider: window.ethereum,
    });
  }
  return found;
}

/** Whether `error` is the user declining in their wallet (EIP-1193 code 4001, ethers ACTION_REJECTED). */
export function isUserRejection(error: unknown, depth = 0): boolean {
  if (isError(error, "ACTION_REJECTED")) return true;
  if (error === null || typeof error !== "object" || depth > 5) return false;
  const e = error as Record<string, unknown>;
  if (e.code === 4001) return true;
  return ["error", "info", "cause"].some((key) => isUserRejection(e[key], depth + 1));
}

/** Whether the wallet said it does not support a method (EIP-1193 4200, JSON-RPC -32601). */
export function isUnsupportedMethod(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== "object" || depth > 5) return false;
  const e = error as Record<string, unknown>;
  if (e.code === 4200 || e.code === -32601) return true;
  return ["error", "info", "cause"].some((key) => isUnsupportedMethod(e[key], depth + 1));
}
