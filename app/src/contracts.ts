/**
 * The deployment this build knows (embedded by the dev server, app/server/dev.ts) and the SDK's
 * handles on it.
 */
import { deploymentOf as lookup, type Deployment } from "../../sdk/src/deployments";

export { connectProtocol, INTERFACES, type Protocol } from "../../sdk/src/protocol";

/** The deployment of chain `chainId` recorded at build time, or undefined. */
export function deploymentOf(chainId: bigint): Deployment | undefined {
  return lookup(__TIDEPOOL_DEPLOYMENTS__, chainId);
}
