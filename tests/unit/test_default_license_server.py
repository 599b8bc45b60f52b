"""A new instance's license server, and who may run the chapter's emergency Upgrade.

Sources: Caché Parameter File Reference, [LicenseServers]: "LOCAL=127.0.0.1,4001 - Default"
(https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=RCPF_LicenseServers_n);
Caché System Administration Guide, "Upgrading a License from the Operating System Command Line"
(https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=GSA_license); Caché
Security Administration Guide, Emergency Access (root, or the user who installed the instance:
https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=GCAS_secmgmt_emerg).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cacheshell.frontends.csession import license_utility
from cacheshell.system import server_config
from cacheshell.system.cpf import Cpf
from cacheshell.system.process import administers
from cacheshell.system.server_config import ServerConfigError


@pytest.mark.parametrize(
    ("environ", "section"),
    [
        ({}, {"LOCAL": "127.0.0.1,4001"}),  # Caché's default, as the CPF reference gives it
        ({"CACHESHELL_LICENSE_PORT": ""}, {"LOCAL": "127.0.0.1,4001"}),
        ({"CACHESHELL_LICENSE_PORT": "4101"}, {"LOCAL": "127.0.0.1,4101"}),
        ({"CACHESHELL_LICENSE_PORT": " 65535 "}, {"LOCAL": "127.0.0.1,65535"}),
        ({"CACHESHELL_LICENSE_PORT": "1024"}, {"LOCAL": "127.0.0.1,1024"}),
    ],
)
def test_a_new_instance_is_configured_with_the_local_server(
    environ: dict[str, str], section: dict[str, str]
) -> None:
    assert server_config.default_section(environ) == section


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "CACHESHELL_LICENSE_PORT=abc: Port 'abc' is not a number"),
        ("1023", "CACHESHELL_LICENSE_PORT=1023: Port 1023 is outside 1024-65535"),
        ("65536", "CACHESHELL_LICENSE_PORT=65536: Port 65536 is outside 1024-65535"),
        ("4001,4002", "CACHESHELL_LICENSE_PORT=4001,4002: Port '4001,4002' is not a number"),
    ],
)
def test_a_license_port_setting_that_is_not_a_port_is_refused(value: str, message: str) -> None:
    with pytest.raises(ServerConfigError) as refused:
        server_config.default_section({"CACHESHELL_LICENSE_PORT": value})
    assert str(refused.value) == message


def test_the_default_cpf_has_the_line_the_cpf_reference_shows(tmp_path: Path) -> None:
    cpf = Cpf.create(tmp_path / "cache.cpf")
    text = (tmp_path / "cache.cpf").read_text(encoding="utf-8")
    assert text.endswith("[LicenseServers]\nLOCAL=127.0.0.1,4001\n")
    assert server_config.read(cpf) == ([server_config.LicenseServer("LOCAL", "127.0.0.1")], [])


@pytest.mark.parametrize(
    ("entry", "namespace", "utility"),
    [
        # The chapter's line, verbatim, and as a user may spell the case-blind parts.
        (
            "##Class(%SYSTEM.License).Upgrade()",
            "%SYS",
            "##Class(%SYSTEM.License).Upgrade()",
        ),
        ("##class(%SYSTEM.License).Upgrade()", "%sys", "##class(%SYSTEM.License).Upgrade()"),
        # Anything else is an ordinary user's one-shot: it needs a unit.
        ("##Class(%SYSTEM.License).Upgrade()", "USER", ""),
        ("##Class(%SYSTEM.License).ShowCounts()", "%SYS", ""),
        ("##Class(%SYSTEM.License).Upgrade() Write 1", "%SYS", ""),
        ("##Class(%system.license).upgrade()", "%SYS", ""),  # class and method names: exact
        ("^%ZSTART", "%SYS", ""),
    ],
)
def test_only_the_license_upgrade_in_sys_is_the_emergency_utility(
    entry: str, namespace: str, utility: str
) -> None:
    assert license_utility(entry, namespace) == utility


def _other_uid(owner: int) -> int:
    return owner + 1 if owner + 1 != 0 else owner + 2


@pytest.mark.parametrize(
    ("who", "administers_it"),
    [("root", True), ("owner", True), ("someone else", False)],
)
def test_the_os_user_who_administers_an_instance(
    tmp_path: Path, who: str, administers_it: bool
) -> None:
    owner = tmp_path.stat().st_uid
    uid = {"root": 0, "owner": owner, "someone else": _other_uid(owner)}[who]
    assert administers(tmp_path, uid) is administers_it


def test_a_missing_manager_directory_is_administered_by_nobody(tmp_path: Path) -> None:
    assert administers(tmp_path / "gone", os.geteuid()) is False
