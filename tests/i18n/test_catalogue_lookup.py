"""The request's message catalogue is found once, and a language forced inside the request still gets its own."""

from __future__ import annotations

from unittest import mock

from flask_babel import Domain, force_locale, get_domain, get_translations, gettext, lazy_gettext

from spokes.core.i18n import RequestDomain


def test_one_request_looks_its_catalogue_up_once(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert isinstance(get_domain(), RequestDomain)
        with mock.patch.object(Domain, "get_translations", autospec=True, side_effect=Domain.get_translations) as found:
            words = [gettext("Hạn trả lời"), str(lazy_gettext("Hạn trả lời")), gettext("Đơn vị")]
            assert found.call_count == 1
        assert words == ["Answer due", "Answer due", "Unit"]
        assert get_translations() is get_translations()


def test_a_language_forced_inside_a_request_gets_its_own_catalogue_and_gives_it_back(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert gettext("Hạn trả lời") == "Answer due"
        with force_locale("vi"):
            assert gettext("Hạn trả lời") == "Hạn trả lời"
            template = app.jinja_env.from_string("{{ _('Hạn trả lời') }}")
            assert template.render() == "Hạn trả lời"
        assert gettext("Hạn trả lời") == "Answer due"
        assert app.jinja_env.from_string("{{ _('Hạn trả lời') }}").render() == "Answer due"


def test_a_job_outside_any_request_translates_in_the_language_it_forces(app):
    with app.app_context():  # the CLI and the periodic job: no request, one long app context
        assert gettext("Hạn trả lời") == "Hạn trả lời"
        with force_locale("en"):  # a mail to an English-speaking journalist
            assert gettext("Hạn trả lời") == "Answer due"
        assert gettext("Hạn trả lời") == "Hạn trả lời"
