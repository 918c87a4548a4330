"""Form messages in the reader's language: WTForms's own messages too, and a date that cannot be read."""

from __future__ import annotations

import pytest
from flask import session
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from spokes.core.forms import BoundedDateField, Form, VnDateTimeField


class _Sample(Form):
    name = StringField("Tên", validators=[DataRequired(), Length(max=5)])
    count = IntegerField("Số")
    kind = SelectField("Loại", choices=[SelectChoice("a", "A")])
    signed_on = BoundedDateField("Ngày ký", validators=[DataRequired("Vui lòng nhập ngày ký.")])
    event_at = VnDateTimeField("Thời điểm")


def _errors(app, lang: str, data: dict[str, str]) -> dict[str, list[str]]:
    with app.test_request_context("/", method="POST"):
        session["lang"] = lang
        form = _Sample(formdata=MultiDict(data), meta={"csrf": False})
        form.validate()
        return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


@pytest.mark.parametrize("lang, expected", [
    ("vi", {"name": ["Không được để trống."], "count": ["Phải là một số nguyên."], "kind": ["Lựa chọn không hợp lệ."]}),
    ("en", {"name": ["This field is required."], "count": ["Not a valid integer value."],
            "kind": ["Not a valid choice."]}),
])
def test_wtforms_own_messages_speak_the_readers_language(app, lang, expected):
    errors = _errors(app, lang, {"name": "", "count": "abc", "kind": "z", "signed_on": "01/12/2026"})
    assert {k: v for k, v in errors.items() if k in expected} == expected


def test_a_length_limit_says_its_number_in_vietnamese(app):
    assert _errors(app, "vi", {"name": "abcdefg", "signed_on": "01/12/2026"})["name"] == ["Không được dài quá 5 ký tự."]


def test_a_date_that_cannot_be_read_is_not_called_missing(app):
    errors = _errors(app, "vi", {"name": "a", "signed_on": "31/02/2026", "event_at": "31/02/2026 10:00"})
    assert errors["signed_on"] == ["Ngày không hợp lệ; hãy nhập theo dạng dd/mm/yyyy."]
    assert errors["event_at"] == ["Ngày giờ không hợp lệ; hãy nhập theo dạng dd/mm/yyyy HH:MM."]
    # A field's own wording of the problem is kept.
    with app.test_request_context("/", method="POST"):
        session["lang"] = "vi"

        class _Own(Form):
            day = BoundedDateField("Ngày", invalid_value_message="Ngày không hợp lệ; hãy nhập theo dạng ngày/tháng/năm.")

        form = _Own(formdata=MultiDict({"day": "31/02/2026"}), meta={"csrf": False})
        form.validate()
        assert form.errors["day"] == ["Ngày không hợp lệ; hãy nhập theo dạng ngày/tháng/năm."]
    # Left empty, the required date still asks for itself.
    assert _errors(app, "vi", {"name": "a", "signed_on": ""})["signed_on"] == ["Vui lòng nhập ngày ký."]
