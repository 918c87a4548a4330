"""Build a large, realistic data set with bulk inserts, for the benchmark.

About 150 units and 500 users, 200,000 press requests over three years with their audit
events (a valid hash chain), and 50,000 published items. Deadlines come from the real
deadline engine; search documents are written as the services would write them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from spokes.audit.models import AuditChainHead, AuditEvent
from spokes.audit.services import GENESIS, _digest
from spokes.auth.models import Membership, User
from spokes.core.search import SearchDocument, document_body, pause_index_sync, rebuild_index
from spokes.core.text import fold, slugify
from spokes.deadlines.engine import compute_due
from spokes.deadlines.models import RefusalGround, Rule, Rulebook
from spokes.deadlines.rulebook import select_rulebook
from spokes.deadlines.services import rulebook_spec, seed_rulebooks, work_calendar
from spokes.extensions import db
from spokes.press_requests.models import Journalist, PressAgency, PressRequest, ReferenceCounter
from spokes.publishing.models import Publication
from spokes.reports.totals import rebuild_all
from spokes.units.models import Designation, Unit

CHUNK = 5000
SUBJECTS = (
    "Tiến độ nạo vét kênh", "Phát ngôn về dự án đê biển", "Cấp giấy chứng nhận quyền sử dụng đất",
    "Hỗ trợ hộ nghèo", "Sạt lở bờ biển", "Lễ hội Nghinh Ông", "Nước sạch nông thôn", "Đường giao thông nông thôn",
    "Trường học xuống cấp", "Dịch bệnh trên tôm", "Mô hình tôm – lúa", "Bồi thường giải phóng mặt bằng",
    "Khai thác cát trái phép", "Chợ nông thôn", "Cải cách hành chính", "Tuyển dụng viên chức",
)
AGENCIES = ("Báo Kiên Giang", "Báo Tuổi Trẻ", "Báo Thanh Niên", "Báo Nhân Dân", "Đài PT-TH Kiên Giang",
            "Báo Lao Động", "VnExpress", "Báo Pháp Luật TP.HCM", "Đài Tiếng nói Việt Nam", "Báo Đông Hưng")
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý")
GIVEN = ("Văn Nam", "Thị Hạnh", "Minh Tuấn", "Thanh Sơn", "Thị Yến", "Quốc Bảo", "Văn Hải", "Thị Lan", "Hữu Phước")
TYPES = (("information", 50), ("interview", 15), ("press_answer", 10), ("forwarded_feedback", 15),
         ("forwarded_complaint", 8), ("emergency", 2))
CHANNELS = ("web_form", "email", "phone", "in_person", "letter", "press_article", "press_conference")


@dataclass
class SeedReport:
    """What was created, for the benchmark's output."""

    units: int
    users: int
    requests: int
    audit_events: int
    publications: int
    search_documents: int
    seconds: float


@lru_cache(maxsize=1 << 16)  # subjects, questions, names and agencies repeat; references do not
def _words(text: str) -> str:
    return document_body(text)


def _body(*texts: str) -> str:
    """Return ``document_body(*texts)``, each text folded once for the whole data set (they repeat)."""
    return " ".join(words for words in map(_words, texts) if words)


def _chunks(rows: Iterable[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _bulk(model: Any, rows: Iterable[dict[str, Any]], progress: Callable[[str, int], None] | None = None) -> int:
    count = 0
    for batch in _chunks(rows):
        _insert(model, batch)
        count += len(batch)
        if progress:
            progress(model.__tablename__, count)
    return count


def _insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert plain rows: COPY on PostgreSQL, else Core (the ORM's bulk path costs several times more per row)."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        _copy(connection, model.__table__, rows)
    else:
        connection.execute(model.__table__.insert(), rows)


def _copy(connection: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """Stream rows into a PostgreSQL table with COPY (psycopg), as the column types would bind them.

    Columns a row leaves out get their Python-side default (as an INSERT would); columns with a
    server default, or none, are left to the database.
    """
    dialect = connection.dialect
    names = list(dict.fromkeys(key for row in rows for key in row))
    defaults = {}
    for column in table.columns:
        if column.name in names or column.default is None or column.server_default is not None:
            continue
        default = column.default
        if default.is_scalar:
            defaults[column.name] = default.arg
        elif default.is_callable:
            defaults[column.name] = default.arg(None)
    columns = [*names, *defaults]
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in columns]  # noqa: SLF001
    quoted = ", ".join(f'"{name}"' for name in columns)
    sql = f"COPY {table.name} ({quoted}) FROM STDIN"
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            values = [row.get(name) for name in names] + list(defaults.values())
            copy.write_row([value if proc is None or value is None else proc(value)
                            for value, proc in zip(values, processors, strict=True)])


def _units(rng: random.Random) -> list[dict[str, Any]]:
    """Return a province with departments and ten districts, each with departments and communes."""
    units: list[dict[str, Any]] = []
    next_id = 1

    def add(code: str, name: str, kind: str, parent: dict[str, Any] | None) -> dict[str, Any]:
        nonlocal next_id
        row = {
            "id": next_id, "code": code, "name": name, "name_folded": fold(name), "kind": kind,
            "parent_id": parent["id"] if parent else None,
            "path": (parent["path"] if parent else "/") + f"{next_id}/",
            "depth": (parent["depth"] + 1) if parent else 0,
            "reference_prefix": code, "approval_required": rng.random() < 0.7, "is_active": True,
        }
        next_id += 1
        units.append(row)
        return row

    province = add("BK", "Ủy ban nhân dân tỉnh Bờ Kênh", "province", None)
    for i in range(8):
        add(f"BK-S{i:02d}", f"Sở chuyên ngành số {i + 1} tỉnh Bờ Kênh", "department", province)
    for d in range(10):
        district = add(f"BK-H{d:02d}", f"Ủy ban nhân dân huyện Số {d + 1}", "district", province)
        for k in range(6):
            add(f"BK-H{d:02d}-P{k}", f"Phòng chuyên môn {k + 1} huyện Số {d + 1}", "department", district)
        for k in range(8):
            add(f"BK-H{d:02d}-X{k}", f"UBND xã Đông Hưng {d + 1}-{k + 1}", "commune", district)
    return units


def seed(total_requests: int = 200_000, publications: int = 50_000, *, years: int = 3, seed_value: int = 2026,
         progress: Callable[[str, int], None] | None = None, end: datetime | None = None) -> SeedReport:
    """Fill an EMPTY, migrated database with the benchmark data set; return what was made."""
    import time

    started = time.perf_counter()
    rng = random.Random(seed_value)
    seed_rulebooks()
    db.session.flush()
    books = list(db.session.execute(select(Rulebook)).scalars())
    specs = [rulebook_spec(b) for b in books]
    rules = {(r.rulebook_id, r.request_type): r for r in db.session.execute(select(Rule)).scalars() if r.milestone == "main"}
    book_ids = {b.code: b.id for b in books}
    grounds = {}
    for g in db.session.execute(select(RefusalGround)).scalars():
        grounds.setdefault(g.rulebook_id, []).append(g.id)
    calendar = work_calendar()

    # One full-text rebuild at the end costs a fifth of a trigger per document (SQLite).
    pause_index_sync()
    unit_rows = _units(rng)
    _bulk(Unit, unit_rows)

    # Users: a head, a spokesperson and a clerk in every unit; overseers at the district and province.
    password_hash = _hash_once()  # one hash for every bench user: hashing 500 passwords would take minutes
    users, memberships, designations = [], [], []
    staff_by_unit: dict[int, dict[str, int]] = {}
    uid = 1
    for unit in unit_rows:
        roles = ["head", "spokesperson", "clerk"] + (["overseer"] if unit["kind"] in ("district", "province") else [])
        for role in roles:
            name = f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}"
            users.append({"id": uid, "email": f"u{uid}@bench.vn", "name": name, "title": f"{role} {unit['code']}",
                          "password_hash": password_hash, "active": True, "locale": "vi", "notify_mode": "digest"})
            memberships.append({"user_id": uid, "unit_id": unit["id"], "role": role})
            staff_by_unit.setdefault(unit["id"], {})[role] = uid
            uid += 1
    while uid <= 500:
        unit = rng.choice(unit_rows)
        users.append({"id": uid, "email": f"u{uid}@bench.vn", "name": f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}",
                      "title": "Cán bộ", "password_hash": password_hash, "active": True, "locale": "vi",
                      "notify_mode": "digest"})
        memberships.append({"user_id": uid, "unit_id": unit["id"], "role": "clerk"})
        uid += 1
    admin_id = uid
    users.append({"id": admin_id, "email": "admin@bench.vn", "name": "Quản trị", "title": "Quản trị",
                  "password_hash": password_hash, "active": True, "locale": "vi", "notify_mode": "digest"})
    memberships.append({"user_id": admin_id, "unit_id": unit_rows[0]["id"], "role": "admin"})
    _bulk(User, users)
    _bulk(Membership, memberships)
    for unit in unit_rows:
        if rng.random() < 0.93:  # a few units publish no spokesperson: the compliance report shows them
            designations.append({
                "unit_id": unit["id"], "user_id": staff_by_unit[unit["id"]]["head"], "kind": "head",
                "title": "Người đứng đầu", "document_number": f"{unit['id']}/QĐ-UBND",
                "document_date": date(2023, 12, 20), "valid_from": date(2024, 1, 1)})
    _bulk(Designation, designations)

    agencies = [{"id": i + 1, "name": a, "name_folded": fold(a)} for i, a in enumerate(AGENCIES)]
    _bulk(PressAgency, agencies)
    journalists = [{"id": j + 1, "name": f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}", "agency_id": rng.randint(1, len(agencies)),
                    "email": f"pv{j + 1}@baochi.vn", "phone": "0900000000", "press_card_number": f"BC{j:05d}",
                    "consent_publish_name": rng.random() < 0.5} for j in range(2000)]
    _bulk(Journalist, journalists)

    end = end or datetime.now(UTC)
    start = end - timedelta(days=365 * years)
    span = (end - start).total_seconds()
    type_codes = [t for t, _w in TYPES]
    type_weights = [w for _t, w in TYPES]
    counters: dict[tuple[str, int], int] = {}

    @lru_cache(maxsize=None)
    def due_for(rtype: str, received_day: date, hour: int) -> tuple[datetime, int, int]:
        moment = datetime(received_day.year, received_day.month, received_day.day, hour, tzinfo=UTC)
        spec = select_rulebook(specs, moment)
        rule = rules[(book_ids[spec.code], rtype)]
        result = compute_due(moment, rule.amount, rule.unit, calendar)
        return result.due_at, rule.rulebook_id, rule.id

    request_rows: list[dict[str, Any]] = []
    doc_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    head = db.session.get(AuditChainHead, 1)  # seeding the rulebooks already started the chain
    prev_hash, seq = (head.last_hash, head.last_seq) if head else (GENESIS, 0)

    def event(action: str, obj_id: int, unit_id: int, at: datetime, actor: int | None, after: dict[str, Any]) -> None:
        nonlocal prev_hash, seq
        seq += 1
        row = {"seq": seq, "created_at": at, "actor_id": actor, "actor_label": "system" if actor is None else f"u{actor}",
               "action": action, "object_type": "request", "object_id": obj_id, "unit_id": unit_id, "public": True,
               "before": None, "after": after, "prev_hash": prev_hash}
        fields = {k: row[k] for k in ("seq", "actor_id", "actor_label", "action", "object_type", "object_id",
                                      "unit_id", "public", "before", "after")}
        fields["created_at"] = at.astimezone(UTC).isoformat()
        row["hash"] = _digest(prev_hash, fields)
        prev_hash = row["hash"]
        event_rows.append(row)

    inserted_requests = 0
    for i in range(1, total_requests + 1):
        # Later months are busier; recent requests are the open ones.
        received = start + timedelta(seconds=span * (rng.random() ** 0.8))
        received = received.replace(microsecond=0)
        unit = unit_rows[rng.randrange(len(unit_rows))]
        rtype = rng.choices(type_codes, type_weights)[0]
        due_at, book_id, rule_id = due_for(rtype, received.date(), received.hour)
        age_days = (end - received).days
        roll = rng.random()
        assignee = staff_by_unit[unit["id"]]["spokesperson"]
        row: dict[str, Any] = {
            "id": i, "unit_id": unit["id"], "type": rtype, "channel": rng.choice(CHANNELS),
            "subject": f"{rng.choice(SUBJECTS)} tại {unit['name']}", "questions": "Đề nghị cung cấp thông tin về " + rng.choice(SUBJECTS).lower(),
            "journalist_id": rng.randint(1, len(journalists)), "received_at": received, "clock_started_at": received,
            "due_at": max(due_at, received), "rulebook_id": book_id, "rule_id": rule_id, "deadline_explanation": {},
            "assignee_id": assignee, "assigned_at": received + timedelta(minutes=5), "created_at": received,
            "updated_at": received, "extended_amount": 0,
        }
        year = received.year
        key = (unit["reference_prefix"], year)
        counters[key] = counters.get(key, 0) + 1
        row["reference"] = f"{unit['reference_prefix']}-{year}-{counters[key]:05d}"
        if age_days > 45 or roll < 0.85 * min(1.0, age_days / 20):
            outcome = rng.random()
            closed_at = received + timedelta(days=rng.uniform(0.2, 1.3) * max(1, (due_at - received).days or 1))
            closed_at = min(closed_at, end)
            if outcome < 0.88:
                row.update(state="answered", answered_at=closed_at)
            elif outcome < 0.94:
                row.update(state="refused", refused_at=closed_at, refusal_ground_id=rng.choice(grounds[book_id]),
                           refusal_reason="Vụ việc đang trong quá trình thanh tra, chưa có kết luận.")
            else:
                row.update(state="withdrawn", withdrawn_at=closed_at)
            row["updated_at"] = closed_at
        else:
            row["state"] = rng.choice(("assigned", "assigned", "drafting", "awaiting_approval"))
            row["next_alert_at"] = received  # as the migration does: the first tick sets the exact moment
        request_rows.append(row)
        event("request.received", i, unit["id"], received, None, {"reference": row["reference"], "due_at": row["due_at"].isoformat()})
        event("request.assign", i, unit["id"], row["assigned_at"], None, {"assignee_id": assignee})
        if row["state"] in ("answered", "refused", "withdrawn"):
            event(f"request.{row['state']}", i, unit["id"], row["updated_at"], assignee, {"state": row["state"]})
        journalist = journalists[row["journalist_id"] - 1]
        doc_rows.append({"object_type": "request", "object_id": i, "body": _body(
            row["reference"], row["subject"], row["questions"], journalist["name"], AGENCIES[journalist["agency_id"] - 1])})
        if len(request_rows) >= CHUNK:
            inserted_requests += _flush_requests(request_rows, doc_rows, event_rows)
            if progress:
                progress("press_requests", inserted_requests)
    inserted_requests += _flush_requests(request_rows, doc_rows, event_rows)
    _insert(ReferenceCounter, [
        {"prefix": p, "year": y, "last_number": n} for (p, y), n in counters.items()])

    # Published items.
    pub_rows, pub_docs = [], []
    for k in range(1, publications + 1):
        unit = unit_rows[rng.randrange(len(unit_rows))]
        title = f"Trả lời báo chí: {rng.choice(SUBJECTS)} ({unit['name']})"
        published = start + timedelta(seconds=span * (rng.random() ** 0.8))
        pub_rows.append({
            "id": k, "slug": f"{slugify(title)[:90]}-{k}", "unit_id": unit["id"], "kind": "answer",
            "title": title, "summary": "Đơn vị trả lời câu hỏi của phóng viên.",
            "body": "Nội dung trả lời chi tiết của đơn vị về vấn đề phóng viên quan tâm. " * 5,
            "speaker_name": "Người phát ngôn", "speaker_title": "Chủ tịch UBND", "published_at": published,
            "updated_at": published, "revision_number": 1,
        })
        pub_docs.append({"object_type": "publication", "object_id": k, "body": _body(title, unit["name"])})
        if len(pub_rows) >= CHUNK:
            _bulk(Publication, pub_rows)
            _bulk(SearchDocument, pub_docs)
            pub_rows, pub_docs = [], []
            if progress:
                progress("publications", k)
    _bulk(Publication, pub_rows)
    _bulk(SearchDocument, pub_docs)
    if head is None:
        db.session.add(AuditChainHead(id=1, last_seq=seq, last_hash=prev_hash))
    else:
        head.last_seq, head.last_hash = seq, prev_hash
    rebuild_index()
    if progress:
        progress("report totals", 0)
    rebuild_all()  # the rows went in without the ORM, which keeps the totals otherwise
    _fix_sequences()
    db.session.commit()
    _refresh_statistics()
    doc_total = db.session.execute(select(db.func.count()).select_from(SearchDocument)).scalar_one()
    return SeedReport(units=len(unit_rows), users=len(users), requests=inserted_requests, audit_events=seq,
                      publications=publications, search_documents=doc_total, seconds=time.perf_counter() - started)


