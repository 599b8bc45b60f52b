"""The console log as the portal's Console Log page shows it: its last lines, newest last, or the
last of them that contain a text and reach a severity, read from the end of the file.

A line is `MM/DD/YY-HH:MM:SS:mmm (pid) S message`, S being the severity (console.py); a line
that is not in that form has no severity and is left out when one is asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cacheshell.system.console import FATAL, INFO, SEVERE, WARNING, tail_lines

SEVERITIES = {INFO: "Information", WARNING: "Warning", SEVERE: "Severe", FATAL: "Fatal"}
LINE_COUNTS = (50, 200, 1000)
# A filtered view looks through at most this many of the log's last lines for its matches, so a
# search costs the same on a log of any size.
SEARCHED_LINES = 20_000
MAX_FILTER = 200  # characters of filter text
_SEVERITY = re.compile(r"\S+ \(\d+\) ([0-3]) ")


@dataclass(frozen=True)
class LogFilter:
    lines: int = LINE_COUNTS[0]  # how many lines to show at most
    contains: str = ""  # "" for every line; else compared without regard to case
    at_least: int | None = None  # the lowest severity shown; None for every line

    @property
    def narrows(self) -> bool:
        return bool(self.contains) or self.at_least is not None


def severity(line: str) -> int | None:
    """The severity column of a console log line; None when the line has none."""
    found = _SEVERITY.match(line)
    return int(found.group(1)) if found else None


def keeps(view: LogFilter, line: str) -> bool:
    if view.contains and view.contains.casefold() not in line.casefold():
        return False
    if view.at_least is None:
        return True
    level = severity(line)
    return level is not None and level >= view.at_least


def shown_lines(path: Path, view: LogFilter) -> list[str]:
    """The last `view.lines` lines of the log that the filter keeps, newest last; a missing log
    has none. Reads the file from its end, never all of it."""
    scanned = SEARCHED_LINES if view.narrows else view.lines
    try:
        lines = tail_lines(path, max(scanned, view.lines))
    except FileNotFoundError:
        return []
    kept = [line for line in lines if keeps(view, line)] if view.narrows else lines
    return kept[-view.lines :]
