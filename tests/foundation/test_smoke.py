"""Smoke: the app starts, pages render, demo data loads."""

from __future__ import annotations


def test_home_renders_in_vietnamese(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Tin phát ngôn và trả lời báo chí" in response.get_data(as_text=True)


def test_dashboard_lists_assigned_request(client, district, make_user, make_request, login):
    chair = make_user("head", district["dhu"], designate="head")
    req = make_request(district["dhu"])
    assert req.assignee_id == chair.id
    assert req.state == "assigned"
    login(chair)
    page = client.get("/staff/").get_data(as_text=True)
    assert req.reference in page
