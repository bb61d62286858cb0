"""MarketToken: the ERC-20 (+ ERC-2612 permit) the marketplace pays in."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from eth_account import Account
from web3.types import TxReceipt

from mlmarket.contracts.artifacts import load_artifact
from mlmarket.units import Amount, from_units, to_units

if TYPE_CHECKING:
    from mlmarket.chain import Chain, NamedAccount


class MarketToken:
    """The payment token, in whole tokens (exact ``Decimal``); raw units on request.

    Example:
        >>> token = MarketToken.deploy(chain, {"alice": 100})
        >>> token.balance_of("alice")
        Decimal('100')
        >>> token.transfer("bob", "2.5", sender="alice")   # doctest: +ELLIPSIS
        AttributeDict(...)
    """

    NAME = "MarketToken"

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.contract = chain.contract(address, load_artifact(self.NAME).abi)
        self.address: str = self.contract.address

    @classmethod
    def deploy(
        cls,
        chain: Chain,
        holders: Mapping[str, Amount],
        *,
        sender: NamedAccount | str = "deployer",
    ) -> MarketToken:
        """Deploy with a fixed supply: ``holders`` maps accounts (names or addresses) to tokens."""
        artifact = load_artifact(cls.NAME)
        recipients = [chain.address(who) for who in holders]
        amounts = [to_units(amount) for amount in holders.values()]
        contract, _ = chain.deploy(
            artifact.abi, artifact.bytecode, recipients, amounts, sender=sender
        )
        return cls(chain, contract.address)

    # --- reads ---------------------------------------------------------------------

    def raw_balance_of(self, who: NamedAccount | str) -> int:
        return int(self.chain.read(self.contract, "balanceOf", self.chain.address(who)))

    def balance_of(self, who: NamedAccount | str) -> Decimal:
        """Balance in whole tokens."""
        return from_units(self.raw_balance_of(who))

    def total_supply(self) -> Decimal:
        return from_units(self.chain.read(self.contract, "totalSupply"))

    def allowance(self, owner: NamedAccount | str, spender: NamedAccount | str) -> Decimal:
        fn = self.contract.functions.allowance(
            self.chain.address(owner), self.chain.address(spender)
        )
        return from_units(self.chain.call(fn))

    # --- writes --------------------------------------------------------------------

    def transfer(
        self, to: NamedAccount | str, amount: Amount, *, sender: NamedAccount | str
    ) -> TxReceipt:
        return self.chain.send(
            self.contract, "transfer", self.chain.address(to), to_units(amount), sender=sender
        )

    def approve(
        self, spender: NamedAccount | str, amount: Amount, *, owner: NamedAccount | str
    ) -> TxReceipt:
        return self.chain.send(
            self.contract, "approve", self.chain.address(spender), to_units(amount), sender=owner
        )

    def permit(
        self,
        owner: NamedAccount | str,
        spender: NamedAccount | str,
        amount: Amount,
        *,
        deadline: int | None = None,
    ) -> tuple[int, int, int, bytes, bytes]:
        """Sign an ERC-2612 permit off chain with the owner's key.

        Returns ``(value, deadline, v, r, s)`` ready for a contract that takes a permit
        (so approve-and-pay is one transaction).
        """
        account = self.chain.accounts.resolve(owner)
        value = to_units(amount)
        deadline = deadline if deadline is not None else self.chain.clock.now() + 3600
        signed = Account.sign_typed_data(
            account.key,
            full_message=self._permit_message(account.address, spender, value, deadline),
        )
        return value, deadline, signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")

    def _permit_message(
        self, owner: str, spender: NamedAccount | str, value: int, deadline: int
    ) -> dict[str, Any]:
        _fields, name, version, chain_id, verifying, _salt, _ext = self.chain.read(
            self.contract, "eip712Domain"
        )
        nonce = self.chain.read(self.contract, "nonces", owner)
        return {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "Permit": [
                    {"name": "owner", "type": "address"},
                    {"name": "spender", "type": "address"},
                    {"name": "value", "type": "uint256"},
                    {"name": "nonce", "type": "uint256"},
                    {"name": "deadline", "type": "uint256"},
                ],
            },
            "primaryType": "Permit",
            "domain": {
                "name": name,
                "version": version,
                "chainId": chain_id,
                "verifyingContract": verifying,
            },
            "message": {
                "owner": owner,
                "spender": self.chain.address(spender),
                "value": value,
                "nonce": nonce,
                "deadline": deadline,
            },
        }
