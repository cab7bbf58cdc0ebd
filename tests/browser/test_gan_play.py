"""The DCGAN tab's default preset and "Play with the generator" in a real browser."""

from genart.gan import DEFAULT_PRESET

from tests.browser.helpers import set_number, wait_for, wait_status


def test_the_default_preset_is_checked_and_the_generator_gives_samples_and_a_walk(page):
    page.get_by_role("tab", name="DCGAN").click()
    assert DEFAULT_PRESET == "quick"
    assert page.locator(f"#gan-preset input[value='{DEFAULT_PRESET}']").is_checked()
    assert page.locator("#gan-batch input[type=number]").first.input_value() == "64"
    page.locator("#gan-preset").get_by_text("tutorial", exact=True).click()
    wait_for(lambda: page.locator("#gan-batch input[type=number]").first.input_value() == "256", 30)
    page.locator("#gan-preset").get_by_text("fast", exact=True).click()
    wait_for(lambda: page.locator("#gan-batch input[type=number]").first.input_value() == "64", 30)
    set_number(page, "gan-examples", 128)  # 2 steps
    page.locator("#gan-train").click()
    wait_status(page, "gan-status", "done", timeout=180)
    # the training view: four series (both losses, D(x), D(G(z)))
    assert page.locator('#gan-loss [aria-roledescription="line mark"]').count() == 4

    page.locator("#gan-play").get_by_text("Play with the generator").first.click()
    set_number(page, "gan-sample-seed", 5)
    page.locator("#gan-sample").click()
    page.locator("#gan-samples img").first.wait_for(timeout=60_000)
    page.locator("#gan-samples-png a, #gan-samples-png [download]").first.wait_for(timeout=60_000)

    set_number(page, "gan-walk-points", 2)
    set_number(page, "gan-walk-between", 12)
    page.locator("#gan-walk").click()
    page.locator("#gan-walk-image img").first.wait_for(timeout=60_000)
    wait_status(page, "gan-walk-status", "24 frames through 2 points", timeout=180)
    page.locator("#gan-walk-mp4 a, #gan-walk-mp4 [download]").first.wait_for(timeout=60_000)
    page.locator("#gan-walk-gif a, #gan-walk-gif [download]").first.wait_for(timeout=60_000)
