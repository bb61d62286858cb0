"""One Python exception class per Solidity custom error in the shipped contracts.

Example:
    >>> from mlmarket.contracts.errors import ERC20InsufficientBalance
    >>> issubclass(ERC20InsufficientBalance, ContractRevertError)
    True
"""

from __future__ import annotations

from mlmarket.chain.reverts import ErrorRegistry
from mlmarket.contracts.artifacts import all_abis

_registry = ErrorRegistry()
for _abi in all_abis():
    _registry.register_abi(_abi)
globals().update(_registry.classes())

__all__ = sorted(
    [*_registry.classes(), "ContractPanicError", "ContractRevertError", "RevertedWithReason"]
)
