"""What happened, as tables to plot (:mod:`mlmarket.market.plots` draws them).

* :func:`token_history` — every holder's token balance after each ``Transfer``;
* :func:`score_history` — each submission's running score as its chunks are scored;
* :func:`gas_by_action` — the gas of the session's transactions, by action;
* :func:`collection_revenue` — what a collection paid its curator and contributors.

They follow the tables' conventions (:mod:`mlmarket.market.tables`): amounts float64
with exact ``Decimal`` s in ``<name>_exact``, times UTC ``Timestamp`` s.

Example:
    >>> history = token_history(market)
    >>> history.columns.tolist()
    ['block', 'time', 'holder', 'kind', 'change', 'change_exact', 'tokens', 'tokens_exact']
    >>> gas_by_action(market.chain.history).columns.tolist()
    ['transactions', 'gas', 'gas_per_transaction', 'failed', 'failed_gas']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from mlmarket.contracts.sink import SINK, SINK_NAME
from mlmarket.errors import ConfigurationError
from mlmarket.market.leaderboard import metric_name, score_value
from mlmarket.market.tables import events_table, with_amounts
from mlmarket.ml.metrics import PER_CLASS
from mlmarket.units import from_units

if TYPE_CHECKING:
    from mlmarket.chain.core import TxRecord
    from mlmarket.market.collections import Collection, CollectionService
    from mlmarket.market.competition import Competition
    from mlmarket.market.market import Market

ZERO = "0x" + "00" * 20
TOKEN_COLUMNS = ["block", "time", "holder", "kind", "change", "tokens"]
SCORE_COLUMNS = ["block", "time", "id", "submitter", "on", "chunk", "rows", "score", "metric"]
GAS_COLUMNS = ["transactions", "gas", "gas_per_transaction", "failed", "failed_gas"]
REVENUE_COLUMNS = ["role", "shares", "sales", "bounty", "revenue"]
SETUP_ACTIONS = ("deploy", "setEvaluator", "setScoreClaims")
"""Actions of a deployment (not of the marketplace's users)."""
SCORED = {"SubmissionScored": "test", "SubmissionScoredOnTraining": "training"}
"""Scoring events and what they score on."""
COMPLETED = {"SubmissionCompleted": "test", "SubmissionCompletedOnTraining": "training"}


def holder_names(market: Market) -> dict[str, str]:
    """Labels of the addresses that are not named accounts: the market's contracts, the sink."""
    names = {contract.address: label for label, contract in market.contracts().items()}
    return names | {SINK: SINK_NAME}


def token_history(market: Market, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per holder and ``Transfer``, oldest first: ``block``, ``time``, ``holder`` (a
    named account, a contract's label, the sink, or an address), its ``kind``
    (``"account"``, ``"contract"``, ``"sink"`` or ``"address"``), ``change`` and ``tokens``
    (the balance after it; float, exact in ``change_exact`` and ``tokens_exact``).

    ``events``: the token's events if already read (``market.events()`` rows of
    ``MarketToken``); read from the chain otherwise. Minting comes from the zero address,
    which is no holder.
    """
    if events is None:
        token = {"MarketToken": market.token.contract}
        events = events_table(market.chain, token, market.deployment.block)
    names = holder_names(market)
    kinds = {name: "contract" for name in names.values()} | {SINK_NAME: "sink"}
    kinds |= {name: "account" for name in market.accounts}
    balances: dict[str, int] = {}
    rows = []
    transfers = events[(events["event"] == "Transfer") & (events["contract"] == "MarketToken")]
    for block, time, args in zip(transfers["block"], transfers["time"], transfers["args"],
                                 strict=True):  # fmt: skip
        value = int(args["value"])
        for side, sign in (("from", -1), ("to", 1)):
            address = str(args[side])
            if address == ZERO:
                continue
            holder = names.get(address, address)
            balances[holder] = balances.get(holder, 0) + sign * value
            rows.append({"block": int(block), "time": time, "holder": holder,
                         "kind": kinds.get(holder, "address"), "change": from_units(sign * value),
                         "tokens": from_units(balances[holder])})  # fmt: skip
    frame = pd.DataFrame(rows, columns=TOKEN_COLUMNS)
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return with_amounts(frame, "change", "tokens")


def chunk_rows(chunk: int, samples: int, chunk_size: int) -> int:
    """Rows in chunk ``chunk`` of ``samples`` rows cut ``chunk_size`` at a time (the last is
    shorter).

    Example:
        >>> [chunk_rows(i, 10, 4) for i in range(3)]
        [4, 4, 2]
    """
    return max(0, min(chunk_size, samples - chunk * chunk_size))


def score_history(competition: Competition, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each submission's score as evaluation proceeds, one row per chunk scored (oldest
    first): ``block``, ``time``, ``id``, ``submitter``, ``on`` (``"test"``, or
    ``"training"`` after a creator default), ``chunk``, ``rows`` (of that set scored so
    far for this submission), ``score`` (on those rows) and ``metric``. The last row of a
    submission has its leaderboard score. Under balanced accuracy or macro F1 the
    contract keeps per-class counts and computes the metric at the last chunk: earlier
    rows show the accuracy so far (metric ``"accuracy so far"``).

    ``events``: this competition's events if already read (the dashboard's); read from
    the chain otherwise.
    """
    if events is None:
        contract = {"Competition": competition.contract}
        events = events_table(competition.chain, contract, competition.market.deployment.block)
    params = competition.params
    committed = events[events["event"] == "SubmissionCommitted"]
    submitters = {int(a["id"]): str(a["submitter"]) for a in committed["args"]}
    seen: dict[tuple[int, str], int] = {}
    per_class = params.metric_name in PER_CLASS
    completed = {
        (int(a["id"]), COMPLETED[e]): int(a["score"])
        for e, a in zip(events["event"], events["args"], strict=True)
        if e in COMPLETED and per_class
    }
    rows = []
    scored = events[events["event"].isin(list(SCORED))]
    for block, time, event, args in zip(scored["block"], scored["time"], scored["event"],
                                        scored["args"], strict=True):  # fmt: skip
        on, sub_id, chunk = SCORED[event], int(args["id"]), int(args["chunkIndex"])
        samples = params.training_samples if on == "training" else params.samples
        key = (sub_id, on)
        seen[key] = seen.get(key, 0) + chunk_rows(chunk, samples, params.chunk_size)
        metric = metric_name(params.metric_name, training=on == "training")
        if not per_class:
            score = score_value(competition, int(args["total"]), seen[key])
        elif key in completed and seen[key] == samples:  # the last chunk: the metric itself
            labels = competition.scored_labels(training=on == "training")
            score = score_value(competition, completed[key], samples, labels)
        else:
            score = int(args["total"]) / seen[key]
            metric = "accuracy so far" + (" on training" if on == "training" else "")
        rows.append({
            "block": int(block), "time": time, "id": sub_id,
            "submitter": submitters.get(sub_id, f"#{sub_id}"), "on": on, "chunk": chunk,
            "rows": seen[key], "score": score, "metric": metric,
        })  # fmt: skip
    frame = pd.DataFrame(rows, columns=SCORE_COLUMNS)
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame.astype({"score": "float64"})


def gas_by_action(
    transactions: Iterable[TxRecord], *, setup: bool = True
) -> pd.DataFrame:  # fmt: skip
    """Gas of the transactions by action, most first: ``transactions`` and ``gas`` of those
    that succeeded, ``gas_per_transaction`` (their mean), and ``failed`` transactions with
    the gas they burned (``failed_gas``). ``setup=False`` leaves out the deployment's
    actions (:data:`SETUP_ACTIONS`).

    Example:
        >>> gas_by_action(market.chain.history, setup=False).empty   # nothing done yet
        True
    """
    rows = [
        {"action": r.action, "ok": r.status == 1, "gas": int(r.gas_used)}
        for r in transactions
        if setup or r.action not in SETUP_ACTIONS
    ]
    if not rows:
        return pd.DataFrame(columns=GAS_COLUMNS, index=pd.Index([], name="action"))
    frame = pd.DataFrame(rows)
    ok, failed = frame[frame["ok"]], frame[~frame["ok"]]
    table = pd.DataFrame({
        "transactions": ok.groupby("action").size(),
        "gas": ok.groupby("action")["gas"].sum(),
        "failed": failed.groupby("action").size(),
        "failed_gas": failed.groupby("action")["gas"].sum(),
    }).fillna(0).astype("int64")  # fmt: skip
    table["gas_per_transaction"] = (table["gas"] / table["transactions"].where(
        table["transactions"] > 0)).astype("float64")  # fmt: skip
    table.index.name = "action"
    return table[GAS_COLUMNS].sort_values(["gas", "failed_gas"], ascending=False, kind="stable")


def collection_revenue(
    collections: CollectionService, collection: Collection | int
) -> pd.DataFrame:  # fmt: skip
    """What a collection paid, by account: its curator's cut of the sales, and each
    contributor's (anyone who sent a batch) ``shares`` (accepted rows), share of the
    ``sales`` and ``bounty``;
    ``revenue`` is their sum (float tokens, exact in ``<name>_exact``). Returned stakes are
    not revenue and are left out; what is paid counts whether claimed yet or not.

    Example:
        >>> collection_revenue(market.data.collections, 7)
        Traceback (most recent call last):
        ...
        mlmarket.errors.ConfigurationError: There is no collection 7; this market has 0 collections.
    """
    col_id = collection if isinstance(collection, int) else collection.id
    count = int(collections.chain.read(collections.contract, "collectionCount"))
    if not isinstance(col_id, int) or not 1 <= col_id <= count:
        raise ConfigurationError(
            f"There is no collection {col_id}; this market has {count} collections."
        )
    col = collections.get(col_id)
    events = collections.contract.events
    describe = collections.chain.describe
    curator = describe(col.curator)
    cut = sum(int(log["args"]["curatorAmount"]) for log in _logs(events.CollectionSaleDistributed,
                                                                   col_id))  # fmt: skip
    earned: dict[str, dict[str, int]] = {}
    for log in _logs(events.BatchContributed, col_id):  # everyone who sent a batch, paid or not
        earned.setdefault(log["args"]["contributor"], {"shares": 0, "bounty": 0, "stake": 0})
    for log in _logs(events.BatchAccepted, col_id):
        who = earned[log["args"]["contributor"]]
        for key, field in (("shares", "rows"), ("bounty", "bounty"), ("stake", "stake")):
            who[key] += int(log["args"][field])
    claimed: dict[str, int] = {}
    for log in _logs(events.Claimed, col_id):
        address = log["args"]["contributor"]
        claimed[address] = claimed.get(address, 0) + int(log["args"]["amount"])
    rows = [{"account": curator, "role": "curator", "shares": 0, "sales": from_units(cut),
             "bounty": from_units(0)}]  # fmt: skip
    for address, got in sorted(earned.items(), key=lambda item: describe(item[0])):
        paid = claimed.get(address, 0) + int(
            collections.chain.read(collections.contract, "pendingRevenue", col_id, address)
        )
        rows.append({"account": describe(address), "role": "contributor", "shares": got["shares"],
                     "sales": from_units(paid - got["bounty"] - got["stake"]),
                     "bounty": from_units(got["bounty"])})  # fmt: skip
    frame = pd.DataFrame(rows).set_index("account")
    frame["revenue"] = [s + b for s, b in zip(frame["sales"], frame["bounty"], strict=True)]
    return with_amounts(frame[REVENUE_COLUMNS], "sales", "bounty", "revenue")


def _logs(event: Any, collection_id: int) -> list[Mapping[str, Any]]:
    """An event's logs for one collection (its ``collectionId`` argument is indexed)."""
    logs = event.get_logs(from_block=0, argument_filters={"collectionId": collection_id})
    return [log for log in logs if int(log["args"]["collectionId"]) == collection_id]
