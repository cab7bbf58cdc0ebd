"""Batch jobs from the command line: folders, globs, videos, resuming, bad files, and Ray."""

import dataclasses
import os

import numpy as np
import pytest
from PIL import Image

from genart import batch
from genart.cli import main
from genart.errors import InputError
from genart.fingerprints import image_digest
from genart.recipe import read_recipe
from tests.helpers import make_video, outputs, picture, pixels, video_facts

DREAM = ["--layers", "mixed2", "--octaves", "1", "--steps-per-octave", "1", "--tile-size", "0", "--max-dim", "64",
         "--weights", "random"]
STYLE = ["--steps", "2", "--max-dim", "64", "--weights", "random"]
NAMES = ("p0.png", "p1.jpg", "p2.png")


@pytest.fixture()
def folder(tmp_path):
    """3 good pictures and 1 broken file (plus a text file, which is not a picture and is left alone)."""
    src = tmp_path / "in"
    src.mkdir()
    for seed, name in enumerate(NAMES):
        Image.fromarray(picture(seed)).save(src / name, quality=95)
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not the rest of a PNG")
    (src / "notes.txt").write_text("not a picture")
    return src


def mtimes(out):
    return {name: os.stat(os.path.join(out, name)).st_mtime_ns for name in outputs(out)}


@pytest.mark.slow
def test_folder_batch_reports_the_broken_file_goes_on_and_a_rerun_skips_what_is_done(folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["dream", "--batch", str(folder), "--out", str(out), *DREAM]) == 1
    captured = capsys.readouterr()
    assert outputs(out) == ["p0.png", "p1.png", "p2.png"]
    assert captured.out.split() == [str(out / n) for n in outputs(out)]
    assert "3 written, 0 already done, 1 failed" in captured.err
    assert "broken.png: The image " in captured.err and "notes.txt" not in captured.err
    assert "file/s" in captured.err  # the progress bar over files
    recipe = read_recipe(str(out / "p1.png"), "dream")
    assert recipe["inputs"] == {"image": image_digest(str(folder / "p1.jpg"))}
    assert recipe["config"]["max_dim"] == 64 and recipe["weights"] == "random"
    before = mtimes(out)

    assert main(["dream", "--batch", str(folder), "--out", str(out), *DREAM, "-q"]) == 1
    captured = capsys.readouterr()
    assert mtimes(out) == before and captured.out == ""  # not recomputed
    assert "0 written, 3 already done, 1 failed" in captured.err and "broken.png:" in captured.err

    assert main(["dream", "--batch", str(folder), "--out", str(out), *DREAM, "--seed", "3", "-q"]) == 1
    assert "3 of the outputs already done were made with other settings" in capsys.readouterr().err
    assert mtimes(out) == before


def test_a_glob_gives_the_same_pictures_as_single_runs_and_an_interrupted_output_is_redone(folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["dream", "--batch", str(folder / "p*.png"), "--out", str(out), *DREAM, "-q"]) == 0
    assert outputs(out) == ["p0.png", "p2.png"]
    single = tmp_path / "single.png"
    assert main(["dream", str(folder / "p2.png"), *DREAM, "-o", str(single), "-q"]) == 0
    assert np.array_equal(pixels(out / "p2.png"), pixels(single))
    assert read_recipe(str(out / "p2.png")) == read_recipe(str(single))

    kept = mtimes(out)["p0.png"]
    os.remove(out / "p2.png")
    (out / "p2.png.part").write_bytes(pixels(single).tobytes()[:100])  # what a killed run leaves behind
    capsys.readouterr()
    assert main(["dream", "--batch", str(folder / "p*.png"), "--out", str(out), *DREAM, "-q"]) == 0
    assert "1 written, 1 already done, 0 failed" in capsys.readouterr().err
    assert sorted(os.listdir(out)) == ["p0.png", "p2.png"] and mtimes(out)["p0.png"] == kept
    assert np.array_equal(pixels(out / "p2.png"), pixels(single))


