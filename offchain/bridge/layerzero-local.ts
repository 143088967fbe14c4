/**
 * LayerZero V2 on local chains: LayerZero's own `EndpointV2` and `SimpleMessageLib`, deployed from
 * the compiled artifacts the npm package `@layerzerolabs/lz-evm-protocol-v2` ships (its sources need
 * OpenZeppelin 4 and do not compile beside our OpenZeppelin 5), and a relayer that plays the parts a
 * DVN and an executor play on public networks: it reads each endpoint's `PacketSent`, has the
 * destination's message library verify the packet (`validatePacket` → `EndpointV2.verify`), and
 * executes it (`EndpointV2.lzReceive`).
 *
 * The endpoint is LayerZero's real one, so what the bridge relies on is LayerZero's code, not a mock:
 * a packet executes only once it is verified, exactly once (the endpoint clears its payload hash), in
 * any order among verified nonces, and a packet whose execution reverts (a paused OFT, say) stays
 * verified at the endpoint, to be executed again later. The demo (scripts/demo.ts), the web app's local
 * chains (app/server/dev.ts) and the replay tests (test/bridge/endpoint-v2.test.ts) use it. Public
 * networks have LayerZero's deployments, DVNs and executors; nothing here is meant for them.
 */
import {
  Contract,
  ContractFactory,
  Interface,
  ZeroHash,
  dataLength,
  dataSlice,
  getAddress,
  getBytes,
  keccak256,
  toNumber,
  type ContractRunner,
  type Signer,
  type TransactionReceipt,
} from "ethers";
import endpointArtifact from "@layerzerolabs/lz-evm-protocol-v2/artifacts/contracts/EndpointV2.sol/EndpointV2.json";
import messageLibArtifact from "@layerzerolabs/lz-evm-protocol-v2/artifacts/contracts/messagelib/SimpleMessageLib.sol/SimpleMessageLib.json";
import { sendTransaction, type SendOptions } from "../tx";

/** LayerZero's EndpointV2 ABI (as compiled by LayerZero). */
export const ENDPOINT_V2_INTERFACE = new Interface(endpointArtifact.abi);
/** LayerZero's SimpleMessageLib ABI. */
export const SIMPLE_MESSAGE_LIB_INTERFACE = new Interface(messageLibArtifact.abi);

/** A LayerZero endpoint on a local chain and the message library it sends and receives with. */
export interface LocalEndpoint {
  /** The endpoint id LayerZero knows this chain by. */
  eid: number;
  endpoint: string;
  messageLib: string;
}

/** What deploying a local endpoint takes. */
export interface LocalEndpointOptions {
  /** The message library's native fee for every message (LayerZero's fee on a local chain). Default 0.0001 ETH. */
  nativeFeeWei?: bigint;
  /** The only account allowed to verify packets (the relayer's); default: anyone may. */
  verifier?: string;
  /** Passed to every transaction (confirmations, rebroadcasts) on a node that mines by itself. */
  send?: SendOptions;
}

/** The native fee a local message library asks for a message unless told otherwise: 0.0001 ETH. */
export const LOCAL_NATIVE_FEE_WEI = 10n ** 14n;

/** `contract.method(...args)` as one transaction from `signer`, through offchain/tx.ts. */
async function call(
  signer: Signer,
  contract: Contract,
  method: string,
  args: readonly unknown[],
  options?: SendOptions,
): Promise<TransactionReceipt> {
  const data = contract.interface.encodeFunctionData(method, args);
  return sendTransaction(signer, { to: await contract.getAddress(), data }, options);
}

/**
 * Deploys LayerZero's EndpointV2 for `eid` and a SimpleMessageLib beside it, owned by `signer`,
 * registers the library, and sets its fee (and its only verifier, when `options.verifier` is set).
 * Paths to other chains are opened with {@link openPaths}.
 */
export async function deployLocalEndpoint(
  signer: Signer,
  eid: number,
  options: LocalEndpointOptions = {},
): Promise<LocalEndpoint> {
  const owner = await signer.getAddress();
  const deploy = async (artifact: { abi: unknown[]; bytecode: string }, args: unknown[]): Promise<Contract> => {
    const factory = new ContractFactory(artifact.abi as never, artifact.bytecode, signer);
    const request = await factory.getDeployTransaction(...args);
    const receipt = await sendTransaction(signer, request, options.send);
    if (receipt.contractAddress === null) throw new Error("a local LayerZero deployment created no contract");
    return new Contract(receipt.contractAddress, artifact.abi as never, signer);
  };
  const endpoint = await deploy(endpointArtifact, [eid, owner]);
  const lib = await deploy(messageLibArtifact, [await endpoint.getAddress(), owner]);
  await call(signer, endpoint, "registerLibrary", [await lib.getAddress()], options.send);
  await call(signer, lib, "setMessagingFee", [options.nativeFeeWei ?? LOCAL_NATIVE_FEE_WEI, 0n], options.send);
  if (options.verifier !== undefined) {
    await call(signer, lib, "setWhitelistCaller", [getAddress(options.verifier)], options.send);
  }
  return { eid, endpoint: await endpoint.getAddress(), messageLib: await lib.getAddress() };
}

