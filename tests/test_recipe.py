"""Recipes in PNGs and JSON: round trips, refusals with clear sentences, reproduction, and the tabs' restore."""

import dataclasses
import io
import json
import types

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from genart import __version__, models, precision
from genart.dream import DreamConfig, dream
from genart.errors import InputError
from genart.export import save_png
from genart.gan import GanConfig
from genart.fingerprints import image_digest
from genart.fast_style import FastStyleConfig
from genart.frames import THIS_PROCESS, RunFacts
from genart.images import load_image
from genart.recipe import (MAX_RECIPE_BYTES, RECIPE_KEY, config_from_recipe, make_recipe, png_text, read_recipe,
                           record_run, trainer_recipe)
from genart.style import StyleConfig, stylize

CONFIGS = {
    "dream": DreamConfig(layers=("mixed2", "mixed4"), layer_weights=(1.0, 0.5), octaves=2, steps_per_octave=3,
                         tile_size=0, max_dim=96, seed=7),
    "style": StyleConfig(steps=4, max_dim=64, scales=2, blend=(1.0, 3.0), preserve_colors=True, init="noise",
                         style_layers=("block1_conv1", "block2_conv1"), seed=3),
    "gan": GanConfig(batch_size=16, learning_rate=2e-4, beta_1=0.5, examples_per_epoch=None, seed=5),
}


def final_frame(frames):
    *_, final = frames
    assert final.final
    return final


def last(frames):
    return final_frame(frames).image


@pytest.fixture()
def recipe_png(tmp_path, photo):
    """A PNG written with a DeepDream recipe; returns (path, recipe)."""
    recipe = make_recipe("dream", CONFIGS["dream"], weights="random", inputs={"image": photo})
    path = tmp_path / "dream.png"
    save_png(path, photo, text=png_text(recipe))
    return str(path), recipe



def ran(cfg):
    """``cfg`` as its recipe records it: ``auto`` precision becomes the dtype that ran (float32 in the tests)."""
    return dataclasses.replace(cfg, precision=precision.resolve(cfg.precision).dtype)


def reported(algorithm, cfg):
    """What a run of ``cfg`` reports here (its frames' facts)."""
    return RunFacts(precision.resolve(cfg.precision, algorithm))

@pytest.mark.parametrize("algorithm", list(CONFIGS))
def test_round_trip_through_png_and_json(tmp_path, photo, algorithm):
    cfg = CONFIGS[algorithm]
    recipe = make_recipe(algorithm, cfg, ran=reported(algorithm, cfg), weights="random" if algorithm != "gan" else None,
                         inputs={"image": photo, "styles": [photo, photo[::-1]], "none": None}, run={"steps": 4})
    assert recipe["genart"] == __version__ and recipe["seed"] == cfg.seed and recipe["algorithm"] == algorithm
    assert recipe["inputs"]["image"].startswith("sha256:") and len(recipe["inputs"]["styles"]) == 2
    assert "none" not in recipe["inputs"]
    png = tmp_path / "out.png"
    save_png(png, photo, text=png_text(recipe))
    with Image.open(png) as img:
        assert img.info["Software"] == f"genart {__version__}" and "seed" in img.info["Description"]
    for source in (str(png), png.read_bytes(), io.BytesIO(png.read_bytes())):
        back = read_recipe(source, algorithm)
        assert back == json.loads(json.dumps(recipe))
        assert config_from_recipe(back) == ran(cfg)  # lists back to tuples, every field equal
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(recipe, indent=2))
    assert config_from_recipe(read_recipe(str(path))) == ran(cfg)


def test_recipe_is_read_from_the_text_chunks_without_the_pixels(recipe_png):
    path, recipe = recipe_png
    data = open(path, "rb").read()
    cut = data[: data.index(b"IDAT") + 20]  # the image data cut off after a few bytes
    assert read_recipe(cut) == recipe


def test_small_hand_written_json_fills_in_defaults():
    recipe = read_recipe(json.dumps({"algorithm": "style", "seed": 9, "config": {"steps": 5, "blend": [1, 2]}}).encode())
    assert config_from_recipe(recipe) == StyleConfig(steps=5, blend=(1.0, 2.0), seed=9)


