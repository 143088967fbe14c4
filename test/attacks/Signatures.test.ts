/**
 * Attack class: signatures. Replayed, cross-chain, cross-deployment, altered, expired and malleated
 * EIP-2612 permits on tpETH and wtpETH (directly and through the withdrawal queue's permit entry
 * points); replayed, stale, forged-block, cross-module, cross-chain and duplicated guardian
 * attestations; ERC-1271 wallet signatures used where they do not belong. Each attempt must revert
 * with its exact error, move no token (to the wei) and leave the attacker no profit.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  Signature,
  TypedDataEncoder,
  ZeroAddress,
  ZeroHash,
  parseEther,
  recoverAddress,
  toBeHex,
  type TypedDataDomain,
} from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployTidepool, deployTidepoolUnlimited, type TidepoolFixture } from "../helpers/fixtures";
import { PERMIT_BYTES, PERMIT_TYPES, PERMIT_VRS, permitDomain, type PermitToken } from "../helpers/permit";
import { Ledger } from "../helpers/attack-ledger";
import { plain } from "../helpers/withdrawal-report-helpers";
import { registerOperator } from "../../offchain/operators/register";
import { testKeyBatch } from "../../offchain/keys/bls";
import {
  ATTESTATION_TYPES,
  currentAttestation,
  signAttestation,
  type Attestation,
} from "../../offchain/guardians/attestations";
import type { AttackWallet__Mock, DepositSecurityModule } from "../../typechain-types";

/** secp256k1 group order (for the high-s twin of a signature). */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const SIGNATURE_MODE = { Owner: 0, Anything: 1, Stateful: 2, Reverting: 3 };

interface PermitMessage {
  owner: string;
  spender: string;
  value: bigint;
  nonce: bigint;
  deadline: bigint;
}
interface SignedPermit extends PermitMessage {
  v: number;
  r: string;
  s: string;
  digest: string; // the digest actually signed
}

/** Signs `message` under `domain` (which may be another chain's or another contract's). */
async function sign(
  signer: HardhatEthersSigner,
  domain: TypedDataDomain,
  message: PermitMessage,
): Promise<SignedPermit> {
  const sig = Signature.from(await signer.signTypedData(domain, PERMIT_TYPES, message));
  return { ...message, v: sig.v, r: sig.r, s: sig.s, digest: TypedDataEncoder.hash(domain, PERMIT_TYPES, message) };
}

/** Who ECDSA recovers from `p`'s signature over the digest `token` computes for `message` (what wtpETH reports). */
async function recoveredBy(token: PermitToken, message: PermitMessage, p: { v: number; r: string; s: string }) {
  const digest = TypedDataEncoder.hash(await permitDomain(token), PERMIT_TYPES, message);
  return recoverAddress(digest, { v: p.v, r: p.r, s: p.s });
}

/** The same signature with s' = n − s and the other v: valid for ecrecover, refused by OpenZeppelin. */
function highS(p: SignedPermit): SignedPermit {
  return { ...p, s: toBeHex(SECP256K1_N - BigInt(p.s), 32), v: p.v === 27 ? 28 : 27 };
}

/** What the ecrecover precompile (0x01) returns for a digest and signature, malleable ones included. */
async function ecrecover(digest: string, p: { v: number; r: string; s: string }): Promise<string> {
  const out = await ethers.provider.call({
    to: "0x0000000000000000000000000000000000000001",
    data: ethers.concat([digest, toBeHex(p.v, 32), p.r, p.s]),
  });
  return ethers.getAddress(ethers.dataSlice(out, 12));
}

// ──────────────────────────────── The world ────────────────────────────────

interface World extends TidepoolFixture {
  alice: HardhatEthersSigner; // victim: 100 ETH of tpETH, 2 ETH of it wrapped
  attacker: HardhatEthersSigner; // 1 ETH of tpETH, no allowances
  walletKey: HardhatEthersSigner; // owner key of both contract wallets
  walletA: AttackWallet__Mock; // 3 ETH staked, 1 of it wrapped
  walletB: AttackWallet__Mock; // the same owner key, empty
  other: TidepoolFixture; // a second deployment on the same chain (same guardian, same accounts)
  queueAddress: string;
  operatorId: bigint;
}

async function world(): Promise<World> {
  const f = await loadFixture(deployTidepoolUnlimited);
  const [alice, attacker, walletKey] = [f.users[2], f.users[10], f.users[11]];
  await (await f.pool.connect(alice).stake(ZeroAddress, { value: parseEther("100") })).wait();
  await (await f.wrapper.connect(alice).wrap(parseEther("2"))).wait();
  await (await f.pool.connect(attacker).stake(ZeroAddress, { value: parseEther("1") })).wait();
  const walletA = await ethers.deployContract("AttackWallet__Mock", [walletKey.address]);
  const walletB = await ethers.deployContract("AttackWallet__Mock", [walletKey.address]);
  const stake = f.pool.interface.encodeFunctionData("stake", [ZeroAddress]);
  await (
    await walletA.connect(walletKey).execute(f.poolAddress, parseEther("3"), stake, { value: parseEther("3") })
  ).wait();
  const wrap = f.wrapper.interface.encodeFunctionData("wrap", [parseEther("1")]);
  await (await walletA.connect(walletKey).execute(f.wrapperAddress, 0n, wrap)).wait();
  const operatorId = await registerOperator(f.registry, f.pool, f.admin, {
    name: "op-0",
    rewardAddress: f.users[1],
    keys: 8,
    bondWei: parseEther("16"),
  });
  const other = await deployTidepool();
  return {
    ...f,
    alice,
    attacker,
    walletKey,
    walletA,
    walletB,
    other,
    queueAddress: await f.withdrawalQueue.getAddress(),
    operatorId,
  };
}

/** Token state a refused permit or request must leave untouched. */
async function tokenState(w: World, accounts: string[]) {
  const spenders = [w.attacker.address, w.queueAddress];
  const per = await Promise.all(
    accounts.map(async (a) => [
      await w.pool.sharesOf(a),
      await w.wrapper.balanceOf(a),
      await w.pool.nonces(a),
      await w.wrapper.nonces(a),
      ...(await Promise.all(spenders.map((s) => w.pool.allowance(a, s)))),
      ...(await Promise.all(spenders.map((s) => w.wrapper.allowance(a, s)))),
      await w.withdrawalQueue.balanceOf(a),
    ]),
  );
  return [
    per,
    await w.pool.totalShares(),
    await w.pool.totalPooledEther(),
    await w.withdrawalQueue.getLastRequestId(),
    await w.withdrawalQueue.queuedShares(),
  ];
}

const deadlineIn = async (seconds: bigint) => BigInt(await time.latest()) + seconds;

async function permitMessage(token: PermitToken, owner: string, spender: string, value: bigint, deadline: bigint) {
  return { owner, spender, value, nonce: await token.nonces(owner), deadline };
}

describe("Attack: signatures — permits, guardian attestations, ERC-1271", function () {
  describe("tpETH permits (pool)", function () {
    it("a used permit replayed to refill the allowance the attacker already spent: PermitInvalidSignature; nothing moves", async function () {
      const w = await loadFixture(world);
      const value = parseEther("5");
      const p = await sign(w.alice, await permitDomain(w.pool), {
        ...(await permitMessage(w.pool, w.alice.address, w.attacker.address, value, await deadlineIn(3600n))),
      });
      // What alice signed: the attacker may take 5 tpETH once.
      await (
        await w.pool.connect(w.attacker)[PERMIT_VRS](p.owner, p.spender, p.value, p.deadline, p.v, p.r, p.s)
      ).wait();
      await (await w.pool.connect(w.attacker).transferFrom(w.alice.address, w.attacker.address, value)).wait();

      const before = await tokenState(w, [w.alice.address, w.attacker.address]);
      const ledger = await Ledger.open(w, [w.alice.address, w.attacker.address]);
      await expect(w.pool.connect(w.attacker)[PERMIT_VRS](p.owner, p.spender, p.value, p.deadline, p.v, p.r, p.s))
        .to.be.revertedWithCustomError(w.pool, "PermitInvalidSignature")
        .withArgs(w.alice.address);
      await expect(w.pool.connect(w.attacker).transferFrom(w.alice.address, w.attacker.address, value))
        .to.be.revertedWithCustomError(w.pool, "ERC20InsufficientAllowance")
        .withArgs(w.attacker.address, 0n, value);
      expect(await tokenState(w, [w.alice.address, w.attacker.address])).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.alice.address)).to.deep.equal(ledger.holdingsBefore(w.alice.address));
      expect(await ledger.profit(w.attacker.address)).to.equal(0n);
    });

    it("permits signed for chain 1, for another Tidepool deployment, or for wtpETH are refused by this pool", async function () {
      const w = await loadFixture(world);
      const message = await permitMessage(
        w.pool,
        w.alice.address,
        w.attacker.address,
        parseEther("50"),
        await deadlineIn(3600n),
      );
      const domain = await permitDomain(w.pool);
      expect(await w.other.pool.nonces(w.alice.address)).to.equal(message.nonce); // same nonce there: only the domain differs
      const forged = [
        await sign(w.alice, { ...domain, chainId: 1n }, message), // mainnet
        await sign(w.alice, await permitDomain(w.other.pool), message), // the other deployment's pool
        await sign(w.alice, await permitDomain(w.wrapper), message), // this deployment's wrapper
      ];
      const before = await tokenState(w, [w.alice.address, w.attacker.address]);
      const ledger = await Ledger.open(w, [w.alice.address, w.attacker.address]);
      for (const p of forged) {
        await expect(w.pool.connect(w.attacker)[PERMIT_VRS](p.owner, p.spender, p.value, p.deadline, p.v, p.r, p.s))
          .to.be.revertedWithCustomError(w.pool, "PermitInvalidSignature")
          .withArgs(w.alice.address);
      }
      expect(await tokenState(w, [w.alice.address, w.attacker.address])).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.alice.address)).to.deep.equal(ledger.holdingsBefore(w.alice.address));
      expect(await ledger.profit(w.attacker.address)).to.equal(0n);
    });

    it("altered fields, a high-s twin and a zero owner are refused; so is the genuine permit once expired", async function () {
      const w = await loadFixture(world);
      const deadline = await deadlineIn(3600n);
      const p = await sign(
        w.alice,
        await permitDomain(w.pool),
        await permitMessage(w.pool, w.alice.address, w.attacker.address, parseEther("1"), deadline),
      );
      const pool = w.pool.connect(w.attacker);
      const before = await tokenState(w, [w.alice.address, w.attacker.address]);
      const ledger = await Ledger.open(w, [w.alice.address, w.attacker.address]);
      const altered: [string, string, bigint, bigint][] = [
        [p.owner, p.spender, parseEther("100"), p.deadline], // more value
        [p.owner, w.walletB.target as string, p.value, p.deadline], // another spender
        [p.owner, p.spender, p.value, p.deadline + 1n], // a later deadline
        [w.walletKey.address, p.spender, p.value, p.deadline], // another owner
      ];
      for (const [owner, spender, value, dl] of altered) {
        await expect(pool[PERMIT_VRS](owner, spender, value, dl, p.v, p.r, p.s))
          .to.be.revertedWithCustomError(w.pool, "PermitInvalidSignature")
          .withArgs(owner);
      }
      const twin = highS(p);
      expect(await ecrecover(p.digest, twin)).to.equal(w.alice.address); // the bare precompile accepts it
      await expect(pool[PERMIT_VRS](p.owner, p.spender, p.value, p.deadline, twin.v, twin.r, twin.s))
        .to.be.revertedWithCustomError(w.pool, "PermitInvalidSignature")
        .withArgs(w.alice.address);
      await expect(pool[PERMIT_VRS](ZeroAddress, w.attacker.address, parseEther("1"), deadline, 0, ZeroHash, ZeroHash))
        .to.be.revertedWithCustomError(w.pool, "PermitInvalidSignature")
        .withArgs(ZeroAddress);
      expect(await tokenState(w, [w.alice.address, w.attacker.address])).to.deep.equal(before);

      await time.increaseTo(deadline + 1n);
      await expect(pool[PERMIT_VRS](p.owner, p.spender, p.value, p.deadline, p.v, p.r, p.s))
        .to.be.revertedWithCustomError(w.pool, "ERC2612ExpiredSignature")
        .withArgs(deadline);
      expect(await tokenState(w, [w.alice.address, w.attacker.address])).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.alice.address)).to.deep.equal(ledger.holdingsBefore(w.alice.address));
      expect(await ledger.profit(w.attacker.address)).to.equal(0n);
    });
  });

  describe("wtpETH permits (wrapper)", function () {
    it("replayed, cross-chain, cross-deployment and pool-domain permits: ERC2612InvalidSigner(recovered, alice); nothing moves", async function () {
      const w = await loadFixture(world);
      const value = parseEther("1");
      const domain = await permitDomain(w.wrapper);
      const message = await permitMessage(
        w.wrapper,
        w.alice.address,
        w.attacker.address,
        value,
        await deadlineIn(3600n),
      );
      const used = await sign(w.alice, domain, message);
      await (
        await w.wrapper
          .connect(w.attacker)
          [PERMIT_VRS](used.owner, used.spender, value, used.deadline, used.v, used.r, used.s)
      ).wait();
      await (await w.wrapper.connect(w.attacker).transferFrom(w.alice.address, w.attacker.address, value)).wait();

      const forged = [
        used, // replay: the nonce has moved on
        await sign(w.alice, { ...domain, chainId: 1n }, { ...message, nonce: message.nonce + 1n }),
        await sign(w.alice, await permitDomain(w.other.wrapper), { ...message, nonce: message.nonce + 1n }),
        await sign(w.alice, await permitDomain(w.pool), { ...message, nonce: message.nonce + 1n }),
      ];
      const before = await tokenState(w, [w.alice.address, w.attacker.address]);
      const ledger = await Ledger.open(w, [w.alice.address, w.attacker.address]);
      const current = { ...message, nonce: await w.wrapper.nonces(w.alice.address) };
      for (const p of forged) {
        const recovered = await recoveredBy(w.wrapper, current, p);
        expect(recovered).to.not.equal(w.alice.address);
        await expect(w.wrapper.connect(w.attacker)[PERMIT_VRS](p.owner, p.spender, p.value, p.deadline, p.v, p.r, p.s))
          .to.be.revertedWithCustomError(w.wrapper, "ERC2612InvalidSigner")
          .withArgs(recovered, w.alice.address);
      }
      await expect(w.wrapper.connect(w.attacker).transferFrom(w.alice.address, w.attacker.address, value))
        .to.be.revertedWithCustomError(w.wrapper, "ERC20InsufficientAllowance")
        .withArgs(w.attacker.address, 0n, value);
      expect(await tokenState(w, [w.alice.address, w.attacker.address])).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.alice.address)).to.deep.equal(ledger.holdingsBefore(w.alice.address));
      expect(await ledger.profit(w.attacker.address)).to.equal(0n);
    });

    it("a high-s twin, a junk signature and an expired permit are refused with OpenZeppelin's exact errors", async function () {
      const w = await loadFixture(world);
      const deadline = await deadlineIn(600n);
      const p = await sign(
        w.alice,
        await permitDomain(w.wrapper),
        await permitMessage(w.wrapper, w.alice.address, w.attacker.address, parseEther("1"), deadline),
      );
      const wrapper = w.wrapper.connect(w.attacker);
      const before = await tokenState(w, [w.alice.address, w.attacker.address]);
      const ledger = await Ledger.open(w, [w.alice.address, w.attacker.address]);
      const twin = highS(p);
      await expect(wrapper[PERMIT_VRS](p.owner, p.spender, p.value, p.deadline, twin.v, twin.r, twin.s))
        .to.be.revertedWithCustomError(w.wrapper, "ECDSAInvalidSignatureS")
        .withArgs(twin.s);
      await expect(wrapper[PERMIT_VRS](ZeroAddress, w.attacker.address, p.value, deadline, 0, ZeroHash, ZeroHash))
        .to.be.revertedWithCustomError(w.wrapper, "ECDSAInvalidSignature")
        .withArgs();
      await time.increaseTo(deadline + 1n);
      await expect(wrapper[PERMIT_VRS](p.owner, p.spender, p.value, p.deadline, p.v, p.r, p.s))
        .to.be.revertedWithCustomError(w.wrapper, "ERC2612ExpiredSignature")
        .withArgs(deadline);
      expect(await tokenState(w, [w.alice.address, w.attacker.address])).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.alice.address)).to.deep.equal(ledger.holdingsBefore(w.alice.address));
      expect(await ledger.profit(w.attacker.address)).to.equal(0n);
    });
  });

  describe("permits through the withdrawal queue", function () {
    it("the attacker replays alice's queue permit through the queue as himself: PermitFailedAndAllowanceTooLow(0, needed)", async function () {
      const w = await loadFixture(world);
      const q = w.withdrawalQueue.connect(w.attacker);
      const amounts = [parseEther("2"), parseEther("3")];
      const needed = parseEther("5");
      const p = await sign(
        w.alice,
        await permitDomain(w.pool),
        await permitMessage(w.pool, w.alice.address, w.queueAddress, needed, await deadlineIn(3600n)),
      );
      const input = { value: p.value, deadline: p.deadline, v: p.v, r: p.r, s: p.s };
      const wp = await sign(
        w.alice,
        await permitDomain(w.wrapper),
        await permitMessage(w.wrapper, w.alice.address, w.queueAddress, parseEther("1"), await deadlineIn(3600n)),
      );
      const wrappedInput = { value: wp.value, deadline: wp.deadline, v: wp.v, r: wp.r, s: wp.s };
      const before = await tokenState(w, [w.alice.address, w.attacker.address]);
      const ledger = await Ledger.open(w, [w.alice.address, w.attacker.address]);
      // The queue applies a permit for msg.sender only: alice's signature is no permit of the attacker's.
      await expect(q.requestWithdrawalsWithPermit(amounts, w.attacker.address, input))
        .to.be.revertedWithCustomError(w.withdrawalQueue, "PermitFailedAndAllowanceTooLow")
        .withArgs(0n, needed);
      await expect(q.requestWithdrawalsWithPermit(amounts, ZeroAddress, input))
        .to.be.revertedWithCustomError(w.withdrawalQueue, "PermitFailedAndAllowanceTooLow")
        .withArgs(0n, needed);
      await expect(q.requestWithdrawalsWrappedWithPermit([parseEther("1")], w.attacker.address, wrappedInput))
        .to.be.revertedWithCustomError(w.withdrawalQueue, "PermitFailedAndAllowanceTooLow")
        .withArgs(0n, parseEther("1"));
      expect(await tokenState(w, [w.alice.address, w.attacker.address])).to.deep.equal(before);

      // Front-running alice's permit into the pool only sets the allowance she signed; the queue
      // still pulls from msg.sender, so the attacker's own request finds no allowance of its own.
      await (
        await w.pool.connect(w.attacker)[PERMIT_VRS](p.owner, p.spender, p.value, p.deadline, p.v, p.r, p.s)
      ).wait();
      await expect(q.requestWithdrawals(amounts, w.attacker.address))
        .to.be.revertedWithCustomError(w.pool, "ERC20InsufficientAllowance")
        .withArgs(w.queueAddress, 0n, amounts[0]);
      expect(await w.pool.allowance(w.alice.address, w.queueAddress)).to.equal(needed);
      expect(await w.withdrawalQueue.getLastRequestId()).to.equal(0n);
      expect(await ledger.holdingsGasBack(w.alice.address)).to.deep.equal(ledger.holdingsBefore(w.alice.address));
      expect(await ledger.profit(w.attacker.address)).to.equal(0n);

      // Alice's own request with the same (already applied) permit goes through, and only for her.
      await (await w.withdrawalQueue.connect(w.alice).requestWithdrawalsWithPermit(amounts, ZeroAddress, input)).wait();
      expect(await w.withdrawalQueue.balanceOf(w.alice.address)).to.equal(2n);
      expect(await w.withdrawalQueue.balanceOf(w.attacker.address)).to.equal(0n);
      expect(await w.pool.allowance(w.alice.address, w.queueAddress)).to.equal(0n);
    });

    it("a queue permit replayed after its request, or signed for another chain: PermitFailedAndAllowanceTooLow; no second request", async function () {
      const w = await loadFixture(world);
      const q = w.withdrawalQueue.connect(w.alice);
      const amounts = [parseEther("1")];
      const p = await sign(
        w.alice,
        await permitDomain(w.pool),
        await permitMessage(w.pool, w.alice.address, w.queueAddress, parseEther("1"), await deadlineIn(3600n)),
      );
      const input = { value: p.value, deadline: p.deadline, v: p.v, r: p.r, s: p.s };
      await (await q.requestWithdrawalsWithPermit(amounts, ZeroAddress, input)).wait();
      const wDomain = await permitDomain(w.wrapper);
      const wMessage = await permitMessage(
        w.wrapper,
        w.alice.address,
        w.queueAddress,
        parseEther("1"),
        await deadlineIn(3600n),
      );
      const wp = await sign(w.alice, wDomain, wMessage);
      const wInput = { value: wp.value, deadline: wp.deadline, v: wp.v, r: wp.r, s: wp.s };
      await (await q.requestWithdrawalsWrappedWithPermit([parseEther("1")], ZeroAddress, wInput)).wait();
      const crossChain = await sign(
        w.alice,
        { ...(await permitDomain(w.pool)), chainId: 1n },
        {
          ...p,
          nonce: await w.pool.nonces(w.alice.address),
        },
      );
      const crossInput = { ...input, v: crossChain.v, r: crossChain.r, s: crossChain.s };

      const before = await tokenState(w, [w.alice.address, w.attacker.address]);
      const ledger = await Ledger.open(w, [w.alice.address, w.attacker.address]);
      for (const [sender, permitInput] of [
        [w.alice, input],
        [w.attacker, input],
        [w.alice, crossInput],
      ] as const) {
        await expect(w.withdrawalQueue.connect(sender).requestWithdrawalsWithPermit(amounts, ZeroAddress, permitInput))
          .to.be.revertedWithCustomError(w.withdrawalQueue, "PermitFailedAndAllowanceTooLow")
          .withArgs(0n, parseEther("1"));
      }
      await expect(q.requestWithdrawalsWrappedWithPermit([parseEther("1")], ZeroAddress, wInput))
        .to.be.revertedWithCustomError(w.withdrawalQueue, "PermitFailedAndAllowanceTooLow")
        .withArgs(0n, parseEther("1"));
      expect(await tokenState(w, [w.alice.address, w.attacker.address])).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.alice.address)).to.deep.equal(ledger.holdingsBefore(w.alice.address));
      expect(await ledger.profit(w.attacker.address)).to.equal(0n);
    });
  });

  describe("guardian attestations", function () {
    /** What a refused deposit must leave untouched: buffer, deposit contract, keys, the operator. */
    async function depositState(w: World) {
      return plain([
        await w.pool.bufferedEther(),
        await w.pool.getBeaconStat(),
        await w.pool.totalPooledEther(),
        await ethers.provider.getBalance(w.poolAddress),
        await ethers.provider.getBalance(await w.depositContract.getAddress()),
        await w.depositContract.get_deposit_root(),
        await w.depositContract.get_deposit_count(),
        await w.registry.keysNonce(),
        await w.registry.getNodeOperator(w.operatorId),
      ]);
    }

    /** The guardian's compact signature over `attestation` under `dsm`'s domain, optionally on another chain. */
    async function guardianSig(w: World, dsm: DepositSecurityModule, attestation: Attestation, chainId?: bigint) {
      const [, name, version, ownChain, verifyingContract] = await dsm.eip712Domain();
      const domain = { name, version, chainId: chainId ?? ownChain, verifyingContract };
      const sig = Signature.from(await w.guardian.signTypedData(domain, ATTESTATION_TYPES, attestation));
      return { r: sig.r, vs: sig.yParityAndS };
    }

    /** Who this deployment's module recovers from a compact signature. */
    async function recoveredByDsm(w: World, attestation: Attestation, s: { r: string; vs: string }) {
      return recoverAddress(await w.dsm.attestationDigest(attestation), Signature.from({ r: s.r, yParityAndS: s.vs }));
    }

    it("replaying the attestation of a deposit that happened: DepositRootChanged; a key swap after signing reaches no vetted key, and vetting it: KeysNonceChanged", async function () {
      const w = await loadFixture(world);
      const dsm = w.dsm.connect(w.attacker);
      const attestation = await currentAttestation(w.depositContract, w.registry, ethers.provider);
      const signatures = await signAttestation(w.dsm, attestation, [w.guardian]);
      await (await dsm.depositBufferedEther(w.operatorId, 1n, attestation, signatures)).wait(); // the legitimate one

      const before = await depositState(w);
      const ledger = await Ledger.open(w, [w.attacker.address, w.alice.address]);
      const newRoot = await w.depositContract.get_deposit_root();
      await expect(dsm.depositBufferedEther(w.operatorId, 1n, attestation, signatures))
        .to.be.revertedWithCustomError(w.dsm, "DepositRootChanged")
        .withArgs(attestation.depositRoot, newRoot);
      expect(await depositState(w)).to.deep.equal(before);

      // A fresh attestation, then the operator swaps an undeposited key before the deposit lands: the
      // swapped-in key is unvetted (the vetted keys drop to the hole), so the deposit takes key 1, which
      // the guardians checked.
      const fresh = await currentAttestation(w.depositContract, w.registry, ethers.provider);
      const freshSigs = await signAttestation(w.dsm, fresh, [w.guardian]);
      const operator = w.users[1];
      await (await w.registry.connect(operator).removeSigningKeys(w.operatorId, 7n, 1n)).wait();
      const batch = testKeyBatch("swapped", 0, 1, await w.pool.withdrawalCredentials());
      await (
        await w.registry.connect(operator).addSigningKeys(w.operatorId, 1n, batch.pubkeys, batch.signatures)
      ).wait();
      expect((await w.registry.getNodeOperator(w.operatorId)).vettedKeys).to.equal(7n);
      await expect(dsm.depositBufferedEther(w.operatorId, 1n, fresh, freshSigs))
        .to.emit(w.registry, "KeysDeposited")
        .withArgs(w.operatorId, 1n, 1n);
      expect((await w.registry.getSigningKey(w.operatorId, 7n)).deposited).to.equal(false);

      // Only vetting can add the swapped key to what guardians attest, and it stales their attestation.
      const third = await currentAttestation(w.depositContract, w.registry, ethers.provider);
      const thirdSigs = await signAttestation(w.dsm, third, [w.guardian]);
      const keysNonce = await w.registry.operatorKeysNonce(w.operatorId);
      await (await w.registry.connect(w.admin).setVettedKeys(w.operatorId, 8n, keysNonce)).wait();
      const state = await depositState(w);
      await expect(dsm.depositBufferedEther(w.operatorId, 1n, third, thirdSigs))
        .to.be.revertedWithCustomError(w.dsm, "KeysNonceChanged")
        .withArgs(third.keysNonce, await w.registry.keysNonce());
      expect(await depositState(w)).to.deep.equal(state);
      expect(await ledger.holdingsGasBack(w.alice.address)).to.deep.equal(ledger.holdingsBefore(w.alice.address));
      expect(await ledger.profit(w.attacker.address)).to.equal(0n);
    });

    it("an attestation older than 25 blocks, of a forged block hash or of a future block: StaleAttestation", async function () {
      const w = await loadFixture(world);
      const dsm = w.dsm.connect(w.attacker);
      const old = await currentAttestation(w.depositContract, w.registry, ethers.provider);
      const oldSigs = await signAttestation(w.dsm, old, [w.guardian]);
      const now = await ethers.provider.getBlockNumber();
      const forged = { ...old, blockHash: ethers.id("a block of another fork") };
      const future = { ...old, blockNumber: BigInt(now + 40), blockHash: ethers.id("not mined yet") };
      const cases: [Attestation, Awaited<ReturnType<typeof signAttestation>>][] = [
        [forged, await signAttestation(w.dsm, forged, [w.guardian])],
        [future, await signAttestation(w.dsm, future, [w.guardian])],
      ];
      const before = await depositState(w);
      const ledger = await Ledger.open(w, [w.attacker.address, w.alice.address]);
      for (const [a, sigs] of cases) {
        await expect(dsm.depositBufferedEther(w.operatorId, 1n, a, sigs))
          .to.be.revertedWithCustomError(w.dsm, "StaleAttestation")
          .withArgs(a.blockNumber, a.blockHash);
      }
      // At 25 blocks old the genuine attestation is still good (simulated in the latest block's
      // context); one block later, when the transaction lands, it has expired.
      await mine(BigInt(old.blockNumber) + 25n - BigInt(await ethers.provider.getBlockNumber()));
      await dsm.depositBufferedEther.staticCall(w.operatorId, 1n, old, oldSigs);
      await expect(dsm.depositBufferedEther(w.operatorId, 1n, old, oldSigs))
        .to.be.revertedWithCustomError(w.dsm, "StaleAttestation")
        .withArgs(old.blockNumber, old.blockHash);
      expect(await depositState(w)).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.alice.address)).to.deep.equal(ledger.holdingsBefore(w.alice.address));
      expect(await ledger.profit(w.attacker.address)).to.equal(0n);
    });

    it("the guardian's signature for another deployment's module or for chain 1 recovers to a stranger: NotGuardian", async function () {
      const w = await loadFixture(world);
      const attestation = await currentAttestation(w.depositContract, w.registry, ethers.provider);
      // The other deployment's module would accept this exact attestation: same root, nonce, block.
      expect(await w.other.depositContract.get_deposit_root()).to.equal(attestation.depositRoot);
      const sigs = [await guardianSig(w, w.other.dsm, attestation), await guardianSig(w, w.dsm, attestation, 1n)];
      const before = await depositState(w);
      const ledger = await Ledger.open(w, [w.attacker.address, w.alice.address]);
      for (const s of sigs) {
        const recovered = await recoveredByDsm(w, attestation, s);
        expect(recovered).to.not.equal(w.guardian.address);
        await expect(w.dsm.connect(w.attacker).depositBufferedEther(w.operatorId, 1n, attestation, [s]))
          .to.be.revertedWithCustomError(w.dsm, "NotGuardian")
          .withArgs(recovered);
      }
      expect(await depositState(w)).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.alice.address)).to.deep.equal(ledger.holdingsBefore(w.alice.address));
      expect(await ledger.profit(w.attacker.address)).to.equal(0n);
    });

    it("the attacker's own signature, or one guardian's signature twice for a quorum of two, is refused", async function () {
      const w = await loadFixture(world);
      const g2 = w.users[12];
      await (await w.dsm.connect(w.admin).addGuardian(g2.address, 2n)).wait();
      const attestation = await currentAttestation(w.depositContract, w.registry, ethers.provider);
      const [own] = await signAttestation(w.dsm, attestation, [w.attacker]);
      const [g1sig] = await signAttestation(w.dsm, attestation, [w.guardian]);
      const before = await depositState(w);
      const ledger = await Ledger.open(w, [w.attacker.address, w.alice.address]);
      const dsm = w.dsm.connect(w.attacker);
      await expect(dsm.depositBufferedEther(w.operatorId, 1n, attestation, [g1sig]))
        .to.be.revertedWithCustomError(w.dsm, "NotEnoughSignatures")
        .withArgs(1n, 2n);
      await expect(dsm.depositBufferedEther(w.operatorId, 1n, attestation, [g1sig, g1sig]))
        .to.be.revertedWithCustomError(w.dsm, "SignersNotSorted")
        .withArgs(w.guardian.address, w.guardian.address);
      const [first, second] = BigInt(w.attacker.address) < BigInt(w.guardian.address) ? [own, g1sig] : [g1sig, own];
      await expect(dsm.depositBufferedEther(w.operatorId, 1n, attestation, [first, second]))
        .to.be.revertedWithCustomError(w.dsm, "NotGuardian")
        .withArgs(w.attacker.address);
      expect(await depositState(w)).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.alice.address)).to.deep.equal(ledger.holdingsBefore(w.alice.address));
      expect(await ledger.profit(w.attacker.address)).to.equal(0n);
    });
  });

  describe("ERC-1271 contract-wallet signatures", function () {
    /** A tpETH permit signed by the wallets' owner key for `owner` (a wallet, or the key's own EOA). */
    async function walletPermit(w: World, token: PermitToken, owner: string, spender: string, value: bigint) {
      return sign(
        w.walletKey,
        await permitDomain(token),
        await permitMessage(token, owner, spender, value, await deadlineIn(3600n)),
      );
    }

    it("a wallet's permit works once; replayed, re-addressed to the key's EOA or to a sibling wallet, it is refused", async function () {
      const w = await loadFixture(world);
      const [a, b] = [await w.walletA.getAddress(), await w.walletB.getAddress()];
      const value = parseEther("1");
      const p = await walletPermit(w, w.pool, a, w.attacker.address, value);
      await (await w.pool.connect(w.attacker)[PERMIT_VRS](a, p.spender, value, p.deadline, p.v, p.r, p.s)).wait();
      expect(await w.pool.allowance(a, w.attacker.address)).to.equal(value); // what the wallet's owner signed
      await (await w.pool.connect(w.attacker).transferFrom(a, w.attacker.address, value)).wait();

      const accounts = [a, b, w.walletKey.address, w.attacker.address];
      const before = await tokenState(w, accounts);
      const ledger = await Ledger.open(w, accounts);
      for (const owner of [a, w.walletKey.address, b]) {
        await expect(w.pool.connect(w.attacker)[PERMIT_VRS](owner, p.spender, value, p.deadline, p.v, p.r, p.s))
          .to.be.revertedWithCustomError(w.pool, "PermitInvalidSignature")
          .withArgs(owner);
      }
      expect(await tokenState(w, accounts)).to.deep.equal(before);
      for (const victim of [a, b, w.walletKey.address]) {
        expect(await ledger.holdingsGasBack(victim)).to.deep.equal(ledger.holdingsBefore(victim));
      }
      expect(await ledger.profit(w.attacker.address)).to.equal(0n);
    });

    it("a wallet that writes state or reverts in isValidSignature gives no permit (STATICCALL); wtpETH's (v, r, s) permit takes no ERC-1271", async function () {
      const w = await loadFixture(world);
      const a = await w.walletA.getAddress();
      const accounts = [a, w.walletKey.address, w.attacker.address];
      const before = await tokenState(w, accounts);
      const ledger = await Ledger.open(w, accounts);
      for (const mode of [SIGNATURE_MODE.Stateful, SIGNATURE_MODE.Reverting]) {
        await (await w.walletA.setSignatureMode(mode)).wait();
        const p = await walletPermit(w, w.pool, a, w.attacker.address, parseEther("1"));
        await expect(w.pool.connect(w.attacker)[PERMIT_VRS](a, p.spender, p.value, p.deadline, p.v, p.r, p.s))
          .to.be.revertedWithCustomError(w.pool, "PermitInvalidSignature")
          .withArgs(a);
      }
      expect(await w.walletA.statefulChecks()).to.equal(0n); // the write never happened
      await (await w.walletA.setSignatureMode(SIGNATURE_MODE.Owner)).wait();
      // A wtpETH permit signed exactly as the wallet's tpETH permits are: ECDSA only, so the owner key
      // is recovered, which is not the wallet.
      const wp = await walletPermit(w, w.wrapper, a, w.attacker.address, parseEther("1"));
      await expect(w.wrapper.connect(w.attacker)[PERMIT_VRS](a, wp.spender, wp.value, wp.deadline, wp.v, wp.r, wp.s))
        .to.be.revertedWithCustomError(w.wrapper, "ERC2612InvalidSigner")
        .withArgs(w.walletKey.address, a);
      expect(await tokenState(w, accounts)).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(a)).to.deep.equal(ledger.holdingsBefore(a));
      expect(await ledger.profit(w.attacker.address)).to.equal(0n);
    });

    it("a wallet that approves any hash speaks only for itself: naming alice as owner falls back to ECDSA", async function () {
      const w = await loadFixture(world);
      const hostile = await ethers.deployContract("AttackWallet__Mock", [w.attacker.address]);
      await (await hostile.setSignatureMode(SIGNATURE_MODE.Anything)).wait();
      // The hostile wallet's own "signature" (any bytes) names alice as the owner.
      const junk = { v: 27, r: ethers.id("r"), s: toBeHex(1n, 32) };
      const deadline = await deadlineIn(3600n);
      const accounts = [w.alice.address, w.attacker.address];
      const before = await tokenState(w, accounts);
      const ledger = await Ledger.open(w, [...accounts, await hostile.getAddress()]);
      await expect(
        w.pool
          .connect(w.attacker)
          [PERMIT_VRS](w.alice.address, w.attacker.address, parseEther("50"), deadline, junk.v, junk.r, junk.s),
      )
        .to.be.revertedWithCustomError(w.pool, "PermitInvalidSignature")
        .withArgs(w.alice.address);
      // Through the queue, the hostile wallet can only request its own (empty) balance.
      const request = w.withdrawalQueue.interface.encodeFunctionData("requestWithdrawalsWithPermit", [
        [parseEther("1")],
        w.attacker.address,
        { value: parseEther("1"), deadline, ...junk },
      ]);
      await expect(hostile.connect(w.attacker).execute(w.queueAddress, 0n, request))
        .to.be.revertedWithCustomError(w.pool, "ERC20InsufficientBalance")
        .withArgs(await hostile.getAddress(), 0n, parseEther("1"));
      expect(await tokenState(w, accounts)).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(w.alice.address)).to.deep.equal(ledger.holdingsBefore(w.alice.address));
      expect(await ledger.profit(w.attacker.address, await hostile.getAddress())).to.equal(0n);
    });

    it("a wallet's queue permit replayed by the attacker through the queue: PermitFailedAndAllowanceTooLow", async function () {
      const w = await loadFixture(world);
      const a = await w.walletA.getAddress();
      const value = parseEther("1");
      const p = await walletPermit(w, w.pool, a, w.queueAddress, value);
      const input = { value, deadline: p.deadline, v: p.v, r: p.r, s: p.s };
      // The wallet's own request with its ERC-1271 permit (the legitimate use).
      const request = w.withdrawalQueue.interface.encodeFunctionData("requestWithdrawalsWithPermit", [
        [value],
        ZeroAddress,
        input,
      ]);
      await (await w.walletA.connect(w.walletKey).execute(w.queueAddress, 0n, request)).wait();
      expect(await w.withdrawalQueue.balanceOf(a)).to.equal(1n);

      const accounts = [a, w.attacker.address];
      const before = await tokenState(w, accounts);
      const ledger = await Ledger.open(w, accounts);
      await expect(w.withdrawalQueue.connect(w.attacker).requestWithdrawalsWithPermit([value], a, input))
        .to.be.revertedWithCustomError(w.withdrawalQueue, "PermitFailedAndAllowanceTooLow")
        .withArgs(0n, value);
      await expect(w.walletA.connect(w.walletKey).execute(w.queueAddress, 0n, request))
        .to.be.revertedWithCustomError(w.withdrawalQueue, "PermitFailedAndAllowanceTooLow")
        .withArgs(0n, value);
      expect(await tokenState(w, accounts)).to.deep.equal(before);
      expect(await ledger.holdingsGasBack(a)).to.deep.equal(ledger.holdingsBefore(a));
      expect(await ledger.profit(w.attacker.address)).to.equal(0n);
    });

    it("bytes permits keep the rules: once per nonce in either form, per token, no state-writing wallet, and a hostile wallet speaks only for itself", async function () {
      const w = await loadFixture(world);
      const a = await w.walletA.getAddress();
      const hostile = await ethers.deployContract("AttackWallet__Mock", [w.attacker.address]);
      await (await hostile.setSignatureMode(SIGNATURE_MODE.Anything)).wait();
      const value = parseEther("1");
      // The wallet's tpETH permit as bytes: the legitimate use, once.
      const p = await walletPermit(w, w.pool, a, w.attacker.address, value);
      const bytes = ethers.concat([p.r, p.s, toBeHex(p.v, 1)]);
      await (await w.pool.connect(w.attacker)[PERMIT_BYTES](a, p.spender, value, p.deadline, bytes)).wait();
      await (await w.pool.connect(w.attacker).transferFrom(a, w.attacker.address, value)).wait();

      const accounts = [a, w.alice.address, w.walletKey.address, w.attacker.address];
      const before = await tokenState(w, accounts);
      const ledger = await Ledger.open(w, [...accounts, await hostile.getAddress()]);
      // Replayed in either form, or on wtpETH (another domain).
      await expect(w.pool.connect(w.attacker)[PERMIT_BYTES](a, p.spender, value, p.deadline, bytes))
        .to.be.revertedWithCustomError(w.pool, "PermitInvalidSignature")
        .withArgs(a);
      await expect(w.pool.connect(w.attacker)[PERMIT_VRS](a, p.spender, value, p.deadline, p.v, p.r, p.s))
        .to.be.revertedWithCustomError(w.pool, "PermitInvalidSignature")
        .withArgs(a);
      await expect(w.wrapper.connect(w.attacker)[PERMIT_BYTES](a, p.spender, value, p.deadline, bytes))
        .to.be.revertedWithCustomError(w.wrapper, "PermitInvalidSignature")
        .withArgs(a);
      // The hostile wallet's any-bytes "signature" naming alice: alice has no code, so ECDSA decides.
      const junk = ethers.concat([ethers.id("r"), toBeHex(1n, 32), "0x1b"]);
      for (const token of [w.pool, w.wrapper]) {
        await expect(
          token
            .connect(w.attacker)
            [PERMIT_BYTES](w.alice.address, w.attacker.address, parseEther("50"), p.deadline, junk),
        )
          .to.be.revertedWithCustomError(token, "PermitInvalidSignature")
          .withArgs(w.alice.address);
      }
      // A wallet that writes state or reverts in isValidSignature gives no bytes permit either.
      for (const mode of [SIGNATURE_MODE.Stateful, SIGNATURE_MODE.Reverting]) {
        await (await w.walletA.setSignatureMode(mode)).wait();
        for (const token of [w.pool, w.wrapper]) {
          const q = await walletPermit(w, token, a, w.attacker.address, value);
          await expect(
            token
              .connect(w.attacker)
              [PERMIT_BYTES](a, q.spender, value, q.deadline, ethers.concat([q.r, q.s, toBeHex(q.v, 1)])),
          )
            .to.be.revertedWithCustomError(token, "PermitInvalidSignature")
            .withArgs(a);
        }
      }
      expect(await w.walletA.statefulChecks()).to.equal(0n);
      expect(await tokenState(w, accounts)).to.deep.equal(before);
      for (const victim of [a, w.alice.address, w.walletKey.address]) {
        expect(await ledger.holdingsGasBack(victim)).to.deep.equal(ledger.holdingsBefore(victim));
      }
      expect(await ledger.profit(w.attacker.address, await hostile.getAddress())).to.equal(0n);
    });
  });
});
