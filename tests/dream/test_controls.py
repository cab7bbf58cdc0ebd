"""DeepDream's controls beyond the tutorial: objectives, channels, threshold, TV, lapnorm, guide, mask.

Each objective and mode is checked against a small NumPy reference; runs use a seeded
random-weight InceptionV3 at tiny sizes.
"""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from genart import models
from genart.dream import LAYER_CHANNELS, TUTORIAL, DreamConfig, dream, lapnorm, objectives
from genart.dream.ascent import ascent_for
from genart.errors import InputError

LAYERS = ("mixed1", "mixed3")


@pytest.fixture(scope="module")
def model():
    return models.dream_extractor(LAYERS, weights="random")


def _acts(model, rgb):
    """The model's activations of ``rgb`` as NumPy arrays (the run's preprocessing)."""
    return [np.asarray(a) for a in model(tf.constant(rgb[None], tf.float32) / 127.5 - 1.0)]


def _config(**kw):
    return DreamConfig(**{**dict(layers=LAYERS, octaves=1, steps_per_octave=1, tile_size=0, preview_every=1), **kw})


def _run(photo, model, **kw):
    return list(dream(photo, _config(**kw), model=model))


# --- the objectives against NumPy ------------------------------------------------------------------

@pytest.fixture(scope="module")
def acts():
    return np.random.default_rng(3).normal(size=(1, 5, 7, 6)).astype(np.float32)


def test_each_objective_matches_numpy(acts):
    assert float(objectives.mean(acts)) == pytest.approx(acts.mean(), rel=1e-5)
    assert float(objectives.l2(acts)) == pytest.approx((acts ** 2).mean(), rel=1e-5)
    assert float(objectives.norm(acts)) == pytest.approx(np.sqrt((acts ** 2).sum()), rel=1e-5)
    assert set(objectives.OBJECTIVES) == {"mean", "l2", "norm"}


def test_channel_selection_and_extremes_match_numpy(acts):
    picked = objectives.select_channels(acts, tf.constant([4, 1]))
    assert np.array_equal(np.asarray(picked), acts[..., [4, 1]])
    strengths = acts.reshape(-1, 6).mean(axis=0)
    assert np.allclose(objectives.channel_strengths(acts), strengths)
    assert objectives.extreme_channels(acts, 2) == tuple(np.argsort(-strengths)[:2])
    assert objectives.extreme_channels(acts, 3, strongest=False) == tuple(np.argsort(strengths)[:3])


def test_guided_objective_matches_numpy(acts):
    guide = np.random.default_rng(4).normal(size=(9, 6)).astype(np.float32)
    x = acts.reshape(-1, 6)
    expected = (x @ guide.T).max(axis=1).mean()
    assert float(objectives.guided(acts, guide)) == pytest.approx(expected, rel=1e-5)
    # its gradient at each position is the best-matching guide vector (the notebook's objective)
    a = tf.constant(acts)
    with tf.GradientTape() as tape:
        tape.watch(a)
        value = objectives.guided(a, guide)
    grad = np.asarray(tape.gradient(value, a)).reshape(-1, 6) * x.shape[0]
    assert np.allclose(grad, guide[(x @ guide.T).argmax(axis=1)], atol=1e-5)


def test_total_variation_matches_numpy():
    img = np.random.default_rng(5).uniform(-1, 1, (6, 8, 3)).astype(np.float32)
    expected = np.abs(np.diff(img, axis=0)).sum() + np.abs(np.diff(img, axis=1)).sum()
    assert float(objectives.total_variation(img)) == pytest.approx(expected, rel=1e-5)


# --- Laplacian-pyramid normalisation ----------------------------------------------------------------

def test_lapnorm_pyramid_reconstructs_and_halves():
    g = tf.constant(np.random.default_rng(6).normal(size=(37, 50, 3)).astype(np.float32))
    levels = lapnorm.split(g, 3)
    assert [tuple(level.shape[1:3]) for level in levels] == [(37, 50), (19, 25), (10, 13), (5, 7)]
    assert np.allclose(np.asarray(lapnorm.merge(levels)), np.asarray(g), atol=1e-5)


