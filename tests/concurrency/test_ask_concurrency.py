"""No lost or half-written question when many journalists submit at once (issue 10, point 2).

Real servers in subprocesses, real HTTP: 20 clients, each with its own cookie jar, open
/ask, read the CSRF token from it and post 50 distinct questions, one in five with a PDF
letter of introduction instead of a press card. No response may be 5xx, and every one must
be a fresh confirmation. Then the database must hold exactly the 1,000 new requests, with
the references the clients were shown, unique and gap-free, none without its journalist,
deadline, assignment, receipt event or receipt e-mail, every letter on disk, and an intact
audit chain.

* SQLite (WAL): one gunicorn master with two workers, two processes writing one file.
* PostgreSQL (when DATABASE_URL points at it): two gunicorn masters on two ports, one
  worker each, against one private database, the clients alternating between them, as a
  larger deployment runs. Neighbouring clients write for the same new press agencies at the
  same moments, so the two servers race to create the same rows.

Timings and error counts go to ``ci-output/concurrency/<backend>.json``.
"""

from __future__ import annotations

import hashlib
import http.cookiejar
import json
import re
import resource
import statistics
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from tests.concurrency.live import PROJECT, LiveInstance, Server, live_instance, postgres_base_url

CLIENTS = 20
QUESTIONS_EACH = 50
LETTER_EVERY = 5  # one question in five comes with a letter of introduction instead of a card
# Sized for about a minute on a 2-core machine of its own (the servers need some 25 ms of CPU
# per question). The assertion is a ceiling against pathological serialisation (requests
# queueing behind lock timeouts), loose enough for a machine shared with other jobs.
TIME_CEILING_S = 180.0
OUTPUT = PROJECT / "ci-output" / "concurrency"
HOT_UNIT = "UBND xã An Minh"  # half the questions go here: one reference counter, one speaker

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_OPTION = re.compile(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>')
_REFERENCE = re.compile(r'class="reference[^"]*">([^<]+)<')
_TRACKING = re.compile(r'id="tracking-link"[^>]*value="([^"]+)"')


# --------------------------------------------------------------------------- a journalist's browser


@dataclass
class Outcome:
    """What one submission got back."""

    client: int
    number: int
    status: int
    seconds: float
    letter: bool
    reference: str | None = None
    tracking_link: bool = False
    duplicate: bool = False
    error: str | None = None


def _pdf(client: int, number: int) -> bytes:
    """Return a small, valid-looking PDF whose bytes differ per question."""
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
            + f"% giay gioi thieu {client}-{number} {uuid.uuid4().hex}\n".encode()
            + b"trailer << /Root 1 0 R >>\n%%EOF\n")


