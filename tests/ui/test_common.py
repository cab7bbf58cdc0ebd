"""The shared UI adapters: throttled streaming, closing the backend, readable errors, status lines."""

import time

import gradio as gr
import numpy as np
import pytest

from genart.errors import InputError
from genart.export import Timelapse
from genart.frames import Frame
from genart.ui.limits import heavy_limit, run_budget
from genart.ui.status import status_line
from genart.ui.streaming import Tick, stream

IMG = np.zeros((8, 8, 3), np.uint8)


def _frames(n, delay, closed):
    try:
        for i in range(n + 1):
            time.sleep(delay)
            yield Frame(IMG, i, n, "octave 1/1", {"loss": float(i)}, final=i == n)
    finally:
        closed.append(True)


def test_stream_throttles_but_keeps_first_and_final():
    closed = []
    ticks = list(stream(_frames(20, 0.01, closed), min_interval=0.1))
    steps = [t.frame.step for t in ticks]
    assert steps[0] == 0 and steps[-1] == 20 and ticks[-1].frame.final
    assert 2 <= len(ticks) < 10  # ~0.2 s of frames at most every 0.1 s
    assert closed == [True]


def test_stream_feeds_every_frame_to_the_timelapse():
    tl = Timelapse(max_frames=100)
    list(stream(_frames(5, 0, []), timelapse=tl, min_interval=10))
    assert len(tl) == 6


def test_stream_closes_the_backend_when_the_consumer_stops():
    closed = []
    s = stream(_frames(100, 0, closed), min_interval=0)
    next(s), next(s)
    s.close()  # what Gradio does on Stop or a closed tab
    assert closed == [True]


def test_errors_become_readable_gradio_errors():
    def failing(exc):
        yield Frame(IMG, 0, 1, "x", {})
        raise exc

    with pytest.raises(gr.Error, match="tile_size must be"):
        list(stream(failing(InputError("tile_size must be 0"))))
    with pytest.raises(gr.Error, match="Something went wrong") as err:
        list(stream(failing(RuntimeError("secret internal detail /srv/path"))))
    assert "secret" not in str(err.value)


def test_status_line():
    tick = Tick(Frame(IMG, 40, 100, "octave 2/5", {"loss": 1.23456, "tv": 123456.0}), 12.34)
    assert status_line(tick) == "octave 2/5 · step 40/100 · loss 1.23 · tv 1.23e+05 · 12.3 s"
    done = Tick(Frame(IMG, 100, 100, "octave 5/5", {}, final=True), 60)
    assert status_line(done).endswith("60.0 s · done")


def test_the_time_limit_ends_a_run_with_its_latest_frame_as_the_final_one():
    closed = []
    tl = Timelapse(max_frames=100)
    ticks = list(stream(_frames(1000, 0.01, closed), timelapse=tl, min_interval=0.1, budget=0.3))
    last = ticks[-1]
    assert last.frame.final and sum(t.frame.final for t in ticks) == 1
    assert 10 <= last.frame.step < 100  # about 0.3 s of 0.01 s steps, far from the planned 1000
    assert last.note == "stopped at this server's limit of 0.3 s per run"
    assert status_line(last).endswith("stopped at this server's limit of 0.3 s per run")
    assert closed == [True]  # the backend's cleanup ran
    assert len(tl) == last.frame.step + 1  # the time-lapse got every frame, up to the last one


def test_a_run_that_finishes_within_the_time_limit_is_untouched():
    ticks = list(stream(_frames(5, 0, []), min_interval=0, budget=60))
    assert [t.frame.step for t in ticks] == [0, 1, 2, 3, 4, 5] and ticks[-1].note == ""


@pytest.mark.parametrize("env, space, expected", [
    ({}, None, None), ({}, "user/genart", 600.0), ({"GENART_MAX_RUN_SECONDS": "90"}, None, 90.0),
    ({"GENART_MAX_RUN_SECONDS": "0"}, "user/genart", None), ({"GENART_MAX_RUN_SECONDS": "soon"}, None, None),
])
def test_run_budget_comes_from_the_environment(monkeypatch, env, space, expected):
    monkeypatch.delenv("GENART_MAX_RUN_SECONDS", raising=False)
    monkeypatch.delenv("SPACE_ID", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    if space:
        monkeypatch.setenv("SPACE_ID", space)
    assert run_budget() == expected


def test_heavy_limit_defaults_to_one(monkeypatch):
    monkeypatch.delenv("GENART_HEAVY_LIMIT", raising=False)
    assert heavy_limit() == 1
    monkeypatch.setenv("GENART_HEAVY_LIMIT", "3")
    assert heavy_limit() == 3
    monkeypatch.setenv("GENART_HEAVY_LIMIT", "0")
    assert heavy_limit() == 1
