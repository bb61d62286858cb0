"""Teams and mergers of a competition (docs/competition-protocol.md, "Teams").

A team is proposed with its members and their payout shares, and forms when every member
has accepted it; from then on it commits as one *entrant*: one address (derived from a hash:
nobody holds its key) with one set of caps, one choice of finals and at most one prize
place. Forming a team merges each member's current entrant (the member itself, or its whole
team) into it, with the commits already made, under Kaggle's rule: the merged commits must
fit the cap per period times the periods so far (and the cap per entrant). Each member claims
its share of the team's prize itself.

``Competition`` exposes this module as ``comp.team``, ``comp.propose_team``,
``comp.accept_team``, ``comp.merge_teams``, ``comp.teams``, ``comp.team_of``,
``comp.entrant`` and ``comp.team_name``. Every rule the contract checks is checked here
first, so a refusal raises before anything is sent; it raises the contract's own error class
(e.g. ``CompetitionMergeOverCap``) made a :class:`~mlmarket.errors.ConfigurationError` too,
with a sentence saying what to change.

Example:
    >>> red = comp.team("Red", members=["bob", "carol"], shares=[0.6, 0.4])  # doctest: +SKIP
    >>> comp.submit(model, by="carol"); comp.entrant("bob") == red.address  # doctest: +SKIP
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd
from eth_utils import to_checksum_address

from mlmarket.chain.accounts import NamedAccount
from mlmarket.errors import ConfigurationError, ContractRevertError
from mlmarket.market.phases import moment, relative

if TYPE_CHECKING:
    from mlmarket.market.competition import Competition

__all__ = ["MAX_TEAM_SIZE", "Roster", "Team", "team_bps"]

MAX_TEAM_SIZE = 8  # CompetitionTeams.MAX_TEAM_SIZE
BPS = 10_000
ZERO = "0x" + "00" * 20
COLUMNS = ["team", "name", "members", "shares", "accepted", "formed", "commits", "merged_into"]

Who = NamedAccount | str


@dataclass(frozen=True)
class Team:
    """A proposed team of one competition, as the chain records it.

    ``address`` is the entrant address it commits as; ``members`` are the members' account
    names (their addresses for accounts this session does not hold), ``addresses`` their
    addresses, ``shares`` their payout shares as exact fractions summing to 1 (``bps`` in
    basis points), ``accepted`` how many members have accepted, ``formed`` whether all have.
    """

    address: str
    name: str
    members: tuple[str, ...]
    addresses: tuple[str, ...]
    shares: tuple[Decimal, ...]
    accepted: int
    formed: bool
    competition: str

    @property
    def bps(self) -> tuple[int, ...]:
        """The shares in basis points, as the contract holds them."""
        return tuple(int(s * BPS) for s in self.shares)

    def __str__(self) -> str:
        split = ", ".join(f"{m} {s:.2%}" for m, s in zip(self.members, self.shares, strict=True))
        state = "formed" if self.formed else f"{self.accepted}/{len(self.members)} accepted"
        return f"Team {self.name!r} ({split}; {state})"


def team_bps(shares: Sequence[Any] | None, count: int) -> list[int]:
    """Payout shares (fractions summing to 1, one per member) in basis points; ``None``:
    equal shares, the remainder of the basis points to the first member.

    Example:
        >>> team_bps(None, 3), team_bps([0.6, 0.4], 2)
        ([3334, 3333, 3333], [6000, 4000])
    """
    if shares is None:
        if count == 0:
            return []
        each = BPS // count
        return [BPS - each * (count - 1)] + [each] * (count - 1)
    if len(shares) != count:
        raise ConfigurationError(
            f"Give one share per member: {count} members but {len(shares)} shares."
        )
    try:
        bps = [Decimal(str(s)) * BPS for s in shares]
    except ArithmeticError:
        raise ConfigurationError(f"shares must be numbers, got {list(shares)}.") from None
    if any(b != b.to_integral_value() or b <= 0 for b in bps):
        raise ConfigurationError(
            f"Each share must be a positive fraction with at most 4 decimals (basis points), "
            f"got {list(shares)}."
        )
    return [int(b) for b in bps]


# --- reading the teams ------------------------------------------------------------------


class Roster:
    """The teams of a competition as its events record them, read once: names, members,
    mergers. ``entrant`` follows the mergers as the contract does, without a call.
    """

    def __init__(self, comp: Competition) -> None:
        self.comp = comp
        events = comp.contract.events
        self.names: dict[str, str] = {}
        self.proposer: dict[str, str] = {}
        self.order: list[str] = []  # teams in proposal order
        for log in comp.chain.logs(events.TeamProposed):
            team = to_checksum_address(log["args"]["team"])
            self.names[team] = str(log["args"]["name"])
            self.proposer[team] = to_checksum_address(log["args"]["proposer"])
            self.order.append(team)
        self.merged_into: dict[str, str] = {}
        self.formed_with: dict[str, tuple[list[str], int]] = {}
        for log in comp.chain.logs(events.TeamFormed):
            team = to_checksum_address(log["args"]["team"])
            merged = [to_checksum_address(e) for e in log["args"]["merged"]]
            self.formed_with[team] = (merged, int(log["args"]["entries"]))
            for entrant in merged:
                self.merged_into[entrant] = team

    def entrant(self, address: str) -> str:
        """The entrant ``address`` commits as now (its team after every merger, or itself)."""
        entrant = to_checksum_address(address)
        while entrant in self.merged_into:
            entrant = self.merged_into[entrant]
        return entrant

    def is_team(self, address: str) -> bool:
        return to_checksum_address(address) in self.names

    def label(self, address: str) -> str:
        """A team's name, an account's name, or the address."""
        address = to_checksum_address(address)
        return self.names.get(address) or self.comp.chain.describe(address)

    def name_of(self, address: str) -> str | None:
        """For error sentences: a team's name or an account's name (None if neither)."""
        address = to_checksum_address(address)
        return self.names.get(address) or self.comp.chain.accounts.name_of(address)

    def find(self, name: str) -> str:
        """The address of the team called ``name`` (the latest one not yet merged away)."""
        found = [t for t in self.order if self.names[t] == name]
        if not found:
            known = ", ".join(repr(n) for n in dict.fromkeys(self.names.values())) or "none"
            raise ConfigurationError(
                f"No team is called {name!r} in {self.comp.name!r} (teams: {known})."
            )
        current = [t for t in found if t not in self.merged_into]
        return (current or found)[-1]


def team_record(comp: Competition, team: str, roster: Roster | None = None) -> Team:
    """The :class:`Team` at entrant address ``team`` (raises ``CompetitionUnknownTeam``)."""
    roster = roster or Roster(comp)
    address = to_checksum_address(team)
    members, shares, accepted, formed = comp.chain.read(comp.contract, "teamOf", address)
    if not members:
        raise _refusal(comp, roster, "CompetitionUnknownTeam", {"team": address})
    addresses = tuple(to_checksum_address(m) for m in members)
    return Team(
        address=address, name=roster.names.get(address, ""),
        members=tuple(comp.chain.describe(a) for a in addresses), addresses=addresses,
        shares=tuple(Decimal(int(b)) / BPS for b in shares), accepted=int(accepted),
        formed=bool(formed), competition=comp.address,
    )  # fmt: skip


def team_of(comp: Competition, who: Team | Who) -> Team | None:
    """The team ``who`` is (a team address, name or record), or the team an account commits
    as now; ``None`` for an account that commits alone."""
    roster = Roster(comp)
    address = _team_or_account(comp, roster, who)
    if not roster.is_team(address):
        address = entrant(comp, address)
        if not roster.is_team(address):
            return None
    return team_record(comp, address, roster)


def entrant(comp: Competition, who: Who) -> str:
    """The entrant address ``who`` (an account, or a team) commits as: its team after every
    merger, or itself."""
    address = _address(comp, who)
    return str(comp.chain.read(comp.contract, "entrantOf", address))  # checksummed, as web3


def team_name(comp: Competition, address: str, roster: Roster | None = None) -> str:
    """A team's name, or an individual's label (its account name, or its address)."""
    return (roster or Roster(comp)).label(address)


def teams_table(comp: Competition) -> pd.DataFrame:
    """One row per proposed team: its entrant address (``team``), ``name``, ``members``
    (names), ``shares`` (fractions, in the members' order), ``accepted`` (e.g. ``"1/2"``),
    ``formed``, ``commits`` (made as this team; a team merged into another keeps its count
    and the new team counts them too) and ``merged_into`` (the name of the team it joined, or
    None)."""
    roster = Roster(comp)
    rows = []
    for address in roster.order:
        team = team_record(comp, address, roster)
        commits, _reveals = comp.chain.read(comp.contract, "submissionsOf", address)
        into = roster.merged_into.get(address)
        rows.append({
            "team": address, "name": team.name, "members": list(team.members),
            "shares": [float(s) for s in team.shares],
            "accepted": f"{team.accepted}/{len(team.members)}", "formed": team.formed,
            "commits": int(commits), "merged_into": roster.label(into) if into else None,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


# --- proposing, accepting, forming ----------------------------------------------------------


def propose_team(
    comp: Competition, name: str, members: Sequence[Who], shares: Sequence[Any] | None, *, by: Who
) -> Team:
    """``by`` (a member) proposes the team; see :meth:`Competition.propose_team`."""
    roster = Roster(comp)
    addresses = [_address(comp, m) for m in members]
    bps = _check_proposal(comp, roster, name, addresses, shares, proposer=_address(comp, by))
    receipt = comp.chain.send(comp.contract, "proposeTeam", name, addresses, bps, sender=by)
    team = comp._event(receipt, "TeamProposed")["team"]
    return team_record(comp, team, Roster(comp))


def accept_team(comp: Competition, team: Team | str, *, by: Who) -> Team:
    """``by`` accepts ``team``; the last acceptance forms it. See
    :meth:`Competition.accept_team`."""
    roster = Roster(comp)
    address = _team_address(comp, roster, team)
    member = _address(comp, by)
    _check_open(comp, roster)
    record = team_record(comp, address, roster)
    if record.formed:
        raise _refusal(comp, roster, "CompetitionTeamAlreadyFormed", {"team": address})
    if member not in record.addresses or _has_accepted(comp, address, member):
        said = (
            f"{comp.chain.describe(member)} is not a member of {record.name!r} (members: "
            f"{', '.join(record.members)})."
            if member not in record.addresses
            else f"{comp.chain.describe(member)} has already accepted {record.name!r}."
        )
        raise _refusal(
            comp, roster, "CompetitionCannotAccept", {"team": address, "account": member}, said
        )
    if record.accepted + 1 == len(record.members):  # this acceptance forms it: the merger rules
        _check_merger(comp, roster, list(record.addresses))
    comp.chain.send(comp.contract, "acceptTeam", address, sender=by)
    return team_record(comp, address, Roster(comp))


def form_team(
    comp: Competition, name: str, members: Sequence[Who], shares: Sequence[Any] | None
) -> Team:
    """Propose by the first member and accept by every member; see :meth:`Competition.team`."""
    roster = Roster(comp)
    accounts = [_signer(comp, m) for m in members]
    addresses = [a.address for a in accounts]
    if not accounts:
        raise _invalid_team(comp, roster, addresses, [], "A team needs at least one member.")
    bps = _check_proposal(comp, roster, name, addresses, shares, proposer=addresses[0])
    _check_merger(comp, roster, addresses)  # before anything is sent
    receipt = comp.chain.transact(
        comp.contract.functions.proposeTeam(name, addresses, bps), sender=accounts[0]
    )
    team = to_checksum_address(comp._event(receipt, "TeamProposed")["team"])
    for account in accounts:
        comp.chain.send(comp.contract, "acceptTeam", team, sender=account)
    return team_record(comp, team, Roster(comp))


def merge_teams(
    comp: Competition, name: str, teams_or_accounts: Sequence[Team | Who],
    shares: Sequence[Any] | None,
) -> Team:  # fmt: skip
    """Form a team of every member of the given teams and accounts; see
    :meth:`Competition.merge_teams`."""
    roster = Roster(comp)
    members: list[str] = []
    entrants: list[str] = []
    for item in teams_or_accounts:
        address = _team_or_account(comp, roster, item)
        current = roster.entrant(address)
        if current not in entrants:
            entrants.append(current)
        joined = _members_of(comp, roster, current)
        members.extend(m for m in joined if m not in members)
    if len(entrants) < 2:
        raise ConfigurationError(
            f"merge_teams needs at least two entrants (teams or accounts committing alone); "
            f"{', '.join(roster.label(e) for e in entrants) or 'none'} given. Form one team "
            "with comp.team(name, members=[...])."
        )
    return form_team(comp, name, members, shares)


# --- checks before sending --------------------------------------------------------------


def _check_open(comp: Competition, roster: Roster) -> None:
    """Teams are allowed, and the merger deadline has not passed (at the next block's time)."""
    p = comp.params
    if p.multiple_places:
        raise _refusal(comp, roster, "CompetitionTeamsNotAllowed", {})
    deadline = merger_deadline(comp)
    now = _next_block_time(comp)
    if now >= deadline:
        said = (
            f"Teams of {comp.name!r} formed and merged until {moment(deadline)}, "
            f"{relative(deadline, now)} (chain time), the merger deadline; after it every "
            "entrant competes as it is."
        )
        raise _refusal(comp, roster, "CompetitionMergerClosed", {"deadline": deadline}, said)


def merger_deadline(comp: Competition) -> int:
    """The last second (exclusive) teams may form or merge: ``params.merger_deadline``, or
    the submission deadline when that is 0."""
    p = comp.params
    return int(p.merger_deadline or p.submission_end)


def _check_proposal(
    comp: Competition, roster: Roster, name: str, members: list[str],
    shares: Sequence[Any] | None, *, proposer: str,
) -> list[int]:  # fmt: skip
    """The shares in basis points, after checking what ``proposeTeam`` checks."""
    _check_open(comp, roster)
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError(f"A team needs a name (a non-empty string), got {name!r}.")
    if not 1 <= len(members) <= MAX_TEAM_SIZE:
        raise _invalid_team(
            comp, roster, members, [],
            f"A team has 1 to {MAX_TEAM_SIZE} members; {len(members)} were given.",
        )  # fmt: skip
    try:
        bps = team_bps(shares, len(members))
    except ConfigurationError as error:
        raise _invalid_team(comp, roster, members, [], str(error)) from None
    if sum(bps) != BPS:
        total = Decimal(sum(bps)) / BPS
        raise _invalid_team(
            comp, roster, members, bps, f"The shares must sum to 1, not {total.normalize()}."
        )
    labels = [comp.chain.describe(m) for m in members]
    twice = sorted({lab for m, lab in zip(members, labels, strict=True) if members.count(m) > 1})
    if twice:
        raise _invalid_team(
            comp, roster, members, bps, f"{', '.join(twice)} listed more than once."
        )
    creator = to_checksum_address(comp.creator)
    if creator in members:
        said = f"{comp.chain.describe(creator)} created {comp.name!r} and cannot be in a team."
        raise _invalid_team(comp, roster, members, bps, said)
    if ZERO in members:
        raise _invalid_team(comp, roster, members, bps, "The zero address cannot be a member.")
    if proposer not in members:
        raise _invalid_team(
            comp, roster, members, bps,
            f"{comp.chain.describe(proposer)} proposes the team, so it must be a member.",
        )  # fmt: skip
    teams = [m for m in members if roster.is_team(m)]
    if teams:
        raise _invalid_team(
            comp, roster, members, bps,
            f"{', '.join(roster.label(t) for t in teams)} is a team, not an account: list its "
            "members, or use comp.merge_teams(name, [team, ...]).",
        )  # fmt: skip
    return bps


def _commits(comp: Competition, entrant_address: str) -> int:
    return int(comp.chain.read(comp.contract, "submissionsOf", entrant_address)[0])


def _check_merger(comp: Competition, roster: Roster, members: list[str]) -> None:
    """What forming a team of ``members`` checks: no team is split, a team that committed is
    not re-formed alone, and the merged commits fit the caps (Kaggle's rule)."""
    entrants: list[str] = []
    commits = 0
    for member in members:
        current = roster.entrant(member)
        if current in entrants:
            continue
        if current != member:
            left_out = [m for m in _members_of(comp, roster, current) if m not in members]
            if left_out:
                said = (
                    f"{comp.chain.describe(member)} is in team {roster.label(current)!r}, which "
                    f"would lose {', '.join(comp.chain.describe(m) for m in left_out)}: a team "
                    "joins whole. Add them, or merge the whole team with comp.merge_teams."
                )
                raise _refusal(
                    comp, roster, "CompetitionTeamSplit", {"member": member, "entrant": current},
                    said,
                )  # fmt: skip
        entrants.append(current)
        commits += _commits(comp, current)
    alone = entrants[0] if len(entrants) == 1 else None
    if alone and roster.is_team(alone) and _commits(comp, alone):
        said = (
            f"Team {roster.label(alone)!r} has committed, so its members and shares are fixed; "
            "it can only merge with another team or account."
        )
        raise _refusal(comp, roster, "CompetitionTeamFrozen", {"entrant": alone}, said)
    _check_caps(comp, roster, entrants, commits)


def _check_caps(comp: Competition, roster: Roster, entrants: list[str], commits: int) -> None:
    """Kaggle's merger rule: the merged commits fit the cap per period times the periods so
    far, and the cap per entrant; else say when (or that never) the merger fits."""
    p = comp.params
    labels = [roster.label(e) for e in entrants]
    who = " and ".join([", ".join(labels[:-1]), labels[-1]] if len(labels) > 1 else labels)
    made = f"{who} made {commits} submission{'s' if commits != 1 else ''} together."
    cap = p.max_submissions_per_address
    if cap and commits > cap:
        said = f"{made} The cap of {cap} per entrant never grows: this merger cannot happen."
        raise _refusal(
            comp, roster, "CompetitionMergeOverCap", {"entries": commits, "allowed": cap}, said
        )
    per_period = p.entries_per_period
    if not per_period:
        return
    created = int(comp.chain.read(comp.contract, "createdAt"))
    now = _next_block_time(comp)
    period = (now - created) // p.period_length
    allowed = per_period * (period + 1)
    if commits <= allowed:
        return
    first = -(-commits // per_period) - 1  # the first period whose allowance holds them
    opens = created + first * p.period_length
    deadline = merger_deadline(comp)
    if opens < deadline:
        when = (
            f"It fits from {moment(opens)}, {relative(opens, now)} (chain time), when "
            f"{per_period * (first + 1)} are allowed, until the merger deadline "
            f"{moment(deadline)}."
        )
    else:
        when = (
            f"It would fit only from {moment(opens)}, after the merger deadline "
            f"{moment(deadline)}: this merger cannot happen."
        )
    said = (
        f"{made} A merged team may have made at most {allowed} by now ({per_period} per "
        f"period times {period + 1} period{'s' if period else ''} so far). {when}"
    )
    raise _refusal(
        comp, roster, "CompetitionMergeOverCap", {"entries": commits, "allowed": allowed}, said
    )


def _invalid_team(
    comp: Competition, roster: Roster, members: list[str], bps: list[int], said: str
) -> ContractRevertError:
    args = {"members": len(members), "totalBps": sum(bps), "limit": MAX_TEAM_SIZE}
    return _refusal(comp, roster, "CompetitionInvalidTeam", args, said, rule=True)


_REFUSALS: dict[type, type] = {}


def _refusal(
    comp: Competition, roster: Roster, error: str, args: dict[str, Any], said: str = "",
    *, rule: bool = False,
) -> ContractRevertError:  # fmt: skip
    """The contract's error ``error`` predicted off chain (not raised): its class, made a
    :class:`ConfigurationError` too (nothing was sent). Its sentence is ``said`` (followed
    by the contract's sentence, the rule, with ``rule``), or the contract's sentence."""
    named = comp.chain.errors.named(error, args, roster.name_of)
    base = type(named)
    cls = _REFUSALS.get(base)
    if cls is None:
        cls = type(base.__name__, (base, ConfigurationError), {
            "__doc__": f"{base.__doc__} Predicted before sending: nothing was mined.",
            "__module__": base.__module__,
        })  # fmt: skip
        _REFUSALS[base] = cls
    message = (f"{said} {named}" if rule else said) if said else str(named)
    return cls(message, named.args_dict)  # type: ignore[no-any-return]


# --- helpers ----------------------------------------------------------------------------


def _next_block_time(comp: Competition) -> int:
    """The time the next block (the next transaction) gets."""
    return comp.chain.clock.next_block_timestamp(comp.chain.backend.latest_block()[0])


def _address(comp: Competition, who: Who) -> str:
    """The address of an account given as a name, a NamedAccount or an address."""
    if isinstance(who, NamedAccount):
        return who.address
    try:
        return comp.chain.address(who)  # checksummed
    except (KeyError, ValueError) as error:
        raise ConfigurationError(str(error).strip("'\"")) from None


def _signer(comp: Competition, who: Who) -> NamedAccount:
    """A member this session can sign for (``comp.team`` sends every member's acceptance)."""
    try:
        return comp.chain.accounts.resolve(who)
    except KeyError:
        raise ConfigurationError(
            f"{who} is not a signing account of this session, so comp.team cannot accept for "
            "it: propose with comp.propose_team(...) and let each member call "
            "comp.accept_team(team, by=member)."
        ) from None


def _team_address(comp: Competition, roster: Roster, team: Team | str) -> str:
    """A team given as a record, an address or a name."""
    if isinstance(team, Team):
        return team.address
    if isinstance(team, str) and team.startswith("0x"):
        return to_checksum_address(team)
    return roster.find(str(team))


def _team_or_account(comp: Competition, roster: Roster, item: Team | Who) -> str:
    """The address of a team (record, address or name) or of an account (name or address)."""
    if isinstance(item, Team | NamedAccount):
        return item.address
    if item.startswith("0x"):
        return to_checksum_address(item)
    if item in comp.chain.accounts:
        return comp.chain.accounts[item].address
    return roster.find(item)


def _members_of(comp: Competition, roster: Roster, entrant_address: str) -> list[str]:
    """The members of a formed team, or ``[account]`` for an account committing alone."""
    if not roster.is_team(entrant_address):
        return [entrant_address]
    members = comp.chain.read(comp.contract, "teamOf", entrant_address)[0]
    return [to_checksum_address(m) for m in members]


def _has_accepted(comp: Competition, team: str, member: str) -> bool:
    logs = comp.chain.logs(comp.contract.events.TeamAccepted)
    return any(
        to_checksum_address(log["args"]["team"]) == team
        and to_checksum_address(log["args"]["member"]) == member
        for log in logs
    )


def entrant_labels(comp: Competition) -> Callable[[str], str]:
    """``submitter address → label of its current entrant`` (a team's name, an account's
    name, or the address), from one read of the events: for leaderboards."""
    roster = Roster(comp)
    return lambda address: roster.label(roster.entrant(address))
