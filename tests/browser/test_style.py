"""The style transfer tab in a real browser (headless Debian Chromium via Playwright)."""

import time

from tests.browser.helpers import pictures_seen


def test_example_run_streams_plots_and_stops(page):
    page.get_by_role("tab", name="Style transfer").click()
    page.locator("#style-examples").get_by_role("gridcell").first.click()  # the landscape + strokes example
    page.locator("#style-content img").first.wait_for()
    page.locator("#style-style img").first.wait_for()
    page.locator("#style-max-dim input[type=number]").fill("64")
    page.locator("#style-steps input[type=number]").fill("500")
    page.locator("#style-run").click()

    seen = pictures_seen(page, "style-output", 3)
    assert len(seen) >= 3, "the stylised image should change at least twice while the run streams"
    status = page.locator("#style-status textarea")
    assert "style" in status.input_value() and "total" in status.input_value()
    page.locator('#style-plot [aria-roledescription="line mark"]').first.wait_for()  # curves, not just axes

    page.locator("#style-stop").click()
    time.sleep(3)  # after Stop nothing more arrives
    frozen = status.input_value()
    time.sleep(3)
    assert status.input_value() == frozen and "done" not in frozen


def test_the_tutorial_preset_computes_in_exact_float32(page):
    page.get_by_role("tab", name="Style transfer").click()
    page.locator("#style-preset").get_by_label("Tutorial", exact=False).check()
    page.locator("#style-advanced").get_by_text("Advanced", exact=False).first.click()
    float32 = page.locator("#style-precision").get_by_label("float32", exact=True)
    deadline = time.time() + 20
    while not float32.is_checked() and time.time() < deadline:
        time.sleep(0.2)
    assert float32.is_checked()
    page.locator("#style-preset").get_by_label("Coarse-to-fine", exact=False).check()
    auto = page.locator("#style-precision").get_by_label("auto", exact=True)
    deadline = time.time() + 20
    while not auto.is_checked() and time.time() < deadline:
        time.sleep(0.2)
    assert auto.is_checked()
