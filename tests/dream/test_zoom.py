"""DeepDream's zoom animation: the plan, the frames, no retrace per frame, MP4/GIF and the CLI."""

import dataclasses

import imageio.v3 as iio
import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from genart import estimate, models
from genart.cli import main
from genart.dream import COSTING, DreamConfig, dream, dream_zoom, plan
from genart.dream.ascent import ascent_for
from genart.dream.zoom import ZOOM_FRAME, record_zoom, zoom_in
from genart.errors import InputError
from genart.export import MAX_VIDEO_FRAMES, Clip, save_mp4

LAYERS = ("mixed2",)


@pytest.fixture(scope="module")
def model():
    return models.dream_extractor(LAYERS, weights="random")


def _cfg(**kw):
    base = dict(layers=LAYERS, octaves=2, steps_per_octave=2, tile_size=0, max_dim=96, preview_every=1,
                zoom_frames=3, zoom=1.1, zoom_steps=2)
    return DreamConfig(**{**base, **kw})


def _mp4_frames(path):
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    frames = [np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader]
    return (h, w), frames


def test_defaults_keep_no_animation_and_bad_values_get_a_sentence():
    cfg = DreamConfig()
    assert (cfg.zoom_frames, cfg.zoom, cfg.zoom_steps) == (0, 1.05, 10)
    assert [s.label for s in plan(cfg)] == [f"octave {i}/5" for i in range(1, 6)]
    for field, value, text in (("zoom_frames", -1, "zoom_frames must be a whole number from 0 to 300"),
                               ("zoom_frames", 301, "from 0 to 300"), ("zoom", 0.9, "zoom must be a number from 1 to 1.5"),
                               ("zoom_steps", 0, "zoom_steps must be a whole number from 1 to 1000")):
        with pytest.raises(InputError, match=text):
            DreamConfig(**{field: value})


def test_plan_and_estimate_cover_the_zoom_frames():
    cfg = DreamConfig(max_dim=256, octaves=3, steps_per_octave=4, zoom_frames=20, zoom_steps=10)
    segments = plan(cfg, (300, 400))
    assert [s.label for s in segments[3:]] == [f"zoom frame {k}/20" for k in range(1, 21)]
    assert all(s.steps == 10 and s.shape == (192, 256) for s in segments[3:])
    assert sum(s.steps for s in segments) == cfg.total_steps == 3 * 4 + 20 * 10
    est = estimate.estimate(COSTING, cfg, (300, 400), measure=False)
    assert est.total_steps == 212 and len(est.plan) == 23 and "then 20 zoom frames × 10 steps" in est.text


def test_zoom_in_scales_about_the_centre():
    yy, xx = np.mgrid[0:64, 0:80]
    img = np.stack([xx * 3, yy * 4, np.zeros_like(xx)], axis=2).astype(np.uint8)
    assert np.abs(zoom_in(img, 1.0).astype(int) - img).max() <= 1
    twice = zoom_in(img, 2.0)
    assert twice.shape == img.shape
    expected = np.asarray(Image.fromarray(img[16:48, 20:60]).resize((80, 64), Image.BICUBIC))
    assert np.abs(twice.astype(int) - expected).max() <= 2
    # a ramp zoomed by 2 about the centre: twice the slope, same value in the middle
    assert abs(int(twice[32, 60, 0]) - int(img[32, 50, 0])) <= 2


def test_zoom_frames_stream_and_match_the_plan(photo, model):
    cfg = _cfg()
    frames = list(dream_zoom(photo, cfg, model=model))
    total = cfg.total_steps
    assert {f.total for f in frames} == {total} and frames[-1].step == total
    steps = [f.step for f in frames]
    assert steps == sorted(steps) and steps == list(range(0, total + 1))  # preview_every=1
    assert [f.final for f in frames] == [False] * (len(frames) - 1) + [True]
    zoomed = [f for f in frames if ZOOM_FRAME in f.metrics]
    assert [f.metrics[ZOOM_FRAME] for f in zoomed] == [1.0, 2.0, 3.0]
    assert [f.stage for f in zoomed] == ["zoom frame 1/3", "zoom frame 2/3", "zoom frame 3/3"]
    assert zoomed[-1] is frames[-1]
    shape = frames[0].image.shape
    assert all(f.image.shape == shape for f in frames)
    # each frame moved on from the last: zoomed in and dreamt
    dreamt = [f for f in frames if f.stage == "octave 2/2"][-1].image
    for before, after in zip([dreamt] + [f.image for f in zoomed], [f.image for f in zoomed]):
        assert np.abs(before.astype(int) - after).mean() > 0.5
    # dream() with zoom_frames runs the same animation
    again = list(dream(photo, cfg, model=model))
    assert [f.step for f in again] == steps
    np.testing.assert_array_equal(again[-1].image, frames[-1].image)
    # the frames are the dreamt image zoomed, then dreamt zoom_steps more (nothing else in between)
    first = dataclasses.replace(cfg, octaves=1, steps_per_octave=cfg.zoom_steps, zoom_frames=0, seed=1)
    by_hand = list(dream(zoom_in(dreamt, cfg.zoom), first, model=model))[-1].image
    np.testing.assert_array_equal(by_hand, zoomed[0].image)


def test_no_retrace_per_frame(photo, model):
    ascent = ascent_for(model)
    list(dream_zoom(photo, _cfg(zoom_frames=1), model=model))  # traced at most once here
    count = ascent.tracing_count()
    assert count >= 1
    list(dream_zoom(photo, _cfg(zoom_frames=6, zoom=1.2, zoom_steps=3, max_dim=112, seed=5), model=model))
    assert ascent.tracing_count() == count


def test_record_zoom_records_every_zoom_frame_even_if_the_consumer_skips(photo, model):
    clip = Clip()
    shown = [f for i, f in enumerate(record_zoom(dream_zoom(photo, _cfg(zoom_frames=4), model=model), clip.add))
             if i % 5 == 0]  # a consumer that shows one frame in five
    assert len(clip) == 4 and len(shown) < 20
    assert len({c.tobytes() for c in clip.frames}) == 4


def test_save_mp4_is_bounded_and_even(tmp_path):
    frames = [np.full((51, 77, 3), 20 * i, np.uint8) for i in range(5)]
    (h, w), read = _mp4_frames(save_mp4(frames, tmp_path / "a.mp4", fps=10))
    assert (h, w) == (50, 76) and len(read) == 5
    assert [int(f.mean()) for f in read] == pytest.approx([0, 20, 40, 60, 80], abs=3)
    big = [np.zeros((600, 2400, 3), np.uint8)] * 2
    assert _mp4_frames(save_mp4(big, tmp_path / "b.mp4"))[0] == (256, 1024)
    with pytest.raises(ValueError, match="at most"):
        save_mp4([frames[0]] * (MAX_VIDEO_FRAMES + 1), tmp_path / "c.mp4")
    with pytest.raises(ValueError, match="no frames"):
        save_mp4([], tmp_path / "d.mp4")


def test_cli_writes_the_zoom_animation(tmp_path, photo, capsys):
    src = tmp_path / "in.png"
    Image.fromarray(photo).save(src)
    out, mp4, gif = tmp_path / "x.png", tmp_path / "x.mp4", tmp_path / "x.gif"
    status = main(["dream", str(src), "--layers", "mixed2", "--octaves", "1", "--steps-per-octave", "2",
                   "--tile-size", "0", "--max-dim", "96", "--zoom-frames", "4", "--zoom", "1.1", "--zoom-steps", "2",
                   "-o", str(out), "--mp4", str(mp4), "--gif", str(gif), "-q"])
    assert status == 0
    assert capsys.readouterr().out.split() == [str(out), str(mp4), str(gif)]
    (h, w), read = _mp4_frames(mp4)
    assert (h, w) == (72, 96) and len(read) == 4  # photo 120×160 → working size 72×96
    assert iio.imread(gif).shape == (4, 72, 96, 3)
    result = np.asarray(Image.open(out).convert("RGB")).astype(int)
    assert np.abs(read[-1].astype(int) - result).mean() < 6  # the MP4 ends on the result (H.264 is lossy)


