"""Administration rules: people and their roles, password resets, reorganising units, the admin home.

Services check, change, flush and audit; the view or CLI command commits once.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import aliased, selectinload
from sqlalchemy.sql import Select

from spokes.admin.models import PasswordResetToken
from spokes.admin.policies import can_grant_in, can_manage_user
from spokes.audit import services as audit
from spokes.auth.forms import MIN_PASSWORD
from spokes.auth.models import Membership, User
from spokes.auth.permissions import Permission, Role
from spokes.auth.services import normalise_email
from spokes.core import events
from spokes.core.clock import now, today_vn
from spokes.core.errors import DomainError, NotAllowed
from spokes.core.text import fold
from spokes.extensions import db
from spokes.press_requests.models import OPEN_STATES, PressRequest
from spokes.publishing.models import Publication, RecurringDuty
from spokes.units.models import Designation, Unit
from spokes.units.policies import can_manage_unit, scope_condition
from spokes.units.services import (
    UnitData,
    create_unit,
    current_designation_filter,
    set_parent,
    unit_snapshot,
    units_without_spokesperson,
)

log = logging.getLogger(__name__)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
TEMP_PASSWORD_LENGTH = 14
DEFAULT_RESET_TTL = timedelta(hours=24)
_OPEN = [s.value for s in OPEN_STATES]


# --------------------------------------------------------------------------- people


@dataclass
class PersonData:
    """The editable facts of a staff member."""

    email: str
    name: str
    title: str | None = None
    phone: str | None = None

    def cleaned(self) -> PersonData:
        """Return a copy with spaces trimmed, the e-mail lower-cased and blanks turned into None."""
        return PersonData(
            email=normalise_email(self.email), name=" ".join((self.name or "").split()),
            title=" ".join((self.title or "").split()) or None, phone=(self.phone or "").strip() or None,
        )


def person_problems(data: PersonData) -> dict[str, str]:
    """Return {field: Vietnamese message} for every malformed value of a person."""
    problems: dict[str, str] = {}
    if not data.email or len(data.email) > 255 or not EMAIL_RE.match(data.email):
        problems["email"] = _("Địa chỉ thư điện tử không hợp lệ.")
    if not data.name:
        problems["name"] = _("Vui lòng nhập họ và tên.")
    elif len(data.name) > 255:
        problems["name"] = _("Họ và tên tối đa 255 ký tự.")
    if data.title and len(data.title) > 255:
        problems["title"] = _("Chức danh tối đa 255 ký tự.")
    if data.phone and len(data.phone) > 40:
        problems["phone"] = _("Số điện thoại tối đa 40 ký tự.")
    return problems


def password_problem(password: str) -> str | None:
    """Return why a chosen password is refused, or None."""
    if len(password) < MIN_PASSWORD or len(password) > 200:
        return _("Mật khẩu phải có từ %(min)d đến %(max)d ký tự.", min=MIN_PASSWORD, max=200)
    return None


def generate_password() -> str:
    """Return a random temporary password without look-alike characters (0/O, 1/l/I)."""
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _i in range(TEMP_PASSWORD_LENGTH))


def person_snapshot(user: User) -> dict[str, Any]:
    """Return the audited facts of a person (never the password hash)."""
    return {"email": user.email, "name": user.name, "title": user.title, "phone": user.phone, "active": user.active}


def _home_unit_id(user: User) -> int | None:
    return user.memberships[0].unit_id if user.memberships else None


def _require_manage(actor: Any, user: User) -> None:
    if actor is not None and not can_manage_user(actor, user):
        raise NotAllowed(_("Bạn không có quyền quản lý tài khoản này."))


def _require_grant(actor: Any, unit: Unit) -> None:
    if actor is not None and not can_grant_in(actor, unit):
        raise NotAllowed(_("Bạn không có quyền phân quyền tại đơn vị %(name)s.", name=unit.name))


def _check_role_in(unit: Unit, role: str) -> None:
    if role not in Role._value2member_map_:
        raise DomainError(_("Vai trò không hợp lệ."), status=400)
    if not unit.is_active:
        raise DomainError(_("Đơn vị %(name)s đã ngừng hoạt động.", name=unit.name), status=400)


def email_taken(email: str, except_user_id: int | None = None) -> bool:
    """Return whether another account uses this e-mail."""
    stmt = select(User.id).where(User.email == normalise_email(email))
    if except_user_id is not None:
        stmt = stmt.where(User.id != except_user_id)
    return db.session.execute(stmt.limit(1)).first() is not None


def create_person(
    actor: Any, data: PersonData, unit: Unit, role: str, *, password: str | None = None,
) -> tuple[User, str | None]:
    """Create an account with a first membership; return it and the temporary password, if one was made.

    Without a chosen password a random temporary one is made. Either way the person must
    change it at the first sign-in, since someone else knows it.
    """
    data = data.cleaned()
    _require_grant(actor, unit)
    if problems := person_problems(data):
        raise DomainError(" ".join(problems.values()), status=400)
    _check_role_in(unit, role)
    if email_taken(data.email):
        raise DomainError(_("Đã có tài khoản với thư điện tử %(email)s.", email=data.email), status=409)
    temporary = None
    if password:
        if problem := password_problem(password):
            raise DomainError(problem, status=400)
    else:
        password = temporary = generate_password()
    user = User(email=data.email, name=data.name, title=data.title, phone=data.phone, must_change_password=True)
    user.set_password(password)
    user.memberships.append(Membership(unit=unit, role=role))
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", actor=actor, obj_type="user", obj_id=user.id, unit_id=unit.id,
                 after={**person_snapshot(user), "memberships": [{"unit": unit.code, "role": role}]})
    log.info("user %s created in %s as %s", user.id, unit.code, role)
    return user, temporary


def update_person(actor: Any, user: User, data: PersonData) -> bool:
    """Change a person's e-mail, name, title and phone; return whether anything changed."""
    _require_manage(actor, user)
    data = data.cleaned()
    if problems := person_problems(data):
        raise DomainError(" ".join(problems.values()), status=400)
    if data.email != user.email and email_taken(data.email, user.id):
        raise DomainError(_("Đã có tài khoản với thư điện tử %(email)s.", email=data.email), status=409)
    before = person_snapshot(user)
    user.email, user.name, user.title, user.phone = data.email, data.name, data.title, data.phone
    after = person_snapshot(user)
    keys = [k for k in after if before[k] != after[k]]
    if not keys:
        return False
    db.session.flush()
    audit.record("user.update", actor=actor, obj_type="user", obj_id=user.id, unit_id=_home_unit_id(user),
                 before={k: before[k] for k in keys}, after={k: after[k] for k in keys})
    return True


