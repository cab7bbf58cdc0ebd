"""Shared fixtures: random weights, analytics off, one in-process app server, one browser.

Tests never touch the network: pretrained weights are replaced by seeded random weights of
the same architecture (GENART_WEIGHTS=random) and data comes from the tests or from assets/.
``auto`` precision means float32 here (GENART_PRECISION), so every machine computes the same
pixels; the precision tests choose bfloat16 and mock the hardware themselves.
"""

import os

os.environ["GENART_WEIGHTS"] = "random"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["GENART_PRECISION"] = "float32"
os.environ.setdefault("GENART_PRECISION_CACHE", "off")  # no test reads or writes this machine's decision file
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import shutil
import tempfile

# Gradio's cache of this test session alone: an upload lands in a folder named by its bytes' hash, and an
# app that stops deletes the files it made, so a test run in another process (a shared machine) would
# delete this run's uploads of the same test pictures while they are in use.
_GRADIO_TMP = tempfile.mkdtemp(prefix="genart-tests-gradio-")
os.environ.setdefault("GRADIO_TEMP_DIR", _GRADIO_TMP)

import numpy as np
import pytest

CHROMIUM = os.environ.get("GENART_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives the app in headless Chromium (Playwright)")


def pytest_unconfigure(config):
    shutil.rmtree(_GRADIO_TMP, ignore_errors=True)


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """A 120×160 RGB test picture with smooth gradients and edges (made here, no files)."""
    yy, xx = np.mgrid[0:120, 0:160].astype(np.float32)
    r = 127 + 120 * np.sin(xx / 9.0)
    g = 127 + 120 * np.cos(yy / 7.0)
    b = np.where((xx - 80) ** 2 + (yy - 60) ** 2 < 900, 230, 40).astype(np.float32)
    return np.stack([r, g, b], axis=2).clip(0, 255).astype(np.uint8)


@pytest.fixture()
def style_files(tmp_path, photo) -> tuple[str, str]:
    """Paths of a content picture (``photo``) and a 64×64 striped style picture, made here."""
    from PIL import Image

    content = tmp_path / "content.png"
    Image.fromarray(photo).save(content)
    yy, xx = np.mgrid[0:64, 0:64]
    stripes = (((xx + yy) // 5) % 2 * 200 + 30).astype(np.uint8)
    style = tmp_path / "style.png"
    Image.fromarray(np.stack([stripes, 255 - stripes, stripes // 2], axis=2)).save(style)
    return str(content), str(style)


@pytest.fixture(scope="session")
def app_server():
    """The whole app launched in-process once per test session; yields its local URL."""
    from genart.ui import build_demo, launch_kwargs

    demo = build_demo()
    kwargs = launch_kwargs()
    kwargs.update(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
    demo.launch(**kwargs)
    try:
        yield demo.local_url
    finally:
        demo.close()


@pytest.fixture()
def client(app_server):
    """A fresh gradio_client session on the shared app (one per test: sessions stay apart)."""
    from gradio_client import Client

    return Client(app_server, verbose=False, analytics_enabled=False, download_files=False)


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


def _launch(pw, extra=()):
    return pw.chromium.launch(
        executable_path=CHROMIUM,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", *extra],
    )


@pytest.fixture(scope="session")
def browser(playwright_api):
    """Headless Debian Chromium driven by Playwright (its own browser download is not used)."""
    b = _launch(playwright_api)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="session")
def camera_browser(playwright_api):
    """Headless Chromium with a fake camera that needs no permission prompt (the live mirror's tests)."""
    b = _launch(playwright_api, CAMERA_FLAGS)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture()
def camera_page(camera_browser, app_server):
    """A fresh page of the app whose context may use the (fake) camera."""
    ctx = camera_browser.new_context(viewport={"width": 1280, "height": 1600}, permissions=["camera"])
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(app_server)
    try:
        yield pg
    finally:
        ctx.close()


@pytest.fixture()
def page(browser, app_server):
    """A fresh browser page (its own Gradio session) with the app loaded."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 1600})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(app_server)
    try:
        yield pg
    finally:
        ctx.close()


@pytest.fixture(scope="session")
def ray_cluster():
    """A 2-CPU Ray cluster inside the test process, on 127.0.0.1 only (no dashboard); yields its address.

    Started once, by the first test that asks for it, and ended with the session. Ray is imported
    here, not at module level: tests that do not ask for a cluster never import it. Use
    ``on_ray`` to point the app at it for one test.
    """
    pytest.importorskip("ray", reason="Ray is an optional extra (requirements-ray.txt)")
    from genart.compute import ray_runs

    address = ray_runs.start_local(num_cpus=2)
    yield address
    ray_runs.stop_local()


@pytest.fixture()
def on_ray(ray_cluster, monkeypatch):
    """``GENART_RAY_ADDRESS`` set to the test cluster for this test (apps built in it compute there)."""
    monkeypatch.setenv("GENART_RAY_ADDRESS", ray_cluster)
    return ray_cluster
