"""The app with its heavy runs on a Ray cluster (GENART_RAY_ADDRESS): a 2-CPU cluster on 127.0.0.1,
started inside the test process (``ray_cluster``); Ray itself is imported inside the tests only."""

import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from genart.recipe import config_from_recipe, read_recipe

from tests import ROOT
from tests.helpers import close_tab_after_frames, serve, session, wait_until

SMALL = dict(layers=["mixed2"], octaves=1, octave_scale=1.3, steps_per_octave=4, step_size=0.02, tile_size=0,
             max_dim=128, seed=3)


@pytest.fixture(scope="module")
def ray_app(ray_cluster):
    """The whole app built with GENART_RAY_ADDRESS set to the test cluster, on 127.0.0.1; yields (demo, url)."""
    from genart.ui import build_demo, launch_kwargs

    before = os.environ.get("GENART_RAY_ADDRESS")
    os.environ["GENART_RAY_ADDRESS"] = ray_cluster
    try:
        demo = build_demo()
    finally:
        if before is None:
            os.environ.pop("GENART_RAY_ADDRESS")
        else:
            os.environ["GENART_RAY_ADDRESS"] = before
    with serve(demo, **launch_kwargs()) as url:
        yield demo, url


@pytest.fixture()
def ray_client(ray_app):
    return session(ray_app[1])


def free_cpus() -> float:
    import ray

    return ray.available_resources().get("CPU", 0.0)


def block_text(demo, elem_id: str) -> str:
    return next(b.value for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id)


def test_header_names_the_cluster_and_concurrency_follows_its_size(ray_app, ray_cluster):
    demo, _ = ray_app
    assert block_text(demo, "genart-compute") == \
        f"**Runs compute in:** Ray cluster at {ray_cluster}, 2 CPUs, 0 GPUs (2 runs at once)"
    limits = {fn.api_name: fn.concurrency_limit for fn in demo.fns.values() if fn.concurrency_id == "genart-heavy"}
    assert limits["dream"] == limits["stylize"] == limits["train_gan"] == limits["dream_explore"] == 2
    assert limits["stylize_fast"] == limits["style_refine"] == 2


def test_dream_streams_from_the_cluster_and_equals_the_in_process_run(ray_client, photo_file):
    from genart.dream import dream

    # a deep layer at 320 px for 40 steps: seconds of compute however warm the workers are, so
    # frames (one about every 0.75 s) stream past the app's 0.25 s throttle
    job = ray_client.submit(handle_file(photo_file), **{**SMALL, "layers": ["mixed5"], "steps_per_octave": 40,
                                                        "max_dim": 320}, api_name="/dream")
    job.result(timeout=300)
    outputs = job.outputs()
    assert len(outputs) >= 3  # the input, intermediate frames, the final one: streamed, not one answer
    assert outputs[0][1].startswith("starting · step 0/40") and outputs[-1][1].endswith("done")
    png = outputs[-1][2]["path"]
    remote = np.asarray(Image.open(png).convert("RGB"))
    cfg = config_from_recipe(read_recipe(png, "dream"))  # the config that ran, recorded in the PNG
    local = [f for f in dream(photo_file, cfg)][-1].image
    np.testing.assert_array_equal(remote, local)


def test_stop_cancels_the_remote_task(ray_client, photo_file):
    assert wait_until(lambda: free_cpus() == 2, 30), "the cluster should start idle"
    job = ray_client.submit(handle_file(photo_file), **{**SMALL, "octaves": 6, "steps_per_octave": 200,
                                                        "max_dim": 256}, api_name="/dream")
    assert wait_until(lambda: len(job.outputs()) >= 2, 180), "the run should have streamed a frame"
    assert free_cpus() == 1, "the running task holds one of the cluster's CPUs"
    job.cancel()
    assert wait_until(lambda: free_cpus() == 2, 30), "Stop should cancel the task and free its CPU"


def test_a_closed_tab_cancels_the_remote_task(ray_app, photo_file):
    """Closing the tab drops the event stream: the app closes the run, which cancels its task."""
    assert wait_until(lambda: free_cpus() == 2, 30)
    long_run = {**SMALL, "octaves": 6, "steps_per_octave": 200, "max_dim": 256}

    def running_on_the_cluster():
        assert free_cpus() == 1, "the task runs on the cluster"

    close_tab_after_frames(ray_app[1], photo_file, list(long_run.values()), while_open=running_on_the_cluster)
    assert wait_until(lambda: free_cpus() == 2, 30), "the abandoned run's task should be cancelled"


def test_the_per_run_time_limit_ends_the_remote_task(ray_client, photo_file, monkeypatch):
    monkeypatch.setenv("GENART_MAX_RUN_SECONDS", "4")  # read when a run starts
    assert wait_until(lambda: free_cpus() == 2, 30)
    started = time.time()
    final = ray_client.predict(handle_file(photo_file), **{**SMALL, "octaves": 6, "steps_per_octave": 200,
                                                           "max_dim": 256}, api_name="/dream")
    assert final[1].endswith("stopped at this server's limit of 4 s per run"), final[1]
    assert time.time() - started < 90 and final[2] is not None  # its picture so far, with downloads
    assert wait_until(lambda: free_cpus() == 2, 30), "the task should be cancelled at the limit"