def test_cli_mp4_needs_zoom_frames(tmp_path, photo, capsys):
    src = tmp_path / "in.png"
    Image.fromarray(photo).save(src)
    assert main(["dream", str(src), "--mp4", str(tmp_path / "x.mp4"), "-q"]) == 1
    assert "--mp4 writes the zoom animation: add --zoom-frames" in capsys.readouterr().err
    assert "--zoom-frames" in _help()


def _help():
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main(["dream", "--help"])
    return buf.getvalue()


def test_a_dream_that_stops_itself_ends_the_animation(photo, monkeypatch):
    """A loss threshold ends a dream early (its final frame before its planned steps): the zoom stops there."""
    import genart.dream.run as gd
    from genart.frames import Frame

    calls = []

    def fake_dream(image, cfg, model=None, **kw):
        calls.append(cfg)
        total = cfg.octaves * cfg.steps_per_octave
        stop = 1 if len(calls) == 3 else total  # the second zoom frame reaches the threshold after a step
        yield Frame(image, 0, total, "starting", {})
        for step in range(1, stop + 1):
            yield Frame(image, step, total, "stopped" if stop < total else "octave", {"loss": 1.0},
                        final=step == stop)

    monkeypatch.setattr(gd, "dream", fake_dream)
    frames = list(dream_zoom(photo, _cfg(zoom_frames=5, max_dim=160)))
    assert len(calls) == 3
    assert [f.final for f in frames] == [False] * (len(frames) - 1) + [True]
    assert frames[-1].metrics[ZOOM_FRAME] == 2.0 and frames[-1].stage == "stopped"
    assert [f.metrics[ZOOM_FRAME] for f in frames if ZOOM_FRAME in f.metrics] == [1.0, 2.0]


def test_app_zoom_endpoint_streams_and_writes_the_animation(client, tmp_path, photo):
    from gradio_client import handle_file

    src = tmp_path / "in.png"
    Image.fromarray(photo).save(src)
    # named like /dream's parameters (all optional but the image), then the zoom's own
    settings = dict(layers=["mixed2"], octaves=1, steps_per_octave=2, tile_size=0, max_dim=128,
                    zoom_frames=3, zoom=1.1, zoom_steps=2)
    params = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/dream_zoom"]["parameters"]
    assert [p["parameter_name"] for p in params][-3:] == ["zoom_frames", "zoom", "zoom_steps"]
    assert not params[0]["parameter_has_default"] and all(p["parameter_has_default"] for p in params[1:])
    job = client.submit(handle_file(str(src)), **settings, api_name="/dream_zoom")
    job.result(timeout=300)
    outputs = job.outputs()
    statuses = [o[1] for o in outputs]
    assert statuses[-1].startswith("zoom frame 3/3 · step 8/8") and statuses[-1].endswith("done")
    image, _, png, mp4, gif = outputs[-1]
    assert png["path"].endswith(".png") and gif["path"].endswith(".gif")
    (h, w), read = _mp4_frames(mp4["path"])
    assert (h, w) == (96, 128) and len(read) == 3
    assert all(o[3] is None for o in outputs[:-1])
    with pytest.raises(Exception, match="greater than maximum value 120"):  # the slider's own bound
        client.predict(handle_file(str(src)), **{**settings, "zoom_frames": 400}, api_name="/dream_zoom")


@pytest.mark.slow
def test_strongest_channels_are_measured_once_for_the_whole_animation(photo, model, monkeypatch):
    import genart.dream.run as gd

    real, configs = gd.dream, []

    def spy(image, cfg, model=None, **kw):
        configs.append(cfg)
        return real(image, cfg, model, **kw)

    monkeypatch.setattr(gd, "dream", spy)
    frames = list(dream_zoom(photo, _cfg(zoom_frames=2, channel_mode="strongest", channel_count=3), model=model))
    first, *per_frame = configs
    assert first.channel_mode == "strongest" and len(per_frame) == 2
    picked = [f.stage for f in frames if "channels" in f.stage][0].split("channels ")[1]
    assert len(picked.split(", ")) == 3
    for cfg in per_frame:
        assert cfg.channel_mode == "chosen" and ", ".join(map(str, cfg.channels)) == picked
