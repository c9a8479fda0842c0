"""SMTP submission: AUTH offered after STARTTLS (or on implicit TLS), and the login.

The probe stops right after AUTH: no MAIL FROM, nothing is ever sent. Replies are
classified by their SMTP and enhanced status codes (RFC 4954, RFC 3463).
"""

from __future__ import annotations

import re

from .base import CheckResult, Kind
from .login import Outcomes, attempt_login
from .session import Need, Session, Stage

_ENHANCED = re.compile(r"^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})")


def classify_smtp(reply: str, code: int | None) -> str:
    """RFC 4954 §6 and RFC 3463 codes → our codes (the wording is never read)."""
    enhanced = _ENHANCED.match(reply)
    status = enhanced.group(1) if enhanced else ""
    if code == 535:
        return "smtp.auth_failed"  # 5.7.8: wrong user name or password
    if code in (530, 534, 538) or status in ("5.7.9", "5.7.11"):
        return "auth.plaintext_refused"  # TLS or a stronger mechanism is required first
    if code == 432 or status in ("4.7.12", "5.7.1", "5.7.13", "5.7.17"):
        return "auth.disabled"  # password change needed, account disabled or expired
    if code == 421:
        return "auth.too_many_connections"  # Dovecot, Postfix: connection limits close with 421
    if code is not None and 400 <= code < 500:
        return "auth.unavailable"  # 454 4.7.0 and friends: try again later
    return "smtp.auth_failed"


SMTP_OUTCOMES = Outcomes("smtp.auth_ok", "smtp.auth_not_offered", classify_smtp)


def run(session: Session) -> tuple[CheckResult, ...]:
    return attempt_login(session, STAGE, SMTP_OUTCOMES)


STAGE = Stage(name="auth", kind=Kind.AUTH, needs=Need.GREETING, run=run)
