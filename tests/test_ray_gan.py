"""Issue #16: each DCGAN session's trainer as a Ray actor (genart.compute.ray_trainer.RemoteTrainer).

On the in-process 2-CPU loopback cluster (conftest's ``ray_cluster`` / ``on_ray``). Ray is imported
inside the tests only. Parity: the actor's trainer is a GanTrainer of the same config and seed, and
everything random in it is a function of (seed, step), so its frames, losses and grids equal a
local trainer's exactly (same TensorFlow on the same machine).
"""

import json
import os
import shutil
import time
import zipfile

import numpy as np
import pytest

from genart.errors import InputError
from genart.gan import GanConfig

#: 256 examples in batches of 32: 8 steps an epoch, a new preview grid every 3 steps.
TINY = GanConfig(batch_size=32, examples_per_epoch=256, preview_every=3, seed=3)
CLOSED = "This trainer has been closed; start a new one."


def _remote(config, **kw):
    from genart.compute.ray_trainer import RemoteTrainer

    return RemoteTrainer(config, **kw)


def _wait(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.fixture(scope="module")
def pair(ray_cluster):
    """A RemoteTrainer and a local GanTrainer of TINY, each trained one epoch; with both runs' frames."""
    from genart.gan import GanTrainer

    remote, local = _remote(TINY), GanTrainer(TINY)
    frames = list(remote.train(1)), list(local.train(1))
    yield remote, local, frames
    remote.close()
    local.close()


def test_a_remote_trainer_trains_exactly_as_a_local_one(pair):
    remote, local, (remote_frames, local_frames) = pair
    assert [(f.step, f.total, f.stage, f.final) for f in remote_frames] == \
        [(f.step, f.total, f.stage, f.final) for f in local_frames] == \
        [(s, 8, "epoch 1/1", s == 8) for s in range(1, 9)]
    for r, loc in zip(remote_frames, local_frames):
        assert np.array_equal(r.image, loc.image) and r.image.dtype == np.uint8
        assert {k: r.metrics[k] for k in ("gen_loss", "disc_loss", "D(x)", "D(G(z))")} == \
            {k: loc.metrics[k] for k in ("gen_loss", "disc_loss", "D(x)", "D(G(z))")}
    # the grid is the same array until a new preview is drawn (steps 1, 4, 7 and the last), as
    # locally: the tab re-sends an image only when it is a new object
    same = [a.image is b.image for a, b in zip(remote_frames, remote_frames[1:])]
    assert same == [a.image is b.image for a, b in zip(local_frames, local_frames[1:])] == \
        [True, True, False, True, True, False, False]
    assert remote.history() == local.history() and len(remote.history()["step"]) == 8
    assert np.array_equal(remote.grid(), local.grid())
    assert np.array_equal(remote.samples(5, 9), local.samples(5, 9))
    noise = np.random.default_rng(1).standard_normal((3, TINY.noise_dim))
    assert np.array_equal(remote.generate(noise), local.generate(noise))
    for name in ("config", "num_examples", "data_source", "data_note", "data_digest", "architecture", "image_shape",
                 "examples_per_epoch", "steps_per_epoch", "step", "epoch", "closed"):
        assert getattr(remote, name) == getattr(local, name), name
    # errors raised inside the actor arrive as themselves, with GanTrainer's words
    with pytest.raises(InputError, match=r"noise must be N×100 with N from 1 to 256; got \(2, 7\)"):
        remote.generate(np.zeros((2, 7)))
    with pytest.raises(InputError, match="seed must be a whole number"):
        remote.samples(-1)
    with pytest.raises(InputError, match="epochs must be a whole number from 1 to 1000"):
        remote.train(0)


def test_the_actor_holds_no_cpu_and_each_trainer_has_its_own(pair):
    import ray

    remote, _, _ = pair
    other = _remote(TINY)
    try:
        assert other.actor_id != remote.actor_id
        assert ray.available_resources().get("CPU") == ray.cluster_resources()["CPU"]  # two idle trainers, 0 CPUs
        assert other.step == 0 and remote.step == 8  # the new one starts over; the trained one is untouched
    finally:
        other.close()


def test_stop_mid_training_leaves_a_trainer_that_continue_resumes(ray_cluster):
    """Closing the frame generator (Stop) stops the actor between two steps; Continue finishes the epoch,
    and the result equals an uninterrupted local epoch (everything random is a function of (seed, step))."""
    import ray

    from genart.gan import GanTrainer

    config = GanConfig(batch_size=16, examples_per_epoch=480, preview_every=5, seed=7)  # 30 steps an epoch
    remote = _remote(config)
    frames = remote.train(3)  # 90 steps planned
    seen = [next(frames).step for _ in range(4)]
    frames.close()
    assert seen == [1, 2, 3, 4]
    # the actor's run ends (it does not just wait for the frames to be read: that would hold one of
    # its threads for good) within a few steps of the last frame read
    assert _wait(lambda: ray.get(remote._actor.runs.remote()) == 0, 20), "the stopped run should end"
    stopped = remote.step
    assert 4 <= stopped < 30, stopped
    resumed = list(remote.train(1))  # the unfinished epoch counts as the one asked for
    assert [f.step for f in resumed] == list(range(stopped + 1, 31)) and resumed[-1].final
    local = GanTrainer(config)
    expected = list(local.train(1))[-1]
    assert np.array_equal(resumed[-1].image, expected.image) and remote.history() == local.history()
    # closing kills the actor; the proxy then behaves like a closed GanTrainer
    actor = remote._actor
    remote.close()
    local.close()
    assert remote.closed and remote.step == 30 and len(remote.history()["step"]) == 30
    with pytest.raises(ray.exceptions.RayActorError):
        ray.get(actor.step.remote(), timeout=30)
    for call in (lambda: remote.train(1), remote.grid, lambda: remote.samples(0), lambda: remote.save("x"),
                 lambda: remote.export_generator("x.keras")):
        with pytest.raises(InputError, match=CLOSED):
            call()
    with pytest.raises(InputError, match=CLOSED):
        local.grid()  # the same words as a closed local trainer
    remote.close()  # twice is fine


def test_save_restore_round_trip_and_the_tabs_downloads(pair, tmp_path):
    import keras
    from PIL import Image

    from genart.gan import GanTrainer
    from genart.images import to_uint8
    from genart.ui.gan import write_downloads

    remote, _, _ = pair
    saved_grid, saved_history = remote.grid(), remote.history()
    prefix = remote.save(tmp_path / "ckpt")
    assert prefix == str(tmp_path / "ckpt" / "ckpt")
    assert {"ckpt.index", "genart_gan.json"} <= set(os.listdir(tmp_path / "ckpt"))
    assert json.loads((tmp_path / "ckpt" / "genart_gan.json").read_text())["step"] == 8
    # the files are a real checkpoint: a local trainer restores them to the same generator
    local = GanTrainer(TINY)
    local.restore(tmp_path / "ckpt")
    assert np.array_equal(local.grid(), saved_grid) and local.step == 8
    # train on, then restore: back to step 8 with its grid and history
    list(remote.train(1))
    assert remote.step == 16 and not np.array_equal(remote.grid(), saved_grid)
    remote.restore(tmp_path / "ckpt")
    assert remote.step == 8 and np.array_equal(remote.grid(), saved_grid) and remote.history() == saved_history
    # a bad checkpoint is the actor's InputError, naming the caller's folder as GanTrainer does
    empty, odd = tmp_path / "empty", tmp_path / "odd"
    empty.mkdir()
    shutil.copytree(tmp_path / "ckpt", odd)
    meta = json.loads((odd / "genart_gan.json").read_text())
    meta["config"]["noise_dim"] = 8
    (odd / "genart_gan.json").write_text(json.dumps(meta))
    for folder in (empty, odd, tmp_path / "missing"):
        with pytest.raises(InputError) as remote_err:
            remote.restore(folder)
        with pytest.raises(InputError) as local_err:
            local.restore(folder)
        assert str(remote_err.value) == str(local_err.value)
    assert "noise_dim 8" in str(remote_err.value) or "genart_gan.json missing" in str(remote_err.value)
    assert remote.step == 8  # a refused checkpoint changes nothing
    # the tab's downloads: a GIF of the previews, the generator as .keras, the checkpoint as a zip
    gif, generator, archive = write_downloads(remote)
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames >= 2
    noise = np.random.default_rng(2).standard_normal((4, TINY.noise_dim)).astype(np.float32)
    loaded = keras.models.load_model(generator)
    assert np.array_equal(np.repeat(to_uint8(np.asarray(loaded(noise, training=False)), -1.0, 1.0), 3, axis=3),
                          remote.generate(noise))
    with zipfile.ZipFile(archive) as zf:
        assert {"ckpt.index", "genart_gan.json"} <= set(zf.namelist())
        zf.extractall(tmp_path / "unzipped")
    local.restore(tmp_path / "unzipped")
    assert np.array_equal(local.grid(), saved_grid)
    with pytest.raises(InputError, match="must end in .keras"):
        remote.export_generator(tmp_path / "g.h5")
    local.close()
