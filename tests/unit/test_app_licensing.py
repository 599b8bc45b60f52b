"""Application licensing: loading, taking and returning, reading values, automatic release."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Terminal

LAB = """[LabApp]
Lab Users=50
Lab Administrators=2
Lab Devices=5
Extended Lab Reports=Enabled
"""
L = "$SYSTEM.License"


@pytest.fixture
def lab(tmp_path: Path) -> str:
    path = tmp_path / "lab.ini"
    path.write_text(LAB, encoding="utf-8")
    return str(path)


def load(term: Terminal, path: str, app: str = "LabApp") -> str:
    return term.run(f'Write {L}.LoadAppLicenseFile("{path}","{app}")')


def take(term: Terminal, feature: str = "Lab Administrators", app: str = "LabApp") -> str:
    return term.run(
        f'Kill c Set sc={L}.TakeApplicationLicense("{app}","{feature}",.c) '
        'Write $Get(c)," " Do:\'sc $System.Status.DisplayError(sc)'
    )


def test_the_chapters_sample_loads_and_reads(term: Terminal, lab: str) -> None:
    assert load(term, lab) == "0"
    assert term.run(f'Write $TR({L}.GetAppLicense("LabApp"),$c(0),"|")') == (
        "Lab Users|Lab Administrators|Lab Devices|Extended Lab Reports|"
    )
    assert term.run(f'Write $TR({L}.GetAppLicense("LabApp",1),$c(0),"|")') == (
        "Lab Users=50|Lab Administrators=2|Lab Devices=5|Extended Lab Reports=Enabled||"
    )
    assert term.run(f'Write {L}.GetAppLicenseValue("LabApp","Extended Lab Reports")') == "Enabled"
    assert term.run(f'Write {L}.GetAppLicenseValue("LabApp","Nothing")') == ""
    assert (
        term.run(
            f'Write {L}.IsAppLicensed("LabApp"),{L}.IsAppLicensed("LabApp","Lab Users"),'
            f'{L}.IsAppLicensed("LabApp","No"),{L}.IsAppLicensed("Other")'
        )
        == "1100"
    )
    assert term.run(f'Write $LTS({L}.GetAppNames("U")),"|",$LL({L}.GetAppNames("P"))') == (
        "LabApp|0"
    )


def test_a_pool_counts_takes_and_refuses_when_exhausted(term: Terminal, lab: str) -> None:
    load(term, lab)
    assert take(term) == "1 "
    assert take(term) == "2 "
    assert take(term) == "0 \nERROR #5915: Cannot allocate a license\n"
    assert (
        term.run(
            f'Write {L}.GetAppLicenseUsed("LabApp","Lab Administrators"),"/",'
            f'{L}.GetAppLicenseFree("LabApp","Lab Administrators"),"/",'
            f'{L}.GetAppLicenseMin("LabApp","Lab Administrators")'
        )
        == "2/0/0"
    )
    assert (
        term.run(
            f'Set sc={L}.ReturnApplicationLicense("LabApp","Lab Administrators",.r) Write sc,r'
        )
        == "11"
    )
    assert term.run(f'Write {L}.GetAppLicenseFree("LabApp","Lab Administrators")') == "1"


def test_the_default_feature_is_concurrent_users(term: Terminal, tmp_path: Path) -> None:
    path = tmp_path / "app.ini"
    path.write_text("[MyApp]\nConcurrent Users=3\n", encoding="utf-8")
    load(term, str(path), "MyApp")
    assert term.run(f'Set sc={L}.TakeApplicationLicense("MyApp",,.c) Write sc,c') == "11"
    assert term.run(f'Write {L}.GetAppLicenseUsed("MyApp","Concurrent Users")') == "1"


def test_non_numeric_values_are_readable_only(term: Terminal, lab: str) -> None:
    load(term, lab)
    assert take(term, "Extended Lab Reports") == "0 \nERROR #5915: Cannot allocate a license\n"
    assert term.run(f'Write "[",{L}.GetAppLicenseUsed("LabApp","Extended Lab Reports"),"]"') == (
        "[]"
    )
    assert (
        term.run(f'Write "[",{L}.CheckAppLicenseUsed("LabApp","Extended Lab Reports"),"]"') == "[]"
    )


def test_an_application_not_loaded_is_an_invalid_argument(term: Terminal) -> None:
    assert take(term, app="Nope") == (" \nERROR #5002: Cache error: <INVALID ARGUMENT>\n")
    assert term.run(f'Write {L}.GetAppLicenseValue("Nope","x")') == (
        f'\nWRITE {L}.GetAppLicenseValue("Nope","x")\n^\n<INVALID ARGUMENT>\n'
    )


@pytest.mark.parametrize(
    ("text", "app", "code"),
    [
        (None, "LabApp", 1),  # no file
        ("[Other]\nA=1\n", "LabApp", 1),  # no such section
        ("[LabApp]\n", "LabApp", 1),  # empty section
        ("[LabApp]\njust text\n", "LabApp", 1),  # malformed line
        ("[LabApp]\nA=1\nA=2\n", "LabApp", 1),  # keyword not unique
        ("[labapp]\nA=1\n", "LabApp", 1),  # section names are case-sensitive
        ("[LabApp]\n" + "".join(f"K{i:05d}={'v' * 40}\n" for i in range(400)), "LabApp", 2),
        ("[LabApp]\n" + "K" * 48 + "=1\n", "LabApp", 5),
        ("[LabApp]\nA=" + "9" * 48 + "\n", "LabApp", 5),
        ("[" + "A" * 48 + "]\nA=1\n", "A" * 48, 6),
        ("[Lab.App]\nA=1\n", "Lab.App", 1),  # no period in an application name
    ],
)
def test_malformed_files_give_their_code_and_change_nothing(
    term: Terminal,
    lab: str,
    tmp_path: Path,
    text: str | None,
    app: str,
    code: int,
) -> None:
    load(term, lab)
    take(term)
    path = tmp_path / "bad.ini"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    assert load(term, str(path), app) == str(code)
    assert term.run(f'Write $TR({L}.GetAppLicense("LabApp",1),$c(0),"|")') == (
        "Lab Users=50|Lab Administrators=2|Lab Devices=5|Extended Lab Reports=Enabled||"
    )
    assert term.run(f'Write {L}.GetAppLicenseUsed("LabApp","Lab Administrators")') == "1"


def test_loading_again_replaces_values_and_keeps_units_in_use(
    term: Terminal,
    lab: str,
    tmp_path: Path,
) -> None:
    load(term, lab)
    take(term)
    take(term, "Lab Devices")
    newer = tmp_path / "newer.ini"
    newer.write_text("[LabApp]\nLab Administrators=1\nLab Users=60\n", encoding="utf-8")
    assert load(term, str(newer)) == "0"
    assert (
        term.run(
            f'Write {L}.GetAppLicenseUsed("LabApp","Lab Administrators"),'
            f'{L}.GetAppLicenseFree("LabApp","Lab Administrators"),"/",'
            f'{L}.IsAppLicensed("LabApp","Lab Devices")'
        )
        == "10/0"
    )


def test_units_return_when_the_process_ends(lab: str) -> None:
    with Terminal() as first:
        load(first, lab)
        with Terminal() as second:
            assert take(second) == "1 "
            assert take(second) == "2 "
            assert take(first) == "0 \nERROR #5915: Cannot allocate a license\n"
        assert first.run(f'Write {L}.GetAppLicenseFree("LabApp","Lab Administrators")') == "2"


def test_the_application_user_list_query(term: Terminal, lab: str) -> None:
    load(term, lab)
    take(term)
    take(term)
    take(term, "Lab Users")
    assert term.run(
        'Do ##class(%ResultSet).RunQuery("%SYSTEM.License","ApplicationUserList","LabApp",1)'
    ) == (
        "UserId:Type:Connects:MaxCon:CSPCon:LU:Active:Grace:AppLicenses:\n"
        # MaxCon as UserList gives it: the most connections the ID had at once (S1 ROWSPEC doc).
        + "127.0.0.1:User:1:1:0:1:0:0:"
        + "\x16\x01Lab Administrators=2\x0d\x01Lab Users=1:\n"
    )


def test_check_app_license_used_recounts(term: Terminal, lab: str) -> None:
    load(term, lab)
    take(term)
    assert term.run(f'Write {L}.CheckAppLicenseUsed("LabApp","Lab Administrators")') == "1,1,0"


def test_protected_sections_of_the_key_are_licensed_and_signed(
    term: Terminal,
    tmp_path: Path,
) -> None:
    from datetime import date

    from cacheshell.system import authkey, keys, signing
    from cacheshell.system.keyfile import render_key_file

    key = keys.issue_key(
        units=10,
        multi=True,
        expires=date(2099, 1, 1),
        customer="Lab Co",
        order_number=42,
        private_key=signing.training_private_key(),
        platform_code=authkey.current_platform_code(),
        app_sections=[("Acme.Lab", [("Concurrent Users", "3"), ("Modules", "Lab, Radiology")])],
    )
    path = tmp_path / "lab.key"
    path.write_text(render_key_file(key.file), encoding="utf-8")
    assert term.run(f'Write ##class(Portal.LicenseKey).Activate("{path}")').endswith("1")
    assert (
        term.run(
            f'Write $LTS({L}.GetAppNames("P")),"|",{L}.GetAppLicenseValue("Acme.Lab","Modules")'
        )
        == "Acme.Lab|Lab, Radiology"
    )
    assert take(term, "Concurrent Users", app="Acme.Lab") == "1 "
    # The section is covered by the key's signature: editing it makes the key invalid.
    edited = path.read_text(encoding="utf-8").replace("Concurrent Users=3", "Concurrent Users=300")
    path.write_text(edited, encoding="utf-8")
    assert term.run(f'Write {L}.IsValidKey("{path}")').startswith("0 ")


def test_a_csp_session_takes_and_its_end_returns(term: Terminal, lab: str) -> None:
    load(term, lab)
    assert (
        term.run(
            "Set s=##class(Training.World).StartCSP() Do s.View() "
            f'Set sc={L}.TakeApplicationLicense("LabApp","Lab Devices",.c,s) Write sc,c'
        )
        == "11"
    )
    assert term.run(f'Write {L}.GetAppLicenseUsed("LabApp","Lab Devices")') == "1"
    assert term.run("Do s.End() Write " + f'{L}.GetAppLicenseUsed("LabApp","Lab Devices")') == "0"


def test_a_csp_session_that_times_out_returns_its_units(term: Terminal, lab: str) -> None:
    load(term, lab)
    term.run("Do ##class(Training.World).SimulateClock()")
    term.run(
        "Set s=##class(Training.World).StartCSP(60) Do s.View() "
        f'Set sc={L}.TakeApplicationLicense("LabApp","Lab Devices",.c,s)'
    )
    assert (
        term.run(
            "Do ##class(Training.World).AdvanceClock(61) "
            f'Write {L}.GetAppLicenseUsed("LabApp","Lab Devices")'
        )
        == "0"
    )
