"""What the ObjectScript classes need from the session they run in: its instance, its process
and a place to show reports. A Session provides it; a bare host (the language alone) does not,
and a licensing class called there ends in <PROTECT>."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, cast

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.host import Host
from cacheshell.lang.objects import Row
from cacheshell.lang.runtime import Runtime
from cacheshell.system.instance import Instance
from cacheshell.system.process import InstanceProcess


class SessionHost(Host, Protocol):
    instance: Instance
    process: InstanceProcess

    def show_table(self, title: str, columns: list[str], rows: Sequence[Row], text: str) -> None:
        """A report: its text on the device, or a table where the front end shows one."""
        ...


def session_of(ctx: Runtime) -> SessionHost:
    host = ctx.host
    # Two attribute reads, not isinstance() against the Protocol, which reads every member of
    # Host and SessionHost at each call: a host with an instance and a process is a session.
    if getattr(host, "instance", None) is None or getattr(host, "process", None) is None:
        raise ObjectScriptError("PROTECT", "*no instance")
    return cast(SessionHost, host)


def instance_of(ctx: Runtime) -> Instance:
    return session_of(ctx).instance


def process_of(ctx: Runtime) -> InstanceProcess:
    return session_of(ctx).process
