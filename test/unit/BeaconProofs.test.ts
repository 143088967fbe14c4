import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-toolbox/network-helpers";
import { concat, getBytes, hexlify, keccak256, sha256, toUtf8Bytes } from "ethers";
import type { BeaconProofVerifier__Harness } from "../../typechain-types";

/** sha256(a ‖ b) as hex. */
const hashPair = (a: string, b: string) => sha256(concat([a, b]));
const ZERO = hexlify(new Uint8Array(32));
const ZERO_HASHES: string[] = [ZERO];
while (ZERO_HASHES.length < 49) ZERO_HASHES.push(hashPair(ZERO_HASHES.at(-1)!, ZERO_HASHES.at(-1)!));
const word = (seed: string) => keccak256(toUtf8Bytes(seed));
/** A uint64 as an SSZ chunk: 8 little-endian bytes, 24 zero bytes. */
function chunkOf(value: bigint): string {
  const chunk = new Uint8Array(32);
  new DataView(chunk.buffer).setBigUint64(0, value, true);
  return hexlify(chunk);
}

describe("BeaconProofs", function () {
  async function deployed() {
    const [admin] = await hre.ethers.getSigners();
    const harness = (await hre.ethers.deployContract("BeaconProofVerifier__Harness", [
      admin.address,
      0,
      12,
      0,
    ])) as unknown as BeaconProofVerifier__Harness;
    return { harness };
  }

  it("walks through the empty subtrees of every depth up to 48 and mixes in the length", async function () {
    const { harness } = await loadFixture(deployed);
    const node = word("node");
    const length = chunkOf(1_234_568n);
    for (let from = 0; from <= 48; from++) {
      const limits = new Set([from, from + 1, from + 2, 38, 40, 47, 48].filter((l) => l >= from && l <= 48));
      for (const limit of limits) {
        let expected = node;
        for (let k = from; k < limit; k++) expected = hashPair(expected, ZERO_HASHES[k]);
        expected = hashPair(expected, length);
        expect(await harness.listRootOf(node, from, limit, length), `from ${from} to ${limit}`).to.equal(expected);
      }
    }
  });

  it("walks a branch of any length, odd or even, with the index's bits choosing the sides", async function () {
    const { harness } = await loadFixture(deployed);
    for (let count = 0; count <= 9; count++) {
      const siblings = Array.from({ length: count }, (_, i) => word(`sibling ${count}/${i}`));
      for (const index of [0n, 1n, 0b1011010110n, (1n << BigInt(count)) - 1n, 0x5a5a5a5a5n]) {
        let expected = word("leaf");
        for (let i = 0; i < count; i++) {
          expected = (index >> BigInt(i)) & 1n ? hashPair(siblings[i], expected) : hashPair(expected, siblings[i]);
        }
        const got = await harness.walkOf(word("leaf"), index, siblings.length ? concat(siblings) : "0x");
        expect(got, `count ${count}, index ${index}`).to.equal(expected);
      }
    }
  });

  it("swaps four lanes at once as toChunk swaps one number", async function () {
    const { harness } = await loadFixture(deployed);
    for (const value of [0n, 1n, 32_000_000_000n, 0x0102030405060708n, 2n ** 64n - 1n]) {
      const [chunk, swapped] = await harness.chunksOf(value);
      expect(chunk).to.equal(chunkOf(value));
      expect(hexlify(getBytes(chunk).slice(0, 8))).to.equal(hexlify(getBytes(hexlify(toWord(swapped))).slice(24)));
    }
  });
});

function toWord(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}
