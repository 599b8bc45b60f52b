"""The portal in-process: Starlette's TestClient over build_app, for the pages' logic (no
browser). A client logs in through the login form as a browser does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import free_tcp_port, free_udp_port, stop_home
from starlette.testclient import TestClient

from cacheshell.frontends.portal import urls
from cacheshell.frontends.portal.app import build_app
from cacheshell.system import lifecycle, monitor, users
from cacheshell.system.layout import InstanceLayout

PORT = 57772  # names the cookies and the portal's host: TestClient opens no socket
ORIGIN = f"http://127.0.0.1:{PORT}"  # the portal answers only by its own names


@contextmanager
def started_instance(home: Path, name: str = "CACHE") -> Iterator[InstanceLayout]:
    """An instance created and started in-process in its own home, with its own license and
    web ports (as the autouse home fixture gives a test), its monitor's first report made; it
    and its license server are stopped after the block. Starting one takes about a second, so
    a module's tests may share one, each putting back what it changes."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CACHESHELL_HOME", str(home))
        patch.setenv("CACHESHELL_LICENSE_PORT", str(free_udp_port()))
        patch.setenv("CACHESHELL_WEB_PORT", str(free_tcp_port()))
        layout = InstanceLayout(home, name)
        try:
            instance = lifecycle.create(layout)[0]
            monitor.await_first_cycle(instance)
            instance.store.close()
            yield layout
        finally:
            stop_home(home)


@contextmanager
def portal_client(layout: InstanceLayout) -> Iterator[TestClient]:
    """A client of the portal, its lifespan (the instance opened) around the block."""
    with TestClient(build_app(layout, PORT), base_url=ORIGIN, follow_redirects=False) as client:
        yield client


def field(html: str, name: str) -> str:
    """The value of the first input of that name in a page."""
    found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    assert found, f"no input {name}"
    return found.group(1)


def log_in(client: TestClient, user: str = "_SYSTEM", password: str = "SYS") -> str:
    """Log in through the login form; the session's CSRF token, as its pages carry it."""
    form = client.get(urls.LOGIN)
    answer = client.post(
        urls.LOGIN,
        data={"csrf": field(form.text, "csrf"), "username": user, "password": password},
        headers={"Origin": ORIGIN},
    )
    assert answer.status_code == 303, answer.text
    return field(client.get(urls.HOME).text, "csrf")


def add_reader(layout: InstanceLayout, name: str = "READER", password: str = "reader-pw") -> None:
    """A user without %Admin_Manage: the pages are read-only to it."""
    users.add(layout.mgr, name, ["%Operator"], password=password)
