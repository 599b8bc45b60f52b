"""Helpers for the Management Portal in a real browser (the fixtures `browser`, `page` and
`portal` in tests/conftest.py use them): Debian's Chromium, driven by Playwright.

Nothing is downloaded: Playwright launches the Chromium that `.ci/run` installs from Debian's
packages (/usr/bin/chromium, or $CACHESHELL_CHROMIUM). Without it the browser tests skip, except
when $CI is set, where a missing browser fails the run. Each test starts the default instance as
a user does (`cacheshell control create`, which starts it and says where its portal is), and
saves a screenshot of each page it shows (in tests/browser/screenshots/, or
$CACHESHELL_SCREENSHOTS).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import run_cli

CHROMIUM_FLAGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    # The machine has no internet: without these Chromium keeps trying to reach Google.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
SCREENSHOTS = Path(
    os.environ.get("CACHESHELL_SCREENSHOTS") or Path(__file__).with_name("screenshots")
)


def chromium_path() -> str | None:
    wanted = os.environ.get("CACHESHELL_CHROMIUM")
    if wanted:
        return wanted if Path(wanted).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def launch_browser() -> Iterator[object]:
    path = chromium_path()
    if path is None:
        message = "no Chromium (apt-get install chromium, as .ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: under CI the browser tests must run")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Portal:
    """A started instance's portal: its name and its home page's address."""

    instance: str
    url: str

    @property
    def origin(self) -> str:
        return self.url.split("/csp/", 1)[0]

    def at(self, path: str) -> str:
        return self.origin + path


def start_instance(name: str = "CACHE") -> Portal:
    """Create and start an instance as a user does, and take its portal's address from what
    the creation says (tests/cli/test_portal_port_cli.py checks `control list` says the same)."""
    made = run_cli("control", "create", name)
    assert made.returncode == 0, made.stderr
    found = re.search(r"^Management Portal: (http://\S+)$", made.stdout, re.M)
    assert found, made.stdout
    return Portal(name, found.group(1))


def new_page(browser: object) -> Iterator[object]:
    """A fresh browser context (no cookies) and a page in it."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})  # type: ignore[attr-defined]
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def shot(page: object, name: str) -> Path:
    """Save a screenshot of the page as SCREENSHOTS/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


def login(page: object, portal: Portal, user: str = "_SYSTEM", password: str = "SYS") -> None:
    """Log in through the login page, as a user types it."""
    page.goto(portal.url)  # type: ignore[attr-defined]
    page.fill("#username-field", user)  # type: ignore[attr-defined]
    page.fill("#password-field", password)  # type: ignore[attr-defined]
    page.click("#login")  # type: ignore[attr-defined]
