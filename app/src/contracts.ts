/** The SDK's typed handles on a deployment (the chains and their pools: ./network.ts). */
export { connectProtocol, INTERFACES, type Protocol } from "../../sdk/src/protocol";
