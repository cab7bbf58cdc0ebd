"""The DeepDream tab's channel explorer and zoom animation in a real browser (headless Chromium)."""

import imageio_ffmpeg

from genart.dream.explorer import GAP
from tests.browser.helpers import set_number, upload_picture, wait_status


def _open_extras(page):
    page.get_by_role("tab", name="DeepDream").click()
    page.locator("#dream-extras").get_by_text("Channel explorer and zoom animation").first.click()
    page.locator("#explorer-run").wait_for()


def test_explorer_runs_and_a_click_targets_the_channel(page):
    _open_extras(page)
    page.locator("#explorer-layer input").fill("mixed2")
    page.get_by_role("option", name="mixed2", exact=True).click()
    page.locator("#explorer-first input").fill("20")
    set_number(page, "explorer-steps", 2)
    set_number(page, "explorer-size", 80)
    page.locator("#explorer-run").click()
    status = wait_status(page, "explorer-status", "done", timeout=240)
    assert status.startswith("mixed2 channels 20–35 · step 2/2")
    img = page.locator("#explorer-sheet img").first
    img.wait_for()
    natural = img.evaluate("i => [i.naturalWidth, i.naturalHeight]")
    assert natural == [4 * 80 + 3 * GAP] * 2
    box = img.bounding_box()
    scale = box["width"] / natural[0]
    # tile 6: row 1, column 2 → channel 26
    x, y = (2 * (80 + GAP) + 40) * scale, (1 * (80 + GAP) + 40) * scale
    assert not page.locator("#dream-layers").get_by_label("mixed2 · ", exact=False).is_checked()
    img.click(position={"x": x, "y": y})
    page.locator("#explorer-picked").get_by_text("channel 26 of mixed2").wait_for()
    assert page.locator("#dream-layers").get_by_label("mixed2 · ", exact=False).is_checked()
    # the tab's channel controls now target it: layer mixed2, mode "chosen", channel 26
    page.locator("#dream-objective-box").get_by_text("Objective and channels").first.click()
    assert page.locator("#dream-channels textarea, #dream-channels input").first.input_value() == "26"
    assert page.locator("#dream-channel-mode").get_by_label("chosen").is_checked()
    assert page.locator("#dream-channel-layer input").first.input_value().startswith("mixed2")


def test_zoom_animation_streams_and_offers_mp4_and_gif(page, tmp_path, photo_file):
    _open_extras(page)
    upload_picture(page, "dream-input", photo_file)
    page.get_by_label("Octaves", exact=False).first.fill("1")
    page.get_by_label("Steps per octave", exact=False).first.fill("2")
    page.get_by_label("Tile size (px)", exact=False).first.fill("0")
    page.get_by_label("Max size (px)", exact=False).first.fill("128")
    set_number(page, "dream-zoom-frames", 3)
    set_number(page, "dream-zoom-steps", 2)
    page.locator("#dream-zoom-run").click()
    status = wait_status(page, "dream-status", "done", timeout=240)
    assert status.startswith("zoom frame 3/3 · step 8/8")
    link = page.locator("#dream-zoom-mp4 a").first
    link.wait_for()
    video = page.request.get(link.get_attribute("href"))
    mp4 = tmp_path / "zoom.mp4"
    mp4.write_bytes(video.body())
    reader = imageio_ffmpeg.read_frames(str(mp4))
    meta = next(reader)
    assert tuple(meta["size"]) == (128, 96) and sum(1 for _ in reader) == 3
    assert page.locator("#dream-zoom-gif a").first.get_attribute("href").endswith(".gif")
