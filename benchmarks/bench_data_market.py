"""DataMarket benchmarks: exact gas per operation, and O(1) sale and claim gas.

Run: ``python benchmarks/bench_data_market.py [--backend eth-tester|anvil] [--contributors 50]``.

Prints the deployed code size, the gas of every operation (EVM-exact, the same
on both backends), and the gas of accepting a batch, of a collection sale and
of a claim when the collection has 1 contributor and when it has N: with the
revenue accumulator these do not depend on the number of contributors.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from eth_account import Account
from eth_keys import keys
from eth_utils import keccak

from mlmarket.chain import NAMES, Chain, NamedAccount, connect
from mlmarket.contracts import MarketToken, bind_errors, load_artifact

T = 10**18
CID = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"  # a typical CIDv1 (59 chars)
COMMITMENT = keccak(b"a key commitment")
WRAPPED_KEY_113 = bytes(range(113))
WRAPPED_KEY_129 = bytes(range(129))  # what mlmarket.crypto.wrap_key makes for a 32-byte key
HOUR = 3600
EIP170_LIMIT = 24_576


class Bench:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.token = MarketToken.deploy(chain, {name: 1_000_000 for name in NAMES})
        artifact = load_artifact("DataMarket")
        self.market, receipt = chain.deploy(
            artifact.abi, artifact.bytecode, self.token.address, sender="deployer"
        )
        self.deploy_gas = int(receipt["gasUsed"])
        self.code_size = (len(artifact.deployed_bytecode) - 2) // 2
        self.gas: dict[str, int] = {}

    def tx(self, name: str, *args: Any, sender: str) -> int:
        receipt = self.chain.transact(getattr(self.market.functions, name)(*args), sender=sender)
        return int(receipt["gasUsed"])

    def record(self, label: str, name: str, *args: Any, sender: str) -> int:
        self.gas[label] = gas = self.tx(name, *args, sender=sender)
        return gas

    def count(self, name: str) -> int:
        return int(self.chain.call(getattr(self.market.functions, name)()))

    def approve(self, owner: str, amount: int) -> None:
        fn = self.token.contract.functions.approve(self.market.address, amount)
        self.chain.transact(fn, sender=owner)

    def public_key(self, name: str) -> bytes:
        return keys.PrivateKey(self.chain.accounts.resolve(name).key).public_key.to_bytes()

    def listing(self, owner: str, price: int, collection: int = 0) -> int:
        self.tx("createListing", price, CID, CID, True, "CC-BY-4.0", HOUR, COMMITMENT, collection,
                sender=owner)  # fmt: skip
        return self.count("listingCount")

    def buy(self, buyer: str, listing_id: int, price: int) -> int:
        self.approve(buyer, price)
        self.tx("buy", listing_id, self.public_key(buyer), sender=buyer)
        return self.count("purchaseCount")

    def collection(self, curator: str, **rules: int) -> int:
        args = {"cut": 1000, "review": HOUR, "max_rows": 10_000, "stake": T, "bounty": T // 100,
                "bounty_cap": 0, "fund": 0} | rules  # fmt: skip
        if args["fund"]:
            self.approve(curator, args["fund"])
        self.tx("createCollection", CID, args["cut"], args["review"], args["max_rows"],
                args["stake"], args["bounty"], args["bounty_cap"], args["fund"],
                sender=curator)  # fmt: skip
        return self.count("collectionCount")

    def contribute(self, who: str, collection_id: int, rows: int, stake: int) -> tuple[int, int]:
        if stake:
            self.approve(who, stake)
        gas = self.tx("contribute", collection_id, CID, rows, sender=who)
        return self.count("batchCount"), gas


def operations(bench: Bench) -> None:
    """Gas of each operation, in a realistic order."""
    chain = bench.chain
    g = bench.record
    bench.gas["deploy DataMarket"] = bench.deploy_gas
    g("createListing (59-char CIDs)", "createListing", 10 * T, CID, CID, True, "CC-BY-4.0", HOUR,
      COMMITMENT, 0, sender="alice")  # fmt: skip
    listing_id = bench.count("listingCount")
    g("setListingActive", "setListingActive", listing_id, True, sender="alice")

    bench.approve("bob", 10 * T)
    g("buy (first purchase: registers the key)", "buy", listing_id, bench.public_key("bob"),
      sender="bob")  # fmt: skip
    first = bench.count("purchaseCount")
    bench.approve("bob", 10 * T)
    g("buy (key already registered)", "buy", listing_id, bench.public_key("bob"), sender="bob")
    second = bench.count("purchaseCount")
    last = bench.buy("bob", listing_id, 10 * T)
    _value, deadline, v, r, s = bench.token.permit("carol", bench.market.address, 10)
    g("buyWithPermit (first purchase)", "buyWithPermit", listing_id, bench.public_key("carol"),
      deadline, v, r, s, sender="carol")  # fmt: skip
    _value, deadline, v, r, s = bench.token.permit("carol", bench.market.address, 10)
    g("buyWithPermit (key already registered)", "buyWithPermit", listing_id,
      bench.public_key("carol"), deadline, v, r, s, sender="carol")  # fmt: skip
    third = bench.count("purchaseCount")

    g("deliver (113-byte key, the seller's first sale)", "deliver", first, WRAPPED_KEY_113,
      sender="alice")  # fmt: skip
    g("deliver (113-byte key)", "deliver", second, WRAPPED_KEY_113, sender="alice")
    g("deliver (129-byte key, as wrap_key makes)", "deliver", last, WRAPPED_KEY_129,
      sender="alice")  # fmt: skip
    g("complain (20-byte reason)", "complain", first, "labels look shuffled", sender="bob")
    g("withdraw", "withdraw", sender="alice")
    chain.clock.advance(HOUR)
    g("refund", "refund", third, sender="carol")

    bench.approve("alice", 100 * T)
    g("createCollection (with bounty fund)", "createCollection", CID, 1000, HOUR, 10_000, T,
      T // 100, 0, 100 * T, sender="alice")  # fmt: skip
    collection_id = bench.count("collectionCount")
    bench.approve("dave", 5 * T)
    g("fundBounty", "fundBounty", collection_id, 5 * T, sender="dave")
    batches = []
    for who in ("bob", "carol", "dave", "erin"):
        batch_id, gas = bench.contribute(who, collection_id, 100, T)
        batches.append(batch_id)
    bench.gas["contribute (stake pulled)"] = gas
    g("reviewBatch accept (first shares, bounty)", "reviewBatch", batches[0], True, sender="alice")
    g("reviewBatch accept (another contributor)", "reviewBatch", batches[1], True, sender="alice")
    g("reviewBatch reject (stake burned: sent to the sink)", "reviewBatch", batches[2], False,
      sender="alice")  # fmt: skip
    chain.clock.advance(HOUR)
    g("settleBatch (accepts after the window)", "settleBatch", batches[3], sender="frank")

    version = bench.listing("alice", 60 * T, collection_id)
    purchase_id = bench.buy("frank", version, 60 * T)
    g("deliver a collection version (sale split over shares)", "deliver", purchase_id,
      WRAPPED_KEY_129, sender="alice")  # fmt: skip
    g("claim (share revenue + stake + bounty)", "claim", collection_id, sender="bob")
    purchase_id = bench.buy("grace", version, 60 * T)
    bench.tx("deliver", purchase_id, WRAPPED_KEY_129, sender="alice")
    g("claim (share revenue only)", "claim", collection_id, sender="bob")


def add_contributors(chain: Chain, token: MarketToken, count: int) -> list[str]:
    """``count`` extra named accounts with ETH for gas and tokens for stakes."""
    names = []
    for i in range(count):
        name = f"contributor{i:02d}"
        signer = Account.from_key(keccak(text=f"mlmarket benchmark contributor {i}"))
        if name not in chain.accounts:
            chain.accounts.add(NamedAccount(name, signer))
        send_eth(chain, signer.address, 10**18)
        token.transfer(signer.address, 10, sender="deployer")
        names.append(name)
    return names


def send_eth(chain: Chain, to: str, wei: int) -> None:
    deployer = chain.accounts.resolve("deployer")
    base_fee = int(chain.w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
    tx = {
        "to": to, "value": wei, "gas": 21_000, "chainId": chain.chain_id, "type": 2,
        "nonce": chain.w3.eth.get_transaction_count(deployer.address, "pending"),
        "maxPriorityFeePerGas": 10**9, "maxFeePerGas": 2 * base_fee + 10**9,
    }  # fmt: skip
    raw = deployer.signer.sign_transaction(tx).raw_transaction
    tx_hash = chain.backend.send_raw(bytes(raw), chain.clock.next_block_timestamp())
    chain.w3.eth.wait_for_transaction_receipt(tx_hash)


def scaling(bench: Bench, contributors: list[str]) -> dict[int, dict[str, int]]:
    """Accept, sale and claim gas with 1 contributor and with all of them."""
    results: dict[int, dict[str, int]] = {}
    for n in (1, len(contributors)):
        collection_id = bench.collection("alice", stake=0, bounty=0)
        accept_gas = []
        for who in contributors[:n]:
            batch_id, _ = bench.contribute(who, collection_id, 10, 0)
            accept_gas.append(bench.tx("reviewBatch", batch_id, True, sender="alice"))
        version = bench.listing("alice", 10 * T, collection_id)
        sales = []
        for buyer in ("heidi", "ivan"):  # the first sale writes the accumulator from zero
            purchase_id = bench.buy(buyer, version, 10 * T)
            sales.append(bench.tx("deliver", purchase_id, WRAPPED_KEY_129, sender="alice"))
        first_claim = bench.tx("claim", collection_id, sender=contributors[0])
        last_claim = (
            bench.tx("claim", collection_id, sender=contributors[n - 1]) if n > 1 else first_claim
        )
        results[n] = {
            "reviewBatch accept (first contributor)": accept_gas[0],
            "reviewBatch accept (last contributor)": accept_gas[-1],
            "collection sale (second sale)": sales[1],
            "claim (first contributor)": first_claim,
            "claim (last contributor)": last_claim,
        }
    return results


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="eth-tester", choices=["eth-tester", "anvil"])
    parser.add_argument("--contributors", type=int, default=50)
    args = parser.parse_args(argv)
    with connect(args.backend) as chain:
        bind_errors(chain)
        bench = Bench(chain)
        operations(bench)
        share = bench.code_size / EIP170_LIMIT
        out(
            f"DataMarket deployed code: {bench.code_size:,} bytes ({share:.0%} of {EIP170_LIMIT:,})"
        )
        out("")
        out(f"| {'operation':58} | {'gas':>9} |")
        out(f"| {'-' * 58} | {'-' * 9}:|")
        for label, gas in bench.gas.items():
            out(f"| {label:58} | {gas:>9,} |")
        contributors = add_contributors(chain, bench.token, args.contributors)
        table = scaling(bench, contributors)
        ns = sorted(table)
        out("")
        out(
            f"| {'gas with N contributors':40} | "
            + " | ".join(f"{f'N = {n}':>9}" for n in ns)
            + " |"
        )
        out(f"| {'-' * 40} | " + " | ".join("-" * 8 + ":" for _ in ns) + " |")
        for label in table[ns[0]]:
            out(f"| {label:40} | " + " | ".join(f"{table[n][label]:>9,}" for n in ns) + " |")


if __name__ == "__main__":
    main()
