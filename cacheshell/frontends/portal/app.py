"""The portal's Starlette application: the pages' routes, the static files, the guard, and the
one place where a Python exception becomes an error page and a console log line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from cacheshell.frontends.portal import (
    pages_home,
    pages_key,
    pages_log,
    pages_servers,
    pages_usage,
    urls,
)
from cacheshell.frontends.portal.security import Guard
from cacheshell.frontends.portal.site import Site, site_of
from cacheshell.system.console import WARNING
from cacheshell.system.instance_files import describe
from cacheshell.system.layout import InstanceLayout

STATIC = Path(__file__).with_name("static")
PAGES = (pages_home, pages_key, pages_servers, pages_usage, pages_log)


async def _failed(request: Request, exc: Exception) -> Response:
    """A fault while serving a page: one line in the console log, a page that says what, never a
    traceback."""
    site = site_of(request)
    text = describe(exc) if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
    line = text.splitlines()[0] if text else type(exc).__name__
    site.instance.log.write(f"Management Portal: {request.url.path}: {line}", WARNING)
    return site.refuse(request, None, f"The page could not be shown: {line}", 500)


def build_app(layout: InstanceLayout, port: int) -> ASGIApp:
    site = Site(layout, port)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        site.open()
        pages_usage.on_start(app)
        try:
            yield
        finally:
            site.close()

    routes = [route for module in PAGES for route in module.ROUTES]
    routes.append(Mount(urls.STATIC, StaticFiles(directory=STATIC), name="static"))
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={Exception: _failed})
    app.state.site = site
    return Guard(app)
