"""Language choice (Vietnamese first, English second) and catalogue compilation."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import Babel, Domain, get_locale
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept

log = logging.getLogger(__name__)

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


class RequestDomain(Domain):
    """Flask-Babel's message domain, which finds the catalogue once per request and language.

    Flask-Babel looks the catalogue up again for every string it translates (the request's
    Babel state, the locale, the locale's name, a dictionary); a staff page translates a few
    hundred strings. The catalogue found is kept on ``g`` with the locale it is for, so a
    ``force_locale`` block (which sets another locale) still gets its own.
    """

    def get_translations(self) -> Any:
        if not g:  # outside an app context: Flask-Babel's own answer (no translations)
            return super().get_translations()
        locale = get_locale()
        kept = g.get("_spokes_catalogue")
        if kept is None or kept[0] is not locale:
            kept = g._spokes_catalogue = (locale, super().get_translations())
        return kept[1]


class RequestBabel(Babel):
    """Flask-Babel, with the message domain that keeps the request's catalogue (``RequestDomain``)."""

    @cached_property
    def domain_instance(self) -> Domain:
        return RequestDomain(domain=self.domain)


def select_locale() -> str:
    """Pick the language: an explicit choice in the session, the user's setting, then Vietnamese."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and background jobs speak Vietnamese unless told otherwise
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return user_locale
    return locale_for_browser(request.accept_languages, languages, current_app.config["BABEL_DEFAULT_LOCALE"])


def reader_language() -> str:
    """Return the language of the page being made ("vi" or "en"); Vietnamese outside a request."""
    locale = get_locale()
    return locale.language if locale is not None else "vi"


def locale_for_browser(accept: LanguageAccept, languages: Sequence[str], default: str) -> str:
    """Return the language for a visitor who chose none: Vietnamese, unless the browser wants only English.

    The page cache keys anonymous pages with this same answer.
    """
    best = accept.best_match(languages)
    if best == "en" and not accept.best_match(["vi"]):
        return "en"
    return default


def compile_catalogues(directory: Path = TRANSLATIONS_DIR) -> int:
    """Compile every .po file whose .mo is missing or older; return how many were compiled.

    The .po files are the source of truth in the repository; .mo files are build output.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    compiled = 0
    for po_path in directory.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as fh:
            catalog = read_po(fh)
        tmp = mo_path.with_suffix(".mo.tmp")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog)
        tmp.replace(mo_path)  # atomic, so a second process never reads half a file
        compiled += 1
    return compiled


def init_i18n(app: Flask) -> None:
    """Bind Flask-Babel with our locale selector, compiling catalogues first if needed."""
    from spokes.extensions import babel

    try:
        compile_catalogues()
    except OSError:  # a read-only install keeps working with whatever .mo files exist
        log.warning("Could not compile translation catalogues", exc_info=True)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(TRANSLATIONS_DIR),
    )


def stored_in_vietnamese():
    """Return a context in which ``_()`` gives Vietnamese, for system texts kept in the database.

    An assignment reason written while an English-speaking journalist submits a question must
    still be stored in the product's language; pages translate it back when they show it
    (``stored_text`` filter).
    """
    from flask_babel import force_locale

    return force_locale(current_app.config["BABEL_DEFAULT_LOCALE"])
