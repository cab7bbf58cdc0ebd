"""Weights policy, the offline failure message, the model cache and batch-norm folding."""

import urllib.error

import keras
import numpy as np
import pytest

from genart import downloads, models
from genart.errors import GenartError, WeightsUnavailable


def test_weights_mode_from_environment(monkeypatch):
    monkeypatch.delenv(models.WEIGHTS_ENV, raising=False)
    assert models.weights_mode() == "imagenet"
    monkeypatch.setenv(models.WEIGHTS_ENV, " Random ")
    assert models.weights_mode() == "random"
    monkeypatch.setenv(models.WEIGHTS_ENV, "resnet")
    with pytest.raises(GenartError, match="GENART_WEIGHTS must be 'imagenet' or 'random'"):
        models.weights_mode()


def test_labels_never_pass_random_weights_off_as_pretrained():
    assert "untrained" in models.weights_label("random").lower()
    assert "imagenet" in models.weights_label("imagenet").lower()


def offline(*args, **kwargs):
    raise urllib.error.URLError("Name or service not known")


def test_offline_download_failure_says_what_to_do(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(downloads, "http_download", offline)
    with pytest.raises(WeightsUnavailable) as err:
        models._build("InceptionV3", "imagenet")
    message = str(err.value)
    assert models.WEIGHT_FILES["InceptionV3"] in message
    assert str(tmp_path) in message  # where to put the file: Keras' cache under KERAS_HOME
    assert "GENART_WEIGHTS=random" in message
    assert "Name or service" not in message and "http" not in message  # the details go to the log
    assert "Name or service not known" in caplog.text


def test_the_header_says_when_the_pretrained_weights_are_missing(monkeypatch, tmp_path):
    """Issue 24.2: offline and without the files, the header used to say "Pretrained ImageNet weights"."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("GENART_WEIGHTS", "imagenet")
    monkeypatch.setattr(models, "_failed", {})
    before = models.weights_status()  # nothing tried yet: they are not there, and the first run downloads them
    assert "not in Keras' cache yet" in before and models.WEIGHT_FILES["VGG19"] in before
    assert str(tmp_path) in before and "GENART_WEIGHTS=random" in before
    monkeypatch.setattr(downloads, "http_download", offline)
    with pytest.raises(WeightsUnavailable):
        models._build("InceptionV3", "imagenet")
    assert models.weights_status() == models.unavailable_message("InceptionV3")  # the estimate line's sentence
    for name, file in models.WEIGHT_FILES.items():  # the files in place: pretrained, and nothing else said
        (tmp_path / "models").mkdir(exist_ok=True)
        (tmp_path / "models" / file).write_bytes(b"")
    monkeypatch.setattr(models, "_failed", {})
    assert models.weights_status() == models.weights_label("imagenet")
    monkeypatch.setenv("GENART_WEIGHTS", "random")
    assert models.weights_status() == models.weights_label("random")


def test_extractors_are_cached_per_layer_set():
    a = models.dream_extractor(("mixed3", "mixed5"), weights="random")
    assert models.dream_extractor(("mixed3", "mixed5"), weights="random") is a
    b = models.dream_extractor(("mixed2",), weights="random")
    assert b is not a and len(b.outputs) == 1


@pytest.mark.slow
def test_layer_sets_share_one_network_and_the_cache_is_bounded():
    """Visitors choosing many layer combinations must not multiply InceptionV3's 22 M weights."""
    import gc
    import weakref

    def first_kernel(model):
        return next(layer.kernel for layer in model.layers if getattr(layer, "kernel", None) is not None)

    first = models.dream_extractor(("mixed1",), weights="random")
    kernel = first_kernel(first)
    gone = weakref.ref(first)
    views = [models.dream_extractor(tuple(f"mixed{i}" for i in range(k, k + 2)), weights="random")
             for k in range(models.MAX_LAYER_SETS + 2)]
    assert all(first_kernel(v) is kernel for v in views)  # the same weights, not copies
    assert sum(1 for key in models._cache if key[0] == "dream") == models.MAX_LAYER_SETS
    del first, views
    gc.collect()
    assert gone() is None  # the least recently used view was let go
    again = models.dream_extractor(("mixed1",), weights="random")
    assert first_kernel(again) is kernel


@pytest.mark.slow
def test_random_weights_are_seeded():
    m = keras.applications.InceptionV3(include_top=False, weights=None)
    models.seed_weights(m, models.RANDOM_SEED)
    base = models.base_model("InceptionV3", "random")
    for ours, theirs in zip(m.weights, base.weights):  # same architecture, layer names differ
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_batchnorm_folding_keeps_the_function():
    rng = np.random.default_rng(1)
    inp = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(8, 3, use_bias=False)(inp)
    x = keras.layers.BatchNormalization(scale=False, epsilon=1e-3)(x)
    x = keras.layers.Activation("relu")(x)
    y = keras.layers.Conv2D(4, 3, use_bias=True)(x)
    y = keras.layers.BatchNormalization()(y)  # with gamma, and a conv bias to fold as well
    model = keras.Model(inp, [x, y])
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([rng.uniform(0.5, 2.0, w.shape).astype("float32") if "variance" in w.path or
                               "gamma" in w.path else rng.normal(0, 0.5, w.shape).astype("float32")
                               for w in layer.weights])
        elif layer.weights:
            layer.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in layer.weights])
    folded = models.fold_batchnorm(model)
    assert not any(isinstance(l, keras.layers.BatchNormalization) for l in folded.layers)
    data = rng.uniform(-1, 1, (2, 17, 19, 3)).astype("float32")
    for a, b in zip(model(data), folded(data)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)


def test_dream_extractor_is_folded_inception():
    m = models.dream_extractor(("mixed3",), weights="random")
    assert not any(isinstance(l, keras.layers.BatchNormalization) for l in m.layers)
    base = models.base_model("InceptionV3", "random")
    ref = keras.Model(base.input, base.get_layer("mixed3").output)
    x = np.random.default_rng(0).uniform(-1, 1, (1, 96, 96, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(m(x)), np.asarray(ref(x)), rtol=1e-4, atol=1e-5)


def test_the_short_and_long_weights_lines_follow_the_files_and_a_download(monkeypatch, tmp_path):
    """Issue 32: the header's short line and its details say when a download is under way."""
    from genart import downloads

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(models, "_failed", {})
    monkeypatch.setenv("GENART_WEIGHTS", "random")
    assert models.weights_summary() == "random weights"
    monkeypatch.setenv("GENART_WEIGHTS", "imagenet")
    assert models.weights_summary() == "ImageNet weights (not downloaded yet)"
    item = models.WEIGHTS["VGG19"]
    with downloads.announce(item.what, item.file) as update:
        update(20_000_000, 80_000_000)
        assert models.weights_summary() == "ImageNet weights (downloading)"
        assert f"downloading {item.what} ({item.file}): 20.0 of 80.0 MB" in models.weights_status()
    with downloads.announce("something else", "other.bin"):
        assert models.weights_summary() == "ImageNet weights (not downloaded yet)"
    (tmp_path / "models").mkdir()
    for file in models.WEIGHT_FILES.values():
        (tmp_path / "models" / file).write_bytes(b"")
    assert models.weights_summary() == "ImageNet weights"
    monkeypatch.setattr(models, "_failed", {"VGG19": models.unavailable_message("VGG19")})
    assert models.weights_summary() == "ImageNet weights (missing)"
