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