def add_membership(actor: Any, user: User, unit: Unit, role: str) -> Membership:
    """Give a person a role in a unit (one person may hold several)."""
    _require_manage(actor, user)
    _require_grant(actor, unit)
    _check_role_in(unit, role)
    if any(m.unit_id == unit.id and m.role == role for m in user.memberships):
        raise DomainError(_("Người này đã có vai trò này tại đơn vị."), status=409)
    membership = Membership(unit=unit, role=role)
    user.memberships.append(membership)
    db.session.flush()
    audit.record("membership.add", actor=actor, obj_type="user", obj_id=user.id, unit_id=unit.id,
                 after={"unit": unit.code, "role": role})
    return membership


def remove_membership(actor: Any, membership: Membership) -> None:
    """End a person's role in a unit; the audit log keeps that it existed."""
    user = membership.user
    _require_manage(actor, user)
    _require_grant(actor, membership.unit)
    if actor is not None and user.id == actor.id and membership.role == Role.ADMIN.value:
        raise DomainError(_("Bạn không thể tự gỡ quyền quản trị của chính mình."), status=409)
    unit = membership.unit
    before = {"unit": unit.code, "role": membership.role}
    user.memberships.remove(membership)
    db.session.flush()
    audit.record("membership.remove", actor=actor, obj_type="user", obj_id=user.id, unit_id=unit.id, before=before)


@dataclass
class DeactivationResult:
    """What deactivating a person ended, and what still needs a new owner."""

    designations_revoked: int
    open_requests_assigned: int


