"""The mechanism lab: seeded runs, ready scenarios, token checks, sweeps, executors, files."""

from __future__ import annotations

import builtins
from pathlib import Path

import pandas as pd
import pytest

from mlmarket import sim
from mlmarket.crypto import WRAPPED_KEY_LENGTH
from mlmarket.errors import ConfigurationError
from mlmarket.sim import models as sim_models
from mlmarket.sim.agents import Agent, Creator, Evaluator, Participant
from mlmarket.sim.ledger import SimulationInvariantError
from mlmarket.sim.runner import KEY_COLUMNS, Worker, play
from mlmarket.sim.scenario import COMPETITION_SCHEDULE, Scenario, Step
from mlmarket.sim.sweep import _chunks, grid

RADCAD = ["simulation", "subset", "run", "timestep", "substep"]
ALL_ENTER = {"payout": (0.4, 0.3, 0.2, 0.1), "participation_cost": 0}


@pytest.fixture(scope="module")
def worker() -> Worker:
    """One market for the module's runs (reverted to its snapshot before each run)."""
    made = Worker()
    yield made
    made.close()


def final(frame: pd.DataFrame) -> pd.DataFrame:
    """Each run's last row: its end state."""
    return frame.groupby(["subset", "run"]).tail(1).reset_index(drop=True)


# --- the frame --------------------------------------------------------------------------


def test_honestRun_isATidyFrameWithRadcadColumns_andEveryStepOfTheLifecycle(
    worker: Worker,
) -> None:
    frame = play(sim.scenarios.get("honest"), ALL_ENTER, seed=1, worker=worker)
    assert list(frame.columns[:5]) == RADCAD
    assert frame[KEY_COLUMNS].duplicated().sum() == 0
    assert frame.iloc[0][["timestep", "substep", "step"]].tolist() == [0, 0, "start"]
    actions = set(frame["action"])
    assert {"create_competition", "submit", "reveal", "reveal_test_set", "evaluate",
            "finalize", "claim"} <= actions  # fmt: skip
    end = final(frame).iloc[0]
    assert end["entries"] == 5 and end["outcome"] == "ranked"
    assert 0.9 < end["winner_quality"] <= 1.0
    # Honest side: the creator paid the reward, the participants took it; nobody attacked.
    assert end["profit_honest"] == pytest.approx(0.0)
    assert end["profit_attacker"] == 0.0
    assert end["profit_alice"] == -100.0
    assert sum(end[f"profit_{n}"] for n in ("bob", "carol", "dave", "erin", "frank")) == 100.0
    assert (frame["gas"] >= 0).all() and frame.loc[frame["action"] == "submit", "gas"].gt(0).all()
    assert frame["reward"].eq(100).all() and set(frame["payout"]) == {(0.4, 0.3, 0.2, 0.1)}


def test_twoRunsWithOneSeed_giveEqualFrames_gasIncluded() -> None:
    first = sim.run("honest", runs=2, seed=11, params=ALL_ENTER)
    second = sim.run("honest", runs=2, seed=11, params=ALL_ENTER)
    pd.testing.assert_frame_equal(first, second)
    assert first["gas"].sum() > 1_000_000


def test_dataSales_repeatExceptTheCalldataGasOfRandomKeyBytes() -> None:
    """Stated tolerance: keys stay random in a seeded run, so the bytes derived from them —
    a listing's key commitment (32 bytes, at publish) and each buyer's wrapped key
    (``WRAPPED_KEY_LENGTH`` bytes per purchase, at buy) — differ between runs, and so does
    their calldata gas, by the zero bytes among them: at most 12 gas (16 - 4) per such
    byte. Everything else, and every other action's gas, is equal."""
    first = sim.run("data_sale", seed=3)
    second = sim.run("data_sale", seed=3)
    pd.testing.assert_frame_equal(first.drop(columns="gas"), second.drop(columns="gas"))
    random_bytes = {"publish": 32, "buy": 2 * WRAPPED_KEY_LENGTH}  # a buyer buys up to two
    keyed = first["action"].isin(list(random_bytes))
    assert first.loc[~keyed, "gas"].tolist() == second.loc[~keyed, "gas"].tolist()
    assert keyed.sum() == 4
    bound = first.loc[keyed, "action"].map(random_bytes) * 12
    assert ((first.loc[keyed, "gas"] - second.loc[keyed, "gas"]).abs() <= bound).all()


