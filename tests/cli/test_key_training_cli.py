"""Training keys through the installed commands: `key issue` order numbers, IssueKey for a
lesson's key files, and putting an instance's own training key back (`key training`,
RestoreTrainingKey)."""

from __future__ import annotations

import stat
from pathlib import Path

from conftest import run_cli

from cacheshell.system.keys import load_key

W = "##class(Training.World)."


def mgr(home: Path) -> Path:
    return home / "CACHE" / "mgr"


def order(path: Path) -> str:
    return load_key(path).file.order_number


def started(home: Path) -> str:
    """Create (and start) the default instance; its training key's order number."""
    done = run_cli("-U", "USER", "Write 1")
    assert (done.stdout, done.returncode) == ("1\n", 0)
    return order(mgr(home) / "cache.key")


def test_the_training_key_is_kept_owner_only_at_creation(cacheshell_home: Path) -> None:
    started(cacheshell_home)
    kept = mgr(cacheshell_home) / "training.key"
    assert kept.read_text() == (mgr(cacheshell_home) / "cache.key").read_text()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_each_issued_key_gets_a_new_order_number(tmp_path: Path, cacheshell_home: Path) -> None:
    own = started(cacheshell_home)
    orders = []
    for name in ("a.key", "b.key"):
        done = run_cli("key", "issue", "--units", "5", "--multi", "-o", str(tmp_path / name))
        assert (done.stdout, done.returncode) == (f"Wrote {tmp_path / name}\n", 0)
        orders.append(order(tmp_path / name))
    assert orders[0] != orders[1]
    assert own not in orders and "100001" not in orders
    assert all(len(number) == 6 and number.isdigit() for number in orders)


def test_issue_key_writes_a_lesson_key_in_the_current_directory(
    tmp_path: Path, cacheshell_home: Path
) -> None:
    own = started(cacheshell_home)
    done = run_cli(
        "-U",
        "USER",
        f'Write {W}IssueKey("bigger.key",50,"Acme Lab"),! '
        f'Write {W}IssueKey("smaller.key",3,"Acme Lab")',
        cwd=tmp_path,
    )
    bigger, smaller = done.stdout.split()
    assert (order(tmp_path / "bigger.key"), order(tmp_path / "smaller.key")) == (bigger, smaller)
    assert len({own, bigger, smaller}) == 3
    show = run_cli("key", "show", str(tmp_path / "bigger.key"))
    assert show.returncode == 0
    assert "CustomerName =      Acme Lab" in show.stdout
    assert "Cache 2013.1 Enterprise - Concurrent Users for" in show.stdout
    assert show.stdout.count("Multi") >= 1
    assert load_key(tmp_path / "smaller.key").units == 3
    assert load_key(tmp_path / "smaller.key").is_multiserver


def test_issue_key_defaults_and_a_given_order(tmp_path: Path, cacheshell_home: Path) -> None:
    started(cacheshell_home)
    done = run_cli("-U", "USER", f'Write {W}IssueKey("k.key",,,0,"4242")', cwd=tmp_path)
    assert done.stdout == "4242\n"
    key = load_key(tmp_path / "k.key")
    assert (key.units, key.is_multiserver, key.file.customer_name) == (
        5,
        False,
        "cacheshell training",
    )


def test_issue_key_errors_are_objectscript_errors(tmp_path: Path, cacheshell_home: Path) -> None:
    started(cacheshell_home)
    done = run_cli("-U", "USER", f'Write {W}IssueKey("x.key",5,"Acme",1,"12a")', cwd=tmp_path)
    assert done.stdout == (
        f'\nWRITE {W}IssueKey("x.key",5,"Acme",1,"12a")\n^\n'
        "<ILLEGAL VALUE> *order number '12a' is not a number\n"
    )
    assert done.returncode == 1
    assert not (tmp_path / "x.key").exists()


def test_key_training_waits_for_a_restart_after_a_bigger_key(
    tmp_path: Path, cacheshell_home: Path
) -> None:
    own = started(cacheshell_home)
    run_cli("-U", "USER", f'Do {W}IssueKey("bigger.key",50,"Acme Lab")', cwd=tmp_path)
    assert run_cli("key", "activate", str(tmp_path / "bigger.key")).returncode == 0
    done = run_cli("key", "training")
    key_path = mgr(cacheshell_home) / "cache.key"
    assert done.stdout == (
        f"Training key (OrderNumber {own}, 5 units) copied to {key_path}; it takes effect at "
        "the next restart.\n"
        "The new key has fewer license units (50 to 5): the reduction takes effect at the next "
        "restart\n"
        "System Restart Required: restart the instance to activate it: "
        "cacheshell control restart CACHE\n"
    )
    assert done.returncode == 1
    assert order(key_path) == own
    assert run_cli("control", "restart", "CACHE").returncode == 0
    again = run_cli("key", "training")
    assert (again.stdout, again.returncode) == (
        f"Training key (OrderNumber {own}, 5 units) is already the active key.\n",
        0,
    )


def test_restore_training_key_restarts_so_that_it_is_active(
    tmp_path: Path, cacheshell_home: Path
) -> None:
    own = started(cacheshell_home)
    run_cli("-U", "USER", f'Do {W}IssueKey("bigger.key",50,"Acme Lab")', cwd=tmp_path)
    assert run_cli("key", "activate", str(tmp_path / "bigger.key")).returncode == 0
    done = run_cli(
        "-U",
        "USER",
        f"Set r={W}RestoreTrainingKey() Write r,! "
        'Write $System.License.KeyOrderNumber()," ",$System.License.GetUserLimit()',
    )
    key_path = mgr(cacheshell_home) / "cache.key"
    assert done.stdout == (
        f"Training key (OrderNumber {own}, 5 units) copied to {key_path}; it takes effect at "
        "the next restart.\n"
        "Instance CACHE restarted: the training key is active.\n"
        f"1\n{own} 5\n"
    )


def test_an_instance_without_a_kept_training_key_gets_a_new_one(cacheshell_home: Path) -> None:
    own = started(cacheshell_home)
    kept = mgr(cacheshell_home) / "training.key"
    kept.unlink()  # as an instance created before training keys were kept
    done = run_cli("key", "training")
    minted = order(kept)
    assert minted != own
    assert done.stdout == (
        f"Training key (OrderNumber {minted}, 5 units, newly minted) copied to "
        f"{mgr(cacheshell_home) / 'cache.key'} and activated.\n"
    )
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert (
        f"minted a new one (OrderNumber {minted})"
        in (mgr(cacheshell_home) / "cconsole.log").read_text()
    )
    assert run_cli("key", "training").stdout.endswith("is already the active key.\n")
