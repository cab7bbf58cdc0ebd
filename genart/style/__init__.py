"""Neural style transfer (Gatys, Ecker & Bethge, 2015), as in the TensorFlow tutorial, made fast.

The picture is optimised directly: starting from the content image (or noise, or a given image),
pixels move so that VGG19's features match the content image at the content layers and the
Gram matrices (feature correlations) of the style image(s) at the style layers:

1. Images are float32 RGB in [0, 1], shape [1, H, W, 3]; the content's long side is at most
   ``max_dim``; each style image is resized so its long side is ``style_scale`` × the content's.
2. The extractor sees ``vgg19.preprocess_input(image * 255)``; its outputs are the style layers
   then the content layers (:func:`genart.models.vgg19_extractor`).
3. loss = style_weight / #style layers · Σ mean((G − G*)²)
        + content_weight / #content layers · Σ mean((F − F*)²)
        + tv_weight · total_variation(image),
   with G = Gram matrix / (H·W of that layer); several styles blend their G* by weight.
4. The tutorial's optimiser is Adam (lr 0.02, β₁ 0.99, ε 0.1), clipping to [0, 1] after each
   step. Beyond it: L-BFGS-B with [0, 1] bounds (the paper's choice, SciPy), coarse-to-fine
   (optimise at half size first, upsample, continue), luminance-only transfer that keeps the
   content's colours (Gatys et al. 2016), and initialisation from noise or a given image.

One compiled function (a ``tf.function`` with an input signature, per extractor) gives the loss
terms and the gradient for any image size and any weights, so nothing retraces per slider value
or size. :func:`stylize` is a generator of :class:`~genart.frames.Frame` s; :func:`plan` is the
list of scales it iterates and :func:`step_seconds` times one of its steps. VGG19 may compute in
bfloat16 (``precision``, see :mod:`genart.precision`); the image, the Gram matrices, the losses
and Adam's state stay float32.
"""

from __future__ import annotations

import queue
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from .. import precision
from ..errors import InputError, check_int
from ..frames import Frame
from ..images import ImageSource, load_image, resize, to_uint8
from ..plans import Segment, working_hw

#: The tutorial's layers: one content layer deep in the network, five style layers from shallow to deep.
CONTENT_LAYERS = ("block5_conv2",)
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
#: Every VGG19 layer an extractor may be cut at.
VGG19_LAYERS = tuple(f"block{b}_conv{c}" for b in range(1, 6) for c in range(1, 3 if b < 3 else 5)) + tuple(
    f"block{b}_pool" for b in range(1, 6))
OPTIMIZERS = ("adam", "lbfgs")
INITS = ("content", "noise", "image")
#: With ``preview_every=None`` a frame is yielded after about this many seconds of compute.
PREVIEW_SECONDS = 0.75
#: L-BFGS-B history length (SciPy's default).
LBFGS_MEMORY = 10
#: The smallest side an image is optimised at (coarse scales smaller than this are skipped).
MIN_SCALE_SIDE = 32

# ITU-R BT.601 YUV, the transform tf.image.rgb_to_yuv uses.
_RGB_TO_YUV = np.array([[0.299, -0.14714119, 0.61497538],
                        [0.587, -0.28886916, -0.51496512],
                        [0.114, 0.43601035, -0.10001026]], np.float32)
_YUV_TO_RGB = np.linalg.inv(_RGB_TO_YUV).astype(np.float32)


def _check(name: str, value: float, low: float, high: float, *, low_open: bool = False) -> None:
    try:
        ok = bool(np.isfinite(value) and (value > low if low_open else value >= low) and value <= high)
    except TypeError:
        ok = False
    if not ok:
        bound = "(" if low_open else "["
        raise InputError(f"{name} must be in {bound}{low:g}, {high:g}], got {value!r}.")


