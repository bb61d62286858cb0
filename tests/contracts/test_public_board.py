"""The public board on the real EVM: ScoreClaims.postPublicClaim / challenge / settle on the
public test chunks, Competition.disqualify and the test reveal waiting for the public window
(docs/competition-protocol.md, "Public board").

The public chunks are committed with a zero salt under ``publicRoot``, in the private
chunks' size: here 150 rows in chunks of 100 (2 chunks, MockEvaluator slots 50 and 51),
against a private test set of 250 rows (3 chunks, slots 0, 1, 2). A model ``n, v_1..v_n``
scores ``v[slot % n]`` on a chunk, so every public and private leaf is known exactly. During
the Submission phase a member of a submission's entrant posts a bonded claim of its leaves
(one per submission); once the model is revealed anyone challenges one public chunk until
the private test set is revealed; a wrong leaf voids the claim and disqualifies the
submission. The wall clock is frozen (each transaction one second after the last block), and
a refused call mines nothing and moves no token.
"""

from __future__ import annotations

from typing import Any

import pytest

from mlmarket.contracts.errors import (
    CompetitionFactoryInvalidPublicBoard,
    CompetitionFactoryNoScoreClaims,
    CompetitionNotScoreClaims,
    CompetitionPublicChecksOpen,
    CompetitionUnknownSubmission,
    ERC20InsufficientAllowance,
    ScoreClaimsInvalidChunk,
    ScoreClaimsInvalidLeaves,
    ScoreClaimsInvalidOpening,
    ScoreClaimsModelMismatch,
    ScoreClaimsNoPublicBoard,
    ScoreClaimsNotEntrant,
    ScoreClaimsNotInSubmission,
    ScoreClaimsNotOpen,
    ScoreClaimsNotOptimistic,
    ScoreClaimsNotRevealed,
    ScoreClaimsPublicClaimExists,
    ScoreClaimsWindowClosed,
    ScoreClaimsWindowOpen,
)
from mlmarket.ml.claims import SumTree
from tests.contracts.test_competition_kit import (
    DEFAULT_EVALUATION,
    EVALUATION,
    FINALIZED,
    PARAM_FIELDS,
    RANKED,
    REVEAL,
    SINK,
    SUBMISSION,
    TEST_REVEAL,
    TOKEN,
    ZERO_SALT,
    Competition,
    MerkleTree,
    TestSet,
    World,
    chunk_leaf,
    events,
    mock_chunk,
    mock_model,
    world_fixture,  # noqa: F401 - the `world` fixture
)
from tests.contracts.test_data_market import freeze_wall_clock
from tests.contracts.test_score_claims import (
    Posted,
    approve,
    balances,
    block_time,
    claims_call,
    mined,
    model_values,
    refused,
)
from tests.contracts.test_teams import form, propose

WINDOW = 3600  # the public window: the shortest allowed
PUBLIC_BOND = 20 * TOKEN
CHALLENGE_BOND = 5 * TOKEN
BURNED = PUBLIC_BOND * 2000 // 10_000  # the sink's share of a voided claim's bond
_NONE, OPEN, VOIDED, FINAL, CLOSED = range(5)  # IScoreClaims.ClaimStatus
ZERO = "0x" + "00" * 20
# Public slots 50, 51 -> value index 2, 0 of a 3-value model; private slots 0, 1, 2.
ALICE_MODEL = mock_model(80, 90, 40)  # public [40] [80]: 120; private 80 + 90 + 40 = 210
BOB_MODEL = mock_model(70, 95, 45)  # public [45] [70]: 115; private 210 (ranks after alice)
DAVE_MODEL = mock_model(100, 100, 50)  # public [50] [100]: 150; private 250, the best


@pytest.fixture(autouse=True)
def _frozen_wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    freeze_wall_clock(monkeypatch)


# --- helpers (shared with the stateful test) ----------------------------------------------------


def public_set(samples: int = 150, chunk_size: int = 100) -> TestSet:
    """Public chunks: zero salt, slots from 50 (the private set's start at 0, training's at 100)."""
    return TestSet(samples=samples, chunk_size=chunk_size, salt=ZERO_SALT, first_slot=50)


def board_params(world: World, public: TestSet, **overrides: Any) -> dict[str, Any]:
    """Deadlines with room for the public window (revealEnd + window < testRevealEnd), the
    public board's parameters, and ``overrides``."""
    now = world.chain.clock.now()
    values: dict[str, Any] = {
        "submissionEnd": now + 1000,
        "revealEnd": now + 2000,
        "testRevealEnd": now + 2000 + WINDOW + 1000,
        "evaluationEnd": now + 2000 + WINDOW + 5000,
        "publicRoot": public.root,
        "publicSamples": public.samples,
        "publicWindow": WINDOW,
        "publicClaimBond": PUBLIC_BOND,
        "challengeBond": CHALLENGE_BOND,
    }
    values.update(overrides)
    return values


