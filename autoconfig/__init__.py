"""autoconfig: mail client autoconfiguration, account diagnostics and POP3/IMAP advice."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from .config import config_path_from_env, load_config
from .model import Config
from .services import Services
from .version import __version__

__all__ = ["__version__", "create_app"]


def _template_folder() -> str:
    """Templates ship inside the wheel; in a checkout they stand at the top level."""
    packaged = Path(__file__).with_name("templates")
    return str(packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "templates")


def create_app(config: Config | str | Path | None = None) -> Flask:
    """Build the WSGI app; without an argument read the file AUTOCONFIG_CONFIG names (or the demo)."""
    from .web import init_app
    from .web.context import install

    if not isinstance(config, Config):
        config = load_config(config if config is not None else config_path_from_env())
    app = Flask(__name__, template_folder=_template_folder())
    install(app, Services.build(config))
    init_app(app)
    return app
