"""Instances and their license servers end to end: real daemons on free loopback ports, real
instances with their license monitors (short update periods), NAK enforcement across two
instances sharing a Multiserver key, a Single-server key, no reachable server, failover after a
real SIGKILL, ShowSummary and a DumpKey file."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from servers import PERIOD, Shell, eventually, without_default

from cacheshell.system import lifecycle, server_config
from cacheshell.system.authkey import current_platform_code
from cacheshell.system.cpf import Cpf
from cacheshell.system.instance import CPF_FILE, KEY_FILE
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.keys import KeySpec, issue_from_spec
from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout
from cacheshell.system.monitor import NOT_CONNECTED, SINGLE_SERVER
from cacheshell.system.signing import training_private_key

W = "##class(Training.World)."
L = "$System.License."


def configure(home: Path, name: str, servers: list[tuple[str, str, int]]) -> None:
    cpf = Cpf(InstanceLayout(home, name).mgr / CPF_FILE)
    cpf.set("config", "LicenseUpdatePeriod", str(PERIOD))
    cpf.save()
    without_default(cpf)
    for server, address, port in servers:
        server_config.create(cpf, server, address, port)


def second_instance(home: Path, name: str, key_text: str) -> None:
    lifecycle.create(InstanceLayout(home, name), key_text=key_text)[0].store.close()


def cache_key(home: Path) -> str:
    return (InstanceLayout(home, DEFAULT_INSTANCE).mgr / KEY_FILE).read_text(encoding="utf-8")


def connect(shell: Shell, var: str, user: str) -> str:
    return shell.run(f'Set {var}={W}ConnectUser("{user}","10.0.0.1") Write {var}.LicenseId')


def test_two_instances_share_a_key_and_a_nak_refuses_new_users(
    cacheshell_home: Path, daemons: Callable[[str], int]
) -> None:
    home = cacheshell_home
    port = daemons("ls1")
    one = Shell(home)
    shells = [one]
    try:
        second_instance(home, "TWO", cache_key(home))
        configure(home, DEFAULT_INSTANCE, [("LS1", "127.0.0.1", port)])
        configure(home, "TWO", [("LS1", "127.0.0.1", port)])
        two = Shell(home, "TWO")
        shells.append(two)
        eventually(lambda: one.state("active_server") and two.state("active_server"))
        # Both terminals are 127.0.0.1: one ID on both instances, one unit of the key.
        assert connect(one, "a", "u1") == "u1@10.0.0.1"
        connect(one, "b", "u2")
        connect(two, "c", "u3")
        connect(two, "d", "u4")
        eventually(lambda: two.state("dist_current") == 5)
        assert one.state("nak") in (0, None) and two.state("nak") in (0, None)
        connect(two, "e", "u5")  # admitted locally: TWO holds 4 of its 5 units
        eventually(lambda: one.state("nak") == 1 and two.state("nak") == 1)
        for shell in (one, two):
            assert "<LICENSE LIMIT EXCEEDED>" in connect(shell, "x", "u6")
        assert connect(one, "a2", "u1") == "u1@10.0.0.1"  # an existing ID adds a connection
        assert one.run('Write $System.License.ConnectionCount("u1@10.0.0.1")') == "2"
        summary = one.run(f"Do {L}ShowSummary()")
        assert "Current License Units Used =       6" in summary
        # A release, the next ACK, and a new user gets in.
        assert two.run("Write e.End()") == "1"
        eventually(lambda: one.state("nak") == 0 and two.state("nak") == 0)
        assert connect(one, "x", "u6") == "u6@10.0.0.1"
        events = one.session.instance.store.db.execute(
            "SELECT kind FROM events WHERE kind IN ('ACK', 'NAK') ORDER BY id"
        ).fetchall()
        assert [kind for (kind,) in events][:2] == ["NAK", "ACK"]
    finally:
        for shell in shells:
            shell.close()


def test_a_single_server_key_is_not_registered(
    cacheshell_home: Path, daemons: Callable[[str], int]
) -> None:
    home = cacheshell_home
    port = daemons("ls1")
    key = issue_from_spec(
        KeySpec(units=5, multi=False, order_number=200001),
        training_private_key(),
        current_platform_code(),
    )
    second_instance(home, "ONE", render_key_file(key.file))
    configure(home, "ONE", [("LS1", "127.0.0.1", port)])
    shell = Shell(home, "ONE")
    try:
        eventually(lambda: shell.state("server_status") == SINGLE_SERVER)
        assert SINGLE_SERVER in shell.run(f"Do {L}ShowServer()")
        assert SINGLE_SERVER in shell.run(f"Do {L}ShowSummary()")
        assert shell.run(f"Write {L}ActiveServerCount()") == "0"
        assert shell.state("active_server") is None
    finally:
        shell.close()


def test_with_no_server_reachable_an_instance_keeps_working(cacheshell_home: Path) -> None:
    home = cacheshell_home
    shell = Shell(home)
    try:
        # TEST-NET-1: not this host (so not started here) and answering nothing.
        configure(home, DEFAULT_INSTANCE, [("FAR", "192.0.2.1", 4001)])
        eventually(lambda: shell.state("server_status") == NOT_CONNECTED)
        assert NOT_CONNECTED in shell.run(f"Do {L}ShowSummary()")
        assert NOT_CONNECTED in shell.run(f"Do {L}ShowServer()")
        for n in range(1, 4):
            assert connect(shell, f"c{n}", f"u{n}") == f"u{n}@10.0.0.1"
        assert shell.run("Write c1.End()") == "1"
        assert shell.run(f"Write {W}Consumed()") == "3"
        assert not shell.state("nak")
    finally:
        shell.close()


def test_failover_after_a_sigkill_and_the_reports(
    cacheshell_home: Path, daemons: Callable[[str], int], tmp_path: Path
) -> None:
    home = cacheshell_home
    first, second = daemons("ls1"), daemons("ls2")
    shell = Shell(home)
    try:
        configure(
            home, DEFAULT_INSTANCE, [("LS1", "127.0.0.1", first), ("LS2", "127.0.0.1", second)]
        )
        connect(shell, "a", "u1")
        eventually(lambda: shell.state("active_server") == f"LS1 127.0.0.1 {first}")
        assert shell.run(f"Do {L}ShowServer()") == (
            f"\nActive license server address = 127.0.0.1 port = {first}\n"
        )
        eventually(lambda: shell.state("dist_current") == 2)
        text = shell.run(f"Do {L}ShowSummary()")
        assert text.startswith(
            "\nLicense Server summary view of active key.\n\n"
            "         Distributed license use:\n"
            "Current License Units Used =       2\n"
        )
        assert "License Units   Authorized =       5\n" in text
        assert "         Local license use:\nCurrent Connections =" in text
        assert "Current Users       =      2" in text
        dump = shell.run(f"Do {L}DumpKey()")
        assert f"directory {tmp_path / 'ls1'}" in dump
        assert (tmp_path / "ls1" / "dumpkey.txt").exists()
        rows = shell.run(
            'Set rs=##class(%ResultSet).%New("%SYSTEM.License:ConnectionList") '
            'Do rs.Execute() While rs.Next() { Write rs.GetData(1),"," }'
        )
        assert "u1@10.0.0.1" in rows

        killed_at = time.monotonic()
        assert shell.run(f'Write {W}KillServer("LS1")') == "1"
        eventually(lambda: shell.state("active_server") == f"LS2 127.0.0.1 {second}")
        # Within 2 periods of silence, plus the probes' waits and the polling.
        assert time.monotonic() - killed_at < 2 * PERIOD + 3
        assert shell.run(f"Do {L}ShowServer()") == (
            f"\nActive license server address = 127.0.0.1 port = {second}\n"
        )
        eventually(
            lambda: "Current License Units Used =       2" in shell.run(f"Do {L}ShowSummary()")
        )  # reported in full to LS2
        failovers = shell.session.instance.store.db.execute(
            "SELECT detail FROM events WHERE kind='failover'"
        ).fetchall()
        assert failovers and "LS1" in failovers[0][0] and "LS2" in failovers[0][0]
        # The console log records the server's change, as the chapter's troubleshooting reads it.
        log = console_log(home)
        assert f"Active license server LS1 (127.0.0.1 port {first})" in log
        assert f"Failover from LS1 to active license server LS2 (127.0.0.1 port {second})" in log
        # Held down: the instance does not start the killed server again.
        time.sleep(4 * PERIOD)
        assert shell.state("active_server") == f"LS2 127.0.0.1 {second}"
    finally:
        shell.close()


def test_an_instance_starts_its_local_server_and_the_world_stops_and_starts_it(
    cacheshell_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    home = cacheshell_home
    shell = Shell(home)
    try:
        configure(home, DEFAULT_INSTANCE, [("LOCAL", "127.0.0.1", port)])
        eventually(lambda: shell.state("active_server") == f"LOCAL 127.0.0.1 {port}")
        directory = InstanceLayout(home, DEFAULT_INSTANCE).mgr / "licenseserver"
        assert (directory / f"licenseserver-{port}.pid").exists()
        assert shell.run(f'Write {W}StopServer("LOCAL")') == "1"
        eventually(lambda: shell.state("server_status") == NOT_CONNECTED)
        eventually(lambda: f"License server LOCAL lost: {NOT_CONNECTED}" in console_log(home))
        assert shell.run(f'Write {W}StartServer("LOCAL")') == "1"
        eventually(lambda: shell.state("active_server") == f"LOCAL 127.0.0.1 {port}")
        assert shell.run(f'Write {W}KillServer("LOCAL")') == "1"
    finally:
        shell.close()


def console_log(home: Path) -> str:
    return (InstanceLayout(home, DEFAULT_INSTANCE).mgr / "cconsole.log").read_text(encoding="utf-8")
