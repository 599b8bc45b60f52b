"""What the license-server tests share: waiting for a condition and a captured Session on a
named instance. (The `daemons` fixture, real servers on free loopback ports, is in conftest.)"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from conftest import LICENSE_SERVER_PERIOD as PERIOD

from cacheshell.session import Session
from cacheshell.system import server_config
from cacheshell.system.authkey import current_platform_code
from cacheshell.system.cpf import Cpf
from cacheshell.system.keys import KeySpec, LicenseKey, issue_from_spec
from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout
from cacheshell.system.signing import training_private_key

__all__ = ["PERIOD", "Shell", "eventually", "mint", "without_default"]
T = TypeVar("T")


def mint(units: int, order: int) -> LicenseKey:
    """A Multiserver key of `units` with its own order number, from the training issuer."""
    return issue_from_spec(
        KeySpec(units=units, multi=True, order_number=order),
        training_private_key(),
        current_platform_code(),
    )


def without_default(cpf: Cpf) -> None:
    """Take the default LOCAL line out of a new instance's cpf, as `servers delete LOCAL` does:
    the test's own servers stand in its place, in the order it configures them."""
    if server_config.find(cpf, "LOCAL") is not None:
        server_config.delete(cpf, "LOCAL")


def eventually(probe: Callable[[], T], timeout: float = 20.0, step: float = 0.05) -> T:
    """Poll until `probe()` is true; its value. Fails at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still {value!r} after {timeout} s")
        time.sleep(step)


class Shell:
    """A Session on a named instance with its output captured."""

    def __init__(self, home: Path, name: str = DEFAULT_INSTANCE) -> None:
        self.buffer = io.StringIO()
        self.session = Session(InstanceLayout(home, name), sink=self.buffer.write)

    def run(self, code: str) -> str:
        start = self.buffer.tell()
        outcome = self.session.execute(code)
        if outcome.error is not None:
            self.buffer.write(self.session.error_text(outcome.error))
        return self.buffer.getvalue()[start:]

    def state(self, name: str) -> object:
        return self.session.instance.store.get(name)

    def close(self) -> None:
        self.session.close()
