"""Grouping a report's checks into problems by root cause, and the verdict a customer reads
first: table-driven, on checks described with the real catalogue's words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from autoconfig.diagnose import DescribedCheck, Report, describe
from autoconfig.model import Protocol, Security, Status
from autoconfig.probes.base import CheckResult, Kind, params
from autoconfig.problems import group, verdict
from autoconfig.schemas.diagnostics import ReportSchema

OK, WARNING, ERROR, SKIPPED = Status.OK, Status.WARNING, Status.ERROR, Status.SKIPPED
KINDS = {"tcp": Kind.TCP, "tls": Kind.TLS, "greeting": Kind.TLS, "auth": Kind.AUTH, "folders": Kind.FOLDERS,
         "quota": Kind.QUOTA, "mailbox": Kind.MAILBOX, "submission": Kind.AUTH}


def check(check_id: str, status: Status, code: str, lang: str = "en", **values: str | int) -> DescribedCheck:
    """A check as the probes make it: id `<protocol>-<port>-<stage>` or `dns-…`, words from the catalogue."""
    head = check_id.split("-", 1)[0]
    protocol = Protocol(head) if head in ("imap", "pop3", "smtp") else None
    host = str(values.pop("host", "mail.example.com"))
    port = {"imap": 993, "pop3": 995, "smtp": 587}.get(head)
    base = params(host=host, port=port, protocol=str(protocol) if protocol else None, **values)
    kind = Kind.DNS if protocol is None else KINDS.get(check_id.rsplit("-", 1)[-1], Kind.TCP)
    result = CheckResult(check_id, kind, status, code, protocol, host if protocol else None, port,
                         Security.TLS if protocol else None, base)
    return describe(result, lang)


def healthy_dns() -> list[DescribedCheck]:
    return [check("dns-mx", OK, "dns.mx_ok", domain="example.com", found="mx1.example.com")]


def server(prefix: str, tcp: tuple[Status, str], **values: str | int) -> list[DescribedCheck]:
    """One server's chain when its connection failed: tcp fails, the rest skip citing it."""
    rows = [check(f"{prefix}-tcp", tcp[0], tcp[1], **values)]
    host = values.get("host", "mail.example.com")
    for stage in ("tls", "greeting", "auth"):
        rows.append(check(f"{prefix}-{stage}", SKIPPED, "skip.unreachable", host=host, blocked_by=f"{prefix}-tcp"))
    return rows


def resolve_failed() -> tuple[Status, str]:
    return ERROR, "net.resolve_failed"


def broken_name_report() -> list[DescribedCheck]:
    """mail.example.com does not resolve: three servers, their later stages, their account checks."""
    rows = healthy_dns()
    for prefix in ("imap-993", "pop3-995", "smtp-587"):
        rows += server(prefix, resolve_failed(), reason="no such name")
    rows += [
        check("imap-folders", SKIPPED, "skip.unreachable", blocked_by="imap-993-tcp"),
        check("imap-quota", SKIPPED, "skip.unreachable", blocked_by="imap-993-tcp"),
        check("pop3-mailbox", SKIPPED, "skip.unreachable", blocked_by="pop3-995-tcp"),
    ]
    return rows


@dataclass(frozen=True)
class Case:
    checks: list[DescribedCheck]
    verdict_code: str
    status: Status
    problems: list[tuple[str, int, int]]  # (code, root checks, consequences) in order
    unchecked: int = 0


