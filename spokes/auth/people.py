"""Managing people: accounts, their roles in units, locking, temporary passwords and reset links.

Services check, change, flush and audit; the view, import or CLI command commits once.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import Select

from spokes.audit import services as audit
from spokes.auth.forms import MIN_PASSWORD
from spokes.auth.models import Membership, PasswordResetToken, User
from spokes.auth.permissions import Permission, Role
from spokes.auth.policies import can_grant_in, can_manage_user
from spokes.auth.services import normalise_email
from spokes.core.clock import now, today_vn
from spokes.core.db import rowcount
from spokes.core.errors import DomainError, NotAllowed
from spokes.extensions import db
from spokes.press_requests.models import OPEN_STATES, PressRequest
from spokes.units.models import Designation, Unit
from spokes.units.policies import scope_condition

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
    revoked = rowcount(db.session.execute(
        update(Designation)
        .where(Designation.user_id == user.id, Designation.revoked_at.is_(None),
               or_(Designation.valid_to.is_(None), Designation.valid_to >= today_vn()))
        .values(revoked_at=moment, revoked_reason=_("Tài khoản người phát ngôn đã bị khóa."))
        .execution_options(synchronize_session="fetch")
    ))
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
    used = rowcount(db.session.execute(update(PasswordResetToken).where(
        PasswordResetToken.id == record.id, PasswordResetToken.used_at.is_(None)).values(used_at=now())))
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
