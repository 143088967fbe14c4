import { expect } from "chai";
import { ZeroHash } from "ethers";
import type { ApiClient } from "@lodestar/api" with { "resolution-mode": "import" };
import { BeaconChain } from "../../offchain/beacon/chain";
import { startBeaconApi, type BeaconApi } from "../../offchain/beacon/server";
import { connectBeacon, type BeaconReader } from "../../offchain/oracle/beacon";
import {
  ETH32,
  ETH_GWEI,
  FAR_FUTURE,
  PAYEE_CREDENTIALS,
  depositEvent,
  expectedRoot,
  lodestarClient,
  rewardPerEpoch,
} from "../helpers/beacon-sim";

const GENESIS = 1_700_000_000n;
const P = rewardPerEpoch(ETH32, 300n); // 11,689 gwei an epoch at 32 ETH
const PENALTY = ETH32 / 4096n; // 7,812,500: the default initial slashing penalty
const HEAD_SLOT = 325n; // epoch 10, slot 5
const FAR = FAR_FUTURE.toString();
const KEYS = Array.from({ length: 9 }, (_, i) =>
  depositEvent("beacon-api", i, i === 7 ? { amountGwei: ETH_GWEI } : {}),
);
const PK = KEYS.map((k) => k.pubkey);
const UNKNOWN_PK = depositEvent("beacon-api", 99).pubkey;

/**
 * A chain whose head (epoch 10) holds a validator in each of the nine statuses, index = status order:
 * 0 active_ongoing, 1 active_exiting, 2 active_slashed, 3 withdrawal_possible, 4 exited_unslashed,
 * 5 exited_slashed, 6 withdrawal_done, 7 pending_initialized (1 ETH), 8 pending_queued.
 * Activation 2 epochs after a deposit, exit 2 after a request, withdrawable 4 after the exit or 16 after
 * a slashing; the sweep runs every 8 epochs.
 */
function buildChain(): BeaconChain {
  const chain = new BeaconChain({
    genesisTime: GENESIS,
    activationDelayEpochs: 2n,
    exitDelayEpochs: 2n,
    withdrawabilityDelayEpochs: 4n,
    epochsPerSlashingsVector: 16n,
    sweepIntervalEpochs: 8n,
    historyEpochs: 64n,
  });
  chain.applyDeposits(KEYS.slice(0, 8));
  chain.advanceToEpoch(2n);
  chain.exit(PK[6]); // exit 4, withdrawable 8: swept at 8
  chain.advanceToEpoch(3n);
  chain.exit(PK[3]); // exit 5, withdrawable 9
  chain.advanceToEpoch(4n);
  chain.slash(PK[5]); // exit 6, withdrawable 20
  chain.advanceToEpoch(6n);
  chain.exit(PK[4]); // exit 8, withdrawable 12
  chain.advanceToEpoch(9n);
  chain.exit(PK[1]); // exit 11, withdrawable 15
  chain.slash(PK[2]); // exit 11, withdrawable 25
  chain.advanceToEpoch(10n);
  chain.applyDeposits([KEYS[8]]); // active at 12
  chain.advanceToSlot(HEAD_SLOT);
  return chain;
}

interface ValidatorFields {
  balance: bigint;
  status: string;
  effective?: bigint;
  slashed?: boolean;
  eligibility?: bigint | string;
  activation?: bigint | string;
  exit?: bigint | string;
  withdrawable?: bigint | string;
}

/** A validator as the Beacon API spells it: decimal strings, 0x hex, snake_case. */
function validatorJson(index: number, f: ValidatorFields): unknown {
  return {
    index: index.toString(),
    balance: f.balance.toString(),
    status: f.status,
    validator: {
      pubkey: PK[index],
      withdrawal_credentials: PAYEE_CREDENTIALS,
      effective_balance: (f.effective ?? ETH32).toString(),
      slashed: f.slashed ?? false,
      activation_eligibility_epoch: (f.eligibility ?? 0n).toString(),
      activation_epoch: (f.activation ?? 2n).toString(),
      exit_epoch: (f.exit ?? FAR).toString(),
      withdrawable_epoch: (f.withdrawable ?? FAR).toString(),
    },
  };
}

