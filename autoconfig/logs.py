"""Logs as JSON lines with the request id, and secrets scrubbed on the way out.

Nothing here runs at import or configures logging by itself: gunicorn applies
`logging_config()` (deploy/gunicorn.conf.py), the CLI may call `configure()`. The app only
sets the request id (`request_id_var`) and writes records; whoever owns the process owns
the handlers. Redaction is defence in depth: no code of ours logs a password on purpose,
but a library's debug line, an exception message or a repr might.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import time
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

import orjson

# The request being served in this thread or task; None outside a request.
request_id_var: ContextVar[str | None] = ContextVar("autoconfig_request_id", default=None)

REDACTED = "[REDACTED]"
# Set on a record whose fields were scrubbed where it was made (the access log), or by the filter.
REDACTED_MARK = "_redacted"
SECRET_KEYS = frozenset(
    {"password", "passwd", "pass", "pwd", "secret", "authorization", "proxy-authorization",
     "cookie", "set-cookie", "token", "access_token", "api_key", "apikey"}
)

_KEY_ALT = r"password|passwd|pwd|secret|access_token|api_?key|token"
# "password": "…", 'password': '…', password=…, password: …, PASS … (POP3), AUTH PLAIN …
_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # JSON / Python-repr style pairs, values quoted: keep the key, drop the value.
    (re.compile(rf"""(?i)(["']?(?:{_KEY_ALT})["']?\s*[:=]\s*)(["'])(?:\\.|(?!\2).)*\2"""), rf"\1\2{REDACTED}\2"),
    # Unquoted key=value or key: value (query strings, form bodies, free text).
    (re.compile(rf"(?i)\b((?:{_KEY_ALT})\s*[:=]\s*)(?![\"'\s])[^\s&,;}}\]]+"), rf"\1{REDACTED}"),
    # HTTP Authorization / Proxy-Authorization headers, any scheme.
    (re.compile(r"(?i)\b((?:proxy-)?authorization\s*[:=]\s*[\"']?)[^\"'\r\n]+"), rf"\1{REDACTED}"),
    # Bearer / Basic credentials floating free (e.g. in an exception message).
    (re.compile(r"(?i)\b(basic|bearer|digest|negotiate|ntlm)\s+[A-Za-z0-9+/=._~-]{8,}"), rf"\1 {REDACTED}"),
    # Mail protocol logins: IMAP `LOGIN user pass`, POP3 `PASS x`, SASL `AUTH PLAIN <b64>`.
    # Upper case only, as the protocols write them, so prose like "login refused" survives.
    (re.compile(r"\b(LOGIN\s+\S+\s+)\S+"), rf"\1{REDACTED}"),
    (re.compile(r"(?m)^(\s*(?:[A-Za-z0-9]+\s+)?PASS\s+).+$"), rf"\1{REDACTED}"),
    (re.compile(r"\b(AUTH(?:ENTICATE)?\s+(?:PLAIN|LOGIN)\s+)\S+"), rf"\1{REDACTED}"),
)


# Every pattern above needs one of these words; text without any of them (most log text:
# paths, endpoints, user agents) is returned as it is, without running seven substitutions.
_SECRET_WORDS = (
    "pass", "pwd", "secret", "token", "apikey", "api_key", "auth", "basic", "bearer", "digest",
    "negotiate", "ntlm", "login",
)


_ANY_SECRET_WORD = re.compile("|".join(map(re.escape, _SECRET_WORDS)))


_ADDRESS_SEGMENT = re.compile(r"[^/]*@[^/]*")
ADDRESS_REDACTED = "[address]"


def redact_path(path: str) -> str:
    """A request path for a log line: a segment holding an address (Outlook's v2 form,
    `/autodiscover/autodiscover.json/v1.0/<address>`) is replaced, as query strings are
    left out; then `redact`."""
    return redact(_ADDRESS_SEGMENT.sub(ADDRESS_REDACTED, path) if "@" in path else path)


def redact(text: str) -> str:
    """`text` with anything that looks like a password or a credential replaced."""
    if _ANY_SECRET_WORD.search(text.lower()) is None:
        return text
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any, depth: int = 0) -> Any:
    """A copy of a mapping/sequence with secret keys' values replaced (recursively)."""
    if depth > 6:
        return value
    if isinstance(value, Mapping):
        return {
            k: REDACTED if str(k).lower() in SECRET_KEYS else redact_value(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value(v, depth + 1) for v in value)
    if isinstance(value, str):
        return redact(value)
    return value


class RedactingFilter(logging.Filter):
    """Scrubs the message, its arguments and extra fields before any handler formats them.

    Attach it to handlers (a logger's filters do not see records propagated from children).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, REDACTED_MARK, False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        for key, value in list(vars(record).items()):
            if key in _EXTRA_SKIP or key.startswith("_"):
                continue
            if key.lower() in SECRET_KEYS:
                setattr(record, key, REDACTED)
            elif isinstance(value, (str, Mapping, list, tuple)):
                setattr(record, key, redact_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        setattr(record, REDACTED_MARK, True)
        return True


# LogRecord attributes that are not "extra" fields.
_EXTRA_SKIP = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


# For what orjson refuses (integers beyond 64 bits, lone surrogates): built once, since
# json.dumps with options builds a new encoder for every line.
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, separators=(",", ":"))


# Terminal escape sequences (colours, cursor moves): werkzeug colours its banner whenever the
# root logger has a handler, and a log line is read by machines, not terminals.
_ANSI_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])?")


def plain(text: str) -> str:
    """`text` without terminal escape sequences."""
    return _ANSI_ESCAPE.sub("", text) if "\x1b" in text else text


def _json_line(entry: dict[str, Any]) -> str:
    try:
        return orjson.dumps(entry, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return _ENCODER.encode(entry)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, extra fields.

    Output is redacted again as a last line of defence, so even a handler without the
    filter never writes a password.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The last second written and its text: one line in a thousand needs strftime.
        self._second: tuple[int, str] = (-1, "")

    def utc_time(self, created: float) -> str:
        """`created` as ISO 8601 in UTC with milliseconds, like 2026-11-28T12:00:00.123+00:00."""
        second = int(created)
        cached = self._second
        if cached[0] != second:
            cached = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
            self._second = cached
        return f"{cached[1]}.{int((created - second) * 1000):03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        entry: dict[str, Any] = {
            "time": self.utc_time(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": plain(message),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        attrs = record.__dict__
        entry.update(
            [(key, attrs[key]) for key in attrs if key not in _EXTRA_SKIP and key[0] != "_" and key not in entry]
        )
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = plain(record.exc_text)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        if not getattr(record, REDACTED_MARK, False):  # a handler without the filter
            entry = redact_value(entry)
        return _json_line(entry)


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` dict: JSON lines on stderr, redacted, for every logger.

    gunicorn's own loggers go through the same handler; its access log is replaced by
    ours (`autoconfig.access`), which knows the request id and the endpoint.
    """
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "filters": ["redact"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactingFilter}},
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": handler},
        "root": {"level": level, "handlers": ["json"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["json"], "propagate": False},
            "gunicorn.access": {"level": "WARNING", "handlers": ["json"], "propagate": False},
            # The limiter logs every refusal at INFO with the client key; we count them in
            # /metrics and log our own line instead.
            "flask-limiter": {"level": "WARNING"},
        },
    }


def configure(level: str = "INFO") -> None:
    """Apply `logging_config` to this process (gunicorn does it from its config file)."""
    logging.config.dictConfig(logging_config(level))
