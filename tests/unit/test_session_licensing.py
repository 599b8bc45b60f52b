"""Sessions as licensed processes: the unit taken at start, -B, refusal, JOB, deferred login."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Terminal

from cacheshell.session import LicenseLimitExceeded, Session
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.license_table import DIAGNOSTIC, PENDING, SYSTEM, USER
from cacheshell.system.lifecycle import open_running


def instance(home: Path):
    return open_running(InstanceLayout(home, "CACHE"), create_default=True)


def set_state(home: Path, **values: object) -> None:
    inst = instance(home)
    with inst.store.transaction():
        for name, value in values.items():
            inst.store.put(name, value)


def test_a_session_takes_one_unit_under_the_client_address(term: Terminal) -> None:
    table = term.session.instance.table
    row = table.process(term.session.process.pid)
    assert (row.kind, row.license_id, table.consumed()) == (USER, "127.0.0.1", 1)


def test_local_sessions_share_the_address_unit_and_release_on_close(term: Terminal) -> None:
    table = term.session.instance.table
    with Terminal() as second:
        assert table.connection_count("127.0.0.1") == 2
        assert table.consumed() == 1
        assert term.run("Write $JOB'=" + str(second.session.process.pid)) == "1"
    assert table.connection_count("127.0.0.1") == 1


def test_username_licensing_counts_each_user(cacheshell_home: Path) -> None:
    set_state(cacheshell_home, username_licensing=1)
    with Terminal(user="alice") as alice, Terminal(user="bob") as bob:
        table = alice.session.instance.table
        assert {alice.session.process.license_id, bob.session.process.license_id} == {
            "alice@127.0.0.1",
            "bob@127.0.0.1",
        }
        assert table.consumed() == 2


def test_no_unit_left_refuses_the_session_and_counts_it_in_the_log(
    cacheshell_home: Path,
) -> None:
    set_state(cacheshell_home, username_licensing=1, user_limit=1)
    with Terminal(user="alice"):
        for _ in range(2):
            with pytest.raises(LicenseLimitExceeded):
                Session(user="bob", sink=lambda _t: None)
        log = instance(cacheshell_home).log.tail(5)
        assert any("License limit exceeded 1 times" in line for line in log)
        # Each refusal counts, and stays in the event history.
        assert any("License limit exceeded 2 times" in line for line in log)
        denied = instance(cacheshell_home).store.db.execute(
            "SELECT count(*) FROM events WHERE kind='denied' AND license_id='bob@127.0.0.1'"
        )
        assert denied.fetchone()[0] == 2


def test_an_administrator_session_takes_the_diagnostic_unit_when_all_are_used(
    cacheshell_home: Path,
) -> None:
    set_state(cacheshell_home, username_licensing=1, user_limit=1)
    with Terminal(user="alice"):
        admin = Session(user="bob", sink=lambda _t: None, admin=True)
        try:
            table = admin.instance.table
            assert table.process(admin.process.pid).kind == DIAGNOSTIC
            assert table.consumed() == 1
        finally:
            admin.close()


def test_a_job_counts_under_its_parents_license_id(term: Terminal) -> None:
    term.routine("j", "bg Set ^seen=$JOB\n Quit\n")
    assert term.run("Job bg^j Write $Data(^seen),^seen=$ZCHILD") == "11"
    # The child ran and ended: its row is gone and the parent's unit is unchanged.
    table = term.session.instance.table
    assert [p.kind for p in table.processes()] == [SYSTEM, SYSTEM, USER]  # service, monitor
    assert table.consumed() == 1
    events = term.session.instance.store.db.execute(
        "SELECT kind, license_id FROM events ORDER BY id"
    ).fetchall()
    assert ("connect", "127.0.0.1") in events


def test_a_deferred_process_takes_no_unit_and_pauses_until_it_logs_in(
    cacheshell_home: Path,
) -> None:
    set_state(cacheshell_home, deferred=1)
    inst = instance(cacheshell_home)
    inst.clock.simulate(1_000_000.0)
    with Terminal() as term:
        table = inst.table
        assert table.process(term.session.process.pid).kind == PENDING
        assert table.consumed() == 0
        # 4000 commands: the For and 3999 Sets. The pause advances the simulated clock.
        assert term.run("For i=1:1:3999 { Set x=i }") == ""
        assert inst.clock.now() == 1_000_001.0
        assert term.run("For i=1:1:999 { Set x=i }") == ""
        assert inst.clock.now() == 1_000_002.0
        term.session.process.login("carol")
        assert term.run("For i=1:1:5000 { Set x=i }") == ""
        assert inst.clock.now() == 1_000_002.0
        assert table.process(term.session.process.pid).license_id == "carol@127.0.0.1"
        assert table.consumed() == 1


def test_a_stopped_instance_refuses_sessions(cacheshell_home: Path) -> None:
    from cacheshell.session import SessionError

    instance(cacheshell_home).stop()
    with pytest.raises(SessionError, match="is down"):
        Session(sink=lambda _t: None)


def test_hang_advances_a_simulated_clock_instead_of_waiting(cacheshell_home: Path) -> None:
    inst = instance(cacheshell_home)
    inst.clock.simulate(5000.0)
    with Terminal() as term:
        assert term.run("Hang 600") == ""
    assert inst.clock.now() == 5600.0
