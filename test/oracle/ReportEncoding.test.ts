import { expect } from "chai";
import hre from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, concat, dataSlice, keccak256, parseEther, toBeHex, zeroPadValue } from "ethers";
import {
  advanceFrames,
  buildReport,
  deployWithValidators,
  reportHash,
  toGwei,
  type OracleFixture,
  type ReportData,
} from "../helpers/oracle-fixtures";
import { REPORT_DATA_ABI_TYPE } from "../../sdk/src/report";

/**
 * Members vote on keccak256(abi.encode(data)); the oracle hashes the report straight from the calldata,
 * which it requires to be the canonical encoding, so the two are always the same bytes.
 */
describe("AccountingOracle report encoding", function () {
  /** A report with every array non-empty (the arrays need not be valid: the vote is refused or counted first). */
  function fullReport(refSlot: bigint): ReportData {
    return buildReport(refSlot, {
      numValidators: 3n,
      clBalanceGwei: toGwei(parseEther("96.01")),
      operatorIdsWithLosses: [0n, 2n],
      operatorLossesGwei: [5n, 6n],
      exitOperatorIds: [1n],
      exitKeyIndices: [7n],
      finalizationBatches: [3n, 4n, 9n],
      exitedKeys: [(1n << 128n) | 2n],
      keyLosses: [(2n << 192n) | (3n << 64n) | 6n],
    });
  }

  /** The calldata ethers would send for `submitReport(data)`. */
  function canonicalCalldata(f: OracleFixture, data: ReportData): string {
    return f.oracle.interface.encodeFunctionData("submitReport", [data]);
  }

  it("records and emits keccak256(abi.encode(data)) for a report whose arrays are all non-empty", async function () {
    const f = await loadFixture(deployWithValidators);
    const refSlot = await advanceFrames(hre.network.provider, f.oracle);
    const data = fullReport(refSlot);
    const expected = keccak256(AbiCoder.defaultAbiCoder().encode([REPORT_DATA_ABI_TYPE], [data]));
    expect(reportHash(data)).to.equal(expected);
    const member = f.oracleMembers[0];
    await expect(f.oracle.connect(member).submitReport(data))
      .to.emit(f.oracle, "ReportSubmitted")
      .withArgs(refSlot, member.address, expected);
    const [, hashes, support] = await f.oracle.getReportVariants();
    expect([...hashes]).to.deep.equal([expected]);
    expect([...support]).to.deep.equal([1n]);
  });

  it("refuses calldata that decodes to a report but is not its canonical encoding, recording nothing", async function () {
    const f = await loadFixture(deployWithValidators);
    const refSlot = await advanceFrames(hre.network.provider, f.oracle);
    const member = f.oracleMembers[0];
    const to = await f.oracle.getAddress();
    const canonical = canonicalCalldata(f, fullReport(refSlot));
    const word = (i: number) => dataSlice(canonical, 4 + 32 * i, 4 + 32 * (i + 1));
    const words = Array.from({ length: (canonical.length - 10) / 64 }, (_, i) => word(i));
    const selector = dataSlice(canonical, 0, 4);
    const withWord = (index: number, value: bigint) =>
      concat([selector, ...words.map((w, i) => (i === index ? zeroPadValue(toBeHex(value), 32) : w))]);

    const malformed = {
      "trailing bytes": concat([canonical, zeroPadValue("0x01", 32)]),
      "isBunkerMode = 2": withWord(1 + 6, 2n),
      // The struct moved one word later, with a padding word before it: the same report to a decoder.
      "struct offset 0x40": concat([
        selector,
        zeroPadValue(toBeHex(0x40n), 32),
        zeroPadValue("0x", 32),
        ...words.slice(1),
      ]),
      // The first array's offset pointed one word further, past a padding word.
      "a gap before the first array": concat([
        selector,
        ...words.slice(0, 8),
        ...words.slice(8, 15).map((w) => zeroPadValue(toBeHex(BigInt(w) + 32n), 32)),
        zeroPadValue("0x", 32),
        ...words.slice(15),
      ]),
    };
    const before = await f.oracle.getReportVariants();
    for (const [name, calldata] of Object.entries(malformed)) {
      await expect(member.sendTransaction({ to, data: calldata }), name).to.be.revertedWithCustomError(
        f.oracle,
        "NonCanonicalReportEncoding",
      );
    }
    expect(await f.oracle.getReportVariants()).to.deep.equal(before);
    // The canonical encoding of the same report goes through.
    await expect(member.sendTransaction({ to, data: canonical })).to.emit(f.oracle, "ReportSubmitted");
  });
});
