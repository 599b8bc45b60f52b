"""A refreshing part of a page (License Usage's table) in a real browser when its answers stop:
the instance stopped, it says it is no longer up to date and keeps trying; the session ended,
the page goes to the login page, which says why and brings the user back."""

from __future__ import annotations

import re

from conftest import run_cli
from playwright.sync_api import expect
from portal_browser import shot

USAGE = "/csp/sys/op/LicenseUsage.zen"
STALE = "The instance does not answer: this part is no longer up to date"
WAIT = 10_000  # ms: the part asks every 2 s


def log_in_here(page, user: str = "_SYSTEM", password: str = "SYS") -> None:
    """Fill the login page the browser shows now."""
    page.fill("#username-field", user)
    page.fill("#password-field", password)
    page.click("#login")


def usage_by_user(page, portal) -> None:
    page.goto(portal.at(USAGE))
    log_in_here(page)
    page.click("#option-user")
    expect(page.locator("#usage-title")).to_have_text("Information about license use by user ID:")


def test_a_part_of_a_stopped_instance_says_it_is_stale_and_recovers_after_a_new_login(
    page, portal
) -> None:
    usage_by_user(page, portal)
    assert run_cli("control", "stop", "CACHE").returncode == 0
    expect(page.locator(".stale-notice")).to_have_text(STALE, timeout=WAIT)
    expect(page.locator("#usage-part")).to_have_attribute("data-stale", "1")
    shot(page, "usage-stale")
    # Started again, the instance has no session of this browser: its next answer sends the
    # page to the login page, back here after it.
    assert run_cli("control", "start", "CACHE").returncode == 0
    expect(page).to_have_url(
        re.compile(r"/csp/sys/login\.csp\?next=%2Fcsp%2Fsys%2Fop%2F"), timeout=WAIT
    )
    log_in_here(page)
    expect(page.locator("#usage-title")).to_have_text("Information about license use by user ID:")
    expect(page.locator(".stale-notice")).to_have_count(0)
    expect(page.locator("#usage-part")).not_to_have_attribute("data-stale", "1")


# A CSP session that gets no request for its timeout (900 s by default) ends ("Session Timeout",
# https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=GCSP_sessions).
def test_a_page_whose_session_timed_out_goes_to_the_login_page_which_says_so(page, portal) -> None:
    usage_by_user(page, portal)
    advanced = run_cli(
        "-U",
        "%SYS",
        "Do ##class(Training.World).SimulateClock(),##class(Training.World).AdvanceClock(901)",
    )
    assert advanced.returncode == 0, advanced.stdout + advanced.stderr
    expect(page.locator("#message")).to_have_text("Your session has ended.", timeout=WAIT)
    assert page.url.endswith("next=%2Fcsp%2Fsys%2Fop%2FLicenseUsage.zen%3Fview%3Duser&said=timeout")
    shot(page, "usage-session-ended")
    log_in_here(page)  # back to the view the page showed
    expect(page).to_have_url(portal.at(USAGE + "?view=user"), timeout=WAIT)
