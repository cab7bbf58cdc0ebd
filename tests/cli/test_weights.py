"""``genart weights``: fetch everything into the caches the loaders read (stub downloaders, no network) and
``--check`` it; and a quiet terminal: no TensorFlow log lines unless asked for (a real ``python -m genart``)."""

import os
import re
import subprocess
import sys

import pytest

from genart import catalogue, downloads, models
from genart.cli import main
from genart.fast_style import hub
from genart.gan import data

from tests import ROOT


@pytest.fixture()
def caches(monkeypatch, tmp_path):
    """Empty caches under tmp_path and stand-ins for the network: a downloader writing a few bytes, a hub resolver
    writing a folder where tensorflow_hub would; returns the list of what was downloaded."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    for name in (hub.CACHE_ENV, hub.KAGGLE_CACHE_ENV, "GENART_FAST_STYLE_MODEL"):
        monkeypatch.delenv(name, raising=False)
    fetched = []

    def stub(url, path, report, file_hash):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        report(0, 2048)
        with open(path, "wb") as f:
            f.write(b"\0" * 2048)
        report(2048, 2048)
        fetched.append(os.path.basename(path))

    def resolve_hub(handle):
        folder = hub.hub_folder(handle)
        os.makedirs(folder)
        open(os.path.join(folder, "saved_model.pb"), "w").close()
        fetched.append(handle)
        return folder

    monkeypatch.setattr(downloads, "http_download", stub)
    monkeypatch.setattr(hub, "resolve_hub", resolve_hub)
    return fetched


def test_check_names_each_file_and_model_and_fails_while_one_is_missing(caches, capsys):
    items = catalogue.everything()
    assert main(["weights", "--check"]) == 1
    out, err = capsys.readouterr()
    rows = out.splitlines()
    assert len(rows) == len(items) and all(row.startswith("missing  ") for row in rows)
    for item, row in zip(items, rows):
        assert item.source in row and item.path in row
    assert f"{len(items)} of {len(items)} missing" in err and caches == []  # --check downloads nothing


def test_weights_fetches_where_the_loaders_look_then_check_passes(caches, capsys, tmp_path):
    assert main(["weights"]) == 0
    out, err = capsys.readouterr()
    keras = tmp_path / "keras"
    expected = [str(keras / "models" / f) for f in models.WEIGHT_FILES.values()]
    expected += [hub.hub_folder("https://tfhub.dev/google/magenta/arbitrary-image-stylization-v1-256/2"),
                 str(keras / "datasets" / "mnist.npz"),
                 str(keras / "datasets" / "fashion-mnist" / "train-labels-idx1-ubyte.gz"),
                 str(keras / "datasets" / "fashion-mnist" / "train-images-idx3-ubyte.gz")]
    assert out.split() == expected and all(os.path.exists(p) for p in expected)
    assert "2.00k/2.00k" in err  # a bar per file, in bytes
    assert hub.cached() == expected[2] and data.mnist_cached()  # what the loaders look for
    assert all(item.present() for item in models.WEIGHTS.values())
    assert main(["weights", "--check"]) == 0
    assert all(row.startswith("present  ") for row in capsys.readouterr().out.splitlines())
    os.remove(expected[1])  # one gone: check names it and fails; a second fetch gets only that one
    assert main(["weights", "--check"]) == 1
    rows = capsys.readouterr().out.splitlines()
    assert [row.split()[0] for row in rows] == ["present", "missing", "present", "present", "present", "present"]
    del caches[:]
    assert main(["weights", "-q"]) == 0 and caches == [models.WEIGHT_FILES["VGG19"]]
    assert capsys.readouterr().err == ""  # -q: no bars


def test_a_failed_download_is_one_line_each_and_the_others_still_come(caches, capsys, monkeypatch):
    def offline(url, path, report, file_hash):
        raise OSError("<urlopen error [Errno -2] Name or service not known>")

    monkeypatch.setattr(downloads, "http_download", offline)
    assert main(["weights", "-q"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [hub.cached()]  # the hub model came; the files did not
    errors = err.splitlines()
    assert len(errors) == 5 and all(line.startswith("genart: error: could not download ") for line in errors)
    assert "mnist.npz" in err and "Name or service not known" in err


#: Lines TensorFlow (absl, XLA) writes: "I0000 00:00:17… port.cc:153] …", "E0000 … failed call to cuInit …",
#: absl's "WARNING: All log messages before absl::InitializeLog() …", and the older "2024-… I tensorflow/…".
TF_LINE = re.compile(r"^([IWEF]\d{4} \d\d:\d\d:\d\d"  # absl's format
                     r"|WARNING: All log messages before absl"
                     r"|\d{4}-\d\d-\d\d .*tensorflow/)")  # TensorFlow's older one


def _run(args, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_CPP_")}
    env.update(PYTHONPATH=ROOT, GENART_WEIGHTS="random", GENART_PRECISION="float32", GENART_PRECISION_CACHE="off")
    return subprocess.run([sys.executable, "-m", "genart", *args], capture_output=True, text=True, cwd=str(tmp_path),
                          env=env, timeout=600)


def test_the_command_line_prints_no_tensorflow_log_lines_unless_asked(tmp_path, style_files):
    content, style = style_files
    run = ["style", "--method", "fast", content, style, "--max-dim", "64", "-o", str(tmp_path / "out.png"), "-q"]
    quiet = _run(run, tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.split() == [str(tmp_path / "out.png")]
    assert [line for line in quiet.stderr.splitlines() if TF_LINE.match(line)] == []
    assert "cuInit" not in quiet.stderr and "oneDNN" not in quiet.stderr
    verbose = _run(["-v", *run], tmp_path)
    assert verbose.returncode == 0, verbose.stderr
    if not any(TF_LINE.match(line) for line in verbose.stderr.splitlines()):
        pytest.skip("TensorFlow writes no log lines on this machine even when asked: nothing to keep quiet")
