"""What the Management Portal does with requests no page of it makes: a Host that is not one of
its names (DNS rebinding), tokens and numbers in characters a form never holds, addresses and
methods it has no page for, bodies it will not read, and library warnings that must not reach
the console log. In-process under TestClient over a running instance, and over real sockets to
that instance's own web server where the server's side matters."""

from __future__ import annotations

import html
import http.client
import re
import socket
import time
from pathlib import Path

import pytest
from portal_testclient import (  # noqa: F401  (the fixtures portal_client, running_instance)
    PROBE,
    PortalClient,
    portal_client_fixture,
    running_instance_fixture,
)

from cacheshell.frontends.portal import security, urls
from cacheshell.frontends.portal.head_deadline import HEAD_TIMEOUT
from cacheshell.frontends.portal.security import Hosts
from cacheshell.system import web_config
from cacheshell.system.cpf import Cpf
from cacheshell.system.layout import InstanceLayout

REFUSED_FORM = "The form was refused: it did not come from this page."
TOO_LARGE = "Request refused: larger than 256 KB. A license key file is at most 64 KB."
# A console log line: MM/DD/YY-HH:MM:SS:mmm (pid) severity text
LOG_LINE = re.compile(r"\d\d/\d\d/\d\d-\d\d:\d\d:\d\d:\d\d\d \(\d+\) [0-3] \S.*")


