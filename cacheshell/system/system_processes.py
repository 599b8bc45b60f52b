"""The instance's own system processes in its process table: the service and its license
monitor. They take no license unit; ProcessList and DumpLocalPID show them as System rows, as the
piduse.dmp sample of the licensing chapter shows the instance's system processes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cacheshell.system import instance_lock
from cacheshell.system.layout import InstanceLayout
from cacheshell.system.processes import command_words

if TYPE_CHECKING:  # a stop asks is_service only: the license table's modules load for a start
    from cacheshell.system.license_table import LicenseTable

SERVICE_MODULE = "cacheshell.frontends.instance_process"
# The monitor runs inside the service's OS process: its job number is derived from that PID, as
# a second session in one OS process gets (process.allocate_pid).
MONITOR_JOB = 1
SYSTEM_USER = "%System"


def system_pids(service_pid: int) -> tuple[int, int]:
    """(the service's PID, the license monitor's job number)."""
    return service_pid, service_pid * 1000 + MONITOR_JOB


def is_service(pid: int, layout: InstanceLayout) -> bool:
    """Whether `pid` is this instance's service (a recorded PID may have been reused)."""
    words = command_words(pid)
    return SERVICE_MODULE.encode() in words and str(layout.directory.resolve()).encode() in words


def register(table: LicenseTable, service_pid: int) -> None:
    """Enter the service and its monitor as System processes; both end with the service's OS
    process (a dead one's rows are reclaimed like any process's)."""
    from cacheshell.system.license_table import SYSTEM

    for pid in system_pids(service_pid):
        table.attach(pid, "", SYSTEM, "", SYSTEM_USER, os_pid=service_pid)


def register_running_service(table: LicenseTable, layout: InstanceLayout) -> None:
    """After a start that cleared the table while the service ran on (a restart), its rows."""
    pid = instance_lock.recorded_pid(layout.mgr)
    if pid is not None and instance_lock.is_held(layout.mgr) and is_service(pid, layout):
        register(table, pid)
