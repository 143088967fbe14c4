/**
 * The local beacon chain's history without per-epoch copies (offchain/beacon/chain.ts): past states
 * rebuilt from balance columns and journalled record versions show the balances and fields of then
 * after later rewards, slashings and exits; lookups by index and pubkey; the bulk loader; and the
 * Beacon API's id lookups over a past state.
 */
import { expect } from "chai";
import {
  BeaconChain,
  FAR_FUTURE_EPOCH,
  type EpochState,
  type GenesisValidator,
  type Validator,
} from "../../offchain/beacon/chain";
import { startBeaconApi } from "../../offchain/beacon/server";
import { ETH32, PAYEE_CREDENTIALS, rewardPerEpoch } from "../helpers/beacon-sim";

const GENESIS = 1_700_000_000n;
const P32 = rewardPerEpoch(ETH32, 300n);
const INITIAL_PENALTY = ETH32 / 4096n;

function pubkey(i: number): string {
  return "0x" + (i + 1).toString(16).padStart(2, "0").repeat(48);
}

function records(n: number, from = 0): GenesisValidator[] {
  return Array.from({ length: n }, (_, i) => ({
    pubkey: pubkey(from + i),
    withdrawalCredentials: PAYEE_CREDENTIALS,
    balanceGwei: ETH32,
    activationEpoch: 0n,
  }));
}

/** Three validators active from epoch 0; at epoch 10 validator 1 is slashed and validator 2 exits. */
function eventfulChain(): { chain: BeaconChain; recorded: EpochState[] } {
  const chain = new BeaconChain({ genesisTime: GENESIS, sweepIntervalEpochs: 1_000n, historyEpochs: 64n });
  chain.loadGenesisValidators(records(3));
  const recorded: EpochState[] = [structuredClone(chain.head())];
  for (let e = 1n; e <= 20n; e++) {
    chain.advanceToEpoch(e);
    if (e === 10n) {
      chain.slash(pubkey(1));
      chain.exit(pubkey(2));
    }
    recorded.push(structuredClone(chain.head()));
  }
  return { chain, recorded };
}

