"""The DCGAN tab's own-pictures controls in a real browser: choose them, upload a zip, train, continue."""

import io
import re
import time
import zipfile

import numpy as np
from PIL import Image

from tests.browser.helpers import set_file, set_number, wait_status


STEP = re.compile(r"step (\d+)/(\d+)")


def test_own_pictures_upload_train_and_continue(page, tmp_path):
    archive = tmp_path / "dots.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(64):
            img = np.full((32, 32, 3), (20, 120, 40), np.uint8)
            img[i % 24:i % 24 + 8, (5 * i) % 24:(5 * i) % 24 + 8] = (250, 220, 0)
            buf = io.BytesIO()
            Image.fromarray(img).save(buf, format="PNG")
            zf.writestr(f"dot{i:02d}.png", buf.getvalue())
    page.get_by_role("tab", name="DCGAN").click()
    assert not page.locator("#gan-own-zip").is_visible()  # only shown for own pictures
    page.locator("#gan-dataset").get_by_label("Your pictures (zip)").check()
    set_file(page, "gan-own-zip", archive)
    set_number(page, "gan-batch", 32)
    estimate = page.locator("#gan-estimate")
    deadline = time.time() + 300  # the first estimate builds and times a 32-px probe
    while "× 2 steps of 32" not in estimate.inner_text() and time.time() < deadline:
        time.sleep(0.3)
    assert "× 2 steps of 32" in estimate.inner_text()  # the estimate counted the zip's 64 pictures
    page.locator("#gan-train").click()
    final = wait_status(page, "gan-status", lambda t: "done" in t, timeout=180)
    assert STEP.search(final).groups() == ("2", "2")
    assert "your pictures, 64 at 32×32 colour" in page.locator("#gan-note").inner_text()
    page.locator("#gan-continue").click()
    final = wait_status(page, "gan-status", lambda t: "done" in t and "step 4/4" in t, timeout=180)
    page.locator("#gan-ckpt a, #gan-ckpt [download]").first.wait_for(timeout=30_000)
