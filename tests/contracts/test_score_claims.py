"""Optimistic evaluation on the real EVM: ScoreClaims, Competition.completeByClaim and the
factory's optimistic parameters (docs/competition-protocol.md, "Optimistic evaluation").

Scores come from MockEvaluator, so every leaf is known exactly: a model ``n, v_1..v_n``
scores ``v[slot % n]`` on a chunk (test chunk ``i`` has slot ``i``); its tallies label
every row class 0 and predict class 0 on ``value`` rows, so a per-class leaf is
``[v, v, 0.., v, 0.., rows, 0..]`` and an absolute-error leaf is ``[v]``. Claims and
openings are built with the Python twin :class:`mlmarket.ml.claims.SumTree`, which one
test pins to a hand computation. The wall clock is frozen, so every transaction is mined
one second after the block before it and deadlines are hit to the second; a refused call
is never mined, so refusals also check that no block was added and no token moved.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from eth_utils import keccak

from mlmarket.chain import clock as chain_clock
from mlmarket.chain.reverts import ContractPanicError
from mlmarket.contracts import load_artifact
from mlmarket.contracts.errors import (
    CompetitionAlreadyCompleted,
    CompetitionChunkRowsMismatch,
    CompetitionFactoryInvalidOptimistic,
    CompetitionFactoryNoScoreClaims,
    CompetitionFactoryScoreClaimsMismatch,
    CompetitionNotScoreClaims,
    CompetitionUnknownSubmission,
    ERC20InsufficientAllowance,
    OwnableUnauthorizedAccount,
    ScoreClaimsAlreadyCompleted,
    ScoreClaimsInvalidChunk,
    ScoreClaimsInvalidLeaves,
    ScoreClaimsInvalidOpening,
    ScoreClaimsModelMismatch,
    ScoreClaimsNotEvaluable,
    ScoreClaimsNotFirst,
    ScoreClaimsNotInEvaluation,
    ScoreClaimsNotOpen,
    ScoreClaimsNotOptimistic,
    ScoreClaimsTooLate,
    ScoreClaimsUnknownClaim,
    ScoreClaimsWindowClosed,
    ScoreClaimsWindowOpen,
)
from mlmarket.ml.claims import SumTree
from tests.contracts.test_competition_kit import (
    ACCURACY,
    BALANCED_ACCURACY,
    DEFAULT_EVALUATION,
    EVALUATION,
    FINALIZED,
    MACRO_F1,
    PARAM_FIELDS,
    RANKED,
    SAE,
    SINK,
    SSE,
    SUBMISSION,
    TEST_REVEAL,
    TOKEN,
    Competition,
    MerkleTree,
    TestSet,
    World,
    chunk_leaf,
    deploy,
    events,
    make_world,
    mock_chunk,
    mock_model,
    to_evaluation,
    word,
    world_fixture,  # noqa: F401 - the `world` fixture
)

WINDOW = 3600
CLAIM_BOND = 50 * TOKEN
CHALLENGE_BOND = 5 * TOKEN
BURNED = CLAIM_BOND * 2000 // 10_000  # SINK_SHARE_BPS of a voided claim's bond
REWARD = CLAIM_BOND - BURNED
_NONE, OPEN, VOIDED, FINAL, CLOSED = range(5)  # IScoreClaims.ClaimStatus
ZERO = "0x" + "00" * 20
_CHALLENGE = next(e for e in load_artifact("ScoreClaims").abi if e.get("name") == "challenge")
OPENING_FIELDS = tuple(c["name"] for c in _CHALLENGE["inputs"][1]["components"])
ALICE_MODEL = mock_model(80, 90, 40)  # per chunk (100, 100, 50 rows): 80, 90, 40; total 210
BOB_MODEL = mock_model(70, 95, 45)  # 70, 95, 45; total 210, ranked after alice (later commit)
DAVE_MODEL = mock_model(100, 100, 50)  # 250


@pytest.fixture(autouse=True)
def _frozen_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Block times move only by ``clock.advance_to`` and one second per transaction."""
    wall = int(time.time())
    monkeypatch.setattr(chain_clock, "time", SimpleNamespace(time=lambda: wall))


# --- helpers -----------------------------------------------------------------------------


def mined(world: World) -> int:
    return int(world.chain.w3.eth.block_number)


def block_time(world: World, receipt: Any) -> int:
    return int(world.chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"])


def deadlines(world: World, evaluation: int = 20_000) -> dict[str, int]:
    """Deadlines from now: an evaluation window of ``evaluation`` seconds (room for claims)."""
    now = world.chain.clock.now()
    return {
        "submissionEnd": now + 1000,
        "revealEnd": now + 2000,
        "testRevealEnd": now + 3000,
        "evaluationEnd": now + 3000 + evaluation,
    }


def optimistic(world: World, **overrides: Any) -> Competition:
    """An optimistic competition: a 1-hour window, 50-token claims, 5-token challenges."""
    values: dict[str, Any] = {
        **deadlines(world),
        "challengeWindow": WINDOW,
        "claimBond": CLAIM_BOND,
        "challengeBond": CHALLENGE_BOND,
    }
    values.update(overrides)
    return world.create(**values)


def started(world: World, **overrides: Any) -> tuple[Competition, int, int]:
    """An optimistic competition in Evaluation with alice's and bob's models revealed."""
    comp = optimistic(world, **overrides)
    a = comp.commit("alice", ALICE_MODEL)
    b = comp.commit("bob", BOB_MODEL)
    to_evaluation(comp, ("alice", a), ("bob", b))
    return comp, a, b


def model_values(model: bytes) -> list[int]:
    n = int.from_bytes(model[:32], "big")
    return [int.from_bytes(model[32 * i : 32 * i + 32], "big") for i in range(1, n + 1)]


def true_leaves(comp: Competition, sub_id: int) -> list[list[int]]:
    """Every test chunk's leaf vector for submission ``sub_id``, from the mock's rules."""
    values = model_values(comp.models[sub_id])
    metric, k = comp.params["metric"], comp.params["classes"]
    leaves = []
    for chunk in comp.test_set.chunks:
        rows, slot = int.from_bytes(chunk[:32], "big"), int.from_bytes(chunk[32:64], "big")
        v = values[slot % len(values)]
        if metric in (BALANCED_ACCURACY, MACRO_F1):
            lanes = [[x] + [0] * (k - 1) for x in (v, v, rows)]  # tp, predicted, support
            leaves.append([v, *lanes[0], *lanes[1], *lanes[2]])
        else:
            leaves.append([v])
    return leaves


def balances(comp: Competition) -> dict[str, int]:
    world = comp.world
    return world.balances(comp.address, world.claims.address, SINK)


def state(comp: Competition) -> tuple[int, dict[str, int]]:
    return mined(comp.world), balances(comp)


def claims_call(world: World, name: str, *args: Any) -> Any:
    return world.chain.call(getattr(world.claims.functions, name)(*args))


def approve(world: World, who: str, amount: int) -> None:
    fn = world.token.contract.functions.approve(world.claims.address, amount)
    world.chain.transact(fn, sender=who)


def refused(comp: Competition, error: type[Exception], fn: Any, *, sender: str) -> Any:
    """Send ``fn``; it must fail with ``error`` and leave no block and no token moved."""
    before = state(comp)
    with pytest.raises(error) as caught:
        comp.chain.transact(fn, sender=sender)
    assert state(comp) == before
    return caught.value


@dataclass
class Posted:
    """A posted claim and the tree it was built from."""

    comp: Competition
    claim_id: int
    tree: SumTree
    receipt: Any

    @property
    def world(self) -> World:
        return self.comp.world

    def status(self) -> int:
        return claims_call(self.world, "claimOf", self.claim_id)[3]

    def window_end(self) -> int:
        return claims_call(self.world, "claimOf", self.claim_id)[1]

    def chunk_set(self) -> Any:
        """The chunks the claim is over (the test set's)."""
        return self.comp.test_set

    def opening(self, index: int, **changes: Any) -> tuple:
        """The honest opening of chunk ``index``, with ``changes`` to its fields."""
        chunks = self.chunk_set()
        siblings, sums = self.tree.opening(index)
        fields = {
            "chunkIndex": index,
            "leaf": self.tree.leaves[index],
            "siblings": siblings,
            "siblingSums": sums,
            "chunk": chunks.chunks[index],
            "chunkProof": chunks.tree.proof(index),
            "model": self.comp.models[self.tree.id],
        }
        fields.update(changes)
        return tuple(fields[name] for name in OPENING_FIELDS)

    def challenge_fn(self, index: int, **changes: Any) -> Any:
        return self.world.claims.functions.challenge(self.claim_id, self.opening(index, **changes))

    def challenge(self, index: int, *, who: str = "grace", **changes: Any) -> Any:
        approve(self.world, who, self.comp.params["challengeBond"])
        return self.world.chain.transact(self.challenge_fn(index, **changes), sender=who)

    def settle(self, who: str = "frank") -> Any:
        fn = self.world.claims.functions.settle(self.claim_id)
        return self.world.chain.transact(fn, sender=who)


def post(
    comp: Competition,
    who: str,
    sub_id: int,
    leaves: list[list[int]] | None = None,
    *,
    approve_bond: bool = True,
) -> Posted:
    """Claim submission ``sub_id``'s leaves (its true ones unless given), locking the bond."""
    world = comp.world
    tree = SumTree(sub_id, true_leaves(comp, sub_id) if leaves is None else leaves)
    if approve_bond:
        approve(world, who, comp.params["claimBond"])
    fn = world.claims.functions.postClaim(comp.address, sub_id, tree.flat_leaves())
    receipt = world.chain.transact(fn, sender=who)
    (event,) = events(world.claims, "ClaimPosted", receipt)
    return Posted(comp, event["args"]["claimId"], tree, receipt)


def inflated(comp: Competition, sub_id: int, index: int, by: int = 5) -> list[list[int]]:
    """The true leaves with chunk ``index``'s first word raised by ``by``."""
    leaves = true_leaves(comp, sub_id)
    leaves[index] = [leaves[index][0] + by, *leaves[index][1:]]
    return leaves


def claimables(comp: Competition, *who: str) -> dict[str, int]:
    return {w: comp.call("claimable", comp.chain.address(w)) for w in who}


# --- the Python twin against a hand computation -------------------------------------------


def test_sumTree_matchesAHandComputedThreeLeafTree() -> None:
    sub_id = 7

    def node(*words: int | bytes) -> bytes:
        return keccak(b"".join(w if isinstance(w, bytes) else word(w) for w in words))

    leaf0, leaf1, leaf2 = node(sub_id, 0, 3), node(sub_id, 1, 5), node(sub_id, 2, 2)
    padding = bytes(32)  # position 3: hash 0, sum 0
    left, right = node(leaf0, leaf1, 8), node(leaf2, padding, 2 + 0)
    root = node(left, right, 10)

    tree = SumTree(sub_id, [[3], [5], [2]])
    assert tree.root == root
    assert tree.total == [10]
    assert tree.flat_leaves() == [3, 5, 2]
    assert tree.opening(0) == ([leaf1, right], [5, 2])
    assert tree.opening(2) == ([padding, left], [0, 8])
    # Two words per leaf: every sum is a vector, hashed word after word.
    wide = SumTree(1, [[1, 2], [3, 4], [5, 6]])
    l0, l1, l2 = node(1, 0, 1, 2), node(1, 1, 3, 4), node(1, 2, 5, 6)
    assert wide.root == node(node(l0, l1, 4, 6), node(l2, padding, 5, 6), 9, 12)


# --- factory: optimistic parameters --------------------------------------------------------


INVALID_OPTIMISTIC = {
    "window under an hour": {"challengeWindow": 3599},
    "window without the settle margin": {"challengeWindow": 20_000 - 600},
    "window as long as the evaluation window": {"challengeWindow": 20_000},
    "window longer than the evaluation window": {"challengeWindow": 20_001},
    "no claim bond": {"claimBond": 0},
    "claim bond under 1 % of the reward": {"claimBond": 10 * TOKEN - 1},
    "no challenge bond": {"challengeBond": 0},
}


@pytest.mark.parametrize("overrides", INVALID_OPTIMISTIC.values(), ids=INVALID_OPTIMISTIC.keys())
def test_create_refusesInvalidOptimisticParameters(world: World, overrides: dict[str, int]) -> None:
    block, carol = mined(world), world.token.raw_balance_of("carol")
    with pytest.raises(CompetitionFactoryInvalidOptimistic) as caught:
        optimistic(world, **overrides)
    expected = {"challengeWindow": WINDOW, "claimBond": CLAIM_BOND, "challengeBond": CHALLENGE_BOND}
    expected.update(overrides)
    got = caught.value
    assert (got.challengeWindow, got.claimBond, got.challengeBond) == tuple(expected.values())
    assert mined(world) == block + 1  # only the creator's approve was mined
    assert world.token.raw_balance_of("carol") == carol
    assert world.chain.call(world.factory.functions.competitionCount()) == 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"challengeWindow": 3600},  # the shortest window
        {"challengeWindow": 20_000 - 601},  # long: a claim after a late test reveal still fits
        {"claimBond": 10 * TOKEN},  # exactly 1 % of the 1000-token reward
        {"challengeBond": 1},
    ],
    ids=["shortest window", "long window", "smallest claim bond", "smallest challenge bond"],
)
def test_create_acceptsTheBoundaries_andRecordsTheScoreClaims(
    world: World, overrides: dict[str, int]
) -> None:
    comp = optimistic(world, **overrides)
    assert comp.call("scoreClaims") == world.claims.address
    params = comp.call("params")
    for name in ("challengeWindow", "claimBond", "challengeBond"):
        assert params[PARAM_FIELDS.index(name)] == comp.params[name]
    assert claims_call(world, "factory") == world.factory.address
    assert claims_call(world, "leafLength", comp.address) == 1
    assert claims_call(world, "SINK_SHARE_BPS") == 2000
    assert world.chain.call(world.factory.functions.MIN_CHALLENGE_WINDOW()) == 3600
    assert world.chain.call(world.factory.functions.CLAIM_BOND_DIVISOR()) == 100


