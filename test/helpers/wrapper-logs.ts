import type { BaseContract, ContractTransactionResponse, Interface } from "ethers";

/**
 * The events a mined transaction emitted, in log order, as `label.EventName` (labels are the keys
 * of `contracts`). Used to assert the order of events across the pool and the wrapper, which the
 * `emit` matcher does not check.
 */
export async function eventTrail(
  tx: ContractTransactionResponse,
  contracts: Record<string, BaseContract>,
): Promise<string[]> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("transaction was not mined");
  const byAddress = new Map<string, { label: string; iface: Interface }>();
  for (const [label, contract] of Object.entries(contracts)) {
    byAddress.set((await contract.getAddress()).toLowerCase(), { label, iface: contract.interface });
  }
  return receipt.logs.map((log) => {
    const known = byAddress.get(log.address.toLowerCase());
    if (known === undefined) return `${log.address}.?`;
    return `${known.label}.${known.iface.parseLog(log)?.name ?? "?"}`;
  });
}
