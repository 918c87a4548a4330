"""Flask CLI commands of the notifications feature: tick, worker, outbox-status, outbox-resend."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from types import FrameType

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func, select

from spokes.extensions import db
from spokes.mailin.fetch import fetch_all

log = logging.getLogger(__name__)


def register(app: Flask) -> None:
    """Attach this feature's commands to the app."""
    for command in (tick, worker, outbox_status, outbox_resend, outbox):
        app.cli.add_command(command)


@click.command("tick")
@with_appcontext
def tick() -> None:
    """Do everything due once (reminders, escalations, digests, the outbox) and print one line.

    Safe to run from cron on several servers at the same time. Exits 1 if a step failed.
    """
    from spokes.notifications.jobs import run_tick

    result = run_tick()
    db.session.remove()
    click.echo(result.summary())
    if result.errors:
        sys.exit(1)


@click.command("worker")
@click.option("--interval", default=30, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds between two ticks.")
@click.option("--max-ticks", default=None, type=click.IntRange(1), help="Stop after this many ticks (for testing).")
@with_appcontext
def worker(interval: int, max_ticks: int | None) -> None:
    """Run ``tick`` every INTERVAL seconds until Ctrl-C or SIGTERM, finishing the mail in hand first."""
    from spokes.notifications.jobs import run_tick

    stop = threading.Event()

    def _ask_to_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("worker: signal %s received, stopping after the current step", signum)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _ask_to_stop)
    click.echo(f"worker: tick every {interval}s (Ctrl-C to stop)")
    ticks = 0
    next_fetch = 0.0
    while not stop.is_set():
        next_fetch = _fetch_mail_if_due(next_fetch, stop)
        result = run_tick(stop=stop)
        db.session.remove()  # a fresh session (and connection check) for every tick
        ticks += 1
        if result.mail.sent or result.mail.retried or result.mail.failed or result.alerts.reminders \
                or result.alerts.overdue or result.alerts.escalations or result.digests or result.errors:
            click.echo(result.summary())
        if max_ticks is not None and ticks >= max_ticks:
            break
        stop.wait(interval)
    click.echo("worker: stopped")


def _fetch_mail_if_due(next_fetch: float, stop: threading.Event) -> float:
    """Poll the units' mailboxes (``mail-fetch``) when MAIL_IN_INTERVAL_SECONDS (60) have passed; return the next time."""
    from flask import current_app

    if not current_app.config.get("MAIL_IN_MAILBOXES") or time.monotonic() < next_fetch:
        return next_fetch

    try:
        stats = fetch_all(stop=stop)
    except Exception:  # noqa: BLE001 - mail intake trouble must not stop the outbox and reminders
        db.session.rollback()
        log.exception("worker: mail-fetch failed")
    else:
        if stats.messages or stats.errors:
            click.echo(stats.summary())
    db.session.remove()
    return time.monotonic() + int(current_app.config.get("MAIL_IN_INTERVAL_SECONDS") or 60)


@click.command("outbox-status")
@with_appcontext
def outbox_status() -> None:
    """Print how many outbox mails are pending, sent and failed, and the oldest pending one."""
    from spokes.core.jinja import vn_datetime
    from spokes.notifications.models import MailStatus, OutboxMail

    counts = dict(db.session.execute(select(OutboxMail.status, func.count()).group_by(OutboxMail.status)).all())
    oldest = db.session.execute(
        select(func.min(OutboxMail.created_at)).where(OutboxMail.status == MailStatus.PENDING.value)
    ).scalar_one()
    click.echo("outbox: " + ", ".join(f"{counts.get(s.value, 0)} {s.value}" for s in MailStatus)
               + (f"; oldest pending since {vn_datetime(oldest)}" if oldest else ""))


@click.command("outbox-resend")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Re-queue every failed mail.")
@with_appcontext
def outbox_resend(ids: tuple[int, ...], all_failed: bool) -> None:
    """Put failed outbox mails (IDS, or --all-failed) back in the queue for a fresh series of attempts."""
    from spokes.notifications.sender import resend

    if not ids and not all_failed:
        raise click.UsageError("Give mail ids or --all-failed.")
    count = resend(list(ids), all_failed=all_failed)
    db.session.commit()
    click.echo(f"outbox: {count} mails queued again")


@click.group("outbox")
def outbox() -> None:
    """Outbox operations (see also outbox-status and outbox-resend)."""


@outbox.command("retry-now")
@click.argument("ids", nargs=-1, type=int)
@click.option("--no-send", is_flag=True, help="Only make the mails due; the worker sends them at its next tick.")
@with_appcontext
def outbox_retry_now(ids: tuple[int, ...], no_send: bool) -> None:
    """Retry pending mails (all, or IDS) now instead of waiting out their backoff, e.g. after an SMTP outage.

    A failed mail named in IDS is queued again too. Mails a running worker holds keep their
    claim: nothing is ever sent twice.
    """
    from spokes.notifications.sender import make_due, send_pending

    count = make_due(list(ids) or None)
    db.session.commit()
    click.echo(f"outbox: {count} mails due now")
    if no_send:
        return
    stats = send_pending()
    db.session.remove()
    click.echo(f"outbox: {stats.sent} sent, {stats.retried} to retry, {stats.failed} failed"
               + ("; the mail server is unreachable" if stats.unreachable else ""))
    if stats.unreachable:
        sys.exit(1)
