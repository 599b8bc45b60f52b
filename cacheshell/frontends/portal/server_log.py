"""Where the web server's log records go: the service's stdout and stderr are the console log, so
no library may print there; the web server's errors become lines of the log. Set up when the web
stack loads, on the first connection."""

from __future__ import annotations

import logging

from cacheshell.system.console import WARNING, ConsoleLog


class _ToConsoleLog(logging.Handler):
    """The web server's errors go to the console log, one line each in its format."""

    def __init__(self, log: ConsoleLog) -> None:
        super().__init__(logging.ERROR)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        first = record.getMessage().splitlines()[0] if record.getMessage() else record.name
        self.log.write(f"Management Portal web server: {first}", WARNING)


def quiet_libraries(log: ConsoleLog) -> None:
    """The root logger's NullHandler keeps logging's last resort from printing warnings such as
    a form parser's about a malformed body (any client can send one); of the web server's own
    records only its errors reach the log, as lines of the log."""
    logging.getLogger().addHandler(logging.NullHandler())
    logging.getLogger("uvicorn.error").addHandler(_ToConsoleLog(log))
