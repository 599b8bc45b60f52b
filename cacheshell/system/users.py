"""An instance's users and their roles: mgr/users.json, owner-only, written atomically.

Each user is one record, {"name": ..., "roles": [...]}, so that a later field (a password hash)
joins the same record. Two users are predefined and cannot be added, changed or deleted, as in a
minimal-security Caché install: UnknownUser, whom every unauthenticated process runs as, and
_SYSTEM; both hold %All. A name that is neither predefined nor defined holds no role. Names
compare without regard to case, as Caché's usernames do.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from cacheshell.system.files import write_atomically

USERS_FILE = "users.json"
ALL = "%All"
UNKNOWN_USER = "UnknownUser"
PREDEFINED = {UNKNOWN_USER.upper(): UNKNOWN_USER, "_SYSTEM": "_SYSTEM"}
_NAME = re.compile(r"[A-Za-z0-9_%][A-Za-z0-9_.@-]{0,127}")
_ROLE = re.compile(r"%?[A-Za-z][A-Za-z0-9_]{0,63}")


class UserError(Exception):
    """A user or role that cannot be added, deleted or read; the message says why."""


@dataclass(frozen=True)
class User:
    name: str
    roles: tuple[str, ...]
    predefined: bool = False


def users_path(mgr: Path) -> Path:
    return mgr / USERS_FILE


def _read(mgr: Path) -> list[User]:
    path = users_path(mgr)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        records = json.loads(text)["users"]
        return [User(str(r["name"]), tuple(str(x) for x in r["roles"])) for r in records]
    except (ValueError, KeyError, TypeError):
        # Named, never quoted: the file's content stays out of every message.
        raise UserError(f"{path} is not a users file") from None


def _write(mgr: Path, users: list[User]) -> None:
    records = [{"name": u.name, "roles": list(u.roles)} for u in users]
    write_atomically(users_path(mgr), json.dumps({"users": records}, indent=1) + "\n")


def list_users(mgr: Path) -> list[User]:
    """The predefined users, then the defined ones sorted by name."""
    fixed = [User(name, (ALL,), predefined=True) for name in PREDEFINED.values()]
    return fixed + sorted(_read(mgr), key=lambda u: u.name.upper())


def find(mgr: Path, name: str) -> User | None:
    if name.upper() in PREDEFINED:
        return User(PREDEFINED[name.upper()], (ALL,), predefined=True)
    return next((u for u in _read(mgr) if u.name.upper() == name.upper()), None)


def roles_of(mgr: Path, name: str) -> tuple[str, ...]:
    """The roles a session of user `name` holds: none for a user not defined."""
    try:
        user = find(mgr, name)
    except UserError:
        return ()  # an unreadable registry grants nothing
    return () if user is None else user.roles


def add(mgr: Path, name: str, roles: list[str]) -> User:
    """Define a user, or give a defined one these roles instead of its old ones."""
    if not _NAME.fullmatch(name):
        raise UserError(f"{name!r} is not a user name (letters, digits, _ . @ -)")
    if name.upper() in PREDEFINED:
        raise UserError(f"{PREDEFINED[name.upper()]} is predefined and cannot be changed")
    for role in roles:
        if not _ROLE.fullmatch(role):
            raise UserError(f"{role!r} is not a role name (such as %Admin_Manage)")
    users = [u for u in _read(mgr) if u.name.upper() != name.upper()]
    user = User(name, tuple(dict.fromkeys(roles)))
    _write(mgr, [*users, user])
    return user


def delete(mgr: Path, name: str) -> None:
    if name.upper() in PREDEFINED:
        raise UserError(f"{PREDEFINED[name.upper()]} is predefined and cannot be deleted")
    users = _read(mgr)
    kept = [u for u in users if u.name.upper() != name.upper()]
    if len(kept) == len(users):
        raise UserError(f"no user named {name}")
    _write(mgr, kept)