def test_create_withoutAWindow_isOnChainOnly_whateverTheBonds(world: World) -> None:
    comp = world.create(challengeWindow=0, claimBond=0, challengeBond=0)
    assert comp.call("scoreClaims") == ZERO
    comp = world.create(challengeWindow=0, claimBond=7, challengeBond=0)
    assert comp.call("scoreClaims") == ZERO


def test_create_optimisticWithoutScoreClaims_isRefused(world: World) -> None:
    receipt = world.chain.transact(world.factory.functions.setScoreClaims(ZERO), sender="deployer")
    (event,) = events(world.factory, "ScoreClaimsSet", receipt)
    assert event["args"]["scoreClaims"] == ZERO
    assert world.chain.call(world.factory.functions.scoreClaims()) == ZERO
    block = mined(world)
    with pytest.raises(CompetitionFactoryNoScoreClaims):
        optimistic(world)
    assert mined(world) == block + 1  # the approve only
    assert world.create().call("scoreClaims") == ZERO  # on-chain competitions still open


def test_setScoreClaims_onlyTheOwner(world: World) -> None:
    fn = world.factory.functions.setScoreClaims(world.chain.address("alice"))
    block = mined(world)
    with pytest.raises(OwnableUnauthorizedAccount):
        world.chain.transact(fn, sender="alice")
    assert mined(world) == block
    assert world.chain.call(world.factory.functions.scoreClaims()) == world.claims.address


def test_setScoreClaims_existingCompetitionsKeepTheirs(world: World) -> None:
    comp, a, _b = started(world)
    replacement = deploy(world.chain, "ScoreClaims", world.factory.address)
    world.chain.transact(
        world.factory.functions.setScoreClaims(replacement.address), sender="deployer"
    )
    assert comp.call("scoreClaims") == world.claims.address
    approve(world, "heidi", CLAIM_BOND)
    fn = replacement.functions.postClaim(
        comp.address, a, SumTree(a, true_leaves(comp, a)).flat_leaves()
    )
    refused(comp, ScoreClaimsNotOptimistic, fn, sender="heidi")
    post(comp, "heidi", a)  # the original still serves it
    assert optimistic(world).call("scoreClaims") == replacement.address


# --- postClaim ------------------------------------------------------------------------------


def test_postClaim_postsTheTree_locksTheBond_andListsTheClaim(world: World) -> None:
    comp, a, _b = started(world)
    before = balances(comp)
    leaves = true_leaves(comp, a)
    assert leaves == [[80], [90], [40]]
    claim = post(comp, "heidi", a)
    (event,) = events(world.claims, "ClaimPosted", claim.receipt)
    args = event["args"]
    now = block_time(world, claim.receipt)
    assert args["claimId"] == claim.claim_id == 1
    assert args["competition"] == comp.address
    assert args["id"] == a
    assert args["claimer"] == world.chain.address("heidi")
    assert args["root"] == claim.tree.root
    assert args["score"] == claim.tree.total[0] == 210
    assert args["bond"] == CLAIM_BOND
    assert args["windowEnd"] == now + WINDOW
    assert list(args["leaves"]) == [80, 90, 40]
    after = balances(comp)
    assert after["heidi"] == before["heidi"] - CLAIM_BOND
    assert after[world.claims.address] == before[world.claims.address] + CLAIM_BOND
    assert list(claims_call(world, "claimOf", 1)) == [
        comp.address, now + WINDOW, world.chain.address("heidi"), OPEN, False, a,
        claim.tree.root, 210, CLAIM_BOND,
    ]  # fmt: skip
    assert claims_call(world, "claimCount") == 1
    assert claims_call(world, "claimsFor", comp.address, a) == [1]
    second = post(comp, "ivan", a, inflated(comp, a, 2))
    assert claims_call(world, "claimsFor", comp.address, a) == [1, second.claim_id]
    assert claims_call(world, "claimOf", 2)[7] == 215
    assert comp.call("submission", a)[1] == 0  # nothing is scored before a claim settles


def test_postClaim_onAnOnChainOnlyCompetition_isRefused(world: World) -> None:
    comp = world.create(**deadlines(world))
    a = comp.commit("alice", ALICE_MODEL)
    to_evaluation(comp, ("alice", a))
    approve(world, "heidi", CLAIM_BOND)
    fn = world.claims.functions.postClaim(comp.address, a, [80, 90, 40])
    error = refused(comp, ScoreClaimsNotOptimistic, fn, sender="heidi")
    assert error.competition == comp.address


def test_postClaim_onAContractTheFactoryDidNotMake_isRefused(world: World) -> None:
    comp, a, _b = started(world)
    approve(world, "heidi", CLAIM_BOND)
    fn = world.claims.functions.postClaim(world.token.address, a, [80, 90, 40])
    assert refused(comp, ScoreClaimsNotOptimistic, fn, sender="heidi").competition == (
        world.token.address
    )
    # Another factory cannot register this ScoreClaims (it serves its own factory only), and
    # a competition of another factory is not served.
    other = make_world(world.chain)
    fn = other.factory.functions.setScoreClaims(world.claims.address)
    error = refused(comp, CompetitionFactoryScoreClaimsMismatch, fn, sender="deployer")
    assert error.scoreClaims == world.claims.address
    foreign = optimistic(other)
    assert foreign.call("scoreClaims") == other.claims.address
    f = foreign.commit("alice", ALICE_MODEL)
    to_evaluation(foreign, ("alice", f))
    approve(world, "heidi", CLAIM_BOND)
    fn = world.claims.functions.postClaim(foreign.address, f, [80, 90, 40])
    assert refused(comp, ScoreClaimsNotOptimistic, fn, sender="heidi").competition == (
        foreign.address
    )
    # Nor a Competition deployed outside any factory (its implementation is locked).
    outside = deploy(world.chain, "Competition", libraries=world.libraries)
    fn = world.claims.functions.postClaim(outside.address, 1, [80, 90, 40])
    refused(comp, ScoreClaimsNotOptimistic, fn, sender="heidi")


def test_postClaim_beforeTheTestReveal_isRefused(world: World) -> None:
    comp = optimistic(world)
    a = comp.commit("alice", ALICE_MODEL)
    approve(world, "heidi", CLAIM_BOND)
    fn = world.claims.functions.postClaim(comp.address, a, [80, 90, 40])
    assert refused(comp, ScoreClaimsNotInEvaluation, fn, sender="heidi").actual == SUBMISSION
    comp.to_reveal()
    comp.reveal("alice", a)
    comp.to_test_reveal()
    assert refused(comp, ScoreClaimsNotInEvaluation, fn, sender="heidi").actual == TEST_REVEAL


