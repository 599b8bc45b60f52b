"""Whether typed text is a complete input or needs more lines (an open brace continues)."""

from __future__ import annotations


def open_braces(text: str) -> int:
    """Braces opened and not yet closed, ignoring strings and comments."""
    depth, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i += 1
            while i < n and text[i] != "\n":
                if text[i] == '"':
                    if i + 1 < n and text[i + 1] == '"':
                        i += 2
                        continue
                    break
                i += 1
        elif ch == ";" or text.startswith("//", i) or text.startswith("#;", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return depth + 1  # an open block comment continues too
            i = end + 2
            continue
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        i += 1
    return depth


def is_complete(text: str) -> bool:
    return open_braces(text) <= 0
