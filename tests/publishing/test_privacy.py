"""No journalist's e-mail, phone or press card number ever appears in a public page, a feed or the API.

Unique markers are seeded in every private field of the journalists whose answers are published
(and corrected, and withdrawn); every public GET route of the publishing and API blueprints,
plus /spokespersons and /track, is fetched and scanned, headers included.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask

from spokes.extensions import db
from spokes.press_requests.services import IntakeData, JournalistData, intake
from spokes.publishing import services

from .helpers import answer, correct, later, publish

MARKERS = ("PRIVATE-EMAIL-7f3a@x.vn", "PRIVATE-PHONE-0999", "PRIVATE-CARD-XYZ", "PRIVATE-NAME-NOCONSENT",
           "private-email-c0n5@x.vn", "PRIVATE-PHONE-0888", "PRIVATE-CARD-ABC")


def _request(world: dict[str, Any], *, name: str, email: str, phone: str, card: str, consent: bool, subject: str):
    req, token = intake(world["clerk"], world["dhu"], IntakeData(
        type="information", channel="email", subject=subject, questions="Xin cho biết số liệu.",
        journalist=JournalistData(name=name, agency="Báo Pháp Luật", email=email, phone=phone,
                                  press_card_number=card, press_card_expiry=date(2029, 12, 31),
                                  consent_publish_name=consent)))
    db.session.commit()
    req.tracking_token = token
    return req


def _urls(app: Flask, values: dict[str, Any]) -> list[str]:
    """Return one URL per public GET route of publishing and the API (and the portal pages asked for)."""
    urls = []
    for rule in app.url_map.iter_rules():
        public = rule.endpoint.startswith(("publishing.", "api.")) and not rule.rule.startswith("/staff")
        if not (public and "GET" in rule.methods):
            continue
        if rule.endpoint in ("publishing.file",):
            continue  # file downloads are the uploaded files themselves
        args = {name: values[name] for name in rule.arguments}
        urls.append(rule.build(args, append_unknown=False)[1])
    for path in ("/spokespersons", "/track"):
        if any(r.rule == path for r in app.url_map.iter_rules()):
            urls.append(path)
    return urls


def test_no_private_journalist_data_in_any_public_output(world, app, client, clock):
    hidden = _request(world, name="PRIVATE-NAME-NOCONSENT", email="PRIVATE-EMAIL-7f3a@x.vn",
                      phone="PRIVATE-PHONE-0999", card="PRIVATE-CARD-XYZ", consent=False, subject="Số hộ nghèo")
    named = _request(world, name="Nguyễn Được Nêu Tên", email="private-email-c0n5@x.vn", phone="PRIVATE-PHONE-0888",
                     card="PRIVATE-CARD-ABC", consent=True, subject="Nước sạch nông thôn")
    gone = _request(world, name="PRIVATE-NAME-NOCONSENT", email="PRIVATE-EMAIL-7f3a@x.vn",
                    phone="PRIVATE-PHONE-0999", card="PRIVATE-CARD-XYZ", consent=False, subject="Tin sẽ gỡ")
    for req in (hidden, named, gone):
        answer(req, world["chair"])
    first = publish(world["chair"], hidden)
    second = publish(world["chair"], named)
    third = publish(world["chair"], gone)
    clock(later(30))
    correct(world["chair"], first, body="Số hộ nghèo: 120 hộ (đã sửa).")
    services.withdraw(world["chair"], third, "Trùng lặp.")
    db.session.commit()
    assert second.question_journalist == "Nguyễn Được Nêu Tên"  # consent given: the name may appear
    journalist = hidden.journalist  # the markers really are stored, so a leak would show
    assert (journalist.email, journalist.phone, journalist.press_card_number) == (
        "private-email-7f3a@x.vn", "PRIVATE-PHONE-0999", "PRIVATE-CARD-XYZ")

    values = {"slug": first.slug, "number": 1, "code": "AM-DHU", "reference": hidden.reference}
    urls = _urls(app, values)
    urls += [f"/news/{second.slug}", f"/news/{third.slug}", "/api/v1/items?include_withdrawn=true",
             f"/api/v1/items/{second.slug}", f"/api/v1/items/{third.slug}", "/news?q=so+ho+ngheo",
             f"/api/v1/requests/{hidden.reference}?token={hidden.tracking_token}",
             f"/api/v1/requests/{named.reference}?token={named.tracking_token}",
             "/units/AM-DHU/feed.atom", "/units/AM-DHU/feed.rss", "/api/v1/spokespersons?unit=AM-DHU"]
    expected = {"/", "/news", "/feed.atom", "/feed.rss", f"/news/{first.slug}", f"/news/{first.slug}/revisions/1",
                "/units/AM-DHU", "/units/AM-DHU/widget", "/api/v1/", "/api/v1/items", "/api/v1/units",
                "/api/v1/units/AM-DHU", "/api/v1/spokespersons", "/api/v1/openapi.json"}
    assert expected <= set(urls)

    scanned = 0
    for url in urls:
        response = client.get(url)
        body = response.get_data(as_text=True)
        response.close()
        if url.startswith("/api/v1/requests/") and "token=" not in url:
            assert response.status_code == 400, url  # the bare route asks for its token
        else:
            assert response.status_code == 200, (url, response.status_code)
        everything = (body + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())).lower()
        for marker in MARKERS:
            assert marker.lower() not in everything, (marker, url)
        scanned += 1
    assert scanned >= 25
    assert "Nguyễn Được Nêu Tên" in client.get(f"/news/{second.slug}").get_data(as_text=True)
