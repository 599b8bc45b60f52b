"""The instance's process: its service (system/service.py) and its Management Portal web server
(portal/listener.py), which the service stops before it shuts the instance down.

`control start` runs it as `python -m cacheshell.frontends.instance_process --lock-fd FD DIR`.
"""

from __future__ import annotations

from collections.abc import Callable

from cacheshell.frontends.portal.listener import PortalListener
from cacheshell.system import service


def _start_portal(instance_service: service.InstanceService) -> Callable[[], None]:
    portal = PortalListener(instance_service.instance)
    portal.start()
    return portal.stop


def main(argv: list[str] | None = None) -> int:
    return service.main(argv, _start_portal)


if __name__ == "__main__":
    raise SystemExit(main())
