/**
 * Signed voluntary exits (consensus specs `SignedVoluntaryExit`), as `ethdo validator exit` and
 * Lighthouse's `account validator exit` make them: the message is `VoluntaryExit{epoch,
 * validator_index}`, its signing root `hash_tree_root(SigningData(hash_tree_root(message), domain))`
 * with Lodestar's SSZ types, and the domain `compute_domain(DOMAIN_VOLUNTARY_EXIT, CAPELLA_FORK_VERSION,
 * genesis_validators_root)` from Lodestar's config: since Deneb (EIP-7044) an exit is signed for the
 * Capella fork whatever the current fork, so a signed exit never expires.
 *
 * `@lodestar/*` and `@chainsafe/ssz` are ESM-only; this project compiles to CommonJS, which keeps the
 * dynamic `import()` (as offchain/beacon/state.ts does).
 */
import { getBytes, hexlify, type BytesLike } from "ethers";
import { PublicKey, SecretKey, Signature, verify } from "@chainsafe/blst";

/** DOMAIN_VOLUNTARY_EXIT (consensus specs, phase0). */
export const DOMAIN_VOLUNTARY_EXIT = "0x04000000";

/** CAPELLA_FORK_VERSION per network (consensus-specs and eth-clients configs). */
export const CAPELLA_FORK_VERSIONS: Record<string, string> = {
  mainnet: "0x03000000",
  hoodi: "0x40000910",
  holesky: "0x04017000",
  sepolia: "0x90000072",
};

/** What an exit is signed for: the chain's Capella fork version and genesis validators root. */
export interface ExitFork {
  capellaForkVersion: string; // 0x…, 4 bytes
  genesisValidatorsRoot: string; // 0x…, 32 bytes
}

/** A `VoluntaryExit` message. */
export interface VoluntaryExit {
  epoch: bigint;
  validatorIndex: number;
}

/** A `SignedVoluntaryExit` as the Beacon API carries it (numbers as decimal strings, bytes 0x-hex). */
export interface SignedVoluntaryExitJson {
  message: { epoch: string; validator_index: string };
  signature: string;
}

type Modules = {
  ssz: (typeof import("@lodestar/types", { with: { "resolution-mode": "import" } }))["ssz"];
  config: typeof import("@lodestar/config", { with: { "resolution-mode": "import" } });
  defaults: typeof import("@lodestar/config/default", { with: { "resolution-mode": "import" } });
  params: typeof import("@lodestar/params", { with: { "resolution-mode": "import" } });
};

let modules: Promise<Modules> | undefined;

/** Lodestar's SSZ types, config and params (loaded once). */
function load(): Promise<Modules> {
  modules ??= Promise.all([
    import("@lodestar/types"),
    import("@lodestar/config"),
    import("@lodestar/config/default"),
    import("@lodestar/params"),
  ]).then(([types, config, defaults, params]) => ({ ssz: types.ssz, config, defaults, params }));
  return modules;
}

function bytesOf(hex: BytesLike, length: number, name: string): Uint8Array {
  const bytes = getBytes(hex);
  if (bytes.length !== length) throw new Error(`${name} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}

/**
 * The voluntary-exit domain for `fork`: Lodestar's `getDomainAtFork(capella, DOMAIN_VOLUNTARY_EXIT)`
 * (what its `getDomainForVoluntaryExit` returns from Deneb on) on a chain config with that Capella
 * fork version and genesis validators root.
 */
export async function voluntaryExitDomain(fork: ExitFork): Promise<Uint8Array> {
  const { config, defaults, params } = await load();
  const chainConfig = config.createChainForkConfig({
    ...defaults.chainConfig,
    CAPELLA_FORK_VERSION: bytesOf(fork.capellaForkVersion, 4, "the Capella fork version"),
  });
  const genesis = config.createCachedGenesis(
    chainConfig,
    bytesOf(fork.genesisValidatorsRoot, 32, "the genesis validators root"),
  );
  return genesis.getDomainAtFork(params.ForkName.capella, params.DOMAIN_VOLUNTARY_EXIT);
}

/** compute_signing_root(VoluntaryExit, domain) with Lodestar's SSZ types. */
export async function voluntaryExitSigningRoot(exit: VoluntaryExit, fork: ExitFork): Promise<Uint8Array> {
  const { ssz } = await load();
  const objectRoot = ssz.phase0.VoluntaryExit.hashTreeRoot({
    epoch: Number(exit.epoch),
    validatorIndex: exit.validatorIndex,
  });
  return ssz.phase0.SigningData.hashTreeRoot({ objectRoot, domain: await voluntaryExitDomain(fork) });
}

/** `exit` signed by `secretKey` for `fork`, as the Beacon API's pool endpoint takes it. */
export async function signVoluntaryExit(
  secretKey: SecretKey | Uint8Array,
  exit: VoluntaryExit,
  fork: ExitFork,
): Promise<SignedVoluntaryExitJson> {
  const { ssz } = await load();
  const key = secretKey instanceof Uint8Array ? SecretKey.fromBytes(secretKey) : secretKey;
  const signature = key.sign(await voluntaryExitSigningRoot(exit, fork)).toBytes();
  return ssz.phase0.SignedVoluntaryExit.toJson({
    message: { epoch: Number(exit.epoch), validatorIndex: exit.validatorIndex },
    signature,
  }) as unknown as SignedVoluntaryExitJson;
}

/** A Beacon API `SignedVoluntaryExit` read with Lodestar's JSON codec; throws what is wrong with it. */
export async function parseSignedVoluntaryExit(json: unknown): Promise<{ exit: VoluntaryExit; signature: string }> {
  const { ssz } = await load();
  const value = ssz.phase0.SignedVoluntaryExit.fromJson(json);
  return {
    exit: { epoch: BigInt(value.message.epoch), validatorIndex: value.message.validatorIndex },
    signature: hexlify(value.signature),
  };
}

/** Whether `signature` is `pubkey`'s BLS signature over `exit` for `fork` (false for a malformed point). */
export async function verifyVoluntaryExit(
  pubkey: BytesLike,
  exit: VoluntaryExit,
  signature: BytesLike,
  fork: ExitFork,
): Promise<boolean> {
  const root = await voluntaryExitSigningRoot(exit, fork);
  try {
    return verify(root, PublicKey.fromBytes(getBytes(pubkey), true), Signature.fromBytes(getBytes(signature), true));
  } catch {
    return false;
  }
}
