/**
 * Beacon-state proofs (issue 17): verification alone, measured inside a harness between two
 * `gasleft()` reads (EIP-4788 read, fork schedule read, hashing; no transaction base cost, calldata or
 * dispatch), and the whole transaction of a call to the verifier, with its calldata size. The state is
 * mainnet-shaped: 1,234,568 validators, so a validator proof carries 21 list siblings.
 */
import hre from "hardhat";
import { getBytes, hexlify } from "ethers";
import type { BeaconProofVerifier__Harness } from "../typechain-types";
import {
  buildBalanceProof,
  buildValidatorProof,
  electraLayout,
  headerFor,
  headerRoot,
} from "../offchain/prover/proofs";
import { mainnetShapedState } from "../test/helpers/beacon-state";
import { gasOf, type Gas } from "./measure";

const BEACON_ROOTS = "0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02";
const SYSTEM_ADDRESS = "0xfffffffffffffffffffffffffffffffffffffffe";

/** Measures the proof rows; returns notes for bench/gas.md (calldata sizes). */
export async function proofBenchmarks(gas: Gas): Promise<string[]> {
  const [admin] = await hre.ethers.getSigners();
  const slot = 11_000_000n;
  const latest = await hre.ethers.provider.getBlock("latest");
  const harness = (await hre.ethers.deployContract("BeaconProofVerifier__Harness", [
    admin.address,
    BigInt(latest!.timestamp) - 12n * (slot + 10n),
    12,
    0,
  ])) as unknown as BeaconProofVerifier__Harness;
  const { state, planted } = await mainnetShapedState({
    validatorCount: 1_234_568,
    ours: 1,
    seed: "bench",
    slot: 11_000_000,
  });
  const header = headerFor(state, {
    slot,
    proposerIndex: 424_242n,
    parentRoot: hexlify(new Uint8Array(32).fill(0x11)),
    bodyRoot: hexlify(new Uint8Array(32).fill(0x22)),
  });
  await hre.network.provider.request({ method: "hardhat_impersonateAccount", params: [SYSTEM_ADDRESS] });
  await hre.network.provider.request({ method: "hardhat_setBalance", params: [SYSTEM_ADDRESS, "0xde0b6b3a7640000"] });
  const system = await hre.ethers.getSigner(SYSTEM_ADDRESS);
  const receipt = await (await system.sendTransaction({ to: BEACON_ROOTS, data: headerRoot(header) })).wait();
  const timestamp = (await hre.ethers.provider.getBlock(receipt!.blockNumber))!.timestamp;

  const layout = await electraLayout();
  const v = await buildValidatorProof(state, layout, planted[0].index);
  const b = await buildBalanceProof(state, layout, planted[0].index);
  gas["proof.verifyValidator"] = Number(
    await harness.gasOfVerifyValidator(timestamp, header, v.validatorIndex, v.validator, v.proof),
  );
  gas["proof.verifyBalance"] = Number(
    await harness.gasOfVerifyBalance(timestamp, header, b.validatorIndex, b.balancesChunk, b.proof),
  );
  const validatorData = harness.interface.encodeFunctionData("verifyValidator", [
    timestamp,
    header,
    v.validatorIndex,
    v.validator,
    v.proof,
  ]);
  const balanceData = harness.interface.encodeFunctionData("verifyBalance", [
    timestamp,
    header,
    b.validatorIndex,
    b.balancesChunk,
    b.proof,
  ]);
  gas["proof.verifyValidator.tx"] = await gasOf(
    "proof.verifyValidator.tx",
    admin.sendTransaction({ to: await harness.getAddress(), data: validatorData }),
  );
  gas["proof.verifyBalance.tx"] = await gasOf(
    "proof.verifyBalance.tx",
    admin.sendTransaction({ to: await harness.getAddress(), data: balanceData }),
  );
  const size = (data: string) => {
    const bytes = getBytes(data);
    const zero = bytes.filter((x) => x === 0).length;
    return `${bytes.length.toLocaleString("en-US")} bytes (${(bytes.length - zero).toLocaleString("en-US")} non-zero; proof ${getBytes(data === validatorData ? v.proof : b.proof).length.toLocaleString("en-US")})`;
  };
  return [
    `\`proof.verifyValidator.tx\` calldata: ${size(validatorData)}; \`proof.verifyBalance.tx\` calldata: ${size(balanceData)}. ` +
      "`proof.verifyValidator` and `proof.verifyBalance` are execution gas of verification alone (harness).",
  ];
}
