"""Issue 30's levers: DiffAugment, the projected discriminator's frozen features, the hinge loss, two
learning rates, genart's quick networks, and the Fréchet yardstick."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from genart.errors import InputError
from genart.gan import GanConfig, GanTrainer
from genart.gan.augment import augment
from genart.gan.config import AUGMENTATIONS
from genart.gan.data import load_shipped_subset, shipped_split
from genart.gan.step import discriminator_view, hinge_discriminator_loss, hinge_generator_loss

TINY = dict(batch_size=16, examples_per_epoch=32, precision="float32")


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_shipped_subset().images[:256]


def batch_of(images: np.ndarray) -> tf.Tensor:
    return tf.constant(images[..., None].astype(np.float32) / 127.5 - 1.0)


# --- DiffAugment -------------------------------------------------------------------------------------
@pytest.mark.parametrize("policy", [(name,) for name in AUGMENTATIONS] + [AUGMENTATIONS])
def test_augmentation_changes_the_images_and_depends_on_the_seed_only(digits, policy):
    x = batch_of(digits[:16])
    a = augment(x, policy, tf.constant([0, 5], tf.int64))
    assert a.shape == x.shape and np.isfinite(a.numpy()).all()
    assert not np.allclose(a.numpy(), x.numpy()), "every transformation must change some image"
    np.testing.assert_array_equal(a.numpy(), augment(x, policy, tf.constant([0, 5], tf.int64)).numpy())
    assert not np.array_equal(a.numpy(), augment(x, policy, tf.constant([0, 6], tf.int64)).numpy())


def test_translation_moves_whole_pixels_and_fills_in_the_background(digits):
    x = batch_of(digits[:32])
    moved = augment(x, ("translation",), tf.constant([1, 2], tf.int64)).numpy()
    source = np.pad(x.numpy(), ((0, 0), (4, 4), (4, 4), (0, 0)), constant_values=-1.0)  # up to 4 px of 28
    offsets = set()
    for i in range(len(moved)):  # each image is its padded original cropped at one of the 9×9 offsets
        found = [(dy, dx) for dy in range(9) for dx in range(9)
                 if np.array_equal(moved[i], source[i, dy:dy + 28, dx:dx + 28])]
        assert found, f"image {i} is not a whole-pixel move"
        offsets.add(found[0])
    assert len(offsets) > 8, "the moves differ between images"
    np.testing.assert_array_equal(augment(x, (), tf.constant([1, 2], tf.int64)).numpy(), x.numpy())


def test_cutout_blanks_a_square_of_half_the_side_or_its_part_inside_the_image(digits):
    x = tf.zeros([64, 28, 28, 1])  # grey everywhere, so every blanked pixel shows
    blanked = (augment(x, ("cutout",), tf.constant([3, 4], tf.int64)).numpy() == -1.0)[..., 0]
    counts = blanked.sum(axis=(1, 2))
    assert counts.max() == 14 * 14 and counts.min() >= 7 * 7
    rows, cols = blanked.any(axis=2), blanked.any(axis=1)
    assert (blanked.sum(axis=(1, 2)) == rows.sum(1) * cols.sum(1)).all(), "a rectangle"


def test_real_and_generated_images_meet_the_same_transformation_and_the_gradient_flows(digits):
    """The augmentation is applied identically to real and generated images (same policy, same draws
    per image), and the generator's gradient flows through it to every generator weight."""
    config = GanConfig(**TINY, networks="quick", augment=AUGMENTATIONS)
    trainer = GanTrainer(config, digits)
    x = batch_of(digits[:16])
    seed = tf.constant([1, 7], tf.int64)
    seen_real, seen_fake = discriminator_view(x, x, config.augment, seed)
    np.testing.assert_array_equal(seen_real.numpy(), seen_fake.numpy())
    assert not np.allclose(seen_real.numpy(), x.numpy())

    noise = tf.random.stateless_normal([16, config.noise_dim], seed=[0, 0])
    generator, discriminator = trainer.generator, trainer.discriminator
    with tf.GradientTape() as tape:
        fakes = generator(noise, training=True)
        _, seen = discriminator_view(x, fakes, config.augment, seed)
        loss = hinge_generator_loss(discriminator(seen, training=True))
    grads = tape.gradient(loss, generator.trainable_variables)
    assert all(g is not None and np.isfinite(g.numpy()).all() and np.abs(g.numpy()).max() > 0 for g in grads)


# --- the projected discriminator ---------------------------------------------------------------------
def test_the_frozen_feature_network_does_not_change_in_a_training_step(digits):
    trainer = GanTrainer(GanConfig(**TINY, networks="quick", discriminator="projected", augment=AUGMENTATIONS),
                         digits)
    features = trainer.discriminator.get_layer("digit_features")
    assert features.weights and not features.trainable_weights
    trainable = {id(v) for v in trainer.discriminator.trainable_variables}
    assert not any(id(v) in trainable for v in features.weights)
    from genart.gan.features import load_weights

    shipped = load_weights()
    before = [w.numpy().copy() for w in features.weights]
    np.testing.assert_array_equal(before[0], shipped["features1_kernel"])  # the trained weights, not seeded ones
    heads = [v.numpy().copy() for v in trainer.discriminator.trainable_variables]
    list(trainer.train(1))
    assert all(np.array_equal(b, w.numpy()) for b, w in zip(before, features.weights))
    assert all(not np.array_equal(h, v.numpy()) for h, v in zip(heads, trainer.discriminator.trainable_variables))


