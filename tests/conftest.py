"""Shared fixtures: an app per test, a transaction per test, and factories.

The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL is set
(``.ci/run`` does both). The schema is created once per session (per xdist worker: each
worker has a database of its own).

Each test runs inside one outer transaction on one connection, rolled back at the end. Every
``db.session`` of the test (the default app's, and those of apps made with ``other_app``
on the same database) is bound to that connection with ``join_transaction_mode=
"create_savepoint"``: the app's own ``db.session.commit()`` releases a savepoint, its
rollbacks roll back to one, so views that commit behave as in production while the test
leaves nothing behind. (On SQLite this relies on the app issuing BEGIN itself,
``spokes/core/db.py``: pysqlite's own transaction handling would break savepoints.)

Tests that need real commits — other connections, threads, processes (servers, ``flask``
commands, workers), backups, row locks seen from two sessions — say so with
``@pytest.mark.real_commits``: their data is committed and every table is emptied after the
test, as before. Using the shared connection from another thread fails loudly, so a test
that forgets the mark cannot pass by accident.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask, g
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from flask.testing import FlaskClient
from sqlalchemy import text

from spokes import create_app
from spokes.core import clock
from spokes.extensions import db, limiter
from tests.transactions import share_connection, unshare_connection

# --shift-days / --clock-at: the whole run on another day (CI proves the suite holds then).
pytest_plugins = ["tests.timeshift"]

# Property tests judge results, never speed: a busy CI machine must not turn a slow example
# (or slow data generation) into a failure. Tests may still tighten their own settings.
hypothesis_settings.register_profile("spokes", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("spokes")

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Return the database URL of this test session.

    On PostgreSQL (DATABASE_URL set) each run gets a database of its own on that server,
    dropped at the end, so parallel runs never see each other's rows.
    """
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1).replace("postgres://", "postgresql+psycopg://", 1))
    # One database per process: per run, and per xdist worker (each worker is a process).
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = f"{base.database or 'test'}_run_{os.getpid()}{'_' + worker if worker else ''}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return a throwaway instance folder (uploads, mail)."""
    return str(tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="session")
def make_app(database_url: str, instance_dir: str) -> Callable[..., Flask]:
    """Return a factory of apps sharing the session database, with config overrides."""
    os.environ["SPOKES_INSTANCE_PATH"] = instance_dir

    def factory(**overrides: Any) -> Flask:
        # "memory": each app its own page cache, whatever its config class says (production's is
        # a folder, which apps of different configs in one test would otherwise share).
        config = {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": None,
                  "PAGE_CACHE_URL": "memory"}
        config.update(overrides)
        application = create_app(config)

        def _forget_previous_login() -> None:
            # The `app` fixture keeps one app context pushed, which Flask reuses for every test
            # request; Flask-Login caches the user on `g`, so clear it as a new request would.
            g.pop("_login_user", None)
            g.pop("_flask_babel", None)  # and Flask-Babel caches the chosen language there too

        # First of the before-request hooks: the app's own hooks must not see the last request's user.
        application.before_request_funcs.setdefault(None, []).insert(0, _forget_previous_login)
        return application

    return factory


@pytest.fixture(scope="session")
def _schema(make_app: Callable[..., Flask]) -> Iterator[None]:
    app = make_app()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.drop_all()
        db.create_all()  # tests only; the app itself migrates with Alembic
        db.session.remove()
        db.engine.dispose()
    yield


