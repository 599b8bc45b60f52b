"""[Startup]'s web server settings read from cache.cpf: which WebServerPort values are ports,
the port a cache.cpf made again gets (the one the portal had), and the line that says where the
portal is."""

from __future__ import annotations

from pathlib import Path

import pytest

from cacheshell.system import web_config
from cacheshell.system.cpf import Cpf

URL = "http://127.0.0.1:57772/csp/sys/UtilHome.csp"


def configuration(directory: Path, port_line: str | None) -> Cpf:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "cache.cpf"
    text = "[Startup]\nWebServer=1\n" + (
        f"WebServerPort={port_line}\n" if port_line is not None else ""
    )
    path.write_text(text)
    return Cpf(path)


@pytest.mark.parametrize(
    ("value", "invalid", "port"),
    [
        ("57772", None, 57772),
        (" 57773 ", None, 57773),
        ("abc", "abc", None),
        ("70000", "70000", None),
        ("-1", "-1", None),
        ("0", "0", None),
        ("", "", None),
        ("\uff15\uff17\uff17\uff17\uff12", "\uff15\uff17\uff17\uff17\uff12", None),
        (None, None, None),  # an instance made before the portal: none configured, not wrong
    ],
)
def test_which_web_server_port_values_are_ports(
    tmp_path: Path, value: str | None, invalid: str | None, port: int | None
) -> None:
    cpf = configuration(tmp_path / "A" / "mgr", value)
    assert (web_config.invalid_port(cpf), web_config.settings(cpf).port) == (invalid, port)


@pytest.mark.parametrize(
    ("kept", "other_names", "expected"),
    [
        (41001, None, 41001),  # the port the portal had (its own listener may hold it now)
        (41001, "41001", 41002),  # another instance of the home names it: the next one
        (None, None, 41002),  # never listened: the next free one
    ],
)
def test_a_configuration_without_a_port_gets_back_the_one_the_portal_had(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kept: int | None,
    other_names: str | None,
    expected: int,
) -> None:
    monkeypatch.setenv(web_config.PORT_VARIABLE, "41002")
    monkeypatch.setattr(web_config, "port_free", lambda address, port: True)
    if other_names is not None:
        configuration(tmp_path / "OTHER" / "mgr", other_names)
    cpf = configuration(tmp_path / "A" / "mgr", None)
    given = web_config.assign(cpf, tmp_path, tmp_path / "A", kept).port
    assert (given, web_config.settings(Cpf(cpf.path)).port) == (expected, expected)


@pytest.mark.parametrize(
    ("url", "down", "where", "line"),
    [
        (URL, "", "see the console log", f"Management Portal: {URL}"),
        (
            "",
            "port 57772 is in use",
            "see the console log",
            "Management Portal: not listening (port 57772 is in use; see the console log)",
        ),
        ("", "", "see cacheshell log", "Management Portal: not listening (see cacheshell log)"),
        (
            "",
            web_config.DISABLED,
            "see the console log",
            "Management Portal: disabled ([Startup] WebServer=0)",
        ),
    ],
)
def test_the_line_that_says_where_the_portal_is(url: str, down: str, where: str, line: str) -> None:
    assert web_config.portal_line(url, down, where) == line
