"""Style transfer's loss terms and the compiled function that sums them, cached per extractor.

Every term is a small pure function of tensors; weights arrive as tensors, so new values never
retrace. The compiled function's *structure* is chosen once per extractor model and setting:

* ``normalize``: jcjohnson's ``-normalize_gradients`` (neural-style): on the way back, the gradient
  of each layer's term with respect to that layer's features is divided by its L1 norm and
  multiplied by the term's weight, so every layer pushes equally hard whatever the size of its
  loss. The loss values themselves are unchanged (the reported terms are the true losses).
* ``mode``:

  - ``"plain"``: the TensorFlow tutorial's loss (Gram targets over the whole picture);
  - ``"inside"`` (one style and a mask): the network sees ``mask · image + (1 − mask) · content``
    and the Gram matrices are taken over the mask only (:func:`masked_gram`); see
    :func:`genart.style.stylize` for why;
  - ``"regions"`` (two styles and a mask, Gatys et al. 2017): the Gram matrix inside the mask is
    pulled toward the first style's, the one outside toward the second's.

Through an extractor computing in float16 the gradient is loss-scaled
(:func:`genart.precision.float16.scaled_backprop`): the optimiser sees the unscaled gradient, or zeros where
float16 overflowed. float32 and bfloat16 take the plain gradient.
"""

from __future__ import annotations

import threading
import weakref

from ..precision import float16

MODES = ("plain", "inside", "regions")
#: jcjohnson's guard against dividing by a zero gradient norm.
NORM_EPSILON = 1e-8


def gram_matrix(features):
    """Channel correlations of a [1, h, w, c] feature map, divided by its h·w locations."""
    import tensorflow as tf

    shape = tf.shape(features)
    return tf.einsum("bijc,bijd->bcd", features, features) / tf.cast(shape[1] * shape[2], tf.float32)


def masked_gram(features, mask):
    """Gram matrix of a region: locations weighted by ``mask`` ([1, H, W, 1] at the image's size,
    area-averaged down to the layer's size), divided by the weights' sum (Gatys et al. 2017)."""
    import tensorflow as tf

    m = tf.image.resize(mask, tf.shape(features)[1:3], method="area")
    return tf.einsum("bijc,bijd->bcd", features * m, features) / tf.maximum(tf.reduce_sum(m), 1e-6)


def style_loss(grams, targets, weight):
    """weight / #layers · Σ over layers of mean((G − G*)²)."""
    import tensorflow as tf

    return weight / len(grams) * tf.add_n([tf.reduce_mean((g - t) ** 2) for g, t in zip(grams, targets)])


def content_loss(features, targets, weight):
    """weight / #layers · Σ over layers of mean((F − F*)²)."""
    import tensorflow as tf

    return weight / len(features) * tf.add_n([tf.reduce_mean((f - t) ** 2) for f, t in zip(features, targets)])


def tv_loss(image, weight):
    """weight · total variation (sum of absolute neighbour differences) of a [1, H, W, 3] image."""
    import tensorflow as tf

    return weight * tf.image.total_variation(image)[0]


def normalized_gradient(features, strength):
    """Identity on the way forward; on the way back the gradient g (= strength · ∂term/∂features, the
    term weighted by ``strength``) becomes strength · g / (‖g‖₁ + 1e-8 · strength): the unweighted
    term's gradient with L1 norm 1 (jcjohnson's normalisation), times the weight. A zero weight gives
    a zero gradient."""
    import tensorflow as tf

    @tf.custom_gradient
    def identity(x):
        def grad(g):
            return tf.math.divide_no_nan(g * strength, tf.reduce_sum(tf.abs(g)) + NORM_EPSILON * strength)

        return tf.identity(x), grad

    return identity(features)


