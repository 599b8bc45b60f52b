"""The instance's configured values, read from cache.cpf and validated.

Each reader returns a Setting: the value to use and, when the cpf held something unusable, the
problem that says what was wrong and what is used instead. A missing or blank value is not a
problem (the default applies); a value that does not read, or one outside its range, is. Only
plain decimal numbers read ("1e-6" does, "0x10", "1_000", "nan" and "inf" do not).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cacheshell.system.console import WARNING, ConsoleLog
from cacheshell.system.cpf import DEFAULT_CPF, Cpf
from cacheshell.system.store import Store

T = TypeVar("T", int, float)

CONFIG = "config"
UPDATE_PERIOD = "LicenseUpdatePeriod"
DEFAULT_UPDATE_PERIOD = 15.0
# Below this the license monitor would spin and burn a core; the tests run at 0.3 and 0.5 s.
MIN_UPDATE_PERIOD = 0.2
MAX_UPDATE_PERIOD = 3600.0
GMHEAP = "gmheap"
DEFAULT_GMHEAP = int(DEFAULT_CPF[CONFIG][GMHEAP])  # KB
MAX_GMHEAP = 1_073_741_760  # KB, as Caché allows
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_WHOLE = re.compile(r"[+-]?\d+")
_SHOWN = 40  # characters of a bad value quoted in a problem
_WARNED = "settings_warned:"  # store state prefix: the problem last written to the console log
_BOOT = "monitor_boot"  # store state: new at each instance start, so each start tells again


@dataclass(frozen=True)
class Setting(Generic[T]):
    value: T
    problem: str = ""  # "" when the configured value is used as it is


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _number(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class _Read(Generic[T]):
    """A configured text read: the value to use and, when the text is not usable as it is,
    what is wrong with it ("is below the minimum of 0.2 seconds") and what is used instead."""

    value: T
    fault: str = ""
    instead: str = ""


def _read_period(text: str) -> _Read[float]:
    default = f"using the default {_number(DEFAULT_UPDATE_PERIOD)}"
    if not _DECIMAL.fullmatch(text):
        return _Read(DEFAULT_UPDATE_PERIOD, "is not a number of seconds", default)
    period = float(text)
    if period <= 0:
        return _Read(DEFAULT_UPDATE_PERIOD, "is not a positive number of seconds", default)
    if period < MIN_UPDATE_PERIOD:
        low = _number(MIN_UPDATE_PERIOD)
        return _Read(MIN_UPDATE_PERIOD, f"is below the minimum of {low} seconds", f"using {low}")
    if period > MAX_UPDATE_PERIOD:  # also what overflows to inf, like 1e999
        high = _number(MAX_UPDATE_PERIOD)
        return _Read(MAX_UPDATE_PERIOD, f"is above the maximum of {high} seconds", f"using {high}")
    return _Read(period)


def _read_gmheap(text: str) -> _Read[int]:
    default = f"using the default {DEFAULT_GMHEAP}"
    if not _WHOLE.fullmatch(text):
        return _Read(DEFAULT_GMHEAP, "is not a whole number of KB", default)
    size = int(text)
    if size < 0:
        return _Read(DEFAULT_GMHEAP, "is negative", default)
    if size > MAX_GMHEAP:
        return _Read(MAX_GMHEAP, f"is above the maximum of {MAX_GMHEAP} KB", f"using {MAX_GMHEAP}")
    return _Read(size)


def _setting(name: str, text: str, read: _Read[T]) -> Setting[T]:
    if not read.fault:
        return Setting(read.value)
    return Setting(read.value, f"{name}={_shown(text)} {read.fault}; {read.instead}")


def update_period(cpf: Cpf) -> Setting[float]:
    """[config] LicenseUpdatePeriod: seconds between the license monitor's updates."""
    text = cpf.get(CONFIG, UPDATE_PERIOD, "").strip()
    if not text:
        return Setting(DEFAULT_UPDATE_PERIOD)
    return _setting(UPDATE_PERIOD, text, _read_period(text))


def gmheap(cpf: Cpf) -> Setting[int]:
    """[config] gmheap: KB of generic memory heap the license table can grow into."""
    text = cpf.get(CONFIG, GMHEAP, "").strip()
    if not text:
        return Setting(DEFAULT_GMHEAP)
    return _setting(GMHEAP, text, _read_gmheap(text))


# The [config] properties this model knows, in the order Config.config lists them: their readers
# of a cpf (the value in use) and of a proposed text (the value, or what is wrong with it).
CONFIG_READERS: dict[str, tuple[Callable[[Cpf], Setting[Any]], Callable[[str], _Read[Any]]]] = {
    UPDATE_PERIOD: (update_period, _read_period),
    GMHEAP: (gmheap, _read_gmheap),
}


def config_values(cpf: Cpf) -> dict[str, int | float]:
    """The value in use of every known [config] property (a default where the cpf has none or
    one that is not usable)."""
    return {name: read(cpf).value for name, (read, _) in CONFIG_READERS.items()}


def check_config_value(name: str, text: str) -> str:
    """Why `text` cannot be the value of [config] `name` ("" when it can): unlike reading a cpf,
    nothing is clamped or defaulted for a value being set."""
    if name not in CONFIG_READERS:
        known = ", ".join(CONFIG_READERS)
        return f"{name} is not a [config] property this instance knows ({known})"
    stripped = text.strip()
    if not stripped:
        return f"{name} cannot be empty"
    read = CONFIG_READERS[name][1](stripped)
    return f"{name}={_shown(stripped)} {read.fault}" if read.fault else ""


def problems(cpf: Cpf) -> list[str]:
    """Every problem of the values read here, in a fixed order ([] when all are usable)."""
    found = [update_period(cpf).problem, gmheap(cpf).problem]
    return [problem for problem in found if problem]


def warn_once(store: Store, log: ConsoleLog, name: str, problem: str) -> None:
    """Write a setting's problem to the console log as a warning once per instance start (and
    again when it changes); a setting that is fine again is forgotten, so a new problem is told.
    The store remembers what was told, so every process attached to the instance agrees."""
    key = _WARNED + name
    try:
        told = str(store.get(key) or "")
        if not problem:
            if told:
                with store.transaction():
                    store.put(key, None)
            return
        marker = f"{store.get(_BOOT)}|{problem}"
        if told == marker:
            return
        with store.transaction():
            if str(store.get(key) or "") == marker:  # another process told it meanwhile
                return
            store.put(key, marker)
    except sqlite3.Error:  # the store is busy or gone: the next call tries again
        return
    log.write(problem, WARNING)