def deactivate_person(actor: Any, user: User) -> DeactivationResult:
    """Lock an account (never deleted) and revoke its designations so the directory drops it."""
    _require_manage(actor, user)
    if actor is not None and user.id == actor.id:
        raise DomainError(_("Bạn không thể tự khóa tài khoản của chính mình."), status=409)
    if not user.active:
        raise DomainError(_("Tài khoản đã bị khóa."), status=409)
    user.active = False
    moment = now()
    revoked = db.session.execute(
        update(Designation)
        .where(Designation.user_id == user.id, Designation.revoked_at.is_(None),
               or_(Designation.valid_to.is_(None), Designation.valid_to >= today_vn()))
        .values(revoked_at=moment, revoked_reason=_("Tài khoản người phát ngôn đã bị khóa."))
        .execution_options(synchronize_session="fetch")
    ).rowcount
    assigned = db.session.execute(select(func.count()).select_from(PressRequest).where(
        PressRequest.assignee_id == user.id, PressRequest.state.in_(_OPEN))).scalar_one()
    # Outstanding reset links must not revive a locked account.
    db.session.execute(update(PasswordResetToken).where(
        PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None)).values(used_at=moment))
    db.session.flush()
    audit.record("user.deactivate", actor=actor, obj_type="user", obj_id=user.id, unit_id=_home_unit_id(user),
                 before={"active": True}, after={"active": False, "designations_revoked": revoked})
    return DeactivationResult(designations_revoked=revoked, open_requests_assigned=assigned)


def reactivate_person(actor: Any, user: User) -> None:
    """Unlock an account (its revoked designations stay revoked)."""
    _require_manage(actor, user)
    if user.active:
        raise DomainError(_("Tài khoản đang hoạt động."), status=409)
    user.active = True
    db.session.flush()
    audit.record("user.reactivate", actor=actor, obj_type="user", obj_id=user.id, unit_id=_home_unit_id(user),
                 before={"active": False}, after={"active": True})


def set_temporary_password(actor: Any, user: User) -> str:
    """Give a person a random temporary password that must be changed at the next sign-in; return it once."""
    _require_manage(actor, user)
    if not user.active:
        raise DomainError(_("Tài khoản đã bị khóa; hãy mở khóa trước."), status=409)
    password = generate_password()
    user.set_password(password)
    user.must_change_password = True
    db.session.flush()
    audit.record("user.temporary_password", actor=actor, obj_type="user", obj_id=user.id, unit_id=_home_unit_id(user),
                 after={"must_change_password": True})
    return password


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_reset_link(actor: Any, user: User, *, ttl: timedelta = DEFAULT_RESET_TTL) -> str:
    """Create a one-time reset token for a person and return it (only its hash is stored).

    Any earlier unused link of the person stops working, so only the newest one counts.
    """
    _require_manage(actor, user)
    if not user.active:
        raise DomainError(_("Tài khoản đã bị khóa; hãy mở khóa trước."), status=409)
    moment = now()
    db.session.execute(update(PasswordResetToken).where(
        PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None)).values(used_at=moment))
    token = secrets.token_urlsafe(32)
    record = PasswordResetToken(user_id=user.id, token_hash=_token_hash(token), expires_at=moment + ttl,
                                created_by_id=getattr(actor, "id", None), created_at=moment)
    db.session.add(record)
    db.session.flush()
    audit.record("user.reset_link", actor=actor, obj_type="user", obj_id=user.id, unit_id=_home_unit_id(user),
                 after={"expires_at": record.expires_at})
    return token


def find_reset_token(token: str) -> PasswordResetToken | None:
    """Return the reset link for this token if it can still be used (unused, unexpired, active account)."""
    if not token or len(token) > 200:
        return None
    record = db.session.execute(select(PasswordResetToken).where(
        PasswordResetToken.token_hash == _token_hash(token))).scalar_one_or_none()
    if record is None or not record.is_usable(now()) or not record.user.active:
        return None
    return record


