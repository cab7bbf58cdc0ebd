"""The style tab's advanced controls and mask through its API (/stylize, /style_recipe), in-process."""

import json

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from genart import style as styles
from genart.fingerprints import mask_digest
from genart.frames import RunFacts
from genart.images import load_image
from genart.recipe import make_recipe, read_recipe
from genart.style import StyleConfig

SMALL = dict(steps=3, max_dim=64, optimizer="adam", scales=1, log_style_weight=3, log_content_weight=0,
             tv_weight=0)


def _value(update):
    return update["value"] if isinstance(update, dict) and "value" in update else update


@pytest.fixture()
def right_mask(tmp_path):
    bw = np.zeros((60, 80), np.uint8)  # another size than the content (120×160, run at 48×64)
    bw[:, 40:] = 255
    path = tmp_path / "mask.png"
    Image.fromarray(bw).save(path)
    return str(path)


def test_uploaded_mask_and_advanced_controls_shape_the_run_and_its_recipe(client, style_files, right_mask):
    content, style = style_files
    *_, png, _gif = client.predict(handle_file(content), handle_file(style), **SMALL, pooling="avg",
                                   normalize_gradients=True, style_layers=["block1_conv2", "block2_conv1"],
                                   content_layers=["block3_conv1"], mask_file=handle_file(right_mask),
                                   api_name="/stylize")
    recipe = read_recipe(png["path"], "style")
    cfg = recipe["config"]
    assert (cfg["pooling"], cfg["normalize_gradients"]) == ("avg", True)
    assert cfg["style_layers"] == ["block1_conv2", "block2_conv1"] and cfg["content_layers"] == ["block3_conv1"]
    assert recipe["inputs"]["mask"] == mask_digest(right_mask)
    result, photo = load_image(png["path"]).astype(int), load_image(content, 64).astype(int)
    assert np.abs(result[:, :28] - photo[:, :28]).max() <= 1  # left of the mask: the photo
    assert np.abs(result[:, 36:] - photo[:, 36:]).mean() > 2  # the painted side changed


def test_mask_and_control_errors_read_well(client, style_files, tmp_path):
    content, style = style_files
    empty = tmp_path / "empty.png"
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(empty)
    with pytest.raises(AppError, match="The mask is empty"):
        client.predict(handle_file(content), handle_file(style), **SMALL, mask_file=handle_file(str(empty)),
                       api_name="/stylize")
    with pytest.raises(AppError, match="style_layers must be a non-empty list"):
        client.predict(handle_file(content), handle_file(style), **SMALL, style_layers=[], api_name="/stylize")
    with pytest.raises(AppError, match="normalize_gradients needs optimizer='adam'"):
        client.predict(handle_file(content), handle_file(style), **{**SMALL, "optimizer": "lbfgs"},
                       normalize_gradients=True, api_name="/stylize")


def test_recipe_restores_the_advanced_controls(client, tmp_path):
    cfg = StyleConfig(style_layers=("block2_conv2", "block4_conv1"), content_layers=("block4_conv2",),
                      pooling="avg", normalize_gradients=True, mask_feather=6.5)
    path = tmp_path / "recipe.json"
    ran = RunFacts(styles.policy(cfg))  # what its run reports here: float32 (tests/conftest.py)
    path.write_text(json.dumps(make_recipe("style", cfg, ran=ran, weights="random")))
    values = [_value(v) for v in client.predict(handle_file(str(path)), api_name="/style_recipe")]
    assert values[12:18] == [["block2_conv2", "block4_conv1"], ["block4_conv2"], "avg", True, 6.5, "float32"]
