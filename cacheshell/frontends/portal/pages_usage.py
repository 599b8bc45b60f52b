"""System Operation > License Usage: Summary, Usage by Process, Usage by User and Distributed
License Usage, each the rows of its %SYSTEM.License class query (Summary, ProcessList, UserList,
ConnectionList), as Caché's page %CSP.UI.Portal.LicenseUsage shows them.

The table is a part of the page served by its own address, which the page's script fetches
again every few seconds (portal.js, data-refresh): the numbers move without a reload. Long
tables come a page of PAGE_SIZE rows at a time, cut by SQLite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from cacheshell.frontends.portal import urls
from cacheshell.frontends.portal.sessions import Viewer
from cacheshell.frontends.portal.site import page, site_of
from cacheshell.frontends.portal.usage_chart import ChartHistory, usage_chart
from cacheshell.system import server_usage, usage
from cacheshell.system.instance import Instance

PART = "/csp/sys/op/LicenseUsage.table.zen"  # the refreshing table of the page
PAGE_SIZE = 50
REFRESH_SECONDS = 2
CRUMBS = ("System Operation", "License Usage")
NO_SERVER = "This option is disabled when no license server is connected."
_PAGE_NUMBER = re.compile(r"[0-9]{1,9}")
MAX_PAGE = 999_999_999  # what _PAGE_NUMBER lets through


@dataclass(frozen=True)
class View:
    """One link of the page: its caption and tooltip, the title over its table, the class
    query it shows, and the columns shown as (query column, Caché's header)."""

    name: str
    caption: str
    tooltip: str
    title: str
    query: str
    columns: tuple[tuple[str, str], ...]
    all_columns: tuple[str, ...]  # the query's ROWSPEC, in order


# Captions, tooltips, titles and headers as Caché's %CSP.UI.Portal.LicenseUsage has them
# (github.com/hyfdhcc/vscode110402, src/%CSP/UI/Portal/LicenseUsage.cls: its menuItems,
# getOptionTitle and the tablePanes' columns; ProcessList's PID and MaxCon are hidden there).
VIEWS = (
    View(
        "summary",
        "Summary",
        "Display current license activity summary count.",
        "Current license activity summary:",
        "Summary",
        (
            ("LicenseUnitUse", "License Unit Use"),
            ("Local", "Local"),
            ("Distributed", "Distributed"),
        ),
        server_usage.SUMMARY_COLUMNS,
    ),
    View(
        "process",
        "Usage by Process",
        "Display information of usage by process identifier.",
        "Information about license use by process:",
        "ProcessList",
        (
            ("DisplayPID", "Process ID"),
            ("Process", "Login ID"),
            ("LID", "User ID"),
            ("Type", "Type"),
            ("Con", "Connections"),
            ("Active", "Active Time"),
            ("CSPCon", "CSP Sessions"),
            ("LU", "Units"),
            ("Grace", "Grace Time"),
        ),
        usage.PROCESS_COLUMNS,
    ),
    View(
        "user",
        "Usage by User",
        "Display information of usage by User Id.",
        "Information about license use by user ID:",
        "UserList",
        (
            ("UserId", "User ID"),
            ("Type", "Type"),
            ("Connects", "Connections"),
            ("MaxCon", "Max"),
            ("CSPCon", "CSP Sessions"),
            ("LU", "Units"),
            ("Active", "Active Time"),
            ("Grace", "Grace Time"),
        ),
        usage.USER_COLUMNS,
    ),
    View(
        "distributed",
        "Distributed License Usage",
        "Display information of distributed usage by User Id. " + NO_SERVER,
        "Information about distributed license use by user ID:",
        "ConnectionList",
        (
            ("UserId", "User ID"),
            ("LicenseUnits", "License Units"),
            ("Connections", "Connections"),
            ("ServerIP", "Server IP"),
            ("Instance", "Instance"),
        ),
        server_usage.CONNECTION_COLUMNS,
    ),
)
BY_NAME = {view.name: view for view in VIEWS}


@dataclass(frozen=True)
class Table:
    """One page of a view's rows, the cells in the shown columns' order."""

    view: View
    rows: list[tuple[str, ...]]
    page: int
    pages: int
    total: int
    notice: str = ""  # why there are no rows to show (no license server to ask)

    @property
    def first_row(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.total else 0

    @property
    def last_row(self) -> int:
        return (self.page - 1) * PAGE_SIZE + len(self.rows)


def pages_for(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def page_number(given: str | None, pages: int) -> int:
    """The page asked for, held to 1..pages: anything but a plain number is the first page."""
    if given is None or not _PAGE_NUMBER.fullmatch(given):
        return 1
    return min(max(int(given), 1), pages)


def _rows(view: View, instance: Instance, given: str | None) -> Table:
    """The rows of the asked page, from the query's own system function; local tables are
    cut by SQLite, the license server's lists here."""
    if view.name in ("user", "process"):
        read = usage.user_rows if view.name == "user" else usage.process_rows
        count = usage.user_count if view.name == "user" else usage.process_count
        # The count first, then the page; a row that comes or goes between the two only moves
        # a boundary, and the next refresh shows it.
        usage.refresh(instance)
        total = count(instance)
        number = page_number(given, pages_for(total))
        raw: list[tuple[Any, ...]] = [
            tuple(row) for row in read(instance, start=(number - 1) * PAGE_SIZE, count=PAGE_SIZE)
        ]
    elif view.name == "distributed":
        reason = server_usage.unavailable(instance)
        if reason:
            return Table(view, [], 1, 1, 0, notice=reason)
        # Only the page asked for crosses the network; its number is held to the list's pages
        # once the server said how many rows there are.
        number = page_number(given, MAX_PAGE)
        raw, total = server_usage.connection_page(instance, (number - 1) * PAGE_SIZE, PAGE_SIZE)
        if number > pages_for(total):
            number = pages_for(total)
            raw, total = server_usage.connection_page(instance, (number - 1) * PAGE_SIZE, PAGE_SIZE)
    else:
        every = server_usage.summary_rows(instance)
        total = len(every)
        number = page_number(given, pages_for(total))
        raw = [tuple(row) for row in every[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]]
    where = [view.all_columns.index(column) for column, _ in view.columns]
    rows = [tuple(str(row[i]) for i in where) for row in raw]
    return Table(view, rows, number, pages_for(total), total)


def _address(path: str, view: View, number: int) -> str:
    return f"{path}?{urlencode({'view': view.name, 'page': number})}"


def on_start(app: Starlette) -> None:
    """At the web server's start (its first connection), read the chart's history once: a
    Summary's views then only bring it up to date."""
    _history_of(app.state).read(app.state.site.instance)


def _history(request: Request) -> ChartHistory:
    return _history_of(request.app.state)


def _history_of(state: State) -> ChartHistory:
    """The chart's events, kept by the application for as long as it serves the instance."""
    if not hasattr(state, "usage_history"):
        state.usage_history = ChartHistory()
    history: ChartHistory = state.usage_history
    return history


def _context(request: Request, viewer: Viewer) -> dict[str, Any]:
    site = site_of(request)
    instance = site.instance
    view = BY_NAME.get(request.query_params.get("view", ""), VIEWS[0])
    table = _rows(view, instance, request.query_params.get("page"))
    return {
        "view": view,
        "views": VIEWS,
        "table": table,
        "page_size": PAGE_SIZE,
        "server_connected": server_usage.connected(instance),
        "no_server": NO_SERVER,
        "counts": usage.counts_rows(instance) if view.name == "summary" else [],
        "chart": usage_chart(instance, _history(request)) if view.name == "summary" else None,
        "page_url": lambda number: _address(urls.LICENSE_USAGE, view, number),
        "part_url": _address(PART, view, table.page),
        "view_url": lambda other: f"{urls.LICENSE_USAGE}?{urlencode({'view': other.name})}",
        "refresh_seconds": REFRESH_SECONDS,
    }


@page
async def license_usage(request: Request, viewer: Viewer) -> Response:
    return site_of(request).render(
        request, "usage.html", viewer, CRUMBS, **_context(request, viewer)
    )


@page
async def license_usage_table(request: Request, viewer: Viewer) -> Response:
    """The refreshing part alone (portal.js puts it in the page)."""
    site = site_of(request)
    html = site.templates.get_template("usage_part.html").render(
        request=request, urls=urls, **_context(request, viewer)
    )
    return HTMLResponse(html)


ROUTES = [
    Route(urls.LICENSE_USAGE, license_usage, methods=["GET"]),
    Route(PART, license_usage_table, methods=["GET"]),
]