def test_postClaim_ofAnUnrevealedOrNonFinalSubmission_isRefused(world: World) -> None:
    comp = optimistic(world, finals=1)
    early = comp.commit("alice", ALICE_MODEL)
    final = comp.commit("alice", mock_model(81, 90, 40))  # the default final: the last commit
    hidden = comp.commit("bob", BOB_MODEL)
    to_evaluation(comp, ("alice", early), ("alice", final))
    assert comp.call("isFinal", early) is False
    approve(world, "heidi", CLAIM_BOND)
    for sub_id in (early, hidden):
        fn = world.claims.functions.postClaim(comp.address, sub_id, [80, 90, 40])
        assert refused(comp, ScoreClaimsNotEvaluable, fn, sender="heidi").id == sub_id
    fn = world.claims.functions.postClaim(comp.address, 9, [80, 90, 40])
    refused(comp, CompetitionUnknownSubmission, fn, sender="heidi")
    post(comp, "heidi", final, approve_bond=False)


def test_postClaim_ofASubmissionCompletedOnChain_isRefused(world: World) -> None:
    comp, a, b = started(world)
    comp.evaluate_all([a])
    assert comp.phase() == EVALUATION  # bob is still unscored
    approve(world, "heidi", CLAIM_BOND)
    fn = world.claims.functions.postClaim(comp.address, a, [80, 90, 40])
    assert refused(comp, ScoreClaimsAlreadyCompleted, fn, sender="heidi").id == a
    comp.evaluate(0, [b])  # partly scored on chain: a claim may still complete it
    post(comp, "heidi", b, approve_bond=False)


def test_postClaim_whoseWindowWouldNotEndTheSettleMarginBeforeTheDeadline_isRefused(
    world: World,
) -> None:
    comp, a, b = started(world)
    end = comp.params["evaluationEnd"]
    approve(world, "heidi", 2 * CLAIM_BOND)
    world.chain.clock.advance_to(end - WINDOW - 602)
    last = post(comp, "heidi", a, approve_bond=False)  # mined at end - WINDOW - 601
    assert last.window_end() == end - 601
    fn = world.claims.functions.postClaim(comp.address, b, [70, 95, 45])  # at end - WINDOW - 600
    error = refused(comp, ScoreClaimsTooLate, fn, sender="heidi")
    assert (error.windowEnd, error.evaluationEnd) == (end - 600, end)
    # The last claim accepted can still be settled, up to the deadline's last second.
    world.chain.clock.advance_to(end - 2)
    receipt = last.settle()
    assert block_time(world, receipt) == end - 1
    assert last.status() == FINAL
    assert comp.call("submission", a)[4] == 210


@pytest.mark.parametrize("words", [2, 4, 0])
def test_postClaim_withTheWrongNumberOfLeafWords_isRefused(world: World, words: int) -> None:
    comp, a, _b = started(world)
    approve(world, "heidi", CLAIM_BOND)
    fn = world.claims.functions.postClaim(comp.address, a, [80] * words)
    error = refused(comp, ScoreClaimsInvalidLeaves, fn, sender="heidi")
    assert (error.expected, error.actual) == (3, words)


def test_postClaim_withoutApproval_isRefused(world: World) -> None:
    comp, a, _b = started(world)
    fn = world.claims.functions.postClaim(comp.address, a, [80, 90, 40])
    error = refused(comp, ERC20InsufficientAllowance, fn, sender="heidi")
    assert (error.spender, error.allowance, error.needed) == (
        world.claims.address, 0, CLAIM_BOND,
    )  # fmt: skip
    assert claims_call(world, "claimCount") == 0


def test_postClaim_whoseTotalOverflows_isRefused(world: World) -> None:
    comp, a, _b = started(world)
    approve(world, "heidi", CLAIM_BOND)
    fn = world.claims.functions.postClaim(comp.address, a, [2**255, 2**255, 0])
    refused(comp, ContractPanicError, fn, sender="heidi")  # checked sums: a total over 2^256


# --- challenge -------------------------------------------------------------------------------


def test_challenge_ofAWrongLeaf_voidsTheClaim_andPaysTheChallenger(world: World) -> None:
    comp, a, _b = started(world)
    claim = post(comp, "ivan", a, inflated(comp, a, 1))
    approve(world, "grace", CHALLENGE_BOND)
    before = balances(comp)
    assert world.chain.call(claim.challenge_fn(1), sender="grace") is True  # returns voided
    receipt = world.chain.transact(claim.challenge_fn(1), sender="grace")
    (event,) = events(world.claims, "ClaimVoided", receipt)
    assert dict(event["args"]) == {
        "claimId": claim.claim_id,
        "challenger": world.chain.address("grace"),
        "chunkIndex": 1,
        "reward": REWARD,
        "burned": BURNED,
    }
    assert REWARD == CLAIM_BOND - CLAIM_BOND * 2000 // 10_000 == 40 * TOKEN
    after = balances(comp)
    assert after["grace"] == before["grace"] + REWARD  # its challenge bond came back too
    assert after[SINK] == before[SINK] + BURNED
    assert after[world.claims.address] == before[world.claims.address] - CLAIM_BOND
    assert after["ivan"] == before["ivan"]
    assert claim.status() == VOIDED
    assert comp.call("submission", a)[1] == 0


def test_challenge_ofARightLeaf_failsAndBurnsTheChallengeBond(world: World) -> None:
    comp, a, _b = started(world)
    claim = post(comp, "heidi", a)
    approve(world, "grace", CHALLENGE_BOND)
    before = balances(comp)
    assert world.chain.call(claim.challenge_fn(2), sender="grace") is False
    receipt = world.chain.transact(claim.challenge_fn(2), sender="grace")
    (event,) = events(world.claims, "ChallengeFailed", receipt)
    assert dict(event["args"]) == {
        "claimId": claim.claim_id,
        "challenger": world.chain.address("grace"),
        "chunkIndex": 2,
        "forfeited": CHALLENGE_BOND,
    }
    assert events(world.claims, "ClaimVoided", receipt) == []
    after = balances(comp)
    assert after["grace"] == before["grace"] - CHALLENGE_BOND
    assert after[SINK] == before[SINK] + CHALLENGE_BOND
    assert after[world.claims.address] == before[world.claims.address]
    assert claim.status() == OPEN


