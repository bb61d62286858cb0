"""JupyterLab and Voila started by the browser tests on free loopback ports, and Chromium.

Each server runs in its own process group with its own config, runtime and
mlmarket home folders under the test's temporary directory, and is stopped
(SIGTERM, then SIGKILL) by the fixture that started it.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
BIN = Path(sys.executable).parent
NO_ANNOUNCEMENTS = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}


@dataclass(frozen=True)
class Server:
    """A running server: where to point the browser, and its log."""

    url: str
    token: str
    log: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(home: Path) -> dict[str, str]:
    """The servers' environment: private Jupyter folders, no announcements, no polling."""
    config = home / "jupyter-config"
    (config / "labconfig").mkdir(parents=True, exist_ok=True)
    (config / "labconfig" / "page_config.json").write_text(json.dumps(NO_ANNOUNCEMENTS))
    return {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(home / "jupyter-runtime"),
        "MLMARKET_HOME": str(home / "mlmarket-home"),
        "MLMARKET_UI_POLL": "0",
        "PYTHONUNBUFFERED": "1",
    }


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path, ready: str) -> Iterator[None]:
    """Run ``command`` until the block ends; wait until GET ``ready`` answers."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until_up(ready, process, log)
        yield
    finally:
        stop(process)


def wait_until_up(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 90
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url, timeout=2).status_code in (200, 302):  # Voila redirects /api
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (it started the kernels), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def jupyterlab(root: Path, home: Path) -> Iterator[Server]:
    """JupyterLab serving ``root``, with the app exposed to the page for commands."""
    port, token = free_port(), secrets.token_hex(16)
    command = [
        str(BIN / "jupyter-lab"), "--no-browser", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--ServerApp.allow_root=True",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True", f"--LabApp.workspaces_dir={home / 'workspaces'}",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with running(
        command, environment(home), home / "jupyterlab.log", f"{url}/api/status?token={token}"
    ):
        yield Server(url, token, home / "jupyterlab.log")


@contextmanager
def voila(notebook: Path, home: Path) -> Iterator[Server]:
    """Voila rendering ``notebook`` as a standalone app."""
    port = free_port()
    command = [
        str(BIN / "voila"), str(notebook), "--no-browser", "--Voila.ip=127.0.0.1",
        f"--port={port}", "--Voila.port_retries=0", "--show_tracebacks=True",
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with running(command, environment(home), home / "voila.log", f"{url}/api/status"):
        yield Server(url, "", home / "voila.log")
