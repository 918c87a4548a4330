"""Flask CLI command of the mail intake: mail-fetch."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from spokes.extensions import db


def register(app: Flask) -> None:
    """Attach this feature's commands to the app."""
    app.cli.add_command(mail_fetch)


@click.command("mail-fetch")
@with_appcontext
def mail_fetch() -> None:
    """Poll every configured unit mailbox once and file new messages; print one line.

    Safe to run on several servers at the same time (one fetcher per mailbox). Exits 1 on errors.
    """
    from spokes.mailin.fetch import fetch_all

    stats = fetch_all()
    db.session.remove()
    click.echo(stats.summary())
    if stats.errors:
        sys.exit(1)
