"""Steady frames: each frame of a video or of the live mirror painted knowing the last one.

The one-pass network answers tiny changes of its input (camera noise, compression, a hand moving in
one corner: instance normalisation's statistics are global) with changes everywhere, so a still wall
shimmers from frame to frame. :class:`Steady` carries the previous painted frame forward along the
motion between the two *content* frames and blends it with the new frame's one-pass picture where
that motion can be trusted: the short-term consistency of Ruder et al. 2016 ("Artistic style
transfer for videos"), applied after the network, as Lai et al. 2018 ("Learning Blind Video Temporal
Consistency") evaluate such methods.

1. **Flow** (:func:`flow`): dense optical flow between the two content frames in grey, both ways,
   by OpenCV's DIS (Kroeger et al. 2016, "Fast Optical Flow using Dense Inverse Search"), at most
   :data:`FLOW_SIDE` px on the long side (a larger frame's flow is computed smaller and scaled up).
2. **Warp** (:func:`warp`): the previous painted frame sampled where each new pixel came from
   (the backward flow; bilinear).
3. **Trust** (:func:`trust`): a pixel is trusted when the two flows agree (Ruder et al.'s
   forward–backward test), it is not on a motion boundary (their gradient test), it came from inside
   the previous frame, and the previous content brought along the flow matches the new content within
   :data:`PHOTO_TOLERANCE` grey levels on average around it (else: a flow mistake, something new, a
   light switched on). The trusted region is
   shrunk and softened by :data:`FEATHER` px, so the seam does not show and an untrusted pixel takes
   nothing from the past.
4. **Blend**: ``out = picture + steady · trust · (warped − picture)``. Occluded and newly revealed
   parts take the new picture; ``steady`` 1 keeps the carried frame wherever it is trusted (the
   texture no longer changes with the scene), 0.5 averages the two.
5. **Scene cut**: when less than :data:`CUT_TRUST` of the frame is trusted, the frame starts afresh
   (``out = picture``).

``steady`` 0 returns the picture itself (the same array): independent frames, bit for bit.
:func:`warping_error` is Lai et al.'s measure of flicker. Needs ``opencv-python-headless``
(imported when a :class:`Steady` is made); no TensorFlow here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..errors import check_float

#: The flow is computed on frames at most this many pixels on the long side (DIS at 256×192: ~15 ms).
FLOW_SIDE = 320
#: Ruder et al. 2016's forward–backward test: untrusted where |ŵ + w̃|² > α(|ŵ|² + |w̃|²) + β (pixels).
CONSISTENCY_ALPHA, CONSISTENCY_BETA = 0.01, 0.5
#: Ruder et al.'s motion boundary test: untrusted where |∇u|² + |∇v|² > α|ŵ|² + β. Their β is 0.002 for
#: DeepFlow's smooth flow; DIS's flow on noisy camera frames is rougher, and at 0.002 a third of a still,
#: noisy scene fails the test (benchmarks/bench_steady.py), so β here is 0.05.
BOUNDARY_ALPHA, BOUNDARY_BETA = 0.01, 0.05
#: Grey levels (0–255) the carried content may differ from the new content by, on average over a
#: ``PHOTO_WINDOW``² window: camera noise of σ 4 levels and JPEG give about 3, unrelated textures 30 and more.
PHOTO_TOLERANCE, PHOTO_WINDOW = 12.0, 5
#: Pixels the trusted region is shrunk and then softened by at its edge.
FEATHER = 1
#: A frame with less than this fraction trusted is a scene cut: it starts afresh.
CUT_TRUST = 0.3


def _cv2():
    try:
        import cv2
    except ImportError:  # pragma: no cover - a requirement; the message says which package
        raise ImportError("steady frames need OpenCV: pip install opencv-python-headless "
                          "(in requirements.txt)") from None
    return cv2


def grey(rgb: np.ndarray) -> np.ndarray:
    """H×W×3 uint8 RGB → H×W uint8 grey (ITU-R 601 luma, OpenCV's)."""
    return _cv2().cvtColor(np.ascontiguousarray(rgb), _cv2().COLOR_RGB2GRAY)


def flow(first: np.ndarray, second: np.ndarray, dis=None) -> np.ndarray:
    """Dense optical flow from ``first`` to ``second`` (H×W uint8 grey): H×W×2 float32 (dx, dy) such that
    ``first[y, x] ≈ second[y + dy, x + dx]``. Frames longer than :data:`FLOW_SIDE` are measured
    smaller and the flow scaled back up. ``dis``: a ``cv2.DISOpticalFlow`` to reuse (None: a new one)."""
    cv2 = _cv2()
    dis = dis if dis is not None else new_dis()
    h, w = first.shape[:2]
    scale = min(1.0, FLOW_SIDE / max(h, w))
    if scale >= 1.0:
        return dis.calc(first, second, None)
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    small = dis.calc(cv2.resize(first, size, interpolation=cv2.INTER_AREA),
                     cv2.resize(second, size, interpolation=cv2.INTER_AREA), None)
    up = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    up[..., 0] *= w / size[0]
    up[..., 1] *= h / size[1]
    return up


def new_dis():
    """A DIS flow estimator with OpenCV's "medium" preset (the fast preset misses small moving objects)."""
    cv2 = _cv2()
    return cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)