@dataclass(frozen=True)
class StyleConfig:
    """Settings of one style-transfer run; the defaults are the TensorFlow tutorial's.

    Attributes:
        style_weight, content_weight, tv_weight: weights of the three loss terms.
        optimizer: ``"adam"`` (the tutorial) or ``"lbfgs"`` (SciPy L-BFGS-B, the paper's choice).
        learning_rate, beta_1, epsilon: Adam's settings (unused by L-BFGS).
        steps: optimiser steps (L-BFGS: iterations) in all, across scales.
        max_dim: the content image's long side is at most this many pixels.
        scales: coarse-to-fine levels; 2 optimises at half size first, then at full size.
        init: start from the ``"content"`` image, from ``"noise"``, or from a given ``"image"``.
        blend: one weight per style image (mixes their Gram targets); None weighs them equally.
        preserve_colors: transfer luminance only and keep the content's colours.
        style_scale: the style's long side as a multiple of the content's.
        content_layers, style_layers: VGG19 layers of the two losses.
        preview_every: yield a frame every this many steps; None: about every 0.75 s of compute.
        seed: seed of the noise initialisation.
        precision: arithmetic of VGG19: ``auto``, ``float32`` (the tutorial), ``bfloat16`` or
            ``float16`` (GPU), as genart.precision explains.
    """

    style_weight: float = 1e-2
    content_weight: float = 1e4
    tv_weight: float = 30.0
    optimizer: str = "adam"
    learning_rate: float = 0.02
    beta_1: float = 0.99
    epsilon: float = 0.1
    steps: int = 1000
    max_dim: int = 512
    scales: int = 1
    init: str = "content"
    blend: tuple[float, ...] | None = None
    preserve_colors: bool = False
    style_scale: float = 1.0
    content_layers: tuple[str, ...] = CONTENT_LAYERS
    style_layers: tuple[str, ...] = STYLE_LAYERS
    preview_every: int | None = None
    seed: int = 0
    precision: str = "auto"

    def __post_init__(self) -> None:
        for name in ("style_weight", "content_weight", "tv_weight"):
            _check(name, getattr(self, name), 0.0, 1e9)
        if self.optimizer not in OPTIMIZERS:
            raise InputError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {self.optimizer!r}.")
        _check("learning_rate", self.learning_rate, 0.0, 10.0, low_open=True)
        _check("beta_1", self.beta_1, 0.0, 0.999)
        _check("epsilon", self.epsilon, 0.0, 10.0, low_open=True)
        check_int("steps", self.steps, 1, 10_000)
        check_int("max_dim", self.max_dim, MIN_SCALE_SIDE, 2048)
        check_int("scales", self.scales, 1, 4)
        if self.init not in INITS:
            raise InputError(f"init must be one of {', '.join(INITS)}; got {self.init!r}.")
        if self.blend is not None:
            blend = tuple(float(w) for w in self.blend)
            for w in blend:
                _check("each blend weight", w, 0.0, 1e6)
            if not blend or sum(blend) <= 0:
                raise InputError("blend needs at least one weight above 0.")
            object.__setattr__(self, "blend", blend)
        _check("style_scale", self.style_scale, 0.1, 4.0)
        for name in ("content_layers", "style_layers"):
            layers = tuple(getattr(self, name))
            bad = [n for n in layers if n not in VGG19_LAYERS]
            if not layers or bad:
                raise InputError(f"{name} must be a non-empty list of VGG19 layers (e.g. {VGG19_LAYERS[0]}); "
                                 f"unknown: {', '.join(map(str, bad)) or 'none given'}.")
            object.__setattr__(self, name, layers)
        if self.preview_every is not None:
            check_int("preview_every", self.preview_every, 1, 10_000)
        check_int("seed", self.seed, 0, 2**31 - 1)
        for name in ("steps", "max_dim", "scales", "seed"):
            object.__setattr__(self, name, int(getattr(self, name)))
        object.__setattr__(self, "precision", precision.check("precision", self.precision))


