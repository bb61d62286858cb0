"""The public leaderboard: bonded claims of public scores, checked once models are revealed.

A competition created with ``public_size=`` publishes part of its hidden test set at
creation (the **public** rows, committed under ``publicRoot`` with a zero salt in the
private set's chunk size); the rest stays hidden under ``testRoot`` and alone decides the
prizes. With each commit a member of the submission's entrant posts a **public claim**: the
model's per-chunk results on the public chunks (leaf vectors, as an optimistic claim lists
them, :mod:`mlmarket.ml.claims`) with a bond (``publicClaimBond``). The public board ranks
those claimed scores during the submission phase, while no model is revealed.

Once a model is revealed, anyone may challenge its claim on one public chunk until the
private test set is revealed (the reveal and test-reveal phases; ``comp.watch`` does it): a
wrong leaf voids the claim, pays its bond to the challenger (a fifth to the sink) and
disqualifies the submission, which is then never ranked. The private test set waits
``publicWindow`` seconds after the reveal deadline for those checks. Afterwards each open
claim settles: its bond comes back if the model was revealed ("stood"), else it goes to the
sink ("forfeited": a score nobody could check). Protocol: docs/competition-protocol.md.

These functions back ``comp.submit``'s claim, ``comp.post_public_claim``,
``comp.leaderboard("public")``, ``comp.leaderboard("private")`` and ``comp.shakeup()``;
:mod:`mlmarket.market.claims` watches and settles the claims with the private ones.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

from mlmarket.errors import CompetitionCommitmentError, ConfigurationError
from mlmarket.market.phases import PHASES
from mlmarket.ml import TRAINING_SALT, TestSet
from mlmarket.ml.claims import leaf_length, leaf_vectors

if TYPE_CHECKING:
    from mlmarket.chain import NamedAccount
    from mlmarket.market.competition import Competition

BOARDS = ("final", "public", "private")
"""The boards ``comp.leaderboard(board)`` shows: the final ranking (the default), the public
board of claimed public scores, and the final ranking with each submission's public rank."""
PUBLIC_COLUMNS = ["rank", "id", "entrant", "score", "metric", "claim", "status", "disqualified"]
SHAKEUP_COLUMNS = ["id", "entrant", "public_rank", "public_score", "private_rank",
                   "private_score", "rank_change"]  # fmt: skip
STATUSES = ("none", "open", "voided", "stood", "stood")
"""A public claim's status by its on-chain ``ClaimStatus`` (a settled claim whose model was
revealed is ``Final``: its score stood); ``"forfeited"`` replaces ``"voided"`` when the bond
went to the sink because the model was never revealed."""


def has_board(comp: Competition) -> bool:
    """Whether ``comp`` has a public leaderboard (a non-zero ``publicRoot``)."""
    return comp.params.public_root != bytes(32)


def require_board(comp: Competition) -> Any:
    """The ScoreClaims contract, or the contract's ``ScoreClaimsNoPublicBoard`` with a sentence."""
    if not has_board(comp):
        raise comp.market.chain.errors.named(
            "ScoreClaimsNoPublicBoard", {"competition": comp.address}, comp.chain.describe
        )
    return comp.market.competitions.score_claims


def entrant_label(comp: Competition) -> Callable[[str], str]:
    """Hook: how the public board names a submission's entrant (a team's name after any
    merger, else the account's name, else the address)."""
    try:
        from mlmarket.market.teams import entrant_labels
    except ImportError:  # a package without teams: the account's label
        return comp.chain.describe
    return entrant_labels(comp)


# --- the public rows ------------------------------------------------------------------


def public_data(comp: Competition) -> pd.DataFrame:
    """The public test rows (features and target) as published at creation."""
    cid = comp.metadata.get("public_test_cid")
    if not has_board(comp) or not cid:
        raise ConfigurationError(
            f"{comp.name!r} has no public leaderboard (create a competition with "
            "public_size= for one)."
        )
    return pd.read_csv(BytesIO(comp.market.store.get(cid)))


