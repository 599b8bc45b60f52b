"""Output in whole lines: a WRITE's arguments arrive one fragment at a time, and a notebook shows
each piece a front end sends as its own output, so fragments wait here until their line ends."""

from __future__ import annotations

from collections.abc import Callable


class LineBuffer:
    """Text written in fragments, passed on to `emit` in whole lines, or all of it on flush()."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        self.emit = emit
        self._pending: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        self._pending.append(text)
        self.size += len(text)

    def flush_lines(self) -> None:
        """Send what is pending up to its last newline; a partial line waits for its end."""
        if not self._pending:
            return
        text = "".join(self._pending)
        cut = text.rfind("\n") + 1
        self._pending = [text[cut:]] if cut < len(text) else []
        self.size = len(text) - cut
        if cut:
            self.emit(text[:cut])

    def flush(self) -> None:
        """Send everything pending: before a pause, a table, an error, at the end of a cell."""
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        self.size = 0
        if text:
            self.emit(text)
