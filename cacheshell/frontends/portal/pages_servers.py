"""System Administration > Licensing > License Servers: the configured license servers, with
the active one shaded when there is a choice; Add, edit by clicking the name, and Delete, by
Config.LicenseServers' own rules (system/server_config.py), each change noted in the console log
with the restart note (system/server_changes.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from cacheshell.frontends.portal import urls
from cacheshell.frontends.portal.sessions import Viewer
from cacheshell.frontends.portal.site import Site, action, page, site_of
from cacheshell.system import monitor, server_changes, server_config, server_listing
from cacheshell.system.server_config import ServerConfigError

CRUMBS = ("System Administration", "Licensing", "License Servers")
MAX_FIELD = 255  # more than any host name; what a form sends beyond it is not read
READ_ONLY = "Insufficient privilege: changing license servers needs the %Admin_Manage role."


def _field(request: Request, name: str) -> str:
    return str(request.state.form.get(name) or "")[:MAX_FIELD]


def _port(text: str) -> str:
    """The Port box takes ASCII digits only (Python's int() would take '４００５', '4_005' or
    '+4005'); the ObjectScript API converts its argument by M's rules instead."""
    if not (text.isascii() and text.isdigit()):
        raise server_config.not_a_port_number(text)
    return text


def _list(request: Request, viewer: Viewer, error: str = "", status: int = 200) -> Response:
    site = site_of(request)
    # What the change just made says, once: kept in the session, so no link can make it up.
    notice, viewer.session.flash = ("" if error else viewer.session.flash), ""
    instance = site.instance
    found, problems = server_config.read(instance.cpf())
    active = monitor.active_server(instance, wait=False)
    return site.render(
        request,
        "servers.html",
        viewer,
        CRUMBS,
        status_code=status,
        rows=server_listing.listed(found, active),
        problems=problems,
        connection="" if active else monitor.server_status(instance, wait=False),
        notice=notice,
        error=error,
    )


def _done(viewer: Viewer, verb: str, name: str) -> RedirectResponse:
    viewer.session.flash = f"License server {name.upper()} {verb}. {server_config.RESTART_NOTE}"
    return RedirectResponse(urls.LICENSE_SERVERS, status_code=303)


def _form(
    site: Site,
    request: Request,
    viewer: Viewer,
    *,
    editing: str,
    name: str,
    address: str,
    port: str,
    error: str = "",
) -> Response:
    """The Add or Edit form; with a rule the typed values break, 400 (the form kept)."""
    title = "Edit License Server" if editing else "Add License Server"
    return site.render(
        request,
        "server.html",
        viewer,
        (*CRUMBS, title),
        status_code=400 if error else 200,
        title=title,
        editing=editing,
        name=name,
        address=address,
        port=port,
        error=error,
    )


@page
async def servers(request: Request, viewer: Viewer) -> Response:
    return _list(request, viewer)


@action
async def delete_server(request: Request, viewer: Viewer) -> Response:
    name = _field(request, "name")
    try:
        server_changes.delete(site_of(request).instance, name)
    except ServerConfigError as exc:
        return _list(request, viewer, error=str(exc), status=404)
    return _done(viewer, "deleted", name)


@page
async def server_form(request: Request, viewer: Viewer) -> Response:
    """Add (no name), or the listed server of that name to edit, its name fixed."""
    site = site_of(request)
    if not viewer.can_manage:
        return site.refuse(request, viewer, READ_ONLY, 403)
    name = request.query_params.get("name", "")[:MAX_FIELD]
    if not name:
        port = str(server_config.DEFAULT_PORT)
        return _form(site, request, viewer, editing="", name="", address="", port=port)
    server = server_config.find(site.instance.cpf(), name)
    if server is None:
        return site.refuse(request, viewer, f"License server {name.upper()} does not exist", 404)
    return _form(
        site,
        request,
        viewer,
        editing=server.name,
        name=server.name,
        address=server.address,
        port=str(server.port),
    )


@action
async def save_server(request: Request, viewer: Viewer) -> Response:
    """Save the form: a new server, or the edited one; a rule it breaks is shown beside it,
    with what was typed."""
    site = site_of(request)
    editing = _field(request, "editing")
    name = editing or _field(request, "name").strip()
    address = _field(request, "address").strip()
    port = _field(request, "port").strip()
    try:
        if editing:
            server_changes.modify(site.instance, editing, address, _port(port))
        else:
            server_changes.add(site.instance, name, address, _port(port))
    except ServerConfigError as exc:
        return _form(
            site,
            request,
            viewer,
            editing=editing,
            name=name,
            address=address,
            port=port,
            error=str(exc),
        )
    return _done(viewer, "changed" if editing else "added", name)


ROUTES = [
    Route(urls.LICENSE_SERVERS, servers, methods=["GET"]),
    Route(urls.LICENSE_SERVERS, delete_server, methods=["POST"]),
    Route(urls.LICENSE_SERVER, server_form, methods=["GET"]),
    Route(urls.LICENSE_SERVER, save_server, methods=["POST"]),
]
