import { Signature, getBytes, hexlify, type Signer, type TypedDataDomain } from "ethers";
import type { ApiClient } from "@lodestar/api" with { "resolution-mode": "import" };
import type { DepositContract, DepositSecurityModule, NodeOperatorRegistry, StakingPool } from "../../typechain-types";
import type { IDepositSecurityModule } from "../../typechain-types/contracts/validators/DepositSecurityModule";
import { eth } from "../../sdk/src/format";

export type Attestation = IDepositSecurityModule.AttestationStruct;
export type GuardianSignature = IDepositSecurityModule.SignatureStruct;

/** The EIP-712 type guardians sign (DepositSecurityModule). */
export const ATTESTATION_TYPES = {
  DepositAttestation: [
    { name: "depositRoot", type: "bytes32" },
    { name: "keysNonce", type: "uint256" },
    { name: "blockNumber", type: "uint256" },
    { name: "blockHash", type: "bytes32" },
  ],
};

/** What a guardian observes now: the deposit root, the key nonce and the latest block. */
export async function currentAttestation(
  depositContract: DepositContract,
  registry: NodeOperatorRegistry,
  provider: { getBlock(tag: "latest"): Promise<{ number: number; hash: string | null } | null> },
): Promise<Attestation> {
  const block = await provider.getBlock("latest");
  if (!block?.hash) throw new Error("no latest block");
  return {
    depositRoot: await depositContract.get_deposit_root(),
    keysNonce: await registry.keysNonce(),
    blockNumber: BigInt(block.number),
    blockHash: block.hash,
  };
}

/** A compact (EIP-2098) signature of `signer` over `attestation` in `domain`, as the module takes it. */
export async function signAttestationIn(
  domain: TypedDataDomain,
  attestation: Attestation,
  signer: Signer,
): Promise<GuardianSignature> {
  const sig = Signature.from(await signer.signTypedData(domain, ATTESTATION_TYPES, attestation));
  return { r: sig.r, vs: sig.yParityAndS };
}

/** EIP-712 signatures of `guardians` over `attestation`, compact (EIP-2098), sorted by signer as the module requires. */
export async function signAttestation(
  dsm: DepositSecurityModule,
  attestation: Attestation,
  guardians: Signer[],
): Promise<GuardianSignature[]> {
  const [, name, version, chainId, verifyingContract] = await dsm.eip712Domain();
  const domain = { name, version, chainId, verifyingContract };
  const signed = await Promise.all(
    guardians.map(async (g) => ({
      signer: (await g.getAddress()).toLowerCase(),
      sig: await signAttestationIn(domain, attestation, g),
    })),
  );
  return signed.sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1)).map((s) => s.sig);
}

/**
 * Deposits as many validators as the buffer and the operators allow (at most `max`), each batch to the
 * operator next in line, with a fresh attestation signed by `guardians` (a quorum) every time.
 * Returns the validators deposited.
 */
export async function depositAvailable(
  t: {
    pool: StakingPool;
    registry: NodeOperatorRegistry;
    dsm: DepositSecurityModule;
    depositContract: DepositContract;
  },
  guardians: Signer[],
  provider: BlockSource,
  max = 2n ** 32n,
): Promise<bigint> {
  const perCall = await t.pool.MAX_DEPOSITS_PER_CALL();
  const operators = await t.registry.getNodeOperatorsCount();
  let deposited = 0n;
  while (deposited < max) {
    const byBuffer = (await t.pool.depositableEther()) / (32n * 10n ** 18n);
    let next: { id: bigint; keys: bigint } | undefined;
    for (let id = 0n; id < operators && !next; id++) {
      const keys = await t.registry.depositableKeys(id);
      if (keys > 0n) next = { id, keys };
    }
    if (byBuffer === 0n || !next) break;
    const count = [next.keys, byBuffer, perCall, max - deposited].reduce((a, b) => (b < a ? b : a));
    const attestation = await parentBlockAttestation(t.depositContract, t.registry, provider);
    const signatures = await signAttestation(t.dsm, attestation, guardians);
    await (await t.dsm.connect(guardians[0]).depositBufferedEther(next.id, count, attestation, signatures)).wait();
    deposited += count;
  }
  return deposited;
}

