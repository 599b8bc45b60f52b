"""Who may do what in the Management Portal, in a real browser: a user without %Admin_Manage
sees the pages read-only and is refused an action it forges; a form posted from another site,
or from the portal's own origin without the session's token, is refused; and a portal session
is licensed as a CSP session: after a single page its unit stays for the grace period.

The grace period is Caché's: when a CSP session ends (logout or timeout) after one page, CSP
keeps its license for a grace period of up to 10 minutes (License Login Special Considerations,
https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=GSA_license_id_csp);
table.CSP_GRACE_SECONDS here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import run_cli
from portal_browser import Portal, login, shot

from cacheshell.frontends.portal import app as portal_app
from cacheshell.frontends.portal import urls
from cacheshell.system.table import CSP_GRACE_SECONDS

INSUFFICIENT = "Insufficient privilege: this needs the %Admin_Manage role."
REFUSED_FORM = "The form was refused: it did not come from this page."
# The actions of the licensing pages that change something: each needs %Admin_Manage.
EXPECTED_ACTIONS = (urls.ACTIVATE_KEY, urls.LICENSE_SERVERS, urls.LICENSE_SERVER)
NOT_BUILT = "(no such action yet)"


def post_routes() -> dict[str, bool]:
    """The portal's POST routes besides login and logout, and whether each needs
    %Admin_Manage."""
    found = {}
    for module in portal_app.PAGES:
        for route in module.ROUTES:
            methods = getattr(route, "methods", None) or ()
            if "POST" in methods and route.path not in (urls.LOGIN, urls.LOGOUT):
                found[route.path] = bool(getattr(route.endpoint, "manages", False))
    return found


def post_forms(page) -> list[str]:
    """Where the page's POST forms go."""
    return page.eval_on_selector_all(
        "form", "forms => forms.filter(f => f.method === 'post').map(f => f.getAttribute('action'))"
    )


def forge(page, path: str, token: str | None) -> None:
    """Submit a form the page never showed, to `path`, with `token` as its CSRF field."""
    page.evaluate(
        """([path, token]) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = path;
            if (token !== null) {
                const field = document.createElement("input");
                field.type = "hidden"; field.name = "csrf"; field.value = token;
                form.appendChild(field);
            }
            document.body.appendChild(form);
            form.submit();
        }""",
        [path, token],
    )
    page.wait_for_load_state()


def session_token(page) -> str:
    return page.get_attribute("form.logout input[name=csrf]", "value")


def test_a_read_only_user_sees_no_controls_and_is_refused_an_action_it_forges(
    page, portal: Portal
) -> None:
    added = run_cli("user", "add", "OPERATOR", "--password-stdin", stdin="secret\n")
    assert added.returncode == 0, added.stderr
    login(page, portal, "OPERATOR", "secret")
    assert (page.inner_text("#username"), page.inner_text(".badge")) == ("OPERATOR", "read-only")
    seen = {}
    for _, address in urls.MENU:
        answer = page.goto(portal.at(address))
        if answer is not None and answer.status == 200:
            seen[address] = post_forms(page)
    assert seen == dict.fromkeys(seen, [urls.LOGOUT]) and urls.CONSOLE_LOG in seen
    shot(page, "access-readonly")
    actions = post_routes()
    forged = sorted({*EXPECTED_ACTIONS, *(path for path, manages in actions.items() if manages)})
    answers = {}
    for path in forged:
        if path not in actions:
            answers[path] = NOT_BUILT  # its page is not in this tree: nothing to post to
            continue
        page.goto(portal.url)
        forge(page, path, session_token(page))
        answers[path] = page.inner_text("#message")
        shot(page, "access-refused")
    assert answers == {path: INSUFFICIENT if path in actions else NOT_BUILT for path in forged}


class _Server(ThreadingHTTPServer):
    # Closing the server does not wait for connections the browser keeps open.
    daemon_threads = True
    block_on_close = False


