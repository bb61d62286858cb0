"""Competitions panel: open one, follow its phases, and take the step each phase allows.

Only the actions valid in the selected competition's current phase are
enabled: reveal (reveal phase), reveal the test set (test-reveal, the creator),
evaluate (evaluation, anyone; and default evaluation, on the training data, if
the creator defaulted), finalize (finalized, until done; optional, as the first
claim finalizes too) and claim (finalized). A disabled step says why in its
tooltip, as the API's refusal would: when it opens or closed, in chain time.
Submitting models happens in the train & submit panel. After a default the info
line shows the outcome "Defaulted" and how much was burned.

With a public leaderboard the rules say how many test rows are public, the public claim
bond and when the private test set may be revealed; *Reveal test set* stays disabled until
then (its tooltip says so, as ``comp.reveal_test_set`` refuses), and *Watch now* checks the
public claims of revealed models from the reveal phase on. Teams: the rules say until when
teams form (the merger deadline), the teams table lists each team (members with their
shares, formed or how many accepted, commits, the team it merged into) and *Form team*
(a name, members among the local accounts, optional shares in %) calls ``comp.team``; the
finals picker shows a member its team's submissions. Performance stakes: the rules give the
stake, the slash and the threshold; once finalized the stakes table lists each held stake
(staker, private score, whether it beats the threshold, payout, withdrawn) and *Withdraw
stakes* pays them (``comp.withdraw_stakes``).

Example:
    >>> panel = CompetitionsPanel(market)
    >>> panel.create_button.click()                   # the form's defaults: breast cancer
    >>> market.competitions.list()["phase"].tolist()
    ['submission']
    >>> panel.reveal_button.disabled                   # nothing to reveal while submitting
    True
    >>> panel.reveal_button.tooltip                    # doctest: +ELLIPSIS
    'Reveals open at ... UTC, in ... (chain time). The competition is in its submission phase.'
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
import pandas as pd

from mlmarket.market.phases import duration, moment, phase_refusal, relative
from mlmarket.market.tables import unix
from mlmarket.ml.metrics import LOWER_IS_BETTER, metric_label
from mlmarket.ui.base import (
    CompetitionPicker,
    InputError,
    Panel,
    account_names,
    dropdown,
    required,
    text,
)
from mlmarket.ui.competition_form import CompetitionForm
from mlmarket.ui.phases import DEFAULT_EVALUATION, PHASES, outcome_label, timeline
from mlmarket.ui.reading import burned
from mlmarket.ui.render import amount, table, when

if TYPE_CHECKING:
    from mlmarket.chain.core import TxRecord
    from mlmarket.market import Market
    from mlmarket.ui.state import MarketState

NO_COMPETITION = "Create or choose a competition first."
STEPS = {"reveal_button": "reveal", "reveal_test_button": "test_reveal",
         "evaluate_button": "evaluation", "finalize_button": "finalized",
         "claim_button": "finalized"}  # fmt: skip
"""Each step's button and the phase it needs (``evaluation``: either evaluation phase)."""

ACTIONS_BY_PHASE: dict[str, tuple[str, ...]] = {
    "reveal": ("reveal_button",),
    "test_reveal": ("reveal_test_button",),
    "evaluation": ("evaluate_button",),
    DEFAULT_EVALUATION: ("evaluate_button",),
}


def phase_deadlines(row: pd.Series) -> dict[str, int]:
    """The end of each phase a competitions row lists (``<phase>_end``; the default
    evaluation's only after a default), in Unix seconds."""
    ends = {}
    for phase in PHASES:
        value = row.get(f"{phase}_end")
        if value is not None and not pd.isna(value):
            ends[phase] = unix(value)
    return ends


def selected_row(state: MarketState) -> pd.Series | None:
    """The selected competition's row of ``state.competitions``, or None."""
    chosen, table = state.selected_competition, state.competitions
    return table.loc[chosen] if chosen is not None and chosen in table.index else None


def phase_reason(needed: str, row: pd.Series | None, now: int) -> str:
    """Why a step of phase ``needed`` is not open in the competition of ``row`` (a row of
    ``state.competitions``) at chain time ``now``: the sentence the API's refusal gives."""
    if row is None:
        return NO_COMPETITION
    revealed = bool(row.get("test_revealed", False))
    return phase_refusal(needed, str(row["phase"]), phase_deadlines(row), now,
                         test_revealed=revealed)  # fmt: skip


def allow(button: widgets.Button, why: str = "") -> None:
    """Enable ``button``, or (``why`` given) disable it and say why in its tooltip."""
    button.disabled = bool(why)
    button.tooltip = why or button.description


