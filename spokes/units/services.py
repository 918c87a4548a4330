"""Unit tree maintenance and spokesperson directory rules."""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from spokes.attachments.store import PUBLIC_KINDS, Upload, store
from spokes.audit import services as audit
from spokes.auth.models import User
from spokes.auth.permissions import Permission
from spokes.core.clock import now, today_vn
from spokes.core.errors import DomainError, NotAllowed
from spokes.core.text import fold
from spokes.extensions import db
from spokes.press_requests.models import OPEN_STATES, PressRequest
from spokes.units.models import HISTORICAL_KINDS, Designation, DesignationKind, Unit, UnitKind
from spokes.units.policies import can_create_root_unit, can_manage_unit, can_manage_unit_designations, scope_condition

log = logging.getLogger(__name__)


def current_designation_filter(on: date) -> Any:
    """Return the SQL condition for a designation in force on a date."""
    return and_(
        Designation.revoked_at.is_(None),
        Designation.valid_from <= on,
        or_(Designation.valid_to.is_(None), Designation.valid_to >= on),
    )


@dataclass
class PublicSpeaker:
    """A current designation as the public sees it (SP-07): no private data.

    The one read model of a published spokesperson: the directory, the publishing pages,
    the handbook and the public API all show this.
    """

    kind: str
    name: str
    title: str
    phone: str | None
    email: str | None
    document_number: str
    document_date: date
    valid_from: date
    valid_to: date | None
    topic: str | None
    unit: Unit | None = None

    @classmethod
    def of(cls, d: Designation, *, with_unit: bool = False) -> PublicSpeaker:
        """Return what the public may see of a designation (its user loaded)."""
        return cls(kind=d.kind, name=d.user.name, title=d.title or d.user.title or "", phone=d.public_phone,
                   email=d.public_email, document_number=d.document_number, document_date=d.document_date,
                   valid_from=d.valid_from, valid_to=d.valid_to, topic=d.topic, unit=d.unit if with_unit else None)


_KIND_ORDER = {DesignationKind.DESIGNATED.value: 0, DesignationKind.HEAD.value: 1, DesignationKind.AUTHORISED.value: 2}


def designation_in_force(user: Any, unit: Unit, on: date | None = None) -> Designation | None:
    """Return the newest designation by which the person speaks for the unit on a day (today by default), or None."""
    return db.session.execute(
        select(Designation).where(
            Designation.unit_id == unit.id, Designation.user_id == user.id,
            current_designation_filter(on or today_vn()),
        ).order_by(Designation.valid_from.desc(), Designation.id.desc()).limit(1)
    ).scalar_one_or_none()


def published_designations(on: date) -> Select[Any]:
    """Return the query of the designations the public sees on a day (SP-07).

    In force that day, held by an active person in an active unit; the person and the unit
    are joined, so callers may order by them or load them with ``contains_eager``.
    """
    return (
        select(Designation)
        .join(User, User.id == Designation.user_id)
        .join(Unit, Unit.id == Designation.unit_id)
        .where(current_designation_filter(on), User.active.is_(True), Unit.is_active.is_(True))
    )


def current_speakers(unit: Unit | None = None, on: date | None = None) -> list[PublicSpeaker]:
    """Return the current designations (of one unit, or of every active unit): one query."""
    stmt = (
        published_designations(on or today_vn())
        .options(contains_eager(Designation.user), contains_eager(Designation.unit))
        .order_by(Unit.path, Designation.valid_from, Designation.id)
    )
    if unit is not None:
        stmt = stmt.where(Designation.unit_id == unit.id)
    rows = db.session.execute(stmt).scalars().unique().all()
    speakers = [PublicSpeaker.of(d, with_unit=True) for d in rows]
    if unit is not None:
        speakers.sort(key=lambda s: _KIND_ORDER.get(s.kind, 9))
    return speakers


