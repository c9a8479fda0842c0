"""POP3 or IMAP: a pure judgement from a customer's answers and what a diagnosis measured.

The rules follow the hoster's FAQ. Each answer or fact that points one way adds a weighted
`Reason`; the heavier side wins and ties go to IMAP (the FAQ's choice when in doubt). The
answer is strong when nothing at all points the other way and the winner's case is weighty.
Needs that POP3 cannot meet (several devices, webmail, a shared account, folders on the
server) decide on their own, so no amount of quota pressure turns them into a POP3 recommendation;
the pressure becomes a caution instead. Only codes and parameters come out: the words live
in `messages.CATALOGUE` under the same codes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from .model import Protocol

Connectivity = Literal["good", "poor", "metered"]
CONNECTIVITY: tuple[str, ...] = ("good", "poor", "metered")

# Quota use at or above this share of the plan counts as "tight" (the FAQ's POP3 case).
QUOTA_TIGHT_PERCENT = 80
# A POP3 mailbox this big makes the first download long: worth a caution.
BIG_MAILBOX_BYTES = 1024**3

# Weights: a need or a fit that decides alone > a strong preference > a hint. An IMAP need
# (several devices, webmail, a shared account, folders on the server) is more than a weight:
# POP3 cannot meet it at all, so it decides whatever else points to POP3.
_HARD = 3
_STRONG = 2
_HINT = 1


class Confidence(StrEnum):
    STRONG = "strong"
    LEAN = "lean"


@dataclass(frozen=True)
class Answers:
    """What the customer told us; None means "not answered" (every question is optional)."""

    devices: int | None = None
    webmail: bool | None = None
    connectivity: Connectivity | None = None
    offline_access: bool | None = None
    shared_account: bool | None = None
    server_folders: bool | None = None
    quota_percent: float | None = None


@dataclass(frozen=True)
class Facts:
    """What a diagnosis measured for the account; None means "not measured"."""

    quota_percent: float | None = None
    quota_limit_bytes: int | None = None
    quota_used_bytes: int | None = None
    pop3_messages: int | None = None
    pop3_mailbox_bytes: int | None = None
    imap_custom_folders: int | None = None
    sent_on_server: bool | None = None
    uidl_supported: bool | None = None
    imap_messages: int | None = None  # messages in all folders (STATUS)


@dataclass(frozen=True)
class Reason:
    """One consideration, as a catalogue code with the parameters its words need."""

    code: str
    params: Mapping[str, str | int | float] = field(default_factory=dict)


@dataclass(frozen=True)
class Download:
    """How long a first full download of the mailbox takes with the recommended protocol."""

    protocol: Protocol
    size_bytes: int
    messages: int | None
    seconds: int
    connectivity: Connectivity  # as answered; "good" when not answered


@dataclass(frozen=True)
class Advice:
    protocol: Protocol
    confidence: Confidence
    reasons: tuple[Reason, ...]
    cautions: tuple[Reason, ...]
    download: Download | None = None


@dataclass(frozen=True)
class _Weighed:
    protocol: Protocol
    weight: int
    reason: Reason
    need: bool = False


NO_ANSWERS = Answers()
NO_FACTS = Facts()


def _quota_percent(answers: Answers, facts: Facts) -> tuple[float | None, bool]:
    """Measured use beats the customer's guess; the flag says which one it was."""
    if facts.quota_percent is not None:
        return facts.quota_percent, True
    return answers.quota_percent, False


def _weigh(answers: Answers, facts: Facts) -> list[_Weighed]:
    imap, pop3 = Protocol.IMAP, Protocol.POP3
    found: list[_Weighed] = []

    def add(protocol: Protocol, weight: int, code: str, **params: str | int | float) -> None:
        found.append(_Weighed(protocol, weight, Reason(code, params)))

    def need(code: str, **params: str | int | float) -> None:
        found.append(_Weighed(imap, _HARD, Reason(code, params), need=True))

    devices = answers.devices
    if devices is not None and devices >= 2:
        need("advice.imap.several_devices", devices=devices)
    if answers.webmail:
        need("advice.imap.webmail")
    if answers.shared_account:
        need("advice.imap.shared_account")
    if answers.server_folders:
        need("advice.imap.server_folders")
    elif facts.imap_custom_folders:
        add(imap, _STRONG, "advice.imap.folders_found", folders=facts.imap_custom_folders)
    if answers.connectivity == "poor":
        add(imap, _STRONG, "advice.imap.poor_link")
    elif answers.connectivity == "metered":
        add(imap, _STRONG, "advice.imap.metered_link")
    if facts.sent_on_server:
        add(imap, _HINT, "advice.imap.sent_on_server")
    if facts.uidl_supported is False:
        add(imap, _HINT, "advice.imap.no_uidl")

    if answers.offline_access:
        if devices == 1:
            add(pop3, _HARD, "advice.pop3.single_device_offline")
        elif devices is None:
            add(pop3, _HINT, "advice.pop3.offline")
    percent, measured = _quota_percent(answers, facts)
    if percent is not None and percent >= QUOTA_TIGHT_PERCENT:
        code = "advice.pop3.quota_tight_measured" if measured else "advice.pop3.quota_tight"
        add(pop3, _STRONG, code, percent=round(percent))
    return found


