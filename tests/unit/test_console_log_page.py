"""System Operation > System Logs > Console Log: the log's tail, newest last, a text and a
severity filter, and the lines part the page fetches again without reloading. The filter's
rules run on a file; the page in-process under TestClient over a running instance.

Caché's portal shows cconsole.log at System Operation > System Logs > Console Log
(https://docs.intersystems.com/latest/csp/docbook/Doc.View.cls?KEY=RCPF_console); a line is
"time (pid) severity message", severity 0 information, 1 warning, 2 severe, 3 fatal.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from portal_testclient import (  # noqa: F401  (the fixtures portal_client, running_instance)
    PortalClient,
    portal_client_fixture,
    running_instance_fixture,
)

from cacheshell.frontends.portal import urls
from cacheshell.system import users
from cacheshell.system.console_filter import LogFilter, shown_lines

LOG = [
    "12/06/26-09:00:00:000 (100) 0 Instance CACHE started",
    "12/06/26-09:00:01:000 (100) 1 Management Portal login failure: user 'ann' from 127.0.0.1",
    "12/06/26-09:00:02:000 (100) 2 LMF Error: License limit exceeded",
    "a line of another program, with no severity",
    "12/06/26-09:00:03:000 (101) 0 Management Portal login: user _SYSTEM from 127.0.0.1",
    "12/06/26-09:00:04:000 (101) 3 Fatal: the database is gone",
]


@pytest.mark.parametrize(
    ("view", "shown"),
    [
        (LogFilter(lines=50), LOG),
        (LogFilter(lines=2), LOG[-2:]),
        (LogFilter(contains="MANAGEMENT portal"), [LOG[1], LOG[4]]),
        (LogFilter(lines=1, contains="management portal"), [LOG[4]]),
        (LogFilter(at_least=2), [LOG[2], LOG[5]]),
        (LogFilter(at_least=0), [LOG[0], LOG[1], LOG[2], LOG[4], LOG[5]]),
        (LogFilter(contains="login", at_least=1), [LOG[1]]),
        (LogFilter(contains="no such text"), []),
    ],
)
def test_the_filter_keeps_the_last_lines_with_the_text_and_the_severity(
    tmp_path: Path, view: LogFilter, shown: list[str]
) -> None:
    log = tmp_path / "cconsole.log"
    log.write_text("\n".join(LOG) + "\n")
    assert shown_lines(log, view) == shown


def test_a_missing_log_has_no_lines(tmp_path: Path) -> None:
    assert shown_lines(tmp_path / "cconsole.log", LogFilter()) == []


def _append(client: PortalClient, lines: list[str]) -> None:
    with open(client.log, "a", encoding="utf-8") as log:
        log.write("".join(line + "\n" for line in lines))


def _pre(text: str) -> list[str]:
    found = re.search(r'<pre class="log" id="log">(.*?)</pre>', text, flags=re.S)
    assert found, text
    return html.unescape(found.group(1)).splitlines()


def test_the_page_shows_the_log_tail_newest_last_as_text(portal_client: PortalClient) -> None:
    portal_client.login()
    _append(portal_client, [f"12/06/26-10:00:{n:02d}:000 (7) 0 line {n}" for n in range(60)])
    _append(portal_client, ["12/06/26-10:01:00:000 (7) 1 <script>alert(1)</script> & more"])
    answer = portal_client.client.get(urls.CONSOLE_LOG)
    shown = _pre(answer.text)
    assert (answer.status_code, len(shown), shown[-2:], "<script>alert" in answer.text) == (
        200,
        50,
        [
            "12/06/26-10:00:59:000 (7) 0 line 59",
            "12/06/26-10:01:00:000 (7) 1 <script>alert(1)</script> & more",
        ],
        False,
    )


@pytest.mark.parametrize(
    ("query", "shown", "count"),
    [
        # The lines part the page fetches again: the filter the page's form asked for.
        (
            "lines=50&filter=PORTAL-TEST-{marker}&part=lines",
            ["(8) 0 portal-test a", "(8) 1 portal-test b", "(8) 2 portal-test c"],
            "3 matching lines (at most 50) from the log's last 20000 lines, newest last.",
        ),
        (
            "lines=50&filter=portal-test-{marker}&severity=1&part=lines",
            ["(8) 1 portal-test b", "(8) 2 portal-test c"],
            "2 matching lines (at most 50) from the log's last 20000 lines, newest last.",
        ),
        (
            "lines=50&filter=portal-test-{marker}&severity=3&part=lines",
            [],
            "0 matching lines (at most 50) from the log's last 20000 lines, newest last.",
        ),
        # A value that is not one of the form's choices reads as its default.
        (
            "lines=7&filter=portal-test-{marker}&severity=9&part=lines",
            ["(8) 0 portal-test a", "(8) 1 portal-test b", "(8) 2 portal-test c"],
            "3 matching lines (at most 50) from the log's last 20000 lines, newest last.",
        ),
    ],
)
def test_the_lines_part_is_filtered_by_text_and_lowest_severity(
    portal_client: PortalClient, query: str, shown: list[str], count: str
) -> None:
    stamp = "12/06/26-11:00:00:000 "
    marker = portal_client.log_start  # the module's instance shares its log across tests
    said = [f"{stamp}(8) {n} portal-test-{marker} {c}" for n, c in enumerate("abc")]
    _append(portal_client, said)
    portal_client.login()
    answer = portal_client.client.get(f"{urls.CONSOLE_LOG}?{query.format(marker=marker)}")
    counted = re.search(r'id="log-count">([^<]*)<', answer.text)
    lines = [line.removeprefix(stamp).replace(f"-{marker}", "") for line in _pre(answer.text)]
    page_part = "<form" not in answer.text  # the lines alone, not the page around them
    assert (lines, counted.group(1) if counted else "", page_part) == (shown, count, True)


def test_the_page_refreshes_its_lines_with_the_filter_it_shows(
    portal_client: PortalClient,
) -> None:
    portal_client.login()
    answer = portal_client.client.get(f"{urls.CONSOLE_LOG}?lines=200&filter=a+b&severity=1")
    refresh = re.search(r'data-refresh="([^"]*)" data-every="(\d+)"', answer.text)
    assert refresh and (html.unescape(refresh.group(1)), refresh.group(2)) == (
        f"{urls.CONSOLE_LOG}?lines=200&filter=a+b&severity=1&part=lines",
        "2",
    )


def test_a_read_only_viewer_reads_the_log_and_a_stranger_is_sent_to_log_in(
    portal_client: PortalClient,
) -> None:
    stranger = portal_client.client.get(f"{urls.CONSOLE_LOG}?part=lines")
    users.add(portal_client.layout.mgr, "OPERATOR", [], "secret")
    portal_client.login("OPERATOR", "secret")
    reader = portal_client.client.get(urls.CONSOLE_LOG)
    assert (stranger.status_code, stranger.headers["location"], reader.status_code) == (
        303,
        f"{urls.LOGIN}?next=%2Fcsp%2Fsys%2Fop%2FConsoleLog.zen%3Fpart%3Dlines",
        200,
    )
    assert "Management Portal login: user OPERATOR from" in _pre(reader.text)[-1]
