/**
 * Amounts and rates are rounded half up, never truncated (10 ETH staked never reads 9.999999 ETH),
 * and parsed back exactly.
 */
import { expect } from "chai";
import {
  TidepoolSdkError,
  duration,
  eth,
  parseEth,
  parseEthText,
  parsePercentBP,
  percentBP,
  rateText,
  ratio,
  shareRateText,
} from "../../sdk/src";

const ETHER = 10n ** 18n;

describe("SDK: formatting and parsing", function () {
  it("rounds amounts half up to 6 decimals by default", function () {
    expect(eth(10n * ETHER - 1n)).to.equal("10 ETH");
    expect(eth(1_234_567_500_000_000_000n)).to.equal("1.234568 ETH"); // 1.2345675
    expect(eth(1_234_567_499_999_999_999n)).to.equal("1.234567 ETH");
    expect(eth(9_999_999_499_999_999_999n)).to.equal("9.999999 ETH");
    expect(eth(9_999_999_500_000_000_000n)).to.equal("10 ETH");
    expect(eth(0n)).to.equal("0 ETH");
    expect(eth(499_999_999_999n)).to.equal("0 ETH");
    expect(eth(500_000_000_000n)).to.equal("0.000001 ETH");
  });

  it("takes decimals and a unit, and keeps the sign", function () {
    expect(eth(1n, 18)).to.equal("0.000000000000000001 ETH");
    expect(eth(1_500_000_000_000_000_000n, 0)).to.equal("2 ETH");
    expect(eth(1_234_567_890_123_456_789n, 3, "tpETH")).to.equal("1.235 tpETH");
    expect(eth(1_250_000_000_000_000_000n, 6, "")).to.equal("1.25");
    expect(eth(-(10n * ETHER - 1n))).to.equal("-10 ETH");
    expect(eth(-1n)).to.equal("0 ETH");
  });

  it("rounds rates half up", function () {
    expect(ratio(2n, 3n, 9)).to.equal("0.666666667");
    expect(ratio(999_999_999_999n, 1_000_000_000_000n, 9)).to.equal("1.000000000");
    expect(rateText(ETHER - 1n)).to.equal("1.000000000");
    expect(rateText(1_000_000_000_500_000_000n)).to.equal("1.000000001");
    expect(rateText(1_000_000_000_499_999_999n)).to.equal("1.000000000");
    expect(rateText(1_050_000_000_000_000_000n, 2)).to.equal("1.05");
    expect(shareRateText(101n * ETHER, 100n * ETHER, 9)).to.equal("1.010000000");
    expect(shareRateText(ETHER, 0n)).to.equal("n/a");
  });

  it("writes basis points as percentages", function () {
    expect(percentBP(345n)).to.equal("3.45%");
    expect(percentBP(5n)).to.equal("0.05%");
    expect(percentBP(10_000n)).to.equal("100%");
    expect(percentBP(-20n)).to.equal("-0.2%");
    expect(percentBP(0n)).to.equal("0%");
  });

  it("parses amounts exactly, refusing what is not one", function () {
    expect(parseEthText("1.5")).to.equal(1_500_000_000_000_000_000n);
    expect(parseEthText(" .5 ")).to.equal(ETHER / 2n);
    expect(parseEthText("2.")).to.equal(2n * ETHER);
    expect(parseEthText("0.000000000000000001")).to.equal(1n);
    expect(parseEthText("0.0000000000000000001")).to.equal(undefined);
    expect(parseEthText("-1")).to.equal(undefined);
    expect(parseEthText("1e18")).to.equal(undefined);
    expect(parseEth("10")).to.equal(10n * ETHER);
    expect(() => parseEth("ten", "tpETH"))
      .to.throw(TidepoolSdkError)
      .with.property("sentence", '"ten" is not an amount of tpETH (for example 1.5).');
    expect(() => parseEth("  ")).to.throw(TidepoolSdkError, "Enter an amount of ETH.");
  });

  it("parses percentages to basis points", function () {
    expect(parsePercentBP("0.5")).to.equal(50n);
    expect(parsePercentBP("0.5 %")).to.equal(50n);
    expect(parsePercentBP(".25")).to.equal(25n);
    expect(parsePercentBP("12")).to.equal(1_200n);
    expect(parsePercentBP("100")).to.equal(10_000n);
    expect(parsePercentBP("100.01")).to.equal(undefined);
    expect(parsePercentBP("0.125")).to.equal(undefined);
    expect(parsePercentBP("-1")).to.equal(undefined);
    expect(parsePercentBP("")).to.equal(undefined);
  });

  it("writes durations", function () {
    expect(duration(0n)).to.equal("0s");
    expect(duration(90_061n)).to.equal("1d 1h 1m 1s");
    expect(duration(3_600n)).to.equal("1h");
  });
});
