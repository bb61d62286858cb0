"""The exception hierarchy of mlmarket.

Every error the package raises derives from :class:`MlmarketError`. Where a
built-in exception has the same meaning, the subclass inherits it too (as
web3.py does), so ``except ValueError`` keeps working for callers that expect it.

Solidity custom errors become subclasses of :class:`ContractRevertError`
generated from the compiled artifacts (see :mod:`mlmarket.chain.reverts`).
Messages say what happened, what was expected and what to do.
"""

from __future__ import annotations


class MlmarketError(Exception):
    """Root of every error raised by mlmarket."""


class ConfigurationError(MlmarketError, ValueError):
    """A setting, argument or environment variable is missing or invalid."""


class DeploymentVersionError(ConfigurationError):
    """A saved session or recorded deployment was made from other contract sources.

    Its recorded ``sourcesHash`` differs from the package's (or is missing, as in
    sessions and address-book entries written by earlier versions), so the
    contracts on chain may not match the ABIs and code this package ships.
    """


class ToolNotFoundError(MlmarketError, FileNotFoundError):
    """An external program (anvil, node, an IPFS daemon) could not be found."""


# --- chain -------------------------------------------------------------------


class ChainError(MlmarketError):
    """A problem talking to or managing the Ethereum backend."""


class BackendNotSupportedError(ChainError, NotImplementedError):
    """The operation is not available on this backend (e.g. time travel on a public RPC)."""


class UnsafeKeyError(ChainError, PermissionError):
    """A well-known development key was offered for a public network."""


class GasLimitError(ChainError, ValueError):
    """A transaction would need more gas than the per-transaction cap allows."""


class TransactionFailedError(ChainError):
    """A transaction failed and no named reason could be recovered."""


class ContractRevertError(MlmarketError):
    """A contract call reverted with a Solidity custom error.

    Subclasses are generated per custom error and named after it (for example
    ``ERC20InsufficientBalance``); ``args_dict`` holds the error's decoded
    arguments by name.
    """

    error_name: str = ""
    signature: str = ""

    def __init__(self, message: str, args_dict: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.args_dict: dict[str, object] = dict(args_dict or {})

    def __getattr__(self, name: str) -> object:
        args = self.__dict__.get("args_dict", {})
        if name in args:
            return args[name]
        raise AttributeError(name)


class RevertedWithReason(ContractRevertError):
    """A contract reverted with a plain string (``require(cond, "reason")``) or a panic."""


# --- storage -----------------------------------------------------------------


class StorageError(MlmarketError):
    """A content-store operation failed."""


class InvalidCIDError(StorageError, ValueError):
    """A string or bytes value is not a valid CID."""


class ContentNotFoundError(StorageError, KeyError):
    """The store has no block for the requested CID."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class IntegrityError(StorageError):
    """A stored block does not hash to its CID (corruption or tampering)."""


class NodeUnreachableError(StorageError, ConnectionError):
    """An IPFS node could not be reached at the address tried."""


# --- crypto ------------------------------------------------------------------


class CryptoError(MlmarketError):
    """Encryption, decryption or key handling failed."""


class DecryptionError(CryptoError):
    """Ciphertext failed authentication: it was tampered with or the key is wrong."""


class KeyMismatchError(CryptoError):
    """A data key does not match the commitment recorded on chain."""


class DataIntegrityError(CryptoError):
    """Decrypted data does not match the hash in its metadata."""


# --- data / ml ---------------------------------------------------------------


class DataValidationError(MlmarketError, ValueError):
    """User data (a DataFrame, CSV or metadata document) is not acceptable."""


class TargetValidationError(DataValidationError):
    """A target column cannot be learned from.

    It has missing (NaN) or infinite values, or text where a regression needs numbers.
    """


class FeatureValidationError(DataValidationError):
    """Feature columns cannot be learned from.

    They hold text (or other non-numeric) values, or missing (NaN) or infinite values.
    ``market.data.publish(..., raw=True)`` publishes such data on purpose.
    """


class UnsupportedModelError(MlmarketError, TypeError):
    """The estimator is of a kind the on-chain evaluator cannot score."""


# --- market -------------------------------------------------------------------


class UnconfirmedPurchaseError(ConfigurationError):
    """A purchase the buyer must confirm: of its own listing, or of one it already holds
    (delivered) or paid for (awaiting delivery).

    ``flags`` names the keyword arguments of ``market.data.buy`` that confirm it
    (``"own"``, ``"again"``).
    """

    def __init__(self, message: str, *, flags: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.flags = tuple(flags)


class CompetitionCommitmentError(MlmarketError, ValueError):
    """A competition's on-chain commitments do not match the data they commit to.

    ``wrong`` lists what differs (e.g. ``["root", "baseline"]``).
    """

    def __init__(self, message: str, *, wrong: list[str] | None = None) -> None:
        super().__init__(message)
        self.wrong = list(wrong or [])
