"""The words of the language: commands, the keywords that continue a construct, special
variables and pattern codes. ($-functions have their own index, intrinsics.py.)

This is the one table the grammar's command tokens and pattern codes (parser.py), the
post-lexer, the Pygments lexer and completion read. Names are case-insensitive and may be
abbreviated only to the official short form (`W`, `ZW`), never to an arbitrary prefix.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keyword:
    """A command, or a word that continues a construct after its closing brace."""

    name: str  # full name, upper case
    abbrev: str | None = None  # the official abbreviation
    token: str = ""  # the grammar's terminal, when it is not the name
    # Only after the closing brace of these commands (by token), never where a command starts.
    continues: tuple[str, ...] = ()
    bare_block: bool = False  # without arguments a block follows the one space: `For {`
    block_after_args: bool = False  # a block follows its arguments: `If x {`

    @property
    def terminal(self) -> str:
        return self.token or self.name

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, self.abbrev) if self.abbrev else (self.name,)


KEYWORDS: tuple[Keyword, ...] = (
    Keyword("SET", "S"),
    Keyword("WRITE", "W"),
    Keyword("ZWRITE", "ZW"),
    Keyword("KILL", "K"),
    Keyword("DO", "D", bare_block=True),
    Keyword("QUIT", "Q"),
    Keyword("RETURN", "RET"),
    Keyword("HALT", "H"),  # H with an argument is HANG: decided by the post-lexer
    Keyword("HANG"),
    Keyword("IF", "I", block_after_args=True),
    Keyword("ELSE", "E", bare_block=True),
    Keyword("FOR", "F", bare_block=True, block_after_args=True),
    Keyword("WHILE", block_after_args=True),
    Keyword("CONTINUE"),
    Keyword("TRY", bare_block=True),
    Keyword("THROW"),
    Keyword("NEW", "N"),
    Keyword("XECUTE", "X"),
    Keyword("ZNSPACE", "ZN"),
    Keyword("JOB", "J"),
    Keyword("LOCK", "L"),
    Keyword("MERGE", "M"),
    Keyword("TSTART", "TS"),
    Keyword("TCOMMIT", "TC"),
    Keyword("TROLLBACK", "TRO"),
    Keyword("ELSEIF", continues=("IF", "ELSEIF"), block_after_args=True),
    Keyword("ELSE", token="BELSE", continues=("IF", "ELSEIF"), bare_block=True),
    Keyword("WHILE", token="DOWHILE", continues=("DO",)),
    Keyword("CATCH", continues=("TRY",), bare_block=True, block_after_args=True),
)

COMMANDS = tuple(k for k in KEYWORDS if not k.continues)

# The grammar's terminal for each spelling of a command where a command may start.
COMMAND_TOKENS: dict[str, str] = {}
for _command in COMMANDS:
    COMMAND_TOKENS[_command.name] = _command.terminal
    if _command.abbrev:
        COMMAND_TOKENS.setdefault(_command.abbrev, _command.terminal)

# Every keyword's full name, for completion.
COMMAND_NAMES: list[str] = list(dict.fromkeys(k.name for k in KEYWORDS))

# Every terminal the post-lexer makes of a keyword; the grammar declares them from here.
KEYWORD_TOKENS: list[str] = [k.terminal for k in KEYWORDS]

# Terminals whose argumentless form takes a block after the one space (`For {`, `Do {`);
# elsewhere `{` after the one space starts a JSON argument (`Write {}.%ToJSON()`).
BARE_BLOCK_TOKENS = frozenset(k.terminal for k in KEYWORDS if k.bare_block)
# Terminals whose arguments a block follows: a { in their arguments always opens the block.
BLOCK_AFTER_ARGS_TOKENS = frozenset(k.terminal for k in KEYWORDS if k.block_after_args)
# Opener's terminal -> {word that may follow its closing brace: that word's terminal}.
CONTINUATIONS: dict[str, dict[str, str]] = {}
for _keyword in KEYWORDS:
    for _opener in _keyword.continues:
        CONTINUATIONS.setdefault(_opener, {})[_keyword.name] = _keyword.terminal

# full name -> abbreviation (None when the name has no short form)
SPECIAL_VARIABLES: dict[str, str | None] = {
    "USERNAME": None,
    "JOB": "J",
    "HOROLOG": "H",
    "ZTIMESTAMP": "ZTS",
    "ZHOROLOG": "ZH",
    "ZVERSION": "ZV",
    "NAMESPACE": None,
    "ZNSPACE": None,
    "TEST": "T",
    "X": None,
    "Y": None,
    "ZERROR": "ZE",
    "ECODE": "EC",
    "IO": "I",
    "PRINCIPAL": "P",
    "ROLES": None,
    "STACK": "ST",
    "ESTACK": "ES",
    "SYSTEM": "SY",
    "ZPI": None,
    "ZNAME": "ZN",
    "ZCHILD": "ZC",
    "ZPARENT": "ZP",
    "TLEVEL": "TL",
    "ZSTORAGE": "ZS",
    "STORAGE": "S",
}


def _index(table: dict[str, str | None]) -> dict[str, str]:
    index: dict[str, str] = {}
    for full, abbrev in table.items():
        index[full] = full
        if abbrev:
            index.setdefault(abbrev, full)
    return index


# full name or abbreviation -> full name
SPECIAL_VARIABLE_INDEX = _index(SPECIAL_VARIABLES)

# The pattern match codes (`x?3N`), in the order of their bits in pattern.py. Either case.
PATTERN_CODES = "ACELNPU"
