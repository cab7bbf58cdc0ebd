"""Recipes: what made a picture (algorithm, full config, seed, weights, version), kept inside its PNG.

A recipe is a small JSON object::

    {"genart": "0.1.0", "algorithm": "dream", "config": {...every DreamConfig field...},
     "seed": 0, "weights": "imagenet", "inputs": {"image": "sha256:1f2e…"}, "run": {...}}

``inputs`` holds a short SHA-256 of each input image's decoded pixels, so a user can tell which
pictures a result was made from (the pictures themselves are not stored). ``run`` holds facts of
the run that are not settings (why its precision was chosen; for the DCGAN: steps and epochs
trained, the data used). The precision is the run's own report (:class:`~genart.frames.RunFacts`),
never decided again here.

:func:`png_text` gives the PNG text chunks that carry a recipe (one iTXt chunk, ``genart-recipe``,
plus readable ``Software`` and ``Description``); :func:`read_recipe` reads one back from a PNG
(its text chunks only; the pixels are never decoded) or from a JSON file, and
:func:`config_from_recipe` rebuilds the validated config. Every problem is an
:class:`~genart.errors.InputError` with a sentence for the user.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import warnings
from typing import Any, Mapping

import numpy as np

from . import __version__
from .dream.config import DreamConfig
from .errors import InputError
from .fast_style.config import FastStyleConfig
from .fingerprints import fingerprints
from .frames import RunFacts
from .gan.config import GanConfig
from .style.config import StyleConfig

#: The PNG iTXt key that holds the recipe's JSON.
RECIPE_KEY = "genart-recipe"
#: Largest recipe accepted (JSON text, in bytes).
MAX_RECIPE_BYTES = 64 * 1024
#: Algorithm name → (config class, human name). The config modules import no TensorFlow.
ALGORITHMS = {
    "dream": (DreamConfig, "DeepDream"),
    "style": (StyleConfig, "style transfer"),
    "fast_style": (FastStyleConfig, "fast style transfer"),
    "gan": (GanConfig, "DCGAN"),
}
#: The keys a recipe may have.
KEYS = ("genart", "algorithm", "config", "seed", "weights", "inputs", "run")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def config_class(algorithm: str) -> type:
    """The config dataclass of ``algorithm`` (a key of :data:`ALGORITHMS`: "dream", "style", …)."""
    if algorithm not in ALGORITHMS:
        raise InputError(f"The recipe's algorithm must be one of {', '.join(ALGORITHMS)}; got {algorithm!r}.")
    return ALGORITHMS[algorithm][0]


def algorithm_name(algorithm: str) -> str:
    """The human name of an algorithm ("DeepDream", "style transfer", "DCGAN")."""
    return ALGORITHMS[algorithm][1] if algorithm in ALGORITHMS else repr(algorithm)


def _json_safe(value):
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def make_recipe(algorithm: str, config, *, ran: RunFacts | None = None, weights: str | None = None,
                inputs: Mapping[str, Any] | None = None, run: Mapping[str, Any] | None = None) -> dict:
    """The recipe of a run.

    Args:
        algorithm: a key of :data:`ALGORITHMS` ("dream", "style", "fast_style" or "gan").
        config: the run's config (a frozen dataclass of that algorithm); its ``seed`` is recorded
            at the top level too (None for a config without one: the fast method has no randomness).
        ran: what the run reported about itself (its frames' ``facts``; a DCGAN trainer's ``facts``),
            recorded as :func:`record_run` says. None: a recipe of the settings alone (``auto``
            precision stays ``auto``: a replay decides it on its own machine).
        weights: the pretrained weights in use ("imagenet" or "random"); None for the DCGAN,
            whose weights are the run itself.
        inputs: name → an input image (or a list of them) to fingerprint, or an already computed
            ``"sha256:…"`` string; None entries are left out.
        run: facts of the run that are not settings (JSON-safe values).
    """
    if not isinstance(config, config_class(algorithm)):
        raise TypeError(f"a {algorithm} recipe needs a {config_class(algorithm).__name__}, not {type(config).__name__}")

    digests = fingerprints(inputs or {})
    settings = {f.name: _json_safe(getattr(config, f.name)) for f in dataclasses.fields(config)}
    recipe = {"genart": __version__, "algorithm": algorithm, "config": settings,
              "seed": getattr(config, "seed", None), "weights": weights, "inputs": digests, "run": dict(run or {})}
    return record_run(recipe, ran)


def record_run(recipe: Mapping, ran: RunFacts | None) -> dict:
    """``recipe`` with what its run reported (``ran``; None: nothing, the recipe as it is).

    The precision the run computed in replaces the config's ``precision`` (``auto`` becomes the dtype
    that ran, so a replay computes the same way) and ``run["precision"]`` says why it was chosen.
    Nothing is decided here: the facts are the run's own. Where it ran is left out: it does not
    change the picture (a Ray run's recipe equals the same run's here), and a cluster's addresses
    do not belong in a PNG that is shared.

    Raises:
        ValueError: the run reports another dtype than its config asked for.
    """
    recipe = {**recipe, "config": dict(recipe.get("config") or {}), "run": dict(recipe.get("run") or {})}
    if ran is None:
        return recipe
    chosen, settings = ran.precision, recipe["config"]
    if chosen is not None and "precision" in settings:
        if settings["precision"] not in ("auto", chosen.dtype):
            raise ValueError(f"the run reports {chosen.dtype}, but its config asked for {settings['precision']}")
        settings["precision"] = chosen.dtype
        recipe["run"].setdefault("precision", chosen.reason)
    return recipe


def to_json(recipe: Mapping) -> str:
    """The recipe as compact JSON (strict: no NaN or infinity)."""
    return json.dumps(recipe, separators=(",", ":"), allow_nan=False)


def describe(recipe: Mapping) -> str:
    """One readable line: ``"DeepDream, seed 0, random weights: layers=['mixed3', 'mixed5'] octaves=5 …"``."""
    seed = f", seed {recipe['seed']}" if recipe.get("seed") is not None else ""
    weights = f", {recipe['weights']} weights" if recipe.get("weights") else ""
    settings = " ".join(f"{k}={v!r}" for k, v in recipe.get("config", {}).items())
    return f"{algorithm_name(recipe.get('algorithm'))}{seed}{weights}: {settings}"


def png_text(recipe: Mapping) -> dict[str, str]:
    """The PNG text chunks carrying ``recipe`` (for :func:`genart.export.save_png`)."""
    return {RECIPE_KEY: to_json(recipe), "Software": f"genart {recipe.get('genart', __version__)}",
            "Description": describe(recipe)}


def read_recipe(source, algorithm: str | None = None) -> dict:
    """Read a recipe from a PNG written by genart or from a JSON file.

    Args:
        source: a file path, bytes, or a binary file object.
        algorithm: when given, a recipe for another algorithm is refused.

    Returns:
        The recipe, checked: a known algorithm, only known keys, a config mapping.

    Raises:
        InputError: unreadable, too large, not a recipe, broken JSON, or for another algorithm.
    """
    head = _read_head(source)
    if head.startswith(_PNG_SIGNATURE):
        text = _png_recipe_text(source)
    else:
        text = _json_text(source)
    try:
        recipe = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"The recipe is not valid JSON ({exc}).") from None
    return check_recipe(recipe, algorithm)


def _no_constant(name: str):
    raise ValueError(f"{name} is not allowed in a recipe")


def _read_head(source) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source[:8])
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as fh:
                return fh.read(8)
        except OSError as exc:
            raise InputError(f"The recipe file could not be read ({exc.strerror or exc}).") from None
    position = source.tell()
    head = source.read(8)
    source.seek(position)
    return head


def _json_text(source) -> str:
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source[:MAX_RECIPE_BYTES + 1])
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            data = fh.read(MAX_RECIPE_BYTES + 1)
    else:
        data = source.read(MAX_RECIPE_BYTES + 1)
    if len(data) > MAX_RECIPE_BYTES:
        raise InputError(f"The recipe file is larger than {MAX_RECIPE_BYTES // 1024} KB; a genart recipe is "
                         "a PNG written by genart or a small JSON file.")
    if not data.lstrip().startswith(b"{"):
        raise InputError("This file is not a genart recipe: drop a PNG written by genart or a JSON recipe.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("The recipe file is not UTF-8 text.") from None


def _png_recipe_text(source) -> str:
    """The recipe chunk of a PNG, read with Pillow's lazy open: text chunks only, no pixel data."""
    from PIL import Image

    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(stream) as img:
                info = dict(img.info)  # chunks before the image data; img.text would decode the pixels
    except Exception:
        raise InputError("The PNG could not be read; it may be damaged.") from None
    text = info.get(RECIPE_KEY)
    if text is None:
        raise InputError("This PNG carries no genart recipe (only PNGs that genart wrote do).")
    text = str(text)
    if len(text.encode("utf-8")) > MAX_RECIPE_BYTES:
        raise InputError(f"The PNG's recipe is larger than {MAX_RECIPE_BYTES // 1024} KB.")
    return text


