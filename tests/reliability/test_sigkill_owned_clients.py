"""SIGKILL the OS process of a session that made simulated clients: the instance's service
reclaims the dead process (about once a second) and its clients and CSP sessions with it, in
one transaction, while nobody else attaches (issue 12)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout
from cacheshell.system.processes import wait_until
from cacheshell.system.store import Store

W = "##class(Training.World)"
RECLAIM_WAIT = 15.0  # the service looks once a second; a loaded machine may be slower


def command() -> list[str]:
    exe = Path(sys.executable).with_name("cacheshell")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "cacheshell"]


def test_the_clients_of_a_killed_session_end_with_it(cacheshell_home: Path) -> None:
    session = subprocess.Popen(
        command() + ["-U", "USER"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert session.stdin is not None and session.stdout is not None
        session.stdin.write(
            f'Set c={W}.ConnectUser("u1","10.0.0.1"),j=c.Job(),g={W}.ConnectMany("10.0.0.9",3)'
            f" Set s={W}.StartCSP() Do s.View(),s.View()"
            " Write $System.License.LUConsumed(),!\n"
        )
        session.stdin.flush()
        assert session.stdout.readline() == "4\n"
        session.send_signal(signal.SIGKILL)
        assert session.wait(timeout=30) == -signal.SIGKILL
    finally:
        if session.poll() is None:
            session.kill()
            session.wait()
        for pipe in (session.stdin, session.stdout):
            if pipe is not None:
                pipe.close()

    # Read without attaching: an attach would reclaim the dead process itself.
    store = Store(InstanceLayout(cacheshell_home, DEFAULT_INSTANCE).mgr)
    try:
        assert wait_until(lambda: int(store.get("consumed", 0)) == 0, RECLAIM_WAIT, 0.1)
        db = store.db
        assert (
            db.execute("SELECT count(*) FROM processes WHERE kind <> 'System'").fetchone()[0] == 0
        )
        assert db.execute("SELECT count(*) FROM csp_sessions").fetchone()[0] == 0
        releases = db.execute(
            "SELECT license_id, detail FROM events WHERE kind='release' ORDER BY id"
        ).fetchall()
        assert releases == [
            ("127.0.0.1", "process died"),
            ("u1@10.0.0.1", "owner ended"),
            ("10.0.0.9", "owner ended"),
            ("CSP0000001", "owner ended"),
        ]
    finally:
        store.close()
