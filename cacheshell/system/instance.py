"""A Caché instance on disk: its manager directory, configuration, key, console log and the shared
store that holds its license table.

The active key is kept in the store, so every process attached to the instance agrees on it; the
key file in mgr/ is only read at start and by Upgrade().
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from cacheshell.system import instance_files, instance_lock, soft_state
from cacheshell.system.clock import InstanceClock
from cacheshell.system.console import WARNING, ConsoleLog
from cacheshell.system.cpf import CPF_FILE as CPF_FILE  # where the others look for it
from cacheshell.system.cpf import Cpf
from cacheshell.system.files import remove_stale_temporaries, write_atomically
from cacheshell.system.layout import InstanceLayout

if TYPE_CHECKING:
    from cacheshell.system.keys import Comparison, KeyCheck, LicenseKey
    from cacheshell.system.license_table import LicenseTable
    from cacheshell.system.locks import LockTable

# What a session's start needs is imported above. The key's modules (keys, authkey, signing and
# its cryptography), the configuration's and the applications' are imported by the methods that
# use them: a start, an activation, a key check.

KEY_FILE = "cache.key"
# The training key minted at creation, kept (owner-only) so that it can be activated again.
TRAINING_KEY_FILE = "training.key"
# The key an activation replaced, kept so that the administrator can go back to it.
PREVIOUS_KEY_FILE = "cache.key.previous"
# Store state set by the license monitor once it has made its first cycle since the start.
MONITOR_READY = "monitor_ready"
# Store state set by the instance's service once it runs: the start waits for it.
SERVICE_PID = "service_pid"
LOG_FILE = "cconsole.log"
MISSING_KEY = "License missing or unreadable"
# A non-evaluation instance without a valid key lets this many users in: enough to fix it.
NO_KEY_UNITS = 1


class InstanceError(Exception):
    """The instance cannot do what was asked (it does not exist, or it is down)."""


class Activation(NamedTuple):
    current: LicenseKey | None
    new: LicenseKey
    check: KeyCheck
    comparison: Comparison | None
    result: str  # what Upgrade() returned: "1" or "0|reason"


class Instance:
    def __init__(self, layout: InstanceLayout, recover: bool = False) -> None:
        """`recover`: the caller holds the instance lock (a start, the service), so a damaged
        cache.db may be moved aside and rebuilt (soft_state.py)."""
        if not layout.exists():
            raise InstanceError(f"no instance named {layout.name} in {layout.home}")
        self.layout = layout
        self.store, rebuilt = soft_state.open_store(layout.mgr, recover)
        self.clock = InstanceClock(self.store)
        self.log = ConsoleLog(layout.mgr / LOG_FILE, self.clock.now)
        if rebuilt:
            self.log.write(rebuilt, WARNING)
        if self.store.get("identity") is None:
            self.renew_store()

    # Made on first use: a stop, a listing or a log reads the store without the license table's
    # and the locks' modules.
    @cached_property
    def table(self) -> LicenseTable:
        from cacheshell.system.license_table import LicenseTable

        return LicenseTable(self.store, self.clock.now)

    @cached_property
    def locks(self) -> LockTable:
        from cacheshell.system.locks import LockTable

        return LockTable(self.store)

    def renew_store(self) -> None:
        """A store made afresh (the instance's first, or one rebuilt after it was lost): down,
        with a new identity. An instance made without a training key is an evaluation one."""
        import secrets

        mgr = self.layout.mgr
        evaluation = not (mgr / TRAINING_KEY_FILE).exists() and not self.key_path.exists()
        with self.store.transaction():
            if self.store.get("identity") is not None:  # another process did it meanwhile
                return
            self.store.put("evaluation", int(evaluation))
            self.store.put("status", "down")
            # Tells this instance from any other of its name on the host, to license servers.
            self.store.put("identity", secrets.token_hex(8))

    def restore_configuration(self) -> None:
        """A missing cache.cpf is made again, alone, with Caché's defaults; nothing else (the
        key, the globals, the license table) is touched."""
        path = self.layout.mgr / CPF_FILE
        if path.exists():
            return
        from cacheshell.system import server_config, web_config

        try:
            servers = server_config.default_section()
        except server_config.ServerConfigError as exc:
            raise InstanceError(str(exc)) from None
        kept = self.store.get(web_config.WEB_PORT)  # a running portal keeps its port
        with instance_files.writing(path):
            web_config.assign(
                Cpf.create(path, servers),
                self.layout.home,
                self.layout.directory,
                kept if isinstance(kept, int) else None,
            )
        self.log.write(f"{CPF_FILE} was missing: recreated with the default configuration", WARNING)

    @property
    def name(self) -> str:
        return self.layout.name

    @property
    def key_path(self) -> Path:
        return self.layout.mgr / KEY_FILE

    def cpf(self) -> Cpf:
        return Cpf(self.layout.mgr / CPF_FILE)

    # -- creating, starting, stopping ----------------------------------------------------------
    @classmethod
    def create(
        cls, layout: InstanceLayout, evaluation: bool = False, key_text: str | None = None
    ) -> Instance:
        """Lay out a new instance. Without a key it gets a training key minted for it, unless it
        is an evaluation instance, which needs none."""
        from cacheshell.system import authkey, keys, server_config, signing, web_config
        from cacheshell.system.keyfile import render_key_file

        try:
            servers = server_config.default_section()
        except server_config.ServerConfigError as exc:
            raise InstanceError(str(exc)) from None
        layout.ensure()
        web_config.assign(Cpf.create(layout.mgr / CPF_FILE, servers), layout.home, layout.directory)
        if key_text is None and not evaluation:
            key = keys.issue_from_spec(
                keys.training_key_spec(),
                signing.training_private_key(),
                authkey.current_platform_code(),
            )
            key_text = render_key_file(key.file)
            write_atomically(layout.mgr / TRAINING_KEY_FILE, key_text)
        if key_text is not None:
            write_atomically(layout.mgr / KEY_FILE, key_text)
        instance = cls(layout)
        with instance.store.transaction():
            instance.store.put("evaluation", int(evaluation))
        instance.log.write(f"Instance {layout.name} created in {layout.directory}")
        return instance

    @property
    def evaluation(self) -> bool:
        return bool(self.store.get("evaluation", 0))

    @property
    def is_up(self) -> bool:
        """Running: its service process holds the instance lock (lifecycle.py starts it)."""
        return instance_lock.is_held(self.layout.mgr)

    def start(self) -> list[str]:
        """Start: read the key in mgr/, size the license table, clear what a previous run left."""
        import secrets

        from cacheshell.system import system_processes

        messages: list[str] = []
        with self.store.transaction():
            db = self.store.db
            # Shared memory starts empty: processes, sessions and loaded application licenses.
            for table in (
                "processes",
                "entries",
                "csp_sessions",
                "app_taken",
                "app_licenses",
                "locks",
            ):
                db.execute(f"DELETE FROM {table}")
            for name in (
                "consumed",
                "max_consumed",
                "max_connections",
                "max_csp",
                "max_users",
                "max_grace",
                "max_public_web",
                "public_web_sessions",
                "max_processes",
                "alert_low",
                "limit_exceeded",
                "diagnostic_pid",
                SERVICE_PID,
                "nak",
                "active_server",
                "server_status",
                "monitor_dirty",
                MONITOR_READY,
            ):
                self.store.put(name, None)
            # A new boot for the license servers: its sequence numbers start again.
            self.store.put("monitor_boot", secrets.token_hex(8))
            self.store.put("monitor_seq", 0)
            self.store.put("consumed", 0)
            messages += self._load_key_at_start()
            self._load_protected_applications()
            self.store.put("min_available", self.table.limits().capacity)
            self.store.put("status", "up")
            self.store.put("started", self.clock.now())
            # A restart under a running service (Training.World's): its System rows come back.
            system_processes.register_running_service(self.table, self.layout)
        for message in messages:
            self.log.write(message)
        # What writes a crash interrupted left (the key, the cpf, routines, server dumps).
        remove_stale_temporaries(self.layout.mgr, recursive=True)
        self.log.write(f"Instance {self.name} started")
        return messages

    def _load_protected_applications(self) -> None:
        """The application sections of the active key, protected by its signature."""
        from cacheshell.system.appfile import AppLicense
        from cacheshell.system.applications import Applications

        key = self.active_key()
        if key is None:
            return
        applications = Applications(self.store, self.clock.now)
        for name, items in key.file.app_sections:
            applications.load(AppLicense(name, tuple(items)), protected=True)

    def stop(self) -> None:
        """Shut down: every process and CSP session ends, every unit returns."""
        with self.store.transaction():
            db = self.store.db
            for table in ("processes", "entries", "csp_sessions", "locks"):
                db.execute(f"DELETE FROM {table}")
            self.store.put("consumed", 0)
            self.store.put("diagnostic_pid", None)
            self.store.put("nak", None)
            self.store.put("active_server", None)
            self.store.put("status", "down")
        self.log.write(f"Instance {self.name} shut down")

    def _load_key_at_start(self) -> list[str]:
        from cacheshell.system import keys
        from cacheshell.system.keyfile import KeyFileError

        if self.evaluation and not self.key_path.exists():
            self._set_active(None, f"Evaluation instance: {keys.EVALUATION_UNITS} license units")
            self.store.put("capacity", keys.EVALUATION_UNITS)
            return [f"Evaluation instance: capacity {keys.EVALUATION_UNITS} license units"]
        try:
            key = keys.load_key(self.key_path)
        except KeyFileError as exc:
            return self._no_key(MISSING_KEY if not self.key_path.exists() else str(exc))
        check = self.check(key)
        if not check.valid:
            return self._no_key(check.reason)
        self._set_active(key, "")
        self.store.put("capacity", key.units)
        found = [
            f"License key {KEY_FILE} activated: {key.units} license units "
            f"({key.license_type}, {key.server} server)"
        ]
        if check.status == "Troubled":
            found.append(check.reason)
        return found

    def _no_key(self, reason: str) -> list[str]:
        from cacheshell.system import keys

        self._set_active(None, reason)
        units = keys.EVALUATION_UNITS if self.evaluation else NO_KEY_UNITS
        self.store.put("capacity", units)
        return [f"No valid license key: {reason}; {units} user may log in"]

    def _set_active(self, key: LicenseKey | None, reason: str) -> None:
        from cacheshell.system.keyfile import render_key_file

        self.store.put("active_key", render_key_file(key.file) if key is not None else None)
        self.store.put("key_reason", reason)

    # -- the low-availability alert (%Monitor.System.License.SetAlert) -------------------------
    def check_alert(self) -> str:
        """After a login or logout: the alert message when available units have just fallen
        below the SetAlert minimum, else "". It fires once per crossing and re-arms when
        availability is back at the minimum or above."""
        with self.store.transaction():
            minimum = int(self.store.get("alert_minimum", 0))
            available = self.table.limits().capacity - self.table.consumed()
            low = minimum > 0 and available < minimum
            fired = low and not self.store.get("alert_low", 0)
            self.store.put("alert_low", int(low))
        if not fired:
            return ""
        message = f"Available licenses have fallen below minimum of {minimum}"
        self.log.write(message, WARNING)
        return message

    # -- the active key ------------------------------------------------------------------------
    def active_key(self) -> LicenseKey | None:
        text = self.store.get("active_key")
        if not text:
            return None
        from cacheshell.system import keys

        return keys.read_key(text)

    def key_reason(self) -> str:
        """Why there is no valid active key ("" when there is one)."""
        return str(self.store.get("key_reason") or "")

    def today(self) -> date:
        return datetime.fromtimestamp(self.clock.now()).date()

    def check(self, key: LicenseKey) -> KeyCheck:
        from cacheshell.system import authkey, keys, signing  # signing: cryptography

        return keys.check_key(
            key,
            signing.trusted_public_keys(self.layout.home),
            authkey.current_platform_code(),
            self.today(),
        )

    def key_status(self) -> KeyCheck:
        from cacheshell.system.keys import KeyCheck

        key = self.active_key()
        if key is None:
            if self.evaluation:
                return KeyCheck(True, "Valid", "")
            return KeyCheck(False, "Invalid", self.key_reason() or MISSING_KEY)
        return self.check(key)

    def is_pending_activation(self) -> bool:
        """The key file in mgr/ is valid but is not the active key."""
        from cacheshell.system import keys
        from cacheshell.system.keyfile import KeyFileError

        try:
            on_disk = keys.load_key(self.key_path)
        except KeyFileError:
            return False
        active = self.active_key()
        if active is not None and active.file == on_disk.file:
            return False
        return self.check(on_disk).valid

    # -- activation ----------------------------------------------------------------------------
    @property
    def previous_key_path(self) -> Path:
        return self.layout.mgr / PREVIOUS_KEY_FILE

    def keep_previous_key(self, new: LicenseKey) -> None:
        """Before `new` replaces the active key: keep the active key (or, with none active, the
        key file in mgr/) as cache.key.previous, and say in the console log how to go back."""
        from cacheshell.system.keyfile import render_key_file

        current = self.active_key()
        if current is not None:
            if current.file == new.file:
                return
            text: str | bytes = render_key_file(current.file)
        else:
            try:
                text = self.key_path.read_bytes()
            except FileNotFoundError:
                return
            except OSError as exc:
                raise instance_files.from_os_error(exc, self.key_path, "read") from None
        with instance_files.writing(self.previous_key_path):
            write_atomically(self.previous_key_path, text)
        self.log.write(
            f"previous key kept as {self.previous_key_path}; to go back: "
            f"cacheshell key activate {self.previous_key_path}"
        )

    def upgrade(self, keep_previous: bool = True) -> str:
        """Upgrade(): make the key in mgr/ active now, or say why not ("0|reason"). The key it
        replaces is kept first (keep_previous_key) unless the caller kept it already."""
        from cacheshell.system import keys
        from cacheshell.system.applications import Applications
        from cacheshell.system.keyfile import KeyFileError

        try:
            new = keys.load_key(self.key_path)
        except KeyFileError as exc:
            return f"0|{exc}"
        check = self.check(new)
        if not check.valid:
            return f"0|{check.reason}"
        if keep_previous:
            self.keep_previous_key(new)
        with self.store.transaction():
            current = self.active_key()
            comparison = keys.compare_keys(current, new)
            if comparison.restart_required:
                reason = "; ".join(comparison.restart_reasons)
                self.log.write(
                    f"License key in mgr/ will take effect at restart: {reason}", WARNING
                )
                return f"0|{reason}"
            message = self._grow_table(current, new)
            self._set_active(new, "")
            Applications(self.store, self.clock.now).drop_protected()
            self._load_protected_applications()
            if message:
                self.log.write(message, WARNING)
            else:
                self.store.put("capacity", new.units)
        self.log.write(
            f"License key activated: {new.units} license units "
            f"({new.license_type}, {new.server} server)"
        )
        return "1"

    def _grow_table(self, current: LicenseKey | None, new: LicenseKey) -> str:
        """The table grows into gmheap; when gmheap cannot hold the new pages it keeps its size."""
        from cacheshell.system import keys, settings

        old_units = current.units if current is not None else int(self.store.get("capacity", 0))
        needed = (keys.table_pages(new.units) - keys.table_pages(old_units)) * 64
        heap = settings.gmheap(self.cpf())
        if heap.problem:
            self.log.write(heap.problem, WARNING)
        heap_kb = heap.value
        if needed > 0 and needed > heap_kb:
            return (
                f"Insufficient gmheap space for the license upgrade: {needed} KB needed, "
                f"gmheap is {heap_kb} KB; the license table keeps {old_units} entries"
            )
        return ""

    def activate(self, source: Path) -> Activation:
        """Activate a key file from anywhere: check it, copy it into mgr/ as cache.key through a
        temporary file and a rename, then Upgrade(). An invalid key is never copied."""
        from cacheshell.system import keys
        from cacheshell.system.bounded import KEY_FILE_BYTES, read_text_bounded

        new = keys.load_key(source)
        check = self.check(new)
        current = self.active_key()
        if not check.valid:
            return Activation(current, new, check, None, f"0|{check.reason}")
        comparison = keys.compare_keys(current, new)
        text = read_text_bounded(source, KEY_FILE_BYTES, "key file")
        self.keep_previous_key(new)
        with instance_files.writing(self.key_path):
            write_atomically(self.key_path, text)
        return Activation(current, new, check, comparison, self.upgrade(keep_previous=False))
