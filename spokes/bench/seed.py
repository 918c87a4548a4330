"""Build a large, realistic data set with bulk inserts, for the benchmark.

About 150 units and 500 users, 200,000 press requests over three years with their audit
events (a valid hash chain), and 50,000 published items. Deadlines come from the real
deadline engine; search documents are written as the services would write them.

On PostgreSQL the large tables are filled with COPY, one stream per table, while the rows are
generated, and get their indexes and foreign keys built once at the end: a million requests
take well under five minutes on a busy two-core machine.
"""

from __future__ import annotations

import json
import random
import re
import time
from bisect import bisect
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from hashlib import sha256
from itertools import accumulate
from typing import Any

from sqlalchemy import JSON, Text, bindparam, select, text

from spokes.audit.models import AuditChainHead
from spokes.audit.services import GENESIS
from spokes.auth.models import Membership, User
from spokes.core.model_types import UTCDateTime
from spokes.core.search import SearchDocument, document_body, pause_index_sync, rebuild_index, resume_index_sync
from spokes.core.text import fold, slugify
from spokes.deadlines.calendar import to_vn
from spokes.deadlines.engine import TimeUnit, compute_due
from spokes.deadlines.models import RefusalGround, Rule, Rulebook
from spokes.deadlines.rulebook import select_rulebook
from spokes.deadlines.services import rulebook_spec, seed_rulebooks, work_calendar
from spokes.extensions import db
from spokes.press_requests.models import Journalist, PressAgency, ReferenceCounter
from spokes.reports.totals import rebuild_all
from spokes.units.models import Designation, Unit

