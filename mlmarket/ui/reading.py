"""What :class:`~mlmarket.ui.state.MarketState` reads from a market, as plain data.

Kept apart from the state so a poller can read in one place and apply in
another, and so every read the dashboard makes is listed here.

Example:
    >>> values = read_tables(market)
    >>> sorted(values)[:3]
    ['backend', 'balances', 'block']
"""

from __future__ import annotations

import math
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
BOARD_RULES = ["public_board", "public_rows", "public_window", "public_claim_bond",
               "public_checks_end", "merger_deadline", "teams_allowed", "entry_stake", "slash",
               "stake_threshold"]  # fmt: skip
COMPETITION_COLUMNS = [
    "name", "creator", "reward", "reward_exact", "model_family", "phase", "submissions",
    "address", "task", "outcome", "finalized", "creator_bond", "creator_bond_exact",
    "test_revealed", "burned", "burned_exact", "model_budget", *ENDS, *RULES,
    "claim_bond_exact", "challenge_bond_exact", *BOARD_RULES, "public_claim_bond_exact",
    "entry_stake_exact",
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
or None when on chain). The public leaderboard: ``public_board`` (whether it has one),
``public_rows`` (the public test rows), ``public_window`` (seconds), ``public_claim_bond``
(float tokens, exact twin), ``public_checks_end`` (when the private test set may be
revealed, a UTC Timestamp; NaT without a public board). Teams: ``teams_allowed`` (False with
several places per participant) and ``merger_deadline`` (the last moment teams form or
merge, a UTC Timestamp: the submission deadline unless the creator chose another).
Performance stakes: ``entry_stake`` (float tokens, exact twin), ``slash`` (the share of a
stake lost below the threshold, 0..1; 0 = none) and ``stake_threshold`` (the private score
to beat, in the metric's units; NaN without stakes)."""

TEAM_COLUMNS = ["team", "name", "members", "shares", "accepted", "formed", "commits",
                "merged_into"]  # fmt: skip
"""Columns of each ``MarketState.teams`` table (``comp.teams()``)."""

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
    competitions, boards = read_competitions(market)
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
        "leaderboards": boards.final,
        "public_boards": boards.public,
        "teams": boards.teams,
        "stakes": boards.stakes,
    }


class Boards(NamedTuple):
    """The per-competition tables read with the competitions, by index: ``final`` (the
    leaderboard; with a public board, the private one: ``public_rank`` and ``rank_change``
    added), ``public`` (``comp.leaderboard("public")``, competitions with a public board
    only), ``teams`` (``comp.teams()``, where teams are allowed) and ``stakes``
    (``comp.stakes()``, competitions with performance stakes once finalized)."""

    final: dict[int, pd.DataFrame]
    public: dict[int, pd.DataFrame]
    teams: dict[int, pd.DataFrame]
    stakes: dict[int, pd.DataFrame]


def read_competitions(market: Market) -> tuple[pd.DataFrame, Boards]:
    """Every competition (``market.competitions.list()`` plus task, outcome and the end
    of each phase) and its tables (:class:`Boards`), by index. No model bytes are read for
    the public board: it ranks the claimed public scores."""
    service = getattr(market, "competitions", None)
    boards = Boards({}, {}, {}, {})
    if service is None:
        return pd.DataFrame(columns=COMPETITION_COLUMNS), boards
    table = service.list()
    extra: list[dict[str, Any]] = []
    for index in table.index:
        handle = service.get(int(index))
        ends: dict[str, Any] = {"default_evaluation_end": None}
        ends.update({f"{phase}_end": ts for phase, ts in handle.deadlines().items()})
        logged = bool(handle.chain.read(handle.contract, "finalized"))
        outcome = handle.outcome
        phase = str(table.loc[index, "phase"])
        extra.append(
            {"task": handle.metadata.get("task"), "outcome": outcome, "finalized": logged,
             "creator_bond": handle.creator_bond,
             "test_revealed": bool(handle.chain.read(handle.contract, "testSetRevealed")),
             "burned": burned(handle, outcome, logged),
             "model_budget": describe_budget(handle.model_budget), **ends,
             **rules(market, handle, phase), **board_rules(handle)}
        )  # fmt: skip
        read_boards(handle, int(index), phase, boards)
    if not len(table):
        return table.reindex(columns=COMPETITION_COLUMNS), boards
    details = with_amounts(
        pd.DataFrame(extra, index=table.index), "creator_bond", "burned", "claim_bond",
        "challenge_bond", "public_claim_bond", "entry_stake",
    )  # fmt: skip
    times = with_times(details, *ENDS, "next_period_at", "public_checks_end", "merger_deadline")
    return table.join(times), boards


