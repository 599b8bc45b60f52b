"""Config.LicenseServers: [LicenseServers] in cache.cpf, with its validation rules."""

from __future__ import annotations

import pytest
from conftest import Terminal

CREATE = 'Set sc=##class(Config.LicenseServers).Create("{name}",.p) '
SHOW = "Write:sc sc Do:'sc $System.Status.DisplayError(sc)"


def create(term: Terminal, name: str, address: str, port: object = 4001) -> str:
    return term.run(
        f'Kill p Set p("Address")="{address}",p("Port")={port} ' + CREATE.format(name=name) + SHOW
    )


def cpf_section(term: Terminal) -> list[str]:
    text = (term.session.layout.mgr / "cache.cpf").read_text(encoding="utf-8")
    section = text.split("[LicenseServers]", 1)[1].split("\n\n", 1)[0]
    return [line for line in section.splitlines() if line]


def test_create_stores_the_upper_cased_name_in_the_cpf(term: Terminal) -> None:
    assert create(term, "local", "127.0.0.1") == "1"
    assert create(term, "backup", "lic2.example.com", 4002) == "1"
    assert cpf_section(term) == ["LOCAL=127.0.0.1,4001", "BACKUP=lic2.example.com,4002"]


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
    assert cpf_section(term) == []


def test_ipv6_addresses_are_accepted_when_the_instance_enables_ipv6(term: Terminal) -> None:
    cpf = term.session.instance.cpf()
    cpf.set("Startup", "IPv6", "1")
    cpf.save()
    assert create(term, "six", "2001:fecd:ba23:cd1f:dcb1:1010:9234:4085") == "1"


def test_duplicate_names_and_shared_address_ports_are_refused(term: Terminal) -> None:
    assert create(term, "one", "127.0.0.1") == "1"
    assert create(term, "ONE", "127.0.0.2") == "\nERROR #5001: License server ONE already exists\n"
    assert create(term, "two", "127.0.0.1") == (
        "\nERROR #5001: License server ONE already uses 127.0.0.1 port 4001: two servers at one "
        "address need different ports\n"
    )
    assert create(term, "two", "127.0.0.1", 4002) == "1"


def test_get_modify_exists_delete_and_the_list_query(term: Terminal) -> None:
    create(term, "main", "127.0.0.1")
    assert term.run('Kill q Do ##class(Config.LicenseServers).Get("main",.q) ZWrite q') == (
        'q("Address")="127.0.0.1"\nq("Port")=4001\n'
    )
    assert (
        term.run('Kill q Set q("Port")=4005 Write ##class(Config.LicenseServers).Modify("MAIN",.q)')
        == "1"
    )
    assert cpf_section(term) == ["MAIN=127.0.0.1,4005"]
    assert (
        term.run(
            'Write ##class(Config.LicenseServers).Exists("main"),'
            '##class(Config.LicenseServers).Exists("nope")'
        )
        == "10"
    )
    assert term.run('Write ##class(Config.LicenseServers).Delete("main")') == "1"
    assert cpf_section(term) == []
    log = term.session.instance.log.tail(3)
    assert any("you may need to restart the instance" in line for line in log)


def test_adding_a_server_notes_that_a_restart_may_be_needed(term: Terminal) -> None:
    create(term, "main", "127.0.0.1")
    log = term.session.instance.log.tail(1)[0]
    assert log.endswith(
        "License server MAIN added (127.0.0.1,4001). After adding or deleting a "
        "license server you may need to restart the instance for the change to "
        "take effect."
    )
