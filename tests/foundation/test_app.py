"""The factory, the configuration layers and the health check."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from spokes import create_app
from spokes.extensions import db


def test_testing_config_is_used_when_passed(app):
    assert app.config["TESTING"] is True
    assert app.config["ENV_NAME"] == "testing"


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_starts_with_secret_and_sends_hsts(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-from-the-environment")
    application = create_app({"ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                              "PUBLIC_BASE_URL": "https://spokes.example.gov.vn"})
    assert application.config["SECRET_KEY"] == "a-real-secret-from-the-environment"
    assert application.config["SESSION_COOKIE_SECURE"] is True
    response = application.test_client().get("/healthz")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_unknown_environment_name_is_refused():
    with pytest.raises(RuntimeError, match="SPOKES_ENV"):
        create_app({"ENV_NAME": "staging", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_default_database_is_sqlite_in_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SPOKES_INSTANCE_PATH", str(tmp_path / "inst"))
    application = create_app({"ENV_NAME": "testing"})
    assert application.instance_path == str(tmp_path / "inst")
    assert application.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(tmp_path / "inst" / "spokes.sqlite")


def test_database_url_from_environment_is_normalised(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://user@db.example/spokes")
    application = create_app({"ENV_NAME": "testing"})
    assert application.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db.example/spokes"


def test_instance_config_file_is_a_layer(tmp_path, monkeypatch):
    monkeypatch.setenv("SPOKES_INSTANCE_PATH", str(tmp_path))
    (tmp_path / "config.py").write_text('SITE_NAME = "Cổng phát ngôn An Minh"\n', encoding="utf-8")
    application = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert application.config["SITE_NAME"] == "Cổng phát ngôn An Minh"


def test_sqlite_uses_wal_and_busy_timeout(tmp_path, monkeypatch):
    monkeypatch.setenv("SPOKES_INSTANCE_PATH", str(tmp_path))
    application = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    with application.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.session.remove()
        db.engine.dispose()


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["database"], body["degraded"]) == ("ok", "ok", [])


def test_security_headers_on_pages(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_error_pages_are_vietnamese(client):
    response = client.get("/khong-ton-tai")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_english_switch(client):
    response = client.get("/lang/en?next=/", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    with client.session_transaction() as session:
        assert session["lang"] == "en"


def test_language_switch_refuses_open_redirect(client):
    response = client.get("/lang/vi?next=https://evil.example/")
    assert response.headers["Location"] == "/"


def test_vendor_assets_are_served_locally(client):
    page = client.get("/").get_data(as_text=True)
    assert "/static/vendor/bootstrap/bootstrap.min.css" in page
    assert "cdn" not in page.lower()
    response = client.get("/static/vendor/bootstrap/bootstrap.min.css")
    assert response.status_code == 200
    response.close()
