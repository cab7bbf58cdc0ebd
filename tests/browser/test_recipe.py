"""The Recipe drop zones in a real browser: dropping a recipe sets the tab's controls."""

import json
import time

import pytest

from genart.gan import GanConfig
from genart.recipe import make_recipe
from tests.browser.helpers import wait_for


def _number(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id} input[type=number]").first.input_value()


def test_gan_recipe_sets_preset_rate_batch_and_examples(page, tmp_path):
    # dcgan-paper with a learning rate of its own: the preset's rate must not overwrite it
    cfg = GanConfig(batch_size=48, learning_rate=3e-4, beta_1=0.5, examples_per_epoch=1200)
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(make_recipe("gan", cfg, run={"steps": 50, "epochs": 2})))
    page.get_by_role("tab", name="DCGAN").click()
    page.locator("#gan-recipe-box").get_by_text("Recipe", exact=True).first.click()
    page.locator("#gan-recipe input[type=file]").set_input_files(str(path))
    wait_for(lambda: _number(page, "gan-batch") == "48", 30, "the controls were not restored in time")
    time.sleep(1)  # any event the restore triggered has run by now
    assert page.locator("#gan-preset input[value='dcgan-paper']").is_checked()
    assert float(_number(page, "gan-lr")) == pytest.approx(3e-4)
    assert (_number(page, "gan-examples"), _number(page, "gan-epochs")) == ("1200", "2")


def test_a_recipe_for_another_tab_is_refused_with_a_sentence(page, tmp_path):
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps({"algorithm": "style", "config": {}}))
    page.get_by_role("tab", name="DCGAN").click()
    page.locator("#gan-recipe-box").get_by_text("Recipe", exact=True).first.click()
    page.locator("#gan-recipe input[type=file]").set_input_files(str(path))
    page.get_by_text("This recipe is for style transfer, not DCGAN.").first.wait_for(timeout=30_000)
    assert _number(page, "gan-batch") == "64"  # the fast preset's batch, untouched
