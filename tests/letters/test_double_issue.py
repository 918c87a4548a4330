"""The issue form sent twice issues one letter (a number is never reused); who a letter form proposes as signer."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from spokes.audit.models import AuditEvent
from spokes.core.errors import DomainError
from spokes.core.once import FormSubmission
from spokes.extensions import db
from spokes.letters import services
from spokes.letters.models import Letter, LetterKind
from spokes.notifications.models import OutboxMail
from spokes.press_requests import services as request_services
from spokes.units.models import Designation

_KEY = re.compile(r'name="form_key" type="hidden" value="([^"]+)"')
_SIGNER = re.compile(r'<select[^>]*name="signer"[^>]*>(.*?)</select>', re.S)


def _count(model: Any) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _journalist_mails() -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(OutboxMail)
                              .where(OutboxMail.kind == "journalist.letter")).scalar_one()


def _shown_form(staff: Any, req: Any) -> dict[str, str]:
    """Open the letters page of a request as the browser does; return the issue form as it would be sent."""
    page = staff.get(f"/staff/letters/request/{req.id}").get_data(as_text=True)
    return {"form_key": _KEY.search(page).group(1), "kind": "reply", "signer": re.search(
        r'<option selected value="(\d+)"', _SIGNER.search(page).group(1)).group(1), "position": "Chủ tịch",
        "summary": "V/v trả lời", "recipient": "Báo An Giang", "copies_to": "Như trên\nLưu: VT", "replaces": "0",
        "send": "y"}


def test_the_same_form_sent_twice_issues_one_letter_and_one_mail(world, answered, client_for):
    staff = client_for(world["chair"])
    form = {**_shown_form(staff, answered), "issue": "1"}
    first = staff.post(f"/staff/letters/request/{answered.id}", data=form)
    again = staff.post(f"/staff/letters/request/{answered.id}", data=form)
    assert first.status_code == 302 and again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert _count(Letter) == 1 and _journalist_mails() == 1
    assert db.session.execute(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "request.letter_issued")).scalar_one() == 1
    page = staff.get(again.headers["Location"]).get_data(as_text=True)
    assert "Biểu mẫu này đã được gửi; văn bản số 01/UBND-VP đã được ban hành." in page
    # The page shown afterwards (as after Back) carries a new key, but the answer has a letter in force:
    # another reply is refused unless it replaces that letter or is meant as an addition.
    fresh = _shown_form(staff, answered)
    refused = staff.post(f"/staff/letters/request/{answered.id}", data={**fresh, "issue": "1"})
    assert refused.status_code == 409 and _count(Letter) == 1
    assert "Yêu cầu đã có văn bản số 01/UBND-VP cùng loại đang có hiệu lực." in refused.get_data(as_text=True)
    added = staff.post(f"/staff/letters/request/{answered.id}", data={**fresh, "also_issue": "y", "issue": "1"})
    assert added.status_code == 302 and _count(Letter) == 2
    first = db.session.execute(select(Letter).order_by(Letter.id)).scalars().first()
    replacing = staff.post(f"/staff/letters/request/{answered.id}",
                           data={**_shown_form(staff, answered), "replaces": str(first.id), "issue": "1"})
    assert replacing.status_code == 302 and _count(Letter) == 3


def test_a_preview_and_a_refusal_leave_the_key_to_the_issue(world, answered, client_for, monkeypatch):
    staff = client_for(world["chair"])
    form = _shown_form(staff, answered)
    preview = staff.post(f"/staff/letters/request/{answered.id}", data={**form, "preview": "1"})
    assert preview.status_code == 200 and preview.mimetype.endswith("wordprocessingml.document")
    bad = staff.post(f"/staff/letters/request/{answered.id}", data={**form, "summary": "", "issue": "1"})
    assert bad.status_code == 400 and form["form_key"] in bad.get_data(as_text=True)  # shown again, same key
    real_issue = services.issue

    def refused_once(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(services, "issue", real_issue)
        raise DomainError("Mẫu văn bản của đơn vị không dùng được.", 409)

    monkeypatch.setattr(services, "issue", refused_once)  # refused after the key was claimed: both roll back
    refused = staff.post(f"/staff/letters/request/{answered.id}", data={**form, "issue": "1"})
    assert refused.status_code == 409 and _count(Letter) == 0 and _count(FormSubmission) == 0
    issued = staff.post(f"/staff/letters/request/{answered.id}", data={**form, "issue": "1"})
    assert issued.status_code == 302 and _count(Letter) == 1
    assert db.session.execute(select(Letter.number)).scalar_one() == 1


def test_a_form_without_a_key_is_still_served(world, answered, client_for):
    """Pages shown before the key existed, and scripts, post without one: the letter is issued."""
    staff = client_for(world["chair"])
    form = {k: v for k, v in _shown_form(staff, answered).items() if k != "form_key"}
    assert staff.post(f"/staff/letters/request/{answered.id}", data={**form, "issue": "1"}).status_code == 302
    assert _count(Letter) == 1


@pytest.mark.real_commits
def test_two_sendings_at_once_issue_one_letter(world, answered, other_app, login):
    """Two servers take the same form at the same moment: the unique key lets one of them issue."""
    chair, req = SimpleNamespace(email=world["chair"].email), SimpleNamespace(id=answered.id)
    db.session.commit()  # this test's own session holds no lock while the servers work
    clients = []
    for server in (other_app(), other_app()):
        client = server.test_client()
        login(chair, target=client)
        clients.append(client)
    form = {**_shown_form(clients[0], req), "issue": "1"}
    barrier = threading.Barrier(2, timeout=120)

    def post(side: int) -> int:
        barrier.wait()
        return clients[side].post(f"/staff/letters/request/{req.id}", data=form).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(f.result(timeout=300) for f in [pool.submit(post, side) for side in (0, 1)])
    assert statuses == [302, 303]
    assert _count(Letter) == 1 and _journalist_mails() == 1
    assert db.session.execute(select(Letter.number)).scalar_one() == 1


# --------------------------------------------------------------------------- the signer a form proposes


def _authorise_for_case(world: dict[str, Any], req: Any) -> None:
    request_services.authorise_for_case(world["chair"], req, request_services.CaseAuthorisation(
        user=world["clerk"], title="Công chức", document_number="12/GUQ-UBND", document_date=date(2026, 12, 3),
        valid_to=date(2026, 12, 3) + timedelta(days=30)))
    db.session.commit()


def test_a_case_authorisation_signs_only_for_its_case_and_the_head_comes_first(world, answered, make_request,
                                                                            client_for):
    case = make_request(world["dhu"], subject="Sạt lở bờ kênh")
    _authorise_for_case(world, case)  # Lê Thị Thu, a clerk, for that one case
    db.session.add(Designation(unit_id=world["dhu"].id, user_id=world["deputy"].id, kind="designated",
                               title="Phó Chủ tịch", document_number="3/QĐ-UBND", document_date=date(2026, 1, 5),
                               valid_from=date(2026, 1, 5)))
    db.session.commit()
    chair, deputy, clerk = world["chair"], world["deputy"], world["clerk"]
    assert services.signers_for(world["dhu"], req=answered) == [chair, deputy]
    assert services.signers_for(world["dhu"], req=case) == [chair, deputy, clerk]
    assert services.signers_for(world["dhu"]) == [chair, deputy]  # conferences, designations: no case

    page = client_for(chair).get(f"/staff/letters/request/{answered.id}").get_data(as_text=True)
    options = _SIGNER.search(page).group(1)
    assert re.search(rf'<option selected value="{chair.id}">Nguyễn Văn Hải', options)
    assert clerk.name not in options and "CÔNG CHỨC" not in page
    with pytest.raises(DomainError):  # and she cannot be made to sign another case's letter
        services.issue(chair, answered, services.default_choices(answered, LetterKind.REPLY, clerk))
    db.session.rollback()
