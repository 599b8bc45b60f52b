"""Reading an application license: one [AppName] section of a standard .ini file.

LoadAppLicenseFile's return codes say what was wrong; a failed load changes nothing.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from cacheshell.system.bounded import INI_FILE_BYTES, read_text_bounded
from cacheshell.system.ini import read_ini

# LoadAppLicenseFile return codes.
LOADED = 0
NOT_FOUND = 1  # no file, no such section, or an empty or malformed section
TOO_LARGE = 2
NO_MEMORY = 4
TOO_LONG = 5  # a keyword or a value longer than MAX_NAME
NAME_TOO_LONG = 6

MAX_NAME = 47
MAX_SECTION = 16536  # characters, counting one NUL per keyword=value line
MAX_FILE_NAME = 1024
_APP_NAME = re.compile(r"[A-Za-z0-9]+")


class AppLicense(NamedTuple):
    name: str
    items: tuple[tuple[str, str], ...]  # (keyword, value) in file order

    def value(self, keyword: str) -> str | None:
        return next((v for k, v in self.items if k == keyword), None)


class AppFileError(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code


def is_numeric(value: str) -> bool:
    """Numeric values are counted pools; anything else can only be read."""
    return bool(re.fullmatch(r"\d+", value.strip()))


def read_app_license(path: str, app: str, shown: str | None = None) -> AppLicense:
    """Read section [app] of the file; raises AppFileError carrying the return code. `shown`
    is the file's name as the caller gave it (`path` by default), the one the messages use;
    they say what is wrong and where, never what a line of the file holds."""
    name = path if shown is None else shown
    if len(app) > MAX_NAME:
        raise AppFileError(NAME_TOO_LONG, f"application name longer than {MAX_NAME} characters")
    if not _APP_NAME.fullmatch(app):
        raise AppFileError(NOT_FOUND, "an application name is letters and digits, no period")
    if len(name) > MAX_FILE_NAME:
        raise AppFileError(NOT_FOUND, "file name too long")
    try:
        text = read_text_bounded(path, INI_FILE_BYTES, "license file")
    except UnicodeDecodeError:
        raise AppFileError(NOT_FOUND, f"{name} is not a UTF-8 text file") from None
    except OSError as exc:
        raise AppFileError(NOT_FOUND, f"cannot read {name}: {exc.strerror or exc}") from None
    # Section names are case-sensitive; a second [app] further down is not read.
    section = next((found for found in read_ini(text).sections if found.name == app), None)
    if section is None:
        raise AppFileError(NOT_FOUND, f"{name}: no section [{app}]")
    items: list[tuple[str, str]] = []
    size = 0
    for line in section.lines:
        where = f"{name}: line {line.number}"
        entry = line.entry()
        if entry is None:
            raise AppFileError(NOT_FOUND, f"{where}: not KEY=VALUE")
        keyword, value = entry[0], entry[1].strip()
        if not keyword:
            raise AppFileError(NOT_FOUND, f"{where}: no keyword before the =")
        if len(keyword) > MAX_NAME or len(value) > MAX_NAME:
            raise AppFileError(TOO_LONG, f"{where}: keyword or value longer than {MAX_NAME}")
        if any(k == keyword for k, _ in items):
            raise AppFileError(NOT_FOUND, f"{where}: a keyword of [{app}] given again")
        items.append((keyword, value))
        size += len(keyword) + 1 + len(value) + 1  # keyword=value and its NUL
    if not items:
        raise AppFileError(NOT_FOUND, f"{name}: section [{app}] is empty")
    if size > MAX_SECTION:
        raise AppFileError(
            TOO_LARGE, f"{name}: section [{app}] holds more than {MAX_SECTION} characters"
        )
    return AppLicense(app, tuple(items))
