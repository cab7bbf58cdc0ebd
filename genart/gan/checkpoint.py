"""What a DCGAN checkpoint folder holds besides the ``tf.train.Checkpoint`` files: ``genart_gan.json``,
the trainer's config, step, histories, architecture, image shape and data — and the checks that a
checkpoint fits the trainer it is restored into."""

from __future__ import annotations

import json
import os

from ..errors import InputError
from .config import CONFIG_FILE, SIDE


def write_meta(directory: str | os.PathLike, meta: dict) -> None:
    """Write ``meta`` as the folder's ``genart_gan.json``."""
    with open(os.path.join(directory, CONFIG_FILE), "w") as fh:
        json.dump(meta, fh)


def read_meta(directory: str | os.PathLike, config, architecture: str, image_shape: tuple) -> dict:
    """The folder's ``genart_gan.json``, checked against a trainer of ``config``, ``architecture`` and
    ``image_shape`` (checkpoints written before the architecture was recorded are the tutorial's
    28×28×1 networks).

    Raises:
        InputError: no checkpoint there, or one made for another noise_dim, architecture, image shape,
            or with(out) an averaged generator.
    """
    from .networks import describe

    try:
        with open(os.path.join(directory, CONFIG_FILE)) as fh:
            meta = json.load(fh)
        noise_dim = int(meta["config"]["noise_dim"])
        made = (str(meta.get("architecture", "tutorial")),
                tuple(int(v) for v in meta.get("image_shape", (SIDE, SIDE, 1))))
        averaged = bool(meta["config"].get("ema_decay"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise InputError(f"No genart GAN checkpoint in {directory} ({CONFIG_FILE} missing or unreadable).") from None
    if made != (architecture, tuple(image_shape)):
        raise InputError(f"The checkpoint holds {describe(*made)}; this trainer has "
                         f"{describe(architecture, tuple(image_shape))}. Restore it into a trainer on pictures of "
                         "the same size and colour.")
    if noise_dim != config.noise_dim:
        raise InputError(f"The checkpoint was made with noise_dim {noise_dim}; this trainer uses {config.noise_dim}.")
    if averaged != bool(config.ema_decay):
        raise InputError(f"The checkpoint was made {'with' if averaged else 'without'} an averaged generator "
                         "(ema_decay); restore it into a trainer made the same way.")
    return meta
