"""Classes declared by name are defined when first referenced, once, and every listing sees them
before that. A fresh Registry with loaders that record their calls: no module is imported."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import ClassDef, Member, Registry


def _registry() -> tuple[Registry, list[str]]:
    """A registry declaring Demo.One (with a member added by a second loader step) and the
    Help() every Demo. class inherits; `calls` records each loader's run."""
    registry = Registry()
    calls: list[str] = []

    def load_one() -> None:
        calls.append("Demo.One")
        cls = registry.define("Demo.One", "A declared class.")
        cls.classmethod("Ping", "Answer pong.")(lambda _ctx: "pong")

    def load_help() -> None:
        calls.append("Demo.")
        registry.inherit("Demo.", Member("Help", lambda _ctx, _cls: "help", "Help."))

    registry.declare("Demo.One", load_one)
    registry.declare_inheritance("Demo.", load_help)
    return registry, calls


def _names(registry: Registry) -> object:
    return sorted(registry.class_names())


def _resolve_twice(registry: Registry) -> object:
    first = registry.resolve("Demo.One")
    return first is registry.resolve("Demo.One") and sorted(first.class_methods)


def _missing(registry: Registry) -> object:
    with pytest.raises(ObjectScriptError) as caught:
        registry.resolve("Demo.Two")
    return caught.value.zerror


def _inherited(registry: Registry) -> object:
    member = registry.inherited_method("Demo.One", "Help")
    return member.name if member is not None else None


def _all_methods(registry: Registry) -> object:
    return sorted(registry.all_class_methods(registry.resolve("Demo.One")))


def _every_class(registry: Registry) -> object:
    return sorted(registry.classes)


def _find(registry: Registry) -> object:
    cls: ClassDef | None = registry.find("Demo.One")
    return cls.name if cls is not None else None


@pytest.mark.parametrize(
    ("action", "result", "loaded"),
    [
        # Listing names (completion, $System.) loads nothing.
        (_names, ["Demo.One"], []),
        # The first reference runs the loader, once; the class is whole (its member is there).
        (_resolve_twice, ["Ping"], ["Demo.One"]),
        # A name never declared is still <CLASS DOES NOT EXIST>, and loads nothing.
        (_missing, "<CLASS DOES NOT EXIST> *Demo.Two", []),
        # An inherited member loads the prefix's declaration, not the class.
        (_inherited, "Help", ["Demo."]),
        (_all_methods, ["Help", "Ping"], ["Demo.One", "Demo."]),
        # Walking every class loads every class.
        (_every_class, ["Demo.One"], ["Demo.One"]),
        (_find, "Demo.One", ["Demo.One"]),
    ],
)
def test_declared_class_loads_on_first_reference(
    action: Callable[[Registry], object], result: object, loaded: list[str]
) -> None:
    registry, calls = _registry()
    assert (action(registry), calls) == (result, loaded)


def test_every_class_the_library_defines_is_declared_by_name() -> None:
    """A class defined by a library module but missing from CLASSES would exist only once
    another class happened to import its module: every module imported, the two lists agree."""
    import importlib
    import pkgutil

    import cacheshell.library as library
    from cacheshell.lang.objects import REGISTRY

    for module in pkgutil.iter_modules(library.__path__):
        importlib.import_module(f"cacheshell.library.{module.name}")
    assert sorted(REGISTRY.classes) == sorted(library.CLASSES)
