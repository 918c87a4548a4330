"""Fixtures of the notification tests: a real SMTP server (aiosmtpd) and a staffed commune."""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(*args: int) -> datetime:
    """Return an aware datetime in Vietnamese time."""
    return datetime(*args, tzinfo=VN)


def free_port() -> int:
    """Return a TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RecordingHandler:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self, pipelining: bool = False) -> None:
        self.pipelining = pipelining  # announce PIPELINING (RFC 2920), as Postfix and Exim do
        self.lock = threading.Lock()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()
        self.busy: set[str] = set()  # refused for now (4xx): the sender retries later

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        if address in self.busy:
            return "451 4.3.0 Mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        """Return the Message-ID of every message received, duplicates included."""
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]


@dataclass
class SmtpServer:
    """A local SMTP server that can be stopped and started on the same port."""

    port: int
    handler: RecordingHandler
    controller: Controller | None = None

    def start(self) -> None:
        """Start listening."""
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        """Stop listening (connections are then refused)."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture()
def smtp_server(request: pytest.FixtureRequest) -> Iterator[SmtpServer]:
    """Return a running local SMTP server that records what it receives.

    Parametrise it indirectly with True for a server that announces PIPELINING.
    """
    server = SmtpServer(free_port(), RecordingHandler(pipelining=getattr(request, "param", False)))
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def smtp_down() -> Iterator[SmtpServer]:
    """Return a server on a free port that is NOT started yet (nothing listens)."""
    server = SmtpServer(free_port(), RecordingHandler())
    yield server
    server.stop()


def use_smtp(app: Any, server: SmtpServer, **extra: Any) -> None:
    """Point an app's mail settings at the local server."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_USE_TLS=False, MAIL_USE_SSL=False,
                      MAIL_TIMEOUT=5, **extra)


@dataclass
class Commune:
    """A commune with its staff, inside a district watched by an overseer."""

    units: dict[str, Any]
    unit: Any
    head: Any
    spokesperson: Any
    clerk: Any
    overseer: Any
    other_head: Any  # head of another commune: never told about this one


@pytest.fixture()
def commune(district: dict[str, Any], make_user: Callable[..., Any], rulebooks: None) -> Commune:
    """Return xã Đông Hưng with a head, a designated spokesperson, a clerk, and the district's overseer."""
    dhu = district["dhu"]
    head = make_user("head", dhu, email="head@dhu.vn", name="Chủ tịch Đông Hưng", designate="head")
    spokesperson = make_user("spokesperson", dhu, email="sp@dhu.vn", name="Người phát ngôn Đông Hưng",
                             designate="designated")
    clerk = make_user("clerk", dhu, email="clerk@dhu.vn", name="Văn thư Đông Hưng")
    overseer = make_user("overseer", district["district"], email="vp@am.vn", name="Văn phòng huyện")
    other_head = make_user("head", district["vk"], email="head@vk.vn", name="Chủ tịch Vân Khánh", designate="head")
    return Commune(district, dhu, head, spokesperson, clerk, overseer, other_head)
