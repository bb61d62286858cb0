"""Attacks on a competition's money and ranking, each sent as raw contract calls.

Every test here is an attack that worked against an earlier protocol (sorted-pair
test-set proofs; a default split among revealed submissions) or a boundary of the
positional tree, and now fails for the attacker. Each runs on eth-tester, revm and anvil.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlmarket.chain import connect
from mlmarket.contracts.errors import CompetitionInvalidChunkProof, CompetitionNotInPhase
from tests.chain.conftest import anvil_path, check_revm
from tests.conftest import require_tool
from tests.contracts.test_competition import claim_all
from tests.contracts.test_competition_kit import (
    DEFAULT_EVALUATION,
    DEFAULTED,
    FINALIZED,
    RANKED,
    REVEAL,
    SINK,
    SUBMISSION,
    TOKEN,
    Competition,
    MerkleTree,
    TestSet,
    World,
    chunk_leaf,
    make_world,
    mock_chunk,
    mock_model,
)
from tests.contracts.test_data_market import freeze_wall_clock

BACKENDS = ["eth-tester", "revm", "anvil"]
SYBILS = ("erin", "grace", "heidi", "ivan")  # addresses the creator (carol) controls


@pytest.fixture(scope="module")
def _worlds() -> Iterator[dict[str, World]]:
    worlds: dict[str, World] = {}
    yield worlds
    for world in worlds.values():
        world.chain.close()


@pytest.fixture(params=BACKENDS)
def world(
    request: pytest.FixtureRequest, _worlds: dict[str, World], monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    """One deployed stack per backend for the module; each test runs in a rollback."""
    if request.param == "anvil":
        require_tool(anvil_path(), "anvil (npm @foundry-rs/anvil in contracts/)")
    if request.param == "revm":
        check_revm()
    if request.param not in _worlds:
        _worlds[request.param] = make_world(connect(request.param))
    built = _worlds[request.param]
    freeze_wall_clock(monkeypatch)
    with built.chain.rollback():
        yield built


def finish(comp: Competition, *who: str) -> dict[str, int]:
    """Finalize (if needed) and claim for everyone with a payout; what each received."""
    if not comp.call("finalized"):
        comp.send("finalize", sender="frank")
    return claim_all(comp, *who)


def evaluating_one_model(world: World, test: TestSet) -> Competition:
    """A competition on ``test`` in its evaluation phase: alice's model (id 1) scores 9."""
    comp = world.create(test_set=test)
    comp.commit("alice", mock_model(9))
    comp.to_reveal()
    comp.reveal("alice", 1)
    comp.to_test_reveal()
    comp.reveal_test_set()
    return comp


# --- one test chunk per index ---------------------------------------------------------


def test_doubleLeafAttack_theDoctoredChunkNeverScores(world: World) -> None:
    """A root over the real chunk 0 and a doctored chunk 0 (relabelled against alice).

    Under sorted pairs the creator scored alice on the copy (4 instead of 10) and
    its puppet on the real chunk (8), and the puppet won. Positionally each index
    has one leaf: the doctored leaf proves at no position, so both models are
    scored on the same real chunk.
    """
    real = TestSet(samples=30, chunk_size=10)  # slots 0, 1, 2
    doctored = mock_chunk(10, 5)  # alice's model scores 4 on slot 5, 10 on slot 0
    leaves = [
        chunk_leaf(real.salt, 0, real.chunks[0]),
        chunk_leaf(real.salt, 1, real.chunks[1]),
        chunk_leaf(real.salt, 0, doctored),  # a second leaf for index 0, at position 2
    ]
    attack = MerkleTree(leaves)
    comp = world.create(test_set=real, testRoot=attack.root)
    comp.commit("alice", mock_model(10, 10, 10, 10, 10, 4))
    comp.commit("erin", mock_model(8))  # the creator's puppet
    comp.to_reveal()
    comp.reveal("alice", 1)
    comp.reveal("erin", 2)
    comp.to_test_reveal()
    comp.reveal_test_set()
    for position in range(3):
        with pytest.raises(CompetitionInvalidChunkProof):
            comp.evaluate(0, [1], chunk=doctored, proof=attack.proof(position), sender="carol")
    with pytest.raises(CompetitionInvalidChunkProof):
        comp.evaluate(2, [1], chunk=doctored, proof=attack.proof(2), sender="carol")
    comp.evaluate(0, [1, 2], chunk=real.chunks[0], proof=attack.proof(0), sender="carol")
    assert comp.call("submission", 1)[-1] == 10 and comp.call("submission", 2)[-1] == 8


