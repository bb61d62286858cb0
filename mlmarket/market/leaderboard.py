"""The leaderboard of a competition as a DataFrame."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from mlmarket.market.tables import with_amounts
from mlmarket.market.teams import entrant_labels
from mlmarket.ml.metrics import metric_label, metric_value
from mlmarket.units import from_units

if TYPE_CHECKING:
    from mlmarket.market.competition import Competition
    from mlmarket.market.params import CompetitionParams

COLUMNS = [
    "rank", "id", "submitter", "status", "final", "evaluated", "score", "metric", "work", "prize",
    "winner",
]  # fmt: skip


def leaderboard_table(comp: Competition) -> pd.DataFrame:
    """One row per submission: its submitter (a team's name for a team's submission, after
    any merger), rank among those that can take a place, whether it is one of
    its submitter's finals (``final``: only finals are evaluated and ranked), score in the
    creator's metric (``metric``: accuracy, balanced accuracy, macro F1, MSE or MAE), the model's
    work per row as the evaluator measured it at reveal (``work``: multiply-accumulates for
    linear and MLP models, node visits for trees; empty until revealed; the budget is
    ``comp.model_budget``), prize (float tokens; exact in ``prize_exact``), winner.

    After a creator default the scores are those on the committed training chunks
    (metric suffixed "on training"); a model no better than the best constant
    prediction is "below baseline" and a later copy of a revealed model is "copy of #n":
    neither can take a place. In an optimistic competition a submission scored by a claim
    says "scored by claim #n", and one with an open claim "claim #n open". With a public
    leaderboard, a submission whose public claim was shown false is "disqualified": it
    takes no place (``comp.leaderboard("public")`` has the claims).
    """
    fns = comp.contract.functions
    call = comp.chain.call
    p = comp.params
    training = comp.phase == "default_evaluation" or comp.outcome == "defaulted"
    chunks = int(call(fns.trainingChunkCount() if training else fns.chunkCount()))
    samples = p.training_samples if training else p.samples
    prizes = {
        int(log["args"]["id"]): from_units(log["args"]["amount"])
        for log in comp.chain.logs(comp.contract.events.PrizeAwarded)
    }
    winner = int(call(fns.winner())[0]) if comp.phase == "finalized" else 0
    metric = metric_name(p.metric_name, training=training)
    finals = p.finals != 0
    labels = None
    work = {
        int(log["args"]["id"]): int(log["args"]["work"])
        for log in comp.chain.logs(comp.contract.events.SubmissionRevealed)
    }
    claimed = _claim_statuses(comp) if p.challenge_window else {}
    public_board = p.public_root != bytes(32)  # a voided public claim disqualifies
    entrant = entrant_labels(comp)  # a team's submissions show its name
    rows = []
    for sub_id in range(1, int(call(fns.submissionCount())) + 1):
        submitter, evaluated, revealed, model_hash, raw_score = call(fns.submission(sub_id))
        if training:
            evaluated, raw_score = call(fns.trainingScore(sub_id))
        complete = revealed and int(evaluated) == chunks
        final = bool(call(fns.isFinal(sub_id))) if finals else True
        # Only finals are originals (a non-final is never ranked, whatever its bytes).
        original = int(call(fns.originalOf(model_hash))) if revealed and final else sub_id
        status = _status(revealed, int(evaluated), chunks, final)
        placeable = complete
        if sub_id in claimed and status in ("scored", "revealed", "scoring"):
            status = claimed[sub_id]
        if original != sub_id:
            status, placeable = f"copy of #{original}", False
        elif complete and training and not _beats(int(raw_score), p.training_baseline, p):
            status, placeable = "below baseline", False
        if public_board and call(fns.isDisqualified(sub_id)):
            status, placeable = "disqualified", False
        if complete and p.metric_name == "balanced_accuracy" and labels is None:
            labels = comp.scored_labels(training=training)  # the classes present
        rows.append(
            {
                "id": sub_id,
                "submitter": entrant(submitter),
                "status": status,
                "final": final,
                "evaluated": f"{int(evaluated)}/{chunks}",
                "score": score_value(comp, int(raw_score), samples, labels) if complete else None,
                "metric": metric,
                "work": work.get(sub_id),
                "prize": prizes.get(sub_id, from_units(0)),
                "winner": sub_id == winner,
                "_sort": int(raw_score) if placeable else None,  # only what can take a place
            }
        )
    frame = pd.DataFrame(rows, columns=[*COLUMNS[1:], "_sort"])
    ranked = frame[frame["_sort"].notna()].sort_values(
        ["_sort", "id"], ascending=[p.lower_is_better, True]
    )
    frame["rank"] = pd.Series(range(1, len(ranked) + 1), index=ranked.index, dtype="Int64")
    frame["work"] = frame["work"].astype("Int64")
    order = list(ranked.index) + [i for i in frame.index if i not in ranked.index]
    return with_amounts(frame.loc[order, COLUMNS].reset_index(drop=True), "prize")


def _claim_statuses(comp: Competition) -> dict[int, str]:
    """Per submission with claims: "scored by claim #n" (its final claim) or "claim #n open"
    (its oldest open claim)."""
    from mlmarket.market.claims import posted_claims

    said: dict[int, str] = {}
    claims = posted_claims(comp)
    for c in claims:
        if c.status == "final":
            said[c.submission] = f"scored by claim #{c.claim}"
    for c in claims:
        if c.status == "open":
            said.setdefault(c.submission, f"claim #{c.claim} open")
    return said


def _beats(score: int, baseline: int, params: CompetitionParams) -> bool:
    return score < baseline if params.lower_is_better else score > baseline


def _status(revealed: bool, evaluated: int, chunks: int, final: bool = True) -> str:
    if not revealed:
        return "committed"
    if not final:
        return "not a final"
    if evaluated == chunks:
        return "scored"
    return "revealed" if evaluated == 0 else "scoring"


def metric_name(metric: str, *, training: bool = False) -> str:
    """What a score measures ("accuracy", "balanced accuracy", "macro F1", "MSE", "MAE"),
    with ``" on training"`` after a default.

    Example:
        >>> metric_name("mse", training=True)
        'MSE on training'
    """
    return metric_label(metric) + (" on training" if training else "")


def score_value(comp: Competition, raw: int, samples: int, labels: Any = None) -> float:
    """A raw on-chain score over ``samples`` rows as the metric's familiar number
    (:func:`mlmarket.ml.metrics.metric_value`; ``labels``: the scored rows' labels, needed
    for balanced accuracy)."""
    p = comp.params
    shift = (
        comp.quantizer.label_shift if p.regression else 0
    )  # errors are in the label's fixed point
    return metric_value(
        p.metric_name, raw, rows=samples, labels=labels, classes=p.classes, label_shift=shift
    )
