"""Issue 17, item 4: no 5xx on any input, over the whole URL map.

A property test, not a list of known holes:

* every GET route of the URL map (path arguments filled with real ids of the security world,
  or with ids past any column's range), with generated query values for every parameter
  name the app reads and every field its pages show;
* every form any page renders (the ``<form method="post">`` found by crawling the GET
  pages), posted with generated values for its fields;

each as an anonymous visitor and as signed-in staff (a unit head and an administrator).
Writes run under ``dry_run`` (commits become rollbacks), so the world stays as built. The
generated values favour the edges that once gave 500s: huge pages and ids, years 1 and
9999, date-times at the ends of ``datetime``.

The test prints the number of generated inputs it sent; the report of issue 17 quotes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from flask import Flask
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from .helpers import World, client_with, dry_run, module_world, session_cookie, sign_in, url_arguments

# No shrinking: the first failing input of each route is reported as is, and a broken build
# fails in seconds rather than minutes.
EXAMPLES = settings(max_examples=6, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
USERS = ("anonymous", "head", "admin")
# Routes that need no generated input or cannot take part: static files, the fixed reset link.
SKIPPED = {"static"}
# Every query parameter name read anywhere in the app (grep request.args), besides form fields.
QUERY_NAMES = (
    "page", "per_page", "unit", "q", "from", "to", "received_from", "received_to", "journalist_id",
    "request_id", "month", "kind", "state", "type", "sort", "tab", "n", "year", "show", "parent", "source",
    "scope", "table", "next", "token", "jq", "assignee", "channel", "date_from", "date_to", "object_id",
    "action", "period", "metric", "include_withdrawn", "ground", "user", "inactive", "lang", "format",
)
EDGE = st.sampled_from([
    "461168601842738792", "9223372036854775807", "9223372036854775808", "18446744073709551616",
    "-9223372036854775809", "99999999999999999999999999", "2147483648", "2147483647", "-1", "0", "1",
    "1e309", "NaN", "", " ", "x", "0001-01-01", "9999-12-31", "0001-01", "9999-12", "0001-01-01T00:00",
    "9999-12-31T23:59", "01/01/0001", "31/12/9999", "1999-12-31", "2101-01-01", "2026-02-30", "00:00",
    "24:00", "9999-12-31 23:59", "01/01/0001 00:00", "true", "false", "\x00", "🙂", "a" * 300,
])
VALUE = st.one_of(
    EDGE,
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
    st.text(max_size=20),
)

COUNT = {"get": 0, "post": 0}


# --------------------------------------------------------------------------- the world and its pages


class _Forms(HTMLParser):
    """Collect the POST forms of a page: action and field names (with their first value)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._current: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._current = {}
            self.forms.append((a.get("action", ""), self._current))
        elif tag in ("input", "select", "textarea") and a.get("name"):
            target = self._current
            if target is not None and a.get("type") not in ("submit", "button"):
                target.setdefault(a["name"], a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def _field_names(body: str) -> set[str]:
    return set(re.findall(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"', body))


@pytest.fixture(scope="module")
def shared(make_app: Any, _schema: None) -> Iterator[tuple[Flask, World]]:
    """One world for the module; nothing here writes to it (dry runs)."""
    with module_world(make_app) as built:
        yield built


@pytest.fixture(scope="module")
def cookies(shared: tuple[Flask, World]) -> dict[str, str | None]:
    """Signed-in session cookies of the users under test (anonymous: None)."""
    app, world = shared
    out: dict[str, str | None] = {"anonymous": None}
    for role in USERS[1:]:
        out[role] = session_cookie(sign_in(app, world.actors[role]))
    return out


def _get_routes(app: Flask, world: World) -> list[tuple[str, str]]:
    routes = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIPPED or "GET" not in (rule.methods or ()):
            continue
        with app.test_request_context():
            from flask import url_for

            routes.append((rule.endpoint, url_for(rule.endpoint, **url_arguments(rule, world))))
    return routes


@pytest.fixture(scope="module")
def crawl(shared: tuple[Flask, World], cookies: dict[str, str | None]) -> dict[str, Any]:
    """GET every route once per user; keep the field names and the POST forms found."""
    app, world = shared
    names: dict[str, set[str]] = {}
    forms: dict[tuple[str, str], dict[str, str]] = {}
    routes = _get_routes(app, world)
    with dry_run():
        for user in USERS:
            for endpoint, url in routes:
                response = client_with(app, cookies[user]).get(url)
                body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
                response.close()
                assert response.status_code < 500, (user, url, response.status_code)
                names.setdefault(url, set()).update(_field_names(body))
                parser = _Forms()
                parser.feed(body)
                for action, fields in parser.forms:
                    target = urlsplit(action or url).path or url
                    forms.setdefault((user, target), {}).update(fields)
    return {"routes": routes, "names": names, "forms": forms}


# --------------------------------------------------------------------------- the properties


def _huge_ids(url: str) -> str:
    """Replace every number in the path by one past any 64-bit column."""
    return re.sub(r"(?<=/)\d+(?=/|$)", "99999999999999999999", url)


def _send_expecting_no_5xx(send: Any, what: str, failures: list[str]) -> None:
    """Send one generated request; record ``what`` was sent among the failures if it crashed or got a 5xx."""
    try:  # the test app propagates exceptions: an unhandled one is the 500 production would send
        response = send()
    except Exception as err:
        failures.append(f"{what} → {err!r}")
        raise
    response.close()
    if response.status_code >= 500:
        failures.append(f"{what} → {response.status_code}")
    assert response.status_code < 500


def _get_property(app: Flask, user: str, cookie: str | None, url: str, keys: list[str],
                  failures: list[str]) -> Any:
    @EXAMPLES
    @given(query=st.dictionaries(st.sampled_from(keys), VALUE, min_size=1, max_size=6), huge=st.booleans())
    # The review's findings, on every route: a huge page, the ends of the calendar, huge ids.
    @example(query={"page": "461168601842738792"}, huge=False)
    @example(query={"received_from": "0001-01-01", "received_to": "9999-12-31", "from": "0001-01-01",
                    "to": "9999-12-31"}, huge=False)
    @example(query={"unit": "99999999999999999999", "journalist_id": "99999999999999999999",
                    "request_id": "99999999999999999999"}, huge=True)
    def check(query: dict[str, str], huge: bool) -> None:
        target = _huge_ids(url) if huge else url
        COUNT["get"] += 1
        _send_expecting_no_5xx(lambda: client_with(app, cookie).get(target + "?" + urlencode(query)),
                               f"{user} GET {target}?{urlencode(query)}", failures)

    return check


def _post_property(app: Flask, user: str, cookie: str | None, action: str, fields: dict[str, str],
                   failures: list[str]) -> Any:
    names = sorted(fields)

    @EXAMPLES
    @given(changed=st.dictionaries(st.sampled_from(names), VALUE, min_size=1, max_size=8))
    # Every field at once at the edges the review found: year 1, year 9999, past 64 bits.
    @example(changed={n: "0001-01-01T00:00" for n in names})
    @example(changed={n: "9999-12-31" for n in names})
    @example(changed={n: "0001-01-01" for n in names})
    @example(changed={n: "99999999999999999999" for n in names})
    def check(changed: dict[str, str]) -> None:
        COUNT["post"] += 1
        data = {**{k: v for k, v in fields.items() if k != "csrf_token"}, **changed}
        _send_expecting_no_5xx(lambda: client_with(app, cookie).post(action, data=data),
                               f"{user} POST {action} {changed!r}", failures)

    return check


def test_no_get_route_answers_5xx_to_generated_queries(shared: tuple[Flask, World], cookies: dict[str, Any],
                                                        crawl: dict[str, Any]) -> None:
    """Every GET route, every user, generated values for every known parameter: never a 5xx."""
    app, _world = shared
    failures: list[str] = []
    with dry_run():
        for user in USERS:
            for _endpoint, url in crawl["routes"]:
                keys = sorted(set(QUERY_NAMES) | crawl["names"].get(url, set()))

                try:
                    _get_property(app, user, cookies[user], url, keys, failures)()
                except Exception:  # noqa: BLE001 - collected above; keep going to list every route that fails
                    pass
    assert not failures, "\n".join(sorted(set(failures))[:40])


def test_no_form_answers_5xx_to_generated_fields(shared: tuple[Flask, World], cookies: dict[str, Any],
                                                  crawl: dict[str, Any]) -> None:
    """Every POST form found on the pages, every user who sees it, generated field values: never a 5xx."""
    app, _world = shared
    failures: list[str] = []
    assert len(crawl["forms"]) > 20, "the crawl found too few forms to mean anything"
    with dry_run():
        for (user, action), fields in sorted(crawl["forms"].items()):
            if not fields:  # a button-only form: post it as it is, once
                COUNT["post"] += 1
                response = client_with(app, cookies[user]).post(action)
                response.close()
                if response.status_code >= 500:
                    failures.append(f"{user} POST {action} (button) → {response.status_code}")
                continue

            try:
                _post_property(app, user, cookies[user], action, fields, failures)()
            except Exception:  # noqa: BLE001 - collected above; keep going to list every form that fails
                pass
    assert not failures, "\n".join(sorted(set(failures))[:40])


def test_report_the_number_of_generated_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    """Print how many generated inputs the two properties sent (quoted in the issue's report)."""
    with capsys.disabled():
        print(f"\nno-5xx property test: {COUNT['get']} generated GET queries, {COUNT['post']} generated form posts, "
              f"{COUNT['get'] + COUNT['post']} in all")