def _cautions(protocol: Protocol, answers: Answers, facts: Facts) -> tuple[Reason, ...]:
    cautions: list[Reason] = []
    percent, _ = _quota_percent(answers, facts)
    if protocol is Protocol.POP3:
        cautions.append(Reason("advice.caution.pop3_no_mixing"))
        cautions.append(Reason("advice.caution.pop3_keep_copy"))
        cautions.append(Reason("advice.caution.pop3_sent_local"))
        # What the checks found on the server that a POP3 client will not show.
        if facts.imap_custom_folders:
            cautions.append(Reason("advice.caution.pop3_folders_hidden", {"folders": facts.imap_custom_folders}))
        if facts.sent_on_server:
            cautions.append(Reason("advice.caution.pop3_sent_on_server"))
        if facts.uidl_supported is False:
            cautions.append(Reason("advice.caution.pop3_no_uidl"))
        if facts.pop3_mailbox_bytes is not None and facts.pop3_mailbox_bytes >= BIG_MAILBOX_BYTES:
            megabytes = round(facts.pop3_mailbox_bytes / 1024**2)
            cautions.append(
                Reason(
                    "advice.caution.pop3_big_mailbox",
                    {"megabytes": megabytes, "messages": facts.pop3_messages or 0},
                )
            )
        if answers.connectivity in ("poor", "metered"):
            cautions.append(Reason("advice.caution.pop3_slow_link"))
    else:
        if (answers.devices or 0) >= 2 or answers.webmail or answers.shared_account:
            cautions.append(Reason("advice.caution.imap_no_pop3_mixing"))
        if percent is not None and percent >= QUOTA_TIGHT_PERCENT:
            cautions.append(Reason("advice.caution.imap_quota_high", {"percent": round(percent)}))
        else:
            cautions.append(Reason("advice.caution.imap_quota_fills"))
        if answers.offline_access:
            cautions.append(Reason("advice.caution.imap_offline_copy"))
    cautions.append(Reason("advice.caution.encryption"))
    return tuple(cautions)


# A first IMAP sync fetches the headers of every message (Thunderbird's default, and what
# phones do); POP3 fetches every message whole.
IMAP_HEADER_BYTES = 4 * 1024
# Sustained download speeds (bytes per second) for the connectivity answers: a fair home line,
# a slow or unstable one, a mobile data plan.
LINK_BYTES_PER_S: Mapping[str, float] = {"good": 20e6 / 8, "poor": 1e6 / 8, "metered": 4e6 / 8}


def first_download(protocol: Protocol, answers: Answers, facts: Facts) -> Download | None:
    """Pure: the first full download at the customer's connectivity; None when nothing was measured."""
    if protocol is Protocol.POP3:
        size = facts.pop3_mailbox_bytes if facts.pop3_mailbox_bytes is not None else facts.quota_used_bytes
        messages = facts.pop3_messages if facts.pop3_messages is not None else facts.imap_messages
    else:
        messages = facts.imap_messages if facts.imap_messages is not None else facts.pop3_messages
        size = messages * IMAP_HEADER_BYTES if messages is not None else None
    if size is None:
        return None
    link: Connectivity = answers.connectivity or "good"
    return Download(protocol, size, messages, math.ceil(size / LINK_BYTES_PER_S[link]), link)


def recommend(answers: Answers | None = None, facts: Facts | None = None) -> Advice:
    """POP3 or IMAP for these answers and (when a diagnosis ran) these measured facts."""
    answers = answers or NO_ANSWERS
    facts = facts or NO_FACTS
    weighed = _weigh(answers, facts)
    score = {p: sum(w.weight for w in weighed if w.protocol is p) for p in (Protocol.IMAP, Protocol.POP3)}
    imap_needed = any(w.need for w in weighed)
    protocol = Protocol.POP3 if score[Protocol.POP3] > score[Protocol.IMAP] and not imap_needed else Protocol.IMAP
    other = Protocol.IMAP if protocol is Protocol.POP3 else Protocol.POP3
    ordered = sorted((w for w in weighed if w.protocol is protocol), key=lambda w: -w.weight)
    reasons = tuple(w.reason for w in ordered)
    if not reasons:
        reasons = (Reason("advice.imap.default"),)
    strong = score[other] == 0 and score[protocol] >= _HARD
    return Advice(
        protocol=protocol,
        confidence=Confidence.STRONG if strong else Confidence.LEAN,
        reasons=reasons,
        cautions=_cautions(protocol, answers, facts),
        download=first_download(protocol, answers, facts),
    )
