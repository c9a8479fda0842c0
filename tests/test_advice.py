"""The POP3-or-IMAP rules, one row per rule and per conflict between answers."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from autoconfig.advice import (
    BIG_MAILBOX_BYTES,
    QUOTA_TIGHT_PERCENT,
    Advice,
    Answers,
    Confidence,
    Facts,
    Reason,
    recommend,
)
from autoconfig.messages import CATALOGUE, LANGUAGES, words
from autoconfig.model import Protocol

IMAP, POP3 = Protocol.IMAP, Protocol.POP3
STRONG, LEAN = Confidence.STRONG, Confidence.LEAN


@dataclass(frozen=True)
class Row:
    why: str
    answers: Answers
    protocol: Protocol
    confidence: Confidence
    reasons: tuple[str, ...]  # codes, in order
    facts: Facts | None = None
    cautions_include: tuple[str, ...] = ()
    cautions_exclude: tuple[str, ...] = field(default=())


def codes(reasons: tuple[Reason, ...]) -> tuple[str, ...]:
    return tuple(r.code for r in reasons)


RULES = [
    # Nothing known: the FAQ's "IMAP when in doubt".
    Row("no answers at all", Answers(), IMAP, LEAN, ("advice.imap.default",)),
    Row("one device, nothing else", Answers(devices=1), IMAP, LEAN, ("advice.imap.default",)),
    Row(
        "answers that favour nothing",
        Answers(
            devices=1,
            webmail=False,
            connectivity="good",
            offline_access=False,
            shared_account=False,
            server_folders=False,
            quota_percent=20,
        ),
        IMAP,
        LEAN,
        ("advice.imap.default",),
    ),
    # IMAP rules.
    Row("several devices", Answers(devices=3), IMAP, STRONG, ("advice.imap.several_devices",)),
    Row("webmail", Answers(webmail=True), IMAP, STRONG, ("advice.imap.webmail",)),
    Row("shared or company use", Answers(shared_account=True), IMAP, STRONG, ("advice.imap.shared_account",)),
    Row("folders seen everywhere", Answers(server_folders=True), IMAP, STRONG, ("advice.imap.server_folders",)),
    Row("poor link: headers first", Answers(connectivity="poor"), IMAP, LEAN, ("advice.imap.poor_link",)),
    Row("metered link: headers first", Answers(connectivity="metered"), IMAP, LEAN, ("advice.imap.metered_link",)),
    Row(
        "several IMAP needs together",
        Answers(devices=2, webmail=True, connectivity="metered"),
        IMAP,
        STRONG,
        ("advice.imap.several_devices", "advice.imap.webmail", "advice.imap.metered_link"),
    ),
    # POP3 rules.
    Row(
        "one device that must read offline",
        Answers(devices=1, offline_access=True),
        POP3,
        STRONG,
        ("advice.pop3.single_device_offline",),
    ),
    Row("offline, devices unknown", Answers(offline_access=True), POP3, LEAN, ("advice.pop3.offline",)),
    Row(
        "quota tight (customer's figure)",
        Answers(quota_percent=QUOTA_TIGHT_PERCENT),
        POP3,
        LEAN,
        ("advice.pop3.quota_tight",),
    ),
    Row(
        "quota below tight is no reason",
        Answers(quota_percent=QUOTA_TIGHT_PERCENT - 1),
        IMAP,
        LEAN,
        ("advice.imap.default",),
    ),
    Row(
        "one offline device with a tight quota",
        Answers(devices=1, offline_access=True, quota_percent=95),
        POP3,
        STRONG,
        ("advice.pop3.single_device_offline", "advice.pop3.quota_tight"),
    ),
    # Conflicts: a need POP3 cannot meet outweighs every reason for POP3.
    Row(
        "several devices but the quota is tight",
        Answers(devices=3, quota_percent=97),
        IMAP,
        LEAN,
        ("advice.imap.several_devices",),
        cautions_include=("advice.caution.imap_quota_high",),
    ),
    Row(
        "webmail but one offline device",
        Answers(devices=1, offline_access=True, webmail=True),
        IMAP,
        LEAN,
        ("advice.imap.webmail",),
        cautions_include=("advice.caution.imap_offline_copy",),
    ),
    Row(
        "shared mailbox, offline and full",
        Answers(shared_account=True, offline_access=True, quota_percent=90),
        IMAP,
        LEAN,
        ("advice.imap.shared_account",),
        cautions_include=("advice.caution.imap_quota_high", "advice.caution.imap_offline_copy"),
    ),
    Row(
        "several devices that want offline reading",
        Answers(devices=4, offline_access=True),
        IMAP,
        STRONG,
        ("advice.imap.several_devices",),
        cautions_include=("advice.caution.imap_offline_copy",),
    ),
    Row(
        "one offline device on a poor link",
        Answers(devices=1, offline_access=True, connectivity="poor"),
        POP3,
        LEAN,
        ("advice.pop3.single_device_offline",),
        cautions_include=("advice.caution.pop3_slow_link",),
    ),
    Row(
        "tight quota on a metered link: a tie goes to IMAP",
        Answers(quota_percent=85, connectivity="metered"),
        IMAP,
        LEAN,
        ("advice.imap.metered_link",),
        cautions_include=("advice.caution.imap_quota_high",),
    ),
    Row(
        "one device, offline, but folders everywhere",
        Answers(devices=1, offline_access=True, server_folders=True),
        IMAP,
        LEAN,
        ("advice.imap.server_folders",),
    ),
    # Measured facts.
    Row(
        "measured quota beats the customer's guess",
        Answers(quota_percent=10),
        POP3,
        LEAN,
        ("advice.pop3.quota_tight_measured",),
        facts=Facts(quota_percent=92.4),
    ),
    Row(
        "a roomy measured quota overrules a worried guess",
        Answers(quota_percent=95),
        IMAP,
        LEAN,
        ("advice.imap.default",),
        facts=Facts(quota_percent=30),
    ),
    Row(
        "folders already on the server",
        Answers(),
        IMAP,
        LEAN,
        ("advice.imap.folders_found",),
        facts=Facts(imap_custom_folders=4),
    ),
    Row(
        "folders on the server outweigh a tight quota... only to a tie",
        Answers(),
        IMAP,
        LEAN,
        ("advice.imap.folders_found",),
        facts=Facts(imap_custom_folders=2, quota_percent=90),
    ),
    Row(
        "sent mail kept on the server",
        Answers(),
        IMAP,
        LEAN,
        ("advice.imap.sent_on_server",),
        facts=Facts(sent_on_server=True),
    ),
    Row(
        "no UIDL makes leaving copies unreliable",
        Answers(),
        IMAP,
        LEAN,
        ("advice.imap.no_uidl",),
        facts=Facts(uidl_supported=False),
    ),
    Row(
        "POP3 with a big mailbox and no UIDL",
        Answers(devices=1, offline_access=True),
        POP3,
        LEAN,
        ("advice.pop3.single_device_offline",),
        facts=Facts(pop3_messages=12000, pop3_mailbox_bytes=BIG_MAILBOX_BYTES * 2, uidl_supported=False),
        cautions_include=("advice.caution.pop3_big_mailbox", "advice.caution.pop3_no_uidl"),
    ),
    Row(
        "one offline device, full, though folders and sent mail are on the server",
        Answers(devices=1, offline_access=True, quota_percent=90),
        POP3,
        LEAN,
        ("advice.pop3.single_device_offline", "advice.pop3.quota_tight"),
        facts=Facts(imap_custom_folders=3, sent_on_server=True),
        cautions_include=("advice.caution.pop3_folders_hidden", "advice.caution.pop3_sent_on_server"),
    ),
    Row(
        "a small POP3 mailbox needs no caution",
        Answers(devices=1, offline_access=True),
        POP3,
        STRONG,
        ("advice.pop3.single_device_offline",),
        facts=Facts(pop3_messages=3, pop3_mailbox_bytes=4096),
        cautions_exclude=("advice.caution.pop3_big_mailbox",),
    ),
    Row(
        "empty facts change nothing", Answers(devices=2), IMAP, STRONG, ("advice.imap.several_devices",), facts=Facts()
    ),
]


@pytest.mark.parametrize("row", RULES, ids=[r.why for r in RULES])
def test_rule(row: Row) -> None:
    # When
    advice = recommend(row.answers, row.facts)
    # Then
    assert (advice.protocol, advice.confidence) == (row.protocol, row.confidence)
    assert codes(advice.reasons) == row.reasons
    cautions = codes(advice.cautions)
    for code in row.cautions_include:
        assert code in cautions
    for code in row.cautions_exclude:
        assert code not in cautions


POP3_ALWAYS = ("advice.caution.pop3_no_mixing", "advice.caution.pop3_keep_copy", "advice.caution.pop3_sent_local")


@pytest.mark.parametrize("row", RULES, ids=[r.why for r in RULES])
def test_cautions_that_always_come_with_a_protocol(row: Row) -> None:
    cautions = codes(recommend(row.answers, row.facts).cautions)
    # Both protocols encrypt: always said, and said last.
    assert cautions[-1] == "advice.caution.encryption"
    if row.protocol is POP3:
        # Never mix a deleting POP3 device with IMAP or webmail; keep a copy; sent mail stays local.
        assert set(POP3_ALWAYS) <= set(cautions)
        assert not any(c.startswith("advice.caution.imap_") for c in cautions)
    else:
        # With IMAP the quota fills: archive or upgrade (said more urgently when already high).
        assert ("advice.caution.imap_quota_fills" in cautions) != ("advice.caution.imap_quota_high" in cautions)
        assert not any(c.startswith("advice.caution.pop3_") for c in cautions)


@pytest.mark.parametrize(
    "answers",
    [Answers(devices=2), Answers(webmail=True), Answers(shared_account=True)],
    ids=["devices", "webmail", "shared"],
)
def test_imap_for_several_readers_warns_against_a_leftover_pop3_device(answers: Answers) -> None:
    assert "advice.caution.imap_no_pop3_mixing" in codes(recommend(answers).cautions)


def test_one_imap_device_gets_no_mixing_caution() -> None:
    assert "advice.caution.imap_no_pop3_mixing" not in codes(recommend(Answers(devices=1)).cautions)


def test_no_amount_of_pop3_reasons_beats_a_need_pop3_cannot_meet() -> None:
    # Given every reason for POP3 at once, measured and answered
    pop3_case = Answers(devices=1, offline_access=True, quota_percent=99)
    facts = Facts(quota_percent=99)
    # Then each need only IMAP meets still wins
    for need in (Answers(webmail=True), Answers(shared_account=True), Answers(server_folders=True)):
        merged = Answers(**{**pop3_case.__dict__, **{k: v for k, v in need.__dict__.items() if v is not None}})
        assert recommend(merged, facts).protocol is IMAP, need


def test_parameters_reach_the_words() -> None:
    advice = recommend(Answers(devices=3, quota_percent=88.6))
    several = advice.reasons[0]
    assert several.params == {"devices": 3}
    assert "3" in words(several.code, "it", several.params).message
    high = next(c for c in advice.cautions if c.code == "advice.caution.imap_quota_high")
    assert high.params == {"percent": 89}
    assert "89%" in words(high.code, "en", high.params).message


def test_recommend_is_pure_and_repeatable() -> None:
    answers, facts = Answers(devices=1, offline_access=True), Facts(quota_percent=91)
    first = recommend(answers, facts)
    assert recommend(answers, facts) == first
    assert isinstance(first, Advice)
    with pytest.raises(AttributeError):
        first.protocol = IMAP  # type: ignore[misc]


def every_code() -> set[str]:
    """Every code recommend() can emit, found by running the rule table."""
    found: set[str] = set()
    for row in RULES:
        advice = recommend(row.answers, row.facts)
        found.update(codes(advice.reasons))
        found.update(codes(advice.cautions))
    return found


def test_the_table_reaches_every_advice_code_in_the_catalogue() -> None:
    # The first-download words (advice.download.*, advice.duration.*) come from explaining
    # Advice.download; tests/test_sync_facts.py reaches every one of them.
    catalogued = {code for code in CATALOGUE if code.startswith("advice.")
                  and not code.startswith(("advice.download.", "advice.duration."))}
    assert every_code() == catalogued


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_advice_code_has_words_with_no_unfilled_fields(lang: str) -> None:
    for row in RULES:
        advice = recommend(row.answers, row.facts)
        for reason in (*advice.reasons, *advice.cautions):
            text = words(reason.code, lang, reason.params).message
            assert text and text != reason.code
            assert "{" not in text, (reason.code, text)


def test_italian_and_english_words_differ() -> None:
    for code in every_code():
        assert CATALOGUE[code]["it"].message != CATALOGUE[code]["en"].message, code