def public_chunks(comp: Competition, data: pd.DataFrame | None = None) -> TestSet:
    """The public rows cut into chunks as committed (zero salt, the test chunk size),
    checked against ``publicRoot`` and ``publicSamples``; raises
    :class:`~mlmarket.errors.CompetitionCommitmentError` if the published rows are not the
    committed ones (a claim over them could not be checked on chain)."""
    frame = public_data(comp) if data is None else data
    target = comp.metadata["target"]
    p = comp.params
    chunks = TestSet.from_data(
        frame.drop(columns=target), frame[target], comp.quantizer,
        rows_per_chunk=p.chunk_size, salt=TRAINING_SALT,
    )  # fmt: skip
    if chunks.root != p.public_root or chunks.rows != p.public_samples:
        raise CompetitionCommitmentError(
            f"The public test rows published by {comp.name!r} do not match its public root: "
            "public claims over them could not be checked on chain. Do not enter this "
            "competition.",
            wrong=["public_root"],
        )
    return chunks


def public_results(
    comp: Competition, model: bytes, chunks: TestSet | None = None
) -> list[list[int]]:
    """``model``'s leaf vector on every public chunk (exact reference), as a public claim
    lists them."""
    p = comp.params
    chunks = chunks or public_chunks(comp)
    return leaf_vectors(chunks.chunks, model, features=p.features, classes=p.classes,
                        metric=p.metric_name, family=comp.model_family)  # fmt: skip


def model_of(comp: Competition, sub_id: int) -> bytes:
    """Submission ``sub_id``'s model bytes: this session's vault, else its reveal."""
    key = f"{comp.address}-{sub_id}"
    if comp.market.vault.has("submissions", key):
        return bytes.fromhex(comp.market.vault.get("submissions", key)["model"])
    revealed = comp.revealed_models()
    if sub_id in revealed:
        return revealed[sub_id]
    raise ConfigurationError(
        f"This session holds no model for submission #{sub_id} of {comp.name!r} and it is not "
        "revealed: pass its public results (a leaf vector per public chunk) as results=."
    )


# --- posting --------------------------------------------------------------------------


def check_balance(comp: Competition, account: NamedAccount, units: int) -> None:
    """Raise the token's ``ERC20InsufficientBalance`` (nothing sent) unless ``account``
    holds ``units``."""
    balance = comp.market.token.raw_balance_of(account)
    if balance < units:
        raise comp.market.chain.errors.named(
            "ERC20InsufficientBalance",
            {"sender": account.address, "balance": balance, "needed": units},
            comp.chain.describe,
        )


def _refuse(comp: Competition, name: str, args: dict[str, Any]) -> Exception:
    return comp.market.chain.errors.named(name, args, comp.chain.describe)


