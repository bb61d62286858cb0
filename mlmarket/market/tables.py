"""Tables of chain state as pandas DataFrames: balances and events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
from eth_utils import event_abi_to_log_topic
from web3.contract import Contract

from mlmarket.units import from_units

if TYPE_CHECKING:
    from mlmarket.chain import Chain
    from mlmarket.contracts import MarketToken

EVENT_COLUMNS = ["block", "time", "contract", "event", "args", "tx_hash", "sender", "gas_used"]


def balances_table(chain: Chain, token: MarketToken) -> pd.DataFrame:
    """ETH and token balances of every named account, exact (``Decimal``)."""
    rows = []
    for name, account in chain.accounts.items():
        rows.append(
            {
                "account": name,
                "address": account.address,
                "eth": from_units(chain.balance(account.address)),
                "tokens": token.balance_of(account.address),
            }
        )
    return pd.DataFrame(rows).set_index("account")


def events_table(chain: Chain, contracts: dict[str, Contract], from_block: int = 0) -> pd.DataFrame:
    """Every event the given contracts emitted, with block, time, transaction and its gas."""
    rows: list[dict[str, Any]] = []
    blocks: dict[int, int] = {}
    receipts: dict[bytes, Any] = {}
    for label, contract in contracts.items():
        topics = _event_topics(contract.abi)
        logs = chain.w3.eth.get_logs(
            {"address": contract.address, "fromBlock": from_block, "toBlock": "latest"}
        )
        for log in logs:
            if not log["topics"] or bytes(log["topics"][0]) not in topics:
                continue
            event = contract.events[topics[bytes(log["topics"][0])]]().process_log(log)
            tx_hash = bytes(log["transactionHash"])
            receipt = receipts.get(tx_hash) or receipts.setdefault(
                tx_hash, chain.w3.eth.get_transaction_receipt(tx_hash)
            )
            number = int(log["blockNumber"])
            if number not in blocks:
                blocks[number] = int(chain.w3.eth.get_block(number)["timestamp"])
            rows.append(
                {
                    "block": number,
                    "log_index": int(log["logIndex"]),
                    "time": datetime.fromtimestamp(blocks[number], tz=UTC),
                    "contract": label,
                    "event": event["event"],
                    "args": _readable(chain, dict(event["args"])),
                    "tx_hash": "0x" + tx_hash.hex(),
                    "sender": chain.describe(receipt["from"]),
                    "gas_used": int(receipt["gasUsed"]),
                }
            )
    if not rows:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    frame = pd.DataFrame(rows).sort_values(["block", "log_index"]).drop(columns="log_index")
    return frame.reset_index(drop=True)


def _event_topics(abi: Iterable[dict[str, Any]]) -> dict[bytes, str]:
    return {
        bytes(event_abi_to_log_topic(entry)): entry["name"]
        for entry in abi
        if entry.get("type") == "event" and not entry.get("anonymous")
    }


def _readable(chain: Chain, args: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for key, value in args.items():
        if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
            value = chain.describe(value)
        elif isinstance(value, bytes):
            value = "0x" + value.hex()
        shown[key] = value
    return shown
