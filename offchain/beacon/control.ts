/**
 * Control of the local beacon chain from outside its process (not part of the Beacon API): move both
 * chains to the next frame or the next slot(s), slash a validator, start an exit. `scripts/beacon-chain.ts` serves it on
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

function gweiOf(args: Record<string, unknown>, name: string, unit = " of gwei"): bigint | undefined {
  const value = args[name];
  if (value === undefined) return undefined;
  if ((typeof value !== "string" && typeof value !== "number") || !/^[0-9]+$/.test(String(value))) {
    throw new Error(`"${name}" must be a whole number${unit}, got ${JSON.stringify(value)}`);
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
    case "/advance-slot": {
      // The block `slots` slots after the execution head's (1 by default): with system calls, it
      // holds the EIP-4788 root of the previous beacon block and the EIP-7002 dequeue, and the
      // slot's beacon block is produced (what a proof of the previous block's state needs).
      const slots = gweiOf(args, "slots", "") ?? 1n;
      if (slots < 1n) throw new Error('"slots" must be at least 1');
      const slot = local.chain.slotAt(await local.bridge.latestTimestamp()) + slots;
      await local.bridge.advanceTo(local.chain.slotTime(slot));
      return { slot: slot.toString(), block: local.bridge.lastMinedBlock, beaconRoot: local.state?.head?.root ?? null };
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
      throw new Error(`no control route ${path} (POST /advance-frame, /advance-slot, /slash, /exit)`);
  }
}
