"""The mask painter both tabs share: Gradio's image editor with a white brush over the input.

The editor's background is a copy of the tab's input picture (refreshed when the input changes);
what the visitor paints on its layer is the mask (:mod:`genart.masks`: painted = effect). A
black-and-white mask may be uploaded instead. These adapters only move arrays: decoding, resizing
and feathering are :func:`genart.masks.load_mask`'s.
"""

from __future__ import annotations

import gradio as gr
import numpy as np

from ..errors import InputError
from ..images import load_image
from ..masks import combine_layers

#: The editor shows the input at most this large (painting needs no more; the mask is resized anyway).
EDITOR_MAX_DIM = 640


def mask_editor(elem_id: str, label: str = "Mask: paint where the effect goes") -> gr.ImageEditor:
    """An image editor with a fixed white brush and an eraser, no uploads of its own (its background
    follows the tab's input; see :func:`editor_value`)."""
    return gr.ImageEditor(label=label, type="numpy", image_mode="RGBA", sources=(), elem_id=elem_id,
                          brush=gr.Brush(colors=["#ffffff"], color_mode="fixed"), eraser=gr.Eraser(),
                          transforms=(), layers=False, height=360)


def editor_value(image) -> dict | None:
    """The editor's value for a new input picture (no strokes yet); None clears it. An input that
    cannot be read leaves the editor empty (the run itself says what is wrong with it)."""
    if image is None:
        return None
    try:
        rgb = load_image(image, EDITOR_MAX_DIM)
    except InputError:
        return None
    return {"background": rgb, "layers": [], "composite": rgb}


def painted_mask(value) -> np.ndarray | None:
    """The strokes painted in the editor as one RGBA array (alpha = painted), or None if nothing was
    painted (no mask: the effect applies everywhere)."""
    if not isinstance(value, dict):
        return None
    layers = [np.asarray(layer) for layer in value.get("layers") or [] if layer is not None]
    combined = combine_layers(layers)
    if combined is None or not combined[:, :, 3].any():
        return None
    return combined


def mask_source(editor_value_, upload) -> np.ndarray | str | None:
    """What to pass as the run's mask: the painted strokes if any, else the uploaded mask file, else None."""
    painted = painted_mask(editor_value_)
    return painted if painted is not None else upload
