"""The form that opens a competition: every parameter ``market.competitions.create`` takes.

Data (a sample, an upload or a listing; optionally a separate hidden test set),
target and task, the model family the contract scores, the ranking metric, reward
and creator bond, entry stake and submissions cap, entries per period, finals, places
per participant, phases, payout, models scored per call and the split seed; the public
leaderboard (its public rows, window and claim bond), performance stakes (slash and
threshold) and the merger deadline of teams.
Everything is checked before anything is sent; a refusal leaves the form as it was,
with a sentence saying what to change.

Example:
    >>> from mlmarket.ui.state import MarketState
    >>> form = CompetitionForm(MarketState.of(market))
    >>> form.source.value, form.reward.value = "breast_cancer", "100"
    >>> request = form.request()                  # checked values, nothing sent yet
    >>> request["payout"], request["target"]
    ([Decimal('0.6'), Decimal('0.3'), Decimal('0.1')], 'diagnosis')
    >>> request["creator_bond"] is None           # blank: as much as the reward
    True
    >>> form.family.value = "mlp"                 # the contract scores MLPs
    >>> request = form.request()
    >>> request["model_family"], request["entry_stake"], request["models_per_call"]
    ('mlp', Decimal('0'), 4)
    >>> [label for label, _ in form.metric.options]   # a classification: its metrics
    ['auto (accuracy)', 'accuracy', 'balanced accuracy', 'macro F1']
    >>> form.metric.value, form.entries_per_period.value = "macro_f1", "3"
    >>> form.request()
    Traceback (most recent call last):
    ...
    mlmarket.ui.base.InputError: A cap of 3 entries per period needs the period's length: ...
    >>> form.period_days.value, form.finals.value = "0.5", "2"
    >>> request = form.request()
    >>> request["metric"], request["entries_per_period"], request["period"], request["finals"]
    ('macro_f1', 3, 43200, 2)
    >>> form.public_size.value, form.public_hours.value = "0.3", "6"   # a public board
    >>> form.entry_stake.value, form.slash.value, form.stake_threshold.value = "5", "40", "0.9"
    >>> request = form.request()
    >>> request["public_size"], request["public_window"], request["slash"]
    (0.3, 21600, Decimal('0.4'))
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import pandas as pd

from mlmarket.datasets import SAMPLES
from mlmarket.errors import DataValidationError
from mlmarket.market.competitions import MODELS_PER_CALL
from mlmarket.ml import FAMILY, SUPPORTED_FAMILIES
from mlmarket.ml.budgets import LinearBudget, MlpBudget, ModelBudget, TreeBudget, encode_budget
from mlmarket.ml.metrics import METRICS, default_metric, describe, metric_label
from mlmarket.ui.base import (
    InputError,
    IsoDatetime,
    account_names,
    dropdown,
    positive_amount,
    required,
    set_options,
    text,
    whole_number,
)
from mlmarket.ui.render import duration, when
from mlmarket.ui.uploads import check_frame, load_source, read_upload, source_options

if TYPE_CHECKING:
    from mlmarket.ui.state import MarketState

DAY = 86_400
BOND_HELP = (
    '<small class="mlm-comp-bond-help">Creator bond (tokens): escrowed with the reward; '
    "blank = as much as the reward. It comes back to the creator (with the claim) if the "
    "test set is revealed in time, and is burned if the creator defaults.</small>"
)
LISTING = "listing:"
"""Source values ``listing:<id>``: a listing the creator bought, downloaded and split (or,
with a hidden test set uploaded, the training data participants buy)."""
TEST_HELP = (
    '<small class="mlm-comp-test-help">Hidden test set (optional CSV, same columns): '
    "without one, the test share of the data is held out. With a listing as data, the "
    "participants buy the listing to train.</small>"
)
FAMILY_OPTIONS = [("linear models", "linear"), ("MLPs (ReLU networks)", "mlp"),
                  ("decision trees and forests", "tree")]  # fmt: skip
AUTO = "auto"
TASK_OPTIONS = [("from the target", AUTO), ("classification", "classification"),
                ("regression", "regression")]  # fmt: skip
METRIC_ORDER = sorted(METRICS, key=lambda m: describe(m)["task"] == "regression")
"""Every metric, those of classification first."""
METRIC_NAMES = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy",
                "macro_f1": "macro F1", "mse": "MSE (mean squared error)",
                "mae": "MAE (mean absolute error)"}  # fmt: skip
METRIC_HELP = {
    "classification": "balanced accuracy, macro F1: every class counts the same, for "
    "imbalanced classes (e.g. medical data; at most 32 classes)",
    "regression": "MSE weighs large errors most; MAE every error by its size (less swayed "
    "by outliers)",
}
RULE_TIPS = {
    "entries_per_period": "commits each participant may make per entry period (0 = no cap)",
    "period_days": "the entry period's length in days (0.25 = 6 hours), counted from creation; "
    "needed with a cap on entries per period",
    "finals": "submissions per participant that are evaluated and ranked (0 = all): its last "
    "ones, unless it selects others in the competitions panel",
    "multiple_places": "unchecked, each participant takes at most one prize place",
}
"""What each rule means, in its field's tooltip."""
BOARD_TIPS = {
    "public_size": "rows of the hidden test set published as the public test set, for a public "
    "leaderboard of claimed scores while no model is revealed: a share (0.3) or a number of rows "
    "(40); blank or 0: no public board",
    "public_hours": "how long after the reveal deadline public claims can be checked before the "
    "private test set may be revealed, in hours (at least 1, shorter than the test-reveal "
    "period); blank: half the test-reveal period",
    "public_claim_bond": "tokens each public claim locks, lost if the claim is shown false; "
    "blank: 1 % of the reward",
    "slash": "performance stakes: the share of a final's entry stake (in %) lost when its "
    "private score does not beat the threshold, shared by the stakes that do; needs an entry "
    "stake; blank or 0: stakes come back at the reveal",
    "stake_threshold": "the private score a staked final must beat (strictly) to keep its "
    "stake, in the metric's units (0.9 accuracy, an MSE in the target's units)",
}
"""What the public board's and the performance stakes' fields mean, in their tooltips."""


