"""The CSP sessions of the local license table: a browser session takes a unit under its license
ID when it starts, moves to the user's ID at %CSP.Session.Login(), and gives the unit back when
it ends or times out (after a single page, only when its grace period is over).

LicenseTable (license_table.py) adds the processes on top; what a process owns, sessions among
it, ends with it.
"""

from __future__ import annotations

from cacheshell.system.applications import release_application_units, session_holder
from cacheshell.system.license_entries import LicenseEntries
from cacheshell.system.table import Decision


class CspSessions(LicenseEntries):
    def csp_start(
        self,
        session_id: str,
        license_id: str,
        username: str,
        timeout: float,
        owner: int | None = None,
    ) -> Decision:
        with self.store.transaction():
            now = self.now()
            self._expire_grace()
            decision = self._connect(license_id, now, None, csp=True)
            if decision.granted:
                self.store.db.execute(
                    "INSERT INTO csp_sessions(id, license_id, username, pages, started, last, "
                    "timeout, owner) VALUES(?, ?, ?, 0, ?, ?, ?, ?)",
                    (session_id, license_id, username, now, now, timeout, owner),
                )
                self._track_peaks()
            return decision

    def csp_page(self, session_id: str) -> bool:
        with self.store.transaction():
            self.expire_sessions()
            cur = self.store.db.execute(
                "UPDATE csp_sessions SET pages=pages+1, last=? WHERE id=?", (self.now(), session_id)
            )
            return cur.rowcount == 1

    def csp_login(self, session_id: str, license_id: str, username: str) -> Decision:
        """%CSP.Session.Login(): the session moves to the user's license ID, giving up its own
        (without a grace period) only when the new one was granted."""
        with self.store.transaction():
            self.expire_sessions()
            row = self.store.db.execute(
                "SELECT license_id FROM csp_sessions WHERE id=?", (session_id,)
            ).fetchone()
            if row is None:
                return Decision(False, None, reason="no such CSP session")
            if row[0] == license_id:
                return Decision(True, self.entry(license_id))
            now = self.now()
            decision = self._connect(license_id, now, None, csp=True)
            if decision.granted:
                self._release(row[0], now, None, csp=True, reason="CSP session logged in")
                self.store.db.execute(
                    "UPDATE csp_sessions SET license_id=?, username=? WHERE id=?",
                    (license_id, username, session_id),
                )
            return decision

    def csp_end(self, session_id: str, reason: str = "CSP session ended") -> bool:
        """The browser leaves: after one page the unit stays for the grace period."""
        with self.store.transaction():
            return self._end_session(session_id, self.now(), reason)

    def expiry_due(self) -> bool:
        """Whether a CSP session's timeout or a grace period has run out (a read only)."""
        now = self.now()
        db = self.store.db
        return (
            db.execute(
                "SELECT 1 FROM csp_sessions WHERE last + timeout <= ? LIMIT 1", (now,)
            ).fetchone()
            is not None
            or db.execute(
                "SELECT 1 FROM entries WHERE grace_until IS NOT NULL AND grace_until <= ? LIMIT 1",
                (now,),
            ).fetchone()
            is not None
        )

    def expire_sessions(self) -> int:
        """End the CSP sessions whose timeout passed, and grace periods that ran out."""
        with self.store.transaction():
            now = self.now()
            # Each session ends when its timeout ran out, which may be well before now (an
            # AdvanceClock, a service that looks only now): its events and grace date from then.
            rows = self.store.db.execute(
                "SELECT id, last + timeout FROM csp_sessions WHERE last + timeout <= ? "
                "ORDER BY last + timeout, id",
                (now,),
            ).fetchall()
            for sid, ended in rows:
                self._end_session(sid, ended, "CSP session timed out")
            self._expire_grace()
            return len(rows)

    def _end_session(self, session_id: str, now: float, reason: str) -> bool:
        row = self.store.db.execute(
            "SELECT license_id, pages FROM csp_sessions WHERE id=?", (session_id,)
        ).fetchone()
        if row is None:
            return False
        self.store.db.execute("DELETE FROM csp_sessions WHERE id=?", (session_id,))
        release_application_units(self.store, session_holder(session_id), now)
        self._release(row[0], now, None, csp=True, pages=row[1], reason=reason)
        return True
