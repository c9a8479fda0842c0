"""Diagnosis data is typed and frozen: the facts advice weighs come from the account checks'
own details (no dict filtered by key name), and the recommendation is a frozen value that
no view can change after the words were chosen."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from autoconfig.advice import Answers, Facts, recommend
from autoconfig.diagnose import facts_from
from autoconfig.model import Protocol, Status
from autoconfig.probes.base import CheckResult, Kind
from autoconfig.probes.folders import Folder, analyse
from autoconfig.probes.mailbox import MailboxDetails
from autoconfig.probes.quota import measure
from autoconfig.recommendation import AdviceAnswer, Recommendation, explain

PACKAGE = Path(__file__).resolve().parent.parent / "autoconfig"


def check(kind: Kind, data: object, check_id: str = "x") -> CheckResult:
    return CheckResult(check_id, kind, Status.OK, "ok", data=data)  # type: ignore[arg-type]


def test_facts_come_from_the_account_checks_details() -> None:
    # Given the folders, quota and POP3 mailbox checks as the probes report them
    folders = analyse(
        [Folder("INBOX", None, True, True, 3), Folder("Sent", "Sent", True, True, 2),
         Folder("Progetti", None, True, True, 1)],
        inbox_messages=3,
    )
    quota = measure("", [("STORAGE", 950, 1000)])
    mailbox = MailboxDetails(messages=7, size_bytes=7000, uidl=False)
    checks = [check(Kind.FOLDERS, folders, "imap-folders"), check(Kind.QUOTA, quota, "imap-quota"),
              check(Kind.MAILBOX, mailbox, "pop3-mailbox"), check(Kind.TCP, None)]
    # When advice's facts are read from them
    facts = facts_from(checks)
    # Then every measured fact is there, under its typed name
    assert facts == Facts(
        quota_percent=95.0, quota_limit_bytes=1000 * 1024, quota_used_bytes=950 * 1024,
        pop3_messages=7, pop3_mailbox_bytes=7000, imap_custom_folders=1, sent_on_server=True,
        uidl_supported=False, imap_messages=6,
    )
    # And advice weighs them: the measured quota, the folder of her own, no UIDL
    advice = recommend(Answers(devices=1, offline_access=True), facts)
    assert "advice.pop3.quota_tight_measured" in [r.code for r in advice.reasons]


def test_no_account_check_means_no_facts() -> None:
    assert facts_from([check(Kind.TCP, None), check(Kind.FOLDERS, None)]) is None


def test_the_recommendation_is_frozen_and_the_advice_answer_keeps_it() -> None:
    # Given a recommendation in Italian
    recommendation = explain(recommend(Answers(devices=2)), "it", "https://faq.example/pop3-imap")
    assert isinstance(recommendation, Recommendation)
    assert recommendation.protocol is Protocol.IMAP
    assert recommendation.reasons[0].text and recommendation.reasons[0].faq_url == "https://faq.example/pop3-imap"
    # Then nobody can change it after the words were chosen
    with pytest.raises(dataclasses.FrozenInstanceError):
        recommendation.faq_url = None  # type: ignore[misc]
    # And the advice API's answer carries the same values beside the settings
    answer = AdviceAnswer.of(recommendation, None)
    assert {f.name: getattr(answer, f.name) for f in dataclasses.fields(Recommendation)} == \
        {f.name: getattr(recommendation, f.name) for f in dataclasses.fields(Recommendation)}


def _annotations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [ast.unparse(node.annotation) for node in ast.walk(tree) if isinstance(node, ast.AnnAssign)]


def test_probes_keep_no_loose_fact_dicts() -> None:
    # Given every probe module, the diagnosis and the advice view
    files = [*(PACKAGE / "probes").glob("*.py"), PACKAGE / "diagnose.py", PACKAGE / "web" / "advice.py"]
    # Then no attribute or field is a dict of anything to object
    loose = [(p.name, a) for p in files for a in _annotations(p) if a.replace(" ", "") in
             {"dict[str,object]", "dict[str,Any]"}]
    assert loose == []