/** Makes `local`'s message library the default one to send to and receive from each of `eids`. */
export async function openPaths(
  signer: Signer,
  local: LocalEndpoint,
  eids: readonly number[],
  options?: SendOptions,
): Promise<void> {
  const endpoint = new Contract(local.endpoint, ENDPOINT_V2_INTERFACE, signer);
  for (const eid of eids) {
    await call(signer, endpoint, "setDefaultSendLibrary", [eid, local.messageLib], options);
    await call(signer, endpoint, "setDefaultReceiveLibrary", [eid, local.messageLib, 0n], options);
  }
}

/** A LayerZero V1 packet (PacketV1Codec): an 81-byte header, then the GUID and the message. */
export interface Packet {
  nonce: bigint;
  srcEid: number;
  /** The sending OApp, as LayerZero's bytes32. */
  sender: string;
  dstEid: number;
  /** The receiving OApp. */
  receiver: string;
  guid: string;
  message: string;
  /** The encoded packet, as `PacketSent` carries it and `validatePacket` takes it. */
  encoded: string;
}

/** Reads an encoded V1 packet; throws on anything else. */
export function decodePacket(encoded: string): Packet {
  if (dataLength(encoded) < 113 || getBytes(encoded)[0] !== 1) {
    throw new Error(`not a LayerZero V1 packet: ${encoded.slice(0, 20)}…`);
  }
  return {
    nonce: BigInt(dataSlice(encoded, 1, 9)),
    srcEid: toNumber(dataSlice(encoded, 9, 13)),
    sender: dataSlice(encoded, 13, 45),
    dstEid: toNumber(dataSlice(encoded, 45, 49)),
    receiver: getAddress(dataSlice(encoded, 61, 81)),
    guid: dataSlice(encoded, 81, 113),
    message: dataSlice(encoded, 113),
    encoded,
  };
}

/** One local chain as the relayer sees it: its endpoint and an account that pays for deliveries. */
export interface RelayedChain extends LocalEndpoint {
  /** Signs `validatePacket` and `lzReceive` on this chain (its provider reads the chain). */
  signer: Signer;
  /**
   * First block to look for `PacketSent` in (usually the chain's next block when the relayer is made).
   * Required: with no start, a first pass could only begin at its own block and would never see the
   * packets sent between making the relayer and that pass.
   */
  fromBlock: number;
}

/** What became of a packet in a relay pass. */
export interface Delivery {
  packet: Packet;
  /**
   * `delivered`: executed now; `failed`: its verification or execution reverted, kept for the next
   * pass; `executed`: already executed at the endpoint (by another executor: anyone may), left alone.
   */
  status: "delivered" | "failed" | "executed";
  /** Why the verification or execution reverted, as `describe` put it (failed only). */
  reason?: string;
  /** The execution's transaction (delivered only). */
  txHash?: string;
}

/** What the relayer is told. */
export interface RelayerOptions {
  /** A sentence for a reverted execution (e.g. the SDK's `describeError` with the bridge's ABIs). */
  describe?: (error: unknown) => string;
  /** Passed to every transaction. */
  send?: SendOptions;
}

const PACKET_SENT = ENDPOINT_V2_INTERFACE.getEvent("PacketSent")!;

/**
 * Moves packets between local endpoints, as LayerZero's DVNs and executors do between public chains.
 * Each {@link relay} pass reads the `PacketSent` logs every chain emitted since the last pass, verifies
 * each packet on its destination (when not verified yet) and executes it; a packet whose verification
 * or execution reverts (a paused OFT, a sender that is not the receiver's peer) is kept and tried again
 * on every later pass until it executes, without holding up the others; one the endpoint has executed
 * already (any account may execute a verified packet) is reported `executed`. Packets for an endpoint id
 * the relayer does not serve are left alone (`unroutable` counts them).
 */