def board(world: World, public: TestSet | None = None, **overrides: Any) -> Competition:
    """A competition with a public board (on-chain private evaluation unless overridden)."""
    public = public or public_set()
    comp = world.create(**board_params(world, public, **overrides))
    comp.public = public  # type: ignore[attr-defined]
    return comp


def leaves_on(chunks: list[bytes], model: bytes) -> list[list[int]]:
    """A model's MockEvaluator leaf on each chunk (Accuracy: one word)."""
    values = model_values(model)
    return [[values[int.from_bytes(c[32:64], "big") % len(values)]] for c in chunks]


def public_leaves(comp: Competition, sub_id: int) -> list[list[int]]:
    return leaves_on(comp.public.chunks, comp.models[sub_id])  # type: ignore[attr-defined]


class Public(Posted):
    """A posted public claim and its tree: opened on the public chunks."""

    def chunk_set(self) -> TestSet:
        return self.comp.public  # type: ignore[attr-defined]

    def claim(self) -> list[Any]:
        return list(claims_call(self.world, "claimOf", self.claim_id))

    def settle_fn(self) -> Any:
        return self.world.claims.functions.settle(self.claim_id)

    def settle(self, who: str = "frank") -> Any:
        return self.world.chain.transact(self.settle_fn(), sender=who)


def post_fn(comp: Competition, sub_id: int, leaves: list[list[int]]) -> Any:
    flat = [v for leaf in leaves for v in leaf]
    return comp.world.claims.functions.postPublicClaim(comp.address, sub_id, flat)


def post_public(
    comp: Competition, who: str, sub_id: int, leaves: list[list[int]] | None = None
) -> Public:
    """``who`` claims submission ``sub_id``'s public leaves (its true ones unless given)."""
    world = comp.world
    leaves = public_leaves(comp, sub_id) if leaves is None else leaves
    approve(world, who, comp.params["publicClaimBond"])
    receipt = world.chain.transact(post_fn(comp, sub_id, leaves), sender=who)
    (event,) = events(world.claims, "PublicClaimPosted", receipt)
    return Public(comp, event["args"]["claimId"], SumTree(sub_id, leaves), receipt)


def to_checks(comp: Competition, *reveals: tuple[str, int]) -> None:
    """Reveal ``(who, id)`` pairs: the Reveal phase, where public claims can be checked."""
    comp.to_reveal()
    for who, sub_id in reveals:
        comp.reveal(who, sub_id)


def opens_at(comp: Competition) -> int:
    return comp.params["revealEnd"] + comp.params["publicWindow"]


def to_private_reveal(comp: Competition) -> Any:
    """Wait out the public window and reveal the private test set."""
    comp.chain.clock.advance_to(opens_at(comp) - 1)
    receipt = comp.reveal_test_set()
    assert comp.phase() == EVALUATION
    return receipt


# --- the factory's checks --------------------------------------------------------------------


INVALID_BOARDS = {
    "no public rows": {"publicSamples": 0},
    "no bond": {"publicClaimBond": 0},
    "window under an hour": {"publicWindow": WINDOW - 1},
    "window reaching the test-reveal deadline": {"publicWindow": WINDOW + 1000},
    "window past the test-reveal deadline": {"publicWindow": WINDOW + 1001},
    "no root, some rows": {"publicRoot": bytes(32), "publicWindow": 0, "publicClaimBond": 0},
    "no root, a window": {"publicRoot": bytes(32), "publicSamples": 0, "publicClaimBond": 0},
    "no root, a bond": {"publicRoot": bytes(32), "publicSamples": 0, "publicWindow": 0},
}


@pytest.mark.parametrize("overrides", INVALID_BOARDS.values(), ids=INVALID_BOARDS.keys())
def test_create_refusesAnInvalidPublicBoard(world: World, overrides: dict[str, Any]) -> None:
    public = public_set()
    params = board_params(world, public, **overrides)
    block, carol = mined(world), world.token.raw_balance_of("carol")
    with pytest.raises(CompetitionFactoryInvalidPublicBoard) as caught:
        world.create(**params)
    got = caught.value
    assert (got.publicSamples, got.publicWindow, got.publicClaimBond) == (
        params["publicSamples"], params["publicWindow"], params["publicClaimBond"],
    )  # fmt: skip
    assert mined(world) == block + 1  # the approve only
    assert world.token.raw_balance_of("carol") == carol
    assert world.chain.call(world.factory.functions.competitionCount()) == 0


