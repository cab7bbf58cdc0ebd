"""genart.gan after training: new samples by seed, latent walks (slerp, frames, MP4/GIF), D's scores."""

import dataclasses

import imageio.v3 as iio
import imageio_ffmpeg
import numpy as np
import pytest

from genart.gan.data import load_shipped_subset
from genart.errors import InputError
from genart.export import save_mp4
from genart.gan import GRID_SCALE, GanConfig, GanTrainer
from genart.gan.walk import MAX_FRAMES, latent_walk, save_gif, slerp, walk_noise

TINY = dict(batch_size=16, examples_per_epoch=32)


@pytest.fixture(scope="module")
def trainer():
    t = GanTrainer(GanConfig(**TINY), load_shipped_subset().images[:256])
    for _ in t.train(1):
        pass
    yield t
    t.close()


def test_samples_are_reproducible_by_seed_and_differ_between_seeds(trainer):
    a = trainer.samples(3)
    assert a.dtype == np.uint8 and a.shape == trainer.grid().shape  # 4×4 like the preview grid
    assert np.array_equal(a, trainer.samples(3))
    assert not np.array_equal(a, trainer.samples(4))
    assert not np.array_equal(a, trainer.grid())  # fresh noise, not the fixed preview noise
    nine = trainer.samples(3, n=9)
    assert nine.shape == ((3 * 30 + 2) * GRID_SCALE, (3 * 30 + 2) * GRID_SCALE, 3)
    # the same noise draw: the 3×3 grid's first sample is the 4×4 grid's first sample
    cell = slice(2 * GRID_SCALE, 30 * GRID_SCALE)
    assert np.array_equal(nine[cell, cell], a[cell, cell])


@pytest.mark.slow
def test_samples_follow_the_weights_and_survive_a_checkpoint(tmp_path):
    images = load_shipped_subset().images[:64]
    t = GanTrainer(GanConfig(**TINY), images)
    before = t.samples(5)
    for _ in t.train(1):
        pass
    after = t.samples(5)
    assert not np.array_equal(before, after)
    t.save(tmp_path)
    other = GanTrainer(GanConfig(**TINY), images)
    other.restore(tmp_path)
    assert np.array_equal(other.samples(5), after)
    t.close(), other.close()


@pytest.mark.parametrize("kwargs, field", [(dict(seed=-1), "seed"), (dict(seed=0, n=0), "n"),
                                           (dict(seed=0, n=65), "n"), (dict(seed=1.5), "seed")])
def test_bad_sample_settings_name_the_field(trainer, kwargs, field):
    with pytest.raises(InputError, match=field):
        trainer.samples(**kwargs)


def test_generate_refuses_noise_of_the_wrong_shape(trainer):
    with pytest.raises(InputError, match="noise must be N×100"):
        trainer.generate(np.zeros((2, 50)))


def test_slerp_keeps_to_the_great_circle_at_constant_angular_speed():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(100), rng.standard_normal(100)
    b *= np.linalg.norm(a) / np.linalg.norm(b)
    path = slerp(a, b, np.linspace(0, 1, 11))
    assert np.allclose(path[0], a) and np.allclose(path[-1], b)
    assert np.allclose(np.linalg.norm(path, axis=1), np.linalg.norm(a))  # a straight line would dip inside
    assert np.linalg.norm((a + b) / 2) < 0.8 * np.linalg.norm(a)
    steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
    assert np.allclose(steps, steps[0])
    assert np.allclose(slerp(a, 2 * a, 0.5), 1.5 * a)  # parallel vectors: a straight line
    assert slerp(a, b, 0.3).shape == (100,)


def test_walk_noise_visits_the_seeds_points_and_loops():
    noise = walk_noise(4, 6, seed=9, noise_dim=100)
    keys = np.random.default_rng(9).standard_normal((4, 100))
    assert noise.shape == (24, 100) and noise.dtype == np.float32
    assert np.allclose(noise[::6], keys, atol=1e-5)
    # the frame after the last is the first key point again: the last step is as small as the others
    steps = np.linalg.norm(np.diff(np.concatenate([noise, noise[:1]]), axis=0), axis=1)
    assert steps.max() < 0.2 * np.linalg.norm(keys[0] - keys[1])


