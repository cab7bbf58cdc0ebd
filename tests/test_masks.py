"""genart.masks: decoding, painted alpha, resizing, feathering and the empty-mask sentence."""

import io

import numpy as np
import pytest
from PIL import Image

from genart.errors import InputError
from genart.masks import combine_layers, load_mask, resize_mask


def _png(arr, mode=None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, format="PNG")
    return buf.getvalue()


def test_black_and_white_upload_is_white_for_effect_and_resized():
    bw = np.zeros((40, 60), np.uint8)
    bw[:, 30:] = 255
    mask = load_mask(_png(bw), (80, 120))
    assert mask.shape == (80, 120, 1) and mask.dtype == np.float32
    assert mask[:, :55].max() == 0.0 and mask[:, 65:].min() == 1.0


def test_painted_alpha_is_the_mask_not_the_colour():
    layer = np.zeros((50, 50, 4), np.uint8)
    layer[10:20, 10:20] = (255, 0, 0, 255)  # a red stroke on a transparent layer
    mask = load_mask(_png(layer, "RGBA"), (50, 50))
    assert mask[15, 15, 0] == 1.0 and mask[40, 40, 0] == 0.0
    assert load_mask(layer, (50, 50))[15, 15, 0] == 1.0  # arrays the same way


def test_feather_softens_edges_but_keeps_the_inside():
    bw = np.zeros((64, 64), np.float32)
    bw[:, 32:] = 1.0
    hard, soft = load_mask(bw, (64, 64)), load_mask(bw, (64, 64), feather=4)
    assert set(np.unique(hard)) <= {0.0, 1.0}
    assert 0.2 < soft[32, 31, 0] < 0.8 and soft[32, 63, 0] > 0.99 and soft[32, 0, 0] < 0.01


def test_empty_and_bad_masks_get_a_sentence():
    with pytest.raises(InputError, match="empty"):
        load_mask(np.zeros((20, 20), np.uint8), (20, 20))
    with pytest.raises(InputError, match="not an image"):
        load_mask(b"hello, not a png", (20, 20))
    with pytest.raises(InputError, match="feather"):
        load_mask(np.ones((20, 20), np.float32), (20, 20), feather=-1)


def test_combine_layers_takes_the_most_opaque_stroke():
    a, b = np.zeros((8, 8, 4), np.uint8), np.zeros((8, 8, 4), np.uint8)
    a[0, 0, 3], b[0, 0, 3], b[7, 7, 3] = 100, 200, 50
    alpha = combine_layers([a, b])[:, :, 3]
    assert alpha[0, 0] == 200 and alpha[7, 7] == 50 and alpha[4, 4] == 0
    assert combine_layers([]) is None
    assert resize_mask(np.ones((4, 4), np.float32), (8, 6)).shape == (8, 6, 1)
