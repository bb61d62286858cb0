"""Journaled local sessions in a home folder: ``<home>/sessions/<chain identity>/``.

Every local market journals its chain there as blocks are mined (see
:mod:`mlmarket.chain.journal`); ``<home>/sessions/latest`` names the newest one,
which ``Market.load(home)`` resumes. The :data:`KEEP` most recent sessions are
kept; older journals are removed when a new session starts (``market.save(folder)``
keeps a session for good).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from mlmarket.chain import Chain
from mlmarket.chain.journal import JOURNAL_FILE

SESSIONS = "sessions"
LATEST = "latest"
KEEP = 10


def sessions_folder(home: Path) -> Path:
    return Path(home) / SESSIONS


def start_session_journal(chain: Chain, home: Path) -> Path:
    """Journal ``chain`` into its session folder in ``home``; mark it the latest."""
    folder = sessions_folder(home) / chain.identity
    chain.start_journal(folder)
    mark_latest(home, folder)
    _prune(home, keep=folder)
    return folder


def mark_latest(home: Path, folder: Path) -> None:
    pointer = sessions_folder(home) / LATEST
    tmp = pointer.with_suffix(".tmp")
    tmp.write_text(folder.name + "\n")
    tmp.replace(pointer)


def latest_session(home: Path) -> Path | None:
    """The folder of the newest journaled session in ``home``, if any."""
    pointer = sessions_folder(home) / LATEST
    if not pointer.is_file():
        return None
    folder = sessions_folder(home) / pointer.read_text().strip()
    return folder if (folder / JOURNAL_FILE).is_file() else None


def list_sessions(home: Path) -> list[Path]:
    """The session folders journaled in ``home``, the most recently written first."""
    journals = sorted(
        sessions_folder(home).glob(f"*/{JOURNAL_FILE}"),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    return [journal.parent for journal in journals]


def written_at(folder: Path) -> int:
    """When a session's journal was last written (Unix seconds)."""
    return int((Path(folder) / JOURNAL_FILE).stat().st_mtime)


def _prune(home: Path, keep: Path) -> None:
    others = [folder for folder in list_sessions(home) if folder != keep]
    for folder in others[KEEP - 1 :]:
        shutil.rmtree(folder, ignore_errors=True)
