"""`ObjectScriptLexer`: Pygments highlighting for terminal lines, routines (.mac/.int) and cells.

The command, function and special-variable alternations are built from the tables the parser
uses (lang/words.py, lang/intrinsics.py), so a name the shell knows is a name it highlights;
strings, numbers, comments and patterns are the grammar's own terminals (lang/grammar.py).
The states follow the post-lexer's idea of a line: command position, a command's postconditional,
its arguments after the one space, and the expression pieces inside them. Every state ends in a
catch-all, so lexing never fails, whatever was typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pygments.lexer import RegexLexer, bygroups, default, include, words
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
    _TokenType,
)

from cacheshell.lang.grammar import terminal
from cacheshell.lang.intrinsics import index
from cacheshell.lang.words import KEYWORDS, SPECIAL_VARIABLE_INDEX


def _command_words() -> tuple[list[str], list[str]]:
    """(block commands, other commands): every full name and official abbreviation. After a
    block command's one space a `{` opens its block, as the post-lexer decides; after another
    command's it starts a JSON argument (`Write {}.%ToJSON()`)."""
    names = {spelling for keyword in KEYWORDS for spelling in keyword.spellings}
    block = {spelling for k in KEYWORDS if k.bare_block for spelling in k.spellings}
    return sorted(block), sorted(names - block)


def _alternation(names: list[str]) -> str:
    # Longest first, so that W never wins over WRITE inside the lookahead.
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


_BLOCK_COMMANDS, _OTHER_COMMANDS = _command_words()
_ALL_COMMANDS = _alternation(_BLOCK_COMMANDS + _OTHER_COMMANDS)
# What may follow a command word: its postconditional, the space, a brace, or the line's end.
_AFTER_COMMAND = r"(?=[:\s{}]|$)"
# A run of blanks inside arguments ends them only after an operand and before a command word.
_OPERAND_END = r"(?:(?<=[\w\"%).\]}])|(?<=\*/))"
_NEXT_COMMAND = rf"(?=(?:{_ALL_COMMANDS}){_AFTER_COMMAND})"
_NAME = r"%?[A-Za-z][A-Za-z0-9]*"
_OPERATORS = (
    r"'\]\]|'\[|'\]|'=|'<|'>|'&|'!|\]\]|\*\*|&&|\|\||<=|>=|"
    r"[-+*/\\#_=<>'\[\]&!?@]"
)


def _nothing(lexer: RegexLexer, match: re.Match[str]) -> Iterator[tuple[int, _TokenType, str]]:
    """A zero-width rule's action: change state, emit no (empty) token."""
    return iter(())


_STRING_PIECES = re.compile(r'""|[^"]+|"')


def _string(lexer: RegexLexer, match: re.Match[str]) -> Iterator[tuple[int, _TokenType, str]]:
    """A string literal: its quotes and text, and each doubled quote inside as an escape."""
    start = match.start()
    yield start, String.Double, '"'
    for piece in _STRING_PIECES.finditer(match.group(), 1):
        kind = String.Escape if piece.group() == '""' else String.Double
        yield start + piece.start(), kind, piece.group()