def test_errors_inside_the_task_read_as_sentences(ray_client, tmp_path, photo_file):
    fake = tmp_path / "notes.png"
    fake.write_text("this is a text file renamed to .png")  # decoded on the worker, from the bytes sent
    with pytest.raises(AppError, match="not an image format"):
        ray_client.predict(handle_file(str(fake)), **SMALL, api_name="/dream")
    assert ray_client.predict(handle_file(photo_file), **SMALL, api_name="/dream")[1].endswith("done")


def test_style_transfer_streams_from_the_cluster(ray_client, style_files):
    from genart.style import stylize

    content, style = style_files
    job = ray_client.submit(handle_file(content), handle_file(style), steps=4, max_dim=64, optimizer="adam",
                            scales=1, api_name="/stylize")
    job.result(timeout=300)
    outputs = job.outputs()
    assert len(outputs) >= 2 and outputs[-1][1].endswith("done")
    png = outputs[-1][3]["path"]
    cfg = config_from_recipe(read_recipe(png, "style"))
    local = [f for f in stylize(content, style, cfg)][-1].image
    np.testing.assert_array_equal(np.asarray(Image.open(png).convert("RGB")), local)


def test_fast_style_paints_on_the_cluster(ray_client, style_files):
    from genart.fast_style import paint

    content, style = style_files
    job = ray_client.submit(handle_file(content), handle_file(style), 0.6, 96, api_name="/stylize_fast")
    job.result(timeout=300)
    outputs = job.outputs()
    assert outputs[0][1].startswith("starting · step 0/1") and "done" in outputs[-1][1]
    png = outputs[-1][2]["path"]
    cfg = config_from_recipe(read_recipe(png, "fast_style"))
    local = [f for f in paint(content, style, cfg)][-1].image
    np.testing.assert_array_equal(np.asarray(Image.open(png).convert("RGB")), local)


def test_explorer_and_zoom_stream_from_the_cluster(ray_client, photo_file):
    from genart.dream.explorer import channel_sheet

    sheet, status = ray_client.predict("mixed2", 0, 2, 80, api_name="/dream_explore")
    assert status.endswith("done")
    # streamed as JPEG, which blurs the sheet's noise past any pixel comparison: its size is the check
    local = [f for f in channel_sheet("mixed2", range(16), size=80, steps=2)][-1].image
    assert np.asarray(Image.open(sheet["path"])).shape == local.shape

    job = ray_client.submit(handle_file(photo_file), **SMALL, zoom_frames=3, zoom=1.1, zoom_steps=1,
                            api_name="/dream_zoom")
    job.result(timeout=300)
    *_, final = job.outputs()
    assert final[1].endswith("done") and final[3]["path"].endswith(".mp4") and final[4]["path"].endswith(".gif")


def test_estimates_time_their_steps_on_the_cluster(ray_client, on_ray):
    import ray

    from genart import compute, dream, models

    def pid_and_seconds(cfg, shape):
        return os.getpid(), dream.step_seconds(cfg, shape)

    worker, seconds = compute.call(pid_and_seconds, dream.DreamConfig(max_dim=128), (96, 128))
    assert worker != os.getpid() and 0 < seconds < 60
    assert ray.is_initialized()
    line = ray_client.predict(None, ["mixed9"], 1, 1.3, 2, 0, 128, api_name="/dream_estimate")
    assert line.startswith("**Estimate:** ≈ ") and " on a worker of the Ray cluster (" in line, line
    assert not any("mixed9" in str(key) for key in models._cache)  # measured there: nothing built here


def _python(code: str, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "GENART_RAY_ADDRESS"}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**environ, **env}, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.slow
def test_without_the_variable_ray_is_never_imported():
    done = _python("import sys\n"
                   "from genart.cli import main\n"
                   "from genart.ui import build_demo\n"
                   "demo = build_demo()\n"
                   "assert 'ray' not in sys.modules, 'Ray was imported'\n"
                   "print(next(b.value for b in demo.blocks.values() if b.elem_id == 'genart-compute'))\n")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("**Runs compute in:** this process")


def test_an_unreachable_cluster_is_a_sentence_within_seconds():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.time()
    done = _python("from genart.compute import where\n"
                   "try:\n    where()\nexcept Exception as exc:\n    print(type(exc).__name__, exc)\n",
                   GENART_RAY_ADDRESS=f"127.0.0.1:{port}")
    assert time.time() - started < 60
    assert done.stdout.startswith(f"ClusterUnavailable Could not reach the Ray cluster at 127.0.0.1:{port} "
                                  "(GENART_RAY_ADDRESS): ")
    assert "ray start --head" in done.stdout
    done = _python("from genart.compute import where\n"  # auto: the address Ray would find, checked the same way
                   "try:\n    where()\nexcept Exception as exc:\n    print(type(exc).__name__, exc)\n",
                   GENART_RAY_ADDRESS="auto", RAY_ADDRESS=f"127.0.0.1:{port}")
    assert time.time() - started < 60
    assert done.stdout.startswith(f"ClusterUnavailable Could not reach the Ray cluster at 127.0.0.1:{port} ")
