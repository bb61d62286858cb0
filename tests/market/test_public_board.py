"""The public leaderboard through the Market API: bonded public claims with each commit, the
board during the submission phase with no model revealed, a watcher voiding a false claim
(the submission is disqualified), bonds back or to the sink, the private board's shake-up."""

from __future__ import annotations

import string

import pandas as pd
import pytest
from sklearn.datasets import make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlmarket as mm
from mlmarket.contracts import load_artifact
from mlmarket.contracts.errors import (
    CompetitionPublicChecksOpen,
    ERC20InsufficientBalance,
    ScoreClaimsInvalidLeaves,
    ScoreClaimsNoPublicBoard,
    ScoreClaimsNotEntrant,
    ScoreClaimsNotInSubmission,
    ScoreClaimsPublicClaimExists,
)
from mlmarket.contracts.sink import SINK
from mlmarket.errors import ConfigurationError
from mlmarket.market.leaderboard import COLUMNS
from mlmarket.ml import export
from mlmarket.ml.metrics import metric_score, metric_value

DAY = 86_400
PERIODS = {"submission": 2 * DAY, "reveal": DAY, "test_reveal": DAY, "evaluation": 2 * DAY}
C = {"bob": 1.0, "carol": 0.001, "dave": 0.3}
BOND = 10**18  # the default public-claim bond: 1 % of the reward of 100


def create(market: mm.Market, data: pd.DataFrame, **options: object) -> mm.Competition:
    options.setdefault("target", "diagnosis")
    options.setdefault("public_size", 0.4)
    return market.competitions.create(
        data=data, creator="alice", reward=100, payout=[0.6, 0.4], periods=PERIODS, **options
    )  # fmt: skip


def classifier(c: float) -> object:
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))


def submit_all(comp: mm.Competition, who: dict[str, float]) -> dict[str, object]:
    X, y = comp.training_xy()
    models = {name: classifier(c).fit(X, y) for name, c in who.items()}
    for name, model in models.items():
        comp.submit(model, by=name)
    return models


def tokens(market: mm.Market, comp: mm.Competition) -> int:
    """Every token this test can move: the session's accounts, the sink and the contracts."""
    holders = [*market.chain.accounts.values(), SINK, comp.address,
               market.competitions.score_claims.address]  # fmt: skip
    return sum(market.token.raw_balance_of(h) for h in holders)


def public_score(comp: mm.Competition, model: object) -> float:
    """The model's public score computed apart from the package's claim code."""
    q, p = comp.quantizer, comp.params
    rows = comp.public_data()
    X, y = rows.drop(columns=comp.metadata["target"]), rows[comp.metadata["target"]]
    labels = q.encode_labels(y)
    predicted = export(model, q).predict_quantised(q.transform(X))
    raw = metric_score(p.metric_name, labels, predicted, classes=p.classes)
    shift = q.label_shift if p.regression else 0
    return metric_value(p.metric_name, raw, labels=labels, classes=p.classes, label_shift=shift)


def test_publicBoard_ranksClaimedScores_inTheSubmissionPhase_withNoModelRevealed(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer)
    p = comp.params
    assert comp.public_board and p.public_samples == 69 and p.samples == 171 - 69  # 0.4 of 171
    assert len(comp.public_data()) == p.public_samples
    assert comp.public_chunks().root == p.public_root and p.public_window == DAY // 2
    before = {w: fresh.token.raw_balance_of(w) for w in C}
    models = submit_all(comp, C)
    board = comp.leaderboard("public")
    assert board.columns.tolist() == ["rank", "id", "entrant", "score", "metric", "claim",
                                      "status", "disqualified"]  # fmt: skip
    by_id = board.set_index("id")
    for sub_id, (name, model) in enumerate(models.items(), start=1):
        assert by_id.loc[sub_id, "entrant"] == name
        assert by_id.loc[sub_id, "score"] == pytest.approx(public_score(comp, model), abs=1e-12)
        assert fresh.token.raw_balance_of(name) == before[name] - BOND  # the bond is locked
    expected = sorted(by_id.index, key=lambda i: (-by_id.loc[i, "score"], i))
    assert board["id"].tolist() == expected and board["rank"].tolist() == [1, 2, 3]
    assert set(board["status"]) == {"open"} and not board["disqualified"].any()
    # Nothing about any model is public: no reveal event, no revealed bytes, no revealed flag.
    assert comp.contract.events.SubmissionRevealed.get_logs(from_block=0) == []
    assert comp.revealed_models() == {}
    assert not any(fresh.chain.call(comp.contract.functions.submission(i))[2] for i in (1, 2, 3))
    claims = comp.claims()
    assert claims["board"].tolist() == ["public"] * 3 and claims["challengeable"].all()
    assert comp.watch(by="frank").empty  # nothing can be checked before the reveals