def read_boards(handle: Competition, index: int, phase: str, boards: Boards) -> None:
    """Read competition ``index``'s leaderboards, teams and stakes into ``boards``: each
    table once (the private board is the final one with the public ranks joined, as
    ``comp.leaderboard("private")`` joins them)."""
    params = handle.params
    final = handle.leaderboard()
    if handle.public_board:
        public = handle.leaderboard("public")
        boards.public[index] = public
        final = with_public_ranks(final, public)
    boards.final[index] = final
    if not params.multiple_places:
        boards.teams[index] = handle.teams()
    if params.slash_bps and phase == "finalized":
        boards.stakes[index] = handle.stakes()


def with_public_ranks(board: pd.DataFrame, public: pd.DataFrame) -> pd.DataFrame:
    """The final leaderboard ``board`` with each submission's ``public_rank`` (on the public
    board ``public``) and its ``rank_change`` (places gained from the public to the private
    board), as ``comp.leaderboard("private")`` gives them (changes ``board``, returns it)."""
    ranks = public.set_index("id")["rank"] if len(public) else pd.Series(dtype="Int64")
    board["public_rank"] = board["id"].map(ranks).astype("Int64")
    board["rank_change"] = (board["public_rank"] - board["rank"]).astype("Int64")
    return board


SHAKEUP_COLUMNS = ["id", "entrant", "public_rank", "public_score", "private_rank",
                   "private_score", "rank_change"]  # fmt: skip


def shakeup(public: pd.DataFrame, private: pd.DataFrame) -> pd.DataFrame:
    """``comp.shakeup()`` from the two boards the state holds (no read): per submission
    with a public claim or a private rank, its public and private rank and score and the
    places it gained (``rank_change``), best private rank first."""
    if not len(private):
        return pd.DataFrame(columns=SHAKEUP_COLUMNS)
    scores = public.set_index("id")["score"] if len(public) else pd.Series(dtype="float64")
    board = private[private["id"].isin(scores.index) | private["rank"].notna()]
    frame = pd.DataFrame({
        "id": board["id"].astype(int),
        "entrant": board["submitter"],
        "public_rank": board["public_rank"],
        "public_score": board["id"].map(scores).astype("float64"),
        "private_rank": board["rank"],
        "private_score": board["score"].astype("float64"),
        "rank_change": board["rank_change"],
    })  # fmt: skip
    return frame[SHAKEUP_COLUMNS].reset_index(drop=True)


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


def board_rules(handle: Competition) -> dict[str, Any]:
    """The public board's, the teams' and the performance stakes' rules (the
    :data:`BOARD_RULES` columns), from the competition's parameters (read once)."""
    params = handle.params
    board = handle.public_board
    return {
        "public_board": board,
        "public_rows": params.public_samples,
        "public_window": params.public_window,
        "public_claim_bond": from_units(params.public_claim_bond),
        "public_checks_end": handle.public_checks_end,
        "merger_deadline": params.merger_deadline or params.submission_end,
        "teams_allowed": not params.multiple_places,
        "entry_stake": from_units(params.entry_stake),
        "slash": params.slash_bps / BPS,
        "stake_threshold": stake_threshold(handle) if params.slash_bps else math.nan,
    }


def stake_threshold(handle: Competition) -> float:
    """The performance stakes' threshold in the metric's units: as the creator gave it (the
    metadata), else converted back from the contract's units."""
    given = handle.metadata.get("stake_threshold")
    if given is not None:
        try:
            return float(given)
        except ValueError:
            pass
    from mlmarket.market.leaderboard import score_value

    params = handle.params
    try:
        return float(score_value(handle, params.stake_threshold, params.samples))
    except (ValueError, TypeError, ArithmeticError):
        return math.nan


def burned(handle: Competition, outcome: str, logged: bool) -> Decimal:
    """What a competition sends to the sink: 0 unless its creator defaulted; then the
    ``burned`` of its ``CompetitionFinalized`` event, or before that event is logged,
    what finalizing will burn (the pool minus the paid places, plus the bond)."""
    if outcome != "defaulted":
        return from_units(0)
    if logged:
        logs = handle.chain.logs(handle.contract.events.CompetitionFinalized)
        if logs:
            return from_units(logs[-1]["args"]["burned"])
    params = handle.params
    pool = int(handle.chain.read(handle.contract, "prizePool"))
    places = len(handle.chain.read(handle.contract, "ranking"))
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