def check_recipe(recipe, algorithm: str | None = None) -> dict:
    """Check the shape of a parsed recipe (see :func:`read_recipe`); returns it."""
    if not isinstance(recipe, dict):
        raise InputError("The recipe must be a JSON object with 'algorithm' and 'config'.")
    unknown = sorted(set(recipe) - set(KEYS))
    if unknown:
        raise InputError(f"The recipe has unknown keys: {', '.join(map(str, unknown))} "
                         f"(allowed: {', '.join(KEYS)}).")
    found = recipe.get("algorithm")
    if not isinstance(found, str) or found not in ALGORITHMS:
        raise InputError(f"The recipe's algorithm must be one of {', '.join(ALGORITHMS)}; got {found!r}.")
    if algorithm is not None and found != algorithm:
        raise InputError(f"This recipe is for {algorithm_name(found)}, not {algorithm_name(algorithm)}.")
    if not isinstance(recipe.get("config", {}), dict):
        raise InputError("The recipe's 'config' must be a JSON object of settings.")
    for key in ("inputs", "run"):
        if not isinstance(recipe.get(key, {}), dict):
            raise InputError(f"The recipe's {key!r} must be a JSON object.")
    return recipe


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def config_from_recipe(recipe: Mapping, algorithm: str | None = None):
    """The validated config a recipe describes (lists become tuples).

    Fields the recipe leaves out take the config's defaults; a top-level ``seed`` fills in a
    missing ``config.seed`` (of a config that has one). Unknown fields and invalid values raise :class:`InputError`.
    """
    recipe = check_recipe(dict(recipe), algorithm)
    cls = config_class(recipe["algorithm"])
    names = {f.name for f in dataclasses.fields(cls)}
    values = {key: _tuples(value) for key, value in recipe.get("config", {}).items()}
    if "seed" in names and recipe.get("seed") is not None and "seed" not in values:
        values["seed"] = recipe["seed"]
    unknown = sorted(set(values) - names)
    if unknown:
        raise InputError(f"The recipe's config has unknown fields for {algorithm_name(recipe['algorithm'])}: "
                         f"{', '.join(unknown)}.")
    try:
        return cls(**values)
    except InputError as exc:
        raise InputError(f"The recipe's settings are not valid: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise InputError(f"The recipe's settings are not valid ({exc}).") from None


def trainer_recipe(trainer) -> dict:
    """The recipe of a :class:`genart.gan.GanTrainer` (or its Ray proxy) as it stands: the precision its
    own ``facts`` report, steps and epochs trained, data used (own pictures are fingerprinted by their
    digest as the input ``dataset``), and whose networks trained (its ``networks_note``)."""
    digest = getattr(trainer, "data_digest", None)
    return make_recipe("gan", trainer.config, ran=trainer.facts, inputs={"dataset": digest} if digest else None,
                       run={"steps": trainer.step, "epochs": round(trainer.epoch, 4),
                            "data": trainer.data_source, "examples": trainer.num_examples,
                            "networks": trainer.networks_note})