/** The head state's validators (epoch 10), worked out by hand from the timeline in buildChain. */
const HEAD: unknown[] = [
  validatorJson(0, { balance: ETH32 + 2n * P, status: "active_ongoing" }), // 8 rewards, 6 swept at 8
  validatorJson(1, { balance: ETH32 + 2n * P, status: "active_exiting", exit: 11n, withdrawable: 15n }),
  validatorJson(2, {
    balance: ETH32 - PENALTY, // +7 rewards, −6 swept, −penalty at 9, −1 per-epoch penalty at 10
    status: "active_slashed",
    slashed: true,
    exit: 11n,
    withdrawable: 25n,
  }),
  validatorJson(3, { balance: ETH32, status: "withdrawal_possible", exit: 5n, withdrawable: 9n }), // next sweep at 16
  validatorJson(4, { balance: ETH32, status: "exited_unslashed", exit: 8n, withdrawable: 12n }),
  validatorJson(5, {
    balance: ETH32 - 4n * P - PENALTY, // +2 rewards, −penalty at 4, −6 per-epoch penalties (5..10)
    status: "exited_slashed",
    slashed: true,
    exit: 6n,
    withdrawable: 20n,
  }),
  validatorJson(6, { balance: 0n, status: "withdrawal_done", effective: 0n, exit: 4n, withdrawable: 8n }),
  validatorJson(7, {
    balance: ETH_GWEI,
    status: "pending_initialized",
    effective: ETH_GWEI,
    eligibility: FAR,
    activation: FAR,
  }),
  validatorJson(8, { balance: ETH32, status: "pending_queued", eligibility: 10n, activation: 12n }),
];

/** The state of epoch 3 (slots 96..127): one reward each for the active, exits of 3 and 6 pending. */
const EPOCH3: unknown[] = [
  validatorJson(0, { balance: ETH32 + P, status: "active_ongoing" }),
  validatorJson(1, { balance: ETH32 + P, status: "active_ongoing" }),
  validatorJson(2, { balance: ETH32 + P, status: "active_ongoing" }),
  validatorJson(3, { balance: ETH32 + P, status: "active_exiting", exit: 5n, withdrawable: 9n }),
  validatorJson(4, { balance: ETH32 + P, status: "active_ongoing" }),
  validatorJson(5, { balance: ETH32 + P, status: "active_ongoing" }),
  validatorJson(6, { balance: ETH32 + P, status: "active_exiting", exit: 4n, withdrawable: 8n }),
  validatorJson(7, {
    balance: ETH_GWEI,
    status: "pending_initialized",
    effective: ETH_GWEI,
    eligibility: FAR,
    activation: FAR,
  }),
];

const pick = (list: unknown[], ...indices: number[]) => indices.map((i) => list[i]);

function headerJson(slot: bigint): unknown {
  return {
    root: expectedRoot("block", slot),
    canonical: true,
    header: {
      message: {
        slot: slot.toString(),
        proposer_index: "0",
        parent_root: slot === 0n ? ZeroHash : expectedRoot("block", slot - 1n),
        state_root: expectedRoot("state", slot),
        body_root: ZeroHash,
      },
      signature: "0x" + "00".repeat(96),
    },
  };
}

function checkpoint(epoch: bigint) {
  return { epoch: epoch.toString(), root: epoch === 0n ? ZeroHash : expectedRoot("block", epoch * 32n) };
}

/**
 * Lodestar types status filters as the nine precise statuses only, although the Beacon API (and
 * Lodestar's own server) also takes the general ones ("active", "pending", …): cast those.
 */
type LodestarStatuses = NonNullable<Parameters<ApiClient["beacon"]["getStateValidators"]>[0]["statuses"]>;
const statusFilter = (...statuses: string[]) => statuses as LodestarStatuses;

function hex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes).toString("hex");
}

