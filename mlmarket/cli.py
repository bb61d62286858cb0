"""Command line: ``mlmarket demo`` plays a marketplace session headless;
``mlmarket lab`` opens JupyterLab on the notebooks."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mlmarket import __version__
from mlmarket.chain.connect import BACKENDS
from mlmarket.errors import MlmarketError, ToolNotFoundError
from mlmarket.market.tables import plain


def _step(text: str) -> None:
    print(f"\n== {text}")


def _show(frame: pd.DataFrame, **options: Any) -> None:
    """Print a table for people: the float amounts, without their exact ``_exact`` twins."""
    print(plain(frame).to_string(**options))


def demo(backend: str | None = None) -> None:
    """Start a local chain, sell a dataset, fill a collection, and show what happened."""
    from mlmarket.datasets import load_sample
    from mlmarket.market import Market

    with Market.local(backend) as market, pd.option_context("display.width", 120):
        print(f"Started {market!r}")
        cancer = load_sample("breast_cancer")

        _step("alice (a hospital) publishes a labelled dataset; bob (a researcher) buys it")
        listing = market.data.publish(
            cancer, owner="alice", price=25, name="Breast cancer diagnoses", target="diagnosis"
        )
        market.data.buy(listing, buyer="bob")
        rows = market.data.download(listing, buyer="bob")
        print(f"bob decrypted and verified {len(rows)} rows x {rows.shape[1]} columns")
        market.data.withdraw("alice")

        _step("carol curates a collection: dave and frank are accepted, erin is rejected")
        cols = market.data.collections
        cohort = cols.create(curator="carol", name="Cohort", template=cancer, target="diagnosis")
        parts = {"dave": cancer[:100], "erin": cancer[100:300], "frank": cancer[300:]}
        for name, part in parts.items():
            batch = cols.contribute(cohort, part, contributor=name)
            cols.review(batch, accept=name != "erin")
        version = cols.publish_version(cohort, price=60)
        market.data.buy(version, buyer="grace")
        _show(cols.contributors(cohort))
        for name in ("dave", "frank"):
            cols.claim(cohort, contributor=name)
        market.data.withdraw("carol")

        _step("alice escrows 100 tokens for the best diagnosis model; the contract judges")
        _competition(market, cancer)

        _step("a payment the contract refuses arrives as a named error")
        try:
            market.token.transfer("erin", 5_000, sender="frank")
        except MlmarketError as refused:
            print(f"{type(refused).__name__}: {refused}")

        _step("balances")
        _show(market.balances().drop(columns="address"))
        _step("gas per action")
        history = pd.DataFrame(market.chain.history)
        gas = history.groupby("action")["gas_used"].agg(["count", "median", "max"])
        print(gas.astype(int).to_string())


def notebooks_folder(given: str | None = None) -> Path:
    """Where ``mlmarket lab`` opens: ``given``, else ``./notebooks``, else the source
    checkout's ``notebooks/``, else the current folder."""
    if given is not None:
        folder = Path(given)
        if not folder.is_dir():
            raise ToolNotFoundError(f"There is no folder {folder} to open JupyterLab on.")
        return folder
    checkout = Path(__file__).resolve().parent.parent / "notebooks"
    for folder in (Path("notebooks"), checkout):
        if folder.is_dir():
            return folder
    return Path.cwd()


def lab(folder: str | None, extra: Sequence[str]) -> int:
    """Open JupyterLab on the notebooks (``extra`` goes to ``jupyter lab`` as is)."""
    if importlib.util.find_spec("jupyterlab") is None:
        raise ToolNotFoundError(
            "JupyterLab is not installed in this environment; install it with "
            "`pip install jupyterlab` (it comes with `pip install -e '.[dev]'`), "
            "then run `mlmarket lab` again."
        )
    root = notebooks_folder(folder)
    print(f"Opening JupyterLab on {root} (Ctrl-C to stop)")
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}", *extra]
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


def _competition(market: Any, data: pd.DataFrame) -> None:
    from sklearn.linear_model import LogisticRegression, RidgeClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    comp = market.competitions.create(
        data=data, target="diagnosis", creator="alice", reward=100,
        name="Diagnosis", payout=[0.7, 0.3],
    )  # fmt: skip
    X, y = comp.training_xy()
    entries = {
        "bob": LogisticRegression(max_iter=5000),
        "carol": RidgeClassifier(),
        "dave": LogisticRegression(C=0.001, max_iter=5000),
    }
    for name, model in entries.items():
        comp.submit(make_pipeline(StandardScaler(), model).fit(X, y), by=name)
    for phase, action in [("submission", comp.reveal), ("reveal", comp.reveal_test_set)]:
        market.clock.advance_to(comp.deadline(phase))
        action()
    comp.evaluate(by="frank")
    comp.finalize()
    comp.claim_all()
    _show(comp.leaderboard().drop(columns=["evaluated", "status"]), index=False)
    winner = comp.winning_model()
    print(f"alice licenses the winner: {(winner.predict(X) == y).mean():.1%} on the training data")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlmarket", description=__doc__)
    parser.add_argument("--version", action="version", version=f"mlmarket {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("demo", help="play a marketplace session headless")
    run.add_argument(
        "--backend",
        default=None,
        choices=list(BACKENDS),
        help="local chain (default: revm when pyrevm is installed, else eth-tester)",
    )
    open_lab = commands.add_parser("lab", help="open JupyterLab on the notebooks")
    open_lab.add_argument("folder", nargs="?", help="folder to open (default: the notebooks)")
    open_lab.add_argument(
        "jupyter_args", nargs=argparse.REMAINDER, help="after --: options for jupyter lab"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            demo(args.backend)
        elif args.command == "lab":
            folder, extra = args.folder, [a for a in args.jupyter_args if a != "--"]
            if folder is not None and folder.startswith("-"):  # `mlmarket lab -- --port 9999`
                folder, extra = None, [folder, *extra]
            return lab(folder, extra)
    except MlmarketError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
