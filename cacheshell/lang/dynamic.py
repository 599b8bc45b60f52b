"""%DynamicObject and %DynamicArray: what JSON literals ({"a":1}, [1,2]) make.

Each element keeps its JSON type beside its value, so `true` reads as 1 in ObjectScript but
%ToJSON() still writes `true`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, TypeAlias

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import REGISTRY, ObjectInstance, Value
from cacheshell.lang.refs import Argument
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.values import is_canonical_number, to_int, to_str

# An element and its JSON type: "string", "number", "boolean" (1 or 0), "null" ("") or "object"
# (a DynamicObject or DynamicArray).
Element: TypeAlias = tuple[str, Value]

TRUE: Element = ("boolean", 1)
FALSE: Element = ("boolean", 0)
NULL: Element = ("null", "")
LITERALS = {"true": TRUE, "false": FALSE, "null": NULL}
# Caché's default process memory ($ZSTORAGE, 256 MB) holds about this many array elements.
_MOST_ELEMENTS = 16 * 1024 * 1024


def typed(value: object) -> Element:
    """An ObjectScript value with the JSON type it takes when stored."""
    if isinstance(value, DynamicBase):
        return ("object", value)
    if isinstance(value, int | Decimal):
        return ("number", value)
    return ("string", to_str(value))


class DynamicBase(ObjectInstance):
    items: dict[str, Element] | list[Element]

    def to_json(self) -> str:
        return json.dumps(self.plain(), separators=(",", ":"), ensure_ascii=False)

    def plain(self) -> object:
        """The elements as Python data for json.dumps."""
        raise NotImplementedError


def _plain(kind: str, value: Value) -> object:
    if isinstance(value, DynamicBase):  # kind "object"
        return value.plain()
    if kind == "boolean":
        return bool(value)
    if kind == "null":
        return None
    if kind == "number":
        # An int, a Decimal, or the string of a canonical number %Set with the type "number".
        return value if isinstance(value, int) else float(to_str(value))
    return value


def _from_plain(ctx: Runtime, data: Any) -> Element:
    """An element from what json.loads made of it: anything JSON holds, down to the floats it
    reads NaN and Infinity as, hence the loose type."""
    if isinstance(data, dict | list):
        return ("object", _from_json_data(ctx, data))
    if data is True or data is False:
        return TRUE if data else FALSE
    if data is None:
        return NULL
    if isinstance(data, int | Decimal):
        return ("number", data)
    return ("string", data)


def _from_json_data(ctx: Runtime, data: dict[str, object] | list[object]) -> DynamicBase:
    if isinstance(data, dict):
        obj = DynamicObject(ctx, OBJECT)
        obj.items = {k: _from_plain(ctx, v) for k, v in data.items()}
        return obj
    arr = DynamicArray(ctx, ARRAY)
    arr.items = [_from_plain(ctx, v) for v in data]
    return arr


class DynamicObject(DynamicBase):
    items: dict[str, Element]

    def on_new(self, *args: object) -> None:
        super().on_new(*args)
        self.items = {}

    def get_property(self, name: str) -> Value:
        return self.items.get(name, NULL)[1]

    def set_property(self, name: str, value: Value) -> None:
        self.items[name] = typed(value)

    def plain(self) -> object:
        return {k: _plain(kind, v) for k, (kind, v) in self.items.items()}


class DynamicArray(DynamicBase):
    items: list[Element]

    def on_new(self, *args: object) -> None:
        super().on_new(*args)
        self.items = []

    def plain(self) -> object:
        return [_plain(kind, v) for kind, v in self.items]

    def index(self, key: object) -> int:
        i = to_int(key)
        if i < 0:
            raise ObjectScriptError("ILLEGAL VALUE")
        return i

    def grow(self, size: int) -> None:
        """Pad with unassigned elements up to `size`; beyond what a process's memory holds
        that is <STORE>, as Caché says when a process runs out of memory."""
        if size > _MOST_ELEMENTS:
            raise ObjectScriptError("STORE")
        self.items.extend([NULL] * (size - len(self.items)))


OBJECT = REGISTRY.define(
    "%Library.DynamicObject", 'A JSON object: {"key":value,...}.', DynamicObject
)
ARRAY = REGISTRY.define("%Library.DynamicArray", "A JSON array: [value,...].", DynamicArray)


def _typed_with(value: Value, type_name: object) -> Element:
    kind = to_str(type_name) if type_name != "" else ""
    if kind == "":
        return typed(value)
    if kind == "boolean":
        return TRUE if to_int(value) else FALSE
    if kind == "null":
        return NULL
    if kind == "number":
        text = to_str(value)
        return ("number", value if is_canonical_number(text) else 0)
    if kind == "string":
        return ("string", to_str(value))
    raise ObjectScriptError("ILLEGAL VALUE")


for _cls in (OBJECT, ARRAY):

    @_cls.method("%ToJSON", "The value as JSON text.")
    def to_json(ctx: Runtime, self: DynamicBase) -> str:
        return self.to_json()

    @_cls.method("%Size", "The number of elements.")
    def size(ctx: Runtime, self: DynamicBase) -> int:
        return len(self.items)

    @_cls.classmethod(
        "%FromJSON", "Make a dynamic object or array from JSON text.", signature="(json As %String)"
    )
    def from_json(ctx: Runtime, text: Argument) -> DynamicBase:
        try:
            data = json.loads(to_str(text), parse_float=Decimal)
        except ValueError:
            raise ObjectScriptError("THROW", "*%Exception.General Parsing error") from None
        if not isinstance(data, dict | list):
            raise ObjectScriptError("THROW", "*%Exception.General Parsing error")
        return _from_json_data(ctx, data)


@OBJECT.method("%Get", 'The value of a key ("" when absent).', signature="(key)")
def object_get(ctx: Runtime, self: DynamicObject, key: Argument) -> Value:
    return self.items.get(to_str(key), NULL)[1]


@OBJECT.method(
    "%Set",
    "Set a key's value; returns the object, so calls can chain.",
    signature="(key, value, type)",
)
def object_set(
    ctx: Runtime, self: DynamicObject, key: Argument, value: Value, type_name: Argument = ""
) -> DynamicObject:
    self.items[to_str(key)] = _typed_with(value, type_name)
    return self


@OBJECT.method("%IsDefined", "1 if the key is present.", signature="(key)")
def object_defined(ctx: Runtime, self: DynamicObject, key: Argument) -> int:
    return 1 if to_str(key) in self.items else 0


@OBJECT.method("%Remove", "Remove a key; returns its value.", signature="(key)")
def object_remove(ctx: Runtime, self: DynamicObject, key: Argument) -> Value:
    return self.items.pop(to_str(key), NULL)[1]


@OBJECT.method("%GetTypeOf", "The JSON type of a key's value.", signature="(key)")
def object_type(ctx: Runtime, self: DynamicObject, key: Argument) -> str:
    found = self.items.get(to_str(key))
    return "unassigned" if found is None else found[0]


@ARRAY.method("%Get", 'The element at a 0-based position ("" beyond the end).', signature="(index)")
def array_get(ctx: Runtime, self: DynamicArray, key: Argument) -> Value:
    i = self.index(key)
    return self.items[i][1] if i < len(self.items) else ""


@ARRAY.method(
    "%Set",
    "Set the element at a 0-based position; returns the array.",
    signature="(index, value, type)",
)
def array_set(
    ctx: Runtime, self: DynamicArray, key: Argument, value: Value, type_name: Argument = ""
) -> DynamicArray:
    i = self.index(key)
    self.grow(i + 1)
    self.items[i] = _typed_with(value, type_name)
    return self


@ARRAY.method("%Push", "Append an element; returns the array.", signature="(value, type)")
def array_push(
    ctx: Runtime, self: DynamicArray, value: Value, type_name: Argument = ""
) -> DynamicArray:
    self.items.append(_typed_with(value, type_name))
    return self


@ARRAY.method("%Pop", "Remove and return the last element.", signature="()")
def array_pop(ctx: Runtime, self: DynamicArray) -> Value:
    return self.items.pop()[1] if self.items else ""


def make_object(ctx: Runtime, members: list[tuple[str, Element]]) -> DynamicObject:
    obj = DynamicObject(ctx, OBJECT)
    obj.items = dict(members)
    return obj


def make_array(ctx: Runtime, elements: list[Element]) -> DynamicArray:
    arr = DynamicArray(ctx, ARRAY)
    arr.items = list(elements)
    return arr
