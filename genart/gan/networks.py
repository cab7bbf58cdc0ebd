"""The DCGAN's networks: the tutorial's for 28×28 digits, and the same design one stage deeper for 32×32 pictures.

``tutorial`` (MNIST and Fashion-MNIST), exactly the TensorFlow DCGAN tutorial's networks:

* generator (2 330 944 parameters): noise → Dense 7·7·256 → BN, LeakyReLU → reshape 7×7×256 →
  ConvT 128 5×5 /1 (7×7) → BN, LeakyReLU → ConvT 64 5×5 /2 (14×14) → BN, LeakyReLU →
  ConvT 1 5×5 /2, tanh (28×28×1);
* discriminator (212 865): Conv 64 5×5 /2 (14×14) → LeakyReLU, Dropout 0.3 → Conv 128 5×5 /2
  (7×7) → LeakyReLU, Dropout 0.3 → Flatten → Dense 1 (a logit).

``dcgan-32`` (a visitor's own pictures, 32×32 grey or colour): the tutorial's layers starting
from 4×4 instead of 7×7, extended by one up-sampling stage in the generator and one
down-sampling stage in the discriminator, with C = 1 or 3 image channels:

* generator (1 865 664 parameters for colour, 1 862 464 for grey): noise → Dense 4·4·256 → BN, LeakyReLU → reshape
  4×4×256 → ConvT 128 5×5 /1 (4×4) → BN, LeakyReLU → **ConvT 128 5×5 /2 (8×8) → BN, LeakyReLU**
  → ConvT 64 5×5 /2 (16×16) → BN, LeakyReLU → ConvT C 5×5 /2, tanh (32×32×C);
* discriminator (1 033 345 for colour, 1 030 145 for grey): Conv 64 5×5 /2 (16×16) → Conv 128 5×5 /2 (8×8) →
  **Conv 256 5×5 /2 (4×4)**, each followed by LeakyReLU and Dropout 0.3 → Flatten → Dense 1.

A step of ``dcgan-32`` costs about as much as the tutorial's (the added stage works at 8×8 and
4×4, where pixels are few).

``quick`` (``GanConfig(networks="quick")``, 28×28×1): **genart's quick networks, not the tutorial's**.
Most of a tutorial step is its generator's 5×5 convolution from 256 to 128 channels at 7×7; the
quick generator starts narrower and goes up in two 4×4 steps:

* generator (932 608 parameters for noise_dim 100): noise → Dense 7·7·128 → BN, LeakyReLU →
  reshape 7×7×128 → Conv 128 3×3 /1 (7×7) → BN, LeakyReLU → ConvT 64 4×4 /2 (14×14) → BN,
  LeakyReLU → ConvT 1 4×4 /2, tanh (28×28×1);
* discriminator: the tutorial's (``discriminator="pixels"``), or the projected one.

``projected`` (``GanConfig(discriminator="projected")``, 28×28×1 with either generator): the
images pass through the frozen digit feature network (:mod:`genart.gan.features`), and small
trainable heads judge its feature maps (:func:`make_projected_discriminator`). Every builder takes ``dtype``, a Keras dtype policy name
(``"float32"``, ``"mixed_bfloat16"`` …) for all layers but the last, which computes in float32,
so the images and logits are always float32.
"""

from __future__ import annotations

import threading

import keras

#: Architecture name → (image side, allowed channel counts).
ARCHITECTURES = {"tutorial": (28, (1,)), "dcgan-32": (32, (1, 3)), "quick": (28, (1,))}
#: Human names, for messages.
ARCHITECTURE_LABELS = {"tutorial": "the tutorial's 28×28 networks", "dcgan-32": "the 32×32 networks",
                       "quick": "genart's quick 28×28 networks (not the tutorial's)"}
#: Keras' layer naming is process-global: trainers build (and share their data) one at a time.
BUILD_LOCK = threading.Lock()


def architecture_for(image_shape: tuple[int, int, int], networks: str = "tutorial") -> str:
    """The architecture that trains on images of ``image_shape`` (H, W, C) for ``GanConfig.networks``
    (``quick`` has 28×28 networks only: 32×32 pictures train ``dcgan-32`` either way); None if none does."""
    h, w, c = (int(v) for v in image_shape)
    if networks == "quick" and (h, w, c) == (28, 28, 1):
        return "quick"
    for name, (side, channels) in ARCHITECTURES.items():
        if h == w == side and c in channels:
            return name
    return None


def _stem(noise_dim: int, side: int, channels: int, dtype: str) -> list:
    """Every generator's start: noise → Dense side·side·channels → BN, LeakyReLU → side×side×channels."""
    layers = keras.layers
    return [keras.Input((noise_dim,)), layers.Dense(side * side * channels, use_bias=False, dtype=dtype),
            layers.BatchNormalization(dtype=dtype), layers.LeakyReLU(dtype=dtype),
            layers.Reshape((side, side, channels), dtype=dtype)]


