"""Event log panel: every transaction with its gas and what it would cost elsewhere.

The log lists the session's transactions (``chain.history``) with the events
each emitted, plus transactions other processes sent to the market's contracts
(seen through their events). Cost is priced at a chosen gas price (gwei) and
ETH price (USD), so a teacher can show what a lifecycle costs on mainnet.

A transaction that was mined but failed (``status`` ``"failed"``: sent without the
local dry run, ``chain.transact(..., simulate=False)``, or refused by a remote node
only once mined) is listed, flagged, with the gas it burned; the totals count only
what succeeded and name the failures' gas and cost apart. The table fits a 1,400-px
window (the events a transaction emitted wrap); the log exports to CSV (``Export CSV``
writes a file next to the notebook, the link downloads it).

The events of teams, the public leaderboard and performance stakes say what happened
(:func:`event_text`): ``TeamProposed (Red by bob: bob 60%, carol 40%)``, ``TeamAccepted
(carol → Red)``, ``TeamFormed (Red; merged bob, carol with 0 entries)``,
``SubmissionDisqualified (#5)``, ``StakeWithdrawn (#1: 7 tokens to bob)``,
``PublicClaimPosted (claim #1 on #1 by bob, bond 1)``, ``PublicClaimForfeited (claim #3:
1 to the sink)``; a team's address reads as its name.

Example:
    >>> panel = EventLogPanel(market)
    >>> panel.gwei.value, panel.usd.value = 30, 2500
    >>> "cost_usd" in panel.table.value
    True
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import pandas as pd

from mlmarket.market.tables import timestamp, with_amounts
from mlmarket.ui.accounts import short_address
from mlmarket.ui.base import Exporter, Panel, dropdown, set_options
from mlmarket.ui.render import amount, table, when
from mlmarket.units import from_units

if TYPE_CHECKING:
    from mlmarket.chain.core import TxRecord
    from mlmarket.market import Market
    from mlmarket.ui.state import MarketState

EVERYONE = "(everyone)"
SHOWN = 200
GWEI_PER_ETH = Decimal(10**9)
LOG_COLUMNS = ["block", "time", "sender", "action", "status", "events", "gas", "paid_eth"]
OK, FAILED = "ok", "failed"


def counted(names: Sequence[str]) -> str:
    """Event names in order of first appearance, repeats counted.

    Example:
        >>> counted(["Transfer", "Transfer", "Purchased"])
        'Transfer ×2, Purchased'
    """
    counts = Counter(names)
    return ", ".join(name if counts[name] == 1 else f"{name} ×{counts[name]}" for name in counts)


def team_names(events: pd.DataFrame) -> dict[str, str]:
    """Each proposed team's address and name, from the ``TeamProposed`` events (no read)."""
    if len(events) == 0:
        return {}
    proposed = events[events["event"] == "TeamProposed"]
    return {str(args["team"]): str(args["name"]) for args in proposed["args"]}


def event_text(
    name: str, args: dict[str, Any], teams: dict[str, str], name_of: Callable[[str], str | None]
) -> str:
    """An event as the log shows it: its name, and for the events of teams, public claims
    and performance stakes what happened, with names and amounts.

    Example:
        >>> teams = {"0xTeam": "Red"}
        >>> who = {"0xB0b": "bob", "0xCa401": "carol"}.get
        >>> event_text("TeamProposed", {"team": "0xTeam", "proposer": "bob", "name": "Red",
        ...     "members": ["0xB0b", "0xCa401"], "shares": [6000, 4000]}, teams, who)
        'TeamProposed (Red by bob: bob 60%, carol 40%)'
        >>> event_text("StakeWithdrawn", {"id": 1, "staker": "bob", "amount": 7 * 10**18},
        ...            teams, who)
        'StakeWithdrawn (#1: 7 tokens to bob)'
        >>> event_text("Transfer", {}, teams, who)
        'Transfer'
    """

    def label(address: Any) -> str:
        text = str(address)
        return teams.get(text) or name_of(text) or short_address(text)

    if name == "TeamProposed":
        split = ", ".join(
            f"{label(m)} {amount(Decimal(int(b)) / 100)}%"
            for m, b in zip(args["members"], args["shares"], strict=True)
        )
        return f"{name} ({args['name']} by {label(args['proposer'])}: {split})"
    if name == "TeamAccepted":
        return f"{name} ({label(args['member'])} → {label(args['team'])})"
    if name == "TeamFormed":
        merged = ", ".join(label(m) for m in args["merged"]) or "nobody"
        entries = int(args["entries"])
        return (
            f"{name} ({label(args['team'])}; merged {merged} with {entries} "
            f"entr{'y' if entries == 1 else 'ies'})"
        )
    if name == "SubmissionDisqualified":
        return f"{name} (#{int(args['id'])})"
    if name == "StakeWithdrawn":
        paid = amount(from_units(int(args["amount"])))
        return f"{name} (#{int(args['id'])}: {paid} tokens to {label(args['staker'])})"
    if name == "PublicClaimPosted":
        bond = amount(from_units(int(args["bond"])))
        return (
            f"{name} (claim #{int(args['claimId'])} on #{int(args['id'])} by "
            f"{label(args['claimer'])}, bond {bond})"
        )
    if name == "PublicClaimForfeited":
        lost = amount(from_units(int(args["burned"])))
        return f"{name} (claim #{int(args['claimId'])}: {lost} to the sink)"
    return name


