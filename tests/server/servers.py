"""What the license-server tests share: waiting for a condition and a captured Session on a
named instance. (The `daemons` fixture, real servers on free loopback ports, is in conftest.)"""

from __future__ import annotations

import hashlib
import hmac
import io
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from conftest import LICENSE_SERVER_PERIOD as PERIOD

from cacheshell.session import Session
from cacheshell.system import server_config
from cacheshell.system.authkey import current_platform_code
from cacheshell.system.cpf import Cpf
from cacheshell.system.domain_secret import home_secret, secret_path
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.keys import KeySpec, LicenseKey, issue_from_spec
from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout
from cacheshell.system.licserver.protocol import DomainKeys
from cacheshell.system.signing import canonical_content, training_private_key

__all__ = [
    "PERIOD",
    "Shell",
    "copy_secret",
    "eventually",
    "mint",
    "reader_keys",
    "without_default",
]
T = TypeVar("T")


def mint(units: int, order: int) -> LicenseKey:
    """A Multiserver key of `units` with its own order number, from the training issuer."""
    return issue_from_spec(
        KeySpec(units=units, multi=True, order_number=order),
        training_private_key(),
        current_platform_code(),
    )


def reader_keys(key: LicenseKey) -> list[DomainKeys]:
    """What a reader of the key file (and of the training issuer's key) could take for the
    domain's keys: the file's text, the secret version 2 derived from the key, the issuer's
    private key. None of them is the domain secret."""
    text = render_key_file(key.file).encode()
    v2 = hmac.digest(
        canonical_content(key.file) + key.file.authorization_key.encode("ascii"),
        b"cacheshell license server v1",
        "sha256",
    )
    issuer = training_private_key().private_bytes_raw()
    guesses = (hashlib.sha256(text).digest(), v2, issuer, hashlib.sha256(issuer).digest())
    return [DomainKeys.from_secret(guess) for guess in guesses]


def copy_secret(server_home: Path, home: Path) -> None:
    """Give `home` the license domain secret of the home the license server runs in, as the
    README tells an administrator to (an owner-only copy)."""
    home_secret(server_home)  # made now if the servers of that home have yet to need it
    if home.resolve() != server_home.resolve():
        home.mkdir(parents=True, exist_ok=True)
        shutil.copy2(secret_path(server_home), secret_path(home))


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
