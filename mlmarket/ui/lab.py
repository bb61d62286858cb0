"""The mechanism lab's panel: pick a ready scenario, set its params, sweep one, plot a measure.

:class:`LabPanel` (or :func:`lab_panel`) plays :mod:`mlmarket.sim` scenarios from a form:

* ``scenario``: a ready scenario (:func:`mlmarket.sim.scenarios.names`); its description
  shows under it, and ``fields`` holds one widget per param, built from the scenario's
  defaults (an ``IntText`` for a whole number, a ``FloatText`` for a number, a ``Text``
  for a word or a payout split such as ``0.7, 0.3``);
* ``swept`` + ``values``: the param to sweep and its values, comma-separated (``0, 0.5,
  1``; payout splits are separated by semicolons: ``1; 0.7, 0.3``); the swept param's own
  field is greyed out;
* ``runs`` and ``seed``: Monte Carlo runs per value, and the seed (the same seed gives
  the same frame);
* ``run_button``: plays every run in this kernel, ``progress`` counting finished runs;
  then ``plot`` (an ``Output``) shows ``metric`` against the swept values (the mean over
  runs, error bars one standard deviation) and ``rows`` the last row of every run.
  ``frame`` is the tidy frame, the same as :func:`mlmarket.sim.sweep` gives with the same
  values, runs and seed (``executor="serial"``); ``summary`` is what the plot shows.

The metric ``gas`` is the gas a run used in all (the sum of its actions); every other
metric is its value at the end of the run. Changing ``metric`` redraws the plot without
running again. A value the panel cannot use (a word for a number, a split that does not sum
to 1, no runs) is refused with a sentence in ``feedback``, as is a run the simulation
refuses; nothing is raised into the notebook.

Example:
    >>> panel = LabPanel()
    >>> panel.scenario.value = "honest"
    >>> list(panel.fields)
    ['reward', 'bond', 'entry_stake', 'payout', 'participation_cost']
    >>> panel.swept.value, panel.fields["payout"].disabled
    ('payout', True)
    >>> panel.values.value = "1; 0.7, 0.3"
    >>> panel.sweep_values()
    [(1,), (0.7, 0.3)]
    >>> panel.values.value = "1; 0.5, 0.6"
    >>> panel.run_button.click()                  # refused in the panel: nothing runs
    >>> panel.feedback.value
    '<span class="mlm-msg-error">The payout shares must add up to 1; 0.5, 0.6 add up to 1.1.</span>'
"""

from __future__ import annotations

import base64
import logging
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mlmarket.errors import MlmarketError
from mlmarket.sim import scenarios
from mlmarket.sim.models import MODELS
from mlmarket.sim.runner import Worker, frame_of
from mlmarket.ui.base import InputError, dropdown, text, whole_number
from mlmarket.ui.render import STYLE, message, png, table

__all__ = ["METRICS", "LabPanel", "lab_panel", "parse_value", "parse_values", "summarize"]

log = logging.getLogger(__name__)

METRICS = (
    "profit_attacker",
    "profit_honest",
    "winner_quality",
    "entries",
    "collection_quality",
    "poisoned_share",
    "gas",
)
"""What the plot can show against the swept param."""

SUGGESTED = {
    "bond": "0, 0.5, 1",
    "payout": "1; 0.7, 0.3; 0.5, 0.3, 0.2; 0.4, 0.3, 0.2, 0.1",
    "honesty": "0, 0.5, 1",
    "review_window": "43200, 172800",
    "sybil_model": "junk, logistic",
    "entry_stake": "0, 1, 5",
    "reward": "50, 100, 200",
    "price": "10, 20, 40",
}
"""Values offered when a param is chosen to sweep; other params start from their default."""

FIRST_SWEPT = {
    "honest": "payout",
    "sybil_default": "bond",
    "self_dealing_curator": "honesty",
    "copycat_and_spam": "payout",
}
"""The param a scenario's sweep starts on (else the first param with suggested values)."""

CHOICES = {
    "sybil_model": ("junk", *MODELS),
    "evaluation": ("on-chain", "optimistic"),
}
"""Params that take one of a few words."""

SHOWN = ["subset", "run", "step", "outcome", "entries", "profit_honest", "profit_attacker"]
"""The columns of the last-rows table (with the swept param and the metric)."""