def metric_options(task: str | None) -> list[tuple[str, str]]:
    """The metric dropdown's options for ``task`` (every metric when it is not known yet),
    ``auto`` first: accuracy for classification, MSE for regression.

    Example:
        >>> metric_options("regression")[0], [value for _, value in metric_options("regression")]
        (('auto (MSE)', 'auto'), ['auto', 'mse', 'mae'])
    """
    if task is None:
        auto = "auto (accuracy or MSE, from the task)"
    else:
        auto = f"auto ({metric_label(default_metric(0 if task == 'regression' else 1))})"
    names = [m for m in METRIC_ORDER if task is None or describe(m)["task"] == task]
    return [(auto, AUTO), *((METRIC_NAMES[m], m) for m in names)]


def parse_payout(value: str) -> list[Decimal]:
    """Percent per place, best first (``"60, 30, 10"``) as fractions summing to 1.

    Example:
        >>> parse_payout("70,30")
        [Decimal('0.7'), Decimal('0.3')]
    """
    try:
        shares = [Decimal(part.strip()) for part in value.replace(";", ",").split(",")]
    except InvalidOperation:
        raise InputError(
            f"Payout must be percentages separated by commas, not {value!r}."
        ) from None
    if not 1 <= len(shares) <= 10 or any(s <= 0 or not s.is_finite() for s in shares):
        raise InputError("Payout lists 1 to 10 places, each a positive percentage.")
    if sum(shares) != 100:
        raise InputError(f"Payout percentages must add up to 100 (they add up to {sum(shares)}).")
    return [share / 100 for share in shares]


BUDGET_FIELDS = {
    "linear": ("weight bytes (blank: 4)", "weight bytes", LinearBudget),
    "mlp": ("MACs per row, units (blank: hidden 32)", "MACs per row, units", MlpBudget),
    "tree": ("trees, depth, nodes (blank: 16, 6, 2032)", "trees, depth, nodes", TreeBudget),
}


