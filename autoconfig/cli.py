"""The `autoconfig` command: serve, check a config, render a format, diagnose, show DNS."""

from __future__ import annotations

import datetime as dt
import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .config import config_path_from_env, load_config
from .errors import AutoconfigError, ConfigError
from .model import Config, Secret
from .texts import N_, translate

if TYPE_CHECKING:
    from .db import Database


def _load(path: str | None) -> Config:
    try:
        return load_config(Path(path) if path else config_path_from_env())
    except ConfigError as exc:
        for message in exc.messages:
            click.echo(f"error: {message}", err=True)
        sys.exit(2)


def _language(config: Config, requested: str | None) -> str:
    """`--lang` among the configured languages (a third one once its catalogue exists); else exit 2."""
    from .languages import choose_language

    try:
        return choose_language(requested, None, config.service.languages, strict=True, field="--lang")
    except AutoconfigError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)


config_option = click.option(
    "--config", "config_file", type=click.Path(dir_okay=False), default=None,
    help="TOML configuration (default: $AUTOCONFIG_CONFIG, else the bundled demo).",
)


@click.group()
@click.version_option(package_name="autoconfig")
def main() -> None:
    """Mail client autoconfiguration, account diagnostics and POP3/IMAP advice."""


@main.command()
@config_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
def serve(config_file: str | None, host: str, port: int) -> None:
    """Run the development server (use gunicorn in production)."""
    from werkzeug.serving import WSGIRequestHandler

    from . import create_app
    from .logs import configure

    class AppLogsRequests(WSGIRequestHandler):
        """The app writes each request's access line itself, as under gunicorn; werkzeug's
        own line would add the query string, which holds customers' addresses."""

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

    app = create_app(_load(config_file))
    configure()
    app.run(host=host, port=port, threaded=True, request_handler=AppLogsRequests)


@main.command("check-config")
@click.argument("file", type=click.Path(dir_okay=False))
def check_config(file: str) -> None:
    """Validate FILE; print every problem with its key path, or a one-line summary."""
    from .directory import read_domains

    config = _load(file)
    domains = sum(
        len(p.domains) + (len(read_domains(p.domains_file)) if p.domains_file else 0) for p in config.providers
    )
    patterns = sum(len(p.domain_patterns) for p in config.providers)
    servers = sum(len(p.servers) for p in config.providers)
    click.echo(
        f"ok: {len(config.providers)} provider(s), {domains} domain(s), {patterns} pattern(s), "
        f"{servers} server(s)"
    )


@main.command()
@config_option
@click.argument("fmt", metavar="FORMAT", type=click.Choice(["thunderbird", "autodiscover", "mobileconfig"]))
@click.argument("email")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to FILE instead of standard output (mobileconfig is binary when signed).")
@click.option("--protocol", type=click.Choice(["imap", "pop3"]), default=None,
              help="mobileconfig: the incoming protocol (default: the first one configured).")
@click.option("--name", default=None, help="mobileconfig: the sender name on the device.")
def render(
    config_file: str | None, fmt: str, email: str, out: str | None, protocol: str | None, name: str | None
) -> None:
    """Print what a client would receive for EMAIL (mobileconfig: signed when configured)."""
    from .formats import autodiscover, mobileconfig, thunderbird
    from .lookup import settings_for_address
    from .model import Protocol
    from .services import Services
    from .signing import load_signers
    from .usecases import profile_bytes

    config = _load(config_file)
    try:
        svc = Services.build(config)
        settings = settings_for_address(svc.directory, email)
        if fmt == "autodiscover":
            body = autodiscover.render(settings)
        elif fmt == "mobileconfig":
            body = profile_bytes(
                settings, config.service, Protocol(protocol) if protocol else None,
                mobileconfig.check_account_name(name), None, load_signers(config.providers).get(settings.provider.id),
            )
        else:
            body = thunderbird.render(settings, config.service)
    except AutoconfigError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    except ConfigError as exc:
        for message in exc.messages:
            click.echo(f"error: {message}", err=True)
        sys.exit(2)
    if out:
        Path(out).write_bytes(body)
    else:
        click.echo(body, nl=False)  # bytes go to the binary stream as they are


