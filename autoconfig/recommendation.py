"""The POP3-or-IMAP advice in words: a pure function from `advice.Advice` to a frozen
`Recommendation` in one language, which the report, the advice API and the CLI show.

`advice.py` decides with codes only; this module adds the catalogue's words and the FAQ
link, so that a schema only has to dump the result.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .advice import Advice, Confidence, Download, Reason
from .messages import words
from .model import Protocol, Settings


@dataclass(frozen=True)
class ExplainedReason:
    """One reason or caution with its words, citing the FAQ."""

    code: str
    text: str
    faq_url: str | None


@dataclass(frozen=True)
class Recommendation:
    """The advice in one language; a diagnosis report's `recommendation`."""

    protocol: Protocol
    confidence: Confidence
    reasons: tuple[ExplainedReason, ...]
    cautions: tuple[ExplainedReason, ...]
    faq_url: str | None
    first_download: ExplainedReason | None = None  # how long the first full download takes


@dataclass(frozen=True)
class AdviceAnswer(Recommendation):
    """The answer of POST /api/v1/advice: the recommendation, with the address's settings
    when the request named one."""

    settings: Settings | None = None

    @classmethod
    def of(cls, recommendation: Recommendation, settings: Settings | None) -> AdviceAnswer:
        kept = {f.name: getattr(recommendation, f.name) for f in fields(Recommendation)}
        return cls(**kept, settings=settings)


def _explain_one(reason: Reason, lang: str, faq_url: str | None) -> ExplainedReason:
    return ExplainedReason(reason.code, words(reason.code, lang, reason.params).message, faq_url)


def explain(advice: Advice, lang: str, faq_url: str | None) -> Recommendation:
    """Pure: the advice with every reason and caution in `lang`, each citing the FAQ."""
    return Recommendation(
        protocol=advice.protocol,
        confidence=advice.confidence,
        reasons=tuple(_explain_one(r, lang, faq_url) for r in advice.reasons),
        cautions=tuple(_explain_one(c, lang, faq_url) for c in advice.cautions),
        faq_url=faq_url,
        first_download=_download(advice.download, lang, faq_url) if advice.download else None,
    )


_LINK_CODES = {"good": "advice.download.good", "poor": "advice.download.poor", "metered": "advice.download.metered"}
_WHAT_CODES = {Protocol.IMAP: "advice.download.imap", Protocol.POP3: "advice.download.pop3"}


def _duration(seconds: int, lang: str) -> str:
    """About how long, in words: under a minute, N minutes (up to two hours), else N hours."""
    if seconds < 60:
        return words("advice.duration.under_minute", lang).message
    minutes = max(2, round(seconds / 60))
    if minutes < 120:
        return words("advice.duration.minutes", lang, {"n": minutes}).message
    return words("advice.duration.hours", lang, {"n": round(minutes / 60)}).message


def _download(download: Download, lang: str, faq_url: str | None) -> ExplainedReason:
    what = words(_WHAT_CODES[download.protocol], lang, {
        "messages": download.messages if download.messages is not None else "?",
        "megabytes": max(1, round(download.size_bytes / 1024**2)),
    }).message
    code = _LINK_CODES[download.connectivity]
    text = words(code, lang, {"what": what, "duration": _duration(download.seconds, lang)}).message
    return ExplainedReason(code, text, faq_url)
