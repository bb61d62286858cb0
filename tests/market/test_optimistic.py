"""Optimistic evaluation through the Market API: claims, watchers, settlement, and the same
ranking as on-chain evaluation (docs/competition-protocol.md, "Optimistic evaluation")."""

from __future__ import annotations

import pandas as pd
import pytest
from eth_utils import keccak
from sklearn.datasets import make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError

import mlmarket as mm
from mlmarket.contracts.sink import SINK
from mlmarket.errors import ConfigurationError
from mlmarket.market.claims import Evidence
from mlmarket.market.phases import CompetitionPhaseError

DAY = 86_400
PERIODS = {"submission": 2 * DAY, "reveal": DAY, "test_reveal": DAY, "evaluation": 2 * DAY}
BOARD = ["id", "submitter", "score", "rank", "prize", "winner"]


def create(market: mm.Market, data: pd.DataFrame, **options: object) -> mm.Competition:
    options.setdefault("target", "diagnosis")
    options.setdefault("evaluation", "optimistic")
    return market.competitions.create(
        data=data, creator="alice", reward=100, payout=[0.6, 0.4], periods=PERIODS, **options
    )  # fmt: skip


def classifier(c: float) -> object:
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))


def to_evaluation(market: mm.Market, comp: mm.Competition, models: dict[str, object]) -> None:
    """Submit ``models`` (by account), reveal them and the test set."""
    X, y = comp.training_xy()
    for who, model in models.items():
        comp.submit(model.fit(X, y), by=who)  # type: ignore[attr-defined]
    market.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    market.clock.advance_to(comp.deadline("reveal"))
    comp.reveal_test_set()


def board(comp: mm.Competition) -> pd.DataFrame:
    return comp.leaderboard()[BOARD].sort_values("id").reset_index(drop=True)


def claimed_then_settled(market: mm.Market, comp: mm.Competition) -> pd.DataFrame:
    posted = comp.claim_scores(by="grace")
    market.clock.advance(comp.params.challenge_window + 1)
    assert comp.finalize() == "ranked"
    return posted


MODELS = {"bob": 1.0, "carol": 0.01, "dave": 0.3}


@pytest.mark.parametrize("metric", ["accuracy", "balanced_accuracy", "macro_f1"])
def test_claims_rankAsOnChainEvaluation_sameScoresPlacesAndPrizes(
    fresh: mm.Market, cancer: pd.DataFrame, metric: str
) -> None:
    comp = create(fresh, cancer, metric=metric)
    to_evaluation(fresh, comp, {who: classifier(c) for who, c in MODELS.items()})
    snap = fresh.chain.snapshot()
    comp.evaluate(by="frank")
    assert comp.finalize() == "ranked"
    on_chain = board(comp)
    fresh.chain.revert(snap)
    posted = claimed_then_settled(fresh, comp)
    assert len(posted) == 3 and set(posted["status"]) == {"open"}
    assert (comp.claims()["status"] == "final").all()
    pd.testing.assert_frame_equal(board(comp), on_chain)
    assert on_chain["rank"].notna().all()
    assert comp.leaderboard().sort_values("id")["status"].tolist() == [
        f"scored by claim #{i}" for i in (1, 2, 3)
    ]


def test_claims_rankRegressionsByMae_asOnChain(fresh: mm.Market) -> None:
    X, y = make_regression(n_samples=300, n_features=5, noise=10.0, random_state=0)
    data = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)]).assign(y=y)
    comp = create(fresh, data, target="y", metric="mae")
    X_train, y_train = comp.training_xy()
    models = {"bob": LinearRegression(), "carol": LinearRegression(fit_intercept=False)}
    to_evaluation(fresh, comp, models)
    snap = fresh.chain.snapshot()
    comp.evaluate(by="frank")
    comp.finalize()
    on_chain = board(comp)
    fresh.chain.revert(snap)
    claimed_then_settled(fresh, comp)
    pd.testing.assert_frame_equal(board(comp), on_chain)


