"""Measure how many mails a second the sender delivers to a local SMTP server. Not part of the test suite.

Queues N mails (a realistic Vietnamese subject, a text and an HTML body of a few KB) in a
throwaway database, starts aiosmtpd on localhost in a process of its own (a mail server is
never inside the sender), and times ``send_pending`` until the outbox is empty. Also times
the .eml fallback for comparison. The load average is printed with each figure (the machine
may be shared), with the CPU the sender and the server used. A --database is emptied first.

    .venv/bin/python tests/notifications/bench_send.py --mails 5000
    .venv/bin/python tests/notifications/bench_send.py --mails 5000 --database postgresql://postgres@127.0.0.1/bench
    .venv/bin/python tests/notifications/bench_send.py --pipelining    # the server announces PIPELINING, like Postfix
    .venv/bin/python tests/notifications/bench_send.py --same-process  # aiosmtpd in the sender's process, as before
    .venv/bin/python tests/notifications/bench_send.py --requests 500  # every mail about a request: threading headers
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

TEXT = ("Yêu cầu AM-DHU-2026-00042 sắp đến hạn trả lời: còn 1 ngày làm việc, hạn 15/02/2027 23:59. "
        "Tiến độ nạo vét kênh Xẻo Nhàu và kinh phí thực hiện năm 2026.\n") * 20


class Counter:
    """An aiosmtpd handler that only counts (and may announce PIPELINING)."""

    def __init__(self, pipelining: bool = False, shared: Any = None) -> None:
        self.count = 0
        self.pipelining = pipelining
        self.shared = shared  # a multiprocessing.Value when the server runs in its own process

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        if self.shared is not None:
            with self.shared.get_lock():
                self.shared.value += 1
        return "250 OK"


def serve(port: int, pipelining: bool, shared: Any, cpu: Any, ready: Any, stop: Any) -> None:
    """Run aiosmtpd on the port until told to stop (the child process); report the CPU it used."""
    from aiosmtpd.controller import Controller

    controller = Controller(Counter(pipelining, shared), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
    cpu.value = time.process_time()


def queue(n: int, requests: list[int] | None = None) -> None:
    """Queue n mails; with request ids, each is about one of them in turn (a journalist's mail, threaded)."""
    from spokes.extensions import db
    from spokes.notifications.content import Mail
    from spokes.notifications.services import queue_mail

    for i in range(n):
        queue_mail(f"canbo{i}@kiengiang.gov.vn",
                   Mail(f"[AM-DHU-2026-{i:05d}] Sắp đến hạn trả lời: Tiến độ nạo vét kênh Xẻo Nhàu", TEXT,
                        "<p>" + TEXT.replace("\n", "<br>") + "</p>", "vi"), kind="bench",
                   request_id=requests[i % len(requests)] if requests else None)
    db.session.commit()


def prepare(url: str, requests: int) -> list[int]:
    """Make the schema; with requests, migrate and seed that many (units, staff, requests); return their ids."""
    from sqlalchemy import create_engine, select, text

    from spokes.extensions import db

    if not requests:
        db.drop_all()
        db.create_all()
        return []
    from flask_migrate import upgrade

    from spokes.bench.seed import seed
    from spokes.press_requests.models import PressRequest

    if url.startswith("postgres"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade()
    seed(requests, 0)
    db.session.commit()
    return list(db.session.execute(select(PressRequest.id).order_by(PressRequest.id)).scalars())


def load() -> str:
    """Return the 1-minute load average, for the record."""
    return f"load {os.getloadavg()[0]:.2f}"


def main() -> None:
    """Queue, send, print mails per second."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mails", type=int, default=5000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--pipelining", action="store_true", help="the server announces PIPELINING (RFC 2920)")
    parser.add_argument("--same-process", action="store_true", help="run aiosmtpd in this process")
    parser.add_argument("--no-eml", action="store_true", help="skip the .eml fallback")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway folder (database, .eml files)")
    parser.add_argument("--batch-size", type=int, default=None, help="MAIL_BATCH_SIZE (default: the app's, 50)")
    parser.add_argument("--requests", type=int, default=0,
                        help="seed this many requests and make every mail about one (threading headers)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="spokes-send-")
    os.environ["SPOKES_INSTANCE_PATH"] = workdir

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    if args.same_process:
        from aiosmtpd.controller import Controller

        handler = Counter(args.pipelining)
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        received = lambda: handler.count  # noqa: E731
    else:
        context = multiprocessing.get_context("spawn")
        shared, server_cpu = context.Value("i", 0), context.Value("d", 0.0)
        ready, stop = context.Event(), context.Event()
        child = context.Process(target=serve, args=(port, args.pipelining, shared, server_cpu, ready, stop),
                                daemon=True)
        child.start()
        if not ready.wait(30):
            raise SystemExit("the SMTP server did not start")
        received = lambda: shared.value  # noqa: E731

    from spokes import create_app
    from spokes.core.db import write_intent
    from spokes.extensions import db
    from spokes.notifications import sender

    url = args.database or "sqlite:///" + os.path.join(workdir, "send.sqlite")
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url, "MAIL_SERVER": "127.0.0.1",
                      "MAIL_PORT": port, "MAIL_FILE_DIR": os.path.join(workdir, "mail"),
                      **({"MAIL_BATCH_SIZE": args.batch_size} if args.batch_size else {})})
    write_intent.set(True)
    server = (("same process" if args.same_process else "own process") + (", PIPELINING" if args.pipelining else "")
              + (f", every mail about one of {args.requests} requests" if args.requests else ""))
    try:
        with app.app_context():
            request_ids = prepare(url, args.requests)
            queue(args.mails, request_ids)
            before, cpu = load(), time.process_time()
            started = time.perf_counter()
            stats = sender.send_pending()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(f"SMTP ({server}): {stats.sent} mails in {elapsed:.2f}s = {stats.sent / elapsed:.0f} mails/s, "
                  f"this process's CPU {cpu / stats.sent * 1000:.2f} ms a mail "
                  f"({db.engine.dialect.name}; server received {received()}; {before} -> {load()})")
            if not args.no_eml:
                app.config["MAIL_SERVER"] = None
                queue(args.mails, request_ids)
                before = load()
                started = time.perf_counter()
                stats = sender.send_pending()
                elapsed = time.perf_counter() - started
                print(f".eml: {stats.sent} mails in {elapsed:.2f}s = {stats.sent / elapsed:.0f} mails/s "
                      f"({before} -> {load()})")
            db.session.remove()
            db.engine.dispose()
    finally:
        if args.same_process:
            controller.stop()
        else:
            stop.set()
            child.join(30)
            print(f"the SMTP server's process used {server_cpu.value:.2f}s of CPU in all")
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)  # the SQLite file and the .eml files: 100+ MB a run


if __name__ == "__main__":
    main()