FIELD_LAYOUT = widgets.Layout(width="250px")
FIELD_STYLE = {"description_width": "120px"}


# --- values --------------------------------------------------------------------------------


def _number(typed: str, what: str) -> int | float:
    """A number from text: whole if written whole; finite, not negative."""
    cleaned = typed.strip()
    try:
        number: int | float = int(cleaned)
    except ValueError:
        try:
            number = float(cleaned)
        except ValueError:
            raise InputError(f"{what} must be a number, not {cleaned!r}.") from None
    if not math.isfinite(number):
        raise InputError(f"{what} must be a finite number, not {cleaned!r}.")
    if number < 0:
        raise InputError(f"{what} cannot be negative (got {cleaned}).")
    return number


def _split(numbers: Sequence[Any]) -> str:
    """A payout split as typed: ``0.7, 0.3``."""
    return ", ".join(str(n) for n in numbers)


def parse_value(typed: Any, default: Any, name: str) -> Any:
    """One value of param ``name`` as the simulation takes it, read like its ``default``.

    Example:
        >>> parse_value("0.7, 0.3", (1,), "payout"), parse_value(" 2 ", 1.0, "bond")
        ((0.7, 0.3), 2)
        >>> parse_value("many", 1.0, "bond")
        Traceback (most recent call last):
        ...
        mlmarket.ui.base.InputError: bond must be a number, not 'many'.
    """
    if isinstance(default, bool):
        value: Any = typed if isinstance(typed, bool) else str(typed).strip().lower() == "true"
    elif isinstance(default, int | float):
        value = typed if isinstance(typed, int | float) else _number(str(typed), name)
        if not math.isfinite(value) or value < 0:
            raise InputError(f"{name} must be a number, not negative (got {value}).")
    elif isinstance(default, tuple | list):
        parts = str(typed).strip().strip("()[]").split(",")
        value = tuple(_number(p, f"Each share of {name}") for p in parts if p.strip())
        if not value:
            raise InputError(f"Give the {name}: numbers separated by commas, e.g. 0.7, 0.3.")
    else:
        value = str(typed).strip()
        if not value:
            raise InputError(f"Give a value for {name}; it cannot be empty.")
    _check(name, value)
    return value


def parse_values(typed: str, default: Any, name: str) -> list[Any]:
    """The values to sweep param ``name`` over: comma-separated (payout splits separated by
    semicolons), each read like ``default``.

    Example:
        >>> parse_values("0, 0.5, 1", 1.0, "bond")
        [0, 0.5, 1]
        >>> parse_values("1; 0.5, 0.5", (1,), "payout")
        [(1,), (0.5, 0.5)]
        >>> parse_values("junk, logistic", "junk", "sybil_model")
        ['junk', 'logistic']
    """
    separator = ";" if isinstance(default, tuple | list) else ","
    parts = [p for p in typed.split(separator) if p.strip()]
    if not parts:
        example = SUGGESTED.get(name, "1, 2")
        raise InputError(f"Give the values of {name} to sweep, e.g. {example}.")
    values = [parse_value(p, default, name) for p in parts]
    if len({repr(v) for v in values}) != len(values):
        raise InputError(f"The values of {name} repeat one another; give each once.")
    return values


def _check(name: str, value: Any) -> None:
    """The rules a few params follow, checked before anything runs."""
    if name == "payout":
        if len(value) > 10 or any(share <= 0 for share in value):
            raise InputError(
                f"A payout gives each of 1 to 10 places a share above 0; got {_split(value)}."
            )
        total = sum(value)
        if abs(total - 1) > 1e-9:
            raise InputError(
                f"The payout shares must add up to 1; {_split(value)} add up to {total:g}."
            )
    elif name == "reward" and value <= 0:
        raise InputError(f"The reward must be more than 0 (got {value}).")
    elif name == "honesty" and not 0 <= value <= 1:
        raise InputError(f"honesty is a chance, from 0 to 1 (got {value}).")
    elif name in CHOICES and value not in CHOICES[name]:
        raise InputError(f"{name} must be one of {', '.join(CHOICES[name])} (got {value!r}).")


# --- results -------------------------------------------------------------------------------


