"""DeepDream's new controls through the tab's API (gradio_client) and the command line."""

import json

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from genart.cli import main
from genart.dream import DreamConfig
from genart.images import load_image
from genart.fingerprints import image_digest, mask_digest
from genart.recipe import config_from_recipe, make_recipe, read_recipe
from genart.ui.dream import make_config, parse_channels

SMALL = dict(layers=["mixed2"], octaves=1, octave_scale=1.3, steps_per_octave=2, step_size=0.05, tile_size=0,
             max_dim=128, seed=0)


@pytest.fixture()
def files(tmp_path, photo):
    """Paths of the photo and of a mask whose left half is white."""
    image = tmp_path / "photo.png"
    Image.fromarray(photo).save(image)
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[:, :70] = 255
    mask_path = tmp_path / "mask.png"
    Image.fromarray(mask).save(mask_path)
    return str(image), str(mask_path)


def test_make_config_maps_controls_to_fields():
    cfg = make_config(["mixed3", "mixed5"], 2, 1.3, 5, 0.01, 0, 128, 1, "l2", "mixed5", "chosen", "12, 40", 4,
                      " 3.5 ", 0.2, 3, "", 4.0, {"mixed3": 1.0, "mixed5": 0.5, "mixed0": 9.0})
    assert (cfg.layer_weights, cfg.objective, cfg.channel_layer, cfg.channel_mode, cfg.channels, cfg.threshold,
            cfg.tv_weight, cfg.lapnorm_levels, cfg.guide_layer, cfg.mask_feather) == \
        ((1.0, 0.5), "l2", "mixed5", "chosen", (12, 40), 3.5, 0.2, 3, None, 4.0)
    # all weights 1: the tutorial's None; channels typed while another mode is chosen are not used (typed with
    # "all", they are the chosen ones: test_dream_controls.test_naming_channels_chooses_them_…)
    plain = make_config(["mixed3"], 5, 1.3, 100, 0.01, 512, 500, 0, channel_mode="all", channels="",
                        threshold="", weights={"mixed3": 1})
    assert plain == DreamConfig(precision="auto", layers=("mixed3",))
    assert make_config(["mixed3"], 5, 1.3, 100, 0.01, 512, 500, 0, channel_mode="weakest", channels="7").channels == ()
    assert parse_channels(" 3 ,4;5 ") == (3, 4, 5) and parse_channels("") == ()
    with pytest.raises(Exception, match="channels: write channel numbers separated by commas"):
        parse_channels("twelve")
    with pytest.raises(Exception, match="threshold must be a number"):
        make_config(["mixed3"], 5, 1.3, 100, 0.01, 512, 500, 0, threshold="high")


def test_tab_runs_channels_weights_and_a_mask_and_the_recipe_has_them(client, files, photo):
    image, mask = files
    *_, png, gif = client.predict(handle_file(image), **SMALL, channel_mode="chosen", channels="3, 5",
                                  tv_weight=0.1, lapnorm_levels=2, mask_upload=handle_file(mask),
                                  weight_mixed2=2.0, api_name="/dream")
    recipe = read_recipe(png["path"], "dream")
    cfg = config_from_recipe(recipe)
    assert (cfg.channel_mode, cfg.channels, cfg.layer_weights, cfg.tv_weight, cfg.lapnorm_levels) == \
        ("chosen", (3, 5), (2.0,), 0.1, 2)
    assert recipe["inputs"]["mask"] == mask_digest(mask)  # as the style tab fingerprints its masks
    out = load_image(png["path"])
    small = load_image(image, 128)
    inside = np.abs(out[:, :50].astype(int) - small[:, :50].astype(int)).mean()
    outside = np.abs(out[:, 64:].astype(int) - small[:, 64:].astype(int)).max()
    assert outside == 0 and inside > 0.5