def _bad_opening(claim: Posted, case: str) -> tuple[int, dict[str, Any]]:
    """(chunk index, changed opening fields) for each malformed opening of ``claim``."""
    siblings, sums = claim.tree.opening(0)
    if case == "wrong sibling":
        return 0, {"siblings": [keccak(b"elsewhere"), *siblings[1:]]}
    if case == "wrong sibling sum":
        return 0, {"siblingSums": [sums[0] + 1, *sums[1:]]}
    if case == "wrong upper sibling sum":
        return 0, {"siblingSums": [sums[0], sums[1] - 1]}
    if case == "another chunk's position":  # chunk 1's leaf and path, chunk 2's index and data
        siblings, sums = claim.tree.opening(1)
        return 2, {"leaf": claim.tree.leaves[1], "siblings": siblings, "siblingSums": sums}
    if case == "padding position":
        return 0, {"chunkIndex": 3, "leaf": [0]}
    if case == "index past the tree":
        return 0, {"chunkIndex": 2**64}
    if case == "leaf too long":
        return 0, {"leaf": [*claim.tree.leaves[0], 0]}
    if case == "leaf empty":
        return 0, {"leaf": []}
    if case == "path too short":
        return 0, {"siblings": siblings[:1], "siblingSums": sums[:1]}
    if case == "sums too long":
        return 0, {"siblingSums": [*sums, 0]}
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    [
        "wrong sibling",
        "wrong sibling sum",
        "wrong upper sibling sum",
        "another chunk's position",
        "padding position",
        "index past the tree",
        "leaf too long",
        "leaf empty",
        "path too short",
        "sums too long",
    ],
)
def test_challenge_withAnOpeningThatDoesNotLeadToTheRoot_isRefused(world: World, case: str) -> None:
    comp = optimistic(world)
    a = comp.commit("alice", mock_model(40))  # 40 on every chunk: equal leaves, other positions
    comp.commit("bob", BOB_MODEL)
    to_evaluation(comp, ("alice", a), ("bob", 2))
    claim = post(comp, "ivan", a, inflated(comp, a, 0))  # chunk 0 is wrong: worth voiding
    assert claim.tree.leaves == [[45], [40], [40]]
    index, changes = _bad_opening(claim, case)
    approve(world, "grace", CHALLENGE_BOND)
    error = refused(comp, ScoreClaimsInvalidOpening, claim.challenge_fn(index, **changes),
                    sender="grace")  # fmt: skip
    assert (error.claimId, error.chunkIndex) == (claim.claim_id, changes.get("chunkIndex", index))
    assert claim.status() == OPEN


def test_challenge_withAWrongChunkOrProof_isRefused(world: World) -> None:
    comp, a, _b = started(world)
    claim = post(comp, "ivan", a, inflated(comp, a, 0))
    approve(world, "grace", CHALLENGE_BOND)
    for changes in (
        {"chunk": mock_chunk(100, 7)},  # other bytes
        {"chunk": comp.test_set.chunks[1], "chunkProof": comp.test_set.tree.proof(1)},
        {"chunkProof": comp.test_set.tree.proof(1)},
        {"chunkProof": []},
    ):
        error = refused(comp, ScoreClaimsInvalidChunk, claim.challenge_fn(0, **changes),
                        sender="grace")  # fmt: skip
        assert error.chunkIndex == 0
    assert claim.status() == OPEN


def test_challenge_withAnotherModel_isRefused(world: World) -> None:
    comp, a, _b = started(world)
    claim = post(comp, "ivan", a, inflated(comp, a, 0))
    approve(world, "grace", CHALLENGE_BOND)
    for model in (BOB_MODEL, ALICE_MODEL + b"\x00", b""):
        error = refused(comp, ScoreClaimsModelMismatch, claim.challenge_fn(0, model=model),
                        sender="grace")  # fmt: skip
        assert error.id == a
    assert claim.status() == OPEN


def test_challenge_withoutApproval_isRefused(world: World) -> None:
    comp, a, _b = started(world)
    claim = post(comp, "ivan", a, inflated(comp, a, 0))
    error = refused(comp, ERC20InsufficientAllowance, claim.challenge_fn(0), sender="grace")
    assert error.needed == CHALLENGE_BOND


def test_challenge_inTheWindowsLastSecond_counts_aSecondLater_isRefused(world: World) -> None:
    comp, a, b = started(world)
    first = post(comp, "ivan", a, inflated(comp, a, 0))
    second = post(comp, "ivan", b, inflated(comp, b, 0))
    assert second.window_end() == first.window_end() + 2  # the approve and the post
    approve(world, "grace", 2 * CHALLENGE_BOND)
    world.chain.clock.advance_to(first.window_end() - 1)
    receipt = world.chain.transact(first.challenge_fn(0), sender="grace")
    assert block_time(world, receipt) == first.window_end()
    assert first.status() == VOIDED
    world.chain.clock.advance_to(second.window_end())
    error = refused(comp, ScoreClaimsWindowClosed, second.challenge_fn(0), sender="grace")
    assert (error.claimId, error.windowEnd) == (second.claim_id, second.window_end())
    assert second.status() == OPEN


def test_challenge_ofAClaimNoLongerOpen_orUnknown_isRefused(world: World) -> None:
    comp, a, b = started(world)
    voided = post(comp, "ivan", a, inflated(comp, a, 0))
    voided.challenge(0)
    final = post(comp, "heidi", b)
    approve(world, "grace", CHALLENGE_BOND)
    error = refused(comp, ScoreClaimsNotOpen, voided.challenge_fn(1), sender="grace")
    assert (error.claimId, error.status) == (voided.claim_id, VOIDED)
    world.chain.clock.advance_to(final.window_end())
    final.settle()
    error = refused(comp, ScoreClaimsNotOpen, final.challenge_fn(0), sender="grace")
    assert error.status == FINAL
    for claim_id in (0, 3, 2**256 - 1):
        fn = world.claims.functions.challenge(claim_id, voided.opening(0))
        assert refused(comp, ScoreClaimsUnknownClaim, fn, sender="grace").claimId == claim_id
        fn = world.claims.functions.settle(claim_id)
        refused(comp, ScoreClaimsUnknownClaim, fn, sender="grace")
    with pytest.raises(ScoreClaimsUnknownClaim):
        claims_call(world, "claimOf", 3)
    with pytest.raises(ScoreClaimsUnknownClaim):
        claims_call(world, "claimOf", 0)


def test_challenge_selfChallengeOfAWrongClaim_costsTheSinksShare(world: World) -> None:
    comp, a, _b = started(world)
    start = balances(comp)
    claim = post(comp, "ivan", a, inflated(comp, a, 2))
    claim.challenge(2, who="ivan")
    end = balances(comp)
    assert claim.status() == VOIDED
    assert end["ivan"] == start["ivan"] - BURNED == start["ivan"] - 10 * TOKEN
    assert end[SINK] == start[SINK] + BURNED
    assert end[world.claims.address] == start[world.claims.address]


def test_challenge_siblingSumsThatOverflow_isAnInvalidOpeningNotAPanic(world: World) -> None:
    """A path whose sums pass 2^256 is not the claim's path: refused with
    ScoreClaimsInvalidOpening (not a 0x11 panic), as the Python twin says."""
    comp, a, _b = started(world)
    claim = post(comp, "ivan", a, inflated(comp, a, 0))
    siblings, sums = claim.tree.opening(0)
    approve(world, "grace", CHALLENGE_BOND)
    fn = claim.challenge_fn(0, siblingSums=[2**256 - 1, sums[1]])
    assert not claim.tree.opens(0, claim.tree.leaves[0], siblings, [2**256 - 1, sums[1]])
    error = refused(comp, ScoreClaimsInvalidOpening, fn, sender="grace")
    assert (error.claimId, error.chunkIndex) == (claim.claim_id, 0)


