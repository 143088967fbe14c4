/**
 * Beacon facts (issue 17) as whole transactions on the deployed protocol: a slashing, exits, a late
 * exit forced through EIP-7002, governance's direct forced exit and foreign credentials, each proven
 * against one EIP-4788 root of a mainnet-shaped state (1,234,568 validator records, so 21 list
 * siblings) in which the operator's deposited keys sit at random indices with the pool's withdrawal
 * credentials. The deployment is live (its daily reports done), the EIP-7002 predeploy installed and
 * its queue empty before each request.
 */
import hre from "hardhat";
import { ZeroAddress, getBytes, hexlify, parseEther, toBeHex } from "ethers";
import { buildValidatorProof, electraLayout, headerFor, headerRoot } from "../offchain/prover/proofs";
import {
  WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
  dequeueWithdrawalRequests,
  installWithdrawalRequestPredeploy,
} from "../offchain/beacon/withdrawal-requests";
import { FAR_FUTURE_EPOCH, mainnetShapedState } from "../test/helpers/beacon-state";
import { testKeyBatch } from "../offchain/keys/bls";
import { registerOperator } from "../offchain/operators/register";
import { currentAttestation, signAttestation } from "../offchain/guardians/attestations";
import { liveDeployment, nextReport } from "./operations";
import { gasOf, type Gas } from "./measure";

const BEACON_ROOTS = "0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02";
const SYSTEM_ADDRESS = "0xfffffffffffffffffffffffffffffffffffffffe";
/** The header's slot: with the deployment's genesis time 0, past the late exit's deadline. */
const SLOT = 160_000_000n;
const EPOCH = SLOT / 32n;
/** The operators' keys, one per fact: operator 0's keys 0–9 reported, 10 deposited after the last report,
 * 11 never deposited; operator 1's only key, asked to exit, for a late exit that is its first fact. */
const KEY = {
  slashed: [0, 0],
  exited: [0, 1],
  exitedSecond: [0, 2],
  governance: [0, 4],
  foreignInTransit: [0, 10],
  foreignUndeposited: [0, 11],
  late: [1, 0],
} as const;
type Key = (typeof KEY)[keyof typeof KEY];
const PLANTED: Key[] = [
  KEY.slashed,
  KEY.exited,
  KEY.exitedSecond,
  KEY.foreignInTransit,
  KEY.foreignUndeposited,
  KEY.late,
];

/**
 * Empties the EIP-7002 queue (the end-of-block system call) and zeroes the storage of its first
 * entry (slots 4–6), so each request writes fresh slots as the first one after the fork does: the
 * dearest case of an empty queue.
 */
async function emptyWithdrawalRequestQueue(): Promise<void> {
  const rpc = hre.network.provider;
  await dequeueWithdrawalRequests(rpc);
  for (const slot of [4, 5, 6]) {
    await rpc.send("hardhat_setStorageAt", [WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS, toBeHex(slot), toBeHex(0, 32)]);
  }
}

