"""Issue 32, the first minute on a fresh server: a run waiting for its weights' download says so in its
status line (which file, how much of it), estimates never wait behind a heavy run or the warm-up,
and Stop ends a run as a finished one (its line says so), even one still waiting in the queue."""

import asyncio
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import gradio as gr
import pytest
from gradio_client import handle_file

from genart import downloads, models
from genart.ui.fairness import JOINED
from genart.ui.heavy import Stopper, stoppable, stopped_line

from tests.helpers import serve, session, wait_until

RUN = dict(layers=["mixed3"], octaves=1, octave_scale=1.3, steps_per_octave=2, step_size=0.01, tile_size=0,
           max_dim=128)
#: For this seed the backend first fetches InceptionV3's weights through a slow stand-in downloader.
DOWNLOAD_SEED = 3201
#: For this seed the backend holds the heavy slot after its first frame until the test releases it.
HOLD_SEED = 3202
ESTIMATE_ARGS = dict(layers=["mixed3"], octaves=1, octave_scale=1.3, steps_per_octave=2, tile_size=0, max_dim=128)


def _run_async(coro):
    """``asyncio.run`` on a thread of its own: a browser test earlier in the session (Playwright's sync
    API) can leave an event loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="module")
def tab(tmp_path_factory):
    """A DeepDream tab alone, on its own server with the fairness middleware, whose backend can download
    first (a stand-in that takes about three seconds) or hold the heavy slot."""
    from starlette.middleware import Middleware

    from genart.dream import dream
    from genart.ui.dream import build_dream_tab
    from genart.ui.fairness import SessionJobCap

    home = tmp_path_factory.mktemp("keras")
    release = threading.Event()
    fetched = []

    def slow(url, path, report, file_hash):
        total = 87_910_968  # the real file's size, so the line reads as it will
        for i in range(9):
            report(i * total // 8, total)
            time.sleep(0.4)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(b"stand-in")
        fetched.append(path)

    def run(image, cfg, **sources):
        if cfg.seed == DOWNLOAD_SEED:
            models.WEIGHTS["InceptionV3"].fetch(downloader=slow)
        frames = dream(image, cfg, **sources)
        if cfg.seed == HOLD_SEED:
            yield next(frames)
            release.wait(120)
        yield from frames

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KERAS_HOME", str(home))
        with gr.Blocks(analytics_enabled=False) as demo:
            build_dream_tab(run=run)
        demo.queue(max_size=8)
        with serve(demo, app_kwargs={"middleware": [Middleware(SessionJobCap)]}) as url:
            yield SimpleNamespace(url=url, release=release, fetched=fetched, home=home)
        release.set()


def test_a_run_waiting_for_a_download_shows_it_in_its_status_line(tab, photo_file):
    job = session(tab.url).submit(handle_file(photo_file), **{**RUN, "seed": DOWNLOAD_SEED}, api_name="/dream")
    result = job.result(timeout=300)
    lines = [out[1] for out in job.outputs() if isinstance(out[1], str)]
    item = models.WEIGHTS["InceptionV3"]
    waiting = [line for line in lines if line.startswith(f"downloading {item.what} ({item.file}): ")]
    assert len(waiting) >= 2, lines  # it moves: which file, how much of it
    assert all(" of 87.9 MB · the run starts when it is in" in line for line in waiting), waiting
    assert waiting[0] != waiting[-1]
    assert result[1].endswith("done") and tab.fetched == [str(tab.home / "models" / item.file)]
    assert downloads.active() == ()


def _estimates(tab, photo_file, n: int = 3) -> list[str]:
    """``n`` visitors' estimates at once (a page load asks one per tab), each answered within a minute."""
    jobs = [session(tab.url).submit(handle_file(photo_file), **ESTIMATE_ARGS, api_name="/dream_estimate")
            for _ in range(n)]
    return [job.result(timeout=60) for job in jobs]


def test_estimates_are_answered_while_the_warm_up_builds_a_network(tab, photo_file, monkeypatch):
    """The page's estimates used to wait for the warm-up (Gradio's "queue: 3/3" in the box): not counted as
    busy, it let them measure, and measuring needs the network the warm-up was building."""
    from genart.estimate import clear_cache
    from genart.gan import data
    from genart.ui import server

    building, release = threading.Event(), threading.Event()

    def digits_while_building(name="mnist"):  # the warm-up's last part, holding the lock a network build holds
        with models.BUILD_LOCK:
            building.set()
            release.wait(120)

    monkeypatch.setattr(data, "load_digits", digits_while_building)
    clear_cache()  # nothing measured: an estimate allowed to measure would build the network and time a step
    warm = threading.Thread(target=server.warm_up, daemon=True)
    warm.start()
    try:
        assert building.wait(300), "the warm-up should reach its digits"
        lines = _estimates(tab, photo_file)
        assert all(line.startswith("**Estimate:** not measured yet") for line in lines), lines
        assert all("measured when this server is free" in line for line in lines), lines
    finally:
        release.set()
        warm.join(120)


