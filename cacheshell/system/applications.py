"""Application licenses held by an instance: protected sections of the active key and sections
loaded with LoadAppLicenseFile, with counted pools for their numeric values.

A unit taken belongs to a license user ID and to the process or CSP session that took it, and
returns when that process ends or that session ends. Loading an application again replaces its
values: units in use stay taken under keywords that remain (a smaller pool can be over-committed
until they return), and units of keywords that are gone are returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cacheshell.system.appfile import AppLicense, is_numeric
from cacheshell.system.events import EventKind
from cacheshell.system.store import Store

# Applications an instance can hold at once; one more is "cannot allocate" (return code 4).
MAX_APPLICATIONS = 64


class NotLoaded(Exception):
    """No application license of that name is loaded (an INVALID ARGUMENT error)."""


@dataclass(frozen=True)
class Pool:
    keyword: str
    value: str
    used: int
    min_free: int | None

    @property
    def numeric(self) -> bool:
        return is_numeric(self.value)

    @property
    def free(self) -> int:
        return int(self.value) - self.used if self.numeric else 0


def release_application_units(store: Store, holder: str, now: float) -> int:
    """Return every application unit a holder took, each with its return event; inside the
    caller's transaction."""
    db = store.db
    rows = db.execute(
        "SELECT app, keyword, license_id, count FROM app_taken WHERE holder=?", (holder,)
    ).fetchall()
    for app, keyword, license_id, count in rows:
        db.execute(
            "UPDATE app_licenses SET used=max(used-?, 0) WHERE app=? AND keyword=?",
            (count, app, keyword),
        )
        for _ in range(count):
            store.event(now, EventKind.APP_RETURN, license_id, None, f"{app},{keyword}")
    if rows:
        db.execute("DELETE FROM app_taken WHERE holder=?", (holder,))
    return sum(r[3] for r in rows)


def process_holder(pid: int) -> str:
    return f"pid:{pid}"


def session_holder(session_id: str) -> str:
    return f"csp:{session_id}"


