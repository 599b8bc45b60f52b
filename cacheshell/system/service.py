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

Run as `python -m cacheshell.system.service --lock-fd FD INSTANCE_DIRECTORY`.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

from cacheshell.system import server_config
from cacheshell.system.console import WARNING
from cacheshell.system.instance import CPF_FILE, Instance, InstanceError
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.monitor import Monitor
from cacheshell.system.namespaces import DATABASE_FILE
from cacheshell.system.ordered_store import OrderedStore

RECLAIM_EVERY = 1.0  # seconds between looks for processes that died without a word


class InstanceService:
    def __init__(self, layout: InstanceLayout) -> None:
        self.instance = Instance(layout)
        self.monitor = Monitor(self.instance)
        self.stopping = threading.Event()
        self._last_reclaim = 0.0
        self._last_fault = ""
        self._databases: dict[Path, OrderedStore] = {}

    def request_stop(self, *_: object) -> None:
        self.stopping.set()

    def run(self) -> None:
        log = self.instance.log
        log.write(f"Instance service started (pid {os.getpid()})")
        for problem in server_config.problems(self.instance.cpf()):
            log.write(problem, WARNING)
        while not self.stopping.is_set():
            if not (self.instance.layout.mgr / CPF_FILE).is_file():
                self.vanish()  # its directory was deleted: nothing left to run
                return
            self.tick()
            self.stopping.wait(self.monitor.pause())
        self.shutdown()

    def tick(self) -> None:
        """One look at the instance: expiry, reclamation, then the monitor."""
        try:
            self._expire()
        except (sqlite3.Error, OSError) as exc:
            self._report_fault(exc)
        self.monitor.step()

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
        """Undo what processes that died inside a transaction left in the global databases."""
        for path in sorted(self.instance.layout.mgr.glob(f"*/{DATABASE_FILE}")):
            database = self._databases.get(path)
            if database is None:
                database = self._databases[path] = OrderedStore(path)
            database.recover()

    def _close_databases(self) -> None:
        for database in self._databases.values():
            database.close()
        self._databases.clear()

    def _report_fault(self, exc: Exception) -> None:
        text = f"Instance service: {type(exc).__name__}: {exc}"
        if text != self._last_fault:
            self._last_fault = text
            self.instance.log.write(text, WARNING)

    def vanish(self) -> None:
        """The instance's files are gone: sign off from the servers and end, writing nothing."""
        try:
            self.monitor.sign_off()
        except (sqlite3.Error, OSError):
            pass  # the store went with the files
        self.monitor.close()
        self._close_databases()
        self.instance.store.close()

    def shutdown(self) -> None:
        """Sign off from the license servers, then end every process's license."""
        try:
            self.monitor.sign_off()
        except (sqlite3.Error, OSError) as exc:
            self._report_fault(exc)
        self.monitor.close()
        try:
            self.instance.stop()
        except sqlite3.Error as exc:  # `control stop` finishes it once the store is free
            self._report_fault(exc)
        self._close_databases()
        self.instance.store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cacheshell.system.service")
    parser.add_argument("--lock-fd", type=int, required=True, help="the held instance lock")
    parser.add_argument("directory", type=Path, help="the instance's directory")
    args = parser.parse_args(argv)
    layout = InstanceLayout(args.directory.parent, args.directory.name)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # no terminal to lose
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C at the terminal that started it
    try:
        service = InstanceService(layout)
    except (InstanceError, sqlite3.Error, OSError) as exc:
        print(f"cacheshell instance service: cannot open {layout.directory}: {exc}", flush=True)
        return 1
    signal.signal(signal.SIGTERM, service.request_stop)
    service.run()
    return 0  # the lock (args.lock_fd) goes with the process


if __name__ == "__main__":
    raise SystemExit(main())
