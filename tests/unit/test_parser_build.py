"""The grammar ships inside the installed package and its parser is built once."""

from __future__ import annotations

from importlib import resources

from cacheshell.lang.parser import grammar_text, lark_parser


def test_the_grammar_file_is_inside_the_installed_package() -> None:
    packaged = resources.files("cacheshell") / "grammar" / "objectscript.lark"
    assert packaged.is_file()
    assert grammar_text() == packaged.read_text(encoding="utf-8")


def test_the_parser_is_built_once_per_process() -> None:
    assert lark_parser() is lark_parser()


def test_the_parser_is_lalr_with_a_basic_lexer() -> None:
    options = lark_parser().options
    assert (options.parser, options.lexer) == ("lalr", "basic")
