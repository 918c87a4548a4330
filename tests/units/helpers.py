"""Data shared by the unit tests."""

from __future__ import annotations

from typing import Any


def unit_form(code: str = "AM-MOI", /, **overrides: Any) -> dict[str, str]:
    """Return the POST data of the unit form: a new commune at the top, unless overridden."""
    data = {"code": code, "name": "UBND xã Mới", "kind": "commune", "parent_id": "0", "reference_prefix": "",
            "approval_required": "y", "phone": "", "email": "", "address": "", "portal_url": "",
            "intake_overseer_id": "0"}
    data.update(overrides)
    return data
