"""Style transfer backend: parity with the tutorial's loop, every option, the frame stream, stopping."""

import dataclasses
import threading

import numpy as np
import pytest
import tensorflow as tf

from tests import style_pictures
from genart.errors import InputError
from genart.frames import Frame
from genart.images import resize
from genart.style.losses import compiled_for
from genart.style import (CONTENT_LAYERS, STYLE_LAYERS, TUTORIAL, StyleConfig, style_size,
                          stylize)

SMALL = dict(max_dim=64, preview_every=1)


@pytest.fixture(scope="module")
def content():
    """This module's own content picture (in place of tests/style/conftest.py's): waves with a disc."""
    yy, xx = np.mgrid[0:48, 0:64].astype(np.float32)
    r = 127 + 110 * np.sin(xx / 7.0)
    g = 127 + 110 * np.cos(yy / 5.0)
    b = np.where((xx - 30) ** 2 + (yy - 22) ** 2 < 150, 220, 50).astype(np.float32)
    return np.stack([r, g, b], axis=2).clip(0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def big_content(content):
    """The content at 96×72, big enough for a half-size first scale (48×36)."""
    return resize(content, 96, 72)


@pytest.fixture(scope="module")
def style():
    return style_pictures.stripes()


@pytest.fixture(scope="module")
def style2():
    return style_pictures.checks()


def run(content, styles, model, **kw):
    return list(stylize(content, styles, StyleConfig(**{**SMALL, **kw}), model))


def chroma(rgb_u8):
    yuv = tf.image.rgb_to_yuv(rgb_u8.astype(np.float32) / 255.0).numpy()
    return yuv[..., 1:]


def total_variation(rgb_u8):
    return float(tf.image.total_variation(tf.constant(rgb_u8, tf.float32) / 255.0))


# --- a reference written like the TensorFlow tutorial ("Neural style transfer") --------------

def _tutorial_loop(model, content_image, style_image, steps):
    """The tutorial's StyleContentModel / style_content_loss / train_step, on the injected extractor."""
    num_style_layers, num_content_layers = len(STYLE_LAYERS), len(CONTENT_LAYERS)
    style_weight, content_weight, total_variation_weight = 1e-2, 1e4, 30

    def gram_matrix(input_tensor):
        result = tf.linalg.einsum("bijc,bijd->bcd", input_tensor, input_tensor)
        input_shape = tf.shape(input_tensor)
        num_locations = tf.cast(input_shape[1] * input_shape[2], tf.float32)
        return result / num_locations

    def extractor(inputs):
        inputs = inputs * 255.0
        preprocessed_input = tf.keras.applications.vgg19.preprocess_input(inputs)
        outputs = model(preprocessed_input)
        style_outputs, content_outputs = outputs[:num_style_layers], outputs[num_style_layers:]
        style_outputs = [gram_matrix(style_output) for style_output in style_outputs]
        return {"content": dict(zip(CONTENT_LAYERS, content_outputs)),
                "style": dict(zip(STYLE_LAYERS, style_outputs))}

    style_targets = extractor(style_image)["style"]
    content_targets = extractor(content_image)["content"]

    def style_content_loss(outputs):
        style_outputs, content_outputs = outputs["style"], outputs["content"]
        style_loss = tf.add_n([tf.reduce_mean((style_outputs[name] - style_targets[name]) ** 2)
                               for name in style_outputs.keys()])
        style_loss *= style_weight / num_style_layers
        content_loss = tf.add_n([tf.reduce_mean((content_outputs[name] - content_targets[name]) ** 2)
                                 for name in content_outputs.keys()])
        content_loss *= content_weight / num_content_layers
        return style_loss + content_loss

    opt = tf.keras.optimizers.Adam(learning_rate=0.02, beta_1=0.99, epsilon=1e-1)
    image = tf.Variable(content_image)
    losses = []

    @tf.function()
    def train_step(image):
        with tf.GradientTape() as tape:
            outputs = extractor(image)
            loss = style_content_loss(outputs)
            loss += total_variation_weight * tf.image.total_variation(image)
        grad = tape.gradient(loss, image)
        opt.apply_gradients([(grad, image)])
        image.assign(tf.clip_by_value(image, clip_value_min=0.0, clip_value_max=1.0))
        return loss

    for _ in range(steps):
        losses.append(float(train_step(image)[0]))
    return image.numpy()[0], losses


def test_defaults_are_the_tutorials():
    cfg = StyleConfig()
    assert (cfg.style_weight, cfg.content_weight, cfg.tv_weight) == (1e-2, 1e4, 30)
    assert (cfg.optimizer, cfg.learning_rate, cfg.beta_1, cfg.epsilon) == ("adam", 0.02, 0.99, 0.1)
    assert (cfg.steps, cfg.max_dim, cfg.init, cfg.scales) == (1000, 512, "content", 1)
    assert cfg.content_layers == ("block5_conv2",)
    assert cfg.style_layers == tuple(f"block{b}_conv1" for b in range(1, 6))
    assert cfg.precision == "auto" and TUTORIAL.precision == "float32"  # the tutorial's exact arithmetic
    assert TUTORIAL == dataclasses.replace(cfg, precision="float32")


@pytest.mark.slow
def test_tutorial_preset_equals_the_tutorial_loop(model, content, style):
    steps = 6
    frames = run(content, style, model, steps=steps)
    ref_image, ref_losses = _tutorial_loop(model, content[None] / np.float32(255), style[None] / np.float32(255), steps)
    assert [f.step for f in frames] == list(range(1, steps + 1))
    np.testing.assert_allclose([f.metrics["total"] for f in frames], ref_losses, rtol=1e-4)
    for f in frames:
        assert f.metrics["total"] == pytest.approx(f.metrics["style"] + f.metrics["content"] + f.metrics["tv"])
    ref_u8 = np.clip(np.round(ref_image * 255), 0, 255).astype(np.uint8)
    diff = np.abs(frames[-1].image.astype(int) - ref_u8.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01  # equal up to float rounding
    assert not np.array_equal(frames[-1].image, content)  # and it did move


@pytest.mark.parametrize("kw", [dict(), dict(optimizer="lbfgs"), dict(scales=2, max_dim=96, preview_every=None)])
def test_frame_contract(model, content, big_content, style, kw):
    frames = run(big_content if kw.get("scales") else content, style, model, steps=4, **kw)
    assert all(isinstance(f, Frame) and f.image.dtype == np.uint8 and f.image.ndim == 3 for f in frames)
    steps = [f.step for f in frames]
    assert steps == sorted(set(steps)) and steps[-1] == 4
    assert {f.total for f in frames} == {4}
    assert [f.final for f in frames] == [False] * (len(frames) - 1) + [True]
    assert set(frames[-1].metrics) == {"style", "content", "tv", "total"}


def test_lbfgs_lowers_the_loss(model, content, style):
    totals = [f.metrics["total"] for f in run(content, style, model, optimizer="lbfgs", steps=5)]
    assert all(b <= a * (1 + 1e-6) for a, b in zip(totals, totals[1:]))  # L-BFGS-B never goes uphill
    assert totals[-1] < totals[0]


def test_more_tv_weight_lowers_total_variation(model, content, style):
    smooth = run(content, style, model, optimizer="lbfgs", steps=8, tv_weight=300.0)[-1].image
    rough = run(content, style, model, optimizer="lbfgs", steps=8, tv_weight=0.0)[-1].image
    assert total_variation(smooth) < 0.9 * total_variation(rough)


def test_preserve_colors_keeps_the_contents_chroma(model, content, style):
    kw = dict(optimizer="lbfgs", steps=8, style_weight=1e3, content_weight=1.0, tv_weight=0.0)
    kept = run(content, style, model, preserve_colors=True, **kw)[-1].image
    moved = run(content, style, model, **kw)[-1].image
    err_kept = np.abs(chroma(kept) - chroma(content)).mean()
    err_moved = np.abs(chroma(moved) - chroma(content)).mean()
    assert err_kept < 0.01 < err_moved
    assert np.abs(kept.astype(int) - content.astype(int)).mean() > 1  # the luminance did change


def test_blend_weights_one_zero_equal_the_single_style(model, content, style, style2):
    single = run(content, style, model, steps=3)
    blended = run(content, [style, style2], model, steps=3, blend=(1.0, 0.0))
    both = run(content, [style, style2], model, steps=3, blend=(1.0, 1.0))
    np.testing.assert_array_equal(blended[-1].image, single[-1].image)
    assert blended[-1].metrics == single[-1].metrics
    assert both[-1].metrics["style"] != pytest.approx(single[-1].metrics["style"], rel=1e-3)


def test_style_scale_resizes_the_style_relative_to_the_content(model, content, style):
    assert style_size((48, 64), (64, 64), 1.0) == (64, 64)
    assert style_size((48, 64), (64, 128), 0.5) == (16, 32)
    assert style_size((48, 64), (100, 50), 2.0) == (128, 64)
    half = run(content, style, model, steps=2, style_scale=0.5)
    full = run(content, style, model, steps=2)
    assert half[0].metrics["style"] != pytest.approx(full[0].metrics["style"], rel=1e-3)
    assert half[0].metrics["content"] == full[0].metrics["content"]


def test_init_from_content_noise_or_image(model, content, style):
    from_content = run(content, style, model, steps=2)
    from_itself = list(stylize(content, style, StyleConfig(steps=2, init="image", **SMALL), model, init_image=content))
    np.testing.assert_array_equal(from_itself[-1].image, from_content[-1].image)
    refined = list(stylize(content, style, StyleConfig(steps=2, init="image", **SMALL), model,
                           init_image=from_content[-1].image))
    assert not np.array_equal(refined[-1].image, from_content[-1].image)  # continues where it ended
    a, b, c = (run(content, style, model, steps=1, init="noise", seed=s)[-1].image for s in (1, 1, 2))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - c.astype(int)).mean() > 20
    assert np.abs(a.astype(int) - content.astype(int)).mean() > 40


@pytest.mark.slow
def test_coarse_to_fine_starts_at_half_size_and_carries_over(model, big_content, style):
    frames = run(big_content, style, model, steps=4, scales=2, max_dim=96, optimizer="lbfgs")
    big = tuple(frames[-1].image.shape[:2])
    assert big == (72, 96)
    assert [tuple(f.image.shape[:2]) for f in frames] == [(36, 48)] * 2 + [big] * 2
    assert "scale 1/2" in frames[0].stage and "scale 2/2" in frames[-1].stage
    one_scale = run(big_content, style, model, steps=2, max_dim=96, optimizer="lbfgs")
    assert not np.array_equal(frames[-1].image, one_scale[-1].image)


@pytest.mark.slow
def test_compiled_once_for_all_sizes_and_weights(model, content, big_content, style):
    run(content, style, model, steps=1)
    fn = compiled_for(model, len(STYLE_LAYERS)).loss_and_grad
    before = fn.experimental_get_tracing_count()
    run(content, style, model, steps=1, max_dim=40, style_weight=5.0, tv_weight=1.0)
    run(big_content, style, model, steps=2, scales=2, max_dim=96, content_weight=3.0, optimizer="lbfgs")
    assert fn.experimental_get_tracing_count() == before == 1


def test_closing_an_lbfgs_run_stops_scipy(model, content, style):
    frames = stylize(content, style, StyleConfig(optimizer="lbfgs", steps=500, **SMALL), model)
    next(frames), next(frames)
    assert any(t.name == "genart-lbfgs" for t in threading.enumerate())
    frames.close()
    assert not any(t.name == "genart-lbfgs" for t in threading.enumerate())


@pytest.mark.parametrize("field, value, match", [
    ("style_weight", -1.0, r"style_weight must be in \[0, 1e\+09\]"),
    ("tv_weight", float("nan"), "tv_weight must be in"),
    ("optimizer", "sgd", "optimizer must be one of adam, lbfgs"),
    ("steps", 0, "steps must be a whole number from 1 to 10000"),
    ("steps", 2.5, "steps must be a whole number from 1 to 10000; got 2.5"),
    ("max_dim", 8, "max_dim must be a whole number from 32 to 2048"),
    ("scales", 9, "scales must be a whole number from 1 to 4"),
    ("seed", -1, "seed must be a whole number"),
    ("init", "zeros", "init must be one of content, noise, image"),
    ("blend", (0.0, 0.0), "blend needs at least one weight above 0"),
    ("style_scale", 10.0, r"style_scale must be in \[0.1, 4\]"),
    ("style_layers", ("block9_conv1",), "unknown: block9_conv1"),
    ("preview_every", 0, "preview_every must be a whole number"),
])
def test_config_errors_name_the_field_and_range(field, value, match):
    with pytest.raises(InputError, match=match):
        StyleConfig(**{field: value})


def test_bad_inputs_read_well(model, content, style, style2):
    cfg = StyleConfig(steps=1, **SMALL)
    with pytest.raises(InputError, match="content image is not an image format"):
        next(stylize(b"plain text, not a picture", style, cfg, model))
    with pytest.raises(InputError, match="style image file is empty"):
        next(stylize(content, b"", cfg, model))
    with pytest.raises(InputError, match="style image 2 is not an image"):
        next(stylize(content, [style, b"GIF89a broken"], cfg, model))
    with pytest.raises(InputError, match="Please upload a style image"):
        next(stylize(content, None, cfg, model))
    with pytest.raises(InputError, match="blend has 1 weights for 2 style images"):
        next(stylize(content, [style, style2], StyleConfig(steps=1, blend=(1.0,), **SMALL), model))
    with pytest.raises(InputError, match="init='image' needs an initial image"):
        next(stylize(content, style, StyleConfig(steps=1, init="image", **SMALL), model))
    with pytest.raises(InputError, match="content image is 64×8 pixels"):
        next(stylize(np.zeros((8, 64, 3), np.uint8), style, cfg, model))