def test_latent_walk_frames_contract_and_start_at_the_samples_of_its_seed(trainer):
    frames = list(latent_walk(trainer, points=3, frames_between=4, seed=3))
    assert [f.step for f in frames] == list(range(1, 13)) and {f.total for f in frames} == {12}
    assert [f.final for f in frames] == [False] * 11 + [True]
    assert [f.stage for f in frames[::4]] == ["point 1/3", "point 2/3", "point 3/3"]
    assert [f.metrics["t"] for f in frames[:4]] == [0.0, 0.25, 0.5, 0.75]
    assert all(f.image.shape == (224, 224, 3) and f.image.dtype == np.uint8 for f in frames)
    first_sample = trainer.samples(3)[2 * GRID_SCALE:30 * GRID_SCALE, 2 * GRID_SCALE:30 * GRID_SCALE]
    assert np.array_equal(frames[0].image[::2, ::2], first_sample)  # walk ×8, grid ×4
    # smooth: neighbouring frames differ less than frames a key point apart
    images = np.stack([f.image for f in frames]).astype(np.float32)
    near = np.abs(np.diff(images, axis=0)).mean()
    far = np.abs(images[0] - images[4]).mean()
    assert near < far


@pytest.mark.parametrize("kwargs, field", [(dict(points=1), "points"), (dict(points=17), "points"),
                                           (dict(frames_between=0), "frames_between"),
                                           (dict(points=16, frames_between=61), "frames_between"),
                                           (dict(seed=-2), "seed")])
def test_bad_walk_settings_are_sentences_before_anything_is_drawn(trainer, kwargs, field):
    with pytest.raises(InputError, match=field):
        next(latent_walk(trainer, **kwargs))
    assert 16 * 60 == MAX_FRAMES


def test_the_walks_mp4_and_gif_have_the_frames_it_says(trainer, tmp_path):
    frames = list(latent_walk(trainer, points=2, frames_between=9, seed=1))
    mp4 = save_mp4(frames, tmp_path / "walk.mp4", fps=12)
    count, seconds = imageio_ffmpeg.count_frames_and_secs(mp4)
    assert count == 18 and seconds == pytest.approx(1.5, abs=0.1)
    reader = imageio_ffmpeg.read_frames(mp4)
    assert next(reader)["size"] == (224, 224)  # the reader's first item describes the video
    decoded = np.frombuffer(next(reader), np.uint8).reshape(224, 224, 3).astype(np.float32)
    assert np.abs(decoded - frames[0].image).mean() < 6  # lossy, but the same picture
    gif = iio.imread(save_gif(frames, tmp_path / "walk.gif", fps=12))
    assert gif.shape == (18, 224, 224, 3)
    assert np.abs(gif[5].astype(np.float32) - frames[5].image).mean() < 3


def test_save_mp4_refuses_no_frames(tmp_path):
    with pytest.raises(ValueError, match="no frames"):
        save_mp4([], tmp_path / "x.mp4")


@pytest.mark.slow
def test_history_records_both_scores_of_the_discriminator():
    t = GanTrainer(GanConfig(**TINY), load_shipped_subset().images[:64])
    frames = list(t.train(2))
    history = t.history()
    assert len(history["real_score"]) == len(history["fake_score"]) == len(history["step"]) == 4
    assert history["real_score"] == pytest.approx([f.metrics["real_score"] for f in frames])
    assert history["fake_score"] == pytest.approx([f.metrics["fake_score"] for f in frames])
    assert all(0 < v < 1 for v in history["real_score"] + history["fake_score"])
    t.close()


def test_the_fast_preset_and_the_tutorial_preset_left_exact():
    from genart.gan import PRESETS

    fast = PRESETS["fast"]
    assert (fast.batch_size, fast.learning_rate, fast.beta_1, fast.precision, fast.ema_decay) == \
        (64, 2e-4, 0.5, "auto", 0.99)
    assert (fast.networks, fast.discriminator, fast.loss, fast.augment) == ("tutorial", "pixels", "bce", ())
    assert PRESETS["tutorial"] == GanConfig(precision="float32")  # the tutorial's values, exact float32
    assert (GanConfig().networks, GanConfig().discriminator, GanConfig().loss, GanConfig().augment,
            GanConfig().d_learning_rate) == ("tutorial", "pixels", "bce", (), None)  # the tutorial's
    from genart.ui.gan import DEFAULT_PRESET

    assert DEFAULT_PRESET == "quick" and PRESETS["quick"].networks == "quick"  # issue 30


