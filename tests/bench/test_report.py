"""The bench's printed tables: every target reads met or MISSED against the same run's minimal app."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from spokes.bench import __main__ as bench


@pytest.fixture
def signed_in(monkeypatch):
    rates = {"Staff queue, filtered": (900.0, 90.0), "Request page": (900.0, 600.0), "Search": (900.0, 200.0),
             "Staff home": (900.0, 300.0), bench.FLOOR: (900.0, 450.0)}
    monkeypatch.setitem(bench.SIGNED_IN, "rates", rates)
    return rates


def _rows(text: str) -> dict[str, list[str]]:
    return {cells[0]: cells[1:] for cells in ([c.strip() for c in line.strip("|").split("|")]
                                              for line in text.splitlines() if line.startswith("| "))}


def test_signed_in_rows_are_read_against_the_minimal_app_and_the_floor_has_no_target(signed_in):
    report = SimpleNamespace(units=3, users=4, requests=5, audit_events=6, publications=7, seconds=1.0)
    text = bench.markdown(report, [], (3000.0, 4000.0, None), "SQLite")
    rows = _rows(text)

    # 90 of 4,000 is 2.25%: a rendered queue under its 10% target; 600 of 4,000 meets it.
    assert rows["Staff queue, filtered"][3:] == ["2.25%", "≥ 10%", "met / MISSED"]
    assert rows["Request page"][3:] == ["15.00%", "≥ 10%", "met / met"]
    assert rows["Search"][3:] == ["5.00%", "≥ 5%", "met / met"]
    assert rows["Staff home"][4:] == ["", "— / —"]
    assert rows[bench.FLOOR][2:] == ["450.0", "11.25%", "", "— / —"]
    assert "about the least that any signed-in page rendered afresh costs" in text