def test_differentSeeds_differ(worker: Worker) -> None:
    scenario = sim.scenarios.get("honest")
    a = play(scenario, ALL_ENTER, seed=1, worker=worker)
    b = play(scenario, ALL_ENTER, seed=2, worker=worker)
    # The participants train on other random rows, with other salts: the gas moves.
    assert a["gas"].tolist() != b["gas"].tolist()


# --- ready scenarios: each attack -------------------------------------------------------


def test_equivocatingCreator_isRefusedByThePositionalCommitment_andMinesNothing(
    worker: Worker,
) -> None:
    frame = play(sim.scenarios.get("equivocating_creator"), seed=2, worker=worker)
    attack = frame[frame["action"] == "evaluate_relabelled_chunk"]
    assert attack["error"].tolist() == ["CompetitionInvalidChunkProof"]
    assert attack["gas"].tolist() == [0] and attack["txs"].tolist() == [0]
    end = final(frame).iloc[0]
    assert end["outcome"] == "ranked"
    # The creator pays the reward as if it had been honest; its bond came back.
    assert end["profit_attacker"] == -100.0


@pytest.mark.parametrize("bond", [0.5, 1.0])
def test_sybilDefaultWithJunk_losesRewardAndBond_andTheHonestTakeThePool(
    worker: Worker, bond: float
) -> None:
    frame = play(sim.scenarios.get("sybil_default"), {"bond": bond}, seed=4, worker=worker)
    end = final(frame).iloc[0]
    assert end["outcome"] == "defaulted"
    assert end["profit_attacker"] == -(100 + 100 * bond)
    assert end["profit_sybils"] == 0.0  # their stakes came back, nothing more
    assert end["profit_honest"] == 100.0


def test_sybilDefaultWithAFittedModel_winsBackAtMostWhatTheBondAllows(worker: Worker) -> None:
    scenario = sim.scenarios.get("sybil_default")
    frame = play(scenario, {"sybil_model": "logistic", "bond": 0.5}, seed=4, worker=worker)
    end = final(frame).iloc[0]
    assert end["outcome"] == "defaulted"
    # Margin over an honest reveal (-R) is at most R + S - B (docs/trust-model.md).
    reward, bond, stakes = 100.0, 50.0, 0.0
    assert end["profit_attacker"] <= -reward + (reward + stakes - bond)
    assert end["profit_sybils"] > 0


def test_falseClaim_losesItsBondToTheWatcher_andTheModelsAreScoredOnChain(
    worker: Worker,
) -> None:
    frame = play(sim.scenarios.get("false_claim"), seed=5, worker=worker)
    end = final(frame).iloc[0]
    assert "challenge" in set(frame.loc[frame["agent"] == "erin", "action"])
    assert end["profit_dave"] < 0 and end["profit_erin"] > 0
    assert end["profit_dave"] + end["profit_erin"] < 0  # a fifth of each bond is burned
    assert end["outcome"] == "ranked" and end["winner_quality"] > 0.9


@pytest.mark.parametrize(
    ("honesty", "window", "poisoned"),
    [(1.0, 2 * 86_400, 0.0), (0.0, 2 * 86_400, 0.4), (1.0, 12 * 3_600, 0.4)],
)
def test_selfDealingCurator_poisonsTheCollection_unlessHonestAndInTime(
    worker: Worker, honesty: float, window: int, poisoned: float
) -> None:
    scenario = sim.scenarios.get("self_dealing_curator")
    params = {"honesty": honesty, "review_window": window}
    end = final(play(scenario, params, seed=6, worker=worker)).iloc[0]
    assert end["poisoned_share"] == pytest.approx(poisoned)
    if poisoned:
        assert end["profit_heidi"] > 0  # the friends' junk earned bounty
    else:
        assert end["profit_heidi"] == -1.0  # the rejected stake was burned
        assert end["collection_quality"] > 0.9


