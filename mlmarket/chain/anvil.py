"""Start and stop a local anvil node (Foundry's fast Rust EVM node).

The binary comes from the npm package ``@foundry-rs/anvil`` (installed by the
project's ``./dev setup`` into ``contracts/node_modules``). It is found through,
in order: the ``MLMARKET_ANVIL`` environment variable, ``anvil`` on ``PATH``,
and the npm folder of a source checkout. Never a hard-coded path.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import weakref
from pathlib import Path

import httpx

from mlmarket.chain.accounts import DEV_MNEMONIC, NAMES
from mlmarket.chain.backends import BLOCK_GAS_LIMIT, ETH_PER_ACCOUNT
from mlmarket.errors import ChainError, ToolNotFoundError

ANVIL_ENV = "MLMARKET_ANVIL"
HARDFORK = "prague"  # py-evm's newest VM: both local backends run the same rules
CHAIN_ID = 31337


def _npm_candidates() -> list[Path]:
    roots = [Path(__file__).resolve().parents[2], *Path.cwd().resolve().parents, Path.cwd()]
    found: list[Path] = []
    for root in roots:
        found.extend(sorted(root.glob("contracts/node_modules/@foundry-rs/anvil-*/bin/anvil")))
    return found


def find_anvil() -> Path:
    """Path of the anvil binary, or ToolNotFoundError saying how to install it."""
    configured = os.environ.get(ANVIL_ENV)
    if configured:
        path = Path(configured)
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise ToolNotFoundError(f"{ANVIL_ENV}={configured} is not an executable file.")
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    for candidate in _npm_candidates():
        if os.access(candidate, os.X_OK):
            return candidate
    raise ToolNotFoundError(
        "anvil was not found. Install it with `./dev setup` (npm package @foundry-rs/anvil "
        f"in contracts/), put it on PATH, or set {ANVIL_ENV} to the binary."
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AnvilProcess:
    """A running anvil bound to a free loopback port; stopped by :meth:`stop`.

    Example:
        >>> node = AnvilProcess.start()          # doctest: +SKIP
        >>> node.url                              # doctest: +SKIP
        'http://127.0.0.1:40123'
        >>> node.stop()                           # doctest: +SKIP
    """

    def __init__(self, process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self.process = process
        self.port = port
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{port}"
        self._finalizer = weakref.finalize(self, _terminate, process)

    @classmethod
    def start(
        cls,
        *,
        accounts: int = len(NAMES),
        chain_id: int = CHAIN_ID,
        timeout: float = 20.0,
        timestamp: int | None = None,
    ) -> AnvilProcess:
        """Start anvil on a free loopback port (``timestamp``: the genesis block's time)."""
        binary = find_anvil()
        port = free_port()
        args = [
            str(binary),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--hardfork", HARDFORK,
            "--chain-id", str(chain_id),
            "--mnemonic", DEV_MNEMONIC,
            "--accounts", str(accounts),
            "--balance", str(ETH_PER_ACCOUNT),
            "--gas-limit", str(BLOCK_GAS_LIMIT),
            "--silent",
        ]  # fmt: skip
        if timestamp is not None:
            args += ["--timestamp", str(timestamp)]
        log = Path(tempfile.mkstemp(prefix="mlmarket-anvil-", suffix=".log")[1])
        with log.open("wb") as sink:
            process = subprocess.Popen(args, stdout=sink, stderr=subprocess.STDOUT)
        node = cls(process, port, log)
        node._wait_ready(timeout)
        return node

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        payload = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self._log_tail()
                self.stop()
                raise ChainError(
                    f"anvil exited with code {self.process.returncode} while starting: {tail}"
                )
            try:
                httpx.post(self.url, json=payload, timeout=1.0).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        self.stop()
        raise ChainError(f"anvil did not answer on {self.url} within {timeout:.0f} s.")

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:].strip() or "(no output)"
        except OSError:
            return "(no log)"

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop anvil: SIGTERM, then SIGKILL if it has not exited within 5 s."""
        self._finalizer()
        self.log_path.unlink(missing_ok=True)


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
