import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { MSG_TYPE_SEND, OFT_RECEIVE_GAS, lzReceiveOptions } from "../../sdk/src/bridge";

/**
 * A remote chain of the wtpETH bridge (issue 20): the wtpETH OFT and the RateOracle on an L2,
 * wired to the home chain's WtpEthOFTAdapter and RatePusher (peers, enforced lzReceive gas, the
 * outbound rate limit home), then owned by the L2's timelock (which also becomes the endpoint
 * delegate). The home side is deploy/modules/BridgeHome.ts; a further remote chain is wired at
 * home through the timelock with `setPeer`, `setEnforcedOptions` and `setRateLimits`
 * (docs/deployment.md, "Remote chains").
 *
 * Parameters (module "TidepoolRemote"): endpoint (this chain's LayerZero EndpointV2), homeEid,
 * homeAdapter and homePusher (bytes32 peers), timelock, pauser, limitWei and windowSeconds (the
 * outbound limit home), maxChangePerDayBP, maxAgeSeconds.
 */
export default buildModule("TidepoolRemote", (m) => {
  const deployer = m.getAccount(0);
  const endpoint = m.getParameter<string>("endpoint");
  const homeEid = m.getParameter<number>("homeEid", 30101);
  const homeAdapter = m.getParameter<string>("homeAdapter");
  const homePusher = m.getParameter<string>("homePusher");
  const timelock = m.getParameter<string>("timelock");
  const pauser = m.getParameter<string>("pauser");
  const limitWei = m.getParameter<bigint>("limitWei", 1_000n * 10n ** 18n);
  const windowSeconds = m.getParameter<number>("windowSeconds", 86_400);
  const maxChangePerDayBP = m.getParameter<number>("maxChangePerDayBP", 100);
  const maxAgeSeconds = m.getParameter<number>("maxAgeSeconds", 2 * 86_400);

  const oft = m.contract("WtpEthOFT", [endpoint, deployer]);
  const rateOracle = m.contract("RateOracle", [endpoint, deployer, maxChangePerDayBP, maxAgeSeconds]);

  const oftPeer = m.call(oft, "setPeer", [homeEid, homeAdapter]);
  const oftOptions = m.call(oft, "setEnforcedOptions", [
    [{ eid: homeEid, msgType: MSG_TYPE_SEND, options: lzReceiveOptions(OFT_RECEIVE_GAS) }],
  ]);
  const oftLimit = m.call(oft, "setRateLimits", [[{ dstEid: homeEid, limit: limitWei, window: windowSeconds }]]);
  const oftPauser = m.call(oft, "setPauser", [pauser]);
  const oraclePeer = m.call(rateOracle, "setPeer", [homeEid, homePusher]);
  // The RateOracle only receives: its lzReceive gas is enforced on the home RatePusher.

  // Ownership and the endpoint delegate go to the timelock last, after every setting above.
  const wired = [oftPeer, oftOptions, oftLimit, oftPauser, oraclePeer];
  const oftDelegate = m.call(oft, "setDelegate", [timelock], { id: "oftDelegate", after: wired });
  const rateDelegate = m.call(rateOracle, "setDelegate", [timelock], { id: "rateDelegate", after: wired });
  m.call(oft, "transferOwnership", [timelock], { id: "oftOwner", after: [oftDelegate] });
  m.call(rateOracle, "transferOwnership", [timelock], { id: "rateOwner", after: [rateDelegate] });

  return { oft, rateOracle };
});
