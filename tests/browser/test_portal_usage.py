"""System Operation > License Usage in a real browser: the table follows the license table
without a reload, By Process shows the processes, the Summary has its chart, and the
Distributed License Usage link is disabled while no license server is connected."""

from __future__ import annotations

from conftest import run_cli
from playwright.sync_api import expect
from portal_browser import login, shot

USAGE = "/csp/sys/op/LicenseUsage.zen"
NO_SERVER = "This option is disabled when no license server is connected."
# A client from 10.0.0.5 that outlives the one-shot session which made it.
CONNECT = 'Set c=##class(Training.World).Connect("10.0.0.5") If c.Detach() Write "connected",!'


def connect_client() -> None:
    done = run_cli("-U", "%SYS", CONNECT)
    assert done.returncode == 0 and done.stdout == "connected\n", done.stdout + done.stderr


def test_a_training_client_appears_in_usage_by_user_without_a_reload(page, portal) -> None:
    login(page, portal)
    page.goto(portal.at(USAGE))
    page.click("#option-user")
    expect(page.locator("#usage-title")).to_have_text("Information about license use by user ID:")
    page.evaluate("window.notReloaded = true")
    connect_client()
    row = page.locator("#usage-table tbody tr", has_text="10.0.0.5")
    expect(row).to_have_count(1, timeout=10_000)
    assert page.evaluate("window.notReloaded") is True
    # The portal's own session is a CSP user under its CSP session ID.
    expect(page.locator("#usage-table tbody tr td:nth-child(2)", has_text="CSP")).to_have_count(1)
    shot(page, "usage-user")


def test_by_process_shows_the_processes_and_the_summary_its_chart(page, portal) -> None:
    connect_client()
    login(page, portal)
    page.goto(portal.at(USAGE))
    expect(page.locator("#usage-title")).to_have_text("Current license activity summary:")
    expect(page.locator("#usage-chart")).to_be_visible()
    expect(page.locator("#usage-table tbody tr").first).to_contain_text(
        "Current License Units Used"
    )
    shot(page, "usage-summary")
    page.click("#option-process")
    expect(page.locator("#usage-title")).to_have_text("Information about license use by process:")
    client = page.locator("#usage-table tbody tr", has_text="10.0.0.5")
    expect(client.locator("td").nth(1)).to_have_text("User")  # Login ID: the process type
    expect(page.locator("#usage-table tbody tr", has_text="System").first).to_be_visible()
    shot(page, "usage-process")


def test_the_distributed_link_is_disabled_with_no_license_server(page, portal) -> None:
    # Remove the LOCAL license server the default configuration starts, and restart, as the
    # chapter says one may need to after deleting a license server.
    for step in (("servers", "delete", "LOCAL"), ("control", "restart", "CACHE")):
        done = run_cli(*step)
        assert done.returncode == 0, done.stderr
    login(page, portal)
    page.goto(portal.at(USAGE))
    link = page.locator("#option-distributed")
    expect(link).to_have_attribute("aria-disabled", "true")
    expect(link).to_have_attribute("title", NO_SERVER)
    assert link.evaluate("element => element.tagName") == "SPAN"  # not a link at all
    link.click(force=True)  # a click on it goes nowhere
    assert page.url == portal.at(USAGE)
    expect(page.locator("#usage-table tbody")).to_have_text("Not connected to License Server")
    shot(page, "usage-distributed-disabled")