def skipped_phases(row: pd.Series) -> tuple[str, ...]:
    """The evaluation never ran if the creator defaulted without revealing the test set."""
    defaulted = "default_evaluation" in phase_deadlines(row) or row["phase"] == DEFAULT_EVALUATION
    return ("evaluation",) if defaulted and not bool(row.get("test_revealed", True)) else ()


def data_said(request: dict[str, Any]) -> str:
    """What a competition form's request trains and tests on, in words."""
    test = request.get("test")
    if "listing" in request:
        return f"training on listing #{request['listing']}, {len(test)} hidden test rows"
    if test is None:
        return f"{len(request['data'])} rows split for training and a hidden test"
    return f"{len(request['data'])} training rows and {len(test)} hidden test rows"


def rules_html(row: pd.Series) -> str:
    """The rules of a competitions row: metric, finals, entries per period, places.

    Example:
        >>> html = rules_html(pd.Series({"metric": "mae", "finals": 2, "entries_per_period": 3,
        ...     "period_length": 86_400, "multiple_places": False}))
        >>> for part in html.split(" · "): print(part)
        metric <b class="mlm-comp-metric">MAE</b> (lower is better)
        <span class="mlm-comp-finals">2 finals per participant</span>
        <span class="mlm-comp-cap">3 entries per participant per 1 d</span>
        <span class="mlm-comp-places">one place per participant</span>
    """
    metric = str(row.get("metric") or "accuracy")
    better = "lower" if metric in LOWER_IS_BETTER else "higher"
    finals = int(row.get("finals") or 0)
    finals_said = (
        f"{finals} final{'s' * (finals != 1)} per participant" if finals
        else "every submission evaluated"
    )  # fmt: skip
    cap = int(row.get("entries_per_period") or 0)
    cap_said = (
        f"{cap} entr{'ies' if cap != 1 else 'y'} per participant per "
        f"{duration(int(row.get('period_length') or 0))}" if cap else "no cap per period"
    )  # fmt: skip
    places = "several places" if bool(row.get("multiple_places")) else "one place"
    return (
        f'metric <b class="mlm-comp-metric">{metric_label(metric)}</b> ({better} is better) · '
        f'<span class="mlm-comp-finals">{finals_said}</span> · '
        f'<span class="mlm-comp-cap">{cap_said}</span> · '
        f'<span class="mlm-comp-places">{places} per participant</span>'
    )


def evaluation_html(row: pd.Series) -> str:
    """How a competitions row is scored: on chain, or optimistically with its window and bonds.

    Example:
        >>> html = evaluation_html(pd.Series({"evaluation": "optimistic",
        ...     "challenge_window": 43_200, "claim_bond": 10, "challenge_bond": 1}))
        >>> print(html.split(": ", 1)[1])
        claims open to challenges for 12 h, claim bond 10, challenge bond 1</span>
    """
    if str(row.get("evaluation") or "on-chain") != "optimistic":
        return '<span class="mlm-comp-evaluation">on-chain evaluation</span>'
    return (
        '<span class="mlm-comp-evaluation">optimistic evaluation: claims open to challenges for '
        f"{duration(int(row['challenge_window']))}, claim bond {amount(row['claim_bond'])}, "
        f"challenge bond {amount(row['challenge_bond'])}</span>"
    )


def claims_reason(row: pd.Series | None, now: int) -> str:
    """Why ``Claim scores`` / ``Watch now`` are not open for the competition of ``row``
    (or ``""``)."""
    if row is None:
        return NO_COMPETITION
    if str(row.get("evaluation") or "on-chain") != "optimistic":
        return "This competition is evaluated on chain only (created with evaluation='on-chain')."
    if row["phase"] != "evaluation":
        return phase_reason("evaluation", row, now)
    return ""


def due_claims(row: pd.Series | None) -> bool:
    """Whether the competition of ``row`` has open claims whose window has ended."""
    claims = None if row is None else row.get("claims")
    if claims is None or not len(claims):
        return False
    return bool(((claims["status"] == "open") & ~claims["challengeable"].astype(bool)).any())


def claims_html(claims: pd.DataFrame | None) -> str:
    """The claims of an optimistic competition: submission, claimer, status, score, bond, window."""
    if claims is None:
        return ""
    shown = claims.set_index("claim") if len(claims) else claims
    return table(
        shown, css="mlm-comp-claims-table", empty="no score claim yet",
        formats={"window_end": when}, row_class=lambda _k, r: f"mlm-claim-{r['status']}",
    )  # fmt: skip


