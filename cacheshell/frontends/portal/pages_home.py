"""The login page, logging out, and the portal's home page (its menu)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from cacheshell.frontends.portal import security, urls
from cacheshell.frontends.portal.sessions import LoginRefused, Viewer
from cacheshell.frontends.portal.site import page, site_of

MAX_NAME = 128


def _next(request: Request, given: object) -> str:
    target = given if isinstance(given, str) else ""
    return target if urls.is_local(target) else urls.HOME


def _login_form(
    request: Request, message: str = "", status: int = 200, notice: bool = False
) -> Response:
    site = site_of(request)
    token = security.new_token()
    response = site.render(
        request,
        "login.html",
        None,
        ("Login",),
        status_code=status,
        login_csrf=token,
        message=message,
        notice=notice,
        next=_next(request, request.query_params.get("next")),
    )
    security.set_cookie(response, security.login_cookie(site.port), token)
    return response


async def login_page(request: Request) -> Response:
    if site_of(request).viewer(request) is not None:
        return RedirectResponse(urls.HOME, status_code=303)
    notice = {"out": "You have logged out.", "timeout": "Your session has ended."}
    said = notice.get(request.query_params.get("said", ""), "")
    return _login_form(request, said, notice=True)


async def login(request: Request) -> Response:
    site = site_of(request)
    form = await request.form()
    cookie = request.cookies.get(security.login_cookie(site.port), "")
    if security.foreign_origin(request, site.hosts) or not security.same(
        cookie, security.form_token(form)
    ):
        return site.refuse(request, None, security.FOREIGN_FORM, 403)
    name = str(form.get("username") or "")[:MAX_NAME]
    password = str(form.get("password") or "")
    checked = await run_in_threadpool(site.sessions.check_password, name, password)
    client = request.client.host if request.client else "unknown"
    try:
        session = site.sessions.open(checked, name, client)
    except LoginRefused as exc:
        return _login_form(request, str(exc), status=403)
    response = RedirectResponse(_next(request, form.get("next")), status_code=303)
    security.set_cookie(response, site.session_cookie, session.token)
    response.delete_cookie(security.login_cookie(site.port), path="/")
    return response


async def logout(request: Request) -> Response:
    site = site_of(request)
    token = request.cookies.get(site.session_cookie, "")
    session = site.sessions.peek(token)
    form = await request.form()
    # Another site's form is refused even when it brings no session: SameSite keeps the cookie
    # from it, and a logout's answer would otherwise delete that cookie from the browser.
    if security.foreign_origin(request, site.hosts):
        return site.refuse(request, None, security.FOREIGN_FORM, 403)
    if session is not None:
        if not security.same(session.csrf, security.form_token(form)):
            return site.refuse(request, None, security.FOREIGN_FORM, 403)
        site.sessions.close(token)
    response = RedirectResponse(f"{urls.LOGIN}?said=out", status_code=303)
    response.delete_cookie(site.session_cookie, path="/")
    return response


@page
async def home(request: Request, viewer: Viewer) -> Response:
    return site_of(request).render(request, "home.html", viewer)


async def root(request: Request) -> Response:
    return RedirectResponse(urls.HOME, status_code=303)


ROUTES = [
    Route("/", root),
    Route("/csp/sys/", root),
    Route(urls.HOME, home),
    Route(urls.LOGIN, login_page, methods=["GET"]),
    Route(urls.LOGIN, login, methods=["POST"]),
    Route(urls.LOGOUT, logout, methods=["POST"]),
]