def test_create_acceptsTheBoundaries_andGivesAnOnChainBoardTheScoreClaims(world: World) -> None:
    longest = board(world, publicWindow=WINDOW + 999)  # ends a second before testRevealEnd
    assert opens_at(longest) == longest.params["testRevealEnd"] - 1
    comp = board(world)  # challengeWindow 0: private evaluation stays on chain
    assert comp.call("scoreClaims") == world.claims.address
    params = comp.call("params")
    for name in ("publicRoot", "publicSamples", "publicWindow", "publicClaimBond"):
        assert params[PARAM_FIELDS.index(name)] == comp.params[name]
    assert world.create().call("scoreClaims") == ZERO  # neither board nor claims: none


def test_create_publicBoardWithoutScoreClaims_isRefused(world: World) -> None:
    world.chain.transact(world.factory.functions.setScoreClaims(ZERO), sender="deployer")
    block = mined(world)
    with pytest.raises(CompetitionFactoryNoScoreClaims):
        board(world)
    assert mined(world) == block + 1


# --- posting -------------------------------------------------------------------------------------


def test_postPublicClaim_buildsTheTree_locksTheBond_andLogsTheLeaves(world: World) -> None:
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    before = balances(comp)
    claim = post_public(comp, "alice", a)
    assert claim.tree.leaves == [[40], [80]]
    (event,) = events(world.claims, "PublicClaimPosted", claim.receipt)
    assert dict(event["args"]) == {
        "claimId": 1,
        "competition": comp.address,
        "id": a,
        "claimer": world.chain.address("alice"),
        "root": claim.tree.root,
        "score": 120,
        "bond": PUBLIC_BOND,
        "leaves": [40, 80],
    }
    assert events(world.claims, "ClaimPosted", claim.receipt) == []
    after = balances(comp)
    assert after["alice"] == before["alice"] - PUBLIC_BOND
    assert after[world.claims.address] == before[world.claims.address] + PUBLIC_BOND
    assert claim.claim() == [
        comp.address, comp.params["testRevealEnd"], world.chain.address("alice"), OPEN, True, a,
        claim.tree.root, 120, PUBLIC_BOND,
    ]  # fmt: skip
    assert claims_call(world, "publicClaimOf", comp.address, a) == 1
    assert claims_call(world, "publicClaimOf", comp.address, 2) == 0
    assert claims_call(world, "claimsFor", comp.address, a) == []  # private claims only
    assert claims_call(world, "claimCount") == 1
    assert comp.phase() == SUBMISSION


def test_postPublicClaim_onePerSubmission_evenByAnotherMember(world: World) -> None:
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    post_public(comp, "alice", a)
    approve(world, "alice", PUBLIC_BOND)
    error = refused(comp, ScoreClaimsPublicClaimExists, post_fn(comp, a, [[40], [80]]),
                    sender="alice")  # fmt: skip
    assert (error.id, error.claimId) == (a, 1)
    a2 = comp.commit("alice", ALICE_MODEL)  # another submission gets its own
    assert post_public(comp, "alice", a2).claim_id == 2


def test_postPublicClaim_onlyByAMemberOfTheSubmissionsEntrant(world: World) -> None:
    """A stranger cannot post (and so spend the one claim) for someone else's submission."""
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    approve(world, "grace", PUBLIC_BOND)
    fn = post_fn(comp, a, [[100], [50]])
    error = refused(comp, ScoreClaimsNotEntrant, fn, sender="grace")
    assert (error.id, error.caller) == (a, world.chain.address("grace"))
    refused(comp, ScoreClaimsNotEntrant, fn, sender="carol")  # nor the creator
    post_public(comp, "alice", a)


def test_postPublicClaim_outsideTheSubmissionPhase_isRefused(world: World) -> None:
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    comp.to_reveal()
    approve(world, "alice", PUBLIC_BOND)
    error = refused(comp, ScoreClaimsNotInSubmission, post_fn(comp, a, [[40], [80]]),
                    sender="alice")  # fmt: skip
    assert error.actual == REVEAL