class ObjectScriptLexer(RegexLexer):
    """InterSystems ObjectScript as the Caché terminal and routine editor show it."""

    name = "ObjectScript"
    aliases = ["objectscript", "cos"]
    filenames = ["*.mac", "*.int"]
    mimetypes = ["text/x-objectscript"]
    url = "https://docs.intersystems.com/"
    flags = re.IGNORECASE | re.MULTILINE

    tokens = {
        # Command position: the start of a line, after a brace, after a finished command.
        "root": [
            (words(_BLOCK_COMMANDS, prefix="^", suffix=_AFTER_COMMAND), Keyword, "block_command"),
            (words(_OTHER_COMMANDS, prefix="^", suffix=_AFTER_COMMAND), Keyword, "command"),
            # In a routine, a word in column 1 that is not a command is a label.
            (r"^%?[A-Za-z0-9][A-Za-z0-9]*", Name.Label),
            (r"\n", Whitespace),
            (r"[ \t]+", Whitespace),
            include("comments"),
            (r"[{}]", Punctuation),
            (words(_BLOCK_COMMANDS, suffix=_AFTER_COMMAND), Keyword, "block_command"),
            (words(_OTHER_COMMANDS, suffix=_AFTER_COMMAND), Keyword, "command"),
            (_NAME, Name, "command"),  # not a command the shell knows: its arguments follow
            include("expression"),
        ],
        # Right after a command word: `:postcondition`, then one space and arguments, or none.
        "command": [
            (r":", Punctuation, "postcond"),
            (r" (?=[^\s])", Whitespace, ("#pop", "args", "args_start")),
            default("#pop"),
        ],
        "block_command": [
            (r":", Punctuation, "postcond"),
            (r" (?=[^\s{])", Whitespace, ("#pop", "args")),
            default("#pop"),
        ],
        # A postconditional ends at the first blank outside parentheses.
        "postcond": [
            (r"(?=[\s{}])", _nothing, "#pop"),
            include("expression"),
        ],
        "args_start": [
            (r"[{\[]", Punctuation, ("#pop", "json")),
            default("#pop"),
        ],
        "args": [
            (r"(?=[\n{}])", _nothing, "#pop"),
            (rf"{_OPERAND_END}[ \t]+{_NEXT_COMMAND}", Whitespace, "#pop"),
            (rf"(?<=\*/){_NEXT_COMMAND}", _nothing, "#pop"),
            (r"[ \t]+", Whitespace),
            (r"([=,:])([ \t]*)([{\[])", bygroups(Operator, Whitespace, Punctuation), "json"),
            include("expression"),
        ],
        "paren": [
            (r"\)", Punctuation, "#pop"),
            (r"(?=\n)", _nothing, "#pop"),  # never closed on this line
            (r"[ \t]+", Whitespace),
            include("expression"),
        ],
        "json": [
            (r"[}\]]", Punctuation, "#pop"),
            (r"[{\[]", Punctuation, "#push"),
            (r"\s+", Whitespace),
            (r"(true|false|null)\b", Keyword.Constant),
            include("expression"),
        ],
        "comments": [
            (terminal("BLOCK_COMMENT"), Comment.Multiline),
            (r"/\*[\s\S]*", Comment.Multiline),  # never closed: the rest of the text
            (r"(?:///|;;)[^\n]*", Comment.Special),  # the documentation kinds of // and ;
            (terminal("COMMENT"), Comment.Single),
        ],
        # The pieces of an expression; each state above includes these.
        "expression": [
            include("comments"),
            # A doubled quote never closes a string, even when the line ends before one does.
            (terminal("STRING") + '(?!")', _string),
            (r'"[^\n]*', _string),  # never closed: the string ends with its line
            (r"\$\$\$[%\w]+", Comment.Preproc),
            (rf"\$\$(?:%?[A-Za-z0-9]+)?(?:\^{_NAME})?", Name.Function),
            (
                r"(##class)(\()([ \t]*)(%?[A-Za-z][%\w.]*)([ \t]*)(\))",
                bygroups(
                    Keyword.Reserved, Punctuation, Whitespace, Name.Class, Whitespace, Punctuation
                ),
            ),
            (r"##(?:class|super)\b", Keyword.Reserved),
            (
                rf"(\$(?:system|sy))(\.)({_NAME})",
                bygroups(Name.Variable.Magic, Punctuation, Name.Class),
            ),
            (words(sorted(index()), prefix=r"\$", suffix=r"(?=\()"), Name.Builtin),
            (
                words(sorted(SPECIAL_VARIABLE_INDEX), prefix=r"\$", suffix=r"\b"),
                Name.Variable.Magic,
            ),
            (r"\$%?[A-Za-z0-9]*", Name),  # a $name the shell does not know
            (rf"\^{_NAME}", Name.Variable.Global),
            (rf"(\.)({_NAME})(?=\()", bygroups(Punctuation, Name.Function)),
            (rf"(\.)({_NAME})", bygroups(Punctuation, Name.Attribute)),
            (terminal("NUMBER"), Number),
            (terminal("PATTERN"), String.Regex),
            (_OPERATORS, Operator),
            (r"\(", Punctuation, "paren"),
            (r"[),:.]", Punctuation),
            (_NAME, Name),
            (r"%", Name),
            (r"[^\n]", Text),  # anything else is shown as typed, never as an error
        ],
    }