#: The tutorial's settings (Adam, 1000 steps at 512 px, exact float32 arithmetic).
TUTORIAL = StyleConfig(precision="float32")
#: genart's fastest measured route to the tutorial's loss (benchmarks/bench_style.py): the tutorial's
#: Adam, a third of the steps at quarter size and a third at half size before the full size, in the
#: fastest precision this machine has.
FAST = StyleConfig(steps=300, scales=3)


# --- loss terms -----------------------------------------------------------------------------------

def gram_matrix(features):
    """Channel correlations of a [1, h, w, c] feature map, divided by its h·w locations."""
    import tensorflow as tf

    shape = tf.shape(features)
    return tf.einsum("bijc,bijd->bcd", features, features) / tf.cast(shape[1] * shape[2], tf.float32)


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


class _Compiled:
    """The extractor's two compiled functions: targets of an image, and loss terms + gradient."""

    def __init__(self, model, n_style: int):
        import keras
        import tensorflow as tf

        ref = weakref.ref(model)  # the cache is keyed weakly by the model; do not keep it alive
        channels = [int(t.shape[-1]) for t in model.outputs]
        image_spec = tf.TensorSpec([1, None, None, 3], tf.float32)

        def extract(image):
            outs = ref()(keras.applications.vgg19.preprocess_input(image * 255.0), training=False)
            return [gram_matrix(o) for o in outs[:n_style]], list(outs[n_style:])

        self.targets = tf.function(extract, input_signature=(image_spec,))

        @tf.function(input_signature=(
            image_spec,
            [tf.TensorSpec([1, c, c], tf.float32) for c in channels[:n_style]],
            [tf.TensorSpec([1, None, None, c], tf.float32) for c in channels[n_style:]],
            tf.TensorSpec([3], tf.float32),  # style, content and TV weights
        ))
        def loss_and_grad(image, gram_targets, content_targets, weights):
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(image)
                grams, feats = extract(image)
                terms = tf.stack([style_loss(grams, gram_targets, weights[0]),
                                  content_loss(feats, content_targets, weights[1]),
                                  tv_loss(image, weights[2])])
                total = tf.reduce_sum(terms)
            return terms, tape.gradient(total, image)

        self.loss_and_grad = loss_and_grad


_compiled: "weakref.WeakKeyDictionary[object, dict[int, _Compiled]]" = weakref.WeakKeyDictionary()
_compiled_lock = threading.Lock()


def _compiled_for(model, n_style: int) -> _Compiled:
    with _compiled_lock:
        per_model = _compiled.setdefault(model, {})
        if n_style not in per_model:
            per_model[n_style] = _Compiled(model, n_style)
        return per_model[n_style]


# --- image helpers --------------------------------------------------------------------------------

def style_size(content_hw: tuple[int, int], style_hw: tuple[int, int], style_scale: float) -> tuple[int, int]:
    """(height, width) of a style image whose long side is ``style_scale`` × the content's long side."""
    long_side = style_scale * max(content_hw)
    k = long_side / max(style_hw)
    return max(1, round(style_hw[0] * k)), max(1, round(style_hw[1] * k))


def _luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb @ _RGB_TO_YUV[:, 0]


def _gray(rgb01: np.ndarray, match: np.ndarray | None = None) -> np.ndarray:
    """Luminance as a 3-channel image; with ``match``, its mean and spread are matched to match's."""
    y = _luminance(rgb01)
    if match is not None:
        ym = _luminance(match)
        y = (y - y.mean()) * (ym.std() / max(float(y.std()), 1e-6)) + ym.mean()
    return np.repeat(np.clip(y, 0.0, 1.0)[..., None], 3, axis=-1)


def _with_chroma(image01: np.ndarray, colors01: np.ndarray) -> np.ndarray:
    """The luminance of ``image01`` with the chroma (U, V) of ``colors01``."""
    yuv = colors01 @ _RGB_TO_YUV
    yuv[..., 0] = _luminance(image01)
    return np.clip(yuv @ _YUV_TO_RGB, 0.0, 1.0)


