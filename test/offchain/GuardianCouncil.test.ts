/**
 * The guardian council daemon (offchain/guardians/council.ts): three guardians registered in the
 * deposit security module with a quorum of two, each daemon serving on its own port in this process,
 * the third one down (its port refuses connections). The two up reach the quorum and one deposit
 * lands; two that reach it at once race, and the loser says so in a line; forged, foreign and stale
 * signatures a peer serves do not count; a pending key on the beacon chain makes every guardian
 * refuse to sign.
 */
import { getEventListeners } from "node:events";
import http from "node:http";
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, getBytes, hexlify, parseEther, recoverAddress, Signature } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployWithTwoBondedOperators, type TidepoolFixture } from "../helpers/fixtures";
import { freePorts } from "../helpers/tasks";
import { eth } from "../../sdk/src/format";
import { GENESIS_FORK_VERSIONS, signDeposit, testSecretKey } from "../../offchain/keys/bls";
import { withdrawalCredentialsFor } from "../../offchain/keys/deposit";
import { startLocalBeacon } from "../../offchain/beacon/local";
import {
  DepositLogScanner,
  signAttestationIn,
  type Attestation,
  type BlockSource,
  type EarlierDepositCheck,
} from "../../offchain/guardians/attestations";
import {
  GuardianCouncilDaemon,
  signedAttestationJson,
  type PassOutcome,
  type PeerVerdict,
  type SignedAttestationJson,
} from "../../offchain/guardians/council";

const DEPOSIT = parseEther("32");
const GWEI = 10n ** 9n;
/** The daemons' clock: every line starts with it. */
const NOW = "2026-12-07T18:00:00Z";

/**
 * {deployWithTwoBondedOperators} and three guardians: account 4 (the deployment's) and two more,
 * quorum 2.
 */
async function council() {
  const f = await loadFixture(deployWithTwoBondedOperators);
  const guardians = [f.guardian, f.users[10], f.users[11]];
  await (await f.dsm.connect(f.admin).addGuardian(guardians[1].address, 1)).wait();
  await (await f.dsm.connect(f.admin).addGuardian(guardians[2].address, 2)).wait();
  return { f, guardians };
}

const url = (port: number) => `http://127.0.0.1:${port}`;

/** A daemon and the lines it logged. */
interface Running {
  daemon: GuardianCouncilDaemon;
  lines: string[];
  /** The lines logged since the last call. */
  take(): string[];
}

/** A stand-in peer: serves whatever the test sets at GET /attestation. */
interface FakePeer {
  url: string;
  serve(body: unknown, status?: number): void;
  close(): Promise<void>;
}

/** Whether `pass` deposited, and `peers`' verdicts. */
function signedOutcome(outcome: PassOutcome): Extract<PassOutcome, { status: "signed" }> {
  expect(
    outcome.status,
    JSON.stringify(outcome, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v)),
  ).to.equal("signed");
  return outcome as Extract<PassOutcome, { status: "signed" }>;
}

/** The deposit contract's deposit count (8 bytes, little-endian). */
async function depositCount(f: TidepoolFixture): Promise<bigint> {
  return BigInt(hexlify(getBytes(await f.depositContract.get_deposit_count()).reverse()));
}

/** The attestation a guardian serves, as the module takes it. */
function attestationOf(json: SignedAttestationJson): Attestation {
  return {
    depositRoot: json.attestation.depositRoot,
    keysNonce: BigInt(json.attestation.keysNonce),
    blockNumber: BigInt(json.attestation.blockNumber),
    blockHash: json.attestation.blockHash,
  };
}

async function getJson(address: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(address);
  return { status: res.status, body: await res.json() };
}

