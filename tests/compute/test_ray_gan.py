"""Issue #16: each DCGAN session's trainer as a Ray actor (genart.compute.ray_trainer.RemoteTrainer).

On the in-process 2-CPU loopback cluster (conftest's ``ray_cluster`` / ``on_ray``). Ray is imported
inside the tests only. Parity: the actor's trainer is a GanTrainer of the same config and seed, and
everything random in it is a function of (seed, step), so its frames, losses and grids equal a
local trainer's exactly (same TensorFlow on the same machine).
"""

import json
import os
import shutil
import zipfile

import numpy as np
import pytest

from genart.errors import InputError
from genart.gan import GanConfig
from tests.helpers import STEP, serve, session, steps, wait_until

#: 256 examples in batches of 32: 8 steps an epoch, a new preview grid every 3 steps.
TINY = GanConfig(batch_size=32, examples_per_epoch=256, preview_every=3, seed=3)
CLOSED = "This trainer has been closed; start a new one."


def _remote(config, **kw):
    from genart.compute.ray_trainer import RemoteTrainer

    return RemoteTrainer(config, **kw)


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
        assert {k: r.metrics[k] for k in ("gen_loss", "disc_loss", "real_score", "fake_score")} == \
            {k: loc.metrics[k] for k in ("gen_loss", "disc_loss", "real_score", "fake_score")}
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


def _pictures():
    """120 grey 32×32 "own pictures" (soft stripes at random angles), as genart.gan.imagesets loads them."""
    from genart.gan.imagesets import ImageSet, digest

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:32, 0:32]
    angles = rng.uniform(0, np.pi, 120)[:, None, None]
    images = (127.5 + 120 * np.sin((xx * np.cos(angles) + yy * np.sin(angles)) / 2.5)).astype(np.uint8)[..., None]
    return ImageSet(images, digest(images), "stripes.zip", ("notes.txt",), "1 file was not a picture: notes.txt.")


def test_stop_mid_training_leaves_a_trainer_that_continue_resumes(ray_cluster):
    """Closing the frame generator (Stop) stops the actor between two steps; Continue finishes the epoch,
    and the result equals an uninterrupted local epoch (everything random is a function of (seed, step)).
    On own pictures: they travel to the actor with the trainer's construction."""
    import ray

    from genart.compute import ray_trainer
    from genart.gan import GanTrainer

    config = GanConfig(batch_size=8, dataset="own", preview_every=5, seed=7)  # 120 pictures: 15 steps an epoch
    pictures = _pictures()
    ray_trainer.start_spare()  # as an earlier Train left it
    spare = ray.get(ray_trainer._spare[0][1], timeout=120)
    remote = _remote(config, data=pictures)
    # the trainer went into the spare actor (TensorFlow imported already); a new spare warms up
    assert remote.actor_id == spare and ray.get(ray_trainer._spare[0][1], timeout=120) != spare
    assert (remote.data_source, remote.data_note, remote.data_digest, remote.image_shape, remote.architecture) == \
        ("own", pictures.note, pictures.digest, (32, 32, 1), "dcgan-32")
    frames = remote.train(3)  # 45 steps planned
    seen = [next(frames).step for _ in range(4)]
    frames.close()
    assert seen == [1, 2, 3, 4]
    # the actor's run ends (it does not just wait for the frames to be read: that would hold one of
    # its threads for good) within a few steps of the last frame read
    assert wait_until(lambda: ray.get(remote._actor.runs.remote()) == 0, 20), "the stopped run should end"
    stopped = remote.step
    assert 4 <= stopped < 15, stopped
    resumed = list(remote.train(1))  # the unfinished epoch counts as the one asked for
    assert [f.step for f in resumed] == list(range(stopped + 1, 16)) and resumed[-1].final
    local = GanTrainer(config, data=pictures)
    expected = list(local.train(1))[-1]
    assert np.array_equal(resumed[-1].image, expected.image) and remote.history() == local.history()
    # closing (Reset) while a run streams kills the actor: the run ends with GanTrainer's words for it,
    # and the proxy then behaves like a closed GanTrainer
    frames = remote.train(1)
    assert next(frames).step == 16
    actor = remote._actor
    remote.close()
    local.close()
    with pytest.raises(InputError, match=CLOSED):
        for _ in frames:  # the frames computed ahead, then the end
            pass
    assert remote.closed and 16 <= remote.step < 30 and len(remote.history()["step"]) == remote.step
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


