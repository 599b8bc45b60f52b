"""The shipped application-license sample and its checksum check work end to end."""

from __future__ import annotations

from pathlib import Path

from conftest import Terminal

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
L = "$SYSTEM.License"


def install(term: Terminal) -> None:
    term.routine("LabCheck", (EXAMPLES / "LabCheck.mac").read_text(encoding="utf-8"))


def test_the_sample_loads_and_its_checksum_holds(term: Terminal) -> None:
    install(term)
    ini = EXAMPLES / "lab_application.ini"
    assert term.run(f'Write $$load^LabCheck("{ini}","LabApp")') == "1"
    assert (
        term.run(
            f'Set sc={L}.TakeApplicationLicense("LabApp","Lab Users",.n) Write sc,n,'
            f'{L}.GetAppLicenseFree("LabApp","Lab Users")'
        )
        == "1149"
    )
    assert term.run(f'Write {L}.GetAppLicenseValue("LabApp","Extended Lab Reports")') == ("Enabled")


def test_an_edited_license_fails_the_check(term: Terminal, tmp_path: Path) -> None:
    install(term)
    edited = (
        (EXAMPLES / "lab_application.ini")
        .read_text(encoding="utf-8")
        .replace("Lab Users=50", "Lab Users=500")
    )
    (tmp_path / "lab.ini").write_text(edited, encoding="utf-8")
    assert term.run(f'Write $$load^LabCheck("{tmp_path / "lab.ini"}","LabApp")') == "0"
