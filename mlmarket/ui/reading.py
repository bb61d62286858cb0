"""What :class:`~mlmarket.ui.state.MarketState` reads from a market, as plain data.

Kept apart from the state so a poller can read in one place and apply in
another, and so every read the dashboard makes is listed here.

Example:
    >>> values = read_tables(market)
    >>> sorted(values)[:3]
    ['backend', 'balances', 'block']
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

from mlmarket.market.tables import EVENT_COLUMNS, events_table, with_amounts, with_times
from mlmarket.ml.budgets import describe_budget
from mlmarket.units import from_units

if TYPE_CHECKING:
    from mlmarket.chain import Chain
    from mlmarket.market import Market
    from mlmarket.market.competition import Competition

BPS = 10_000
"""Basis points in a whole prize pool (``payoutBps`` sum to it)."""


class Fingerprint(NamedTuple):
    """A cheap summary of a chain that changes whenever anything on it does."""

    block: int
    latest_hash: bytes
    history: int
    offset: int


ENDS = ["submission_end", "reveal_end", "test_reveal_end", "evaluation_end",
        "default_evaluation_end"]  # fmt: skip
RULES = ["metric", "finals", "entries_per_period", "period_length", "multiple_places",
         "next_period_at", "entries_left", "evaluation", "challenge_window", "claim_bond",
         "challenge_bond", "claims"]  # fmt: skip
COMPETITION_COLUMNS = [
    "name", "creator", "reward", "reward_exact", "model_family", "phase", "submissions",
    "address", "task", "outcome", "finalized", "creator_bond", "creator_bond_exact",
    "test_revealed", "burned", "burned_exact", "model_budget", *ENDS, *RULES,
    "claim_bond_exact", "challenge_bond_exact",
]  # fmt: skip
"""Columns of ``MarketState.competitions`` (indexed by the factory's 0-based index).

Amounts (``reward``, ``creator_bond``, ``burned``) are float tokens, exact in
``<name>_exact``. ``burned``: what a creator default sends to the sink (the bond and
the unearned places; 0 otherwise). ``model_budget``: the largest model the competition
accepts, in words. The ``<phase>_end`` columns are UTC Timestamps;
``default_evaluation_end`` is missing (NaT) unless the creator defaulted. The rules:
``metric`` (its name, :data:`mlmarket.ml.metrics.METRICS`), ``finals`` (per participant;
0 = every submission), ``entries_per_period`` (0 = no cap) and ``period_length``
(seconds), ``multiple_places``; while a capped competition takes submissions,
``next_period_at`` (a UTC Timestamp, else NaT) and ``entries_left`` (named account ->
commits it may still make this period; else None). Optimistic evaluation: ``evaluation``
("on-chain" or "optimistic"), ``challenge_window`` (seconds), ``claim_bond`` and
``challenge_bond`` (float tokens, exact in ``<name>_exact``), ``claims`` (``comp.claims()``,
or None when on chain)."""

EventCursor = tuple[int, bytes]
"""The last block whose events were read, and its hash (to notice a revert)."""


class Reading(NamedTuple):
    """One full read: trait values, the events cursor and the chain's fingerprint."""

    values: dict[str, Any]
    cursor: EventCursor
    seen: Fingerprint


def fingerprint(market: Market) -> Fingerprint:
    """Two RPC reads: enough to tell whether a full refresh is needed."""
    chain = market.chain
    latest = chain.w3.eth.get_block("latest")
    return Fingerprint(
        int(latest["number"]), bytes(latest["hash"]), len(chain.history), chain.clock.offset
    )


def describe_backend(chain: Chain) -> str:
    """One line: the backend kind, chain id and whether other processes can change it.

    Example:
        >>> describe_backend(market.chain)               # doctest: +ELLIPSIS
        '... · chain ... · in this process'
    """
    from mlmarket.ui.polling import chain_is_shared

    if chain.in_process:
        where = "in this process"
    elif chain_is_shared(chain):
        where = f"shared node {getattr(chain.backend, 'url', '')}".rstrip()
    else:
        where = "managed by this session"
    return f"{chain.kind} · chain {chain.chain_id} · {where}"


def read_tables(market: Market) -> dict[str, Any]:
    """Block, time, the session's transactions and every table the panels show."""
    chain = market.chain
    history = tuple(chain.history)
    competitions, leaderboards = read_competitions(market)
    return {
        "backend": describe_backend(chain),
        "block": chain.block_number,
        "time": chain.clock.now(),
        "transactions": history,
        "tx_count": len(history),
        "balances": market.balances(),
        "listings": market.data.listings(),
        "purchases": market.data.purchases(),
        "competitions": competitions,
        "leaderboards": leaderboards,
    }


def read_competitions(market: Market) -> tuple[pd.DataFrame, dict[int, pd.DataFrame]]:
    """Every competition (``market.competitions.list()`` plus task, outcome and the end
    of each phase) and its leaderboard, by index."""
    service = getattr(market, "competitions", None)
    if service is None:
        return pd.DataFrame(columns=COMPETITION_COLUMNS), {}
    table = service.list()
    extra: list[dict[str, Any]] = []
    boards: dict[int, pd.DataFrame] = {}
    for index in table.index:
        handle = service.get(int(index))
        functions = handle.contract.functions
        ends: dict[str, Any] = {"default_evaluation_end": None}
        ends.update({f"{phase}_end": ts for phase, ts in handle.deadlines().items()})
        logged = bool(handle.chain.call(functions.finalized()))
        outcome = handle.outcome
        extra.append(
            {"task": handle.metadata.get("task"), "outcome": outcome, "finalized": logged,
             "creator_bond": handle.creator_bond,
             "test_revealed": bool(handle.chain.call(functions.testSetRevealed())),
             "burned": burned(handle, outcome, logged),
             "model_budget": describe_budget(handle.model_budget), **ends,
             **rules(market, handle, str(table.loc[index, "phase"]))}
        )  # fmt: skip
        boards[int(index)] = handle.leaderboard()
    if not len(table):
        return table.reindex(columns=COMPETITION_COLUMNS), boards
    details = with_amounts(
        pd.DataFrame(extra, index=table.index), "creator_bond", "burned", "claim_bond",
        "challenge_bond",
    )  # fmt: skip
    return table.join(with_times(details, *ENDS, "next_period_at")), boards


def rules(market: Market, handle: Competition, phase: str) -> dict[str, Any]:
    """The competition's rules (the :data:`RULES` columns); while a capped competition takes
    submissions, when its next entry period opens and each named account's entries left."""
    params = handle.params
    capped = bool(params.entries_per_period) and phase == "submission"
    return {
        "metric": params.metric_name,
        "finals": params.finals,
        "entries_per_period": params.entries_per_period,
        "period_length": params.period_length,
        "multiple_places": bool(params.multiple_places),
        "next_period_at": handle.next_period_at() if capped else None,
        "entries_left": {name: handle.entries_left(name) for name in market.accounts}
        if capped
        else None,
        "evaluation": handle.evaluation,
        "challenge_window": params.challenge_window,
        "claim_bond": from_units(params.claim_bond),
        "challenge_bond": from_units(params.challenge_bond),
        "claims": handle.claims() if params.challenge_window else None,
    }


def burned(handle: Competition, outcome: str, logged: bool) -> Decimal:
    """What a competition sends to the sink: 0 unless its creator defaulted; then the
    ``burned`` of its ``CompetitionFinalized`` event, or before that event is logged,
    what finalizing will burn (the pool minus the paid places, plus the bond)."""
    if outcome != "defaulted":
        return from_units(0)
    if logged:
        logs = handle.contract.events.CompetitionFinalized.get_logs(from_block=0)
        if logs:
            return from_units(logs[-1]["args"]["burned"])
    functions, params = handle.contract.functions, handle.params
    pool = int(handle.chain.call(functions.prizePool()))
    places = len(handle.chain.call(functions.ranking()))
    paid = sum(pool * bps // BPS for bps in params.payout_bps[:places])
    return from_units(pool - paid + params.creator_bond)


def read_events(
    market: Market, known: pd.DataFrame, cursor: EventCursor | None
) -> tuple[EventCursor, pd.DataFrame]:
    """Contract events, read incrementally: only blocks after ``cursor`` are fetched.

    If the chain no longer has the cursor's block (a revert, a loaded session),
    everything is read again.
    """
    chain = market.chain
    latest = chain.block_number
    start = market.deployment.block
    if cursor is not None and cursor[0] <= latest:
        if bytes(chain.w3.eth.get_block(cursor[0])["hash"]) == cursor[1]:
            start = cursor[0] + 1
        else:
            cursor = None
    else:
        cursor = None
    if cursor is not None and start > latest:
        return cursor, known
    fresh = events_table(chain, market.contracts(), start)
    frames = [f for f in (known if cursor is not None else None, fresh) if f is not None and len(f)]
    events = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=EVENT_COLUMNS)
    return (latest, bytes(chain.w3.eth.get_block(latest)["hash"])), events
