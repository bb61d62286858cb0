"""Named accounts derived from one mnemonic.

Every local backend (the embedded eth-tester chain and anvil) funds the same
addresses, derived from the well-known development mnemonic along the standard
path ``m/44'/60'/0'/0/i``. So ``alice`` has the same address everywhere, and the
same address anvil prints for its account 1.

These keys are public knowledge: :func:`is_development_key` lets the RPC backend
refuse them on a public chain.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import coincurve
from eth_account import Account
from eth_account.datastructures import SignedTransaction
from eth_account.signers.local import LocalAccount
from eth_account.typed_transactions import TypedTransaction
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes

from mlmarket.errors import ConfigurationError

DEV_MNEMONIC = "test test test test test test test test test test test junk"
"""The mnemonic of anvil's and Hardhat's default accounts (public; local chains only)."""

NAMES: tuple[str, ...] = (
    "deployer",
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
)
"""Names of the funded local accounts, in derivation order (index 0 deploys)."""

# eth-tester's own default keys are the integers 1..10; they are as public as the mnemonic.
_ETH_TESTER_DEFAULT_KEYS = tuple(i.to_bytes(32, "big") for i in range(1, 11))
_KNOWN_MNEMONIC_DEPTH = 20

Account.enable_unaudited_hdwallet_features()


@lru_cache(maxsize=64)
def derive_key(index: int, mnemonic: str = DEV_MNEMONIC) -> bytes:
    """Private key of account ``index`` on the standard Ethereum HD path."""
    account = Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}")
    return bytes(account.key)


@lru_cache(maxsize=1)
def _development_keys() -> frozenset[bytes]:
    derived = (derive_key(i) for i in range(_KNOWN_MNEMONIC_DEPTH))
    return frozenset((*derived, *_ETH_TESTER_DEFAULT_KEYS))


def is_development_key(private_key: bytes) -> bool:
    """True when ``private_key`` is one of the publicly known development keys."""
    return bytes(private_key) in _development_keys()


@dataclass(frozen=True)
class NamedAccount:
    """A signing account with a human name.

    Example:
        >>> acct = named_accounts(2)["alice"]
        >>> acct.address
        '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
    """

    name: str
    signer: LocalAccount

    @property
    def address(self) -> str:
        return str(self.signer.address)

    @property
    def key(self) -> bytes:
        return bytes(self.signer.key)

    @cached_property
    def _ecdsa_key(self) -> coincurve.PrivateKey:
        return coincurve.PrivateKey(self.key)

    def sign_transaction(self, tx: dict[str, Any]) -> SignedTransaction:
        """``tx`` signed, exactly as ``signer.sign_transaction(tx)`` signs it.

        A typed transaction (what the chain sends) is built and encoded by eth-account's
        ``TypedTransaction`` and its hash signed by coincurve (libsecp256k1's deterministic,
        low-s ECDSA, as eth-keys signs) with the key parsed once: a third less time than
        eth-account's ``sign_transaction``, which builds and checks the transaction twice
        and derives the public key again for every signature. Legacy ones go to it.
        """
        if "type" not in tx or tx.get("from", self.address) != self.address:
            return self.signer.sign_transaction(tx)  # eth-account; it says what is wrong
        body = {key: value for key, value in tx.items() if key != "from"}
        unsigned = TypedTransaction.from_dict(body)
        signature = self._ecdsa_key.sign_recoverable(unsigned.hash(), hasher=None)
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big")
        v = signature[64]
        raw = TypedTransaction.from_dict({**body, "v": v, "r": r, "s": s}).encode()
        return SignedTransaction(
            raw_transaction=HexBytes(raw), hash=HexBytes(keccak(raw)), r=r, s=s, v=v
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.address[:8]}…{self.address[-4:]})"


class Accounts(Mapping[str, NamedAccount]):
    """A read-only mapping of names to :class:`NamedAccount`, with reverse lookup.

    Example:
        >>> accounts = named_accounts(3)
        >>> list(accounts)
        ['deployer', 'alice', 'bob']
        >>> accounts.name_of(accounts["bob"].address)
        'bob'
    """

    def __init__(self, accounts: list[NamedAccount] | tuple[NamedAccount, ...] = ()) -> None:
        self._by_name: dict[str, NamedAccount] = {}
        self._by_address: dict[str, NamedAccount] = {}
        for account in accounts:
            self.add(account)

    def add(self, account: NamedAccount) -> None:
        if account.name in self._by_name:
            raise ConfigurationError(f"An account named {account.name!r} already exists.")
        self._by_name[account.name] = account
        self._by_address[account.address.lower()] = account

    def __getitem__(self, name: str) -> NamedAccount:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self._by_name) or "none"
            raise KeyError(f"No account named {name!r}; known accounts: {known}.") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def name_of(self, address: str) -> str | None:
        """The name of ``address``, or None when it is not one of ours."""
        account = self._by_address.get(str(address).lower())
        return account.name if account else None

    def resolve(self, who: NamedAccount | str) -> NamedAccount:
        """Accept a NamedAccount, a name or one of our addresses; return the account."""
        if isinstance(who, NamedAccount):
            return who
        if isinstance(who, str) and who.startswith("0x"):
            account = self._by_address.get(who.lower())
            if account is None:
                raise KeyError(
                    f"{to_checksum_address(who)} is not a signing account of this session; "
                    f"use one of: {', '.join(self._by_name)}."
                )
            return account
        return self[who]


def named_accounts(count: int = len(NAMES), mnemonic: str = DEV_MNEMONIC) -> Accounts:
    """The first ``count`` named development accounts."""
    if not 1 <= count <= len(NAMES):
        raise ConfigurationError(f"count must be between 1 and {len(NAMES)}, got {count}.")
    return Accounts(
        [NamedAccount(NAMES[i], Account.from_key(derive_key(i, mnemonic))) for i in range(count)]
    )
