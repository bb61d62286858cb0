"""Chain.call's fast path answers exactly as web3's ``fn.call`` does, on every backend.

A market lives through one whole competition (a listing bought, a collection with a
reviewed batch, a team, three submissions evaluated and ranked), then every view of every
contract is read both ways: through ``Chain.call`` (which asks the provider directly) and
through web3's ``ContractFunction.call`` (what ``Chain.call`` did before). Values must be
equal with the same types all the way down (lists against tuples, checksummed addresses,
``bytes``, ``str``, ``bool`` against ``int``); reverts must raise the same class with the
same message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from web3.contract.contract import ContractFunction

import mlmarket as mm
from mlmarket.chain import Chain
from mlmarket.contracts import errors as ce
from mlmarket.contracts import load_artifact
from mlmarket.datasets import load_sample
from tests.chain.conftest import anvil_path, check_revm
from tests.conftest import require_tool

DAY = 86_400
TAG = b"\x11" * 32


@pytest.fixture(scope="module", params=["revm", "eth-tester", "anvil"])
def market(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[mm.Market]:
    if request.param == "revm":
        check_revm()
    if request.param == "anvil":
        require_tool(anvil_path(), "anvil (npm @foundry-rs/anvil in contracts/)")
    home = tmp_path_factory.mktemp(f"fast-call-{request.param}")
    with mm.Market.local(request.param, home=home, journal=False) as market:
        populate(market)
        yield market


def populate(market: mm.Market) -> None:
    """Listings, a purchase, a collection with a batch, and a finished competition."""
    cancer = load_sample("breast_cancer")
    listing = market.data.publish(
        cancer, owner="alice", price=10, name="Breast cancer", target="diagnosis"
    )
    market.data.buy(listing, buyer="bob")
    cols = market.data.collections
    col = cols.create(
        curator="carol", name="Cohort", template=cancer, target="diagnosis",
        curator_cut="0.1", review_window=2 * DAY,
    )  # fmt: skip
    cols.review(cols.contribute(col, cancer.iloc[:40], contributor="dave"), accept=True)

    comp = market.competitions.create(
        data=cancer, target="diagnosis", creator="alice", reward=100, name="Diagnosis",
        payout=[0.6, 0.3, 0.1],
    )  # fmt: skip
    comp.team("Red", ["erin", "frank"], shares=[0.75, 0.25])
    X, y = comp.training_xy()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    comp.submit(model.fit(X, y), by="bob")
    comp.submit(RidgeClassifier().fit(X, y), by="carol")
    comp.submit(LogisticRegression(C=0.0005, max_iter=5000).fit(X, y), by="erin")
    market.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    market.clock.advance_to(comp.deadline("reveal"))
    comp.reveal_test_set()
    comp.evaluate()
    assert comp.finalize() == "ranked"


def competition(market: mm.Market) -> Any:
    return market.competitions.all()[0]


def first_account(chain: Chain) -> str:
    return chain.address(next(iter(chain.accounts.values())))


# --- comparing two answers, types included ---------------------------------------------


def shape(value: Any) -> Any:
    """``value`` with the type of every part spelled out: equal shapes, equal answers."""
    if isinstance(value, list | tuple):
        return (type(value).__name__, [shape(item) for item in value])
    return (type(value).__name__, value)


def outcome(call: Any) -> tuple[str, Any]:
    """``("value", shape)`` of what ``call()`` returns, or ``("raised", class, message)``."""
    try:
        return ("value", shape(call()))
    except Exception as exc:  # noqa: BLE001 - any exception is part of the answer
        return ("raised", type(exc), str(exc))


def slow_outcome(chain: Chain, fn: ContractFunction) -> tuple[str, Any]:
    """What ``Chain.call`` answered before the fast path: web3's call, errors named."""

    def slow() -> Any:
        try:
            return fn.call({"from": first_account(chain)})
        except Exception as exc:  # noqa: BLE001 - as Chain.call catches it
            raise chain._as_revert(exc) from None

    return outcome(slow)


