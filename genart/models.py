"""Cached Keras feature extractors and the weights policy.

``GENART_WEIGHTS`` chooses the weights of the pretrained networks:

* ``imagenet`` (default): Keras' ImageNet weights, downloaded once into Keras' own cache
  (``$KERAS_HOME/models``, by default ``~/.keras/models``; :data:`WEIGHTS` says which file from
  where) through :mod:`genart.downloads`, so a run waiting for them can show the download. ``python -m
  genart weights`` fetches them ahead. When that is impossible (offline),
  :class:`~genart.errors.WeightsUnavailable` says which file to put where.
* ``random``: the same architecture, untrained, with deterministically seeded weights. For
  offline demos and tests; its pictures are not what the algorithms look like for real, and
  the UI says so.

Networks are built once per process and per layer set (builds are guarded by a lock, so
concurrent requests share one build). Callers never modify the returned models.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from typing import Sequence

import numpy as np

from . import downloads
from .downloads import CachedFile
from .errors import GenartError, WeightsUnavailable
from .paths import keras_cache

WEIGHTS_ENV = "GENART_WEIGHTS"
WEIGHT_CHOICES = ("imagenet", "random")
RANDOM_SEED = 0

#: Layer names usable for DeepDream (InceptionV3's "mixed" concatenations).
INCEPTION_LAYERS = tuple(f"mixed{i}" for i in range(11))
_KERAS_APPLICATIONS = "https://storage.googleapis.com/tensorflow/keras-applications/"
_INCEPTION_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
_VGG19_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
#: The ImageNet weights of the headless networks, as ``keras.applications`` names, fetches and checks them.
WEIGHTS = {
    "InceptionV3": CachedFile("InceptionV3's ImageNet weights (DeepDream)", _INCEPTION_FILE,
                              f"{_KERAS_APPLICATIONS}inception_v3/{_INCEPTION_FILE}",
                              "bcbd6486424b2319ff4ef7d526e38f63", "models"),
    "VGG19": CachedFile("VGG19's ImageNet weights (style transfer)", _VGG19_FILE,
                        f"{_KERAS_APPLICATIONS}vgg19/{_VGG19_FILE}", "253f8cb515780f3b799900260a226db6", "models"),
}
#: The files' names (what to place in the cache when offline).
WEIGHT_FILES = {name: item.file for name, item in WEIGHTS.items()}

#: VGG19's layers in network order (what a style extractor may be cut at).
VGG19_ALL = tuple(f"block{b}_{kind}" for b in range(1, 6)
                  for kind in [f"conv{c}" for c in range(1, 3 if b < 3 else 5)] + ["pool"])
#: VGG19's pooling: ``max`` (Keras' network, the TensorFlow tutorial) or ``avg`` (Gatys et al.'s choice).
POOLINGS = ("max", "avg")

#: Layer sets kept built and compiled at once, per algorithm (a public server sees many combinations).
MAX_LAYER_SETS = 6

_lock = threading.RLock()
#: Every network build holds this (re-entrant) lock, genart's own and other modules' (the fast style
#: model): two first builds in two threads would import Keras at once, which TensorFlow's circular
#: imports turn into an import deadlock.
BUILD_LOCK = _lock
_cache: dict[tuple, object] = {}


def weights_mode() -> str:
    """The weights in use: ``"imagenet"`` or ``"random"`` (from ``GENART_WEIGHTS``)."""
    mode = os.environ.get(WEIGHTS_ENV, "imagenet").strip().lower() or "imagenet"
    if mode not in WEIGHT_CHOICES:
        raise GenartError(f"{WEIGHTS_ENV} must be 'imagenet' or 'random', not {mode!r}.")
    return mode


def weights_label(mode: str | None = None) -> str:
    """One line for the UI saying which weights are in use."""
    mode = mode or weights_mode()
    if mode == "random":
        return ("Random, untrained weights (GENART_WEIGHTS=random): the pictures show the mechanics, "
                "not what the pretrained networks dream or paint.")
    return "Pretrained ImageNet weights (Keras)."


def keras_cache_dir() -> str:
    """Where Keras keeps downloaded weights (``$KERAS_HOME/models`` or ``~/.keras/models``)."""
    return keras_cache("models")


def unavailable_message(name: str) -> str:
    """The sentence for ImageNet weights of ``name`` ("InceptionV3", "VGG19") that cannot be downloaded."""
    return (f"Could not load the ImageNet weights for {name} (is this machine offline?). "
            f"Put {WEIGHT_FILES[name]} into {keras_cache_dir()} (Keras downloads it there when online; "
            f"`python -m genart weights` fetches every file ahead), or set {WEIGHTS_ENV}=random to run the same "
            "network untrained.")


def unreadable_message(name: str) -> str:
    """The sentence for ImageNet weights of ``name`` that are in the cache but cannot be read."""
    return (f"Could not read the ImageNet weights for {name} in {WEIGHTS[name].path} (an interrupted or damaged "
            f"copy?): delete the file and run again to download it anew, or set {WEIGHTS_ENV}=random to run the "
            "same network untrained.")


#: Networks whose pretrained weights failed to load in this process, with the sentence that said so
#: (cleared when a load succeeds).
_failed: dict[str, str] = {}


def weights_status() -> str:
    """One line for the app's header saying which weights the networks have here, and what to do
    when the pretrained ones are missing: the random-weights note; the sentence of a load that
    failed in this process; the download under way (which file, how much of it); a note that they
    download at the first run when they are not in Keras' cache yet (they cannot be fetched
    offline); or that they are in place."""
    mode = weights_mode()
    if mode == "random":
        return weights_label(mode)
    if _failed:
        return " ".join(_failed[name] for name in sorted(_failed))
    files = {item.file for item in WEIGHTS.values()}
    running = [p.line() for p in downloads.active() if p.source in files]
    if running:
        return f"Pretrained ImageNet weights (Keras), {'; '.join(running)} into {keras_cache_dir()}."
    missing = [name for name, item in WEIGHTS.items() if not item.present()]
    if missing:
        files = " and ".join(WEIGHT_FILES[name] for name in missing)
        return (f"Pretrained ImageNet weights (Keras), not in Keras' cache yet: the first run downloads {files} into "
                f"{keras_cache_dir()} (`python -m genart weights` fetches them ahead). Offline, put the file there "
                f"yourself, or set {WEIGHTS_ENV}=random to run the same networks untrained.")
    return weights_label(mode)


def weights_summary() -> str:
    """A few words on the networks' weights for the app's one-line header: ``random weights``;
    ``ImageNet weights``; with ``downloading``, ``not downloaded yet`` or ``missing`` (a download
    failed) in brackets when they are not all in place (:func:`weights_status` says it in full)."""
    if weights_mode() == "random":
        return "random weights"
    if _failed:
        return "ImageNet weights (missing)"
    files = {item.file for item in WEIGHTS.values()}
    if any(p.source in files for p in downloads.active()):
        return "ImageNet weights (downloading)"
    if not all(item.present() for item in WEIGHTS.values()):
        return "ImageNet weights (not downloaded yet)"
    return "ImageNet weights"


def _build(name: str, weights: str):
    import keras

    ctor = {"InceptionV3": keras.applications.InceptionV3, "VGG19": keras.applications.VGG19}[name]
    if weights == "random":
        model = ctor(include_top=False, weights=None)
        seed_weights(model, RANDOM_SEED)
        return model
    # Fetched here rather than by Keras, into Keras' cache and checked as Keras checks it, so that the
    # download shows on genart.downloads' channel (and nothing prints); the reason of a failure (URL,
    # errno) goes to the operator's log, not into the visitor's message.
    log = logging.getLogger("genart")
    try:
        path = WEIGHTS[name].fetch()
    except Exception as exc:  # urllib's errors, a damaged download, a full disk
        log.warning("downloading the ImageNet weights for %s failed: %r", name, exc)
        _failed[name] = unavailable_message(name)
        raise WeightsUnavailable(_failed[name]) from None
    try:
        model = ctor(include_top=False, weights=path)
    except Exception as exc:  # h5py's errors on a truncated or foreign file
        log.warning("reading the ImageNet weights for %s from %s failed: %r", name, path, exc)
        _failed[name] = unreadable_message(name)
        raise WeightsUnavailable(_failed[name]) from None
    _failed.pop(name, None)
    return model


def base_model(name: str, weights: str | None = None):
    """The cached headless ``InceptionV3`` or ``VGG19`` with the chosen weights."""
    weights = weights or weights_mode()
    key = ("base", name, weights)
    with _lock:
        if key not in _cache:
            _cache[key] = _build(name, weights)
        return _cache[key]


def dream_extractor(layers: Sequence[str], weights: str | None = None, precision: str = "float32"):
    """InceptionV3 cut at ``layers``: a batch in [-1, 1] → one float32 activation tensor per layer.

    Batch normalisation is folded into the preceding convolutions (same function, fewer ops).
    Every layer set is a view of one folded network (one per ``precision``: ``float32``,
    ``bfloat16`` or ``float16``, see :mod:`genart.precision`), so its weights exist once however
    many layer sets visitors choose; the most recent :data:`MAX_LAYER_SETS` views are kept.
    """
    import keras

    weights = weights or weights_mode()
    layers = tuple(layers)
    key = ("dream", layers, weights, precision)
    with _lock:
        if key in _cache:
            _cache[key] = _cache.pop(key)  # most recently used last
            return _cache[key]
        folded_key = ("dream-folded", weights, precision)
        if folded_key not in _cache:  # one output per "mixed" layer; views pick theirs
            plain_key = ("dream-folded", weights, "float32")
            if plain_key not in _cache:
                base = base_model("InceptionV3", weights)
                every = keras.Model(base.input, [base.get_layer(n).output for n in INCEPTION_LAYERS])
                _cache[plain_key] = fold_batchnorm(every)
            if precision != "float32":
                mixed = _mixed_clone(_cache[plain_key], precision)
                _cache[folded_key] = keras.Model(mixed.inputs, _as_float32(mixed.outputs))
        folded = _cache[folded_key]
        outputs = [folded.outputs[INCEPTION_LAYERS.index(n)] for n in layers]
        _cache[key] = keras.Model(folded.input, outputs, name="dream_extractor")
        views = [k for k in _cache if k[0] == "dream"]
        for old in views[:-MAX_LAYER_SETS]:
            del _cache[old]  # its compiled step goes with it (genart.dream keeps them by weak reference)
        return _cache[key]


def vgg19_extractor(style_layers: Sequence[str], content_layers: Sequence[str], weights: str | None = None,
                    precision: str = "float32", pooling: str = "max"):
    """VGG19 cut at the style layers then the content layers, computing in ``precision``.

    Input: a ``keras.applications.vgg19.preprocess_input`` batch (BGR, mean-subtracted 0–255).
    Outputs: one float32 tensor per style layer, then one per content layer, in that order.
    ``pooling``: ``"max"`` (Keras' VGG19, the TensorFlow tutorial) or ``"avg"`` (Gatys et al.'s
    recommendation: smoother pictures), a clone with the same layer names whose pooling layers are
    ``AveragePooling2D`` and whose convolutions are the max network's own (no copy of the weights).
    Views are cached per layer set, weights, precision and pooling; the most recent
    :data:`MAX_LAYER_SETS` are kept (a visitor may choose any layers).
    """
    import keras

    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, not {pooling!r}")
    weights = weights or weights_mode()
    names = (*style_layers, *content_layers)
    key = ("vgg19", tuple(style_layers), tuple(content_layers), weights, precision, pooling)
    with _lock:
        if key in _cache:
            _cache[key] = _cache.pop(key)  # most recently used last
            return _cache[key]
        if pooling == "max":  # Keras' network itself, as the tutorial uses it
            base = base_model("VGG19", weights)
            if precision != "float32":
                mixed_key = ("base-mixed", "VGG19", weights, precision)
                if mixed_key not in _cache:
                    _cache[mixed_key] = _mixed_clone(base, precision)
                base = _cache[mixed_key]
            inputs, outs = base.input, [base.get_layer(n).output for n in names]
        else:  # every layer of the average-pooling clone is an output; the view picks its own
            every = _vgg19_avg(weights, precision)
            inputs, outs = every.input, [every.outputs[VGG19_ALL.index(n)] for n in names]
        if precision != "float32":
            outs = _as_float32(outs)
        _cache[key] = keras.Model(inputs, outs, name="vgg19_extractor")
        views = [k for k in _cache if k[0] == "vgg19"]
        for old in views[:-MAX_LAYER_SETS]:
            del _cache[old]  # its compiled functions go with it (genart.style keeps them by weak reference)
        return _cache[key]


def _avg_pooling(layer):
    """clone_function: a MaxPooling2D becomes an AveragePooling2D of the same name and geometry; every
    other layer is shared with the original network (same weights, not copies)."""
    import keras

    if isinstance(layer, keras.layers.MaxPooling2D):
        cfg = layer.get_config()
        return keras.layers.AveragePooling2D(pool_size=cfg["pool_size"], strides=cfg["strides"],
                                             padding=cfg["padding"], data_format=cfg["data_format"],
                                             name=layer.name)
    return layer


def _vgg19_avg(weights: str, precision: str):
    """VGG19 with average pooling and every layer of :data:`VGG19_ALL` as an output (built once each)."""
    import keras

    key = ("vgg19-avg", weights, precision)
    if key not in _cache:
        plain_key = ("vgg19-avg", weights, "float32")
        if plain_key not in _cache:
            base = base_model("VGG19", weights)
            every = keras.Model(base.input, [base.get_layer(n).output for n in VGG19_ALL])
            _cache[plain_key] = keras.models.clone_model(every, clone_function=_avg_pooling)
        if precision != "float32":
            _cache[key] = _mixed_clone(_cache[plain_key], precision)
    return _cache[key]


def seed_weights(model, seed: int) -> None:
    """Re-initialise every kernel deterministically (Glorot uniform) and biases to zero.

    Batch-norm statistics keep Keras' defaults (mean 0, variance 1, gamma 1, beta 0).
    """
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is None:
            continue
        shape = tuple(kernel.shape)
        receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
        fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        kernel.assign(rng.uniform(-limit, limit, shape).astype(np.float32))
        bias = getattr(layer, "bias", None)
        if bias is not None:
            bias.assign(np.zeros(tuple(bias.shape), np.float32))


def fold_batchnorm(model):
    """Return a functional model where each Conv2D → BatchNormalization pair is one biased Conv2D.

    Same outputs up to float rounding (inference-mode BN is affine); the clone shares every
    other layer with ``model``. Convolutions whose output feeds anything besides one BN stay.
    """
    import keras

    class _Identity(keras.layers.Layer):
        def call(self, inputs, training=None, mask=None):
            return inputs

    bn_of_conv = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization) and len(layer._inbound_nodes) == 1:
            src = layer._inbound_nodes[0].input_tensors[0]._keras_history.operation
            if isinstance(src, keras.layers.Conv2D) and len(src._outbound_nodes) == 1 and src.activation is keras.activations.linear:
                bn_of_conv[src.name] = layer
    if not bn_of_conv:
        return model
    folded_bns = {bn.name for bn in bn_of_conv.values()}

    def clone(layer):
        if layer.name in bn_of_conv:
            cfg = layer.get_config()
            cfg["use_bias"] = True
            return keras.layers.Conv2D.from_config(cfg)
        if layer.name in folded_bns:
            return _Identity(name=layer.name)
        return layer

    new = keras.models.clone_model(model, clone_function=clone)
    for conv_name, bn in bn_of_conv.items():
        conv = model.get_layer(conv_name)
        stats = {w.path.split("/")[-1]: np.asarray(w) for w in bn.weights}
        mean, var = stats["moving_mean"], stats["moving_variance"]
        gamma = stats.get("gamma", np.ones_like(mean))
        beta = stats.get("beta", np.zeros_like(mean))
        scale = gamma / np.sqrt(var + bn.epsilon)
        kernel = np.asarray(conv.kernel) * scale
        bias = beta - mean * scale
        if conv.use_bias:
            bias = bias + np.asarray(conv.bias) * scale
        new.get_layer(conv_name).set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
    return new



_precision_clones: "weakref.WeakKeyDictionary[object, dict[str, object]]" = weakref.WeakKeyDictionary()


def _mixed_clone(model, dtype: str):
    """A clone of ``model`` whose layers compute in ``dtype`` (Keras' ``mixed_*`` policy: variables
    stay float32), with ``model``'s weights. Outputs are left in ``dtype``."""
    import keras

    policy = keras.DTypePolicy(f"mixed_{dtype}")

    def clone(layer):
        config = layer.get_config()
        config["dtype"] = policy
        return layer.__class__.from_config(config)

    mixed = keras.models.clone_model(model, clone_function=clone)
    mixed.set_weights(model.get_weights())
    return mixed


def _as_float32(tensors, prefix: str = "as_float32"):
    """Each symbolic tensor cast back to float32 by a float32 identity layer."""
    import keras

    return [keras.layers.Activation("linear", dtype="float32", name=f"{prefix}_{i}")(t) for i, t in enumerate(tensors)]


def with_precision(model, policy):
    """``model`` computing in ``policy``'s dtype (a :class:`genart.precision.Policy` or its dtype name).

    float32 returns ``model`` itself. Otherwise a clone of the same architecture whose layers use
    Keras' ``mixed_*`` policy (variables stay float32, copied from ``model``), with every output
    cast back to float32 so that losses and gradients outside the network stay float32. Clones
    are cached per model (weakly: they go when the model goes) and built once under the lock.
    """
    import keras

    dtype = getattr(policy, "dtype", policy)
    if dtype == "float32":
        return model
    with _lock:
        per_model = _precision_clones.setdefault(model, {})
        if dtype not in per_model:
            mixed = _mixed_clone(model, dtype)
            single = not isinstance(model.output, (list, tuple))
            outs = _as_float32(mixed.outputs)
            per_model[dtype] = keras.Model(mixed.inputs, outs[0] if single else outs, name=f"{model.name}_{dtype}")
        return per_model[dtype]
