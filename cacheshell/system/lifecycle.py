"""An instance's life as ccontrol sees it: created, started (its service process runs and holds
the instance lock), stopped, restarted; and what `control list` says of it.

Running means the lock is held, never a PID file alone. An instance whose store still says "up"
while the lock is free lost its service without a shutdown (a crash, SIGKILL): it is down, and
the next start says so in the console log and clears what it left.
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from cacheshell.system import instance_lock
from cacheshell.system.console import WARNING
from cacheshell.system.instance import CPF_FILE, LOG_FILE, Instance, InstanceError
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.processes import command_words, ended, wait_until
from cacheshell.system.spawn import spawn_detached
from cacheshell.system.store import DATABASE_NAME

SERVICE_MODULE = "cacheshell.system.service"
STOP_TIMEOUT = 30.0  # how long a stop waits for the service's shutdown before killing it


@dataclass(frozen=True)
class State:
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
    layout.ensure()
    return _create_holding(layout, _take(layout), evaluation, key_text)


def _create_holding(
    layout: InstanceLayout, fd: int, evaluation: bool = False, key_text: str | None = None
) -> tuple[Instance, list[str]]:
    """Create the instance while holding its lock (`fd`), then start it with that lock."""
    try:
        instance = Instance.create(layout, evaluation=evaluation, key_text=key_text)
    except BaseException:
        os.close(fd)
        raise
    return instance, _start_holding(instance, fd)


def open_running(layout: InstanceLayout, create_default: bool = False) -> Instance:
    """The running instance a session attaches to. The embedded default is created (and so
    started) on first use; when several processes race to do it, one does and the others wait
    for it."""
    if not _created(layout):
        if not create_default:
            raise InstanceError(f"no instance named {layout.name} in {layout.home}")
        layout.ensure()
        fd = instance_lock.take(layout.mgr)
        if fd is not None and not _created(layout):
            _create_holding(layout, fd)[0].store.close()
        elif fd is not None:
            os.close(fd)
        _wait_created(layout)
    instance = Instance(layout)
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


def _start_holding(instance: Instance, fd: int) -> list[str]:
    mgr = instance.layout.mgr
    try:
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
    except BaseException:
        instance.stop()  # nothing runs it: down, not "up" without a service
        raise
    finally:
        os.close(fd)  # from here the service alone holds the lock
    return messages


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
    if now.running and now.pid is not None and _is_service(now.pid, instance.layout):
        _end_service(now.pid, mgr, instance)
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


def _is_service(pid: int, layout: InstanceLayout) -> bool:
    """Whether `pid` is this instance's service (a recorded PID may have been reused)."""
    words = command_words(pid)
    return SERVICE_MODULE.encode() in words and str(layout.directory.resolve()).encode() in words


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass
