// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title IRevertProbe
 * @notice Errors, events and functions of {RevertProbe}, a test-only contract
 * that fails in every way the Python chain layer has to decode.
 * @dev Never deployed outside tests.
 */
interface IRevertProbe {
    /// @dev A small enum, ABI-encoded as `uint8`, carried by {RevertProbeDetailed}.
    enum ProbeKind {
        None,
        Small,
        Large
    }

    /**
     * @dev Custom error carrying one argument of every common ABI type. Raised
     * by {IRevertProbe-revertDetailed} with the caller's arguments echoed back.
     */
    error RevertProbeDetailed(
        address account,
        uint256 amount,
        int256 delta,
        bytes32 tag,
        string note,
        bool flag,
        ProbeKind kind,
        uint256[] values
    );

    /// @dev Custom error without arguments (selector only). Raised by {IRevertProbe-revertNoArgs}.
    error RevertProbeNoArgs();

    /// @dev Emitted by {IRevertProbe-ping}.
    event RevertProbePinged(address indexed sender, uint256 indexed value, bytes32 tag, string note);

    /// @dev Emitted by {IRevertProbe-spin} once the loop has finished.
    event RevertProbeSpun(uint256 iterations, uint256 total);

    /// @notice Always reverts with {RevertProbeDetailed} carrying the given arguments.
    function revertDetailed(
        address account,
        uint256 amount,
        int256 delta,
        bytes32 tag,
        string calldata note,
        bool flag,
        ProbeKind kind,
        uint256[] calldata values
    ) external pure;

    /// @notice Always reverts with {RevertProbeNoArgs}.
    function revertNoArgs() external pure;

    /// @notice Always reverts with `Error(string)` "a plain reason" (via `require`).
    function revertWithReason() external pure;

    /// @notice Always reverts with `Error(string)` carrying `reason`.
    function revertWithMessage(string calldata reason) external pure;

    /// @notice Reverts with no return data at all.
    function revertEmpty() external pure;

    /// @notice Returns `numerator / divisor`; panics with code 0x12 when `divisor` is zero.
    function divide(uint256 numerator, uint256 divisor) external pure returns (uint256);

    /// @notice Returns `a + b`; panics with code 0x11 on overflow.
    function add(uint256 a, uint256 b) external pure returns (uint256);

    /// @notice Always panics with code 0x01 (failed `assert`).
    function failAssert() external pure;

    /**
     * @notice Burns gas: loops `n` times, reading and writing a storage slot each time, so gas use
     * grows linearly with `n`. Emits {RevertProbeSpun}.
     * @return newTotal The new value of {total}: the sum of every loop index
     * of every {spin} call so far.
     */
    function spin(uint256 n) external returns (uint256 newTotal);

    /// @notice Emits {RevertProbePinged} with the caller, `value`, `tag` and `note`.
    function ping(uint256 value, bytes32 tag, string calldata note) external;

    /// @notice Sum of every loop index of every {spin} call so far.
    function total() external view returns (uint256);

    /// @notice Number of {ping} calls so far.
    function pings() external view returns (uint256);
}
