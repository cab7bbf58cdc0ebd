"""The DCGAN on own pictures: the 32-px networks, training, sharing, and checkpoints that know their architecture."""

import io
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from genart import gan
from genart.gan.data import load_shipped_subset
from genart.errors import InputError
from genart.gan import GanConfig, GanTrainer
from genart.gan.networks import (architecture_for, make_discriminator, make_discriminator_32, make_generator,
                                 make_generator_32)
from genart.gan.imagesets import load_image_set

TINY = dict(batch_size=16, examples_per_epoch=32, dataset="own")


def shapes(n: int, seed: int = 0, grey: bool = False) -> np.ndarray:
    """``n`` 32×32 pictures of a coloured disc or square on a coloured background."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:32, 0:32]
    out = np.empty((n, 32, 32, 3), np.uint8)
    for i in range(n):
        cy, cx, r = rng.integers(10, 22, 2).tolist() + [int(rng.integers(4, 9))]
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r if i % 2 else (abs(yy - cy) < r) & (abs(xx - cx) < r)
        out[i] = rng.integers(0, 256, 3)
        out[i][mask] = rng.integers(0, 256, 3)
    return out[..., :1] if grey else out


def tiny(**overrides) -> GanConfig:
    return GanConfig(**{**TINY, **overrides})


def as_zip(images: np.ndarray) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i, img in enumerate(images):
            png = io.BytesIO()
            Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img).save(png, format="PNG")
            zf.writestr(f"{i:04d}.png", png.getvalue())
    return buf.getvalue()


@pytest.fixture(scope="module")
def colour_set():
    return load_image_set(as_zip(shapes(64, seed=1)))


def test_the_32px_networks_extend_the_tutorials_by_one_stage():
    for channels in (1, 3):
        gen, disc = make_generator_32(100, channels), make_discriminator_32(channels, seed=0)
        assert gen(tf.zeros([2, 100])).shape == (2, 32, 32, channels)
        assert disc(tf.zeros([2, 32, 32, channels])).shape == (2, 1)
        # the tutorial's layer types in order, with one more up/down-sampling stage
        tutorial_g = [type(layer).__name__ for layer in make_generator().layers]
        assert [type(layer).__name__ for layer in gen.layers] == tutorial_g[:7] + tutorial_g[4:]
        tutorial_d = [type(layer).__name__ for layer in make_discriminator(0).layers]
        assert [type(layer).__name__ for layer in disc.layers] == tutorial_d[:6] + tutorial_d[3:]
        # the parameter counts the module's docstring states
        c = channels
        assert gen.count_params() == 409_600 + 16_384 + 819_200 + 512 + 409_600 + 512 + 204_800 + 256 + 1600 * c
        assert disc.count_params() == (1600 * c + 64) + 204_928 + 819_456 + 4097
    assert gan.networks.__doc__.count("1 865 664") == 1 and make_generator_32(100, 3).count_params() == 1_865_664


def test_networks_take_a_dtype_policy_and_give_float32():
    gen = make_generator_32(100, 3, dtype="mixed_bfloat16")
    disc = make_discriminator_32(3, seed=0, dtype="mixed_bfloat16")
    assert gen.layers[0].compute_dtype == "bfloat16" and gen.layers[0].kernel.dtype == "float32"
    assert gen(tf.zeros([2, 100])).dtype == tf.float32 and disc(tf.zeros([2, 32, 32, 3])).dtype == tf.float32
    assert make_generator(100, dtype="mixed_bfloat16")(tf.zeros([1, 100])).dtype == tf.float32


def test_architecture_follows_the_data_shape():
    assert architecture_for((28, 28, 1)) == "tutorial"
    assert architecture_for((32, 32, 3)) == architecture_for((32, 32, 1)) == "dcgan-32"
    assert architecture_for((28, 28, 3)) is None and architecture_for((64, 64, 3)) is None
    assert gan.image_shape(GanConfig()) == (28, 28, 1)
    assert gan.image_shape(tiny()) == (32, 32, 3) and gan.image_shape(tiny(colour="grey")) == (32, 32, 1)


def test_own_config_needs_pictures_and_bad_shapes_are_sentences():
    with pytest.raises(InputError, match='dataset "own" needs the pictures'):
        GanTrainer(tiny())
    with pytest.raises(InputError, match="colour must be one of auto, colour, grey"):
        tiny(colour="sepia")
    with pytest.raises(InputError, match=r"N×32×32×C with C 1 or 3 .own pictures.; got uint8 \(64, 32, 32, 2\)"):
        GanTrainer(tiny(), np.zeros((64, 32, 32, 2), np.uint8))


@pytest.mark.parametrize("grey", [False, True])
@pytest.mark.slow
def test_a_few_steps_on_own_pictures_change_both_networks(grey):
    data = shapes(64, grey=grey)
    trainer = GanTrainer(tiny(learning_rate=2e-4), data)
    assert trainer.architecture == "dcgan-32" and trainer.image_shape == (32, 32, 1 if grey else 3)
    variables = trainer.generator.trainable_variables + trainer.discriminator.trainable_variables
    before = [v.numpy().copy() for v in variables]
    frames = list(trainer.train(2))
    assert all(not np.array_equal(b, v.numpy()) for b, v in zip(before, variables)), "every trainable tensor moves"
    assert [f.step for f in frames] == [1, 2, 3, 4] and frames[-1].final
    assert frames[-1].metrics["disc_loss"] < frames[0].metrics["disc_loss"]
    # a 4×4 grid of 32 px samples with 2 px gaps, upscaled 4×; colour samples are not grey
    image = frames[-1].image
    assert image.shape == (4 * (4 * 34 + 2), 4 * (4 * 34 + 2), 3) and image.dtype == np.uint8
    assert (np.ptp(image.astype(int), axis=2).max() == 0) == grey
    trainer.close()


@pytest.mark.slow
def test_trainers_on_the_same_pictures_share_them_and_other_uploads_stay_apart(colour_set):
    import gc

    a = GanTrainer(tiny(), colour_set)
    b = GanTrainer(tiny(seed=5), load_image_set(as_zip(shapes(64, seed=1))))  # the same pictures, uploaded again
    other_set = load_image_set(as_zip(shapes(64, seed=2)))
    c = GanTrainer(tiny(), other_set)
    assert a.data_digest == b.data_digest == colour_set.digest != c.data_digest == other_set.digest
    assert a._images is b._images and c._images is not a._images
    np.testing.assert_array_equal(a._images.numpy(), colour_set.images)
    np.testing.assert_array_equal(c._images.numpy(), other_set.images)
    # a plain array with the same pixels finds the same copy by its digest
    d = GanTrainer(tiny(), np.array(colour_set.images))
    assert d._images is a._images
    key = ("own", colour_set.digest)
    from genart.gan import trainset as trainer_module

    assert key in trainer_module._shared_own
    for t in (a, b, d):
        t.close()
    gc.collect()
    assert key not in trainer_module._shared_own and ("own", other_set.digest) in trainer_module._shared_own
    c.close()


@pytest.mark.slow
def test_checkpoint_round_trip_of_an_own_data_model(colour_set, tmp_path):
    a = GanTrainer(tiny(), colour_set)
    list(a.train(1))
    a.save(tmp_path / "ckpt")
    import json

    meta = json.loads((tmp_path / "ckpt" / "genart_gan.json").read_text())
    assert meta["architecture"] == "dcgan-32" and meta["image_shape"] == [32, 32, 3]
    assert meta["data"] == {"source": "own", "digest": colour_set.digest, "examples": 64}
    assert meta["config"]["dataset"] == "own"
    b = GanTrainer(tiny(), colour_set)
    b.restore(tmp_path / "ckpt")
    np.testing.assert_array_equal(a.grid(), b.grid())
    list(a.train(1))
    list(b.train(1))
    for x, y in zip(a.generator.weights + a.discriminator.weights, b.generator.weights + b.discriminator.weights):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    # the exported generator draws 32×32 colour pictures
    loaded = keras.models.load_model(a.export_generator(tmp_path / "g.keras"))
    z = tf.random.normal([2, 100])
    np.testing.assert_allclose(loaded(z, training=False), a.generator(z, training=False), atol=1e-6)
    assert loaded(z).shape == (2, 32, 32, 3)


def test_restore_refuses_another_architecture_or_image_shape_with_a_sentence(colour_set, tmp_path):
    GanTrainer(tiny(), colour_set).save(tmp_path / "colour")
    GanTrainer(tiny(), shapes(64, grey=True)).save(tmp_path / "grey")
    digits = GanTrainer(GanConfig(batch_size=16, examples_per_epoch=32), load_shipped_subset().images[:64])
    digits.save(tmp_path / "digits")
    with pytest.raises(InputError, match=r"The checkpoint holds the 32×32 networks for colour pictures \(32×32×3\); "
                                         r"this trainer has the tutorial's 28×28 networks for grey pictures "
                                         r"\(28×28×1\)\. Restore it into a trainer on pictures of the same size"):
        digits.restore(tmp_path / "colour")
    grey = GanTrainer(tiny(), shapes(64, grey=True))
    with pytest.raises(InputError, match=r"holds the 32×32 networks for colour pictures .*this trainer has the "
                                         r"32×32 networks for grey pictures \(32×32×1\)"):
        grey.restore(tmp_path / "colour")
    with pytest.raises(InputError, match="holds the tutorial's 28×28 networks for grey pictures"):
        grey.restore(tmp_path / "digits")
    grey.restore(tmp_path / "grey")  # the matching one loads
    # a checkpoint from before the architecture was recorded is the tutorial's
    import json

    meta_path = tmp_path / "digits" / "genart_gan.json"
    meta = json.loads(meta_path.read_text())
    del meta["architecture"], meta["image_shape"]
    meta_path.write_text(json.dumps(meta))
    digits.restore(tmp_path / "digits")
    with pytest.raises(InputError, match="holds the tutorial's 28×28 networks"):
        grey.restore(tmp_path / "digits")


@pytest.mark.slow
def test_a_new_batch_size_or_data_never_retraces_the_step(colour_set):
    trainer = GanTrainer(tiny(), colour_set)
    trainer.time_step(16)
    trainer.time_step(8)
    list(trainer.train(1))
    assert trainer._parts.train_step.experimental_get_tracing_count() == 1


@pytest.mark.slow
def test_the_cost_estimate_times_the_networks_a_run_would_use():
    """An own-data run is costed on a probe trainer with the 32-px networks, not the tutorial's."""
    from genart import estimate

    config = tiny(batch_size=8)
    assert gan.step_seconds(config, (8,)) > 0
    from genart.gan import run

    probe, _ = run._probe_for(config)
    assert probe.architecture == "dcgan-32" and probe.image_shape == (32, 32, 3)
    grey_probe, _ = run._probe_for(tiny(batch_size=8, colour="grey"))
    assert grey_probe.image_shape == (32, 32, 1)
    est = estimate.estimate(gan.COSTING, config, epochs=2, num_examples=64, measure=True)
    assert est.seconds is not None and est.seconds > 0
    key = gan.cost_key(config)
    assert key[-1] == (32, 32, 3) and estimate._timings.startup((*key, 8)) > 0  # a new trainer's build at batch 8
