import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { Signature, Wallet, ZeroAddress, parseEther, recoverAddress } from "ethers";
import { deployTidepool, type TidepoolFixture } from "../helpers/fixtures";
import { eth } from "../../scripts/lib/format";
import { registerOperator } from "../../scripts/lib/operators";
import { runTask, taskError } from "../helpers/tasks";

const DEPOSIT = parseEther("32");

/**
 * 200 ETH staked and two operators with four vetted keys and an 8 ETH bond each (cover: four
 * validators each): the buffer, less the 1% instant-liquidity reserve, takes six validators.
 */
async function deployed(): Promise<TidepoolFixture> {
  const f = await loadFixture(deployTidepool);
  await (await f.pool.connect(f.users[0]).stake(ZeroAddress, { value: parseEther("200") })).wait();
  for (const [i, name] of ["Alpha", "Beta"].entries()) {
    await registerOperator(f.registry, f.pool, f.admin, {
      name,
      rewardAddress: f.users[1 + i],
      keys: 4,
      bondWei: parseEther("8"),
    });
  }
  return f;
}

/** Everything a refused deposit must leave as it was. */
async function depositState(f: TidepoolFixture) {
  const [deposited] = await f.pool.getBeaconStat();
  return {
    deposited,
    buffered: await f.pool.bufferedEther(),
    root: await f.depositContract.get_deposit_root(),
    nonce: await f.registry.keysNonce(),
    keys: [(await f.registry.getNodeOperator(0n)).depositedKeys, (await f.registry.getNodeOperator(1n)).depositedKeys],
    block: await hre.ethers.provider.getBlockNumber(),
  };
}

