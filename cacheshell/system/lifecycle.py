"""An instance's life as ccontrol sees it: created, started (its service process runs and holds
the instance lock), stopped, restarted; and what `control list` says of it.

Running means the lock is held, never a PID file alone. An instance whose store still says "up"
while the lock is free lost its service without a shutdown (a crash, SIGKILL): it is down, and
the next start says so in the console log and clears what it left.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import sys
from pathlib import Path
from typing import NamedTuple

from cacheshell.system import instance_lock, system_processes
from cacheshell.system.console import WARNING
from cacheshell.system.instance import CPF_FILE, LOG_FILE, SERVICE_PID, Instance, InstanceError
from cacheshell.system.instance_files import owner_only, tighten
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.processes import ended, wait_until
from cacheshell.system.store import DATABASE_NAME
from cacheshell.system.system_processes import SERVICE_MODULE, is_service

STOP_TIMEOUT = 30.0  # how long a stop waits for the service's shutdown before killing it


class State(NamedTuple):
    running: bool
    pid: int | None  # the service's (running), or the one that ended without a shutdown
    since: float | None  # when it started (running)

    @property
    def crashed(self) -> bool:
        """Down without a shutdown: the service died while the instance was up."""
        return not self.running and self.pid is not None


def state(instance: Instance) -> State:
    mgr = instance.layout.mgr
    if instance_lock.is_held(mgr):
        since = instance.store.get("started")
        return State(True, instance_lock.recorded_pid(mgr), float(since) if since else None)
    if instance.store.get("status") == "up":
        return State(False, instance_lock.recorded_pid(mgr) or 0, None)
    return State(False, None, None)


def down_reason(instance: Instance) -> str:
    """Why a session cannot attach to an instance that is not running, with what to do."""
    now = state(instance)
    name = instance.name
    why = f"instance {name} is down"
    if now.crashed:
        why += f" (its process {now.pid} ended without a shutdown)"
    return f"{why}; start it with: cacheshell control start {name}"


def create(
    layout: InstanceLayout, evaluation: bool = False, key_text: str | None = None
) -> tuple[Instance, list[str]]:
    """Create an instance and start it, as installing Caché does."""
    with owner_only():
        layout.ensure()
        return _create_holding(layout, _take(layout), evaluation, key_text)


def _create_holding(
    layout: InstanceLayout,
    fd: int,
    evaluation: bool = False,
    key_text: str | None = None,
    await_service: bool = True,
) -> tuple[Instance, list[str]]:
    """Create the instance while holding its lock (`fd`), then start it with that lock."""
    try:
        instance = Instance.create(layout, evaluation=evaluation, key_text=key_text)
    except BaseException:
        os.close(fd)
        raise
    return instance, _start_holding(instance, fd, await_service)


def open_running(layout: InstanceLayout, create_default: bool = False) -> Instance:
    """The running instance a session attaches to. The embedded default is created (and so
    started) on first use; when several processes race to do it, one does and the others wait
    for it. Only an instance with nothing in mgr/ is created: one that lost a file (its cache.cpf,
    its cache.db) is repaired, its key and globals untouched."""
    if not _created(layout) and _fresh(layout):
        if not create_default:
            raise InstanceError(f"no instance named {layout.name} in {layout.home}")
        with owner_only():
            layout.ensure()
            fd = instance_lock.take(layout.mgr)
            if fd is None:
                _wait_created(layout)
            elif _fresh(layout):
                # The session goes on while the new service boots: a service that dies at
                # once leaves the instance down, which the session's next command tells.
                _create_holding(layout, fd, await_service=False)[0].store.close()
            else:  # another process created it meanwhile
                os.close(fd)
    with owner_only():
        instance = Instance(layout)
        try:
            instance.restore_configuration()
            tighten(layout.directory)
        except BaseException:
            instance.store.close()
            raise
    if not instance.is_up:
        reason = down_reason(instance)
        instance.store.close()
        raise InstanceError(reason)
    return instance


def start(instance: Instance) -> list[str]:
    """Start the instance: take its lock, reset its license table from its key, return to the
    wall clock, and hand the lock to a new service process. The start's messages."""
    return _start_holding(instance, _take(instance.layout))


def _take(layout: InstanceLayout) -> int:
    fd = instance_lock.take(layout.mgr)
    if fd is None:
        raise InstanceError(f"instance {layout.name} is already running")
    return fd


def _created(layout: InstanceLayout) -> bool:
    return (layout.mgr / CPF_FILE).is_file() and (layout.mgr / DATABASE_NAME).is_file()


def _fresh(layout: InstanceLayout) -> bool:
    """No instance there yet: no mgr/, or one holding only the lock a creation takes."""
    if not layout.mgr.is_dir():
        return True
    return all(
        entry.name == instance_lock.LOCK_FILE or entry.name.startswith(".")
        for entry in layout.mgr.iterdir()
    )