@pytest.mark.slow
def test_guide_mask_and_style_batches_equal_single_runs(folder, tmp_path, style_files):
    mask = tmp_path / "mask.png"
    Image.fromarray(np.tile(np.arange(80, dtype=np.uint8)[None, :] * 3, (60, 1))).save(mask)
    dream_options = [*DREAM, "--guide", style_files[1], "--mask", str(mask)]
    assert main(["dream", "--batch", str(folder / "p1.jpg"), "--out", str(tmp_path / "d"), *dream_options, "-q"]) == 0
    assert main(["dream", str(folder / "p1.jpg"), *dream_options, "-o", str(tmp_path / "d.png"), "-q"]) == 0
    # a style batch: its second picture starts from its own content (only video frames are chained)
    assert main(["style", style_files[1], "--batch", str(folder / "p[02].png"), "--out", str(tmp_path / "s"),
                 *STYLE, "-q"]) == 0
    assert main(["style", str(folder / "p2.png"), style_files[1], *STYLE, "-o", str(tmp_path / "s.png"), "-q"]) == 0
    pairs = ((tmp_path / "d" / "p1.png", tmp_path / "d.png"), (tmp_path / "s" / "p2.png", tmp_path / "s.png"))
    for made, single in pairs:
        assert np.array_equal(pixels(made), pixels(single)), made
        assert read_recipe(str(made)) == read_recipe(str(single))
    assert read_recipe(str(tmp_path / "d" / "p1.png"))["inputs"].keys() == {"image", "guide", "mask"}


def test_inputs_and_output_names(folder, tmp_path):
    assert [os.path.basename(p) for p in batch.list_inputs(str(folder), str(tmp_path / "o"))] == \
        ["broken.png", *NAMES]
    with pytest.raises(InputError, match="no pictures there"):
        batch.list_inputs(str(tmp_path / "nothing*.png"), str(tmp_path / "o"))
    with pytest.raises(InputError, match="--out .* holds input pictures"):
        batch.list_inputs(str(folder), str(folder))
    assert batch.output_paths(["x/a.jpg", "y/a.PNG", "x/b.png", "z/a.png"], "o") == \
        ["o/a_jpg.png", "o/a_png.png", "o/b.png", "o/a_png_2.png"]


