"""%SYSTEM.License members for public web applications under a Web Add-on or Real Time key:
PublicWebAppUser, PublicWebAppUserCount and PublicWebAppUsersMax.

A CSP page's code sees its session as %session; in this model a Training.CSPSession in %session
is the current CSP session, as Training.World's StartCSP() makes one.
"""

from __future__ import annotations

from cacheshell.lang.errors import ObjectScriptError
from cacheshell.lang.objects import ObjectInstance
from cacheshell.lang.runtime import Runtime
from cacheshell.lang.values import to_str
from cacheshell.library.host import instance_of
from cacheshell.library.system_license import LICENSE
from cacheshell.system.instance import Instance

_PUBLIC = "public_web_sessions"  # the declared sessions' IDs, comma-separated
_PEAK = "max_public_web"
# The keys that may have public web application users (S1 %SYSTEM.License.PublicWebAppUser).
_WEB_TYPES = ("Real Time",)
_WEB_FEATURES = ("WebAddOn",)


def _current_session(ctx: Runtime) -> str:
    """The session ID of %session, the CSP session this code runs for; "" outside one."""
    value = ctx.sym.get("%session") if ctx.sym.data("%session") % 10 else ""
    if isinstance(value, ObjectInstance) and "SessionId" in value.props:
        return to_str(value.props["SessionId"])
    return ""


def _declared(inst: Instance) -> list[str]:
    """Declared sessions still running (ended ones drop out)."""
    ids = [sid for sid in str(inst.store.get(_PUBLIC) or "").split(",") if sid]
    db = inst.store.db
    return [
        sid
        for sid in ids
        if db.execute("SELECT 1 FROM csp_sessions WHERE id=?", (sid,)).fetchone() is not None
    ]


@LICENSE.classmethod(
    "PublicWebAppUser",
    "Declare the current CSP session a user of a public web application.",
    "For a Web Add-on license: call it from OnStartSession of the application's "
    "%CSP.SessionEvents class (the application allowing Unauthenticated access); here, with "
    "the Training.CSPSession in %session. Returns 1 on success, 0 when the active key is "
    "neither a Real Time key nor has the Web Add-on feature. Outside a CSP session (no "
    "%session) it is <FUNCTION>.",
    "()",
)
def public_web_app_user(ctx: Runtime) -> int:
    session_id = _current_session(ctx)
    if not session_id:
        raise ObjectScriptError("FUNCTION")
    inst = instance_of(ctx)
    key = inst.active_key()
    if key is None or (
        key.license_type not in _WEB_TYPES and not set(key.features) & set(_WEB_FEATURES)
    ):
        return 0
    with inst.store.transaction():
        declared = _declared(inst)
        if session_id not in declared:
            declared.append(session_id)
        inst.store.put(_PUBLIC, ",".join(declared))
        if len(declared) > int(inst.store.get(_PEAK, 0) or 0):
            inst.store.put(_PEAK, len(declared))
    return 1


@LICENSE.classmethod(
    "PublicWebAppUserCount",
    "Return how many public web application sessions are active now.",
    "CSP sessions declared with PublicWebAppUser() that have not ended.",
    "()",
)
def public_web_app_user_count(ctx: Runtime) -> int:
    return len(_declared(instance_of(ctx)))


@LICENSE.classmethod(
    "PublicWebAppUsersMax",
    "Return the most public web application sessions active at once.",
    "Counted since the instance started.",
    "()",
)
def public_web_app_users_max(ctx: Runtime) -> int:
    return int(instance_of(ctx).store.get(_PEAK, 0) or 0)
