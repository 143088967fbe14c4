/**
 * Gas targets from the issues, with the peers' figures measured the same way (whole transaction,
 * same Hardhat version). `npm run bench` fails when a measured operation exceeds its target.
 */
export interface GasTarget {
  target: number;
  lido: string;
  others: string;
  /**
   * Set while the target belongs to an open issue and is not met yet: the row shows how far off it
   * is, but does not fail the benchmark. Remove it once the target holds.
   */
  pending?: string;
}

export const GAS_TARGETS: Record<string, GasTarget> = {
  "stake.newHolder": {
    target: 66_000,
    lido: "89,289",
    others: "Frax 66,564 · ether.fi 122,098 · Rocket Pool 189,967",
  },
  "stake.repeatHolder": {
    target: 49_000,
    lido: "72,189",
    others: "Frax 49,464 · ether.fi 104,998 · Rocket Pool 172,867",
  },
  "tpETH.transfer.newHolder": {
    target: 64_000,
    lido: "84,302 (stETH)",
    others: "ether.fi eETH 91,657 (rebasing); Frax 51,373, Rocket Pool 59,409 (non-rebasing)",
  },
  "wrap.newHolder": { target: 79_000, lido: "108,882 (wstETH)", others: "sfrxETH deposit 79,894 · weETH 168,855" },
  unwrap: { target: 60_000, lido: "91,194", others: "sfrxETH redeem 56,421–61,221 · weETH 110,099" },
  "ethToWtpETH.newHolder": { target: 85_000, lido: "147,397", others: "Frax submitAndDeposit 105,612" },
  "deposit.batch10.perValidator.ops1": {
    target: 70_000,
    lido: "97,925 (979,250 / 10, without guardian checks)",
    others: "",
  },
  "deposit.batch10.perValidator.ops100": { target: 70_000, lido: "", others: "within 5% of ops1 and ops1000" },
  "deposit.batch10.perValidator.ops1000": { target: 70_000, lido: "", others: "within 5% of ops1 and ops100" },
  "report.quorum.daily": {
    target: 200_000,
    lido: "≈ 889,000 (quorum vote 98,818 + report data 563,651 + extra data 226,320)",
    others: "",
  },
  "report.quorum.daily.ops1000": { target: 200_000, lido: "", others: "within 5% of report.quorum.daily" },
  "report.quorum.daily.holders10000": { target: 200_000, lido: "", others: "within 5% of report.quorum.daily" },
  "report.vote": { target: 70_000, lido: "70,256–76,090 per other member", others: "" },
  "report.vote.after200Changes": {
    target: 70_000,
    lido: "",
    others: "another member changed its vote 200 times in the frame (584,813 before variants were reused)",
  },
  // MAX_EXIT_REQUESTS_CAP is derived from these two (AccountingOracle, docs/oracle.md).
  "report.quorum.exitRequest.marginal": {
    target: 21_100,
    lido: "",
    others: "one more exit request in a report, each another operator's key (the cap's derivation assumes ≤ 21,100)",
  },
  "report.quorum.exitRequestsAtCap": {
    target: 13_000_000,
    lido: "",
    others: "MAX_EXIT_REQUESTS_CAP (600) exit requests: ≤ 36% of a 36M-gas block, < 2^24 per transaction (EIP-7825)",
  },
  "report.quorum.after200Changes": {
    target: 205_000,
    lido: "",
    others: "report.quorum.daily plus the churning member's one variant to scan",
  },
  "withdrawal.request.firstForOwner": {
    target: 150_000,
    lido: "249,346",
    others: "ether.fi 216,892 · Stader 307,349 · Swell 305,687",
  },
  "withdrawal.request.subsequent": {
    target: 115_000,
    lido: "198,046",
    others: "ether.fi 182,692 · Stader 256,049 · Swell 277,087",
  },
  "withdrawal.claim.withHint": {
    target: 62_000,
    lido: "85,278",
    others: "Stader 65,185 · Swell 84,541 · ether.fi 134,985",
  },
  // The rule is relative (≤ 60,000 above report.quorum.daily; bench.ts checks it); the
  // absolute bound follows from the daily report's own target.
  "report.quorum.finalize10": {
    target: 260_000,
    lido: "855,016 − 563,651 for 13 requests",
    others: "≤ 60,000 above report.quorum.daily",
  },
  "report.quorum.finalize10000": { target: 260_000, lido: "", others: "within 5% of report.quorum.finalize10" },
  instantRedeem: { target: 70_000, lido: "—", others: "Rocket Pool rETH burn 206,150 · ether.fi 288,496" },
  // Issue 17: execution gas of verification alone (harness), not a whole transaction.
  "proof.verifyValidator": {
    target: 30_000,
    lido: "CSM processWithdrawalProof 56,410–103,498 (execution)",
    others: "plain verifier of a 50-sibling proof: ~90,710 as a whole tx (2,084 calldata bytes)",
  },
  // Issue 17: whole transactions on the deployed protocol against a 1,234,568-validator state, the
  // first proof for an operator being the dearest honest case (docs/gas.md has where the gas goes).
  "proof.slashed.firstForOperator": {
    target: 125_000,
    lido: "CSM processWithdrawalProof 56,410–103,498 (execution)",
    others: "",
  },
  "proof.exited.firstForOperator": {
    target: 125_000,
    lido: "CSM processWithdrawalProof 56,410–103,498 (execution)",
    others: "",
  },
  "proof.exited.secondForOperator": {
    target: 125_000,
    lido: "CSM processWithdrawalProof 56,410–103,498 (execution)",
    others: "",
  },
  // Governance's direct forced exit (`forceExit`), the EIP-7002 queue empty and its first entry's
  // slots fresh (the predeploy's dearest request); gasUsed never includes the fee.
  forceExit: {
    target: 250_000,
    lido: "",
    others: "one EIP-7002 request from an EOA: 135,745 as a whole tx (Anvil)",
  },
  // Issue 20: against LayerZero's endpoint mock, next to LayerZero's own OFT/OFTAdapter measured
  // the same way (bench/bridge.ts; `*.lz*` rows). Targets: LayerZero's figure + 10,000, also
  // checked against the figure measured in the same run (relativeLimitFailures).
  "bridge.send": {
    target: 161_103,
    lido: "",
    others: "LayerZero OFTAdapter 151,103 (send incl. the mock's delivery and mint)",
  },
  "bridge.receive": { target: 50_959, lido: "", others: "LayerZero OFT 40,959 (lzReceive, a mint)" },
  "rate.push": {
    target: 161_103,
    lido: "",
    others: "LayerZero OFTAdapter send 151,103 (incl. the mock's delivery)",
  },
  "rate.receive": { target: 50_959, lido: "", others: "LayerZero OFT lzReceive 40,959" },
};