def forbid_web3(fn: ContractFunction) -> None:
    """Make web3's own path fail loudly for ``fn``: only the fast path can answer."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("Chain.call went through web3's ContractFunction.call")

    fn.call = refuse  # type: ignore[method-assign]


def count_web3_calls(fn: ContractFunction) -> list[int]:
    """Count calls of ``fn.call`` (still answered by web3)."""
    counter = [0]
    original = fn.call

    def counted(*args: Any, **kwargs: Any) -> Any:
        counter[0] += 1
        return original(*args, **kwargs)

    fn.call = counted  # type: ignore[method-assign]
    return counter


# --- every view of every contract ----------------------------------------------------------


def contracts(market: mm.Market) -> dict[str, Any]:
    found = market.contracts()
    for name in ("LinearEvaluator", "MlpEvaluator", "TreeEvaluator"):
        address = market.deployment.address(name)
        found[name] = market.chain.contract(address, load_artifact(name).abi)
    return found


def arguments(market: mm.Market, contract_name: str, fn_name: str, inputs: list[dict]) -> tuple:
    """Arguments that reach real records (id 1, the accounts that acted, a real family,
    the revealed test set and models); the other evaluators get bytes they refuse."""
    chain = market.chain
    comp = competition(market)
    features = comp.quantizer.features
    special: dict[str, Callable[[], tuple]] = {
        "allowance": lambda: ("alice", market.data.contract.address),
        "competitionAt": lambda: (0,),
        "evaluatorOf": lambda: (chain.call(comp.contract.functions.params())[3],),
        "isCompetition": lambda: (comp.address,),
        "claimsFor": lambda: (comp.address, 1),
        "leafLength": lambda: (comp.address,),
        "publicClaimOf": lambda: (comp.address, 1),
        "teamOf": lambda: (comp.team_of("erin").address,),
        "entrantOf": lambda: ("erin",),
        "getContributor": lambda: (1, "dave"),
        "sharesOf": lambda: (1, "dave"),
        "pendingRevenue": lambda: (1, "dave"),
        "hasAccess": lambda: (1, "bob"),
        "isEvaluated": lambda: (1, 0),
        "isEvaluatedOnTraining": lambda: (1, 0),
        "commitmentFor": lambda: ("bob", TAG, TAG),
    }
    if contract_name == "LinearEvaluator":  # the family of the three submissions
        chunk, models = comp._revealed_test_set()[0][0], list(comp.revealed_models().values())
        special |= {
            "checkModel": lambda: (models[0], features, 2, 10**9),
            "scoreBatch": lambda: (chunk, models, features, 2),
            "tallyBatch": lambda: (chunk, models, features, 2),
        }
    else:
        special |= {
            "checkModel": lambda: (b"\x01\x02", features, 2, 10**9),
            "scoreBatch": lambda: (b"", [b""], features, 2),
            "tallyBatch": lambda: (b"", [], features, 2),
        }
    if fn_name in special:
        args = special[fn_name]()
    else:
        defaults = {"address": "bob", "uint256": 1, "bytes32": TAG}
        args = tuple(defaults[i["type"]] for i in inputs)
    # Account names become checksummed addresses, as the package passes them.
    return tuple(
        chain.address(a) if i["type"] == "address" and isinstance(a, str) else a
        for a, i in zip(args, inputs, strict=True)
    )


def views(market: mm.Market) -> Iterator[tuple[str, ContractFunction]]:
    for contract_name, contract in contracts(market).items():
        for element in contract.abi:
            if element.get("type") != "function":
                continue
            if element.get("stateMutability") not in ("view", "pure"):
                continue
            args = arguments(market, contract_name, element["name"], element["inputs"])
            fn = contract.get_function_by_name(element["name"])(*args)
            yield f"{contract_name}.{element['name']}", fn


def test_everyView_answersAsWeb3_withTheSameTypes(market: mm.Market) -> None:
    chain = market.chain
    compared = raised = 0
    for name, fn in views(market):
        expected = slow_outcome(chain, fn)
        if expected[0] == "value":
            forbid_web3(fn)  # a value must come from the fast path
        assert outcome(lambda fn=fn: chain.call(fn)) == expected, name
        compared += 1
        raised += expected[0] == "raised"
    assert compared > 90  # every view of the deployment, not a few
    assert raised == 7  # claimOf(1) (no claim) and the other evaluators' bad bytes


@pytest.mark.parametrize(
    ("contract_name", "fn_name", "kind"),
    [
        ("DataMarket", "getListing", tuple),  # structs are tuples
        ("DataMarket", "getCollection", tuple),
        ("DataMarket", "getBatch", tuple),
        ("DataMarket", "getContributor", tuple),
        ("Competition[0]", "params", tuple),  # a big struct, with an array inside
        ("Competition[0]", "ranking", list),  # uint256[]
        ("Competition[0]", "winner", list),  # several outputs: a list
        ("Competition[0]", "testDataCid", str),
        ("Competition[0]", "teamOf", tuple),  # address[] inside a struct
        ("MarketToken", "balanceOf", int),
        ("MarketToken", "eip712Domain", list),  # bytes1, strings, address, uint256[]
        ("CompetitionFactory", "implementation", str),  # an address
        ("LinearEvaluator", "tallyBatch", list),  # uint256, uint256[], uint256[][]
    ],
)
def test_namedViews_carryRealData_andMatchWeb3(
    market: mm.Market, contract_name: str, fn_name: str, kind: type
) -> None:
    chain = market.chain
    contract = contracts(market)[contract_name]
    inputs = contract.get_function_by_name(fn_name).abi["inputs"]
    fn = contract.get_function_by_name(fn_name)(*arguments(market, contract_name, fn_name, inputs))
    expected = fn.call({"from": first_account(chain)})
    forbid_web3(fn)
    answer = chain.call(fn)
    assert shape(answer) == shape(expected)
    assert type(answer) is kind
    assert answer not in (0, "", [], ())  # real records, not defaults


def test_structs_haveNestedListsAndChecksummedAddresses(market: mm.Market) -> None:
    chain = market.chain
    comp = competition(market)
    red = comp.team_of("erin")
    members, shares, accepted, formed = chain.call(comp.contract.functions.teamOf(red.address))
    assert type(members) is list and members == [chain.address("erin"), chain.address("frank")]
    assert type(shares) is list and shares == [7500, 2500]
    assert (accepted, formed) == (2, True)
    winner_id, submitter, model_hash = chain.call(comp.contract.functions.winner())
    entrants = {chain.address("bob"), chain.address("carol"), red.address}
    assert winner_id >= 1 and submitter in entrants  # checksummed, as web3 returns it
    assert type(model_hash) is bytes and len(model_hash) == 32
    ranking = chain.call(comp.contract.functions.ranking())
    assert type(ranking) is list and winner_id == ranking[0] and len(ranking) == 3
    assert chain.call(comp.contract.functions.testDataCid()).startswith("baf")
    params = chain.call(comp.contract.functions.params())
    assert [6000, 3000, 1000] in params  # the payout array, a list inside the tuple


def test_fastPath_sendsOneEthCall_withWeb3sCalldata(
    market: mm.Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain = market.chain
    fn = market.token.contract.functions.balanceOf(chain.address("bob"))
    expected = fn.call({"from": chain.address("carol")})
    provider = chain.w3.provider
    sent: list[tuple[str, Any]] = []
    ask = provider.make_request

    def spy(method: str, params: Any) -> Any:
        sent.append((method, params))
        return ask(method, params)

    monkeypatch.setattr(provider, "make_request", spy)
    direct: list[tuple[Any, ...]] = []
    if chain.backend.direct_calls:  # the in-process node answers without JSON-RPC
        answer = chain.backend.call_bytes
        monkeypatch.setattr(
            chain.backend, "call_bytes", lambda *args: direct.append(args) or answer(*args)
        )
    assert chain.call(fn, sender="carol") == expected > 0
    data = fn._encode_transaction_data()
    if chain.backend.direct_calls:
        assert sent == []
        assert direct == [(chain.address("carol"), fn.address, bytes.fromhex(data[2:]), "latest")]
    else:
        request = {"from": chain.address("carol"), "to": fn.address, "data": data}
        assert sent == [("eth_call", [request, "latest"])]


def test_repeatedReads_followTheState_notACache(market: mm.Market) -> None:
    """Calldata is kept per arguments and values per answer: a read after a transfer
    sees the new balance."""
    chain, token = market.chain, market.token.contract
    bob = chain.address("bob")
    before = chain.read(token, "balanceOf", bob)
    assert chain.read(token, "balanceOf", bob) == before
    market.token.transfer("bob", 1, sender="alice")
    assert chain.read(token, "balanceOf", bob) == before + 10**18
    assert chain.read(token, "balanceOf", chain.address("alice")) != before + 10**18


def test_aRevert_raisesTheSameNamedError_throughWeb3(market: mm.Market) -> None:
    chain = market.chain
    fn = market.data.contract.functions.getListing(12_345)
    expected = slow_outcome(chain, fn)
    web3_calls = count_web3_calls(fn)
    with pytest.raises(ce.DataMarketUnknownListing, match="There is no listing 12345") as caught:
        chain.call(fn)
    assert ("raised", type(caught.value), str(caught.value)) == expected
    assert web3_calls == [1]  # the fast path saw the revert and handed it to web3


@pytest.mark.parametrize(
    "case",
    ["keyword argument", "lowercase address", "hex string for bytes32", "rpc backend"],
)
def test_unusualCalls_takeWeb3sPath_unchanged(
    market: mm.Market, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    chain = market.chain
    bob = chain.address("bob")
    functions = market.token.contract.functions
    comp_functions = competition(market).contract.functions
    fn = {
        "keyword argument": lambda: functions.balanceOf(account=bob),
        "lowercase address": lambda: functions.balanceOf(bob.lower()),
        "hex string for bytes32": lambda: comp_functions.commitmentFor(bob, "0x" + TAG.hex(), TAG),
        "rpc backend": lambda: functions.balanceOf(bob),
    }[case]()
    if case == "rpc backend":  # a remote node keeps web3's whole path
        monkeypatch.setattr(chain.backend, "kind", "rpc")
    expected = slow_outcome(chain, fn)
    web3_calls = count_web3_calls(fn)
    assert outcome(lambda: chain.call(fn)) == expected
    assert web3_calls == [1]


def test_readByName_answersAsCall_forEveryView(market: mm.Market) -> None:
    """``Chain.read(contract, name, *args)`` is ``call(contract.functions[name](*args))``."""
    chain = market.chain
    compared = 0
    for label, contract in contracts(market).items():
        for element in contract.abi:
            if element.get("type") != "function" or element.get("stateMutability") not in (
                "view",
                "pure",
            ):
                continue
            args = arguments(market, label, element["name"], element["inputs"])
            fn = contract.get_function_by_name(element["name"])(*args)
            expected = outcome(lambda fn=fn: chain.call(fn))
            got = outcome(lambda c=contract, n=element["name"], a=args: chain.read(c, n, *a))
            assert got == expected, f"{label}.{element['name']}"
            compared += 1
    assert compared > 90


def test_readByName_revertsWithTheNamedError(market: mm.Market) -> None:
    with pytest.raises(ce.DataMarketUnknownListing, match="There is no listing 12345"):
        market.chain.read(market.data.contract, "getListing", 12_345)


def test_readByName_needsNoWeb3FunctionObject(
    market: mm.Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = market.token.contract
    expected = market.chain.call(token.functions.balanceOf(market.chain.address("alice")))
    monkeypatch.setattr(token, "functions", None)  # the fallback would need it
    assert market.chain.read(token, "balanceOf", market.chain.address("alice")) == expected


def test_transactions_areBuiltAsWeb3BuildsThem(
    market: mm.Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The transactions of a lifecycle (token and competition calls, and the struct of
    ``createCompetitionWithPermit``), sent by name (``Chain.send``) or as web3 function
    objects (``Chain.transact``): the calldata equals ``build_transaction``'s."""
    compared: list[str] = []
    signed: list[dict] = []
    original_send, original_data = Chain.send, Chain._transaction_data
    original_sign = Chain._sign_and_send

    def expect(chain: Chain, fn: Any) -> str:
        return fn.build_transaction({"from": first_account(chain), "gas": 1_000_000})["data"]

    def checked_data(self: Chain, fn: Any) -> str | None:
        data = original_data(self, fn)
        if data is not None:
            assert data == expect(self, fn), fn.fn_name
            compared.append(fn.fn_name)
        return data

    def checked_send(self: Chain, contract: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        before = len(signed)
        receipt = original_send(self, contract, name, *args, **kwargs)
        assert signed[before]["data"] == expect(self, contract.functions[name](*args)), name
        compared.append(name)
        return receipt

    def record(self: Chain, tx: dict, *args: Any) -> Any:
        signed.append(tx)
        return original_sign(self, tx, *args)

    monkeypatch.setattr(Chain, "_transaction_data", checked_data)
    monkeypatch.setattr(Chain, "send", checked_send)
    monkeypatch.setattr(Chain, "_sign_and_send", record)
    market.token.transfer("bob", 1, sender="alice")
    comp = market.competitions.create(
        data=load_sample("breast_cancer"), target="diagnosis", creator="alice", reward=5
    )
    X, y = comp.training_xy()
    comp.submit(make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y), by="bob")
    market.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    assert {"transfer", "createCompetitionWithPermit", "commit", "reveal"} <= set(compared)