def test_postPublicClaim_withTheWrongShape_orNoBoard_orUnknownId_isRefused(world: World) -> None:
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    approve(world, "alice", PUBLIC_BOND)
    # The private set's three leaves are not the public set's two.
    private = leaves_on(comp.test_set.chunks, ALICE_MODEL)
    error = refused(comp, ScoreClaimsInvalidLeaves, post_fn(comp, a, private), sender="alice")
    assert (error.expected, error.actual) == (2, 3)
    refused(comp, CompetitionUnknownSubmission, post_fn(comp, 2, [[1], [1]]), sender="alice")
    plain = world.create()  # no public board, no score claims
    p = plain.commit("alice", ALICE_MODEL)
    fn = post_fn(plain, p, [[1], [1]])
    assert refused(comp, ScoreClaimsNotOptimistic, fn, sender="alice").competition == (
        plain.address
    )
    optimistic = world.create(
        challengeWindow=WINDOW, claimBond=50 * TOKEN, challengeBond=CHALLENGE_BOND,
        evaluationEnd=world.chain.clock.now() + 20_000,
    )  # fmt: skip
    o = optimistic.commit("alice", ALICE_MODEL)
    fn = post_fn(optimistic, o, [[1], [1]])
    assert refused(comp, ScoreClaimsNoPublicBoard, fn, sender="alice").competition == (
        optimistic.address
    )


def test_postPublicClaim_withoutApproval_isRefused(world: World) -> None:
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    error = refused(comp, ERC20InsufficientAllowance, post_fn(comp, a, [[40], [80]]),
                    sender="alice")  # fmt: skip
    assert (error.spender, error.needed) == (world.claims.address, PUBLIC_BOND)
    assert claims_call(world, "publicClaimOf", comp.address, a) == 0


# --- challenges --------------------------------------------------------------------------------


def test_challenge_ofAWrongLeaf_voidsTheClaim_disqualifies_andPaysTheChallenger(
    world: World,
) -> None:
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    claim = post_public(comp, "alice", a, [[40], [85]])  # chunk 1 inflated by 5
    to_checks(comp, ("alice", a))
    approve(world, "grace", CHALLENGE_BOND)
    before = balances(comp)
    assert world.chain.call(claim.challenge_fn(1), sender="grace") is True
    receipt = world.chain.transact(claim.challenge_fn(1), sender="grace")
    (voided,) = events(world.claims, "ClaimVoided", receipt)
    assert dict(voided["args"]) == {
        "claimId": claim.claim_id,
        "challenger": world.chain.address("grace"),
        "chunkIndex": 1,
        "reward": PUBLIC_BOND - BURNED,
        "burned": BURNED,
    }
    (dq,) = events(comp.contract, "SubmissionDisqualified", receipt)
    assert dq["args"]["id"] == a
    after = balances(comp)
    assert after["grace"] == before["grace"] + PUBLIC_BOND - BURNED  # and its bond back
    assert after[SINK] == before[SINK] + BURNED
    assert after[world.claims.address] == before[world.claims.address] - PUBLIC_BOND
    assert after["alice"] == before["alice"]
    assert claim.status() == VOIDED
    assert comp.call("isDisqualified", a) is True
    refused(comp, ScoreClaimsNotOpen, claim.settle_fn(), sender="frank")


def test_challenge_ofARightLeaf_burnsTheChallengeBond(world: World) -> None:
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    claim = post_public(comp, "alice", a)
    to_checks(comp, ("alice", a))
    before = balances(comp)
    for index in (0, 1):
        receipt = claim.challenge(index)
        (failed,) = events(world.claims, "ChallengeFailed", receipt)
        assert dict(failed["args"]) == {
            "claimId": claim.claim_id,
            "challenger": world.chain.address("grace"),
            "chunkIndex": index,
            "forfeited": CHALLENGE_BOND,
        }
        assert events(comp.contract, "SubmissionDisqualified", receipt) == []
    after = balances(comp)
    assert after["grace"] == before["grace"] - 2 * CHALLENGE_BOND
    assert after[SINK] == before[SINK] + 2 * CHALLENGE_BOND
    assert claim.status() == OPEN
    assert comp.call("isDisqualified", a) is False