class Applications:
    def __init__(self, store: Store, now: Callable[[], float]) -> None:
        self.store = store
        self.now = now

    # -- loading ---------------------------------------------------------------------------
    def load(self, app: AppLicense, protected: bool = False) -> bool:
        """Load or replace an application; False when the instance holds too many already."""
        with self.store.transaction():
            db = self.store.db
            known = {r[0] for r in db.execute("SELECT DISTINCT app FROM app_licenses")}
            if app.name not in known and len(known) >= MAX_APPLICATIONS:
                return False
            old = {p.keyword: p for p in self._pools(app.name)}
            keep = {k for k, _ in app.items}
            marks = ",".join("?" * len(keep))
            db.execute(
                f"DELETE FROM app_taken WHERE app=? AND keyword NOT IN ({marks})", (app.name, *keep)
            )
            db.execute("DELETE FROM app_licenses WHERE app=?", (app.name,))
            for pos, (keyword, value) in enumerate(app.items):
                used = old[keyword].used if keyword in old else 0
                low = int(value) - used if is_numeric(value) else None
                db.execute(
                    "INSERT INTO app_licenses VALUES(?, ?, ?, ?, ?, ?, ?)",
                    (app.name, keyword, value, pos, int(protected), used, low),
                )
            self.store.event(
                self.now(),
                EventKind.APP_LOAD,
                app.name,
                None,
                f"{len(app.items)} keywords" + (" (protected)" if protected else ""),
            )
            return True

    def drop_protected(self) -> None:
        """Forget the sections that came from a key (before loading a new key's)."""
        with self.store.transaction():
            apps = [
                r[0]
                for r in self.store.db.execute(
                    "SELECT DISTINCT app FROM app_licenses WHERE protected=1"
                )
            ]
            for app in apps:
                self.store.db.execute("DELETE FROM app_taken WHERE app=?", (app,))
                self.store.db.execute("DELETE FROM app_licenses WHERE app=?", (app,))

    # -- reading ---------------------------------------------------------------------------
    def names(self, protected: bool | None = None) -> list[str]:
        sql = "SELECT DISTINCT app FROM app_licenses"
        args: tuple[int, ...] = ()
        if protected is not None:
            sql += " WHERE protected=?"
            args = (int(protected),)
        return sorted(r[0] for r in self.store.db.execute(sql + " ORDER BY app", args))

    def is_loaded(self, app: str) -> bool:
        return (
            self.store.db.execute(
                "SELECT 1 FROM app_licenses WHERE app=? LIMIT 1", (app,)
            ).fetchone()
            is not None
        )

    def pools(self, app: str) -> list[Pool]:
        if not self.is_loaded(app):
            raise NotLoaded(app)
        return self._pools(app)

    def pool(self, app: str, keyword: str) -> Pool | None:
        return next((p for p in self.pools(app) if p.keyword == keyword), None)

    def _pools(self, app: str) -> list[Pool]:
        rows = self.store.db.execute(
            "SELECT keyword, value, used, min_free FROM app_licenses WHERE app=? ORDER BY pos",
            (app,),
        ).fetchall()
        return [Pool(*row) for row in rows]

    def taken_by(self, app: str) -> dict[str, list[tuple[str, int]]]:
        """license ID -> [(keyword, times taken)] for an application."""
        out: dict[str, list[tuple[str, int]]] = {}
        for keyword, license_id, count in self.store.db.execute(
            "SELECT keyword, license_id, sum(count) FROM app_taken WHERE app=? "
            "GROUP BY keyword, license_id ORDER BY license_id, keyword",
            (app,),
        ):
            out.setdefault(license_id, []).append((keyword, count))
        return out

    # -- taking and returning ----------------------------------------------------------------
    def take(self, app: str, keyword: str, license_id: str, holder: str) -> int:
        """Take one unit; the times this license ID now holds it, or 0 when none is free."""
        with self.store.transaction():
            pool = self.pool(app, keyword)
            if pool is None or not pool.numeric or pool.free <= 0:
                self.store.event(
                    self.now(), EventKind.APP_DENIED, license_id, None, f"{app},{keyword}"
                )
                return 0
            db = self.store.db
            db.execute(
                "UPDATE app_licenses SET used=used+1, min_free=min(coalesce(min_free, "
                "?), ?) WHERE app=? AND keyword=?",
                (pool.free - 1, pool.free - 1, app, keyword),
            )
            db.execute(
                "INSERT INTO app_taken VALUES(?, ?, ?, ?, 1) ON CONFLICT DO UPDATE "
                "SET count=count+1",
                (app, keyword, license_id, holder),
            )
            self.store.event(self.now(), EventKind.APP_TAKE, license_id, None, f"{app},{keyword}")
            return self._count(app, keyword, license_id)

    def give_back(self, app: str, keyword: str, license_id: str, holder: str) -> int:
        """Return one unit this holder took; 1 if one was returned, else 0."""
        with self.store.transaction():
            if not self.is_loaded(app):
                raise NotLoaded(app)
            db = self.store.db
            row = db.execute(
                "SELECT count FROM app_taken WHERE app=? AND keyword=? AND "
                "license_id=? AND holder=?",
                (app, keyword, license_id, holder),
            ).fetchone()
            if row is None:
                return 0
            if row[0] > 1:
                db.execute(
                    "UPDATE app_taken SET count=count-1 WHERE app=? AND keyword=? AND "
                    "license_id=? AND holder=?",
                    (app, keyword, license_id, holder),
                )
            else:
                db.execute(
                    "DELETE FROM app_taken WHERE app=? AND keyword=? AND license_id=? AND holder=?",
                    (app, keyword, license_id, holder),
                )
            db.execute(
                "UPDATE app_licenses SET used=max(used-1, 0) WHERE app=? AND keyword=?",
                (app, keyword),
            )
            self.store.event(self.now(), EventKind.APP_RETURN, license_id, None, f"{app},{keyword}")
            return 1

    def recount(self, app: str, keyword: str) -> tuple[int, int, int]:
        """CheckAppLicenseUsed: (counted use, internal count before, units recovered)."""
        with self.store.transaction():
            pool = self.pool(app, keyword)
            if pool is None:
                return (0, 0, 0)
            counted = self.store.db.execute(
                "SELECT coalesce(sum(count), 0) FROM app_taken WHERE app=? AND keyword=?",
                (app, keyword),
            ).fetchone()[0]
            self.store.db.execute(
                "UPDATE app_licenses SET used=? WHERE app=? AND keyword=?", (counted, app, keyword)
            )
            return counted, pool.used, max(pool.used - counted, 0)

    def _count(self, app: str, keyword: str, license_id: str) -> int:
        row = self.store.db.execute(
            "SELECT coalesce(sum(count), 0) FROM app_taken WHERE app=? AND keyword=? AND "
            "license_id=?",
            (app, keyword, license_id),
        ).fetchone()
        return int(row[0])