def redeem_reset_token(token: str, new_password: str) -> User:
    """Set a new password through a reset link, which is then used up."""
    record = find_reset_token(token)
    if record is None:
        raise DomainError(_("Liên kết đặt lại mật khẩu không hợp lệ, đã được dùng hoặc đã hết hạn."), status=404)
    if problem := password_problem(new_password):
        raise DomainError(problem, status=400)
    # Marking it used with a guarded UPDATE means two simultaneous submissions cannot both win.
    used = db.session.execute(update(PasswordResetToken).where(
        PasswordResetToken.id == record.id, PasswordResetToken.used_at.is_(None)).values(used_at=now())).rowcount
    if not used:
        raise DomainError(_("Liên kết đặt lại mật khẩu không hợp lệ, đã được dùng hoặc đã hết hạn."), status=404)
    user = record.user
    user.set_password(new_password)
    user.must_change_password = False
    db.session.flush()
    audit.record("user.password_reset", actor=user, obj_type="user", obj_id=user.id, unit_id=_home_unit_id(user))
    return user


def people_query(actor: Any, *, query: str | None = None, unit_id: int | None = None,
                 include_inactive: bool = True) -> Select:
    """Return a SELECT of the people with a membership in the actor's reach, filtered."""
    in_scope = select(Membership.user_id).join(Unit, Unit.id == Membership.unit_id).where(
        scope_condition(actor, Permission.MANAGE_USERS))
    stmt = select(User).where(User.id.in_(in_scope)).options(selectinload(User.memberships))
    if query and query.strip():
        term = "%" + query.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(func.lower(User.email).like(term, escape="\\"),
                              func.lower(User.name).like(term, escape="\\")))
    if unit_id is not None:
        stmt = stmt.where(User.id.in_(select(Membership.user_id).where(Membership.unit_id == unit_id)))
    if not include_inactive:
        stmt = stmt.where(User.active.is_(True))
    return stmt.order_by(User.name, User.id)


def unit_members(unit: Unit) -> list[Membership]:
    """Return the memberships of a unit with their people."""
    return list(db.session.execute(
        select(Membership).where(Membership.unit_id == unit.id).options(selectinload(Membership.user))
        .order_by(Membership.role, Membership.id)
    ).scalars())


# --------------------------------------------------------------------------- the admin home


@dataclass
class Overview:
    """Counts and warnings on the admin home."""

    units_active: int
    units_inactive: int
    people_active: int
    people_inactive: int
    designations_current: int
    open_requests: int
    noncompliant_units: list[Unit]


def overview(actor: Any) -> Overview:
    """Return the admin home's counts within the actor's subtree and the units out of compliance."""
    in_scope = scope_condition(actor, Permission.MANAGE_UNITS)
    unit_ids = select(Unit.id).where(in_scope)
    units = dict(db.session.execute(select(Unit.is_active, func.count()).where(in_scope).group_by(Unit.is_active)).all())
    people_ids = select(Membership.user_id).where(Membership.unit_id.in_(unit_ids))
    people = dict(db.session.execute(select(User.active, func.count()).where(User.id.in_(people_ids))
                                     .group_by(User.active)).all())
    designations = db.session.execute(select(func.count()).select_from(Designation).where(
        Designation.unit_id.in_(unit_ids), current_designation_filter(today_vn()))).scalar_one()
    open_requests = db.session.execute(select(func.count()).select_from(PressRequest).where(
        PressRequest.unit_id.in_(unit_ids), PressRequest.state.in_(_OPEN))).scalar_one()
    return Overview(
        units_active=units.get(True, 0), units_inactive=units.get(False, 0),
        people_active=people.get(True, 0), people_inactive=people.get(False, 0),
        designations_current=designations, open_requests=open_requests,
        noncompliant_units=units_without_spokesperson(actor),
    )


# --------------------------------------------------------------------------- reorganisation (merging units)


@dataclass
class MergeData:
    """Merge the source units into an existing target, or into a new unit described by ``new_unit``."""

    source_ids: list[int]
    merge_date: date
    target_id: int | None = None
    new_unit: UnitData | None = None
    move_memberships: bool = True


