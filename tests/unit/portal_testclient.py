"""The Management Portal's application in-process, under Starlette's TestClient, over a running
instance (the fixture `portal_client`: a test module imports portal_client_fixture and
running_instance_fixture): for what needs no browser.

The app is build_app's own, with two probe actions added to its pages, so that the guards every
action wears (@action: CSRF, origin, %Admin_Manage) are tested even where no page of this tree
has an action yet; every real POST route is tested beside them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import httpx2 as httpx
import pytest
from conftest import free_tcp_port, free_udp_port, stop_home
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from cacheshell.frontends.portal import app as portal_app
from cacheshell.frontends.portal import urls
from cacheshell.frontends.portal.sessions import Viewer
from cacheshell.frontends.portal.site import action
from cacheshell.system import lifecycle, users, web_config
from cacheshell.system.instance import Instance
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.world import World

PROBE = "/csp/sys/probe/Manage.zen"  # an action that needs %Admin_Manage
PROBE_ANYONE = "/csp/sys/probe/Anyone.zen"  # an action every logged-in viewer may take
_TOKEN = re.compile(r'name="csrf" value="([^"]*)"')


@dataclass
class PortalClient:
    client: TestClient
    layout: InstanceLayout
    port: int
    log: Path  # the instance's console log
    log_start: int  # its size when the test began
    done: list[str] = field(default_factory=list)  # the probe actions that ran

    def logged(self) -> str:
        """What the console log got since the test began."""
        with open(self.log, "rb") as text:
            text.seek(self.log_start)
            return text.read().decode()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def token(self, path: str = urls.HOME) -> str:
        """The CSRF token the forms of a page carry."""
        found = _TOKEN.search(self.client.get(path).text)
        assert found, f"no form with a token on {path}"
        return found.group(1)

    def login(
        self, user: str = "_SYSTEM", password: str = "SYS", next_page: str = ""
    ) -> httpx.Response:
        """Post the login form as a browser does after showing it."""
        token = self.token(urls.LOGIN)
        form = {"csrf": token, "username": user, "password": password, "next": next_page}
        return self.client.post(urls.LOGIN, data=form, headers={"Origin": self.origin})

    def post(self, path: str, token: str | None, origin: str | None = "") -> httpx.Response:
        form = {} if token is None else {"csrf": token}
        headers = {"Origin": self.origin if origin == "" else origin} if origin is not None else {}
        return self.client.post(path, data=form, headers=headers)


def real_actions(manages: bool | None = None) -> list[str]:
    """The addresses of the portal's own actions (POST routes besides login and logout), those
    that need %Admin_Manage when `manages`."""
    found = []
    for module in portal_app.PAGES:
        for route in module.ROUTES:
            if not isinstance(route, Route) or "POST" not in (route.methods or ()):
                continue
            if route.path in (urls.LOGIN, urls.LOGOUT):
                continue
            if manages is None or getattr(route.endpoint, "manages", None) is manages:
                found.append(route.path)
    return found


def _probes(done: list[str]) -> SimpleNamespace:
    @action
    async def manage(request: Request, viewer: Viewer) -> Response:
        done.append(PROBE)
        return PlainTextResponse("done")

    @action(manage=False)
    async def anyone(request: Request, viewer: Viewer) -> Response:
        done.append(PROBE_ANYONE)
        return PlainTextResponse("done")

    return SimpleNamespace(
        ROUTES=[
            Route(PROBE, manage, methods=["POST"]),
            Route(PROBE_ANYONE, anyone, methods=["POST"]),
        ]
    )


@pytest.fixture(scope="module", name="running_instance")
def running_instance_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InstanceLayout]:
    """One default instance, created and started, for a whole test module: starting one takes
    about a second. Each test gets its own app, sessions and users over it (portal_client)."""
    home = tmp_path_factory.mktemp("portal") / "cacheshell-home"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CACHESHELL_HOME", str(home))
        env.setenv("CACHESHELL_LICENSE_PORT", str(free_udp_port()))
        env.setenv("CACHESHELL_WEB_PORT", str(free_tcp_port()))
        layout = InstanceLayout(home, "CACHE")
        instance, _ = lifecycle.create(layout)
        instance.store.close()
        try:
            yield layout
        finally:
            stop_home(home)


@pytest.fixture(name="portal_client")
def portal_client_fixture(
    running_instance: InstanceLayout, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PortalClient]:
    """The portal app of the module's running instance, in-process, on the instance's port
    (which names its cookies), with no user but the predefined ones and every license unit
    free. Redirects are not followed, so that tests see them."""
    layout = running_instance
    monkeypatch.setenv("CACHESHELL_HOME", str(layout.home))  # where run_cli's commands go
    users.users_path(layout.mgr).unlink(missing_ok=True)
    instance = Instance(layout)
    try:
        port = web_config.settings(instance.cpf()).port
        World(instance).reset()
    finally:
        instance.store.close()
    assert port is not None
    done: list[str] = []
    monkeypatch.setattr(portal_app, "PAGES", (*portal_app.PAGES, _probes(done)))
    app = portal_app.build_app(layout, port)
    log = layout.mgr / "cconsole.log"
    start = log.stat().st_size
    with TestClient(app, base_url=f"http://127.0.0.1:{port}", follow_redirects=False) as client:
        yield PortalClient(client, layout, port, log, start, done)
