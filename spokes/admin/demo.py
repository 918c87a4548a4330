"""Demo data: the An Minh district tree of 2020, one account per role, designations, requests.

Running it again adds nothing: every step first looks for what it would create.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources

from sqlalchemy import func, select

from spokes.auth.models import Membership, User
from spokes.auth.permissions import Role
from spokes.core.clock import now
from spokes.deadlines.models import RefusalGround
from spokes.deadlines.services import seed_rulebooks
from spokes.extensions import db
from spokes.press_requests import services as requests_svc
from spokes.press_requests.models import PressRequest
from spokes.press_requests.services import DraftData, IntakeData, JournalistData
from spokes.units.models import Designation, DesignationKind, Unit
from spokes.units.services import read_units_csv, upsert_units

log = logging.getLogger(__name__)

DEMO_PASSWORD = "AnMinh@2020"


@dataclass(frozen=True)
class DemoAccount:
    """A demo login."""

    email: str
    name: str
    title: str
    unit: str
    role: Role
    phone: str


ACCOUNTS = (
    DemoAccount("quantri@anminh.demo", "Trần Minh Quân", "Quản trị hệ thống", "KG", Role.ADMIN, "0297 3861 000"),
    DemoAccount("chutich.donghung@anminh.demo", "Nguyễn Văn Hải", "Chủ tịch UBND xã Đông Hưng", "AM-DHU", Role.HEAD, "0297 3868 101"),
    DemoAccount("vanthu.donghung@anminh.demo", "Lê Thị Thu", "Văn thư UBND xã Đông Hưng", "AM-DHU", Role.CLERK, "0297 3868 102"),
    DemoAccount("phatngon.vhtt@anminh.demo", "Phạm Thị Lan", "Phó Trưởng phòng Văn hóa và Thông tin", "AM-VHTT", Role.SPOKESPERSON, "0297 3867 201"),
    DemoAccount("truongphong.vhtt@anminh.demo", "Võ Văn Tâm", "Trưởng phòng Văn hóa và Thông tin", "AM-VHTT", Role.HEAD, "0297 3867 200"),
    DemoAccount("vanphong@anminh.demo", "Đặng Quốc Bảo", "Chánh Văn phòng HĐND và UBND huyện", "AM", Role.OVERSEER, "0297 3861 100"),
    DemoAccount("chutich.vankhanh@anminh.demo", "Huỳnh Văn Phúc", "Chủ tịch UBND xã Vân Khánh", "AM-VK", Role.HEAD, "0297 3869 301"),
    DemoAccount("pcc.donghung@anminh.demo", "Trương Thị Mai", "Phó Chủ tịch UBND xã Đông Hưng", "AM-DHU", Role.SPOKESPERSON, "0297 3868 103"),
)

# Units whose designations are published in the demo; the rest show as missing in the directory.
DESIGNATIONS = (
    ("chutich.donghung@anminh.demo", "AM-DHU", DesignationKind.HEAD, "Chủ tịch UBND xã Đông Hưng", "15/QĐ-UBND"),
    ("phatngon.vhtt@anminh.demo", "AM-VHTT", DesignationKind.DESIGNATED, "Phó Trưởng phòng Văn hóa và Thông tin", "112/QĐ-UBND"),
    ("truongphong.vhtt@anminh.demo", "AM-VHTT", DesignationKind.HEAD, "Trưởng phòng Văn hóa và Thông tin", "110/QĐ-UBND"),
    ("chutich.vankhanh@anminh.demo", "AM-VK", DesignationKind.HEAD, "Chủ tịch UBND xã Vân Khánh", "09/QĐ-UBND"),
    ("vanphong@anminh.demo", "AM", DesignationKind.DESIGNATED, "Chánh Văn phòng HĐND và UBND huyện", "245/QĐ-UBND"),
)


def seed_units() -> tuple[int, int]:
    """Load the An Minh 2020 unit tree shipped with the package."""
    text = resources.files("spokes.units").joinpath("data/an-minh-2020-units.csv").read_text(encoding="utf-8")
    return upsert_units(read_units_csv(text))


def seed_accounts() -> list[DemoAccount]:
    """Create the demo accounts that do not exist yet; return the ones created."""
    created = []
    units = {u.code: u for u in db.session.execute(select(Unit)).scalars()}
    for acc in ACCOUNTS:
        if db.session.execute(select(User.id).where(User.email == acc.email)).first():
            continue
        user = User(email=acc.email, name=acc.name, title=acc.title, phone=acc.phone)
        user.set_password(DEMO_PASSWORD)
        user.memberships.append(Membership(unit=units[acc.unit], role=acc.role.value))
        db.session.add(user)
        created.append(acc)
    db.session.flush()
    # Questions sent to "I don't know which unit" reach the district office, which routes them.
    units["AM"].intake_overseer_id = units["AM-VP"].id
    return created


def seed_designations() -> int:
    """Publish the demo designations that are missing."""
    added = 0
    start = date(2026, 1, 5)
    for email, unit_code, kind, title, doc in DESIGNATIONS:
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        unit = db.session.execute(select(Unit).where(Unit.code == unit_code)).scalar_one()
        exists = db.session.execute(select(Designation.id).where(
            Designation.unit_id == unit.id, Designation.user_id == user.id, Designation.kind == kind.value)).first()
        if exists:
            continue
        db.session.add(Designation(
            unit_id=unit.id, user_id=user.id, kind=kind.value, title=title, public_phone=user.phone,
            public_email=user.email, document_number=doc, document_date=start - timedelta(days=3),
            valid_from=start,
        ))
        added += 1
    db.session.flush()
    return added


REQUESTS = (
    # unit, type, channel, subject, questions, journalist, agency, days ago, target state
    ("AM-DHU", "information", "phone", "Tiến độ nạo vét kênh Xẻo Nhàu", "Đề nghị cho biết tiến độ, kinh phí và thời gian hoàn thành công trình nạo vét kênh Xẻo Nhàu.", "Trần Văn Nam", "Báo Kiên Giang", 1, "assigned"),
    ("AM-DHU", "interview", "email", "Phỏng vấn về mô hình tôm – lúa", "Xin phỏng vấn Chủ tịch UBND xã về hiệu quả mô hình tôm – lúa năm 2026. Câu hỏi kèm theo.", "Ngô Thị Hạnh", "Đài Phát thanh và Truyền hình Kiên Giang", 2, "drafting"),
    ("AM-DHU", "forwarded_feedback", "press_article", "Phản ánh về đường giao thông nông thôn xuống cấp", "Bài báo phản ánh tuyến đường ấp Xẻo Quao xuống cấp; đề nghị xã cho biết biện pháp khắc phục.", "Lý Minh Tuấn", "Báo Tuổi Trẻ", 12, "awaiting_approval"),
    ("AM-DHU", "press_answer", "letter", "Trả lời về việc cấp giấy chứng nhận quyền sử dụng đất", "Tổng biên tập đề nghị UBND xã trả lời trên báo về việc chậm cấp giấy chứng nhận cho 12 hộ dân.", "Phan Thanh Sơn", "Báo Thanh Niên", 20, "answered"),
    ("AM-DHU", "information", "web_form", "Số hộ nghèo năm 2026", "Đề nghị cung cấp số hộ nghèo, hộ cận nghèo của xã năm 2026.", "Đỗ Thị Yến", "Báo Nhân Dân", 9, "overdue"),
    ("AM-VHTT", "information", "email", "Kế hoạch tổ chức Lễ hội Nghinh Ông 2026", "Đề nghị cung cấp kế hoạch, thời gian và địa điểm tổ chức lễ hội.", "Trần Văn Nam", "Báo Kiên Giang", 3, "assigned"),
    ("AM-VHTT", "interview", "phone", "Phỏng vấn về phát triển du lịch cộng đồng", "Xin phỏng vấn lãnh đạo phòng về du lịch cộng đồng ở rừng U Minh Thượng.", "Ngô Thị Hạnh", "Đài Phát thanh và Truyền hình Kiên Giang", 4, "received"),
    ("AM-VHTT", "forwarded_complaint", "letter", "Đơn tố cáo về quản lý di tích", "Báo chuyển đơn tố cáo của người dân về quản lý di tích tại xã Đông Hòa.", "Lý Minh Tuấn", "Báo Tuổi Trẻ", 15, "refused"),
    ("AM-VHTT", "information", "in_person", "Số liệu thư viện, nhà văn hóa ấp", "Đề nghị cung cấp số nhà văn hóa ấp đạt chuẩn.", "Đỗ Thị Yến", "Báo Nhân Dân", 30, "answered"),
    ("AM-VK", "information", "phone", "Tình hình sạt lở bờ biển Vân Khánh", "Đề nghị cho biết chiều dài đoạn bờ biển bị sạt lở và phương án ứng phó.", "Phan Thanh Sơn", "Báo Thanh Niên", 2, "assigned"),
    ("AM-VK", "emergency", "press_conference", "Sự cố chìm tàu cá ngoài khơi Vân Khánh", "Thông tin ban đầu về sự cố chìm tàu cá, số thuyền viên và công tác cứu nạn.", "Trần Văn Nam", "Báo Kiên Giang", 0, "assigned"),
    ("AM-DHB", "information", "phone", "Chương trình nước sạch nông thôn", "Đề nghị cung cấp số hộ được sử dụng nước sạch.", "Ngô Thị Hạnh", "Đài Phát thanh và Truyền hình Kiên Giang", 5, "received"),
)


def _working_days_ago(days: int):  # type: ignore[no-untyped-def]
    return now() - timedelta(days=days, hours=2)


def seed_requests() -> int:
    """Create the demo requests (once) and walk them through the workflow with the real services."""
    if db.session.execute(select(func.count()).select_from(PressRequest)).scalar_one():
        return 0
    users = {u.email: u for u in db.session.execute(select(User)).scalars()}
    units = {u.code: u for u in db.session.execute(select(Unit)).scalars()}
    clerk, chair = users["vanthu.donghung@anminh.demo"], users["chutich.donghung@anminh.demo"]
    vhtt_head = users["truongphong.vhtt@anminh.demo"]
    count = 0
    for code, rtype, channel, subject, questions, jname, agency, days_ago, target in REQUESTS:
        unit = units[code]
        received = _working_days_ago(days_ago)
        data = IntakeData(
            type=rtype, channel=channel, subject=subject, questions=questions,
            journalist=JournalistData(name=jname, agency=agency, email=f"{_slug(jname)}@baochi.demo",
                                      phone="0900 000 000", press_card_number=f"BC-{1000 + count}",
                                      press_card_expiry=date(2029, 12, 31), consent_publish_name=count % 2 == 0),
            received_at=received if days_ago else None,
            received_at_reason="Nhập lại hồ sơ tiếp nhận trước khi dùng Spokes" if days_ago else None,
            event_at=received if rtype == "emergency" else None,
        )
        actor = clerk if code == "AM-DHU" else None
        req, _token = requests_svc.intake(actor, unit, data)
        count += 1
        head = chair if code == "AM-DHU" else vhtt_head if code == "AM-VHTT" else None
        if code == "AM-DHU" and target == "awaiting_approval":
            # The chair hands this one to the deputy, whose draft then waits for the chair's approval.
            requests_svc.reassign(chair, req, users["pcc.donghung@anminh.demo"],
                                  "Phó Chủ tịch phụ trách giao thông soạn trả lời.")
        author = req.assignee
        if target in ("drafting", "awaiting_approval", "answered") and author is not None:
            requests_svc.save_draft(author, req, DraftData(
                body=f"Trả lời về “{subject}”: đơn vị đã nắm tình hình và cung cấp thông tin như sau…",
                form="interview" if rtype == "interview" else "written",
                questions_received=True))
        if target in ("awaiting_approval", "answered") and author is not None and head is not None:
            if author.id == head.id:
                if target == "answered":
                    requests_svc.send_directly(head, req)
            else:
                requests_svc.submit_draft(author, req)
                if target == "answered":
                    requests_svc.approve(head, req)
        if target == "refused" and author is not None and head is not None:
            ground = db.session.execute(select(RefusalGround).where(
                RefusalGround.rulebook_id == req.rulebook_id, RefusalGround.code == "c")).scalar_one()
            requests_svc.save_draft(author, req, DraftData(
                kind="refusal", refusal_ground_id=ground.id,
                refusal_reason="Đơn tố cáo đang được cơ quan có thẩm quyền giải quyết, chưa có kết luận chính thức."))
            requests_svc.submit_draft(author, req)
            requests_svc.approve(head, req)
    db.session.flush()
    return count


def seed_publications() -> int:
    """Publish the answers of the demo's answered requests, and give the district a duty (once)."""
    from spokes.publishing.models import Publication, RecurringDuty
    from spokes.publishing.services import DutyData, prefill_from_request, publish_answer, save_duty

    added = 0
    if not db.session.execute(select(func.count()).select_from(Publication)).scalar_one():
        answered = db.session.execute(
            select(PressRequest).where(PressRequest.state == "answered").order_by(PressRequest.id)).scalars().all()
        for req in answered:
            answer = requests_svc.final_answer(req)
            if answer is None or req.assignee is None:
                continue
            publish_answer(req.assignee, req, prefill_from_request(req, answer))
            added += 1
    if not db.session.execute(select(func.count()).select_from(RecurringDuty)).scalar_one():
        chair = db.session.execute(select(User).where(User.email == "chutich.donghung@anminh.demo")).scalar_one()
        unit = db.session.execute(select(Unit).where(Unit.code == "AM-DHU")).scalar_one()
        save_duty(chair, unit, DutyData(
            label="Cung cấp thông tin định kỳ cho báo chí (hằng quý)", publication_kind="periodic", every_months=3,
            next_due_on=(now() + timedelta(days=10)).date(), remind_days_before=14,
            citation="Nghị định 09/2017/NĐ-CP, Điều 5"))
    db.session.flush()
    return added


def _slug(name: str) -> str:
    from spokes.core.text import slugify

    return slugify(name).replace("-", ".")


def seed_demo() -> dict[str, object]:
    """Load all demo data; return what was added and the logins."""
    rulebooks = seed_rulebooks()
    units_created, _updated = seed_units()
    accounts = seed_accounts()
    designations = seed_designations()
    requests = seed_requests()
    publications = seed_publications()
    return {
        "rulebooks": rulebooks,
        "units": units_created,
        "accounts": accounts,
        "designations": designations,
        "requests": requests,
        "publications": publications,
    }
