"""The tabs' estimate lines in a real browser: measured on page load, updated when a control changes."""


def test_the_estimate_shows_on_load_and_updates(page):
    line = page.locator("#dream-estimate")
    page.wait_for_function("() => (document.querySelector('#dream-estimate')?.innerText || '').includes('≈')",
                           timeout=120_000)  # measured on page load (the first time: builds the network)
    assert "5 octaves × 20 steps" in line.inner_text()
    steps = page.get_by_label("Steps per octave", exact=False).first
    steps.fill("100")
    steps.press("Enter")
    page.wait_for_function("() => document.querySelector('#dream-estimate').innerText.includes('× 100 steps')",
                           timeout=60_000)
    page.get_by_role("tab", name="DCGAN").click()
    page.wait_for_function("() => (document.querySelector('#gan-estimate')?.innerText || '').includes('≈')",
                           timeout=120_000)


def test_a_line_that_waits_for_a_free_server_is_measured_once_it_is_free(page):
    """While something computes (here: the test holds the server busy, as the warm-up does), a setting
    never measured gets the waiting line; once the server is free the page asks again by itself."""
    from genart.estimate import clear_cache
    from genart.ui.estimate_line import WAITING
    from genart.ui.progress import working

    from tests.browser.helpers import set_number

    line = page.locator("#gan-estimate")
    page.get_by_role("tab", name="DCGAN").click()
    line.wait_for()
    with working():
        clear_cache()  # nothing measured yet, as on a fresh server (tests before this one measured)
        set_number(page, "gan-batch", 208)
        page.wait_for_function(
            "(waiting) => (document.querySelector('#gan-estimate')?.innerText || '').includes(waiting)",
            arg=WAITING.strip().split(" (")[0], timeout=60_000)
        assert "≈" not in line.inner_text()
    # nothing touched since: the page's own retry measures it
    page.wait_for_function("() => (document.querySelector('#gan-estimate')?.innerText || '').includes('≈')",
                           timeout=120_000)
    assert "steps of 208" in line.inner_text()
