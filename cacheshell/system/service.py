"""The instance's service process: what keeps an instance running while nobody is logged in.

`control start` (lifecycle.start) starts one per instance, detached, handing it the instance
lock. It owns the instance's duties, so no session ever does them:
- the license monitor: updates to the active license server every period, ACK/NAK, failover,
  and the start and supervision of the configured license servers of this host;
- time-based rules on the instance clock: CSP sessions past their timeout end, grace periods
  run out, and the entries of processes that died without a word are released;
- the open transactions of processes that died are rolled back in the global databases.
On SIGTERM (`control stop`) it shuts the instance down: it signs off from the license server,
stops the servers it started that serve nobody else, ends every process's license, and exits,
which frees the lock. Its output goes to cconsole.log.

Its process is frontends/instance_process.py, which adds the Management Portal's web server:
`python -m cacheshell.frontends.instance_process --lock-fd FD INSTANCE_DIRECTORY`.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cacheshell.system import instance_lock, server_config, soft_state
from cacheshell.system.console import WARNING
from cacheshell.system.instance import SERVICE_PID, Instance, InstanceError
from cacheshell.system.instance_files import UMASK, describe, is_corrupt
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.namespaces import DATABASE_FILE
from cacheshell.system.ordered_store import OrderedStore
from cacheshell.system.store import DATABASE_NAME

if TYPE_CHECKING:
    from cacheshell.system.monitor import Monitor

Extras = Callable[["InstanceService"], Callable[[], None]]
RECLAIM_EVERY = 1.0  # seconds between looks for processes that died without a word


class InstanceService:
    monitor: Monitor  # made by run(), once the start's wait is over

    def __init__(self, layout: InstanceLayout, lock_fd: int) -> None:
        self.lock_fd = lock_fd
        # The service holds the instance lock: a damaged cache.db may be rebuilt here.
        self.instance = Instance(layout, recover=True)
        self.stopping = threading.Event()
        self._last_reclaim = 0.0
        self._last_fault = ""
        self._database_faults: dict[Path, str] = {}  # what the log last said of each
        # What the process adds beside the service (the portal), stopped before the instance is.
        self.on_stop: list[Callable[[], None]] = []

    def request_stop(self, *_: object) -> None:
        self.stopping.set()

    def run(self) -> None:
        log = self.instance.log
        log.write(f"Instance service started (pid {os.getpid()})")
        for problem in server_config.problems(self.instance.cpf()):
            log.write(problem, WARNING)
        with self.instance.store.transaction():
            self.instance.store.put(SERVICE_PID, os.getpid())  # lifecycle.start waits for it
        # The monitor and its license-server client (cryptography's ciphers) load after the
        # start's wait has ended: its first cycle follows at once, and the reports wait for it.
        from cacheshell.system.monitor import Monitor

        self.monitor = Monitor(self.instance)
        while not self.stopping.is_set():
            if not self.instance.layout.mgr.is_dir():
                self.vanish()  # its directory was deleted: nothing left to run
                return
            if not self._keep_lock():
                self.vanish(sign_off=False)  # another service runs the instance now
                return
            try:
                self._repair()
            except (sqlite3.Error, OSError, InstanceError) as exc:
                self._report_fault(exc)
            self.tick()
            self.stopping.wait(self.monitor.pause())
        self.shutdown()

    def tick(self) -> None:
        """One look at the instance: expiry, reclamation, then the monitor."""
        try:
            self._expire()
        except (sqlite3.Error, OSError) as exc:
            self._report_fault(exc)
            if is_corrupt(exc) and getattr(exc, "path", None) == self.instance.store.path:
                self._rebuild_store(str(getattr(exc, "reason", exc)))
        self.monitor.step()

    def _keep_lock(self) -> bool:
        """Take the lock again when cache.lck was deleted or replaced under this service, so
        that a start never runs a second service beside it; False when another process
        already holds the new file's lock (this service then ends, touching nothing)."""
        mgr = self.instance.layout.mgr
        try:
            if instance_lock.still_names(mgr, self.lock_fd):
                return True
            fd = instance_lock.take(mgr)
        except OSError as exc:
            self._report_fault(exc)
            return True  # the lock held is still held: try again next time
        log = self.instance.log
        if fd is None:
            log.write(
                f"{instance_lock.LOCK_FILE} was replaced and another process holds it: "
                f"this instance service (pid {os.getpid()}) ends",
                WARNING,
            )
            return False
        instance_lock.record_pid(fd, os.getpid())
        os.close(self.lock_fd)
        self.lock_fd = fd
        log.write(f"{instance_lock.LOCK_FILE} was missing or replaced: made again", WARNING)
        return True

    def _repair(self) -> None:
        """Put back what an administrator's mistake took away while the instance runs: a
        deleted cache.cpf (recreated alone, with defaults) or cache.db (rebuilt from the key)."""
        self.instance.restore_configuration()
        if not self.instance.store.path.exists():
            self._rebuild_store("it was missing")

    def _rebuild_store(self, why: str) -> None:
        """cache.db is soft state: move a damaged one aside, start an empty one again from the
        key, as at a start. Sessions attached before lose their entries with the old file."""
        store = self.instance.store
        store.close()
        where = ""
        if store.path.exists():
            where = f": moved aside as {soft_state.move_aside(self.instance.layout.mgr)}"
        store.reopen()
        self.instance.log.write(
            f"{DATABASE_NAME} could not be used ({why}){where}; rebuilt empty, the license "
            "table starts again from the key",
            WARNING,
        )
        self.instance.renew_store()
        self.instance.start()
        with store.transaction():
            store.put(SERVICE_PID, os.getpid())

    def _expire(self) -> None:
        table = self.instance.table
        if self.instance.store.get("status") != "up":
            return
        if table.expiry_due():  # a read: the write lock only when there is work
            table.expire_sessions()
        now = time.monotonic()
        if now - self._last_reclaim >= RECLAIM_EVERY:
            self._last_reclaim = now
            table.reclaim_dead()
            self._roll_back_dead_transactions()

    def _roll_back_dead_transactions(self) -> None:
        """Undo what processes that died inside a transaction left in the global databases:
        opening one does (OrderedStore's recovery). Each is closed again at once: a connection
        held open would keep the last session to leave from folding the write-ahead log back
        into CACHE.DAT, so a copy of the file (a backup) would miss the latest SETs, and a
        backup copied over it would be read with the log's pages on top. A damaged database is
        named in the log once, and the others are still looked after."""
        for path in sorted(self.instance.layout.mgr.glob(f"*/{DATABASE_FILE}")):
            try:
                OrderedStore(path).close()
            except (sqlite3.Error, OSError) as exc:
                text = f"Instance service: {describe(exc)}"
                if self._database_faults.get(path) != text:
                    self._database_faults[path] = text
                    self.instance.log.write(text, WARNING)
            else:
                self._database_faults.pop(path, None)

    def _report_fault(self, exc: Exception) -> None:
        text = f"Instance service: {describe(exc)}"
        if text != self._last_fault:
            self._last_fault = text
            self.instance.log.write(text, WARNING)

    def _stop_extras(self) -> None:
        while self.on_stop:
            self.on_stop.pop()()

    def vanish(self, sign_off: bool = True) -> None:
        """The instance's files are gone, or another service runs it: end, writing nothing
        (signing off from the servers only when no other service speaks for the instance)."""
        self._stop_extras()
        if sign_off:
            try:
                self.monitor.sign_off()
            except (sqlite3.Error, OSError):
                pass  # the store went with the files
        self.monitor.close()
        self.instance.store.close()

    def shutdown(self) -> None:
        """Sign off from the license servers, then end every process's license."""
        self._stop_extras()
        try:
            self.monitor.sign_off()
        except (sqlite3.Error, OSError) as exc:
            self._report_fault(exc)
        self.monitor.close()
        try:
            self.instance.stop()
        except sqlite3.Error as exc:  # `control stop` finishes it once the store is free
            self._report_fault(exc)
        self.instance.store.close()


def main(argv: list[str] | None = None, extras: Extras | None = None) -> int:
    """Run the service of the instance in a directory; `extras` starts what the process adds
    beside it and returns how to stop that."""
    parser = argparse.ArgumentParser(prog="python -m cacheshell.frontends.instance_process")
    parser.add_argument("--lock-fd", type=int, required=True, help="the held instance lock")
    parser.add_argument("directory", type=Path, help="the instance's directory")
    args = parser.parse_args(argv)
    layout = InstanceLayout(args.directory.parent, args.directory.name)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # no terminal to lose
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C at the terminal that started it
    os.umask(os.umask(UMASK) | UMASK)  # what it creates in mgr/ is owner-only
    try:
        service = InstanceService(layout, args.lock_fd)
        signal.signal(signal.SIGTERM, service.request_stop)
        if extras is not None:
            service.on_stop.append(extras(service))
        service.run()
    except (InstanceError, sqlite3.Error, OSError, UnicodeError) as exc:
        # Its output is the console log (or nowhere, when that cannot be written): say why.
        print(f"cacheshell instance service: cannot run {layout.directory}: {exc}", flush=True)
        return 1
    return 0  # the lock (args.lock_fd) goes with the process
