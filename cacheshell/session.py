"""One terminal session: an instance, a process, a namespace, a user and an interpreter.

Every front end drives a Session through the cell-level API it inherits from `Shell`. A Session
is also the host its ObjectScript runs in (`lang.host.Host`) and the session the ObjectScript
classes work on (`library.host.SessionHost`).
"""

from __future__ import annotations

import atexit
import os
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import cacheshell.library  # noqa: F401  (declares the ObjectScript classes by name)
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.host import LOCK_RETRY, Host, version_banner
from cacheshell.lang.locking import LockRequest
from cacheshell.lang.ordered import OrderedKV
from cacheshell.lang.shell import Shell
from cacheshell.library.host import SessionHost
from cacheshell.system import lifecycle, users
from cacheshell.system.bounded import FileRefused
from cacheshell.system.console import WARNING
from cacheshell.system.instance import Instance, InstanceError
from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout, cacheshell_home
from cacheshell.system.locks import EXCLUSIVE, SHARED, LockKey
from cacheshell.system.namespaces import DATABASES, Namespaces
from cacheshell.system.ordered_store import OrderedStore
from cacheshell.system.process import Identity, InstanceProcess, LicenseRefused, administers
from cacheshell.system.store import StoreBusy


class SessionError(Exception):
    """The session could not start (no such instance, unknown namespace)."""


class LicenseLimitExceeded(SessionError):
    """No license unit was left for this session."""

    def __init__(self, error: str = "LICENSE LIMIT EXCEEDED") -> None:
        super().__init__(f"<{error}>")


