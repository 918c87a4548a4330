"""The journalist behind a request: agencies, contact details, the record staff hold."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from spokes.audit import services as audit
from spokes.auth.models import User
from spokes.core.text import fold
from spokes.extensions import db
from spokes.press_requests.models import Journalist, PressAgency

log = logging.getLogger(__name__)


def get_or_create_agency(name: str | None) -> PressAgency | None:
    """Return the press agency with this name (ignoring case and accents), creating it if new."""
    if not name or not name.strip():
        return None
    key = fold(name)
    agency = db.session.execute(select(PressAgency).where(PressAgency.name_folded == key)).scalar_one_or_none()
    if agency is None:
        try:
            # A savepoint: another server may create the same agency at the same moment; the
            # unique name_folded then refuses ours, and we use theirs instead of failing.
            with db.session.begin_nested():
                agency = PressAgency(name=name.strip(), name_folded=key)
                db.session.add(agency)
        except IntegrityError:
            agency = db.session.execute(select(PressAgency).where(PressAgency.name_folded == key)).scalar_one()
    return agency


@dataclass
class JournalistData:
    """What we know of the journalist behind a request."""

    name: str
    agency: str | None = None
    email: str | None = None
    phone: str | None = None
    press_card_number: str | None = None
    press_card_expiry: date | None = None
    consent_publish_name: bool = False


def normalise_name(name: str | None) -> str:
    """Return a person's name as stored and matched: NFC, single spaces (an NFD name joins the NFC one)."""
    return " ".join(unicodedata.normalize("NFC", name or "").split())


def normalise_contact(data: JournalistData) -> JournalistData:
    """Return the details with the name in NFC, the e-mail trimmed and lower-case, blanks as None."""
    def text(value: str | None) -> str | None:
        value = unicodedata.normalize("NFC", value).strip() if value else None
        return value or None

    return JournalistData(
        name=normalise_name(data.name), agency=text(data.agency), email=(text(data.email) or "").lower() or None,
        phone=text(data.phone), press_card_number=text(data.press_card_number),
        press_card_expiry=data.press_card_expiry, consent_publish_name=bool(data.consent_publish_name),
    )


def _journalist(email: str | None, name: str) -> Journalist | None:
    return db.session.execute(
        select(Journalist).where(Journalist.email == email, Journalist.name == name)
    ).scalar_one_or_none()


def link_journalist(data: JournalistData) -> Journalist:
    """Return the journalist record with this normalised e-mail and NFC name, creating it if new.

    An existing record is never changed here: whatever an anonymous form or an intake says
    about phone, agency, card or consent is stored on the request itself. Changing the
    details staff hold is ``update_journalist``, an explicit and audited staff action.
    """
    data = normalise_contact(data)
    journalist = _journalist(data.email, data.name) if data.email else None
    if journalist is not None:
        return journalist
    agency = get_or_create_agency(data.agency)
    try:
        # A savepoint, as for agencies: another server may insert the same journalist at the
        # same moment; the unique (e-mail, name) then refuses ours and we take theirs.
        with db.session.begin_nested():
            journalist = Journalist(name=data.name, email=data.email, agency_id=agency.id if agency else None,
                                    phone=data.phone, press_card_number=data.press_card_number,
                                    press_card_expiry=data.press_card_expiry)
            db.session.add(journalist)
    except IntegrityError:
        journalist = _journalist(data.email, data.name)
        if journalist is None:
            raise
    db.session.flush()
    return journalist


# Kept for callers written before issue 17; it no longer updates an existing record.
upsert_journalist = link_journalist


def update_journalist(actor: User, journalist: Journalist, data: JournalistData) -> Journalist:
    """Change the details staff hold on a journalist: an explicit staff action, audited before/after.

    The name and e-mail are the record's identity and stay as they are; requests keep the
    details given with them.
    """
    data = normalise_contact(data)
    fields = ("phone", "press_card_number", "press_card_expiry")
    before = {f: getattr(journalist, f) for f in fields}
    before["agency"] = journalist.agency.name if journalist.agency else None
    agency = get_or_create_agency(data.agency)
    journalist.agency_id = agency.id if agency else None
    journalist.agency = agency
    journalist.phone = data.phone
    journalist.press_card_number = data.press_card_number
    journalist.press_card_expiry = data.press_card_expiry
    db.session.flush()
    after = {f: getattr(journalist, f) for f in fields}
    after["agency"] = agency.name if agency else None
    audit.record("journalist.update", actor=actor, obj_type="journalist", obj_id=journalist.id,
                 before=before, after=after)
    log.info("journalist %s: details changed by user %s", journalist.id, actor.id)
    return journalist
