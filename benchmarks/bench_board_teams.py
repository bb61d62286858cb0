"""Gas of the public board, teams and performance stakes: every new step, exact.

Run: ``python benchmarks/bench_board_teams.py``. The same setting as
``bench_competition.py`` (the MockEvaluator, chunks of 10 rows, 1 KiB models), with the
``ScoreClaims`` companion registered: a competition with a public board of
``--public-chunks`` chunks (default 4; the public claim's cost grows with them), teams
and performance stakes, played through once on the default chain (revm). Gas is the
receipts' and is exact and deterministic; wall time is not measured here.

Steps measured: ``proposeTeam`` (2 and 4 members), ``acceptTeam`` (not the last, the
last one forming the team, a merger of two teams with commits), ``commit`` by a team
member against an individual's, ``postPublicClaim`` (1, 4 and 16 public chunks),
``reveal`` by the member who did not commit (stake held), a public ``challenge`` that
voids (and disqualifies) and one that fails, public ``settle`` (bond back, bond
forfeited), ``finalize`` with stakes, ``withdrawStake`` (above and below the
threshold) and ``claim`` by a team member (its share of the team's prize).
"""

from __future__ import annotations

import argparse
from typing import Any

from bench_competition import TOKEN, Bench, fixed_bytes, mock_model, word
from eth_abi import encode
from eth_utils import keccak
from web3.logs import DISCARD

from mlmarket.contracts import load_artifact
from mlmarket.ml import MerkleTree
from mlmarket.ml.claims import SumTree

ZERO_SALT = bytes(32)


def chunk_set(count: int, salt: bytes, first_slot: int = 0) -> tuple[list[bytes], MerkleTree]:
    """MockEvaluator chunks of 10 rows (slots ``first_slot..``) and their positional tree."""
    chunks = [word(10) + word(first_slot + i) for i in range(count)]
    leaves = [
        keccak(encode(["bytes32", "uint256", "bytes32"], [salt, i, keccak(c)]))
        for i, c in enumerate(chunks)
    ]
    return chunks, MerkleTree(leaves)


class BoardBench(Bench):
    def __init__(self) -> None:
        super().__init__()
        self.claims = self.deploy("ScoreClaims", self.factory.address)
        self.send(self.factory.functions.setScoreClaims(self.claims.address), "deployer")
        for who in ("alice", "bob", "dave", "erin", "frank", "grace", "heidi", "ivan"):
            self.send(
                self.token.contract.functions.approve(self.claims.address, 10**9 * TOKEN), who
            )

    def board(self, public_chunks: int, **rules: Any) -> tuple[Any, dict]:
        """A competition with a public board of ``public_chunks`` chunks, teams allowed."""
        public, public_tree = chunk_set(public_chunks, ZERO_SALT, first_slot=100)
        now = self.chain.clock.now()
        # Room for the public window between the reveal deadline and the test reveal's.
        rules = {"testRevealEnd": now + 9000, "evaluationEnd": now + 12_000, **rules}
        comp, _, test = self.competition(
            chunks=3, places=3, stake=TOKEN, multiplePlaces=False,
            publicRoot=public_tree.root, publicSamples=10 * public_chunks,
            publicWindow=3600, publicClaimBond=5 * TOKEN, **rules,
        )  # fmt: skip
        test["public"], test["public_tree"] = public, public_tree
        return comp, test

    def commit(self, comp: Any, who: str, entrant: str, model: bytes, salt: bytes) -> int:
        self.send(self.token.contract.functions.approve(comp.address, TOKEN), who)
        commitment = self.chain.call(comp.functions.commitmentFor(entrant, keccak(model), salt))
        return self.send(comp.functions.commit(commitment), who)

    def public_claim(self, comp: Any, who: str, sub_id: int, leaves: list[list[int]]) -> int:
        fn = self.claims.functions.postPublicClaim(
            comp.address, sub_id, SumTree(sub_id, leaves).flat_leaves()
        )
        receipt = self.chain.transact(fn, sender=who)
        self.last_claim = self.claims.events.PublicClaimPosted().process_receipt(
            receipt, errors=DISCARD
        )[0]["args"]["claimId"]
        return int(receipt["gasUsed"])


def team_address(b: BoardBench, comp: Any, receipt: Any) -> str:
    (event,) = comp.events.TeamProposed().process_receipt(receipt, errors=DISCARD)
    return str(event["args"]["team"])