def test_lapnorm_normalises_each_level_and_keeps_the_shape():
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32)
    coarse = np.sin(xx / 10.0)[:, :, None] * np.ones(3, np.float32) * 0.01  # weak, smooth
    fine = rng.normal(size=(64, 64, 3)).astype(np.float32)                     # strong, noisy
    g = tf.constant(coarse + fine)
    out = lapnorm.normalize(g, 4)
    assert out.shape == g.shape
    expected = lapnorm.merge([level / lapnorm.rms(level) for level in lapnorm.split(g, 4)])
    assert np.allclose(np.asarray(out), np.asarray(expected), atol=1e-4)
    assert np.allclose(np.asarray(lapnorm.normalize(g * 50.0, 4)), np.asarray(out), atol=1e-4)  # scale-free

    def coarse_share(x):  # energy of the smoothest level relative to the whole
        return float(lapnorm.rms(lapnorm.split(x, 4)[-1]) / lapnorm.rms(x))

    # the std-normalised gradient keeps the coarse part negligible; lapnorm gives it its own weight
    assert coarse_share(out) > 5 * coarse_share(g)


# --- the config ---------------------------------------------------------------------------------------

def test_defaults_are_the_tutorial():
    cfg = DreamConfig()
    assert (cfg.objective, cfg.channel_mode, cfg.channels, cfg.threshold, cfg.tv_weight, cfg.lapnorm_levels,
            cfg.mask_feather) == ("mean", "all", (), None, 0.0, 0, 0.0)
    assert dataclasses.replace(TUTORIAL, precision="auto") == cfg


def test_layer_channel_table_matches_the_network():
    every = models.dream_extractor(models.INCEPTION_LAYERS, weights="random")
    assert {name: int(out.shape[-1]) for name, out in zip(models.INCEPTION_LAYERS, every.outputs)} == LAYER_CHANNELS


@pytest.mark.parametrize("kwargs, message", [
    (dict(objective="sum"), "objective must be one of mean, l2, norm"),
    (dict(channel_mode="some"), "channel_mode must be one of all, chosen, strongest, weakest"),
    (dict(channel_mode="chosen", channels=(3, 800)), r"channels: mixed1 has 288 channels \(0 to 287\); got 800"),
    (dict(channel_mode="chosen", channel_layer="mixed3", channels=(800,)), "mixed3 has 768 channels"),
    (dict(channel_mode="chosen"), "give at least one channel index"),
    (dict(channel_mode="chosen", channels=(2, 2)), "each channel may be chosen only once"),
    (dict(channel_mode="all", channels=(5,)), "channel_mode 'chosen' only; channel_mode is 'all'"),
    (dict(channel_mode="strongest", channels=(5,)), "channel_mode 'chosen' only; channel_mode is 'strongest'"),
    (dict(channels=(-1,)), "channels must be a whole number from 0 to 2047"),
    (dict(channel_layer="mixed7"), "channel_layer: 'mixed7' is not one of the chosen layers"),
    (dict(guide_layer="mixed0"), "guide_layer: 'mixed0' is not one of the chosen layers"),
    (dict(channel_mode="strongest", channel_count=300), "channel_count: mixed1 has 288 channels; got 300"),
    (dict(channel_count=0), "channel_count must be a whole number from 1"),
    (dict(threshold=float("nan")), "threshold must be a number"),
    (dict(tv_weight=-0.1), "tv_weight must be a number from 0 to 10"),
    (dict(lapnorm_levels=7), "lapnorm_levels must be a whole number from 0 to 6"),
    (dict(mask_feather=100.0), "mask_feather must be a number from 0 to 64"),
])
def test_config_refuses_bad_values_with_a_sentence(kwargs, message):
    with pytest.raises(InputError, match=message):
        DreamConfig(layers=LAYERS, **kwargs)


def test_naming_channels_chooses_them_in_the_config_the_cli_and_the_tab(tmp_path, photo):
    """Issue 24.3: ``--channels 5`` alone used to be refused because channel_mode was 'all'."""
    from PIL import Image

    from genart.cli import main
    from genart.recipe import read_recipe
    from genart.ui.dream import make_config

    assert (DreamConfig(layers=LAYERS, channels=(5, 7)).channel_mode, DreamConfig(layers=LAYERS).channel_mode) == \
        ("chosen", "all")
    assert make_config(list(LAYERS), 1, 1.3, 1, 0.01, 0, 96, 0, channel_mode="all", channels="5, 7").channels == (5, 7)
    assert make_config(list(LAYERS), 1, 1.3, 1, 0.01, 0, 96, 0, channel_mode="all", channels="").channel_mode == "all"
    assert make_config(list(LAYERS), 1, 1.3, 1, 0.01, 0, 96, 0, channel_mode="strongest", channels="5").channels == ()
    src, out = tmp_path / "in.png", tmp_path / "out.png"
    Image.fromarray(photo).save(src)
    assert main(["dream", str(src), "--layers", *LAYERS, "--channels", "5", "--octaves", "1", "--steps-per-octave",
                 "1", "--tile-size", "0", "--max-dim", "96", "-o", str(out), "-q"]) == 0
    config = read_recipe(str(out))["config"]
    assert (config["channel_mode"], config["channels"]) == ("chosen", [5])