# --- token checks -----------------------------------------------------------------------


class Leaker(Agent):
    """Sends a token to an address no rule knows, or donates it (``to``: ``"stray"``,
    ``"competition"`` or ``"DataMarket"``) at the submission step."""

    def __init__(self, name: str, to: str = "stray") -> None:
        super().__init__(name)
        object.__setattr__(self, "to", to)

    def act(self, ctx, step):  # type: ignore[no-untyped-def]
        if step != "submit":
            return None
        to = {"stray": "0x" + "12" * 20, "competition": ctx.competition.address,
              "DataMarket": ctx.market.data.contract.address}[self.to]  # fmt: skip
        fn = ctx.market.token.contract.functions.transfer(to, 10**18)
        ctx.market.chain.transact(fn, sender=self.account)
        return "transfer"


@pytest.mark.parametrize(
    ("to", "said"),
    [
        ("stray", "appeared or vanished.*no rule pays.*0x1212121212"),
        ("competition", "Competition 0 .* holds"),
        # Checked again because a transfer reached it, though no transaction called it.
        ("DataMarket", "The DataMarket holds"),
    ],
)
def test_aTokenSentWhereNoRuleSendsIt_breaksTheRun(worker: Worker, to: str, said: str) -> None:
    scenario = Scenario(
        "leak", agents=(Creator("alice"), Leaker("bob", to=to), Evaluator("erin")),
        params={"reward": 10},
    )  # fmt: skip
    with pytest.raises(SimulationInvariantError, match=said):
        play(scenario, seed=1, worker=worker)


def test_aBalanceTheTransferEventsDoNotExplain_breaksTheCheck(worker: Worker) -> None:
    """The recorded balances come from Transfer events; the check compares them with the
    chain after every timestep, so a move without its event (here: a missed one) is caught."""
    worker.reset(1)
    ledger = worker.ledger
    start = ledger.start()
    ledger.check(start)  # nothing moved: the events and the chain agree
    bob = worker.market.chain.address("bob")
    worker.market.token.transfer("carol", 1, sender="bob")
    ledger.check(start)  # the transfer's event explains both changes
    ledger.tracked[bob.lower()] += 1  # as if an event had been missed
    with pytest.raises(SimulationInvariantError, match=f"bob .*{bob}.*Transfer events give it"):
        ledger.check(start)


def test_obligationsHold_afterEveryTimestep_ofEveryScenario(worker: Worker) -> None:
    """Every run checks them (a failure raises); here every ready scenario completes."""
    for name in sim.scenarios.names():
        frame = play(sim.scenarios.get(name), seed=9, worker=worker)
        assert frame["timestep"].max() == len(sim.scenarios.get(name).schedule), name


# --- sweeps and executors ---------------------------------------------------------------


def test_grid_isTheCartesianProduct_inOrder() -> None:
    combos = grid({"bond": [0, 1], "payout": [(1,), (0.5, 0.5)], "entry_stake": 2})
    assert combos == [
        {"bond": 0, "payout": (1,), "entry_stake": 2},
        {"bond": 0, "payout": (0.5, 0.5), "entry_stake": 2},
        {"bond": 1, "payout": (1,), "entry_stake": 2},
        {"bond": 1, "payout": (0.5, 0.5), "entry_stake": 2},
    ]
    assert grid({"payout": (0.7, 0.3)}) == [{"payout": (0.7, 0.3)}]  # one split, not two