export class LayerZeroRelayer {
  private readonly chains = new Map<number, RelayedChain>();
  private readonly cursors = new Map<number, number>();
  private readonly waiting: Packet[] = [];
  /** Packets sent to endpoint ids the relayer does not serve. */
  unroutable = 0;

  constructor(
    chains: readonly RelayedChain[],
    private readonly options: RelayerOptions = {},
  ) {
    for (const chain of chains) {
      if (this.chains.has(chain.eid)) throw new Error(`two chains with endpoint id ${chain.eid}`);
      this.chains.set(chain.eid, chain);
      this.cursors.set(chain.eid, chain.fromBlock);
    }
  }

  /** Packets verified whose execution reverted, oldest first: executed again on the next pass. */
  pending(): readonly Packet[] {
    return [...this.waiting];
  }

  /** Reads the new packets of every chain and delivers them, and those still pending, in send order. */
  async relay(): Promise<Delivery[]> {
    const fresh: Packet[] = [];
    for (const [eid, chain] of this.chains) {
      const provider = chain.signer.provider;
      if (provider === null) throw new Error(`the relayer's signer on endpoint ${eid} has no provider`);
      // A provider that caches reads (ethers' JsonRpcProvider does for 250 ms unless its cacheTimeout
      // is -1, as offchain/anvil.ts sets it) would show a head from before the last send.
      const latest = await provider.getBlockNumber();
      const from = this.cursors.get(eid)!;
      if (from <= latest) {
        const logs = await provider.getLogs({
          address: chain.endpoint,
          topics: [PACKET_SENT.topicHash],
          fromBlock: from,
          toBlock: latest,
        });
        for (const log of logs) {
          const [encoded] = ENDPOINT_V2_INTERFACE.decodeEventLog(PACKET_SENT, log.data, log.topics) as unknown as [
            string,
          ];
          const packet = decodePacket(encoded);
          if (this.chains.has(packet.dstEid)) fresh.push(packet);
          else this.unroutable += 1;
        }
      }
      this.cursors.set(eid, latest + 1);
    }
    // Every packet read is pending until its delivery is settled: if a node fails mid-pass (the call
    // throws), what was read but not yet delivered is still pending for the next pass.
    this.waiting.push(...fresh);
    const deliveries: Delivery[] = [];
    for (const packet of [...this.waiting]) {
      const delivery = await this.deliver(packet);
      if (delivery.status !== "failed") this.waiting.splice(this.waiting.indexOf(packet), 1);
      deliveries.push(delivery);
    }
    return deliveries;
  }

  /**
   * Verifies `packet` on its destination unless it is already, then executes it; leaves it alone when
   * the endpoint has executed it already (its nonce passed and its payload hash cleared).
   */
  private async deliver(packet: Packet): Promise<Delivery> {
    const chain = this.chains.get(packet.dstEid)!;
    const endpoint = new Contract(chain.endpoint, ENDPOINT_V2_INTERFACE, chain.signer);
    const lib = new Contract(chain.messageLib, SIMPLE_MESSAGE_LIB_INTERFACE, chain.signer);
    const payloadHash = keccak256(packet.guid + packet.message.slice(2));
    const path = [packet.receiver, packet.srcEid, packet.sender] as const;
    const verified = (await endpoint.getFunction("inboundPayloadHash")(...path, packet.nonce)) as string;
    if (verified === ZeroHash) {
      const lazyNonce = (await endpoint.getFunction("lazyInboundNonce")(...path)) as bigint;
      if (packet.nonce <= lazyNonce) return { packet, status: "executed" };
    }
    const origin = { srcEid: packet.srcEid, sender: packet.sender, nonce: packet.nonce };
    try {
      if (verified !== payloadHash)
        await call(chain.signer, lib, "validatePacket", [packet.encoded], this.options.send);
      const receipt = await call(
        chain.signer,
        endpoint,
        "lzReceive",
        [origin, packet.receiver, packet.guid, packet.message, "0x"],
        this.options.send,
      );
      return { packet, status: "delivered", txHash: receipt.hash };
    } catch (error) {
      const reason = this.options.describe?.(error) ?? (error instanceof Error ? error.message : String(error));
      return { packet, status: "failed", reason: reason.split("\n")[0] };
    }
  }
}

/** `runner`'s view of `local`'s endpoint (LayerZero's ABI), for reads and tests. */
export function endpointContract(local: LocalEndpoint, runner: ContractRunner): Contract {
  return new Contract(local.endpoint, ENDPOINT_V2_INTERFACE, runner);
}
