"""Find, read and validate the TOML configuration into frozen model objects; fail fast and clearly."""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from .addresses import normalize_domain
from .errors import ConfigError
from .model import (
    Config,
    DavService,
    DiagnosticsOptions,
    DnsOptions,
    HelpdeskOptions,
    HelpLinks,
    LimitsOptions,
    MobileConfigOptions,
    OAuth2Options,
    Provider,
    ReportsOptions,
    Server,
    ServiceOptions,
    WatchOptions,
)
from .schemas.config import ConfigFileSchema
from .schemas.loading import flatten_errors
from .signing import check_signing_material

ENV_VAR = "AUTOCONFIG_CONFIG"
STATE_ENV_VAR = "AUTOCONFIG_STATE_DIR"
THREADS_ENV_VAR = "AUTOCONFIG_THREADS"  # gunicorn's threads per worker (deploy/gunicorn.conf.py sets it)
DEFAULT_THREADS = 16
DATABASE_FILE = "reports.db"
DEMO_CONFIG = Path(__file__).with_name("demo") / "autoconfig.toml"


def config_path_from_env(environ: Mapping[str, str] | None = None) -> Path:
    """The file AUTOCONFIG_CONFIG names, else the bundled demo configuration."""
    value = (os.environ if environ is None else environ).get(ENV_VAR, "")
    return Path(value) if value else DEMO_CONFIG


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the service keeps what it writes (the default reports database).

    AUTOCONFIG_STATE_DIR if set; else systemd's STATE_DIRECTORY (StateDirectory=autoconfig:
    /var/lib/autoconfig); else $XDG_STATE_HOME/autoconfig, i.e. ~/.local/state/autoconfig,
    so `deploy/run-demo.sh` keeps its reports beside the user who runs it, with no server.
    """
    env = os.environ if environ is None else environ
    if env.get(STATE_ENV_VAR):
        return Path(env[STATE_ENV_VAR])
    if env.get("STATE_DIRECTORY"):
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    xdg = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "autoconfig"


def database_url(configured: str, base_dir: Path, environ: Mapping[str, str] | None = None) -> str:
    """The configured URL (a relative SQLite path is relative to the config file, like every
    path), or a SQLite file in the state directory."""
    if not configured:
        return f"sqlite:///{state_dir(environ) / DATABASE_FILE}"
    scheme, _, rest = configured.partition(":///")
    if scheme.startswith("sqlite") and rest and not rest.startswith(("/", ":memory:")):
        return f"{scheme}:///{base_dir / rest}"
    return configured


def load_config(path: Path | str) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot be read: {exc}"]) from None
    return parse_config(text, base_dir=path.resolve().parent, source=path)


def parse_config(text: str, *, base_dir: Path, source: Path | None = None) -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{source or 'config'}: not valid TOML: {exc}"]) from None
    return build_config(raw, base_dir=base_dir, source=source)


def build_config(raw: Mapping[str, Any], *, base_dir: Path, source: Path | None = None) -> Config:
    try:
        data = ConfigFileSchema().load(raw)
    except ValidationError as exc:
        raise ConfigError(flatten_errors(exc.messages)) from None
    config = _to_model(data, base_dir, source)
    problems = _check_files(config)
    if problems:
        raise ConfigError(problems)
    return config


def _path(value: str, base_dir: Path) -> Path | None:
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else base_dir / path


def _check_files(config: Config) -> list[str]:
    problems: list[str] = []
    ca_file = config.diagnostics.ca_file
    if ca_file is not None and not ca_file.is_file():
        problems.append(f"diagnostics.ca_file: file not found: {ca_file}")
    for i, provider in enumerate(config.providers):
        if provider.domains_file is not None and not provider.domains_file.is_file():
            problems.append(f"provider[{i}].domains_file: file not found: {provider.domains_file}")
        if provider.mobileconfig is not None:
            prefix = f"provider[{i}].mobileconfig"
            problems.extend(f"{prefix}.{m}" for m in check_signing_material(provider.mobileconfig))
    return problems


def _to_model(data: dict[str, Any], base_dir: Path, source: Path | None) -> Config:
    service = data["service"]
    diagnostics = data["diagnostics"]
    return Config(
        service=ServiceOptions(
            public_url=service["public_url"].rstrip("/"),
            languages=tuple(service["languages"]),
            faq_url=service["faq_url"],
            support_url=service["support_url"],
            trusted_proxies=service["trusted_proxies"],
            documentation_url=service["documentation_url"],
        ),
        diagnostics=DiagnosticsOptions(
            budget_s=diagnostics["budget_s"],
            connect_timeout_s=diagnostics["connect_timeout_s"],
            ca_file=_path(diagnostics["ca_file"], base_dir),
            allow_private_addresses=diagnostics["allow_private_addresses"],
            cert_expiry_warning_days=diagnostics["cert_expiry_warning_days"],
            quota_warning_percent=diagnostics["quota_warning_percent"],
            max_concurrent=diagnostics["max_concurrent"],
        ),
        watch=WatchOptions(**data["watch"]),
        dns=DnsOptions(**{**data["dns"], "nameservers": tuple(data["dns"]["nameservers"])}),
        limits=LimitsOptions(**data["limits"]),
        reports=ReportsOptions(
            database_url=database_url(data["reports"]["database_url"], base_dir),
            retention_days=data["reports"]["retention_days"],
        ),
        helpdesk=HelpdeskOptions(
            users_file=_path(data["helpdesk"]["users_file"], base_dir),
            api_tokens_file=_path(data["helpdesk"]["api_tokens_file"], base_dir),
            trusted_user_header=data["helpdesk"]["trusted_user_header"],
            sso_proxy_networks=tuple(data["helpdesk"]["sso_proxy_networks"]),
        ),
        providers=tuple(_provider(p, base_dir) for p in data["provider"]),
        source=source,
    )


def _provider(p: dict[str, Any], base_dir: Path) -> Provider:
    mobile = p["mobileconfig"]
    return Provider(
        id=p["id"],
        name=p["name"],
        short_name=p["short_name"] or p["name"],
        domains=tuple(normalize_domain(d)[0] for d in p["domains"]),
        domain_patterns=tuple("*." + normalize_domain(x[2:])[0] for x in p["domain_patterns"]),
        domains_file=_path(p["domains_file"], base_dir),
        mx_hosts=tuple(h.rstrip(".") for h in p["mx_hosts"]),  # lower case, as validated
        login_networks=tuple(ipaddress.ip_network(n, strict=False) for n in p["login_networks"]),
        username=p["username"],
        webmail_url=p["webmail_url"],
        servers=tuple(
            Server(s["protocol"], s["hostname"], s["port"], s["security"], tuple(s["auth"]),
                   s["forward_client_address"])
            for s in p["server"]
        ),
        dav=tuple(DavService(d["type"], d["url"], d["username"] or p["username"]) for d in p["dav"]),
        oauth2=None if p["oauth2"] is None else OAuth2Options(**p["oauth2"]),
        help=HelpLinks(faq_url=p["faq_url"], support_url=p["support_url"], documentation_url=p["documentation_url"]),
        mobileconfig=None
        if mobile is None
        else MobileConfigOptions(
            identifier=mobile["identifier"],
            signing_cert=_path(mobile["signing_cert"], base_dir),
            signing_key=_path(mobile["signing_key"], base_dir),
            signing_chain=_path(mobile["signing_chain"], base_dir),
        ),
    )


def worker_threads() -> int:
    """The threads of one worker process, which `max_concurrent = 0` derives its cap from."""
    try:
        return max(1, int(os.environ.get(THREADS_ENV_VAR, DEFAULT_THREADS)))
    except ValueError:
        return DEFAULT_THREADS