def run(public_chunks: int = 4) -> list[tuple[str, int]]:
    b = BoardBench()
    rows: list[tuple[str, int]] = []
    addr = b.chain.address
    # 50 % slashed below a score of 25 (each model scores its value on every test chunk).
    comp, test = b.board(public_chunks, slashBps=5000, stakeThreshold=25,
                         entriesPerPeriod=3, periodLength=500)  # fmt: skip
    f = comp.functions

    def propose(name: str, members: list[str], shares: list[int], who: str) -> tuple[str, int]:
        receipt = b.chain.transact(
            f.proposeTeam(name, [addr(m) for m in members], shares), sender=who
        )
        return team_address(b, comp, receipt), int(receipt["gasUsed"])

    ab, gas = propose("Team AB", ["alice", "bob"], [6000, 4000], "alice")
    rows.append(("proposeTeam, 2 members", gas))
    rows.append(("acceptTeam, not the last (proposer)", b.send(f.acceptTeam(ab), "alice")))
    rows.append(
        ("acceptTeam, the last: forms the team (2 members)", b.send(f.acceptTeam(ab), "bob"))
    )
    de, _ = propose("Team DE", ["dave", "erin"], [5000, 5000], "dave")
    b.send(f.acceptTeam(de), "dave")
    b.send(f.acceptTeam(de), "erin")

    models = {n: mock_model(10 * n, 1024) for n in range(1, 6)}
    salts = {n: fixed_bytes(f"salt {n}") for n in range(1, 6)}
    rows.append(
        ("commit by a team member (1-token stake)", b.commit(comp, "bob", ab, models[1], salts[1]))
    )
    b.commit(comp, "dave", de, models[2], salts[2])
    rows.append(
        (
            "commit by an individual (1-token stake)",
            b.commit(comp, "frank", addr("frank"), models[3], salts[3]),
        )
    )
    b.commit(comp, "grace", addr("grace"), models[4], salts[4])
    b.commit(comp, "heidi", addr("heidi"), models[5], salts[5])
    # Public claims: each model's value on every public chunk; grace inflates hers.
    true = {n: [[10 * n]] * public_chunks for n in models}
    rows.append(
        (
            f"postPublicClaim, {public_chunks} public chunks",
            b.public_claim(comp, "alice", 1, true[1]),
        )
    )
    for n, who in ((2, "erin"), (3, "frank"), (5, "heidi")):
        b.public_claim(comp, who, n, true[n])
    b.public_claim(comp, "grace", 4, [[99]] * public_chunks)
    grace_claim = b.last_claim

    # A merger of two teams with commits, and a 4-member proposal.
    merged, gas = propose(
        "Team ABDE", ["alice", "bob", "dave", "erin"], [3000, 2000, 2500, 2500], "erin"
    )
    rows.append(("proposeTeam, 4 members", gas))
    for who in ("alice", "bob", "dave"):
        b.send(f.acceptTeam(merged), who)
    rows.append(("acceptTeam, the last: merges two teams with a commit each (4 members)",
                 b.send(f.acceptTeam(merged), "erin")))  # fmt: skip

    b.chain.clock.advance_to(test["params"]["submissionEnd"])
    rows.append(("reveal by a team member who did not commit (stake held)",
                 b.send(f.reveal(1, models[1], salts[1], ""), "alice")))  # fmt: skip
    b.send(f.reveal(2, models[2], salts[2], ""), "erin")
    rows.append(
        (
            "reveal by an individual (stake held)",
            b.send(f.reveal(3, models[3], salts[3], ""), "frank"),
        )
    )
    b.send(f.reveal(4, models[4], salts[4], ""), "grace")  # heidi never reveals

    def opening(sub_id: int, leaves: list[list[int]], index: int) -> tuple:
        siblings, sums = SumTree(sub_id, leaves).opening(index)
        return (index, leaves[index], siblings, sums, test["public"][index],
                test["public_tree"].proof(index), models[sub_id])  # fmt: skip

    false = b.claims.functions.challenge(grace_claim, opening(4, [[99]] * public_chunks, 0))
    rows.append(("challenge a public claim, wrong leaf: voids it, disqualifies the entry",
                 b.send(false, "ivan")))  # fmt: skip
    first_claim = int(b.chain.call(b.claims.functions.publicClaimOf(comp.address, 1)))
    right = b.claims.functions.challenge(first_claim, opening(1, true[1], 0))
    rows.append(("challenge a public claim, right leaf: the challenge bond is burned",
                 b.send(right, "ivan")))  # fmt: skip

    b.chain.clock.advance_to(test["params"]["revealEnd"] + 3600)
    b.send(f.revealTestSet(test["salt"], ""), "carol")
    rows.append(
        (
            "settle a public claim, model revealed: bond back",
            b.send(b.claims.functions.settle(first_claim), "ivan"),
        )
    )
    heidi_claim = int(b.chain.call(b.claims.functions.publicClaimOf(comp.address, 5)))
    rows.append(
        (
            "settle a public claim, never revealed: bond to the sink",
            b.send(b.claims.functions.settle(heidi_claim), "ivan"),
        )
    )
    for chunk in range(3):
        b.send(f.evaluate(chunk, test["chunks"][chunk], test["proofs"][chunk], [1, 2, 3, 4],
                          [models[i] for i in (1, 2, 3, 4)]), "ivan")  # fmt: skip
    rows.append(("finalize, 3 places, stakes slashed and shared", b.send(f.finalize(), "ivan")))
    rows.append(
        ("withdrawStake, above the threshold (stake + share)", b.send(f.withdrawStake(3), "ivan"))
    )
    rows.append(
        ("withdrawStake, below the threshold (stake − slash)", b.send(f.withdrawStake(1), "ivan"))
    )
    rows.append(
        ("claim by a team member (its share of the team's place)", b.send(f.claim(), "dave"))
    )

    # postPublicClaim at other public sizes (one claim each, otherwise the same setting).
    for size in (1, 16):
        if size == public_chunks:
            continue
        other, _ = b.board(size)
        b.commit(other, "frank", addr("frank"), models[3], salts[3])
        rows.append((f"postPublicClaim, {size} public chunk{'s' if size > 1 else ''}",
                     b.public_claim(other, "frank", 1, [[30]] * size)))  # fmt: skip
    return rows


def main() -> None:
    """Print Markdown tables (as in benchmarks/README.md)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--public-chunks", type=int, default=4)
    args = parser.parse_args()
    print("| operation | gas |\n| --- | ---: |")
    for label, gas in run(args.public_chunks):
        print(f"| {label} | {gas:,} |")
    print("\n| runtime bytecode | bytes (limit 24,576) |\n| --- | ---: |")
    for name in ("Competition", "CompetitionScoring", "CompetitionTeams", "ScoreClaims",
                 "CompetitionFactory"):  # fmt: skip
        size = (len(load_artifact(name).deployed_bytecode) - 2) // 2
        print(f"| {name} | {size:,} |")


if __name__ == "__main__":
    main()
