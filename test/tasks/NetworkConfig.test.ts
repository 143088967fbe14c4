import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { vars } from "hardhat/config";
import type { HttpNetworkConfig } from "hardhat/types";
import { readDeploymentParameters } from "@nomicfoundation/hardhat-ignition/helpers";
import { isAddress } from "ethers";
import { CANONICAL_DEPOSIT_CONTRACT } from "../../deploy/modules/Tidepool";

/** Public networks, their chain ids and the configuration variable holding their RPC URL. */
const PUBLIC_NETWORKS = [
  { name: "hoodi", chainId: 560048, urlVar: "HOODI_RPC_URL", genesisTime: 1742213400 },
  { name: "mainnet", chainId: 1, urlVar: "MAINNET_RPC_URL", genesisTime: 1606824023 },
] as const;

describe("Network configuration", function () {
  for (const { name, chainId, urlVar } of PUBLIC_NETWORKS) {
    it(`${name}: chain id ${chainId}, RPC URL and deployer key from configuration variables only`, function () {
      const network = hre.config.networks[name] as HttpNetworkConfig;
      expect(network, `network ${name}`).to.not.equal(undefined);
      expect(network.chainId).to.equal(chainId);
      expect(network.url).to.equal(vars.get(urlVar, ""));
      if (vars.has("DEPLOYER_PRIVATE_KEY")) {
        expect(network.accounts).to.deep.equal([vars.get("DEPLOYER_PRIVATE_KEY")]);
      } else {
        expect(network.accounts, "no key when DEPLOYER_PRIVATE_KEY is unset").to.deep.equal([]);
      }
    });
  }

  it("localhost is npx hardhat node's address unless the LOCALHOST_RPC_URL variable names another", function () {
    const network = hre.config.networks.localhost as HttpNetworkConfig;
    expect(network.url).to.equal(vars.get("LOCALHOST_RPC_URL", "http://127.0.0.1:8545"));
  });

  it("tests run on the in-process network, which contacts nothing", function () {
    expect(hre.network.name).to.equal("hardhat");
    expect(hre.config.networks.hardhat.chainId).to.equal(31337);
  });

  it("verifies through the Etherscan v2 API with one key, Hoodi included", function () {
    const etherscan = hre.config.etherscan;
    expect(typeof etherscan.apiKey).to.equal("string"); // a single key selects the v2 API
    expect(etherscan.apiKey).to.equal(vars.get("ETHERSCAN_API_KEY", ""));
    const hoodi = etherscan.customChains.find((c) => c.network === "hoodi");
    expect(hoodi).to.deep.equal({
      network: "hoodi",
      chainId: 560048,
      urls: { apiURL: "https://api.etherscan.io/v2/api", browserURL: "https://hoodi.etherscan.io" },
    });
  });

  for (const { name, genesisTime } of PUBLIC_NETWORKS) {
    it(`deploy/parameters/${name}.json exists and parses as Ignition parameters`, async function () {
      const file = path.join(hre.config.paths.root, "deploy", "parameters", `${name}.json`);
      expect(fs.existsSync(file), file).to.equal(true);
      const parameters = await readDeploymentParameters(file);
      const tidepool = parameters.Tidepool as Record<string, unknown>;
      const governance = parameters.TidepoolGovernance as Record<string, unknown>;
      expect(tidepool, "Tidepool parameters").to.be.an("object");
      expect(governance, "TidepoolGovernance parameters").to.be.an("object");
      expect(tidepool.depositContract).to.equal(CANONICAL_DEPOSIT_CONTRACT);
      expect(tidepool.genesisTime).to.equal(genesisTime); // the beacon chain's genesis on that network
      expect(typeof tidepool.bootstrapDepositWei).to.equal("bigint"); // the "…n" notation was read
      for (const key of ["pauser", "guardian", "treasury"]) {
        expect(isAddress(tidepool[key]), `${name}.json Tidepool.${key}`).to.equal(true);
      }
      for (const key of ["oracleMembers"]) {
        expect(tidepool[key], `${name}.json Tidepool.${key}`).to.be.an("array").that.is.not.empty;
      }
      for (const key of ["proposers", "executors"]) {
        expect(governance[key], `${name}.json TidepoolGovernance.${key}`).to.be.an("array").that.is.not.empty;
      }
      expect(governance.minDelaySeconds).to.be.a("number").that.is.greaterThan(0);
    });
  }
});
