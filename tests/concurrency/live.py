"""Throwaway Spokes deployments for tests that need real servers.

A ``LiveInstance`` is an instance folder and a database of its own, built the way an operator
builds one: ``flask db upgrade`` then ``flask seed-demo``, each a subprocess. It then serves
the app with gunicorn masters, subprocesses on free ports.

On SQLite the database is a file next to the instance folder. When DATABASE_URL points at
PostgreSQL, a private database is created on that server and dropped afterwards, so the test
never touches the suite's own database (nor another run's).

The end-to-end tests import this module too (``tests.e2e``).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# Variables of the outer test run that must not leak into a throwaway deployment.
_SCRUBBED = ("DATABASE_URL", "SPOKES_INSTANCE_PATH", "SPOKES_ENV", "SECRET_KEY", "FLASK_APP", "FLASK_DEBUG")


def postgres_base_url() -> str | None:
    """Return DATABASE_URL when it points at PostgreSQL, else None."""
    url = os.environ.get("DATABASE_URL") or ""
    return url if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")) else None


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Server:
    """One server process (a gunicorn master) and its log."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, log_path: Path) -> None:
        """Remember how to start the server; ``launch()`` starts it."""
        self.name = name
        self.argv = argv
        self.env = env
        self.port = port
        self.log_path = log_path
        self.base_url = f"http://127.0.0.1:{port}"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def launch(self) -> Server:
        """Start the process without waiting for it (see ``wait_ready``)."""
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen(self.argv, cwd=PROJECT, env=self.env, stdout=self._log,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def wait_ready(self, timeout: float = 60.0) -> Server:
        """Wait until /healthz answers 200; stop the process and fail with its log otherwise."""
        assert self._proc is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self.stop()
                raise RuntimeError(f"{self.name} exited with {code}:\n{_tail(self.log_path)}")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /healthz within {timeout:.0f} s:\n{_tail(self.log_path)}")

    def stop(self) -> None:
        """Stop the process gracefully (SIGTERM), killing it if it lingers."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_text(self) -> str:
        """Return everything the server wrote to its log."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


class LiveInstance:
    """A deployment of its own: instance folder, migrated and seeded database, servers."""

    def __init__(self, folder: Path, database_url: str, config: dict[str, Any] | None = None) -> None:
        """Prepare the instance folder and its ``config.py`` (nothing runs yet)."""
        self.folder = folder
        self.instance = folder / "instance"
        self.instance.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url
        self.servers: list[Server] = []
        lines = ["# Written by the live-server tests; thrown away with the folder."]
        lines += [f"{key} = {value!r}" for key, value in (config or {}).items()]
        (self.instance / "config.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
        env.update(SPOKES_INSTANCE_PATH=str(self.instance), DATABASE_URL=database_url, SPOKES_ENV="development",
                   SECRET_KEY=secrets.token_hex(32), PYTHONUNBUFFERED="1")
        self.env = env

    @property
    def upload_folder(self) -> Path:
        """Return where the app stores uploads for this instance."""
        return self.instance / "uploads"

    def flask(self, *args: str, timeout: float = 120.0) -> str:
        """Run ``flask --app spokes ARGS`` against this instance; return its output or fail loudly."""
        result = subprocess.run([PYTHON, "-m", "flask", "--app", "spokes", *args], cwd=PROJECT, env=self.env,
                                capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed ({result.returncode}):\n"
                               f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
        return result.stdout

    def prepare(self) -> LiveInstance:
        """Migrate the empty database and load the demo data, as the README tells an operator."""
        self.flask("db", "upgrade")
        self.flask("seed-demo")
        return self

    def gunicorn(self, *names: str, workers: int = 2, threads: int = 1, timeout: int = 60) -> list[Server]:
        """Start one gunicorn master per name, each with its own free port, all at once."""
        servers = []
        for name in names:
            port = free_port()
            argv = [PYTHON, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout",
                    str(timeout), "--graceful-timeout", "10", "--log-level", "warning", "--error-logfile", "-"]
            if threads > 1:
                argv += ["--threads", str(threads)]  # gthread workers: a browser's idle connections block no one
            argv.append("spokes:create_app()")
            server = Server(name, argv, self.env, port, self.folder / f"{name}.log")
            self.servers.append(server.launch())
            servers.append(server)
        return [server.wait_ready() for server in servers]

    def stop(self) -> None:
        """Stop every server this instance started."""
        for server in self.servers:
            server.stop()
        self.servers.clear()

    @contextmanager
    def app_context(self) -> Iterator[Any]:
        """Yield an app bound to this instance's database, for checking what the servers wrote."""
        from spokes import create_app
        from spokes.extensions import db

        previous = os.environ.get("SPOKES_INSTANCE_PATH")
        os.environ["SPOKES_INSTANCE_PATH"] = str(self.instance)
        try:
            application = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": self.database_url,
                                      "UPLOAD_FOLDER": str(self.upload_folder)})
        finally:
            if previous is None:
                os.environ.pop("SPOKES_INSTANCE_PATH", None)
            else:
                os.environ["SPOKES_INSTANCE_PATH"] = previous
        with application.app_context():
            try:
                yield application
            finally:
                db.session.remove()
                db.engine.dispose()


@contextmanager
def fresh_database(folder: Path, label: str, backend: str = "sqlite") -> Iterator[str]:
    """Yield the URL of an empty database: a SQLite file, or a private PostgreSQL database.

    The PostgreSQL one is made on the server DATABASE_URL points at.
    """
    if backend == "sqlite":
        yield f"sqlite:///{folder / (label + '.sqlite')}"
        return
    base = postgres_base_url()
    if backend != "postgresql" or base is None:
        raise ValueError(f"no {backend} server to create a database on (DATABASE_URL is not PostgreSQL)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(base.replace("postgres://", "postgresql://", 1).replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{url.database or 'spokes'}_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def live_instance(folder: Path, label: str, *, backend: str = "sqlite",
                  config: dict[str, Any] | None = None) -> Iterator[LiveInstance]:
    """Yield a migrated, seeded instance; its servers are stopped and its database dropped after."""
    with fresh_database(folder, label, backend) as url:
        instance = LiveInstance(folder, url, config)
        try:
            yield instance.prepare()
        finally:
            instance.stop()

