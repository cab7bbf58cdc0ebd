"""The channel explorer: one batch for 16 channels, a labelled sheet, clicks back to channels."""

import numpy as np
import pytest
import tensorflow as tf

from genart import models
from genart.dream.explorer import (CHANNELS, GAP, NOISE, ExplorerConfig, channel_range, channel_sheet, compose_sheet,
                                   sheet_shape, tile_at)
from genart.dream.explorer_step import JITTER, explorer_for
from genart.errors import InputError

LAYER = "mixed2"
SIZE = 80


@pytest.fixture(scope="module")
def model():
    return models.dream_extractor((LAYER,), weights="random")


@pytest.fixture(scope="module")
def live(model):
    """Channels of the random-weight layer that respond to the grey start (the others stay grey)."""
    start = np.random.default_rng(0).uniform(-NOISE, NOISE, (1, SIZE, SIZE, 3)).astype(np.float32)
    acts = model(start)
    acts = acts[0] if isinstance(acts, (list, tuple)) else acts
    return [int(c) for c in np.flatnonzero(acts.numpy().mean(axis=(0, 1, 2)) > 0)]


def _tiles(sheet, n, size=SIZE):
    return [sheet[(i // 4) * (size + GAP):(i // 4) * (size + GAP) + size,
                  (i % 4) * (size + GAP):(i % 4) * (size + GAP) + size] for i in range(n)]


def test_settings_are_checked_with_a_sentence():
    assert ExplorerConfig().channels == tuple(range(16))
    assert CHANNELS["mixed3"] == 768 and CHANNELS["mixed10"] == 2048
    with pytest.raises(InputError, match=r"channels: mixed3 has 768 channels, numbered 0 to 767; got 800\."):
        ExplorerConfig(channels=(1, 800))
    with pytest.raises(InputError, match="from 1 to 16 channels; got 17"):
        ExplorerConfig(channels=range(17))
    with pytest.raises(InputError, match="only once"):
        ExplorerConfig(channels=(3, 3))
    with pytest.raises(InputError, match="not an InceptionV3 layer"):
        ExplorerConfig(layer="conv1")
    with pytest.raises(InputError, match="size must be a whole number from 80 to 512"):
        ExplorerConfig(size=32)
    assert channel_range("mixed0", 250) == tuple(range(250, 256))  # the layer's last six
    with pytest.raises(InputError, match=r"first channel \(mixed0 has 256 channels\)"):
        channel_range("mixed0", 256)


def test_injected_model_with_fewer_channels_gets_a_sentence(model):
    small = tf.keras.Sequential([tf.keras.Input((None, None, 3)), tf.keras.layers.Conv2D(4, 3)])
    frames = channel_sheet(LAYER, (0, 5), size=SIZE, steps=1, model=small)
    next(frames)
    with pytest.raises(InputError, match=r"mixed2 has 4 channels \(0 to 3\); got 5"):
        next(frames)


def test_sheet_layout_and_clicks_map_back_to_tiles():
    tiles = np.stack([np.full((SIZE, SIZE, 3), 10 * i, np.uint8) for i in range(16)])
    sheet = compose_sheet(tiles, list(range(100, 116)))
    assert sheet.shape == (*sheet_shape(16, SIZE), 3) == (4 * SIZE + 3 * GAP, 4 * SIZE + 3 * GAP, 3)
    for i, tile in enumerate(_tiles(sheet, 16)):
        assert (tile[SIZE // 2:, :] == 10 * i).all()  # below the label: the tile itself
        assert tile[:16, :24].max() > 200 and tile[:16, :24].min() == 0  # the label: white text on black
        x, y = (i % 4) * (SIZE + GAP) + SIZE // 2, (i // 4) * (SIZE + GAP) + SIZE // 2
        assert tile_at(x, y, 16, SIZE) == i
    assert tile_at(SIZE + 1, 5, 16, SIZE) is None  # the gap between two tiles
    assert tile_at(5, 2 * (SIZE + GAP) + 5, 6, SIZE) is None  # past the last of six tiles
    assert tile_at(-1, 5, 16, SIZE) is None and tile_at(4 * (SIZE + GAP), 5, 16, SIZE) is None


def test_sixteen_distinct_tiles_streamed_and_the_loss_rises(model, live):
    channels = live[:16]
    assert len(channels) == 16
    frames = list(channel_sheet(LAYER, channels, size=SIZE, steps=6, step_size=0.05, model=model))
    assert frames[0].stage == "starting" and frames[0].step == 0
    assert [f.final for f in frames] == [False] * (len(frames) - 1) + [True]
    assert [f.step for f in frames] == sorted(f.step for f in frames) and frames[-1].step == 6
    assert {f.total for f in frames} == {6}
    assert frames[-1].stage.startswith(f"{LAYER} channels ") and str(channels[5]) in frames[-1].stage
    assert frames[-1].image.shape == (*sheet_shape(16, SIZE), 3)
    start = _tiles(frames[0].image, 16)
    tiles = _tiles(frames[-1].image, 16)
    assert len({t[20:].tobytes() for t in tiles}) == 16  # distinct (below the labels)
    assert all(np.abs(t[20:].astype(int) - s[20:]).mean() > 2 for t, s in zip(tiles, start))  # each was dreamt
    assert frames[-1].metrics["loss"] > frames[1].metrics["loss"]


def test_one_batch_equals_separate_runs_and_reports_each_channels_mean(model, live):
    channels = tf.constant(live[:3], tf.int32)
    start = np.random.default_rng(1).uniform(-0.1, 0.1, (1, SIZE, SIZE, 3)).astype(np.float32)
    explore = explorer_for(model)
    args = (tf.constant(3), tf.constant(0.05), tf.constant([4, 0], tf.int32))
    batch, losses = explore(tf.constant(np.repeat(start, 3, axis=0)), channels, *args)
    for i, channel in enumerate(live[:3]):
        one, one_loss = explore(tf.constant(start), channels[i:i + 1], *args)
        np.testing.assert_allclose(batch[i].numpy(), one[0].numpy(), atol=2e-3)
        np.testing.assert_allclose(losses[i].numpy(), one_loss[0].numpy(), rtol=1e-3, atol=1e-6)
    # the loss is the mean of the chosen channel, measured before the last step (NumPy reference)
    before, _ = explore(tf.constant(np.repeat(start, 3, axis=0)), channels, tf.constant(2), *args[1:])
    shift = tf.random.stateless_uniform([2], [4, 2], -JITTER, JITTER + 1, tf.int32)  # the last step's jitter
    acts = model(tf.roll(before, shift=shift, axis=[1, 2]))
    acts = (acts[0] if isinstance(acts, (list, tuple)) else acts).numpy()
    reference = np.array([acts[i, :, :, c].mean() for i, c in enumerate(live[:3])])
    np.testing.assert_allclose(losses.numpy(), reference, rtol=1e-4)


def test_no_retrace_for_new_sizes_channels_or_steps(model, live):
    explore = explorer_for(model)
    list(channel_sheet(LAYER, live[:2], size=SIZE, steps=2, model=model))
    count = explore.__call__.experimental_get_tracing_count()
    assert count >= 1
    list(channel_sheet(LAYER, live[2:7], size=96, steps=3, step_size=0.1, seed=3, model=model))
    assert explore.__call__.experimental_get_tracing_count() == count


def test_a_click_on_a_tile_targets_its_channel_and_a_gap_changes_nothing():
    import gradio as gr

    from genart.ui.dream_extras import picked_updates

    sheet = {"layer": "mixed4", "channels": list(range(32, 48)), "size": SIZE}
    note, ticked, layer, mode, channels = picked_updates(sheet, 3 * (SIZE + GAP) + 5, 2 * (SIZE + GAP) + 5,
                                                         ["mixed5", "mixed3"], has_targets=True)
    assert (ticked, layer, mode, channels) == (["mixed3", "mixed4", "mixed5"], "mixed4", "chosen", "43")
    assert "channel **43** of **mixed4**" in note
    gap = picked_updates(sheet, SIZE + 1, 5, ["mixed3"], has_targets=True)
    assert all(isinstance(u, type(gr.skip())) for u in gap)
    assert picked_updates(None, 5, 5, ["mixed3"], has_targets=True) == gap  # no sheet yet
