"""One contract for every generator genart has (design.md, "The generator contract").

Every run yields Frames whose step rises to ``total`` (constant within the run), with exactly one
final frame, last; images are H×W×3 uint8; metrics are finite floats; the final frame reports what
the run computed in and where (its RunFacts).
"""

import math

import numpy as np
import pytest

from genart import models
from genart.dream import DreamConfig, dream
from genart.fast_style import FastStyleConfig, load_model, paint
from genart.frames import THIS_PROCESS, Frame, RunFacts
from genart.gan import GanConfig, GanTrainer
from genart.style import StyleConfig, stylize


def _dream_run(photo):
    model = models.dream_extractor(("mixed2",), weights="random")
    return dream(photo, DreamConfig(layers=("mixed2",), octaves=2, steps_per_octave=2, tile_size=0,
                                    preview_every=1, max_dim=96), model=model)


def _style_run(photo):
    cfg = StyleConfig(steps=4, max_dim=64, preview_every=1)
    model = models.vgg19_extractor(cfg.style_layers, cfg.content_layers, weights="random")
    return stylize(photo, photo[::-1, ::-1], cfg, model=model)


def _fast_style_run(photo):
    return paint(photo, photo[::-1, ::-1], FastStyleConfig(max_dim=64), model=load_model("random"))


def _gan_run(photo):
    digits = np.random.default_rng(0).integers(0, 256, (96, 28, 28), dtype=np.uint8)
    trainer = GanTrainer(GanConfig(batch_size=32, examples_per_epoch=64, preview_every=1), data=digits)
    return trainer.train(1)


@pytest.mark.parametrize("make_run", [_dream_run, _style_run, _fast_style_run, _gan_run],
                         ids=["dream", "style", "fast_style", "gan"])
def test_generator_contract(make_run, photo):
    frames = list(make_run(photo))
    assert len(frames) >= 2 and all(isinstance(f, Frame) for f in frames)
    steps = [f.step for f in frames]
    assert steps == sorted(steps) and steps[-1] > steps[0]
    assert len({f.total for f in frames}) == 1 and steps[-1] == frames[0].total
    assert [f.final for f in frames] == [False] * (len(frames) - 1) + [True]
    for f in frames:
        assert f.image.dtype == np.uint8 and f.image.ndim == 3 and f.image.shape[2] == 3
        assert isinstance(f.stage, str) and f.stage
        assert all(isinstance(v, float) and math.isfinite(v) for v in f.metrics.values())
    facts = frames[-1].facts
    assert isinstance(facts, RunFacts) and facts.where == THIS_PROCESS
    if make_run is _fast_style_run:  # the hub network has no precision to choose
        assert facts.precision is None
    else:
        assert facts.precision.dtype == "float32" and facts.precision.requested == "auto"  # tests/conftest.py
