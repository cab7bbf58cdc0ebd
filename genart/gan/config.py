"""The DCGAN's settings and plan: the frozen :class:`GanConfig` (defaults are the tutorial's), the
presets, the steps ``train(epochs)`` iterates (:func:`plan`) and what a run costs (:func:`run_cost`).
No TensorFlow here.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from .. import precision
from .data import DATASETS, OWN
from ..errors import InputError, check_float, check_int
from .imagesets import COLOURS
from ..costing import Knob, RunCost, Segment

#: Side of the tutorial's generated (and training) images; own pictures are 32×32.
SIDE = 28
#: Side of own pictures (:data:`genart.gan.imagesets.IMAGE_SIDE`).
OWN_SIDE = 32
#: The preview grid: 4×4 samples from fixed noise, nearest-upscaled so it is visible.
GRID_COLS, GRID_SAMPLES, GRID_SCALE = 4, 16, 4
#: With ``preview_every=None`` the trainer draws a grid about this often (measured seconds).
PREVIEW_SECONDS = 2.5
#: ``GanConfig.networks``: whose generator and discriminator train.
NETWORKS = ("tutorial", "quick")
#: ``GanConfig.discriminator``: what the discriminator looks at.
DISCRIMINATORS = ("pixels", "projected")
#: ``GanConfig.loss``: the adversarial loss.
LOSSES = ("bce", "hinge")
#: ``GanConfig.augment``: the DiffAugment transformations (genart.gan.augment.AUGMENTATIONS, in its order).
AUGMENTATIONS = ("brightness", "contrast", "translation", "cutout")
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
        ema_decay: 0 (the tutorial): the pictures are the generator's. Above 0: they come from an
            exponential moving average of the generator's weights with this decay (warmed up as
            min(decay, (1 + t)/(10 + t)) at step t), cleaner samples early; training is unchanged.
        networks: ``tutorial`` (the tutorial's generator and discriminator; one stage deeper for own
            32×32 pictures) or ``quick`` (genart's quick networks, not the tutorial's: a narrower
            generator for 28×28 images, :mod:`genart.gan.networks`).
        discriminator: ``pixels`` (it looks at the images, as the tutorial's) or ``projected`` (small
            heads judge the features of a frozen digit network genart trained, Sauer et al. 2021;
            for 28×28 grey images: own pictures train with ``pixels`` whatever this says).
        loss: ``bce`` (the tutorial's cross-entropy) or ``hinge`` (Lim & Ye 2017, as SAGAN).
        d_learning_rate: the discriminator's Adam learning rate; None: ``learning_rate`` (two rates:
            Heusel et al. 2017).
        augment: DiffAugment transformations shown to the discriminator, on real and generated
            images alike (Zhao et al. 2020): any of ``brightness``, ``contrast``, ``translation``,
            ``cutout``; empty: none (the tutorial).
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
    ema_decay: float = 0.0
    networks: str = "tutorial"
    discriminator: str = "pixels"
    loss: str = "bce"
    d_learning_rate: float | None = None
    augment: tuple[str, ...] = ()

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
        check_float("ema_decay", self.ema_decay, 0.0, 0.9999)
        object.__setattr__(self, "ema_decay", float(self.ema_decay))
        for name, allowed in (("networks", NETWORKS), ("discriminator", DISCRIMINATORS), ("loss", LOSSES)):
            if getattr(self, name) not in allowed:
                raise InputError(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}.")
        if self.d_learning_rate is not None:
            check_float("d_learning_rate", self.d_learning_rate, 1e-6, 0.1)
        augment = (self.augment,) if isinstance(self.augment, str) else tuple(self.augment)
        unknown = [a for a in augment if a not in AUGMENTATIONS]
        if unknown:
            raise InputError(f"augment may name {', '.join(AUGMENTATIONS)}; not {', '.join(map(repr, unknown))}.")
        object.__setattr__(self, "augment", tuple(a for a in AUGMENTATIONS if a in augment))

    @property
    def discriminator_learning_rate(self) -> float:
        """The discriminator's Adam learning rate (``d_learning_rate``, else ``learning_rate``)."""
        return self.learning_rate if self.d_learning_rate is None else self.d_learning_rate


#: Named configs: the tutorial's optimiser (exact float32), the DCGAN paper's (Radford et al.,
#: section 4), ``fast``: the paper's optimiser on batches of 64 with the pictures drawn by an
#: EMA (decay 0.99) of the generator's weights, the soonest with the tutorial's networks
#: (``benchmarks/bench_gan_quality.py``: on a CPU a step costs about its batch, and four small
#: steps teach more than one large one; the EMA's grid covers more classes early), and ``quick``:
#: the same training with genart's quick generator (not the tutorial's), a step about two thirds
#: as dear that learns at least as much per step (issue 30; benchmarks/README.md has every lever's figures).
PRESETS = {
    "tutorial": GanConfig(precision="float32"),
    "dcgan-paper": GanConfig(learning_rate=2e-4, beta_1=0.5),
    "fast": GanConfig(batch_size=64, learning_rate=2e-4, beta_1=0.5, ema_decay=0.99),
    "quick": GanConfig(batch_size=64, learning_rate=2e-4, beta_1=0.5, ema_decay=0.99, networks="quick"),
}

