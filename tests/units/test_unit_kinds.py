"""Issue 16, point 2: the unit kinds of the two-level system; districts and towns only as history."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from spokes.core.errors import DomainError
from spokes.extensions import db
from spokes.units import services as units_svc
from spokes.units.models import HISTORICAL_KINDS, Unit, UnitKind
from tests.units.helpers import unit_form


def _form(**overrides):
    return unit_form("AG-MOI", **overrides)


def _offered(page: str) -> set[str]:
    select_html = page[page.index('name="kind"'):]
    select_html = select_html[:select_html.index("</select>")]
    return {kind.value for kind in UnitKind if f'value="{kind.value}"' in select_html}


def test_kinds_of_the_two_level_system():
    assert {k.value for k in UnitKind} >= {"province", "department", "commune", "ward", "special_zone", "district", "town"}
    assert HISTORICAL_KINDS == {"district", "town"}


def test_new_unit_form_offers_no_historical_kind(client, district, as_admin):
    offered = _offered(client.get("/admin/units/new").get_data(as_text=True))
    assert {"province", "department", "commune", "ward", "special_zone"} <= offered
    assert not offered & HISTORICAL_KINDS


@pytest.mark.parametrize("kind", sorted(HISTORICAL_KINDS))
def test_an_active_unit_cannot_be_made_a_district_or_town(client, district, as_admin, kind):
    response = client.post("/admin/units/new", data=_form(parent_id=str(district["district"].id), kind=kind))
    assert response.status_code == 400
    assert db.session.execute(select(Unit).where(Unit.code == "AG-MOI")).first() is None
    with pytest.raises(DomainError, match="01/7/2025"):
        units_svc.create_unit(None, units_svc.UnitData(code="AG-MOI", name="UBND thị trấn Mới", kind=kind,
                                                       parent_id=district["district"].id))
    vk = district["vk"]
    with pytest.raises(DomainError, match="01/7/2025"):
        units_svc.update_unit(None, vk, units_svc.UnitData(code=vk.code, name=vk.name, kind=kind))


def test_an_inactive_unit_may_keep_or_take_a_historical_kind(client, district, as_admin):
    vk = district["vk"]
    vk.is_active = False
    db.session.commit()
    offered = _offered(client.get(f"/admin/units/{vk.id}").get_data(as_text=True))
    assert HISTORICAL_KINDS <= offered
    assert units_svc.update_unit(None, vk, units_svc.UnitData(code=vk.code, name="UBND thị trấn Vân Khánh", kind="town"))
    assert vk.kind == "town"


def test_an_active_district_left_from_before_keeps_its_kind_when_edited(client, district, as_admin):
    am = district["district"]  # an active district, as imported before the reform
    offered = _offered(client.get(f"/admin/units/{am.id}").get_data(as_text=True))
    assert "district" in offered and "town" not in offered
    units_svc.update_unit(None, am, units_svc.UnitData(code=am.code, name=am.name + " (cũ)", kind="district"))
    assert am.kind == "district"