/** A provider that can name the latest block and fetch a block by number. */
export interface BlockSource {
  getBlockNumber(): Promise<number>;
  getBlock(tag: number): Promise<{ number: number; hash: string | null } | null>;
}

/**
 * An attestation of the latest block's parent. A simulated call (gas estimation, `staticCall`) runs in
 * the context of the block it reads, where that block's own hash reads as zero, so an attestation of
 * the latest block fails there as stale; its parent's hash is always readable.
 */
export async function parentBlockAttestation(
  depositContract: DepositContract,
  registry: NodeOperatorRegistry,
  provider: BlockSource,
): Promise<Attestation> {
  const parent = { getBlock: async () => provider.getBlock(Math.max((await provider.getBlockNumber()) - 1, 0)) };
  return currentAttestation(depositContract, registry, parent);
}

// ──────────────────────────────── Keys deposited outside the pool ────────────────────────────────
//
// The first deposit to a pubkey sets its validator's withdrawal credentials. An operator that
// deposits 1 ETH to its own vetted key with its own credentials, before the pool's 32 ETH, owns the
// validator the pool then tops up; the deposit root attested a moment later already includes the
// front-run, so only the guardian's check before signing stops it (docs/threat-model.md).

/** Blocks per eth_getLogs request by default: what public RPC providers accept. */
export const DEFAULT_LOG_RANGE_BLOCKS = 10_000;

/** Where the deposit contract's logs start (its deployment block), by chain id. */
export const DEPOSIT_CONTRACT_FROM_BLOCK: Readonly<Record<string, number>> = {
  "1": 11_052_984, // mainnet: 0x00000000219ab540356cBB839Cbe05303d7705Fa
  "560048": 0, // Hoodi: the same address, in the genesis state
  "31337": 0, // Hardhat and localhost: deployed with Tidepool
};

/** Pubkeys per Beacon API GET: they go in the URL, about 100 characters each. */
const PUBKEYS_PER_BEACON_REQUEST = 50;

/** A key the pool may deposit to next: vetted and not deposited yet. */
export interface PendingKey {
  operatorId: bigint;
  keyIndex: bigint;
  pubkey: string; // 0x…, 48 bytes, lower case
}

/** A deposit the pool did not make, as the deposit contract logged it or the beacon node holds it. */
export interface ForeignDeposit {
  amountGwei: bigint;
  withdrawalCredentials: string; // 0x…, lower case
  /** Where it was seen: a `DepositEvent` in a block, or a validator in the beacon node's head state. */
  seenIn: { depositContractBlock: number } | { beaconValidatorIndex: number };
}

/** A pending key that already has a deposit: signing an attestation would send it the pool's 32 ETH. */
export type EarlierDeposit = PendingKey & ForeignDeposit;

/** The Beacon API could not be read; the check is incomplete, so nothing may be signed. */
export class BeaconApiError extends Error {
  constructor(
    readonly url: string,
    readonly cause: unknown,
  ) {
    super(
      `cannot read the Beacon API at ${url}: ${(cause instanceof Error ? cause.message : String(cause)).split("\n")[0]}`,
    );
  }
}

/** The keys of a registry were changed while a guardian checked them; the check must run again. */
export class KeysChangedError extends Error {
  constructor(
    readonly attestedNonce: bigint,
    readonly checkedNonce: bigint,
  ) {
    super(`the registry's keys changed during the check (key nonce ${checkedNonce}, attested ${attestedNonce})`);
  }
}

