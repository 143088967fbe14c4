/**
 * Control of the local beacon chain from outside its process (not part of the Beacon API): move both
 * chains to the next frame, slash a validator, start an exit. `scripts/beacon-chain.ts` serves it on
 * the port after the Beacon API's.
 */
import { advanceToNextFrame, type LocalBeacon } from "./local";

/** Runs `work` after everything queued before it, so a follow loop and control calls never interleave. */
export function serializer(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>) => {
    const next = tail.then(work, work);
    tail = next.catch(() => undefined);
    return next;
  };
}

function pubkeyOf(args: Record<string, unknown>): string {
  const pubkey = args.pubkey;
  if (typeof pubkey !== "string" || !/^0x[0-9a-fA-F]{96}$/.test(pubkey)) {
    throw new Error(`"pubkey" must be a 48-byte 0x-hex string, got ${JSON.stringify(pubkey)}`);
  }
  return pubkey;
}

function gweiOf(args: Record<string, unknown>, name: string): bigint | undefined {
  const value = args[name];
  if (value === undefined) return undefined;
  if ((typeof value !== "string" && typeof value !== "number") || !/^[0-9]+$/.test(String(value))) {
    throw new Error(`"${name}" must be a whole number of gwei, got ${JSON.stringify(value)}`);
  }
  return BigInt(value);
}

/** Handles `POST <path>` with a JSON `body`; throws an Error whose message says what was wrong. */
export async function handleControl(local: LocalBeacon, path: string, body: string): Promise<Record<string, unknown>> {
  let args: Record<string, unknown> = {};
  if (body.trim() !== "") {
    const parsed = JSON.parse(body) as unknown;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new Error("the body must be a JSON object");
    args = parsed as Record<string, unknown>;
  }
  switch (path) {
    case "/advance-frame": {
      const { refSlot, refBlock } = await advanceToNextFrame(local);
      return { refSlot: refSlot.toString(), refBlock };
    }
    case "/slash": {
      const pubkey = pubkeyOf(args);
      local.chain.slash(pubkey, {
        initialPenaltyGwei: gweiOf(args, "initialPenaltyGwei"),
        correlationPenaltyGwei: gweiOf(args, "correlationPenaltyGwei"),
      });
      return { slashed: pubkey, epoch: local.chain.epoch.toString() };
    }
    case "/exit": {
      const pubkey = pubkeyOf(args);
      local.chain.exit(pubkey);
      return { exiting: pubkey, epoch: local.chain.epoch.toString() };
    }
    default:
      throw new Error(`no control route ${path} (POST /advance-frame, /slash, /exit)`);
  }
}
