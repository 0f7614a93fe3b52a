"""Browser fixtures: Debian's Chromium driven by Python Playwright (never a downloaded browser).

Every test here needs a built front end (``cd frontend && npm ci && npm run build``) because
Django serves frontend/dist itself. Tests are skipped, with the reason, when Chromium, the build
or Playwright is missing.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DIST = Path(__file__).resolve().parents[2] / "frontend" / "dist"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests")
    if not (DIST / "console.html").exists():
        pytest.skip("frontend/dist is missing: run `cd frontend && npm ci && npm run build` first")
    sync_api = pytest.importorskip("playwright.sync_api", reason="python playwright is not installed")

    # Playwright's sync API keeps an asyncio loop on this thread; Django's ORM would then refuse
    # the test's own (synchronous) database work. Allow it only while the browser is up.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    # A test may end while the page still has requests in flight (a landing page loading its data):
    # the live server would go on writing (the session's last-seen time) while the test database is
    # flushed — "database table is locked" on SQLite. Let them finish before the teardown.
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):  # a page that never settles (polling) is closed all the same
        page.wait_for_load_state("networkidle", timeout=5_000)
    context.close()
