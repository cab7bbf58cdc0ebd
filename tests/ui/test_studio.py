"""The studio through its API: the session gallery (isolation, bounds), readable download names,
the per-session cap on heavy jobs, the API's names for the estimates, the examples slider."""

import os
import time

import numpy as np
import pytest
from gradio_client import Client, handle_file

from genart.recipe import make_recipe, png_text
from tests.helpers import session

SMALL = dict(layers=["mixed2"], octaves=1, octave_scale=1.3, steps_per_octave=1, step_size=0.02, tile_size=0,
             max_dim=128, seed=0)
LONG = {**SMALL, "octaves": 8, "steps_per_octave": 200, "max_dim": 320}


def dream(client, photo_file, **settings):
    """A tiny dream; returns (png, gif) as the API gives them."""
    _, status, png, gif = client.predict(handle_file(photo_file), **{**SMALL, **settings}, api_name="/dream")
    assert status.endswith("done")
    return png, gif


# --- the gallery -----------------------------------------------------------------------------------

def test_gallery_is_per_session_newest_first_with_captions(app_server, photo_file):
    a, b = session(app_server), session(app_server)
    png, gif = dream(a, photo_file, seed=3)
    assert [item["caption"] for item in a.predict(png, gif, api_name="/keep_dream")] == [
        "DeepDream · mixed2 · 1 octaves × 1 steps · seed 3 · random weights"]
    png, gif = dream(a, photo_file, seed=4, octaves=2)
    view = a.predict(png, gif, api_name="/keep_dream")
    assert [item["caption"].split(" · ")[2:4] for item in view] == [["2 octaves × 1 steps", "seed 4"],
                                                                   ["1 octaves × 1 steps", "seed 3"]]
    # another session's gallery holds none of them, and its own results only
    assert b.predict(None, None, api_name="/keep_dream") == []
    png_b, gif_b = dream(b, photo_file, seed=5)
    view_b = b.predict(png_b, gif_b, api_name="/keep_dream")
    assert len(view_b) == 1 and view_b[0]["caption"].endswith("seed 5 · random weights")
    assert len(a.predict(None, None, api_name="/keep_dream")) == 2
    # a result of another algorithm is not kept as a dream (its PNG carries a style recipe)
    assert len(a.predict(png_b, None, api_name="/keep_style")) == 2


def _result(tmp_path, name: str, seed: int, size: int = 64) -> str:
    from genart.dream import DreamConfig
    from genart.export import save_png

    path = tmp_path / name
    rng = np.random.default_rng(seed)
    save_png(str(path), rng.integers(0, 255, (size, size, 3), dtype="uint8"),
             text=png_text(make_recipe("dream", DreamConfig(seed=seed), weights="random")))
    return str(path)


