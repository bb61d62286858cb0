"""Shared helpers for the Competition tests, and tests that pin the helpers to the contracts.

The helpers deploy the stack (MarketToken, MockEvaluator, the locked Competition
implementation, CompetitionFactory), create competitions with chosen
parameters, build MockEvaluator models and chunks, and build the test set's
positional Merkle tree (ordered pairs, fixed depth, zero padding; written here
independently of ``mlmarket.ml.merkle`` so the two check each other).

MockEvaluator formats (32-byte words): a chunk is ``rows, slot[, 1 = return one
value too few]``; a model is ``n, value_1..value_n`` and scores
``value[slot % n]`` on a chunk, so tests set every score exactly.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak
from web3.logs import DISCARD

from mlmarket.chain import Chain, connect
from mlmarket.contracts import MarketToken, bind_errors, load_artifact

MOCK_FAMILY = keccak(text="mock")
TOKEN = 10**18
BPS = 10_000
PHASES = ("Submission", "Reveal", "TestReveal", "Evaluation", "DefaultEvaluation", "Finalized")
SUBMISSION, REVEAL, TEST_REVEAL, EVALUATION, DEFAULT_EVALUATION, FINALIZED = range(6)
PENDING, RANKED, DEFAULTED, RETURNED = range(4)
ACCURACY, SSE, BALANCED_ACCURACY, MACRO_F1, SAE = range(5)
SINK = "0x000000000000000000000000000000000000dEaD"
ZERO_SALT = bytes(32)
HOLDERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan")
PARAM_FIELDS = tuple(
    c["name"]
    for c in next(
        e for e in load_artifact("CompetitionFactory").abi if e.get("name") == "createCompetition"
    )["inputs"][0]["components"]
)


# --- byte formats --------------------------------------------------------------------


def word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def mock_model(*values: int, pad: int = 0) -> bytes:
    """A MockEvaluator model scoring ``values[slot % len(values)]`` on a chunk, plus padding."""
    return word(len(values)) + b"".join(word(v) for v in values) + b"\xaa" * pad


def mock_chunk(rows: int, slot: int, *, short: bool = False, pad: bytes = b"") -> bytes:
    return word(rows) + word(slot) + (word(1) if short else b"") + pad


def chunk_leaf(salt: bytes, index: int, chunk: bytes) -> bytes:
    return keccak(encode(["bytes32", "uint256", "bytes32"], [salt, index, keccak(chunk)]))


def commitment(competition: str, submitter: str, model: bytes, salt: bytes) -> bytes:
    return keccak(
        encode(
            ["address", "address", "bytes32", "bytes32"],
            [competition, submitter, keccak(model), salt],
        )
    )


def hash_pair(left: bytes, right: bytes) -> bytes:
    return keccak(left + right)


class MerkleTree:
    """Positional keccak tree: padded with zero leaves to a power of two, ordered pairs."""

    def __init__(self, leaves: list[bytes]) -> None:
        if not leaves:
            raise ValueError("a Merkle tree needs at least one leaf")
        width = 1
        while width < len(leaves):
            width *= 2
        self.levels = [list(leaves) + [bytes(32)] * (width - len(leaves))]
        while len(self.levels[-1]) > 1:
            level = self.levels[-1]
            self.levels.append([hash_pair(level[i], level[i + 1]) for i in range(0, len(level), 2)])

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    def proof(self, index: int) -> list[bytes]:
        path = []
        for level in self.levels[:-1]:
            path.append(level[index ^ 1])
            index //= 2
        return path


@dataclass
class TestSet:
    """A test set of ``samples`` rows in chunks of ``chunk_size``; chunk i has slot i."""

    samples: int
    chunk_size: int
    salt: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    first_slot: int = 0
    chunks: list[bytes] = field(init=False)
    tree: MerkleTree = field(init=False)

    __test__ = False  # not a pytest class

    def __post_init__(self) -> None:
        count = -(-self.samples // self.chunk_size)
        self.chunks = [
            mock_chunk(
                min(self.chunk_size, self.samples - i * self.chunk_size), self.first_slot + i
            )
            for i in range(count)
        ]
        self.tree = MerkleTree([chunk_leaf(self.salt, i, c) for i, c in enumerate(self.chunks)])

    @property
    def root(self) -> bytes:
        return self.tree.root


# --- deployment ------------------------------------------------------------------------


def deploy(
    chain: Chain,
    name: str,
    *args: Any,
    sender: str = "deployer",
    libraries: dict[str, str] | None = None,
) -> Any:
    """Deploy artifact ``name``, linking the external ``libraries`` it calls (name -> address)."""
    artifact = load_artifact(name)
    code = artifact.linked_bytecode(libraries or {})
    contract, _ = chain.deploy(artifact.abi, code, *args, sender=sender)
    return contract


@dataclass
class World:
    """A chain with the token, the mock evaluator, the implementation and the factory."""

    chain: Chain
    token: MarketToken
    evaluator: Any
    implementation: Any
    factory: Any
    claims: Any = None
    scoring: Any = None  # the CompetitionScoring library linked into the implementation
    teams: Any = None  # the CompetitionTeams library, likewise

    @property
    def libraries(self) -> dict[str, str]:
        """What a Competition deployed here is linked with."""
        return {"CompetitionScoring": self.scoring.address, "CompetitionTeams": self.teams.address}

    def at(self, address: str, name: str = "Competition") -> Any:
        return self.chain.contract(address, load_artifact(name).abi)

    def balances(self, *extra: str) -> dict[str, int]:
        return {who: self.token.raw_balance_of(who) for who in (*HOLDERS, *extra)}

    def params(
        self, test_set: TestSet | None = None, training: TestSet | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """Valid parameters (deadlines 1000 s apart from now, no bond), with ``overrides``."""
        test_set = test_set or TestSet(samples=250, chunk_size=100)
        training = training or training_set(test_set.chunk_size)
        now = self.chain.clock.now()
        values: dict[str, Any] = {
            "token": self.token.address,
            "reward": 1000 * TOKEN,
            "creatorBond": 0,
            "family": MOCK_FAMILY,
            "trainingDataCid": "bafytraining",
            "trainingListingId": 0,
            "trainingRoot": training.root,
            "trainingSamples": training.samples,
            "trainingBaseline": 0,
            "testRoot": test_set.root,
            "samples": test_set.samples,
            "chunkSize": test_set.chunk_size,
            "features": 4,
            "classes": 2,
            "maxModelSize": 4096,
            "payoutBps": [6000, 3000, 1000],
            "submissionEnd": now + 1000,
            "revealEnd": now + 2000,
            "testRevealEnd": now + 3000,
            "evaluationEnd": now + 4000,
            "entryStake": 0,
            "maxSubmissionsPerAddress": 0,
            "metadataCid": "bafymetadata",
            "modelBudget": 1_000,  # MockEvaluator: the most values a model may declare
            "metric": ACCURACY,
            "entriesPerPeriod": 0,
            "periodLength": 0,
            "finals": 0,
            "multiplePlaces": True,  # the rules tests turn the one-place rule on
            "challengeWindow": 0,  # on-chain evaluation only; the score-claims tests set these
            "claimBond": 0,
            "challengeBond": 0,
            "publicRoot": bytes(32),  # no public board; the public-board tests set these
            "publicSamples": 0,
            "publicWindow": 0,
            "publicClaimBond": 0,
            "mergerDeadline": 0,  # teams may form until the submission deadline
            "slashBps": 0,  # stakes come back at reveal; the stake tests set these
            "stakeThreshold": 0,
        }
        if overrides.get("classes") == 0 and "metric" not in overrides:
            values["metric"] = SSE
        values.update(overrides)
        return values

    def create(
        self,
        creator: str = "carol",
        test_set: TestSet | None = None,
        training: TestSet | None = None,
        **overrides: Any,
    ) -> Competition:
        test_set = test_set or TestSet(samples=250, chunk_size=100)
        training = training or training_set(test_set.chunk_size)
        params = self.params(test_set, training, **overrides)
        escrow = params["reward"] + params["creatorBond"]
        fn = self.token.contract.functions.approve(self.factory.address, escrow)
        self.chain.transact(fn, sender=creator)
        receipt = self.chain.transact(
            self.factory.functions.createCompetition(as_tuple(params)), sender=creator
        )
        (event,) = events(self.factory, "CompetitionCreated", receipt)
        contract = self.at(event["args"]["competition"])
        return Competition(self, contract, creator, params, test_set, training)


def training_set(chunk_size: int, samples: int = 500) -> TestSet:
    """Public training chunks (zero salt); their mock slots start at 100, the test set's at 0."""
    return TestSet(samples=samples, chunk_size=chunk_size, salt=ZERO_SALT, first_slot=100)


