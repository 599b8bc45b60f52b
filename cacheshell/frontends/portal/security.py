"""What keeps the portal a local administrator's tool: session cookies, CSRF, a body limit and
headers that forbid framing and foreign scripts.

Cookies are per port (browsers share cookies across the ports of one host, and every instance
has its own portal), HttpOnly and SameSite=Strict. Every form carries a CSRF token: the
session's own once logged in, and before that (the login form) one bound to a cookie of its own.
A request whose Origin names another site is refused whatever it carries.

The portal answers only requests addressed to it by one of its own names (the Host header): a
page of another site whose name an attacker points at 127.0.0.1 (DNS rebinding) gets "Bad Host"
before anything runs, so it can neither log in nor read a page.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass
from html import escape

from starlette.datastructures import FormData, Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cacheshell.frontends.portal.urls import HOME, STATIC, is_local
from cacheshell.system.bounded import KEY_FILE_BYTES

MAX_BODY = 256 * 1024  # a key file is at most 64 KB; nothing else the portal takes is large
TOO_LARGE = (
    f"Request refused: larger than {MAX_BODY // 1024} KB. A license key file is at most "
    f"{KEY_FILE_BYTES // 1024} KB."
)
NO_LENGTH = "Request refused: say the body's length."
BAD_HOST = "Bad Host"
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
    """A constant-time comparison of two tokens; any text a browser sends is compared, none
    raises (compare_digest takes only ASCII str, so both are compared as bytes)."""
    if not expected or not isinstance(given, str):
        return False
    return hmac.compare_digest(
        expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass")
    )


def form_token(form: FormData) -> object:
    return form.get(CSRF_FIELD)


def digits(text: str) -> bool:
    """Whether a browser's text is a decimal number Python's int() reads as written: ASCII
    digits only (str.isdigit() also passes '²', which int() refuses)."""
    return re.fullmatch(r"[0-9]+", text) is not None


@dataclass(frozen=True)
class Hosts:
    """The names a browser may address this portal by (Host: name:port): those of the address
    it listens on; a wildcard address (0.0.0.0, ::) is reached by any of the host's addresses,
    so then any IP literal with the port is one too."""

    names: frozenset[str]
    any_ip_port: int | None = None

    @classmethod
    def of(cls, address: str, port: int, hostname: str) -> Hosts:
        """The names of a listener on (address, port) on the host called `hostname`."""
        wildcard = address in ("0.0.0.0", "::")
        if address == "127.0.0.1":
            hosts = ["127.0.0.1", "localhost"]
        elif wildcard:
            hosts = ["localhost", hostname]
        else:
            hosts = [f"[{address}]" if ":" in address else address]
        names = [f"{host}:{port}" for host in hosts]
        if port == 80:  # a browser leaves the default port out
            names += hosts
        return cls(frozenset(name.lower() for name in names), port if wildcard else None)

    def allows(self, host: str) -> bool:
        host = host.lower()
        if host in self.names:
            return True
        if self.any_ip_port is None:
            return False
        name, _, port = host.rpartition(":")
        if not digits(port) or int(port) != self.any_ip_port:
            return False
        if name.startswith("[") and name.endswith("]"):
            name = name[1:-1]
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    def allows_origin(self, origin: str) -> bool:
        scheme, _, host = origin.partition("://")
        return scheme == "http" and self.allows(host)


def foreign_origin(request: Request, hosts: Hosts) -> bool:
    """A browser says where a form came from; another origin than this portal's is refused."""
    origin = request.headers.get("origin")
    if origin is None:
        return False
    return not hosts.allows_origin(origin)


def refusal_page(message: str, status: int, back: str) -> HTMLResponse:
    """The Guard's own error page (it answers before the application, so without its
    templates): the message, the portal's stylesheet and a way back."""
    html = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>Error - Management Portal</title>\n"
        f'<link rel="stylesheet" href="{STATIC}/portal.css">\n</head>\n<body>\n<main>\n'
        "<h1>Error</h1>\n"
        f'<p class="error" id="message" role="alert">{escape(message)}</p>\n'
        f'<p><a id="back" href="{escape(back)}">Back</a></p>\n</main>\n</body>\n</html>\n'
    )
    return HTMLResponse(html, status_code=status)


class Guard:
    """ASGI middleware: a request must name this portal in its Host header, and a request with
    a body must say its length (browsers' form posts do), at most MAX_BODY, or it is refused
    before any parsing (HTTP framing then holds it to that length); every response gets the
    security headers."""

    def __init__(self, app: ASGIApp, hosts: Hosts) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        refusal = None
        if not self.hosts.allows(headers.get("host", "")):
            refusal = refusal_page(BAD_HOST, 400, HOME)
        elif length is None and headers.get("transfer-encoding"):
            refusal = refusal_page(NO_LENGTH, 411, _back(headers))
        elif length is not None and (not digits(length) or int(length) > MAX_BODY):
            refusal = refusal_page(TOO_LARGE, 413, _back(headers))
        if refusal is not None:
            await refusal(scope, receive, _with_headers(send))
            return
        await self.app(scope, receive, _with_headers(send))


def _back(headers: Headers) -> str:
    """The portal page the refused form was on (a browser names it in Referer), else Home."""
    referer = headers.get("referer", "")
    scheme, _, rest = referer.partition("://")
    path = "/" + rest.partition("/")[2] if scheme == "http" else ""
    return path if is_local(path) else HOME


def _with_headers(send: Send) -> Send:
    async def sender(message: Message) -> None:
        if message["type"] == "http.response.start":
            extra = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sender