# Headings of the terminal output; their words are in the gettext catalogues (translations/).
_DNS_HEADERS = (N_("status"), N_("record"), N_("expected"), N_("found"), N_("Lines to publish in the DNS zone"))


def _ip_address(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """--client-address: an IPv4 or IPv6 address, nothing else (it travels inside IMAP and SMTP commands)."""
    if value is None:
        return None
    import ipaddress

    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an IPv4 or IPv6 address") from None


def _table(rows: list[tuple[str, ...]]) -> str:
    """Rows of cells (a cell may hold several lines) as aligned plain text."""
    split = [[cell.splitlines() or [""] for cell in row] for row in rows]
    widths = [max(len(line) for row in split for line in row[i]) for i in range(len(rows[0]))]
    out = []
    for row in split:
        for n in range(max(len(cell) for cell in row)):
            parts = [(cell[n] if n < len(cell) else "").ljust(w) for cell, w in zip(row, widths, strict=True)]
            out.append("  ".join(parts).rstrip())
    return "\n".join(out)


@main.command("dns")
@config_option
@click.argument("domain")
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON as GET /api/v1/dns.")
@click.option("--lang", default=None, metavar="LANG",
              help="Language of the messages, one of [service] languages (default: the first).")
def dns_command(config_file: str | None, domain: str, as_json: bool, lang: str | None) -> None:
    """Check DOMAIN's MX, SRV, autoconfig and autodiscover records; print the zone lines.

    Exits 1 when a record is in error, 2 when the domain cannot be checked at all.
    """
    import json

    from .model import Status
    from .services import Services
    from .usecases import domain_dns

    config = _load(config_file)
    lang = _language(config, lang)
    try:
        found = domain_dns(Services.build(config), domain)
    except AutoconfigError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    health, report = found.health, found.report(lang)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        *columns, zone_title = (translate(lang, heading) for heading in _DNS_HEADERS)
        rows = [tuple(columns)] + [
            (c["status"], f"{c['name']} {c['rtype']}", "\n".join(c["expected"]) or "-",
             "\n".join(c["found"]) or "-")
            for c in report["checks"]
        ]
        click.echo(_table(rows))
        for c in report["checks"]:
            if c["status"] != "ok":
                click.echo(f"\n{c['status']}: {c['message']}")
                if c["remedy"]:
                    click.echo(f"  → {c['remedy']}")
        click.echo(f"\n{zone_title}:")
        for line in health.zone_lines:
            click.echo(line)
    if health.resolver_down:
        sys.exit(2)  # the domain cannot be checked at all: our own resolver is silent
    if health.status is Status.ERROR:
        sys.exit(1)


_DISCOVER_HEADERS = (N_("status"), N_("program"), N_("automatic?"), N_("where"), N_("What to do"), N_("yes"),
                     N_("no"))


@main.command("discover")
@config_option
@click.argument("domain")
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON as GET /api/v1/discovery.")
@click.option("--lang", default=None, metavar="LANG",
              help="Language of the messages, one of [service] languages (default: the first).")
@click.pass_context
def discover_command(ctx: click.Context, config_file: str | None, domain: str, as_json: bool,
                     lang: str | None) -> None:
    """Will each mail client find DOMAIN's settings by itself? Replays each client's lookups.

    Exits 0 when every client finds the settings, 1 when one will not (or finds wrong
    ones), 2 when the domain cannot be checked at all.
    """
    import json

    from .discovery import Discoverer
    from .resolver import make_resolver
    from .schemas.discovery import dump
    from .services import Services
    from .usecases import domain_discovery

    config = _load(config_file)
    lang = _language(config, lang)
    # ctx.obj may carry a port map: the tests' nginx cannot listen on 443 and 80.
    ports = (ctx.obj or {}).get("discovery_ports") if isinstance(ctx.obj, dict) else None
    discoverer = Discoverer.build(config, make_resolver(config.dns, cache=False), ports)
    try:
        found = domain_discovery(Services.build(config), discoverer, domain)
    except AutoconfigError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    report = dump(found, lang)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        status, program, automatic, where, todo, yes, no = (translate(lang, h) for h in _DISCOVER_HEADERS)
        rows = [(status, program, automatic, where)] + [
            (c["status"], c["name"], yes if c["automatic"] else no, c["via"] or "-") for c in report["clients"]
        ]
        click.echo(_table(rows))
        for c in report["clients"]:
            click.echo(f"\n{c['name']}: {c['message']}")
            if c["remedy"]:
                click.echo(f"  {todo}: {c['remedy']}")
    if any(not v.automatic or v.settings_match is False for v in found.clients):
        sys.exit(1)


@main.command("certificates")
@config_option
@click.option("--customers-only", is_flag=True,
              help="Only autoconfig.D and autodiscover.D of the customer domains (not the service's own names).")
def certificates_command(config_file: str | None, customers_only: bool) -> None:
    """Print every name this service needs a certificate for, one per line (for ACME tools).

    The public URL's own host, autoconfig.<the MX hosts' domains> (Thunderbird's MX lookup),
    then autoconfig.D and autodiscover.D for each exact domain the configuration serves.
    """
    from .certnames import certificate_names

    for name in certificate_names(_load(config_file), customers_only=customers_only):
        click.echo(name)


def _read_password() -> Secret | None:
    """The first line of standard input, as UTF-8 text that a diagnosis may send; else exit 2
    with words that never repeat the password nor say how long it is."""
    from .schemas.diagnostics import MAX_PASSWORD, password_problem

    stream = getattr(sys.stdin, "buffer", None)
    try:
        raw = stream.readline() if stream is not None else sys.stdin.readline().encode("utf-8", "surrogateescape")
        line = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeError:
        _refuse_password("is not UTF-8 text")
    problem = password_problem(line) or (f"is longer than {MAX_PASSWORD} characters" if len(line) > MAX_PASSWORD
                                         else None)
    if problem is not None:
        _refuse_password(problem)
    return Secret(line) if line else None


def _refuse_password(problem: str) -> NoReturn:
    click.echo(f"error: the password on standard input {problem}", err=True)
    sys.exit(2)


_DIAGNOSE_HEADERS = (N_("status"), N_("check"), N_("result"), N_("What to do"), N_("Recommendation"), N_("took"))


@main.command()
@config_option
@click.argument("email")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (never from the command line).")
@click.option("--json", "as_json", is_flag=True, help="Print the same JSON as POST /api/v1/diagnostics.")
@click.option("--lang", default=None, metavar="LANG",
              help="Language of the messages, one of [service] languages (default: the first).")
@click.option("--client-address", default=None, callback=_ip_address, metavar="IP",
              help="The customer's IP address, announced to servers with forward_client_address (default: none).")
def diagnose(config_file: str | None, email: str, password_stdin: bool, as_json: bool, lang: str | None,
             client_address: str | None) -> None:
    """Diagnose EMAIL's account: DNS, ports, TLS, login, folders, quota, with remedies.

    Exits 1 when a check is in error, 2 when the address cannot be diagnosed at all.
    """
    import json

    from .accountlimit import AccountLimit
    from .diagnose import DiagnosisRequest, Diagnostician
    from .model import ClientAddress, Status
    from .schemas.diagnostics import ReportSchema
    from .services import Services

    config = _load(config_file)
    lang = _language(config, lang)
    password = _read_password() if password_stdin else None
    diagnostician = Diagnostician.for_services(Services.build(config))
    # The same per-account limit as the API, in the same storage (shared with redis://).
    account_limit = AccountLimit(config.limits.diagnostics_per_account, config.limits.storage_uri)
    try:
        client = ClientAddress(client_address) if client_address else None
        request = DiagnosisRequest(email, password, lang=lang, client=client)
        report = diagnostician.start(request, account_limit.admit).run()
    except AutoconfigError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(ReportSchema().dump(report), ensure_ascii=False, indent=2))
    else:
        status_h, check_h, result_h, remedy_h, advice_h, took_h = (
            translate(report.lang, heading) for heading in _DIAGNOSE_HEADERS
        )
        rows: list[tuple[str, ...]] = [(status_h, check_h, result_h)]
        rows += [(c.check.status.value, c.check.id, c.message) for c in report.checks]
        click.echo(f"{report.email} ({report.provider}): {report.status.value}, {took_h} {report.duration_ms} ms")
        verdict = report.verdict  # what the customer reads first: the problems by root cause
        click.echo(verdict.message)
        for number, problem in enumerate(verdict.problems, 1):
            click.echo(f"  {number}. {problem.messages[0]}")
        click.echo("")
        click.echo(_table(rows))
        remedies = [c for c in report.checks if c.remedy and c.check.status is not Status.OK]
        if remedies:
            click.echo(f"\n{remedy_h}:")
            for c in remedies:
                click.echo(f"- {c.check.id}: {c.remedy}")
        if report.recommendation:
            advice = report.recommendation
            reasons = "; ".join(r.text for r in advice.reasons)
            click.echo(f"\n{advice_h}: {str(advice.protocol).upper()} — {reasons}")
            if advice.first_download is not None:
                click.echo(advice.first_download.text)
    if report.status is Status.ERROR:
        sys.exit(1)