def events(contract: Any, name: str, receipt: Any) -> list[Any]:
    """The ``name`` events ``contract`` emitted in ``receipt`` (other contracts' logs skipped)."""
    return list(getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD))


def as_tuple(params: dict[str, Any]) -> tuple:
    return tuple(params[name] for name in PARAM_FIELDS)


def make_world(chain: Chain | None = None) -> World:
    chain = chain or connect()
    bind_errors(chain)
    token = MarketToken.deploy(chain, {who: 1_000_000 for who in HOLDERS})
    evaluator = deploy(chain, "MockEvaluator")
    scoring = deploy(chain, "CompetitionScoring")
    teams = deploy(chain, "CompetitionTeams")
    libraries = {"CompetitionScoring": scoring.address, "CompetitionTeams": teams.address}
    implementation = deploy(chain, "Competition", libraries=libraries)
    factory = deploy(chain, "CompetitionFactory", implementation.address, chain.address("deployer"))
    chain.transact(
        factory.functions.setEvaluator(MOCK_FAMILY, evaluator.address), sender="deployer"
    )
    claims = deploy(chain, "ScoreClaims", factory.address)
    chain.transact(factory.functions.setScoreClaims(claims.address), sender="deployer")
    return World(chain, token, evaluator, implementation, factory, claims, scoring, teams)


