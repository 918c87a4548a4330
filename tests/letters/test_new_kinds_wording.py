"""Pure wording and timing of the new letters: press-conference notice, designation letters, the sixth form."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from spokes.conferences import rules
from spokes.core.clock import VN_TZ
from spokes.letters import milestones, wording
from spokes.letters.models import LetterKind

START = datetime(2026, 12, 4, 15, 0, tzinfo=VN_TZ)


def test_notice_on_time_and_late() -> None:
    on_time = rules.notice_check(START, 24, START - timedelta(hours=24), START)
    assert not on_time.late and on_time.margin == timedelta(hours=24)
    late = rules.notice_check(START, 24, START - timedelta(hours=23, minutes=59), START)
    assert late.late and late.latest_at == datetime(2026, 12, 3, 15, 0, tzinfo=VN_TZ)
    # Not sent yet: late only once the last moment has passed.
    assert not rules.notice_check(START, 24, None, START - timedelta(hours=25)).late
    assert rules.notice_check(START, 24, None, START - timedelta(hours=23)).late


def test_refusal_twelve_hours() -> None:
    assert rules.refusal_in_time(START, START - timedelta(hours=12))
    assert not rules.refusal_in_time(START, START - timedelta(hours=11, minutes=59))
    assert rules.REFUSAL_CONFIDENCE == "U" and "độ tin cậy U" in rules.REFUSAL_CITATION


def test_duration_words() -> None:
    assert rules.duration_words(timedelta(days=1, hours=2, minutes=30)) == "1 ngày 2 giờ 30 phút"
    assert rules.duration_words(timedelta(minutes=45)) == "45 phút"
    assert rules.duration_words(timedelta(hours=-3)) == "0 phút"


def _conference(law_2016: bool) -> wording.ConferenceFacts:
    return wording.ConferenceFacts(
        title="Sự cố chìm tàu cá ngoài khơi Vân Khánh", content="Công tác cứu nạn.\n\nHỗ trợ gia đình thuyền viên.",
        place="Hội trường UBND xã Vân Khánh", starts_at_vn=START, chair_name="Huỳnh Văn Phúc",
        chair_title="Chủ tịch UBND xã Vân Khánh", outlets=["Báo và Phát thanh, Truyền hình An Giang", "Báo Nhân Dân"],
        regulator_name="Sở Văn hóa, Thể thao và Du lịch tỉnh An Giang", law_2016=law_2016)


def test_conference_notice_states_what_the_law_asks() -> None:
    body = "\n".join(wording.conference_paragraphs(_conference(False), "UBND xã Vân Khánh"))
    for expected in ("1. Nội dung họp báo: Sự cố chìm tàu cá", "2. Thời gian: 15 giờ 00, ngày 04/12/2026",
                     "3. Địa điểm: Hội trường UBND xã Vân Khánh", "4. Người chủ trì họp báo: Huỳnh Văn Phúc, Chủ tịch",
                     "5. Cơ quan báo chí được mời: Báo và Phát thanh, Truyền hình An Giang; Báo Nhân Dân",
                     "Hỗ trợ gia đình thuyền viên.", "để Sở Văn hóa, Thể thao và Du lịch tỉnh An Giang biết"):
        assert expected in body, expected
    assert "Điều 41" not in body  # under the 2025 law no article number is claimed
    assert "khoản 3 Điều 41 Luật Báo chí năm 2016" in wording.conference_paragraphs(_conference(True), "X")[0]
    assert wording.conference_summary(_conference(True)).startswith("V/v thông báo tổ chức họp báo về ")


def _designation(kind: str, **kw: object) -> wording.DesignationFacts:
    values: dict = dict(kind=kind, person_name="Trương Thị Mai", title="Phó Chủ tịch UBND xã An Minh",
                        phone="0297 3850 111", email="phatngon@anminh.gov.vn", valid_from=date(2026, 12, 3),
                        valid_to=None, topic=None, case_reference=None, decision=None, law_2016=False)
    values.update(kw)
    return wording.DesignationFacts(**values)


def test_designation_decision() -> None:
    parts = wording.designation_text(LetterKind.DESIGNATION, _designation("designated"), "UBND xã An Minh", "CHỦ TỊCH")
    assert parts["doc_type"] == "QUYẾT ĐỊNH" and parts["decides"] == "QUYẾT ĐỊNH:"
    assert parts["preamble"] == ["CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ AN MINH"]
    body = "\n".join(parts["paragraphs"])  # type: ignore[arg-type]
    assert body.startswith("Điều 1. Giao nhiệm vụ phát ngôn") and "đồng chí Trương Thị Mai" in body
    assert "Điều 3. Quyết định này có hiệu lực từ ngày 03/12/2026." in body
    assert "Nghị định số 237/2026/NĐ-CP" in " ".join(parts["grounds"])  # type: ignore[arg-type]
    old = wording.designation_text(LetterKind.DESIGNATION, _designation("designated", law_2016=True), "X", "CHỦ TỊCH")
    assert "Nghị định số 09/2017/NĐ-CP" in " ".join(old["grounds"])  # type: ignore[arg-type]
    # A deputy signing "KT." still issues in the head's name.
    assert wording.head_title("UBND xã An Minh", "PHÓ CHỦ TỊCH") == "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ AN MINH"


def test_authorisation_names_one_case_and_a_term() -> None:
    facts = _designation("authorised", topic="Sạt lở bờ kè Xẻo Nhàu", case_reference="AM-DHU-2026-00012",
                         valid_to=date(2026, 12, 31))
    parts = wording.designation_text(LetterKind.AUTHORISATION, facts, "UBND xã An Minh", "CHỦ TỊCH")
    body = "\n".join(parts["paragraphs"])  # type: ignore[arg-type]
    assert parts["doc_type"] == "GIẤY ỦY QUYỀN"
    assert "vụ việc: Sạt lở bờ kè Xẻo Nhàu (mã yêu cầu AM-DHU-2026-00012)" in body
    assert "từ ngày 03/12/2026 đến hết ngày 31/12/2026" in body and "không được ủy quyền tiếp" in body


def test_announcement_lists_the_published_contacts() -> None:
    parts = wording.designation_text(LetterKind.ANNOUNCEMENT, _designation("designated", decision="05/QĐ-UBND ngày 03/12/2026"),
                                     "UBND xã An Minh", "CHỦ TỊCH")
    body = "\n".join(parts["paragraphs"])  # type: ignore[arg-type]
    for expected in ("- Họ và tên: Trương Thị Mai.", "- Điện thoại: 0297 3850 111.", "- Thư điện tử: phatngon@anminh.gov.vn.",
                     "- Văn bản: số 05/QĐ-UBND ngày 03/12/2026."):
        assert expected in body, expected
    assert parts["doc_type"] == "THÔNG BÁO"


def test_which_letters_a_designation_has() -> None:
    assert wording.designation_kinds("designated") == [LetterKind.DESIGNATION, LetterKind.ANNOUNCEMENT]
    assert wording.designation_kinds("authorised") == [LetterKind.AUTHORISATION, LetterKind.ANNOUNCEMENT]
    assert wording.designation_kinds("head") == [LetterKind.ANNOUNCEMENT]


def test_symbols_by_document_type() -> None:
    assert wording.doc_symbol(LetterKind.REPLY, "UBND-VP") == "UBND-VP"
    assert wording.doc_symbol(LetterKind.CONFERENCE, "UBND-VP") == "UBND-VP"
    assert wording.doc_symbol(LetterKind.DESIGNATION, "UBND-VP") == "QĐ-UBND"
    assert wording.doc_symbol(LetterKind.ANNOUNCEMENT, "SVHTTDL-VP") == "TB-SVHTTDL"
    assert wording.doc_symbol(LetterKind.AUTHORISATION, "UBND-VP") == "GUQ-UBND"


def test_sixth_form_asks() -> None:
    assert wording.asks_phrase(["apology", "feedback"]) == "phản hồi và xin lỗi"
    assert wording.asks_phrase(["feedback", "correction", "apology"]) == "phản hồi, cải chính và xin lỗi"
    assert wording.asks_phrase([]) == "cải chính"


def test_publication_milestone_is_unverified_by_default() -> None:
    due = milestones.milestone(date(2026, 12, 3))
    assert due.due_at == datetime(2026, 12, 8, 23, 59, 59, tzinfo=VN_TZ)
    assert due.confidence == "U" and "chưa đối chiếu" in due.rule and "Điều 19" in due.rule
    own = milestones.milestone(date(2026, 12, 3), date(2026, 12, 5))
    assert own.due_at.date() == date(2026, 12, 5) and "chỉ tiêu nội bộ" in own.rule
    assert milestones.is_overdue(due.due_at, None, due.due_at + timedelta(seconds=1))
    assert not milestones.is_overdue(due.due_at, due.due_at, due.due_at + timedelta(days=1))
    assert not milestones.is_overdue(due.due_at, None, due.due_at)