/** Every operator's vetted, undeposited keys in the state of block `blockTag`. */
export async function pendingKeys(registry: NodeOperatorRegistry, blockTag: number): Promise<PendingKey[]> {
  const keys: PendingKey[] = [];
  const count = await registry.getNodeOperatorsCount({ blockTag });
  for (let operatorId = 0n; operatorId < count; operatorId++) {
    const op = await registry.getNodeOperator(operatorId, { blockTag });
    const indices: bigint[] = [];
    for (let k = op.depositedKeys; k < op.vettedKeys; k++) indices.push(k);
    const read = await Promise.all(indices.map((k) => registry.getSigningKey(operatorId, k, { blockTag })));
    read.forEach(([pubkey], i) =>
      keys.push({ operatorId, keyIndex: indices[i], pubkey: hexlify(pubkey).toLowerCase() }),
    );
  }
  return keys;
}

/**
 * The deposit contract's `DepositEvent` logs from block `fromBlock`, read in ranges of at most
 * `rangeBlocks` blocks. It remembers the first deposit to each pubkey it was asked about and how far
 * it has read, so a later call reads only the blocks since (a new pubkey makes it read from the start).
 */
export class DepositLogScanner {
  private watched = new Set<string>();
  private readonly first = new Map<string, ForeignDeposit>();
  private scannedTo: number;

  constructor(
    private readonly depositContract: DepositContract,
    readonly fromBlock: number,
    readonly rangeBlocks = DEFAULT_LOG_RANGE_BLOCKS,
  ) {
    if (!Number.isSafeInteger(rangeBlocks) || rangeBlocks < 1)
      throw new Error(`rangeBlocks must be ≥ 1, got ${rangeBlocks}`);
    this.scannedTo = fromBlock - 1;
  }

  /** The first logged deposit to each of `pubkeys` (lower case) up to block `toBlock`. */
  async firstDeposits(pubkeys: readonly string[], toBlock: number): Promise<Map<string, ForeignDeposit>> {
    if (pubkeys.some((p) => !this.watched.has(p))) {
      this.watched = new Set([...this.watched, ...pubkeys]);
      this.first.clear();
      this.scannedTo = this.fromBlock - 1;
    }
    const filter = this.depositContract.filters.DepositEvent();
    for (let from = this.scannedTo + 1; from <= toBlock; from += this.rangeBlocks) {
      const to = Math.min(toBlock, from + this.rangeBlocks - 1);
      for (const log of await this.depositContract.queryFilter(filter, from, to)) {
        const pubkey = hexlify(log.args.pubkey).toLowerCase();
        if (!this.watched.has(pubkey) || this.first.has(pubkey)) continue;
        this.first.set(pubkey, {
          amountGwei: BigInt(hexlify(getBytes(log.args.amount).reverse())), // 8 bytes, little-endian
          withdrawalCredentials: hexlify(log.args.withdrawal_credentials).toLowerCase(),
          seenIn: { depositContractBlock: log.blockNumber },
        });
      }
      this.scannedTo = to;
    }
    const found = new Map<string, ForeignDeposit>();
    for (const p of pubkeys) if (this.first.has(p)) found.set(p, this.first.get(p)!);
    return found;
  }
}

/**
 * The validators with these pubkeys in a beacon node's head state, by pubkey, asked with the
 * standard `GET /eth/v1/beacon/states/head/validators?id=…`. Throws BeaconApiError if it cannot.
 */
