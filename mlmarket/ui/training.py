"""Train & submit panel: pick a participant and a model, validate it, commit it.

The models offered are those the selected competition's evaluator scores (linear
models, MLPs, or decision trees and forests) for its task (:mod:`mlmarket.ui.models`).
Training runs on the selected competition's public training data: a held-out
share scores the model (accuracy and a confusion matrix, or R² and a
predicted-vs-actual plot), the model fitted on all of it is exported to the
on-chain format (how closely the quantised model agrees is shown), and
``Submit`` commits it for the chosen participant — only while the competition
is in its submission phase, and only the model trained for that participant.
A disabled button says why in its tooltip (after the deadline: when submissions
closed, in chain time). In a competition that caps entries per period, ``entries``
says how many the participant has left this period and when the next period opens;
with none left, Submit says so too.

Example:
    >>> from mlmarket.datasets import load_sample
    >>> comp = market.competitions.create(data=load_sample("iris"), target="species",
    ...     creator="alice", reward=10)
    >>> panel = TrainPanel(market)
    >>> panel.family.value = "LogisticRegression"
    >>> panel.submit_button.tooltip
    "Train a model for bob first: Submit sends the selected participant's own model."
    >>> panel.train_button.click(); panel.submit_button.click()
    >>> panel.submissions[-1].submitter == market.accounts["bob"].address
    True
    >>> trees = market.competitions.create(data=load_sample("iris"), target="species",
    ...     creator="alice", reward=10, model_family="tree")
    >>> panel.picker.widget.value = 1
    >>> panel.family.options
    ('DecisionTreeClassifier', 'RandomForestClassifier')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import pandas as pd

from mlmarket.contracts.errors import CompetitionPeriodCapReached
from mlmarket.market.phases import relative
from mlmarket.ml import FAMILIES as FAMILIES_ON_CHAIN
from mlmarket.ml import agreement, export
from mlmarket.ml.tree import MAX_TREES
from mlmarket.ui.base import (
    CompetitionPicker,
    InputError,
    Panel,
    account_names,
    dropdown,
    set_options,
    text,
)
from mlmarket.ui.competitions import NO_COMPETITION, allow, phase_reason, selected_row
from mlmarket.ui.models import (
    FAMILIES,
    MAX_DEPTH,
    TrainingRun,
    families,
    train,
    validation_chart,
)
from mlmarket.ui.render import amount, when
from mlmarket.units import from_units

if TYPE_CHECKING:
    from mlmarket.market import Market
    from mlmarket.ui.state import MarketState


class TrainPanel(Panel):
    """``picker``, ``participant``, ``family`` (the model), ``strength`` (C or alpha),
    ``iterations``, ``scale``, ``validation``; the shape of an MLP (``hidden``: layer
    sizes) or a tree (``depth``; ``trees`` of a forest), shown only for those models;
    ``train_button``, ``score`` and ``chart``; ``submit_button`` and ``entries`` (with a
    cap per period: the participant's entries left and when the next period opens).
    ``runs`` holds the last training run per (participant, competition): Submit sends only
    the selected participant's own model. ``submissions`` lists every submission made here."""

    title = "Train & submit"
    css = "mlm-train-panel"
    watches = ("competitions", "selected_competition", "time")

    def __init__(self, source: Market | MarketState, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self.runs: dict[tuple[str, int], TrainingRun] = {}
        self._views: dict[tuple[str, int], tuple[str, bytes]] = {}
        self._shown: tuple[str, int] | None = None
        self.submissions: list[Any] = []
        names = account_names(self.market)
        self.picker = CompetitionPicker(self.state, "mlm-train-competition")
        self.participant = dropdown("Participant", "mlm-train-participant", names, value=names[2])
        self.family = dropdown("Model", "mlm-train-family", families("classification"))
        self.strength = widgets.FloatLogSlider(value=1.0, base=10, min=-4, max=3, step=0.25)
        self.strength.add_class("mlm-train-strength")
        self.iterations = widgets.IntSlider(value=1000, min=10, max=5000, step=10)
        self.iterations.description = "Iterations"
        self.iterations.add_class("mlm-train-iterations")
        self.scale = widgets.Checkbox(value=True, description="Standardize features")
        self.scale.add_class("mlm-train-scale")
        self.validation = widgets.FloatSlider(value=0.25, min=0.1, max=0.5, step=0.05)
        self.validation.description = "Validation"
        self.validation.add_class("mlm-train-validation")
        self.hidden = text("Hidden layers", "mlm-train-hidden", "16", placeholder="16 or 16, 8")
        self.depth = widgets.IntSlider(value=4, min=1, max=MAX_DEPTH, description="Max depth")
        self.depth.add_class("mlm-train-depth")
        self.trees = widgets.IntSlider(value=8, min=1, max=MAX_TREES, description="Trees")
        self.trees.add_class("mlm-train-trees")
        self.train_button = self.button("Train", "mlm-train", self._train, style="primary")
        self.submit_button = self.button("Submit", "mlm-submit", self._submit, style="success")
        self.entries = widgets.HTML()
        self.entries.add_class("mlm-train-entries")
        self.score = widgets.HTML()
        self.score.add_class("mlm-train-score")
        self.chart = widgets.Image(
            format="png",
            layout=widgets.Layout(width="340px", height="auto", align_self="flex-start"),
        )
        self.chart.add_class("mlm-train-chart")
        self.family.observe(lambda _: self._knobs(), names="value")
        self.participant.observe(lambda _: self.render(), names="value")
        self._ready(
            widgets.HBox([self.picker.widget, self.participant]),
            widgets.HBox([self.family, self.strength]),
            widgets.HBox([self.hidden, self.depth, self.trees]),
            widgets.HBox([self.iterations, self.scale, self.validation]),
            widgets.HBox([self.train_button, self.submit_button, self.entries]),
            widgets.HBox([self.score, self.chart]),
        )
        self._knobs()

    # --- view --------------------------------------------------------------------------

    def _column(self, name: str) -> str | None:
        """The selected competition's ``name`` in ``state.competitions``, or None."""
        row = selected_row(self.state)
        return None if row is None else str(row[name])

    def render(self) -> None:
        task, family = self._column("task"), self._column("model_family")
        if task is not None:  # a family this package has no evaluator for offers nothing
            set_options(self.family, families(task, family) if family in FAMILIES_ON_CHAIN else [])
        self._show_run()
        self.entries.value = self._entries_said()
        self.enable()

    def entries_left(self) -> tuple[int, int, pd.Timestamp] | None:
        """``(left, cap, next period)`` for the selected participant while the selected
        competition caps entries per period and takes submissions, else None."""
        row = selected_row(self.state)
        if row is None or not isinstance(row.get("entries_left"), dict):
            return None
        left = row["entries_left"].get(self.participant.value)
        if left is None:
            return None
        return int(left), int(row["entries_per_period"]), row["next_period_at"]

    def _entries_said(self) -> str:
        standing = self.entries_left()
        if standing is None:
            return ""
        left, cap, opens = standing
        said = f"{when(opens)}, {relative(opens, self.state.time)}"
        return (
            f'<small>{self.participant.value}: <b class="mlm-entries-left">{left}</b> of {cap} '
            f"entries left this period; the next period opens at {said} (chain time)</small>"
        )

    def _key(self) -> tuple[str, int] | None:
        """(participant, competition) of the selection, or None without one."""
        chosen, participant = self.state.selected_competition, self.participant.value
        return None if chosen is None or participant is None else (participant, chosen)

    def _show_run(self) -> None:
        """Show the selected participant's run in the selected competition, or nothing."""
        key = self._key()
        if key == self._shown:
            return
        self._shown = key
        self.score.value, self.chart.value = self._views.get(key, ("", b"")) if key else ("", b"")

    def _knobs(self) -> None:
        spec = FAMILIES.get(self.family.value)
        if spec is None:
            return
        self.strength.description = spec.knob or "(none)"
        self.strength.disabled = spec.knob is None
        if spec.knob is not None:
            self.strength.value = spec.default
        self.iterations.disabled = not spec.iterations
        self.scale.disabled = spec.model_family == "tree"  # splits do not care about scale
        for widget, used in ((self.hidden, spec.shape == "hidden"),
                             (self.depth, spec.shape in ("depth", "forest")),
                             (self.trees, spec.shape == "forest")):  # fmt: skip
            widget.disabled = not used
            widget.layout.display = None if used else "none"

    def enable(self) -> None:
        """Train needs a competition; Submit its submission phase and the participant's
        own trained model. A disabled button says why in its tooltip."""
        row = selected_row(self.state)
        allow(self.train_button, NO_COMPETITION if row is None else "")
        if row is None or row["phase"] != "submission":
            why = phase_reason("submission", row, self.state.time)
        elif self._key() not in self.runs:
            why = (
                f"Train a model for {self.participant.value} first: Submit sends the selected "
                "participant's own model."
            )
        elif (standing := self.entries_left()) is not None and standing[0] <= 0:
            opens = standing[2]
            why = (
                f"{self.participant.value} has used all {standing[1]} entries of this period; "
                f"the next period opens at {when(opens)}, {relative(opens, self.state.time)} "
                "(chain time)."
            )
        else:
            why = ""
        allow(self.submit_button, why)

    # --- actions -----------------------------------------------------------------------

    def _train(self) -> None:
        competition, key, task = self.state.competition(), self._key(), self._column("task")
        if competition is None or key is None or task is None:
            raise InputError("Create or choose a competition first.")
        if self.family.value is None:
            raise InputError("Choose a model to train.")
        X, y = competition.training_xy()
        spec = FAMILIES[self.family.value]
        run = train(
            X, y, family=spec.name, task=task,
            strength=self.strength.value if spec.knob else None,
            max_iter=self.iterations.value, scale=self.scale.value and not self.scale.disabled,
            validation=self.validation.value, hidden=self.hidden.value,
            depth=self.depth.value, trees=self.trees.value,
        )  # fmt: skip
        exported = export(run.estimator, competition.quantizer)
        report = agreement(run.estimator, exported, X, y)
        self.runs[key] = run
        self._views[key] = (self._describe(run, report), validation_chart(run))
        self._shown = None
        self._show_run()
        self.ok(f"Trained {spec.name} on {len(X)} rows; submit it while submissions are open.")

    def _describe(self, run: TrainingRun, report: Any) -> str:
        lines = [
            f'validation {run.metric} <b class="mlm-validation-score">{run.score:.3f}</b> '
            f"on {run.validation_rows} held-out rows"
        ]
        if report.identical is not None:
            lines.append(f"on-chain model agrees on {report.identical:.1%} of training rows")
        elif report.max_abs_diff is not None:
            lines.append(f"on-chain model differs by at most {report.max_abs_diff:.3g}")
        if not run.converged:
            lines.append("⚠ did not converge: raise the iterations")
        return "<br>".join(lines)

    def _submit(self) -> None:
        competition, key = self.state.competition(), self._key()
        if competition is None or key is None:
            raise InputError("Create or choose a competition first.")
        run = self.runs.get(key)
        if run is None:
            participant, chosen = key
            raise InputError(
                f"{participant} has no trained model for competition #{chosen} yet: "
                "train one for this participant first."
            )
        try:
            submission = competition.submit(run.estimator, by=key[0])
        except CompetitionPeriodCapReached as refused:  # its sentence, and how soon
            opens = int(refused.nextEntryAt)
            soon = relative(opens, self.state.market.clock.now())
            said = f"{str(refused).removesuffix('.')}, {soon}."
            raise type(refused)(said, refused.args_dict) from None
        self.submissions.append(submission)
        team = ""
        if submission.committer and submission.submitter != submission.committer:
            team = f" for team {competition.team_name(submission.submitter)}"
        public = ""
        if competition.public_board:  # submit posted its public claim with the commit
            bond = amount(from_units(competition.params.public_claim_bond))
            public = f" Its public claim (bond {bond}) is on the public board."
        self.ok(
            f"{self.participant.value} committed submission #{submission.id}{team} "
            f"(validation {run.metric} {run.score:.3f}); reveal it in the reveal phase.{public}"
        )