def _flush_requests(request_rows: list[dict[str, Any]], doc_rows: list[dict[str, Any]],
                    event_rows: list[dict[str, Any]]) -> int:
    count = len(request_rows)
    if request_rows:
        # Rows differ in which optional columns they set; insert each shape together.
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in request_rows:
            shapes.setdefault(tuple(sorted(row)), []).append(row)
        for rows in shapes.values():
            _insert(PressRequest, rows)
        _insert(SearchDocument, doc_rows)
        _insert(AuditEvent, event_rows)
    request_rows.clear()
    doc_rows.clear()
    event_rows.clear()
    return count


def _fix_sequences() -> None:
    """After inserting explicit ids on PostgreSQL, move the id sequences past them."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("units", "users", "press_agencies", "journalists", "press_requests", "publications"):
        db.session.execute(db.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"))


def _refresh_statistics() -> None:
    """Give PostgreSQL's planner statistics of the bulk-loaded tables, as after any bulk load.

    Autovacuum would get there on its own a little later; measured before it, every plan
    guesses a table of 50,000 rows holds 50 (the home page took 126 ms instead of 2).
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()


@lru_cache(maxsize=1)
def _hash_once() -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash("bench-password-2026")


def describe(report: SeedReport) -> str:
    """Return a one-line description of a seed run."""
    return json.dumps(report.__dict__, default=str)