CHUNK = 5000
INDEX_BUILDERS = 2  # tables whose indexes are built at the same time, one per core of the bench machine
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

    Columns a row leaves out get their Python-side default (``_python_defaults``).
    """
    dialect = connection.dialect
    names = list(dict.fromkeys(key for row in rows for key in row))
    defaults = _python_defaults(table, names)
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


# The large tables, and the columns the generator fills (in this order). On PostgreSQL the
# requests and publications also get their stored search vector (``search_vector``).
REQUEST_COLUMNS = (
    "id", "reference", "unit_id", "type", "channel", "state", "subject", "questions", "journalist_id",
    "received_at", "clock_started_at", "due_at", "rulebook_id", "rule_id", "deadline_explanation", "extended_amount",
    "assignee_id", "assigned_at", "answered_at", "refused_at", "withdrawn_at", "refusal_ground_id", "refusal_reason",
    "created_at", "updated_at", "next_alert_at",
)
DOCUMENT_COLUMNS = ("object_type", "object_id", "body")
EVENT_COLUMNS = ("seq", "created_at", "actor_id", "actor_label", "action", "object_type", "object_id", "unit_id",
                 "public", "before", "after", "prev_hash", "hash")
PUBLICATION_COLUMNS = ("id", "slug", "unit_id", "kind", "title", "summary", "body", "speaker_name", "speaker_title",
                       "published_at", "updated_at", "revision_number")
REFUSAL_REASON = "Vụ việc đang trong quá trình thanh tra, chưa có kết luận."
OPEN_CHOICES = ("assigned", "assigned", "drafting", "awaiting_approval")
PUBLICATION_SUMMARY = "Đơn vị trả lời câu hỏi của phóng viên."
PUBLICATION_BODY = "Nội dung trả lời chi tiết của đơn vị về vấn đề phóng viên quan tâm. " * 5
FIVE_MINUTES = timedelta(minutes=5)
NULL = "\\N"  # COPY's text format
# Every text the generator writes comes from the constants above, the unit names and the
# people's names: none holds a tab, a newline or a backslash (tests/bench checks), so COPY's
# text format takes them as they are, with no escaping per value.
COPY_UNSAFE = re.compile(r"[\t\n\r\\]")


@lru_cache(maxsize=None)
def _vector(words: str, first: int) -> tuple[str, int]:
    """Return the ``tsvector`` text of folded words whose first word is at ``first``, and the next position.

    ``to_tsvector('simple', body)`` of a folded body gives each word its place (1, 2, …); the
    database sorts the lexemes and merges a word's places when it reads the text, so writing
    the vector beside the row costs the database nothing more than the text itself.
    """
    parts = words.split(" ")
    return " ".join(f"{word}:{first + k}" for k, word in enumerate(parts)), first + len(parts)


def seed(total_requests: int = 200_000, publications: int = 50_000, *, years: int = 3, seed_value: int = 2026,
         progress: Callable[[str, int], None] | None = None, end: datetime | None = None) -> SeedReport:
    """Fill an EMPTY, migrated database with the benchmark data set; return what was made.

    The large tables are written without their secondary indexes and foreign keys on
    PostgreSQL (each through a COPY of its own, fed while the rows are generated) and get them
    back at the end, built once: a failed seed leaves a database to drop, not to reuse.
    """
    started = time.perf_counter()
    rng = random.Random(seed_value)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    seed_rulebooks()
    db.session.flush()
    books = list(db.session.execute(select(Rulebook)).scalars())
    specs = [rulebook_spec(b) for b in books]
    # Plain values: the session commits before the requests are generated (PostgreSQL).
    rules = {(r.rulebook_id, r.request_type): (r.id, r.rulebook_id, r.amount, r.unit)
             for r in db.session.execute(select(Rule)).scalars() if r.milestone == "main"}
    book_ids = {b.code: b.id for b in books}
    grounds: dict[int, list[int]] = {}
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

    end = (end or datetime.now(UTC)).astimezone(UTC)
    start = end - timedelta(days=365 * years)
    day_due: dict[tuple[int, date], datetime] = {}

    @lru_cache(maxsize=None)
    def due_for(rtype: str, received_day: date, hour: int) -> tuple[datetime, int, int]:
        moment = datetime(received_day.year, received_day.month, received_day.day, hour, tzinfo=UTC)
        spec = select_rulebook(specs, moment)
        rule_id, book_id, amount, unit = rules[(book_ids[spec.code], rtype)]
        if unit == TimeUnit.HOURS:
            return compute_due(moment, amount, unit, calendar).due_at, book_id, rule_id
        # A period counted in days starts the day after receipt and ends at the end of a day
        # (BLDS 2015 Điều 147): its end depends on the Vietnamese date of receipt only.
        key = (rule_id, to_vn(moment).date())
        if key not in day_due:
            day_due[key] = compute_due(moment, amount, unit, calendar).due_at
        return day_due[key], book_id, rule_id

    head = db.session.get(AuditChainHead, 1)  # seeding the rulebooks already started the chain
    chain = (head.last_seq, head.last_hash) if head else (0, GENESIS)
    columns = {"press_requests": REQUEST_COLUMNS, "search_documents": DOCUMENT_COLUMNS, "audit_events": EVENT_COLUMNS,
               "publications": PUBLICATION_COLUMNS}
    if postgres:
        columns["press_requests"] += ("search_vector",)
        columns["publications"] += ("search_vector",)
        restore = _detach_indexes(list(columns))
        db.session.commit()  # the loaders' connections wait for no lock of this session
        rows: _Rows = _CopyRows(columns)
    else:
        rows = _CoreRows(columns)
    with rows:
        counters, chain = _requests(rows, rng, total_requests, unit_rows, staff_by_unit, journalists, grounds,
                                    due_for, start, end, chain, vectors=postgres, progress=progress)
        _publications(rows, rng, publications, unit_rows, start, end, vectors=postgres, progress=progress)
    _insert(ReferenceCounter, [{"prefix": p, "year": y, "last_number": n} for (p, y), n in counters.items()])
    seq, prev_hash = chain
    if head is None:
        db.session.add(AuditChainHead(id=1, last_seq=seq, last_hash=prev_hash))
    else:
        head.last_seq, head.last_hash = seq, prev_hash
    if postgres:
        if progress:
            progress("indexes", 0)
        db.session.commit()
        _restore_indexes(restore)
        resume_index_sync()  # the vectors went in with their rows
    else:
        rebuild_index()
    if progress:
        progress("report totals", 0)
    rebuild_all(batch=len(unit_rows))  # the rows went in without the ORM, which keeps the totals otherwise
    _fix_sequences()
    db.session.commit()
    _refresh_statistics()
    doc_total = db.session.execute(select(db.func.count()).select_from(SearchDocument)).scalar_one()
    return SeedReport(units=len(unit_rows), users=len(users), requests=total_requests, audit_events=seq,
                      publications=publications, search_documents=doc_total, seconds=time.perf_counter() - started)


def _requests(rows: _Rows, rng: random.Random, total: int, unit_rows: list[dict[str, Any]],
              staff_by_unit: dict[int, dict[str, int]], journalists: list[dict[str, Any]], grounds: dict[int, list[int]],
              due_for: Callable[[str, date, int], tuple[datetime, int, int]], start: datetime, end: datetime,
              chain: tuple[int, str], *, vectors: bool,
              progress: Callable[[str, int], None] | None) -> tuple[dict[tuple[str, int], int], tuple[int, str]]:
    """Generate the requests with their search documents and audit events; return the reference counters and chain.

    Draws from ``rng`` in a fixed order: the same seed gives the same data set on every
    database. Everything that repeats (texts folded for search, vectors, deadlines per day)
    is computed once; a request costs a few random draws, string formatting and its events' hashes.
    Moments are ISO 8601 text, the form the audit chain hashes them in.
    """
    span = (end - start).total_seconds()
    random_, randrange, randint, choice, uniform = rng.random, rng.randrange, rng.randint, rng.choice, rng.uniform
    type_codes = [t for t, _w in TYPES]
    cumulative = list(accumulate(w for _t, w in TYPES))
    weight_total, last_type = cumulative[-1] + 0.0, len(cumulative) - 1  # as rng.choices(weights=…) draws
    n_units, n_journalists = len(unit_rows), len(journalists)
    spokesperson = {unit_id: staff["spokesperson"] for unit_id, staff in staff_by_unit.items()}
    questions_of = {s: "Đề nghị cung cấp thông tin về " + s.lower() for s in SUBJECTS}
    # A reference "BK-H01-X2-2025-00042" folds to the unit's prefix words, the year and the number.
    prefix_words = {u["id"]: _words(u["reference_prefix"]) for u in unit_rows}
    prefix_vector = {u_id: _vector(words, 1) for u_id, words in prefix_words.items()}
    people = [_body(j["name"], AGENCIES[j["agency_id"] - 1]) for j in journalists]
    request_rows, doc_rows, event_rows = (rows.pending[t] for t in ("press_requests", "search_documents", "audit_events"))
    add_request, add_doc, add_event = request_rows.append, doc_rows.append, event_rows.append
    counters: dict[tuple[str, int], int] = {}
    seq, prev_hash = chain
    due_text = lru_cache(maxsize=None)(datetime.isoformat)  # a few thousand deadlines, shared by many requests

    def event(action: str, obj_id: int, unit_id: int, at: str, actor: int | None, after: str) -> None:
        # The hashed text is json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        # of spokes.audit.services, written out: its values hold no character JSON escapes.
        nonlocal seq, prev_hash
        seq += 1
        label = "system" if actor is None else f"u{actor}"
        payload = (f'{{"action":"{action}","actor_id":{"null" if actor is None else actor},"actor_label":"{label}",'
                   f'"after":{after},"before":null,"created_at":"{at}","object_id":{obj_id},'
                   f'"object_type":"request","public":true,"seq":{seq},"unit_id":{unit_id}}}')
        digest = sha256((prev_hash + payload).encode()).hexdigest()
        add_event((seq, at, actor, label, action, "request", obj_id, unit_id, True, None, after, prev_hash, digest))
        prev_hash = digest

    for i in range(1, total + 1):
        # Later months are busier; recent requests are the open ones.
        received = (start + timedelta(seconds=span * (random_() ** 0.8))).replace(microsecond=0)
        unit = unit_rows[randrange(n_units)]
        rtype = type_codes[bisect(cumulative, random_() * weight_total, 0, last_type)]
        due_at, book_id, rule_id = due_for(rtype, received.date(), received.hour)
        age_days = (end - received).days
        roll = random_()
        unit_id = unit["id"]
        assignee = spokesperson[unit_id]
        channel = choice(CHANNELS)
        subject = f"{choice(SUBJECTS)} tại {unit['name']}"
        questions = questions_of[choice(SUBJECTS)]
        journalist_id = randint(1, n_journalists)
        received_at = received.isoformat()
        due = due_text(due_at) if due_at >= received else received_at
        year = received.year
        key = (unit["reference_prefix"], year)
        counters[key] = number = counters.get(key, 0) + 1
        serial = f"{number:05d}"
        reference = f"{unit['reference_prefix']}-{year}-{serial}"
        assigned_at = (received + FIVE_MINUTES).isoformat()
        answered_at = refused_at = withdrawn_at = ground = reason = next_alert_at = None
        closed = age_days > 45 or roll < 0.85 * min(1.0, age_days / 20)
        if closed:
            outcome = random_()
            closed_at = min(received + timedelta(days=uniform(0.2, 1.3) * max(1, (due_at - received).days or 1)),
                            end).isoformat()
            if outcome < 0.88:
                state, answered_at = "answered", closed_at
            elif outcome < 0.94:
                state, refused_at, ground, reason = "refused", closed_at, choice(grounds[book_id]), REFUSAL_REASON
            else:
                state, withdrawn_at = "withdrawn", closed_at
            updated_at = closed_at
        else:
            state = choice(OPEN_CHOICES)
            updated_at = next_alert_at = received_at  # as the migration does: the first tick sets the exact moment
        subject_words, question_words, person_words = _words(subject), _words(questions), people[journalist_id - 1]
        row: tuple[Any, ...] = (i, reference, unit_id, rtype, channel, state, subject, questions, journalist_id,
               received_at, received_at, due, book_id, rule_id, "{}", 0,
               assignee, assigned_at, answered_at, refused_at, withdrawn_at, ground, reason,
               received_at, updated_at, next_alert_at)
        if vectors:
            prefix_text, position = prefix_vector[unit_id]  # the year and the number come next
            subject_vector, after = _vector(subject_words, position + 2)
            question_vector, after = _vector(question_words, after)
            person_vector, _after = _vector(person_words, after)
            row += (f"{prefix_text} {year}:{position} {serial}:{position + 1} "
                    f"{subject_vector} {question_vector} {person_vector}",)
        add_request(row)
        add_doc(("request", i, f"{prefix_words[unit_id]} {year} {serial} {subject_words} {question_words} {person_words}"))
        event("request.received", i, unit_id, received_at, None, f'{{"due_at":"{due}","reference":"{reference}"}}')
        event("request.assign", i, unit_id, assigned_at, None, f'{{"assignee_id":{assignee}}}')
        if closed:
            event(f"request.{state}", i, unit_id, updated_at, assignee, f'{{"state":"{state}"}}')
        if i % CHUNK == 0:
            rows.flush()
            if progress:
                progress("press_requests", i)
    rows.flush()
    return counters, (seq, prev_hash)


def _publications(rows: _Rows, rng: random.Random, total: int, unit_rows: list[dict[str, Any]], start: datetime,
                  end: datetime, *, vectors: bool, progress: Callable[[str, int], None] | None) -> None:
    """Generate the published items and their search documents."""
    span = (end - start).total_seconds()
    add_publication, add_doc = rows.pending["publications"].append, rows.pending["search_documents"].append
    for k in range(1, total + 1):
        unit = unit_rows[rng.randrange(len(unit_rows))]
        title = f"Trả lời báo chí: {rng.choice(SUBJECTS)} ({unit['name']})"
        published = (start + timedelta(seconds=span * (rng.random() ** 0.8))).isoformat()
        body = _body(title, unit["name"])
        row = (k, f"{_slug(title)}-{k}", unit["id"], "answer", title, PUBLICATION_SUMMARY, PUBLICATION_BODY,
               "Người phát ngôn", "Chủ tịch UBND", published, published, 1)
        add_publication(row + (_vector(body, 1)[0],) if vectors else row)
        add_doc(("publication", k, body))
        if k % CHUNK == 0:
            rows.flush()
            if progress:
                progress("publications", k)
    rows.flush()


@lru_cache(maxsize=1 << 12)
def _slug(title: str) -> str:
    return slugify(title)[:90]


class _Rows:
    """Generated rows of the large tables, sent to the database a chunk at a time.

    The generator appends tuples (in the table's column order) to ``pending[table]`` and
    calls ``flush()`` now and then; a ``with`` block ends the load. Values are ints, bools,
    None and text: moments as aware ISO 8601 text, JSON as its text.
    """

    def __init__(self, columns: dict[str, tuple[str, ...]]) -> None:
        self.columns = columns
        self.pending: dict[str, list[tuple[Any, ...]]] = {name: [] for name in columns}

    def flush(self) -> None:
        """Send the pending rows."""
        raise NotImplementedError

    def __enter__(self) -> _Rows:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        return None


class _CoreRows(_Rows):
    """Insert with SQLAlchemy Core in the session's transaction (SQLite)."""

    def __init__(self, columns: dict[str, tuple[str, ...]]) -> None:
        super().__init__(columns)
        self.connection = db.session.connection()
        self.statements = {}
        self.moments: dict[str, list[int]] = {}
        for name, cols in columns.items():
            table_ = db.metadata.tables[name]
            # JSON columns come as text already (the audit chain hashed exactly that text).
            as_text = {c: bindparam(c, type_=Text()) for c in cols if isinstance(table_.c[c].type, JSON)}
            self.statements[name] = table_.insert().values(as_text) if as_text else table_.insert()
            # The column types store datetimes their own way: give them datetimes.
            self.moments[name] = [k for k, c in enumerate(cols) if isinstance(table_.c[c].type, UTCDateTime)]

    def flush(self) -> None:
        """Insert the pending rows, one executemany per table."""
        parse = datetime.fromisoformat
        for name, rows in self.pending.items():
            if rows:
                names, moments = self.columns[name], self.moments[name]
                params = []
                for row in rows:
                    values = dict(zip(names, row, strict=True))
                    for k in moments:
                        if row[k] is not None:
                            values[names[k]] = parse(row[k])
                    params.append(values)
                self.connection.execute(self.statements[name], params)
                rows.clear()


class _CopyRows(_Rows):
    """Stream each table through a COPY of its own, on a connection of its own (PostgreSQL).

    The text of a chunk goes to a queue that a thread per COPY writes to the server
    (psycopg's ``QueuedLibpqWriter``), so the database stores one chunk while the next is
    generated: on two cores, the generator and the server work at the same time. Each
    connection commits when the load ends; an error rolls every one of them back.
    """

    def __init__(self, columns: dict[str, tuple[str, ...]]) -> None:
        from psycopg.copy import QueuedLibpqWriter

        super().__init__(columns)
        self._connections = ExitStack()  # closed last: given back to the pool (rolled back if uncommitted)
        self._streams = ExitStack()  # the COPYs, finished (or failed) before anything commits
        self._raw: list[Any] = []
        self._copies: dict[str, Any] = {}
        self._suffix: dict[str, str] = {}
        try:
            for name, cols in columns.items():
                defaults = _python_defaults(db.metadata.tables[name], cols)
                connection = db.engine.raw_connection()
                self._connections.callback(connection.close)
                raw: Any = connection.driver_connection
                self._raw.append(raw)
                cursor = self._connections.enter_context(raw.cursor())
                quoted = ", ".join(f'"{c}"' for c in (*cols, *defaults))
                self._copies[name] = self._streams.enter_context(
                    cursor.copy(f"COPY {name} ({quoted}) FROM STDIN", writer=QueuedLibpqWriter(cursor)))
                self._suffix[name] = "".join("\t" + _copy_text(v) for v in defaults.values()) + "\n"
        except BaseException:
            self._streams.close()
            self._connections.close()
            raise

    def flush(self) -> None:
        """Queue the text of the pending rows for each table's COPY."""
        for name, rows in self.pending.items():
            if rows:
                suffix = self._suffix[name]
                self._copies[name].write("".join(
                    ["\t".join([NULL if value is None else str(value) for value in row]) + suffix for row in rows]))
                rows.clear()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        with self._connections:
            self._streams.__exit__(exc_type, exc, tb)  # waits for the server to store every row
            if exc is None:
                for raw in self._raw:
                    raw.commit()


def _copy_text(value: Any) -> str:
    """Return a constant value in COPY's text format."""
    if value is None:
        return NULL
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    text_ = str(value)
    if COPY_UNSAFE.search(text_):
        raise ValueError(f"a default value needs escaping for COPY: {text_!r}")
    return text_


def _python_defaults(table: Any, names: Iterable[str]) -> dict[str, Any]:
    """Return the Python-side defaults an INSERT would add to rows giving only ``names``.

    Columns with a server default, or none, are left to the database (as an INSERT would).
    """
    defaults = {}
    for column in table.columns:
        if column.name in names or column.default is None or column.server_default is not None:
            continue
        default = column.default
        if default.is_scalar:
            defaults[column.name] = default.arg
        elif default.is_callable:
            defaults[column.name] = default.arg(None)
    return defaults


@dataclass
class _Detached:
    """What ``_detach_indexes`` dropped: the statements that put it back."""

    indexes: dict[str, list[str]]  # per table: its unique constraints and indexes
    foreign_keys: list[str]


def _detach_indexes(tables: list[str]) -> _Detached:
    """Drop the secondary indexes, unique constraints and foreign keys of tables about to be bulk loaded.

    Return the statements that put them back. Building an index once over a loaded table
    costs a fraction of keeping it up to date row by row, and a COPY without foreign keys
    checks no row against other tables. Primary keys stay, and so do unique constraints
    another table's foreign key depends on. Partial indexes stay too: they hold a few rows
    (the open requests), and PostgreSQL would not give back the text of their conditions
    as migrated (``state IN (…)`` comes back as an equivalent but different ``ANY (ARRAY[…])``).
    """
    connection = db.session.connection()
    detached = _Detached(indexes={t: [] for t in tables}, foreign_keys=[])
    drops: list[str] = []
    for table_ in tables:
        constraints = connection.execute(text(
            "SELECT c.conname, pg_get_constraintdef(c.oid), c.contype FROM pg_constraint c "
            "WHERE c.conrelid = CAST(:t AS regclass) AND (c.contype = 'f' OR (c.contype = 'u' AND NOT EXISTS ("
            "  SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid))) "
            "ORDER BY c.conname"), {"t": table_}).all()
        indexes = connection.execute(text(
            "SELECT ci.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid "
            "WHERE i.indrelid = CAST(:t AS regclass) AND i.indpred IS NULL AND NOT EXISTS ("
            "  SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid) "
            "ORDER BY ci.relname"), {"t": table_}).all()
        for name, definition, kind in constraints:
            drops.append(f'ALTER TABLE {table_} DROP CONSTRAINT "{name}"')
            restore = f'ALTER TABLE {table_} ADD CONSTRAINT "{name}" {definition}'
            (detached.foreign_keys if kind == "f" else detached.indexes[table_]).append(restore)
        for name, definition in indexes:
            drops.append(f'DROP INDEX "{name}"')
            detached.indexes[table_].append(definition)
    for statement in drops:
        connection.exec_driver_sql(statement)
    return detached


def _restore_indexes(detached: _Detached) -> None:
    """Build again what ``_detach_indexes`` dropped; the session must hold no lock on those tables.

    The tables' indexes are built ``INDEX_BUILDERS`` tables at a time, each table in a
    transaction of its own connection: PostgreSQL builds a GIN index on one core (the word
    index of a million documents takes half a minute), so the other core builds the next
    table's meanwhile. The foreign keys follow in the session, one after another (two of
    them at once would lock the same referenced table).
    """
    engine = db.engine

    def build(statements: list[str]) -> None:
        with engine.begin() as connection:
            connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
            for statement in statements:
                connection.exec_driver_sql(statement)

    with ThreadPoolExecutor(INDEX_BUILDERS) as pool:
        list(pool.map(build, detached.indexes.values()))  # list(): raise the first error here
    for statement in detached.foreign_keys:
        db.session.execute(text(statement))


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
