"""The DCGAN tab's fast default and "Play with the generator" in a real browser."""

import time


def _set_number(page, elem_id: str, value) -> None:
    box = page.locator(f"#{elem_id} input[type=number]").first
    box.fill(str(value))
    box.press("Enter")


def _wait(predicate, timeout=180.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition never met")


def test_fast_is_the_default_and_the_generator_gives_samples_and_a_walk(page):
    page.get_by_role("tab", name="DCGAN").click()
    assert page.locator("#gan-preset input[value='fast']").is_checked()
    assert page.locator("#gan-batch input[type=number]").first.input_value() == "64"
    page.locator("#gan-preset").get_by_text("tutorial", exact=True).click()
    _wait(lambda: page.locator("#gan-batch input[type=number]").first.input_value() == "256", 30)
    page.locator("#gan-preset").get_by_text("fast", exact=True).click()
    _wait(lambda: page.locator("#gan-batch input[type=number]").first.input_value() == "64", 30)
    _set_number(page, "gan-examples", 128)  # 2 steps
    page.locator("#gan-train").click()
    _wait(lambda: "done" in page.locator("#gan-status textarea").input_value())
    # the training view: four series (both losses, D(x), D(G(z)))
    assert page.locator('#gan-loss [aria-roledescription="line mark"]').count() == 4

    page.locator("#gan-play").get_by_text("Play with the generator").first.click()
    _set_number(page, "gan-sample-seed", 5)
    page.locator("#gan-sample").click()
    page.locator("#gan-samples img").first.wait_for(timeout=60_000)
    page.locator("#gan-samples-png a, #gan-samples-png [download]").first.wait_for(timeout=60_000)

    _set_number(page, "gan-walk-points", 2)
    _set_number(page, "gan-walk-between", 12)
    page.locator("#gan-walk").click()
    page.locator("#gan-walk-image img").first.wait_for(timeout=60_000)
    _wait(lambda: "24 frames through 2 points" in page.locator("#gan-walk-status textarea").input_value())
    page.locator("#gan-walk-mp4 a, #gan-walk-mp4 [download]").first.wait_for(timeout=60_000)
    page.locator("#gan-walk-gif a, #gan-walk-gif [download]").first.wait_for(timeout=60_000)