def _multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, bytes, str]]) -> tuple[bytes, str]:
    """Encode form fields and files as multipart/form-data, as a browser does."""
    boundary = "----spokes" + uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                     + value.encode("utf-8") + b"\r\n")
    for name, filename, data, mime in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {mime}\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Journalist:
    """One client: its own cookie jar (the session holds the CSRF secret), like one browser."""

    def __init__(self, index: int, base_url: str) -> None:
        """Open a cookie-keeping HTTP client on one server."""
        self.index = index
        self.base_url = base_url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def fetch(self, path: str, data: bytes | None = None, content_type: str | None = None) -> tuple[int, str]:
        """Send one request; return (status, body text) whatever the status."""
        req = urllib.request.Request(self.base_url + path, data=data, method="POST" if data is not None else "GET")
        if content_type:
            req.add_header("Content-Type", content_type)
        try:
            with self.opener.open(req, timeout=60) as response:
                return response.status, response.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as err:
            with err:
                return err.code, err.read().decode("utf-8", errors="replace")

    def open_form(self) -> str:
        """GET /ask as a browser does first; return the form's CSRF token (tied to this session)."""
        status, page = self.fetch("/ask")
        token = _CSRF.search(page)
        assert status == 200 and token, f"GET /ask gave {status} without a CSRF token: {page[:300]}"
        return unescape(token.group(1))

    def ask(self, token: str, number: int, unit_id: int, agency: str) -> Outcome:
        """Post one distinct question with its press card or letter of introduction."""
        letter = number % LETTER_EVERY == 0
        started = time.perf_counter()
        fields = [
            ("csrf_token", token),
            ("name", f"Phóng viên Thử Tải {self.index:02d}"),
            ("agency", agency),
            ("email", f"pv{self.index:02d}@baochi-thutai.vn"),
            ("phone", f"0912 {self.index:03d} {number:03d}"),
            ("unit", str(unit_id)),
            ("type", "information" if number % 3 else "press_answer"),
            ("subject", f"Câu hỏi số {number} của phóng viên {self.index:02d} về kênh thủy lợi"),
            ("questions", f"Đề nghị đơn vị cho biết tiến độ, kinh phí và thời gian hoàn thành (lượt {self.index}-{number})."),
            ("website", ""),
            ("submit", "Gửi câu hỏi"),
        ]
        files = []
        if letter:
            fields.append(("credential", "letter"))
            files.append(("letter", f"giay-gioi-thieu-{self.index}-{number}.pdf", _pdf(self.index, number),
                          "application/pdf"))
        else:
            fields += [("credential", "card"), ("card_number", f"BC-{self.index:02d}{number:03d}"),
                       ("card_expiry", (date.today() + timedelta(days=400)).isoformat())]
        if number % 2:
            fields.append(("consent", "y"))
        body, content_type = _multipart(fields, files)
        status, page = self.fetch("/ask", body, content_type)
        outcome = Outcome(self.index, number, status, time.perf_counter() - started, letter)
        if status == 200:
            found = _REFERENCE.search(page)
            outcome.reference = found.group(1).strip() if found else None
            outcome.tracking_link = _TRACKING.search(page) is not None
            outcome.duplicate = "Câu hỏi này đã được gửi trước đó" in page
        else:
            outcome.error = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))[:300]
        return outcome


def _units(server: Server) -> list[tuple[int, str]]:
    """Return the (id, name) choices of the /ask unit list, read from the page itself."""
    status, page = Journalist(-1, server.base_url).fetch("/ask")
    assert status == 200, page[:500]
    return [(int(v), unescape(label).replace("\u00a0", " ").strip()) for v, label in _OPTION.findall(page)]


def _targets(units: list[tuple[int, str]]) -> list[int]:
    """Pick the unit of each question: half to the hot unit, the rest spread over all the others."""
    hot = next(uid for uid, name in units if name == HOT_UNIT)
    others = [uid for uid, _name in units if uid != hot]  # includes 0, "don't know which unit"
    return [hot if i % 2 == 0 else others[i % len(others)] for i in range(CLIENTS * QUESTIONS_EACH)]


def _hammer(servers: list[Server]) -> tuple[list[Outcome], float]:
    """Run the 20 clients against the servers (client i uses server i mod n); return outcomes and wall time."""
    targets = _targets(_units(servers[0]))

    def agency(index: int, number: int) -> str:
        # Neighbouring clients (on different servers) share an agency, and every ten questions
        # they move to a new one together: their posts race to create the same agency row.
        # One pair in five writes for an agency of the demo data.
        pair = index // 2
        return "Báo Kiên Giang" if pair % 5 == 4 else f"Tạp chí Thử Tải {pair}-{number // 10}"

    start = threading.Barrier(CLIENTS)

    def client(index: int) -> list[Outcome]:
        journalist = Journalist(index, servers[index % len(servers)].base_url)
        token = journalist.open_form()  # one form page, then question after question (the token lasts hours)
        start.wait()
        return [journalist.ask(token, n, targets[index * QUESTIONS_EACH + n], agency(index, n))
                for n in range(QUESTIONS_EACH)]

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        outcomes = [o for batch in pool.map(client, range(CLIENTS)) for o in batch]
    return outcomes, time.perf_counter() - began


# --------------------------------------------------------------------------- checking what was stored