def test_falsePublicClaim_isVoidedByTheWatcher_disqualified_bondsBackOrToTheSink(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer)
    total = tokens(fresh, comp)
    submit_all(comp, C)
    X, y = comp.training_xy()
    liar = comp.submit(classifier(0.1).fit(X, y), by="erin", public_claim=False)
    results = comp.public_results(liar)
    results[0] = [results[0][0] + 5]  # five more right answers than the model has
    false_claim = comp.post_public_claim(liar, by="erin", results=results)
    assert comp.leaderboard("public").iloc[0]["id"] == liar.id  # on top, for now
    fresh.clock.advance_to(comp.deadline("submission"))
    for sub_id in (1, 2, liar.id):  # dave (3) never reveals
        comp.reveal(sub_id)
    sink, frank = fresh.token.raw_balance_of(SINK), fresh.token.raw_balance_of("frank")
    done = comp.watch(by="frank")
    assert done[["action", "claim", "submission", "chunk", "result", "board"]].values.tolist() == [
        ["challenge", false_claim, liar.id, 0, "voided", "public"]
    ]
    assert fresh.token.raw_balance_of("frank") - frank == BOND * 8 // 10
    assert fresh.token.raw_balance_of(SINK) - sink == BOND // 5
    assert fresh.chain.call(comp.contract.functions.isDisqualified(liar.id))
    assert comp.watch(by="frank").empty  # the honest claims are right
    public = comp.leaderboard("public").set_index("id")
    assert public.loc[liar.id, ["status", "disqualified"]].tolist() == ["voided", True]
    assert pd.isna(public.loc[liar.id, "rank"]) and public["rank"].notna().sum() == 3

    fresh.clock.advance_to(comp.deadline("reveal"))
    block = fresh.chain.block_number
    opens = r"can be revealed from .* \(chain time\)"
    with pytest.raises(CompetitionPublicChecksOpen, match=opens):
        comp.reveal_test_set()
    assert fresh.chain.block_number == block
    assert comp.settle_claims().empty  # public claims settle only once checks are over
    fresh.clock.advance_to(comp.public_checks_end)
    comp.reveal_test_set()
    balances = {w: fresh.token.raw_balance_of(w) for w in ("bob", "carol", "dave")}
    sink = fresh.token.raw_balance_of(SINK)
    settled = comp.settle_claims()
    assert settled[["claim", "result", "board"]].values.tolist() == [
        [1, "stood", "public"], [2, "stood", "public"], [3, "forfeited", "public"]
    ]  # fmt: skip
    assert fresh.token.raw_balance_of("bob") - balances["bob"] == BOND
    assert fresh.token.raw_balance_of("carol") - balances["carol"] == BOND
    assert fresh.token.raw_balance_of("dave") == balances["dave"]
    assert fresh.token.raw_balance_of(SINK) - sink == BOND  # dave's unchecked claim
    comp.evaluate(by="frank")
    assert comp.finalize() == "ranked"
    final = comp.leaderboard().set_index("id")
    assert final.loc[liar.id, "status"] == "disqualified" and pd.isna(final.loc[liar.id, "rank"])
    assert final.loc[liar.id, "prize"] == 0 and final["rank"].notna().sum() == 2
    assert fresh.chain.call(comp.contract.functions.ranking()) == [
        int(i) for i in final.sort_values("rank").index[:2]
    ]
    statuses = comp.claims().set_index("claim")["status"].to_dict()
    assert statuses == {1: "stood", 2: "stood", 3: "forfeited", 4: "voided"}
    comp.claim_all()
    assert tokens(fresh, comp) == total  # every token moved, none made or lost