def test_challenge_ofAChunkTheCompetitionCannotScore_voidsTheClaim(world: World) -> None:
    """A committed test chunk whose row count is wrong can never be scored on chain
    (``evaluate`` reverts CompetitionChunkRowsMismatch for every model, so on-chain
    evaluation completes nobody and the competition defaults). Were a challenge to revert
    the same way, any leaf claimed for that chunk would be unchallengeable and a creator's
    accomplice could claim any score there; so a challenge of such a chunk voids the claim."""
    test_set = TestSet(samples=250, chunk_size=100)
    test_set.chunks[1] = mock_chunk(99, 1)  # the creator committed 99 rows for 100
    test_set.tree = MerkleTree(
        [chunk_leaf(test_set.salt, i, c) for i, c in enumerate(test_set.chunks)]
    )
    comp, a, _b = started(world, test_set=test_set)
    with pytest.raises(CompetitionChunkRowsMismatch):
        comp.evaluate(1, [a])
    claim = post(comp, "alice", a, [[80], [10**30], [40]])  # an absurd score on chunk 1
    approve(world, "grace", CHALLENGE_BOND)
    assert world.chain.call(claim.challenge_fn(1), sender="grace") is True
    claim.challenge(1)
    assert claim.status() == VOIDED


@pytest.mark.parametrize(
    "chunk", [mock_chunk(100, 1, short=True), b"\x01" * 40], ids=["too few values", "refused"]
)
def test_challenge_ofAChunkTheEvaluatorCannotScore_voidsTheClaim(
    world: World, chunk: bytes
) -> None:
    """The evaluator refusing the committed chunk, or giving no value for the model, also
    leaves it unscorable by ``evaluate``: a claim of it is voided, not unchallengeable."""
    test_set = TestSet(samples=250, chunk_size=100)
    test_set.chunks[1] = chunk
    test_set.tree = MerkleTree(
        [chunk_leaf(test_set.salt, i, c) for i, c in enumerate(test_set.chunks)]
    )
    comp, a, _b = started(world, test_set=test_set)
    claim = post(comp, "alice", a, [[80], [90], [40]])
    receipt = claim.challenge(1)
    assert len(events(world.claims, "ClaimVoided", receipt)) == 1
    assert claim.status() == VOIDED


def test_challenge_starvedOfGas_neverVoidsAnHonestClaim(world: World) -> None:
    """A challenger who sends just too little gas for the evaluator call must not turn its
    out-of-gas failure into a voided claim: below the gas an honest challenge needs, every
    limit either fails outright or is a failed challenge (the mock evaluator is too cheap for
    ScoreClaimsOutOfGas to be reached; tests/market/test_optimistic.py shows it on the real one)."""
    comp, a, _b = started(world)
    honest = post(comp, "heidi", a)
    approve(world, "grace", CHALLENGE_BOND)
    fn = honest.challenge_fn(0)
    sender = world.chain.address("grace")
    needed = fn.estimate_gas({"from": sender})
    outcomes = set()
    for gas in range(needed - 40_000, needed + 1, 250):
        try:
            voided = fn.call({"from": sender, "gas": gas})
        except Exception as error:  # noqa: BLE001 - the kind of failure is what is recorded
            outcomes.add(
                "out of gas" if type(error).__name__ == "ScoreClaimsOutOfGas" else "reverted"
            )
        else:
            assert voided is False, f"an honest claim was voided with {gas} gas"
            outcomes.add("failed challenge")
    assert outcomes == {"reverted", "failed challenge"}


@pytest.mark.parametrize("chunks", [1, 2, 4, 5])
def test_claimTree_ofEveryDepth_opensOnEveryChunk(world: World, chunks: int) -> None:
    """Depth 0 (the root is the leaf), full trees and one padded to depth 3."""
    comp, a, _b = started(world, test_set=TestSet(samples=100 * chunks - 30, chunk_size=100))
    honest = post(comp, "heidi", a)
    assert honest.tree.depth == (chunks - 1).bit_length()
    assert claims_call(world, "claimOf", honest.claim_id)[6] == honest.tree.root
    for index in range(chunks):
        assert len(honest.opening(index)[2]) == honest.tree.depth
        receipt = honest.challenge(index, who="frank")
        assert len(events(world.claims, "ChallengeFailed", receipt)) == 1
    assert honest.status() == OPEN
    liar = post(comp, "ivan", a, inflated(comp, a, chunks - 1))
    liar.challenge(chunks - 1)
    assert liar.status() == VOIDED


def test_claimOfACopy_completesIt_butOnlyTheOriginalRanks(world: World) -> None:
    comp = optimistic(world)
    original = comp.commit("alice", ALICE_MODEL)
    copy = comp.commit("bob", ALICE_MODEL)  # the same bytes, committed later
    to_evaluation(comp, ("alice", original), ("bob", copy))
    claims = [post(comp, "heidi", copy), post(comp, "heidi", original)]
    world.chain.clock.advance_to(claims[-1].window_end())
    for claim in claims:
        claim.settle()
    assert [comp.call("submission", i)[4] for i in (original, copy)] == [210, 210]
    assert comp.call("ranking") == [original]
    assert comp.phase() == FINALIZED


# --- per-class and error metrics: the claimed score is the on-chain score --------------------


@pytest.mark.parametrize(
    ("classes", "metric"),
    [(2, ACCURACY), (0, SSE), (0, SAE), (3, BALANCED_ACCURACY), (3, MACRO_F1)],
    ids=["accuracy", "sse", "sae", "balanced_accuracy", "macro_f1"],
)
def test_claimedScore_equalsOnChainEvaluation_forEveryMetric(
    world: World, classes: int, metric: int
) -> None:
    when = deadlines(world)
    opt = optimistic(world, classes=classes, metric=metric, **when)
    onchain = world.create(classes=classes, metric=metric, **when)
    models = {"alice": ALICE_MODEL, "bob": mock_model(30, 100, 7)}
    ids = {}
    for comp in (opt, onchain):
        ids[comp.address] = [comp.commit(who, model) for who, model in models.items()]
    opt.to_reveal()
    for comp in (opt, onchain):
        for who, sub_id in zip(models, ids[comp.address], strict=True):
            comp.reveal(who, sub_id)
    opt.to_test_reveal()
    for comp in (opt, onchain):
        comp.reveal_test_set()
    width = 3 * classes + 1 if metric in (BALANCED_ACCURACY, MACRO_F1) else 1
    assert claims_call(world, "leafLength", opt.address) == width

    onchain.evaluate_all(ids[onchain.address])
    claims = [post(opt, "heidi", sub_id) for sub_id in ids[opt.address]]
    for claim in claims:
        assert len(claim.tree.leaves[0]) == width
        assert claims_call(world, "claimOf", claim.claim_id)[6] == claim.tree.root
    # The evaluator's per-class branch of a challenge: a right leaf stands ...
    claims[0].challenge(2)
    assert claims[0].status() == OPEN
    # ... and a wrong last word (the support, for the per-class metrics) voids the claim.
    wrong = true_leaves(opt, ids[opt.address][1])
    wrong[0][-1] += 1
    liar = post(opt, "ivan", ids[opt.address][1], wrong)
    liar.challenge(0)
    assert liar.status() == VOIDED

    world.chain.clock.advance_to(claims[-1].window_end())
    for claim in claims:
        claim.settle()
    scores = [onchain.call("submission", i)[4] for i in ids[onchain.address]]
    assert [opt.call("submission", i)[4] for i in ids[opt.address]] == scores
    assert [claims_call(world, "claimOf", c.claim_id)[7] for c in claims] == scores
    assert opt.call("ranking") == onchain.call("ranking")
    assert opt.phase() == onchain.phase() == FINALIZED


