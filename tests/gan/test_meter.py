"""The "looks like digits" meter (genart.gan.meter) and the script that makes its classifier."""

import importlib.util
import os
import re

import numpy as np
import pytest

from genart.gan.data import load_shipped_subset
from genart.errors import DataUnavailable
from genart.gan import meter
from genart.paths import asset


@pytest.fixture(scope="module")
def script():
    """assets/make_digit_classifier.py as a module."""
    spec = importlib.util.spec_from_file_location("make_digit_classifier", asset("make_digit_classifier.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def held_out():
    """The classifier's 1 000 held-out digits (uint8 N×28×28) and their labels."""
    with np.load(asset(meter.ASSET), allow_pickle=False) as npz:
        idx = npz["held_out"]
    digits = load_shipped_subset()
    return digits.images[idx], digits.labels[idx]


def test_asset_is_small_plain_arrays_loaded_once():
    path = asset(meter.ASSET)
    assert os.path.getsize(path) < 300_000
    with np.load(path, allow_pickle=False) as npz:  # no object arrays: nothing to unpickle
        for name in meter.WEIGHT_NAMES:
            assert npz[name].dtype == np.float32
        assert npz["dense_kernel"].shape == (7 * 7 * 32, 10)
    assert meter.load_meter() is meter.load_meter()


@pytest.mark.slow
def test_real_held_out_digits_reach_the_threshold(held_out):
    m = meter.load_meter()
    images, labels = held_out
    probs = m.probabilities(images)
    assert (probs.argmax(1) == labels).mean() > 0.94
    rng = np.random.default_rng(2024)  # other sets than the script's
    scores = [m.score(images[rng.choice(len(images), meter.SET_SIZE, replace=False)]) for _ in range(200)]
    reached = np.mean([m.reached(s) for s in scores])
    assert reached > 0.75  # the threshold is real sets' 10th percentile in confidence and in coverage
    assert np.median([s.confidence for s in scores]) > m.threshold.confidence
    assert np.median([s.coverage for s in scores]) > m.threshold.coverage


def test_untrained_generator_and_junk_score_below_the_threshold(held_out):
    from genart.gan import GanTrainer, preset

    m = meter.load_meter()
    images, _ = held_out
    trainer = GanTrainer(preset("fast", batch_size=16), data=images[:64])
    try:
        noise = np.random.default_rng(0).standard_normal((meter.SET_SIZE, trainer.config.noise_dim))
        untrained = m.score(trainer.generate(noise))  # uint8 N×28×28×3
    finally:
        trainer.close()
    assert not m.reached(untrained) and untrained.coverage <= 2
    rng = np.random.default_rng(1)
    real = images[:meter.SET_SIZE]
    shuffled = np.stack([rng.permutation(d.ravel()).reshape(28, 28) for d in real])  # a digit's ink, scattered
    noise_images = rng.uniform(-1, 1, (meter.SET_SIZE, 28, 28, 1)).astype(np.float32)
    for junk in (shuffled, noise_images, np.zeros_like(real)):
        assert not m.reached(m.score(junk))


def test_samples_in_every_accepted_form_score_alike(held_out):
    m = meter.load_meter()
    digits = held_out[0][:meter.SET_SIZE]
    floats = digits.astype(np.float32) / 127.5 - 1.0  # the generator's range
    reference = m.probabilities(digits)
    np.testing.assert_allclose(m.probabilities(floats[..., None]), reference, atol=1e-5)
    np.testing.assert_allclose(m.probabilities(np.repeat(digits[..., None], 3, axis=3)), reference, atol=1e-6)
    # the compiled classifier the meter runs is the NumPy one the script trains and measures with
    numpy = meter.softmax(meter.logits(m.weights, meter.to_unit(digits)))
    np.testing.assert_allclose(reference, numpy, atol=1e-5)
    with pytest.raises(ValueError, match="N×28×28"):
        m.score(np.zeros((4, 32, 32), np.uint8))


def test_score_counts_only_confident_classes():
    probs = np.full((4, 10), 0.02)
    probs[0, 3] = probs[1, 5] = 0.82  # two confident samples, two classes
    probs[2, 7] = probs[3, 8] = 0.30  # two hesitant ones count for no class
    score = meter.score_probabilities(probs)
    assert score.coverage == 2
    assert score.confidence == pytest.approx((0.82 * 2 + 0.30 * 2) / 4)
    assert score.as_metrics() == {"digit_confidence": score.confidence, "digit_coverage": 2.0}
    m = meter.DigitMeter(meter.load_meter().weights, meter.DigitScore(0.9, 7))
    assert m.reached(meter.DigitScore(0.9, 7)) and not m.reached(meter.DigitScore(0.95, 6))
    assert not m.reached(meter.DigitScore(0.89, 10))


def test_threshold_and_split_are_what_the_script_measures(script, held_out):
    with np.load(asset(meter.ASSET), allow_pickle=False) as npz:
        stored = meter.DigitScore(float(npz["threshold_confidence"]), int(npz["threshold_coverage"]))
        held_idx = npz["held_out"]
    np.testing.assert_array_equal(held_idx, script.split(5000)[1])
    measured = script.threshold(script.real_scores(meter.load_meter().weights, held_out[0]))
    assert measured.coverage == stored.coverage
    assert measured.confidence == pytest.approx(stored.confidence, abs=1e-5)
    assert meter.load_meter().threshold == stored


def test_shipped_weights_digest_is_the_notice_s(script):
    with open(asset("digit_classifier.NOTICE.md"), encoding="utf-8") as fh:
        recorded = re.search(r"weights digest `([0-9a-f]{16})`", fh.read()).group(1)
    assert script.digest(meter.load_meter().weights) == recorded


def test_training_is_deterministic(script):
    digits = load_shipped_subset()
    x, y = digits.images[:192], digits.labels[:192]
    a, b = script.train(x, y, epochs=1), script.train(x, y, epochs=1)
    other = script.train(x, y, epochs=1, seed=1)
    for name in meter.WEIGHT_NAMES:
        np.testing.assert_array_equal(a[name], b[name])
    assert script.digest(a) == script.digest(b) != script.digest(other)


def test_training_gradients_match_finite_differences(script):
    rng = np.random.default_rng(0)
    w = {k: v.astype(np.float64) for k, v in script.init_weights(rng).items()}
    w["conv2_bias"] += 0.1  # keep some units active on both sides of every difference
    x, y = rng.random((3, 28, 28)), rng.integers(0, 10, 3)
    _, grads = script.loss_and_grads(w, x, y)
    for name in ("conv1_kernel", "conv2_kernel", "conv2_bias", "dense_kernel"):
        i = tuple(int(rng.integers(0, s)) for s in w[name].shape)
        old, eps = w[name][i], 1e-5
        w[name][i] = old + eps
        up = script.loss_and_grads(w, x, y)[0]
        w[name][i] = old - eps
        down = script.loss_and_grads(w, x, y)[0]
        w[name][i] = old
        assert grads[name][i] == pytest.approx((up - down) / (2 * eps), rel=1e-4, abs=1e-9)


def test_damaged_or_pickled_asset_is_one_sentence(tmp_path):
    bad = tmp_path / "classifier.npz"
    np.savez(bad, conv1_kernel=np.zeros(3, np.float32))
    with pytest.raises(DataUnavailable, match="make_digit_classifier"):
        meter.load_meter(str(bad))
    pickled = tmp_path / "pickled.npz"
    arrays = {name: np.array([{"evil": 1}], dtype=object) for name in meter.WEIGHT_NAMES}
    np.savez(pickled, threshold_confidence=0.9, threshold_coverage=7, **arrays)
    with pytest.raises(DataUnavailable, match="could not be read"):
        meter.load_meter(str(pickled))
