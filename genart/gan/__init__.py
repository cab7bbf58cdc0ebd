"""DCGAN: a generator learns to draw digits while a discriminator learns to tell them from real ones.

After Radford, Metz & Chintala (2015) and the TensorFlow DCGAN tutorial:

1. Scale the 28×28 training images to [-1, 1]; feed them in shuffled batches of 256.
2. Generator: 100-d noise → Dense 7·7·256 → three transposed convolutions (5×5) up to 28×28×1, tanh.
   Discriminator: two strided 5×5 convolutions with LeakyReLU and dropout → one logit.
3. Each step: generator loss = BCE(D(G(z)), real); discriminator loss = BCE(D(x), real) +
   BCE(D(G(z)), fake); one Adam step for each network on its own loss.
4. A fixed set of 16 noise vectors is drawn through the generator now and then (a 4×4 grid), so
   the grids of a run show the same 16 "digits" taking shape.

MNIST and Fashion-MNIST train exactly the tutorial's networks. A visitor's own pictures
(``dataset="own"``, loaded by :mod:`genart.imagesets` as 32×32 grey or colour) train the same
design one stage deeper (:mod:`genart.gan.networks` documents both); the trainer takes the
architecture from the data's shape, and a checkpoint records it.

:class:`GanTrainer` owns both networks, both optimisers, the counters and the loss history;
``train(epochs)`` continues from where it stands and yields a :class:`~genart.frames.Frame` per
step. Everything random is a function of ``(seed, step)``: ``train(1)`` twice equals ``train(2)``.
One lock guards the trainer, so an abandoned run (Stop, a closed tab) never leaves it half-updated.

After training, :meth:`GanTrainer.samples` draws new grids by seed and :mod:`genart.gan.walk`
walks through the noise space (spherical interpolation, looping), frame by frame.

**bfloat16.** Where ``precision`` resolves to bfloat16 (``auto`` on a CPU with native bfloat16,
or asked for), both networks train *and* sample in Keras' ``mixed_bfloat16`` (weights, images,
logits, losses and Adam's state stay float32; the last layer of each network computes in
float32). Issue #12 allowed training in it only if it learns as well: at most 1.2× float32's
steps until the grid stops being noise. ``benchmarks/bench_gan_quality.py --simulate-bf16 fast``
trains the fast preset with bfloat16's roundings beside float32 (same seed): both stopped being
noise at step 60 (1.0×), and over 310 steps their classifier confidence stayed 0.016 apart on
average (0.09 at most) with the same coverage of the ten classes within 2 (README, Benchmarks). The ``tutorial`` preset names float32 and stays the tutorial's exact arithmetic.

This module holds the settings and the plan and imports TensorFlow only when a trainer is made;
the networks and the trainer live in :mod:`genart.gan.trainer` (their names are importable from
here as before).
"""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from dataclasses import dataclass

from .. import precision
from ..data import DATASETS, OWN
from ..errors import InputError, check_float, check_int
from ..plans import Segment

#: Side of the tutorial's generated (and training) images; own pictures are 32×32.
SIDE = 28
#: Side of own pictures (:data:`genart.imagesets.IMAGE_SIDE`).
OWN_SIDE = 32
#: ``colour`` choices for own pictures.
COLOURS = ("auto", "colour", "grey")
#: The preview grid: 4×4 samples from fixed noise, nearest-upscaled so it is visible.
GRID_COLS, GRID_SAMPLES, GRID_SCALE = 4, 16, 4
#: With ``preview_every=None`` the trainer draws a grid about this often (measured seconds).
PREVIEW_SECONDS = 2.5
#: Most epochs one ``train`` call accepts.
MAX_EPOCHS = 1000
CONFIG_FILE, CHECKPOINT_PREFIX = "genart_gan.json", "ckpt"


@dataclass(frozen=True)
class GanConfig:
    """Settings of a DCGAN trainer; the defaults are the tutorial's.

    Attributes:
        batch_size: images per step (the tutorial: 256).
        learning_rate: Adam learning rate of both networks.
        beta_1: Adam's first-moment decay (Keras' default 0.9 in the tutorial; 0.5 in the DCGAN paper).
        noise_dim: length of the generator's input noise vector.
        dataset: ``"mnist"``, ``"fashion_mnist"`` or ``"own"`` (your pictures, given to the trainer as
            data; on the command line, a folder or .zip of pictures); ignored for mnist/fashion_mnist
            when the trainer is given data.
        colour: own pictures only: ``auto`` (grey when every picture is grey), ``colour`` or ``grey``.
        examples_per_epoch: examples drawn (shuffled) per epoch; None = the whole training set.
        preview_every: steps between preview grids; None adapts to about one grid per 2.5 s.
        seed: seeds the weights, the data order, the noise, dropout and the preview noise.
        precision: arithmetic of the networks: ``auto``, ``float32`` (the tutorial), ``bfloat16``
            or ``float16`` (GPU), as genart.precision explains.
    """

    batch_size: int = 256
    learning_rate: float = 1e-4
    beta_1: float = 0.9
    noise_dim: int = 100
    dataset: str = "mnist"
    colour: str = "auto"
    examples_per_epoch: int | None = None
    preview_every: int | None = None
    seed: int = 0
    precision: str = "auto"

    def __post_init__(self) -> None:
        check_int("batch_size", self.batch_size, 2, 1024)
        check_float("learning_rate", self.learning_rate, 1e-6, 0.1)
        check_float("beta_1", self.beta_1, 0.0, 0.999)
        check_int("noise_dim", self.noise_dim, 1, 1024)
        if self.dataset not in DATASETS + (OWN,):
            raise InputError(f"dataset must be one of {', '.join(DATASETS + (OWN,))}, not {self.dataset!r}.")
        if self.colour not in COLOURS:
            raise InputError(f"colour must be one of {', '.join(COLOURS)}, not {self.colour!r}.")
        if self.examples_per_epoch is not None:
            check_int("examples_per_epoch", self.examples_per_epoch, 1, 10_000_000)
        if self.preview_every is not None:
            check_int("preview_every", self.preview_every, 1, 100_000)
        check_int("seed", self.seed, 0, 2**31 - 1)
        object.__setattr__(self, "precision", precision.check("precision", self.precision))