def set_parent(unit: Unit, parent: Unit | None) -> None:
    """Place a unit under a parent and refresh the materialised paths of its subtree."""
    old_path = unit.path if unit.id else None
    unit.parent = parent
    db.session.flush()  # the unit needs its id before its path can be built
    unit.path = (parent.path if parent else "/") + f"{unit.id}/"
    unit.depth = (parent.depth + 1) if parent else 0
    if old_path and old_path != unit.path:
        for child in db.session.execute(
            select(Unit).where(Unit.path.startswith(old_path), Unit.id != unit.id)
        ).scalars():
            child.path = unit.path + child.path[len(old_path):]
            child.depth = child.path.count("/") - 2
    db.session.flush()


def default_prefix(code: str) -> str:
    """Return a reference prefix from a unit code (AM-DHU → AM-DHU)."""
    return fold(code).upper().replace(" ", "")[:20] or "SP"


def upsert_units(rows: Iterable[dict[str, str]]) -> tuple[int, int]:
    """Create or update units from rows with code, name, kind and parent_code; return (created, updated).

    Rows may come in any order as long as every parent appears in the rows or the database.
    """
    created = updated = 0
    pending = list(rows)
    by_code = {u.code: u for u in db.session.execute(select(Unit)).scalars()}
    progress = True
    while pending and progress:
        progress = False
        for row in list(pending):
            parent_code = (row.get("parent_code") or "").strip() or None
            if parent_code and parent_code not in by_code:
                continue
            parent = by_code.get(parent_code) if parent_code else None
            code = row["code"].strip()
            unit = by_code.get(code)
            kind = UnitKind(row["kind"].strip()).value
            if unit is None:
                unit = Unit(code=code, name=row["name"].strip(), name_folded=fold(row["name"]), kind=kind,
                            reference_prefix=default_prefix(code))
                db.session.add(unit)
                set_parent(unit, parent)
                by_code[code] = unit
                created += 1
            elif (unit.name, unit.kind, unit.parent_id) != (row["name"].strip(), kind, parent.id if parent else None):
                unit.name = row["name"].strip()
                unit.name_folded = fold(unit.name)
                unit.kind = kind
                if unit.parent_id != (parent.id if parent else None):
                    set_parent(unit, parent)
                updated += 1
            pending.remove(row)
            progress = True
    if pending:
        missing = ", ".join(sorted({r.get("parent_code", "") for r in pending}))
        raise ValueError(f"Unknown parent unit code(s): {missing}")
    db.session.flush()
    return created, updated


def read_units_csv(text: str) -> list[dict[str, str]]:
    """Parse a units CSV (code, name, kind, parent_code)."""
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _publishes_speaker(on: date) -> Any:
    """The SQL condition "Unit publishes a head or designated spokesperson in force on ``on``"."""
    return exists().where(
        Designation.unit_id == Unit.id,
        Designation.kind.in_([DesignationKind.HEAD.value, DesignationKind.DESIGNATED.value]),
        current_designation_filter(on),
    )


def units_without_spokesperson(user: Any, on: date | None = None) -> list[Unit]:
    """Return active units in the user's reach that publish no head or designated spokesperson."""
    scope = scope_condition(user, Permission.VIEW_REPORTS)
    stmt = select(Unit).where(Unit.is_active.is_(True), scope, ~_publishes_speaker(on or today_vn())).order_by(Unit.path)
    return list(db.session.execute(stmt).scalars())


# --------------------------------------------------------------------------- unit maintenance (admin)

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
PREFIX_RE = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_CHAIN = 50  # merged_into chains are short; the cap only guards against a corrupted cycle


