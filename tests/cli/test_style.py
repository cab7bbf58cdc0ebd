"""``genart style --mask`` and the style controls on the command line; the recipe's mask fingerprint."""

import numpy as np
import pytest
from PIL import Image

from genart.cli import main
from genart.errors import InputError
from genart.images import load_image
from genart.fingerprints import mask_digest
from genart.recipe import config_from_recipe, read_recipe

SMALL = ["--steps", "3", "--max-dim", "64", "--weights", "random", "-q", "--style-weight", "1000",
         "--content-weight", "1", "--tv-weight", "0"]


@pytest.fixture()
def left_mask(tmp_path):
    """A black-and-white mask of another size than the content: white on the left third."""
    bw = np.zeros((30, 40), np.uint8)
    bw[:, :13] = 255
    path = tmp_path / "mask.png"
    Image.fromarray(bw).save(path)
    return str(path)


def test_style_with_a_mask_keeps_the_content_outside_and_records_the_mask(tmp_path, style_files, left_mask,
                                                                          capsys):
    content, style = style_files
    out = tmp_path / "masked.png"
    assert main(["style", content, style, "--mask", left_mask, "--mask-feather", "1", "--pooling", "avg",
                 "--normalize-gradients", *SMALL, "-o", str(out)]) == 0
    assert capsys.readouterr().out.split() == [str(out)]
    recipe = read_recipe(str(out), "style")
    assert recipe["inputs"]["mask"] == mask_digest(left_mask)
    cfg = config_from_recipe(recipe)
    assert (cfg.pooling, cfg.normalize_gradients, cfg.mask_feather) == ("avg", True, 1.0)
    result = load_image(str(out)).astype(int)
    small_content = load_image(content, 64).astype(int)
    assert result.shape == small_content.shape == (48, 64, 3)
    assert np.abs(result[:, 30:] - small_content[:, 30:]).max() <= 1  # right of the mask: the content
    assert np.abs(result[:, :18] - small_content[:, :18]).mean() > 2  # inside: painted


def test_mask_problems_end_with_one_line(tmp_path, style_files, capsys):
    content, style = style_files
    empty = tmp_path / "empty.png"
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(empty)
    assert main(["style", content, style, "--mask", str(empty), *SMALL, "-o", str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("genart: error: The mask") and "empty" in err[0]
    assert main(["style", content, style, "--mask", str(tmp_path / "missing.png"), *SMALL]) == 1
    assert "missing.png: no such file" in capsys.readouterr().err


def test_mask_digest_reads_what_the_run_reads():
    painted = np.zeros((20, 30, 4), np.uint8)
    painted[..., :3] = 255
    painted[5:10, 5:25, 3] = 255  # a stroke on a transparent layer
    bw = np.zeros((20, 30), np.uint8)
    bw[5:10, 5:25] = 255
    other = painted.copy()
    other[12:15, 5:25, 3] = 255
    assert mask_digest(painted) == mask_digest(bw) == mask_digest(Image.fromarray(bw))
    assert mask_digest(other) != mask_digest(painted)  # white strokes differ by their alpha only
    assert mask_digest(bw).startswith("sha256:") and len(mask_digest(bw)) == 23
    with pytest.raises(InputError, match="empty"):
        mask_digest(np.zeros((4, 4), np.uint8))
