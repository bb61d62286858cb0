"""Market: the marketplace on one chain — its contracts, accounts, clock and tables."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import weakref
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from mlmarket.chain import Chain, connect, load, resume
from mlmarket.chain.accounts import NamedAccount
from mlmarket.chain.connect import BACKENDS
from mlmarket.chain.journal import JOURNAL_FILE, read_journal
from mlmarket.contracts import MarketToken, bind_errors, load_artifact
from mlmarket.contracts.artifacts import sources_hash
from mlmarket.crypto.randomness import Randomness
from mlmarket.errors import BackendNotSupportedError, ConfigurationError, DeploymentVersionError
from mlmarket.market.addressbook import AddressBook, Deployment, home_folder
from mlmarket.market.competitions import CompetitionService
from mlmarket.market.data import DataMarketService
from mlmarket.market.sessions import latest_session, mark_latest, start_session_journal
from mlmarket.market.tables import balances_table, competition_label, events_table
from mlmarket.market.vault import Vault
from mlmarket.storage import ContentStore, LocalStore
from mlmarket.storage.cid import CID, format_cid
from mlmarket.units import Amount, to_units

LOCAL_TOKENS_PER_ACCOUNT = 1_000
SIMULATION_GENESIS = 1_767_225_600
"""Where a seeded market's simulated clock starts: 2026-01-01T00:00:00Z."""
PUBLIC_SUPPLY = 1_000_000
MARKET_FILE = "market.json"


def simulation_home() -> str:
    """A fresh temporary home for a simulation: in memory (``/dev/shm``) where there is one."""
    shm = Path("/dev/shm")
    where = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    return tempfile.mkdtemp(prefix="mlmarket-sim-", dir=where)


