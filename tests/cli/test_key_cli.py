"""`cacheshell key issue|show`, run as a user runs them (a subprocess)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import run_cli

from cacheshell.system.authkey import PLATFORMS, current_platform_code

HERE = current_platform_code()
HERE_NAME = f"{PLATFORMS[HERE]} ({HERE})"
SIGNATURE_REASON = (
    "License key signature is not valid: the key was changed after it was "
    "issued, or its issuer is not trusted"
)


def issue(tmp_path: Path, *options: str) -> Path:
    out = tmp_path / "cache.key"
    done = run_cli("key", "issue", *options, "-o", str(out))
    assert (done.stderr, done.returncode) == ("", 0)
    assert done.stdout == f"Wrote {out}\n"
    return out


def auth_key(path: Path) -> str:
    return path.read_text().split("AuthorizationKey=")[1].split("\n")[0]


def test_issue_writes_the_key_file_layout(tmp_path: Path) -> None:
    out = issue(
        tmp_path,
        "--units",
        "25",
        "--multi",
        "--customer",
        "Acme Hospital",
        "--order",
        "4242",
        "--expires",
        "3/9/2031",
    )
    assert out.read_text() == (
        "[ConfigFile]\n"
        "FileType=License 2013.1\n"
        "\n"
        "[License]\n"
        f"LicenseCapacity=Cache 2013.1 Enterprise - Concurrent Users for {PLATFORMS[HERE]}:25\n"
        "CustomerName=Acme Hospital\n"
        "OrderNumber=4242\n"
        "ExpirationDate=3/9/2031\n"
        f"AuthorizationKey={auth_key(out)}\n"
        "MachineID=\n"
    )
    assert auth_key(out)[:46] == f"412{HERE}000025000025" + "0" * 29


def test_show_prints_fields_capacities_and_valid(tmp_path: Path) -> None:
    out = issue(
        tmp_path,
        "--units",
        "25",
        "--multi",
        "--type",
        "Named User",
        "--product",
        "Elite",
        "--cores",
        "4",
        "--features",
        "Ensemble,iKnow",
        "--order",
        "100001",
        "--expires",
        "3/9/2031",
    )
    done = run_cli("key", "show", str(out))
    assert done.stdout == (
        f"License key file '{out}'\n"
        "\n"
        "     LicenseCapacity =   Cache 2013.1 Elite - Named Users for "
        f"{PLATFORMS[HERE]}:25, Ensemble, iKnow\n"
        "     CustomerName =      cacheshell training\n"
        "     OrderNumber =       100001\n"
        "     ExpirationDate =    3/9/2031\n"
        f"     AuthorizationKey =  {auth_key(out)}\n"
        "     MachineID =\n"
        "\n"
        "     Product =           Elite\n"
        "     License Type =      Named User\n"
        "     Server =            Multi\n"
        f"     Platform =          {HERE_NAME}\n"
        "     License Units =     25\n"
        "     Enforced Units =    25\n"
        "     Cores Licensed =    4\n"
        "     Cores Enforced =    4\n"
        "     Features =          Ensemble, iKnow\n"
        "\n"
        "Valid\n"
    )
    assert (done.stderr, done.returncode) == ("", 0)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("CustomerName=cacheshell training", "CustomerName=cacheshell trainings"),
        ("ExpirationDate=12/31/2099", "ExpirationDate=12/31/2100"),
        (":5\n", ":500\n"),
    ],
)
def test_a_hand_edited_key_is_invalid(tmp_path: Path, old: str, new: str) -> None:
    out = issue(tmp_path, "--units", "5")
    out.write_text(out.read_text().replace(old, new))
    done = run_cli("key", "show", str(out))
    assert done.stdout.splitlines()[-1] == f"Invalid: {SIGNATURE_REASON}"
    assert done.returncode == 1


def test_app_sections_are_copied_and_protected(tmp_path: Path) -> None:
    ini = tmp_path / "lab.ini"
    ini.write_text(
        "[ACME.Lab]\nLab Users=50\nAddOn:Extended Reports=Enabled\n\n"
        "[ACME.Billing]\nModules=Lab, Radiology\n"
    )
    out = issue(tmp_path, "--units", "5", "--app-section", str(ini))
    assert out.read_text().split("MachineID=\n")[1] == (
        "\n[ACME.Lab]\nLab Users=50\nAddOn:Extended Reports=Enabled\n"
        "\n[ACME.Billing]\nModules=Lab, Radiology\n"
    )
    shown = run_cli("key", "show", str(out))
    assert shown.stdout.split("Features =          none\n\n")[1] == (
        "     [ACME.Lab]\n"
        "       Lab Users =         50\n"
        "       AddOn:Extended Reports = Enabled\n"
        "\n"
        "     [ACME.Billing]\n"
        "       Modules =           Lab, Radiology\n"
        "\n"
        "Valid\n"
    )
    out.write_text(out.read_text().replace("Lab Users=50", "Lab Users=500"))
    edited = run_cli("key", "show", str(out))
    assert (edited.stdout.splitlines()[-1], edited.returncode) == (
        f"Invalid: {SIGNATURE_REASON}",
        1,
    )


def test_a_key_for_another_platform_is_invalid(tmp_path: Path) -> None:
    other = "55" if HERE != "55" else "52"
    out = issue(tmp_path, "--units", "5", "--platform", other)
    done = run_cli("key", "show", str(out))
    assert done.stdout.splitlines()[-1] == (
        f"Invalid: License key is for {PLATFORMS[other]} ({other}), but this machine is {HERE_NAME}"
    )
    assert done.returncode == 1


def test_a_key_expiring_soon_is_troubled_but_usable(tmp_path: Path) -> None:
    soon = date.today() + timedelta(days=10)
    expires = f"{soon.month}/{soon.day}/{soon.year}"
    out = issue(tmp_path, "--units", "5", "--expires", expires)
    done = run_cli("key", "show", str(out))
    assert done.stdout.splitlines()[-1] == (
        f"Troubled: License key expires in 10 days, on {expires}"
    )
    assert done.returncode == 0


def test_a_file_that_is_not_a_key_is_invalid(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    done = run_cli("key", "show", str(notes))
    assert (done.stdout, done.returncode) == (
        f"Invalid: {notes}: line 1: text outside any [section]\n",
        1,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["issue", "--units", "5", "--type", "Bogus"],
            "cacheshell key: unknown license type 'Bogus' (choose Concurrent User, Named User, "
            "Power Unit, Real Time)\n",
        ),
        (
            ["issue", "--units", "5", "--product", "Ultra"],
            "cacheshell key: unknown product 'Ultra' (choose Evaluation, Entree, Elite, Executive, "
            "Enterprise, Edge, Extreme, Real Time Elite)\n",
        ),
        (
            ["issue", "--units", "5", "--expires", "2/30/2030"],
            "cacheshell key: --expires: bad date '2/30/2030': no such day\n",
        ),
        (
            ["issue", "--units", "5", "--expires", "2030-01-01"],
            "cacheshell key: --expires: bad date '2030-01-01': expected M/D/YYYY\n",
        ),
        (["issue", "--units", "0"], "cacheshell key: --units 0: a key licenses 1 unit or more\n"),
        (
            ["issue", "--units", "1000000"],
            "cacheshell key: units 1000000 is out of range 0..999999\n",
        ),
        (
            ["issue", "--units", "5", "--order", "A12"],
            "cacheshell key: order number 'A12' is not a number\n",
        ),
        (
            ["issue", "--units", "5", "--platform", "77"],
            "cacheshell key: unknown platform code '77'\n",
        ),
        (
            ["issue", "--units", "5", "--app-section", "/nonexistent/lab.ini"],
            "cacheshell key: cannot read /nonexistent/lab.ini: No such file or directory\n",
        ),
    ],
)
def test_bad_issue_arguments_exit_2_with_a_message(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "cache.key"
    done = run_cli("key", *args, "-o", str(out))
    assert (done.stdout, done.stderr, done.returncode) == ("", message, 2)
    assert not out.exists()


def test_unknown_feature_exits_2(tmp_path: Path) -> None:
    done = run_cli(
        "key", "issue", "--units", "5", "--features", "Ensemble,Teleport", "-o", str(tmp_path / "k")
    )
    assert done.stderr.startswith("cacheshell key: unknown feature 'Teleport' (known: WebAddOn,")
    assert done.returncode == 2


def test_show_of_a_missing_file_exits_2(tmp_path: Path) -> None:
    done = run_cli("key", "show", str(tmp_path / "absent.key"))
    assert (done.stdout, done.stderr, done.returncode) == (
        "",
        f"cacheshell key: cannot read {tmp_path / 'absent.key'}: No such file or directory\n",
        2,
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["key", "issue", "--multi"], "the following arguments are required: --units"),
        (["key", "issue", "--units", "many"], "invalid int value: 'many'"),
        (["key"], "the following arguments are required: {issue,show,activate,training}"),
    ],
)
def test_usage_errors_exit_2_without_a_traceback(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    done = run_cli(*args, *(["-o", str(tmp_path / "x.key")] if len(args) > 2 else []))
    assert fragment in done.stderr
    assert "Traceback" not in done.stderr
    assert done.returncode == 2


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("CACHE/mgr/cache.key", "it holds an instance's state"),
        ("CACHE/mgr/licenseserver/x.key", "it holds an instance's state"),
        ("license-server.secret", "it holds an instance's state"),
        ("link.key", "is a symbolic link"),
    ],
)
def test_key_issue_writes_no_state_file_and_follows_no_link(
    cacheshell_home: Path, target: str, why: str
) -> None:
    assert run_cli("-U", "USER", "Write 1").returncode == 0
    (cacheshell_home / "victim").write_text("kept")
    (cacheshell_home / "link.key").symlink_to(cacheshell_home / "victim")
    before = {p: p.read_bytes() for p in cacheshell_home.rglob("*") if p.is_file()}
    done = run_cli("key", "issue", "--units", "3", "-o", str(cacheshell_home / target))
    after = {p: p.read_bytes() for p in before if p.is_file()}
    live = ("cache.db", "cconsole.log")  # what the running instance itself writes meanwhile
    changed = [p.name for p in before if after.get(p) != before[p] and not p.name.startswith(live)]
    assert (done.returncode, done.stderr, changed) == (
        2,
        f"cacheshell key: cannot write {cacheshell_home / target}: {why}"
        + (
            " (write the key elsewhere, then use: cacheshell key activate FILE)\n"
            if "state" in why
            else "\n"
        ),
        [],
    )