def test_sendByName_needsNoWeb3FunctionObject_andFallsBackWhereThePlanDoesNot(
    market: mm.Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    from web3.exceptions import MismatchedABI

    chain, token = market.chain, market.token.contract
    bob = chain.address("bob")
    before = chain.read(token, "balanceOf", bob)
    with monkeypatch.context() as patched:
        patched.setattr(token, "functions", None)  # the fallback would need it
        receipt = chain.send(token, "transfer", bob, 5, sender="alice")
    assert receipt["status"] == 1 and chain.history[-1].action == "transfer"
    assert chain.read(token, "balanceOf", bob) == before + 5
    block = chain.block_number
    with pytest.raises(MismatchedABI, match="transfer"):  # web3's own words
        chain.send(token, "transfer", bob, "five", sender="alice")
    with pytest.raises(ce.ERC20InsufficientBalance):  # the contract's named error, as transact
        chain.send(token, "transfer", bob, 10**40, sender="carol")
    assert chain.block_number == block


# --- events ----------------------------------------------------------------------------------


def test_everyEvent_readsAsWeb3sGetLogs_withTheSameTypes(
    market: mm.Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Chain.logs`` answers what ``event.get_logs(from_block=...)`` answers, for every
    event of every contract; the events the session emitted are all decoded on the fast
    path (web3's ``get_logs`` is never asked)."""
    chain = market.chain
    found = {}
    for label, contract in contracts(market).items():
        for entry in contract.abi:
            if entry.get("type") != "event":
                continue
            event = contract.events[entry["name"]]
            expected = [dict(e) | {"args": dict(e["args"])} for e in event.get_logs(from_block=0)]
            for start in (0, chain.block_number):
                web3_answer = event.get_logs(from_block=start)
                ours = chain.logs(event, from_block=start)
                assert ours == web3_answer, (label, entry["name"], start)
                assert [shape(list(e.values())) for e in ours] == [
                    shape(list(e.values())) for e in web3_answer
                ]
                assert [shape(list(e["args"].values())) for e in ours] == [
                    shape(list(e["args"].values())) for e in web3_answer
                ]
            found[(label, entry["name"])] = len(expected)
    emitted = {key for key, count in found.items() if count}
    assert {("Competition[0]", "SubmissionRevealed"), ("DataMarket", "Purchased"),
            ("MarketToken", "Transfer")} <= emitted  # fmt: skip
    assert len(emitted) >= 20
    # The fast path answers alone: web3's get_logs is not called for any of them.
    monkeypatch.setattr(
        type(market.token.contract.events.Transfer),
        "get_logs",
        lambda *a, **k: pytest.fail("Chain.logs went through web3's get_logs"),
    )
    assert chain.logs(market.token.contract.events.Transfer)


def test_everyReceiptsEvents_decodeAsWeb3sProcessReceipt(
    market: mm.Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Chain.receipt_events`` answers what ``event().process_receipt(receipt,
    errors=DISCARD)`` answers, for every event of every contract in every receipt of the
    session (an event from another contract with the same signature included, as web3)."""
    from web3.logs import DISCARD

    chain = market.chain
    receipts = [chain.w3.eth.get_transaction_receipt(r.tx_hash) for r in chain.history]
    decoded = 0
    for label, contract in contracts(market).items():
        for entry in contract.abi:
            if entry.get("type") != "event":
                continue
            event = contract.events[entry["name"]]
            for receipt in receipts:
                web3_answer = list(event().process_receipt(receipt, errors=DISCARD))
                ours = chain.receipt_events(event, receipt)
                assert ours == web3_answer, (label, entry["name"], receipt["transactionHash"])
                assert [shape(list(e.values())) for e in ours] == [
                    shape(list(e.values())) for e in web3_answer
                ]
                assert [shape(list(e["args"].values())) for e in ours] == [
                    shape(list(e["args"].values())) for e in web3_answer
                ]
                decoded += len(ours)
    assert decoded >= 50
    # The plans answer alone: web3's process_receipt is not called.
    transfer = market.token.contract.events.Transfer
    paid = next(r for r in receipts if list(transfer().process_receipt(r, errors=DISCARD)))
    expected = list(transfer().process_receipt(paid, errors=DISCARD))
    monkeypatch.setattr(
        type(transfer),
        "process_receipt",
        lambda *a, **k: pytest.fail("receipt_events went through web3's process_receipt"),
    )
    assert chain.receipt_events(transfer, paid) == expected
