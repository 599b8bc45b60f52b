"""The grammar's text, completed from the words table, and its terminals as Python regexes.

grammar/objectscript.lark defines the syntax. The command keywords it declares and the pattern
code letters come from words.py and are appended here, so the table stays the one list of them.
The Pygments lexer and the completeness check read strings, numbers, comments and patterns from
`terminal()`, so they follow the grammar. Cheap to import: nothing here builds a Lark parser.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

from cacheshell.lang.words import KEYWORD_TOKENS, PATTERN_CODES

__all__ = ["full_text", "grammar_text", "terminal"]


def grammar_text() -> str:
    """The grammar shipped in the wheel, or the source tree's copy when run from a checkout."""
    # cacheshell/grammar/ in the wheel; found by path rather than through importlib.resources,
    # which would double the cost of importing the lexer.
    here = Path(__file__).resolve().parents
    packaged = here[1] / "grammar" / "objectscript.lark"
    source = packaged if packaged.is_file() else here[2] / "grammar" / "objectscript.lark"
    return source.read_text(encoding="utf-8")


@functools.cache
def full_text() -> str:
    """The grammar as Lark builds it: the file and the definitions words.py supplies."""
    codes = PATTERN_CODES.upper() + PATTERN_CODES.lower()
    return (
        grammar_text().rstrip("\n")
        + "\n\n// ---- from cacheshell/lang/words.py, added by cacheshell/lang/grammar.py ----\n"
        + f"%declare {' '.join(KEYWORD_TOKENS)}\n"
        + f"PATTERN_CODE: /[{codes}]/\n"
    )


# A terminal's definition: NAME or NAME.priority, a colon, its expansion on the same line.
_DEFINITION = re.compile(r"^(?P<name>[A-Z_][A-Z0-9_]*)(?:\.-?\d+)?[ \t]*:(?P<body>[^\n]*)$", re.M)
# The items of a terminal's expansion, as Lark writes them.
_ITEM = re.compile(
    r"""[ \t]*(?:
      /(?P<regex>(?:\\.|[^/\\\n])+)/(?P<flags>[imslux]*)
    | (?P<string>"(?:\\.|[^"\\\n])*")(?P<string_flags>i?)
    | (?P<name>[A-Z_][A-Z0-9_]*)
    | (?P<op>[()|+*?])
    )""",
    re.X,
)


@functools.cache
def _definitions() -> dict[str, str]:
    return {m["name"]: m["body"].strip() for m in _DEFINITION.finditer(full_text())}


@functools.cache
def terminal(name: str) -> str:
    """A terminal of the grammar as a Python regular expression, the terminals it names
    expanded (the subset of Lark's terminal syntax this grammar uses: regexes, strings, names,
    groups, alternatives and + * ?)."""
    body = _definitions()[name]
    parts: list[str] = []
    pos = 0
    while pos < len(body):
        m = _ITEM.match(body, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"terminal {name}: cannot read {body[pos:]!r}")
        pos = m.end()
        if m["regex"] is not None:
            flags = m["flags"]
            parts.append(f"(?{flags}:{m['regex']})" if flags else f"(?:{m['regex']})")
        elif m["string"] is not None:
            literal = re.escape(ast.literal_eval(m["string"]))
            parts.append(f"(?i:{literal})" if m["string_flags"] else literal)
        elif m["name"] is not None:
            parts.append(f"(?:{terminal(m['name'])})")
        else:
            parts.append("(?:" if m["op"] == "(" else m["op"])
    return "".join(parts)