@pytest.mark.parametrize("content, message", [
    (b"hello, I am a text file", "not a genart recipe"),
    (b"{not json", "not valid JSON"),
    (b'{"algorithm": "dream", "config": {"octaves": NaN}}', "not valid JSON"),
    (b"[1, 2]", "not a genart recipe"),
    (b'{"algorithm": "dream", "config": {}, "extra": 1}', "unknown keys: extra"),
    (b'{"algorithm": "painting", "config": {}}', "algorithm must be one of dream, style, fast_style, gan; got 'painting'"),
    (b'{"algorithm": "dream", "config": [1]}', "'config' must be a JSON object"),
    (b'{"algorithm": "dream", "config": {"octavez": 3}}', "unknown fields for DeepDream: octavez"),
    (b'{"algorithm": "dream", "config": {"octaves": 50}}', "settings are not valid: octaves must be a whole number"),
    (b'{"algorithm": "dream", "config": {"layers": [["mixed3"]]}}', "settings are not valid"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "PNG could not be read"),
    (b"{" + b" " * MAX_RECIPE_BYTES + b"}", "larger than 64 KB"),
])
def test_junk_is_refused_with_a_sentence(content, message):
    with pytest.raises(InputError, match=message):
        config_from_recipe(read_recipe(content))


def test_png_without_recipe_and_other_algorithms_are_refused(tmp_path, photo, recipe_png):
    plain = tmp_path / "plain.png"
    Image.fromarray(photo).save(plain)
    with pytest.raises(InputError, match="carries no genart recipe"):
        read_recipe(str(plain))
    with pytest.raises(InputError, match="This recipe is for DeepDream, not style transfer"):
        read_recipe(recipe_png[0], "style")
    with pytest.raises(InputError, match="could not be read"):
        read_recipe(str(tmp_path / "missing.png"))


def test_image_digest_is_of_the_decoded_pixels(tmp_path, photo):
    png, jpg = tmp_path / "a.png", tmp_path / "a.jpg"
    Image.fromarray(photo).save(png)
    Image.fromarray(photo).save(jpg, quality=90)
    assert image_digest(str(png)) == image_digest(photo) == image_digest(png.read_bytes())
    assert image_digest(str(jpg)) != image_digest(photo)  # JPEG changed the pixels
    assert image_digest(photo[:, ::-1]) != image_digest(photo)


# --- re-running a recipe reproduces the picture -------------------------------------------------------

def _reloaded(path):
    recipe = read_recipe(path)
    return config_from_recipe(recipe), np.asarray(Image.open(path).convert("RGB"))


# --- what ran travels with the run -------------------------------------------------------------------

#: What a worker that computed in bfloat16 reports, where the app's own auto would be float32.
WORKER_BF16 = precision.Policy("bfloat16", "auto", "bfloat16: its step measured 2.1× float32's speed on this machine.",
                               "dream", 2.1)
CLUSTER = "Ray cluster at 10.0.0.5:6379, node 10.0.0.7"


@pytest.fixture()
def no_deciding(monkeypatch):
    """precision.resolve raises: whatever records a recipe must not decide the precision again."""
    def decide(*args, **kwargs):
        raise AssertionError("precision was decided again after the run")

    monkeypatch.setattr(precision, "resolve", decide)
    monkeypatch.setattr(precision.policy, "resolve", decide)


def test_a_recipe_records_the_precision_its_run_reported_and_decides_nothing(no_deciding):
    cfg = DreamConfig()
    recipe = make_recipe("dream", cfg, ran=RunFacts(WORKER_BF16, CLUSTER), weights="random")
    assert recipe["config"]["precision"] == "bfloat16"  # what ran, though the app's auto would be float32
    assert recipe["run"] == {"precision": WORKER_BF16.reason}
    assert config_from_recipe(recipe).precision == "bfloat16"  # a replay computes in what ran
    here = make_recipe("dream", cfg, ran=RunFacts(WORKER_BF16), weights="random")
    assert here == recipe  # where it ran changes nothing in the picture, nor in its recipe
    settings = make_recipe("dream", cfg, weights="random")  # no run: the settings as asked
    assert settings["config"]["precision"] == "auto" and settings["run"] == {}
    fast = make_recipe("fast_style", FastStyleConfig(), ran=RunFacts(None, CLUSTER), weights="random",
                       run={"model": "random"})
    assert fast["run"] == {"model": "random"}  # no precision to choose