def parse_budget(family: str, text_value: str) -> ModelBudget | None:
    """The model budget typed for ``family`` (comma-separated whole numbers, in the order the
    placeholder gives), or None for the family's default.

    Example:
        >>> parse_budget("mlp", "640, 26")
        MlpBudget(max_macs=640, max_units=26)
        >>> parse_budget("tree", "")
    """
    if not text_value.strip():
        return None
    if family not in BUDGET_FIELDS:
        raise InputError(f"The {family} family takes no model budget here; leave it blank.")
    _hint, names, kind = BUDGET_FIELDS[family]
    parts = [p.strip() for p in text_value.split(",")]
    expected = len(names.split(","))
    if len(parts) != expected or not all(p.isdigit() for p in parts):
        raise InputError(
            f"A {family} model budget is {expected} whole number(s): {names} "
            f"(got {text_value!r}); leave it blank for the default."
        )
    budget = kind(*(int(p) for p in parts))
    try:
        encode_budget(budget)
    except DataValidationError as error:
        raise InputError(str(error)) from None
    return budget


EVALUATION_OPTIONS = [("on chain (every chunk)", "on-chain"),
                      ("optimistic (bonded claims)", "optimistic")]  # fmt: skip
EVALUATION_TIP = (
    "on chain: the contract scores every model on every test chunk. optimistic: anyone posts a "
    "bonded claim of a model's per-chunk results; during the challenge window anyone may have "
    "one chunk scored on chain, and a wrong claim loses its bond."
)


MIN_PUBLIC_WINDOW = 3600
"""The shortest public window the factory accepts (seconds)."""
MERGER_TIP = "teams form and merge until then (UTC); blank: until the end of submissions"


