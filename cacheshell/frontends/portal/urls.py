"""The portal's addresses, after Caché's own (/csp/sys/ for the System Management Portal,
mgr/ for System Administration pages, op/ for System Operation pages)."""

from __future__ import annotations

HOME = "/csp/sys/UtilHome.csp"
LOGIN = "/csp/sys/login.csp"
LOGOUT = "/csp/sys/logout.csp"
STATIC = "/csp/sys/static"
LICENSE_KEY = "/csp/sys/mgr/License.Key.zen"
ACTIVATE_KEY = "/csp/sys/mgr/License.Activate.zen"
LICENSE_SERVERS = "/csp/sys/mgr/License.Servers.zen"
LICENSE_SERVER = "/csp/sys/mgr/License.Server.zen"
LICENSE_USAGE = "/csp/sys/op/LicenseUsage.zen"
CONSOLE_LOG = "/csp/sys/op/ConsoleLog.zen"

# The menu, as Caché's portal names its paths: (breadcrumb, address).
MENU = (
    (("System Administration", "Licensing", "License Key"), LICENSE_KEY),
    (("System Administration", "Licensing", "License Servers"), LICENSE_SERVERS),
    (("System Operation", "License Usage"), LICENSE_USAGE),
    (("System Operation", "System Logs", "Console Log"), CONSOLE_LOG),
)


def is_local(target: str) -> bool:
    """Whether a `next` address after login stays inside the portal (no other site, no
    scheme, no protocol-relative //host)."""
    return target.startswith("/csp/sys/") and "//" not in target and "\\" not in target
