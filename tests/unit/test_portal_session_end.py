"""A portal session the instance ended (its CSP session timed out on the instance clock): every
later request of that browser goes to the login page with "Your session has ended.", the end is
one console log line saying why, and stopping the web server does not log it as a logout.

A CSP session that gets no request for its timeout (900 s by default) ends ("Session Timeout",
https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=GCSP_sessions); the
portal's pages then need a new login."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from portal_testclient import (  # noqa: F401  (the fixtures portal_client, running_instance)
    PortalClient,
    portal_client_fixture,
    running_instance_fixture,
)
from starlette.testclient import TestClient

from cacheshell.frontends.portal import app as portal_app
from cacheshell.frontends.portal import pages_usage, urls
from cacheshell.system.instance import Instance
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.world import DEFAULT_CSP_TIMEOUT, World

ENDED = re.compile(r"Management Portal session of user (\S+) \(CSP session \w+\) ended: (.*)")
LOGOUT = re.compile(r"Management Portal logout: user (\S+) \(CSP session \w+\): (.*)")


def advance(layout: InstanceLayout, seconds: float) -> None:
    """Training.World's AdvanceClock(), on the instance clock every process shares."""
    instance = Instance(layout)
    try:
        World(instance).advance_clock(seconds)
    finally:
        instance.store.close()


@pytest.fixture(name="simulated")
def simulated_fixture(portal_client: PortalClient) -> Iterator[PortalClient]:
    """The instance on the simulated clock (SimulateClock()), back on the wall clock after."""
    instance = Instance(portal_client.layout)
    try:
        World(instance).simulate_clock()
        yield portal_client
    finally:
        World(instance).use_wall_clock()
        instance.store.close()


@pytest.mark.parametrize(
    ("path", "next_page"),
    [
        (urls.HOME, "%2Fcsp%2Fsys%2FUtilHome.csp"),
        # The License Usage page's refreshing part, as portal.js fetches it.
        (
            pages_usage.PART + "?view=users",
            "%2Fcsp%2Fsys%2Fop%2FLicenseUsage.table.zen%3Fview%3Dusers",
        ),
    ],
)
def test_a_timed_out_session_goes_to_the_login_page_told_so_and_is_logged_once(
    simulated: PortalClient, path: str, next_page: str
) -> None:
    client = simulated.client
    simulated.login()
    advance(simulated.layout, DEFAULT_CSP_TIMEOUT - 1)
    still = client.get(urls.HOME).status_code  # a page restarts the timeout
    advance(simulated.layout, DEFAULT_CSP_TIMEOUT + 1)
    first = client.get(path)
    again = client.get(path)  # a refreshing part, then the page's reload: told each time
    login = client.get(again.headers["location"])
    shown = re.search(r'id="message"[^>]*>([^<]*)<', login.text)
    assert (
        still,
        first.status_code,
        first.headers["location"],
        again.headers["location"],
        shown.group(1) if shown else "",
        ENDED.findall(simulated.logged()),
        LOGOUT.findall(simulated.logged()),
    ) == (
        200,
        303,
        f"{urls.LOGIN}?next={next_page}&said=timeout",
        f"{urls.LOGIN}?next={next_page}&said=timeout",
        "Your session has ended.",
        [("_SYSTEM", "timed out")],
        [],
    )


def test_a_session_never_opened_or_logged_out_goes_to_the_login_page_without_the_notice(
    portal_client: PortalClient,
) -> None:
    client = portal_client.client
    never = client.get(urls.HOME).headers["location"]
    portal_client.login()
    client.post(
        urls.LOGOUT, data={"csrf": portal_client.token()}, headers={"Origin": portal_client.origin}
    )
    out = client.get(urls.HOME).headers["location"]
    assert (never, out) == (f"{urls.LOGIN}?next=%2Fcsp%2Fsys%2FUtilHome.csp",) * 2


@pytest.mark.parametrize(
    ("idle", "ended", "logged_out"),
    [
        (DEFAULT_CSP_TIMEOUT + 1, [("_SYSTEM", "timed out")], []),
        (DEFAULT_CSP_TIMEOUT - 1, [], [("_SYSTEM", "the web server stopped")]),
    ],
)
def test_when_the_web_server_stops_only_sessions_still_open_are_logged_out(
    simulated: PortalClient,
    idle: float,
    ended: list[tuple[str, str]],
    logged_out: list[tuple[str, str]],
) -> None:
    layout = simulated.layout
    app = portal_app.build_app(layout, simulated.port)
    with TestClient(app, base_url=simulated.origin, follow_redirects=False) as other:
        token = re.search(r'name="csrf" value="([^"]*)"', other.get(urls.LOGIN).text)
        assert token
        form = {"csrf": token.group(1), "username": "_SYSTEM", "password": "SYS", "next": ""}
        assert other.post(urls.LOGIN, data=form, headers={"Origin": simulated.origin}).is_redirect
        advance(layout, idle)
    # The service would end a timed-out CSP session at its next look; the web server stopping
    # finds it gone.
    assert (ENDED.findall(simulated.logged()), LOGOUT.findall(simulated.logged())) == (
        ended,
        logged_out,
    )
