/**
 * The web app's bridge logic without a browser (app/src/bridge.ts) and the build's bridge config
 * (app/server/dev.ts `appDeployments`): which chains a build knows from the Ignition records, and
 * the sentences of a send's checks, quote, rate and arrival, to the character.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { parseEther } from "ethers";
import { appDeploymentOf, appDeployments } from "../../app/server/dev";
import {
  bridgeConfig,
  feeProblem,
  hasArrived,
  inFlightText,
  quoteText,
  rateText,
  sendProblem,
  type InFlight,
  type SendContext,
} from "../../app/src/bridge";
import { BRIDGE_DEPLOYMENT_KEYS } from "../../sdk/src/bridge";
import { POOL_DEPLOYMENT_KEY } from "../../sdk/src/deployments";

const POOL = "0x1111111111111111111111111111111111111111";
const ADAPTER = "0x2222222222222222222222222222222222222222";
const OFT = "0x3333333333333333333333333333333333333333";
const RATE = "0x4444444444444444444444444444444444444444";
const OFT_B = "0x5555555555555555555555555555555555555555";
const RATE_B = "0x6666666666666666666666666666666666666666";
const label = (id: bigint): string => ({ "31337": "Local Hardhat (31337)", "31339": "Local L2 (31339)" })[String(id)]!;

describe("App: the wtpETH bridge's config and checks", function () {
  describe("config from the Ignition records", function () {
    let dir: string;
    const write = (chainId: number, record: Record<string, string>): void => {
      const d = path.join(dir, "deployments", `chain-${chainId}`);
      fs.mkdirSync(d, { recursive: true });
      fs.writeFileSync(path.join(d, "deployed_addresses.json"), JSON.stringify(record));
    };
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "tidepool-app-bridge-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("keeps a pool-only record exactly as before (no bridge key)", function () {
      write(31337, { [POOL_DEPLOYMENT_KEY]: POOL.toLowerCase() });
      expect(appDeployments(dir, { "31337": "http://127.0.0.1:8545" })).to.deep.equal({
        "31337": { pool: POOL, rpcUrl: "http://127.0.0.1:8545" },
      });
    });

    it("adds the home adapter, and a remote chain's OFT and RateOracle with its read RPC; ignores other records", function () {
      write(31337, { [POOL_DEPLOYMENT_KEY]: POOL, [BRIDGE_DEPLOYMENT_KEYS.adapter]: ADAPTER });
      write(31339, { [BRIDGE_DEPLOYMENT_KEYS.remoteOft]: OFT, [BRIDGE_DEPLOYMENT_KEYS.remoteRateOracle]: RATE });
      // An OFT without its RateOracle is not a remote chain of the bridge's modules.
      write(5, { [BRIDGE_DEPLOYMENT_KEYS.remoteOft]: OFT_B });
      expect(appDeployments(dir, { "31339": "http://127.0.0.1:8546" })).to.deep.equal({
        "31337": { pool: POOL, bridge: { adapter: ADAPTER } },
        "31339": { rpcUrl: "http://127.0.0.1:8546", remote: { oft: OFT, rateOracle: RATE } },
      });
      expect(
        appDeploymentOf({
          [BRIDGE_DEPLOYMENT_KEYS.remoteOft]: "not an address",
          [BRIDGE_DEPLOYMENT_KEYS.remoteRateOracle]: RATE,
        }),
      ).to.equal(undefined);
    });

    it("gives a home chain its bridge with every remote chain, lowest chain id first; none without an adapter", function () {
      const book = {
        "1": { pool: POOL },
        "31337": { pool: POOL, rpcUrl: "http://home", bridge: { adapter: ADAPTER } },
        "31340": { remote: { oft: OFT_B, rateOracle: RATE_B } },
        "31339": { rpcUrl: "http://l2", remote: { oft: OFT, rateOracle: RATE } },
      };
      expect(bridgeConfig(book, 1n)).to.equal(undefined);
      expect(bridgeConfig(book, 31339n)).to.equal(undefined);
      expect(bridgeConfig(book, 31337n)).to.deep.equal({
        home: { chainId: 31337n, kind: "home", bridge: ADAPTER, rpcUrl: "http://home" },
        remotes: [
          { chainId: 31339n, kind: "remote", bridge: OFT, rateOracle: RATE, rpcUrl: "http://l2" },
          { chainId: 31340n, kind: "remote", bridge: OFT_B, rateOracle: RATE_B, rpcUrl: undefined },
        ],
      });
    });
  });

  describe("a send's checks", function () {
    const ok: SendContext = {
      from: "Local Hardhat (31337)",
      to: "Local L2 (31339)",
      balance: parseEther("2"),
      paused: false,
      destinationPaused: false,
      connected: true,
      available: parseEther("1000"),
    };

    it("accepts an amount within the balance and the limit, dust included", function () {
      expect(sendProblem(parseEther("2"), ok)).to.equal(undefined);
      expect(sendProblem(parseEther("1.5") + 123n, ok)).to.equal(undefined);
      expect(sendProblem(10n ** 12n, { ...ok, balance: undefined })).to.equal(undefined);
    });

    it("refuses in one sentence each: not connected, paused, over the balance, zero after dust, over the limit", function () {
      expect(sendProblem(1n, { ...ok, connected: false })).to.equal(
        "Local L2 (31339) is not connected to the bridge on Local Hardhat (31337): choose another destination.",
      );
      expect(sendProblem(parseEther("1"), { ...ok, paused: true })).to.equal(
        "The bridge is paused on Local Hardhat (31337) right now. Please try again later.",
      );
      expect(sendProblem(parseEther("1"), { ...ok, destinationPaused: true })).to.equal(
        "The bridge is paused on Local L2 (31339): what you send would wait there until it resumes. Please try again later.",
      );
      expect(sendProblem(parseEther("2") + 1n, ok)).to.equal(
        "2 wtpETH is more than your wtpETH on Local Hardhat (31337) (2 wtpETH).",
      );
      expect(sendProblem(parseEther("2.5"), { ...ok, balance: parseEther("2.0000009") })).to.equal(
        "2.5 wtpETH is more than your wtpETH on Local Hardhat (31337) (2 wtpETH).",
      );
      expect(sendProblem(10n ** 12n - 1n, ok)).to.equal(
        "0.000000999999999999 wtpETH is less than the bridge's smallest amount (0.000001 wtpETH): nothing would arrive.",
      );
      expect(sendProblem(parseEther("1.5") + 5n, { ...ok, available: parseEther("1.2345678") })).to.equal(
        "1.5 wtpETH is more than can be sent from Local Hardhat (31337) to Local L2 (31339) right now (the path's rate limit): at most 1.234567 wtpETH.",
      );
      expect(sendProblem(parseEther("1"), { ...ok, available: 10n ** 12n - 1n })).to.equal(
        "Nothing can be sent from Local Hardhat (31337) to Local L2 (31339) right now: the path's rate limit is used up. Please try again later.",
      );
    });

    it("checks the limit against what leaves (the amount less the dust)", function () {
      const available = parseEther("1");
      expect(sendProblem(available + 10n ** 12n - 1n, { ...ok, available })).to.equal(undefined);
      expect(sendProblem(available + 10n ** 12n, { ...ok, available })).to.not.equal(undefined);
    });

    it("refuses a fee above the ETH balance, and says nothing without an account", function () {
      expect(feeProblem(10n ** 14n, 10n ** 14n - 1n, "Local L2 (31339)")).to.equal(
        "Not enough ETH on Local L2 (31339) for LayerZero's fee: the fee is 0.0001 ETH, you have 0.000099 ETH.",
      );
      expect(feeProblem(10n ** 14n, 10n ** 14n, "Local L2 (31339)")).to.equal(undefined);
      expect(feeProblem(10n ** 14n, undefined, "Local L2 (31339)")).to.equal(undefined);
    });
  });

  describe("what the page says", function () {
    const recipient = "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01";

    it("quotes what arrives, the dust that stays, the fee and the path's remaining limit", function () {
      const q = {
        fromChainId: 31337n,
        toChainId: 31339n,
        recipient,
        amount: parseEther("1.5") + 123n,
        sent: parseEther("1.5"),
        received: parseEther("1.5"),
        nativeFee: 10n ** 14n,
        available: parseEther("998.5") + 7n,
      };
      expect(quoteText(q, label, true)).to.equal(
        "1.5 wtpETH arrives on Local L2 (31339) (0.000000000000000123 wtpETH below the bridge's 6 decimals stays with you) · LayerZero fee 0.0001 ETH · this path can take 998.5 wtpETH more right now.",
      );
      expect(quoteText({ ...q, amount: q.sent }, label, false)).to.equal(
        "1.5 wtpETH arrives on Local L2 (31339) for 0xAbCd…Ef01 · LayerZero fee 0.0001 ETH · this path can take 998.5 wtpETH more right now.",
      );
    });

    it("gives the remote rate with its age, and says stale when the oracle does", function () {
      const r = {
        rate: parseEther("1.0123456789"),
        refTime: 1_000_000n,
        now: 1_000_000n + 3n * 3600n + 125n,
        stale: false,
        maxAgeSeconds: 172_800n,
      };
      expect(rateText(r)).to.deep.equal({ text: "1 wtpETH = 1.012345679 tpETH · as of 3h 2m ago", stale: false });
      expect(rateText({ ...r, now: r.refTime + 59n })).to.deep.equal({
        text: "1 wtpETH = 1.012345679 tpETH · as of less than a minute ago",
        stale: false,
      });
      expect(rateText({ ...r, now: r.refTime + 3n * 86_400n, stale: true })).to.deep.equal({
        text: "1 wtpETH = 1.012345679 tpETH · as of 3d ago · stale (older than 2d): do not rely on it",
        stale: true,
      });
      expect(rateText({ ...r, rate: 0n, refTime: 0n, stale: true })).to.deep.equal({
        text: "No rate has arrived yet.",
        stale: true,
      });
    });

    it("follows a send until the destination balance has grown by what arrives", function () {
      const t: InFlight = {
        id: 1,
        toChainId: 31339n,
        recipient,
        before: parseEther("1"),
        expected: parseEther("1.5"),
        sentAt: 0,
        arrived: false,
      };
      expect(hasArrived(t, parseEther("2.5") - 1n)).to.equal(false);
      expect(hasArrived(t, parseEther("2.5"))).to.equal(true);
      expect(inFlightText(t, label)).to.equal(
        "1.5 wtpETH to Local L2 (31339): in flight, waiting for LayerZero to deliver it (usually a few minutes).",
      );
      expect(inFlightText({ ...t, arrived: true }, label)).to.equal("1.5 wtpETH to Local L2 (31339): arrived.");
    });
  });
});