@dataclass
class MergeCounts:
    """What moves or ends for one source unit."""

    unit: Unit
    open_requests: int = 0
    closed_requests: int = 0
    publications: int = 0
    designations: int = 0
    memberships: int = 0
    children: int = 0
    recurring_duties: int = 0


@dataclass
class MergePlan:
    """A checked merge, ready to show as a preview or to carry out."""

    sources: list[Unit]
    target: Unit | None
    new_unit: UnitData | None
    merge_date: date
    move_memberships: bool
    counts: list[MergeCounts] = field(default_factory=list)

    @property
    def totals(self) -> MergeCounts:
        """Return the sum over all sources."""
        total = MergeCounts(unit=self.target)  # type: ignore[arg-type]
        for c in self.counts:
            for name in ("open_requests", "closed_requests", "publications", "designations", "memberships",
                         "children", "recurring_duties"):
                setattr(total, name, getattr(total, name) + getattr(c, name))
        return total


MAX_MERGE_SOURCES = 30


def _grouped(stmt: Select) -> dict[int, int]:
    return {unit_id: count for unit_id, count in db.session.execute(stmt).all()}


def plan_merge(actor: Any, data: MergeData) -> MergePlan:
    """Check a merge and count what it will move or end; write nothing."""
    ids = list(dict.fromkeys(data.source_ids))
    if not ids:
        raise DomainError(_("Vui lòng chọn ít nhất một đơn vị được hợp nhất."), status=400)
    if len(ids) > MAX_MERGE_SOURCES:
        raise DomainError(_("Mỗi lần hợp nhất tối đa %(n)d đơn vị.", n=MAX_MERGE_SOURCES), status=400)
    sources = sorted(db.session.execute(select(Unit).where(Unit.id.in_(ids))).scalars(), key=lambda u: fold(u.name))
    if len(sources) != len(ids):
        raise DomainError(_("Không tìm thấy một trong các đơn vị được hợp nhất."), status=400)
    for unit in sources:
        if actor is not None and not can_manage_unit(actor, unit):
            raise NotAllowed(_("Bạn không có quyền quản trị đơn vị %(name)s.", name=unit.name))
        if not unit.is_active:
            raise DomainError(_("Đơn vị %(name)s đã ngừng hoạt động hoặc đã được hợp nhất.", name=unit.name), status=400)
        for other in sources:
            if other.id != unit.id and other.path.startswith(unit.path):
                raise DomainError(_("Không thể hợp nhất %(a)s cùng với đơn vị cấp dưới của nó (%(b)s).",
                                    a=unit.name, b=other.name), status=400)
    if data.merge_date > today_vn():
        raise DomainError(_("Ngày hợp nhất không thể ở tương lai."), status=400)

    def inside_a_source(unit: Unit) -> bool:
        return any(unit.path.startswith(s.path) for s in sources)

    target = None
    if data.target_id is not None:
        target = db.session.get(Unit, data.target_id)
        if target is None:
            raise DomainError(_("Không tìm thấy đơn vị nhận."), status=400)
        if actor is not None and not can_manage_unit(actor, target):
            raise NotAllowed(_("Bạn không có quyền quản trị đơn vị %(name)s.", name=target.name))
        if not target.is_active:
            raise DomainError(_("Đơn vị nhận đã ngừng hoạt động."), status=400)
        if inside_a_source(target):
            raise DomainError(_("Đơn vị nhận không được là một đơn vị được hợp nhất hoặc cấp dưới của nó."), status=400)
    elif data.new_unit is not None:
        parent = db.session.get(Unit, data.new_unit.parent_id) if data.new_unit.parent_id is not None else None
        if parent is not None and inside_a_source(parent):
            raise DomainError(_("Đơn vị mới không được nằm dưới một đơn vị sắp hợp nhất."), status=400)
    else:
        raise DomainError(_("Vui lòng chọn đơn vị nhận hoặc nhập thông tin đơn vị mới."), status=400)

    closed = PressRequest.state.not_in(_OPEN)
    open_ = PressRequest.state.in_(_OPEN)
    by_unit = PressRequest.unit_id.in_(ids)
    req_open = _grouped(select(PressRequest.unit_id, func.count()).where(by_unit, open_).group_by(PressRequest.unit_id))
    req_closed = _grouped(select(PressRequest.unit_id, func.count()).where(by_unit, closed).group_by(PressRequest.unit_id))
    pubs = _grouped(select(Publication.unit_id, func.count()).where(Publication.unit_id.in_(ids))
                    .group_by(Publication.unit_id))
    last_day = data.merge_date - timedelta(days=1)
    designations = _grouped(select(Designation.unit_id, func.count()).where(
        Designation.unit_id.in_(ids), Designation.revoked_at.is_(None),
        or_(Designation.valid_to.is_(None), Designation.valid_to > last_day)).group_by(Designation.unit_id))
    members = _grouped(select(Membership.unit_id, func.count()).where(Membership.unit_id.in_(ids))
                       .group_by(Membership.unit_id))
    children = _grouped(select(Unit.parent_id, func.count()).where(Unit.parent_id.in_(ids)).group_by(Unit.parent_id))
    duties = _grouped(select(RecurringDuty.unit_id, func.count()).where(RecurringDuty.unit_id.in_(ids))
                      .group_by(RecurringDuty.unit_id))
    plan = MergePlan(sources=sources, target=target, new_unit=data.new_unit, merge_date=data.merge_date,
                     move_memberships=data.move_memberships)
    for unit in sources:
        plan.counts.append(MergeCounts(
            unit=unit, open_requests=req_open.get(unit.id, 0), closed_requests=req_closed.get(unit.id, 0),
            publications=pubs.get(unit.id, 0), designations=designations.get(unit.id, 0),
            memberships=members.get(unit.id, 0), children=children.get(unit.id, 0),
            recurring_duties=duties.get(unit.id, 0),
        ))
    return plan


