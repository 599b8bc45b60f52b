"""System Administration > Licensing > License Key, and Activate License Key.

The License Key page shows the active key as CKEY does (the same rows); Activate License Key
takes a key file from the browser, shows it checked and beside the active key, and Activate
hands it to Instance.activate, the one activation rule (cache.key.previous, Upgrade()).
"""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cacheshell.frontends.portal import urls
from cacheshell.frontends.portal.key_selection import (
    SelectionRefused,
    activation_file,
    read_upload,
    select,
)
from cacheshell.frontends.portal.sessions import Viewer
from cacheshell.frontends.portal.site import NEEDS_MANAGE, action, page, site_of
from cacheshell.system import keys, usage
from cacheshell.system.bounded import KEY_FILE_BYTES
from cacheshell.system.reports import ckey_amounts, reduction_warnings

KEY_CRUMBS = ("System Administration", "Licensing", "License Key")
ACTIVATE_CRUMBS = (*KEY_CRUMBS, "Activate License Key")
FILE_FIELD = "keyfile"
STEP_FIELD = "step"  # "select": a file was chosen; "activate": the Activate button


@page
async def key_page(request: Request, viewer: Viewer) -> Response:
    site = site_of(request)
    instance = site.instance
    status = instance.key_status()
    return site.render(
        request,
        "key.html",
        viewer,
        KEY_CRUMBS,
        key_path=str(instance.key_path),
        fields=usage.key_fields(instance),
        amounts=ckey_amounts(usage.snapshot(instance)),
        status=status,
        pending=instance.is_pending_activation(),
    )


def _activate_form(
    request: Request, viewer: Viewer, error: str = "", status_code: int = 200
) -> Response:
    """The page as it stands: the file input, and the selected key beside the active one."""
    site = site_of(request)
    selection = None
    pending = viewer.session.pending_key
    if pending is not None and not error:
        try:
            selection = select(site.instance, pending)
        except SelectionRefused as exc:  # it expired, or another key became active
            viewer.session.pending_key = None
            error, status_code = str(exc), 409
    return site.render(
        request,
        "key_activate.html",
        viewer,
        ACTIVATE_CRUMBS,
        status_code=status_code,
        error=error,
        selection=selection,
        file_field=FILE_FIELD,
        max_kb=KEY_FILE_BYTES // 1024,
    )


@page
async def activate_page(request: Request, viewer: Viewer) -> Response:
    if not viewer.can_manage:
        return site_of(request).refuse(request, viewer, NEEDS_MANAGE, 403)
    return _activate_form(request, viewer)


@action
async def activate_post(request: Request, viewer: Viewer) -> Response:
    form = request.state.form
    if form.get(STEP_FIELD) == "activate":
        return _activate(request, viewer)
    viewer.session.pending_key = None  # a new selection replaces the last, even a failed one
    upload = form.get(FILE_FIELD)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _activate_form(request, viewer, "Choose a license key file first.", 400)
    try:
        uploaded = await read_upload(upload)
        select(site_of(request).instance, uploaded)
    except SelectionRefused as exc:
        return _activate_form(request, viewer, str(exc), 400)
    viewer.session.pending_key = uploaded
    return _activate_form(request, viewer)


def _activate(request: Request, viewer: Viewer) -> Response:
    site = site_of(request)
    instance = site.instance
    uploaded = viewer.session.pending_key
    if uploaded is None:
        return _activate_form(request, viewer, "Choose a license key file first.", 400)
    viewer.session.pending_key = None
    with activation_file(instance, uploaded) as path:
        done = instance.activate(path)
    if not done.check.valid:
        return _activate_form(
            request, viewer, f"The license key is not valid: {done.check.reason}", 409
        )
    comparison = done.comparison or keys.compare_keys(done.current, done.new)
    when = "at the next restart" if comparison.restart_required else "now"
    instance.log.write(
        f"License key activated through the Management Portal by {viewer.session.username}: "
        f"{uploaded.name} (CustomerName {done.new.file.customer_name}, OrderNumber "
        f"{done.new.file.order_number}) copied to {instance.key_path}; it takes effect {when}"
    )
    return site.render(
        request,
        "key_activated.html",
        viewer,
        (*ACTIVATE_CRUMBS, "Activated"),
        key_path=str(instance.key_path),
        uploaded=uploaded,
        restart_reasons=comparison.restart_reasons,
        reductions=reduction_warnings(comparison),
    )


ROUTES = [
    Route(urls.LICENSE_KEY, key_page, methods=["GET"]),
    Route(urls.ACTIVATE_KEY, activate_page, methods=["GET"]),
    Route(urls.ACTIVATE_KEY, activate_post, methods=["POST"]),
]
