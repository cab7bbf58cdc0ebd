"""Fast style transfer: one forward pass of the arbitrary-style network, as in the style tutorial's
"Fast style transfer using TF-Hub" section (``hub_model(tf.constant(content), tf.constant(style))[0]``).

1. The content image is resized so its long side is at most ``max_dim`` (the tutorial's ``load_img``:
   512; never enlarged), float32 in [0, 1].
2. The style image is centre-cropped to a square, resized to ``style_size``² (256, what the network
   was trained on) and blurred by a 3×3 mean, as the TF-Hub colab of this model prepares styles.
   (The style tutorial itself passes its 512-px ``load_img`` style; the colab's "keep it at 256"
   is the model's own advice, and a fixed square size makes the style's cost one constant.)
3. One call of the model gives the stylised picture at the content's size.
4. ``strength`` blends pixels: ``content + strength · (stylised − content)``. The hub model's
   interface is images in, image out, so a blend of its picture with the content is what can be
   done honestly with it; strength 0 gives the resized content back, pixel for pixel.

:func:`paint` yields the resized content at once (step 0, stage "starting", as DeepDream's run does),
then the final :class:`~genart.frames.Frame` (step 1 of 1); a single picture ignores ``steady`` (it is
a video's first frame). :class:`FastStyler` serves a stream (the live webcam mirror): the style is
prepared once, each frame is one call, and with ``steady`` above 0 each frame is painted knowing the
last (:class:`~genart.fast_style.steady.Steady`). :func:`step_seconds` times a
pass for the estimate, and :data:`COSTING` is how genart.estimate prices a run. :class:`OneBehind`
paints a stream one frame behind, so that each pass overlaps the transport of the frame before it.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Iterator

import numpy as np

from ..errors import InputError
from ..frames import Frame, RunFacts
from ..images import ImageSource, load_image, resize, to_uint8
from ..costing import Costing
from .config import FastStyleConfig, plan, run_cost
from .hub import load_model
from .steady import FRESH, Carried, Steady

#: Styles are decoded at most this many times the style side (long side) before the square crop.
STYLE_DECODE_FACTOR = 4


def prepare_style(style: ImageSource, size: int) -> np.ndarray:
    """The style image as the network sees it: float32 [1, size, size, 3] in [0, 1] (crop, resize, 3×3 mean).

    Raises:
        InputError: the style image cannot be used.
    """
    import tensorflow as tf

    rgb = load_image(style, STYLE_DECODE_FACTOR * size, what="style image")
    h, w = rgb.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = resize(rgb[top:top + side, left:left + side], size, size)
    x = tf.constant(square[None].astype(np.float32) / 255.0)
    return tf.nn.avg_pool2d(x, ksize=3, strides=1, padding="SAME").numpy()


def stylise(model, content_rgb: np.ndarray, style: np.ndarray) -> np.ndarray:
    """One pass: uint8 content H×W×3 and a prepared style → the model's picture, float32 H×W×3 in [0, 1].

    A picture of another size (a model that rounds sizes up) is cut, or resized, to the content's.
    """
    import tensorflow as tf

    h, w = content_rgb.shape[:2]
    x = tf.constant(content_rgb[None].astype(np.float32) / 255.0)
    out = model(x, tf.constant(style, tf.float32))[0]
    out = np.asarray(out, np.float32)
    out = out[0] if out.ndim == 4 else out
    if out.shape[0] >= h and out.shape[1] >= w:
        out = out[:h, :w]
    else:
        out = tf.image.resize(out, (h, w), method="bilinear").numpy()
    return np.clip(out, 0.0, 1.0)


def blend(content_rgb: np.ndarray, stylised: np.ndarray, strength: float) -> np.ndarray:
    """``content + strength · (stylised − content)`` in 0–255, as uint8 (strength 0: the content exactly)."""
    c = content_rgb.astype(np.float32)
    return to_uint8(c + np.float32(strength) * (stylised * np.float32(255.0) - c), 0.0, 255.0)


def paint(content: ImageSource, style: ImageSource, config: FastStyleConfig = FastStyleConfig(),
          model=None, *, prepared: np.ndarray | None = None) -> Iterator[Frame]:
    """Paint ``content`` in the style of ``style`` in one pass of the arbitrary-style network.

    Args:
        content: the content image (a path, bytes, PIL image or array; see :func:`genart.images.load_image`).
        style: the style image (any size; centre-cropped to a square of ``config.style_size``).
        config: the settings; the default is the tutorials' (512 px, full strength, 256-px style).
        model: called as ``model(content, style)[0]`` with float32 [1, H, W, 3] images in [0, 1]
            (the hub model's interface); None loads it (:func:`genart.fast_style.hub.load_model`).
        prepared: ``style`` as :func:`prepare_style` gives it at ``config.style_size`` (a video's frames
            share one); None: prepared here.

    Yields:
        Frame: the resized content (step 0 of 1, stage "starting"), then exactly one final frame, step
        1 of 1, the picture at the content's working size; no metrics (a single pass has no loss).

    Raises:
        InputError: an image cannot be used.
        WeightsUnavailable: the pretrained model cannot be loaded (offline).
    """
    content_rgb = load_image(content, config.max_dim, what="content image")
    segment = plan(config, content_rgb.shape[:2])[0]
    facts = RunFacts()  # the hub network computes in float32: no precision to choose
    yield Frame(content_rgb, 0, 1, "starting", {}, facts=facts)  # at once, before TensorFlow works or the model loads
    style_in = prepared if prepared is not None else prepare_style(style, config.style_size)
    model = model if model is not None else load_model()
    picture = blend(content_rgb, stylise(model, content_rgb, style_in), config.strength)
    yield Frame(picture, 1, 1, segment.label, {}, final=True, facts=facts)


def step_seconds(config: FastStyleConfig, shape: tuple[int, int], model=None) -> float:
    """Seconds one pass (style prediction included, as the hub model does it) takes at (height, width).

    Runs the cached model (or ``model``) once to warm up, then twice; returns the faster.
    """
    model = model if model is not None else load_model()
    rng = np.random.default_rng(0)
    content = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    style = rng.uniform(0.0, 1.0, (1, config.style_size, config.style_size, 3)).astype(np.float32)
    stylise(model, content, style)
    times = []
    for _ in range(2):
        start = time.perf_counter()
        blend(content, stylise(model, content, style), config.strength)
        times.append(time.perf_counter() - start)
    return float(min(times))


#: How genart.estimate prices a fast style run.
COSTING = Costing(run_cost, step_seconds)


def recipe_inputs(content: ImageSource, style: ImageSource) -> dict:
    """The inputs a recipe fingerprints, named as the style tab's recipes name them."""
    return {"content": content, "styles": [style]}


def splits_style(model) -> bool:
    """Whether ``model`` can compute a style's vector once and paint frames with it (``style_vector`` and
    ``transfer``: genart's :class:`~genart.fast_style.networks.FastStyleNetwork`; not the hub model)."""
    return hasattr(model, "style_vector") and hasattr(model, "transfer")


class FastStyler:
    """Stylise a stream of frames (a webcam) with one style: the style is prepared once, each frame is one pass.

    Safe to call from several threads; :meth:`set_style` may change the style between frames. With
    ``config.steady`` above 0 the frames are one stream, painted in the order the calls end their pass.

    Args:
        config: ``max_dim`` (each frame's long side), ``strength``, ``style_size`` and ``steady`` (how much
            of the previous painted frame each frame keeps where the motion can be trusted; 0: none).
        model: as in :func:`paint`; None loads the cached model.
        reuse_style_vector: compute the style vector once in :meth:`set_style` and run only the
            transfer network per frame. Only a model with ``style_vector`` and ``transfer``
            (:class:`~genart.fast_style.networks.FastStyleNetwork`) can; the hub model's single
            signature recomputes the style every call, so this is off by default. None: whenever
            the model can (:func:`splits_style`).
    """

    def __init__(self, config: FastStyleConfig = FastStyleConfig(), model=None, *,
                 reuse_style_vector: bool | None = False):
        self.config = config
        self.model = model if model is not None else load_model()
        if reuse_style_vector is None:
            reuse_style_vector = splits_style(self.model)
        if reuse_style_vector and not splits_style(self.model):
            raise ValueError("reuse_style_vector needs a model with style_vector() and transfer() "
                             "(genart.fast_style.networks.FastStyleNetwork); the hub model has one signature")
        self.reuse_style_vector = bool(reuse_style_vector)
        self._lock = threading.Lock()
        self._style = None  # the prepared style image, or its style vector
        self._steady = Steady(config.steady) if config.steady > 0 else None
        self._steady_lock = threading.Lock()

    @property
    def last(self) -> Carried:
        """What the steady step did with the last frame (:class:`~genart.fast_style.steady.Carried`)."""
        return self._steady.last if self._steady is not None else FRESH

    def reset(self) -> None:
        """Forget the previous frame: the next one is painted afresh (a new stream)."""
        if self._steady is not None:
            with self._steady_lock:
                self._steady.reset()

    def set_style(self, style: ImageSource) -> None:
        """Use ``style`` from the next frame on (anything :func:`genart.images.load_image` accepts)."""
        prepared = prepare_style(style, self.config.style_size)
        if self.reuse_style_vector:
            prepared = self.model.style_vector(prepared)
        with self._lock:
            self._style = prepared

    def __call__(self, frame_rgb: ImageSource) -> np.ndarray:
        """One frame (H×W×3 uint8, or any image) → the stylised frame, uint8, long side at most ``max_dim``.

        Raises:
            InputError: no style was set, or the frame cannot be used.
        """
        with self._lock:
            style = self._style
        if style is None:
            raise InputError("Please choose a style image first.")
        content = load_image(frame_rgb, self.config.max_dim, what="camera frame")
        if self.reuse_style_vector:
            import tensorflow as tf

            out = self.model.transfer(tf.constant(content[None].astype(np.float32) / 255.0), style)
            stylised = np.clip(np.asarray(out, np.float32)[0], 0.0, 1.0)
        else:
            stylised = stylise(self.model, content, style)
        picture = blend(content, stylised, self.config.strength)
        if self._steady is None:
            return picture
        with self._steady_lock:
            return self._steady(content, picture)


class OneBehind:
    """Paint a stream one frame behind: each call hands in frame k and gets frame k−1's picture back, while
    frame k is painted on a worker thread (one, so frames stay in order: a steady stream's too). The pass
    of frame k then overlaps what happens around frame k−1: encoding and sending its picture, receiving
    and decoding frame k+1. The first call (and the first after :meth:`reset`) has nothing to give yet.

    Args:
        painter: called with each frame, on the worker thread (a :class:`FastStyler`).
    """

    def __init__(self, painter):
        self.painter = painter
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="genart-one-behind")
        self._ahead: Future | None = None
        self._lock = threading.Lock()

    def __call__(self, frame) -> np.ndarray | None:
        """Start painting ``frame``; the picture of the frame handed in before it (waiting for it if needed), or
        None on the first call. An error of that frame's painting is raised here."""
        with self._lock:
            behind, self._ahead = self._ahead, self._pool.submit(self.painter, frame)
        return None if behind is None else behind.result()

    def reset(self) -> None:
        """Drop the frame in flight (its picture is never given): the next call starts a new stream."""
        with self._lock:
            self._ahead = None

    def close(self) -> None:
        """Stop the worker once the frame in flight is done."""
        self.reset()
        self._pool.shutdown(wait=False)