def finals_reason(row: pd.Series | None, submissions: int, who: str | None, now: int) -> str:
    """Why ``Select finals`` is not open for ``who`` (with ``submissions`` of its own in the
    competition of ``row``), or ``""``."""
    if row is None:
        return NO_COMPETITION
    if not int(row.get("finals") or 0):
        return (
            "This competition evaluates every submission (finals: 0): there is nothing to select."
        )
    if row["phase"] != "submission":
        return phase_reason("submission", row, now)
    if not submissions:
        return f"{who} has no submission in this competition yet: submit one first."
    return ""


def public_window_reason(row: pd.Series | None, now: int) -> str:
    """Why the private test set cannot be revealed yet in a competition with a public board
    (``""`` when it can, or when the phase decides): the sentence ``comp.reveal_test_set``
    raises while public claims can still be challenged, in chain time (``now``)."""
    if row is None or not bool(row.get("public_board")):
        return ""
    opens = row.get("public_checks_end")
    if opens is None or pd.isna(opens) or row["phase"] not in PUBLIC_CHECKS:
        return ""
    opens, mined = unix(opens), now + 1  # judged at the next block's time, as the API does
    if mined >= opens:
        return ""
    return (
        f"The private test set can be revealed from {moment(opens)}, {relative(opens, mined)} "
        "(chain time): until then, the public window after the reveal deadline, public claims "
        "can still be challenged on the revealed models."
    )


PUBLIC_CHECKS = ("submission", "reveal", "test_reveal")
"""Phases in which a public board's checks are not over (the private test set waits)."""


def board_rules_html(row: pd.Series) -> str:
    """The public board's, the teams' and the performance stakes' rules of a competitions row.

    Example:
        >>> html = board_rules_html(pd.Series({"public_board": True, "public_rows": 69,
        ...     "public_claim_bond": 1, "public_checks_end": pd.Timestamp(0, unit="s", tz="UTC"),
        ...     "teams_allowed": True, "merger_deadline": pd.Timestamp(60, unit="s", tz="UTC"),
        ...     "slash": 0.4, "entry_stake": 5, "stake_threshold": 0.9, "metric": "accuracy"}))
        >>> for part in html.split(" · "): print(part)
        <span class="mlm-comp-public">public board: 69 public test rows, public claim bond 1, private test set revealed from 1970-01-01 00:00:00 UTC</span>
        <span class="mlm-comp-merger">teams form and merge until 1970-01-01 00:01:00 UTC</span>
        <span class="mlm-comp-stakes">performance stakes: stake 5, 40 % slashed below 0.9 accuracy</span>
    """  # noqa: E501
    parts = []
    if bool(row.get("public_board")):
        parts.append(
            f'<span class="mlm-comp-public">public board: {int(row["public_rows"])} public test '
            f"rows, public claim bond {amount(row['public_claim_bond'])}, private test set "
            f"revealed from {when(row['public_checks_end'])}</span>"
        )
    if "teams_allowed" in row:
        teams = (
            f"teams form and merge until {when(row['merger_deadline'])}"
            if bool(row["teams_allowed"])
            else "no teams (several places per participant)"
        )  # fmt: skip
        parts.append(f'<span class="mlm-comp-merger">{teams}</span>')
    slash = float(row.get("slash") or 0)
    if slash:
        threshold = f"{float(row['stake_threshold']):.4g} {metric_label(str(row['metric']))}"
        parts.append(
            f'<span class="mlm-comp-stakes">performance stakes: stake '
            f"{amount(row['entry_stake'])}, {amount(Decimal(str(slash)) * 100)} % slashed "
            f"below {threshold}</span>"
        )
    return " · ".join(parts)


def shares_text(members: list[str], shares: list[float]) -> str:
    """A team's members with their shares: ``bob 60%, carol 40%``.

    Example:
        >>> shares_text(["bob", "carol"], [0.6, 0.4])
        'bob 60%, carol 40%'
    """
    return ", ".join(
        f"{m} {amount(Decimal(str(s)) * 100)}%" for m, s in zip(members, shares, strict=True)
    )


def teams_html(teams: pd.DataFrame | None) -> str:
    """The teams table: name, members with their shares, formed (or how many accepted),
    commits, the team it merged into."""
    if teams is None:
        return ""
    shown = pd.DataFrame({
        "team": teams["name"],
        "members (shares)": [shares_text(list(m), list(s))
                             for m, s in zip(teams["members"], teams["shares"], strict=True)],
        "formed": ["yes" if f else f"{a} accepted"
                   for f, a in zip(teams["formed"], teams["accepted"], strict=True)],
        "commits": teams["commits"].astype(int),
        "merged into": teams["merged_into"],
    }, index=teams.index)  # fmt: skip
    return table(
        shown, css="mlm-comp-teams-table", index=False, empty="no team yet",
        row_class=lambda _k, r: "mlm-ineligible" if r["merged into"] else "",
        formats={"merged into": lambda v: "–" if v is None or pd.isna(v) else str(v)},
    )  # fmt: skip