def make_generator(noise_dim: int = 100, dtype: str = "float32") -> keras.Model:
    """The tutorial's generator: noise (noise_dim) → 28×28×1 image in [-1, 1]."""
    layers = keras.layers
    return keras.Sequential([
        *_stem(noise_dim, 7, 256, dtype),  # 7×7×256
        *_up(128, 1, dtype),  # 7×7×128
        *_up(64, 2, dtype),  # 14×14×64
        layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh",
                               dtype="float32"),  # 28×28×1
    ], name="generator")


def make_discriminator(seed: int | None = None, dtype: str = "float32") -> keras.Model:
    """The tutorial's discriminator: 28×28×1 image → one logit (real > 0 > fake)."""
    return _discriminator((28, 28, 1), (64, 128), seed, dtype)


def make_generator_32(noise_dim: int = 100, channels: int = 3, dtype: str = "float32") -> keras.Model:
    """The 32-px generator: noise (noise_dim) → 32×32×channels image in [-1, 1]."""
    layers = keras.layers
    return keras.Sequential([
        *_stem(noise_dim, 4, 256, dtype),  # 4×4×256
        *_up(128, 1, dtype),  # 4×4×128
        *_up(128, 2, dtype),  # 8×8×128: the added stage
        *_up(64, 2, dtype),  # 16×16×64
        layers.Conv2DTranspose(channels, 5, strides=2, padding="same", use_bias=False, activation="tanh",
                               dtype="float32"),  # 32×32×channels
    ], name="generator")


def make_discriminator_32(channels: int = 3, seed: int | None = None, dtype: str = "float32") -> keras.Model:
    """The 32-px discriminator: 32×32×channels image → one logit (real > 0 > fake)."""
    return _discriminator((32, 32, channels), (64, 128, 256), seed, dtype)


def make_quick_generator(noise_dim: int = 100, dtype: str = "float32") -> keras.Model:
    """genart's quick generator (not the tutorial's): noise (noise_dim) → 28×28×1 image in [-1, 1]."""
    layers = keras.layers
    return keras.Sequential([
        *_stem(noise_dim, 7, 128, dtype),  # 7×7×128
        layers.Conv2D(128, 3, padding="same", use_bias=False, dtype=dtype),  # 7×7×128
        layers.BatchNormalization(dtype=dtype), layers.LeakyReLU(dtype=dtype),
        layers.Conv2DTranspose(64, 4, strides=2, padding="same", use_bias=False, dtype=dtype),  # 14×14×64
        layers.BatchNormalization(dtype=dtype), layers.LeakyReLU(dtype=dtype),
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", use_bias=False, activation="tanh",
                               dtype="float32"),  # 28×28×1
    ], name="generator")


def make_projected_discriminator(dtype: str = "float32") -> keras.Model:
    """The projected discriminator: 28×28×1 image → the frozen digit features → trainable heads →
    one logit per head position (B×K logits; real > 0 > fake), see :data:`PROJECTED_HEADS`."""
    from .features import frozen_feature_network

    layers = keras.layers
    features = frozen_feature_network(dtype)
    inputs = keras.Input((28, 28, 1))
    maps = features(inputs)
    logits = []
    for index, convolutions in PROJECTED_HEADS:
        x = maps[index]
        for filters, size, stride in convolutions[:-1]:
            x = layers.LeakyReLU(0.2, dtype=dtype)(layers.Conv2D(filters, size, strides=stride, padding="same",
                                                                 dtype=dtype)(x))
        filters, size, stride = convolutions[-1]
        x = layers.Conv2D(filters, size, strides=stride, padding="same", dtype="float32")(x)
        logits.append(layers.Flatten(dtype="float32")(x))
    out = logits[0] if len(logits) == 1 else layers.Concatenate(dtype="float32")(logits)
    return keras.Model(inputs, out, name="discriminator")


#: The projected discriminator's heads: (feature map index in genart.gan.features.LAYERS, its
#: convolutions as (filters, size, stride); the last has one filter, a logit per position).
PROJECTED_HEADS = (
    (1, ((128, 4, 2), (1, 3, 1))),  # 14×14×64 → 7×7×128 → 7×7 logits
    (2, ((128, 3, 1), (1, 3, 1))),  # 7×7×128 → 7×7×128 → 7×7 logits
)