@dataclass
class UnitData:
    """The editable facts of a unit, as typed in a form or read from an import row."""

    code: str
    name: str
    kind: str
    parent_id: int | None = None
    reference_prefix: str | None = None
    approval_required: bool = True
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    portal_url: str | None = None
    intake_overseer_id: int | None = None

    def cleaned(self) -> UnitData:
        """Return a copy with surrounding spaces trimmed and blanks turned into None."""
        def opt(value: str | None) -> str | None:
            value = (value or "").strip()
            return value or None

        return UnitData(
            code=(self.code or "").strip(), name=" ".join((self.name or "").split()), kind=(self.kind or "").strip(),
            parent_id=self.parent_id, reference_prefix=opt(self.reference_prefix and self.reference_prefix.upper()),
            approval_required=bool(self.approval_required), phone=opt(self.phone), email=opt(self.email and self.email.lower()),
            address=opt(self.address), portal_url=opt(self.portal_url), intake_overseer_id=self.intake_overseer_id,
        )


def unit_field_problems(data: UnitData) -> dict[str, str]:
    """Return {field: Vietnamese message} for every value of the unit that is malformed.

    Only checks one value at a time; uniqueness and the tree are checked by the services.
    """
    problems: dict[str, str] = {}
    if not data.code:
        problems["code"] = _("Vui lòng nhập mã đơn vị.")
    elif len(data.code) > 40 or not CODE_RE.match(data.code):
        problems["code"] = _("Mã đơn vị chỉ gồm chữ cái không dấu, chữ số, dấu chấm, gạch ngang, gạch dưới; tối đa 40 ký tự.")
    if not data.name:
        problems["name"] = _("Vui lòng nhập tên đơn vị.")
    elif len(data.name) > 255:
        problems["name"] = _("Tên đơn vị tối đa 255 ký tự.")
    if data.kind not in UnitKind._value2member_map_:
        problems["kind"] = _("Loại đơn vị không hợp lệ; dùng một trong: %(kinds)s.", kinds=", ".join(k.value for k in UnitKind))
    if data.reference_prefix is not None and (len(data.reference_prefix) > 20 or not PREFIX_RE.match(data.reference_prefix)):
        problems["reference_prefix"] = _("Tiền tố mã yêu cầu chỉ gồm chữ in hoa A–Z, chữ số và dấu gạch ngang; tối đa 20 ký tự.")
    if data.phone is not None and len(data.phone) > 40:
        problems["phone"] = _("Số điện thoại tối đa 40 ký tự.")
    if data.email is not None and (len(data.email) > 255 or not EMAIL_RE.match(data.email)):
        problems["email"] = _("Địa chỉ thư điện tử không hợp lệ.")
    if data.address is not None and len(data.address) > 255:
        problems["address"] = _("Địa chỉ tối đa 255 ký tự.")
    if data.portal_url is not None and not is_web_url(data.portal_url):
        problems["portal_url"] = _("Địa chỉ cổng thông tin phải bắt đầu bằng http:// hoặc https://; tối đa 500 ký tự.")
    return problems


