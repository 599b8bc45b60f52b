"""What every page shares: the instance, the sessions, the templates, and the two guards a route
wears: @page (a logged-in viewer; the request counts as a page of its CSP session) and @action
(that, a valid CSRF token, and %Admin_Manage unless said otherwise).

The instance is opened in the web server's own thread (its event loop), where every route runs:
one SQLite connection, never shared with the service's thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from cacheshell.frontends.portal import security, urls
from cacheshell.frontends.portal.sessions import Ended, PortalSessions, Viewer
from cacheshell.system.instance import Instance
from cacheshell.system.layout import InstanceLayout
from cacheshell.version import CACHE_VERSION_ID

TEMPLATES = Path(__file__).with_name("templates")
Endpoint = Callable[[Request], Awaitable[Response]]
ViewerEndpoint = Callable[[Request, Viewer], Awaitable[Response]]
NEEDS_MANAGE = "Insufficient privilege: this needs the %Admin_Manage role."


@dataclass
class Site:
    layout: InstanceLayout
    port: int
    hosts: security.Hosts  # the names this portal is addressed by, and so its origins
    _instance: Instance | None = None
    _sessions: PortalSessions | None = None
    templates: Environment = field(
        default_factory=lambda: Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
        )
    )

    def open(self) -> None:
        """At the web server's start, in its thread; the templates are compiled now, so that no
        first view of a page waits for its template."""
        self._instance = Instance(self.layout)
        self._sessions = PortalSessions(self._instance)
        for name in self.templates.list_templates(extensions=["html"]):
            self.templates.get_template(name)

    def close(self) -> None:
        if self._sessions is not None:
            self._sessions.close_all()
        if self._instance is not None:
            self._instance.store.close()

    @property
    def instance(self) -> Instance:
        if self._instance is None:
            raise RuntimeError("the portal's instance is not open")  # only before open()
        return self._instance

    @property
    def sessions(self) -> PortalSessions:
        if self._sessions is None:
            raise RuntimeError("the portal's sessions are not open")
        return self._sessions

    @property
    def session_cookie(self) -> str:
        return security.session_cookie(self.port)

    def visit(self, request: Request) -> Viewer | Ended | None:
        """Who asks: a viewer (one more page of its session), a session the instance ended, or
        nobody logged in."""
        return self.sessions.view(request.cookies.get(self.session_cookie, ""))

    def viewer(self, request: Request) -> Viewer | None:
        seen = self.visit(request)
        return seen if isinstance(seen, Viewer) else None

    def render(
        self,
        request: Request,
        template: str,
        viewer: Viewer | None,
        crumbs: tuple[str, ...] = (),
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        """A page: the template with the instance, the viewer, the menu and the breadcrumb."""
        html = self.templates.get_template(template).render(
            request=request,
            instance=self.layout.name,
            version=CACHE_VERSION_ID,
            viewer=viewer,
            can_manage=viewer is not None and viewer.can_manage,
            csrf=viewer.session.csrf if viewer is not None else "",
            crumbs=crumbs,
            menu=urls.MENU,
            urls=urls,
            **context,
        )
        return HTMLResponse(html, status_code=status_code)

    def refuse(self, request: Request, viewer: Viewer | None, why: str, status: int) -> Response:
        return self.render(
            request, "error.html", viewer, ("Error",), status_code=status, message=why
        )


def to_login(request: Request, seen: Ended | None = None) -> RedirectResponse:
    """To the login page, back here after it; with "Your session has ended." when the instance
    ended the session."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    said = "&said=timeout" if seen is not None else ""
    return RedirectResponse(f"{urls.LOGIN}?next={quote(target, safe='')}{said}", status_code=303)


def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def page(endpoint: ViewerEndpoint) -> Endpoint:
    """A route for logged-in viewers: others go to the login page."""

    async def route(request: Request) -> Response:
        viewer = site_of(request).visit(request)
        if not isinstance(viewer, Viewer):
            return to_login(request, viewer)
        return await endpoint(request, viewer)

    route.__name__ = endpoint.__name__
    return route


def action(endpoint: ViewerEndpoint | None = None, *, manage: bool = True) -> Any:
    """A route that changes something (POST): a logged-in viewer, a form from this portal with
    the session's CSRF token, and %Admin_Manage when `manage`."""

    def wrap(inner: ViewerEndpoint) -> Endpoint:
        async def route(request: Request) -> Response:
            site = site_of(request)
            viewer = site.visit(request)
            if not isinstance(viewer, Viewer):
                return to_login(request, viewer)
            form = await request.form()
            if security.foreign_origin(request, site.hosts) or not security.same(
                viewer.session.csrf, security.form_token(form)
            ):
                return site.refuse(request, viewer, security.FOREIGN_FORM, 403)
            if manage and not viewer.can_manage:
                return site.refuse(request, viewer, NEEDS_MANAGE, 403)
            request.state.form = form
            return await inner(request, viewer)

        route.__name__ = inner.__name__
        route.__dict__["manages"] = manage  # which actions a read-only viewer is refused
        return route

    return wrap if endpoint is None else wrap(endpoint)