@dataclass
class Competition:
    """One created competition plus what the tests need to drive it."""

    world: World
    contract: Any
    creator: str
    params: dict[str, Any]
    test_set: TestSet
    training: TestSet
    models: dict[int, bytes] = field(default_factory=dict)
    salts: dict[int, bytes] = field(default_factory=dict)

    @property
    def chain(self) -> Chain:
        return self.world.chain

    @property
    def address(self) -> str:
        return self.contract.address

    @property
    def fn(self) -> Any:
        return self.contract.functions

    def call(self, name: str, *args: Any) -> Any:
        return self.chain.call(getattr(self.fn, name)(*args))

    def send(self, name: str, *args: Any, sender: str) -> Any:
        return self.chain.transact(getattr(self.fn, name)(*args), sender=sender)

    def phase(self) -> int:
        return self.call("phase")

    def approve_stake(self, who: str, times: int = 1) -> None:
        stake = self.params["entryStake"]
        if stake:
            fn = self.world.token.contract.functions.approve(self.address, stake * times)
            self.chain.transact(fn, sender=who)

    def commit(
        self, who: str, model: bytes, salt: bytes | None = None, *, entrant: str | None = None
    ) -> int:
        """Commit ``model`` from ``who``; the commitment binds ``entrant`` (an address: a team
        ``who`` belongs to), or ``who`` itself."""
        salt = salt or secrets.token_bytes(32)
        self.approve_stake(who)
        bound = entrant or self.chain.address(who)
        receipt = self.send("commit", commitment(self.address, bound, model, salt), sender=who)
        (event,) = events(self.contract, "SubmissionCommitted", receipt)
        sub_id = event["args"]["id"]
        self.models[sub_id], self.salts[sub_id] = model, salt
        return sub_id

    def reveal(self, who: str, sub_id: int, *, cid: str = "bafyartifact") -> Any:
        return self.send("reveal", sub_id, self.models[sub_id], self.salts[sub_id], cid, sender=who)

    def to_reveal(self) -> None:
        self.chain.clock.advance_to(self.params["submissionEnd"])

    def to_test_reveal(self) -> None:
        self.chain.clock.advance_to(self.params["revealEnd"])

    def reveal_test_set(self, cid: str = "bafytestdata") -> Any:
        return self.send("revealTestSet", self.test_set.salt, cid, sender=self.creator)

    def to_evaluation_end(self) -> None:
        self.chain.clock.advance_to(self.params["evaluationEnd"])

    def evaluate(
        self,
        index: int,
        ids: list[int],
        *,
        models: list[bytes] | None = None,
        chunk: bytes | None = None,
        proof: list[bytes] | None = None,
        sender: str = "frank",
    ) -> Any:
        chunk = self.test_set.chunks[index] if chunk is None else chunk
        proof = self.test_set.tree.proof(index) if proof is None else proof
        models = [self.models[i] for i in ids] if models is None else models
        return self.send("evaluate", index, chunk, proof, ids, models, sender=sender)

    def evaluate_all(self, ids: list[int]) -> None:
        for index in range(len(self.test_set.chunks)):
            self.evaluate(index, ids)

    def evaluate_training(
        self,
        index: int,
        ids: list[int],
        *,
        models: list[bytes] | None = None,
        sender: str = "frank",
    ) -> Any:
        """Score ``ids`` on training chunk ``index`` (the DefaultEvaluation phase)."""
        chunk, proof = self.training.chunks[index], self.training.tree.proof(index)
        models = [self.models[i] for i in ids] if models is None else models
        return self.send("evaluate", index, chunk, proof, ids, models, sender=sender)

    def evaluate_all_training(self, ids: list[int]) -> None:
        for index in range(len(self.training.chunks)):
            self.evaluate_training(index, ids)

    def balance(self) -> int:
        return self.world.token.raw_balance_of(self.address)


def to_evaluation(comp: Competition, *reveals: tuple[str, int]) -> None:
    """Reveal ``(who, id)`` pairs, then the test set: the competition is in Evaluation."""
    comp.to_reveal()
    for who, sub_id in reveals:
        comp.reveal(who, sub_id)
    comp.to_test_reveal()
    comp.reveal_test_set()
    assert comp.phase() == EVALUATION


@pytest.fixture(name="world")
def world_fixture() -> Any:
    """A fresh chain with the whole stack (import ``world_fixture`` to use ``world``)."""
    built = make_world()
    yield built
    built.chain.close()


# --- tests of the helpers ----------------------------------------------------------------


def test_commitmentHelper_matchesTheContract(world: World) -> None:
    comp = world.create()
    model, salt = mock_model(1, 2, 3), b"\x07" * 32
    alice = world.chain.address("alice")
    on_chain = comp.call("commitmentFor", alice, keccak(model), salt)
    assert on_chain == commitment(comp.address, alice, model, salt)


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8])
def test_merkleHelper_provesEveryLeaf(count: int) -> None:
    leaves = [keccak(bytes([i])) for i in range(count)]
    tree = MerkleTree(leaves)
    for index, leaf in enumerate(leaves):
        node = leaf
        for level, sibling in enumerate(tree.proof(index)):
            left = (index >> level) & 1 == 0
            node = hash_pair(node, sibling) if left else hash_pair(sibling, node)
        assert node == tree.root


def test_testSet_lastChunkHoldsTheRemainder() -> None:
    test_set = TestSet(samples=250, chunk_size=100)
    assert [int.from_bytes(c[:32], "big") for c in test_set.chunks] == [100, 100, 50]
