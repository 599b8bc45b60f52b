"""The principal device: where WRITE goes, with the $X/$Y cursor Caché tracks."""

from __future__ import annotations

from collections.abc import Callable

# $X is a 16-bit unsigned integer (Caché ObjectScript Reference, $X, KEY=RCOS_VX): WRITE ?n
# moves the cursor no further than its largest value, however large n is.
MAX_COLUMN = 65_535


class Output:
    def __init__(self, sink: Callable[[str], None]) -> None:
        self.sink = sink
        self.x = 0
        self.y = 0

    def write(self, text: str) -> None:
        if not text:
            return
        self.sink(text)
        lines = text.split("\n")
        if len(lines) > 1:
            self.y += len(lines) - 1
            self.x = len(lines[-1])
        else:
            self.x += len(text)

    def newline(self) -> None:
        self.sink("\n")
        self.x = 0
        self.y += 1

    def form_feed(self) -> None:
        # A terminal clears the screen; in a transcript a form feed character marks the spot.
        self.sink("\x0c")
        self.x = 0
        self.y = 0

    def tab(self, column: int) -> None:
        column = min(column, MAX_COLUMN)
        if column > self.x:
            self.write(" " * (column - self.x))

    def fresh_line(self) -> None:
        """Start a new line unless the cursor is already at column 0."""
        if self.x:
            self.newline()
