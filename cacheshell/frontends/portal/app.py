"""The portal's Starlette application: the pages' routes, the static files, the guard, and the
one place where a Python exception becomes an error page and a console log line."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
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
from cacheshell.frontends.portal.security import Guard, Hosts
from cacheshell.frontends.portal.site import Site, site_of
from cacheshell.system import web_config
from cacheshell.system.console import WARNING
from cacheshell.system.cpf import CPF_FILE, Cpf
from cacheshell.system.instance_files import InstanceFileError, describe
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


# What Starlette's own refusals (HTTPException) say on the error page.
REFUSED = {
    400: "The form could not be read: {detail}",
    404: "There is no page at {path}.",
    405: "{path} does not take a {method} request.",
}


async def _refused(request: Request, exc: Exception) -> Response:
    """A request Starlette refuses (no such page, a method the page does not take, a form it
    cannot read): the portal's error page with the status, its headers kept (Allow)."""
    assert isinstance(exc, HTTPException)
    site = site_of(request)
    said = REFUSED.get(exc.status_code)
    where = {"path": request.url.path, "method": request.method, "detail": exc.detail}
    text = said.format(**where) if said else exc.detail
    viewer = site.viewer(request)
    response = site.refuse(request, viewer, text, exc.status_code)
    response.headers.update(exc.headers or {})
    return response


def _listening_address(layout: InstanceLayout) -> str:
    """The address the instance's web server listens on, as cache.cpf says."""
    try:
        return web_config.settings(Cpf(layout.mgr / CPF_FILE)).address
    except (InstanceFileError, OSError, UnicodeError):
        return web_config.DEFAULT_ADDRESS


def build_app(layout: InstanceLayout, port: int, address: str | None = None) -> ASGIApp:
    """The portal of an instance whose web server listens on (address, port); without an
    address, the one its cache.cpf names. Only requests addressed to it by those names are
    answered."""
    where = _listening_address(layout) if address is None else address
    hosts = Hosts.of(where, port, socket.gethostname())
    site = Site(layout, port, hosts)

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
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _refused, Exception: _failed},
    )
    app.state.site = site
    return Guard(app, hosts)
