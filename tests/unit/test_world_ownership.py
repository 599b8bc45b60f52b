"""Who owns a simulated client (issue 12): what a session makes ends with its process, Detach()
lets it outlive the session, Training.World.Reset() ends everything simulated. In one OS process
with two sessions and a simulated clock; the front ends' own exits are in tests/cli and
tests/kernel."""

from __future__ import annotations

import re
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Terminal

from cacheshell.system import authkey, keys, lifecycle, monitor, server_config, signing, store
from cacheshell.system.cpf import Cpf
from cacheshell.system.instance import CPF_FILE
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout
from cacheshell.system.license_table import OWNER_ENDED, USER
from cacheshell.system.licserver.server import PARTITION_PREFIX
from cacheshell.system.world import RESET, World

W = "##class(Training.World)"
START = "67000,36000"
# Every kind of simulated client, and two CSP sessions: one after two pages, one after one.
MAKE_ALL = (
    f'Set c={W}.Connect("10.0.0.5"),u={W}.ConnectUser("u1","10.0.0.6"),'
    f'g={W}.ConnectMany("10.0.0.9",3),b={W}.Batch(),j=c.Job(),'
    f"s={W}.StartCSP(),t={W}.StartCSP() "
    "Do s.View(),s.View(),t.View()"
)


@pytest.fixture
def two(cacheshell_home: Path) -> Iterator[tuple[Terminal, Terminal]]:
    """The default instance with a 60-unit key; a terminal that makes clients and one that
    watches (both 127.0.0.1: one unit between them), on a simulated clock."""
    key = keys.issue_from_spec(
        keys.KeySpec(units=60, multi=True),
        signing.training_private_key(),
        authkey.current_platform_code(),
    )
    instance, _ = lifecycle.create(
        InstanceLayout(cacheshell_home, DEFAULT_INSTANCE), key_text=render_key_file(key.file)
    )
    instance.store.close()
    maker, watcher = Terminal(), Terminal()
    assert watcher.run(f'Write {W}.SimulateClock("{START}")') == START
    yield maker, watcher
    for terminal in (maker, watcher):
        terminal.close()
        terminal.session.instance.store.close()


def consumed(term: Terminal) -> str:
    return term.run(f"Write {W}.Consumed()")


def simulated(term: Terminal) -> tuple[int, int]:
    """Simulated processes and CSP sessions in the table."""
    db = term.session.instance.store.db
    processes = db.execute("SELECT count(*) FROM processes WHERE os_pid IS NULL").fetchone()[0]
    sessions = db.execute("SELECT count(*) FROM csp_sessions").fetchone()[0]
    return processes, sessions


def releases(term: Terminal, detail: str) -> list[str]:
    rows = term.session.instance.store.db.execute(
        "SELECT license_id FROM events WHERE kind='release' AND detail=? ORDER BY id", (detail,)
    )
    return [license_id for (license_id,) in rows]


def test_the_table_records_the_session_process_as_owner(two):
    maker, _ = two
    maker.run(MAKE_ALL)
    owner = maker.session.process.pid
    db = maker.session.instance.store.db
    owners = db.execute("SELECT DISTINCT owner FROM processes WHERE os_pid IS NULL").fetchall()
    assert owners == [(owner,)]
    assert db.execute("SELECT DISTINCT owner FROM csp_sessions").fetchall() == [(owner,)]
    assert maker.session.instance.table.process(maker.session.process.pid).owner is None


def test_what_a_session_made_ends_with_it_in_the_same_transaction(two):
    maker, watcher = two
    maker.run(MAKE_ALL)
    # Terminals 1, 10.0.0.5 (with its Job) 1, u1 1, the group 1, the batch job 1, CSP 2.
    assert consumed(watcher) == "7"
    assert simulated(watcher) == (7, 2)
    maker.close()
    # Only the one-page CSP session's unit stays, for its grace period, as if its browser left.
    assert consumed(watcher) == "2"
    assert simulated(watcher) == (0, 0)
    assert sorted(releases(watcher, OWNER_ENDED)) == sorted(
        ["10.0.0.5", "u1@10.0.0.6", "10.0.0.9", "900000005", "CSP0000001"]
    )
    watcher.run(f"Do {W}.AdvanceClock(600)")
    assert consumed(watcher) == "1"


def test_halt_ends_the_sessions_clients(two):
    maker, watcher = two
    maker.run(f'Set c={W}.ConnectUser("u1","10.0.0.6")')
    assert maker.session.execute("Halt").halted
    maker.close()  # what every front end does when a session halts
    assert consumed(watcher) == "1"