def _check_database(instance: LiveInstance, before_ids: set[int], outcomes: list[Outcome]) -> dict[str, Any]:
    """Check the stored requests against what the clients were told; return counts for the summary."""
    from spokes.audit.models import AuditEvent
    from spokes.audit.services import verify_chain
    from spokes.extensions import db
    from spokes.notifications.models import OutboxMail
    from spokes.attachments.models import Attachment
    from spokes.press_requests.models import Assignment, PressRequest

    with instance.app_context():
        rows = db.session.execute(
            select(PressRequest).where(PressRequest.id.not_in(before_ids or {-1}))
        ).scalars().all()
        new_ids = [r.id for r in rows]
        references = [r.reference for r in rows]
        told = sorted(o.reference for o in outcomes if o.reference)
        assert len(rows) == CLIENTS * QUESTIONS_EACH, f"{len(rows)} requests stored, expected {CLIENTS * QUESTIONS_EACH}"
        assert len(set(references)) == len(references), Counter(references).most_common(3)
        assert sorted(references) == told, "the references shown to the journalists differ from the stored ones"

        half_written = [r.reference for r in rows if r.journalist_id is None or r.due_at is None
                        or r.rulebook_id is None or r.token_hash is None or r.deadline_explanation is None]
        assert not half_written, f"requests missing their journalist, deadline or token: {half_written[:5]}"

        received = Counter(db.session.execute(
            select(AuditEvent.object_id).where(AuditEvent.object_type == "request",
                                               AuditEvent.action == "request.received",
                                               AuditEvent.object_id.in_(new_ids))
        ).scalars())
        assert all(received[i] == 1 for i in new_ids), \
            f"requests without exactly one receipt event: {[i for i in new_ids if received[i] != 1][:5]}"
        # Each request of a unit with a speaker went to that speaker, with its assignment row.
        open_assignments = Counter(db.session.execute(
            select(Assignment.request_id).where(Assignment.request_id.in_(new_ids), Assignment.ended_at.is_(None))
        ).scalars())
        hot = [r for r in rows if r.unit.name == HOT_UNIT]
        assert len(hot) == len(rows) // 2 and all(r.assignee_id is not None for r in hot), \
            f"a request of {HOT_UNIT} was lost or left unassigned"
        assert all(open_assignments[r.id] == (1 if r.assignee_id else 0) for r in rows), \
            "a request's assignee and its assignment rows disagree"
        # References are handed out without gaps or repeats: per prefix and year, exactly 1..N.
        numbers: dict[str, list[int]] = {}
        for reference in db.session.execute(select(PressRequest.reference)).scalars():
            series, number = reference.rsplit("-", 1)
            numbers.setdefault(series, []).append(int(number))
        gaps = {k: len(v) for k, v in numbers.items() if sorted(v) != list(range(1, len(v) + 1))}
        assert not gaps, f"reference series with gaps or repeats: {gaps}"
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        checked, problem = verify_chain()
        assert problem is None, f"audit chain broken after {checked} events: {problem}"

        receipts = set(db.session.execute(
            select(OutboxMail.dedupe_key).where(OutboxMail.dedupe_key.in_([f"journalist:{i}:received" for i in new_ids]))
        ).scalars())
        assert len(receipts) == len(new_ids), f"{len(new_ids) - len(receipts)} requests without their receipt e-mail"

        letters = db.session.execute(
            select(Attachment).where(Attachment.request_id.in_(new_ids), Attachment.purpose == "letter")
        ).scalars().all()
        sent_letters = sum(1 for o in outcomes if o.letter)
        assert len(letters) == sent_letters, f"{len(letters)} letters stored, {sent_letters} sent"
        assert len({a.request_id for a in letters}) == sent_letters, "a request got two letters"
        for att in letters:
            path = instance.upload_folder / att.storage_name
            assert path.is_file(), f"letter {att.id} of request {att.request_id} is not on disk"
            assert hashlib.sha256(path.read_bytes()).hexdigest() == att.sha256, f"letter {att.id} differs on disk"
        files_on_disk = sum(1 for p in instance.upload_folder.iterdir() if p.is_file())
        total = db.session.execute(select(func.count()).select_from(Attachment)).scalar_one()
        assert files_on_disk == total, f"{files_on_disk} files on disk for {total} attachment rows (orphans?)"
        return {"requests": len(rows), "unique_references": len(set(references)), "letters": len(letters),
                "audit_events_checked": checked}


