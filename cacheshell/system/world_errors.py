"""The one error of the simulated world: a request it cannot make sense of. Shared by the clients
(world.py) and the license-server rehearsals (world_servers.py), which World.reset() lifts."""

from __future__ import annotations


class WorldError(Exception):
    """A request the simulated world cannot make sense of (a bad address, count or kind, a license
    server that is not configured or not on this host)."""
