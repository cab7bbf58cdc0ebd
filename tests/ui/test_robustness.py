"""A shared server under strangers: bad files, out-of-range settings sent straight to the API, Stop,
closed tabs, the per-run time limit, two sessions side by side, and what the server refuses to open."""

import json
import re
import time

import httpx
import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from tests.badfiles import MAX_DIM, corpus
from tests.helpers import api_data, fn_index
from genart.errors import InputError
from genart.images import load_image

#: A DeepDream run that costs almost nothing and barely changes the picture.
TINY = dict(layers=["mixed0"], octaves=1, octave_scale=1.3, steps_per_octave=1, step_size=0.001, tile_size=0,
            max_dim=128, seed=0)
GENERIC = "Something went wrong"


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return corpus(tmp_path_factory.mktemp("corpus"))


def _error_text(excinfo) -> str:
    text = str(excinfo.value)
    assert "Traceback" not in text and GENERIC not in text, text
    return text


# --- the corpus, straight to the decoder -------------------------------------------------------

@pytest.mark.parametrize("as_bytes", [False, True], ids=["path", "bytes"])
def test_every_awkward_file_decodes_or_reads_well(cases, as_bytes):
    for case in cases:
        source = case.path.read_bytes() if as_bytes else str(case.path)
        if case.expect == "ok":
            rgb = load_image(source, MAX_DIM)
            assert rgb.dtype == np.uint8 and rgb.ndim == 3 and max(rgb.shape[:2]) == MAX_DIM, case.name
            case.check(rgb)
        else:
            with pytest.raises(InputError, match=case.expect):
                load_image(source, MAX_DIM)


# --- the corpus through the app's API ----------------------------------------------------------

