"""CompetitionFactory: clones, escrow, permit, the evaluator registry, and parameter validation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_utils import keccak

from mlmarket.contracts.errors import (
    CompetitionFactoryFamilyMismatch,
    CompetitionFactoryIndexOutOfRange,
    CompetitionFactoryInvalidImplementation,
    CompetitionFactoryUnknownFamily,
    CompetitionInvalidDeadlines,
    CompetitionInvalidMaxModelSize,
    CompetitionInvalidModelBudget,
    CompetitionInvalidPayoutSplit,
    CompetitionInvalidTask,
    CompetitionInvalidTestSet,
    CompetitionInvalidTrainingSet,
    CompetitionNoTrainingData,
    CompetitionZeroReward,
    ERC20InsufficientAllowance,
    ERC2612ExpiredSignature,
    ERC2612InvalidSigner,
    InvalidInitialization,
    OwnableUnauthorizedAccount,
)
from tests.contracts.test_competition_kit import (
    MOCK_FAMILY,
    PARAM_FIELDS,
    SUBMISSION,
    TOKEN,
    World,
    as_tuple,
    deploy,
    events,
    make_world,
    world_fixture,  # noqa: F401 - the `world` fixture
)

ZERO = "0x" + "00" * 20


def test_create_clonesEscrowsAndRecords(world: World) -> None:
    before = world.token.raw_balance_of("carol")
    comp = world.create(trainingListingId=7, trainingDataCid="")
    chain = world.chain
    assert world.token.raw_balance_of("carol") == before - 1000 * TOKEN
    assert comp.balance() == 1000 * TOKEN
    # EIP-1167 minimal proxy pointing at the implementation
    code = bytes(chain.w3.eth.get_code(comp.address))
    implementation = bytes.fromhex(world.implementation.address[2:])
    assert code == bytes.fromhex("363d3d373d3d3d363d73") + implementation + bytes.fromhex(
        "5af43d82803e903d91602b57fd5bf3"
    )
    f = world.factory.functions
    assert chain.call(f.competitionCount()) == 1
    assert chain.call(f.competitionAt(0)) == comp.address
    assert chain.call(f.isCompetition(comp.address))
    assert not chain.call(f.isCompetition(world.implementation.address))
    assert chain.call(f.implementation()) == world.implementation.address
    assert comp.call("params") == as_tuple(comp.params)
    assert comp.call("creator") == chain.address("carol")
    assert comp.call("evaluator") == world.evaluator.address
    assert comp.call("factory") == world.factory.address
    assert comp.call("chunkCount") == 3
    assert comp.call("metric") == 0
    assert comp.call("phase") == SUBMISSION
    assert comp.call("prizePool") == 1000 * TOKEN


def test_createdEvent_namesEverything(world: World) -> None:
    params = world.params()
    world.chain.transact(
        world.token.contract.functions.approve(world.factory.address, params["reward"]),
        sender="dave",
    )
    receipt = world.chain.transact(
        world.factory.functions.createCompetition(as_tuple(params)), sender="dave"
    )
    (event,) = events(world.factory, "CompetitionCreated", receipt)
    args = event["args"]
    assert args["index"] == 0 and args["creator"] == world.chain.address("dave")
    assert (args["family"], args["evaluator"], args["token"], args["reward"]) == (
        MOCK_FAMILY,
        world.evaluator.address,
        world.token.address,
        params["reward"],
    )


def test_createWithPermit_isOneTransaction_evenIfThePermitWasFrontRun(world: World) -> None:
    params = world.params()
    permit = world.token.permit("carol", world.factory.address, params["reward"] // TOKEN)
    _value, deadline, v, r, s = permit
    fn = world.factory.functions.createCompetitionWithPermit(as_tuple(params), deadline, v, r, s)
    world.chain.transact(fn, sender="carol")
    assert world.chain.call(world.factory.functions.competitionCount()) == 1

    params = world.params()
    value, deadline, v, r, s = world.token.permit(
        "carol", world.factory.address, params["reward"] // TOKEN
    )
    owner = world.chain.address("carol")
    front_run = world.token.contract.functions.permit(
        owner, world.factory.address, value, deadline, v, r, s
    )
    world.chain.transact(front_run, sender="bob")  # the signature is public once sent
    fn = world.factory.functions.createCompetitionWithPermit(as_tuple(params), deadline, v, r, s)
    world.chain.transact(fn, sender="carol")
    assert world.chain.call(world.factory.functions.competitionCount()) == 2


# --- permit attacks (compare the buyWithPermit ones in test_data_market.py) ---------------
#
# The factory ignores a failing permit (it may have been front-run) and relies on
# transferFrom, so every misused permit ends in ERC20InsufficientAllowance for the caller
# and moves nothing; the token's own refusal of the permit is shown alongside.

PERMIT_BOND = 200 * TOKEN


@pytest.fixture(scope="module")
def shared_world() -> Iterator[World]:
    built = make_world()
    built.chain.clock.advance(1)  # eth-tester re-executes the snapshot's block on revert
    yield built
    built.chain.close()


@pytest.fixture
def permit_world(shared_world: World) -> Iterator[World]:
    """The module's world, reset after each test."""
    with shared_world.chain.rollback():
        yield shared_world


