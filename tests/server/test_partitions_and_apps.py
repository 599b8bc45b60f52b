"""Network partitions rehearsed by the training world (issue 4, item 8) and the ISC.* application
use a license server reports in ConnectionAppList (issue 5, item 4): real daemons on free
loopback ports, real instances with their license monitors on short update periods."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from servers import PERIOD, Shell, eventually, without_default

from cacheshell.system import server_config
from cacheshell.system.authkey import current_platform_code
from cacheshell.system.cpf import Cpf
from cacheshell.system.instance import CPF_FILE
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.keys import KeySpec, issue_from_spec
from cacheshell.system.layout import DEFAULT_INSTANCE, InstanceLayout
from cacheshell.system.licserver.protocol import (
    MAX_APPS,
    DomainKeys,
    InstanceId,
    Ping,
    ProtocolError,
    Update,
    UserUse,
    decode,
    encode,
    split_update,
)
from cacheshell.system.monitor import NOT_CONNECTED
from cacheshell.system.signing import training_private_key

W = "##class(Training.World)."
L = "$System.License."


def configure(home: Path, servers: list[tuple[str, int]]) -> None:
    cpf = Cpf(InstanceLayout(home, DEFAULT_INSTANCE).mgr / CPF_FILE)
    cpf.set("config", "LicenseUpdatePeriod", str(PERIOD))
    cpf.save()
    without_default(cpf)
    for name, port in servers:
        server_config.create(cpf, name, "127.0.0.1", port)


def connect(shell: Shell, var: str, user: str) -> str:
    return shell.run(f'Set {var}={W}ConnectUser("{user}","10.0.0.1") Write {var}.LicenseId')


def active(port: int, name: str) -> str:
    return f"{name} 127.0.0.1 {port}"


# -- partitions ----------------------------------------------------------------------------------
def test_partitioned_from_the_only_server_the_instance_works_alone_until_healed(
    cacheshell_home: Path, daemons: Callable[[str], int]
) -> None:
    port = daemons("ls1")
    shell = Shell(cacheshell_home)
    try:
        configure(cacheshell_home, [("LS1", port)])
        assert connect(shell, "a", "u1") == "u1@10.0.0.1"
        eventually(lambda: shell.state("active_server") == active(port, "LS1"))
        cut_at = time.monotonic()
        assert shell.run(f'Write {W}Partition("ls1")') == "1"
        assert shell.run(f'Write {W}Partition("LS1")') == "0"  # already cut
        eventually(lambda: shell.state("server_status") == NOT_CONNECTED)
        # 2 periods of silence, plus the probes' waits and the polling.
        assert time.monotonic() - cut_at < 2 * PERIOD + 3
        assert NOT_CONNECTED in shell.run(f"Do {L}ShowServer()")
        assert shell.run(f"Write {L}ActiveServerCount()") == "0"
        # Logins go on, admitted and released locally.
        assert connect(shell, "b", "u2") == "u2@10.0.0.1"
        assert shell.run("Write a.End()") == "1"
        assert connect(shell, "c", "u3") == "u3@10.0.0.1"
        assert not shell.state("nak")
        assert shell.run(f'Write {W}Heal("LS1")') == "1"
        eventually(lambda: shell.state("active_server") == active(port, "LS1"))
        assert shell.run(f'Write {W}Heal("LS1")') == "0"
        details = [
            detail
            for (detail,) in shell.session.instance.store.db.execute(
                "SELECT detail FROM events WHERE kind='partition' ORDER BY id"
            )
        ]
        assert details == [
            "license server LS1 cut off from this instance",
            "license server LS1 reachable again",
        ]
        assert "<ILLEGAL VALUE>" in shell.run(f'Write {W}Partition("NOSUCH")')
    finally:
        shell.close()


def test_partitioned_from_the_active_of_two_servers_the_instance_fails_over(
    cacheshell_home: Path, daemons: Callable[[str], int]
) -> None:
    first, second = daemons("ls1"), daemons("ls2")
    shell = Shell(cacheshell_home)
    try:
        configure(cacheshell_home, [("LS1", first), ("LS2", second)])
        connect(shell, "a", "u1")
        eventually(lambda: shell.state("active_server") == active(first, "LS1"))
        cut_at = time.monotonic()
        assert shell.run(f'Write {W}Partition("LS1")') == "1"
        eventually(lambda: shell.state("active_server") == active(second, "LS2"))
        assert time.monotonic() - cut_at < 2 * PERIOD + 3
        eventually(lambda: shell.state("dist_current") == 2)  # reported in full to LS2
        failovers = shell.session.instance.store.db.execute(
            "SELECT detail FROM events WHERE kind='failover'"
        ).fetchall()
        assert failovers and "LS1" in failovers[0][0] and "LS2" in failovers[0][0]
        # Still cut: the instance stays on LS2, although LS1 runs and answers others.
        time.sleep(3 * PERIOD)
        assert shell.state("active_server") == active(second, "LS2")
        assert shell.run(f'Write {W}Heal("LS1")') == "1"
        eventually(lambda: shell.state("active_server") == active(first, "LS1"))
    finally:
        shell.close()


def test_a_server_that_ignores_the_instance_makes_it_fail_over(
    cacheshell_home: Path, daemons: Callable[[str], int], tmp_path: Path
) -> None:
    first, second = daemons("ls1"), daemons("ls2")
    shell = Shell(cacheshell_home)
    try:
        configure(cacheshell_home, [("LS1", first), ("LS2", second)])
        connect(shell, "a", "u1")
        eventually(lambda: shell.state("active_server") == active(first, "LS1"))
        assert shell.run(f'Write {W}PartitionInstance("LS1")') == "1"
        marker = tmp_path / "ls1" / f"partition-{DEFAULT_INSTANCE}"
        assert marker.exists()
        assert shell.run(f'Write {W}PartitionInstance("LS1")') == "0"
        eventually(lambda: shell.state("active_server") == active(second, "LS2"))
        assert not (tmp_path / "ls2" / f"partition-{DEFAULT_INSTANCE}").exists()
        log = (tmp_path / "ls1" / "licenseserver.log").read_text(encoding="utf-8")
        assert f"instance {DEFAULT_INSTANCE} is partitioned off" in log
        assert shell.run(f'Write {W}HealInstance("LS1")') == "1"
        assert not marker.exists()
        eventually(lambda: shell.state("active_server") == active(first, "LS1"))
        assert shell.run(f'Write {W}HealInstance("LS1")') == "0"
    finally:
        shell.close()


def test_a_server_that_ignores_the_only_connection_leaves_the_instance_alone(
    cacheshell_home: Path, daemons: Callable[[str], int]
) -> None:
    port = daemons("ls1")
    shell = Shell(cacheshell_home)
    try:
        configure(cacheshell_home, [("LS1", port)])
        eventually(lambda: shell.state("active_server") == active(port, "LS1"))
        assert shell.run(f'Write {W}PartitionInstance("LS1")') == "1"
        eventually(lambda: shell.state("server_status") == NOT_CONNECTED)
        assert connect(shell, "a", "u1") == "u1@10.0.0.1"
        assert shell.run(f'Write {W}HealInstance("LS1")') == "1"
        eventually(lambda: shell.state("active_server") == active(port, "LS1"))
        # A server not running on this host cannot be told to ignore anyone.
        configure(cacheshell_home, [("FAR", 4999)])
        assert "not running on this host" in shell.run(f'Write {W}PartitionInstance("FAR")')
    finally:
        shell.close()


# -- ConnectionAppList ---------------------------------------------------------------------------
def test_connection_app_list_shows_the_isc_features_each_id_holds(
    cacheshell_home: Path, daemons: Callable[[str], int], tmp_path: Path
) -> None:
    port = daemons("ls1")
    key = issue_from_spec(
        KeySpec(
            units=5,
            multi=True,
            order_number=100002,
            app_sections=(
                ("ISC.Demo", (("Users", "5"), ("Edition", "Gold"))),
                ("Acme.Lab", (("Seats", "3"),)),
            ),
        ),
        training_private_key(),
        current_platform_code(),
    )
    path = tmp_path / "demo.key"
    path.write_text(render_key_file(key.file), encoding="utf-8")
    shell = Shell(cacheshell_home)
    try:
        activation = shell.session.instance.activate(path)
        assert activation.result == "1", activation.result
        configure(cacheshell_home, [("LS1", port)])
        me = shell.session.process.license_id
        assert shell.run(f'Write {L}TakeApplicationLicense("ISC.Demo","Users",.n),n') == "11"
        assert shell.run(f'Write {L}TakeApplicationLicense("Acme.Lab","Seats",.n),n') == "11"
        connect(shell, "a", "u1")  # an ID holding no application

        def rows() -> list[list[str]]:
            text = shell.run(
                'Set rs=##class(%ResultSet).%New("%SYSTEM.License:ConnectionAppList") '
                'Do rs.Execute() While rs.Next() { For i=1:1:6 { Write rs.GetData(i),"|" } '
                'Write "#" }'
            )
            return [row.split("|")[:6] for row in text.split("#") if row]

        found = eventually(lambda: [row for row in rows() if row[0] == me and row[5]])
        assert found == [[me, "1", found[0][2], found[0][3], DEFAULT_INSTANCE, "ISC.Demo,Users"]]
        assert [row[5] for row in rows() if row[0] == "u1@10.0.0.1"] == [""]
        # Returned: the next update clears the column.
        assert shell.run(f'Do {L}ReturnApplicationLicense("ISC.Demo","Users",.r) Write r') == "1"
        eventually(lambda: [row[5] for row in rows() if row[0] == me] == [""])
    finally:
        shell.close()


def test_the_application_cell_of_a_user_row_is_optional_on_the_wire() -> None:
    who = InstanceId("10.0.0.1", "CACHE", "0123456789abcdef", "fedcba9876543210")
    kid = bytes(range(32))
    keys, epoch = DomainKeys.from_secret(b"s" * 32), bytes(8)
    update = Update(
        kid,
        1,
        who,
        True,
        0,
        0.3,
        2,
        2,
        (UserUse("alice", 1, 1, "ISC.Demo,Users;ISC.Demo,Admins"), UserUse("bob", 1, 1)),
    )
    data = encode(update, keys, epoch)
    assert b'["bob",1,1]' in data  # a row without applications is the old row
    assert decode(data, keys) == (epoch, update)
    too_long = Update(kid, 2, who, True, 0, 0.3, 1, 1, (UserUse("x", 1, 1, "a" * (MAX_APPS + 1)),))
    with pytest.raises(ProtocolError):
        decode(encode(too_long, keys, epoch), keys)
    many = Update(
        kid,
        3,
        who,
        True,
        0,
        0.3,
        60,
        60,
        tuple(UserUse(f"user{i}", 1, 1, "ISC.Demo,Users" * 20) for i in range(60)),
    )
    parts = split_update(many)
    assert len(parts) > 1 and all(len(encode(part, keys, epoch)) <= 1400 for part in parts)
    assert decode(encode(Ping("00000000ffffffff", "CACHE"), keys, epoch), keys) == (
        epoch,
        Ping("00000000ffffffff", "CACHE"),
    )
    assert decode(encode(Ping("00000000ffffffff"), keys, epoch), keys)[1] == Ping(
        "00000000ffffffff"
    )
