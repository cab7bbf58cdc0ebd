"""The browser: Debian's headless Chromium driven by Playwright (its own browser download is not used),
launched once per session, and a fresh page of the shared app (``app_server``) per test.

Every test in this folder is marked ``browser`` (tests/conftest.py); page helpers are in helpers.py.
"""

import contextlib
import os
import shutil

import pytest

CHROMIUM = os.environ.get("GENART_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

#: Chromium's fake camera (a moving test pattern) granted without a prompt: for the live mirror.
CAMERA_FLAGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture(scope="session")
def playwright_api():
    """Playwright's sync API, once per session (Debian's chromium, not Playwright's own download)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("GENART_REQUIRE_BROWSER"):
            pytest.fail(f"chromium not found at {CHROMIUM}; CI installs it with apt-get install chromium")
        pytest.skip(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@contextlib.contextmanager
def _chromium(pw, extra=()):
    """The one launch of Chromium (the design's flags, plus ``extra``); closed after the ``with`` block."""
    b = pw.chromium.launch(
        executable_path=CHROMIUM,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", *extra],
    )
    try:
        yield b
    finally:
        b.close()


@contextlib.contextmanager
def _app_page(browser, url, **context):
    """A page of the app at ``url`` in a fresh context of ``browser`` (``context``: more of its options)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 1600}, **context)
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(url)
    try:
        yield pg
    finally:
        ctx.close()


@pytest.fixture(scope="session")
def browser(playwright_api):
    """Headless Debian Chromium driven by Playwright (its own browser download is not used)."""
    with _chromium(playwright_api) as b:
        yield b


@pytest.fixture(scope="session")
def camera_browser(playwright_api):
    """Headless Chromium with a fake camera that needs no permission prompt (the live mirror's tests)."""
    with _chromium(playwright_api, CAMERA_FLAGS) as b:
        yield b


@pytest.fixture()
def page(browser, app_server):
    """A fresh browser page (its own Gradio session) with the app loaded."""
    with _app_page(browser, app_server) as pg:
        yield pg


@pytest.fixture()
def camera_page(camera_browser, app_server):
    """A fresh page of the app whose context may use the (fake) camera."""
    with _app_page(camera_browser, app_server, permissions=["camera"]) as pg:
        yield pg
