"""Public board, teams and performance stakes as a state machine: every token is accounted
for through commits, public claims, challenges, team formation and mergers, reveals,
evaluation, payouts and stake withdrawals.

One example is one competition with a public board (1 or 2 public chunks), one place per
entrant (so teams are allowed), an entry stake, maybe performance stakes (a slash of 0, 25 %
or 100 % and a drawn threshold), 0 to 2 finals, 1 to 3 paid places and a creator bond.
Each step draws an action of the current phase: a commit (as the committer's current
entrant), a public claim (honest or with one wrong leaf; by a member of the submission's
entrant or by a stranger), a team proposal or an acceptance (forming, merging, or refused as
a split or a frozen team), a reveal (by any member of the entrant, or by a stranger), a
challenge of a public claim, the test reveal (refused until the public window has passed),
an evaluation, a settlement, a payout or a stake withdrawal, or a move of the clock. Every
call's outcome is predicted by an independent model, down to the named error, and a refused
call must mine nothing. After every step that mined a transaction, the holders, the clone,
the score-claims contract and the sink hold exactly the supply, and each holds what the
model says.

When the steps run out the competition is finished by a drawn ending (reveal everything or
not, reveal the test set or default, evaluate everything or not); every public claim is
settled, everyone claims, every held stake is withdrawn, each payout matches the model
(ranking: completed finals, not disqualified, originals only, one place per entrant; team
prizes split by shares with the dust to the first member; stakes slashed and shared), and
the clone and the score-claims contract end empty: each held what it still owed.

Sized for CI like the rules' state machine: fewer steps (and examples) on eth-tester and
anvil, where a transaction costs several times more than on revm.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_utils import keccak
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from mlmarket.chain.connect import default_backend
from mlmarket.contracts.errors import (
    CompetitionCommitmentMismatch,
    CompetitionPublicChecksOpen,
    CompetitionTeamFrozen,
    CompetitionTeamSplit,
    ScoreClaimsNotEntrant,
    ScoreClaimsNotRevealed,
    ScoreClaimsPublicClaimExists,
    ScoreClaimsWindowOpen,
)
from mlmarket.ml.claims import SumTree
from tests.contracts.test_competition_kit import (
    BPS,
    DEFAULT_EVALUATION,
    DEFAULTED,
    EVALUATION,
    FINALIZED,
    HOLDERS,
    RANKED,
    RETURNED,
    REVEAL,
    SINK,
    SUBMISSION,
    TEST_REVEAL,
    TOKEN,
    Competition,
    TestSet,
    World,
    as_tuple,
    commitment,
    make_world,
    mock_model,
    training_set,
    word,
)
from tests.contracts.test_competition_rules_stateful import Reader, payout_splits, sometimes
from tests.contracts.test_data_market import freeze_wall_clock
from tests.contracts.test_public_board import public_set
from tests.contracts.test_score_claims import OPENING_FIELDS
from tests.contracts.test_teams import team_address

PARTICIPANTS = ("alice", "bob", "dave", "erin")
CREATOR = "carol"
STRANGER = "heidi"  # never a member: posts, reveals and challenges for others, all refused
CHALLENGER = "grace"
CHUNK_SIZE = 4
TEST_SAMPLES = (4, 7, 11)  # 1, 2 or 3 test chunks
PUBLIC_SAMPLES = (4, 6)  # 1 or 2 public chunks
STAKE = 3 * TOKEN
PUBLIC_BOND = 2 * TOKEN
CHALLENGE_BOND = TOKEN
SINK_SHARE_BPS = 2000
WINDOW = 3600  # the public window
SUBMISSION_WINDOW, REVEAL_WINDOW, EVALUATION_WINDOW = 120, 40, 60
VALUES = st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple)  # few: copies and ties
REVM = default_backend() == "revm"
# Steps per example, and examples: a transaction costs several times more on eth-tester
# (py-evm) and anvil than on revm, and the teardown finishes every competition.
STEPS = 40 if REVM else 12
ZERO_ADDRESS = "0x" + "0" * 40


@dataclass(frozen=True)
class Setup:
    world: World
    clone: str  # every example's competition gets this address
    snapshot: int
    start: dict[str, int]
    sink: int
    supply: int


@dataclass
class Claim:
    """A public claim: its id, poster and leaves (one word per public chunk)."""

    claim_id: int
    poster: str
    leaves: list[list[int]]
    status: str = "open"  # open, voided, final


@dataclass
class Sub:
    """One submission as the model sees it."""

    committer: str
    entrant: str  # the address it was committed as (and whose commitment it opens)
    values: tuple[int, ...]
    salt: bytes
    revealed: bool = False
    done: set[int] = field(default_factory=set)  # test chunks it was scored on
    claim: Claim | None = None
    disqualified: bool = False

    @property
    def model(self) -> bytes:
        return mock_model(*self.values)

    @property
    def hash(self) -> bytes:
        return keccak(self.model)

    def value(self, slot: int) -> int:
        return self.values[slot % len(self.values)]


@dataclass
class Team:
    members: list[str]  # names
    shares: list[int]
    accepted: set[str] = field(default_factory=set)
    formed: bool = False


@pytest.fixture(scope="module")
def base() -> Iterator[Setup]:
    world = make_world()
    chain = world.chain
    with chain.rollback():
        clone = world.create(CREATOR).address
    token = world.token.contract.functions
    # Unlimited allowances: a creation, a commit, a claim and a challenge are one transaction.
    chain.transact(token.approve(world.factory.address, 2**256 - 1), sender=CREATOR)
    for who in (*PARTICIPANTS, STRANGER, CHALLENGER):
        chain.transact(token.approve(clone, 2**256 - 1), sender=who)
        chain.transact(token.approve(world.claims.address, 2**256 - 1), sender=who)
    chain.clock.advance(1)  # eth-tester re-executes the snapshot's block on revert: an empty one
    start = {who: world.token.raw_balance_of(who) for who in HOLDERS}
    sink = world.token.raw_balance_of(SINK)
    supply = int(chain.call(token.totalSupply()))
    assert sum(start.values()) + sink == supply
    yield Setup(world, clone, chain.snapshot(), start, sink, supply)
    chain.close()


class BoardTeamsMachine(RuleBasedStateMachine):
    """One example: the chain reverted to the setup snapshot, one competition and its model."""

    def __init__(self, setup: Setup) -> None:
        super().__init__()
        self.setup = setup
        self.world = setup.world
        self.chain = chain = setup.world.chain
        chain.revert(setup.snapshot)
        self.now = chain.clock.latest_block_time() + 1  # the next transaction's block time
        chain.clock.advance_to(self.now)
        self.now += 1
        self.read = Reader(chain)
        self.comp: Competition | None = None
        self.balances: dict[str, int] = dict(setup.start)
        self.held = {"comp": 0, "claims": 0}
        self.burned = 0
        self.sent = False
        self.subs: list[Sub] = []
        self.teams: dict[str, Team] = {}
        self.member_of: dict[str, str] = {}  # account address -> the team it last joined
        self.merged_into: dict[str, str] = {}  # entrant address -> the team it merged into
        self.commits: dict[str, list[int]] = {}  # entrant -> its ids, in its numbering
        self.claim_count = 0
        self.test_revealed = False
        self.finalized = False
        self.claimed: set[str] = set()
        self.withdrawn: set[int] = set()

    # --- plumbing ----------------------------------------------------------------------------

    def addr(self, who: str) -> str:
        return who if who.startswith("0x") else self.chain.address(who)

    def move(self, who: str, delta: int, pool: str = "comp") -> None:
        """Tokens between ``who`` (a holder, or the sink) and a contract (positive: to ``who``)."""
        if who == SINK:
            self.burned += delta
        else:
            self.balances[who] += delta
        self.held[pool] -= delta

    def send(
        self, error: tuple[type[Exception], dict[str, Any]] | None, fn: Any, sender: str
    ) -> None:
        """Send ``fn``: it must succeed (``error`` None), or raise ``error`` with its fields and
        mine nothing."""
        if error is None:
            self.chain.transact(fn, sender=sender)
            self.now += 1
            self.sent = True
            return
        kind, fields = error
        block = self.chain.w3.eth.block_number
        with pytest.raises(kind) as caught:
            self.chain.transact(fn, sender=sender)
        assert self.chain.w3.eth.block_number == block, "a refused call mined a block"
        for key, expected in fields.items():
            assert getattr(caught.value, key) == expected, key

    def advance_to(self, timestamp: int) -> None:
        if timestamp >= self.now:
            self.chain.clock.advance_to(timestamp)
            self.now = timestamp + 1

    @property
    def fn(self) -> Any:
        assert self.comp is not None
        return self.comp.fn

    @property
    def claims_fn(self) -> Any:
        return self.world.claims.functions

    def view(self, signature: str, *args: Any, returns: str = "uint256") -> Any:
        assert self.comp is not None
        return self.read(self.comp.address, signature, *args, returns=returns)

    def balance_of(self, who: str) -> int:
        return self.read(
            self.world.token.address, "balanceOf(address)", self.addr(who) if who != SINK else SINK
        )

    # --- the model -----------------------------------------------------------------------------

    def entrant(self, address: str) -> str:
        e = self.member_of.get(address, address)
        while e in self.merged_into:
            e = self.merged_into[e]
        return e

    def members(self, entrant: str) -> list[str]:
        """The names of an entrant's members (itself for an account)."""
        team = self.teams.get(entrant)
        if team is not None:
            return team.members
        return [n for n in (*PARTICIPANTS, STRANGER) if self.addr(n) == entrant]

    def is_final(self, sub_id: int) -> bool:
        if self.finals == 0:
            return True
        ids = self.commits[self.entrant(self.subs[sub_id - 1].entrant)]
        return sub_id in ids[-self.finals :]

    def revealed_finals(self) -> list[int]:
        return [i for i, s in enumerate(self.subs, 1) if s.revealed and self.is_final(i)]

    def completed(self) -> list[int]:
        return [i for i, s in enumerate(self.subs, 1) if len(s.done) == len(self.test.chunks)]

    def score(self, sub: Sub) -> int:
        return sum(sub.value(self.slot(c)) for c in self.test.chunks)

    @staticmethod
    def slot(chunk: bytes) -> int:
        return int.from_bytes(chunk[32:64], "big")

    def public_leaves(self, sub: Sub) -> list[list[int]]:
        return [[sub.value(self.slot(c))] for c in self.public.chunks]

    def opens_at(self) -> int:
        return self.params["revealEnd"] + WINDOW

    def default_end(self) -> int:
        end = self.params["evaluationEnd"]
        return end + (end - self.params["testRevealEnd"]) if self.test_revealed else end

    def phase_at(self, t: int) -> int:
        p = self.params
        if self.finalized:
            return FINALIZED
        if t < p["submissionEnd"]:
            return SUBMISSION
        if t < p["revealEnd"]:
            return REVEAL
        revealed = len(self.revealed_finals())
        if revealed == 0:
            return FINALIZED
        if not self.test_revealed:
            if t < p["testRevealEnd"]:
                return TEST_REVEAL
        else:
            completed = len(self.completed())
            if t < p["evaluationEnd"] and completed < revealed:
                return EVALUATION
            if completed:
                return FINALIZED
        if t < self.default_end():  # nothing is scored on the training chunks here
            return DEFAULT_EVALUATION
        return FINALIZED

    @property
    def phase(self) -> int:
        return self.phase_at(self.now)

    def outcome(self) -> int:
        if not self.revealed_finals():
            return RETURNED
        return RANKED if self.test_revealed and self.completed() else DEFAULTED

    def pool(self) -> int:
        return self.params["reward"] + STAKE * sum(not s.revealed for s in self.subs)

    def ranking(self) -> list[int]:
        if self.outcome() != RANKED:
            return []
        originals: dict[bytes, int] = {}
        for i in self.revealed_finals():
            originals.setdefault(self.subs[i - 1].hash, i)
        best: dict[str, tuple[int, int]] = {}  # entrant -> (score, id), the better kept
        for i in self.completed():
            sub = self.subs[i - 1]
            if sub.disqualified or originals.get(sub.hash) != i:
                continue
            key = (-self.score(sub), i)
            e = self.entrant(sub.entrant)
            if e not in best or key < (-best[e][0], best[e][1]):
                best[e] = (self.score(sub), i)
        ordered = sorted(best.values(), key=lambda si: (-si[0], si[1]))
        return [i for _, i in ordered[: len(self.params["payoutBps"])]]

    def payouts(self) -> dict[str, int]:
        """Every holder's prize payout, and the sink's part of the pool, by the rules."""
        pay = dict.fromkeys(HOLDERS, 0)
        pool, outcome = self.pool(), self.outcome()
        paid = 0
        for place, sub_id in enumerate(self.ranking()):
            amount = pool * self.params["payoutBps"][place] // BPS
            paid += amount
            e = self.entrant(self.subs[sub_id - 1].entrant)
            team = self.teams.get(e)
            if team is None:
                pay[self.members(e)[0]] += amount
                continue
            parts = [amount * s // BPS for s in team.shares]
            parts[0] += amount - sum(parts)
            for who, part in zip(team.members, parts, strict=True):
                pay[who] += part
        rest = pool - paid + self.params["creatorBond"]
        if outcome == DEFAULTED:
            pay[SINK] = rest
        else:
            pay[CREATOR] += rest
            pay[SINK] = 0
        return pay

    def beats(self, score: int) -> bool:
        return score > self.threshold

    def stake_of(self, sub_id: int) -> int:
        """What withdrawStake pays in the Finalized phase (0: none held)."""
        sub = self.subs[sub_id - 1]
        if (
            not self.slash_bps
            or sub_id in self.withdrawn
            or not sub.revealed
            or not self.is_final(sub_id)
        ):
            return 0
        if self.outcome() != RANKED or sub_id not in self.completed():
            return STAKE
        slash = STAKE * self.slash_bps // BPS
        if not self.above(sub):
            return STAKE - slash
        above, below = self.stake_counts()
        return STAKE + slash * below // above

    def stake_counts(self) -> tuple[int, int]:
        completed = [self.subs[i - 1] for i in self.completed()]
        above = sum(self.above(sub) for sub in completed)
        return above, len(completed) - above

    def above(self, sub: Any) -> bool:
        """Whether a completed final's stake counts above the threshold: a disqualified
        entry's never does."""
        return not sub.disqualified and self.beats(self.score(sub))

    def unshared(self) -> int:
        """The slashed stakes the sink takes at finalization."""
        above, below = self.stake_counts()
        if not self.slash_bps or self.outcome() != RANKED or below == 0:
            return 0
        slashed = below * (STAKE * self.slash_bps // BPS)
        return slashed if above == 0 else slashed % above

    def finalize_effects(self) -> None:
        """What the first finalize, claim or withdrawal sends to the sink."""
        self.finalized = True
        pay = self.payouts()
        if pay[SINK]:
            self.move(SINK, pay[SINK])
        if self.unshared():
            self.move(SINK, self.unshared())

    # --- creation -----------------------------------------------------------------------------

    @initialize(
        test_samples=st.sampled_from(TEST_SAMPLES),
        public_samples=st.sampled_from(PUBLIC_SAMPLES),
        finals=st.sampled_from((0, 1, 2)),
        slash_bps=st.sampled_from((0, 2500, BPS)),
        threshold=st.integers(0, 6),
        payout=payout_splits(),
        bond=st.sampled_from((0, 7 * TOKEN)),
        reward=st.sampled_from((100 * TOKEN, 100 * TOKEN + 7)),
        ending=st.tuples(*[st.sampled_from((True, True, True, False))] * 3),
        seed=st.lists(st.tuples(st.sampled_from(PARTICIPANTS), VALUES), min_size=1, max_size=3),
    )
    def create(
        self,
        test_samples: int,
        public_samples: int,
        finals: int,
        slash_bps: int,
        threshold: int,
        payout: list[int],
        bond: int,
        reward: int,
        ending: tuple[bool, bool, bool],
        seed: list[tuple[str, tuple[int, ...]]],
    ) -> None:
        self.ending = dict(zip(("reveal all", "test reveal", "evaluate all"), ending, strict=True))
        self.test = TestSet(samples=test_samples, chunk_size=CHUNK_SIZE)
        self.public = public_set(samples=public_samples, chunk_size=CHUNK_SIZE)
        training = training_set(CHUNK_SIZE, samples=4)
        created = self.now
        self.finals, self.slash_bps, self.threshold = finals, slash_bps, threshold
        self.params = self.world.params(
            self.test,
            training,
            reward=reward,
            creatorBond=bond,
            payoutBps=payout,
            submissionEnd=created + SUBMISSION_WINDOW,
            revealEnd=created + SUBMISSION_WINDOW + REVEAL_WINDOW,
            testRevealEnd=created + SUBMISSION_WINDOW + REVEAL_WINDOW + WINDOW + 40,
            evaluationEnd=created
            + SUBMISSION_WINDOW
            + REVEAL_WINDOW
            + WINDOW
            + 40
            + EVALUATION_WINDOW,
            entryStake=STAKE,
            finals=finals,
            multiplePlaces=False,
            publicRoot=self.public.root,
            publicSamples=public_samples,
            publicWindow=WINDOW,
            publicClaimBond=PUBLIC_BOND,
            challengeBond=CHALLENGE_BOND,
            slashBps=slash_bps,
            stakeThreshold=threshold,
        )
        fn = self.world.factory.functions.createCompetition(as_tuple(self.params))
        self.send(None, fn, CREATOR)
        contract = self.world.at(self.setup.clone)
        self.comp = Competition(self.world, contract, CREATOR, self.params, self.test, training)
        self.balances[CREATOR] -= reward + bond
        self.held["comp"] += reward + bond
        for who, values in seed:  # a few commits to start from
            self.commit_as(who, values)

    # --- the Submission phase -------------------------------------------------------------------

    @precondition(lambda self: self.phase == SUBMISSION)
    @rule(who=st.sampled_from(PARTICIPANTS), values=VALUES)
    def commit(self, who: str, values: tuple[int, ...]) -> None:
        self.commit_as(who, values)

    def commit_as(self, who: str, values: tuple[int, ...]) -> None:
        e = self.entrant(self.addr(who))
        salt = word(len(self.subs) + 1)
        sub = Sub(who, e, values, salt)
        self.send(None, self.fn.commit(commitment(self.comp.address, e, sub.model, salt)), who)
        self.subs.append(sub)
        self.commits.setdefault(e, []).append(len(self.subs))
        self.move(who, -STAKE)

    @precondition(
        lambda self: (
            self.phase == SUBMISSION
            and self.subs
            and (any(s.claim is None for s in self.subs) or self.now % 6 == 0)
        )
    )
    @rule(data=st.data(), honest=st.sampled_from((True, False, False)))
    def post_public_claim(self, data: st.DataObject, honest: bool) -> None:
        unclaimed = [i for i, s in enumerate(self.subs, 1) if s.claim is None]
        if unclaimed and not data.draw(sometimes(6), label="any submission"):
            sub_id = data.draw(st.sampled_from(unclaimed), label="id")
        else:
            sub_id = data.draw(st.integers(1, len(self.subs)), label="id")
        sub = self.subs[sub_id - 1]
        if data.draw(sometimes(4), label="by a stranger"):
            poster = data.draw(st.sampled_from((*PARTICIPANTS, STRANGER)), label="poster")
        else:
            members = self.members(self.entrant(sub.entrant))
            poster = data.draw(st.sampled_from(members), label="poster")
        leaves = self.public_leaves(sub)
        if not honest:
            index = data.draw(st.integers(0, len(leaves) - 1), label="wrong chunk")
            leaves[index] = [leaves[index][0] + data.draw(st.integers(1, 3), label="by")]
        flat = [v for leaf in leaves for v in leaf]
        fn = self.claims_fn.postPublicClaim(self.comp.address, sub_id, flat)
        if self.entrant(self.addr(poster)) != self.entrant(sub.entrant):
            return self.send((ScoreClaimsNotEntrant, {"id": sub_id}), fn, poster)
        if sub.claim is not None:
            error = {"id": sub_id, "claimId": sub.claim.claim_id}
            return self.send((ScoreClaimsPublicClaimExists, error), fn, poster)
        self.send(None, fn, poster)
        event(f"post: {'honest' if honest else 'wrong'}")
        self.claim_count += 1
        sub.claim = Claim(self.claim_count, poster, leaves)
        self.move(poster, -PUBLIC_BOND, "claims")
        return None

    @precondition(lambda self: self.phase == SUBMISSION and len(self.teams) < 4)
    @rule(
        members=st.lists(st.sampled_from(PARTICIPANTS), min_size=1, max_size=4, unique=True),
        weights=st.lists(st.integers(1, 5), min_size=4, max_size=4),
    )
    def propose_team(self, members: list[str], weights: list[int]) -> None:
        raw = [w * BPS // sum(weights[: len(members)]) for w in weights[: len(members)]]
        shares = [raw[0] + BPS - sum(raw), *raw[1:]]
        names = [self.addr(m) for m in members]
        self.send(None, self.fn.proposeTeam("t", names, shares), members[0])
        team = team_address(self.comp, len(self.teams) + 1)
        self.teams[team] = Team(list(members), shares)

    @precondition(
        lambda self: (
            self.phase == SUBMISSION
            and any(not t.formed and len(t.accepted) < len(t.members) for t in self.teams.values())
        )
    )
    @rule(data=st.data())
    def accept_team(self, data: st.DataObject) -> None:
        open_teams = [a for a, t in self.teams.items() if not t.formed]
        team_addr = data.draw(st.sampled_from(open_teams), label="team")
        team = self.teams[team_addr]
        waiting = [m for m in team.members if m not in team.accepted]
        who = data.draw(st.sampled_from(waiting), label="member")
        fn = self.fn.acceptTeam(team_addr)
        if len(waiting) > 1:
            self.send(None, fn, who)
            team.accepted.add(who)
            return
        # The last acceptance forms it: merge each member's entrant, whole.
        merged: list[str] = []
        for m in team.members:
            e = self.entrant(self.addr(m))
            if e in merged:
                continue
            if e != self.addr(m) and not set(self.teams[e].members) <= set(team.members):
                error = {"member": self.addr(m), "entrant": e}
                event("accept: split refused")
                return self.send((CompetitionTeamSplit, error), fn, who)
            merged.append(e)
        lone = merged[0] if len(merged) == 1 else None
        if lone in self.teams and self.teams[lone].formed and self.commits.get(lone):
            event("accept: frozen refused")
            return self.send((CompetitionTeamFrozen, {"entrant": lone}), fn, who)
        self.send(None, fn, who)
        event(
            f"accept: formed, merging {sum(bool(self.commits.get(e)) for e in merged)} with commits"
        )
        team.accepted.add(who)
        team.formed = True
        self.commits[team_addr] = [i for e in merged for i in self.commits.get(e, [])]
        for e in merged:
            self.merged_into[e] = team_addr
        for m in team.members:
            self.member_of[self.addr(m)] = team_addr
        return None

    # --- the Reveal and TestReveal phases ---------------------------------------------------------

    @precondition(lambda self: self.phase == REVEAL and any(not s.revealed for s in self.subs))
    @rule(data=st.data(), stranger=sometimes(5))
    def reveal(self, data: st.DataObject, stranger: bool) -> None:
        hidden = [i for i, s in enumerate(self.subs, 1) if not s.revealed]
        sub_id = data.draw(st.sampled_from(hidden), label="id")
        sub = self.subs[sub_id - 1]
        fn = self.fn.reveal(sub_id, sub.model, sub.salt, "")
        if stranger:
            error = {"id": sub_id, "caller": self.addr(STRANGER)}
            return self.send((CompetitionCommitmentMismatch, error), fn, STRANGER)
        who = data.draw(st.sampled_from(self.members(self.entrant(sub.entrant))), label="by")
        self.reveal_as(sub_id, who)
        return None

    def reveal_as(self, sub_id: int, who: str) -> None:
        sub = self.subs[sub_id - 1]
        self.send(None, self.fn.reveal(sub_id, sub.model, sub.salt, ""), who)
        sub.revealed = True
        if not (self.slash_bps and self.is_final(sub_id)):
            self.move(sub.committer, STAKE)  # the stake back to the member who paid it

    @precondition(
        lambda self: (
            self.phase in (REVEAL, TEST_REVEAL)
            and any(s.claim and s.claim.status == "open" for s in self.subs)
            and (any(s.claim and s.revealed for s in self.subs) or self.now % 6 == 0)
        )
    )
    @rule(data=st.data())
    def challenge(self, data: st.DataObject) -> None:
        claimed = [i for i, s in enumerate(self.subs, 1) if s.claim and s.claim.status == "open"]
        checkable = [i for i in claimed if self.subs[i - 1].revealed]
        if checkable and not data.draw(sometimes(6), label="maybe unrevealed"):
            claimed = checkable
        sub_id = data.draw(st.sampled_from(claimed), label="id")
        sub = self.subs[sub_id - 1]
        claim = sub.claim
        assert claim is not None
        wrong = [i for i, leaf in enumerate(claim.leaves) if leaf != self.public_leaves(sub)[i]]
        if wrong and data.draw(st.booleans(), label="aim at a wrong leaf"):
            index = data.draw(st.sampled_from(wrong), label="chunk")
        else:
            index = data.draw(st.integers(0, len(self.public.chunks) - 1), label="chunk")
        tree = SumTree(sub_id, claim.leaves)
        siblings, sums = tree.opening(index)
        opening = {
            "chunkIndex": index,
            "leaf": claim.leaves[index],
            "siblings": siblings,
            "siblingSums": sums,
            "chunk": self.public.chunks[index],
            "chunkProof": self.public.tree.proof(index),
            "model": sub.model,
        }
        fn = self.claims_fn.challenge(claim.claim_id, tuple(opening[n] for n in OPENING_FIELDS))
        if not sub.revealed:
            return self.send((ScoreClaimsNotRevealed, {"id": sub_id}), fn, CHALLENGER)
        event(f"challenge: {'a wrong' if wrong else 'an honest'} claim")
        self.send(None, fn, CHALLENGER)
        if claim.leaves[index] == self.public_leaves(sub)[index]:
            self.move(CHALLENGER, -CHALLENGE_BOND, "claims")
            self.move(SINK, CHALLENGE_BOND, "claims")
            return None
        burned = PUBLIC_BOND * SINK_SHARE_BPS // BPS
        self.move(CHALLENGER, PUBLIC_BOND - burned, "claims")  # its own bond in and out
        self.move(SINK, burned, "claims")
        claim.status = "voided"
        sub.disqualified = True
        event("challenge: voided")
        return None

    @precondition(
        lambda self: (
            self.phase == TEST_REVEAL and (self.now >= self.opens_at() or self.now % 8 == 0)
        )
    )
    @rule()
    def reveal_test_set(self) -> None:
        self.reveal_test()

    def reveal_test(self) -> None:
        fn = self.fn.revealTestSet(self.test.salt, "cid")
        if self.now < self.opens_at():
            return self.send(
                (CompetitionPublicChecksOpen, {"opensAt": self.opens_at()}), fn, CREATOR
            )
        self.send(None, fn, CREATOR)
        self.test_revealed = True
        return None

    # --- evaluation, settling, payouts ------------------------------------------------------

    @precondition(lambda self: self.phase == EVALUATION)
    @rule(data=st.data())
    def evaluate(self, data: st.DataObject) -> None:
        pending = self.pending()
        index = data.draw(st.sampled_from(sorted(pending)), label="chunk")
        ids = data.draw(
            st.lists(st.sampled_from(pending[index]), min_size=1, unique=True), label="ids"
        )
        self.evaluate_batch(index, ids)

    def pending(self) -> dict[int, list[int]]:
        finals = self.revealed_finals()
        pending = {
            index: [i for i in finals if index not in self.subs[i - 1].done]
            for index in range(len(self.test.chunks))
        }
        return {index: ids for index, ids in pending.items() if ids}

    def evaluate_batch(self, index: int, ids: list[int]) -> None:
        models = [self.subs[i - 1].model for i in ids]
        fn = self.fn.evaluate(
            index, self.test.chunks[index], self.test.tree.proof(index), ids, models
        )
        self.send(None, fn, "frank")
        for i in ids:
            self.subs[i - 1].done.add(index)

    @precondition(
        lambda self: (
            any(s.claim and s.claim.status == "open" for s in self.subs)
            and (self.phase not in (SUBMISSION, REVEAL, TEST_REVEAL) or self.now % 8 == 0)
        )
    )
    @rule(data=st.data())
    def settle(self, data: st.DataObject) -> None:
        claimed = [i for i, s in enumerate(self.subs, 1) if s.claim and s.claim.status == "open"]
        self.settle_claim(data.draw(st.sampled_from(claimed), label="id"))

    def settle_claim(self, sub_id: int) -> None:
        sub = self.subs[sub_id - 1]
        claim = sub.claim
        assert claim is not None
        fn = self.claims_fn.settle(claim.claim_id)
        if self.phase in (SUBMISSION, REVEAL, TEST_REVEAL):
            error = {"claimId": claim.claim_id, "windowEnd": self.params["testRevealEnd"]}
            return self.send((ScoreClaimsWindowOpen, error), fn, "frank")
        self.send(None, fn, "frank")
        if sub.revealed:
            claim.status = "final"
            self.move(claim.poster, PUBLIC_BOND, "claims")
        else:
            claim.status = "voided"
            self.move(SINK, PUBLIC_BOND, "claims")
        return None

    @precondition(lambda self: self.phase == FINALIZED)
    @rule(who=st.sampled_from((*PARTICIPANTS, CREATOR)))
    def claim_payout(self, who: str) -> None:
        if who in self.claimed or not self.due(who):
            return
        self.claim_as(who)

    def due(self, who: str) -> int:
        return 0 if who in self.claimed else self.payouts()[who]

    def claim_as(self, who: str) -> None:
        amount = self.due(who)
        self.send(None, self.fn.claim(), who)
        if not self.finalized:
            self.finalize_effects()
        self.claimed.add(who)
        self.move(who, amount)

    @precondition(lambda self: self.phase == FINALIZED and self.subs)
    @rule(data=st.data())
    def withdraw_stake(self, data: st.DataObject) -> None:
        sub_id = data.draw(st.integers(1, len(self.subs)), label="id")
        if self.stake_of(sub_id):
            self.withdraw_as(sub_id)

    def withdraw_as(self, sub_id: int) -> None:
        amount = self.stake_of(sub_id)
        self.send(None, self.fn.withdrawStake(sub_id), "ivan")  # anyone; the committer is paid
        if not self.finalized:
            self.finalize_effects()
        assert self.view("stakeOf(uint256)", sub_id) == 0
        self.withdrawn.add(sub_id)
        self.move(self.subs[sub_id - 1].committer, amount)

    @precondition(
        lambda self: (
            self.phase != REVEAL or all(s.revealed for s in self.subs) or self.now % 4 == 0
        )  # mostly reveal before the Reveal phase ends
    )
    @rule(seconds=st.sampled_from((1, 10, 40, 0)))
    def tick(self, seconds: int) -> None:
        """Move the clock a little, or (0) to the end of the current phase's window (rarely
        past the test reveal or the evaluation: defaults are the exception)."""
        if self.phase == FINALIZED:
            return
        late = self.phase == EVALUATION or (
            self.phase == TEST_REVEAL and self.now >= self.opens_at()
        )
        if late and (seconds == 0 or self.now % 4 != 0):
            seconds = 1
        self.advance_to(self.window_end() if seconds == 0 else self.now + seconds)

    def window_end(self) -> int:
        phase = self.phase
        if phase == TEST_REVEAL and self.now < self.opens_at():
            return self.opens_at() - 1  # the test reveal may come next
        if phase == DEFAULT_EVALUATION:
            return self.default_end()
        key = {SUBMISSION: "submissionEnd", REVEAL: "revealEnd", TEST_REVEAL: "testRevealEnd"}
        return self.params[key.get(phase, "evaluationEnd")]

    # --- checks -----------------------------------------------------------------------------

    @invariant()
    def tokens_are_where_the_model_says(self) -> None:
        if self.comp is None or not self.sent:
            return
        self.sent = False
        comp, claims = (
            self.balance_of(self.comp.address),
            self.balance_of(self.world.claims.address),
        )
        sink = self.balance_of(SINK)
        assert comp == self.held["comp"]
        assert claims == self.held["claims"]
        assert sink == self.setup.sink + self.burned
        holders = {who: self.balance_of(who) for who in HOLDERS}
        assert holders == self.balances
        assert sum(holders.values()) + comp + claims + sink == self.setup.supply

    def finish(self, ending: dict[str, bool]) -> None:
        while (phase := self.phase) != FINALIZED:
            if phase == REVEAL and ending["reveal all"]:
                for sub_id, sub in enumerate(self.subs, 1):
                    if not sub.revealed and self.phase_at(self.now) == REVEAL:
                        self.reveal_as(sub_id, sub.committer)
            elif phase == TEST_REVEAL and ending["test reveal"]:
                self.advance_to(self.opens_at() - 1)
                if self.phase == TEST_REVEAL:
                    self.reveal_test()
            elif phase == EVALUATION and ending["evaluate all"]:
                for index, ids in self.pending().items():
                    if self.phase == EVALUATION:
                        self.evaluate_batch(index, ids)
            if self.phase == phase:
                self.advance_to(self.window_end())
            self.tokens_are_where_the_model_says()

    def teardown(self) -> None:
        """Finish the competition, settle every claim, pay everyone; check that the contracts
        held exactly what they owed."""
        if self.comp is None or sys.exc_info()[0] is not None:
            return
        self.finish(self.ending)
        event(f"outcome {self.outcome()}, {len(self.ranking())} ranked, slash {self.slash_bps}")
        event(f"{len(self.subs)} commits, {sum(t.formed for t in self.teams.values())} teams")
        assert self.view("outcome()", returns="uint8") == self.outcome()
        ranking = list(self.view("ranking()", returns="uint256[]"))
        assert ranking == self.ranking()
        for sub_id, sub in enumerate(self.subs, 1):
            assert self.view("isDisqualified(uint256)", sub_id, returns="bool") == sub.disqualified
            assert self.view("isFinal(uint256)", sub_id, returns="bool") == self.is_final(sub_id)
            if sub.claim and sub.claim.status == "open":
                self.settle_claim(sub_id)
        owed = sum(self.due(w) for w in HOLDERS) + sum(
            self.stake_of(i) for i in range(1, len(self.subs) + 1)
        )
        for who in HOLDERS:
            assert self.view("claimable(address)", self.addr(who)) == self.due(who), who
        for sub_id in range(1, len(self.subs) + 1):
            assert self.view("stakeOf(uint256)", sub_id) == self.stake_of(sub_id), sub_id
        if not self.finalized:
            self.send(None, self.fn.finalize(), "ivan")
            self.finalize_effects()
        self.tokens_are_where_the_model_says()
        # What the clone holds now is exactly what it still owes (the sink's part is gone).
        assert self.balance_of(self.comp.address) == owed
        for who in HOLDERS:
            if self.due(who):
                self.claim_as(who)
        for sub_id in range(1, len(self.subs) + 1):
            if self.stake_of(sub_id):
                self.withdraw_as(sub_id)
        self.sent = True
        self.tokens_are_where_the_model_says()
        assert self.balance_of(self.comp.address) == 0
        assert self.balance_of(self.world.claims.address) == 0


def test_boardTeamsAndStakes_keepEveryTokenAccountedFor(
    base: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze_wall_clock(monkeypatch)
    examples = settings.default.max_examples if REVM else min(settings.default.max_examples, 15)
    run_state_machine_as_test(
        lambda: BoardTeamsMachine(base),
        settings=settings(
            settings.default, max_examples=examples, stateful_step_count=STEPS, deadline=None
        ),
    )
