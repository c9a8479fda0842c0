"""IMAP folders: the special-use folders clients need, the folders clients hide because
they are not subscribed, and message counts. Read-only: LIST, LSUB, STATUS, EXAMINE.

Two checks come out of one pass: `imap-folders` (Sent, Drafts, Trash, Junk marked with
RFC 6154 SPECIAL-USE, else clients create their own and mail lands in two places) and
`imap-subscriptions` (folders on the server that clients showing only subscribed folders
will hide, the classic "my folders vanished").
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Status
from .base import CheckResult, Details, Kind, Step, Timer, failure_for, params, printable
from .clients import ImapAdapter
from .session import Need, Session, Stage

ROLES = ("Sent", "Drafts", "Trash", "Junk")
MAX_STATUS = 60  # STATUS for at most this many folders; counts stop there
MAX_FOLDER_NAME = 120  # characters of a folder's name a report shows
# Names clients and servers commonly use when the flags are missing (English, Italian).
ROLE_NAMES = {
    "Sent": ("sent", "sent items", "sent messages", "sent mail", "posta inviata", "inviata", "inviati"),
    "Drafts": ("drafts", "draft", "bozze"),
    "Trash": ("trash", "deleted items", "deleted messages", "cestino", "eliminati", "posta eliminata"),
    "Junk": ("junk", "spam", "junk e-mail", "junk email", "posta indesiderata", "indesiderata"),
}


@dataclass(frozen=True)
class Folder:
    name: str
    special_use: str | None
    subscribed: bool
    selectable: bool
    messages: int | None = None
    unseen: int | None = None


# What clients sync with (RFC 2177 IDLE, 7162 CONDSTORE/QRESYNC, 4315 UIDPLUS, 6851 MOVE,
# 6154 SPECIAL-USE, 2342 NAMESPACE), in the order reports list them.
SYNC_CAPABILITIES = ("IDLE", "CONDSTORE", "QRESYNC", "UIDPLUS", "MOVE", "SPECIAL-USE", "NAMESPACE")


@dataclass(frozen=True)
class SyncDetails(Details):
    """Which of the capabilities clients sync with the server offers once logged in."""

    idle: bool = False  # push: new mail shows at once
    condstore: bool = False  # only changed flags are fetched again
    qresync: bool = False  # a reconnect fetches only what changed, deletions included
    uidplus: bool = False
    move: bool = False  # moving a message is one step, not copy + delete
    special_use: bool = False
    namespace: bool = False

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(name for name in SYNC_CAPABILITIES if not getattr(self, _field(name)))


def _field(capability: str) -> str:
    return capability.lower().replace("-", "_")


def sync_details(capabilities: frozenset[str]) -> SyncDetails:
    """Pure: the sync capabilities among what the server offers."""
    return SyncDetails(**{_field(name): name in capabilities for name in SYNC_CAPABILITIES})


@dataclass(frozen=True)
class FoldersDetails(Details):
    folders: tuple[Folder, ...]
    special_use: tuple[tuple[str, str], ...]  # (role, folder) pairs found by flag
    missing: tuple[str, ...]  # roles without a flagged folder
    by_name: tuple[tuple[str, str], ...]  # (role, folder) guessed by name for missing roles
    unsubscribed: tuple[str, ...]
    messages: int
    unseen: int
    inbox_messages: int | None
    custom_folders: int
    sync: SyncDetails = SyncDetails()

    @property
    def sent_on_server(self) -> bool | None:
        """Does the flagged Sent folder hold mail (sent by webmail or an IMAP client)? None: no Sent flag."""
        sent = dict(self.special_use).get("Sent")
        if sent is None:
            return None
        return any(f.name == sent and (f.messages or 0) > 0 for f in self.folders)


def _flag_role(flags: tuple[bytes, ...]) -> str | None:
    names = {f.decode("ascii", "replace").lstrip("\\").capitalize() for f in flags}
    return next((role for role in ROLES if role in names), None)


def _selectable(flags: tuple[bytes, ...]) -> bool:
    lowered = {f.lower() for f in flags}
    return b"\\noselect" not in lowered and b"\\nonexistent" not in lowered


def analyse(folders: list[Folder], inbox_messages: int | None,
            capabilities: frozenset[str] = frozenset()) -> FoldersDetails:
    """Pure: which roles are flagged or missing, which folders are hidden, counts."""
    flagged = {f.special_use: f.name for f in folders if f.special_use}
    missing = tuple(r for r in ROLES if r not in flagged)
    by_name = tuple(
        (role, f.name)
        for role in missing
        for f in folders
        if f.selectable and f.name.rsplit("/", 1)[-1].rsplit(".", 1)[-1].lower() in ROLE_NAMES[role]
    )
    unsubscribed = tuple(
        f.name for f in folders if f.selectable and not f.subscribed and f.name.upper() != "INBOX"
    )
    custom = sum(1 for f in folders if f.selectable and not f.special_use and f.name.upper() != "INBOX")
    return FoldersDetails(
        folders=tuple(folders),
        special_use=tuple((role, flagged[role]) for role in ROLES if role in flagged),
        missing=missing,
        by_name=by_name,
        unsubscribed=unsubscribed,
        messages=sum(f.messages or 0 for f in folders),
        unseen=sum(f.unseen or 0 for f in folders),
        inbox_messages=inbox_messages,
        custom_folders=custom,
        sync=sync_details(capabilities),
    )


def _fetch(session: Session, adapter: ImapAdapter) -> tuple[list[Folder], int | None]:
    client = adapter.client
    session.attempt.begin(Step.LIST, adapter.sock)
    listed = client.list_folders()
    subscribed = {name for _flags, _delim, name in client.list_sub_folders()}
    folders: list[Folder] = []
    session.attempt.begin(Step.STATUS, adapter.sock)
    for flags, _delimiter, name in listed:
        selectable = _selectable(flags)
        counts: dict[bytes, int] = {}
        if selectable and len(folders) < MAX_STATUS:
            session.attempt.begin(Step.STATUS, adapter.sock)
            counts = client.folder_status(name, ("MESSAGES", "UNSEEN"))
        folders.append(
            Folder(
                name=printable(name, MAX_FOLDER_NAME),
                special_use=_flag_role(flags),
                subscribed=name in subscribed,
                selectable=selectable,
                messages=counts.get(b"MESSAGES"),
                unseen=counts.get(b"UNSEEN"),
            )
        )
    session.attempt.begin(Step.EXAMINE, adapter.sock)
    selected = client.select_folder("INBOX", readonly=True)  # EXAMINE: changes nothing
    inbox = selected.get(b"EXISTS")
    return folders, int(inbox) if inbox is not None else None


def run(session: Session) -> tuple[CheckResult, ...]:
    timer = Timer()
    adapter = session.adapter
    assert isinstance(adapter, ImapAdapter)
    try:
        folders, inbox = _fetch(session, adapter)
    except Exception as exc:
        failure = failure_for(exc, session.attempt.step)
        return tuple(
            session.result(STAGE, failure.status, failure.code, failure.params, timer.ms, suffix=suffix)
            for suffix in STAGE.ids
        )
    details = analyse(folders, inbox, session.capabilities)
    counts = params(folders=len(folders), messages=details.messages, unseen=details.unseen)
    if details.missing:
        folders_result = session.result(
            STAGE, Status.WARNING, "imap.special_use_missing",
            params(**counts, missing=", ".join(details.missing),
                   by_name=", ".join(f"{role}: {name}" for role, name in details.by_name) or None),
            timer.ms, details, suffix="folders")
    else:
        folders_result = session.result(STAGE, Status.OK, "imap.folders_ok", counts, timer.ms, details, "folders")
    if details.unsubscribed:
        subs = session.result(
            STAGE, Status.WARNING, "imap.unsubscribed_folders",
            params(count=len(details.unsubscribed), folders=", ".join(details.unsubscribed[:10])),
            timer.ms, suffix="subscriptions")
    else:
        subs = session.result(STAGE, Status.OK, "imap.subscriptions_ok", counts, timer.ms, suffix="subscriptions")
    return folders_result, subs, _sync_result(session, details.sync, timer.ms)


def _sync_result(session: Session, sync: SyncDetails, ms: int) -> CheckResult:
    offered = ", ".join(n for n in SYNC_CAPABILITIES if n not in sync.missing) or "—"
    missing = ", ".join(sync.missing) or "—"
    if not sync.idle:
        return session.result(STAGE, Status.WARNING, "imap.no_push", params(offered=offered, missing=missing),
                              ms, sync, suffix="sync")
    return session.result(STAGE, Status.OK, "imap.sync_ok", params(offered=offered, missing=missing),
                          ms, sync, suffix="sync")


STAGE = Stage(
    name="folders", kind=Kind.FOLDERS, needs=Need.LOGIN, run=run, account=True,
    suffixes=("folders", "subscriptions", "sync"),
)
