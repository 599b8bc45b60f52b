"""What keeps the Management Portal an administrator's tool, in-process under TestClient over a
running instance: its cookies, CSRF and origin checks on every form, the body limit, no open
redirect after login, one message for every failed login, the invalid login limit, sessions
that end with their user, %Admin_Manage for actions, and the security headers."""

from __future__ import annotations

import re

import pytest
from conftest import run_cli
from portal_testclient import (  # noqa: F401  (the fixtures portal_client, running_instance)
    PROBE,
    PROBE_ANYONE,
    PortalClient,
    portal_client_fixture,
    real_actions,
    running_instance_fixture,
)

from cacheshell.frontends.portal import security, urls
from cacheshell.system import users

FOREIGN = "http://evil.example"
REFUSED_FORM = "The form was refused: it did not come from this page."
INSUFFICIENT = "Insufficient privilege: this needs the %Admin_Manage role."


def message(html: str) -> str:
    found = re.search(r'id="message"[^>]*>([^<]*)<', html)
    return found.group(1).replace("&lt;", "<").replace("&gt;", ">") if found else ""


def cookie_attributes(header: str) -> str:
    """A Set-Cookie header with its random value masked."""
    return re.sub(r"=[A-Za-z0-9_-]{20,};", "=TOKEN;", header)


def test_both_cookies_are_http_only_same_site_strict_and_named_for_the_port(
    portal_client: PortalClient,
) -> None:
    port = portal_client.port
    form = portal_client.client.get(urls.LOGIN).headers["set-cookie"]
    token = re.search(r"=([^;]*);", form).group(1)  # type: ignore[union-attr]
    logged_in = portal_client.client.post(
        urls.LOGIN,
        data={"csrf": token, "username": "_SYSTEM", "password": "SYS", "next": ""},
        headers={"Origin": portal_client.origin},
    )
    session = next(
        value
        for name, value in logged_in.headers.multi_items()
        if name == "set-cookie" and value.startswith("CSPSESSIONID")
    )
    assert (cookie_attributes(form), cookie_attributes(session)) == (
        f"CSPLOGIN-SP-{port}=TOKEN; HttpOnly; Path=/; SameSite=strict",
        f"CSPSESSIONID-SP-{port}=TOKEN; HttpOnly; Path=/; SameSite=strict",
    )


FORGERIES = {
    "no token": (None, ""),
    "a wrong token": ("forged", ""),
    "an empty token": ("", ""),
    "the right token from another site's page": ("right", FOREIGN),
    "the right token from a sandboxed or file: page": ("right", "null"),
}


@pytest.mark.parametrize("path", [urls.LOGIN, urls.LOGOUT, PROBE, PROBE_ANYONE])
def test_a_form_without_its_token_or_from_another_origin_is_refused_and_changes_nothing(
    portal_client: PortalClient, path: str
) -> None:
    if path != urls.LOGIN:  # a login form is posted by someone not yet logged in
        portal_client.login()
    right = portal_client.token(urls.LOGIN if path == urls.LOGIN else urls.HOME)
    answers = {}
    for case, (token, origin) in FORGERIES.items():
        answer = portal_client.post(path, right if token == "right" else token, origin)
        answers[case] = (answer.status_code, message(answer.text))
    if path == urls.LOGIN:
        # A login, or a failure, is a "Management Portal login..." line in the log (the
        # instance, started for this module, may still be logging its own start, its portal's
        # "Management Portal: listening" line among them).
        logged = portal_client.logged().splitlines()
        changed = "\n".join(line for line in logged if "Management Portal log" in line)
    else:
        changed = "" if portal_client.client.get(urls.HOME).status_code == 200 else "logged out"
    assert (answers, portal_client.done, changed) == (
        dict.fromkeys(FORGERIES, (403, REFUSED_FORM)),
        [],
        "",
    )


def test_every_real_action_refuses_a_form_without_the_token(portal_client: PortalClient) -> None:
    portal_client.login()
    refused = {path: portal_client.post(path, None).status_code for path in real_actions()}
    assert refused == dict.fromkeys(real_actions(), 403)


@pytest.mark.parametrize(
    ("path", "status", "said"),
    [
        (PROBE, 403, INSUFFICIENT),
        # Every action of the portal that changes something needs %Admin_Manage.
        *[(path, 403, INSUFFICIENT) for path in real_actions(manages=True)],
        (PROBE_ANYONE, 200, ""),
    ],
)
def test_a_user_without_admin_manage_is_refused_an_action_even_with_its_token(
    portal_client: PortalClient, path: str, status: int, said: str
) -> None:
    users.add(portal_client.layout.mgr, "OPERATOR", ["%Operator"], "secret")
    portal_client.login("OPERATOR", "secret")
    answer = portal_client.post(path, portal_client.token())
    assert (answer.status_code, message(answer.text)) == (status, said)


def test_a_read_only_viewer_is_told_so_on_every_page(portal_client: PortalClient) -> None:
    users.add(portal_client.layout.mgr, "OPERATOR", [], "secret")
    portal_client.login("OPERATOR", "secret")
    badge = '<span class="badge">read-only</span>'
    pages = [urls.HOME, *(address for _, address in urls.MENU)]
    shown = {
        path: badge in answer.text
        for path in pages
        if (answer := portal_client.client.get(path)).status_code == 200
    }
    assert shown == dict.fromkeys(shown, True) and urls.CONSOLE_LOG in shown