def _database_problem(exc: BaseException) -> str:
    """What the database driver said, in its first line, without the "(module.ClassName)" prefix
    SQLAlchemy puts there: operators read the reason, not our exception types."""
    lines = str(exc).strip().splitlines()
    said = re.sub(r"^\([\w.]+\)\s*", "", lines[0]).strip() if lines else ""
    return said or "the database did not answer"


@contextmanager
def _database(config: Config, doing: str) -> Iterator[Database]:
    """The reports database for one command, disposed after; a database error ends the
    command with exit 1 and `error: cannot <doing>: <the driver's reason>`."""
    from .db import Database, DatabaseError

    database = Database(config.reports.database_url)
    try:
        yield database
    except DatabaseError as exc:
        click.echo(f"error: cannot {doing}: {_database_problem(exc)}", err=True)
        sys.exit(1)
    finally:
        database.dispose()


@main.group("db")
def db_group() -> None:
    """The reports database ([reports] database_url)."""


@db_group.command("upgrade")
@config_option
def db_upgrade(config_file: str | None) -> None:
    """Create or migrate the database's tables to the newest revision."""
    from .db.engine import normalize_url

    config = _load(config_file)
    where = normalize_url(config.reports.database_url).render_as_string(hide_password=True)
    with _database(config, f"migrate {where}") as database:
        before, after = database.upgrade()
    click.echo(f"{where}: {before or 'empty'} → {after}" if before != after else f"{where}: already at {after}")


