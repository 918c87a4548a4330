"""A fixed data set for the reports, with every expected figure counted by hand.

Rows are inserted directly (not through the workflow services) so that each timestamp is
exactly what the comment says. Times are Vietnamese (UTC+7) unless stated.

The clock is frozen at Wednesday 15/04/2026 10:00; the period is Q1 2026
(01/01/2026 – 31/03/2026). Tree (from the shared ``district`` fixture):

    KG (province) ─┬─ AM (district) ─┬─ AM-DHU (commune Đông Hưng)
                   │                  ├─ AM-VK  (commune Vân Khánh)
                   │                  ├─ AM-VHTT (department)
                   │                  └─ AM-OLD (inactive commune, added here)
                   └─ HT (another district)

Holidays used: 01/01/2026 (Tết Dương lịch) and 16–20/02/2026 (Tết Nguyên Đán).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from spokes.auth.models import Membership, User
from spokes.deadlines.models import RefusalGround, Rule, Rulebook
from spokes.extensions import db
from spokes.press_requests.models import Extension, PressRequest, Transfer
from spokes.publishing.models import Publication
from spokes.units.models import Designation

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 4, 15, 10, 0, tzinfo=VN)
PERIOD = (date(2026, 1, 1), date(2026, 3, 31))


def vn(y: int, m: int, d: int, hh: int = 9, mm: int = 0, ss: int = 0) -> datetime:
    """Return a Vietnamese wall-clock time as an aware UTC datetime."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=VN).astimezone(UTC)


def end_of(y: int, m: int, d: int) -> datetime:
    """Return 23:59:59 Vietnamese time on a date: how day-counted deadlines are stored."""
    return vn(y, m, d, 23, 59, 59)


# Hand-counted figures for the overseer of AM (AM subtree), period Q1 2026, at NOW.
EXPECTED_AM = {
    "received": 20,
    "by_type": {"information": 10, "interview": 4, "press_answer": 2, "forwarded_feedback": 2,
                "forwarded_complaint": 1, "forwarded_denunciation": 0, "emergency": 1},
    "by_channel": {"phone": 7, "email": 3, "web_form": 3, "letter": 3, "press_article": 2,
                   "press_conference": 1, "in_person": 1},
    "monthly": {
        "2026-01": {"information": 5, "interview": 1, "press_answer": 1},
        "2026-02": {"interview": 3, "forwarded_complaint": 1, "information": 1},
        "2026-03": {"information": 4, "forwarded_feedback": 2, "emergency": 1, "press_answer": 1},
    },
    "answered": 11,
    "on_time": 8,
    "late": 3,
    "open": 6,
    "overdue": 5,
    "ageing": {"1-5": 1, "6-10": 1, "11-30": 2, "31+": 1},
    "refused": 2,
    "refused_by_ground": {"a": 1, "c": 1},
    "withdrawn": 1,
    "transferred": 3,
    # Working days per answer: 0,0,0,2,4,4,5,6,6,7,10 (see the rows; the official 2026 calendar
    # has Fri 02/01 off and Sat 10/01 worked, CV 12729/VPCP-KGVX): median 4, p90 (rank 10 of 11) 7.
    "answer_days": {0: 3, 2: 1, 4: 2, 5: 1, 6: 2, 7: 1, 10: 1},
    "median": 4.0,
    "p90": 7,
    "published": 2,
    "without_spokesperson": ["AM-VK", "AM-VHTT"],
    # (code, received, answered, on_time, late, open, overdue), in ranking order.
    "ranking": [
        ("AM", 1, 1, 1, 0, 0, 0),        # 100 %
        ("AM-DHU", 12, 7, 6, 1, 2, 1),   # 85.7 %
        ("AM-VK", 6, 2, 1, 1, 4, 4),     # 50 %
        ("AM-VHTT", 1, 1, 0, 1, 0, 0),   # 0 %
    ],
}


