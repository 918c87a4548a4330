"""The composition root: wire extensions, features, blueprints, CLI commands and event subscribers.

This is the one module that knows every feature. ``spokes.core`` (the ground floor) imports no
feature; features import ``core`` and each other's models, services and labels at module level,
and announce what happened through the signals in ``spokes.core.events``, to which other features
subscribe here (``register_subscribers``). See docs/architecture.md.
"""

from __future__ import annotations

import hmac

from flask import Flask, has_request_context
from flask_login import current_user

from spokes.extensions import csrf, limiter, login_manager, migrate


def init_app(app: Flask) -> None:
    """Bind every extension and cross-cutting concern."""
    from spokes.core.db import init_db, render_migration_type
    from spokes.core.errors import register_error_handlers
    from spokes.core.i18n import init_i18n
    from spokes.core.jinja import init_jinja
    from spokes.core.logs import init_logging
    from spokes.core.security import init_security
    from spokes.extensions import db

    init_logging(app)
    from spokes.core import redact

    redact.install()  # tracking links never reach an access log in clear
    import_models()
    init_db(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True,
                    compare_type=True, render_item=render_migration_type)
    csrf.init_app(app)
    limiter.init_app(app)
    init_i18n(app)
    init_jinja(app)
    _register_label_filters(app)
    init_security(app)
    register_error_handlers(app)
    _init_login(app)
    _require_password_change(app)
    _init_template_context(app)


def init_page_cache(app: Flask) -> None:
    """Put the shared page cache in front of the app, and keep signed-in pages (after the blueprints exist)."""
    from spokes.core.pagecache import init_page_cache as init
    from spokes.core.personal_pages import init_personal_pages

    init(app)
    init_personal_pages(app)


def register_health_checks(app: Flask) -> None:
    """Add the features' parts to /healthz (core knows only the database and Redis)."""
    from spokes.core.views import HEALTH_CHECKS
    from spokes.notifications.services import outbox_health

    app.extensions.setdefault(HEALTH_CHECKS, {})["outbox"] = outbox_health


def _register_label_filters(app: Flask) -> None:
    """Expose code → label filters and the deadline badge to templates."""
    from spokes.auth.permissions import ROLE_LABELS
    from spokes.deadlines import reader
    from spokes.deadlines.rulebook import public_explanation
    from spokes.press_requests import labels
    from spokes.units.labels import designation_kind_label, unit_kind_label

    app.jinja_env.filters.update(
        unit_kind_label=unit_kind_label,
        designation_kind_label=designation_kind_label,
        type_label=labels.type_label,
        channel_label=labels.channel_label,
        state_label=labels.state_label,
        due_status=labels.due_status,
        due_in_words=labels.due_in_words,
        role_label=lambda role: ROLE_LABELS.get(role, role),
        # What a journalist may see of a deadline: no confidence wording, no unverified citation.
        public_explanation=public_explanation,
        # Stored deadline explanations (data) as sentences in the reader's language.
        explain_step=reader.explain_step,
        explain_note=reader.explain_note,
        day_name=reader.day_name,
    )
    app.jinja_env.globals["endpoints"] = app.view_functions


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent / "migrations"


def import_models() -> None:
    """Import every model module so the metadata is complete (Alembic and tests need it)."""
    import spokes.admin.models  # noqa: F401 - imported for its tables
    import spokes.audit.models  # noqa: F401
    import spokes.auth.models  # noqa: F401
    import spokes.conferences.models  # noqa: F401
    import spokes.core.search  # noqa: F401
    import spokes.deadlines.models  # noqa: F401
    import spokes.letters.models  # noqa: F401
    import spokes.mailin.models  # noqa: F401
    import spokes.notifications.models  # noqa: F401
    import spokes.attachments.models  # noqa: F401
    import spokes.press_requests.models  # noqa: F401
    import spokes.publishing.models  # noqa: F401
    import spokes.reports.models  # noqa: F401
    import spokes.press_requests.answer_models  # noqa: F401
    import spokes.units.models  # noqa: F401


