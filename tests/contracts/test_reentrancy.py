"""Re-entrancy through a hostile payment token (``contracts/src/test/ReentrantToken.sol``).

Competitions accept any ERC-20 as ``Params.token`` and a DataMarket is deployed with
one, so a token with transfer hooks gets control in the middle of every payment. Here
the token ("mallory") is armed to call back into a contract while that contract moves
tokens: into the same function, and into a sensitive other one. The token contract is
also mallory's account (``ReentrantToken.execute``), so the re-entrant call comes from
a real participant, with that participant's rights and allowances: only the
ReentrancyGuard or the contract's own state checks stand in its way.

Each test checks that the inner call failed with the named error (or succeeded and
changed nothing it should not), that every account moved by exactly what the rules
say, that each contract holds exactly what it owes, and that the balances of all
holders, the contracts and the sink add up to the fixed supply. The callback runs
either after the balances move (``tokensReceived`` style) or before (``tokensToSend``).
Every test runs on eth-tester and on anvil, each with one module-wide stack reset
between tests.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from mlmarket.chain import NAMES, Chain, connect
from mlmarket.contracts import MarketToken, bind_errors, load_artifact
from mlmarket.contracts.errors import (
    CompetitionAlreadyClaimed,
    CompetitionChunkAlreadyEvaluated,
    CompetitionNotInPhase,
    DataMarketAlreadyRefunded,
    DataMarketBatchAlreadyRejected,
    DataMarketNothingToClaim,
    DataMarketNothingToWithdraw,
    ReentrancyGuardReentrantCall,
    ReentrantTokenNotOperator,
)
from mlmarket.contracts.sink import SINK
from tests.chain.conftest import anvil_path
from tests.conftest import require_tool
from tests.contracts.test_competition_kit import (
    DEFAULTED,
    EVALUATION,
    FINALIZED,
    RANKED,
    REVEAL,
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
)
from tests.contracts.test_data_market import (
    BATCH_PENDING,
    COMMITMENT,
    DAY,
    DELIVERED,
    HOUR,
    WRAPPED_KEY,
    DataMarketHarness,
    freeze_wall_clock,
)
from tests.contracts.test_data_market import PENDING as PURCHASE_PENDING

T = TOKEN
STAKE = 10 * T
BOND = 500 * T
ACC_PRECISION = 10**18
SUPPLY_EACH = 1_000_000  # whole tokens minted to every named account
MALLORY_FUNDS = 10_000  # whole tokens the token contract holds as mallory's account

Call = tuple[str, bytes]


def call_of(contract: Any, name: str, *args: Any) -> Call:
    """The target address and calldata of ``contract.name(*args)``."""
    data = contract.encode_abi(name, args=list(args))
    return contract.address, bytes.fromhex(data[2:])


# --- the hostile token and the stack ----------------------------------------------------


class HostileToken(MarketToken):
    """ReentrantToken through the MarketToken wrapper, plus arming and mallory's actions."""

    NAME = "ReentrantToken"

    @property
    def mallory(self) -> str:
        return self.address

    def arm(self, call: Call, *, before: bool = False) -> None:
        """Fire ``call`` (from mallory) during the next balance change."""
        self._fired = self.reentries()
        target, data = call
        self.chain.transact(self.contract.functions.arm(target, data, before), sender="deployer")

    def act(self, call: Call) -> Any:
        """Mallory's own transaction: the token contract calls ``call`` as itself."""
        target, data = call
        return self.chain.transact(self.contract.functions.execute(target, data), sender="deployer")

    def reentries(self) -> int:
        return int(self.chain.call(self.contract.functions.reentries()))

    def outcome(self) -> tuple[bool, bytes]:
        """(success, return or revert data) of the callback of the last arming, which must
        have fired exactly once."""
        fn = self.contract.functions
        assert not self.chain.call(fn.armed()), "the armed callback never fired"
        assert self.reentries() == self._fired + 1
        return bool(self.chain.call(fn.lastSuccess())), bytes(self.chain.call(fn.lastResult()))

    def refused_with(self, error: type[Exception]) -> Exception:
        """Assert the last callback failed with ``error``; return the decoded error."""
        success, data = self.outcome()
        assert not success, "the re-entrant call succeeded"
        decoded = self.chain.errors.decode(data, self.chain.accounts.name_of)
        assert isinstance(decoded, error), f"expected {error.__name__}, got {decoded!r}"
        return decoded

    def succeeded(self) -> bytes:
        success, data = self.outcome()
        assert success, self.chain.errors.decode(data, self.chain.accounts.name_of)
        return data