def _summary(backend: str, servers: list[Server], outcomes: list[Outcome], wall: float) -> dict[str, Any]:
    """Return what the clients saw: throughput, latencies and statuses."""
    latencies = sorted(o.seconds for o in outcomes)
    statuses = Counter(o.status for o in outcomes)
    return {
        "backend": backend,
        "servers": [s.name for s in servers],
        "clients": CLIENTS,
        "questions_each": QUESTIONS_EACH,
        "wall_seconds": round(wall, 2),
        "submissions_per_second": round(len(outcomes) / wall, 1),
        "latency_ms": {"p50": round(statistics.median(latencies) * 1000),
                       "p95": round(latencies[int(len(latencies) * 0.95) - 1] * 1000),
                       "max": round(latencies[-1] * 1000)},
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "5xx": sum(v for k, v in statuses.items() if k >= 500),
        "duplicates_reported": sum(1 for o in outcomes if o.duplicate),
    }


def _write(summary: dict[str, Any]) -> None:
    """Keep the figures for the CI log and the report."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / f"{summary['backend']}.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False),
                                                      encoding="utf-8")


def _children_cpu() -> float:
    """Return the CPU seconds of the finished child processes (the servers, once stopped)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


BACKENDS = [
    pytest.param("sqlite", id="sqlite-wal-gunicorn-2-workers"),
    pytest.param("postgresql", id="postgresql-2-gunicorn-masters", marks=pytest.mark.skipif(
        postgres_base_url() is None, reason="DATABASE_URL does not point at PostgreSQL")),
]


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_thousand_concurrent_questions_are_all_stored_once(backend: str, tmp_path: Path) -> None:
    from spokes.extensions import db
    from spokes.press_requests.models import PressRequest

    config = {"RATELIMIT_ENABLED": False}  # 1,000 posts from one address is the point here
    began = time.perf_counter()
    with live_instance(tmp_path, "concurrency", backend=backend, config=config) as instance:
        prepared = time.perf_counter()
        with instance.app_context():
            before_ids = set(db.session.execute(select(PressRequest.id)).scalars())
        if backend == "sqlite":
            servers = instance.gunicorn("gunicorn", workers=2)  # two processes writing one file
        else:
            servers = instance.gunicorn("gunicorn-a", "gunicorn-b", workers=1)  # two app servers, one database

        served = time.perf_counter()
        client_cpu, children_cpu = time.process_time(), _children_cpu()
        outcomes, wall = _hammer(servers)
        client_cpu = time.process_time() - client_cpu
        stopping = time.perf_counter()
        instance.stop()  # let the workers finish and flush their logs before anything is checked
        server_cpu = _children_cpu() - children_cpu  # the masters were waited for, and they waited for their workers
        stopped = time.perf_counter()
        logs = {s.name: s.log_text() for s in servers}

        summary = _summary(backend, servers, outcomes, wall)
        summary["phases_seconds"] = {"migrate_and_seed": round(prepared - began, 1),
                                     "start_servers": round(served - prepared, 1), "submit": round(wall, 1),
                                     "stop_servers": round(stopped - stopping, 1)}
        summary["cpu_seconds"] = {"clients": round(client_cpu, 1), "servers": round(server_cpu, 1)}
        _write(summary)

        server_errors = [o for o in outcomes if o.status >= 500]
        assert not server_errors, f"{len(server_errors)} answers were 5xx, e.g. {server_errors[:3]}\n" + \
            "\n".join(f"--- {name}\n{log[-4000:]}" for name, log in logs.items())
        failed = [o for o in outcomes if o.status != 200 or not o.reference or not o.tracking_link or o.duplicate]
        assert not failed, f"{len(failed)} submissions did not get a fresh confirmation, e.g. {failed[:3]}"
        for name, log in logs.items():
            assert "Traceback" not in log and "WORKER TIMEOUT" not in log, f"{name} logged a failure:\n{log[-4000:]}"

        summary.update(_check_database(instance, before_ids, outcomes))
        summary["phases_seconds"]["check"] = round(time.perf_counter() - stopped, 1)
        _write(summary)
        assert wall < TIME_CEILING_S, f"1,000 submissions took {wall:.1f} s (ceiling {TIME_CEILING_S:.0f} s): {summary}"
