/**
 * The local beacon chain in follow mode on an independent node: Anvil mining a block every second by
 * itself, the protocol deployed there over JSON-RPC with 1-second slots, and a 32 ETH deposit made to
 * the deposit contract. The chain, which neither mines nor moves time, must see the deposit (a new
 * validator), keep its head at the wall clock's slot and cross an epoch boundary by itself. The EIP-7002
 * predeploy installs there with Anvil's methods.
 */
import { expect } from "chai";
import hre from "hardhat";
import { hexlify, parseEther } from "ethers";
import { deployTidepoolOverRpc } from "../../deploy/protocol";
import {
  DEVNET_BEACON_CONFIG,
  beaconConfigFromJson,
  startLocalBeacon,
  type LocalBeacon,
} from "../../offchain/beacon/local";
import { BeaconChain, SLOTS_PER_EPOCH } from "../../offchain/beacon/chain";
import { installWithdrawalRequestPredeploy, readFee } from "../../offchain/beacon/withdrawal-requests";
import { signDeposit, testSecretKey } from "../../offchain/keys/bls";
import { withdrawalCredentialsFor } from "../../offchain/keys/deposit";
import { AccountingOracle__factory, DepositContract__factory } from "../../typechain-types";
import { startAnvil, type Anvil } from "../helpers/anvil";
import { deployTidepool } from "../helpers/fixtures";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";

