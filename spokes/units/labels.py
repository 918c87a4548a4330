"""The words for unit kinds and designation kinds (template filters ``unit_kind_label``, ``designation_kind_label``)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from spokes.units.models import DesignationKind, UnitKind

UNIT_KIND_LABELS: dict[str, Any] = {
    UnitKind.PROVINCE.value: _l("Tỉnh, thành phố"),
    UnitKind.DEPARTMENT.value: _l("Sở, ban, ngành"),
    UnitKind.COMMUNE.value: _l("Xã"),
    UnitKind.WARD.value: _l("Phường"),
    UnitKind.SPECIAL_ZONE.value: _l("Đặc khu"),
    UnitKind.HAMLET.value: _l("Ấp, khu phố"),
    UnitKind.OTHER.value: _l("Khác"),
    UnitKind.DISTRICT.value: _l("Cấp huyện (trước 01/7/2025)"),
    UnitKind.TOWN.value: _l("Thị trấn (trước 01/7/2025)"),
}

DESIGNATION_KIND_LABELS: dict[str, Any] = {
    DesignationKind.HEAD.value: _l("Người đứng đầu đơn vị (chịu trách nhiệm phát ngôn)"),
    DesignationKind.DESIGNATED.value: _l("Người được giao nhiệm vụ phát ngôn"),
    DesignationKind.AUTHORISED.value: _l("Người được ủy quyền phát ngôn (từng vụ việc, có thời hạn)"),
}


def unit_kind_label(code: str | None) -> Any:
    """Return the label of a unit kind."""
    return UNIT_KIND_LABELS.get(code or "", code or "")


def designation_kind_label(code: str | None) -> Any:
    """Return the label of a designation kind."""
    return DESIGNATION_KIND_LABELS.get(code or "", code or "")