def test_tab_says_what_is_wrong(client, files):
    image, _ = files
    with pytest.raises(AppError, match=r"channels: mixed2 has 288 channels \(0 to 287\); got 300"):
        client.predict(handle_file(image), **SMALL, channel_mode="chosen", channels="300", api_name="/dream")
    with pytest.raises(AppError, match="channels: write channel numbers"):
        client.predict(handle_file(image), **SMALL, channel_mode="chosen", channels="a, b", api_name="/dream")
    with pytest.raises(AppError, match="guide image"):
        bad = files[1].replace("mask.png", "bad.png")
        open(bad, "w").write("not a picture")
        client.predict(handle_file(image), **SMALL, guide=handle_file(bad), api_name="/dream")


def test_threshold_run_ends_as_done_with_its_reason(client, files):
    image, _ = files
    *_, status, png, _gif = client.predict(handle_file(image), **{**SMALL, "steps_per_octave": 20},
                                           threshold="-1e6", api_name="/dream")
    assert status.startswith("stopped: the loss reached the threshold") and "step 1/20" in status
    assert png["path"].endswith(".png")


def test_recipe_restores_the_new_controls(client, tmp_path):
    cfg = DreamConfig(layers=("mixed3", "mixed5"), layer_weights=(1.5, 0.25), objective="norm",
                      channel_layer="mixed5", channel_mode="chosen", channels=(1, 9), threshold=2.5, tv_weight=0.3,
                      lapnorm_levels=4, guide_layer="mixed3", mask_feather=3.0)
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(make_recipe("dream", cfg, weights="random")))
    values = client.predict(handle_file(str(path)), api_name="/dream_recipe")
    value = [v["value"] if isinstance(v, dict) and "value" in v else v for v in values]
    assert value[8:18] == ["norm", "mixed5", "chosen", "1, 9", 4, "2.5", 0.3, 4, "mixed3", 3.0]
    weights = dict(zip([f"mixed{i}" for i in range(11)], value[18:29]))
    assert weights["mixed3"] == 1.5 and weights["mixed5"] == 0.25 and weights["mixed0"] == 1.0


def test_a_zoom_recipe_restores_the_zoom_sliders(client, tmp_path):
    cfg = DreamConfig(layers=("mixed3",), zoom_frames=12, zoom=1.1, zoom_steps=7)
    path = tmp_path / "zoom.json"
    path.write_text(json.dumps(make_recipe("dream", cfg, weights="random")))
    values = client.predict(handle_file(str(path)), api_name="/dream_recipe")
    value = [v["value"] if isinstance(v, dict) and "value" in v else v for v in values]
    assert value[-3:] == [12, 1.1, 7]


@pytest.mark.slow
def test_cli_mask_guide_and_new_options(tmp_path, files, photo, capsys):
    image, mask = files
    out = tmp_path / "out.png"
    argv = ["dream", image, "--layers", "mixed2", "--octaves", "1", "--steps-per-octave", "2", "--tile-size", "0",
            "--max-dim", "128", "--step-size", "0.05", "--objective", "l2", "--channel-mode", "strongest",
            "--channel-count", "3", "--tv-weight", "0.1", "--mask", mask, "--guide", image, "-o", str(out), "-q",
            "--weights", "random"]
    assert main(argv) == 0
    recipe = read_recipe(str(out), "dream")
    assert recipe["config"]["objective"] == "l2" and recipe["config"]["channel_mode"] == "strongest"
    assert recipe["inputs"]["guide"] == image_digest(photo)
    assert recipe["inputs"]["mask"] == mask_digest(mask)  # as the style tab fingerprints its masks
    result = load_image(str(out))
    assert np.array_equal(result[:, 64:], load_image(image, 128)[:, 64:])
    capsys.readouterr()
    assert main(["dream", image, "--mask", str(tmp_path / "none.png"), "-o", str(out)]) == 1
    assert "none.png: no such file." in capsys.readouterr().err
    assert main(["dream", image, "--channel-mode", "chosen", "--channels", "999", "--layers", "mixed0",
                 "-o", str(out)]) == 1
    assert "channels: mixed0 has 256 channels (0 to 255); got 999." in capsys.readouterr().err
