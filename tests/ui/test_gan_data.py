"""The DCGAN tab on visitors' own pictures (/train_gan with a zip): sessions never see each other's data."""

import io
import json
import zipfile

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from genart.gan.imagesets import load_image_set
from genart.recipe import read_recipe
from tests.helpers import STEP, session


def write_zip(path, colour, n=64, grey=False) -> str:
    """``n`` 40×40 pictures: a square of ``colour`` on black, at a place that changes with the index."""
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(n):
            img = np.zeros((40, 40, 3), np.uint8)
            y, x = 4 + i % 20, 4 + (3 * i) % 20
            img[y:y + 14, x:x + 14] = colour
            buf = io.BytesIO()
            Image.fromarray(img).save(buf, format="PNG")
            zf.writestr(f"p{i:03d}.png", buf.getvalue())
        zf.writestr("notes.txt", b"not a picture")
    return str(path)


@pytest.mark.slow
def test_two_sessions_train_on_their_own_uploads_and_never_see_each_others(app_server, tmp_path):
    red, blue = write_zip(tmp_path / "red.zip", (230, 20, 20)), write_zip(tmp_path / "blue.zip", (20, 20, 230))
    a, b = session(app_server), session(app_server)
    grid_a, status, _, digits, note, gif, keras_file, ckpt = a.predict(
        "own", "dcgan-paper", 2e-4, 32, 1, 100, handle_file(red), "auto", api_name="/train_gan")
    assert STEP.search(status).group(3, 4) == ("2", "2") and "done" in status
    assert "your pictures, 64 at 32×32 colour" in note and "skipped: notes.txt" in note
    assert digits is None and "meter judges MNIST digits only" in note  # own pictures get no digit meter
    _, status_b, _, _, note_b, *_ = b.predict("own", "dcgan-paper", 2e-4, 32, 1, 100, handle_file(blue), "auto",
                                           api_name="/train_gan")
    assert "your pictures, 64 at 32×32 colour" in note_b
    digest_a, digest_b = load_image_set(red, "auto").digest, load_image_set(blue, "auto").digest
    # each session's samples carry its own pictures' digest, and its checkpoint its own data
    for client, digest in ((a, digest_a), (b, digest_b)):
        recipe = read_recipe(client.predict(api_name="/gan_png")["path"], "gan")
        assert recipe["inputs"] == {"dataset": digest} and recipe["config"]["dataset"] == "own"
        assert recipe["run"]["data"] == "own" and recipe["run"]["examples"] == 64
    with zipfile.ZipFile(ckpt["path"]) as zf:
        meta = json.loads(zf.read("genart_gan.json"))
    assert meta["architecture"] == "dcgan-32" and meta["image_shape"] == [32, 32, 3]
    assert meta["data"]["digest"] == digest_a
    assert keras_file["path"].endswith(".keras")
    # Continue works on an own-data trainer and keeps its data
    _, status, _, _, note, *_ = a.predict(1, api_name="/continue_gan")
    assert STEP.search(status).group(3, 4) == ("4", "4") and "your pictures" in note
    recipe = read_recipe(a.predict(api_name="/gan_png")["path"], "gan")
    assert recipe["inputs"] == {"dataset": digest_a} and recipe["run"]["steps"] == 4


@pytest.mark.slow
def test_grey_uploads_and_the_colour_control(client, tmp_path):
    grey = write_zip(tmp_path / "grey.zip", (180, 180, 180))
    _, status, _, _, note, *_ = client.predict("own", "tutorial", 1e-4, 32, 1, 100, handle_file(grey), "auto",
                                            api_name="/train_gan")
    assert "64 at 32×32 grey" in note and "done" in status
    _, _, _, _, note, *_ = client.predict("own", "tutorial", 1e-4, 32, 1, 100, handle_file(grey), "colour",
                                       api_name="/train_gan")
    assert "64 at 32×32 colour" in note


def test_own_data_problems_are_sentences(client, tmp_path):
    with pytest.raises(Exception, match="Upload a zip of your pictures first .at least 64"):
        client.predict("own", "tutorial", 1e-4, 32, 1, 100, None, "auto", api_name="/train_gan")
    few = write_zip(tmp_path / "few.zip", (0, 200, 0), n=10)
    with pytest.raises(Exception, match="The zip few.zip holds only 10 pictures genart can read; training needs at "
                                        "least 64. 1 file is not a picture genart can read and was skipped: notes.txt"):
        client.predict("own", "tutorial", 1e-4, 32, 1, 100, handle_file(few), "auto", api_name="/train_gan")
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(nested, "w") as zf:
        zf.write(few, arcname="inner.zip")
    with pytest.raises(Exception, match=r"contains another archive \(inner.zip\)"):
        client.predict("own", "tutorial", 1e-4, 32, 1, 100, handle_file(str(nested)), "auto", api_name="/train_gan")


@pytest.mark.slow
def test_the_estimate_counts_the_uploaded_pictures(client, tmp_path):
    pictures = write_zip(tmp_path / "p.zip", (200, 100, 0), n=100)
    text = client.predict("own", "tutorial", 1e-4, 32, 2, 5000, handle_file(pictures), "auto",
                          api_name="/gan_estimate")  # more than there are: the whole set
    assert "2 epochs × 4 steps of 32" in text, text  # 101 files → 4 steps of 32 per epoch
    text = client.predict("own", "tutorial", 1e-4, 32, 2, 5000, None, "auto", api_name="/gan_estimate")
    assert "upload a zip of at least 64 pictures" in text
