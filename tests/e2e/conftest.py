"""Fixtures of the browser end-to-end tests: Debian's Chromium driven by Playwright, and a
real server (gunicorn) on a fresh, migrated, demo-seeded SQLite database.

Outside CI a machine without /usr/bin/chromium skips these tests; under CI (``CI`` set) a
missing browser is a failure, so the suite can never pass by not running them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.concurrency.live import PROJECT, LiveInstance, live_instance

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = PROJECT / "ci-output" / "e2e"


def _require_chromium() -> None:
    if os.path.exists(CHROMIUM):
        return
    message = f"{CHROMIUM} is missing: apt-get install -y chromium"
    if "CI" in os.environ:
        pytest.fail(message + " (CI is set, so the end-to-end tests must run)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveInstance]:
    """Serve a fresh demo instance with gunicorn (threaded workers: browsers keep connections open)."""
    _require_chromium()
    with live_instance(tmp_path_factory.mktemp("e2e"), "e2e") as instance:
        instance.gunicorn("gunicorn-e2e", workers=2, threads=4)
        yield instance


@pytest.fixture(scope="module")
def browser(live_server: LiveInstance) -> Iterator[Any]:
    """Launch Debian's Chromium through Playwright."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def screenshots() -> Path:
    """Return the (emptied) folder for this run's step screenshots."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS
