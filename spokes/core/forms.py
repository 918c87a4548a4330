"""Form fields shared by every feature."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")  # the HTML date input sends ISO; a plain text box gets dd/mm/yyyy


class VnDateField(DateField):
    """A date typed as an HTML date (yyyy-mm-dd) or as dd/mm/yyyy."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        """Build the field with both accepted formats."""
        super().__init__(label, validators, format=list(DATE_FORMATS), **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the date, with a Vietnamese message when it cannot be read."""
        self.data = None
        text = " ".join(str(v) for v in valuelist).strip() if valuelist else ""
        if not text:
            return
        for fmt in DATE_FORMATS:
            try:
                self.data = datetime.strptime(text, fmt).date()
                return
            except ValueError:
                continue
        raise ValueError(_l("Ngày không hợp lệ; hãy nhập theo dạng dd/mm/yyyy."))