def check_public_claim(
    comp: Competition, sub_id: int, account: NamedAccount, results: list[list[int]]
) -> None:
    """Raise the error ``postPublicClaim`` would (named, with a sentence), before anything
    is sent: no board, an unknown submission, out of the submission phase, ``account`` not
    of its entrant, a claim already posted, results of the wrong shape, too few tokens."""
    contract = require_board(comp)
    fns, call = comp.contract.functions, comp.chain.call
    if not 1 <= sub_id <= int(call(fns.submissionCount())):
        raise _refuse(comp, "CompetitionUnknownSubmission", {"id": sub_id})
    if (phase := comp.phase) != "submission":
        from mlmarket.contracts.errors import ScoreClaimsNotInSubmission

        said = comp._phase_error("submission", phase)
        raise ScoreClaimsNotInSubmission(
            f"Public claims are posted in the submission phase, with the commit. {said}",
            {"actual": PHASES.index(phase)},
        )
    submitter = str(call(fns.submission(sub_id))[0])
    if call(fns.entrantOf(account.address)) != call(fns.entrantOf(submitter)):
        raise _refuse(comp, "ScoreClaimsNotEntrant", {"id": sub_id, "caller": account.address})
    existing = int(call(contract.functions.publicClaimOf(comp.address, sub_id)))
    if existing:
        raise _refuse(comp, "ScoreClaimsPublicClaimExists", {"id": sub_id, "claimId": existing})
    p = comp.params
    width, chunks = leaf_length(p.metric_name, p.classes), -(-p.public_samples // p.chunk_size)
    given = sum(len(leaf) for leaf in results)
    if len(results) != chunks or any(len(leaf) != width for leaf in results):
        raise _refuse(comp, "ScoreClaimsInvalidLeaves", {"expected": width * chunks,
                                                          "actual": given})  # fmt: skip
    check_balance(comp, account, p.public_claim_bond)


def post_public_claim(
    comp: Competition, sub_id: int, results: list[list[int]] | None = None, *,
    by: NamedAccount | str,
) -> int:  # fmt: skip
    """Post submission ``sub_id``'s public claim of ``results`` (a leaf vector per public
    chunk; default: the true ones, from this session's copy of the model), locking the
    public-claim bond; returns the claim id. Refusals are raised before anything is sent."""
    from mlmarket.market.claims import _approve, post_results

    account = comp.chain.accounts.resolve(by)
    contract = require_board(comp)
    if results is None:
        results = public_results(comp, model_of(comp, sub_id))
    results = [[int(v) for v in leaf] for leaf in results]
    check_public_claim(comp, sub_id, account, results)
    _approve(comp, account, comp.params.public_claim_bond)
    return post_results(
        comp, contract, "postPublicClaim", "PublicClaimPosted", sub_id, results, account
    )


# --- reading --------------------------------------------------------------------------


class PublicClaim(NamedTuple):
    """One public claim as posted (its ``PublicClaimPosted`` arguments) and where it stands."""

    claim: int
    args: dict[str, Any]
    status: str  # open, stood, voided or forfeited
    window_end: int  # the test-reveal deadline: checks close then at the latest

    @property
    def submission(self) -> int:
        return int(self.args["id"])


def public_claims(comp: Competition) -> list[PublicClaim]:
    """Every public claim on ``comp``, oldest first (empty without a public board)."""
    if not has_board(comp):
        return []
    contract = comp.market.competitions.score_claims
    logs = contract.events.PublicClaimPosted.get_logs(
        from_block=0, argument_filters={"competition": comp.address}
    )
    if not logs:
        return []
    lost = comp.chain.logs(contract.events.PublicClaimForfeited)
    forfeited = {int(log["args"]["claimId"]) for log in lost}
    found = []
    for log in sorted(logs, key=lambda entry: int(entry["args"]["claimId"])):
        claim_id = int(log["args"]["claimId"])
        claim = comp.chain.read(contract, "claimOf", claim_id)
        status = STATUSES[int(claim[3])]
        if status == "voided" and claim_id in forfeited:
            status = "forfeited"
        found.append(PublicClaim(claim_id, dict(log["args"]), status, int(claim[1])))
    return found


def public_labels(comp: Competition) -> Any:
    """The public rows' labels (balanced accuracy divides by the classes present)."""
    return public_chunks(comp).labels() if comp.params.metric_name == "balanced_accuracy" else None


def public_table(comp: Competition) -> pd.DataFrame:
    """One row per public claim, ranked by its claimed public score (the metric's direction,
    ties to the earlier submission): ``rank`` (none for a claim shown false), submission
    ``id``, ``entrant`` (a team's name, or the account), ``score`` (the claimed public score
    in the metric's units: checked only once the model is revealed), ``metric``, the
    ``claim`` id, its ``status`` (``open``; ``stood``: the model was revealed and nobody
    showed the score false, its bond came back; ``voided``: a challenge showed it false;
    ``forfeited``: never revealed, its bond went to the sink) and whether the submission is
    ``disqualified`` (a voided claim: it can take no place). No model bytes are read."""
    from mlmarket.market.leaderboard import metric_name, score_value

    require_board(comp)
    p = comp.params
    label = entrant_label(comp)
    claims = public_claims(comp)
    labels = public_labels(comp) if claims else None
    fns, call = comp.contract.functions, comp.chain.call
    rows = []
    for c in claims:
        raw = int(c.args["score"])
        submitter = str(call(fns.submission(c.submission))[0])
        rows.append({
            "id": c.submission, "entrant": label(submitter),
            "score": score_value(comp, raw, p.public_samples, labels),
            "metric": metric_name(p.metric_name), "claim": c.claim, "status": c.status,
            "disqualified": bool(call(fns.isDisqualified(c.submission))),
            "_sort": None if c.status == "voided" else raw,
        })  # fmt: skip
    frame = pd.DataFrame(rows, columns=[*PUBLIC_COLUMNS[1:], "_sort"])
    return _ranked(frame, p.lower_is_better, PUBLIC_COLUMNS)


def _ranked(frame: pd.DataFrame, lower_is_better: bool, columns: list[str]) -> pd.DataFrame:
    """``frame`` with ``rank`` by ``_sort`` (ties to the lower id), ranked rows first."""
    ranked = frame[frame["_sort"].notna()].sort_values(
        ["_sort", "id"], ascending=[lower_is_better, True]
    )
    frame["rank"] = pd.Series(range(1, len(ranked) + 1), index=ranked.index, dtype="Int64")
    order = list(ranked.index) + [i for i in frame.index if i not in ranked.index]
    return frame.loc[order, columns].reset_index(drop=True)


def private_table(comp: Competition) -> pd.DataFrame:
    """The final leaderboard (``comp.leaderboard()``) with each submission's ``public_rank``
    and its ``rank_change`` from the public to the private board (places gained:
    ``public_rank - rank``; empty when either is)."""
    from mlmarket.market.leaderboard import leaderboard_table

    public = public_table(comp).set_index("id")["rank"]
    board = leaderboard_table(comp)
    board["public_rank"] = board["id"].map(public).astype("Int64")
    board["rank_change"] = (board["public_rank"] - board["rank"]).astype("Int64")
    return board


def shakeup_table(comp: Competition) -> pd.DataFrame:
    """Per submission with a public claim or a private rank: ``public_rank`` and
    ``public_score`` (claimed), ``private_rank`` and ``private_score`` (the final ones), and
    ``rank_change`` (places gained from public to private), best private rank first."""
    public = public_table(comp).set_index("id")
    board = private_table(comp)
    board = board[board["id"].isin(public.index) | board["rank"].notna()]
    frame = pd.DataFrame({
        "id": board["id"].astype(int),
        "entrant": board["submitter"],
        "public_rank": board["public_rank"],
        "public_score": board["id"].map(public["score"]).astype("float64"),
        "private_rank": board["rank"],
        "private_score": board["score"].astype("float64"),
        "rank_change": board["rank_change"],
    })  # fmt: skip
    return frame[SHAKEUP_COLUMNS].reset_index(drop=True)


def leaderboard_for(comp: Competition, board: str | None) -> pd.DataFrame:
    """``comp.leaderboard(board)``: see :data:`BOARDS`."""
    from mlmarket.market.leaderboard import leaderboard_table

    chosen = "final" if board is None else board
    if chosen not in BOARDS:
        raise ConfigurationError(
            f"No leaderboard {board!r}; boards: {', '.join(repr(b) for b in BOARDS)} "
            "(leaderboard() alone is the final one)."
        )
    if chosen == "final":
        return leaderboard_table(comp)
    return public_table(comp) if chosen == "public" else private_table(comp)


# --- when checks are open -------------------------------------------------------------


def checks_open(comp: Competition, at: int) -> bool:
    """Whether a public claim can be challenged in a block at time ``at``: the
    competition is then in its reveal or test-reveal phase (as ``ScoreClaims`` asks)."""
    return _phase_at(comp, at) in ("reveal", "test_reveal")


def settle_open(comp: Competition, at: int) -> bool:
    """Whether a public claim can be settled in a block at time ``at`` (checks are over)."""
    return _phase_at(comp, at) not in ("submission", "reveal", "test_reveal")


def _phase_at(comp: Competition, at: int) -> str:
    """The competition's phase at time ``at`` as far as public claims care: submission,
    reveal, test_reveal, or ``later`` (the test set revealed, or never to be)."""
    p, fns, call = comp.params, comp.contract.functions, comp.chain.call
    if call(fns.finalized()):
        return "later"
    if at < p.submission_end:
        return "submission"
    if at < p.reveal_end:
        return "reveal"
    if int(call(fns.revealedFinalCount())) and not call(fns.testSetRevealed()):
        return "test_reveal" if at < p.test_reveal_end else "later"
    return "later"


def public_checks_end(comp: Competition) -> int | None:
    """When the private test set may be revealed: ``revealEnd + publicWindow`` (None
    without a public board: at the reveal deadline)."""
    p = comp.params
    return p.reveal_end + p.public_window if has_board(comp) else None