def summarize(frame: pd.DataFrame, param: str, metric: str) -> pd.DataFrame:
    """``metric`` per value of ``param``: ``mean``, ``std`` (0 for a single run) and ``runs``,
    one row per value in the order swept. ``gas`` is summed over each run's actions; any
    other metric is taken from the run's last row.

    Example:
        >>> frame = pd.DataFrame({"subset": [0, 0, 1], "run": [0, 1, 0], "bond": [0, 0, 1],
        ...                       "entries": [2, 4, 3], "gas": [1, 1, 1]})
        >>> summarize(frame, "bond", "entries").round(2).to_dict("index")
        {0: {'mean': 3.0, 'std': 1.41, 'runs': 2}, 1: {'mean': 3.0, 'std': 0.0, 'runs': 1}}
    """
    runs = frame.groupby(["subset", "run"], sort=True)
    per_run = runs[metric].sum() if metric == "gas" else runs[metric].last()
    values = runs[param].first()
    table_ = pd.DataFrame({"value": values, "metric": per_run.astype(float)}).reset_index()
    groups = table_.groupby("subset", sort=True)
    summary = pd.DataFrame(
        {
            param: groups["value"].first(),
            "mean": groups["metric"].mean(),
            "std": groups["metric"].std().fillna(0.0),
            "runs": groups["metric"].size(),
        }
    )
    return summary.set_index(param)


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in values)


def draw(summary: pd.DataFrame, param: str, metric: str, title: str) -> Figure:
    """The metric's mean against the swept values, error bars one standard deviation."""
    figure = Figure(figsize=(6, 3.6))
    ax = figure.subplots()
    values = list(summary.index)
    x = values if _numeric(values) else list(range(len(values)))
    ax.errorbar(x, summary["mean"], yerr=summary["std"], marker="o", capsize=4)
    if not _numeric(values):
        ax.set_xticks(x, [_split(v) if isinstance(v, tuple) else str(v) for v in values])
    if summary["mean"].isna().all():
        ax.text(0.5, 0.5, f"no {metric} in this scenario", ha="center", va="center",
                transform=ax.transAxes, color="#777")  # fmt: skip
    ax.set_xlabel(param)
    ax.set_ylabel(metric)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    figure.tight_layout()
    return figure


