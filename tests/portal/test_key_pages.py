"""The License Key pages' rules over Starlette's TestClient (no browser): the key as CKEY shows
it, what an uploaded file must be, who may activate, and that nothing a browser sends names a
path on the server.

The procedure is the chapter's "Activating a License Key" (Caché System Administration Guide,
https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=GSA_license).
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_cli
from starlette.testclient import TestClient

from cacheshell.frontends.portal import urls
from cacheshell.frontends.portal.app import build_app
from cacheshell.system import users
from cacheshell.system.layout import InstanceLayout

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
MESSAGE = re.compile(r'<p class="error" id="message" role="alert">([^<]*)</p>')
ROW = re.compile(r'<th scope="row">([^<]*)</th>((?:<td[^>]*>[^<]*</td>)+)')
CELL = re.compile(r"<td[^>]*>([^<]*)</td>")
READER = ("READER", "reader-password")


class Browser:
    """A TestClient logged in to the portal, with its session's CSRF token."""

    def __init__(self, client: TestClient, csrf: str) -> None:
        self.client = client
        self.csrf = csrf

    def upload(self, name: str, data: bytes, csrf: str | None = None) -> tuple[int, str]:
        fields = {"step": "select", "csrf": self.csrf if csrf is None else csrf}
        answer = self.client.post(
            urls.ACTIVATE_KEY, data=fields, files={"keyfile": (name, data, "text/plain")}
        )
        return answer.status_code, answer.text

    def activate(self) -> tuple[int, str]:
        answer = self.client.post(urls.ACTIVATE_KEY, data={"step": "activate", "csrf": self.csrf})
        return answer.status_code, answer.text


def rows(page: str) -> list[tuple[str, ...]]:
    """A page's table rows: the row's label, then each cell's text."""
    return [
        (html.unescape(label), *(html.unescape(c) for c in CELL.findall(cells)))
        for label, cells in ROW.findall(page)
    ]


def message(page: str) -> str:
    found = MESSAGE.search(page)
    return html.unescape(found.group(1)) if found else ""


def log_in(client: TestClient, user: str, password: str) -> Browser:
    form = client.get(urls.LOGIN).text
    token = CSRF.search(form)
    assert token, form
    fields = {"csrf": token.group(1), "username": user, "password": password, "next": urls.HOME}
    home = client.post(urls.LOGIN, data=fields)
    session = CSRF.search(home.text)
    assert home.status_code == 200 and session, home.text
    return Browser(client, session.group(1))


def issue(path: Path, *options: str) -> bytes:
    done = run_cli("key", "issue", *options, "-o", str(path))
    assert done.returncode == 0, done.stderr
    return path.read_bytes()


def create(*options: str) -> None:
    made = run_cli("control", "create", "CACHE", *options)
    assert made.returncode == 0, made.stderr


@pytest.fixture
def portal_client(cacheshell_home: Path) -> Iterator[TestClient]:
    """The portal's application over the running default instance, not yet logged in."""
    if not (cacheshell_home / "CACHE").exists():
        create()
    layout = InstanceLayout(cacheshell_home, "CACHE")
    port = int(os.environ["CACHESHELL_WEB_PORT"])
    with TestClient(build_app(layout, port), base_url=f"http://127.0.0.1:{port}") as client:
        yield client


@pytest.fixture
def admin(portal_client: TestClient) -> Browser:
    return log_in(portal_client, "_SYSTEM", "SYS")


@pytest.fixture
def key_file(cacheshell_home: Path) -> Path:
    return cacheshell_home / "CACHE" / "mgr" / "cache.key"


def test_license_key_page_shows_the_fields_ckey_shows(admin: Browser) -> None:
    ckey = run_cli("-U", "%SYS", "Do $System.License.CKEY()")
    shown = [
        (label.strip(), value.strip())
        for label, value in re.findall(r"^ {5}(\w+) =(.*)$", ckey.stdout, re.MULTILINE)
    ]
    page = admin.client.get(urls.LICENSE_KEY).text
    assert rows(page)[:6] == shown
    # The portal session holds one unit of the training key's five, as a CSP session does; the
    # CKEY terminal held another while it ran.
    assert rows(page)[6:] == [
        ("Current Available", "4"),
        ("Minimum Available", "3"),
        ("Maximum Available", "5"),
    ]
    assert f'<a class="button" id="activate-key" href="{urls.ACTIVATE_KEY}">' in page


