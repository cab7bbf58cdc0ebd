"""``genart style --method fast``: a single run and its recipe, the refused options, batches, videos that
paint every frame on its own (``--steady 0``) and steady videos (in this process, resumed, and on Ray)."""

import numpy as np
import pytest
from PIL import Image

from genart.batch import final_frame
from genart.cli import main
from genart.fast_style import VIDEO_STEADY, FastStyleConfig, Steady, load_model, paint
from genart.fingerprints import image_digest
from genart.images import load_image
from genart.recipe import config_from_recipe, read_recipe
from tests.helpers import make_video, outputs, picture, pixels, video_facts

FAST = ["--method", "fast", "--max-dim", "64", "--weights", "random", "-q"]


def painted(content, style, **settings) -> np.ndarray:
    return final_frame(paint(content, style, FastStyleConfig(**settings), model=load_model("random"))).image


def test_a_fast_run_writes_its_picture_and_recipe_and_the_recipe_replays_it(tmp_path, style_files, capsys):
    content, style = style_files
    out = tmp_path / "fast.png"
    assert main(["style", content, style, *FAST, "--strength", "0.4", "-o", str(out)]) == 0
    assert capsys.readouterr().out.split() == [str(out)]
    np.testing.assert_array_equal(pixels(out), painted(content, style, max_dim=64, strength=0.4))
    recipe = read_recipe(str(out), "fast_style")
    assert recipe["config"] == {"max_dim": 64, "strength": 0.4, "style_size": 256, "steady": 0.0}
    assert recipe["run"] == {"model": "random"} and recipe["weights"] == "random"
    assert recipe["inputs"] == {"content": image_digest(content), "styles": [image_digest(style)]}
    # the recipe alone chooses the method; an option given overrides it
    again = tmp_path / "again.png"
    assert main(["style", "--recipe", str(out), content, style, "--weights", "random", "-q", "-o", str(again)]) == 0
    np.testing.assert_array_equal(pixels(again), pixels(out))
    assert config_from_recipe(read_recipe(str(again))) == FastStyleConfig(max_dim=64, strength=0.4)
    other = tmp_path / "other.png"
    assert main(["style", "--recipe", str(out), content, style, "--strength", "1", "--weights", "random", "-q",
                 "-o", str(other)]) == 0
    assert read_recipe(str(other))["config"]["strength"] == 1.0


