"""Portal logins as CSP sessions of the instance.

A browser that logs in gets a CSP session of the instance, as Training.World's StartCSP() makes
one: it holds one license unit under its CSP session ID, shows in Usage by User as a CSP user,
counts a page for every request it makes, ends at its timeout (the instance service expires it),
and when it ended after a single page keeps its unit for the grace period. Logging out ends it.

The browser holds only a random token that maps to the session here, never the CSP session ID,
which every reader of Usage by User sees. Every login, failure, lockout, logout and session the
instance ended is a line in the console log, once.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
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
    last: float = 0.0  # the instance clock at its last request
    pending_key: UploadedKey | None = None  # a key file selected on Activate License Key
    flash: str = ""  # what the next list view says once (a change just made), then forgets


@dataclass(frozen=True)
class Viewer:
    """Who a request comes from, as the pages need it."""

    session: PortalSession
    roles: tuple[str, ...]

    @property
    def can_manage(self) -> bool:
        return users.grants(self.roles, users.ADMIN_MANAGE)


@dataclass(frozen=True)
class Ended:
    """The cookie names a session the instance ended meanwhile (its CSP session timed out)."""

    why: str


class LoginRefused(Exception):
    """A login that did not give a session; the message is what the login page shows."""


class PortalSessions:
    def __init__(self, instance: Instance, timeout: float = DEFAULT_CSP_TIMEOUT) -> None:
        self.instance = instance
        self.world = World(instance)  # no owner: a portal session ends only as a browser's does
        self.timeout = timeout
        self._by_token: dict[str, PortalSession] = {}
        # Sessions the instance ended, remembered so that every later request of that browser
        # (a page, a refreshing part, the reload that follows) is told why, not only the first.
        self._ended: OrderedDict[str, Ended] = OrderedDict()

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
            secrets.token_urlsafe(32),
            csp.session_id,
            login.user.name,
            secrets.token_urlsafe(32),
            last=self.instance.clock.now(),
        )
        self._by_token[session.token] = session
        log.write(
            f"Management Portal login: user {session.username} from {client} "
            f"(CSP session {session.csp_id})",
            INFO,
        )
        return session

    def view(self, token: str) -> Viewer | Ended | None:
        """A request of the session the cookie names: one more page for its CSP session. Ended
        when the instance ended it (said in the console log the first time); None when there is
        no such session or its user is gone or disabled."""
        session = self._by_token.get(token)
        if session is None:
            return self._ended.get(token)
        user = users.find(self.mgr, session.username)
        if user is None or user.disabled:
            self.close(token, why="user no longer enabled")
            return None
        if not self.world.csp_page(session.csp_id):
            return self._gone(session)
        session.last = self.instance.clock.now()
        return Viewer(session, user.roles)

    def _gone(self, session: PortalSession) -> Ended:
        """The instance ended the session's CSP session: say so once, remember why."""
        self._by_token.pop(session.token, None)
        # The table keeps no reason for a session that went into its grace period; past its
        # timeout it timed out, before it something else ended it (a Training.World Reset()).
        timed_out = self.instance.clock.now() >= session.last + self.timeout
        ended = Ended("timed out" if timed_out else "ended by the instance")
        self.instance.log.write(
            f"Management Portal session of user {session.username} (CSP session "
            f"{session.csp_id}) ended: {ended.why}",
            INFO,
        )
        if len(self._ended) >= MAX_SESSIONS:
            self._ended.popitem(last=False)
        self._ended[session.token] = ended
        return ended

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
        """The web server stops: the sessions still open end with it; those the instance ended
        meanwhile are said to have ended so, not to have logged out."""
        for token, session in list(self._by_token.items()):
            if self.world.csp_session(session.csp_id) is None:
                self._gone(session)
            else:
                self.close(token, why="the web server stopped")
