"""One competition: the handle participants, creators and evaluators use.

``Competition`` wraps one clone of the Competition contract together with what
this session knows off chain (the quantizer and training data from its
metadata; salts, models and the hidden test set from the vault).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from eth_abi import encode
from eth_utils import keccak

from mlmarket.contracts.errors import CompetitionNotInPhase
from mlmarket.errors import CompetitionCommitmentError, ConfigurationError, DataValidationError
from mlmarket.market.params import CompetitionParams, param_names
from mlmarket.market.phases import PHASES, CompetitionPhaseError, phase_refusal
from mlmarket.market.tables import timestamp
from mlmarket.ml import (
    TRAINING_SALT,
    ExportedModel,
    MerkleTree,
    Quantizer,
    TestSet,
    chunk_leaf,
    export,
)
from mlmarket.ml.budgets import ModelBudget, check_model
from mlmarket.ml.formats import ModelFormatError, decode_chunk
from mlmarket.progress import track
from mlmarket.units import from_units

if TYPE_CHECKING:
    from mlmarket.chain import NamedAccount
    from mlmarket.market.market import Market
    from mlmarket.market.teams import Team

OUTCOMES = ("pending", "ranked", "defaulted", "returned_to_creator")


@dataclass(frozen=True)
class Submission:
    """A committed model: its id and submitter (its salt and bytes stay in the vault).

    ``submitter`` is the entrant the submission counts for (the account, or its team's
    address); ``committer`` the account that sent the commit.
    """

    id: int
    submitter: str
    competition: str
    committer: str = ""


class Competition:
    """A competition on chain (get one from ``market.competitions``).

    Example:
        >>> X, y = comp.training_xy()
        >>> sub = comp.submit(LogisticRegression(max_iter=5000).fit(X, y), by="bob")
        >>> market.clock.advance_to(comp.deadline("submission")); comp.reveal()
        >>> market.clock.advance_to(comp.deadline("reveal")); comp.reveal_test_set()
        >>> market.clock.advance_to(comp.deadline("test_reveal")); comp.evaluate()
        >>> comp.finalize(); comp.claim(by="bob"); comp.leaderboard()
    """

    def __init__(self, market: Market, address: str, contract: Any) -> None:
        self.market = market
        self.chain = market.chain
        self.address: str = contract.address
        self.contract = contract
        self._labels: dict[str, np.ndarray] = {}  # revealed labels, per set (they never change)
        self._verified_training = False  # the published training data matched its commitment

    def __repr__(self) -> str:
        return f"<Competition {self.name!r} at {self.address} phase={self.phase}>"

    # --- what it is --------------------------------------------------------------------

    @cached_property
    def params(self) -> CompetitionParams:
        """What the creator chose, as recorded on chain (raw token units)."""
        values = self.chain.read(self.contract, "params")
        return CompetitionParams.from_chain(values, param_names(self.contract.abi))

    @cached_property
    def metadata(self) -> dict[str, Any]:
        return dict(json.loads(self.market.store.get(self.params.metadata_cid)))

    @property
    def name(self) -> str:
        return str(self.metadata["name"])

    @cached_property
    def quantizer(self) -> Quantizer:
        return Quantizer.from_dict(self.metadata["quantizer"])

    @property
    def creator(self) -> str:
        return str(self.chain.read(self.contract, "creator"))

    @property
    def reward(self) -> Decimal:
        return from_units(self.params.reward)

    @property
    def creator_bond(self) -> Decimal:
        """Escrowed with the reward; burned if the creator defaults, else returned."""
        return from_units(self.params.creator_bond)

    @property
    def phase(self) -> str:
        """``submission``, ``reveal``, ``test_reveal``, ``evaluation``, ``default_evaluation``
        (the creator defaulted: models are scored on the training data) or ``finalized``."""
        return PHASES[int(self.chain.read(self.contract, "phase"))]

    def deadlines(self) -> dict[str, pd.Timestamp]:
        """End of each phase (a UTC ``pandas.Timestamp``): a phase runs ``[previous end,
        its end)``. ``default_evaluation`` is listed once the creator has defaulted.
        """
        return {phase: timestamp(end) for phase, end in self._ends().items()}

    def _ends(self) -> dict[str, int]:
        """:meth:`deadlines` in Unix seconds."""
        ends = self.params.deadlines
        if self.phase == "default_evaluation" or self.outcome == "defaulted":
            ends["default_evaluation"] = int(self.chain.read(self.contract, "defaultEvaluationEnd"))
        return ends

    def deadline(self, phase: str) -> int:
        """The end of ``phase`` in Unix seconds, as the clock takes it
        (``market.clock.advance_to(comp.deadline("submission"))``)."""
        ends = self._ends()
        if phase not in ends:
            raise ConfigurationError(f"No deadline for phase {phase!r}; phases: {', '.join(ends)}.")
        return ends[phase]

    def next_deadline(self) -> int | None:
        """The end of the current phase in Unix seconds, or None once finalized."""
        now = self.chain.clock.now()
        upcoming = [t for t in self._ends().values() if t > now]
        return min(upcoming) if upcoming else None

    def _phase_error(self, needed: str, current: str | None = None) -> CompetitionPhaseError:
        """The refusal of a step of phase ``needed`` (in phase ``current``: now's if not
        given), with its deadline relative to chain time."""
        current = current or self.phase
        now = self.chain.clock.now()
        revealed = bool(self.chain.read(self.contract, "testSetRevealed"))
        said = phase_refusal(needed, current, self._ends(), now, test_revealed=revealed)
        numbers = {"expected": PHASES.index(needed), "actual": PHASES.index(current)}
        return CompetitionPhaseError(said, numbers, now=now)

    @contextmanager
    def _in_phase(self) -> Iterator[None]:
        """Raise the contract's ``CompetitionNotInPhase`` as a :class:`CompetitionPhaseError`
        (a subclass) saying when the step opens or closed, in chain time."""
        try:
            yield
        except CompetitionPhaseError:
            raise
        except CompetitionNotInPhase as refused:
            needed, current = PHASES[int(refused.expected)], PHASES[int(refused.actual)]
            raise self._phase_error(needed, current) from None

    def training_data(self) -> pd.DataFrame:
        """The public training data (features and target)."""
        cid = self.metadata.get("training_data_cid")
        if not cid:
            raise ConfigurationError(
                f"Competition {self.name!r} trains on listing "
                f"{self.params.training_listing_id}: buy it with "
                "market.data.buy and load it with market.data.download."
            )
        from io import BytesIO

        return pd.read_csv(BytesIO(self.market.store.get(cid)))

    def training_xy(self) -> tuple[pd.DataFrame, pd.Series]:
        """Training features ``X`` and target ``y``, ready for ``estimator.fit(X, y)``."""
        frame = self.training_data()
        target = self.metadata["target"]
        return frame.drop(columns=target), frame[target]

    def training_chunks(self, data: pd.DataFrame | None = None) -> TestSet:
        """The training data cut into chunks as committed at creation (zero salt).

        If the creator defaults, these chunks stand in for the test set. ``data`` is the
        training DataFrame (needed for a competition on a listing: your download).
        """
        frame = self.training_data() if data is None else data
        target = self.metadata["target"]
        if target not in frame.columns:
            raise DataValidationError(f"The training data has no target column {target!r}.")
        return TestSet.from_data(
            frame.drop(columns=target), frame[target], self.quantizer,
            rows_per_chunk=self.params.chunk_size, salt=TRAINING_SALT,
        )  # fmt: skip

    def verify_training_commitment(self, data: pd.DataFrame | None = None) -> TestSet:
        """Check the on-chain training root, sample count and baseline against the data.

        The contract cannot read the published training data; if the creator committed
        to other rows, a default would be scored on them. :meth:`submit` runs this check
        for you on a competition with public training data; call it with your download
        for one on a listing. Raises :class:`~mlmarket.errors.CompetitionCommitmentError`.
        """
        chunks = self.training_chunks(data)
        p = self.params
        found = {
            "root": chunks.root,
            "samples": chunks.rows,
            "baseline": chunks.baseline(self.params.metric_name),
        }
        committed = {"root": p.training_root, "samples": p.training_samples,
                     "baseline": p.training_baseline}  # fmt: skip
        wrong = [name for name in found if found[name] != committed[name]]
        if wrong:
            raise CompetitionCommitmentError(
                f"The training {', '.join(wrong)} committed by {self.name!r} do not match its "
                "training data: if the creator defaults, models would be scored on other rows. "
                "Do not enter this competition.",
                wrong=wrong,
            )
        return chunks

    # --- participants ---------------------------------------------------------------

    @property
    def model_family(self) -> str:
        """The model family this competition's evaluator scores ("linear", "mlp", "tree")."""
        return self.params.family_name

    def submit(
        self, estimator: Any, *, by: NamedAccount | str, public_claim: bool = True
    ) -> Submission:
        """Export a fitted model and commit to it (sender-bound, salted).

        With a public leaderboard, ``by`` also posts the model's public claim right after the
        commit (its exact results on the public rows, locking ``params.public_claim_bond``;
        :meth:`post_public_claim`), unless ``public_claim=False``.

        The salt and the model bytes go to the vault until :meth:`reveal`. A member of a
        team (:meth:`team`) commits as its team: the commitment binds the team, the team's
        caps apply, and any member may reveal it; the entry stake comes back to ``by``.
        """
        account = self.chain.accounts.resolve(by)
        exported = export(estimator, self.quantizer)
        if keccak(text=exported.family) != self.params.family:
            raise ConfigurationError(
                f"Competition {self.name!r} scores {self.model_family!r} models; a "
                f"{exported.source or exported.family} is a {exported.family!r} model."
            )
        model = exported.to_bytes()
        self.check_budget(model)  # a model above the budget could never be revealed
        if self.params.training_data_cid and not self._verified_training:
            self.verify_training_commitment()  # once: the data and the commitment never change
            self._verified_training = True
        if (phase := self.phase) != "submission":  # before the stake is approved
            raise self._phase_error("submission", phase)
        entrant = self.entrant(account)  # a team member commits as its team
        self._check_entry_caps(entrant)  # before the stake is approved
        public = self._public_claim_results(account, model) if public_claim else None
        salt = self.market.random.bytes(32)
        stake = self.params.entry_stake
        if stake:
            self.market.token.approve(self.address, from_units(stake), owner=account)
        with self._in_phase():
            receipt = self.chain.send(
                self.contract, "commit", self._commitment(entrant, model, salt), sender=account
            )
        sub_id = int(self._event(receipt, "SubmissionCommitted")["id"])
        self.market.vault.put(
            "submissions",
            f"{self.address}-{sub_id}",
            {"salt": salt.hex(), "model": model.hex(), "submitter": account.address,
             "entrant": entrant, "estimator": repr(estimator)},
        )  # fmt: skip
        if public is not None:
            self.post_public_claim(sub_id, by=account, results=public)
        return Submission(sub_id, entrant, self.address, account.address)

    def _check_entry_caps(self, address: str) -> None:
        """Raise the contract's named error if ``address`` may not commit now (its total cap,
        or its cap in this period), as ``commit`` would, before anything is sent."""
        p = self.params
        refusal: tuple[str, dict[str, Any]] | None = None
        if cap := p.max_submissions_per_address:
            commits, _ = self.chain.read(self.contract, "submissionsOf", address)
            if int(commits) >= cap:
                refusal = ("CompetitionSubmissionCapReached", {"submitter": address, "cap": cap})
        if refusal is None and p.entries_per_period:
            if (
                int(self.chain.read(self.contract, "entriesThisPeriod", address))
                >= p.entries_per_period
            ):
                opens = self.next_period_at()
                assert opens is not None
                refusal = ("CompetitionPeriodCapReached",
                           {"submitter": address, "cap": p.entries_per_period,
                            "nextEntryAt": int(opens.timestamp())})  # fmt: skip
        if refusal is not None:
            errors = self.market.chain.errors
            raise errors.named(refusal[0], refusal[1], self._name_of)

    @property
    def metric(self) -> str:
        """The ranking metric the creator chose (:data:`mlmarket.ml.metrics.METRICS`)."""
        return self.params.metric_name

    def is_final(self, submission: Submission | int) -> bool:
        """Whether a submission is one of its submitter's finals (always, when ``finals`` is 0)."""
        sub_id = _sub_id(submission)
        return bool(self.chain.read(self.contract, "isFinal", sub_id))

    def select_finals(
        self, submissions: Sequence[Submission | int], *, by: NamedAccount | str
    ) -> list[int]:
        """Choose ``by``'s finals (1 to ``params.finals`` of its own submissions) before the
        submission deadline; a later call replaces the choice. Only finals are evaluated
        and ranked; without a choice they are ``by``'s last ``finals`` commits. A member of
        a team chooses the team's finals among the team's submissions.

        Raises ``CompetitionInvalidFinals``, ``CompetitionNotSubmitter`` or
        ``CompetitionDuplicateFinal`` (nothing is mined), or a phase error after the deadline.
        """
        ids = [_sub_id(s) for s in submissions]
        if (phase := self.phase) != "submission":
            raise self._phase_error("submission", phase)
        with self._in_phase():
            self.chain.send(self.contract, "selectFinals", ids, sender=by)
        return ids

    def entries_left(self, account: NamedAccount | str) -> int | None:
        """Commits ``account`` (for a team member: its team) may still make in the current
        period (``None``: no cap)."""
        cap = self.params.entries_per_period
        if not cap:
            return None
        address = self.entrant(account)
        return cap - int(self.chain.read(self.contract, "entriesThisPeriod", address))

    def next_period_at(self) -> pd.Timestamp | None:
        """When the next entry period opens, in chain time (``None``: no cap)."""
        p = self.params
        if not p.entries_per_period:
            return None
        created, current = (
            self.chain.read(self.contract, "createdAt"),
            self.chain.read(self.contract, "currentPeriod"),
        )
        return pd.Timestamp(
            (int(created) + (int(current) + 1) * p.period_length), unit="s", tz="UTC"
        )

    @property
    def model_budget(self) -> ModelBudget:
        """The largest model this competition accepts (:mod:`mlmarket.ml.budgets`)."""
        return self.params.budget()

    def check_budget(self, model: bytes) -> int:
        """The model's work per row (as the evaluator's ``checkModel`` computes it); above
        the budget, raises the evaluator's named error (e.g. ``MlpEvaluatorModelOverBudget``)
        as a reveal would, with the work and the budget."""
        params = self.params  # one read: family, shape and budget
        try:
            return check_model(
                params.family_name, model, params.features, params.classes, params.budget()
            )
        except ModelFormatError as error:
            if not error.name.endswith("ModelOverBudget"):
                raise
            errors = self.market.chain.errors
            raise errors.named(error.name, error.args_dict, self.chain.accounts.name_of) from None

    def _commitment(self, submitter: str, model: bytes, salt: bytes) -> bytes:
        types = ["address", "address", "bytes32", "bytes32"]
        return keccak(encode(types, [self.address, submitter, keccak(model), salt]))

    def reveal(
        self, submission: Submission | int | None = None, *, by: NamedAccount | str | None = None
    ) -> list[int]:
        """Reveal one submission, or every unrevealed one whose secrets this session holds.

        ``by`` sends the reveals (default: the account that committed): any member of the
        team a submission counts for may reveal it. Without ``submission``, ``by`` reveals
        the pending submissions of its own entrant (itself, or its team).
        """
        if submission is not None:
            sub_id = _sub_id(submission)
            secret = self._pending_secret(sub_id)
            if secret is None:
                raise ConfigurationError(
                    f"Submission {sub_id} is already revealed, or the vault's secret for it does "
                    "not match its commitment on chain."
                )
            if by is not None:
                self._check_revealer(sub_id, by)
            self._reveal(sub_id, secret, by)
            return [sub_id]
        revealed = []
        count = int(self.chain.read(self.contract, "submissionCount"))
        mine = None if by is None else self.entrant(by)  # read once, not per submission
        entrants: dict[str, str] = {}

        def not_mine(address: str) -> bool:
            """Whether ``address`` commits as another entrant than ``by`` now (mergers
            followed), read once per address."""
            if address not in entrants:
                entrants[address] = self.entrant(address)
            return entrants[address] != mine

        vault = self.market.vault
        for key in vault.keys("submissions"):
            if not key.startswith(self.address + "-"):
                continue
            sub_id = int(key.rsplit("-", 1)[1])
            if mine is not None:
                # The entrant recorded at commit is the one the commitment binds (else
                # _pending drops the secret): skip another entrant's before reading its
                # submission from the chain.
                stored = vault.get("submissions", key).get("entrant")
                if stored is not None and not_mine(stored):
                    continue
            pending = self._pending(sub_id, count)
            if pending is None:
                continue
            secret, submitter = pending
            if mine is not None and not_mine(submitter):
                continue
            self._reveal(sub_id, secret, by)
            revealed.append(sub_id)
        return sorted(revealed)

    def _pending_secret(self, sub_id: int) -> dict[str, Any] | None:
        """The vault's secret of an unrevealed submission, if it matches the chain.

        A reverted snapshot can leave secrets of commitments that no longer exist
        (the same address and id may now hold another commitment): skip those.
        """
        count = int(self.chain.read(self.contract, "submissionCount"))
        pending = self._pending(sub_id, count)
        return None if pending is None else pending[0]

    def _pending(self, sub_id: int, count: int) -> tuple[dict[str, Any], str] | None:
        """``(secret, submitter)`` of an unrevealed submission whose vault secret matches
        its commitment (``count``: the submissions on chain), else None."""
        key = f"{self.address}-{sub_id}"
        if not 1 <= sub_id <= count or not self.market.vault.has("submissions", key):
            return None
        submitter, _done, revealed, commitment, _score = self.chain.read(
            self.contract, "submission", sub_id
        )
        if revealed:
            return None
        secret = self.market.vault.get("submissions", key)
        expected = self._commitment(
            submitter, bytes.fromhex(secret["model"]), bytes.fromhex(secret["salt"])
        )
        return (secret, str(submitter)) if bytes(commitment) == expected else None

    def _reveal(
        self, sub_id: int, secret: dict[str, Any], by: NamedAccount | str | None = None
    ) -> None:
        artifact = {"format": "mlmarket.model/1", "competition": self.address,
                    "estimator": secret["estimator"], "model": secret["model"]}  # fmt: skip
        cid = self.market.store_content(json.dumps(artifact, sort_keys=True).encode())
        model, salt = bytes.fromhex(secret["model"]), bytes.fromhex(secret["salt"])
        with self._in_phase():
            self.chain.send(
                self.contract, "reveal", sub_id, model, salt, cid, sender=by or secret["submitter"]
            )

    def claim(self, *, by: NamedAccount | str) -> Decimal:
        """Pay out ``by``'s prize (or the creator's remainder); returns the amount. A member
        of a team that won claims its share of the team's prize (pro rata to the shares)."""
        address = self.chain.accounts.resolve(by).address
        amount = from_units(self.chain.read(self.contract, "claimable", address))
        with self._in_phase():
            self.chain.send(self.contract, "claim", sender=by)
        return amount

    def claim_all(self) -> dict[str, Decimal]:
        """Claim for every account of this session that has something to claim; with
        performance stakes, also withdraw every held stake that pays (to its staker, added
        to its amount)."""
        paid = {}
        for name, account in self.chain.accounts.items():
            due = self.chain.read(self.contract, "claimable", account.address)
            if due and not self.chain.read(self.contract, "hasClaimed", account.address):
                paid[name] = self.claim(by=account)
        if self.params.slash_bps and self.phase == "finalized":
            from mlmarket.market.stakes import stakers

            staker = stakers(self)
            for sub_id, amount in self.withdraw_stakes().items():
                name = self.chain.describe(staker[sub_id])
                paid[name] = paid.get(name, Decimal(0)) + amount
        return paid

    # --- creator ------------------------------------------------------------------

    def reveal_test_set(self) -> str:
        """The creator publishes the hidden test set and its salt; returns its CID.

        With a public leaderboard this opens only :attr:`public_checks_end` (the public
        window after the reveal deadline); before, it raises ``CompetitionPublicChecksOpen``
        saying when, and sends nothing.
        """
        self._check_public_window()
        secret = self.market.vault.get("testsets", self.address)
        document = {"format": "mlmarket.testset/1", "salt": secret["salt"],
                    "chunks": secret["chunks"], "rows": secret["rows"]}  # fmt: skip
        cid = self.market.store_content(json.dumps(document, sort_keys=True).encode())
        with self._in_phase():
            self.chain.send(
                self.contract,
                "revealTestSet",
                bytes.fromhex(secret["salt"]),
                cid,
                sender=self.creator,
            )
        return cid

    def finalize(self, *, by: NamedAccount | str | None = None) -> str:
        """Close the competition and fix the payouts; returns the outcome. In an optimistic
        competition the claims whose window has ended are settled first, and so are the open
        public claims (bonds back, or to the sink for a model never revealed)."""
        phase = self.phase
        if (self.params.challenge_window and phase == "evaluation") or (
            self.public_board and phase == "finalized"
        ):
            self.settle_claims(by=by)
        with self._in_phase():
            self.chain.send(self.contract, "finalize", sender=by or self.creator)
        return self.outcome

    @property
    def outcome(self) -> str:
        return OUTCOMES[int(self.chain.read(self.contract, "outcome"))]

    # --- evaluation ---------------------------------------------------------------

    def evaluate(
        self, *, by: NamedAccount | str | None = None, models_per_call: int | None = None,
        progress: bool | None = None, data: pd.DataFrame | None = None,
    ) -> int:  # fmt: skip
        """Score every revealed model on every chunk not yet scored; returns transactions sent.

        Anyone can do this. In the evaluation phase the chunks are the revealed test
        set's (from its CID, proofs rebuilt from the salt); in the ``default_evaluation``
        phase they are the committed training chunks (``data``: your copy of the training
        data, for a competition on a listing). Model bytes come from the reveal events;
        models that the evaluator would refuse (they do not decode as this competition's
        family and shape) are skipped: they can never be scored, so they never rank.
        ``progress``: a bar of the calls sent, on by default in a notebook (``None``);
        ``True`` or ``False`` to force it.

        In any other phase raises :class:`~mlmarket.market.phases.CompetitionPhaseError`
        (a ``CompetitionNotInPhase``) saying when evaluation opens or closed.
        """
        phase = self.phase
        if phase not in ("evaluation", "default_evaluation"):
            raise self._phase_error("evaluation", phase)
        training = phase == "default_evaluation"
        if training:
            chunks = list(self.training_chunks(data).chunks)
            salt, scored = TRAINING_SALT, self.contract.events.SubmissionScoredOnTraining
        else:
            chunks, salt = self._revealed_test_set()
            scored = self.contract.events.SubmissionScored
        tree = MerkleTree([chunk_leaf(salt, i, c) for i, c in enumerate(chunks)])
        models = self.scorable_models()
        if not training and self.params.challenge_window:  # a claim may have scored some
            models = {s: m for s, m in models.items() if not self._completed(s)}
        per_call = models_per_call or int(self.metadata.get("models_per_call", 1))
        # What is already scored, from the events (one query, not a call per model and chunk).
        done = {(int(log["args"]["chunkIndex"]), int(log["args"]["id"]))
                for log in self.chain.logs(scored)}  # fmt: skip
        work = [(i, sid) for i in range(len(chunks)) for sid in models if (i, sid) not in done]
        batches = _by_chunk(work, per_call)
        sender = by or self.creator  # read once, not per batch
        iterator = track(batches, show=progress, label=f"Evaluating {self.name}", unit="call")
        for batch in iterator:
            index = batch[0][0]
            ids = [sid for _, sid in batch]
            # Phase, proofs, model bytes and what is left were checked here: no dry run.
            with self._in_phase():
                self.chain.send(
                    self.contract,
                    "evaluate",
                    index,
                    chunks[index],
                    tree.proof(index),
                    ids,
                    [models[s] for s in ids],
                    sender=sender,
                    simulate=False,
                )
        return len(batches)

    # --- optimistic evaluation ----------------------------------------------------------

    @property
    def evaluation(self) -> str:
        """``"on-chain"``, or ``"optimistic"`` when score claims are accepted."""
        return "optimistic" if self.params.challenge_window else "on-chain"

    def claim_scores(
        self, *, by: NamedAccount | str, submissions: list[int] | None = None
    ) -> pd.DataFrame:
        """Post a bonded claim of each unscored revealed final's per-chunk results (the
        exact reference), or of ``submissions``; returns the claims posted. Evaluation phase
        of an optimistic competition; see :mod:`mlmarket.market.claims`."""
        from mlmarket.market.claims import claim_scores

        return claim_scores(self, by=by, submissions=submissions)

    def post_claim(
        self, submission: Submission | int, results: list[list[int]], *, by: NamedAccount | str
    ) -> int:
        """Post a claim that ``submission`` has ``results`` on the test chunks (a leaf vector
        per chunk, as :meth:`chunk_results` gives them), locking the bond; returns the claim
        id. ``claim_scores`` posts the true results; other results show a watcher at work."""
        from mlmarket.market.claims import post_claim

        sub_id = _sub_id(submission)
        return post_claim(self, sub_id, results, by=by)

    def watch(self, *, by: NamedAccount | str, settle: bool = True) -> pd.DataFrame:
        """Check every open claim once, challenge the wrong ones (and settle those whose
        window ended); returns what was done, one row per transaction."""
        from mlmarket.market.claims import watch

        return watch(self, by=by, settle=settle)

    def settle_claims(self, *, by: NamedAccount | str | None = None) -> pd.DataFrame:
        """Settle the claims whose window has ended (the first of a submission scores it)."""
        from mlmarket.market.claims import settle_claims

        return settle_claims(self, by=by)

    def chunk_results(self, submission: Submission | int) -> list[list[int]]:
        """A revealed final's result on every test chunk, as a claim lists it (the leaf
        vectors of :mod:`mlmarket.ml.claims`), computed with the exact reference."""
        from mlmarket.market.claims import Evidence

        sub_id = _sub_id(submission)
        return Evidence(self).leaves(sub_id)

    def claims(self) -> pd.DataFrame:
        """Every score claim of this competition with its status, score, bond and window
        (``board``: ``private`` for a score claim, ``public`` for a public-score claim)."""
        from mlmarket.market.claims import claims_table

        return claims_table(self)

    # --- public leaderboard and performance stakes ---------------------------------------

    @property
    def public_board(self) -> bool:
        """Whether this competition has a public leaderboard (``public_size=`` at creation)."""
        return self.params.public_root != bytes(32)

    @property
    def public_checks_end(self) -> int | None:
        """When the creator may reveal the private test set, in Unix seconds: the public
        window after the reveal deadline, while public claims can be challenged (None
        without a public leaderboard)."""
        from mlmarket.market.public import public_checks_end

        return public_checks_end(self)

    def public_data(self) -> pd.DataFrame:
        """The public test rows (features and target), published at creation."""
        from mlmarket.market.public import public_data

        return public_data(self)

    def public_chunks(self) -> TestSet:
        """The public rows cut into chunks as committed (zero salt), checked against the
        public root; raises :class:`~mlmarket.errors.CompetitionCommitmentError` if not."""
        from mlmarket.market.public import public_chunks

        return public_chunks(self)

    def public_results(self, submission: Submission | int) -> list[list[int]]:
        """A submission's exact results on every public chunk (a leaf vector each, as a
        public claim lists them), from this session's copy of its model or its reveal."""
        from mlmarket.market.public import model_of, public_results

        return public_results(self, model_of(self, _sub_id(submission)))

    def post_public_claim(
        self, submission: Submission | int, *, by: NamedAccount | str,
        results: list[list[int]] | None = None,
    ) -> int:  # fmt: skip
        """Post ``submission``'s public claim (by a member of its entrant, in the submission
        phase, once per submission), locking ``params.public_claim_bond``; returns the claim
        id. ``results`` (default the exact ones, :meth:`public_results`) may be anything, to
        see a watcher void a false claim. Refusals raise the contract's named error
        (``ScoreClaimsNotInSubmission``, ``ScoreClaimsNotEntrant``,
        ``ScoreClaimsPublicClaimExists``, ``ScoreClaimsInvalidLeaves``,
        ``ScoreClaimsNoPublicBoard``, ``ERC20InsufficientBalance``) and send nothing."""
        from mlmarket.market.public import post_public_claim

        return post_public_claim(self, _sub_id(submission), results, by=by)

    def shakeup(self) -> pd.DataFrame:
        """Public and private rank (and score) per submission, and the places each gained
        from the public to the private board (``rank_change``)."""
        from mlmarket.market.public import shakeup_table

        return shakeup_table(self)

    def stakes(self) -> pd.DataFrame:
        """The held performance stakes: staker, stake, private score, whether it beats the
        threshold, payout (``stakeOf``) and whether withdrawn (:mod:`mlmarket.market.stakes`)."""
        from mlmarket.market.stakes import stakes_table

        return stakes_table(self)

    def withdraw_stakes(self, *, by: NamedAccount | str | None = None) -> dict[int, Decimal]:
        """Withdraw every held stake that pays (each to its staker; sent by ``by``, default the
        creator) once finalized; returns the amount per submission id."""
        from mlmarket.market.stakes import withdraw_stakes

        return withdraw_stakes(self, by=by)

    def _public_claim_results(self, account: NamedAccount, model: bytes) -> list[list[int]] | None:
        """What :meth:`submit` posts as the public claim (None without a public board), after
        checking, before anything is sent, that the public rows are the committed ones and
        that ``account`` can pay the entry stake and the bond."""
        if not self.public_board:
            return None
        from mlmarket.market.public import check_balance, public_results

        results = public_results(self, model)
        check_balance(self, account, self.params.entry_stake + self.params.public_claim_bond)
        return results

    def _check_public_window(self) -> None:
        """Raise ``CompetitionPublicChecksOpen`` (nothing sent) while public claims can still
        be challenged, saying when the private test set may be revealed."""
        opens = self.public_checks_end
        if opens is None or self.phase not in ("submission", "reveal", "test_reveal"):
            return
        now = self.chain.clock.next_block_timestamp()
        if now < opens:
            from mlmarket.contracts.errors import CompetitionPublicChecksOpen
            from mlmarket.market.phases import moment, relative

            raise CompetitionPublicChecksOpen(
                f"The private test set can be revealed from {moment(opens)}, "
                f"{relative(opens, now)} (chain time): until then, the public window after the "
                "reveal deadline, public claims can still be challenged on the revealed models.",
                {"opensAt": opens},
            )

    def _completed(self, sub_id: int) -> bool:
        """Whether submission ``sub_id`` has its final test score (every chunk, or a claim)."""
        return int(self.chain.read(self.contract, "submission", sub_id)[1]) == int(
            self.chain.read(self.contract, "chunkCount")
        )

    def _revealed_test_set(self) -> tuple[list[bytes], bytes]:
        if not self.chain.read(self.contract, "testSetRevealed"):
            raise ConfigurationError(
                f"The test set of {self.name!r} is not revealed yet; the creator does that "
                "with comp.reveal_test_set() in the test-reveal phase."
            )
        cid = self.chain.read(self.contract, "testDataCid")
        document = json.loads(self.market.store.get(cid))
        return [bytes.fromhex(c) for c in document["chunks"]], bytes.fromhex(document["salt"])

    def scored_labels(self, *, training: bool = False) -> np.ndarray:
        """Labels of the rows scores are computed on: the revealed test set's (or, after a
        default, the committed training chunks'); what :func:`mlmarket.ml.metrics.metric_value`
        needs for balanced accuracy (the classes present)."""
        key = "training" if training else "test"
        if key not in self._labels:
            chunks = self.training_chunks().chunks if training else self._revealed_test_set()[0]
            p = self.params
            self._labels[key] = np.concatenate(
                [decode_chunk(c, p.features, p.classes).labels for c in chunks]
            )
        return self._labels[key]

    def scorable_models(self) -> dict[int, bytes]:
        """Revealed finals that decode as this competition's family and shape, by id."""
        scorable = {}
        finals = self.params.finals != 0
        for sub_id, model in self.revealed_models().items():
            if finals and not self.is_final(sub_id):
                continue
            try:
                decoded = ExportedModel.from_bytes(model, self.quantizer)
            except DataValidationError:
                continue
            if keccak(text=decoded.family) == self.params.family:
                scorable[sub_id] = model
        return scorable

    def revealed_models(self) -> dict[int, bytes]:
        """Model bytes of every revealed submission, from the reveal events."""
        logs = self.chain.logs(self.contract.events.SubmissionRevealed)
        return {int(log["args"]["id"]): bytes(log["args"]["modelBytes"]) for log in logs}

    # --- results ---------------------------------------------------------------------

    def leaderboard(self, board: str | None = None) -> pd.DataFrame:
        """Submissions ranked by score (ties to the earlier commit), with prizes: the final
        leaderboard (``board="final"``, the default). With a public leaderboard,
        ``"public"`` ranks the claimed public scores (no model needs to be revealed; see
        :func:`mlmarket.market.public.public_table`) and ``"private"`` is the final board
        with each submission's ``public_rank`` and ``rank_change`` (the shake-up).

        Example:
            >>> comp.leaderboard("public")[["rank", "id", "entrant", "score"]]  # doctest: +SKIP
        """
        from mlmarket.market.public import leaderboard_for

        return leaderboard_for(self, board)

    def winning_model(self) -> ExportedModel:
        """The winner's model as a usable predictor (``.predict(X)``).

        The creator is recorded on chain as the licensee of this model.
        """
        if self.phase != "finalized":
            raise ConfigurationError(f"{self.name!r} is not finalized yet (phase: {self.phase}).")
        winner_id, _submitter, _hash = self.chain.read(self.contract, "winner")
        if winner_id == 0:
            raise ConfigurationError(f"{self.name!r} has no winner (outcome: {self.outcome}).")
        return ExportedModel.from_bytes(self.revealed_models()[int(winner_id)], self.quantizer)

    def _event(self, receipt: Any, name: str) -> Any:
        return self.chain.receipt_events(getattr(self.contract.events, name), receipt)[0]["args"]

    # --- teams (mlmarket.market.teams) -------------------------------------------------

    def team(
        self, name: str, members: Sequence[NamedAccount | str], shares: Sequence[Any] | None = None
    ) -> Team:
        """Form a team now: the first member proposes it and every member accepts (their keys
        are this session's); returns the :class:`~mlmarket.market.teams.Team`.

        The team commits as one entrant (``team.address``): ``comp.submit(model, by=member)``
        from any member, one set of caps and finals, at most one prize place; each member
        claims its share of the prize with ``comp.claim(by=member)``. ``shares`` are
        fractions summing to 1 in the members' order (default equal, the remainder of the
        basis points to the first member). A member already in a team brings it whole, with
        its commits (a merger: :meth:`merge_teams`). Before the merger deadline
        (``params.merger_deadline``, default the submission deadline), in a competition
        without ``multiple_places``, 1 to 8 members, the creator not among them.

        Every rule is checked before anything is sent: a refusal raises the contract's error
        (``CompetitionInvalidTeam``, ``CompetitionMergerClosed``, ``CompetitionTeamsNotAllowed``,
        ``CompetitionTeamSplit``, ``CompetitionTeamFrozen``, ``CompetitionMergeOverCap``), which
        is a :class:`~mlmarket.errors.ConfigurationError` too. On a real network, where each
        member signs, use :meth:`propose_team` and :meth:`accept_team`.

        Example:
            >>> red = comp.team("Red", ["bob", "carol"], shares=[0.6, 0.4])  # doctest: +SKIP
        """
        from mlmarket.market.teams import form_team

        return form_team(self, name, members, shares)

    def propose_team(
        self, name: str, members: Sequence[NamedAccount | str],
        shares: Sequence[Any] | None = None, *, by: NamedAccount | str,
    ) -> Team:  # fmt: skip
        """``by`` (one of ``members``) proposes a team (see :meth:`team` for the rules); it
        forms once every member has called :meth:`accept_team`. Returns the proposed
        :class:`~mlmarket.market.teams.Team` (``formed`` False); members may be addresses
        this session holds no key for."""
        from mlmarket.market.teams import propose_team

        return propose_team(self, name, members, shares, by=by)

    def accept_team(self, team: Team | str, *, by: NamedAccount | str) -> Team:
        """``by`` (a member) accepts ``team`` (a record, its address or its name); the last
        acceptance forms it, merging each member's entrant with its commits (checked first:
        ``CompetitionTeamSplit``, ``CompetitionTeamFrozen``, ``CompetitionMergeOverCap``).
        Returns the team as it is now."""
        from mlmarket.market.teams import accept_team

        return accept_team(self, team, by=by)

    def merge_teams(
        self, name: str, teams_or_accounts: Sequence[Team | NamedAccount | str],
        shares: Sequence[Any] | None = None,
    ) -> Team:  # fmt: skip
        """Merge teams and accounts into a new team ``name`` (Kaggle's merger): its members
        are every member of the given teams (records, addresses or names) and accounts (an
        account already in a team brings its whole team), in that order; ``shares`` as in
        :meth:`team` (default equal). The commits already made move to the new team, so they
        must fit the caps: at most ``entries_per_period`` times the periods so far (and
        ``max_submissions_per_address``). Over the cap it raises ``CompetitionMergeOverCap``
        (a ``ConfigurationError`` too) before anything is sent, saying when the merger
        would fit, or that it never will before the merger deadline."""
        from mlmarket.market.teams import merge_teams

        return merge_teams(self, name, teams_or_accounts, shares)

    def teams(self) -> pd.DataFrame:
        """Every proposed team: ``team`` (its entrant address), ``name``, ``members``,
        ``shares``, ``accepted``, ``formed``, ``commits`` and ``merged_into`` (the team it
        joined, if any)."""
        from mlmarket.market.teams import teams_table

        return teams_table(self)

    def team_of(self, who: Team | NamedAccount | str) -> Team | None:
        """The team ``who`` commits as (an account), or is (a team address or name); ``None``
        for an account competing alone."""
        from mlmarket.market.teams import team_of

        return team_of(self, who)

    def entrant(self, account: NamedAccount | str) -> str:
        """The address ``account`` commits as: its team's (after any merger), or its own."""
        from mlmarket.market.teams import entrant

        return entrant(self, account)

    def team_name(self, address: str) -> str:
        """A team's name, or an individual's label (its account name, else the address): how
        leaderboards show an entrant."""
        from mlmarket.market.teams import team_name

        return team_name(self, address)

    def _name_of(self, address: str) -> str | None:
        """For error sentences: an account's or a team's name (None: neither)."""
        from mlmarket.market.teams import Roster

        return self.chain.accounts.name_of(address) or Roster(self).names.get(address)

    def _may_reveal(self, sub_id: int, by: NamedAccount | str) -> bool:
        """Whether ``by`` is (a member of) the entrant submission ``sub_id`` counts for."""
        submitter = self.chain.read(self.contract, "submission", sub_id)[0]
        return self.entrant(by) == self.entrant(str(submitter))

    def _check_revealer(self, sub_id: int, by: NamedAccount | str) -> None:
        if not self._may_reveal(sub_id, by):
            submitter = str(self.chain.read(self.contract, "submission", sub_id)[0])
            who = self.chain.describe(self.chain.address(by))
            raise ConfigurationError(
                f"Submission {sub_id} is {self.team_name(self.entrant(submitter))}'s: only it "
                f"(or a member of its team) may reveal it, not {who}."
            )


def _sub_id(submission: Submission | int) -> int:
    """The id of a submission given as a :class:`Submission` or an id."""
    return submission.id if isinstance(submission, Submission) else int(submission)


def _by_chunk(work: list[tuple[int, int]], per_call: int) -> list[list[tuple[int, int]]]:
    """Group (chunk, submission) pairs into calls: one chunk per call, ``per_call`` models."""
    groups: list[list[tuple[int, int]]] = []
    for item in work:
        if groups and groups[-1][0][0] == item[0] and len(groups[-1]) < per_call:
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups
