"""The new kinds on the command line, and their PDFs as page images for a person to look at."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from spokes.conferences import services as conferences
from spokes.core.clock import VN_TZ
from spokes.extensions import db
from spokes.letters.layout import docx_text
from spokes.letters.models import Letter
from spokes.units.models import Designation

PROJECT = Path(__file__).resolve().parents[2]
IMAGES = PROJECT / "ci-output" / "letters"


@pytest.fixture()
def titled(world: dict[str, Any]) -> dict[str, Any]:
    """The world with real titles, so the letters read as they would."""
    world["chair"].title = "Chủ tịch UBND xã Đông Hưng"
    world["deputy"].title = "Phó Chủ tịch UBND xã Đông Hưng"
    db.session.commit()
    return world


@pytest.fixture()
def conference(titled: dict[str, Any], make_unit: Any) -> Any:
    make_unit("KG-VHTTDL", "Sở Văn hóa, Thể thao và Du lịch tỉnh Kiên Giang", parent=titled["province"],
              kind="department")
    return conferences.create(titled["deputy"], titled["dhu"], conferences.ConferenceData(
        title="Kết quả nạo vét kênh Thứ Mười Một", content="Tiến độ, kinh phí và kế hoạch duy tu năm 2027.",
        place="Hội trường UBND xã Đông Hưng", starts_at=datetime(2026, 12, 5, 9, 0, tzinfo=VN_TZ),
        chair_name="Nguyễn Văn Hải", chair_title="Chủ tịch UBND xã Đông Hưng",
        invited_outlets="Báo và Phát thanh, Truyền hình An Giang\nBáo Nhân Dân\nThông tấn xã Việt Nam",
        regulator_name="Sở Văn hóa, Thể thao và Du lịch tỉnh Kiên Giang"))


@pytest.fixture()
def designation(titled: dict[str, Any]) -> Designation:
    d = Designation(unit_id=titled["dhu"].id, user_id=titled["deputy"].id, kind="designated",
                    title="Phó Chủ tịch UBND xã Đông Hưng", public_phone="0297 3850 111", public_email="deputy@dhu.vn",
                    document_number="", document_date=date(2026, 12, 3), valid_from=date(2026, 12, 3))
    db.session.add(d)
    db.session.commit()
    return d


def test_cli_conference_notice_and_draft(runner, conference, tmp_path):
    db.session.commit()
    draft = tmp_path / "draft.docx"
    result = runner.invoke(args=["letter", str(conference.id), "--kind", "conference", "--output", str(draft), "--draft"])
    assert result.exit_code == 0, result.output
    assert "DỰ THẢO" in docx_text(draft.read_bytes()) and db.session.execute(select(Letter)).first() is None
    out = tmp_path / "notice.docx"
    result = runner.invoke(args=["letter", str(conference.id), "--kind", "conference", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "01/UBND-VP" in result.output
    text = docx_text(out.read_bytes())
    assert "Số: 01/UBND-VP" in text and "Kính gửi: Sở Văn hóa, Thể thao và Du lịch tỉnh Kiên Giang" in text
    # A second run issues a replacement with the next number.
    result = runner.invoke(args=["letter", str(conference.id), "--kind", "conference", "--output", str(out)])
    assert "02/UBND-VP" in result.output and "thay thế Văn bản số 01/UBND-VP" in docx_text(out.read_bytes())


def test_cli_designation_kinds_and_bad_input(runner, designation, tmp_path):
    out = tmp_path / "qd.docx"
    result = runner.invoke(args=["letter", str(designation.id), "--kind", "designation", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "01/QĐ-UBND" in result.output and "QUYẾT ĐỊNH" in docx_text(out.read_bytes())
    result = runner.invoke(args=["letter", str(designation.id), "--kind", "announcement", "--output", str(out)])
    assert "02/TB-UBND" in result.output
    result = runner.invoke(args=["letter", str(designation.id), "--kind", "authorisation", "--output", str(out)])
    assert result.exit_code != 0 and "Error" in result.output  # a designated spokesperson has no authorisation
    result = runner.invoke(args=["letter", "AM-DHU-2026-1", "--kind", "designation", "--output", str(out)])
    assert result.exit_code != 0 and "takes a number" in result.output
    result = runner.invoke(args=["letter", "999999", "--kind", "conference", "--output", str(out)])
    assert result.exit_code != 0 and "no press conference" in result.output


def test_cli_publication_request_is_the_sixth_form(runner, titled, make_request, bring, tmp_path):
    req = bring(make_request(titled["dhu"], agency="Báo An Giang", article_url="https://baoangiang.example/a"), "answered")
    out = tmp_path / "x.docx"
    result = runner.invoke(args=["letter", req.reference, "--kind", "publication-request", "--output", str(out),
                                 "--no-mail"])
    assert result.exit_code == 0, result.output
    letter = db.session.execute(select(Letter)).scalar_one()
    assert letter.kind == "correction" and letter.publication_due_at is not None
    assert "đăng, phát nội dung phản hồi và cải chính" in docx_text(out.read_bytes())


def _images(pdf: bytes, name: str) -> None:
    if not shutil.which("pdftoppm"):
        return
    IMAGES.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-", str(IMAGES / name)], input=pdf, check=True)
    assert (IMAGES / f"{name}-1.png").stat().st_size > 5000


@pytest.mark.parametrize("kind", ["conference", "designation", "announcement"])
def test_new_kinds_render_as_pdf(runner, conference, designation, tmp_path, kind):
    pytest.importorskip("weasyprint")
    reference = str(conference.id if kind == "conference" else designation.id)
    db.session.commit()
    out = tmp_path / f"{kind}.pdf"
    result = runner.invoke(args=["letter", reference, "--kind", kind, "--output", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                              check=True).stdout.decode()
        expected = {"conference": ["Số: 01/UBND-VP", "thông báo tổ chức họp báo", "Người chủ trì họp báo"],
                    "designation": ["Số: 01/QĐ-UBND", "QUYẾT ĐỊNH", "Điều 1. Giao nhiệm vụ phát ngôn"],
                    "announcement": ["Số: 01/TB-UBND", "THÔNG BÁO", "Họ và tên: Trương Thị Mai"]}[kind]
        for line in ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", *expected]:
            assert line in text, line
    _images(data, f"{kind}-unsigned")
