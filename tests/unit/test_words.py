"""One table of the language's words drives the grammar, the lexer and completion.

Every $-function of the index (lang/intrinsics.py) and every command, continuation keyword,
special variable and pattern code of the words table (lang/words.py) is parsed by the grammar,
highlighted by the Pygments lexer and offered by completion, so adding one is adding one entry.
"""

from __future__ import annotations

import re

import pytest
from conftest import Terminal
from pygments.token import Keyword, Name, String

from cacheshell.frontends.lexer import ObjectScriptLexer
from cacheshell.lang.compile_functions import FunctionCompiler
from cacheshell.lang.function_spec import Function, SpecialForm
from cacheshell.lang.grammar import grammar_text
from cacheshell.lang.intrinsics import index
from cacheshell.lang.parser import parse
from cacheshell.lang.pattern import compile_pattern
from cacheshell.lang.words import (
    COMMANDS,
    KEYWORDS,
    PATTERN_CODES,
    SPECIAL_VARIABLE_INDEX,
    SPECIAL_VARIABLES,
)
from cacheshell.lang.words import Keyword as Word

FUNCTIONS = sorted({spec.name: spec for spec in index().values()}.values(), key=lambda s: s.name)
LEXER = ObjectScriptLexer()
# The grammar's rules, without its comments, directives and terminal definitions.
RULES = [
    line
    for line in grammar_text().splitlines()
    if line.strip() and not re.match(r"\s*(?://|%|[A-Z_][A-Z0-9_]*(?:\.\d+)?\s*:)", line)
]


def kind_of(src: str, text: str) -> object:
    return next(kind for kind, value in LEXER.get_tokens(src) if value == text)


def offered(term: Terminal, text: str) -> list[str]:
    return term.session.complete(text, len(text))[1]


def spellings(spec: Function) -> list[str]:
    return [spec.name] + ([spec.abbrev] if spec.abbrev else [])


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_every_function_is_parsed_and_highlighted_by_each_spelling(spec: Function) -> None:
    args = ",".join(["1"] * spec.min_args)
    for spelling in spellings(spec):
        src = f"Write ${spelling}({args})"
        parse(src)  # no <SYNTAX>
        assert kind_of(src, "$" + spelling) in Name.Builtin


def test_every_function_is_offered_with_its_help(term: Terminal) -> None:
    for spec in FUNCTIONS:
        assert "$" + spec.name in offered(term, "Write $" + spec.name)
        text = f"Write ${spec.name}("
        assert term.session.inspect(text, len(text) - 1).endswith(": " + spec.help)


@pytest.mark.parametrize(
    "spec", [s for s in FUNCTIONS if isinstance(s, SpecialForm)], ids=lambda s: s.name
)
def test_every_special_form_has_its_compiler(spec: SpecialForm) -> None:
    assert callable(getattr(FunctionCompiler, "special_" + spec.name.lower(), None))


@pytest.mark.parametrize("keyword", KEYWORDS, ids=lambda k: k.terminal)
def test_every_keyword_is_a_token_of_the_grammar_rules_and_highlighted(keyword: Word) -> None:
    assert any(re.search(rf"\b{keyword.terminal}\b", line) for line in RULES)
    for spelling in keyword.spellings:
        src = f"{spelling} "
        assert kind_of(src, spelling) in Keyword


def test_every_command_and_continuation_is_offered(term: Terminal) -> None:
    assert offered(term, "") == sorted({k.name for k in KEYWORDS})
    for command in COMMANDS:
        assert command.name in offered(term, command.name)


@pytest.mark.parametrize("spelling", sorted(SPECIAL_VARIABLE_INDEX))
def test_every_special_variable_is_parsed_and_highlighted(spelling: str) -> None:
    src = f"Write ${spelling}"
    parse(src)
    assert kind_of(src, "$" + spelling) in Name.Variable.Magic


def test_every_special_variable_is_offered(term: Terminal) -> None:
    for name in SPECIAL_VARIABLES:
        assert "$" + name in offered(term, "Write $" + name)


@pytest.mark.parametrize("code", list(PATTERN_CODES + PATTERN_CODES.lower()))
def test_every_pattern_code_is_parsed_highlighted_and_compiled(code: str) -> None:
    src = f'Write "a"?1{code}'
    parse(src)
    assert kind_of(src, f"?1{code}") in String.Regex
    compile_pattern(f"1{code}")