def _wait_created(layout: InstanceLayout, timeout: float = STOP_TIMEOUT) -> None:
    """Another process is creating the instance: wait until it runs (or gives up). The PID in
    the new lock file is written once the start is done."""
    if not wait_until(
        lambda: (
            instance_lock.recorded_pid(layout.mgr) is not None and instance_lock.is_held(layout.mgr)
        ),
        timeout,
    ):
        raise InstanceError(f"instance {layout.name} did not come up in {timeout:g} s")


def _start_holding(instance: Instance, fd: int, await_service: bool = True) -> list[str]:
    from cacheshell.system.spawn import spawn_detached  # subprocess: only to start one

    mgr = instance.layout.mgr
    try:
        with owner_only():
            instance.restore_configuration()
        tighten(instance.layout.directory)
        if instance.store.get("status") == "up":
            pid = instance_lock.recorded_pid(mgr)
            instance.log.write(
                f"Instance {instance.name} was not shut down: its process "
                f"{pid if pid is not None else '(unknown)'} ended without a shutdown; "
                "the license table starts again from the key",
                WARNING,
            )
        directory = instance.layout.directory.resolve()
        instance.clock.use_wall_clock()
        messages = instance.start()
        pid = spawn_detached(
            [sys.executable, "-m", SERVICE_MODULE, "--lock-fd", str(fd), str(directory)],
            cwd=mgr,
            output=mgr / LOG_FILE,
            keep_fds=(fd,),
            env_extra={"CACHESHELL_HOME": str(instance.layout.home)},
        )
        instance_lock.record_pid(fd, pid)
        system_processes.register(instance.table, pid)
    except BaseException:
        _stop_quietly(instance)  # nothing runs it: down, not "up" without a service
        os.close(fd)
        raise
    os.close(fd)  # from here the service alone holds the lock
    if await_service:
        _await_service(instance, pid)
    return messages


def _stop_quietly(instance: Instance) -> None:
    """Mark the instance down after a failed start; a store that cannot take it (the reason the
    start failed, perhaps) is left as it is: the lock says it is down anyway."""
    try:
        instance.stop()
    except (OSError, sqlite3.Error):
        pass


def _await_service(instance: Instance, pid: int, timeout: float = STOP_TIMEOUT) -> None:
    """Wait until the new service runs (it says so in the store) or has ended; one that ended
    is a failed start, with the reason it left in the console log."""
    mgr = instance.layout.mgr

    def settled() -> bool:
        return not instance_lock.is_held(mgr) or _service_pid(instance) == pid

    wait_until(settled, timeout)
    if instance_lock.is_held(mgr):
        return
    _stop_quietly(instance)
    last = next((line for line in reversed(instance.log.tail(5)) if "instance service" in line), "")
    why = last.split("cacheshell instance service: ", 1)[-1] if last else "see its console log"
    raise InstanceError(f"instance {instance.name} did not start: its service ended: {why}")


def _service_pid(instance: Instance) -> int | None:
    try:
        value = instance.store.get(SERVICE_PID)
    except sqlite3.Error:
        return None
    return int(value) if value is not None else None


def stop(instance: Instance) -> None:
    """Stop the service (SIGTERM: it signs off and ends every license) and wait for it; one that
    does not end in STOP_TIMEOUT is killed. An instance left up by a crash is cleared here."""
    mgr = instance.layout.mgr
    now = state(instance)
    if not now.running and not now.crashed:
        raise InstanceError(f"instance {instance.name} is not running")
    # The shutdown writes the store: when a process holds it, say so now (StoreBusy names it)
    # rather than leave the service half shut down.
    with instance.store.transaction():
        pass
    pid = now.pid
    if now.running and (pid is None or not is_service(pid, instance.layout)):
        pid = _service_pid(instance)  # the lock file lost the PID: the service said it too
    if now.running and pid is not None and is_service(pid, instance.layout):
        _end_service(pid, mgr, instance)
    if instance_lock.is_held(mgr):
        raise InstanceError(f"instance {instance.name} did not stop: its lock is still held")
    if instance.store.get("status") == "up":  # the service ended before its shutdown
        instance.stop()


def stop_all(home: Path) -> None:
    """Stop every running instance of a home (what a test run or a benchmark started)."""
    if not home.is_dir():
        return
    for entry in home.iterdir():
        layout = InstanceLayout(home, entry.name)
        if not layout.exists() or not instance_lock.is_held(layout.mgr):
            continue
        instance = Instance(layout)
        try:
            stop(instance)
        finally:
            instance.store.close()


def _end_service(pid: int, mgr: Path, instance: Instance) -> None:
    """SIGTERM the service and wait for its lock to go (SIGKILL after STOP_TIMEOUT), then for
    its exit to finish: the lock goes a moment before the process does."""

    def lock_free() -> bool:
        return not instance_lock.is_held(mgr)

    _signal(pid, signal.SIGTERM)
    if not wait_until(lock_free, STOP_TIMEOUT):
        instance.log.write(
            f"Instance service {pid} did not shut down in {STOP_TIMEOUT:g} s: killed", WARNING
        )
        _signal(pid, signal.SIGKILL)
        wait_until(lock_free, STOP_TIMEOUT)
    wait_until(lambda: ended(pid), STOP_TIMEOUT)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