class Market:
    """The marketplace: contracts deployed on a chain, with named accounts.

    Example:
        >>> market = Market.local()                 # in-memory chain, contracts, funded accounts
        >>> market.token.balance_of("alice")
        Decimal('1000')
        >>> market.balances().loc["alice", ["tokens", "tokens_exact"]].tolist()
        [1000.0, Decimal('1000')]
    """

    def __init__(
        self,
        chain: Chain,
        deployment: Deployment,
        *,
        store: ContentStore | None = None,
        home: str | Path | None = None,
        auto_deliver: bool = True,
        seed: int | None = None,
        fsync: bool = True,
    ) -> None:
        bind_errors(chain)
        self.chain = chain
        self.deployment = deployment
        self.home = Path(home) if home is not None else home_folder()
        self.store: ContentStore = (
            store if store is not None else LocalStore(self.home / "store", fsync=fsync)
        )
        self.vault = Vault(self.home / "vault", chain.identity, fsync=fsync)
        # Salts and ids: secrets, or a seeded stream in a simulation (mlmarket.crypto.randomness).
        self.random = Randomness(seed)
        self.token = MarketToken(chain, deployment.address("MarketToken"))
        self._content: set[str] = set()
        self._home_cleanup: weakref.finalize | None = None  # a simulation's temporary home
        data_market = chain.contract(
            deployment.address("DataMarket"), load_artifact("DataMarket").abi
        )
        self.data = DataMarketService(self, data_market, auto_deliver=auto_deliver)
        factory = chain.contract(
            deployment.address("CompetitionFactory"), load_artifact("CompetitionFactory").abi
        )
        self.competitions = CompetitionService(self, factory)

    def chain_time(self) -> datetime:
        """The chain clock's time as a UTC datetime (what metadata records as created)."""
        return datetime.fromtimestamp(self.chain.clock.now(), UTC)

    def store_content(self, data: bytes) -> str:
        """Add ``data`` to the content store (pinned), remember it; its CID as text."""
        return self.remember_content(self.store.add(data, pin=True))

    def remember_content(self, cid: object) -> str:
        """Record that the market refers to ``cid`` (saved with the session)."""
        text = format_cid(cid) if isinstance(cid, CID) else str(cid)
        if text not in self._content and self.chain.journal is not None:
            self.chain.journal.note("content", text)
        self._content.add(text)
        return text

    def _session_record(self) -> dict[str, Any]:
        """What :meth:`save` writes to ``market.json`` (and the journal's market note)."""
        return {
            "chain_id": self.deployment.chain_id,
            "name": self.deployment.name,
            "content": sorted(self._content),
            **self.deployment.to_json(),
        }

    def __repr__(self) -> str:
        return (
            f"<Market {self.deployment.name!r} on {self.chain.kind} "
            f"chain {self.chain.chain_id}, token {self.token.address}>"
        )

    # --- construction ------------------------------------------------------------

    @classmethod
    def local(
        cls,
        backend: str | None = None,
        *,
        tokens_per_account: Amount = LOCAL_TOKENS_PER_ACCOUNT,
        resume: bool = False,
        journal: bool | None = None,
        seed: int | None = None,
        genesis: int | None = None,
        **options: Any,
    ) -> Market:
        """Start a local chain (``"revm"``, ``"eth-tester"`` or ``"anvil"``), deploy, fund.

        ``backend=None`` takes the default (see :func:`~mlmarket.chain.default_backend`:
        revm when pyrevm is installed). Every named account receives
        ``tokens_per_account`` tokens. ``options`` are passed to the constructor
        (``store=``, ``home=``).

        With ``journal`` (the default) every block is appended to a session journal in
        ``<home>/sessions/`` as it is mined, so a session whose kernel died comes back
        with :meth:`load` ``(home)``. ``resume=True`` does that here: it resumes the
        latest session in ``home`` if there is one, else starts a new one.

        ``seed`` starts a **seeded simulation**: the chain's genesis (its time,
        ``genesis`` or :data:`SIMULATION_GENESIS`, and its extra data) and every salt and id
        the package draws (commitment and test-set salts, dataset ids) follow the seed, and
        the clock is simulated (each block a second after the last; only
        ``market.clock.advance`` moves it further), so two runs with one seed send the same
        transactions and use the same gas. Keys, encryption nonces and ECIES ephemeral keys
        stay random, so an encrypted data delivery differs between runs (its calldata gas by
        the zero bytes of the ciphertext). A seeded market keeps no journal (unless
        ``journal=True``), writes to its own temporary ``home`` unless given one (in memory
        under ``/dev/shm`` where there is one, never ``~/.mlmarket``; deleted by
        :meth:`close`, or when the market is collected or Python exits), and does not fsync.
        Seeded salts are predictable: simulations only.

        Example:
            >>> a = Market.local(seed=1); b = Market.local(seed=1)       # doctest: +SKIP
            >>> a.chain.identity == b.chain.identity                      # doctest: +SKIP
            True
        """
        if backend is not None and backend not in BACKENDS:
            raise ConfigurationError(
                f"Market.local() runs 'revm', 'eth-tester' or 'anvil', not {backend!r}; "
                "for a remote node use Market.deploy(connect(url)) or Market.attach(url)."
            )
        temporary = seed is not None and options.get("home") is None  # the market's own home
        if seed is not None:
            if resume:
                raise ConfigurationError(
                    "A seeded simulation starts afresh; resume= loads a saved session."
                )
            if temporary:
                options["home"] = simulation_home()
            options.setdefault("fsync", False)
            options["seed"] = seed
            journal = bool(journal)
        elif genesis is not None:
            raise ConfigurationError("genesis= sets a seeded simulation's start; give seed= too.")
        journal = True if journal is None else journal
        home = Path(options["home"]) if options.get("home") is not None else home_folder()
        if resume and latest_session(home) is not None:
            return cls.load(home, store=options.get("store"), home=home)
        if seed is None:
            chain = connect(backend)
        else:
            nonce = Randomness(seed).hex_id(16)  # its own stream: the market's starts afresh
            start = SIMULATION_GENESIS if genesis is None else int(genesis)
            chain = connect(backend, genesis=start, genesis_nonce=nonce)
        try:
            if journal:
                start_session_journal(chain, home)
            market = cls.deploy(
                chain, tokens_per_account=tokens_per_account, record=False, **options
            )
        except BaseException:
            chain.close()
            if temporary:
                shutil.rmtree(home, ignore_errors=True)
            raise
        if temporary:
            # The simulation's own home (in memory under /dev/shm) goes with the market:
            # at close(), when it is collected, or when the interpreter exits.
            market._home_cleanup = weakref.finalize(market, shutil.rmtree, home, True)
        if chain.journal is not None:
            chain.journal.note("market", market._session_record())
        return market

    @classmethod
    def deploy(
        cls,
        chain: Chain,
        *,
        name: str = "default",
        tokens_per_account: Amount = LOCAL_TOKENS_PER_ACCOUNT,
        supply: Amount = PUBLIC_SUPPLY,
        deployer: NamedAccount | str | None = None,
        record: bool = True,
        address_book: AddressBook | str | Path | None = None,
        **options: Any,
    ) -> Market:
        """Deploy the contracts on ``chain``.

        On a local chain every named account gets ``tokens_per_account``; elsewhere the
        deployer receives a fixed ``supply``. With ``record`` the addresses are written
        to the address book so :meth:`attach` finds them later, together with the
        ``sourcesHash`` of the package's contracts.
        """
        bind_errors(chain)
        sender = chain.accounts.resolve(deployer or next(iter(chain.accounts)))
        if chain.is_local:
            holders = {a.address: tokens_per_account for a in chain.accounts.values()}
        else:
            holders = {sender.address: supply}
        to_units(supply)  # validate even when unused, so a typo fails early
        first_block = chain.block_number + 1
        token = MarketToken.deploy(chain, holders, sender=sender)
        deployment = Deployment(
            chain_id=chain.chain_id,
            name=name,
            contracts={"MarketToken": token.address, **_deploy_services(chain, token, sender)},
            block=first_block,
            deployed_at=chain.clock.latest_block_time(),
            sources_hash=sources_hash(),
        )
        if record:
            _book(address_book).record(deployment)
        return cls(chain, deployment, **options)

    @classmethod
    def attach(
        cls,
        target: Chain | str,
        deployment: str = "default",
        *,
        address_book: AddressBook | str | Path | None = None,
        store: ContentStore | None = None,
        home: str | Path | None = None,
        **connect_kwargs: Any,
    ) -> Market:
        """Re-attach to contracts deployed earlier, found in the address book.

        ``target`` is a connected :class:`Chain` or a JSON-RPC URL (keys as for
        :func:`~mlmarket.chain.connect`). The entry must have been recorded from the
        same contract sources as this package's, else :class:`DeploymentVersionError`.

        Example:
            >>> market = Market.attach("http://127.0.0.1:8545", "default")  # doctest: +SKIP
        """
        chain = target if isinstance(target, Chain) else connect(target, **connect_kwargs)
        try:
            book = _book(address_book)
            record = book.get(chain.chain_id, deployment)
            _require_current_sources(
                record.sources_hash,
                f"Deployment {deployment!r} on chain {chain.chain_id} in the address book "
                f"{book.path}",
                "Attach with the mlmarket version that deployed it, or deploy anew with "
                "Market.deploy(chain, name=...) (the same name replaces this entry).",
            )
            code = chain.w3.eth.get_code(record.address("MarketToken"))
            if len(code) == 0:
                raise ConfigurationError(
                    f"The address book says MarketToken is at {record.address('MarketToken')} "
                    f"on chain {chain.chain_id}, but no contract is there. Was the chain reset? "
                    "Deploy again with Market.deploy(...)."
                )
            return cls(chain, record, store=store, home=home)
        except BaseException:
            if chain is not target:  # connected here: do not leave it open
                chain.close()
            raise

    # --- views ----------------------------------------------------------------------

    @property
    def accounts(self):  # type: ignore[no-untyped-def]
        return self.chain.accounts

    @property
    def clock(self):  # type: ignore[no-untyped-def]
        return self.chain.clock

    def contracts(self) -> dict[str, Any]:
        """The deployment's web3 contract objects by name."""
        found = {"MarketToken": self.token.contract, "DataMarket": self.data.contract}
        found["CompetitionFactory"] = self.competitions.factory
        claims = self.competitions.score_claims
        if int(claims.address, 16):  # optimistic evaluation registered
            found["ScoreClaims"] = claims
        for index, comp in enumerate(self.competitions.all()):
            found[competition_label(index)] = comp.contract
        return found

    def dashboard(self) -> Any:
        """The ipywidgets dashboard of this market (see :func:`mlmarket.ui.dashboard`)."""
        # The UI is built on the market, not the other way round: import it only when
        # asked for (tests/test_project.py allows exactly this call-time import).
        from mlmarket.ui import dashboard

        return dashboard(self)

    def balances(self) -> pd.DataFrame:
        """ETH and token balances of every named account: ``eth`` and ``tokens`` as float64
        whole ETH and tokens (``balances()["tokens"].plot.bar()``), the exact ``Decimal`` s in
        ``eth_exact`` and ``tokens_exact``."""
        return balances_table(self.chain, self.token)

    def events(self) -> pd.DataFrame:
        """Every event of the deployment's contracts: block, time, transaction, gas."""
        return events_table(self.chain, self.contracts(), self.deployment.block)

    # --- persistence ------------------------------------------------------------------

    def save(self, folder: str | Path) -> Path:
        """Save the whole local session to ``folder``: chain state, deployment (with
        the ``sourcesHash`` of its contracts), the content the market refers to (as
        CAR files) and this chain's vault secrets.

        Example:
            >>> market.save("session")                      # doctest: +SKIP
            >>> again = Market.load("session")              # doctest: +SKIP
        """
        path = Path(folder)
        self.chain.save(path / "chain")
        content = path / "content"
        content.mkdir(parents=True, exist_ok=True)
        for cid in sorted(self._content):
            self.store.export_car(cid, content / f"{cid}.car")
        self.vault.export_to(path / "vault")
        (path / MARKET_FILE).write_text(json.dumps(self._session_record(), indent=2))
        return path

    @classmethod
    def load(
        cls,
        folder: str | Path,
        *,
        store: ContentStore | None = None,
        home: str | Path | None = None,
    ) -> Market:
        """Bring back a session saved with :meth:`save`, or resume a journaled one.

        ``folder`` is a folder written by :meth:`save`, a home folder (the latest
        session journaled there resumes, where it stopped, even after a crash: its
        own home is then ``folder`` unless ``home`` says otherwise), or one session's
        folder under ``<home>/sessions/``. A session made from other contract sources
        than this package's raises :class:`DeploymentVersionError`. A loaded session
        goes on journaling into its home.
        """
        path = Path(folder)
        if (path / MARKET_FILE).is_file():
            return cls._load_saved(path, store=store, home=home)
        session = path if (path / JOURNAL_FILE).is_file() else latest_session(path)
        if session is None:
            raise ConfigurationError(
                f"{path} holds no saved market ({MARKET_FILE} is missing) and no session "
                "journal (sessions/); save one with market.save(folder)."
            )
        if home is None:
            home = path if session != path else path.parent.parent
        return cls._resume(session, store=store, home=home)

    @classmethod
    def _load_saved(
        cls, path: Path, *, store: ContentStore | None, home: str | Path | None
    ) -> Market:
        data = json.loads((path / MARKET_FILE).read_text())
        _require_current_sources(
            str(data.get("sources_hash", "")),
            f"The session saved in {path}",
            "Load it with the mlmarket version that saved it, or start a new session "
            "with Market.local().",
        )
        chain = load(path / "chain")
        market = cls(
            chain,
            Deployment.from_json(data["chain_id"], data["name"], data),
            store=store,
            home=home,
        )
        for cid in data.get("content", []):
            market.store.import_car(path / "content" / f"{cid}.car")
            market.remember_content(cid)
        market.vault.import_from(path / "vault")
        market._journal_into_home()
        return market

    @classmethod
    def _resume(cls, session: Path, *, store: ContentStore | None, home: str | Path) -> Market:
        contents = read_journal(session)
        markets = [note["market"] for note in contents.notes if "market" in note]
        if not markets:
            raise ConfigurationError(
                f"The session journaled in {session} stopped before its contracts were "
                "deployed; there is nothing to resume. Start a new one with Market.local()."
            )
        data = markets[-1]
        _require_current_sources(
            str(data.get("sources_hash", "")),
            f"The session journaled in {session}",
            "Resume it with the mlmarket version that ran it, or start a new session "
            "with Market.local().",
        )
        chain = resume(session)
        try:
            market = cls(
                chain,
                Deployment.from_json(data["chain_id"], data["name"], data),
                store=store,
                home=home,
            )
        except BaseException:
            chain.close()
            raise
        market._content.update(str(cid) for cid in data.get("content", []))
        market._content.update(str(n["content"]) for n in contents.notes if "content" in n)
        assert chain.journal is not None  # resume() journals on
        chain.journal.note("market", market._session_record())
        mark_latest(Path(home), session)
        return market

    def _journal_into_home(self) -> None:
        """Journal this (loaded) local session into its home, where the backend can."""
        if not self.chain.is_local:
            return
        try:
            start_session_journal(self.chain, self.home)
        except BackendNotSupportedError:
            return  # an anvil state loaded from a dump has no transactions to replay
        assert self.chain.journal is not None
        self.chain.journal.note("market", self._session_record())

    def close(self) -> None:
        """Close the chain; a seeded simulation's temporary home is deleted with it."""
        self.chain.close()
        if self._home_cleanup is not None:
            self._home_cleanup()

    def __enter__(self) -> Market:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _deploy_services(chain: Chain, token: MarketToken, sender: NamedAccount) -> dict[str, str]:
    """Deploy the data market and the competition factory with its evaluator(s).

    The Competition implementation calls the CompetitionScoring and CompetitionTeams
    libraries (its evaluation path and its teams, run by DELEGATECALL): they are deployed
    first and their addresses linked in.
    """
    linked: dict[str, str] = {}

    def deploy(name: str, *args: Any) -> Any:
        artifact = load_artifact(name)
        code = artifact.linked_bytecode(linked)
        contract, _ = chain.deploy(artifact.abi, code, *args, sender=sender)
        linked[name] = contract.address
        return contract

    data_market = deploy("DataMarket", token.address)
    scoring = deploy("CompetitionScoring")
    teams = deploy("CompetitionTeams")
    implementation = deploy("Competition")
    factory = deploy("CompetitionFactory", implementation.address, sender.address)
    score_claims = deploy("ScoreClaims", factory.address)
    chain.send(factory, "setScoreClaims", score_claims.address, sender=sender)
    evaluators = {}
    for name in ("LinearEvaluator", "MlpEvaluator", "TreeEvaluator"):
        evaluator = deploy(name)
        family = chain.read(evaluator, "family")
        chain.send(factory, "setEvaluator", family, evaluator.address, sender=sender)
        evaluators[name] = evaluator.address
    return {
        "DataMarket": data_market.address,
        "CompetitionScoring": scoring.address,
        "CompetitionTeams": teams.address,
        "Competition": implementation.address,
        "CompetitionFactory": factory.address,
        "ScoreClaims": score_claims.address,
        **evaluators,
    }


def _require_current_sources(recorded: str, what: str, remedy: str) -> None:
    """Refuse a deployment or session whose recorded ``sourcesHash`` is not the package's."""
    current = sources_hash()
    if recorded == current:
        return
    if not recorded:
        raise DeploymentVersionError(
            f"{what} records no contract sources hash, so it was made by an earlier mlmarket "
            f"version and cannot be matched to this package's contracts (sources "
            f"{current[:12]}). {remedy}"
        )
    raise DeploymentVersionError(
        f"{what} was made from contract sources {recorded[:12]}, but this mlmarket package's "
        f"contracts are built from sources {current[:12]}: their code and ABIs may differ. "
        f"{remedy}"
    )


def _book(address_book: AddressBook | str | Path | None) -> AddressBook:
    return address_book if isinstance(address_book, AddressBook) else AddressBook(address_book)