@pytest.mark.slow
def test_every_awkward_upload_through_the_dream_api(client, cases, photo_file):
    """Each file is processed (EXIF upright, bomb refused, huge downscaled) or answered with a sentence,
    and the server answers the next request normally."""
    for case in cases:
        if case.expect == "ok":
            image, status, png, gif = client.predict(handle_file(str(case.path)), **TINY, api_name="/dream")
            assert status.endswith("done"), (case.name, status)
            result = np.asarray(Image.open(png["path"]).convert("RGB"))
            assert max(result.shape[:2]) == TINY["max_dim"], case.name
            case.check(np.asarray(Image.fromarray(result).resize((MAX_DIM * result.shape[1] // max(result.shape[:2]),
                                                                  MAX_DIM * result.shape[0] // max(result.shape[:2])))))
        else:
            with pytest.raises(AppError) as err:
                client.predict(handle_file(str(case.path)), **TINY, api_name="/dream")
            assert re.search(case.expect, _error_text(err)), (case.name, str(err.value))
    assert client.predict(handle_file(photo_file), **TINY, api_name="/dream")[1].endswith("done")


def test_awkward_uploads_through_the_style_api(client, cases, photo_file):
    by_name = {c.name: str(c.path) for c in cases}
    small = dict(steps=2, max_dim=64, scales=1)
    with pytest.raises(AppError) as err:
        client.predict(handle_file(photo_file), handle_file(by_name["30000×30000 decompression bomb"]), **small,
                       api_name="/stylize")
    assert "style image is too large to decode" in _error_text(err)
    with pytest.raises(AppError) as err:
        client.predict(handle_file(by_name["truncated JPEG"]), handle_file(photo_file), **small, api_name="/stylize")
    assert "content image file is damaged" in _error_text(err)
    out = client.predict(handle_file(by_name["EXIF-rotated photo"]), handle_file(by_name["animated GIF"]), **small,
                         api_name="/stylize")
    assert out[1].endswith("done")
    assert Image.open(out[3]["path"]).size == (64, 48)  # upright landscape


def test_an_upload_over_the_size_limit_is_refused(client, tmp_path, photo_file):
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + bytes(26 * 1024 * 1024))  # 26 MB, over the 25 MB limit
    with pytest.raises(Exception, match=r"(?i)exceeds the maximum file size|too large|413"):
        client.predict(handle_file(str(big)), **TINY, api_name="/dream")
    assert client.predict(handle_file(photo_file), **TINY, api_name="/dream")[1].endswith("done")


# --- settings sent straight to the API, past the sliders ---------------------------------------

@pytest.mark.parametrize("override, match", [
    ({"octaves": 0}, "less than minimum value 1"),
    ({"octave_scale": 3.0}, "greater than maximum value 2"),
    ({"step_size": -1}, "less than minimum value 0.001"),
    ({"tile_size": 100}, r"tile_size must be 0 \(no tiling\) or between 160 and 2048"),
    ({"max_dim": 100000}, "greater than maximum value 1024"),
    ({"layers": ["mixed99"]}, "mixed99"),
    ({"seed": -5}, "less than minimum value 0"),
])
def test_out_of_range_dream_settings_are_refused(client, photo_file, override, match):
    with pytest.raises(AppError) as err:
        client.predict(handle_file(photo_file), **{**TINY, **override}, api_name="/dream")
    assert re.search(match, _error_text(err))


@pytest.mark.parametrize("override, match", [
    ({"steps": 2.5}, "steps must be a whole number from 1 to 10000; got 2.5"),
    ({"tv_weight": -1}, "less than minimum value 0"),
    ({"optimizer": "sgd"}, "sgd"),
    ({"init": "zeros"}, "zeros"),
    ({"second_style_share": 2}, "greater than maximum value 1"),
    ({"log_style_weight": 99}, "greater than maximum value 6"),
])
def test_out_of_range_style_settings_are_refused(client, photo_file, override, match):
    with pytest.raises(AppError) as err:
        client.predict(handle_file(photo_file), handle_file(photo_file), **{"steps": 2, "max_dim": 64, **override},
                       api_name="/stylize")
    assert re.search(match, _error_text(err))


@pytest.mark.parametrize("args, match", [
    (("cifar10", "tutorial", 1e-4, 64, 1, 128), "cifar10"),
    (("mnist", "wgan", 1e-4, 64, 1, 128), "wgan"),
    (("mnist", "tutorial", -1, 64, 1, 128), "learning_rate must be a number from"),
    (("mnist", "tutorial", 1e-4, 0, 1, 128), "less than minimum value 16"),
    (("mnist", "tutorial", 1e-4, 64, 0, 128), "less than minimum value 1"),
    (("mnist", "tutorial", 1e-4, 64, 10**6, 128), "greater than maximum value 50"),
    (("mnist", "tutorial", 1e-4, 64, 1, 10), "less than minimum value 100"),
])
def test_out_of_range_gan_settings_are_refused(client, args, match):
    with pytest.raises(AppError) as err:
        client.predict(*args, api_name="/train_gan")
    assert re.search(match, _error_text(err))


# --- paths and files the server must not open --------------------------------------------------

@pytest.mark.parametrize("path", ["/etc/passwd", "assets/chelsea.jpg", "__file__"])
def test_a_path_sent_instead_of_an_upload_is_not_opened(app_server, path):
    """The API takes files only from Gradio's upload folder: a client that names a server path
    (outside or inside the project) gets a refusal, and nothing from the file."""
    path = __file__ if path == "__file__" else path
    session = f"probe-{time.time_ns()}"
    payload = {"data": api_data(app_server, "/dream", [{"path": path, "meta": {"_type": "gradio.FileData"}},
                                                      *TINY.values()]),
               "fn_index": fn_index(app_server, "/dream"), "session_hash": session, "event_data": None,
               "trigger_id": None}
    with httpx.Client(base_url=app_server, timeout=60) as http:
        assert http.post("/gradio_api/queue/join", json=payload).status_code == 200
        done = read_events(http, session, until=("process_completed",))[-1]
    assert done["msg"] == "process_completed" and not done["success"]
    assert "was not uploaded by a user" in done["output"]["error"]


def read_events(http: httpx.Client, session: str, until: tuple[str, ...], limit: float = 120) -> list[dict]:
    """The session's queue messages (Gradio's server-sent events) up to one whose ``msg`` is in ``until``."""

    out, deadline = [], time.time() + limit
    with http.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as resp:
        for line in resp.iter_lines():
            if line.startswith("data:"):
                msg = json.loads(line[5:])
                out.append(msg)
                if msg.get("msg") in until or time.time() > deadline:
                    break
    return out