#: Named configs: the tutorial's optimiser (exact float32), the DCGAN paper's (Radford et al.,
#: section 4), and ``fast``: the paper's optimiser on batches of 64, the soonest of the three to
#: digit-like samples on 2 vCPUs (``benchmarks/bench_gan_quality.py``: no longer noise 5× sooner
#: than dcgan-paper; on a CPU a step costs about its batch, and four small steps teach more than
#: one large one).
PRESETS = {
    "tutorial": GanConfig(precision="float32"),
    "dcgan-paper": GanConfig(learning_rate=2e-4, beta_1=0.5),
    "fast": GanConfig(batch_size=64, learning_rate=2e-4, beta_1=0.5),
}


def preset(name: str, **overrides) -> GanConfig:
    """The preset ``name`` ("tutorial", "dcgan-paper" or "fast") with some fields replaced."""
    if name not in PRESETS:
        raise InputError(f"preset must be one of {', '.join(PRESETS)}, not {name!r}.")
    return dataclasses.replace(PRESETS[name], **overrides)


def plan(config: GanConfig, epochs: int, num_examples: int) -> list[Segment]:
    """What ``train(epochs)`` on ``num_examples`` training images iterates: one segment of
    ``epochs × ⌈examples per epoch / batch⌉`` steps on batches of ``batch_size``."""
    examples = min(config.examples_per_epoch or num_examples, num_examples)
    return [Segment("training", int(epochs) * math.ceil(examples / config.batch_size), (config.batch_size,))]


def image_shape(config: GanConfig) -> tuple[int, int, int]:
    """(H, W, C) of the images a trainer of ``config`` works on: 28×28×1 digits, or 32×32 own pictures
    (grey if ``colour`` says so, else colour: ``auto`` is costed as colour, the dearer)."""
    if config.dataset != OWN:
        return SIDE, SIDE, 1
    return OWN_SIDE, OWN_SIDE, 1 if config.colour == "grey" else 3


_probe_lock = threading.Lock()
_probes: dict[tuple, object] = {}  # (noise_dim, precision, image shape) → a small trainer used only to time steps
_startup_s: dict[tuple, float] = {}  # same key → seconds to build a trainer and trace its step


def _probe(config: GanConfig):
    """A process-wide trainer for timing (never a session's own); at most one is kept."""
    import numpy as np

    from .trainer import GanTrainer

    shape = image_shape(config)
    key = (config.noise_dim, precision.resolve(config.precision).dtype, shape)
    with _probe_lock:
        if key not in _probes:
            _probes.clear()
            start = time.perf_counter()
            probe = GanTrainer(GanConfig(batch_size=config.batch_size, noise_dim=config.noise_dim,
                                         precision=config.precision),
                               data=np.zeros((config.batch_size, *shape), np.uint8))
            probe.time_step(config.batch_size)  # traces the step
            probe.grid()  # a run draws its first preview grid at once (tracing the sampler)
            _startup_s[key] = time.perf_counter() - start
            _probes[key] = probe
        return _probes[key], key


def step_seconds(config: GanConfig, shape: tuple[int, ...]) -> float:
    """Seconds one training step of ``config`` takes on a batch of ``shape[0]`` images on this
    machine, in the precision a run would use (timed on a process-wide probe trainer)."""
    probe, _ = _probe(config)
    return probe.time_step(int(shape[0]))


def startup_seconds(config: GanConfig) -> float:
    """Seconds a new trainer of ``config`` takes before its first step (building, tracing, first grid)."""
    _, key = _probe(config)
    return _startup_s[key]


def __getattr__(name: str):
    """The networks, losses and :class:`GanTrainer` come from :mod:`genart.gan.trainer` on first use."""
    import importlib

    if name.startswith("__"):
        raise AttributeError(name)
    trainer = importlib.import_module(".trainer", __name__)
    try:
        return getattr(trainer, name)
    except AttributeError:
        raise AttributeError(f"module 'genart.gan' has no attribute {name!r}") from None