def post_wrong_claim(comp: mm.Competition, sub_id: int, who: str) -> int:
    """A claim whose first chunk says 5 more correct predictions."""
    leaves = comp.chunk_results(sub_id)
    leaves[0] = [leaves[0][0] + 5, *leaves[0][1:]]
    return comp.post_claim(sub_id, leaves, by=who)


def test_watcher_voidsAWrongClaim_takesItsBond_andTheHonestClaimStands(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer, claim_bond=20, challenge_bond=2)
    to_evaluation(fresh, comp, {"bob": classifier(1.0), "carol": classifier(0.01)})
    wrong = post_wrong_claim(comp, 2, "carol")  # carol inflates her own score
    comp.claim_scores(by="grace")
    before = {w: fresh.token.raw_balance_of(w) for w in ("carol", "erin", "grace")}
    sink = fresh.token.raw_balance_of(SINK)
    done = comp.watch(by="erin")
    assert done[["action", "claim", "submission", "chunk", "result"]].values.tolist() == [
        ["challenge", wrong, 2, 0, "voided"]
    ]
    bond = 20 * 10**18
    assert fresh.token.raw_balance_of("erin") - before["erin"] == bond * 8 // 10
    assert fresh.token.raw_balance_of(SINK) - sink == bond // 5
    assert fresh.token.raw_balance_of("carol") == before["carol"]  # the bond was already locked
    assert comp.watch(by="erin").empty  # the honest claims are right: nothing to do
    fresh.clock.advance(comp.params.challenge_window + 1)
    settled = comp.watch(by="erin")
    assert settled["result"].tolist() == ["final", "final"]
    assert fresh.token.raw_balance_of("grace") == before["grace"] + 2 * bond  # bonds back
    assert comp.claims().set_index("claim")["status"].to_dict() == {1: "voided", 2: "final",
                                                                     3: "final"}  # fmt: skip
    assert comp.phase == "finalized"  # every revealed final is scored: evaluation ends early


def test_claimScores_skipsModelsAlreadyScored(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    comp = create(fresh, cancer)
    to_evaluation(fresh, comp, {"bob": classifier(1.0), "carol": classifier(0.01)})
    comp.claim_scores(by="grace", submissions=[1])
    fresh.clock.advance(comp.params.challenge_window + 1)
    comp.settle_claims()  # bob's model is scored by its claim
    assert comp.claim_scores(by="heidi")["submission"].tolist() == [2]


def test_claimScores_onceEach_evaluateLeavesClaimScoredModelsAlone(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer)
    to_evaluation(fresh, comp, {"bob": classifier(1.0), "carol": classifier(0.01)})
    comp.claim_scores(by="grace", submissions=[1])
    assert comp.claim_scores(by="heidi", submissions=[1]).empty  # the same results are claimed
    fresh.clock.advance(comp.params.challenge_window + 1)
    comp.settle_claims()
    assert comp.evaluate(by="frank") >= 1  # only carol's model is left to score on chain
    scored = {int(log["args"]["id"])
              for log in comp.contract.events.SubmissionScored.get_logs(from_block=0)}  # fmt: skip
    assert scored == {2}
    assert comp.phase == "finalized"


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"evaluation": "zk"}, "evaluation must be one of"),
        ({"evaluation": "on-chain", "claim_bond": 5}, "are for evaluation='optimistic'"),
        ({"challenge_window": 60}, "at least 3600 s"),
        ({"challenge_window": 2 * DAY}, "shorter than the evaluation phase"),
        ({"challenge_window": pd.Timedelta(days=3)}, "shorter than the evaluation phase"),
        ({"claim_bond": "0.5"}, "at least 1 % of the reward"),
        ({"challenge_bond": 0}, "challenge_bond must be positive"),
    ],
)
def test_create_refusesBadOptimisticOptions_beforeAnythingIsSent(
    fresh: mm.Market, cancer: pd.DataFrame, options: dict[str, object], says: str
) -> None:
    block = fresh.chain.block_number
    with pytest.raises(ConfigurationError, match=says):
        create(fresh, cancer, **options)
    assert fresh.chain.block_number == block