@main.group("reports")
def reports_group() -> None:
    """Stored diagnosis reports."""


@reports_group.command("purge")
@config_option
def reports_purge(config_file: str | None) -> None:
    """Remove the reports older than [reports] retention_days now (the service also does it hourly)."""
    from .reports import ReportStore

    config = _load(config_file)
    with _database(config, "purge") as database:
        removed = ReportStore(database, config.reports.retention_days, config.service.public_url).purge()
    click.echo(f"purged {removed} expired report(s)")
@main.group("watch", invoke_without_command=True)
@config_option
@click.option("--once", is_flag=True, help="One round, then exit (cron, tests): 0 all up, 1 some down, 2 not run.")
@click.pass_context
def watch_group(ctx: click.Context, config_file: str | None, once: bool) -> None:
    """Check our own servers every [watch] interval_s; one watcher per database at a time."""
    if ctx.invoked_subcommand is not None:
        return
    from .db import Database
    from .logs import configure
    from .watch.runner import Watcher

    config = _load(config_file)
    configure()
    database = Database(config.reports.database_url)
    try:
        watcher = Watcher(config, database)
    except Exception as exc:
        click.echo(f"error: cannot open the watch's database: {_database_problem(exc)}", err=True)
        sys.exit(2)
    if once:
        sys.exit(_watch_once(watcher))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        watcher.run(stop)
    finally:
        database.dispose()


