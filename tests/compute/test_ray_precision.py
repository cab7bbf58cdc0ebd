"""What ran travels with the run (issue 29): a run whose precision is decided on a Ray worker records the
worker's decision in its recipe, not the app's.

The app (this test process) has ``GENART_PRECISION=float32`` (tests/conftest.py), and so do the workers it
starts, which inherit it. Here the worker is told otherwise, as a cluster's own environment would tell it:
its task (or actor) runs with Ray's ``runtime_env`` setting ``GENART_PRECISION=bfloat16``, so the worker
decides bfloat16 where the app would decide float32. On the in-process 2-CPU loopback cluster (``on_ray``).
"""

import dataclasses

import numpy as np
import pytest
from PIL import Image

from genart import precision
from genart.cli import main
from genart.dream import DreamConfig, dream
from genart.recipe import config_from_recipe, make_recipe, read_recipe, trainer_recipe

#: The worker's environment: what its runs compute in.
WORKER_ENV = {"env_vars": {precision.PRECISION_ENV: "bfloat16"}}
DREAM = ["--layers", "mixed2", "--octaves", "1", "--steps-per-octave", "3", "--step-size", "0.05", "--tile-size", "0",
         "--max-dim", "64", "--seed", "2", "--weights", "random"]


@pytest.fixture()
def bfloat16_workers(on_ray, monkeypatch):
    """Every task and DCGAN actor this test starts runs in a worker whose environment says bfloat16 (a worker
    process of its own: Ray starts one per runtime environment); yields the cluster's address."""
    from genart.compute import ray_runs, ray_trainer

    task = ray_runs._task
    monkeypatch.setattr(ray_runs, "_task", lambda name, body: task(name, body).options(runtime_env=WORKER_ENV))
    monkeypatch.setattr(ray_trainer, "_Actor", ray_trainer._Actor.options(runtime_env=WORKER_ENV))
    monkeypatch.setattr(ray_trainer, "_take_spare", lambda: None)  # a spare made before would say float32
    monkeypatch.setenv(ray_trainer.SPARE_ENV, "0")
    yield on_ray


def test_a_batch_on_ray_records_the_precision_its_worker_computed_in(bfloat16_workers, tmp_path, photo):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    Image.fromarray(photo).save(folder / "photo.png")
    assert precision.resolve("auto", "dream").dtype == "float32"  # what the app itself would decide

    assert main(["dream", "--batch", str(folder), "--out", str(out), *DREAM, "-q", "--ray", bfloat16_workers]) == 0
    png = str(out / "photo.png")
    recipe = read_recipe(png, "dream")
    assert recipe["config"]["precision"] == "bfloat16"
    assert recipe["run"]["precision"] == f"bfloat16, set by {precision.PRECISION_ENV}."

    # A replay of the recipe computes what the worker computed; the app's own float32 would not.
    painted = np.asarray(Image.open(png).convert("RGB"), np.float32)
    cfg = config_from_recipe(recipe)
    replay, own = (list(dream(str(folder / "photo.png"), c))[-1].image.astype(np.float32)
                   for c in (cfg, dataclasses.replace(cfg, precision="float32")))
    assert np.abs(replay - painted).mean() < np.abs(own - painted).mean()


def test_a_streamed_run_reports_the_workers_precision_and_where_it_ran(bfloat16_workers, photo):
    """As the app's tabs run it (genart.compute.streamed): the frames come back with the worker's facts."""
    from genart import compute

    cfg = DreamConfig(layers=("mixed2",), octaves=1, steps_per_octave=2, tile_size=0, max_dim=64)
    *_, final = compute.streamed(dream)(photo, cfg)
    assert final.final and final.facts.precision.dtype == "bfloat16"
    assert final.facts.where.startswith(f"Ray cluster at {bfloat16_workers}, node ")
    assert make_recipe("dream", cfg, ran=final.facts, weights="random")["config"]["precision"] == "bfloat16"


def test_a_dcgan_actor_reports_its_own_precision_to_the_app(bfloat16_workers):
    from genart.compute.ray_trainer import RemoteTrainer
    from genart.gan import GanConfig

    digits = np.random.default_rng(0).integers(0, 256, (32, 28, 28), dtype=np.uint8)
    trainer = RemoteTrainer(GanConfig(batch_size=32, examples_per_epoch=32), data=digits)
    try:
        *_, final = trainer.train(1)
        assert final.final and final.facts == trainer.facts and final.facts.precision.dtype == "bfloat16"
        assert trainer.facts.where.startswith(f"Ray cluster at {bfloat16_workers}, node ")
        recipe = trainer_recipe(trainer)
    finally:
        trainer.close()
    assert recipe["config"]["precision"] == "bfloat16" and recipe["run"]["steps"] == 1