def _float(img: np.ndarray) -> np.ndarray:
    return (img.astype(np.float32) / 255.0)[None]


# --- optimisers: each yields (image [1,h,w,3] float32, loss terms) once per step --------------------

def _adam(fns: _Compiled, x0: np.ndarray, steps: int, targets, weights, cfg: StyleConfig):
    """The tutorial's loop: Adam step on the gradient, then clip to [0, 1]."""
    import keras
    import tensorflow as tf

    image = tf.Variable(x0)
    opt = keras.optimizers.Adam(learning_rate=cfg.learning_rate, beta_1=cfg.beta_1, epsilon=cfg.epsilon)
    for _ in range(steps):
        terms, grad = fns.loss_and_grad(image, *targets, weights)
        opt.apply_gradients([(grad, image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        yield image.numpy(), terms.numpy()


class _Stop(Exception):
    """Raised inside SciPy's callback when the consumer closed the generator."""


def _lbfgs(fns: _Compiled, x0: np.ndarray, steps: int, targets, weights, cfg: StyleConfig):
    """SciPy L-BFGS-B with [0, 1] bounds, one yield per iteration.

    SciPy runs in a worker thread in lock-step with this generator: after each iteration its
    callback hands the iterate over and waits, so nothing is computed while the consumer holds
    the frame, and closing the generator stops SciPy before its next evaluation.
    """
    from scipy.optimize import Bounds, minimize

    shape = x0.shape
    last: dict = {}
    handoff: queue.Queue = queue.Queue(maxsize=1)
    resume: queue.Queue = queue.Queue(maxsize=1)

    def value_and_grad(x):
        terms, grad = fns.loss_and_grad(x.reshape(shape).astype(np.float32), *targets, weights)
        terms = terms.numpy()
        last["terms"], last["x"] = terms, x.copy()  # SciPy may reuse the array it passed
        return float(terms.sum()), grad.numpy().ravel().astype(np.float64)

    def callback(intermediate_result):
        x = intermediate_result.x
        if not np.array_equal(last["x"], x):  # L-BFGS-B's last evaluation is normally the iterate
            value_and_grad(x)
        handoff.put(("step", x.reshape(shape).astype(np.float32), last["terms"]))
        if resume.get() == "stop":
            raise _Stop

    def work():
        try:
            minimize(value_and_grad, x0.astype(np.float64).ravel(), jac=True, method="L-BFGS-B",
                     bounds=Bounds(0.0, 1.0), callback=callback,
                     options=dict(maxiter=steps, maxfun=steps * 4, maxcor=LBFGS_MEMORY, ftol=0.0, gtol=0.0))
            handoff.put(("done", None, None))
        except _Stop:
            pass
        except BaseException as exc:  # re-raised in the consumer's thread
            handoff.put(("error", exc, None))

    worker = threading.Thread(target=work, name="genart-lbfgs", daemon=True)
    worker.start()
    try:
        while True:
            kind, x, terms = handoff.get()
            if kind == "error":
                raise x
            if kind == "done":
                return
            yield x, terms
            resume.put("go")
    finally:
        if worker.is_alive():
            resume.put("stop")
            worker.join()


# --- the generator --------------------------------------------------------------------------------

def plan(config: StyleConfig, content_hw: tuple[int, int] | None = None) -> list[Segment]:
    """The scales a run of ``config`` iterates, coarse to fine: each size twice the previous, the
    steps split evenly (the finest takes the remainder).

    Args:
        config: the run's settings.
        content_hw: (height, width) of the content image before resizing; None: 4:3 at ``max_dim``.

    Returns:
        One :class:`~genart.plans.Segment` per scale, labelled as the run's frames are.
    """
    hw = working_hw(content_hw, config.max_dim)
    sizes = [(round(hw[0] / 2 ** k), round(hw[1] / 2 ** k)) for k in range(config.scales - 1, -1, -1)]
    sizes = [s for s in sizes[:-1] if min(s) >= MIN_SCALE_SIDE] + [hw]
    sizes = sizes[-config.steps:]  # never a scale without steps
    counts = [config.steps // len(sizes)] * len(sizes)
    counts[-1] += config.steps - sum(counts)
    return [Segment(f"{config.optimizer} {w}×{h} px" + (f" (scale {k + 1}/{len(sizes)})" if len(sizes) > 1 else ""),
                    n, (h, w)) for k, ((h, w), n) in enumerate(zip(sizes, counts))]


def _model_for(config: StyleConfig, model, policy):
    """The extractor a run computes with: ``model`` (or the cached VGG19 cut at the config's layers)
    in the policy's precision."""
    from .. import models

    if model is None:
        return models.vgg19_extractor(config.style_layers, config.content_layers, precision=policy.dtype)
    return models.with_precision(model, policy)


def step_seconds(config: StyleConfig, shape: tuple[int, int], model=None) -> float:
    """Seconds one optimiser step of ``config`` takes at ``shape`` (height, width) on this machine.

    Runs the real optimiser on the cached extractor, in the precision a run would use, for four
    steps: Adam, the fastest after the first (slower at a new size); L-BFGS, the mean (line
    searches included).
    """
    import tensorflow as tf

    policy = precision.resolve(config.precision)
    fns = _compiled_for(_model_for(config, model, policy), len(config.style_layers))
    x = np.random.default_rng(0).uniform(0, 1, (1, *shape, 3)).astype(np.float32)
    grams, feats = fns.targets(tf.constant(x[:, ::-1]))
    weights = tf.constant([config.style_weight, config.content_weight, config.tv_weight], tf.float32)
    steps = (_adam if config.optimizer == "adam" else _lbfgs)(fns, x, 4, (grams, feats), weights, config)
    times, start = [], time.perf_counter()
    try:
        for _ in steps:
            now = time.perf_counter()
            times.append(now - start)
            start = now
    finally:
        steps.close()
    return float(min(times[1:]) if config.optimizer == "adam" else np.mean(times))


def _sized(img: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    return img if img.shape[:2] == tuple(hw) else resize(img, hw[1], hw[0])


def stylize(content: ImageSource, styles: ImageSource | Sequence[ImageSource], config: StyleConfig = TUTORIAL,
            model=None, *, init_image: ImageSource | None = None) -> Iterator[Frame]:
    """Paint ``content`` in the style of ``styles``, yielding the picture as it forms.

    Args:
        content: the content image (a path, bytes, PIL image or array; see :func:`genart.images.load_image`).
        styles: one style image, or a list/tuple of them whose Gram targets are mixed by ``config.blend``.
        config: the settings; the default is the TensorFlow tutorial's.
        model: a Keras model taking a ``vgg19.preprocess_input`` batch and returning the style layers
            then the content layers of ``config``; None builds :func:`genart.models.vgg19_extractor`.
        init_image: the starting picture when ``config.init == "image"`` (resized to the content's size).

    Yields:
        Frame: previews (every ``config.preview_every`` steps, or about every 0.75 s), then exactly one
        final frame. Metrics ``style``, ``content``, ``tv`` (weighted terms) and ``total`` are those
        the last step computed (for Adam: of the image that step started from).

    Raises:
        InputError: an image cannot be used, or ``blend`` / ``init_image`` do not fit the call.
    """
    import tensorflow as tf

    cfg = config
    content_rgb = load_image(content, cfg.max_dim, what="content image")
    style_list = list(styles) if isinstance(styles, (list, tuple)) else [styles]
    if not style_list:
        raise InputError("Please upload a style image first.")
    style_dim = int(np.ceil(cfg.style_scale * cfg.max_dim))
    style_rgbs = [load_image(s, style_dim, what="style image" if len(style_list) == 1 else f"style image {i + 1}")
                  for i, s in enumerate(style_list)]
    blend = cfg.blend or (1.0,) * len(style_rgbs)
    if len(blend) != len(style_rgbs):
        raise InputError(f"blend has {len(blend)} weights for {len(style_rgbs)} style images; "
                         "give one weight per style image.")
    blend = [w / sum(blend) for w in blend]
    if cfg.init == "image" and init_image is None:
        raise InputError("init='image' needs an initial image: upload one, or start from the content or noise.")
    if cfg.init != "image" and init_image is not None:
        raise InputError(f"An initial image was given but init is {cfg.init!r}; use init='image' to start from it.")
    init_rgb = load_image(init_image, what="initial image") if init_image is not None else None

    content_in, style_ins = content_rgb, style_rgbs  # what the network sees
    if cfg.preserve_colors:  # luminance-only transfer; styles' luminance matched to the content's
        content01 = content_rgb / np.float32(255.0)
        content_in = to_uint8(_gray(content01))
        style_ins = [to_uint8(_gray(s / np.float32(255.0), match=content01)) for s in style_rgbs]
        init_rgb = to_uint8(_gray(init_rgb / np.float32(255.0))) if init_rgb is not None else None

    model = _model_for(cfg, model, precision.resolve(cfg.precision))
    if len(model.outputs) != len(cfg.style_layers) + len(cfg.content_layers):
        raise ValueError(f"the model has {len(model.outputs)} outputs; the config needs "
                         f"{len(cfg.style_layers)} style + {len(cfg.content_layers)} content layers")
    fns = _compiled_for(model, len(cfg.style_layers))
    step_fn = _adam if cfg.optimizer == "adam" else _lbfgs
    weights = tf.constant([cfg.style_weight, cfg.content_weight, cfg.tv_weight], tf.float32)
    segments = plan(cfg, content_rgb.shape[:2])
    total, done, x, terms = cfg.steps, 0, None, np.zeros(3, np.float32)

    def frame(hw, stage, final=False):
        shown = x[0]
        if cfg.preserve_colors:
            shown = _with_chroma(shown, _sized(content_rgb, hw) / np.float32(255.0))
        metrics = {"style": float(terms[0]), "content": float(terms[1]), "tv": float(terms[2]),
                   "total": float(terms.sum())}
        return Frame(to_uint8(shown), done, total, stage, metrics, final)

    last_yield = time.perf_counter()
    for segment in segments:
        hw, n, stage = segment.shape, segment.steps, segment.label
        style_grams = [fns.targets(_float(_sized(s, style_size(hw, s.shape[:2], cfg.style_scale))))[0]
                       for s in style_ins]
        gram_targets = [tf.add_n([w * g[layer] for w, g in zip(blend, style_grams)])
                        for layer in range(len(cfg.style_layers))]
        content_targets = fns.targets(_float(_sized(content_in, hw)))[1]
        if x is not None:  # coarse-to-fine: continue from the upsampled coarser result
            x = np.clip(tf.image.resize(x, hw, method="bilinear").numpy(), 0.0, 1.0)
        elif cfg.init == "noise":
            x = np.random.default_rng(cfg.seed).uniform(0.0, 1.0, (1, *hw, 3)).astype(np.float32)
        else:
            x = _float(_sized(init_rgb if init_rgb is not None else content_in, hw))
        steps = step_fn(fns, x, n, (gram_targets, content_targets), weights, cfg)
        try:
            for i, (x, terms) in enumerate(steps, 1):
                done += 1
                if done == total:
                    break
                if cfg.preview_every:
                    due = done % cfg.preview_every == 0
                else:
                    due = done == 1 or i == n or time.perf_counter() - last_yield >= PREVIEW_SECONDS
                if due:
                    yield frame(hw, stage)
                    last_yield = time.perf_counter()
        finally:
            steps.close()  # stops a running L-BFGS worker at once
    yield frame(segments[-1].shape, stage, final=True)