# --- settle ------------------------------------------------------------------------------------


def test_settle_inTheWindow_isRefused_afterIt_completesTheSubmission(world: World) -> None:
    comp, a, _b = started(world)
    claim = post(comp, "heidi", a)
    end = claim.window_end()
    settle = world.claims.functions.settle(claim.claim_id)
    error = refused(comp, ScoreClaimsWindowOpen, settle, sender="frank")
    assert (error.claimId, error.windowEnd) == (claim.claim_id, end)
    world.chain.clock.advance_to(end - 1)
    refused(comp, ScoreClaimsWindowOpen, settle, sender="frank")  # at windowEnd: still open
    world.chain.clock.advance_to(end)
    before = balances(comp)
    receipt = claim.settle()
    assert block_time(world, receipt) == end + 1
    (final,) = events(world.claims, "ClaimFinalized", receipt)
    assert dict(final["args"]) == {
        "claimId": claim.claim_id, "competition": comp.address, "id": a, "score": 210,
    }  # fmt: skip
    (completed,) = events(comp.contract, "SubmissionCompleted", receipt)
    assert dict(completed["args"]) == {"id": a, "score": 210}
    after = balances(comp)
    assert after["heidi"] == before["heidi"] + CLAIM_BOND
    assert after[world.claims.address] == before[world.claims.address] - CLAIM_BOND
    assert claim.status() == FINAL
    assert list(comp.call("submission", a)[1:5:3]) == [3, 210]  # every chunk counts as evaluated
    assert comp.call("completedCount") == 1
    assert comp.call("ranking") == [a]
    error = refused(comp, ScoreClaimsNotOpen, settle, sender="frank")
    assert error.status == FINAL


def test_settle_ranksAndPaysAsOnChainEvaluation_andEndsEvaluationEarly(world: World) -> None:
    when = deadlines(world)
    opt = optimistic(world, **when)
    onchain = world.create(**when)
    people = {"alice": ALICE_MODEL, "bob": BOB_MODEL, "dave": DAVE_MODEL}
    for comp in (opt, onchain):
        for who, model in people.items():
            comp.commit(who, model)
    opt.to_reveal()
    for comp in (opt, onchain):
        for sub_id, who in enumerate(people, start=1):
            comp.reveal(who, sub_id)
    opt.to_test_reveal()
    for comp in (opt, onchain):
        comp.reveal_test_set()
    onchain.evaluate_all([1, 2, 3])
    assert onchain.phase() == FINALIZED
    claims = [post(opt, "heidi", sub_id) for sub_id in (2, 3, 1)]  # completion order differs
    world.chain.clock.advance_to(claims[-1].window_end())
    for claim in claims[:2]:
        claim.settle()
    assert opt.phase() == EVALUATION  # alice is still unscored
    claims[2].settle()
    assert opt.phase() == FINALIZED  # every revealed final complete: no need to wait
    assert world.chain.clock.now() < opt.params["evaluationEnd"]
    assert opt.call("ranking") == onchain.call("ranking") == [3, 1, 2]
    assert opt.call("outcome") == onchain.call("outcome") == RANKED
    who = ("alice", "bob", "dave", "carol")
    assert claimables(opt, *who) == claimables(onchain, *who)
    assert claimables(opt, "dave")["dave"] == 600 * TOKEN


def test_settle_laterClaimFirst_isRefused_thenItCloses(world: World) -> None:
    comp, a, _b = started(world)
    first = post(comp, "heidi", a)
    later = post(comp, "ivan", a, inflated(comp, a, 1))
    world.chain.clock.advance_to(later.window_end())
    error = refused(comp, ScoreClaimsNotFirst, world.claims.functions.settle(later.claim_id),
                    sender="frank")  # fmt: skip
    assert (error.claimId, error.earlier) == (later.claim_id, first.claim_id)
    first.settle()
    before = balances(comp)
    receipt = later.settle()
    assert [e["args"]["claimId"] for e in events(world.claims, "ClaimClosed", receipt)] == [
        later.claim_id
    ]
    assert events(comp.contract, "SubmissionCompleted", receipt) == []
    assert balances(comp)["ivan"] == before["ivan"] + CLAIM_BOND  # closed: bond back
    assert later.status() == CLOSED
    assert comp.call("submission", a)[4] == 210  # the first claim's score


def test_settle_afterTheEarlierClaimWasVoided_theLaterBecomesFinal(world: World) -> None:
    comp, a, _b = started(world)
    liar = post(comp, "ivan", a, inflated(comp, a, 2))
    another = post(comp, "ivan", a, inflated(comp, a, 0))
    honest = post(comp, "heidi", a)
    liar.challenge(2)
    another.challenge(0)
    world.chain.clock.advance_to(honest.window_end())
    honest.settle()
    assert honest.status() == FINAL
    assert comp.call("submission", a)[4] == 210
    assert [liar.status(), another.status()] == [VOIDED, VOIDED]


def test_settle_ofASubmissionCompletedOnChainMeanwhile_closesTheClaim(world: World) -> None:
    comp, a, b = started(world)
    claim = post(comp, "ivan", a, inflated(comp, a, 0))  # wrong, but nobody needs it any more
    comp.evaluate_all([a])
    assert comp.phase() == EVALUATION
    world.chain.clock.advance_to(claim.window_end())
    before = balances(comp)
    receipt = claim.settle()
    assert len(events(world.claims, "ClaimClosed", receipt)) == 1
    assert claim.status() == CLOSED
    assert balances(comp)["ivan"] == before["ivan"] + CLAIM_BOND
    assert comp.call("submission", a)[4] == 210  # the on-chain score stays


def test_settle_afterTheEvaluationDeadline_closesTheClaim(world: World) -> None:
    comp, a, b = started(world)
    claim = post(comp, "heidi", a)
    comp.evaluate_all([b])
    comp.to_evaluation_end()
    assert comp.phase() == FINALIZED
    claim.settle()
    assert claim.status() == CLOSED
    assert comp.call("ranking") == [b]  # a claim left unsettled never counts
    assert comp.call("submission", a)[1] == 0


def test_settle_nothingCompletedByTheDeadline_theClaimClosesAndTheCreatorDefaults(
    world: World,
) -> None:
    comp, a, _b = started(world)
    claim = post(comp, "heidi", a)
    comp.to_evaluation_end()
    assert comp.phase() == DEFAULT_EVALUATION
    claim.settle()
    assert claim.status() == CLOSED


