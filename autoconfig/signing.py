"""Profile-signing material: checked at start so a bad certificate never reaches a client."""

from __future__ import annotations

from .model import MobileConfigOptions


def check_signing_material(options: MobileConfigOptions) -> list[str]:
    """Problems with the signing files, each as `key: what is wrong`; empty when usable."""
    problems: list[str] = []
    for key in ("signing_cert", "signing_key", "signing_chain"):
        path = getattr(options, key)
        if path is not None and not path.is_file():
            problems.append(f"{key}: file not found: {path}")
    return problems
