"""A service that bends but does not break (issue 18, point 2).

* Redis, started by the test on a port of its own, is killed: the question form and the
  login keep working (the limiter falls back to counting in the process, the page cache
  steps aside); paused (SIGSTOP): a request still takes under a second.
* The database connection is terminated right after the commit of a question
  (``pg_terminate_backend``, PostgreSQL only): the journalist still gets the confirmation.
* The database cannot be reached: 503 with Retry-After and an honest page, never a 500.
* The disk refuses an upload: no partial file, no half-stored question, a plain message and
  the form as it was filled.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.orm import Session

from spokes.extensions import db
from spokes.attachments.models import Attachment
from spokes.press_requests.models import PressRequest
from tests.concurrency.live import free_port
from tests.conftest import PASSWORD

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # a Tuesday; the 2017 rulebook applies
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
REDIS_SERVER = shutil.which("redis-server")
needs_redis = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")


def _question(unit_id: int, **overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Nguyễn Thị Phóng Viên", "agency": "Báo Kiên Giang", "email": "pv.nguyen@baokg.vn",
        "phone": "0912 345 678", "credential": "card", "card_number": "12345/BC", "card_expiry": "2028-12-31",
        "unit": str(unit_id), "type": "information", "subject": "Tiến độ nạo vét kênh Xẻo Nhàu",
        "questions": "Xin cho biết tiến độ, kinh phí và thời gian hoàn thành công trình.", "consent": "y",
    }
    data.update(overrides)
    return data


@pytest.fixture()
def commune(district, make_user, rulebooks, frozen_clock) -> SimpleNamespace:
    """UBND xã Đông Hưng with its chair; plain values only, and no transaction left open."""
    frozen_clock(NOW)
    chair = make_user("head", district["dhu"], designate="head", name="Nguyễn Văn Hải", email="chutich@donghung.vn")
    values = SimpleNamespace(unit_id=district["dhu"].id, email=chair.email)
    db.session.rollback()  # on SQLite an open transaction would hold the write lock the servers need
    return values


def _requests() -> int:
    db.session.rollback()
    count = db.session.execute(select(func.count()).select_from(PressRequest)).scalar_one()
    db.session.rollback()
    return count


# --------------------------------------------------------------------------- Redis


class RedisProcess:
    """A redis-server of this test's own, on a free port, without persistence."""

    def __init__(self, folder: Path) -> None:
        """Start it and wait until it answers PING."""
        import redis

        self.port = free_port()
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)
        deadline = time.monotonic() + 30
        while True:
            try:
                if self.client.ping():
                    return
            except redis.RedisError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise
            time.sleep(0.05)

    def kill(self) -> None:
        """Kill the server outright and wait until it is gone."""
        self.proc.kill()
        self.proc.wait(timeout=30)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections are accepted by the kernel but never answered."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def stop(self) -> None:
        """Stop the server, resuming it first if it was paused."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.client.close()


@pytest.fixture()
def redis_server(tmp_path) -> Iterator[RedisProcess]:
    """Yield a private redis-server; it is stopped afterwards whatever the test did to it."""
    server = RedisProcess(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def redis_app(app, commune, other_app, redis_server):
    """Return an app whose rate limits and page cache live in the private Redis.

    Built after the default app: the limiter is one object, bound to the app made last.
    """
    from spokes.extensions import limiter

    application = other_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_server.url,
                            PAGE_CACHE_URL=redis_server.url, PUBLIC_FORM_RATE_LIMIT="1000 per hour",
                            LOGIN_RATE_LIMIT="1000 per hour")
    yield application
    limiter._storage_dead = False  # the limiter is one object for every app of the test session


def _login(client, email: str):
    return client.post("/login", data={"email": email, "password": PASSWORD})


@needs_redis
def test_redis_killed_ask_and_login_keep_working(redis_app, redis_server, commune):
    client = redis_app.test_client()
    assert client.post("/login", data={"email": commune.email, "password": "wrong"}).status_code == 401
    assert redis_server.client.dbsize() > 0, "the limiter does not count in the test's Redis"
    assert redis_app.test_client().get("/").headers.get("X-Page-Cache") == "miss"  # kept in Redis
    assert redis_app.test_client().get("/").headers.get("X-Page-Cache") == "hit"
    before = _requests()

    redis_server.kill()

    journalist = redis_app.test_client()
    response = journalist.post("/ask", data=_question(commune.unit_id))
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert "Đã tiếp nhận" in response.get_data(as_text=True) or "ĐH" in response.get_data(as_text=True)
    assert _requests() == before + 1
    staff = redis_app.test_client()
    assert _login(staff, commune.email).status_code == 302
    assert staff.get("/staff/requests/").status_code == 200
    assert redis_app.test_client().get("/").status_code == 200  # the feed, without its cache
    health = redis_app.test_client().get("/healthz")
    assert health.status_code == 200
    assert health.get_json()["redis"] == "unavailable" and "redis" in health.get_json()["degraded"]


@needs_redis
def test_redis_paused_costs_at_most_one_short_timeout(redis_app, redis_server, commune):
    client = redis_app.test_client()
    assert client.post("/login", data={"email": commune.email, "password": "wrong"}).status_code == 401
    assert redis_app.test_client().get("/").status_code == 200
    assert redis_server.client.dbsize() > 0  # both the limiter and the page cache talk to Redis now
    redis_server.pause()
    timings = []
    for password in ("wrong", PASSWORD, "wrong", PASSWORD):
        started = time.monotonic()
        response = redis_app.test_client().post("/login", data={"email": commune.email, "password": password})
        timings.append(time.monotonic() - started)
        assert response.status_code == (302 if password == PASSWORD else 401)
    for _ in range(3):
        feed_started = time.monotonic()
        assert redis_app.test_client().get("/").status_code == 200
        timings.append(time.monotonic() - feed_started)
    assert max(timings) < 1.0, timings


# --------------------------------------------------------------------------- the database


@pytest.mark.real_commits  # the commit itself must reach the server before the kill
@pytest.mark.skipif(not (os.environ.get("DATABASE_URL") or "").startswith("postgres"),
                    reason="pg_terminate_backend is PostgreSQL's")
def test_connection_terminated_after_commit_still_confirms(app, client, commune, database_url):
    killer = create_engine(database_url, isolation_level="AUTOCOMMIT")
    state: dict[str, Any] = {"armed": True}

    def remember(session: Session) -> None:
        if state.get("armed") and not session.in_nested_transaction():
            state["pid"] = session.connection().connection.dbapi_connection.info.backend_pid

    def terminate(session: Session) -> None:
        if session.in_nested_transaction():
            return  # a released savepoint, not the commit of the question
        if state.pop("armed", False) and "pid" in state:
            with killer.connect() as conn:
                state["killed"] = conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": state["pid"]}).scalar()

    event.listen(Session, "before_commit", remember)
    event.listen(Session, "after_commit", terminate)
    try:
        response = client.post("/ask", data=_question(commune.unit_id))
    finally:
        event.remove(Session, "before_commit", remember)
        event.remove(Session, "after_commit", terminate)
        killer.dispose()
    assert state.get("killed") is True
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    page = response.get_data(as_text=True)
    stored = db.session.execute(select(PressRequest)).scalar_one()
    assert stored.reference in page
    assert client.get("/healthz").status_code == 200  # the pool replaced the dead connection


@pytest.fixture()
def dead_database_app(other_app):
    """Return an app whose database server does not answer (nothing listens on its port)."""
    return other_app(SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone",
                     SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "connect_args": {"connect_timeout": 2}})


def test_database_down_gives_503_with_retry_after_and_an_honest_page(dead_database_app):
    client = dead_database_app.test_client()
    page = client.get("/ask")
    assert page.status_code == 503
    assert page.headers["Retry-After"].isdigit()
    posted = client.post("/ask", data=_question(1))
    assert posted.status_code == 503
    text_ = posted.get_data(as_text=True)
    assert "không xác nhận được" in text_ and "hộp thư điện tử" in text_
    assert "Traceback" not in text_
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["database"] == "unavailable"


def test_generic_error_page_does_not_claim_nothing_changed(app):
    from spokes.core.errors import render_error

    with app.test_request_context("/"):
        body = render_error(500)[0]
    assert "chưa bị thay đổi" not in body


# --------------------------------------------------------------------------- the disk


def test_full_disk_on_upload_stores_nothing_and_keeps_the_form(app, client, commune, monkeypatch, tmp_path):
    from spokes.attachments import store as attachments

    folder = tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = str(folder)

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(attachments.os, "fsync", full)  # the bytes went out, the disk refused them
    before = _requests()
    data = _question(commune.unit_id, credential="letter", card_number="", card_expiry="",
                     letter=(io.BytesIO(PDF), "giay-gioi-thieu.pdf"))
    response = client.post("/ask", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "không lưu được tệp" in page and "Chưa có gì được lưu" in page
    assert 'value="Tiến độ nạo vét kênh Xẻo Nhàu"' in page  # the form as it was filled
    assert _requests() == before
    assert db.session.execute(select(func.count()).select_from(Attachment)).scalar_one() == 0
    assert list(folder.iterdir()) == []  # the partial file is gone


@pytest.mark.real_commits  # clients in threads, a restarted server
@pytest.mark.slow
@pytest.mark.skipif(not (os.environ.get("DATABASE_URL") or "").startswith("postgres"),
                    reason="terminates PostgreSQL backends")
def test_database_restarting_under_load_gives_503_never_500_and_loses_no_confirmed_question(
        app, other_app, commune, database_url):
    """Four journalists post questions while every connection to the database is cut, again and again.

    Cutting every backend is what a database restart does to the app. Each answer is either
    the confirmation or the honest 503; every confirmed reference is stored.
    """
    import queue
    import re
    import threading
    from concurrent.futures import ThreadPoolExecutor

    server = other_app()
    clients, each, cut_every = 4, 8, 3
    done: queue.Queue[int] = queue.Queue()
    killer = create_engine(database_url, isolation_level="AUTOCOMMIT")
    cuts = {"rounds": 0, "backends": 0}

    def cut_all() -> None:
        with killer.connect() as conn:
            cuts["backends"] += len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).all())
        cuts["rounds"] += 1

    def cutter() -> None:
        for finished in range(1, clients * each + 1):
            done.get(timeout=300)
            if finished % cut_every == 0:
                cut_all()

    def journalist(number: int) -> list[tuple[int, str | None]]:
        client = server.test_client()
        results = []
        for i in range(each):
            response = client.post("/ask", data=_question(
                commune.unit_id, email=f"pv{number}.{i}@baokg.vn", name=f"Phóng viên {number}",
                subject=f"Câu hỏi {number}-{i} về kênh Xẻo Nhàu"))
            found = re.search(r'class="reference[^"]*">([^<]+)<', response.get_data(as_text=True))
            results.append((response.status_code, found.group(1).strip() if found else None))
            done.put(1)
        return results

    cut_thread = threading.Thread(target=cutter, daemon=True)
    cut_thread.start()
    try:
        with ThreadPoolExecutor(max_workers=clients) as pool:
            outcomes = [r for f in [pool.submit(journalist, n) for n in range(clients)] for r in f.result(timeout=600)]
        cut_thread.join(timeout=300)
    finally:
        killer.dispose()
    statuses = [status for status, _ref in outcomes]
    assert set(statuses) <= {200, 503}, statuses
    assert cuts["rounds"] >= (clients * each) // cut_every and cuts["backends"] > 0
    confirmed = [ref for status, ref in outcomes if status == 200]
    assert all(confirmed) and len(set(confirmed)) == len(confirmed)
    db.session.rollback()
    stored = set(db.session.execute(select(PressRequest.reference)).scalars())
    assert set(confirmed) <= stored, set(confirmed) - stored
    print(f"restart under load: {statuses.count(200)} confirmed, {statuses.count(503)} answered 503, "
          f"{len(stored)} stored, {cuts['backends']} connections cut in {cuts['rounds']} rounds")