def test_the_tabs_default_train_sends_the_default_preset_and_the_cli_starts_from_it():
    """Issue 22: the tab's controls start at genart.gan.DEFAULT_PRESET, and what Train builds from
    them is that preset's config (EMA included); the CLI's default config is the same preset."""
    from genart.cli.commands import _config
    from genart.cli.main import build_parser
    from genart.gan import DEFAULT_PRESET, DIGIT_STEPS, PRESETS
    from genart.ui import build_demo
    from genart.ui import gan as ui_gan

    demo = build_demo()
    value = {b.elem_id: b.value for b in demo.blocks.values()
             if hasattr(b, "value") and str(b.elem_id).startswith("gan-")}
    config = ui_gan.make_config(value["gan-dataset"], value["gan-preset"], value["gan-lr"], value["gan-batch"],
                                value["gan-examples"], value["gan-colour"])
    assert value["gan-preset"] == DEFAULT_PRESET and config.ema_decay > 0
    assert config == dataclasses.replace(PRESETS[DEFAULT_PRESET], examples_per_epoch=config.examples_per_epoch)
    assert config.examples_per_epoch in (None, ui_gan.examples_available("mnist"))  # all the digits there are
    steps = value["gan-epochs"] * -(-ui_gan.examples_available("mnist") // config.batch_size)
    assert DIGIT_STEPS <= steps < DIGIT_STEPS + 1000  # enough epochs for digit shapes, offline (7) or not (1)
    assert ui_gan.default_epochs("own") == ui_gan.default_epochs("fashion_mnist") == 1
    args = build_parser().parse_args(["gan"])
    assert _config(args, "gan")[0] == PRESETS[DEFAULT_PRESET]
    assert _config(build_parser().parse_args(["gan", "--preset", "tutorial"]), "gan")[0] == PRESETS["tutorial"]


def test_the_estimate_line_says_when_digits_usually_appear(monkeypatch):
    from genart.gan import DIGIT_STEPS, PRESETS
    from genart.ui import gan_plots as plots

    monkeypatch.setattr(plots, "estimate", lambda *a, **k: type("E", (), {"seconds": 0.1 * k["num_examples"] / 64})())
    text = plots.digits_expectation(PRESETS["fast"])
    assert f"after about {DIGIT_STEPS} steps (about {plots.format_duration(0.1 * DIGIT_STEPS)} here)" in text
    monkeypatch.setattr(plots, "estimate", lambda *a, **k: type("E", (), {"seconds": None})())
    assert "here" not in plots.digits_expectation(PRESETS["fast"])  # not timed yet: no made-up seconds


@pytest.mark.slow
def test_forced_bfloat16_trains_with_bfloat16_inside_and_float32_outside():
    t = GanTrainer(GanConfig(batch_size=2, examples_per_epoch=4, precision="bfloat16"),
                   load_shipped_subset().images[:8])
    assert t.precision.dtype == "bfloat16"
    for net in (t.generator, t.discriminator):
        assert {layer.compute_dtype for layer in net.layers[:-1]} == {"bfloat16"}
        assert net.layers[-1].compute_dtype == "float32"  # images and logits leave in float32
        assert {v.dtype for v in net.weights} == {"float32"}
    assert {v.dtype for v in t.generator_optimizer.variables if "iteration" not in v.path} == {"float32"}
    before = [w.copy() for w in t.generator.get_weights()]
    frames = list(t.train(1))
    assert all(np.isfinite(list(f.metrics.values())).all() for f in frames)
    assert any(not np.array_equal(a, b) for a, b in zip(before, t.generator.get_weights()))
    assert t.samples(1, n=4).dtype == np.uint8
    t.close()
