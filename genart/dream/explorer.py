"""DeepDream's channel explorer: what 16 channels of a layer respond to, side by side.

Feature visualisation (Olah, Mordvintsev & Schubert, "Feature Visualization", Distill 2017):

1. Start 16 copies of a grey image (with the same faint, seeded noise) at ``size`` px.
2. Run gradient ascent on them **as one batch**: image i maximises the mean activation of
   channel i of the layer, so one forward and one backward pass serve all 16 tiles.
   Each step rolls the batch by a random jitter of up to 8 px (undone after the
   step; it keeps pixel-grid patterns away), divides each image's gradient by its own standard
   deviation (as DeepDream does) and clips to [-1, 1].
3. Show them as a 4×4 contact sheet, each tile labelled with its channel.

The step is one compiled ``tf.function`` per model with an input signature: batch size, tile
size, channels, step count and step size are tensors, so nothing retraces. :func:`channel_sheet`
yields the sheet as it sharpens (all tiles together), about every 0.75 s of compute, final frame
last. :func:`tile_at` maps a click on the sheet back to its channel.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
from PIL import Image, ImageDraw

from .. import models, precision
from ..errors import InputError, check_float, check_int
from ..frames import Frame, RunFacts
from .config import LAYER_CHANNELS
from .run import PRECISION

#: Tiles in one sheet, and the sheet's columns.
TILES, COLUMNS = 16, 4
#: Pixels between tiles on the sheet.
GAP = 4
#: Amplitude of the seeded noise on the grey start, in [-1, 1] image units.
NOISE = 0.1
#: Channels per InceptionV3 layer (mixed0…mixed10).
CHANNELS = LAYER_CHANNELS


@dataclass(frozen=True)
class ExplorerConfig:
    """Settings of one channel sheet.

    Attributes:
        layer: the InceptionV3 layer whose channels are shown (``mixed0``…``mixed10``).
        channels: up to 16 distinct channel indices (None: channels 0 to 15).
        size: side of each tile in pixels.
        steps: ascent steps.
        step_size: ascent step on the std-normalised gradient, in [-1, 1] image units.
        seed: seed of the grey start's noise and of the jitter.
        precision: arithmetic of the network (``auto``, ``float32``, ``bfloat16``, ``float16``).
    """

    layer: str = "mixed3"
    channels: Sequence[int] | None = None
    size: int = 128
    steps: int = 20
    step_size: float = 0.05
    seed: int = 0
    precision: str = "auto"

    def __post_init__(self) -> None:
        if self.layer not in models.INCEPTION_LAYERS:
            raise InputError(f"layer: {self.layer!r} is not an InceptionV3 layer; choose from mixed0 to mixed10.")
        count = CHANNELS[self.layer]
        channels = tuple(range(TILES)) if self.channels is None else tuple(self.channels)
        if not 1 <= len(channels) <= TILES:
            raise InputError(f"channels: choose from 1 to {TILES} channels; got {len(channels)}.")
        for c in channels:
            if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or not 0 <= c < count:
                raise InputError(f"channels: {self.layer} has {count} channels, numbered 0 to {count - 1}; "
                                 f"got {c!r}.")
        if len(set(channels)) != len(channels):
            raise InputError("channels: each channel may be chosen only once.")
        object.__setattr__(self, "channels", tuple(int(c) for c in channels))
        check_int("size", self.size, 80, 512)
        check_int("steps", self.steps, 1, 500)
        check_float("step_size", self.step_size, 1e-4, 0.5)
        check_int("seed", self.seed, 0, 2**31 - 1)
        object.__setattr__(self, "precision", precision.check("precision", self.precision))


def channel_range(layer: str, first: int) -> tuple[int, ...]:
    """The 16 channels of ``layer`` from ``first`` on (fewer at the layer's end)."""
    count = CHANNELS.get(layer, 0)
    check_int(f"first channel ({layer} has {count} channels)", first, 0, max(count - 1, 0))
    return tuple(range(first, min(first + TILES, count)))


def sheet_shape(n: int, size: int) -> tuple[int, int]:
    """(height, width) of the sheet of ``n`` tiles of ``size`` px."""
    rows = math.ceil(n / COLUMNS)
    return rows * size + (rows - 1) * GAP, COLUMNS * size + (COLUMNS - 1) * GAP


def tile_at(x: float, y: float, n: int, size: int) -> int | None:
    """Index of the tile under the sheet pixel (x, y), or None for a gap or outside the tiles."""
    col, dx = divmod(int(x), size + GAP)
    row, dy = divmod(int(y), size + GAP)
    index = row * COLUMNS + col
    if x < 0 or y < 0 or col >= COLUMNS or dx >= size or dy >= size or index >= n:
        return None
    return index


def compose_sheet(tiles: np.ndarray, channels: Sequence[int]) -> np.ndarray:
    """N×S×S×3 uint8 tiles → the contact sheet, each tile labelled with its channel (top left)."""
    n, size = tiles.shape[0], tiles.shape[1]
    sheet = Image.new("RGB", sheet_shape(n, size)[::-1], (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    for i, (tile, channel) in enumerate(zip(tiles, channels)):
        x, y = (i % COLUMNS) * (size + GAP), (i // COLUMNS) * (size + GAP)
        sheet.paste(Image.fromarray(tile), (x, y))
        label = str(channel)
        left, top, right, bottom = draw.textbbox((x + 3, y + 2), label)
        draw.rectangle((left - 2, top - 2, right + 2, bottom + 2), fill=(0, 0, 0))
        draw.text((x + 3, y + 2), label, fill=(255, 255, 255))
    return np.asarray(sheet)


def channel_sheet(layer: str = "mixed3", channels: Sequence[int] | None = None, *, size: int = 128,
                  steps: int = 20, step_size: float = 0.05, seed: int = 0, model=None,
                  precision: str = "auto") -> Iterator[Frame]:
    """Visualise up to 16 channels of ``layer``, all in one batch, as a labelled 4×4 sheet.

    Args:
        layer: the InceptionV3 layer (``mixed0``…``mixed10``).
        channels: up to 16 channel indices (None: 0 to 15).
        size, steps, step_size, seed, precision: see :class:`ExplorerConfig`.
        model: a Keras model mapping a batch in [-1, 1] to the layer's activations (B×H×W×C);
            None: InceptionV3 cut at ``layer`` through :mod:`genart.models`.

    Yields:
        The grey start (step 0, stage "starting"), then the sheet about every 0.75 s of compute
        (stage ``"mixed3 channels 0–15"``), metrics ``{"loss": …}`` (the mean over tiles of each
        tile's channel mean before the latest step); the last frame has ``final=True``.

    Raises:
        InputError: a setting is out of range (a channel past the layer's last, for instance).
    """
    cfg = ExplorerConfig(layer, channels, size, steps, step_size, seed, precision)
    yield from _run(cfg, model)


def _run(cfg: ExplorerConfig, model) -> Iterator[Frame]:
    import tensorflow as tf

    from .explorer_step import explorer_for

    n = len(cfg.channels)
    lo, hi = min(cfg.channels), max(cfg.channels)
    stage = f"{cfg.layer} channel{'s' if n > 1 else ''} " + (f"{lo}–{hi}" if list(cfg.channels) == list(
        range(lo, hi + 1)) and n > 1 else ", ".join(map(str, cfg.channels)))
    rng = np.random.default_rng(cfg.seed)
    start = rng.uniform(-NOISE, NOISE, (1, cfg.size, cfg.size, 3)).astype(np.float32)
    x = tf.constant(np.repeat(start, n, axis=0))
    yield Frame(compose_sheet(_to_uint8(x.numpy()), cfg.channels), 0, cfg.steps, "starting", {})
    chosen = PRECISION.policy(cfg.precision)
    if chosen.dtype == "float16":  # its batched step does not loss-scale float16 gradients (yet)
        chosen = PRECISION.policy("float32")
    facts = RunFacts(chosen)
    net = PRECISION.network(chosen, model, lambda dtype: models.dream_extractor((cfg.layer,), precision=dtype))
    width = net.outputs[0].shape[-1]
    if width is not None and hi >= width:
        raise InputError(f"channels: {cfg.layer} has {width} channels (0 to {width - 1}); got {hi}.")
    explore = explorer_for(net)
    channels = tf.constant(cfg.channels, tf.int32)
    step_size = tf.constant(cfg.step_size, tf.float32)
    done, sec_per_step, measured = 0, None, False
    while done < cfg.steps:
        chunk = 1 if sec_per_step is None else max(1, round(0.75 / sec_per_step))
        chunk = min(chunk, cfg.steps - done)
        t0 = time.perf_counter()
        x, losses = explore(x, channels, tf.constant(chunk), step_size, tf.constant([cfg.seed, done], tf.int32))
        tiles = _to_uint8(x.numpy())
        if measured:
            sec_per_step = (time.perf_counter() - t0) / chunk
        measured = True
        done += chunk
        yield Frame(compose_sheet(tiles, cfg.channels), done, cfg.steps, stage,
                    {"loss": float(np.mean(losses.numpy()))}, final=done == cfg.steps, facts=facts)


def _to_uint8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint((x + 1.0) * 127.5), 0, 255).astype(np.uint8)