def is_web_url(value: str) -> bool:
    """Return whether the value is an absolute http(s) URL of reasonable length."""
    if len(value) > 500 or any(c.isspace() for c in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def prefix_taken(prefix: str, except_unit_id: int | None = None) -> bool:
    """Return whether another unit (active or not) already uses this reference prefix."""
    stmt = select(Unit.id).where(func.upper(Unit.reference_prefix) == prefix.upper())
    if except_unit_id is not None:
        stmt = stmt.where(Unit.id != except_unit_id)
    return db.session.execute(stmt.limit(1)).first() is not None


def unit_snapshot(unit: Unit) -> dict[str, Any]:
    """Return the audited facts of a unit."""
    return {
        "code": unit.code, "name": unit.name, "kind": unit.kind, "parent_id": unit.parent_id,
        "reference_prefix": unit.reference_prefix, "approval_required": unit.approval_required,
        "phone": unit.phone, "email": unit.email, "address": unit.address, "portal_url": unit.portal_url,
        "intake_overseer_id": unit.intake_overseer_id, "is_active": unit.is_active,
        "merged_into_id": unit.merged_into_id,
    }


def _changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _raise_problems(problems: dict[str, str]) -> None:
    if problems:
        raise DomainError(" ".join(problems.values()), status=400)


def _require_unit_rights(actor: Any, unit: Unit | None) -> None:
    """Refuse unless the actor manages the unit (None = the system, e.g. a CLI import)."""
    if actor is None:
        return
    if unit is None:
        if not can_create_root_unit(actor):
            raise NotAllowed(_("Chỉ quản trị viên cấp cao nhất mới được tạo đơn vị không có đơn vị cấp trên."))
    elif not can_manage_unit(actor, unit):
        raise NotAllowed(_("Bạn không có quyền quản trị đơn vị %(name)s.", name=unit.name))


def _refuse_historical_kind(kind: str, unit: Unit | None) -> None:
    """Refuse a district or town kind for a unit that is (or will be) active, unless it already had it."""
    if kind not in HISTORICAL_KINDS:
        return
    if unit is not None and (not unit.is_active or unit.kind == kind):
        return
    raise DomainError(_("Từ 01/7/2025 không còn cấp huyện và thị trấn; loại đơn vị này chỉ dùng cho đơn vị đã ngừng hoạt động."),
                      status=400)


def _resolve_overseer(data: UnitData) -> None:
    if data.intake_overseer_id is None:
        return
    target = db.session.get(Unit, data.intake_overseer_id)
    if target is None or not target.is_active:
        raise DomainError(_("Đơn vị nhận câu hỏi “không rõ đơn vị” phải là một đơn vị đang hoạt động."), status=400)


def _apply_settings(unit: Unit, data: UnitData) -> None:
    unit.name = data.name
    unit.name_folded = fold(data.name)
    unit.kind = data.kind
    unit.approval_required = data.approval_required
    unit.reference_prefix = data.reference_prefix or unit.reference_prefix
    unit.phone = data.phone
    unit.email = data.email
    unit.address = data.address
    unit.portal_url = data.portal_url
    unit.intake_overseer_id = data.intake_overseer_id


def create_unit(actor: Any, data: UnitData) -> Unit:
    """Create a unit under a parent the actor manages; the code and reference prefix must be new."""
    data = data.cleaned()
    _raise_problems(unit_field_problems(data))
    parent = db.session.get(Unit, data.parent_id) if data.parent_id is not None else None
    if data.parent_id is not None and parent is None:
        raise DomainError(_("Không tìm thấy đơn vị cấp trên."), status=400)
    _require_unit_rights(actor, parent)
    if parent is not None and not parent.is_active:
        raise DomainError(_("Đơn vị cấp trên đã ngừng hoạt động."), status=400)
    _refuse_historical_kind(data.kind, None)
    if db.session.execute(select(Unit.id).where(Unit.code == data.code)).first():
        raise DomainError(_("Mã đơn vị %(code)s đã được dùng.", code=data.code), status=400)
    data.reference_prefix = data.reference_prefix or default_prefix(data.code)
    if prefix_taken(data.reference_prefix):
        raise DomainError(_("Tiền tố mã yêu cầu %(prefix)s đã được đơn vị khác dùng.", prefix=data.reference_prefix), status=400)
    _resolve_overseer(data)
    unit = Unit(code=data.code, name=data.name, name_folded=fold(data.name), kind=data.kind,
                reference_prefix=data.reference_prefix)
    _apply_settings(unit, data)
    db.session.add(unit)
    set_parent(unit, parent)
    audit.record("unit.create", actor=actor, obj_type="unit", obj_id=unit.id, unit_id=unit.id,
                 after=unit_snapshot(unit))
    log.info("unit %s created", unit.code)
    return unit


def update_unit(actor: Any, unit: Unit, data: UnitData) -> bool:
    """Change a unit's name, kind and settings (not its code or place); return whether anything changed."""
    _require_unit_rights(actor, unit)
    data = data.cleaned()
    data.code = unit.code  # the code is the unit's key in imports and public links: never renamed
    _raise_problems(unit_field_problems(data))
    _refuse_historical_kind(data.kind, unit)
    if data.reference_prefix and data.reference_prefix != unit.reference_prefix and prefix_taken(data.reference_prefix, unit.id):
        raise DomainError(_("Tiền tố mã yêu cầu %(prefix)s đã được đơn vị khác dùng.", prefix=data.reference_prefix), status=400)
    _resolve_overseer(data)
    before = unit_snapshot(unit)
    _apply_settings(unit, data)
    db.session.flush()
    changed_before, changed_after = _changes(before, unit_snapshot(unit))
    if not changed_after:
        return False
    audit.record("unit.update", actor=actor, obj_type="unit", obj_id=unit.id, unit_id=unit.id,
                 before=changed_before, after=changed_after)
    return True


def move_unit(actor: Any, unit: Unit, new_parent: Unit | None) -> bool:
    """Re-parent a unit with its whole subtree; refuse a move under itself or its descendants."""
    _require_unit_rights(actor, unit)
    _require_unit_rights(actor, new_parent)
    if new_parent is not None and new_parent.path.startswith(unit.path):
        raise DomainError(_("Không thể chuyển đơn vị vào chính nó hoặc đơn vị cấp dưới của nó."), status=400)
    if new_parent is not None and not new_parent.is_active:
        raise DomainError(_("Đơn vị cấp trên mới đã ngừng hoạt động."), status=400)
    if (new_parent.id if new_parent else None) == unit.parent_id:
        return False
    before = {"parent_id": unit.parent_id, "path": unit.path}
    set_parent(unit, new_parent)
    audit.record("unit.move", actor=actor, obj_type="unit", obj_id=unit.id, unit_id=unit.id,
                 before=before, after={"parent_id": unit.parent_id, "path": unit.path})
    return True


def deactivate_unit(actor: Any, unit: Unit) -> None:
    """Stop a unit taking new requests; it and its history stay (units are never hard-deleted)."""

    _require_unit_rights(actor, unit)
    if not unit.is_active:
        raise DomainError(_("Đơn vị đã ngừng hoạt động."), status=409)
    active_children = db.session.execute(select(func.count()).select_from(Unit).where(
        Unit.parent_id == unit.id, Unit.is_active.is_(True))).scalar_one()
    if active_children:
        raise DomainError(_("Đơn vị còn %(n)d đơn vị cấp dưới đang hoạt động; hãy chuyển hoặc ngừng chúng trước.",
                            n=active_children), status=409)
    open_requests = db.session.execute(select(func.count()).select_from(PressRequest).where(
        PressRequest.unit_id == unit.id, PressRequest.state.in_([s.value for s in OPEN_STATES]))).scalar_one()
    if open_requests:
        raise DomainError(_("Đơn vị còn %(n)d yêu cầu đang mở; hãy chuyển yêu cầu hoặc hợp nhất đơn vị thay vì ngừng hoạt động.",
                            n=open_requests), status=409)
    unit.is_active = False
    unit.deactivated_at = now()
    db.session.flush()
    audit.record("unit.deactivate", actor=actor, obj_type="unit", obj_id=unit.id, unit_id=unit.id,
                 before={"is_active": True}, after={"is_active": False})


def reactivate_unit(actor: Any, unit: Unit) -> None:
    """Bring a deactivated unit back (not a merged one: its successor holds its history)."""
    _require_unit_rights(actor, unit)
    if unit.is_active:
        raise DomainError(_("Đơn vị đang hoạt động."), status=409)
    if unit.merged_into_id is not None:
        raise DomainError(_("Đơn vị đã được hợp nhất vào đơn vị khác; không thể hoạt động lại."), status=409)
    if unit.parent is not None and not unit.parent.is_active:
        raise DomainError(_("Đơn vị cấp trên đã ngừng hoạt động."), status=409)
    unit.is_active = True
    unit.deactivated_at = None
    db.session.flush()
    audit.record("unit.reactivate", actor=actor, obj_type="unit", obj_id=unit.id, unit_id=unit.id,
                 before={"is_active": False}, after={"is_active": True})


def resolve_unit(code: str) -> tuple[Unit | None, bool]:
    """Return the unit a code now stands for, following merges, and whether it is a successor.

    ``(None, False)`` for an unknown code. Old unit pages and feeds use this to redirect to the
    unit that absorbed them (``redirected`` is True when ``merged_into_id`` was followed).
    """
    unit = db.session.execute(select(Unit).where(Unit.code == (code or "").strip())).scalar_one_or_none()
    if unit is None:
        return None, False
    seen = {unit.id}
    redirected = False
    for _hop in range(MAX_CHAIN):
        if unit.merged_into_id is None:
            break
        successor = db.session.get(Unit, unit.merged_into_id)
        if successor is None or successor.id in seen:
            break
        seen.add(successor.id)
        unit, redirected = successor, True
    return unit, redirected


def search_units(units: Iterable[Unit], query: str) -> list[Unit]:
    """Return the units whose name or code contains the query, ignoring case and accents."""
    key = fold(query)
    if not key:
        return []
    return [u for u in units if key in (u.name_folded or fold(u.name)) or key in fold(u.code)]


@dataclass
class TreeNode:
    """A unit with its children, for the tree view."""

    unit: Unit
    children: list[TreeNode] = field(default_factory=list)


def build_tree(units: Iterable[Unit]) -> list[TreeNode]:
    """Arrange units into a forest; a unit whose parent is not in the list becomes a root."""
    nodes = {u.id: TreeNode(u) for u in units}
    roots: list[TreeNode] = []
    for node in nodes.values():
        parent = nodes.get(node.unit.parent_id) if node.unit.parent_id is not None else None
        (parent.children if parent is not None else roots).append(node)

    def order(items: list[TreeNode]) -> None:
        items.sort(key=lambda n: (not n.unit.is_active, n.unit.kind == UnitKind.DEPARTMENT.value, fold(n.unit.name)))
        for item in items:
            order(item.children)

    order(roots)
    return roots


# --------------------------------------------------------------------------- designations (SP-01..SP-08)


@dataclass
class DesignationData:
    """A designation as typed by an admin or a head."""

    user_id: int
    kind: str
    title: str
    document_number: str
    document_date: date
    valid_from: date
    valid_to: date | None = None
    topic: str | None = None
    case_reference: str | None = None
    public_phone: str | None = None
    public_email: str | None = None
    number_pending: bool = False  # the number comes from the register when its letter is issued


def designation_snapshot(d: Designation) -> dict[str, Any]:
    """Return the audited facts of a designation."""
    return {
        "user_id": d.user_id, "kind": d.kind, "title": d.title, "document_number": d.document_number,
        "document_date": d.document_date, "valid_from": d.valid_from, "valid_to": d.valid_to,
        "topic": d.topic, "case_request_id": d.case_request_id, "public_phone": d.public_phone,
        "public_email": d.public_email, "scan_attachment_id": d.scan_attachment_id,
    }


def is_authorised_only(user: Any, unit: Unit, on: date | None = None) -> bool:
    """Return whether the user speaks for the unit only through an authorisation (SP-06).

    Such a person may not pass the right on, even if they also hold a role that could.
    """
    on = on or today_vn()
    kinds = set(db.session.execute(select(Designation.kind).where(
        Designation.unit_id == unit.id, Designation.user_id == user.id, current_designation_filter(on))).scalars())
    return DesignationKind.AUTHORISED.value in kinds and not kinds & {
        DesignationKind.HEAD.value, DesignationKind.DESIGNATED.value}


def create_designation(actor: Any, unit: Unit, data: DesignationData, scan: Upload | None = None) -> Designation:
    """Record a designation decision (with its optional scan); the directory shows it at once.

    An ``authorised`` designation needs a case or a topic and an end date (SP-05), and an
    authorised speaker cannot designate anyone (SP-06).
    """

    if actor is not None:
        if not can_manage_unit_designations(actor, unit):
            raise NotAllowed(_("Bạn không có quyền quản lý người phát ngôn của đơn vị này."))
        if is_authorised_only(actor, unit) and not can_manage_unit(actor, unit):
            raise DomainError(_("Người được ủy quyền phát ngôn không được ủy quyền hoặc giao nhiệm vụ phát ngôn cho người khác."),
                              status=403)
    if not unit.is_active:
        raise DomainError(_("Đơn vị đã ngừng hoạt động."), status=409)
    if data.kind not in DesignationKind._value2member_map_:
        raise DomainError(_("Loại chỉ định không hợp lệ."), status=400)
    title, number = " ".join((data.title or "").split()), (data.document_number or "").strip()
    topic, case_reference = (data.topic or "").strip() or None, (data.case_reference or "").strip() or None
    if not title or len(title) > 255:
        raise DomainError(_("Vui lòng nhập chức danh (tối đa 255 ký tự)."), status=400)
    if (not number and not data.number_pending) or len(number) > 80:
        raise DomainError(_("Vui lòng nhập số văn bản (tối đa 80 ký tự)."), status=400)
    if topic and len(topic) > 255:
        raise DomainError(_("Vụ việc, chủ đề tối đa 255 ký tự."), status=400)
    today = today_vn()
    if data.document_date > today:
        raise DomainError(_("Ngày văn bản không thể ở tương lai."), status=400)
    if data.valid_to is not None and data.valid_to < data.valid_from:
        raise DomainError(_("Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."), status=400)
    case = None
    if data.kind == DesignationKind.AUTHORISED.value:
        if data.valid_to is None:
            raise DomainError(_("Ủy quyền phát ngôn phải có thời hạn: vui lòng nhập ngày hết hiệu lực."), status=400)
        if not topic and not case_reference:
            raise DomainError(_("Ủy quyền phát ngôn chỉ áp dụng cho từng vụ việc: vui lòng nêu vụ việc, chủ đề hoặc mã yêu cầu."),
                              status=400)
    if case_reference:
        case = db.session.execute(select(PressRequest).where(
            func.upper(PressRequest.reference) == case_reference.upper(), PressRequest.unit_id == unit.id)).scalar_one_or_none()
        if case is None:
            raise DomainError(_("Không tìm thấy yêu cầu số %(ref)s của đơn vị này.", ref=case_reference), status=400)
    person = db.session.get(User, data.user_id)
    if person is None or not person.active or not any(m.unit_id == unit.id for m in person.memberships):
        raise DomainError(_("Người được chỉ định phải là cán bộ đang công tác tại đơn vị."), status=400)
    if db.session.execute(select(Designation.id).where(
        Designation.unit_id == unit.id, Designation.user_id == person.id, Designation.kind == data.kind,
        Designation.case_request_id.is_(None) if case is None else Designation.case_request_id == case.id,
        current_designation_filter(max(data.valid_from, today)),
    )).first():
        raise DomainError(_("Người này đã có chỉ định cùng loại đang có hiệu lực tại đơn vị."), status=409)
    phone = (data.public_phone or "").strip() or person.phone
    email = (data.public_email or "").strip().lower() or person.email
    if phone and len(phone) > 40:
        raise DomainError(_("Số điện thoại tối đa 40 ký tự."), status=400)
    if email and (len(email) > 255 or not EMAIL_RE.match(email)):
        raise DomainError(_("Địa chỉ thư điện tử công bố không hợp lệ."), status=400)
    designation = Designation(
        unit_id=unit.id, user_id=person.id, kind=data.kind, title=title, public_phone=phone, public_email=email,
        document_number=number, document_date=data.document_date, valid_from=data.valid_from, valid_to=data.valid_to,
        case_request_id=case.id if case else None, topic=topic or (case.subject[:255] if case else None),
        created_by_id=getattr(actor, "id", None),
    )
    if scan is not None:
        # Stored last, once every rule has passed, so a refused designation leaves no file behind.

        # The decision is published with the directory (SP-07), so its scan is public.
        attachment = store(scan.stream, scan.filename, max_bytes=scan.max_bytes, allowed=PUBLIC_KINDS,
                           purpose="scan", uploaded_by=actor, is_public=True)
        designation.scan_attachment_id = attachment.id
    db.session.add(designation)
    db.session.flush()
    audit.record("designation.create", actor=actor, obj_type="designation", obj_id=designation.id, unit_id=unit.id,
                 after=designation_snapshot(designation))
    log.info("designation %s of user %s in %s", data.kind, person.id, unit.code)
    return designation


def revoke_designation(actor: Any, designation: Designation, reason: str) -> None:
    """Revoke a designation with a reason; the row stays as history and leaves the directory at once."""
    unit = designation.unit
    if actor is not None:
        if not can_manage_unit_designations(actor, unit):
            raise NotAllowed(_("Bạn không có quyền quản lý người phát ngôn của đơn vị này."))
        if is_authorised_only(actor, unit) and not can_manage_unit(actor, unit):
            raise DomainError(_("Người được ủy quyền phát ngôn không được thay đổi chỉ định phát ngôn."), status=403)
    reason = (reason or "").strip()
    if not reason or len(reason) > 1000:
        raise DomainError(_("Vui lòng nêu lý do thu hồi (tối đa 1000 ký tự)."), status=400)
    if designation.revoked_at is not None:
        raise DomainError(_("Chỉ định này đã được thu hồi."), status=409)
    designation.revoked_at = now()
    designation.revoked_reason = reason
    db.session.flush()
    audit.record("designation.revoke", actor=actor, obj_type="designation", obj_id=designation.id, unit_id=unit.id,
                 before={"revoked_at": None}, after={"revoked_at": designation.revoked_at, "reason": reason})


def end_case_authorisations(actor: Any, req: PressRequest, from_unit: Unit, reason: str) -> list[Designation]:
    """Revoke the unit's authorisations to speak on one case, because the case has left the unit.

    An authorisation is given by a unit's head for a case that unit handles (SP-05); once the
    request is transferred, the receiving unit answers and decides who speaks. Part of the
    transfer, whose actor (and rights, checked there) the audit events name; the rows stay as
    history with the reason, and leave the directory at once.
    """
    ended = list(db.session.execute(
        select(Designation).where(
            Designation.case_request_id == req.id, Designation.unit_id == from_unit.id,
            Designation.kind == DesignationKind.AUTHORISED.value, Designation.revoked_at.is_(None),
            or_(Designation.valid_to.is_(None), Designation.valid_to >= today_vn()),
        ).order_by(Designation.id)
    ).scalars())
    moment = now()
    for designation in ended:
        designation.revoked_at = moment
        designation.revoked_reason = reason
    db.session.flush()
    for designation in ended:
        audit.record("designation.revoke", actor=actor, obj_type="designation", obj_id=designation.id,
                     unit_id=from_unit.id, before={"revoked_at": None},
                     after={"revoked_at": moment, "reason": reason, "request_id": req.id, "cause": "request.transfer"})
    return ended


def unit_designations(unit: Unit) -> list[Designation]:
    """Return every designation of a unit, newest first, with its person loaded."""
    return list(db.session.execute(
        select(Designation).where(Designation.unit_id == unit.id)
        .options(selectinload(Designation.user))
        .order_by(Designation.valid_from.desc(), Designation.id.desc())
    ).scalars())