def test_a_report_that_contradicts_its_config_is_refused(no_deciding):
    with pytest.raises(ValueError, match="the run reports bfloat16, but its config asked for float32"):
        make_recipe("dream", DreamConfig(precision="float32"), ran=RunFacts(WORKER_BF16))
    forced = make_recipe("dream", DreamConfig(precision="bfloat16"), ran=RunFacts(WORKER_BF16))
    assert forced["config"]["precision"] == "bfloat16"


def test_record_run_adds_a_finished_runs_facts_to_a_recipe_made_before_it(no_deciding):
    before = make_recipe("style", StyleConfig(), weights="random", run={"steps": 4})
    after = record_run(before, RunFacts(dataclasses.replace(WORKER_BF16, algorithm="style"), CLUSTER))
    assert after["config"]["precision"] == "bfloat16" and after["run"]["precision"].startswith("bfloat16: its step")
    assert after["run"]["steps"] == 4 and before["config"]["precision"] == "auto"  # a new recipe; the first unchanged
    assert record_run(before, None) == before


def test_a_trainers_recipe_takes_the_trainers_own_policy(no_deciding):
    gan_bf16 = precision.Policy("bfloat16", "auto", "bfloat16, set by GENART_PRECISION.", "gan")
    trainer = types.SimpleNamespace(config=GanConfig(), facts=RunFacts(gan_bf16, CLUSTER), step=8, epoch=1.0,
                                    data_source="given", num_examples=256, data_digest=None,
                                    networks_note="The tutorial's networks and losses.")
    recipe = trainer_recipe(trainer)
    assert recipe["config"]["precision"] == "bfloat16"
    assert recipe["run"] == {"steps": 8, "epochs": 1.0, "data": "given", "examples": 256,
                             "networks": "The tutorial's networks and losses.", "precision": gan_bf16.reason}


def test_a_runs_frames_report_its_policy(photo):
    frames = list(dream(photo, DreamConfig(layers=("mixed2",), octaves=1, steps_per_octave=2, tile_size=0, max_dim=64),
                        model=models.dream_extractor(("mixed2",), "random")))
    assert {f.facts for f in frames} == {RunFacts(precision.resolve("auto", "dream"), THIS_PROCESS)}
    assert frames[-1].facts.precision.dtype == "float32"  # GENART_PRECISION in tests/conftest.py


def test_dream_recipe_reproduces_the_image(tmp_path, photo):
    # tiled (tile 160 > the 96 px image): the random roll of each step depends on the seed
    cfg = DreamConfig(layers=("mixed2",), octaves=2, steps_per_octave=3, step_size=0.05, tile_size=160, max_dim=96,
                      seed=11)
    model = models.dream_extractor(cfg.layers, "random")
    final = final_frame(dream(photo, cfg, model=model))
    first = final.image
    path = tmp_path / "dream.png"
    save_png(path, first, text=png_text(make_recipe("dream", cfg, ran=final.facts, weights="random",
                                                    inputs={"image": photo})))
    again_cfg, stored = _reloaded(str(path))
    assert again_cfg == ran(cfg) and np.array_equal(stored, first)
    again = last(dream(photo, again_cfg, model=models.dream_extractor(again_cfg.layers, "random")))
    assert np.array_equal(again, first)  # measured: TF on CPU gives bit-equal pixels, in-process and across runs
    other = last(dream(photo, DreamConfig(**{**again_cfg.__dict__, "seed": 12}), model=model))
    assert not np.array_equal(other, first)  # the seed is what made it


