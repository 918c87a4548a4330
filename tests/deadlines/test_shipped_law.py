"""The law ships with the code: `db upgrade` installs it, `rulebooks sync` updates it, keeping edits."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import select

from spokes import create_app
from spokes.audit.models import AuditEvent
from spokes.deadlines import services, shipped
from spokes.deadlines.calendar import VN_TZ
from spokes.deadlines.models import CalendarDay, RefusalGround, Rule, Rulebook, ShippedLawItem
from spokes.deadlines.sync import ItemState, status, sync
from spokes.extensions import db
from spokes.press_requests.models import RequestType


def rule_of(code: str, request_type: str, milestone: str = "main") -> Rule:
    return db.session.execute(select(Rule).join(Rulebook).where(
        Rulebook.code == code, Rule.request_type == request_type, Rule.milestone == milestone)).scalar_one()


def test_db_upgrade_alone_installs_the_law_and_answers_every_type(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SPOKES_INSTANCE_PATH", str(tmp_path))
    application = create_app({"ENV_NAME": "testing"})
    runner = application.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    try:
        result = runner.invoke(args=["rulebooks", "status"])
        assert result.exit_code == 0 and "no drift" in result.output, result.output
        for year in range(2017, 2028):
            moment = f"{year}-01-03T09:00"
            for request_type in RequestType:
                out = runner.invoke(args=["deadline", request_type.value, moment, "--json"])
                assert out.exit_code == 0, (year, request_type, out.output)
                data = json.loads(out.output)
                assert {"due_at", "rulebook", "rule", "citation", "confidence", "skipped_days",
                        "layers", "estimated"} <= set(data)
                assert data["estimated"] is (year == 2027 and request_type.value != "emergency")
        with application.app_context():
            assert db.session.execute(select(CalendarDay).where(CalendarDay.day == date(2026, 1, 10))).scalar_one()
            db.session.remove()
            db.engine.dispose()
    finally:
        with application.app_context():
            db.engine.dispose()


def test_seed_is_the_same_idempotent_sync(app, rulebooks):
    assert services.seed_rulebooks() == 0
    report = status()
    assert not report.drift and report.count(ItemState.IN_SYNC) == len(shipped.shipped_items())
    assert db.session.execute(select(ShippedLawItem)).scalars().all()


def test_sync_keeps_an_admin_edit_and_applies_a_release_change(app, rulebooks, monkeypatch):
    rule = rule_of("qd1430-2017", "information")
    rule.amount = 7  # an admin's local edit
    db.session.commit()
    report = status()
    [edited] = [i for i in report.items if i.key == "rule:qd1430-2017/information/main"]
    assert edited.state is ItemState.LOCAL_EDIT and edited.fields == ("amount",)

    # A new release changes two rules' citation text: one edited locally, one not.
    items = shipped.shipped_items()
    changed = dict(items)
    changed["rule:qd1430-2017/information/main"] = {**items["rule:qd1430-2017/information/main"], "label": "Mới"}
    changed["rule:qd1430-2017/interview/main"] = {**items["rule:qd1430-2017/interview/main"], "label": "Mới 2"}
    monkeypatch.setattr(shipped, "shipped_items", lambda: changed)

    dry = sync(dry_run=True)
    assert {i.key for i in dry.drift} == {"rule:qd1430-2017/interview/main"}
    assert not dry.applied
    report = sync()
    db.session.commit()
    assert report.applied == ["rule:qd1430-2017/interview/main"]
    assert rule_of("qd1430-2017", "interview").label == "Mới 2"
    kept = rule_of("qd1430-2017", "information")
    assert (kept.amount, kept.label) == (7, "Cung cấp thông tin, tài liệu cho báo chí")
    [conflict] = [i for i in status().items if i.key == "rule:qd1430-2017/information/main"]
    assert conflict.state is ItemState.CONFLICT
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "law.updated")).scalar_one()
    assert event.after["label"] == "Mới 2" and event.before["label"] != "Mới 2"


def test_sync_updates_rows_installed_by_the_first_release_unless_edited(app):
    """A database seeded before snapshots existed: rows equal to release 1 move to this release."""
    v1 = json.loads((shipped.HISTORY_DIR / "rulebooks-v1.json").read_text(encoding="utf-8"))
    for raw in v1["rulebooks"]:
        book = Rulebook(code=raw["code"], name=raw["name"], valid_from=date.fromisoformat(raw["valid_from"]),
                        valid_to=date.fromisoformat(raw["valid_to"]) if raw.get("valid_to") else None,
                        press_conference_notice_hours=raw.get("press_conference_notice_hours"),
                        press_conference_notice_citation=raw.get("press_conference_notice_citation"))
        for r in raw["rules"]:
            book.rules.append(Rule(request_type=r["request_type"], milestone=r["milestone"], amount=r["amount"],
                                   unit=r["unit"], label=r["label_vi"], citation_text=r["citation_text"],
                                   citation_source=r["citation_source"], confidence=r["confidence"],
                                   reminder_offsets=r["reminder_offsets"], extension_allowed=r["extension_allowed"],
                                   extension_max_amount=r["extension_max_amount"], overdue_note=r["overdue_note_vi"]))
        for g in raw["refusal_grounds"]:
            book.refusal_grounds.append(RefusalGround(code=g["code"], text=g["text_vi"], source=g["source"],
                                                      confidence=g["confidence"]))
        db.session.add(book)
    db.session.flush()
    edited = db.session.execute(select(RefusalGround).join(Rulebook).where(
        Rulebook.code == "qd1430-2017", RefusalGround.code == "a")).scalar_one()
    edited.text = "Văn bản do quản trị viên sửa."
    db.session.commit()

    sync()
    db.session.commit()
    ground_d = db.session.execute(select(RefusalGround).join(Rulebook).where(
        Rulebook.code == "qd1430-2017", RefusalGround.code == "d")).scalar_one()
    assert "QĐ 1430" not in ground_d.source and ground_d.confidence == "U"
    assert db.session.get(RefusalGround, edited.id).text == "Văn bản do quản trị viên sửa."
    assert rule_of("qd1430-2017", "press_answer").statutory is True
    states = {i.key: i.state for i in status().items}
    # The admin edited it and the release changed it too: the edit stays, reported as a conflict.
    assert states["ground:qd1430-2017/a"] is ItemState.CONFLICT
    assert not [k for k, s in states.items() if s.is_drift]


def test_cli_status_and_sync(runner, app):
    out = runner.invoke(args=["rulebooks", "status"])
    assert out.exit_code == 0 and "drift" in out.output and "missing=" in out.output
    out = runner.invoke(args=["rulebooks", "sync", "--dry-run"])
    assert out.exit_code == 0 and "dry run" in out.output
    assert db.session.execute(select(Rulebook)).first() is None
    out = runner.invoke(args=["rulebooks", "sync"])
    assert out.exit_code == 0 and "synced" in out.output
    assert "no drift" in runner.invoke(args=["rulebooks", "status"]).output


def test_admin_cancelled_day_off_recomputes_and_is_audited(app, rulebooks, make_unit, make_user, frozen_clock):
    frozen_clock(datetime(2026, 11, 20, 10, 0, tzinfo=VN_TZ))
    admin = make_user("admin", make_unit("PROV", kind="province"))
    row, _moved = services.add_calendar_day(admin, date(2026, 11, 24), "cancelled_day_off",
                                            "Không nghỉ Ngày Văn hóa", "CV 99/UBND ngày 20/11/2026")
    db.session.commit()
    assert (row.kind, row.document, row.source) == ("cancelled_day_off", "CV 99/UBND ngày 20/11/2026", "admin")
    deadline = services.compute("information", datetime(2026, 11, 23, 9, 0, tzinfo=VN_TZ))
    assert deadline.result.due_date == date(2026, 11, 30)  # 24, 25, 26, 27, 30 = 5 working days
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "calendar.day_added")).scalar_one()
    assert event.after["kind"] == "cancelled_day_off"
    with pytest.raises(Exception, match="Chỉ hủy được"):
        services.add_calendar_day(admin, date(2026, 11, 25), "cancelled_day_off", "x")


def test_explanation_flags_an_estimated_year(app, rulebooks):
    explanation = services.compute("information", datetime(2027, 3, 1, 9, 0, tzinfo=VN_TZ)).explanation()
    assert explanation["estimated"] is True and explanation["estimated_years"] == [2027]
    explanation = services.compute("information", datetime(2026, 3, 2, 9, 0, tzinfo=VN_TZ)).explanation()
    assert explanation["estimated"] is False


