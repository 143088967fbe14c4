import { expect } from "chai";
import hre from "hardhat";
import { concat, dataLength, keccak256, toBeHex, zeroPadValue } from "ethers";
import { BeaconChain, FAR_FUTURE_EPOCH, validatorStatus } from "../../offchain/beacon/chain";
import {
  EXCESS_INHIBITOR,
  WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS as PREDEPLOY,
  WITHDRAWAL_REQUEST_PREDEPLOY_CODE,
  decodeWithdrawalRequests,
  dequeueWithdrawalRequests,
  installWithdrawalRequestPredeploy,
  readFee,
  withdrawalRequestCalldata,
} from "../../offchain/beacon/withdrawal-requests";
import { withdrawalCredentialsFor } from "../../offchain/keys/deposit";
import { PAYEE_CREDENTIALS, depositEvent } from "../helpers/beacon-sim";

const GENESIS = 1_700_000_000n;
/** 0x0102030405060708 gwei: distinct bytes, so a wrong byte order shows. */
const PARTIAL_AMOUNT = 0x0102030405060708n;
const UNKNOWN_PUBKEY = "0x" + "c3".repeat(48);

async function storageAt(slot: bigint): Promise<string> {
  return (await hre.network.provider.send("eth_getStorageAt", [PREDEPLOY, toBeHex(slot), "latest"])) as string;
}

function word(value: bigint): string {
  return toBeHex(value, 32);
}