def stakes_html(stakes: pd.DataFrame | None) -> str:
    """The stakes table of a finalized competition with performance stakes: submission,
    staker, stake, private score, whether it beats the threshold, payout, withdrawn."""
    if stakes is None:
        return ""
    shown = stakes.set_index("id") if len(stakes) else stakes
    shown = shown.rename(columns={"private_score": "private score",
                                  "beats_threshold": "beats threshold"})  # fmt: skip
    return table(
        shown, css="mlm-comp-stakes-table", empty="no stake held (no final was revealed)",
        formats={
            "private score": lambda v: "–" if pd.isna(v) else f"{float(v):.4g}",
            "beats threshold": lambda v: "–" if v is None or pd.isna(v) else
            ("yes" if v else "no"),
            "withdrawn": lambda v: "yes" if v else "no",
        },
    )  # fmt: skip


def entrant_label(teams: pd.DataFrame | None, account: str) -> str:
    """How the leaderboard names the entrant ``account`` commits as: its formed team's name
    (the one it did not merge away from), or the account itself."""
    if teams is None or not len(teams):
        return account
    for _, team in teams.iterrows():
        current = team["merged_into"] is None or pd.isna(team["merged_into"])
        if bool(team["formed"]) and current and account in list(team["members"]):
            return str(team["name"])
    return account


def team_reason(row: pd.Series | None, now: int, name: str = "") -> str:
    """Why *Form team* is closed for the competition of ``row`` at chain time ``now`` (or
    ``""``): teams are not allowed, or the merger deadline has passed."""
    if row is None:
        return NO_COMPETITION
    if not bool(row.get("teams_allowed", True)):
        return (
            "This competition allows several places per participant (multiple_places), so it "
            "takes no teams: every participant competes alone."
        )
    deadline = row.get("merger_deadline")
    if deadline is None or pd.isna(deadline):
        return ""
    deadline, mined = unix(deadline), now + 1  # the next block's time, as the API judges
    if mined >= deadline:
        return (
            f"Teams of {name or row['name']!r} formed and merged until {moment(deadline)}, "
            f"{relative(deadline, mined)} (chain time), the merger deadline; after it every "
            "entrant competes as it is."
        )
    return ""


def stakes_reason(row: pd.Series | None, stakes: pd.DataFrame | None, now: int) -> str:
    """Why *Withdraw stakes* is not open for the competition of ``row`` (or ``""``)."""
    if row is None:
        return NO_COMPETITION
    if not float(row.get("slash") or 0):
        return (
            "This competition has no performance stakes: entry stakes come back at the reveal "
            "(create one with a slash and a stake threshold for them)."
        )
    if row["phase"] != "finalized":
        return phase_reason("finalized", row, now)
    if stakes is None or not len(stakes):
        return "No stake is held: no final was revealed."
    due = stakes[~stakes["withdrawn"].astype(bool) & (stakes["payout"] > 0)]
    if not len(due):
        return "Every held stake is withdrawn: nothing is due."
    return ""


def parse_shares(typed: str, members: int) -> list[Decimal] | None:
    """Team shares typed as percentages (``60, 40``) as fractions, one per member; blank:
    None (equal shares).

    Example:
        >>> parse_shares("60, 40", 2), parse_shares(" ", 3)
        ([Decimal('0.6'), Decimal('0.4')], None)
        >>> parse_shares("70, 40", 2)
        Traceback (most recent call last):
        ...
        mlmarket.ui.base.InputError: Team shares must add up to 100 % (they add up to 110).
    """
    if not typed.strip():
        return None
    try:
        percents = [Decimal(part.strip()) for part in typed.split(",")]
    except InvalidOperation:
        raise InputError(
            f"Team shares must be percentages separated by commas, not {typed!r}."
        ) from None
    if len(percents) != members:
        raise InputError(
            f"Give one share per member: {members} member(s) but {len(percents)} share(s) "
            "(or leave Shares blank for equal shares)."
        )
    if any(not p.is_finite() or p <= 0 for p in percents):
        raise InputError(f"Each team share must be a positive percentage, not {typed!r}.")
    if sum(percents) != 100:
        raise InputError(
            f"Team shares must add up to 100 % (they add up to {amount(sum(percents))})."
        )
    return [p / 100 for p in percents]