@pytest.fixture
def foreign_site() -> Iterator[tuple[int, dict[str, str]]]:
    """Another site on this host: a web server on a port of its own that serves, at /PATH, a
    page whose form posts itself at once to the address pages[PATH] names."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        timeout = 2  # a connection the browser opened and left idle ends soon

        def do_GET(self) -> None:
            target = pages.get(self.path, "")
            body = (
                f'<form id="f" method="post" action="{target}">'
                '<input type="hidden" name="csrf" value="guessed"></form>'
                '<script>document.getElementById("f").submit()</script>'
            ).encode()
            self.send_response(200 if target else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], pages
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(
    "host",
    [
        # Another site (localhost is not 127.0.0.1): SameSite=Strict keeps the session cookie
        # from the post; the portal refuses the form all the same, lest its answer delete it.
        "localhost",
        # The same host on another port is the same site, so the cookie goes with the post;
        # the browser's Origin header names the other page, and the portal refuses the form.
        "127.0.0.1",
    ],
)
def test_a_form_posted_from_another_site_is_refused_and_the_session_lives_on(
    page, portal: Portal, foreign_site, host: str
) -> None:
    port, pages = foreign_site
    pages["/logout"] = portal.at(urls.LOGOUT)
    login(page, portal)
    page.goto(f"http://{host}:{port}/logout")
    page.wait_for_url(portal.at(urls.LOGOUT))
    landed = page.inner_text("#message")
    shot(page, f"access-forged-{host}")
    page.goto(portal.url)
    assert (landed, page.inner_text("#username")) == (REFUSED_FORM, "_SYSTEM")


def test_a_same_origin_post_without_the_session_token_is_refused(page, portal: Portal) -> None:
    login(page, portal)
    statuses = page.evaluate(
        """async (logout) => {
            const post = (body) => fetch(logout, {method: "POST", body: new URLSearchParams(body),
                                                  redirect: "manual"}).then(r => r.status);
            return [await post({}), await post({csrf: "guessed"})];
        }""",
        urls.LOGOUT,
    )
    page.goto(portal.url)
    assert (statuses, page.inner_text("#username")) == ([403, 403], "_SYSTEM")


def counts(*lines: str) -> dict[str, str]:
    """The lines of ShowCounts that end in these words, from a terminal of the instance (which
    holds a unit of its own while it runs)."""
    shown = run_cli("-U", "%SYS", "Do $System.License.ShowCounts()")
    assert shown.returncode == 0, shown.stderr
    found = {}
    for line in shown.stdout.splitlines():
        number, _, words = line.strip().partition(" ")
        if words in lines:
            found[words] = number
    return found


GRACE = "CSP sessions currently in 'grace period'"
AVAILABLE = "Current available license units"


def test_a_one_page_portal_session_holds_its_unit_through_the_grace_period(
    page, portal: Portal
) -> None:
    clock = run_cli("-U", "%SYS", "Write ##class(Training.World).SimulateClock()")
    assert clock.returncode == 0, clock.stderr
    before = counts(GRACE, AVAILABLE)
    login(page, portal)  # the home page: the session's one page
    page.click("#logout")
    held = counts(GRACE, AVAILABLE)
    run_cli("-U", "%SYS", f"Write ##class(Training.World).AdvanceClock({CSP_GRACE_SECONDS - 1})")
    still = counts(GRACE)
    run_cli("-U", "%SYS", "Write ##class(Training.World).AdvanceClock(2)")
    after = counts(GRACE, AVAILABLE)
    # The contrast: a session that viewed two pages gives its unit back at logout.
    login(page, portal)
    page.goto(portal.at(urls.CONSOLE_LOG))
    page.click("#logout")
    two_pages = counts(GRACE, AVAILABLE)
    assert (before, held, still, after, two_pages) == (
        {GRACE: "0", AVAILABLE: "4"},
        {GRACE: "1", AVAILABLE: "3"},
        {GRACE: "1"},
        {GRACE: "0", AVAILABLE: "4"},
        {GRACE: "0", AVAILABLE: "4"},
    )
