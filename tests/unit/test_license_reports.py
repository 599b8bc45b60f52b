"""The fixed-width license reports: CKEY, ShowCounts, Decode and the DumpLocal* files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from conftest import Terminal

from cacheshell.system import authkey, instance_lock, usage
from cacheshell.system.authkey import PLATFORMS
from cacheshell.system.reports import PID_HEADER

HERE = authkey.current_platform_code()
START = datetime(2030, 1, 1, 12, 0, 0).timestamp()
L = "$SYSTEM.License."


@pytest.fixture
def fresh() -> Iterator[Terminal]:
    """A session on an instance restarted on a simulated clock, so times in reports are exact."""
    with Terminal() as first:
        inst = first.session.instance
        inst.clock.simulate(START)
    inst.stop()
    inst.start()
    with Terminal() as terminal:
        yield terminal


@pytest.fixture
def here(fresh: Terminal) -> Path:
    """Dump files named without a path go to the namespace's directory, the process's current
    directory in Caché: mgr/user/ for USER (licensing chapter: "in the current directory")."""
    return fresh.session.layout.mgr / "user"


def pid(t: Terminal) -> int:
    return t.session.process.pid


def test_ckey(term: Terminal) -> None:
    inst = term.session.instance
    text = inst.key_path.read_text(encoding="utf-8")
    auth = text.split("AuthorizationKey=")[1].split("\n")[0]
    order = text.split("OrderNumber=")[1].split("\n")[0]
    assert term.run(f"Do {L}CKEY()") == (
        "\n"
        "Cache Key display:\n"
        f"Based on the active key file '{inst.key_path}'\n"
        "\n"
        f"     LicenseCapacity =   Cache 2013.1 Enterprise - Concurrent Users for "
        f"{PLATFORMS[HERE]}:5\n"
        "     CustomerName =      cacheshell training\n"
        f"     OrderNumber =       {order}\n"
        "     ExpirationDate =    12/31/2099\n"
        f"     AuthorizationKey =  {auth}\n"
        "     MachineID =\n"
        "\n"
        "     Current Available =      4\n"
        "     Minimum Available =      4\n"
        "     Maximum Available =      5\n"
    )


def test_ckey_without_a_key(term: Terminal) -> None:
    inst = term.session.instance
    inst.key_path.unlink()
    inst.stop()
    inst.start()
    assert term.run(f"Do {L}CKEY()") == (
        "\n"
        "Cache Key display:\n"
        f"Based on the active key file '{inst.key_path}'\n"
        "\n"
        "     LicenseCapacity =\n"
        "     CustomerName =      License missing or unreadable\n"
        "     OrderNumber =\n"
        "     ExpirationDate =\n"
        "     AuthorizationKey =\n"
        "     MachineID =\n"
        "\n"
        "     Current Available =      1\n"
        "     Minimum Available =      1\n"
        "     Maximum Available =      1\n"
    )


def test_show_counts(fresh: Terminal) -> None:
    table = fresh.session.instance.table
    with Terminal() as a:
        a.run(f'Do {L}Login("A")')
        table.csp_start("S1", "S1", "UnknownUser", 900)
        table.csp_page("S1")
        table.csp_end("S1")  # one page only: its unit stays in the grace period
    assert fresh.run(f"Do {L}ShowCounts()") == (
        "\n"
        "     5 Total authorized license units\n"
        "     3 Current available license units\n"
        "     2 Minimum available license units\n"
        "     1 Current active users\n"
        "     3 Maximum active users\n"
        "     0 CSP users currently active\n"
        "     1 Maximum active CSP users\n"
        "     1 CSP sessions currently in 'grace period'\n"
        "     1 Maximum CSP sessions in 'grace period'\n"
    )


def test_decode(term: Terminal) -> None:
    assert term.run(f"Do {L}Decode()") == (
        "\n"
        "AuthorizationKey of the active key:\n"
        "\n"
        "     Product =           Enterprise\n"
        "     License Type =      Concurrent User\n"
        "     Server =            Multi\n"
        f"     Platform =          {PLATFORMS[HERE]} ({HERE})\n"
        "     License Units =     5\n"
        "     Enforced Units =    5\n"
        "     Cores Licensed =    unlimited\n"
        "     Cores Enforced =    unlimited\n"
        "     Features =          none\n"
    )


def test_decode_auth(term: Terminal) -> None:
    # product, type, server, platform, units, enforced, cores, cores enforced, reserved, features
    body = f"321{HERE}" + "000025" + "000020" + "00008" + "00008" + "0" * 11 + "00000802"
    assert term.run(f'Do {L}DecodeAuth("{body}")') == (
        "\n"
        f"AuthorizationKey {body}:\n"
        "\n"
        "     Product =           Executive\n"
        "     License Type =      Named User\n"
        "     Server =            Single\n"
        f"     Platform =          {PLATFORMS[HERE]} ({HERE})\n"
        "     License Units =     25\n"
        "     Enforced Units =    20\n"
        "     Cores Licensed =    8\n"
        "     Cores Enforced =    8\n"
        "     Features =          Ensemble, iKnow\n"
    )
    assert term.run(f'Do {L}DecodeAuth("12345")') == (
        "\nCannot decode: AuthorizationKey does not have the 46-character layout\n"
    )


def test_dump_local_all(fresh: Terminal, here: Path) -> None:
    clock = fresh.session.instance.clock
    clock.advance(30)
    with Terminal(), Terminal() as bob:
        clock.advance(30)
        bob.run(f'Do {L}Login("Bob")')
        clock.advance(30)
        assert fresh.run(f"Write {L}DumpLocalAll()") == "all.dmp"
    assert (here / "all.dmp").read_bytes() == (
        b"License Capacity = 5, Current use = 2, Units Remaining = 3\n"
        b"\n"
        b"   0)  User ID = 127.0.0.1, Connections = 2, CSP Count = 0, Time active = 90\n"
        b"   1)  User ID = Bob@127.0.0.1, Connections = 1, CSP Count = 0, Time active = 30\n"
        b"   2)  free\n"
        b"   3)  free\n"
        b"   4)  free\n"
    )


def test_dump_local_all_shows_a_grace_entry_and_takes_a_name(fresh: Terminal, here: Path) -> None:
    table = fresh.session.instance.table
    table.csp_start("S1", "S1", "UnknownUser", 900)
    table.csp_page("S1")
    fresh.session.instance.clock.advance(12)
    table.csp_end("S1")
    assert fresh.run(f'Write {L}DumpLocalAll("grace.txt")') == "grace.txt"
    assert (here / "grace.txt").read_bytes() == (
        b"License Capacity = 5, Current use = 2, Units Remaining = 3\n"
        b"\n"
        b"   0)  User ID = 127.0.0.1, Connections = 1, CSP Count = 0, Time active = 12\n"
        b"   1)  User ID = S1, Connections = 0, CSP Count = 0, Time active = 12\n"
        b"   2)  free\n"
        b"   3)  free\n"
        b"   4)  free\n"
    )


def test_dump_local_in_use(fresh: Terminal, here: Path) -> None:
    clock = fresh.session.instance.clock
    with Terminal() as ann:
        ann.run(f'Do {L}Login("Ann")')
        clock.advance(45)
        assert fresh.run(f"Write {L}DumpLocalInUse()") == "inuse.dmp"
    assert (here / "inuse.dmp").read_bytes() == (
        b"License Capacity = 5, Current use = 2, Units Remaining = 3\n"
        b"\n"
        b"   0)  User ID = 127.0.0.1, Connections = 1, CSP Count = 0, Time active = 45\n"
        b"   1)  User ID = Ann@127.0.0.1, Connections = 1, CSP Count = 0, Time active = 45\n"
    )


def test_dump_local_pid(fresh: Terminal, here: Path) -> None:
    clock = fresh.session.instance.clock
    clock.advance(30)
    with Terminal() as other, Terminal() as bob:
        clock.advance(30)
        bob.run(f'Do {L}Login("Bob")')
        fresh.run(f"Do {L}DeferUserIdentification(1)")
        with Terminal() as waiting:
            clock.advance(30)
            assert fresh.run(f"Write {L}DumpLocalPID()") == "piduse.dmp"
            service = instance_lock.recorded_pid(fresh.session.layout.mgr)
            # The instance's own processes (its service and license monitor) are System rows,
            # as in the chapter's piduse.dmp sample ("592     System   0  0 ...").
            lines = [
                "PID\tProcess\tLID\tType\tCon\tMaxCon\tCSPCon\tLU\tActive\tGrace",
                "",
                f"{service}\tSystem\t\t\t0\t0\t0\t0\t0\t0",
                f"{service * 1000 + 1}\tSystem\t\t\t0\t0\t0\t0\t0\t0",
                f"{pid(fresh)}\tUser\t127.0.0.1\tUser\t2\t3\t0\t1\t90\t0",
                f"{pid(other)}\tUser\t127.0.0.1\tUser\t2\t3\t0\t1\t60\t0",
                f"{pid(bob)}\tUser\tBob@127.0.0.1\tUser\t1\t1\t0\t1\t60\t0",
                f"{pid(waiting)}\tPending\t\t\t0\t0\t0\t0\t0\t0",
            ]
    assert (here / "piduse.dmp").read_bytes() == ("\n".join(lines) + "\n").encode()


def test_pid_header_lines_up_as_in_the_chapter() -> None:
    assert "\t".join(PID_HEADER).expandtabs(8) == (
        "PID     Process LID     Type    Con     MaxCon  CSPCon  LU      Active  Grace"
    )


def test_a_dump_outside_the_current_directory(term: Terminal, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.dmp"
    assert term.run(f'Write {L}DumpLocalInUse("{target}")') == str(target)
    assert target.read_text(encoding="utf-8").startswith(
        "License Capacity = 5, Current use = 1, Units Remaining = 4\n\n   0)  User ID = 127.0.0.1,"
    )


def test_rows_behind_the_reports(fresh: Terminal) -> None:
    inst = fresh.session.instance
    fresh.run(f'Do {L}Login("Eve")')
    # The fixture's first session began on the wall clock and ended in 2030: a long login.
    assert usage.duration_rows(inst) == [
        ("1", 0),
        ("15", 0),
        ("60", 0),
        ("900", 0),
        ("3600", 0),
        ("> 3600", 1),
    ]
    assert [(e.kind, e.license_id) for e in usage.event_rows(inst, since=START)] == [
        ("release", "127.0.0.1"),  # the fixture's first session, ended at START
        ("grant", "127.0.0.1"),
        ("grant", "Eve@127.0.0.1"),
        ("release", "127.0.0.1"),
    ]
    assert usage.event_rows(inst, since=START + 1) == []
    assert usage.key_rows(inst, 2) == []
    assert [field for field, _ in usage.key_rows(inst, 1)] == [
        "LicenseCapacity",
        "CustomerName",
        "OrderNumber",
        "ExpirationDate",
        "AuthorizationKey",
        "MachineID",
    ]