def test_chunks_holdWholeRuns_soTheSubsetsOfARunShareOneProcess() -> None:
    tasks = [(subset, run, {}) for run in range(5) for subset in range(3)]
    for pieces, expected in ((1, 1), (2, 3), (4, 5), (8, 5), (20, 5)):
        chunks = _chunks(tasks, pieces, group=3)
        assert len(chunks) == expected
        assert [task for chunk in chunks for task in chunk] == tasks
        for chunk in chunks:
            runs = {run for _subset, run, _params in chunk}
            assert len(chunk) == 3 * len(runs)  # every subset of each of its runs


def test_aParamSweep_fitsEachRunsModelsOnce_forEverySubset() -> None:
    """Common random numbers: the subsets of a run draw the same training rows, so a bond
    sweep fits each participant's model once per run, not once per subset."""
    sim_models.clear_cache()
    fits = sim_models.FIT_SECONDS[0]
    frame = sim.sweep("honest", {"bond": [0.5, 1.0, 2.0], **ALL_ENTER}, runs=2, seed=4,
                      executor="serial")  # fmt: skip
    assert frame.groupby(["subset", "run"])["entries"].last().eq(5).all()
    assert len(sim_models._CACHE) == 2 * 5  # two runs × five participants, three subsets
    assert sim_models.FIT_SECONDS[0] > fits


def test_sweepInProcesses_equalsTheSameSweepInThisProcess() -> None:
    params = {"bond": [0.5, 1.0]}
    serial = sim.sweep("sybil_default", params, runs=2, seed=8, executor="serial")
    parallel = sim.sweep("sybil_default", params, runs=2, seed=8, n_jobs=2)
    pd.testing.assert_frame_equal(serial, parallel)
    assert serial.groupby(["subset", "run"]).ngroups == 4
    assert serial.attrs["mlmarket"]["subsets"] == [{"bond": 0.5}, {"bond": 1.0}]


def test_sweepOnATwoWorkerDaskCluster_equalsTheSerialSweep() -> None:
    from dask import distributed  # a dev dependency (the mlmarket[sim] extra): never skipped

    params = {"entry_stake": [0, 1]}
    serial = sim.sweep("sybil_default", params, runs=1, seed=12, executor="serial")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)  # fmt: skip
    with cluster, distributed.Client(cluster) as client:
        on_dask = sim.sweep("sybil_default", params, runs=1, seed=12, executor=client)
    pd.testing.assert_frame_equal(serial, on_dask)