@pytest.mark.parametrize(
    ("size", "chunked", "status"),
    [
        (security.MAX_BODY + 1, False, 413),
        (security.MAX_BODY, True, 411),  # no length said: refused before reading it
    ],
)
def test_a_body_over_256_kb_or_without_a_length_is_refused_before_it_is_read(
    portal_client: PortalClient, size: int, chunked: bool, status: int
) -> None:
    body = b"csrf=" + b"x" * (size - 5)
    content = iter([body]) if chunked else body
    answer = portal_client.client.post(
        urls.LOGIN,
        content=content,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (answer.status_code, answer.headers["x-frame-options"]) == (status, "DENY")


@pytest.mark.parametrize(
    ("next_page", "location"),
    [
        ("/csp/sys/op/ConsoleLog.zen?lines=200", "/csp/sys/op/ConsoleLog.zen?lines=200"),
        ("//evil.example/csp/sys/", urls.HOME),
        ("http://evil.example/csp/sys/", urls.HOME),
        ("https:evil.example", urls.HOME),
        ("/\\evil.example", urls.HOME),
        ("/csp/sys/\\\\evil.example", urls.HOME),
        ("/csp/sys//evil.example", urls.HOME),
        ("/elsewhere", urls.HOME),
        ("", urls.HOME),
    ],
)
def test_after_login_the_browser_goes_only_to_a_portal_page(
    portal_client: PortalClient, next_page: str, location: str
) -> None:
    answer = portal_client.login(next_page=next_page)
    assert (answer.status_code, answer.headers["location"]) == (303, location)


@pytest.mark.parametrize(
    ("user", "password"),
    [("_SYSTEM", "wrong"), ("nobody", "SYS"), ("UnknownUser", ""), ("a b", "SYS")],
)
def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(
    portal_client: PortalClient, user: str, password: str
) -> None:
    answer = portal_client.login(user, password)
    assert (answer.status_code, message(answer.text)) == (403, "Access Denied")


def test_five_invalid_logins_disable_the_user_until_it_is_enabled(
    portal_client: PortalClient,
) -> None:
    # The page says "Access Denied" to every refused login, so that it tells no one which user
    # names exist; the console log says why.
    said = [message(portal_client.login(password=f"wrong{n}").text) for n in range(5)]
    late = message(portal_client.login().text)
    unknown = message(portal_client.login("nobody", "wrong").text)
    why = re.findall(
        r"(User _SYSTEM disabled: .*|login failure: user '_SYSTEM' .*)", portal_client.logged()
    )
    enabled = run_cli("user", "enable", "_SYSTEM", "--instance", "CACHE")
    back = portal_client.login()
    assert (said, late, unknown, why, enabled.returncode, back.status_code) == (
        ["Access Denied"] * 5,
        "Access Denied",
        "Access Denied",
        [
            *["login failure: user '_SYSTEM' from testclient (invalid login)"] * 4,
            "login failure: user '_SYSTEM' from testclient (user disabled)",
            "User _SYSTEM disabled: 5 invalid login attempts in a row",
            "login failure: user '_SYSTEM' from testclient (user disabled)",
        ],
        0,
        303,
    )


@pytest.mark.parametrize("how", ["deleted", "disabled"])
def test_a_live_session_ends_at_its_next_request_once_its_user_is_gone(
    portal_client: PortalClient, how: str
) -> None:
    mgr = portal_client.layout.mgr
    users.add(mgr, "ann", ["%Manager"], "right")
    portal_client.login("ann", "right")
    before = portal_client.client.get(urls.HOME).status_code
    if how == "deleted":
        users.delete(mgr, "ann")
    else:
        for n in range(users.INVALID_LOGIN_LIMIT):
            users.authenticate(mgr, "ann", f"wrong{n}")
    after = portal_client.client.get(urls.HOME)
    ended = re.findall(
        r"Management Portal logout: user ann \(CSP session \w+\): (.*)", portal_client.logged()
    )
    assert (before, after.status_code, after.headers["location"], ended) == (
        200,
        303,
        f"{urls.LOGIN}?next=%2Fcsp%2Fsys%2FUtilHome.csp",
        ["user no longer enabled"],
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", urls.LOGIN), ("GET", urls.HOME), ("GET", urls.CONSOLE_LOG), ("POST", urls.LOGOUT)],
)
def test_every_answer_forbids_framing_sniffing_and_foreign_scripts(
    portal_client: PortalClient, method: str, path: str
) -> None:
    portal_client.login()
    answer = portal_client.client.request(method, path)
    got = {name: answer.headers.get(name) for name in security.HEADERS}
    assert got == security.HEADERS


def test_another_sites_logout_post_is_refused_even_when_it_brings_no_session(
    portal_client: PortalClient,
) -> None:
    # SameSite=Strict keeps the cookie from another site's post; were the post answered, the
    # answer would delete the cookie, logging the browser out.
    answer = portal_client.post(urls.LOGOUT, None, FOREIGN)
    deleted = "CSPSESSIONID" in answer.headers.get("set-cookie", "")
    assert (answer.status_code, message(answer.text), deleted) == (403, REFUSED_FORM, False)
