"""Training.World through ObjectScript: simulated clients, firewalls, batch jobs, JOB'ed children,
CSP sessions, kills, restarts and the license event history, on a simulated clock only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Terminal

from cacheshell.lang.objects import REGISTRY
from cacheshell.system import authkey, keys, lifecycle, signing
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout

W = "##class(Training.World)"
# $H 67000,36000 is 06/09/2024 10:00:00 local time.
START = "67000,36000"


def make_instance(home: Path, units: int) -> None:
    """The default instance, started with a key of `units` units, before any terminal opens."""
    key = keys.issue_from_spec(
        keys.KeySpec(units=units, multi=True),
        signing.training_private_key(),
        authkey.current_platform_code(),
    )
    instance, _ = lifecycle.create(
        InstanceLayout(home, DEFAULT_INSTANCE), key_text=render_key_file(key.file)
    )
    instance.store.close()


def shut(terminal: Terminal) -> None:
    """End the terminal's process and close its database connection (no file left open)."""
    terminal.close()
    terminal.session.instance.store.close()


def open_world(home: Path, units: int) -> Terminal:
    make_instance(home, units)
    terminal = Terminal()
    assert terminal.run(f'Write {W}.SimulateClock("{START}")') == START
    return terminal


@pytest.fixture
def world(cacheshell_home: Path) -> Iterator[Terminal]:
    terminal = open_world(cacheshell_home, 60)
    yield terminal
    shut(terminal)


def units(term: Terminal) -> str:
    return term.run(f"Write {W}.Consumed()")


def test_a_client_connects_from_an_address_as_a_row_without_an_os_process(world):
    out = world.run(
        f'Set c={W}.Connect("10.0.0.5","odbc") Write c.PID," ",c.Address," ",c.How," ",c.LicenseId'
    )
    assert out == "900000000 10.0.0.5 ODBC 10.0.0.5"
    row = world.session.instance.table.process(900000000)
    assert (row.client, row.os_pid, row.username, row.kind) == (
        "10.0.0.5 (ODBC)",
        None,
        "UnknownUser",
        "User",
    )
    assert units(world) == "2"  # the terminal's unit and the client's


def test_clients_from_one_address_share_a_unit_and_other_addresses_take_their_own(world):
    world.run(f'Set a={W}.Connect("10.0.0.5"),b={W}.Connect("10.0.0.5","Cache Direct")')
    assert units(world) == "2"
    world.run(f'Set c={W}.Connect("10.0.0.6","Terminal")')
    assert units(world) == "3"
    assert world.run('Write b.How,"/",c.PID') == "Cache Direct/900000002"


def test_an_unknown_connection_kind_is_an_illegal_value(world):
    out = world.run(f'Set c={W}.Connect("10.0.0.5","Telnet")')
    assert "<ILLEGAL VALUE>" in out
    assert units(world) == "1"


@pytest.mark.parametrize(
    ("code", "license_id", "consumed"),
    [
        (f'Set c={W}.ConnectUser("alice","10.0.0.7")', "alice@10.0.0.7", "2"),
        (f'Set c={W}.ConnectUser("alice")', "alice@127.0.0.1", "2"),
        (
            f'Set x={W}.ConnectUser("alice","10.0.0.7"),c={W}.ConnectUser("alice","10.0.0.7")',
            "alice@10.0.0.7",
            "2",
        ),
        (
            f'Set x={W}.ConnectUser("bob","10.0.0.7"),c={W}.ConnectUser("alice","10.0.0.7")',
            "alice@10.0.0.7",
            "3",
        ),
    ],
)
def test_users_connect_by_name(world, code, license_id, consumed):
    world.run(code)
    assert world.run("Write c.LicenseId") == license_id
    assert units(world) == consumed


def test_username_licensing_names_an_address_client_by_its_username(world):
    store = world.session.instance.store
    with store.transaction():
        store.put("username_licensing", 1)
    assert world.run(f'Set c={W}.Connect("10.0.0.5") Write c.LicenseId') == ("UnknownUser@10.0.0.5")


def test_deferred_login_holds_no_unit_until_the_client_logs_in(world):
    store = world.session.instance.store
    with store.transaction():
        store.put("deferred", 1)
    assert world.run(f'Set c={W}.Connect("10.0.0.8") Write "[",c.LicenseId,"]"') == "[]"
    assert units(world) == "1"
    assert world.run('Write c.Login("dave")," ",c.LicenseId') == "1 dave@10.0.0.8"
    assert units(world) == "2"


