"""Issuing letters from a request: numbers, the file, immutability, who may, the register."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from spokes.audit.models import AuditEvent
from spokes.core.errors import DomainError, NotAllowed
from spokes.extensions import db
from spokes.letters import services
from spokes.letters.layout import docx_text
from spokes.letters.models import Letter, LetterKind, RegisterCounter


def _issue(world: dict[str, Any], req: Any, kind: LetterKind = LetterKind.REPLY, **kw: Any) -> Letter:
    letter = services.issue(world["chair"], req, services.default_choices(req, kind, world["chair"]), **kw)
    db.session.commit()
    return letter


def test_a_reply_takes_the_next_number_and_carries_the_answer(world, answered):
    first = _issue(world, answered)
    second = _issue(world, answered, replaces=first)
    assert (first.number, second.number, first.year) == (1, 2, 2026)
    assert first.number_and_symbol == "01/UBND-VP"
    text = docx_text(first.docx)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Số: 01/UBND-VP",
                     "XÃ ĐÔNG HƯNG", "Đông Hưng, ngày 03 tháng 12 năm 2026", "Kính gửi: Báo An Giang",
                     "đã nạo vét xong 80% tuyến kênh", answered.reference, "TM. ỦY BAN NHÂN DÂN", "Nguyễn Văn Hải"):
        assert expected in text, expected
    assert "**" not in text  # the answer's Markdown is printed as plain text
    # A correction is a new letter that names the one it replaces; the first stays as issued.
    assert "thay thế Văn bản số 01/UBND-VP ngày 03/12/2026" in docx_text(second.docx)
    assert second.replaces_id == first.id and docx_text(first.docx) == text
    events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "request.letter_issued")
                                .order_by(AuditEvent.id)).scalars().all()
    assert [e.after["number"] for e in events] == ["01/UBND-VP", "02/UBND-VP"]
    assert events[1].after["replaces"] == "01/UBND-VP"


def test_a_draft_takes_no_number(world, answered):
    data = services.preview_docx(answered, services.default_choices(answered, LetterKind.REPLY, world["chair"]))
    assert "DỰ THẢO" in docx_text(data) and "Số: 01" not in docx_text(data)
    assert db.session.execute(select(func.count()).select_from(Letter)).scalar_one() == 0
    assert _issue(world, answered).number == 1


def test_a_letter_the_records_cannot_support_takes_no_number(world, make_request):
    req = make_request(world["dhu"])  # not answered yet
    with pytest.raises(DomainError):
        services.issue(world["chair"], req, services.default_choices(req, LetterKind.REPLY, world["chair"]))
    db.session.rollback()
    assert db.session.execute(select(func.coalesce(func.max(RegisterCounter.last_number), 0))).scalar_one() == 0


def test_numbers_run_per_unit_and_year(world, answered, make_request, bring, frozen_clock):
    from datetime import datetime

    from spokes.core.clock import VN_TZ

    assert _issue(world, answered).number == 1
    frozen_clock(datetime(2027, 1, 4, 9, 0, tzinfo=VN_TZ))
    letter = _issue(world, answered)
    assert (letter.year, letter.number, letter.issued_on.isoformat()) == (2027, 1, "2027-01-04")
    assert "ngày 04 tháng 01 năm 2027" in docx_text(letter.docx)


def test_a_refusal_cites_the_recorded_ground(world, make_request, bring):
    req = bring(make_request(world["dhu"]), "refused")
    assert services.available_kinds(req) == [LetterKind.REFUSAL]
    text = docx_text(_issue(world, req, LetterKind.REFUSAL).docx)
    assert req.refusal_ground.text in text and "Vụ việc đang thanh tra" in text
    if req.refusal_ground.confidence == "U":
        assert "Căn cứ" not in text
    else:
        assert f"Căn cứ {req.refusal_ground.source}" in text


def test_only_the_units_head_issues(world, answered):
    for user in (world["clerk"], world["deputy"], world["office"], world["users"][("head", "other")]):
        with pytest.raises(NotAllowed):
            services.issue(user, answered, services.default_choices(answered, LetterKind.REPLY, world["chair"]))
    db.session.rollback()


# --------------------------------------------------------------------------- through the screens


def test_head_issues_from_the_request_page(world, answered, client_for):
    staff = client_for(world["chair"])
    page = staff.get(f"/staff/letters/request/{answered.id}")
    assert page.status_code == 200 and "Lấy số và ban hành" in page.get_data(as_text=True)
    form = {"kind": "reply", "signer": str(world["chair"].id), "position": "Chủ tịch", "summary": "V/v trả lời",
            "recipient": "Báo An Giang", "copies_to": "Như trên\nLưu: VT", "replaces": "0"}
    preview = staff.post(f"/staff/letters/request/{answered.id}", data={**form, "preview": "1"})
    assert preview.status_code == 200 and preview.mimetype.endswith("wordprocessingml.document")
    assert db.session.execute(select(func.count()).select_from(Letter)).scalar_one() == 0
    issued = staff.post(f"/staff/letters/request/{answered.id}", data={**form, "issue": "1"})
    assert issued.status_code == 302
    letter = db.session.execute(select(Letter)).scalar_one()
    assert letter.number_and_symbol == "01/UBND-VP" and letter.signer_position == "CHỦ TỊCH"
    download = staff.get(f"/staff/letters/{letter.id}.docx")
    assert download.status_code == 200 and "Số: 01/UBND-VP" in docx_text(download.data)
    # Bad input is a 400 with the form, not a number.
    bad = staff.post(f"/staff/letters/request/{answered.id}", data={**form, "summary": "", "issue": "1"})
    assert bad.status_code == 400 and db.session.execute(select(func.count()).select_from(Letter)).scalar_one() == 1


def test_others_cannot_issue_or_read(world, answered, client_for):
    form = {"kind": "reply", "signer": str(world["chair"].id), "position": "Chủ tịch", "summary": "V/v",
            "recipient": "Báo", "replaces": "0", "issue": "1"}
    clerk = client_for(world["clerk"])
    assert clerk.get(f"/staff/letters/request/{answered.id}").status_code == 200  # reads, no form
    assert "Lấy số và ban hành" not in clerk.get(f"/staff/letters/request/{answered.id}").get_data(as_text=True)
    assert clerk.post(f"/staff/letters/request/{answered.id}", data=form).status_code == 403
    stranger = client_for(world["users"][("head", "other")])
    assert stranger.get(f"/staff/letters/request/{answered.id}").status_code == 404
    assert stranger.post(f"/staff/letters/request/{answered.id}", data=form).status_code == 404
    letter = _issue(world, answered)
    assert stranger.get(f"/staff/letters/{letter.id}.docx").status_code == 404
    assert clerk.get(f"/staff/letters/{letter.id}.docx").status_code == 200


def test_register_lists_searches_and_exports(world, answered, client_for, make_request, bring):
    first = _issue(world, answered)
    refused = bring(make_request(world["dhu"], subject="Thanh tra đất đai"), "refused")
    _issue(world, refused, LetterKind.REFUSAL)
    clerk = client_for(world["clerk"])  # the records officer keeps the register
    body = clerk.get("/staff/letters/register").get_data(as_text=True)
    assert "01/UBND-VP" in body and "02/UBND-VP" in body
    assert "02/UBND-VP" not in clerk.get("/staff/letters/register?q=01").get_data(as_text=True)
    only = clerk.get(f"/staff/letters/register?q={refused.reference}").get_data(as_text=True)
    assert "02/UBND-VP" in only and "01/UBND-VP" not in only
    assert "01/UBND-VP" not in clerk.get("/staff/letters/register?kind=refusal").get_data(as_text=True)
    for junk in ("?page=99999999999999999999", "?year=0001", "?kind=<script>", "?unit=NOPE&q=" + "x" * 500):
        assert clerk.get("/staff/letters/register" + junk).status_code == 200, junk
    assert clerk.get("/staff/letters/register?q=%00").status_code == 400  # the app refuses NUL bytes
    export = clerk.get("/staff/letters/register?format=xlsx&year=2026")
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[1][0] == "Số, ký hiệu"
    assert [r[0] for r in rows[2:]] == ["02/UBND-VP", "01/UBND-VP"]
    assert rows[-1][5] == answered.reference and first.summary in rows[-1][2]
    # Another commune's register is not reachable by its code.
    other = client_for(world["users"][("head", "other")]).get("/staff/letters/register?unit=AM-DHU")
    assert "01/UBND-VP" not in other.get_data(as_text=True)


def test_heading_settings_change_later_letters_only(world, answered, client_for):
    first = _issue(world, answered)
    staff = client_for(world["chair"])
    assert staff.post("/staff/letters/heading/AM-DHU", data={"symbol": "UBND", "place_name": "Đông Hưng"}).status_code == 302
    assert client_for(world["clerk"]).post("/staff/letters/heading/AM-DHU",
                                            data={"symbol": "X", "place_name": "Y"}).status_code == 403
    second = _issue(world, answered)
    assert second.number_and_symbol == "02/UBND" and first.number_and_symbol == "01/UBND-VP"
    assert "Số: 01/UBND-VP" in docx_text(first.docx)


def test_cli_writes_a_numbered_letter(world, answered, runner, tmp_path):
    out = tmp_path / "x.docx"
    result = runner.invoke(args=["letter", answered.reference, "--kind", "reply", "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = docx_text(out.read_bytes())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "Số: 01/UBND-VP" in text and "XÃ ĐÔNG HƯNG" in text
    again = runner.invoke(args=["letter", answered.reference, "--kind", "reply", "--output", str(out)])
    assert again.exit_code == 0 and "Số: 02/UBND-VP" in docx_text(out.read_bytes())
    draft = runner.invoke(args=["letter", answered.reference, "--kind", "reply", "--output", str(out), "--draft"])
    assert draft.exit_code == 0 and "DỰ THẢO" in docx_text(out.read_bytes())
    assert db.session.execute(select(func.count()).select_from(Letter)).scalar_one() == 2
    refused = runner.invoke(args=["letter", answered.reference, "--kind", "refusal", "--output", str(out)])
    assert refused.exit_code == 1 and "Yêu cầu chưa có đủ dữ liệu" in refused.output
    assert runner.invoke(args=["letter", "NOPE", "--kind", "reply", "--output", str(out)]).exit_code == 1


def test_the_journalist_receives_the_letter_attached(app, world, answered, tmp_path, runner):
    import email
    from email import policy

    from spokes.notifications import sender
    from spokes.notifications.models import OutboxMail

    app.config["MAIL_FILE_DIR"] = str(tmp_path)
    app.config.pop("MAIL_SERVER", None)
    before = db.session.execute(select(func.count()).select_from(OutboxMail)).scalar_one()
    letter = services.issue(world["chair"], answered, services.default_choices(answered, LetterKind.REPLY,
                                                                             world["chair"]))
    quiet = services.issue(world["chair"], answered, services.default_choices(answered, LetterKind.REPLY,
                                                                            world["chair"]), send=False)
    db.session.commit()
    mails = db.session.execute(select(OutboxMail).order_by(OutboxMail.id)).scalars().all()[before:]
    assert [m.kind for m in mails] == ["journalist.letter"] and mails[0].attachment_count == 1
    assert quiet.number == 2
    sender.send_pending()
    sent = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in tmp_path.rglob("*.eml")]
    [message] = [m for m in sent if "Công văn số" in m["Subject"]]
    assert "Công văn số 01/UBND-VP" in message["Subject"] and answered.reference in message["Subject"]
    [attached] = list(message.iter_attachments())
    data = attached.get_payload(decode=True)
    if letter.pdf is not None:
        assert attached.get_content_type() == "application/pdf" and data == letter.pdf
        assert attached.get_filename() == "01-UBND-VP-2026.pdf"
    else:
        assert "Số: 01/UBND-VP" in docx_text(data)


def test_a_unit_replaces_the_layout_with_its_own_template(world, answered, client_for):
    from spokes.letters import layout

    staff = client_for(world["chair"])
    sample = staff.get("/staff/letters/template.docx")
    assert sample.status_code == 200 and "{{ number_line }}" in docx_text(sample.data)
    # The unit's own template: the sample with a line of its own (as an editor would change it in Word).
    from docx import Document

    document = Document(io.BytesIO(sample.data))
    document.add_paragraph("Mẫu riêng của xã Đông Hưng — {{ recipient }}")
    own = io.BytesIO()
    document.save(own)

    def upload(data: bytes, name: str = "mau.docx") -> Any:
        return staff.post("/staff/letters/heading/AM-DHU", data={"file": (io.BytesIO(data), name), "upload": "1"},
                          content_type="multipart/form-data")

    broken = Document(io.BytesIO(sample.data))
    broken.add_paragraph("{% for x in %}")
    bad = io.BytesIO()
    broken.save(bad)
    for junk in (b"not a docx", bad.getvalue(), b"PK\x03\x04 broken zip"):
        assert upload(junk).status_code == 303
        assert services.heading_for(world["dhu"]).template_name is None
    assert upload(own.getvalue(), "mau-dong-hung.docx").status_code == 302
    assert services.heading_for(world["dhu"]).template_name == "mau-dong-hung.docx"
    answered.journalist.agency.name = "Báo A & <B>"  # must be escaped into the XML, not break it
    db.session.commit()
    letter = _issue(world, answered)
    text = docx_text(letter.docx)
    assert "Mẫu riêng của xã Đông Hưng — Báo A & <B>" in text and "Số: 01/UBND-VP" in text
    assert "Đông Hưng, ngày 03 tháng 12 năm 2026" in text and "{{" not in text
    assert staff.post("/staff/letters/heading/AM-DHU", data={"remove": "1"}).status_code == 302
    assert "Mẫu riêng" not in docx_text(_issue(world, answered).docx)
    assert client_for(world["clerk"]).post("/staff/letters/heading/AM-DHU", data={"remove": "1"}).status_code == 403
    with pytest.raises(layout.TemplateError):
        layout.check_template(b"PK" + b"0" * (layout.TEMPLATE_MAX_BYTES + 1))
