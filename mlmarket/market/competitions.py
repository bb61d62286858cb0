"""``market.competitions``: create ML competitions that the contract evaluates.

A creator escrows a token reward with training data and a separate hidden test
set; participants submit scikit-learn models; the contract scores them on the
test set, chunk by chunk, and pays the best. Protocol: docs/competition-protocol.md.
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from io import BytesIO
from typing import TYPE_CHECKING, Any

import pandas as pd
from eth_utils import keccak
from sklearn.model_selection import train_test_split

from mlmarket.errors import ConfigurationError, DataValidationError
from mlmarket.market.competition import Competition
from mlmarket.market.data import Listing
from mlmarket.market.params import CompetitionParams, param_names
from mlmarket.market.phases import moment
from mlmarket.market.tables import unix, with_amounts
from mlmarket.ml import FAMILIES, FAMILY, TRAINING_SALT, Quantizer, TestSet
from mlmarket.ml.budgets import (
    LinearBudget,
    MlpBudget,
    ModelBudget,
    TreeBudget,
    budget_model_bytes,
    default_budget,
    encode_budget,
)
from mlmarket.ml.metrics import check_metric, default_metric, metric_code, threshold_score
from mlmarket.ml.validation import validate_frame
from mlmarket.units import Amount, from_units, to_units

if TYPE_CHECKING:
    from mlmarket.chain import NamedAccount
    from mlmarket.market.market import Market

DAY = 86_400
DEFAULT_PERIODS = {"submission": 2 * DAY, "reveal": DAY, "test_reveal": DAY, "evaluation": 2 * DAY}
MODELS_PER_CALL = 4


class CompetitionService:
    """Competitions of a market (``market.competitions``).

    Example:
        >>> comp = market.competitions.create(data=load_sample("breast_cancer"),
        ...     target="diagnosis", creator="alice", reward=100, name="Diagnosis")
        >>> comp.phase
        'submission'
    """

    def __init__(self, market: Market, factory: Any) -> None:
        self.market = market
        self.chain = market.chain
        self.factory = factory
        from mlmarket.contracts import load_artifact

        self._abi = load_artifact("Competition").abi

    @cached_property
    def score_claims(self) -> Any:
        """The ``ScoreClaims`` contract of optimistic competitions (from the factory)."""
        from mlmarket.contracts import load_artifact

        address = self.chain.read(self.factory, "scoreClaims")
        return self.chain.contract(str(address), load_artifact("ScoreClaims").abi)

    def get(self, which: str | int) -> Competition:
        """A competition by address or by its index in the factory (0-based)."""
        if isinstance(which, int):
            which = self.chain.read(self.factory, "competitionAt", which)
        return Competition(self.market, str(which), self.chain.contract(str(which), self._abi))

    def all(self) -> list[Competition]:
        count = self.chain.read(self.factory, "competitionCount")
        return [self.get(i) for i in range(count)]

    def list(self) -> pd.DataFrame:
        """Every competition: name, creator, reward (float tokens; exact in ``reward_exact``),
        model family, phase, submissions."""
        rows = []
        for index, comp in enumerate(self.all()):
            rows.append(
                {
                    "index": index,
                    "name": comp.name,
                    "creator": self.chain.describe(comp.creator),
                    "reward": comp.reward,
                    "model_family": comp.model_family,
                    "phase": comp.phase,
                    "submissions": self.chain.read(comp.contract, "submissionCount"),
                    "address": comp.address,
                }
            )
        columns = ["index", "name", "creator", "reward", "model_family", "phase", "submissions",
                   "address"]  # fmt: skip
        return with_amounts(pd.DataFrame(rows, columns=columns).set_index("index"), "reward")

    # --- creating ------------------------------------------------------------------

    def create(
        self,
        *,
        target: str,
        creator: NamedAccount | str,
        reward: Amount,
        data: pd.DataFrame | None = None,
        listing: Listing | int | None = None,
        test: pd.DataFrame | None = None,
        test_size: float = 0.3,
        name: str = "Competition",
        description: str = "",
        model_family: str = FAMILY,
        task: str | None = None,
        periods: dict[str, int] | None = None,
        payout: list[Any] | tuple[Any, ...] = (1,),
        entry_stake: Amount = 0,
        creator_bond: Amount | None = None,
        max_submissions_per_address: int = 0,
        models_per_call: int = MODELS_PER_CALL,
        model_budget: ModelBudget | None = None,
        metric: str | None = None,
        entries_per_period: int = 0,
        period: int | pd.Timedelta | None = None,
        finals: int = 0,
        multiple_places: bool = False,
        evaluation: str = "on-chain",
        challenge_window: int | pd.Timedelta | None = None,
        claim_bond: Amount | None = None,
        challenge_bond: Amount | None = None,
        seed: int = 0,
        public_size: float | int = 0,
        public_window: int | pd.Timedelta | None = None,
        public_claim_bond: Amount | None = None,
        stake_threshold: float | Decimal | str | None = None,
        slash: float | Decimal | str = 0,
        merger_deadline: int | pd.Timedelta | pd.Timestamp | None = None,
    ) -> Competition:
        """Escrow ``reward`` and open a competition.

        Give ``data`` (split into public training data and a hidden test set of
        ``test_size``) or a ``listing`` the participants buy, with a separate ``test``
        DataFrame (the hidden test set is never in a listing). ``periods`` are phase
        durations in seconds; ``payout`` the share of each place (summing to 1).

        ``creator_bond`` (default: as much as the reward) is escrowed too and comes back
        unless the creator defaults (does not reveal the test set in time): then the
        models are scored on the committed training data, only those beating the
        best constant prediction are paid, and the bond and unearned places are burned
        (docs/trust-model.md). A bond below the reward lets a creator whose other
        addresses overfit the training data win back up to the difference.

        ``model_budget`` bounds the models the competition accepts
        (:class:`~mlmarket.ml.budgets.LinearBudget`, ``MlpBudget`` or ``TreeBudget``;
        default: :func:`~mlmarket.ml.budgets.default_budget` for the task's shape). The
        test chunks are sized for the most expensive model within it, and a model above
        it is refused at reveal (and by ``submit`` before anything is sent).

        ``metric`` ranks the models (:mod:`mlmarket.ml.metrics`): ``"accuracy"`` (the
        default for classification), ``"balanced_accuracy"`` or ``"macro_f1"`` (for
        imbalanced classes; at most 32 classes), ``"mse"`` (the default for regression) or
        ``"mae"``. ``entries_per_period`` caps each account's commits per ``period``
        (seconds or a ``pd.Timedelta``, counted from creation; 0 = no cap). ``finals``
        (0 = all) is how many submissions per account are evaluated and ranked: by default
        its last ``finals``, or those it picks with ``comp.select_finals``. Each account
        takes at most one prize place unless ``multiple_places``.

        ``evaluation="optimistic"`` lets anyone score a model by posting a bonded claim of
        its per-chunk results (``comp.claim_scores``) that others may challenge on one chunk
        during ``challenge_window`` (seconds or a ``pd.Timedelta``; default a quarter of the
        evaluation phase, at least an hour and shorter than the phase); ``comp.watch``
        challenges wrong claims. ``claim_bond`` (default a tenth of the reward; at least
        1 %) is lost to a successful challenger, ``challenge_bond`` (default a tenth of the
        claim bond) to the sink when a challenge fails. On-chain ``comp.evaluate()`` stays
        possible (docs/competition-protocol.md, "Optimistic evaluation").

        ``public_size`` opens a **public leaderboard**: that fraction (0 < x < 1) or that
        number of rows of the hidden test set (split off stratified, with ``seed``) is
        published at creation as the public test set (``comp.public_data()``), committed
        with a zero salt in the private set's chunk size; the rest stays hidden and alone
        decides the prizes. Each commit posts a bonded claim of the model's public score
        (``comp.submit`` does it; ``public_claim_bond``, default 1 % of the reward), shown by
        ``comp.leaderboard("public")`` while no model is revealed. Once revealed, anyone
        may challenge a claim on one public chunk (``comp.watch``): a false claim loses its
        bond and disqualifies the submission. The private test set can be revealed only
        ``public_window`` after the reveal deadline (seconds or a ``pd.Timedelta``; default
        half the test-reveal phase, at least an hour, shorter than that phase).

        ``slash`` (a fraction, 0 = off; needs an ``entry_stake``) turns entry stakes into
        **performance stakes**: a revealed final's stake is held until finalization; if its
        private score does not beat ``stake_threshold`` (in the metric's units: 0.8
        accuracy, 0.75 macro F1, an MSE in the target's units; strictly better, compared
        exactly) that share of it is slashed and shared by the stakes that beat it
        (``comp.stakes()``, ``comp.withdraw_stakes()``). ``merger_deadline`` (seconds from
        now, a ``pd.Timedelta`` from now or a ``pd.Timestamp``; default the submission
        deadline) is when teams stop forming and merging.

        The data (and ``test``) are checked first, as ``market.data.publish`` checks
        them (:mod:`mlmarket.ml.validation`): a target with missing or infinite values
        (or text, for a regression) raises :class:`~mlmarket.errors.TargetValidationError`,
        a feature with text, missing or infinite values
        :class:`~mlmarket.errors.FeatureValidationError`, naming the columns and rows,
        before anything is stored or sent.
        """
        if model_family not in FAMILIES:
            raise ConfigurationError(
                f"No evaluator for model family {model_family!r}; supported: "
                f"{', '.join(repr(f) for f in FAMILIES)}."
            )
        account = self.chain.accounts.resolve(creator)
        reward_units = to_units(reward)
        if reward_units <= 0:
            raise ConfigurationError(f"The reward must be positive (got {reward}).")
        bond_units = reward_units if creator_bond is None else to_units(creator_bond)
        if bond_units < 0:
            raise ConfigurationError(f"The creator bond cannot be negative (got {creator_bond}).")
        payout_bps = _payout_bps(payout)
        durations = _periods(periods)
        rules = _rules(entries_per_period, period, finals)
        optimistic = _optimistic(
            evaluation, challenge_window, claim_bond, challenge_bond, reward_units, durations
        )
        board = _public_board(public_size, public_window, public_claim_bond, reward_units,
                              durations)  # fmt: skip
        stake_units = to_units(entry_stake)
        slash_bps = _slash_bps(slash, stake_threshold, stake_units)
        now = self.chain.clock.now()
        merger = _merger_deadline(merger_deadline, now, now + durations[0])
        for given in (data, test):  # before the split, so messages name the caller's rows
            if given is not None:
                validate_frame(given, target=target, task=task)
        train, hidden, listing_id = self._split(
            data, listing, test, target, test_size, seed, account
        )
        hidden, public = _public_split(hidden, target, board[0], seed)
        if listing_id:
            validate_frame(train, target=target, task=task)
        X, y = _xy(train, target)
        quantizer = Quantizer.fit(X, y, task=task)  # type: ignore[arg-type]
        metric = metric or default_metric(quantizer.n_classes)
        check_metric(metric, quantizer.n_classes)
        X_test, y_test = _xy(hidden, target)
        budget = _budget(model_budget, model_family, quantizer)
        testset = TestSet.from_data(
            X_test, y_test, quantizer, models_per_call=models_per_call, family=model_family,
            budget=budget, salt=self.market.random.bytes(32),
        )  # fmt: skip
        training_csv = train.to_csv(index=False).encode()
        if not listing_id:  # commit to the rows exactly as participants will parse them
            train = pd.read_csv(BytesIO(training_csv))
        training = TestSet.from_data(
            *_xy(train, target), quantizer, rows_per_chunk=testset.rows_per_chunk,
            salt=TRAINING_SALT,
        )  # fmt: skip
        public_csv = b"" if public is None else public.to_csv(index=False).encode()
        public_set = None if public is None else TestSet.from_data(
            *_xy(pd.read_csv(BytesIO(public_csv)), target), quantizer,
            rows_per_chunk=testset.rows_per_chunk, salt=TRAINING_SALT,
        )  # fmt: skip
        threshold = _stake_threshold(stake_threshold, slash_bps, metric, testset, quantizer)
        training_cid = "" if listing_id else self.market.store_content(training_csv)
        metadata = {
            "format": "mlmarket.competition/1", "name": name, "description": description,
            "target": target, "features": list(X.columns), "task": quantizer.task,
            "quantizer": quantizer.to_dict(), "training_data_cid": training_cid or None,
            "training_listing": listing_id or None, "models_per_call": models_per_call,
            "test_rows": testset.rows, "created": self.chain.clock.now(),
            "model_family": model_family, "metric": metric,
        }  # fmt: skip
        if public_set is not None:
            metadata.update(
                public_test_cid=self.market.store_content(public_csv), public_rows=public_set.rows
            )
        if slash_bps:
            metadata.update(stake_threshold=str(stake_threshold))
        metadata_cid = self.market.store_content(json.dumps(metadata, sort_keys=True).encode())
        params = self._params(
            reward_units, bond_units, training_cid, listing_id, training, testset, quantizer,
            payout_bps, durations, stake_units, max_submissions_per_address, metadata_cid,
            model_family, budget, metric, rules, multiple_places, optimistic, now,
        )  # fmt: skip
        extra = {"merger_deadline": merger, "slash_bps": slash_bps, "stake_threshold": threshold}
        if public_set is not None:
            extra.update(public_root=public_set.root, public_samples=public_set.rows,
                         public_window=board[1], public_claim_bond=board[2])  # fmt: skip
        params = dataclasses.replace(params, **extra)
        escrow = from_units(reward_units + bond_units)
        value, deadline, v, r, s = self.market.token.permit(account, self.factory.address, escrow)
        receipt = self.chain.send(
            self.factory,
            "createCompetitionWithPermit",
            params.to_chain(param_names(self._abi)),
            deadline,
            v,
            r,
            s,
            sender=account,
        )
        created = self.chain.receipt_events(self.factory.events.CompetitionCreated, receipt)
        address = str(created[0]["args"]["competition"])
        self.market.vault.put(
            "testsets", address,
            {"salt": testset.salt.hex(), "chunks": [c.hex() for c in testset.chunks],
             "rows": list(testset.row_counts)},
        )  # fmt: skip
        return self.get(address)

    def _split(
        self, data: pd.DataFrame | None, listing: Listing | int | None, test: pd.DataFrame | None,
        target: str, test_size: float, seed: int, creator: NamedAccount,
    ) -> tuple[pd.DataFrame, pd.DataFrame, int]:  # fmt: skip
        if (data is None) == (listing is None):
            raise ConfigurationError("Give either data= (a DataFrame) or listing=, not both.")
        if listing is not None:
            if test is None:
                raise ConfigurationError(
                    "A competition on a listing needs a separate hidden test set: pass test=."
                )
            item = self.market.data.listing(listing)
            return self._listing_frame(item, creator), test, item.id
        assert data is not None
        if target not in data.columns:
            raise DataValidationError(
                f"Target {target!r} is not a column; columns: {', '.join(map(str, data.columns))}."
            )
        if test is not None:
            return data, test, 0
        if not 0 < test_size < 1:
            raise ConfigurationError(f"test_size must be between 0 and 1, got {test_size}.")
        y = data[target]
        stratify = y if y.dtype.kind in "iub" or y.dtype == object else None
        train, hidden = train_test_split(
            data, test_size=test_size, random_state=seed, stratify=stratify
        )
        return train.reset_index(drop=True), hidden.reset_index(drop=True), 0

    def _listing_frame(self, item: Listing, creator: NamedAccount) -> pd.DataFrame:
        """The listing's data for fitting the quantizer: the owner's key or a purchase."""
        from mlmarket.crypto import open_purchase
        from mlmarket.datasets import load_plaintext

        if creator.address != item.owner or not self.market.vault.has("datakeys", str(item.id)):
            return self.market.data.download(item, buyer=creator)
        secret = self.market.vault.get("datakeys", str(item.id))
        plaintext = open_purchase(
            self.market.store.get(item.data_cid), dataset_id=item.metadata.dataset_id,
            commitment=item.key_commitment, sha256=item.metadata.sha256,
            key=bytes.fromhex(secret["key"]),
        )  # fmt: skip
        return load_plaintext(plaintext, item.metadata)

    def _params(
        self, reward: int, bond: int, training_cid: str, listing_id: int, training: TestSet,
        testset: TestSet, quantizer: Quantizer, payout_bps: list[int], durations: list[int],
        stake: int, cap: int, metadata_cid: str, family: str, budget: ModelBudget, metric: str,
        rules: tuple[int, int, int], multiple_places: bool, optimistic: tuple[int, int, int],
        now: int,
    ) -> CompetitionParams:  # fmt: skip
        ends, total = [], now
        for seconds in durations:
            total += seconds
            ends.append(total)
        max_model = budget_model_bytes(budget, quantizer.features, quantizer.n_classes)
        return CompetitionParams(
            token=self.market.token.address, reward=reward, creator_bond=bond,
            family=keccak(text=family), training_data_cid=training_cid,
            training_listing_id=listing_id, training_root=training.root,
            training_samples=training.rows, training_baseline=training.baseline(metric),
            test_root=testset.root, samples=testset.rows, chunk_size=testset.rows_per_chunk,
            features=quantizer.features, classes=quantizer.n_classes, max_model_size=max_model,
            payout_bps=tuple(payout_bps), submission_end=ends[0], reveal_end=ends[1],
            test_reveal_end=ends[2], evaluation_end=ends[3], entry_stake=stake,
            max_submissions_per_address=cap, metadata_cid=metadata_cid,
            model_budget=encode_budget(budget), metric=metric_code(metric),
            entries_per_period=rules[0], period_length=rules[1], finals=rules[2],
            multiple_places=bool(multiple_places), challenge_window=optimistic[0],
            claim_bond=optimistic[1], challenge_bond=optimistic[2],
        )  # fmt: skip


def _rules(
    entries_per_period: int, period: int | pd.Timedelta | None, finals: int
) -> tuple[int, int, int]:
    """``(entriesPerPeriod, periodLength, finals)`` checked: whole numbers in range."""
    if isinstance(period, pd.Timedelta):
        period = int(period.total_seconds())
    for name, value, top in (("entries_per_period", entries_per_period, 2**32 - 1),
                             ("finals", finals, 255)):  # fmt: skip
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
            raise ConfigurationError(
                f"{name} must be a whole number from 0 to {top}, not {value!r}."
            )
    if entries_per_period and (period is None or int(period) <= 0):
        raise ConfigurationError(
            f"entries_per_period={entries_per_period} needs period=, the period's length in "
            "seconds (or a pd.Timedelta), e.g. period=86400 for a daily cap."
        )
    if period is not None and not entries_per_period:
        raise ConfigurationError(
            "period= only counts entries_per_period; give both, or neither for no cap."
        )
    return entries_per_period, int(period or 0), finals


EVALUATIONS = ("on-chain", "optimistic")
MIN_CHALLENGE_WINDOW = 3600  # CompetitionFactory.MIN_CHALLENGE_WINDOW
CLAIM_SETTLE_MARGIN = 600  # IScoreClaims.sol: a window ends this long before the deadline


def _optimistic(
    evaluation: str, window: int | pd.Timedelta | None, claim_bond: Amount | None,
    challenge_bond: Amount | None, reward: int, durations: list[int],
) -> tuple[int, int, int]:  # fmt: skip
    """``(challengeWindow, claimBond, challengeBond)`` in seconds and token units, checked
    as the factory checks them (all zero for on-chain evaluation)."""
    if evaluation not in EVALUATIONS:
        raise ConfigurationError(f"evaluation must be one of {EVALUATIONS}, not {evaluation!r}.")
    if evaluation == "on-chain":
        if any(v is not None for v in (window, claim_bond, challenge_bond)):
            raise ConfigurationError(
                "challenge_window, claim_bond and challenge_bond are for evaluation='optimistic'."
            )
        return 0, 0, 0
    phase = durations[3]
    if isinstance(window, pd.Timedelta):
        window = int(window.total_seconds())
    seconds = int(window) if window is not None else max(MIN_CHALLENGE_WINDOW, phase // 4)
    if not MIN_CHALLENGE_WINDOW <= seconds < phase - CLAIM_SETTLE_MARGIN:
        raise ConfigurationError(
            f"challenge_window must be at least {MIN_CHALLENGE_WINDOW} s and shorter than the "
            f"evaluation phase ({phase} s) less {CLAIM_SETTLE_MARGIN} s to settle, so a claim "
            f"posted at the test reveal can close before the deadline; got {seconds} s."
        )
    bond = to_units(claim_bond) if claim_bond is not None else reward // 10
    if bond <= 0 or bond < reward // 100:
        raise ConfigurationError(
            f"claim_bond must be at least 1 % of the reward ({from_units(max(reward // 100, 1))} "
            f"tokens): it is what a wrong claim loses; got {from_units(bond)}."
        )
    stake = to_units(challenge_bond) if challenge_bond is not None else bond // 10
    if stake <= 0:
        raise ConfigurationError(f"challenge_bond must be positive, got {from_units(stake)}.")
    return seconds, bond, stake


def _public_board(
    size: float | int, window: int | pd.Timedelta | None, bond: Amount | None, reward: int,
    durations: list[int],
) -> tuple[float | int, int, int]:  # fmt: skip
    """``(public_size, publicWindow, publicClaimBond)`` checked as the factory checks them
    (all zero without a public board)."""
    whole = isinstance(size, numbers.Integral) and not isinstance(size, bool)
    if not whole and not (isinstance(size, float) and 0 < size < 1):
        raise ConfigurationError(
            "public_size is the public part of the hidden test set: a fraction between 0 and 1 "
            f"or a whole number of rows (0 = no public leaderboard); got {size!r}."
        )
    if whole and int(size) < 0:
        raise ConfigurationError(f"public_size cannot be negative (got {size}).")
    if not size:
        if window is not None or bond is not None:
            raise ConfigurationError(
                "public_window and public_claim_bond are for a public leaderboard: give "
                "public_size= too (a fraction or a number of the hidden test rows)."
            )
        return 0, 0, 0
    phase = durations[2]
    if isinstance(window, pd.Timedelta):
        window = int(window.total_seconds())
    seconds = int(window) if window is not None else max(MIN_CHALLENGE_WINDOW, phase // 2)
    if not MIN_CHALLENGE_WINDOW <= seconds < phase:
        raise ConfigurationError(
            f"public_window must be at least {MIN_CHALLENGE_WINDOW} s and shorter than the "
            f"test-reveal phase ({phase} s): public claims are checked for that long after the "
            "reveal deadline, then the creator reveals the private test set before the phase "
            f"ends; got {seconds} s (lengthen periods['test_reveal'] if it is too short)."
        )
    units = to_units(bond) if bond is not None else max(reward // 100, 1)
    if units <= 0:
        raise ConfigurationError(
            f"public_claim_bond must be positive: it is what a false public score loses; got "
            f"{from_units(units)}."
        )
    return int(size) if whole else size, seconds, units


def _public_split(
    hidden: pd.DataFrame, target: str, size: float | int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The hidden test set split into its private and public parts (stratified on a
    class target where every class allows it), or unchanged without a public board."""
    if not size:
        return hidden, None
    rows = len(hidden)
    public_rows = int(size) if isinstance(size, int) else math.ceil(size * rows)
    if not 0 < public_rows < rows:
        raise ConfigurationError(
            f"public_size={size} takes {public_rows} of the {rows} hidden test rows; both the "
            "public and the private part need at least one."
        )
    y = hidden[target] if target in hidden.columns else None
    stratify = y if y is not None and (y.dtype.kind in "iub" or y.dtype == object) else None
    try:
        private, public = train_test_split(
            hidden, test_size=public_rows, random_state=seed, stratify=stratify
        )
    except ValueError:  # a class too rare to be in both parts
        private, public = train_test_split(hidden, test_size=public_rows, random_state=seed)
    return private.reset_index(drop=True), public.reset_index(drop=True)


def _slash_bps(slash: float | Decimal | str, threshold: object, stake: int) -> int:
    """``slashBps`` checked: a share of the entry stake, with a threshold to judge it by."""
    try:
        share = Decimal(str(slash)) if not isinstance(slash, bool) else Decimal("NaN")
    except ArithmeticError:
        share = Decimal("NaN")
    if not share.is_finite() or not 0 <= share <= 1 or (share * 10_000) % 1:
        raise ConfigurationError(
            "slash is the share of a staked final's entry stake lost below the threshold: a "
            f"fraction from 0 to 1 with at most 4 decimals (0 = no performance stakes); got "
            f"{slash!r}."
        )
    bps = int(share * 10_000)
    if bps and not stake:
        raise ConfigurationError(
            "Performance stakes (slash=) need an entry_stake: the slash is a share of it."
        )
    if bps and threshold is None:
        raise ConfigurationError(
            "slash= needs stake_threshold=, the private score (in the metric's units, e.g. "
            "0.8 accuracy) a staked final must beat to keep its stake."
        )
    if not bps and threshold is not None:
        raise ConfigurationError(
            "stake_threshold only counts with performance stakes: give slash= (a share of the "
            "entry stake) too."
        )
    return bps


def _stake_threshold(
    threshold: Any, bps: int, metric: str, testset: TestSet, quantizer: Quantizer
) -> int:
    """``stakeThreshold``: ``threshold`` in the metric's units as the contract's score over
    the private test rows (0 without performance stakes)."""
    if not bps:
        return 0
    shift = quantizer.label_shift if quantizer.n_classes == 0 else 0
    units = threshold_score(metric, threshold, labels=testset.labels(),
                            classes=quantizer.n_classes, label_shift=shift)  # fmt: skip
    if units >= 2**256:
        raise ConfigurationError(f"stake_threshold={threshold} is too large for the contract.")
    return units


def _merger_deadline(
    given: int | pd.Timedelta | pd.Timestamp | None, now: int, submission_end: int
) -> int:
    """``mergerDeadline`` in Unix seconds (0: the submission deadline), checked as the
    factory checks it."""
    if given is None:
        return 0
    if isinstance(given, pd.Timedelta):
        at = now + int(given.total_seconds())
    elif isinstance(given, datetime):
        at = unix(given)
    elif isinstance(given, numbers.Integral) and not isinstance(given, bool):
        at = now + int(given)
    else:
        raise ConfigurationError(
            "merger_deadline is seconds from now, a pd.Timedelta from now or a pd.Timestamp; "
            f"got {given!r}."
        )
    if not now < at <= submission_end:
        raise ConfigurationError(
            f"merger_deadline must fall after now and at the latest at the submission deadline "
            f"({moment(submission_end)}); got {moment(at) if at > 0 else at}."
        )
    return at


def _budget(given: ModelBudget | None, family: str, quantizer: Quantizer) -> ModelBudget:
    """The creator's budget, checked against the family, or the family's default."""
    if given is None:
        return default_budget(family, quantizer.features, quantizer.n_classes)
    if not isinstance(given, LinearBudget | MlpBudget | TreeBudget):
        raise ConfigurationError(
            f"model_budget must be a LinearBudget, MlpBudget or TreeBudget, not {given!r}."
        )
    if given.family != family:
        raise ConfigurationError(
            f"A {given.family} model budget does not suit a {family} competition; use "
            f"mlmarket.ml.budgets.{type(default_budget(family, 1, 2)).__name__}."
        )
    encode_budget(given)  # range checks, before anything is sent
    return given


def _xy(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    if target not in frame.columns:
        raise DataValidationError(f"Target {target!r} is not a column of the data.")
    return frame.drop(columns=target), frame[target]


def _payout_bps(payout: list[Any] | tuple[Any, ...]) -> list[int]:
    shares = [Decimal(str(p)) * 10_000 for p in payout]
    if not shares or any(s != s.to_integral_value() or s < 0 for s in shares):
        raise ConfigurationError(
            f"payout must list each place's share as a fraction with at most 4 decimals, got "
            f"{list(payout)}."
        )
    if sum(shares) != 10_000 or len(shares) > 10:
        raise ConfigurationError(
            f"payout shares must sum to 1 over at most 10 places (got {list(payout)})."
        )
    return [int(s) for s in shares]


def _periods(periods: dict[str, int] | None) -> list[int]:
    merged = {**DEFAULT_PERIODS, **(periods or {})}
    unknown = set(merged) - set(DEFAULT_PERIODS)
    if unknown:
        raise ConfigurationError(
            f"Unknown phase(s) {sorted(unknown)}; periods are {', '.join(DEFAULT_PERIODS)}."
        )
    durations = [int(merged[name]) for name in DEFAULT_PERIODS]
    if any(d <= 0 for d in durations):
        raise ConfigurationError(f"Every phase must last a positive number of seconds: {merged}.")
    return durations
