"""Config.LicenseServers: [LicenseServers] in cache.cpf, with its validation rules."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Terminal

from cacheshell.system import server_config
from cacheshell.system.cpf import Cpf
from cacheshell.system.server_config import LicenseServer, ServerConfigError

CREATE = 'Set sc=##class(Config.LicenseServers).Create("{name}",.p) '
SHOW = "Write:sc sc Do:'sc $System.Status.DisplayError(sc)"


@pytest.fixture
def term() -> Iterator[Terminal]:
    """A terminal in %SYS: the Config classes are there only, as in Caché."""
    with Terminal(namespace="%SYS") as terminal:
        yield terminal


def create(term: Terminal, name: str, address: str, port: object = 4001) -> str:
    return term.run(
        f'Kill p Set p("Address")="{address}",p("Port")={port} ' + CREATE.format(name=name) + SHOW
    )


def cpf_section(term: Terminal) -> list[str]:
    text = (term.session.layout.mgr / "cache.cpf").read_text(encoding="utf-8")
    section = text.split("[LicenseServers]", 1)[1].split("\n\n", 1)[0]
    return [line for line in section.splitlines() if line]


# The servers the running instances of these tests are given are on addresses of other hosts
# (192.0.2.0/24 is for documentation): the instance never starts a daemon for them.
def default_line() -> str:
    """The LOCAL line every new instance has (Caché's default, at the test's own port)."""
    return f"LOCAL=127.0.0.1,{os.environ['CACHESHELL_LICENSE_PORT']}"


def test_create_stores_the_upper_cased_name_in_the_cpf(term: Terminal) -> None:
    assert create(term, "main", "192.0.2.1") == "1"
    assert create(term, "backup", "lic2.example.com", 4002) == "1"
    assert cpf_section(term) == [
        default_line(),
        "MAIN=192.0.2.1,4001",
        "BACKUP=lic2.example.com,4002",
    ]


@pytest.mark.parametrize(
    ("address", "port", "message"),
    [
        (
            "999.1.1.1",
            4001,
            "'999.1.1.1' is not a valid IPv4 address (dotted decimal, four numbers 0-255)",
        ),
        ("bad_host!", 4001, "'bad_host!' is neither an IP address nor a host name"),
        (
            "fe80::1",
            4001,
            "'fe80::1' is an IPv6 address, but IPv6 is not enabled for this instance",
        ),
        ("127.0.0.1", 1023, "Port 1023 is outside 1024-65535"),
        ("127.0.0.1", 65536, "Port 65536 is outside 1024-65535"),
    ],
)
def test_invalid_definitions_are_refused(
    term: Terminal, address: str, port: int, message: str
) -> None:
    assert create(term, "X", address, port) == f"\nERROR #5001: {message}\n"
    assert cpf_section(term) == [default_line()]


def test_ipv6_addresses_are_accepted_when_the_instance_enables_ipv6(term: Terminal) -> None:
    cpf = term.session.instance.cpf()
    cpf.set("Startup", "IPv6", "1")
    cpf.save()
    assert create(term, "six", "2001:fecd:ba23:cd1f:dcb1:1010:9234:4085") == "1"


def test_duplicate_names_and_shared_address_ports_are_refused(term: Terminal) -> None:
    assert create(term, "one", "192.0.2.1") == "1"
    assert create(term, "ONE", "192.0.2.2") == "\nERROR #5001: License server ONE already exists\n"
    assert create(term, "two", "192.0.2.1") == (
        "\nERROR #5001: License server ONE already uses 192.0.2.1 port 4001: two servers at one "
        "address need different ports\n"
    )
    assert create(term, "two", "192.0.2.1", 4002) == "1"
    port = os.environ["CACHESHELL_LICENSE_PORT"]
    assert create(term, "three", "127.0.0.1", port) == (
        f"\nERROR #5001: License server LOCAL already uses 127.0.0.1 port {port}: two servers "
        "at one address need different ports\n"
    )


def test_get_modify_exists_delete_and_the_list_query(term: Terminal) -> None:
    create(term, "main", "192.0.2.1")
    assert term.run('Kill q Do ##class(Config.LicenseServers).Get("main",.q) ZWrite q') == (
        'q("Address")="192.0.2.1"\nq("Port")=4001\n'
    )
    assert (
        term.run('Kill q Set q("Port")=4005 Write ##class(Config.LicenseServers).Modify("MAIN",.q)')
        == "1"
    )
    assert cpf_section(term) == [default_line(), "MAIN=192.0.2.1,4005"]
    assert term.session.instance.log.tail(1)[0].endswith(
        "License server MAIN changed (192.0.2.1,4005). After adding or deleting a license "
        "server, you may need to restart the Caché instance in order for the change to take "
        "effect."
    )
    assert (
        term.run(
            'Write ##class(Config.LicenseServers).Exists("main"),'
            '##class(Config.LicenseServers).Exists("nope")'
        )
        == "10"
    )
    assert term.run('Write ##class(Config.LicenseServers).Delete("main")') == "1"
    assert cpf_section(term) == [default_line()]
    assert term.session.instance.log.tail(1)[0].endswith(
        "License server MAIN deleted. After adding or deleting a license server, you may need "
        "to restart the Caché instance in order for the change to take effect."
    )


def test_adding_a_server_notes_that_a_restart_may_be_needed(term: Terminal) -> None:
    create(term, "main", "192.0.2.1")
    log = term.session.instance.log.tail(1)[0]
    assert log.endswith(
        "License server MAIN added (192.0.2.1,4001). After adding or deleting a "
        "license server, you may need to restart the Caché instance in order for the "
        "change to take effect."
    )


# -- hand-edited lines: not used, and said why ----------------------------------------------------
def hand_edited(tmp_path: Path, *lines: str, ipv6: bool = False) -> Cpf:
    path = tmp_path / "cache.cpf"
    startup = "[Startup]\nIPv6=1\n\n" if ipv6 else ""
    path.write_text(startup + "[LicenseServers]\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return Cpf(path)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("LS1=127.0.0.1,0", "Port 0 is outside 1024-65535"),
        ("LS1=127.0.0.1,99999", "Port 99999 is outside 1024-65535"),
        ("LS1=127.0.0.1,1023", "Port 1023 is outside 1024-65535"),
        ("LS1=127.0.0.1,-4001", "Port -4001 is outside 1024-65535"),
        ("LS1=127.0.0.1,abc", "Port 'abc' is not a number"),
        ("LS1=127.0.0.1,4001,4002", "Port '4001,4002' is not a number"),
        ("LS1=,4001", "The address of a license server is required"),
        (
            "LS1=999.1.1.1,4001",
            "'999.1.1.1' is not a valid IPv4 address (dotted decimal, four numbers 0-255)",
        ),
        ("LS1=bad_host!,4001", "'bad_host!' is neither an IP address nor a host name"),
        (
            "LS1=fe80::1,4001",
            "'fe80::1' is an IPv6 address, but IPv6 is not enabled for this instance",
        ),
        ("L S1=127.0.0.1,4001", "'L S1' is not a valid license server name"),
    ],
)
def test_a_line_create_would_refuse_is_not_used_and_is_reported(
    tmp_path: Path, line: str, problem: str
) -> None:
    cpf = hand_edited(tmp_path, line, "GOOD=127.0.0.1,4005")
    assert server_config.read(cpf) == (
        [LicenseServer("GOOD", "127.0.0.1", 4005)],
        [f"[LicenseServers] {line} is not used: {problem}"],
    )


def test_usable_hand_edited_lines_are_read_in_order_with_names_upper_cased(tmp_path: Path) -> None:
    cpf = hand_edited(tmp_path, "main=lic1.example.com", "Backup=10.0.0.2,4002", ipv6=False)
    assert server_config.read(cpf) == (
        [
            LicenseServer("MAIN", "lic1.example.com", 4001),
            LicenseServer("BACKUP", "10.0.0.2", 4002),
        ],
        [],
    )
    six = hand_edited(tmp_path, "SIX=fe80::1,4001", ipv6=True)
    assert server_config.servers(six) == [LicenseServer("SIX", "fe80::1", 4001)]


def test_a_second_line_for_one_name_or_one_address_and_port_is_not_used(tmp_path: Path) -> None:
    cpf = hand_edited(tmp_path, "ONE=127.0.0.1,4001", "one=127.0.0.2,4001", "TWO=127.0.0.1,4001")
    assert server_config.read(cpf) == (
        [LicenseServer("ONE", "127.0.0.1", 4001)],
        [
            "[LicenseServers] one=127.0.0.2,4001 is not used: License server ONE is defined twice",
            "[LicenseServers] TWO=127.0.0.1,4001 is not used: License server ONE already uses "
            "127.0.0.1 port 4001",
        ],
    )


def test_an_unused_line_is_mended_in_place_by_modify_and_removed_by_delete(
    tmp_path: Path,
) -> None:
    cpf = hand_edited(tmp_path, "ls1=127.0.0.1,0", "LS2=127.0.0.1,4002", "LS3=127.0.0.1,99999")
    with pytest.raises(ServerConfigError, match="^Port 0 is outside 1024-65535$"):
        server_config.modify(cpf, "LS1", address="127.0.0.9")
    assert server_config.modify(cpf, "LS1", port=4001) == LicenseServer("LS1", "127.0.0.1", 4001)
    server_config.delete(cpf, "ls3")
    assert Cpf(cpf.path).section("LicenseServers") == {
        "LS1": "127.0.0.1,4001",
        "LS2": "127.0.0.1,4002",
    }


def test_show_server_lists_the_lines_that_are_not_used(term: Terminal) -> None:
    cpf = term.session.instance.cpf()
    cpf.set("LicenseServers", "LS1", "127.0.0.1,0")
    cpf.save()
    port = os.environ["CACHESHELL_LICENSE_PORT"]
    assert term.run("Do $System.License.ShowServer()") == (
        f"\nActive license server address = 127.0.0.1 port = {port}\n"
        "[LicenseServers] LS1=127.0.0.1,0 is not used: Port 0 is outside 1024-65535\n"
    )
    listed = term.run('Do ##class(%ResultSet).RunQuery("Config.LicenseServers","List")')
    assert listed == f"Name:Address:Port:\nLOCAL:127.0.0.1:{port}:\n"