# "If no license has yet been activated, this is indicated, for example by the notation
# Customer Name: License missing or unreadable" (GSA_license, "Activating a License Key").
def test_without_a_key_customer_name_says_why(cacheshell_home: Path, key_file: Path) -> None:
    create()
    assert run_cli("control", "stop", "CACHE").returncode == 0
    key_file.unlink()
    started = run_cli("control", "start", "CACHE")
    assert "No valid license key: License missing or unreadable" in started.stdout
    app = build_app(InstanceLayout(cacheshell_home, "CACHE"), 1)
    with TestClient(app, base_url="http://127.0.0.1:1") as client:
        page = log_in(client, "_SYSTEM", "SYS").client.get(urls.LICENSE_KEY).text
    assert (
        '<p class="error" id="key-status" role="alert">Key status: Invalid. License missing or '
        "unreadable</p>"
    ) in page
    assert rows(page)[:6] == [
        ("LicenseCapacity", ""),
        ("CustomerName", "License missing or unreadable"),
        ("OrderNumber", ""),
        ("ExpirationDate", ""),
        ("AuthorizationKey", ""),
        ("MachineID", ""),
    ]


def test_a_bigger_key_is_shown_beside_the_current_one_and_activated_with_one_audit_line(
    admin: Browser, tmp_path: Path, cacheshell_home: Path, key_file: Path
) -> None:
    data = issue(tmp_path / "acme.key", "--units", "50", "--multi", "--customer", "Acme")
    before = key_file.read_text(encoding="utf-8")
    status, page = admin.upload("acme.key", data)
    assert status == 200, message(page)
    compared = {label: cells for label, *cells in rows(page)}
    assert compared["LicenseUnits"] == ["5", "50"]
    assert compared["CustomerName"][1] == "Acme"
    assert (
        '<p class="notice" id="restart">No restart will be needed: the key takes effect when '
        "it is activated.</p>"
    ) in page
    status, done = admin.activate()
    assert status == 200
    assert key_file.read_bytes() == data
    assert (key_file.parent / "cache.key.previous").read_text(encoding="utf-8") == before
    assert list(key_file.parent.glob(".portal-upload*")) == []
    log = (cacheshell_home / "CACHE" / "mgr" / "cconsole.log").read_text(encoding="utf-8")
    order = re.search(r"OrderNumber=(\d+)", data.decode()).group(1)  # type: ignore[union-attr]
    audit = (
        "License key activated through the Management Portal by _SYSTEM: acme.key "
        f"(CustomerName Acme, OrderNumber {order}) copied to {key_file}; it takes effect now"
    )
    assert log.count(audit) == 1
    assert log.count("License key activated: 50 license units (Concurrent User, Multi server)") == 1
    page = admin.client.get(urls.LICENSE_KEY).text
    assert ("Maximum Available", "50") in rows(page)


# What the chapter says of a file that is not a valid key: "If the key is not valid, this is
# indicated in an error message" (GSA_license, "Activating a License Key").
@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "tampered.key",
            "tamper",
            "The license key is not valid: License key signature is not valid: the key was "
            "changed after it was issued, or its issuer is not trusted",
        ),
        (
            "expired.key",
            "expired",
            "The license key is not valid: License key expired on 1/1/2001",
        ),
        (
            "notes.txt",
            b"[License]\nCustomerName=Acme\n",
            "The license key is not valid: not a license key file: no [ConfigFile] section",
        ),
        (
            "photo.png",
            b"\x89PNG\r\n\x1a\n\x00\x00",
            "The file photo.png is not a text file: it is not a license key file.",
        ),
        ("empty.key", b"", "The file empty.key is empty: it is not a license key file."),
        (
            "huge.key",
            b"x" * (64 * 1024 + 1),
            "The file huge.key is larger than 64 KB, the most a license key file may hold: it "
            "was not kept.",
        ),
    ],
)
def test_a_file_that_is_not_a_valid_key_is_refused_and_nothing_changes(
    admin: Browser, tmp_path: Path, key_file: Path, name: str, content: object, expected: str
) -> None:
    if content == "tamper":
        good = issue(tmp_path / "acme.key", "--units", "50", "--customer", "Acme")
        data = good.replace(b"Acme", b"Acmf")
    elif content == "expired":
        data = issue(tmp_path / "old.key", "--units", "50", "--expires", "1/1/2001")
    else:
        assert isinstance(content, bytes)
        data = content
    before = key_file.read_bytes()
    status, page = admin.upload(name, data)
    assert (status, message(page)) == (400, expected)
    # Nothing was kept to activate.
    status, page = admin.activate()
    assert (status, message(page)) == (400, "Choose a license key file first.")
    assert key_file.read_bytes() == before


def test_a_body_larger_than_the_portal_takes_is_refused_before_it_is_read(admin: Browser) -> None:
    status, page = admin.upload("huge.key", b"x" * (300 * 1024))
    assert (status, message(page)) == (
        413,
        "Request refused: larger than 256 KB. A license key file is at most 64 KB.",
    )


@pytest.mark.parametrize(
    "filename",
    ["../../../../evil.key", "/tmp/evil.key", "..\\..\\evil.key", "mgr/../evil.key"],
)
def test_the_browsers_file_name_is_shown_only_and_names_no_path(
    admin: Browser, tmp_path: Path, cacheshell_home: Path, key_file: Path, filename: str
) -> None:
    data = issue(tmp_path / "acme.key", "--units", "20", "--multi")
    status, page = admin.upload(filename, data)
    assert status == 200, message(page)
    assert "<h2>Selected: evil.key</h2>" in page
    status, _ = admin.activate()
    assert status == 200
    assert key_file.read_bytes() == data
    assert sorted(p.name for p in Path("/tmp").glob("evil.key")) == []
    assert sorted(str(p) for p in tmp_path.rglob("evil.key")) == []
    assert list(key_file.parent.glob(".portal-upload*")) == []


def test_a_read_only_user_sees_the_key_but_cannot_activate_even_with_a_forged_post(
    portal_client: TestClient, tmp_path: Path, cacheshell_home: Path, key_file: Path
) -> None:
    users.add(cacheshell_home / "CACHE" / "mgr", READER[0], ["%Operator"], password=READER[1])
    reader = log_in(portal_client, *READER)
    page = reader.client.get(urls.LICENSE_KEY).text
    assert ("CustomerName", "") not in rows(page) and rows(page)[0][0] == "LicenseCapacity"
    assert "Activate License Key" not in page
    refusal = "Insufficient privilege: this needs the %Admin_Manage role."
    answer = reader.client.get(urls.ACTIVATE_KEY)
    assert (answer.status_code, message(answer.text)) == (403, refusal)
    before = key_file.read_bytes()
    status, page = reader.upload("acme.key", issue(tmp_path / "acme.key", "--units", "50"))
    assert (status, message(page)) == (403, refusal)
    status, page = reader.activate()
    assert (status, message(page)) == (403, refusal)
    assert key_file.read_bytes() == before


@pytest.mark.parametrize(
    ("csrf", "origin"),
    [("", None), ("forged-token", None), (None, "http://attacker.example")],
)
def test_a_form_without_this_sessions_token_or_from_another_site_is_refused(
    admin: Browser, tmp_path: Path, key_file: Path, csrf: str | None, origin: str | None
) -> None:
    data = issue(tmp_path / "acme.key", "--units", "50", "--multi")
    fields = {"step": "select", "csrf": admin.csrf if csrf is None else csrf}
    headers = {"Origin": origin} if origin else {}
    before = key_file.read_bytes()
    answer = admin.client.post(
        urls.ACTIVATE_KEY,
        data=fields,
        files={"keyfile": ("acme.key", data, "text/plain")},
        headers=headers,
    )
    assert (answer.status_code, message(answer.text)) == (
        403,
        "The form was refused: it did not come from this page.",
    )
    status, page = admin.activate()
    assert (status, message(page)) == (400, "Choose a license key file first.")
    assert key_file.read_bytes() == before


def test_logging_out_drops_the_selected_key(admin: Browser, tmp_path: Path) -> None:
    data = issue(tmp_path / "acme.key", "--units", "50", "--multi")
    assert admin.upload("acme.key", data)[0] == 200
    admin.client.post(urls.LOGOUT, data={"csrf": admin.csrf})
    again = log_in(admin.client, "_SYSTEM", "SYS")
    status, page = again.activate()
    assert (status, message(page)) == (400, "Choose a license key file first.")