describe("BeaconChain history and lookups", function () {
  it("shows each past epoch's balances and fields after later rewards, a slashing and an exit", function () {
    const { chain, recorded } = eventfulChain();
    for (let e = 0; e <= 20; e++) expect(chain.stateAtEpoch(BigInt(e)), `epoch ${e}`).to.deep.equal(recorded[e]);
    const at9 = chain.stateAtEpoch(9n)!;
    expect(at9.validatorAt(1)).to.deep.include({
      balanceGwei: ETH32 + 9n * P32,
      slashed: false,
      exitEpoch: FAR_FUTURE_EPOCH,
      withdrawableEpoch: FAR_FUTURE_EPOCH,
    });
    expect(at9.validatorAt(2)).to.deep.include({ balanceGwei: ETH32 + 9n * P32, exitEpoch: FAR_FUTURE_EPOCH });
    const at10 = chain.stateAtEpoch(10n)!; // the slashing and the exit land in epoch 10's state
    expect(at10.validatorAt(1)).to.deep.include({
      balanceGwei: ETH32 + 10n * P32 - INITIAL_PENALTY,
      slashed: true,
      exitEpoch: 15n,
      withdrawableEpoch: 10n + 8192n,
    });
    expect(at10.validatorAt(2)).to.deep.include({ slashed: false, exitEpoch: 15n, withdrawableEpoch: 15n + 256n });
    const at20 = chain.stateAtEpoch(20n)!;
    expect(at20.validatorAt(0)!.balanceGwei).to.equal(ETH32 + 20n * P32);
    expect(at20.validatorAt(1)!.balanceGwei).to.equal(ETH32 + 10n * P32 - INITIAL_PENALTY - 10n * P32);
    expect(at20.validatorAt(2)!.balanceGwei).to.equal(ETH32 + 15n * P32); // rewarded up to its exit epoch
  });

  it("keeps a lowered effective balance out of the states before it changed", function () {
    const chain = new BeaconChain({ genesisTime: GENESIS, sweepIntervalEpochs: 1_000n });
    chain.loadGenesisValidators(records(1));
    chain.advanceToEpoch(3n);
    chain.slash(pubkey(0), { initialPenaltyGwei: 2_000_000_000n }); // 30 ETH + rewards: effective 30 next epoch
    chain.advanceToEpoch(6n);
    const effective = (e: bigint) => chain.stateAtEpoch(e)!.validatorAt(0)!.effectiveBalanceGwei;
    expect([effective(3n), effective(4n), effective(6n)]).to.deep.equal([ETH32, 30_000_000_000n, 30_000_000_000n]);
    expect(chain.stateAtEpoch(2n)!.validatorAt(0)!.slashed).to.equal(false);
    expect(chain.stateAtEpoch(3n)!.validatorAt(0)!.slashed).to.equal(true);
  });

  it("finds records by index and by pubkey (any case), and none that a state does not hold", function () {
    const chain = new BeaconChain({ genesisTime: GENESIS, sweepIntervalEpochs: 1_000n });
    chain.loadGenesisValidators(records(2));
    chain.advanceToEpoch(1n);
    chain.loadGenesisValidators([{ ...records(1, 2)[0], activationEpoch: undefined }]); // joins at epoch 1
    const [at0, at1] = [chain.stateAtEpoch(0n)!, chain.stateAtEpoch(1n)!];
    expect([at0.size, at1.size]).to.deep.equal([2, 3]);
    expect(at0.validatorByPubkey(pubkey(1).toUpperCase().replace("0X", "0x"))!.index).to.equal(1);
    expect(at0.validatorByPubkey(pubkey(2))).to.equal(undefined);
    expect(at1.validatorByPubkey(pubkey(2))).to.deep.include({ index: 2, balanceGwei: ETH32, activationEpoch: 1n });
    expect([at0.validatorAt(2), at0.validatorAt(-1), at0.validatorAt(0.5)]).to.deep.equal([
      undefined,
      undefined,
      undefined,
    ]);
    expect(at0.validatorAt(0)).to.deep.equal(at0.validators[0]);
    // Copies: changing one changes no state.
    const v: Validator = at1.validatorAt(0)!;
    v.balanceGwei = 1n;
    expect(chain.stateAtEpoch(1n)!.validatorAt(0)!.balanceGwei).to.equal(ETH32 + P32);
  });

  it("loads records without deposits, with their given epochs, and refuses a known pubkey", function () {
    const chain = new BeaconChain({ genesisTime: GENESIS }, 320n); // epoch 10
    chain.loadGenesisValidators([
      {
        pubkey: pubkey(0),
        withdrawalCredentials: PAYEE_CREDENTIALS.toUpperCase().replace("0X", "0x"),
        balanceGwei: ETH32,
      },
      { ...records(1, 1)[0], balanceGwei: 31_600_000_000n, exitEpoch: 9n, withdrawableEpoch: 265n },
    ]);
    expect(chain.head().validators).to.deep.equal([
      {
        index: 0,
        pubkey: pubkey(0),
        withdrawalCredentials: PAYEE_CREDENTIALS.toLowerCase(),
        effectiveBalanceGwei: ETH32,
        balanceGwei: ETH32,
        slashed: false,
        activationEligibilityEpoch: 10n,
        activationEpoch: 10n,
        exitEpoch: FAR_FUTURE_EPOCH,
        withdrawableEpoch: FAR_FUTURE_EPOCH,
        pendingCorrelationPenaltyGwei: 0n,
      },
      {
        index: 1,
        pubkey: pubkey(1),
        withdrawalCredentials: PAYEE_CREDENTIALS.toLowerCase(),
        effectiveBalanceGwei: 31_000_000_000n,
        balanceGwei: 31_600_000_000n,
        slashed: false,
        activationEligibilityEpoch: 0n,
        activationEpoch: 0n,
        exitEpoch: 9n,
        withdrawableEpoch: 265n,
        pendingCorrelationPenaltyGwei: 0n,
      },
    ]);
    expect(() => chain.loadGenesisValidators(records(1, 1))).to.throw(
      `cannot load ${pubkey(1)}: it is already validator 1`,
    );
    expect(chain.head().size).to.equal(2);
  });

  it("serves validators by id from a past state through the index, in index order, once each", async function () {
    const { chain } = eventfulChain();
    const api = await startBeaconApi(chain);
    try {
      const post = async (slot: bigint, body: unknown) => {
        const res = await fetch(`${api.url}/eth/v1/beacon/states/${slot}/validators`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        expect(res.status).to.equal(200);
        return ((await res.json()) as { data: { index: string; balance: string; status: string }[] }).data;
      };
      const ids = [pubkey(2), "0", "0", pubkey(1).toUpperCase().replace("0X", "0x"), pubkey(7), "99"];
      const rows = (data: { index: string; balance: string; status: string }[]) =>
        data.map((d) => [d.index, d.balance, d.status]);
      expect(rows(await post(9n * 32n, { ids }))).to.deep.equal([
        ["0", String(ETH32 + 9n * P32), "active_ongoing"],
        ["1", String(ETH32 + 9n * P32), "active_ongoing"],
        ["2", String(ETH32 + 9n * P32), "active_ongoing"],
      ]);
      expect(rows(await post(10n * 32n + 5n, { ids, statuses: ["active_exiting", "active_slashed"] }))).to.deep.equal([
        ["1", String(ETH32 + 10n * P32 - INITIAL_PENALTY), "active_slashed"],
        ["2", String(ETH32 + 10n * P32), "active_exiting"],
      ]);
      expect(rows(await post(20n * 32n, { statuses: ["exited"] }))).to.deep.equal([
        ["1", String(ETH32 + 10n * P32 - INITIAL_PENALTY - 10n * P32), "exited_slashed"],
        ["2", String(ETH32 + 15n * P32), "exited_unslashed"],
      ]);
    } finally {
      await api.close();
    }
  });
});
