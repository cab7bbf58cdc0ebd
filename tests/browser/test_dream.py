"""The DeepDream tab in a real browser (headless Debian Chromium via Playwright)."""

import time

from tests.browser.helpers import pictures_seen, upload_picture


def test_dream_upload_run_streams_and_stop(page, photo_file):
    page.get_by_role("tab", name="DeepDream").click()
    upload_picture(page, "dream-input", photo_file)
    page.get_by_label("Steps per octave", exact=False).first.fill("100")
    page.locator("#dream-run").click()

    seen = pictures_seen(page, "dream-output", 3)
    assert len(seen) >= 3, "the output image should change at least twice while the run streams"

    page.locator("#dream-stop").click()
    status = page.locator("#dream-status textarea")
    time.sleep(3)  # after Stop nothing more arrives
    frozen = status.input_value()
    time.sleep(3)
    assert status.input_value() == frozen and "done" not in frozen


def test_the_page_contacts_only_its_own_server(browser, app_server):
    """No fonts, scripts or telemetry from elsewhere: a visitor's browser talks to this server alone."""
    from urllib.parse import urlsplit

    ctx = browser.new_context()
    page = ctx.new_page()
    hosts = []
    page.on("request", lambda request: hosts.append(urlsplit(request.url).netloc))
    try:
        page.goto(app_server)
        for tab in ("Style transfer", "DCGAN", "DeepDream"):
            page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(2000)
    finally:
        ctx.close()
    assert hosts and set(hosts) == {urlsplit(app_server).netloc}, sorted(set(hosts))


def test_header_is_one_line_with_the_weights_and_precision_a_click_away(page):
    summary = page.locator("#genart-summary")  # issue 32.5: one short line, not three paragraphs
    page.wait_for_function("() => (document.querySelector('#genart-summary')?.innerText || '').includes('·')")
    assert summary.inner_text().splitlines()[0].strip() == "random weights · float32 · this machine"
    assert not page.locator("#genart-weights").is_visible()  # the details are closed ...
    summary.get_by_text("random weights").click()  # ... one click away
    for box in ("genart-weights", "genart-precision", "genart-compute"):  # read at page load
        page.wait_for_function(f"() => (document.querySelector('#{box}')?.innerText || '').includes(':')")
    weights = page.locator("#genart-weights").inner_text()
    assert "Random, untrained weights" in weights  # never dressed up as the pretrained networks
    header = page.locator("#genart-precision").inner_text()
    assert header.startswith("Precision:") and "float32" in header and "GENART_PRECISION" in header