# --- runs ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("objective", ["l2", "norm"])
def test_objective_is_the_runs_loss(photo, model, objective):
    a1, a3 = _acts(model, photo)
    ref = {"l2": lambda a: (a ** 2).mean(), "norm": lambda a: np.sqrt((a ** 2).sum())}[objective]
    frames = _run(photo, model, objective=objective, layer_weights=(0.5, 2.0))
    assert frames[-1].metrics["loss"] == pytest.approx(0.5 * ref(a1) + 2.0 * ref(a3), rel=1e-4)


def test_chosen_channels_are_the_loss_and_change_the_image(photo, model):
    a1, a3 = _acts(model, photo)
    frames = _run(photo, model, channel_mode="chosen", channel_layer="mixed3", channels=(12, 40),
                  layer_weights=(0.0, 1.0))
    assert frames[-1].metrics["loss"] == pytest.approx(a3[..., [12, 40]].mean(), rel=1e-4)
    steps = dict(steps_per_octave=3, step_size=0.05)
    plain = _run(photo, model, **steps)[-1].image.astype(int)
    chosen = _run(photo, model, channel_mode="chosen", channels=(7,), **steps)[-1].image.astype(int)
    assert np.abs(chosen - photo.astype(int)).mean() > 0.5
    assert np.abs(chosen - plain).mean() > 0.5  # not the all-channel dream


@pytest.mark.parametrize("mode", ["strongest", "weakest"])
def test_strongest_and_weakest_channels_are_measured_on_the_input(photo, model, mode):
    a1, _ = _acts(model, photo)
    strengths = a1.reshape(-1, a1.shape[-1]).mean(axis=0)
    order = np.argsort(-strengths if mode == "strongest" else strengths, kind="stable")[:3]
    frames = _run(photo, model, channel_mode=mode, channel_count=3, layer_weights=(1.0, 0.0))
    assert frames[-1].stage.endswith(f"mixed1 channels {', '.join(map(str, order))}")
    assert frames[-1].metrics["loss"] == pytest.approx(a1[..., order].mean(), rel=1e-4)


def test_threshold_ends_the_run_early(photo, model):
    kw = dict(octaves=2, steps_per_octave=10, step_size=0.05)
    full = _run(photo, model, **kw)
    losses = [f.metrics["loss"] for f in full[1:]]
    assert losses[2] > losses[0]
    traced = ascent_for(model).tracing_count()
    stopped = _run(photo, model, threshold=(losses[0] + losses[2]) / 2, **kw)
    # A threshold is a value of the full run's compiled step, not a step of its own: on a oneDNN CPU two
    # compiled steps of the same math may round differently (each fixes its kernels' work split when it
    # first runs), which the ascent amplifies, so only the same step promises the same picture.
    assert ascent_for(model).tracing_count() == traced
    last = stopped[-1]
    assert last.final and [f.final for f in stopped].count(True) == 1
    assert 1 < last.step < last.total == 20
    assert last.metrics["stopped_at_threshold"] == 1.0 and "threshold" in last.stage
    assert last.metrics["loss"] >= (losses[0] + losses[2]) / 2
    assert np.array_equal(last.image, full[last.step].image)  # the same picture as that step of the full run
    unreached = _run(photo, model, threshold=1e6, **kw)
    assert unreached[-1].step == 20 and "stopped_at_threshold" not in unreached[-1].metrics


def test_tv_weight_smooths_the_dream(photo, model):
    def tv(img):
        return float(objectives.total_variation(img.astype(np.float32)))

    kw = dict(steps_per_octave=4, step_size=0.05)
    rough = _run(photo, model, **kw)[-1].image
    smooth = _run(photo, model, tv_weight=0.5, **kw)[-1].image
    assert tv(smooth) < tv(rough)
    assert np.abs(smooth.astype(int) - photo.astype(int)).mean() > 0.5  # it still dreams


