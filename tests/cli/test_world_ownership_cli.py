"""Simulated clients end with the process of the session that made them (issue 12): the
installed console script in subprocesses, one per session, as a user runs it."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout
from cacheshell.system.store import Store

W = "##class(Training.World)"
CONSUMED = "Write $System.License.LUConsumed()"


def release_details(home: Path, name: str = DEFAULT_INSTANCE) -> list[tuple[str, str]]:
    """The release events of an instance, read without attaching a process."""
    store = Store(InstanceLayout(home, name).mgr)
    try:
        rows = store.db.execute(
            "SELECT license_id, detail FROM events WHERE kind='release' ORDER BY id"
        ).fetchall()
        return [(license_id, detail) for license_id, detail in rows]
    finally:
        store.close()


def test_a_client_ends_with_the_process_that_made_it(cacheshell_home: Path) -> None:
    made = run_cli("-U", "USER", f'Set c={W}.ConnectUser("u1","10.0.0.1") {CONSUMED}')
    assert (made.stdout, made.returncode) == ("2\n", 0)
    after = run_cli("-U", "USER", CONSUMED)
    assert (after.stdout, after.returncode) == ("1\n", 0)
    assert ("u1@10.0.0.1", "owner ended") in release_details(cacheshell_home)


def test_halt_on_stdin_ends_the_clients_groups_jobs_and_csp_sessions(
    cacheshell_home: Path,
) -> None:
    made = run_cli(
        "-U",
        "USER",
        stdin=(
            f'Set c={W}.Connect("10.0.0.5"),j=c.Job(),g={W}.ConnectMany("10.0.0.9",3)\n'
            f"Set b={W}.Batch(),s={W}.StartCSP() Do s.View(),s.View()\n"
            f"{CONSUMED},!\n"
            "Halt\n"
        ),
    )
    assert (made.stdout, made.returncode) == ("5\n", 0)
    after = run_cli("-U", "USER", CONSUMED)
    assert after.stdout == "1\n"


def test_a_detached_client_outlives_its_session_until_reset(cacheshell_home: Path) -> None:
    made = run_cli("-U", "USER", f'Set c={W}.ConnectUser("u1","10.0.0.1") Write c.Detach()')
    assert (made.stdout, made.returncode) == ("1\n", 0)
    later = run_cli("-U", "USER", CONSUMED)
    assert later.stdout == "2\n"
    reset = run_cli("-U", "USER", f'Write {W}.Reset()," ",$System.License.LUConsumed()')
    assert (reset.stdout, reset.returncode) == ("1 1\n", 0)
    assert ("u1@10.0.0.1", "training world reset") in release_details(cacheshell_home)


def test_49_users_then_halt_leave_the_key_whole_for_the_next_session(
    tmp_path: Path, cacheshell_home: Path
) -> None:
    """Observed in issue 12: after 49 users and Halt every later login was refused."""
    key = tmp_path / "fifty.key"
    assert run_cli("key", "issue", "--units", "50", "-o", str(key)).returncode == 0
    assert run_cli("control", "create", "FIFTY", "--key", str(key)).returncode == 0

    def users(name: str) -> str:
        return f'For i=1:1:49 {{ Set c(i)={W}.ConnectUser("{name}"_i,"10.0.0.1") }}'

    first = run_cli(
        "FIFTY",
        "-U",
        "USER",
        stdin=f'{users("u")}\n{CONSUMED},!\nSet x={W}.ConnectUser("u50","10.0.0.1")\nHalt\n',
    )
    assert first.stdout.splitlines()[0] == "50"
    assert first.stdout.splitlines()[-1] == "<LICENSE LIMIT EXCEEDED>"
    # Other users, so that none shares a unit left over by the first session.
    again = run_cli("FIFTY", "-U", "USER", f"{users('v')} {CONSUMED}")
    assert (again.stdout, again.returncode) == ("50\n", 0)
