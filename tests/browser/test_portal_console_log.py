"""System Operation > System Logs > Console Log in a real browser: the audit lines of the
portal's own logins, new lines arriving without a reload, and the filter."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import expect
from portal_browser import Portal, login, shot

from cacheshell.system.console import WARNING, ConsoleLog


def test_the_console_log_shows_the_login_and_new_lines_without_a_reload(
    page, portal: Portal, cacheshell_home: Path
) -> None:
    login(page, portal)
    page.click("nav.menu >> text=Console Log")
    crumbs = page.inner_text("#breadcrumb")
    last = page.inner_text("#log").splitlines()[-1]
    shot(page, "log")
    page.evaluate("window.notReloaded = true")
    # Another process of the instance writes to the log, as the license monitor does.
    log = ConsoleLog(cacheshell_home / "CACHE" / "mgr" / "cconsole.log", time.time)
    log.write("LMF Warning: 4 of 5 license units in use", WARNING)
    expect(page.locator("#log")).to_contain_text("LMF Warning: 4 of 5", timeout=15_000)
    assert (crumbs, page.evaluate("window.notReloaded === true")) == (
        "Home > System Operation > System Logs > Console Log",
        True,
    )
    assert "Management Portal login: user _SYSTEM from 127.0.0.1 (CSP session" in last


def test_the_filter_keeps_the_lines_with_its_text_and_severity(page, portal: Portal) -> None:
    login(page, portal, password="wrong")  # a failure: a warning line
    login(page, portal)
    page.goto(portal.at("/csp/sys/op/ConsoleLog.zen"))
    page.fill("#filter-field", "management PORTAL login")
    page.select_option("#severity-field", "1")
    page.click("#filter-button")
    lines = page.inner_text("#log").splitlines()
    shot(page, "log-filtered")
    assert [line.split(" ", 2)[2] for line in lines] == [
        "1 Management Portal login failure: user '_SYSTEM' from 127.0.0.1 (invalid login)"
    ]
    assert page.input_value("#filter-field") == "management PORTAL login"