class Compiled:
    """The extractor's compiled functions: ``targets(image)`` → (Gram matrices, content features) and
    ``loss_and_grad(image, *args)`` → (style, content and TV terms, gradient), where ``args`` is
    (Gram targets, content targets, [style, content, TV] weights) followed, by mode, by
    ``inside``: (mask [1, H, W, 1], content image [1, H, W, 3]) or
    ``regions``: (mask, the outside's Gram targets, [inside, outside] weights)."""

    def __init__(self, model, n_style: int, normalize: bool = False, mode: str = "plain"):
        import keras
        import tensorflow as tf

        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        ref = weakref.ref(model)  # the cache is keyed weakly by the model; do not keep it alive
        scaled = float16.computes_float16(model)  # float16 gradients are loss-scaled
        channels = [int(t.shape[-1]) for t in model.outputs]
        n_content = len(channels) - n_style
        image_spec = tf.TensorSpec([1, None, None, 3], tf.float32)
        mask_spec = tf.TensorSpec([1, None, None, 1], tf.float32)
        gram_specs = [tf.TensorSpec([1, c, c], tf.float32) for c in channels[:n_style]]
        content_specs = [tf.TensorSpec([1, None, None, c], tf.float32) for c in channels[n_style:]]
        extra = {"plain": (), "inside": (mask_spec, image_spec),
                 "regions": (mask_spec, gram_specs, tf.TensorSpec([2], tf.float32))}[mode]

        def features(image):
            outs = ref()(keras.applications.vgg19.preprocess_input(image * 255.0), training=False)
            return list(outs[:n_style]), list(outs[n_style:])

        def extract(image):
            style_feats, content_feats = features(image)
            return [gram_matrix(f) for f in style_feats], content_feats

        self.targets = tf.function(extract, input_signature=(image_spec,))

        def seen_by_network(image, more):
            return more[0] * image + (1.0 - more[0]) * more[1] if mode == "inside" else image

        def terms(image, gram_targets, content_targets, weights, *more):
            seen = seen_by_network(image, more)
            style_feats, content_feats = features(seen)
            return terms_of(seen, style_feats, content_feats, gram_targets, content_targets, weights, *more)

        def terms_of(seen, style_feats, content_feats, gram_targets, content_targets, weights, *more):
            if normalize:
                style_feats = [normalized_gradient(f, weights[0] / n_style) for f in style_feats]
                content_feats = [normalized_gradient(f, weights[1] / n_content) for f in content_feats]
            if mode == "plain":
                style = style_loss([gram_matrix(f) for f in style_feats], gram_targets, weights[0])
            elif mode == "inside":
                style = style_loss([masked_gram(f, more[0]) for f in style_feats], gram_targets, weights[0])
            else:
                mask, outside_targets, region = more
                style = (style_loss([masked_gram(f, mask) for f in style_feats], gram_targets,
                                    weights[0] * region[0])
                         + style_loss([masked_gram(f, 1.0 - mask) for f in style_feats], outside_targets,
                                      weights[0] * region[1]))
            return tf.stack([style, content_loss(content_feats, content_targets, weights[1]),
                             tv_loss(seen, weights[2])])

        @tf.function(input_signature=(image_spec, gram_specs, content_specs, tf.TensorSpec([3], tf.float32),
                                      *extra))
        def loss_and_grad(image, gram_targets, content_targets, weights, *more):
            if scaled:
                return loss_and_scaled_grad(image, gram_targets, content_targets, weights, *more)
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(image)
                loss_terms = terms(image, gram_targets, content_targets, weights, *more)
                total = tf.reduce_sum(loss_terms)
            return loss_terms, tape.gradient(total, image)

        def loss_and_scaled_grad(image, gram_targets, content_targets, weights, *more):
            """The same through a float16 network: its part of the gradient loss-scaled, the rest
            (the terms from its float32 outputs, the TV term, the mask's blend) taken directly."""
            with tf.GradientTape(watch_accessed_variables=False) as net:
                net.watch(image)
                style_feats, content_feats = features(seen_by_network(image, more))
            outs = style_feats + content_feats
            with tf.GradientTape(watch_accessed_variables=False) as head:
                head.watch([image, *outs])
                loss_terms = terms_of(seen_by_network(image, more), outs[:n_style], outs[n_style:], gram_targets,
                                      content_targets, weights, *more)
                total = tf.reduce_sum(loss_terms)
            direct, *seeds = head.gradient(total, [image, *outs])
            (through,), finite = float16.scaled_backprop(net, outs, [image], seeds)
            grad = through if direct is None else direct + through
            return loss_terms, tf.where(finite, grad, tf.zeros_like(grad))  # an overflow: no step

        self.loss_and_grad = loss_and_grad


_compiled: "weakref.WeakKeyDictionary[object, dict[tuple, Compiled]]" = weakref.WeakKeyDictionary()
_compiled_lock = threading.Lock()


def compiled_for(model, n_style: int, normalize: bool = False, mode: str = "plain") -> Compiled:
    """The cached :class:`Compiled` of ``model`` for this structure (built once per model and setting)."""
    with _compiled_lock:
        per_model = _compiled.setdefault(model, {})
        key = (n_style, bool(normalize), mode)
        if key not in per_model:
            per_model[key] = Compiled(model, n_style, bool(normalize), mode)
        return per_model[key]
