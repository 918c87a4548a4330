"""The sixth form: a letter asking a press agency to publish feedback, a correction or an apology, and its follow-up."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from spokes.core.clock import VN_TZ
from spokes.extensions import db
from spokes.letters import services
from spokes.letters.layout import docx_text
from spokes.letters.models import Letter, LetterKind
from spokes.notifications.models import Notification


@pytest.fixture()
def about_an_article(world: dict[str, Any], make_request: Any, bring: Any) -> Any:
    """An answered request about an article of Báo An Giang."""
    req = make_request(world["dhu"], subject="Bài viết về nạo vét kênh Thứ Mười Một", agency="Báo An Giang",
                       article_url="https://baoangiang.example/bai-viet-nao-vet")
    return bring(req, "answered")


def test_the_letter_asks_and_the_milestone_is_tracked_for_staff_only(world, about_an_article, client_for):
    chair = client_for(world["chair"])
    page = chair.get(f"/staff/letters/request/{about_an_article.id}?kind=correction").get_data(as_text=True)
    assert "Đề nghị xin lỗi" in page and "Mốc theo dõi việc đăng" in page
    form = {"kind": "correction", "signer": str(world["chair"].id), "position": "Chủ tịch",
            "summary": "V/v đề nghị Báo An Giang đăng, phát phản hồi và xin lỗi", "recipient": "Báo An Giang",
            "copies_to": "Như trên\nLưu: VT", "replaces": "0", "ask_feedback": "y", "ask_apology": "y", "issue": "1"}
    assert chair.post(f"/staff/letters/request/{about_an_article.id}", data=form).status_code == 302
    letter = db.session.execute(select(Letter)).scalar_one()
    assert letter.publication_asks == "feedback,apology" and letter.publication_confidence == "U"
    assert letter.publication_due_at == datetime(2026, 12, 8, 23, 59, 59, tzinfo=VN_TZ)
    text = docx_text(letter.docx)
    assert "có ý kiến phản hồi và xin lỗi như sau:" in text and "https://baoangiang.example/bai-viet-nao-vet" in text
    assert "độ tin cậy U" not in text and "08/12/2026" not in text  # the unverified period never goes out
    page = chair.get(f"/staff/letters/request/{about_an_article.id}").get_data(as_text=True)
    assert "08/12/2026" in page and "chưa đối chiếu được văn bản" in page  # staff see it, labelled U
    assert "08/12/2026" not in client_for(world["clerk"]).get(
        f"/track/{about_an_article.tracking_token}").get_data(as_text=True)


def test_overdue_reminds_once_and_publication_is_recorded(world, about_an_article, client_for, frozen_clock):
    letter = services.issue(world["chair"], about_an_article, services.LetterChoices(
        kind=LetterKind.CORRECTION, signer=world["chair"], position="Chủ tịch", summary="V/v đề nghị cải chính",
        recipient="Báo An Giang", copies_to=["Như trên"], asks=("correction",)), send=False)
    db.session.commit()
    assert services.remind_publication_overdue(datetime(2026, 12, 8, 23, 0, tzinfo=VN_TZ)) == 0
    later = datetime(2026, 12, 9, 8, 0, tzinfo=VN_TZ)
    assert services.remind_publication_overdue(later) == 1  # the head, who also issued it
    db.session.commit()
    assert services.remind_publication_overdue(later) == 0  # once
    notice = db.session.execute(select(Notification).where(Notification.kind == "publication_overdue")).scalar_one()
    assert notice.user_id == world["chair"].id and "01/UBND-VP" in notice.message
    frozen_clock(later)
    deputy = client_for(world["deputy"])
    page = deputy.get(f"/staff/letters/request/{about_an_article.id}").get_data(as_text=True)
    assert "Quá mốc theo dõi việc đăng" in page
    url = f"/staff/letters/{letter.id}/published"
    assert client_for(world["clerk"]).post(url, data={"published_on": "2026-12-09"}).status_code == 403
    assert deputy.post(url, data={"published_on": "2026-12-10"}).status_code == 303  # the future: refused
    assert deputy.post(url, data={"published_on": "2026-12-09", "url": "javascript:alert(1)"}).status_code == 303
    assert deputy.post(url, data={"published_on": "2026-12-09", "url": "https://baoangiang.example/cai-chinh"}
                       ).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Letter, letter.id)
    assert stored.published_url == "https://baoangiang.example/cai-chinh"
    assert services.publication_overdue(later) == []
    assert "Cơ quan báo chí đã đăng" in deputy.get(f"/staff/letters/request/{about_an_article.id}").get_data(as_text=True)


def test_tick_runs_the_follow_up(world, about_an_article, frozen_clock):
    from spokes.notifications.jobs import run_tick

    services.issue(world["chair"], about_an_article, services.default_choices(
        about_an_article, LetterKind.CORRECTION, world["chair"]), send=False)
    db.session.commit()
    frozen_clock(datetime(2026, 12, 20, 9, 0, tzinfo=VN_TZ))
    result = run_tick()
    assert "publication_follow_up" not in result.errors
    assert db.session.execute(select(Notification).where(Notification.kind == "publication_overdue")).scalars().all()
