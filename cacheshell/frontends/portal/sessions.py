"""Portal logins as CSP sessions of the instance.

A browser that logs in gets a CSP session of the instance, as Training.World's StartCSP() makes
one: it holds one license unit under its CSP session ID, shows in Usage by User as a CSP user,
counts a page for every request it makes, ends at its timeout (the instance service expires it),
and when it ended after a single page keeps its unit for the grace period. Logging out ends it.

The browser holds only a random token that maps to the session here, never the CSP session ID,
which every reader of Usage by User sees. Every login, failure, lockout and logout is a line in
the console log.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from cacheshell.frontends.portal.key_selection import UploadedKey
from cacheshell.system import users
from cacheshell.system.console import INFO, WARNING
from cacheshell.system.instance import Instance
from cacheshell.system.users import Login, Outcome
from cacheshell.system.world import DEFAULT_CSP_TIMEOUT, Refused, World

MAX_SESSIONS = 4096  # more than any key's units: each session holds one


@dataclass
class PortalSession:
    token: str  # the cookie's value
    csp_id: str  # the CSP session ID its license unit is held under
    username: str
    csrf: str  # the token every form of this session carries
    pending_key: UploadedKey | None = None  # a key file selected on Activate License Key


@dataclass(frozen=True)
class Viewer:
    """Who a request comes from, as the pages need it."""

    session: PortalSession
    roles: tuple[str, ...]

    @property
    def can_manage(self) -> bool:
        return users.grants(self.roles, users.ADMIN_MANAGE)


class LoginRefused(Exception):
    """A login that did not give a session; the message is what the login page shows."""


class PortalSessions:
    def __init__(self, instance: Instance, timeout: float = DEFAULT_CSP_TIMEOUT) -> None:
        self.instance = instance
        self.world = World(instance)  # no owner: a portal session ends only as a browser's does
        self.timeout = timeout
        self._by_token: dict[str, PortalSession] = {}

    @property
    def mgr(self) -> Path:
        return self.instance.layout.mgr

    def check_password(self, username: str, password: str) -> Login:
        """The slow part of a login (one scrypt hash), safe to run off the event loop."""
        return users.authenticate(self.mgr, username, password)

    def open(self, login: Login, username: str, client: str) -> PortalSession:
        """Make the session a good password opened, or say why there is none."""
        log = self.instance.log
        if login.outcome is not Outcome.OK or login.user is None:
            log.write(
                f"Management Portal login failure: user {username!r} from {client}"
                f" ({'user disabled' if login.outcome is Outcome.DISABLED else 'invalid login'})",
                WARNING,
            )
            if login.just_disabled:
                log.write(
                    f"User {login.user.name if login.user else username} disabled: "
                    f"{users.INVALID_LOGIN_LIMIT} invalid login attempts in a row",
                    WARNING,
                )
            # The same answer for every refusal, so that the page tells no one which user
            # names exist; the console log says why.
            raise LoginRefused("Access Denied")
        try:
            csp = self.world.csp_start(self.timeout)
        except Refused as exc:
            log.write(
                f"Management Portal login refused: user {login.user.name} from {client}: "
                f"{exc.decision.reason}",
                WARNING,
            )
            raise LoginRefused("<LICENSE LIMIT EXCEEDED>: no license unit is free") from None
        if len(self._by_token) >= MAX_SESSIONS:
            self.close(next(iter(self._by_token)), why="too many portal sessions")
        session = PortalSession(
            secrets.token_urlsafe(32), csp.session_id, login.user.name, secrets.token_urlsafe(32)
        )
        self._by_token[session.token] = session
        log.write(
            f"Management Portal login: user {session.username} from {client} "
            f"(CSP session {session.csp_id})",
            INFO,
        )
        return session

    def view(self, token: str) -> Viewer | None:
        """A request of the session the cookie names: one more page for its CSP session. None
        when there is no such session, it timed out, or its user is gone or disabled."""
        session = self._by_token.get(token)
        if session is None:
            return None
        user = users.find(self.mgr, session.username)
        if user is None or user.disabled:
            self.close(token, why="user no longer enabled")
            return None
        if not self.world.csp_page(session.csp_id):
            self._by_token.pop(token, None)  # the instance ended it (timeout, restart)
            return None
        return Viewer(session, user.roles)

    def peek(self, token: str) -> PortalSession | None:
        """The session the cookie names, without counting a page (a logout is not one)."""
        return self._by_token.get(token)

    def close(self, token: str, why: str = "logged out") -> bool:
        """End a session: its CSP session ends (after one page its unit stays for the grace
        period)."""
        session = self._by_token.pop(token, None)
        if session is None:
            return False
        self.world.csp_end(session.csp_id)
        self.instance.log.write(
            f"Management Portal logout: user {session.username} (CSP session "
            f"{session.csp_id}): {why}",
            INFO,
        )
        return True

    def close_all(self) -> None:
        for token in list(self._by_token):
            self.close(token, why="the web server stopped")
