"""The style tab's mask in a real browser: paint a stroke over the content, run, and only there it changes."""

import io
import time

import numpy as np
from PIL import Image

from genart.images import load_image
from genart.recipe import read_recipe
from tests.browser.helpers import settled_box


def _pictures(tmp_path):
    yy, xx = np.mgrid[0:120, 0:160]
    content = np.stack([xx * 1.5, yy * 2, 0 * xx + 100], axis=2).astype(np.uint8)
    stripes = (((xx + yy) // 5) % 2 * 200 + 30).astype(np.uint8)
    Image.fromarray(content).save(tmp_path / "content.png")
    Image.fromarray(np.stack([stripes, 255 - stripes, stripes // 2], axis=2)).save(tmp_path / "style.png")
    return str(tmp_path / "content.png"), str(tmp_path / "style.png")


def test_painted_stroke_confines_the_style(page, tmp_path):
    content, style = _pictures(tmp_path)
    page.get_by_role("tab", name="Style transfer").click()
    page.locator("#style-content input[type=file]").set_input_files(content)
    page.locator("#style-style input[type=file]").set_input_files(style)
    page.locator("#style-content img").first.wait_for()
    page.locator("#style-mask-box").get_by_text("Mask: paint where the style goes").first.click()
    page.locator("#style-max-dim input[type=number]").fill("64")
    page.locator("#style-steps input[type=number]").fill("12")
    for name, value in (("Style weight", "3"), ("Content weight", "0"), ("TV weight", "0")):
        page.get_by_label(name).first.fill(value)

    canvas = page.locator("#style-mask canvas").last
    deadline = time.time() + 30
    while time.time() < deadline and not canvas.is_visible():  # the editor gets the content as background
        time.sleep(0.2)
    time.sleep(1.5)
    page.locator("#style-mask button[aria-label=Brush]").click()  # pick the brush
    time.sleep(0.5)
    box = settled_box(canvas)
    y = box["y"] + box["height"] * 0.2  # a stroke across the upper part of the picture
    page.mouse.move(box["x"] + box["width"] * 0.15, y)
    page.mouse.down()
    for k in range(1, 21):
        page.mouse.move(box["x"] + box["width"] * (0.15 + 0.7 * k / 20), y, steps=2)
    page.mouse.up()
    time.sleep(1)

    page.locator("#style-run").click()
    status = page.locator("#style-status textarea")
    deadline = time.time() + 180
    while time.time() < deadline and not status.input_value().endswith("done"):
        time.sleep(0.5)
    assert status.input_value().endswith("done"), status.input_value()
    link = page.locator("#style-png a").first
    link.wait_for()
    data = page.request.get(link.get_attribute("href")).body()
    recipe = read_recipe(data, "style")
    assert recipe["inputs"]["mask"].startswith("sha256:")  # the painted stroke was the run's mask
    result = load_image(data).astype(int)
    photo = load_image(content, 64).astype(int)
    assert result.shape == photo.shape == (48, 64, 3)
    assert np.abs(result[-12:] - photo[-12:]).max() <= 1  # the unpainted lower part: the photo
    assert np.abs(result[:20] - photo[:20]).mean() > 1  # the stroke's band: painted
