"""Performance stakes: entry stakes held until finalization and judged by the private score.

A competition created with ``slash=`` (and an ``entry_stake``) keeps the stake of every
revealed final until it is finalized (other reveals get their stake back at once; an
unrevealed commit's stake stays in the prize pool). Then ``Competition.withdrawStake(id)``
(anyone may call it; it pays the account that committed) returns:

* the whole stake if the submission has no final private score, or the outcome is not
  ``ranked`` (the creator defaulted);
* the stake less ``slash`` of it if the private score does not beat ``stake_threshold``
  strictly (in the metric's direction);
* the stake plus an equal share of the slashed stakes, ``slash · below // above``, if it
  does (``below``/``above``: the scored finals on each side of the threshold); the
  division's remainder, or every slash when nothing is above, goes to the sink.

``comp.stakes()`` lists them and ``comp.withdraw_stakes()`` pays them (``comp.claim_all()``
does too). The threshold is stored in the contract's units (:func:`~mlmarket.ml.metrics.
threshold_score`), so "beats" here is the contract's comparison, exactly.

Example:
    >>> comp.stakes()[["id", "staker", "private_score", "beats_threshold"]]  # doctest: +SKIP
       id staker  private_score  beats_threshold
    0   1    bob       0.970588             True
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pandas as pd

from mlmarket.errors import ConfigurationError
from mlmarket.market.tables import with_amounts
from mlmarket.ml.metrics import beats_threshold
from mlmarket.units import from_units

if TYPE_CHECKING:
    from mlmarket.chain import NamedAccount
    from mlmarket.market.competition import Competition

STAKE_COLUMNS = ["id", "staker", "stake", "private_score", "beats_threshold", "payout",
                 "withdrawn"]  # fmt: skip


def require_stakes(comp: Competition) -> None:
    if not comp.params.slash_bps:
        raise ConfigurationError(
            f"{comp.name!r} has no performance stakes: entry stakes come back at the reveal "
            "(create a competition with slash= and stake_threshold= for them)."
        )


def stakers(comp: Competition) -> dict[int, str]:
    """Who paid each submission's stake (and is paid it back): the account that sent the
    commit (a team member, for a team's submission), by id."""
    logs = comp.chain.logs(comp.contract.events.SubmissionCommitted)
    w3 = comp.chain.w3
    return {int(log["args"]["id"]): str(w3.eth.get_transaction(log["transactionHash"])["from"])
            for log in logs}  # fmt: skip


def stakes_table(comp: Competition) -> pd.DataFrame:
    """One row per held stake (a revealed final's): submission ``id``, ``staker`` (who
    committed, and is paid), ``stake`` (float tokens; exact in ``stake_exact``), the
    ``private_score`` in the metric's units once the submission has its final test score,
    whether it ``beats_threshold`` (strictly, as the contract judges it; never when a voided
    public claim disqualified it), ``payout`` (what
    ``withdrawStake`` pays: 0 until the competition is finalized; once withdrawn, what it
    paid) and whether it was ``withdrawn``."""
    from mlmarket.market.leaderboard import score_value

    require_stakes(comp)
    p, fns, call = comp.params, comp.contract.functions, comp.chain.call
    paid = {int(log["args"]["id"]): int(log["args"]["amount"])
            for log in comp.chain.logs(comp.contract.events.StakeWithdrawn)}  # fmt: skip
    chunks = int(call(fns.chunkCount()))
    tested = bool(call(fns.testSetRevealed()))
    who = stakers(comp)
    finals = p.finals != 0
    labels = None
    rows = []
    for sub_id in range(1, int(call(fns.submissionCount())) + 1):
        _submitter, evaluated, revealed, _hash, raw = call(fns.submission(sub_id))
        if not revealed or (finals and not call(fns.isFinal(sub_id))):
            continue  # its stake came back at the reveal, or stays in the pool
        scored = tested and int(evaluated) == chunks
        if scored and p.metric_name == "balanced_accuracy" and labels is None:
            labels = comp.scored_labels()
        rows.append({
            "id": sub_id, "staker": comp.chain.describe(who[sub_id]),
            "stake": from_units(p.entry_stake),
            "private_score": score_value(comp, int(raw), p.samples, labels) if scored else None,
            # A disqualified entry's stake is judged below the threshold, whatever its score.
            "beats_threshold": (beats_threshold(p.metric_name, int(raw), p.stake_threshold)
                                and not call(fns.isDisqualified(sub_id))
                                if scored else None),
            "payout": from_units(paid.get(sub_id, call(fns.stakeOf(sub_id)))),
            "withdrawn": sub_id in paid,
        })  # fmt: skip
    frame = pd.DataFrame(rows, columns=STAKE_COLUMNS)
    frame["private_score"] = frame["private_score"].astype("float64")
    frame["beats_threshold"] = frame["beats_threshold"].astype("boolean")
    return with_amounts(frame, "stake", "payout")


def withdraw_stakes(
    comp: Competition, *, by: NamedAccount | str | None = None
) -> dict[int, Decimal]:
    """Withdraw every held stake that pays something (each to its staker), sent by ``by``
    (default the creator; anyone may); returns the amount paid per submission id. In the
    finalized phase only; finalizes first if nobody has (``comp.finalize``, which also
    settles the open public claims)."""
    require_stakes(comp)
    if (phase := comp.phase) != "finalized":
        raise comp._phase_error("finalized", phase)
    fns, call = comp.contract.functions, comp.chain.call
    sender = by or comp.creator
    if not call(fns.finalized()):
        comp.finalize(by=sender)
    paid = {}
    for sub_id in range(1, int(call(fns.submissionCount())) + 1):
        due = int(call(fns.stakeOf(sub_id)))
        if due:
            with comp._in_phase():
                comp.chain.transact(fns.withdrawStake(sub_id), sender=sender)
            paid[sub_id] = from_units(due)
    return paid
