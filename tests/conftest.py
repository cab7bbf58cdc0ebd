"""Shared fixtures: random weights, analytics off, test pictures, one in-process app server, a Ray cluster.

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
from pathlib import Path

# Gradio's cache of this test session alone: an upload lands in a folder named by its bytes' hash, and an
# app that stops deletes the files it made, so a test run in another process (a shared machine) would
# delete this run's uploads of the same test pictures while they are in use.
_GRADIO_TMP = tempfile.mkdtemp(prefix="genart-tests-gradio-")
os.environ.setdefault("GRADIO_TEMP_DIR", _GRADIO_TMP)

import numpy as np
import pytest

from tests.helpers import serve, session

BROWSER_TESTS = Path(__file__).parent / "browser"


def pytest_collection_modifyitems(config, items):
    """The markers a test's place and fixtures imply (registered in pyproject.toml): ``browser`` on every
    test under tests/browser/, ``ray`` on every test that uses the Ray cluster (``ray_cluster``, ``on_ray``)."""
    for item in items:
        if item.path.is_relative_to(BROWSER_TESTS):
            item.add_marker(pytest.mark.browser)
        if "ray_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.ray)


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
def photo_file(tmp_path, photo) -> str:
    """The path of ``photo`` saved as a PNG."""
    from PIL import Image

    path = tmp_path / "photo.png"
    Image.fromarray(photo).save(path)
    return str(path)


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

    with serve(build_demo(), **launch_kwargs()) as url:
        yield url


@pytest.fixture()
def client(app_server):
    """A fresh gradio_client session on the shared app (one per test: sessions stay apart)."""
    return session(app_server)


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
