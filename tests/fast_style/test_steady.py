"""genart.fast_style.steady: flow and blending on synthetic frames (a pure translation carries the previous
painted frame with it, what appears takes the new picture, a scene cut resets, steady 0 is the picture
itself), the warping error, and FastStyler's steady stream."""

import cv2
import numpy as np
import pytest

from genart.errors import InputError
from genart.fast_style import FastStyleConfig, FastStyler, OneBehind, Steady, hub, steady, warping_error

H, W = 96, 128
SHIFT = (3, 2)  # the content moves 3 px right and 2 px down between the two frames


def texture(seed: int, h: int = H + 40, w: int = W + 40, blur: float = 2.0) -> np.ndarray:
    """A smooth random colour texture (uint8), larger than a frame so that frames can be cut from it."""
    rng = np.random.default_rng(seed)
    noise = rng.uniform(0, 255, (h, w, 3)).astype(np.float32)
    t = cv2.GaussianBlur(noise, (0, 0), blur)
    t = (t - t.mean()) / t.std() * 50 + 128
    return np.clip(np.round(t), 0, 255).astype(np.uint8)


def cut(image: np.ndarray, x: int, y: int) -> np.ndarray:
    return np.ascontiguousarray(image[y:y + H, x:x + W])


@pytest.fixture(scope="module")
def scene():
    """(frame 1, frame 2, painting of frame 1, the new picture of frame 2): frame 2 is frame 1 moved by SHIFT."""
    world, painted_world = texture(0), texture(1, blur=3.0)
    x0, y0 = 20, 20
    first, second = cut(world, x0, y0), cut(world, x0 - SHIFT[0], y0 - SHIFT[1])
    painted_first = cut(painted_world, x0, y0)
    new_picture = texture(2, H, W)
    return first, second, painted_first, new_picture


def revealed() -> np.ndarray:
    """The pixels of frame 2 that frame 1 did not see (the strips the camera's motion uncovers)."""
    mask = np.zeros((H, W), bool)
    mask[:, :SHIFT[0]] = mask[:SHIFT[1], :] = True
    return mask


def steady_pair(s: float, first, second, painted_first, new_picture):
    run = Steady(s)
    assert run(first, painted_first) is painted_first  # the first frame is its own picture
    return run, run(second, new_picture)


def test_a_pure_translation_carries_the_previous_painting_with_it(scene):
    first, second, painted_first, new_picture = scene
    run, out = steady_pair(1.0, *scene)
    shifted = np.zeros_like(painted_first)
    shifted[SHIFT[1]:, SHIFT[0]:] = painted_first[:H - SHIFT[1], :W - SHIFT[0]]
    assert not run.last.cut and run.last.trusted > 0.85
    inner = np.zeros((H, W), bool)
    inner[SHIFT[1] + 4:-4, SHIFT[0] + 4:-4] = True  # away from the uncovered strips and the frame's edge
    diff = np.abs(out.astype(int) - shifted)[inner]
    assert diff.mean() < 1.0 and np.percentile(diff, 99) <= 4  # the shifted painting, to the flow's precision
    # and not the new picture, nor the painting left where it was
    assert np.abs(out.astype(int) - new_picture)[inner].mean() > 20
    assert np.abs(out.astype(int) - painted_first)[inner].mean() > 5
    # what the motion uncovered takes the new picture, pixel for pixel
    np.testing.assert_array_equal(out[revealed()], new_picture[revealed()])
    # half steady: half way between the new picture and the carried painting
    _, half = steady_pair(0.5, *scene)
    expected = (new_picture.astype(float) + shifted) / 2
    assert np.abs(half.astype(float) - expected)[inner].mean() < 1.0
    np.testing.assert_array_equal(half[revealed()], new_picture[revealed()])


def test_a_region_that_appears_takes_the_new_picture(scene):
    first, second, painted_first, new_picture = scene
    second = second.copy()
    box = (slice(30, 70), slice(40, 90))
    second[box] = texture(9, H, W, blur=1.5)[box]  # an object comes in front: nothing there was seen before
    run, out = steady_pair(1.0, first, second, painted_first, new_picture)
    assert not run.last.cut
    inside = (slice(34, 66), slice(44, 86))  # the region less the feathered edge
    np.testing.assert_array_equal(out[inside], new_picture[inside])
    assert np.abs(out[5:25, 60:120].astype(int) - new_picture[5:25, 60:120]).mean() > 20  # the rest is carried


def test_a_scene_cut_starts_afresh(scene):
    first, _, painted_first, new_picture = scene
    other = cut(texture(7), 0, 0)  # another scene altogether
    run, out = steady_pair(0.9, first, other, painted_first, new_picture)
    assert run.last.cut and run.last.trusted < steady.CUT_TRUST
    assert out is new_picture
    assert run.last.facts() == {"carried": 0.0, "scene_cut": True}
    # the next frame of the new scene is carried from the cut's picture
    moved, fresh = np.roll(other, 1, axis=1), texture(8, H, W)
    again = run(moved, fresh)
    expected = 0.1 * fresh[10:-10, 12:-10] + 0.9 * new_picture[10:-10, 11:-11]
    assert not run.last.cut and np.abs(again[10:-10, 12:-10] - expected).mean() < 1.5


