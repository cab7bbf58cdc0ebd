"""The style tab's fast method and live mirror in a real browser (headless Debian Chromium via Playwright;
the mirror's test uses Chromium's fake camera)."""

import re
import time

import pytest
from gradio_client import handle_file

from tests.browser.helpers import image_src, pictures_seen, set_number
from tests.helpers import session, wait_until


def test_fast_method_hides_the_optimisation_paints_at_once_and_refines(page):
    page.get_by_role("tab", name="Style transfer").click()
    assert page.locator("#style-optimisation").is_visible() and not page.locator("#style-fast-box").is_visible()
    page.locator("#style-method").get_by_label("Fast (one pass)").check()
    page.locator("#style-fast-box").wait_for()
    assert wait_until(lambda: not page.locator("#style-optimisation").is_visible(), 20)
    assert page.locator("#style-fast-run").is_visible() and not page.locator("#style-run").is_visible()
    assert "Random, untrained weights" in page.locator("#style-fast-model").inner_text()
    page.locator("#style-examples").get_by_role("gridcell").first.click()
    page.locator("#style-style img").first.wait_for()
    set_number(page, "style-fast-max-dim", 96)
    estimate = page.locator("#style-estimate")
    assert wait_until(lambda: "one pass 96×" in estimate.inner_text(), 240), estimate.inner_text()
    page.locator("#style-fast-run").click()
    status = page.locator("#style-status textarea")
    assert wait_until(lambda: "done" in status.input_value(), 180), status.input_value()
    assert status.input_value().startswith("one pass 96×") and "random, untrained network" in status.input_value()
    assert image_src(page, "style-output")
    page.locator("#style-png a").first.wait_for()  # the PNG to download

    page.locator("#style-refine").click()  # the optimisation, from the fast picture
    assert wait_until(lambda: page.locator("#style-optimisation").is_visible(), 20)
    assert page.locator("#style-method").get_by_label("Optimisation", exact=False).is_checked()
    assert page.locator("#style-init img").count() and page.get_by_role("radio", name="image", exact=True).is_checked()
    assert wait_until(lambda: "adam" in status.input_value(), 180), status.input_value()
    page.locator("#style-stop").click()


def test_live_mirror_paints_the_fake_camera_and_holds_the_heavy_slot_until_the_tab_closes(camera_page, app_server,
                                                                                       style_files):
    page = camera_page
    page.get_by_role("tab", name="Style transfer").click()
    page.locator("#style-live-box").get_by_text("Live mirror").first.click()
    page.locator("#style-live-input").get_by_text("Click to Access Webcam").click()
    page.locator("#style-live-input button", has_text="Record").click()
    status = page.locator("#style-live-status")

    def line() -> str:  # the status line: the server's facts, then the rate the page shows pictures at
        parts = [status.locator(f".genart-live-{part}") for part in ("facts", "shown")]
        return "".join(p.first.inner_text() if p.count() else "" for p in parts)

    # no style image yet: one sentence, and the stream goes on
    assert wait_until(lambda: "Upload a style image above first" in line(), 120), line()
    assert image_src(page, "style-live-output") is None
    page.locator("#style-examples").get_by_role("gridcell").first.click()  # a style: the mirror starts painting
    assert len(pictures_seen(page, "style-live-output", 3, 180)) >= 3, "the live output did not change 3 times"
    # the status line: the server's facts (Steady on by default), and the rate the page shows pictures at
    assert wait_until(lambda: "pictures a second shown here" in line(), 60), line()
    text = line()
    assert text.startswith("256×192 px · steady 0.7: ") and "random, untrained network" in text, text

    # the Steady control changes the output: at 0 every frame is painted on its own, nothing carried ...
    set_number(page, "style-live-steady", 0)
    assert wait_until(lambda: "every frame on its own" in line(), 120), line()
    assert len(pictures_seen(page, "style-live-output", 2, 120)) >= 2
    # ... and back on, each frame takes part of the last one, carried along the fake camera's motion
    set_number(page, "style-live-steady", 0.9)

    def carried() -> bool:
        found = re.search(r"steady 0\.9: (\d+)% carried from the last frame", line())
        return bool(found) and int(found.group(1)) > 0

    assert wait_until(carried, 120), line()

    # while the mirror streams it holds the heavy slot: another visitor's run waits for it ...
    content, style = style_files
    other = session(app_server)
    job = other.submit(handle_file(content), handle_file(style), 1.0, 64, api_name="/stylize_fast")
    time.sleep(5)
    assert not job.done(), "a run of another session should wait while the mirror streams"
    # ... and closing the tab ends the stream, so it runs
    page.context.close()
    assert job.result(timeout=120)[1].endswith("done · random, untrained network")


#: The style tab's result outputs, where a red "Error" badge was seen after Refine → Stop → mirror (issue 32.7).
RESULT_OUTPUTS = ("style-output", "style-status", "style-plot", "style-png", "style-gif")


def _error_badges(page) -> list[str]:
    return [elem_id for elem_id in RESULT_OUTPUTS
            if page.locator(f"#{elem_id} [data-testid=status-tracker] .error").count()]


@pytest.mark.parametrize("walk", range(3))
def test_refine_stop_then_the_live_mirror_shows_no_error(camera_page, walk):
    """Refine, Stop, and the mirror started the moment after: no output of the stopped run turns into an
    error (issue 32.7: with Gradio's cancel, every result output was badged "Error" in about one walk of
    three when another event started while the cancel went on; Stop now ends the run as a finished one)."""
    page = camera_page
    page.get_by_role("tab", name="Style transfer").click()
    page.locator("#style-method").get_by_label("Fast (one pass)").check()
    page.locator("#style-fast-box").wait_for()
    page.locator("#style-examples").get_by_role("gridcell").first.click()
    page.locator("#style-style img").first.wait_for()
    set_number(page, "style-fast-max-dim", 96)
    page.locator("#style-fast-run").click()
    status = page.locator("#style-status textarea")
    assert wait_until(lambda: "done" in status.input_value(), 180), status.input_value()
    page.locator("#style-live-box").get_by_text("Live mirror").first.click()  # the camera ready, not recording
    page.locator("#style-live-input").get_by_text("Click to Access Webcam").click()
    record = page.locator("#style-live-input button", has_text="Record")
    record.wait_for()
    page.locator("#style-refine").click()
    if walk == 0:  # Stop while the run starts (before its first picture) ...
        time.sleep(0.5)
    else:  # ... or once the optimisation streams
        assert wait_until(lambda: "adam" in status.input_value(), 240), status.input_value()
    page.locator("#style-stop").click()
    record.click()  # at once: the race needed another event to start while the stop went on
    facts = page.locator("#style-live-status .genart-live-facts")
    badges: list[str] = []

    def painting_or_badged():
        badges.extend(b for b in _error_badges(page) if b not in badges)
        return bool(badges) or (facts.count() > 0 and " px · " in facts.first.inner_text())

    assert wait_until(painting_or_badged, 180), "the mirror should paint"
    wait_until(lambda: bool(painting_or_badged() and badges), 5)  # a late badge has a few more seconds to show
    assert badges == [], f"error badges on {badges} after Stop (status: {status.input_value()!r})"
    # a Stop that came before Refine's run joined the queue stops nothing: that run ends as done
    ends = ("stopped", "done") if walk == 0 else ("stopped",)
    assert wait_until(lambda: status.input_value().endswith(ends), 240), status.input_value()
    assert "stopped:" not in status.input_value()  # what a failed run says
