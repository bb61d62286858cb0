// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/**
 * @title NaiveLinearEvaluator
 * @notice TEST ONLY: the plain-Solidity baseline of the evaluation-kernel benchmark
 * (benchmarks/bench_evaluator.py). It scores version-1 chunks and linear models like
 * {LinearEvaluator}, with ordinary `unchecked` Solidity loops over calldata and no
 * assembly, and does not validate its input (only well-formed input, as the Python
 * reference accepts it, gives meaningful results). Never deploy it for a competition.
 */
contract NaiveLinearEvaluator {
    function family() external pure returns (bytes32) {
        return keccak256("linear");
    }

    function scoreBatch(bytes calldata chunk, bytes[] calldata models, uint256 features, uint256 classes)
        external
        pure
        returns (uint256 rows, uint256[] memory values)
    {
        rows = uint32(bytes4(chunk[7:11]));
        values = new uint256[](models.length);
        for (uint256 i = 0; i < models.length; ++i) {
            values[i] = _score(chunk, models[i], features, classes, rows);
        }
    }

    function _int(bytes calldata data, uint256 at, uint256 size) private pure returns (int256 value) {
        unchecked {
            uint256 raw = 0;
            for (uint256 i = 0; i < size; ++i) {
                raw = (raw << 8) | uint8(data[at + i]);
            }
            // sign-extend from 8 * size bits
            uint256 bits = 256 - 8 * size;
            value = int256(raw << bits) >> bits;
        }
    }

    /// @dev The best output of `model` on the row at `x` (first maximum) and its score.
    function _row(bytes calldata chunk, bytes calldata model, uint256 x, uint256 d)
        private
        pure
        returns (uint256 best, int256 top)
    {
        unchecked {
            uint256 outputs = uint8(model[7]);
            uint256 wb = uint8(model[10]);
            uint256 biases = 13 + outputs * d * wb;
            for (uint256 k = 0; k < outputs; ++k) {
                int256 acc = _int(model, biases + k * uint8(model[11]), uint8(model[11]));
                uint256 w = 13 + k * d * wb;
                for (uint256 j = 0; j < d; ++j) {
                    acc += int256(int8(uint8(chunk[x + j]))) * _int(model, w + j * wb, wb);
                }
                if (k == 0 || acc > top) {
                    top = acc;
                    best = k;
                }
            }
        }
    }

    function _score(bytes calldata chunk, bytes calldata model, uint256 d, uint256 classes, uint256 rows)
        private
        pure
        returns (uint256 value)
    {
        unchecked {
            uint256 labels = 11 + rows * d;
            for (uint256 r = 0; r < rows; ++r) {
                (uint256 best, int256 top) = _row(chunk, model, 11 + r * d, d);
                if (classes == 0) {
                    uint256 shift = uint8(model[12]);
                    int256 e = ((top + int256((uint256(1) << shift) >> 1)) >> shift) - _int(chunk, labels + 4 * r, 4);
                    value += uint256(e * e);
                } else {
                    uint256 predicted = uint8(model[7]) == 1 ? (top > 0 ? 1 : 0) : best;
                    if (predicted == uint8(chunk[labels + r])) ++value;
                }
            }
        }
    }
}
