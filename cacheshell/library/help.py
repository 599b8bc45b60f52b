"""%SYSTEM.Help: the Help() class method every %SYSTEM class inherits.

Help() lists a class's documented class methods; Help(name) shows one in full. The layout follows
%SYSTEM.Help.Help in Caché: `Name(args)` with FormalSpec names only, then the first line of the
description at column 5.
"""

from __future__ import annotations

from cacheshell.lang.objects import REGISTRY, ClassDef, Member, Registry
from cacheshell.lang.refs import Argument, deref
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.values import to_str

SYSTEM_PREFIX = "%SYSTEM."

# The %Compiler message texts Help() writes (English).
INTRO = "will display a full description of an individual method."
METHOD_LIST = "Methods of the class: "
METHOD_DESCRIPTION = "Description of the method:class "
NOT_A_METHOD = " is not a method of "


def help_method(ctx: Runtime, cls: ClassDef, method: Argument = "") -> str:
    """Help(method): write the class's method list, or one method's full description."""
    write_help(ctx, cls, to_str(deref(method)))
    return ""


HELP = Member(
    "Help",
    help_method,
    "Write out a list of the methods of this object to the console.",
    "Pass the method name as an argument to see the full description for\nthis item.",
    '(method As %String = "")',
)
REGISTRY.inherit(SYSTEM_PREFIX, HELP)


def argument_names(signature: str) -> str:
    """The FormalSpec names of a signature, as Help() shows them:
    "(sc As %Status, .list, ByRef Status, Output x)" -> "sc,&list,&Status,*x"."""
    text = signature.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    names = []
    for part in _split_arguments(text):
        name = part.strip()
        for stop in (":", "=", " As ", " as "):
            name = name.split(stop, 1)[0]
        name = name.strip()
        for prefix, mark in ((".", "&"), ("ByRef ", "&"), ("Output ", "*")):
            if name.startswith(prefix):
                name = mark + name[len(prefix) :].strip()
        if name:
            names.append(name)
    return ",".join(names)


def _split_arguments(text: str) -> list[str]:
    """Split on commas outside quoted defaults."""
    parts, current, quoted = [], "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def listed_members(registry: Registry, cls: ClassDef) -> list[Member]:
    """The class methods Help() shows, in name order (uppercase before lowercase)."""
    members = registry.all_class_methods(cls)
    return [
        members[name]
        for name in sorted(members)
        if not name.startswith("%") and members[name].summary
    ]


def write_help(ctx: Runtime, cls: ClassDef, method: str) -> None:
    out = ctx.out
    if method == "":
        shown = cls.name.replace(SYSTEM_PREFIX, "$system.", 1)
        out.write(f"'Do {shown}.Help(method)' {INTRO}\n\n")
        out.write(f"{METHOD_LIST}{cls.name}\n")
        for listed in listed_members(ctx.registry, cls):
            out.write(f"\n{listed.name}({argument_names(listed.signature)})\n")
            out.tab(5)
            out.write(listed.summary.split("\n", 1)[0] + "\n")
        return
    out.write(f"{METHOD_DESCRIPTION}{method}:{cls.name}\n")
    member = ctx.registry.all_class_methods(cls).get(method)
    if member is None or method.startswith("%") or not member.summary:
        out.write(f"\n'{method}'{NOT_A_METHOD}{cls.name}.\n")
        return
    out.write(f"\n{method}({argument_names(member.signature)})\n")
    description = member.summary + ("\n" + member.details if member.details else "")
    out.write(description + "\n")