def _escrow_params(world: World) -> tuple[dict[str, Any], int]:
    params = world.params(creatorBond=PERMIT_BOND)
    return params, params["reward"] + params["creatorBond"]


def _create_with_permit(
    world: World, params: dict[str, Any], permit: tuple, sender: str = "carol"
) -> Any:
    _value, deadline, v, r, s = permit
    fn = world.factory.functions.createCompetitionWithPermit(as_tuple(params), deadline, v, r, s)
    return world.chain.transact(fn, sender=sender)


def _submit_permit(world: World, owner: str, spender: str, permit: tuple, sender: str) -> Any:
    """Anyone may send a signed permit to the token itself."""
    value, deadline, v, r, s = permit
    fn = world.token.contract.functions.permit(
        world.chain.address(owner), world.chain.address(spender), value, deadline, v, r, s
    )
    return world.chain.transact(fn, sender=sender)


def _token_state(world: World, *contracts: str) -> tuple[Any, ...]:
    """Every balance, the factory's count, and carol's permit nonce and allowance."""
    chain, token = world.chain, world.token.contract.functions
    carol = chain.address("carol")
    return (
        world.balances(world.factory.address, *contracts),
        chain.call(world.factory.functions.competitionCount()),
        chain.call(token.nonces(carol)),
        chain.call(token.allowance(carol, world.factory.address)),
    )


