"""Files are read with a bound on their size: a device, a FIFO or a file larger than its kind
allows is refused before it is read, with a reason that the readers' messages carry; a log's tail
is read from its end."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cacheshell.system import server_config
from cacheshell.system.appfile import AppFileError, read_app_license
from cacheshell.system.bounded import KEY_FILE_BYTES, FileRefused, read_bounded
from cacheshell.system.console import tail_lines
from cacheshell.system.cpf import Cpf
from cacheshell.system.keyfile import KeyFileError
from cacheshell.system.keys import load_key

NOT_REGULAR = "not a regular file (a key file must be one)"
TOO_LARGE = "larger than 64 KB, the most a key file may hold"


def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo.key"
    os.mkfifo(path)
    return path


def directory(tmp_path: Path) -> Path:
    return tmp_path


def device(tmp_path: Path) -> Path:
    return Path("/dev/zero")


def too_large(tmp_path: Path) -> Path:
    path = tmp_path / "large.key"
    path.write_bytes(b"x" * (KEY_FILE_BYTES + 1))
    return path


@pytest.mark.parametrize(
    ("make", "why"),
    [(device, NOT_REGULAR), (fifo, NOT_REGULAR), (directory, NOT_REGULAR), (too_large, TOO_LARGE)],
)
def test_a_key_file_that_is_not_one_is_refused_before_it_is_read(
    tmp_path: Path, make: object, why: str
) -> None:
    assert callable(make)
    path = make(tmp_path)
    with pytest.raises(FileRefused) as refused:
        read_bounded(path, KEY_FILE_BYTES, "key file")
    assert (refused.value.strerror, refused.value.filename) == (why, str(path))
    with pytest.raises(KeyFileError) as failed:
        load_key(path)
    assert failed.value.reason == f"cannot read {path}: {why}"


def test_a_file_at_its_limit_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "full.key"
    path.write_bytes(b"y" * KEY_FILE_BYTES)
    assert read_bounded(path, KEY_FILE_BYTES, "key file") == b"y" * KEY_FILE_BYTES


def test_an_application_license_file_from_a_device_is_refused() -> None:
    with pytest.raises(AppFileError) as refused:
        read_app_license("/dev/zero", "MYAPP")
    assert str(refused.value) == (
        "cannot read /dev/zero: not a regular file (a license file must be one)"
    )


def test_a_cpf_byte_that_is_not_utf8_spoils_only_its_line(tmp_path: Path) -> None:
    path = tmp_path / "cache.cpf"
    path.write_bytes(b"[LicenseServers]\nC\xff=127.0.0.1,4001\nGOOD=127.0.0.1,4005\n")
    assert server_config.read(Cpf(path)) == (
        [server_config.LicenseServer("GOOD", "127.0.0.1", 4005)],
        [
            "[LicenseServers] C\ufffd=127.0.0.1,4001 is not used: "
            "'C\ufffd' is not a valid license server name"
        ],
    )


LOG_TEXTS = [
    "",
    "one line without an end",
    "a\nb\nc\n",
    "a\r\nb\r\n\r\nlast",
    "x\ry\x0cz\u2028w\n",
    "é€😀\n" * 3,
    "".join(f"line {i} " + "w" * (i % 300) + "\n" for i in range(3000)),  # several blocks
]


@pytest.mark.parametrize("text", LOG_TEXTS, ids=range(len(LOG_TEXTS)))
@pytest.mark.parametrize("count", [0, 1, 2, 20, 2999, 5000])
def test_a_log_tail_read_from_the_end_is_the_tail_of_the_whole_text(
    tmp_path: Path, text: str, count: int
) -> None:
    path = tmp_path / "cconsole.log"
    path.write_text(text, encoding="utf-8", newline="")
    whole = path.read_text(encoding="utf-8", errors="replace").splitlines()
    assert tail_lines(path, count) == (whole[-count:] if count else [])
