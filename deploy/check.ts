/**
 * Checks an Ignition parameter file against the network it is meant for, before anything is sent
 * (`npx hardhat deploy-check`, and `npx hardhat deploy` before its first transaction). Each problem
 * names the parameter (`Tidepool.pauser`) and what is wrong with it, in one sentence.
 *
 * Imports ethers only (no hardhat): the task (tasks/deploy.ts) gives it the network's facts.
 */
import { getAddress, isAddress, parseEther, ZeroAddress, type Provider } from "ethers";

/** Which module a deployment runs: the protocol alone, or the protocol and the timelock handover. */
export type DeployModule = "Tidepool" | "Governance";

/** One thing wrong with a parameter file. */
export interface ParameterProblem {
  /** `Tidepool.pauser`, `TidepoolGovernance.proposers`, or `file` / `network` for the whole. */
  parameter: string;
  /** One sentence, naming the parameter. */
  sentence: string;
}

/** What the check needs to know about the network it deploys to. */
export interface NetworkFacts {
  name: string;
  chainId: bigint;
  /** hardhat or localhost: the module deploys its own deposit contract and uses local accounts. */
  local: boolean;
  /** The account that signs the deployment, if the network has one. */
  deployer: string | undefined;
  provider: Provider;
}

/** Every parameter of each module (deploy/modules/*.ts), to catch misspelled ones. */
export const MODULE_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  Tidepool: [
    "admin",
    "pauser",
    "guardian",
    "bootstrapDepositWei",
    "maxStakeLimitWei",
    "stakeLimitIncreasePerBlockWei",
    "bondPerValidatorWei",
    "maxAttestationAgeBlocks",
    "treasury",
    "genesisTime",
    "secondsPerSlot",
    "epochsPerFrame",
    "reportDeadlineSlots",
    "oracleQuorum",
    "oracleMembers",
    "depositContract",
    "electraFromSlot",
    "lateExitDeadlineSeconds",
    "lateExitPenaltyWei",
    "maxForcedExitsPerDay",
  ],
  TidepoolGovernance: ["minDelaySeconds", "proposers", "executors"],
};

/** The beacon chain's genesis time and first Electra slot of the chains we know (consensus-specs configs). */
export const KNOWN_CHAINS: Readonly<Record<string, { name: string; genesisTime: bigint; electraFromSlot: bigint }>> = {
  "1": { name: "mainnet", genesisTime: 1606824023n, electraFromSlot: 11649024n },
  "560048": { name: "Hoodi", genesisTime: 1742213400n, electraFromSlot: 65536n },
};

/** Bounds the contracts enforce (or the deployment needs); a value outside them would revert half-way. */
const MAX_MEMBERS = 64n; // OracleCommittee.MAX_MEMBERS
const MAX_EPOCHS_PER_FRAME = 10_000n; // OracleCommittee._setFrameConfig
const SLOTS_PER_EPOCH = 32n;
const MAINNET_SECONDS_PER_SLOT = 12n; // mainnet's and Hoodi's slot time (consensus-specs configs)
const MIN_BOOTSTRAP_DEPOSIT = parseEther("0.001"); // StakingPool.MIN_BOOTSTRAP_DEPOSIT
const MAX_STAKE_LIMIT = parseEther("10000000"); // StakingPool.MAX_STAKE_LIMIT_CAP
const MAX_BOND = parseEther("32"); // NodeOperatorRegistry.MAX_BOND_PER_VALIDATOR
const MAX_LATE_EXIT_DEADLINE = 30n * 24n * 3600n; // BeaconFacts.MAX_LATE_EXIT_DEADLINE_SECONDS
const MAX_LATE_EXIT_PENALTY = parseEther("32"); // BeaconFacts.MAX_LATE_EXIT_PENALTY_WEI
const MAX_FORCED_EXITS_PER_DAY = 1_000n; // BeaconFacts.MAX_FORCED_EXITS_PER_DAY_CAP
/** The timelock's delay: long enough for holders to react on public networks, not so long it blocks fixes. */
const MIN_PUBLIC_DELAY = 3600n;
const MIN_MAINNET_DELAY = 2n * 24n * 3600n;
const MAX_DELAY = 30n * 24n * 3600n;
/** `get_deposit_root()` of the beacon deposit contract. */
const GET_DEPOSIT_ROOT = "0xc5f2892f";
/** The oracle committee on local networks: accounts 1–3 (deploy/modules/Tidepool.ts). */
const LOCAL_ORACLE_MEMBERS = 3n;

/** What each address parameter is, for the sentence that says a zero one must be replaced. */
const ADDRESS_ROLES: Readonly<Record<string, string>> = {
  admin: "the deployer's own address",
  pauser: "the pauser multisig's address",
  guardian: "the first deposit guardian's address",
  treasury: "the treasury's address",
  depositContract: "the beacon deposit contract's address",
};