@functools.lru_cache(maxsize=8)
def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    xx, yy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    xx.flags.writeable = yy.flags.writeable = False
    return xx, yy


def _maps(backward: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each pixel of the new frame came from: (x + dx, y + dy), for ``cv2.remap``."""
    xx, yy = _grid(*backward.shape[:2])
    return xx + backward[..., 0], yy + backward[..., 1]


def warp(image: np.ndarray, backward: np.ndarray, maps=None) -> np.ndarray:
    """``image`` (a previous frame, any dtype, H×W or H×W×C) brought to the new frame: pixel (x, y) of the
    result is ``image`` at (x, y) + ``backward[y, x]`` (bilinear; outside the frame: the nearest edge).
    ``maps``: :func:`_maps` of ``backward`` when already made."""
    cv2 = _cv2()
    mx, my = maps if maps is not None else _maps(backward)
    return cv2.remap(image, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def visible(forward: np.ndarray, backward: np.ndarray, maps=None) -> np.ndarray:
    """Where the flows say a pixel of the new frame was seen in the previous one: H×W bool.

    ``forward``: previous → new; ``backward``: new → previous (as :func:`flow` gives them). Ruder et al.
    2016's two tests (the flows agree; no motion boundary), and the pixel came from inside the frame.
    """
    h, w = backward.shape[:2]
    maps = maps if maps is not None else _maps(backward)
    there = warp(forward, backward, maps)  # the forward flow at the point each new pixel came from
    bu, bv, tu, tv = backward[..., 0], backward[..., 1], there[..., 0], there[..., 1]
    back_sq = bu * bu + bv * bv
    round_trip = (tu + bu) ** 2 + (tv + bv) ** 2
    agree = round_trip <= CONSISTENCY_ALPHA * (tu * tu + tv * tv + back_sq) + CONSISTENCY_BETA
    uy, ux = np.gradient(bu)
    vy, vx = np.gradient(bv)
    smooth = ux * ux + uy * uy + vx * vx + vy * vy <= BOUNDARY_ALPHA * back_sq + BOUNDARY_BETA
    mx, my = maps
    inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    return agree & smooth & inside


def trust(forward: np.ndarray, backward: np.ndarray, previous_grey: np.ndarray, new_grey: np.ndarray,
          maps=None) -> np.ndarray:
    """How much each pixel of the new frame may take from the carried one: H×W float32 in [0, 1].

    1 where :func:`visible` holds and the previous content, carried along ``backward``, matches the new
    within :data:`PHOTO_TOLERANCE` grey levels on average around the pixel; shrunk by :data:`FEATHER` px
    and softened over as many (so a pixel that fails the tests is exactly 0, and one :data:`FEATHER` px
    inside a trusted region 1).
    """
    cv2 = _cv2()
    maps = maps if maps is not None else _maps(backward)
    difference = cv2.absdiff(warp(previous_grey, backward, maps), new_grey).astype(np.float32)
    match = cv2.blur(difference, (PHOTO_WINDOW, PHOTO_WINDOW), borderType=cv2.BORDER_REPLICATE) <= PHOTO_TOLERANCE
    mask = (visible(forward, backward, maps) & match).astype(np.uint8) * np.uint8(255)
    if FEATHER:
        k = 2 * FEATHER + 1
        mask = cv2.blur(cv2.erode(mask, np.ones((k, k), np.uint8), borderType=cv2.BORDER_REPLICATE), (k, k),
                        borderType=cv2.BORDER_REPLICATE)
    return mask.astype(np.float32) / np.float32(255)


@dataclass(frozen=True)
class Carried:
    """What :class:`Steady` did with the last frame: ``trusted``, the fraction of its pixels that took from
    the previous frame (0 for a frame painted afresh), and ``cut``, whether it was a scene cut."""

    trusted: float
    cut: bool

    def facts(self) -> dict:
        """For a recipe's run facts: ``{"carried": the fraction carried}`` (0 afresh), and ``"scene_cut": true``
        on a cut."""
        if self.cut:
            return {"carried": 0.0, "scene_cut": True}
        return {"carried": round(self.trusted, 4)}


#: A frame painted afresh: nothing carried, no cut.
FRESH = Carried(0.0, False)


class Steady:
    """Paint a stream of frames steadily: each call blends the frame's one-pass picture with the previous
    result carried along the motion (see the module's docstring). Not thread-safe: one stream, in order.

    Args:
        steady: the blend's strength in [0, 1] (0: every frame on its own, the picture returned as it is).

    Attributes:
        last: :class:`Carried`, what the last call did.
    """

    def __init__(self, steady: float):
        check_float("steady", steady, 0.0, 1.0)
        self.steady = float(steady)
        self._dis = new_dis() if self.steady > 0 else None
        self._grey: np.ndarray | None = None   # the previous content, grey
        self._out: np.ndarray | None = None    # the previous result
        self.last = FRESH

    def reset(self) -> None:
        """Forget the previous frame: the next one is painted afresh."""
        self._grey = self._out = None
        self.last = FRESH

    def remember(self, content: np.ndarray, result: np.ndarray) -> None:
        """Take ``result`` (uint8 H×W×3) as the painting of ``content`` (uint8 H×W×3, the working size):
        a frame already done (a resumed video)."""
        if self.steady > 0:
            self._grey, self._out = grey(content), np.ascontiguousarray(result)

    def __call__(self, content: np.ndarray, picture: np.ndarray) -> np.ndarray:
        """The steady frame of ``content`` (uint8 H×W×3 at the working size) whose one-pass picture is
        ``picture`` (uint8, the same size): uint8 H×W×3; ``picture`` itself when ``steady`` is 0, for the
        first frame and on a scene cut."""
        if content.shape[:2] != picture.shape[:2]:
            raise ValueError(f"the content frame is {content.shape[1]}×{content.shape[0]} px and its picture "
                             f"{picture.shape[1]}×{picture.shape[0]}; Steady takes the content at the picture's size")
        if self.steady == 0:
            return picture
        new_grey = grey(content)
        out, self.last = picture, FRESH
        if self._grey is not None and self._grey.shape == new_grey.shape and self._out.shape == picture.shape:
            backward = flow(new_grey, self._grey, self._dis)
            forward = flow(self._grey, new_grey, self._dis)
            maps = _maps(backward)
            weight = trust(forward, backward, self._grey, new_grey, maps)
            trusted = float(np.mean(weight))
            if trusted < CUT_TRUST:
                self.last = Carried(trusted, True)
            else:
                self.last = Carried(trusted, False)
                carried = warp(self._out, backward, maps).astype(np.float32)
                p = picture.astype(np.float32)
                w = (np.float32(self.steady) * weight)[..., None]
                out = np.clip(np.round(p + w * (carried - p)), 0, 255).astype(np.uint8)
        self._grey, self._out = new_grey, out
        return out


def warping_error(result: np.ndarray, previous: np.ndarray, backward: np.ndarray, seen: np.ndarray) -> float:
    """Lai et al. 2018's warping error of one frame: mean |O_t − warp(O_{t−1})| over the pixels ``seen``
    (H×W bool: visible in both frames), in 0–255 levels averaged over channels.

    Args:
        result: the frame O_t (uint8 H×W×3); previous: O_{t−1}; backward: the flow from frame t to
            frame t−1 (as :func:`flow` gives it, or the true one of a made clip); seen: the mask.
    """
    carried = warp(previous, backward).astype(np.float32)
    diff = np.abs(result.astype(np.float32) - carried).mean(axis=2)
    return float(diff[seen].mean()) if seen.any() else 0.0
