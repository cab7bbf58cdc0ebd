"""Style transfer masks: one style inside with the content kept outside; two styles by region Grams."""

import numpy as np
import pytest
import tensorflow as tf

from tests import style_pictures
from genart.errors import InputError
from genart.style import STYLE_LAYERS, StyleConfig, stylize
from genart.style.losses import gram_matrix, masked_gram

# Strong style, little content, no smoothing: random-weight VGG19's style terms are small otherwise.
STRONG = dict(max_dim=64, preview_every=1, style_weight=1e3, content_weight=1.0, tv_weight=0.0)


@pytest.fixture(scope="module")
def stripes():
    return style_pictures.stripes()


@pytest.fixture(scope="module")
def checks():
    return style_pictures.checks()


@pytest.fixture(scope="module")
def right_half():
    """A 48×64 mask: the right half (white = style)."""
    mask = np.zeros((48, 64), np.uint8)
    mask[:, 32:] = 255
    return mask


def _region_grams(model, rgb, mask01):
    """Gram matrices of each style layer over the mask and over its complement."""
    x = tf.constant(rgb[None] / np.float32(255.0))
    outs = model(tf.keras.applications.vgg19.preprocess_input(x * 255.0))[:len(STYLE_LAYERS)]
    m = tf.constant(mask01[None, :, :, None], tf.float32)
    return [masked_gram(f, m) for f in outs], [masked_gram(f, 1.0 - m) for f in outs]


def _targets(model, rgb):
    x = tf.constant(rgb[None] / np.float32(255.0))
    return [gram_matrix(f) for f in model(tf.keras.applications.vgg19.preprocess_input(x * 255.0))[:5]]


def _distance(grams, targets):
    return sum(float(tf.reduce_mean((g - t) ** 2)) for g, t in zip(grams, targets))


def test_masked_gram_is_the_gram_of_the_region():
    f = tf.constant(np.random.default_rng(0).normal(size=(1, 6, 8, 5)).astype(np.float32))
    ones = tf.ones((1, 12, 16, 1))
    np.testing.assert_allclose(masked_gram(f, ones).numpy(), gram_matrix(f).numpy(), rtol=1e-5)
    left = np.zeros((1, 12, 16, 1), np.float32)
    left[:, :, :8] = 1.0  # the left half at the image's size is the left half of the layer
    np.testing.assert_allclose(masked_gram(f, tf.constant(left)).numpy(), gram_matrix(f[:, :, :4]).numpy(),
                               rtol=1e-5)


@pytest.mark.parametrize("optimizer", ["adam", "lbfgs"])
def test_one_style_goes_inside_and_the_content_stays_outside(model, content, stripes, right_half, optimizer):
    frames = list(stylize(content, stripes, StyleConfig(steps=6, optimizer=optimizer, **STRONG), model,
                          mask=right_half))
    out = frames[-1].image.astype(int)
    assert out.shape == content.shape
    assert np.abs(out[:, :32] - content[:, :32]).max() <= 1  # outside: the content, to rounding
    assert np.abs(out[:, 36:] - content[:, 36:]).mean() > 5  # inside: painted
    inside = lambda rgb: _region_grams(model, rgb, right_half / 255.0)[0]  # noqa: E731
    target = _targets(model, stripes)
    assert _distance(inside(frames[-1].image), target) < 0.9 * _distance(inside(content), target)


def test_unmasked_run_paints_the_outside_too(model, content, stripes):
    out = list(stylize(content, stripes, StyleConfig(steps=6, **STRONG), model))[-1].image.astype(int)
    assert np.abs(out[:, :32] - content[:, :32]).mean() > 5  # so the mask above is what kept it


def test_mask_of_another_size_is_resized_and_feathered_at_every_scale(model, content, stripes):
    small = np.zeros((12, 16), np.uint8)
    small[:, 8:] = 255  # the right half, at a quarter of the size
    big = np.repeat(np.repeat(content, 2, axis=0), 2, axis=1)  # 96×128, two scales: 48×64 then 96×128
    cfg = StyleConfig(steps=4, scales=2, mask_feather=3.0, **{**STRONG, "max_dim": 128})
    frames = list(stylize(big, stripes, cfg, model, mask=small))
    assert [f.image.shape[:2] for f in frames] == [(48, 64)] * 2 + [(96, 128)] * 2
    out = frames[-1].image.astype(int)
    assert np.abs(out[:, :50] - big[:, :50]).max() <= 1  # far outside: unchanged
    edge = np.abs(out[:, 60:68] - big[:, 60:68]).mean()
    inside = np.abs(out[:, 80:] - big[:, 80:]).mean()
    assert 0 < edge < inside  # the feathered edge fades in


@pytest.mark.slow
def test_two_styles_each_pull_their_own_region(model, content, stripes, checks, right_half):
    cfg = StyleConfig(steps=8, optimizer="lbfgs", **STRONG)
    result = list(stylize(content, [stripes, checks], cfg, model, mask=right_half))[-1].image
    swapped = list(stylize(content, [checks, stripes], cfg, model, mask=right_half))[-1].image
    t_in, t_out = _targets(model, stripes), _targets(model, checks)
    (g_in, g_out), (s_in, s_out), (c_in, c_out) = (_region_grams(model, img, right_half / 255.0)
                                                   for img in (result, swapped, content))
    assert _distance(g_in, t_in) < 0.9 * _distance(c_in, t_in)  # inside toward the first style
    assert _distance(g_out, t_out) < 0.9 * _distance(c_out, t_out)  # outside toward the second
    assert _distance(g_in, t_in) < _distance(s_in, t_in)  # and not by chance: swapped, it moves elsewhere
    assert _distance(g_out, t_out) < _distance(s_out, t_out)
    assert np.abs(result.astype(int) - content.astype(int))[:, :28].mean() > 3  # both regions are painted


def test_mask_problems_read_well(model, content, stripes, checks):
    cfg = StyleConfig(steps=1, **STRONG)
    with pytest.raises(InputError, match="mask is empty"):
        next(stylize(content, stripes, cfg, model, mask=np.zeros((48, 64), np.uint8)))
    with pytest.raises(InputError, match="A mask splits the picture in two"):
        next(stylize(content, [stripes, checks, stripes], cfg, model, mask=np.ones((48, 64), np.uint8)))
    with pytest.raises(InputError, match="mask is not an image"):
        next(stylize(content, stripes, cfg, model, mask=b"no picture here"))
