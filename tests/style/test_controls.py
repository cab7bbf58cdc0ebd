"""The reference tool's style controls: layer choice, average pooling, per-layer gradient normalisation,
and compiling each structural choice once."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests import style_pictures
from genart import models
from genart.errors import InputError
from genart.style import CONTENT_LAYERS, STYLE_LAYERS, StyleConfig, stylize
from genart.style import losses
from genart.style.losses import compiled_for, gram_matrix

SMALL = dict(max_dim=64, preview_every=1)


@pytest.fixture(scope="module")
def avg_model():
    return models.vgg19_extractor(STYLE_LAYERS, CONTENT_LAYERS, weights="random", pooling="avg")


@pytest.fixture(scope="module")
def style():
    return style_pictures.stripes()


def _batch(rgb):
    return keras.applications.vgg19.preprocess_input(rgb[None].astype(np.float32))


def test_average_pooling_builds_the_same_layer_names_with_average_pooling(model, avg_model):
    base = models.base_model("VGG19", "random")
    every = models._vgg19_avg("random", "float32")
    assert [layer.name for layer in every.layers[1:]] == [layer.name for layer in base.layers[1:]]
    pools = [layer for layer in every.layers if layer.name.endswith("_pool")]
    assert len(pools) == 5 and all(isinstance(p, keras.layers.AveragePooling2D) for p in pools)
    assert not any(isinstance(layer, keras.layers.MaxPooling2D) for layer in every.layers)
    assert every.get_layer("block3_conv1") is base.get_layer("block3_conv1")  # weights shared, not copied
    assert models.vgg19_extractor(STYLE_LAYERS, CONTENT_LAYERS, weights="random", pooling="avg") is avg_model
    assert avg_model is not model and len(avg_model.outputs) == len(model.outputs)
    with pytest.raises(ValueError, match="pooling must be one of max, avg"):
        models.vgg19_extractor(STYLE_LAYERS, CONTENT_LAYERS, weights="random", pooling="min")


def test_average_pooling_averages_where_max_pooling_took_the_maximum():
    x = _batch(np.random.default_rng(0).uniform(0, 255, (40, 56, 3)))
    layers = ("block1_conv2", "block2_conv1")
    (a1, a2), (m1, m2) = (models.vgg19_extractor(layers[:1], layers[1:], weights="random", pooling=p)(x)
                          for p in ("avg", "max"))
    np.testing.assert_array_equal(np.asarray(a1), np.asarray(m1))  # before the first pooling: the same network
    conv = models.base_model("VGG19", "random").get_layer("block2_conv1")
    expected = conv(keras.layers.AveragePooling2D(2, 2)(m1))  # the max network's conv on averaged features
    np.testing.assert_allclose(np.asarray(a2), np.asarray(expected), rtol=1e-5, atol=1e-4)
    assert np.abs(np.asarray(a2) - np.asarray(m2)).mean() > 1e-3


def test_average_pooling_runs_and_paints_a_different_picture(model, avg_model, content, style):
    kw = dict(steps=3, tv_weight=0.0, style_weight=10.0, **SMALL)
    avg = list(stylize(content, style, StyleConfig(pooling="avg", **kw), avg_model))
    mx = list(stylize(content, style, StyleConfig(**kw), model))
    assert avg[-1].final and avg[-1].image.shape == content.shape
    assert avg[0].metrics["content"] == 0.0 == mx[0].metrics["content"]  # both start at the content
    assert avg[-1].metrics["style"] != pytest.approx(mx[-1].metrics["style"], rel=1e-3)
    with pytest.raises(ValueError, match="the model pools with max; the config asks for avg"):
        next(stylize(content, style, StyleConfig(pooling="avg", **kw), model))


def test_chosen_layers_are_the_ones_the_losses_use(content, style):
    layers = dict(style_layers=("block2_conv2", "block3_conv1"), content_layers=("block4_conv3",))
    cfg = StyleConfig(steps=1, **layers, **SMALL)
    frames = list(stylize(content, style, cfg))  # the cached extractor of these layers, built by the run
    extractor = models.vgg19_extractor(layers["style_layers"], layers["content_layers"], weights="random")
    assert len(extractor.outputs) == 3
    targets = [gram_matrix(o) for o in extractor(_batch(style))[:2]]
    grams = [gram_matrix(o) for o in extractor(_batch(content))[:2]]
    expected = 1e-2 / 2 * sum(float(tf.reduce_mean((g - t) ** 2)) for g, t in zip(grams, targets))
    assert frames[0].metrics["style"] == pytest.approx(expected, rel=1e-4)


def _normalized_reference(model, image, gram_targets, content_targets, weights):
    """jcjohnson's -normalize_gradients, written out: each layer's term's gradient with respect to its
    features, divided by its L1 norm (+1e-8), times the layer's weight, back-propagated to the image."""
    n_style, n_content = len(gram_targets), len(content_targets)
    image = tf.constant(image)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(image)
        outs = model(keras.applications.vgg19.preprocess_input(image * 255.0))
        terms = [tf.reduce_mean((gram_matrix(f) - t) ** 2) for f, t in zip(outs[:n_style], gram_targets)]
        terms += [tf.reduce_mean((f - t) ** 2) for f, t in zip(outs[n_style:], content_targets)]
        tv = tf.image.total_variation(image)[0]
    grad = weights[2] * tape.gradient(tv, image)
    for i, (f, term) in enumerate(zip(outs, terms)):
        g = tape.gradient(term, f)
        strength = weights[0] / n_style if i < n_style else weights[1] / n_content
        grad += tape.gradient(f, image, output_gradients=strength * g / (tf.reduce_sum(tf.abs(g)) + 1e-8))
    return grad.numpy()


