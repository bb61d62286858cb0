"""Agents: who acts in a simulated market, and how (parameters only, so they pickle).

An agent is a frozen dataclass: a ``name`` (its label in the results), the market
``accounts`` it signs with, the ``side`` it plays for (``"honest"`` or ``"attacker"``:
the results sum profit by side) and its own parameters. At each step of a scenario's
schedule the runner calls :meth:`Agent.act` once; the agent looks at the step's name and
acts, or does nothing (returns ``None``). Each action is one *substep* of the results.

Honest agents act through the :class:`~mlmarket.market.Market` API, as a user would.
Attackers may also send raw contract calls (``ctx.market.chain.transact(contract.functions
...)``), as the trust review's attacks did. A refused action raises the contract's named
error; the runner records its name and the run goes on (an attack that reverts is an
outcome, not a failure).

Parameters a sweep varies live in the scenario's ``params`` (``ctx.param(name)``): the
creator's ``reward``, ``bond`` (the creator bond as a fraction of the reward),
``entry_stake`` and ``payout``; a curator's ``review_window``; and so on. An agent's own
fields are what stays fixed for that agent.

Example:
    >>> Participant("bob", model="logistic", C=0.5).accounts
    ('bob',)
    >>> Sybil("sybils", accounts=("grace", "heidi"), side="attacker").side
    'attacker'
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from mlmarket.sim.models import fit_model, junk_model

if TYPE_CHECKING:
    from mlmarket.sim.scenario import Context

__all__ = [
    "Agent",
    "Buyer",
    "Claimer",
    "Contributor",
    "Copycat",
    "Creator",
    "Curator",
    "DataOwner",
    "Entrant",
    "Evaluator",
    "Participant",
    "Spammer",
    "Sybil",
    "Watcher",
]

DAY = 86_400


@dataclass(frozen=True)
class Agent:
    """Base of every agent: a name, the accounts it signs with, its side.

    ``accounts`` defaults to ``(name,)``: an agent named after a market account (``"bob"``)
    signs as that account. Subclasses override :meth:`act`; at the ``"claim"`` step every
    agent collects what its accounts are owed (:meth:`collect`).
    """

    name: str
    accounts: tuple[str, ...] = ()
    side: str = "honest"

    def __post_init__(self) -> None:
        if not self.accounts:
            object.__setattr__(self, "accounts", (self.name,))
        if isinstance(self.accounts, str):
            object.__setattr__(self, "accounts", (self.accounts,))
        if self.side not in ("honest", "attacker"):
            raise ValueError(f"side must be 'honest' or 'attacker', not {self.side!r}.")

    @property
    def account(self) -> str:
        """The agent's first (main) account."""
        return self.accounts[0]

    def intent(self, step: str) -> str:
        """What the agent was doing at ``step`` (the label of an action that was refused)."""
        return step

    def act(self, ctx: Context, step: str) -> str | None:
        """Act at ``step``; return what was done (the action's label) or None."""
        if step == "claim":
            return self.collect(ctx)
        return None

    def collect(self, ctx: Context) -> str | None:
        """Claim prizes and withdraw stakes of a finalized competition, and the data
        market's revenue and collection shares, for each of the agent's accounts."""
        done = []
        comp = ctx.competition
        if comp is not None and comp.phase == "finalized":
            for account in self.accounts:
                address = ctx.market.chain.address(account)
                due = ctx.market.chain.read(comp.contract, "claimable", address)
                claimed = ctx.market.chain.read(comp.contract, "hasClaimed", address)
                if due and not claimed:
                    comp.claim(by=account)
                    done.append("claim")
            if comp.params.slash_bps and comp.withdraw_stakes(by=self.account):
                done.append("withdraw_stakes")
        for account in self.accounts:
            if ctx.market.data.revenue(account) > 0:
                ctx.market.data.withdraw(account)
                done.append("withdraw_revenue")
            collection = ctx.collection
            if collection is not None and ctx.market.data.collections.pending(collection, account):
                ctx.market.data.collections.claim(collection, contributor=account)
                done.append("claim_shares")
        return "+".join(dict.fromkeys(done)) or None


