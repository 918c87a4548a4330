"""Spokes: press-spokesperson workflow tracker for Vietnamese local government."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask application: load config layers, bind extensions, register features."""
    from config import CONFIGS, ENV_KEYS, env_name

    instance_path = os.environ.get("SPOKES_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=os.path.abspath(instance_path),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )

    name = (config or {}).get("ENV_NAME") or env_name()
    if name not in CONFIGS:
        raise RuntimeError(f"Unknown SPOKES_ENV {name!r}; use one of {sorted(CONFIGS)}")
    app.config.from_object(CONFIGS[name])
    app.config.from_pyfile("config.py", silent=True)
    for key in ENV_KEYS:
        if os.environ.get(key):
            app.config[key] = os.environ[key]
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if config:
        app.config.update(config)

    _finish_config(app)
    _trust_proxies(app)

    from spokes import app as root

    root.init_app(app)
    root.register_blueprints(app)
    root.register_cli(app)
    root.register_subscribers(app)
    root.register_health_checks(app)
    root.init_page_cache(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Read the client address and scheme from SPOKES_TRUSTED_PROXIES proxies, and only then.

    Without it, X-Forwarded-For is ignored: anyone could otherwise pick the address that rate
    limits key on. The Host header is never taken from the proxy (links use PUBLIC_BASE_URL).
    """
    raw = str(app.config.get("SPOKES_TRUSTED_PROXIES") or "0").strip()
    if not raw.isdigit() or int(raw) > 5:
        raise RuntimeError(f"SPOKES_TRUSTED_PROXIES must be a number of proxies from 0 to 5, not {raw!r}")
    hops = int(raw)
    app.config["SPOKES_TRUSTED_PROXIES"] = hops
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def _check_public_base_url(app: Flask) -> None:
    """In production, require PUBLIC_BASE_URL: absolute links (e-mails, feeds, API) never come from Host."""
    from urllib.parse import urlsplit

    base = (app.config.get("PUBLIC_BASE_URL") or "").strip()
    if base:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise RuntimeError(f"PUBLIC_BASE_URL must be an absolute http(s) address such as "
                               f"https://spokes.example.gov.vn, not {base!r}")
        app.config["PUBLIC_BASE_URL"] = base.rstrip("/")
    elif app.config.get("ENV_NAME") == "production":
        raise RuntimeError(
            "PUBLIC_BASE_URL is not set. In production, links in e-mails, feeds and the API are built "
            "from it, never from the Host header of a request; set it, e.g. https://spokes.example.gov.vn."
        )


def _finish_config(app: Flask) -> None:
    """Derive settings that depend on others, and refuse unsafe production settings."""
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "SECRET_KEY is not set. Set it in the environment or in instance/config.py "
            "(production refuses to start without one)."
        )
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        os.makedirs(app.instance_path, exist_ok=True)
        uri = "sqlite:///" + os.path.join(app.instance_path, "spokes.sqlite")
    if uri.startswith("postgres://"):
        uri = "postgresql://" + uri[len("postgres://"):]
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri[len("postgresql://"):]
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    personal = app.config.get("PERSONAL_PAGE_CACHE", True)
    if isinstance(personal, str):  # from the environment
        personal = personal.strip().lower() not in ("0", "false", "no", "off")
    app.config["PERSONAL_PAGE_CACHE"] = bool(personal)
    limiter_uri = str(app.config.get("RATELIMIT_STORAGE_URI") or "")
    if limiter_uri.startswith(("redis://", "rediss://", "redis+unix://", "redis+sentinel://", "redis+cluster://")):
        timeout = float(app.config.get("REDIS_TIMEOUT_SECONDS") or 0.5)
        storage_options = dict(app.config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        storage_options.setdefault("socket_connect_timeout", timeout)
        storage_options.setdefault("socket_timeout", timeout)
        app.config["RATELIMIT_STORAGE_OPTIONS"] = storage_options
    _check_public_base_url(app)
    if uri.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000)
        options["connect_args"] = connect_args
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
