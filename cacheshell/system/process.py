"""One process attached to an instance: how it is identified for licensing, the unit it takes at
start, the explicit Login() that may change its license user ID, and its release at exit."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import NamedTuple

from cacheshell.system import table
from cacheshell.system.console import WARNING
from cacheshell.system.instance import Instance
from cacheshell.system.license_table import DIAGNOSTIC, PENDING, SYSTEM, USER
from cacheshell.system.table import Decision

# What a local terminal's connection looks like to the licensing code.
LOCAL_CLIENT = "127.0.0.1"
# A process that deferred its license login and has not logged in pauses after this many
# commands, then again after every PAUSE_EVERY more.
PAUSE_AFTER = 4000
PAUSE_EVERY = 1000
PAUSE_SECONDS = 1.0

# Several sessions may live in one OS process (notebook cells with --new): the first uses the
# real PID, the others numbers derived from it.
_extra_sessions = itertools.count(1)
_real_pid_taken: set[int] = set()


class LicenseRefused(Exception):
    """No license unit: the process may not start (<LICENSE LIMIT EXCEEDED>, or <LICENSE
    ALLOCATION EXCEEDED> past SetUserLimit's cap)."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason)
        self.error = decision.error


class Identity(NamedTuple):
    username: str
    client: str = LOCAL_CLIENT


def administers(mgr: Path, uid: int | None = None) -> bool:
    """Whether the OS user (this process's, or `uid`) administers the instance: root, or the
    owner of its manager directory. Caché asks the same of its emergency access: "root or
    administrator privileges where the instance is running (if it was installed by root) or be
    the user who installed it" (Caché Security Administration Guide, Emergency Access,
    https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=GCAS_secmgmt_emerg)."""
    who = os.geteuid() if uid is None else uid
    try:
        owner = mgr.stat().st_uid
    except OSError:
        return False
    return who in (0, owner)


def allocate_pid() -> int:
    real = os.getpid()
    if real not in _real_pid_taken:
        _real_pid_taken.add(real)
        return real
    return real * 1000 + next(_extra_sessions)


class InstanceProcess:
    def __init__(
        self,
        instance: Instance,
        identity: Identity,
        admin: bool = False,
        parent: InstanceProcess | None = None,
        system: bool = False,
    ) -> None:
        self.instance = instance
        self.identity = identity
        self.admin = admin
        self.system = system  # a system process (startup code): it takes no license unit
        self.parent = parent
        self.pid = allocate_pid()
        self.license_id = ""
        self.kind = USER
        self.commands = 0
        self.attached = False
        # The low-availability alert this process's last login or logout fired ("" if none),
        # for the library to pass on to the notification method.
        self.alert = ""

    # -- identification -------------------------------------------------------------------
    def automatic_license_id(self) -> str:
        """The ID Caché picks with no explicit login: the client address, or $USERNAME with
        username licensing on. A JOB'ed process counts under its parent's ID."""
        if self.parent is not None and self.parent.license_id:
            return self.parent.license_id
        if self.instance.store.get("username_licensing", 0):
            return table.license_login_id(self.identity.username, self.identity.client)
        return self.identity.client

    @property
    def pending(self) -> bool:
        return self.kind == PENDING

    # -- life ------------------------------------------------------------------------------------
    def attach(self, log_refusal: bool = True) -> Decision:
        deferred = bool(self.instance.store.get("deferred", 0)) and self.parent is None
        if self.system:
            kind, license_id = SYSTEM, ""
        elif self.admin:
            kind, license_id = DIAGNOSTIC, self.automatic_license_id()
        elif deferred:
            kind, license_id = PENDING, ""
        else:
            kind, license_id = USER, self.automatic_license_id()
        decision = self.instance.table.attach(
            self.pid,
            license_id,
            kind,
            self.identity.client,
            self.identity.username,
            os_pid=os.getpid(),
            parent=self.parent.pid if self.parent else None,
        )
        if not decision.granted:
            if log_refusal:
                self.refused(decision, license_id or self.automatic_license_id())
            raise LicenseRefused(decision)
        row = self.instance.table.process(self.pid)
        self.kind = row.kind if row else kind
        self.license_id = row.license_id if row else license_id
        self.attached = True
        self.alert = self.instance.check_alert()
        return decision

    def refused(self, decision: Decision, license_id: str) -> None:
        """Write a refused login to the console log, naming the license ID that was refused."""
        if decision.logged:
            count = int(self.instance.store.get("limit_exceeded", 0))
            self.instance.log.write(
                f"License limit exceeded {count} times since instance start "
                f"(license user ID {license_id!r})",
                WARNING,
            )

    def detach(self) -> None:
        if self.attached:
            self.instance.table.detach(self.pid)
            self.attached = False
            self.alert = self.instance.check_alert()

    def login(self, identifier: str) -> int:
        """Login(): returns the connections now under identifier@client, or 0 when refused."""
        license_id = table.license_login_id(identifier, self.identity.client)
        decision = self.instance.table.relogin(self.pid, license_id)
        if not decision.granted:
            self.refused(decision, license_id)
            return 0
        self.license_id, self.kind = license_id, USER
        self.alert = self.instance.check_alert()
        return self.instance.table.connection_count(license_id)

    def tick(self) -> float:
        """Count one command; the seconds to pause when a deferred process has not logged in."""
        self.commands += 1
        n = self.commands
        if n == PAUSE_AFTER or (n > PAUSE_AFTER and (n - PAUSE_AFTER) % PAUSE_EVERY == 0):
            return PAUSE_SECONDS
        return 0.0
