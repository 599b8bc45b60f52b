"""`cacheshell key activate FILE`: the License Key page's activation from the shell."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli


def issue(path: Path, *options: str) -> None:
    done = run_cli("key", "issue", *options, "-o", str(path))
    assert done.returncode == 0, done.stderr


def test_more_units_activate_at_once(tmp_path: Path, cacheshell_home: Path) -> None:
    run_cli("-U", "USER", "Write 1")
    issue(tmp_path / "acme.key", "--units", "50", "--multi", "--customer", "Acme", "--order", "7")
    done = run_cli("key", "activate", str(tmp_path / "acme.key"))
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["Current", "key", "New", "key"]
    assert lines[4].split() == ["LicenseUnits", "5", "50"]
    assert "No restart is needed: the new key takes effect at once." in lines
    assert run_cli("-U", "USER", "Write $System.License.KeyLicenseUnits()").stdout == "50\n"


def test_fewer_units_wait_for_a_restart_and_warn(tmp_path: Path) -> None:
    run_cli("-U", "USER", "Write 1")
    issue(tmp_path / "small.key", "--units", "3")
    done = run_cli("key", "activate", str(tmp_path / "small.key"))
    assert done.returncode == 1
    assert "Warning: Reduce the number of license units from 5 to 3." in done.stdout
    assert "Warning: Change the supported server type from Multi to Single." in done.stdout
    assert "A restart of the instance is required for the new key to take effect:" in done.stdout
    assert (
        run_cli(
            "-U",
            "USER",
            "Write $System.License.KeyLicenseUnits(),$System.License.IsPendingActivation()",
        ).stdout
        == "51\n"
    )


def test_an_altered_key_is_never_copied(tmp_path: Path, cacheshell_home: Path) -> None:
    run_cli("-U", "USER", "Write 1")
    key_file = cacheshell_home / "CACHE" / "mgr" / "cache.key"
    before = key_file.read_text(encoding="utf-8")
    issue(tmp_path / "acme.key", "--units", "50", "--customer", "Acme")
    text = (tmp_path / "acme.key").read_text(encoding="utf-8")
    (tmp_path / "acme.key").write_text(text.replace("Acme", "Acmf"), encoding="utf-8")
    done = run_cli("key", "activate", str(tmp_path / "acme.key"))
    assert done.returncode == 1
    assert "It was not activated." in done.stdout
    assert key_file.read_text(encoding="utf-8") == before


def test_instance_option_chooses_the_instance_anywhere_on_the_line(
    tmp_path: Path, cacheshell_home: Path
) -> None:
    assert run_cli("control", "create", "two", "--evaluation").returncode == 0
    issue(tmp_path / "acme.key", "--units", "50", "--multi")
    done = run_cli("key", "--instance", "TWO", "activate", str(tmp_path / "acme.key"))
    assert (done.stderr, done.returncode) == ("", 0)
    assert (cacheshell_home / "TWO" / "mgr" / "cache.key").exists()
    assert not (cacheshell_home / "CACHE").exists()  # the default instance was not touched
    units = run_cli("TWO", "-U", "USER", "Write $System.License.KeyLicenseUnits()")
    assert units.stdout == "50\n"
    shown = run_cli("key", "show", str(tmp_path / "acme.key"), "--instance", "two")
    assert (shown.stdout.splitlines()[-1], shown.returncode) == ("Valid", 0)


def test_instance_option_is_refused_where_it_means_nothing_or_names_nothing(
    tmp_path: Path,
) -> None:
    minted = run_cli("key", "issue", "--units", "5", "-o", str(tmp_path / "k"), "--instance", "X")
    assert (minted.stderr, minted.returncode) == (
        "cacheshell key: key issue mints a key file; activate it with --instance\n",
        2,
    )
    issue(tmp_path / "acme.key", "--units", "50")
    missing = run_cli("key", "activate", str(tmp_path / "acme.key"), "--instance", "NOPE")
    assert (missing.stderr, missing.returncode) == ("cacheshell key: no instance named NOPE\n", 2)
