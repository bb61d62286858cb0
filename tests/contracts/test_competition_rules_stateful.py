"""Competition rules as a state machine: every token is accounted for through commits,
final selection, reveals, evaluation and payouts, and the payouts follow the rules.

One example is one competition (docs/competition-protocol.md, "Rules: metrics, places,
periods, finals" and "6. Finalization and payouts"), created by the ``create`` rule with
drawn parameters: 0 to 2 finals, 0 to 2 entries per 50-second period, one or several
places per account, an entry stake, a creator bond, 1 to 3 paid places, a training
baseline and a metric (accuracy, balanced accuracy or macro F1, or the sum of squared or
absolute errors). Each step then draws an action of the current phase: commit (sometimes
a copy: identical model bytes), select finals, move the clock within the phase, reveal,
reveal the test set (sometimes with a wrong salt) or let the creator default, evaluate a
batch of finals on a chunk, close the phase, finalize or claim. Every call's outcome is
predicted, down to the named error and its fields, and a refused call must mine nothing.
After every step that mined a transaction:

- the clone holds exactly reward + bond + stakes of unrevealed submissions - paid out;
- the holders, the clone and the sink hold the whole supply, and every balance a step
  touched matches the model;
- ``isFinal`` of every id matches the model of finals (each account's last N commits, or
  its latest selection; read while they can change, in the Submission and Reveal phases,
  and at the end), as do ``revealedFinalCount``, ``prizePool``, ``phase`` and ``outcome``
  (the last two after every move of the clock too); after each evaluation the scores and
  the ranking match as well.

When the steps run out the competition is finished by a drawn ending (reveal everything
or not; reveal the test set, with the wrong salt, or default; evaluate everything or not)
and every account claims. The ranking, every payout, what the sink received and the
clone's zero balance match an independent Python model of the rules: only finals are
ranked, one place per account unless ``multiplePlaces``, ties to the earlier id, copies
never placed (the original is the lowest revealed final id of a model hash), lower is better for
the error sums, per-class scores by the docs' fixed-point formulas from the mock's
tallies, after a default the training scores strictly beating ``trainingBaseline``,
pool = reward + stakes of unrevealed submissions, dust and bond to the creator (to the
sink after a default).

MockEvaluator scores are written in the model bytes: ``mock_model(v0, .., vn-1)`` scores
``v[slot % n]`` on a chunk; test chunk i has slot i, training chunk i slot 100 + i. Its
``tallyBatch`` labels every row class 0: support ``[rows, 0, ..]``, tallies ``[v, v (tp_0),
0, .., v (predicted_0), 0, ..]``; for regression ``[v, v]``. Block times are exact: the
wall clock is frozen, so each transaction is mined one second after the previous block.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_abi import decode, encode
from eth_utils import keccak
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from mlmarket.chain import Chain
from mlmarket.chain.connect import default_backend
from mlmarket.contracts.errors import (
    CompetitionAlreadyClaimed,
    CompetitionAlreadyFinalized,
    CompetitionAlreadyRevealed,
    CompetitionChunkAlreadyEvaluated,
    CompetitionCommitmentMismatch,
    CompetitionCreatorCannotCommit,
    CompetitionDuplicateFinal,
    CompetitionInvalidChunkProof,
    CompetitionInvalidFinals,
    CompetitionModelMismatch,
    CompetitionNotCreator,
    CompetitionNotFinal,
    CompetitionNothingToClaim,
    CompetitionNotInPhase,
    CompetitionNotRevealed,
    CompetitionNotSubmitter,
    CompetitionPeriodCapReached,
    CompetitionSubmissionCapReached,
    CompetitionUnknownSubmission,
)
from tests.contracts.test_competition_kit import (
    ACCURACY,
    BALANCED_ACCURACY,
    BPS,
    DEFAULT_EVALUATION,
    DEFAULTED,
    EVALUATION,
    FINALIZED,
    HOLDERS,
    MACRO_F1,
    PENDING,
    RANKED,
    RETURNED,
    REVEAL,
    SAE,
    SINK,
    SSE,
    SUBMISSION,
    TEST_REVEAL,
    TOKEN,
    Competition,
    TestSet,
    World,
    as_tuple,
    events,
    make_world,
    mock_model,
    training_set,
    word,
)
from tests.contracts.test_data_market import freeze_wall_clock

PARTICIPANTS = ("alice", "bob", "dave")
CREATOR = "carol"
STRANGER = "erin"  # never commits: evaluates, tries the creator's call, claims nothing
EVERYONE = (*PARTICIPANTS, CREATOR, STRANGER)
COMMITTERS = ("alice",) * 4 + ("bob",) * 3 + ("dave",) * 2 + (CREATOR,)  # drawn by weight
CHUNK_SIZE = 4
TEST_SAMPLES = (4, 7, 11)  # 1, 2 or 3 test chunks, the last of at least 3 rows
TRAINING_SAMPLES = (3, 7)  # 1 or 2 training chunks
VALUE = st.integers(0, 3)  # per chunk: at most the rows of the smallest chunk; many ties
PERIOD = 50
# Seconds from creation to submissionEnd, then each later window.
SUBMISSION_WINDOW, REVEAL_WINDOW, TEST_REVEAL_WINDOW, EVALUATION_WINDOW = 150, 40, 40, 80
TASKS = (  # (classes, metric)
    (2, ACCURACY),
    (3, ACCURACY),
    (3, BALANCED_ACCURACY),
    (3, MACRO_F1),
    (0, SSE),
    (0, SAE),
)
EVALUATING = (EVALUATION, DEFAULT_EVALUATION)
# The action that ends each phase (the clock moves to the end of its window).
CLOSE = {
    SUBMISSION: "close_submissions",
    REVEAL: "close_reveals",
    TEST_REVEAL: "creator_defaults",
    EVALUATION: "end_evaluation",
    DEFAULT_EVALUATION: "end_evaluation",
}
ZERO_ADDRESS = "0x" + "0" * 40
# Steps per example. A transaction or a view costs several times more on eth-tester (py-evm)
# and anvil than on revm: fewer steps there (the teardown still finishes each competition).
STEPS = 70 if default_backend() == "revm" else 10

Refusal = tuple[type[Exception], dict[str, Any]]  # the error a call must raise, and its fields


def sometimes(chance: int) -> st.SearchStrategy[bool]:
    """True once in ``chance`` draws."""
    return st.sampled_from([True] + [False] * (chance - 1))


@st.composite
def payout_splits(draw: st.DrawFn) -> list[int]:
    """1 to 3 places (mostly several) summing to 10,000 bps, sometimes one of 0 bps."""
    k = draw(st.sampled_from((1, 2, 3, 2, 3)))
    cut = st.one_of(st.sampled_from([0, 1, 5000, BPS - 1, BPS]), st.integers(0, BPS))
    bounds = [0, *sorted(draw(st.lists(cut, min_size=k - 1, max_size=k - 1))), BPS]
    return [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


class Reader:
    """Views read straight from the node: ``eth_call`` without web3's contract layer.

    The invariants read a few dozen values per step; through ``contract.functions`` each
    costs about 5 ms on revm, this about 0.1 ms.
    """

    def __init__(self, chain: Chain) -> None:
        self.request = chain.w3.provider.make_request
        self.caller = chain.address(STRANGER)

    def __call__(self, to: str, signature: str, *args: Any, returns: str = "uint256") -> Any:
        types = [t for t in signature[signature.index("(") + 1 : -1].split(",") if t]
        data = keccak(text=signature)[:4] + encode(types, list(args))
        call = {"from": self.caller, "to": to, "data": "0x" + data.hex()}
        response = self.request("eth_call", [call, "latest"])
        assert "error" not in response, f"{signature} reverted: {response['error']}"
        (value,) = decode([returns], bytes.fromhex(response["result"].removeprefix("0x")))
        return value


@dataclass(frozen=True)
class Setup:
    world: World
    clone: str  # the factory's next clone: every example's competition gets this address
    snapshot: int
    start: dict[str, int]  # token balances of the holders
    sink: int  # the sink's balance
    supply: int


@dataclass
class Sub:
    """One submission, as the model sees it."""

    who: str
    model: bytes
    values: tuple[int, ...]
    time: int  # block time of its commit
    ordinal: int  # 1-based commit number of its submitter
    revealed: bool = False
    done: dict[bool, set[int]] = field(default_factory=lambda: {False: set(), True: set()})

    @property
    def hash(self) -> bytes:
        return keccak(self.model)

    @property
    def salt(self) -> bytes:
        return word(self.time)  # one commit per block

    def value(self, slot: int) -> int:
        return self.values[slot % len(self.values)]


@pytest.fixture(scope="module")
def base() -> Iterator[Setup]:
    world = make_world()
    chain = world.chain
    with chain.rollback():
        clone = world.create(CREATOR).address
    token = world.token.contract.functions
    # Unlimited allowances, so that a creation and a commit are one transaction each.
    chain.transact(token.approve(world.factory.address, 2**256 - 1), sender=CREATOR)
    for who in PARTICIPANTS:
        chain.transact(token.approve(clone, 2**256 - 1), sender=who)
    chain.clock.advance(1)  # eth-tester re-executes the snapshot's block on revert: an empty one
    start = {who: world.token.raw_balance_of(who) for who in HOLDERS}
    sink = world.token.raw_balance_of(SINK)
    supply = int(chain.call(token.totalSupply()))
    assert sum(start.values()) + sink == supply  # the holders and the sink hold every token
    yield Setup(world, clone, chain.snapshot(), start, sink, supply)
    chain.close()


class CompetitionMachine(RuleBasedStateMachine):
    """One example: the chain reverted to the setup snapshot, one competition and its model."""

    def __init__(self, setup: Setup) -> None:
        super().__init__()
        self.setup = setup
        self.world = setup.world
        self.chain = chain = setup.world.chain
        chain.revert(setup.snapshot)
        # From here each transaction is mined exactly one second after the last block.
        self.now = chain.clock.latest_block_time() + 1
        chain.clock.advance_to(self.now)
        self.read = Reader(chain)
        self.comp: Competition | None = None
        # Since the chain was last checked: a transaction was mined; the clock moved.
        self.sent = self.ticked = False
        self.balances = dict(setup.start)
        self.touched: set[str] = set()
        self.held = 0  # the clone's balance according to the model
        self.paid_out = 0  # claims, and what finalization sent to the sink
        self.burned = 0
        self.subs: list[Sub] = []
        self.selection: dict[str, list[int]] = {}  # each account's latest selectFinals
        self.originals: dict[bytes, int] = {}  # lowest revealed id per model hash
        self.test_revealed = False
        self.right_salt = True
        self.finalized = False
        self.claimed = dict.fromkeys(EVERYONE, False)
        self.actions = dict.fromkeys(range(6), 0)  # steps taken, per phase

    # --- plumbing ----------------------------------------------------------------------

    def move(self, who: str, delta: int) -> None:
        """Tokens between ``who`` and the clone (positive: to ``who``)."""
        self.balances[who] += delta
        self.held -= delta
        self.touched.add(who)

    def send(self, error: Refusal | None, name: str, *args: Any, sender: str) -> None:
        """Send a call that must succeed (``error`` None), or raise ``error[0]`` with the
        fields ``error[1]`` and mine nothing."""
        assert self.comp is not None
        if error is None:
            self.comp.send(name, *args, sender=sender)
            self.now += 1  # mined one second after the previous block
            self.sent = True
            return
        kind, fields = error
        block = self.chain.w3.eth.block_number
        with pytest.raises(kind) as caught:
            self.comp.send(name, *args, sender=sender)
        assert self.chain.w3.eth.block_number == block, f"the refused {name} mined a block"
        for key, expected in fields.items():
            assert getattr(caught.value, key) == expected, (name, key)

    def advance_to(self, timestamp: int) -> None:
        self.chain.clock.advance_to(timestamp)
        self.now = timestamp
        self.ticked = True

    def view(self, signature: str, *args: Any, returns: str = "uint256") -> Any:
        assert self.comp is not None
        return self.read(self.comp.address, signature, *args, returns=returns)

    def balance_of(self, who: str) -> int:
        address = who if who == SINK else self.chain.address(who)
        return self.read(self.world.token.address, "balanceOf(address)", address)

    # --- the model ---------------------------------------------------------------------

    def is_final(self, sub_id: int) -> bool:
        if self.finals == 0:
            return True
        sub = self.subs[sub_id - 1]
        chosen = self.selection.get(sub.who)
        if chosen is not None:
            return sub_id in chosen
        commits = sum(1 for s in self.subs if s.who == sub.who)
        return sub.ordinal > commits - self.finals

    def revealed_finals(self) -> list[int]:
        return [i for i, s in enumerate(self.subs, 1) if s.revealed and self.is_final(i)]

    def chunks(self, training: bool) -> list[tuple[int, int]]:
        """(rows, slot) of each chunk of the test or the training set."""
        chunk_set = self.training if training else self.test
        return [(int.from_bytes(c[:32]), int.from_bytes(c[32:64])) for c in chunk_set.chunks]

    def completed(self, training: bool) -> list[int]:
        count = len(self.chunks(training))
        return [i for i, s in enumerate(self.subs, 1) if len(s.done[training]) == count]

    def pending(self, training: bool) -> dict[int, list[int]]:
        """The revealed finals not yet scored on each chunk (chunks with none left out)."""
        finals = self.revealed_finals()
        pending = {
            index: [i for i in finals if index not in self.subs[i - 1].done[training]]
            for index in range(len(self.chunks(training)))
        }
        return {index: ids for index, ids in pending.items() if ids}

    def default_end(self) -> int:
        end = self.params["evaluationEnd"]
        return end + (end - self.params["testRevealEnd"]) if self.test_revealed else end

    def phase_at(self, t: int) -> int:
        """The phase at block time ``t`` (docs: "Phases"; only revealed finals count)."""
        p = self.params
        if self.finalized:
            return FINALIZED
        if t < p["submissionEnd"]:
            return SUBMISSION
        if t < p["revealEnd"]:
            return REVEAL
        revealed = len(self.revealed_finals())
        if revealed == 0:
            return FINALIZED  # the pool goes back to the creator
        if not self.test_revealed:
            if t < p["testRevealEnd"]:
                return TEST_REVEAL
        else:
            completed = len(self.completed(False))
            if t < p["evaluationEnd"] and completed < revealed:
                return EVALUATION
            if completed:
                return FINALIZED
        if t < self.default_end() and len(self.completed(True)) < revealed:
            return DEFAULT_EVALUATION
        return FINALIZED

    def window_end(self, phase: int) -> int:
        if phase == DEFAULT_EVALUATION:
            return self.default_end()
        key = {SUBMISSION: "submissionEnd", REVEAL: "revealEnd", TEST_REVEAL: "testRevealEnd"}
        return self.params[key.get(phase, "evaluationEnd")]

    def tally(self, value: int) -> list[int]:
        """MockEvaluator's tally of a model right on ``value`` rows: value, tp_c, predicted_c."""
        k = self.classes
        return [value, value, *[0] * (k - 1), value, *[0] * (k - 1)]

    def class_metric(self, chunks: list[tuple[int, int]]) -> int:
        """The per-class metric by the docs' formulas from the tallies of ``(rows, value)``
        chunks; the mock labels every row class 0, so the support is ``[rows, 0, ..]``."""
        k = self.classes
        support, tp, predicted = [0] * k, [0] * k, [0] * k
        for rows, value in chunks:
            support[0] += rows
            lanes = self.tally(value)
            for c in range(k):
                tp[c] += lanes[1 + c]
                predicted[c] += lanes[1 + k + c]
        if self.metric == BALANCED_ACCURACY:
            return sum(tp[c] * 2**64 // support[c] for c in range(k) if support[c])
        return sum(
            2 * tp[c] * 2**64 // (support[c] + predicted[c])
            for c in range(k)
            if support[c] + predicted[c]
        )

    def score(self, sub: Sub, training: bool) -> int:
        """The score on chain: the running total of the chunk values, then, once complete,
        the per-class metric (the sums and counts are the values themselves)."""
        chunks, done = self.chunks(training), sub.done[training]
        scored = [(rows, sub.value(slot)) for i, (rows, slot) in enumerate(chunks) if i in done]
        if len(done) < len(chunks) or self.metric not in (BALANCED_ACCURACY, MACRO_F1):
            return sum(value for _, value in scored)
        return self.class_metric(scored)

    def lower_is_better(self) -> bool:
        return self.metric in (SSE, SAE)

    def beats_baseline(self, score: int) -> bool:
        """Strictly better than the training baseline (only then placed after a default)."""
        return score < self.baseline if self.lower_is_better() else score > self.baseline

    def ranking(self) -> list[int]:
        """The paid places, best first, computed from scratch (the contract ranks as
        submissions complete)."""
        training = not self.completed(False)  # after a default: scored on the training chunks
        entries = []
        for sub_id in self.completed(training):
            sub = self.subs[sub_id - 1]
            if self.originals[sub.hash] != sub_id:
                continue  # a copy never takes a place
            score = self.score(sub, training)
            if training and not self.beats_baseline(score):
                continue
            key = score if self.lower_is_better() else -score
            entries.append(((key, sub_id), sub.who))
        entries.sort()  # better first, ties to the earlier id
        if not self.multiple_places:
            best: dict[str, tuple[tuple[int, int], str]] = {}
            for entry in entries:
                best.setdefault(entry[1], entry)
            entries = sorted(best.values())
        return [sub_id for (_, sub_id), _ in entries[: len(self.bps)]]

    def pool(self) -> int:
        return self.reward + self.stake * sum(not s.revealed for s in self.subs)

    def outcome(self) -> int:
        if self.phase_at(self.now) != FINALIZED:
            return PENDING
        if not self.revealed_finals():
            return RETURNED
        return RANKED if self.test_revealed and self.completed(False) else DEFAULTED

    def payouts(self) -> dict[str, int]:
        """What each account, and the sink, gets in the Finalized phase."""
        pay = dict.fromkeys((*EVERYONE, SINK), 0)
        outcome = self.outcome()
        if outcome == PENDING:
            return pay
        pool, paid = self.pool(), 0
        for place, sub_id in enumerate(self.ranking()):
            share = pool * self.bps[place] // BPS
            pay[self.subs[sub_id - 1].who] += share
            paid += share
        pay[SINK if outcome == DEFAULTED else CREATOR] += pool - paid + self.bond
        return pay

    def due(self, who: str) -> int:
        return 0 if self.claimed[who] else self.payouts()[who]

    def settle(self) -> None:
        """The first successful finalize or claim: after a default the rest goes to the sink."""
        burned = self.payouts()[SINK] if self.outcome() == DEFAULTED else 0
        self.finalized = True
        self.held -= burned
        self.paid_out += burned
        self.burned += burned

    def period_of(self, t: int) -> int:
        return (t - self.created) // self.period if self.period else 0

    # --- creation ----------------------------------------------------------------------

    @initialize(data=st.data())
    def create(self, data: st.DataObject) -> None:
        draw = data.draw
        self.classes, self.metric = draw(st.sampled_from(TASKS), label="task")
        samples = draw(st.sampled_from(TEST_SAMPLES))
        self.test = TestSet(samples, CHUNK_SIZE, salt=keccak(text="test salt"))
        self.training = training_set(CHUNK_SIZE, draw(st.sampled_from(TRAINING_SAMPLES)))
        # 0 or 2 more often than 1, which leaves one final per account: one place at most.
        self.finals = draw(st.sampled_from((0, 2, 1, 0, 2)), label="finals")
        self.per_period = draw(st.integers(0, 2), label="entriesPerPeriod")
        self.period = PERIOD if self.per_period else draw(st.sampled_from([0, PERIOD]))
        self.multiple_places = draw(st.booleans(), label="multiplePlaces")
        self.stake = draw(st.sampled_from([0, 3 * TOKEN, 7]), label="entryStake")
        self.reward = draw(st.one_of(st.integers(1, 10**4), st.integers(1, 10**21)))
        self.bond = self.reward * draw(st.integers(0, 2)) // 2
        self.bps = draw(payout_splits(), label="payoutBps")
        self.max_commits = draw(st.sampled_from([0, 0, 3]), label="maxSubmissionsPerAddress")
        # In the metric's units: the score of a model right on j training rows in all.
        j = draw(st.integers(0, 3 * len(self.training.chunks) + 1), label="baseline")
        per_class = self.metric in (BALANCED_ACCURACY, MACRO_F1)
        self.baseline = self.class_metric([(self.training.samples, j)]) if per_class else j
        # Steps each phase takes at least before it may be closed (unless it has nothing left).
        self.patience = {
            SUBMISSION: draw(st.integers(3, 30)),
            REVEAL: draw(st.integers(1, 4)),
            TEST_REVEAL: 0,
            EVALUATION: draw(st.integers(0, 15)),
            DEFAULT_EVALUATION: draw(st.integers(0, 6)),
        }
        # How the teardown finishes the competition once the steps run out.
        self.ending = {
            "reveal all": not draw(sometimes(4), label="ending: reveal none"),
            "test set": draw(st.sampled_from(["reveal"] * 3 + ["wrong salt", "default"])),
            "evaluate all": not draw(sometimes(4), label="ending: evaluate none"),
        }

        created = self.now + 1
        submission_end = created + SUBMISSION_WINDOW
        reveal_end = submission_end + REVEAL_WINDOW
        test_reveal_end = reveal_end + TEST_REVEAL_WINDOW
        self.params = params = self.world.params(
            self.test,
            self.training,
            reward=self.reward,
            creatorBond=self.bond,
            trainingBaseline=self.baseline,
            classes=self.classes,
            metric=self.metric,
            payoutBps=self.bps,
            submissionEnd=submission_end,
            revealEnd=reveal_end,
            testRevealEnd=test_reveal_end,
            evaluationEnd=test_reveal_end + EVALUATION_WINDOW,
            entryStake=self.stake,
            maxSubmissionsPerAddress=self.max_commits,
            entriesPerPeriod=self.per_period,
            periodLength=self.period,
            finals=self.finals,
            multiplePlaces=self.multiple_places,
        )
        factory = self.world.factory
        receipt = self.chain.transact(
            factory.functions.createCompetition(as_tuple(params)), sender=CREATOR
        )
        self.now = self.created = created
        self.sent = True
        (created_event,) = events(factory, "CompetitionCreated", receipt)
        assert created_event["args"]["competition"] == self.setup.clone
        contract = self.world.at(self.setup.clone)
        self.comp = Competition(self.world, contract, CREATOR, params, self.test, self.training)
        assert self.view("createdAt()") == created
        self.move(CREATOR, -(self.reward + self.bond))

    # --- the step rule -----------------------------------------------------------------

    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        """One action of the current phase, drawn by weight. (One rule rather than one per
        action: hypothesis turns a random subset of the rules off in each example, which with
        rules for one phase each would often leave a phase without any and discard the run.)"""
        phase = self.phase_at(self.now)
        action = data.draw(st.sampled_from(self.choices(phase)), label="action")
        self.actions[phase] += 1
        getattr(self, action)(data)

    def choices(self, phase: int) -> list[str]:
        """The actions worth drawing now, repeated by weight. A phase may be closed once it
        had its ``patience`` steps or has nothing left to do; at its last second the next
        block is past it: its main action is then refused, or the phase closed."""
        patient = self.actions[phase] >= self.patience.get(phase, 0)
        if phase == SUBMISSION:
            actions = ["commit"] * 4 + ["select_finals"] * (2 if self.finals else 1)
        elif phase == REVEAL:
            hidden = any(not s.revealed for s in self.subs)
            actions = ["reveal"] * (3 if hidden else 1)
            patient = patient or not hidden
        elif phase == TEST_REVEAL:
            actions = ["reveal_test_set"] * 3
        elif phase in EVALUATING:
            pending = self.pending(phase == DEFAULT_EVALUATION)
            actions = ["evaluate"] * (4 if pending else 1)
            patient = patient or not pending
        elif any(self.due(who) for who in EVERYONE):
            return ["claim"] * 3 + ["finalize"]
        elif not self.finalized:  # nobody is due anything (after a default: the sink is)
            return ["claim", "finalize"]
        else:  # all paid out: the views say so, and every claim is refused
            return ["claim", "check_claimable", "check_claimable"]
        if self.window_end(phase) - 1 <= self.now:
            return [actions[0], CLOSE[phase]]
        return [*actions, "advance_clock", *([CLOSE[phase]] if patient else [])]

    def advance_clock(self, data: st.DataObject) -> None:
        """Move the clock within the current phase: a few seconds, up to a period and more,
        so that the next transaction is the last of its period or the first of the next one,
        or to the last second of the phase."""
        phase = self.phase_at(self.now)
        last = self.window_end(phase) - 1
        targets = [last]
        if phase == SUBMISSION and self.period:
            boundary = self.created + (self.period_of(self.now + 1) + 1) * self.period
            targets += [t for t in (boundary - 2, boundary - 1) if self.now < t < last]
        if data.draw(sometimes(3), label="to a boundary"):
            target = data.draw(st.sampled_from(targets), label="target")
        else:
            longest = PERIOD + 10 if phase == SUBMISSION else 10
            target = self.now + data.draw(st.integers(1, min(last - self.now, longest)))
        self.advance_to(target)

    # --- Submission phase --------------------------------------------------------------

    def commit(self, data: st.DataObject) -> None:
        # alice commits most, so that one account often has several entries to rank
        who = data.draw(st.sampled_from(COMMITTERS), label="who")
        if self.subs and data.draw(sometimes(3), label="copy"):
            source = data.draw(st.sampled_from(self.subs), label="copy of")
            model, values = source.model, source.values
        else:
            values = tuple(data.draw(st.lists(VALUE, min_size=1, max_size=3), label="values"))
            model = mock_model(*values, pad=data.draw(st.integers(0, 1), label="pad"))
        t = self.now + 1
        mine = [s for s in self.subs if s.who == who]
        period = self.period_of(t)
        this_period = sum(1 for s in mine if self.period_of(s.time) == period)
        phase = self.phase_at(t)
        error: Refusal | None = None
        if phase != SUBMISSION:
            error = CompetitionNotInPhase, {"expected": SUBMISSION, "actual": phase}
        elif who == CREATOR:
            error = CompetitionCreatorCannotCommit, {}
        elif self.max_commits and len(mine) >= self.max_commits:
            error = CompetitionSubmissionCapReached, {"cap": self.max_commits}
        elif self.per_period and this_period >= self.per_period:
            next_entry = self.created + (period + 1) * self.period
            error = CompetitionPeriodCapReached, {"cap": self.per_period, "nextEntryAt": next_entry}
        sub = Sub(who, model, values, time=t, ordinal=len(mine) + 1)
        address = self.chain.address(who)
        commitment = keccak(
            encode(
                ["address", "address", "bytes32", "bytes32"],
                [self.setup.clone, address, sub.hash, sub.salt],
            )
        )
        self.send(error, "commit", commitment, sender=who)
        if error is not None:
            return
        self.subs.append(sub)
        self.move(who, -self.stake)
        assert self.view("currentPeriod()") == period
        expected = this_period + 1 if self.per_period else 0  # counted only under a cap
        assert self.view("entriesThisPeriod(address)", address) == expected

    def select_finals(self, data: st.DataObject) -> None:
        who = data.draw(st.sampled_from(PARTICIPANTS), label="who")
        count = len(self.subs)
        own = [i for i, s in enumerate(self.subs, 1) if s.who == who]
        if own and self.finals and data.draw(st.booleans(), label="valid"):
            choice = st.lists(st.sampled_from(own), min_size=1, max_size=self.finals, unique=True)
        else:  # mostly its own ids, others', unknown ones (0, count + 1); repeats, too many
            candidates = [*own, *own, *range(0, count + 2)]
            choice = st.lists(st.sampled_from(candidates), max_size=self.finals + 1)
        ids = data.draw(choice, label="ids")
        phase = self.phase_at(self.now + 1)
        error: Refusal | None = None
        if phase != SUBMISSION:
            error = CompetitionNotInPhase, {"expected": SUBMISSION, "actual": phase}
        elif not 1 <= len(ids) <= self.finals:
            error = CompetitionInvalidFinals, {"count": len(ids), "limit": self.finals}
        else:
            seen: set[int] = set()
            for sub_id in ids:
                if not 1 <= sub_id <= count:
                    error = CompetitionUnknownSubmission, {"id": sub_id}
                elif self.subs[sub_id - 1].who != who:
                    error = CompetitionNotSubmitter, {"id": sub_id}
                elif sub_id in seen:
                    error = CompetitionDuplicateFinal, {"id": sub_id}
                if error is not None:
                    break
                seen.add(sub_id)
        self.send(error, "selectFinals", ids, sender=who)
        if error is None:
            self.selection[who] = list(ids)

    def close_submissions(self, data: st.DataObject) -> None:
        self.advance_to(self.params["submissionEnd"])

    # --- Reveal phase ------------------------------------------------------------------

    def reveal(self, data: st.DataObject) -> None:
        """Reveal a drawn subset of the hidden submissions, each by its committer; or try one
        id as anyone (already revealed, or not the committer)."""
        if not self.subs:
            return
        ids = range(1, len(self.subs) + 1)
        hidden = [i for i in ids if not self.subs[i - 1].revealed]
        if hidden and not data.draw(sometimes(4), label="probe"):
            chosen = data.draw(st.lists(st.sampled_from(hidden), min_size=1, unique=True))
            for sub_id in chosen:
                if not self.reveal_as(sub_id, self.subs[sub_id - 1].who):
                    break  # the phase is over
        else:
            sub_id = data.draw(st.sampled_from(ids), label="id")
            self.reveal_as(sub_id, data.draw(st.sampled_from(EVERYONE), label="sender"))

    def reveal_as(self, sub_id: int, sender: str) -> bool:
        """Reveal submission ``sub_id`` as ``sender``; whether it succeeded."""
        sub = self.subs[sub_id - 1]
        phase = self.phase_at(self.now + 1)
        error: Refusal | None = None
        if phase != REVEAL:
            error = CompetitionNotInPhase, {"expected": REVEAL, "actual": phase}
        elif sub.revealed:
            error = CompetitionAlreadyRevealed, {"id": sub_id}
        elif sender != sub.who:
            error = CompetitionCommitmentMismatch, {"id": sub_id}
        self.send(error, "reveal", sub_id, sub.model, sub.salt, "", sender=sender)
        if error is not None:
            return False
        sub.revealed = True
        if self.is_final(sub_id):  # only finals count as originals
            self.originals[sub.hash] = min(self.originals.get(sub.hash, sub_id), sub_id)
        self.move(sender, self.stake)
        return True

    def close_reveals(self, data: st.DataObject) -> None:
        self.advance_to(self.params["revealEnd"])

    # --- TestReveal phase --------------------------------------------------------------

    def reveal_test_set(self, data: st.DataObject) -> None:
        """The creator reveals the test set, sometimes with a wrong salt (every test proof
        then fails), or someone else tries."""
        sender = data.draw(st.sampled_from((CREATOR, CREATOR, CREATOR, STRANGER)), label="by")
        self.reveal_test_as(sender, wrong_salt=data.draw(sometimes(5), label="wrong salt"))

    def reveal_test_as(self, sender: str, wrong_salt: bool) -> None:
        phase = self.phase_at(self.now + 1)
        error: Refusal | None = None
        if phase != TEST_REVEAL:
            error = CompetitionNotInPhase, {"expected": TEST_REVEAL, "actual": phase}
        elif sender != CREATOR:
            error = CompetitionNotCreator, {}
        salt = keccak(self.test.salt) if wrong_salt else self.test.salt
        self.send(error, "revealTestSet", salt, "bafytestdata", sender=sender)
        if error is None:
            self.test_revealed, self.right_salt = True, not wrong_salt

    def creator_defaults(self, data: st.DataObject) -> None:
        self.advance_to(self.params["testRevealEnd"])

    # --- Evaluation and DefaultEvaluation phases ---------------------------------------

    def evaluate(self, data: st.DataObject) -> None:
        """Score a drawn batch of revealed finals on one chunk (a test chunk, or a training
        chunk after a default), sometimes with an id that must be refused."""
        now_phase, phase = self.phase_at(self.now), self.phase_at(self.now + 1)
        training = (phase if phase in EVALUATING else now_phase) == DEFAULT_EVALUATION
        open_chunks = self.pending(training)
        chunks = sorted(open_chunks) or range(len(self.chunks(training)))
        index = data.draw(st.sampled_from(chunks), label="chunk")
        batch = []
        if index in open_chunks:
            batch = data.draw(
                st.lists(st.sampled_from(open_chunks[index]), min_size=1, unique=True)
            )
        models = [self.subs[i - 1].model for i in batch]
        subs = list(enumerate(self.subs, 1))
        non_finals = [i for i, s in subs if s.revealed and not self.is_final(i)]
        intruders = [  # not final (twice as often), not revealed, done on the chunk, repeated
            ids
            for ids in (
                non_finals,
                non_finals,
                [i for i, s in subs if not s.revealed],
                [i for i, s in subs if index in s.done[training]],
                batch,
            )
            if ids
        ]
        if intruders and (not batch or data.draw(sometimes(3), label="intruder")):
            intruder = data.draw(st.sampled_from(data.draw(st.sampled_from(intruders))))
            at = data.draw(st.integers(0, len(batch)), label="at")
            batch.insert(at, intruder)
            models.insert(at, self.subs[intruder - 1].model)
        if batch and data.draw(sometimes(12), label="wrong model"):
            models[data.draw(st.integers(0, len(batch) - 1))] = mock_model(9, 9, 9, 9)
        if batch:
            self.evaluate_batch(index, batch, models, training)

    def evaluate_batch(
        self, index: int, batch: list[int], models: list[bytes], training: bool
    ) -> None:
        phase = self.phase_at(self.now + 1)
        error: Refusal | None = None
        if phase not in EVALUATING:
            error = CompetitionNotInPhase, {"expected": EVALUATION, "actual": phase}
        elif not training and not self.right_salt:
            error = CompetitionInvalidChunkProof, {"chunkIndex": index}
        else:
            marked: set[int] = set()
            for sub_id, model in zip(batch, models, strict=True):
                sub = self.subs[sub_id - 1]
                if not sub.revealed:
                    error = CompetitionNotRevealed, {"id": sub_id}
                elif not self.is_final(sub_id):
                    error = CompetitionNotFinal, {"id": sub_id}
                elif keccak(model) != sub.hash:
                    error = CompetitionModelMismatch, {"id": sub_id}
                elif index in sub.done[training] or sub_id in marked:
                    error = CompetitionChunkAlreadyEvaluated, {"id": sub_id, "chunkIndex": index}
                if error is not None:
                    break
                marked.add(sub_id)
        chunk_set = self.training if training else self.test
        chunk, proof = chunk_set.chunks[index], chunk_set.tree.proof(index)
        self.send(error, "evaluate", index, chunk, proof, batch, models, sender=STRANGER)
        if error is not None:
            return
        for sub_id in batch:
            self.subs[sub_id - 1].done[training].add(index)
        for sub_id in batch:  # chunks done and the score (the metric once complete)
            sub = self.subs[sub_id - 1]
            if training:
                on_chain = self.view("trainingScore(uint256)", sub_id, returns="(uint256,uint256)")
            else:
                record = "(address,uint64,bool,bytes32,uint256)"
                _, done, _, _, score = self.view("submission(uint256)", sub_id, returns=record)
                on_chain = (done, score)
            assert on_chain == (len(sub.done[training]), self.score(sub, training)), sub_id
        assert list(self.view("ranking()", returns="uint256[]")) == self.ranking()

    def end_evaluation(self, data: st.DataObject) -> None:
        self.advance_to(self.window_end(self.phase_at(self.now)))

    # --- Finalized phase ---------------------------------------------------------------

    def claim(self, data: st.DataObject) -> None:
        """Someone with a payout due claims, or anyone tries."""
        due = [who for who in EVERYONE if self.due(who)]
        anyone = not due or data.draw(sometimes(4), label="anyone")
        self.claim_as(data.draw(st.sampled_from(EVERYONE if anyone else due), label="who"))

    def claim_as(self, who: str) -> None:
        due = self.due(who)
        assert self.view("claimable(address)", self.chain.address(who)) == due
        error: Refusal | None = None
        if self.claimed[who]:
            error = CompetitionAlreadyClaimed, {}
        elif due == 0:
            error = CompetitionNothingToClaim, {}
        self.send(error, "claim", sender=who)
        if error is None:
            if not self.finalized:
                self.settle()
            self.claimed[who] = True
            self.move(who, due)
            self.paid_out += due

    def finalize(self, data: st.DataObject | None = None) -> None:
        error = (CompetitionAlreadyFinalized, {}) if self.finalized else None
        self.send(error, "finalize", sender=STRANGER)
        if error is None:
            self.settle()

    def check_claimable(self, data: st.DataObject) -> None:
        for who in EVERYONE:
            assert self.view("claimable(address)", self.chain.address(who)) == self.due(who)

    # --- invariants and the end ----------------------------------------------------------

    @invariant()
    def every_token_is_accounted_for(self) -> None:
        """After each step that changed the chain (the views read the latest block)."""
        if self.comp is not None:
            self.check_chain()

    def check_chain(self, every_id: bool = False) -> None:
        """After a transaction the balances and the state; after a clock move the phase."""
        assert self.comp is not None
        if self.sent or every_id:
            hidden = sum(not s.revealed for s in self.subs)
            held = self.balance_of(self.comp.address)
            assert held == self.held
            assert held == self.reward + self.bond + self.stake * hidden - self.paid_out
            burned = self.balance_of(SINK)
            assert burned == self.setup.sink + self.burned
            for who in self.touched:
                assert self.balance_of(who) == self.balances[who], who
            self.touched.clear()
            assert sum(self.balances.values()) + held + burned == self.setup.supply

            assert self.view("submissionCount()") == len(self.subs)
            if every_id or self.phase_at(self.now) in (SUBMISSION, REVEAL):
                # Finals change only with commits and selections: fixed from the Reveal phase.
                for sub_id in range(1, len(self.subs) + 1):
                    final = self.view("isFinal(uint256)", sub_id, returns="bool")
                    assert final == self.is_final(sub_id), sub_id
            assert self.view("revealedFinalCount()") == len(self.revealed_finals())
            assert self.view("prizePool()") == self.pool()
        if self.sent or self.ticked or every_id:
            assert self.view("phase()", returns="uint8") == self.phase_at(self.now)
            assert self.view("outcome()", returns="uint8") == self.outcome()
        self.sent = self.ticked = False

    def finish(self) -> None:
        """Take the competition to the Finalized phase the drawn way: reveal every hidden
        submission or none, reveal the test set (maybe with the wrong salt) or default,
        evaluate every revealed final or let the windows run out."""
        while (phase := self.phase_at(self.now)) != FINALIZED:
            if phase == REVEAL and self.ending["reveal all"]:
                for sub_id, sub in enumerate(self.subs, 1):
                    if not sub.revealed and self.phase_at(self.now + 1) == REVEAL:
                        self.reveal_as(sub_id, sub.who)
            elif phase == TEST_REVEAL and self.ending["test set"] != "default":
                if self.phase_at(self.now + 1) == TEST_REVEAL:
                    self.reveal_test_as(CREATOR, self.ending["test set"] == "wrong salt")
            elif phase in EVALUATING and self.ending["evaluate all"]:
                training = phase == DEFAULT_EVALUATION
                for index, ids in self.pending(training).items():
                    if self.phase_at(self.now + 1) == phase:
                        models = [self.subs[i - 1].model for i in ids]
                        self.evaluate_batch(index, ids, models, training)
            if self.phase_at(self.now) == phase:
                self.advance_to(self.window_end(phase))
            self.check_chain()

    def teardown(self) -> None:
        """Finish the competition, then everyone claims; check every payout."""
        if self.comp is None or sys.exc_info()[0] is not None:
            return  # a step failed: its error is the report
        self.finish()
        assert self.chain.clock.latest_block_time() == self.now
        pay = self.payouts()
        outcome, ranking = self.outcome(), self.ranking()
        assert self.view("outcome()", returns="uint8") == outcome
        assert list(self.view("ranking()", returns="uint256[]")) == ranking
        winner = self.view("winner()", returns="(uint256,address,bytes32)")
        if ranking:
            first = self.subs[ranking[0] - 1]
            assert (winner[0], winner[2]) == (ranking[0], first.hash)
            assert winner[1].lower() == self.chain.address(first.who).lower()
        else:
            assert winner[0] == 0
        licensee = self.chain.address(CREATOR) if outcome == RANKED and ranking else ZERO_ADDRESS
        assert self.view("licensee()", returns="address").lower() == licensee.lower()
        for who in EVERYONE:
            if self.due(who):
                self.claim_as(who)
        if not self.finalized:
            self.finalize()
        self.check_chain(every_id=True)
        # Every payout is in and the clone is empty; each account ends with its start,
        # less its escrow or its forfeited stakes, plus its payout.
        assert self.balance_of(self.comp.address) == 0
        assert self.balance_of(SINK) - self.setup.sink == pay[SINK]
        for who in HOLDERS:
            forfeited = self.stake * sum(1 for s in self.subs if s.who == who and not s.revealed)
            escrow = self.reward + self.bond if who == CREATOR else 0
            expected = self.setup.start[who] - forfeited - escrow + pay.get(who, 0)
            assert self.balance_of(who) == expected, who


def test_competitionRules_keepEveryTokenAccountedFor(
    base: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze_wall_clock(monkeypatch)
    run_state_machine_as_test(
        lambda: CompetitionMachine(base),
        settings=settings(settings.default, stateful_step_count=STEPS, deadline=None),
    )
