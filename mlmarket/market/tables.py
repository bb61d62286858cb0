"""Tables of chain state as pandas DataFrames: balances and events, and the column
conventions every table of the package follows.

* An amount column (tokens, ETH, a fraction) holds ``float64`` whole tokens (or ETH), to
  plot and compute with; ``<name>_exact`` right after it holds the exact ``Decimal``
  (1,000 tokens are 10**21 base units: beyond int64, and rounded by a float).
* A time column holds ``pandas.Timestamp`` s in UTC (missing: ``NaT``).

Example:
    >>> frame = pd.DataFrame({"who": ["bob"], "tokens": [Decimal("0.1")], "at": [86_400]})
    >>> frame = with_times(with_amounts(frame, "tokens"), "at")
    >>> frame.loc[0, "tokens"], frame.loc[0, "tokens_exact"], frame.loc[0, "at"]
    (np.float64(0.1), Decimal('0.1'), Timestamp('1970-01-02 00:00:00+0000', tz='UTC'))
    >>> unix(frame.loc[0, "at"])
    86400
    >>> plain(frame).columns.tolist()                  # for people: no exact twins
    ['who', 'tokens', 'at']
    >>> print(csv_text(frame), end="")                 # for files: exact amounts, ISO times
    who,tokens,at
    bob,0.1,1970-01-02T00:00:00Z
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd
from eth_utils import event_abi_to_log_topic
from web3.contract import Contract

from mlmarket.units import from_units

if TYPE_CHECKING:
    from mlmarket.chain import Chain
    from mlmarket.contracts import MarketToken

EVENT_COLUMNS = ["block", "time", "contract", "event", "args", "tx_hash", "sender", "gas_used"]
EXACT = "_exact"
"""Suffix of the column holding an amount column's exact ``Decimal`` values."""


def with_amounts(frame: pd.DataFrame, *names: str) -> pd.DataFrame:
    """Make each ``Decimal`` column of ``names`` float64, its exact values in ``<name>_exact``
    right after it (missing values: NaN and None). Changes ``frame`` and returns it."""
    for name in names:
        exact = [None if _missing(v) else Decimal(v) for v in frame[name]]
        frame[name] = pd.Series([math.nan if v is None else float(v) for v in exact],
                                index=frame.index, dtype="float64")  # fmt: skip
        frame.insert(frame.columns.get_loc(name) + 1, name + EXACT,
                     pd.Series(exact, index=frame.index, dtype=object))  # fmt: skip
    return frame


def with_times(frame: pd.DataFrame, *names: str) -> pd.DataFrame:
    """Make each column of ``names`` (Unix seconds or datetimes) UTC ``pandas.Timestamp`` s
    (missing: NaT). Changes ``frame`` and returns it."""
    for name in names:
        seconds = [None if _missing(v) else unix(v) for v in frame[name]]
        frame[name] = pd.to_datetime(pd.Series(seconds, index=frame.index, dtype=object),
                                     unit="s", utc=True)  # fmt: skip
    return frame


def competition_label(index: int) -> str:
    """How tables (``market.events()``'s ``contract`` column) name competition ``index``.

    Example:
        >>> competition_label(0)
        'Competition[0]'
    """
    return f"Competition[{index}]"


def twins(frame: pd.DataFrame) -> dict[str, str]:
    """Each amount column of ``frame`` that has an exact twin, and the twin's name."""
    return {c: f"{c}{EXACT}" for c in frame.columns if f"{c}{EXACT}" in frame.columns}


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the exact twins: what people read (the floats, rounded on display)."""
    return frame.drop(columns=list(twins(frame).values()))


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV for a file: each amount column holds its exact value (the twin is not
    repeated), times are ISO 8601 UTC (``2026-12-08T20:42:00Z``); a named index is kept."""
    exact = frame.copy()
    for column, twin in twins(frame).items():
        exact[column] = exact.pop(twin)
    for column in exact.columns:
        if isinstance(exact[column].dtype, pd.DatetimeTZDtype):
            exact[column] = exact[column].dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(exact.to_csv(index=frame.index.name is not None, lineterminator="\n"))


def timestamp(seconds: int) -> pd.Timestamp:
    """Unix seconds as a UTC ``pandas.Timestamp``.

    Example:
        >>> timestamp(0)
        Timestamp('1970-01-01 00:00:00+0000', tz='UTC')
    """
    return pd.Timestamp(int(seconds), unit="s", tz="UTC")


def unix(when: datetime | int | float) -> int:
    """Unix seconds of a ``Timestamp`` or ``datetime`` (naive ones are UTC), or of a number."""
    if isinstance(when, datetime):
        return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())
    return int(when)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def balances_table(chain: Chain, token: MarketToken) -> pd.DataFrame:
    """ETH and token balances of every named account: ``eth`` and ``tokens`` (float64), the
    exact ``Decimal`` s in ``eth_exact`` and ``tokens_exact``."""
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
    return with_amounts(pd.DataFrame(rows).set_index("account"), "eth", "tokens")


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
                blocks[number] = int(chain.w3.eth.get_block(number)["timestamp"])  # Unix s
            rows.append(
                {
                    "block": number,
                    "log_index": int(log["logIndex"]),
                    "time": blocks[number],
                    "contract": label,
                    "event": event["event"],
                    "args": _readable(chain, dict(event["args"])),
                    "tx_hash": "0x" + tx_hash.hex(),
                    "sender": chain.describe(receipt["from"]),
                    "gas_used": int(receipt["gasUsed"]),
                }
            )
    if not rows:
        return with_times(pd.DataFrame(columns=EVENT_COLUMNS), "time")
    frame = pd.DataFrame(rows).sort_values(["block", "log_index"]).drop(columns="log_index")
    return with_times(frame.reset_index(drop=True), "time")


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