def test_the_26th_process_behind_one_firewall_turns_the_id_to_one_unit_each(world):
    world.run(f'Set g={W}.ConnectMany("192.168.1.1",25)')
    assert world.run('Write g.Count," ",g.Address," ",g.Item(25).PID') == (
        "25 192.168.1.1 900000024"
    )
    assert units(world) == "2"
    world.run(f'Set c={W}.Connect("192.168.1.1")')
    assert units(world) == "27"
    world.run("Do c.End()")  # back to 25 processes: still one unit each
    assert units(world) == "26"
    world.run("Do g.Item(1).End()")
    assert units(world) == "25"
    assert world.run("Write g.End()") == "24"  # the 24 still running
    assert units(world) == "1"
    world.run(f'Set c={W}.Connect("192.168.1.1")')  # every process gone: counting reset
    assert units(world) == "2"


def test_a_group_that_would_be_refused_is_not_started_at_all(cacheshell_home):
    term = open_world(cacheshell_home, 5)
    try:
        out = term.run(f'Set g={W}.ConnectMany("192.168.1.1",26)')
        assert out.endswith("<LICENSE LIMIT EXCEEDED>\n")
        assert units(term) == "1"
        users = [p for p in term.session.instance.table.processes() if p.kind != "System"]
        assert [p.license_id for p in users] == ["127.0.0.1"]
    finally:
        shut(term)


def test_batch_jobs_are_licensed_by_their_pid(world):
    out = world.run(f'Set a={W}.Batch(),b={W}.Batch() Write a.LicenseId," ",a.How," ",b.LicenseId')
    assert out == "900000000 Batch 900000001"
    assert units(world) == "3"
    world.run("Do a.End()")
    assert units(world) == "2"


def test_jobbed_children_count_under_the_parents_license_id(world):
    world.run(f'Set c={W}.Connect("10.0.0.9"),j=c.Job()')
    assert world.run('Write j.LicenseId," ",j.How," ",j.PID') == "10.0.0.9 Job 900000001"
    assert units(world) == "2"
    assert world.run('Write c.Login("bob")," ",c.LicenseId') == "1 bob@10.0.0.9"
    assert units(world) == "3"  # 10.0.0.9 still holds the child
    assert world.run("Set k=c.Job() Write k.LicenseId") == "bob@10.0.0.9"
    assert units(world) == "3"
    world.run("Do j.End()")
    assert units(world) == "2"


def test_each_csp_session_takes_a_unit_under_its_session_id(world):
    out = world.run(
        f'Set s={W}.StartCSP(),t={W}.StartCSP() Write s.SessionId," ",s.LicenseId," ",t.SessionId'
    )
    assert out == "CSP0000001 CSP0000001 CSP0000002"
    assert units(world) == "3"


def test_a_session_ended_after_one_page_keeps_its_unit_for_the_grace_period(world):
    assert world.run(f'Set s={W}.StartCSP() Write s.View()," ",s.End()') == "1 1"
    assert units(world) == "2"
    assert world.run(f"Write {W}.AdvanceClock(599)") == "67000,36599"
    assert units(world) == "2"
    world.run(f"Do {W}.AdvanceClock(1)")
    assert units(world) == "1"


def test_a_session_that_viewed_two_pages_frees_its_unit_at_once(world):
    assert world.run(f'Set s={W}.StartCSP() Write s.View(),s.View()," ",s.Pages') == "12 2"
    world.run("Do s.End()")
    assert units(world) == "1"
    assert world.run("Write s.View(),s.End()") == "00"  # it is over


@pytest.mark.parametrize(("pages", "held_after_timeout"), [(2, "1"), (1, "2")])
def test_a_session_times_out_after_its_timeout(world, pages, held_after_timeout):
    world.run(f"Set s={W}.StartCSP(60)" + " Do s.View()" * pages)
    world.run(f"Do {W}.AdvanceClock(59)")
    assert units(world) == "2"
    world.run(f"Do {W}.AdvanceClock(1)")
    assert units(world) == held_after_timeout  # after one page: the grace period follows
    world.run(f"Do {W}.AdvanceClock(600)")
    assert units(world) == "1"
    assert world.run("Write s.View()") == "0"


def test_a_csp_login_moves_the_session_to_the_users_id(world):
    world.run(f"Set s={W}.StartCSP(),t={W}.StartCSP()")
    assert world.run('Write s.Login("carol")," ",s.LicenseId') == "1 carol"
    assert units(world) == "3"
    world.run('Do t.Login("carol")')  # the same user in two sessions: one unit
    assert units(world) == "2"
    world.run("Do s.View(),s.End()")  # carol keeps the other session
    assert units(world) == "2"


def test_kill_releases_the_unit_and_says_killed(world):
    world.run(f'Set c={W}.Connect("10.0.0.5") Do {W}.AdvanceClock(5)')
    assert world.run("Write c.Kill(),c.Kill()") == "10"
    assert units(world) == "1"
    assert world.run(f"Do {W}.Events(2)") == (
        "Time                 Kind         License ID                PID         Detail\n"
        "06/09/2024 10:00:05  killed       10.0.0.5                  900000000   process killed\n"
        "06/09/2024 10:00:05  release      10.0.0.5                  900000000   killed\n"
    )


