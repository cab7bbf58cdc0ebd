"""The style tab's fast method through its API (gradio_client, in-process): /stylize_fast, Refine from the
fast picture, the recipe round trip, the estimate line, the gallery, and the live mirror's frame function."""

import html
import io

import gradio as gr
import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from genart.fast_style import FastStyleConfig, load_model, paint
from genart.images import load_frame, load_image
from genart.fingerprints import image_digest
from genart.recipe import config_from_recipe, make_recipe, read_recipe
from genart.ui import fast_style as style_fast
from genart.ui.limits import HEAVY

SMALL = dict(strength=0.5, max_dim=96)


def _value(update):
    return update["value"] if isinstance(update, dict) and "value" in update else update


def _pixels(path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def fast(client, content, style, **settings):
    """A fast run through /stylize_fast; returns the job (finished)."""
    job = client.submit(handle_file(content), handle_file(style), **{**SMALL, **settings}, api_name="/stylize_fast")
    job.result(timeout=300)
    return job


def test_fast_run_shows_the_content_at_once_then_the_picture_and_its_recipe(client, style_files):
    content, style = style_files
    outputs = fast(client, content, style).outputs()
    assert len(outputs) == 2  # the content, then the picture
    (_, status0, png0, _), (_, status, png, gif) = [o[:4] for o in outputs]
    assert status0.startswith("starting · step 0/1") and png0 is None
    assert status.startswith("one pass 96×72 px · step 1/1") and "done" in status
    assert status.endswith("random, untrained network")  # random weights are never shown as the real thing
    assert gif is None and png["path"].endswith("fast-style-96px.png")
    recipe = read_recipe(png["path"], "fast_style")
    assert recipe["weights"] == "random" and recipe["run"]["model"] == "random" and recipe["seed"] is None
    assert recipe["config"] == {"max_dim": 96, "strength": 0.5, "style_size": 256, "steady": 0.0}
    assert recipe["inputs"] == {"content": image_digest(content), "styles": [image_digest(style)]}
    assert _pixels(png["path"]).shape == (72, 96, 3)


def test_a_fast_recipe_restores_the_method_and_replays_to_the_same_pixels(client, style_files):
    content, style = style_files
    png = fast(client, content, style, strength=0.35, max_dim=128).outputs()[-1][2]
    values = [_value(v) for v in client.predict(handle_file(png["path"]), api_name="/style_recipe")]
    *optimisation, method, strength, max_dim = values
    assert (method, strength, max_dim) == (style_fast.FAST_METHOD, 0.35, 128)
    assert all(v == {"__type__": "update"} for v in optimisation)  # the optimisation's controls stay
    cfg = config_from_recipe(read_recipe(png["path"]))
    assert cfg == FastStyleConfig(max_dim=128, strength=0.35)
    *_, again = paint(content, style, cfg, model=load_model("random"))
    np.testing.assert_array_equal(again.image, _pixels(png["path"]))
    # an optimisation recipe sets the method back to the optimisation
    from genart.style import StyleConfig

    recipe = make_recipe("style", StyleConfig(steps=7), weights="random")
    values = client.predict(handle_file(_json(png["path"], recipe)), api_name="/style_recipe")
    assert _value(values[3]) == 7 and values[-3] == style_fast.OPTIMISATION


def _json(near: str, recipe: dict) -> str:
    import json
    import os

    path = os.path.join(os.path.dirname(near), "recipe.json")
    with open(path, "w") as fh:
        json.dump(recipe, fh)
    return path


def test_refine_starts_the_optimisation_from_the_fast_picture(client, style_files):
    content, style = style_files
    with pytest.raises(AppError, match="no fast picture to refine yet: run the fast method first"):
        client.predict(api_name="/style_refine_start")
    png = fast(client, content, style).outputs()[-1][2]
    method, init, init_image = client.predict(api_name="/style_refine_start")  # (and the accordion opens)
    assert method == style_fast.OPTIMISATION and init == "image"
    np.testing.assert_array_equal(_pixels(init_image["path"]), _pixels(png["path"]))
    *_, refined, _ = client.predict(handle_file(content), handle_file(style), steps=2, max_dim=96, scales=1,
                                    init="image", init_image=handle_file(init_image["path"]), api_name="/style_refine")
    recipe = read_recipe(refined["path"], "style")
    assert recipe["config"]["init"] == "image" and recipe["config"]["steps"] == 2
    assert recipe["inputs"]["init_image"] == image_digest(png["path"])  # it started from the fast picture


def test_fast_errors_are_sentences(client, style_files, tmp_path):
    content, style = style_files
    with pytest.raises(AppError, match="greater than maximum value 1"):  # the slider says it first
        client.predict(handle_file(content), handle_file(style), strength=2, api_name="/stylize_fast")
    fake = tmp_path / "notes.png"
    fake.write_text("not a picture")
    with pytest.raises(AppError, match="style image is not an image format"):
        client.predict(handle_file(content), handle_file(str(fake)), **SMALL, api_name="/stylize_fast")
    with pytest.raises(AppError, match="content image"):
        client.predict(None, handle_file(style), **SMALL, api_name="/stylize_fast")


def test_the_estimate_line_prices_the_chosen_method(client, style_files):
    content, _ = style_files
    line = client.predict(handle_file(content), method=style_fast.FAST_METHOD, fast_max_dim=128,
                          api_name="/style_estimate")
    assert line.startswith("**Estimate:** ≈ ") and "one pass 128×96 px" in line
    optimisation = client.predict(handle_file(content), steps=5, max_dim=96, scales=1, api_name="/style_estimate")
    assert "adam, 5 steps" in optimisation and "one pass" not in optimisation


def test_fast_results_go_to_the_gallery_captioned_as_fast_style(client, style_files):
    content, style = style_files
    png = fast(client, content, style).outputs()[-1][2]
    view = client.predict(png, None, api_name="/keep_fast_style")
    assert [item["caption"] for item in view] == [
        "Fast style transfer · one pass · strength 0.5 · 96 px · random weights"]
    assert len(client.predict(png, None, api_name="/keep_style")) == 1  # not an optimisation's result


# --- the live mirror -------------------------------------------------------------------------------------

@pytest.fixture()
def camera_frame() -> np.ndarray:
    yy, xx = np.mgrid[0:480, 0:640]
    return np.stack([(xx // 3) % 256, (yy // 2) % 256, ((xx + yy) // 5) % 256], axis=2).astype(np.uint8)


def jpeg(rgb: np.ndarray) -> bytes:
    """A camera frame as the page sends it (CameraFrames hands on the data URL's JPEG bytes)."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=92)
    return buf.getvalue()


def facts(status: str) -> str:
    """The server's part of the mirror's status line (the page fills in the rate it shows pictures at)."""
    assert status.endswith('<span class="genart-live-shown"></span>')
    return html.unescape(status.split('<span class="genart-live-facts">', 1)[1].split("</span>", 1)[0])


def test_live_frames_are_painted_in_the_chosen_style_at_the_chosen_size_one_frame_behind(style_files, camera_frame):
    _, style = style_files
    _, status, mirror = style_fast.live_frame(camera_frame, None, 256, 1.0, 0, None)
    assert facts(status) == style_fast.NO_STYLE and "style image" in status  # one sentence; the stream goes on
    first, status, mirror = style_fast.live_frame(camera_frame, style, 256, 1.0, 0, mirror)
    assert not isinstance(first, np.ndarray)  # one frame behind: nothing to show yet (gr.skip())
    assert facts(status) == "starting"
    painted, status, mirror = style_fast.live_frame(camera_frame, style, 256, 1.0, 0, mirror)
    assert painted.dtype == np.uint8 and painted.shape == (192, 256, 3)
    assert facts(status) == "256×192 px · every frame on its own · random, untrained network"
    styler = mirror.styler
    again, status, same = style_fast.live_frame(camera_frame, style, 256, 1.0, 0, mirror)
    assert same is mirror and mirror.styler is styler  # the style is prepared once
    np.testing.assert_array_equal(again, painted)
    assert mirror.styler.reuse_style_vector  # genart's own network: the style vector once
    style_fast.live_frame(camera_frame, style, 128, 0.0, 0, mirror)  # another size: a new stream
    small, *_ = style_fast.live_frame(camera_frame, style, 128, 0.0, 0, mirror)
    np.testing.assert_array_equal(small, load_frame(camera_frame, 128))  # strength 0: the camera frame itself
    # the page's JPEG bytes are decoded at the size needed
    style_fast.live_frame(jpeg(camera_frame), style, 128, 0.0, 0, mirror)
    from_jpeg, *_ = style_fast.live_frame(jpeg(camera_frame), style, 128, 0.0, 0, mirror)
    np.testing.assert_array_equal(from_jpeg, load_frame(jpeg(camera_frame), 128))
    bad = style_files[0] + ".txt"
    with open(bad, "w") as fh:
        fh.write("not a picture")
    _, status, _ = style_fast.live_frame(camera_frame, bad, 128, 1.0, 0, mirror)
    assert "style image" in status and "not an image format" in status


def test_the_steady_control_changes_the_mirrors_frames(style_files, photo):
    _, style = style_files
    rng = np.random.default_rng(0)
    scene = np.repeat(np.repeat(photo, 4, axis=0), 4, axis=1)  # 480×640
    frames = [np.clip(scene + rng.normal(0, 4, scene.shape), 0, 255).astype(np.uint8)
              for _ in range(5)]  # a still scene through a noisy camera

    def stream(steady):
        mirror, shown, lines = None, [], []
        for frame in frames:
            out, status, mirror = style_fast.live_frame(frame, style, 128, 1.0, steady, mirror)
            if isinstance(out, np.ndarray):
                shown.append(out)
                lines.append(facts(status))
        return shown, lines

    alone, alone_lines = stream(0)
    calm, calm_lines = stream(0.8)
    np.testing.assert_array_equal(calm[0], alone[0])  # the first picture is the one-pass picture
    assert all("every frame on its own" in line for line in alone_lines)
    assert "steady 0.8: " in calm_lines[-1] and "carried from the last frame" in calm_lines[-1]
    assert int(calm_lines[-1].split("steady 0.8: ")[1].split("%")[0]) > 80

    def flicker(seq):
        return np.mean([np.abs(a.astype(int) - b).mean() for a, b in zip(seq[1:], seq[:-1])])

    assert flicker(calm) < 0.5 * flicker(alone)


def test_the_live_mirror_is_a_heavy_job_with_the_run_time_limit(monkeypatch):
    import gradio as gr

    from genart.ui.style import build_style_tab

    monkeypatch.setenv("GENART_MAX_RUN_SECONDS", "45")
    with gr.Blocks(analytics_enabled=False) as demo:
        build_style_tab()
    (live,) = [fn for fn in demo.fns.values() if fn.api_name == "style_live"]
    assert live.connection == "stream" and live.concurrency_id == HEAVY
    assert live.time_limit == 45 and live.stream_every == style_fast.LIVE_EVERY_S
    assert [b.elem_id for b in live.inputs[:1]] == ["style-live-input"]
    assert [b.elem_id for b in live.outputs[:1]] == ["style-live-output"] and live.outputs[0].format == "jpeg"
    assert [b.elem_id for b in live.inputs[2:5]] == ["style-live-size", "style-fast-strength", "style-live-steady"]
    assert live.inputs[4].value == style_fast.VIDEO_STEADY
    assert live.inputs[0].webcam_options.constraints == style_fast.CAMERA
    # the session cap counts it as a heavy job while it streams
    from genart.ui import fairness

    assert fairness._is_heavy(demo, live._id)
