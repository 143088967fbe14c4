/**
 * A test wallet for the browser test: an EIP-1193 provider that announces itself by EIP-6963 and
 * forwards requests to the local node, where the account is unlocked (eth_sendTransaction and
 * eth_signTypedData_v4 are signed by the node). `window.__testWallet` lets the test reject the
 * next user-facing request (EIP-1193 error 4001), run a transaction on the node just before the
 * page's next call of a method (a race: the chain changes between the page's checks and its
 * transaction), and see what the page asked for.
 *
 * It can start on another chain than the node's (`chainId`): there it has no node (unless `nodes`
 * gives one, e.g. the bridge's local L2), so any request it would forward fails, and the test sees that
 * the page read nothing through it. It switches
 * chains as wallets do: `wallet_switchEthereumChain` (EIP-3326) to a chain it knows, else error
 * 4902; `wallet_addEthereumChain` (EIP-3085) makes a chain known; a switch emits `chainChanged`.
 * The current chain and the connection survive a reload (localStorage), as in a real wallet.
 *
 * {installTestWallet} runs inside the page (page.addInitScript): it must be self-contained.
 */

/** What the test reads and sets through `window.__testWallet`. */
export interface TestWalletState {
  /** Reject the next request that needs the user (connect, transaction, signature, watch asset). */
  rejectNext: boolean;
  /** Every method the page called, in order. */
  calls: string[];
  /** Hashes of the transactions sent. */
  sent: string[];
  /** Params of each wallet_watchAsset. */
  watched: unknown[];
  /** Params of each wallet_addEthereumChain. */
  addedChains: unknown[];
  /** The chain the wallet is on (hex). */
  chainId: string;
  /** A transaction to send on the node (from an unlocked account) just before the page's next `method`. */
  beforeNext?: { method: string; tx: { from: string; to: string; data: string } };
}

/** Options passed into the page. */
export interface TestWalletOptions {
  rpcUrl: string;
  account: string;
  /** The node's chain id (hex). */
  nodeChainId: string;
  /** The chain the wallet starts on (hex; default: the node's). */
  chainId?: string;
  /** Further chains the wallet knows and forwards to (hex chain id → JSON-RPC URL; the account unlocked there). */
  nodes?: Record<string, string>;
}

/** Installs the wallet in the page (serialised by Playwright: no outside references). */
export function installTestWallet(opts: TestWalletOptions): void {
  const CONNECTED_KEY = "tidepool-test-wallet-connected";
  const CHAIN_KEY = "tidepool-test-wallet-chain";
  const KNOWN_KEY = "tidepool-test-wallet-known-chains";
  const start = (opts.chainId ?? opts.nodeChainId).toLowerCase();
  const state: TestWalletState = {
    rejectNext: false,
    calls: [],
    sent: [],
    watched: [],
    addedChains: [],
    chainId: localStorage.getItem(CHAIN_KEY) ?? start,
  };
  (window as unknown as { __testWallet: TestWalletState }).__testWallet = state;
  const known = new Set<string>(JSON.parse(localStorage.getItem(KNOWN_KEY) ?? "[]") as string[]);
  known.add(start);
  for (const id of Object.keys(opts.nodes ?? {})) known.add(id.toLowerCase());
  /** The node of the chain the wallet is on, if it has one. */
  const nodeUrl = (): string | undefined =>
    state.chainId === opts.nodeChainId.toLowerCase() ? opts.rpcUrl : opts.nodes?.[state.chainId];
  const USER_METHODS = new Set([
    "eth_requestAccounts",
    "eth_sendTransaction",
    "eth_signTypedData_v4",
    "personal_sign",
    "wallet_watchAsset",
    "wallet_switchEthereumChain",
    "wallet_addEthereumChain",
  ]);
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  let nextId = 0;

  async function rpc(method: string, params: unknown, url = opts.rpcUrl): Promise<unknown> {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++nextId, method, params: params ?? [] }),
    });
    const body = (await response.json()) as {
      result?: unknown;
      error?: { code: number; message: string; data?: unknown };
    };
    if (body.error)
      throw Object.assign(new Error(body.error.message), { code: body.error.code, data: body.error.data });
    return body.result;
  }

  const emit = (event: string, ...args: unknown[]): void => {
    for (const listener of listeners.get(event) ?? []) listener(...args);
  };

  const provider = {
    isTidepoolTestWallet: true,
    async request(args: { method: string; params?: unknown }): Promise<unknown> {
      const { method, params } = args;
      state.calls.push(method);
      if (USER_METHODS.has(method) && state.rejectNext) {
        state.rejectNext = false;
        throw Object.assign(new Error("User rejected the request."), { code: 4001 });
      }
      if (state.beforeNext?.method === method) {
        const { tx } = state.beforeNext;
        state.beforeNext = undefined;
        await rpc("eth_sendTransaction", [tx]);
      }
      switch (method) {
        case "eth_chainId":
          return state.chainId;
        case "wallet_switchEthereumChain": {
          const wanted = String((params as [{ chainId: string }])[0].chainId).toLowerCase();
          if (!known.has(wanted)) {
            throw Object.assign(new Error(`Unrecognized chain ID "${wanted}".`), { code: 4902 });
          }
          if (wanted !== state.chainId) {
            state.chainId = wanted;
            localStorage.setItem(CHAIN_KEY, wanted);
            emit("chainChanged", wanted);
          }
          return null;
        }
        case "wallet_addEthereumChain": {
          const chain = (params as [{ chainId: string }])[0];
          state.addedChains.push(chain);
          known.add(String(chain.chainId).toLowerCase());
          localStorage.setItem(KNOWN_KEY, JSON.stringify([...known]));
          return null;
        }
        case "eth_requestAccounts":
          localStorage.setItem(CONNECTED_KEY, "1");
          return [opts.account];
        case "eth_accounts":
          return localStorage.getItem(CONNECTED_KEY) ? [opts.account] : [];
        case "wallet_watchAsset":
          state.watched.push(params);
          return true;
        case "eth_sendTransaction": {
          const url = nodeUrl();
          if (url === undefined) throw new Error(`test wallet: no node for chain ${state.chainId}`);
          const hash = (await rpc(method, params, url)) as string;
          state.sent.push(hash);
          return hash;
        }
        default: {
          const url = nodeUrl();
          if (url === undefined) throw new Error(`test wallet: no node for chain ${state.chainId}`);
          return rpc(method, params, url);
        }
      }
    },
    on(event: string, listener: (...args: unknown[]) => void): void {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(listener);
    },
    removeListener(event: string, listener: (...args: unknown[]) => void): void {
      listeners.get(event)?.delete(listener);
    },
  };
  const info = {
    uuid: "5f0c3a2e-7d7b-4d38-9a52-2b6f7c1d0e11",
    name: "Tidepool Test Wallet",
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E",
    rdns: "dev.tidepool.testwallet",
  };
  const announce = (): void => {
    window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
  };
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
}