class CompetitionForm(widgets.VBox):
    """Fields: ``source``, ``upload``, ``target``, ``test_upload`` (optional hidden test
    set), ``creator``, ``name``, ``description``, ``reward``, ``bond`` (creator bond;
    blank = the reward), ``test_size``, ``task`` (``"auto"``: from the target),
    ``family`` (the model family: linear, mlp, tree), ``models_per_call``, ``budget``
    (the model budget for the family, comma-separated; blank = the default),
    ``entry_stake``, ``max_submissions`` (per address, 0 = no cap), ``metric`` (``"auto"``:
    accuracy or MSE; only the metrics of the task, once it is known) with
    ``metric_help``, ``entries_per_period`` (0 = no cap) and ``period_days`` (the entry
    period's length in days; blank without a cap), ``finals`` (per participant, 0 = all),
    ``multiple_places`` (a checkbox: several prize places per participant; each rule's
    tooltip says what it means), ``seed`` (of the split), ``ends`` (end of submissions:
    an :class:`~mlmarket.ui.base.IsoDatetime`, typed ``YYYY-MM-DD HH:MM`` in UTC; its
    ``value`` is the datetime), ``reveal_days``, ``test_reveal_days``, ``evaluation_days``,
    ``payout`` (percent per place); ``evaluation`` (on chain or optimistic) with
    ``challenge_hours`` (the claims' challenge window; blank = a quarter of the evaluation
    phase), ``claim_bond`` and ``challenge_bond`` (blank = the defaults); the public
    leaderboard: ``public_size`` (a share of the hidden test rows, or a number of rows;
    blank or 0 = none), ``public_hours`` (the public window in hours; blank = half the
    test-reveal period) and ``public_claim_bond`` (blank = 1 % of the reward); performance
    stakes: ``slash`` (%, of the entry stake; blank or 0 = none) and ``stake_threshold`` (in
    the metric's units); ``merger_deadline`` (an :class:`~mlmarket.ui.base.IsoDatetime`;
    blank = the end of submissions)."""

    def __init__(self, state: MarketState, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = state
        names = account_names(state.market)
        self.source = dropdown("Data", "mlm-comp-source", source_options())
        self.upload = widgets.FileUpload(accept=".csv", multiple=False, description="CSV")
        self.upload.add_class("mlm-comp-upload")
        self.target = dropdown("Target", "mlm-comp-target")
        self.test_upload = widgets.FileUpload(accept=".csv", multiple=False, description="Test CSV")
        self.test_upload.add_class("mlm-comp-test-upload")
        self.creator = dropdown("Creator", "mlm-comp-creator", names, value=names[1])
        self.name = text("Name", "mlm-comp-name", "Diagnosis challenge")
        self.description = text("Description", "mlm-comp-description")
        self.reward = text("Reward", "mlm-comp-reward", "100")
        self.bond = text("Creator bond", "mlm-comp-bond", "", placeholder="= reward")
        self.bond_help = widgets.HTML(BOND_HELP)
        self.test_size = text("Test share", "mlm-comp-test-size", "0.3")
        self.task = dropdown("Task", "mlm-comp-task", TASK_OPTIONS, value=AUTO)
        self.seed = text("Split seed", "mlm-comp-seed", "0")
        self.family = dropdown("Models", "mlm-comp-family", FAMILY_OPTIONS, value=FAMILY)
        self.family_help = widgets.HTML()
        self.models_per_call = text("Models per call", "mlm-comp-models-per-call",
                                    str(MODELS_PER_CALL))  # fmt: skip
        self.budget = text("Model budget", "mlm-comp-budget", "")
        self.entry_stake = text("Entry stake", "mlm-comp-entry-stake", "0")
        self.max_submissions = text("Entries per address", "mlm-comp-max-submissions", "0",
                                    placeholder="0 = no cap")  # fmt: skip
        self.metric = dropdown("Metric", "mlm-comp-metric", metric_options(None), value=AUTO,
                               layout=widgets.Layout(width="300px"))  # fmt: skip
        self.metric_help = widgets.HTML(layout=widgets.Layout(width="370px"))
        self.entries_per_period = text("Entries per period", "mlm-comp-entries-per-period", "0",
                                       placeholder="0 = no cap")  # fmt: skip
        self.period_days = text("Entry period (d)", "mlm-comp-period-days", "",
                                placeholder="1 = daily")  # fmt: skip
        self.finals = text("Finals", "mlm-comp-finals", "0", placeholder="0 = all")
        self.multiple_places = widgets.Checkbox(
            value=False, description="Several places per participant", indent=False
        )
        self.multiple_places.add_class("mlm-comp-multiple-places")
        for name, tip in RULE_TIPS.items():
            getattr(self, name).tooltip = tip
        self.ends = IsoDatetime("Submit until", "mlm-comp-ends")
        self.reveal_days = text("Reveal (d)", "mlm-comp-reveal-days", "1")
        self.test_reveal_days = text("Test reveal (d)", "mlm-comp-test-reveal-days", "1")
        self.evaluation_days = text("Evaluation (d)", "mlm-comp-evaluation-days", "2")
        self.payout = text("Payout (%)", "mlm-comp-payout", "60, 30, 10")
        self.evaluation = dropdown("Evaluation", "mlm-comp-evaluation", EVALUATION_OPTIONS,
                                   value="on-chain")  # fmt: skip
        self.challenge_hours = text("Challenge window (h)", "mlm-comp-challenge-hours", "",
                                    placeholder="¼ of evaluation")  # fmt: skip
        self.claim_bond = text("Claim bond", "mlm-comp-claim-bond", "", placeholder="reward / 10")
        self.challenge_bond = text("Challenge bond", "mlm-comp-challenge-bond", "",
                                   placeholder="claim bond / 10")  # fmt: skip
        for field in (self.challenge_hours, self.claim_bond, self.challenge_bond):
            field.style.description_width = "initial"
            field.layout.width = "220px"
        self.evaluation.tooltip = EVALUATION_TIP
        self.public_size = text("Public rows", "mlm-comp-public-size", "",
                                placeholder="0.3 or 40; blank: none")  # fmt: skip
        self.public_hours = text("Public window (h)", "mlm-comp-public-hours", "",
                                 placeholder="½ of test reveal")  # fmt: skip
        self.public_claim_bond = text("Public claim bond", "mlm-comp-public-claim-bond", "",
                                      placeholder="reward / 100")  # fmt: skip
        self.slash = text("Slash (%)", "mlm-comp-slash", "", placeholder="blank: no stakes")
        self.stake_threshold = text("Stake threshold", "mlm-comp-stake-threshold", "",
                                    placeholder="e.g. 0.9 accuracy")  # fmt: skip
        self.merger_deadline = IsoDatetime("Teams until", "mlm-comp-merger-deadline")
        self.merger_deadline.text.placeholder = "blank: end of submissions"
        self.merger_deadline.text.tooltip = MERGER_TIP
        for field, width in ((self.public_size, "250px"), (self.public_hours, "250px"),
                             (self.public_claim_bond, "250px"), (self.slash, "220px"),
                             (self.stake_threshold, "260px")):  # fmt: skip
            field.style.description_width = "initial"
            field.layout.width = width
        for name, tip in BOARD_TIPS.items():
            getattr(self, name).tooltip = tip
        self._auto_end: datetime | None = None
        self._frame: pd.DataFrame | None = None  # the data, to tell the task from the target
        self.source.observe(self._source_changed, names="value")
        self.upload.observe(self._source_changed, names="value")
        state.observe(lambda _: self._offer_listings(), names="listings")
        state.observe(lambda _: self._follow_clock(), names="time")
        self.family.observe(lambda _: self._family_changed(), names="value")
        self.task.observe(lambda _: self._offer_metrics(), names="value")
        self.target.observe(lambda _: self._offer_metrics(), names="value")
        for field in (self.reveal_days, self.test_reveal_days, self.evaluation_days,
                      self.payout, self.test_size, self.bond, self.models_per_call,
                      self.entry_stake, self.max_submissions, self.budget,
                      self.entries_per_period, self.period_days, self.finals):  # fmt: skip
            field.style.description_width = "initial"
        for field, width in ((self.budget, "260px"), (self.models_per_call, "180px"),
                             (self.entry_stake, "180px"),
                             (self.max_submissions, "200px"), (self.entries_per_period, "200px"),
                             (self.period_days, "190px"), (self.finals, "130px")):  # fmt: skip
            field.layout.width = width  # one row for the entry rules
        rules = [self.entry_stake, self.max_submissions, self.entries_per_period,
                 self.period_days, self.finals]  # fmt: skip
        self.children = [
            widgets.HBox([self.source, self.upload, self.target]),
            widgets.HBox([self.test_upload, widgets.HTML(TEST_HELP)]),
            widgets.HBox([self.creator, self.name, self.reward, self.test_size]),
            widgets.HBox([self.description, self.task, self.seed]),
            widgets.HBox([self.family, self.models_per_call, self.family_help]),
            widgets.HBox([self.budget, self.metric, self.metric_help]),
            widgets.HBox(rules),
            widgets.HBox([self.ends, self.reveal_days, self.test_reveal_days]),
            widgets.HBox([self.evaluation_days, self.payout, self.multiple_places]),
            widgets.HBox([self.bond, self.bond_help]),
            widgets.HBox(
                [self.evaluation, self.challenge_hours, self.claim_bond, self.challenge_bond]
            ),  # fmt: skip
            widgets.HBox([self.public_size, self.public_hours, self.public_claim_bond]),
            widgets.HBox([self.slash, self.stake_threshold, self.merger_deadline]),
        ]
        self._offer_listings()
        self._source_changed()
        self._follow_clock()
        self._family_changed()
        self._offer_metrics()

    # --- keeping the form current --------------------------------------------------------

    def _offer_listings(self) -> None:
        listings = [
            (f"listing #{i}: {row['name']}", f"{LISTING}{i}")
            for i, row in self.state.listings.iterrows()
            if row["labelled"]
        ]
        set_options(self.source, [*source_options(), *listings])

    def _family_changed(self) -> None:
        """Say which scikit-learn models the chosen family's evaluator scores."""
        accepted = SUPPORTED_FAMILIES.get(self.family.value, "")
        self.family_help.value = f'<small class="mlm-comp-family-help">scores {accepted}</small>'
        self.budget.placeholder = BUDGET_FIELDS.get(self.family.value, ("",))[0]

    def known_task(self) -> str | None:
        """The task: as chosen, or (``auto``) as the target's values say (float values:
        regression), or None while that is not known (no target, a listing's data)."""
        if self.task.value != AUTO:
            return str(self.task.value)
        target, frame = self.target.value, self._frame
        if target is None or frame is None or target not in frame.columns:
            return None
        return "regression" if frame[target].dtype.kind == "f" else "classification"

    def _offer_metrics(self) -> None:
        """Offer the metrics of the task (all of them while it is unknown); a choice the task
        rules out goes back to ``auto``."""
        task = self.known_task()
        options = metric_options(task)
        chosen = self.metric.value
        if chosen not in [value for _, value in options]:
            chosen = AUTO
        if list(self.metric.options) != options:
            self.metric.options = options
        self.metric.value = chosen
        helps = [METRIC_HELP[task]] if task else list(METRIC_HELP.values())
        self.metric_help.value = f'<small class="mlm-comp-metric-help">{"; ".join(helps)}.</small>'

    def _follow_clock(self) -> None:
        """Default the end of submissions to two days ahead, until the user picks one."""
        if not self.ends.text.value.strip() or self.ends.value == self._auto_end:
            start = datetime.fromtimestamp(self.state.time, tz=UTC).replace(second=0)
            self._auto_end = start + timedelta(days=2)
            self.ends.value = self._auto_end

    def _source_changed(self, change: dict[str, Any] | None = None) -> None:
        self._frame = None
        source = self.source.value
        suggested = SAMPLES[source].target if source in SAMPLES else None
        if source is None or source.startswith(LISTING):
            listing = self._listing_row(source)
            columns = [] if listing is None else [str(listing["target"])]
            suggested = columns[0] if columns else None
        else:
            try:
                self._frame = load_source(source, self.upload.value)
                columns = [str(c) for c in self._frame.columns]
            except InputError:
                columns = []
        current = self.target.value
        set_options(self.target, columns)
        if suggested in columns:
            self.target.value = suggested
        else:  # keep the user's target if the new data has it; never pick one silently
            self.target.value = current if current in columns else None
        self._offer_metrics()  # the same target may mean another task in other data

    def _listing_row(self, source: str | None) -> pd.Series | None:
        if source is None:
            return None
        listing_id = int(source.removeprefix(LISTING))
        listings = self.state.listings
        return listings.loc[listing_id] if listing_id in listings.index else None

    # --- reading the form ---------------------------------------------------------------

    def data(self, creator: str) -> pd.DataFrame:
        """The chosen data: a sample, the upload, or a listing ``creator`` downloads."""
        source = self.source.value
        if source is not None and source.startswith(LISTING):
            listing_id = int(source.removeprefix(LISTING))
            return self.state.market.data.download(listing_id, buyer=creator)
        return load_source(source, self.upload.value)

    def request(self) -> dict[str, Any]:
        """The checked keyword arguments for ``market.competitions.create``: every one of
        them, with ``data`` last (or ``listing`` and ``test`` when training on a listing)."""
        name = required(self.name.value, "competition name")
        reward = positive_amount(self.reward.value, "reward", allow_zero=False)
        bond = self._bond()
        test_size = positive_amount(self.test_size.value, "test share", allow_zero=False)
        if test_size >= 1:
            raise InputError(f"The test share must be below 1 (got {self.test_size.value}).")
        if self.target.value is None:
            raise InputError(
                "Choose the target column the models must predict (a column of the data)."
            )
        submission = self._submission_seconds()
        periods = {"submission": submission}
        for phase, field in (
            ("reveal", self.reveal_days),
            ("test_reveal", self.test_reveal_days),
            ("evaluation", self.evaluation_days),
        ):
            label = field.description.removesuffix(" (d)").lower() + " period"
            days = positive_amount(field.value, label, allow_zero=False)
            periods[phase] = int(days * DAY)
        payout = parse_payout(self.payout.value)
        rules = {
            "model_family": self.family.value,
            "task": None if self.task.value == AUTO else self.task.value,
            "models_per_call": whole_number(self.models_per_call.value, "models per call", low=1),
            "entry_stake": positive_amount(self.entry_stake.value, "entry stake"),
            "max_submissions_per_address": whole_number(
                self.max_submissions.value, "cap on entries per address (0 = no cap)"
            ),
            "seed": whole_number(self.seed.value, "split seed"),
            "model_budget": parse_budget(self.family.value, self.budget.value),
            **self._rules(),
            **self._optimistic(),
            **self._public_board(periods["test_reveal"]),
        }
        rules.update(self._stakes(rules["entry_stake"]), **self._merger(submission))
        return {
            "name": name, "description": self.description.value.strip(),
            "creator": self.creator.value, "reward": reward, "creator_bond": bond,
            "test_size": float(test_size), "target": self.target.value,
            "periods": periods, "payout": payout, **rules, **self._data(self.target.value),
        }  # fmt: skip

    def _data(self, target: str) -> dict[str, Any]:
        """``data`` (and ``test`` if uploaded), or ``listing`` and ``test``, all checked."""
        test = None
        if self.test_upload.value:
            test = check_frame(read_upload(self.test_upload.value), target=target)
        source = self.source.value
        if test is not None and source is not None and source.startswith(LISTING):
            return {"test": test, "listing": int(source.removeprefix(LISTING))}
        frame = check_frame(self.data(self.creator.value), target=target)
        if test is None:
            return {"data": frame}
        return {"test": check_frame(test, columns=[str(c) for c in frame.columns]), "data": frame}

    def _rules(self) -> dict[str, Any]:
        """``metric``, ``entries_per_period`` with its ``period`` (seconds), ``finals`` and
        ``multiple_places``, checked."""
        cap = whole_number(self.entries_per_period.value, "cap on entries per period "
                           "(0 = no cap)", high=2**32 - 1)  # fmt: skip
        typed = self.period_days.value.strip()
        period = None
        if cap and not typed:
            raise InputError(
                f"A cap of {cap} entries per period needs the period's length: type it in "
                "days in Entry period (d), e.g. 1 for a daily cap (0.25 for every 6 hours)."
            )
        if typed and not cap:
            raise InputError(
                "An entry period only counts entries per period: set Entries per period above "
                "0 to cap them, or clear Entry period (d) for no cap."
            )
        if cap:
            days = positive_amount(typed, "entry period (days)", allow_zero=False)
            period = int(days * DAY)
            if period < 1:
                raise InputError(f"The entry period must last at least a second (got {typed} d).")
        return {
            "metric": None if self.metric.value == AUTO else self.metric.value,
            "entries_per_period": cap,
            "period": period,
            "finals": whole_number(
                self.finals.value, "number of finals per participant (0 = all)", high=255
            ),
            "multiple_places": bool(self.multiple_places.value),
        }

    def _optimistic(self) -> dict[str, Any]:
        """``evaluation`` and, when optimistic, ``challenge_window`` (seconds), ``claim_bond``
        and ``challenge_bond`` (None = the defaults), checked; on chain the three are None."""
        fields = (self.challenge_hours, self.claim_bond, self.challenge_bond)
        if self.evaluation.value != "optimistic":
            if any(f.value.strip() for f in fields):
                raise InputError(
                    "A challenge window and bonds are for optimistic evaluation: choose "
                    "Evaluation: optimistic, or clear them."
                )
            return {
                "evaluation": "on-chain",
                "challenge_window": None,
                "claim_bond": None,
                "challenge_bond": None,
            }
        hours = self.challenge_hours.value.strip()
        window = None
        if hours:
            window = int(
                positive_amount(hours, "challenge window (hours)", allow_zero=False) * 3600
            )
        bonds = {}
        for name, field in (("claim_bond", self.claim_bond),
                            ("challenge_bond", self.challenge_bond)):  # fmt: skip
            typed = field.value.strip()
            what = name.replace("_", " ")
            bonds[name] = positive_amount(typed, what, allow_zero=False) if typed else None
        return {"evaluation": "optimistic", "challenge_window": window, **bonds}

    def _public_board(self, test_reveal: int) -> dict[str, Any]:
        """``public_size`` (a share, a number of rows, or 0 for none), ``public_window``
        (seconds) and ``public_claim_bond`` (None = the defaults), checked; without a public
        board the window and the bond must be blank."""
        typed = self.public_size.value.strip()
        size: float | int = 0
        if typed:
            number = positive_amount(typed, "number of public rows")
            if number == number.to_integral_value() and "." not in typed:
                size = int(number)
            elif 0 < number < 1:
                size = float(number)
            else:
                raise InputError(
                    "Public rows is a share of the hidden test rows between 0 and 1 (0.3) or a "
                    f"whole number of rows (40), not {typed!r}."
                )
        window_typed, bond_typed = self.public_hours.value.strip(), self.public_claim_bond.value
        if not size:
            if window_typed or bond_typed.strip():
                raise InputError(
                    "A public window and a public claim bond are for a public leaderboard: "
                    "give Public rows (a share or a number of the hidden test rows), or clear "
                    "them."
                )
            return {"public_size": 0, "public_window": None, "public_claim_bond": None}
        window = None
        if window_typed:
            hours = positive_amount(window_typed, "public window (hours)", allow_zero=False)
            window = int(hours * 3600)
            if not MIN_PUBLIC_WINDOW <= window < test_reveal:
                raise InputError(
                    f"The public window must be at least 1 h and shorter than the test-reveal "
                    f"period ({duration(test_reveal)}): public claims are checked that long "
                    f"after the reveal deadline, then the private test set is revealed; got "
                    f"{window_typed} h."
                )
        bond = None
        if bond_typed.strip():
            bond = positive_amount(bond_typed, "public claim bond", allow_zero=False)
        return {"public_size": size, "public_window": window, "public_claim_bond": bond}

    def _stakes(self, entry_stake: Decimal) -> dict[str, Any]:
        """``slash`` (a fraction of the entry stake; 0 = no performance stakes) and
        ``stake_threshold`` (in the metric's units, or None), checked together."""
        typed, threshold_typed = self.slash.value.strip(), self.stake_threshold.value.strip()
        percent = positive_amount(typed, "slash (%)") if typed else Decimal(0)
        if percent > 100 or (percent * 100) % 1:
            raise InputError(
                f"The slash is a percentage of the entry stake from 0 to 100 with at most two "
                f"decimals, not {typed!r}."
            )
        threshold = None
        if threshold_typed:
            threshold = positive_amount(threshold_typed, "stake threshold")
        if not percent:
            if threshold is not None:
                raise InputError(
                    "A stake threshold only counts with performance stakes: set Slash (%) "
                    "above 0, or clear Stake threshold."
                )
            return {"slash": Decimal(0), "stake_threshold": None}
        if not entry_stake:
            raise InputError(
                "Performance stakes need an entry stake (the slash is a share of it): set Entry "
                "stake above 0, or clear Slash (%)."
            )
        if threshold is None:
            raise InputError(
                "A slash needs a stake threshold: the private score a staked final must beat "
                "to keep its stake, in the metric's units (e.g. 0.9 accuracy)."
            )
        return {"slash": percent / 100, "stake_threshold": threshold}

    def _merger(self, submission: int) -> dict[str, Any]:
        """``merger_deadline`` (a UTC Timestamp, or None: the end of submissions), checked
        to fall after chain time and at the latest at the end of submissions."""
        if not self.merger_deadline.text.value.strip():
            return {"merger_deadline": None}
        at = int(self.merger_deadline.checked().timestamp())
        now = self.state.market.clock.now()
        if not now < at <= now + submission:
            raise InputError(
                f"Teams until must fall after chain time ({when(now)}) and at the latest at the "
                f"end of submissions ({when(now + submission)}); got {when(at)}."
            )
        return {"merger_deadline": pd.Timestamp(at, unit="s", tz="UTC")}

    def _bond(self) -> Decimal | None:
        """The creator bond in tokens (zero allowed), or None (blank): as much as the reward."""
        if not self.bond.value.strip():
            return None
        return positive_amount(self.bond.value, "creator bond")

    def _submission_seconds(self) -> int:
        if not self.ends.text.value.strip():
            raise InputError("Choose when submissions end.")
        now = self.state.market.clock.now()
        ends = int(self.ends.checked().timestamp())
        if ends <= now:
            raise InputError(
                f"The submission deadline {when(ends)} is in the past: chain time is "
                f"{when(now)}. Pick a later date."
            )
        return ends - now
