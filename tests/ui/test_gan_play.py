"""The DCGAN tab's new samples (/gan_samples) and latent walks (/gan_walk), per session."""

import imageio_ffmpeg
import numpy as np
import pytest

from genart.recipe import read_recipe
from tests.helpers import pixels, session


@pytest.mark.slow
def test_new_samples_by_seed_with_their_recipe_and_only_for_this_sessions_trainer(app_server):
    a, b = session(app_server), session(app_server)
    with pytest.raises(Exception, match="press Train first"):
        a.predict(0, api_name="/gan_samples")
    a.predict("mnist", "tutorial", 1e-4, 64, 1, 128, api_name="/train_gan")
    image, png = a.predict(7, api_name="/gan_samples")
    again, _ = a.predict(7, api_name="/gan_samples")
    other, _ = a.predict(8, api_name="/gan_samples")
    assert np.array_equal(pixels(image), pixels(again)) and not np.array_equal(pixels(image), pixels(other))
    recipe = read_recipe(png["path"], "gan")
    assert recipe["run"]["samples"] == {"seed": 7, "n": 16} and recipe["run"]["steps"] == 2
    assert recipe["config"]["batch_size"] == 64
    # b trains its own generator (another seed): the same sample seed gives b's own pictures
    with pytest.raises(Exception, match="press Train first"):
        b.predict(7, api_name="/gan_samples")
    b.predict("mnist", "dcgan-paper", 2e-4, 32, 1, 128, api_name="/train_gan")
    b_image, _ = b.predict(7, api_name="/gan_samples")
    assert not np.array_equal(pixels(b_image), pixels(image))
    assert np.array_equal(pixels(a.predict(7, api_name="/gan_samples")[0]), pixels(image))
    with pytest.raises(Exception, match="less than minimum value 0"):
        a.predict(-3, api_name="/gan_samples")


def test_walk_streams_frames_and_ends_with_an_mp4_of_every_frame(app_server):
    client = session(app_server)
    with pytest.raises(Exception, match="press Train first"):
        client.predict(3, 8, 0, api_name="/gan_walk")
    client.predict("mnist", "tutorial", 1e-4, 64, 1, 128, api_name="/train_gan")
    job = client.submit(3, 8, 5, api_name="/gan_walk")  # 24 frames: one second at 24 fps
    job.result(timeout=120)
    updates = job.outputs()
    streamed = [u for u in updates if u[0]]
    assert len(streamed) >= 3  # live, not just the end
    image, status, mp4, gif = updates[-1]
    assert "24 frames through 3 points, seed 5" in status
    assert imageio_ffmpeg.count_frames_and_secs(mp4["path"])[0] == 24
    assert gif["path"].endswith(".gif")
    with pytest.raises(Exception, match="less than minimum value 2"):
        client.predict(1, 8, 0, api_name="/gan_walk")
    with pytest.raises(Exception, match="points × frames_between"):
        client.predict(16, 100, 0, api_name="/gan_walk")