def transaction_log(
    transactions: Sequence[TxRecord], events: pd.DataFrame, name_of: Callable[[str], str | None]
) -> pd.DataFrame:
    """One row per transaction (newest first): block, time (UTC), sender, action, status
    (``"ok"`` or ``"failed"``), events (:func:`event_text`), gas.

    ``paid_eth`` is what the transaction paid on this chain (float ETH; exact in
    ``paid_eth_exact``). Transactions seen only through events (sent by another
    process) have action ``"(other process)"`` and no ``paid_eth``.
    """
    emitted: dict[str, list[str]] = {}
    teams = team_names(events)
    for tx_hash, name, args in zip(events.get("tx_hash", []), events.get("event", []),
                                   events.get("args", []), strict=True):  # fmt: skip
        said = event_text(str(name), args, teams, name_of) if isinstance(args, dict) else name
        emitted.setdefault(str(tx_hash), []).append(str(said))
    rows = [
        {
            "tx_hash": record.tx_hash,
            "block": record.block,
            "time": timestamp(record.timestamp),
            "sender": name_of(record.sender) or record.sender,
            "action": record.action,
            "status": OK if record.status == 1 else FAILED,
            "events": counted(emitted.get(record.tx_hash, [])),
            "gas": record.gas_used,
            "paid_eth": from_units(record.gas_used * record.gas_price),
        }
        for record in transactions
    ]
    rows += _other_rows(events, {record.tx_hash for record in transactions}, emitted)
    frame = pd.DataFrame(rows, columns=[*LOG_COLUMNS, "tx_hash"])
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    frame = frame.sort_values("block", ascending=False, kind="stable", ignore_index=True)
    return with_amounts(frame, "paid_eth")


