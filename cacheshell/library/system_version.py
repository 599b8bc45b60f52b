"""%SYSTEM.Version: the product's version, as $ZVERSION shows it."""

from __future__ import annotations

from cacheshell.lang.objects import REGISTRY
from cacheshell.lang.runtime import Runtime
from cacheshell.version import CACHE_VERSION_NUMBER

VERSION = REGISTRY.define("%SYSTEM.Version", "The product version and its parts.")


@VERSION.classmethod(
    "GetVersion", "Return the version string, the same as $ZVERSION.", signature="()"
)
def get_version(ctx: Runtime) -> str:
    return ctx.host.version


@VERSION.classmethod("GetNumber", "Return the version number, such as 2018.1.5.", signature="()")
def get_number(ctx: Runtime) -> str:
    return CACHE_VERSION_NUMBER