# --- competitions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Creator(Agent):
    """Opens the competition (step ``"open"``) and reveals its test set (``"reveal_test"``).

    The reward, bond, entry stake, payout and evaluation come from the scenario's params
    (``reward``, ``bond`` as a fraction of the reward, ``entry_stake``, ``payout``,
    ``evaluation``). ``reveal=False`` is a defaulting creator: it never reveals.
    ``equivocate=True`` is an equivocating creator: at ``"evaluate"`` it sends a raw
    ``evaluate`` call scoring the models on a relabelled copy of the first test chunk with
    the real chunk's proof (the positional commitment refuses it).
    """

    reveal: bool = True
    equivocate: bool = False

    def act(self, ctx: Context, step: str) -> str | None:
        if step == "open":
            reward = Decimal(str(ctx.param("reward", 100)))
            bond = reward * Decimal(str(ctx.param("bond", 1)))
            ctx.competition = ctx.market.competitions.create(
                data=ctx.train, test=ctx.test, target=ctx.target, creator=self.account,
                reward=reward, creator_bond=bond, name=ctx.scenario_name,
                entry_stake=Decimal(str(ctx.param("entry_stake", 0))),
                payout=list(ctx.param("payout", (1,))),
                evaluation=ctx.param("evaluation", "on-chain"),
            )  # fmt: skip
            return "create_competition"
        if step == "reveal_test" and self.reveal:
            ctx.competition.reveal_test_set()
            return "reveal_test_set"
        if step == "evaluate" and self.equivocate and self.reveal:
            self._equivocate(ctx)
            return "evaluate_relabelled_chunk"
        return super().act(ctx, step)

    def intent(self, step: str) -> str:
        return "evaluate_relabelled_chunk" if step == "evaluate" and self.equivocate else step

    def _equivocate(self, ctx: Context) -> None:
        from mlmarket.ml import MerkleTree, chunk_leaf

        comp = ctx.competition
        chunks, salt = comp._revealed_test_set()
        tree = MerkleTree([chunk_leaf(salt, i, c) for i, c in enumerate(chunks)])
        models = comp.scorable_models()
        if not models:
            return
        doctored = relabel_chunk(chunks[0])
        ids = sorted(models)
        fn = comp.contract.functions.evaluate(
            0, doctored, tree.proof(0), ids, [models[i] for i in ids]
        )
        ctx.market.chain.transact(fn, sender=self.account)


def relabel_chunk(chunk: bytes) -> bytes:
    """The chunk with every binary label flipped (what an equivocating creator would score
    an honest model on); the header and features are unchanged."""
    rows = int.from_bytes(chunk[7:11], "big")  # header: magic, version, kind, d, rows
    body = bytearray(chunk)
    for i in range(len(body) - rows, len(body)):  # one class-index byte per row, last
        body[i] ^= 1
    return bytes(body)


@dataclass(frozen=True)
class Entrant(Agent, ABC):
    """Base of the competition's entrants: :meth:`enter` at ``"submit"`` (commit models),
    reveal every pending submission of its accounts at ``"reveal"``."""

    @abstractmethod
    def enter(self, ctx: Context) -> str | None:
        """Commit this entrant's models; return the action's label (None: stays out)."""

    def act(self, ctx: Context, step: str) -> str | None:
        if step == "submit":
            return self.enter(ctx)
        if step == "reveal":
            revealed = []
            for account in self.accounts:
                revealed += ctx.competition.reveal(by=account)
            return "reveal" if revealed else None
        return super().act(ctx, step)


@dataclass(frozen=True)
class Participant(Entrant):
    """An honest trainer: fits ``model`` (``"logistic"``, ``"svm"``, ``"perceptron"``,
    ``"ridge"``) on a random ``fraction`` of the training rows, submits it (step
    ``"submit"``) and reveals it (``"reveal"``). Its fitted model is posted to
    ``ctx.notes["models"]`` (what a copycat copies). It enters only if the place it expects
    pays enough (:meth:`joins`): how a payout split draws participants in."""

    model: str = "logistic"
    C: float = 1.0
    fraction: float = 0.8
    expects_place: int = 1
    min_prize: float = 0.0

    def joins(self, ctx: Context) -> bool:
        """Whether the prize of the place it expects (``expects_place``, from the params'
        ``reward`` and ``payout``) is worth at least ``min_prize`` plus the entry stake."""
        payout = list(ctx.param("payout", (1,)))
        share = payout[self.expects_place - 1] if self.expects_place <= len(payout) else 0
        prize = float(ctx.param("reward", 100)) * float(share)
        return prize >= self.min_prize + float(ctx.param("entry_stake", 0))

    def enter(self, ctx: Context) -> str | None:
        if self.joins(ctx):
            seed = int(ctx.stream(self.name).integers(2**31))
            estimator = fit_model(self.model, ctx.train, ctx.target, self.C, self.fraction, seed)
            ctx.notes.setdefault("models", {})[self.name] = estimator
            ctx.competition.submit(estimator, by=self.account)
            return "submit"
        return None


@dataclass(frozen=True)
class Copycat(Entrant):
    """Submits a copy of another agent's model (``of``), as if it had been published
    elsewhere: the same bytes, its own salt. Acts after ``of`` in the same step."""

    of: str = ""

    def enter(self, ctx: Context) -> str | None:
        original = ctx.notes.get("models", {}).get(self.of)
        if original is None:
            return None
        ctx.competition.submit(original, by=self.account)
        return "submit_copy"