def test_lapnorm_run_dreams(photo, model):
    std = _run(photo, model, steps_per_octave=3, step_size=0.05)[-1].image.astype(int)
    lap = _run(photo, model, steps_per_octave=3, step_size=0.05, lapnorm_levels=3)[-1].image.astype(int)
    assert np.abs(lap - photo.astype(int)).mean() > 0.5 and np.abs(lap - std).mean() > 0.5


def test_mask_keeps_the_outside_unchanged(photo, model):
    mask = np.zeros(photo.shape[:2], np.float32)
    mask[:, :70] = 1.0
    cfg = dict(octaves=3, steps_per_octave=2, step_size=0.05, tile_size=160, max_dim=200)
    out = list(dream(photo, _config(**cfg), model=model, mask=mask))[-1].image
    assert np.array_equal(out[:, 80:], photo[:, 80:])  # outside: the input, to the last level
    assert np.abs(out[:, :60].astype(int) - photo[:, :60].astype(int)).mean() > 0.5  # inside: the dream
    small = mask[::4, ::4]  # another size: resized to the image
    out_small = list(dream(photo, _config(**cfg), model=model, mask=small))[-1].image
    assert np.array_equal(out_small[:, 80:], photo[:, 80:])
    feathered = list(dream(photo, _config(mask_feather=6.0, **cfg), model=model, mask=mask))[-1].image
    edge = np.abs(feathered[:, 70:80].astype(int) - photo[:, 70:80].astype(int)).mean()
    assert 0 < edge < np.abs(feathered[:, :60].astype(int) - photo[:, :60].astype(int)).mean()


def test_empty_mask_and_unreadable_guide_get_a_sentence(photo, model):
    with pytest.raises(InputError, match="The mask is empty"):
        list(dream(photo, _config(), model=model, mask=np.zeros((10, 10), np.float32)))
    with pytest.raises(InputError, match="guide image"):
        list(dream(photo, _config(), model=model, guide=b"not a picture"))


@pytest.mark.slow
def test_guide_is_the_guide_layers_loss(photo, model):
    guide = photo[::-1, ::-1].copy()
    _, g3 = _acts(model, guide)
    _, a3 = _acts(model, photo)
    frames = list(dream(photo, _config(guide_layer="mixed3", layer_weights=(0.0, 1.0)), model=model, guide=guide))
    x, y = a3.reshape(-1, a3.shape[-1]), g3.reshape(-1, g3.shape[-1])
    assert frames[-1].metrics["loss"] == pytest.approx((x @ y.T).max(axis=1).mean(), rel=1e-4)
    two = list(dream(photo, _config(steps_per_octave=3, step_size=0.05), model=model, guide=guide))[-1].image
    assert np.abs(two.astype(int) - _run(photo, model, steps_per_octave=3, step_size=0.05)[-1].image).mean() > 0.5


@pytest.mark.slow
def test_repeated_calls_do_not_retrace(photo, model):
    """The zoom animation calls dream() once a frame: one trace per kind of step, however many calls."""
    ascent = ascent_for(model)
    cfg = _config(steps_per_octave=2, channel_mode="chosen", channels=(3,), tv_weight=0.1, lapnorm_levels=2,
                  objective="l2")
    rng = np.random.default_rng(0)
    list(dream(photo, cfg, model=model, guide=photo, mask=np.ones((8, 8))))  # traces this kind once
    before = ascent.tracing_count()
    for k in range(4):  # new image sizes, channels, weights, TV weight, guide and mask: no new trace
        img = rng.integers(0, 256, (100 + 10 * k, 130 + 5 * k, 3), dtype=np.uint8)
        mask = rng.uniform(0.2, 1.0, (30, 40))
        again = dataclasses.replace(cfg, channels=(k,), tv_weight=0.1 * (k + 1), layer_weights=(1.0, k + 1.0),
                                    step_size=0.01 * (k + 1), seed=k)
        list(dream(img, again, model=model, guide=img[::-1], mask=mask))
    assert ascent.tracing_count() == before
    list(dream(photo, dataclasses.replace(cfg, objective="norm"), model=model, guide=photo, mask=np.ones((8, 8))))
    assert ascent.tracing_count() == before + 1  # another objective: one more kind of step
