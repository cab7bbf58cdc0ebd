"""``python -m genart gan --dataset PATH``: own pictures from a folder or a zip on the command line."""

import json
import zipfile

import numpy as np
import pytest
from PIL import Image

from genart.cli import main
from genart.gan.imagesets import load_image_set
from genart.recipe import read_recipe

TINY = ["--batch-size", "16", "--examples-per-epoch", "32", "-q"]


@pytest.fixture()
def folder(tmp_path):
    """64 colourful 36×44 pictures in a folder (one in a sub-folder), plus a text file."""
    path = tmp_path / "pictures"
    (path / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(64):
        img = np.zeros((36, 44, 3), np.uint8)
        img[:] = rng.integers(0, 256, 3)
        y, x = rng.integers(0, 20, 2)
        img[y:y + 14, x:x + 18] = rng.integers(0, 256, 3)
        Image.fromarray(img).save(path / ("sub" if i == 5 else "") / f"{i:03d}.png")
    (path / "list.txt").write_text("not a picture")
    return path


@pytest.mark.slow
def test_a_folder_trains_the_32px_networks_and_the_recipe_fingerprints_it(folder, tmp_path, capsys):
    out, ckpt = tmp_path / "own.png", tmp_path / "ckpt"
    assert main(["gan", "--dataset", str(folder), *TINY, "-o", str(out), "--checkpoint", str(ckpt)]) == 0
    recipe = read_recipe(str(out), "gan")
    assert recipe["config"]["dataset"] == "own" and recipe["run"]["data"] == "own"
    assert recipe["inputs"] == {"dataset": load_image_set(str(folder)).digest} and recipe["run"]["steps"] == 2
    assert np.asarray(Image.open(out)).shape == (4 * (4 * 34 + 2), 4 * (4 * 34 + 2), 3)
    meta = json.loads((ckpt / "genart_gan.json").read_text())
    assert meta["architecture"] == "dcgan-32" and meta["image_shape"] == [32, 32, 3]
    assert "1 file is not a picture genart can read and was skipped: list.txt" in capsys.readouterr().err
    # the recipe again, with the same pictures: the same grid; with other pictures: a note
    again = tmp_path / "again.png"
    assert main(["gan", "--recipe", str(out), "--dataset", str(folder), "-o", str(again), "-q"]) == 0
    assert np.array_equal(np.asarray(Image.open(out)), np.asarray(Image.open(again)))
    Image.fromarray(np.full((36, 44, 3), 7, np.uint8)).save(folder / "000.png")
    assert main(["gan", "--recipe", str(out), "--dataset", str(folder), "-o", str(again), "-q"]) == 0
    assert "the dataset differs from the recipe's" in capsys.readouterr().err


@pytest.mark.slow
def test_a_zip_in_grey(folder, tmp_path):
    archive = tmp_path / "pictures.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*.png")):
            zf.write(path, arcname=path.name)
    out = tmp_path / "grey.png"
    assert main(["gan", "--dataset", str(archive), "--colour", "grey", *TINY, "-o", str(out)]) == 0
    grid = np.asarray(Image.open(out)).astype(int)
    assert np.ptp(grid, axis=2).max() == 0  # grey samples
    assert read_recipe(str(out), "gan")["config"]["colour"] == "grey"


@pytest.mark.parametrize("argv, message", [
    (["gan", "--dataset", "{tmp}/nowhere"], "dataset must be one of mnist, fashion_mnist, or a folder or .zip of "
                                            "pictures; '{tmp}/nowhere' is neither."),
    (["gan", "--dataset", "own"], "This run trains on your own pictures: give them with --dataset FOLDER or --dataset "
                                   "FILE.zip."),
    (["gan", "--dataset", "{tmp}/empty"], "The folder empty holds no pictures genart can read; training needs at "
                                          "least 64."),
])
def test_bad_datasets_exit_with_one_line(tmp_path, capsys, argv, message):
    (tmp_path / "empty").mkdir()
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main([*argv, *TINY, "-o", str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"genart: error: {message.replace('{tmp}', str(tmp_path))}"]
