"""The %Exception classes that TRY/CATCH and THROW use."""

from __future__ import annotations

from cacheshell.lang import status
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import REGISTRY, ClassDef, ObjectInstance, Value
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.values import to_str

# Caché's numeric codes for the errors a shell meets most ($ZU(56,2) numbering).
_ERROR_NUMBERS = {"SYNTAX": 8, "UNDEFINED": 9, "DIVIDE": 18}


class ExceptionInstance(ObjectInstance):
    status: Value | None  # the %Status a StatusException carries

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


_ABSTRACT = "%Exception.AbstractException"


def _define(name: str, summary: str) -> ClassDef:
    supers = () if name == _ABSTRACT else (_ABSTRACT,)
    cls = REGISTRY.define(name, summary, ExceptionInstance, supers)
    cls.property("Name", "The exception's name, such as <UNDEFINED> or a name you chose.")
    cls.property("Code", "A number that identifies the error.")
    cls.property("Location", "Where the error happened (label+offset^routine), if known.")
    cls.property("Data", "Extra information, such as the undefined variable's name.")
    cls.property("InnerException", "An exception this one wraps, if any.")

    @cls.method("DisplayString", "The exception as one line of text.")
    def display_string(ctx: Runtime, self: ExceptionInstance) -> str:
        p = self.props
        if self.cls.name == "%Exception.SystemException":
            data = to_str(p["Data"])
            return f"{p['Name']}{p['Location']}{' *' + data if data else ''}"
        if self.status is not None:
            return status.text(self.status)
        return f"{p['Name']} {p['Code']} {p['Location']} {p['Data']}".rstrip()

    @cls.method("AsStatus", "The exception as a %Status value.")
    def as_status(ctx: Runtime, self: ExceptionInstance) -> Value:
        p = self.props
        if self.status is not None:
            return self.status
        if self.cls.name == "%Exception.SystemException":
            return status.error(5002, display_string(ctx, self))
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
    data = err.info[1:] if err.info.startswith("*") else err.info
    return ExceptionInstance(
        ctx, SYSTEM, f"<{err.name}>", _ERROR_NUMBERS.get(err.name, 0), err.location, data
    )