class HostileMarket(DataMarketHarness):
    """The DataMarket test harness, deployed with the hostile token as its token."""

    def __init__(self, chain: Chain, token: HostileToken) -> None:
        self.chain = chain
        self.token = token
        artifact = load_artifact("DataMarket")
        self.contract, receipt = chain.deploy(
            artifact.abi, artifact.bytecode, token.address, sender="deployer"
        )
        self.address = self.contract.address
        self.deploy_gas = int(receipt["gasUsed"])

    def call_of(self, name: str, *args: Any) -> Call:
        return call_of(self.contract, name, *args)

    def owed(self, accounts: list[str]) -> int:
        """Everything the market owes, bucket by bucket (see DataMarket.sol's header):
        pending purchases, revenue balances, bounty funds, stakes of pending batches and
        the contributors' funds (``owed`` plus their scaled share revenue)."""
        total = 0
        for purchase_id in range(1, self.call("purchaseCount") + 1):
            purchase = self.purchase(purchase_id)
            if purchase["status"] == PURCHASE_PENDING:
                total += purchase["amount"]
        total += sum(self.revenue(who) for who in accounts)
        for collection_id in range(1, self.call("collectionCount") + 1):
            collection = self.collection(collection_id)
            total += collection["bountyFund"]
            scaled = collection["accRemainder"]
            for who in accounts:
                contributor = self.contributor(collection_id, who)
                total += contributor["owed"]
                scaled += (
                    contributor["shares"] * collection["accRevenuePerShare"]
                    - contributor["rewardDebt"]
                )
            assert scaled % ACC_PRECISION == 0, "share revenue is not a whole number of units"
            total += scaled // ACC_PRECISION
        for batch_id in range(1, self.call("batchCount") + 1):
            batch = self.batch(batch_id)
            if batch["status"] == BATCH_PENDING:
                total += self.collection(batch["collectionId"])["stakePerBatch"]
        return total


@dataclasses.dataclass
class Stack:
    chain: Chain
    world: World  # the Competition kit's world, paying in the hostile token
    token: HostileToken
    market: HostileMarket

    @property
    def mallory(self) -> str:
        return self.token.address

    def ledger(self, *contracts: str) -> Ledger:
        return Ledger(self, list(contracts))


class Ledger:
    """Balances of every holder of the hostile token, so each test can state every move."""

    def __init__(self, stack: Stack, contracts: list[str]) -> None:
        self.stack = stack
        chain = stack.chain
        fixed = [stack.mallory, stack.market.address, stack.world.factory.address, SINK]
        self.accounts = [chain.address(who) for who in (*NAMES, *fixed, *contracts)]
        self.before = self.read()

    def read(self) -> dict[str, int]:
        return {who: self.stack.token.raw_balance_of(who) for who in self.accounts}

    def check(self, moves: dict[str, int]) -> None:
        """Every account moved by exactly ``moves`` (names or addresses), the rest not at
        all, and the balances still add up to the fixed supply. An account first named
        here (a contract created since the ledger was opened) held nothing before."""
        chain = self.stack.chain
        for who in moves:
            address = chain.address(who)
            if address not in self.before:
                self.accounts.append(address)
                self.before[address] = 0
        expected = dict(self.before)
        for who, delta in moves.items():
            expected[chain.address(who)] += delta
        after = self.read()
        named = {
            chain.describe(k): (after[k], expected[k]) for k in after if after[k] != expected[k]
        }
        assert after == expected, f"unexpected balances (actual, expected): {named}"
        supply = int(chain.call(self.stack.token.contract.functions.totalSupply()))
        assert sum(after.values()) == supply


@pytest.fixture(scope="module", params=["eth-tester", "anvil"])
def stack_base(request: pytest.FixtureRequest) -> Iterator[Stack]:
    """One chain per backend with the kit's world, the hostile token and a DataMarket."""
    if request.param == "anvil":
        require_tool(anvil_path(), "anvil (npm @foundry-rs/anvil in contracts/)")
    with connect(request.param) as chain:
        bind_errors(chain)
        kit = make_world(chain)
        token = HostileToken.deploy(chain, dict.fromkeys(NAMES, SUPPLY_EACH))
        world = dataclasses.replace(kit, token=token)
        market = HostileMarket(chain, token)
        token.transfer(token.address, MALLORY_FUNDS, sender="alice")
        # eth-tester re-executes the snapshot's block on revert: make that an empty one.
        chain.clock.advance(1)
        yield Stack(chain, world, token, market)


