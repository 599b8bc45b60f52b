"""%SYSTEM.Status: make, test and show %Status values."""

from __future__ import annotations

from cacheshell.lang import status
from cacheshell.lang.objects import REGISTRY, Value
from cacheshell.lang.refs import Argument, Ref, deref
from cacheshell.lang.runtime import Runtime

STATUS = REGISTRY.define("%SYSTEM.Status", "Create, test and display %Status values.")


@STATUS.classmethod("OK", "Return the success status, 1.", signature="()")
def ok(ctx: Runtime) -> int:
    return status.OK


@STATUS.classmethod(
    "Error",
    "Return an error status with the given code and message arguments.",
    'Error(5001,"text") makes ERROR #5001: text.',
    "(code, args...)",
)
def error(ctx: Runtime, code: Argument, *args: Argument) -> str:
    return status.error(deref(code), *[deref(a) for a in args])


@STATUS.classmethod("IsOK", "Return 1 if the status is success, else 0.", signature="(sc)")
def is_ok(ctx: Runtime, sc: Argument) -> int:
    return 0 if status.is_error(deref(sc)) else 1


@STATUS.classmethod("IsError", "Return 1 if the status is an error, else 0.", signature="(sc)")
def is_error(ctx: Runtime, sc: Argument) -> int:
    return 1 if status.is_error(deref(sc)) else 0


@STATUS.classmethod(
    "GetErrorText", "Return the text of every error in the status.", signature="(sc)"
)
def get_error_text(ctx: Runtime, sc: Argument, *_: Argument) -> str:
    return status.text(deref(sc))


@STATUS.classmethod(
    "GetErrorCodes", "Return the error codes of the status, comma-separated.", signature="(sc)"
)
def get_error_codes(ctx: Runtime, sc: Argument) -> str:
    return ",".join(str(code) for code, _ in status.errors(deref(sc)))


@STATUS.classmethod(
    "DisplayError", "Write the status's errors on the current device.", signature="(sc)"
)
def display_error(ctx: Runtime, sc: Argument) -> int:
    errors = status.errors(deref(sc))
    if errors:
        ctx.out.newline()  # the terminal shows a blank line before the first error
        for code, args in errors:
            ctx.out.write(status.error_text(code, args) + "\n")
    return status.OK


@STATUS.classmethod(
    "AppendStatus", "Return a status holding the errors of both statuses.", signature="(sc1, sc2)"
)
def append_status(ctx: Runtime, a: Argument, b: Argument) -> Value:
    combined: Value = status.append(deref(a), deref(b))
    return combined


@STATUS.classmethod(
    "DecomposeStatus",
    "Put each error of the status into the array passed by reference.",
    'list=count, list(n)=text, list(n,"code")=code, list(n,"domain")=domain, '
    'list(n,"param",k)=arg.',
    "(sc, .list)",
)
def decompose_status(
    ctx: Runtime, sc: Argument, target: Argument | None = None, *_: Argument
) -> int:
    if isinstance(target, Ref):
        target.kill()
        errors = status.errors(deref(sc))
        target.set(len(errors))
        for n, (code, args) in enumerate(errors, 1):
            target.set(status.error_text(code, args), n)
            target.set(code, n, "code")
            target.set(status.DOMAIN, n, "domain")
            target.set(len(args), n, "param")
            for k, arg in enumerate(args, 1):
                target.set(arg, n, "param", k)
    return status.OK