def test_gallery_is_bounded_in_count_and_bytes_and_deleted_with_the_session(tmp_path, monkeypatch):
    from genart.ui import gallery

    monkeypatch.setattr(gallery, "MAX_ITEMS", 3)
    entries = []
    for seed in range(5):
        entries = gallery.add(entries, "dream", _result(tmp_path, f"r{seed}.png", seed))
    assert [e.caption.split(" · ")[3] for e in entries] == ["seed 4", "seed 3", "seed 2"]
    assert all(os.path.isfile(e.png) and not e.png.startswith(str(tmp_path)) for e in entries)  # its own copies
    first = gallery.add([], "dream", _result(tmp_path, "a.png", 9))
    dropped = first[0].png
    monkeypatch.setattr(gallery, "MAX_BYTES", first[0].nbytes * 5 // 2)  # room for two results of about this size
    assert len(gallery.add(gallery.add(first, "dream", _result(tmp_path, "b.png", 10)), "dream",
                           _result(tmp_path, "c.png", 11))) == 2
    assert not os.path.exists(dropped)  # the evicted entry's file is deleted
    kept = [e.png for e in entries]
    gallery.forget(entries)  # the State's delete_callback when the session ends
    assert not any(os.path.exists(p) for p in kept)
    assert gallery.add([], "dream", None) == [] and gallery.add([], "style", _result(tmp_path, "d.png", 1)) == []


def test_sending_without_a_result_says_what_to_do():
    import gradio as gr

    from genart.ui.studio import Target, _sender

    with gr.Blocks():
        tabs, image = gr.Tabs(), gr.Image()
    with pytest.raises(gr.Error, match="There is no finished dream to send yet: run it first"):
        _sender("dream", Target("style", image))(None)
    update, path = _sender("dream", Target("style", image))("/somewhere/dream-seed0.png")
    assert path == "/somewhere/dream-seed0.png" and update.selected == "style"


# --- readable download names -------------------------------------------------------------------------

@pytest.mark.slow
def test_downloads_have_readable_names_and_separate_folders(app_server, photo_file, style_files):
    from genart.ui.downloads import out_path

    client = session(app_server)
    png, gif = dream(client, photo_file, seed=7)
    assert (png["orig_name"], gif["orig_name"]) == ("dream-seed7.png", "dream-seed7.gif")
    content, style = style_files
    *_, png, gif = client.predict(handle_file(content), handle_file(style), steps=2, max_dim=64, scales=1,
                                  api_name="/stylize")
    assert (png["orig_name"], gif["orig_name"]) == ("style-64px.png", "style-64px.gif")
    *_, gif, keras_file, ckpt = client.predict("mnist", "tutorial", 1e-4, 64, 1, 128, api_name="/train_gan")
    assert [f["orig_name"] for f in (gif, keras_file, ckpt)] == ["dcgan-epoch1.gif", "dcgan-generator.keras",
                                                                 "dcgan-checkpoint-epoch1.zip"]
    samples = client.predict(api_name="/gan_png")
    assert samples["orig_name"] == "dcgan-epoch1.png"
    kept = client.predict(samples, gif, api_name="/keep_gan")  # the samples go to the gallery, with the GIF
    assert kept[0]["caption"] == "DCGAN · mnist · 1 epochs (2 steps) · batch 64 · lr 0.0001"
    one, two = out_path("dream-seed0.png"), out_path("dream-seed0.png")  # two sessions, the same name
    assert os.path.basename(one) == os.path.basename(two) == "dream-seed0.png"
    assert os.path.dirname(one) != os.path.dirname(two)
    with pytest.raises(ValueError):
        out_path("../escape.png")


# --- fair use: at most two heavy jobs per session ---------------------------------------------------

@pytest.mark.slow
def test_one_session_holds_at_most_two_heavy_jobs(app_server, photo_file):
    import httpx

    # a generous HTTP timeout: the joins are answered at once, but a busy test machine can stall them
    greedy = Client(app_server, verbose=False, analytics_enabled=False, download_files=False,
                    httpx_kwargs={"timeout": 120})
    other = session(app_server)
    jobs = [greedy.submit(handle_file(photo_file), **LONG, api_name="/dream") for _ in range(5)]
    try:
        deadline = time.time() + 60
        while sum(j.done() for j in jobs) < 3 and time.time() < deadline:
            time.sleep(0.1)
        refused = []
        for job in (j for j in jobs if j.done()):
            with pytest.raises(httpx.HTTPStatusError) as info:
                job.result()
            refused.append(info.value.response)
        assert len(refused) == 3 and {r.status_code for r in refused} == {429}
        assert "You already have 2 runs waiting or running" in refused[0].json()["detail"]
        assert sum(not j.done() for j in jobs) == 2  # one running, one waiting
        # another session still gets in, and light events of the greedy one are not counted
        waiting = other.submit(handle_file(photo_file), **SMALL, api_name="/dream")
        assert greedy.predict(handle_file(photo_file), api_name="/dream_estimate").startswith("**Estimate:**")
    finally:
        for job in jobs:
            job.cancel()
    assert waiting.result(timeout=300)[1].endswith("done")
    # with its jobs stopped, the greedy session may run again
    assert greedy.predict(handle_file(photo_file), **SMALL, api_name="/dream")[1].endswith("done")


# --- API names and the examples slider -----------------------------------------------------------

def test_estimates_are_named_and_the_second_style_is_optional(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for name in ("/dream_estimate", "/style_estimate", "/gan_estimate"):
        assert [r["label"] for r in endpoints[name]["returns"]] == ["estimate"]
    params = {p["parameter_name"]: p["parameter_has_default"] for p in endpoints["/style_estimate"]["parameters"]}
    assert params["second_style"] is True


def test_examples_slider_shows_the_data_really_used():
    from genart.gan.data import load_digits
    from genart.ui.gan import examples_available, examples_slider

    n = len(load_digits("mnist"))  # 5 000 offline (the shipped sample), 60 000 with Keras' download
    assert examples_available("mnist") == n
    update = examples_slider("mnist", 60_000)
    assert update["value"] == n and f"at most {n:,}" in update["info"]
    assert examples_slider("mnist", 1000)["value"] == 1000  # a smaller choice is kept
    assert examples_slider("mnist", 10**9)["value"] == n