def message(page: str) -> str:
    found = re.search(r'id="message"[^>]*>(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else ""


def back_link(page: str) -> str:
    found = re.search(r'<a id="back" href="([^"]*)">Back</a>', page)
    return html.unescape(found.group(1)) if found else ""


def portal_lines(logged: str) -> list[str]:
    """The portal's lines among what the console log got (the instance logs on its own too)."""
    return [line for line in logged.splitlines() if "Management Portal" in line]


def web_port(layout: InstanceLayout) -> int:
    port = web_config.settings(Cpf(layout.mgr / "cache.cpf")).port
    assert port is not None
    return port


def raw_request(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, str]:
    """A request to the instance's own web server over a socket, with exactly these headers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(body or None)
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


# -- the Host header (DNS rebinding) -------------------------------------------------------------
PORT = 57772
HOSTNAME = "trainee-pc"


@pytest.mark.parametrize(
    ("address", "port", "host", "allowed"),
    [
        ("127.0.0.1", PORT, "127.0.0.1:57772", True),
        ("127.0.0.1", PORT, "localhost:57772", True),
        ("127.0.0.1", PORT, "LocalHost:57772", True),  # host names know no case
        ("127.0.0.1", PORT, "rebind.evil.example:57772", False),
        ("127.0.0.1", PORT, "rebind.evil.example", False),
        ("127.0.0.1", PORT, "127.0.0.1", False),  # a browser leaves out port 80 only
        ("127.0.0.1", PORT, "localhost", False),
        ("127.0.0.1", PORT, "127.0.0.1:57773", False),
        ("127.0.0.1", PORT, "127.0.0.2:57772", False),
        ("127.0.0.1", PORT, "[::1]:57772", False),
        ("127.0.0.1", PORT, f"{HOSTNAME}:57772", False),
        ("127.0.0.1", PORT, "", False),
        ("127.0.0.1", 80, "127.0.0.1", True),
        ("127.0.0.1", 80, "localhost", True),
        ("127.0.0.1", 80, "localhost:80", True),
        ("::1", PORT, "[::1]:57772", True),
        ("::1", PORT, "127.0.0.1:57772", False),
        ("10.1.2.3", PORT, "10.1.2.3:57772", True),
        ("10.1.2.3", PORT, "localhost:57772", False),
        ("0.0.0.0", PORT, "10.1.2.3:57772", True),
        ("0.0.0.0", PORT, "127.0.0.1:57772", True),
        ("0.0.0.0", PORT, "[fe80::1]:57772", True),
        ("0.0.0.0", PORT, "localhost:57772", True),
        ("0.0.0.0", PORT, f"{HOSTNAME}:57772", True),
        ("0.0.0.0", PORT, "10.1.2.3:57773", False),
        ("0.0.0.0", PORT, "10.1.2.3", False),
        ("0.0.0.0", PORT, "rebind.evil.example:57772", False),
        ("0.0.0.0", PORT, "10.1.2.3.evil.example:57772", False),
        ("0.0.0.0", PORT, "10.1.2.3:+57772", False),
    ],
)
def test_the_portal_is_addressed_only_by_the_names_of_its_listening_address(
    address: str, port: int, host: str, allowed: bool
) -> None:
    assert Hosts.of(address, port, HOSTNAME).allows(host) is allowed


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://127.0.0.1:57772", True),
        ("http://localhost:57772", True),
        ("https://127.0.0.1:57772", False),  # the portal speaks http only
        ("http://127.0.0.1:57773", False),  # another instance's portal
        ("http://rebind.evil.example:57772", False),
        ("null", False),
    ],
)
def test_a_form_may_come_only_from_a_page_of_the_portal_by_one_of_its_names(
    origin: str, allowed: bool
) -> None:
    assert Hosts.of("127.0.0.1", PORT, HOSTNAME).allows_origin(origin) is allowed


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", urls.LOGIN), ("GET", urls.HOME), ("POST", urls.LOGIN), ("GET", "/csp/sys/missing")],
)
def test_a_request_by_another_host_name_is_refused_before_anything_runs(
    portal_client: PortalClient, method: str, path: str
) -> None:
    token = portal_client.token(urls.LOGIN)
    evil = f"rebind.evil.example:{portal_client.port}"
    answer = portal_client.client.request(
        method,
        path,
        data={"csrf": token, "username": "_SYSTEM", "password": "SYS"}
        if method == "POST"
        else None,
        headers={"Host": evil, "Origin": f"http://{evil}"},
    )
    cookies = answer.headers.get("set-cookie", "")
    logged = portal_lines(portal_client.logged())
    assert (answer.status_code, message(answer.text), cookies, logged) == (400, "Bad Host", "", [])


def test_a_login_from_the_portals_other_name_is_taken(portal_client: PortalClient) -> None:
    token = portal_client.token(urls.LOGIN)
    local = f"localhost:{portal_client.port}"
    answer = portal_client.client.post(
        urls.LOGIN,
        data={"csrf": token, "username": "_SYSTEM", "password": "SYS", "next": ""},
        headers={"Host": local, "Origin": f"http://{local}"},
    )
    assert (answer.status_code, answer.headers["location"]) == (303, urls.HOME)


def test_the_instances_web_server_refuses_another_host_name(
    running_instance: InstanceLayout,
) -> None:
    port = web_port(running_instance)
    status, page = raw_request(port, "GET", urls.LOGIN, {"Host": f"rebind.evil.example:{port}"})
    assert (status, message(page)) == (400, "Bad Host")


# -- tokens and numbers in any characters -------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [b"csrf=%C3%A9", b"csrf=%FF", b"csrf=%ED%A0%80", "csrf=\u00e9".encode("latin-1")],
    ids=["e-acute", "ff", "surrogate", "latin-1 byte"],
)
@pytest.mark.parametrize("path", [urls.LOGIN, PROBE])
def test_a_token_in_any_characters_is_a_wrong_token(
    portal_client: PortalClient, path: str, body: bytes
) -> None:
    if path != urls.LOGIN:
        portal_client.login()
    portal_client.token(urls.LOGIN if path == urls.LOGIN else urls.HOME)  # the form's cookie
    start = portal_client.log.stat().st_size
    answer = portal_client.client.post(
        path,
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": portal_client.origin,
        },
    )
    logged = portal_lines(portal_client.log.read_bytes()[start:].decode())
    assert (answer.status_code, message(answer.text), logged) == (403, REFUSED_FORM, [])


@pytest.mark.parametrize(
    "query",
    # int() reads Arabic-Indic and fullwidth 200 as 200, one of the choices: not ASCII, not one.
    [
        "lines=\u00b2",
        "severity=\u00b2",
        "lines=\u0662\u0660\u0660",
        "lines=%EF%BC%92%EF%BC%90%EF%BC%90",
    ],
    ids=["superscript two", "severity superscript", "arabic-indic 200", "fullwidth 200"],
)
def test_a_number_in_other_digits_reads_as_the_default_view(
    portal_client: PortalClient, query: str
) -> None:
    portal_client.login()
    answer = portal_client.client.get(f"{urls.CONSOLE_LOG}?{query}")
    chosen = re.search(r'<option value="(\d+)" selected>', answer.text)
    assert (answer.status_code, chosen.group(1) if chosen else None) == (200, "50")


def test_a_length_in_other_digits_is_refused_by_the_guard(portal_client: PortalClient) -> None:
    answer = portal_client.client.post(
        urls.LOGIN,
        content=b"",
        headers=[
            (b"Content-Type", b"application/x-www-form-urlencoded"),
            (b"Content-Length", b"\xb2"),
        ],
    )
    assert (answer.status_code, message(answer.text)) == (413, TOO_LARGE)


@pytest.mark.parametrize(
    ("text", "port"), [("\u00b2", None), ("57772", 57772), ("\u0665\u0667\u0667\u0667\u0662", None)]
)
def test_a_web_server_port_in_other_digits_is_no_port(
    tmp_path: Path, text: str, port: int | None
) -> None:
    cpf = Cpf(tmp_path / "cache.cpf")
    cpf.set("Startup", "WebServerPort", text)
    assert (
        web_config.settings(cpf).port,
        web_config.first_port({"CACHESHELL_WEB_PORT": text}),
    ) == (
        port,
        port or web_config.FIRST_PORT,
    )


# -- the portal's own error page for every refusal ----------------------------------------------
def test_an_address_without_a_page_shows_the_error_page(portal_client: PortalClient) -> None:
    answer = portal_client.client.get("/csp/sys/missing")
    assert (
        answer.status_code,
        message(answer.text),
        'href="/csp/sys/UtilHome.csp"' in answer.text,
    ) == (
        404,
        "There is no page at /csp/sys/missing.",
        True,
    )


def test_after_login_to_a_missing_page_the_error_page_shows_the_user(
    portal_client: PortalClient,
) -> None:
    portal_client.login(next_page="/csp/sys/missing")
    answer = portal_client.client.get("/csp/sys/missing")
    user = re.search(r'id="username">([^<]*)<', answer.text)
    assert (answer.status_code, message(answer.text), user.group(1) if user else "") == (
        404,
        "There is no page at /csp/sys/missing.",
        "_SYSTEM",
    )


def test_a_missing_static_file_shows_the_error_page(portal_client: PortalClient) -> None:
    answer = portal_client.client.get(f"{urls.STATIC}/missing.css")
    assert (answer.status_code, message(answer.text)) == (
        404,
        f"There is no page at {urls.STATIC}/missing.css.",
    )


def test_a_method_a_page_does_not_take_shows_the_error_page(portal_client: PortalClient) -> None:
    answer = portal_client.client.get(urls.LOGOUT)
    assert (answer.status_code, message(answer.text), answer.headers["allow"]) == (
        405,
        f"{urls.LOGOUT} does not take a GET request.",
        "POST",
    )


def test_a_form_of_too_many_fields_shows_the_error_page(portal_client: PortalClient) -> None:
    fields = {f"f{n}": "x" for n in range(1001)}
    answer = portal_client.client.post(
        urls.LOGIN, data=fields, headers={"Origin": portal_client.origin}
    )
    assert (answer.status_code, message(answer.text)) == (
        400,
        "The form could not be read: Too many fields. Maximum number of fields is 1000.",
    )


@pytest.mark.parametrize(
    ("referer", "back"),
    [
        ("http://127.0.0.1:{port}/csp/sys/mgr/License.Activate.zen", urls.ACTIVATE_KEY),
        ("http://127.0.0.1:{port}//evil.example/", urls.HOME),
        ("", urls.HOME),
    ],
)
def test_a_body_over_the_limit_shows_a_page_that_says_the_limit_and_leads_back(
    portal_client: PortalClient, referer: str, back: str
) -> None:
    body = b"csrf=" + b"x" * security.MAX_BODY
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if referer:
        headers["Referer"] = referer.format(port=portal_client.port)
    answer = portal_client.client.post(urls.ACTIVATE_KEY, content=body, headers=headers)
    stylesheet = f'<link rel="stylesheet" href="{urls.STATIC}/portal.css">' in answer.text
    assert (answer.status_code, message(answer.text), back_link(answer.text), stylesheet) == (
        413,
        TOO_LARGE,
        back,
        True,
    )


# -- the console log keeps its format -----------------------------------------------------------
def test_a_malformed_form_leaves_no_library_warning_in_the_console_log(
    running_instance: InstanceLayout,
) -> None:
    port = web_port(running_instance)
    status, page = raw_request(
        port,
        "POST",
        urls.LOGIN,
        {
            "Host": f"127.0.0.1:{port}",
            "Content-Type": "multipart/form-data; boundary=XX",
            "Content-Length": "4",
        },
        b"zzzz",
    )
    lines = (running_instance.mgr / "cconsole.log").read_text().splitlines()
    assert (status, message(page), [line for line in lines if not LOG_LINE.fullmatch(line)]) == (
        400,
        "The form could not be read: Invalid multipart data.",
        [],
    )


# -- connections that never finish a request ----------------------------------------------------
HELD = 70  # more than the web server's 64 concurrent connections


def closed_by_server(connection: socket.socket, deadline: float) -> bool:
    connection.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        return connection.recv(1) == b""
    except TimeoutError:
        return False


def test_connections_that_never_finish_their_request_head_are_closed_within_the_deadline(
    running_instance: InstanceLayout,
) -> None:
    port = web_port(running_instance)
    head = f"GET {urls.LOGIN} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode()  # no end
    host = {"Host": f"127.0.0.1:{port}"}
    held = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(HELD)]
    try:
        for connection in held:
            connection.sendall(head)
        busy = raw_request(port, "GET", urls.LOGIN, host)[0]  # while they are held
        deadline = time.monotonic() + HEAD_TIMEOUT + 5
        closed = [closed_by_server(connection, deadline) for connection in held]
        after = raw_request(port, "GET", urls.LOGIN, host)[0]
    finally:
        for connection in held:
            connection.close()
    assert (busy, closed, after) == (503, [True] * HELD, 200)