describe("Guardian council daemon", function () {
  this.timeout(120_000);
  const closing: { close(): Promise<void> }[] = [];

  afterEach(async function () {
    await hre.network.provider.send("evm_setAutomine", [true]);
    while (closing.length > 0) await closing.pop()!.close();
  });

  async function startGuardian(
    f: TidepoolFixture,
    guardian: HardhatEthersSigner,
    port: number,
    peers: string[],
    check: EarlierDepositCheck = { logs: new DepositLogScanner(f.depositContract, 0) },
    provider: BlockSource = hre.ethers.provider,
  ): Promise<Running> {
    const lines: string[] = [];
    let taken = 0;
    const daemon = await GuardianCouncilDaemon.start({
      contracts: f,
      provider,
      guardian,
      check,
      peers,
      port,
      log: (line) => lines.push(line),
      now: () => new Date(NOW),
    });
    closing.push(daemon);
    return {
      daemon,
      lines,
      take: () => {
        const out = lines.slice(taken);
        taken = lines.length;
        return out;
      },
    };
  }

  async function fakePeer(port: number): Promise<FakePeer> {
    let current: { status: number; body: unknown } = { status: 503, body: { error: "no signed attestation yet" } };
    const server = http.createServer((_, res) => {
      res.writeHead(current.status, { "content-type": "application/json" });
      res.end(JSON.stringify(current.body));
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    const peer = {
      url: url(port),
      serve: (body: unknown, status = 200) => void (current = { status, body }),
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
    closing.push(peer);
    return peer;
  }

  it("two of three guardians, the third down: they reach the quorum and exactly one deposit lands, then the next", async function () {
    const { f, guardians } = await council();
    const [g1, g2, g3] = guardians;
    expect(await f.dsm.quorum()).to.equal(2n);
    expect(await f.dsm.getGuardians()).to.deep.equal([g1.address, g2.address, g3.address]);
    const [p1, p2, p3] = await freePorts(3);
    const one = await startGuardian(f, g1, p1, [url(p2), url(p3)]);
    const two = await startGuardian(f, g2, p2, [url(p1), url(p3)]); // guardian 3 is never started

    const before = {
      buffered: await f.pool.bufferedEther(),
      count: await depositCount(f),
      balance: await hre.ethers.provider.getBalance(await f.depositContract.getAddress()),
    };
    const block = await hre.ethers.provider.getBlockNumber();
    const nonce = await f.registry.keysNonce();

    // Guardian 1 signs alone: guardian 2 has signed nothing yet, guardian 3 refuses connections.
    const first = signedOutcome(await one.daemon.pass());
    expect(first.deposit).to.deep.equal({ status: "waiting" });
    expect(first.signers).to.deep.equal([g1.address]);
    expect(one.take()).to.deep.equal([
      `${NOW} peer ${url(p2)} signs nothing (no signed attestation yet)`,
      `${NOW} peer ${url(p3)} is down (ECONNREFUSED)`,
      `${NOW} block ${block}: signed block ${block - 1} (key nonce ${nonce}), 1 of 2 signatures (peers: 1 silent, 1 down); waiting for 1 more`,
    ]);
    const served = await getJson(`${one.daemon.url}/attestation`);
    expect(served.status).to.equal(200);
    const json = served.body as SignedAttestationJson;
    expect(json.guardian).to.equal(g1.address);
    expect(json.digest).to.equal(await f.dsm.attestationDigest(attestationOf(json)));
    expect(
      recoverAddress(json.digest, Signature.from({ r: json.signature.r, yParityAndS: json.signature.vs })),
    ).to.equal(g1.address);
    expect(await getJson(`${one.daemon.url}/health`)).to.deep.equal({
      status: 200,
      body: { guardian: g1.address, status: "signing", lastPass: NOW, block },
    });
    expect((await getJson(`${one.daemon.url}/nothing`)).status).to.equal(404);

    // Guardian 2 co-signs guardian 1's attestation: a quorum, and it deposits.
    const second = signedOutcome(await two.daemon.pass());
    expect(second.attestation).to.deep.equal(attestationOf(json));
    expect(second.signers).to.deep.equal([g1.address, g2.address].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)));
    if (second.deposit.status !== "deposited") expect.fail(`no deposit: ${JSON.stringify(second.deposit)}`);
    expect([second.deposit.operatorId, second.deposit.count]).to.deep.equal([0n, 4n]);
    const buffered = await f.pool.bufferedEther();
    expect(two.take()).to.deep.equal([
      `${NOW} peer ${url(p3)} is down (ECONNREFUSED)`,
      `${NOW} block ${block}: signed block ${block - 1} (key nonce ${nonce}), 2 of 2 signatures (peers: 1 signed, 1 down);` +
        ` deposited 4 validators (128 ETH) of operator 0, tx ${second.deposit.tx}; buffer now ${eth(buffered)}`,
    ]);
    expect(before.buffered - buffered).to.equal(4n * DEPOSIT);
    expect((await depositCount(f)) - before.count).to.equal(4n);
    expect(await hre.ethers.provider.getBalance(await f.depositContract.getAddress())).to.equal(
      before.balance + 4n * DEPOSIT,
    );
    const tx = await hre.ethers.provider.getTransaction(second.deposit.tx);
    expect([tx?.from, tx?.to]).to.deep.equal([g2.address, await f.dsm.getAddress()]);
    const events = await f.pool.queryFilter(f.pool.filters.ValidatorsDeposited());
    expect(events.map((e) => [e.args.operatorId, e.args.count, e.args.amount, e.transactionHash])).to.deep.equal([
      [0n, 4n, 4n * DEPOSIT, second.deposit.tx],
    ]);

    // Guardian 2 still serves the attestation the deposit used up: guardian 1 signs a new one, says
    // guardian 2 is up now, and nothing more of guardian 3, still down.
    const block2 = await hre.ethers.provider.getBlockNumber();
    const nonce2 = await f.registry.keysNonce();
    const third = signedOutcome(await one.daemon.pass());
    expect(third.peers.get(url(p2))).to.deep.equal({
      kind: "stale",
      reason: "its deposit root is not the deposit contract's now",
    });
    expect(one.take()).to.deep.equal([
      `${NOW} peer ${url(p2)} is up and signing`,
      `${NOW} block ${block2}: signed block ${block2 - 1} (key nonce ${nonce2}), 1 of 2 signatures (peers: 1 stale, 1 down); waiting for 1 more`,
    ]);
    // Guardian 2 co-signs: the two validators the buffer still allows go to operator 1.
    const fourth = signedOutcome(await two.daemon.pass());
    if (fourth.deposit.status !== "deposited") expect.fail(`no deposit: ${JSON.stringify(fourth.deposit)}`);
    expect([fourth.deposit.operatorId, fourth.deposit.count]).to.deep.equal([1n, 2n]);
    expect(before.buffered - (await f.pool.bufferedEther())).to.equal(6n * DEPOSIT);
    expect(await f.pool.queryFilter(f.pool.filters.ValidatorsDeposited())).to.have.length(2);
    expect(two.take()).to.have.length(1); // guardian 3 not said down again

    // Nothing left to deposit: the quorum is there, and a line says why nothing is sent.
    await one.daemon.pass();
    const last = signedOutcome(await two.daemon.pass());
    const depositable = await f.pool.depositableEther();
    expect(last.deposit).to.deep.equal({
      status: "nothing",
      reason: `${eth(depositable)} depositable, 32 ETH per validator`,
    });
    expect(two.take()[0]).to.match(
      /2 of 2 signatures \(peers: 1 signed, 1 down\); nothing to deposit: .+ ETH depositable, 32 ETH per validator$/,
    );
  });

  it("two guardians that hold a quorum at once race: one deposit lands, the other says it lost in a line", async function () {
    const { f, guardians } = await council();
    const [g1, g2] = guardians;
    const [p1, p2, p3] = await freePorts(3);
    const one = await startGuardian(f, g1, p1, [url(p2), url(p3)]);
    const two = await startGuardian(f, g2, p2, [url(p1), url(p3)]);
    // Deposits paused: both guardians gather the quorum over one attestation and hold it.
    await (await f.pool.connect(f.pauser).pause(4)).wait();
    await one.daemon.pass();
    expect(signedOutcome(await two.daemon.pass()).deposit).to.deep.equal({
      status: "nothing",
      reason: "deposits are paused on the pool",
    });
    expect(signedOutcome(await one.daemon.pass()).signers).to.have.length(2);
    await (await f.pool.connect(f.admin).resume(4)).wait();
    one.take();
    two.take();
    const buffered = await f.pool.bufferedEther();

    // Blocks mined by hand: both send before either deposit is mined.
    await hre.network.provider.send("evm_setAutomine", [false]);
    const pending = async () =>
      ((await hre.network.provider.send("eth_getBlockByNumber", ["pending", false])) as { transactions: string[] })
        .transactions.length;
    const until = async (done: () => Promise<boolean>) => {
      for (let i = 0; i < 1000 && !(await done()); i++) await new Promise((r) => setTimeout(r, 10));
    };
    let settled = false;
    const firstPass = one.daemon.pass();
    await until(async () => (await pending()) === 1);
    const secondPass = two.daemon.pass().finally(() => (settled = true));
    await until(async () => settled || (await pending()) === 2);
    await mine(1);
    await hre.network.provider.send("evm_setAutomine", [true]);
    const outcomes = [signedOutcome(await firstPass), signedOutcome(await secondPass)];

    expect(outcomes.map((o) => o.deposit.status).sort()).to.deep.equal(["deposited", "lost-race"]);
    const lost = outcomes.find((o) => o.deposit.status === "lost-race")!;
    expect(lost.deposit).to.deep.equal({ status: "lost-race", error: "DepositRootChanged" });
    const loser = lost === outcomes[0] ? one : two;
    const line = loser.take();
    expect(line).to.have.length(1);
    expect(line[0]).to.match(
      /, 2 of 2 signatures \(peers: 1 signed, 1 down\); not deposited: another guardian deposited first or the attestation aged out \(DepositRootChanged\)$/,
    );
    expect(buffered - (await f.pool.bufferedEther())).to.equal(4n * DEPOSIT);
    const events = await f.pool.queryFilter(f.pool.filters.ValidatorsDeposited());
    expect(events.map((e) => [e.args.operatorId, e.args.count])).to.deep.equal([[0n, 4n]]);
  });

  it("ignores a forged, a foreign or a malformed signature a peer serves, and counts the genuine one", async function () {
    const { f, guardians } = await council();
    const [g1, g2] = guardians;
    const [p1, p2] = await freePorts(2);
    const peer = await fakePeer(p2); // stands at guardian 2's address
    const one = await startGuardian(f, g1, p1, [peer.url]);
    signedOutcome(await one.daemon.pass());
    one.take();
    const served = (await getJson(`${one.daemon.url}/attestation`)).body as SignedAttestationJson;
    const attestation = attestationOf(served);
    const domain = one.daemon.domain;
    const buffered = await f.pool.bufferedEther();

    const stranger = Wallet.createRandom();
    const forged = await signAttestationIn(domain, attestation, stranger);
    const otherModule = { ...domain, verifyingContract: f.poolAddress };
    const foreign = await signAttestationIn(otherModule, attestation, g2);
    const cases: [unknown, string][] = [
      [
        signedAttestationJson(domain, g2.address, attestation, forged),
        `a signature by ${stranger.address}, not by ${g2.address} as it says`,
      ],
      [
        signedAttestationJson(domain, stranger.address, attestation, forged),
        `a signature by ${stranger.address}, who is not a guardian`,
      ],
      [
        // Guardian 2's signature for another module, served as this one's: it recovers to no one.
        signedAttestationJson(domain, g2.address, attestation, foreign),
        `a signature by ${recoverAddress(served.digest, Signature.from({ r: hexlify(foreign.r), yParityAndS: hexlify(foreign.vs) }))}, not by ${g2.address} as it says`,
      ],
      [
        { ...signedAttestationJson(domain, g2.address, attestation, foreign), depositSecurityModule: f.poolAddress },
        `an attestation for another module (chain 31337, ${f.poolAddress})`,
      ],
      [{ hello: "guardians" }, "not a signed attestation"],
    ];
    for (const [body, reason] of cases) {
      peer.serve(body);
      const outcome = signedOutcome(await one.daemon.pass());
      expect(outcome.peers.get(peer.url), reason).to.deep.equal({ kind: "invalid", reason } satisfies PeerVerdict);
      expect(outcome.signers).to.deep.equal([g1.address]);
      expect(outcome.deposit).to.deep.equal({ status: "waiting" });
      expect(one.take()).to.deep.equal([
        `${NOW} peer ${peer.url} serves a signature that does not count: ${reason}`,
        `${NOW} block ${BigInt(attestation.blockNumber) + 1n}: signed block ${attestation.blockNumber} (key nonce ${attestation.keysNonce}), 1 of 2 signatures (peers: 1 invalid); waiting for 1 more`,
      ]);
    }
    expect(await f.pool.bufferedEther()).to.equal(buffered);

    // The same peer serving guardian 2's genuine signature: it counts, and the deposit lands.
    peer.serve(
      signedAttestationJson(domain, g2.address, attestation, await signAttestationIn(domain, attestation, g2)),
    );
    const outcome = signedOutcome(await one.daemon.pass());
    expect(outcome.deposit.status).to.equal("deposited");
    expect(one.take()[0]).to.equal(`${NOW} peer ${peer.url} is up and signing`);
    expect(buffered - (await f.pool.bufferedEther())).to.equal(4n * DEPOSIT);
  });

  it("ignores a peer's attestation of a block too old, of a block not on this chain, or of another key nonce", async function () {
    const { f, guardians } = await council();
    const [g1, g2] = guardians;
    const [p1, p2] = await freePorts(2);
    const peer = await fakePeer(p2);
    const one = await startGuardian(f, g1, p1, [peer.url]);
    const domain = one.daemon.domain;
    const buffered = await f.pool.bufferedEther();
    const maxAge = await f.dsm.maxAttestationAgeBlocks();
    expect(maxAge).to.equal(25n);

    // Signed by guardian 2 at a block that was fine, then 13 blocks later: half the window is gone.
    signedOutcome(await one.daemon.pass());
    const old = attestationOf((await getJson(`${one.daemon.url}/attestation`)).body as SignedAttestationJson);
    const by2 = async (a: Attestation) =>
      signedAttestationJson(domain, g2.address, a, await signAttestationIn(domain, a, g2));
    await mine(13);
    const latest = await hre.ethers.provider.getBlockNumber();
    const parent = await hre.ethers.provider.getBlock(latest - 1);
    const cases: [Attestation, string][] = [
      [old, `block ${old.blockNumber} is too old to submit (latest ${latest}, at most 25 blocks old)`],
      [
        { ...old, blockNumber: BigInt(latest - 1), blockHash: hexlify(getBytes(Wallet.createRandom().privateKey)) },
        `block ${latest - 1} of this chain has another hash`,
      ],
      [
        { ...old, keysNonce: BigInt(old.keysNonce) + 1n, blockNumber: BigInt(latest - 1), blockHash: parent!.hash! },
        `its key nonce ${BigInt(old.keysNonce) + 1n} is not the registry's now (${old.keysNonce})`,
      ],
    ];
    for (const [attestation, reason] of cases) {
      peer.serve(await by2(attestation));
      const outcome = signedOutcome(await one.daemon.pass());
      expect(outcome.peers.get(peer.url), reason).to.deep.equal({ kind: "stale", reason } satisfies PeerVerdict);
      expect(outcome.signers).to.deep.equal([g1.address]);
      expect(outcome.attestation.blockNumber).to.equal(BigInt(latest - 1)); // its own, fresh
      expect(outcome.deposit).to.deep.equal({ status: "waiting" });
    }
    expect(one.lines.filter((l) => l.includes("does not count"))).to.deep.equal([]);
    expect(await f.pool.bufferedEther()).to.equal(buffered);
    expect((await f.pool.getBeaconStat())[0]).to.equal(0n);
  });

  it("a pending key already a validator on the beacon chain with foreign credentials: every guardian refuses to sign", async function () {
    const { f, guardians } = await council();
    const [p1, p2, p3] = await freePorts(3);
    const urls = [p1, p2, p3].map(url);
    const local = await startLocalBeacon(f, hre.network.provider);
    closing.push(local);
    // The guardians read the deposit contract's logs only from after the front-run below: the
    // beacon node alone shows it.
    const from = (await hre.ethers.provider.getBlockNumber()) + 2;
    const running = await Promise.all(
      guardians.map((g, i) =>
        startGuardian(
          f,
          g,
          [p1, p2, p3][i],
          urls.filter((_, j) => j !== i),
          { logs: new DepositLogScanner(f.depositContract, from), beaconUrl: local.api.url },
        ),
      ),
    );
    signedOutcome(await running[0].daemon.pass()); // before: guardian 1 signs
    expect((await getJson(`${urls[0]}/attestation`)).status).to.equal(200);

    // Operator 0 deposits 1 ETH to its own vetted key 0 with its own credentials; the beacon chain
    // takes it in.
    const alpha = f.users[1];
    const own = withdrawalCredentialsFor(alpha.address);
    const d = signDeposit(testSecretKey("Alpha", 0), own, GENESIS_FORK_VERSIONS.mainnet, GWEI);
    const receipt = await (
      await f.depositContract
        .connect(alpha)
        .deposit(d.pubkey, d.withdrawalCredentials, d.signature, d.depositDataRoot, { value: parseEther("1") })
    ).wait();
    expect(receipt?.blockNumber).to.equal(from - 1);
    await local.bridge.sync();
    const validator = local.chain.head().validators.find((v) => v.pubkey === d.pubkey);
    expect(validator?.balanceGwei).to.equal(GWEI);
    const buffered = await f.pool.bufferedEther();
    const block = await hre.ethers.provider.getBlockNumber();

    const refusal =
      `refusing to sign: key 0 of operator 0 is vetted but already has a deposit the pool did not make` +
      ` (pubkey ${d.pubkey}, 1 ETH to withdrawal credentials ${d.withdrawalCredentials},` +
      ` validator ${validator?.index} on the beacon chain), and the pool's 32 ETH would join a validator those` +
      ` credentials own; governance must unvet key 0 of operator 0 before deposits resume`;
    for (const r of running) {
      expect(await r.daemon.pass()).to.deep.equal({ status: "refused", reason: refusal });
      expect(r.take().at(-1)).to.equal(`${NOW} block ${block}: WARNING ${refusal}; serving no attestation`);
      expect(await getJson(`${r.daemon.url}/attestation`)).to.deep.equal({ status: 503, body: { error: refusal } });
      expect(await getJson(`${r.daemon.url}/health`)).to.deep.equal({
        status: 200,
        body: { guardian: r.daemon.address, status: "refusing", lastPass: NOW, block, reason: refusal },
      });
    }
    // Each sees the others sign nothing: guardian 2 sees guardian 1 refuse.
    expect(running[1].lines).to.include(`${NOW} peer ${urls[0]} signs nothing (${refusal})`);
    expect(await f.pool.bufferedEther()).to.equal(buffered);
    expect((await f.pool.getBeaconStat())[0]).to.equal(0n);
    expect(await f.pool.queryFilter(f.pool.filters.ValidatorsDeposited())).to.deep.equal([]);
  });
  it("run(): a pass every interval until stopped; a pass that fails is one line, and the next one runs", async function () {
    const { f, guardians } = await council();
    const [port] = await freePorts(1);
    let failures = 1;
    const flaky: BlockSource = {
      getBlockNumber: async () => {
        if (failures-- > 0) throw new Error("connection reset by peer\n    at somewhere");
        return hre.ethers.provider.getBlockNumber();
      },
      getBlock: (n) => hre.ethers.provider.getBlock(n),
    };
    const one = await startGuardian(f, guardians[0], port, [], undefined, flaky);
    const stop = new AbortController();
    const running = one.daemon.run({ intervalMs: 1, signal: stop.signal });
    for (let i = 0; i < 1000 && one.lines.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    expect(getEventListeners(stop.signal, "abort").length).to.be.at.most(1); // one per wait, not one per pass
    stop.abort();
    await running;
    const block = await hre.ethers.provider.getBlockNumber();
    expect(one.lines[0]).to.equal(`${NOW} pass failed: connection reset by peer`);
    expect(one.lines.length).to.be.at.least(3);
    for (const line of one.lines.slice(1)) {
      expect(line).to.equal(
        `${NOW} block ${block}: signed block ${block - 1} (key nonce ${await f.registry.keysNonce()}), 1 of 2 signatures; waiting for 1 more`,
      );
    }
  });
});
