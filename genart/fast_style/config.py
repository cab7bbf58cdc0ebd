"""Settings of a fast style run, its plan and cost key (no TensorFlow here: cheap to import).

The fast method is the style tutorial's "Fast style transfer using TF-Hub" section: one forward
pass of Magenta's arbitrary-image-stylization network (Ghiasi et al. 2017), loaded from TF-Hub
(:data:`DEFAULT_HANDLE`, or its copy on Kaggle Models, :data:`KAGGLE_HANDLE`; or the handle / local
SavedModel folder in ``GENART_FAST_STYLE_MODEL``).
A run is a single pass at one working size, so its plan is one segment of one step, and the only
knob a cheaper run may turn is that size (:func:`run_cost`). ``steady`` is for frames in a row (a
video, the live mirror: :mod:`genart.fast_style.steady`); a single picture is a video's first frame.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .. import models
from ..errors import check_float, check_int
from ..costing import Knob, RunCost, Segment, working_hw

#: The TF-Hub handle the tutorial loads (Magenta's network, trained on 256×256 style images).
DEFAULT_HANDLE = "https://tfhub.dev/google/magenta/arbitrary-image-stylization-v1-256/2"
#: The same model on Kaggle Models, where tfhub.dev handles redirect now (and the fallback when that
#: redirect fails): ``kagglehub.model_download(f"{KAGGLE_HANDLE}/{KAGGLE_VERSION}")``.
KAGGLE_HANDLE = "google/arbitrary-image-stylization-v1/tensorFlow1/256"
KAGGLE_VERSION = 2
#: Environment variable naming another handle, or a local folder holding the unpacked SavedModel.
MODEL_ENV = "GENART_FAST_STYLE_MODEL"
#: The side of the square style images the network was trained on (the TF-Hub colab: "keep it at 256").
STYLE_SIDE = 256
#: Bounds of the settings (content long side; style square side).
MAX_DIM_RANGE = (32, 2048)
STYLE_SIZE_RANGE = (96, 1024)
#: The ``steady`` a video and the live mirror use unless told otherwise, chosen by
#: ``benchmarks/bench_steady.py``: Lai et al.'s warping error about a quarter to a third of independent
#: frames' on both its clips, each frame still closer to its own one-pass picture than to the last one's.
VIDEO_STEADY = 0.7
#: A run's start-up beside its pass, in passes: decoding and resizing the two images, the style's blur.
SETUP_PASSES = 0.25


def model_handle() -> str:
    """The model to load: ``GENART_FAST_STYLE_MODEL`` (a handle or a SavedModel folder) or the tutorial's."""
    return os.environ.get(MODEL_ENV, "").strip() or DEFAULT_HANDLE


@dataclass(frozen=True)
class FastStyleConfig:
    """Settings of one fast style run; the defaults are the tutorials'.

    Attributes:
        max_dim: the content image's long side is at most this many pixels (the style tutorial's
            ``load_img``: 512); the picture comes out at that size.
        strength: how much of the style, from 0 (the content, pixel for pixel) to 1 (the network's
            picture): a pixel blend ``content + strength · (stylised − content)``, because the
            TF-Hub model's interface is images in, image out.
        style_size: the style image is centre-cropped to a square and resized to this side (the
            TF-Hub colab's 256, what the network was trained on; other sizes give other textures).
        steady: for frames in a row (a video, the live mirror), from 0 to 1: how much of the previous
            painted frame, carried along the motion, each frame keeps where the motion can be trusted
            (0: every frame on its own; 1: the carried frame wherever it is trusted). A single picture,
            like a video's first frame and a scene cut, is its one-pass picture.
    """

    max_dim: int = 512
    strength: float = 1.0
    style_size: int = STYLE_SIDE
    steady: float = 0.0

    def __post_init__(self) -> None:
        check_int("max_dim", self.max_dim, *MAX_DIM_RANGE)
        check_float("strength", self.strength, 0.0, 1.0)
        check_int("style_size", self.style_size, *STYLE_SIZE_RANGE)
        check_float("steady", self.steady, 0.0, 1.0)
        object.__setattr__(self, "max_dim", int(self.max_dim))
        object.__setattr__(self, "strength", float(self.strength))
        object.__setattr__(self, "style_size", int(self.style_size))
        object.__setattr__(self, "steady", float(self.steady))


def plan(config: FastStyleConfig, content_hw: tuple[int, int] | None = None) -> list[Segment]:
    """What a run of ``config`` does: one pass at the working size.

    Args:
        config: the run's settings.
        content_hw: (height, width) of the content image before resizing; None: 4:3 at ``max_dim``.

    Returns:
        One :class:`~genart.costing.Segment` of one step, labelled as the run's frame is.
    """
    h, w = working_hw(content_hw, config.max_dim)
    return [Segment(f"one pass {w}×{h} px", 1, (h, w))]


def cost_key(config: FastStyleConfig, weights: str | None = None, model=None) -> tuple:
    """What a pass's time depends on besides the pixels: the model and the style side.

    Args:
        config: the run's settings.
        weights: ``genart.models.weights_mode()`` of the run ("imagenet": the hub model; "random");
            None: the current mode.
        model: an injected model (keyed by identity), or None.
    """
    if model is not None:
        net = ("custom", id(model))
    else:
        net = model_handle() if (weights or models.weights_mode()) != "random" else "random"
    return ("fast-style", net, config.style_size)


def run_cost(config: FastStyleConfig, content_hw: tuple[int, int] | None = None, model=None) -> RunCost:
    """A run of ``config`` on a content image of ``content_hw``, as genart.estimate prices it.

    One pass, after a quarter of a pass's worth of set-up (decoding and resizing the images); a
    cheaper run is smaller (the only knob: ``max_dim``, down to 64 px).
    """
    segments = plan(config, content_hw)
    knob = Knob("max_dim", config.max_dim, "max size {new} px instead of {old}", "max size {new} px",
                low=64, multiple=32, searched=True)
    return RunCost(cost_key(config, model=model), tuple(segments), segments[0].label,
                   setup_steps=SETUP_PASSES, knobs=(knob,))
