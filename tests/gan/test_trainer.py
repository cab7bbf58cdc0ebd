"""genart.gan: the tutorial's networks, a training step that learns, resumable and checkpointed runs."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from genart.gan.data import load_shipped_subset
from genart.errors import InputError
from genart.frames import Frame
from genart.gan import PRESETS, GanConfig, GanTrainer, preset
from genart.gan.networks import make_discriminator, make_generator
from genart.gan.step import discriminator_loss, generator_loss

# Tiny runs: 32 examples per epoch in batches of 16 → 2 steps per epoch.
TINY = dict(batch_size=16, examples_per_epoch=32)


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_shipped_subset().images[:512]


def tiny(**overrides) -> GanConfig:
    return GanConfig(**{**TINY, **overrides})


# --- a reference written the way the TensorFlow DCGAN tutorial writes it --------------------------
def tutorial_generator():
    L = keras.layers
    model = keras.Sequential()
    model.add(L.Input((100,)))
    model.add(L.Dense(7 * 7 * 256, use_bias=False))
    model.add(L.BatchNormalization())
    model.add(L.LeakyReLU())
    model.add(L.Reshape((7, 7, 256)))
    model.add(L.Conv2DTranspose(128, (5, 5), strides=(1, 1), padding="same", use_bias=False))
    model.add(L.BatchNormalization())
    model.add(L.LeakyReLU())
    model.add(L.Conv2DTranspose(64, (5, 5), strides=(2, 2), padding="same", use_bias=False))
    model.add(L.BatchNormalization())
    model.add(L.LeakyReLU())
    model.add(L.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding="same", use_bias=False, activation="tanh"))
    return model


def tutorial_discriminator():
    L = keras.layers
    model = keras.Sequential()
    model.add(L.Input((28, 28, 1)))
    model.add(L.Conv2D(64, (5, 5), strides=(2, 2), padding="same"))
    model.add(L.LeakyReLU())
    model.add(L.Dropout(0.3))
    model.add(L.Conv2D(128, (5, 5), strides=(2, 2), padding="same"))
    model.add(L.LeakyReLU())
    model.add(L.Dropout(0.3))
    model.add(L.Flatten())
    model.add(L.Dense(1))
    return model


ARCH_KEYS = ("units", "use_bias", "filters", "kernel_size", "strides", "padding", "activation", "rate",
             "negative_slope", "target_shape", "momentum", "epsilon")


def layer_signature(model):
    return [(type(layer).__name__, {k: v for k, v in layer.get_config().items() if k in ARCH_KEYS},
             tuple(layer.output.shape), layer.count_params()) for layer in model.layers]


def test_architecture_and_parameter_counts_equal_the_tutorial():
    gen, disc = make_generator(), make_discriminator(seed=0)
    assert layer_signature(gen) == layer_signature(tutorial_generator())
    assert layer_signature(disc) == layer_signature(tutorial_discriminator())
    # The tutorial's model summaries: 2,330,944 (2,305,472 trainable) and 212,865 parameters.
    assert gen.count_params() == 2_330_944
    assert sum(int(np.prod(v.shape)) for v in gen.trainable_variables) == 2_305_472
    assert disc.count_params() == 212_865
    assert gen(tf.zeros([2, 100])).shape == (2, 28, 28, 1) and disc(tf.zeros([2, 28, 28, 1])).shape == (2, 1)


def test_losses_equal_the_tutorials_formulas():
    rng = np.random.default_rng(0)
    real, fake = (tf.constant(rng.normal(size=(8, 1)), tf.float32) for _ in range(2))
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
    want_d = cross_entropy(tf.ones_like(real), real) + cross_entropy(tf.zeros_like(fake), fake)
    want_g = cross_entropy(tf.ones_like(fake), fake)
    np.testing.assert_allclose(float(discriminator_loss(real, fake)), float(want_d), rtol=1e-6)
    np.testing.assert_allclose(float(generator_loss(fake)), float(want_g), rtol=1e-6)
    # by hand: BCE(1, l) = softplus(-l), BCE(0, l) = softplus(l)
    np.testing.assert_allclose(float(generator_loss(fake)), np.mean(np.log1p(np.exp(-fake.numpy()))), rtol=1e-5)


def test_presets_and_defaults_are_the_documented_values():
    cfg = GanConfig()
    assert (cfg.batch_size, cfg.learning_rate, cfg.beta_1, cfg.noise_dim) == (256, 1e-4, 0.9, 100)
    assert (PRESETS["dcgan-paper"].learning_rate, PRESETS["dcgan-paper"].beta_1) == (2e-4, 0.5)
    assert preset("dcgan-paper", batch_size=64).batch_size == 64
    with pytest.raises(InputError, match="preset"):
        preset("wgan")


@pytest.mark.parametrize("field, value", [
    ("batch_size", 0), ("batch_size", 4096), ("batch_size", 2.5), ("learning_rate", 0.0), ("learning_rate", 1.0),
    ("beta_1", 1.0), ("noise_dim", 0), ("dataset", "cifar10"), ("examples_per_epoch", 0), ("preview_every", 0),
    ("seed", -1),
])
def test_config_rejects_bad_values_naming_the_field(field, value):
    with pytest.raises(InputError, match=field):
        GanConfig(**{field: value})


def test_bad_data_and_epochs_are_clear_errors(digits):
    with pytest.raises(InputError, match="N×28×28"):
        GanTrainer(tiny(), digits.astype(np.float32))
    with pytest.raises(InputError, match="N×28×28"):
        GanTrainer(tiny(), np.zeros((10, 32, 32), np.uint8))
    trainer = GanTrainer(tiny(), digits)
    with pytest.raises(InputError, match="epochs"):
        trainer.train(0)


@pytest.mark.slow
def test_one_step_changes_both_networks_with_finite_losses(digits):
    trainer = GanTrainer(tiny(examples_per_epoch=16), digits)
    assert trainer.steps_per_epoch == 1
    before = [v.numpy().copy() for v in trainer.generator.trainable_variables + trainer.discriminator.trainable_variables]
    frames = list(trainer.train(1))
    after = [v.numpy() for v in trainer.generator.trainable_variables + trainer.discriminator.trainable_variables]
    assert all(not np.array_equal(b, a) for b, a in zip(before, after)), "every trainable tensor must move"
    (frame,) = frames
    assert isinstance(frame, Frame) and frame.final and frame.step == frame.total == 1 == trainer.step
    assert frame.stage == "epoch 1/1"
    assert all(math.isfinite(frame.metrics[k]) for k in ("gen_loss", "disc_loss", "real_score", "fake_score"))
    assert 0 < frame.metrics["real_score"] < 1 and 0 < frame.metrics["fake_score"] < 1
    # the grid: 4×4 samples of 28 px with 2 px gaps, upscaled 4×
    assert frame.image.dtype == np.uint8 and frame.image.shape == (4 * (4 * 30 + 2), 4 * (4 * 30 + 2), 3)


@pytest.mark.slow
def test_train_step_equals_the_tutorials_step_with_keras_adam(digits):
    """Our step writes Adam out (Keras' apply_gradients leaks memory when traced per trainer); it must
    still be the tutorial's train_step: same losses, same Keras Adam update, step after step."""
    config = tiny(learning_rate=2e-4, beta_1=0.5)
    ours, ref = GanTrainer(config, digits), GanTrainer(config, digits)  # seeded: identical networks
    batches = list(ours._batches(0, 3))
    for step, batch in enumerate(batches):
        ours._parts.train_step(batch, tf.constant(step, tf.int64))
        images = tf.cast(batch, tf.float32) / 127.5 - 1.0
        noise = tf.random.stateless_normal([len(batch), config.noise_dim], seed=tf.constant([config.seed, step], tf.int64))
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:  # the tutorial's train_step, eagerly
            generated_images = ref.generator(noise, training=True)
            real_output = ref.discriminator(images, training=True)
            fake_output = ref.discriminator(generated_images, training=True)
            gen_loss = generator_loss(fake_output)
            disc_loss = discriminator_loss(real_output, fake_output)
        ref.generator_optimizer.apply_gradients(zip(gen_tape.gradient(gen_loss, ref.generator.trainable_variables),
                                                    ref.generator.trainable_variables))
        ref.discriminator_optimizer.apply_gradients(zip(
            disc_tape.gradient(disc_loss, ref.discriminator.trainable_variables), ref.discriminator.trainable_variables))
    def state(t):
        return (t.generator.weights + t.discriminator.weights + t.generator_optimizer.variables
                + t.discriminator_optimizer.variables)

    assert len(state(ours)) == len(state(ref)) > 40
    for a, b in zip(state(ours), state(ref)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-5, atol=1e-6, err_msg=a.path)
    assert int(ours.generator_optimizer.iterations) == int(ref.generator_optimizer.iterations) == 3


def test_discriminator_learns_in_a_few_steps(digits):
    frames = list(GanTrainer(tiny(examples_per_epoch=16, learning_rate=2e-4), digits).train(4))
    d_losses = [f.metrics["disc_loss"] for f in frames]
    assert d_losses[-1] < d_losses[0] - 0.02
    assert frames[-1].metrics["real_score"] > frames[0].metrics["real_score"]


@pytest.mark.slow
def test_frame_contract_and_preview_cadence(digits):
    trainer = GanTrainer(tiny(examples_per_epoch=48, preview_every=2), digits)  # 3 steps per epoch
    frames = list(trainer.train(2))
    assert [f.step for f in frames] == [1, 2, 3, 4, 5, 6]
    assert {f.total for f in frames} == {6} and [f.final for f in frames] == [False] * 5 + [True]
    assert [f.stage for f in frames] == ["epoch 1/2"] * 3 + ["epoch 2/2"] * 3
    # a new grid at step 1, every 2 steps, at each epoch's end and at the last step; the same array between
    new_grid = [i == 0 or frames[i].image is not frames[i - 1].image for i in range(6)]
    assert new_grid == [True, False, True, False, True, True]
    assert "sec_per_step" not in frames[0].metrics and frames[-1].metrics["sec_per_step"] > 0
    assert "eta_s" not in frames[-1].metrics  # the time left is genart.ui.progress.Tracker's, as in every tab
    assert trainer.history()["step"] == [1, 2, 3, 4, 5, 6]


@pytest.mark.slow
def test_the_tracker_tells_a_training_runs_time_left_also_when_it_continues(digits):
    from genart import estimate, gan
    from genart.ui import progress

    trainer = GanTrainer(tiny(examples_per_epoch=48), digits)  # 3 steps per epoch
    for run in range(2):  # Train, then Continue: its frames count from the trainer's first step
        plan = estimate.estimate(gan.COSTING, trainer.config, epochs=1, num_examples=len(digits), fresh=False,
                                 measure=False)
        tracker = progress.Tracker(plan)
        left = [tracker.remaining() for _ in tracker.wrap(trainer.train(1))]
        assert all(v is None or v >= 0 for v in left) and left[-1] == 0.0
        assert all(v is not None and v > 0 for v in left[1:-1]), left  # from the run's pace after its first step


@pytest.mark.slow
def test_train_twice_equals_training_on(digits):
    a, b = GanTrainer(tiny(), digits), GanTrainer(tiny(), digits)
    list(a.train(1))
    list(a.train(1))
    list(b.train(2))
    assert a.step == b.step == 4
    for x, y in zip(a.generator.weights + a.discriminator.weights, b.generator.weights + b.discriminator.weights):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    assert a.history() == b.history()
    np.testing.assert_array_equal(a.grid(), b.grid())


def test_different_seeds_give_different_runs(digits):
    a, b = GanTrainer(tiny(seed=1), digits), GanTrainer(tiny(seed=2), digits)
    assert not np.array_equal(a.grid(), b.grid())


@pytest.mark.slow
def test_checkpoint_restore_gives_identical_grids_and_training(digits, tmp_path):
    a = GanTrainer(tiny(), digits)
    list(a.train(1))
    a.save(tmp_path / "ckpt")
    b = GanTrainer(tiny(), digits)
    assert not np.array_equal(a.grid(), b.grid())
    b.restore(tmp_path / "ckpt")
    assert b.step == a.step == 2
    np.testing.assert_array_equal(a.grid(), b.grid())
    assert b.history() == a.history()
    list(a.train(1))
    list(b.train(1))  # optimiser moments, dropout state and the step counter came back too
    for x, y in zip(a.generator.weights + a.discriminator.weights, b.generator.weights + b.discriminator.weights):
        np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_restore_rejects_missing_or_mismatched_checkpoints(digits, tmp_path):
    trainer = GanTrainer(tiny(), digits)
    with pytest.raises(InputError, match="No genart GAN checkpoint"):
        trainer.restore(tmp_path)
    GanTrainer(tiny(noise_dim=8), digits).save(tmp_path / "small")
    with pytest.raises(InputError, match="noise_dim 8"):
        trainer.restore(tmp_path / "small")


@pytest.mark.slow
def test_stopped_run_leaves_the_trainer_consistent_and_continue_resumes(digits):
    trainer = GanTrainer(tiny(examples_per_epoch=64), digits)  # 4 steps per epoch
    run = trainer.train(2)
    next(run), next(run)
    run.close()  # what Stop / a closed tab does to the stream
    assert trainer.step == 2 and len(trainer.history()["step"]) == 2
    abandoned = trainer.train(1)
    next(abandoned)  # step 3, then the generator is dropped without close()
    frames = list(trainer.train(1))  # a newer run retires the abandoned one
    assert [f.step for f in frames] == [4] and frames[-1].final and frames[-1].stage == "epoch 1/1"
    assert list(abandoned) == [] and trainer.step == 4
    reference = GanTrainer(tiny(examples_per_epoch=64), digits)
    list(reference.train(1))
    for x, y in zip(trainer.generator.weights, reference.generator.weights):
        np.testing.assert_array_equal(x.numpy(), y.numpy())


@pytest.mark.slow
def test_export_generator_and_timelapse(digits, tmp_path):
    import imageio.v3 as iio

    trainer = GanTrainer(tiny(preview_every=1), digits)
    list(trainer.train(2))
    path = trainer.export_generator(tmp_path / "g.keras")
    loaded = keras.models.load_model(path)
    z = tf.random.normal([3, 100])
    np.testing.assert_allclose(loaded(z, training=False), trainer.generator(z, training=False), atol=1e-6)
    gif = iio.imread(trainer.timelapse(tmp_path / "t.gif"), index=None)
    grid = trainer.grid()
    assert gif.shape[0] == 4 and gif.shape[1:3] == grid.shape[:2] == (488, 488)  # kept at 1×, written at 4×
    assert np.abs(gif[-1][..., :3].astype(int) - grid.astype(int)).mean() < 2  # the last frame is the grid now
    assert len(trainer._timelapse) == 4 and trainer._timelapse._frames[0].shape == (122, 122, 3)
    with pytest.raises(InputError, match=".keras"):
        trainer.export_generator(tmp_path / "g.h5")


def test_closed_trainer_refuses_to_train(digits):
    trainer = GanTrainer(tiny(), digits)
    run = trainer.train(1)
    trainer.close()
    assert list(run) == []
    with pytest.raises(InputError, match="closed"):
        trainer.train(1)


@pytest.mark.slow
def test_trainers_of_a_loaded_dataset_share_one_copy_of_its_images(digits):
    """Every visitor's trainer would otherwise hold its own 47 MB copy of MNIST."""
    a, b = GanTrainer(tiny(examples_per_epoch=16)), GanTrainer(tiny(examples_per_epoch=16, seed=3))
    assert a._images is b._images and a.num_examples == b.num_examples
    given = GanTrainer(tiny(), digits)
    assert given._images is not a._images and given.num_examples == len(digits)
    for trainer in (a, b, given):
        trainer.close()


@pytest.mark.slow
def test_close_frees_the_networks_at_once_and_refuses_further_use(digits, tmp_path):
    """A server replaces trainers all day: a closed one must give its memory back now, not at some later
    garbage collection (Keras models and tf.functions sit in reference cycles)."""
    import weakref

    trainer = GanTrainer(tiny(), digits)
    list(trainer.train(1))
    generator, step_fn = weakref.ref(trainer.generator), weakref.ref(trainer._parts.train_step)
    trainer.close()
    assert generator() is None and step_fn() is None
    assert trainer.step == 2 and trainer.history()["step"] == [1, 2]  # what it did stays readable
    for use in (trainer.grid, lambda: trainer.save(tmp_path), lambda: trainer.timelapse(tmp_path / "t.gif"),
                lambda: trainer.export_generator(tmp_path / "g.keras"), lambda: trainer.train(1)):
        with pytest.raises(InputError, match="closed"):
            use()
    trainer.close()  # twice is fine


@pytest.mark.slow
def test_the_averaged_generator_draws_every_picture_while_training_is_unchanged(digits, tmp_path):
    """Issue 22: with ema_decay the grid, new samples, walks and the .keras download come from the moving
    average of the generator's weights; the training itself (losses, raw weights) is the same as without."""
    import keras

    from genart.gan.walk import latent_walk

    raw, averaged = GanTrainer(tiny(), digits), GanTrainer(tiny(ema_decay=0.99), digits)
    losses = [[f.metrics["gen_loss"] for f in t.train(1)] for t in (raw, averaged)]
    assert losses[0] == losses[1]  # training unchanged
    for a, b in zip(raw.generator.get_weights(), averaged.generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    shown = averaged._parts.shown
    assert shown is not averaged.generator
    assert any(not np.allclose(a, b) for a, b in zip(shown.get_weights(), averaged.generator.get_weights()))
    noise = np.random.default_rng(3).standard_normal((4, 100)).astype(np.float32)
    expect = np.clip(np.round((shown(noise, training=False).numpy() + 1) * 127.5), 0, 255).astype(np.uint8)
    assert np.abs(averaged.generate(noise)[..., :1].astype(int) - expect).max() <= 1  # samples and walks use it
    assert not np.array_equal(averaged.grid(), raw.grid())  # so does the grid
    walk = next(iter(latent_walk(averaged, points=2, frames_between=2, seed=3))).image
    assert walk.shape[2] == 3
    path = averaged.export_generator(str(tmp_path / "g.keras"))
    for a, b in zip(keras.models.load_model(path).get_weights(), shown.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_the_digit_meter_scores_mnist_grids_only(digits):
    trainer = GanTrainer(tiny(), digits)
    frames = list(trainer.train(1))
    assert trainer.meter is not None and {"digit_confidence", "digit_coverage", "digits_reached"} <= set(
        frames[-1].metrics)
    scores = trainer.digits()
    assert scores["step"] and scores["step"][-1] == frames[-1].step and scores["reached"] == [False] * len(scores["step"])
    fashion = GanTrainer(tiny(dataset="fashion_mnist"), digits)
    assert fashion.meter is None and "digit_confidence" not in next(iter(fashion.train(1))).metrics
