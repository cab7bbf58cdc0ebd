"""The app driven through its API with gradio_client, in-process (random weights, tiny sizes)."""

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

SMALL = dict(layers=["mixed2"], octaves=2, octave_scale=1.3, steps_per_octave=4, step_size=0.02,
             tile_size=0, max_dim=128, seed=0)


@pytest.mark.slow
def test_dream_streams_frames_then_files(client, photo_file):
    # long enough (seconds, even with the step already traced by earlier tests) that several
    # frames pass the UI's 0.25 s throttle
    job = client.submit(handle_file(photo_file), **{**SMALL, "layers": ["mixed5"], "steps_per_octave": 10,
                                                    "max_dim": 320}, api_name="/dream")
    job.result(timeout=300)
    outputs = job.outputs()
    assert len(outputs) >= 3  # the input at step 0, intermediate frames, the final one
    statuses = [o[1] for o in outputs]
    assert statuses[0].startswith("starting · step 0/20")
    assert any(s.startswith("octave 1/2 · step ") for s in statuses)
    assert statuses[-1].endswith("done") and "step 20/20" in statuses[-1]
    final_image, _, png, gif = outputs[-1]
    assert final_image is not None
    assert png["path"].endswith(".png") and gif["path"].endswith(".gif")
    assert all(o[2] is None for o in outputs[:-1])  # downloads only once the run is done


def test_only_named_endpoint_defaults(client, photo_file):
    """Every parameter after the image has a default, so /dream can be called with the image alone."""
    params = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/dream"]["parameters"]
    assert params[0]["parameter_name"] == "image" and not params[0]["parameter_has_default"]
    assert all(p["parameter_has_default"] for p in params[1:])


@pytest.mark.slow
def test_invalid_upload_reads_well_and_server_keeps_serving(client, tmp_path, photo_file):
    fake = tmp_path / "notes.png"
    fake.write_text("this is a text file renamed to .png")
    with pytest.raises(AppError, match="not an image format"):
        client.predict(handle_file(str(fake)), **SMALL, api_name="/dream")
    with pytest.raises(AppError, match="greater than maximum value 200"):  # the slider's own bound
        client.predict(handle_file(photo_file), **{**SMALL, "steps_per_octave": 5000}, api_name="/dream")
    with pytest.raises(AppError, match="tile_size must be 0 .no tiling. or between 160 and 2048"):
        client.predict(handle_file(photo_file), **{**SMALL, "tile_size": 96}, api_name="/dream")
    with pytest.raises(AppError, match="layers: choose at least one layer"):
        client.predict(handle_file(photo_file), **{**SMALL, "layers": []}, api_name="/dream")
    result = client.predict(handle_file(photo_file), **{**SMALL, "octaves": 1, "steps_per_octave": 1},
                            api_name="/dream")
    assert result[1].endswith("done")


def test_cancel_frees_the_worker_for_the_next_run(client, photo_file):
    """A cancelled run (Stop, closed tab) stops at its next frame and the next job runs."""
    import time

    long_run = client.submit(handle_file(photo_file), **{**SMALL, "octaves": 8, "steps_per_octave": 200, "max_dim": 400},
                             api_name="/dream")
    deadline = time.time() + 120
    while len(long_run.outputs()) < 2 and time.time() < deadline:
        time.sleep(0.1)
    assert len(long_run.outputs()) >= 2, "the long run should have streamed a frame"
    long_run.cancel()
    started = time.time()
    result = client.predict(handle_file(photo_file), **{**SMALL, "octaves": 1, "steps_per_octave": 2},
                            api_name="/dream")
    assert result[1].endswith("done")
    assert time.time() - started < 60  # uncancelled, the long run would hold the worker for many minutes