@dataclass
class ReportData:
    """The units, people and requests of the fixed data set."""

    units: dict[str, Any]
    users: dict[str, Any]
    requests: dict[str, PressRequest]
    grounds: dict[str, RefusalGround]


@pytest.fixture()
def report_data(district: dict[str, Any], make_unit: Callable[..., Any], make_user: Callable[..., Any],
                rulebooks: None, frozen_clock: Callable[[datetime], None]) -> ReportData:
    """Insert the fixed data set and freeze the clock at NOW."""
    frozen_clock(NOW.astimezone(UTC))
    units = dict(district)
    am, dhu, vk, vhtt, ht, kg = (units[k] for k in ("district", "dhu", "vk", "vhtt", "other_district", "province"))
    old = make_unit("AM-OLD", "UBND xã Cũ (đã sáp nhập)", parent=am)
    old.is_active = False  # inactive: never listed as missing a spokesperson
    units["old"] = old

    def person(role: str, unit: Any, email: str, name: str, *, head_title: str | None = None) -> User:
        """Add someone who never signs in (no password hashing: it is what makes fixtures slow)."""
        user = User(email=email, name=name, title=head_title, password_hash="!", active=True)
        user.memberships.append(Membership(unit_id=unit.id, role=role))
        db.session.add(user)
        db.session.flush()
        if head_title:
            db.session.add(Designation(unit_id=unit.id, user_id=user.id, kind="head", title=head_title,
                                       document_number="9/QĐ", document_date=date(2025, 1, 1),
                                       valid_from=date(2025, 1, 2)))
        return user

    users = {
        # The four who sign in during the tests.
        "overseer": make_user("overseer", am, email="vanphong@am.vn", name="Đặng Quốc Bảo"),
        "admin": make_user("admin", kg, email="quantri@kg.vn"),
        # DHU: head designated (current) -> compliant.
        "dhu_head": make_user("head", dhu, email="chutich@dhu.vn", name="Nguyễn Văn Hải", designate="head"),
        "dhu_clerk": make_user("clerk", dhu, email="vanthu@dhu.vn"),
        # AM: its head designation is current, so AM is compliant and signs the report.
        "am_head": person("head", am, "chutich@am.vn", "Lê Văn Huyện", head_title="Chủ tịch UBND huyện An Minh"),
        "dhu_sp": person("spokesperson", dhu, "pcc@dhu.vn", "Trương Thị Mai"),
        # VK: head without a designation; only a revoked one exists (below) -> not compliant.
        "vk_head": person("head", vk, "chutich@vk.vn", "Huỳnh Văn Phúc"),
        "vhtt_sp": person("spokesperson", vhtt, "pn@vhtt.vn", "Phạm Thị Lan"),
        "ht_head": person("head", ht, "chutich@ht.vn", "Trần Văn Đất", head_title="Chủ tịch UBND huyện Hòn Đất"),
    }
    db.session.add_all([
        Designation(unit_id=vk.id, user_id=users["vk_head"].id, kind="designated", title="Phó Chủ tịch",
                    document_number="1/QĐ", document_date=date(2025, 1, 1), valid_from=date(2025, 1, 2),
                    revoked_at=vn(2026, 3, 1), revoked_reason="Chuyển công tác"),
        # VHTT: designation ended 31/03/2026, before the report day -> not compliant.
        Designation(unit_id=vhtt.id, user_id=users["vhtt_sp"].id, kind="designated", title="Phó Trưởng phòng",
                    document_number="2/QĐ", document_date=date(2025, 1, 1), valid_from=date(2025, 1, 2),
                    valid_to=date(2026, 3, 31)),
    ])

    book = db.session.execute(select(Rulebook).where(Rulebook.code == "qd1430-2017")).scalar_one()
    rules = {r.request_type: r for r in db.session.execute(select(Rule).where(Rule.rulebook_id == book.id)).scalars()}
    grounds = {g.code: g for g in db.session.execute(
        select(RefusalGround).where(RefusalGround.rulebook_id == book.id)).scalars()}

    requests: dict[str, PressRequest] = {}

    def add(key: str, unit: Any, rtype: str, channel: str, received: datetime, due: datetime, state: str, *,
            answered: datetime | None = None, refused: datetime | None = None, ground: str | None = None,
            withdrawn: datetime | None = None, assignee: Any = None, clock_started: datetime | None = None,
            transferred_from: Any = None, extended: int = 0, subject: str | None = None) -> PressRequest:
        req = PressRequest(
            reference=f"T-{key}", unit_id=unit.id, type=rtype, channel=channel, state=state,
            subject=subject or f"Yêu cầu {key}", questions="Câu hỏi.", received_at=received,
            clock_started_at=clock_started or received, due_at=due, rulebook_id=book.id,
            rule_id=rules[rtype].id, answered_at=answered, refused_at=refused,
            refusal_ground_id=grounds[ground].id if ground else None,
            refusal_reason="Lý do từ chối." if ground else None, withdrawn_at=withdrawn,
            assignee_id=assignee.id if assignee else None,
            transferred_from_id=transferred_from.id if transferred_from else None, extended_amount=extended,
        )
        db.session.add(req)
        db.session.flush()
        requests[key] = req
        return req

    sp = users["dhu_sp"]
    # ---- AM-DHU (12 received in Q1) -------------------------------------------------------
    # R1 information, received Fri 09/01, due Fri 16/01; answered Wed 14/01 06:00 (= 13/01 23:00 UTC,
    # so a UTC date would give 3): on time, 4 working days (Sat 10/01 worked under CV 12729, 12, 13, 14/01).
    add("R1", dhu, "information", "phone", vn(2026, 1, 9), end_of(2026, 1, 16), "answered",
        answered=vn(2026, 1, 14, 6, 0))
    # R2 information, received Mon 05/01, due Mon 12/01; answered SATURDAY 17/01: late;
    # 10 working days (06–09/01, Sat 10/01 worked under CV 12729, 12–16/01); Sat 17/01 adds nothing.
    add("R2", dhu, "information", "email", vn(2026, 1, 5), end_of(2026, 1, 12), "answered",
        answered=vn(2026, 1, 17, 10, 0))
    # R3 interview, received Fri 13/02, due Fri 27/02 (Tết 16–20/02 skipped); answered on the
    # Tết HOLIDAY Tue 17/02: on time, 0 working days (14–15 weekend, 16–17 Tết).
    add("R3", dhu, "interview", "web_form", vn(2026, 2, 13), end_of(2026, 2, 27), "answered",
        answered=vn(2026, 2, 17, 8, 0))
    # R4 press_answer, received Wed 07/01, due 06/02 (30 calendar days); answered the same day: 0 days, on time.
    add("R4", dhu, "press_answer", "letter", vn(2026, 1, 7), end_of(2026, 2, 6), "answered",
        answered=vn(2026, 1, 7, 16, 0))
    # R5 information, received Mon 02/03, due Mon 09/03 EXTENDED by 3 working days to Thu 12/03;
    # answered Wed 11/03: on time thanks to the extension; 7 working days (3–6, 9–11/03).
    r5 = add("R5", dhu, "information", "phone", vn(2026, 3, 2), end_of(2026, 3, 12), "answered",
             answered=vn(2026, 3, 11, 10, 0), extended=3)
    db.session.add(Extension(request_id=r5.id, amount=3, reason="Cần số liệu của huyện.",
                             old_due_at=end_of(2026, 3, 9), new_due_at=end_of(2026, 3, 12), created_at=vn(2026, 3, 6)))
    # R6 information, received Thu 26/03, due Thu 02/04; drafting: open, overdue 13 days -> bucket 11–30.
    add("R6", dhu, "information", "web_form", vn(2026, 3, 26), end_of(2026, 4, 2), "drafting", assignee=sp)
    # R7 forwarded_feedback, received Mon 30/03, due Wed 29/04: open, not overdue.
    add("R7", dhu, "forwarded_feedback", "press_article", vn(2026, 3, 30), end_of(2026, 4, 29), "received")
    # R8 information, received 20/01, refused 22/01 on ground (a).
    add("R8", dhu, "information", "phone", vn(2026, 1, 20), end_of(2026, 1, 27), "refused",
        refused=vn(2026, 1, 22), ground="a")
    # R9 forwarded_complaint, received 02/02, refused 10/02 on ground (c).
    add("R9", dhu, "forwarded_complaint", "letter", vn(2026, 2, 2), end_of(2026, 3, 4), "refused",
        refused=vn(2026, 2, 10), ground="c")
    # R10 interview, received 03/02, withdrawn by the journalist 04/02.
    add("R10", dhu, "interview", "email", vn(2026, 2, 3), end_of(2026, 2, 10), "withdrawn",
        withdrawn=vn(2026, 2, 4))
    # R11 received 31/12/2025 23:30 (= 16:30 UTC, still 2025 in Vietnam): OUTSIDE the period.
    add("R11", dhu, "information", "phone", vn(2025, 12, 31, 23, 30), end_of(2026, 1, 8), "answered",
        answered=vn(2026, 1, 5))
    # R12 information, received 01/01 00:30 (= 31/12/2025 17:30 UTC, but 2026 in Vietnam): IN the period.
    # Received on a holiday; due Thu 08/01; answered 08/01 23:00: on time; 4 working days (5–8/01;
    # Fri 02/01 is off under CV 12729/VPCP-KGVX).
    add("R12", dhu, "information", "phone", vn(2026, 1, 1, 0, 30), end_of(2026, 1, 8), "answered",
        answered=vn(2026, 1, 8, 23, 0))
    # R13 received 01/04 00:10: OUTSIDE the period (open, so it must not leak into "open" either).
    add("R13", dhu, "information", "phone", vn(2026, 4, 1, 0, 10), end_of(2026, 4, 8), "received")
    # R21 interview received Tue 24/02 at VHTT, TRANSFERRED to DHU on 25/02 (clock restarted, due Wed 04/03);
    # answered Tue 03/03: on time; counts as received at DHU (where it is now) and as transferred
    # (from VHTT, in scope); 5 working days from the original receipt (25–27/02, 2–3/03).
    r21 = add("R21", dhu, "interview", "web_form", vn(2026, 2, 24), end_of(2026, 3, 4), "answered",
              answered=vn(2026, 3, 3), clock_started=vn(2026, 2, 25), transferred_from=vhtt)

    # ---- AM-VK (6 received in Q1) ---------------------------------------------------------
    vk_sp = users["vk_head"]
    # R14 information, received Mon 02/02, due Mon 09/02; answered Tue 10/02: late; 6 working days.
    add("R14", vk, "information", "phone", vn(2026, 2, 2), end_of(2026, 2, 9), "answered",
        answered=vn(2026, 2, 10))
    # R15 emergency, received SATURDAY 14/03 08:00, due 24 hours later (Sun 15/03 08:00); answered
    # SUNDAY 15/03 07:00: on time; 0 working days (both days are weekend).
    add("R15", vk, "emergency", "press_conference", vn(2026, 3, 14, 8, 0), vn(2026, 3, 15, 8, 0), "answered",
        answered=vn(2026, 3, 15, 7, 0))
    # R16 information, received Mon 09/03, due Mon 16/03; assigned: overdue 30 days -> bucket 11–30 (edge).
    add("R16", vk, "information", "email", vn(2026, 3, 9), end_of(2026, 3, 16), "assigned", assignee=vk_sp)
    # R17 interview, received Mon 12/01, due Mon 19/01; still received: overdue 86 days -> bucket >30.
    add("R17", vk, "interview", "phone", vn(2026, 1, 12), end_of(2026, 1, 19), "received")
    # R18 press_answer, received Wed 11/03, due Fri 10/04; assigned: overdue 5 days -> bucket 1–5 (edge).
    add("R18", vk, "press_answer", "letter", vn(2026, 3, 11), end_of(2026, 4, 10), "assigned", assignee=vk_sp)
    # R19 forwarded_feedback, received Thu 05/03, due Sat 04/04 moved to Mon 06/04; drafting:
    # overdue 9 days -> bucket 6–10.
    add("R19", vk, "forwarded_feedback", "press_article", vn(2026, 3, 5), end_of(2026, 4, 6), "drafting",
        assignee=vk_sp)

    # ---- AM-VHTT (1 received in Q1, 2 transfers out) ---------------------------------------
    # R20 information, received Thu 15/01, due Thu 22/01; answered Fri 23/01 08:00: late; 6 working days.
    add("R20", vhtt, "information", "in_person", vn(2026, 1, 15), end_of(2026, 1, 22), "answered",
        answered=vn(2026, 1, 23, 8, 0), assignee=None)
    # R22 information received 20/03 at VHTT, TRANSFERRED 23/03 to HT (another district). For the AM
    # report it counts as transferred but not as received (it now belongs to HT); for the province it is both.
    r22 = add("R22", ht, "information", "email", vn(2026, 3, 20), end_of(2026, 3, 30), "received",
              clock_started=vn(2026, 3, 23), transferred_from=vhtt)

    # ---- transfers and other units ----------------------------------------------------------
    # R23 received 29/12/2025 at DHU (outside the period), transferred to VK on 05/01/2026: the
    # transfer happened in the period, so it counts as transferred; answered 09/01.
    r23 = add("R23", vk, "information", "phone", vn(2025, 12, 29), end_of(2026, 1, 12), "answered",
              answered=vn(2026, 1, 9), clock_started=vn(2026, 1, 5), transferred_from=dhu)
    db.session.add_all([
        Transfer(request_id=r21.id, from_unit_id=vhtt.id, to_unit_id=dhu.id, reason="Thuộc thẩm quyền xã.",
                 created_at=vn(2026, 2, 25)),
        Transfer(request_id=r22.id, from_unit_id=vhtt.id, to_unit_id=ht.id, reason="Thuộc huyện Hòn Đất.",
                 created_at=vn(2026, 3, 23)),
        Transfer(request_id=r23.id, from_unit_id=dhu.id, to_unit_id=vk.id, reason="Thuộc xã Vân Khánh.",
                 created_at=vn(2026, 1, 5)),
    ])
    # R24 at HT (outside AM): only the province sees it. Answered on time.
    add("R24", ht, "forwarded_complaint", "letter", vn(2026, 2, 10), end_of(2026, 3, 12), "answered",
        answered=vn(2026, 3, 2))
    # R25 information at AM itself, received Mon 02/03, answered Wed 04/03: on time, 2 working days.
    add("R25", am, "information", "phone", vn(2026, 3, 2), end_of(2026, 3, 9), "answered",
        answered=vn(2026, 3, 4))

    # ---- publications -------------------------------------------------------------------------
    def publish(slug: str, unit: Any, at: datetime, withdrawn: datetime | None = None) -> None:
        db.session.add(Publication(slug=slug, unit_id=unit.id, kind="periodic", title=slug, body="Nội dung.",
                                   speaker_name="Người phát ngôn", published_at=at, withdrawn_at=withdrawn,
                                   withdrawn_reason="Đăng nhầm." if withdrawn else None))

    publish("p1", dhu, vn(2026, 2, 1))  # counts
    publish("p2", dhu, vn(2026, 1, 10), withdrawn=vn(2026, 1, 20))  # withdrawn: does not count
    publish("p3", vk, vn(2026, 4, 2))  # after the period
    publish("p4", am, vn(2026, 3, 31, 23, 0))  # last evening of the period (16:00 UTC): counts
    publish("p5", ht, vn(2026, 2, 2))  # outside AM
    publish("p6", dhu, vn(2025, 12, 31, 23, 30))  # still 2025 in Vietnam: does not count
    db.session.commit()
    return ReportData(units=units, users=users, requests=requests, grounds=grounds)
