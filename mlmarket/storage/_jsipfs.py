"""Start and stop a throwaway js-ipfs node, offline on loopback (tests and benchmarks).

The node is npm ``ipfs@0.66.1``, installed by ``tools/ipfs-node/install.sh``.
Its folder is ``$MLMARKET_JSIPFS_DIR`` if set, else ``tools/ipfs-node`` in the
source checkout this module belongs to. Each node gets a fresh repo in a temp
folder (``jsipfs init --profile test``: no bootstrap peers, no MDNS), an API on
a free loopback port, no gateway, no swarm, and runs ``jsipfs daemon --offline``.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from mlmarket.errors import NodeUnreachableError, ToolNotFoundError

ENV_DIR = "MLMARKET_JSIPFS_DIR"
START_TIMEOUT = 60.0  # seconds; a cold start takes about 3-10 s
STOP_GRACE = 5.0  # js-ipfs shuts down slowly after SIGTERM; SIGKILL after this


def node_dir() -> Path:
    """Folder of the js-ipfs npm package (``$MLMARKET_JSIPFS_DIR`` or the repo's)."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR]).expanduser()
    return Path(__file__).resolve().parents[2] / "tools" / "ipfs-node"


def jsipfs_bin(folder: Path | None = None) -> Path:
    """Path of the ``jsipfs`` executable (which may not exist: see :func:`installed`)."""
    return (folder or node_dir()) / "node_modules" / ".bin" / "jsipfs"


def installed(folder: Path | None = None) -> bool:
    """True when ``tools/ipfs-node/install.sh`` has been run."""
    return jsipfs_bin(folder).exists()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class JsIpfsNode:
    """A js-ipfs daemon in its own temp repo; use as a context manager.

    Example:
        >>> with JsIpfsNode() as node:  # doctest: +SKIP
        ...     KuboStore(node.api).add(b"hi")
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or node_dir()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self.api = ""

    def __enter__(self) -> JsIpfsNode:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _env(self, repo: Path) -> dict[str, str]:
        polyfill = self.folder / "polyfill.cjs"
        options = f"{os.environ.get('NODE_OPTIONS', '')} --require {polyfill}".strip()
        return {**os.environ, "IPFS_PATH": str(repo), "NODE_OPTIONS": options}

    def start(self, timeout: float = START_TIMEOUT) -> str:
        """Init a repo, start the daemon, wait until it answers; return the API URL."""
        binary = jsipfs_bin(self.folder)
        if not binary.exists():
            raise ToolNotFoundError(
                f"js-ipfs is not installed in {self.folder} (no {binary}); "
                f"run {self.folder / 'install.sh'} (or set {ENV_DIR})"
            )
        self._tmp = tempfile.TemporaryDirectory(prefix="mlmarket-jsipfs-")
        repo = Path(self._tmp.name) / "repo"
        env = self._env(repo)
        subprocess.run(
            [str(binary), "init", "--profile", "test"],
            env=env,
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        port = self._configure(repo)
        log = open(Path(self._tmp.name) / "daemon.log", "wb")  # noqa: SIM115 - lives with the process
        self._proc = subprocess.Popen(
            [str(binary), "daemon", "--offline"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.api = f"http://127.0.0.1:{port}"
        atexit.register(self.stop)  # an interrupted run must not leave a daemon behind
        self._wait_ready(timeout)
        return self.api

    def _configure(self, repo: Path) -> int:
        config_path = repo / "config"
        config = json.loads(config_path.read_text())
        port = free_port()
        # Loopback API only; no gateway, RPC websocket or swarm listeners, so
        # nothing clashes with other nodes and nothing is reachable from outside.
        config["Addresses"].update(API=f"/ip4/127.0.0.1/tcp/{port}", Gateway="", RPC="", Swarm=[])
        config["Bootstrap"] = []
        config.setdefault("Discovery", {}).setdefault("MDNS", {})["Enabled"] = False
        config_path.write_text(json.dumps(config, indent=2))
        return port

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                break
            try:
                httpx.post(f"{self.api}/api/v0/version", timeout=2.0).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.25)
        log = self.log_tail()
        self.stop()
        raise NodeUnreachableError(
            f"js-ipfs did not start answering at {self.api} within {timeout:.0f}s. "
            f"Daemon log ends with:\n{log}"
        )

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the daemon printed."""
        if self._tmp is None:
            return ""
        log = Path(self._tmp.name) / "daemon.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = STOP_GRACE) -> None:
        """SIGTERM the daemon, SIGKILL it after ``grace`` seconds, delete its repo."""
        proc, self._proc = self._proc, None
        atexit.unregister(self.stop)
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            except ProcessLookupError:
                pass
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
