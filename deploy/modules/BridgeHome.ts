import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { MSG_TYPE_SEND, OFT_RECEIVE_GAS, RATE_RECEIVE_GAS, lzReceiveOptions } from "../../sdk/src/bridge";

/**
 * The home side of the wtpETH bridge (issue 20): `WtpEthOFTAdapter` over the deployed wtpETH and
 * `RatePusher` reading the deployed oracle, wired to one remote chain deployed by Remote.ts (peers,
 * enforced lzReceive gas for OFT messages and rates, the outbound limit, the pauser), then the
 * endpoint delegate and ownership handed to the home timelock. Further remote chains are wired by
 * the timelock with the same calls (docs/deployment.md, "Remote chains").
 *
 * Parameters (module "TidepoolBridgeHome"): wtpEth, oracle, endpoint, remoteEid, remoteOft and
 * remoteRateOracle (bytes32 peers), timelock, pauser, limitWei, windowSeconds.
 */
export default buildModule("TidepoolBridgeHome", (m) => {
  const deployer = m.getAccount(0);
  const wtpEth = m.getParameter<string>("wtpEth");
  const oracle = m.getParameter<string>("oracle");
  const endpoint = m.getParameter<string>("endpoint");
  const remoteEid = m.getParameter<number>("remoteEid");
  const remoteOft = m.getParameter<string>("remoteOft");
  const remoteRateOracle = m.getParameter<string>("remoteRateOracle");
  const timelock = m.getParameter<string>("timelock");
  const pauser = m.getParameter<string>("pauser");
  const limitWei = m.getParameter<bigint>("limitWei", 1_000n * 10n ** 18n);
  const windowSeconds = m.getParameter<number>("windowSeconds", 86_400);

  const adapter = m.contract("WtpEthOFTAdapter", [wtpEth, endpoint, deployer]);
  const pusher = m.contract("RatePusher", [wtpEth, oracle, endpoint, deployer]);

  const wired = [
    m.call(adapter, "setPeer", [remoteEid, remoteOft]),
    m.call(adapter, "setEnforcedOptions", [
      [{ eid: remoteEid, msgType: MSG_TYPE_SEND, options: lzReceiveOptions(OFT_RECEIVE_GAS) }],
    ]),
    m.call(adapter, "setRateLimits", [[{ dstEid: remoteEid, limit: limitWei, window: windowSeconds }]]),
    m.call(adapter, "setPauser", [pauser]),
    m.call(pusher, "setPeer", [remoteEid, remoteRateOracle]),
    m.call(pusher, "setEnforcedOptions", [
      [{ eid: remoteEid, msgType: MSG_TYPE_SEND, options: lzReceiveOptions(RATE_RECEIVE_GAS) }],
    ]),
  ];

  // Ownership and the endpoint delegate go to the timelock last, after every setting above.
  const adapterDelegate = m.call(adapter, "setDelegate", [timelock], { id: "adapterDelegate", after: wired });
  const pusherDelegate = m.call(pusher, "setDelegate", [timelock], { id: "pusherDelegate", after: wired });
  m.call(adapter, "transferOwnership", [timelock], { id: "adapterOwner", after: [adapterDelegate] });
  m.call(pusher, "transferOwnership", [timelock], { id: "pusherOwner", after: [pusherDelegate] });

  return { adapter, pusher };
});
