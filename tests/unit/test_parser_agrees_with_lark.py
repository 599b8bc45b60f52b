"""The parser runs on tables Lark builds but with its own lexer and LALR loop (lexer.py, lalr.py):
on any text it must give exactly what Lark's own LALR parser of the grammar gives, with the same
post-lexer: the same tree, tokens with the same types, text and places, and <SYNTAX> on the same
echoed line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput
from lark.lark import PostLex
from test_syntax_corpus import INVALID, VALID

from cacheshell.lang import nodes
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.grammar import full_text
from cacheshell.lang.parser import parse
from cacheshell.lang.postlex import KEPT_TERMINALS, rewrite


class _PostLexer(PostLex):
    always_accept = KEPT_TERMINALS

    def process(self, stream: Iterator[Token]) -> Iterator[Any]:
        return iter(rewrite(list(stream)))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def lark_parser() -> Lark:
    return Lark(
        full_text(), parser="lalr", lexer="basic", postlex=_PostLexer(), maybe_placeholders=True
    )


def _shape(node: Any) -> Any:
    if isinstance(node, (Tree, nodes.Tree)):
        return (str(node.data), [_shape(c) for c in node.children])
    if isinstance(node, str):
        token: Any = node
        return (token.type, str(token), token.start_pos, token.line, token.column)
    return node


def _ours(src: str) -> Any:
    try:
        return _shape(parse(src))
    except ObjectScriptError as err:
        return (err.name, err.source_line)


def _lark(parser: Lark, src: str) -> Any:
    try:
        return _shape(parser.parse(src + "\n"))
    except UnexpectedInput as exc:
        lines = src.splitlines() or [""]
        line = exc.line if 1 <= exc.line <= len(lines) else 1
        return ("SYNTAX", lines[line - 1])


# Lines of the kinds the README and the guide use, with the less common syntax besides.
SAMPLES = [
    "Set x = 4 + 2  Write x,!",
    "Do $System.License.ShowCounts()",
    'If $Data(^g(1)) { Write "yes" } ElseIf x=2 { Write "two" } Else { Write "no" }',
    "Try { Set x=1/0 } Catch ex { Write ex.DisplayString(),! }",
    'Set obj={"a":1,"b":[1,2,[3]]} Write obj.%ToJSON()',
    'For i=1:1:3 {\n  Write i,!\n}\nWrite "done"',
    'Write:x>1 $Select(x=2:"two",1:"many"),?10,#,!',
    'Lock +^acct(1)#"S":5 Lock -^acct(1)',
    "Set x=1 /* note */ Write x  ; trailing comment",
    "Do {\n  Set i=$Increment(i)\n} While i<3",
    'Write $Text(label+2^routine),$ZDate($Horolog,3)," ",x?1.3N',
    "Kill (a,b)  Halt",
    "Write 1;glued",
    "Set x = (1",
    "Write \u00e9",
    "Set x=1\nWrite @y@(2)\nQuit",
]

_PIECES = [
    " ", "  ", "\n", "\t", "Set", "Write", "Do", "If", "Else", "For", "Quit", "Kill", "H",
    "x", "^g", "$Piece", "$$f", "##class(%X)", ".y", "(", ")", ",", ":", "=", "+", "-", "_",
    "'", "[", "]", "]]", "{", "}", "!", "#", "?", "?1N", "@", "1", "2.5", '"s"', '""',
    ";c", "//c", "/*c*/", "\u00e9",
]  # fmt: skip


@pytest.mark.parametrize("src", VALID + INVALID + SAMPLES)
def test_same_tree_or_error_as_lark(lark_parser: Lark, src: str) -> None:
    assert _ours(src) == _lark(lark_parser, src)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(_PIECES), max_size=14).map("".join))
def test_same_tree_or_error_as_lark_on_any_text(lark_parser: Lark, src: str) -> None:
    assert _ours(src) == _lark(lark_parser, src)
