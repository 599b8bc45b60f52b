"""System Operation > System Logs > Console Log: the console log's tail, newest last, filtered by
a text and a lowest severity, its lines refreshing in place. Every logged-in viewer may read it.

The page's form is a GET, so a filtered view is an address that can be kept; the lines alone
(`part=lines`) are what the page fetches again every few seconds.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cacheshell.frontends.portal import security, urls
from cacheshell.frontends.portal.sessions import Viewer
from cacheshell.frontends.portal.site import page, site_of
from cacheshell.system.console_filter import (
    LINE_COUNTS,
    MAX_FILTER,
    SEARCHED_LINES,
    SEVERITIES,
    LogFilter,
    shown_lines,
)

CRUMBS = ("System Operation", "System Logs", "Console Log")
REFRESH_SECONDS = 2  # as License Usage: a line logged shows within two seconds
LINES_PART = "lines"


def log_filter(query: QueryParams) -> LogFilter:
    """The view the page's form asks for; what is not one of its choices reads as the default."""
    lines = query.get("lines", "")
    count = int(lines) if security.digits(lines) and int(lines) in LINE_COUNTS else LINE_COUNTS[0]
    level = query.get("severity", "")
    at_least = int(level) if security.digits(level) and int(level) in SEVERITIES else None
    return LogFilter(count, query.get("filter", "").strip()[:MAX_FILTER], at_least)


def _query(view: LogFilter, **extra: str) -> str:
    fields = {"lines": str(view.lines), "filter": view.contains}
    if view.at_least is not None:
        fields["severity"] = str(view.at_least)
    return urlencode({**fields, **extra})


@page
async def console_log(request: Request, viewer: Viewer) -> Response:
    site = site_of(request)
    view = log_filter(request.query_params)
    lines = shown_lines(site.instance.log.path, view)
    context: dict[str, Any] = {"view": view, "lines": lines, "searched": SEARCHED_LINES}
    if request.query_params.get("part") == LINES_PART:
        return site.render(request, "log_lines.html", viewer, CRUMBS, **context)
    return site.render(
        request,
        "log.html",
        viewer,
        CRUMBS,
        line_counts=LINE_COUNTS,
        severities=SEVERITIES,
        refresh=f"{urls.CONSOLE_LOG}?{_query(view, part=LINES_PART)}",
        every=REFRESH_SECONDS,
        max_filter=MAX_FILTER,
        **context,
    )


ROUTES = [Route(urls.CONSOLE_LOG, console_log, methods=["GET"])]