CASES = {
    "everything works": Case(
        [*healthy_dns(), check("imap-993-tcp", OK, "net.ok"), check("imap-993-tls", OK, "tls.ok")],
        "verdict.ok", OK, [],
    ),
    "no password: nothing wrong, but the login was not tried": Case(
        [
            *healthy_dns(),
            check("imap-993-tcp", OK, "net.ok"),
            check("imap-993-auth", SKIPPED, "auth.skipped"),
            check("imap-folders", SKIPPED, "skip.no_password"),
            check("imap-quota", SKIPPED, "skip.no_password"),
        ],
        "verdict.ok_unchecked", OK, [], unchecked=2,
    ),
    "one name that does not resolve: one problem, not eighteen lines": Case(
        broken_name_report(), "verdict.problem", ERROR, [("net.resolve_failed", 3, 12)],
    ),
    "two names that do not resolve: still one thing to do": Case(
        healthy_dns() + server("imap-993", resolve_failed(), reason="no such name")
        + server("smtp-587", resolve_failed(), host="smtp.example.com", reason="no such name"),
        "verdict.problem", ERROR, [("net.resolve_failed", 2, 6)],
    ),
    "a TLS failure and a wrong password: two problems, the wider one first": Case(
        [
            *healthy_dns(),
            check("smtp-587-tcp", OK, "net.ok"),
            check("smtp-587-submission", ERROR, "smtp.auth_failed", user="mario@example.com", reply="535"),
            check("imap-993-tcp", OK, "net.ok"),
            check("imap-993-tls", ERROR, "tls.expired", not_after="2026-01-01"),
            check("imap-993-greeting", SKIPPED, "skip.tls_failed", blocked_by="imap-993-tls"),
            check("imap-993-auth", SKIPPED, "auth.not_attempted_insecure", blocked_by="imap-993-tls"),
            check("imap-folders", SKIPPED, "skip.no_login", blocked_by="imap-993-auth"),
        ],
        "verdict.problems", ERROR, [("tls.expired", 1, 3), ("smtp.auth_failed", 1, 0)],
    ),
    "a wrong password refused by every server, incoming and outgoing: one problem": Case(
        [
            check("imap-993-auth", ERROR, "auth.failed", username="m@example.com", reply="no"),
            check("imap-folders", SKIPPED, "skip.no_login", blocked_by="imap-993-auth"),
            check("pop3-995-auth", ERROR, "auth.failed", username="m@example.com", reply="no"),
            check("smtp-587-submission", ERROR, "smtp.auth_failed", reply="535"),
        ],
        "verdict.problem", ERROR, [("auth.failed", 3, 1)],
    ),
    "our own resolver down (issue 14's root cause): one problem naming it, whatever it stopped": Case(
        [
            check("dns-resolver", ERROR, "dns.resolver_down"),
            check("imap-993-tcp", SKIPPED, "skip.resolver_down", blocked_by="dns-resolver"),
            check("imap-993-tls", SKIPPED, "skip.unreachable", blocked_by="imap-993-tcp"),
            check("smtp-587-tcp", SKIPPED, "skip.resolver_down", blocked_by="dns-resolver"),
        ],
        "verdict.problem", ERROR, [("dns.resolver_down", 1, 3)],
    ),
    "a failure caused by another failure is its consequence": Case(
        [
            check("imap-143-tls", ERROR, "starttls.missing"),
            check("imap-143-auth", ERROR, "auth.plaintext_refused", blocked_by="imap-143-tls"),
        ],
        "verdict.problem", ERROR, [("starttls.missing", 1, 1)],
    ),
    "warnings only: two SRV records to publish in one zone are one thing to do": Case(
        [
            check("dns-mx", OK, "dns.mx_ok", domain="example.com", found="mx1"),
            check("dns-srv-imaps", WARNING, "dns.srv_missing", name="_imaps._tcp.example.com", expected="a"),
            check("dns-srv-submission", WARNING, "dns.srv_missing", name="_submission._tcp.example.com",
                  expected="b"),
        ],
        "verdict.warning", WARNING, [("dns.srv_missing", 2, 0)],
    ),
    "two warnings": Case(
        [
            check("dns-srv-imaps", WARNING, "dns.srv_missing", name="_imaps._tcp.example.com", expected="a"),
            check("imap-quota", WARNING, "imap.quota_high", percent=95, used="1", limit="2"),
        ],
        "verdict.warnings", WARNING, [("dns.srv_missing", 1, 0), ("imap.quota_high", 1, 0)],
    ),
    "the same fix on two servers: one problem, each host named in its message": Case(
        [
            check("imap-993-tls", ERROR, "tls.expired", host="mail.example.com", not_after="x"),
            check("smtp-587-tls", ERROR, "tls.expired", host="smtp.example.com", not_after="x"),
        ],
        "verdict.problem", ERROR, [("tls.expired", 2, 0)],
    ),
    "the same failure on two servers, each with its own remedy: two problems": Case(
        [
            check("imap-993-tcp", ERROR, "net.refused", ip="192.0.2.1"),
            check("smtp-587-tcp", ERROR, "net.refused", ip="192.0.2.2"),
        ],
        "verdict.problems", ERROR, [("net.refused", 1, 0), ("net.refused", 1, 0)],
    ),
    "an error comes before a warning that appears earlier": Case(
        [
            check("dns-srv-imaps", WARNING, "dns.srv_missing", name="_imaps._tcp.example.com", expected="a"),
            check("imap-993-tcp", ERROR, "net.refused", ip="192.0.2.1"),
        ],
        "verdict.problem", ERROR, [("net.refused", 1, 0), ("dns.srv_missing", 1, 0)],
    ),
    "blocked_by naming an unknown check, a passing one, or a loop: the failure stands alone": Case(
        [
            check("imap-993-tcp", OK, "net.ok"),
            check("imap-993-tls", ERROR, "tls.untrusted", blocked_by="imap-993-tcp"),
            check("pop3-995-tls", ERROR, "tls.expired", not_after="x", blocked_by="nowhere"),
            check("smtp-587-tcp", SKIPPED, "skip.unreachable", blocked_by="smtp-587-tls"),
            check("smtp-587-tls", SKIPPED, "skip.tls_failed", blocked_by="smtp-587-tcp"),
        ],
        "verdict.problems", ERROR, [("tls.untrusted", 1, 0), ("tls.expired", 1, 0)], unchecked=2,
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_checks_group_into_problems_by_root_cause(name: str) -> None:
    case = CASES[name]
    problems = group(case.checks)
    assert [(p.code, len(p.checks), len(p.consequences)) for p in problems] == case.problems
    result = verdict(case.checks, "en")
    assert (result.code, result.status) == (case.verdict_code, case.status)
    assert result.problems == problems
    assert len(result.unchecked) == case.unchecked
    # Every failed or skipped check is told once: in a problem, or among the unchecked reasons
    told = [i for p in problems for i in (*p.checks, *p.consequences)]
    assert len(told) == len(set(told))


def test_a_broken_name_is_one_problem_with_one_remedy_in_customer_words() -> None:
    (problem,) = group(broken_name_report())
    assert problem.messages == ("The name mail.example.com does not resolve to an IP address.",)
    assert problem.remedy is not None and "DNS record (A/AAAA)" in problem.remedy
    assert problem.protocols == (Protocol.IMAP, Protocol.POP3, Protocol.SMTP)
    assert set(problem.checks) == {"imap-993-tcp", "pop3-995-tcp", "smtp-587-tcp"}
    assert "imap-folders" in problem.consequences


def test_two_hosts_keep_their_own_message_under_one_remedy() -> None:
    rows = server("imap-993", resolve_failed(), reason="x") + server(
        "smtp-587", resolve_failed(), host="smtp.example.com", reason="x"
    )
    (problem,) = group(rows)
    assert [m.split()[2] for m in problem.messages] == ["mail.example.com", "smtp.example.com"]


def test_grouping_is_generic_any_failures_sharing_a_remedy_are_one_root_cause() -> None:
    # Given a new root cause the grouping never heard of (our own resolver down), reported
    # on DNS records and on connections alike with one service-side remedy
    remedy = "Our DNS resolver does not answer: the service's operators are on it."

    def down(check_id: str, code: str, kind: Kind) -> DescribedCheck:
        result = CheckResult(check_id, kind, ERROR, code, params=params(blocked_by="elsewhere"))
        return DescribedCheck(result, f"{check_id}: no answer from our resolver.", remedy)

    rows = [down("dns-mx", "dns.resolver_down", Kind.DNS), down("dns-srv-imaps", "dns.resolver_down", Kind.DNS),
            down("imap-993-tcp", "net.resolver_down", Kind.TCP)]
    rows.append(check("imap-993-tls", SKIPPED, "skip.unreachable", blocked_by="imap-993-tcp"))
    # Then it is one problem, with one remedy, that explains all of them
    (problem,) = group(rows)
    assert problem.remedy == remedy
    assert len(problem.checks) == 3 and problem.consequences == ("imap-993-tls",)
    assert verdict(rows, "en").message == "There is one problem to fix."


@pytest.mark.parametrize(
    ("lang", "rows", "message"),
    [
        ("it", [], "Tutto funziona."),
        ("en", [], "Everything works."),
        ("it", [("imap-993-tcp", "net.refused"), ("pop3-995-tcp", "net.timeout")], "Ci sono 2 problemi da risolvere."),
        ("en", [("imap-993-tcp", "net.refused"), ("pop3-995-tcp", "net.timeout")], "There are 2 problems to fix."),
        ("it", [("imap-993-tcp", "net.refused")], "C'è un problema da risolvere."),
    ],
)
def test_the_verdict_speaks_the_report_language(lang: str, rows: list[tuple[str, str]], message: str) -> None:
    checks = [check(i, ERROR, code, lang, ip="192.0.2.1", step="connect") for i, code in rows]
    assert verdict(checks, lang).message == message


def test_the_report_json_carries_the_verdict_first_problem_first() -> None:
    checks = tuple(broken_name_report())
    report = Report("m@example.com", "example.com", "example", dt.datetime(2026, 12, 3, tzinfo=dt.UTC), 10,
                    Status.ERROR, checks, None, "it")
    dumped = ReportSchema().dump(report)
    assert dumped["verdict"]["code"] == "verdict.problem"
    assert dumped["verdict"]["message"] == "C'è un problema da risolvere."
    (problem,) = dumped["verdict"]["problems"]
    assert problem["status"] == "error" and problem["code"] == "net.resolve_failed"
    assert problem["protocols"] == ["imap", "pop3", "smtp"]
    assert "(A/AAAA)" in problem["remedy"]
    assert len(problem["consequences"]) == 12
    assert dumped["verdict"]["unchecked"] == []
