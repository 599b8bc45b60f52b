"""What keeps the portal a local administrator's tool: session cookies, CSRF, a body limit and
headers that forbid framing and foreign scripts.

Cookies are per port (browsers share cookies across the ports of one host, and every instance
has its own portal), HttpOnly and SameSite=Strict. Every form carries a CSRF token: the
session's own once logged in, and before that (the login form) one bound to a cookie of its own.
A request whose Origin names another site is refused whatever it carries.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.datastructures import FormData, Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 256 * 1024  # a key file is at most 64 KB; nothing else the portal takes is large
CSRF_FIELD = "csrf"
FOREIGN_FORM = "The form was refused: it did not come from this page."
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
    "Cache-Control": "no-store",
}


def session_cookie(port: int) -> str:
    """Caché's CSP cookie name, with the port: CSPSESSIONID-SP-57772."""
    return f"CSPSESSIONID-SP-{port}"


def login_cookie(port: int) -> str:
    return f"CSPLOGIN-SP-{port}"


def set_cookie(response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, path="/", httponly=True, samesite="strict")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(expected: str, given: object) -> bool:
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(expected, given)


def form_token(form: FormData) -> object:
    return form.get(CSRF_FIELD)


def foreign_origin(request: Request) -> bool:
    """A browser says where a form came from; another origin than this portal's is refused."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin == "null"
    host = request.headers.get("host", "")
    return origin not in (f"http://{host}", f"https://{host}")


class Guard:
    """ASGI middleware: a request with a body must say its length (browsers' form posts do), at
    most MAX_BODY, or it is refused before any parsing (HTTP framing then holds it to that
    length); every response gets the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        refusal = None
        if length is None and headers.get("transfer-encoding"):
            refusal = PlainTextResponse("Request refused: say the body's length", 411)
        elif length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            refusal = PlainTextResponse(
                f"Request refused: larger than {MAX_BODY // 1024} KB", status_code=413
            )
        if refusal is not None:
            await refusal(scope, receive, _with_headers(send))
            return
        await self.app(scope, receive, _with_headers(send))


def _with_headers(send: Send) -> Send:
    async def sender(message: Message) -> None:
        if message["type"] == "http.response.start":
            extra = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sender
