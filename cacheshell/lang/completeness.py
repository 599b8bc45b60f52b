"""Whether typed text is a complete input or needs more lines (an open brace continues), and
whether its end stands inside a string or a comment."""

from __future__ import annotations

import functools
import re

from cacheshell.lang.grammar import terminal


@functools.cache
def _scanner() -> re.Pattern[str]:
    """What can hide a brace, as the grammar writes it, and the braces themselves. A string the
    line ends before closing hides the rest of its line; a block comment never closed, the rest
    of the text, which a further line may close. Built when first needed, not at import."""
    return re.compile(
        "|".join(
            [
                f"(?P<string>{terminal('STRING')})",
                f"(?P<comment>{terminal('COMMENT')}|{terminal('BLOCK_COMMENT')})",
                r'(?P<open_string>"[^\n]*)',
                r"(?P<open_comment>/\*[\s\S]*)",
                r"(?P<brace>[{}])",
            ]
        )
    )


_HIDING = ("comment", "open_string", "open_comment")


def open_braces(text: str) -> int:
    """Braces opened and not yet closed, ignoring strings and comments."""
    depth = 0
    for found in _scanner().finditer(text):
        if found["open_comment"] is not None:
            return depth + 1  # an open block comment continues too
        if found["brace"] is not None:
            depth += 1 if found["brace"] == "{" else -1
    return depth


def ends_hidden(text: str) -> bool:
    """Whether the end of the text is inside a string or a comment."""
    found = list(_scanner().finditer(text))
    return bool(found) and found[-1].end() == len(text) and found[-1].lastgroup in _HIDING


def is_complete(text: str) -> bool:
    return open_braces(text) <= 0