def _init_login(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l
    from sqlalchemy.orm import lazyload

    from spokes.auth.models import User
    from spokes.extensions import db

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(session_id: str) -> User | None:
        # "id:stamp" (User.get_id): a session opened before the password changed no longer loads.
        user_id, _sep, stamp = session_id.partition(":")
        if not user_id.isdigit() or not stamp or len(user_id) > 10:
            return None
        # Memberships load when a page first asks for them: a kept page (core/personal_pages.py)
        # only needs the person checked, one query.
        user = db.session.get(User, int(user_id), options=[lazyload(User.memberships)])
        if user is None or not hmac.compare_digest(user.session_stamp, stamp):
            return None
        return user


STAFF_PREFIXES = ("/staff", "/admin")


def _require_password_change(app: Flask) -> None:
    """Send a signed-in person with a temporary password to /account/password before any staff page."""
    from flask import flash, redirect, request, url_for
    from flask_babel import gettext as _

    @app.before_request
    def _enforce_password_change() -> object:
        # Runs on every request, so it only looks at the path and at ``current_user`` (loaded by
        # Flask-Login anyway); it issues no query of its own. Public pages and the reset link stay open.
        if not request.path.startswith(STAFF_PREFIXES) or request.endpoint == "auth.reset_password":
            return None
        if getattr(current_user, "is_authenticated", False) and getattr(current_user, "must_change_password", False):
            flash(_("Bạn cần đổi mật khẩu tạm thời trước khi tiếp tục."), "warning")
            return redirect(url_for("auth.change_password"))
        return None


def _init_template_context(app: Flask) -> None:
    """Expose the policies and per-page values that the base layout shows."""
    from flask_babel import get_locale

    from spokes.auth import policies
    from spokes.auth.permissions import Permission, Role
    from spokes.core.language_switch import language_choices
    from spokes.navigation import public_nav, staff_nav

    @app.context_processor
    def _context() -> dict[str, object]:
        return {
            "P": Permission,
            "Role": Role,
            "can": policies.has_permission,
            "policies": policies,
            "get_locale": get_locale,
            "public_nav": public_nav(app),
            "staff_nav": staff_nav(app, current_user),
            # No plain language link on a page that answers a form (it would be lost).
            "language_choices": language_choices() if has_request_context() else [],
        }


def register_blueprints(app: Flask) -> None:
    """Import and register each feature's blueprint."""
    from spokes.core.params import IdConverter

    # Before any rule is added: every <int:…> in a URL is bounded, so a huge id is a 404.
    app.url_map.converters["int"] = IdConverter
    from spokes.admin.views import bp as admin_bp
    from spokes.api.views import bp as api_bp
    from spokes.audit.views import bp as audit_bp
    from spokes.auth.views import bp as auth_bp
    from spokes.conferences.views import bp as conferences_bp
    from spokes.core.views import bp as core_bp
    from spokes.dashboard.views import bp as dashboard_bp
    from spokes.deadlines.views import bp as deadlines_bp
    from spokes.handbook.views import bp as handbook_bp
    from spokes.letters.views import bp as letters_bp
    from spokes.notifications.views import bp as notifications_bp
    from spokes.portal.views import bp as portal_bp
    from spokes.press_requests.views import bp as press_requests_bp
    from spokes.mailin.views import bp as mailin_bp
    from spokes.publishing.views import bp as publishing_bp
    from spokes.reports.views import bp as reports_bp
    from spokes.units.views import bp as units_bp

    for blueprint in (
        core_bp, auth_bp, dashboard_bp, publishing_bp, press_requests_bp, portal_bp, deadlines_bp,
        api_bp, admin_bp, units_bp, audit_bp, reports_bp, notifications_bp, handbook_bp, letters_bp,
        conferences_bp, mailin_bp,
    ):
        app.register_blueprint(blueprint)


def register_subscribers(app: Flask) -> None:
    """Connect the features that listen to the domain events (spokes.core.events) to them."""
    from spokes.notifications import events as notification_events
    from spokes.reports import events as report_events

    notification_events.subscribe()
    report_events.subscribe()


def register_cli(app: Flask) -> None:
    """Register the flask CLI commands."""
    from spokes.cli import register

    register(app)
