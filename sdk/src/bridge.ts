/**
 * LayerZero V2 pieces the wtpETH bridge needs off-chain: the executor option that sets the gas of
 * a message's `lzReceive`, an address as a peer (bytes32), the Ignition keys and endpoint ids the
 * bridge tasks resolve, and dust removal. Pure (imports `ethers` only), so the Ignition modules, the
 * tests, the bench and tasks/bridge.ts share them.
 */
import { concat, getAddress, toBeHex, zeroPadValue } from "ethers";
import type { SendParamStruct } from "./contracts/WtpEthOFT";

/** Gas for `lzReceive` of a wtpETH OFT message on the destination (a mint or a release, measured ~60k). */
export const OFT_RECEIVE_GAS = 100_000n;
/** Gas for `lzReceive` of a rate on the destination's RateOracle (measured ~40k). */
export const RATE_RECEIVE_GAS = 80_000n;
/** The OFT message type of a plain send (OFTCore.SEND) and RatePusher.PUSH: both 1. */
export const MSG_TYPE_SEND = 1;

/**
 * Type-3 LayerZero options with one executor option: `lzReceive` gets `gas` and no native value.
 * Layout: type 3 (uint16), worker id 1 (executor), option size 17 (uint16), option type 1
 * (lzReceive), gas (uint128).
 */
export function lzReceiveOptions(gas: bigint): string {
  return concat(["0x0003", "0x01", "0x0011", "0x01", zeroPadValue(toBeHex(gas), 16)]);
}

/** An EVM address as a LayerZero peer (left-padded to 32 bytes). */
export function peerBytes32(address: string): string {
  return zeroPadValue(getAddress(address), 32);
}

/** The Ignition record's keys of the bridge contracts (deploy/modules/BridgeHome.ts and Remote.ts). */
export const BRIDGE_DEPLOYMENT_KEYS = {
  adapter: "TidepoolBridgeHome#WtpEthOFTAdapter",
  pusher: "TidepoolBridgeHome#RatePusher",
  remoteOft: "TidepoolRemote#WtpEthOFT",
  remoteRateOracle: "TidepoolRemote#RateOracle",
} as const;

/**
 * LayerZero V2 endpoint ids of the chains wtpETH is meant for, by the name the bridge tasks accept
 * (any other destination is given by its endpoint id).
 */
export const LZ_CHAIN_EIDS: Readonly<Record<string, number>> = {
  arbitrum: 30110,
  optimism: 30111,
  base: 30184,
  "arbitrum-sepolia": 40231,
  "optimism-sepolia": 40232,
  "base-sepolia": 40245,
};

/** The OFTs' shared decimals are 6: what a send of `amount` (18 decimals) carries; the rest stays. */
export function removeDust(amount: bigint): bigint {
  const unit = 10n ** 12n;
  return (amount / unit) * unit;
}

/**
 * The parameters of a plain wtpETH send: `amount` (18 decimals) to `recipient` on `dstEid`, at least
 * `minAmount` arriving (the slippage bound; 0 for a quote).
 */
export function oftSendParam(dstEid: number, recipient: string, amount: bigint, minAmount = 0n): SendParamStruct {
  return {
    dstEid,
    to: peerBytes32(recipient),
    amountLD: amount,
    minAmountLD: minAmount,
    extraOptions: "0x",
    composeMsg: "0x",
    oftCmd: "0x",
  };
}
