"""genart.downloads: the downloader (on file:// URLs, no network), Keras' cache layout, and the progress
channel; genart.catalogue lists them all. The loaders read what a fetch writes (stub downloaders)."""

import hashlib
import inspect
import os
import threading
import urllib.error

import numpy as np
import pytest

from genart import catalogue, downloads, models
from genart.errors import WeightsUnavailable
from genart.fast_style import HubModel
from genart.gan import data


@pytest.fixture()
def keras_home(monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv("TFHUB_CACHE_DIR", raising=False)
    monkeypatch.delenv("KAGGLEHUB_CACHE", raising=False)
    return tmp_path / "keras"


def test_http_download_writes_the_whole_checked_file_and_reports_its_progress(tmp_path):
    source = tmp_path / "source.bin"
    payload = np.random.default_rng(0).bytes(3 * downloads.CHUNK + 17)
    source.write_bytes(payload)
    reports = []
    target = tmp_path / "cache" / "models" / "w.h5"
    downloads.http_download(source.as_uri(), str(target), lambda done, total: reports.append((done, total)),
                            hashlib.md5(payload).hexdigest())
    assert target.read_bytes() == payload
    assert reports[0] == (0, len(payload)) and reports[-1] == (len(payload), len(payload))
    assert [done for done, _ in reports] == sorted(done for done, _ in reports) and len(reports) == 5
    sha = tmp_path / "cache" / "d.npz"  # Keras' 64-digit hashes are SHA-256
    downloads.http_download(source.as_uri(), str(sha), lambda *a: None, hashlib.sha256(payload).hexdigest())
    assert sha.read_bytes() == payload


def test_a_damaged_or_failed_download_leaves_nothing_behind(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(b"not the weights")
    target = tmp_path / "cache" / "w.h5"
    with pytest.raises(OSError, match="arrived damaged"):
        downloads.http_download(source.as_uri(), str(target), lambda *a: None, "0" * 32)
    with pytest.raises(urllib.error.URLError):
        downloads.http_download((tmp_path / "absent").as_uri(), str(target), lambda *a: None, None)
    assert list((tmp_path / "cache").iterdir()) == []  # no file, no .part


def test_the_catalogue_names_keras_own_files_hashes_and_folders():
    """What genart fetches is what keras.applications / keras.datasets fetch and check, where they keep it."""
    from keras.src.applications import inception_v3, vgg19
    from keras.src.datasets import fashion_mnist, mnist

    sources = {"InceptionV3": inspect.getsource(inception_v3), "VGG19": inspect.getsource(vgg19)}
    for name, item in models.WEIGHTS.items():
        keras_url = vgg19.WEIGHTS_PATH_NO_TOP if name == "VGG19" else inception_v3.WEIGHTS_PATH_NO_TOP
        assert item.url == keras_url and item.url.endswith("/" + item.file)
        assert f'"{item.file}"' in sources[name] and f'file_hash="{item.file_hash}"' in sources[name]
        assert item.subdir == "models" and 'cache_subdir="models"' in sources[name]
    (npz,) = data.DATA_FILES["mnist"]
    assert npz.file_hash in inspect.getsource(mnist) and npz.subdir == "datasets"
    for item in data.DATA_FILES["fashion_mnist"]:
        assert f'"{item.file}"' in inspect.getsource(fashion_mnist) and item.subdir == "datasets/fashion-mnist"
    sources = [item.source for item in catalogue.everything()]
    assert sources[:2] == list(models.WEIGHT_FILES.values()) and "mnist.npz" in sources
    assert any(isinstance(item, HubModel) for item in catalogue.everything())


def test_a_fetched_file_is_where_the_loader_reads_it(keras_home):
    """A stub downloader writes MNIST as Keras' file holds it; load_digits reads it instead of the shipped sample."""
    images = np.random.default_rng(1).integers(0, 256, (12, 28, 28), dtype=np.uint8)
    calls = []

    def stub(url, path, report, file_hash):
        calls.append(url)
        np.savez(path, x_train=images, y_train=np.arange(12, dtype=np.uint8) % 10, x_test=images[:2],
                 y_test=np.zeros(2, np.uint8))
        report(100, 100)

    (item,) = data.DATA_FILES["mnist"]
    assert not item.present() and not data.mnist_cached()
    (keras_home / "datasets").mkdir(parents=True)
    assert item.fetch(downloader=stub) == str(keras_home / "datasets" / "mnist.npz")
    assert item.present() and data.mnist_cached() and calls == [item.url]
    item.fetch(downloader=stub)
    assert len(calls) == 1  # present: not downloaded again
    digits = data._load("mnist")
    assert digits.source == "keras" and np.array_equal(digits.images, images)


def test_downloaded_imagenet_weights_are_what_the_network_loads(keras_home, monkeypatch):
    """The stub writes a weights file in Keras' legacy .h5 format (seeded random VGG19 weights); the
    pretrained network is then built from exactly that file, found where Keras keeps it."""
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    source = keras.applications.VGG19(include_top=False, weights=None)
    models.seed_weights(source, 7)

    def stub(url, path, report, file_hash):
        assert url == models.WEIGHTS["VGG19"].url and file_hash == models.WEIGHTS["VGG19"].file_hash
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with h5py.File(path, "w") as f:
            legacy_h5_format.save_weights_to_hdf5_group(f, source)

    monkeypatch.setattr(downloads, "http_download", stub)
    monkeypatch.setattr(models, "_failed", {})
    built = models._build("VGG19", "imagenet")
    assert (keras_home / "models" / models.WEIGHT_FILES["VGG19"]).is_file()
    for a, b in zip(built.weights, source.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    # a damaged file in the cache is its own sentence (not "offline")
    (keras_home / "models" / models.WEIGHT_FILES["VGG19"]).write_bytes(b"half a file")
    with pytest.raises(WeightsUnavailable, match="Could not read the ImageNet weights for VGG19.*delete the file"):
        models._build("VGG19", "imagenet")
    monkeypatch.setenv(models.WEIGHTS_ENV, "imagenet")
    assert models.weights_status() == models.unreadable_message("VGG19")


def test_a_download_in_progress_is_on_the_channel_until_it_ends(keras_home):
    started, release = threading.Event(), threading.Event()

    def slow(url, path, report, file_hash):
        report(0, 4_000_000)
        report(1_500_000, 4_000_000)
        started.set()
        release.wait(30)
        raise urllib.error.URLError("gone")

    item = models.WEIGHTS["InceptionV3"]
    worker = threading.Thread(target=lambda: pytest.raises(OSError, item.fetch, downloader=slow), daemon=True)
    assert downloads.active() == ()
    worker.start()
    assert started.wait(30)
    (progress,) = downloads.active()
    assert (progress.what, progress.source) == (item.what, item.file)
    assert (progress.done, progress.total) == (1_500_000, 4_000_000)
    assert progress.line() == f"downloading {item.what} ({item.file}): 1.5 of 4.0 MB"
    release.set()
    worker.join(30)
    assert downloads.active() == ()  # a failed download leaves the channel too


def test_a_library_download_is_sampled_from_the_folder_it_fills(tmp_path):
    folder = tmp_path / "unpacking"
    folder.mkdir()
    seen = []
    with downloads.announce("a model", "handle", report=lambda done, total: seen.append(done),
                            measure=lambda: downloads.folder_bytes(str(folder)), every=0.01):
        (folder / "part").write_bytes(b"x" * 2_500_000)
        for _ in range(500):
            if downloads.active()[0].done == 2_500_000:
                break
            threading.Event().wait(0.01)
        (progress,) = downloads.active()
        assert progress.line() == "downloading a model (handle): 2.5 MB so far"
    assert 2_500_000 in seen and downloads.active() == ()