def test_challenge_onlyOnceRevealed_andUntilThePrivateTestReveal(world: World) -> None:
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    b = comp.commit("bob", BOB_MODEL)
    wrong_a = post_public(comp, "alice", a, [[41], [80]])
    wrong_b = post_public(comp, "bob", b, [[46], [70]])
    approve(world, "grace", 2 * CHALLENGE_BOND)
    end = comp.params["testRevealEnd"]
    # Submission phase: the model is hidden, checks are not open.
    error = refused(comp, ScoreClaimsWindowClosed, wrong_a.challenge_fn(0), sender="grace")
    assert (error.claimId, error.windowEnd) == (wrong_a.claim_id, end)
    comp.to_reveal()
    # Reveal phase, not yet revealed: the hash is a commitment, no bytes open it.
    error = refused(comp, ScoreClaimsNotRevealed, wrong_a.challenge_fn(0), sender="grace")
    assert error.id == a
    comp.reveal("alice", a)
    comp.reveal("bob", b)
    wrong_a.challenge(0)
    assert wrong_a.status() == VOIDED
    comp.to_test_reveal()
    assert comp.phase() == TEST_REVEAL  # still open: the private set waits for the window
    comp.chain.clock.advance_to(opens_at(comp) - 1)
    comp.reveal_test_set()
    error = refused(comp, ScoreClaimsWindowClosed, wrong_b.challenge_fn(0), sender="grace")
    assert error.claimId == wrong_b.claim_id
    assert comp.call("isDisqualified", b) is False


def test_challenge_inTheTestRevealPhase_untilTheCreatorRevealsOrDefaults(world: World) -> None:
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    claim = post_public(comp, "alice", a, [[40], [81]])
    to_checks(comp, ("alice", a))
    comp.chain.clock.advance_to(comp.params["testRevealEnd"] - 3)
    assert comp.phase() == TEST_REVEAL
    receipt = claim.challenge(1)  # the approve at testRevealEnd - 2, the challenge a second later
    assert block_time(world, receipt) == comp.params["testRevealEnd"] - 1
    assert claim.status() == VOIDED
    assert comp.call("isDisqualified", a) is True


def test_challenge_afterTheCreatorDefaulted_isRefused(world: World) -> None:
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    claim = post_public(comp, "alice", a, [[40], [81]])
    to_checks(comp, ("alice", a))
    approve(world, "grace", CHALLENGE_BOND)
    comp.chain.clock.advance_to(comp.params["testRevealEnd"])
    assert comp.phase() == DEFAULT_EVALUATION
    refused(comp, ScoreClaimsWindowClosed, claim.challenge_fn(1), sender="grace")


def test_challenge_withAnotherModel_orAMalformedPath_isRefused(world: World) -> None:
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    comp.commit("bob", BOB_MODEL)
    claim = post_public(comp, "alice", a, [[40], [81]])
    to_checks(comp, ("alice", a), ("bob", 2))
    approve(world, "grace", CHALLENGE_BOND)
    error = refused(comp, ScoreClaimsModelMismatch, claim.challenge_fn(1, model=BOB_MODEL),
                    sender="grace")  # fmt: skip
    assert error.id == a
    siblings, sums = claim.tree.opening(1)
    for changes in (
        {"siblingSums": [sums[0] + 1]},
        {"leaf": [80]},  # the true value is not what was claimed: no path leads there
        {"chunkIndex": 2, "leaf": [0]},  # padding, past the public chunks
        {"siblings": [*siblings, siblings[0]], "siblingSums": [*sums, 0]},
    ):
        refused(comp, ScoreClaimsInvalidOpening, claim.challenge_fn(1, **changes), sender="grace")
    assert claim.status() == OPEN


# --- ranking, settling and the test reveal ---------------------------------------------------