/** Issue 20: our bridge/rate figure and LayerZero's plain one it may exceed by at most 10,000. */
const BRIDGE_BASELINES: readonly [string, string][] = [
  ["bridge.send", "bridge.send.lzOftAdapter"],
  ["bridge.receive", "bridge.receive.lzOft"],
  ["rate.push", "bridge.send.lzOftAdapter"],
  ["rate.receive", "bridge.receive.lzOft"],
];

/**
 * The limits that compare measurements with each other rather than with a target: deposits with
 * 1, 100 and 1,000 operators within 5% (issue 3); the daily report independent of operators and
 * holders (issue 4); finalizing at most 60,000 gas over the daily report, and 10,000 requests in the
 * queue changing neither requests, claims nor finalization by 5% (issue 5). Returns one message per
 * limit exceeded.
 */
export function relativeLimitFailures(gas: Record<string, number>): string[] {
  const failures: string[] = [];
  for (const [ours, plain] of BRIDGE_BASELINES) {
    if (gas[ours] !== undefined && gas[ours] > gas[plain] + 10_000) {
      failures.push(`${ours} ${gas[ours]} exceeds LayerZero's ${plain} ${gas[plain]} by more than 10,000`);
    }
  }
  const deposits = [1, 100, 1000].map((n) => gas[`deposit.batch10.perValidator.ops${n}`]);
  const spread = (Math.max(...deposits) - Math.min(...deposits)) / Math.min(...deposits);
  if (spread > 0.05) {
    failures.push(`deposit gas differs by ${(spread * 100).toFixed(2)}% across operator counts (limit 5%)`);
  }
  const base = gas["report.quorum.daily"];
  for (const key of ["report.quorum.daily.ops1000", "report.quorum.daily.holders10000"]) {
    const diff = Math.abs(gas[key] - base) / base;
    if (diff >= 0.05) {
      failures.push(`${key} differs from report.quorum.daily by ${(diff * 100).toFixed(2)}% (limit < 5%)`);
    }
  }
  const finalizeExtra = gas["report.quorum.finalize10"] - base;
  if (finalizeExtra > 60_000) {
    failures.push(`finalizing 10 requests adds ${finalizeExtra} gas to the daily report (limit 60,000)`);
  }
  for (const [key, other] of [
    ["report.quorum.finalize10", "report.quorum.finalize10000"],
    ["withdrawal.request.subsequent", "withdrawal.request.subsequent.queue10000"],
    ["withdrawal.request.firstForOwner", "withdrawal.request.firstForOwner.queue10000"],
    ["withdrawal.claim.withHint", "withdrawal.claim.withHint.queue10000"],
    ["withdrawal.claim.withHint.olderOfTwo", "withdrawal.claim.withHint.olderOfTwo.queue10000"],
  ]) {
    const diff = Math.abs(gas[other] - gas[key]) / gas[key];
    if (diff >= 0.05) {
      failures.push(`${other} differs from ${key} by ${(diff * 100).toFixed(2)}% (limit < 5%)`);
    }
  }
  return failures;
}