def _watch_once(watcher: Any) -> int:
    if not watcher.lease.acquire():
        click.echo("error: another watcher is running (it holds the lease)", err=True)
        return 2
    try:
        done = watcher.round()
    finally:
        watcher.lease.release()
    for endpoint in done.endpoints:
        state = "up" if endpoint.ok else "DOWN" if endpoint.checked else "not checked"
        click.echo(f"{endpoint.host}:{endpoint.port} {endpoint.family} {state} {endpoint.code}")
    return 0 if all(e.ok for e in done.endpoints) else 1


def _until(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """`2026-12-03T14:00` (UTC unless it says its offset) or `14:00` (the next one, UTC)."""
    now = now or dt.datetime.now(dt.UTC)
    try:
        if re.fullmatch(r"\d{1,2}:\d{2}", text):
            hour, minute = map(int, text.split(":"))
            moment = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            return moment if moment > now else moment + dt.timedelta(days=1)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("must be a time like 2026-12-03T14:00 or 14:00 (UTC)") from None
    moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    if moment <= now:
        raise click.BadParameter("must be in the future")
    return moment


@watch_group.command("maintenance")
@config_option
@click.argument("host")
@click.option("--until", "until", required=True, help="End of the maintenance: 2026-12-03T14:00 or 14:00 (UTC).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Only this port (default: every port).")
def watch_maintenance(config_file: str | None, host: str, until: str, port: int | None) -> None:
    """Announce planned maintenance on HOST: the page and reports say so instead of an incident."""
    from .watch.store import WatchStore

    config = _load(config_file)
    end = _until(until)
    if not re.fullmatch(r"[A-Za-z0-9.-]{1,253}", host):
        raise click.BadParameter("must be a host name like mail.example.com", param_hint="HOST")
    with _database(config, "reach the database") as database:
        WatchStore(database.ready()).add_maintenance(host, end, port)
    where = f"{host}:{port}" if port else host
    click.echo(f"planned maintenance on {where} until {end:%Y-%m-%d %H:%M} UTC")

@main.group("helpdesk")
def helpdesk_group() -> None:
    """Staff accounts and API tokens of the helpdesk console ([helpdesk])."""


@helpdesk_group.command("add-user")
@config_option
@click.argument("name")
def helpdesk_add_user(config_file: str | None, name: str) -> None:
    """Add NAME (or change its password); the password is the first line of standard input."""
    from .staff import StaffFileError, add_user

    config = _load(config_file)
    path = config.helpdesk.users_file
    if path is None:
        click.echo("error: set [helpdesk] users_file in the configuration first", err=True)
        sys.exit(2)
    try:
        password = sys.stdin.readline().rstrip("\r\n")
        new = add_user(path, name, password)
    except StaffFileError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except UnicodeDecodeError:
        click.echo("error: the password on standard input is not UTF-8", err=True)
        sys.exit(2)
    click.echo(f"{'added' if new else 'changed the password of'} {name} in {path}")


@helpdesk_group.command("add-token")
@config_option
@click.argument("name")
def helpdesk_add_token(config_file: str | None, name: str) -> None:
    """Print a new API token for NAME (a helpdesk system) once; only its hash is stored."""
    from .staff import StaffFileError, add_token

    config = _load(config_file)
    path = config.helpdesk.api_tokens_file
    if path is None:
        click.echo("error: set [helpdesk] api_tokens_file in the configuration first", err=True)
        sys.exit(2)
    try:
        token = add_token(path, name)
    except StaffFileError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(token)
    click.echo(f"(stored only as a hash in {path}; this is the only time it is shown)", err=True)