describe("Beacon API of the local beacon chain", function () {
  let chain: BeaconChain;
  let api: BeaconApi;

  async function get(path: string): Promise<{ status: number; type: string | null; body: unknown }> {
    const res = await fetch(api.url + path);
    return { status: res.status, type: res.headers.get("content-type"), body: await res.json() };
  }

  async function post(path: string, body: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(api.url + path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    return { status: res.status, body: await res.json() };
  }

  /** 200 and exactly `body`. */
  async function expectGet(path: string, body: unknown): Promise<void> {
    const res = await get(path);
    expect(res.status, path).to.equal(200);
    expect(res.type).to.equal("application/json");
    expect(res.body, path).to.deep.equal(body);
  }

  /** A Beacon API error: `status` with the body `{code, message}`. */
  async function expectError(
    res: Promise<{ status: number; body: unknown }>,
    status: number,
    message: string,
  ): Promise<void> {
    const r = await res;
    expect(r.status).to.equal(status);
    expect(r.body).to.deep.equal({ code: status, message });
  }

  before(async function () {
    chain = buildChain();
    expect([chain.epoch, chain.headSlot]).to.deep.equal([10n, HEAD_SLOT]);
    api = await startBeaconApi(chain, 0);
  });

  after(async function () {
    await api?.close();
  });

  describe("plain HTTP: exact JSON", function () {
    it("serves the genesis, the spec, the node version, syncing and health", async function () {
      expect(api.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(api.url).to.not.equal("http://127.0.0.1:0");
      await expectGet("/eth/v1/beacon/genesis", {
        data: { genesis_time: "1700000000", genesis_validators_root: ZeroHash, genesis_fork_version: "0x00000000" },
      });
      await expectGet("/eth/v1/config/spec", {
        data: {
          CONFIG_NAME: "tidepool-local",
          PRESET_BASE: "mainnet",
          SECONDS_PER_SLOT: "12",
          SLOTS_PER_EPOCH: "32",
          GENESIS_FORK_VERSION: "0x00000000",
          CAPELLA_FORK_VERSION: "0x03000000",
          SHARD_COMMITTEE_PERIOD: "256",
          MIN_GENESIS_TIME: "1700000000",
          MAX_EFFECTIVE_BALANCE: "32000000000",
          EPOCHS_PER_SLASHINGS_VECTOR: "16",
          MIN_VALIDATOR_WITHDRAWABILITY_DELAY: "4",
          MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA: "4096",
          MAX_SEED_LOOKAHEAD: "1",
        },
      });
      await expectGet("/eth/v1/node/version", { data: { version: "tidepool-local-beacon/1.0" } });
      await expectGet("/eth/v1/node/syncing", {
        data: { head_slot: "325", sync_distance: "0", is_syncing: false, is_optimistic: false, el_offline: false },
      });
      expect((await get("/eth/v1/node/health")).status).to.equal(200);
    });

    it("serves finality checkpoints two epochs behind the state's epoch", async function () {
      const meta = (finalized: boolean) => ({ execution_optimistic: false, finalized });
      await expectGet("/eth/v1/beacon/states/head/finality_checkpoints", {
        ...meta(false),
        data: { previous_justified: checkpoint(8n), current_justified: checkpoint(9n), finalized: checkpoint(8n) },
      });
      await expectGet("/eth/v1/beacon/states/finalized/finality_checkpoints", {
        ...meta(true), // slot 256, epoch 8
        data: { previous_justified: checkpoint(6n), current_justified: checkpoint(7n), finalized: checkpoint(6n) },
      });
      await expectGet("/eth/v1/beacon/states/100/finality_checkpoints", {
        ...meta(true),
        data: { previous_justified: checkpoint(1n), current_justified: checkpoint(2n), finalized: checkpoint(1n) },
      });
      await expectGet("/eth/v1/beacon/states/genesis/finality_checkpoints", {
        ...meta(true),
        data: { previous_justified: checkpoint(0n), current_justified: checkpoint(0n), finalized: checkpoint(0n) },
      });
      expect(checkpoint(8n).root).to.equal(expectedRoot("block", 256n));
    });

    it("serves block headers by slot, head, finalized, justified, genesis and root", async function () {
      const meta = (finalized: boolean) => ({ execution_optimistic: false, finalized });
      await expectGet("/eth/v1/beacon/headers/300", { ...meta(false), data: headerJson(300n) });
      await expectGet("/eth/v1/beacon/headers/256", { ...meta(true), data: headerJson(256n) });
      await expectGet("/eth/v1/beacon/headers/257", { ...meta(false), data: headerJson(257n) });
      await expectGet("/eth/v1/beacon/headers/head", { ...meta(false), data: headerJson(HEAD_SLOT) });
      await expectGet("/eth/v1/beacon/headers/finalized", { ...meta(true), data: headerJson(256n) });
      await expectGet("/eth/v1/beacon/headers/justified", { ...meta(false), data: headerJson(288n) });
      await expectGet("/eth/v1/beacon/headers/genesis", { ...meta(true), data: headerJson(0n) });
      await expectGet(`/eth/v1/beacon/headers/${expectedRoot("block", 300n)}`, {
        ...meta(false),
        data: headerJson(300n),
      });
      await expectGet(`/eth/v1/beacon/headers/${expectedRoot("block", 3n).toUpperCase().replace("0X", "0x")}`, {
        ...meta(true),
        data: headerJson(3n),
      });
    });

    it("serves every validator of the head state, in each status", async function () {
      const meta = { execution_optimistic: false, finalized: false };
      await expectGet("/eth/v1/beacon/states/head/validators", { ...meta, data: HEAD });
      await expectGet(`/eth/v1/beacon/states/${HEAD_SLOT}/validators`, { ...meta, data: HEAD });
      await expectGet(`/eth/v1/beacon/states/${expectedRoot("state", HEAD_SLOT)}/validators`, { ...meta, data: HEAD });
    });

    it("selects validators by index and by pubkey (GET id=, repeated or comma-separated; POST ids)", async function () {
      const meta = { execution_optimistic: false, finalized: false };
      await expectGet(`/eth/v1/beacon/states/head/validators?id=0&id=${PK[3]}`, { ...meta, data: pick(HEAD, 0, 3) });
      await expectGet(`/eth/v1/beacon/states/head/validators?id=${PK[5]},6`, { ...meta, data: pick(HEAD, 5, 6) });
      await expectGet(`/eth/v1/beacon/states/head/validators?id=${PK[2].toUpperCase().replace("0X", "0x")}`, {
        ...meta,
        data: pick(HEAD, 2),
      });
      await expectGet(`/eth/v1/beacon/states/head/validators?id=99&id=${UNKNOWN_PK}`, { ...meta, data: [] });
      const res = await post(
        "/eth/v1/beacon/states/head/validators",
        JSON.stringify({ ids: [PK[8], "1", UNKNOWN_PK] }),
      );
      expect(res).to.deep.equal({ status: 200, body: { ...meta, data: pick(HEAD, 1, 8) } });
      expect(await post("/eth/v1/beacon/states/head/validators", "{}")).to.deep.equal({
        status: 200,
        body: { ...meta, data: HEAD },
      });
    });

    it("filters by precise and grouped statuses (GET status=, POST statuses)", async function () {
      const meta = { execution_optimistic: false, finalized: false };
      const byStatus: [string, number[]][] = [
        ["active_ongoing", [0]],
        ["active_exiting", [1]],
        ["active_slashed", [2]],
        ["withdrawal_possible", [3]],
        ["exited_unslashed", [4]],
        ["exited_slashed", [5]],
        ["withdrawal_done", [6]],
        ["pending_initialized", [7]],
        ["pending_queued", [8]],
        ["active", [0, 1, 2]],
        ["exited", [4, 5]],
        ["withdrawal", [3, 6]],
        ["pending", [7, 8]],
        ["pending,withdrawal_done", [6, 7, 8]],
      ];
      for (const [status, indices] of byStatus) {
        await expectGet(`/eth/v1/beacon/states/head/validators?status=${status}`, {
          ...meta,
          data: pick(HEAD, ...indices),
        });
      }
      await expectGet(`/eth/v1/beacon/states/head/validators?status=active&id=2&id=3&id=${PK[0]}`, {
        ...meta,
        data: pick(HEAD, 0, 2),
      });
      const res = await post(
        "/eth/v1/beacon/states/head/validators",
        JSON.stringify({ ids: ["4", "5", "6"], statuses: ["exited", "withdrawal_done"] }),
      );
      expect(res).to.deep.equal({ status: 200, body: { ...meta, data: pick(HEAD, 4, 5, 6) } });
    });

    it("serves one validator by index or pubkey", async function () {
      const meta = { execution_optimistic: false, finalized: false };
      await expectGet("/eth/v1/beacon/states/head/validators/2", { ...meta, data: HEAD[2] });
      await expectGet(`/eth/v1/beacon/states/head/validators/${PK[5]}`, { ...meta, data: HEAD[5] });
      await expectGet(`/eth/v1/beacon/states/100/validators/${PK[3]}`, {
        execution_optimistic: false,
        finalized: true,
        data: EPOCH3[3],
      });
    });

    it("serves a past state by slot, by root and as finalized, with its balances then", async function () {
      const meta = { execution_optimistic: false, finalized: true };
      for (const slot of [96n, 100n, 127n]) {
        await expectGet(`/eth/v1/beacon/states/${slot}/validators`, { ...meta, data: EPOCH3 });
      }
      await expectGet(`/eth/v1/beacon/states/${expectedRoot("state", 100n)}/validators`, { ...meta, data: EPOCH3 });
      // The finalized state is epoch 8's: after the sweep of 8, before validator 8's deposit at 10.
      const res = await get("/eth/v1/beacon/states/finalized/validators?id=0&id=6&id=8");
      expect(res.body).to.deep.equal({
        ...meta,
        data: [
          validatorJson(0, { balance: ETH32, status: "active_ongoing" }),
          validatorJson(6, { balance: 0n, status: "withdrawal_done", exit: 4n, withdrawable: 8n }),
        ],
      });
    });

    describe("errors: status and {code, message}", function () {
      it("404 for an unknown route or method", async function () {
        await expectError(get("/eth/v1/nope"), 404, "no route GET /eth/v1/nope");
        await expectError(
          get("/eth/v1/beacon/states/head/balances"),
          404,
          "no route GET /eth/v1/beacon/states/head/balances",
        );
        await expectError(post("/eth/v1/beacon/genesis", "{}"), 404, "no route POST /eth/v1/beacon/genesis");
      });

      it("404 for a state or block in the future, or an unknown root", async function () {
        await expectError(
          get("/eth/v1/beacon/states/326/validators"),
          404,
          "state for slot 326 not found (head is 325)",
        );
        await expectError(
          get("/eth/v1/beacon/states/326/finality_checkpoints"),
          404,
          "state for slot 326 not found (head is 325)",
        );
        await expectError(get("/eth/v1/beacon/headers/326"), 404, "block for slot 326 not found (head is 325)");
        await expectError(
          post("/eth/v1/beacon/states/1000/validators", "{}"),
          404,
          "state for slot 1000 not found (head is 325)",
        );
        const future = expectedRoot("state", 326n);
        await expectError(get(`/eth/v1/beacon/states/${future}/validators`), 404, `state ${future} not found`);
        const blockRootAsState = expectedRoot("block", 300n);
        await expectError(
          get(`/eth/v1/beacon/states/${blockRootAsState}/validators`),
          404,
          `state ${blockRootAsState} not found`,
        );
        await expectError(get("/eth/v1/beacon/states/head/validators/99"), 404, "validator 99 not found");
      });

      it("404 for a state no longer kept or before the chain started (connectBeacon: undefined)", async function () {
        const short = new BeaconChain({ genesisTime: GENESIS, historyEpochs: 4n });
        short.applyDeposits([KEYS[0]]);
        short.advanceToEpoch(10n);
        const late = new BeaconChain({ genesisTime: GENESIS }, 1000n); // joins at slot 1000 (epoch 31)
        late.applyDeposits([KEYS[0]]);
        const [shortApi, lateApi] = [await startBeaconApi(short, 0), await startBeaconApi(late, 0)];
        try {
          const res = await fetch(`${shortApi.url}/eth/v1/beacon/states/223/validators`);
          expect(res.status).to.equal(404);
          expect(await res.json()).to.deep.equal({ code: 404, message: "state for slot 223 is no longer kept" });
          expect((await fetch(`${shortApi.url}/eth/v1/beacon/states/224/validators`)).status).to.equal(200);
          expect(await (await connectBeacon(shortApi.url)).validators(223n, [PK[0]])).to.equal(undefined);
          expect((await (await connectBeacon(shortApi.url)).validators(224n, [PK[0]]))?.length).to.equal(1);

          const before = await fetch(`${lateApi.url}/eth/v1/beacon/states/991/validators`);
          expect(before.status).to.equal(404);
          expect(await before.json()).to.deep.equal({ code: 404, message: "state for slot 991 is no longer kept" });
          const genesis = await fetch(`${lateApi.url}/eth/v1/beacon/states/genesis/validators`);
          expect(genesis.status).to.equal(404);
          const first = await fetch(`${lateApi.url}/eth/v1/beacon/states/992/validators`);
          expect(((await first.json()) as { data: unknown[] }).data.length).to.equal(1);
          expect(await (await connectBeacon(lateApi.url)).validators(991n, [PK[0]])).to.equal(undefined);
          expect(await (await connectBeacon(lateApi.url)).finalizedEpoch()).to.equal(29n);
        } finally {
          await shortApi.close();
          await lateApi.close();
        }
      });

      it("400 for a malformed validator id or state id", async function () {
        await expectError(get("/eth/v1/beacon/states/head/validators?id=abc"), 400, "invalid validator id: abc");
        await expectError(get("/eth/v1/beacon/states/head/validators?id=0x1234"), 400, "invalid validator id: 0x1234");
        await expectError(get("/eth/v1/beacon/states/head/validators?id=-1"), 400, "invalid validator id: -1");
        await expectError(
          post("/eth/v1/beacon/states/head/validators", JSON.stringify({ ids: ["1", "x"] })),
          400,
          "invalid validator id: x",
        );
        await expectError(get("/eth/v1/beacon/states/bogus/validators"), 400, "invalid state id: bogus");
        await expectError(get("/eth/v1/beacon/headers/bogus"), 400, "invalid block id: bogus");
      });

      it("400 for a malformed validator id on the single-validator route", async function () {
        // Beacon API: 400 "Invalid state ID or malformed validator index", 404 only for a well-formed unknown one.
        await expectError(get("/eth/v1/beacon/states/head/validators/abc"), 400, "invalid validator id: abc");
      });

      it("400 for a body that is not JSON or has the wrong shape", async function () {
        const path = "/eth/v1/beacon/states/head/validators";
        await expectError(post(path, "{"), 400, "request body is not JSON");
        await expectError(post(path, "ids=0"), 400, "request body is not JSON");
        await expectError(post(path, JSON.stringify({ ids: "0" })), 400, "ids must be an array of strings");
        await expectError(post(path, JSON.stringify({ ids: [0] })), 400, "ids must be an array of strings");
        await expectError(
          post(path, JSON.stringify({ statuses: "active" })),
          400,
          "statuses must be an array of strings",
        );
      });

      it("400, not 500, for a JSON body that is not an object", async function () {
        const res = await post("/eth/v1/beacon/states/head/validators", "null");
        expect(res.status).to.equal(400);
        expect(res.body).to.have.property("code", 400);
      });
    });
  });

  describe("through Lodestar's client", function () {
    let reader: BeaconReader;
    let client: ApiClient;

    before(async function () {
      reader = await connectBeacon(api.url);
      client = await lodestarClient(api.url);
    });

    it("connectBeacon: genesis time, spec, finalized epoch", async function () {
      expect(await reader.genesisTime()).to.equal(GENESIS);
      expect(await reader.spec()).to.deep.equal({
        secondsPerSlot: 12n,
        slotsPerEpoch: 32n,
        epochsPerSlashingsVector: 16n,
      });
      expect(await reader.finalizedEpoch()).to.equal(8n);
    });

    it("connectBeacon: block slots at or before a slot", async function () {
      expect(await reader.blockSlotAtOrBefore(300n)).to.equal(300n);
      expect(await reader.blockSlotAtOrBefore(HEAD_SLOT)).to.equal(HEAD_SLOT);
      expect(await reader.blockSlotAtOrBefore(0n)).to.equal(0n);
      let error: unknown;
      try {
        await reader.blockSlotAtOrBefore(HEAD_SLOT + 100n);
      } catch (e) {
        error = e;
      }
      expect((error as Error).message).to.equal(`no block in the 64 slots up to ${HEAD_SLOT + 100n}`);
    });

    it("connectBeacon: validators by pubkey at the head and in the past, far-future epochs as 2^64 − 1", async function () {
      const head = await reader.validators(HEAD_SLOT, [PK[7], PK[0], UNKNOWN_PK, PK[2], PK[6], PK[8]]);
      expect(head).to.deep.equal([
        {
          index: 0,
          pubkey: PK[0],
          withdrawalCredentials: PAYEE_CREDENTIALS,
          balanceGwei: ETH32 + 2n * P,
          status: "active_ongoing",
          slashed: false,
          exitEpoch: FAR_FUTURE,
          withdrawableEpoch: FAR_FUTURE,
        },
        {
          index: 2,
          pubkey: PK[2],
          withdrawalCredentials: PAYEE_CREDENTIALS,
          balanceGwei: ETH32 - PENALTY,
          status: "active_slashed",
          slashed: true,
          exitEpoch: 11n,
          withdrawableEpoch: 25n,
        },
        {
          index: 6,
          pubkey: PK[6],
          withdrawalCredentials: PAYEE_CREDENTIALS,
          balanceGwei: 0n,
          status: "withdrawal_done",
          slashed: false,
          exitEpoch: 4n,
          withdrawableEpoch: 8n,
        },
        {
          index: 7,
          pubkey: PK[7],
          withdrawalCredentials: PAYEE_CREDENTIALS,
          balanceGwei: ETH_GWEI,
          status: "pending_initialized",
          slashed: false,
          exitEpoch: FAR_FUTURE,
          withdrawableEpoch: FAR_FUTURE,
        },
        {
          index: 8,
          pubkey: PK[8],
          withdrawalCredentials: PAYEE_CREDENTIALS,
          balanceGwei: ETH32,
          status: "pending_queued",
          slashed: false,
          exitEpoch: FAR_FUTURE,
          withdrawableEpoch: FAR_FUTURE,
        },
      ]);
      const past = await reader.validators(100n, [PK[3], PK[8]]);
      expect(past).to.deep.equal([
        {
          index: 3,
          pubkey: PK[3],
          withdrawalCredentials: PAYEE_CREDENTIALS,
          balanceGwei: ETH32 + P,
          status: "active_exiting",
          slashed: false,
          exitEpoch: 5n,
          withdrawableEpoch: 9n,
        },
      ]);
      expect(await reader.validators(HEAD_SLOT, [])).to.deep.equal([]);
    });

    it("connectBeacon: undefined for a state the node does not have, an error for a malformed request", async function () {
      expect(await reader.validators(HEAD_SLOT + 1n, [PK[0]])).to.equal(undefined);
      let error: unknown;
      try {
        await reader.validators(HEAD_SLOT, ["0x1234"]);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.contain("400");
      expect((error as Error).message).to.contain("invalid validator id: 0x1234");
    });

    it("Lodestar client: node version, syncing, genesis", async function () {
      expect((await client.node.getNodeVersion()).value()).to.deep.equal({ version: "tidepool-local-beacon/1.0" });
      expect((await client.node.getSyncingStatus()).value()).to.deep.equal({
        headSlot: 325,
        syncDistance: 0,
        isSyncing: false,
        isOptimistic: false,
        elOffline: false,
      });
      const genesis = (await client.beacon.getGenesis()).value();
      expect(genesis.genesisTime).to.equal(1_700_000_000);
      expect(hex(genesis.genesisValidatorsRoot)).to.equal(ZeroHash);
      expect(hex(genesis.genesisForkVersion)).to.equal("0x00000000");
    });

    it("Lodestar client: finality checkpoints and headers", async function () {
      const res = await client.beacon.getStateFinalityCheckpoints({ stateId: "head" });
      const cp = res.value();
      expect(res.meta()).to.deep.equal({ executionOptimistic: false, finalized: false });
      expect([cp.finalized.epoch, hex(cp.finalized.root)]).to.deep.equal([8, expectedRoot("block", 256n)]);
      expect([cp.currentJustified.epoch, hex(cp.currentJustified.root)]).to.deep.equal([
        9,
        expectedRoot("block", 288n),
      ]);
      expect([cp.previousJustified.epoch, hex(cp.previousJustified.root)]).to.deep.equal([
        8,
        expectedRoot("block", 256n),
      ]);

      for (const [blockId, slot] of [
        ["head", HEAD_SLOT],
        ["finalized", 256n],
        [300, 300n],
        [expectedRoot("block", 200n), 200n],
      ] as const) {
        const h = (await client.beacon.getBlockHeader({ blockId })).value();
        expect(hex(h.root), `root of ${blockId}`).to.equal(expectedRoot("block", slot));
        expect(h.canonical).to.equal(true);
        expect(h.header.message.slot).to.equal(Number(slot));
        expect(h.header.message.proposerIndex).to.equal(0);
        expect(hex(h.header.message.parentRoot)).to.equal(expectedRoot("block", slot - 1n));
        expect(hex(h.header.message.stateRoot)).to.equal(expectedRoot("state", slot));
      }
      const missing = await client.beacon.getBlockHeader({ blockId: 400 });
      expect([missing.ok, missing.status]).to.deep.equal([false, 404]);
      expect(missing.error()?.message).to.contain("block for slot 400 not found (head is 325)");
    });

    it("Lodestar client: validators by index and pubkey, status filters, one validator", async function () {
      const list = (
        await client.beacon.getStateValidators({
          stateId: "head",
          validatorIds: [0, PK[3], 5],
          statuses: statusFilter("active", "exited"),
        })
      ).value();
      expect(list.map((v) => [v.index, v.status])).to.deep.equal([
        [0, "active_ongoing"],
        [5, "exited_slashed"],
      ]);
      const posted = (await client.beacon.postStateValidators({ stateId: 100, validatorIds: [6, PK[7]] })).value();
      expect(posted.map((v) => [v.index, v.balance, v.status, v.validator.exitEpoch])).to.deep.equal([
        [6, Number(ETH32 + P), "active_exiting", 4],
        [7, 1_000_000_000, "pending_initialized", Infinity],
      ]);
      const pending = (
        await client.beacon.postStateValidators({ stateId: "head", statuses: statusFilter("pending") })
      ).value();
      expect(pending.map((v) => v.index)).to.deep.equal([7, 8]);

      const one = await client.beacon.getStateValidator({ stateId: "head", validatorId: PK[2] });
      expect(one.meta()).to.deep.equal({ executionOptimistic: false, finalized: false });
      const v = one.value();
      expect(v.index).to.equal(2);
      expect(v.balance).to.equal(Number(ETH32 - PENALTY));
      expect(v.status).to.equal("active_slashed");
      expect(hex(v.validator.pubkey)).to.equal(PK[2]);
      expect(hex(v.validator.withdrawalCredentials)).to.equal(PAYEE_CREDENTIALS);
      expect(v.validator.effectiveBalance).to.equal(32_000_000_000);
      expect(v.validator.slashed).to.equal(true);
      expect([
        v.validator.activationEligibilityEpoch,
        v.validator.activationEpoch,
        v.validator.exitEpoch,
        v.validator.withdrawableEpoch,
      ]).to.deep.equal([0, 2, 11, 25]);

      const unknown = await client.beacon.getStateValidator({ stateId: "head", validatorId: 99 });
      expect([unknown.ok, unknown.status]).to.deep.equal([false, 404]);
      const bad = await client.beacon.getStateValidators({ stateId: "head", validatorIds: ["abc"] });
      expect([bad.ok, bad.status]).to.deep.equal([false, 400]);
      expect(bad.error()?.message).to.contain("invalid validator id: abc");
    });
  });
});