describe("Guardian tasks", function () {
  describe("guardian-deposit", function () {
    it("deposits as many validators as the buffer allows, spread across operators, with fresh attestations", async function () {
      const f = await loadFixture(deployed);
      const before = await depositState(f);
      const depositable = await f.pool.depositableEther();
      expect(depositable / DEPOSIT).to.equal(6n);
      const depositContractBalance = await hre.ethers.provider.getBalance(await f.depositContract.getAddress());

      const out = await runTask("guardian-deposit", { pool: f.poolAddress });
      const after = await depositState(f);
      expect(after.deposited - before.deposited).to.equal(6n);
      expect(after.keys).to.deep.equal([4n, 2n]); // operator 0 first, then the one with fewer validators
      expect(before.buffered - after.buffered).to.equal(6n * DEPOSIT);
      expect(await hre.ethers.provider.getBalance(await f.depositContract.getAddress())).to.equal(
        depositContractBalance + 6n * DEPOSIT,
      );
      expect(after.root).to.not.equal(before.root);

      const lines = out.split("\n");
      expect(lines[0]).to.match(/^deposited 4 validators of operator 0 \(tx 0x[0-9a-f]{64}\)$/);
      expect(lines[1]).to.match(/^deposited 2 validators of operator 1 \(tx 0x[0-9a-f]{64}\)$/);
      expect(lines[2]).to.equal(
        `Deposited 6 validators (192 ETH) as guardian ${f.guardian.address};` +
          ` buffer now ${eth(after.buffered, 18)} (${eth(await f.pool.depositableEther(), 18)} depositable)`,
      );
    });

    it("stops at --max and signs with the account --guardian names", async function () {
      const f = await loadFixture(deployed);
      const index = (await hre.ethers.getSigners()).findIndex((s) => s.address === f.guardian.address);
      expect(index).to.equal(4);
      const out = await runTask("guardian-deposit", { max: "3", guardian: "4", pool: f.poolAddress });
      const [deposited] = await f.pool.getBeaconStat();
      expect(deposited).to.equal(3n);
      expect((await f.registry.getNodeOperator(0n)).depositedKeys).to.equal(3n);
      expect(out).to.match(/^deposited 3 validators of operator 0 /);
      expect(out).to.include("Deposited 3 validators (96 ETH)");
      // The next run carries on where the buffer and the spread allow: operator 1 is now behind.
      const out2 = await runTask("guardian-deposit", { max: "1", pool: f.poolAddress });
      expect(out2).to.match(/^deposited 1 validator of operator 1 /);
      expect((await f.registry.getNodeOperator(1n)).depositedKeys).to.equal(1n);
    });

    it("refuses when the signer is not a guardian, naming the account", async function () {
      const f = await loadFixture(deployed);
      const before = await depositState(f);
      const dsm = await f.dsm.getAddress();
      const accounts = await hre.ethers.getSigners();
      expect(await taskError("guardian-deposit", { guardian: "0", pool: f.poolAddress })).to.equal(
        `account 0 (${accounts[0].address}) is not a guardian of the deposit security module ${dsm}`,
      );
      expect(await taskError("guardian-deposit", { guardian: "40", pool: f.poolAddress })).to.equal(
        '--guardian 40: network "hardhat" has 40 accounts (indices 0 to 39)',
      );
      // No account of this network is a guardian any more.
      await (await f.dsm.connect(f.admin).addGuardian(f.users[9].address, 1)).wait();
      await (await f.dsm.connect(f.admin).removeGuardian(f.guardian.address, 1)).wait();
      await (await f.dsm.connect(f.admin).addGuardian(Wallet.createRandom().address, 1)).wait();
      await (await f.dsm.connect(f.admin).removeGuardian(f.users[9].address, 1)).wait();
      expect(await taskError("guardian-deposit", { pool: f.poolAddress })).to.equal(
        `none of network "hardhat"'s 40 accounts is a guardian of the deposit security module ${dsm}`,
      );
      const after = await depositState(f);
      expect([after.deposited, after.buffered, after.root, after.keys]).to.deep.equal([
        before.deposited,
        before.buffered,
        before.root,
        before.keys,
      ]);
    });

    it("refuses when deposits are paused, when a quorum needs more guardians, and on bad --max", async function () {
      const f = await loadFixture(deployed);
      const before = await depositState(f);
      const pool = f.poolAddress;
      expect(await taskError("guardian-deposit", { max: "0", pool })).to.equal(
        '--max must be an integer of at least 1, got "0"',
      );
      expect(await taskError("guardian-deposit", { max: "two", pool })).to.equal(
        '--max must be an integer of at least 1, got "two"',
      );
      await (await f.pool.connect(f.pauser).pause(4)).wait(); // deposits
      expect(await taskError("guardian-deposit", { pool })).to.equal(
        "deposits are paused on the pool (governance resumes them)",
      );
      await (await f.pool.connect(f.admin).resume(4)).wait();
      await (await f.dsm.connect(f.admin).addGuardian(f.users[9].address, 2)).wait();
      expect(await taskError("guardian-deposit", { pool })).to.equal(
        "the deposit security module needs 2 guardian signatures and this task signs with one:" +
          " gather them with guardian-attest and submit depositBufferedEther with all of them",
      );
      const after = await depositState(f);
      expect([after.deposited, after.buffered, after.keys]).to.deep.equal([
        before.deposited,
        before.buffered,
        before.keys,
      ]);
    });

    it("says when there is nothing to deposit: no buffer, or no keys ready", async function () {
      const f = await loadFixture(deployed);
      await runTask("guardian-deposit", { pool: f.poolAddress }); // six validators: the buffer is spent
      const depositable = await f.pool.depositableEther();
      expect(depositable).to.be.lt(DEPOSIT);
      expect(await taskError("guardian-deposit", { pool: f.poolAddress })).to.equal(
        `nothing to deposit: ${eth(depositable, 18)} of the buffer may go to validators, 32 ETH needed per validator`,
      );

      const g = await deployTidepool(); // a fresh deployment: a buffer, but no operator
      await (await g.pool.connect(g.users[0]).stake(ZeroAddress, { value: parseEther("100") })).wait();
      expect(await taskError("guardian-deposit", { pool: g.poolAddress })).to.equal(
        "nothing to deposit: no operator has vetted, bond-covered keys ready (see `npx hardhat operators`)",
      );
      const [deposited] = await g.pool.getBeaconStat();
      expect(deposited).to.equal(0n);
    });
  });

  describe("guardian-attest", function () {
    it("prints the attestation and a signature by the guardian that others can submit", async function () {
      const f = await loadFixture(deployed);
      const out = await runTask("guardian-attest", { pool: f.poolAddress });
      const printed = JSON.parse(out) as {
        chainId: string;
        depositSecurityModule: string;
        guardian: string;
        attestation: { depositRoot: string; keysNonce: string; blockNumber: string; blockHash: string };
        digest: string;
        signature: { r: string; vs: string };
      };
      // The parent of the latest block: a preflight call runs in the latest block, where its own hash is 0.
      const parent = await hre.ethers.provider.getBlock((await hre.ethers.provider.getBlockNumber()) - 1);
      expect(printed.chainId).to.equal("31337");
      expect(printed.depositSecurityModule).to.equal(await f.dsm.getAddress());
      expect(printed.guardian).to.equal(f.guardian.address);
      expect(printed.attestation).to.deep.equal({
        depositRoot: await f.depositContract.get_deposit_root(),
        keysNonce: (await f.registry.keysNonce()).toString(),
        blockNumber: parent?.number.toString(),
        blockHash: parent?.hash,
      });
      const attestation = {
        ...printed.attestation,
        keysNonce: BigInt(printed.attestation.keysNonce),
        blockNumber: BigInt(printed.attestation.blockNumber),
      };
      expect(printed.digest).to.equal(await f.dsm.attestationDigest(attestation));
      const sig = Signature.from({ r: printed.signature.r, yParityAndS: printed.signature.vs });
      expect(recoverAddress(printed.digest, sig)).to.equal(f.guardian.address);

      // Someone with no role submits it a few blocks later: the deposit goes through.
      await mine(3);
      await (await f.dsm.connect(f.users[8]).depositBufferedEther(0n, 2n, attestation, [printed.signature])).wait();
      expect((await f.registry.getNodeOperator(0n)).depositedKeys).to.equal(2n);
    });

    it("refuses an account that is not a guardian", async function () {
      const f = await loadFixture(deployed);
      const accounts = await hre.ethers.getSigners();
      expect(await taskError("guardian-attest", { guardian: "7", pool: f.poolAddress })).to.equal(
        `account 7 (${accounts[7].address}) is not a guardian of the deposit security module ${await f.dsm.getAddress()}`,
      );
      expect(await taskError("guardian-attest", { guardian: "-1", pool: f.poolAddress })).to.equal(
        '--guardian must be an integer of at least 0, got "-1"',
      );
    });
  });
});
