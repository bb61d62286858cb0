"""A competition's parameters (``ICompetition.Params``), typed and matched by field name.

The contract returns the struct as a tuple; its order is the ABI's, not ours. Both
directions go through the ABI's component names, so adding a field to the struct
never shifts another: a field the ABI has and this class lacks (or the reverse) is a
version mismatch and raises at once.

Example:
    >>> abi = [{"name": "params", "type": "function", "outputs": [{"components": [
    ...     {"name": "reward", "type": "uint256"}, {"name": "token", "type": "address"}]}]}]
    >>> names = param_names(abi)
    >>> names
    ('reward', 'token')
    >>> [snake(n) for n in ("trainingRoot", "maxSubmissionsPerAddress")]
    ['training_root', 'max_submissions_per_address']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

from eth_utils import keccak

from mlmarket.errors import ConfigurationError
from mlmarket.ml import FAMILIES
from mlmarket.ml.budgets import ModelBudget, decode_budget
from mlmarket.ml.metrics import LOWER_IS_BETTER, metric_name

__all__ = ["CompetitionParams", "param_names", "snake"]


def snake(name: str) -> str:
    """``camelCase`` → ``snake_case``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def param_names(abi: list[dict[str, Any]]) -> tuple[str, ...]:
    """The ABI's field names of the ``Params`` struct, in order (from ``params()``'s output)."""
    for entry in abi:
        if entry.get("type") == "function" and entry.get("name") == "params":
            return tuple(c["name"] for c in entry["outputs"][0]["components"])
    raise ConfigurationError("This ABI has no params() function returning the Params struct.")


@dataclass(frozen=True)
class CompetitionParams:
    """Everything a creator chose, as recorded on chain (amounts in raw token units).

    See ``ICompetition.Params`` (contracts/src/interfaces/ICompetition.sol) for each field.
    """

    token: str
    reward: int
    creator_bond: int
    family: bytes
    training_data_cid: str
    training_listing_id: int
    training_root: bytes
    training_samples: int
    training_baseline: int
    test_root: bytes
    samples: int
    chunk_size: int
    features: int
    classes: int
    max_model_size: int
    payout_bps: tuple[int, ...]
    submission_end: int
    reveal_end: int
    test_reveal_end: int
    evaluation_end: int
    entry_stake: int
    max_submissions_per_address: int
    metadata_cid: str
    model_budget: int
    metric: int
    entries_per_period: int
    period_length: int
    finals: int
    multiple_places: bool
    challenge_window: int = 0
    claim_bond: int = 0
    challenge_bond: int = 0
    public_root: bytes = bytes(32)
    public_samples: int = 0
    public_window: int = 0
    public_claim_bond: int = 0
    merger_deadline: int = 0
    slash_bps: int = 0
    stake_threshold: int = 0

    @classmethod
    def from_chain(cls, values: tuple[Any, ...], names: tuple[str, ...]) -> CompetitionParams:
        """Build from the tuple ``params()`` returned, matching ``names`` (the ABI's fields)."""
        if len(values) != len(names):
            raise ConfigurationError(
                f"params() returned {len(values)} fields but the ABI names {len(names)}."
            )
        by_name = {snake(name): value for name, value in zip(names, values, strict=True)}
        _check_fields(set(by_name))
        by_name["payout_bps"] = tuple(int(b) for b in by_name["payout_bps"])
        for name in ("family", "training_root", "test_root", "public_root"):
            by_name[name] = bytes(by_name[name])
        return cls(**by_name)

    def to_chain(self, names: tuple[str, ...]) -> tuple[Any, ...]:
        """The tuple ``createCompetition`` takes, in the ABI's order ``names``."""
        _check_fields({snake(name) for name in names})
        return tuple(
            list(value) if isinstance(value := getattr(self, snake(name)), tuple) else value
            for name in names
        )

    @property
    def deadlines(self) -> dict[str, int]:
        """End of each phase that has a fixed deadline (Unix time)."""
        return {
            "submission": self.submission_end,
            "reveal": self.reveal_end,
            "test_reveal": self.test_reveal_end,
            "evaluation": self.evaluation_end,
        }

    @property
    def family_name(self) -> str:
        """The model family ("linear", "mlp", "tree"), or the hex of an unknown family hash."""
        for name in FAMILIES:
            if keccak(text=name) == self.family:
                return name
        return "0x" + self.family.hex()

    def budget(self) -> ModelBudget:
        """The model budget, decoded for the family (:mod:`mlmarket.ml.budgets`)."""
        return decode_budget(self.family_name, self.model_budget)

    @property
    def regression(self) -> bool:
        return self.classes == 0

    @property
    def metric_name(self) -> str:
        """The ranking metric's name ("accuracy", "balanced_accuracy", "macro_f1", "mse", "mae")."""
        return metric_name(self.metric)

    @property
    def lower_is_better(self) -> bool:
        """Whether lower scores rank first (the error sums, MSE and MAE)."""
        return self.metric_name in LOWER_IS_BETTER


def _check_fields(found: set[str]) -> None:
    known = {f.name for f in fields(CompetitionParams)}
    if found != known:
        missing, extra = sorted(known - found), sorted(found - known)
        raise ConfigurationError(
            "The contract's Params struct does not match this package "
            f"(missing {missing or 'nothing'}, unknown {extra or 'nothing'}): the competition "
            "was made from other contract sources; use the mlmarket version that created it."
        )
