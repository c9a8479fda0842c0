"""From an address (or just a domain) to the Settings every format renders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .addresses import normalize_domain, parse_address
from .directory import Admit, Directory
from .errors import UnknownDomain
from .memo import Memo
from .model import (
    PLACEHOLDER_ADDRESS,
    PLACEHOLDER_DOMAIN,
    PLACEHOLDER_LOCALPART,
    Address,
    DavService,
    Provider,
    ResolvedDav,
    ResolvedServer,
    Settings,
)

T = TypeVar("T")


def expand(template: str, address: Address | None, domain: str) -> str:
    """Fill the Thunderbird placeholders; without an address only the domain is known."""
    text = template.replace(PLACEHOLDER_DOMAIN, domain)
    if address is not None:
        text = text.replace(PLACEHOLDER_ADDRESS, address.email).replace(PLACEHOLDER_LOCALPART, address.local)
    return text


def resolve(provider: Provider, domain: str, domain_unicode: str, address: Address | None) -> Settings:
    servers = tuple(
        ResolvedServer(
            protocol=s.protocol,
            hostname=s.hostname.replace(PLACEHOLDER_DOMAIN, domain),
            port=s.port,
            security=s.security,
            auth_methods=s.auth_methods,
            username=expand(provider.username, address, domain) if address else provider.username,
        )
        for s in provider.servers
    )
    dav = tuple(resolve_dav(d, address, domain) for d in provider.dav)
    return Settings(
        provider=provider, domain=domain, domain_unicode=domain_unicode, address=address, servers=servers, dav=dav
    )


def resolve_dav(service: DavService, address: Address | None, domain: str) -> ResolvedDav:
    """The URL's path and the user name filled for `address`; host and port are literal (as validated)."""
    url = expand(service.url, address, domain)
    parts = urlsplit(url)
    return ResolvedDav(
        type=service.type,
        url=url,
        hostname=parts.hostname or "",
        port=parts.port or 443,
        path=parts.path or "/",
        username=expand(service.username, address, domain) if address else service.username,
    )


def settings_for_address(directory: Directory, raw: str | None, memo: Memo | None = None,
                         admit: Admit | None = None) -> Settings:
    """Settings for a typed address; InvalidAddress or UnknownDomain when there are none.

    The directory is asked every time (its domains file may change); parsing and expanding,
    pure functions of their inputs, may be remembered in `memo`.
    """
    call = memo or _direct
    address = call(parse_address, raw)
    provider = directory.lookup(address.domain, admit)
    if provider is None:
        raise UnknownDomain(f"no provider serves the domain {address.domain_unicode}")
    return call(resolve, provider, address.domain, address.domain_unicode, address)


def _direct(fn: Callable[..., T], *args: Any) -> T:
    return fn(*args)


def settings_for_domain(directory: Directory, raw: str, admit: Admit | None = None) -> Settings:
    """Settings with placeholders for user names, for clients that only say their domain."""
    domain, domain_unicode = normalize_domain(raw)
    provider = directory.lookup(domain, admit)
    if provider is None:
        raise UnknownDomain(f"no provider serves the domain {domain_unicode}")
    return resolve(provider, domain, domain_unicode, None)
