"""The instance's web server: its port is bound when the instance starts, and the web stack is
loaded on the first connection, so an instance nobody browses pays nothing for its portal.

Runs inside the instance's service process (frontends/instance_process.py), in a thread of its
own with its own event loop; the service stops it before it shuts the instance down.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import sqlite3
import threading
from typing import Any

from cacheshell.system import web_config
from cacheshell.system.console import INFO, WARNING
from cacheshell.system.instance import Instance, InstanceError
from cacheshell.system.instance_files import describe
from cacheshell.system.layout import InstanceLayout

STOP_WAIT = 5.0  # seconds the service waits for the web server to finish its requests
BACKLOG = 64


class PortalListener:
    def __init__(self, instance: Instance) -> None:
        self.layout: InstanceLayout = instance.layout
        self.instance = instance
        self.socket: socket.socket | None = None
        self._wake_read, self._wake_write = os.pipe()
        self._stopping = threading.Event()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Bind the configured port now; serve from the first connection on. A port that is
        taken leaves the instance running without its portal, said in the console log; the
        store says either way (control start and the terminal's banner tell it)."""
        log = self.instance.log
        try:
            self.instance.restore_configuration()  # a cache.cpf deleted before the start
            cpf = self.instance.cpf()
            spoiled = web_config.invalid_port(cpf)
            kept = self.instance.store.get(web_config.WEB_PORT)
            web = web_config.assign(
                cpf,
                self.layout.home,
                self.layout.directory,
                kept if isinstance(kept, int) else None,
            )
        except (InstanceError, OSError, UnicodeError) as exc:
            log.write(f"Management Portal: not started: {describe(exc)}", WARNING)
            self._record("", "not started")
            return
        if spoiled is not None and web.port is not None:
            # Caché's web server cannot start on a port it cannot read; here the instance keeps
            # the port its portal had, so that the address a trainee knows still works.
            log.write(
                f"[Startup] WebServerPort={spoiled} in cache.cpf is not a port (1-65535): the "
                f"web server uses port {web.port} instead",
                WARNING,
            )
        if not web.enabled or web.port is None:
            log.write("Management Portal: the web server is disabled ([Startup] WebServer=0)")
            self._record("", web_config.DISABLED)
            return
        family = socket.AF_INET6 if ":" in web.address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((web.address, web.port))
            sock.listen(BACKLOG)
        except OSError as exc:
            sock.close()
            log.write(
                f"Management Portal: cannot listen on {web.address} port {web.port} "
                f"({exc.strerror or exc}); the instance runs without its portal",
                WARNING,
            )
            in_use = exc.errno == errno.EADDRINUSE
            why = f"port {web.port} is in use" if in_use else f"cannot listen on port {web.port}"
            self._record("", why)
            return
        self.socket = sock
        self._record(web.url, "", web.port)
        log.write(f"Management Portal: listening at {web.url}", INFO)
        self._thread = threading.Thread(
            target=self._serve, args=(web.port, web.address), name="portal"
        )
        self._thread.daemon = True  # never keeps a dying service alive
        self._thread.start()

    def _record(self, url: str, down: str, port: int | None = None) -> None:
        """What the start made of the portal, for control start, control list and the banner;
        the port it listens on, kept for a cache.cpf made again."""
        store = self.instance.store
        with store.transaction():
            store.put(web_config.PORTAL_URL, url)
            store.put(web_config.PORTAL_DOWN, down)
            if port is not None:
                store.put(web_config.WEB_PORT, port)

    def _serve(self, port: int, address: str) -> None:
        assert self.socket is not None
        readable, _, _ = select.select([self.socket.fileno(), self._wake_read], [], [])
        if self._stopping.is_set() or self._wake_read in readable:
            return
        import uvicorn  # the web stack: loaded on the first connection only

        from cacheshell.frontends.portal.app import build_app
        from cacheshell.frontends.portal.head_deadline import HeadDeadlineProtocol
        from cacheshell.frontends.portal.server_log import quiet_libraries

        quiet_libraries(self.instance.log)
        config = uvicorn.Config(
            build_app(self.layout, port, address),
            log_config=None,
            access_log=False,
            server_header=False,
            proxy_headers=False,
            lifespan="on",
            loop="asyncio",
            http=HeadDeadlineProtocol,
            ws="none",
            limit_concurrency=64,
            timeout_graceful_shutdown=int(STOP_WAIT) - 1,
        )
        self._server = uvicorn.Server(config)
        if self._stopping.is_set():
            return
        self._server.run(sockets=[self.socket])

    def stop(self) -> None:
        """End the web server (its sessions end with it) and free the port."""
        self._stopping.set()
        os.write(self._wake_write, b"x")
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_WAIT)
        if self.socket is not None:
            self.socket.close()
        os.close(self._wake_read)
        os.close(self._wake_write)
        try:
            with self.instance.store.transaction():
                self.instance.store.put(web_config.PORTAL_URL, "")
        except (sqlite3.Error, OSError):
            pass  # the store went with the instance's files
