"""The footer's language switch, which must never throw away a page that answers a form.

A language link reloads the page's address with GET. For a page read by GET that is the
same page in the other language. For a page that answers a POST (the /ask confirmation with
its one-time tracking link, a form sent back with errors, an error page after a post) the
address alone is an empty form: what the page showed, or what was typed, would be gone. So
such a page offers no link; it names the other language and says, in that language, to
switch on the next page.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

# Each language is named in itself, whatever the page's language.
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
SAFE_METHODS = ("GET", "HEAD")


@dataclass(frozen=True)
class LanguageChoice:
    """One language in the footer: a link back to this page in it, or a note why there is none."""

    code: str
    name: str
    href: str | None
    note: str | None = None


def language_choices() -> list[LanguageChoice]:
    """Return the footer's language switch for the current request."""
    languages = current_app.config["LANGUAGES"]
    if request.method in SAFE_METHODS:
        return [LanguageChoice(code, LANGUAGE_NAMES.get(code, code),
                               url_for("core.set_language", code=code, next=request.full_path))
                for code in languages]
    current = str(get_locale())
    choices = []
    for code in languages:
        if code == current:
            continue
        with force_locale(code):
            note = _("Trang này là kết quả của biểu mẫu vừa gửi và sẽ mất nếu đổi ngôn ngữ tại đây; "
                     "hãy đổi ngôn ngữ ở trang tiếp theo.")
        choices.append(LanguageChoice(code, LANGUAGE_NAMES.get(code, code), None, note))
    return choices
