"""%SYSTEM.Version: the product's version, as $ZVERSION shows it."""

from __future__ import annotations

from cacheshell.lang.objects import REGISTRY
from cacheshell.lang.runtime import Runtime

VERSION = REGISTRY.define("%SYSTEM.Version", "The product version and its parts.")


@VERSION.classmethod(
    "GetVersion", "Return the version string, the same as $ZVERSION.", signature="()"
)
def get_version(ctx: Runtime) -> str:
    return ctx.host.version


@VERSION.classmethod("GetNumber", "Return the version number of this build.", signature="()")
def get_number(ctx: Runtime) -> str:
    from cacheshell.version import __version__

    return __version__
