"""The %Exception classes that TRY/CATCH and THROW use."""

from __future__ import annotations

from cacheshell.lang import status
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import REGISTRY, ClassDef, ObjectInstance, Value
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.values import to_str


class ExceptionInstance(ObjectInstance):
    status: Value | None  # the %Status a StatusException carries
    zerror: str | None  # the $ZERROR text of the error a SystemException stands for

    def on_new(
        self,
        name: Value = "",
        code: Value = "",
        location: Value = "",
        data: Value = "",
        *rest: object,
    ) -> None:
        if rest:
            raise ObjectScriptError("PARAMETER")
        self.props.update(Name=name, Code=code, Location=location, Data=data)
        self.status = None
        self.zerror = None


_ABSTRACT = "%Exception.AbstractException"


def _define(name: str, summary: str) -> ClassDef:
    supers = () if name == _ABSTRACT else (_ABSTRACT,)
    cls = REGISTRY.define(name, summary, ExceptionInstance, supers)
    cls.property("Name", "The exception's name, such as <UNDEFINED> or a name you chose.")
    cls.property("Code", "A number that identifies the error.")
    cls.property("Location", "Where the error happened (label+offset^routine), if known.")
    cls.property("Data", "Extra information, such as the undefined variable's name.")
    cls.property("InnerException", "An exception this one wraps, if any.")

    @cls.method(
        "DisplayString",
        "The exception as one line of text: Name Code Location Data.",
        "For a system error, as Caché shows it: <DIVIDE> 18 zABC+3^CookBook.Class1.1",
    )
    def display_string(ctx: Runtime, self: ExceptionInstance) -> str:
        p = self.props
        if self.status is not None:
            return status.text(self.status)
        parts = [to_str(p[name]) for name in ("Name", "Code", "Location", "Data")]
        return " ".join(parts).rstrip(" ")

    @cls.method("AsSystemError", "The exception as a $ZERROR string: <NAME>location info.")
    def as_system_error(ctx: Runtime, self: ExceptionInstance) -> str:
        if self.zerror is not None:
            return self.zerror
        p = self.props
        data = to_str(p["Data"])
        return f"{to_str(p['Name'])}{to_str(p['Location'])}{' ' + data if data else ''}"

    @cls.method("AsStatus", "The exception as a %Status value.")
    def as_status(ctx: Runtime, self: ExceptionInstance) -> Value:
        p = self.props
        if self.status is not None:
            return self.status
        if self.cls.name == "%Exception.SystemException":
            return status.error(5002, as_system_error(ctx, self))
        return status.error(5035, p["Name"], p["Code"], p["Data"])

    return cls


GENERAL = _define("%Exception.General", "An exception your code creates and throws.")
SYSTEM = _define("%Exception.SystemException", "An ObjectScript error caught by CATCH.")
STATUS = _define("%Exception.StatusException", "An exception that carries a %Status.")
_define(_ABSTRACT, "The properties and methods every exception has.")


@STATUS.classmethod(
    "CreateFromStatus",
    "Make a StatusException that carries the given %Status.",
    signature="(sc As %Status)",
)
def create_from_status(ctx: Runtime, sc: Value) -> ExceptionInstance:
    found = status.errors(sc)
    code, args = found[0] if found else (0, [])
    ex = ExceptionInstance(
        ctx, STATUS, status.message(code, args) if found else "", code, "", ",".join(args)
    )
    ex.status = sc
    return ex


def system_exception(ctx: Runtime, err: ObjectScriptError) -> ExceptionInstance:
    ex = ExceptionInstance(ctx, SYSTEM, f"<{err.name}>", err.code, err.location, err.data)
    ex.zerror = err.zerror
    return ex
