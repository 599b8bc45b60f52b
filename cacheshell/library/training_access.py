"""How the Training.* classes reach the simulated world (cacheshell.system.world): the World as
this session sees it, their arguments as text and numbers, and the world's failures as
ObjectScript errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from cacheshell.lang import values as V
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.refs import Argument, deref
from cacheshell.lang.runtime import Runtime
from cacheshell.library.host import instance_of, process_of
from cacheshell.system.world import Refused, World
from cacheshell.system.world_errors import WorldError

T = TypeVar("T")


def world_of(ctx: Runtime) -> World:
    """The world as this session sees it: what it makes, its process owns."""
    process = process_of(ctx)
    return World(instance_of(ctx), owner=process.pid if process.attached else None)


def as_text(value: Argument) -> str:
    return V.to_str(deref(value))


def as_number(value: Argument) -> int:
    return V.to_int64(deref(value))


def guarded(action: Callable[[], T]) -> T:
    """Run a world action with its failures as ObjectScript errors: a refusal is what a real
    login shows, <LICENSE LIMIT EXCEEDED>; a request that makes no sense is <ILLEGAL VALUE>."""
    try:
        return action()
    except Refused as refused:
        raise ObjectScriptError(refused.decision.error) from None
    except WorldError as exc:
        raise ObjectScriptError("ILLEGAL VALUE", f"*{exc}") from None