@dataclass(frozen=True)
class Spammer(Entrant):
    """Commits ``entries`` junk models (fitted on shuffled labels) and reveals them."""

    entries: int = 3

    def enter(self, ctx: Context) -> str | None:
        for _ in range(self.entries):
            seed = int(ctx.stream(self.name).integers(2**31))
            ctx.competition.submit(junk_model(ctx.train, ctx.target, seed), by=self.account)
        return "submit_junk"


@dataclass(frozen=True)
class Sybil(Entrant):
    """Several addresses of one party (by default the creator's: ``side="attacker"``),
    each entering one model: ``model="junk"`` (shuffled labels) or an honest fit
    (``"logistic"``, ...) on all the training rows, with a different regularisation per
    address (``C`` = 1, 0.1, 0.01, ...: different bytes, so no copies), which can win a
    default."""

    model: str = "junk"

    def enter(self, ctx: Context) -> str | None:
        for index, account in enumerate(self.accounts):
            seed = int(ctx.stream(self.name).integers(2**31))
            if self.model == "junk":
                estimator = junk_model(ctx.train, ctx.target, seed)
            else:  # each address its own regularisation: different bytes, not copies
                C = 10.0**-index
                estimator = fit_model(self.model, ctx.train, ctx.target, C, 1.0, seed)
            ctx.competition.submit(estimator, by=account)
        return f"submit_{self.model}"


@dataclass(frozen=True)
class Evaluator(Agent):
    """Anyone who scores the revealed models (``"evaluate"``) and finalizes (``"finalize"``).
    In an optimistic competition it scores on chain, at ``"settle"``, the models no claim
    scored (those whose claim a watcher voided)."""

    def act(self, ctx: Context, step: str) -> str | None:
        comp = ctx.competition
        if comp is None:
            return super().act(ctx, step)
        if step == "evaluate" and comp.phase in ("evaluation", "default_evaluation"):
            if comp.evaluation == "optimistic" and comp.phase == "evaluation":
                return None  # claimers and watchers do it
            comp.evaluate(by=self.account, progress=False)
            return "evaluate"
        if step == "settle" and comp.evaluation == "optimistic" and comp.phase == "evaluation":
            # What no surviving claim scored (a voided claim's model) is scored on chain.
            return "evaluate" if comp.evaluate(by=self.account, progress=False) else None
        if step == "finalize" and not comp.chain.read(comp.contract, "finalized"):
            comp.finalize(by=self.account)
            return "finalize"
        return super().act(ctx, step)


@dataclass(frozen=True)
class Claimer(Agent):
    """Optimistic evaluation: posts a bonded claim of each revealed model's results
    (``"evaluate"``). ``lie=True`` claims one more row right than the truth on every chunk."""

    lie: bool = False

    def act(self, ctx: Context, step: str) -> str | None:
        comp = ctx.competition
        if step != "evaluate" or comp.evaluation != "optimistic" or comp.phase != "evaluation":
            return super().act(ctx, step)
        if not self.lie:
            comp.claim_scores(by=self.account)
            return "claim_scores"
        for sub_id in sorted(comp.scorable_models()):
            results = [_inflated(list(leaf)) for leaf in comp.chunk_results(sub_id)]
            comp.post_claim(sub_id, results, by=self.account)
        return "post_false_claims"


def _inflated(leaf: list[int]) -> list[int]:
    """A false leaf: one more row right than the model got (the first value of a leaf is
    its correct count, or its first tally)."""
    return [leaf[0] + 1, *leaf[1:]]


@dataclass(frozen=True)
class Watcher(Agent):
    """Optimistic evaluation: checks every open claim and challenges the wrong ones
    (``"watch"``), then settles them once the window is over (``"settle"``)."""

    def act(self, ctx: Context, step: str) -> str | None:
        comp = ctx.competition
        if comp is None or comp.evaluation != "optimistic":
            return super().act(ctx, step)
        if step == "watch":
            done = comp.watch(by=self.account, settle=False)
            return "challenge" if len(done) else "watch"
        if step == "settle":
            return "settle_claims" if len(comp.settle_claims(by=self.account)) else None
        return super().act(ctx, step)


# --- data market ----------------------------------------------------------------------


@dataclass(frozen=True)
class DataOwner(Agent):
    """Publishes ``rows`` training rows as a listing at ``price`` (``"open"``)."""

    price: float = 10.0
    rows: int = 100

    def act(self, ctx: Context, step: str) -> str | None:
        if step == "open":
            frame = ctx.train.sample(n=min(self.rows, len(ctx.train)), random_state=0)
            listing = ctx.market.data.publish(
                frame, owner=self.account, price=Decimal(str(self.price)), name=self.name,
                target=ctx.target,
            )  # fmt: skip
            ctx.notes.setdefault("listings", []).append(listing.id)
            return "publish"
        return super().act(ctx, step)