def test_claimScores_refusedOutOfPhase_tooLate_andOnChainOnly_minesNothing(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer, challenge_window=DAY)
    X, y = comp.training_xy()
    comp.submit(classifier(1.0).fit(X, y), by="bob")
    block = fresh.chain.block_number
    with pytest.raises(CompetitionPhaseError, match="Evaluation opens after the test-set"):
        comp.claim_scores(by="grace")
    assert fresh.chain.block_number == block
    fresh.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    fresh.clock.advance_to(comp.deadline("reveal"))
    comp.reveal_test_set()
    fresh.clock.advance_to(comp.deadline("evaluation") - DAY)
    block = fresh.chain.block_number
    with pytest.raises(ConfigurationError, match="Too late to claim"):
        comp.claim_scores(by="grace")
    assert fresh.chain.block_number == block
    plain = fresh.competitions.create(data=cancer, target="diagnosis", creator="alice",
                                      reward=10, periods=PERIODS)  # fmt: skip
    assert plain.evaluation == "on-chain"
    with pytest.raises(ConfigurationError, match="evaluated on chain only"):
        plain.claims()


def test_claims_table_saysStatusScoreBondWindow(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    comp = create(fresh, cancer, claim_bond=12)
    to_evaluation(fresh, comp, {"bob": classifier(1.0)})
    assert comp.claims().empty
    posted = comp.claim_scores(by="grace")
    row = posted.iloc[0]
    assert (row["submission"], row["claimer"], row["status"], row["bond"]) == (
        1,
        "grace",
        "open",
        12.0,
    )
    posted_at = int(fresh.chain.w3.eth.get_block("latest")["timestamp"])
    assert row["challengeable"] and row["window_end"] == pd.Timestamp(
        posted_at + comp.params.challenge_window, unit="s", tz="UTC"
    )
    correct = sum(leaf[0] for leaf in comp.chunk_results(1))
    assert row["score"] == correct / comp.params.samples


def test_challengeStarvedOfGas_raisesOutOfGas_neverVoidsAnHonestClaim(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    """With the real evaluator, a challenge sent with too little gas for the scoring call
    raises ScoreClaimsOutOfGas (or runs out of gas outright); it never voids a right claim."""
    comp = create(fresh, cancer)
    to_evaluation(fresh, comp, {"bob": classifier(1.0)})
    comp.claim_scores(by="grace")
    evidence = Evidence(comp)
    opening = evidence.opening(1, evidence.leaves(1), 0)
    contract = fresh.competitions.score_claims
    fresh.token.approve(contract.address, 10, owner="erin")
    fn = contract.functions.challenge(1, opening)
    sender = fresh.chain.address("erin")
    needed = fn.estimate_gas({"from": sender})
    out_of_gas = "0x" + keccak(text="ScoreClaimsOutOfGas()")[:4].hex()
    seen = set()
    for gas in [*range(needed // 4, needed, needed // 200), 2 * needed]:
        try:
            assert fn.call({"from": sender, "gas": gas}) is False
            seen.add("failed challenge")
        except ContractCustomError as error:
            seen.add("ScoreClaimsOutOfGas" if str(error.data).startswith(out_of_gas) else "other")
        except (ContractLogicError, Web3RPCError):
            seen.add("out of gas outright")
    assert {"ScoreClaimsOutOfGas", "failed challenge"} <= seen and "other" not in seen


def test_leaderboard_saysWhichClaimScoredASubmission(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer)
    to_evaluation(fresh, comp, {"bob": classifier(1.0), "carol": classifier(0.01)})
    comp.claim_scores(by="grace", submissions=[2])
    assert comp.leaderboard().set_index("id")["status"].to_dict() == {
        1: "revealed",
        2: "claim #1 open",
    }
    fresh.clock.advance(comp.params.challenge_window + 1)
    comp.settle_claims()
    comp.evaluate(by="frank")
    assert comp.leaderboard().set_index("id")["status"].to_dict() == {
        1: "scored",
        2: "scored by claim #1",
    }
