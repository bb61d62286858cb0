"""Optimistic evaluation from Python: post score claims, watch them, settle them.

A competition created with ``evaluation="optimistic"`` can be scored without running every
chunk on chain: anyone posts, per revealed final, a **claim** of its per-chunk results
(computed with the exact Python reference, :mod:`mlmarket.ml.claims`) with a bond; during
the challenge window anyone may challenge one chunk of it, which the ``ScoreClaims``
contract then scores on chain. A wrong leaf voids the claim and pays its bond to the
challenger (a fifth to the sink); a claim whose window ends unchallenged gives the
submission its score when settled. Protocol: docs/competition-protocol.md, "Optimistic
evaluation"; trust: docs/trust-model.md ("at least one honest watcher during the window").

These functions back ``comp.claim_scores``, ``comp.watch``, ``comp.settle_claims`` and
``comp.claims``. Nothing here runs in the background: ``watch`` looks once and returns
what it did (the dashboard calls it on refresh when a watcher is set). The public claims of
a competition with a public leaderboard (:mod:`mlmarket.market.public`) are watched,
settled and listed here too, with ``board="public"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

from mlmarket.errors import ConfigurationError
from mlmarket.market.competitions import CLAIM_SETTLE_MARGIN
from mlmarket.market.public import (
    checks_open,
    has_board,
    public_chunks,
    public_claims,
    public_labels,
    settle_open,
)
from mlmarket.market.tables import timestamp, with_amounts
from mlmarket.ml import TRAINING_SALT, MerkleTree, chunk_leaf
from mlmarket.ml.claims import SumTree, leaf_vectors
from mlmarket.units import from_units

if TYPE_CHECKING:
    from mlmarket.chain import NamedAccount
    from mlmarket.market.competition import Competition

STATUSES = ("none", "open", "voided", "final", "closed")
CLAIM_COLUMNS = ["claim", "board", "submission", "claimer", "status", "score", "bond",
                 "window_end", "challengeable"]  # fmt: skip
ACTION_COLUMNS = ["action", "claim", "submission", "chunk", "result", "tokens", "board"]


def _require_optimistic(comp: Competition) -> Any:
    if not comp.params.challenge_window:
        raise ConfigurationError(
            f"{comp.name!r} is evaluated on chain only; score claims need a competition created "
            "with evaluation='optimistic'. Score it with comp.evaluate()."
        )
    return comp.market.competitions.score_claims


def _require_claims(comp: Competition) -> Any:
    """The ScoreClaims contract of a competition that takes claims (optimistic evaluation,
    or a public leaderboard), else a :class:`ConfigurationError`."""
    if not comp.params.challenge_window and not has_board(comp):
        raise ConfigurationError(
            f"{comp.name!r} is evaluated on chain only and has no public leaderboard: it takes "
            "no score claims (create it with evaluation='optimistic' or public_size=)."
        )
    return comp.market.competitions.score_claims


class Posted(NamedTuple):
    """One claim as posted (its ``ClaimPosted`` arguments) and where it stands now."""

    claim: int
    args: dict[str, Any]
    status: str
    window_end: int

    @property
    def submission(self) -> int:
        return int(self.args["id"])


def posted_claims(comp: Competition) -> list[Posted]:
    """Every claim on ``comp``, oldest first: one log query, one ``claimOf`` call each."""
    contract = comp.market.competitions.score_claims
    logs = contract.events.ClaimPosted.get_logs(
        from_block=0, argument_filters={"competition": comp.address}
    )
    found = []
    for log in sorted(logs, key=lambda entry: int(entry["args"]["claimId"])):
        claim_id = int(log["args"]["claimId"])
        claim = comp.chain.read(contract, "claimOf", claim_id)
        found.append(Posted(claim_id, dict(log["args"]), STATUSES[int(claim[3])], int(claim[1])))
    return found


def _next_block_time(comp: Competition) -> int:
    """The time the next transaction will be mined at (what a window is checked against)."""
    return comp.chain.clock.next_block_timestamp(comp.chain.backend.latest_block()[0])


def claims_table(comp: Competition) -> pd.DataFrame:
    """One row per claim, oldest first: its ``board`` (``private``: a score claim on the
    test set; ``public``: a public-score claim), submission, claimer, status (``open``,
    ``voided``, ``final``, ``closed``; a public claim ``open``, ``stood``, ``voided`` or
    ``forfeited``), claimed score in the metric's units (on the public rows for a public
    claim), bond (float tokens; exact in ``bond_exact``), the end of its window and whether
    it can still be challenged (a public claim: until the private test set is revealed, once
    its model is; when it cannot any more, an open claim can be settled)."""
    _require_claims(comp)
    from mlmarket.market.leaderboard import score_value

    p = comp.params
    now = comp.chain.clock.now()
    labels = None
    rows = []
    for c in posted_claims(comp) if p.challenge_window else []:
        if p.metric_name == "balanced_accuracy" and labels is None:
            labels = comp.scored_labels()
        rows.append({
            "claim": c.claim, "board": "private", "submission": c.submission,
            "claimer": comp.chain.describe(c.args["claimer"]), "status": c.status,
            "score": score_value(comp, int(c.args["score"]), p.samples, labels),
            "bond": from_units(c.args["bond"]), "window_end": timestamp(c.window_end),
            "challengeable": c.status == "open" and now <= c.window_end,
        })  # fmt: skip
    public = public_claims(comp)
    if public:
        shown = public_labels(comp)
        checking = not settle_open(comp, now)
        for c in public:
            rows.append({
                "claim": c.claim, "board": "public", "submission": c.submission,
                "claimer": comp.chain.describe(c.args["claimer"]), "status": c.status,
                "score": score_value(comp, int(c.args["score"]), p.public_samples, shown),
                "bond": from_units(c.args["bond"]), "window_end": timestamp(c.window_end),
                "challengeable": c.status == "open" and checking,
            })  # fmt: skip
    rows.sort(key=lambda row: row["claim"])
    return with_amounts(pd.DataFrame(rows, columns=CLAIM_COLUMNS), "bond")


class Evidence:
    """What claims are checked against: the revealed test set, its proofs and the models
    (``public``: the public test chunks and every revealed model, for public claims)."""

    def __init__(self, comp: Competition, *, public: bool = False) -> None:
        if public:
            chunks, salt = list(public_chunks(comp).chunks), TRAINING_SALT
            self.models = comp.revealed_models()
        else:
            chunks, salt = comp._revealed_test_set()
            self.models = comp.scorable_models()
        self.comp = comp
        self.public = public
        self.chunks = chunks
        self.tree = MerkleTree([chunk_leaf(salt, i, c) for i, c in enumerate(chunks)])
        self._leaves: dict[int, list[list[int]]] = {}

    def leaves(self, sub_id: int) -> list[list[int]]:
        """The true leaf vectors of submission ``sub_id`` (exact reference, cached)."""
        if sub_id not in self.models:
            what = "revealed submission" if self.public else "revealed final"
            raise ConfigurationError(
                f"Submission #{sub_id} is not a {what} of {self.comp.name!r}; scored "
                f"ones: {sorted(self.models)}."
            )
        if sub_id not in self._leaves:
            p = self.comp.params
            self._leaves[sub_id] = leaf_vectors(
                self.chunks, self.models[sub_id], features=p.features, classes=p.classes,
                metric=p.metric_name, family=self.comp.model_family,
            )  # fmt: skip
        return self._leaves[sub_id]

    def opening(self, sub_id: int, claimed: list[list[int]], index: int) -> tuple[Any, ...]:
        """What ``challenge`` takes to have chunk ``index`` of a claim of ``claimed`` (its
        leaf vectors) scored: the leaf, its path, the chunk with its proof and the model."""
        siblings, sums = SumTree(sub_id, claimed).opening(index)
        return (index, claimed[index], siblings, sums, self.chunks[index],
                self.tree.proof(index), self.models[sub_id])  # fmt: skip


def _approve(comp: Competition, account: NamedAccount, units: int) -> None:
    """Approve ``units`` for the ScoreClaims contract unless ``account`` already has."""
    spender = comp.market.competitions.score_claims.address
    if comp.market.token.allowance(account, spender) < from_units(units):
        comp.market.token.approve(spender, from_units(units), owner=account)


def post_claim(
    comp: Competition, sub_id: int, results: list[list[int]], *, by: NamedAccount | str
) -> int:
    """Post a claim that submission ``sub_id`` has ``results`` (a leaf vector per chunk,
    as :meth:`Evidence.leaves` computes them), locking the bond; returns the claim id.
    :func:`claim_scores` posts the true results; any others can be posted to see a watcher
    void them."""
    contract = _require_optimistic(comp)
    account = comp.chain.accounts.resolve(by)
    _approve(comp, account, comp.params.claim_bond)
    with comp._in_phase():
        return post_results(comp, contract, "postClaim", "ClaimPosted", sub_id, results, account)


def post_results(
    comp: Competition, contract: Any, function: str, event: str, sub_id: int, results: Any,
    account: NamedAccount,
) -> int:  # fmt: skip
    """Send ``function(competition, sub_id, leaves)`` (``postClaim``, ``postPublicClaim``)
    with the Sum-tree leaves of ``results``; the claim id its ``event`` names."""
    leaves = SumTree(sub_id, results).flat_leaves()
    receipt = comp.chain.send(contract, function, comp.address, sub_id, leaves, sender=account)
    posted = comp.chain.receipt_events(getattr(contract.events, event), receipt)
    return int(posted[0]["args"]["claimId"])


def claim_scores(
    comp: Competition, *, by: NamedAccount | str, submissions: list[int] | None = None
) -> pd.DataFrame:
    """Post a claim for every revealed final not yet scored (or those in ``submissions``)
    that has no open claim of the same results; returns the claims posted (as
    :func:`claims_table`)."""
    _require_optimistic(comp)
    account = comp.chain.accounts.resolve(by)
    phase = comp.phase
    if phase != "evaluation":
        raise comp._phase_error("evaluation", phase)
    p = comp.params
    window_end = _next_block_time(comp) + p.challenge_window
    if window_end + CLAIM_SETTLE_MARGIN >= p.evaluation_end:
        raise ConfigurationError(
            f"Too late to claim in {comp.name!r}: a claim posted now stays open until "
            f"{timestamp(window_end)}, not {CLAIM_SETTLE_MARGIN // 60} minutes before the "
            f"evaluation deadline {timestamp(p.evaluation_end)}. Score the rest with "
            "comp.evaluate()."
        )
    evidence = Evidence(comp)
    open_roots = {(c.submission, bytes(c.args["root"])) for c in posted_claims(comp)
                  if c.status == "open"}  # fmt: skip
    wanted = submissions if submissions is not None else sorted(evidence.models)
    trees = []
    for sub_id in wanted:
        if sub_id not in evidence.models:
            raise ConfigurationError(
                f"Submission #{sub_id} is not a revealed final of {comp.name!r}; claimable: "
                f"{sorted(evidence.models)}."
            )
        if comp._completed(sub_id):
            continue
        tree = SumTree(sub_id, evidence.leaves(sub_id))
        if (sub_id, tree.root) not in open_roots:  # else somebody claimed these exact results
            trees.append(tree)
    if trees:
        _approve(comp, account, p.claim_bond * len(trees))  # one approval for every bond
    new = [post_claim(comp, tree.id, evidence.leaves(tree.id), by=account) for tree in trees]
    table = claims_table(comp)
    return table[table["claim"].isin(new)].reset_index(drop=True)


def watch(comp: Competition, *, by: NamedAccount | str, settle: bool = True) -> pd.DataFrame:
    """Check every open claim once: challenge a wrong one on its first wrong chunk (the
    contract scores that chunk and voids the claim), and with ``settle`` settle the claims
    whose window has ended. A public claim is checked once its model is revealed, on the
    public chunks, until the private test set is revealed; voiding it disqualifies the
    submission. Returns one row per action taken (``board``: private or public)."""
    contract = _require_claims(comp)
    account = comp.chain.accounts.resolve(by)
    actions: list[dict[str, Any]] = []
    mined_at = _next_block_time(comp)
    posted = posted_claims(comp) if comp.params.challenge_window else []
    if posted:
        evidence = Evidence(comp)
        due = [(c.claim, c.submission, c.args["leaves"]) for c in posted
               if c.status == "open" and mined_at <= c.window_end]  # fmt: skip
        actions += _challenge_wrong(comp, contract, account, evidence, due)
    if has_board(comp) and checks_open(comp, mined_at):
        public = [c for c in public_claims(comp) if c.status == "open"]
        if public:
            evidence = Evidence(comp, public=True)
            due = [(c.claim, c.submission, c.args["leaves"]) for c in public]
            actions += _challenge_wrong(comp, contract, account, evidence, due)
    if settle:
        actions += settle_claims(comp, by=account).to_dict("records")
    return pd.DataFrame(actions, columns=ACTION_COLUMNS)


def _challenge_wrong(
    comp: Competition, contract: Any, account: NamedAccount, evidence: Evidence,
    claims: list[tuple[int, int, list[int]]],
) -> list[dict[str, Any]]:  # fmt: skip
    """Challenge each of ``claims`` (id, submission, flat leaves) whose model ``evidence``
    holds on its first wrong chunk; one action row per challenge."""
    p = comp.params
    board = "public" if evidence.public else "private"
    chunks = len(evidence.chunks)
    actions = []
    for claim_id, sub_id, leaves in claims:
        if sub_id not in evidence.models:
            continue
        width = len(leaves) // chunks
        claimed = [list(leaves[i * width : (i + 1) * width]) for i in range(chunks)]
        truth = evidence.leaves(sub_id)
        wrong = next(
            (i for i, (a, b) in enumerate(zip(claimed, truth, strict=True)) if a != b), None
        )
        if wrong is None:
            continue
        opening = evidence.opening(sub_id, claimed, wrong)
        _approve(comp, account, p.challenge_bond)
        receipt = comp.chain.transact(
            contract.functions.challenge(claim_id, opening), sender=account
        )
        voided = comp.chain.receipt_events(contract.events.ClaimVoided, receipt)
        reward = (
            from_units(voided[0]["args"]["reward"]) if voided else -from_units(p.challenge_bond)
        )
        actions.append({"action": "challenge", "claim": claim_id, "submission": sub_id,
                        "chunk": wrong, "result": "voided" if voided else "failed",
                        "tokens": reward, "board": board})  # fmt: skip
    return actions


def settle_claims(comp: Competition, *, by: NamedAccount | str | None = None) -> pd.DataFrame:
    """Settle every open claim whose window has ended, oldest first: the first of each
    submission gives it its score (``final``), the rest are ``closed``; bonds go back. Public
    claims settle once the private test set is revealed (or can no longer be): the bond
    comes back if the model was revealed (``stood``), else it goes to the sink
    (``forfeited``)."""
    contract = _require_claims(comp)
    sender = by or comp.creator
    mined_at = _next_block_time(comp)
    actions = []
    for c in posted_claims(comp) if comp.params.challenge_window else []:
        if c.status != "open" or mined_at <= c.window_end:
            continue
        receipt = comp.chain.send(contract, "settle", c.claim, sender=sender)
        final = comp.chain.receipt_events(contract.events.ClaimFinalized, receipt)
        actions.append({"action": "settle", "claim": c.claim, "submission": c.submission,
                        "chunk": None, "result": "final" if final else "closed",
                        "tokens": from_units(c.args["bond"]), "board": "private"})  # fmt: skip
    if has_board(comp) and settle_open(comp, mined_at):
        for c in public_claims(comp):
            if c.status != "open":
                continue
            receipt = comp.chain.send(contract, "settle", c.claim, sender=sender)
            stood = comp.chain.receipt_events(contract.events.ClaimFinalized, receipt)
            actions.append({"action": "settle", "claim": c.claim, "submission": c.submission,
                            "chunk": None, "result": "stood" if stood else "forfeited",
                            "tokens": from_units(c.args["bond"]), "board": "public"})  # fmt: skip
    return pd.DataFrame(actions, columns=ACTION_COLUMNS)