@pytest.fixture()
def ray_app(on_ray):
    """The whole app built and launched (127.0.0.1) with GENART_RAY_ADDRESS set to the test cluster."""
    from genart.ui import build_demo, launch_kwargs

    with serve(build_demo(), **launch_kwargs()) as url:
        yield url


def _live_trainers() -> set:
    from genart.gan.pool import POOL

    return {t for ref in list(POOL._live.values()) if (t := ref()) is not None and not t.closed}


def _new_trainer(before: set):
    """The one trainer the app made since ``before`` was taken."""
    new = _live_trainers() - before
    assert len(new) == 1, new
    return new.pop()


def test_sessions_get_their_own_actors_and_reset_kills_only_theirs(ray_app):
    import ray
    from PIL import Image

    from genart.compute.ray_trainer import RemoteTrainer

    a, b = session(ray_app), session(ray_app)
    before = _live_trainers()
    *_, status, _, _, note, gif, keras_file, ckpt = a.predict("mnist", "fast", 2e-4, 32, 1, 128, api_name="/train_gan")
    assert steps(status) == (4, 4) and "done" in status and "batch 32" in note
    ta = _new_trainer(before)
    assert isinstance(ta, RemoteTrainer) and ta.step == 4
    with Image.open(gif["path"]) as im:
        assert im.format == "GIF"
    with zipfile.ZipFile(ckpt["path"]) as zf:
        assert json.loads(zf.read("genart_gan.json"))["step"] == 4
    assert os.path.getsize(keras_file["path"]) > 0
    before = _live_trainers()
    _, status, *_ = b.predict("mnist", "fast", 2e-4, 16, 1, 128, api_name="/train_gan")
    tb = _new_trainer(before)
    assert steps(status) == (8, 8) and tb.step == 8 and ta.step == 4  # b's run left a's trainer alone
    assert ta.actor_id != tb.actor_id
    assert ray.available_resources().get("CPU") == ray.cluster_resources()["CPU"]  # idle trainers hold no CPU
    # Stop in b mid-run, then Continue: b resumes from where it stopped; a is untouched
    job = b.submit(10, api_name="/continue_gan")  # 80 steps planned
    assert wait_until(lambda: any(u[1] and STEP.search(u[1]) for u in job.outputs()), 120)
    job.cancel()
    assert wait_until(lambda: ray.get(tb._actor.runs.remote()) == 0, 20), "Stop should end the actor's run"
    stopped = tb.step
    assert 8 < stopped < 88
    _, status, *_ = b.predict(1, api_name="/continue_gan")
    done, total = steps(status)
    assert done == total == tb.step and total % 8 == 0 and total > stopped and ta.step == 4
    image, _ = b.predict(7, api_name="/gan_samples")  # "Play" reads the same actor
    assert np.array_equal(np.asarray(Image.open(image["path"]).convert("RGB")), tb.samples(7, 16))
    # Reset in a kills a's actor; b's still answers
    a_actor = ta._actor
    a.predict(api_name="/reset_gan")
    assert ta.closed
    with pytest.raises(ray.exceptions.RayActorError):
        ray.get(a_actor.step.remote(), timeout=30)
    assert ray.get(tb._actor.step.remote(), timeout=30) == total and not tb.closed
    with pytest.raises(Exception, match="Nothing to continue"):
        a.predict(1, api_name="/continue_gan")
    _, status, *_ = b.predict(1, api_name="/continue_gan")
    assert steps(status) == (total + 8, total + 8)
    # an actor that dies behind the app's back (its node left the cluster): a readable error, then closed
    ray.kill(tb._actor)
    with pytest.raises(Exception, match="lost on the Ray cluster.*press Train to start a new one"):
        b.predict(1, api_name="/continue_gan")
    assert tb.closed
    with pytest.raises(Exception, match="press Train to start a new one"):
        b.predict(1, api_name="/continue_gan")


def test_the_spare_actor_can_be_turned_off(ray_cluster, monkeypatch):
    import ray

    from genart.compute import ray_trainer

    ray_trainer.start_spare()
    assert len(ray_trainer._spare) == 1
    ray_trainer.start_spare()
    assert len(ray_trainer._spare) == 1  # one spare at most
    actor, _ = ray_trainer._spare.pop()
    ray.kill(actor)
    monkeypatch.setenv(ray_trainer.SPARE_ENV, "0")
    ray_trainer.start_spare()
    assert ray_trainer._spare == []