class Session(Shell):
    def __init__(
        self,
        layout: InstanceLayout | None = None,
        namespace: str = "USER",
        user: str | None = None,
        sink: Callable[[str], None] | None = None,
        admin: bool = False,
        system: bool = False,
        utility: str = "",
    ) -> None:
        """`utility` names the administrator's %SYS utility this one-shot session runs (the
        license upgrade): refused a unit, it runs as a system process instead (see _attach)."""
        self.layout = layout or InstanceLayout(cacheshell_home(), DEFAULT_INSTANCE)
        try:
            self.instance = lifecycle.open_running(
                self.layout, create_default=self.layout.name.upper() == DEFAULT_INSTANCE
            )
        except InstanceError as exc:
            raise SessionError(str(exc)) from None
        self.store = Namespaces(self.layout)
        self.username = user or users.UNKNOWN_USER
        # With Minimal security every process runs as UnknownUser holding %All; a named user
        # holds the roles the instance's user registry gives it, none when it is not defined.
        self.roles = ",".join(users.roles_of(self.layout.mgr, self.username))
        self.version = version_banner()
        self.system_name = f"{_host_name()}:{self.layout.name}"
        self.device = _device()
        self.rng = random.Random()
        self.job_id = os.getpid()
        self._databases: dict[str, OrderedStore] = {}
        super().__init__(self, sink or _stdout)
        try:
            self.interp.set_namespace(namespace)
        except ObjectScriptError:
            self.instance.store.close()
            raise SessionError(f"<NAMESPACE> *{namespace}") from None
        self.process = InstanceProcess(self.instance, Identity(self.username), admin, system=system)
        refused: LicenseRefused | None = None
        try:
            with self.instance.store.transaction():
                # In one transaction with the attach: a start or stop is wholly before or after.
                if self.instance.store.get("status") != "up":
                    raise SessionError(lifecycle.down_reason(self.instance))
                refused = self._attach(utility)
        except SessionError:
            self.instance.store.close()
            raise
        if refused is not None:
            self.instance.store.close()
            raise LicenseLimitExceeded(refused.error)
        self.job_id = self.interp.job_id = self.process.pid
        self._jobs: dict[int, InstanceProcess] = {}
        if self.process.pending:
            self.interp.on_command = self._deferred_tick
        self.closed = False
        atexit.register(self.close)

    def _attach(self, utility: str) -> LicenseRefused | None:
        """Attach the process; the refusal when refused (committed: the refusal's event and
        count are kept). The chapter's way out when every unit is in use, the -B one too, is
        `csession <instance> -U %SYS '##Class(%SYSTEM.License).Upgrade()'` ("Upgrading a License
        from the Operating System Command Line"): Caché's own processes take no unit (ProcessList
        type "System", %SYSTEM.License class reference), and this one-shot, started by the OS
        user who administers the instance, runs as one of them. Anyone else, and any other code,
        is refused as usual."""
        emergency = bool(utility) and administers(self.layout.mgr)
        if not emergency:
            try:
                self.process.attach()
            except LicenseRefused as refusal:
                return refusal
            return None
        # The utility's attempt at a unit is no refused login: undone, not counted, not logged.
        db = self.instance.store.db
        db.execute("SAVEPOINT emergency_attach")
        try:
            self.process.attach(log_refusal=False)
            return None
        except LicenseRefused:
            db.execute("ROLLBACK TO emergency_attach")
        finally:
            db.execute("RELEASE emergency_attach")
        self.process.system = True
        self.process.attach()
        self.instance.log.write(
            f"{utility} run by the instance's administrator as a system process, which takes no "
            "license unit: every unit is in use"
        )
        return None

    def close(self) -> None:
        """The process ends: its license unit and its share of its ID return."""
        if self.closed:
            return
        self.closed = True
        atexit.unregister(self.close)
        try:
            for job in self._jobs.values():
                job.detach()
            self.process.detach()
        except (StoreBusy, OSError, sqlite3.Error):
            # Another process holds the database, or its file failed: the units come back as a
            # killed process's do, reclaimed by the instance's service once this process ends.
            pass
        self._jobs.clear()
        try:
            # Ending the process rolls back its open transaction, as Caché does at a halt.
            self.interp.tx.roll_back()
        except (OSError, sqlite3.Error):
            pass  # a database that cannot take it: the service rolls it back from the journal
        for database in self._databases.values():
            database.close()
        self._databases.clear()
        self.instance.store.close()

    def _deferred_tick(self) -> None:
        if not self.process.pending:
            self.interp.on_command = None
            return
        pause = self.process.tick()
        if pause:
            self.interp.pause(pause)

    # -- Host -----------------------------------------------------------------------------
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.instance.clock.now())

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.instance.clock.now(), UTC)

    def uptime(self) -> float:
        """Seconds since the instance started, on its clock (simulated or not)."""
        started = self.instance.store.get("started")
        return self.instance.clock.now() - float(started if started is not None else 0.0)

    def sleep(self, seconds: float) -> None:
        """Hang and pauses: on a simulated clock time moves on instead of the process waiting."""
        if seconds <= 0:
            return
        if self.instance.clock.simulated:
            self.instance.clock.advance(seconds)
        else:
            time.sleep(seconds)

    def start_job(self) -> int:
        """A JOB'ed child counts under the parent's license user ID."""
        job = InstanceProcess(self.instance, Identity(self.username), parent=self.process)
        try:
            job.attach()
        except LicenseRefused as exc:
            raise ObjectScriptError(exc.error) from None
        self._jobs[job.pid] = job
        return job.pid

    def end_job(self, pid: int) -> None:
        job = self._jobs.pop(pid, None)
        if job is not None:
            job.detach()

    def namespaces(self) -> list[str]:
        return self.store.names()

    def default_namespace(self) -> str:
        return "USER"

    def database(self, namespace: str) -> OrderedKV:
        """The instance database holding a namespace's globals, opened on first use."""
        database = self._databases.get(namespace)
        if database is None:
            database = OrderedStore(self.store.database_path(namespace))
            self._databases[namespace] = database
        return database

    def routine_source(self, namespace: str, name: str) -> tuple[str, float] | None:
        try:
            return self.store.routine_source(namespace, name)
        except FileRefused as exc:
            # Larger than a routine may be (one not a regular file is no routine at all).
            raise ObjectScriptError("MAXSTRING", f"*{name}: {exc.strerror}") from None

    # -- locks: the instance's lock table, shared by every process attached to it -------------
    def take_locks(self, owner: int, requests: Sequence[LockRequest]) -> bool:
        return self.instance.locks.take(owner, [_lock_key(r) for r in requests])

    def release_lock(self, owner: int, request: LockRequest) -> None:
        self.instance.locks.release(owner, *_lock_key(request))

    def release_locks(self, owner: int) -> None:
        self.instance.locks.release_all(owner)

    def lock_pause(self, remaining: float | None) -> None:
        """A timed wait on a simulated clock moves the clock past its timeout at once, as a
        Hang does; waiting for another process to give a lock back takes real time."""
        if remaining is not None and self.instance.clock.simulated:
            self.instance.clock.advance(remaining)
            return
        time.sleep(LOCK_RETRY if remaining is None else min(LOCK_RETRY, remaining))