def test_gradient_normalisation_is_jcjohnsons(model, content, style):
    fns, plain = compiled_for(model, len(STYLE_LAYERS), normalize=True), compiled_for(model, len(STYLE_LAYERS))
    grams, _ = fns.targets(tf.constant(style[None] / np.float32(255)))
    _, feats = fns.targets(tf.constant(content[None] / np.float32(255)))
    x = np.random.default_rng(1).uniform(0, 1, (1, 48, 64, 3)).astype(np.float32)
    weights = np.array([3.0, 2.0, 0.5], np.float32)
    terms, grad = fns.loss_and_grad(x, grams, feats, weights)
    plain_terms, plain_grad = plain.loss_and_grad(x, grams, feats, weights)
    np.testing.assert_allclose(terms.numpy(), plain_terms.numpy(), rtol=1e-6)  # the losses are unchanged
    expected = _normalized_reference(model, x, grams, feats, weights)
    np.testing.assert_allclose(grad.numpy(), expected, rtol=1e-3, atol=1e-6 * np.abs(expected).max())
    assert not np.allclose(grad.numpy(), plain_grad.numpy(), rtol=0.1)
    # a layer pushes with its weight whatever the size of its loss: a 10× larger content gap, same gradient
    own = fns.targets(tf.constant(x))[1]
    gap = [[o - k * (o - f) for o, f in zip(own, feats)] for k in (1.0, 10.0)]
    content_only = np.array([0.0, 2.0, 0.0], np.float32)
    near, far = (fns.loss_and_grad(x, grams, g, content_only)[1].numpy() for g in gap)
    np.testing.assert_allclose(far, near, rtol=1e-3, atol=1e-3 * np.abs(near).max())
    near, far = (plain.loss_and_grad(x, grams, g, content_only)[1].numpy() for g in gap)
    np.testing.assert_allclose(far, 10 * near, rtol=1e-3, atol=1e-2 * np.abs(far).max())


def test_gradient_normalisation_runs_with_adam(model, content, style):
    frames = list(stylize(content, style, StyleConfig(steps=3, normalize_gradients=True, style_weight=100.0,
                                                      content_weight=5.0, **SMALL), model))
    assert frames[-1].final and not np.array_equal(frames[-1].image, content)


@pytest.mark.parametrize("field, value, match", [
    ("pooling", "min", "pooling must be one of max, avg; got 'min'"),
    ("normalize_gradients", "yes", "normalize_gradients must be true or false"),
    ("mask_feather", -1.0, r"mask_feather must be in \[0, 64\]"),
    ("content_layers", (), "content_layers must be a non-empty list of VGG19 layers"),
])
def test_control_errors_read_well(field, value, match):
    with pytest.raises(InputError, match=match):
        StyleConfig(**{field: value})


def test_normalisation_with_lbfgs_says_why_not():
    with pytest.raises(InputError, match="normalize_gradients needs optimizer='adam'"):
        StyleConfig(optimizer="lbfgs", normalize_gradients=True)


@pytest.mark.slow
def test_each_structural_choice_compiles_once(content, style):
    """Layers, pooling, normalisation and mask modes each trace their compiled function once, whatever
    the size, weights or optimiser of later runs."""
    style2 = style[:, ::-1].copy()
    mask = np.zeros((48, 64), np.float32)
    mask[:, 32:] = 1.0
    choices = [dict(), dict(pooling="avg"), dict(normalize_gradients=True),
               dict(style_layers=("block1_conv1", "block3_conv2"), content_layers=("block4_conv2",)),
               dict(pooling="avg", normalize_gradients=True)]
    masks = [(None, style), (mask, style), (mask, [style, style2])]

    def runs(max_dim, weight):
        for choice in choices:
            for m, styles in masks:
                cfg = StyleConfig(steps=1, max_dim=max_dim, style_weight=weight, preview_every=1, **choice)
                list(stylize(content, styles, cfg, mask=m))
        models_used = {models.vgg19_extractor(StyleConfig(**c).style_layers, StyleConfig(**c).content_layers,
                                              weights="random", pooling=StyleConfig(**c).pooling) for c in choices}
        return {(id(mdl), key): (fns, fns.loss_and_grad.experimental_get_tracing_count(),
                                 fns.targets.experimental_get_tracing_count())
                for mdl in models_used for key, fns in losses._compiled.get(mdl, {}).items()}

    first = runs(64, 1.0)
    assert len(first) >= len(choices) * len(masks)  # one compiled function per model and structure
    again = runs(40, 7.0)  # new sizes and weights: the same functions, still traced once
    assert again == first and {n for _, *counts in first.values() for n in counts} == {1}


def test_average_pooling_has_precision_views_too():
    layers = (("block1_conv1", "block3_conv1"), ("block4_conv2",))
    half = models.vgg19_extractor(*layers, weights="random", precision="bfloat16", pooling="avg")
    full = models.vgg19_extractor(*layers, weights="random", pooling="avg")
    assert sum(isinstance(layer, keras.layers.AveragePooling2D) for layer in half.layers) == 3
    assert [str(o.dtype) for o in half.outputs] == ["float32"] * 3  # losses stay float32
    x = _batch(np.random.default_rng(2).uniform(0, 255, (48, 48, 3)))
    for a, b in zip(half(x), full(x)):
        a, b = np.asarray(a), np.asarray(b)
        assert np.abs(a - b).max() <= 0.03 * np.abs(b).max()  # bfloat16 rounding, not another network
