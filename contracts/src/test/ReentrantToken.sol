// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";

/**
 * @title ReentrantToken
 * @notice Test-only hostile ERC-20 (+ ERC-2612 permit): once armed, its next balance
 * change calls back into a configured target with configured calldata, as a token with
 * transfer hooks (ERC-777, ERC-1363, a malicious fork) hands control to an attacker in
 * the middle of a payment. Used by tests/contracts/test_reentrancy.py. Never deploy it
 * anywhere that matters.
 * @dev The token contract doubles as the attacker's account: through {execute} the
 * operator makes it commit, reveal, claim, list, withdraw ... as itself, so the
 * re-entrant call (whose `msg.sender` is this contract) comes from a real participant
 * with that participant's rights and allowances.
 *
 * One arming fires at most once: it is cleared before the call, and no callback fires
 * while one is running, so the hook never recurses. The outcome of the last callback
 * (success flag and return or revert data) stays in {lastSuccess} / {lastResult} and is
 * logged by {Reentered}; {reentries} counts the callbacks made.
 */
contract ReentrantToken is ERC20, ERC20Permit {
    /// @notice The deployer: the only account that may arm the hook or act through {execute}.
    address public immutable operator;

    /// @notice Whether the next balance change fires the callback.
    bool public armed;

    /// @notice Whether the callback runs before the balances move (ERC-777 `tokensToSend`
    /// style) instead of after (`tokensReceived` style).
    bool public beforeUpdate;

    /// @notice The contract the callback calls.
    address public target;

    /// @notice The calldata the callback sends to {target}.
    bytes public payload;

    /// @notice Callbacks made so far.
    uint256 public reentries;

    /// @notice Whether the last callback's call succeeded.
    bool public lastSuccess;

    /// @notice The last callback's return data, or its revert data if it failed.
    bytes public lastResult;

    /// @dev Set while a callback runs: no further callback fires inside it.
    bool private _inCallback;

    /// @dev The caller is not the {operator}.
    error ReentrantTokenNotOperator(address caller);

    /// @dev Emitted for every callback with its outcome.
    event Reentered(address indexed target, bool success, bytes result);

    /**
     * @param recipients Accounts that receive the initial supply (fixed afterwards).
     * @param amounts Amount minted to each recipient, in the same order.
     */
    constructor(address[] memory recipients, uint256[] memory amounts)
        ERC20("Reentrant Token", "REENTER")
        ERC20Permit("Reentrant Token")
    {
        operator = msg.sender;
        uint256 count = recipients.length;
        for (uint256 i = 0; i < count; ++i) {
            _mint(recipients[i], amounts[i]);
        }
    }

    /**
     * @notice Fire `data` at `target_` during the next balance change (transfer,
     * transferFrom), once.
     * @param before Call before the balances move instead of after.
     */
    function arm(address target_, bytes calldata data, bool before) external {
        _onlyOperator();
        target = target_;
        payload = data;
        beforeUpdate = before;
        armed = true;
    }

    /// @notice Cancel a pending arming.
    function disarm() external {
        _onlyOperator();
        armed = false;
    }

    /**
     * @notice Make this contract call `target_` with `data` as itself (the attacker's
     * own actions); a revert is passed on unchanged.
     * @return result The call's return data.
     */
    function execute(address target_, bytes calldata data) external returns (bytes memory result) {
        _onlyOperator();
        return Address.functionCall(target_, data);
    }

    /// @dev Every balance change goes through here: fire the armed callback around it.
    /// Re-entering its caller is this test token's purpose (slither: reentrancy-no-eth).
    // slither-disable-next-line reentrancy-no-eth
    function _update(address from, address to, uint256 value) internal override {
        if (beforeUpdate) _callback();
        super._update(from, to, value);
        if (!beforeUpdate) _callback();
    }

    // slither-disable-next-line reentrancy-no-eth
    function _callback() private {
        if (!armed || _inCallback) return;
        armed = false;
        _inCallback = true;
        // The outcome is recorded, never passed on: the payment itself goes through.
        (bool success, bytes memory result) = target.call(payload);
        _inCallback = false;
        ++reentries;
        lastSuccess = success;
        lastResult = result;
        emit Reentered(target, success, result);
    }

    function _onlyOperator() private view {
        if (msg.sender != operator) revert ReentrantTokenNotOperator(msg.sender);
    }
}