def _figure_output(figure: Figure) -> dict[str, Any]:
    """A figure as one ``display_data`` output of an ``Output`` widget (no kernel needed)."""
    data = base64.b64encode(png(figure)).decode()
    return {
        "output_type": "display_data",
        "data": {"image/png": data, "text/plain": f"<Figure: {figure.axes[0].get_title()}>"},
        "metadata": {},
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# --- the panel -----------------------------------------------------------------------------


class LabPanel(widgets.VBox):
    """The mechanism lab in a panel (see the module's docstring for its widgets)."""

    title = "Mechanism lab"

    def __init__(self, scenario: str = "sybil_default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("mlm-panel")
        self.add_class("mlm-lab-panel")
        self.frame: pd.DataFrame | None = None
        self.summary: pd.DataFrame | None = None
        self.figure: Figure | None = None
        self.fields: dict[str, widgets.Widget] = {}
        self._worker: Worker | None = None
        self._param = ""
        self.feedback = widgets.HTML(value="")
        self.feedback.add_class("mlm-feedback")
        self.scenario = dropdown("Scenario", "mlm-lab-scenario", scenarios.names(),
                                 value=scenario)  # fmt: skip
        self.description = widgets.HTML()
        self.description.add_class("mlm-lab-description")
        self.params_box = widgets.Box(layout=widgets.Layout(flex_flow="row wrap"))
        self.params_box.add_class("mlm-lab-params")
        self.swept = dropdown("Sweep", "mlm-lab-swept")
        self.values = text("Values", "mlm-lab-values", layout=widgets.Layout(width="420px"),
                           placeholder="comma-separated, e.g. 0, 0.5, 1")  # fmt: skip
        self.runs = widgets.IntText(
            value=2, description="Runs", layout=widgets.Layout(width="150px")
        )
        self.runs.add_class("mlm-lab-runs")
        self.seed = widgets.IntText(
            value=1, description="Seed", layout=widgets.Layout(width="150px")
        )
        self.seed.add_class("mlm-lab-seed")
        self.metric = dropdown("Metric", "mlm-lab-metric", METRICS, value="profit_attacker")
        self.run_button = widgets.Button(
            description="Run",
            button_style="primary",
            tooltip="play every run of the sweep in this kernel",
        )
        self.run_button.add_class("mlm-lab-run")
        self.run_button.on_click(lambda _: self.run())
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="0 runs")
        self.progress.add_class("mlm-lab-progress")
        self.plot = widgets.Output()
        self.plot.add_class("mlm-lab-plot")
        self.rows = widgets.HTML()
        self.rows.add_class("mlm-lab-rows")
        self.scenario.observe(lambda _: self._build_fields(), names="value")
        self.swept.observe(lambda _: self._sweep_chosen(), names="value")
        self.metric.observe(lambda _: self._redraw(), names="value")
        self.children = (
            widgets.HTML(f"{STYLE}<b>{self.title}</b>"),
            self.feedback,
            widgets.HBox([self.scenario, self.description]),
            self.params_box,
            widgets.HBox([self.swept, self.values]),
            widgets.HBox([self.runs, self.seed, self.metric, self.run_button, self.progress]),
            self.plot,
            widgets.HTML("<i>Last row of each run</i>"),
            self.rows,
        )
        self._build_fields()

    # --- the form ------------------------------------------------------------------------

    @property
    def defaults(self) -> Mapping[str, Any]:
        """The chosen scenario's default params."""
        return scenarios.get(self.scenario.value).params

    def _build_fields(self) -> None:
        chosen = scenarios.get(self.scenario.value)
        self.description.value = f"<i>{chosen.description}</i>"
        self.fields = {name: _field(name, value) for name, value in chosen.params.items()}
        self.params_box.children = tuple(self.fields.values())
        names = list(chosen.params)
        self.swept.options = names
        suggested = [n for n in (FIRST_SWEPT.get(chosen.name), *SUGGESTED) if n in names]
        self.swept.value = suggested[0] if suggested else (names[0] if names else None)
        self._sweep_chosen()

    def _sweep_chosen(self) -> None:
        name = self.swept.value
        for param, field in self.fields.items():
            field.disabled = param == name
        if name is None:
            self.values.value = ""
            return
        default = self.defaults[name]
        shown = _split(default) if isinstance(default, tuple | list) else str(default)
        self.values.value = SUGGESTED.get(name, shown)
        tuples = isinstance(default, tuple | list)
        self.values.placeholder = (
            "splits separated by semicolons, e.g. 1; 0.7, 0.3" if tuples
            else f"comma-separated, e.g. {SUGGESTED.get(name, shown)}"
        )  # fmt: skip

    def sweep_values(self) -> list[Any]:
        """The typed values of the swept param, or :class:`InputError` saying what to type."""
        name = self.swept.value
        if name is None:
            raise InputError("This scenario has no params to sweep.")
        return parse_values(self.values.value, self.defaults[name], name)

    def params(self) -> dict[str, Any]:
        """Every param: the fixed ones as typed, the swept one as its list of values."""
        chosen: dict[str, Any] = {}
        for name, default in self.defaults.items():
            if name != self.swept.value:
                chosen[name] = parse_value(self.fields[name].value, default, name)
        if self.swept.value is not None:
            chosen[self.swept.value] = self.sweep_values()
        return chosen

    # --- running -------------------------------------------------------------------------

    def run(self) -> pd.DataFrame | None:
        """Play the sweep the form describes (what the Run button does); the frame, or None
        when a value was refused (the reason is in ``feedback``)."""
        self.feedback.value = ""
        try:
            params = self.params()
            runs = whole_number(self.runs.value, "number of runs", low=1)
            seed = whole_number(self.seed.value, "seed", low=0)
        except InputError as refused:
            self.feedback.value = message(str(refused), error=True)
            return None
        self.run_button.disabled = True
        try:
            return self._play(params, runs, seed)
        finally:
            self.run_button.disabled = False

    def _play(self, params: dict[str, Any], runs: int, seed: int) -> pd.DataFrame | None:
        chosen = scenarios.get(self.scenario.value)
        name = self.swept.value
        values = params.pop(name) if name is not None else [None]
        subsets = [{**params, name: v} if name is not None else dict(params) for v in values]
        tasks = [
            (s, r, {**chosen.params, **combo})
            for s, combo in enumerate(subsets)
            for r in range(runs)
        ]  # the scenario's order of params, as sweep() has it
        self.progress.max, self.progress.value, self.progress.bar_style = len(tasks), 0, ""
        self.progress.description = f"0/{len(tasks)} runs"
        self.frame, self.summary, self.figure = None, None, None  # the last results are stale
        self.plot.outputs, self.rows.value = (), ""
        started = time.perf_counter()
        rows: list[dict[str, Any]] = []
        subset, run = 0, 0
        try:
            if self._worker is None:
                self._worker = Worker()
            for subset, run, combo in tasks:
                rows += self._worker.play(chosen, combo, subset=subset, run=run, seed=seed)
                self.progress.value += 1
                self.progress.description = f"{self.progress.value}/{len(tasks)} runs"
        except Exception as error:  # any refusal or failure is said in the panel, not raised
            self.progress.bar_style = "danger"
            log.debug("lab run failed", exc_info=True)
            where = f"{name} = {_label(values[subset])}, run {run}" if name else f"run {run}"
            said = str(error).strip().splitlines()[0] if str(error).strip() else ""
            kind = "" if isinstance(error, MlmarketError) else f"{type(error).__name__}: "
            self.feedback.value = message(
                f"The simulation stopped at {where}: {kind}{said or 'no reason given'}",
                error=True,
            )
            return None
        self.progress.bar_style = "success"
        frame = frame_of(rows)
        frame.attrs["mlmarket"] = {
            "scenario": chosen.name,
            "scenario_params": _jsonable(dict(chosen.params)),
            "swept": _jsonable({name: values} if name else {}),
            "subsets": _jsonable(subsets),
            "runs": runs,
            "seed": seed,
        }
        self.frame, self._param = frame, name or ""
        self._redraw()
        refused = frame.loc[frame["error"] != "", "error"]
        errors = f"; refused actions: {', '.join(sorted(set(refused)))}" if len(refused) else ""
        seconds = time.perf_counter() - started
        self.feedback.value = message(
            f"Played {len(tasks)} runs of {chosen.name} in {seconds:.1f} s{errors}."
        )
        return frame

    def _redraw(self) -> None:
        """Plot the chosen metric and show the last row of each run (after a run)."""
        frame, param, metric = self.frame, self._param, self.metric.value
        if frame is None or not param:
            return
        self.summary = summarize(frame, param, metric)
        runs = int(self.summary["runs"].max())
        scenario = frame.attrs.get("mlmarket", {}).get("scenario", "")
        spread = f"mean ± sd over {runs} runs" if runs > 1 else "1 run"
        self.figure = draw(self.summary, param, metric, f"{scenario}: {metric} ({spread})")
        self.plot.outputs = (_figure_output(self.figure),)
        last = frame.groupby(["subset", "run"]).tail(1)
        columns = list(dict.fromkeys([*SHOWN[:2], param, *SHOWN[2:], metric]))
        shown = last[[c for c in columns if c in last.columns]].copy()
        shown[param] = shown[param].map(lambda v: _label(v))
        self.rows.value = table(shown, index=False, css="mlm-lab-table")

    def close(self) -> None:
        """Close the widgets and the panel's market."""
        worker = getattr(self, "_worker", None)  # None too when closed half-built
        if worker is not None:
            self._worker = None
            worker.close()
        super().close()


def _label(value: Any) -> str:
    return _split(value) if isinstance(value, tuple | list) else str(value)


def _field(name: str, default: Any) -> widgets.Widget:
    """A param's widget, from its default value."""
    options = {"description": name, "layout": FIELD_LAYOUT, "style": FIELD_STYLE}
    if isinstance(default, bool):
        widget: widgets.Widget = widgets.Checkbox(value=default, **options)
    elif isinstance(default, int):
        widget = widgets.IntText(value=default, **options)
    elif isinstance(default, float):
        widget = widgets.FloatText(value=default, **options)
    elif isinstance(default, tuple | list):
        widget = widgets.Text(value=_split(default), **options)
    else:
        widget = widgets.Text(value=str(default), **options)
    widget.add_class(f"mlm-lab-param-{name}")
    return widget


def lab_panel(scenario: str = "sybil_default") -> LabPanel:
    """A :class:`LabPanel` on ``scenario`` (display it: the last line of a cell)."""
    return LabPanel(scenario)