/** Measures the fact rows; returns a note for bench/gas.md. */
export async function factBenchmarks(gas: Gas): Promise<string[]> {
  const t = await liveDeployment();
  const { registry, facts, withdrawalQueue: queue } = t;
  const [operator, alice, bob, prover, lateOperator] = t.users;
  await installWithdrawalRequestPredeploy(hre.network.provider);
  const deposit = async (operatorId: bigint) => {
    const attestation = await currentAttestation(t.depositContract, registry, hre.ethers.provider);
    const signatures = await signAttestation(t.dsm, attestation, [t.guardian]);
    await (await t.dsm.depositBufferedEther(operatorId, 1, attestation, signatures)).wait();
  };

  // Operator 0: two more keys, one deposited (still in transit at the proofs), one never deposited.
  const batch = testKeyBatch("bench-report", 10, 2, await t.pool.withdrawalCredentials());
  await (await registry.connect(operator).addSigningKeys(0n, 2, batch.pubkeys, batch.signatures)).wait();
  await (await registry.connect(t.admin).setVettedKeys(0n, 12, await registry.operatorKeysNonce(0n))).wait();
  await (await registry.connect(operator).depositBond(0n, { value: parseEther("4") })).wait();
  await (await t.pool.connect(prover).stake(ZeroAddress, { value: parseEther("100") })).wait();
  await deposit(0n);
  // Operator 1: one validator, whose late exit is the operator's first fact.
  const late = await registerOperator(registry, t.pool, t.admin, {
    name: "bench-late",
    rewardAddress: lateOperator,
    keys: 1,
    bondWei: parseEther("4"),
  });
  if (late !== BigInt(KEY.late[0])) throw new Error(`the late operator is ${late}`);
  await deposit(late);

  // A report asks operator 1 to exit its validator (70 ETH asked against the buffer).
  for (const holder of [alice, bob]) {
    await (await t.pool.connect(holder).approve(await queue.getAddress(), parseEther("35"))).wait();
    await (await queue.connect(holder).requestWithdrawals([parseEther("35")], ZeroAddress)).wait();
  }
  await nextReport(t, "exit request", { exitOperatorIds: [late], exitKeyIndices: [BigInt(KEY.late[1])] });
  const [recorded] = await t.oracle.queryFilter(t.oracle.filters.ExitRequestsRecorded());
  const requestsRoot = recorded.args.root;
  if ((await t.oracle.exitRequestsAppliedAt(requestsRoot)) === 0n) throw new Error("no exit requests recorded");
  const [deposited, clValidators] = await t.pool.getBeaconStat();
  if (deposited <= clValidators) throw new Error("no deposit in transit");

  // The state: our keys at random indices, each as its fact needs it.
  const pubkeys: string[] = [];
  for (const [op, k] of PLANTED) pubkeys.push((await registry.getSigningKey(op, k)).pubkey);
  const ours = "0x01" + "00".repeat(11) + (await t.withdrawalVault.getAddress()).slice(2).toLowerCase();
  const { state, planted } = await mainnetShapedState({
    validatorCount: 1_234_568,
    ours: PLANTED.length,
    seed: "bench-facts",
    slot: Number(SLOT),
    fields: (j) => {
      const k = PLANTED[j];
      const exited = k === KEY.exited || k === KEY.exitedSecond;
      const foreign = k === KEY.foreignInTransit || k === KEY.foreignUndeposited;
      return {
        pubkey: pubkeys[j],
        withdrawalCredentials: foreign ? "0x01" + "00".repeat(11) + "bb".repeat(20) : ours,
        effectiveBalanceGwei: 32_000_000_000n,
        slashed: k === KEY.slashed,
        exitEpoch: k === KEY.slashed ? EPOCH - 10n : exited ? EPOCH - 300n : FAR_FUTURE_EPOCH,
        withdrawableEpoch: k === KEY.slashed ? EPOCH + 8_192n : exited ? EPOCH - 44n : FAR_FUTURE_EPOCH,
      };
    },
  });
  const header = headerFor(state, {
    slot: SLOT,
    proposerIndex: 424_242n,
    parentRoot: hexlify(new Uint8Array(32).fill(0x11)),
    bodyRoot: hexlify(new Uint8Array(32).fill(0x22)),
  });
  await hre.network.provider.request({ method: "hardhat_impersonateAccount", params: [SYSTEM_ADDRESS] });
  await hre.network.provider.request({ method: "hardhat_setBalance", params: [SYSTEM_ADDRESS, "0xde0b6b3a7640000"] });
  const system = await hre.ethers.getSigner(SYSTEM_ADDRESS);
  const receipt = await (await system.sendTransaction({ to: BEACON_ROOTS, data: headerRoot(header) })).wait();
  const blockTimestamp = (await hre.ethers.provider.getBlock(receipt!.blockNumber))!.timestamp;

  const layout = await electraLayout();
  const fact = async (key: Key) => {
    const v = await buildValidatorProof(state, layout, planted[PLANTED.indexOf(key)].index);
    return { operatorId: key[0], keyIndex: key[1], blockTimestamp, header, ...v };
  };
  const asProver = facts.connect(prover);

  gas["proof.slashed.firstForOperator"] = await gasOf("proveSlashed", asProver.proveSlashed(await fact(KEY.slashed)));
  gas["proof.exited.firstForOperator"] = await gasOf("proveExited", asProver.proveExited(await fact(KEY.exited)));
  gas["proof.exited.secondForOperator"] = await gasOf(
    "proveExited (second)",
    asProver.proveExited(await fact(KEY.exitedSecond)),
  );

  await emptyWithdrawalRequestQueue();
  const fee = await facts.exitRequestFee();
  const calldata = facts.interface.encodeFunctionData("proveLateExit", [
    await fact(KEY.late),
    { requestsRoot, siblings: [] },
  ]);
  gas["proof.lateExit"] = await gasOf(
    "proveLateExit",
    prover.sendTransaction({ to: await facts.getAddress(), data: calldata, value: fee }),
  );
  await emptyWithdrawalRequestQueue();
  gas["forceExit"] = await gasOf(
    "forceExit",
    facts.connect(t.admin).forceExit(...KEY.governance, { value: await facts.exitRequestFee() }),
  );
  gas["proof.foreignCredentials.undeposited"] = await gasOf(
    "proveForeignCredentials (undeposited)",
    asProver.proveForeignCredentials(await fact(KEY.foreignUndeposited)),
  );
  gas["proof.foreignCredentials.depositInTransit"] = await gasOf(
    "proveForeignCredentials (in transit)",
    asProver.proveForeignCredentials(await fact(KEY.foreignInTransit)),
  );
  const bytes = getBytes(calldata).length.toLocaleString("en-US");
  return [
    "`proof.*` and `forceExit` are whole transactions on the deployed protocol against one EIP-4788 root of a " +
      "1,234,568-validator state. `forceExit` is governance's direct forced exit and `proof.lateExit` the permissionless " +
      "one (`proveLateExit`, the operator's first fact: exact EIP-7002 fee sent, no excess; a one-request report, so no " +
      `Merkle siblings; ${bytes} calldata bytes: it also verifies the proof, refunds the fee and takes the penalty from ` +
      "the bond, and holds the operator's deposits), each with the EIP-7002 queue empty and its first entry's slots fresh " +
      "(the predeploy's dearest request: 118,745 of either). `proof.foreignCredentials.depositInTransit` writes off " +
      "a key deposited after the last report (32 ETH: bond, then insurance); `.undeposited` only freezes the keys.",
  ];
}
