"""What the page hands in, read the way genart reads it: uploaded pictures go to genart's own decoder,
and numbers that are not numbers get a sentence naming their control. Also where the tabs' example
pictures are."""

from __future__ import annotations

import base64

import gradio as gr

from ..errors import InputError
from ..paths import assets_dir

#: The project's example inputs (assets/ in a checkout, genart/assets once installed).
ASSETS = assets_dir()


class UploadImage(gr.Image):
    """``gr.Image`` that hands the uploaded file's cache path to genart's own decoder.

    Gradio's own preprocessing opens the file with Pillow before our code runs, so a damaged
    or non-image upload would fail inside Gradio with a generic error; genart's decoder
    (:func:`genart.images.load_image`) gives a clear sentence instead.
    """

    is_template = True  # Gradio renders a template component with its parent's (gr.Image's) front end

    def preprocess(self, payload):
        if payload is not None and getattr(payload, "path", None) and self.type == "filepath":
            return str(payload.path)
        return super().preprocess(payload)


class CameraFrames(gr.Image):
    """``gr.Image`` for a streaming webcam that hands each camera frame on as its JPEG bytes.

    Gradio's own preprocessing decodes every frame whole before our code runs; the bytes let
    :func:`genart.images.load_frame` decode a frame at the size it is painted at instead.
    """

    is_template = True  # Gradio renders a template component with its parent's (gr.Image's) front end

    def preprocess(self, payload):
        url = getattr(payload, "url", None) if payload is not None else None
        if url and url.startswith("data:"):
            return base64.b64decode(url.split(",", 1)[1])
        return super().preprocess(payload)


def as_number(value, name: str):
    """A control's value as a number (an int when whole), or an InputError naming the control.

    API calls bypass the sliders and may send anything; range checks live in the configs.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number; got {value!r}.") from None
    return int(number) if number.is_integer() else number
