"""Make the README's picture of each tab (run: python assets/make_tab_pictures.py).

Launches the app in this process on 127.0.0.1 with ``GENART_WEIGHTS=random`` (ImageNet weights
cannot be downloaded where this is made) and ``GENART_PRECISION=float32``, drives each tab in
headless Debian Chromium through Playwright, runs a small job to its end, and screenshots the tab
below the header's line (``random weights · float32 · this machine``):

- ``tab_dream_random_weights.jpg``: the DeepDream tab on its first example (Chelsea the cat),
  a short run; InceptionV3 has **random weights**, so the picture shows the controls and the
  mechanics, not a real dream.
- ``tab_style_random_weights.jpg``: the style transfer tab on its first example (the cat in the
  style of Hokusai's wave), a short coarse-to-fine run with the loss weights the sky example uses
  (style 1e3, content 10, TV 1); VGG19 has **random weights**, so the picture is not what the
  trained network paints.
- ``tab_gan_shipped_digits.jpg``: the DCGAN tab trained **for real** (no pretrained weights are
  involved) on the 5 000 MNIST digits that ship in ``assets/mnist_5k.npz``, with the default
  ``quick`` preset (genart's quick networks) for the epochs the tab offers offline (7 of 79 steps;
  where MNIST can be downloaded the tab trains one epoch of all 60 000 digits instead).

Each screenshot is scaled to at most ``WIDTH`` pixels wide and saved as a JPEG. Same licence as the
code; the photo and the painting in the first two are those of ``assets/`` (CC0, public domain).
``--only dream`` (or style, gan) remakes one picture.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time

os.environ["GENART_WEIGHTS"] = "random"
os.environ["GENART_PRECISION"] = "float32"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="genart-tab-pictures-")  # not shared with other apps
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from PIL import Image  # noqa: E402

CHROMIUM = os.environ.get("GENART_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 1400}
WIDTH = 960  # pixels of the saved picture
QUALITY = 72  # JPEG quality


def _wait_status(page, elem_id: str, word: str, timeout: float) -> str:
    """Wait until the status box ``elem_id`` contains ``word``; return its text."""
    box = page.locator(f"#{elem_id} textarea")
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = box.input_value()
        if word in text:
            return text
        time.sleep(0.5)
    raise RuntimeError(f"#{elem_id} never said {word!r}; last: {box.input_value()!r}")


def _set(page, scope: str, label: str, value) -> None:
    """Type ``value`` into the number box of the slider labelled ``label`` inside ``scope``."""
    box = page.locator(scope).get_by_label(label, exact=False).first
    box.fill(str(value))
    box.press("Enter")


def _shoot(page, path: str, bottom_ids: list[str]) -> None:
    """Screenshot from the header's line (it says the weights are random) down to the lowest of
    ``bottom_ids``; save a small JPEG."""
    page.wait_for_timeout(1500)  # the last frame and plot settle
    page.evaluate("window.scrollTo(0, 0)")  # bounding boxes are the viewport's; the clip is the page's
    page.wait_for_timeout(300)
    top = page.locator("#genart-summary").bounding_box()
    tabs = page.locator("#genart-tabs").bounding_box()
    bottom = max(b["y"] + b["height"] for b in (page.locator(f"#{i}").first.bounding_box() for i in bottom_ids))
    clip = {"x": tabs["x"], "y": top["y"] - 6, "width": tabs["width"], "height": bottom - top["y"] + 18}
    shot = Image.open(io.BytesIO(page.screenshot(clip=clip, full_page=True))).convert("RGB")
    if shot.width > WIDTH:
        shot = shot.resize((WIDTH, round(shot.height * WIDTH / shot.width)), Image.LANCZOS)
    shot.save(path, quality=QUALITY, optimize=True)
    print(f"{path}: {shot.width}×{shot.height}, {os.path.getsize(path) // 1024} KB")


def dream(page) -> None:
    page.get_by_role("tab", name="DeepDream").click()
    page.locator("#dream-examples button.gallery-item").first.click()  # chelsea.jpg and its settings
    page.locator("#dream-input img").first.wait_for()
    page.wait_for_timeout(1000)  # the example's settings land before ours
    scope = "#genart-tabs [role=tabpanel]:visible"
    _set(page, scope, "Octaves", 3)  # not "Octave scale": its label lacks the s
    _set(page, scope, "Steps per octave", 20)
    _set(page, scope, "Max size (px)", 320)
    page.locator("#dream-run").click()
    _wait_status(page, "dream-status", "done", timeout=600)
    _shoot(page, os.path.join(HERE, "tab_dream_random_weights.jpg"),
           ["dream-output", "dream-status", "dream-run", "dream-layers"])


def style(page) -> None:
    page.get_by_role("tab", name="Style transfer").click()
    page.locator("#style-examples").get_by_role("gridcell").first.click()  # chelsea.jpg + Hokusai's wave
    page.locator("#style-content img").first.wait_for()
    page.locator("#style-style img").first.wait_for()
    page.locator("#style-max-dim input[type=number]").fill("192")
    page.locator("#style-max-dim input[type=number]").press("Enter")
    page.locator("#style-steps input[type=number]").fill("120")
    page.locator("#style-steps input[type=number]").press("Enter")
    # the weights the README's sky example used for random weights: with the tab's defaults the
    # untrained network's TV term dominates and the picture is a blur
    for label, value in (("Style weight", 3), ("Content weight", 1), ("TV weight", 1)):
        _set(page, "#style-optimisation", label, value)
    page.locator("#style-run").click()
    _wait_status(page, "style-status", "done", timeout=900)
    _shoot(page, os.path.join(HERE, "tab_style_random_weights.jpg"),
           ["style-output", "style-plot", "style-status", "style-run"])


def gan(page) -> None:
    page.get_by_role("tab", name="DCGAN").click()
    page.locator("#gan-train").click()  # the tab's defaults: quick preset, the shipped digits offline
    _wait_status(page, "gan-status", "done", timeout=1800)
    _shoot(page, os.path.join(HERE, "tab_gan_shipped_digits.jpg"), ["gan-grid", "gan-loss", "gan-status", "gan-train"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["dream", "style", "gan"], action="append")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from genart.ui import build_demo, launch_kwargs

    demo = build_demo()
    kwargs = launch_kwargs()
    kwargs.update(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
    demo.launch(**kwargs)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                for name, make in (("dream", dream), ("style", style), ("gan", gan)):
                    if args.only and name not in args.only:
                        continue
                    ctx = browser.new_context(viewport=VIEWPORT)  # a fresh session per tab
                    page = ctx.new_page()
                    page.set_default_timeout(120_000)
                    page.goto(demo.local_url)
                    try:
                        make(page)
                    finally:
                        ctx.close()
            finally:
                browser.close()
    finally:
        demo.close()
        shutil.rmtree(os.environ["GRADIO_TEMP_DIR"], ignore_errors=True)


if __name__ == "__main__":
    main()