@pytest.mark.parametrize(
    ("code", "detach", "left"),
    [
        (f'Set x={W}.ConnectUser("u1","10.0.0.6")', "x.Detach()", (1, 0)),
        (f'Set x={W}.ConnectMany("10.0.0.9",3)', "x.Detach()", (3, 0)),
        (f"Set x={W}.StartCSP() Do x.View()", "x.Detach()", (0, 1)),
        (f'Set x={W}.Connect("10.0.0.5"),y=x.Job()', "x.Detach()+y.Detach()", (2, 0)),
    ],
)
def test_a_detached_client_outlives_its_session_until_reset(two, code, detach, left):
    maker, watcher = two
    maker.run(code)
    assert maker.run(f"Write {detach}") in ("1", "2")
    maker.close()
    assert simulated(watcher) == left
    assert consumed(watcher) == "2"
    assert watcher.run(f"Write {W}.Reset()") == str(sum(left))
    assert simulated(watcher) == (0, 0)
    assert consumed(watcher) == "1"  # a one-page CSP session's grace hold ends too


def test_detach_says_0_once_the_client_has_ended(two):
    maker, _ = two
    out = maker.run(f'Set c={W}.Connect("10.0.0.5") Write c.End(),c.Detach()')
    assert out == "10"


def test_reset_ends_everything_simulated_by_any_session_and_no_real_session(two):
    maker, watcher = two
    maker.run(MAKE_ALL)
    watcher.run(f'Set d={W}.Connect("10.0.0.7") Do d.Detach()')
    assert watcher.run(f"Write {W}.Reset()") == "10"  # 7 clients and 2 CSP sessions, and d
    assert simulated(watcher) == (0, 0)
    assert consumed(watcher) == "1"
    table = watcher.session.instance.table
    pids = {row.pid for row in table.processes() if row.kind != "System"}  # not the service's
    assert pids == {maker.session.process.pid, watcher.session.process.pid}
    assert len(releases(watcher, RESET)) == 6  # one per license ID the reset freed
    assert not watcher.session.instance.clock.simulated
    assert watcher.run(f"Write {W}.Reset()") == "0"
    # The counters' peaks start again from the use now: a lesson after the reset starts clean.
    counts = watcher.run("Do $System.License.ShowCounts()")
    assert "    59 Minimum available license units" in counts
    assert "     1 Maximum active users" in counts
    assert "     0 Maximum active CSP users" in counts


def test_reset_lifts_server_holds_and_partitions(two, cacheshell_home):
    _, watcher = two
    instance = watcher.session.instance
    cpf = Cpf(instance.layout.mgr / CPF_FILE)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server_config.create(cpf, "LS1", "127.0.0.1", port)  # nothing listens there
    server = server_config.find(cpf, "LS1")
    assert watcher.run(f'Write {W}.Partition("LS1"),{W}.KillServer("LS1")') == "10"
    assert monitor.held_down(cacheshell_home, server)
    marker = monitor.server_directory(instance) / f"{PARTITION_PREFIX}{instance.name.upper()}"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()  # as PartitionInstance leaves it for the daemon that runs there
    assert watcher.run(f"Write {W}.Reset()") == "0"
    assert not monitor.held_down(cacheshell_home, server)
    assert monitor.partitioned(instance) == set()
    assert not marker.exists()


def test_the_reclamation_of_a_dead_session_ends_what_it_owned(two):
    """A session's OS process dies without a word: reclaim_dead (the instance service's, about
    once a second) ends its clients in the transaction that releases it."""
    _, watcher = two
    instance = watcher.session.instance
    stand_in = subprocess.Popen(["sleep", "60"])
    try:
        assert instance.table.attach(
            4242, "10.1.1.1", USER, "10.1.1.1", "UnknownUser", os_pid=stand_in.pid
        ).granted
        world = World(instance, owner=4242)
        world.connect_user("u1", "10.0.0.6")
        world.csp_page(world.csp_start().session_id)
        assert consumed(watcher) == "4"
    finally:
        stand_in.kill()
        stand_in.wait()
    instance.table.reclaim_dead()  # unless the service was quicker
    assert simulated(watcher) == (0, 0)
    assert consumed(watcher) == "2"  # the terminals, and the one-page session's grace hold
    assert releases(watcher, OWNER_ENDED) == ["u1@10.0.0.6"]


def test_a_database_made_before_owners_opens_and_gets_the_column(tmp_path):
    old_schema = re.sub(r",\n    owner INTEGER[^\n]*", "", store._SCHEMA)
    assert "owner" not in old_schema
    db = sqlite3.connect(tmp_path / store.DATABASE_NAME)
    db.executescript(old_schema)
    db.execute(
        "INSERT INTO processes(pid, license_id, kind, client, username, started) "
        "VALUES(900000000, '10.0.0.5', 'User', '10.0.0.5 (Terminal)', 'UnknownUser', 0)"
    )
    db.commit()
    db.close()
    opened = store.Store(tmp_path)
    try:
        rows = opened.db.execute("SELECT pid, owner FROM processes").fetchall()
        assert rows == [(900000000, None)]
        columns = [c[1] for c in opened.db.execute("PRAGMA table_info(csp_sessions)")]
        assert columns[-1] == "owner"
    finally:
        opened.close()
