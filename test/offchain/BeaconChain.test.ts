import { expect } from "chai";
import { getBytes, hexlify } from "ethers";
import {
  BeaconChain,
  DEFAULT_BEACON_CONFIG,
  FAR_FUTURE_EPOCH,
  validatorStatus,
  withdrawalAddress,
  type BeaconChainConfig,
  type EpochState,
  type Validator,
  type ValidatorStatus,
  type Withdrawal,
} from "../../offchain/beacon/chain";
import { testKeyBatch } from "../../offchain/keys/bls";
import {
  BLS_CREDENTIALS,
  EPOCHS_PER_YEAR,
  ETH32,
  ETH_GWEI,
  FAR_FUTURE,
  HOODI_FORK,
  MAINNET_FORK,
  PAYEE,
  PAYEE_CREDENTIALS,
  depositEvent,
  rewardPerEpoch,
  toDepositEvent,
} from "../helpers/beacon-sim";

const GENESIS = 1_700_000_000n;
const PAYEE_LC = PAYEE.toLowerCase();
/** The default APR's reward for 32 ETH, per epoch: 32e9 × 300 / 10,000 / 82,125 = 11,689.49… gwei. */
const P32 = rewardPerEpoch(ETH32, 300n);

function newChain(config: Partial<Omit<BeaconChainConfig, "genesisTime">> = {}): BeaconChain {
  return new BeaconChain({ genesisTime: GENESIS, ...config });
}

function statusOf(chain: BeaconChain, pubkey: string): ValidatorStatus {
  const v = chain.validator(pubkey);
  if (!v) throw new Error(`no validator ${pubkey}`);
  return validatorStatus(v, chain.epoch);
}

function must(chain: BeaconChain, pubkey: string): Validator {
  const v = chain.validator(pubkey);
  if (!v) throw new Error(`no validator ${pubkey}`);
  return v;
}

/** `fn` throws an Error whose message is exactly `message`. */
function expectError(fn: () => unknown, message: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, "expected an error").to.be.instanceOf(Error);
  expect((thrown as Error).message).to.equal(message);
}

/** Flips the lowest bit of the last byte of a hex string. */
function flipLastBit(hex: string): string {
  const b = getBytes(hex).slice();
  b[b.length - 1] ^= 1;
  return hexlify(b);
}

function payment(epoch: bigint, validatorIndex: number, amountGwei: bigint): Withdrawal {
  return { epoch, validatorIndex, address: PAYEE_LC, amountGwei };
}