/** Polls `check` every 250 ms until it holds; fails with `what` after `ms`. */
async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  for (const start = Date.now(); !(await check());) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe("Local beacon chain following Anvil (--block-time 1, 1-second slots)", function () {
  this.timeout(120_000);
  let anvil: Anvil;
  let local: LocalBeacon | undefined;

  before(async function () {
    anvil = await startAnvil(1);
  });

  after(async function () {
    await local?.close();
    await anvil?.stop();
  });

  it("creates the deposited validator and advances its epochs by the wall clock, mining nothing", async function () {
    const { provider } = anvil;
    const genesis = (await provider.getBlock("latest"))!.timestamp;
    const addresses = await deployTidepoolOverRpc(hre, provider, { secondsPerSlot: 1, genesisTime: genesis });
    const signer = await provider.getSigner(9);
    const oracle = AccountingOracle__factory.connect(addresses["Tidepool#AccountingOracleProxy"], signer);
    const depositContract = DepositContract__factory.connect(addresses["Tidepool#DepositContract"], signer);
    expect(await oracle.SECONDS_PER_SLOT()).to.equal(1n);

    // Follow mode reads logs two blocks deep and sends nothing: the node's own blocks are the only ones.
    local = await startLocalBeacon({ oracle, depositContract }, provider, {}, 0, { follow: {} });
    const chain = local.chain;
    expect(chain.config.secondsPerSlot).to.equal(1n);
    await expect(local.bridge.advanceTo(BigInt(genesis) + 10_000n)).to.be.rejectedWith(
      "the beacon chain follows a node that mines by itself: it does not mine or move time",
    );

    // The EIP-7002 predeploy installs with anvil_ methods; its activating system call waits for a block.
    await installWithdrawalRequestPredeploy(provider, { rpcPrefix: "anvil" });
    expect(await readFee(provider)).to.equal(1n);

    const key = testSecretKey("devnet follow", 0);
    const deposit = signDeposit(
      key,
      withdrawalCredentialsFor(addresses["Tidepool#WithdrawalVaultProxy"]),
      "0x00000000",
    );
    await (
      await depositContract.deposit(
        deposit.pubkey,
        deposit.withdrawalCredentials,
        deposit.signature,
        deposit.depositDataRoot,
        {
          value: parseEther("32"),
        },
      )
    ).wait();

    const startEpoch = chain.epoch;
    // The script's loop (scripts/beacon-chain.ts): one follow() at a time, about twice a second.
    let following = true;
    const follower = (async () => {
      while (following) {
        await local!.bridge.follow();
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    try {
      await until("the deposit's validator", 15_000, async () => chain.head().validators.length === 1);
      const [validator] = chain.head().validators;
      expect(validator.pubkey).to.equal(hexlify(deposit.pubkey));
      expect(validator.effectiveBalanceGwei).to.equal(32_000_000_000n);
      // An epoch is 32 one-second slots: the next boundary comes within 32 s of any moment.
      await until("the next epoch", 40_000, async () => chain.epoch > startEpoch);
    } finally {
      following = false;
      await follower;
    }
    const head = (await provider.getBlock("latest"))!;
    const headSlot = BigInt(head.timestamp - genesis);
    expect(chain.headSlot <= headSlot).to.equal(true);
    expect(chain.epoch).to.equal(chain.headSlot / SLOTS_PER_EPOCH);
    // Every block is Anvil's own: one a second at most, none mined on demand in between.
    expect(head.number).to.be.at.most(head.timestamp - genesis + 2);
  });
});

describe("Follow mode on Hardhat's network with an injected clock", function () {
  it("applies a deposit only two blocks deep, and keeps the head at the wall clock's slot but never past the execution head's", async function () {
    const f = await loadFixture(deployTidepool);
    let nowMs = 0;
    const local = await startLocalBeacon(f, hre.network.provider, {}, 0, {
      follow: { confirmations: 2, now: () => nowMs },
    });
    try {
      const key = testSecretKey("devnet follow", 1);
      const deposit = signDeposit(key, withdrawalCredentialsFor(await f.withdrawalVault.getAddress()), "0x00000000");
      const [user] = f.users;
      await f.depositContract
        .connect(user)
        .deposit(deposit.pubkey, deposit.withdrawalCredentials, deposit.signature, deposit.depositDataRoot, {
          value: parseEther("32"),
        });
      const startSlot = local.chain.headSlot;
      nowMs = (await time.latest()) * 1000;
      expect(await local.bridge.follow()).to.deep.equal([]);
      expect(local.chain.head().validators).to.have.length(0); // its block is the head: 0 deep
      await mine(1);
      await local.bridge.follow();
      expect(local.chain.head().validators).to.have.length(0); // 1 deep
      await mine(1);
      await local.bridge.follow();
      expect(local.chain.head().validators.map((v) => v.pubkey)).to.deep.equal([hexlify(deposit.pubkey)]);

      // The execution head 1,200 s (100 slots) ahead; the wall clock half-way: the wall clock wins.
      await time.increase(1_200);
      const head = BigInt(await time.latest());
      nowMs = Number(head - 600n) * 1000;
      await local.bridge.follow();
      expect(local.chain.headSlot).to.equal(local.chain.slotAt(head - 600n));
      // The wall clock past the head: the head's slot caps it.
      nowMs = Number(head + 6_000n) * 1000;
      await local.bridge.follow();
      expect(local.chain.headSlot).to.equal(local.chain.slotAt(head));
      expect(local.chain.headSlot - startSlot).to.be.greaterThanOrEqual(100n);
      // A clock that goes back moves nothing back.
      nowMs = 0;
      expect(await local.bridge.follow()).to.deep.equal([]);
      expect(local.chain.headSlot).to.equal(local.chain.slotAt(head));
    } finally {
      await local.close();
    }
  });

  it("takes its slot time from the chain config (12 s by default) and refuses zero", function () {
    const fast = new BeaconChain({ genesisTime: 1_000n, secondsPerSlot: 1n });
    const slow = new BeaconChain({ genesisTime: 1_000n });
    expect(slow.config.secondsPerSlot).to.equal(12n);
    expect(fast.slotAt(1_064n)).to.equal(64n);
    expect(slow.slotAt(1_064n)).to.equal(5n);
    expect(fast.slotTime(32n)).to.equal(1_032n);
    expect(() => new BeaconChain({ genesisTime: 0n, secondsPerSlot: 0n })).to.throw(
      "secondsPerSlot must be at least 1",
    );
  });
});

describe("Beacon chain settings for a devnet (BEACON_CONFIG)", function () {
  it("reads whole numbers and fork versions, and names a wrong or unknown setting", function () {
    expect(
      beaconConfigFromJson({ activationDelayEpochs: 1, sweepIntervalEpochs: "2", genesisForkVersion: "0x10000038" }),
    ).to.deep.equal({ activationDelayEpochs: 1n, sweepIntervalEpochs: 2n, genesisForkVersion: "0x10000038" });
    expect(() => beaconConfigFromJson([])).to.throw("the beacon chain configuration must be a JSON object");
    expect(() => beaconConfigFromJson({ exitDelayEpochs: -1 })).to.throw(
      '"exitDelayEpochs" must be a whole number, got -1',
    );
    expect(() => beaconConfigFromJson({ capellaForkVersion: "0x03" })).to.throw(
      '"capellaForkVersion" must be a 4-byte hex string such as "0x00000000", got "0x03"',
    );
    expect(() => beaconConfigFromJson({ secondsPerSlot: 1 })).to.throw(
      '"secondsPerSlot" is not a beacon chain setting (known: rewardAprBP, activationDelayEpochs,',
    );
    expect(DEVNET_BEACON_CONFIG).to.deep.equal({
      activationDelayEpochs: 1n,
      shardCommitteePeriodEpochs: 8n,
      exitDelayEpochs: 1n,
      withdrawabilityDelayEpochs: 2n,
      epochsPerSlashingsVector: 16n,
      sweepIntervalEpochs: 1n,
    });
  });
});
