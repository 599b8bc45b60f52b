"""The Pygments lexer: it never fails on the syntax corpus, it tells the main token kinds apart,
and `pygmentize -l objectscript` finds it through the package's entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String
from test_syntax_corpus import load_corpus

from cacheshell.frontends.lexer import ObjectScriptLexer

VALID, INVALID = load_corpus()
LEXER = ObjectScriptLexer()


def tokens(src: str) -> list[tuple[object, str]]:
    """(type, text) pairs without the blanks between them."""
    return [(kind, text) for kind, text in LEXER.get_tokens(src) if text.strip()]


def kind_of(src: str, text: str) -> object:
    return next(kind for kind, value in tokens(src) if value == text)


@pytest.mark.parametrize("src", VALID + INVALID)
def test_no_error_token_on_any_corpus_line(src: str) -> None:
    lexed = list(ObjectScriptLexer(stripnl=False).get_tokens_unprocessed(src))
    assert [value for _, kind, value in lexed if kind in Error] == []
    assert "".join(value for _, _, value in lexed) == src  # every character is in a token


@pytest.mark.parametrize(
    ("src", "text", "kind"),
    [
        ("Write 1", "Write", Keyword),
        ("s x=1", "s", Keyword),
        ("If e Write 1", "e", Name),  # E is Else only where a command may start
        ("If e Write 1", "Write", Keyword),
        ("Set x=1 Kill y", "Kill", Keyword),
        ('Write "say ""hi"""', '""', String.Escape),
        ('Write "say ""hi"""', '"', String.Double),
        ("Write 1 ; a comment", "; a comment", Comment.Single),
        ("Write 1 // a comment", "// a comment", Comment.Single),
        ("#; a comment", "#; a comment", Comment.Single),
        ("Write 1,/* c */2", "/* c */", Comment.Multiline),
        ("Write $System.License.KeyCustomerName()", "$System", Name.Variable.Magic),
        ("Write $System.License.KeyCustomerName()", "License", Name.Class),
        ("Write $System.License.KeyCustomerName()", "KeyCustomerName", Name.Function),
        ("Do ##class(%SYSTEM.License).Upgrade()", "##class", Keyword.Reserved),
        ("Do ##class(%SYSTEM.License).Upgrade()", "%SYSTEM.License", Name.Class),
        ("Write $P(x,1),$P", "$P", Name.Builtin),
        ("Write $ZV", "$ZV", Name.Variable.Magic),
        ("Set sc=$$$OK", "$$$OK", Comment.Preproc),
        ("Write $$f^r(1)", "$$f^r", Name.Function),
        ("Write ^g(1)", "^g", Name.Variable.Global),
        ("Write 1.5E3", "1.5E3", Number),
        ("Write a'=b", "'=", Operator),
        ("Write a]]b", "]]", Operator),
        ("Write 2**3", "**", Operator),
        ("Write a'[b", "'[", Operator),
        ('Write x?3N1"-"2N', '?3N1"-"2N', String.Regex),
        ("Main(a) ; entry\n Quit", "Main", Name.Label),
        ("Main(a) ; entry\n Quit", "Quit", Keyword),
        ('Set o={"a":[1,true]}', "true", Keyword.Constant),
    ],
)
def test_token_kinds(src: str, text: str, kind: object) -> None:
    assert kind_of(src, text) in kind


def test_an_unterminated_string_ends_with_its_line() -> None:
    assert tokens('Write "abc\nWrite 1')[-2:] == [(Keyword, "Write"), (Number, "1")]


def test_the_lexer_is_found_by_name_and_file_name_through_the_entry_point(
    tmp_path: Path,
) -> None:
    routine = tmp_path / "hello.mac"
    routine.write_text('Start ; greet\n Write "hello",!\n Quit\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pygments", "-l", "objectscript", "-f", "raw", str(routine)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Token.Keyword\t'Write'" in done.stdout
    assert "Token.Name.Label\t'Start'" in done.stdout
    by_file = subprocess.run(
        [sys.executable, "-m", "pygments", "-N", str(routine)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert by_file.stdout.strip() == "objectscript"
