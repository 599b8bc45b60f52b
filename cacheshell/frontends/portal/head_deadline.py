"""The web server's HTTP protocol with a deadline for each request's head.

uvicorn's h11 protocol waits for a request's headers as long as the client keeps the connection
open, and each connection counts against the server's concurrency limit: a few dozen connections
that send half a request would make every other request answer 503 for as long as they are held
("slowloris"). Here a connection must send a whole request head within HEAD_TIMEOUT of opening,
or of its previous response, or it is closed, as an idle keep-alive connection is.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

# Seconds; uvicorn's keep-alive timeout is the same (a browser sends a head at once).
HEAD_TIMEOUT = 5.0


class HeadDeadlineProtocol(H11Protocol):
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)  # cancels the keep-alive timer: a request has begun
        if self._awaiting_head():
            self._arm()
        else:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # the keep-alive timer watches the idle connection
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _awaiting_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(HEAD_TIMEOUT, self._head_late)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if self._awaiting_head() and not self.transport.is_closing():
            self.transport.close()
