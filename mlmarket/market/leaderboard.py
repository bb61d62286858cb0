"""The leaderboard of a competition as a DataFrame."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from mlmarket.units import from_units

if TYPE_CHECKING:
    from mlmarket.market.competition import Competition

COLUMNS = ["rank", "id", "submitter", "status", "evaluated", "score", "metric", "prize", "winner"]


def leaderboard_table(comp: Competition) -> pd.DataFrame:
    """One row per submission: rank among the fully evaluated, score, prize, winner."""
    fns = comp.contract.functions
    call = comp.chain.call
    count = int(call(fns.submissionCount()))
    chunks = int(call(fns.chunkCount()))
    regression = int(comp.params[9]) == 0
    prizes = {
        int(log["args"]["id"]): from_units(log["args"]["amount"])
        for log in comp.contract.events.PrizeAwarded.get_logs(from_block=0)
    }
    winner = int(call(fns.winner())[0]) if comp.phase == "finalized" else 0
    rows = []
    for sub_id in range(1, count + 1):
        submitter, evaluated, revealed, _hash, raw_score = call(fns.submission(sub_id))
        complete = revealed and int(evaluated) == chunks
        rows.append(
            {
                "id": sub_id,
                "submitter": comp.chain.describe(submitter),
                "status": _status(revealed, int(evaluated), chunks),
                "evaluated": f"{int(evaluated)}/{chunks}",
                "score": _score(comp, int(raw_score), regression) if complete else None,
                "metric": "MSE" if regression else "accuracy",
                "prize": prizes.get(sub_id, from_units(0)),
                "winner": sub_id == winner,
                "_sort": int(raw_score) if complete else None,
            }
        )
    frame = pd.DataFrame(rows, columns=[*COLUMNS[1:], "_sort"])
    ranked = frame[frame["_sort"].notna()].sort_values(
        ["_sort", "id"], ascending=[regression, True]
    )
    frame["rank"] = pd.Series(range(1, len(ranked) + 1), index=ranked.index, dtype="Int64")
    order = list(ranked.index) + [i for i in frame.index if i not in ranked.index]
    return frame.loc[order, COLUMNS].reset_index(drop=True)


def _status(revealed: bool, evaluated: int, chunks: int) -> str:
    if not revealed:
        return "committed"
    if evaluated == chunks:
        return "scored"
    return "revealed" if evaluated == 0 else "scoring"


def _score(comp: Competition, raw: int, regression: bool) -> float:
    samples = int(comp.params[6])
    if not regression:
        return raw / samples
    scale = 4**comp.quantizer.label_shift  # squared errors are in the label's fixed point
    return raw / samples / scale
