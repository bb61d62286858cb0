"""Command line: ``mlmarket demo`` plays a short marketplace session headless."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import pandas as pd

from mlmarket import __version__
from mlmarket.errors import MlmarketError


def demo(backend: str) -> None:
    """Start a local chain, deploy, move tokens and time, and show what happened."""
    from mlmarket.market import Market

    with Market.local(backend) as market:
        print(f"Started {market!r}")
        market.token.transfer("bob", 25, sender="alice")
        value, deadline, v, r, s = market.token.permit("carol", "dave", 10)
        permit = market.token.contract.functions.permit(
            market.chain.address("carol"), market.chain.address("dave"), value, deadline, v, r, s
        )
        market.chain.transact(permit, sender="dave")
        pull = market.token.contract.functions.transferFrom(
            market.chain.address("carol"), market.chain.address("dave"), value
        )
        market.chain.transact(pull, sender="dave")
        market.clock.advance(86_400)
        try:
            market.token.transfer("erin", 5_000, sender="frank")
        except MlmarketError as refused:
            print("\nA payment the contract refused, as a named error:")
            print(f"  {type(refused).__name__}: {refused}")
        with pd.option_context("display.width", 120, "display.max_colwidth", 60):
            print("\nBalances:\n", market.balances().drop(columns="address").to_string(), sep="")
            gas = pd.DataFrame(market.chain.history)[["action", "block", "gas_used", "status"]]
            print("\nTransactions and their gas:\n", gas.to_string(index=False), sep="")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlmarket", description=__doc__)
    parser.add_argument("--version", action="version", version=f"mlmarket {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("demo", help="play a short marketplace session headless")
    run.add_argument("--backend", default="eth-tester", choices=["eth-tester", "anvil"])
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            demo(args.backend)
    except MlmarketError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