def outcome_html(row: pd.Series) -> str:
    """``outcome <b>…</b>``, and after a default how much went to the sink."""
    html = f'outcome <b class="mlm-comp-outcome">{outcome_label(str(row["outcome"]))}</b>'
    if row["outcome"] == "defaulted":
        done = "burned" if bool(row.get("finalized")) else "to be burned at finalization"
        html += (
            f' · <span class="mlm-burned">{amount(row.get("burned", 0))} tokens {done}</span> '
            "(the creator's bond and the unearned places)"
        )
    return html


class CompetitionsPanel(Panel):
    """``form`` + ``create_button``; ``picker`` (shared selection), ``info`` (with the
    rules), ``timeline``; ``finalist`` (a participant) + ``finals_pick`` (its submissions,
    its finals selected) + ``finals_button``; ``reveal_button``, ``reveal_test_button``,
    ``evaluate_button`` with ``progress``; optimistic evaluation: ``claims_view`` (every
    claim), ``claimer`` + ``claim_scores_button``, ``watcher`` + ``watch_button`` +
    ``watch_toggle`` (watch on every refresh); teams: ``teams_view`` (the teams table),
    ``team_name`` + ``team_members`` + ``team_shares`` + ``team_button`` (*Form team*);
    ``finalize_button``, ``claimant`` + ``claim_button``; performance stakes:
    ``stakes_view`` (the stakes table, once finalized) + ``withdraw_button`` (*Withdraw
    stakes*, sent by the claimant)."""

    title = "Competitions"
    css = "mlm-competitions-panel"
    watches = ("competitions", "selected_competition", "leaderboards", "public_boards", "teams",
               "stakes", "time")  # fmt: skip

    def __init__(self, source: Market | MarketState, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self.form = CompetitionForm(self.state)
        self.create_button = self.button("Create", "mlm-comp-create", self._create, style="primary")
        self.picker = CompetitionPicker(self.state, "mlm-comp-select")
        self.info = widgets.HTML()
        self.info.add_class("mlm-comp-info")
        self.timeline = widgets.HTML()
        self.timeline.add_class("mlm-comp-timeline")
        self.reveal_button = self.button("Reveal submissions", "mlm-comp-reveal", self._reveal)
        self.reveal_test_button = self.button(
            "Reveal test set", "mlm-comp-reveal-test", self._reveal_test
        )
        self.evaluate_button = self.button("Evaluate", "mlm-comp-evaluate", self._evaluate)
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="Scoring")
        self.progress.add_class("mlm-comp-progress")
        self.finalize_button = self.button("Finalize", "mlm-comp-finalize", self._finalize)
        names = account_names(self.market)
        self.finalist = dropdown("Participant", "mlm-comp-finalist", names, value=names[2])
        self.finals_pick = widgets.SelectMultiple(
            description="Finals", rows=4, layout=widgets.Layout(width="360px")
        )
        self.finals_pick.add_class("mlm-comp-finals-pick")
        self.finals_button = self.button("Select finals", "mlm-comp-select-finals",
                                         self._select_finals)  # fmt: skip
        self.finalist.observe(lambda _: self.render(), names="value")
        self.claimant = dropdown("Claimant", "mlm-comp-claimant", names, value=names[2])
        self.claim_button = self.button("Claim", "mlm-comp-claim", self._claim, style="success")
        self.claims_view = widgets.HTML()
        self.claims_view.add_class("mlm-comp-claims")
        self.claimer = dropdown("Claimer", "mlm-comp-claimer", names, value=names[-1])
        self.claim_scores_button = self.button("Claim scores", "mlm-comp-claim-scores",
                                               self._claim_scores)  # fmt: skip
        self.watcher = dropdown("Watcher", "mlm-comp-watcher", names, value=names[-2])
        self.watch_button = self.button("Watch now", "mlm-comp-watch", self._watch)
        self.watch_toggle = widgets.Checkbox(value=False, description="Watch on every refresh",
                                             indent=False)  # fmt: skip
        self.watch_toggle.add_class("mlm-comp-watch-toggle")
        self.watch_toggle.observe(lambda _: self.render(), names="value")
        self._watched: object = None  # the claims last watched (see _watch_on_refresh)
        self.teams_view = widgets.HTML()
        self.teams_view.add_class("mlm-comp-teams")
        self.team_name = text("Team", "mlm-team-name", placeholder="its name")
        self.team_members = widgets.SelectMultiple(
            description="Members", options=names, rows=4, layout=widgets.Layout(width="260px")
        )
        self.team_members.add_class("mlm-team-members")
        self.team_members.tooltip = "the team's members (the first one listed proposes it)"
        self.team_shares = text("Shares (%)", "mlm-team-shares", placeholder="blank: equal",
                                tooltip="each member's share of a prize in %, in the order "
                                "the members are listed; blank: equal shares")  # fmt: skip
        self.team_shares.style.description_width = "initial"
        self.team_button = self.button("Form team", "mlm-team-form", self._form_team)
        self.stakes_view = widgets.HTML()
        self.stakes_view.add_class("mlm-comp-stakes-view")
        self.withdraw_button = self.button("Withdraw stakes", "mlm-comp-withdraw-stakes",
                                           self._withdraw_stakes)  # fmt: skip
        self._ready(
            widgets.HTML("<i>Open a competition</i>"),
            self.form,
            self.create_button,
            widgets.HTML("<i>Follow it</i>"),
            self.picker.widget,
            self.info,
            self.timeline,
            widgets.HBox([self.finalist, self.finals_pick, self.finals_button]),
            self.teams_view,
            widgets.HBox([self.team_name, self.team_members, self.team_shares, self.team_button]),
            widgets.HBox([self.reveal_button, self.reveal_test_button, self.evaluate_button]),
            self.progress,
            self.claims_view,
            widgets.HBox(
                [
                    self.claimer,
                    self.claim_scores_button,
                    self.watcher,
                    self.watch_button,
                    self.watch_toggle,
                ]
            ),  # fmt: skip
            self.stakes_view,
            widgets.HBox(
                [self.finalize_button, self.claimant, self.claim_button, self.withdraw_button]
            ),  # fmt: skip
        )

    # --- view --------------------------------------------------------------------------

    def selected(self) -> pd.Series | None:
        """The selected competition's row of ``state.competitions``."""
        return selected_row(self.state)

    def render(self) -> None:
        row = self.selected()
        if row is None:
            self.info.value = '<span class="mlm-empty">no competition yet</span>'
            self.timeline.value = ""
        else:
            self.info.value = (
                f"<b>{row['name']}</b> by {row['creator']} · reward "
                f"<b>{amount(row['reward'])}</b> tokens · creator bond "
                f'<b class="mlm-comp-bond">{amount(row.get("creator_bond", 0))}</b> · '
                f"{row['task']} · {row['model_family']} models "
                f'(<span class="mlm-comp-budget">{row.get("model_budget", "")}</span>) · '
                f"{row['submissions']} "
                f"submissions · phase "
                f'<b class="mlm-comp-phase">{row["phase"]}</b> · {outcome_html(row)}<br>'
                f"{rules_html(row)} · {evaluation_html(row)}"
            )
            extra = board_rules_html(row)
            if extra:
                self.info.value += f"<br>{extra}"
            self.timeline.value = timeline(
                phase_deadlines(row), row["phase"], now=self.state.time,
                skipped=skipped_phases(row),
            )  # fmt: skip
        self.claims_view.value = "" if row is None else claims_html(row.get("claims"))
        self.teams_view.value = "" if row is None else teams_html(self.state.team_table())
        self.stakes_view.value = "" if row is None else stakes_html(self.state.stake_table())
        self._offer_finals()
        self.enable()
        self._watch_on_refresh(row)

    def own_submissions(self) -> pd.DataFrame:
        """The finalist's rows of the selected competition's leaderboard, by id: its team's,
        for a member of a team (the leaderboard names the team)."""
        board = self.state.board()
        if board is None or len(board) == 0:
            return pd.DataFrame(columns=["id", "status", "final"])
        entrant = entrant_label(self.state.team_table(), self.finalist.value)
        return board[board["submitter"] == entrant].sort_values("id")

    def _offer_finals(self) -> None:
        """Offer the finalist's submissions, its current finals selected (a selection in
        progress is kept while the submissions and their status stay the same)."""
        own = self.own_submissions()
        options = [
            (f"#{int(r['id'])} · {r['status']}{' · final' if r['final'] else ''}", int(r["id"]))
            for _, r in own.iterrows()
        ]
        if list(self.finals_pick.options) != options:
            self.finals_pick.options = options
            row = self.selected()
            if options and row is not None and int(row.get("finals") or 0):
                self.finals_pick.value = tuple(int(i) for i in own.loc[own["final"], "id"])

    def enable(self) -> None:
        """Enable exactly what the current phase allows; a disabled step says why."""
        row = self.selected()
        phase = "" if row is None else str(row["phase"])
        allowed = set(ACTIONS_BY_PHASE.get(phase, ()))
        if row is not None and phase == "finalized":  # a claim finalizes too: finalize is optional
            allowed.add("claim_button")
            if not row["finalized"]:
                allowed.add("finalize_button")
        if phase == "evaluation" and due_claims(row):  # finalize settles them first
            allowed.add("finalize_button")
        self.create_button.disabled = False
        for name, needed in STEPS.items():
            if name in allowed:
                why = ""
            elif name == "finalize_button" and phase == "finalized":
                why = "Already finalized: the payouts are fixed. Claim the prizes."
            else:
                why = phase_reason(needed, row, self.state.time)
            if name == "reveal_test_button":  # the public window comes first, as in the API
                why = public_window_reason(row, self.state.time) or why
            allow(getattr(self, name), why)
        mine = len(self.finals_pick.options)
        allow(self.finals_button, finals_reason(row, mine, self.finalist.value, self.state.time))
        why = claims_reason(row, self.state.time)
        allow(self.claim_scores_button, why)
        optimistic = row is not None and row.get("evaluation") == "optimistic"
        allow(self.watch_button, "" if optimistic else watch_reason(row, self.state.time, why))
        allow(self.team_button, team_reason(row, self.state.time))
        allow(self.withdraw_button,
              stakes_reason(row, self.state.stake_table(), self.state.time))  # fmt: skip

    # --- actions -----------------------------------------------------------------------

    def _handle(self) -> Any:
        competition = self.state.competition()
        if competition is None:
            raise InputError("Create or choose a competition first.")
        return competition

    def _create(self) -> None:
        request = self.form.request()
        competition = self.market.competitions.create(**request)
        self.state.refresh()
        index = len(self.state.competitions) - 1
        self.state.selected_competition = index
        reward, bond = competition.reward, competition.creator_bond
        self.ok(
            f"Opened competition #{index} {competition.name!r} for {competition.model_family} "
            f"models: {amount(reward + bond)} tokens escrowed (reward {amount(reward)} + creator "
            f"bond {amount(bond)}), {data_said(request)}."
        )

    def _select_finals(self) -> None:
        who, ids = self.finalist.value, sorted(self.finals_pick.value)
        chosen = self._handle().select_finals(ids, by=who)
        self.ok(
            f"{who}'s finals are now {', '.join(f'#{i}' for i in chosen)}: only they will be "
            "evaluated and ranked. Select again to change them until submissions close."
        )

    def _reveal(self) -> None:
        revealed = self._handle().reveal()
        if not revealed:
            raise InputError("This session has no unrevealed submission in this competition.")
        self.ok(f"Revealed submission(s) {', '.join(f'#{i}' for i in revealed)}.")

    def _reveal_test(self) -> None:
        competition = self._handle()
        cid = competition.reveal_test_set()
        self.ok(f"The creator revealed the test set ({cid[:16]}…): evaluation can start.")

    def _evaluate(self) -> None:
        competition = self._handle()
        defaulted = competition.phase == DEFAULT_EVALUATION
        self.progress.value, self.progress.max = 0, self._expected_calls(competition)

        def count(record: TxRecord) -> None:
            if record.action == "evaluate":
                self.progress.value = min(self.progress.value + 1, self.progress.max)

        stop = self.market.chain.on_transaction(count)
        try:
            sent = competition.evaluate(progress=False)  # the panel's own bar counts
        finally:
            stop()
        self.progress.value = self.progress.max
        if defaulted:
            self.ok(
                f"The creator defaulted: scored every revealed model on the committed training "
                f"data in {sent} transaction(s); only models beating the baseline can be paid."
            )
        else:
            self.ok(f"Scored every revealed model on the test set in {sent} transaction(s).")

    def _expected_calls(self, competition: Any) -> int:
        board = self.state.board()
        if board is None or len(board) == 0:
            return 1
        revealed = int((board["status"] != "committed").sum())
        chunks = int(str(board["evaluated"].iloc[0]).split("/")[1])
        per_call = int(competition.metadata.get("models_per_call", 1))
        return max(1, chunks * math.ceil(revealed / per_call))

    def _claim_scores(self) -> None:
        posted = self._handle().claim_scores(by=self.claimer.value)
        if not len(posted):
            raise InputError(
                "Every revealed final is scored or already claimed with these results: "
                "nothing to claim."
            )
        ids = ", ".join(f"#{int(i)}" for i in posted["submission"])
        self.ok(
            f"{self.claimer.value} claimed the scores of {ids} ({len(posted)} claim(s), bonds "
            f"locked); each becomes final when its window ends unchallenged."
        )

    def _watch(self) -> None:
        done = self._handle().watch(by=self.watcher.value)
        self.ok(watch_said(self.watcher.value, done))

    def _watch_on_refresh(self, row: pd.Series | None) -> None:
        """With ``watch_toggle`` on, watch the selected optimistic competition once per new
        state of its claims (a refresh that changes nothing sends nothing)."""
        if not self.watch_toggle.value or row is None or not watchable(row):
            return
        if watch_reason(row, self.state.time, "") and row.get("evaluation") != "optimistic":
            return  # a public board before its models are revealed: nothing to check
        if self._acting:  # another action is under way: watch on the refresh after it
            return
        claims, public = row.get("claims"), self.state.public_board()
        key = (int(row.name), self.state.time,
               None if claims is None else tuple(claims["status"]),
               None if public is None else tuple(public["status"]))  # fmt: skip
        if key == self._watched:
            return
        self._watched = key
        self.act(self._watch)

    def _finalize(self) -> None:
        competition = self._handle()
        outcome = competition.finalize()
        said = f"Finalized: {outcome.replace('_', ' ')}."
        if outcome == "defaulted":
            lost = burned(competition, outcome, logged=True)
            said += f" {amount(lost)} tokens burned (the creator's bond and unearned places)."
        self.ok(f"{said} Prizes can be claimed.")

    def _claim(self) -> None:
        competition = self._handle()
        first = self._finalize_first(competition)
        paid = competition.claim(by=self.claimant.value)
        self.ok(f"{first}Paid {amount(paid)} tokens to {self.claimant.value}.")

    def _finalize_first(self, competition: Any) -> str:
        """With a public board, finalize before the first claim or withdrawal (it settles the
        open public claims: their bonds come back, or go to the sink); say so."""
        row = self.selected()
        if row is None or not bool(row.get("public_board")) or bool(row.get("finalized")):
            return ""
        settled = competition.settle_claims()
        competition.finalize()
        return f"Finalized first ({len(settled)} public claim(s) settled). "

    def _withdraw_stakes(self) -> None:
        competition = self._handle()
        first = self._finalize_first(competition)
        paid = competition.withdraw_stakes(by=self.claimant.value)
        if not paid:
            raise InputError("Every held stake is withdrawn: nothing is due.")
        from mlmarket.market.stakes import stakers

        staker = stakers(competition)
        said = ", ".join(
            f"#{i}: {amount(v)} to {self.market.chain.describe(staker[i])}"
            for i, v in sorted(paid.items())
        )
        self.ok(f"{first}{self.claimant.value} withdrew {len(paid)} stake(s) ({said}).")

    def _form_team(self) -> None:
        name = required(self.team_name.value, "team's name")
        chosen = set(self.team_members.value)
        members = [m for m in self.team_members.options if m in chosen]  # as listed
        if not members:
            raise InputError("Choose the team's members (one or more local accounts).")
        shares = parse_shares(self.team_shares.value, len(members))
        team = self._handle().team(name, members, shares)
        split = shares_text(list(team.members), [float(s) for s in team.shares])
        self.ok(
            f"Formed team {team.name!r} ({split}): it commits as one entrant, with one set of "
            "caps and finals and at most one prize place; each member claims its share."
        )


