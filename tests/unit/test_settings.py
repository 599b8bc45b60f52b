"""Configured values read from cache.cpf: each validated, with the problem said in full and a safe
value used instead; the license monitor tells a bad update period once in the console log."""

from __future__ import annotations

from pathlib import Path

import pytest

from cacheshell.system import monitor, settings
from cacheshell.system.cpf import Cpf
from cacheshell.system.instance import Instance
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.lifecycle import open_running
from cacheshell.system.settings import Setting


def cpf_with(tmp_path: Path, **config: str) -> Cpf:
    cpf = Cpf(tmp_path / "cache.cpf")
    for name, value in config.items():
        cpf.set("config", name, value)
    return cpf


NOT_A_NUMBER = "is not a number of seconds; using the default 15"
NOT_POSITIVE = "is not a positive number of seconds; using the default 15"
TOO_SHORT = "is below the minimum of 0.2 seconds; using 0.2"
TOO_LONG = "is above the maximum of 3600 seconds; using 3600"


@pytest.mark.parametrize(
    ("text", "value", "problem"),
    [
        ("15", 15.0, ""),
        ("0.3", 0.3, ""),
        ("0.2", 0.2, ""),
        ("3600", 3600.0, ""),
        ("", 15.0, ""),
        ("1e-6", 0.2, f"LicenseUpdatePeriod=1e-6 {TOO_SHORT}"),
        ("0", 15.0, f"LicenseUpdatePeriod=0 {NOT_POSITIVE}"),
        ("-1", 15.0, f"LicenseUpdatePeriod=-1 {NOT_POSITIVE}"),
        ("abc", 15.0, f"LicenseUpdatePeriod=abc {NOT_A_NUMBER}"),
        ("nan", 15.0, f"LicenseUpdatePeriod=nan {NOT_A_NUMBER}"),
        ("inf", 15.0, f"LicenseUpdatePeriod=inf {NOT_A_NUMBER}"),
        ("1_000", 15.0, f"LicenseUpdatePeriod=1_000 {NOT_A_NUMBER}"),
        ("1e999", 3600.0, f"LicenseUpdatePeriod=1e999 {TOO_LONG}"),
        ("86400", 3600.0, f"LicenseUpdatePeriod=86400 {TOO_LONG}"),
        ("9" * 60, 3600.0, f"LicenseUpdatePeriod={'9' * 37}... {TOO_LONG}"),
    ],
)
def test_update_period(tmp_path: Path, text: str, value: float, problem: str) -> None:
    assert settings.update_period(cpf_with(tmp_path, LicenseUpdatePeriod=text)) == Setting(
        value, problem
    )


def test_a_missing_update_period_is_the_default_without_a_problem(tmp_path: Path) -> None:
    assert settings.update_period(Cpf(tmp_path / "cache.cpf")) == Setting(15.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("37568", Setting(37568)),
        ("0", Setting(0)),
        ("", Setting(37568)),
        ("abc", Setting(37568, "gmheap=abc is not a whole number of KB; using the default 37568")),
        ("1.5", Setting(37568, "gmheap=1.5 is not a whole number of KB; using the default 37568")),
        ("-64", Setting(37568, "gmheap=-64 is negative; using the default 37568")),
        (
            "2000000000",
            Setting(
                1073741760,
                "gmheap=2000000000 is above the maximum of 1073741760 KB; using 1073741760",
            ),
        ),
    ],
)
def test_gmheap(tmp_path: Path, text: str, expected: Setting[int]) -> None:
    assert settings.gmheap(cpf_with(tmp_path, gmheap=text)) == expected


def test_problems_lists_every_unusable_value(tmp_path: Path) -> None:
    cpf = cpf_with(tmp_path, LicenseUpdatePeriod="1e-6", gmheap="lots")
    assert settings.problems(cpf) == [
        "LicenseUpdatePeriod=1e-6 is below the minimum of 0.2 seconds; using 0.2",
        "gmheap=lots is not a whole number of KB; using the default 37568",
    ]
    assert settings.problems(cpf_with(tmp_path, LicenseUpdatePeriod="0.5")) == []


# -- told once in the console log -----------------------------------------------------------------
def set_period(instance: Instance, text: str) -> None:
    cpf = instance.cpf()
    cpf.set("config", "LicenseUpdatePeriod", text)
    cpf.save()


def warnings(instance: Instance) -> list[str]:
    return [line.split(") ", 1)[1] for line in instance.log.tail(100) if ") 1 " in line]


def test_the_monitor_tells_a_bad_period_once_per_start_and_again_when_it_changes(
    cacheshell_home: Path,
) -> None:
    instance = open_running(InstanceLayout(cacheshell_home, "CACHE"), create_default=True)
    set_period(instance, "1e-6")
    assert [monitor.update_period(instance) for _ in range(3)] == [0.2, 0.2, 0.2]
    told = "1 LicenseUpdatePeriod=1e-6 is below the minimum of 0.2 seconds; using 0.2"
    assert warnings(instance) == [told]
    set_period(instance, "-1")
    monitor.update_period(instance)
    monitor.update_period(instance)
    negative = "1 LicenseUpdatePeriod=-1 is not a positive number of seconds; using the default 15"
    assert warnings(instance) == [told, negative]
    set_period(instance, "1e-6")
    monitor.update_period(instance)
    assert warnings(instance) == [told, negative, told]
    instance.stop()
    instance.start()
    monitor.update_period(instance)
    assert warnings(instance) == [told, negative, told, told]


def test_a_period_mended_and_broken_again_is_told_again(cacheshell_home: Path) -> None:
    instance = open_running(InstanceLayout(cacheshell_home, "CACHE"), create_default=True)
    set_period(instance, "abc")
    monitor.update_period(instance)
    set_period(instance, "0.5")
    assert monitor.update_period(instance) == 0.5
    set_period(instance, "abc")
    assert monitor.update_period(instance) == 15.0
    told = "1 LicenseUpdatePeriod=abc is not a number of seconds; using the default 15"
    assert warnings(instance) == [told, told]