@pytest.mark.parametrize("argv, message", [
    (["dream", "--batch", "x"], "need --out DIR"),
    (["dream", "in.png", "--batch", "x", "--out", "o"], "not both"),
    (["dream", "--out", "o", "in.png"], "go with --batch or --video"),
    (["dream", "--batch", "x", "--out", "o", "--gif"], "--gif is for a single run"),
    (["style", "content.png"], "required: STYLE"),
    (["style"], "required: CONTENT"),
    (["style", "--video", "clip.mp4", "--out", "o"], "required: STYLE (the style pictures of the batch)"),
    (["dream"], "required: IMAGE"),
])
def test_command_lines_that_mix_single_runs_and_batches_are_refused(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_dream_video_keeps_its_frame_rate_and_frame_count(tmp_path, capsys, monkeypatch):
    clip = tmp_path / "clip.mp4"
    make_video(clip, frames=6, fps=8.0)
    out = tmp_path / "out"
    assert main(["dream", "--video", str(clip), "--out", str(out), *DREAM, "-q"]) == 0
    assert outputs(out / "frames") == [f"frame_0000{k}.png" for k in range(1, 7)]
    assert video_facts(out / "clip.mp4") == (6, 8.0)
    assert capsys.readouterr().out.split()[-1] == str(out / "clip.mp4")

    monkeypatch.setattr(batch.video, "MAX_FRAMES", 4)  # a video past the bound: cut there, and said so
    assert main(["dream", "--video", str(clip), "--out", str(tmp_path / "cut"), *DREAM, "-q"]) == 0
    assert "the video has 6 frames; only the first 4 were taken" in capsys.readouterr().err
    assert video_facts(tmp_path / "cut" / "clip.mp4") == (4, 8.0)


@pytest.mark.slow
def test_style_video_frames_start_from_the_previous_result(tmp_path, style_files, monkeypatch):
    from genart import models
    from genart.style import TUTORIAL, stylize

    clip = tmp_path / "clip.mp4"
    decoded = make_video(clip, frames=6)
    monkeypatch.setattr(batch, "MAX_FRAMES", 3)
    out = tmp_path / "out"
    assert main(["style", "--video", str(clip), "--out", str(out), style_files[1], *STYLE, "-q"]) == 0
    results = [pixels(out / "frames" / f"frame_0000{k}.png") for k in (1, 2, 3)]

    cfg = dataclasses.replace(TUTORIAL, steps=2, max_dim=64)
    model = models.vgg19_extractor(cfg.style_layers, cfg.content_layers, "random")

    def run(content, config, init=None):
        return batch.final_frame(stylize(content, style_files[1], config, model=model, init_image=init)).image

    assert np.array_equal(results[0], run(decoded[0], cfg))  # the first frame starts from its content
    chained = run(decoded[2], dataclasses.replace(cfg, init="image"), init=results[1])
    assert np.array_equal(results[2], chained)
    assert not np.array_equal(results[2], run(decoded[2], cfg))
    recipe = read_recipe(str(out / "frames" / "frame_00003.png"), "style")
    assert recipe["config"]["init"] == "image" and recipe["inputs"]["init_image"] == image_digest(results[1])

    os.remove(out / "frames" / "frame_00003.png")  # resumed: frame 3 starts from frame 2's PNG
    assert main(["style", "--video", str(clip), "--out", str(out), style_files[1], *STYLE, "-q"]) == 0
    assert np.array_equal(pixels(out / "frames" / "frame_00003.png"), results[2])


def test_a_ray_batch_writes_the_same_pictures_and_reports_the_broken_file(folder, tmp_path, capsys, on_ray):
    Image.fromarray(picture(5, 12, 10)).save(folder / "tiny.png")  # decodes, but too small: refused by the task
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert main(["dream", "--batch", str(folder), "--out", str(local), *DREAM, "-q"]) == 1
    capsys.readouterr()
    assert main(["dream", "--batch", str(folder), "--out", str(remote), *DREAM, "-q", "--ray", on_ray]) == 1
    err = capsys.readouterr().err
    assert "3 written, 0 already done, 2 failed" in err and "broken.png: The image " in err
    assert "tiny.png: The image is 12×10 pixels" in err and "computed on Ray cluster at" in err
    assert outputs(remote) == outputs(local) == ["p0.png", "p1.png", "p2.png"]
    for name in outputs(local):
        assert np.array_equal(pixels(remote / name), pixels(local / name)), name
        assert read_recipe(str(remote / name)) == read_recipe(str(local / name))


def test_dream_and_style_videos_on_ray_equal_the_local_ones(tmp_path, capsys, monkeypatch, on_ray, style_files):
    clip = tmp_path / "clip.mp4"
    make_video(clip, frames=4, fps=5.0)
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert main(["dream", "--video", str(clip), "--out", str(local), *DREAM, "-q"]) == 0
    # --ray alone: the cluster $GENART_RAY_ADDRESS names
    assert main(["dream", "--video", str(clip), "--out", str(remote), *DREAM, "-q", "--ray"]) == 0
    assert "computed on Ray cluster at" in capsys.readouterr().err
    assert outputs(remote / "frames") == outputs(local / "frames") == [f"frame_0000{k}.png" for k in range(1, 5)]
    for name in outputs(local / "frames"):
        assert np.array_equal(pixels(remote / "frames" / name), pixels(local / "frames" / name)), name
    assert video_facts(remote / "clip.mp4") == (4, 5.0)

    monkeypatch.setattr(batch, "MAX_FRAMES", 2)  # style frames are chained: on Ray one after another
    for out, ray in ((tmp_path / "style_local", []), (tmp_path / "style_remote", ["--ray", on_ray])):
        assert main(["style", "--video", str(clip), "--out", str(out), style_files[1], *STYLE, "-q", *ray]) == 0
    for name in ("frame_00001.png", "frame_00002.png"):
        assert np.array_equal(pixels(tmp_path / "style_remote" / "frames" / name),
                              pixels(tmp_path / "style_local" / "frames" / name)), name