def test_privateBoard_showsPublicRankAndRankChange_andShakeupAgrees(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer)
    submit_all(comp, C)
    fresh.clock.advance_to(comp.deadline("submission"))
    comp.reveal()
    fresh.clock.advance_to(comp.public_checks_end)
    comp.reveal_test_set()
    comp.evaluate()
    comp.finalize()  # settles the public claims too
    assert set(comp.leaderboard("public")["status"]) == {"stood"}
    private = comp.leaderboard("private")
    assert private.columns.tolist() == [*comp.leaderboard().columns, "public_rank", "rank_change"]
    pd.testing.assert_frame_equal(private[comp.leaderboard().columns], comp.leaderboard())
    public = comp.leaderboard("public").set_index("id")["rank"]
    assert (private["public_rank"] == private["id"].map(public)).all()
    assert (private["rank_change"] == private["public_rank"] - private["rank"]).all()
    assert (private["rank_change"] != 0).any()  # these models swap places between the boards
    shake = comp.shakeup()
    assert shake.columns.tolist() == ["id", "entrant", "public_rank", "public_score",
                                      "private_rank", "private_score", "rank_change"]  # fmt: skip
    merged = shake.merge(private[["id", "rank"]], on="id")
    assert (merged["private_rank"] == merged["rank"]).all()
    assert (merged["rank_change"] == merged["public_rank"] - merged["private_rank"]).all()


@pytest.mark.parametrize("metric", ["balanced_accuracy", "macro_f1"])
def test_publicScores_perClassMetrics_areTheModelsScoresOnThePublicRows(
    fresh: mm.Market, metric: str
) -> None:
    from mlmarket.datasets import load_sample

    comp = create(fresh, load_sample("iris"), target="species", metric=metric, public_size=20)
    assert comp.params.public_samples == 20
    models = submit_all(comp, {"bob": 1.0, "carol": 0.01})
    board = comp.leaderboard("public").set_index("id")
    for sub_id, model in enumerate(models.values(), start=1):
        assert board.loc[sub_id, "score"] == pytest.approx(public_score(comp, model), abs=1e-12)


def test_publicBoard_ofARegression_ranksLowerErrorsFirst(fresh: mm.Market) -> None:
    X, y = make_regression(n_samples=300, n_features=5, noise=10.0, random_state=0)
    data = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)]).assign(y=y)
    comp = create(fresh, data, target="y", metric="mse", public_size=40)
    Xt, yt = comp.training_xy()
    models = {"bob": LinearRegression(fit_intercept=False).fit(Xt, yt),
              "carol": LinearRegression().fit(Xt, yt)}  # fmt: skip
    for name, model in models.items():
        comp.submit(model, by=name)
    board = comp.leaderboard("public")
    assert board["score"].is_monotonic_increasing and board["metric"].iloc[0] == "MSE"
    scores = board.set_index("id")["score"]
    for sub_id, model in enumerate(models.values(), start=1):
        assert scores[sub_id] == pytest.approx(public_score(comp, model), rel=1e-12)


def test_postPublicClaim_refusals_areNamedErrors_andMineNothing(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer)
    X, y = comp.training_xy()
    sub = comp.submit(classifier(1.0).fit(X, y), by="bob", public_claim=False)
    own = comp.public_results(sub)
    block = fresh.chain.block_number
    with pytest.raises(ScoreClaimsNotEntrant, match="carol .* may not post submission 1's"):
        comp.post_public_claim(sub, by="carol")
    with pytest.raises(ScoreClaimsInvalidLeaves, match="needs 1 leaf words"):
        comp.post_public_claim(sub, by="bob", results=[*own, [3]])
    assert fresh.chain.block_number == block
    comp.post_public_claim(sub, by="bob")
    block = fresh.chain.block_number
    with pytest.raises(ScoreClaimsPublicClaimExists, match="already has its public claim"):
        comp.post_public_claim(sub, by="bob")
    fresh.clock.advance_to(comp.deadline("submission"))
    block = fresh.chain.block_number
    with pytest.raises(ScoreClaimsNotInSubmission, match="Submissions closed at"):
        comp.post_public_claim(sub, by="bob", results=own)
    assert fresh.chain.block_number == block
    # The contract says the same when called directly: its error is decoded by name.
    fn = fresh.competitions.score_claims.functions.postPublicClaim(comp.address, 1, [own[0][0]])
    with pytest.raises(ScoreClaimsNotInSubmission, match="in the submission phase"):
        fresh.chain.transact(fn, sender="bob")
    plain = fresh.competitions.create(data=cancer, target="diagnosis", creator="alice",
                                      reward=10, periods=PERIODS)  # fmt: skip
    assert not plain.public_board and plain.public_checks_end is None
    with pytest.raises(ScoreClaimsNoPublicBoard, match="has no public leaderboard"):
        plain.leaderboard("public")
    with pytest.raises(ConfigurationError, match="evaluated on chain only and has no public"):
        plain.claims()


