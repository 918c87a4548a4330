"""Fixtures of the mail-intake tests: a real Dovecot (IMAPS on 127.0.0.1) and the commune's mailbox."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.notifications.conftest import commune, smtp_server, use_smtp, vn  # noqa: F401 - fixtures and helpers

from . import dovecot

UNIT_ADDRESS = "ubnd@donghung.test"
PASSWORD_ENV = "SPOKES_TEST_IMAP_PASSWORD"


@pytest.fixture(scope="session")
def imap_server() -> Iterator[dovecot.Dovecot]:
    """Start one private Dovecot for the session (its own config, port, certificate and maildir).

    Its folder is made directly under the system temp folder: Dovecot's own accounts must be
    able to reach it, and pytest's temp folders are private to the user running the tests.
    """
    if not Path(dovecot.DOVECOT).exists():
        pytest.fail("dovecot is not installed: apt-get install -y dovecot-imapd (.ci/run does it)")
    root = Path(tempfile.mkdtemp(prefix="spokes-dovecot-"))
    server = dovecot.start(root)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@dataclass
class ImapMailbox:
    """The commune's mailbox on the test server: deliver messages (IMAP APPEND) and look at them."""

    server: dovecot.Dovecot
    folder: str = "INBOX"

    def deliver(self, raw: bytes, arrived: datetime) -> int:
        """Append a message with its arrival time (INTERNALDATE); return its UID."""
        client = self.server.client()
        try:
            answer = client.append(self.folder, raw, msg_time=arrived)
        finally:
            client.logout()
        return int(answer.split(b"]")[0].split()[-1])

    def flags(self) -> dict[int, tuple[bytes, ...]]:
        """Return the flags of every message in the folder, by UID."""
        client = self.server.client()
        try:
            client.select_folder(self.folder, readonly=True)
            return {uid: facts[b"FLAGS"] for uid, facts in client.fetch(client.search("ALL"), ["FLAGS"]).items()}
        finally:
            client.logout()

    def config(self, **extra: Any) -> dict[str, Any]:
        """Return the MAIL_IN_MAILBOXES entry of the commune (AM-DHU) for this server."""
        return {"AM-DHU": {"host": "127.0.0.1", "port": self.server.port, "username": self.server.user,
                           "password_env": PASSWORD_ENV, "address": UNIT_ADDRESS, "ca_file": str(self.server.cert),
                           "timeout": 10, **extra}}


@pytest.fixture()
def mailbox(imap_server: dovecot.Dovecot, app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[ImapMailbox]:
    """Return an empty test mailbox, configured as the commune's (the password only in the environment)."""
    client = imap_server.client()
    try:
        for folder in [f[2] for f in client.list_folders()]:
            client.select_folder(folder)
            uids = client.search("ALL")
            if uids:
                client.delete_messages(uids)
                client.expunge()
            client.close_folder()
    finally:
        client.logout()
    monkeypatch.setenv(PASSWORD_ENV, imap_server.password)
    box = ImapMailbox(imap_server)
    app.config["MAIL_IN_MAILBOXES"] = box.config()
    app.config["MAIL_DEFAULT_SENDER"] = "Spokes <no-reply@spokes.test>"
    yield box


@pytest.fixture()
def fetch(app: Any) -> Callable[[], Any]:
    """Return a function that runs ``flask --app spokes mail-fetch`` once and returns its output."""
    runner = app.test_cli_runner()

    def run() -> Any:
        result = runner.invoke(args=["mail-fetch"])
        assert result.exit_code == 0, result.output + repr(result.exception)
        return result.output

    return run
