"""DataMarket against an exact Python model, under random sequences of actions.

A hypothesis state machine buys, delivers (sometimes late, sometimes as the
wrong account), refunds (sometimes early), complains, withdraws, contributes,
reviews, settles, claims, funds bounties, toggles listings and moves time.
The model replicates the contract's integer maths (accumulator, remainder,
fractions) and predicts every outcome, including which named error a call
must raise. After every step:

- the DataMarket's token balance equals, exactly, escrowed purchases + revenue
  balances + bounty funds + stakes of pending batches + contributor funds
  (owed + scaled share revenue, remainders and fractions included);
- the sink holds exactly the stakes of rejected batches (burned);
- every balance the step touched matches the model, and the model's balances
  plus the DataMarket's and the sink's add up to the fixed total supply.

The model also knows the rules that stop a curator from profiting from its own
collection: the curator cannot contribute to it, and bounties are capped per
contributor (collection 1 caps them at 12 rows, so seeded contributors hit it).

At the end of each example every view (revenueOf, getCollection,
getContributor, pendingRevenue, getPurchase, getBatch, hasAccess) is
reconciled with the model, and the balance identity is recomputed from views
alone. Block times are exact: the wall clock is frozen, so each transaction
(reverted or not) is mined one second after the previous block.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from mlmarket.chain import NAMES, connect
from mlmarket.contracts import bind_errors
from mlmarket.contracts.errors import (
    DataMarketAlreadyComplained,
    DataMarketAlreadyDelivered,
    DataMarketAlreadyRefunded,
    DataMarketBatchAlreadyAccepted,
    DataMarketBatchAlreadyRejected,
    DataMarketCuratorCannotContribute,
    DataMarketDeliveryTooLate,
    DataMarketInvalidRowCount,
    DataMarketListingInactive,
    DataMarketNotBuyer,
    DataMarketNotCurator,
    DataMarketNotDeliveredYet,
    DataMarketNothingToClaim,
    DataMarketNothingToWithdraw,
    DataMarketNotListingOwner,
    DataMarketRefundTooEarly,
    DataMarketReviewWindowClosed,
    DataMarketReviewWindowOpen,
)
from mlmarket.contracts.sink import SINK
from tests.contracts.test_data_market import (
    HOUR,
    START_BALANCE,
    DataMarketHarness,
    T,
    freeze_wall_clock,
)

P = 10**18  # ACC_PRECISION
ACTORS = ("alice", "bob", "carol", "dave", "erin")
PENDING, DELIVERED, REFUNDED = 0, 1, 2
BATCH_PENDING, ACCEPTED, REJECTED = 0, 1, 2
PUBLIC_KEYS: dict[str, bytes] = {}
INDEX = st.integers(min_value=0, max_value=1_000)
ACTOR = st.sampled_from(ACTORS)
# True = the right account acts; False = someone else tries (4:1).
RIGHT_SENDER = st.sampled_from([True, True, True, True, False])
# True = pick among the items where the action can succeed (pending, earning), if any (3:1).
MOSTLY = st.sampled_from([True, True, True, False])

# Fixed setup, created once before the snapshot every example starts from.
LISTINGS = [
    # owner, price, window, collection
    ("alice", 7 * T, HOUR, 0),
    ("bob", 3 * T + 1, 2 * HOUR, 0),
    ("alice", 10 * T + 7, HOUR, 1),
    ("carol", T + 1, HOUR // 2, 2),
]
COLLECTIONS = [
    # curator, cut bps, review window, max rows, stake, bounty per row,
    # max bounty rows per contributor (0 = no cap), initial fund
    ("alice", 1000, 24 * HOUR, 50, T, T // 3, 12, 20 * T),
    ("carol", 0, HOUR, 10, 0, 0, 0, 0),
]
SEED_BATCHES = [
    # collection, contributor, rows: accepted during setup, so sales share from step one
    (1, "bob", 10),
    (1, "dave", 7),
    (2, "erin", 3),
]
SEED_PURCHASES = [
    # buyer, listing, delivered during setup
    ("carol", 1, True),
    ("carol", 3, True),
    ("dave", 3, False),
    ("erin", 4, False),
    ("bob", 2, False),
    ("bob", 4, True),
]
SEED_PENDING_BATCHES = [
    # collection, contributor, rows: submitted during setup, after the sales, not reviewed
    (1, "carol", 5),
    (2, "dave", 4),
]
ROWS = st.integers(min_value=0, max_value=12)  # 0, and 11..12 in collection 2, are refused


@dataclass
class Listing:
    owner: str
    price: int
    window: int
    collection: int
    active: bool = True
    sales: int = 0
    complaints: int = 0


@dataclass
class Purchase:
    listing: int
    buyer: str
    amount: int
    deliver_by: int
    status: int = PENDING
    complained: bool = False


@dataclass
class Collection:
    curator: str
    cut_bps: int
    review: int
    max_rows: int
    stake: int
    bounty_per_row: int
    max_bounty_rows: int
    fund: int
    total_shares: int = 0
    acc: int = 0
    remainder: int = 0


@dataclass
class Contributor:
    shares: int = 0
    debt: int = 0
    owed: int = 0


@dataclass
class Batch:
    collection: int
    contributor: str
    rows: int
    review_by: int
    status: int = BATCH_PENDING


@dataclass(frozen=True)
class Setup:
    dm: DataMarketHarness
    snapshot: int
    deliver_by: list[int]  # of SEED_PURCHASES
    review_by: list[int]  # of SEED_PENDING_BATCHES


@pytest.fixture(scope="module")
def base() -> Iterator[Setup]:
    with connect() as chain:
        bind_errors(chain)
        dm = DataMarketHarness(chain)
        for curator, cut, review, max_rows, stake, bounty, bounty_cap, fund in COLLECTIONS:
            dm.create_collection(
                curator, cut_bps=cut, review=review, max_rows=max_rows, stake=stake,
                bounty_per_row=bounty, max_bounty_rows=bounty_cap, fund=fund,
            )  # fmt: skip
        for owner, price, window, collection in LISTINGS:
            dm.create_listing(owner, price=price, window=window, collection=collection)
        for collection_id, contributor, rows in SEED_BATCHES:
            batch_id = dm.contribute(contributor, collection_id, rows)
            curator = COLLECTIONS[collection_id - 1][0]
            dm.tx("reviewBatch", batch_id, True, sender=curator)
        deliver_by = []
        for buyer, listing_id, delivered in SEED_PURCHASES:
            purchase_id = dm.buy(buyer, listing_id)
            deliver_by.append(dm.purchase(purchase_id)["deliverBy"])
            if delivered:
                dm.deliver(LISTINGS[listing_id - 1][0], purchase_id)
        review_by = []
        for collection_id, contributor, rows in SEED_PENDING_BATCHES:
            batch_id = dm.contribute(contributor, collection_id, rows)
            review_by.append(dm.batch(batch_id)["reviewBy"])
        for actor in ACTORS:
            dm.approve(actor, 2**256 - 1)  # infinite allowance: buys are one transaction
        chain.clock.advance(1)  # the snapshot's block is empty, so reverting to it is cheap
        yield Setup(dm, chain.snapshot(), deliver_by, review_by)


class DataMarketMachine(RuleBasedStateMachine):
    """One example: the chain reverted to the setup snapshot, and the model of it."""

    def __init__(self, setup: Setup) -> None:
        super().__init__()
        self.dm = dm = setup.dm
        dm.chain.revert(setup.snapshot)
        # From here each transaction is mined exactly one second after the last block.
        self.now = dm.chain.clock.latest_block_time() + 1
        dm.chain.clock.advance_to(self.now)
        self.listings = [Listing(o, p, w, c) for o, p, w, c in LISTINGS]
        self.collections = [Collection(*params) for params in COLLECTIONS]
        self.contributors: dict[tuple[int, str], Contributor] = {}
        self.purchases: list[Purchase] = []
        self.batches: list[Batch] = []
        self.balances = {actor: START_BALANCE for actor in ACTORS}
        self.revenue = dict.fromkeys(ACTORS, 0)
        self.held = 0  # the DataMarket's token balance according to the model
        self.sink = 0  # burned: the stakes of rejected batches
        for collection in self.collections:
            self.balances[collection.curator] -= collection.fund
            self.held += collection.fund
        # The token's whole supply: the actors, the DataMarket and the named accounts that
        # never act (each keeps its starting balance).
        self.supply = START_BALANCE * len(NAMES)
        self.bystanders = START_BALANCE * (len(NAMES) - len(ACTORS))
        self.touched: set[str] = set()
        for collection_id, contributor, rows in SEED_BATCHES:
            self.batches.append(Batch(collection_id, contributor, rows, review_by=0))
            self.move(contributor, -self.collections[collection_id - 1].stake)
            self.accept(self.batches[-1])
        for (buyer, listing_id, delivered), deliver_by in zip(
            SEED_PURCHASES, setup.deliver_by, strict=True
        ):
            listing = self.listings[listing_id - 1]
            self.purchases.append(Purchase(listing_id, buyer, listing.price, deliver_by))
            self.move(buyer, -listing.price)
            if delivered:
                self.settle_sale(self.purchases[-1])
        for (collection_id, contributor, rows), review_by in zip(
            SEED_PENDING_BATCHES, setup.review_by, strict=True
        ):
            self.batches.append(Batch(collection_id, contributor, rows, review_by))
            self.move(contributor, -self.collections[collection_id - 1].stake)
        self.touched.clear()

    # --- plumbing --------------------------------------------------------------------

    def key(self, actor: str) -> bytes:
        if actor not in PUBLIC_KEYS:
            PUBLIC_KEYS[actor] = self.dm.public_key(actor)
        return PUBLIC_KEYS[actor]

    def send(self, error: type[Exception] | None, name: str, *args: Any, sender: str) -> Any:
        """Send a transaction that must succeed (error None) or raise ``error``."""
        if error is None:
            self.now += 1  # mined one second after the previous block
            return self.dm.tx(name, *args, sender=sender)
        with pytest.raises(error):  # refused by the dry run: no block, time stands still
            self.dm.tx(name, *args, sender=sender)
        return None

    def move(self, actor: str, delta: int) -> None:
        """Tokens between ``actor`` and the DataMarket (positive: to the actor)."""
        self.balances[actor] += delta
        self.held -= delta
        self.touched.add(actor)

    def pick_purchase(self, index: int, pending_first: bool) -> int:
        """A purchase id: among the pending ones if asked (and any), else among all."""
        ids = range(1, len(self.purchases) + 1)
        pending = [i for i in ids if self.purchases[i - 1].status == PENDING]
        pool = pending if pending_first and pending else ids
        return pool[index % len(pool)]

    def pick_batch(self, index: int, pending_first: bool) -> int:
        ids = range(1, len(self.batches) + 1)
        pending = [i for i in ids if self.batches[i - 1].status == BATCH_PENDING]
        pool = pending if pending_first and pending else ids
        return pool[index % len(pool)]

    def any_pending_batch(self) -> bool:
        return any(b.status == BATCH_PENDING for b in self.batches)

    def other_than(self, actor: str, pick: int) -> str:
        others = [a for a in ACTORS if a != actor]
        return others[pick % len(others)]

    def contributor(self, collection_id: int, actor: str) -> Contributor:
        return self.contributors.setdefault((collection_id, actor), Contributor())

    def settle_sale(self, purchase: Purchase) -> None:
        """A delivery: the escrow becomes the owner's revenue, or is shared out."""
        listing = self.listings[purchase.listing - 1]
        purchase.status = DELIVERED
        listing.sales += 1
        if listing.collection == 0:
            self.revenue[listing.owner] += purchase.amount
        else:
            self.distribute(listing.collection, purchase.amount)

    def distribute(self, collection_id: int, amount: int) -> None:
        c = self.collections[collection_id - 1]
        curator_amount = amount
        if c.total_shares:
            curator_amount = amount * c.cut_bps // 10_000
            scaled = (amount - curator_amount) * P + c.remainder
            c.acc += scaled // c.total_shares
            c.remainder = scaled % c.total_shares
        self.revenue[c.curator] += curator_amount

    def accept(self, batch: Batch) -> None:
        c = self.collections[batch.collection - 1]
        k = self.contributor(batch.collection, batch.contributor)
        bounty_rows = batch.rows
        if c.max_bounty_rows:  # rows accepted earlier (the shares) have used the cap
            bounty_rows = min(batch.rows, max(c.max_bounty_rows - k.shares, 0))
        bounty = min(bounty_rows * c.bounty_per_row, c.fund)
        c.fund -= bounty
        c.total_shares += batch.rows
        k.shares += batch.rows
        k.debt += batch.rows * c.acc
        k.owed += bounty + c.stake
        batch.status = ACCEPTED

    def check_contributor(self, batch: Batch) -> None:
        """The accepted batch's contributor, on chain, is exactly the model's."""
        k = self.contributor(batch.collection, batch.contributor)
        view = self.dm.contributor(batch.collection, batch.contributor)
        assert (view["shares"], view["rewardDebt"], view["owed"]) == (k.shares, k.debt, k.owed)

    def claimable(self, collection_id: int, actor: str) -> tuple[int, int]:
        """(tokens claim pays, scaled share revenue it consumes)."""
        c = self.collections[collection_id - 1]
        k = self.contributor(collection_id, actor)
        accrued = k.shares * c.acc - k.debt
        paid_scaled = accrued - accrued % P
        return k.owed + paid_scaled // P, paid_scaled

    def scaled_holdings(self) -> int:
        """What the DataMarket must hold, times ACC_PRECISION, from the model's buckets."""
        escrow = sum(p.amount for p in self.purchases if p.status == PENDING)
        stakes = sum(
            self.collections[b.collection - 1].stake
            for b in self.batches
            if b.status == BATCH_PENDING
        )
        funds = sum(c.fund for c in self.collections)
        share_revenue = sum(c.remainder for c in self.collections) + sum(
            k.shares * self.collections[cid - 1].acc - k.debt + k.owed * P
            for (cid, _), k in self.contributors.items()
        )
        return (escrow + sum(self.revenue.values()) + funds + stakes) * P + share_revenue

    # --- purchases -------------------------------------------------------------------

    @rule(buyer=ACTOR, listing_id=st.integers(min_value=1, max_value=len(LISTINGS)))
    def buy(self, buyer: str, listing_id: int) -> None:
        listing = self.listings[listing_id - 1]
        if not listing.active:
            self.send(DataMarketListingInactive, "buy", listing_id, self.key(buyer), sender=buyer)
            return
        self.send(None, "buy", listing_id, self.key(buyer), sender=buyer)
        self.purchases.append(Purchase(listing_id, buyer, listing.price, self.now + listing.window))
        self.move(buyer, -listing.price)

    @precondition(lambda self: self.purchases)
    @rule(index=INDEX, right=RIGHT_SENDER, pick=INDEX, pending_first=MOSTLY)
    def deliver(self, index: int, right: bool, pick: int, pending_first: bool) -> None:
        purchase_id = self.pick_purchase(index, pending_first)
        purchase = self.purchases[purchase_id - 1]
        listing = self.listings[purchase.listing - 1]
        sender = listing.owner if right else self.other_than(listing.owner, pick)
        wrapped = bytes([purchase_id % 256]) * 129
        tx_time = self.now + 1
        if sender != listing.owner:
            error: type[Exception] | None = DataMarketNotListingOwner
        elif purchase.status == DELIVERED:
            error = DataMarketAlreadyDelivered
        elif purchase.status == REFUNDED:
            error = DataMarketAlreadyRefunded
        elif tx_time >= purchase.deliver_by:
            error = DataMarketDeliveryTooLate
        else:
            error = None
        self.send(error, "deliver", purchase_id, wrapped, sender=sender)
        if error is not None:
            return
        self.settle_sale(purchase)
        if listing.collection:
            c = self.collections[listing.collection - 1]
            on_chain = self.dm.collection(listing.collection)
            assert (on_chain["accRevenuePerShare"], on_chain["accRemainder"]) == (
                c.acc,
                c.remainder,
            )
        assert self.dm.revenue(listing.owner) == self.revenue[listing.owner]

    @precondition(lambda self: self.purchases)
    @rule(index=INDEX, right=RIGHT_SENDER, pick=INDEX, pending_first=MOSTLY)
    def refund(self, index: int, right: bool, pick: int, pending_first: bool) -> None:
        purchase_id = self.pick_purchase(index, pending_first)
        purchase = self.purchases[purchase_id - 1]
        sender = purchase.buyer if right else self.other_than(purchase.buyer, pick)
        if sender != purchase.buyer:
            error: type[Exception] | None = DataMarketNotBuyer
        elif purchase.status == DELIVERED:
            error = DataMarketAlreadyDelivered
        elif purchase.status == REFUNDED:
            error = DataMarketAlreadyRefunded
        elif self.now + 1 < purchase.deliver_by:
            error = DataMarketRefundTooEarly
        else:
            error = None
        self.send(error, "refund", purchase_id, sender=sender)
        if error is None:
            purchase.status = REFUNDED
            self.move(purchase.buyer, purchase.amount)

    @precondition(lambda self: self.purchases)
    @rule(index=INDEX, delivered_first=MOSTLY)
    def complain(self, index: int, delivered_first: bool) -> None:
        ids = range(1, len(self.purchases) + 1)
        fresh = [
            i
            for i in ids
            if self.purchases[i - 1].status == DELIVERED and not self.purchases[i - 1].complained
        ]
        pool = fresh if delivered_first and fresh else ids
        purchase_id = pool[index % len(pool)]
        purchase = self.purchases[purchase_id - 1]
        if purchase.status == PENDING:
            error: type[Exception] | None = DataMarketNotDeliveredYet
        elif purchase.status == REFUNDED:
            error = DataMarketAlreadyRefunded
        elif purchase.complained:
            error = DataMarketAlreadyComplained
        else:
            error = None
        self.send(error, "complain", purchase_id, "not as described", sender=purchase.buyer)
        if error is None:
            purchase.complained = True
            self.listings[purchase.listing - 1].complaints += 1

    @precondition(lambda self: any(self.revenue.values()))
    @rule(index=INDEX, earner_first=MOSTLY)
    def withdraw(self, index: int, earner_first: bool) -> None:
        earners = [a for a in ACTORS if self.revenue[a]]
        pool = earners if earner_first and earners else ACTORS
        actor = pool[index % len(pool)]
        amount = self.revenue[actor]
        self.send(None if amount else DataMarketNothingToWithdraw, "withdraw", sender=actor)
        if amount:
            self.revenue[actor] = 0
            self.move(actor, amount)

    @rule(listing_id=st.integers(min_value=1, max_value=len(LISTINGS)), active=st.booleans())
    def set_active(self, listing_id: int, active: bool) -> None:
        listing = self.listings[listing_id - 1]
        self.send(None, "setListingActive", listing_id, active, sender=listing.owner)
        listing.active = active

    @rule(seconds=st.sampled_from([60, HOUR // 2, HOUR, 2 * HOUR, 25 * HOUR]))
    def advance_time(self, seconds: int) -> None:
        self.dm.chain.clock.advance(seconds)
        self.now += seconds

    # --- collections -----------------------------------------------------------------

    @rule(
        actor=ACTOR,
        collection_id=st.integers(min_value=1, max_value=len(COLLECTIONS)),
        rows=ROWS,
    )
    def contribute(self, actor: str, collection_id: int, rows: int) -> None:
        c = self.collections[collection_id - 1]
        if actor == c.curator:
            error: type[Exception] | None = DataMarketCuratorCannotContribute
        elif not 1 <= rows <= c.max_rows:
            error = DataMarketInvalidRowCount
        else:
            error = None
        self.send(error, "contribute", collection_id, "bafybatch", rows, sender=actor)
        if error is None:
            self.batches.append(Batch(collection_id, actor, rows, self.now + c.review))
            self.move(actor, -c.stake)

    @precondition(lambda self: self.any_pending_batch())
    @rule(index=INDEX, accept=st.booleans(), right=RIGHT_SENDER, pick=INDEX, pending_first=MOSTLY)
    def review(self, index: int, accept: bool, right: bool, pick: int, pending_first: bool) -> None:
        batch_id = self.pick_batch(index, pending_first)
        batch = self.batches[batch_id - 1]
        c = self.collections[batch.collection - 1]
        sender = c.curator if right else self.other_than(c.curator, pick)
        if sender != c.curator:
            error: type[Exception] | None = DataMarketNotCurator
        elif batch.status == ACCEPTED:
            error = DataMarketBatchAlreadyAccepted
        elif batch.status == REJECTED:
            error = DataMarketBatchAlreadyRejected
        elif self.now + 1 >= batch.review_by:
            error = DataMarketReviewWindowClosed
        else:
            error = None
        self.send(error, "reviewBatch", batch_id, accept, sender=sender)
        if error is not None:
            return
        if accept:
            self.accept(batch)
            self.check_contributor(batch)
        else:
            batch.status = REJECTED
            self.held -= c.stake  # the stake leaves for the sink at once
            self.sink += c.stake

    @precondition(lambda self: self.any_pending_batch())
    @rule(index=INDEX, settler=ACTOR, pending_first=MOSTLY)
    def settle(self, index: int, settler: str, pending_first: bool) -> None:
        batch_id = self.pick_batch(index, pending_first)
        batch = self.batches[batch_id - 1]
        if batch.status == ACCEPTED:
            error: type[Exception] | None = DataMarketBatchAlreadyAccepted
        elif batch.status == REJECTED:
            error = DataMarketBatchAlreadyRejected
        elif self.now + 1 < batch.review_by:
            error = DataMarketReviewWindowOpen
        else:
            error = None
        self.send(error, "settleBatch", batch_id, sender=settler)
        if error is None:
            self.accept(batch)
            self.check_contributor(batch)

    @rule(index=INDEX, earner_first=MOSTLY)
    def claim(self, index: int, earner_first: bool) -> None:
        pairs = [(c, a) for c in range(1, len(COLLECTIONS) + 1) for a in ACTORS]
        earners = [(c, a) for c, a in pairs if self.claimable(c, a)[0]]
        pool = earners if earner_first and earners else pairs
        collection_id, actor = pool[index % len(pool)]
        amount, paid_scaled = self.claimable(collection_id, actor)
        assert self.dm.pending(collection_id, actor) == amount
        self.send(
            None if amount else DataMarketNothingToClaim, "claim", collection_id, sender=actor
        )
        if amount:
            k = self.contributor(collection_id, actor)
            k.debt += paid_scaled
            k.owed = 0
            self.move(actor, amount)

    @rule(
        actor=ACTOR,
        collection_id=st.integers(min_value=1, max_value=len(COLLECTIONS)),
        amount=st.sampled_from([1, T // 7, 3 * T]),
    )
    def fund_bounty(self, actor: str, collection_id: int, amount: int) -> None:
        self.send(None, "fundBounty", collection_id, amount, sender=actor)
        self.collections[collection_id - 1].fund += amount
        self.move(actor, -amount)

    # --- invariants ------------------------------------------------------------------

    @invariant()
    def every_token_is_accounted_for(self) -> None:
        held = self.dm.balance(self.dm.address)
        assert held == self.held
        assert held * P == self.scaled_holdings()
        burned = self.dm.balance(SINK)
        assert burned == self.sink
        for actor in self.touched:
            assert self.dm.balance(actor) == self.balances[actor], actor
        self.touched.clear()
        assert sum(self.balances.values()) + held + burned + self.bystanders == self.supply

    def teardown(self) -> None:
        """Reconcile the views with the model, and the balance identity from views alone.

        Balances and outcomes were checked step by step; this adds the state only
        views show (revenue balances, collections, contributors, pending items)
        and recomputes what the DataMarket must hold without the model's buckets.
        """
        dm = self.dm
        assert dm.chain.clock.latest_block_time() == self.now
        revenue = 0
        for actor in ACTORS:
            revenue += dm.revenue(actor)
            assert dm.revenue(actor) == self.revenue[actor]
        escrow = 0
        for purchase_id, model in enumerate(self.purchases, start=1):
            if model.status == PENDING:  # the others' statuses were proven by the rules' errors
                view = dm.purchase(purchase_id)
                assert view["status"] == PENDING and view["amount"] == model.amount
                escrow += view["amount"]
        stakes = 0
        for batch_id, model in enumerate(self.batches, start=1):
            if model.status == BATCH_PENDING:
                view = dm.batch(batch_id)
                assert view["status"] == BATCH_PENDING
                stakes += self.collections[view["collectionId"] - 1].stake
        funds = contributor_scaled = 0
        for collection_id, model in enumerate(self.collections, start=1):
            view = dm.collection(collection_id)
            assert (
                view["bountyFund"], view["totalShares"], view["accRevenuePerShare"],
                view["accRemainder"],
            ) == (model.fund, model.total_shares, model.acc, model.remainder)  # fmt: skip
            funds += view["bountyFund"]
            contributor_scaled += view["accRemainder"]
            for (cid, actor), expected in self.contributors.items():
                if cid != collection_id:
                    continue
                k = dm.contributor(collection_id, actor)
                assert (k["shares"], k["rewardDebt"], k["owed"]) == (
                    expected.shares, expected.debt, expected.owed,
                )  # fmt: skip
                accrued = k["shares"] * view["accRevenuePerShare"] - k["rewardDebt"]
                contributor_scaled += accrued + k["owed"] * P
        held = dm.balance(dm.address)
        assert held * P == (escrow + revenue + funds + stakes) * P + contributor_scaled


def test_dataMarket_keepsEveryTokenAccountedFor(
    base: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    freeze_wall_clock(monkeypatch)
    run_state_machine_as_test(
        lambda: DataMarketMachine(base),
        settings=settings(settings.default, stateful_step_count=12, deadline=None),
    )
