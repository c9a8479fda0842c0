"""Our own exceptions: each knows its HTTP status and a stable code, so one handler answers them all."""

from __future__ import annotations


class AutoconfigError(Exception):
    """A problem we can explain to the caller; never carries a secret in its message."""

    status = 400
    code = "error"
    retry_after: int | None = None  # seconds, for "cannot tell now" answers (503)

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(AutoconfigError):
    code = "invalid_input"


class InvalidAddress(InvalidInput):
    code = "invalid_address"


class InvalidDomain(InvalidInput):
    code = "invalid_domain"


class UnknownDomain(AutoconfigError):
    status = 404
    code = "unknown_domain"


class ConfigError(Exception):
    """The configuration file is unusable; `messages` name each key path and what is wrong."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages
