"""A report read in five seconds: its checks grouped into problems by root cause, and a verdict.

One DNS failure that made twenty checks skip is one problem with one remedy, not twenty lines.
Grouping is generic, from two facts every check already carries:

- a check that could not run (or failed) because of another names it in `params["blocked_by"]`:
  it is a consequence of that check's problem, followed through chains (skip → skip → root);
- failing checks that ask the customer to do the same thing (the same remedy text) are one
  problem: a name that does not resolve on three servers, or every lookup failing because a
  resolver does not answer, needs one fix. `SAME_CAUSE` adds the few codes whose remedies
  differ in wording only (a refused password, incoming and outgoing).

Pure: described checks in, frozen results out. The page, the report JSON (`verdict`) and so
the customer's reopened report and the helpdesk summary all read the same result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol as Structure

from .messages import words
from .model import Protocol, Status
from .probes.base import CheckResult, Kind

FAILING = (Status.ERROR, Status.WARNING)
# Codes whose remedies are worded per server, but that one report can only mean one thing:
# the password typed once for every server was refused (incoming and outgoing alike).
SAME_CAUSE = {"auth.failed": "credentials", "smtp.auth_failed": "credentials"}


class DescribedCheck(Structure):
    """A check with its words (diagnose.DescribedCheck), as grouping reads it."""

    @property
    def check(self) -> CheckResult: ...
    @property
    def message(self) -> str: ...
    @property
    def remedy(self) -> str | None: ...


@dataclass(frozen=True)
class Problem:
    """One root cause: what went wrong (its distinct messages), the one thing to do, and
    which checks it explains."""

    status: Status
    code: str  # the first root check's code
    messages: tuple[str, ...]  # distinct, in report order (one per host when a name fails on several)
    remedy: str | None
    checks: tuple[str, ...]  # ids of the failed checks that are this problem
    consequences: tuple[str, ...]  # ids of the checks that failed or could not run because of it
    protocols: tuple[Protocol, ...]


@dataclass(frozen=True)
class Verdict:
    """What a customer reads first: everything works, or how many problems and where to start."""

    status: Status
    code: str
    message: str
    problems: tuple[Problem, ...]  # errors first, then the one explaining most checks
    unchecked: tuple[str, ...]  # distinct reasons why checks did not run, when no problem explains them

    @property
    def start_here(self) -> Problem | None:
        return self.problems[0] if self.problems else None


def _cause(check: DescribedCheck, by_id: dict[str, DescribedCheck]) -> DescribedCheck:
    """The check at the end of the `blocked_by` chain (an unknown id or a cycle ends it)."""
    seen = {check.check.id}
    current = check
    while True:
        cause = current.check.params.get("blocked_by")
        target = by_id.get(str(cause)) if cause is not None else None
        if target is None or target.check.id in seen:
            return current
        seen.add(target.check.id)
        current = target


def _key(check: DescribedCheck) -> tuple[str, ...]:
    """Failing checks with the same key are one problem: the same thing to do. That is the
    same remedy once filled in, whatever the codes; and the domain's DNS records with one
    code are one problem too (four SRV records to publish: one edit of one zone)."""
    code = check.check.code
    if code in SAME_CAUSE:
        return ("cause", SAME_CAUSE[code])
    if check.check.kind is Kind.DNS and check.remedy and "{" in (words(code, "en").remedy or ""):
        return ("dns", code)  # the same remedy but for the record it names
    if check.remedy:
        return ("remedy", check.remedy)
    return ("message", code, check.message)


def group(checks: Sequence[DescribedCheck]) -> tuple[Problem, ...]:
    """The report's problems by root cause, the one to start with first: errors before
    warnings, then the one that explains the most checks, then report order."""
    by_id = {c.check.id: c for c in checks}
    members: dict[tuple[str, ...], list[DescribedCheck]] = {}
    followers: dict[tuple[str, ...], list[DescribedCheck]] = {}
    key_of: dict[str, tuple[str, ...]] = {}
    causes = {c.check.id: _cause(c, by_id) for c in checks}
    for check in checks:  # roots: failing, and not caused by another failing check
        cause = causes[check.check.id]
        if check.check.status in FAILING and (cause is check or cause.check.status not in FAILING):
            key = _key(check)
            members.setdefault(key, []).append(check)
            followers.setdefault(key, [])
            key_of[check.check.id] = key
    for check in checks:  # consequences: whatever a root made fail or skip
        cause = causes[check.check.id]
        if check.check.status is not Status.OK and cause is not check and cause.check.id in key_of:
            followers[key_of[cause.check.id]].append(check)
    ranked = []
    for order, (key, roots) in enumerate(members.items()):
        explained = roots + followers[key]
        problem = Problem(
            status=Status.worst(m.check.status for m in roots),
            code=roots[0].check.code,
            messages=tuple(dict.fromkeys(m.message for m in roots)),
            remedy=roots[0].remedy,
            checks=tuple(m.check.id for m in roots),
            consequences=tuple(c.check.id for c in followers[key]),
            protocols=tuple(dict.fromkeys(c.check.protocol for c in explained if c.check.protocol is not None)),
        )
        ranked.append(((-problem.status.rank, -len(explained), order), problem))
    return tuple(problem for _rank, problem in sorted(ranked, key=lambda entry: entry[0]))


def _unchecked(checks: Sequence[DescribedCheck], problems: Sequence[Problem]) -> tuple[str, ...]:
    explained = {i for p in problems for i in p.consequences}
    return tuple(dict.fromkeys(
        c.message for c in checks if c.check.status is Status.SKIPPED and c.check.id not in explained
    ))


def verdict(checks: Sequence[DescribedCheck], lang: str) -> Verdict:
    """The headline of a report in `lang`, with its problems and what was not checked."""
    problems = group(checks)
    unchecked = _unchecked(checks, problems)
    errors = sum(1 for p in problems if p.status is Status.ERROR)
    warnings = len(problems) - errors
    if errors:
        status, code, count = Status.ERROR, "verdict.problem" if errors == 1 else "verdict.problems", errors
    elif warnings:
        status, code, count = Status.WARNING, "verdict.warning" if warnings == 1 else "verdict.warnings", warnings
    else:
        status, code, count = Status.OK, "verdict.ok_unchecked" if unchecked else "verdict.ok", 0
    text = words(code, lang, {"count": count})
    return Verdict(status, code, text.message, problems, unchecked)
