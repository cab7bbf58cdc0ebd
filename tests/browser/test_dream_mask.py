"""The DeepDream tab's mask in a real browser: paint a stroke on the input, run, and only there it dreams."""

import io
import time

import numpy as np
from PIL import Image

from tests.browser.helpers import settled_box, upload_picture


def _set_slider(page, label, value):
    page.locator("#dream-input").page.get_by_label(label, exact=False).first.fill(str(value))


def test_painted_mask_limits_the_dream(page, photo, photo_file):
    page.get_by_role("tab", name="DeepDream").click()
    upload_picture(page, "dream-input", photo_file)
    for label, value in (("Octaves", 1), ("Steps per octave", 3), ("Step size", 0.05), ("Max size (px)", 160)):
        _set_slider(page, label, value)

    page.get_by_text("Mask: where to dream").click()
    editor = page.locator("#dream-mask")
    canvas = editor.locator("canvas").first
    canvas.wait_for()
    time.sleep(1.0)  # the input arrives in the editor as its background
    editor.get_by_role("button", name="Brush").first.click()
    box = settled_box(canvas)
    x, y0, y1 = box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.35, box["y"] + box["height"] * 0.65
    page.mouse.move(x, y0)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x, y0 + (y1 - y0) * k / 10)
    page.mouse.up()
    time.sleep(0.5)

    page.locator("#dream-run").click()
    status = page.locator("#dream-status textarea")
    deadline = time.time() + 480  # generous: a shared, busy CPU
    while "done" not in status.input_value() and time.time() < deadline:
        time.sleep(0.5)
    assert status.input_value().endswith("done") and "step 3/3" in status.input_value(), status.input_value()
    link = page.locator("#dream-png a").first
    link.wait_for()
    result = np.asarray(Image.open(io.BytesIO(page.request.get(link.get_attribute("href")).body())).convert("RGB"))
    assert result.shape == photo.shape
    changed = np.abs(result.astype(int) - photo.astype(int)).max(axis=2) > 0
    assert 0.002 < changed.mean() < 0.6  # the stroke dreamt, not the whole picture
    assert not changed[:, -30:].any() and not changed[:, :20].any()  # far from the stroke: the input exactly
