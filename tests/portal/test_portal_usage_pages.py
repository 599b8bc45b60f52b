"""System Operation > License Usage through Starlette's TestClient: each view shows the rows of
its %SYSTEM.License class query, a page at a time; page numbers are held to the table; the
Distributed License Usage link is disabled while no license server is connected."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from conftest import Terminal, run_cli
from starlette.testclient import TestClient

from cacheshell.frontends.portal.app import build_app
from cacheshell.frontends.portal.pages_usage import PART
from cacheshell.system import authkey, keys, monitor, server_usage, signing
from cacheshell.system.instance import Instance
from cacheshell.system.keyfile import render_key_file
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.world import World

USAGE = "/csp/sys/op/LicenseUsage.zen"
CLIENTS = 120  # with the portal's own CSP session, 121 license IDs: three pages of 50
ORIGIN = "http://127.0.0.1:57772"  # the portal answers only by its own names
NO_SERVER = "This option is disabled when no license server is connected."


def logged_in(client: TestClient) -> None:
    form = client.get("/csp/sys/login.csp").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token is not None
    answer = client.post(
        "/csp/sys/login.csp",
        data={"csrf": token.group(1), "username": "_SYSTEM", "password": "SYS", "next": ""},
    )
    assert answer.status_code == 200 and answer.url.path == "/csp/sys/UtilHome.csp"


def with_clients(instance: Instance) -> Iterator[tuple[Instance, TestClient]]:
    """CLIENTS simulated clients from distinct addresses on a frozen clock, then a portal
    client logged in to the instance."""
    world = World(instance)
    world.simulate_clock()
    for n in range(CLIENTS):
        world.connect(f"10.0.{n // 200}.{n % 200 + 1}")
    with TestClient(build_app(instance.layout, 57772), base_url=ORIGIN) as client:
        logged_in(client)
        yield instance, client


@pytest.fixture
def busy(cacheshell_home: Path) -> Iterator[tuple[Instance, TestClient]]:
    """A started instance (no license server) with CLIENTS simulated clients from distinct
    addresses on a frozen clock, and a portal client logged in to it."""
    key = keys.issue_from_spec(
        keys.KeySpec(units=500, multi=True),
        signing.training_private_key(),
        authkey.current_platform_code(),
    )
    layout = InstanceLayout(cacheshell_home, "CACHE")
    instance = Instance.create(layout, key_text=render_key_file(key.file))
    instance.start()
    yield from with_clients(instance)
    instance.stop()


def cells(html: str, table: str = "usage-table") -> tuple[list[str], list[list[str]]]:
    """A table's query columns (data-column) and its rows' cells."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    columns = re.findall(r'data-column="([^"]*)"', body)
    rows = [
        [unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)
    ]
    return columns, rows


def query(term: Terminal, name: str) -> tuple[list[str], list[list[str]]]:
    """The query's columns and rows as ##class(%ResultSet) returns them."""
    text = term.run(
        f'Set rs=##class(%ResultSet).%New("%SYSTEM.License:{name}") Do rs.Execute() '
        'For i=1:1:rs.GetColumnCount() { Write rs.GetColumnName(i),"|" } Write ! '
        'While rs.Next() { For i=1:1:rs.GetColumnCount() { Write rs.GetData(i),"|" } Write ! }'
    )
    lines = [line.split("|")[:-1] for line in text.splitlines() if line.endswith("|")]
    return lines[0], lines[1:]


def rows_text(html: str) -> str:
    found = re.search(r'<span id="usage-rows">(.*?)</span>', html)
    assert found is not None, html
    return found.group(1)


@pytest.fixture
def running(cacheshell_home: Path) -> Iterator[tuple[Instance, TestClient]]:
    """A running instance (its service and LOCAL license server, as `control create` makes
    it) with a 500-unit key and CLIENTS simulated clients on a frozen clock; a portal client
    logged in to it."""
    key = cacheshell_home.parent / "big.key"
    issued = run_cli("key", "issue", "--units", "500", "--multi", "-o", str(key))
    assert issued.returncode == 0, issued.stderr
    made = run_cli("control", "create", "CACHE", "--key", str(key))
    assert made.returncode == 0, made.stderr
    layout = InstanceLayout(cacheshell_home, "CACHE")
    instance = Instance(layout)
    monitor.await_first_cycle(instance)
    yield from with_clients(instance)


@pytest.mark.parametrize(
    ("view", "query_name", "shown"),
    [
        ("user", "UserList", "UserId Type Connects MaxCon CSPCon LU Active Grace"),
        # Caché's page hides PID and MaxCon (%CSP.UI.Portal.LicenseUsage, github.com/hyfdhcc/
        # vscode110402 src/%CSP/UI/Portal/LicenseUsage.cls, tablePane table2).
        ("process", "ProcessList", "DisplayPID Process LID Type Con Active CSPCon LU Grace"),
    ],
)
def test_each_view_shows_its_class_querys_rows_page_by_page(
    running: tuple[Instance, TestClient], view: str, query_name: str, shown: str
) -> None:
    _, client = running
    with Terminal() as term:
        columns, expected = query(term, query_name)
        pages = [
            client.get(USAGE, params={"view": view, "page": str(n)}).text
            for n in range(1, len(expected) // 50 + 2)
        ]
    headers = cells(pages[0])[0]
    assert headers == shown.split()
    where = [columns.index(name) for name in headers]
    assert len(expected) > 2 * 50
    assert [row for html in pages for row in cells(html)[1]] == [
        [row[i] for i in where] for row in expected
    ]


@pytest.mark.parametrize(
    ("given", "rows"),
    [
        ("1", "Rows 1-50 of 121, page 1 of 3"),
        ("2", "Rows 51-100 of 121, page 2 of 3"),
        ("3", "Rows 101-121 of 121, page 3 of 3"),
        ("0", "Rows 1-50 of 121, page 1 of 3"),
        ("-2", "Rows 1-50 of 121, page 1 of 3"),
        ("abc", "Rows 1-50 of 121, page 1 of 3"),
        ("", "Rows 1-50 of 121, page 1 of 3"),
        ("2.5", "Rows 1-50 of 121, page 1 of 3"),
        ("\u0663", "Rows 1-50 of 121, page 1 of 3"),  # an Arabic-Indic three: not a page number
        ("4", "Rows 101-121 of 121, page 3 of 3"),
        ("999999999", "Rows 101-121 of 121, page 3 of 3"),
        ("9" * 5000, "Rows 1-50 of 121, page 1 of 3"),  # too long to be a page number
    ],
)
def test_a_page_number_is_held_to_the_table(
    busy: tuple[Instance, TestClient], given: str, rows: str
) -> None:
    _, client = busy
    answer = client.get(USAGE, params={"view": "user", "page": given})
    assert answer.status_code == 200
    assert rows_text(answer.text) == rows


def test_the_refreshing_part_is_the_pages_table_and_is_served_only_to_a_logged_in_viewer(
    busy: tuple[Instance, TestClient],
) -> None:
    _, client = busy
    html = client.get(USAGE, params={"view": "user", "page": "9"}).text
    address = re.search(r'data-refresh="([^"]+)" data-every="2"', html)
    assert address is not None
    assert unescape(address.group(1)) == f"{PART}?view=user&page=3"
    part = client.get(unescape(address.group(1)))
    assert part.status_code == 200 and "<html" not in part.text
    assert cells(part.text) == cells(html)
    client.cookies.clear()
    refused = client.get(unescape(address.group(1)), follow_redirects=False)
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/csp/sys/login.csp?next=")


def test_the_portal_session_shows_in_usage_by_user_as_a_csp_user(
    busy: tuple[Instance, TestClient],
) -> None:
    _, client = busy
    rows = cells(client.get(USAGE, params={"view": "user", "page": "3"}).text)[1]
    assert [row[1:6] for row in rows if row[1] == "CSP"] == [["CSP", "0", "0", "1", "1"]]


def test_the_summary_shows_the_summary_query_the_counts_and_the_chart(
    busy: tuple[Instance, TestClient],
) -> None:
    _, client = busy
    html = client.get(USAGE).text
    assert cells(html) == (
        ["LicenseUnitUse", "Local", "Distributed"],
        [["Not connected to License Server", "", ""]],
    )
    assert cells(html, "usage-counts")[1] == [
        ["Total authorized license units", "500"],
        ["Current available license units", "379"],
        ["Minimum available license units", "379"],
        ["Current active users", "121"],
        ["Maximum active users", "121"],
        ["CSP users currently active", "1"],
        ["Maximum active CSP users", "1"],
        ["CSP sessions currently in 'grace period'", "0"],
        ["Maximum CSP sessions in 'grace period'", "0"],
    ]
    assert "<title>Capacity: 500 license units</title>" in html
    assert "units in use (121)" in html


def test_the_distributed_link_is_disabled_without_a_license_server(
    busy: tuple[Instance, TestClient],
) -> None:
    _, client = busy
    html = client.get(USAGE).text
    assert (
        '<span class="option disabled" id="option-distributed" aria-disabled="true" '
        f'title="{NO_SERVER}">Distributed License Usage</span>'
    ) in html
    assert 'href="/csp/sys/op/LicenseUsage.zen?view=distributed"' not in html


def test_the_distributed_link_is_enabled_with_a_license_server_connected(
    running: tuple[Instance, TestClient],
) -> None:
    _, client = running
    html = client.get(USAGE).text
    distributed = client.get(USAGE, params={"view": "distributed"}).text
    assert (
        '<a class="option" id="option-distributed" '
        'href="/csp/sys/op/LicenseUsage.zen?view=distributed" title="Display information of '
        f'distributed usage by User Id. {NO_SERVER}">Distributed License Usage</a>'
    ) in html
    assert [row[0] for row in cells(html)[1]] == [
        "Current License Units Used ",
        "Maximum License Units Used ",
        "License Units     Enforced ",
        "License Units   Authorized ",
        "Current Connections ",
        "Maximum Connections ",
    ]
    assert cells(distributed)[0] == "UserId LicenseUnits Connections ServerIP Instance".split()


def test_each_distributed_page_is_its_slice_of_the_connection_list(
    running: tuple[Instance, TestClient],
) -> None:
    instance, client = running
    # The monitor's next update brings the clients and the portal's session to the server.
    deadline = time.monotonic() + 30
    while len(server_usage.connection_rows(instance)) < CLIENTS + 1:
        assert time.monotonic() < deadline, "the license server never had the clients"
        time.sleep(0.2)
    whole = [list(row) for row in server_usage.connection_rows(instance)]
    pages = [
        client.get(USAGE, params={"view": "distributed", "page": str(n)}).text for n in (1, 2, 3, 4)
    ]
    total = len(whole)
    assert f"Rows 1-50 of {total}, page 1 of 3" in pages[0]
    assert f"Rows 101-{total} of {total}, page 3 of 3" in pages[3]  # held to the last page
    assert [row for html in pages[:3] for row in cells(html)[1]] == whole


def test_the_distributed_view_asked_without_a_license_server_says_why(
    busy: tuple[Instance, TestClient],
) -> None:
    _, client = busy
    html = client.get(USAGE, params={"view": "distributed"}).text
    assert '<p class="notice" id="usage-notice">Not connected to License Server</p>' in html
    assert 'id="usage-table"' not in html