def merge_units(actor: Any, data: MergeData) -> Unit:
    """Merge the source units into the target (new or existing) in one transaction; return the target.

    - Every request (open or closed) and every publication moves to the target with a bulk
      UPDATE; references and slugs are unchanged, so old links keep working. Each moved
      request gets a public ``request.unit_merged`` event on its own timeline.
    - Child units, recurring duties and "unknown unit" routing move to the target.
    - Memberships move to the target (duplicates dropped), or end when ``move_memberships``
      is False, so the staff who hold the moved requests can go on working on them.
    - The sources' designations end the day before the merge date (or are revoked if they
      had not started yet); the sources are deactivated with ``merged_into_id`` set.
    - One ``unit.merge`` event records before and after.
    """
    plan = plan_merge(actor, data)
    target = plan.target or create_unit(actor, plan.new_unit)  # type: ignore[arg-type]
    ids = [u.id for u in plan.sources]
    moment = now()
    last_day = data.merge_date - timedelta(days=1)
    before = {
        "sources": [unit_snapshot(u) | {"id": u.id} for u in plan.sources],
        "memberships": [
            {"user_id": m.user_id, "unit_id": m.unit_id, "role": m.role}
            for m in db.session.execute(select(Membership).where(Membership.unit_id.in_(ids))
                                        .order_by(Membership.id)).scalars()
        ],
    }

    # Children first, while the ORM still holds consistent objects (set_parent rewrites paths).
    children = list(db.session.execute(select(Unit).where(Unit.parent_id.in_(ids)).order_by(Unit.id)).scalars())
    for child in children:
        set_parent(child, target)
    for unit in plan.sources:
        unit.is_active = False
        unit.deactivated_at = moment
        unit.merged_into_id = target.id
    db.session.flush()

    moved = db.session.execute(
        select(PressRequest.id, PressRequest.reference, PressRequest.unit_id).where(PressRequest.unit_id.in_(ids))
        .order_by(PressRequest.id)
    ).all()
    names = {u.id: (u.code, u.name) for u in plan.sources}

    def bulk(stmt: Any) -> int:
        return db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount or 0

    requests_moved = bulk(update(PressRequest).where(PressRequest.unit_id.in_(ids))
                          .values(unit_id=target.id, updated_at=moment))
    publications_moved = bulk(update(Publication).where(Publication.unit_id.in_(ids)).values(unit_id=target.id))
    duties_moved = bulk(update(RecurringDuty).where(RecurringDuty.unit_id.in_(ids)).values(unit_id=target.id))
    bulk(update(Unit).where(Unit.intake_overseer_id.in_(ids)).values(intake_overseer_id=target.id))
    designations_ended = bulk(update(Designation).where(
        Designation.unit_id.in_(ids), Designation.revoked_at.is_(None), Designation.valid_from <= last_day,
        or_(Designation.valid_to.is_(None), Designation.valid_to > last_day)).values(valid_to=last_day))
    designations_revoked = bulk(update(Designation).where(
        Designation.unit_id.in_(ids), Designation.revoked_at.is_(None), Designation.valid_from > last_day,
    ).values(revoked_at=moment, revoked_reason=_("Đơn vị đã được hợp nhất vào %(name)s.", name=target.name)))

    if data.move_memberships:
        other = aliased(Membership)
        already_in_target = exists().where(other.unit_id == target.id, other.user_id == Membership.user_id,
                                           other.role == Membership.role)
        twice_in_sources = exists().where(other.unit_id.in_(ids), other.user_id == Membership.user_id,
                                          other.role == Membership.role, other.id < Membership.id)
        bulk(delete(Membership).where(Membership.unit_id.in_(ids), already_in_target))
        bulk(delete(Membership).where(Membership.unit_id.in_(ids), twice_in_sources))
        bulk(update(Membership).where(Membership.unit_id.in_(ids)).values(unit_id=target.id))
    else:
        bulk(delete(Membership).where(Membership.unit_id.in_(ids)))
    db.session.expire_all()  # the bulk statements bypassed the identity map

    audit.record_many("request.unit_merged", [
        {"obj_id": req_id, "unit_id": target.id,
         "before": {"unit_code": names[unit_id][0], "unit": names[unit_id][1]},
         "after": {"reference": reference, "from_unit": names[unit_id][1], "to_unit": target.name,
                   "unit_code": target.code, "merge_date": data.merge_date}}
        for req_id, reference, unit_id in moved
    ], actor=actor, obj_type="request", public=True)
    audit.record("unit.merge", actor=actor, obj_type="unit", obj_id=target.id, unit_id=target.id, before=before, after={
        "target": {"id": target.id, "code": target.code, "name": target.name},
        "merged_into": [u.id for u in plan.sources], "merge_date": data.merge_date,
        "requests_moved": requests_moved, "publications_moved": publications_moved,
        "recurring_duties_moved": duties_moved, "children_moved": [c.id for c in children],
        "designations_ended": designations_ended, "designations_revoked": designations_revoked,
        "memberships": "moved" if data.move_memberships else "ended",
    })
    events.unit_merged.send(target, merged=list(plan.sources), request_ids=[req_id for req_id, _ref, _unit in moved],
                            actor=actor)
    log.info("merged units %s into %s (%d requests)", ids, target.code, requests_moved)
    return target


def units_for_choices(actor: Any, permission: Permission = Permission.MANAGE_UNITS, *, active_only: bool = True) -> list[Unit]:
    """Return the units the actor holds the permission in, for select menus (tree order)."""
    stmt = select(Unit).where(scope_condition(actor, permission))
    if active_only:
        stmt = stmt.where(Unit.is_active.is_(True))
    units = list(db.session.execute(stmt).scalars())
    return tree_order(units)


def active_units() -> list[Unit]:
    """Return every active unit in tree order (e.g. to pick the "unknown unit" overseer anywhere)."""
    return tree_order(list(db.session.execute(select(Unit).where(Unit.is_active.is_(True))).scalars()))


def tree_order(units: list[Unit]) -> list[Unit]:
    """Order units depth-first by name, so a menu reads like the tree."""
    by_parent: dict[int | None, list[Unit]] = {}
    ids = {u.id for u in units}
    for u in units:
        by_parent.setdefault(u.parent_id if u.parent_id in ids else None, []).append(u)
    out: list[Unit] = []

    def walk(parent: int | None) -> None:
        for u in sorted(by_parent.get(parent, []), key=lambda x: fold(x.name)):
            out.append(u)
            walk(u.id)

    walk(None)
    return out

