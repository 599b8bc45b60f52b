"""A corpus of inputs the ObjectScript parser must accept, and of inputs it must reject (<SYNTAX>).

The corpus lives in tests/data/syntax_corpus.txt (the single source; other tests may read it with
`load_corpus()` or parse the file themselves). Sections `# valid` and `# invalid`; one input a line;
a literal \\n in a line is a line break and a literal \\t a tab; other lines starting with "# " are
comments. Each input is checked against `cacheshell.lang.parser.parse` directly, and every invalid
input is also typed at a terminal, which must show Caché's three-line <SYNTAX> block.

Sources for the expectations: InterSystems' Using ObjectScript ("Syntax Rules": one space, not a
tab, opens a command's arguments; two spaces end an argumentless command; a single-line comment
needs whitespace before it; a /* */ comment may sit between arguments or act as the space between
commands, but not inside an argument, between a command keyword and its first argument, or between
a function name and its parenthesis).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.parser import parse

CORPUS_FILE = Path(__file__).resolve().parents[1] / "data" / "syntax_corpus.txt"


def _decode(line: str) -> str:
    return line.replace("\\n", "\n").replace("\\t", "\t")


def load_corpus(path: Path = CORPUS_FILE) -> tuple[list[str], list[str]]:
    """The (valid, invalid) inputs of the corpus file, escapes decoded."""
    sections: dict[str, list[str]] = {"valid": [], "invalid": []}
    current: list[str] | None = None
    for raw in path.read_text(encoding="utf-8").split("\n"):
        line = raw.rstrip("\r")
        if line in ("# valid", "# invalid"):
            current = sections[line[2:]]
            continue
        if not line or line.startswith("# "):
            continue
        if current is None:
            raise ValueError(f"corpus line outside a section: {line!r}")
        current.append(_decode(line))
    return sections["valid"], sections["invalid"]


VALID, INVALID = load_corpus()


def _ident(src: str) -> str:
    return src.replace("\n", "\\n").replace("\t", "\\t")


def test_corpus_size_and_distinct() -> None:
    assert len(VALID) >= 160
    assert len(INVALID) >= 55
    assert len(set(VALID)) == len(VALID), "duplicate valid inputs"
    assert len(set(INVALID)) == len(INVALID), "duplicate invalid inputs"
    assert not set(VALID) & set(INVALID), "an input is both valid and invalid"
    assert not any("$$$" in src for src in VALID + INVALID), "macros are not the parser's business"


@pytest.mark.parametrize("src", VALID, ids=[_ident(s) for s in VALID])
def test_valid_input_parses(src: str) -> None:
    try:
        tree = parse(src)
    except ObjectScriptError as err:
        pytest.fail(f"{src!r} rejected with <{err.name}>")
    assert tree is not None


@pytest.mark.parametrize("src", INVALID, ids=[_ident(s) for s in INVALID])
def test_invalid_input_is_syntax_error(src: str) -> None:
    with pytest.raises(ObjectScriptError) as info:
        parse(src)
    assert info.value.name == "SYNTAX"


@pytest.mark.parametrize("src", INVALID, ids=[_ident(s) for s in INVALID])
def test_invalid_input_shows_syntax_block(term, src: str) -> None:
    """Nothing on the input runs; the terminal shows a blank line, the echoed source line, a caret
    at column 0 and <SYNTAX>."""
    out = term.run(src)
    assert out.endswith("\n"), repr(out)
    lines = out[:-1].split("\n")
    assert len(lines) == 4, f"expected only the error block, got {out!r}"
    blank, echo, caret, zerror = lines
    assert blank.strip() == ""
    assert zerror == "<SYNTAX>"
    assert caret == "^"
    # The echo is one of the typed lines (Caché upper-cases the first command word).
    assert echo.lower() in {line.lower() for line in src.split("\n")}, echo
