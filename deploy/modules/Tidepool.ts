import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { ZeroAddress, id, parseEther } from "ethers";
import hre from "hardhat";

/** The canonical beacon deposit contract on mainnet and Hoodi (consensus-specs configs). */
export const CANONICAL_DEPOSIT_CONTRACT = "0x00000000219ab540356cBB839Cbe05303d7705Fa";
/** Development chains with the default mnemonic's accounts (devnet: Anvil, hardhat.config.ts). */
const LOCAL_NETWORKS = new Set(["hardhat", "localhost", "devnet"]);
/** StakingPool's capabilities (staking, instant redemption, deposits), all paused while it is deployed. */
const ALL_POOL_CAPABILITIES = 7;
/** The id of the module's last future: the record names it once the pool and the queue are open. */
export const LAUNCHED_POOL_FUTURE = "LaunchedStakingPool";

/**
 * Deploys and wires Tidepool. Roles with the default parameters on the in-process network
 * (docs/protocol.md §8): account 0 is admin and holds every governance role, accounts 1–3 are oracle
 * members with quorum 2, account 4 is the only guardian (quorum 1), account 5 the pauser and account
 * 6 the treasury.
 *
 * The pool's implementation keeps the addresses of its peers (wrapper, deposit contract, registry,
 * deposit security module, vaults) as immutables, so checking a caller costs no storage read. The
 * peers need the pool's proxy address first, so the proxy is initialised with a bootstrap
 * implementation (all peers zero), the peers are deployed, and the proxy is upgraded to the real
 * implementation in the same deployment.
 *
 * On local networks the module deploys our spec-faithful DepositContract; elsewhere it uses the
 * canonical one (parameter `depositContract`). Sepolia's deposit contract needs a token adapter and
 * is not supported (docs/deployment.md).
 */