def test_submit_refusesToCommit_whenTheBondCannotBePaid(
    fresh: mm.Market, cancer: pd.DataFrame
) -> None:
    comp = create(fresh, cancer, public_claim_bond=5_000, entry_stake=1)
    X, y = comp.training_xy()
    block = fresh.chain.block_number
    with pytest.raises(ERC20InsufficientBalance, match="bob .* needs 5001"):
        comp.submit(classifier(1.0).fit(X, y), by="bob")
    assert fresh.chain.block_number == block
    comp.submit(classifier(1.0).fit(X, y), by="bob", public_claim=False)  # no bond needed


def test_leaderboard_unknownBoard_isAClearError(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    comp = create(fresh, cancer)
    with pytest.raises(ConfigurationError, match="No leaderboard 'kaggle'; boards: 'final', "):
        comp.leaderboard("kaggle")
    shown = [c for c in comp.leaderboard("final").columns if not c.endswith("_exact")]
    assert shown == COLUMNS


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"public_size": 1.5}, "public_size is the public part of the hidden test set"),
        ({"public_size": True}, "public_size is the public part of the hidden test set"),
        ({"public_size": -3}, "cannot be negative"),
        ({"public_size": 171}, "both the public and the private part need at least one"),
        ({"public_window": 60}, "public_window must be at least 3600 s"),
        ({"public_window": DAY}, "shorter than the test-reveal phase"),
        ({"public_window": pd.Timedelta(hours=30)}, "shorter than the test-reveal phase"),
        ({"public_claim_bond": 0}, "public_claim_bond must be positive"),
        ({"public_size": 0, "public_window": 7200}, "are for a public leaderboard"),
        ({"periods": {**PERIODS, "test_reveal": 3600}}, "lengthen periods"),
        ({"merger_deadline": 3 * DAY}, "at the latest at the submission deadline"),
        ({"merger_deadline": -5}, "must fall after now"),
        ({"merger_deadline": "soon"}, "merger_deadline is seconds from now"),
    ],
)
def test_create_refusesBadPublicBoardOptions_beforeAnythingIsSent(
    fresh: mm.Market, cancer: pd.DataFrame, options: dict[str, object], says: str
) -> None:
    block = fresh.chain.block_number
    with pytest.raises(ConfigurationError, match=says):
        if "periods" in options:
            fresh.competitions.create(data=cancer, target="diagnosis", creator="alice",
                                      reward=100, public_size=0.4, **options)  # fmt: skip
        else:
            create(fresh, cancer, **options)
    assert fresh.chain.block_number == block


def test_mergerDeadline_isRecorded(fresh: mm.Market, cancer: pd.DataFrame) -> None:
    now = fresh.clock.now()
    comp = create(fresh, cancer, public_size=0, merger_deadline=pd.Timedelta(hours=5))
    assert 0 <= comp.params.merger_deadline - (now + 5 * 3600) <= 5
    assert not comp.public_board and comp.params.public_window == 0


@pytest.mark.parametrize("name", ["ICompetition", "ICompetitionFactory", "IScoreClaims"])
def test_everyCompetitionError_hasASentenceUsingItsArguments(name: str) -> None:
    from mlmarket.contracts.messages import MESSAGES

    errors = [e for e in load_artifact(name).abi if e["type"] == "error"]
    assert errors
    for error in errors:
        template = MESSAGES[error["name"]]
        fields = {field for _, field, _, _ in string.Formatter().parse(template) if field}
        assert fields <= {i["name"] for i in error["inputs"]}, error["name"]
