"""Competition gas: every step of a competition, exact, with the MockEvaluator.

Run: ``python benchmarks/bench_competition.py``. Gas comes from the EVM (eth-tester)
and is exact and deterministic; wall time is not measured here. ``evaluate`` is
reported with the evaluator's own execution subtracted (measured by calling the
mock directly with the same arguments), so the numbers are what the Competition
adds around any evaluator.
"""

from __future__ import annotations

from typing import Any

from eth_abi import encode
from eth_utils import keccak
from web3.logs import DISCARD

from mlmarket.chain import Chain, connect
from mlmarket.contracts import MarketToken, bind_errors, load_artifact
from mlmarket.ml import MerkleTree

TOKEN = 10**18
FAMILY = keccak(text="mock")
PEOPLE = ("alice", "bob", "dave", "erin", "frank", "grace", "heidi", "ivan")


def word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def mock_model(value: int, size: int = 64) -> bytes:
    """MockEvaluator model scoring ``value`` on every chunk, padded to ``size`` bytes."""
    return word(1) + word(value) + b"\xaa" * (size - 64)


def fixed_bytes(label: str) -> bytes:
    """Deterministic 32 bytes (random-looking), so calldata costs repeat exactly."""
    return keccak(text=label)


class Bench:
    def __init__(self) -> None:
        self.chain: Chain = connect()
        bind_errors(self.chain)
        self.token = MarketToken.deploy(self.chain, {w: 10**6 for w in ("carol", *PEOPLE)})
        self.mock = self.deploy("MockEvaluator")
        self.scoring, self.scoring_gas = self.deploy("CompetitionScoring", gas=True)
        self.teams, self.teams_gas = self.deploy("CompetitionTeams", gas=True)
        self.implementation, self.implementation_gas = self.deploy(
            "Competition",
            gas=True,
            libraries={
                "CompetitionScoring": self.scoring.address,
                "CompetitionTeams": self.teams.address,
            },
        )
        self.factory = self.deploy(
            "CompetitionFactory", self.implementation.address, self.chain.address("deployer")
        )
        self.send(self.factory.functions.setEvaluator(FAMILY, self.mock.address), "deployer")
        self.fields = [
            c["name"]
            for c in next(e for e in self.factory.abi if e.get("name") == "createCompetition")[
                "inputs"
            ][0]["components"]
        ]

    def deploy(
        self, name: str, *args: Any, gas: bool = False, libraries: dict[str, str] | None = None
    ) -> Any:
        artifact = load_artifact(name)
        code = artifact.linked_bytecode(libraries or {})
        contract, receipt = self.chain.deploy(artifact.abi, code, *args, sender="deployer")
        return (contract, receipt["gasUsed"]) if gas else contract

    def send(self, fn: Any, sender: str) -> int:
        return int(self.chain.transact(fn, sender=sender)["gasUsed"])

    def competition(
        self, chunks: int, places: int, stake: int = 0, max_model: int = 4096, **rules: Any
    ) -> tuple[Any, int, dict]:
        salt = fixed_bytes(f"test salt {chunks}")
        data = [word(10) + word(i) for i in range(chunks)]
        leaves = [
            keccak(encode(["bytes32", "uint256", "bytes32"], [salt, i, keccak(c)]))
            for i, c in enumerate(data)
        ]
        tree = MerkleTree(leaves)
        root, proofs = tree.root, [tree.proof(i) for i in range(chunks)]
        now = self.chain.clock.now()
        params = {
            "token": self.token.address,
            "reward": 1000 * TOKEN,
            "creatorBond": 0,
            "family": FAMILY,
            "trainingDataCid": "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
            "trainingListingId": 0,
            "trainingRoot": root,  # training chunks shaped as the test chunks (unused here)
            "trainingSamples": 10 * chunks,
            "trainingBaseline": 0,
            "testRoot": root,
            "samples": 10 * chunks,
            "chunkSize": 10,
            "features": 8,
            "classes": 2,
            "maxModelSize": max_model,
            "payoutBps": [10_000 // places] * (places - 1)
            + [10_000 - (10_000 // places) * (places - 1)],
            "submissionEnd": now + 1000,
            "revealEnd": now + 2000,
            "testRevealEnd": now + 3000,
            "evaluationEnd": now + 4000,
            "entryStake": stake,
            "maxSubmissionsPerAddress": 0,
            "metadataCid": "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
            "modelBudget": 4,  # linear: weights up to 4 bytes wide
            "metric": 0,  # accuracy
            "entriesPerPeriod": 0,
            "periodLength": 0,
            "finals": 0,
            "multiplePlaces": True,  # as before the one-place rule
            "challengeWindow": 0,  # on-chain evaluation only (no score claims)
            "claimBond": 0,
            "challengeBond": 0,
            "publicRoot": bytes(32),  # no public board, teams allowed, no performance stakes
            "publicSamples": 0,
            "publicWindow": 0,
            "publicClaimBond": 0,
            "mergerDeadline": 0,
            "slashBps": 0,
            "stakeThreshold": 0,
            **rules,
        }
        self.send(
            self.token.contract.functions.approve(self.factory.address, params["reward"]), "carol"
        )
        fn = self.factory.functions.createCompetition(tuple(params[f] for f in self.fields))
        receipt = self.chain.transact(fn, sender="carol")
        address = self.factory.events.CompetitionCreated().process_receipt(receipt, errors=DISCARD)[
            0
        ]["args"]["competition"]
        comp = self.chain.contract(address, load_artifact("Competition").abi)
        test = {"salt": salt, "chunks": data, "proofs": proofs, "params": params}
        return comp, int(receipt["gasUsed"]), test

    def mock_execution(self, chunk: bytes, models: list[bytes]) -> int:
        """Gas of the mock's own execution for these arguments (no intrinsic or calldata cost)."""
        data = bytes.fromhex(self.mock.encode_abi("scoreBatch", args=[chunk, models, 8, 2])[2:])
        calldata = sum(16 if b else 4 for b in data)
        estimate = self.chain.w3.eth.estimate_gas(
            {"to": self.mock.address, "data": data, "from": self.chain.address("alice")}
        )
        return int(estimate) - 21_000 - calldata


def run() -> list[tuple[str, int]]:
    b = Bench()
    rows: list[tuple[str, int]] = []
    comp, create_gas, test = b.competition(chunks=3, places=3, stake=TOKEN)
    rows.append(("createCompetition (clone + initialize + escrow)", create_gas))
    rows.append(("deploy a full Competition (the implementation)", b.implementation_gas))
    rows.append(("deploy the CompetitionScoring library (once, before it)", b.scoring_gas))
    f = comp.functions
    models: dict[int, bytes] = {}
    salts: dict[int, bytes] = {}
    commit_gas = []
    for n, who in enumerate(PEOPLE, start=1):
        model = mock_model(10 - n % 4, 1024)
        salt = fixed_bytes(f"salt {n}")
        b.send(b.token.contract.functions.approve(comp.address, TOKEN), who)
        commit = b.chain.call(f.commitmentFor(b.chain.address(who), keccak(model), salt))
        commit_gas.append(b.send(f.commit(commit), who))
        models[n], salts[n] = model, salt
    rows.append(("commit, the first of the competition (1-token stake)", commit_gas[0]))
    rows.append(("commit, any later one (1-token stake)", commit_gas[-1]))
    b.chain.clock.advance_to(test["params"]["submissionEnd"])
    reveal_gas = [
        b.send(f.reveal(n, models[n], salts[n], "bafyartifact"), who)
        for n, who in enumerate(PEOPLE, 1)
    ]
    rows.append(("reveal, 1 KiB model (stake returned)", reveal_gas[1]))
    b.chain.clock.advance_to(test["params"]["revealEnd"])
    rows.append(
        (
            "revealTestSet (59-char CID)",
            b.send(
                f.revealTestSet(
                    test["salt"], "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
                ),
                "carol",
            ),
        )
    )

    def evaluate(chunk: int, ids: list[int]) -> tuple[int, int]:
        batch = [models[i] for i in ids]
        gas = b.send(
            f.evaluate(chunk, test["chunks"][chunk], test["proofs"][chunk], ids, batch), "frank"
        )
        return gas, gas - b.mock_execution(test["chunks"][chunk], batch)

    for chunk, label in (
        (0, "first chunk"),
        (1, "middle chunk"),
        (2, "last chunk: completes + ranks"),
    ):
        one = evaluate(chunk, [1])
        four = evaluate(chunk, [2, 3, 4, 5])
        rows.append((f"evaluate, {label}, 1 model: total / without the evaluator", one))  # type: ignore[arg-type]
        rows.append(
            (
                f"evaluate, {label}, per extra model: total / without the evaluator",
                ((four[0] - one[0]) // 3, (four[1] - one[1]) // 3),  # type: ignore[arg-type]
            )
        )
    evaluate(0, [6, 7, 8])
    evaluate(1, [6, 7, 8])
    evaluate(2, [6, 7, 8])
    rows.append(("finalize, 3 places", b.send(f.finalize(), "frank")))
    winner = b.chain.accounts.name_of(b.chain.call(f.winner())[1])
    rows.append(("claim, after finalize (3 places)", b.send(f.claim(), winner)))

    # 10 places: finalize and the first claim (which finalizes) at k = 10
    comp10, _, test10 = b.competition(chunks=1, places=10)
    f10 = comp10.functions
    for n, who in enumerate(PEOPLE, 1):
        model, salt = mock_model(n), fixed_bytes(f"salt {n}")
        b.send(
            f10.commit(b.chain.call(f10.commitmentFor(b.chain.address(who), keccak(model), salt))),
            who,
        )
        models[n], salts[n] = model, salt
    b.chain.clock.advance_to(test10["params"]["submissionEnd"])
    for n, who in enumerate(PEOPLE, 1):
        b.send(f10.reveal(n, models[n], salts[n], ""), who)
    b.chain.clock.advance_to(test10["params"]["revealEnd"])
    b.send(f10.revealTestSet(test10["salt"], ""), "carol")
    ids = list(range(1, len(PEOPLE) + 1))
    b.send(
        f10.evaluate(0, test10["chunks"][0], test10["proofs"][0], ids, [models[i] for i in ids]),
        "frank",
    )
    with b.chain.rollback():
        rows.append(("finalize, 10 places (8 filled)", b.send(f10.finalize(), "frank")))
    rows.append(("claim that also finalizes, 10 places", b.send(f10.claim(), PEOPLE[-1])))
    rows.append(("claim, later (10 places)", b.send(f10.claim(), PEOPLE[-2])))
    return rows


def main() -> None:
    """Print a Markdown table (as in benchmarks/README.md)."""
    rows = run()
    print("| operation | gas |\n| --- | ---: |")
    for label, gas in rows:
        shown = f"{gas[0]:,} / {gas[1]:,}" if isinstance(gas, tuple) else f"{gas:,}"
        print(f"| {label} | {shown} |")
    print("\n| runtime bytecode | bytes (limit 24,576) |\n| --- | ---: |")
    for name in ("Competition", "CompetitionScoring", "CompetitionFactory", "MockEvaluator"):
        size = (len(load_artifact(name).deployed_bytecode) - 2) // 2
        print(f"| {name} | {size:,} |")


if __name__ == "__main__":
    main()
