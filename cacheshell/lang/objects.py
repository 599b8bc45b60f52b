"""Classes written in Python that ObjectScript code can call, and the objects (OREFs) they make.

`REGISTRY` is the one module-level owner of state in the package: `cacheshell.library` declares
every class in it by name when imported, and each class's modules are imported on first
reference. Members carry a one-line and a full help text, shown by Help() and inspection.
Every member and object receives the running process as `ctx`, a `cacheshell.lang.runtime.Runtime`.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, TypeAlias, TypeVar

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.markers import OMITTED


class ObjectContext(Protocol):
    """The part of a Runtime that classes and objects use themselves: the class registry and
    fresh OREF numbers. (Runtime, which extends it, names this module's types, so this module
    declares only the part it needs and imports nothing of the runtime.)"""

    @property
    def registry(self) -> Registry: ...

    def next_oref(self) -> int: ...


# A member's implementation: a Python function of (ctx, [object,] *ObjectScript arguments) that
# returns a Value; each has its own parameters. A query's yields its rows.
Impl = TypeVar("Impl", bound="Callable[..., Value]")
QueryImpl = TypeVar("QueryImpl", bound="Callable[..., Iterator[Row]]")
Row: TypeAlias = "tuple[Value, ...]"  # one row of a class query


@dataclass(frozen=True)
class Member:
    name: str
    impl: Callable[..., Value]  # called with the arguments as written: values and references
    summary: str
    details: str = ""
    signature: str = ""


@dataclass(frozen=True)
class Query:
    name: str
    columns: tuple[str, ...]
    rows: Callable[..., Iterator[Row]]
    summary: str
    details: str = ""
    signature: str = ""


@dataclass
class ClassDef:
    name: str
    summary: str
    instance_type: type[ObjectInstance] | None = None
    class_methods: dict[str, Member] = field(default_factory=dict)
    methods: dict[str, Member] = field(default_factory=dict)
    properties: dict[str, Member] = field(default_factory=dict)
    queries: dict[str, Query] = field(default_factory=dict)
    superclasses: tuple[str, ...] = ()
    # The one namespace whose database holds the class ("" : seen from every namespace, as the
    # %-classes are through their mapping).
    home: str = ""

    # -- declaring members (used as decorators by the library floor) -------------------------
    def classmethod(
        self, name: str, summary: str, details: str = "", signature: str = ""
    ) -> Callable[[Impl], Impl]:
        def register(fn: Impl) -> Impl:
            self.class_methods[name] = Member(name, fn, summary, details, signature)
            return fn

        return register

    def method(
        self, name: str, summary: str, details: str = "", signature: str = ""
    ) -> Callable[[Impl], Impl]:
        def register(fn: Impl) -> Impl:
            self.methods[name] = Member(name, fn, summary, details, signature)
            return fn

        return register

    def property(self, name: str, summary: str, details: str = "") -> None:
        self.properties[name] = Member(name, _no_impl, summary, details)

    def query(
        self,
        name: str,
        columns: tuple[str, ...],
        summary: str,
        details: str = "",
        signature: str = "",
    ) -> Callable[[QueryImpl], QueryImpl]:
        def register(fn: QueryImpl) -> QueryImpl:
            self.queries[name] = Query(name, columns, fn, summary, details, signature)
            return fn

        return register

    # -- calling ----------------------------------------------------------------------------
    def call_class_method(self, ctx: ObjectContext, name: str, args: Sequence[object]) -> Value:
        member = self.class_methods.get(name)
        if member is not None:
            return member.impl(ctx, *with_defaults(member.impl, args, 1))
        # Inherited by name prefix (Help() on every %SYSTEM class, whenever it was defined); such
        # a method is told the class it was called on, as $CLASSNAME() tells a Caché one.
        member = ctx.registry.inherited_method(self.name, name)
        if member is not None:
            return member.impl(ctx, self, *with_defaults(member.impl, args, 2))
        if name == "%New" and self.instance_type is not None:
            new = self.instance_type.on_new
            return self.instance_type(ctx, self, *with_defaults(new, args, 1))
        raise ObjectScriptError("METHOD DOES NOT EXIST", f"*{name},{self.name}")

    def is_a(self, name: str, registry: Registry) -> bool:
        if self.name == name:
            return True
        return any(registry.resolve(sup).is_a(name, registry) for sup in self.superclasses)


def _no_impl(*_: object) -> Value:
    return ""  # a property is read from the object, never called


@functools.cache
def _most_args(fn: Callable[..., object]) -> int | None:
    """How many positional arguments fn takes; None when it takes any number (*args)."""
    params = inspect.signature(fn).parameters.values()
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    return sum(1 for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


@functools.cache
def _defaults(fn: Callable[..., object]) -> tuple[object, ...]:
    """The default of each positional parameter ("" where there is none)."""
    params = [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return tuple("" if p.default is p.empty else p.default for p in params)


@functools.cache
def _required(fn: Callable[..., object]) -> int:
    """How many positional parameters of fn have no default."""
    return sum(
        1
        for p in inspect.signature(fn).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    )


def with_defaults(fn: Callable[..., object], args: Sequence[object], skip: int) -> Sequence[object]:
    """Arguments left out between commas take the parameter's default, as in ObjectScript;
    trailing omissions are dropped, and a parameter left out with no default is "", as an
    omitted argument reads in ObjectScript. More arguments than the method has parameters
    (after the `skip` it is given itself: the process, the object) is <PARAMETER>, as in
    Caché."""
    while args and args[-1] is OMITTED:
        args = args[:-1]
    most = _most_args(fn)
    if most is not None and len(args) > most - skip:
        raise ObjectScriptError("PARAMETER")
    missing = _required(fn) - skip - len(args)
    if missing > 0:
        args = [*args, *[""] * missing]
    if OMITTED not in args:
        return args
    defaults = _defaults(fn)[skip:]
    return [
        (defaults[i] if i < len(defaults) else "") if a is OMITTED else a
        for i, a in enumerate(args)
    ]


class ObjectInstance:
    """An object in memory; `str()` is its OREF text n@Class."""

    def __init__(self, ctx: ObjectContext, cls: ClassDef, *args: object) -> None:
        self.cls = cls
        self.number = ctx.next_oref()
        self.props: dict[str, Value] = {name: "" for name in cls.properties}
        self.on_new(*args)

    # Each class declares the parameters its %New() takes, hence the loose type here.
    def on_new(self, *args: Any) -> None:
        """%OnNew: the arguments given to %New()."""
        if args:
            raise ObjectScriptError("PARAMETER")

    def __str__(self) -> str:
        return f"{self.number}@{self.cls.name}"

    def get_property(self, name: str) -> Value:
        if name in self.props:
            return self.props[name]
        raise ObjectScriptError("PROPERTY DOES NOT EXIST", f"*{name},{self.cls.name}")

    def set_property(self, name: str, value: Value) -> None:
        if name not in self.props:
            raise ObjectScriptError("PROPERTY DOES NOT EXIST", f"*{name},{self.cls.name}")
        self.props[name] = value

    def call_method(self, ctx: ObjectContext, name: str, args: Sequence[object]) -> Value:
        member = self.cls.methods.get(name)
        if member is not None:
            return member.impl(ctx, self, *with_defaults(member.impl, args, 2))
        member = self.cls.class_methods.get(name)
        if member is not None:
            return member.impl(ctx, *with_defaults(member.impl, args, 1))
        if name == "%ClassName":
            full = args[0] if args else 0
            return self.cls.name if str(full) == "1" else self.cls.name.rsplit(".", 1)[-1]
        if name == "%IsA":
            return 1 if args and self.cls.is_a(str(args[0]), ctx.registry) else 0
        raise ObjectScriptError("METHOD DOES NOT EXIST", f"*{name},{self.cls.name}")


# An ObjectScript value: a string, a number (an int when integral, else a Decimal), or an object.
Value: TypeAlias = str | int | Decimal | ObjectInstance


class Registry:
    """The classes by name. A class may be declared before it is defined: its loader (which
    imports the modules that define it and its members) runs when the class is first looked
    up, so a process imports only the classes its code uses."""

    def __init__(self) -> None:
        self._classes: dict[str, ClassDef] = {}
        # Class name -> the loader that defines it, until it has run.
        self._pending: dict[str, Callable[[], None]] = {}
        # Class-name prefix -> class methods every class so named inherits, by name.
        self.inheritance: dict[str, dict[str, Member]] = {}
        # Class-name prefix -> the loader that declares what classes so named inherit.
        self._pending_inheritance: dict[str, Callable[[], None]] = {}
        # A loader runs once, to its end, before any thread sees its class (the portal's
        # requests run in threads); re-entrant, as one class's modules may name another.
        self._loading = threading.RLock()

    @property
    def classes(self) -> dict[str, ClassDef]:
        """Every class, each loaded: what walks them all (a listing, a test) sees them all."""
        for name in list(self._pending):
            self._load(name)
        return self._classes

    def declare(self, name: str, load: Callable[[], None]) -> None:
        """The class `name` is defined (whole, with every member) by calling `load`."""
        self._pending[name] = load

    def declare_inheritance(self, prefix: str, load: Callable[[], None]) -> None:
        """What classes named `prefix...` inherit is declared by calling `load`."""
        self._pending_inheritance[prefix] = load

    def _load(self, name: str) -> None:
        if name not in self._pending:
            return
        with self._loading:
            load = self._pending.get(name)
            if load is not None:
                load()
                self._pending.pop(name, None)

    def find(self, name: str) -> ClassDef | None:
        """The class of this exact full name, loaded; None when there is none."""
        self._load(name)
        return self._classes.get(name)

    def class_names(self) -> list[str]:
        """The name of every class, loaded or only declared."""
        return [*self._classes, *(n for n in list(self._pending) if n not in self._classes)]

    def define(
        self,
        name: str,
        summary: str,
        instance_type: type[ObjectInstance] | None = None,
        superclasses: tuple[str, ...] = (),
        home: str = "",
    ) -> ClassDef:
        cls = self._classes.get(name)
        if cls is None:
            cls = self._classes[name] = ClassDef(
                name, summary, instance_type, superclasses=superclasses, home=home
            )
        return cls

    def inherit(self, prefix: str, member: Member) -> None:
        """Every class whose name starts with prefix, now or later, has this class method (as
        each %SYSTEM class has Help() from %SYSTEM.Help). Its impl takes (ctx, cls, *args)."""
        self.inheritance.setdefault(prefix, {})[member.name] = member

    def _inheritance_for(self, class_name: str) -> list[dict[str, Member]]:
        if any(class_name.startswith(p) for p in list(self._pending_inheritance)):
            with self._loading:
                for prefix in [p for p in self._pending_inheritance if class_name.startswith(p)]:
                    load = self._pending_inheritance.get(prefix)
                    if load is not None:
                        load()
                    self._pending_inheritance.pop(prefix, None)
        return [m for p, m in self.inheritance.items() if class_name.startswith(p)]

    def inherited_method(self, class_name: str, name: str) -> Member | None:
        for members in self._inheritance_for(class_name):
            if name in members:
                return members[name]
        return None

    def all_class_methods(self, cls: ClassDef) -> dict[str, Member]:
        """A class's own class methods and those it inherits by name prefix."""
        found: dict[str, Member] = {}
        for members in self._inheritance_for(cls.name):
            found.update(members)
        return found | cls.class_methods

    def resolve(self, name: str, namespace: str | None = None) -> ClassDef:
        """Find a class as ##class() does: %Name means %Library.Name, Name means User.Name.
        From `namespace`, a class held in another namespace's database does not exist."""
        for candidate in _candidates(name):
            cls = self.find(candidate)
            if cls is not None and (
                not cls.home or namespace is None or namespace.upper() == cls.home
            ):
                return cls
        raise ObjectScriptError("CLASS DOES NOT EXIST", "*" + full_class_name(name))

    def resolve_system(self, name: str) -> ClassDef:
        """$SYSTEM.Name: a %SYSTEM class, found without regard to case as $SYSTEM itself is."""
        wanted = "%SYSTEM." + name
        for key in sorted(self.class_names()):
            if key.upper() == wanted.upper():
                cls = self.find(key)
                if cls is not None:
                    return cls
        raise ObjectScriptError("CLASS DOES NOT EXIST", "*" + wanted)

    def system_class_names(self) -> list[str]:
        return sorted(k[len("%SYSTEM.") :] for k in self.class_names() if k.startswith("%SYSTEM."))


def full_class_name(name: str) -> str:
    if "." in name:
        return name
    return "%Library." + name[1:] if name.startswith("%") else "User." + name


def _candidates(name: str) -> list[str]:
    return [name] if "." in name else [full_class_name(name)]


REGISTRY = Registry()
