"""Demo data: An Giang province as it stands since the 2025 reform, with the An Minh district of 2020 as history.

- The current tree (``units/data/an-giang-2026-units.csv``): UBND tỉnh An Giang, a few departments, and
  communes, wards and special zones that answer to the province directly.
- The 2020 tree of An Minh district (Kiên Giang) is loaded too, given a few requests answered at the time,
  then merged into its successors on 01/07/2025 with the real merge feature
  (``units/data/an-minh-2025-merges.csv``): old requests, publications and ``/units/<old code>`` links follow.
- Current requests are received in the months before the clock's now, in every state, so that the queues,
  reminders and reports look alive on whatever day the demo is loaded.

Running it again adds nothing: every step first looks for what it would create.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib import resources

from sqlalchemy import func, select

from spokes.auth.models import Membership, User
from spokes.auth.permissions import Role
from spokes.conferences import services as conferences
from spokes.conferences.models import PressConference
from spokes.core.clock import VN_TZ, now, pinned
from spokes.deadlines.models import RefusalGround
from spokes.deadlines.services import seed_rulebooks
from spokes.extensions import db
from spokes.letters import services as letters
from spokes.letters.models import LetterKind
from spokes.press_requests import services as requests_svc
from spokes.press_requests.models import PressRequest
from spokes.press_requests.services import DraftData, IntakeData, JournalistData
from spokes.publishing.models import Publication, PublicationKind, RecurringDuty
from spokes.publishing.services import (
    DutyData,
    PublicationData,
    prefill_from_request,
    publish_answer,
    publish_statement,
    save_duty,
)
from spokes.units.merge import MergeData, merge_units
from spokes.units.models import Designation, DesignationKind, Unit
from spokes.units.services import read_units_csv, upsert_units

log = logging.getLogger(__name__)

DEMO_PASSWORD = "AnGiang@2026"
MERGE_DAY = date(2025, 7, 1)  # Nghị quyết 202/2025/QH15 and 1654/NQ-UBTVQH15 took effect
PROVINCE = "AG"
OLD_DISTRICT = "AM"


@dataclass(frozen=True)
class DemoAccount:
    """A demo login; ``history_unit`` is where the person worked before 01/07/2025 (the merge moves them)."""

    email: str
    name: str
    title: str
    unit: str
    role: Role
    phone: str
    history_unit: str | None = None


ACCOUNTS = (
    DemoAccount("quantri@angiang.demo", "Trần Minh Quân", "Quản trị hệ thống, Văn phòng UBND tỉnh An Giang",
                "AG", Role.ADMIN, "0297 3862 000"),
    DemoAccount("vanphong@angiang.demo", "Đặng Quốc Bảo", "Phó Chánh Văn phòng UBND tỉnh An Giang",
                "AG", Role.OVERSEER, "0297 3862 100"),
    DemoAccount("chutich.anminh@angiang.demo", "Nguyễn Văn Hải", "Chủ tịch UBND xã An Minh",
                "AG-ANMINH", Role.HEAD, "0297 3868 101", history_unit="AM-DHU"),
    DemoAccount("phatngon.anminh@angiang.demo", "Trương Thị Mai", "Phó Chủ tịch UBND xã An Minh",
                "AG-ANMINH", Role.SPOKESPERSON, "0297 3868 103", history_unit="AM-DHU"),
    DemoAccount("vanthu.anminh@angiang.demo", "Lê Thị Thu", "Công chức Văn phòng – Thống kê, UBND xã An Minh",
                "AG-ANMINH", Role.CLERK, "0297 3868 102", history_unit="AM-DHU"),
    DemoAccount("chutich.vankhanh@angiang.demo", "Huỳnh Văn Phúc", "Chủ tịch UBND xã Vân Khánh",
                "AG-VANKHANH", Role.HEAD, "0297 3869 301", history_unit="AM-VK"),
    DemoAccount("giamdoc.vhttdl@angiang.demo", "Võ Văn Tâm", "Giám đốc Sở Văn hóa, Thể thao và Du lịch tỉnh An Giang",
                "AG-VHTTDL", Role.HEAD, "0296 3852 200"),
    DemoAccount("phatngon.vhttdl@angiang.demo", "Phạm Thị Lan", "Phó Giám đốc Sở Văn hóa, Thể thao và Du lịch tỉnh An Giang",
                "AG-VHTTDL", Role.SPOKESPERSON, "0296 3852 201"),
)

CHAIR, DEPUTY, CLERK = "chutich.anminh@angiang.demo", "phatngon.anminh@angiang.demo", "vanthu.anminh@angiang.demo"
VK_CHAIR = "chutich.vankhanh@angiang.demo"
SO_HEAD, SO_SPEAKER = "giamdoc.vhttdl@angiang.demo", "phatngon.vhttdl@angiang.demo"

# (login, unit, kind, title, document, valid from). The 2020s ones end when the merge ends their unit.
HISTORY_DESIGNATIONS = (
    (CHAIR, "AM-DHU", DesignationKind.HEAD, "Chủ tịch UBND xã Đông Hưng", "15/QĐ-UBND", date(2021, 7, 1)),
    (DEPUTY, "AM-DHU", DesignationKind.DESIGNATED, "Phó Chủ tịch UBND xã Đông Hưng", "42/QĐ-UBND", date(2023, 2, 1)),
    (VK_CHAIR, "AM-VK", DesignationKind.HEAD, "Chủ tịch UBND xã Vân Khánh", "09/QĐ-UBND", date(2021, 7, 1)),
)
DESIGNATIONS = (
    (CHAIR, "AG-ANMINH", DesignationKind.HEAD, "Chủ tịch UBND xã An Minh", "01/QĐ-UBND", MERGE_DAY),
    (DEPUTY, "AG-ANMINH", DesignationKind.DESIGNATED, "Phó Chủ tịch UBND xã An Minh", "12/QĐ-UBND", date(2025, 7, 7)),
    (VK_CHAIR, "AG-VANKHANH", DesignationKind.HEAD, "Chủ tịch UBND xã Vân Khánh", "01/QĐ-UBND", MERGE_DAY),
    (SO_HEAD, "AG-VHTTDL", DesignationKind.HEAD, "Giám đốc Sở Văn hóa, Thể thao và Du lịch", "1520/QĐ-UBND", MERGE_DAY),
    (SO_SPEAKER, "AG-VHTTDL", DesignationKind.DESIGNATED, "Phó Giám đốc Sở Văn hóa, Thể thao và Du lịch",
     "1688/QĐ-UBND", date(2025, 7, 15)),
)

# Press agencies: the provincial one after the 2025 mergers, and national ones (see units/data/README.md).
AG_PRESS = "Báo và Phát thanh, Truyền hình An Giang"
JOURNALISTS = {
    "Trần Văn Nam": AG_PRESS,
    "Ngô Thị Hạnh": AG_PRESS,
    "Lý Minh Tuấn": "Báo Tuổi Trẻ",
    "Phan Thanh Sơn": "Báo Thanh Niên",
    "Đỗ Thị Yến": "Báo Nhân Dân",
    "Châu Ngọc Bích": "Thông tấn xã Việt Nam",
    "Lâm Quốc Việt": "Báo Người Lao Động",
}


@dataclass(frozen=True)
class DemoRequest:
    """A demo request: where, what, from whom, when, and the state the demo walks it to."""

    unit: str
    type: str
    channel: str
    subject: str
    questions: str
    journalist: str
    target: str
    received: datetime | int  # a fixed moment (history) or days before now
    handled_after_days: float = 1  # when the unit acted on it, after receipt (capped at now)
    reassign_to: str | None = None  # the head hands it to someone else (login) right after receipt


def _vn(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=VN_TZ)


# Answered in 2024–2025 by the units of the old An Minh district; after the merge they show under xã An Minh
# and xã Vân Khánh, with their old references and links.
HISTORY_REQUESTS = (
    DemoRequest("AM-DHU", "information", "phone", "Tiến độ nạo vét kênh Xẻo Nhàu",
                "Đề nghị cho biết tiến độ, kinh phí và thời gian hoàn thành công trình nạo vét kênh Xẻo Nhàu.",
                "Trần Văn Nam", "answered", _vn(date(2024, 10, 14)), 3),
    DemoRequest("AM-DHU", "press_answer", "letter", "Trả lời về việc chậm cấp giấy chứng nhận quyền sử dụng đất",
                "Người đứng đầu cơ quan báo chí đề nghị UBND xã trả lời trên báo về việc chậm cấp giấy chứng nhận cho 12 hộ dân.",
                "Phan Thanh Sơn", "answered", _vn(date(2025, 3, 3)), 14),
    DemoRequest("AM-DHU", "forwarded_denunciation", "letter", "Đơn tố cáo về quản lý đất công ấp Xẻo Quao",
                "Cơ quan báo chí chuyển đơn tố cáo của người dân về việc quản lý đất công ở ấp Xẻo Quao.",
                "Lý Minh Tuấn", "refused", _vn(date(2025, 5, 12)), 6),
    DemoRequest("AM-VK", "information", "phone", "Sạt lở bờ biển Vân Khánh Tây",
                "Đề nghị cho biết chiều dài đoạn bờ biển bị sạt lở và phương án ứng phó mùa mưa bão 2025.",
                "Đỗ Thị Yến", "answered", _vn(date(2025, 6, 2)), 4),
)

# Received in the months before now by current units. Those more than about five months old fall before
# 01/07/2026 (the 2016 law's rulebook) when the demo is loaded in late 2026; the rest fall under the 2025 law.
REQUESTS = (
    DemoRequest("AG-ANMINH", "information", "phone", "Tiến độ nâng cấp đê biển An Minh",
                "Đề nghị cho biết tiến độ, kinh phí và thời gian hoàn thành đoạn đê biển qua xã.",
                "Trần Văn Nam", "assigned", 1),
    DemoRequest("AG-ANMINH", "interview", "email", "Phỏng vấn về mô hình tôm – lúa",
                "Xin phỏng vấn lãnh đạo UBND xã về hiệu quả mô hình tôm – lúa trong năm. Câu hỏi kèm theo.",
                "Ngô Thị Hạnh", "drafting", 2),
    DemoRequest("AG-ANMINH", "forwarded_feedback", "press_article", "Phản ánh đường giao thông nông thôn xuống cấp",
                "Bài báo phản ánh tuyến đường ấp Xẻo Quao xuống cấp; đề nghị xã cho biết biện pháp khắc phục.",
                "Lý Minh Tuấn", "awaiting_approval", 12, 3),
    DemoRequest("AG-ANMINH", "press_answer", "letter", "Trả lời về việc bồi thường giải phóng mặt bằng tuyến tránh",
                "Người đứng đầu cơ quan báo chí đề nghị UBND xã trả lời trên báo về tiến độ chi trả bồi thường.",
                "Phan Thanh Sơn", "answered", 20, 6),
    DemoRequest("AG-ANMINH", "information", "web_form", "Số hộ nghèo, hộ cận nghèo trên địa bàn xã",
                "Đề nghị cung cấp số hộ nghèo, hộ cận nghèo của xã sau khi sắp xếp đơn vị hành chính.",
                "Đỗ Thị Yến", "assigned", 9, reassign_to=CHAIR),
    DemoRequest("AG-ANMINH", "information", "in_person", "Kế hoạch tiêm chủng mở rộng",
                "Đề nghị cho biết kế hoạch tiêm chủng mở rộng của trạm y tế xã.",
                "Lâm Quốc Việt", "assigned", 0),
    DemoRequest("AG-ANMINH", "forwarded_complaint", "letter", "Đơn khiếu nại về cấp phép xây dựng",
                "Cơ quan báo chí chuyển đơn khiếu nại của người dân về việc cấp phép xây dựng nhà xưởng.",
                "Lý Minh Tuấn", "refused", 40, 8),
    DemoRequest("AG-ANMINH", "information", "email", "Kết quả thu hoạch lúa vụ Hè Thu",
                "Đề nghị cung cấp diện tích, năng suất lúa vụ Hè Thu của xã.",
                "Châu Ngọc Bích", "withdrawn", 15, 2),
    DemoRequest("AG-ANMINH", "information", "phone", "Số liệu trường học sau sắp xếp",
                "Đề nghị cung cấp số điểm trường và số học sinh của xã.",
                "Trần Văn Nam", "answered", 190, 3),
    DemoRequest("AG-VHTTDL", "information", "email", "Kế hoạch tổ chức Lễ hội Nghinh Ông Nam Hải",
                "Đề nghị cung cấp kế hoạch, thời gian và địa điểm tổ chức lễ hội.",
                "Trần Văn Nam", "assigned", 3),
    DemoRequest("AG-VHTTDL", "interview", "phone", "Phỏng vấn về phát triển du lịch cộng đồng",
                "Xin phỏng vấn lãnh đạo Sở về du lịch cộng đồng ở vùng U Minh Thượng.",
                "Ngô Thị Hạnh", "awaiting_approval", 5, 2),
    DemoRequest("AG-VHTTDL", "information", "in_person", "Số nhà văn hóa ấp đạt chuẩn",
                "Đề nghị cung cấp số nhà văn hóa ấp, khóm đạt chuẩn trong tỉnh.",
                "Đỗ Thị Yến", "answered", 30, 4),
    DemoRequest("AG-VHTTDL", "press_answer", "letter", "Trả lời về quản lý quảng cáo ngoài trời",
                "Người đứng đầu cơ quan báo chí đề nghị Sở trả lời trên báo về biển quảng cáo sai phép.",
                "Phan Thanh Sơn", "assigned", 0, reassign_to=SO_HEAD),
    DemoRequest("AG-VHTTDL", "information", "email", "Lượng khách du lịch sáu tháng đầu năm",
                "Đề nghị cung cấp số lượt khách và doanh thu du lịch sáu tháng đầu năm.",
                "Châu Ngọc Bích", "answered", 200, 5),
    DemoRequest("AG-VANKHANH", "information", "phone", "Tình hình sạt lở bờ biển Vân Khánh",
                "Đề nghị cho biết chiều dài đoạn bờ biển bị sạt lở và phương án ứng phó.",
                "Phan Thanh Sơn", "assigned", 2),
    DemoRequest("AG-VANKHANH", "emergency", "press_conference", "Sự cố chìm tàu cá ngoài khơi Vân Khánh",
                "Thông tin ban đầu về sự cố chìm tàu cá, số thuyền viên và công tác cứu nạn.",
                "Trần Văn Nam", "assigned", 0),
    DemoRequest("AG-VANKHANH", "forwarded_feedback", "press_article", "Phản ánh về nước sạch nông thôn",
                "Bài báo phản ánh nhiều hộ dân thiếu nước sạch mùa khô; đề nghị xã cho biết biện pháp.",
                "Lâm Quốc Việt", "answered", 45, 10),
    DemoRequest("AG-PHUQUOC", "information", "web_form", "Quy hoạch bãi tắm công cộng",
                "Đề nghị cho biết danh sách bãi tắm công cộng và lối đi xuống biển theo quy hoạch.",
                "Châu Ngọc Bích", "received", 4),
    DemoRequest("AG-RACHGIA", "interview", "email", "Phỏng vấn về chỉnh trang đô thị",
                "Xin phỏng vấn lãnh đạo UBND phường về chỉnh trang đô thị lấn biển.",
                "Ngô Thị Hạnh", "received", 6),
)


@contextmanager
def _at(moment: datetime) -> Iterator[None]:
    """Write what follows at ``moment`` (never later than the real or frozen now)."""
    with pinned(min(moment, now())):
        yield


def _data_file(name: str) -> str:
    return resources.files("spokes.units").joinpath(f"data/{name}").read_text(encoding="utf-8")


def seed_units() -> tuple[int, int]:
    """Load the 2020 An Minh tree (history) and the current An Giang tree; return (created, updated)."""
    created = updated = 0
    with _at(_vn(date(2020, 6, 1))):
        c, u = upsert_units([row for row in read_units_csv(_data_file("an-minh-2020-units.csv"))
                             if not _merged(row["code"])])
        created, updated = created + c, updated + u
    with _at(_vn(MERGE_DAY, 7)):
        c, u = upsert_units(read_units_csv(_data_file("an-giang-2026-units.csv")))
    units = _units()
    units[PROVINCE].intake_overseer_id = units["AG-VP"].id  # "I don't know which unit" goes to the office
    return created + c, updated + u


def _merged(code: str) -> bool:
    """Return whether a 2020 unit was already merged (upserting it again would move it back)."""
    unit = db.session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    return unit is not None and unit.merged_into_id is not None


def _units() -> dict[str, Unit]:
    return {u.code: u for u in db.session.execute(select(Unit)).scalars()}


def _users() -> dict[str, User]:
    return {u.email: u for u in db.session.execute(select(User)).scalars()}


def seed_accounts() -> list[DemoAccount]:
    """Create the demo accounts that do not exist yet; return the ones created.

    People who worked in a 2020 unit get their membership there; the merge moves it to the successor.
    """
    created = []
    units = _units()
    for acc in ACCOUNTS:
        if db.session.execute(select(User.id).where(User.email == acc.email)).first():
            continue
        user = User(email=acc.email, name=acc.name, title=acc.title, phone=acc.phone)
        user.set_password(DEMO_PASSWORD)
        old = units.get(acc.history_unit or "")
        unit = old if old is not None and old.is_active else units[acc.unit]
        user.memberships.append(Membership(unit=unit, role=acc.role.value))
        db.session.add(user)
        created.append(acc)
    db.session.flush()
    return created


def _designate(rows: tuple) -> int:  # type: ignore[type-arg]
    added = 0
    users, units = _users(), _units()
    for email, unit_code, kind, title, doc, start in rows:
        user, unit = users[email], units[unit_code]
        exists = db.session.execute(select(Designation.id).where(
            Designation.unit_id == unit.id, Designation.user_id == user.id, Designation.kind == kind.value)).first()
        if exists or not unit.is_active:
            continue
        db.session.add(Designation(
            unit_id=unit.id, user_id=user.id, kind=kind.value, title=title, public_phone=user.phone,
            public_email=user.email, document_number=doc, document_date=start - timedelta(days=3),
            valid_from=start,
        ))
        added += 1
    db.session.flush()
    return added


def seed_designations() -> int:
    """Publish the demo designations that are missing (the 2020s ones only while their unit is active)."""
    return _designate(HISTORY_DESIGNATIONS) + _designate(DESIGNATIONS)


def _journalist(name: str, n: int) -> JournalistData:
    return JournalistData(name=name, agency=JOURNALISTS[name], email=f"{_slug(name)}@baochi.demo",
                          phone="0900 000 000", press_card_number=f"BC-{1000 + n}",
                          press_card_expiry=date(2030, 12, 31), consent_publish_name=n % 2 == 0)


def _walk(spec: DemoRequest, n: int, moment: datetime) -> PressRequest:
    """Receive one request at its moment, then take it to its target state with the real services."""
    users, units = _users(), _units()
    unit = units[spec.unit]
    clerk = users[CLERK] if spec.unit in ("AG-ANMINH", "AM-DHU") and spec.channel != "web_form" else None
    heads = {"AG-ANMINH": CHAIR, "AM-DHU": CHAIR, "AG-VHTTDL": SO_HEAD, "AG-VANKHANH": VK_CHAIR, "AM-VK": VK_CHAIR}
    head = users.get(heads.get(spec.unit, ""))
    with _at(moment):
        req, _token = requests_svc.intake(clerk, unit, IntakeData(
            type=spec.type, channel=spec.channel, subject=spec.subject, questions=spec.questions,
            journalist=_journalist(spec.journalist, n),
            event_at=moment - timedelta(hours=1) if spec.type == "emergency" else None,
        ))
        if spec.reassign_to and head is not None:
            requests_svc.reassign(head, req, users[spec.reassign_to], "Người đứng đầu đơn vị trực tiếp trả lời.")
    author = req.assignee
    if spec.target in ("received", "assigned") or author is None:
        return req
    handled = moment + timedelta(days=spec.handled_after_days)
    with _at(handled):
        if spec.target == "withdrawn":
            requests_svc.withdraw(None, req, "Cơ quan báo chí đã có số liệu từ nguồn khác.")
            return req
        if spec.target == "refused":
            ground = db.session.execute(select(RefusalGround).where(
                RefusalGround.rulebook_id == req.rulebook_id, RefusalGround.code == "c")).scalar_one()
            requests_svc.save_draft(author, req, DraftData(
                kind="refusal", refusal_ground_id=ground.id,
                refusal_reason="Vụ việc đang được cơ quan có thẩm quyền giải quyết, chưa có kết luận chính thức."))
        else:
            requests_svc.save_draft(author, req, DraftData(
                body=f"Trả lời về “{spec.subject}”: đơn vị đã nắm tình hình và cung cấp thông tin như sau…",
                form="interview" if spec.type == "interview" else "written", questions_received=True))
        if spec.target == "drafting" or head is None:
            return req
        if author.id == head.id:
            if spec.target in ("answered", "refused"):
                requests_svc.send_directly(head, req)
            return req
        requests_svc.submit_draft(author, req)
    if spec.target in ("answered", "refused"):
        with _at(handled + timedelta(hours=3)):
            requests_svc.approve(head, req)
    return req


def _publish_answered(reqs: list[PressRequest]) -> int:
    """Publish the answers of the answered requests, an hour after they were sent."""

    added = 0
    for req in reqs:
        answer = requests_svc.final_answer(req)
        if req.state != "answered" or answer is None or req.assignee is None:
            continue
        with _at((req.answered_at or now()) + timedelta(hours=1)):
            publish_answer(req.assignee, req, prefill_from_request(req, answer))
        added += 1
    return added


def _issue_letters(reqs: list[PressRequest], limit: int = 3) -> int:
    """Issue the official letter of a few answered requests, two hours after the answer, so the register lives."""

    issued = 0
    for req in reqs:
        if issued >= limit or req.state != "answered":
            continue
        issuers = [u for u in letters.signers_for(req.unit) if letters.can_issue(u, req.unit)]
        if not issuers or LetterKind.REPLY not in letters.available_kinds(req):
            continue
        with _at((req.answered_at or now()) + timedelta(hours=2)):
            letters.issue(issuers[0], req, letters.default_choices(req, LetterKind.REPLY, issuers[0]), send=False)
        issued += 1
    return issued


def _merge_history() -> int:
    """Merge the 2020 units into their successors on 01/07/2025 (once); return how many were merged."""
    units = _units()
    if OLD_DISTRICT not in units or not units[OLD_DISTRICT].is_active:
        return 0
    # Deepest first (offices and communes, then the district, then the old province): a merge moves the
    # children of its sources along, and cannot take a unit together with one below it.
    groups: dict[tuple[int, str], list[int]] = {}
    for row in csv.DictReader(io.StringIO(_data_file("an-minh-2025-merges.csv"))):
        old = units.get(row["old_code"])
        if old is not None and old.is_active:
            groups.setdefault((old.depth, row["successor_code"]), []).append(old.id)
    merged = 0
    with _at(_vn(MERGE_DAY, 8)):
        for (_depth, successor), sources in sorted(groups.items(), key=lambda item: -item[0][0]):
            merge_units(None, MergeData(source_ids=sources, merge_date=MERGE_DAY, target_id=units[successor].id))
            merged += len(sources)
    return merged


def seed_requests() -> int:
    """Create the demo requests (once): the 2020s history, the merge, then the current work."""
    if db.session.execute(select(func.count()).select_from(PressRequest)).scalar_one():
        return 0
    moment = now()
    history = [_walk(spec, n, spec.received) for n, spec in enumerate(HISTORY_REQUESTS)  # type: ignore[arg-type]
               if _units()[spec.unit].is_active]
    _publish_answered(history)
    _merge_history()
    seed_designations()  # the successors' designations start on the merge day
    current = []
    timed = [(moment - timedelta(days=spec.received, hours=2) if spec.received else moment, spec)  # type: ignore[operator]
             for spec in REQUESTS]
    for n, (received, spec) in enumerate(sorted(timed, key=lambda pair: pair[0]), start=len(HISTORY_REQUESTS)):
        current.append(_walk(spec, n, received))
    _publish_answered(current)
    _issue_letters(current)
    db.session.flush()
    return len(history) + len(current)


def seed_publications() -> int:
    """Give xã An Minh its quarterly duty and xã Vân Khánh a press-conference notice (once).

    Answers are published as the requests are walked. The notice is public on the news feed, where
    Sở Văn hóa, Thể thao và Du lịch (the press regulator) and the provincial office see it.
    """

    notices = select(func.count()).select_from(Publication).where(
        Publication.kind == PublicationKind.PRESS_CONFERENCE_NOTICE.value)
    if not db.session.execute(notices).scalar_one():
        chair = db.session.execute(select(User).where(User.email == VK_CHAIR)).scalar_one()
        unit = db.session.execute(select(Unit).where(Unit.code == "AG-VANKHANH")).scalar_one()
        conference = datetime.combine((now() + timedelta(days=3)).astimezone(VN_TZ).date(), time(9), tzinfo=VN_TZ)
        publish_statement(chair, unit, PublicationKind.PRESS_CONFERENCE_NOTICE.value, PublicationData(
            title="Thông báo họp báo về sự cố chìm tàu cá ngoài khơi Vân Khánh",
            summary="UBND xã Vân Khánh họp báo cung cấp thông tin về công tác cứu nạn và hỗ trợ gia đình thuyền viên.",
            body="UBND xã Vân Khánh tổ chức họp báo tại trụ sở UBND xã. Kính mời các cơ quan báo chí tham dự. "
                 "Văn bản thông báo đã gửi UBND tỉnh và Sở Văn hóa, Thể thao và Du lịch.",
            speaker_name=chair.name, speaker_title=chair.title, conference_at=conference))

    seed_conference()

    if not db.session.execute(select(func.count()).select_from(RecurringDuty)).scalar_one():
        chair = db.session.execute(select(User).where(User.email == CHAIR)).scalar_one()
        unit = db.session.execute(select(Unit).where(Unit.code == "AG-ANMINH")).scalar_one()
        save_duty(chair, unit, DutyData(
            label="Cung cấp thông tin định kỳ cho báo chí (hằng quý)", publication_kind="periodic", every_months=3,
            next_due_on=(now() + timedelta(days=10)).date(), remind_days_before=14,
            citation="Nghị định 09/2017/NĐ-CP, Điều 5"))
    db.session.flush()
    return 0


def _slug(name: str) -> str:
    from spokes.core.text import slugify

    return slugify(name).replace("-", ".")


def seed_conference() -> None:
    """Give xã Vân Khánh's announced press conference its notice to the regulator (once).

    The feed item invites journalists; the notice is the numbered letter to Sở Văn hóa, Thể thao
    và Du lịch, issued and sent (as recorded) three days ahead, so the 24-hour rule is met.
    """

    if db.session.execute(select(func.count()).select_from(PressConference)).scalar_one():
        return
    announcement = db.session.execute(select(Publication).where(
        Publication.kind == PublicationKind.PRESS_CONFERENCE_NOTICE.value).order_by(Publication.id)).scalars().first()
    if announcement is None or announcement.conference_at is None or announcement.conference_at <= now():
        return
    chair = db.session.execute(select(User).where(User.email == VK_CHAIR)).scalar_one()
    unit = db.session.execute(select(Unit).where(Unit.code == "AG-VANKHANH")).scalar_one()
    conference = conferences.create(chair, unit, conferences.ConferenceData(
        title="Sự cố chìm tàu cá ngoài khơi Vân Khánh",
        content="Thông tin về công tác tìm kiếm, cứu nạn và hỗ trợ gia đình thuyền viên.",
        place="Hội trường UBND xã Vân Khánh", starts_at=announcement.conference_at, chair_name=chair.name,
        chair_title=chair.title or "Chủ tịch UBND xã Vân Khánh",
        invited_outlets="Báo và Phát thanh, Truyền hình An Giang\nBáo Nhân Dân\nThông tấn xã Việt Nam",
        regulator_name=conferences.regulator_for(unit)[1]))
    conference.publication_id = announcement.id
    conferences.issue_notice(chair, conference, conferences.default_choices(conference, chair))
    conferences.record_sent(chair, conference, sent_at=now(), via="Hệ thống quản lý văn bản")


def seed_demo() -> dict[str, object]:
    """Load all demo data; return what was added and the logins."""
    rulebooks = seed_rulebooks()
    units_created, _updated = seed_units()
    accounts = seed_accounts()
    designations = seed_designations()

    def count_publications() -> int:
        return db.session.execute(select(func.count()).select_from(Publication)).scalar_one()

    publications_before = count_publications()
    requests = seed_requests()
    seed_publications()
    publications = count_publications() - publications_before
    return {
        "rulebooks": rulebooks,
        "units": units_created,
        "accounts": accounts,
        "designations": designations,
        "requests": requests,
        "publications": publications,
    }