def test_rootOverTooManyLeaves_provesNothing_soTheCreatorDefaults(world: World) -> None:
    """Three leaves under a two-chunk commitment: every proof has the wrong length."""
    real = TestSet(samples=20, chunk_size=10)  # two chunks: depth 1
    extra = chunk_leaf(real.salt, 0, mock_chunk(10, 5))
    attack = MerkleTree([*real.tree.levels[0][:2], extra])  # depth 2
    comp = world.create(test_set=real, testRoot=attack.root)
    comp.commit("alice", mock_model(9))
    comp.to_reveal()
    comp.reveal("alice", 1)
    comp.to_test_reveal()
    comp.reveal_test_set()
    for index in range(2):
        with pytest.raises(CompetitionInvalidChunkProof):
            comp.evaluate(index, [1], proof=attack.proof(index))
    world.chain.clock.advance_to(comp.params["evaluationEnd"])
    assert comp.phase() == DEFAULT_EVALUATION  # scored on the public training data instead


def test_proofForOneIndex_isRefusedAtAnother(world: World) -> None:
    test = TestSet(samples=40, chunk_size=10)
    comp = evaluating_one_model(world, test)
    for i, j in ((0, 1), (1, 0), (2, 3), (3, 1)):
        with pytest.raises(CompetitionInvalidChunkProof):  # chunk i, its proof, at index j
            comp.evaluate(j, [1], chunk=test.chunks[i], proof=test.tree.proof(i))
        with pytest.raises(CompetitionInvalidChunkProof):  # chunk j at j with i's proof
            comp.evaluate(j, [1], proof=test.tree.proof(i))
    comp.evaluate(2, [1])  # and the right triple still scores


def test_proofOfTheWrongLength_isRefused(world: World) -> None:
    test = TestSet(samples=30, chunk_size=10)  # depth 2
    comp = evaluating_one_model(world, test)
    proof = test.tree.proof(1)
    for bad in (proof[:1], [], [*proof, bytes(32)], [*proof, proof[0]]):
        with pytest.raises(CompetitionInvalidChunkProof):
            comp.evaluate(1, [1], proof=bad)
    comp.evaluate(1, [1], proof=proof)


@pytest.mark.parametrize("chunks", [1, 2, 4, 5, 8, 9])
def test_everyChunkCount_provesEveryChunk_andOnlyAtItsDepth(world: World, chunks: int) -> None:
    """One chunk (depth 0, empty proof: the breast-cancer case), 2^k and 2^k + 1 chunks."""
    test = TestSet(samples=chunks * 10 - 3, chunk_size=10)  # the last chunk holds 7 rows
    comp = evaluating_one_model(world, test)
    depth = (chunks - 1).bit_length()
    assert all(len(test.tree.proof(i)) == depth for i in range(chunks))
    with pytest.raises(CompetitionInvalidChunkProof):  # one level too many
        comp.evaluate(0, [1], proof=[*test.tree.proof(0), bytes(32)])
    for index in range(chunks):
        comp.evaluate(index, [1])
    assert comp.phase() == FINALIZED and comp.call("ranking") == [1]
    assert comp.call("submission", 1)[-1] == 9 * chunks


# --- a default sybils cannot milk ---------------------------------------------------------


def default_with_sybils(world: World, *, reveal_test_set: bool) -> tuple[Competition, dict]:
    """Two honest models and 18 junk submissions from the creator's other addresses.

    Under the old rule (pool split per revealed submission) the sybils took 90 of the
    100 reward tokens on default. Returns the competition, finished, and what each got.
    """
    reward = 100 * TOKEN
    comp = world.create(
        reward=reward, creatorBond=reward, payoutBps=[10_000], trainingBaseline=5 * 3
    )  # 3 training chunks; the baseline scores 5 per chunk
    owners = {comp.commit("alice", mock_model(9)): "alice"}
    owners[comp.commit("bob", mock_model(7))] = "bob"
    for n in range(18):
        who = SYBILS[n % len(SYBILS)]
        owners[comp.commit(who, mock_model(0, pad=n))] = who  # one-of-a-kind junk
    comp.to_reveal()
    for sub_id, who in owners.items():
        comp.reveal(who, sub_id)
    comp.to_test_reveal()
    if reveal_test_set:
        comp.reveal_test_set()
        comp.evaluate_all(list(range(1, 21)))
    else:
        world.chain.clock.advance_to(comp.params["testRevealEnd"])
        comp.evaluate_all_training(list(range(1, 21)))
    return comp, finish(comp, "alice", "bob", "carol", *SYBILS)


