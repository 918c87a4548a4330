"""Which mailboxes to fetch, read from the instance config; credentials never touch the database.

``MAIL_IN_MAILBOXES`` maps a unit's code to its mailbox (see README, "Requests by e-mail")::

    MAIL_IN_MAILBOXES = {
        "AG-DHU": {"host": "imap.angiang.gov.vn", "port": 993, "username": "ubnd.donghung",
                   "password_env": "SPOKES_IMAP_PASSWORD_AG_DHU",   # the secret stays in the environment
                   "address": "ubnd.donghung@angiang.gov.vn"},
    }

Always TLS: implicit (IMAPS, the default) or STARTTLS (``"starttls": True``), certificates
checked (``"ca_file"`` for a private authority).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from flask import current_app


class MailboxConfigError(ValueError):
    """A mailbox entry that cannot be used (the message names the unit and the problem, never the secret)."""


@dataclass(frozen=True)
class MailboxConfig:
    """One unit's mailbox settings. The password is never shown (not in repr, logs or pages)."""

    unit_code: str
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    address: str | None
    folder: str = "INBOX"
    processed_folder: str | None = None
    ca_file: str | None = None
    starttls: bool = False
    timeout: float = 30.0


def _password(code: str, entry: dict[str, Any]) -> str:
    name = entry.get("password_env")
    if name:
        value = os.environ.get(str(name))
        if not value:
            raise MailboxConfigError(f"{code}: environment variable {name} is not set")
        return value
    if entry.get("password"):
        return str(entry["password"])
    raise MailboxConfigError(f"{code}: no password_env (or password) given")


def mailbox_configs() -> list[MailboxConfig]:
    """Return every configured mailbox, sorted by unit code; an incomplete entry raises MailboxConfigError."""
    configs = []
    for code, entry in sorted((current_app.config.get("MAIL_IN_MAILBOXES") or {}).items()):
        missing = [key for key in ("host", "username") if not entry.get(key)]
        if missing:
            raise MailboxConfigError(f"{code}: missing {', '.join(missing)}")
        starttls = bool(entry.get("starttls"))
        address = parseaddr(str(entry.get("address") or ""))[1].lower() or None
        configs.append(MailboxConfig(
            unit_code=str(code), host=str(entry["host"]), port=int(entry.get("port") or (143 if starttls else 993)),
            username=str(entry["username"]), password=_password(code, entry), address=address,
            folder=str(entry.get("folder") or "INBOX"), processed_folder=entry.get("processed_folder") or None,
            ca_file=entry.get("ca_file") or None, starttls=starttls, timeout=float(entry.get("timeout") or 30),
        ))
    return configs


def unit_addresses() -> dict[str, str]:
    """Return {unit code: public address} of the configured mailboxes (no secret is read)."""
    result = {}
    for code, entry in (current_app.config.get("MAIL_IN_MAILBOXES") or {}).items():
        address = parseaddr(str(entry.get("address") or ""))[1].lower()
        if address:
            result[str(code)] = address
    return result