export async function headValidatorsByPubkey(
  baseUrl: string,
  pubkeys: readonly string[],
): Promise<Map<string, ForeignDeposit>> {
  const found = new Map<string, ForeignDeposit>();
  try {
    const { getClient } = await import("@lodestar/api");
    const { createChainForkConfig } = await import("@lodestar/config");
    const { config } = await import("@lodestar/config/default");
    const api: ApiClient = getClient({ baseUrl }, { config: createChainForkConfig(config) });
    for (let i = 0; i < pubkeys.length; i += PUBKEYS_PER_BEACON_REQUEST) {
      const chunk = pubkeys.slice(i, i + PUBKEYS_PER_BEACON_REQUEST);
      const res = await api.beacon.getStateValidators({ stateId: "head", validatorIds: chunk as string[] });
      for (const v of res.value()) {
        found.set(hexlify(v.validator.pubkey).toLowerCase(), {
          amountGwei: BigInt(v.balance),
          withdrawalCredentials: hexlify(v.validator.withdrawalCredentials).toLowerCase(),
          seenIn: { beaconValidatorIndex: v.index },
        });
      }
    }
  } catch (error) {
    throw new BeaconApiError(baseUrl, error);
  }
  return found;
}

/** How a guardian looks for earlier deposits: the deposit contract's logs, and a beacon node if one is given. */
export interface EarlierDepositCheck {
  logs: DepositLogScanner;
  beaconUrl?: string;
}

/**
 * The keys the pool may deposit to next that already have a deposit, for the keys `attestation`
 * names (its key nonce): their first deposit in the deposit contract's logs up to the latest block,
 * else their validator in the beacon node's head state. A guardian signs only if this is empty.
 * Throws KeysChangedError if the registry's keys are no longer the attested ones, BeaconApiError if
 * the beacon node cannot be read.
 */
export async function findEarlierDeposits(
  registry: NodeOperatorRegistry,
  provider: { getBlockNumber(): Promise<number> },
  attestation: Attestation,
  check: EarlierDepositCheck,
): Promise<EarlierDeposit[]> {
  const latest = await provider.getBlockNumber();
  const nonce = await registry.keysNonce({ blockTag: latest });
  if (nonce !== BigInt(attestation.keysNonce)) throw new KeysChangedError(BigInt(attestation.keysNonce), nonce);
  const keys = await pendingKeys(registry, latest);
  if (keys.length === 0) return [];
  const pubkeys = keys.map((k) => k.pubkey);
  const logged = await check.logs.firstDeposits(pubkeys, latest);
  const unlogged = pubkeys.filter((p) => !logged.has(p));
  const onBeacon =
    check.beaconUrl === undefined || unlogged.length === 0
      ? new Map<string, ForeignDeposit>()
      : await headValidatorsByPubkey(check.beaconUrl, unlogged);
  return keys.flatMap((k) => {
    const deposit = logged.get(k.pubkey) ?? onBeacon.get(k.pubkey);
    return deposit === undefined ? [] : [{ ...k, ...deposit }];
  });
}

/** Why a guardian refuses to sign, in one sentence: the keys, their deposits, and what governance must do. */
export function earlierDepositsRefusal(found: readonly EarlierDeposit[]): string {
  const key = (d: EarlierDeposit) => `key ${d.keyIndex} of operator ${d.operatorId}`;
  const deposit = (d: EarlierDeposit) =>
    `pubkey ${d.pubkey}, ${eth(d.amountGwei * 10n ** 9n, 9)} to withdrawal credentials ${d.withdrawalCredentials}, ` +
    ("depositContractBlock" in d.seenIn
      ? `deposit contract block ${d.seenIn.depositContractBlock}`
      : `validator ${d.seenIn.beaconValidatorIndex} on the beacon chain`);
  const what =
    found.length === 1
      ? `${key(found[0])} is vetted but already has a deposit the pool did not make (${deposit(found[0])})`
      : `${found.length} vetted keys already have a deposit the pool did not make ` +
        `(${found.map((d) => `${key(d)}: ${deposit(d)}`).join("; ")})`;
  const keys = found.map(key);
  const unvet = keys.length === 1 ? keys[0] : `${keys.slice(0, -1).join(", ")} and ${keys[keys.length - 1]}`;
  return (
    `refusing to sign: ${what}, and the pool's 32 ETH would join a validator those credentials own; ` +
    `governance must unvet ${unvet} before deposits resume`
  );
}