def test_sybilJunkUnderDefault_earnsNothing_andTheCreatorLosesItsBond(world: World) -> None:
    sink_before = world.token.raw_balance_of(SINK)
    comp, paid = default_with_sybils(world, reveal_test_set=False)
    assert comp.call("outcome") == DEFAULTED
    assert comp.call("ranking") == [1]
    assert paid == {"alice": 100 * TOKEN}  # no sybil, no creator
    assert world.token.raw_balance_of(SINK) - sink_before == 100 * TOKEN  # the bond
    assert comp.balance() == 0


def test_creatorEnteringThroughOtherAddresses_endsWithLessByDefaulting(world: World) -> None:
    """Creator + sybils: revealing the test set returns the bond; defaulting burns it."""
    controlled = ("carol", *SYBILS)
    with world.chain.rollback():
        before = world.balances()
        _, paid_default = default_with_sybils(world, reveal_test_set=False)
        after_default = world.balances()
    _, paid_reveal = default_with_sybils(world, reveal_test_set=True)
    after_reveal = world.balances()
    assert paid_reveal == {"alice": 100 * TOKEN, "carol": 100 * TOKEN}
    assert paid_default == {"alice": 100 * TOKEN}
    gain_default = sum(after_default[w] - before[w] for w in controlled)
    gain_reveal = sum(after_reveal[w] - before[w] for w in controlled)
    assert gain_default == -200 * TOKEN and gain_reveal == -100 * TOKEN


@pytest.mark.parametrize("reveal_test_set", [True, False])
def test_copyOfAModel_ranksOnlyAtItsFirstCommit(world: World, reveal_test_set: bool) -> None:
    """The same model bytes under another address (its own salt) never take a place."""
    comp = world.create(payoutBps=[6000, 4000], trainingBaseline=0)
    model = mock_model(9)
    comp.commit("alice", model)
    comp.commit("erin", model)  # a copy: identical bytes, a different commitment
    comp.commit("bob", mock_model(2))
    comp.to_reveal()
    for who, sub_id in (("alice", 1), ("erin", 2), ("bob", 3)):
        comp.reveal(who, sub_id)
    assert comp.call("originalOf", comp.call("submission", 2)[3]) == 1
    comp.to_test_reveal()
    if reveal_test_set:
        comp.reveal_test_set()
        comp.evaluate_all([1, 2, 3])
    else:
        world.chain.clock.advance_to(comp.params["testRevealEnd"])
        comp.evaluate_all_training([1, 2, 3])
    assert comp.call("ranking") == [1, 3]
    assert comp.call("outcome") == (RANKED if reveal_test_set else DEFAULTED)
    paid = finish(comp, "alice", "bob", "erin", "carol")
    assert "erin" not in paid and paid["alice"] == 600 * TOKEN and paid["bob"] == 400 * TOKEN


def test_onlyACopyCompleted_finalizesWithoutAWinner_andReturnsThePool(world: World) -> None:
    """The copy completes, its original does not: no place, no licence, no panic."""
    comp = world.create(creatorBond=100 * TOKEN)
    model = mock_model(9)
    comp.commit("alice", model)
    comp.commit("erin", model)
    comp.to_reveal()
    comp.reveal("alice", 1)
    comp.reveal("erin", 2)
    comp.to_test_reveal()
    comp.reveal_test_set()
    comp.evaluate(0, [1, 2])
    for index in range(1, len(comp.test_set.chunks)):
        comp.evaluate(index, [2])  # only the copy is scored on every chunk
    comp.to_evaluation_end()
    assert comp.phase() == FINALIZED and comp.call("outcome") == RANKED
    assert comp.call("ranking") == []
    paid = finish(comp, "alice", "erin", "carol")
    assert paid == {"carol": 1100 * TOKEN}
    assert comp.call("licensee") == "0x" + "00" * 20 and comp.call("winner")[0] == 0


# --- deadlines: a refused action is never mined ------------------------------------------


def test_commitOneSecondBeforeTheDeadline_isMined_atTheDeadline_isRefusedUnmined(
    world: World,
) -> None:
    comp = world.create()
    end = comp.params["submissionEnd"]
    world.chain.clock.advance_to(end - 2)  # the next block is stamped end - 1
    comp.commit("alice", mock_model(1))
    assert world.chain.w3.eth.get_block("latest")["timestamp"] == end - 1
    block = world.chain.w3.eth.block_number
    nonce = world.chain.w3.eth.get_transaction_count(world.chain.address("bob"))
    with pytest.raises(CompetitionNotInPhase) as caught:  # the next block is stamped end
        comp.commit("bob", mock_model(2))
    assert (caught.value.expected, caught.value.actual) == (SUBMISSION, REVEAL)
    assert world.chain.w3.eth.block_number == block
    assert world.chain.w3.eth.get_transaction_count(world.chain.address("bob")) == nonce
    assert comp.call("submissionCount") == 1
