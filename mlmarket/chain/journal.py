"""The session journal: every block a local session mines, appended to disk as it is mined.

A local chain lives in memory; without a journal a crashed kernel loses it, though
the vault and content store on disk survive. With :meth:`Chain.start_journal
<mlmarket.chain.core.Chain.start_journal>` every mined block (the raw signed
transaction, or none for an empty block, with its timestamp) is appended to
``journal.jsonl`` as one JSON line, written with a single ``write`` and
``fsync``\\ ed before the call returns. A revert appends how many blocks it kept.
Replaying the journal on a fresh chain with the same genesis reproduces the
session exactly, as loading a saved chain does.

Layout: the first line is a header (format, backend, genesis, accounts); then one
record per line::

    {"block": 7, "t": 1765000000, "raw": "0x02f8...", "offset": 0}
    {"keep": 5, "offset": 0}                       # a revert kept blocks 1..5
    {"note": {"market": {...}}}                    # what the layer above records

A torn last line (the process died mid-write) is ignored; any other unreadable
line is an error.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmarket.errors import ConfigurationError

FORMAT = "mlmarket.session/1"
JOURNAL_FILE = "journal.jsonl"


@dataclass
class JournalContents:
    """What a journal file holds, folded: the blocks that stand and the notes."""

    header: dict[str, Any]
    blocks: list[dict[str, Any]] = field(default_factory=list)  # {"timestamp", "raw"}
    offset: int = 0
    notes: list[dict[str, Any]] = field(default_factory=list)

    def chain_state(self) -> dict[str, Any]:
        """The state :func:`mlmarket.chain.load` reads from ``chain.json``."""
        return {
            "format": "mlmarket.chain/1",
            "backend": self.header["backend"],
            "accounts": self.header["accounts"],
            "time_offset": self.offset,
            "backend_state": {"genesis": self.header["genesis"], "journal": self.blocks},
        }


class SessionJournal:
    """An append-only, fsynced journal file (see the module docstring)."""

    def __init__(
        self,
        folder: Path,
        header: dict[str, Any],
        blocks: list[dict[str, Any]],
        offset: int = 0,
    ) -> None:
        """Start the journal in ``folder`` with the ``blocks`` mined so far (replaces any)."""
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / JOURNAL_FILE
        # Written whole to a temporary file and renamed: a crash leaves the old journal or
        # the new one, never half of each.
        lines = [{"format": FORMAT, **header}]
        lines += [
            {"block": n, "t": int(b["timestamp"]), "raw": b["raw"], "offset": offset}
            for n, b in enumerate(blocks, start=1)
        ]
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w") as out:
            out.writelines(json.dumps(line) + "\n" for line in lines)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(self.path)
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND)

    def block(self, number: int, timestamp: int, raw: bytes | None, offset: int) -> None:
        """Record block ``number``: ``raw`` mined in it (``None``: an empty block)."""
        text = None if raw is None else "0x" + raw.hex()
        self._write({"block": number, "t": int(timestamp), "raw": text, "offset": offset})

    def keep(self, length: int, offset: int) -> None:
        """Record a revert that kept blocks ``1..length``."""
        self._write({"keep": length, "offset": offset})

    def note(self, key: str, value: Any) -> None:
        """Record something the layer above needs to resume (e.g. the deployment)."""
        self._write({"note": {key: value}})

    def _write(self, record: dict[str, Any]) -> None:
        if self._fd is None:
            raise ConfigurationError(f"The session journal {self.path} is closed.")
        data = (json.dumps(record) + "\n").encode()
        os.write(self._fd, data)  # O_APPEND: one write lands whole at the end
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read_journal(folder: Path) -> JournalContents:
    """Fold a journal file into the blocks that stand, the clock offset and the notes."""
    path = Path(folder) / JOURNAL_FILE
    if not path.is_file():
        raise ConfigurationError(f"{folder} holds no session journal ({JOURNAL_FILE} is missing).")
    lines = path.read_bytes().split(b"\n")
    records = []
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError:
            if index >= len(lines) - 2:  # the last line, torn by a crash mid-write
                break
            raise ConfigurationError(
                f"{path} is damaged at line {index + 1}; it cannot be resumed."
            ) from None
    if not records or records[0].get("format") != FORMAT:
        raise ConfigurationError(f"{path} is not an mlmarket session journal.")
    contents = JournalContents(header=records[0])
    for record in records[1:]:
        if "block" in record:
            del contents.blocks[int(record["block"]) - 1 :]
            contents.blocks.append({"timestamp": record["t"], "raw": record["raw"]})
            contents.offset = int(record["offset"])
        elif "keep" in record:
            del contents.blocks[int(record["keep"]) :]
            contents.offset = int(record["offset"])
        else:
            contents.notes.append(record["note"])
    return contents
