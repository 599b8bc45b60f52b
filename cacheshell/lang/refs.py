"""References to variables: `.name` arguments passed to methods, and the glvn argument of
$GET, $DATA, $ORDER, $INCREMENT and friends."""

from __future__ import annotations

from typing import TypeAlias

from cacheshell.lang.markers import Omitted
from cacheshell.lang.objects import Value
from cacheshell.lang.symbols import Symbols


class Ref:
    """A by-reference argument (`.name`): the callee reads and writes the caller's variable."""

    __slots__ = ("sym", "name")

    def __init__(self, sym: Symbols, name: str) -> None:
        self.sym = sym
        self.name = name

    def get(self, default: Value | None = None) -> Value:
        if default is not None and self.name not in self.sym.scalars:
            return default
        return self.sym.get(self.name)

    def node(self, *subs: Value, default: Value | None = "") -> Value | None:
        """The value at name(subs...), or `default` when that node has no value."""
        if self.sym.data(self.name, subs) % 2:
            return self.sym.get(self.name, subs)
        return default

    def set(self, value: Value, *subs: Value) -> None:
        self.sym.set(self.name, subs, value)

    def kill(self) -> None:
        self.sym.kill(self.name)

    def __str__(self) -> str:
        # A method that expected a value reads the variable's value.
        return str(self.get(""))


# What a class method receives for each argument: a value, or a `.name` reference.
Argument: TypeAlias = Value | Ref
# What a call passes for each argument it writes: an Argument, or OMITTED where it left one out
# between commas (a method then takes the parameter's default).
Actual: TypeAlias = Value | Ref | Omitted


def deref(value: Argument) -> Value:
    """The value of an argument that may have been passed by reference."""
    return value.get("") if isinstance(value, Ref) else value