def _lock_key(request: LockRequest) -> tuple[LockKey, str]:
    """A global's lock name lives in its namespace's database, so ^G in USER and ^G in %SYS
    differ; a local lock name is one for the whole instance, whatever the namespace."""
    name = request.name
    space = "" if name.namespace is None else DATABASES[name.namespace]
    return LockKey(space, name.name, name.subscripts), SHARED if request.shared else EXCLUSIVE


def run_system_startup(instance: Instance) -> str:
    """Run SYSTEM^%ZSTART, as Caché does when an instance starts, in a system process that takes
    no license unit. Its output and any error go to the console log; returns the output."""
    layout = instance.layout
    if Namespaces(layout).routine_source("%SYS", "%ZSTART") is None:
        return ""
    output: list[str] = []
    session = Session(layout, "%SYS", sink=output.append, system=True)
    try:
        outcome = session.execute("Do SYSTEM^%ZSTART")
    finally:
        session.close()
    text = "".join(output)
    if outcome.error is not None:
        instance.log.write(f"SYSTEM^%ZSTART failed: {outcome.error.zerror}", WARNING)
    elif text.strip():
        instance.log.write(f"SYSTEM^%ZSTART: {text.strip()}")
    return text


def _stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _host_name() -> str:
    """socket.gethostname(), without importing socket where os.uname() gives the same name
    (every POSIX system: gethostname(2) reads the uname nodename)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def _device() -> str:
    try:
        return os.ttyname(0)
    except OSError:
        return "|TRM|:|" + str(os.getpid()) + "|"


def session_for(
    instance: str | None,
    mgr_dir: str | None,
    namespace: str,
    user: str | None,
    home: Path | None = None,
    admin: bool = False,
    utility: str = "",
) -> Session:
    """Open a session on a named instance, or on the instance owning a manager directory."""
    from cacheshell.system.layout import find_instance, instance_for_manager_dir

    base = home or cacheshell_home()
    if mgr_dir:
        layout = instance_for_manager_dir(mgr_dir)
        if layout is None:
            raise SessionError(f"{mgr_dir} is not the manager directory of an instance")
    elif instance is None or instance.upper() == DEFAULT_INSTANCE:
        layout = InstanceLayout(base, DEFAULT_INSTANCE)
    else:
        layout = find_instance(base, instance)
        if layout is None:
            raise SessionError(f"no instance named {instance} in {base}")
    try:
        return Session(layout, namespace, user, admin=admin, utility=utility)
    except StoreBusy as exc:  # another process holds the instance's database
        raise SessionError(str(exc)) from None


if TYPE_CHECKING:

    def _implements(session: Session) -> tuple[Host, SessionHost]:
        """A Session is the host its ObjectScript runs in and the session its classes use:
        mypy checks both here."""
        return session, session