@pytest.mark.parametrize("argv,message", [
    (["--method", "fast", "--steps", "5"], "--steps is for the optimisation; --method fast paints in one pass"),
    (["--method", "fast", "--optimizer", "lbfgs", "--preset", "fast"], "--optimizer, --preset are for the optim"),
    (["--method", "fast", "--gif"], "--gif is for the optimisation"),
    (["--method", "fast", "--init-image", "x.png"], "--init-image is for the optimisation"),
    (["--strength", "0.5"], "--strength is a setting of --method fast; the optimisation has no such setting"),
    (["--method", "optimisation", "--style-size", "128"], "--style-size is a setting of --method fast"),
])
def test_each_method_refuses_the_others_options_in_one_sentence(argv, message, capsys, style_files):
    content, style = style_files
    assert main(["style", content, style, *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.count("\n") == 0 and err.startswith("genart: error: ")


def test_one_style_picture_only(capsys, style_files):
    content, style = style_files
    assert main(["style", content, style, style, "--method", "fast"]) == 2
    assert "--method fast paints with one STYLE picture, not 2" in capsys.readouterr().err


def test_a_fast_batch_paints_every_picture_as_a_single_run_would(tmp_path, style_files, capsys):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for seed in range(3):
        Image.fromarray(picture(seed)).save(src / f"p{seed}.png")
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not the rest of a PNG")
    style = style_files[1]
    assert main(["style", "--batch", str(src), "--out", str(out), style, *FAST]) == 1
    assert "3 written, 0 already done, 1 failed" in capsys.readouterr().err
    assert outputs(out) == ["p0.png", "p1.png", "p2.png"]
    for seed in range(3):
        np.testing.assert_array_equal(pixels(out / f"p{seed}.png"), painted(picture(seed), style, max_dim=64))
        assert read_recipe(str(out / f"p{seed}.png"), "fast_style")["inputs"]["styles"] == [image_digest(style)]


def test_steady_is_for_videos_only(capsys, style_files, tmp_path):
    content, style = style_files
    assert main(["style", content, style, *FAST, "--steady", "0.5"]) == 2
    assert "--steady is for --video: it paints each frame knowing the last one" in capsys.readouterr().err
    assert main(["style", "--batch", str(tmp_path), "--out", str(tmp_path / "o"), style, *FAST, "--steady", "0.5"]) == 2
    assert "--steady is for --video" in capsys.readouterr().err
    assert main(["style", content, style, "--steady", "0.5"]) == 2  # and a setting of the fast method
    assert "--steady is a setting of --method fast" in capsys.readouterr().err
    assert main(["style", "--video", "v.mp4", "--out", str(tmp_path), style, *FAST, "--steady", "1.5"]) == 1
    assert "steady" in capsys.readouterr().err


def test_a_fast_video_with_steady_zero_paints_every_frame_on_its_own(tmp_path, style_files):
    clip = tmp_path / "clip.mp4"
    decoded = make_video(clip, frames=6, fps=12.0)
    out = tmp_path / "out"
    style = style_files[1]
    assert main(["style", "--video", str(clip), "--out", str(out), style, *FAST, "--strength", "0.8",
                 "--steady", "0"]) == 0
    assert outputs(out / "frames") == [f"frame_0000{k}.png" for k in range(1, 7)]
    assert video_facts(out / "clip.mp4") == (6, 12.0)
    for k, frame in enumerate(decoded, 1):  # not chained: each frame is the one pass of its own content
        result = pixels(out / "frames" / f"frame_0000{k}.png")
        np.testing.assert_array_equal(result, painted(frame, style, max_dim=64, strength=0.8))
        recipe = read_recipe(str(out / "frames" / f"frame_0000{k}.png"), "fast_style")
        assert recipe["inputs"]["content"] == image_digest(frame) and "init_image" not in recipe["inputs"]
        assert recipe["config"]["steady"] == 0.0 and "previous" not in recipe["inputs"]
        assert recipe["run"] == {"model": "random"}


def test_a_steady_video_writes_every_frame_with_its_recipe_and_resumes(tmp_path, style_files):
    clip = tmp_path / "clip.mp4"
    decoded = make_video(clip, frames=6, fps=12.0)  # the picture pans 6 px a frame
    out = tmp_path / "out"
    style = style_files[1]
    assert main(["style", "--video", str(clip), "--out", str(out), style, *FAST]) == 0  # steady by default
    names = [f"frame_0000{k}.png" for k in range(1, 7)]
    assert outputs(out / "frames") == names
    assert video_facts(out / "clip.mp4") == (6, 12.0)
    steady = Steady(VIDEO_STEADY)  # what the frames must be: each one-pass picture, made steady in order
    expected = [steady(load_image(frame, 64), painted(frame, style, max_dim=64)) for frame in decoded]
    for k, (frame, name) in enumerate(zip(decoded, names)):
        result = pixels(out / "frames" / name)
        np.testing.assert_array_equal(result, expected[k])
        recipe = read_recipe(str(out / "frames" / name), "fast_style")
        assert recipe["config"] == {"max_dim": 64, "strength": 1.0, "style_size": 256, "steady": VIDEO_STEADY}
        assert recipe["inputs"]["content"] == image_digest(frame)
        if k == 0:  # the first frame is its own one-pass picture
            np.testing.assert_array_equal(result, painted(frame, style, max_dim=64))
            assert recipe["run"] == {"model": "random", "carried": 0.0} and "previous" not in recipe["inputs"]
        else:  # carried from the frame before
            assert recipe["run"]["carried"] > 0.5 and "scene_cut" not in recipe["run"]
            assert recipe["inputs"]["previous"] == image_digest(pixels(out / "frames" / names[k - 1]))
    assert any(np.abs(pixels(out / "frames" / n).astype(int) - painted(f, style, max_dim=64)).mean() > 1
               for f, n in zip(decoded[1:], names[1:]))  # steady changed what independent frames would be
    # a re-run paints the missing frames knowing the ones already there: the same pictures
    (out / "frames" / names[3]).unlink()
    (out / "frames" / names[5]).unlink()
    assert main(["style", "--video", str(clip), "--out", str(out), style, *FAST]) == 0
    for k, name in enumerate(names):
        np.testing.assert_array_equal(pixels(out / "frames" / name), expected[k])


def test_a_fast_video_on_ray_equals_the_local_one(tmp_path, style_files, capsys, on_ray):
    clip = tmp_path / "clip.mp4"
    make_video(clip, frames=4, fps=5.0)
    style = style_files[1]
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert main(["style", "--video", str(clip), "--out", str(local), style, *FAST]) == 0
    assert main(["style", "--video", str(clip), "--out", str(remote), style, *FAST, "--ray", on_ray]) == 0
    assert "computed on Ray cluster at" in capsys.readouterr().err
    assert outputs(remote / "frames") == outputs(local / "frames") == [f"frame_0000{k}.png" for k in range(1, 5)]
    for name in outputs(local / "frames"):
        np.testing.assert_array_equal(pixels(remote / "frames" / name), pixels(local / "frames" / name))
    assert video_facts(remote / "clip.mp4") == (4, 5.0)
