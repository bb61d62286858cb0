"""Where every token is: balances by holder, and the contracts' obligations, checked.

After every timestep the runner checks two things and raises
:class:`SimulationInvariantError` if either fails:

- **Conservation**: the change of every holder's balance — the named accounts (so every
  agent), every contract of the market (``DataMarket``, each competition,
  ``ScoreClaims``, the factory) and the sink — sums to zero: Σ agents' profit + Δ
  contract balances + Δ sink = 0. A token that went anywhere else breaks it. Every
  holder's balance on chain must also equal what the token's ``Transfer`` events of the
  run's transactions add up to (:meth:`Ledger.observe`: the balances the runner records
  after each action, without reading the chain).
- **Obligations**: each competition holds exactly what it still owes
  (:meth:`Ledger.competition_obligations`), and the ``DataMarket`` exactly its escrow, owed
  revenue, bounty funds, pending stakes and contributors' share revenue
  (:meth:`Ledger.data_market_obligations`, in units × ``ACC_PRECISION``, exact; checked
  again whenever a transaction reached it or moved its tokens).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eth_utils import keccak

from mlmarket.contracts.sink import SINK
from mlmarket.errors import MlmarketError
from mlmarket.market.params import CompetitionParams, param_names

if TYPE_CHECKING:
    from mlmarket.market import Market

__all__ = ["Ledger", "SimulationInvariantError", "check_conservation"]

TRANSFER = keccak(text="Transfer(address,address,uint256)")
ZERO = "0x" + "00" * 20
PURCHASE_PENDING = 0
BATCH_PENDING = 0


class SimulationInvariantError(MlmarketError):
    """A token moved where no rule sends it, or a contract holds more or less than it owes."""


class Ledger:
    """Every holder's balance and every contract's obligations, read fast."""

    def __init__(self, market: Market) -> None:
        from mlmarket.contracts import load_artifact

        self.market = market
        self.read = market.chain.read  # views by name, without web3's function objects
        self.token = market.token.contract
        self.data = market.data.contract
        self.factory = market.competitions.factory
        self.claims = market.competitions.score_claims
        self._comp_abi = load_artifact("Competition").abi
        self.accounts = {name: a.address for name, a in market.chain.accounts.items()}
        self.tracked: dict[str, int] = {}  # lowercase address -> units, from Transfer events
        self._seen = 0
        # Whether a transaction since the last check was sent to the DataMarket, or it
        # emitted an event, or sent or received tokens: its obligations can only change
        # then (no other contract calls it).
        self._dm_due = True
        self._precision: int | None = None
        self._params: dict[str, CompetitionParams] = {}  # by competition address, this run

    def start(self) -> dict[str, int]:
        """Every holder's balance now, by label (a run's start); the balances
        :meth:`observe` follows start from these."""
        holders = self.holders()
        found = self.balances(holders)
        self.tracked = {holders[label].lower(): units for label, units in found.items()}
        self._seen = len(self.market.chain.history)
        self._dm_due = True
        self._params.clear()  # a revert may have put another competition at an address
        return found

    def observe(self) -> dict[str, int]:
        """Every balance the token's ``Transfer`` events moved, by lowercase address: those
        at :meth:`start`, plus the events of every transaction mined since. Exact as long
        as every balance change emits its event (:meth:`check` verifies it)."""
        history, token, tracked = self.market.chain.history, self.token.address, self.tracked
        dm = self.data.address
        for record in history[self._seen :]:
            self._dm_due = self._dm_due or record.to == dm
            for log in record.logs:
                self._dm_due = self._dm_due or log.address == dm
                if log.address != token or len(log.topics) != 3 or log.topics[0] != TRANSFER:
                    continue
                value = int.from_bytes(log.data, "big")
                source, target = ("0x" + topic[12:].hex() for topic in log.topics[1:])
                self._dm_due = self._dm_due or dm.lower() in (source, target)
                if source != ZERO:  # a mint has no source
                    tracked[source] = tracked.get(source, 0) - value
                if target != ZERO:  # a burn no target
                    tracked[target] = tracked.get(target, 0) + value
        self._seen = len(history)
        return tracked

    def competitions(self) -> list[Any]:
        """Every competition's web3 contract."""
        count = int(self.read(self.factory, "competitionCount"))
        found = []
        for i in range(count):
            address = self.read(self.factory, "competitionAt", i)
            found.append(self.market.chain.contract(address, self._comp_abi))  # kept by the chain
        return found

    def holders(self, competitions: list[Any] | None = None) -> dict[str, str]:
        """Every address that can hold the market's tokens: label -> address (each
        competition's label is ``competition <index>``)."""
        found = dict(self.accounts)
        found["DataMarket"] = self.data.address
        found["CompetitionFactory"] = self.factory.address
        if int(self.claims.address, 16):
            found["ScoreClaims"] = self.claims.address
        if competitions is None:
            competitions = self.competitions()
        for index, comp in enumerate(competitions):
            found[f"competition {index}"] = comp.address
        found["sink"] = SINK
        return found

    def balances(self, addresses: dict[str, str]) -> dict[str, int]:
        """Raw token balances (smallest units) of ``addresses``, by label."""
        return {label: int(self.read(self.token, "balanceOf", a)) for label, a in addresses.items()}

    def competition_obligations(self, comp: Any) -> int:
        """What competition ``comp`` (a web3 contract) still owes, in units: before
        finalization the reward, the bond, the stakes of unrevealed submissions and the held
        performance stakes; after it, every account's unclaimed payout and every stake not
        yet withdrawn."""
        read = self.read
        p = self._params.get(comp.address)
        if p is None:  # fixed at creation: read once a run
            p = CompetitionParams.from_chain(read(comp, "params"), param_names(comp.abi))
            self._params[comp.address] = p
        reward, stake, bond, slash = p.reward, p.entry_stake, p.creator_bond, p.slash_bps
        submissions = int(read(comp, "submissionCount"))
        if not read(comp, "finalized"):
            revealed = int(read(comp, "revealedCount"))
            held = int(read(comp, "revealedFinalCount")) * stake if slash else 0
            return reward + bond + stake * (submissions - revealed) + held
        owed = sum(int(read(comp, "claimable", a)) for a in self.accounts.values())
        return owed + sum(int(read(comp, "stakeOf", i)) for i in range(1, submissions + 1))

    def data_market_obligations(self) -> tuple[int, int]:
        """``(held, owed)`` of the ``DataMarket``, both in units × ``ACC_PRECISION``: its
        token balance, and its escrow + revenue + bounty funds + pending stakes +
        contributors' share revenue and credits (with each collection's undistributed
        remainder)."""
        read, dm = self.read, self.data
        if self._precision is None:  # a constant
            self._precision = int(read(dm, "ACC_PRECISION"))
        precision = self._precision
        accounts = list(self.accounts.values())
        purchases = [read(dm, "getPurchase", i) for i in range(1, read(dm, "purchaseCount") + 1)]
        escrow = sum(int(p[4]) for p in purchases if int(p[2]) == PURCHASE_PENDING)
        revenue = sum(int(read(dm, "revenueOf", a)) for a in accounts)
        count = int(read(dm, "collectionCount"))
        collections = [read(dm, "getCollection", i) for i in range(1, count + 1)]
        stakes = 0
        for i in range(1, int(read(dm, "batchCount")) + 1):
            batch = read(dm, "getBatch", i)
            if int(batch[2]) == BATCH_PENDING:
                stakes += int(collections[int(batch[3]) - 1][4])
        scaled = 0
        for cid, col in enumerate(collections, start=1):
            funds, acc, remainder = int(col[7]), int(col[9]), int(col[10])
            scaled += funds * precision + remainder
            for a in accounts:
                shares, debt, owed = (int(x) for x in read(dm, "getContributor", cid, a))
                scaled += shares * acc - debt + owed * precision
        owed_units = (escrow + revenue + stakes) * precision + scaled
        held = int(read(self.token, "balanceOf", dm.address)) * precision
        return held, owed_units

    def check(self, start: dict[str, int]) -> None:
        """Raise :class:`SimulationInvariantError` unless tokens are conserved since
        ``start``, every balance is what the ``Transfer`` events say, and every contract
        holds what it owes."""
        competitions = self.competitions()
        holders = self.holders(competitions)
        now = self.balances(holders)
        tracked = self.observe()
        known = {address.lower() for address in holders.values()}
        strays = {a: units for a, units in tracked.items() if units and a not in known}
        try:
            check_conservation(start, now)
        except SimulationInvariantError as error:
            if strays:
                raise SimulationInvariantError(
                    f"{error} Transfer events sent units to addresses no rule pays: {strays}."
                ) from None
            raise
        for label, address in holders.items():
            if tracked.get(address.lower(), 0) != now[label]:
                raise SimulationInvariantError(
                    f"{label} ({address}) holds {now[label]} units, but the token's Transfer "
                    f"events give it {tracked.get(address.lower(), 0)}."
                )
        for index, comp in enumerate(competitions):
            held = now[f"competition {index}"]
            owed = self.competition_obligations(comp)
            if held != owed:
                raise SimulationInvariantError(
                    f"Competition {index} ({comp.address}) holds {held} units but owes {owed}."
                )
        if not self._dm_due:
            return  # nothing reached the DataMarket since its last check
        self._dm_due = False
        held, owed = self.data_market_obligations()
        if held != owed:
            raise SimulationInvariantError(
                f"The DataMarket holds {held} scaled units but owes {owed} (× ACC_PRECISION)."
            )


def check_conservation(start: dict[str, int], now: dict[str, int]) -> int:
    """The sum of every holder's change (0 when conserved); raises if it is not 0."""
    moved = sum(now[label] - start.get(label, 0) for label in now)
    if moved:
        raise SimulationInvariantError(
            f"{moved} token units appeared or vanished: the holders' changes do not sum to 0."
        )
    return moved
