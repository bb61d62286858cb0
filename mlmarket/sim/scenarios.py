"""Ready scenarios, by name: an honest competition and each attack of the trust review.

``scenarios.get(name)`` (or the name itself, in :func:`mlmarket.sim.run` and
:func:`mlmarket.sim.sweep`) gives one; ``scenarios.names()`` lists them.

- ``"honest"``: a creator, five honest participants (logistic regressions, a linear
  SVM, a perceptron, a ridge classifier), an evaluator. Each participant enters only if
  the place it expects pays enough (``payout``): the "honest participation vs payout
  split" question.
- ``"equivocating_creator"``: the creator scores the models on a relabelled copy of a
  test chunk with the real chunk's proof (the double-leaf attack). The positional
  commitment has no switch: the attack reverts, and the frame names the error.
- ``"sybil_default"``: the creator never reveals its test set and enters through three
  other addresses (``sybil_model``: junk, or a model fitted on the training data) against
  three honest participants. The defence is the bond (``bond`` as a fraction of the
  reward; 0 switches it off) and the baseline rule of a default.
- ``"self_dealing_curator"``: a curator whose friends contribute junk (flipped labels)
  next to honest contributors; ``honesty`` is the chance it judges a batch on its rows,
  ``review_window`` how long it has (it reviews a day after the contributions; a shorter
  window lets every batch through unreviewed). It also tries to contribute to its own
  collection (refused: ``DataMarketCuratorCannotContribute``). The defences: rejected
  stakes burned, the curator's own address refused, the bounty cap per contributor
  (``bounty_cap``; 0 switches it off).
- ``"copycat_and_spam"``: beside two honest participants, one enters a copy of the best
  model (same bytes, its own salt: it never ranks) and one enters ``spam_entries`` junk
  models (they pay their entry stakes and win nothing).
- ``"false_claim"``: optimistic evaluation with a claimer who claims perfect scores and a
  watcher who challenges them.
- ``"data_sale"``: two owners list data, two buyers buy what fits their budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlmarket.errors import ConfigurationError
from mlmarket.sim.agents import (
    Agent,
    Buyer,
    Claimer,
    Contributor,
    Copycat,
    Creator,
    Curator,
    DataOwner,
    Evaluator,
    Participant,
    Spammer,
    Sybil,
    Watcher,
)
from mlmarket.sim.scenario import (
    COLLECTION_SCHEDULE,
    OPTIMISTIC_SCHEDULE,
    Scenario,
    Step,
)

__all__ = ["SCENARIOS", "get", "names"]

DAY = 86_400


def _honest_participants(params: Mapping[str, Any]) -> list[Agent]:
    """Five trainers of different skill; the weaker expect lower places and ask more of them."""
    entry_cost = float(params.get("participation_cost", 5))
    return [
        Participant("bob", model="logistic", C=1.0, expects_place=1, min_prize=entry_cost),
        Participant("carol", model="svm", C=0.5, expects_place=2, min_prize=entry_cost),
        Participant("dave", model="perceptron", expects_place=3, min_prize=entry_cost),
        Participant("erin", model="ridge", expects_place=4, min_prize=entry_cost),
        Participant("frank", model="logistic", C=0.01, expects_place=5, min_prize=entry_cost),
    ]


def honest_agents(params: Mapping[str, Any]) -> list[Agent]:
    return [Creator("alice"), *_honest_participants(params), Evaluator("grace")]


def equivocating_agents(params: Mapping[str, Any]) -> list[Agent]:
    return [
        Creator("alice", equivocate=True, side="attacker"),
        Participant("bob", model="logistic"),
        Participant("carol", model="svm", C=0.5),
        Participant("dave", model="ridge"),
        Evaluator("erin"),
    ]


def sybil_agents(params: Mapping[str, Any]) -> list[Agent]:
    return [
        Creator("alice", reveal=False, side="attacker"),
        Sybil(
            "sybils",
            accounts=("grace", "heidi", "ivan"),
            side="attacker",
            model=str(params.get("sybil_model", "junk")),
        ),  # fmt: skip
        Participant("bob", model="logistic", C=0.1, fraction=0.5),
        Participant("carol", model="svm", C=0.05, fraction=0.5),
        Participant("dave", model="ridge", fraction=0.5),
        Evaluator("erin"),
    ]


def curator_agents(params: Mapping[str, Any]) -> list[Agent]:
    honesty = float(params.get("honesty", 0.0))
    return [
        Curator("alice", honesty=honesty, side="attacker", self_contribute=True),
        Contributor("bob", rows=40),
        Contributor("carol", rows=40),
        Contributor("dave", rows=40),
        Contributor("heidi", rows=40, poison=1.0, side="attacker"),
        Contributor("ivan", rows=40, poison=1.0, side="attacker"),
    ]


def copycat_agents(params: Mapping[str, Any]) -> list[Agent]:
    return [
        Creator("alice"),
        Participant("bob", model="logistic"),
        Participant("carol", model="svm", C=0.5),
        Copycat("dave", of="bob", side="attacker"),
        Spammer("erin", entries=int(params.get("spam_entries", 3)), side="attacker"),
        Evaluator("grace"),
    ]


def claim_agents(params: Mapping[str, Any]) -> list[Agent]:
    return [
        Creator("alice"),
        Participant("bob", model="logistic"),
        Participant("carol", model="svm", C=0.5),
        Claimer("dave", lie=True, side="attacker"),
        Watcher("erin"),
        Evaluator("grace"),
    ]


def sale_agents(params: Mapping[str, Any]) -> list[Agent]:
    return [
        DataOwner("alice", price=float(params.get("price", 20)), rows=120),
        DataOwner("bob", price=float(params.get("price", 20)) * 2, rows=240),
        Buyer("carol", budget=float(params.get("budget", 50))),
        Buyer("dave", budget=float(params.get("budget", 50)) / 2),
    ]


SCENARIOS: dict[str, Scenario] = {
    "honest": Scenario(
        "honest", agents=honest_agents,
        params={"reward": 100, "bond": 1.0, "entry_stake": 0, "payout": (0.7, 0.3),
                "participation_cost": 5},
        description="Five honest participants; who enters depends on the payout split.",
    ),
    "equivocating_creator": Scenario(
        "equivocating_creator", agents=equivocating_agents,
        params={"reward": 100, "bond": 1.0, "entry_stake": 0, "payout": (1,)},
        description="The creator scores models on a relabelled chunk: refused on chain.",
    ),
    "sybil_default": Scenario(
        "sybil_default", agents=sybil_agents,
        params={"reward": 100, "bond": 1.0, "entry_stake": 1, "payout": (0.5, 0.3, 0.2),
                "sybil_model": "junk"},
        description="A defaulting creator enters through three other addresses.",
    ),
    "self_dealing_curator": Scenario(
        "self_dealing_curator", agents=curator_agents, schedule=COLLECTION_SCHEDULE,
        params={"honesty": 0.0, "review_window": 2 * DAY, "stake": 1, "bounty_per_row": 0.1,
                "bounty_fund": 100, "bounty_cap": 20},
        description="A curator accepts its friends' junk; honest batches beside them.",
    ),
    "copycat_and_spam": Scenario(
        "copycat_and_spam", agents=copycat_agents,
        params={"reward": 100, "bond": 1.0, "entry_stake": 1, "payout": (0.5, 0.3, 0.2),
                "spam_entries": 3},
        description="A copy of a good model and junk entries beside two honest ones.",
    ),
    "false_claim": Scenario(
        "false_claim", agents=claim_agents, schedule=OPTIMISTIC_SCHEDULE,
        params={"reward": 100, "bond": 1.0, "entry_stake": 0, "payout": (1,),
                "evaluation": "optimistic"},
        description="A claimer posts perfect scores; a watcher challenges them.",
    ),
    "data_sale": Scenario(
        "data_sale", agents=sale_agents,
        schedule=(Step("open"), Step("trade", after=3_600), Step("claim", after=DAY)),
        params={"price": 20, "budget": 50},
        description="Two owners list data; two buyers buy what fits their budget.",
    ),
}  # fmt: skip
"""Every ready scenario by name."""


def names() -> list[str]:
    """The ready scenarios' names."""
    return list(SCENARIOS)


def get(name: str | Scenario) -> Scenario:
    """A ready scenario by name (a :class:`Scenario` is returned as it is)."""
    if isinstance(name, Scenario):
        return name
    if name not in SCENARIOS:
        raise ConfigurationError(
            f"No scenario {name!r}; ready ones: {', '.join(SCENARIOS)} "
            "(or build a mlmarket.sim.Scenario)."
        )
    return SCENARIOS[name]
