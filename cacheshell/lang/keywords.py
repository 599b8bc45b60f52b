"""Command and special-variable names with their official abbreviations.

Names are case-insensitive and may be abbreviated only to the official short form (`W`, `ZW`),
never to an arbitrary prefix.
"""

from __future__ import annotations

# full name, abbreviation, grammar token
_COMMANDS = [
    ("SET", "S", "SET"),
    ("WRITE", "W", "WRITE"),
    ("ZWRITE", "ZW", "ZWRITE"),
    ("KILL", "K", "KILL"),
    ("DO", "D", "DO"),
    ("QUIT", "Q", "QUIT"),
    ("RETURN", "RET", "RETURN"),
    ("HALT", "H", "HALT"),  # H with an argument is HANG: decided by the post-lexer
    ("HANG", None, "HANG"),
    ("IF", "I", "IF"),
    ("ELSE", "E", "ELSE"),
    ("FOR", "F", "FOR"),
    ("WHILE", None, "WHILE"),
    ("CONTINUE", None, "CONTINUE"),
    ("TRY", None, "TRY"),
    ("THROW", None, "THROW"),
    ("NEW", "N", "NEW"),
    ("XECUTE", "X", "XECUTE"),
    ("ZNSPACE", "ZN", "ZNSPACE"),
    ("JOB", "J", "JOB"),
]

COMMAND_TOKENS: dict[str, str] = {}
for _full, _abbrev, _token in _COMMANDS:
    COMMAND_TOKENS[_full] = _token
    if _abbrev:
        COMMAND_TOKENS.setdefault(_abbrev, _token)

COMMAND_NAMES: list[str] = [full for full, _, _ in _COMMANDS] + ["ELSEIF", "CATCH"]

# full name -> abbreviation (None when the name has no short form)
SPECIAL_VARIABLES: dict[str, str | None] = {
    "USERNAME": None,
    "JOB": "J",
    "HOROLOG": "H",
    "ZTIMESTAMP": "ZTS",
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
}


def _index(table: dict[str, str | None]) -> dict[str, str]:
    index: dict[str, str] = {}
    for full, abbrev in table.items():
        index[full] = full
        if abbrev:
            index.setdefault(abbrev, full)
    return index


SPECIAL_VARIABLE_INDEX = _index(SPECIAL_VARIABLES)