@pytest.fixture
def stack(stack_base: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    freeze_wall_clock(monkeypatch)
    with stack_base.chain.rollback():
        yield stack_base


# --- competition helpers -------------------------------------------------------------------


def allow(stack: Stack, spender: str, amount: int) -> None:
    """Mallory approves ``spender`` (the token approving on its own account)."""
    stack.token.act(call_of(stack.token.contract, "approve", spender, amount))


def mallory_commit(stack: Stack, comp: Competition, model: bytes) -> int:
    salt = secrets.token_bytes(32)
    stack.token.act(
        call_of(comp.contract, "commit", commitment(comp.address, stack.mallory, model, salt))
    )
    sub_id = int(comp.call("submissionCount"))
    comp.models[sub_id], comp.salts[sub_id] = model, salt
    return sub_id


def reveal_call(comp: Competition, sub_id: int) -> Call:
    return call_of(comp.contract, "reveal", sub_id, comp.models[sub_id], comp.salts[sub_id], "")


def evaluate_call(comp: Competition, index: int, ids: list[int]) -> Call:
    chunk, proof = comp.test_set.chunks[index], comp.test_set.tree.proof(index)
    models = [comp.models[i] for i in ids]
    return call_of(comp.contract, "evaluate", index, chunk, proof, ids, models)


def owes(comp: Competition, *accounts: str) -> int:
    """What a finalized competition still owes ``accounts`` (everyone with a payout)."""
    chain = comp.chain
    return sum(int(comp.call("claimable", chain.address(who))) for who in accounts)


def escrowed(comp: Competition) -> int:
    """What a competition holds before it is finalized: the pool (reward plus stakes of
    unrevealed submissions) and the creator's bond."""
    return int(comp.call("prizePool")) + comp.params["creatorBond"]


# --- the token itself -------------------------------------------------------------------------


def test_hostileToken_isArmedOnlyByItsOperator_andFiresOnce(stack: Stack) -> None:
    token = stack.token
    with pytest.raises(ReentrantTokenNotOperator):
        stack.chain.transact(
            token.contract.functions.arm(token.address, b"", False), sender="alice"
        )
    with pytest.raises(ReentrantTokenNotOperator):
        stack.chain.transact(token.contract.functions.execute(token.address, b""), sender="alice")
    ledger = stack.ledger()
    # the callback itself transfers (mallory pays bob): no second callback fires inside it
    token.arm(call_of(token.contract, "transfer", stack.chain.address("bob"), 3 * T))
    token.transfer("carol", 1, sender="alice")
    token.succeeded()
    token.transfer("carol", 1, sender="alice")  # disarmed: no callback
    assert token.reentries() == 1
    ledger.check({"alice": -2 * T, "carol": 2 * T, token.mallory: -3 * T, "bob": 3 * T})


# --- Competition ------------------------------------------------------------------------------


def test_commit_stakePull_reentrantCommitOrReveal_isRefused(stack: Stack) -> None:
    token, world = stack.token, stack.world
    comp = world.create(entryStake=STAKE, creatorBond=BOND)
    allow(stack, comp.address, 10 * STAKE)  # an inner commit would have the allowance
    ledger = stack.ledger(comp.address)
    model = mock_model(5)
    salt = secrets.token_bytes(32)
    second = commitment(comp.address, stack.mallory, mock_model(6), salt)

    token.arm(call_of(comp.contract, "commit", second))
    first = mallory_commit(stack, comp, model)
    token.refused_with(ReentrancyGuardReentrantCall)

    token.arm(reveal_call(comp, first), before=True)  # mallory's reveal, amid alice's pull
    comp.commit("alice", mock_model(7))
    token.refused_with(ReentrancyGuardReentrantCall)

    assert comp.call("submissionCount") == 2
    assert tuple(comp.call("submissionsOf", stack.mallory)) == (1, 0)
    assert not comp.call("submission", first)[2]  # not revealed
    ledger.check({stack.mallory: -STAKE, "alice": -STAKE, comp.address: 2 * STAKE})
    assert comp.balance() == escrowed(comp) == 1000 * T + BOND + 2 * STAKE


def test_reveal_stakeReturn_reentrantRevealOrClaim_isRefused(stack: Stack) -> None:
    token, world = stack.token, stack.world
    comp = world.create(entryStake=STAKE, creatorBond=BOND)
    allow(stack, comp.address, 2 * STAKE)
    one = mallory_commit(stack, comp, mock_model(5))
    two = mallory_commit(stack, comp, mock_model(6))
    alices = comp.commit("alice", mock_model(7))
    comp.to_reveal()
    ledger = stack.ledger(comp.address)

    token.arm(reveal_call(comp, one))  # the same reveal again: a second stake back?
    token.act(reveal_call(comp, one))
    token.refused_with(ReentrancyGuardReentrantCall)
    assert comp.balance() == escrowed(comp)

    token.arm(reveal_call(comp, two), before=True)  # mallory's other reveal, amid alice's
    comp.reveal("alice", alices)
    token.refused_with(ReentrancyGuardReentrantCall)
    assert not comp.call("submission", two)[2]
    assert comp.balance() == escrowed(comp)

    token.arm(call_of(comp.contract, "claim"))
    token.act(reveal_call(comp, two))
    token.refused_with(ReentrancyGuardReentrantCall)

    assert comp.call("revealedCount") == 3
    assert tuple(comp.call("submissionsOf", stack.mallory)) == (2, 2)
    ledger.check({stack.mallory: 2 * STAKE, "alice": STAKE, comp.address: -3 * STAKE})
    assert comp.balance() == escrowed(comp) == 1000 * T + BOND


def test_evaluate_movesNoToken_andANeighbouringTransferCannotScoreTwice(stack: Stack) -> None:
    token, world = stack.token, stack.world
    scored = world.create()
    alices = scored.commit("alice", mock_model(7, 8, 9))
    bobs = scored.commit("bob", mock_model(1, 2, 3))
    scored.to_reveal()
    scored.reveal("alice", alices)
    scored.reveal("bob", bobs)
    scored.to_test_reveal()
    scored.reveal_test_set()
    assert scored.phase() == EVALUATION
    staking = world.create(entryStake=STAKE)  # created now: in its Submission phase
    ledger = stack.ledger(scored.address, staking.address)

    # dave's stake pull in the neighbouring competition scores alice on chunk 0 ...
    token.arm(evaluate_call(scored, 0, [alices]))
    staking.commit("dave", mock_model(1))
    token.succeeded()
    submission = scored.call("submission", alices)
    assert (submission[1], submission[4]) == (1, 7)  # one chunk scored, value 7
    # ... once: the same evaluation again, in erin's pull, is refused
    token.arm(evaluate_call(scored, 0, [alices]))
    staking.commit("erin", mock_model(1))
    token.refused_with(CompetitionChunkAlreadyEvaluated)
    # one id twice in one batch, before the balances move
    token.arm(evaluate_call(scored, 1, [bobs, bobs]), before=True)
    staking.commit("frank", mock_model(1))
    error = token.refused_with(CompetitionChunkAlreadyEvaluated)
    assert (error.id, error.chunkIndex) == (bobs, 1)
    assert not scored.call("isEvaluated", bobs, 1)
    # the competition's own payment cannot be re-entered for an evaluation either
    token.arm(evaluate_call(staking, 0, [1]))
    staking.commit("grace", mock_model(1))
    token.refused_with(ReentrancyGuardReentrantCall)
    with pytest.raises(CompetitionChunkAlreadyEvaluated):
        scored.evaluate(0, [alices])

    scored.evaluate(0, [bobs])
    for index in (1, 2):
        scored.evaluate(index, [alices, bobs])
    assert scored.call("submission", alices)[4] == 7 + 8 + 9
    assert scored.call("submission", bobs)[4] == 1 + 2 + 3
    assert scored.phase() == FINALIZED
    moves = {who: -STAKE for who in ("dave", "erin", "frank", "grace")}
    ledger.check({**moves, staking.address: 4 * STAKE})  # evaluation moved nothing
    assert scored.balance() == escrowed(scored) == 1000 * T


def _ranked(stack: Stack) -> Competition:
    """Finalized and ranked: mallory 1st (600), alice 2nd (300), bob 3rd (100), bond 500."""
    comp = stack.world.create(creatorBond=BOND)
    mallorys = mallory_commit(stack, comp, mock_model(90))
    alices = comp.commit("alice", mock_model(50))
    bobs = comp.commit("bob", mock_model(10))
    comp.to_reveal()
    stack.token.act(reveal_call(comp, mallorys))
    comp.reveal("alice", alices)
    comp.reveal("bob", bobs)
    comp.to_test_reveal()
    comp.reveal_test_set()
    comp.evaluate_all([mallorys, alices, bobs])
    assert comp.phase() == FINALIZED and comp.call("outcome") == RANKED
    return comp


def test_claim_payout_reentrantClaimFinalizeOrEvaluate_isRefused(stack: Stack) -> None:
    token = stack.token
    comp = _ranked(stack)
    payees = (stack.mallory, "alice", "bob", "carol")
    ledger = stack.ledger(comp.address)
    assert comp.balance() == owes(comp, *payees) == 1000 * T + BOND

    token.arm(call_of(comp.contract, "claim"))  # mallory claims, and claims again inside
    token.act(call_of(comp.contract, "claim"))
    token.refused_with(ReentrancyGuardReentrantCall)
    assert comp.call("hasClaimed", stack.mallory)
    assert comp.balance() == owes(comp, *payees)

    token.arm(call_of(comp.contract, "finalize"), before=True)  # inside alice's claim
    comp.send("claim", sender="alice")
    token.refused_with(ReentrancyGuardReentrantCall)
    assert comp.balance() == owes(comp, *payees)

    token.arm(call_of(comp.contract, "claim"))  # mallory again, inside carol's claim
    comp.send("claim", sender="carol")
    token.refused_with(ReentrancyGuardReentrantCall)

    token.arm(evaluate_call(comp, 0, [1]), before=True)  # inside bob's claim
    comp.send("claim", sender="bob")
    token.refused_with(ReentrancyGuardReentrantCall)

    with pytest.raises(CompetitionAlreadyClaimed):
        token.act(call_of(comp.contract, "claim"))
    ledger.check(
        {
            stack.mallory: 600 * T,
            "alice": 300 * T,
            "bob": 100 * T,
            "carol": BOND,
            comp.address: -(1000 * T + BOND),
        }
    )
    assert comp.balance() == owes(comp, *payees) == 0


def _defaulted(stack: Stack) -> Competition:
    """Finalized by default: mallory beats the training baseline, alice does not, bob's
    stake was forfeited. Pool 1010: mallory 606; the bond and the other 404 are burned."""
    world = stack.world
    comp = world.create(entryStake=STAKE, creatorBond=BOND, trainingBaseline=100)
    allow(stack, comp.address, STAKE)
    mallorys = mallory_commit(stack, comp, mock_model(60))  # 5 training chunks: 300
    alices = comp.commit("alice", mock_model(10))  # 50
    comp.commit("bob", mock_model(99))  # never revealed
    comp.to_reveal()
    stack.token.act(reveal_call(comp, mallorys))
    comp.reveal("alice", alices)
    comp.chain.clock.advance_to(comp.params["testRevealEnd"])  # the creator defaulted
    comp.evaluate_all_training([mallorys, alices])
    assert comp.phase() == FINALIZED and comp.call("outcome") == DEFAULTED
    return comp


@pytest.mark.parametrize(
    ("inner", "before"),
    [("finalize", False), ("claim", True)],
    ids=["reenter-finalize", "reenter-claim-before-update"],
)
def test_finalize_burnToTheSink_reentrantFinalizeOrClaim_isRefused(
    stack: Stack, inner: str, before: bool
) -> None:
    token = stack.token
    comp = _defaulted(stack)
    payees = (stack.mallory, "alice", "bob", "carol")
    ledger = stack.ledger(comp.address)
    burned = 1010 * T - 606 * T + BOND
    assert comp.balance() == 1010 * T + BOND

    token.arm(call_of(comp.contract, inner), before=before)
    comp.send("finalize", sender="frank")
    token.refused_with(ReentrancyGuardReentrantCall)
    assert comp.call("finalized") and not comp.call("hasClaimed", stack.mallory)
    assert comp.balance() == owes(comp, *payees) == 606 * T

    token.act(call_of(comp.contract, "claim"))
    ledger.check({SINK: burned, stack.mallory: 606 * T, comp.address: -(1010 * T + BOND)})
    assert comp.balance() == 0


def test_claimThatFinalizes_reentrantClaimDuringTheBurn_isRefused(stack: Stack) -> None:
    token = stack.token
    comp = _defaulted(stack)
    ledger = stack.ledger(comp.address)
    # mallory's claim first burns (transfer to the sink: the callback fires), then pays her
    token.arm(call_of(comp.contract, "claim"), before=True)
    token.act(call_of(comp.contract, "claim"))
    token.refused_with(ReentrancyGuardReentrantCall)
    ledger.check({SINK: 904 * T, stack.mallory: 606 * T, comp.address: -(1010 * T + BOND)})
    assert comp.balance() == 0
    with pytest.raises(CompetitionAlreadyClaimed):
        token.act(call_of(comp.contract, "claim"))


def test_revealTestSet_movesNoToken_andCannotBeReenteredOutOfPhaseOrTwice(stack: Stack) -> None:
    """Mallory is the creator; her competition is created through the factory, whose
    escrow pull cannot be re-entered to create (and escrow) a second one."""
    token, world, chain = stack.token, stack.world, stack.chain
    test_set = TestSet(samples=250, chunk_size=100)
    training = training_set(100)
    params = world.params(test_set, training, entryStake=STAKE, creatorBond=BOND)
    escrow = params["reward"] + params["creatorBond"]
    allow(stack, world.factory.address, 2 * escrow)
    ledger = stack.ledger()
    token.arm(call_of(world.factory, "createCompetition", as_tuple(params)))
    token.act(call_of(world.factory, "createCompetition", as_tuple(params)))
    token.refused_with(ReentrancyGuardReentrantCall)
    assert chain.call(world.factory.functions.competitionCount()) == 1
    address = chain.call(world.factory.functions.competitionAt(0))
    comp = Competition(world, world.at(address), "deployer", params, test_set, training)
    assert comp.call("creator") == stack.mallory
    ledger.check({stack.mallory: -escrow, address: escrow})

    ledger = stack.ledger(address)
    alices = comp.commit("alice", mock_model(50))
    bobs = comp.commit("bob", mock_model(10))
    comp.to_reveal()
    reveal_test = call_of(comp.contract, "revealTestSet", test_set.salt, "bafytest")

    token.arm(reveal_test)  # the creator reveals the test set amid alice's stake return
    comp.reveal("alice", alices)
    error = token.refused_with(CompetitionNotInPhase)
    assert (error.expected, error.actual) == (TEST_REVEAL, REVEAL)
    token.arm(call_of(comp.contract, "claim"), before=True)
    comp.reveal("bob", bobs)
    token.refused_with(ReentrancyGuardReentrantCall)
    assert not comp.call("testSetRevealed")

    comp.to_test_reveal()
    token.arm(reveal_test)  # a neighbouring transfer: the creator's reveal goes through
    token.transfer("dave", 1, sender="erin")
    token.succeeded()
    assert comp.call("testSetRevealed") and comp.phase() == EVALUATION
    assert comp.balance() == escrowed(comp) == escrow
    token.arm(call_of(comp.contract, "revealTestSet", bytes(32), "bafyother"))
    token.transfer("dave", 1, sender="erin")
    error = token.refused_with(CompetitionNotInPhase)
    assert (error.expected, error.actual) == (TEST_REVEAL, EVALUATION)
    assert comp.call("testSalt") == test_set.salt and comp.call("testDataCid") == "bafytest"

    comp.evaluate_all([alices, bobs])
    token.arm(reveal_test, before=True)  # inside the creator's own claim
    token.act(call_of(comp.contract, "claim"))
    error = token.refused_with(CompetitionNotInPhase)
    assert error.actual == FINALIZED
    comp.send("claim", sender="alice")
    comp.send("claim", sender="bob")
    # places: 6000 / 3000 bps to alice / bob; the unreached 10 % and the bond to the creator
    ledger.check(
        {
            "alice": 600 * T,
            "bob": 300 * T,
            "erin": -2 * T,
            "dave": 2 * T,
            stack.mallory: 100 * T + BOND,
            address: -escrow,
        }
    )
    assert comp.balance() == 0


# --- DataMarket -------------------------------------------------------------------------------


def mallory_listing(stack: Stack, *, price: int = 10 * T, collection: int = 0) -> int:
    m = stack.market
    stack.token.act(
        m.call_of(
            "createListing", price, "bafymeta", "bafydata", True, "", HOUR, COMMITMENT,
            collection,
        )
    )  # fmt: skip
    return int(m.call("listingCount"))


def market_accounts(stack: Stack) -> list[str]:
    return [*NAMES, stack.mallory]


def assert_market_exact(stack: Stack) -> None:
    m = stack.market
    assert m.balance(m.address) == m.owed(market_accounts(stack))


def test_buy_paymentPull_reentrantBuyOrWithdraw_isRefused(stack: Stack) -> None:
    token, m = stack.token, stack.market
    listing_id = mallory_listing(stack)
    ledger = stack.ledger()

    token.arm(m.call_of("buy", listing_id, m.public_key("bob")))
    first = m.buy("bob", listing_id)
    token.refused_with(ReentrancyGuardReentrantCall)
    assert m.call("purchaseCount") == 1
    token.act(m.call_of("deliver", first, WRAPPED_KEY))
    assert_market_exact(stack)

    # with revenue to take, mallory's withdraw inside carol's payment (before it arrives)
    token.arm(m.call_of("withdraw"), before=True)
    m.buy("carol", listing_id)
    token.refused_with(ReentrancyGuardReentrantCall)
    assert m.revenue(stack.mallory) == 10 * T
    assert_market_exact(stack)

    # buyWithPermit's pull, re-entered to refund carol's purchase (the guard stops it first)
    _value, deadline, v, r, s = token.permit("erin", m.address, 10)
    token.arm(m.call_of("refund", 2))
    m.tx("buyWithPermit", listing_id, m.public_key("erin"), deadline, v, r, s, sender="erin")
    token.refused_with(ReentrancyGuardReentrantCall)

    # deliver has no guard: the seller may deliver the purchase being paid for, since it
    # is recorded before the pull; the books stay exact
    token.arm(m.call_of("deliver", 4, WRAPPED_KEY), before=True)
    m.buy("dave", listing_id)
    token.succeeded()
    assert m.purchase(4)["status"] == DELIVERED and m.has_access(listing_id, "dave")
    assert m.revenue(stack.mallory) == 20 * T
    assert_market_exact(stack)

    ledger.check({who: -10 * T for who in ("bob", "carol", "dave", "erin")} | {m.address: 40 * T})
    token.act(m.call_of("withdraw"))
    with pytest.raises(DataMarketNothingToWithdraw):
        token.act(m.call_of("withdraw"))
    assert_market_exact(stack)
    assert m.balance(m.address) == 20 * T  # carol's and erin's purchases, still pending


def test_refund_reentrantRefundOrDeliver_isRefused(stack: Stack) -> None:
    token, m = stack.token, stack.market
    listing_id = mallory_listing(stack)
    bobs, carols = m.buy("bob", listing_id), m.buy("carol", listing_id)
    m.chain.clock.advance(HOUR)
    ledger = stack.ledger()

    token.arm(m.call_of("refund", bobs))
    m.tx("refund", bobs, sender="bob")
    token.refused_with(ReentrancyGuardReentrantCall)

    # the seller delivers (to be paid) the purchase being refunded: already refunded
    token.arm(m.call_of("deliver", carols, WRAPPED_KEY), before=True)
    m.tx("refund", carols, sender="carol")
    error = token.refused_with(DataMarketAlreadyRefunded)
    assert error.purchaseId == carols

    assert m.revenue(stack.mallory) == 0 and not m.has_access(listing_id, "carol")
    ledger.check({"bob": 10 * T, "carol": 10 * T, m.address: -20 * T})
    assert m.balance(m.address) == 0 == m.owed(market_accounts(stack))


def test_withdraw_reentrantWithdrawOrClaim_isRefused(stack: Stack) -> None:
    token, m = stack.token, stack.market
    listing_id = mallory_listing(stack)
    for buyer in ("bob", "carol"):
        token.act(m.call_of("deliver", m.buy(buyer, listing_id), WRAPPED_KEY))
    collection_id = m.create_collection("carol", stake=T)
    allow(stack, m.address, T)
    token.act(m.call_of("contribute", collection_id, "bafybatch", 10))
    m.tx("reviewBatch", 1, True, sender="carol")  # mallory is owed her stake back
    ledger = stack.ledger()

    token.arm(m.call_of("withdraw"))
    token.act(m.call_of("withdraw"))
    token.refused_with(ReentrancyGuardReentrantCall)
    assert m.revenue(stack.mallory) == 0
    assert_market_exact(stack)

    token.act(m.call_of("deliver", m.buy("dave", listing_id), WRAPPED_KEY))
    token.arm(m.call_of("claim", collection_id), before=True)
    token.act(m.call_of("withdraw"))
    token.refused_with(ReentrancyGuardReentrantCall)
    assert m.pending(collection_id, stack.mallory) == T
    assert_market_exact(stack)

    token.act(m.call_of("claim", collection_id))
    ledger.check({stack.mallory: 31 * T, "dave": -10 * T, m.address: -21 * T})
    assert m.balance(m.address) == 0 == m.owed(market_accounts(stack))


def test_claim_bountyStakeAndRevenue_reentrantClaimOrSettle_paysExactlyOnce(
    stack: Stack,
) -> None:
    token, m = stack.token, stack.market
    collection_id = m.create_collection(
        "carol", cut_bps=1000, review=DAY, stake=2 * T, bounty_per_row=T // 10, fund=50 * T
    )
    allow(stack, m.address, 4 * T)
    token.act(m.call_of("contribute", collection_id, "bafyone", 100))
    token.act(m.call_of("contribute", collection_id, "bafytwo", 50))
    m.tx("reviewBatch", 1, True, sender="carol")  # bounty 10 + stake 2
    sale = m.create_listing("carol", price=20 * T, collection=collection_id)
    m.deliver("carol", m.buy("bob", sale))  # curator 2, contributors 18 (all mallory's)
    m.chain.clock.advance(DAY)  # batch 2 may now be settled by anyone
    ledger = stack.ledger()
    assert m.pending(collection_id, stack.mallory) == 30 * T

    # settleBatch has no guard: inside the claim it credits batch 2 (bounty 5 + stake 2),
    # after the claim has zeroed what it pays, so nothing is paid twice
    token.arm(m.call_of("settleBatch", 2), before=True)
    token.act(m.call_of("claim", collection_id))
    token.succeeded()
    assert m.batch(2)["status"] != BATCH_PENDING
    assert m.pending(collection_id, stack.mallory) == 7 * T
    assert_market_exact(stack)

    token.arm(m.call_of("claim", collection_id))
    token.act(m.call_of("claim", collection_id))
    token.refused_with(ReentrancyGuardReentrantCall)
    with pytest.raises(DataMarketNothingToClaim):
        token.act(m.call_of("claim", collection_id))

    ledger.check({stack.mallory: 37 * T, m.address: -37 * T})
    assert m.collection(collection_id)["bountyFund"] == 35 * T
    assert m.revenue("carol") == 2 * T
    assert m.balance(m.address) == 37 * T == m.owed(market_accounts(stack))


def test_rejectedStake_toTheSink_reentrantReviewOrSettle_isRefused(stack: Stack) -> None:
    token, m = stack.token, stack.market
    token.act(m.call_of("createCollection", "bafyschema", 1000, DAY, 1000, 3 * T, 0, 0, 0))
    collection_id = int(m.call("collectionCount"))
    bobs = m.contribute("bob", collection_id, 10)
    daves = m.contribute("dave", collection_id, 10)
    ledger = stack.ledger()

    # mallory (the curator) rejects, and inside the burn accepts the same batch
    token.arm(m.call_of("reviewBatch", bobs, True))
    token.act(m.call_of("reviewBatch", bobs, False))
    token.refused_with(ReentrancyGuardReentrantCall)
    # settleBatch has no guard: the batch is already rejected before the stake moves
    token.arm(m.call_of("settleBatch", daves), before=True)
    token.act(m.call_of("reviewBatch", daves, False))
    error = token.refused_with(DataMarketBatchAlreadyRejected)
    assert error.batchId == daves

    for who in ("bob", "dave"):
        assert m.contributor(collection_id, who) == {"shares": 0, "rewardDebt": 0, "owed": 0}
    ledger.check({SINK: 6 * T, m.address: -6 * T})
    assert m.balance(m.address) == 0 == m.owed(market_accounts(stack))


def test_fundingPulls_reentrantContributeReviewOrSettle_stayExact(stack: Stack) -> None:
    token, m = stack.token, stack.market
    # mallory curates; her collection pays 1 token per row from a fund sponsors pay into
    token.act(m.call_of("createCollection", "bafyschema", 0, HOUR, 1000, T, T, 0, 0))
    collection_id = int(m.call("collectionCount"))
    ledger = stack.ledger()

    token.arm(m.call_of("contribute", collection_id, "bafyx", 5))  # amid bob's stake pull
    bobs = m.contribute("bob", collection_id, 10)
    token.refused_with(ReentrancyGuardReentrantCall)
    daves = m.contribute("dave", collection_id, 20)
    m.chain.clock.advance(HOUR)  # bob's batch can be settled (dave's too)

    # amid alice's funding, before it arrives: settling pays bob's bounty from the fund
    # already recorded; the pull then completes and the books are exact
    m.approve("alice", 100 * T)
    token.arm(m.call_of("settleBatch", bobs), before=True)
    m.tx("fundBounty", collection_id, 100 * T, sender="alice")
    token.succeeded()
    assert m.contributor(collection_id, "bob")["owed"] == 11 * T
    assert m.collection(collection_id)["bountyFund"] == 90 * T
    assert_market_exact(stack)

    m.approve("erin", 5 * T)
    token.arm(m.call_of("reviewBatch", daves, True))  # the curator's guarded review
    m.tx("fundBounty", collection_id, 5 * T, sender="erin")
    token.refused_with(ReentrancyGuardReentrantCall)
    assert m.batch(daves)["status"] == BATCH_PENDING
    assert_market_exact(stack)

    m.tx("claim", collection_id, sender="bob")
    ledger.check({"bob": 10 * T, "dave": -T, "alice": -100 * T, "erin": -5 * T, m.address: 96 * T})
    assert m.balance(m.address) == 96 * T == m.owed(market_accounts(stack))