@dataclass(frozen=True)
class Buyer(Agent):
    """Buys every listing it wants (``"trade"``): those whose price is at most ``budget``."""

    budget: float = 50.0

    def act(self, ctx: Context, step: str) -> str | None:
        if step == "trade":
            bought = 0
            for listing_id in ctx.notes.get("listings", []):
                listing = ctx.market.data.listing(listing_id)
                if listing.price <= Decimal(str(self.budget)):
                    ctx.market.data.buy(listing, buyer=self.account)
                    bought += 1
            return "buy" if bought else None
        return super().act(ctx, step)


@dataclass(frozen=True)
class Curator(Agent):
    """Opens a collection (``"open"``) and reviews its batches (``"review"``).

    ``honesty`` is the chance it judges a batch on its rows (accepting clean ones,
    rejecting poisoned ones); otherwise it accepts (a self-dealing curator accepts all its
    friends' junk: ``honesty=0``). ``diligence`` is the chance it reviews a batch at all;
    an unreviewed batch is settled as accepted once the review window passes. Stake,
    bounty and window come from the params (``stake``, ``bounty_per_row``,
    ``bounty_fund``, ``bounty_cap``, ``review_window`` in seconds).
    ``self_contribute=True`` also tries to contribute junk to its own collection at
    ``"contribute"`` (to accept it and take bounty and shares): the contract refuses it.
    """

    honesty: float = 1.0
    diligence: float = 1.0
    self_contribute: bool = False

    def intent(self, step: str) -> str:
        return "contribute_to_own_collection" if step == "contribute" else step

    def act(self, ctx: Context, step: str) -> str | None:
        service = ctx.market.data.collections
        if step == "contribute" and self.self_contribute:
            service.contribute(ctx.collection, ctx.train.head(20), contributor=self.account)
            return "contribute_to_own_collection"
        if step == "open":
            ctx.collection = service.create(
                curator=self.account, name=ctx.scenario_name, template=ctx.train.head(5),
                target=ctx.target, review_window=int(ctx.param("review_window", 2 * DAY)),
                stake=Decimal(str(ctx.param("stake", 1))),
                bounty_per_row=Decimal(str(ctx.param("bounty_per_row", "0.1"))),
                max_bounty_rows_per_contributor=int(ctx.param("bounty_cap", 0)),
                bounty_fund=Decimal(str(ctx.param("bounty_fund", 100))),
            )  # fmt: skip
            return "create_collection"
        if step == "review":
            reviewed = []
            for batch in service.batch_list(ctx.collection):
                draws = ctx.stream(self.name).random(2)  # both drawn: common across params
                if batch.status != "pending" or draws[0] >= self.diligence:
                    continue
                if ctx.market.chain.clock.now() > batch.review_by:
                    continue  # too late: anyone settles it as accepted
                honest = draws[1] < self.honesty
                poisoned = ctx.notes.get("poisoned", {}).get(batch.id, 0)
                service.review(batch, accept=not (honest and poisoned))
                reviewed.append(batch.id)
            return "review" if reviewed else None
        return super().act(ctx, step)


@dataclass(frozen=True)
class Contributor(Agent):
    """Contributes ``rows`` rows to the collection (``"contribute"``); a fraction
    ``poison`` of them with flipped labels. A self-dealing curator's friends are
    contributors with ``side="attacker"`` and ``poison=1``."""

    rows: int = 40
    poison: float = 0.0

    def act(self, ctx: Context, step: str) -> str | None:
        if step == "contribute":
            pool = ctx.notes.setdefault("pool", ctx.train.sample(frac=1.0, random_state=1))
            start = ctx.notes.get("pool_used", 0)
            frame = pool.iloc[start : start + self.rows].copy()
            ctx.notes["pool_used"] = start + len(frame)
            flipped = int(round(self.poison * len(frame)))
            if flipped:
                labels = frame[ctx.target].to_numpy().copy()
                classes = np.unique(ctx.train[ctx.target])
                labels[:flipped] = [classes[(list(classes).index(v) + 1) % len(classes)]
                                    for v in labels[:flipped]]  # fmt: skip
                frame[ctx.target] = labels
            batch = ctx.market.data.collections.contribute(
                ctx.collection, frame, contributor=self.account
            )
            ctx.notes.setdefault("poisoned", {})[batch.id] = flipped
            ctx.notes.setdefault("batches", {})[batch.id] = frame
            return "contribute"
        if step == "settle" and ctx.collection is not None:
            settled = 0
            service = ctx.market.data.collections
            for batch in service.batch_list(ctx.collection):
                if batch.status == "pending" and ctx.market.chain.clock.now() > batch.review_by:
                    service.settle(batch, by=self.account)
                    settled += 1
            return "settle" if settled else None
        return super().act(ctx, step)
