"""The create-user and seed-demo commands."""

from __future__ import annotations

from sqlalchemy import func, select

from spokes.audit.services import verify_chain
from spokes.auth.models import User
from spokes.extensions import db
from spokes.press_requests.models import PressRequest
from spokes.units.models import Designation, Unit


def test_create_user_with_password_from_environment(runner, district):
    result = runner.invoke(
        args=["create-user", "moi@test.vn", "--name", "Nguyễn Văn Mới", "--unit", "AM-DHU", "--role", "clerk"],
        env={"SPOKES_PASSWORD": "mat-khau-du-dai"},
    )
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User).where(User.email == "moi@test.vn")).scalar_one()
    assert user.check_password("mat-khau-du-dai")
    assert [(m.unit.code, m.role) for m in user.memberships] == [("AM-DHU", "clerk")]


def test_create_user_asks_twice(runner, district):
    result = runner.invoke(
        args=["create-user", "hai@test.vn", "--name", "Lê Hai", "--unit", "AM-VK", "--role", "head"],
        input="mat-khau-du-dai\nmat-khau-du-dai\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.execute(select(User).where(User.email == "hai@test.vn")).scalar_one()


def test_create_user_errors(runner, district):
    env = {"SPOKES_PASSWORD": "mat-khau-du-dai"}
    unknown_unit = runner.invoke(args=["create-user", "a@test.vn", "--name", "A", "--unit", "XX", "--role", "clerk"], env=env)
    assert unknown_unit.exit_code != 0 and "XX" in unknown_unit.output
    bad_role = runner.invoke(args=["create-user", "a@test.vn", "--name", "A", "--unit", "AM-DHU", "--role", "king"], env=env)
    assert bad_role.exit_code == 2
    short = runner.invoke(args=["create-user", "a@test.vn", "--name", "A", "--unit", "AM-DHU", "--role", "clerk"],
                          env={"SPOKES_PASSWORD": "short"})
    assert short.exit_code == 2
    runner.invoke(args=["create-user", "a@test.vn", "--name", "A", "--unit", "AM-DHU", "--role", "clerk"], env=env)
    duplicate = runner.invoke(args=["create-user", "A@test.vn", "--name", "A", "--unit", "AM-DHU", "--role", "clerk"], env=env)
    assert duplicate.exit_code == 1 and "a@test.vn" in duplicate.output


def _counts():
    return tuple(
        db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Unit, User, Designation, PressRequest)
    )


def test_seed_demo_loads_everything_once(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "chutich.anminh@angiang.demo" in first.output
    units, users, designations, requests = _counts()
    assert units == 47 and users >= 8 and designations >= 8 and requests >= 20
    states = set(db.session.execute(select(PressRequest.state)).scalars())
    assert {"received", "assigned", "drafting", "awaiting_approval", "answered", "refused", "withdrawn"} <= states
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert _counts() == (units, users, designations, requests)
    checked, problem = verify_chain()
    assert problem is None and checked > 12


def test_demo_logins_reach_their_role_home(runner, client):
    runner.invoke(args=["seed-demo"])
    from spokes.admin.demo import ACCOUNTS, DEMO_PASSWORD

    for account in ACCOUNTS:
        response = client.post("/login", data={"email": account.email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, account.email
        home = client.get("/staff/")
        assert home.status_code == 200
        assert account.name in home.get_data(as_text=True)
        client.post("/logout")
