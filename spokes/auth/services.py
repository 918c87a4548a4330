"""Account rules: authenticate, create users, change passwords."""

from __future__ import annotations

import logging
import secrets
from functools import lru_cache

from flask_babel import gettext as _

from sqlalchemy import func, select

from spokes.audit import services as audit
from spokes.auth.models import Membership, User
from spokes.auth.permissions import Role
from spokes.core.clock import now
from spokes.core.errors import DomainError
from spokes.extensions import db
from spokes.units.models import Unit
from werkzeug.security import check_password_hash, generate_password_hash

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Compared against when the e-mail is unknown, so response time reveals nothing.
    from spokes.auth.models import password_hash_method

    return generate_password_hash(secrets.token_hex(16), method=password_hash_method())


def normalise_email(email: str) -> str:
    """Return the e-mail as stored: trimmed and lower-case."""
    return (email or "").strip().lower()


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None (never says which part was wrong)."""
    user = db.session.execute(select(User).where(User.email == normalise_email(email))).scalar_one_or_none()
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = now()
    return user


def create_user(
    *, email: str, name: str, password: str, unit_code: str, role: Role | str, title: str | None = None,
    phone: str | None = None, actor: User | None = None,
) -> User:
    """Create a user with one membership; refuse duplicates and unknown units."""
    email = normalise_email(email)
    role = Role(role)
    if db.session.execute(select(func.count()).select_from(User).where(User.email == email)).scalar_one():
        raise DomainError(_("Đã có tài khoản với thư điện tử %(email)s.", email=email), status=409)
    unit = db.session.execute(select(Unit).where(Unit.code == unit_code)).scalar_one_or_none()
    if unit is None:
        raise DomainError(_("Không có đơn vị mã %(code)s.", code=unit_code), status=404)
    user = User(email=email, name=name.strip(), title=title, phone=phone)
    user.set_password(password)
    user.memberships.append(Membership(unit=unit, role=role.value))
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.create", actor=actor, obj_type="user", obj_id=user.id, unit_id=unit.id,
        after={"email": email, "name": user.name, "unit": unit.code, "role": role.value},
    )
    return user


def end_sessions(user: User, *, reason: str) -> None:
    """Revoke every session and remember-me cookie of the user (logout, or "sign out everywhere").

    The user loader compares the stamp in the cookie with ``User.session_stamp``, which
    includes the generation raised here, so older cookies stop working on every server.
    """
    user.session_generation = (user.session_generation or 0) + 1
    db.session.flush()
    audit.record("user.sessions_ended", actor=user, obj_type="user", obj_id=user.id, after={"reason": reason})
    log.info("user %s: sessions ended (%s)", user.id, reason)


def change_password(user: User, current: str, new: str) -> None:
    """Change a user's password after checking the current one."""
    if not user.check_password(current):
        raise DomainError(_("Mật khẩu hiện tại không đúng."), status=400)
    if current == new:
        raise DomainError(_("Mật khẩu mới phải khác mật khẩu hiện tại."), status=400)
    user.set_password(new)
    user.must_change_password = False
    db.session.flush()
    audit.record("user.password_change", actor=user, obj_type="user", obj_id=user.id)