def empty_tables() -> None:
    """Empty every table (the app fixture's clean-up; also for worlds built outside it)."""
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture()
def app(make_app: Callable[..., Flask], _schema: None, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """Return the default test app (CSRF and rate limits off) with an empty database.

    The test runs in a transaction rolled back at its end, unless marked ``real_commits``.
    """
    application = make_app()
    real_commits = request.node.get_closest_marker("real_commits") is not None
    with application.app_context():
        connection = None if real_commits else share_connection(db.engine)
        try:
            yield application
        finally:
            db.session.remove()
            if connection is not None:
                unshare_connection(connection)
            else:
                empty_tables()
                db.session.remove()
            db.engine.dispose()
    clock.freeze(None)
    try:
        limiter.reset()
    except Exception:  # noqa: BLE001 - storage may not support reset; nothing to clean then
        pass


@pytest.fixture()
def other_app(make_app: Callable[..., Flask], app: Flask) -> Iterator[Callable[..., Flask]]:
    """Return a factory of extra apps on the test database (own engine, as another server or
    worker would have); their pools are closed afterwards, not at garbage collection.

    It comes with the default ``app``, so what the extra apps write is rolled back with the
    test (or, under ``real_commits``, emptied): nothing outlives the test."""
    made: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        application = make_app(**overrides)
        made.append(application)
        return application

    yield build
    for application in made:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    """Return a test client of the default app."""
    return app.test_client()


@pytest.fixture()
def runner(app: Flask):
    """Return a CLI runner of the default app."""
    return app.test_cli_runner()


@pytest.fixture()
def frozen_clock() -> Iterator[Callable[[datetime], None]]:
    """Return a function that pins spokes.core.clock.now() to a moment."""
    yield clock.freeze
    clock.freeze(None)


# ----------------------------------------------------------------------------- factories


@pytest.fixture()
def rulebooks(app: Flask) -> None:
    """Load the two seeded rulebooks."""
    from spokes.deadlines.services import seed_rulebooks

    seed_rulebooks()
    db.session.commit()


@pytest.fixture()
def make_unit(app: Flask) -> Callable[..., Any]:
    """Return a factory of units: make_unit("AM-DHU", parent=district, kind="commune")."""
    from spokes.core.text import fold
    from spokes.units.models import Unit
    from spokes.units.services import set_parent

    def factory(code: str, name: str | None = None, *, parent: Any = None, kind: str = "commune",
                approval_required: bool = True) -> Unit:
        unit = Unit(code=code, name=name or f"Đơn vị {code}", name_folded=fold(name or f"Đơn vị {code}"),
                    kind=kind, reference_prefix=code.upper(), approval_required=approval_required)
        db.session.add(unit)
        set_parent(unit, parent)
        db.session.commit()
        return unit

    return factory


@pytest.fixture()
def make_user(app: Flask) -> Callable[..., Any]:
    """Return a factory of users: make_user(role="head", unit=commune, designate=True)."""
    from tests.security.helpers import new_user

    counter = {"n": 0}

    def factory(role: str, unit: Any, *, email: str | None = None, name: str | None = None,
                designate: str | None = None, active: bool = True, title: str | None = None) -> Any:
        counter["n"] += 1
        n = counter["n"]
        user = new_user(role, unit, email or f"{role}{n}@test.vn", name or f"Cán bộ {role} {n}", designate=designate,
                        active=active, title=title, document_number=f"{n}/QĐ-UBND")
        db.session.commit()
        return user

    return factory


@pytest.fixture()
def make_request(app: Flask, rulebooks: None) -> Callable[..., Any]:
    """Return a factory of press requests created through the real intake service."""
    from spokes.press_requests.services import IntakeData, JournalistData, intake

    def factory(unit: Any, *, actor: Any = None, type: str = "information", channel: str = "phone",
                subject: str = "Tiến độ dự án đê biển", questions: str = "Xin cho biết tiến độ.",
                journalist_name: str = "Nguyễn Phóng Viên", journalist_email: str = "pv@baochi.vn",
                agency: str = "Báo Kiên Giang", received_at: datetime | None = None, **extra: Any) -> Any:
        data = IntakeData(type=type, channel=channel, subject=subject, questions=questions,
                          journalist=JournalistData(name=journalist_name, agency=agency, email=journalist_email),
                          received_at=received_at,
                          received_at_reason="Tiếp nhận qua điện thoại" if received_at else None, **extra)
        req, token = intake(actor, unit, data)
        db.session.commit()
        req.tracking_token = token  # only for tests: the token is never stored
        return req

    return factory


@pytest.fixture()
def login(client: FlaskClient) -> Callable[..., Any]:
    """Return a function that signs a user in on the default client."""

    def do_login(user: Any, password: str = PASSWORD, target: FlaskClient | None = None) -> Any:
        c = target or client
        response = c.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do_login


@pytest.fixture()
def district(make_unit: Callable[..., Any]) -> dict[str, Any]:
    """A small tree: province → district → two communes and a department."""
    province = make_unit("KG", "Ủy ban nhân dân tỉnh Kiên Giang", kind="province")
    am = make_unit("AM", "Ủy ban nhân dân huyện An Minh", parent=province, kind="district")
    dhu = make_unit("AM-DHU", "UBND xã Đông Hưng", parent=am)
    vk = make_unit("AM-VK", "UBND xã Vân Khánh", parent=am)
    vhtt = make_unit("AM-VHTT", "Phòng Văn hóa và Thông tin huyện An Minh", parent=am, kind="department")
    other = make_unit("HT", "Ủy ban nhân dân huyện Hòn Đất", parent=province, kind="district")
    return {"province": province, "district": am, "dhu": dhu, "vk": vk, "vhtt": vhtt, "other_district": other}


@pytest.fixture()
def world_options() -> dict[str, Any]:
    """Choices of the ``world`` fixture; a folder overrides this fixture to change them.

    ``deputy_speaks``: Đông Hưng's deputy holds a "designated" spokesperson designation, so new
    requests go to her and she speaks for the commune in public (publishing, API); otherwise
    the commune's head is its only speaker and receives new requests (request pages, letters).
    """
    return {"deputy_speaks": False}


@pytest.fixture()
def world(district: dict[str, Any], make_user: Callable[..., Any], rulebooks: None,
          world_options: dict[str, Any]) -> dict[str, Any]:
    """Return the district tree with one user per role in Đông Hưng ("own") and Vân Khánh ("other").

    Overseers and admins sit above the communes: the district office for "own", the other
    district for "other"; the admin of "own" sits at the province. ``users[(role, place)]``
    holds everyone; the people tests name most also have keys of their own: chair, deputy,
    clerk, office, admin (of "own") and other_chair (head of Vân Khánh).
    """
    d = district
    deputy_speaks = world_options.get("deputy_speaks", False)
    users = {
        ("head", "own"): make_user("head", d["dhu"], designate="head", name="Nguyễn Văn Hải", email="chair@dhu.vn",
                                   title="Chủ tịch UBND xã Đông Hưng"),
        ("clerk", "own"): make_user("clerk", d["dhu"], name="Lê Thị Thu", email="clerk@dhu.vn"),
        ("spokesperson", "own"): make_user("spokesperson", d["dhu"], name="Trương Thị Mai", email="deputy@dhu.vn",
                                           title="Phó Chủ tịch UBND xã Đông Hưng",
                                           designate="designated" if deputy_speaks else None),
        ("overseer", "own"): make_user("overseer", d["district"], name="Đặng Quốc Bảo", email="office@am.vn"),
        ("admin", "own"): make_user("admin", d["province"], name="Trần Minh Quân", email="admin@kg.vn"),
        ("head", "other"): make_user("head", d["vk"], designate="head", name="Huỳnh Văn Phúc", email="chair@vk.vn",
                                     title="Chủ tịch UBND xã Vân Khánh"),
        ("clerk", "other"): make_user("clerk", d["vk"], email="clerk@vk.vn"),
        ("spokesperson", "other"): make_user("spokesperson", d["vk"], email="deputy@vk.vn"),
        ("overseer", "other"): make_user("overseer", d["other_district"], email="office@ht.vn"),
        ("admin", "other"): make_user("admin", d["other_district"], email="admin@ht.vn"),
    }
    return {**d, "users": users, "chair": users[("head", "own")], "clerk": users[("clerk", "own")],
            "deputy": users[("spokesperson", "own")], "office": users[("overseer", "own")],
            "admin": users[("admin", "own")], "other_chair": users[("head", "other")]}


@pytest.fixture()
def client_for(app: Flask, login: Callable[..., Any]) -> Callable[[Any], FlaskClient]:
    """Return a function giving each user a signed-in client of their own."""
    clients: dict[int, FlaskClient] = {}

    def get(user: Any) -> FlaskClient:
        if user.id not in clients:
            c = app.test_client()
            login(user, target=c)
            clients[user.id] = c
        return clients[user.id]

    return get


@pytest.fixture()
def admin(district: dict[str, Any], make_user: Any) -> Any:
    """Return an admin of the whole province of the ``district`` tree (a root unit)."""
    return make_user("admin", district["province"], email="quantri@test.vn", name="Quản Trị Viên")


@pytest.fixture()
def as_admin(admin: Any, login: Any) -> Any:
    """Sign the admin in on the default client and return them."""
    login(admin)
    return admin
