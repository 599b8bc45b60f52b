"""The license domain secret file: made once, owner-only, and every bad file told in one line."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cacheshell.system.domain_secret import (
    SecretFileError,
    home_secret,
    read_secret,
    secret_path,
)

ADVICE = "copy license-server.secret from the license server host's CACHESHELL_HOME"


def test_the_first_need_makes_an_owner_only_file_of_64_hex_digits(tmp_path: Path) -> None:
    secret = home_secret(tmp_path / "home")
    path = secret_path(tmp_path / "home")
    assert (len(secret), stat.S_IMODE(path.stat().st_mode)) == (32, 0o600)
    assert path.read_text(encoding="ascii") == secret.hex() + "\n"
    assert home_secret(tmp_path / "home") == secret  # read again, not made again


def test_racing_makers_all_get_the_first_one_s_secret(tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        found = set(pool.map(lambda _: home_secret(tmp_path), range(32)))
    assert len(found) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["license-server.secret"]


@pytest.mark.parametrize(
    ("content", "mode", "problem"),
    [
        (None, 0o600, "is missing: " + ADVICE),
        (b"", 0o600, "is not 64 hex digits: " + ADVICE),
        (b"ab" * 31 + b"\n", 0o600, "is not 64 hex digits: " + ADVICE),
        (b"zz" * 32 + b"\n", 0o600, "is not 64 hex digits: " + ADVICE),
        (b"ab" * 32 + b"\n" + b" " * 4096, 0o600, "is not 64 hex digits: " + ADVICE),
        (b"ab" * 32 + b"\n", 0o644, "is readable by other users: chmod 600 {path}"),
        (b"ab" * 32 + b"\n", 0o640, "is readable by other users: chmod 600 {path}"),
    ],
    ids=["missing", "empty", "short", "not-hex", "too-large", "world-readable", "group-readable"],
)
def test_a_bad_secret_file_is_one_line_naming_it(
    tmp_path: Path, content: bytes | None, mode: int, problem: str
) -> None:
    path = tmp_path / "license-server.secret"
    if content is not None:
        path.write_bytes(content)
        os.chmod(path, mode)
    with pytest.raises(SecretFileError) as caught:
        read_secret(path)
    assert str(caught.value) == f"license domain secret {path} " + problem.format(path=path)


def test_a_copied_secret_is_read_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "copy.secret"
    path.write_text("0f" * 32 + "\n", encoding="ascii")
    os.chmod(path, 0o600)
    assert read_secret(path) == bytes([15] * 32)


def test_a_secret_deleted_under_a_running_instance_is_written_again_with_the_one_it_holds(
    tmp_path: Path,
) -> None:
    from cacheshell.system.domain_secret import home_secret, home_secret_kept, secret_path

    held = home_secret(tmp_path)
    secret_path(tmp_path).unlink()
    again, rewritten = home_secret_kept(tmp_path, held)
    mode = secret_path(tmp_path).stat().st_mode & 0o777
    assert (again, rewritten, mode, home_secret_kept(tmp_path, held)[1]) == (
        held,
        True,
        0o600,
        False,
    )
