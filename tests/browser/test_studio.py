"""The studio in a real browser: a dream sent to the style tab and painted there, the session
gallery restoring a result's settings, Run in view on a laptop screen in every tab."""

from playwright.sync_api import expect

from tests.browser.helpers import upload_picture


def _wait_done(page, elem_id: str) -> None:
    page.wait_for_function(
        f"() => (document.querySelector('#{elem_id} textarea')?.value || '').endsWith('done')", timeout=180_000)


def _set(page, label: str, value) -> None:
    box = page.get_by_label(label, exact=True).first
    box.fill(str(value))
    box.press("Enter")


def test_send_a_dream_to_style_run_it_and_restore_from_the_gallery(page, photo_file, style_files):
    upload_picture(page, "dream-input", photo_file)
    _set(page, "number input for Octaves", 1)
    _set(page, "number input for Steps per octave", 2)
    _set(page, "number input for Max size (px)", 128)
    page.locator("#dream-run").click()
    _wait_done(page, "dream-status")

    page.locator("#dream-send-content").click()  # the dream becomes the style tab's content
    page.wait_for_function("() => document.querySelector('#style-content img') !== null")
    expect(page.get_by_role("tab", name="Style transfer")).to_have_attribute("aria-selected", "true")
    upload_picture(page, "style-style", style_files[1])
    page.locator("#style-max-dim input[type=number]").fill("64")
    page.locator("#style-steps input[type=number]").fill("3")
    page.locator("#style-run").click()
    _wait_done(page, "style-status")
    assert page.locator("#style-output img").count() == 1

    # both results are in this session's gallery, newest first; choosing the dream restores its settings
    thumbs = page.locator("#gallery .thumbnail-item")
    page.wait_for_function("() => document.querySelectorAll('#gallery .thumbnail-item').length === 2")
    page.get_by_role("tab", name="DeepDream").click()
    _set(page, "number input for Steps per octave", 9)
    expect(page.get_by_label("number input for Steps per octave", exact=True).first).to_have_value("9")
    page.get_by_role("tab", name="Style transfer").click()
    thumbs.nth(1).click()
    page.wait_for_function("() => (document.querySelector('#gallery-chosen')?.innerText || '').includes('DeepDream')")
    expect(page.get_by_role("tab", name="DeepDream")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label("number input for Steps per octave", exact=True).first).to_have_value("2")
    assert "dream-seed0\n.png" in page.locator("#gallery-png").inner_text()  # its download, by its readable name


def test_run_and_stop_are_in_view_on_a_laptop_in_every_tab(browser, app_server):
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    page = ctx.new_page()
    try:
        page.goto(app_server)
        for tab, run in (("DeepDream", "#dream-run"), ("Style transfer", "#style-run"), ("DCGAN", "#gan-train")):
            page.get_by_role("tab", name=tab).click()
            stop = run.replace("-run", "-stop").replace("-train", "-stop")
            for button in (run, stop):
                box = page.locator(button).bounding_box()
                assert box and box["y"] + box["height"] <= 768, (tab, button, box)
    finally:
        ctx.close()