def test_disqualifiedSubmission_neverRanks_evenWithTheBestPrivateScore(world: World) -> None:
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    b = comp.commit("bob", BOB_MODEL)
    d = comp.commit("dave", DAVE_MODEL)  # the best private score, 250
    post_public(comp, "alice", a)
    post_public(comp, "bob", b)
    liar = post_public(comp, "dave", d, [[50], [101]])
    to_checks(comp, ("alice", a), ("bob", b), ("dave", d))
    liar.challenge(1)
    to_private_reveal(comp)
    comp.evaluate_all([a, b, d])
    assert comp.call("submission", d)[4] == 250  # scored, but out of the ranking
    assert comp.phase() == FINALIZED
    assert comp.call("outcome") == RANKED
    assert comp.call("ranking") == [a, b]
    reward = comp.params["reward"]
    due = {w: comp.call("claimable", world.chain.address(w)) for w in ("alice", "bob", "dave")}
    assert due == {"alice": reward * 6000 // 10_000, "bob": reward * 3000 // 10_000, "dave": 0}
    assert comp.call("claimable", world.chain.address("carol")) == reward * 1000 // 10_000


def test_disqualifiedSubmission_forfeitsItsStakesStanding_evenAboveTheThreshold(
    world: World,
) -> None:
    # Performance stakes: 2 tokens each, half slashed below a private score of 200.
    stake = 2 * 10**18
    comp = board(world, entryStake=stake, slashBps=5000, stakeThreshold=200)
    a = comp.commit("alice", ALICE_MODEL)  # 210: above
    b = comp.commit("bob", mock_model(10, 10, 10))  # 30: below
    d = comp.commit("dave", DAVE_MODEL)  # 250, but its public claim is false
    post_public(comp, "alice", a)
    post_public(comp, "bob", b)
    liar = post_public(comp, "dave", d, [[50], [101]])
    to_checks(comp, ("alice", a), ("bob", b), ("dave", d))
    liar.challenge(1)
    assert comp.call("isDisqualified", d)
    to_private_reveal(comp)
    comp.evaluate_all([a, b, d])
    assert comp.call("outcome") == RANKED
    # dave's 250 beats the threshold, yet its stake is slashed like bob's; alice alone
    # shares the two slashes.
    slash = stake // 2
    assert [comp.call("stakeOf", i) for i in (a, b, d)] == [stake + 2 * slash, stake - slash,
                                                           stake - slash]  # fmt: skip


def test_settle_returnsTheBondOfARevealedModel_andBurnsAnUnrevealedOnes(world: World) -> None:
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    b = comp.commit("bob", BOB_MODEL)
    honest = post_public(comp, "alice", a)
    hidden = post_public(comp, "bob", b, [[100], [100]])  # inflated, and never revealed
    for step in (comp.to_reveal, lambda: comp.reveal("alice", a), comp.to_test_reveal):
        step()
        for claim in (honest, hidden):
            error = refused(comp, ScoreClaimsWindowOpen, claim.settle_fn(), sender="frank")
            end = comp.params["testRevealEnd"]
            assert (error.claimId, error.windowEnd) == (claim.claim_id, end)
    to_private_reveal(comp)
    before = balances(comp)
    receipt = honest.settle()
    (final,) = events(world.claims, "ClaimFinalized", receipt)
    assert dict(final["args"]) == {
        "claimId": honest.claim_id, "competition": comp.address, "id": a, "score": 120,
    }  # fmt: skip
    receipt = hidden.settle()
    (forfeited,) = events(world.claims, "PublicClaimForfeited", receipt)
    assert dict(forfeited["args"]) == {"claimId": hidden.claim_id, "burned": PUBLIC_BOND}
    after = balances(comp)
    assert after["alice"] == before["alice"] + PUBLIC_BOND
    assert after["bob"] == before["bob"]
    assert after[SINK] == before[SINK] + PUBLIC_BOND
    assert after[world.claims.address] == before[world.claims.address] - 2 * PUBLIC_BOND == 0
    assert (honest.status(), hidden.status()) == (FINAL, VOIDED)
    assert comp.call("isDisqualified", b) is False  # unrevealed: it cannot rank anyway
    for claim in (honest, hidden):
        refused(comp, ScoreClaimsNotOpen, claim.settle_fn(), sender="frank")


def test_settle_afterACreatorDefault_orWhenNothingWasRevealed(world: World) -> None:
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    claim = post_public(comp, "alice", a)
    to_checks(comp, ("alice", a))
    comp.chain.clock.advance_to(comp.params["testRevealEnd"])
    assert comp.phase() == DEFAULT_EVALUATION
    claim.settle()
    assert claim.status() == FINAL
    # Nothing revealed: the competition is over at the reveal deadline, the bond forfeited.
    empty = board(world)
    e = empty.commit("bob", BOB_MODEL)
    lost = post_public(empty, "bob", e)
    empty.to_test_reveal()
    assert empty.phase() == FINALIZED
    before = balances(empty)
    lost.settle()
    assert balances(empty)[SINK] == before[SINK] + PUBLIC_BOND
    assert lost.status() == VOIDED


def test_revealTestSet_waitsForThePublicWindow(world: World) -> None:
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    to_checks(comp, ("alice", a))
    comp.chain.clock.advance_to(opens_at(comp) - 2)
    fn = comp.fn.revealTestSet(comp.test_set.salt, "cid")
    error = refused(comp, CompetitionPublicChecksOpen, fn, sender="carol")  # at opensAt - 1
    assert error.opensAt == opens_at(comp)
    assert comp.phase() == TEST_REVEAL
    comp.chain.clock.advance_to(opens_at(comp) - 1)
    receipt = comp.reveal_test_set()  # at opensAt
    assert block_time(world, receipt) == opens_at(comp)
    assert comp.phase() == EVALUATION


def test_disqualify_onlyByTheScoreClaims(world: World) -> None:
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    for who in ("alice", "carol", "deployer"):
        error = refused(comp, CompetitionNotScoreClaims, comp.fn.disqualify(a), sender=who)
        assert error.caller == world.chain.address(who)
    plain = world.create()
    refused(plain, CompetitionNotScoreClaims, plain.fn.disqualify(1), sender="alice")
    assert comp.call("isDisqualified", a) is False


# --- adversarial ---------------------------------------------------------------------------------


def test_adversary_claimingThePrivateChunks_isVoidedOnAPublicChunk(world: World) -> None:
    """With as many public chunks as private ones, leaves of the private set have the right
    shape; a challenge on the public chunk they misstate voids them."""
    comp = board(world, public=public_set(samples=250))  # 3 public chunks (100, 100, 50)
    a = comp.commit("alice", ALICE_MODEL)
    private = leaves_on(comp.test_set.chunks, ALICE_MODEL)  # [80], [90], [40]
    assert public_leaves(comp, a) == [[40], [80], [90]]
    claim = post_public(comp, "alice", a, private)
    to_checks(comp, ("alice", a))
    claim.challenge(2)
    assert claim.status() == VOIDED
    assert comp.call("isDisqualified", a) is True


def test_adversary_challengingWithAPrivateOrTrainingChunk_isRefused(world: World) -> None:
    comp = board(world, public=public_set(samples=250))
    a = comp.commit("alice", ALICE_MODEL)
    claim = post_public(comp, "alice", a)  # honest
    to_checks(comp, ("alice", a))
    approve(world, "grace", CHALLENGE_BOND)
    for chunks, tree in (
        (comp.test_set.chunks, comp.test_set.tree),
        (comp.training.chunks, comp.training.tree),
    ):
        fn = claim.challenge_fn(1, chunk=chunks[1], chunkProof=tree.proof(1))
        assert refused(comp, ScoreClaimsInvalidChunk, fn, sender="grace").chunkIndex == 1
    # A public chunk's bytes under the private salt are not a public leaf either.
    forged = MerkleTree(
        [chunk_leaf(comp.test_set.salt, i, c) for i, c in enumerate(comp.public.chunks)]
    )
    fn = claim.challenge_fn(1, chunkProof=forged.proof(1))
    refused(comp, ScoreClaimsInvalidChunk, fn, sender="grace")
    assert claim.status() == OPEN


def test_adversary_replayingAnOpeningOfAnotherClaim_isRefused(world: World) -> None:
    """Two submissions claim the same leaves: each leaf hash binds its submission id, so one
    claim's opening (with the other's model) leads nowhere in the other's tree."""
    comp = board(world)
    a = comp.commit("alice", ALICE_MODEL)
    b = comp.commit("bob", ALICE_MODEL)  # the same bytes and leaves
    wrong = [[40], [81]]
    first = post_public(comp, "alice", a, wrong)
    second = post_public(comp, "bob", b, wrong)
    assert first.tree.root != second.tree.root
    to_checks(comp, ("alice", a), ("bob", b))
    first.challenge(1)
    approve(world, "grace", CHALLENGE_BOND)
    replay = world.claims.functions.challenge(second.claim_id, first.opening(1))
    error = refused(comp, ScoreClaimsInvalidOpening, replay, sender="grace")
    assert (error.claimId, error.chunkIndex) == (second.claim_id, 1)
    assert second.status() == OPEN
    assert comp.call("isDisqualified", b) is False


def test_adversary_replayingAPrivateClaimsOpening_onThePublicClaim_isRefused(
    world: World,
) -> None:
    """An optimistic competition with a public board, 3 chunks in each set: a private claim and a
    public claim of the same submission with the same leaves have the same tree; the private
    opening leads to the public root, but its chunk is not a public chunk."""
    comp = board(
        world, public=public_set(samples=250), challengeWindow=WINDOW, claimBond=50 * TOKEN,
        evaluationEnd=world.chain.clock.now() + 40_000,
    )  # fmt: skip
    a = comp.commit("alice", ALICE_MODEL)
    private = leaves_on(comp.test_set.chunks, ALICE_MODEL)
    public = post_public(comp, "alice", a, private)  # wrong on the public set
    to_checks(comp, ("alice", a))
    approve(world, "grace", CHALLENGE_BOND)
    # The private claim's opening of chunk 0: the same leaf and path, a private chunk.
    fn = public.challenge_fn(0, chunk=comp.test_set.chunks[0],
                             chunkProof=comp.test_set.tree.proof(0))  # fmt: skip
    refused(comp, ScoreClaimsInvalidChunk, fn, sender="grace")
    public.challenge(0)  # with the public chunk it is voided
    assert public.status() == VOIDED
    assert comp.call("isDisqualified", a) is True


def test_adversary_teamMemberFrontRunning_takesTheTeamsOneClaim(world: World) -> None:
    """A team's claim is any member's: bob front-runs alice with an inflated claim of the
    team's submission, which then voids and disqualifies it; a proposed but unformed
    teammate could not have posted at all."""
    comp = board(world, multiplePlaces=False)
    team = form(comp, ["alice", "bob"])
    pending = propose(comp, ["grace", "dave"])  # grace proposed, dave never accepted
    sub_id = comp.commit("alice", ALICE_MODEL, entrant=team)
    d = comp.commit("dave", DAVE_MODEL)
    approve(world, "grace", PUBLIC_BOND)
    refused(comp, ScoreClaimsNotEntrant, post_fn(comp, d, [[50], [100]]), sender="grace")
    assert comp.call("entrantOf", world.chain.address("grace")) == world.chain.address("grace")
    assert comp.call("teamOf", pending)[3] is False
    inflated = post_public(comp, "bob", sub_id, [[40], [99]])  # first in the block order
    approve(world, "alice", PUBLIC_BOND)
    error = refused(comp, ScoreClaimsPublicClaimExists, post_fn(comp, sub_id, [[40], [80]]),
                    sender="alice")  # fmt: skip
    assert error.claimId == inflated.claim_id
    assert inflated.claim()[2] == world.chain.address("bob")
    to_checks(comp, ("alice", sub_id), ("dave", d))
    inflated.challenge(1)
    assert comp.call("isDisqualified", sub_id) is True


def test_adversary_inflatedClaimNeverRevealed_costsItsBond(world: World) -> None:
    """Showing a top public score without ever revealing the model: nobody can check it before
    the deadline (no bytes open a commitment), and the bond goes to the sink."""
    comp = board(world, entryStake=3 * TOKEN)
    start = balances(comp)
    a = comp.commit("alice", ALICE_MODEL)
    h = comp.commit("heidi", mock_model(1))
    boast = post_public(comp, "heidi", h, [[100], [50]])  # the most the public rows allow
    assert boast.claim()[7] == 150
    to_checks(comp, ("alice", a))
    approve(world, "grace", CHALLENGE_BOND)
    # Not even with the bytes heidi committed to: the contract only knows her commitment.
    error = refused(comp, ScoreClaimsNotRevealed, boast.challenge_fn(1), sender="grace")
    assert error.id == h
    to_private_reveal(comp)
    boast.settle()
    comp.evaluate_all([a])
    assert comp.phase() == FINALIZED
    end = balances(comp)
    # The bond burned, the stake left in the pool.
    assert end["heidi"] == start["heidi"] - PUBLIC_BOND - 3 * TOKEN
    assert end[SINK] == start[SINK] + PUBLIC_BOND
    assert boast.status() == VOIDED


def test_adversary_selfChallengeOfAWrongClaim_costsTheSinksShare(world: World) -> None:
    """Voiding one's own wrong claim before someone else does still costs a fifth of the bond
    (and the submission)."""
    comp = board(world)
    start = balances(comp)
    a = comp.commit("alice", ALICE_MODEL)
    claim = post_public(comp, "alice", a, [[41], [80]])
    to_checks(comp, ("alice", a))
    claim.challenge(0, who="alice")
    end = balances(comp)
    assert end["alice"] == start["alice"] - BURNED
    assert comp.call("isDisqualified", a) is True


def test_unscorablePublicChunk_voidsAnyClaimOfIt(world: World) -> None:
    """A committed public chunk that cannot be scored on chain (a wrong row count) has no
    right leaf: any claim of it is voided, and its submission disqualified. Participants must
    check the public chunks against ``publicRoot`` before posting (docs: trust model)."""
    public = public_set()
    public.chunks[1] = mock_chunk(49, 51)  # 50 rows committed as 49
    public.tree = MerkleTree([chunk_leaf(ZERO_SALT, i, c) for i, c in enumerate(public.chunks)])
    comp = board(world, public=public)
    a = comp.commit("alice", ALICE_MODEL)
    claim = post_public(comp, "alice", a)  # the mock's values, as if the chunk were right
    to_checks(comp, ("alice", a))
    approve(world, "grace", CHALLENGE_BOND)
    assert world.chain.call(claim.challenge_fn(1), sender="grace") is True
    claim.challenge(1)
    assert claim.status() == VOIDED
    assert comp.call("isDisqualified", a) is True
