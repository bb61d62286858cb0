"""Competition on the real EVM: the full lifecycle, payouts, and every way to cheat or misstep."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from mlmarket.chain import TX_GAS_CAP
from mlmarket.contracts.errors import (
    CompetitionAlreadyClaimed,
    CompetitionAlreadyFinalized,
    CompetitionAlreadyRevealed,
    CompetitionChunkAlreadyEvaluated,
    CompetitionChunkOutOfRange,
    CompetitionChunkRowsMismatch,
    CompetitionCommitmentMismatch,
    CompetitionCreatorCannotCommit,
    CompetitionEvaluatorResultMismatch,
    CompetitionInvalidBatch,
    CompetitionInvalidChunkProof,
    CompetitionModelMismatch,
    CompetitionModelTooLarge,
    CompetitionNotCreator,
    CompetitionNothingToClaim,
    CompetitionNotInPhase,
    CompetitionNotRevealed,
    CompetitionSubmissionCapReached,
    CompetitionUnknownSubmission,
    ERC20InsufficientAllowance,
)
from tests.contracts.test_competition_kit import (
    DEFAULT_EVALUATION,
    DEFAULTED,
    EVALUATION,
    FINALIZED,
    RANKED,
    RETURNED,
    REVEAL,
    SINK,
    SUBMISSION,
    TEST_REVEAL,
    TOKEN,
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

STAKE = 10 * TOKEN


def claim_all(comp: Competition, *who: str) -> dict[str, int]:
    """Claim for everyone with a payout; return what each received."""
    paid = {}
    for name in who:
        amount = comp.call("claimable", comp.chain.address(name))
        if amount:
            comp.send("claim", sender=name)
            paid[name] = amount
    return paid


# --- the whole lifecycle ---------------------------------------------------------------


def test_lifecycle_ranksPaysLicensesAndConservesTokens(world: World) -> None:
    reward = 1000 * TOKEN + 7  # odd units: rounding dust goes to the creator
    comp = world.create(reward=reward, entryStake=STAKE, payoutBps=[6000, 3000, 1000])
    assert comp.phase() == SUBMISSION
    before = world.balances(comp.address)
    # per chunk values (chunks of 100, 100, 50 rows); totals 210, 210, 250
    a = comp.commit("alice", mock_model(80, 90, 40))
    b = comp.commit("bob", mock_model(70, 95, 45))
    d = comp.commit("dave", mock_model(100, 100, 50))
    comp.commit("erin", mock_model(1, 1, 1))  # never revealed: its stake joins the prize
    assert (a, b, d) == (1, 2, 3)
    assert comp.balance() == reward + 4 * STAKE

    comp.to_reveal()
    assert comp.phase() == REVEAL
    for who, sub_id in (("alice", a), ("bob", b), ("dave", d)):
        receipt = comp.reveal(who, sub_id)
        (event,) = events(comp.contract, "SubmissionRevealed", receipt)
        assert event["args"]["modelBytes"] == comp.models[sub_id]
        assert event["args"]["modelHash"] == keccak(comp.models[sub_id])
    assert world.token.raw_balance_of("alice") == before["alice"]  # stake returned on reveal
    assert comp.call("submission", a)[3] == keccak(comp.models[a])  # only the hash is stored

    comp.to_test_reveal()
    assert comp.phase() == TEST_REVEAL
    comp.reveal_test_set()
    assert comp.phase() == EVALUATION  # evaluation starts at the test reveal
    comp.evaluate(0, [a, b, d])
    comp.evaluate(1, [d, a])
    comp.evaluate(1, [b])
    comp.evaluate(2, [b, d, a])
    assert comp.call("ranking") == [d, a, b]  # b ties a on 210; a committed first
    assert comp.phase() == FINALIZED  # every revealed model is scored: no need to wait

    receipt = comp.send("finalize", sender="frank")
    pool = reward + STAKE
    shares = [pool * bps // 10_000 for bps in (6000, 3000, 1000)]
    assert [e["args"]["amount"] for e in events(comp.contract, "PrizeAwarded", receipt)] == shares
    (licensed,) = events(comp.contract, "WinnerLicensed", receipt)
    assert licensed["args"]["licensee"] == world.chain.address("carol")
    assert comp.call("winner") == [d, world.chain.address("dave"), keccak(comp.models[d])]
    assert comp.call("licensee") == world.chain.address("carol")
    assert comp.call("outcome") == RANKED

    paid = claim_all(comp, "alice", "bob", "carol", "dave", "erin")
    assert paid == {
        "dave": shares[0],
        "alice": shares[1],
        "bob": shares[2],
        "carol": pool - sum(shares),
    }
    assert pool - sum(shares) > 0
    after = world.balances(comp.address)
    assert comp.balance() == 0
    assert sum(after.values()) == sum(before.values())
    assert after["erin"] == before["erin"] - STAKE
    assert after["carol"] == before["carol"] + pool - sum(shares)  # the reward left at creation


def test_regression_lowerErrorWins(world: World) -> None:
    comp = world.create(classes=0, payoutBps=[10_000])
    worse = comp.commit("alice", mock_model(50))
    better = comp.commit("bob", mock_model(40))
    comp.to_reveal()
    comp.reveal("alice", worse)
    comp.reveal("bob", better)
    comp.to_test_reveal()
    comp.reveal_test_set()
    comp.evaluate_all([worse, better])
    assert comp.call("metric") == 1  # SumOfSquaredErrors
    assert comp.call("ranking") == [better]
    assert claim_all(comp, "alice", "bob") == {"bob": 1000 * TOKEN}


def test_tie_goesToTheEarlierCommit_evenWhenItCompletesLater(world: World) -> None:
    comp = world.create(payoutBps=[7000, 3000])
    first = comp.commit("alice", mock_model(60))
    second = comp.commit("bob", mock_model(60, pad=1))  # other bytes, the same score
    comp.to_reveal()
    comp.reveal("bob", second)
    comp.reveal("alice", first)
    comp.to_test_reveal()
    comp.reveal_test_set()
    comp.evaluate_all([second])  # the later commit completes first
    comp.evaluate_all([first])
    assert comp.call("ranking") == [first, second]
    paid = claim_all(comp, "alice", "bob", "carol")
    assert paid == {"alice": 700 * TOKEN, "bob": 300 * TOKEN}


def test_fewerFinishersThanPlaces_unreachedSharesGoToTheCreator(world: World) -> None:
    comp = world.create(payoutBps=[5000, 3000, 2000])
    only = comp.commit("alice", mock_model(90))
    idle = comp.commit("bob", mock_model(95))
    comp.to_reveal()
    comp.reveal("alice", only)
    comp.reveal("bob", idle)
    comp.to_test_reveal()
    comp.reveal_test_set()
    comp.evaluate_all([only])
    comp.evaluate(0, [idle])  # bob is never fully evaluated: unranked
    assert comp.phase() == EVALUATION
    comp.to_evaluation_end()
    assert comp.phase() == FINALIZED
    paid = claim_all(comp, "alice", "bob", "carol")  # the first claim finalizes
    assert paid == {"alice": 500 * TOKEN, "carol": 500 * TOKEN}
    assert comp.balance() == 0
    with pytest.raises(CompetitionNothingToClaim, match="bob"):
        comp.send("claim", sender="bob")


def test_topKKeepsOnlyTheBest_asMoreComplete(world: World) -> None:
    comp = world.create(payoutBps=[5000, 5000])
    scores = [10, 40, 30, 40, 50]
    who = ["alice", "bob", "dave", "erin", "grace"]
    ids = [comp.commit(w, mock_model(s)) for w, s in zip(who, scores, strict=True)]
    comp.to_reveal()
    for w, i in zip(who, ids, strict=True):
        comp.reveal(w, i)
    comp.to_test_reveal()
    comp.reveal_test_set()
    for i in ids:
        comp.evaluate_all([i])
    assert comp.call("ranking") == [5, 2]  # 50 first, then the earlier of the two 40s
    comp.send("finalize", sender="alice")
    assert claim_all(comp, *who, "carol") == {"grace": 500 * TOKEN, "bob": 500 * TOKEN}


# --- commit -----------------------------------------------------------------------------


def test_creatorCannotCommit(world: World) -> None:
    comp = world.create()
    with pytest.raises(CompetitionCreatorCannotCommit, match="carol .* cannot take part"):
        comp.commit("carol", mock_model(1))


def test_perAddressCap(world: World) -> None:
    comp = world.create(maxSubmissionsPerAddress=2)
    comp.commit("alice", mock_model(1))
    comp.commit("alice", mock_model(2))
    with pytest.raises(CompetitionSubmissionCapReached, match="alice .* already made 2") as caught:
        comp.commit("alice", mock_model(3))
    assert caught.value.cap == 2
    comp.commit("bob", mock_model(3))  # the cap is per address
    assert comp.call("submissionsOf", world.chain.address("alice")) == [2, 0]


def test_commit_pullsTheStake_andNeedsTheAllowance(world: World) -> None:
    comp = world.create(entryStake=STAKE)
    with pytest.raises(ERC20InsufficientAllowance):
        comp.send("commit", b"\x01" * 32, sender="alice")
    comp.commit("alice", mock_model(1))
    assert comp.balance() == 1000 * TOKEN + STAKE


def test_commit_afterTheDeadline_namesBothPhases(world: World) -> None:
    comp = world.create()
    world.chain.clock.advance_to(comp.params["submissionEnd"] - 1)
    with pytest.raises(CompetitionNotInPhase, match="needs phase 0 but .* phase 1") as caught:
        comp.commit("alice", mock_model(1))
    assert (caught.value.expected, caught.value.actual) == (SUBMISSION, REVEAL)


# --- reveal -----------------------------------------------------------------------------


def test_copiedCommitment_cannotBeRevealedByTheCopier(world: World) -> None:
    comp = world.create()
    original = comp.commit("alice", mock_model(99))
    copied_commitment = comp.call("submission", original)[3]
    comp.send("commit", copied_commitment, sender="bob")
    copy_id = comp.call("submissionCount")
    comp.to_reveal()
    model, salt = comp.models[original], comp.salts[original]
    with pytest.raises(CompetitionCommitmentMismatch, match="bob .* do not match .* submission 2"):
        comp.send("reveal", copy_id, model, salt, "", sender="bob")
    with pytest.raises(CompetitionCommitmentMismatch):  # nor can bob reveal alice's submission
        comp.send("reveal", original, model, salt, "", sender="bob")
    comp.reveal("alice", original)


def test_wrongSalt_isRejected(world: World) -> None:
    comp = world.create()
    sub_id = comp.commit("alice", mock_model(5))
    comp.to_reveal()
    with pytest.raises(CompetitionCommitmentMismatch, match="submission 1"):
        comp.send("reveal", sub_id, comp.models[sub_id], b"\x00" * 32, "", sender="alice")


def test_revealTwice_isRejected(world: World) -> None:
    comp = world.create()
    sub_id = comp.commit("alice", mock_model(5))
    comp.to_reveal()
    comp.reveal("alice", sub_id)
    with pytest.raises(CompetitionAlreadyRevealed, match="already revealed"):
        comp.reveal("alice", sub_id)


def test_revealAfterTheDeadline_isRejected(world: World) -> None:
    comp = world.create()
    sub_id = comp.commit("alice", mock_model(5))
    comp.commit("bob", mock_model(6))
    comp.to_reveal()
    comp.reveal("bob", 2)
    comp.to_test_reveal()
    with pytest.raises(CompetitionNotInPhase) as caught:
        comp.reveal("alice", sub_id)
    assert (caught.value.expected, caught.value.actual) == (REVEAL, TEST_REVEAL)


def test_revealBeforeTheSubmissionEnd_isRejected(world: World) -> None:
    comp = world.create()
    sub_id = comp.commit("alice", mock_model(5))
    with pytest.raises(CompetitionNotInPhase, match="needs phase 1 but .* phase 0"):
        comp.reveal("alice", sub_id)


def test_tooLargeModel_isRejected_andItsStakeIsForfeited(world: World) -> None:
    comp = world.create(maxModelSize=100, entryStake=STAKE, payoutBps=[10_000])
    big = comp.commit("alice", mock_model(99, pad=100 - 64 + 1))  # 101 bytes
    fits = comp.commit("bob", mock_model(50, pad=100 - 64))  # exactly 100 bytes
    comp.to_reveal()
    with pytest.raises(CompetitionModelTooLarge, match="101 bytes, above .* 100 bytes") as caught:
        comp.reveal("alice", big)
    assert caught.value.size == 101
    comp.reveal("bob", fits)
    comp.to_test_reveal()
    comp.reveal_test_set()
    comp.evaluate_all([fits])
    assert claim_all(comp, "alice", "bob", "carol") == {"bob": 1000 * TOKEN + STAKE}


def test_unknownSubmission_isNamed(world: World) -> None:
    comp = world.create()
    comp.commit("alice", mock_model(5))
    comp.to_reveal()
    for bad in (0, 2):
        with pytest.raises(CompetitionUnknownSubmission, match=f"no submission {bad}"):
            comp.send("reveal", bad, b"", b"\x00" * 32, "", sender="alice")
    with pytest.raises(CompetitionUnknownSubmission):
        comp.call("submission", 7)


# --- test reveal ------------------------------------------------------------------------


def test_onlyTheCreatorRevealsTheTestSet_onlyOnce_onlyInItsPhase(world: World) -> None:
    comp = world.create()
    sub_id = comp.commit("alice", mock_model(5))
    comp.to_reveal()
    with pytest.raises(CompetitionNotInPhase, match="needs phase 2 but .* phase 1"):
        comp.reveal_test_set()
    comp.reveal("alice", sub_id)
    comp.to_test_reveal()
    with pytest.raises(CompetitionNotCreator, match="alice .* is not the creator"):
        comp.send("revealTestSet", comp.test_set.salt, "", sender="alice")
    receipt = comp.reveal_test_set("bafytest")
    (event,) = events(comp.contract, "TestSetRevealed", receipt)
    assert event["args"]["testSalt"] == comp.test_set.salt
    assert comp.call("testDataCid") == "bafytest"
    with pytest.raises(CompetitionNotInPhase) as caught:
        comp.reveal_test_set()
    assert (caught.value.expected, caught.value.actual) == (TEST_REVEAL, EVALUATION)


# --- evaluation -------------------------------------------------------------------------


@pytest.fixture
def evaluating(world: World) -> Competition:
    """Alice (id 1) and bob (id 2) revealed, dave (id 3) did not; the test set is revealed."""
    comp = world.create()
    comp.commit("alice", mock_model(80, 90, 40))
    comp.commit("bob", mock_model(70, 95, 45))
    comp.commit("dave", mock_model(1))
    comp.to_reveal()
    comp.reveal("alice", 1)
    comp.reveal("bob", 2)
    comp.to_test_reveal()
    comp.reveal_test_set()
    return comp


def test_evaluate_beforeTheTestReveal_isRejected(world: World) -> None:
    comp = world.create()
    comp.commit("alice", mock_model(1))
    comp.to_reveal()
    comp.reveal("alice", 1)
    comp.to_test_reveal()
    with pytest.raises(CompetitionNotInPhase, match="needs phase 3 but .* phase 2"):
        comp.evaluate(0, [1])


def test_forgedChunk_failsTheProof(evaluating: Competition) -> None:
    forged = mock_chunk(100, 0, pad=b"x")
    with pytest.raises(CompetitionInvalidChunkProof, match="Chunk 0 and its Merkle proof"):
        evaluating.evaluate(0, [1], chunk=forged)


def test_forgedProof_fails(evaluating: Competition) -> None:
    proof = evaluating.test_set.tree.proof(0)
    proof[0] = bytes(32)
    with pytest.raises(CompetitionInvalidChunkProof):
        evaluating.evaluate(0, [1], proof=proof)


def test_wrongChunkIndex_failsTheProof(evaluating: Competition) -> None:
    test_set = evaluating.test_set
    with pytest.raises(CompetitionInvalidChunkProof, match="Chunk 1"):
        evaluating.evaluate(1, [1], chunk=test_set.chunks[0], proof=test_set.tree.proof(0))


def test_chunkOutOfRange(evaluating: Competition) -> None:
    with pytest.raises(CompetitionChunkOutOfRange, match="no test chunk 3; .* 3 chunks"):
        evaluating.evaluate(3, [1], chunk=evaluating.test_set.chunks[0], proof=[])


def test_chunkEvaluatedTwice_isRejected_alsoWithinOneBatch(evaluating: Competition) -> None:
    evaluating.evaluate(0, [1])
    assert evaluating.call("isEvaluated", 1, 0)
    with pytest.raises(CompetitionChunkAlreadyEvaluated, match="Submission 1 .* chunk 0"):
        evaluating.evaluate(0, [2, 1])
    with pytest.raises(CompetitionChunkAlreadyEvaluated, match="Submission 2 .* chunk 1"):
        evaluating.evaluate(1, [2, 2])
    assert not evaluating.call("isEvaluated", 2, 0)  # the failed batch left no trace
    assert evaluating.call("submission", 1)[4] == 80


def test_wrongModelBytes_areRejected(evaluating: Competition) -> None:
    with pytest.raises(CompetitionModelMismatch, match="submission 2 are not the ones it revealed"):
        evaluating.evaluate(0, [1, 2], models=[evaluating.models[1], evaluating.models[1]])


def test_unrevealedOrUnknownSubmission_cannotBeEvaluated(evaluating: Competition) -> None:
    with pytest.raises(CompetitionNotRevealed, match="Submission 3 was never revealed"):
        evaluating.evaluate(0, [3])
    with pytest.raises(CompetitionUnknownSubmission, match="no submission 9"):
        evaluating.evaluate(0, [9], models=[b""])


def test_batchShape_isChecked(evaluating: Competition) -> None:
    with pytest.raises(CompetitionInvalidBatch, match="got 0 submission ids and 0 models"):
        evaluating.evaluate(0, [])
    with pytest.raises(CompetitionInvalidBatch, match="got 1 submission ids and 2 models"):
        evaluating.evaluate(0, [1], models=[evaluating.models[1]] * 2)


def test_rowsMustMatchTheChunk(world: World) -> None:
    test_set = TestSet(samples=250, chunk_size=100)
    test_set.chunks[2] = mock_chunk(100, 2)  # the last chunk must hold the 50 remaining rows
    test_set.tree = MerkleTree(
        [chunk_leaf(test_set.salt, i, c) for i, c in enumerate(test_set.chunks)]
    )
    comp = world.create(test_set=test_set)
    comp.commit("alice", mock_model(1))
    comp.to_reveal()
    comp.reveal("alice", 1)
    comp.to_test_reveal()
    comp.reveal_test_set()
    comp.evaluate(0, [1])
    with pytest.raises(
        CompetitionChunkRowsMismatch, match="read 100 rows from chunk 2, .* must hold 50"
    ):
        comp.evaluate(2, [1])


def test_faultyEvaluatorResult_isRejected(world: World) -> None:
    test_set = TestSet(samples=100, chunk_size=100)
    test_set.chunks[0] = mock_chunk(100, 0, short=True)  # the mock returns one value too few
    test_set.tree = MerkleTree([chunk_leaf(test_set.salt, 0, test_set.chunks[0])])
    comp = world.create(test_set=test_set)
    comp.commit("alice", mock_model(1))
    comp.to_reveal()
    comp.reveal("alice", 1)
    comp.to_test_reveal()
    comp.reveal_test_set()
    with pytest.raises(CompetitionEvaluatorResultMismatch, match="returned 0 scores for 1 models"):
        comp.evaluate(0, [1])


def test_evaluate_afterTheEvaluationEnd_isRejected(evaluating: Competition) -> None:
    evaluating.evaluate_all([1])  # something was scored: no default
    evaluating.to_evaluation_end()
    with pytest.raises(CompetitionNotInPhase) as caught:
        evaluating.evaluate(0, [1])
    assert (caught.value.expected, caught.value.actual) == (EVALUATION, FINALIZED)


# --- finalization and claims --------------------------------------------------------------


def test_finalize_tooEarly_twice_andClaimsOnce(evaluating: Competition) -> None:
    evaluating.evaluate_all([1])
    with pytest.raises(CompetitionNotInPhase, match="needs phase 5 but .* phase 3"):
        evaluating.send("finalize", sender="alice")
    with pytest.raises(CompetitionNotInPhase):
        evaluating.send("claim", sender="alice")
    evaluating.evaluate_all([2])
    evaluating.send("finalize", sender="alice")
    with pytest.raises(CompetitionAlreadyFinalized, match="already finalized"):
        evaluating.send("finalize", sender="alice")
    evaluating.send("claim", sender="alice")
    with pytest.raises(CompetitionAlreadyClaimed, match="alice .* already claimed"):
        evaluating.send("claim", sender="alice")
    with pytest.raises(CompetitionNothingToClaim, match="dave .* has no payout"):
        evaluating.send("claim", sender="dave")  # committed, never revealed
    with pytest.raises(CompetitionNothingToClaim):
        evaluating.send("claim", sender="ivan")  # never took part
    assert evaluating.call("hasClaimed", evaluating.chain.address("alice"))
    assert evaluating.call("claimable", evaluating.chain.address("alice")) == 0


# --- creator default ---------------------------------------------------------------------


def test_creatorDefault_saltNeverRevealed_scoresOnTraining_burnsBondAndUnearnedPlaces(
    world: World,
) -> None:
    reward, bond = 1000 * TOKEN + 2, 500 * TOKEN
    # 5 training chunks: a model scoring 5 per chunk totals 25, the baseline: not better.
    comp = world.create(reward=reward, creatorBond=bond, entryStake=STAKE, trainingBaseline=25)
    before = world.balances(comp.address, SINK)
    comp.commit("alice", mock_model(9))
    comp.commit("bob", mock_model(7))
    comp.commit("alice", mock_model(5))  # no better than the baseline
    comp.commit("dave", mock_model(4))  # never revealed: its stake joins the pool
    comp.to_reveal()
    comp.reveal("bob", 2)
    comp.reveal("alice", 3)
    comp.reveal("alice", 1)
    comp.to_test_reveal()
    assert comp.phase() == TEST_REVEAL
    world.chain.clock.advance_to(comp.params["testRevealEnd"])
    assert comp.phase() == DEFAULT_EVALUATION
    assert comp.call("defaultEvaluationEnd") == comp.params["evaluationEnd"]
    with pytest.raises(CompetitionNotInPhase):
        comp.reveal_test_set()
    comp.evaluate_all_training([1, 2])
    comp.evaluate_training(0, [3])
    assert comp.phase() == DEFAULT_EVALUATION  # until every revealed model is scored
    for index in range(1, len(comp.training.chunks)):
        comp.evaluate_training(index, [3])
    assert comp.phase() == FINALIZED
    chunks = len(comp.training.chunks)
    assert comp.call("trainingScore", 1) == [chunks, 9 * chunks]
    receipt = comp.send("finalize", sender="bob")
    pool = reward + STAKE
    first, second = pool * 6000 // 10_000, pool * 3000 // 10_000
    (event,) = events(comp.contract, "CompetitionFinalized", receipt)
    burned = pool - first - second + bond  # the third place: alice's model 5 scored 5*chunks
    assert event["args"]["outcome"] == DEFAULTED and event["args"]["burned"] == burned
    assert event["args"]["toCreator"] == 0
    assert [e["args"]["id"] for e in events(comp.contract, "PrizeAwarded", receipt)] == [1, 2]
    assert comp.call("licensee") == "0x" + "00" * 20  # a defaulting creator gets no licence
    paid = claim_all(comp, "alice", "bob", "carol", "dave")
    assert paid == {"alice": first, "bob": second}
    assert world.token.raw_balance_of(SINK) == burned
    assert comp.balance() == 0
    assert sum(world.balances(comp.address, SINK).values()) == sum(before.values())


def test_creatorDefault_nothingFullyEvaluated_opensADefaultWindowAfterTheEvaluation(
    evaluating: Competition,
) -> None:
    evaluating.evaluate(0, [1, 2])
    evaluating.to_evaluation_end()
    assert evaluating.phase() == DEFAULT_EVALUATION
    params = evaluating.params
    window = params["evaluationEnd"] - params["testRevealEnd"]
    assert evaluating.call("defaultEvaluationEnd") == params["evaluationEnd"] + window
    with pytest.raises(CompetitionInvalidChunkProof):  # test chunks no longer prove
        evaluating.evaluate(1, [1])
    evaluating.evaluate_all_training([1])  # model 2 is never scored on the training data
    evaluating.world.chain.clock.advance_to(params["evaluationEnd"] + window)
    evaluating.send("finalize", sender="frank")
    assert evaluating.call("outcome") == DEFAULTED
    assert evaluating.call("ranking") == [1]


def test_creatorDefault_nobodyBeatsTheBaseline_burnsEverything(world: World) -> None:
    comp = world.create(creatorBond=100 * TOKEN, trainingBaseline=10**6)
    comp.commit("alice", mock_model(3))
    comp.to_reveal()
    comp.reveal("alice", 1)
    world.chain.clock.advance_to(comp.params["testRevealEnd"])
    receipt = comp.evaluate_training(0, [1])
    for index in range(1, len(comp.training.chunks)):
        receipt = comp.evaluate_training(index, [1])
    (done,) = events(comp.contract, "SubmissionCompletedOnTraining", receipt)
    assert done["args"]["beatsBaseline"] is False
    comp.send("finalize", sender="alice")
    assert claim_all(comp, "alice", "carol") == {}
    assert world.token.raw_balance_of(SINK) == 1100 * TOKEN and comp.balance() == 0


def test_nothingRevealed_returnsEverythingToTheCreator_rightAfterTheRevealPhase(
    world: World,
) -> None:
    comp = world.create(entryStake=STAKE)
    comp.commit("alice", mock_model(1))
    comp.to_reveal()
    comp.to_test_reveal()
    assert comp.phase() == FINALIZED
    comp.send("finalize", sender="alice")
    assert comp.call("outcome") == RETURNED
    assert claim_all(comp, "alice", "carol") == {"carol": 1000 * TOKEN + STAKE}
    assert comp.balance() == 0


def test_noCommitAtAll_returnsTheReward(world: World) -> None:
    comp = world.create()
    comp.to_reveal()
    comp.to_test_reveal()
    assert comp.send("claim", sender="carol")
    assert comp.call("outcome") == RETURNED and comp.balance() == 0


# --- gas ----------------------------------------------------------------------------------


def test_largestAllowedReveal_fitsTheGasCap(world: World) -> None:
    limit = world.chain.call(world.implementation.functions.MAX_MODEL_SIZE_LIMIT())
    comp = world.create(maxModelSize=limit)
    model = mock_model(7, pad=limit - 64)
    sub_id = comp.commit("alice", model)
    comp.to_reveal()
    receipt = comp.reveal("alice", sub_id)
    floor = 21_000 + 10 * 4 * len(model)  # EIP-7623 calldata floor, every byte non-zero
    assert max(receipt["gasUsed"], floor) < TX_GAS_CAP