#: The preset the tab and the command line start from: the soonest to digit-like samples.
DEFAULT_PRESET = "quick"
#: Training steps after which the default preset's grid usually shows digit shapes (measured,
#: ``bench_gan_quality.py --presets quick --seeds 3 --marks 30 60 120 300``: by step 500, about 40 s
#: of training on the reference machine, the ``quick`` preset's EMA grid scored 0.70–0.76 confidence and
#: 6–7 classes on genart's meter (``fast``'s: 0.62–0.79 and 5–8 by its step 500, about 60 s); the meter's real-digit line,
#: 0.925 and 7 classes, was not reached by step 3 788, 300 s, in any seed; benchmarks/README.md).
DIGIT_STEPS = 500


def preset(name: str, **overrides) -> GanConfig:
    """The preset ``name`` ("tutorial", "dcgan-paper", "fast" or "quick") with some fields replaced."""
    if name not in PRESETS:
        raise InputError(f"preset must be one of {', '.join(PRESETS)}, not {name!r}.")
    return dataclasses.replace(PRESETS[name], **overrides)


def plan(config: GanConfig, epochs: int, num_examples: int) -> list[Segment]:
    """What ``train(epochs)`` on ``num_examples`` training images iterates: one segment of
    ``epochs × ⌈examples per epoch / batch⌉`` steps on batches of ``batch_size``."""
    examples = min(config.examples_per_epoch or num_examples, num_examples)
    return [Segment("training", int(epochs) * math.ceil(examples / config.batch_size), (config.batch_size,))]


def epochs_for_steps(config: GanConfig, steps: int, num_examples: int) -> int:
    """The fewest epochs (at most :data:`MAX_EPOCHS`) over ``num_examples`` images that train at least
    ``steps`` steps of ``config``."""
    per_epoch = plan(config, 1, num_examples)[0].steps
    return min(MAX_EPOCHS, math.ceil(steps / per_epoch))


def image_shape(config: GanConfig) -> tuple[int, int, int]:
    """(H, W, C) of the images a trainer of ``config`` works on: 28×28×1 digits, or 32×32 own pictures
    (grey if ``colour`` says so, else colour: ``auto`` is costed as colour, the dearer)."""
    if config.dataset != OWN:
        return SIDE, SIDE, 1
    return OWN_SIDE, OWN_SIDE, 1 if config.colour == "grey" else 3


def check_epochs(epochs, name: str = "epochs") -> int:
    """``epochs`` as a whole number from 1 to :data:`MAX_EPOCHS`, or an InputError naming ``name``."""
    check_int(name, epochs, 1, MAX_EPOCHS)
    return int(epochs)


def cost_key(config: GanConfig) -> tuple:
    """What a step's cost depends on besides its batch: the noise size, the precision, the images'
    shape and the networks, discriminator and augmentation (which pick what a step computes)."""
    return "gan", config.noise_dim, config.precision, *step_shape(config), image_shape(config)


def step_shape(config: GanConfig) -> tuple:
    """The settings besides batch, noise size, precision and image shape that change what a step
    computes: ``(networks, discriminator, augment)`` (the loss and the rates cost the same)."""
    return config.networks, config.discriminator, config.augment


def run_cost(config: GanConfig, epochs: int = 1, num_examples: int = 60_000, fresh: bool = True) -> RunCost:
    """``train(epochs)`` of a trainer of ``config`` on ``num_examples`` images, as genart.estimate prices it.

    Args:
        fresh: a new trainer is built and its step traced first (Train); False: an existing one (Continue).

    A step costs about its batch plus a fixed part (16 examples' worth); the run's first steps also
    pay the input pipeline's start (two steps' worth). A cheaper run trains fewer epochs, else one
    epoch of fewer examples.
    """
    segments = plan(config, epochs, num_examples)
    examples = min(config.examples_per_epoch or num_examples, num_examples)
    knobs = (Knob("epochs", int(epochs), "{new} epoch{s} instead of {old}", "{new} epoch{s}", keep=0.0),
             Knob("examples_per_epoch", examples, "{new} examples per epoch instead of {old}",
                  "{new} examples per epoch", low=100, multiple=100, keep=0.0, searched=True))
    per_epoch = segments[0].steps // int(epochs)
    detail = f"{epochs} epoch{'s' if epochs > 1 else ''} × {per_epoch} steps of {config.batch_size}"
    return RunCost(cost_key(config), tuple(segments), detail, setup_steps=2.0, overhead=16, startup=fresh, knobs=knobs)
