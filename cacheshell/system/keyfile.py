"""The cache.key file layout: [ConfigFile], [License] and protected application sections."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from cacheshell.system.ini import IniLine, read_ini

CONFIG_SECTION = "ConfigFile"
LICENSE_SECTION = "License"
RESERVED_SECTIONS = (CONFIG_SECTION, LICENSE_SECTION)
FILE_TYPE_FIELD = "FileType"
# The [License] fields in the order Caché writes them.
LICENSE_FIELDS = (
    "LicenseCapacity",
    "CustomerName",
    "OrderNumber",
    "ExpirationDate",
    "AuthorizationKey",
    "MachineID",
)

_FILE_TYPE = re.compile(r"License (\d+(?:\.\d+)*)")
_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_DIGITS = re.compile(r"\d+")

Pairs = tuple[tuple[str, str], ...]
Sections = tuple[tuple[str, Pairs], ...]


class KeyFileError(ValueError):
    """A file or field that is not a well-formed license key; `reason` says why. A reason
    built while reading a file says what is wrong and where (the line, the field), never
    what the file holds: the file may be any file a caller named."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class KeyFile:
    """One license key file, field by field; the AuthorizationKey is kept as text."""

    file_type: str
    license_capacity: str
    customer_name: str
    order_number: str
    expiration_date: date
    authorization_key: str
    machine_id: str
    app_sections: Sections = ()


def format_date(day: date) -> str:
    """M/D/YYYY without leading zeros, as key files write it."""
    return f"{day.month}/{day.day}/{day.year}"


def parse_date(text: str) -> date:
    """A M/D/YYYY date typed by a user; raises KeyFileError, quoting it, for anything else."""
    found = _read_date(text)
    if isinstance(found, str):
        raise KeyFileError(f"bad date '{text}': {found}")
    return found


def _read_date(text: str) -> date | str:
    """The date, or what is wrong with the text (without quoting it)."""
    match = _DATE.fullmatch(text)
    if match is None:
        return "expected M/D/YYYY"
    month, day, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return "no such day"


def file_version(file_type: str) -> str:
    """The version after "License " in a FileType value ("2013.1")."""
    match = _FILE_TYPE.fullmatch(file_type)
    if match is None:
        raise KeyFileError("FileType is not 'License <version>'")
    return match.group(1)


def parse_sections(text: str) -> Sections:
    """The `[Section]` blocks of an .ini text, `keyword=value` lines kept verbatim.

    Blank lines and lines starting with ';' are skipped; keywords are stripped of
    surrounding spaces, values are not (a value may deliberately begin with a space).
    """
    # Only a ';' in the first column starts a comment: an indented one is a malformed line.
    found = read_ini(text, indented_comments=False)
    for line in found.before:
        _refuse_header(line)
        raise KeyFileError(f"line {line.number}: text outside any [section]")
    sections: list[tuple[str, Pairs]] = []
    seen_sections: set[str] = set()
    for section in found.sections:
        name, number = section.name, section.number
        if not name:
            raise KeyFileError(f"line {number}: malformed section header '[]'")
        if not _valid_name(name):
            raise KeyFileError(f"line {number}: section name is not valid")
        if name in seen_sections:
            raise KeyFileError(f"line {number}: a section given again")
        seen_sections.add(name)
        pairs: list[tuple[str, str]] = []
        seen_keywords: set[str] = set()
        for line in section.lines:
            _refuse_header(line)
            entry = line.entry()
            if entry is None or not entry[0]:
                raise KeyFileError(f"line {line.number}: not KEYWORD=VALUE")
            keyword = entry[0]
            if keyword in seen_keywords:
                raise KeyFileError(f"line {line.number}: a keyword of its section given again")
            seen_keywords.add(keyword)
            pairs.append(entry)
        sections.append((name, tuple(pairs)))
    return tuple(sections)


def _refuse_header(line: IniLine) -> None:
    """A line that opens a bracket without closing it is a header gone wrong, not a keyword."""
    if line.stripped.startswith("["):
        raise KeyFileError(f"line {line.number}: malformed section header")


