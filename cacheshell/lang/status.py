"""%Status values: 1 for success, or "0 " followed by a $LIST of errors, each a $LIST of the
error code and its message arguments. The first character is 0, so `If 'sc` works."""

from __future__ import annotations

from cacheshell.lang import lists
from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import Value
from cacheshell.lang.values import to_int, to_str

OK = 1
# The message domain of the 5000-range general errors.
DOMAIN = "%ObjectErrors"

# Error code -> message template (%1, %2 ... are the arguments).
MESSAGES: dict[int, str] = {
    5001: "%1",
    5002: "Cache error: %1",  # Caché 2018 wording; IRIS says "ObjectScript error"
    5005: "Cannot open file '%1'",
    5012: "File '%1' does not exist",
    5015: "Namespace '%1' does not exist",
    5018: "Routine '%1' does not exist",
    5021: "Directory '%1' does not exist.",
    5033: "Interrupt",
    5034: "Invalid status code structure (%1)",
    5035: "General exception Name '%1' Code '%2' Data '%3'",
    5351: "Class '%1' does not exist",
    5376: "Method or Property '%1' does not exist in this class.",
    5660: "Query '%1' does not exist",
    5915: "Cannot allocate a license",
}


def error(code: object, *args: object) -> str:
    return "0 " + lists.listbuild(lists.listbuild(to_int(code), *[to_str(a) for a in args]))


def is_error(sc: object) -> bool:
    return to_str(sc)[:1] == "0"


def errors(sc: object) -> list[tuple[int, list[str]]]:
    """The (code, arguments) of each error in a status; [] for success or an unreadable value."""
    text = to_str(sc)
    if not text.startswith("0 "):
        return []
    try:
        found: list[tuple[int, list[str]]] = []
        for entry in lists.decode(text[2:]):
            parts = lists.decode(to_str(entry))
            code = to_int(parts[0]) if parts and parts[0] is not None else 0
            found.append((code, ["" if p is None else to_str(p) for p in parts[1:]]))
        return found
    except ObjectScriptError:  # a malformed $LIST (<LIST>) or number reads as "invalid structure"
        return [(5034, [text])]


def message(code: int, args: list[str]) -> str:
    template = MESSAGES.get(code)
    if template is None:
        return f"Unknown status code: {code} ({','.join(args)})"
    for i in range(len(args), 0, -1):
        template = template.replace(f"%{i}", args[i - 1])
    return template


def error_text(code: int, args: list[str]) -> str:
    return f"ERROR #{code}: {message(code, args)}"


def text(sc: object) -> str:
    """GetErrorText: every error of the status, one per line."""
    return "\r\n".join(error_text(c, a) for c, a in errors(sc))


def append(a: Value, b: Value) -> Value:
    if not is_error(a):
        return b if is_error(b) else OK
    if not is_error(b):
        return a
    return "0 " + to_str(a)[2:] + to_str(b)[2:]
