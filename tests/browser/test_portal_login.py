"""Logging in to the Management Portal in a real browser: the login page, a good login, the
invalid login limit, and logging out."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli
from portal_browser import login, shot


def console_log(home: Path) -> str:
    return (home / "CACHE" / "mgr" / "cconsole.log").read_text()


def test_system_logs_in_with_the_training_password_and_sees_the_licensing_menu(
    page, portal, cacheshell_home: Path
) -> None:
    page.goto(portal.url)
    assert "/csp/sys/login.csp" in page.url
    shot(page, "login")
    login(page, portal)
    assert page.url == portal.url
    assert page.inner_text("#username") == "_SYSTEM"
    menu = page.inner_text("main")
    for path in (
        "System Administration > Licensing > License Key",
        "System Administration > Licensing > License Servers",
        "System Operation > License Usage",
        "System Operation > System Logs > Console Log",
    ):
        assert path in menu
    shot(page, "home")
    assert "Management Portal login: user _SYSTEM from 127.0.0.1" in console_log(cacheshell_home)


def test_five_wrong_passwords_disable_the_user_until_an_administrator_enables_it(
    page, portal, cacheshell_home: Path
) -> None:
    for attempt in range(4):
        login(page, portal, password=f"wrong{attempt}")
        assert page.inner_text("#message") == "Access Denied"
    login(page, portal, password="wrong4")
    assert page.inner_text("#message") == "Access Denied"
    login(page, portal)  # the right password, too late; the page says no more than before
    assert page.inner_text("#message") == "Access Denied"
    shot(page, "login-disabled")
    log = console_log(cacheshell_home)
    assert log.count("Management Portal login failure: user '_SYSTEM' from 127.0.0.1") == 6
    assert "User _SYSTEM disabled: 5 invalid login attempts in a row" in log
    assert "login failure: user '_SYSTEM' from 127.0.0.1 (user disabled)" in log  # the page: no
    enabled = run_cli("user", "enable", "_SYSTEM")
    assert enabled.returncode == 0, enabled.stderr
    login(page, portal)
    assert page.inner_text("#username") == "_SYSTEM"


def test_logging_out_ends_the_session_and_its_cookie_no_longer_opens_a_page(page, portal) -> None:
    login(page, portal)
    page.click("#logout")
    assert page.inner_text("#message") == "You have logged out."
    page.goto(portal.url)
    assert "/csp/sys/login.csp" in page.url