def test_restart_clears_every_process_and_session(world):
    world.run(
        f'Set a={W}.Connect("10.0.0.5"),b={W}.Batch(),g={W}.ConnectMany("10.0.0.6",3) '
        f"Set s={W}.StartCSP() Do s.View(),s.End()"
    )
    assert units(world) == "5"
    assert world.run(f"Write {W}.Restart()") == "1"
    assert units(world) == "1"  # only this terminal, attached again
    assert world.run('Write a.End(),g.End()," ",a.LicenseId') == "00 10.0.0.5"
    assert world.run(f'Set c={W}.Connect("10.0.0.5") Write c.PID') == "900000005"
    assert units(world) == "2"


def test_the_event_history_lists_grants_denials_transition_reset_and_release(cacheshell_home):
    term = open_world(cacheshell_home, 30)
    try:
        term.run(
            f'Set g={W}.ConnectMany("10.0.0.2",26) Do {W}.AdvanceClock(60) '
            f'Set a={W}.Connect("10.0.0.3"),b={W}.Connect("10.0.0.4"),'
            f'c={W}.Connect("10.0.0.5")'
        )
        assert units(term) == "30"
        out = term.run(f'Try {{ Set x={W}.Connect("10.0.0.6") }} Catch e {{ Write e.Name }}')
        assert out == "<LICENSE LIMIT EXCEEDED>"
        term.run(f"Do {W}.AdvanceClock(60),g.End(),b.End()")
        assert term.run(f"Do {W}.Events(9)") == (
            "Time                 Kind         License ID                PID         Detail\n"
            "06/09/2024 10:00:00  connect      10.0.0.2                  900000025   units +25\n"
            "06/09/2024 10:00:00  per-process  10.0.0.2                  900000025   "
            "26 connections: one unit each\n"
            "06/09/2024 10:01:00  grant        10.0.0.3                  900000026   units +1\n"
            "06/09/2024 10:01:00  grant        10.0.0.4                  900000027   units +1\n"
            "06/09/2024 10:01:00  grant        10.0.0.5                  900000028   units +1\n"
            "06/09/2024 10:01:00  denied       10.0.0.6                  900000029   "
            "no license unit available\n"
            "06/09/2024 10:02:00  reset        10.0.0.2                  900000025   "
            "per-process counting reset\n"
            "06/09/2024 10:02:00  release      10.0.0.2                  900000025   "
            "process ended\n"
            "06/09/2024 10:02:00  release      10.0.0.4                  900000027   "
            "process ended\n"
        )
        log = term.session.instance.log.tail(1)[0]
        assert log.endswith(
            "1 License limit exceeded 1 times since instance start (license user ID '10.0.0.6')"
        )
    finally:
        shut(term)


def test_the_event_list_query_returns_the_same_rows(world):
    world.run(f'Set c={W}.Connect("10.0.0.5") Do c.End()')
    out = world.run(
        'Set rs=##class(%ResultSet).%New("Training.World:EventList") '
        'Do rs.Execute(2) While rs.Next() { Write rs.Get("Time"),"|",'
        'rs.Get("Kind"),"|",rs.Get("LicenseId"),"|",rs.Get("PID"),"|",'
        'rs.Get("Detail"),! }'
    )
    assert out == (
        "06/09/2024 10:00:00|grant|10.0.0.5|900000000|units +1\n"
        "06/09/2024 10:00:00|release|10.0.0.5|900000000|process ended\n"
    )


def test_the_clock_moves_only_when_advanced_and_can_go_back_to_the_wall(world):
    assert world.run(f"Write {W}.AdvanceClock(3600)") == "67000,39600"
    assert world.run("Write $H") == "67000,39600"
    assert world.run(f"Write {W}.AdvanceClock(-1)").endswith(
        "<ILLEGAL VALUE> *the clock only moves forward\n"
    )
    assert world.run(f"Write {W}.UseWallClock()") != "67000,39600"


def test_world_objects_are_read_only_and_not_made_with_new(world):
    world.run(f'Set c={W}.Connect("10.0.0.5")')
    assert world.run("Set c.PID=1").endswith("<CANNOT SET THIS PROPERTY> *PID,Training.Client\n")
    assert "<METHOD DOES NOT EXIST>" in world.run("Set x=##class(Training.Client).%New()")


@pytest.mark.parametrize(
    "name", ["Training.World", "Training.Client", "Training.Group", "Training.CSPSession"]
)
def test_every_member_has_a_summary_and_a_help_text(name):
    cls = REGISTRY.classes[name]
    members = [*cls.class_methods.values(), *cls.methods.values(), *cls.queries.values()]
    assert members
    for member in members:
        assert member.summary and member.details and member.signature, member.name
    for prop in cls.properties.values():
        assert prop.summary, prop.name