export default buildModule("Tidepool", (m) => {
  const admin = m.getParameter("admin", m.getAccount(0));
  const pauser = m.getParameter("pauser", m.getAccount(5));
  const guardian = m.getParameter("guardian", m.getAccount(4));
  const bootstrapDepositWei = m.getParameter("bootstrapDepositWei", parseEther("0.001"));
  // Lido's mainnet setting: 150,000 ETH per day, refilling over 6,400 blocks.
  const maxStakeLimitWei = m.getParameter("maxStakeLimitWei", parseEther("150000"));
  const stakeLimitIncreasePerBlockWei = m.getParameter("stakeLimitIncreasePerBlockWei", parseEther("150000") / 6400n);
  const bondPerValidatorWei = m.getParameter("bondPerValidatorWei", parseEther("2"));
  const maxAttestationAgeBlocks = m.getParameter("maxAttestationAgeBlocks", 25);
  const treasury = m.getParameter("treasury", m.getAccount(6));
  // Beacon time: locally frames are aligned to the Unix epoch (225 epochs = one UTC day).
  const genesisTime = m.getParameter("genesisTime", 0);
  // Seconds per beacon slot: 12 on mainnet and testnets; devnets that follow the wall clock use 1–2.
  const secondsPerSlot = m.getParameter("secondsPerSlot", 12);
  const epochsPerFrame = m.getParameter("epochsPerFrame", 225);
  const reportDeadlineSlots = m.getParameter("reportDeadlineSlots", 3600);
  const oracleQuorum = m.getParameter("oracleQuorum", 2);
  const oracleMembers = LOCAL_NETWORKS.has(hre.network.name)
    ? [m.getAccount(1), m.getAccount(2), m.getAccount(3)]
    : m.getParameter<string[]>("oracleMembers");

  const zeroPeers = {
    wrapper: ZeroAddress,
    depositContract: ZeroAddress,
    registry: ZeroAddress,
    depositSecurityModule: ZeroAddress,
    withdrawalVault: ZeroAddress,
    elRewardsVault: ZeroAddress,
    oracle: ZeroAddress,
    insuranceFund: ZeroAddress,
    withdrawalQueue: ZeroAddress,
    beaconFacts: ZeroAddress,
  };
  // Permit signature checks live in a linked library, outside the pool's 24 KiB (EIP-170).
  const permitVerifier = m.library("PermitVerifier");
  const poolLibraries = { PermitVerifier: permitVerifier };
  // A half-deployed protocol accepts nothing: the proxy is created paused (staking, instant
  // redemption, deposits: `initializePaused`) and resumed as the deployment's last step
  // (docs/deployment.md).
  const bootstrapImpl = m.contract("StakingPoolBootstrap", [zeroPeers], {
    id: "StakingPoolBootstrapImpl",
    libraries: poolLibraries,
  });
  const proxy = m.contract(
    "ERC1967Proxy",
    [bootstrapImpl, m.encodeFunctionCall(bootstrapImpl, "initializePaused", [admin])],
    { id: "StakingPoolProxy", value: bootstrapDepositWei },
  );
  const bootstrapPool = m.contractAt("StakingPool", proxy, { id: "StakingPoolAtBootstrap" });
  const deployer = m.getAccount(0);

  // Peers
  const wrappedToken = m.contract("WrappedTpEth", [proxy]);
  const depositContract = LOCAL_NETWORKS.has(hre.network.name)
    ? m.contract("DepositContract")
    : m.contractAt("IDepositContract", m.getParameter("depositContract", CANONICAL_DEPOSIT_CONTRACT), {
        id: "DepositContract",
      });

  const withdrawalVaultImpl = m.contract("WithdrawalVault", [proxy], { id: "WithdrawalVaultImpl" });
  const withdrawalVaultProxy = m.contract(
    "ERC1967Proxy",
    [withdrawalVaultImpl, m.encodeFunctionCall(withdrawalVaultImpl, "initialize", [admin])],
    { id: "WithdrawalVaultProxy" },
  );
  const withdrawalVault = m.contractAt("WithdrawalVault", withdrawalVaultProxy);
  const elRewardsVault = m.contract("ExecutionLayerRewardsVault", [proxy]);

  const registryImpl = m.contract("NodeOperatorRegistry", [proxy, depositContract], {
    id: "NodeOperatorRegistryImpl",
  });
  const registryProxy = m.contract(
    "ERC1967Proxy",
    [registryImpl, m.encodeFunctionCall(registryImpl, "initialize", [admin, bondPerValidatorWei])],
    { id: "NodeOperatorRegistryProxy" },
  );
  const nodeOperatorRegistry = m.contractAt("NodeOperatorRegistry", registryProxy);

  const depositSecurityModule = m.contract("DepositSecurityModule", [
    proxy,
    depositContract,
    registryProxy,
    admin,
    maxAttestationAgeBlocks,
  ]);

  const insuranceFund = m.contract("InsuranceFund", [proxy, admin]);

  const withdrawalRequestMetadata = m.library("WithdrawalRequestMetadata");
  const withdrawalQueueImpl = m.contract("WithdrawalQueue", [proxy, wrappedToken], {
    id: "WithdrawalQueueImpl",
    libraries: { WithdrawalRequestMetadata: withdrawalRequestMetadata },
  });
  const withdrawalQueueProxy = m.contract(
    "ERC1967Proxy",
    [withdrawalQueueImpl, m.encodeFunctionCall(withdrawalQueueImpl, "initialize", [admin, pauser])],
    { id: "WithdrawalQueueProxy" },
  );
  const withdrawalQueue = m.contractAt("WithdrawalQueue", withdrawalQueueProxy);
  const grantDeployerQueuePause = m.call(withdrawalQueue, "grantRole", [id("PAUSE_ROLE"), deployer], {
    id: "GrantDeployerQueuePause",
  });
  const pauseQueue = m.call(withdrawalQueue, "pause", [], { id: "PauseQueue", after: [grantDeployerQueuePause] });

  // Beacon-state proofs (issue 17): anyone proves slashings, exits, late exits and foreign
  // credentials against EIP-4788 roots. Late exits are forced after 4 days (Lido's exit deadline is
  // of the same order), cost the bond 0.1 ETH, and governance may force 10 exits a day directly.
  const electraFromSlot = m.getParameter("electraFromSlot", 0);
  const lateExitDeadlineSeconds = m.getParameter("lateExitDeadlineSeconds", 4 * 24 * 3600);
  const lateExitPenaltyWei = m.getParameter("lateExitPenaltyWei", parseEther("0.1"));
  const maxForcedExitsPerDay = m.getParameter("maxForcedExitsPerDay", 10);
  const beaconFacts = m.contract("BeaconFacts", [
    admin,
    genesisTime,
    secondsPerSlot,
    electraFromSlot,
    {
      pool: proxy,
      registry: registryProxy,
      withdrawalVault: withdrawalVaultProxy,
      insuranceFund,
    },
    { lateExitDeadlineSeconds, lateExitPenaltyWei, maxForcedExitsPerDay },
  ]);

  const oracleImpl = m.contract(
    "AccountingOracle",
    [
      proxy,
      registryProxy,
      withdrawalVaultProxy,
      elRewardsVault,
      insuranceFund,
      withdrawalQueueProxy,
      beaconFacts,
      secondsPerSlot,
    ],
    { id: "AccountingOracleImpl" },
  );
  const oracleProxy = m.contract(
    "ERC1967Proxy",
    [
      oracleImpl,
      m.encodeFunctionCall(oracleImpl, "initialize", [
        admin,
        treasury,
        genesisTime,
        epochsPerFrame,
        reportDeadlineSlots,
        oracleMembers,
        oracleQuorum,
      ]),
    ],
    { id: "AccountingOracleProxy" },
  );
  const oracle = m.contractAt("AccountingOracle", oracleProxy);

  // The real implementation, naming every peer, and the upgrade to it.
  const poolImpl = m.contract(
    "StakingPool",
    [
      {
        wrapper: wrappedToken,
        depositContract,
        registry: registryProxy,
        depositSecurityModule,
        withdrawalVault: withdrawalVaultProxy,
        elRewardsVault,
        oracle: oracleProxy,
        insuranceFund,
        withdrawalQueue: withdrawalQueueProxy,
        beaconFacts,
      },
    ],
    { id: "StakingPoolImpl", libraries: poolLibraries },
  );
  const upgrade = m.call(bootstrapPool, "upgradeToAndCall", [poolImpl, "0x"], { id: "UpgradeToPoolImpl" });
  const stakingPool = m.contractAt("StakingPool", proxy, { after: [upgrade] });

  // Roles
  const grantResume = m.call(stakingPool, "grantRole", [id("RESUME_ROLE"), admin], { id: "GrantResume" });
  const grantLimit = m.call(stakingPool, "grantRole", [id("STAKE_LIMIT_ROLE"), admin], { id: "GrantStakeLimit" });
  // The deployer gives up the queue's pause role it took; then the pauser gets the pause roles (again, if
  // it is the deployer).
  const grantPause = m.call(stakingPool, "grantRole", [id("PAUSE_ROLE"), pauser], { id: "GrantPause" });
  const renounceQueuePause = m.call(withdrawalQueue, "renounceRole", [id("PAUSE_ROLE"), deployer], {
    id: "RenounceDeployerQueuePause",
    after: [pauseQueue],
  });
  const grantQueuePause = m.call(withdrawalQueue, "grantRole", [id("PAUSE_ROLE"), pauser], {
    id: "GrantQueuePause",
    after: [renounceQueuePause],
  });
  const wiring = [
    grantResume,
    grantLimit,
    grantPause,
    renounceQueuePause,
    grantQueuePause,
    m.call(stakingPool, "grantRole", [id("INSTANT_REDEEM_PARAMS_ROLE"), admin], { id: "GrantInstantRedeemParams" }),
    m.call(stakingPool, "setStakeLimit", [maxStakeLimitWei, stakeLimitIncreasePerBlockWei], {
      id: "SetStakeLimit",
      after: [grantLimit, grantPause],
    }),
    m.call(nodeOperatorRegistry, "grantRole", [id("OPERATOR_MANAGER_ROLE"), admin], { id: "GrantOperatorManager" }),
    m.call(nodeOperatorRegistry, "grantRole", [id("BOND_MANAGER_ROLE"), admin], { id: "GrantBondManager" }),
    m.call(depositSecurityModule, "addGuardian", [guardian, 1], { id: "AddGuardian" }),
    m.call(nodeOperatorRegistry, "grantRole", [id("ACCOUNTING_ROLE"), oracleProxy], { id: "GrantAccountingToOracle" }),
    m.call(oracle, "grantRole", [id("PAUSE_ROLE"), pauser], { id: "GrantOraclePause" }),
    m.call(nodeOperatorRegistry, "grantRole", [id("ACCOUNTING_ROLE"), beaconFacts], { id: "GrantAccountingToFacts" }),
    m.call(withdrawalVault, "grantRole", [id("EXIT_REQUESTER_ROLE"), beaconFacts], { id: "GrantExitRequesterToFacts" }),
  ];

  // The last step: the pool and the queue open, once everything above is done. The record names
  // `Tidepool#LaunchedStakingPool` only then; the tasks refuse a record without it.
  const resumePool = m.call(stakingPool, "resume", [ALL_POOL_CAPABILITIES], { id: "ResumePool", after: wiring });
  const resumeQueue = m.call(withdrawalQueue, "resume", [], { id: "ResumeQueue", after: wiring });
  m.contractAt("StakingPool", proxy, { id: LAUNCHED_POOL_FUTURE, after: [resumePool, resumeQueue] });

  return {
    stakingPool,
    wrappedToken,
    stakingPoolImplementation: poolImpl,
    depositContract,
    nodeOperatorRegistry,
    depositSecurityModule,
    withdrawalVault,
    elRewardsVault,
    oracle,
    insuranceFund,
    withdrawalQueue,
    beaconFacts,
  };
});
