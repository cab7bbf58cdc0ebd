"""The DCGAN tab in a real browser: train, watch the grid and status stream, stop, continue."""

import re
import time

from tests.browser.helpers import pictures_seen, set_number, wait_status


STEP = re.compile(r"step (\d+)/(\d+)")


def test_gan_train_streams_stop_and_continue(page):
    page.get_by_role("tab", name="DCGAN").click()
    set_number(page, "gan-batch", 16)
    set_number(page, "gan-examples", 640)  # 40 steps per epoch
    set_number(page, "gan-epochs", 5)
    page.locator("#gan-train").click()

    seen = pictures_seen(page, "gan-grid", 2)
    assert len(seen) >= 2, "the grid should be redrawn while training"
    running = wait_status(page, "gan-status", lambda t: "s/step" in t and "left" in t)
    assert STEP.search(running).group(2) == "200"  # 5 epochs × 40 steps
    assert "This session's trainer" in page.locator("#gan-note").inner_text()

    page.locator("#gan-stop").click()
    time.sleep(3)
    frozen = page.locator("#gan-status textarea").input_value()
    time.sleep(2)
    assert page.locator("#gan-status textarea").input_value() == frozen and "done" not in frozen
    stopped_at = int(STEP.search(frozen).group(1))

    set_number(page, "gan-epochs", 1)
    page.locator("#gan-continue").click()
    final = wait_status(page, "gan-status", lambda t: "done" in t, timeout=180)
    done, total = map(int, STEP.search(final).groups())
    assert done == total and total % 40 == 0 and total >= stopped_at  # resumed, finished its epoch
    page.locator("#gan-ckpt a, #gan-ckpt [download]").first.wait_for(timeout=30_000)

    lines = page.locator('#gan-loss [aria-roledescription="line mark"]')
    assert lines.count() == 4  # the training view: both losses, D(x) and D(G(z))
    # numeric axes carry a handful of ticks; a plot that mistook the losses for categories
    # (as Gradio does when a LinePlot starts from an empty table) labels every point instead
    ticks = page.locator('#gan-loss [aria-roledescription="axis"] text').count()
    assert ticks < 40, f"{ticks} axis labels for {total} steps: the loss plot's axes are not numeric"
