// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {NoncesUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/NoncesUpgradeable.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IStakingPool} from "../interfaces/IStakingPool.sol";
import {IPermitSignature} from "../interfaces/IPermitSignature.sol";
import {INodeOperatorRegistry} from "../interfaces/INodeOperatorRegistry.sol";
import {IVaultEtherReceiver} from "../interfaces/IVaultEtherReceiver.sol";
import {IPoolVault} from "../interfaces/IPoolVault.sol";
import {IWithdrawalQueue} from "../interfaces/IWithdrawalQueue.sol";
import {IBeaconFacts} from "../interfaces/IBeaconFacts.sol";
import {StakeControl} from "../lib/StakeControl.sol";
import {PermitVerifier} from "./PermitVerifier.sol";
import {GovernedUpgradeable} from "../governance/GovernedUpgradeable.sol";

/// @title StakingPool — the Tidepool staking pool and the tpETH rebasing token
/// @notice See {IStakingPool}.
/// @dev Layout of the hot storage (ERC-7201 namespace `tidepool.storage.StakingPool`):
///   slot 0 `totals`  : totalShares (uint128) | totalPooledEther (uint128) — read by every stake and transfer;
///   slot 1 `control` : stake-limit state and pause flags — read by every stake;
///   slot 2 `beacon`  : CL balance and validator counts — written by deposits and reports only;
///   slot 3 `instantRedeem` : fee curve, frame cap, reserve target, this frame's redemptions and the
///                      instant liquidity it started with.
/// The withdrawal queue's entry in `shares` holds two numbers: its shares (low 128 bits, as for every
/// holder) and the ETH its unfinalized requests asked for (high 128 bits), the reserve that instant
/// redemptions and deposits leave in the buffer. Requests write that word anyway, so the reserve costs
/// them nothing.
/// `bufferedEther` is derived (total − CL balance − in-transit deposits), so a stake writes two slots.
/// Peers (wrapper, deposit contract, registry, deposit security module, vaults) are immutables of the
/// implementation: authorising them costs no storage read.
contract StakingPool is
    IStakingPool,
    IVaultEtherReceiver,
    IERC20Errors,
    Initializable,
    GovernedUpgradeable,
    EIP712Upgradeable,
    NoncesUpgradeable,
    ReentrancyGuardTransient
{
    using SafeCast for uint256;

    // ──────────────────────────────── Constants ────────────────────────────────

    /// @notice Role that may change the stake limit.
    bytes32 public constant STAKE_LIMIT_ROLE = keccak256("STAKE_LIMIT_ROLE");
    /// @notice Role that may set the instant-redemption fee curve and cap.
    bytes32 public constant INSTANT_REDEEM_PARAMS_ROLE = keccak256("INSTANT_REDEEM_PARAMS_ROLE");
    /// @notice Role that may pause capabilities (and do nothing else).
    bytes32 public constant PAUSE_ROLE = keccak256("PAUSE_ROLE");
    /// @notice Role that may resume paused capabilities (governance).
    bytes32 public constant RESUME_ROLE = keccak256("RESUME_ROLE");

    /// @notice Capability bit: staking (`stake`, plain ETH, ETH sent to wtpETH).
    uint8 public constant CAPABILITY_STAKING = 1;
    /// @notice Capability bit: instant redemption.
    uint8 public constant CAPABILITY_INSTANT_REDEEM = 2;
    /// @notice Capability bit: deposits of buffered ETH to validators.
    uint8 public constant CAPABILITY_DEPOSITS = 4;
    /// @dev All capability bits this version knows.
    uint8 private constant ALL_CAPABILITIES = CAPABILITY_STAKING | CAPABILITY_INSTANT_REDEEM | CAPABILITY_DEPOSITS;
    /// @dev Not a capability: set by the oracle report while bunker mode lasts, next to the pause bits
    /// because instant redemption reads that word anyway. Pause and resume cannot touch it.
    uint8 private constant BUNKER_FLAG = 0x80;
    /// @dev Set with BUNKER_FLAG by a slashing proof: the next reports cannot end bunker mode nor
    /// finalize until one's reference slot is at or after the proof's (asked of the facts contract).
    uint8 private constant SLASHING_HOLD_FLAG = 0x40;

    /// @notice Holder of the shares minted at deployment; nobody has its key, so they stay locked.
    address public constant BOOTSTRAP_SHARES_HOLDER = 0x000000000000000000000000000000000000dEaD;
    /// @notice Smallest ETH deposit `initialize` accepts; it is minted 1:1 as locked shares so the
    /// share rate can never be set by a first staker or rounded to extremes.
    uint256 public constant MIN_BOOTSTRAP_DEPOSIT = 0.001 ether;
    /// @notice Hard cap on `maxStakeLimit`, in wei.
    uint256 public constant MAX_STAKE_LIMIT_CAP = 10_000_000 ether;
    /// @notice Basis points in a whole.
    uint256 public constant TOTAL_BASIS_POINTS = 100_00;
    /// @notice Floor of the instant-redemption minimum fee, in basis points: above the largest positive
    /// rebase one oracle report may make (0.075%), so staking before a report and redeeming after it
    /// never pays.
    uint256 public constant MIN_INSTANT_REDEEM_FEE_BP = 10;
    /// @notice Hard cap on the instant-redemption maximum fee, in basis points.
    uint256 public constant MAX_INSTANT_REDEEM_FEE_BP = 10_00;
    /// @notice Hard cap on instant redemptions per frame, in basis points of TVL.
    uint256 public constant MAX_INSTANT_REDEEM_FRAME_CAP_BP = 10_00;
    /// @notice Hard cap on the instant-liquidity reserve target, in basis points of TVL.
    uint256 public constant MAX_INSTANT_LIQUIDITY_TARGET_BP = 20_00;
    /// @notice Validators per deposit call, at most.
    uint256 public constant MAX_DEPOSITS_PER_CALL = 64;
    /// @notice Length of the window over which instant redemptions are capped and their fee integrated:
    /// a UTC day (`block.timestamp / 1 days`), as long as an oracle frame of 225 epochs but not aligned
    /// with it unless the beacon chain's genesis time is.
    uint256 public constant INSTANT_REDEEM_FRAME_SECONDS = 1 days;
    /// @dev ETH per validator, in wei (physics, not policy).
    uint256 internal constant DEPOSIT_SIZE = 32 ether;

    /// @dev The token's name, also its EIP-712 domain name.
    string private constant NAME = "Tidepool Staked Ether";
    /// @dev The EIP-712 domain version.
    string private constant EIP712_VERSION = "1";
    /// @dev The EIP-712 domain's type hash and its name and version hashes: the domain is constant
    /// but for the chain id, so it is built without reading storage.
    bytes32 private constant EIP712_DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );
    bytes32 private constant EIP712_NAME_HASH = keccak256(bytes(NAME));
    bytes32 private constant EIP712_VERSION_HASH = keccak256(bytes(EIP712_VERSION));

    // keccak256(abi.encode(uint256(keccak256("tidepool.storage.StakingPool")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0x2c6002d777908ffaa70cf47c22b88426746e476a7af6fd119d6728dea1d96d00;

    // ──────────────────────────────── Storage ────────────────────────────────

    /// @dev One slot: the two terms of the share rate.
    struct Totals {
        uint128 totalShares;
        uint128 totalPooledEther;
    }

    /// @dev One slot: the consensus-layer terms of totalPooledEther.
    struct Beacon {
        uint128 clBalance; // wei, at the last report
        uint64 depositedValidators; // ever deposited
        uint64 clValidators; // visible on the beacon chain at the last report
    }

    /// @dev One slot: the instant-redemption fee curve and this frame's running totals.
    struct InstantRedeemState {
        uint16 minFeeBP;
        uint16 maxFeeBP;
        uint16 frameCapBP; // of totalPooledEther
        uint16 liquidityTargetBP; // of totalPooledEther, kept in the buffer by deposits
        uint32 frameIndex; // block.timestamp / INSTANT_REDEEM_FRAME_SECONDS of the last redemption
        uint96 redeemedInFrame; // tpETH wei redeemed in that frame
        uint64 frameLiquidityGwei; // the instant liquidity before the frame's first redemption, in gwei
    }

    /// @custom:storage-location erc7201:tidepool.storage.StakingPool
    struct PoolStorage {
        Totals totals;
        StakeControl control; // stake limit and pause flags, see lib/StakeControl.sol
        Beacon beacon;
        InstantRedeemState instantRedeem;
        mapping(address account => uint256) shares;
        mapping(address owner => mapping(address spender => uint256)) allowances;
    }

    // ──────────────────────────────── Immutables ────────────────────────────────

    /// @notice The contracts the pool works with. Each is an immutable of the implementation, so
    /// checking a caller costs no storage read; a deployment starts the proxy on a bootstrap
    /// implementation with all of them zero, deploys them, then upgrades to one that names them.
    struct Peers {
        address wrapper;
        address depositContract;
        address registry;
        address depositSecurityModule;
        address withdrawalVault;
        address elRewardsVault;
        address oracle;
        address insuranceFund;
        address withdrawalQueue;
        address beaconFacts;
    }

    /// @inheritdoc IStakingPool
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable WRAPPER;
    /// @notice The beacon-chain deposit contract.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable DEPOSIT_CONTRACT;
    /// @notice The node operator registry.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable REGISTRY;
    /// @notice The deposit security module, the only caller of `depositBufferedEther`.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable DEPOSIT_SECURITY_MODULE;
    /// @notice The withdrawal vault, named in every validator's withdrawal credentials.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable WITHDRAWAL_VAULT;
    /// @notice The execution-layer rewards vault (the validators' fee recipient).
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable EL_REWARDS_VAULT;
    /// @inheritdoc IStakingPool
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable ORACLE;
    /// @notice The insurance fund: fee shares in, burned to cover losses bonds could not.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable INSURANCE_FUND;
    /// @notice The withdrawal queue: its unfinalized requests come before instant redemptions and deposits.
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address public immutable WITHDRAWAL_QUEUE;
    /// @dev The beacon facts contract, the only caller of `recordProvenFact` (its address is public
    /// on the oracle, `BEACON_FACTS`).
    /// @custom:oz-upgrades-unsafe-allow state-variable-immutable
    address internal immutable BEACON_FACTS;

    // ──────────────────────────────── Construction ────────────────────────────────

    /// @param peers The contracts the pool works with (all zero for the bootstrap implementation).
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(Peers memory peers) {
        WRAPPER = peers.wrapper;
        DEPOSIT_CONTRACT = peers.depositContract;
        REGISTRY = peers.registry;
        DEPOSIT_SECURITY_MODULE = peers.depositSecurityModule;
        WITHDRAWAL_VAULT = peers.withdrawalVault;
        EL_REWARDS_VAULT = peers.elRewardsVault;
        ORACLE = peers.oracle;
        INSURANCE_FUND = peers.insuranceFund;
        WITHDRAWAL_QUEUE = peers.withdrawalQueue;
        BEACON_FACTS = peers.beaconFacts;
        _disableInitializers();
    }

    /// @notice Initialises the proxy: roles and the locked bootstrap shares.
    /// @dev `msg.value` (≥ `MIN_BOOTSTRAP_DEPOSIT`) is minted 1:1 as shares to `BOOTSTRAP_SHARES_HOLDER`.
    /// The EIP-712 domain is constant ({eip712Domain}), so `__EIP712_init` would only store strings
    /// nothing reads; it is left out (it also saves 1 KiB of the pool's code).
    /// @param admin Receives DEFAULT_ADMIN_ROLE (governance); it grants the other roles.
    /// @custom:oz-upgrades-unsafe-allow missing-initializer-call
    function initialize(address admin) public payable initializer {
        if (admin == address(0)) revert ZeroAddress("admin");
        if (msg.value < MIN_BOOTSTRAP_DEPOSIT) revert BootstrapDepositTooSmall(msg.value);
        __AccessControl_init();
        __Nonces_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);

        PoolStorage storage $ = _storage();
        $.totals = Totals({totalShares: msg.value.toUint128(), totalPooledEther: msg.value.toUint128()});
        _setInstantRedeemParams($, 25, 300, 100); // docs/protocol.md §3 defaults
        _setInstantLiquidityTarget($, 100);
        $.shares[BOOTSTRAP_SHARES_HOLDER] = msg.value;
        _emitTransfers(address(0), BOOTSTRAP_SHARES_HOLDER, msg.value, msg.value);
    }

    // ──────────────────────────────── ERC-20 metadata ────────────────────────────────

    /// @inheritdoc IERC20Metadata
    function name() external pure returns (string memory) {
        return NAME;
    }

    /// @inheritdoc IERC20Metadata
    function symbol() external pure returns (string memory) {
        return "tpETH";
    }

    /// @inheritdoc IERC20Metadata
    function decimals() external pure returns (uint8) {
        return 18;
    }

    // ──────────────────────────────── Staking ────────────────────────────────

    /// @notice Plain ETH stakes with no referral.
    receive() external payable {
        _stake(address(0));
    }

    /// @inheritdoc IStakingPool
    function stake(address referral) external payable returns (uint256 shares) {
        return _stake(referral);
    }

    /// @inheritdoc IStakingPool
    function getCurrentStakeLimit() external view returns (uint256) {
        StakeControl c = _storage().control;
        if (c.pausedFlags() & CAPABILITY_STAKING != 0) return 0;
        if (c.maxStakeLimit() == 0) return type(uint256).max;
        return c.currentStakeLimit();
    }

    /// @inheritdoc IStakingPool
    function getStakeLimitParams()
        external
        view
        returns (
            uint256 maxStakeLimit,
            uint256 stakeLimitIncreasePerBlock,
            uint256 prevStakeLimit,
            uint256 prevStakeBlockNumber
        )
    {
        StakeControl c = _storage().control;
        return (c.maxStakeLimit(), c.increasePerBlock(), c.prevStakeLimit(), c.prevStakeBlock());
    }

    // ──────────────────────────────── ERC-20 ────────────────────────────────

    /// @inheritdoc IERC20
    function totalSupply() external view returns (uint256) {
        return _storage().totals.totalPooledEther;
    }

    /// @inheritdoc IERC20
    function balanceOf(address account) external view returns (uint256) {
        Totals memory t = _storage().totals;
        return _toEthDown(uint128(_storage().shares[account]), t); // the queue's word: shares only
    }

    /// @inheritdoc IERC20
    function allowance(address owner, address spender) external view returns (uint256) {
        return _storage().allowances[owner][spender];
    }

    /// @inheritdoc IERC20
    function approve(address spender, uint256 amount) external returns (bool) {
        _approve(msg.sender, spender, amount);
        return true;
    }

    /// @inheritdoc IERC20
    /// @dev Moves `amount` worth of shares rounded up, so that the recipient's balance rises by at
    /// least `amount` and can be forwarded again; never more than the sender's shares.
    function transfer(address to, uint256 amount) external returns (bool) {
        _transferAmount(msg.sender, to, amount);
        return true;
    }

    /// @inheritdoc IERC20
    /// @dev Spends exactly `amount` of allowance; moves shares as {transfer}.
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        _spendAllowance(from, msg.sender, amount);
        _transferAmount(from, to, amount);
        return true;
    }

    // ──────────────────────────────── EIP-2612 ────────────────────────────────

    /// @inheritdoc IERC20Permit
    /// @dev Accepts an ECDSA signature from an EOA or an ERC-1271 signature from a contract wallet;
    /// for the latter the signature passed to `isValidSignature` is `abi.encodePacked(r, s, v)`.
    function permit(
        address owner,
        address spender,
        uint256 value,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        _permit(owner, spender, value, deadline, abi.encodePacked(r, s, v));
    }

    /// @inheritdoc IPermitSignature
    function permit(
        address owner,
        address spender,
        uint256 value,
        uint256 deadline,
        bytes calldata signature
    ) external {
        _permit(owner, spender, value, deadline, signature);
    }

    /// @inheritdoc IERC20Permit
    function nonces(address owner) public view override(IERC20Permit, NoncesUpgradeable) returns (uint256) {
        return super.nonces(owner);
    }

    /// @inheritdoc IERC20Permit
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparator();
    }

    /// @inheritdoc IERC5267
    /// @dev Constants but for the chain id: OpenZeppelin's version reads them from storage, which
    /// `initialize` does not write (the domain never changes).
    function eip712Domain()
        public
        view
        override
        returns (bytes1, string memory, string memory, uint256, address, bytes32, uint256[] memory)
    {
        return (hex"0f", NAME, EIP712_VERSION, block.chainid, address(this), bytes32(0), new uint256[](0));
    }

    /// @dev The EIP-712 name, a constant, as OpenZeppelin suggests: its internal helpers then agree
    /// with {eip712Domain} without reading storage.
    // solhint-disable-next-line func-name-mixedcase
    function _EIP712Name() internal pure override returns (string memory) {
        return NAME;
    }

    /// @dev The EIP-712 version, a constant (see {_EIP712Name}).
    // solhint-disable-next-line func-name-mixedcase
    function _EIP712Version() internal pure override returns (string memory) {
        return EIP712_VERSION;
    }

    // ──────────────────────────────── Instant redemption ────────────────────────────────

    /// @inheritdoc IStakingPool
    function instantRedeem(
        uint256 amount,
        uint256 minEthOut,
        address recipient
    ) external nonReentrant returns (uint256 ethOut) {
        if (amount == 0) revert InstantRedeemZeroAmount();
        if (recipient == address(0)) revert ZeroAddress("recipient");
        if (recipient == address(this) || recipient == WRAPPER || recipient == WITHDRAWAL_QUEUE) {
            revert ProtocolContractRefused(recipient);
        }
        PoolStorage storage $ = _storage();
        uint8 flags = $.control.pausedFlags();
        if (flags & CAPABILITY_INSTANT_REDEEM != 0) revert InstantRedeemPaused();
        if (flags & BUNKER_FLAG != 0) revert InstantRedeemBunkerMode();

        Totals memory t = $.totals;
        uint256 fee;
        InstantRedeemState memory r;
        (ethOut, fee, r) = _previewInstantRedeem($, t, amount);
        if (ethOut < minEthOut) revert SlippageExceeded(ethOut, minEthOut);
        _recordInstantRedemption($, r, amount, t.totalPooledEther);

        // Burn the shares worth `amount`, rounded up; only `ethOut` leaves the pool, so the fee
        // (and the rounding) raise the share rate for those who stay.
        uint256 fromShares = $.shares[msg.sender];
        uint256 shares = _sharesForAmount(msg.sender, fromShares, amount, t);
        unchecked {
            $.shares[msg.sender] = fromShares - shares; // checked in _sharesForAmount
            // shares ≤ fromShares ≤ totalShares; ethOut ≤ amount ≤ instant liquidity ≤ totalPooledEther
            _writeTotals($, Totals(uint128(t.totalShares - shares), uint128(t.totalPooledEther - ethOut)));
        }
        _emitTransfers(msg.sender, address(0), amount, shares);
        emit InstantRedeemed(msg.sender, recipient, amount, shares, ethOut, fee);

        (bool ok, ) = recipient.call{value: ethOut}("");
        if (!ok) revert EthTransferFailed(recipient, ethOut);
    }

    /// @inheritdoc IStakingPool
    function previewInstantRedeem(uint256 amount) external view returns (uint256 ethOut, uint256 fee) {
        PoolStorage storage $ = _storage();
        (ethOut, fee, ) = _previewInstantRedeem($, $.totals, amount);
    }

    /// @inheritdoc IStakingPool
    function instantLiquidity() external view returns (uint256) {
        PoolStorage storage $ = _storage();
        return _instantLiquidity($, $.totals);
    }

    /// @inheritdoc IStakingPool
    function getInstantRedeemParams()
        external
        view
        returns (uint256 minFeeBP, uint256 maxFeeBP, uint256 frameCapBP, uint256 remainingInFrame)
    {
        PoolStorage storage $ = _storage();
        InstantRedeemState memory r = $.instantRedeem;
        uint256 cap = (uint256($.totals.totalPooledEther) * r.frameCapBP) / TOTAL_BASIS_POINTS;
        uint256 used = r.frameIndex == block.timestamp / INSTANT_REDEEM_FRAME_SECONDS ? r.redeemedInFrame : 0;
        return (r.minFeeBP, r.maxFeeBP, r.frameCapBP, used < cap ? cap - used : 0);
    }

    // ──────────────────────────────── Deposits ────────────────────────────────

    /// @inheritdoc IStakingPool
    function depositBufferedEther(uint256 operatorId, uint256 count) external nonReentrant returns (uint256 amount) {
        if (msg.sender != DEPOSIT_SECURITY_MODULE) revert CallerNotDepositSecurityModule(msg.sender);
        PoolStorage storage $ = _storage();
        if ($.control.pausedFlags() & CAPABILITY_DEPOSITS != 0) revert DepositsPaused();
        if (count == 0 || count > MAX_DEPOSITS_PER_CALL) revert InvalidDepositCount(count, MAX_DEPOSITS_PER_CALL);
        amount = count * DEPOSIT_SIZE;
        uint256 depositable = _depositableEther($, $.totals);
        if (amount > depositable) revert NotEnoughBufferedEther(amount, depositable);

        // The ETH moves from the buffer to "deposited, not yet visible": totalPooledEther is unchanged.
        $.beacon.depositedValidators += uint64(count); // count ≤ 64

        INodeOperatorRegistry(REGISTRY).depositKeys{value: amount}(operatorId, count, withdrawalCredentials());
        emit ValidatorsDeposited(operatorId, count, amount);
    }

    /// @inheritdoc IStakingPool
    function depositableEther() external view returns (uint256) {
        PoolStorage storage $ = _storage();
        return _depositableEther($, $.totals);
    }

    /// @inheritdoc IStakingPool
    function withdrawalCredentials() public view returns (bytes32) {
        return bytes32((uint256(1) << 248) | uint256(uint160(WITHDRAWAL_VAULT)));
    }

    /// @inheritdoc IVaultEtherReceiver
    /// @dev Only the report moves vault ETH in, and it accounts for it; this entry only accepts it.
    function receiveVaultEther() external payable {
        if (msg.sender != WITHDRAWAL_VAULT && msg.sender != EL_REWARDS_VAULT) revert CallerNotVault(msg.sender);
    }

    // ──────────────────────────────── Oracle reports ────────────────────────────────

    /// @inheritdoc IStakingPool
    /// @dev The oracle has checked the figures against its sanity limits (validators monotonic and at
    /// most deposited, vault amounts at most the vaults' balances, burns at most the shares held);
    /// checked arithmetic backs each of those up here. Vault ETH arrives last (interactions last),
    /// through the vaults' `transferToPool`, which calls `receiveVaultEther`.
    // One report is applied in one place, in order: totals, mints and burns, then the ETH moves.
    // solhint-disable-next-line function-max-lines
    function applyReport(
        ReportUpdate calldata update
    ) external nonReentrant returns (uint256 postTotalPooledEther, uint256 postTotalShares) {
        if (msg.sender != ORACLE) revert CallerNotOracle(msg.sender);
        PoolStorage storage $ = _storage();
        Totals memory t = $.totals;
        Beacon memory b = $.beacon;
        uint256 available = _bufferedEther($, t) + update.withdrawalVaultWei + update.elRewardsVaultWei;
        postTotalPooledEther =
            available +
            update.clBalanceWei +
            (b.depositedValidators - update.clValidators) * DEPOSIT_SIZE;
        $.beacon = Beacon({
            clBalance: update.clBalanceWei.toUint128(),
            depositedValidators: b.depositedValidators,
            clValidators: uint64(update.clValidators) // ≤ depositedValidators, checked above
        });

        // Loss cover: protocol-held shares burned at the pre-report rate (their ETH value is in
        // the Transfer events); it raises the rate for everyone else by what they cover.
        postTotalShares = t.totalShares;
        postTotalShares -= _burn($, REGISTRY, update.bondSharesToBurn, t);
        postTotalShares -= _burn($, INSURANCE_FUND, update.insuranceSharesToBurn, t);
        postTotalShares += update.treasuryFeeShares + update.operatorsFeeShares + update.insuranceFeeShares;

        // Finalization at the report's rate (the queue checks the requests and the buffer): their
        // shares are burned and their ETH leaves the buffer for the queue, sent last.
        uint256 lockWei;
        uint256 burnShares;
        uint256 finalizedNominal;
        if (update.finalizationBatchEnds.length != 0) {
            (lockWei, burnShares, finalizedNominal) = IWithdrawalQueue(WITHDRAWAL_QUEUE).finalize(
                update.finalizationBatchEnds,
                postTotalPooledEther,
                postTotalShares,
                update.refSlotTimestamp,
                available
            );
            postTotalPooledEther -= lockWei;
            postTotalShares -= burnShares;
        }
        Totals memory post = Totals({
            totalShares: postTotalShares.toUint128(),
            totalPooledEther: postTotalPooledEther.toUint128()
        });
        _writeTotals($, post);
        _mint($, update.treasury, update.treasuryFeeShares, post);
        _mint($, REGISTRY, update.operatorsFeeShares, post);
        _mint($, INSURANCE_FUND, update.insuranceFeeShares, post);
        if (burnShares != 0) _burnFinalized($, burnShares, finalizedNominal, post);

        StakeControl c = $.control;
        uint8 flags = c.pausedFlags();
        bool bunker = update.bunkerMode;
        if (flags & SLASHING_HOLD_FLAG != 0) {
            // A slashing was proven: a report whose data predates it keeps bunker mode on and may not
            // finalize (checked here, last: the revert undoes the finalization above); a later one
            // ends the hold and decides bunker mode itself.
            uint256 holdFrom = IBeaconFacts(BEACON_FACTS).slashingHoldFromTimestamp();
            if (update.refSlotTimestamp < holdFrom) {
                if (update.finalizationBatchEnds.length != 0) {
                    revert FinalizationHeldBySlashingProof(update.refSlotTimestamp, holdFrom);
                }
                bunker = true;
            } else {
                flags &= ~SLASHING_HOLD_FLAG;
            }
        }
        uint8 newFlags = bunker ? flags | BUNKER_FLAG : flags & ~BUNKER_FLAG;
        if (newFlags != c.pausedFlags()) $.control = c.withPausedFlags(newFlags);

        if (update.withdrawalVaultWei != 0) IPoolVault(WITHDRAWAL_VAULT).transferToPool(update.withdrawalVaultWei);
        if (update.elRewardsVaultWei != 0) IPoolVault(EL_REWARDS_VAULT).transferToPool(update.elRewardsVaultWei);
        if (lockWei != 0) IWithdrawalQueue(WITHDRAWAL_QUEUE).fundFinalizedPayouts{value: lockWei}();
    }

    /// @inheritdoc IStakingPool
    /// @dev A write-off's burns are priced by the facts contract at the current rate (rounded up), so
    /// when bond and insurance cover the 32 ETH the rate does not fall; what they cannot cover,
    /// holders bear.
    function recordProvenFact(bool slashing, uint256 bondShares, uint256 insuranceShares) external {
        if (msg.sender != BEACON_FACTS) revert CallerNotBeaconFacts(msg.sender);
        PoolStorage storage $ = _storage();
        if (slashing) {
            // The flag bits sit at the top of `control` ({StakeControl}: bits 248–255), the storage
            // struct's second word. Set in assembly: a Solidity write of `$.control` here makes the
            // optimizer compile every stake's write of it differently (+58 gas a stake).
            uint256 hold = uint256(BUNKER_FLAG | SLASHING_HOLD_FLAG) << 248;
            assembly ("memory-safe") {
                let slot := add($.slot, 1)
                sstore(slot, or(sload(slot), hold))
            }
            return;
        }
        Beacon memory b = $.beacon;
        if (b.depositedValidators <= b.clValidators) revert NoDepositInTransit();
        $.beacon.depositedValidators = b.depositedValidators - 1;
        Totals memory t = $.totals;
        uint256 shares =
            t.totalShares - _burn($, REGISTRY, bondShares, t) - _burn($, INSURANCE_FUND, insuranceShares, t);
        _writeTotals($, Totals(shares.toUint128(), (t.totalPooledEther - DEPOSIT_SIZE).toUint128()));
    }

    /// @inheritdoc IStakingPool
    function returnWithdrawalExcess() external payable {
        if (msg.sender != WITHDRAWAL_QUEUE) revert CallerNotWithdrawalQueue(msg.sender);
        PoolStorage storage $ = _storage();
        Totals memory t = $.totals;
        _writeTotals($, Totals(t.totalShares, (t.totalPooledEther + msg.value).toUint128()));
    }

    /// @inheritdoc IStakingPool
    function isBunkerModeActive() external view returns (bool) {
        return _storage().control.pausedFlags() & BUNKER_FLAG != 0;
    }

    /// @inheritdoc IStakingPool
    function setInstantLiquidityTarget(uint256 targetBP) external onlyRole(INSTANT_REDEEM_PARAMS_ROLE) {
        _setInstantLiquidityTarget(_storage(), targetBP);
    }

    /// @inheritdoc IStakingPool
    function instantLiquidityTargetBP() external view returns (uint256) {
        return _storage().instantRedeem.liquidityTargetBP;
    }

    // ──────────────────────────────── Shares ────────────────────────────────

    /// @inheritdoc IStakingPool
    function sharesOf(address account) external view returns (uint256) {
        return uint128(_storage().shares[account]); // the queue's word: shares only
    }

    /// @inheritdoc IStakingPool
    function totalShares() external view returns (uint256) {
        return _storage().totals.totalShares;
    }

    /// @inheritdoc IStakingPool
    function totalPooledEther() external view returns (uint256) {
        return _storage().totals.totalPooledEther;
    }

    /// @inheritdoc IStakingPool
    function bufferedEther() external view returns (uint256) {
        PoolStorage storage $ = _storage();
        return _bufferedEther($, $.totals);
    }

    /// @inheritdoc IStakingPool
    function getBeaconStat()
        external
        view
        returns (uint256 depositedValidators, uint256 clValidators, uint256 clBalance)
    {
        Beacon memory b = _storage().beacon;
        return (b.depositedValidators, b.clValidators, b.clBalance);
    }

    /// @inheritdoc IStakingPool
    function accountingInputs()
        external
        view
        returns (
            uint256 pooledEther,
            uint256 shares,
            uint256 depositedValidators,
            uint256 clValidators,
            uint256 clBalance
        )
    {
        PoolStorage storage $ = _storage();
        Totals memory t = $.totals;
        Beacon memory b = $.beacon;
        return (t.totalPooledEther, t.totalShares, b.depositedValidators, b.clValidators, b.clBalance);
    }

    /// @inheritdoc IStakingPool
    function getSharesByPooledEth(uint256 ethAmount) external view returns (uint256) {
        return _toSharesDown(ethAmount, _storage().totals);
    }

    /// @inheritdoc IStakingPool
    function getSharesByPooledEthRoundUp(uint256 ethAmount) external view returns (uint256) {
        return _toSharesUp(ethAmount, _storage().totals);
    }

    /// @inheritdoc IStakingPool
    function getPooledEthByShares(uint256 shares) external view returns (uint256) {
        return _toEthDown(shares, _storage().totals);
    }

    /// @inheritdoc IStakingPool
    function getPooledEthBySharesRoundUp(uint256 shares) external view returns (uint256) {
        return
            Math.mulDiv(shares, _storage().totals.totalPooledEther, _storage().totals.totalShares, Math.Rounding.Ceil);
    }

    /// @inheritdoc IStakingPool
    function transferShares(address to, uint256 shares) external returns (uint256 amount) {
        _checkReceiver(to);
        return _transferExactShares(msg.sender, to, shares, address(0));
    }

    /// @inheritdoc IStakingPool
    function transferSharesFrom(address from, address to, uint256 shares) external returns (uint256 amount) {
        if (from == address(0)) revert ERC20InvalidSender(address(0)); // see {_spendAllowance}
        _checkReceiver(to);
        return _transferExactShares(from, to, shares, msg.sender);
    }

    /// @inheritdoc IStakingPool
    function bringIntoWithdrawalQueue(address from, uint256 amount) external returns (uint256 shares) {
        if (msg.sender != WITHDRAWAL_QUEUE) revert CallerNotWithdrawalQueue(msg.sender);
        _spendAllowance(from, msg.sender, amount);
        PoolStorage storage $ = _storage();
        uint256 fromShares = $.shares[from];
        shares = _sharesForAmount(from, fromShares, amount, $.totals);
        unchecked {
            $.shares[from] = fromShares - shares; // checked in _sharesForAmount
            // The queue's word: its shares (Σ shares < 2^128, no carry) and, above, the reserve (Σ
            // requested ETH of unfinalized requests: at most Σ of 1,000 ETH requests, far below 2^128).
            $.shares[msg.sender] += shares | (amount << 128);
        }
        _emitTransfers(from, msg.sender, amount, shares);
    }

    /// @inheritdoc IStakingPool
    function recordQueuedEther(uint256 amount) external {
        if (msg.sender != WITHDRAWAL_QUEUE) revert CallerNotWithdrawalQueue(msg.sender);
        _storage().shares[msg.sender] += amount << 128;
    }

    /// @inheritdoc IStakingPool
    function transferSharesToWrapper(address from, uint256 shares) external returns (uint256 amount) {
        if (msg.sender != WRAPPER) revert CallerNotWrapper(msg.sender);
        if (from == address(0)) revert ERC20InvalidSender(address(0)); // the wrapper names its caller
        return _transferExactShares(from, msg.sender, shares, address(0));
    }

    // ──────────────────────────────── Governance ────────────────────────────────

    /// @inheritdoc IStakingPool
    function setStakeLimit(
        uint256 maxStakeLimit,
        uint256 stakeLimitIncreasePerBlock
    ) external onlyRole(STAKE_LIMIT_ROLE) {
        uint256 growthBlocks = stakeLimitIncreasePerBlock == 0 ? 0 : maxStakeLimit / stakeLimitIncreasePerBlock;
        if (
            maxStakeLimit > MAX_STAKE_LIMIT_CAP ||
            stakeLimitIncreasePerBlock > maxStakeLimit ||
            growthBlocks > type(uint24).max
        ) revert InvalidStakeLimit(maxStakeLimit, stakeLimitIncreasePerBlock);

        PoolStorage storage $ = _storage();
        StakeControl c = $.control;
        // The limit left carries over (capped at the new maximum); from "no limit" it starts full.
        uint256 left = c.maxStakeLimit() == 0 ? maxStakeLimit : Math.min(c.currentStakeLimit(), maxStakeLimit);
        c = c.withLimits(maxStakeLimit, growthBlocks, left);
        $.control = c;
        emit StakeLimitSet(maxStakeLimit, c.increasePerBlock());
    }

    /// @inheritdoc IStakingPool
    function setInstantRedeemParams(
        uint256 minFeeBP,
        uint256 maxFeeBP,
        uint256 frameCapBP
    ) external onlyRole(INSTANT_REDEEM_PARAMS_ROLE) {
        _setInstantRedeemParams(_storage(), minFeeBP, maxFeeBP, frameCapBP);
    }

    /// @inheritdoc IStakingPool
    function pause(uint8 capabilities) external onlyRole(PAUSE_ROLE) {
        _checkCapabilities(capabilities);
        StakeControl c = _storage().control;
        _storage().control = c.withPausedFlags(c.pausedFlags() | capabilities);
        emit CapabilitiesPaused(msg.sender, capabilities);
    }

    /// @inheritdoc IStakingPool
    function resume(uint8 capabilities) external onlyRole(RESUME_ROLE) {
        _checkCapabilities(capabilities);
        StakeControl c = _storage().control;
        _storage().control = c.withPausedFlags(c.pausedFlags() & ~capabilities);
        emit CapabilitiesResumed(msg.sender, capabilities);
    }

    /// @inheritdoc IStakingPool
    function pausedCapabilities() external view returns (uint8) {
        return _storage().control.pausedFlags() & ALL_CAPABILITIES;
    }

    // ──────────────────────────────── Internal: staking ────────────────────────────────

    /// @dev validate → consume limit → mint shares (rounded down) → emit.
    function _stake(address referral) internal returns (uint256 shares) {
        uint256 amount = msg.value;
        if (amount == 0) revert StakeZeroAmount();
        PoolStorage storage $ = _storage();
        _consumeStakeLimit($, amount);

        Totals memory t = $.totals;
        uint256 newTotalShares;
        uint256 newTotalEther;
        // amount (an ETH balance) and totalShares are both < 2^128, so the product cannot overflow.
        unchecked {
            shares = (amount * t.totalShares) / t.totalPooledEther; // rounds down: the pool's favour
            newTotalShares = t.totalShares + shares;
            newTotalEther = t.totalPooledEther + amount;
        }
        if (shares == 0) revert StakeTooSmall(amount);
        // totalPooledEther counts ETH, all of which (≈ 1.2 × 10^26 wei) is far below 2^128: no cast check.
        _writeTotals($, Totals(newTotalShares.toUint128(), uint128(newTotalEther)));
        unchecked {
            $.shares[msg.sender] += shares; // ≤ totalShares, checked above
        }

        _emitTransfers(address(0), msg.sender, (shares * newTotalEther) / newTotalShares, shares);
        emit Staked(msg.sender, amount, shares, referral);
    }

    /// @dev Checks the pause flag and the refilling limit, then records the stake against the limit.
    function _consumeStakeLimit(PoolStorage storage $, uint256 amount) private {
        StakeControl c = $.control;
        if (c.pausedFlags() & CAPABILITY_STAKING != 0) revert StakingPaused();
        if (c.maxStakeLimit() == 0) return; // no limit
        uint256 limit = c.currentStakeLimit();
        if (amount > limit) revert StakeLimitExceeded(amount, limit);
        $.control = c.withStakeLimitLeft(limit - amount); // limit ≤ maxStakeLimit < 2^96
    }

    // ──────────────────────────────── Internal: instant redemption ────────────────────────────────

    /// @dev The buffer, less what the withdrawal queue will need: the ETH its unfinalized requests asked
    /// for (the high half of its `shares` word). A finalization locks min(Σ requested ETH, Σ shares ×
    /// rate) of them, never more, whatever the rate of the report: so neither instant redemptions nor
    /// deposits ever take ETH a later report needs to finalize the requests it may (they never jump
    /// the queue, and nothing done between a report's reference slot and its vote can make its
    /// finalization exceed the buffer).
    function _instantLiquidity(PoolStorage storage $, Totals memory t) private view returns (uint256) {
        return Math.saturatingSub(_bufferedEther($, t), $.shares[WITHDRAWAL_QUEUE] >> 128);
    }

    /// @dev The instant liquidity less the instant-liquidity reserve (rounded up: the reserve is kept
    /// whole): deposits leave both the queue's needs and the reserve in the buffer.
    function _depositableEther(PoolStorage storage $, Totals memory t) private view returns (uint256) {
        uint256 buffered = _instantLiquidity($, t);
        uint256 reserve = Math.mulDiv(
            t.totalPooledEther,
            $.instantRedeem.liquidityTargetBP,
            TOTAL_BASIS_POINTS,
            Math.Rounding.Ceil
        );
        return buffered > reserve ? buffered - reserve : 0;
    }

    function _setInstantLiquidityTarget(PoolStorage storage $, uint256 targetBP) private {
        if (targetBP > MAX_INSTANT_LIQUIDITY_TARGET_BP) revert InvalidInstantLiquidityTarget(targetBP);
        $.instantRedeem.liquidityTargetBP = uint16(targetBP);
        emit InstantLiquidityTargetSet(targetBP);
    }

    /// @dev totalPooledEther − CL balance − deposits not yet visible on the beacon chain.
    function _bufferedEther(PoolStorage storage $, Totals memory t) private view returns (uint256) {
        Beacon memory b = $.beacon;
        return t.totalPooledEther - b.clBalance - (uint256(b.depositedValidators) - b.clValidators) * DEPOSIT_SIZE;
    }

    /// @dev The fee for redeeming `amount` now, and the frame state it would leave (not yet counted).
    /// Cumulative use u of the frame's starting liquidity L₀ (in gwei, rounded down: a smaller L₀ only
    /// raises the fee) is priced by the integral of the marginal fee m(t) = min + 2·(max − min)·t / L₀
    /// up to L₀ and 2·max − min beyond (see {IStakingPool-instantRedeem}); in units of 1 / (10,000·L₀):
    ///     G(U) = U·(min·L₀ + (max − min)·U)                  for U ≤ L₀,
    ///     G(U) = L₀·(max·L₀ + (2·max − min)·(U − L₀))         beyond,
    /// and fee = ⌈(G(u + amount) − G(u)) / (10,000·L₀)⌉. Splitting an amount sums ceilings of parts
    /// of one difference of G, so it never pays less than one call.
    function _previewInstantRedeem(
        PoolStorage storage $,
        Totals memory t,
        uint256 amount
    ) private view returns (uint256 ethOut, uint256 fee, InstantRedeemState memory r) {
        uint256 liquidity = _instantLiquidity($, t);
        if (amount > liquidity) revert InsufficientInstantLiquidity(amount, liquidity);
        r = $.instantRedeem;
        uint256 frame = block.timestamp / INSTANT_REDEEM_FRAME_SECONDS;
        if (r.frameIndex != frame) {
            (r.frameIndex, r.redeemedInFrame) = (uint32(frame), 0); // a day number: 2^32 days is far off
            r.frameLiquidityGwei = uint64(liquidity / 1 gwei); // ≤ totalPooledEther in gwei < 2^64
        }
        if (amount == 0) return (0, 0, r);
        uint256 startWei = uint256(r.frameLiquidityGwei) * 1 gwei;
        uint256 used = r.redeemedInFrame;
        if (startWei == 0) {
            fee = Math.mulDiv(amount, 2 * uint256(r.maxFeeBP) - r.minFeeBP, TOTAL_BASIS_POINTS, Math.Rounding.Ceil);
        } else {
            uint256 area = _feeArea(r, startWei, used + amount) - _feeArea(r, startWei, used);
            fee = Math.ceilDiv(area, TOTAL_BASIS_POINTS * startWei);
        }
        ethOut = amount - fee; // the marginal fee is at most 2 × 10% (MAX_INSTANT_REDEEM_FEE_BP) < 100%
    }

    /// @dev G(U) of {_previewInstantRedeem}: 10,000·L₀ times the fee for redeeming U from the frame's
    /// start. U < 2^97 and L₀ < 2^94, so every product stays below 2^215.
    function _feeArea(InstantRedeemState memory r, uint256 startWei, uint256 used) private pure returns (uint256) {
        uint256 minBP = r.minFeeBP;
        uint256 maxBP = r.maxFeeBP;
        if (used <= startWei) return used * (minBP * startWei + (maxBP - minBP) * used);
        return startWei * (maxBP * startWei + (2 * maxBP - minBP) * (used - startWei));
    }

    /// @dev Counts `amount` against the frame's cap (frameCapBP of TVL before the redemption) and
    /// stores the frame state `r` from {_previewInstantRedeem}.
    function _recordInstantRedemption(
        PoolStorage storage $,
        InstantRedeemState memory r,
        uint256 amount,
        uint256 pooledEther
    ) private {
        uint256 used = r.redeemedInFrame;
        uint256 cap = (pooledEther * r.frameCapBP) / TOTAL_BASIS_POINTS;
        if (used + amount > cap) revert InstantRedeemFrameCapExceeded(amount, used < cap ? cap - used : 0);
        r.redeemedInFrame = uint96(used + amount); // ≤ cap < totalPooledEther < 2^96 (79 billion ETH)
        $.instantRedeem = r;
    }

    function _setInstantRedeemParams(
        PoolStorage storage $,
        uint256 minFeeBP,
        uint256 maxFeeBP,
        uint256 frameCapBP
    ) private {
        if (
            minFeeBP < MIN_INSTANT_REDEEM_FEE_BP ||
            minFeeBP > maxFeeBP ||
            maxFeeBP > MAX_INSTANT_REDEEM_FEE_BP ||
            frameCapBP == 0 ||
            frameCapBP > MAX_INSTANT_REDEEM_FRAME_CAP_BP
        ) revert InvalidInstantRedeemParams(minFeeBP, maxFeeBP, frameCapBP);
        InstantRedeemState storage r = $.instantRedeem;
        (r.minFeeBP, r.maxFeeBP, r.frameCapBP) = (uint16(minFeeBP), uint16(maxFeeBP), uint16(frameCapBP));
        emit InstantRedeemParamsSet(minFeeBP, maxFeeBP, frameCapBP);
    }

    function _checkCapabilities(uint8 capabilities) private pure {
        if (capabilities == 0 || capabilities & ~ALL_CAPABILITIES != 0) revert InvalidCapabilities(capabilities);
    }

    // ──────────────────────────────── Internal: transfers ────────────────────────────────

    /// @dev Amount-based transfer: shares = ceil(amount × totalShares / totalPooledEther). The
    /// recipient's balance then rises by ≥ `amount`, and a sender holding ≥ `amount` always has them.
    function _transferAmount(address from, address to, uint256 amount) private {
        _checkReceiver(to);
        PoolStorage storage $ = _storage();
        uint256 fromShares = $.shares[from];
        uint256 shares = _sharesForAmount(from, fromShares, amount, $.totals);
        _moveShares($, from, fromShares, to, shares, amount);
    }

    /// @dev Moves exactly `shares` after checking that `from` holds them. Without a `spender` it
    /// returns their value rounded down; with one, it charges the value rounded up (pool's favour)
    /// to the spender's allowance and returns that.
    function _transferExactShares(
        address from,
        address to,
        uint256 shares,
        address spender
    ) private returns (uint256 amount) {
        PoolStorage storage $ = _storage();
        uint256 fromShares = $.shares[from];
        if (shares > fromShares) revert InsufficientShares(from, fromShares, shares);
        Totals memory t = $.totals;
        if (spender == address(0)) {
            amount = _toEthDown(shares, t);
        } else {
            amount = Math.mulDiv(shares, t.totalPooledEther, t.totalShares, Math.Rounding.Ceil);
            _spendAllowance(from, spender, amount);
        }
        _moveShares($, from, fromShares, to, shares, amount);
    }

    /// @dev The shares worth `amount`, rounded up, after checking that `account` holds them. Since
    /// `amount ≤ balanceOf ⇔ ceil(amount × S / P) ≤ shares`, the error reports it in tpETH.
    function _sharesForAmount(
        address account,
        uint256 accountShares,
        uint256 amount,
        Totals memory t
    ) private pure returns (uint256 shares) {
        // amount > totalPooledEther can never be covered; skipping the division also keeps a huge
        // amount from overflowing the rounding.
        if (amount > t.totalPooledEther || (shares = _toSharesUp(amount, t)) > accountShares) {
            revert ERC20InsufficientBalance(account, _toEthDown(accountShares, t), amount);
        }
    }

    /// @dev tpETH may not be sent to the zero address, to the pool, or to the wrapper (use `wrap`).
    function _checkReceiver(address to) private view {
        if (to == address(0) || to == address(this) || to == WRAPPER) revert ERC20InvalidReceiver(to);
    }

    /// @dev Moves checked shares and emits `Transfer(amount)` + `TransferShares(shares)`.
    function _moveShares(
        PoolStorage storage $,
        address from,
        uint256 fromShares,
        address to,
        uint256 shares,
        uint256 amount
    ) private {
        unchecked {
            $.shares[from] = fromShares - shares; // shares ≤ fromShares, checked by the caller
            $.shares[to] += shares; // Σ shares = totalShares < 2^128
        }
        _emitTransfers(from, to, amount, shares);
    }

    /// @dev Burns `shares` of `account` (checked); returns them. Totals are the caller's to write.
    function _burn(PoolStorage storage $, address account, uint256 shares, Totals memory t) private returns (uint256) {
        if (shares == 0) return 0;
        uint256 held = $.shares[account];
        if (shares > held) revert InsufficientShares(account, held, shares);
        unchecked {
            $.shares[account] = held - shares;
        }
        _emitTransfers(account, address(0), _toEthDown(shares, t), shares);
        return shares;
    }

    /// @dev Burns the shares of the requests a report finalized from the queue's word and releases
    /// their reserve (saturating: a queue whose earlier requests were never counted still finalizes).
    function _burnFinalized(PoolStorage storage $, uint256 shares, uint256 nominalEther, Totals memory t) private {
        uint256 word = $.shares[WITHDRAWAL_QUEUE];
        if (shares > uint128(word)) revert InsufficientShares(WITHDRAWAL_QUEUE, uint128(word), shares);
        uint256 released = Math.min(nominalEther, word >> 128);
        $.shares[WITHDRAWAL_QUEUE] = word - shares - (released << 128);
        _emitTransfers(WITHDRAWAL_QUEUE, address(0), _toEthDown(shares, t), shares);
    }

    /// @dev Mints `shares` to `account` with `t` already including them.
    function _mint(PoolStorage storage $, address account, uint256 shares, Totals memory t) private {
        if (shares == 0) return;
        $.shares[account] += shares;
        _emitTransfers(address(0), account, _toEthDown(shares, t), shares);
    }

    function _emitTransfers(address from, address to, uint256 amount, uint256 shares) private {
        emit Transfer(from, to, amount);
        emit TransferShares(from, to, shares);
    }

    function _approve(address owner, address spender, uint256 amount) private {
        if (owner == address(0)) revert ERC20InvalidApprover(address(0));
        if (spender == address(0)) revert ERC20InvalidSpender(address(0));
        _storage().allowances[owner][spender] = amount;
        emit Approval(owner, spender, amount);
    }

    /// @dev Uses `owner`'s nonce, has the linked {PermitVerifier} check the signature (it reverts
    /// unless valid and unexpired), then approves.
    function _permit(address owner, address spender, uint256 value, uint256 deadline, bytes memory signature) private {
        PermitVerifier.verify(_domainSeparator(), owner, spender, value, _useNonce(owner), deadline, signature);
        _approve(owner, spender, value);
    }

    /// @dev An allowance of type(uint256).max is never decreased. The owner is a sender and never
    /// zero: the zero address holds nothing and approves nothing, and a move from it, even of zero,
    /// would emit `Transfer(0, to, 0)`, which indexers read as a mint. Every move from a caller-given
    /// address spends an allowance (transferFrom, bringIntoWithdrawalQueue) or checks it on entry,
    /// before the shares (transferSharesFrom, transferSharesToWrapper); moves from `msg.sender` need
    /// no check.
    function _spendAllowance(address owner, address spender, uint256 amount) private {
        if (owner == address(0)) revert ERC20InvalidSender(address(0));
        mapping(address => uint256) storage ownerAllowances = _storage().allowances[owner];
        uint256 current = ownerAllowances[spender];
        if (current != type(uint256).max) {
            if (current < amount) revert ERC20InsufficientAllowance(spender, current, amount);
            unchecked {
                ownerAllowances[spender] = current - amount;
            }
        }
    }

    // ──────────────────────────────── Internal: conversions ────────────────────────────────

    /// @dev shares × totalPooledEther / totalShares, rounded down.
    function _toEthDown(uint256 shares, Totals memory t) private pure returns (uint256) {
        return Math.mulDiv(shares, t.totalPooledEther, t.totalShares);
    }

    /// @dev amount × totalShares / totalPooledEther, rounded down.
    function _toSharesDown(uint256 amount, Totals memory t) private pure returns (uint256) {
        return Math.mulDiv(amount, t.totalShares, t.totalPooledEther);
    }

    /// @dev amount × totalShares / totalPooledEther, rounded up.
    function _toSharesUp(uint256 amount, Totals memory t) private pure returns (uint256) {
        return Math.mulDiv(amount, t.totalShares, t.totalPooledEther, Math.Rounding.Ceil);
    }

    // ──────────────────────────────── Internal: upgrades and storage ────────────────────────────────

    /// @dev Writes both totals with one SSTORE: `totals` is the first word of the namespace, with
    /// totalShares in the low 128 bits (a struct assignment can compile to two read-modify-writes).
    function _writeTotals(PoolStorage storage $, Totals memory t) private {
        uint256 word = (uint256(t.totalPooledEther) << 128) | t.totalShares;
        assembly ("memory-safe") {
            sstore($.slot, word)
        }
    }

    /// @dev The EIP-712 domain separator: what OpenZeppelin's `_domainSeparatorV4` computes, from constants.
    function _domainSeparator() private view returns (bytes32) {
        return
            keccak256(
                abi.encode(EIP712_DOMAIN_TYPEHASH, EIP712_NAME_HASH, EIP712_VERSION_HASH, block.chainid, address(this))
            );
    }

    function _storage() private pure returns (PoolStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }
}