/** A parameter file's value as a whole number: a JSON number or Ignition's bigint text ("123n"). */
function wholeNumber(value: unknown): bigint | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === "string" && /^[0-9]+n?$/.test(value)) return BigInt(value.replace(/n$/, ""));
  return undefined;
}

/**
 * The problems of the parameter file `file` (parsed: `parameters`) for deploying `module` to
 * `network`, in the order the deployment would meet them; empty when it may deploy.
 */
export async function checkDeploymentParameters(
  parameters: unknown,
  module: DeployModule,
  network: NetworkFacts,
): Promise<ParameterProblem[]> {
  const problems: ParameterProblem[] = [];
  const problem = (parameter: string, sentence: string): void => {
    problems.push({ parameter, sentence });
  };
  if (parameters === null || typeof parameters !== "object" || Array.isArray(parameters)) {
    problem("file", 'the parameter file must be a JSON object with a "Tidepool" section');
    return problems;
  }
  const file = parameters as Record<string, unknown>;
  const sections = module === "Governance" ? ["Tidepool", "TidepoolGovernance"] : ["Tidepool"];
  for (const name of Object.keys(file)) {
    if (!(name in MODULE_PARAMETERS)) {
      problem(name, `"${name}" is not a module of the deployment (its sections are ${sections.join(" and ")})`);
    }
  }
  const section = (name: string): Record<string, unknown> => {
    const value = file[name];
    if (value === undefined) return {};
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      problem(name, `"${name}" must be an object of parameters`);
      return {};
    }
    return value as Record<string, unknown>;
  };
  const tidepool = section("Tidepool");
  const governance = section("TidepoolGovernance");
  for (const [name, values] of [
    ["Tidepool", tidepool],
    ["TidepoolGovernance", governance],
  ] as const) {
    for (const key of Object.keys(values)) {
      if (!MODULE_PARAMETERS[name].includes(key)) {
        problem(`${name}.${key}`, `${name}.${key} is not a parameter of the ${name} module (misspelled?)`);
      }
    }
  }

  if (network.deployer === undefined) {
    problem("network", `network "${network.name}" has no account to deploy with`);
  }

  // Addresses: required on public networks, never zero where the deployment would fail or ship a hole.
  const address = (name: string, value: unknown, what: string, zero: "allow" | "refuse" = "refuse") => {
    if (typeof value !== "string" || !isAddress(value)) {
      problem(name, `${name} is not an address: ${JSON.stringify(value)}`);
      return undefined;
    }
    if (getAddress(value) === ZeroAddress && zero === "refuse") {
      problem(name, `${name} is the zero address: set ${what}`);
      return undefined;
    }
    return getAddress(value);
  };
  const addressList = (name: string, value: unknown, what: string, zero: "allow" | "refuse" = "refuse") => {
    if (!Array.isArray(value) || value.length === 0) {
      problem(name, `${name} must be a non-empty list of addresses (${what})`);
      return undefined;
    }
    const list = value.map((v, i) => address(`${name}[${i}]`, v, what, zero));
    const seen = new Set<string>();
    list.forEach((a, i) => {
      if (a !== undefined && seen.has(a) && a !== ZeroAddress)
        problem(`${name}[${i}]`, `${name}[${i}] ${a} is listed twice`);
      if (a !== undefined) seen.add(a);
    });
    return list.every((a) => a !== undefined) ? list : undefined;
  };

  for (const key of ["admin", "pauser", "guardian", "treasury"]) {
    const name = `Tidepool.${key}`;
    if (key in tidepool) address(name, tidepool[key], ADDRESS_ROLES[key]);
    else if (!network.local && key !== "admin") problem(name, `${name} is missing: set ${ADDRESS_ROLES[key]}`);
  }
  if ("admin" in tidepool && network.deployer !== undefined && isAddress(tidepool.admin)) {
    const admin = getAddress(tidepool.admin as string);
    if (admin !== ZeroAddress && admin !== getAddress(network.deployer)) {
      problem(
        "Tidepool.admin",
        `Tidepool.admin ${admin} is not the deployer ${getAddress(network.deployer)}, which must hold the admin role to wire the contracts (leave admin out)`,
      );
    }
  }

  // The oracle committee and its quorum: more than half the members, at most all of them.
  let members: bigint | undefined;
  if (network.local) {
    if ("oracleMembers" in tidepool) {
      problem(
        "Tidepool.oracleMembers",
        `Tidepool.oracleMembers is not used on network "${network.name}", whose oracle members are accounts 1 to 3: leave it out`,
      );
    }
    members = LOCAL_ORACLE_MEMBERS;
  } else if (!("oracleMembers" in tidepool)) {
    problem("Tidepool.oracleMembers", "Tidepool.oracleMembers is missing: list the oracle members' addresses");
  } else {
    const list = addressList("Tidepool.oracleMembers", tidepool.oracleMembers, "the oracle members' addresses");
    if (list !== undefined) members = BigInt(list.length);
    if (list !== undefined && members !== undefined && members > MAX_MEMBERS) {
      problem(
        "Tidepool.oracleMembers",
        `Tidepool.oracleMembers lists ${members} members, more than the ${MAX_MEMBERS} allowed`,
      );
    }
  }
  const quorum = "oracleQuorum" in tidepool ? wholeNumber(tidepool.oracleQuorum) : 2n;
  if (quorum === undefined) {
    problem(
      "Tidepool.oracleQuorum",
      `Tidepool.oracleQuorum must be a whole number, got ${JSON.stringify(tidepool.oracleQuorum)}`,
    );
  } else if (members !== undefined && (quorum > members || quorum * 2n <= members)) {
    problem(
      "Tidepool.oracleQuorum",
      `Tidepool.oracleQuorum ${quorum} does not fit ${members} oracle members: it must be more than half of them and at most all`,
    );
  }

  // Beacon time: the chain's own genesis, and frames the committee accepts.
  const numbers = new Map<string, bigint>();
  for (const key of [
    "bootstrapDepositWei",
    "maxStakeLimitWei",
    "stakeLimitIncreasePerBlockWei",
    "bondPerValidatorWei",
    "maxAttestationAgeBlocks",
    "genesisTime",
    "secondsPerSlot",
    "epochsPerFrame",
    "reportDeadlineSlots",
    "electraFromSlot",
    "lateExitDeadlineSeconds",
    "lateExitPenaltyWei",
    "maxForcedExitsPerDay",
  ]) {
    if (!(key in tidepool)) continue;
    const value = wholeNumber(tidepool[key]);
    if (value === undefined) {
      problem(
        `Tidepool.${key}`,
        `Tidepool.${key} must be a whole number (a JSON number, or text ending in "n" for a bigint), got ${JSON.stringify(tidepool[key])}`,
      );
    } else numbers.set(key, value);
  }
  const known = KNOWN_CHAINS[network.chainId.toString()];
  for (const key of ["genesisTime", "electraFromSlot"] as const) {
    const value = numbers.get(key);
    if (!(key in tidepool) && !network.local) {
      problem(
        `Tidepool.${key}`,
        `Tidepool.${key} is missing: set the beacon chain's ${key === "genesisTime" ? "genesis time" : "first Electra slot"}`,
      );
    } else if (known !== undefined && value !== undefined && value !== known[key]) {
      problem(`Tidepool.${key}`, `Tidepool.${key} is ${value}, but ${known.name}'s is ${known[key]}`);
    }
  }
  const genesisTime = numbers.get("genesisTime");
  if (genesisTime !== undefined && known === undefined) {
    const latest = await network.provider.getBlock("latest");
    if (latest !== null && genesisTime > BigInt(latest.timestamp)) {
      problem(
        "Tidepool.genesisTime",
        `Tidepool.genesisTime ${genesisTime} is after the network's latest block (${latest.timestamp})`,
      );
    }
  }
  const secondsPerSlot = numbers.get("secondsPerSlot");
  if (secondsPerSlot === 0n) {
    problem("Tidepool.secondsPerSlot", "Tidepool.secondsPerSlot must be at least 1, got 0");
  } else if (known !== undefined && secondsPerSlot !== undefined && secondsPerSlot !== MAINNET_SECONDS_PER_SLOT) {
    problem(
      "Tidepool.secondsPerSlot",
      `Tidepool.secondsPerSlot is ${secondsPerSlot}, but ${known.name}'s is ${MAINNET_SECONDS_PER_SLOT}`,
    );
  }
  const epochsPerFrame = "epochsPerFrame" in tidepool ? numbers.get("epochsPerFrame") : 225n;
  const deadline = "reportDeadlineSlots" in tidepool ? numbers.get("reportDeadlineSlots") : 3600n;
  if (epochsPerFrame !== undefined && (epochsPerFrame === 0n || epochsPerFrame > MAX_EPOCHS_PER_FRAME)) {
    problem(
      "Tidepool.epochsPerFrame",
      `Tidepool.epochsPerFrame must be from 1 to ${MAX_EPOCHS_PER_FRAME}, got ${epochsPerFrame}`,
    );
  } else if (
    epochsPerFrame !== undefined &&
    deadline !== undefined &&
    (deadline === 0n || deadline > epochsPerFrame * SLOTS_PER_EPOCH)
  ) {
    problem(
      "Tidepool.reportDeadlineSlots",
      `Tidepool.reportDeadlineSlots must be from 1 to one frame (${epochsPerFrame * SLOTS_PER_EPOCH} slots), got ${deadline}`,
    );
  }

  // Amounts and settings the contracts bound.
  const bounded: [string, bigint, bigint, string][] = [
    ["bootstrapDepositWei", MIN_BOOTSTRAP_DEPOSIT, 2n ** 128n - 1n, "wei"],
    ["bondPerValidatorWei", 0n, MAX_BOND, "wei"],
    ["lateExitDeadlineSeconds", 1n, MAX_LATE_EXIT_DEADLINE, "seconds"],
    ["lateExitPenaltyWei", 0n, MAX_LATE_EXIT_PENALTY, "wei"],
    ["maxForcedExitsPerDay", 0n, MAX_FORCED_EXITS_PER_DAY, ""],
  ];
  for (const [key, min, max, unit] of bounded) {
    const value = numbers.get(key);
    if (value !== undefined && (value < min || value > max)) {
      problem(
        `Tidepool.${key}`,
        `Tidepool.${key} must be from ${min} to ${max}${unit ? ` ${unit}` : ""}, got ${value}`,
      );
    }
  }
  const maxStake = numbers.get("maxStakeLimitWei");
  const perBlock = numbers.get("stakeLimitIncreasePerBlockWei");
  if (maxStake !== undefined && maxStake > MAX_STAKE_LIMIT) {
    problem(
      "Tidepool.maxStakeLimitWei",
      `Tidepool.maxStakeLimitWei must be at most ${MAX_STAKE_LIMIT} wei, got ${maxStake}`,
    );
  } else if (maxStake !== undefined && perBlock !== undefined) {
    if (perBlock > maxStake || (perBlock !== 0n && maxStake / perBlock > 2n ** 24n - 1n)) {
      problem(
        "Tidepool.stakeLimitIncreasePerBlockWei",
        `Tidepool.stakeLimitIncreasePerBlockWei ${perBlock} does not fit Tidepool.maxStakeLimitWei ${maxStake}: at most the limit, and the limit refilled within 16,777,215 blocks`,
      );
    }
  }
  const bootstrap = numbers.get("bootstrapDepositWei") ?? MIN_BOOTSTRAP_DEPOSIT;
  if (network.deployer !== undefined && (await network.provider.getBalance(network.deployer)) < bootstrap) {
    problem(
      "Tidepool.bootstrapDepositWei",
      `the deployer ${network.deployer} holds less than Tidepool.bootstrapDepositWei (${bootstrap} wei), which the pool's first transaction sends`,
    );
  }

  // The deposit contract: deployed by the module locally, the chain's own elsewhere.
  if (!network.local) {
    const given = tidepool.depositContract ?? "0x00000000219ab540356cBB839Cbe05303d7705Fa";
    const deposit = address("Tidepool.depositContract", given, ADDRESS_ROLES.depositContract);
    if (deposit !== undefined) {
      let root = "0x";
      if ((await network.provider.getCode(deposit)) !== "0x") {
        root = await network.provider.call({ to: deposit, data: GET_DEPOSIT_ROOT }).catch(() => "0x");
      }
      if (root.length !== 66) {
        problem(
          "Tidepool.depositContract",
          `Tidepool.depositContract ${deposit} is not a beacon deposit contract on network "${network.name}" (no get_deposit_root() there)`,
        );
      }
    }
  }

  // The timelock the Governance module hands every role to.
  if (module === "Governance") {
    for (const key of ["proposers", "executors"]) {
      const name = `TidepoolGovernance.${key}`;
      if (!(key in governance)) {
        problem(
          name,
          `${name} is missing: ${key === "proposers" ? "list the governance multisig" : 'list who may execute ("0x00…00": anyone)'}`,
        );
      } else if (key === "proposers") {
        addressList(name, governance[key], "the governance multisig");
      } else {
        addressList(name, governance[key], "who may execute", "allow");
      }
    }
    const delay = "minDelaySeconds" in governance ? wholeNumber(governance.minDelaySeconds) : 2n * 24n * 3600n;
    const min = network.local ? 0n : network.chainId === 1n ? MIN_MAINNET_DELAY : MIN_PUBLIC_DELAY;
    if (delay === undefined) {
      problem(
        "TidepoolGovernance.minDelaySeconds",
        `TidepoolGovernance.minDelaySeconds must be a whole number of seconds, got ${JSON.stringify(governance.minDelaySeconds)}`,
      );
    } else if (delay < min || delay > MAX_DELAY) {
      problem(
        "TidepoolGovernance.minDelaySeconds",
        `TidepoolGovernance.minDelaySeconds must be from ${min} to ${MAX_DELAY} seconds on network "${network.name}", got ${delay}`,
      );
    }
  }
  return problems;
}
