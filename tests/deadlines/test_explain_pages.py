"""Pages show a request's deadline explanation wholly in the reader's language."""

from __future__ import annotations

import re
from datetime import datetime

from spokes.core.clock import VN_TZ
from spokes.deadlines.explain import render_note, render_steps
from spokes.extensions import db
from spokes.press_requests import services as svc

RECEIVED = datetime(2026, 4, 28, 9, 15, tzinfo=VN_TZ)  # over the 30/04 and 01/05 holidays and a weekend


def _between(page: str, start: str, end: str) -> str:
    return page[page.index(start):page.index(end, page.index(start))]


def test_english_request_page_shows_no_vietnamese_explanation_sentence(world, make_request, client_for):
    req = make_request(world["dhu"], type="information", received_at=RECEIVED)
    svc.extend(world["chair"], req, 2, "Cần số liệu của ba ấp")
    db.session.commit()
    explanation = req.deadline_explanation
    vietnamese = render_steps(explanation["steps"]) + [render_note(explanation["note"])]
    client = client_for(world["clerk"])

    page = client.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    for sentence in vietnamese:
        assert sentence in page

    client.get("/lang/en")
    page = client.get(f"/staff/requests/{req.id}").get_data(as_text=True)
    section = _between(page, 'aria-labelledby="deadline-title"', "</section>")
    for sentence in vietnamese:
        assert sentence not in page, sentence
    assert "Received on 28/04/2026 at 09:15 (Vietnam time)." in section
    assert "Extended by 2 working days; reason: Cần số liệu của ba ấp" in section
    assert "30/04/2026 (Liberation Day/Reunification Day)" in section
    # What is left in Vietnamese is what people typed: the rule's label, the rulebook, the reason.
    typed = [explanation["rule"]["label"], explanation["rulebook"]["name"], "Cần số liệu của ba ấp",
             explanation["citation"]["text"], explanation["citation"]["source"]]
    typed += [step.get(key, "") for step in explanation["steps"] for key in ("book", "label", "source")]
    rest = re.sub(r"<[^>]+>", " ", section)
    for text in sorted(typed, key=len, reverse=True):
        rest = rest.replace(text, "")
    assert not re.search("[ạảấầẩẫậắằẳẵặẹẻẽếềểễệịỉọỏốồổỗộớờởỡợụủứừửữựỳỷỹđơư]", rest, re.IGNORECASE), rest


def test_english_tracking_page_explains_the_deadline_in_english(world, make_request, client):
    req = make_request(world["dhu"], type="information", received_at=RECEIVED)
    vietnamese = render_steps(req.deadline_explanation["steps"])
    client.get("/lang/en")
    page = client.get(f"/track/{req.tracking_token}").get_data(as_text=True)
    assert "Received on 28/04/2026 at 09:15 (Vietnam time)." in page
    assert "Skipping 02/05/2026 — Saturday." in page
    for sentence in vietnamese:
        assert sentence not in page, sentence