describe("BeaconChain (local beacon-chain simulator)", function () {
  describe("constants and pure helpers", function () {
    it("uses the consensus constants and defaults", function () {
      expect(FAR_FUTURE_EPOCH).to.equal(FAR_FUTURE);
      expect(EPOCHS_PER_YEAR).to.equal(82_125n);
      expect(P32).to.equal(11_689n);
      expect(DEFAULT_BEACON_CONFIG.genesisForkVersion).to.equal("0x00000000");
      expect(DEFAULT_BEACON_CONFIG.withdrawabilityDelayEpochs).to.equal(256n);
      expect(DEFAULT_BEACON_CONFIG.epochsPerSlashingsVector).to.equal(8192n);
      expect(DEFAULT_BEACON_CONFIG.minSlashingPenaltyQuotient).to.equal(4096n);
      expect(DEFAULT_BEACON_CONFIG.exitDelayEpochs).to.equal(5n);
    });

    it("validatorStatus: every status and every boundary epoch", function () {
      const base: Validator = {
        index: 0,
        pubkey: "0x" + "11".repeat(48),
        withdrawalCredentials: PAYEE_CREDENTIALS,
        effectiveBalanceGwei: ETH32,
        balanceGwei: ETH32,
        slashed: false,
        activationEligibilityEpoch: 2n,
        activationEpoch: 10n,
        exitEpoch: FAR_FUTURE,
        withdrawableEpoch: FAR_FUTURE,
        pendingCorrelationPenaltyGwei: 0n,
      };
      const initialized = { ...base, activationEligibilityEpoch: FAR_FUTURE, activationEpoch: FAR_FUTURE };
      const exiting = { ...base, exitEpoch: 20n, withdrawableEpoch: 30n };
      const slashed = { ...exiting, slashed: true };
      const cases: [Validator, bigint, ValidatorStatus][] = [
        [initialized, 0n, "pending_initialized"],
        [initialized, 1_000_000n, "pending_initialized"],
        [base, 9n, "pending_queued"],
        [base, 10n, "active_ongoing"],
        [base, 1_000_000n, "active_ongoing"],
        [exiting, 10n, "active_exiting"],
        [exiting, 19n, "active_exiting"],
        [exiting, 20n, "exited_unslashed"],
        [exiting, 29n, "exited_unslashed"],
        [exiting, 30n, "withdrawal_possible"],
        [{ ...exiting, balanceGwei: 1n }, 30n, "withdrawal_possible"],
        [{ ...exiting, balanceGwei: 0n }, 30n, "withdrawal_done"],
        [slashed, 19n, "active_slashed"],
        [slashed, 20n, "exited_slashed"],
        [slashed, 29n, "exited_slashed"],
        [slashed, 30n, "withdrawal_possible"],
        [{ ...slashed, balanceGwei: 0n }, 30n, "withdrawal_done"],
      ];
      for (const [v, epoch, status] of cases) {
        expect(validatorStatus(v, epoch), `epoch ${epoch}`).to.equal(status);
      }
    });

    it("withdrawalAddress: the last 20 bytes of 0x01 credentials, none for 0x00", function () {
      expect(PAYEE_CREDENTIALS).to.equal("0x010000000000000000000000" + "5b38da6a701c568545dcfcb03fcb875f56beddc4");
      expect(withdrawalAddress(PAYEE_CREDENTIALS)).to.equal("0x5b38da6a701c568545dcfcb03fcb875f56beddc4");
      expect(withdrawalAddress(BLS_CREDENTIALS)).to.equal(undefined);
    });
  });

  describe("deposits", function () {
    it("turns deposits with valid BLS signatures into pending_queued validators with exact records", function () {
      const chain = newChain({ activationDelayEpochs: 3n });
      chain.advanceToEpoch(2n);
      const batch = testKeyBatch("beacon-chain-deposits", 0, 3, PAYEE_CREDENTIALS, MAINNET_FORK);
      chain.applyDeposits(batch.deposits.map(toDepositEvent));

      const expected: Validator[] = batch.deposits.map((d, i) => ({
        index: i,
        pubkey: hexlify(d.pubkey),
        withdrawalCredentials: PAYEE_CREDENTIALS,
        effectiveBalanceGwei: ETH32,
        balanceGwei: ETH32,
        slashed: false,
        activationEligibilityEpoch: 2n,
        activationEpoch: 5n,
        exitEpoch: FAR_FUTURE,
        withdrawableEpoch: FAR_FUTURE,
        pendingCorrelationPenaltyGwei: 0n,
      }));
      expect(chain.head()).to.deep.equal({ epoch: 2n, validators: expected });
      for (const [i, d] of batch.deposits.entries()) {
        const pubkey = hexlify(d.pubkey);
        expect(chain.validator(pubkey)).to.deep.equal(expected[i]);
        expect(statusOf(chain, pubkey)).to.equal("pending_queued");
        expect(chain.canExit(pubkey)).to.equal(false);
      }
      // Activation exactly activationDelayEpochs after inclusion.
      chain.advanceToEpoch(4n);
      expect(statusOf(chain, hexlify(batch.deposits[0].pubkey))).to.equal("pending_queued");
      chain.advanceToEpoch(5n);
      expect(statusOf(chain, hexlify(batch.deposits[0].pubkey))).to.equal("active_ongoing");
      expect(chain.canExit(hexlify(batch.deposits[0].pubkey))).to.equal(true);
    });

    it("ignores deposits whose signature does not verify, without using up an index", function () {
      const chain = newChain();
      const good = depositEvent("beacon-chain-badsig", 0);
      const other = depositEvent("beacon-chain-badsig", 1);
      const forOtherCredentials = depositEvent("beacon-chain-badsig", 0, { credentials: BLS_CREDENTIALS });
      chain.applyDeposits([
        { ...good, signature: other.signature }, // another key's signature
        { ...good, signature: forOtherCredentials.signature }, // signed over other credentials
        { ...good, amountGwei: ETH32 - 1n }, // signed over another amount
        { ...good, signature: flipLastBit(good.signature) }, // corrupted
        { ...good, signature: "0x" + "00".repeat(96) }, // not a point
      ]);
      expect(chain.head().validators).to.deep.equal([]);
      expect(chain.validator(good.pubkey)).to.equal(undefined);

      // The pubkey was not claimed: a valid deposit for it is a new validator with its own amount, index 0.
      chain.applyDeposits([good]);
      const v = must(chain, good.pubkey);
      expect(v.index).to.equal(0);
      expect(v.balanceGwei).to.equal(ETH32);
      expect(chain.head().validators.length).to.equal(1);
    });

    it("ignores deposits signed for another fork version than the chain's genesis fork", function () {
      const mainnet = newChain();
      const hoodiSigned = depositEvent("beacon-chain-fork", 0, { forkVersion: HOODI_FORK });
      const mainnetSigned = depositEvent("beacon-chain-fork", 1, { forkVersion: MAINNET_FORK });
      mainnet.applyDeposits([hoodiSigned, mainnetSigned]);
      expect(mainnet.validator(hoodiSigned.pubkey)).to.equal(undefined);
      expect(must(mainnet, mainnetSigned.pubkey).index).to.equal(0);

      const hoodi = newChain({ genesisForkVersion: HOODI_FORK });
      hoodi.applyDeposits([mainnetSigned, hoodiSigned]);
      expect(hoodi.validator(mainnetSigned.pubkey)).to.equal(undefined);
      expect(must(hoodi, hoodiSigned.pubkey).index).to.equal(0);
      expect(hoodi.head().validators.length).to.equal(1);
    });

    it("adds a top-up to the balance without a signature check, keeping index and credentials", function () {
      const chain = newChain({ sweepIntervalEpochs: 1_000n });
      const d = depositEvent("beacon-chain-topup", 0);
      chain.applyDeposits([d]);
      chain.advanceToEpoch(1n);
      const topUp = {
        pubkey: "0x" + d.pubkey.slice(2).toUpperCase(), // matched case-insensitively
        withdrawalCredentials: BLS_CREDENTIALS, // ignored for a known pubkey
        amountGwei: 1_500_000_001n,
        signature: "0x" + "00".repeat(96), // not checked for a top-up (as on the real chain)
      };
      chain.applyDeposits([topUp]);
      const v = must(chain, d.pubkey);
      expect(v.index).to.equal(0);
      expect(v.balanceGwei).to.equal(33_500_000_001n);
      expect(v.effectiveBalanceGwei).to.equal(ETH32);
      expect(v.withdrawalCredentials).to.equal(PAYEE_CREDENTIALS);
      expect(chain.head().validators.length).to.equal(1);
      // The top-up lands in the current epoch's state, not in the past one.
      expect(chain.stateAtEpoch(1n)!.validators[0].balanceGwei).to.equal(33_500_000_001n);
      expect(chain.stateAtEpoch(0n)!.validators[0].balanceGwei).to.equal(ETH32);
    });

    it("makes a deposit below 32 ETH a pending_initialized validator with its whole-ETH effective balance", function () {
      const chain = newChain({ activationDelayEpochs: 1n });
      const d = depositEvent("beacon-chain-partial", 0, { amountGwei: 1_999_999_999n });
      chain.applyDeposits([d]);
      expect(chain.validator(d.pubkey)).to.deep.equal({
        index: 0,
        pubkey: d.pubkey,
        withdrawalCredentials: PAYEE_CREDENTIALS,
        effectiveBalanceGwei: ETH_GWEI,
        balanceGwei: 1_999_999_999n,
        slashed: false,
        activationEligibilityEpoch: FAR_FUTURE,
        activationEpoch: FAR_FUTURE,
        exitEpoch: FAR_FUTURE,
        withdrawableEpoch: FAR_FUTURE,
        pendingCorrelationPenaltyGwei: 0n,
      });
      expect(statusOf(chain, d.pubkey)).to.equal("pending_initialized");
      chain.advanceToEpoch(20n);
      expect(statusOf(chain, d.pubkey)).to.equal("pending_initialized");
      expect(must(chain, d.pubkey).balanceGwei).to.equal(1_999_999_999n); // not active: no rewards
    });

    it("caps the effective balance of a deposit above 32 ETH", function () {
      const chain = newChain({ sweepIntervalEpochs: 2n });
      const d = depositEvent("beacon-chain-big", 0, { amountGwei: 40n * ETH_GWEI });
      const justOver = depositEvent("beacon-chain-big", 1, { amountGwei: ETH32 + 1n });
      chain.applyDeposits([d, justOver]);
      const v = must(chain, d.pubkey);
      expect(v.effectiveBalanceGwei).to.equal(ETH32);
      expect(v.balanceGwei).to.equal(40n * ETH_GWEI);
      expect(statusOf(chain, d.pubkey)).to.equal("pending_queued");
      // 0x01 credentials, effective = MAX, balance > MAX: partially withdrawable even before activation.
      expect(chain.advanceToEpoch(2n)).to.deep.equal([payment(2n, 0, 8n * ETH_GWEI), payment(2n, 1, 1n)]);
      expect(must(chain, d.pubkey).balanceGwei).to.equal(ETH32);
      expect(must(chain, justOver.pubkey).balanceGwei).to.equal(ETH32);
    });

    it("activates a validator whose partial deposit is topped up to 32 ETH", function () {
      // Consensus specs: a validator becomes eligible for activation once its effective balance
      // reaches MAX_EFFECTIVE_BALANCE (process_registry_updates), not only at its first deposit.
      const chain = newChain({ activationDelayEpochs: 2n });
      const d = depositEvent("beacon-chain-partial-topup", 0, { amountGwei: ETH_GWEI });
      chain.applyDeposits([d]);
      chain.advanceToEpoch(1n);
      chain.applyDeposits([{ ...d, amountGwei: 31n * ETH_GWEI }]);
      chain.advanceToEpoch(2n);
      expect(must(chain, d.pubkey).effectiveBalanceGwei).to.equal(ETH32);
      chain.advanceToEpoch(10n);
      const v = must(chain, d.pubkey);
      expect(v.activationEligibilityEpoch).to.not.equal(FAR_FUTURE);
      expect(validatorStatus(v, chain.epoch)).to.equal("active_ongoing");
    });
  });

  describe("a voluntary exit, from deposit to the last withdrawal", function () {
    it("walks every status and pays rewards, then the whole balance, to the 0x01 address", function () {
      // Deposit at 0, active at 2, exit at 6 → exit epoch 9, withdrawable 13; sweeps every 4 epochs.
      const chain = newChain({
        activationDelayEpochs: 2n,
        exitDelayEpochs: 3n,
        withdrawabilityDelayEpochs: 4n,
        sweepIntervalEpochs: 4n,
      });
      const d = depositEvent("beacon-chain-exit", 0);
      chain.applyDeposits([d]);
      const statuses: ValidatorStatus[] = [statusOf(chain, d.pubkey)];
      const paid: Withdrawal[] = [];
      for (let e = 1n; e <= 20n; e++) {
        paid.push(...chain.advanceToEpoch(e));
        if (e === 6n) {
          expect(statusOf(chain, d.pubkey)).to.equal("active_ongoing");
          chain.exit(d.pubkey);
          expect(chain.canExit(d.pubkey)).to.equal(false);
        }
        statuses.push(statusOf(chain, d.pubkey));
        expect(validatorStatus(chain.head().validators[0], e)).to.equal(statuses[Number(e)]);
      }
      const expected: ValidatorStatus[] = [
        ...Array<ValidatorStatus>(2).fill("pending_queued"), // 0–1
        ...Array<ValidatorStatus>(4).fill("active_ongoing"), // 2–5
        ...Array<ValidatorStatus>(3).fill("active_exiting"), // 6–8
        ...Array<ValidatorStatus>(4).fill("exited_unslashed"), // 9–12
        ...Array<ValidatorStatus>(3).fill("withdrawal_possible"), // 13–15
        ...Array<ValidatorStatus>(5).fill("withdrawal_done"), // 16–20
      ];
      expect(statuses).to.deep.equal(expected);

      const v = must(chain, d.pubkey);
      expect(v.exitEpoch).to.equal(9n);
      expect(v.withdrawableEpoch).to.equal(13n);
      expect(v.balanceGwei).to.equal(0n);
      expect(v.effectiveBalanceGwei).to.equal(0n);
      expect(chain.stateAtEpoch(16n)!.validators[0].effectiveBalanceGwei).to.equal(ETH32); // updated at 17
      expect(chain.stateAtEpoch(17n)!.validators[0].effectiveBalanceGwei).to.equal(0n);
      // Rewarded for the duties of epochs 2..8 (transitions into 3..9): 7 × P32, skimmed at 4, 8 and 12.
      expect(paid).to.deep.equal([
        payment(4n, 0, 2n * P32),
        payment(8n, 0, 4n * P32),
        payment(12n, 0, P32),
        payment(16n, 0, ETH32),
      ]);
      expect(chain.advanceToEpoch(40n)).to.deep.equal([]);
    });
  });

  describe("rewards and the withdrawal sweep", function () {
    for (const apr of [undefined, 2_500n]) {
      it(`adds exactly eff × apr / 10000 / epochsPerYear each epoch for a year (apr ${apr ?? "default 300"} bp)`, function () {
        const config = { sweepIntervalEpochs: 1_000_000n, historyEpochs: 2n };
        const chain = newChain(apr === undefined ? config : { ...config, rewardAprBP: apr });
        const perEpoch = rewardPerEpoch(ETH32, apr ?? 300n);
        expect(perEpoch).to.equal(apr === undefined ? 11_689n : 97_412n);
        const d = depositEvent("beacon-chain-apr", 0);
        const bls = depositEvent("beacon-chain-apr", 1, { credentials: BLS_CREDENTIALS });
        chain.applyDeposits([d, bls]);
        chain.advanceToEpoch(5n); // activation
        expect(must(chain, d.pubkey).balanceGwei).to.equal(ETH32);
        chain.advanceToEpoch(6n);
        expect(must(chain, d.pubkey).balanceGwei).to.equal(ETH32 + perEpoch);
        expect(chain.advanceToEpoch(5n + EPOCHS_PER_YEAR)).to.deep.equal([]);
        const yearly = apr === undefined ? 959_959_125n : 7_999_960_500n;
        expect(EPOCHS_PER_YEAR * perEpoch).to.equal(yearly);
        for (const pk of [d.pubkey, bls.pubkey]) {
          expect(must(chain, pk).balanceGwei).to.equal(ETH32 + yearly);
          expect(must(chain, pk).effectiveBalanceGwei).to.equal(ETH32);
        }
      });
    }

    it("sweeps each epoch's excess over 32 ETH to the 0x01 address (interval 1), not from 0x00 credentials", function () {
      const chain = newChain({ activationDelayEpochs: 1n, sweepIntervalEpochs: 1n });
      const d = depositEvent("beacon-chain-sweep", 0);
      const bls = depositEvent("beacon-chain-sweep", 1, { credentials: BLS_CREDENTIALS });
      chain.applyDeposits([d, bls]);
      const paid = chain.advanceToEpoch(11n);
      expect(paid).to.deep.equal(Array.from({ length: 10 }, (_, i) => payment(BigInt(i + 2), 0, P32)));
      expect(must(chain, d.pubkey).balanceGwei).to.equal(ETH32);
      expect(must(chain, bls.pubkey).balanceGwei).to.equal(ETH32 + 10n * P32);
    });

    it("sweeps a year of rewards at the default interval (75 epochs), to the gwei", function () {
      const chain = newChain({ historyEpochs: 2n });
      const d = depositEvent("beacon-chain-sweep-year", 0);
      chain.applyDeposits([d]);
      const last = 5n + EPOCHS_PER_YEAR; // 82,130: the last sweep is at 82,125 = 1,095 × 75
      const paid = chain.advanceToEpoch(1095n * 75n);
      // First sweep at 75 pays the rewards of transitions 6..75 (70 epochs), then 75 epochs' worth each time.
      const expected = Array.from({ length: 1095 }, (_, k) =>
        payment(75n * BigInt(k + 1), 0, (k === 0 ? 70n : 75n) * P32),
      );
      expect(paid).to.deep.equal(expected);
      expect(must(chain, d.pubkey).balanceGwei).to.equal(ETH32); // just swept
      expect(chain.advanceToEpoch(last)).to.deep.equal([]);
      expect(must(chain, d.pubkey).balanceGwei).to.equal(ETH32 + 5n * P32);
      const total = paid.reduce((s, w) => s + w.amountGwei, 0n) + 5n * P32;
      expect(total).to.equal(959_959_125n);
    });
  });

  describe("slashing", function () {
    // Active at 1; slashed at 3 → exit 5, withdrawable 3 + 16 = 19, correlation penalty at 19 − 8 = 11.
    const config = {
      activationDelayEpochs: 1n,
      exitDelayEpochs: 2n,
      epochsPerSlashingsVector: 16n,
      sweepIntervalEpochs: 5n,
    };
    const CORRELATION = 100_000_000n;
    const INITIAL = ETH32 / 4096n;

    it("charges eff/4096, the per-epoch penalty, the correlation penalty at withdrawable − vector/2, then pays out", function () {
      expect(INITIAL).to.equal(7_812_500n);
      const chain = newChain(config);
      const d = depositEvent("beacon-chain-slash", 0);
      chain.applyDeposits([d]);
      chain.advanceToEpoch(3n);
      const b3 = ETH32 + 2n * P32;
      expect(must(chain, d.pubkey).balanceGwei).to.equal(b3);
      chain.slash(d.pubkey, { correlationPenaltyGwei: CORRELATION });
      expect(chain.validator(d.pubkey)).to.deep.equal({
        index: 0,
        pubkey: d.pubkey,
        withdrawalCredentials: PAYEE_CREDENTIALS,
        effectiveBalanceGwei: ETH32,
        balanceGwei: b3 - INITIAL,
        slashed: true,
        activationEligibilityEpoch: 0n,
        activationEpoch: 1n,
        exitEpoch: 5n,
        withdrawableEpoch: 19n,
        pendingCorrelationPenaltyGwei: CORRELATION,
      });
      expect(chain.head().validators[0].balanceGwei).to.equal(b3 - INITIAL); // lands in the current state
      expect(statusOf(chain, d.pubkey)).to.equal("active_slashed");

      const paid: Withdrawal[] = [];
      for (let e = 4n; e <= 25n; e++) {
        paid.push(...chain.advanceToEpoch(e));
        const v = must(chain, d.pubkey);
        const penalised = (e <= 19n ? e : 19n) - 3n;
        const expectedBalance = e >= 20n ? 0n : b3 - INITIAL - penalised * P32 - (e >= 11n ? CORRELATION : 0n);
        expect(v.balanceGwei, `balance at ${e}`).to.equal(expectedBalance);
        expect(v.pendingCorrelationPenaltyGwei, `pending at ${e}`).to.equal(e >= 11n ? 0n : CORRELATION);
        const status: ValidatorStatus =
          e < 5n ? "active_slashed" : e < 19n ? "exited_slashed" : e < 20n ? "withdrawal_possible" : "withdrawal_done";
        expect(validatorStatus(v, e), `status at ${e}`).to.equal(status);
      }
      // The correlation penalty is exactly at 11: 10→11 loses P32 + CORRELATION, 11→12 only P32.
      const balanceAt = (e: bigint) => chain.stateAtEpoch(e)!.validators[0].balanceGwei;
      expect(balanceAt(10n) - balanceAt(11n)).to.equal(P32 + CORRELATION);
      expect(balanceAt(9n) - balanceAt(10n)).to.equal(P32);
      expect(balanceAt(11n) - balanceAt(12n)).to.equal(P32);
      // Whole balance swept at the first sweep at or after 19 (epoch 20).
      expect(paid).to.deep.equal([payment(20n, 0, b3 - INITIAL - 16n * P32 - CORRELATION)]);
    });

    it("charges an explicit initial penalty, and the lowered effective balance sets the per-epoch penalty", function () {
      const chain = newChain(config);
      const d = depositEvent("beacon-chain-slash-explicit", 0);
      chain.applyDeposits([d]);
      chain.advanceToEpoch(3n);
      chain.slash(d.pubkey, { initialPenaltyGwei: ETH_GWEI });
      const b = ETH32 + 2n * P32 - ETH_GWEI;
      expect(must(chain, d.pubkey).balanceGwei).to.equal(b);
      expect(must(chain, d.pubkey).effectiveBalanceGwei).to.equal(ETH32); // only at the transition
      chain.advanceToEpoch(4n);
      expect(must(chain, d.pubkey).balanceGwei).to.equal(b - P32); // penalty on the old effective balance
      expect(must(chain, d.pubkey).effectiveBalanceGwei).to.equal(31n * ETH_GWEI);
      const p31 = rewardPerEpoch(31n * ETH_GWEI, 300n);
      expect(p31).to.equal(11_324n);
      chain.advanceToEpoch(12n); // no correlation penalty was given: none at 11
      expect(must(chain, d.pubkey).balanceGwei).to.equal(b - P32 - 8n * p31);
    });

    it("slashes an exiting validator: keeps its exit epoch, moves withdrawability to slashing + vector", function () {
      const chain = newChain(config);
      const d = depositEvent("beacon-chain-slash-exiting", 0);
      chain.applyDeposits([d]);
      chain.advanceToEpoch(3n);
      chain.exit(d.pubkey);
      expect(must(chain, d.pubkey).exitEpoch).to.equal(5n);
      expect(must(chain, d.pubkey).withdrawableEpoch).to.equal(5n + 256n);
      chain.advanceToEpoch(4n);
      expect(statusOf(chain, d.pubkey)).to.equal("active_exiting");
      chain.slash(d.pubkey);
      const v = must(chain, d.pubkey);
      expect([v.slashed, v.exitEpoch, v.withdrawableEpoch]).to.deep.equal([true, 5n, 20n]);
      expect(statusOf(chain, d.pubkey)).to.equal("active_slashed");
    });

    it("never takes a balance below zero, and pays nothing when nothing is left", function () {
      const chain = newChain(config);
      const d = depositEvent("beacon-chain-slash-all", 0);
      chain.applyDeposits([d]);
      chain.advanceToEpoch(3n);
      chain.slash(d.pubkey, { initialPenaltyGwei: 40n * ETH_GWEI, correlationPenaltyGwei: 40n * ETH_GWEI });
      expect(must(chain, d.pubkey).balanceGwei).to.equal(0n);
      expect(chain.advanceToEpoch(30n)).to.deep.equal([]);
      expect(must(chain, d.pubkey).balanceGwei).to.equal(0n);
      expect(statusOf(chain, d.pubkey)).to.equal("withdrawal_done");
      expect(validatorStatus(chain.stateAtEpoch(18n)!.validators[0], 18n)).to.equal("exited_slashed");
    });
  });

  describe("errors", function () {
    it("refuses to exit or slash unknown, pending, exiting (exit only), slashed and exited validators", function () {
      const chain = newChain({
        activationDelayEpochs: 1n,
        exitDelayEpochs: 1n,
        withdrawabilityDelayEpochs: 3n,
        epochsPerSlashingsVector: 4n,
        sweepIntervalEpochs: 3n,
      });
      const [d0, d1] = [0, 1].map((i) => depositEvent("beacon-chain-errors", i));
      const small = depositEvent("beacon-chain-errors", 2, { amountGwei: ETH_GWEI });
      const unknown = depositEvent("beacon-chain-errors", 3).pubkey;
      chain.applyDeposits([d0, d1, small]);
      const refuses = (pubkey: string, message: (what: string) => string) => {
        const before = structuredClone(chain.head());
        expectError(() => chain.exit(pubkey), message("exit"));
        expectError(() => chain.slash(pubkey), message("slash"));
        expect(chain.head()).to.deep.equal(before);
      };

      refuses(unknown, (w) => `cannot ${w} ${unknown}: no such validator`);
      refuses(d0.pubkey, (w) => `cannot ${w} validator 0: it is pending_queued`);
      refuses(small.pubkey, (w) => `cannot ${w} validator 2: it is pending_initialized`);

      chain.advanceToEpoch(1n);
      chain.exit(d0.pubkey); // exit 2, withdrawable 5
      expectError(() => chain.exit(d0.pubkey), "cannot exit validator 0: it is active_exiting");
      chain.slash(d1.pubkey); // exit 2, withdrawable 5
      refuses(d1.pubkey, (w) => `cannot ${w} validator 1: it is active_slashed`);

      chain.advanceToEpoch(2n);
      refuses(d0.pubkey, (w) => `cannot ${w} validator 0: it is exited_unslashed`);
      refuses(d1.pubkey, (w) => `cannot ${w} validator 1: it is exited_slashed`);
      chain.advanceToEpoch(5n);
      refuses(d0.pubkey, (w) => `cannot ${w} validator 0: it is withdrawal_possible`);
      chain.advanceToEpoch(6n); // swept
      refuses(d0.pubkey, (w) => `cannot ${w} validator 0: it is withdrawal_done`);
      refuses(d1.pubkey, (w) => `cannot ${w} validator 1: it is withdrawal_done`);
    });
  });

  describe("history", function () {
    it("returns past states unchanged after later epochs and events, and nothing beyond historyEpochs or ahead", function () {
      const chain = newChain({ activationDelayEpochs: 1n, sweepIntervalEpochs: 1_000n, historyEpochs: 8n });
      const d = depositEvent("beacon-chain-history", 0);
      const recorded: EpochState[] = [];
      chain.applyDeposits([d]);
      recorded.push(structuredClone(chain.head()));
      for (let e = 1n; e <= 20n; e++) {
        chain.advanceToEpoch(e);
        if (e === 10n) {
          const before = structuredClone(chain.stateAtEpoch(10n));
          chain.exit(d.pubkey); // lands in epoch 10's state, not in 9's
          expect(chain.stateAtEpoch(10n)!.validators[0].exitEpoch).to.equal(15n);
          expect(chain.stateAtEpoch(10n)).to.not.deep.equal(before);
          expect(chain.stateAtEpoch(9n)!.validators[0].exitEpoch).to.equal(FAR_FUTURE);
        }
        if (e === 16n) chain.applyDeposits([{ ...d, amountGwei: ETH_GWEI }]);
        recorded.push(structuredClone(chain.head()));
      }
      // Kept: epochs 13..20 (8 states).
      for (let e = 13; e <= 20; e++) expect(chain.stateAtEpoch(BigInt(e)), `epoch ${e}`).to.deep.equal(recorded[e]);
      expect(chain.stateAtEpoch(12n)).to.equal(undefined);
      expect(chain.stateAtEpoch(0n)).to.equal(undefined);
      expect(chain.stateAtEpoch(21n)).to.equal(undefined);
      expect(chain.stateAtEpoch(20n)).to.deep.equal(chain.head());
      // The values themselves: rewards up to the exit epoch 15 (14 epochs), the top-up at 16.
      expect(recorded[13].validators[0].balanceGwei).to.equal(ETH32 + 12n * P32);
      expect(chain.stateAtEpoch(15n)!.validators[0].balanceGwei).to.equal(ETH32 + 14n * P32);
      expect(chain.stateAtEpoch(16n)!.validators[0].balanceGwei).to.equal(ETH32 + 14n * P32 + ETH_GWEI);
      expect(chain.stateAtEpoch(20n)!.validators[0].balanceGwei).to.equal(ETH32 + 14n * P32 + ETH_GWEI);
      // By slot: the state of the slot's epoch.
      expect(chain.stateAtSlot(13n * 32n)).to.deep.equal(recorded[13]);
      expect(chain.stateAtSlot(13n * 32n + 31n)).to.deep.equal(recorded[13]);
      expect(chain.stateAtSlot(13n * 32n - 1n)).to.equal(undefined);
    });

    it("keeps 2048 epochs by default", function () {
      const chain = newChain();
      chain.advanceToEpoch(2100n);
      expect(chain.stateAtEpoch(52n)).to.equal(undefined);
      expect(chain.stateAtEpoch(53n)!.epoch).to.equal(53n);
      expect(chain.stateAtEpoch(2100n)!.epoch).to.equal(2100n);
    });

    it("hands out copies: changing a returned validator does not change the chain", function () {
      const chain = newChain();
      const d = depositEvent("beacon-chain-copy", 0);
      chain.applyDeposits([d]);
      const v = must(chain, d.pubkey);
      v.balanceGwei = 1n;
      v.slashed = true;
      expect(must(chain, d.pubkey).balanceGwei).to.equal(ETH32);
      expect(must(chain, d.pubkey).slashed).to.equal(false);
    });

    it("can start at a later slot with no validators and no earlier states", function () {
      const chain = new BeaconChain({ genesisTime: GENESIS, activationDelayEpochs: 2n }, 1000n);
      expect([chain.epoch, chain.headSlot]).to.deep.equal([31n, 1000n]);
      expect(chain.head()).to.deep.equal({ epoch: 31n, validators: [] });
      expect(chain.stateAtEpoch(31n)).to.deep.equal({ epoch: 31n, validators: [] });
      expect(chain.stateAtEpoch(30n)).to.equal(undefined);
      expect(chain.stateAtSlot(991n)).to.equal(undefined);
      const d = depositEvent("beacon-chain-late", 0);
      chain.applyDeposits([d]);
      expect(must(chain, d.pubkey).activationEpoch).to.equal(33n);
      chain.advanceToEpoch(34n);
      expect(must(chain, d.pubkey).balanceGwei).to.equal(ETH32 + P32);
      expect(chain.headSlot).to.equal(34n * 32n);
    });

    it("tracks the head slot and converts between slots and times", function () {
      const chain = newChain();
      expect([chain.epoch, chain.headSlot]).to.deep.equal([0n, 0n]);
      expect(chain.advanceToSlot(100n)).to.deep.equal([]);
      expect([chain.epoch, chain.headSlot]).to.deep.equal([3n, 100n]);
      chain.advanceToEpoch(3n);
      expect(chain.headSlot).to.equal(100n);
      chain.advanceToEpoch(4n);
      expect([chain.epoch, chain.headSlot]).to.deep.equal([4n, 128n]);
      chain.advanceToSlot(130n);
      chain.advanceToSlot(50n); // never backwards
      expect([chain.epoch, chain.headSlot]).to.deep.equal([4n, 130n]);
      expect(chain.slotAt(GENESIS - 1n)).to.equal(0n);
      expect(chain.slotAt(GENESIS + 35n)).to.equal(2n);
      expect(chain.slotAt(GENESIS + 36n)).to.equal(3n);
      expect(chain.slotTime(3n)).to.equal(GENESIS + 36n);
    });
  });

  describe("effective balance hysteresis", function () {
    // No rewards or per-epoch penalties: balances move only by what the test does.
    const config = { rewardAprBP: 0n, activationDelayEpochs: 1n, sweepIntervalEpochs: 1_000n };
    const QUARTER = ETH_GWEI / 4n;

    it("lowers the effective balance only below effective − 0.25 ETH", function () {
      const chain = newChain(config);
      const ds = [0, 1, 2].map((i) => depositEvent("beacon-chain-hysteresis-down", i));
      chain.applyDeposits(ds);
      chain.advanceToEpoch(1n);
      chain.slash(ds[0].pubkey, { initialPenaltyGwei: QUARTER }); // 31.75 ETH: on the edge
      chain.slash(ds[1].pubkey, { initialPenaltyGwei: QUARTER + 1n }); // 1 gwei below it
      chain.slash(ds[2].pubkey, { initialPenaltyGwei: 2_600_000_000n }); // 29.4 ETH
      for (const d of ds) expect(must(chain, d.pubkey).effectiveBalanceGwei).to.equal(ETH32); // not before the transition
      chain.advanceToEpoch(2n);
      const eff = ds.map((d) => must(chain, d.pubkey).effectiveBalanceGwei);
      const bal = ds.map((d) => must(chain, d.pubkey).balanceGwei);
      expect(eff).to.deep.equal([ETH32, 31n * ETH_GWEI, 29n * ETH_GWEI]);
      expect(bal).to.deep.equal([31_750_000_000n, 31_749_999_999n, 29_400_000_000n]);

      // Back up from 31 ETH: exactly 31 + 1.25 ETH keeps it, 1 gwei more lifts it (to the 32 ETH cap).
      chain.applyDeposits([{ ...ds[1], amountGwei: 500_000_001n }]);
      chain.advanceToEpoch(3n);
      expect(must(chain, ds[1].pubkey).balanceGwei).to.equal(32_250_000_000n);
      expect(must(chain, ds[1].pubkey).effectiveBalanceGwei).to.equal(31n * ETH_GWEI);
      chain.applyDeposits([{ ...ds[1], amountGwei: 1n }]);
      chain.advanceToEpoch(4n);
      expect(must(chain, ds[1].pubkey).effectiveBalanceGwei).to.equal(ETH32);
    });

    it("raises the effective balance only above effective + 1.25 ETH, in whole ETH, capped at 32", function () {
      const chain = newChain(config);
      const d = depositEvent("beacon-chain-hysteresis-up", 0, { amountGwei: ETH_GWEI });
      chain.applyDeposits([d]);
      chain.applyDeposits([{ ...d, amountGwei: 5n * QUARTER }]); // 2.25 ETH: on the edge
      chain.advanceToEpoch(1n);
      expect(must(chain, d.pubkey).balanceGwei).to.equal(2_250_000_000n);
      expect(must(chain, d.pubkey).effectiveBalanceGwei).to.equal(ETH_GWEI);
      chain.applyDeposits([{ ...d, amountGwei: 1n }]);
      expect(must(chain, d.pubkey).effectiveBalanceGwei).to.equal(ETH_GWEI); // not before the transition
      chain.advanceToEpoch(2n);
      expect(must(chain, d.pubkey).effectiveBalanceGwei).to.equal(2n * ETH_GWEI); // floor(2.250000001)
      chain.applyDeposits([{ ...d, amountGwei: 3n * ETH_GWEI + QUARTER - 2n }]); // 5.499999999 ETH
      chain.advanceToEpoch(3n);
      expect(must(chain, d.pubkey).effectiveBalanceGwei).to.equal(5n * ETH_GWEI);
      chain.applyDeposits([{ ...d, amountGwei: 35n * ETH_GWEI }]);
      chain.advanceToEpoch(4n);
      expect(must(chain, d.pubkey).effectiveBalanceGwei).to.equal(ETH32);
    });
  });
});