def test_a_new_frame_size_starts_afresh(scene):
    first, _, painted_first, _ = scene
    run = Steady(0.8)
    run(first, painted_first)
    small, picture = first[:64, :80].copy(), painted_first[:64, :80].copy()
    assert run(small, picture) is picture and run.last.trusted == 0


def test_steady_zero_is_the_picture_itself(scene):
    first, second, painted_first, new_picture = scene
    run = Steady(0)
    assert run(first, painted_first) is painted_first and run(second, new_picture) is new_picture
    assert run.last.trusted == 0 and not run.last.cut


def test_remember_resumes_as_if_the_stream_had_gone_on(scene):
    first, second, painted_first, new_picture = scene
    _, straight = steady_pair(0.7, *scene)
    resumed = Steady(0.7)
    resumed.remember(first, painted_first)
    np.testing.assert_array_equal(resumed(second, new_picture), straight)
    resumed.reset()
    assert resumed(second, new_picture) is new_picture


def test_flow_finds_the_translation_and_the_trust_mask_its_edges(scene):
    first, second, _, _ = scene
    g1, g2 = steady.grey(first), steady.grey(second)
    backward, forward = steady.flow(g2, g1), steady.flow(g1, g2)
    inner = (slice(8, -8), slice(8, -8))
    np.testing.assert_allclose(np.median(backward[inner].reshape(-1, 2), axis=0), [-SHIFT[0], -SHIFT[1]], atol=0.1)
    np.testing.assert_allclose(np.median(forward[inner].reshape(-1, 2), axis=0), SHIFT, atol=0.1)
    weight = steady.trust(forward, backward, g1, g2)
    assert weight.dtype == np.float32 and weight.min() >= 0 and weight.max() <= 1
    assert (weight[revealed()] == 0).all() and (weight[inner] == 1).mean() > 0.95
    # a bigger frame's flow is measured smaller and scaled back up
    big1, big2 = (cv2.resize(g, (W * 4, H * 4), interpolation=cv2.INTER_CUBIC) for g in (g1, g2))
    scaled = steady.flow(big2, big1)
    assert scaled.shape == (H * 4, W * 4, 2)
    np.testing.assert_allclose(np.median(scaled[40:-40, 40:-40].reshape(-1, 2), axis=0),
                               [-4 * SHIFT[0], -4 * SHIFT[1]], atol=0.5)


def test_warping_error_is_zero_for_a_painting_that_moves_with_the_scene(scene):
    first, second, painted_first, new_picture = scene
    backward = np.zeros((H, W, 2), np.float32)
    backward[...] = (-SHIFT[0], -SHIFT[1])
    shifted = np.roll(np.roll(painted_first, SHIFT[1], axis=0), SHIFT[0], axis=1)
    seen = ~revealed()
    assert warping_error(shifted, painted_first, backward, seen) == 0
    assert warping_error(new_picture, painted_first, backward, seen) > 20


@pytest.mark.parametrize("value", [-0.1, 1.01, True, "x"])
def test_steady_is_validated(value):
    with pytest.raises(InputError, match="steady"):
        Steady(value)
    with pytest.raises(InputError, match="steady"):
        FastStyleConfig(steady=value)


def test_fast_styler_with_steady_paints_a_still_scene_steadier(photo):
    net = hub.load_model()
    style = texture(3, 64, 64)
    rng = np.random.default_rng(0)
    frames = [np.clip(photo + rng.normal(0, 4, photo.shape), 0, 255).astype(np.uint8) for _ in range(4)]
    plain = FastStyler(FastStyleConfig(max_dim=96), model=net)
    calm = FastStyler(FastStyleConfig(max_dim=96, steady=0.8), model=net)
    for styler in (plain, calm):
        styler.set_style(style)
    alone = [plain(f) for f in frames]
    steadied = [calm(f) for f in frames]
    np.testing.assert_array_equal(steadied[0], alone[0])  # the first frame is the one-pass picture
    assert calm.last.trusted > 0.9 and plain.last.trusted == 0

    def flicker(seq):
        return np.mean([np.abs(a.astype(int) - b).mean() for a, b in zip(seq[1:], seq[:-1])])

    assert flicker(steadied) < 0.5 * flicker(alone)
    calm.reset()
    np.testing.assert_array_equal(calm(frames[3]), alone[3])  # afresh after a reset


def test_one_behind_gives_each_picture_one_call_later_in_order():
    import threading
    import time

    started, seen = [], []

    def painter(frame):
        started.append((frame, threading.current_thread().name))
        time.sleep(0.01)
        if frame == "bad":
            raise InputError("That frame cannot be used.")
        seen.append(frame)
        return f"picture of {frame}"

    behind = OneBehind(painter)
    assert behind(1) is None  # nothing to give yet
    assert [behind(k) for k in (2, 3, 4)] == ["picture of 1", "picture of 2", "picture of 3"]
    assert seen[:3] == [1, 2, 3] and all(name.startswith("genart-one-behind") for _, name in started)
    assert behind("bad") == "picture of 4"
    with pytest.raises(InputError, match="cannot be used"):
        behind(5)  # the bad frame's error, one call later
    behind.reset()
    assert behind(6) is None and behind(7) == "picture of 6"
    behind.close()