def parse_key_file(text: str) -> KeyFile:
    """A KeyFile from the text of a cache.key; raises KeyFileError when it is not one."""
    found = parse_sections(text)
    sections = dict(found)
    for name in RESERVED_SECTIONS:
        if name not in sections:
            raise KeyFileError(f"not a license key file: no [{name}] section")
    config = dict(sections[CONFIG_SECTION])
    _expect_fields(CONFIG_SECTION, config, (FILE_TYPE_FIELD,))
    file_type = config[FILE_TYPE_FIELD]
    file_version(file_type)
    fields = dict(sections[LICENSE_SECTION])
    _expect_fields(LICENSE_SECTION, fields, LICENSE_FIELDS)
    order = fields["OrderNumber"]
    if not _DIGITS.fullmatch(order):
        raise KeyFileError("OrderNumber is not a number")
    expiration = _read_date(fields["ExpirationDate"])
    if isinstance(expiration, str):
        raise KeyFileError(f"ExpirationDate: {expiration}")
    if not fields["AuthorizationKey"]:
        raise KeyFileError("AuthorizationKey is empty")
    apps = tuple((name, pairs) for name, pairs in found if name not in RESERVED_SECTIONS)
    return KeyFile(
        file_type=file_type,
        license_capacity=fields["LicenseCapacity"],
        customer_name=fields["CustomerName"],
        order_number=order,
        expiration_date=expiration,
        authorization_key=fields["AuthorizationKey"],
        machine_id=fields["MachineID"],
        app_sections=apps,
    )


def license_rows(key: KeyFile) -> list[tuple[str, str]]:
    """The [License] fields as (name, text) rows in file order."""
    values = (
        key.license_capacity,
        key.customer_name,
        key.order_number,
        format_date(key.expiration_date),
        key.authorization_key,
        key.machine_id,
    )
    return list(zip(LICENSE_FIELDS, values, strict=True))


def render_key_file(key: KeyFile) -> str:
    """The text of a key file; refuses fields that would not read back identically."""
    file_version(key.file_type)
    blocks = [
        _render_section(CONFIG_SECTION, ((FILE_TYPE_FIELD, key.file_type),)),
        _render_section(LICENSE_SECTION, tuple(license_rows(key))),
    ]
    for name, pairs in key.app_sections:
        if name in RESERVED_SECTIONS:
            raise KeyFileError(f"[{name}] is reserved and cannot be an application section")
        blocks.append(_render_section(name, pairs))
    names = [name for name, _ in key.app_sections]
    if len(set(names)) != len(names):
        raise KeyFileError("an application section appears twice")
    return "\n".join(blocks)


def _render_section(name: str, pairs: Pairs) -> str:
    _check_name(name, "section name")
    lines = [f"[{name}]"]
    seen: set[str] = set()
    for keyword, value in pairs:
        if (
            keyword != keyword.strip()
            or not keyword
            or "=" in keyword
            or keyword.startswith((";", "["))
            or _has_newline(keyword)
        ):
            raise KeyFileError(f"[{name}]: keyword '{keyword}' cannot be written to a key file")
        if _has_newline(value):
            raise KeyFileError(f"[{name}]: the value of '{keyword}' contains a line break")
        if keyword in seen:
            raise KeyFileError(f"[{name}]: keyword '{keyword}' appears twice")
        seen.add(keyword)
        lines.append(f"{keyword}={value}")
    return "\n".join(lines) + "\n"


def _valid_name(name: str) -> bool:
    return (
        bool(name)
        and name == name.strip()
        and "[" not in name
        and "]" not in name
        and (not _has_newline(name))
    )


def _check_name(name: str, what: str) -> None:
    if not _valid_name(name):
        raise KeyFileError(f"{what} '{name}' is not valid")


def _has_newline(text: str) -> bool:
    # splitlines() breaks on more than \n; any of those would split the line on reading.
    return len(f"x{text}x".splitlines()) != 1


def _expect_fields(section: str, fields: dict[str, str], names: tuple[str, ...]) -> None:
    for name in names:
        if name not in fields:
            raise KeyFileError(f"not a license key file: [{section}] has no {name}")
    for name in fields:
        if name not in names:
            raise KeyFileError(f"[{section}] has a field that is not one of {', '.join(names)}")
