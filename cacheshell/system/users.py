"""An instance's users, their roles and passwords: mgr/users.json, owner-only, written atomically.

Each user is one record, {"name": ..., "roles": [...]}, with the password's salted scrypt hash
and the count of invalid logins since the last good one when it has them. Two users are
predefined and cannot be added or deleted, as in a minimal-security Caché install: UnknownUser,
whom every unauthenticated process runs as and who has no password, and _SYSTEM, whose password
is SYS until it is changed; both hold %All (a record for them holds only their password and
login state). A name that is neither predefined nor defined holds no role. Names compare without
regard to case, as Caché's usernames do.

Logging in with a password (the Management Portal) follows Caché's "Invalid login limit": after
5 invalid passwords in a row the user is disabled until an administrator enables it again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from cacheshell.system.files import write_atomically

USERS_FILE = "users.json"
ALL = "%All"
ADMIN_MANAGE = "%Admin_Manage"
UNKNOWN_USER = "UnknownUser"
SYSTEM_USER = "_SYSTEM"
PREDEFINED = {UNKNOWN_USER.upper(): UNKNOWN_USER, SYSTEM_USER: SYSTEM_USER}
# The training install's documented password, as a minimal-security Caché install has it.
DEFAULT_PASSWORDS = {SYSTEM_USER: "SYS"}
INVALID_LOGIN_LIMIT = 5  # Caché's default "Invalid login limit"
# A role stands for the resources it holds: Caché's predefined %Manager role holds
# %Admin_Manage:USE (Security Administration Guide, "Predefined Roles").
_GRANTS = {"%Manager": (ADMIN_MANAGE,)}
_NAME = re.compile(r"[A-Za-z0-9_%][A-Za-z0-9_.@-]{0,127}")
_ROLE = re.compile(r"%?[A-Za-z][A-Za-z0-9_]{0,63}")
# scrypt at 2^15 x 8 takes about 50 ms and 32 MB per check: slow for a guesser, not for a login.
_SCRYPT = {"n": 2**15, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024}
MAX_PASSWORD = 128


class UserError(Exception):
    """A user or role that cannot be added, deleted or read; the message says why."""


@dataclass(frozen=True)
class User:
    name: str
    roles: tuple[str, ...]
    predefined: bool = False
    password: str = ""  # the stored hash; "" when none is set
    failures: int = 0  # invalid logins since the last good one
    disabled: bool = False


class Outcome(Enum):
    OK = "ok"
    INVALID = "invalid"  # no such user, no password, or the wrong one: never said which
    DISABLED = "disabled"  # disabled before this attempt, or by it


class Login(NamedTuple):
    outcome: Outcome
    user: User | None
    just_disabled: bool = False  # this attempt reached the invalid login limit


def users_path(mgr: Path) -> Path:
    return mgr / USERS_FILE


def grants(roles: tuple[str, ...] | set[str] | frozenset[str], privilege: str) -> bool:
    """Whether holding `roles` gives `privilege` (%All gives every one)."""
    held = set(roles)
    for role in list(held):
        held.update(_GRANTS.get(role, ()))
    return ALL in held or privilege in held


# -- passwords -----------------------------------------------------------------------------------
# hashlib, hmac, secrets and base64 are imported by the password functions that use them: a
# session that checks no password loads none of them (hashlib maps OpenSSL's libcrypto).
def hash_password(password: str) -> str:
    import base64
    import hashlib
    import secrets

    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)
    encode = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${encode(salt).decode()}${encode(digest).decode()}"


def _verify(password: str, stored: str) -> bool:
    import base64
    import hashlib
    import hmac

    try:
        kind, n, salt, digest = stored.split("$")
        if kind != "scrypt" or int(n) != _SCRYPT["n"]:
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            **_SCRYPT,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def check_password_text(password: str) -> None:
    if not password or len(password) > MAX_PASSWORD or "\0" in password:
        raise UserError(f"a password is 1 to {MAX_PASSWORD} characters, without NUL")


# -- the registry --------------------------------------------------------------------------------
def _record(raw: dict[str, Any]) -> User:
    name = str(raw["name"])
    fixed = PREDEFINED.get(name.upper())
    return User(
        fixed or name,
        (ALL,) if fixed else tuple(str(x) for x in raw.get("roles", [])),
        predefined=fixed is not None,
        password=str(raw.get("password", "")),
        failures=int(raw.get("failures", 0)),
        disabled=bool(raw.get("disabled", False)),
    )


def _read(mgr: Path) -> list[User]:
    """Every record: defined users and the login state of the predefined ones."""
    path = users_path(mgr)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return [_record(r) for r in json.loads(text)["users"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        # Named, never quoted: the file's content stays out of every message.
        raise UserError(f"{path} is not a users file") from None


def _write(mgr: Path, records: list[User]) -> None:
    out = []
    for user in records:
        record: dict[str, Any] = {"name": user.name}
        if not user.predefined:
            record["roles"] = list(user.roles)
        if user.password:
            record["password"] = user.password
        if user.failures:
            record["failures"] = user.failures
        if user.disabled:
            record["disabled"] = True
        out.append(record)
    write_atomically(users_path(mgr), json.dumps({"users": out}, indent=1) + "\n")


def _predefined(records: list[User]) -> list[User]:
    found = {u.name.upper(): u for u in records if u.predefined}
    return [found.get(k) or User(name, (ALL,), predefined=True) for k, name in PREDEFINED.items()]


def list_users(mgr: Path) -> list[User]:
    """The predefined users, then the defined ones sorted by name."""
    records = _read(mgr)
    defined = [u for u in records if not u.predefined]
    return _predefined(records) + sorted(defined, key=lambda u: u.name.upper())


def find(mgr: Path, name: str) -> User | None:
    return next((u for u in list_users(mgr) if u.name.upper() == name.upper()), None)


def roles_of(mgr: Path, name: str) -> tuple[str, ...]:
    """The roles a session of user `name` holds: none for a user not defined."""
    try:
        user = find(mgr, name)
    except UserError:
        return ()  # an unreadable registry grants nothing
    return () if user is None else user.roles


def _replace(mgr: Path, user: User) -> None:
    kept = [u for u in _read(mgr) if u.name.upper() != user.name.upper()]
    _write(mgr, [*kept, user])


def add(mgr: Path, name: str, roles: list[str], password: str | None = None) -> User:
    """Define a user, or give a defined one these roles instead of its old ones (and this
    password, when one is given)."""
    if not _NAME.fullmatch(name):
        raise UserError(f"{name!r} is not a user name (letters, digits, _ . @ -)")
    if name.upper() in PREDEFINED:
        raise UserError(f"{PREDEFINED[name.upper()]} is predefined and cannot be changed")
    for role in roles:
        if not _ROLE.fullmatch(role):
            raise UserError(f"{role!r} is not a role name (such as %Admin_Manage)")
    if password is not None:
        check_password_text(password)
    old = find(mgr, name)
    user = User(name, tuple(dict.fromkeys(roles)))
    if password is not None:
        user = replace(user, password=hash_password(password))
    elif old is not None:
        user = replace(user, password=old.password, failures=old.failures, disabled=old.disabled)
    _replace(mgr, user)
    return user


def set_password(mgr: Path, name: str, password: str) -> User:
    """Give a user (_SYSTEM included) a new password; UnknownUser has none."""
    check_password_text(password)
    user = find(mgr, name)
    if user is None:
        raise UserError(f"no user named {name}")
    if user.name == UNKNOWN_USER:
        raise UserError(f"{UNKNOWN_USER} has no password: it is who unauthenticated processes are")
    user = replace(user, password=hash_password(password))
    _replace(mgr, user)
    return user


def enable(mgr: Path, name: str) -> User:
    """Enable a user disabled by the invalid login limit, and clear its count."""
    user = find(mgr, name)
    if user is None:
        raise UserError(f"no user named {name}")
    user = replace(user, failures=0, disabled=False)
    _replace(mgr, user)
    return user


def delete(mgr: Path, name: str) -> None:
    if name.upper() in PREDEFINED:
        raise UserError(f"{PREDEFINED[name.upper()]} is predefined and cannot be deleted")
    records = _read(mgr)
    kept = [u for u in records if u.name.upper() != name.upper()]
    if len(kept) == len(records):
        raise UserError(f"no user named {name}")
    _write(mgr, kept)


def authenticate(mgr: Path, name: str, password: str) -> Login:
    """Check a password login. Every attempt costs one slow hash, whether or not the user
    exists, so that timing tells nothing; an invalid one counts toward the limit."""
    user = find(mgr, name) if _NAME.fullmatch(name or "") else None
    stored = "" if user is None else user.password
    if user is not None and not stored and user.name in DEFAULT_PASSWORDS:
        stored = hash_password(DEFAULT_PASSWORDS[user.name])
    good = _verify(password[:MAX_PASSWORD], stored or _decoy())
    if user is None or not stored or user.name == UNKNOWN_USER:
        return Login(Outcome.INVALID, None)
    if user.disabled:
        return Login(Outcome.DISABLED, user)
    if good:
        if user.failures:
            user = replace(user, failures=0)
            _replace(mgr, user)
        return Login(Outcome.OK, user)
    failures = user.failures + 1
    user = replace(user, failures=failures, disabled=failures >= INVALID_LOGIN_LIMIT)
    _replace(mgr, user)
    if user.disabled:
        return Login(Outcome.DISABLED, user, just_disabled=True)
    return Login(Outcome.INVALID, user)


@cache
def _decoy() -> str:
    """Checked against when the user has no password, so that an unknown name costs as much."""
    import secrets

    return hash_password(secrets.token_hex(16))