def watchable(row: pd.Series) -> bool:
    """Whether ``comp.watch`` has claims to check in the competition of ``row``: score claims
    (optimistic evaluation) or public claims (a public board)."""
    return row.get("evaluation") == "optimistic" or bool(row.get("public_board"))


def watch_reason(row: pd.Series | None, now: int, otherwise: str) -> str:
    """Why *Watch now* is not open for a competition with a public board and no optimistic
    evaluation (its public claims are checked once their models are revealed: from the
    reveal phase on); ``otherwise`` for a competition with neither."""
    if row is None or not bool(row.get("public_board")):
        return otherwise
    if row["phase"] == "submission":
        said = phase_reason("reveal", row, now)
        return f"Public claims are checked once their models are revealed. {said}"
    return ""


def watch_said(watcher: str, done: pd.DataFrame) -> str:
    """One sentence for what ``comp.watch`` did.

    Example:
        >>> print(watch_said("erin", pd.DataFrame(columns=["action"])))
        erin checked every open claim: all right, nothing to settle.
    """
    if not len(done):
        return f"{watcher} checked every open claim: all right, nothing to settle."
    parts = []
    for _, r in done.iterrows():
        if r["action"] == "challenge":
            parts.append(f"challenged claim #{r['claim']} on chunk {r['chunk']}: {r['result']} "
                         f"({amount(r['tokens'])} tokens)")  # fmt: skip
        else:
            parts.append(f"settled claim #{r['claim']}: {r['result']}")
    return f"{watcher} " + "; ".join(parts) + "."