@pytest.mark.slow
def test_style_recipe_reproduces_the_image(tmp_path, photo):
    yy, xx = np.mgrid[0:64, 0:64]
    stripes = (((xx + yy) // 5) % 2 * 200 + 30).astype(np.uint8)
    style = np.stack([stripes, 255 - stripes, stripes // 2], axis=2)
    cfg = StyleConfig(steps=4, max_dim=64, init="noise", seed=4)
    model = models.vgg19_extractor(cfg.style_layers, cfg.content_layers, "random")
    final = final_frame(stylize(photo, style, cfg, model=model))
    first = final.image
    path = tmp_path / "style.png"
    save_png(path, first, text=png_text(make_recipe("style", cfg, ran=final.facts, weights="random",
                                                    inputs={"content": photo, "styles": [style]})))
    again_cfg, stored = _reloaded(str(path))
    assert again_cfg == ran(cfg) and np.array_equal(stored, first)
    again = last(stylize(photo, style, again_cfg, model=model))
    assert np.array_equal(again, first)
    other = last(stylize(photo, style, StyleConfig(**{**again_cfg.__dict__, "seed": 5}), model=model))
    assert not np.array_equal(other, first)


# --- the tabs' recipe drop zones ------------------------------------------------------------------------

def _value(update):
    return update["value"] if isinstance(update, dict) and "value" in update else update


def test_dream_tab_restores_every_control(client, recipe_png):
    values = client.predict(handle_file(recipe_png[0]), api_name="/dream_recipe")
    cfg = CONFIGS["dream"]
    assert [_value(v) for v in values][:8] == [list(cfg.layers), cfg.octaves, cfg.octave_scale, cfg.steps_per_octave,
                                           cfg.step_size, cfg.tile_size, cfg.max_dim, cfg.seed]


def test_style_tab_restores_log_weights_blend_and_the_rest(client, tmp_path):
    cfg = StyleConfig(style_weight=1e-3, content_weight=1e5, tv_weight=12.0, steps=1500, max_dim=128,
                      optimizer="lbfgs", scales=3, preserve_colors=True, style_scale=0.5, blend=(1.0, 3.0),
                      init="noise", seed=42)
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(make_recipe("style", cfg, ran=reported("style", cfg), weights="random")))
    values = [_value(v) for v in client.predict(handle_file(str(path)), api_name="/style_recipe")]
    assert values[0] == pytest.approx(-3) and values[1] == pytest.approx(5)
    assert values[2:12] == [12.0, 1500, 128, "lbfgs", 3, True, 0.5, 0.75, "noise", 42]
    assert values[12:18] == [list(cfg.style_layers), list(cfg.content_layers), "max", False, 0.0, "float32"]
    assert values[18] == "Optimisation (step by step)"  # the method (its fast controls are left alone)


def test_gan_tab_restores_dataset_preset_rate_batch_epochs_examples(client, tmp_path):
    cfg = GanConfig(batch_size=64, learning_rate=3e-4, beta_1=0.5, dataset="fashion_mnist", examples_per_epoch=1200)
    path = tmp_path / "gan.json"
    path.write_text(json.dumps(make_recipe("gan", cfg, run={"steps": 38, "epochs": 2.1})))
    values = [_value(v) for v in client.predict(handle_file(str(path)), api_name="/gan_recipe")]
    assert values == ["fashion_mnist", "dcgan-paper", 3e-4, 64, 3, 1200, "auto"]
    own = GanConfig(dataset="own", colour="grey")
    path.write_text(json.dumps(make_recipe("gan", own, inputs={"dataset": "sha256:0123456789abcdef"})))
    values = [_value(v) for v in client.predict(handle_file(str(path)), api_name="/gan_recipe")]
    assert values[0] == "own" and values[-1] == "grey"


def test_tab_refuses_a_recipe_for_another_tab_or_a_broken_file(client, tmp_path, recipe_png):
    with pytest.raises(AppError, match="This recipe is for DeepDream, not style transfer"):
        client.predict(handle_file(recipe_png[0]), api_name="/style_recipe")
    broken = tmp_path / "broken.json"
    broken.write_text("{oops")
    with pytest.raises(AppError, match="not valid JSON"):
        client.predict(handle_file(str(broken)), api_name="/gan_recipe")


@pytest.mark.slow
def test_app_pngs_carry_their_recipe(client, tmp_path, photo):
    path = tmp_path / "photo.png"
    Image.fromarray(photo).save(path)
    *_, png, gif = client.predict(handle_file(str(path)), ["mixed2"], 1, 1.3, 2, 0.02, 0, 128, 3, api_name="/dream")
    recipe = read_recipe(png["path"], "dream")
    assert recipe["inputs"]["image"] == image_digest(photo) and recipe["weights"] == "random"
    assert config_from_recipe(recipe) == ran(DreamConfig(layers=("mixed2",), octaves=1, steps_per_octave=2,
                                                         step_size=0.02, tile_size=0, max_dim=128, seed=3))
    assert load_image(png["path"]).shape == (96, 128, 3)
    client.predict("mnist", "tutorial", 1e-4, 64, 1, 128, api_name="/train_gan")
    samples = client.predict(api_name="/gan_png")
    gan = read_recipe(samples["path"], "gan")
    assert gan["run"]["steps"] == 2 and gan["config"]["batch_size"] == 64 and gan["config"]["examples_per_epoch"] == 128
    assert RECIPE_KEY in Image.open(samples["path"]).info