def test_the_feature_networks_are_not_the_meters_and_learn_from_the_training_digits_only():
    from genart.gan import features, frechet, meter
    from genart.paths import asset

    with np.load(asset(meter.ASSET)) as npz:
        held = npz["held_out"]
        meter_arrays = [npz[name] for name in meter.WEIGHT_NAMES]
    np.testing.assert_array_equal(held, shipped_split()[1])  # one split everywhere
    ours = list(features.load_weights().values())
    with np.load(asset(frechet.ASSET)) as npz:
        ours += [npz[name] for name in npz.files if name.endswith(("_kernel", "_bias"))]
    shapes = {a.shape for a in meter_arrays}
    assert not any(o.shape in shapes and np.allclose(o, m) for o in ours for m in meter_arrays if o.shape == m.shape)


# --- losses and rates --------------------------------------------------------------------------------
def test_the_hinge_losses():
    real, fake = tf.constant([[2.0], [0.5]]), tf.constant([[-2.0], [0.0]])
    assert float(hinge_discriminator_loss(real, fake)) == pytest.approx((0 + 0.5) / 2 + (0 + 1) / 2)
    assert float(hinge_generator_loss(fake)) == pytest.approx(1.0)


def test_two_learning_rates_reach_the_two_optimisers(digits):
    trainer = GanTrainer(GanConfig(**TINY, learning_rate=1e-4, d_learning_rate=4e-4), digits)
    assert float(trainer.generator_optimizer.learning_rate) == pytest.approx(1e-4)
    assert float(trainer.discriminator_optimizer.learning_rate) == pytest.approx(4e-4)
    assert GanConfig().discriminator_learning_rate == GanConfig().learning_rate


@pytest.mark.parametrize("field, value", [("networks", "huge"), ("discriminator", "clip"), ("loss", "wasserstein"),
                                          ("d_learning_rate", 2.0), ("augment", ("rotation",))])
def test_config_names_a_bad_lever(field, value):
    with pytest.raises(InputError, match=field):
        GanConfig(**{field: value})


def test_augment_is_kept_in_one_order_and_a_single_name_is_accepted():
    assert GanConfig(augment=("cutout", "translation")).augment == ("translation", "cutout")
    assert GanConfig(augment="cutout").augment == ("cutout",)


def test_quick_networks_train_digits_and_own_pictures_keep_theirs(digits):
    trainer = GanTrainer(GanConfig(**TINY, networks="quick", discriminator="projected"), digits)
    assert trainer.architecture == "quick" and trainer.generator.count_params() < 1_000_000
    frames = list(trainer.train(2))
    assert frames[-1].final and all(np.isfinite(list(f.metrics.values())).all() for f in frames)
    own = GanTrainer(GanConfig(**{**TINY, "dataset": "own"}, networks="quick", discriminator="projected"),
                     np.zeros((32, 32, 32, 3), np.uint8))
    assert own.architecture == "dcgan-32" and "digit_features" not in [layer.name for layer in own.discriminator.layers]


# --- the Fréchet yardstick -------------------------------------------------------------------------
def test_the_frechet_distance_is_zero_for_one_gaussian_and_grows_with_the_gap():
    from genart.gan.frechet import frechet_distance

    rng = np.random.default_rng(0)
    cov = np.cov(rng.standard_normal((500, 8)), rowvar=False)
    mean = rng.standard_normal(8)
    assert frechet_distance(mean, cov, mean, cov) == pytest.approx(0.0, abs=1e-8)
    assert frechet_distance(mean, cov, mean + 1.0, cov) == pytest.approx(8.0, rel=1e-6)
    assert frechet_distance(mean, cov, mean, 4 * cov) == pytest.approx(np.trace(cov), rel=1e-6)  # tr(Σ + 4Σ − 2·2Σ)


def test_the_yardstick_scores_real_held_out_digits_better_than_an_untrained_generator(digits):
    from genart.gan.frechet import load_yardstick

    yardstick = load_yardstick()
    data = load_shipped_subset()
    train = shipped_split()[0]  # the shipped digits are sorted by label: a random set, not the first ones
    real = yardstick.distance(data.images[np.random.default_rng(0).choice(train, 1000, replace=False)])
    trainer = GanTrainer(GanConfig(**TINY), digits)
    noise = np.random.default_rng(0).standard_normal((1000, 100))
    untrained = yardstick.distance(trainer._parts.sample(noise))
    assert 0 < real < untrained / 20


def test_the_trainer_and_its_recipe_say_whose_networks_train(digits):
    from genart.recipe import trainer_recipe

    quick = GanTrainer(GanConfig(**TINY, networks="quick", discriminator="projected", augment=("translation",)),
                       digits)
    assert quick.networks_note.startswith("Genart's quick networks, not the tutorial's") or \
        quick.networks_note.startswith("genart's quick networks, not the tutorial's")
    assert "frozen digit network" in quick.networks_note and "translation" in quick.networks_note
    assert trainer_recipe(quick)["run"]["networks"] == quick.networks_note
    tutorial = GanTrainer(GanConfig(**TINY), digits)
    assert tutorial.networks_note == "The tutorial's networks."
