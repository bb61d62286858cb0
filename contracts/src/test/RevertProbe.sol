// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRevertProbe} from "../interfaces/IRevertProbe.sol";

/**
 * @title RevertProbe
 * @notice Test-only contract used by the Python chain tests to exercise revert
 * decoding (custom errors, `Error(string)`, `Panic(uint256)`, empty reverts),
 * gas estimation and event decoding. Never deploy it anywhere that matters.
 */
contract RevertProbe is IRevertProbe {
    /// @inheritdoc IRevertProbe
    uint256 public total;

    /// @inheritdoc IRevertProbe
    uint256 public pings;

    /// @dev Scratch slots written by {spin} so that each iteration touches storage.
    uint256[8] private _scratch;

    /// @inheritdoc IRevertProbe
    function revertDetailed(
        address account,
        uint256 amount,
        int256 delta,
        bytes32 tag,
        string calldata note,
        bool flag,
        ProbeKind kind,
        uint256[] calldata values
    ) external pure {
        revert RevertProbeDetailed(account, amount, delta, tag, note, flag, kind, values);
    }

    /// @inheritdoc IRevertProbe
    function revertNoArgs() external pure {
        revert RevertProbeNoArgs();
    }

    /// @inheritdoc IRevertProbe
    function revertWithReason() external pure {
        // solhint-disable-next-line gas-custom-errors
        require(false, "a plain reason");
    }

    /// @inheritdoc IRevertProbe
    function revertWithMessage(string calldata reason) external pure {
        // solhint-disable-next-line gas-custom-errors
        revert(reason);
    }

    /// @inheritdoc IRevertProbe
    function revertEmpty() external pure {
        // solhint-disable-next-line reason-string
        revert();
    }

    /// @inheritdoc IRevertProbe
    function divide(uint256 numerator, uint256 divisor) external pure returns (uint256) {
        return numerator / divisor;
    }

    /// @inheritdoc IRevertProbe
    function add(uint256 a, uint256 b) external pure returns (uint256) {
        return a + b;
    }

    /// @inheritdoc IRevertProbe
    function failAssert() external pure {
        assert(false);
    }

    /// @inheritdoc IRevertProbe
    function spin(uint256 n) external returns (uint256) {
        uint256 sum = total;
        for (uint256 i = 0; i < n; ++i) {
            uint256 slot = i % 8;
            _scratch[slot] = _scratch[slot] + i;
            sum += i;
        }
        total = sum;
        emit RevertProbeSpun(n, sum);
        return sum;
    }

    /// @inheritdoc IRevertProbe
    function ping(uint256 value, bytes32 tag, string calldata note) external {
        ++pings;
        emit RevertProbePinged(msg.sender, value, tag, note);
    }
}
