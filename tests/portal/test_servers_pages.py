"""System Administration > Licensing > License Servers, in-process (TestClient): the list, Add,
edit by the name, Delete, Config.LicenseServers' rules as form errors with the input kept, the
restart notice and its console log line, and the refusals (no CSRF token, a read-only user)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from httpx2 import Response
from portal_client import ORIGIN, add_reader, field, log_in, portal_client, started_instance
from starlette.testclient import TestClient

from cacheshell.frontends.portal import urls
from cacheshell.system.cpf import Cpf
from cacheshell.system.instance import CPF_FILE, Instance
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.processes import wait_until

RESTART = (
    "After adding or deleting a license server, you may need to restart the Caché instance in "
    "order for the change to take effect."
)
FOREIGN = "The form was refused: it did not come from this page."
POSTED = {"Origin": ORIGIN}


def section(layout: InstanceLayout) -> list[str]:
    cpf = Cpf(layout.mgr / CPF_FILE)
    return [f"{name}={value}" for name, value in cpf.section("LicenseServers").items()]


def last_log_line(layout: InstanceLayout) -> str:
    """The console log's last line without its stamp, pid and severity."""
    line = Instance(layout).log.tail(1)[0]
    return line.split(") 0 ", 1)[1]


def message(page: str) -> str:
    found = re.search(r'id="message"[^>]*>(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else ""


def rows(page: str) -> list[list[str]]:
    """The cells' text of the servers table, row by row (a Delete form as "Delete")."""
    body = page.split('<table id="servers">', 1)[1].split("</table>", 1)[0]
    found = []
    for row in re.findall(r"<tr data-name=[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        found.append([html.unescape(re.sub(r"<[^>]+>|\s+", " ", c)).split() for c in cells])
    return [[" ".join(words) for words in row] for row in found]


@dataclass(frozen=True)
class Portal:
    layout: InstanceLayout
    admin: TestClient
    admin_csrf: str
    reader: TestClient
    reader_csrf: str
    local: str  # the [LicenseServers] line the instance was created with


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """One started instance for the module (starting one takes a second), logged in as _SYSTEM
    and as a read-only user; `portal` puts its configuration back before each test."""
    with started_instance(tmp_path_factory.mktemp("servers-pages")) as layout:
        add_reader(layout)
        with portal_client(layout) as admin, portal_client(layout) as reader:
            local = section(layout)[0]
            yield Portal(
                layout, admin, log_in(admin), reader, log_in(reader, "READER", "reader-pw"), local
            )


@pytest.fixture
def portal(shared: Portal) -> Portal:
    cpf = Cpf(shared.layout.mgr / CPF_FILE)
    name, _, value = shared.local.partition("=")
    cpf.sections["LicenseServers"] = {name: value}
    cpf.set("Startup", "IPv6", "0")
    cpf.save()
    # A test before may have moved the instance off LOCAL: its monitor's next cycle reads the
    # configuration put back and reports to LOCAL again, as the page then shows.
    instance = Instance(shared.layout)
    try:
        active = f"{name} {value.replace(',', ' ')}"
        assert wait_until(lambda: instance.store.get("active_server") == active, 30)
    finally:
        instance.store.close()
    return shared


def post(portal: Portal, target: str, **data: str) -> Response:
    """A form of the admin's session, with its CSRF token."""
    return portal.admin.post(target, data={"csrf": portal.admin_csrf, **data}, headers=POSTED)


def add(portal: Portal, name: str, address: str, port: str) -> Response:
    return post(portal, urls.LICENSE_SERVER, editing="", name=name, address=address, port=port)


def local_port(portal: Portal) -> str:
    return portal.local.rpartition(",")[2]


# -- the list -------------------------------------------------------------------------------------
def test_the_list_shows_name_address_port_state_edit_and_delete(portal: Portal) -> None:
    page = portal.admin.get(urls.LICENSE_SERVERS).text
    assert (
        "This displays a list of license servers configured for this installation. From this "
        "page you can edit or delete an existing server definition or add a new server." in page,
        rows(page),
        f'<a href="{urls.LICENSE_SERVER}?name=LOCAL">LOCAL</a>' in page,
        '<button type="submit" id="add">Add</button>' in page,
        '<tr data-name="LOCAL" class="active">' in page,  # one server: no choice, no shading
    ) == (True, [["LOCAL", "127.0.0.1", local_port(portal), "Active", "Delete"]], True, True, False)


def test_a_hand_edited_line_that_is_not_used_is_shown_with_why(portal: Portal) -> None:
    cpf = Cpf(portal.layout.mgr / CPF_FILE)
    cpf.set("LicenseServers", "OLD", "192.0.2.9,80")
    cpf.save()
    page = portal.admin.get(urls.LICENSE_SERVERS).text
    problems = [html.unescape(p) for p in re.findall(r'class="warning problem">(.*?)</p>', page)]
    assert problems == [
        "[LicenseServers] OLD=192.0.2.9,80 is not used: Port 80 is outside 1024-65535"
    ]


def test_the_list_needs_a_login(portal: Portal) -> None:
    with portal_client(portal.layout) as client:
        answer = client.get(urls.LICENSE_SERVERS)
    assert (answer.status_code, answer.headers["location"]) == (
        303,
        "/csp/sys/login.csp?next=%2Fcsp%2Fsys%2Fmgr%2FLicense.Servers.zen",
    )


# -- Add: Config.LicenseServers' rules, as form errors with the input kept ------------------------
@pytest.mark.parametrize(
    ("name", "address", "port", "error"),
    [
        ("MAIN", "192.0.2.1", "80", "Port 80 is outside 1024-65535"),
        ("MAIN", "192.0.2.1", "65536", "Port 65536 is outside 1024-65535"),
        ("MAIN", "192.0.2.1", "4001x", "Port '4001x' is not a number"),
        ("MAIN", "192.0.2.1", "", "Port '' is not a number"),
        # The Port box takes ASCII digits only, though Python's int() reads these three as 4005.
        (
            "MAIN",
            "192.0.2.1",
            "\uff14\uff10\uff10\uff15",
            "Port '\uff14\uff10\uff10\uff15' is not a number",
        ),
        ("MAIN", "192.0.2.1", "4_005", "Port '4_005' is not a number"),
        ("MAIN", "192.0.2.1", "+4005", "Port '+4005' is not a number"),
        ("MAIN", "192.0.2.1", "-4005", "Port '-4005' is not a number"),
        ("MAIN", "", "4001", "The address of a license server is required"),
        (
            "MAIN",
            "192.0.2.300",
            "4001",
            "'192.0.2.300' is not a valid IPv4 address (dotted decimal, four numbers 0-255)",
        ),
        ("MAIN", "lic server", "4001", "'lic server' is neither an IP address nor a host name"),
        # The chapter: "If IPv6 is enabled, you can enter a colon separated format IPv6 address".
        (
            "MAIN",
            "2001:fecd:ba23:cd1f:dcb1:1010:9234:4085",
            "4001",
            "'2001:fecd:ba23:cd1f:dcb1:1010:9234:4085' is an IPv6 address, but IPv6 is not "
            "enabled for this instance",
        ),
        ("", "192.0.2.1", "4001", "The name of a license server is required"),
        ("MY SERVER", "192.0.2.1", "4001", "'MY SERVER' is not a valid license server name"),
        # "The name ... must be unique to a configuration."
        ("local", "192.0.2.1", "4001", "License server LOCAL already exists"),
    ],
)
def test_add_shows_the_rule_broken_and_keeps_the_input(
    portal: Portal, name: str, address: str, port: str, error: str
) -> None:
    answer = add(portal, name, address, port)
    page = answer.text
    kept = tuple(html.unescape(field(page, f)) for f in ("name", "address", "port"))
    assert (answer.status_code, message(page), kept, section(portal.layout)) == (
        400,
        error,
        (name, address, port),
        [portal.local],
    )


# "The License Server port number used at each IP address must be different from any UDP port
# number used at that IP address" (cache.cpf reference, [LicenseServers]:
# https://docs.intersystems.com/latest/csp/docbook/DocBook.UI.Page.cls?KEY=RCPF_LICENSESERVERS_N).
def test_two_servers_at_one_address_need_different_ports(portal: Portal) -> None:
    page = add(portal, "SECOND", "127.0.0.1", local_port(portal)).text
    assert message(page) == (
        f"License server LOCAL already uses 127.0.0.1 port {local_port(portal)}: two servers "
        "at one address need different ports"
    )


def test_add_saves_the_server_notes_the_restart_and_logs_it(portal: Portal) -> None:
    answer = add(portal, "main", "192.0.2.1", "4001")
    listed = portal.admin.get(answer.headers["location"]).text
    assert (
        answer.status_code,
        message(listed),
        rows(listed)[1],
        section(portal.layout),
        last_log_line(portal.layout),
    ) == (
        303,
        f"License server MAIN added. {RESTART}",
        ["MAIN", "192.0.2.1", "4001", "", "Delete"],
        [portal.local, "MAIN=192.0.2.1,4001"],
        f"License server MAIN added (192.0.2.1,4001). {RESTART}",
    )


def test_an_ipv6_address_is_taken_when_ipv6_is_enabled(portal: Portal) -> None:
    cpf = Cpf(portal.layout.mgr / CPF_FILE)
    cpf.set("Startup", "IPv6", "1")
    cpf.save()
    add(portal, "V6", "2001:fecd:ba23:cd1f:dcb1:1010:9234:4085", "4001")
    assert section(portal.layout) == [
        portal.local,
        "V6=2001:fecd:ba23:cd1f:dcb1:1010:9234:4085,4001",
    ]


# -- Edit: click the name -------------------------------------------------------------------------
def test_the_name_opens_the_form_filled_with_the_name_fixed(portal: Portal) -> None:
    page = portal.admin.get(f"{urls.LICENSE_SERVER}?name=local").text
    assert (
        field(page, "editing"),
        field(page, "name"),
        field(page, "address"),
        field(page, "port"),
        bool(re.search(r'<input name="name"[^>]* readonly>', page)),
    ) == ("LOCAL", "LOCAL", "127.0.0.1", local_port(portal), True)


def test_saving_an_edit_changes_the_line_in_place_and_logs_it(portal: Portal) -> None:
    add(portal, "MAIN", "192.0.2.1", "4001")
    add(portal, "BACKUP", "192.0.2.2", "4001")
    # The name is fixed: a name field sent beside "editing" does not rename the server.
    answer = post(
        portal, urls.LICENSE_SERVER, editing="MAIN", name="X", address="192.0.2.5", port="4010"
    )
    listed = portal.admin.get(answer.headers["location"]).text
    assert (message(listed), section(portal.layout), last_log_line(portal.layout)) == (
        f"License server MAIN changed. {RESTART}",
        [portal.local, "MAIN=192.0.2.5,4010", "BACKUP=192.0.2.2,4001"],
        f"License server MAIN changed (192.0.2.5,4010). {RESTART}",
    )


def test_an_edit_that_breaks_a_rule_keeps_the_form_and_the_input(portal: Portal) -> None:
    answer = post(portal, urls.LICENSE_SERVER, editing="LOCAL", address="127.0.0.1", port="80")
    page = answer.text
    assert (
        answer.status_code,
        message(page),
        field(page, "editing"),
        field(page, "port"),
        section(portal.layout),
    ) == (
        400,
        "Port 80 is outside 1024-65535",
        "LOCAL",
        "80",
        [portal.local],
    )


def test_a_server_that_is_not_configured_has_no_form(portal: Portal) -> None:
    answer = portal.admin.get(f"{urls.LICENSE_SERVER}?name=nope")
    assert (answer.status_code, message(answer.text)) == (
        404,
        "License server NOPE does not exist",
    )


# -- Delete ---------------------------------------------------------------------------------------
def test_delete_removes_the_line_notes_the_restart_and_logs_it(portal: Portal) -> None:
    add(portal, "MAIN", "192.0.2.1", "4001")
    answer = post(portal, urls.LICENSE_SERVERS, name="MAIN")
    listed = portal.admin.get(answer.headers["location"]).text
    assert (message(listed), section(portal.layout), last_log_line(portal.layout)) == (
        f"License server MAIN deleted. {RESTART}",
        [portal.local],
        f"License server MAIN deleted. {RESTART}",
    )


def test_deleting_a_server_that_is_not_configured_says_so(portal: Portal) -> None:
    answer = post(portal, urls.LICENSE_SERVERS, name="nope")
    assert (answer.status_code, message(answer.text)) == (
        404,
        "License server NOPE does not exist",
    )


def test_a_change_is_noted_once_to_its_own_session_and_a_link_cannot_make_one_up(
    portal: Portal,
) -> None:
    answer = post(portal, urls.LICENSE_SERVERS, name="LOCAL")
    other_session = portal.reader.get(urls.LICENSE_SERVERS).text
    first = portal.admin.get(answer.headers["location"]).text
    again = portal.admin.get(urls.LICENSE_SERVERS).text
    forged = portal.admin.get(f"{urls.LICENSE_SERVERS}?said=deleted&name=LOCAL").text
    assert (
        answer.headers["location"],
        message(other_session),
        message(first),
        message(again),
        message(forged),
    ) == (urls.LICENSE_SERVERS, "", f"License server LOCAL deleted. {RESTART}", "", "")


# -- refusals -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "data", "headers"),
    [
        # A form without the session's CSRF token (a forged post from another page).
        (urls.LICENSE_SERVER, {"name": "EVIL", "address": "192.0.2.66", "port": "4001"}, POSTED),
        (urls.LICENSE_SERVERS, {"name": "LOCAL"}, POSTED),
        # A wrong token.
        (urls.LICENSE_SERVERS, {"name": "LOCAL", "csrf": "guessed"}, POSTED),
        # The right token from another site's page: its Origin gives it away.
        (urls.LICENSE_SERVERS, {"name": "LOCAL", "csrf": "<own>"}, {"Origin": "http://evil"}),
    ],
)
def test_a_form_that_did_not_come_from_the_page_is_refused(
    portal: Portal, address: str, data: dict[str, str], headers: dict[str, str]
) -> None:
    sent = {k: (portal.admin_csrf if v == "<own>" else v) for k, v in data.items()}
    answer = portal.admin.post(address, data=sent, headers=headers)
    assert (answer.status_code, message(answer.text), section(portal.layout)) == (
        403,
        FOREIGN,
        [portal.local],
    )


def test_a_read_only_user_sees_the_list_without_add_edit_or_delete(portal: Portal) -> None:
    page = portal.reader.get(urls.LICENSE_SERVERS).text
    assert (
        rows(page),
        'id="add"' in page,
        urls.LICENSE_SERVER in page,
        "Delete" in page,
        "From this page you can edit" in page,
    ) == ([["LOCAL", "127.0.0.1", local_port(portal), "Active"]], False, False, False, False)


@pytest.mark.parametrize(
    ("method", "address", "data", "refusal"),
    [
        (
            "GET",
            f"{urls.LICENSE_SERVER}?name=LOCAL",
            {},
            "Insufficient privilege: changing license servers needs the %Admin_Manage role.",
        ),
        (
            "POST",
            urls.LICENSE_SERVER,
            {"editing": "", "name": "MINE", "address": "192.0.2.7", "port": "4001"},
            "Insufficient privilege: this needs the %Admin_Manage role.",
        ),
        (
            "POST",
            urls.LICENSE_SERVERS,
            {"name": "LOCAL"},
            "Insufficient privilege: this needs the %Admin_Manage role.",
        ),
    ],
)
def test_a_read_only_user_is_refused_a_change(
    portal: Portal, method: str, address: str, data: dict[str, str], refusal: str
) -> None:
    if method == "GET":
        answer = portal.reader.get(address)
    else:  # with the reader's own valid token: the role, not the form, is what is missing
        sent = {**data, "csrf": portal.reader_csrf}
        answer = portal.reader.post(address, data=sent, headers=POSTED)
    assert (answer.status_code, message(answer.text), section(portal.layout)) == (
        403,
        refusal,
        [portal.local],
    )
