"""Config.config: Get and Modify over [config] in cache.cpf, validated by system/settings.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import Terminal

from cacheshell.system.cpf import Cpf

MODIFY = (
    "Set sc=##class(Config.config).Modify(.p) Write:sc sc Do:'sc $System.Status.DisplayError(sc)"
)
GET = "Kill p Set sc=##class(Config.config).Get(.p) Write sc ZWrite p"


@pytest.fixture
def term() -> Iterator[Terminal]:
    """A terminal in %SYS: the Config classes are there only, as in Caché."""
    with Terminal(namespace="%SYS") as terminal:
        yield terminal


def config_section(term: Terminal) -> dict[str, str]:
    return Cpf(term.session.layout.mgr / "cache.cpf").section("config")


def test_get_of_a_fresh_install_gives_the_defaults(term: Terminal) -> None:
    assert term.run(GET) == '1p("LicenseUpdatePeriod")=15\np("gmheap")=37568\n'


def test_modify_changes_only_the_properties_given(term: Terminal) -> None:
    assert term.run('Set p("LicenseUpdatePeriod")=.5 ' + MODIFY) == "1"
    assert config_section(term) == {"gmheap": "37568", "LicenseUpdatePeriod": ".5"}
    assert term.run(GET) == '1p("LicenseUpdatePeriod")=.5\np("gmheap")=37568\n'
    assert term.run('Kill p Set p("gmheap")=65536 ' + MODIFY) == "1"
    assert config_section(term) == {"gmheap": "65536", "LicenseUpdatePeriod": ".5"}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "LicenseUpdatePeriod",
            "0.1",
            "LicenseUpdatePeriod=.1 is below the minimum of 0.2 seconds",
        ),
        (
            "LicenseUpdatePeriod",
            "3601",
            "LicenseUpdatePeriod=3601 is above the maximum of 3600 seconds",
        ),
        ("LicenseUpdatePeriod", '"soon"', "LicenseUpdatePeriod=soon is not a number of seconds"),
        ("LicenseUpdatePeriod", '""', "LicenseUpdatePeriod cannot be empty"),
        ("gmheap", "-1", "gmheap=-1 is negative"),
        ("gmheap", "1.5", "gmheap=1.5 is not a whole number of KB"),
        (
            "MaxServers",
            "3",
            "MaxServers is not a [config] property this instance knows "
            "(LicenseUpdatePeriod, gmheap)",
        ),
    ],
)
def test_a_value_that_is_not_valid_is_an_error_status_and_nothing_changes(
    term: Terminal, name: str, value: str, message: str
) -> None:
    before = config_section(term)
    assert term.run(f'Set p("{name}")={value} ' + MODIFY) == f"\nERROR #5001: {message}\n"
    assert config_section(term) == before


def test_one_bad_value_keeps_the_good_ones_from_being_written(term: Terminal) -> None:
    out = term.run('Set p("LicenseUpdatePeriod")=1,p("gmheap")="lots" ' + MODIFY)
    assert out == "\nERROR #5001: gmheap=lots is not a whole number of KB\n"
    assert "LicenseUpdatePeriod" not in config_section(term)


def test_another_cpf_file_is_refused(term: Terminal) -> None:
    out = term.run(
        'Set p("gmheap")=1 Set sc=##class(Config.config).Modify(.p,"other.cpf") '
        "Do $System.Status.DisplayError(sc)"
    )
    assert out == "\nERROR #5001: Only the active CPF file can be read or modified here\n"