def test_daskMissing_raisesANamedErrorSayingWhatToInstall(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name.startswith("dask"):
            raise ImportError("No module named 'dask'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(sim.MissingExtraError, match=r"mlmarket\[sim\]"):
        sim.sweep("honest", runs=1, seed=1, executor="dask")


@pytest.mark.parametrize(
    ("call", "said"),
    [
        (lambda: sim.sweep("honest", {"bnod": [1]}, seed=1), "no param 'bnod'"),
        (lambda: sim.run("honest", params={"bond": [0, 1]}, seed=1), "use sweep"),
        (lambda: sim.run("nope", seed=1), "No scenario 'nope'"),
        (lambda: sim.sweep("honest", runs=0, seed=1), "runs must be"),
        (lambda: sim.sweep("honest", runs=1, seed=1, executor=42), "executor must be"),
        (lambda: sim.run("honest", seed=-1), "seed must be"),
    ],
)
def test_badArguments_areRefusedWithWhatToDo(call, said: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigurationError, match=said):
        call()


def test_anAgentOnAnUnknownAccount_orAScheduleWithoutACompetition_isRefused(
    worker: Worker,
) -> None:
    stranger = Scenario("x", agents=(Participant("mallory"),), params={})
    with pytest.raises(ConfigurationError, match="mallory"):
        play(stranger, seed=1, worker=worker)
    waits = Scenario(
        "y", agents=(Participant("bob"),), schedule=(Step("reveal", until="submission"),)
    )
    with pytest.raises(ConfigurationError, match="no competition is open"):
        play(waits, seed=1, worker=worker)


def test_aScenarioWithTwoAgentsOfOneName_isRefused(worker: Worker) -> None:
    twice = Scenario(
        "z", agents=(Creator("alice"), Creator("alice")), schedule=COMPETITION_SCHEDULE
    )
    with pytest.raises(ValueError, match="unique"):
        play(twice, seed=1, worker=worker)


# --- files and home -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sweep.json", "sweep.json.gz"])
def test_saveAndLoad_giveTheFrameBack_withItsParamsAndVersion(tmp_path: Path, name: str) -> None:
    frame = sim.sweep("honest", {"payout": [(1,), (0.7, 0.3)]}, runs=1, seed=2, executor="serial")
    path = sim.save(frame, tmp_path / name)
    back = sim.load(path)
    assert back.equals(frame)  # dtypes and floats exact
    pd.testing.assert_frame_equal(frame, back, check_exact=True)
    assert back["payout"].tolist() == frame["payout"].tolist()  # tuples again
    record = back.attrs["mlmarket"]
    assert record["scenario"] == "honest" and record["seed"] == 2 and record["runs"] == 1
    assert record["swept"] == {"payout": [[1], [0.7, 0.3]]} and record["version"]


def test_loadingSomethingElse_saysWhatASavedSweepIs(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"format": "other"}')
    (tmp_path / "b.json").write_text("not json")
    for name in ("a.json", "b.json"):
        with pytest.raises(ConfigurationError, match="not a saved sweep"):
            sim.load(tmp_path / name)


def test_simulations_writeNothingUnderTheUsersHome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("MLMARKET_HOME", str(home))
    sim.run("data_sale", seed=1)
    assert not home.exists()


def test_agentsAreParametersOnly_soTheyPickle() -> None:
    import pickle

    for name in sim.scenarios.names():
        scenario = sim.scenarios.get(name)
        agents = scenario.agents_for(scenario.params)
        assert pickle.loads(pickle.dumps(agents)) == agents


def test_copycatNeverRanks_butJunkTakesAPlaceNobodyElseFills(worker: Worker) -> None:
    """A limit the lab found (docs/trust-model.md, Participant): in a ranked outcome any
    original model that completes takes a place, junk included."""
    frame = play(sim.scenarios.get("copycat_and_spam"), seed=7, worker=worker)
    end = final(frame).iloc[0]
    assert end["outcome"] == "ranked"
    assert end["profit_dave"] == 0.0  # the copy: its stake back, no place
    assert end["profit_erin"] == 20.0  # junk took the third of three places (0.2 × 100)
    assert end["profit_bob"] + end["profit_carol"] == 80.0


def test_balancesAndProfits_agree_withTheTokenLedger(worker: Worker) -> None:
    frame = play(sim.scenarios.get("sybil_default"), seed=3, worker=worker)
    start = frame.iloc[0]
    end = final(frame).iloc[0]
    token = worker.market.token
    assert end["balance_bob"] == float(token.balance_of("bob"))
    sybils = sum(float(token.balance_of(a)) for a in ("grace", "heidi", "ivan"))
    assert end["balance_sybils"] == sybils == start["balance_sybils"] + end["profit_sybils"]


@pytest.mark.parametrize(
    ("scenario", "params", "said"),
    [
        ("honest", {"payout": (0.5, 0.4)}, "payout shares must sum to 1"),
        ("self_dealing_curator", {"review_window": -1}, "could not open"),
        ("sybil_default", {"sybil_model": "forest"}, "Unknown model 'forest'"),
    ],
)
def test_paramsAScenarioCannotPlay_stopTheRunWithTheReason(
    worker: Worker, scenario: str, params: dict, said: str
) -> None:
    """Only contract refusals are outcomes a run goes on after; wrong params are not."""
    with pytest.raises(ConfigurationError, match=said):
        play(sim.scenarios.get(scenario), params, seed=1, worker=worker)


def test_aDefaultedCompetition_stillMeasuresItsWinnerOnTheHiddenTestSet(worker: Worker) -> None:
    scenario = sim.scenarios.get("sybil_default")
    end = final(play(scenario, {"sybil_model": "logistic"}, seed=2, worker=worker)).iloc[0]
    assert end["outcome"] == "defaulted" and 0.5 < end["winner_quality"] <= 1.0


def test_subsetsShareTheirRandomDraws_soTheyDifferByTheirParamsAlone() -> None:
    """Common random numbers: in run r of every subset the participants draw the same
    training rows and the curator the same coin flips."""
    sybil = sim.sweep("sybil_default", {"bond": [0.5, 1.0]}, runs=2, seed=5, executor="serial")
    end = final(sybil)
    assert (end.groupby("run")["winner_quality"].nunique() == 1).all()
    assert end.groupby("run")["profit_honest"].nunique().eq(1).all()
    assert end["profit_attacker"].tolist() == [-150.0, -150.0, -200.0, -200.0]
    curator = sim.sweep(
        "self_dealing_curator", {"honesty": [0.5, 0.9]}, runs=3, seed=2, executor="serial"
    )
    shares = final(curator).pivot(index="run", columns="honesty", values="poisoned_share")
    assert (shares[0.9] <= shares[0.5]).all()  # the same flips: more honesty never lets more in


@pytest.mark.parametrize("fraction", [1.0, 0.8, 0.37])
def test_trainingRows_areTheRowsDataFrameSampleDraws(fraction: float) -> None:
    train, _test = sim.scenarios.get("honest").split()
    for seed in (0, 3, 2**31):
        X, y = sim_models.training_rows(train, "diagnosis", fraction, seed)
        rows = train.sample(frac=fraction, random_state=seed) if fraction < 1 else train
        pd.testing.assert_frame_equal(X, rows.drop(columns=["diagnosis"]), check_flags=False)
        pd.testing.assert_series_equal(y, rows["diagnosis"])


@pytest.mark.parametrize("kind", sorted(sim_models.MODELS))
def test_aFit_equalsTheSameFitOnTheSampledFrame(kind: str) -> None:
    """Fitted from the frame's values, a pipeline equals the one fitted on the frame in
    every fitted attribute (feature names included), and predicts on frames alike."""
    import warnings

    import numpy as np
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train, test = sim.scenarios.get("honest").split()
    sim_models.clear_cache()
    fitted = sim_models.fit_model(kind, train, "diagnosis", 0.5, 0.8, seed=11)
    rows = train.sample(frac=0.8, random_state=11)
    direct = make_pipeline(StandardScaler(), sim_models.MODELS[kind](0.5))
    direct.fit(rows.drop(columns=["diagnosis"]), rows["diagnosis"])
    for ours, theirs in zip(fitted, direct, strict=True):
        learned = {k for k in vars(theirs) if k.endswith("_") and not k.startswith("_")}
        assert learned == {k for k in vars(ours) if k.endswith("_") and not k.startswith("_")}
        for name in learned:
            np.testing.assert_array_equal(getattr(ours, name), getattr(theirs, name), name)
    assert list(fitted.feature_names_in_) == list(direct.feature_names_in_)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "X has feature names, but ... fitted without"
        X = test.drop(columns=["diagnosis"])
        np.testing.assert_array_equal(fitted.predict(X), direct.predict(X))
    assert repr(fitted) == repr(direct)


def test_aJunkModel_equalsTheSameFitOnShuffledLabels() -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train, _test = sim.scenarios.get("honest").split()
    junk = sim_models.junk_model(train, "diagnosis", seed=5)
    y = np.random.default_rng(5).permutation(train["diagnosis"].to_numpy())
    direct = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2_000))
    direct.fit(train.drop(columns=["diagnosis"]), y)
    np.testing.assert_array_equal(junk[-1].coef_, direct[-1].coef_)
    assert list(junk.feature_names_in_) == list(direct.feature_names_in_)