def test_estimates_are_answered_while_a_run_holds_the_slot(tab, photo_file):
    tab.release.clear()
    held = session(tab.url).submit(handle_file(photo_file), **{**RUN, "seed": HOLD_SEED}, api_name="/dream")
    assert wait_until(lambda: len(held.outputs()) >= 1, 120), "the held run should have started"
    try:
        lines = _estimates(tab, photo_file)
        assert all(line.startswith("**Estimate:** ") for line in lines), lines
        assert not held.done()  # the run still holds the slot
    finally:
        tab.release.set()
    assert held.result(timeout=120)[1].endswith("done")


# --- Stop -----------------------------------------------------------------------------------------------

def _request(session_hash: str, joined: float | None = None):
    """What Gradio hands the run: its session, and the join time the fairness middleware stamped."""
    return SimpleNamespace(session_hash=session_hash, request=SimpleNamespace(scope={JOINED: joined}))


def test_stop_ends_the_run_as_a_finished_one_and_closes_its_backend():
    steps, closed, going = [], [], threading.Event()

    def fn(n):
        try:
            for i in range(n):
                steps.append(i)
                going.set()
                time.sleep(0.05)
                yield f"img{i}", f"step {i}/{n} · 0.1 s · ~2 s left"
        finally:
            closed.append(True)

    stopper = Stopper()
    run = stoppable(fn, 2, status=1, stopper=stopper)

    async def drive():
        gen = run(_request("a", time.monotonic()), 1000)
        first = await gen.__anext__()
        other = stopper.register("b", time.monotonic())  # another session's run is not stopped
        assert stopper.stop("a") == 1 and not other.is_set()
        rest = [update async for update in gen]
        return first, rest

    first, rest = _run_async(drive())
    assert first == ("img0", "step 0/1000 · 0.1 s · ~2 s left")
    assert rest[-1][1].endswith(" · 0.1 s · stopped") and "left" not in rest[-1][1], rest
    assert isinstance(rest[-1][0], dict)  # the picture stays as it was (gr.skip())
    assert wait_until(lambda: closed == [True], 10) and len(steps) < 1000  # the backend was closed early


def test_a_run_stopped_while_it_waited_in_the_queue_ends_as_it_starts():
    started = []

    def fn():
        started.append(True)
        yield "img", "step 1/1 · done"

    stopper = Stopper()
    joined = time.monotonic()
    stopper.stop("a")  # pressed after the run joined the queue, before it started

    async def drive(request):
        return [update async for update in stoppable(fn, 2, status=1, stopper=stopper)(request)]

    assert _run_async(drive(_request("a", joined))) == [(gr.skip(), "stopped")]
    assert started == []
    later = _run_async(drive(_request("a", time.monotonic())))  # a run started after that Stop: untouched
    assert later == [("img", "step 1/1 · done")] and started == [True]


def test_the_stopped_line_keeps_the_run_and_drops_the_time_left():
    assert stopped_line("octave 2/5 · step 140/500 · loss 1.23 · 12.3 s · ~1 min 05 s left") == \
        "octave 2/5 · step 140/500 · loss 1.23 · 12.3 s · stopped"
    assert stopped_line(None) == "stopped"


def test_gradio_hands_the_run_its_request_before_the_inputs():
    import inspect

    def fn(image, steps=3):
        yield image, steps

    params = list(inspect.signature(stoppable(fn, 2)).parameters.values())
    assert [p.name for p in params] == ["request", "image", "steps"] and params[0].annotation is gr.Request
    assert params[2].default == 3


def test_the_gan_estimate_counts_the_digits_without_waiting_for_their_load(client):
    """The DCGAN's estimate used to load the digits to count them: on a fresh server that is the download,
    or a wait for the warm-up loading them (it holds the datasets' lock meanwhile)."""
    from genart.gan import data

    holding, release = threading.Event(), threading.Event()

    def load_going_on():
        with data._lock:
            holding.set()
            release.wait(120)

    threading.Thread(target=load_going_on, daemon=True).start()
    assert holding.wait(30)
    try:
        line = client.submit("mnist", "tutorial", 1e-4, 64, 2, 640, api_name="/gan_estimate").result(timeout=60)
        assert line.startswith("**Estimate:** ") and "2 epochs × 10 steps of 64" in line, line
    finally:
        release.set()