def test_evaluate_ofASubmissionCompletedByClaim_isRefused(world: World) -> None:
    comp, a, b = started(world)
    comp.evaluate(0, [b])  # a chunk already scored keeps its own error
    claim = post(comp, "heidi", a)
    claim_b = post(comp, "heidi", b)
    world.chain.clock.advance_to(claim_b.window_end())
    claim.settle()
    for index in range(3):
        before = state(comp)
        with pytest.raises(CompetitionAlreadyCompleted) as caught:
            comp.evaluate(index, [a])
        assert caught.value.id == a
        assert state(comp) == before
    with pytest.raises(CompetitionAlreadyCompleted):
        comp.evaluate(1, [b, a])  # one completed id refuses the batch
    comp.evaluate(1, [b])
    assert comp.call("submission", a)[4] == 210


def test_completeByClaim_fromAnyOtherAccount_isRefused(world: World) -> None:
    comp, a, _b = started(world)
    for who in ("alice", "carol", "deployer"):
        error = refused(comp, CompetitionNotScoreClaims, comp.fn.completeByClaim(a, 10**9),
                        sender=who)  # fmt: skip
        assert error.caller == world.chain.address(who)
    onchain = world.create()
    error = refused(onchain, CompetitionNotScoreClaims, onchain.fn.completeByClaim(1, 1),
                    sender="alice")  # fmt: skip
    assert comp.call("submission", a)[1] == 0


# --- adversarial ---------------------------------------------------------------------------------


def test_adversary_inflatedClaimIsVoided_honestClaimSurvivesEveryChallenge(world: World) -> None:
    when = deadlines(world)
    opt = optimistic(world, **when)
    onchain = world.create(**when)
    people = {"alice": ALICE_MODEL, "ivan": mock_model(60, 60, 30)}  # ivan's true total: 150
    for comp in (opt, onchain):
        for who, model in people.items():
            comp.commit(who, model)
    opt.to_reveal()
    for comp in (opt, onchain):
        comp.reveal("alice", 1)
        comp.reveal("ivan", 2)
    opt.to_test_reveal()
    for comp in (opt, onchain):
        comp.reveal_test_set()
    onchain.evaluate_all([1, 2])
    start = balances(opt)

    attack = post(opt, "ivan", 2, inflated(opt, 2, 1, by=100))  # claims 250: would win
    assert claims_call(world, "claimOf", attack.claim_id)[7] == 250
    honest = post(opt, "heidi", 2)
    honest_alice = post(opt, "heidi", 1)
    # The watcher finds the wrong chunk in the posted leaves and takes the attacker's bond.
    (posted,) = events(world.claims, "ClaimPosted", attack.receipt)
    watcher_tree = SumTree(2, [[v] for v in posted["args"]["leaves"]])
    wrong = [i for i, leaf in enumerate(watcher_tree.leaves) if leaf != true_leaves(opt, 2)[i]]
    assert wrong == [1]
    attack.challenge(1, who="grace")
    # A griefer challenges every chunk of the honest claims: each challenge fails.
    for claim in (honest, honest_alice):
        for index in range(3):
            receipt = claim.challenge(index, who="frank")
            assert len(events(world.claims, "ChallengeFailed", receipt)) == 1
            assert claim.status() == OPEN
    world.chain.clock.advance_to(honest_alice.window_end())
    error = refused(opt, ScoreClaimsNotOpen, world.claims.functions.settle(attack.claim_id),
                    sender="frank")  # fmt: skip
    assert error.status == VOIDED
    honest.settle()
    honest_alice.settle()

    end = balances(opt)
    assert end["ivan"] == start["ivan"] - CLAIM_BOND
    assert end["grace"] == start["grace"] + REWARD
    assert end["frank"] == start["frank"] - 6 * CHALLENGE_BOND
    assert end["heidi"] == start["heidi"]  # both bonds back
    assert end[SINK] == start[SINK] + BURNED + 6 * CHALLENGE_BOND
    assert end[world.claims.address] == start[world.claims.address] == 0
    assert opt.call("ranking") == onchain.call("ranking") == [1, 2]
    assert [opt.call("submission", i)[4] for i in (1, 2)] == [
        onchain.call("submission", i)[4] for i in (1, 2)
    ] == [210, 150]  # fmt: skip
    assert opt.phase() == FINALIZED
    assert claimables(opt, "alice", "ivan", "carol") == claimables(
        onchain, "alice", "ivan", "carol"
    )


def test_tokens_areConservedAcrossAnOptimisticLifecycle(world: World) -> None:
    start = world.balances(world.claims.address, SINK)
    comp = optimistic(world, entryStake=3 * TOKEN, creatorBond=20 * TOKEN, payoutBps=[7000, 3000])
    for who, model in (("alice", ALICE_MODEL), ("bob", BOB_MODEL), ("dave", DAVE_MODEL)):
        comp.commit(who, model)
    comp.commit("erin", mock_model(1))  # never revealed: its stake joins the prize
    to_evaluation(comp, ("alice", 1), ("bob", 2), ("dave", 3))
    liar = post(comp, "ivan", 3, inflated(comp, 3, 0))
    claims = [post(comp, "heidi", sub_id) for sub_id in (1, 2, 3)]
    liar.challenge(0, who="grace")
    claims[0].challenge(1, who="frank")
    comp.evaluate_all([2])  # bob is scored on chain too: its claim closes
    world.chain.clock.advance_to(claims[-1].window_end())
    for claim in claims:
        claim.settle()
    assert [c.status() for c in claims] == [FINAL, CLOSED, FINAL]
    assert comp.phase() == FINALIZED
    for who in ("alice", "bob", "dave", "carol"):
        if comp.call("claimable", world.chain.address(who)):
            comp.send("claim", sender=who)
    end = world.balances(comp.address, world.claims.address, SINK)
    assert sum(end.values()) == sum(start.values())
    assert end[comp.address] == 0 and end[world.claims.address] == 0
    assert end[SINK] == start[SINK] + BURNED + CHALLENGE_BOND
    assert comp.call("ranking") == [3, 1]


# --- the factory's window against the claims' deadline ----------------------------------------


def test_factory_anyWindowItAccepts_leavesTimeToClaimAfterATestRevealAtItsDeadline(
    world: World,
) -> None:
    """The longest window the factory accepts still lets a claim be posted right after a
    test reveal in the TestReveal phase's last second (the factory keeps ScoreClaims' settle
    margin), and the claim can be settled before the deadline."""
    comp = optimistic(world, challengeWindow=20_000 - 601)
    a = comp.commit("alice", ALICE_MODEL)
    comp.to_reveal()
    comp.reveal("alice", a)
    approve(world, "heidi", CLAIM_BOND)
    world.chain.clock.advance_to(comp.params["testRevealEnd"] - 2)
    receipt = comp.reveal_test_set()  # in the TestReveal phase's last second
    assert block_time(world, receipt) == comp.params["testRevealEnd"] - 1
    claim = post(comp, "heidi", a, approve_bond=False)  # at testRevealEnd
    assert claim.window_end() == comp.params["evaluationEnd"] - 601
    world.chain.clock.advance_to(claim.window_end())
    claim.settle()
    assert claim.status() == FINAL
