"""The kernel's input history: kept in memory, and appended to a file in the instance's manager
directory so a later kernel's history requests see earlier sessions too."""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from pathlib import Path

HISTORY_FILE = "kernel_history.jsonl"


@dataclass(frozen=True)
class Entry:
    session: int
    line: int
    source: str
    output: str | None = None

    def reply(self, output: bool) -> list[object]:
        """The history_reply item: (session, line, input) or (session, line, (input, output))."""
        if output:
            return [self.session, self.line, [self.source, self.output]]
        return [self.session, self.line, self.source]


class History:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.entries: list[Entry] = _load(path) if path is not None else []
        self.session = max((e.session for e in self.entries), default=0) + 1

    def add(self, line: int, source: str, output: str | None = None) -> None:
        entry = Entry(self.session, line, source, output)
        self.entries.append(entry)
        if self.path is not None:
            try:
                with self.path.open("a", encoding="utf-8") as f:
                    f.write(json.dumps([entry.session, entry.line, source, output]) + "\n")
            except OSError:
                self.path = None  # keep going in memory only

    def tail(self, n: int | None) -> list[Entry]:
        return self.entries[-n:] if n else list(self.entries)

    def range(self, session: int | None, start: int | None, stop: int | None) -> list[Entry]:
        """Entries of a session (negative: counted back from the current one), lines
        start <= line < stop."""
        wanted = self.session if not session else session
        if wanted < 0:
            wanted = self.session + wanted
        low = start or 0
        return [
            e
            for e in self.entries
            if e.session == wanted and e.line >= low and (stop is None or e.line < stop)
        ]

    def search(self, pattern: str | None, n: int | None, unique: bool) -> list[Entry]:
        """The last n entries whose input matches a glob pattern (newest kept when unique)."""
        found: list[Entry] = []
        seen: set[str] = set()
        for entry in reversed(self.entries):
            if not fnmatch.fnmatchcase(entry.source, pattern or "*"):
                continue
            if unique:
                if entry.source in seen:
                    continue
                seen.add(entry.source)
            found.append(entry)
            if n and len(found) >= n:
                break
        found.reverse()
        return found


def _load(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return entries
    for text in lines:
        try:
            session, line, source, output = json.loads(text)
            entries.append(Entry(int(session), int(line), str(source), output))
        except (ValueError, TypeError):
            continue  # a torn last line after a crash
    return entries
