// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

import {IStakingPool} from "../interfaces/IStakingPool.sol";
import {IWrappedTpEth} from "../interfaces/IWrappedTpEth.sol";
import {IPermitSignature} from "../interfaces/IPermitSignature.sol";

/// @title WrappedTpEth — wtpETH, the non-rebasing ERC-4626 wrapper over tpETH
/// @notice See {IWrappedTpEth}. Not upgradeable and holds no privileges: like wstETH, its whole
/// behaviour is this file and the pool's share rate.
/// @dev The supply is not stored: it *is* the pool shares this contract holds. Shares enter only
/// through `_deposit` / `_stakeAndWrap` (which mint as many wtpETH) and leave only through
/// `_withdraw` (which burns as many); the pool refuses every other transfer to this address and
/// never mints to it. So `totalSupply() == POOL.sharesOf(this) == Σ balanceOf`, and one write per
/// wrap is saved. The ERC-20 is written here rather than inherited because OpenZeppelin's ERC20
/// keeps its own private supply counter.
contract WrappedTpEth is IWrappedTpEth, IERC20Errors, EIP712, Nonces {
    /// @notice The staking pool (the tpETH token).
    IStakingPool public immutable POOL;

    bytes32 private constant PERMIT_TYPEHASH = keccak256(
        "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
    );

    mapping(address account => uint256) private _balances;
    mapping(address owner => mapping(address spender => uint256)) private _allowances;

    /// @param pool The staking pool proxy.
    constructor(IStakingPool pool) EIP712("Wrapped Tidepool Staked Ether", "1") {
        POOL = pool;
    }

    /// @notice Plain ETH is staked and wrapped for the sender, with no referral.
    receive() external payable {
        _stakeAndWrap(address(0));
    }

    // ──────────────────────────────── wstETH-style entry points ────────────────────────────────

    /// @inheritdoc IWrappedTpEth
    function wrap(uint256 tpEthAmount) external returns (uint256 wtpEthAmount) {
        wtpEthAmount = POOL.getSharesByPooledEth(tpEthAmount); // rounded down: never more than asked
        if (wtpEthAmount == 0) revert ZeroShares(); // like wstETH: wrapping nothing is a mistake
        _deposit(msg.sender, msg.sender, tpEthAmount, wtpEthAmount);
    }

    /// @inheritdoc IWrappedTpEth
    function unwrap(uint256 wtpEthAmount) external returns (uint256 tpEthAmount) {
        if (wtpEthAmount == 0) revert ZeroShares(); // like wstETH
        tpEthAmount = _withdraw(msg.sender, msg.sender, msg.sender, wtpEthAmount);
        emit Withdraw(msg.sender, msg.sender, msg.sender, tpEthAmount, wtpEthAmount);
    }

    /// @inheritdoc IWrappedTpEth
    function stakeAndWrap(address referral) external payable returns (uint256 wtpEthAmount) {
        return _stakeAndWrap(referral);
    }

    /// @inheritdoc IWrappedTpEth
    function tpEthPerToken() external view returns (uint256) {
        return POOL.getPooledEthByShares(1 ether);
    }

    /// @inheritdoc IWrappedTpEth
    function tokensPerTpEth() external view returns (uint256) {
        return POOL.getSharesByPooledEth(1 ether);
    }

    // ──────────────────────────────── ERC-4626 ────────────────────────────────

    /// @inheritdoc IERC4626
    function asset() external view returns (address) {
        return address(POOL);
    }

    /// @inheritdoc IERC4626
    function totalAssets() external view returns (uint256) {
        return POOL.balanceOf(address(this));
    }

    /// @inheritdoc IERC4626
    function convertToShares(uint256 assets) external view returns (uint256) {
        return POOL.getSharesByPooledEth(assets);
    }

    /// @inheritdoc IERC4626
    function convertToAssets(uint256 shares) external view returns (uint256) {
        return POOL.getPooledEthByShares(shares);
    }

    /// @inheritdoc IERC4626
    /// @dev 0 for a receiver nothing can be minted to (the zero address, this contract), else unlimited.
    function maxDeposit(address receiver) external view returns (uint256) {
        return _isValidReceiver(receiver) ? type(uint256).max : 0;
    }

    /// @inheritdoc IERC4626
    /// @dev As {maxDeposit}.
    function maxMint(address receiver) external view returns (uint256) {
        return _isValidReceiver(receiver) ? type(uint256).max : 0;
    }

    /// @inheritdoc IERC4626
    function maxWithdraw(address owner) external view returns (uint256) {
        return POOL.getPooledEthByShares(_balances[owner]);
    }

    /// @inheritdoc IERC4626
    function maxRedeem(address owner) external view returns (uint256) {
        return _balances[owner];
    }

    /// @inheritdoc IERC4626
    function previewDeposit(uint256 assets) external view returns (uint256) {
        return POOL.getSharesByPooledEth(assets);
    }

    /// @inheritdoc IERC4626
    function previewMint(uint256 shares) external view returns (uint256) {
        return POOL.getPooledEthBySharesRoundUp(shares);
    }

    /// @inheritdoc IERC4626
    function previewWithdraw(uint256 assets) external view returns (uint256) {
        return POOL.getSharesByPooledEthRoundUp(assets);
    }

    /// @inheritdoc IERC4626
    function previewRedeem(uint256 shares) external view returns (uint256) {
        return POOL.getPooledEthByShares(shares);
    }

    /// @inheritdoc IERC4626
    /// @dev Zero assets deposit nothing and return 0; non-zero assets worth less than one share
    /// cannot all be deposited and revert `ZeroShares`.
    function deposit(uint256 assets, address receiver) external returns (uint256 shares) {
        shares = POOL.getSharesByPooledEth(assets); // rounded down (vault's favour)
        if (shares == 0 && assets != 0) revert ZeroShares();
        _deposit(msg.sender, receiver, assets, shares);
    }

    /// @inheritdoc IERC4626
    function mint(uint256 shares, address receiver) external returns (uint256 assets) {
        assets = POOL.getPooledEthBySharesRoundUp(shares); // rounded up (vault's favour)
        _deposit(msg.sender, receiver, assets, shares);
    }

    /// @inheritdoc IERC4626
    function withdraw(uint256 assets, address receiver, address owner) external returns (uint256 shares) {
        shares = POOL.getSharesByPooledEthRoundUp(assets); // rounded up (vault's favour)
        _withdraw(msg.sender, receiver, owner, shares);
        emit Withdraw(msg.sender, receiver, owner, assets, shares);
    }

    /// @inheritdoc IERC4626
    function redeem(uint256 shares, address receiver, address owner) external returns (uint256 assets) {
        assets = _withdraw(msg.sender, receiver, owner, shares); // rounded down by the pool
        emit Withdraw(msg.sender, receiver, owner, assets, shares);
    }

    // ──────────────────────────────── ERC-20 ────────────────────────────────

    /// @inheritdoc IERC20Metadata
    function name() external pure returns (string memory) {
        return "Wrapped Tidepool Staked Ether";
    }

    /// @inheritdoc IERC20Metadata
    function symbol() external pure returns (string memory) {
        return "wtpETH";
    }

    /// @inheritdoc IERC20Metadata
    function decimals() external pure returns (uint8) {
        return 18;
    }

    /// @inheritdoc IERC20
    /// @dev The pool shares this contract holds (see the contract's invariant).
    function totalSupply() external view returns (uint256) {
        return POOL.sharesOf(address(this));
    }

    /// @inheritdoc IERC20
    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    /// @inheritdoc IERC20
    function allowance(address owner, address spender) external view returns (uint256) {
        return _allowances[owner][spender];
    }

    /// @inheritdoc IERC20
    function approve(address spender, uint256 value) external returns (bool) {
        _approve(msg.sender, spender, value);
        return true;
    }

    /// @inheritdoc IERC20
    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    /// @inheritdoc IERC20
    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        _spendAllowance(from, msg.sender, value);
        _transfer(from, to, value);
        return true;
    }

    /// @inheritdoc IERC20Permit
    function permit(
        address owner,
        address spender,
        uint256 value,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        if (block.timestamp > deadline) revert ERC2612ExpiredSignature(deadline);
        bytes32 digest = _permitDigest(owner, spender, value, deadline);
        address signer = ECDSA.recover(digest, v, r, s);
        if (signer != owner) revert ERC2612InvalidSigner(signer, owner);
        _approve(owner, spender, value);
    }

    /// @inheritdoc IPermitSignature
    /// @dev The (v, r, s) form stays plain EIP-2612 (ECDSA only, OpenZeppelin's errors); this one
    /// also accepts contract wallets, through ERC-1271.
    function permit(
        address owner,
        address spender,
        uint256 value,
        uint256 deadline,
        bytes calldata signature
    ) external {
        if (block.timestamp > deadline) revert ERC2612ExpiredSignature(deadline);
        bytes32 digest = _permitDigest(owner, spender, value, deadline);
        if (!SignatureChecker.isValidSignatureNow(owner, digest, signature)) revert PermitInvalidSignature(owner);
        _approve(owner, spender, value);
    }

    /// @inheritdoc IERC20Permit
    function nonces(address owner) public view override(IERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    /// @inheritdoc IERC20Permit
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ──────────────────────────────── Internal ────────────────────────────────

    /// @dev Pulls exactly `shares` pool shares from `caller` (no allowance: the pool trusts this
    /// contract for its own caller only) and mints as many wtpETH to `receiver`. Zero shares go the
    /// same way, checks and events included, and move nothing (ERC-4626's zero-amount calls).
    function _deposit(address caller, address receiver, uint256 assets, uint256 shares) private {
        if (!_isValidReceiver(receiver)) revert ERC20InvalidReceiver(receiver);
        POOL.transferSharesToWrapper(caller, shares);
        _mint(receiver, shares);
        emit Deposit(caller, receiver, assets, shares);
    }

    /// @dev Burns `shares` wtpETH of `owner` (spending the caller's allowance when not the owner)
    /// and sends exactly `shares` pool shares to `receiver`. Returns their tpETH value, rounded down.
    /// Zero shares go the same way, checks and events included, and move nothing.
    function _withdraw(
        address caller,
        address receiver,
        address owner,
        uint256 shares
    ) private returns (uint256 tpEthAmount) {
        if (caller != owner) _spendAllowance(owner, caller, shares);
        uint256 balance = _balances[owner];
        if (balance < shares) revert ERC20InsufficientBalance(owner, balance, shares);
        unchecked {
            _balances[owner] = balance - shares;
        }
        emit Transfer(owner, address(0), shares);
        tpEthAmount = POOL.transferShares(receiver, shares);
    }

    /// @dev The EIP-712 digest of a permit, with `owner`'s nonce (which it uses).
    function _permitDigest(address owner, address spender, uint256 value, uint256 deadline) private returns (bytes32) {
        return
            _hashTypedDataV4(keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, _useNonce(owner), deadline)));
    }

    function _stakeAndWrap(address referral) private returns (uint256 wtpEthAmount) {
        wtpEthAmount = POOL.stake{value: msg.value}(referral);
        _mint(msg.sender, wtpEthAmount);
        emit Deposit(msg.sender, msg.sender, msg.value, wtpEthAmount);
    }

    /// @dev The pool has just credited this contract with `shares`: the supply rose by as many.
    function _mint(address to, uint256 shares) private {
        _balances[to] += shares;
        emit Transfer(address(0), to, shares);
    }

    function _transfer(address from, address to, uint256 value) private {
        if (!_isValidReceiver(to)) revert ERC20InvalidReceiver(to);
        uint256 balance = _balances[from];
        if (balance < value) revert ERC20InsufficientBalance(from, balance, value);
        unchecked {
            _balances[from] = balance - value;
        }
        _balances[to] += value;
        emit Transfer(from, to, value);
    }

    /// @dev wtpETH can be neither minted nor sent to the zero address or to this contract.
    function _isValidReceiver(address account) private view returns (bool) {
        return account != address(0) && account != address(this);
    }

    function _approve(address owner, address spender, uint256 value) private {
        if (spender == address(0)) revert ERC20InvalidSpender(address(0));
        _allowances[owner][spender] = value;
        emit Approval(owner, spender, value);
    }

    /// @dev An allowance of type(uint256).max is never decreased. Every move from a caller-given
    /// address (transferFrom, withdraw and redeem for another owner) spends an allowance, so the zero
    /// address is refused here as a sender, whatever the amount: a move from it, even of zero, would
    /// emit `Transfer(0, to, 0)`, which indexers read as a mint.
    function _spendAllowance(address owner, address spender, uint256 value) private {
        if (owner == address(0)) revert ERC20InvalidSender(address(0));
        uint256 current = _allowances[owner][spender];
        if (current != type(uint256).max) {
            if (current < value) revert ERC20InsufficientAllowance(spender, current, value);
            unchecked {
                _allowances[owner][spender] = current - value;
            }
        }
    }
}