describe("EIP-7002 withdrawal requests on the local chains", function () {
  const rpc = hre.network.provider;
  let snapshot: string;

  beforeEach(async function () {
    snapshot = (await rpc.send("evm_snapshot", [])) as string;
  });

  afterEach(async function () {
    await rpc.send("evm_revert", [snapshot]);
  });

  it("installs the EIP's runtime code, nonce 1 and the inhibitor; the fee is 1 wei once a system call ran", async function () {
    expect(await rpc.send("eth_getCode", [PREDEPLOY, "latest"])).to.equal("0x"); // osaka has no 7002 contract
    await installWithdrawalRequestPredeploy(rpc, { activate: false });
    const code = (await rpc.send("eth_getCode", [PREDEPLOY, "latest"])) as string;
    expect(code).to.equal(WITHDRAWAL_REQUEST_PREDEPLOY_CODE);
    expect(dataLength(code)).to.equal(504);
    expect(keccak256(code)).to.equal("0x0345a365d2f4c5975b9f1599abe0a2ee76b7a3a731bc68781bd04c84e4858f50");
    expect(await rpc.send("eth_getTransactionCount", [PREDEPLOY, "latest"])).to.equal("0x1");
    expect(await storageAt(0n)).to.equal(word(EXCESS_INHIBITOR));
    let error: unknown;
    await readFee(rpc).catch((e: unknown) => (error = e));
    expect(String(error)).to.contain("the EIP-7002 fee getter reverted");

    // The fork block's system call: nothing queued, the inhibitor cleared.
    expect(await dequeueWithdrawalRequests(rpc)).to.deep.equal([]);
    expect(await storageAt(0n)).to.equal(word(0n));
    expect(await readFee(rpc)).to.equal(1n);
  });

  it("queues a full exit from an account and dequeues exactly it through the system call", async function () {
    await installWithdrawalRequestPredeploy(rpc);
    const [, holder, other] = await hre.ethers.getSigners();
    const source = holder.address.toLowerCase();
    const pubkey = depositEvent("withdrawal-requests", 0).pubkey;
    const fee = await readFee(rpc);
    expect(fee).to.equal(1n);
    expect(withdrawalRequestCalldata(pubkey)).to.equal(concat([pubkey, "0x0000000000000000"]));

    // Below the fee: the contract reverts.
    await expect(holder.sendTransaction({ to: PREDEPLOY, data: withdrawalRequestCalldata(pubkey), value: 0n })).to.be
      .reverted;

    const tx = await holder.sendTransaction({ to: PREDEPLOY, data: withdrawalRequestCalldata(pubkey), value: fee });
    const receipt = (await tx.wait())!;
    expect(receipt.status).to.equal(1);
    // The contract logs caller ‖ calldata (LOG0) and stores the request in three slots after the offset 4.
    expect(receipt.logs.map((l) => [l.address, l.topics.length, l.data])).to.deep.equal([
      [PREDEPLOY, 0, concat([source, pubkey, "0x0000000000000000"])],
    ]);
    expect(await storageAt(1n)).to.equal(word(1n)); // count this block
    expect(await storageAt(3n)).to.equal(word(1n)); // tail
    expect(await storageAt(4n)).to.equal(zeroPadValue(source, 32));
    expect(await storageAt(5n)).to.equal(pubkey.slice(0, 66));
    expect(await storageAt(6n)).to.equal("0x" + pubkey.slice(66) + "00".repeat(16));
    expect(await hre.ethers.provider.getBalance(PREDEPLOY)).to.equal(1n);

    // A second request with a partial amount, from another account: the system call returns the amount
    // little-endian, the decoder reads it back.
    const partial = withdrawalRequestCalldata(pubkey, PARTIAL_AMOUNT);
    await (await other.sendTransaction({ to: PREDEPLOY, data: partial, value: fee })).wait();

    const returned = (await rpc.send("eth_call", [
      { from: "0xfffffffffffffffffffffffffffffffffffffffe", to: PREDEPLOY, data: "0x" },
      "latest",
    ])) as string;
    expect(returned).to.equal(
      concat([
        source,
        pubkey,
        "0x0000000000000000",
        other.address.toLowerCase(),
        pubkey,
        "0x0807060504030201", // little-endian
      ]),
    );
    expect(await dequeueWithdrawalRequests(rpc)).to.deep.equal([
      { sourceAddress: source, pubkey, amountGwei: 0n },
      { sourceAddress: other.address.toLowerCase(), pubkey, amountGwei: PARTIAL_AMOUNT },
    ]);

    // The queue is empty and its pointers reset; two requests are the target, so no excess and fee 1.
    expect(await dequeueWithdrawalRequests(rpc)).to.deep.equal([]);
    for (const slot of [0n, 1n, 2n, 3n]) expect(await storageAt(slot)).to.equal(word(0n));
    expect(await readFee(rpc)).to.equal(1n);
  });

  it("the local beacon chain exits the validator whose credentials name the source, and ignores the others", async function () {
    await installWithdrawalRequestPredeploy(rpc);
    const [, holder] = await hre.ethers.getSigners();
    const ours = depositEvent("withdrawal-requests", 1, { credentials: withdrawalCredentialsFor(holder.address) });
    const elsewhere = depositEvent("withdrawal-requests", 2); // 0x01 to PAYEE
    expect(elsewhere.withdrawalCredentials).to.equal(PAYEE_CREDENTIALS);
    const chain = new BeaconChain({ genesisTime: GENESIS });
    chain.applyDeposits([ours, elsewhere]);
    chain.advanceToEpoch(5n + 256n); // activation (epoch 5) + SHARD_COMMITTEE_PERIOD

    const fee = await readFee(rpc);
    for (const pubkey of [ours.pubkey, elsewhere.pubkey, UNKNOWN_PUBKEY]) {
      await (
        await holder.sendTransaction({ to: PREDEPLOY, data: withdrawalRequestCalldata(pubkey), value: fee })
      ).wait();
    }
    const requests = await dequeueWithdrawalRequests(rpc);
    expect(requests.map((r) => r.pubkey)).to.deep.equal([ours.pubkey, elsewhere.pubkey, UNKNOWN_PUBKEY]);

    expect(chain.applyWithdrawalRequests(requests)).to.deep.equal([
      "exit_initiated",
      "wrong_credentials",
      "unknown_pubkey",
    ]);
    const exited = chain.validator(ours.pubkey)!;
    expect([exited.exitEpoch, exited.withdrawableEpoch]).to.deep.equal([261n + 5n, 261n + 5n + 256n]);
    expect(validatorStatus(exited, chain.epoch)).to.equal("active_exiting");
    expect(chain.head().validators[0].exitEpoch).to.equal(266n); // the current epoch's state has it
    const untouched = chain.validator(elsewhere.pubkey)!;
    expect([untouched.exitEpoch, validatorStatus(untouched, chain.epoch)]).to.deep.equal([
      FAR_FUTURE_EPOCH,
      "active_ongoing",
    ]);
  });

  it("applies process_withdrawal_request's checks: activity, exit, SHARD_COMMITTEE_PERIOD, credentials, amount", function () {
    const source = "0x" + "ab".repeat(20);
    const eth1 = withdrawalCredentialsFor(source);
    const compounding = "0x02" + eth1.slice(4);
    const bls = "0x00" + "ab".repeat(31);
    const keys = [
      depositEvent("withdrawal-checks", 0, { credentials: eth1 }),
      depositEvent("withdrawal-checks", 1, { credentials: compounding }),
      depositEvent("withdrawal-checks", 2, { credentials: bls }),
      depositEvent("withdrawal-checks", 3, { credentials: eth1 }),
    ];
    const chain = new BeaconChain({ genesisTime: GENESIS });
    chain.applyDeposits(keys.slice(0, 3));
    const full = (pubkey: string) => ({ sourceAddress: source, pubkey, amountGwei: 0n });

    // Pending (activation at epoch 5): not active.
    expect(chain.applyWithdrawalRequests([full(keys[0].pubkey)])).to.deep.equal(["not_active"]);
    // Active for 255 epochs: too young; at 256 it may exit.
    chain.advanceToEpoch(5n + 255n);
    expect(chain.applyWithdrawalRequests([full(keys[0].pubkey)])).to.deep.equal(["too_young"]);
    chain.advanceToEpoch(5n + 256n);
    chain.applyDeposits([keys[3]]); // pending at 261
    expect(
      chain.applyWithdrawalRequests([
        { sourceAddress: source.toUpperCase().replace("0X", "0x"), pubkey: keys[0].pubkey, amountGwei: 0n },
        full(keys[0].pubkey), // the first started its exit
        full(keys[1].pubkey), // 0x02 credentials count as execution credentials
        full(keys[2].pubkey), // BLS credentials never match
        { ...full(keys[1].pubkey), amountGwei: 1n }, // partial: not modelled
        full(keys[3].pubkey),
      ]),
    ).to.deep.equal([
      "exit_initiated",
      "already_exiting",
      "exit_initiated",
      "wrong_credentials",
      "partial_ignored",
      "not_active",
    ]);
    expect([0, 1, 2, 3].map((i) => chain.validator(keys[i].pubkey)!.exitEpoch)).to.deep.equal([
      266n,
      266n,
      FAR_FUTURE_EPOCH,
      FAR_FUTURE_EPOCH,
    ]);
  });

  it("rejects malformed calldata and return data", function () {
    expect(() => withdrawalRequestCalldata("0x" + "11".repeat(47))).to.throw("a validator pubkey is 48 bytes, got 47");
    expect(() => withdrawalRequestCalldata(UNKNOWN_PUBKEY, 2n ** 64n)).to.throw("is not a uint64");
    expect(() => decodeWithdrawalRequests("0x" + "00".repeat(75))).to.throw(
      "75 bytes is not a list of 76-byte requests",
    );
  });
});
