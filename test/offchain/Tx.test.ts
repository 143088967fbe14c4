/**
 * offchain/tx.ts: estimated, confirmed, and sent again with the same nonce and higher fees when the
 * first broadcast is dropped; Hardhat's network with automine off plays the mempool that drops it.
 */
import { expect } from "chai";
import hre from "hardhat";
import { parseEther, parseUnits, type TransactionResponse } from "ethers";
import { bumpFees, sendTransaction } from "../../offchain/tx";

describe("offchain/tx.ts sendTransaction", () => {
  const provider = hre.ethers.provider;

  afterEach(async () => {
    await provider.send("evm_setAutomine", [true]);
  });

  it("sends with the estimated gas and returns the mined receipt", async () => {
    const [from, to] = await hre.ethers.getSigners();
    const before = await provider.getBalance(to.address);
    const estimate = await from.estimateGas({ to: to.address, value: parseEther("1") });
    const receipt = await sendTransaction(from, { to: to.address, value: parseEther("1") });
    expect(receipt.status).to.equal(1);
    expect((await provider.getTransaction(receipt.hash))!.gasLimit).to.equal(estimate);
    expect((await provider.getBalance(to.address)) - before).to.equal(parseEther("1"));
  });

  it("waits for the confirmations asked for", async () => {
    const [from, to] = await hre.ethers.getSigners();
    await provider.send("evm_setAutomine", [false]);
    const sending = sendTransaction(from, { to: to.address, value: 1n }, { confirmations: 3, pollMs: 20 });
    let settled = false;
    void sending.then(() => (settled = true));
    for (let mined = 1; mined <= 3; mined++) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(settled, `settled after ${mined - 1} blocks`).to.equal(false);
      await provider.send("evm_mine", []);
    }
    const receipt = await sending;
    expect(await provider.getBlockNumber()).to.equal(receipt.blockNumber + 2);
  });

  it("throws before sending what cannot run, and uses no nonce", async () => {
    const [from, to] = await hre.ethers.getSigners();
    const nonce = await from.getNonce();
    const broadcasts: string[] = [];
    let error: unknown;
    try {
      await sendTransaction(
        from,
        { to: to.address, value: (await provider.getBalance(from.address)) + 1n },
        { onBroadcast: (hash) => broadcasts.push(hash) },
      );
    } catch (e) {
      error = e;
    }
    expect(String(error)).to.include("Sender doesn't have enough funds to send tx");
    expect(broadcasts).to.deep.equal([]);
    expect(await from.getNonce()).to.equal(nonce);
  });

  it("sends a dropped transaction again with the same nonce and fees raised by the bump", async () => {
    const [from, to] = await hre.ethers.getSigners();
    const nonce = await from.getNonce();
    const before = await provider.getBalance(to.address);
    await provider.send("evm_setAutomine", [false]);
    const broadcasts: string[] = [];
    const receipt = await sendTransaction(
      from,
      { to: to.address, value: parseEther("2"), maxFeePerGas: parseUnits("10", "gwei"), maxPriorityFeePerGas: 1n },
      {
        rebroadcastAfterMs: 300,
        pollMs: 20,
        feeBumpPercent: 20n,
        onBroadcast: (hash, attempt) => {
          broadcasts.push(hash);
          // The mempool loses the first; the second is mined.
          void provider.send(attempt === 0 ? "hardhat_dropTransaction" : "evm_mine", attempt === 0 ? [hash] : []);
        },
      },
    );
    expect(broadcasts).to.have.length(2);
    expect(receipt.hash).to.equal(broadcasts[1]);
    const mined = (await provider.getTransaction(receipt.hash)) as TransactionResponse;
    expect(mined.nonce).to.equal(nonce);
    expect(mined.maxFeePerGas).to.equal(parseUnits("12", "gwei") + 1n);
    expect(mined.maxPriorityFeePerGas).to.equal(2n);
    expect((await provider.getBalance(to.address)) - before).to.equal(parseEther("2"));
  });

  it("says so when another transaction of the account took the nonce", async () => {
    const [from, to, other] = await hre.ethers.getSigners();
    const nonce = await from.getNonce();
    await provider.send("evm_setAutomine", [false]);
    let error: unknown;
    try {
      await sendTransaction(
        from,
        { to: to.address, value: 1n },
        {
          rebroadcastAfterMs: 5_000,
          pollMs: 20,
          onBroadcast: (hash) => {
            void (async () => {
              await provider.send("hardhat_dropTransaction", [hash]);
              await from.sendTransaction({ to: other.address, value: 2n, nonce });
              await provider.send("evm_mine", []);
            })();
          },
        },
      );
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).to.equal(`nonce ${nonce} of ${from.address} was used by another transaction`);
  });
});

describe("offchain/tx.ts bumpFees", () => {
  it("raises EIP-1559 fees and a legacy gas price by the percent, plus a wei", () => {
    expect(bumpFees({ maxFeePerGas: 100n, maxPriorityFeePerGas: 10n }, 10n)).to.deep.equal({
      maxFeePerGas: 111n,
      maxPriorityFeePerGas: 12n,
    });
    expect(bumpFees({ gasPrice: 1_000n }, 25n)).to.deep.equal({ gasPrice: 1_251n });
  });
});