def _other_rows(
    events: pd.DataFrame, ours: set[str], emitted: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """Rows for transactions seen only through their events (another process sent them)."""
    if len(events) == 0:
        return []
    others = events[~events["tx_hash"].isin(ours)].drop_duplicates("tx_hash")
    return [
        {
            "tx_hash": row.tx_hash,
            "block": int(row.block),
            "time": row.time,
            "sender": row.sender,
            "action": "(other process)",
            "status": OK,  # it emitted events, so it succeeded
            "events": counted(emitted.get(row.tx_hash, [])),
            "gas": int(row.gas_used),
            "paid_eth": None,
        }
        for row in others.itertuples()
    ]


def total(amounts: pd.Series) -> Decimal:
    """The exact sum of an ``<name>_exact`` column (0 when empty)."""
    return sum(amounts, Decimal(0))


def priced(log: pd.DataFrame, gwei: float, usd: float) -> pd.DataFrame:
    """The log with ``cost_eth`` and ``cost_usd`` at ``gwei`` per gas and ``usd`` per ETH
    (floats; exact in ``cost_eth_exact`` and ``cost_usd_exact``, from the prices as typed)."""
    frame = log.copy()
    eth = [Decimal(int(gas)) * Decimal(str(gwei)) / GWEI_PER_ETH for gas in frame["gas"]]
    frame["cost_eth"] = pd.Series(eth, index=frame.index, dtype=object)
    frame["cost_usd"] = pd.Series([e * Decimal(str(usd)) for e in eth], index=frame.index,
                                  dtype=object)  # fmt: skip
    return with_amounts(frame, "cost_eth", "cost_usd")


class EventLogPanel(Panel):
    """``gwei`` and ``usd`` (prices), ``sender`` (filter), ``table`` (the log), ``totals``,
    ``exporter`` (the log as filtered, all of it, to CSV)."""

    title = "Event log"
    css = "mlm-events-panel"
    watches = ("transactions", "events")

    def __init__(self, source: Market | MarketState, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self.gwei = widgets.FloatText(value=20.0, description="Gas (gwei)")
        self.gwei.add_class("mlm-gas-price")
        self.usd = widgets.FloatText(value=3000.0, description="ETH (USD)")
        self.usd.add_class("mlm-eth-usd")
        self.sender = dropdown("Sender", "mlm-log-sender", [EVERYONE])
        self.totals = widgets.HTML()
        self.totals.add_class("mlm-log-totals")
        self.table = widgets.HTML()
        self.table.add_class("mlm-tx-log")
        self.exporter = Exporter(self, "mlm-export-events")
        self._ready(widgets.HBox([self.gwei, self.usd, self.sender]), self.totals, self.exporter,
                    self.table)  # fmt: skip
        for control in (self.gwei, self.usd, self.sender):  # after the panel's own observers
            control.observe(lambda _: self.render(), names="value")

    def log(self) -> pd.DataFrame:
        """The priced log as shown (filtered by sender)."""
        state = self.state
        log = transaction_log(state.transactions, state.events, state.market.accounts.name_of)
        if self.sender.value != EVERYONE:
            log = log[log["sender"] == self.sender.value]
        return priced(log, self.gwei.value, self.usd.value)

    def render(self) -> None:
        if self.gwei.value < 0 or self.usd.value < 0:
            self.fail("Prices cannot be negative; the log keeps the last valid ones.")
            return
        self.feedback.value = ""
        log = self.log()
        senders = sorted(set(self._senders()))
        shown = [s if short_address(s) == s else (short_address(s), s) for s in senders]
        set_options(self.sender, [EVERYONE, *shown])  # a name, or an address shortened
        self.totals.value = self._totals(log)
        self.exporter.update(log, "events.csv")
        self.table.value = table(
            log.head(SHOWN).rename(columns={"time": "time (UTC)"}),
            css="mlm-tx-log-table",
            index=False,
            formats={
                "time (UTC)": lambda v: when(v).removesuffix(" UTC"),
                "gas": lambda v: f"{int(v):,}",
                "paid_eth": lambda v: "–" if pd.isna(v) else f"{v:.6f}",
                "cost_eth": lambda v: f"{v:.6f}",
                "cost_usd": lambda v: f"${v:,.2f}",
                "tx_hash": lambda v: f"{v[:6]}…",
            },
            row_class=lambda _, row: "mlm-failed" if row["status"] == FAILED else "",
            empty="no transactions yet",
            wrap=("action", "events"),
        )

    def _totals(self, log: pd.DataFrame) -> str:
        """What succeeded costs; failed transactions (their gas was burned) counted apart."""
        ok, failed = log[log["status"] == OK], log[log["status"] == FAILED]
        said = (
            f"{len(ok)} transactions · {ok['gas'].sum():,} gas · "
            f"<b>{total(ok['cost_eth_exact']):.6f} ETH</b> = "
            f"<b class='mlm-total-usd'>${amount(total(ok['cost_usd_exact']))}</b> "
            f"at {self.gwei.value:g} gwei and ${self.usd.value:,.0f}/ETH"
        )
        if len(failed):
            said += (
                f" · <span class='mlm-failed-total'>{len(failed)} failed: "
                f"{failed['gas'].sum():,} gas, ${amount(total(failed['cost_usd_exact']))} "
                "burned, not counted above</span>"
            )
        return said

    def _senders(self) -> list[str]:
        name_of = self.state.market.accounts.name_of
        return [name_of(r.sender) or r.sender for r in self.state.transactions]