def build_generator(architecture: str, noise_dim: int, channels: int, dtype: str = "float32") -> keras.Model:
    """The generator of ``architecture`` ("tutorial", "dcgan-32" or "quick")."""
    if architecture == "tutorial":
        return make_generator(noise_dim, dtype)
    if architecture == "dcgan-32":
        return make_generator_32(noise_dim, channels, dtype)
    if architecture == "quick":
        return make_quick_generator(noise_dim, dtype)
    raise ValueError(f"unknown architecture {architecture!r}")


def build(architecture: str, noise_dim: int, channels: int, seed: int | None = None,
          dtype: str = "float32", discriminator: str = "pixels") -> tuple[keras.Model, keras.Model]:
    """(generator, discriminator) of ``architecture`` ("tutorial", "dcgan-32" or "quick"); the
    discriminator is ``projected`` (:func:`make_projected_discriminator`) for 28×28 grey images when
    asked, else the one that looks at the pixels (the tutorial's, or the 32-px one)."""
    generator = build_generator(architecture, noise_dim, channels, dtype)
    if discriminator_for(discriminator, architecture) == "projected":
        return generator, make_projected_discriminator(dtype)
    if architecture in ("tutorial", "quick"):
        return generator, make_discriminator(seed, dtype)
    return generator, make_discriminator_32(channels, seed, dtype)


def _up(filters: int, stride: int, dtype: str) -> list:
    """A generator stage: transposed convolution (5×5, no bias), batch norm, LeakyReLU."""
    layers = keras.layers
    return [layers.Conv2DTranspose(filters, 5, strides=stride, padding="same", use_bias=False, dtype=dtype),
            layers.BatchNormalization(dtype=dtype), layers.LeakyReLU(dtype=dtype)]


def _discriminator(shape: tuple[int, int, int], filters: tuple[int, ...], seed: int | None, dtype: str) -> keras.Model:
    """Strided 5×5 convolutions, each with LeakyReLU and dropout 0.3 (seeded seed, seed+1, …), then a logit."""
    layers = keras.layers
    stages = []
    for i, f in enumerate(filters):
        stages += [layers.Conv2D(f, 5, strides=2, padding="same", dtype=dtype), layers.LeakyReLU(dtype=dtype),
                   layers.Dropout(0.3, seed=None if seed is None else seed + i, dtype=dtype)]
    return keras.Sequential([keras.Input(shape), *stages, layers.Flatten(dtype=dtype),
                             layers.Dense(1, dtype="float32")], name="discriminator")


def describe(architecture: str, shape: tuple[int, ...]) -> str:
    """``"the 32×32 networks for colour pictures (32×32×3)"``."""
    label = ARCHITECTURE_LABELS.get(architecture, f"the {architecture!r} networks")
    kind = {1: "grey", 3: "colour"}.get(shape[-1], f"{shape[-1]}-channel") if len(shape) == 3 else "unknown"
    return f"{label} for {kind} pictures ({'×'.join(map(str, shape))})"


def discriminator_for(discriminator: str, architecture: str) -> str:
    """The discriminator a trainer builds: ``projected`` only for the 28×28 architectures, else ``pixels``."""
    return discriminator if discriminator == "pixels" or ARCHITECTURES[architecture][0] == 28 else "pixels"


def networks_note(config, architecture: str) -> str:
    """Whose networks and losses a trainer of ``config`` on ``architecture`` trains, in plain words:
    "The tutorial's networks and losses." or "genart's quick networks, not the tutorial's: …"."""
    discriminator = discriminator_for(config.discriminator, architecture)
    if architecture == "quick":
        parts = ["genart's quick networks, not the tutorial's: a narrower generator (7×7×128 → 14×14×64 → 28×28, "
                 "a training step about two thirds of the tutorial networks' at the same batch)"]
    elif architecture == "dcgan-32":
        parts = ["the tutorial's networks one stage deeper, for 32×32 pictures"]
    else:
        parts = ["the tutorial's networks"]
    if discriminator == "projected":
        parts.append("a projected discriminator: small heads judge the features of a frozen digit network genart "
                     "trained (Sauer et al. 2021), not the pixels")
    elif architecture == "quick":
        parts.append("the tutorial's discriminator")
    if config.augment:
        parts.append(f"the discriminator sees real and generated images through the same random "
                     f"{', '.join(config.augment)} (DiffAugment)")
    if config.loss != "bce":
        parts.append(f"the {config.loss} loss instead of the tutorial's cross-entropy")
    if config.d_learning_rate is not None and config.d_learning_rate != config.learning_rate:
        parts.append(f"learning rates G {config.learning_rate:g}, D {config.d_learning_rate:g}")
    if config.dataset == "own" and config.discriminator == "projected":
        parts.append("(own pictures: the discriminator looks at the pixels; the digit features fit 28×28 grey digits only)")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."
