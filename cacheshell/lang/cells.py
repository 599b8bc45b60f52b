"""A notebook cell's code: commands as typed at the prompt, or one expression.

The terminal accepts only commands. A notebook cell (or line magic) that is a single line which
does not parse as commands but does parse as an expression, such as `$ZVersion` or `1+2`, is
run as `Write <expression>` and what it writes becomes the cell's result (Out[n]).
"""

from __future__ import annotations

from dataclasses import dataclass

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.macros import expand
from cacheshell.lang.parser import parse


@dataclass(frozen=True)
class Cell:
    code: str  # what the session runs
    expression: bool  # the code is `Write <expression>`: its output is the cell's result


def read_cell(text: str) -> Cell:
    source = text.strip()
    if not source or "\n" in source or _parses(source):
        return Cell(text, False)
    as_write = "Write " + source
    if _parses(as_write):
        return Cell(as_write, True)
    return Cell(text, False)


def _parses(source: str) -> bool:
    try:
        parse(expand(source))
    except ObjectScriptError:
        return False
    return True