def test_createWithPermit_replayedSignature_isRefused_andEscrowsOnce(permit_world: World) -> None:
    world = permit_world
    params, escrow = _escrow_params(world)
    permit = world.token.permit("carol", world.factory.address, escrow // TOKEN)
    before = world.balances()
    (created,) = events(
        world.factory, "CompetitionCreated", _create_with_permit(world, params, permit)
    )
    competition = created["args"]["competition"]
    after_first = _token_state(world, competition)
    assert after_first[0]["carol"] == before["carol"] - escrow
    assert after_first[0][competition] == escrow
    assert after_first[1:] == (1, 1, 0)  # one competition, nonce used, allowance spent

    # carol's own replay (say, a resubmitted transaction) and anyone else's
    for sender in ("carol", "bob"):
        with pytest.raises(ERC20InsufficientAllowance) as caught:
            _create_with_permit(world, world.params(creatorBond=PERMIT_BOND), permit, sender)
        assert caught.value.allowance == 0 and caught.value.needed == escrow
    with pytest.raises(ERC2612InvalidSigner):  # the token: the nonce has moved on
        _submit_permit(world, "carol", world.factory.address, permit, sender="bob")
    assert _token_state(world, competition) == after_first


def test_createWithPermit_expiredPermit_isRefused(permit_world: World) -> None:
    world = permit_world
    _params, escrow = _escrow_params(world)
    deadline = world.chain.clock.now() + 60
    permit = world.token.permit("carol", world.factory.address, escrow // TOKEN, deadline=deadline)
    world.chain.clock.advance(120)  # the signed permit waited too long
    assert world.chain.clock.now() > deadline
    params = world.params(creatorBond=PERMIT_BOND)  # the competition's own deadlines are fine
    before = _token_state(world)
    with pytest.raises(ERC20InsufficientAllowance):
        _create_with_permit(world, params, permit)
    with pytest.raises(ERC2612ExpiredSignature) as caught:
        _submit_permit(world, "carol", world.factory.address, permit, sender="bob")
    assert caught.value.deadline == deadline
    assert _token_state(world) == before
    assert before[1:] == (0, 0, 0)


def test_createWithPermit_permitForAnotherSpender_isRefused(permit_world: World) -> None:
    world = permit_world
    params, escrow = _escrow_params(world)
    rival = deploy(
        world.chain,
        "CompetitionFactory",
        world.implementation.address,
        world.chain.address("deployer"),
    )
    permit = world.token.permit("carol", rival.address, escrow // TOKEN)  # meant for the rival
    before = _token_state(world, rival.address)
    with pytest.raises(ERC20InsufficientAllowance):
        _create_with_permit(world, params, permit)
    assert _token_state(world, rival.address) == before
    # the factory could not consume it: the permit still works for the spender it names
    _submit_permit(world, "carol", rival.address, permit, sender="bob")
    fn = world.token.contract.functions.allowance(world.chain.address("carol"), rival.address)
    assert world.chain.call(fn) == escrow
    assert _token_state(world, rival.address)[3] == 0  # still nothing for this factory


def test_createWithPermit_permitForLessThanRewardPlusBond_isRefused(permit_world: World) -> None:
    world = permit_world
    params, escrow = _escrow_params(world)
    reward = params["reward"]
    permit = world.token.permit("carol", world.factory.address, reward // TOKEN)  # bond forgotten
    before = _token_state(world)
    with pytest.raises(ERC20InsufficientAllowance) as caught:
        _create_with_permit(world, params, permit)
    assert (caught.value.allowance, caught.value.needed) == (0, escrow)
    assert _token_state(world) == before
    # even once the short permit is in force (front-run or sent on its own), the factory
    # pulls reward + bond or nothing
    _submit_permit(world, "carol", world.factory.address, permit, sender="bob")
    with pytest.raises(ERC20InsufficientAllowance) as caught:
        _create_with_permit(world, params, permit)
    assert (caught.value.allowance, caught.value.needed) == (reward, escrow)
    balances, count, nonce, allowance = _token_state(world)
    assert (balances, count, nonce, allowance) == (before[0], 0, 1, reward)


def test_createWithoutAllowance_fails(world: World) -> None:
    with pytest.raises(ERC20InsufficientAllowance, match="may spend only 0 tokens"):
        world.chain.transact(
            world.factory.functions.createCompetition(as_tuple(world.params())), sender="carol"
        )


def test_implementation_cannotBeInitialized(world: World) -> None:
    fn = world.implementation.functions.initialize(
        as_tuple(world.params()), world.chain.address("alice"), world.evaluator.address, ZERO
    )
    with pytest.raises(InvalidInitialization, match="already initialized .* locked implementation"):
        world.chain.transact(fn, sender="alice")


def test_clone_cannotBeInitializedTwice(world: World) -> None:
    comp = world.create()
    with pytest.raises(InvalidInitialization):
        comp.send(
            "initialize",
            as_tuple(world.params()),
            world.chain.address("alice"),
            ZERO,
            ZERO,
            sender="alice",
        )
    assert comp.call("creator") == world.chain.address("carol")


def test_factory_needsADeployedImplementation(world: World) -> None:
    with pytest.raises(CompetitionFactoryInvalidImplementation, match="has no code"):
        deploy(
            world.chain,
            "CompetitionFactory",
            world.chain.address("alice"),
            world.chain.address("deployer"),
        )


# --- evaluator registry -----------------------------------------------------------------


def test_registry_isOwnerOnly_andChecksTheFamily(world: World) -> None:
    f = world.factory.functions
    with pytest.raises(OwnableUnauthorizedAccount, match="alice .* is not the owner"):
        world.chain.transact(
            f.setEvaluator(keccak(text="other"), world.evaluator.address), sender="alice"
        )
    with pytest.raises(CompetitionFactoryFamilyMismatch) as caught:
        world.chain.transact(
            f.setEvaluator(keccak(text="linear"), world.evaluator.address), sender="deployer"
        )
    assert caught.value.actual == MOCK_FAMILY
    assert world.chain.call(f.evaluatorOf(MOCK_FAMILY)) == world.evaluator.address


def test_unknownFamily_isRejected(world: World) -> None:
    with pytest.raises(CompetitionFactoryUnknownFamily, match="No evaluator is registered"):
        world.create(family=keccak(text="forest"))


def test_removingAnEvaluator_leavesExistingCompetitionsAlone(world: World) -> None:
    comp = world.create()
    receipt = world.chain.transact(
        world.factory.functions.setEvaluator(MOCK_FAMILY, ZERO), sender="deployer"
    )
    assert events(world.factory, "EvaluatorSet", receipt)[0]["args"]["evaluator"] == ZERO
    with pytest.raises(CompetitionFactoryUnknownFamily):
        world.create()
    assert comp.call("evaluator") == world.evaluator.address


def test_competitionAt_outOfRange(world: World) -> None:
    with pytest.raises(
        CompetitionFactoryIndexOutOfRange, match="no competition at index 0; .* created 0"
    ):
        world.chain.call(world.factory.functions.competitionAt(0))


# --- parameter validation ---------------------------------------------------------------


def deadlines(world: World, *offsets: int) -> dict[str, int]:
    now = world.chain.clock.now()
    names = ("submissionEnd", "revealEnd", "testRevealEnd", "evaluationEnd")
    return {name: now + offset for name, offset in zip(names, offsets, strict=True)}


INVALID: list[tuple[str, Any, type[Exception], str]] = [
    ("zero reward", {"reward": 0}, CompetitionZeroReward, "reward above zero"),
    (
        "submission end passed",
        (-10, 2000, 3000, 4000),
        CompetitionInvalidDeadlines,
        "in the future and in order",
    ),
    ("reveal before submission", (2000, 1000, 3000, 4000), CompetitionInvalidDeadlines, "in order"),
    ("equal deadlines", (1000, 2000, 2000, 4000), CompetitionInvalidDeadlines, "in order"),
    (
        "evaluation before test reveal",
        (1000, 2000, 3000, 2500),
        CompetitionInvalidDeadlines,
        "in order",
    ),
    ("zero root", {"testRoot": bytes(32)}, CompetitionInvalidTestSet, "non-zero Merkle root"),
    ("no samples", {"samples": 0}, CompetitionInvalidTestSet, "0 samples"),
    ("zero chunk size", {"chunkSize": 0}, CompetitionInvalidTestSet, "chunk size 0"),
    ("no features", {"features": 0}, CompetitionInvalidTask, "got 0 features"),
    ("one class", {"classes": 1}, CompetitionInvalidTask, "1 classes"),
    (
        "zero model size",
        {"maxModelSize": 0},
        CompetitionInvalidMaxModelSize,
        "0 bytes is not allowed",
    ),
    (
        "model size too big",
        {"maxModelSize": 256 * 1024 + 1},
        CompetitionInvalidMaxModelSize,
        "1 to 262144",
    ),
    ("no model budget", {"modelBudget": 0}, CompetitionInvalidModelBudget, "admits no model"),
    ("no places", {"payoutBps": []}, CompetitionInvalidPayoutSplit, "0 places summing to 0"),
    (
        "eleven places",
        {"payoutBps": [1000] * 9 + [500, 500]},
        CompetitionInvalidPayoutSplit,
        "11 places",
    ),
    ("sum below", {"payoutBps": [6000, 3000]}, CompetitionInvalidPayoutSplit, "summing to 9000"),
    ("sum above", {"payoutBps": [6000, 5000]}, CompetitionInvalidPayoutSplit, "summing to 11000"),
    (
        "no training data",
        {"trainingDataCid": "", "trainingListingId": 0},
        CompetitionNoTrainingData,
        "training",
    ),
    ("no training root", {"trainingRoot": bytes(32)}, CompetitionInvalidTrainingSet, "training"),
    ("no training rows", {"trainingSamples": 0}, CompetitionInvalidTrainingSet, "training"),
]


@pytest.mark.parametrize(("case", "change", "error", "words"), INVALID, ids=[c[0] for c in INVALID])
def test_invalidParameters_areRejectedWithAReason(
    world: World, case: str, change: Any, error: type[Exception], words: str
) -> None:
    overrides = deadlines(world, *change) if isinstance(change, tuple) else change
    with pytest.raises(error, match=words):
        world.create(**overrides)
    assert world.chain.call(world.factory.functions.competitionCount()) == 0


def test_tenPlaces_areAllowed(world: World) -> None:
    comp = world.create(payoutBps=[1000] * 10)
    assert len(comp.call("params")[PARAM_FIELDS.index("payoutBps")]) == 10
